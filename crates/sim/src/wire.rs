//! Frames on the simulated wire. TCP and UDP frames, over IPv4 or IPv6, are built by the
//! project's own encapsulation ([`netlayers_stack::encapsulate`], the code behind `netlayers
//! encap`), so their lengths and checksums are the ones the decoder and tshark check. ARP
//! (RFC 826), ICMP (RFC 792) and ICMPv6 with Neighbor Discovery (RFC 4443, RFC 4861), which
//! `encap` does not build, are written here field by field.
//!
//! Parsing is what a host's kernel does on receipt: bounds-checked, checksums verified, and a
//! reason instead of a panic for anything it cannot use.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use netlayers_core::text::{OwnedText, Text};
use netlayers_core::{checksum, PseudoHeader, Transport};
use netlayers_stack::encap::{encapsulate, EncapOptions, TcpParams};

use crate::tcp::Segment;

pub type Mac = [u8; 6];
pub const BROADCAST: Mac = [0xff; 6];

pub const ETHERTYPE_IPV4: u16 = 0x0800;
pub const ETHERTYPE_ARP: u16 = 0x0806;
pub const ETHERTYPE_IPV6: u16 = 0x86dd;
pub const ARP_REQUEST: u16 = 1;
pub const ARP_REPLY: u16 = 2;
pub const ICMP_ECHO_REPLY: u8 = 0;
pub const ICMP_UNREACHABLE: u8 = 3;
pub const ICMP_ECHO_REQUEST: u8 = 8;
pub const ICMP_TIME_EXCEEDED: u8 = 11;
/// Destination unreachable codes (RFC 792, RFC 1191 for 4).
pub const ICMP_NET_UNREACHABLE: u8 = 0;
pub const ICMP_HOST_UNREACHABLE: u8 = 1;
pub const ICMP_PORT_UNREACHABLE: u8 = 3;
pub const ICMP_FRAG_NEEDED: u8 = 4;
pub const TTL: u8 = 64;
/// ICMPv6 types (RFC 4443, RFC 4861) and the port unreachable code.
pub const ICMPV6_UNREACHABLE: u8 = 1;
pub const ICMPV6_PACKET_TOO_BIG: u8 = 2;
pub const ICMPV6_TIME_EXCEEDED: u8 = 3;
pub const ICMPV6_ECHO_REQUEST: u8 = 128;
pub const ICMPV6_ECHO_REPLY: u8 = 129;
pub const ICMPV6_NEIGHBOR_SOLICITATION: u8 = 135;
pub const ICMPV6_NEIGHBOR_ADVERTISEMENT: u8 = 136;
pub const ICMPV6_PORT_UNREACHABLE: u8 = 4;
/// The IPv6 next-header number of ICMPv6.
pub const IPPROTO_ICMPV6: u8 = 58;
/// Neighbor Discovery messages leave with hop limit 255 and are dropped with any other (RFC 4861
/// section 7.1.1): proof that they never crossed a router.
pub const NDP_HOP_LIMIT: u8 = 255;
/// The smallest MTU of any IPv6 link, the most an ICMPv6 error may fill (RFC 4443 section 2.4).
pub const IPV6_MIN_MTU: usize = 1280;
/// Ethernet's MTU: the largest IP packet a frame carries.
pub const ETHERNET_MTU: usize = 1500;

/// IP header fields a socket may set (`setsockopt` `IP_TTL`, `IP_MTU_DISCOVER`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpParams {
    pub ttl: u8,
    /// Don't Fragment: `None` does what Linux does by default (path MTU discovery: DF on
    /// every packet that fits the interface's MTU), `Some(false)` never sets it
    /// (`IP_PMTUDISC_DONT`), `Some(true)` always (`IP_PMTUDISC_DO`).
    pub dont_fragment: Option<bool>,
}

impl Default for IpParams {
    fn default() -> IpParams {
        IpParams { ttl: TTL, dont_fragment: None }
    }
}

/// What an IPv4 packet carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    Tcp(Segment),
    Udp { src_port: u16, dst_port: u16, payload: Vec<u8> },
    /// `rest` is the second word of the header (identifier and sequence number for echo).
    Icmp { kind: u8, code: u8, rest: [u8; 4], data: Vec<u8> },
}

/// An IPv4 packet before it has bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    pub id: u16,
    pub body: Body,
}

/// An IPv6 packet before it has bytes (no extension headers). Its `body` is TCP, UDP or, for
/// [`Body::Icmp`], ICMPv6 (Neighbor Discovery included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet6 {
    pub src: Ipv6Addr,
    pub dst: Ipv6Addr,
    pub hop_limit: u8,
    pub body: Body,
}

/// An ARP packet's addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arp {
    pub op: u16,
    pub sha: Mac,
    pub spa: Ipv4Addr,
    pub tha: Mac,
    pub tpa: Ipv4Addr,
}

/// A frame as a receiving host understands it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    Arp(Arp),
    Ipv4 {
        packet: Packet,
        ttl: u8,
        /// The IP header and payload as received, for quoting in ICMP errors.
        datagram: Vec<u8>,
    },
    Ipv6 {
        packet: Packet6,
        /// The IPv6 header and payload as received, for quoting in ICMPv6 errors.
        datagram: Vec<u8>,
    },
    /// One fragment of a datagram, to be put back together before its payload means anything.
    Fragment {
        src: Ipv4Addr,
        dst: Ipv4Addr,
        id: u16,
        protocol: u8,
        ttl: u8,
        /// Where its payload goes in the datagram's payload, in bytes.
        offset: usize,
        /// More Fragments.
        more: bool,
        payload: Vec<u8>,
    },
    /// Not for this simple host (another EtherType or IP protocol).
    Unsupported(String),
    /// Broken: the reason a kernel would drop it, in English and Chinese.
    Invalid(OwnedText),
}

