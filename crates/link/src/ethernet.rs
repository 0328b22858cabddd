//! Ethernet II and IEEE 802.3 headers.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                    Destination MAC address                    |
//! +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                               |                               |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
//! |                      Source MAC address                       |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |   EtherType (>= 0x0600) or    |
//! |   802.3 length (<= 1500)      |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! IEEE 802.3-2018 clause 3.2.6; the EtherType registry is IEEE's. The preamble, SFD and FCS
//! belong to the physical layer and are not in a captured frame.

use std::ops::Range;

use netlayers_core::text::{push_hex4, push_mac};
use netlayers_core::{DecodeCtx, Field, Handoff, Layer, LayerKind, Note, Severity, Step, Value};

use crate::ethertype;
use netlayers_core::window::Window;

mod field {
    use std::ops::Range;
    pub const DST: Range<usize> = 0..6;
    pub const SRC: Range<usize> = 6..12;
    pub const TYPE: Range<usize> = 12..14;
    /// The first three bytes of an address: the OUI, whose first byte holds the I/G and U/L bits.
    pub const OUI: usize = 3;
    pub const HEADER_LEN: usize = 14;
}

/// The largest value of the type/length field that is a length (IEEE 802.3 maximum frame data).
const MAX_802_3_LEN: u16 = 1500;
/// The smallest value that is an EtherType. Values in between are invalid.
const MIN_ETHERTYPE: u16 = 0x0600;

spec!(DST, "eth.dst", "Destination", "目的地址",
    "MAC address of the station the frame is for. ff:ff:ff:ff:ff:ff reaches every station on the segment; an odd first byte means a multicast group.",
    "这一帧要交给的站点的 MAC 地址。ff:ff:ff:ff:ff:ff 会送到本网段的所有站点;第一个字节为奇数表示多播组。");
spec!(DST_LG, "eth.dst.lg", "LG bit", "LG 位",
    "Second-lowest bit of the first byte: 1 means the address was set locally (by software), 0 that it is the globally unique one burnt in by the maker.",
    "第一个字节的次低位:1 表示地址是本地(软件)分配的,0 表示是厂商烧录的全球唯一地址。");
spec!(DST_IG, "eth.dst.ig", "IG bit", "IG 位",
    "Lowest bit of the first byte: 1 for a group (multicast or broadcast) address, 0 for a single station.",
    "第一个字节的最低位:1 表示组地址(多播或广播),0 表示单个站点。");
spec!(SRC, "eth.src", "Source", "源地址",
    "MAC address of the network card that sent the frame. Switches learn from it which port leads to that station.",
    "发送这一帧的网卡的 MAC 地址。交换机根据它学习到该站点在哪个端口后面。");
spec!(SRC_LG, "eth.src.lg", "LG bit", "LG 位",
    "1 when the sender uses a locally administered address (virtual machines and containers often do).",
    "发送方使用本地管理地址时为 1(虚拟机和容器经常如此)。");
spec!(SRC_IG, "eth.src.ig", "IG bit", "IG 位",
    "Must be 0: a frame is always sent by one station, never by a group.",
    "必须为 0:一帧总是由单个站点发出,不会由一个组发出。");
spec!(TYPE, "eth.type", "Type", "类型",
    "EtherType: which protocol the payload carries (0x0800 IPv4, 0x86dd IPv6, 0x0806 ARP, 0x8100 a VLAN tag). The receiver hands the payload to that protocol.",
    "以太网类型:说明载荷里是哪种协议(0x0800 为 IPv4,0x86dd 为 IPv6,0x0806 为 ARP,0x8100 为 VLAN 标签)。接收方据此把载荷交给对应的协议处理。");
spec!(LEN, "eth.len", "Length", "长度",
    "In an IEEE 802.3 frame this field is the payload length (at most 1500), not a type; an LLC header then names the protocol.",
    "在 IEEE 802.3 帧中这个字段是载荷长度(不超过 1500),而不是类型;协议由随后的 LLC 头给出。");
spec!(INVALID_LENTYPE, "eth.invalid_lentype", "Invalid length/type", "无效的长度/类型",
    "Values from 1501 to 1535 are neither a valid 802.3 length nor an EtherType.",
    "1501 到 1535 之间的值既不是有效的 802.3 长度,也不是以太网类型。");

