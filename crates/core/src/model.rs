//! Layers, fields, values and notes: the tree every decoder emits and every renderer reads.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::ops::Range;

use crate::text::{Lang, OwnedText, Text};

/// The place of a layer in the five-layer model taught in class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LayerKind {
    Physical,
    Link,
    Network,
    Transport,
    Application,
}

impl LayerKind {
    /// 1 for physical … 5 for application, as the five-layer model numbers them.
    pub fn number(self) -> u8 {
        self as u8 + 1
    }
    pub fn name(self) -> Text {
        match self {
            LayerKind::Physical => Text::new("Physical", "物理层"),
            LayerKind::Link => Text::new("Link", "数据链路层"),
            LayerKind::Network => Text::new("Network", "网络层"),
            LayerKind::Transport => Text::new("Transport", "传输层"),
            LayerKind::Application => Text::new("Application", "应用层"),
        }
    }
}

/// A field's entry in the static registry: its Wireshark display-filter key, its label and an
/// explanation for students, in both languages. Decoders keep one `static` per field.
#[derive(Debug, PartialEq, Eq)]
pub struct FieldSpec {
    /// Wireshark display-filter name, e.g. `ip.ttl`, `tcp.flags.syn`.
    pub key: &'static str,
    /// Short label, as in Wireshark's detail pane ("Time to Live").
    pub label: Text,
    /// Why the field exists and how to read it; empty strings when there is nothing to add.
    pub explain: Text,
}

impl FieldSpec {
    pub const fn new(key: &'static str, label: Text, explain: Text) -> FieldSpec {
        FieldSpec { key, label, explain }
    }
}

/// A typed value. JSON output writes numbers as numbers, flags as booleans, addresses as text.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Bool(bool),
    /// An unsigned number shown in decimal.
    UInt(u64),
    /// An unsigned number shown in hex with `digits` hex digits (checksums, ids, flags).
    Hex { value: u64, digits: u8 },
    /// A number with a name from a protocol table (`6` → `TCP`); `name` is `None` when unknown.
    Enum { value: u64, name: Option<&'static str> },
    Mac([u8; 6]),
    Ipv4(Ipv4Addr),
    Ipv6(Ipv6Addr),
    Bytes(Vec<u8>),
    /// Text taken from a packet (DNS name, HTTP line). Renderers escape control characters.
    Text(String),
    /// A field that only groups children (a header's "Flags" line with its bits below).
    None,
}

impl Value {
    /// The number behind the value, for filters and JSON.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Value::UInt(v) | Value::Hex { value: v, .. } | Value::Enum { value: v, .. } => Some(v),
            Value::Bool(b) => Some(b as u64),
            _ => None,
        }
    }
}

/// Formats a MAC the way Wireshark and JSON write it: lowercase, colon-separated.
pub fn fmt_mac(m: &[u8; 6]) -> String {
    String::from_utf8_lossy(&crate::text::mac_text(m)).into_owned()
}

impl fmt::Display for Value {
    /// The plain value text (no escaping of packet text: renderers do that).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bool(b) => write!(f, "{}", if *b { "True" } else { "False" }),
            Value::UInt(v) => write!(f, "{v}"),
            Value::Hex { value, digits } => write!(f, "0x{:0width$x}", value, width = *digits as usize),
            Value::Enum { value, name: Some(n) } => write!(f, "{n} ({value})"),
            Value::Enum { value, name: None } => write!(f, "Unknown ({value})"),
            Value::Mac(m) => f.write_str(&fmt_mac(m)),
            Value::Ipv4(a) => write!(f, "{a}"),
            Value::Ipv6(a) => write!(f, "{a}"),
            Value::Bytes(b) => {
                for byte in b.iter().take(32) {
                    write!(f, "{byte:02x}")?;
                }
                if b.len() > 32 {
                    write!(f, "…")?;
                }
                Ok(())
            }
            Value::Text(s) => f.write_str(s),
            Value::None => Ok(()),
        }
    }
}

