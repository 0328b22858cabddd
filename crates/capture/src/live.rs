//! Live interfaces: list them, capture the frames that cross one, put frames on one.
//!
//! Linux `AF_PACKET` sockets through `pnet_datalink` (its `Layer2` channel: whole Ethernet frames,
//! both directions, promiscuous when asked). Three traps of that crate are handled here:
//! - its receive buffer defaults to 4096 bytes and `recvfrom` silently cuts anything longer, so a
//!   1500-byte MTU looks fine until a jumbo or GRO-merged frame arrives: we ask for 256 KiB;
//! - with no read timeout a capture blocks for ever on a quiet link and cannot see Ctrl-C or a
//!   frame count: we poll with a short timeout and report "nothing yet" instead;
//! - opening a socket without `CAP_NET_RAW` fails with a bare "Operation not permitted": we say
//!   what to do about it.
//!
//! Frames carry the system clock at receipt (pnet exposes no kernel timestamp), so times are a few
//! microseconds later than tcpdump's for the same frame.
//!
//! The loopback interface on Linux has an all-zero Ethernet header, so its frames are
//! [`LinkType::Ethernet`] too. On `lo` the kernel hands a packet socket every packet twice (once
//! leaving, once arriving) and `pnet_datalink` does not say which is which; as libpcap does, a
//! socket filter drops the outgoing copy, so each packet is seen once.

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use netlayers_core::{Frame, Lang, LinkType, Timestamp};
use pnet_datalink::{Channel, Config, DataLinkReceiver, DataLinkSender, NetworkInterface};

/// Receive buffer for one frame. 64 KiB is the largest IPv4 datagram; GRO can merge segments into
/// frames of that size on a veth or loopback, and a few times that leaves room for headers.
pub const READ_BUFFER: usize = 65536 * 4;

/// Ethernet header bytes the kernel expects in front of an MTU-sized packet.
const ETH_HEADER: usize = 14;

/// One address on an interface, with its prefix length (`10.0.0.1/24`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IfaceAddr {
    pub ip: IpAddr,
    pub prefix: u8,
}

impl fmt::Display for IfaceAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.ip, self.prefix)
    }
}

/// What `netlayers ifaces` shows about an interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IfaceInfo {
    pub name: String,
    /// The kernel's interface index (`ip link` numbers), 0 when unknown.
    pub index: u32,
    /// Hardware address; `None` for interfaces without one (tunnels). All zeros on `lo`.
    pub mac: Option<[u8; 6]>,
    /// IPv4 addresses first, then IPv6, each in the kernel's order.
    pub addrs: Vec<IfaceAddr>,
    /// Largest packet (without the Ethernet header) the interface sends, from
    /// `/sys/class/net/NAME/mtu`.
    pub mtu: Option<u32>,
    /// Administratively up (`ip link set NAME up`).
    pub up: bool,
    /// Up and with a carrier: frames can actually leave (a veth whose peer is down is up but not running).
    pub running: bool,
    pub loopback: bool,
}

impl IfaceInfo {
    fn from_pnet(ni: &NetworkInterface) -> IfaceInfo {
        let mut addrs: Vec<IfaceAddr> = ni.ips.iter().map(|n| IfaceAddr { ip: n.ip(), prefix: n.prefix() }).collect();
        // Stable: keeps the kernel's order within each family.
        addrs.sort_by_key(|a| a.ip.is_ipv6());
        IfaceInfo {
            name: ni.name.clone(),
            index: ni.index,
            mac: ni.mac.map(|m| [m.0, m.1, m.2, m.3, m.4, m.5]),
            addrs,
            mtu: read_mtu(&ni.name),
            up: ni.is_up(),
            running: ni.is_running(),
            loopback: ni.is_loopback(),
        }
    }

    /// The first IPv4 address, the one ARP speaks for.
    pub fn ipv4(&self) -> Option<Ipv4Addr> {
        self.addrs.iter().find_map(|a| match a.ip {
            IpAddr::V4(v4) => Some(v4),
            IpAddr::V6(_) => None,
        })
    }

    /// The longest frame (Ethernet header included, FCS excluded) the kernel accepts for sending.
    pub fn max_frame(&self) -> Option<usize> {
        self.mtu.map(|m| m as usize + ETH_HEADER)
    }
}

/// `/sys/class/net/NAME/mtu`. `ip netns exec` mounts a /sys for the namespace, so this is the
/// namespace's view too. The name is checked first so it cannot walk out of the directory.
fn read_mtu(name: &str) -> Option<u32> {
    if name.is_empty() || name.contains('/') || name.starts_with('.') {
        return None;
    }
    std::fs::read_to_string(format!("/sys/class/net/{name}/mtu")).ok()?.trim().parse().ok()
}

