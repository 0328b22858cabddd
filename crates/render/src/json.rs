//! NDJSON: one object per frame, flat keys that are Wireshark display-filter names.
//!
//! `frame.number`, `frame.len`, `frame.cap_len` come first; then every field of every layer in
//! tree order (layers outermost first, fields depth first, parent before children), each key
//! only at its FIRST occurrence, as `tshark -T fields -E occurrence=f` picks it. So the outer IP
//! header of an ICMP error gives `ip.src`, while `udp.*` comes from the quoted packet when only
//! the quoted packet has it. See shared/JSON-FIELDS.md for the contract.
//!
//! Values: `UInt`, `Hex`, `Enum` → JSON numbers; `Bool` → `true`/`false`; `Mac` → lowercase
//! `"aa:bb:cc:dd:ee:ff"`; `Ipv4` dotted; `Ipv6` in RFC 5952 form as tshark prints it (IPv4-mapped
//! `::ffff:10.77.0.2`, deprecated IPv4-compatible `::1.2.3.4`); `Text` → a JSON string;
//! `Bytes` → lowercase hex without separators (`"68656c6c6f"`), exactly what `tshark -T fields`
//! 4.0 prints for byte fields, so the oracle needs no conversion. Fields with `Value::None` only
//! group their children and are left out (their children are not). Generated fields are in;
//! a generated flag without value or children (`tcp.analysis.retransmission`) is `true`.
//!
//! The object is written by hand into the caller's buffer: no map, no per-frame allocation
//! once the scratch list of seen keys has grown to the frame's field count.

use std::cell::RefCell;

use netlayers_core::text::hex_pair;
use netlayers_core::{Field, Value};

use crate::write::{out, write_ipv6};
use crate::FrameView;

/// Keys already written in the current object: a 256-bit filter over a cheap hash of each key,
/// and the keys themselves, compared only when the filter says "maybe". Kept per thread and
/// cleared per frame, so it allocates only while growing to the largest frame's key count.
#[derive(Default)]
struct Seen {
    filter: [u64; 4],
    keys: Vec<&'static str>,
}

impl Seen {
    fn clear(&mut self) {
        self.filter = [0; 4];
        self.keys.clear();
    }

    /// Records `key`; false if it was already there.
    fn insert(&mut self, key: &'static str) -> bool {
        let h = Self::hash(key);
        let (word, bit) = (usize::from(h >> 6), 1u64 << (h & 63));
        if self.filter[word] & bit != 0 && self.keys.contains(&key) {
            return false;
        }
        self.filter[word] |= bit;
        self.keys.push(key);
        true
    }

    /// Eight bits from the key's length and last eight bytes, where keys of one protocol differ
    /// (`ip.flags.df` / `ip.flags.mf`).
    fn hash(key: &str) -> u8 {
        let b = key.as_bytes();
        let tail = &b[b.len().saturating_sub(8)..];
        let mut w = [0u8; 8];
        w[..tail.len()].copy_from_slice(tail);
        let x = (u64::from_le_bytes(w) ^ (b.len() as u64)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        (x >> 56) as u8
    }
}

thread_local! {
    static SEEN: RefCell<Seen> = RefCell::new(Seen::default());
}

/// Where the pairs of one NDJSON object go: [`Line`] writes them all; a selection of keys
/// (`read -e`) keeps some, in its own order. A writer hands over every pair it has, in its
/// order; a sink that does not want a key never runs the pair's `value`, so a field left out
/// costs a look at its key, not its writing.
///
/// Keys are Wireshark field names: ASCII letters, digits, `.`, `_` and `-`, never escaped.
pub trait Pairs {
    /// Opens the object with its first key, `frame.number`.
    fn open(&mut self, number: u64);
    /// One pair: `key` (without quotes) and what appends its value to the buffer given.
    fn pair(&mut self, key: &[u8], value: impl FnOnce(&mut Vec<u8>));
    /// [`Pairs::pair`] with the key as a following pair writes it: `,"ip.ttl":`.
    fn pair_written(&mut self, written: &'static [u8], value: impl FnOnce(&mut Vec<u8>)) {
        self.pair(&written[2..written.len() - 2], value);
    }
    /// Closes the object and ends the line.
    fn close(&mut self);
}

/// Every pair, appended to the buffer as it comes: the whole NDJSON line.
pub struct Line<'a>(pub &'a mut Vec<u8>);

