//! Checksums: the Internet checksum (RFC 1071) and the Ethernet CRC-32.

use crate::handoff::PseudoHeader;
use std::net::IpAddr;

/// One's-complement sum of 16-bit big-endian words, not yet inverted. An odd last byte is
/// padded with a zero byte, as RFC 1071 says.
pub fn ones_sum(acc: u32, bytes: &[u8]) -> u32 {
    u32::from(fold(u64::from(acc) + u64::from(fold(le_sum(bytes)).swap_bytes())))
}

/// The sum of `bytes` read as little-endian 32-bit numbers (the last one to three bytes as
/// 16-bit numbers and a byte), not folded: its one's-complement fold is the byte-swapped sum of
/// the big-endian 16-bit words. RFC 1071 §2 shows why: "parallel summation" (any word size,
/// carries folded back in) and "byte order independence" (summing byte-swapped words gives the
/// byte-swapped sum, swapped back once by the caller instead of every word being swapped).
///
/// Sixteen bytes at a time into four sums that do not wait for each other, a loop the
/// compiler turns into vector additions (under half an instruction per byte). Below 2^64 for
/// any slice under 2^34 bytes.
fn le_sum(bytes: &[u8]) -> u64 {
    fn le32(b: &[u8]) -> u64 {
        let mut w = [0u8; 4];
        w.copy_from_slice(b);
        u64::from(u32::from_le_bytes(w))
    }
    let mut s = [0u64; 4];
    let mut blocks = bytes.chunks_exact(16);
    for c in &mut blocks {
        s[0] += le32(&c[0..4]);
        s[1] += le32(&c[4..8]);
        s[2] += le32(&c[8..12]);
        s[3] += le32(&c[12..16]);
    }
    let mut sum = s[0] + s[1] + s[2] + s[3];
    let mut words = blocks.remainder().chunks_exact(4);
    for c in &mut words {
        sum += le32(c);
    }
    let mut pairs = words.remainder().chunks_exact(2);
    for c in &mut pairs {
        sum += u64::from(u16::from_le_bytes([c[0], c[1]]));
    }
    if let [last] = pairs.remainder() {
        // The high byte of its big-endian word: the low byte of a little-endian one.
        sum += u64::from(*last);
    }
    sum
}

/// Folds the carries of a sum back in (end-around carry) down to 16 bits: zero only for zero.
fn fold(x: u64) -> u16 {
    let x = (x >> 32) + (x & 0xffff_ffff); // below 2^33
    let x = (x >> 16) + (x & 0xffff); // below 2^17 + 2^16
    let x = (x >> 16) + (x & 0xffff); // at most 0xffff + 2
    ((x >> 16) + (x & 0xffff)) as u16
}

/// Folds carries back in and inverts: the value a sender writes into the checksum field.
pub fn finish(acc: u32) -> u16 {
    !fold(u64::from(acc))
}

/// The Internet checksum of `bytes` (an IPv4 header, an ICMP message).
pub fn internet(bytes: &[u8]) -> u16 {
    !fold(le_sum(bytes)).swap_bytes()
}

/// The partial sum of a TCP/UDP/ICMPv6 pseudo-header, with `len` as the upper-layer length.
pub fn pseudo_sum(p: &PseudoHeader, len: usize) -> u32 {
    match (p.src, p.dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            let addrs = u64::from(u32::from_le_bytes(s.octets())) + u64::from(u32::from_le_bytes(d.octets()));
            u32::from(fold(addrs).swap_bytes()) + u32::from(p.protocol) + (len as u32 & 0xffff)
        }
        (s, d) => {
            let s6 = match s { IpAddr::V6(a) => a, IpAddr::V4(a) => a.to_ipv6_mapped() };
            let d6 = match d { IpAddr::V6(a) => a, IpAddr::V4(a) => a.to_ipv6_mapped() };
            let addrs = le_sum(&s6.octets()) + le_sum(&d6.octets());
            let l = len as u32;
            u32::from(fold(addrs).swap_bytes()) + (l >> 16) + (l & 0xffff) + u32::from(p.protocol)
        }
    }
}