/// How serious a note is (Wireshark's expert-info severities).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Chat,
    Note,
    Warn,
    Error,
}

/// Expert information hung on a layer or a field: bad checksum with the expected value,
/// truncated header, retransmission …
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub severity: Severity,
    /// A stable identifier, Wireshark-like where one exists: `checksum.bad`, `truncated`.
    pub id: &'static str,
    pub text: OwnedText,
}

impl Note {
    pub fn new(severity: Severity, id: &'static str, en: impl Into<String>, zh: impl Into<String>) -> Note {
        Note { severity, id, text: OwnedText::new(en, zh) }
    }
    /// The standard note for a header that the captured bytes cut short.
    pub fn truncated(what: &str, at: usize, need: usize, have: usize) -> Note {
        Note::new(
            Severity::Error,
            "truncated",
            format!("{what} truncated at byte {at}: needs {need} bytes, {have} captured"),
            format!("{what} 在第 {at} 字节处被截断:需要 {need} 字节,只捕获了 {have} 字节"),
        )
    }
}

/// One field of a header, with its absolute byte range in the frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub spec: &'static FieldSpec,
    pub value: Value,
    /// Absolute byte range in the frame. Empty for generated values that are not on the wire.
    pub range: Range<usize>,
    /// For sub-byte fields: the bits of the (big-endian) bytes in `range` that hold the value.
    pub mask: Option<u64>,
    /// A human rendering that replaces the plain value in the tree ("64 (hops left)").
    pub display: Option<String>,
    /// Not on the wire: checksum status, computed lengths, stream indices.
    pub generated: bool,
    pub children: Vec<Field>,
    pub notes: Vec<Note>,
}

impl Field {
    pub fn new(spec: &'static FieldSpec, value: Value, range: Range<usize>) -> Field {
        Field { spec, value, range, mask: None, display: None, generated: false, children: Vec::new(), notes: Vec::new() }
    }
    /// A value computed by the decoder, not read from the bytes.
    pub fn generated(spec: &'static FieldSpec, value: Value) -> Field {
        Field { generated: true, ..Field::new(spec, value, 0..0) }
    }
    pub fn key(&self) -> &'static str {
        self.spec.key
    }
    pub fn with_mask(mut self, mask: u64) -> Field {
        self.mask = Some(mask);
        self
    }
    pub fn with_display(mut self, display: impl Into<String>) -> Field {
        self.display = Some(display.into());
        self
    }
    pub fn with_children(mut self, children: Vec<Field>) -> Field {
        self.children = children;
        self
    }
    pub fn with_note(mut self, note: Note) -> Field {
        self.notes.push(note);
        self
    }
    pub fn label(&self, lang: Lang) -> &'static str {
        self.spec.label.get(lang)
    }
    /// The first field below this one with this key, depth first (as [`Layer::find`]).
    pub fn find(&self, key: &str) -> Option<&Field> {
        find_in(&self.children, key)
    }
    /// This field and every descendant, depth first, parents before children.
    pub fn walk(&self, visit: &mut dyn FnMut(&Field)) {
        visit(self);
        for c in &self.children {
            c.walk(visit);
        }
    }
}

/// One protocol's PDU inside a frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    pub kind: LayerKind,
    /// Short protocol id as Wireshark's filter names it: `eth`, `vlan`, `arp`, `ip`, `ipv6`, `icmp`,
    /// `icmpv6`, `igmp`, `tcp`, `udp`, `dns`, `http`, `ssh`, `ftp`, `smtp`, `pop`, `data`, `frame`.
    pub protocol: &'static str,
    /// Protocol column text: `TCP`, `DNS`, `ARP`, `ICMPv6` …
    pub display_name: &'static str,
    /// Absolute byte range of this layer in the frame (header and, for the top layer, payload).
    pub range: Range<usize>,
    /// The tree's heading line, e.g. `Internet Protocol Version 4, Src: 10.0.0.1, Dst: 10.0.0.2`.
    pub title: String,
    /// Wireshark-style Info column text for a frame whose top layer is this one, if any.
    pub info: Option<String>,
    /// Text Wireshark puts in front of the Info column whichever layer above sets it, such as
    /// TCP's `[TCP Retransmission] ` (with its trailing space).
    pub info_prefix: Option<String>,
    pub fields: Vec<Field>,
    pub notes: Vec<Note>,
    /// Nesting depth: 0 for the frame's own layers, 1 for a packet quoted inside an ICMP error …
    pub depth: u8,
}