fn v4(ip: Ipv4Addr, port: u16) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(ip), port)
}
fn v6(ip: Ipv6Addr, port: u16) -> SocketAddr {
    SocketAddr::new(IpAddr::V6(ip), port)
}

/// Ethernet II header and padding to the 60-byte minimum (the FCS is not in a capture).
pub(crate) fn ethernet(dst: Mac, src: Mac, ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(14 + payload.len());
    f.extend_from_slice(&dst);
    f.extend_from_slice(&src);
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(payload);
    netlayers_physical::pad(&f)
}

/// An Ethernet/ARP frame for IPv4 over Ethernet (RFC 826).
pub fn arp_frame(eth_dst: Mac, a: &Arp) -> Vec<u8> {
    let mut p = Vec::with_capacity(28);
    p.extend_from_slice(&1u16.to_be_bytes()); // hardware type: Ethernet
    p.extend_from_slice(&ETHERTYPE_IPV4.to_be_bytes()); // protocol type: IPv4
    p.push(6); // hardware address length
    p.push(4); // protocol address length
    p.extend_from_slice(&a.op.to_be_bytes());
    p.extend_from_slice(&a.sha);
    p.extend_from_slice(&a.spa.octets());
    p.extend_from_slice(&a.tha);
    p.extend_from_slice(&a.tpa.octets());
    ethernet(eth_dst, a.sha, ETHERTYPE_ARP, &p)
}

/// The frame carrying `p` from `src_mac` to `dst_mac`, with the default TTL and DF.
pub fn ipv4_frame(src_mac: Mac, dst_mac: Mac, p: &Packet) -> Result<Vec<u8>, String> {
    let frames = ipv4_frames(src_mac, dst_mac, p, IpParams::default(), ETHERNET_MTU)?;
    match <[Vec<u8>; 1]>::try_from(frames) {
        Ok([f]) => Ok(f),
        Err(v) => Err(format!("the packet needs {} fragments", v.len())),
    }
}

/// The frames carrying `p`: one, or fragments when the datagram is larger than `mtu` (TCP and
/// UDP; Don't Fragment then makes it an error, as `sendto` says EMSGSIZE).
pub fn ipv4_frames(src_mac: Mac, dst_mac: Mac, p: &Packet, ip: IpParams, mtu: usize) -> Result<Vec<Vec<u8>>, String> {
    let base = |transport, sport, dport, tcp| EncapOptions {
        transport,
        src: v4(p.src, sport),
        dst: v4(p.dst, dport),
        src_mac: Some(src_mac),
        dst_mac: Some(dst_mac),
        ttl: ip.ttl,
        mtu,
        dont_fragment: ip.dont_fragment,
        ip_id: p.id,
        tcp,
        ..EncapOptions::default()
    };
    let built = match &p.body {
        Body::Tcp(s) => {
            let tcp = TcpParams { flags: s.flags, seq: s.seq, ack: s.ack, window: s.window, mss: s.mss };
            encapsulate(&s.payload, &base(Transport::Tcp, s.src_port, s.dst_port, tcp))
        }
        Body::Udp { src_port, dst_port, payload } => {
            encapsulate(payload, &base(Transport::Udp, *src_port, *dst_port, TcpParams::default()))
        }
        Body::Icmp { kind, code, rest, data } => {
            let icmp = icmp_message(*kind, *code, *rest, data);
            if 20 + icmp.len() > mtu {
                return Err(format!("{} bytes of ICMP do not fit the MTU {mtu}", icmp.len()));
            }
            let packet = ipv4_datagram(p.src, p.dst, p.id, ip, 1, &icmp)?;
            return Ok(vec![ethernet(dst_mac, src_mac, ETHERTYPE_IPV4, &packet)]);
        }
    };
    Ok(built.map_err(|e| e.to_string())?.frames)
}

/// An ICMP message (RFC 792): type, code, checksum, the second word, data.
pub fn icmp_message(kind: u8, code: u8, rest: [u8; 4], data: &[u8]) -> Vec<u8> {
    let mut icmp = vec![kind, code, 0, 0];
    icmp.extend_from_slice(&rest);
    icmp.extend_from_slice(data);
    let c = checksum::internet(&icmp);
    icmp[2..4].copy_from_slice(&c.to_be_bytes());
    icmp
}

/// The frames carrying an IPv6 packet from `src_mac` to `dst_mac`: TCP and UDP through
/// `encapsulate` (which fragments at the source past `mtu`, as IPv6 hosts must), ICMPv6 in one
/// packet of at most `mtu` bytes.
pub fn ipv6_frames(src_mac: Mac, dst_mac: Mac, p: &Packet6, mtu: usize) -> Result<Vec<Vec<u8>>, String> {
    let base = |transport, sport, dport, tcp| EncapOptions {
        transport,
        src: v6(p.src, sport),
        dst: v6(p.dst, dport),
        src_mac: Some(src_mac),
        dst_mac: Some(dst_mac),
        ttl: p.hop_limit,
        mtu,
        tcp,
        ..EncapOptions::default()
    };
    let built = match &p.body {
        Body::Tcp(s) => {
            let tcp = TcpParams { flags: s.flags, seq: s.seq, ack: s.ack, window: s.window, mss: s.mss };
            encapsulate(&s.payload, &base(Transport::Tcp, s.src_port, s.dst_port, tcp))
        }
        Body::Udp { src_port, dst_port, payload } => {
            encapsulate(payload, &base(Transport::Udp, *src_port, *dst_port, TcpParams::default()))
        }
        Body::Icmp { kind, code, rest, data } => {
            let icmp = icmpv6_message(p.src, p.dst, *kind, *code, *rest, data);
            if 40 + icmp.len() > mtu {
                return Err(format!("{} bytes of ICMPv6 do not fit the MTU {mtu}", icmp.len()));
            }
            let packet = ipv6_datagram(p.src, p.dst, p.hop_limit, IPPROTO_ICMPV6, &icmp)?;
            return Ok(vec![ethernet(dst_mac, src_mac, ETHERTYPE_IPV6, &packet)]);
        }
    };
    Ok(built.map_err(|e| e.to_string())?.frames)
}

