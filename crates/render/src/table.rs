//! The packet list: one line per frame, in the spirit of `tshark -r FILE -n`.
//!
//! ```text
//!   No.       Time          Source   Destination     Protocol Length Info
//!     1   0.000000       10.77.0.1 → 10.77.0.2       UDP          47 5000 → 8081 Len=5
//! ```
//!
//! Columns have fixed widths so the list streams (no frame is seen before it is printed); a
//! wider value (an IPv6 address, a MAC) pushes the rest of its line right, as in tshark.

use netlayers_core::text::{ipv4_into, ipv4_len};
use netlayers_core::{Lang, Severity, Value};

use crate::color::{severity_style, HEADING};
use crate::words;
use crate::write::{pad_after, pad_left, push, push_escaped, spaces, start_style, end_style, out, write_address, Short};
use crate::{layer_style, FrameView};

const NO_W: usize = 5;
const TIME_W: usize = 10;
const ADDR_W: usize = 15;
const PROTO_W: usize = 8;
const LEN_W: usize = 6;

/// The heading line of the packet list, in the user's language. Printed once, before the rows.
pub fn table_header(buf: &mut Vec<u8>, lang: Lang, color: bool) {
    start_style(buf, HEADING, color);
    pad_left(buf, words::COL_NO.get(lang), NO_W);
    buf.push(b' ');
    pad_left(buf, words::COL_TIME.get(lang), TIME_W);
    buf.push(b' ');
    pad_left(buf, words::COL_SOURCE.get(lang), ADDR_W);
    // Under the ` → ` of the rows.
    spaces(buf, 3);
    let dst = words::COL_DESTINATION.get(lang);
    push(buf, dst);
    pad_after(buf, dst, ADDR_W);
    buf.push(b' ');
    let proto = words::COL_PROTOCOL.get(lang);
    push(buf, proto);
    pad_after(buf, proto, PROTO_W);
    buf.push(b' ');
    pad_left(buf, words::COL_LENGTH.get(lang), LEN_W);
    buf.push(b' ');
    push(buf, words::COL_INFO.get(lang));
    end_style(buf, HEADING, color);
    buf.push(b'\n');
}

/// One frame as one line of the packet list. The row holds no words of its own, so it needs no
/// language; Info is the decoders' text, escaped.
///
/// With colour on, the Protocol column takes its layer's colour and the Info text the colour of
/// the worst expert note in the frame (warning or error), so a bad checksum stands out.
pub fn table_row(buf: &mut Vec<u8>, view: &FrameView<'_>, color: bool) {
    let proto = view.protocol_layer();
    let name = view.protocol();
    let proto_style = proto
        .and_then(|l| view.layers.iter().position(|x| std::ptr::eq(x, l)))
        .map(|i| layer_style(view.layers, i))
        .unwrap_or_default();
    let info = view.info();
    let info_style = if color { worst_severity(view).map(severity_style).unwrap_or_default() } else { Default::default() };
    let cols = Columns {
        number: view.number,
        rel_time: view.rel_time,
        source: view.source(),
        destination: view.destination(),
        protocol: &name,
        orig_len: view.orig_len,
        info: &info,
        info_plain: false,
        addresses: None,
    };
    row(buf, &cols, (proto_style, info_style), color);
}

/// The packet list's columns of one frame, however they were found.
#[derive(Debug, Clone, Copy)]
pub struct Columns<'a> {
    pub number: u64,
    /// Seconds since the first frame.
    pub rel_time: f64,
    pub source: Option<&'a Value>,
    pub destination: Option<&'a Value>,
    pub protocol: &'a str,
    pub orig_len: u32,
    /// Info text as the decoders wrote it (escaped here).
    pub info: &'a str,
    /// Info holds only words and numbers of netlayers' own making, no text from a packet, so
    /// there is nothing to escape (the fast path's TCP and UDP rows).
    pub info_plain: bool,
    /// Source and Destination as [`address_columns`] wrote them (ahead, on the thread that
    /// reads the capture), used instead of `source` and `destination`.
    pub addresses: Option<&'a [u8]>,
}

/// The Source and Destination columns of a row (`   10.0.0.1 → 10.0.0.2       `, padded as
/// the row pads them), for a caller that writes them before the rest of the row: `false`, and
/// nothing written, for what a row writes piece by piece (not an IP or MAC address).
pub fn address_columns(out: &mut Vec<u8>, source: &Value, destination: &Value) -> bool {
    let mut h = Head { b: [b' '; HEAD_CAP], n: 0 };
    if h.addresses(Some(source), Some(destination)).is_none() {
        return false;
    }
    out.extend_from_slice(h.as_bytes());
    true
}