/// Every interface of this network namespace, in the kernel's order. Needs no privilege.
pub fn list_interfaces() -> Vec<IfaceInfo> {
    pnet_datalink::interfaces().iter().map(IfaceInfo::from_pnet).collect()
}

/// The interface with this exact name, or an error that lists the interfaces there are.
pub fn find_interface(name: &str) -> Result<IfaceInfo, LiveError> {
    find_pnet(name).map(|ni| IfaceInfo::from_pnet(&ni))
}

fn find_pnet(name: &str) -> Result<NetworkInterface, LiveError> {
    let all = pnet_datalink::interfaces();
    match all.iter().find(|ni| ni.name == name) {
        Some(ni) => Ok(ni.clone()),
        None => Err(LiveError::NoSuchInterface {
            name: name.to_string(),
            known: all.iter().map(|ni| ni.name.clone()).collect(),
        }),
    }
}

/// What can go wrong with a live interface. Each message is one line that names the interface and
/// says what to do.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error(
        "{iface}: permission denied opening a raw socket: run as root (sudo) or grant the capability: \
sudo setcap cap_net_raw+ep $(command -v netlayers)"
    )]
    PermissionDenied { iface: String },
    #[error("no interface named {name} (interfaces here: {})", list_or_none(known))]
    NoSuchInterface { name: String, known: Vec<String> },
    #[error("{iface} is down: bring it up with `ip link set {iface} up`")]
    Down { iface: String },
    #[error(
        "{iface}: a frame of {len} bytes is longer than the {max} bytes the interface sends \
(MTU {mtu} + 14-byte Ethernet header): fragment it (--mtu) or send less"
    )]
    TooLong { iface: String, len: usize, max: usize, mtu: u32 },
    #[error("{iface}: {what}: {source}")]
    Io { iface: String, what: &'static str, source: io::Error },
}

fn list_or_none(known: &[String]) -> String {
    if known.is_empty() {
        "none".to_string()
    } else {
        known.join(", ")
    }
}

impl LiveError {
    /// The same one-line message in the user's language.
    pub fn message(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        match self {
            LiveError::PermissionDenied { iface } => format!(
                "{iface}:打开原始套接字被拒绝(没有权限):请用 root 运行(sudo),或授予程序抓包能力:\
sudo setcap cap_net_raw+ep $(command -v netlayers)"
            ),
            LiveError::NoSuchInterface { name, known } => {
                let list = if known.is_empty() { "无".to_string() } else { known.join(", ") };
                format!("没有名为 {name} 的网络接口(本机的接口有:{list})")
            }
            LiveError::Down { iface } => format!("{iface} 处于关闭(down)状态:请先用 `ip link set {iface} up` 启用它"),
            LiveError::TooLong { iface, len, max, mtu } => format!(
                "{iface}:这一帧有 {len} 字节,超过了接口能发送的 {max} 字节(MTU {mtu} + 14 字节以太网首部):\
请分片(--mtu)或少发一些数据"
            ),
            LiveError::Io { iface, what, source } => {
                let what_zh = match *what {
                    "opening a raw socket" => "打开原始套接字",
                    "receiving" => "接收",
                    "sending" => "发送",
                    other => other,
                };
                format!("{iface}:{what_zh}失败:{source}")
            }
        }
    }

    fn io(iface: &str, what: &'static str, source: io::Error) -> LiveError {
        if source.kind() == io::ErrorKind::PermissionDenied {
            return LiveError::PermissionDenied { iface: iface.to_string() };
        }
        if source.raw_os_error() == Some(ENETDOWN) {
            return LiveError::Down { iface: iface.to_string() };
        }
        LiveError::Io { iface: iface.to_string(), what, source }
    }
}

/// Linux errno for "Network is down" (sending on an interface that went down).
const ENETDOWN: i32 = 100;

/// How to open a capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaptureOptions {
    /// Bytes kept of each frame; the rest is counted in `orig_len` only (tcpdump's `-s`).
    pub snaplen: u32,
    /// Also receive frames addressed to other hosts (tcpdump's default).
    pub promiscuous: bool,
    /// How long one [`LiveCapture::next_frame`] call waits before it returns `None`: the longest a
    /// caller waits to notice Ctrl-C or a deadline.
    pub read_timeout: Duration,
}

impl Default for CaptureOptions {
    fn default() -> CaptureOptions {
        CaptureOptions { snaplen: READ_BUFFER as u32, promiscuous: true, read_timeout: Duration::from_millis(100) }
    }
}