/// An ICMPv6 message (RFC 4443 section 2.1): type, code, checksum, the second word, data. Unlike
/// ICMP's, its checksum covers a pseudo-header of the IPv6 addresses, length and next header.
pub fn icmpv6_message(src: Ipv6Addr, dst: Ipv6Addr, kind: u8, code: u8, rest: [u8; 4], data: &[u8]) -> Vec<u8> {
    let mut icmp = vec![kind, code, 0, 0];
    icmp.extend_from_slice(&rest);
    icmp.extend_from_slice(data);
    let pseudo = PseudoHeader { src: IpAddr::V6(src), dst: IpAddr::V6(dst), protocol: IPPROTO_ICMPV6, upper_len: icmp.len() };
    let c = checksum::with_pseudo(&pseudo, &icmp);
    icmp[2..4].copy_from_slice(&c.to_be_bytes());
    icmp
}

/// An IPv6 packet (RFC 8200): the 40-byte header, no extension headers, then `payload`.
pub fn ipv6_datagram(src: Ipv6Addr, dst: Ipv6Addr, hop_limit: u8, next_header: u8, payload: &[u8]) -> Result<Vec<u8>, String> {
    let len = u16::try_from(payload.len()).map_err(|_| format!("{} bytes do not fit one IPv6 packet", payload.len()))?;
    let mut d = Vec::with_capacity(40 + payload.len());
    d.extend_from_slice(&[0x60, 0, 0, 0]); // version 6, traffic class 0, flow label 0
    d.extend_from_slice(&len.to_be_bytes());
    d.push(next_header);
    d.push(hop_limit);
    d.extend_from_slice(&src.octets());
    d.extend_from_slice(&dst.octets());
    d.extend_from_slice(payload);
    Ok(d)
}

/// Whether `a` and `b` share their first `prefix` bits.
pub fn same_prefix6(a: Ipv6Addr, b: Ipv6Addr, prefix: u8) -> bool {
    let mask = u128::MAX.checked_shl(u32::from(128 - prefix.min(128))).unwrap_or(0);
    u128::from(a) & mask == u128::from(b) & mask
}

/// The link-local address an interface gives itself from its MAC (RFC 4291 appendix A, modified
/// EUI-64): fe80::, then the MAC with ff:fe in its middle and the universal/local bit flipped.
pub fn link_local(mac: Mac) -> Ipv6Addr {
    let mut o = [0u8; 16];
    o[..2].copy_from_slice(&[0xfe, 0x80]);
    o[8..11].copy_from_slice(&[mac[0] ^ 0x02, mac[1], mac[2]]);
    o[11..13].copy_from_slice(&[0xff, 0xfe]);
    o[13..].copy_from_slice(&mac[3..]);
    Ipv6Addr::from(o)
}

/// The solicited-node multicast group of an address (RFC 4291 section 2.7.1): ff02::1:ff and
/// its last 24 bits. Each host listens on the groups of its own addresses, so a Neighbor
/// Solicitation sent there reaches (almost) only the host that has the address.
pub fn solicited_node(a: Ipv6Addr) -> Ipv6Addr {
    let o = a.octets();
    Ipv6Addr::from([0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, o[13], o[14], o[15]])
}

/// The MAC an IPv6 multicast address maps to (RFC 2464 section 7): 33:33 and its last 32 bits.
pub fn multicast_mac(a: Ipv6Addr) -> Mac {
    let o = a.octets();
    [0x33, 0x33, o[12], o[13], o[14], o[15]]
}

/// Neighbor Discovery option types carrying a link-layer address (RFC 4861 section 4.6.1).
pub const NDP_SOURCE_LL: u8 = 1;
pub const NDP_TARGET_LL: u8 = 2;
/// Neighbor Advertisement flags, in the first byte after the checksum (RFC 4861 section 4.4):
/// from a router, an answer to a solicitation, override the cache.
pub const NA_ROUTER: u8 = 0x80;
pub const NA_SOLICITED: u8 = 0x40;
pub const NA_OVERRIDE: u8 = 0x20;

/// A Neighbor Solicitation (RFC 4861 section 4.3) or Advertisement (section 4.4): the message
/// after its first word, and the link-layer address option it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ndp {
    pub target: Ipv6Addr,
    /// The source (solicitation) or target (advertisement) link-layer address option.
    pub lladdr: Option<Mac>,
}

impl Ndp {
    /// The message's data: the target address and a link-layer address option of `option` type
    /// (8 bytes: type, length in 8-byte units, MAC).
    pub fn data(&self, option: u8) -> Vec<u8> {
        let mut d = self.target.octets().to_vec();
        if let Some(mac) = self.lladdr {
            d.extend_from_slice(&[option, 1]);
            d.extend_from_slice(&mac);
        }
        d
    }

    /// Reads a solicitation's or advertisement's data; the option of type `option` if present.
    /// `None` if the target is cut or an option has length 0 (which RFC 4861 says to drop).
    pub fn parse(data: &[u8], option: u8) -> Option<Ndp> {
        let o: [u8; 16] = data.get(..16)?.try_into().ok()?;
        let mut opts = &data[16..];
        let mut lladdr = None;
        while opts.len() >= 2 {
            let len = usize::from(opts[1]) * 8;
            if len == 0 {
                return None;
            }
            let opt = opts.get(..len)?;
            if opt[0] == option && len == 8 {
                lladdr = mac_at(opt, 2);
            }
            opts = &opts[len..];
        }
        Some(Ndp { target: Ipv6Addr::from(o), lladdr })
    }
}

