//! Views of the one layer tree: packet table, detail tree, coloured hexdump, NDJSON.
//!
//! Depends on `core` alone: every output is a rendering of the same `Layer`/`Field` tree. The
//! binary builds a [`FrameView`] from the stack's dissection and hands it, with one reused
//! `Vec<u8>` per frame, to one of the renderers:
//!
//! | output | functions |
//! |---|---|
//! | packet list | [`table_header`] once, then [`table_row`] per frame |
//! | detail tree (`-V`) | [`tree`] |
//! | hexdump (`-x`) | [`hexdump`] |
//! | NDJSON | [`json`] |
//!
//! Renderers append to the buffer and never clear it, so a caller can put a tree and a hexdump
//! of the same frame into one buffer. Writing into a `Vec<u8>` cannot fail, so none of them
//! returns a `Result`; the caller writes the buffer out and handles I/O errors once.
//!
//! Text that came from a packet (titles, Info, display strings, text values, notes) always goes
//! through [`netlayers_core::escape`], so no control byte from the wire reaches a terminal.
#![forbid(unsafe_code)]

mod color;
pub mod flow;
mod hexdump;
mod json;
mod table;
mod tree;
mod words;
mod write;

use netlayers_core::{Layer, Value};

pub use color::{color_enabled, kind_style, ColorChoice};
pub use flow::{flow_diagram, flow_endpoints, flow_event, FlowEvent};
pub use hexdump::hexdump;
pub use json::{json, json_fields, json_hex, json_to, json_value, write_json_string, Line, Pairs};
pub use table::{address_columns, plain_row, table_header, table_row, Columns};
pub use tree::tree;

/// One frame as the renderers see it. The binary builds it from the stack's `Dissection`
/// (render must not depend on the stack).
#[derive(Debug, Clone, Copy)]
pub struct FrameView<'a> {
    /// 1-based position in the file.
    pub number: u64,
    /// Seconds since the first frame of the capture (the Time column).
    pub rel_time: f64,
    /// Length on the wire.
    pub orig_len: u32,
    /// Bytes captured.
    pub cap_len: usize,
    /// Layers, outermost first, as the stack decoded them.
    pub layers: &'a [Layer],
}

