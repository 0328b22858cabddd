//! ARP, the Address Resolution Protocol (RFC 826), and its relatives that share the packet
//! format (RARP, RFC 903; Inverse ARP, RFC 2390).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |         Hardware type         |         Protocol type         |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  HW addr len  | Proto addr len|            Opcode             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  Sender hardware address (HW addr len bytes)                  |
//! |  Sender protocol address (Proto addr len bytes)               |
//! |  Target hardware address                                      |
//! |  Target protocol address                                      |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Over Ethernet for IPv4 the addresses are 6 and 4 bytes: 28 bytes in all.

use std::fmt::Write as _;
use std::net::Ipv4Addr;
use std::ops::Range;

use netlayers_core::model::fmt_mac;
use netlayers_core::{DecodeCtx, Field, FieldSpec, Layer, LayerKind, Note, Step, Value};

use crate::ethertype;
use netlayers_core::window::Window;

mod field {
    use std::ops::Range;
    pub const HW_TYPE: Range<usize> = 0..2;
    pub const PROTO_TYPE: Range<usize> = 2..4;
    pub const HW_SIZE: usize = 4;
    pub const PROTO_SIZE: usize = 5;
    pub const OPCODE: Range<usize> = 6..8;
    /// The addresses start here; their sizes come from the two size fields.
    pub const ADDRESSES: usize = 8;
}

const HW_ETHERNET: u16 = 1;
const HW_IEEE802: u16 = 6;
const PROTO_IPV4: u16 = 0x0800;

const OP_REQUEST: u16 = 1;
const OP_REPLY: u16 = 2;

spec!(HW_TYPE, "arp.hw.type", "Hardware type", "硬件类型",
    "Kind of link the addresses belong to: 1 is Ethernet.",
    "地址所属的链路类型:1 表示以太网。");
spec!(PROTO_TYPE, "arp.proto.type", "Protocol type", "协议类型",
    "Network protocol being resolved, written as an EtherType: 0x0800 for IPv4.",
    "要解析的网络层协议,用以太网类型表示:0x0800 表示 IPv4。");
spec!(HW_SIZE, "arp.hw.size", "Hardware size", "硬件地址长度",
    "Length of each hardware address in bytes (6 for a MAC address).",
    "每个硬件地址的字节数(MAC 地址为 6)。");
spec!(PROTO_SIZE, "arp.proto.size", "Protocol size", "协议地址长度",
    "Length of each protocol address in bytes (4 for IPv4).",
    "每个协议地址的字节数(IPv4 为 4)。");
spec!(OPCODE, "arp.opcode", "Opcode", "操作码",
    "1 asks \"who has this IP address?\" (a broadcast request), 2 answers \"it is at this MAC\" (a unicast reply).",
    "1 表示询问“谁拥有这个 IP 地址?”(广播请求),2 表示回答“它在这个 MAC 地址上”(单播应答)。");
spec!(SRC_HW_MAC, "arp.src.hw_mac", "Sender MAC address", "发送方 MAC 地址",
    "MAC address of the sender. Every host that receives the packet may cache it together with the sender's IP address.",
    "发送方的 MAC 地址。收到这个报文的主机可以把它和发送方的 IP 地址一起记入 ARP 缓存。");
spec!(SRC_HW, "arp.src.hw", "Sender hardware address", "发送方硬件地址",
    "Sender's link address, for links whose addresses are not 6-byte MACs.",
    "发送方的链路地址,用于地址不是 6 字节 MAC 的链路。");
spec!(SRC_PROTO_IPV4, "arp.src.proto_ipv4", "Sender IP address", "发送方 IP 地址",
    "IPv4 address of the sender. 0.0.0.0 means the sender has no address yet (an ARP probe).",
    "发送方的 IPv4 地址。0.0.0.0 表示发送方还没有地址(ARP 探测)。");
spec!(SRC_PROTO, "arp.src.proto", "Sender protocol address", "发送方协议地址",
    "Sender's network address, for protocols other than IPv4.",
    "发送方的网络层地址,用于 IPv4 以外的协议。");
spec!(DST_HW_MAC, "arp.dst.hw_mac", "Target MAC address", "目标 MAC 地址",
    "In a request it is unknown, so all zeros: that is the question. In a reply it is the MAC of the host that asked.",
    "在请求中它还不知道,所以全为 0:这正是要问的问题。在应答中它是提问主机的 MAC 地址。");