/// An IPv4 packet, not a fragment: a 20-byte header (RFC 791) with its checksum, then
/// `payload`. DF is set only when `ip` asks for it. Also how a receiver rebuilds a datagram
/// after reassembly, so that its layers above IP parse as from one packet.
pub fn ipv4_datagram(src: Ipv4Addr, dst: Ipv4Addr, id: u16, ip: IpParams, protocol: u8, payload: &[u8]) -> Result<Vec<u8>, String> {
    let total = u16::try_from(20 + payload.len()).map_err(|_| format!("{} bytes do not fit one IPv4 packet", payload.len()))?;
    let mut h = [0u8; 20];
    h[0] = 0x45; // version 4, header length 5 words
    h[2..4].copy_from_slice(&total.to_be_bytes());
    h[4..6].copy_from_slice(&id.to_be_bytes());
    h[6] = u8::from(ip.dont_fragment == Some(true)) << 6;
    h[8] = ip.ttl;
    h[9] = protocol;
    h[12..16].copy_from_slice(&src.octets());
    h[16..20].copy_from_slice(&dst.octets());
    let c = checksum::internet(&h);
    h[10..12].copy_from_slice(&c.to_be_bytes());
    let mut d = h.to_vec();
    d.extend_from_slice(payload);
    Ok(d)
}

/// What the packet quoted in an ICMP or ICMPv6 error was: `UDP 10.0.1.1:49152 → 10.0.2.2:33434`.
pub fn describe_quoted(q: &[u8]) -> Option<String> {
    if q.first()? >> 4 == 6 {
        let (src, dst) = (ip6_at(q, 8)?, ip6_at(q, 24)?);
        return Some(match (q.get(6)?, be16(q, 40), be16(q, 42)) {
            (17, Some(s), Some(d)) => format!("UDP [{src}]:{s} → [{dst}]:{d}"),
            (6, Some(s), Some(d)) => format!("TCP [{src}]:{s} → [{dst}]:{d}"),
            (&IPPROTO_ICMPV6, _, _) => format!("ICMPv6 {src} → {dst}"),
            (n, _, _) => format!("IPv6 next header {n} {src} → {dst}"),
        });
    }
    let hl = usize::from(q.first()? & 0x0f) * 4;
    let (src, dst) = (ip_at(q, 12)?, ip_at(q, 16)?);
    let ports = (be16(q, hl), be16(q, hl + 2));
    Some(match (q.get(9)?, ports) {
        (17, (Some(s), Some(d))) => format!("UDP {src}:{s} → {dst}:{d}"),
        (6, (Some(s), Some(d))) => format!("TCP {src}:{s} → {dst}:{d}"),
        (1, _) => format!("ICMP {src} → {dst}"),
        (p, _) => format!("IP protocol {p} {src} → {dst}"),
    })
}

/// The source port and the destination of the UDP datagram an ICMP or ICMPv6 error quotes.
pub fn quoted_udp(q: &[u8]) -> Option<(u16, SocketAddr)> {
    let (dst, at) = if q.first()? >> 4 == 6 {
        (*q.get(6)? == 17).then_some(())?;
        (IpAddr::V6(ip6_at(q, 24)?), 40)
    } else {
        (*q.get(9)? == 17).then_some(())?;
        (IpAddr::V4(ip_at(q, 16)?), usize::from(q[0] & 0x0f) * 4)
    };
    Some((be16(q, at)?, SocketAddr::new(dst, be16(q, at + 2)?)))
}

/// Takes one from the TTL of an IPv4 packet whose header [`check_ipv4_header`] accepted, and
/// writes the header checksum again (RFC 1812 section 5.3.1): what a router does to every
/// packet it forwards. Returns the new TTL.
pub fn decrement_ttl(d: &mut [u8]) -> Option<u8> {
    let (hl, _) = check_ipv4_header(d).ok()?;
    d[8] = d[8].checked_sub(1)?;
    d[10..12].fill(0);
    let c = checksum::internet(&d[..hl]);
    d[10..12].copy_from_slice(&c.to_be_bytes());
    Some(d[8])
}

/// One fragment a router made: where its data sits in the datagram and how much it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fragment {
    /// Byte offset of its data in the original datagram's payload.
    pub offset: usize,
    pub len: usize,
    pub more: bool,
    /// The IP packet: header and data.
    pub packet: Vec<u8>,
}

/// Splits an IPv4 packet into packets of at most `mtu` bytes (RFC 791 section 3.2): the same
/// Identification in each, data in multiples of 8 bytes (the offset field counts 8-byte units)
/// but for the last, More Fragments on every one but the last, which keeps the packet's own flag
/// (so that a fragment can be split again). Options with the copied bit go into every fragment,
/// the others into the first only. `None` if the packet is not a valid IPv4 packet or the MTU
/// leaves no room for 8 bytes of data.
pub fn fragment(d: &[u8], mtu: usize) -> Option<Vec<Fragment>> {
    let (hl, total) = check_ipv4_header(d).ok()?;
    let flags_off = be16(d, 6)?;
    let base = usize::from(flags_off & 0x1fff) * 8;
    let last_more = flags_off & 0x2000 != 0;
    let data = &d[hl..total];
    let mut later_header = d[..20].to_vec();
    let mut opts = &d[20..hl];
    while let Some(&kind) = opts.first() {
        let len = match kind {
            0 => break,
            1 => 1,
            _ => usize::from(*opts.get(1)?).max(2),
        };
        let opt = opts.get(..len)?;
        if kind & 0x80 != 0 {
            later_header.extend_from_slice(opt);
        }
        opts = &opts[len..];
    }
    later_header.resize(later_header.len().div_ceil(4) * 4, 0);
    later_header[0] = 0x40 | (later_header.len() / 4) as u8;
    let mut out = Vec::new();
    let mut at = 0;
    while at < data.len() || out.is_empty() {
        let header = if at == 0 { &d[..hl] } else { &later_header[..] };
        let room = mtu.checked_sub(header.len())? / 8 * 8;
        if room == 0 {
            return None;
        }
        let len = room.min(data.len() - at);
        let more = at + len < data.len() || last_more;
        let offset = base + at;
        if offset / 8 > 0x1fff {
            return None; // past the largest offset the 13-bit field can say
        }
        let field = (flags_off & 0x4000) | (u16::from(more) << 13) | (offset / 8) as u16;
        let mut p = header.to_vec();
        p.extend_from_slice(&data[at..at + len]);
        let total = u16::try_from(p.len()).ok()?;
        p[2..4].copy_from_slice(&total.to_be_bytes());
        p[6..8].copy_from_slice(&field.to_be_bytes());
        p[10..12].fill(0);
        let c = checksum::internet(&p[..header.len()]);
        p[10..12].copy_from_slice(&c.to_be_bytes());
        out.push(Fragment { offset, len, more, packet: p });
        at += len;
    }
    Some(out)
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}
fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes([*b.get(at)?, *b.get(at + 1)?, *b.get(at + 2)?, *b.get(at + 3)?]))
}
fn mac_at(b: &[u8], at: usize) -> Option<Mac> {
    b.get(at..at + 6)?.try_into().ok()
}
fn ip6_at(b: &[u8], at: usize) -> Option<Ipv6Addr> {
    let o: [u8; 16] = b.get(at..at + 16)?.try_into().ok()?;
    Some(Ipv6Addr::from(o))
}
fn ip_at(b: &[u8], at: usize) -> Option<Ipv4Addr> {
    let o: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
    Some(Ipv4Addr::from(o))
}

