//! Small tools every renderer shares: appending to the frame's buffer without allocating,
//! padding by terminal width, and the value and byte-range texts.

use std::fmt;
use std::net::Ipv6Addr;
use std::io::Write as _;

use anstyle::Style;
use netlayers_core::{escape, Lang, Value};

use crate::words;

/// Appends formatted text to the buffer. Writing into a `Vec<u8>` cannot fail.
macro_rules! out {
    ($buf:expr, $($arg:tt)*) => {{
        let _ = ::std::io::Write::write_fmt($buf, format_args!($($arg)*));
    }};
}
pub(crate) use out;

pub(crate) fn push(buf: &mut Vec<u8>, s: &str) {
    buf.extend_from_slice(s.as_bytes());
}

/// Text a decoder wrote (titles, Info, display strings, notes): decoders already escaped the
/// packet text inside it, so only controls are escaped here, and backslashes are not doubled.
pub(crate) fn push_escaped(buf: &mut Vec<u8>, s: &str) {
    push(buf, &escape::controls(s));
}

/// Raw text taken from a packet (`Value::Text`): fully escaped, backslashes included, so a
/// literal `\n` in a DNS name stays distinguishable from an escaped newline.
pub(crate) fn push_packet_text(buf: &mut Vec<u8>, s: &str) {
    push(buf, &escape::text(s));
}

pub(crate) fn spaces(buf: &mut Vec<u8>, n: usize) {
    buf.resize(buf.len() + n, b' ');
}

/// Starts a style when colour is on; pair with [`end_style`].
pub(crate) fn start_style(buf: &mut Vec<u8>, style: Style, color: bool) {
    if color && !style.is_plain() {
        let _ = style.write_to(buf);
    }
}

pub(crate) fn end_style(buf: &mut Vec<u8>, style: Style, color: bool) {
    if color && !style.is_plain() {
        let _ = style.write_reset_to(buf);
    }
}

/// Columns a string takes in a terminal: East Asian wide characters take two. Good enough for
/// the headings we print ourselves; packet text is never padded after a wide character.
pub(crate) fn display_width(s: &str) -> usize {
    if s.is_ascii() {
        return s.len();
    }
    s.chars().map(|c| if is_wide(c) { 2 } else { 1 }).sum()
}

fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115f | 0x2e80..=0x303e | 0x3041..=0x33ff | 0x3400..=0x4dbf | 0x4e00..=0x9fff
        | 0xa000..=0xa4cf | 0xac00..=0xd7a3 | 0xf900..=0xfaff | 0xfe30..=0xfe4f | 0xff00..=0xff60
        | 0xffe0..=0xffe6 | 0x20000..=0x3fffd)
}

/// `s` right-aligned in `width` terminal columns (wider text pushes right).
pub(crate) fn pad_left(buf: &mut Vec<u8>, s: &str, width: usize) {
    spaces(buf, width.saturating_sub(display_width(s)));
    push(buf, s);
}

/// The padding that left-aligns `s` in `width` columns, written after it.
pub(crate) fn pad_after(buf: &mut Vec<u8>, s: &str, width: usize) {
    spaces(buf, width.saturating_sub(display_width(s)));
}

/// A fixed buffer for short texts (addresses) that must be measured before they are padded,
/// so the table never allocates per frame.
pub(crate) struct Short {
    bytes: [u8; 64],
    len: usize,
}

impl Short {
    pub(crate) fn new() -> Short {
        Short { bytes: [0; 64], len: 0 }
    }
    pub(crate) fn as_str(&self) -> &str {
        // Only whole `&str`s are ever copied in, so the prefix is valid UTF-8.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or("")
    }
}

