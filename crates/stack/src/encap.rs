//! Going down the layers: a message and an options struct → one step per layer, each with the
//! PDU so far, the bytes that layer added and the fields decoded from them; then the walk back
//! up at the receiver, every check a real kernel makes, and where it would drop the frame.
//!
//! ```text
//!                                     "hello"            application  5 bytes
//!                          [UDP hdr]  "hello"            transport    8 + 5
//!                [IP hdr]  [UDP hdr]  "hello"            network      20 + 13
//!   [Eth hdr]    [IP hdr]  [UDP hdr]  "hello" [pad][FCS] link         14 + 33 + 13 + 4
//!   [pre][SFD][Eth hdr] ...                     [FCS]    physical     8 + 64 bytes = 576 bits
//! ```
//!
//! Headers are written by hand (RFC 768, 793, 791, 8200, IEEE 802.3) so that a deliberate error
//! (a wrong checksum, a length that lies) is as easy to make as a correct packet; a test checks
//! that without errors the bytes equal what etherparse's builder writes. The fields shown for
//! every step come from running the real decoders on the finished frames ([`crate::decapsulate`]),
//! so what a student sees going down is exactly what the decoder shows coming up.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::ops::Range;

use netlayers_core::text::OwnedText;
use netlayers_core::{checksum, escape, Frame, Layer, LayerKind, Lang, LinkType, PseudoHeader, Timestamp, Transport};
use netlayers_physical as physical;

/// Deliberate mistakes, for showing what a receiver does with them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Faults {
    /// Write a wrong TCP/UDP checksum.
    pub bad_checksum: bool,
    /// Write a wrong IPv4 header checksum (IPv6 has none).
    pub bad_ip_checksum: bool,
    /// Make the IP length field claim [`BAD_LENGTH_EXTRA`] bytes more than the packet holds.
    pub bad_length: bool,
    /// Send a wrong Ethernet FCS (not visible in a pcap, which holds no FCS).
    pub bad_fcs: bool,
}

/// How much longer than the truth a length made wrong on purpose claims the packet is.
pub const BAD_LENGTH_EXTRA: usize = 100;

/// TCP header values the user chooses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpParams {
    /// The 12 flag bits as `tcp.flags` counts them (FIN 0x001 … AE 0x100).
    pub flags: u16,
    pub seq: u32,
    pub ack: u32,
    pub window: u16,
    /// The Maximum Segment Size option (kind 2, length 4, RFC 9293 section 3.7.1) a SYN
    /// carries: the largest payload the sender wants to receive in one segment.
    pub mss: Option<u16>,
}

impl Default for TcpParams {
    fn default() -> TcpParams {
        TcpParams { flags: TCP_PSH | TCP_ACK, seq: 1, ack: 1, window: 64240, mss: None }
    }
}

pub const TCP_FIN: u16 = 0x001;
pub const TCP_SYN: u16 = 0x002;
pub const TCP_RST: u16 = 0x004;
pub const TCP_PSH: u16 = 0x008;
pub const TCP_ACK: u16 = 0x010;
pub const TCP_URG: u16 = 0x020;
pub const TCP_ECE: u16 = 0x040;
pub const TCP_CWR: u16 = 0x080;
pub const TCP_AE: u16 = 0x100;

/// Flag bits, their one-letter and full names, low bit first as Wireshark lists them.
const TCP_FLAG_NAMES: [(u16, char, &str); 9] = [
    (TCP_FIN, 'F', "FIN"),
    (TCP_SYN, 'S', "SYN"),
    (TCP_RST, 'R', "RST"),
    (TCP_PSH, 'P', "PSH"),
    (TCP_ACK, 'A', "ACK"),
    (TCP_URG, 'U', "URG"),
    (TCP_ECE, 'E', "ECE"),
    (TCP_CWR, 'C', "CWR"),
    (TCP_AE, 'N', "AE"),
];

/// Everything `encapsulate` needs besides the message. `Default` is the classroom example:
/// UDP from 10.0.0.1:5000 to 10.0.0.2:8081, TTL 64, MTU 1500.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncapOptions {
    pub transport: Transport,
    /// Source address and port; its family (IPv4/IPv6) must match `dst`'s.
    pub src: SocketAddr,
    pub dst: SocketAddr,
    /// `None`: a locally administered address made from the source IP (02:00:…).
    pub src_mac: Option<[u8; 6]>,
    /// `None`: broadcast/multicast addresses map to their MAC; unicast gets a made-up address
    /// standing for what ARP (IPv4) or neighbour discovery (IPv6) would resolve.
    pub dst_mac: Option<[u8; 6]>,
    /// IPv4 TTL / IPv6 hop limit.
    pub ttl: u8,
    /// Largest IP packet the link carries; a larger datagram is sent as fragments.
    pub mtu: usize,
    /// IPv4 Don't Fragment: `None` does what Linux does (DF on packets that fit the MTU, off on
    /// fragments), `Some(true)` forbids fragmenting (a datagram over the MTU is an error, EMSGSIZE).
    pub dont_fragment: Option<bool>,
    /// IPv4 Identification; also the IPv6 fragment header's Identification.
    pub ip_id: u16,
    pub tcp: TcpParams,
    pub faults: Faults,
}

pub const DEFAULT_SRC: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), 5000);
pub const DEFAULT_DST: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), 8081);
/// The IPv6 defaults, used when the other address given is IPv6.
pub const DEFAULT_SRC6: SocketAddr =
    SocketAddr::new(IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 1)), 5000);
pub const DEFAULT_DST6: SocketAddr =
    SocketAddr::new(IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 2)), 8081);
/// Smallest MTU accepted: IPv4's minimum (RFC 791); IPv6 needs room for its 48 bytes of headers
/// and a whole TCP header in the first fragment.
pub const MIN_MTU_V4: usize = 68;
pub const MIN_MTU_V6: usize = 72;
/// The MTU every IPv6 link must carry (RFC 8200 section 5).
pub const IPV6_MIN_LINK_MTU: usize = 1280;

impl Default for EncapOptions {
    fn default() -> EncapOptions {
        EncapOptions {
            transport: Transport::Udp,
            src: DEFAULT_SRC,
            dst: DEFAULT_DST,
            src_mac: None,
            dst_mac: None,
            ttl: 64,
            mtu: 1500,
            dont_fragment: None,
            ip_id: 1,
            tcp: TcpParams::default(),
            faults: Faults::default(),
        }
    }
}

/// Why a message cannot be encapsulated as asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EncapError {
    /// One address is IPv4 and the other IPv6.
    MixedFamilies { src: IpAddr, dst: IpAddr },
    /// The datagram would exceed what the IP length field can say.
    TooLong { message: usize, max: usize },
    MtuTooSmall { mtu: usize, min: usize },
    MtuTooLarge { mtu: usize },
    /// DF was asked for and the datagram does not fit the MTU (what `sendto` reports as EMSGSIZE).
    DontFragment { len: usize, mtu: usize },
    /// An IPv4-only option (header checksum, DF) with IPv6 addresses.
    Ipv4Only { what: &'static str },
}

impl EncapError {
    /// The message in the user's language.
    pub fn message(&self, lang: Lang) -> String {
        let (en, zh) = match self {
            EncapError::MixedFamilies { src, dst } => (
                format!("--src {src} and --dst {dst} must both be IPv4 or both IPv6"),
                format!("--src {src} 和 --dst {dst} 必须同为 IPv4 或同为 IPv6"),
            ),
            EncapError::TooLong { message, max } => (
                format!("the message is {message} bytes; at most {max} fit in one IP datagram"),
                format!("消息有 {message} 字节;一个 IP 数据报最多只能装 {max} 字节"),
            ),
            EncapError::MtuTooSmall { mtu, min } => (
                format!("--mtu {mtu} is too small: at least {min} bytes"),
                format!("--mtu {mtu} 太小:至少要 {min} 字节"),
            ),
            EncapError::MtuTooLarge { mtu } => (
                format!("--mtu {mtu} is too large: at most 65535 bytes"),
                format!("--mtu {mtu} 太大:最多 65535 字节"),
            ),
            EncapError::DontFragment { len, mtu } => (
                format!(
                    "the {len}-byte datagram does not fit the MTU {mtu} and --df forbids fragmenting it \
                     (a real sendto() fails with EMSGSIZE)"
                ),
                format!("{len} 字节的数据报超过 MTU {mtu},而 --df 禁止分片(真实的 sendto() 会返回 EMSGSIZE 错误)"),
            ),
            EncapError::Ipv4Only { what } => (
                format!("{what} exists only in IPv4; the addresses are IPv6"),
                format!("{what} 只存在于 IPv4 中;而这里的地址是 IPv6"),
            ),
        };
        match lang {
            Lang::En => en,
            Lang::Zh => zh,
        }
    }
}

impl fmt::Display for EncapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(Lang::En))
    }
}

impl std::error::Error for EncapError {}

/// An (IP address, protocol, port) triple: what names a process on the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    pub ip: IpAddr,
    pub transport: Transport,
    pub port: u16,
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({}, {}, {})", self.ip, transport_name(self.transport), self.port)
    }
}

pub fn transport_name(t: Transport) -> &'static str {
    match t {
        Transport::Tcp => "TCP",
        Transport::Udp => "UDP",
    }
}

/// Which buffer a PDU's bytes (and its layers' byte ranges) belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PduSource {
    /// [`Encapsulation::whole`]: the datagram as one frame, as the receiver has it after
    /// reassembling fragments. Used by the application and transport steps when fragmented.
    Whole,
    /// `Encapsulation::frames[i]` (the FCS, when a PDU includes it, follows the frame's last byte).
    Frame(usize),
    /// `Encapsulation::wires[i]`: preamble, SFD, frame and FCS.
    Wire(usize),
}

/// One PDU at one step: the bytes so far and what this layer added.
#[derive(Debug, Clone, PartialEq)]
pub struct Pdu {
    /// "UDP datagram", "IPv4 packet, fragment 2 of 3", "Ethernet frame" …
    pub name: OwnedText,
    /// The PDU so far: this layer's header (and trailer) around everything from above.
    pub bytes: Vec<u8>,
    /// The ranges of `bytes` this layer added (a header, and for Ethernet padding + FCS).
    pub added: Vec<Range<usize>>,
    pub source: PduSource,
    /// Where `bytes[0]` sits in the source buffer.
    pub offset: usize,
    /// The layers the decoder found in these bytes, byte ranges absolute in the source buffer.
    pub layers: Vec<Layer>,
}

impl Pdu {
    /// The added ranges as absolute positions in the source buffer (like the layers' ranges).
    pub fn added_in_source(&self) -> Vec<Range<usize>> {
        self.added.iter().map(|r| r.start + self.offset..r.end + self.offset).collect()
    }
}

/// One layer's work at the sender.
#[derive(Debug, Clone, PartialEq)]
pub struct EncapStep {
    pub kind: LayerKind,
    pub heading: OwnedText,
    /// One PDU; from the network layer down one per fragment.
    pub pdus: Vec<Pdu>,
    /// What a student should notice at this step.
    pub notes: Vec<OwnedText>,
}

/// Which part of a checksummed unit a word comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SumPart {
    /// The pseudo-header: addresses, protocol and length from the IP layer, never sent.
    PseudoHeader,
    Header,
    Data,
}

/// One 16-bit word of a checksum, and the sum after adding it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SumRow {
    pub part: SumPart,
    pub what: OwnedText,
    pub word: u16,
    /// The running sum before any folding (it can grow past 16 bits).
    pub running: u64,
}

/// An Internet checksum worked out word by word (RFC 1071), as a student does it on paper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChecksumWork {
    pub rows: Vec<SumRow>,
    /// Sum of all words, not folded.
    pub sum: u64,
    /// The sum with carries added back in until it fits 16 bits.
    pub folded: u16,
    /// What a correct sender writes: the inversion of `folded` (UDP writes 0 as 0xffff).
    pub computed: u16,
    /// What was written into the header (differs from `computed` only on purpose).
    pub written: u16,
}

impl ChecksumWork {
    /// The fold, step by step: `0x2a1b3 → 0xa1b3 + 0x2 = 0xa1b5`.
    pub fn fold_steps(&self) -> Vec<(u64, u64)> {
        let mut out = Vec::new();
        let mut s = self.sum;
        while s > 0xffff {
            let n = (s & 0xffff) + (s >> 16);
            out.push((s, n));
            s = n;
        }
        out
    }
}

/// How the datagram was split to fit the MTU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fragmentation {
    pub mtu: usize,
    /// Headers repeated in every fragment: 20 (IPv4) or 40 + 8 (IPv6 and its fragment header).
    pub header_len: usize,
    /// The transport segment that is split.
    pub payload_len: usize,
    /// `(mtu − header_len)` rounded down to a multiple of 8: offsets count in 8-byte units.
    pub max_per_fragment: usize,
    pub fragments: Vec<FragmentInfo>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FragmentInfo {
    /// Position of this fragment's payload in the whole datagram's payload, in bytes.
    pub offset: usize,
    pub len: usize,
    /// More Fragments: every fragment but the last.
    pub more: bool,
}

