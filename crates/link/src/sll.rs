//! Linux "cooked" capture headers: what `tcpdump -i any` writes, since an "any" capture mixes
//! links whose own headers differ. The kernel replaces the link header with this pseudo-header.
//!
//! SLL (LINKTYPE_LINUX_SLL, 16 bytes), <https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html>:
//!
//! ```text
//! +---------------------------+
//! |       Packet type         | 2 bytes
//! |   Link-layer addr type    | 2 bytes (ARPHRD_ value)
//! |   Link-layer addr length  | 2 bytes
//! |   Link-layer address      | 8 bytes (first "length" bytes used)
//! |       Protocol type       | 2 bytes (EtherType, or a Linux protocol below 0x0600)
//! +---------------------------+
//! ```
//!
//! SLL2 (LINKTYPE_LINUX_SLL2, 20 bytes), <https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL2.html>:
//!
//! ```text
//! +---------------------------+
//! |       Protocol type       | 2 bytes
//! |         Reserved          | 2 bytes
//! |     Interface index       | 4 bytes
//! |   Link-layer addr type    | 2 bytes
//! |       Packet type         | 1 byte
//! |   Link-layer addr length  | 1 byte
//! |   Link-layer address      | 8 bytes
//! +---------------------------+
//! ```

use std::net::Ipv4Addr;
use std::ops::Range;

use netlayers_core::{DecodeCtx, Field, Handoff, Layer, LayerKind, Note, Step, Value};

use crate::arp::hw_type_name;
use crate::ethertype;
use netlayers_core::window::Window;

mod field {
    pub mod v1 {
        use std::ops::Range;
        pub const PKTTYPE: Range<usize> = 0..2;
        pub const HATYPE: Range<usize> = 2..4;
        pub const HALEN: Range<usize> = 4..6;
        pub const ADDR: usize = 6;
        pub const PROTOCOL: Range<usize> = 14..16;
        pub const HEADER_LEN: usize = 16;
        /// tshark reads the address type before it shows any field.
        pub const FIRST_READ: usize = 4;
    }
    pub mod v2 {
        use std::ops::Range;
        pub const PROTOCOL: Range<usize> = 0..2;
        pub const IFINDEX: Range<usize> = 4..8;
        pub const HATYPE: Range<usize> = 8..10;
        pub const PKTTYPE: Range<usize> = 10..11;
        pub const HALEN: Range<usize> = 11..12;
        pub const ADDR: usize = 12;
        pub const HEADER_LEN: usize = 20;
        /// tshark reads the address length before it shows any field.
        pub const FIRST_READ: usize = 12;
    }
    /// Both versions keep 8 bytes for the link-layer address.
    pub const ADDR_SPACE: usize = 8;
}

const ARPHRD_ETHER: u16 = 1;
const ARPHRD_IEEE802: u16 = 6;
const ARPHRD_LOOPBACK: u16 = 772;
const ARPHRD_IPGRE: u16 = 778;
const ARPHRD_IEEE80211: u16 = 801;

spec!(PKTTYPE, "sll.pkttype", "Packet type", "数据包类型",
    "Where the packet was going, as the kernel saw it: 0 to this host, 1 broadcast, 2 multicast, 3 to another host (promiscuous), 4 sent by this host.",
    "内核看到的数据包去向:0 发给本机,1 广播,2 多播,3 发给其他主机(混杂模式),4 由本机发出。");
spec!(HATYPE, "sll.hatype", "Link-layer address type", "链路层地址类型",
    "ARPHRD_ type of the interface the packet went through: 1 Ethernet, 772 loopback, 65534 tunnels without addresses.",
    "数据包经过的接口的 ARPHRD_ 类型:1 为以太网,772 为回环接口,65534 为没有地址的隧道。");
spec!(HALEN, "sll.halen", "Link-layer address length", "链路层地址长度",
    "How many bytes of the address field hold the sender's link address (6 for a MAC, 0 for loopback).",
    "地址字段中有多少字节是发送方的链路地址(MAC 为 6,回环接口为 0)。");
spec!(SRC_ETH, "sll.src.eth", "Source", "源地址",
    "The sender's MAC address, kept from the Ethernet header that the cooked header replaced. The destination MAC is not kept.",
    "发送方的 MAC 地址,取自被这个伪头部替换掉的以太网头部。目的 MAC 地址没有保留。");
