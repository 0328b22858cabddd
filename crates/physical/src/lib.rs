//! The physical layer: what an Ethernet frame becomes on the wire (IEEE 802.3 clause 3 and 4).
//!
//! ```text
//!  7 bytes    1 byte   6     6     2       46..1500          4      12 bytes of silence
//! +----------+-----+-------+-------+------+---------------+-------+- - - - - - -+
//! | preamble | SFD |  dst  |  src  | type | data + padding |  FCS  | inter-frame |
//! | 55 × 7   | d5  |  MAC  |  MAC  |      |                |CRC-32 |     gap     |
//! +----------+-----+-------+-------+------+---------------+-------+- - - - - - -+
//!                  |<-------- what a capture (pcap) holds -------->|
//!                  |<-------------- 64 bytes at least -------------------->|
//! ```
//!
//! Each byte goes on the wire least significant bit first; the FCS is sent least significant
//! byte first, which with that bit order puts the CRC's x³¹ coefficient on the wire first.
//! Reference: IEEE 802.3-2018 clause 3.2 (frame format) and 3.3 (order of bit transmission);
//! <https://en.wikipedia.org/wiki/Ethernet_frame>.
//!
//! Everything here is a pure function of bytes: the `stack` crate calls it while encapsulating,
//! the renderers draw what it returns.
#![forbid(unsafe_code)]

use std::ops::Range;

use netlayers_core::{checksum, Field, FieldSpec, Layer, LayerKind, Note, Severity, Text, Value};

/// Byte offsets of what the physical layer adds around a frame of `n` bytes (FCS included).
pub mod field {
    use std::ops::Range;
    pub const PREAMBLE: Range<usize> = 0..7;
    pub const SFD: usize = 7;
    /// Where the MAC frame starts on the wire.
    pub const FRAME: usize = 8;
}

/// Seven bytes of alternating ones and zeros (10101010 on the wire) so the receiver's clock can lock on.
pub const PREAMBLE: [u8; 7] = [0x55; 7];
/// Start Frame Delimiter: 10101011 on the wire, the two ones in a row say "the frame starts now".
pub const SFD: u8 = 0xD5;
/// Preamble and SFD together.
pub const PREAMBLE_SFD_LEN: usize = 8;
/// Length of the Frame Check Sequence (CRC-32).
pub const FCS_LEN: usize = 4;
/// Smallest frame, FCS included (the slot time of half-duplex 10 Mb/s Ethernet needs it).
pub const MIN_FRAME_LEN: usize = 64;
/// Smallest frame as a capture shows it: without the FCS the network card strips.
pub const MIN_FRAME_LEN_NO_FCS: usize = MIN_FRAME_LEN - FCS_LEN;
/// Inter-frame gap: the silence a sender keeps after each frame, in bit times.
pub const IFG_BITS: u64 = 96;

/// How many zero bytes a frame (without FCS) of `len` bytes needs to reach the 60-byte minimum.
pub fn padding_needed(len: usize) -> usize {
    MIN_FRAME_LEN_NO_FCS.saturating_sub(len)
}

/// The frame padded with zero bytes to the minimum (a frame already long enough is unchanged).
pub fn pad(frame: &[u8]) -> Vec<u8> {
    let mut v = frame.to_vec();
    v.resize(frame.len() + padding_needed(frame.len()), 0);
    v
}

/// The Frame Check Sequence of a frame (destination MAC through padding): IEEE 802.3 CRC-32.
pub fn fcs(frame: &[u8]) -> u32 {
    checksum::crc32(frame)
}

/// The FCS as the four bytes that follow the frame on the wire (least significant byte first).
pub fn fcs_bytes(frame: &[u8]) -> [u8; 4] {
    fcs(frame).to_le_bytes()
}

/// The frame followed by its FCS.
pub fn with_fcs(frame: &[u8]) -> Vec<u8> {
    let mut v = frame.to_vec();
    v.extend_from_slice(&fcs_bytes(frame));
    v
}

/// The CRC-32 of a frame followed by its correct FCS is always this constant (the "residue"): a
/// receiver checks the frame in one pass without knowing where the FCS starts.
pub const FCS_RESIDUE: u32 = 0x2144_DF1C;

