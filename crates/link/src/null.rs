//! BSD loopback headers: LINKTYPE_NULL and LINKTYPE_LOOP.
//!
//! ```text
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |             Address family (AF_ value of the OS)              |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! <https://www.tcpdump.org/linktypes/LINKTYPE_NULL.html>. LINKTYPE_NULL stores the family in the
//! byte order of the capturing host, LINKTYPE_LOOP (OpenBSD) in network byte order. The family
//! numbers are the BSDs': 2 is IPv4 everywhere, IPv6 is 24 (NetBSD, OpenBSD), 28 (FreeBSD) or
//! 30 (macOS). Linux's AF_INET6 (10) is not a BSD family and tshark does not decode it either.

use std::ops::Range;

use netlayers_core::{DecodeCtx, Field, Handoff, Layer, LayerKind, Note, Step, Value};

use crate::ethertype;
use netlayers_core::window::Window;

mod field {
    use std::ops::Range;
    pub const FAMILY: Range<usize> = 0..4;
    pub const HEADER_LEN: usize = 4;
}

spec!(PPP_ADDRESS, "ppp.address", "Address", "地址",
    "PPP in HDLC framing: always 0xff, \"all stations\", since a PPP link has only two ends.",
    "HDLC 封装的 PPP:总是 0xff,表示“所有站点”,因为 PPP 链路只有两端。");
spec!(PPP_CONTROL, "ppp.control", "Control", "控制",
    "Always 0x03: an unnumbered information frame.",
    "总是 0x03:无编号信息帧。");
spec!(PPP_PROTOCOL, "ppp.protocol", "Protocol", "协议",
    "What the PPP frame carries: 0x0021 IPv4, 0x0057 IPv6.",
    "PPP 帧承载的协议:0x0021 为 IPv4,0x0057 为 IPv6。");
spec!(FAMILY, "null.family", "Family", "地址族",
    "Address family of the packet on the loopback interface, as the capturing BSD system numbers it: 2 is IPv4, 24, 28 or 30 is IPv6.",
    "回环接口上数据包的地址族,按抓包的 BSD 系统的编号:2 表示 IPv4,24、28 或 30 表示 IPv6。");
spec!(TYPE, "null.type", "Type", "类型",
    "Some systems write an EtherType here instead of an address family.",
    "有些系统在这里写的是以太网类型,而不是地址族。");

fn family_name(f: u32) -> Option<&'static str> {
    Some(match f {
        2 => "IP",
        7 => "OSI",
        16 => "Appletalk",
        23 => "Netware IPX/SPX",
        24 | 28 | 30 => "IPv6",
        _ => return None,
    })
}

/// The EtherType a BSD address family stands for, when netlayers decodes that protocol.
fn family_ethertype(f: u32) -> Option<u16> {
    match f {
        2 => Some(0x0800),
        24 | 28 | 30 => Some(0x86dd),
        _ => None,
    }
}

/// The header value in host byte order, with tshark's guesses for files written on a host of
/// the other byte order (the upper 16 bits of a real family are zero) and for IRIX, which keeps
/// a 16-bit family in the upper half.
fn host_order_value(b: [u8; 4]) -> u32 {
    let v = u32::from_le_bytes(b);
    if v & 0xffff_0000 != 0 {
        if v & 0xff00_0000 == 0 && v & 0x00ff_0000 < 0x0006_0000 {
            v >> 16
        } else {
            v.swap_bytes()
        }
    } else if v & 0x0000_00ff == 0 && v & 0x0000_ff00 < 0x0000_0600 {
        u32::from((v as u16).swap_bytes())
    } else {
        v
    }
}

/// BSD loopback: the 4-byte family in host byte order (LINKTYPE_NULL, `network_order` false)
/// or network byte order (LINKTYPE_LOOP). Hands off EtherType 0x0800 or 0x86dd for the families
/// of IPv4 and IPv6, or the EtherType some systems store instead; anything else is data.
pub fn null(frame: &[u8], at: Range<usize>, network_order: bool, _ctx: DecodeCtx) -> Step {
    let w = Window::new(frame, at);
    // Some BSD PPP interfaces put the PPP header (in HDLC framing) where the family would be.
    if !network_order && w.u16(0) == Some(0xff03) {
        return ppp(&w);
    }
    let mut layer = Layer::new(LayerKind::Link, "null", "N/A", w.abs(0..field::HEADER_LEN));
    layer.title = "Null/Loopback".into();
    layer.info = Some("Null/Loopback".into());
    let Some(raw) = w.array::<4>(field::FAMILY.start) else {
        layer.notes.push(Note::truncated("Loopback header", w.start(), field::HEADER_LEN, w.len()));
        return Step::end(layer);
    };
    let payload = w.abs(field::HEADER_LEN..w.len());
    let value = if network_order { u32::from_be_bytes(raw) } else { host_order_value(raw) };
    let range = w.abs(field::FAMILY);
    // Only LINKTYPE_NULL has the EtherType variant; a value above the 802.3 maximum length
    // cannot be an address family.
    if !network_order && value > 1500 {
        let t = value as u16;
        let name = ethertype::name(t);
        layer.fields.push(
            Field::new(&TYPE, Value::Enum { value: t.into(), name }, range)
                .with_display(format!("{} (0x{t:04x})", name.unwrap_or("Unknown"))),
        );
        return Step { layers: vec![layer], next: Handoff::EtherType(t), payload };
    }
    layer.fields.push(Field::new(&FAMILY, Value::Enum { value: value.into(), name: family_name(value) }, range));
    let next = family_ethertype(value).map_or(Handoff::Data, Handoff::EtherType);
    Step { layers: vec![layer], next, payload }
}

