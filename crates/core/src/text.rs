//! Bilingual text. Every heading and explanation exists in English and Simplified Chinese.

/// The language of headings and explanations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Zh,
}

impl Lang {
    /// Picks the language from `LC_ALL`, `LC_MESSAGES` or `LANG` (`zh_CN.UTF-8` → Chinese), as
    /// gettext does: the first one that is set and non-empty wins.
    pub fn from_env() -> Lang {
        for var in ["LC_ALL", "LC_MESSAGES", "LANG"] {
            if let Ok(v) = std::env::var(var) {
                if !v.is_empty() {
                    return Lang::from_locale(&v);
                }
            }
        }
        Lang::En
    }

    /// `zh`, `zh_CN.UTF-8`, `zh-Hans` → Chinese; anything else → English.
    pub fn from_locale(s: &str) -> Lang {
        if s.to_ascii_lowercase().starts_with("zh") {
            Lang::Zh
        } else {
            Lang::En
        }
    }
}

/// A static text in both languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Text {
    pub en: &'static str,
    pub zh: &'static str,
}

impl Text {
    pub const fn new(en: &'static str, zh: &'static str) -> Text {
        Text { en, zh }
    }
    pub fn get(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::En => self.en,
            Lang::Zh => self.zh,
        }
    }
}

/// A text made at run time (it holds values from the packet), in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedText {
    pub en: String,
    pub zh: String,
}

impl OwnedText {
    pub fn new(en: impl Into<String>, zh: impl Into<String>) -> OwnedText {
        OwnedText { en: en.into(), zh: zh.into() }
    }
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::Zh => &self.zh,
        }
    }
}

impl From<Text> for OwnedText {
    fn from(t: Text) -> OwnedText {
        OwnedText::new(t.en, t.zh)
    }
}

/// `n` in decimal ASCII digits, written into the end of `buf` (no `fmt`: the packet list
/// writes several numbers per frame, and `fmt` is slow at them).
pub fn decimal(n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let i = decimal_before(n, buf, 20);
    &buf[i..]
}

/// `n` in decimal ASCII digits written so that they end just before `buf[end]`; returns where
/// they start. For text built right to left, or a number right-aligned in place. Panics if
/// `buf[..end]` is shorter than the digits ([`decimal_len`] says how many).
#[inline]
pub fn decimal_before(mut n: u64, buf: &mut [u8], end: usize) -> usize {
    // Two digits at a time from a table, as itoa does.
    let mut i = end;
    while n >= 100 {
        i -= 2;
        buf[i..i + 2].copy_from_slice(&DIGIT_PAIRS[(n % 100) as usize]);
        n /= 100;
    }
    if n >= 10 {
        i -= 2;
        buf[i..i + 2].copy_from_slice(&DIGIT_PAIRS[n as usize]);
    } else {
        i -= 1;
        buf[i] = b'0' + n as u8;
    }
    i
}

/// How many decimal digits `n` has.
#[inline]
pub fn decimal_len(n: u64) -> usize {
    n.checked_ilog10().map_or(1, |l| l as usize + 1)
}

/// Appends `n` in decimal, as `{n}` writes it (Info and display text: each decoded frame
/// writes several numbers, and `format!` costs a formatter run and an allocation for each).
pub fn push_decimal(out: &mut String, n: impl Into<u64>) {
    for &d in decimal(n.into(), &mut [0; 20]) {
        out.push(char::from(d));
    }
}

/// Appends `v` as four lowercase hex digits, as `{v:04x}` writes it (no `0x`).
pub fn push_hex4(out: &mut String, v: u16) {
    for b in v.to_be_bytes() {
        out.extend(hex_pair(b).map(char::from));
    }
}

/// Appends a dotted IPv4 address, as `{a}` writes it.
pub fn push_ipv4(out: &mut String, a: std::net::Ipv4Addr) {
    let mut t = [0u8; 17];
    let end = ipv4_into(&mut t, 0, &a);
    out.push_str(std::str::from_utf8(&t[..end]).unwrap_or_default());
}