impl FragmentInfo {
    /// The 13-bit Fragment Offset field: the byte offset divided by 8.
    pub fn offset_field(&self) -> u16 {
        (self.offset / 8) as u16
    }
}

/// Where the destination MAC came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MacSource {
    /// `--dst-mac`.
    Given,
    /// 255.255.255.255 → ff:ff:ff:ff:ff:ff.
    Broadcast,
    /// 224.0.0.0/4 → 01:00:5e + the low 23 bits of the group.
    Ipv4Multicast,
    /// ff00::/8 → 33:33 + the low 32 bits of the group.
    Ipv6Multicast,
    /// A unicast address: netlayers made one up from the IP; a real host asks ARP (IPv4) or
    /// neighbour discovery (IPv6).
    Resolved,
}

/// What the receiver decides at one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    /// Accepted, but worth a remark (TTL 0 reaching its destination).
    Warn,
    /// A real receiver throws the frame away here.
    Drop,
}

impl Verdict {
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Warn => "warn",
            Verdict::Drop => "drop",
        }
    }
}

/// One check the receiving card or kernel makes while taking a header off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub kind: LayerKind,
    /// Stable name for tests and JSON: `fcs`, `eth.dst`, `ip.checksum`, `udp.checksum` …
    pub id: &'static str,
    pub verdict: Verdict,
    pub text: OwnedText,
}

/// A message taken down the five layers, and back up at the receiver.
#[derive(Debug, Clone, PartialEq)]
pub struct Encapsulation {
    pub options: EncapOptions,
    pub message: Vec<u8>,
    pub src_mac: [u8; 6],
    pub dst_mac: [u8; 6],
    pub dst_mac_source: MacSource,
    /// Transport header and message.
    pub segment: Vec<u8>,
    /// The frames as a capture holds them (padded, no FCS): one, or one per fragment.
    pub frames: Vec<Vec<u8>>,
    /// The datagram as one frame (what the receiver holds after reassembly); equals
    /// `frames[0]` when nothing was fragmented.
    pub whole: Vec<u8>,
    /// Preamble, SFD, frame and FCS for each frame.
    pub wires: Vec<Vec<u8>>,
    /// Application, transport, network, link, physical.
    pub steps: Vec<EncapStep>,
    /// The transport checksum, word by word.
    pub checksum: ChecksumWork,
    /// The IPv4 header checksum of each packet (empty for IPv6, which has none).
    pub ip_checksums: Vec<ChecksumWork>,
    pub fragmentation: Option<Fragmentation>,
    /// The receiver's walk up, stopping at the first check that drops the frame.
    pub receiver: Vec<Check>,
}

impl Encapsulation {
    pub fn sender(&self) -> Endpoint {
        Endpoint { ip: self.options.src.ip(), transport: self.options.transport, port: self.options.src.port() }
    }
    /// The triple naming the receiving process.
    pub fn receiver_endpoint(&self) -> Endpoint {
        Endpoint { ip: self.options.dst.ip(), transport: self.options.transport, port: self.options.dst.port() }
    }
    /// Whether a real receiver would hand the message to the application.
    pub fn delivered(&self) -> bool {
        !self.receiver.iter().any(|c| c.verdict == Verdict::Drop)
    }
    /// The step for one layer.
    pub fn step(&self, kind: LayerKind) -> Option<&EncapStep> {
        self.steps.iter().find(|s| s.kind == kind)
    }
    pub fn is_ipv6(&self) -> bool {
        self.options.dst.is_ipv6()
    }
    /// Length of the transport header (8 for UDP, 20 for TCP, 24 with the MSS option).
    pub fn transport_header_len(&self) -> usize {
        transport_header_len(self.options.transport, &self.options.tcp)
    }
}

fn transport_header_len(t: Transport, tcp: &TcpParams) -> usize {
    match t {
        Transport::Udp => 8,
        Transport::Tcp if tcp.mss.is_some() => 24,
        Transport::Tcp => 20,
    }
}

/// The TCP flag names, low bit first (`PSH, ACK`), or `none`.
pub fn tcp_flag_names(flags: u16) -> String {
    let names: Vec<&str> = TCP_FLAG_NAMES.iter().filter(|(b, _, _)| flags & b != 0).map(|(_, _, n)| *n).collect();
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}

/// Parses TCP flags as users write them: letters (`S`, `SA`, `PA`, `FA`: F S R P A U E C N), names
/// (`syn,ack`, `psh+ack`), a number (`0x12`, `18`), or `none`.
pub fn parse_tcp_flags(s: &str) -> Result<u16, String> {
    let t = s.trim();
    if t.is_empty() || t.eq_ignore_ascii_case("none") {
        return Ok(0);
    }
    let number = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        u16::from_str_radix(h, 16).ok()
    } else if t.bytes().all(|b| b.is_ascii_digit()) {
        t.parse().ok()
    } else {
        None
    };
    if let Some(n) = number {
        return if n <= 0xfff { Ok(n) } else { Err(format!("TCP flags `{s}` do not fit the 12 flag bits")) };
    }
    let mut flags = 0u16;
    for token in t.split(|c: char| c == ',' || c == '|' || c == '+' || c.is_whitespace()).filter(|x| !x.is_empty()) {
        let word = match token.to_ascii_lowercase().as_str() {
            "fin" => Some(TCP_FIN),
            "syn" => Some(TCP_SYN),
            "rst" | "reset" => Some(TCP_RST),
            "psh" | "push" => Some(TCP_PSH),
            "ack" => Some(TCP_ACK),
            "urg" => Some(TCP_URG),
            "ece" => Some(TCP_ECE),
            "cwr" => Some(TCP_CWR),
            "ae" | "ns" => Some(TCP_AE),
            _ => None,
        };
        if let Some(w) = word {
            flags |= w;
            continue;
        }
        for c in token.chars() {
            let c = c.to_ascii_uppercase();
            match TCP_FLAG_NAMES.iter().find(|(_, l, _)| *l == c) {
                Some((b, _, _)) => flags |= b,
                None => {
                    return Err(format!(
                        "unknown TCP flag `{c}` in `{s}`: use letters F S R P A U E C N (e.g. SA) or names (syn,ack)"
                    ))
                }
            }
        }
    }
    Ok(flags)
}

/// Parses a MAC written `aa:bb:cc:dd:ee:ff`, `aa-bb-cc-dd-ee-ff` or `aabbccddeeff`.
pub fn parse_mac(s: &str) -> Result<[u8; 6], String> {
    let hex: String = s.trim().chars().filter(|c| *c != ':' && *c != '-' && *c != '.').collect();
    let parts: Vec<&str> = s.trim().split([':', '-']).collect();
    let ok_shape = (parts.len() == 6 && parts.iter().all(|p| (1..=2).contains(&p.len())))
        || (parts.len() == 1 && hex.len() == 12);
    let bad = || format!("`{s}` is not a MAC address like 02:00:00:00:00:01");
    if !ok_shape {
        return Err(bad());
    }
    let mut m = [0u8; 6];
    if parts.len() == 6 {
        for (o, p) in m.iter_mut().zip(&parts) {
            *o = u8::from_str_radix(p, 16).map_err(|_| bad())?;
        }
    } else {
        for (i, o) in m.iter_mut().enumerate() {
            *o = hex.get(2 * i..2 * i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()).ok_or_else(bad)?;
        }
    }
    Ok(m)
}

/// Parses `10.0.0.1:5000`, `[fd00::1]:5000`, or an address alone (`10.0.0.1`, `fd00::1`,
/// `[fd00::1]`), which gets `default_port`.
pub fn parse_endpoint(s: &str, default_port: u16) -> Result<SocketAddr, String> {
    let t = s.trim();
    if let Ok(a) = t.parse::<SocketAddr>() {
        return Ok(a);
    }
    let bare = t.strip_prefix('[').and_then(|x| x.strip_suffix(']')).unwrap_or(t);
    bare.parse::<IpAddr>().map(|ip| SocketAddr::new(ip, default_port)).map_err(|_| {
        format!("`{s}` is not an address with a port, like 10.0.0.1:5000 or [fd00::1]:5000")
    })
}

/// A locally administered unicast MAC made from an IP (02:00 and the address's last 4 bytes),
/// so a student can tell whose it is.
pub fn mac_from_ip(ip: IpAddr) -> [u8; 6] {
    let tail = match ip {
        IpAddr::V4(a) => a.octets(),
        IpAddr::V6(a) => {
            let o = a.octets();
            [o[12], o[13], o[14], o[15]]
        }
    };
    [0x02, 0x00, tail[0], tail[1], tail[2], tail[3]]
}

/// The destination MAC for a destination IP, and where it comes from.
pub fn dst_mac_for(ip: IpAddr) -> ([u8; 6], MacSource) {
    match ip {
        IpAddr::V4(a) if a.is_broadcast() => ([0xff; 6], MacSource::Broadcast),
        IpAddr::V4(a) if a.is_multicast() => {
            let o = a.octets();
            ([0x01, 0x00, 0x5e, o[1] & 0x7f, o[2], o[3]], MacSource::Ipv4Multicast)
        }
        IpAddr::V6(a) if a.is_multicast() => {
            let o = a.octets();
            ([0x33, 0x33, o[12], o[13], o[14], o[15]], MacSource::Ipv6Multicast)
        }
        _ => (mac_from_ip(ip), MacSource::Resolved),
    }
}

/// A checksum value that is certainly wrong, and never 0 or 0xffff (which UDP over IPv4 and
/// one's-complement arithmetic could take for "no checksum" or for the right value).
fn spoil(c: u16) -> u16 {
    let b = c ^ 0x8000;
    if b == 0 || b == 0xffff {
        c ^ 0x4000
    } else {
        b
    }
}

/// Accumulates a checksum the way it is taught: one row per 16-bit word.
struct SumBuilder {
    rows: Vec<SumRow>,
    acc: u64,
}

impl SumBuilder {
    fn new() -> SumBuilder {
        SumBuilder { rows: Vec::new(), acc: 0 }
    }
    fn word(&mut self, part: SumPart, en: impl Into<String>, zh: impl Into<String>, word: u16) {
        self.acc += u64::from(word);
        self.rows.push(SumRow { part, what: OwnedText::new(en, zh), word, running: self.acc });
    }
    /// Words of an address, labelled `source IP (1/2)` …
    fn address(&mut self, en: &str, zh: &str, bytes: &[u8]) {
        let n = bytes.len() / 2;
        for (i, c) in bytes.chunks(2).enumerate() {
            let w = u16::from_be_bytes([c[0], c.get(1).copied().unwrap_or(0)]);
            self.word(SumPart::PseudoHeader, format!("{en} ({}/{n})", i + 1), format!("{zh}({}/{n})", i + 1), w);
        }
    }
    fn data(&mut self, data: &[u8]) {
        for c in data.chunks(2) {
            let shown = escape::ascii_column(c);
            let (w, en, zh) = match *c {
                [a, b] => (u16::from_be_bytes([a, b]), format!("data \"{shown}\""), format!("数据 \"{shown}\"")),
                [a] => (
                    u16::from(a) << 8,
                    format!("data \"{shown}\" + a zero byte (odd length)"),
                    format!("数据 \"{shown}\" 补一个零字节(长度为奇数)"),
                ),
                _ => continue,
            };
            self.word(SumPart::Data, en, zh, w);
        }
    }
    fn finish(self, udp: bool, bad: bool) -> ChecksumWork {
        let mut folded = self.acc;
        while folded > 0xffff {
            folded = (folded & 0xffff) + (folded >> 16);
        }
        let folded = folded as u16;
        let mut computed = !folded;
        if udp && computed == 0 {
            // RFC 768: a computed 0 is sent as all ones, because 0 means "no checksum".
            computed = 0xffff;
        }
        let written = if bad { spoil(computed) } else { computed };
        ChecksumWork { rows: self.rows, sum: self.acc, folded, computed, written }
    }
}