spec!(DST_HW, "arp.dst.hw", "Target hardware address", "目标硬件地址",
    "Target's link address, for links whose addresses are not 6-byte MACs.",
    "目标的链路地址,用于地址不是 6 字节 MAC 的链路。");
spec!(DST_PROTO_IPV4, "arp.dst.proto_ipv4", "Target IP address", "目标 IP 地址",
    "The IPv4 address whose owner is being looked for (in a request) or who asked (in a reply).",
    "请求中是要查找其主人的 IPv4 地址,应答中是提问者的 IPv4 地址。");
spec!(DST_PROTO, "arp.dst.proto", "Target protocol address", "目标协议地址",
    "Target's network address, for protocols other than IPv4.",
    "目标的网络层地址,用于 IPv4 以外的协议。");
spec!(IS_GRATUITOUS, "arp.isgratuitous", "Is gratuitous", "是免费 ARP",
    "Sender and target IP are the same: the host announces its own address (after booting, or when taking over an address) instead of asking.",
    "发送方和目标 IP 相同:主机不是在提问,而是在宣告自己的地址(开机后,或接管某个地址时)。");
spec!(IS_PROBE, "arp.isprobe", "Is probe", "是 ARP 探测",
    "A request from 0.0.0.0 with an unknown target MAC: the host checks that nobody uses an address before taking it (RFC 5227).",
    "来自 0.0.0.0、目标 MAC 未知的请求:主机在使用某个地址之前先确认没有别人在用(RFC 5227)。");
spec!(IS_ANNOUNCEMENT, "arp.isannouncement", "Is announcement", "是 ARP 宣告",
    "A gratuitous request with an unknown target MAC: the host tells everyone it now uses this address (RFC 5227).",
    "目标 MAC 未知的免费 ARP 请求:主机告诉所有人它现在使用这个地址(RFC 5227)。");

fn opcode_name(op: u16) -> Option<&'static str> {
    Some(match op {
        0 | 65535 => "reserved",
        1 => "request",
        2 => "reply",
        3 => "reverse request",
        4 => "reverse reply",
        5 => "drarp request",
        6 => "drarp reply",
        7 => "drarp error",
        8 => "inverse request",
        9 => "inverse reply",
        10 => "arp nak",
        11 => "mars request",
        12 => "mars multi",
        13 => "mars mserv",
        14 => "mars join",
        15 => "mars leave",
        16 => "mars nak",
        17 => "mars unserv",
        18 => "mars sjoin",
        19 => "mars sleave",
        20 => "mars grouplist request",
        21 => "mars grouplist reply",
        22 => "mars redirect map",
        23 => "mapos unarp",
        24 => "experimental 1",
        25 => "experimental 2",
        _ => return None,
    })
}

/// The start of the Info text of the MARS (RFC 2022) and MAPOS opcodes.
fn mars_info(op: u16) -> &'static str {
    match op {
        11 => "MARS request",
        12 => "MARS MULTI request",
        13 => "MARS MSERV request",
        14 => "MARS JOIN request",
        15 => "MARS LEAVE",
        16 => "MARS NAK",
        17 => "MARS UNSERV request",
        18 => "MARS SJOIN request",
        19 => "MARS SLEAVE",
        20 => "MARS grouplist request",
        21 => "MARS grouplist reply",
        22 => "MARS redirect map",
        _ => "MAPOS UNARP request",
    }
}

/// Hardware type names (the ARP parameters registry), as Wireshark prints them.
pub(crate) fn hw_type_name(t: u16) -> Option<&'static str> {
    Some(match t {
        0 => "NET/ROM pseudo",
        1 => "Ethernet",
        2 => "Experimental Ethernet",
        3 => "AX.25",
        6 => "IEEE 802",
        7 => "ARCNET",
        15 => "Frame Relay DLCI",
        16 | 21 => "ATM",
        17 => "HDLC",
        18 => "Fibre Channel",
        19 => "ATM (RFC 2225)",
        20 => "Serial Line",
        24 => "IEEE 1394.1995",
        27 => "EUI-64",
        32 => "InfiniBand",
        35 => "Pure IP",
        256 => "Experimental 2",
        257 => "AEthernet",
        280 => "Controller Area Network",
        512 => "PPP",
        513 => "Cisco HDLC",
        519 => "Raw IP",
        768 => "IPIP tunnel",
        769 => "IP6IP6 tunnel",
        772 => "Loopback",
        776 => "sit0 device - IPv6-in-IPv4",
        778 => "GRE over IP",
        801 => "IEEE 802.11",
        802 => "IEEE 802.11 + Prism2 header",
        803 => "IEEE 802.11 + radiotap header",
        804 => "IEEE 802.15.4",
        65534 => "Void type, nothing is known",
        _ => return None,
    })
}

