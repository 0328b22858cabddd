//! The hexdump (`-x`): 16 bytes a line, each byte in the colour of the innermost layer it
//! belongs to, under a legend naming every layer with its colour and byte range.
//!
//! Without colour, the legend gives each layer a letter and a marker line under a hex line
//! shows where a layer's bytes begin (`^b` under the first byte of layer b, and again wherever
//! an outer layer resumes after an inner one, as Ethernet padding resumes the frame):
//!
//! ```text
//! Frame 1: 47 bytes captured
//!   a=Ethernet II [bytes 0–13]  b=IPv4 [bytes 14–33]  c=UDP [bytes 34–41]  d=Data [bytes 42–46]
//! 0000  02 77 00 00 00 0b 02 77 00 00 00 0a 08 00 45 00   .w.....w......E.
//!       ^a                                        ^b
//! 0010  00 21 00 01 00 00 40 11 66 2f 0a 4d 00 01 0a 4d   .!....@.f/.M...M
//! 0020  00 02 13 88 1f 91 00 0d 74 4c 68 65 6c 6c 6f      ........tLhello
//!             ^c                      ^d
//! ```
//!
//! A byte that no layer claims is marked `-` (colour off) or left plain (colour on).
//!
//! When the frame completed an IP datagram, `data` goes on past the frame's captured bytes with
//! the reassembled payload, and the layers decoded from it have ranges there (one address space,
//! frame first). Those bytes get a block of their own, as Wireshark's "Reassembled IPv4" tab:
//! offsets and legend ranges count from the start of the payload.

use anstyle::Style;
use netlayers_core::{escape, Lang, Layer};

use crate::words;
use crate::write::{push, push_escaped, spaces, start_style, end_style, out, write_range};
use crate::{layer_style, FrameView};

const PER_LINE: usize = 16;

/// The hexdump of one frame, with its legend, ending with a blank line. `data` is the captured
/// frame the layers' ranges point into, followed by the reassembled payload if there is one.
pub fn hexdump(buf: &mut Vec<u8>, view: &FrameView<'_>, data: &[u8], lang: Lang, color: bool) {
    let cap = view.cap_len.min(data.len());
    words::frame_captured(buf, view.number, cap, lang);
    buf.push(b'\n');
    block(buf, view.layers, data, 0..cap, lang, color);
    if data.len() > cap {
        // The IP layer that lists the fragments names the reassembled data, as Wireshark does.
        let ip = view.layers.iter().rev().find(|l| l.depth == 0 && matches!(l.protocol, "ip" | "ipv6") && l.range.start < cap);
        words::reassembled_data(buf, ip.map_or("IP", |l| l.display_name), data.len() - cap, lang);
        buf.push(b'\n');
        block(buf, view.layers, data, cap..data.len(), lang, color);
    }
    buf.push(b'\n');
}

/// The legend and hex lines of the bytes `span` of `data` (offsets counted from its start).
fn block(buf: &mut Vec<u8>, layers: &[Layer], data: &[u8], span: std::ops::Range<usize>, lang: Lang, color: bool) {
    let base = span.start;
    let data = data.get(span.clone()).unwrap_or(&[]);
    // Which layer each byte belongs to: the innermost (last decoded) layer whose range holds it.
    let owner: Vec<Option<usize>> =
        (0..data.len()).map(|b| layers.iter().rposition(|l| l.range.contains(&(base + b)))).collect();
    let mut owns = vec![false; layers.len()];
    for o in owner.iter().flatten() {
        owns[*o] = true;
    }
    // Letters for the layers that own bytes, in legend order.
    let mut letters: Vec<Option<char>> = vec![None; layers.len()];
    for (n, (i, _)) in owns.iter().enumerate().filter(|(_, o)| **o).enumerate() {
        letters[i] = Some(letter(n));
    }
    let style = |o: Option<usize>| o.map_or(Style::new(), |i| layer_style(layers, i));
    let mark = |o: Option<usize>| o.and_then(|i| letters.get(i).copied().flatten()).unwrap_or('-');

    legend(buf, layers, &letters, base, owner.contains(&None), lang, color);

    let width = offset_width(data.len());
    for (line_no, chunk) in data.chunks(PER_LINE).enumerate() {
        let start = line_no * PER_LINE;
        out!(buf, "{:0width$x}  ", start);
        let mut current = Style::new();
        for (k, b) in chunk.iter().enumerate() {
            let s = if color { style(owner[start + k]) } else { Style::new() };
            if s != current {
                end_style(buf, current, color);
            }
            if k > 0 {
                buf.push(b' ');
            }
            if s != current {
                start_style(buf, s, color);
                current = s;
            }
            out!(buf, "{b:02x}");
        }
        end_style(buf, current, color);
        spaces(buf, (PER_LINE - chunk.len()) * 3 + 3);
        let ascii = escape::ascii_column(chunk);
        let mut current = Style::new();
        for (k, c) in ascii.bytes().enumerate() {
            let s = if color { style(owner.get(start + k).copied().flatten()) } else { Style::new() };
            if s != current {
                end_style(buf, current, color);
                start_style(buf, s, color);
                current = s;
            }
            buf.push(c);
        }
        end_style(buf, current, color);
        buf.push(b'\n');

        if !color {
            boundaries(buf, &owner, start, chunk.len(), width, &mark);
        }
    }
}