/// The transport checksum worked out over pseudo-header, header (checksum field zero) and data.
fn transport_checksum(pseudo: &PseudoHeader, segment: &[u8], t: Transport, bad: bool) -> ChecksumWork {
    let mut s = SumBuilder::new();
    let len = segment.len();
    match (pseudo.src, pseudo.dst) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            s.address("pseudo: source IP", "伪首部:源 IP", &a.octets());
            s.address("pseudo: destination IP", "伪首部:目的 IP", &b.octets());
            s.word(
                SumPart::PseudoHeader,
                format!("pseudo: zero byte + protocol {}", pseudo.protocol),
                format!("伪首部:零字节 + 协议号 {}", pseudo.protocol),
                u16::from(pseudo.protocol),
            );
            let name = transport_name(t);
            s.word(
                SumPart::PseudoHeader,
                format!("pseudo: {name} length {len}"),
                format!("伪首部:{name} 长度 {len}"),
                len as u16,
            );
        }
        (a, b) => {
            let v6 = |x: IpAddr| match x {
                IpAddr::V6(a) => a,
                IpAddr::V4(a) => a.to_ipv6_mapped(),
            };
            s.address("pseudo: source IP", "伪首部:源 IP", &v6(a).octets());
            s.address("pseudo: destination IP", "伪首部:目的 IP", &v6(b).octets());
            s.word(SumPart::PseudoHeader, "pseudo: length (high 16 bits)", "伪首部:长度(高 16 位)", (len >> 16) as u16);
            s.word(
                SumPart::PseudoHeader,
                format!("pseudo: length {len} (low 16 bits)"),
                format!("伪首部:长度 {len}(低 16 位)"),
                len as u16,
            );
            s.word(SumPart::PseudoHeader, "pseudo: zero", "伪首部:零", 0);
            s.word(
                SumPart::PseudoHeader,
                format!("pseudo: zero + next header {}", pseudo.protocol),
                format!("伪首部:零 + 下一首部 {}", pseudo.protocol),
                u16::from(pseudo.protocol),
            );
        }
    }
    let w = |i: usize| u16::from_be_bytes([segment.get(i).copied().unwrap_or(0), segment.get(i + 1).copied().unwrap_or(0)]);
    let h = SumPart::Header;
    match t {
        Transport::Udp => {
            s.word(h, format!("source port {}", w(0)), format!("源端口 {}", w(0)), w(0));
            s.word(h, format!("destination port {}", w(2)), format!("目的端口 {}", w(2)), w(2));
            s.word(h, format!("length {}", w(4)), format!("长度 {}", w(4)), w(4));
            s.word(h, "checksum (zero while computing)", "校验和(计算时先置零)", 0);
        }
        Transport::Tcp => {
            s.word(h, format!("source port {}", w(0)), format!("源端口 {}", w(0)), w(0));
            s.word(h, format!("destination port {}", w(2)), format!("目的端口 {}", w(2)), w(2));
            s.word(h, "sequence number (1/2)", "序号(1/2)", w(4));
            s.word(h, "sequence number (2/2)", "序号(2/2)", w(6));
            s.word(h, "acknowledgment number (1/2)", "确认号(1/2)", w(8));
            s.word(h, "acknowledgment number (2/2)", "确认号(2/2)", w(10));
            s.word(h, "header length + flags", "首部长度 + 标志位", w(12));
            s.word(h, format!("window {}", w(14)), format!("窗口 {}", w(14)), w(14));
            s.word(h, "checksum (zero while computing)", "校验和(计算时先置零)", 0);
            s.word(h, "urgent pointer", "紧急指针", w(18));
        }
    }
    // TCP's header length is its data offset (options included), in 32-bit words.
    let thl = match t {
        Transport::Udp => 8,
        Transport::Tcp => usize::from(segment.get(12).copied().unwrap_or(0x50) >> 4) * 4,
    };
    for i in (20..thl).step_by(2) {
        s.word(h, "TCP option", "TCP 选项", w(i));
    }
    s.data(segment.get(thl..).unwrap_or(&[]));
    s.finish(t == Transport::Udp, bad)
}

/// The IPv4 header checksum worked out over the 10 words of the header (checksum field zero).
fn ipv4_checksum(h: &[u8; 20], bad: bool) -> ChecksumWork {
    let w = |i: usize| u16::from_be_bytes([h[i], h[i + 1]]);
    let p = SumPart::Header;
    let mut s = SumBuilder::new();
    s.word(p, "version 4, header length 5 (×4 = 20), DSCP/ECN", "版本 4、首部长度 5(×4 = 20)、DSCP/ECN", w(0));
    s.word(p, format!("total length {}", w(2)), format!("总长度 {}", w(2)), w(2));
    s.word(p, "identification", "标识", w(4));
    s.word(p, "flags + fragment offset", "标志 + 片偏移", w(6));
    s.word(p, format!("TTL {} + protocol {}", h[8], h[9]), format!("TTL {} + 协议号 {}", h[8], h[9]), w(8));
    s.word(p, "header checksum (zero while computing)", "首部校验和(计算时先置零)", 0);
    s.word(p, "source IP (1/2)", "源 IP(1/2)", w(12));
    s.word(p, "source IP (2/2)", "源 IP(2/2)", w(14));
    s.word(p, "destination IP (1/2)", "目的 IP(1/2)", w(16));
    s.word(p, "destination IP (2/2)", "目的 IP(2/2)", w(18));
    s.finish(false, bad)
}

/// What one IP packet (a whole datagram or one fragment) needs written.
struct IpPacketSpec<'a> {
    payload: &'a [u8],
    frag: Option<FragmentInfo>,
    df: bool,
}

/// Builds one IP packet; returns it and, for IPv4, its header checksum work.
fn ip_packet(opts: &EncapOptions, proto: u8, p: &IpPacketSpec<'_>) -> (Vec<u8>, Option<ChecksumWork>) {
    let extra = if opts.faults.bad_length { BAD_LENGTH_EXTRA } else { 0 };
    match (opts.src.ip(), opts.dst.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            let total = (20 + p.payload.len() + extra).min(0xffff) as u16;
            let (more, off) = p.frag.map_or((false, 0), |f| (f.more, f.offset_field()));
            let flags_off = (u16::from(p.df) << 14) | (u16::from(more) << 13) | (off & 0x1fff);
            let mut h = [0u8; 20];
            h[0] = 0x45;
            h[2..4].copy_from_slice(&total.to_be_bytes());
            h[4..6].copy_from_slice(&opts.ip_id.to_be_bytes());
            h[6..8].copy_from_slice(&flags_off.to_be_bytes());
            h[8] = opts.ttl;
            h[9] = proto;
            h[12..16].copy_from_slice(&s.octets());
            h[16..20].copy_from_slice(&d.octets());
            let work = ipv4_checksum(&h, opts.faults.bad_ip_checksum);
            h[10..12].copy_from_slice(&work.written.to_be_bytes());
            let mut v = h.to_vec();
            v.extend_from_slice(p.payload);
            (v, Some(work))
        }
        (s, d) => {
            let v6 = |x: IpAddr| match x {
                IpAddr::V6(a) => a,
                IpAddr::V4(a) => a.to_ipv6_mapped(),
            };
            let frag_len = if p.frag.is_some() { 8 } else { 0 };
            let plen = (frag_len + p.payload.len() + extra).min(0xffff) as u16;
            let mut v = Vec::with_capacity(40 + frag_len + p.payload.len());
            v.extend_from_slice(&[0x60, 0, 0, 0]);
            v.extend_from_slice(&plen.to_be_bytes());
            v.push(if p.frag.is_some() { 44 } else { proto });
            v.push(opts.ttl);
            v.extend_from_slice(&v6(s).octets());
            v.extend_from_slice(&v6(d).octets());
            if let Some(f) = p.frag {
                v.push(proto);
                v.push(0);
                v.extend_from_slice(&((f.offset_field() << 3) | u16::from(f.more)).to_be_bytes());
                v.extend_from_slice(&u32::from(opts.ip_id).to_be_bytes());
            }
            v.extend_from_slice(p.payload);
            (v, None)
        }
    }
}

fn ethernet_frame(dst: [u8; 6], src: [u8; 6], ethertype: u16, packet: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(14 + packet.len() + 60);
    f.extend_from_slice(&dst);
    f.extend_from_slice(&src);
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(packet);
    physical::pad(&f)
}

/// Runs the real decoders on a frame we built.
fn decode(frame: &[u8]) -> Vec<Layer> {
    let f = Frame {
        number: 1,
        ts: Timestamp::default(),
        orig_len: frame.len() as u32,
        data: frame.to_vec(),
        link: LinkType::Ethernet,
        interface: 0,
    };
    crate::decap::decapsulate(&f)
}

fn of_kind(layers: &[Layer], kind: LayerKind) -> Vec<Layer> {
    layers.iter().filter(|l| l.kind == kind && l.depth == 0 && l.protocol != "frame").cloned().collect()
}

fn txt(en: impl Into<String>, zh: impl Into<String>) -> OwnedText {
    OwnedText::new(en, zh)
}

fn mac_text(m: &[u8; 6]) -> String {
    netlayers_core::model::fmt_mac(m)
}

/// The message as text for notes: escaped, and cut after 40 characters.
fn quoted(msg: &[u8]) -> String {
    let s = escape::bytes(msg);
    let cut: String = s.chars().take(40).collect();
    if cut.len() < s.len() {
        format!("\"{cut}…\"")
    } else {
        format!("\"{cut}\"")
    }
}

/// Takes `msg` down the five layers as `opts` say, then back up at the receiver.
pub fn encapsulate(msg: &[u8], opts: &EncapOptions) -> Result<Encapsulation, EncapError> {
    let (sip, dip) = (opts.src.ip(), opts.dst.ip());
    let v6 = match (sip, dip) {
        (IpAddr::V4(_), IpAddr::V4(_)) => false,
        (IpAddr::V6(_), IpAddr::V6(_)) => true,
        _ => return Err(EncapError::MixedFamilies { src: sip, dst: dip }),
    };
    if v6 && opts.faults.bad_ip_checksum {
        return Err(EncapError::Ipv4Only { what: "The IP header checksum" });
    }
    if v6 && opts.dont_fragment == Some(true) {
        return Err(EncapError::Ipv4Only { what: "The DF (Don't Fragment) flag" });
    }
    let min_mtu = if v6 { MIN_MTU_V6 } else { MIN_MTU_V4 };
    if opts.mtu < min_mtu {
        return Err(EncapError::MtuTooSmall { mtu: opts.mtu, min: min_mtu });
    }
    if opts.mtu > 0xffff {
        return Err(EncapError::MtuTooLarge { mtu: opts.mtu });
    }
    let t = opts.transport;
    let proto: u8 = match t {
        Transport::Tcp => 6,
        Transport::Udp => 17,
    };
    let thl = transport_header_len(t, &opts.tcp);
    let ip_hl = if v6 { 40 } else { 20 };
    let max_seg = if v6 { 0xffff } else { 0xffff - ip_hl };
    let seg_len = thl + msg.len();
    if seg_len > max_seg {
        return Err(EncapError::TooLong { message: msg.len(), max: max_seg - thl });
    }

    // Transport: header with a zero checksum, the message, then the checksum.
    let mut segment = vec![0u8; thl];
    segment[0..2].copy_from_slice(&opts.src.port().to_be_bytes());
    segment[2..4].copy_from_slice(&opts.dst.port().to_be_bytes());
    let csum_at = match t {
        Transport::Udp => {
            segment[4..6].copy_from_slice(&(seg_len as u16).to_be_bytes());
            6
        }
        Transport::Tcp => {
            segment[4..8].copy_from_slice(&opts.tcp.seq.to_be_bytes());
            segment[8..12].copy_from_slice(&opts.tcp.ack.to_be_bytes());
            let off_flags = ((thl as u16 / 4) << 12) | (opts.tcp.flags & 0x0fff);
            segment[12..14].copy_from_slice(&off_flags.to_be_bytes());
            segment[14..16].copy_from_slice(&opts.tcp.window.to_be_bytes());
            if let Some(mss) = opts.tcp.mss {
                segment[20..24].copy_from_slice(&[2, 4, (mss >> 8) as u8, mss as u8]);
            }
            16
        }
    };
    segment.extend_from_slice(msg);
    let pseudo = PseudoHeader { src: sip, dst: dip, protocol: proto, upper_len: seg_len };
    let work = transport_checksum(&pseudo, &segment, t, opts.faults.bad_checksum);
    segment[csum_at..csum_at + 2].copy_from_slice(&work.written.to_be_bytes());

    // Network: one packet, or fragments of at most `per` payload bytes each.
    let whole_len = ip_hl + seg_len;
    let needs_frag = whole_len > opts.mtu;
    if needs_frag && opts.dont_fragment == Some(true) {
        return Err(EncapError::DontFragment { len: whole_len, mtu: opts.mtu });
    }
    let fragmentation = needs_frag.then(|| {
        let header_len = if v6 { 48 } else { 20 };
        let per = (opts.mtu - header_len) / 8 * 8;
        let mut fragments = Vec::new();
        let mut off = 0;
        while off < seg_len {
            let len = per.min(seg_len - off);
            fragments.push(FragmentInfo { offset: off, len, more: off + len < seg_len });
            off += len;
        }
        Fragmentation { mtu: opts.mtu, header_len, payload_len: seg_len, max_per_fragment: per, fragments }
    });
    let df = !v6 && opts.dont_fragment.unwrap_or(!needs_frag);
    let mut packets = Vec::new();
    let mut ip_checksums = Vec::new();
    match &fragmentation {
        None => {
            let (p, w) = ip_packet(opts, proto, &IpPacketSpec { payload: &segment, frag: None, df });
            packets.push(p);
            ip_checksums.extend(w);
        }
        Some(fr) => {
            for f in &fr.fragments {
                let payload = &segment[f.offset..f.offset + f.len];
                let (p, w) = ip_packet(opts, proto, &IpPacketSpec { payload, frag: Some(*f), df });
                packets.push(p);
                ip_checksums.extend(w);
            }
        }
    }
    let (whole_packet, _) = ip_packet(opts, proto, &IpPacketSpec { payload: &segment, frag: None, df });

    // Link: Ethernet header, padding; physical: preamble, SFD, FCS.
    let src_mac = opts.src_mac.unwrap_or_else(|| mac_from_ip(sip));
    let (dst_mac, dst_mac_source) = match opts.dst_mac {
        Some(m) => (m, MacSource::Given),
        None => dst_mac_for(dip),
    };
    let ethertype = if v6 { 0x86dd } else { 0x0800 };
    let frames: Vec<Vec<u8>> = packets.iter().map(|p| ethernet_frame(dst_mac, src_mac, ethertype, p)).collect();
    let whole = if needs_frag { ethernet_frame(dst_mac, src_mac, ethertype, &whole_packet) } else { frames[0].clone() };
    let wires: Vec<Vec<u8>> = frames
        .iter()
        .map(|f| {
            let mut w = physical::wire_bytes(f);
            if opts.faults.bad_fcs {
                let n = w.len();
                if let Some(b) = w.get_mut(n - 1) {
                    *b ^= 0xff;
                }
            }
            w
        })
        .collect();

    let mut enc = Encapsulation {
        options: opts.clone(),
        message: msg.to_vec(),
        src_mac,
        dst_mac,
        dst_mac_source,
        segment,
        frames,
        whole,
        wires,
        steps: Vec::new(),
        checksum: work,
        ip_checksums,
        fragmentation,
        receiver: Vec::new(),
    };
    enc.steps = steps(&enc, &packets);
    enc.receiver = receive(&enc);
    Ok(enc)
}