/// `ETH_P_ALL`: every protocol, in the network byte order `socket(2)` wants for packet sockets.
const ETH_P_ALL_BE: i32 = 0x0003u16.to_be() as i32;

/// Kernel-side queue of frames waiting to be read: a burst (a fragmented datagram, a TCP window)
/// must not overflow the default ~200 KiB while the terminal is slow to print.
const KERNEL_RCVBUF: usize = 4 << 20;

/// Classic BPF for `lo`: drop `PACKET_OUTGOING` copies, keep the rest whole. The same test
/// libpcap makes, so a capture on `lo` shows each packet once, as tcpdump does.
fn loopback_filter() -> [socket2::SockFilter; 4] {
    const LD_W_ABS: u16 = 0x20; // BPF_LD | BPF_W | BPF_ABS
    const JEQ_K: u16 = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
    const RET_K: u16 = 0x06; // BPF_RET | BPF_K
    const SKF_AD_PKTTYPE: u32 = 0xffff_f000 + 4; // SKF_AD_OFF + SKF_AD_PKTTYPE
    const PACKET_OUTGOING: u32 = 4;
    [
        socket2::SockFilter::new(LD_W_ABS, 0, 0, SKF_AD_PKTTYPE),
        socket2::SockFilter::new(JEQ_K, 0, 1, PACKET_OUTGOING),
        socket2::SockFilter::new(RET_K, 0, 0, 0),
        socket2::SockFilter::new(RET_K, 0, 0, u32::MAX),
    ]
}

/// The packet socket pnet will bind, made here so that it gets a larger kernel buffer and, on
/// loopback, the filter above (pnet offers neither).
fn packet_socket(loopback: bool) -> io::Result<i32> {
    use std::os::fd::IntoRawFd;
    let sock = socket2::Socket::new(socket2::Domain::PACKET, socket2::Type::RAW, Some(socket2::Protocol::from(ETH_P_ALL_BE)))?;
    // A smaller buffer only costs frames under load: not worth failing the capture for.
    let _ = sock.set_recv_buffer_size(KERNEL_RCVBUF);
    if loopback {
        sock.attach_filter(&loopback_filter())?;
    }
    // pnet owns the descriptor from here on and closes it when the channel is dropped.
    Ok(sock.into_raw_fd())
}

/// The two ends of one packet socket.
type Halves = (Box<dyn DataLinkSender>, Box<dyn DataLinkReceiver>);

fn open_channel(
    ni: &NetworkInterface,
    promiscuous: bool,
    read_timeout: Duration,
) -> Result<Halves, LiveError> {
    let fd = packet_socket(ni.is_loopback()).map_err(|e| LiveError::io(&ni.name, "opening a raw socket", e))?;
    let config = Config {
        socket_fd: Some(fd),
        read_buffer_size: READ_BUFFER,
        write_buffer_size: READ_BUFFER,
        read_timeout: Some(read_timeout),
        write_timeout: Some(Duration::from_secs(2)),
        promiscuous,
        ..Config::default()
    };
    match pnet_datalink::channel(ni, config) {
        Ok(Channel::Ethernet(tx, rx)) => Ok((tx, rx)),
        Ok(_) => Err(LiveError::Io {
            iface: ni.name.clone(),
            what: "opening a raw socket",
            source: io::Error::other("not an Ethernet channel"),
        }),
        Err(e) => Err(LiveError::io(&ni.name, "opening a raw socket", e)),
    }
}

fn checked_up(name: &str) -> Result<(NetworkInterface, IfaceInfo), LiveError> {
    let ni = find_pnet(name)?;
    let info = IfaceInfo::from_pnet(&ni);
    if !info.up {
        return Err(LiveError::Down { iface: info.name });
    }
    Ok((ni, info))
}

/// The system clock as a capture timestamp.
fn now() -> Timestamp {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => Timestamp { secs: d.as_secs() as i64, nanos: d.subsec_nanos() },
        Err(_) => Timestamp::default(),
    }
}

/// Frames as they cross an interface, in both directions, numbered from 1.
pub struct LiveCapture {
    info: IfaceInfo,
    rx: Box<dyn DataLinkReceiver>,
    tx: Box<dyn DataLinkSender>,
    snaplen: u32,
    count: u64,
}