spec!(SRC_IPV4, "sll.src.ipv4", "Source", "源地址",
    "The sender's address on an IPv4 tunnel (GRE), kept from the replaced link header.",
    "IPv4 隧道(GRE)上发送方的地址,取自被替换掉的链路层头部。");
spec!(SRC_OTHER, "sll.src.other", "Source", "源地址",
    "The sender's link-layer address, on a link whose addresses are not MACs.",
    "发送方的链路层地址,所在链路的地址不是 MAC 地址。");
spec!(UNUSED, "sll.unused", "Unused", "未使用",
    "The part of the 8-byte address field that the address did not need.",
    "8 字节地址字段中地址用不到的部分。");
spec!(ETYPE, "sll.etype", "Protocol", "协议",
    "EtherType of the packet after this header, as in an Ethernet header.",
    "这个头部之后的数据包的以太网类型,和以太网头部中的一样。");
spec!(LTYPE, "sll.ltype", "Protocol", "协议",
    "A Linux protocol number below 0x0600 (for example 4, an 802.2 LLC frame) instead of an EtherType.",
    "小于 0x0600 的 Linux 协议号(例如 4 表示 802.2 LLC 帧),而不是以太网类型。");
spec!(GRETYPE, "sll.gretype", "Protocol", "协议",
    "On a GRE tunnel interface, the GRE protocol type of the packet (an EtherType).",
    "在 GRE 隧道接口上,数据包的 GRE 协议类型(也是以太网类型)。");
spec!(NETLINK_HATYPE, "netlink.hatype", "Link-layer address type", "链路层地址类型",
    "824: the packet is a netlink message (kernel ↔ program), captured on an nlmon interface.",
    "824:这个数据包是一条 netlink 消息(内核与程序之间的消息),捕获自 nlmon 接口。");
spec!(NETLINK_FAMILY, "netlink.family", "Family", "协议族",
    "Which netlink protocol the message belongs to (0 route, 16 generic …).",
    "消息所属的 netlink 协议(0 为路由,16 为通用 netlink 等)。");
spec!(IFINDEX, "sll.ifindex", "Interface index", "接口索引",
    "Kernel index of the interface the packet was captured on (see `ip link`): SLL2 records it, so an \"any\" capture tells interfaces apart.",
    "捕获到该数据包的接口在内核中的编号(见 `ip link`):SLL2 会记录它,因此在 any 捕获中也能区分接口。");

fn pkttype_name(t: u16) -> Option<&'static str> {
    Some(match t {
        0 => "Unicast to us",
        1 => "Broadcast",
        2 => "Multicast",
        3 => "Unicast to another host",
        4 => "Sent by us",
        _ => return None,
    })
}

fn ltype_name(t: u16) -> Option<&'static str> {
    Some(match t {
        0x0001 => "Raw 802.3",
        0x0003 => "Ethernet",
        0x0004 => "802.2 LLC",
        0x0007 => "PPP (HDLC)",
        0x000c => "CAN",
        0x000d => "CAN FD",
        0x0017 => "IrDA LAP",
        0x00f5 => "ISI",
        0x00f6 => "IEEE 802.15.4",
        _ => return None,
    })
}

/// Where the two versions keep their fields.
struct Offsets {
    pkttype: Range<usize>,
    hatype: Range<usize>,
    halen: Range<usize>,
    addr: usize,
    protocol: Range<usize>,
    header_len: usize,
    first_read: usize,
}

const V1: Offsets = Offsets {
    pkttype: field::v1::PKTTYPE,
    hatype: field::v1::HATYPE,
    halen: field::v1::HALEN,
    addr: field::v1::ADDR,
    protocol: field::v1::PROTOCOL,
    header_len: field::v1::HEADER_LEN,
    first_read: field::v1::FIRST_READ,
};

const V2: Offsets = Offsets {
    pkttype: field::v2::PKTTYPE,
    hatype: field::v2::HATYPE,
    halen: field::v2::HALEN,
    addr: field::v2::ADDR,
    protocol: field::v2::PROTOCOL,
    header_len: field::v2::HEADER_LEN,
    first_read: field::v2::FIRST_READ,
};