impl Layer {
    pub fn new(kind: LayerKind, protocol: &'static str, display_name: &'static str, range: Range<usize>) -> Layer {
        Layer {
            kind,
            protocol,
            display_name,
            range,
            title: String::new(),
            info: None,
            info_prefix: None,
            fields: Vec::new(),
            notes: Vec::new(),
            depth: 0,
        }
    }
    /// Every field of the layer, depth first.
    pub fn walk(&self, visit: &mut dyn FnMut(&Field)) {
        for f in &self.fields {
            f.walk(visit);
        }
    }
    /// The first field with this key, searching depth first.
    pub fn find(&self, key: &str) -> Option<&Field> {
        find_in(&self.fields, key)
    }
    /// The first top-level field with this key, not searching below: where decoders put a
    /// header's own fields (ports, addresses, sequence numbers), with only their parts (flag
    /// bits, options) below them. For such a key it is what [`Layer::find`] returns, for less:
    /// `find` also searches every tree below, and all of them for a key the layer lacks.
    pub fn top_field(&self, key: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.spec.key == key)
    }
}

/// The first field with this key among `fields` and their descendants, depth first.
///
/// Most fields have no children: looking before descending saves a call per field, which is
/// most of the cost of a search (decoders and analyses search every frame's tree many times).
fn find_in<'a>(fields: &'a [Field], key: &str) -> Option<&'a Field> {
    for f in fields {
        if f.spec.key == key {
            return Some(f);
        }
        if !f.children.is_empty() {
            if let Some(found) = find_in(&f.children, key) {
                return Some(found);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    static A: FieldSpec = FieldSpec::new("t.a", Text::new("A", "A"), Text::new("", ""));
    static B: FieldSpec = FieldSpec::new("t.b", Text::new("B", "B"), Text::new("", ""));
    static C: FieldSpec = FieldSpec::new("t.c", Text::new("C", "C"), Text::new("", ""));

    #[test]
    fn find_is_depth_first() {
        // t.a { t.b = 1 { t.c = 2 } }, t.b = 3, t.c = 4: the nested ones come first.
        let mut l = Layer::new(LayerKind::Transport, "t", "T", 0..0);
        let nested_c = Field::new(&C, Value::UInt(2), 0..0);
        let nested_b = Field::new(&B, Value::UInt(1), 0..0).with_children(vec![nested_c]);
        l.fields = vec![
            Field::new(&A, Value::None, 0..0).with_children(vec![nested_b]),
            Field::new(&B, Value::UInt(3), 0..0),
            Field::new(&C, Value::UInt(4), 0..0),
        ];
        let value = |k| l.find(k).and_then(|f| f.value.as_u64());
        assert_eq!(l.find("t.a").map(|f| f.children.len()), Some(1));
        assert_eq!(value("t.b"), Some(1));
        assert_eq!(value("t.c"), Some(2));
        assert!(l.find("t.d").is_none());
        assert!(l.find("t").is_none(), "whole keys only");
        assert_eq!(l.top_field("t.b").and_then(|f| f.value.as_u64()), Some(3));
        assert_eq!(l.fields[0].find("t.c").and_then(|f| f.value.as_u64()), Some(2));
        assert!(l.fields[0].find("t.a").is_none(), "below the field only");
    }
}