impl<'a> FrameView<'a> {
    /// The layer whose Info text the packet list shows: the innermost one of the frame itself
    /// (not of a packet quoted inside an ICMP error) that has an Info text.
    pub fn info_layer(&self) -> Option<&'a Layer> {
        self.layers.iter().rev().filter(|l| l.depth == 0).find(|l| l.info.is_some())
    }

    /// The whole Info column: the prefixes of the frame's own layers (`[TCP Retransmission] `),
    /// then the text of [`FrameView::info_layer`].
    pub fn info(&self) -> std::borrow::Cow<'a, str> {
        let text = self.info_layer().and_then(|l| l.info.as_deref()).unwrap_or("");
        // A decoder that ran out of bytes: Wireshark appends why, with no space before it.
        // (A packet quoted in an ICMP error is expected to be cut: that is no reason.)
        let ran_out = self.layers.iter().any(|l| l.depth == 0 && l.notes.iter().any(|n| n.id == "truncated"));
        // A first fragment (more to come) ends before what its upper layers announce: tshark
        // marks the datagram as fragmented and words the error its own way. (Searched only
        // for a frame that ran out: a search for a key a layer lacks walks its whole tree.)
        let fragment = || {
            self.layers.iter().any(|l| {
                l.depth == 0
                    && matches!(l.find(if l.protocol == "ip" { "ip.flags.mf" } else { "ipv6.fraghdr.more" }).map(|f| &f.value),
                        Some(Value::Bool(true)) | Some(Value::UInt(1)))
            })
        };
        let suffix = if !ran_out {
            ""
        } else if fragment() {
            "[BoundErrorUnreassembled Packet]"
        } else if (self.cap_len as u64) < u64::from(self.orig_len) {
            "[Packet size limited during capture]"
        } else {
            "[Malformed Packet]"
        };
        let mut prefixes = self.layers.iter().filter(|l| l.depth == 0).filter_map(|l| l.info_prefix.as_deref()).peekable();
        if prefixes.peek().is_none() {
            if suffix.is_empty() {
                return std::borrow::Cow::Borrowed(text);
            }
            return std::borrow::Cow::Owned(format!("{text}{suffix}"));
        }
        let prefix: String = prefixes.collect();
        // SSH writes its "Client: " / "Server: " in front of what TCP wrote and then appends
        // its text after a ", ", so Wireshark shows `Client: [TCP …] , Protocol (…)`.
        let ssh = self.info_layer().is_some_and(|l| l.protocol == "ssh");
        for side in ["Client: ", "Server: "] {
            if let Some(rest) = text.strip_prefix(side).filter(|_| ssh) {
                return std::borrow::Cow::Owned(format!("{side}{prefix}, {rest}{suffix}"));
            }
        }
        let mut s = prefix;
        s.push_str(text);
        s.push_str(suffix);
        std::borrow::Cow::Owned(s)
    }

    /// The Protocol column: the innermost layer of the frame itself that is not plain data (or
    /// the innermost layer of any kind, when that is all there is).
    pub fn protocol_layer(&self) -> Option<&'a Layer> {
        let own = || self.layers.iter().rev().filter(|l| l.depth == 0);
        // HTTP names the column only once its first line is whole; cut before that, the
        // column stays with the layer below.
        let named = |l: &&Layer| !(l.protocol == "http" && l.info.is_none() && l.notes.iter().any(|n| n.id == "truncated"));
        own().filter(named).find(|l| l.protocol != "data" && l.protocol != "frame").or_else(|| own().next())
    }

    /// The Protocol column's text: the [`FrameView::protocol_layer`]'s name, except that an
    /// EtherType nothing decodes is shown as its number (`0x88b5`), as Wireshark shows it.
    pub fn protocol(&self) -> std::borrow::Cow<'a, str> {
        let Some(l) = self.protocol_layer() else { return std::borrow::Cow::Borrowed("") };
        let own_top = self.layers.iter().rev().find(|x| x.depth == 0);
        let type_key = match l.protocol {
            "eth" => "eth.type",
            "vlan" => "vlan.etype",
            _ => "",
        };
        if own_top.is_some_and(|t| t.protocol == "data") && !type_key.is_empty() {
            if let Some(t) = l.find(type_key).and_then(|f| f.value.as_u64()) {
                return std::borrow::Cow::Owned(format!("0x{t:04x}"));
            }
        }
        std::borrow::Cow::Borrowed(l.display_name)
    }

    /// The Source column: the innermost address of the frame's own layers, as Wireshark's
    /// columns show it (IP over Ethernet: the IP address; ARP: the Ethernet address).
    pub fn source(&self) -> Option<&'a Value> {
        self.innermost_address(".src")
    }

    /// The Destination column, chosen as [`FrameView::source`] is.
    pub fn destination(&self) -> Option<&'a Value> {
        self.innermost_address(".dst")
    }

    /// The innermost field keyed `<protocol>.src`/`.dst` (`ip.src`, `ipv6.dst`, `eth.src`) whose
    /// value is an address. Keys like `arp.src.hw_mac` do not match, which is what makes an ARP
    /// frame show its Ethernet addresses, as Wireshark does.
    fn innermost_address(&self, suffix: &str) -> Option<&'a Value> {
        for l in self.layers.iter().rev().filter(|l| l.depth == 0) {
            let p = l.protocol;
            let is_key = |k: &str| k.len() == p.len() + suffix.len() && k.starts_with(p) && k.ends_with(suffix);
            if let Some(v) = find_field(&l.fields, &is_key) {
                return Some(v);
            }
        }
        None
    }
}

/// The colour of layer `i` of a frame: its kind's colour, in the bright shade when an odd number
/// of earlier layers share its kind, so two adjacent layers of one kind never look alike; a
/// packet quoted inside an ICMP error is underlined as well.
pub fn layer_style(layers: &[Layer], i: usize) -> anstyle::Style {
    let Some(layer) = layers.get(i) else { return anstyle::Style::new() };
    let same = layers[..i].iter().filter(|l| l.kind == layer.kind).count();
    let style = kind_style(layer.kind, same % 2 == 1);
    if layer.depth > 0 { style.underline() } else { style }
}

fn find_field<'a>(fields: &'a [netlayers_core::Field], is_key: &dyn Fn(&str) -> bool) -> Option<&'a Value> {
    for f in fields {
        if is_key(f.spec.key) && matches!(f.value, Value::Mac(_) | Value::Ipv4(_) | Value::Ipv6(_)) {
            return Some(&f.value);
        }
        if !f.children.is_empty() {
            if let Some(v) = find_field(&f.children, is_key) {
                return Some(v);
            }
        }
    }
    None
}