/// Reads a 1- or 2-byte big-endian number.
fn uint(w: &Window<'_>, r: &Range<usize>) -> Option<u16> {
    match r.len() {
        1 => w.u8(r.start).map(u16::from),
        _ => w.u16(r.start),
    }
}

/// Linux cooked capture v1 (16-byte header). Hands off the protocol field as an EtherType.
pub fn linux_sll(frame: &[u8], at: Range<usize>, _ctx: DecodeCtx) -> Step {
    cooked(frame, at, 1)
}

/// Linux cooked capture v2 (20-byte header). Hands off the protocol field as an EtherType.
pub fn linux_sll2(frame: &[u8], at: Range<usize>, _ctx: DecodeCtx) -> Step {
    cooked(frame, at, 2)
}

/// ARPHRD_NETLINK: the cooked header then starts a netlink message, not a network packet.
const ARPHRD_NETLINK: u16 = 824;

fn cooked(frame: &[u8], at: Range<usize>, version: u8) -> Step {
    let w = Window::new(frame, at);
    let o = if version == 1 { &V1 } else { &V2 };
    if version == 1 && w.u16(o.hatype.start) == Some(ARPHRD_NETLINK) {
        return netlink(&w);
    }
    let mut layer = Layer::new(LayerKind::Link, "sll", "SLL", w.abs(0..o.header_len));
    layer.title = format!("Linux cooked capture v{version}");
    let mut fields = Vec::new();
    let next = if w.len() < o.first_read { None } else { header_fields(&w, o, version, &mut fields, &mut layer) };
    layer.fields = fields;
    match next {
        Some(next) => Step { layers: vec![layer], next, payload: w.abs(o.header_len..w.len()) },
        None => {
            layer.notes.push(Note::truncated("Linux cooked header", w.start(), o.header_len, w.len()));
            Step::end(layer)
        }
    }
}

/// A netlink message captured on an nlmon interface: tshark shows the cooked header as its own
/// "netlink" header, with only the address type and the netlink family.
fn netlink(w: &Window<'_>) -> Step {
    let mut layer = Layer::new(LayerKind::Link, "netlink", "Netlink", w.abs(0..field::v1::HEADER_LEN));
    layer.title = "Linux netlink (cooked header)".into();
    layer.fields.push(Field::new(&NETLINK_HATYPE, Value::UInt(ARPHRD_NETLINK.into()), w.abs(field::v1::HATYPE)));
    let Some(family) = w.u16(field::v1::PROTOCOL.start) else {
        layer.notes.push(Note::truncated("Linux netlink cooked header", w.start(), field::v1::HEADER_LEN, w.len()));
        return Step::end(layer);
    };
    layer.fields.push(Field::new(&NETLINK_FAMILY, Value::Hex { value: family.into(), digits: 4 }, w.abs(field::v1::PROTOCOL)));
    Step { layers: vec![layer], next: Handoff::Data, payload: w.abs(field::v1::HEADER_LEN..w.len()) }
}