impl fmt::Write for Short {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        let dst = self.bytes.get_mut(self.len..end).ok_or(fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Writes a MAC the way Wireshark and JSON write it (lowercase, colons) without allocating.
pub(crate) fn write_mac(w: &mut impl fmt::Write, m: &[u8; 6]) -> fmt::Result {
    write!(w, "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", m[0], m[1], m[2], m[3], m[4], m[5])
}

/// Writes an IPv6 address as tshark 4.0 does: RFC 5952 (which Rust's Display follows, with
/// IPv4-mapped `::ffff:10.77.0.2` in mixed notation), plus the one case where Rust and tshark
/// part: a deprecated IPv4-compatible address (96 zero bits, then a non-zero group) is written
/// `::1.2.3.4` by tshark's inet_ntop, `::102:304` by Rust. `::1` and `::` stay as they are.
pub(crate) fn write_ipv6(w: &mut impl fmt::Write, a: &Ipv6Addr) -> fmt::Result {
    let g = a.segments();
    if g[..6] == [0; 6] && g[6] != 0 {
        let o = a.octets();
        write!(w, "::{}.{}.{}.{}", o[12], o[13], o[14], o[15])
    } else {
        write!(w, "{a}")
    }
}

/// An address value as the Source/Destination columns show it.
pub(crate) fn write_address(w: &mut impl fmt::Write, v: &Value) -> fmt::Result {
    match v {
        Value::Mac(m) => write_mac(w, m),
        Value::Ipv4(a) => write!(w, "{a}"),
        Value::Ipv6(a) => write_ipv6(w, a),
        _ => Ok(()),
    }
}

/// A field's value in the detail tree: the decoder's display text when it gave one, else the
/// value itself. Flags read `Set`/`Not set` like Wireshark's bit lines; the few words a value
/// brings of its own are translated.
pub(crate) fn write_value(buf: &mut Vec<u8>, v: &Value, masked: bool, lang: Lang) {
    match v {
        Value::Bool(b) => {
            let t = match (masked, *b) {
                (true, true) => words::SET,
                (true, false) => words::NOT_SET,
                (false, true) => words::TRUE,
                (false, false) => words::FALSE,
            };
            push(buf, t.get(lang));
        }
        Value::Enum { value, name: None } => out!(buf, "{} ({value})", words::UNKNOWN.get(lang)),
        Value::Enum { value, name: Some(n) } => {
            push_escaped(buf, n);
            out!(buf, " ({value})");
        }
        Value::Text(s) => push_packet_text(buf, s),
        Value::Ipv6(a) => {
            let mut s = Short::new();
            let _ = write_ipv6(&mut s, a);
            push(buf, s.as_str());
        }
        other => {
            let start = buf.len();
            let _ = write!(buf, "{other}");
            // Display of numbers, addresses and hex is plain ASCII; re-check anyway so a future
            // value type cannot slip a control byte through.
            if buf[start..].iter().any(|&b| b < 0x20 || b == 0x7f) {
                let s = String::from_utf8_lossy(&buf[start..]).into_owned();
                buf.truncate(start);
                push_escaped(buf, &s);
            }
        }
    }
}

/// A byte range as the tree and the hexdump legend write it: inclusive, `bytes 14–33`, or
/// `byte 14` for a single byte.
pub(crate) fn write_range(buf: &mut Vec<u8>, r: &std::ops::Range<usize>, lang: Lang) {
    if r.end.saturating_sub(r.start) == 1 {
        out!(buf, "{} {}", words::BYTE.get(lang), r.start);
    } else {
        out!(buf, "{} {}–{}", words::BYTES.get(lang), r.start, r.end.saturating_sub(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write as _;

    #[test]
    fn widths_count_chinese_as_two_columns() {
        assert_eq!(display_width("Source"), 6);
        assert_eq!(display_width("源地址"), 6);
        assert_eq!(display_width("第 3 层"), 7);
    }

    #[test]
    fn short_refuses_overflow_instead_of_panicking() {
        let mut s = Short::new();
        assert!(s.write_str(&"x".repeat(64)).is_ok());
        assert!(s.write_str("y").is_err());
        assert_eq!(s.as_str().len(), 64);
    }

    #[test]
    fn ipv6_text_matches_tshark() {
        // Pairs checked with tshark 4.0 -T fields on the same addresses.
        for (input, tshark) in [
            ("::ffff:10.77.0.2", "::ffff:10.77.0.2"),
            ("::1.2.3.4", "::1.2.3.4"),
            ("::ffff:0:1.2.3.4", "::ffff:0:102:304"),
            ("64:ff9b::1.2.3.4", "64:ff9b::102:304"),
            ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
            ("2001:db8:0:abcd:0:0:0:1", "2001:db8:0:abcd::1"),
            ("::", "::"),
            ("::1", "::1"),
            ("fd77::1", "fd77::1"),
        ] {
            let a: Ipv6Addr = input.parse().unwrap();
            let mut s = Short::new();
            write_ipv6(&mut s, &a).unwrap();
            assert_eq!(s.as_str(), tshark, "{input}");
        }
    }

    #[test]
    fn ranges_are_inclusive() {
        let mut b = Vec::new();
        write_range(&mut b, &(14..34), Lang::En);
        b.push(b' ');
        write_range(&mut b, &(22..23), Lang::Zh);
        assert_eq!(String::from_utf8(b).unwrap(), "bytes 14–33 字节 22");
    }
}