impl Pairs for Line<'_> {
    #[inline]
    fn open(&mut self, number: u64) {
        self.0.extend_from_slice(b"{\"frame.number\":");
        push_u64(self.0, number);
    }

    #[inline]
    fn pair(&mut self, key: &[u8], value: impl FnOnce(&mut Vec<u8>)) {
        debug_assert!(key.iter().all(|&b| b.is_ascii_alphanumeric() || b"._-".contains(&b)), "key {key:?}");
        self.0.extend_from_slice(b",\"");
        self.0.extend_from_slice(key);
        self.0.extend_from_slice(b"\":");
        value(self.0);
    }

    #[inline]
    fn pair_written(&mut self, written: &'static [u8], value: impl FnOnce(&mut Vec<u8>)) {
        self.0.extend_from_slice(written);
        value(self.0);
    }

    #[inline]
    fn close(&mut self) {
        self.0.extend_from_slice(b"}\n");
    }
}

/// One frame as one line of NDJSON (the object and a newline).
pub fn json(buf: &mut Vec<u8>, view: &FrameView<'_>) {
    json_to(&mut Line(buf), view);
}

/// [`json`]'s pairs, to any [`Pairs`].
pub fn json_to(out: &mut impl Pairs, view: &FrameView<'_>) {
    SEEN.with(|seen| {
        let mut seen = seen.borrow_mut();
        seen.clear();
        out.open(view.number);
        out.pair(b"frame.len", |b| push_u64(b, u64::from(view.orig_len)));
        out.pair(b"frame.cap_len", |b| push_u64(b, view.cap_len as u64));
        for k in ["frame.number", "frame.len", "frame.cap_len"] {
            seen.insert(k);
        }
        for layer in view.layers {
            for f in &layer.fields {
                field(out, f, &mut seen);
            }
        }
        out.close();
    });
}

/// Hands `fields` and their children to `out` by the rules of [`json`], each key only at its
/// first occurrence among these fields: for a writer that wrote the keys of the layers below
/// itself (the NDJSON fast path), none of them among these.
pub fn json_fields<'a>(out: &mut impl Pairs, fields: impl IntoIterator<Item = &'a Field>) {
    SEEN.with(|seen| {
        let mut seen = seen.borrow_mut();
        seen.clear();
        for f in fields {
            field(out, f, &mut seen);
        }
    });
}

/// Appends `value` as [`json`] writes it. Not for `Value::None`.
pub fn json_value(buf: &mut Vec<u8>, v: &Value) {
    value(buf, v);
}

/// Appends `bytes` as a JSON string of lowercase hex digits without separators, as [`json`]
/// writes byte fields.
pub fn json_hex(buf: &mut Vec<u8>, bytes: &[u8]) {
    // Payloads run to kilobytes (most of what NDJSON writes): reserve once, then two digits per
    // byte from a table, sixteen digits at a time.
    buf.reserve(2 * bytes.len() + 2);
    buf.push(b'"');
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut out = [0u8; 16];
        for (o, &x) in out.chunks_exact_mut(2).zip(chunk) {
            o.copy_from_slice(&hex_pair(x));
        }
        buf.extend_from_slice(&out);
    }
    for &x in chunks.remainder() {
        buf.extend_from_slice(&hex_pair(x));
    }
    buf.push(b'"');
}


fn field(out: &mut impl Pairs, f: &Field, seen: &mut Seen) {
    let key = f.spec.key;
    // A generated flag (an expert finding such as tcp.analysis.retransmission) has no value of
    // its own and no children: present means true.
    let flag = f.generated && f.children.is_empty() && matches!(f.value, Value::None);
    if (flag || !matches!(f.value, Value::None)) && seen.insert(key) {
        out.pair(key.as_bytes(), |buf| {
            if flag {
                buf.extend_from_slice(b"true");
            } else {
                value(buf, &f.value);
            }
        });
    }
    for c in &f.children {
        field(out, c, seen);
    }
}