/// The header's fields in tshark's order; `None` if the header was cut short.
fn header_fields(w: &Window<'_>, o: &Offsets, version: u8, out: &mut Vec<Field>, layer: &mut Layer) -> Option<Handoff> {
    // SLL2 puts the protocol and the interface first.
    let mut protocol = None;
    if version == 2 {
        protocol = Some(protocol_field(w, o, w.u16(o.hatype.start)?, out)?);
        let ifindex = w.u32(field::v2::IFINDEX.start)?;
        out.push(Field::new(&IFINDEX, Value::UInt(ifindex.into()), w.abs(field::v2::IFINDEX)));
    }
    let pkttype = uint(w, &o.pkttype)?;
    let pkttype_field =
        Field::new(&PKTTYPE, Value::Enum { value: pkttype.into(), name: pkttype_name(pkttype) }, w.abs(o.pkttype.clone()));
    let hatype = w.u16(o.hatype.start)?;
    let hatype_field =
        Field::new(&HATYPE, Value::Enum { value: hatype.into(), name: hw_type_name(hatype) }, w.abs(o.hatype.clone()));
    if version == 1 {
        out.extend([pkttype_field, hatype_field]);
    } else {
        out.extend([hatype_field, pkttype_field]);
    }
    // tshark names the packet type in the Info column; for SLL2 it reads the byte after the
    // packet type (the address length) for that, and so do we, to show the same text.
    let shown = if version == 2 { uint(w, &o.halen)? } else { pkttype };
    layer.info = Some(match pkttype_name(shown) {
        Some(n) => n.to_string(),
        None => format!("Unknown ({shown})"),
    });
    let halen = uint(w, &o.halen)?;
    out.push(Field::new(&HALEN, Value::UInt(halen.into()), w.abs(o.halen.clone())));
    let used = usize::from(halen).min(field::ADDR_SPACE);
    if used > 0 {
        let r = o.addr..o.addr + used;
        let b = w.bytes(r.clone())?;
        let f = match (hatype, <[u8; 6]>::try_from(b), <[u8; 4]>::try_from(b)) {
            (ARPHRD_ETHER | ARPHRD_IEEE802 | ARPHRD_LOOPBACK | ARPHRD_IEEE80211..=803, Ok(mac), _) => {
                Field::new(&SRC_ETH, Value::Mac(mac), w.abs(r))
            }
            (ARPHRD_IPGRE, _, Ok(a)) => Field::new(&SRC_IPV4, Value::Ipv4(Ipv4Addr::from(a)), w.abs(r)),
            _ => Field::new(&SRC_OTHER, Value::Bytes(b.to_vec()), w.abs(r)),
        };
        out.push(f);
    }
    if used < field::ADDR_SPACE {
        let r = o.addr + used..o.addr + field::ADDR_SPACE;
        out.push(Field::new(&UNUSED, Value::Bytes(w.bytes(r.clone())?.to_vec()), w.abs(r)));
    }
    match protocol {
        Some(p) => Some(p),
        None => protocol_field(w, o, hatype, out),
    }
}