// `added` is a list of ranges (Ethernet adds two); most layers add one.
#[allow(clippy::single_range_in_vec_init)]
fn steps(e: &Encapsulation, packets: &[Vec<u8>]) -> Vec<EncapStep> {
    let whole_layers = decode(&e.whole);
    let frame_layers: Vec<Vec<Layer>> = e.frames.iter().map(|f| decode(f)).collect();
    let o = &e.options;
    let v6 = e.is_ipv6();
    let ip_hl = if v6 { 40 } else { 20 };
    let thl = e.transport_header_len();
    let tname = transport_name(o.transport);
    let upper_source = if e.fragmentation.is_some() { PduSource::Whole } else { PduSource::Frame(0) };
    let n = e.frames.len();
    let mut steps = Vec::with_capacity(5);

    // 5 Application.
    let len = e.message.len();
    let recv = e.receiver_endpoint();
    let send = e.sender();
    let call = match o.transport {
        Transport::Udp => "sendto()",
        Transport::Tcp => "send()",
    };
    let mut notes = vec![
        txt(
            format!("The process calls {call} with {len} bytes: {}. Nothing is added yet.", quoted(&e.message)),
            format!("进程调用 {call} 交出 {len} 个字节:{}。此时还没有加上任何首部。", quoted(&e.message)),
        ),
        txt(
            format!(
                "The triple {recv} names the receiving process: the IP address finds the host, \
                 the protocol and port find the process on it. The reply goes back to {send}."
            ),
            format!(
                "三元组 {recv} 标识接收进程:IP 地址找到主机,协议加端口找到主机上的进程。\
                 回复会发回发送方的三元组 {send}。"
            ),
        ),
    ];
    if o.transport == Transport::Tcp {
        notes.push(txt(
            "TCP sends a byte stream: the receiver may get these bytes split or joined with others; \
             message boundaries are the application's job.",
            "TCP 传送的是字节流:接收方可能把这些字节拆开读到,也可能和别的字节连在一起读到;\
             消息边界要由应用程序自己划分。",
        ));
    }
    steps.push(EncapStep {
        kind: LayerKind::Application,
        heading: txt(
            format!("The application hands {len} bytes to the socket"),
            format!("应用程序把 {len} 个字节交给套接字"),
        ),
        pdus: vec![Pdu {
            name: txt("message", "消息"),
            bytes: e.message.clone(),
            added: vec![0..len],
            source: upper_source,
            offset: 14 + ip_hl + thl,
            layers: of_kind(&whole_layers, LayerKind::Application),
        }],
        notes,
    });

    // 4 Transport.
    let c = &e.checksum;
    let mut notes = match o.transport {
        Transport::Udp => vec![txt(
            format!(
                "UDP adds 8 bytes: source port {}, destination port {}, length {} (header + data) and a checksum.",
                o.src.port(),
                o.dst.port(),
                e.segment.len()
            ),
            format!(
                "UDP 加上 8 个字节:源端口 {}、目的端口 {}、长度 {}(首部加数据)和校验和。",
                o.src.port(),
                o.dst.port(),
                e.segment.len()
            ),
        )],
        Transport::Tcp => vec![txt(
            format!(
                "TCP adds 20 bytes: ports {} → {}, sequence number {}, acknowledgment number {}, \
                 header length 20, flags [{}], window {}, checksum and urgent pointer.",
                o.src.port(),
                o.dst.port(),
                o.tcp.seq,
                o.tcp.ack,
                tcp_flag_names(o.tcp.flags),
                o.tcp.window
            ),
            format!(
                "TCP 加上 20 个字节:端口 {} → {}、序号 {}、确认号 {}、首部长度 20、标志位 [{}]、\
                 窗口 {}、校验和与紧急指针。",
                o.src.port(),
                o.dst.port(),
                o.tcp.seq,
                o.tcp.ack,
                tcp_flag_names(o.tcp.flags),
                o.tcp.window
            ),
        )],
    };
    if o.transport == Transport::Tcp {
        notes.extend(tcp_flag_notes(o.tcp.flags, o.tcp.ack));
    }
    notes.push(txt(
        format!(
            "The checksum also covers a pseudo-header that is never sent (source and destination IP, \
             protocol {}, {tname} length {}), so a segment delivered to the wrong host or protocol is caught.",
            if o.transport == Transport::Tcp { 6 } else { 17 },
            e.segment.len()
        ),
        format!(
            "校验和还覆盖一个并不发送的伪首部(源 IP、目的 IP、协议号 {}、{tname} 长度 {}),\
             这样送错主机或送错协议的报文也能被发现。",
            if o.transport == Transport::Tcp { 6 } else { 17 },
            e.segment.len()
        ),
    ));
    notes.push(txt(
        format!(
            "Add the {} words: 0x{:x}; fold the carries back in: 0x{:04x}; invert every bit: 0x{:04x}.",
            c.rows.len(),
            c.sum,
            c.folded,
            c.computed
        ),
        format!(
            "把 {} 个 16 位字相加得 0x{:x};把进位加回低 16 位得 0x{:04x};再按位取反得 0x{:04x}。",
            c.rows.len(),
            c.sum,
            c.folded,
            c.computed
        ),
    ));
    if o.transport == Transport::Udp && !v6 {
        notes.push(txt(
            "Over IPv4 a UDP checksum of 0 means \"not computed\" (a computed 0 is sent as 0xffff); over IPv6 it is mandatory.",
            "在 IPv4 上,UDP 校验和为 0 表示\"未计算\"(算出 0 时改发 0xffff);在 IPv6 上校验和是必须的。",
        ));
    }
    if o.faults.bad_checksum {
        notes.push(txt(
            format!("Deliberately wrong: 0x{:04x} written instead of 0x{:04x}.", c.written, c.computed),
            format!("故意写错:写入的是 0x{:04x},正确值应为 0x{:04x}。", c.written, c.computed),
        ));
    }
    steps.push(EncapStep {
        kind: LayerKind::Transport,
        heading: txt(
            format!("{tname} adds {} {thl}-byte header", if thl == 8 { "an" } else { "a" }),
            format!("{tname} 加上 {thl} 字节的首部"),
        ),
        pdus: vec![Pdu {
            name: txt(
                match o.transport {
                    Transport::Udp => "UDP datagram",
                    Transport::Tcp => "TCP segment",
                },
                match o.transport {
                    Transport::Udp => "UDP 数据报",
                    Transport::Tcp => "TCP 报文段",
                },
            ),
            bytes: e.segment.clone(),
            added: vec![0..thl],
            source: upper_source,
            offset: 14 + ip_hl,
            layers: of_kind(&whole_layers, LayerKind::Transport),
        }],
        notes,
    });

    // 3 Network.
    let ipname = if v6 { "IPv6" } else { "IPv4" };
    let mut pdus = Vec::new();
    for (i, p) in packets.iter().enumerate() {
        let hl = if v6 && e.fragmentation.is_some() { 48 } else { ip_hl };
        let (en, zh) = if n > 1 {
            (format!("{ipname} packet, fragment {} of {n}", i + 1), format!("{ipname} 分组,第 {} 片(共 {n} 片)", i + 1))
        } else {
            (format!("{ipname} packet"), format!("{ipname} 分组"))
        };
        pdus.push(Pdu {
            name: txt(en, zh),
            bytes: p.clone(),
            added: vec![0..hl],
            source: PduSource::Frame(i),
            offset: 14,
            layers: of_kind(&frame_layers[i], LayerKind::Network),
        });
    }
    let whole_len = ip_hl + e.segment.len();
    steps.push(EncapStep {
        kind: LayerKind::Network,
        heading: if n > 1 {
            txt(
                format!("{ipname} adds a {ip_hl}-byte header and splits the datagram into {n} fragments"),
                format!("{ipname} 加上 {ip_hl} 字节的首部,并把数据报分成 {n} 片"),
            )
        } else {
            txt(format!("{ipname} adds a {ip_hl}-byte header"), format!("{ipname} 加上 {ip_hl} 字节的首部"))
        },
        pdus,
        notes: network_notes(e, whole_len),
    });

    // 2 Link.
    let mut pdus = Vec::new();
    let mut pad_total = Vec::new();
    for (i, f) in e.frames.iter().enumerate() {
        let plen = packets[i].len();
        let pad = f.len() - 14 - plen;
        pad_total.push(pad);
        let mut bytes = f.clone();
        bytes.extend_from_slice(&e.wires[i][e.wires[i].len() - physical::FCS_LEN..]);
        let (en, zh) = if n > 1 {
            (format!("Ethernet frame {} of {n}", i + 1), format!("以太网帧 {}/{n}", i + 1))
        } else {
            ("Ethernet frame".to_string(), "以太网帧".to_string())
        };
        pdus.push(Pdu {
            name: txt(en, zh),
            added: vec![0..14, 14 + plen..bytes.len()],
            bytes,
            source: PduSource::Frame(i),
            offset: 0,
            layers: of_kind(&frame_layers[i], LayerKind::Link),
        });
    }
    let pad0 = pad_total.first().copied().unwrap_or(0);
    steps.push(EncapStep {
        kind: LayerKind::Link,
        heading: if pad0 > 0 {
            txt(
                format!("Ethernet adds a 14-byte header, {pad0} byte{} of padding and a 4-byte FCS", if pad0 == 1 { "" } else { "s" }),
                format!("以太网加上 14 字节的首部、{pad0} 字节的填充和 4 字节的 FCS"),
            )
        } else {
            txt("Ethernet adds a 14-byte header and a 4-byte FCS", "以太网加上 14 字节的首部和 4 字节的 FCS")
        },
        pdus,
        notes: link_notes(e, packets),
    });

    // 1 Physical.
    let mut pdus = Vec::new();
    for (i, w) in e.wires.iter().enumerate() {
        let (layer, _) = physical::decode_wire(w);
        let (en, zh) = if n > 1 {
            (format!("bits on the wire, frame {} of {n}", i + 1), format!("线路上的比特,第 {}/{n} 帧", i + 1))
        } else {
            ("bits on the wire".to_string(), "线路上的比特".to_string())
        };
        pdus.push(Pdu {
            name: txt(en, zh),
            bytes: w.clone(),
            added: vec![0..physical::PREAMBLE_SFD_LEN],
            source: PduSource::Wire(i),
            offset: 0,
            layers: vec![layer],
        });
    }
    let w0 = e.wires.first().map_or(0, Vec::len);
    steps.push(EncapStep {
        kind: LayerKind::Physical,
        heading: txt(
            format!("The card sends preamble, SFD, frame and FCS: {w0} bytes = {} bits", w0 * 8),
            format!("网卡发出前导码、帧起始定界符、帧和 FCS:{w0} 字节 = {} 比特", w0 * 8),
        ),
        pdus,
        notes: physical_notes(e),
    });
    steps
}