/// Byte offsets of the four addresses, from the two size fields.
struct Layout {
    sha: Range<usize>,
    spa: Range<usize>,
    tha: Range<usize>,
    tpa: Range<usize>,
}

impl Layout {
    fn new(hln: usize, pln: usize) -> Layout {
        let sha = field::ADDRESSES..field::ADDRESSES + hln;
        let spa = sha.end..sha.end + pln;
        let tha = spa.end..spa.end + hln;
        let tpa = tha.end..tha.end + pln;
        Layout { sha, spa, tha, tpa }
    }
    fn len(&self) -> usize {
        self.tpa.end
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().fold(String::new(), |mut s, x| {
        let _ = write!(s, "{x:02x}");
        s
    })
}

/// How Wireshark writes an address of the packet in the Info column and the tree.
struct Addresses {
    hw_is_mac: bool,
    proto_is_ipv4: bool,
}

impl Addresses {
    fn hw(&self, b: &[u8]) -> String {
        match <[u8; 6]>::try_from(b) {
            Ok(m) if self.hw_is_mac => fmt_mac(&m),
            _ => hex(b),
        }
    }
    fn proto(&self, b: &[u8]) -> String {
        match <[u8; 4]>::try_from(b) {
            Ok(a) if self.proto_is_ipv4 => Ipv4Addr::from(a).to_string(),
            _ => hex(b),
        }
    }
    fn hw_field(&self, mac: &'static FieldSpec, other: &'static FieldSpec, b: &[u8], r: Range<usize>) -> Field {
        match <[u8; 6]>::try_from(b) {
            Ok(m) if self.hw_is_mac => Field::new(mac, Value::Mac(m), r),
            _ => Field::new(other, Value::Bytes(b.to_vec()), r),
        }
    }
    fn proto_field(&self, v4: &'static FieldSpec, other: &'static FieldSpec, b: &[u8], r: Range<usize>) -> Field {
        match <[u8; 4]>::try_from(b) {
            Ok(a) if self.proto_is_ipv4 => Field::new(v4, Value::Ipv4(Ipv4Addr::from(a)), r),
            _ => Field::new(other, Value::Bytes(b.to_vec()), r),
        }
    }
}

/// ARP and its relatives. Nothing follows an ARP packet (Ethernet padding after it is ignored).
///
/// As in tshark, the five fixed fields appear as far as they were captured, and the four
/// addresses only when the whole packet was.
pub fn arp(frame: &[u8], at: Range<usize>, _ctx: DecodeCtx) -> Step {
    let w = Window::new(frame, at);
    let mut layer = Layer::new(LayerKind::Network, "arp", "ARP", w.abs(0..w.len()));
    layer.title = "Address Resolution Protocol".into();
    layer.info = Some(String::new());
    let mut fields = Vec::new();
    fixed_fields(&w, &mut fields);
    let (Some(hrd), Some(pro), Some(hln), Some(pln), Some(op)) = (
        w.u16(field::HW_TYPE.start),
        w.u16(field::PROTO_TYPE.start),
        w.u8(field::HW_SIZE),
        w.u8(field::PROTO_SIZE),
        w.u16(field::OPCODE.start),
    ) else {
        layer.fields = fields;
        layer.notes.push(Note::truncated("ARP header", w.start(), field::ADDRESSES, w.len()));
        return Step::end(layer);
    };
    let lay = Layout::new(hln.into(), pln.into());
    layer.range = w.abs(0..lay.len());
    let (Some(sha), Some(spa), Some(tha), Some(tpa)) =
        (w.bytes(lay.sha.clone()), w.bytes(lay.spa.clone()), w.bytes(lay.tha.clone()), w.bytes(lay.tpa.clone()))
    else {
        layer.fields = fields;
        layer.notes.push(Note::truncated("ARP packet", w.start(), lay.len(), w.len()));
        return Step::end(layer);
    };
    let a = Addresses {
        hw_is_mac: (hrd == HW_ETHERNET || hrd == HW_IEEE802) && hln == 6,
        proto_is_ipv4: pro == PROTO_IPV4 && pln == 4,
    };
    fields.push(a.hw_field(&SRC_HW_MAC, &SRC_HW, sha, w.abs(lay.sha.clone())));
    fields.push(a.proto_field(&SRC_PROTO_IPV4, &SRC_PROTO, spa, w.abs(lay.spa.clone())));
    fields.push(a.hw_field(&DST_HW_MAC, &DST_HW, tha, w.abs(lay.tha.clone())));
    fields.push(a.proto_field(&DST_PROTO_IPV4, &DST_PROTO, tpa, w.abs(lay.tpa.clone())));

    // RFC 5227's names for the special requests, decided as Wireshark does.
    let zero_tha = tha.iter().all(|&b| b == 0);
    let is_gratuitous = (op == OP_REQUEST || op == OP_REPLY) && spa == tpa;
    let is_announcement = is_gratuitous && op == OP_REQUEST && zero_tha;
    let is_probe = !is_gratuitous && op == OP_REQUEST && zero_tha && spa.iter().all(|&b| b == 0);
    for (flag, spec) in [(is_gratuitous, &IS_GRATUITOUS), (is_probe, &IS_PROBE), (is_announcement, &IS_ANNOUNCEMENT)] {
        if flag {
            fields.push(Field::generated(spec, Value::Bool(true)));
        }
    }

    layer.display_name = match op {
        3 | 4 => "RARP",
        5..=7 => "DRARP",
        8 | 9 => "Inverse ARP",
        11..=22 => "MARS",
        23 => "MAPOS",
        _ => "ARP",
    };
    let (sha_s, spa_s, tha_s, tpa_s) = (a.hw(sha), a.proto(spa), a.hw(tha), a.proto(tpa));
    layer.info = Some(match op {
        OP_REQUEST if is_announcement => format!("ARP Announcement for {tpa_s}"),
        OP_REQUEST if is_gratuitous => format!("Gratuitous ARP for {tpa_s} (Request)"),
        OP_REQUEST if is_probe => format!("Who has {tpa_s}? (ARP Probe)"),
        OP_REQUEST => format!("Who has {tpa_s}? Tell {spa_s}"),
        OP_REPLY if is_gratuitous => format!("Gratuitous ARP for {spa_s} (Reply)"),
        OP_REPLY => format!("{spa_s} is at {sha_s}"),
        3 | 5 | 8 => format!("Who is {tha_s}? Tell {sha_s}"),
        4 | 6 => format!("{tha_s} is at {tpa_s}"),
        7 => "DRARP Error".into(),
        9 => format!("{sha_s} is at {spa_s}"),
        10 => "ARP NAK".into(),
        24 => format!("Experimental 1 ( opcode {op} )"),
        25 => format!("Experimental 2 ( opcode {op} )"),
        0 | 65535 => format!("Reserved opcode {op}"),
        11..=23 => format!("{} from {sha_s} at {spa_s}", mars_info(op)),
        _ => format!("Unknown ARP opcode 0x{op:04x}"),
    });
    layer.title = match opcode_name(op) {
        Some(_) if is_probe => "Address Resolution Protocol (ARP Probe)".into(),
        Some(_) if is_announcement => "Address Resolution Protocol (ARP Announcement)".into(),
        Some(_) if is_gratuitous && op == OP_REQUEST => "Address Resolution Protocol (request/gratuitous ARP)".into(),
        Some(_) if is_gratuitous => "Address Resolution Protocol (reply/gratuitous ARP)".into(),
        Some(n) => format!("Address Resolution Protocol ({n})"),
        None => format!("Address Resolution Protocol (opcode 0x{op:04x})"),
    };
    layer.fields = fields;
    Step::end(layer)
}

/// The five fixed fields, each as far as it was captured.
fn fixed_fields(w: &Window<'_>, out: &mut Vec<Field>) {
    let mut go = || -> Option<()> {
        let hrd = w.u16(field::HW_TYPE.start)?;
        out.push(
            Field::new(&HW_TYPE, Value::Enum { value: hrd.into(), name: hw_type_name(hrd) }, w.abs(field::HW_TYPE)),
        );
        let pro = w.u16(field::PROTO_TYPE.start)?;
        let name = ethertype::name(pro);
        out.push(
            Field::new(&PROTO_TYPE, Value::Enum { value: pro.into(), name }, w.abs(field::PROTO_TYPE))
                .with_display(format!("{} (0x{pro:04x})", name.unwrap_or("Unknown"))),
        );
        let hln = w.u8(field::HW_SIZE)?;
        out.push(Field::new(&HW_SIZE, Value::UInt(hln.into()), w.abs(field::HW_SIZE..field::HW_SIZE + 1)));
        let pln = w.u8(field::PROTO_SIZE)?;
        out.push(Field::new(&PROTO_SIZE, Value::UInt(pln.into()), w.abs(field::PROTO_SIZE..field::PROTO_SIZE + 1)));
        let op = w.u16(field::OPCODE.start)?;
        out.push(Field::new(&OPCODE, Value::Enum { value: op.into(), name: opcode_name(op) }, w.abs(field::OPCODE)));
        Some(())
    };
    let _ = go();
}

#[cfg(test)]
mod tests {
    use super::*;
    use netlayers_core::Handoff;