impl LiveCapture {
    /// Opens a raw socket on the interface. Fails with a one-line [`LiveError`] when the name is
    /// unknown, the interface is down, or the process lacks `CAP_NET_RAW`.
    pub fn open(name: &str, opts: CaptureOptions) -> Result<LiveCapture, LiveError> {
        let (ni, info) = checked_up(name)?;
        let (tx, rx) = open_channel(&ni, opts.promiscuous, opts.read_timeout)?;
        Ok(LiveCapture { info, rx, tx, snaplen: opts.snaplen.max(1), count: 0 })
    }

    pub fn iface(&self) -> &IfaceInfo {
        &self.info
    }

    /// Always Ethernet on Linux (the loopback interface has an all-zero Ethernet header).
    pub fn link_type(&self) -> LinkType {
        LinkType::Ethernet
    }

    pub fn snaplen(&self) -> u32 {
        self.snaplen
    }

    /// Frames received so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The next frame, or `Ok(None)` when none came within the read timeout (or a signal
    /// interrupted the wait): the caller checks its stop conditions and calls again.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, LiveError> {
        let bytes = match self.rx.next() {
            Ok(b) => b,
            Err(e) if matches!(e.kind(), io::ErrorKind::TimedOut | io::ErrorKind::Interrupted | io::ErrorKind::WouldBlock) => {
                return Ok(None)
            }
            Err(e) => {
                // pnet reports POLLERR/POLLHUP (interface deleted or gone down) as "Unexpected
                // poll event"; the current flags say which.
                let gone = match find_pnet(&self.info.name) {
                    Ok(ni) if ni.is_up() => None,
                    Ok(_) => Some(LiveError::Down { iface: self.info.name.clone() }),
                    Err(missing) => Some(missing),
                };
                return Err(gone.unwrap_or_else(|| LiveError::io(&self.info.name, "receiving", e)));
            }
        };
        let ts = now();
        let keep = bytes.len().min(self.snaplen as usize);
        self.count += 1;
        Ok(Some(Frame {
            number: self.count,
            ts,
            orig_len: bytes.len() as u32,
            data: bytes[..keep].to_vec(),
            link: LinkType::Ethernet,
            interface: 0,
        }))
    }

    /// Sends a frame on the same socket (so this capture does not see it come back).
    pub fn send(&mut self, frame: &[u8]) -> Result<(), LiveError> {
        send_on(&mut self.tx, &self.info, frame)
    }
}

/// Puts whole Ethernet frames (header included, FCS excluded: the card adds it) on an interface.
pub struct LiveSender {
    info: IfaceInfo,
    tx: Box<dyn DataLinkSender>,
}

impl LiveSender {
    pub fn open(name: &str) -> Result<LiveSender, LiveError> {
        let (ni, info) = checked_up(name)?;
        // Not promiscuous: a sender has no reason to change what the card accepts.
        let (tx, _rx) = open_channel(&ni, false, Duration::from_millis(100))?;
        Ok(LiveSender { info, tx })
    }

    pub fn iface(&self) -> &IfaceInfo {
        &self.info
    }

    pub fn send(&mut self, frame: &[u8]) -> Result<(), LiveError> {
        send_on(&mut self.tx, &self.info, frame)
    }
}

fn send_on(tx: &mut Box<dyn DataLinkSender>, info: &IfaceInfo, frame: &[u8]) -> Result<(), LiveError> {
    // The kernel answers an oversized frame with a bare EMSGSIZE; say what limit was crossed.
    if let (Some(max), Some(mtu)) = (info.max_frame(), info.mtu) {
        if frame.len() > max {
            return Err(LiveError::TooLong { iface: info.name.clone(), len: frame.len(), max, mtu });
        }
    }
    match tx.send_to(frame, None) {
        Some(Ok(())) => Ok(()),
        Some(Err(e)) => Err(LiveError::io(&info.name, "sending", e)),
        None => Err(LiveError::Io {
            iface: info.name.clone(),
            what: "sending",
            source: io::Error::other("the send buffer is too small"),
        }),
    }
}

/// ARP over Ethernet for IPv4 (RFC 826), just what `arping` needs: a request, and a reply read back.
///
/// ```text
///  0      6      12    14   16   18  19  20   22        28     32        38     42
/// +------+------+-----+----+----+---+---+----+---------+------+---------+------+
/// | dst  | src  |0806 |htyp|ptyp|hl |pl |op  | sha     | spa  | tha     | tpa  |
/// +------+------+-----+----+----+---+---+----+---------+------+---------+------+
/// ```
pub mod arp {
    use std::net::Ipv4Addr;

