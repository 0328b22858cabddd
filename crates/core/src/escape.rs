//! Printing bytes from the network safely: no control character or escape sequence from a packet
//! ever reaches the terminal raw.

use std::borrow::Cow;
use std::fmt::Write;

/// Whether a character must be escaped before it reaches a terminal: C0/C1 controls, DEL, and the
/// Unicode bidirectional overrides that can make text read differently from what it is.
fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Whether no character of `s` needs escaping, read from its UTF-8 bytes instead of decoding
/// characters (a tree writes a hundred texts per frame). Every character [`needs_escape`] names
/// is encoded as one of: a byte below 0x20, 0x7f (C0 controls, DEL); 0xc2 0x80..=0x9f (C1
/// controls, U+0080..U+009F); 0xe2 0x80 0x8e/0x8f (U+200E, U+200F), 0xe2 0x80 0xaa..=0xae
/// (U+202A..U+202E) or 0xe2 0x81 0xa6..=0xa9 (U+2066..U+2069). A `str` is valid UTF-8, so these
/// bytes are never the middle of another character, and the answer is exact.
fn clean(s: &str) -> bool {
    let b = s.as_bytes();
    // Mostly printable ASCII: one pass the compiler can do many bytes at a time (no early exit).
    if b.iter().fold(true, |all, &x| all & (0x20..0x7f).contains(&x)) {
        return true;
    }
    for (i, &x) in b.iter().enumerate() {
        let next = |n: usize| b.get(i + n).copied().unwrap_or(0);
        let bad = match x {
            0..=0x1f | 0x7f => true,
            0xc2 => (0x80..=0x9f).contains(&next(1)),
            0xe2 => matches!((next(1), next(2)), (0x80, 0x8e | 0x8f | 0xaa..=0xae) | (0x81, 0xa6..=0xa9)),
            _ => false,
        };
        if bad {
            return false;
        }
    }
    true
}

/// Escapes a string taken from a packet: `\n`, `\r`, `\t`, `\\`, `\e` stay readable, other
/// controls become `\xNN` or `\u{NNNN}`.
pub fn text(s: &str) -> Cow<'_, str> {
    if clean(s) && !s.as_bytes().contains(&b'\\') {
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
    if clean(s) {
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

    /// `text` and `controls` as they were before [`clean`]: a character loop over every string.
    fn text_by_chars(s: &str) -> Cow<'_, str> {
        if !s.chars().any(|c| needs_escape(c) || c == '\\') {
            return Cow::Borrowed(s);
        }
        Cow::Owned(s.chars().fold(String::new(), |mut out, c| {
            push_escaped(&mut out, c);
            out
        }))
    }
    fn controls_by_chars(s: &str) -> Cow<'_, str> {
        if !s.chars().any(needs_escape) {
            return Cow::Borrowed(s);
        }
        let mut out = String::new();
        for c in s.chars() {
            if needs_escape(c) {
                push_escaped(&mut out, c);
            } else {
                out.push(c);
            }
        }
        Cow::Owned(out)
    }
    fn same_as_by_chars(s: &str) {
        assert_eq!(clean(s), !s.chars().any(needs_escape), "{s:?}");
        let (t, c) = (text(s), controls(s));
        assert_eq!(t, text_by_chars(s), "{s:?}");
        assert_eq!(c, controls_by_chars(s), "{s:?}");
        // Borrowed exactly when nothing changed.
        assert_eq!(matches!(t, Cow::Borrowed(_)), matches!(text_by_chars(s), Cow::Borrowed(_)), "{s:?}");
        assert_eq!(matches!(c, Cow::Borrowed(_)), matches!(controls_by_chars(s), Cow::Borrowed(_)), "{s:?}");
    }

    #[test]
    fn the_byte_check_agrees_with_the_character_loop() {
        // Every character, alone and between others (the byte check looks two bytes ahead).
        for c in (0..=0x10_ffffu32).filter_map(char::from_u32) {
            same_as_by_chars(&c.to_string());
            if c as u32 <= 0x3_0000 {
                same_as_by_chars(&format!("ab{c}\u{e2}{c}cd"));
            }
        }
        // Random byte strings (lossily made valid), biased towards the bytes that matter.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        const INTERESTING: &[u8] = &[0x00, 0x1b, 0x1f, 0x20, 0x5c, 0x7e, 0x7f, 0x80, 0x81, 0x8e, 0x8f, 0x9f, 0xa0, 0xa6, 0xa9, 0xaa, 0xae, 0xaf, 0xc2, 0xc3, 0xe2, 0xe3];
        for _ in 0..200_000 {
            let len = (next() % 40) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    let r = next();
                    if r % 3 == 0 { INTERESTING[(r >> 8) as usize % INTERESTING.len()] } else { (r >> 16) as u8 }
                })
                .collect();
            same_as_by_chars(&String::from_utf8_lossy(&bytes));
            if let Ok(s) = std::str::from_utf8(&bytes) {
                same_as_by_chars(s);
            }
        }
        for s in ["", "plain ascii", "80 \u{2192} 443 [ACK] Seq=1 中文", "··········S·", "[bytes 0\u{2013}53]", "a\\b", "x\u{202e}y", "\u{85}", "\u{a0}"] {
            same_as_by_chars(s);
        }
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