/// The checksum a sender would write for a TCP/UDP/ICMPv6 segment whose checksum field is zero.
/// `segment` is the whole transport header and payload.
pub fn with_pseudo(p: &PseudoHeader, segment: &[u8]) -> u16 {
    finish(ones_sum(pseudo_sum(p, segment.len()), segment))
}

/// Whether a segment whose checksum field is filled in verifies (the sum folds to 0xffff).
pub fn verify_with_pseudo(p: &PseudoHeader, segment: &[u8]) -> bool {
    finish(ones_sum(pseudo_sum(p, segment.len()), segment)) == 0
}

/// IEEE 802.3 CRC-32 (the Ethernet FCS): reflected polynomial 0xEDB88320, init and final XOR
/// 0xFFFFFFFF. The FCS is sent least significant byte first.
pub fn crc32(bytes: &[u8]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut t = [0u32; 256];
        let mut i = 0;
        while i < 256 {
            let mut c = i as u32;
            let mut k = 0;
            while k < 8 {
                c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
                k += 1;
            }
            t[i] = c;
            i += 1;
        }
        t
    };
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc = TABLE[((crc ^ u32::from(b)) & 0xff) as usize] ^ (crc >> 8);
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    /// RFC 1071 word by word, to check the eight-byte sum against.
    fn by_words(acc: u32, bytes: &[u8]) -> u32 {
        let mut sum = u64::from(acc);
        for c in bytes.chunks(2) {
            sum += u64::from(c[0]) << 8 | u64::from(c.get(1).copied().unwrap_or(0));
        }
        while sum > 0xffff {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        sum as u32
    }

    #[test]
    fn four_bytes_at_a_time_sum_as_16_bit_words_do() {
        let mut x: u64 = 0x1234_5678_9abc_def1;
        for len in (0..80).chain([1499, 1500, 9000, 65_535]) {
            for acc in [0u32, 1, 0xffff, 0x1_fffe, 0xffff_0000] {
                let bytes: Vec<u8> = (0..len)
                    .map(|_| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        if x.is_multiple_of(7) { 0xff } else { x as u8 }
                    })
                    .collect();
                assert_eq!(ones_sum(acc, &bytes), by_words(acc, &bytes), "len {len} acc {acc:#x}");
            }
        }
        for len in [0, 1, 2, 31, 32, 33, 4096] {
            for acc in [0u32, 0xffff, 0x1_0000] {
                for b in [0x00, 0x01, 0x80, 0xff] {
                    let bytes = vec![b; len];
                    assert_eq!(ones_sum(acc, &bytes), by_words(acc, &bytes), "{len} bytes of {b:#x}, acc {acc:#x}");
                }
            }
        }
    }

    #[test]
    fn rfc1071_example() {
        // RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2 (before inversion).
        let b = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(internet(&b), !0xddf2);
    }

    #[test]
    fn ipv4_header_checksum() {
        // A real IPv4 header (checksum 0xb861) from a textbook example.
        let h = [0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7];
        assert_eq!(internet(&h), 0xb861);
    }

    #[test]
    fn crc32_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn udp_pseudo_roundtrip() {
        let p = PseudoHeader {
            src: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
            dst: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
            protocol: 17,
            upper_len: 13,
        };
        let mut seg = vec![0x13, 0x88, 0x1f, 0x91, 0x00, 0x0d, 0, 0, b'h', b'e', b'l', b'l', b'o'];
        let c = with_pseudo(&p, &seg);
        seg[6..8].copy_from_slice(&c.to_be_bytes());
        assert!(verify_with_pseudo(&p, &seg));
        seg[9] ^= 1;
        assert!(!verify_with_pseudo(&p, &seg));
    }
}