    mod field {
        use std::ops::Range;
        pub const ETH_DST: Range<usize> = 0..6;
        pub const ETH_SRC: Range<usize> = 6..12;
        pub const ETHERTYPE: Range<usize> = 12..14;
        pub const HTYPE: Range<usize> = 14..16;
        pub const PTYPE: Range<usize> = 16..18;
        pub const HLEN: usize = 18;
        pub const PLEN: usize = 19;
        pub const OPER: Range<usize> = 20..22;
        pub const SHA: Range<usize> = 22..28;
        pub const SPA: Range<usize> = 28..32;
        pub const THA: Range<usize> = 32..38;
        pub const TPA: Range<usize> = 38..42;
        pub const END: usize = 42;
    }

    pub const REQUEST: u16 = 1;
    pub const REPLY: u16 = 2;

    /// A broadcast "who has `target`? tell `sender_ip`" frame, 42 bytes (the card pads it to 60).
    pub fn request(sender_mac: [u8; 6], sender_ip: Ipv4Addr, target: Ipv4Addr) -> Vec<u8> {
        let mut f = vec![0u8; field::END];
        f[field::ETH_DST].copy_from_slice(&[0xff; 6]);
        f[field::ETH_SRC].copy_from_slice(&sender_mac);
        f[field::ETHERTYPE].copy_from_slice(&0x0806u16.to_be_bytes());
        f[field::HTYPE].copy_from_slice(&1u16.to_be_bytes());
        f[field::PTYPE].copy_from_slice(&0x0800u16.to_be_bytes());
        f[field::HLEN] = 6;
        f[field::PLEN] = 4;
        f[field::OPER].copy_from_slice(&REQUEST.to_be_bytes());
        f[field::SHA].copy_from_slice(&sender_mac);
        f[field::SPA].copy_from_slice(&sender_ip.octets());
        // The target hardware address is what we are asking for: zeros, as RFC 5227 recommends.
        f[field::TPA].copy_from_slice(&target.octets());
        f
    }

    /// The addresses of an Ethernet/IPv4 ARP packet.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct ArpPacket {
        /// The Ethernet source address (a proxy may differ from `sender_mac`).
        pub eth_src: [u8; 6],
        pub eth_dst: [u8; 6],
        pub oper: u16,
        pub sender_mac: [u8; 6],
        pub sender_ip: Ipv4Addr,
        pub target_mac: [u8; 6],
        pub target_ip: Ipv4Addr,
    }

    fn mac(b: &[u8]) -> Option<[u8; 6]> {
        b.try_into().ok()
    }
    fn ip(b: &[u8]) -> Option<Ipv4Addr> {
        let a: [u8; 4] = b.try_into().ok()?;
        Some(Ipv4Addr::from(a))
    }

    /// Reads an Ethernet II frame as IPv4-over-Ethernet ARP; `None` for anything else.
    pub fn parse(frame: &[u8]) -> Option<ArpPacket> {
        let get = |r: std::ops::Range<usize>| frame.get(r);
        if get(field::ETHERTYPE)? != [0x08, 0x06]
            || get(field::HTYPE)? != [0, 1]
            || get(field::PTYPE)? != [0x08, 0x00]
            || *frame.get(field::HLEN)? != 6
            || *frame.get(field::PLEN)? != 4
        {
            return None;
        }
        let oper = get(field::OPER)?;
        Some(ArpPacket {
            eth_dst: mac(get(field::ETH_DST)?)?,
            eth_src: mac(get(field::ETH_SRC)?)?,
            oper: u16::from_be_bytes([oper[0], oper[1]]),
            sender_mac: mac(get(field::SHA)?)?,
            sender_ip: ip(get(field::SPA)?)?,
            target_mac: mac(get(field::THA)?)?,
            target_ip: ip(get(field::TPA)?)?,
        })
    }

    /// Whether `frame` answers a request for `target` sent by `me`: a reply whose sender is the
    /// address asked about, addressed to us.
    pub fn is_reply(frame: &[u8], target: Ipv4Addr, me: Ipv4Addr) -> Option<ArpPacket> {
        parse(frame).filter(|p| p.oper == REPLY && p.sender_ip == target && p.target_ip == me)
    }
}

/// IPv6 neighbour discovery (RFC 4861 section 4.3-4.4), just what `send` needs to find a
/// neighbour's MAC: a Neighbor Solicitation, and the Neighbor Advertisement read back.
///
/// ```text
/// Ethernet (14) | IPv6 (40): next header 58, hop limit 255 | ICMPv6 (32):
///  0      1      2           4            8                         24     25     26        32
/// +------+------+-----------+------------+-------------------------+------+------+---------+
/// | type | code | checksum  | reserved   | target address          | opt  | len  | our MAC |
/// +------+------+-----------+------------+-------------------------+------+------+---------+
/// ```
pub mod ndp {
    use std::net::{IpAddr, Ipv6Addr};