/// Destination and source MAC of a frame (None if shorter than an Ethernet header).
pub fn macs(frame: &[u8]) -> Option<(Mac, Mac)> {
    if frame.len() < 14 {
        return None;
    }
    Some((mac_at(frame, 0)?, mac_at(frame, 6)?))
}

/// Decodes an Ethernet frame as a host's stack does.
pub fn parse(frame: &[u8]) -> Parsed {
    let Some(ethertype) = be16(frame, 12) else {
        return Parsed::Invalid(OwnedText::new("shorter than an Ethernet header", "比以太网首部还短"));
    };
    let payload = frame.get(14..).unwrap_or_default();
    match ethertype {
        ETHERTYPE_ARP => parse_arp(payload),
        ETHERTYPE_IPV4 => parse_ipv4(payload),
        ETHERTYPE_IPV6 => parse_ipv6(payload),
        t => Parsed::Unsupported(format!("EtherType 0x{t:04x}")),
    }
}

fn parse_arp(p: &[u8]) -> Parsed {
    let fields = || {
        if be16(p, 0)? != 1 || be16(p, 2)? != ETHERTYPE_IPV4 || p.get(4..6)? != [6, 4] {
            return None;
        }
        Some(Arp { op: be16(p, 6)?, sha: mac_at(p, 8)?, spa: ip_at(p, 14)?, tha: mac_at(p, 18)?, tpa: ip_at(p, 24)? })
    };
    match fields() {
        Some(a) => Parsed::Arp(a),
        None => Parsed::Invalid(OwnedText::new("not an Ethernet/IPv4 ARP packet", "不是以太网/IPv4 的 ARP 分组")),
    }
}

/// Checks an IPv4 header as every receiver (host or router) does first: version, header
/// length, total length within what arrived, header checksum. Returns (header length, total
/// length).
pub fn check_ipv4_header(p: &[u8]) -> Result<(usize, usize), Text> {
    let Some(&vihl) = p.first() else { return Err(Text::new("empty IPv4 packet", "空的 IPv4 分组")) };
    let hl = usize::from(vihl & 0x0f) * 4;
    if vihl >> 4 != 4 || hl < 20 || p.len() < hl {
        return Err(Text::new("bad IPv4 version or header length", "IPv4 版本或首部长度有误"));
    }
    let total = be16(p, 2).map_or(0, usize::from);
    if total < hl || total > p.len() {
        return Err(Text::new("IPv4 total length disagrees with the frame", "IPv4 总长度与帧的长度不符"));
    }
    if checksum::internet(&p[..hl]) != 0 {
        return Err(Text::new("bad IPv4 header checksum", "IPv4 首部校验和错误"));
    }
    Ok((hl, total))
}

/// Decodes an IPv4 packet (from its first header byte) as a host's stack does.
pub fn parse_ipv4(p: &[u8]) -> Parsed {
    let bad = |why: Text| Parsed::Invalid(why.into());
    let (hl, total) = match check_ipv4_header(p) {
        Ok(v) => v,
        Err(why) => return bad(why),
    };
    let (Some(src), Some(dst)) = (ip_at(p, 12), ip_at(p, 16)) else { return bad(Text::new("cut IPv4 header", "IPv4 首部被截断")) };
    let ttl = p[8];
    let proto = p[9];
    let id = be16(p, 4).unwrap_or(0);
    let flags_off = be16(p, 6).unwrap_or(0);
    if flags_off & 0x3fff != 0 {
        let (offset, more) = (usize::from(flags_off & 0x1fff) * 8, flags_off & 0x2000 != 0);
        return Parsed::Fragment { src, dst, id, protocol: proto, ttl, offset, more, payload: p[hl..total].to_vec() };
    }
    let l4 = &p[hl..total];
    let body = match upper_layer(IpAddr::V4(src), IpAddr::V4(dst), proto, l4) {
        Ok(body) => body,
        Err(parsed) => return parsed,
    };
    Parsed::Ipv4 { packet: Packet { src, dst, id, body }, ttl, datagram: p[..total].to_vec() }
}