/// Whether a frame that ends with its FCS arrived intact.
pub fn fcs_ok(frame_with_fcs: &[u8]) -> bool {
    frame_with_fcs.len() >= FCS_LEN && checksum::crc32(frame_with_fcs) == FCS_RESIDUE
}

/// Everything the sender puts on the wire for one frame: preamble, SFD, the frame, its FCS.
/// `frame` is the frame as a capture shows it (no FCS); it is not padded here.
pub fn wire_bytes(frame: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(PREAMBLE_SFD_LEN + frame.len() + FCS_LEN);
    v.extend_from_slice(&PREAMBLE);
    v.push(SFD);
    v.extend_from_slice(frame);
    v.extend_from_slice(&fcs_bytes(frame));
    v
}

/// The bits of `bytes` in the order Ethernet transmits them: byte after byte, each byte least
/// significant bit first. One `u8` (0 or 1) per bit.
pub fn bits_on_wire(bytes: &[u8]) -> Vec<u8> {
    bytes.iter().flat_map(|&b| byte_bits_lsb_first(b)).collect()
}

/// One byte's bits in Ethernet transmission order (bit 0 first).
pub fn byte_bits_lsb_first(b: u8) -> [u8; 8] {
    let mut out = [0u8; 8];
    for (i, o) in out.iter_mut().enumerate() {
        *o = (b >> i) & 1;
    }
    out
}

/// The link speeds a student compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Speed {
    Mb10,
    Mb100,
    Gb1,
    Gb10,
}

impl Speed {
    pub const ALL: [Speed; 4] = [Speed::Mb10, Speed::Mb100, Speed::Gb1, Speed::Gb10];

    pub fn bits_per_second(self) -> u64 {
        match self {
            Speed::Mb10 => 10_000_000,
            Speed::Mb100 => 100_000_000,
            Speed::Gb1 => 1_000_000_000,
            Speed::Gb10 => 10_000_000_000,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Speed::Mb10 => "10 Mb/s",
            Speed::Mb100 => "100 Mb/s",
            Speed::Gb1 => "1 Gb/s",
            Speed::Gb10 => "10 Gb/s",
        }
    }
    /// The common copper/fibre standard at this speed and the line code it puts on the medium.
    pub fn line_code(self) -> Text {
        match self {
            Speed::Mb10 => Text::new("10BASE-T: Manchester code", "10BASE-T:曼彻斯特编码"),
            Speed::Mb100 => Text::new("100BASE-TX: 4B/5B, then MLT-3", "100BASE-TX:4B/5B 编码,再经 MLT-3"),
            Speed::Gb1 => Text::new("1000BASE-T: PAM-5 on 4 pairs at once", "1000BASE-T:4 对线同时传输 PAM-5"),
            Speed::Gb10 => Text::new("10GBASE-R: 64b/66b", "10GBASE-R:64b/66b 编码"),
        }
    }
    /// Time one bit occupies the wire, in picoseconds (100 000 ps at 10 Mb/s).
    pub fn bit_time_ps(self) -> u64 {
        1_000_000_000_000 / self.bits_per_second()
    }
}

/// Time `bits` take to leave the sender at `speed`, in picoseconds (exact at these four speeds).
pub fn serialization_ps(bits: u64, speed: Speed) -> u64 {
    bits.saturating_mul(speed.bit_time_ps())
}

/// Picoseconds as a short human time: `57.6 µs`, `672 ns`, `67.2 ns`, `9.6 µs`.
pub fn format_ps(ps: u64) -> String {
    let (unit, div) = if ps >= 1_000_000_000 {
        ("ms", 1_000_000_000u64)
    } else if ps >= 1_000_000 {
        ("µs", 1_000_000)
    } else if ps >= 1_000 {
        ("ns", 1_000)
    } else {
        ("ps", 1)
    };
    let whole = ps / div;
    // Up to three decimals, trailing zeros dropped: the values here are exact.
    let frac = (ps % div) * 1000 / div;
    if frac == 0 {
        format!("{whole} {unit}")
    } else {
        let s = format!("{frac:03}");
        format!("{whole}.{} {unit}", s.trim_end_matches('0'))
    }
}

