//! The packet list: one line per frame, in the spirit of `tshark -r FILE -n`.
//!
//! ```text
//!   No.       Time          Source   Destination     Protocol Length Info
//!     1   0.000000       10.77.0.1 → 10.77.0.2       UDP          47 5000 → 8081 Len=5
//! ```
//!
//! Columns have fixed widths so the list streams (no frame is seen before it is printed); a
//! wider value (an IPv6 address, a MAC) pushes the rest of its line right, as in tshark.

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
}

/// One row of the packet list without colour, from columns a caller found without building
/// the frame's layers (the packet list's fast path): byte for byte what [`table_row`] writes
/// for the same columns.
pub fn plain_row(buf: &mut Vec<u8>, cols: &Columns<'_>) {
    row(buf, cols, Default::default(), false);
}

fn row(buf: &mut Vec<u8>, c: &Columns<'_>, (proto_style, info_style): (anstyle::Style, anstyle::Style), color: bool) {
    right_aligned(buf, NO_W, |b| push_decimal(b, c.number));
    buf.push(b' ');
    push_seconds(buf, c.rel_time);
    buf.push(b' ');

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
    buf.push(b' ');

    start_style(buf, proto_style, color);
    push_escaped(buf, c.protocol);
    end_style(buf, proto_style, color);
    pad_after(buf, c.protocol, PROTO_W);
    buf.push(b' ');
    right_aligned(buf, LEN_W, |b| push_decimal(b, u64::from(c.orig_len)));

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

/// The Time column: `{:>10.6}` of the seconds, as `format!` writes it. When the value is not
/// within a hair of a rounding tie, its microseconds are the rounded product and are written
/// directly; otherwise (and for negative or huge values) `format!` decides.
fn push_seconds(buf: &mut Vec<u8>, t: f64) {
    let us = t * 1e6;
    if (0.0..1e12).contains(&us) && ((us - us.floor()) - 0.5).abs() > 1e-3 {
        let us = us.round() as u64;
        right_aligned(buf, TIME_W, |b| {
            push_decimal(b, us / 1_000_000);
            let mut f = [b'.', b'0', b'0', b'0', b'0', b'0', b'0'];
            let mut x = us % 1_000_000;
            for d in f[1..].iter_mut().rev() {
                *d = b'0' + (x % 10) as u8;
                x /= 10;
            }
            b.extend_from_slice(&f);
        });
    } else {
        out!(buf, "{:>TIME_W$.6}", t);
    }
}

/// [`write_address`], with IPv4 (most rows) written without `fmt`.
fn write_address_fast(buf: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Ipv4(a) => {
            for (i, o) in a.octets().iter().enumerate() {
                if i > 0 {
                    buf.push(b'.');
                }
                push_decimal(buf, u64::from(*o));
            }
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