/// One row of the packet list without colour, from columns a caller found without building
/// the frame's layers (the packet list's fast path): byte for byte what [`table_row`] writes
/// for the same columns.
pub fn plain_row(buf: &mut Vec<u8>, cols: &Columns<'_>) {
    row(buf, cols, Default::default(), false);
}

fn row(buf: &mut Vec<u8>, c: &Columns<'_>, (proto_style, info_style): (anstyle::Style, anstyle::Style), color: bool) {
    if !color {
        if let Some(head) = Head::of(c) {
            buf.extend_from_slice(head.as_bytes());
            info_and_newline(buf, c, info_style, color);
            return;
        }
    }
    row_piecewise(buf, c, (proto_style, info_style), color);
}

/// [`row`] one column after the other: for colour, and for the values [`Head`] declines.
fn row_piecewise(buf: &mut Vec<u8>, c: &Columns<'_>, (proto_style, info_style): (anstyle::Style, anstyle::Style), color: bool) {
    right_aligned(buf, NO_W, |b| push_decimal(b, c.number));
    buf.push(b' ');
    push_seconds(buf, c.rel_time);
    buf.push(b' ');

    if let Some(a) = c.addresses {
        buf.extend_from_slice(a);
    } else {
        // Addresses are ASCII: their width is their length.
        right_aligned(buf, ADDR_W, |b| {
            if let Some(v) = c.source {
                write_address_fast(b, v);
            }
        });
        push(buf, " → ");
        let start = buf.len();
        if let Some(v) = c.destination {
            write_address_fast(buf, v);
        }
        spaces(buf, ADDR_W.saturating_sub(buf.len() - start));
    }
    buf.push(b' ');

    start_style(buf, proto_style, color);
    push_escaped(buf, c.protocol);
    end_style(buf, proto_style, color);
    pad_after(buf, c.protocol, PROTO_W);
    buf.push(b' ');
    right_aligned(buf, LEN_W, |b| push_decimal(b, u64::from(c.orig_len)));

    info_and_newline(buf, c, info_style, color);
}

/// The end of a row: a space and the Info text, if there is one, and the newline.
fn info_and_newline(buf: &mut Vec<u8>, c: &Columns<'_>, info_style: anstyle::Style, color: bool) {
    if !c.info.is_empty() {
        buf.push(b' ');
        start_style(buf, info_style, color);
        if c.info_plain {
            push(buf, c.info);
        } else {
            push_escaped(buf, c.info);
        }
        end_style(buf, info_style, color);
    }
    buf.push(b'\n');
}

/// The columns before Info (No. to Length) of a row without colour, built in a buffer on the
/// stack that starts as spaces: a right-aligned number is written in place, ending at its
/// column's edge, and padding costs nothing. The packet list writes millions of rows; piece by
/// piece (each number into its own buffer, then moved right, then copied) that was most of the
/// cost of a row. Only for the usual values: [`Head::of`] declines a Time that `format!` must
/// round, an address that is not IPv4, IPv6 or a MAC, a protocol name that is not short
/// printable ASCII; [`row`] writes those piece by piece, and both ways give the same bytes
/// (tested below).
struct Head {
    b: [u8; HEAD_CAP],
    n: usize,
}

/// No. (20 digits) + Time (13) + two addresses (39 each) + arrow (5) + Protocol (16) + Length
/// (10) + 4 spaces is 146.
const HEAD_CAP: usize = 160;
const PROTO_MAX: usize = 16;

impl Head {
    fn of(c: &Columns<'_>) -> Option<Head> {
        let us = netlayers_core::text::micros(c.rel_time)?;
        let proto = c.protocol.as_bytes();
        if proto.len() > PROTO_MAX || !proto.iter().all(|b| (0x20..0x7f).contains(b)) {
            return None;
        }
        let mut h = Head { b: [b' '; HEAD_CAP], n: 0 };
        h.right(c.number, NO_W);
        h.n += 1;
        // The Time column, `{:>10.6}`: whole seconds, a point and six digits of microseconds.
        let width = (netlayers_core::text::decimal_len(us / 1_000_000) + 7).max(TIME_W);
        let end = h.n + width;
        netlayers_core::text::fixed6_before(us, &mut h.b, end);
        h.n = end + 1;
        match c.addresses {
            Some(a) => h.text(a)?,
            None => h.addresses(c.source, c.destination)?,
        }
        h.n += 1;
        // Protocol (printable ASCII: nothing to escape, one column a byte), left-aligned.
        h.b[h.n..h.n + proto.len()].copy_from_slice(proto);
        h.n += proto.len().max(PROTO_W) + 1;
        h.right(u64::from(c.orig_len), LEN_W);
        Some(h)
    }

