//! The detail tree (`-V`): each layer as a section headed by its place in the five-layer model,
//! every field with its value, its bits and the bytes it came from.
//!
//! ```text
//! [Layer 3 · Network] Internet Protocol Version 4, Src: 10.77.0.1, Dst: 10.77.0.2  [bytes 14–33]
//!     0100 .... = Version: 4  [byte 14]
//!     .... 0101 = Header Length: 20 bytes (5)  [byte 14]
//!     Header Checksum: 0x662f  [bytes 24–25]
//!         [Checksum Status: Bad]
//!             [Expert Info (Error): Bad checksum: 0x662f, should be 0x662e]
//! ```
//!
//! Byte ranges are absolute offsets in the frame, inclusive (`[bytes 14–33]`, `[byte 14]`), the
//! same numbers the hexdump's offset column counts. Fields not on the wire are in brackets, as in
//! Wireshark. A packet quoted inside an ICMP error is indented under the layer that quotes it.
//!
//! On the frame that completed an IP datagram, `data` goes on past the frame's captured bytes
//! with the reassembled payload, and the layers decoded from it have ranges there. Those ranges
//! are shown from the start of the payload, `[reassembled bytes 0–7]`, like the hexdump's
//! block of the reassembled data.

use netlayers_core::{Field, Lang, Layer, Note};

use crate::color::{severity_style, HEADING, QUIET};
use crate::words;
use crate::write::{push, push_escaped, spaces, start_style, end_style, write_range, write_value, out};
use crate::{layer_style, FrameView};

const INDENT: usize = 4;

/// The detail tree of one frame, ending with a blank line. `data` is the captured frame (the
/// bit lines of sub-byte fields are read from it); `explain` adds each field's explanation
/// for students under it.
pub fn tree(buf: &mut Vec<u8>, view: &FrameView<'_>, data: &[u8], lang: Lang, explain: bool, color: bool) {
    let r = Tree { buf, data, cap: view.cap_len, lang, explain, color };
    r.frame(view);
}

struct Tree<'b, 'd> {
    buf: &'b mut Vec<u8>,
    data: &'d [u8],
    /// Where the frame's bytes end in `data` (the reassembled payload, if any, follows).
    cap: usize,
    lang: Lang,
    explain: bool,
    color: bool,
}

impl Tree<'_, '_> {
    fn frame(mut self, view: &FrameView<'_>) {
        for (i, layer) in view.layers.iter().enumerate() {
            self.layer(layer, layer_style(view.layers, i));
        }
        self.buf.push(b'\n');
    }

    fn layer(&mut self, layer: &Layer, style: anstyle::Style) {
        let indent = usize::from(layer.depth) * INDENT;
        spaces(self.buf, indent);
        start_style(self.buf, style.bold(), self.color);
        self.buf.push(b'[');
        words::layer_place(self.buf, layer.kind, self.lang);
        if layer.depth > 0 {
            push(self.buf, " · ");
            push(self.buf, words::QUOTED.get(self.lang));
        }
        self.buf.push(b']');
        end_style(self.buf, style.bold(), self.color);
        self.buf.push(b' ');
        start_style(self.buf, HEADING, self.color);
        if layer.title.is_empty() {
            push_escaped(self.buf, layer.display_name);
        } else {
            push_escaped(self.buf, &layer.title);
        }
        end_style(self.buf, HEADING, self.color);
        self.range(&layer.range);
        self.buf.push(b'\n');

        for f in &layer.fields {
            self.field(f, indent + INDENT);
        }
        for n in &layer.notes {
            self.note(n, indent + INDENT);
        }
    }

    fn field(&mut self, f: &Field, indent: usize) {
        spaces(self.buf, indent);
        if f.generated {
            self.buf.push(b'[');
        }
        if let Some(mask) = f.mask {
            if self.bits(f, mask) {
                push(self.buf, " = ");
            }
        }
        push(self.buf, f.label(self.lang));
        match (&f.display, &f.value) {
            (Some(d), _) => {
                push(self.buf, ": ");
                push_escaped(self.buf, d);
            }
            (None, netlayers_core::Value::None) => {}
            (None, v) => {
                push(self.buf, ": ");
                write_value(self.buf, v, f.mask.is_some(), self.lang);
            }
        }
        if f.generated {
            self.buf.push(b']');
        }
        if !f.generated {
            self.range(&f.range);
        }
        self.buf.push(b'\n');

        if self.explain {
            let text = f.spec.explain.get(self.lang);
            if !text.is_empty() || f.generated {
                spaces(self.buf, indent + INDENT);
                start_style(self.buf, QUIET.italic(), self.color);
                push(self.buf, "↳ ");
                if f.generated {
                    self.buf.push(b'[');
                    push(self.buf, words::GENERATED.get(self.lang));
                    self.buf.push(b']');
                    if !text.is_empty() {
                        self.buf.push(b' ');
                    }
                }
                push_escaped(self.buf, text);
                end_style(self.buf, QUIET.italic(), self.color);
                self.buf.push(b'\n');
            }
        }
        for n in &f.notes {
            self.note(n, indent + INDENT);
        }
        for c in &f.children {
            self.field(c, indent + INDENT);
        }
    }

    /// Wireshark's bit picture (`.... ..1. = `) of a sub-byte field, read from the frame bytes so
    /// it shows the wire bits even when the value is in other units (IHL × 4, offset × 8).
    /// Returns false, writing nothing, when the bytes are not there to read.
    fn bits(&mut self, f: &Field, mask: u64) -> bool {
        let Some(bytes) = self.data.get(f.range.clone()) else { return false };
        if bytes.is_empty() || bytes.len() > 8 {
            return false;
        }
        let raw = bytes.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
        let n = bytes.len() * 8;
        for i in 0..n {
            if i > 0 && i % 4 == 0 {
                self.buf.push(b' ');
            }
            let bit = 1u64 << (n - 1 - i);
            self.buf.push(match (mask & bit != 0, raw & bit != 0) {
                (false, _) => b'.',
                (true, true) => b'1',
                (true, false) => b'0',
            });
        }
        true
    }

    fn range(&mut self, r: &std::ops::Range<usize>) {
        if r.is_empty() {
            return;
        }
        push(self.buf, "  ");
        start_style(self.buf, QUIET, self.color);
        self.buf.push(b'[');
        if self.data.len() > self.cap && r.start >= self.cap {
            let (start, last) = (r.start - self.cap, r.end.saturating_sub(1) - self.cap);
            if start == last {
                out!(self.buf, "{} {start}", words::REASSEMBLED_BYTE.get(self.lang));
            } else {
                out!(self.buf, "{} {start}–{last}", words::REASSEMBLED_BYTES.get(self.lang));
            }
        } else {
            write_range(self.buf, r, self.lang);
        }
        self.buf.push(b']');
        end_style(self.buf, QUIET, self.color);
    }

    fn note(&mut self, n: &Note, indent: usize) {
        spaces(self.buf, indent);
        let style = severity_style(n.severity);
        start_style(self.buf, style, self.color);
        out!(self.buf, "[{} ({}): ", words::EXPERT_INFO.get(self.lang), words::severity(n.severity).get(self.lang));
        push_escaped(self.buf, n.text.get(self.lang));
        self.buf.push(b']');
        end_style(self.buf, style, self.color);
        self.buf.push(b'\n');
    }
}