fn tcp_flag_notes(flags: u16, ack: u32) -> Vec<OwnedText> {
    let mut v = Vec::new();
    let has = |f: u16| flags & f != 0;
    if has(TCP_SYN) && !has(TCP_ACK) {
        v.push(txt(
            "SYN: the first step of the three-way handshake; a listening server answers SYN-ACK.",
            "SYN:三次握手的第一步;正在监听的服务器会回复 SYN-ACK。",
        ));
    }
    if has(TCP_SYN) && has(TCP_ACK) {
        v.push(txt(
            "SYN-ACK: the second step of the handshake: the server's own SYN, acknowledging the client's.",
            "SYN-ACK:握手的第二步:服务器发出自己的 SYN,同时确认客户端的 SYN。",
        ));
    }
    if has(TCP_ACK) {
        v.push(txt(
            format!("ACK: the acknowledgment number {ack} is valid: every byte before it arrived."),
            format!("ACK:确认号 {ack} 有效,表示它之前的所有字节都已收到。"),
        ));
    } else if ack != 0 {
        v.push(txt(
            format!("The ACK flag is off, so the acknowledgment number {ack} means nothing to the receiver."),
            format!("ACK 标志没有置位,所以确认号 {ack} 对接收方没有意义。"),
        ));
    }
    if has(TCP_PSH) {
        v.push(txt(
            "PSH: hand the data to the application now instead of waiting for more.",
            "PSH:让接收方立刻把数据交给应用程序,不必等待更多数据。",
        ));
    }
    if has(TCP_FIN) {
        v.push(txt("FIN: the sender has no more data to send.", "FIN:发送方没有更多数据要发送了。"));
    }
    if has(TCP_RST) {
        v.push(txt("RST: abort the connection at once.", "RST:立即中止连接。"));
    }
    v
}

fn network_notes(e: &Encapsulation, whole_len: usize) -> Vec<OwnedText> {
    let o = &e.options;
    let v6 = e.is_ipv6();
    let proto = if o.transport == Transport::Tcp { 6 } else { 17 };
    let tname = transport_name(o.transport);
    let mut v = Vec::new();
    if v6 {
        let (plen_en, plen_zh, nxt_en, nxt_zh) = if e.fragmentation.is_some() {
            (
                "payload length (each fragment its own)".to_string(),
                "载荷长度(每个分片各自的长度)".to_string(),
                format!("next header 44 (a fragment header, which then names {proto}, {tname})"),
                format!("下一首部 44(分片首部,它再指明 {proto},即 {tname})"),
            )
        } else {
            (
                format!("payload length {}", e.segment.len()),
                format!("载荷长度 {}", e.segment.len()),
                format!("next header {proto} ({tname})"),
                format!("下一首部 {proto}({tname})"),
            )
        };
        v.push(txt(
            format!(
                "IPv6 adds 40 bytes: version 6, traffic class, flow label, {plen_en}, {nxt_en}, \
                 hop limit {}, source {} and destination {}. There is no header checksum: the link's FCS and the \
                 transport checksum already cover the bytes.",
                o.ttl,
                o.src.ip(),
                o.dst.ip()
            ),
            format!(
                "IPv6 加上 40 个字节:版本 6、流量类别、流标签、{plen_zh}、{nxt_zh}、\
                 跳数限制 {}、源地址 {} 和目的地址 {}。IPv6 没有首部校验和:链路层的 FCS 和传输层的校验和已经覆盖了这些字节。",
                o.ttl,
                o.src.ip(),
                o.dst.ip()
            ),
        ));
    } else {
        let w = e.ip_checksums.first();
        let (len_en, len_zh) = if e.fragmentation.is_some() {
            ("total length (each fragment its own)".to_string(), "总长度(每个分片各自的长度)".to_string())
        } else {
            (format!("total length {whole_len}"), format!("总长度 {whole_len}"))
        };
        let (of_en, of_zh) = if e.fragmentation.is_some() { (" of fragment 1", "第 1 片的") } else { ("", "") };
        v.push(txt(
            format!(
                "IPv4 adds 20 bytes: version 4, header length 20, {len_en}, identification 0x{:04x}, \
                 flags, TTL {}, protocol {proto} ({tname}), header checksum, source {} and destination {}.",
                o.ip_id,
                o.ttl,
                o.src.ip(),
                o.dst.ip()
            ),
            format!(
                "IPv4 加上 20 个字节:版本 4、首部长度 20、{len_zh}、标识 0x{:04x}、标志、TTL {}、\
                 协议号 {proto}({tname})、首部校验和、源地址 {} 和目的地址 {}。",
                o.ip_id,
                o.ttl,
                o.src.ip(),
                o.dst.ip()
            ),
        ));
        if let Some(w) = w {
            v.push(txt(
                format!(
                    "The header checksum{of_en} covers only these 20 bytes: the 10 words sum to 0x{:x}, fold to 0x{:04x}, \
                     invert to 0x{:04x}. Every router recomputes it, because it lowers the TTL.",
                    w.sum, w.folded, w.computed
                ),
                format!(
                    "{of_zh}首部校验和只覆盖这 20 个字节:10 个 16 位字相加得 0x{:x},进位回卷得 0x{:04x},取反得 0x{:04x}。\
                     每个路由器都要重新计算它,因为路由器会把 TTL 减一。",
                    w.sum, w.folded, w.computed
                ),
            ));
            if o.faults.bad_ip_checksum {
                v.push(txt(
                    format!("Deliberately wrong: 0x{:04x} written instead of 0x{:04x}.", w.written, w.computed),
                    format!("故意写错:写入的是 0x{:04x},正确值应为 0x{:04x}。", w.written, w.computed),
                ));
            }
        }
    }
    let ttl_name = if v6 { "Hop limit" } else { "TTL" };
    let ttl_zh = if v6 { "跳数限制" } else { "TTL" };
    let rfc = if v6 { "" } else { " (RFC 1122)" };
    if o.ttl == 0 {
        v.push(txt(
            format!(
                "{ttl_name} 0: a host should never send this{rfc}. The first router would drop it and send back \
                 ICMP Time Exceeded; only a receiver on the same link gets it."
            ),
            format!(
                "{ttl_zh} 为 0:主机本不该发出这样的分组{rfc}。第一个路由器就会丢弃它并回送 ICMP 超时报文;\
                 只有同一链路上的接收方能收到它。"
            ),
        ));
    } else {
        v.push(txt(
            format!(
                "{ttl_name} {}: every router subtracts 1 and drops the packet at 0 (sending ICMP Time Exceeded), \
                 so a routing loop cannot keep it alive forever.",
                o.ttl
            ),
            format!(
                "{ttl_zh} {}:每经过一个路由器减 1,减到 0 就丢弃并回送 ICMP 超时报文,这样路由环路不会让分组永远转下去。",
                o.ttl
            ),
        ));
    }
    v.push(txt(
        format!("{} {proto} tells the receiving kernel to hand the payload to {tname}.", if v6 { "Next header" } else { "Protocol" }),
        format!("{} {proto} 告诉接收方内核把载荷交给 {tname}。", if v6 { "下一首部" } else { "协议号" }),
    ));
    if o.faults.bad_length {
        v.push(txt(
            format!("Deliberately wrong: the length field claims {BAD_LENGTH_EXTRA} bytes more than the packet holds."),
            format!("故意写错:长度字段比分组实际长度多报了 {BAD_LENGTH_EXTRA} 字节。"),
        ));
    }
    match &e.fragmentation {
        None if !v6 => {
            let df = o.dont_fragment.unwrap_or(true);
            v.push(if df {
                txt(
                    format!(
                        "{whole_len} bytes fit the MTU {}: one packet. DF=1 (Don't Fragment), as Linux sets it: a router \
                         on a path with a smaller MTU drops it and answers ICMP Fragmentation Needed, and the sender \
                         learns the path MTU.",
                        o.mtu
                    ),
                    format!(
                        "{whole_len} 字节没有超过 MTU {}:一个分组就够了。DF=1(禁止分片),Linux 默认如此:\
                         如果路径上有更小的 MTU,路由器会丢弃它并回送 ICMP\"需要分片\"报文,发送方由此得知路径 MTU。",
                        o.mtu
                    ),
                )
            } else {
                txt(
                    format!("{whole_len} bytes fit the MTU {}: one packet. DF=0: routers may fragment it.", o.mtu),
                    format!("{whole_len} 字节没有超过 MTU {}:一个分组就够了。DF=0:路由器可以对它分片。", o.mtu),
                )
            });
        }
        None => v.push(txt(
            format!(
                "{whole_len} bytes fit the MTU {}: one packet. IPv6 routers never fragment; only the sender may.",
                o.mtu
            ),
            format!("{whole_len} 字节没有超过 MTU {}:一个分组就够了。IPv6 路由器从不分片,只有发送方可以分片。", o.mtu),
        )),
        Some(fr) => {
            let n = fr.fragments.len();
            v.push(txt(
                format!(
                    "{whole_len} bytes do not fit the MTU {}: each fragment carries {} bytes of headers, leaving {} bytes, \
                     rounded down to a multiple of 8 because the offset field counts 8-byte units: at most {} bytes \
                     of the {}-byte {} segment per fragment, so {n} fragments.",
                    fr.mtu,
                    fr.header_len,
                    fr.mtu - fr.header_len,
                    fr.max_per_fragment,
                    fr.payload_len,
                    transport_name(o.transport)
                ),
                format!(
                    "{whole_len} 字节超过了 MTU {}:每片要带 {} 字节的首部,剩下 {} 字节,\
                     再向下取整到 8 的倍数(片偏移以 8 字节为单位):每片最多装 {} 字节,\
                     {} 字节的 {} 报文段因此分成 {n} 片。",
                    fr.mtu,
                    fr.header_len,
                    fr.mtu - fr.header_len,
                    fr.max_per_fragment,
                    fr.payload_len,
                    transport_name(o.transport)
                ),
            ));
            for (i, f) in fr.fragments.iter().enumerate() {
                let last = f.offset + f.len - 1;
                v.push(txt(
                    format!(
                        "  fragment {}: bytes {}–{last} ({} bytes), offset field {} / 8 = {}, MF={}",
                        i + 1,
                        f.offset,
                        f.len,
                        f.offset,
                        f.offset_field(),
                        u8::from(f.more)
                    ),
                    format!(
                        "  第 {} 片:第 {}–{last} 字节(共 {} 字节),片偏移字段 {} / 8 = {},MF={}",
                        i + 1,
                        f.offset,
                        f.len,
                        f.offset,
                        f.offset_field(),
                        u8::from(f.more)
                    ),
                ));
            }
            if v6 {
                v.push(txt(
                    format!(
                        "Each fragment carries a fragment header (next header 44) with identification {} and the M flag; \
                         only the first holds the {} header.",
                        o.ip_id,
                        transport_name(o.transport)
                    ),
                    format!(
                        "每一片都带一个分片扩展首部(下一首部 44),其中有标识 {} 和 M 标志;只有第一片含有 {} 首部。",
                        o.ip_id,
                        transport_name(o.transport)
                    ),
                ));
                if o.mtu < IPV6_MIN_LINK_MTU {
                    v.push(txt(
                        format!(
                            "Every IPv6 link must carry at least {IPV6_MIN_LINK_MTU} bytes; an MTU of {} is only for this demonstration.",
                            o.mtu
                        ),
                        format!("IPv6 要求每条链路至少能传 {IPV6_MIN_LINK_MTU} 字节;MTU {} 只是为了演示。", o.mtu),
                    ));
                }
            } else {
                v.push(txt(
                    format!(
                        "All fragments share identification 0x{:04x}; MF=1 (More Fragments) on all but the last; DF=0. \
                         The receiver reassembles them by (source, destination, protocol, identification).",
                        o.ip_id
                    ),
                    format!(
                        "所有分片的标识都是 0x{:04x};除最后一片外 MF=1(还有更多分片);DF=0。\
                         接收方按(源地址、目的地址、协议、标识)把它们重组起来。",
                        o.ip_id
                    ),
                ));
            }
        }
    }
    v
}

