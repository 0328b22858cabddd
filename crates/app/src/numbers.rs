//! Numbers and addresses appended to Info and display text without `format!`: each decoded
//! frame writes several, and `format!` costs a formatter run and a fresh allocation for each.
//! The text is exactly what `{}`, `{:04x}` and `Ipv4Addr`'s `{}` write.

use std::net::Ipv4Addr;

use netlayers_core::text::{decimal, hex_pair};

/// `n` in decimal, as `{n}` writes it.
pub(crate) fn push_decimal(out: &mut String, n: impl Into<u64>) {
    for &d in decimal(n.into(), &mut [0; 20]) {
        out.push(char::from(d));
    }
}

/// `v` as four lowercase hex digits, as `{v:04x}` writes it (no `0x`).
pub(crate) fn push_hex4(out: &mut String, v: u16) {
    for b in v.to_be_bytes() {
        out.extend(hex_pair(b).map(char::from));
    }
}

/// A dotted IPv4 address, as `{a}` writes it.
pub(crate) fn push_ipv4(out: &mut String, a: Ipv4Addr) {
    for (i, octet) in a.octets().into_iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        push_decimal(out, octet);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A spread of values: every u16, and a xorshift walk over u64.
    fn values() -> impl Iterator<Item = u64> {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        (0..=u64::from(u16::MAX)).chain((0..20_000).map(move |_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x >> (x % 64)
        }))
    }

    #[test]
    fn decimals_match_format() {
        for n in values().chain([u64::MAX]) {
            let mut s = String::from("x");
            push_decimal(&mut s, n);
            assert_eq!(s, format!("x{n}"));
        }
    }

    #[test]
    fn hex_matches_format() {
        for v in 0..=u16::MAX {
            let mut s = String::from("x");
            push_hex4(&mut s, v);
            assert_eq!(s, format!("x{v:04x}"));
        }
    }

    #[test]
    fn ipv4_matches_display() {
        for n in values() {
            let a = Ipv4Addr::from(n as u32);
            let mut s = String::new();
            push_ipv4(&mut s, a);
            assert_eq!(s, a.to_string());
        }
    }
}