    fn as_bytes(&self) -> &[u8] {
        &self.b[..self.n]
    }

    /// Source, right-aligned; the arrow; Destination, left-aligned.
    fn addresses(&mut self, source: Option<&Value>, destination: Option<&Value>) -> Option<()> {
        self.address(source, ADDR_W, true)?;
        self.b[self.n + 1..self.n + 4].copy_from_slice("→".as_bytes());
        self.n += 5;
        self.address(destination, ADDR_W, false)
    }

    /// Text written before (by [`address_columns`]); `None` if it could not fit.
    fn text(&mut self, t: &[u8]) -> Option<()> {
        self.b.get_mut(self.n..self.n + t.len())?.copy_from_slice(t);
        self.n += t.len();
        Some(())
    }

    /// `v` right-aligned in `width` columns (a wider number pushes the rest right).
    fn right(&mut self, v: u64, width: usize) {
        let end = self.n + netlayers_core::text::decimal_len(v).max(width);
        netlayers_core::text::decimal_before(v, &mut self.b, end);
        self.n = end;
    }

    /// An address in `width` columns, right-aligned (Source) or left-aligned (Destination);
    /// `None` for what this buffer does not write (no address, or another kind of value).
    fn address(&mut self, v: Option<&Value>, width: usize, right: bool) -> Option<()> {
        let v = v?;
        // Only IPv6 goes through `fmt` (its text is measured before it is placed).
        let ipv6 = match v {
            Value::Ipv6(_) => {
                let mut text = Short::new();
                write_address(&mut text, v).ok()?;
                Some(text)
            }
            _ => None,
        };
        let len = match (v, &ipv6) {
            (Value::Ipv4(a), _) => ipv4_len(a),
            (Value::Mac(_), _) => 17,
            (_, Some(text)) => text.as_str().len(),
            _ => return None,
        };
        let pad = width.saturating_sub(len);
        if right {
            self.n += pad;
        }
        match (v, &ipv6) {
            (Value::Ipv4(a), _) => self.n = ipv4_into(&mut self.b, self.n, a),
            (Value::Mac(m), _) => {
                self.b[self.n..self.n + 17].copy_from_slice(&netlayers_core::text::mac_text(m));
                self.n += 17;
            }
            (_, Some(text)) => {
                self.b[self.n..self.n + len].copy_from_slice(text.as_str().as_bytes());
                self.n += len;
            }
            _ => return None,
        }
        if !right {
            self.n += pad;
        }
        Some(())
    }
}

/// What `write` appends (ASCII), right-aligned in `width` columns (wider pushes right).
fn right_aligned(buf: &mut Vec<u8>, width: usize, write: impl FnOnce(&mut Vec<u8>)) {
    let start = buf.len();
    write(buf);
    let n = buf.len() - start;
    if n < width {
        // Move the text right and fill in front of it (no per-byte insertion).
        let pad = width - n;
        buf.resize(start + width, b' ');
        buf.copy_within(start..start + n, start + pad);
        buf[start..start + pad].fill(b' ');
    }
}

/// `n` in decimal, without `fmt`.
fn push_decimal(buf: &mut Vec<u8>, n: u64) {
    buf.extend_from_slice(netlayers_core::text::decimal(n, &mut [0; 20]));
}

/// The Time column: `{:>10.6}` of the seconds, as `format!` writes it (without `fmt` when
/// [`netlayers_core::text::micros`] is sure of the rounding).
fn push_seconds(buf: &mut Vec<u8>, t: f64) {
    match netlayers_core::text::micros(t) {
        Some(us) => right_aligned(buf, TIME_W, |b| {
            let mut text = [0u8; 20];
            let start = netlayers_core::text::fixed6_before(us, &mut text, 20);
            b.extend_from_slice(&text[start..]);
        }),
        None => out!(buf, "{:>TIME_W$.6}", t),
    }
}

/// [`write_address`], with IPv4 (most rows) written without `fmt`.
fn write_address_fast(buf: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Ipv4(a) => {
            let mut text = [0u8; 17];
            let end = ipv4_into(&mut text, 0, a);
            buf.extend_from_slice(&text[..end]);
        }
        v => {
            let mut s = Short::new();
            let _ = write_address(&mut s, v);
            push(buf, s.as_str());
        }
    }
}