    use netlayers_core::{checksum, PseudoHeader};

    mod field {
        use std::ops::Range;
        pub const ETHERTYPE: Range<usize> = 12..14;
        pub const ETH_SRC: Range<usize> = 6..12;
        pub const IP: usize = 14;
        pub const NEXT_HEADER: usize = IP + 6;
        pub const HOP_LIMIT: usize = IP + 7;
        pub const IP_SRC: Range<usize> = IP + 8..IP + 24;
        pub const IP_DST: Range<usize> = IP + 24..IP + 40;
        pub const ICMP: usize = IP + 40;
        pub const TARGET: Range<usize> = ICMP + 8..ICMP + 24;
        pub const OPTIONS: usize = ICMP + 24;
    }

    pub const SOLICITATION: u8 = 135;
    pub const ADVERTISEMENT: u8 = 136;

    /// ff02::1:ffXX:XXXX: the multicast group every host joins for the low 24 bits of each of
    /// its addresses, so a solicitation wakes (almost) only the host asked for.
    pub fn solicited_node(target: Ipv6Addr) -> Ipv6Addr {
        let t = target.octets();
        Ipv6Addr::new(0xff02, 0, 0, 0, 0, 1, 0xff00 | u16::from(t[13]), u16::from_be_bytes([t[14], t[15]]))
    }

    /// "Who has `target`? I am `src_ip` at `src_mac`", to the target's solicited-node group.
    pub fn solicit(src_mac: [u8; 6], src_ip: Ipv6Addr, target: Ipv6Addr) -> Vec<u8> {
        let group = solicited_node(target);
        let g = group.octets();
        let mut f = Vec::with_capacity(field::OPTIONS + 8);
        f.extend_from_slice(&[0x33, 0x33, g[12], g[13], g[14], g[15]]);
        f.extend_from_slice(&src_mac);
        f.extend_from_slice(&[0x86, 0xdd]);
        // Version 6, no traffic class or flow label; 32 bytes of ICMPv6; hop limit 255, which a
        // receiver checks to know the message was not forwarded by a router.
        f.extend_from_slice(&[0x60, 0, 0, 0, 0, 32, 58, 255]);
        f.extend_from_slice(&src_ip.octets());
        f.extend_from_slice(&g);
        let mut icmp = vec![SOLICITATION, 0, 0, 0, 0, 0, 0, 0];
        icmp.extend_from_slice(&target.octets());
        // Source link-layer address option (type 1, length 1 = 8 bytes): saves the target an
        // extra solicitation to answer us.
        icmp.extend_from_slice(&[1, 1]);
        icmp.extend_from_slice(&src_mac);
        let pseudo = PseudoHeader { src: IpAddr::V6(src_ip), dst: IpAddr::V6(group), protocol: 58, upper_len: icmp.len() };
        let sum = checksum::with_pseudo(&pseudo, &icmp);
        icmp[2..4].copy_from_slice(&sum.to_be_bytes());
        f.extend_from_slice(&icmp);
        f
    }

    /// The MAC a Neighbor Advertisement for `target` gives (its target link-layer address
    /// option, else the frame's Ethernet source); `None` for any other frame.
    pub fn advertised_mac(frame: &[u8], target: Ipv6Addr) -> Option<[u8; 6]> {
        if frame.get(field::ETHERTYPE)? != [0x86, 0xdd]
            || *frame.get(field::NEXT_HEADER)? != 58
            || *frame.get(field::HOP_LIMIT)? != 255
            || *frame.get(field::ICMP)? != ADVERTISEMENT
            || frame.get(field::TARGET)? != target.octets()
        {
            return None;
        }
        let mut at = field::OPTIONS;
        while let (Some(&kind), Some(&len)) = (frame.get(at), frame.get(at + 1)) {
            if len == 0 {
                break;
            }
            if kind == 2 && len == 1 {
                return frame.get(at + 2..at + 8)?.try_into().ok();
            }
            at += usize::from(len) * 8;
        }
        frame.get(field::ETH_SRC)?.try_into().ok()
    }

    /// The source and destination addresses of an IPv6 frame (for tests and checks).
    pub fn addresses(frame: &[u8]) -> Option<(Ipv6Addr, Ipv6Addr)> {
        let s: [u8; 16] = frame.get(field::IP_SRC)?.try_into().ok()?;
        let d: [u8; 16] = frame.get(field::IP_DST)?.try_into().ok()?;
        Some((Ipv6Addr::from(s), Ipv6Addr::from(d)))
    }
}

