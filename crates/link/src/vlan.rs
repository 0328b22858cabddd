//! IEEE 802.1Q VLAN tags (TPID 0x8100, and the pre-standard 0x9100) and IEEE 802.1ad service
//! tags (TPID 0x88a8).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! | PCP |D|        VLAN ID        |     EtherType (or length)     |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! The TPID that announces the tag is the EtherType before it (in the Ethernet header or in the
//! previous tag). IEEE 802.1Q-2018 clause 9.6. A stack of tags is decoded one call per tag: each
//! hands off its inner EtherType, so the stack calls this decoder again for the next tag.

use std::ops::Range;

use netlayers_core::{DecodeCtx, Field, Handoff, Layer, LayerKind, Note, Step, Value};

use crate::ethertype;
use netlayers_core::window::Window;

mod field {
    use std::ops::Range;
    /// Priority (3 bits), drop eligible (1 bit) and VLAN ID (12 bits).
    pub const TCI: Range<usize> = 0..2;
    pub const ETYPE: Range<usize> = 2..4;
    pub const TAG_LEN: usize = 4;
    pub const PCP_MASK: u16 = 0xe000;
    pub const DEI_MASK: u16 = 0x1000;
    pub const VID_MASK: u16 = 0x0fff;
}

/// The TPID of an IEEE 802.1ad service (outer) tag.
pub(crate) const TPID_8021AD: u16 = 0x88a8;

spec!(PRIORITY, "vlan.priority", "Priority", "优先级",
    "Priority Code Point (0-7): switches serve higher classes first when a port is congested; 0 is ordinary best-effort traffic.",
    "优先级代码点(0-7):端口拥塞时交换机先转发高优先级的帧;0 表示普通的尽力而为流量。");
spec!(DEI, "vlan.dei", "DEI", "DEI",
    "Drop Eligible Indicator: when set, a congested switch may drop this frame before others of the same priority.",
    "可丢弃指示位:置 1 时,拥塞的交换机可以优先丢弃这一帧。");
spec!(ID, "vlan.id", "ID", "VLAN ID",
    "The 12-bit VLAN identifier (1-4094): frames of different VLANs share the cable but are kept apart like separate networks. 0 means the tag only carries a priority.",
    "12 位的 VLAN 标识(1-4094):不同 VLAN 的帧共用同一条线路,却像不同的网络一样互相隔离。0 表示这个标签只携带优先级。");
spec!(ETYPE, "vlan.etype", "Type", "类型",
    "EtherType of what follows the tag, exactly like the Ethernet header's type field.",
    "标签后面内容的以太网类型,作用和以太网头部的类型字段完全一样。");
spec!(LEN, "vlan.len", "Length", "长度",
    "After a tag, a value up to 1500 is an IEEE 802.3 length, followed by an LLC header.",
    "在标签之后,不超过 1500 的值是 IEEE 802.3 长度,后面跟着 LLC 头。");
spec!(AD_PRIORITY, "ieee8021ad.priority", "Priority", "优先级",
    "Priority of the service provider's outer tag (802.1ad, 'Q-in-Q').",
    "运营商外层标签(802.1ad,即 Q-in-Q)的优先级。");
spec!(AD_DEI, "ieee8021ad.dei", "DEI", "DEI",
    "Drop Eligible Indicator of the outer service tag.",
    "外层服务标签的可丢弃指示位。");
spec!(AD_ID, "ieee8021ad.id", "ID", "服务 VLAN ID",
    "Service VLAN ID chosen by the provider; the customer's own VLAN tag travels inside it unchanged.",
    "运营商分配的服务 VLAN ID;客户自己的 VLAN 标签原样封装在它里面。");
spec!(AD_ETYPE, "ieee8021ah.etype", "Type", "类型",
    "EtherType after the service tag, usually 0x8100 for the customer's tag.",
    "服务标签后面的以太网类型,通常是 0x8100,即客户自己的标签。");

/// The names Wireshark gives the 802.1Q priority classes (IEEE 802.1Q-2005 table G-2).
fn priority_name(p: u16) -> &'static str {
    match p {
        0 => "Best Effort (default)",
        1 => "Background",
        2 => "Excellent Effort",
        3 => "Critical Applications",
        4 => "Video, < 100ms latency and jitter",
        5 => "Voice, < 10ms latency and jitter",
        6 => "Internetwork Control",
        _ => "Network Control",
    }
}