/// A MAC address field with its I/G and U/L bits as children, as Wireshark shows them.
fn mac_field(
    w: &Window<'_>,
    at: Range<usize>,
    mac: [u8; 6],
    spec: &'static netlayers_core::FieldSpec,
    bits: [&'static netlayers_core::FieldSpec; 2],
) -> Field {
    let oui = w.abs(at.start..at.start + field::OUI);
    let local = mac[0] & 0x02 != 0;
    let group = mac[0] & 0x01 != 0;
    Field::new(spec, Value::Mac(mac), w.abs(at)).with_children(vec![
        Field::new(bits[0], Value::Bool(local), oui.clone()).with_mask(0x02_0000).with_display(if local {
            "Locally administered address (this is NOT the factory default)"
        } else {
            "Globally unique address (factory default)"
        }),
        Field::new(bits[1], Value::Bool(group), oui).with_mask(0x01_0000).with_display(if group {
            "Group address (multicast/broadcast)"
        } else {
            "Individual address (unicast)"
        }),
    ])
}

/// `Ethernet II, Src: 02:77:00:00:00:0a, Dst: ff:ff:ff:ff:ff:ff`.
fn ethernet_ii_title(src: &[u8; 6], dst: &[u8; 6]) -> String {
    let mut s = String::with_capacity(64);
    s.push_str("Ethernet II, Src: ");
    push_mac(&mut s, src);
    s.push_str(", Dst: ");
    push_mac(&mut s, dst);
    s
}

/// `IPv4 (0x0800)`, or `Unknown (0x88b7)` for a type without a name.
fn type_display(name: Option<&str>, type_len: u16) -> String {
    let name = name.unwrap_or("Unknown");
    let mut s = String::with_capacity(name.len() + 9);
    s.push_str(name);
    s.push_str(" (0x");
    push_hex4(&mut s, type_len);
    s.push(')');
    s
}

/// Ethernet II or IEEE 802.3. Hands off the EtherType with everything after the 14-byte header
/// (padding cannot be told apart here; IP limits itself by its Total Length). An 802.3 frame
/// hands on its LLC header and data, as many bytes as the length field says.
pub fn ethernet(frame: &[u8], at: Range<usize>, _ctx: DecodeCtx) -> Step {
    let w = Window::new(frame, at);
    let mut layer = Layer::new(LayerKind::Link, "eth", "Ethernet", w.abs(0..field::HEADER_LEN));
    let (Some(dst), Some(src), Some(type_len)) =
        (w.mac(field::DST.start), w.mac(field::SRC.start), w.u16(field::TYPE.start))
    else {
        // tshark shows no eth field at all when the 14-byte header is incomplete.
        layer.title = "Ethernet".into();
        layer.notes.push(Note::truncated("Ethernet header", w.start(), field::HEADER_LEN, w.len()));
        return Step::end(layer);
    };
    let mut fields = Vec::with_capacity(3);
    fields.push(mac_field(&w, field::DST, dst, &DST, [&DST_LG, &DST_IG]));
    fields.push(mac_field(&w, field::SRC, src, &SRC, [&SRC_LG, &SRC_IG]));
    let rest = w.abs(field::HEADER_LEN..w.len());
    let next;
    let mut payload = rest.clone();
    if type_len >= MIN_ETHERTYPE {
        let name = ethertype::name(type_len);
        fields.push(
            Field::new(&TYPE, Value::Enum { value: type_len.into(), name }, w.abs(field::TYPE))
                .with_display(type_display(name, type_len)),
        );
        layer.title = ethernet_ii_title(&src, &dst);
        // The IEEE's two EtherTypes for local experiments have a Wireshark dissector that only
        // names them; every other type is named by the layer that decodes it.
        layer.info = Some(match type_len {
            0x88b5 | 0x88b6 => name.unwrap_or("Ethernet II").to_string(),
            _ => "Ethernet II".into(),
        });
        next = Handoff::EtherType(type_len);
    } else if type_len <= MAX_802_3_LEN {
        let mut len = Field::new(&LEN, Value::UInt(type_len.into()), w.abs(field::TYPE));
        let want = field::HEADER_LEN + usize::from(type_len);
        if want > w.len() {
            len = len.with_note(Note::new(
                Severity::Warn,
                "eth.len.past_end",
                "Length field value goes past the end of the payload",
                "长度字段的值超出了载荷的末尾",
            ));
        }
        fields.push(len);
        payload = w.abs(field::HEADER_LEN..want);
        layer.title = "IEEE 802.3 Ethernet".into();
        layer.info = Some("IEEE 802.3 Ethernet".into());
        next = Handoff::Llc;
    } else {
        fields.push(
            Field::new(&INVALID_LENTYPE, Value::Hex { value: type_len.into(), digits: 4 }, w.abs(field::TYPE)).with_note(
                Note::new(
                    Severity::Error,
                    "eth.invalid_lentype",
                    format!("Invalid length/type: 0x{type_len:04x} ({type_len})"),
                    format!("无效的长度/类型:0x{type_len:04x}({type_len})"),
                ),
            ),
        );
        layer.title = ethernet_ii_title(&src, &dst);
        layer.info = Some(format!("Ethernet Unknown: Invalid length/type: 0x{type_len:04x} ({type_len})"));
        next = Handoff::Data;
    }
    layer.fields = fields;
    Step { layers: vec![layer], next, payload }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A broadcast ARP request frame as a host sends it.
    const ARP_REQUEST: [u8; 42] = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // eth.dst: broadcast
        0x02, 0x77, 0x00, 0x00, 0x00, 0x0a, // eth.src: locally administered
        0x08, 0x06, // eth.type: ARP
        0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, // ARP fixed part
        0x02, 0x77, 0x00, 0x00, 0x00, 0x0a, 10, 77, 0, 1, // sender
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 10, 77, 0, 2, // target
    ];

    fn key_values(l: &Layer) -> Vec<(&'static str, Value)> {
        let mut v = Vec::new();
        l.walk(&mut |f| v.push((f.key(), f.value.clone())));
        v
    }

    #[test]
    fn parse_ethernet_ii() {
        let s = ethernet(&ARP_REQUEST, 0..42, DecodeCtx::default());
        assert_eq!(s.next, Handoff::EtherType(0x0806));
        assert_eq!(s.payload, 14..42);
        let l = &s.layers[0];
        assert_eq!(l.range, 0..14);
        assert_eq!(l.title, "Ethernet II, Src: 02:77:00:00:00:0a, Dst: ff:ff:ff:ff:ff:ff");
        assert_eq!(l.kind, LayerKind::Link);
        assert_eq!(
            key_values(l),
            vec![
                ("eth.dst", Value::Mac([0xff; 6])),
                ("eth.dst.lg", Value::Bool(true)),
                ("eth.dst.ig", Value::Bool(true)),
                ("eth.src", Value::Mac([0x02, 0x77, 0, 0, 0, 0x0a])),
                ("eth.src.lg", Value::Bool(true)),
                ("eth.src.ig", Value::Bool(false)),
                ("eth.type", Value::Enum { value: 0x0806, name: Some("ARP") }),
            ]
        );
        assert_eq!(l.find("eth.type").map(|f| f.range.clone()), Some(12..14));
        assert_eq!(l.find("eth.src").map(|f| f.range.clone()), Some(6..12));
        assert_eq!(l.find("eth.dst.ig").and_then(|f| f.mask), Some(0x01_0000));
    }

    #[test]
    fn offset_frame_ranges_are_absolute() {
        let mut frame = vec![0xee; 4];
        frame.extend_from_slice(&ARP_REQUEST);
        let s = ethernet(&frame, 4..46, DecodeCtx::default());
        assert_eq!(s.layers[0].range, 4..18);
        assert_eq!(s.layers[0].find("eth.type").map(|f| f.range.clone()), Some(16..18));
        assert_eq!(s.payload, 18..46);
    }

    #[test]
    fn every_too_short_length_has_no_eth_field() {
        for n in 0..14 {
            let s = ethernet(&ARP_REQUEST[..n], 0..n, DecodeCtx::default());
            assert_eq!(s.next, Handoff::End);
            let l = &s.layers[0];
            assert!(l.fields.is_empty(), "{n} bytes gave fields");
            assert_eq!(l.notes.first().map(|n| n.id), Some("truncated"));
            assert!(s.payload.end <= n);
        }
        let s = ethernet(&ARP_REQUEST[..14], 0..14, DecodeCtx::default());
        assert_eq!(s.payload, 14..14);
        assert!(s.layers[0].find("eth.type").is_some());
    }

    #[test]
    fn ieee_802_3_has_a_length_and_no_type() {
        let mut f = ARP_REQUEST.to_vec();
        f[12..14].copy_from_slice(&9u16.to_be_bytes());
        let s = ethernet(&f, 0..f.len(), DecodeCtx::default());
        let l = &s.layers[0];
        assert!(l.find("eth.type").is_none());
        assert_eq!(l.find("eth.len").map(|f| f.value.clone()), Some(Value::UInt(9)));
        assert_eq!(s.next, Handoff::Llc);
        assert_eq!(s.payload, 14..23, "the length field bounds the LLC bytes");
        assert_eq!(l.title, "IEEE 802.3 Ethernet");
        // A length past the captured bytes is cut to them, with a warning.
        f[12..14].copy_from_slice(&1500u16.to_be_bytes());
        let s = ethernet(&f, 0..f.len(), DecodeCtx::default());
        assert_eq!(s.payload, 14..42);
        assert_eq!(s.layers[0].find("eth.len").map(|f| f.notes.len()), Some(1));
    }

    #[test]
    fn between_length_and_type_is_invalid() {
        let mut f = ARP_REQUEST.to_vec();
        f[12..14].copy_from_slice(&0x05ffu16.to_be_bytes());
        let s = ethernet(&f, 0..f.len(), DecodeCtx::default());
        let l = &s.layers[0];
        assert!(l.find("eth.type").is_none() && l.find("eth.len").is_none());
        assert!(l.find("eth.invalid_lentype").is_some());
        assert_eq!(l.info.as_deref(), Some("Ethernet Unknown: Invalid length/type: 0x05ff (1535)"));
    }

    #[test]
    fn a_range_past_the_frame_is_not_trusted() {
        let s = ethernet(&ARP_REQUEST, 0..1000, DecodeCtx::default());
        assert_eq!(s.payload, 14..42);
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..80), a in 0usize..90, b in 0usize..90) {
            let s = ethernet(&data, a.min(b)..a.max(b), DecodeCtx::default());
            crate::check_ranges(&s, data.len());
            assert!(s.payload.start <= s.payload.end && s.payload.end <= data.len().max(s.payload.start));
        }
    }
}