/// Whether `ip` is on the link of one of the interface's addresses (same prefix): then it is
/// reached directly, by its own MAC, not through a router.
pub fn on_link(iface: &IfaceInfo, ip: IpAddr) -> bool {
    iface.addrs.iter().any(|a| same_prefix(a.ip, ip, a.prefix))
}

fn same_prefix(a: IpAddr, b: IpAddr, prefix: u8) -> bool {
    match (a, b) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            let mask = if prefix == 0 { 0 } else { u32::MAX << (32 - u32::from(prefix.min(32))) };
            u32::from(a) & mask == u32::from(b) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => {
            let mask = if prefix == 0 { 0 } else { u128::MAX << (128 - u32::from(prefix.min(128))) };
            u128::from(a) & mask == u128::from(b) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arp_request_layout() {
        let mac = [0x02, 0, 0, 0, 0, 0x01];
        let f = arp::request(mac, Ipv4Addr::new(10, 99, 0, 1), Ipv4Addr::new(10, 99, 0, 2));
        #[rustfmt::skip]
        let want: [u8; 42] = [
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // broadcast destination
            0x02, 0, 0, 0, 0, 0x01,             // our MAC
            0x08, 0x06,                         // EtherType ARP
            0x00, 0x01,                         // hardware type Ethernet
            0x08, 0x00,                         // protocol type IPv4
            6, 4,                               // address lengths
            0x00, 0x01,                         // request
            0x02, 0, 0, 0, 0, 0x01,             // sender MAC
            10, 99, 0, 1,                       // sender IP
            0, 0, 0, 0, 0, 0,                   // target MAC: unknown, asked for
            10, 99, 0, 2,                       // target IP
        ];
        assert_eq!(f, want);
        let p = arp::parse(&f).unwrap();
        assert_eq!(p.oper, arp::REQUEST);
        assert_eq!(p.target_ip, Ipv4Addr::new(10, 99, 0, 2));
        // A request is not a reply.
        assert!(arp::is_reply(&f, Ipv4Addr::new(10, 99, 0, 1), Ipv4Addr::new(10, 99, 0, 2)).is_none());
    }

    #[test]
    fn arp_reply_is_recognised_and_short_frames_are_not() {
        let mut f = arp::request([2, 0, 0, 0, 0, 2], Ipv4Addr::new(10, 99, 0, 2), Ipv4Addr::new(10, 99, 0, 1));
        f[21] = 2; // a reply from 10.99.0.2 to 10.99.0.1
        let me = Ipv4Addr::new(10, 99, 0, 1);
        let p = arp::is_reply(&f, Ipv4Addr::new(10, 99, 0, 2), me).unwrap();
        assert_eq!(p.sender_mac, [2, 0, 0, 0, 0, 2]);
        assert!(arp::is_reply(&f, Ipv4Addr::new(10, 99, 0, 3), me).is_none(), "other sender");
        for n in 0..f.len() {
            assert!(arp::parse(&f[..n]).is_none(), "cut at {n}");
        }
        // Ethernet padding after the ARP packet is ignored.
        let mut padded = f.clone();
        padded.resize(60, 0);
        assert_eq!(arp::parse(&padded), arp::parse(&f));
        // An IPv4 frame is not ARP.
        let mut ip = f.clone();
        ip[12..14].copy_from_slice(&[0x08, 0x00]);
        assert!(arp::parse(&ip).is_none());
    }

    #[test]
    fn errors_are_one_line_and_name_the_interface() {
        let e = LiveError::NoSuchInterface { name: "eth9".into(), known: vec!["lo".into(), "eth0".into()] };
        assert_eq!(e.to_string(), "no interface named eth9 (interfaces here: lo, eth0)");
        assert!(e.message(Lang::Zh).contains("lo, eth0"));
        let e = LiveError::PermissionDenied { iface: "eth0".into() };
        assert!(e.to_string().starts_with("eth0: permission denied"));
        assert!(e.to_string().contains("setcap cap_net_raw+ep"));
        assert!(e.message(Lang::Zh).contains("setcap cap_net_raw+ep"));
        let e = LiveError::Down { iface: "veth0".into() };
        assert_eq!(e.to_string(), "veth0 is down: bring it up with `ip link set veth0 up`");
        for e in [
            LiveError::io("x", "sending", io::Error::from_raw_os_error(1)),
            LiveError::io("x", "sending", io::Error::from_raw_os_error(ENETDOWN)),
            LiveError::io("x", "sending", io::Error::from_raw_os_error(90)),
            LiveError::TooLong { iface: "x".into(), len: 2000, max: 1514, mtu: 1500 },
        ] {
            for lang in [Lang::En, Lang::Zh] {
                let m = e.message(lang);
                assert!(!m.contains('\n') && m.starts_with('x'), "{m}");
            }
        }
        assert!(matches!(LiveError::io("x", "s", io::Error::from_raw_os_error(1)), LiveError::PermissionDenied { .. }));
        assert!(matches!(LiveError::io("x", "s", io::Error::from_raw_os_error(ENETDOWN)), LiveError::Down { .. }));
    }

    #[test]
    fn unknown_interface_lists_the_real_ones() {
        let known: Vec<String> = list_interfaces().into_iter().map(|i| i.name).collect();
        match find_interface("netlayers-no-such-if") {
            Err(LiveError::NoSuchInterface { known: k, .. }) => assert_eq!(k, known),
            other => panic!("expected NoSuchInterface, got {other:?}"),
        }
        assert!(matches!(
            LiveCapture::open("netlayers-no-such-if", CaptureOptions::default()),
            Err(LiveError::NoSuchInterface { .. })
        ));
    }

    #[test]
    fn neighbor_solicitation_layout_and_checksum() {
        use std::net::Ipv6Addr;
        let me: Ipv6Addr = "fd99::1".parse().unwrap();
        let target: Ipv6Addr = "fd99::2:3456".parse().unwrap();
        let mac = [0x02, 0, 0, 0, 0, 0x01];
        let f = ndp::solicit(mac, me, target);
        assert_eq!(f.len(), 14 + 40 + 32);
        // Solicited-node group ff02::1:ff02:3456 and its MAC 33:33:ff:02:34:56.
        assert_eq!(&f[0..6], &[0x33, 0x33, 0xff, 0x02, 0x34, 0x56]);
        assert_eq!(ndp::addresses(&f), Some((me, "ff02::1:ff02:3456".parse().unwrap())));
        assert_eq!(f[54], ndp::SOLICITATION);
        let pseudo = netlayers_core::PseudoHeader {
            src: IpAddr::V6(me),
            dst: IpAddr::V6(ndp::solicited_node(target)),
            protocol: 58,
            upper_len: 32,
        };
        assert!(netlayers_core::checksum::verify_with_pseudo(&pseudo, &f[54..]));
        // A solicitation is not an advertisement.
        assert_eq!(ndp::advertised_mac(&f, target), None);
        // Made into an advertisement with a target link-layer option, it gives that MAC.
        let mut na = f.clone();
        na[54] = ndp::ADVERTISEMENT;
        na[78] = 2;
        na[80..86].copy_from_slice(&[2, 0, 0, 0, 0, 9]);
        assert_eq!(ndp::advertised_mac(&na, target), Some([2, 0, 0, 0, 0, 9]));
        assert_eq!(ndp::advertised_mac(&na, me), None, "for another target");
        for n in 0..na.len() {
            let _ = ndp::advertised_mac(&na[..n], target);
        }
        // Without the option: the Ethernet source.
        na.truncate(78);
        assert_eq!(ndp::advertised_mac(&na, target), Some(mac));
    }

    #[test]
    fn on_link_follows_the_prefix() {
        let i = IfaceInfo {
            name: "x".into(),
            index: 1,
            mac: None,
            addrs: vec![
                IfaceAddr { ip: "10.99.1.1".parse().unwrap(), prefix: 24 },
                IfaceAddr { ip: "fd99:1::1".parse().unwrap(), prefix: 64 },
            ],
            mtu: Some(1500),
            up: true,
            running: true,
            loopback: false,
        };
        assert!(on_link(&i, "10.99.1.200".parse().unwrap()));
        assert!(!on_link(&i, "10.99.2.1".parse().unwrap()));
        assert!(on_link(&i, "fd99:1::abcd".parse().unwrap()));
        assert!(!on_link(&i, "fd99:2::1".parse().unwrap()));
        assert!(same_prefix("1.2.3.4".parse().unwrap(), "9.9.9.9".parse().unwrap(), 0));
    }

    #[test]
    fn loopback_is_listed_with_its_mtu() {
        // Every Linux network namespace has `lo`, even an empty one.
        let lo = list_interfaces().into_iter().find(|i| i.loopback);
        if let Some(lo) = lo {
            assert!(lo.mtu.is_some_and(|m| m >= 1280), "{lo:?}");
            assert_eq!(lo.max_frame(), lo.mtu.map(|m| m as usize + 14));
        }
        assert_eq!(read_mtu("../../etc/passwd"), None);
        assert_eq!(read_mtu(""), None);
    }
}