/// `x` in millionths, rounded as `{x:.6}` rounds it, when that is sure without `fmt`: the value
/// is not within a hair of a rounding tie (the product's error is far smaller than that), and
/// is neither negative, huge nor NaN. `None` otherwise: `format!` decides. Six decimals of
/// seconds are everywhere (the Time column, `stats`' start and duration), and `fmt`'s exact
/// float formatting is slow at them.
pub fn micros(x: f64) -> Option<u64> {
    let us = x * 1e6;
    ((0.0..1e12).contains(&us) && ((us - us.floor()) - 0.5).abs() > 1e-3).then(|| us.round() as u64)
}

/// Writes `us` millionths as `S.ffffff` so that it ends just before `buf[end]`, and returns
/// where it starts (at most 14 bytes for what [`micros`] gives).
pub fn fixed6_before(us: u64, buf: &mut [u8], end: usize) -> usize {
    // The millionths as the last six digits of 1ffffff (leading zeros kept), whose 1 becomes
    // the point.
    let point = decimal_before(us % 1_000_000 + 1_000_000, buf, end);
    buf[point] = b'.';
    decimal_before(us / 1_000_000, buf, point)
}

/// Appends `x` with six decimals, as `{x:.6}` writes it (see [`micros`]).
pub fn push_fixed6(out: &mut String, x: f64) {
    match micros(x) {
        Some(us) => {
            let mut t = [0u8; 20];
            let start = fixed6_before(us, &mut t, 20);
            out.push_str(std::str::from_utf8(&t[start..]).unwrap_or_default());
        }
        None => {
            use std::fmt::Write;
            let _ = write!(out, "{x:.6}");
        }
    }
}

/// A MAC address's text, `xx:xx:xx:xx:xx:xx` in lowercase, built on the stack (every view
/// writes them: [`crate::model::fmt_mac`], the packet list, NDJSON).
pub fn mac_text(m: &[u8; 6]) -> [u8; 17] {
    let mut t = [b':'; 17];
    for (i, &b) in m.iter().enumerate() {
        t[3 * i..3 * i + 2].copy_from_slice(&hex_pair(b));
    }
    t
}

/// Appends a MAC address as [`mac_text`] writes it.
pub fn push_mac(out: &mut String, m: &[u8; 6]) {
    out.push_str(std::str::from_utf8(&mac_text(m)).unwrap_or_default());
}

/// Each octet's decimal text: its length, then its digits (padded with spaces to three).
static OCTETS: [[u8; 4]; 256] = {
    let mut t = [[0u8; 4]; 256];
    let mut i = 0;
    while i < 256 {
        let (h, te, u) = ((i / 100) as u8, ((i / 10) % 10) as u8, (i % 10) as u8);
        t[i] = match i {
            0..=9 => [1, b'0' + u, b' ', b' '],
            10..=99 => [2, b'0' + te, b'0' + u, b' '],
            _ => [3, b'0' + h, b'0' + te, b'0' + u],
        };
        i += 1;
    }
    t
};

/// How long `a` is written dotted (7 to 15 bytes).
pub fn ipv4_len(a: &std::net::Ipv4Addr) -> usize {
    a.octets().iter().map(|&o| usize::from(OCTETS[usize::from(o)][0])).sum::<usize>() + 3
}

/// Writes `a` dotted, as `{a}` writes it, into `out` at `at`, which must have room for 17 bytes
/// (each octet is copied as three whatever its length: one move), and returns where it ends.
pub fn ipv4_into(out: &mut [u8], mut at: usize, a: &std::net::Ipv4Addr) -> usize {
    for (i, &o) in a.octets().iter().enumerate() {
        if i > 0 {
            out[at] = b'.';
            at += 1;
        }
        let [len, digits @ ..] = OCTETS[usize::from(o)];
        out[at..at + 3].copy_from_slice(&digits);
        at += usize::from(len);
    }
    at
}

/// `20 bytes (5)`: a header length in bytes and in 32-bit words (IPv4's and TCP's).
pub fn bytes_and_words(len: usize) -> String {
    let mut s = String::with_capacity(16);
    push_decimal(&mut s, len as u64);
    s.push_str(" bytes (");
    push_decimal(&mut s, (len / 4) as u64);
    s.push(')');
    s
}