fn value(buf: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Bool(b) => buf.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::UInt(n) | Value::Hex { value: n, .. } | Value::Enum { value: n, .. } => push_u64(buf, *n),
        // Addresses built on the stack and appended at once (NDJSON writes several a frame).
        Value::Mac(m) => {
            let mut t = [b'"'; 19];
            t[1..18].copy_from_slice(&netlayers_core::text::mac_text(m));
            buf.extend_from_slice(&t);
        }
        Value::Ipv4(a) => {
            let mut t = [b'"'; 20];
            let end = netlayers_core::text::ipv4_into(&mut t, 1, a);
            t[end] = b'"';
            buf.extend_from_slice(&t[..end + 1]);
        }
        Value::Ipv6(a) => {
            let mut s = crate::write::Short::new();
            let _ = write_ipv6(&mut s, a);
            buf.push(b'"');
            buf.extend_from_slice(s.as_str().as_bytes());
            buf.push(b'"');
        }
        Value::Bytes(b) => json_hex(buf, b),
        Value::Text(s) => write_json_string(buf, s),
        // Never reached: grouping fields are skipped before their value is written.
        Value::None => buf.extend_from_slice(b"null"),
    }
}

/// Writes `s` as a JSON string (RFC 8259), quotes included.
///
/// Beyond what RFC 8259 requires (`"`, `\` and U+0000–U+001F), DEL, the C1 controls, the
/// Unicode bidirectional overrides and U+2028/U+2029 are written as `\uXXXX` too: the text is
/// the same for any JSON reader, and NDJSON printed to a terminal cannot drive it.
pub fn write_json_string(buf: &mut Vec<u8>, s: &str) {
    buf.push(b'"');
    let bytes = s.as_bytes();
    // Bytes up to `start` are written; plain ASCII is copied in runs.
    let mut start = 0;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let (short, len): (&[u8], usize) = match b {
            b'"' => (b"\\\"", 1),
            b'\\' => (b"\\\\", 1),
            b'\n' => (b"\\n", 1),
            b'\r' => (b"\\r", 1),
            b'\t' => (b"\\t", 1),
            0x08 => (b"\\b", 1),
            0x0c => (b"\\f", 1),
            0x00..=0x1f | 0x7f => (b"", 1),
            0x20..=0x7e => {
                i += 1;
                continue;
            }
            _ => {
                // Non-ASCII: only a few characters need escaping; decode just this one.
                let c = s.get(i..).and_then(|rest| rest.chars().next()).unwrap_or('\u{fffd}');
                let len = c.len_utf8();
                if !needs_unicode_escape(c) {
                    i += len;
                    continue;
                }
                (b"", len)
            }
        };
        buf.extend_from_slice(&bytes[start..i]);
        if short.is_empty() {
            let c = s.get(i..).and_then(|rest| rest.chars().next()).unwrap_or('\u{fffd}');
            out!(buf, "\\u{:04x}", c as u32);
        } else {
            buf.extend_from_slice(short);
        }
        i += len;
        start = i;
    }
    buf.extend_from_slice(&bytes[start..]);
    buf.push(b'"');
}


/// A number in decimal, without the formatting machinery (it is most of what a frame writes).
fn push_u64(buf: &mut Vec<u8>, n: u64) {
    buf.extend_from_slice(netlayers_core::text::decimal(n, &mut [0; 20]));
}