fn link_notes(e: &Encapsulation, packets: &[Vec<u8>]) -> Vec<OwnedText> {
    let o = &e.options;
    let v6 = e.is_ipv6();
    let dst = mac_text(&e.dst_mac);
    let src = mac_text(&e.src_mac);
    let (et, etname) = if v6 { ("0x86dd", "IPv6") } else { ("0x0800", "IPv4") };
    let mut v = vec![txt(
        format!("Ethernet adds 14 bytes: destination MAC {dst}, source MAC {src}, EtherType {et} ({etname})."),
        format!("以太网加上 14 个字节:目的 MAC {dst}、源 MAC {src}、类型 {et}({etname})。"),
    )];
    let dip = o.dst.ip();
    v.push(match e.dst_mac_source {
        MacSource::Given => txt(format!("The destination MAC {dst} was given."), format!("目的 MAC {dst} 是指定的。")),
        MacSource::Broadcast => txt(
            "255.255.255.255 is the limited broadcast: it maps to the broadcast MAC ff:ff:ff:ff:ff:ff, read by every card.",
            "255.255.255.255 是受限广播地址:对应广播 MAC ff:ff:ff:ff:ff:ff,链路上每块网卡都会接收。",
        ),
        MacSource::Ipv4Multicast => txt(
            format!("{dip} is a multicast group: its MAC is 01:00:5e followed by the low 23 bits of the address ({dst})."),
            format!("{dip} 是组播地址:它的 MAC 是 01:00:5e 加上地址的低 23 位({dst})。"),
        ),
        MacSource::Ipv6Multicast => txt(
            format!("{dip} is a multicast group: its MAC is 33:33 followed by the low 32 bits of the address ({dst})."),
            format!("{dip} 是组播地址:它的 MAC 是 33:33 加上地址的低 32 位({dst})。"),
        ),
        MacSource::Resolved if v6 => txt(
            format!(
                "{dst} stands in for what neighbour discovery would find: a real host multicasts a Neighbor \
                 Solicitation for {dip} and uses the MAC in the answer (or its router's, when {dip} is not on this link)."
            ),
            format!(
                "{dst} 只是一个替身:真实的主机会用邻居发现协议组播一个邻居请求,询问 {dip} 的 MAC,\
                 再使用应答中的地址(如果 {dip} 不在本链路上,则使用路由器的 MAC)。"
            ),
        ),
        MacSource::Resolved => txt(
            format!(
                "{dst} stands in for what ARP would resolve: a real host broadcasts \"who has {dip}? tell {}\" \
                 and uses the MAC in the reply (or its router's, when {dip} is not on this network).",
                o.src.ip()
            ),
            format!(
                "{dst} 只是一个替身:真实的主机会广播 ARP 请求\"谁是 {dip}?请告诉 {}\",\
                 再使用应答中的 MAC(如果 {dip} 不在本网络上,则使用路由器的 MAC)。",
                o.src.ip()
            ),
        ),
    });
    if o.src_mac.is_none() {
        v.push(txt(
            format!("The source MAC {src} was made up from the source IP (02:00 marks a locally administered address)."),
            format!("源 MAC {src} 是由源 IP 拼出来的(02:00 开头表示本地管理的地址)。"),
        ));
    }
    if let (Some(f), Some(p)) = (e.frames.first(), packets.first()) {
        let unpadded = 14 + p.len();
        let pad = f.len() - unpadded;
        if pad > 0 {
            v.push(txt(
                format!(
                    "The frame is only {unpadded} bytes; Ethernet needs at least 60 (64 with the FCS), so that a sender \
                     on a shared cable is still sending when a collision comes back. {pad} zero byte{} of padding follow{}; \
                     the IP length tells the receiver where the packet ends.",
                    if pad == 1 { "" } else { "s" },
                    if pad == 1 { "s" } else { "" },
                ),
                format!(
                    "这一帧只有 {unpadded} 字节;以太网帧至少要 60 字节(加上 FCS 为 64 字节),\
                     这样在共享电缆上,冲突信号传回来时发送方还没发完。因此后面补 {pad} 个零字节;\
                     接收方根据 IP 长度字段知道分组在哪里结束。"
                ),
            ));
        }
        let fcs = physical::fcs(f);
        let b = fcs.to_le_bytes();
        v.push(txt(
            format!(
                "FCS 0x{fcs:08x}: the CRC-32 of the {} bytes, sent least significant byte first \
                 ({:02x} {:02x} {:02x} {:02x}). Captures (pcap) usually lack it: the receiving card checks and removes it.",
                f.len(),
                b[0],
                b[1],
                b[2],
                b[3]
            ),
            format!(
                "FCS 0x{fcs:08x}:对这 {} 个字节计算的 CRC-32,低字节在前发送({:02x} {:02x} {:02x} {:02x})。\
                 抓包文件(pcap)里通常没有它:接收网卡校验后就把它去掉了。",
                f.len(),
                b[0],
                b[1],
                b[2],
                b[3]
            ),
        ));
        if o.faults.bad_fcs {
            v.push(txt(
                "Deliberately wrong: the last FCS byte is inverted.",
                "故意写错:FCS 的最后一个字节被按位取反。",
            ));
        }
        if f.len() > 1514 {
            v.push(txt(
                format!("A {}-byte frame is a jumbo frame: both cards must be set to an MTU above 1500.", f.len()),
                format!("{} 字节的帧属于巨型帧:收发双方的网卡都必须把 MTU 设得大于 1500。", f.len()),
            ));
        }
    }
    v
}

fn physical_notes(e: &Encapsulation) -> Vec<OwnedText> {
    let Some(w) = e.wires.first() else { return Vec::new() };
    let bits = w.len() * 8;
    let mut v = vec![
        txt(
            "Preamble: 7 bytes of 0x55, 10101010… on the wire, for the receiver's clock to lock on. \
             SFD 0xd5 (10101011): the two ones say the frame starts now.",
            "前导码:7 个 0x55 字节,线路上是 10101010…,供接收方同步时钟。\
             SFD 0xd5(10101011):最后连续两个 1 表示帧马上开始。",
        ),
        txt(
            format!(
                "{} bytes = {bits} bits leave the card, each byte least significant bit first. Then the line \
                 stays idle for at least 96 bit times (the inter-frame gap).",
                w.len()
            ),
            format!(
                "共 {} 字节 = {bits} 比特离开网卡,每个字节都是最低位先发送。\
                 随后线路至少要空闲 96 个比特时间(帧间隙)。",
                w.len()
            ),
        ),
    ];
    if e.wires.len() > 1 {
        let total: usize = e.wires.iter().map(Vec::len).sum();
        v.push(txt(
            format!("{} frames: {total} bytes on the wire in all, plus a gap after each.", e.wires.len()),
            format!("共 {} 帧:线路上总共 {total} 字节,每帧之后都有帧间隙。", e.wires.len()),
        ));
    }
    v
}

/// The receiver's walk up, computed from the bytes as a kernel would, stopping at the first drop.
fn receive(e: &Encapsulation) -> Vec<Check> {
    let mut checks = Vec::new();
    let _ = walk_up(e, &mut checks);
    checks
}