    /// "Who has 10.77.0.2? Tell 10.77.0.1" as the ARP part of an Ethernet frame.
    const REQUEST: [u8; 28] = [
        0x00, 0x01, // arp.hw.type: Ethernet
        0x08, 0x00, // arp.proto.type: IPv4
        0x06, // arp.hw.size
        0x04, // arp.proto.size
        0x00, 0x01, // arp.opcode: request
        0x02, 0x77, 0x00, 0x00, 0x00, 0x0a, // arp.src.hw_mac
        10, 77, 0, 1, // arp.src.proto_ipv4
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // arp.dst.hw_mac: unknown, the question
        10, 77, 0, 2, // arp.dst.proto_ipv4
    ];

    fn decode(b: &[u8]) -> Layer {
        let s = arp(b, 0..b.len(), DecodeCtx::default());
        assert_eq!(s.next, Handoff::End);
        s.layers.into_iter().next().expect("one layer")
    }

    fn with(f: impl FnOnce(&mut [u8; 28])) -> [u8; 28] {
        let mut p = REQUEST;
        f(&mut p);
        p
    }

    #[test]
    fn parse_request() {
        let l = decode(&REQUEST);
        assert_eq!((l.kind, l.protocol, l.display_name), (LayerKind::Network, "arp", "ARP"));
        assert_eq!(l.info.as_deref(), Some("Who has 10.77.0.2? Tell 10.77.0.1"));
        assert_eq!(l.title, "Address Resolution Protocol (request)");
        let expect: [(&str, Range<usize>); 9] = [
            ("arp.hw.type", 0..2),
            ("arp.proto.type", 2..4),
            ("arp.hw.size", 4..5),
            ("arp.proto.size", 5..6),
            ("arp.opcode", 6..8),
            ("arp.src.hw_mac", 8..14),
            ("arp.src.proto_ipv4", 14..18),
            ("arp.dst.hw_mac", 18..24),
            ("arp.dst.proto_ipv4", 24..28),
        ];
        let got: Vec<_> = l.fields.iter().map(|f| (f.key(), f.range.clone())).collect();
        assert_eq!(got, expect.to_vec());
        assert_eq!(l.find("arp.opcode").map(|f| f.value.clone()), Some(Value::Enum { value: 1, name: Some("request") }));
        assert_eq!(l.find("arp.dst.hw_mac").map(|f| f.value.clone()), Some(Value::Mac([0; 6])));
        assert_eq!(l.find("arp.src.proto_ipv4").map(|f| f.value.clone()), Some(Value::Ipv4(Ipv4Addr::new(10, 77, 0, 1))));
    }