fn needs_unicode_escape(c: char) -> bool {
    // All of these are in the Basic Multilingual Plane, so one \uXXXX each (no surrogate pairs).
    c.is_control() || matches!(c, '\u{200e}' | '\u{200f}' | '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn esc(s: &str) -> String {
        let mut b = Vec::new();
        write_json_string(&mut b, s);
        String::from_utf8(b).expect("escaper writes UTF-8")
    }

    #[test]
    fn escapes_what_rfc8259_requires() {
        assert_eq!(esc(""), "\"\"");
        assert_eq!(esc("plain"), "\"plain\"");
        assert_eq!(esc("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(esc("\n\r\t\u{8}\u{c}"), r#""\n\r\t\b\f""#);
        assert_eq!(esc("\0\u{1}\u{1b}\u{1f}"), r#""\u0000\u0001\u001b\u001f""#);
        // '/' may stay as it is.
        assert_eq!(esc("a/b"), "\"a/b\"");
    }

    #[test]
    fn every_control_character_is_escaped_and_round_trips() {
        for c in (0u32..0x20).chain([0x7f]).chain(0x80..0xa0).filter_map(char::from_u32) {
            let s = format!("x{c}y");
            let j = esc(&s);
            assert!(j.bytes().all(|b| b >= 0x20 && b != 0x7f), "{c:?} written raw: {j:?}");
            assert!(!j.contains('\u{80}') && !j.chars().any(|x| x.is_control()), "{c:?}: {j:?}");
            let back: String = serde_json::from_str(&j).expect("valid JSON");
            assert_eq!(back, s);
        }
    }

    #[test]
    fn seen_keys_are_found_again_whatever_the_filter_says() {
        let mut seen = Seen::default();
        let keys = ["ip.flags.df", "ip.flags.mf", "ip.flags.rb", "ip", "a", "tcp.flags.syn", "eth.src", "eth.dst"];
        for k in keys {
            assert!(seen.insert(k), "{k} is new");
        }
        for k in keys {
            assert!(!seen.insert(k), "{k} was seen");
        }
        // The same text from another allocation is the same key.
        let owned: &'static str = Box::leak(String::from("eth.src").into_boxed_str());
        assert!(!seen.insert(owned));
        seen.clear();
        assert!(seen.insert("eth.src"));
    }

    #[test]
    fn bytes_print_as_lowercase_hex_of_every_length() {
        // Lengths around the 8-byte chunks, every byte value.
        let all: Vec<u8> = (0..=255u8).collect();
        for len in (0..=40).chain([255, 256]) {
            let bytes: Vec<u8> = all.iter().cycle().skip(len * 7).take(len).copied().collect();
            let mut b = Vec::new();
            json_hex(&mut b, &bytes);
            let want: String = bytes.iter().map(|x| format!("{x:02x}")).collect();
            assert_eq!(String::from_utf8(b).unwrap(), format!("\"{want}\""), "{len} bytes");
        }
    }

    #[test]
    fn addresses_print_as_their_display_quoted() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let a = std::net::Ipv4Addr::from((x >> (x % 32)) as u32);
            let mut b = Vec::new();
            value(&mut b, &Value::Ipv4(a));
            assert_eq!(String::from_utf8(b).unwrap(), format!("\"{a}\""));
            let m: [u8; 6] = x.to_le_bytes()[..6].try_into().unwrap();
            let mut b = Vec::new();
            value(&mut b, &Value::Mac(m));
            let want: Vec<String> = m.iter().map(|o| format!("{o:02x}")).collect();
            assert_eq!(String::from_utf8(b).unwrap(), format!("\"{}\"", want.join(":")));
        }
    }

    #[test]
    fn numbers_print_in_decimal() {
        for n in [0, 1, 9, 10, 99, 100, 12345, u64::from(u32::MAX), u64::MAX] {
            let mut b = Vec::new();
            push_u64(&mut b, n);
            assert_eq!(String::from_utf8(b).unwrap(), n.to_string());
        }
    }

    #[test]
    fn terminal_tricks_are_escaped() {
        assert_eq!(esc("a\u{202e}b"), r#""a\u202eb""#);
        assert_eq!(esc("\u{2028}"), r#""\u2028""#);
        assert_eq!(esc("\u{9b}31m"), r#""\u009b31m""#);
    }

    #[test]
    fn non_ascii_text_stays_readable() {
        let s = "中文 é 🦀";
        assert_eq!(esc(s), format!("\"{s}\""));
        let back: String = serde_json::from_str(&esc(s)).expect("valid JSON");
        assert_eq!(back, s);
    }

    #[test]
    fn all_of_the_basic_plane_round_trips() {
        // Every scalar value below U+10000 and a sample above, one string: whatever the escaper
        // does, serde_json must read back exactly the same text.
        let s: String = (0u32..0x1_0000).chain([0x1_0000, 0x1_f980, 0x10_ffff]).filter_map(char::from_u32).collect();
        let back: String = serde_json::from_str(&esc(&s)).expect("valid JSON");
        assert_eq!(back, s);
    }

    proptest::proptest! {
        #[test]
        fn any_string_round_trips(s in ".*") {
            let j = esc(&s);
            let back: String = serde_json::from_str(&j).expect("valid JSON");
            proptest::prop_assert_eq!(back, s);
        }
    }
}