/// PPP in HDLC-like framing (RFC 1662): address, control, then the PPP protocol number.
fn ppp(w: &Window<'_>) -> Step {
    let mut layer = Layer::new(LayerKind::Link, "ppp", "PPP", w.abs(0..4));
    layer.title = "Point-to-Point Protocol".into();
    layer.fields = vec![
        Field::new(&PPP_ADDRESS, Value::Hex { value: 0xff, digits: 2 }, w.abs(0..1)),
        Field::new(&PPP_CONTROL, Value::Hex { value: 0x03, digits: 2 }, w.abs(1..2)),
    ];
    let Some(proto) = w.u16(2) else {
        layer.notes.push(Note::truncated("PPP header", w.start(), 4, w.len()));
        return Step::end(layer);
    };
    let (name, next) = match proto {
        0x0021 => ("Internet Protocol version 4", Handoff::EtherType(0x0800)),
        0x0057 => ("Internet Protocol version 6", Handoff::EtherType(0x86dd)),
        _ => ("Unknown", Handoff::Data),
    };
    layer.fields.push(
        Field::new(&PPP_PROTOCOL, Value::Enum { value: proto.into(), name: Some(name) }, w.abs(2..4))
            .with_display(format!("{name} (0x{proto:04x})")),
    );
    Step { layers: vec![layer], next, payload: w.abs(4..w.len()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_host_and_network_order() {
        // null.family 2 written by a little-endian host, then an IPv4 byte.
        let le = [0x02, 0x00, 0x00, 0x00, 0x45];
        let s = null(&le, 0..5, false, DecodeCtx::default());
        assert_eq!(s.next, Handoff::EtherType(0x0800));
        assert_eq!(s.payload, 4..5);
        let l = &s.layers[0];
        assert_eq!(l.find("null.family").map(|f| (f.value.clone(), f.range.clone())), Some((Value::Enum { value: 2, name: Some("IP") }, 0..4)));
        // The same file read from a big-endian writer: the value is swapped back.
        let be = [0x00, 0x00, 0x00, 0x1e, 0x60];
        assert_eq!(null(&be, 0..5, false, DecodeCtx::default()).next, Handoff::EtherType(0x86dd));
        // LINKTYPE_LOOP is always big-endian.
        assert_eq!(null(&be, 0..5, true, DecodeCtx::default()).next, Handoff::EtherType(0x86dd));
        let loop_le = [0x18, 0x00, 0x00, 0x00];
        assert_eq!(null(&loop_le, 0..4, true, DecodeCtx::default()).next, Handoff::Data);
    }

    #[test]
    fn families_tshark_does_not_decode_are_data() {
        for fam in [7u32, 10, 99] {
            let b = fam.to_le_bytes();
            let s = null(&b, 0..4, false, DecodeCtx::default());
            assert_eq!(s.next, Handoff::Data, "{fam}");
        }
        for fam in [24u32, 28, 30] {
            assert_eq!(null(&fam.to_le_bytes(), 0..4, false, DecodeCtx::default()).next, Handoff::EtherType(0x86dd));
        }
    }

    #[test]
    fn an_ethertype_instead_of_a_family() {
        let b = 0x0800u32.to_le_bytes();
        let s = null(&b, 0..4, false, DecodeCtx::default());
        assert_eq!(s.next, Handoff::EtherType(0x0800));
        assert!(s.layers[0].find("null.type").is_some());
    }

    #[test]
    fn ppp_in_hdlc_framing() {
        let b = [0xff, 0x03, 0x00, 0x21, 0x45];
        let s = null(&b, 0..5, false, DecodeCtx::default());
        assert_eq!(s.next, Handoff::EtherType(0x0800));
        assert_eq!(s.layers[0].protocol, "ppp");
        assert_eq!(s.layers[0].find("ppp.protocol").map(|f| f.range.clone()), Some(2..4));
        assert!(s.layers[0].find("null.family").is_none());
        assert_eq!(null(&b[..3], 0..3, false, DecodeCtx::default()).next, Handoff::End);
    }

    #[test]
    fn every_too_short_length() {
        let b = [2u8, 0, 0, 0];
        for n in 0..4 {
            let s = null(&b[..n], 0..n, false, DecodeCtx::default());
            assert!(s.layers[0].fields.is_empty());
            assert_eq!(s.next, Handoff::End);
        }
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..8), a in 0usize..10, order in proptest::prelude::any::<bool>()) {
            let s = null(&data, a..a + 6, order, DecodeCtx::default());
            crate::check_ranges(&s, data.len());
        }
    }
}