/// What one frame costs on the wire at each speed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireTiming {
    pub speed: Speed,
    /// Preamble, SFD, frame and FCS.
    pub frame_ps: u64,
    /// The inter-frame gap that must follow.
    pub ifg_ps: u64,
}

/// Timing of a frame of `frame_len_no_fcs` bytes (as captured, padding included) at each speed.
pub fn timings(frame_len_no_fcs: usize) -> Vec<WireTiming> {
    let bits = wire_len(frame_len_no_fcs) as u64 * 8;
    Speed::ALL
        .iter()
        .map(|&speed| WireTiming {
            speed,
            frame_ps: serialization_ps(bits, speed),
            ifg_ps: serialization_ps(IFG_BITS, speed),
        })
        .collect()
}

/// Bytes on the wire for a frame of `frame_len_no_fcs` bytes: preamble + SFD + frame + FCS.
pub fn wire_len(frame_len_no_fcs: usize) -> usize {
    PREAMBLE_SFD_LEN + frame_len_no_fcs + FCS_LEN
}

/// Manchester code as 10BASE-T uses it (IEEE 802.3 convention): each bit becomes two half-bit
/// levels, a 1 is low then high, a 0 high then low. The transition in the middle of every bit is
/// what lets the receiver recover the clock. Returns one level (0 low, 1 high) per half bit.
pub fn manchester(bits: &[u8]) -> Vec<u8> {
    bits.iter().flat_map(|&b| if b & 1 == 1 { [0, 1] } else { [1, 0] }).collect()
}

/// 4B/5B code groups (100BASE-TX): each 4-bit nibble becomes 5 bits that never hold more than
/// three zeros in a row, so MLT-3 keeps changing often enough for the clock.
pub const FOUR_B_FIVE_B: [u8; 16] = [
    0b11110, 0b01001, 0b10100, 0b10101, 0b01010, 0b01011, 0b01110, 0b01111, 0b10010, 0b10011, 0b10110,
    0b10111, 0b11010, 0b11011, 0b11100, 0b11101,
];

/// A byte as two 4B/5B code groups, low nibble first (as 100BASE-X sends it).
pub fn four_b_five_b(byte: u8) -> [u8; 2] {
    [FOUR_B_FIVE_B[(byte & 0x0f) as usize], FOUR_B_FIVE_B[(byte >> 4) as usize]]
}

/// MLT-3: a 1 moves the line to the next level of the cycle 0, +1, 0, −1; a 0 stays.
pub fn mlt3(bits: &[u8]) -> Vec<i8> {
    const CYCLE: [i8; 4] = [0, 1, 0, -1];
    let mut i = 0usize;
    bits.iter()
        .map(|&b| {
            if b & 1 == 1 {
                i = (i + 1) % 4;
            }
            CYCLE[i]
        })
        .collect()
}

static PREAMBLE_SPEC: FieldSpec = FieldSpec::new(
    "phy.preamble",
    Text::new("Preamble", "前导码"),
    Text::new(
        "Seven 0x55 bytes, 1010… on the wire: a steady pattern the receiver's clock locks on to before the frame begins.",
        "7 个 0x55 字节,线路上是 1010… 交替出现的比特:接收方借这段规律的信号把时钟同步好,帧才开始。",
    ),
);
static SFD_SPEC: FieldSpec = FieldSpec::new(
    "phy.sfd",
    Text::new("Start Frame Delimiter", "帧起始定界符"),
    Text::new(
        "0xD5, sent as 10101011: the two ones at the end break the pattern and mark where the destination MAC starts.",
        "0xD5,发送顺序是 10101011:末尾连续两个 1 打破了交替模式,标志着下一个比特就是目的 MAC 地址的开始。",
    ),
);
static FCS_SPEC: FieldSpec = FieldSpec::new(
    "eth.fcs",
    Text::new("Frame check sequence", "帧校验序列"),
    Text::new(
        "CRC-32 over the whole frame from the destination MAC to the last padding byte; a card that computes a different value drops the frame silently.",
        "对从目的 MAC 到最后一个填充字节的整个帧计算的 CRC-32;接收网卡算出的值不一致就悄悄丢弃这一帧。",
    ),
);
static FCS_STATUS_SPEC: FieldSpec = FieldSpec::new(
    "eth.fcs.status",
    Text::new("FCS Status", "FCS 校验状态"),
    Text::new(
        "Whether the CRC-32 recomputed over the received frame equals the FCS that came with it.",
        "接收方对收到的帧重新计算 CRC-32,看它是否与随帧而来的 FCS 相同。",
    ),
);
static IFG_SPEC: FieldSpec = FieldSpec::new(
    "phy.ifg",
    Text::new("Inter-frame gap", "帧间隙"),
    Text::new(
        "96 bit times of silence after every frame, so the receiver can finish with one frame before the next preamble starts.",
        "每帧之后至少要有 96 个比特时间的空闲,让接收方处理完这一帧,再迎接下一个前导码。",
    ),
);

