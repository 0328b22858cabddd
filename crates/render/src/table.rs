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
}

/// One row of the packet list without colour, from columns a caller found without building
/// the frame's layers (the packet list's fast path): byte for byte what [`table_row`] writes
/// for the same columns.
pub fn plain_row(buf: &mut Vec<u8>, cols: &Columns<'_>) {
    row(buf, cols, Default::default(), false);
}

fn row(buf: &mut Vec<u8>, c: &Columns<'_>, (proto_style, info_style): (anstyle::Style, anstyle::Style), color: bool) {
    out!(buf, "{:>NO_W$} {:>TIME_W$.6} ", c.number, c.rel_time);

    let mut addr = Short::new();
    if let Some(v) = c.source {
        let _ = write_address(&mut addr, v);
    }
    pad_left(buf, addr.as_str(), ADDR_W);
    push(buf, " → ");
    let mut addr = Short::new();
    if let Some(v) = c.destination {
        let _ = write_address(&mut addr, v);
    }
    push(buf, addr.as_str());
    pad_after(buf, addr.as_str(), ADDR_W);
    buf.push(b' ');

    start_style(buf, proto_style, color);
    push_escaped(buf, c.protocol);
    end_style(buf, proto_style, color);
    pad_after(buf, c.protocol, PROTO_W);
    out!(buf, " {:>LEN_W$}", c.orig_len);

    if !c.info.is_empty() {
        buf.push(b' ');
        start_style(buf, info_style, color);
        push_escaped(buf, c.info);
        end_style(buf, info_style, color);
    }
    buf.push(b'\n');
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