/// One VLAN tag after an EtherType/TPID `tpid`: a `vlan` layer for 802.1Q (0x8100, 0x9100), an
/// `ieee8021ad` layer for an 802.1ad service tag (0x88a8). Hands off the inner EtherType.
pub fn ethernet_vlan(frame: &[u8], at: Range<usize>, tpid: u16, _ctx: DecodeCtx) -> Step {
    let w = Window::new(frame, at);
    let ad = tpid == TPID_8021AD;
    let mut layer = if ad {
        Layer::new(LayerKind::Link, "ieee8021ad", "IEEE 802.1ad", w.abs(0..field::TAG_LEN))
    } else {
        Layer::new(LayerKind::Link, "vlan", "VLAN", w.abs(0..field::TAG_LEN))
    };
    layer.title = if ad { "IEEE 802.1ad".into() } else { "802.1Q Virtual LAN".into() };
    // tshark reads the whole 802.1ad tag before it shows any of it; an 802.1Q tag shows its
    // TCI as soon as those two bytes are there.
    let need = if ad { field::TAG_LEN } else { field::TCI.end };
    let (Some(tci), true) = (w.u16(field::TCI.start), w.len() >= need) else {
        layer.notes.push(Note::truncated("VLAN tag", w.start(), field::TAG_LEN, w.len()));
        return Step::end(layer);
    };
    let pcp = (tci & field::PCP_MASK) >> 13;
    let dei = tci & field::DEI_MASK != 0;
    let vid = tci & field::VID_MASK;
    let tci_range = w.abs(field::TCI);
    if ad {
        layer.fields = vec![
            Field::new(&AD_PRIORITY, Value::UInt(pcp.into()), tci_range.clone()).with_mask(field::PCP_MASK.into()),
            Field::new(&AD_DEI, Value::UInt(dei.into()), tci_range.clone()).with_mask(field::DEI_MASK.into()),
            Field::new(&AD_ID, Value::UInt(vid.into()), tci_range).with_mask(field::VID_MASK.into()),
        ];
        layer.title = format!("IEEE 802.1ad, ID: {vid}");
        // Wireshark's spacing, one space fewer before the ID than in 802.1Q's text.
        layer.info = Some(format!("PRI: {pcp}  DROP: {} ID: {vid}", u8::from(dei)));
    } else {
        layer.fields = vec![
            Field::new(&PRIORITY, Value::Enum { value: pcp.into(), name: Some(priority_name(pcp)) }, tci_range.clone())
                .with_mask(field::PCP_MASK.into()),
            Field::new(&DEI, Value::Bool(dei), tci_range.clone())
                .with_mask(field::DEI_MASK.into())
                .with_display(if dei { "Eligible" } else { "Ineligible" }),
            Field::new(&ID, Value::UInt(vid.into()), tci_range).with_mask(field::VID_MASK.into()),
        ];
        layer.title = format!("802.1Q Virtual LAN, PRI: {pcp}, DEI: {}, ID: {vid}", u8::from(dei));
        layer.info = Some(format!("PRI: {pcp}  DEI: {}  ID: {vid}", u8::from(dei)));
    }
    let Some(etype) = w.u16(field::ETYPE.start) else {
        layer.notes.push(Note::truncated("VLAN tag", w.start(), field::TAG_LEN, w.len()));
        return Step::end(layer);
    };
    let rest = w.abs(field::TAG_LEN..w.len());
    if etype <= 1500 && !ad {
        layer.fields.push(Field::new(&LEN, Value::UInt(etype.into()), w.abs(field::ETYPE)));
        let payload = w.abs(field::TAG_LEN..field::TAG_LEN + usize::from(etype));
        return Step { layers: vec![layer], next: Handoff::Llc, payload };
    }
    let name = ethertype::name(etype);
    let spec = if ad { &AD_ETYPE } else { &ETYPE };
    layer.fields.push(
        Field::new(spec, Value::Enum { value: etype.into(), name }, w.abs(field::ETYPE))
            .with_display(format!("{} (0x{etype:04x})", name.unwrap_or("Unknown"))),
    );
    Step { layers: vec![layer], next: Handoff::EtherType(etype), payload: rest }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two bytes of padding in front, then a tag: priority 5, DEI 1, VLAN 100, inner IPv4.
    const TAGGED: [u8; 8] = [
        0xee, 0xee, // not ours
        0xb0, 0x64, // PCP 5 (101), DEI 1, VID 0x064 = 100
        0x08, 0x00, // vlan.etype: IPv4
        0x45, 0x00, // start of the inner packet
    ];

    #[test]
    fn parse_8021q_tag() {
        let s = ethernet_vlan(&TAGGED, 2..8, 0x8100, DecodeCtx::default());
        assert_eq!(s.next, Handoff::EtherType(0x0800));
        assert_eq!(s.payload, 6..8);
        let l = &s.layers[0];
        assert_eq!((l.protocol, l.range.clone()), ("vlan", 2..6));
        assert_eq!(l.title, "802.1Q Virtual LAN, PRI: 5, DEI: 1, ID: 100");
        assert_eq!(l.info.as_deref(), Some("PRI: 5  DEI: 1  ID: 100"));
        assert_eq!(l.find("vlan.id").map(|f| (f.value.clone(), f.range.clone(), f.mask)), Some((Value::UInt(100), 2..4, Some(0x0fff))));
        assert_eq!(l.find("vlan.priority").and_then(|f| f.value.as_u64()), Some(5));
        assert_eq!(l.find("vlan.dei").map(|f| f.value.clone()), Some(Value::Bool(true)));
        assert_eq!(l.find("vlan.etype").map(|f| f.range.clone()), Some(4..6));
    }

    #[test]
    fn service_tag_is_ieee8021ad_not_vlan() {
        let s = ethernet_vlan(&TAGGED, 2..8, TPID_8021AD, DecodeCtx::default());
        let l = &s.layers[0];
        assert_eq!(l.protocol, "ieee8021ad");
        assert!(l.find("vlan.id").is_none());
        assert_eq!(l.find("ieee8021ad.id").and_then(|f| f.value.as_u64()), Some(100));
        assert_eq!(l.find("ieee8021ah.etype").and_then(|f| f.value.as_u64()), Some(0x0800));
        assert_eq!(l.title, "IEEE 802.1ad, ID: 100");
    }

    #[test]
    fn a_cut_service_tag_shows_nothing() {
        for n in 0..4 {
            let s = ethernet_vlan(&TAGGED, 2..2 + n, TPID_8021AD, DecodeCtx::default());
            assert!(s.layers[0].fields.is_empty(), "{n}");
        }
    }

    #[test]
    fn old_qinq_tpid_is_an_ordinary_vlan_tag() {
        let s = ethernet_vlan(&TAGGED, 2..8, 0x9100, DecodeCtx::default());
        assert_eq!(s.layers[0].protocol, "vlan");
        assert!(s.layers[0].find("vlan.id").is_some());
    }

    #[test]
    fn every_too_short_length() {
        for n in 0..4 {
            let s = ethernet_vlan(&TAGGED, 2..2 + n, 0x8100, DecodeCtx::default());
            let l = &s.layers[0];
            assert_eq!(s.next, Handoff::End);
            // The TCI needs two bytes; the type needs all four.
            assert_eq!(l.find("vlan.id").is_some(), n >= 2, "{n}");
            assert!(l.find("vlan.etype").is_none());
            assert_eq!(l.notes.len(), 1);
            l.walk(&mut |f| assert!(f.range.start >= 2 && f.range.end <= 2 + n));
        }
    }

    #[test]
    fn a_length_after_the_tag_bounds_the_llc_bytes() {
        let f = [0x00, 0x07, 0x00, 0x03, 0xaa, 0xaa, 0x03, 0xff, 0xff];
        let s = ethernet_vlan(&f, 0..9, 0x8100, DecodeCtx::default());
        assert_eq!(s.next, Handoff::Llc);
        assert_eq!(s.payload, 4..7);
        assert!(s.layers[0].find("vlan.len").is_some());
        assert!(s.layers[0].find("vlan.etype").is_none());
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..12), a in 0usize..16, b in 0usize..16, tpid in proptest::prelude::any::<u16>()) {
            let s = ethernet_vlan(&data, a.min(b)..a.max(b), tpid, DecodeCtx::default());
            crate::check_ranges(&s, data.len());
        }
    }
}