/// Decodes an IPv6 packet (from its first header byte) as a host's stack does. Extension
/// headers (fragments among them) are not handled: such packets are unsupported.
pub fn parse_ipv6(p: &[u8]) -> Parsed {
    let bad = |why: Text| Parsed::Invalid(why.into());
    if p.len() < 40 || p[0] >> 4 != 6 {
        return bad(Text::new("bad IPv6 version or cut header", "IPv6 版本有误或首部被截断"));
    }
    let total = 40 + be16(p, 4).map_or(0, usize::from);
    if total > p.len() {
        return bad(Text::new("IPv6 payload length disagrees with the frame", "IPv6 载荷长度与帧的长度不符"));
    }
    let (Some(src), Some(dst)) = (ip6_at(p, 8), ip6_at(p, 24)) else { return bad(Text::new("cut IPv6 header", "IPv6 首部被截断")) };
    let (next, hop_limit) = (p[6], p[7]);
    let body = match upper_layer(IpAddr::V6(src), IpAddr::V6(dst), next, &p[40..total]) {
        Ok(body) => body,
        Err(parsed) => return parsed,
    };
    Parsed::Ipv6 { packet: Packet6 { src, dst, hop_limit, body }, datagram: p[..total].to_vec() }
}

/// The TCP, UDP, ICMP or ICMPv6 message an IP packet carries, its checksum verified (with the
/// pseudo-header of `src` and `dst` for all but ICMP over IPv4); the reason to drop it otherwise.
/// The MSS option (kind 2, length 4) among TCP options, if there is one. Walks the
/// kind-length list (kinds 0 and 1 are one byte: end of list, no-operation) and stops at
/// anything that does not fit.
fn mss_option(mut opts: &[u8]) -> Option<u16> {
    loop {
        match *opts {
            [] | [0, ..] => return None,
            [1, ref rest @ ..] => opts = rest,
            [2, 4, hi, lo, ..] => return Some(u16::from_be_bytes([hi, lo])),
            [_, len, ..] if len >= 2 && usize::from(len) <= opts.len() => opts = &opts[usize::from(len)..],
            _ => return None,
        }
    }
}

