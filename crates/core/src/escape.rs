//! Printing bytes from the network safely: no control character or escape sequence from a packet
//! ever reaches the terminal raw.

use std::borrow::Cow;
use std::fmt::Write;

/// Whether a character must be escaped before it reaches a terminal: C0/C1 controls, DEL, and the
/// Unicode bidirectional overrides that can make text read differently from what it is.
fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// A quick look at the bytes: `true` when no character of `s` can need escaping. Every such
/// character is encoded with a byte below 0x20, 0x7f, a 0xc2 lead (C1 controls) or 0xe2 0x80 /
/// 0xe2 0x81 (the bidi marks); text without those is clean. (The converse need not hold: the
/// caller checks character by character then.)
fn surely_clean(b: &[u8]) -> bool {
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            0..=0x1f | 0x7f | 0xc2 => return false,
            0xe2 if matches!(b.get(i + 1), Some(0x80 | 0x81)) => return false,
            _ => i += 1,
        }
    }
    true
}

/// Escapes a string taken from a packet: `\n`, `\r`, `\t`, `\\`, `\e` stay readable, other
/// controls become `\xNN` or `\u{NNNN}`.
pub fn text(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| needs_escape(c) || c == '\\') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        push_escaped(&mut out, c);
    }
    Cow::Owned(out)
}

/// Escapes only what could drive a terminal (controls, bidi overrides), leaving backslashes as
/// they are. For text a decoder already escaped with [`text`] or [`bytes`] (layer titles, Info):
/// running it again changes nothing, so a backslash is never doubled.
pub fn controls(s: &str) -> Cow<'_, str> {
    if surely_clean(s.as_bytes()) || !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if needs_escape(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\\' => out.push_str("\\\\"),
        '\x1b' => out.push_str("\\e"),
        c if needs_escape(c) => {
            if (c as u32) < 0x100 {
                let _ = write!(out, "\\x{:02x}", c as u32);
            } else {
                let _ = write!(out, "\\u{{{:04x}}}", c as u32);
            }
        }
        c => out.push(c),
    }
}

/// Bytes shown as text: valid UTF-8 runs as characters (escaped as [`text`] does), every invalid
/// byte as `\xNN`. Used for payload previews, HTTP headers and chat lines.
pub fn bytes(b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len());
    for chunk in b.utf8_chunks() {
        for c in chunk.valid().chars() {
            push_escaped(&mut out, c);
        }
        for byte in chunk.invalid() {
            let _ = write!(out, "\\x{byte:02x}");
        }
    }
    out
}

/// The printable-ASCII column of a hexdump: one character per byte, `.` for anything else.
pub fn ascii_column(b: &[u8]) -> String {
    b.iter().map(|&x| if (0x20..0x7f).contains(&x) { x as char } else { '.' }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quick_look_never_calls_text_clean_that_needs_escaping() {
        for c in (0..=0x3_0000u32).filter_map(char::from_u32) {
            let mut b = [0u8; 4];
            if needs_escape(c) {
                assert!(!surely_clean(c.encode_utf8(&mut b).as_bytes()), "U+{:04X}", c as u32);
            }
        }
        assert!(surely_clean("80 \u{2192} 443 [ACK] Seq=1 中文".as_bytes()));
    }
    #[test]
    fn escapes_terminal_controls() {
        assert_eq!(text("a\x1b[31mb"), "a\\e[31mb");
        assert_eq!(text("x\u{202e}y"), "x\\u{202e}y");
        assert_eq!(text("plain 中文"), "plain 中文");
        assert_eq!(bytes(b"hi\r\n\xff\x00"), "hi\\r\\n\\xff\\x00");
        assert_eq!(bytes("\u{9b}".as_bytes()), "\\x9b");
        assert_eq!(ascii_column(b"A\x00z\x7f"), "A.z.");
        // Already-escaped text passes through `controls` unchanged; raw controls are still caught.
        let once = text("a\\b\x1b");
        assert_eq!(controls(&once), once);
        assert_eq!(controls("x\x07y"), "x\\x07y");
    }
}