    #[test]
    fn reply_and_the_special_requests() {
        let reply = with(|p| {
            p[7] = 2;
            p[18..24].copy_from_slice(&[0x02, 0x77, 0, 0, 0, 0x0b]);
        });
        assert_eq!(decode(&reply).info.as_deref(), Some("10.77.0.1 is at 02:77:00:00:00:0a"));
        let announce = with(|p| p[27] = 1);
        let l = decode(&announce);
        assert_eq!(l.info.as_deref(), Some("ARP Announcement for 10.77.0.1"));
        assert_eq!(l.title, "Address Resolution Protocol (ARP Announcement)");
        assert!(l.find("arp.isgratuitous").is_some() && l.find("arp.isannouncement").is_some());
        let gratuitous_req = with(|p| {
            p[27] = 1;
            p[18] = 0xff;
        });
        assert_eq!(decode(&gratuitous_req).info.as_deref(), Some("Gratuitous ARP for 10.77.0.1 (Request)"));
        let gratuitous_reply = with(|p| {
            p[7] = 2;
            p[27] = 1;
        });
        let l = decode(&gratuitous_reply);
        assert_eq!(l.info.as_deref(), Some("Gratuitous ARP for 10.77.0.1 (Reply)"));
        assert_eq!(l.title, "Address Resolution Protocol (reply/gratuitous ARP)");
        let probe = with(|p| p[14..18].fill(0));
        let l = decode(&probe);
        assert_eq!(l.info.as_deref(), Some("Who has 10.77.0.2? (ARP Probe)"));
        assert!(l.find("arp.isprobe").is_some() && l.find("arp.isgratuitous").is_none());
    }