/// Every field spec this crate emits.
pub static FIELDS: &[&FieldSpec] = &[&PREAMBLE_SPEC, &SFD_SPEC, &FCS_SPEC, &FCS_STATUS_SPEC, &IFG_SPEC];

/// Decodes what the physical layer wrapped around a frame: `wire` is preamble, SFD, frame and
/// FCS. Returns the layer (byte ranges absolute in `wire`) and the range of the MAC frame
/// without its FCS, for the link-layer decoder. Lax: never panics, notes what is missing or wrong.
pub fn decode_wire(wire: &[u8]) -> (Layer, Range<usize>) {
    let mut l = Layer::new(LayerKind::Physical, "phy", "PHY", 0..wire.len());
    l.title = format!("Ethernet physical layer, {} bytes on the wire", wire.len());
    if wire.len() < PREAMBLE_SFD_LEN + FCS_LEN {
        l.notes.push(Note::truncated("Preamble, SFD and FCS", 0, PREAMBLE_SFD_LEN + FCS_LEN, wire.len()));
    }
    if let Some(p) = wire.get(field::PREAMBLE) {
        let mut f = Field::new(&PREAMBLE_SPEC, Value::Bytes(p.to_vec()), field::PREAMBLE);
        if p != PREAMBLE {
            f = f.with_note(Note::new(
                Severity::Warn,
                "phy.preamble.bad",
                "not the 55 55 55 55 55 55 55 pattern",
                "不是 55 55 55 55 55 55 55 的模式",
            ));
        }
        l.fields.push(f);
    }
    if let Some(&s) = wire.get(field::SFD) {
        let mut f = Field::new(&SFD_SPEC, Value::Hex { value: u64::from(s), digits: 2 }, field::SFD..field::SFD + 1);
        if s != SFD {
            f = f.with_note(Note::new(
                Severity::Error,
                "phy.sfd.bad",
                format!("SFD is 0x{s:02x}, not 0xd5: a receiver would not see a frame start here"),
                format!("SFD 是 0x{s:02x} 而不是 0xd5:接收方不会认为帧从这里开始"),
            ));
        }
        l.fields.push(f);
    }
    let frame_end = wire.len().saturating_sub(FCS_LEN).max(field::FRAME.min(wire.len()));
    let frame = field::FRAME.min(wire.len())..frame_end;
    if wire.len() >= PREAMBLE_SFD_LEN + FCS_LEN {
        let fcs_range = frame_end..wire.len();
        let got = wire.get(fcs_range.clone()).and_then(|b| b.try_into().ok()).map(u32::from_le_bytes);
        let want = wire.get(frame.clone()).map(fcs);
        if let (Some(got), Some(want)) = (got, want) {
            let good = got == want;
            let mut status = Field::generated(&FCS_STATUS_SPEC, Value::Bool(good))
                .with_display(if good { "Good" } else { "Bad" });
            if !good {
                status = status.with_note(Note::new(
                    Severity::Error,
                    "eth.fcs.bad",
                    format!("FCS 0x{got:08x} is wrong: the CRC-32 of the frame is 0x{want:08x}; the receiving card drops it"),
                    format!("FCS 0x{got:08x} 不对:这一帧的 CRC-32 应为 0x{want:08x};接收网卡会丢弃它"),
                ));
            }
            let f = Field::new(&FCS_SPEC, Value::Hex { value: u64::from(got), digits: 8 }, fcs_range)
                .with_children(vec![status]);
            l.fields.push(f);
        }
        l.fields.push(Field::generated(&IFG_SPEC, Value::UInt(IFG_BITS)).with_display("96 bit times"));
    }
    (l, frame)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 60-byte ARP request, as broadcast by 02:00:00:00:00:01 asking who has 10.0.0.2.
    fn arp_request() -> Vec<u8> {
        let mut f = vec![
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // destination: broadcast
            0x02, 0x00, 0x00, 0x00, 0x00, 0x01, // source MAC
            0x08, 0x06, // EtherType ARP
            0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, // Ethernet/IPv4, request
            0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 10, 0, 0, 1, // sender MAC, IP
            0, 0, 0, 0, 0, 0, 10, 0, 0, 2, // target MAC (unknown), IP
        ];
        f.resize(60, 0); // 18 bytes of padding
        f
    }

    #[test]
    fn fcs_matches_zlib() {
        // python3 -c "import zlib; print(hex(zlib.crc32(frame)))" on the same 60 bytes.
        let f = arp_request();
        assert_eq!(fcs(&f), 0xf84d_6fe8);
        assert_eq!(fcs_bytes(&f), [0xe8, 0x6f, 0x4d, 0xf8]);
        assert!(fcs_ok(&with_fcs(&f)));
    }

    #[test]
    fn fcs_detects_every_single_bit_flip() {
        let good = with_fcs(&arp_request());
        for i in 0..good.len() * 8 {
            let mut bad = good.clone();
            bad[i / 8] ^= 1 << (i % 8);
            assert!(!fcs_ok(&bad), "flip of bit {i} went unnoticed");
        }
        assert!(!fcs_ok(&[1, 2, 3]));
    }

    #[test]
    fn padding_to_the_minimum() {
        assert_eq!(padding_needed(0), 60);
        assert_eq!(padding_needed(47), 13);
        assert_eq!(padding_needed(60), 0);
        assert_eq!(padding_needed(1514), 0);
        let p = pad(&[1, 2, 3]);
        assert_eq!(p.len(), 60);
        assert_eq!(&p[..3], &[1, 2, 3]);
        assert!(p[3..].iter().all(|&b| b == 0));
        assert_eq!(pad(&[7; 61]), vec![7; 61]);
    }

    #[test]
    fn wire_layout() {
        let f = arp_request();
        let w = wire_bytes(&f);
        assert_eq!(w.len(), 72);
        assert_eq!(&w[..7], &[0x55; 7]);
        assert_eq!(w[7], 0xd5);
        assert_eq!(&w[8..68], &f[..]);
        assert_eq!(&w[68..], &[0xe8, 0x6f, 0x4d, 0xf8]);
        assert_eq!(wire_len(60), 72);
    }

    #[test]
    fn bits_go_least_significant_first() {
        // The preamble reads 10101010 on the wire and the SFD 10101011.
        assert_eq!(byte_bits_lsb_first(0x55), [1, 0, 1, 0, 1, 0, 1, 0]);
        assert_eq!(byte_bits_lsb_first(SFD), [1, 0, 1, 0, 1, 0, 1, 1]);
        // A unicast destination MAC's first bit on the wire is 0, a broadcast's 1 (the I/G bit).
        assert_eq!(bits_on_wire(&[0x02])[0], 0);
        assert_eq!(bits_on_wire(&[0xff])[0], 1);
        assert_eq!(bits_on_wire(&[0x01, 0x80]), vec![1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    }

    #[test]
    fn serialization_times() {
        // 72 bytes = 576 bits: 57.6 µs at 10 Mb/s down to 57.6 ns at 10 Gb/s.
        let t = timings(60);
        let want = [57_600_000, 5_760_000, 576_000, 57_600];
        for (t, w) in t.iter().zip(want) {
            assert_eq!(t.frame_ps, w, "{}", t.speed.name());
        }
        assert_eq!(t[0].ifg_ps, 9_600_000);
        assert_eq!(t[3].ifg_ps, 9_600);
        assert_eq!(format_ps(57_600_000), "57.6 µs");
        assert_eq!(format_ps(5_760_000), "5.76 µs");
        assert_eq!(format_ps(576_000), "576 ns");
        assert_eq!(format_ps(9_600), "9.6 ns");
        assert_eq!(format_ps(1_230_400_000), "1.23 ms");
        assert_eq!(format_ps(0), "0 ps");
        // A full 1514-byte frame at 10 Mb/s: 1526 bytes on the wire.
        assert_eq!(serialization_ps(1526 * 8, Speed::Mb10), 1_220_800_000);
    }

    #[test]
    fn line_codes() {
        assert_eq!(manchester(&[1, 0]), vec![0, 1, 1, 0]);
        // A data nibble 0 is 11110; byte 0x5a sends nibble a (10110) then 5 (01011).
        assert_eq!(four_b_five_b(0x5a), [0b10110, 0b01011]);
        assert_eq!(mlt3(&[1, 1, 1, 1, 0, 1]), vec![1, 0, -1, 0, 0, 1]);
        // At most one leading and two trailing zeros per group: never more than three in a row.
        for g in FOUR_B_FIVE_B {
            assert!(g >> 3 != 0, "{g:05b} starts with two zeros");
            assert!(g.trailing_zeros() <= 2, "{g:05b} ends with three zeros");
        }
    }

    #[test]
    fn decode_wire_fields_and_ranges() {
        let f = arp_request();
        let w = wire_bytes(&f);
        let (l, frame) = decode_wire(&w);
        assert_eq!(frame, 8..68);
        assert!(l.notes.is_empty());
        assert_eq!(l.find("phy.preamble").map(|x| x.range.clone()), Some(0..7));
        assert_eq!(l.find("phy.sfd").map(|x| x.value.clone()), Some(Value::Hex { value: 0xd5, digits: 2 }));
        let fcs = l.find("eth.fcs").expect("fcs");
        assert_eq!(fcs.range, 68..72);
        assert_eq!(fcs.value.as_u64(), Some(0xf84d_6fe8));
        assert_eq!(l.find("eth.fcs.status").map(|x| x.value.clone()), Some(Value::Bool(true)));
        for fld in &l.fields {
            assert!(fld.range.end <= w.len());
        }
    }

    #[test]
    fn decode_wire_bad_fcs_and_sfd() {
        let mut w = wire_bytes(&arp_request());
        w[20] ^= 0x10;
        w[7] = 0x55;
        let (l, _) = decode_wire(&w);
        let st = l.find("eth.fcs.status").expect("status");
        assert_eq!(st.value, Value::Bool(false));
        assert_eq!(st.notes[0].id, "eth.fcs.bad");
        assert_eq!(l.find("phy.sfd").map(|f| f.notes.len()), Some(1));
    }

    #[test]
    fn decode_wire_every_short_length() {
        let w = wire_bytes(&arp_request());
        for n in 0..w.len() {
            let (l, frame) = decode_wire(&w[..n]);
            assert!(frame.start <= frame.end && frame.end <= n, "len {n}: {frame:?}");
            assert_eq!(l.find("phy.preamble").is_some(), n >= 7, "len {n}");
            assert_eq!(l.find("phy.sfd").is_some(), n >= 8, "len {n}");
            assert_eq!(l.find("eth.fcs").is_some(), n >= 12, "len {n}");
            assert_eq!(!l.notes.is_empty(), n < 12, "len {n}");
        }
    }

    proptest::proptest! {
        #[test]
        fn decode_wire_never_panics(b in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            let (l, r) = decode_wire(&b);
            proptest::prop_assert!(r.end <= b.len());
            proptest::prop_assert!(l.fields.iter().all(|f| f.range.end <= b.len()));
        }

        #[test]
        fn fcs_round_trip(b in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            let w = wire_bytes(&b);
            proptest::prop_assert!(fcs_ok(&w[8..]));
            let (l, r) = decode_wire(&w);
            proptest::prop_assert_eq!(r, 8..8 + b.len());
            proptest::prop_assert_eq!(l.find("eth.fcs.status").map(|f| f.value.clone()), Some(Value::Bool(true)));
        }
    }
}