/// The protocol field: an EtherType, a GRE protocol type or a Linux protocol number.
fn protocol_field(w: &Window<'_>, o: &Offsets, hatype: u16, out: &mut Vec<Field>) -> Option<Handoff> {
    let p = w.u16(o.protocol.start)?;
    let r = w.abs(o.protocol.clone());
    if hatype == ARPHRD_IPGRE {
        out.push(Field::new(&GRETYPE, Value::Hex { value: p.into(), digits: 4 }, r));
        return Some(Handoff::EtherType(p));
    }
    if p < 0x0600 {
        out.push(Field::new(&LTYPE, Value::Enum { value: p.into(), name: ltype_name(p) }, r));
        // Protocol 4 (ETH_P_802_2): an 802.2 LLC header follows.
        return Some(if p == 0x0004 { Handoff::Llc } else { Handoff::Data });
    }
    let name = ethertype::name(p);
    out.push(
        Field::new(&ETYPE, Value::Enum { value: p.into(), name }, r)
            .with_display(format!("{} (0x{p:04x})", name.unwrap_or("Unknown"))),
    );
    Some(Handoff::EtherType(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An SLL v1 header of an IPv4 packet received from 02:77:00:00:00:0a.
    const V1_IPV4: [u8; 17] = [
        0x00, 0x00, // sll.pkttype: unicast to us
        0x00, 0x01, // sll.hatype: Ethernet
        0x00, 0x06, // sll.halen
        0x02, 0x77, 0x00, 0x00, 0x00, 0x0a, // sll.src.eth
        0x00, 0x00, // sll.unused
        0x08, 0x00, // sll.etype: IPv4
        0x45, // first byte of the packet
    ];

    /// An SLL2 header of an IPv6 packet sent on the loopback interface (index 1).
    const V2_LOOPBACK: [u8; 21] = [
        0x86, 0xdd, // sll.etype: IPv6
        0x00, 0x00, // reserved
        0x00, 0x00, 0x00, 0x01, // sll.ifindex
        0x03, 0x04, // sll.hatype: 772 loopback
        0x04, // sll.pkttype: sent by us
        0x00, // sll.halen: no address
        0, 0, 0, 0, 0, 0, 0, 0, // sll.unused
        0x60,
    ];

    fn keys(l: &Layer) -> Vec<(&'static str, Range<usize>)> {
        l.fields.iter().map(|f| (f.key(), f.range.clone())).collect()
    }

    #[test]
    fn parse_v1() {
        let s = linux_sll(&V1_IPV4, 0..17, DecodeCtx::default());
        assert_eq!(s.next, Handoff::EtherType(0x0800));
        assert_eq!(s.payload, 16..17);
        let l = &s.layers[0];
        assert_eq!(
            keys(l),
            vec![
                ("sll.pkttype", 0..2),
                ("sll.hatype", 2..4),
                ("sll.halen", 4..6),
                ("sll.src.eth", 6..12),
                ("sll.unused", 12..14),
                ("sll.etype", 14..16)
            ]
        );
        assert_eq!(l.find("sll.src.eth").map(|f| f.value.clone()), Some(Value::Mac([2, 0x77, 0, 0, 0, 0x0a])));
        assert_eq!(l.info.as_deref(), Some("Unicast to us"));
        assert!(l.find("eth.src").is_none());
    }

    #[test]
    fn parse_v2() {
        let s = linux_sll2(&V2_LOOPBACK, 0..21, DecodeCtx::default());
        assert_eq!(s.next, Handoff::EtherType(0x86dd));
        assert_eq!(s.payload, 20..21);
        let l = &s.layers[0];
        assert_eq!(
            keys(l),
            vec![
                ("sll.etype", 0..2),
                ("sll.ifindex", 4..8),
                ("sll.hatype", 8..10),
                ("sll.pkttype", 10..11),
                ("sll.halen", 11..12),
                ("sll.unused", 12..20)
            ]
        );
        assert_eq!(l.find("sll.ifindex").and_then(|f| f.value.as_u64()), Some(1));
        // tshark's Info for SLL2 names the address length as if it were the packet type.
        assert_eq!(l.info.as_deref(), Some("Unicast to us"));
        assert_eq!(l.title, "Linux cooked capture v2");
    }

    #[test]
    fn a_small_protocol_number_is_a_linux_type() {
        let mut f = V1_IPV4;
        f[14..16].copy_from_slice(&4u16.to_be_bytes());
        let s = linux_sll(&f, 0..17, DecodeCtx::default());
        assert_eq!(s.next, Handoff::Llc);
        assert_eq!(s.layers[0].find("sll.ltype").map(|f| f.value.clone()), Some(Value::Enum { value: 4, name: Some("802.2 LLC") }));
        f[14..16].copy_from_slice(&0x000cu16.to_be_bytes());
        assert_eq!(linux_sll(&f, 0..17, DecodeCtx::default()).next, Handoff::Data);
    }

    #[test]
    fn netlink_monitor_captures() {
        let mut f = V1_IPV4;
        f[2..4].copy_from_slice(&824u16.to_be_bytes());
        f[14..16].copy_from_slice(&16u16.to_be_bytes());
        let s = linux_sll(&f, 0..17, DecodeCtx::default());
        let l = &s.layers[0];
        assert_eq!(l.protocol, "netlink");
        assert_eq!(l.fields.iter().map(|f| f.key()).collect::<Vec<_>>(), ["netlink.hatype", "netlink.family"]);
        assert_eq!(s.next, Handoff::Data);
        assert_eq!(s.payload, 16..17);
    }

    #[test]
    fn every_too_short_length_v1() {
        // tshark: nothing before 4 bytes, then field by field in byte order.
        let expect = |n: usize| match n {
            0..=3 => 0,
            4..=5 => 2,
            6..=11 => 3,
            12..=13 => 4,
            14..=15 => 5,
            _ => 6,
        };
        for n in 0..16 {
            let s = linux_sll(&V1_IPV4[..n], 0..n, DecodeCtx::default());
            assert_eq!(s.layers[0].fields.len(), expect(n), "{n} bytes");
            assert_eq!(s.next, Handoff::End);
            crate::check_ranges(&s, n);
        }
    }

    #[test]
    fn every_too_short_length_v2() {
        for n in 0..20 {
            let s = linux_sll2(&V2_LOOPBACK[..n], 0..n, DecodeCtx::default());
            let l = &s.layers[0];
            // Nothing before 12 bytes; all but the unused bytes from 12 on.
            assert_eq!(l.fields.len(), if n < 12 { 0 } else { 5 }, "{n}");
            assert_eq!(s.next, Handoff::End);
        }
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40), a in 0usize..44) {
            for s in [linux_sll(&data, a..data.len(), DecodeCtx::default()), linux_sll2(&data, a..data.len() + 9, DecodeCtx::default())] {
                crate::check_ranges(&s, data.len());
            }
        }
    }
}