fn upper_layer(src: IpAddr, dst: IpAddr, proto: u8, l4: &[u8]) -> Result<Body, Parsed> {
    let bad = |why: Text| Err(Parsed::Invalid(why.into()));
    let pseudo = PseudoHeader { src, dst, protocol: proto, upper_len: l4.len() };
    Ok(match (proto, src.is_ipv6()) {
        (6, _) => {
            let (Some(src_port), Some(dst_port), Some(seq), Some(ack), Some(off_flags), Some(window)) =
                (be16(l4, 0), be16(l4, 2), be32(l4, 4), be32(l4, 8), be16(l4, 12), be16(l4, 14))
            else {
                return bad(Text::new("cut TCP header", "TCP 首部被截断"));
            };
            let doff = usize::from(off_flags >> 12) * 4;
            if doff < 20 || doff > l4.len() {
                return bad(Text::new("bad TCP data offset", "TCP 数据偏移有误"));
            }
            if !checksum::verify_with_pseudo(&pseudo, l4) {
                return bad(Text::new("bad TCP checksum", "TCP 校验和错误"));
            }
            let mss = mss_option(&l4[20..doff]);
            let payload = l4[doff..].to_vec();
            Body::Tcp(Segment { src_port, dst_port, seq, ack, flags: off_flags & 0x0fff, window, mss, payload })
        }
        (17, v6) => {
            let (Some(src_port), Some(dst_port), Some(len), Some(sum)) = (be16(l4, 0), be16(l4, 2), be16(l4, 4), be16(l4, 6))
            else {
                return bad(Text::new("cut UDP header", "UDP 首部被截断"));
            };
            let len = usize::from(len);
            if len < 8 || len > l4.len() {
                return bad(Text::new("bad UDP length", "UDP 长度有误"));
            }
            // Over IPv4 a zero checksum means "none"; over IPv6 the checksum is mandatory
            // (RFC 8200 section 8.1) and a zero is dropped.
            if v6 && sum == 0 {
                return bad(Text::new("UDP over IPv6 without a checksum", "IPv6 上的 UDP 没有校验和"));
            }
            let pseudo = PseudoHeader { upper_len: len, ..pseudo };
            if sum != 0 && !checksum::verify_with_pseudo(&pseudo, &l4[..len]) {
                return bad(Text::new("bad UDP checksum", "UDP 校验和错误"));
            }
            Body::Udp { src_port, dst_port, payload: l4[8..len].to_vec() }
        }
        (1, false) | (IPPROTO_ICMPV6, true) => {
            if l4.len() < 8 {
                return bad(Text::new("cut ICMP header", "ICMP 首部被截断"));
            }
            let ok = if proto == 1 { checksum::internet(l4) == 0 } else { checksum::verify_with_pseudo(&pseudo, l4) };
            if !ok {
                return bad(if proto == 1 { Text::new("bad ICMP checksum", "ICMP 校验和错误") } else { Text::new("bad ICMPv6 checksum", "ICMPv6 校验和错误") });
            }
            let rest = [l4[4], l4[5], l4[6], l4[7]];
            Body::Icmp { kind: l4[0], code: l4[1], rest, data: l4[8..].to_vec() }
        }
        (n, _) => return Err(Parsed::Unsupported(format!("IP protocol {n}"))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: Mac = [2, 0, 10, 0, 0, 1];
    const B: Mac = [2, 0, 10, 0, 0, 2];

    fn packet(body: Body) -> Packet {
        Packet { src: Ipv4Addr::new(10, 0, 0, 1), dst: Ipv4Addr::new(10, 0, 0, 2), id: 7, body }
    }

    #[test]
    fn every_kind_round_trips_through_bytes() {
        let seg = Segment { src_port: 1, dst_port: 2, seq: 3, ack: 4, flags: 0x18, window: 5, mss: None, payload: b"hi".to_vec() };
        let syn = Segment { flags: 0x02, mss: Some(1460), payload: Vec::new(), ..seg.clone() };
        for body in [
            Body::Tcp(seg),
            Body::Tcp(syn),
            Body::Udp { src_port: 5000, dst_port: 8081, payload: b"hello".to_vec() },
            Body::Icmp { kind: 8, code: 0, rest: [0, 1, 0, 1], data: b"ping".to_vec() },
        ] {
            let p = packet(body);
            let f = ipv4_frame(A, B, &p).unwrap();
            assert!(f.len() >= 60);
            assert_eq!(macs(&f), Some((B, A)));
            match parse(&f) {
                Parsed::Ipv4 { packet, ttl, .. } => {
                    assert_eq!(packet, p);
                    assert_eq!(ttl, TTL);
                }
                other => panic!("{other:?}"),
            }
        }
        let a = Arp { op: ARP_REQUEST, sha: A, spa: Ipv4Addr::new(10, 0, 0, 1), tha: [0; 6], tpa: Ipv4Addr::new(10, 0, 0, 2) };
        let f = arp_frame(BROADCAST, &a);
        assert_eq!(f.len(), 60);
        assert_eq!(parse(&f), Parsed::Arp(a));
    }

    #[test]
    fn the_mss_option_is_found_among_others_and_bad_lists_end_the_walk() {
        assert_eq!(mss_option(&[2, 4, 0x05, 0xb4]), Some(1460));
        // NOP, NOP, SACK permitted (kind 4, length 2), then MSS: how SYNs often look.
        assert_eq!(mss_option(&[1, 1, 4, 2, 2, 4, 0x02, 0x18]), Some(536));
        assert_eq!(mss_option(&[0, 2, 4, 0x05, 0xb4]), None, "after end of list");
        assert_eq!(mss_option(&[3, 0, 2, 4, 0x05, 0xb4]), None, "length 0 would loop");
        assert_eq!(mss_option(&[2, 4, 0x05]), None, "cut");
        let seg = Segment { src_port: 1, dst_port: 2, seq: 3, ack: 0, flags: 0x02, window: 5, mss: Some(536), payload: Vec::new() };
        let f = ipv4_frame(A, B, &packet(Body::Tcp(seg))).unwrap();
        assert_eq!(f[14 + 20 + 12] >> 4, 6, "data offset: 24 bytes, the option included");
        assert_eq!(&f[14 + 40..14 + 44], &[2, 4, 0x02, 0x18]);
    }

    const V6A: Ipv6Addr = Ipv6Addr::new(0xfd00, 1, 0, 0, 0, 0, 0, 1);
    const V6B: Ipv6Addr = Ipv6Addr::new(0xfd00, 1, 0, 0, 0, 0, 0, 2);

    #[test]
    fn addresses_for_neighbor_discovery() {
        // The MAC 00:0c:29:0c:47:d5 gives fe80::20c:29ff:fe0c:47d5 (the U/L bit flipped, ff:fe inserted).
        assert_eq!(link_local([0x00, 0x0c, 0x29, 0x0c, 0x47, 0xd5]), "fe80::20c:29ff:fe0c:47d5".parse::<Ipv6Addr>().unwrap());
        assert_eq!(link_local(A), "fe80::aff:fe00:1".parse::<Ipv6Addr>().unwrap());
        assert_eq!(solicited_node("2001:db8::1:2345:6789".parse().unwrap()), "ff02::1:ff45:6789".parse::<Ipv6Addr>().unwrap());
        assert_eq!(multicast_mac(solicited_node(V6B)), [0x33, 0x33, 0xff, 0, 0, 2]);
    }

    #[test]
    fn ipv6_kinds_round_trip_and_checksums_are_checked() {
        let seg = Segment { src_port: 1, dst_port: 2, seq: 3, ack: 4, flags: 0x18, window: 5, mss: None, payload: b"hi".to_vec() };
        let ns = Ndp { target: V6B, lladdr: Some(A) }.data(NDP_SOURCE_LL);
        let syn = Segment { flags: 0x02, mss: Some(1460), payload: Vec::new(), ..seg.clone() };
        for body in [
            Body::Tcp(seg),
            Body::Tcp(syn),
            Body::Udp { src_port: 5000, dst_port: 8081, payload: b"hello".to_vec() },
            Body::Icmp { kind: ICMPV6_ECHO_REQUEST, code: 0, rest: [0, 1, 0, 1], data: b"ping".to_vec() },
            Body::Icmp { kind: ICMPV6_NEIGHBOR_SOLICITATION, code: 0, rest: [0; 4], data: ns.clone() },
        ] {
            let p = Packet6 { src: V6A, dst: V6B, hop_limit: 64, body };
            let f = ipv6_frames(A, B, &p, ETHERNET_MTU).unwrap().remove(0);
            assert_eq!((macs(&f), be16(&f, 12)), (Some((B, A)), Some(ETHERTYPE_IPV6)));
            match parse(&f) {
                Parsed::Ipv6 { packet, .. } => assert_eq!(packet, p),
                other => panic!("{other:?}"),
            }
            // The pseudo-header counts: the same bytes to another destination do not check.
            let mut g = f.clone();
            g[14 + 39] ^= 1;
            assert!(matches!(parse(&g), Parsed::Invalid(why) if why.en.contains("checksum") && why.zh.contains("校验和")), "{p:?}");
            for n in 0..f.len() {
                let _ = parse(&f[..n]);
            }
        }
        assert_eq!(Ndp::parse(&ns, NDP_SOURCE_LL), Some(Ndp { target: V6B, lladdr: Some(A) }));
        assert_eq!(Ndp::parse(&ns, NDP_TARGET_LL), Some(Ndp { target: V6B, lladdr: None }));
        let mut zero_len = ns.clone();
        zero_len[17] = 0;
        assert_eq!(Ndp::parse(&zero_len, NDP_SOURCE_LL), None, "an option of length 0 is dropped");
        // UDP over IPv6 must carry a checksum: a zero one, valid over IPv4, is refused.
        let p = Packet6 { src: V6A, dst: V6B, hop_limit: 64, body: Body::Udp { src_port: 1, dst_port: 2, payload: vec![] } };
        let mut f = ipv6_frames(A, B, &p, ETHERNET_MTU).unwrap().remove(0);
        f[14 + 46..14 + 48].fill(0);
        assert_eq!(parse(&f), Parsed::Invalid(OwnedText::new("UDP over IPv6 without a checksum", "IPv6 上的 UDP 没有校验和")));
        assert_eq!(quoted_udp(&f[14..]), Some((1, "[fd00:1::2]:2".parse().unwrap())));
    }

    /// A UDP datagram of `len` bytes, as an IP packet (the frame without its Ethernet header).
    fn udp_packet(len: usize, df: bool) -> Vec<u8> {
        let payload: Vec<u8> = (0..len).map(|i| (i * 13 % 251) as u8).collect();
        let p = packet(Body::Udp { src_port: 5000, dst_port: 8081, payload });
        let ip = IpParams { ttl: 9, dont_fragment: Some(df) };
        let f = ipv4_frames(A, B, &p, ip, ETHERNET_MTU).unwrap().remove(0);
        f[14..14 + 28 + len].to_vec()
    }

    #[test]
    fn fragments_follow_rfc_791_and_put_back_together_give_the_datagram() {
        let d = udp_packet(1000, false);
        for mtu in [68, 100, 576, 1000, 1027] {
            let frags = fragment(&d, mtu).unwrap();
            let per = (mtu - 20) / 8 * 8;
            assert_eq!(frags.len(), 1008usize.div_ceil(per), "mtu {mtu}");
            let mut whole = Vec::new();
            for (i, f) in frags.iter().enumerate() {
                let p = &f.packet;
                assert!(p.len() <= mtu && check_ipv4_header(p) == Ok((20, p.len())), "mtu {mtu} fragment {i}");
                assert_eq!(p[4..6], d[4..6], "same identification");
                let field = u16::from_be_bytes([p[6], p[7]]);
                assert_eq!(usize::from(field & 0x1fff) * 8, whole.len(), "offset in 8-byte units");
                assert_eq!(field & 0x2000 != 0, i + 1 < frags.len(), "MF on all but the last");
                assert_eq!((f.offset, f.len, f.more), (whole.len(), p.len() - 20, i + 1 < frags.len()));
                if f.more {
                    assert_eq!(f.len % 8, 0);
                }
                whole.extend_from_slice(&p[20..]);
            }
            assert_eq!(whole, d[20..]);
        }
        // It fits: the one packet is the datagram itself. No room for 8 bytes of data: none.
        assert_eq!(fragment(&d, 1028).unwrap()[0].packet, d);
        assert_eq!(fragment(&d, 27), None);
        assert_eq!(fragment(&d[..10], 576), None);
    }

    #[test]
    fn a_fragment_splits_again_and_only_copied_options_repeat() {
        // Header with 8 bytes of options: a record route (not copied) and a security-like option (copied).
        let d = udp_packet(300, false);
        let mut h = d[..20].to_vec();
        h[0] = 0x47;
        h.extend_from_slice(&[7, 3, 4]); // record route, 3 bytes (malformed but bounded)
        h.extend_from_slice(&[0x82, 4, 0xaa, 0xbb]); // copied
        h.push(0); // end of options
        let mut p = h.clone();
        p.extend_from_slice(&d[20..]);
        let total = p.len() as u16;
        p[2..4].copy_from_slice(&total.to_be_bytes());
        p[10..12].fill(0);
        let c = checksum::internet(&p[..28]);
        p[10..12].copy_from_slice(&c.to_be_bytes());
        let first = fragment(&p, 200).unwrap();
        assert_eq!(first[0].packet[..1], [0x47]);
        assert_eq!(first[1].packet[0], 0x46, "only the copied option, padded to a word");
        assert_eq!(first[1].packet[20..24], [0x82, 4, 0xaa, 0xbb]);
        // The first fragment split again: offsets stay absolute and its MF stays set.
        let again = fragment(&first[1].packet, 100).unwrap();
        let off = |q: &[u8]| usize::from(u16::from_be_bytes([q[6], q[7]]) & 0x1fff) * 8;
        assert_eq!(off(&again[0].packet), first[1].offset);
        assert!(again.iter().map(|f| f.more).eq((0..again.len()).map(|i| i + 1 < again.len() || first[1].more)));
    }

    #[test]
    fn decrementing_the_ttl_keeps_the_header_checksum_right() {
        let mut d = udp_packet(40, true);
        for want in (0..9).rev() {
            assert_eq!(decrement_ttl(&mut d), Some(want));
            assert_eq!(check_ipv4_header(&d), Ok((20, d.len())));
        }
        assert_eq!(decrement_ttl(&mut d), None, "TTL 0 cannot go lower");
        assert_eq!(u16::from_be_bytes([d[6], d[7]]) & 0x4000, 0x4000, "DF as asked");
    }

    #[test]
    fn a_flipped_bit_is_caught_and_cut_frames_never_panic() {
        let p = packet(Body::Udp { src_port: 5000, dst_port: 8081, payload: b"hello".to_vec() });
        let f = ipv4_frame(A, B, &p).unwrap();
        let mut g = f.clone();
        g[14 + 28 + 1] ^= 1;
        assert_eq!(parse(&g), Parsed::Invalid(OwnedText::new("bad UDP checksum", "UDP 校验和错误")));
        for n in 0..f.len() {
            let _ = parse(&f[..n]);
        }
        let mut r = crate::rng::Rng::new(1);
        for _ in 0..2000 {
            let mut g = f.clone();
            let i = r.range(0, g.len() as u64) as usize;
            g[i] = r.next_u64() as u8;
            let _ = parse(&g);
            let _ = fragment(&g[14..], r.range(0, 200) as usize);
            let _ = decrement_ttl(&mut g[14..]);
            let _ = describe_quoted(&g[14..]);
        }
    }
}