    #[test]
    fn other_opcodes_name_their_protocol() {
        let rarp = with(|p| p[7] = 3);
        let l = decode(&rarp);
        assert_eq!(l.display_name, "RARP");
        assert_eq!(l.info.as_deref(), Some("Who is 00:00:00:00:00:00? Tell 02:77:00:00:00:0a"));
        let inarp = with(|p| p[7] = 9);
        let l = decode(&inarp);
        assert_eq!(l.display_name, "Inverse ARP");
        assert_eq!(l.info.as_deref(), Some("02:77:00:00:00:0a is at 10.77.0.1"));
        let odd = with(|p| p[6..8].copy_from_slice(&0x1234u16.to_be_bytes()));
        let l = decode(&odd);
        assert_eq!(l.info.as_deref(), Some("Unknown ARP opcode 0x1234"));
        assert_eq!(l.title, "Address Resolution Protocol (opcode 0x1234)");
    }

    #[test]
    fn unusual_address_sizes_are_bytes() {
        // Hardware type 1 but 8-byte addresses: not a MAC, shown as bytes.
        let mut p = vec![0x00, 0x01, 0x08, 0x00, 0x08, 0x04, 0x00, 0x01];
        p.extend_from_slice(&[1; 8]);
        p.extend_from_slice(&[10, 0, 0, 1]);
        p.extend_from_slice(&[0; 8]);
        p.extend_from_slice(&[10, 0, 0, 2]);
        let l = decode(&p);
        assert!(l.find("arp.src.hw_mac").is_none());
        assert_eq!(l.find("arp.src.hw").map(|f| f.range.clone()), Some(8..16));
        assert_eq!(l.find("arp.dst.proto_ipv4").map(|f| f.range.clone()), Some(28..32));
    }

    #[test]
    fn every_too_short_length() {
        // Per tshark: fixed fields as far as captured; the addresses only all together.
        let fixed_present = |n: usize| [2, 4, 5, 6, 8].iter().filter(|&&end| end <= n).count();
        for n in 0..28 {
            let l = decode(&REQUEST[..n]);
            assert_eq!(l.fields.len(), fixed_present(n), "{n} bytes");
            assert!(l.find("arp.src.hw_mac").is_none());
            assert_eq!(l.notes.len(), 1, "{n}");
            assert_eq!(l.display_name, "ARP");
            crate::check_ranges(&arp(&REQUEST[..n], 0..n, DecodeCtx::default()), n);
        }
    }

    #[test]
    fn padding_after_the_packet_is_not_part_of_it() {
        let mut p = REQUEST.to_vec();
        p.extend_from_slice(&[0; 18]);
        let s = arp(&p, 0..p.len(), DecodeCtx::default());
        assert_eq!(s.layers[0].range, 0..28);
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600), a in 0usize..64) {
            let s = arp(&data, a..data.len() + 3, DecodeCtx::default());
            crate::check_ranges(&s, data.len());
        }
    }
}