/// Adds checks to `out`; returns `None` as soon as one drops the frame.
fn walk_up(e: &Encapsulation, out: &mut Vec<Check>) -> Option<()> {
    let o = &e.options;
    let v6 = e.is_ipv6();
    let n = e.frames.len();
    let each = |en: String, zh: String| -> (String, String) {
        if n > 1 {
            (format!("{en} (each of the {n} frames)"), format!("{zh}({n} 帧都是如此)"))
        } else {
            (en, zh)
        }
    };
    let mut push = |kind, id, verdict, en: String, zh: String| -> Option<()> {
        out.push(Check { kind, id, verdict, text: OwnedText::new(en, zh) });
        (verdict != Verdict::Drop).then_some(())
    };
    let frame = e.frames.first()?;
    let wire = e.wires.first()?;

    // Physical: the card finds the frame; link: the MAC checks the FCS, then the address.
    push(
        LayerKind::Physical,
        "phy.sfd",
        Verdict::Pass,
        "Preamble and SFD found: the card's clock is in step and the frame starts after 0xd5.".into(),
        "找到前导码和 SFD:网卡的时钟已经同步,帧从 0xd5 之后开始。".into(),
    )?;
    let got = wire.get(wire.len() - 4..).and_then(|b| b.try_into().ok()).map_or(0, u32::from_le_bytes);
    let want = physical::fcs(frame);
    if got == want {
        let (en, zh) = each(
            format!("FCS 0x{got:08x} equals the CRC-32 of the {} bytes received; the card removes it and passes the frame up", frame.len()),
            format!("FCS 0x{got:08x} 与收到的 {} 字节算出的 CRC-32 相同;网卡去掉 FCS,把帧交给上层", frame.len()),
        );
        push(LayerKind::Link, "eth.fcs", Verdict::Pass, en + ".", zh + "。")?;
    } else {
        push(
            LayerKind::Link,
            "eth.fcs",
            Verdict::Drop,
            format!(
                "FCS 0x{got:08x}, but the CRC-32 of the frame is 0x{want:08x}: the card drops the frame silently \
                 (counted as a CRC error). Nothing above ever sees it, and no capture on the receiver shows it."
            ),
            format!(
                "FCS 是 0x{got:08x},但这一帧的 CRC-32 是 0x{want:08x}:网卡悄悄丢弃这一帧(记为 CRC 错误)。\
                 上层根本看不到它,接收方的抓包里也不会出现。"
            ),
        )?;
    }

    let dst = mac_text(&e.dst_mac);
    let (en, zh) = if e.dst_mac == [0xff; 6] {
        (
            format!("Destination {dst} is the broadcast address: every card on the link accepts the frame."),
            format!("目的地址 {dst} 是广播地址:链路上的每块网卡都接收这一帧。"),
        )
    } else if e.dst_mac[0] & 1 == 1 {
        (
            format!("Destination {dst} is a multicast address (lowest bit of the first byte set): cards that joined the group accept it."),
            format!("目的地址 {dst} 是组播地址(第一个字节的最低位为 1):加入了该组的网卡会接收。"),
        )
    } else {
        (
            format!("Destination {dst} is this card's own address: accepted. Every other card on the link ignores the frame."),
            format!("目的地址 {dst} 正是本网卡的地址:接收。链路上其他网卡都会忽略这一帧。"),
        )
    };
    push(LayerKind::Link, "eth.dst", Verdict::Pass, en, zh)?;
    let (et, etname) = if v6 { (0x86ddu16, "IPv6") } else { (0x0800, "IPv4") };
    push(
        LayerKind::Link,
        "eth.type",
        Verdict::Pass,
        format!("EtherType 0x{et:04x} selects {etname}: the 14-byte header comes off and the payload goes to the {etname} code."),
        format!("类型字段 0x{et:04x} 选中 {etname}:去掉 14 字节的以太网首部,载荷交给 {etname} 处理。"),
    )?;

    // Network, on the first packet (the others are built alike).
    let pkt = frame.get(14..)?;
    let proto = if o.transport == Transport::Tcp { 6u8 } else { 17 };
    let tname = transport_name(o.transport);
    if v6 {
        let plen = usize::from(u16::from_be_bytes([*pkt.get(4)?, *pkt.get(5)?]));
        let have = pkt.len().saturating_sub(40);
        if plen > have {
            push(
                LayerKind::Network,
                "ipv6.plen",
                Verdict::Drop,
                format!("Payload length {plen}, but only {have} bytes follow the header: the kernel drops the packet as truncated."),
                format!("载荷长度为 {plen},但首部后面只有 {have} 字节:内核把它当作被截断的分组丢弃。"),
            )?;
        }
        let (en, zh) = each(
            format!("Version 6; payload length {plen} fits the {have} bytes received"),
            format!("版本 6;载荷长度 {plen} 没有超出收到的 {have} 字节"),
        );
        push(LayerKind::Network, "ipv6.plen", Verdict::Pass, en + ".", zh + "。")?;
    } else {
        let ihl = usize::from(pkt.first()? & 0x0f) * 4;
        let hdr = pkt.get(..ihl)?;
        let sum = checksum::internet(hdr);
        let written = u16::from_be_bytes([*hdr.get(10)?, *hdr.get(11)?]);
        if sum == 0 {
            let (en, zh) = each(
                format!("Version 4, header length {ihl}; header checksum 0x{written:04x} verifies (the header's words sum to 0xffff)"),
                format!("版本 4,首部长度 {ihl};首部校验和 0x{written:04x} 正确(首部各字之和为 0xffff)"),
            );
            push(LayerKind::Network, "ip.checksum", Verdict::Pass, en + ".", zh + "。")?;
        } else {
            let right = e.ip_checksums.first().map_or(0, |w| w.computed);
            push(
                LayerKind::Network,
                "ip.checksum",
                Verdict::Drop,
                format!(
                    "Header checksum 0x{written:04x} is wrong (it should be 0x{right:04x}): the kernel drops the packet \
                     silently (counted in InCsumErrors); no ICMP goes back."
                ),
                format!(
                    "首部校验和 0x{written:04x} 不对(应为 0x{right:04x}):内核悄悄丢弃这个分组(计入 InCsumErrors),\
                     不会回送任何 ICMP 报文。"
                ),
            )?;
        }
        let total = usize::from(u16::from_be_bytes([*pkt.get(2)?, *pkt.get(3)?]));
        if total > pkt.len() {
            push(
                LayerKind::Network,
                "ip.len",
                Verdict::Drop,
                format!(
                    "Total length {total}, but only {} bytes arrived after the Ethernet header: the kernel drops the \
                     packet as truncated (InTruncatedPkts).",
                    pkt.len()
                ),
                format!(
                    "总长度为 {total},但以太网首部之后只收到 {} 字节:内核把它当作被截断的分组丢弃(计入 InTruncatedPkts)。",
                    pkt.len()
                ),
            )?;
        }
        let (en, zh) = if total < pkt.len() {
            (
                format!("Total length {total}: the {} bytes after it are Ethernet padding and are cut off.", pkt.len() - total),
                format!("总长度为 {total}:其后的 {} 字节是以太网填充,被截掉。", pkt.len() - total),
            )
        } else {
            (format!("Total length {total} matches the bytes received."), format!("总长度 {total} 与收到的字节数一致。"))
        };
        push(LayerKind::Network, "ip.len", Verdict::Pass, en, zh)?;
    }
    let ttl_name = if v6 { "Hop limit" } else { "TTL" };
    let ttl_zh = if v6 { "跳数限制" } else { "TTL" };
    let ttl_lc = if v6 { "hop limit" } else { "TTL" };
    let rfc = if v6 { "" } else { " (RFC 1122)" };
    if o.ttl == 0 {
        push(
            LayerKind::Network,
            "ip.ttl",
            Verdict::Warn,
            format!(
                "{ttl_name} 0: a router would drop this packet and send ICMP Time Exceeded. This host is the destination \
                 on the same link, and a host does not discard a packet for its {ttl_lc}{rfc}, so it goes on."
            ),
            format!(
                "{ttl_zh} 为 0:路由器会丢弃它并回送 ICMP 超时报文。但本机就是同一链路上的目的主机,\
                 主机不会因为 {ttl_zh} 而丢弃分组{rfc},所以继续处理。"
            ),
        )?;
    } else {
        push(
            LayerKind::Network,
            "ip.ttl",
            Verdict::Pass,
            format!("{ttl_name} {}: only routers lower it; the destination reads it and leaves it.", o.ttl),
            format!("{ttl_zh} {}:只有路由器才会把它减一;目的主机只是读一下,不做修改。", o.ttl),
        )?;
    }
    push(
        LayerKind::Network,
        "ip.dst",
        Verdict::Pass,
        format!("Destination {} is an address of this host: deliver locally (a router would forward it instead).", o.dst.ip()),
        format!("目的地址 {} 是本机的地址:在本机交付(如果是路由器,就会转发出去)。", o.dst.ip()),
    )?;
    if let Some(fr) = &e.fragmentation {
        let offs: Vec<String> = fr.fragments.iter().map(|f| f.offset.to_string()).collect();
        let whole = fr.payload_len + if v6 { 40 } else { 20 };
        push(
            LayerKind::Network,
            "ip.reassembly",
            Verdict::Pass,
            format!(
                "{} fragments with identification {}: payload offsets {}, the last with MF=0. The kernel waits for all of \
                 them (up to 30 s), then reassembles the {whole}-byte datagram.",
                fr.fragments.len(),
                if v6 { o.ip_id.to_string() } else { format!("0x{:04x}", o.ip_id) },
                offs.join(", ")
            ),
            format!(
                "{} 个分片,标识都是 {}:载荷偏移分别为 {},最后一片 MF=0。内核等所有分片到齐(最多等 30 秒),\
                 再重组出 {whole} 字节的数据报。",
                fr.fragments.len(),
                if v6 { o.ip_id.to_string() } else { format!("0x{:04x}", o.ip_id) },
                offs.join(", ")
            ),
        )?;
    }
    push(
        LayerKind::Network,
        if v6 { "ipv6.nxt" } else { "ip.proto" },
        Verdict::Pass,
        format!("{} {proto} selects {tname}: the IP header comes off.", if v6 { "Next header" } else { "Protocol" }),
        format!("{} {proto} 选中 {tname}:去掉 IP 首部。", if v6 { "下一首部" } else { "协议号" }),
    )?;

    // Transport, on the (reassembled) segment.
    let seg = &e.segment;
    let pseudo = PseudoHeader { src: o.src.ip(), dst: o.dst.ip(), protocol: proto, upper_len: seg.len() };
    let written = u16::from_be_bytes(match o.transport {
        Transport::Udp => [*seg.get(6)?, *seg.get(7)?],
        Transport::Tcp => [*seg.get(16)?, *seg.get(17)?],
    });
    if o.transport == Transport::Udp {
        let ulen = usize::from(u16::from_be_bytes([*seg.get(4)?, *seg.get(5)?]));
        push(
            LayerKind::Transport,
            "udp.length",
            Verdict::Pass,
            format!("UDP length {ulen} equals the {} bytes IP delivered.", seg.len()),
            format!("UDP 长度 {ulen} 与 IP 交上来的 {} 字节一致。", seg.len()),
        )?;
    }
    let key = if o.transport == Transport::Udp { "udp.checksum" } else { "tcp.checksum" };
    if checksum::verify_with_pseudo(&pseudo, seg) {
        push(
            LayerKind::Transport,
            key,
            Verdict::Pass,
            format!("Checksum 0x{written:04x} verifies over pseudo-header, header and data (the sum folds to 0xffff)."),
            format!("校验和 0x{written:04x} 正确:伪首部、首部和数据相加后回卷为 0xffff。"),
        )?;
    } else {
        let (en, zh) = match o.transport {
            Transport::Udp => (
                "the kernel drops the datagram silently (counted in InCsumErrors); the application never sees it and \
                 nothing is sent back.",
                "内核悄悄丢弃这个数据报(计入 InCsumErrors);应用程序根本收不到,也不会回送任何东西。",
            ),
            Transport::Tcp => (
                "the kernel drops the segment without answering; the sender retransmits when its timer runs out.",
                "内核丢弃这个报文段且不作任何回应;发送方的重传计时器超时后会重发。",
            ),
        };
        push(
            LayerKind::Transport,
            key,
            Verdict::Drop,
            format!("Checksum 0x{written:04x} is wrong (it should be 0x{:04x}): {en}", e.checksum.computed),
            format!("校验和 0x{written:04x} 不对(应为 0x{:04x}):{zh}", e.checksum.computed),
        )?;
    }
    let recv = e.receiver_endpoint();
    let (en, zh) = match o.transport {
        Transport::Udp => (
            format!(
                "Destination port {} selects the socket bound to {recv}. If no socket is bound there, the kernel \
                 answers ICMP Port Unreachable.",
                o.dst.port()
            ),
            format!(
                "目的端口 {} 选中绑定在 {recv} 上的套接字。如果没有套接字绑定在那里,内核会回送 ICMP 端口不可达报文。",
                o.dst.port()
            ),
        ),
        Transport::Tcp if o.tcp.flags & TCP_SYN != 0 && o.tcp.flags & TCP_ACK == 0 => (
            format!(
                "SYN to port {}: a socket listening on {recv} takes it and the kernel answers SYN-ACK. With no \
                 listener the kernel answers RST.",
                o.dst.port()
            ),
            format!(
                "发往端口 {} 的 SYN:在 {recv} 上监听的套接字接受它,内核回复 SYN-ACK;如果没有监听者,内核回复 RST。",
                o.dst.port()
            ),
        ),
        Transport::Tcp => (
            format!(
                "Ports {} → {} select the connection {} ↔ {}. If there is no such connection the kernel answers RST.",
                o.src.port(),
                o.dst.port(),
                o.dst,
                o.src
            ),
            format!(
                "端口 {} → {} 选中连接 {} ↔ {}。如果没有这个连接,内核回复 RST。",
                o.src.port(),
                o.dst.port(),
                o.dst,
                o.src
            ),
        ),
    };
    push(LayerKind::Transport, "port", Verdict::Pass, en, zh)?;

    // Application.
    let len = e.message.len();
    let q = quoted(&e.message);
    let (verdict, en, zh) = match o.transport {
        Transport::Udp => (
            Verdict::Pass,
            format!("recvfrom() returns the {len} bytes {q} and the sender's address {}.", o.src),
            format!("recvfrom() 返回这 {len} 个字节 {q},以及发送方的地址 {}。", o.src),
        ),
        Transport::Tcp if len == 0 => (
            Verdict::Pass,
            "No data: the segment carries only flags and numbers; the application reads nothing.".to_string(),
            "没有数据:这个报文段只携带标志位和序号,应用程序读不到任何东西。".to_string(),
        ),
        Transport::Tcp if o.tcp.flags & TCP_SYN != 0 => (
            Verdict::Warn,
            format!("The {len} bytes ride on a SYN: Linux does not hand them to the application before the handshake completes."),
            format!("这 {len} 个字节搭在 SYN 上:握手完成之前,Linux 不会把它们交给应用程序。"),
        ),
        Transport::Tcp => (
            Verdict::Pass,
            format!(
                "If sequence number {} is the next one expected, recv() returns the {len} bytes {q} as part of the \
                 byte stream, and the kernel acknowledges them.",
                o.tcp.seq
            ),
            format!("如果序号 {} 正是期待的下一个,recv() 会把这 {len} 个字节 {q} 作为字节流的一部分返回,内核随后确认它们。", o.tcp.seq),
        ),
    };
    push(LayerKind::Application, "deliver", verdict, en, zh)?;
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("test address")
    }

    #[test]
    fn default_udp_bytes() {
        let e = encapsulate(b"hello", &EncapOptions::default()).expect("encap");
        assert_eq!(e.frames.len(), 1);
        let f = &e.frames[0];
        assert_eq!(f.len(), 60);
        // Ethernet: dst 02:00:0a:00:00:02, src 02:00:0a:00:00:01, IPv4.
        assert_eq!(&f[..14], &[2, 0, 10, 0, 0, 2, 2, 0, 10, 0, 0, 1, 0x08, 0x00]);
        // IPv4: version/IHL, total length 33, id 1, DF, TTL 64, UDP, addresses.
        assert_eq!(&f[14..22], &[0x45, 0, 0, 33, 0, 1, 0x40, 0]);
        assert_eq!(&f[22..24], &[64, 17]);
        assert_eq!(checksum::internet(&f[14..34]), 0, "IPv4 header checksum verifies");
        // UDP: ports 5000 → 8081, length 13.
        assert_eq!(&f[34..40], &[0x13, 0x88, 0x1f, 0x91, 0, 13]);
        assert_eq!(&f[42..47], b"hello");
        assert!(f[47..].iter().all(|&b| b == 0), "padding");
        let p = PseudoHeader { src: ip("10.0.0.1"), dst: ip("10.0.0.2"), protocol: 17, upper_len: 13 };
        assert!(checksum::verify_with_pseudo(&p, &f[34..47]));
        assert_eq!(e.wires[0].len(), 72);
        assert!(physical::fcs_ok(&e.wires[0][8..]));
        assert!(e.delivered());
    }

    #[test]
    fn equals_etherparse_builder() {
        use etherparse::{IpHeaders, Ipv4Header, PacketBuilder};
        let o = EncapOptions::default();
        let e = encapsulate(b"hello world", &o).expect("encap");
        let mut h = Ipv4Header::new(0, 64, etherparse::ip_number::UDP, [10, 0, 0, 1], [10, 0, 0, 2]).expect("hdr");
        h.identification = 1;
        h.dont_fragment = true;
        let b = PacketBuilder::ethernet2(mac_from_ip(ip("10.0.0.1")), mac_from_ip(ip("10.0.0.2")))
            .ip(IpHeaders::Ipv4(h, Default::default()))
            .udp(5000, 8081);
        let mut v = Vec::new();
        b.write(&mut v, b"hello world").expect("write");
        assert_eq!(physical::pad(&v), e.frames[0]);

        let o6 = EncapOptions {
            transport: Transport::Tcp,
            src: "[fd00::1]:40000".parse().expect("addr"),
            dst: "[fd00::2]:80".parse().expect("addr"),
            ttl: 7,
            tcp: TcpParams { flags: TCP_PSH | TCP_ACK, seq: 123_456, ack: 654_321, window: 512, mss: None },
            ..EncapOptions::default()
        };
        let e6 = encapsulate(b"GET / HTTP/1.0\r\n\r\n", &o6).expect("encap6");
        let src6 = match o6.src.ip() {
            IpAddr::V6(a) => a.octets(),
            IpAddr::V4(_) => unreachable!(),
        };
        let dst6 = match o6.dst.ip() {
            IpAddr::V6(a) => a.octets(),
            IpAddr::V4(_) => unreachable!(),
        };
        let b = PacketBuilder::ethernet2(mac_from_ip(o6.src.ip()), mac_from_ip(o6.dst.ip()))
            .ipv6(src6, dst6, 7)
            .tcp(40000, 80, 123_456, 512)
            .psh()
            .ack(654_321);
        let mut v = Vec::new();
        b.write(&mut v, b"GET / HTTP/1.0\r\n\r\n").expect("write");
        assert_eq!(physical::pad(&v), e6.frames[0]);
    }

    #[test]
    fn checksum_work_matches_core() {
        for t in [Transport::Udp, Transport::Tcp] {
            for (s, d) in [("10.0.0.1:1", "10.9.8.7:65535"), ("[fd00::1]:7", "[2001:db8::ff]:9")] {
                let o = EncapOptions { transport: t, src: s.parse().expect("a"), dst: d.parse().expect("a"), ..Default::default() };
                let e = encapsulate(b"odd", &o).expect("encap");
                let c = &e.checksum;
                let mut seg = e.segment.clone();
                let at = if t == Transport::Udp { 6 } else { 16 };
                seg[at] = 0;
                seg[at + 1] = 0;
                let p = PseudoHeader { src: o.src.ip(), dst: o.dst.ip(), protocol: if t == Transport::Udp { 17 } else { 6 }, upper_len: seg.len() };
                assert_eq!(c.computed, checksum::with_pseudo(&p, &seg));
                assert_eq!(c.rows.last().map(|r| r.running), Some(c.sum));
                let words: u64 = c.rows.iter().map(|r| u64::from(r.word)).sum();
                assert_eq!(words, c.sum);
                // IPv4 pseudo-header is 6 words, IPv6 20; the odd data byte makes a last padded word.
                let pseudo = c.rows.iter().filter(|r| r.part == SumPart::PseudoHeader).count();
                assert_eq!(pseudo, if o.dst.is_ipv6() { 20 } else { 6 });
                assert_eq!(c.rows.iter().filter(|r| r.part == SumPart::Data).count(), 2);
                let fold = c.fold_steps();
                assert_eq!(fold.last().map_or(c.sum, |x| x.1), u64::from(c.folded));
            }
        }
    }

    #[test]
    fn ipv4_fragments() {
        let msg = vec![b'x'; 3000];
        let e = encapsulate(&msg, &EncapOptions::default()).expect("encap");
        let fr = e.fragmentation.as_ref().expect("fragmented");
        assert_eq!(fr.max_per_fragment, 1480);
        assert_eq!(fr.fragments.len(), 3);
        assert_eq!(fr.fragments.iter().map(|f| (f.offset, f.len, f.more)).collect::<Vec<_>>(), vec![
            (0, 1480, true),
            (1480, 1480, true),
            (2960, 48, false)
        ]);
        assert_eq!(fr.fragments[1].offset_field(), 185);
        let mut joined = Vec::new();
        for (i, f) in e.frames.iter().enumerate() {
            let ip = &f[14..];
            assert!(20 + fr.fragments[i].len <= 1500);
            assert_eq!(checksum::internet(&ip[..20]), 0);
            let fo = u16::from_be_bytes([ip[6], ip[7]]);
            assert_eq!(fo & 0x4000, 0, "no DF on fragments");
            assert_eq!(fo & 0x2000 != 0, fr.fragments[i].more);
            assert_eq!(usize::from(fo & 0x1fff) * 8, fr.fragments[i].offset);
            let total = usize::from(u16::from_be_bytes([ip[2], ip[3]]));
            joined.extend_from_slice(&ip[20..total]);
        }
        assert_eq!(joined, e.segment);
        assert_eq!(e.steps[2].pdus.len(), 3);
        assert!(e.receiver.iter().any(|c| c.id == "ip.reassembly"));
        assert!(e.delivered());
    }

    #[test]
    fn ipv6_fragments() {
        let o = EncapOptions { src: DEFAULT_SRC6, dst: DEFAULT_DST6, mtu: 1280, ..Default::default() };
        let msg = vec![7u8; 2000];
        let e = encapsulate(&msg, &o).expect("encap");
        let fr = e.fragmentation.as_ref().expect("fragmented");
        assert_eq!(fr.max_per_fragment, 1232);
        let mut joined = Vec::new();
        for (i, f) in e.frames.iter().enumerate() {
            let ip = &f[14..];
            assert_eq!(ip[6], 44, "fragment header follows");
            assert!(ip.len() <= 1280);
            let plen = usize::from(u16::from_be_bytes([ip[4], ip[5]]));
            assert_eq!(ip[40], 17);
            let fo = u16::from_be_bytes([ip[42], ip[43]]);
            assert_eq!(usize::from(fo >> 3) * 8, fr.fragments[i].offset);
            assert_eq!(fo & 1 == 1, fr.fragments[i].more);
            assert_eq!(&ip[44..48], &1u32.to_be_bytes());
            joined.extend_from_slice(&ip[48..40 + plen]);
        }
        assert_eq!(joined, e.segment);
    }

    #[test]
    fn df_refuses_to_fragment() {
        let o = EncapOptions { dont_fragment: Some(true), mtu: 100, ..Default::default() };
        assert_eq!(encapsulate(&[0; 200], &o), Err(EncapError::DontFragment { len: 228, mtu: 100 }));
        let o = EncapOptions { dont_fragment: Some(false), ..Default::default() };
        let e = encapsulate(b"x", &o).expect("encap");
        assert_eq!(e.frames[0][20] & 0x40, 0);
    }

    #[test]
    fn option_errors() {
        let mixed = EncapOptions { dst: DEFAULT_DST6, ..Default::default() };
        assert!(matches!(encapsulate(b"", &mixed), Err(EncapError::MixedFamilies { .. })));
        let small = EncapOptions { mtu: 67, ..Default::default() };
        assert_eq!(encapsulate(b"", &small), Err(EncapError::MtuTooSmall { mtu: 67, min: 68 }));
        let v6sum = EncapOptions {
            src: DEFAULT_SRC6,
            dst: DEFAULT_DST6,
            faults: Faults { bad_ip_checksum: true, ..Default::default() },
            ..Default::default()
        };
        assert!(matches!(encapsulate(b"", &v6sum), Err(EncapError::Ipv4Only { .. })));
        let big = vec![0u8; 65535 - 28 + 1];
        assert_eq!(encapsulate(&big, &EncapOptions::default()), Err(EncapError::TooLong { message: 65508, max: 65507 }));
        assert!(encapsulate(&big[1..], &EncapOptions::default()).is_ok());
        assert!(!EncapError::MtuTooLarge { mtu: 70000 }.message(Lang::Zh).is_empty());
    }

    #[test]
    fn deliberate_errors_are_dropped_where_a_kernel_drops_them() {
        let with = |f: Faults, t: Transport| {
            let o = EncapOptions { faults: f, transport: t, ..Default::default() };
            let e = encapsulate(b"hello", &o).expect("encap");
            let last = e.receiver.last().cloned().expect("checks");
            (e, last)
        };
        for t in [Transport::Udp, Transport::Tcp] {
            let (e, last) = with(Faults { bad_checksum: true, ..Default::default() }, t);
            assert_eq!(last.verdict, Verdict::Drop);
            assert_eq!(last.kind, LayerKind::Transport);
            assert!(!e.delivered());
            assert_ne!(e.checksum.written, e.checksum.computed);
        }
        let (_, last) = with(Faults { bad_ip_checksum: true, ..Default::default() }, Transport::Udp);
        assert_eq!((last.id, last.verdict), ("ip.checksum", Verdict::Drop));
        let (_, last) = with(Faults { bad_length: true, ..Default::default() }, Transport::Udp);
        assert_eq!((last.id, last.verdict), ("ip.len", Verdict::Drop));
        let (e, last) = with(Faults { bad_fcs: true, ..Default::default() }, Transport::Udp);
        assert_eq!((last.id, last.kind, last.verdict), ("eth.fcs", LayerKind::Link, Verdict::Drop));
        let (_, last) = with(Faults { bad_length: true, ..Default::default() }, Transport::Tcp);
        assert_eq!((last.id, last.verdict), ("ip.len", Verdict::Drop));
        assert!(!physical::fcs_ok(&e.wires[0][8..]));
        let ttl0 = encapsulate(b"x", &EncapOptions { ttl: 0, ..Default::default() }).expect("encap");
        assert!(ttl0.receiver.iter().any(|c| c.id == "ip.ttl" && c.verdict == Verdict::Warn));
        assert!(ttl0.delivered());
    }

    #[test]
    fn spoiled_checksums_are_never_zero_or_right() {
        for c in 0..=u16::MAX {
            let b = spoil(c);
            assert!(b != c && b != 0 && b != 0xffff, "{c:04x} → {b:04x}");
        }
    }

    #[test]
    fn destination_macs() {
        assert_eq!(dst_mac_for(ip("255.255.255.255")), ([0xff; 6], MacSource::Broadcast));
        assert_eq!(dst_mac_for(ip("239.129.2.3")).0, [0x01, 0x00, 0x5e, 0x01, 2, 3]);
        assert_eq!(dst_mac_for(ip("ff02::1:ff00:2")).0, [0x33, 0x33, 0xff, 0, 0, 2]);
        assert_eq!(dst_mac_for(ip("10.1.2.3")), ([2, 0, 10, 1, 2, 3], MacSource::Resolved));
    }

    #[test]
    fn flag_and_address_parsing() {
        assert_eq!(parse_tcp_flags("SA"), Ok(TCP_SYN | TCP_ACK));
        assert_eq!(parse_tcp_flags("syn,ack"), Ok(TCP_SYN | TCP_ACK));
        assert_eq!(parse_tcp_flags("PA"), Ok(0x18));
        assert_eq!(parse_tcp_flags("psh+ack"), Ok(0x18));
        assert_eq!(parse_tcp_flags("ACK"), Ok(TCP_ACK));
        assert_eq!(parse_tcp_flags("0x12"), Ok(0x12));
        assert_eq!(parse_tcp_flags("2"), Ok(2));
        assert_eq!(parse_tcp_flags("none"), Ok(0));
        assert!(parse_tcp_flags("SX").is_err());
        assert!(parse_tcp_flags("0x1000").is_err());
        assert_eq!(tcp_flag_names(0x12), "SYN, ACK");
        assert_eq!(tcp_flag_names(0), "none");
        assert_eq!(parse_mac("02:00:0A:00:00:01"), Ok([2, 0, 10, 0, 0, 1]));
        assert_eq!(parse_mac("02-00-0a-00-00-01"), Ok([2, 0, 10, 0, 0, 1]));
        assert_eq!(parse_mac("02000a000001"), Ok([2, 0, 10, 0, 0, 1]));
        assert!(parse_mac("02:00:0a:00:00").is_err());
        assert!(parse_mac("02:00:0a:00:00:zz").is_err());
        assert_eq!(parse_endpoint("10.0.0.1:5000", 1), Ok(DEFAULT_SRC));
        assert_eq!(parse_endpoint("10.0.0.1", 5000), Ok(DEFAULT_SRC));
        assert_eq!(parse_endpoint("[fd00::1]:5000", 1), Ok(DEFAULT_SRC6));
        assert_eq!(parse_endpoint("fd00::1", 5000), Ok(DEFAULT_SRC6));
        assert_eq!(parse_endpoint("[fd00::1]", 5000), Ok(DEFAULT_SRC6));
        assert!(parse_endpoint("10.0.0.1:99999", 1).is_err());
    }

    #[test]
    fn steps_cover_the_frame() {
        let e = encapsulate(b"hello", &EncapOptions { transport: Transport::Tcp, ..Default::default() }).expect("encap");
        let kinds: Vec<LayerKind> = e.steps.iter().map(|s| s.kind).collect();
        assert_eq!(kinds, vec![
            LayerKind::Application,
            LayerKind::Transport,
            LayerKind::Network,
            LayerKind::Link,
            LayerKind::Physical
        ]);
        // Each step's bytes are the previous step's bytes with this layer's additions around them.
        let app = &e.steps[0].pdus[0];
        let tr = &e.steps[1].pdus[0];
        let net = &e.steps[2].pdus[0];
        let link = &e.steps[3].pdus[0];
        let phy = &e.steps[4].pdus[0];
        assert_eq!(&tr.bytes[20..], &app.bytes[..]);
        assert_eq!(&net.bytes[20..], &tr.bytes[..]);
        assert_eq!(&link.bytes[14..14 + net.bytes.len()], &net.bytes[..]);
        assert_eq!(link.added, vec![0..14, 59..64]);
        assert_eq!(&phy.bytes[8..], &link.bytes[..]);
        assert_eq!(app.added_in_source(), vec![54..59]);
        assert_eq!(tr.added_in_source(), vec![34..54]);
        for s in &e.steps {
            assert!(!s.notes.is_empty(), "{:?} has notes", s.kind);
            for n in &s.notes {
                assert!(!n.en.is_empty() && !n.zh.is_empty());
            }
        }
        assert_eq!(e.receiver.last().map(|c| c.id), Some("deliver"));
    }
}