/// The marker line under a hex line: `^x` under each byte where the owning layer changes.
fn boundaries(
    buf: &mut Vec<u8>,
    owner: &[Option<usize>],
    start: usize,
    len: usize,
    width: usize,
    mark: &dyn Fn(Option<usize>) -> char,
) {
    let changes = |b: usize| b == 0 || owner.get(b - 1) != owner.get(b);
    if !(start..start + len).any(changes) {
        return;
    }
    spaces(buf, width + 2);
    let mut pending = 0;
    for b in start..start + len {
        if changes(b) {
            spaces(buf, pending);
            pending = 0;
            buf.push(b'^');
            let mut tmp = [0u8; 4];
            push(buf, mark(owner.get(b).copied().flatten()).encode_utf8(&mut tmp));
            pending += 1;
        } else {
            pending += 3;
        }
    }
    buf.push(b'\n');
}

/// The layers that own bytes of a block, with their ranges counted from the block's start `base`.
fn legend(buf: &mut Vec<u8>, layers: &[Layer], letters: &[Option<char>], base: usize, unowned: bool, lang: Lang, color: bool) {
    for (i, layer) in layers.iter().enumerate() {
        let Some(letter) = letters.get(i).copied().flatten() else { continue };
        buf.push(b' ');
        buf.push(b' ');
        let style = layer_style(layers, i);
        if !color {
            out!(buf, "{letter}=");
        }
        start_style(buf, style, color);
        push_escaped(buf, layer.display_name);
        if layer.depth > 0 {
            out!(buf, " ({})", words::QUOTED.get(lang));
        }
        end_style(buf, style, color);
        push(buf, " [");
        let r = &layer.range;
        write_range(buf, &(r.start.saturating_sub(base)..r.end.saturating_sub(base)), lang);
        buf.push(b']');
    }
    if unowned && !color {
        out!(buf, "  -={}", words::OUTSIDE.get(lang));
    }
    buf.push(b'\n');
}

/// a–z, then A–Z, then digits: enough for any frame the stack lets through (it stops at 32
/// layers); beyond that `?`.
fn letter(n: usize) -> char {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    ALPHABET.get(n).map_or('?', |&c| c as char)
}

/// Four hex digits as tshark prints, more for frames past 64 KiB.
fn offset_width(len: usize) -> usize {
    let last = len.saturating_sub(1);
    let digits = (usize::BITS - last.leading_zeros()).div_ceil(4) as usize;
    digits.max(4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_widen_past_64k() {
        assert_eq!(offset_width(0), 4);
        assert_eq!(offset_width(0x10000), 4);
        assert_eq!(offset_width(0x10001), 5);
    }

    #[test]
    fn letters_never_run_out() {
        assert_eq!(letter(0), 'a');
        assert_eq!(letter(26), 'A');
        assert_eq!(letter(1000), '?');
    }
}