/// The most serious Warning or Error note anywhere in the frame.
fn worst_severity(view: &FrameView<'_>) -> Option<Severity> {
    let mut worst: Option<Severity> = None;
    let mut see = |s: Severity| {
        if s >= Severity::Warn && worst.is_none_or(|w| s > w) {
            worst = Some(s);
        }
    };
    for l in view.layers {
        l.notes.iter().for_each(|n| see(n.severity));
        l.walk(&mut |f| f.notes.iter().for_each(|n| see(n.severity)));
    }
    worst
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_time_column_is_what_format_writes() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut values = vec![0.0, 5e-7, 1.5e-6, 2.5e-6, 0.0000005, 1e-7, 999_999.999_999_5, 1e6, 3e9, -0.25, 0.1 + 0.2];
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Timestamps as captures have them: whole seconds and nanoseconds, and exact ties.
            let secs = (x >> 40) % 100_000;
            let nanos = (x % 1_000_000_000) as u32;
            let nanos = if x & 7 == 0 { nanos / 1000 * 1000 + 500 } else { nanos };
            values.push(secs as f64 + f64::from(nanos) / 1e9);
        }
        for t in values {
            let mut ours = Vec::new();
            push_seconds(&mut ours, t);
            assert_eq!(String::from_utf8_lossy(&ours), format!("{t:>10.6}"), "{t:e}");
        }
    }

    #[test]
    fn a_head_built_in_place_is_the_row_written_piece_by_piece() {
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let protocols = ["TCP", "HTTP", "ICMPv6", "DNS", "A-LONGER-NAME", "exactly-sixteen!", "seventeen-bytes!!", "", "bad\x1bname", "中文"];
        let mut taken = 0;
        for i in 0..50_000u64 {
            let r = next();
            let address = |r: u64| match r % 6 {
                0 => Some(Value::Ipv6(std::net::Ipv6Addr::from(u128::from(r) << (r % 64)))),
                1 => Some(Value::Mac([r as u8, (r >> 8) as u8, 2, 3, (r >> 16) as u8, 255])),
                2 => None,
                3 => Some(Value::UInt(r)),
                _ => Some(Value::Ipv4(std::net::Ipv4Addr::from((r >> (r % 32)) as u32))),
            };
            let (src, dst) = (address(r), address(next()));
            let number = match i % 4 {
                0 => i,
                1 => next(),
                _ => next() % 1_000_000,
            };
            let t = next();
            let rel_time = match t % 5 {
                0 => (t % 100_000) as f64 + 0.5e-6,
                1 => -((t % 1000) as f64),
                2 => (t % 2_000_000) as f64 + (t % 1_000_000) as f64 * 1e-6,
                _ => (t % 10_000_000) as f64 / 1e3 + (t % 977) as f64 * 1e-9,
            };
            let cols = Columns {
                number,
                rel_time,
                source: src.as_ref(),
                destination: dst.as_ref(),
                protocol: protocols[(r % protocols.len() as u64) as usize],
                orig_len: next() as u32 >> (next() % 32),
                info: "80 \u{2192} 443 [ACK]",
                info_plain: i % 2 == 0,
                addresses: None,
            };
            let (mut fast, mut piecewise) = (Vec::new(), Vec::new());
            row(&mut fast, &cols, Default::default(), false);
            row_piecewise(&mut piecewise, &cols, Default::default(), false);
            assert_eq!(String::from_utf8_lossy(&fast), String::from_utf8_lossy(&piecewise), "{cols:?}");
            // With the addresses written before, by either writer.
            let mut ahead = Vec::new();
            if let (Some(s), Some(d)) = (cols.source, cols.destination) {
                if address_columns(&mut ahead, s, d) {
                    let cols = Columns { addresses: Some(&ahead), ..cols };
                    for color in [false, true] {
                        let mut with = Vec::new();
                        row(&mut with, &cols, Default::default(), color);
                        assert_eq!(String::from_utf8_lossy(&with), String::from_utf8_lossy(&piecewise), "{cols:?}");
                    }
                }
            }
            taken += usize::from(Head::of(&cols).is_some());
        }
        // Most of these were written by the head (the test tests it), not all (nor the fallback).
        assert!((5_000..45_000).contains(&taken), "{taken}");
    }

    #[test]
    fn numbers_and_addresses_are_what_format_writes() {
        for n in [0u64, 7, 10, 99_999, 100_000, u64::MAX] {
            let mut s = Vec::new();
            push_decimal(&mut s, n);
            assert_eq!(String::from_utf8_lossy(&s), n.to_string());
        }
        for a in [[0, 0, 0, 0], [10, 77, 1, 151], [255, 255, 255, 255], [192, 168, 100, 9]] {
            let mut s = Vec::new();
            write_address_fast(&mut s, &Value::Ipv4(a.into()));
            assert_eq!(String::from_utf8_lossy(&s), std::net::Ipv4Addr::from(a).to_string());
        }
        let mut s = b"x".to_vec();
        right_aligned(&mut s, 5, |b| b.extend_from_slice(b"ab"));
        assert_eq!(s, b"x   ab");
    }
}