/// "00", "01" … "99".
static DIGIT_PAIRS: [[u8; 2]; 100] = {
    let mut t = [[0u8; 2]; 100];
    let mut i = 0;
    while i < 100 {
        t[i] = [b'0' + (i / 10) as u8, b'0' + (i % 10) as u8];
        i += 1;
    }
    t
};

/// The two lowercase hex digits of `b` (a table: payloads of kilobytes are written in hex).
pub fn hex_pair(b: u8) -> [u8; 2] {
    HEX_PAIRS[usize::from(b)]
}

static HEX_PAIRS: [[u8; 2]; 256] = {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut t = [[0u8; 2]; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = [DIGITS[i >> 4], DIGITS[i & 0xf]];
        i += 1;
    }
    t
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_pairs_are_lowercase_digits() {
        for b in 0..=255u8 {
            assert_eq!(hex_pair(b), *format!("{b:02x}").as_bytes());
        }
    }
    #[test]
    fn decimals_are_what_to_string_writes() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let powers = (0..20).flat_map(|e| {
            let p = 10u64.pow(e);
            [p - 1, p, p + 1]
        });
        let randoms = (0..10_000).map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x >> (x % 64)
        });
        for n in (0..100_000).chain(powers).chain(randoms).chain([u64::MAX, u64::MAX - 1]) {
            assert_eq!(decimal(n, &mut [0; 20]), n.to_string().as_bytes(), "{n}");
            assert_eq!(decimal_len(n), n.to_string().len(), "{n}");
        }
    }

    #[test]
    fn appended_numbers_and_addresses_are_what_format_writes() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let walk = (0..20_000).map(move |_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x >> (x % 64)
        });
        for n in (0..=u64::from(u16::MAX)).chain(walk).chain([u64::MAX]) {
            let mut s = String::from("x");
            push_decimal(&mut s, n);
            assert_eq!(s, format!("x{n}"));
            let m: [u8; 6] = n.to_be_bytes()[2..].try_into().unwrap_or_default();
            let mut s = String::new();
            push_mac(&mut s, &m);
            let want = format!("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", m[0], m[1], m[2], m[3], m[4], m[5]);
            assert_eq!(s, want);
            assert_eq!(crate::model::fmt_mac(&m), want);
            let a = std::net::Ipv4Addr::from(n as u32);
            let mut s = String::new();
            push_ipv4(&mut s, a);
            assert_eq!(s, a.to_string());
        }
        for v in 0..=u16::MAX {
            let mut s = String::from("x");
            push_hex4(&mut s, v);
            assert_eq!(s, format!("x{v:04x}"));
        }
    }

    #[test]
    fn six_decimals_are_what_format_writes() {
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut values = vec![0.0, 5e-7, 1.5e-6, 2.5e-6, 1e-7, 999_999.999_999_5, 1e6, 3e9, 1e9 - 1e-7, -0.25, 0.1 + 0.2, 1e300, f64::NAN];
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let secs = (x >> 40) % 1_000_000_000;
            let nanos = (x % 1_000_000_000) as u32;
            let nanos = if x & 7 == 0 { nanos / 1000 * 1000 + 500 } else { nanos };
            values.push(secs as f64 + f64::from(nanos) / 1e9);
            values.push(f64::from(nanos) / 1e9);
        }
        for v in values {
            let mut s = String::from("x");
            push_fixed6(&mut s, v);
            assert_eq!(s, format!("x{v:.6}"), "{v:e}");
        }
    }

    #[test]
    fn header_lengths_read_in_bytes_and_words() {
        for len in 0..=64 {
            assert_eq!(bytes_and_words(len), format!("{len} bytes ({})", len / 4));
        }
    }

    #[test]
    fn locale_detection() {
        assert_eq!(Lang::from_locale("zh_CN.UTF-8"), Lang::Zh);
        assert_eq!(Lang::from_locale("ZH"), Lang::Zh);
        assert_eq!(Lang::from_locale("en_US.UTF-8"), Lang::En);
        assert_eq!(Lang::from_locale("C"), Lang::En);
    }
}
