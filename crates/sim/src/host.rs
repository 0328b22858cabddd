//! A host: one Ethernet interface, ARP with a cache, IPv4 with a routing table (its subnet, a
//! default gateway, static routes) and reassembly of fragments, ICMP (echo, and the errors
//! routers and hosts send), optionally IPv6 on its link (a link-local address from the MAC, an
//! address with a prefix, Neighbor Discovery with a neighbor cache, ICMPv6), UDP sockets and TCP
//! connections ([`crate::tcp::Tcb`]) over either, and the applications that call its socket API
//! as scripted steps.
//!
//! A host never touches the event queue: every handler takes a [`Ctx`] (the time, the timeline)
//! and leaves [`Action`]s in it (frames to put on the wire, times to be woken at).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use netlayers_core::text::OwnedText;
use netlayers_core::LayerKind;
use netlayers_network::route::{netmask, Route, RoutingTable};
use netlayers_stack::defrag::{Added, DatagramKey, Limits, Reassembler};

use crate::engine::{Nanos, SEC};
use crate::rng::Rng;
use crate::tcp::{Output, Segment, State, Tcb, TcpError, TcpEvent};
use crate::wire::{self, Arp, Body, IpParams, Mac, Ndp, Packet, Packet6, Parsed, BROADCAST};

/// One line of the timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub time: Nanos,
    /// A host, switch or link name.
    pub node: String,
    pub layer: LayerKind,
    pub text: OwnedText,
}

/// One change of a TCP socket's state, for the view of each connection's states over time
/// ([`crate::states`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateChange {
    pub time: Nanos,
    /// The socket's descriptor: each connection and listener has its own (never reused).
    pub fd: Fd,
    pub local: SocketAddr,
    /// The peer; `None` for a listening socket.
    pub remote: Option<SocketAddr>,
    pub from: State,
    pub to: State,
}

/// What a node asks of the network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Put a frame the node made on its port.
    Send { port: usize, frame: Vec<u8> },
    /// Put a frame the node passes on (a router forwarding a packet) on its port.
    Forward { port: usize, frame: Vec<u8> },
    /// Call the node's timer handler at this time.
    Wake(Nanos),
}

/// The time, where to write what happens, and what the node wants done.
pub struct Ctx<'a> {
    pub now: Nanos,
    pub timeline: &'a mut Vec<Entry>,
    pub actions: Vec<Action>,
}

impl Ctx<'_> {
    pub fn log(&mut self, node: &str, layer: LayerKind, en: String, zh: String) {
        self.timeline.push(Entry { time: self.now, node: node.to_string(), layer, text: OwnedText::new(en, zh) });
    }
}

pub fn fmt_mac(m: &Mac) -> String {
    netlayers_core::model::fmt_mac(m)
}

/// How long a learned address stays in the ARP cache (and in the IPv6 neighbor cache).
pub const ARP_TTL: Nanos = 60 * SEC;
/// ARP requests (or Neighbor Solicitations) sent for one address before its queued packets are
/// dropped.
pub const ARP_TRIES: u32 = 3;
pub const ARP_RETRY: Nanos = SEC;
/// Packets kept per address while ARP or Neighbor Discovery resolves it.
pub const ARP_QUEUE: usize = 16;
/// What an echo request carries: 32 letters, as Windows' ping sends.
const ECHO_DATA: &[u8; 32] = b"abcdefghijklmnopqrstuvwabcdefghi";
/// First ephemeral port, as IANA and Linux's default range start.
pub const EPHEMERAL: u16 = 49152;
/// How long fragments wait for the rest of their datagram: Linux's `ipfrag_time`.
pub const REASSEMBLY_TIMEOUT: Nanos = 30 * SEC;
/// What a host's reassembly may hold: datagrams waiting, and bytes (fragments and bookkeeping).
pub const REASSEMBLY_LIMITS: Limits = Limits { max_bytes: 1 << 20, max_datagrams: 64 };

/// IP address → MAC, each entry valid until a time: the ARP cache for IPv4 and, under the same
/// rules, the neighbor cache for IPv6 (which RFC 4861 fills by Neighbor Discovery).
#[derive(Debug, Clone)]
pub struct LinkCache<A> {
    entries: BTreeMap<A, (Mac, Nanos)>,
}

pub type ArpCache = LinkCache<Ipv4Addr>;
pub type NeighborCache = LinkCache<Ipv6Addr>;

impl<A> Default for LinkCache<A> {
    fn default() -> LinkCache<A> {
        LinkCache { entries: BTreeMap::new() }
    }
}

impl<A: Ord + Copy> LinkCache<A> {
    pub fn lookup(&self, ip: A, now: Nanos) -> Option<Mac> {
        self.entries.get(&ip).filter(|(_, until)| *until > now).map(|(m, _)| *m)
    }
    /// Learns or refreshes an entry; true when it is new or changed.
    pub fn insert(&mut self, ip: A, mac: Mac, now: Nanos) -> bool {
        let fresh = self.lookup(ip, now) != Some(mac);
        self.entries.insert(ip, (mac, now + ARP_TTL));
        fresh
    }
    /// Whether there is an entry (even an expired one) to update, as RFC 826's merge step asks.
    pub fn has(&self, ip: A) -> bool {
        self.entries.contains_key(&ip)
    }
}

/// Socket types, as the tutorial's `socket.SOCK_STREAM` / `socket.SOCK_DGRAM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Stream,
    Datagram,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Stream => "SOCK_STREAM",
            Kind::Datagram => "SOCK_DGRAM",
        }
    }
}

/// A socket's address family: `socket.AF_INET` or `socket.AF_INET6`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Inet,
    Inet6,
}

impl Family {
    fn of(ip: IpAddr) -> Family {
        if ip.is_ipv6() {
            Family::Inet6
        } else {
            Family::Inet
        }
    }
    fn name(self) -> &'static str {
        match self {
            Family::Inet => "AF_INET",
            Family::Inet6 => "AF_INET6",
        }
    }
}

/// An address as Python's socket module writes it: `('10.0.0.1', 8081)`, and for AF_INET6 with
/// the flow label and scope id, `('fd00:1::1', 8081, 0, 0)`.
fn py_addr(a: &SocketAddr) -> String {
    match a {
        SocketAddr::V4(a) => format!("('{}', {})", a.ip(), a.port()),
        SocketAddr::V6(a) => format!("('{}', {}, 0, 0)", a.ip(), a.port()),
    }
}

/// A socket descriptor, numbered from 3 as a process's first socket is.
pub type Fd = u32;

/// A packet waiting for its next hop's MAC.
#[derive(Debug)]
enum Queued {
    V4(Packet, IpParams),
    V6(Packet6),
}

#[derive(Debug)]
enum Socket {
    Fresh { kind: Kind, family: Family, port: Option<u16> },
    /// `peer`: set by connect(), which makes the socket take datagrams from that address only,
    /// lets send() and recv() be used, and reports an ICMP error about a datagram it sent as
    /// `error` on the next call (as Linux does for connected UDP sockets).
    Udp { port: u16, family: Family, queue: VecDeque<(SocketAddr, Vec<u8>)>, peer: Option<SocketAddr>, error: Option<&'static str> },
    Listener { port: u16, family: Family, backlog: VecDeque<Fd> },
    /// `listener`: the socket whose SYN made it (passive open); `accepted`: accept() returned it.
    Stream { tcb: Box<Tcb>, remote: IpAddr, listener: Option<Fd>, closed_by_app: bool, accepted: bool },
}

/// One step of an application: a socket call (blocking ones wait), or a pause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    /// `socket(AF_INET, kind)` into a slot (the application's variables).
    Socket { slot: usize, kind: Kind },
    /// `socket(AF_INET6, kind)`: the same calls then take IPv6 addresses ([`Call::Connect6`],
    /// [`Call::SendTo6`]); bind() binds the host's IPv6 address.
    Socket6 { slot: usize, kind: Kind },
    Bind { slot: usize, port: u16 },
    Listen { slot: usize },
    /// Waits for a connection on `listener`; the new socket goes to `into`.
    Accept { listener: usize, into: usize },
    /// TCP: waits until the handshake completes (or fails). UDP: only remembers the peer.
    Connect { slot: usize, to: SocketAddrV4 },
    /// connect() on an AF_INET6 socket.
    Connect6 { slot: usize, to: SocketAddrV6 },
    Send { slot: usize, data: Vec<u8> },
    /// `recv(1024)`: waits for at least one byte, or the end of the stream (TCP), or for one
    /// datagram from the connected peer (UDP).
    Recv { slot: usize },
    /// Reads until the peer closes, all in one.
    RecvAll { slot: usize },
    /// `while True: data = recv(1024); if not data: break`: each recv() is recorded.
    RecvUntilClosed { slot: usize },
    SendTo { slot: usize, data: Vec<u8>, to: SocketAddrV4 },
    /// sendto() on an AF_INET6 socket.
    SendTo6 { slot: usize, data: Vec<u8>, to: SocketAddrV6 },
    /// Waits for one datagram.
    RecvFrom { slot: usize },
    /// `settimeout(t)`, then recvfrom(1024) in a loop until one waits longer than `timeout`.
    RecvFromUntilTimeout { slot: usize, timeout: Nanos },
    /// `sendto(data, addr)` back to the address the last recvfrom() returned.
    Reply { slot: usize, data: Vec<u8> },
    Close { slot: usize },
    /// close() with SO_LINGER set to zero seconds: a TCP connection is reset at once.
    Abort { slot: usize },
    Sleep(Nanos),
    /// Sleeps until this time since the start (does nothing if it has passed).
    SleepUntil(Nanos),
    /// `setsockopt(IPPROTO_IP, …)` on a datagram socket: what its next packets carry.
    SetOption { slot: usize, option: SockOpt },
    /// One ICMP echo request, as `ping -c 1` sends (does not wait for the reply).
    Ping { to: Ipv4Addr, seq: u16 },
    /// One ICMPv6 echo request, as `ping -6 -c 1` (ping6) sends.
    Ping6 { to: Ipv6Addr, seq: u16 },
}

/// Socket options of the IP layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SockOpt {
    /// `IP_TTL`: the TTL of the packets sent (traceroute sets 1, 2, 3…).
    Ttl(u8),
    /// `IPV6_UNICAST_HOPS`: the hop limit of the IPv6 packets sent (traceroute6's 1, 2, 3…).
    HopLimit(u8),
    /// `IP_MTU_DISCOVER`: `true` is `IP_PMTUDISC_DO` (always DF: routers must not fragment),
    /// `false` is `IP_PMTUDISC_DONT` (never DF: routers fragment as needed).
    DontFragment(bool),
}

/// An application: its steps, where it is, and what it received.
#[derive(Debug, Clone)]
pub struct App {
    pub name: String,
    calls: Vec<Call>,
    pc: usize,
    slots: BTreeMap<usize, Fd>,
    wake_at: Option<Nanos>,
    /// When the current call's timeout expires (RecvFromUntilTimeout).
    timeout_at: Option<Nanos>,
    waiting: bool,
    /// Every byte recv()/recvfrom() returned, in order.
    pub received: Vec<u8>,
    /// The messages recv()/recvfrom() returned, one per call.
    pub messages: Vec<Vec<u8>>,
    /// The error that stopped it, if one did, in English and Chinese.
    pub error: Option<OwnedText>,
    /// Who sent the last datagram recvfrom() returned.
    last_from: Option<SocketAddr>,
}

impl App {
    pub fn new(name: &str, calls: Vec<Call>) -> App {
        App {
            name: name.to_string(),
            calls,
            pc: 0,
            slots: BTreeMap::new(),
            wake_at: None,
            timeout_at: None,
            waiting: false,
            received: Vec::new(),
            messages: Vec::new(),
            error: None,
            last_from: None,
        }
    }
    pub fn finished(&self) -> bool {
        self.pc >= self.calls.len() || self.error.is_some()
    }

    /// The call an application that did not finish is stuck in (`recvfrom(1024)`), if any.
    pub fn blocked_in(&self) -> Option<&'static str> {
        if self.finished() {
            return None;
        }
        Some(match self.calls.get(self.pc)? {
            Call::Accept { .. } => "accept()",
            Call::Connect { .. } | Call::Connect6 { .. } => "connect()",
            Call::Recv { .. } | Call::RecvAll { .. } | Call::RecvUntilClosed { .. } => "recv(1024)",
            Call::RecvFrom { .. } | Call::RecvFromUntilTimeout { .. } => "recvfrom(1024)",
            Call::Sleep(_) | Call::SleepUntil(_) => "sleep()",
            _ => "a socket call",
        })
    }
}

enum Step {
    Done,
    Wait,
    /// The call fails and the application stops: why, in both languages.
    Fail(OwnedText),
}

fn fail(en: impl Into<String>, zh: impl Into<String>) -> Step {
    Step::Fail(OwnedText::new(en, zh))
}

/// A call on a descriptor the application never got (or already closed).
fn no_socket(call: &str) -> Step {
    fail(format!("{call} on no socket (EBADF)"), format!("{call}:没有这个套接字(EBADF)"))
}

/// A call that fails with `errno` (`ECONNREFUSED`): the name stays as it is in both languages,
/// since it is what a programmer searches for, and the Chinese text says what it means.
fn failed(call: &str, errno: &str) -> Step {
    fail(format!("{call} failed: {errno}"), format!("{call} 失败:{errno}({})", errno_meaning_zh(errno)))
}

/// What an errno the simulated calls return means, in Chinese.
fn errno_meaning_zh(errno: &str) -> &'static str {
    match errno {
        "ECONNREFUSED" => "连接被拒绝",
        "ECONNRESET" => "连接被对方重置",
        "ETIMEDOUT" => "连接超时",
        "ENOTCONN" => "套接字没有连接",
        "ENETUNREACH" => "网络不可达",
        "EHOSTUNREACH" => "主机不可达",
        _ => "出错",
    }
}

pub struct Host {
    pub name: String,
    pub mac: Mac,
    pub ip: Ipv4Addr,
    pub prefix: u8,
    /// The IPv6 address and prefix length the scenario gave ([`Host::set_ipv6`]), if any.
    pub ip6: Option<(Ipv6Addr, u8)>,
    /// The IPv6 default gateway: a router's address on this link (link-local or in the prefix).
    pub gateway6: Option<Ipv6Addr>,
    /// fe80:: and the interface identifier made from the MAC ([`wire::link_local`]).
    pub link_local: Ipv6Addr,
    /// The largest IP packet the interface sends; larger datagrams leave as fragments.
    pub mtu: usize,
    /// Starts with the connected subnet; scenarios add a default gateway or static routes.
    pub routes: RoutingTable,
    pub arp: ArpCache,
    pub neighbors: NeighborCache,
    /// Packets waiting for ARP or Neighbor Discovery (by next hop), and the requests sent
    /// (count, next retry) per address.
    pending: Vec<(IpAddr, Queued)>,
    resolving: BTreeMap<IpAddr, (u32, Nanos)>,
    ip_id: u16,
    rng: Rng,
    next_fd: Fd,
    sockets: BTreeMap<Fd, Socket>,
    /// What `setsockopt` set, per socket (the defaults otherwise).
    ip_params: BTreeMap<Fd, IpParams>,
    reassembly: Reassembler,
    /// Datagrams waiting for fragments, and when their first fragment came, oldest first.
    reassembly_started: VecDeque<(DatagramKey, Nanos)>,
    /// Fragments received, which name them in the reassembler.
    fragments_in: u64,
    pub apps: Vec<App>,
    /// Every TCP state change of every socket, in time order.
    pub tcp_states: Vec<StateChange>,
    wakes: BTreeSet<Nanos>,
    ping_id: u16,
}

fn quote(b: &[u8]) -> String {
    let s = netlayers_core::escape::bytes(b);
    if s.chars().count() > 40 {
        format!("\"{}…\"", s.chars().take(40).collect::<String>())
    } else {
        format!("\"{s}\"")
    }
}

impl Host {
    pub fn new(name: &str, mac: Mac, ip: Ipv4Addr, prefix: u8, rng: Rng) -> Host {
        let mut routes = RoutingTable::default();
        routes.add(Route::new(ip, prefix, None, 0));
        Host {
            name: name.to_string(),
            mac,
            ip,
            prefix: prefix.min(32),
            ip6: None,
            gateway6: None,
            link_local: wire::link_local(mac),
            mtu: wire::ETHERNET_MTU,
            routes,
            arp: ArpCache::default(),
            neighbors: NeighborCache::default(),
            pending: Vec::new(),
            resolving: BTreeMap::new(),
            ip_id: 1,
            rng,
            next_fd: 3,
            sockets: BTreeMap::new(),
            ip_params: BTreeMap::new(),
            reassembly: Reassembler::new(REASSEMBLY_LIMITS),
            reassembly_started: VecDeque::new(),
            fragments_in: 0,
            apps: Vec::new(),
            tcp_states: Vec::new(),
            wakes: BTreeSet::new(),
            ping_id: 1,
        }
    }

    fn log(&self, ctx: &mut Ctx<'_>, layer: LayerKind, en: String, zh: String) {
        ctx.log(&self.name, layer, en, zh);
    }

    fn wake(&mut self, ctx: &mut Ctx<'_>, at: Nanos) {
        if self.wakes.insert(at) {
            ctx.actions.push(Action::Wake(at));
        }
    }

    /// Gives the interface an IPv6 address on a prefix (`fd00:1::1/64`), besides its link-local one.
    pub fn set_ipv6(&mut self, addr: Ipv6Addr, prefix: u8) {
        self.ip6 = Some((addr, prefix.min(128)));
    }

    fn broadcast_addr(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.ip) | !netmask(self.prefix))
    }

    // ----- network layer: IPv4 out, ARP -----

    fn send_ip(&mut self, ctx: &mut Ctx<'_>, dst: Ipv4Addr, body: Body) {
        self.send_ip_with(ctx, dst, body, IpParams::default());
    }

    /// Sends a packet to `dst`: to the broadcast address, or by the routing table to the next
    /// hop (the destination on this subnet, a gateway otherwise), whose MAC ARP finds.
    fn send_ip_with(&mut self, ctx: &mut Ctx<'_>, dst: Ipv4Addr, body: Body, ip: IpParams) {
        let id = self.ip_id;
        self.ip_id = self.ip_id.wrapping_add(1);
        let packet = Packet { src: self.ip, dst, id, body };
        if dst == self.broadcast_addr() || dst.is_broadcast() {
            self.emit_ip(ctx, BROADCAST, &packet, ip);
            return;
        }
        let Some(route) = self.routes.lookup(dst).copied() else {
            self.log(ctx, LayerKind::Network,
                format!("no route to {dst} (no gateway for other networks): packet dropped (ENETUNREACH)"),
                format!("没有到 {dst} 的路由(没有通往其他网络的网关):丢弃分组(ENETUNREACH)"));
            return;
        };
        let hop = route.next_hop(dst);
        if hop != dst && !self.resolving.contains_key(&IpAddr::V4(hop)) && self.arp.lookup(hop, ctx.now).is_none() {
            self.log(ctx, LayerKind::Network,
                format!("{dst} is not on this subnet: route {route}, so the frame goes to the gateway's MAC"),
                format!("{dst} 不在本子网:按路由 {route},帧发给网关的 MAC"));
        }
        if let Some(mac) = self.arp.lookup(hop, ctx.now) {
            self.emit_ip(ctx, mac, &packet, ip);
            return;
        }
        self.wait_for_mac(ctx, IpAddr::V4(hop), Queued::V4(packet, ip));
    }

    /// Keeps a packet until ARP or Neighbor Discovery finds its next hop's MAC (at most
    /// [`ARP_QUEUE`] per address), asking if nobody asks yet.
    fn wait_for_mac(&mut self, ctx: &mut Ctx<'_>, hop: IpAddr, q: Queued) {
        if self.pending.iter().filter(|(h, _)| *h == hop).count() < ARP_QUEUE {
            self.pending.push((hop, q));
        }
        if let std::collections::btree_map::Entry::Vacant(e) = self.resolving.entry(hop) {
            e.insert((1, ctx.now + ARP_RETRY));
            self.solicit(ctx, hop);
            self.wake(ctx, ctx.now + ARP_RETRY);
        }
    }

    fn solicit(&mut self, ctx: &mut Ctx<'_>, hop: IpAddr) {
        match hop {
            IpAddr::V4(ip) => self.send_arp_request(ctx, ip),
            IpAddr::V6(ip) => self.send_neighbor_solicitation(ctx, ip),
        }
    }

    /// Sends what waited for `hop`'s MAC, now that it is known.
    fn release(&mut self, ctx: &mut Ctx<'_>, hop: IpAddr, mac: Mac) {
        if self.resolving.remove(&hop).is_some() || self.pending.iter().any(|(h, _)| *h == hop) {
            let (ready, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut self.pending).into_iter().partition(|(h, _)| *h == hop);
            self.pending = rest;
            for (_, q) in ready {
                match q {
                    Queued::V4(p, ip) => self.emit_ip(ctx, mac, &p, ip),
                    Queued::V6(p) => self.emit_ip6(ctx, mac, &p),
                }
            }
        }
    }

    /// Sends to an IPv4 or IPv6 address, as a socket of either family does.
    fn send_to_addr(&mut self, ctx: &mut Ctx<'_>, dst: IpAddr, body: Body, ip: IpParams) {
        match dst {
            IpAddr::V4(dst) => self.send_ip_with(ctx, dst, body, ip),
            IpAddr::V6(dst) => self.send_ip6_with(ctx, dst, body, ip.ttl),
        }
    }

    // ----- network layer: IPv6 out, Neighbor Discovery -----

    /// Whether `a` is one of this interface's IPv6 addresses.
    fn is_mine6(&self, a: Ipv6Addr) -> bool {
        a == self.link_local || self.ip6.is_some_and(|(ip, _)| ip == a)
    }

    /// The source for a packet to `dst` (RFC 6724, simply): the link-local address for a
    /// link-local destination or when there is no other, the configured address otherwise.
    fn source6(&self, dst: Ipv6Addr) -> Ipv6Addr {
        match self.ip6 {
            Some((ip, _)) if !dst.is_unicast_link_local() => ip,
            _ => self.link_local,
        }
    }

    /// The address a socket of this family is bound to, as bind() and the logs name it.
    fn local_ip(&self, family: Family) -> IpAddr {
        match family {
            Family::Inet => IpAddr::V4(self.ip),
            Family::Inet6 => IpAddr::V6(self.ip6.map_or(self.link_local, |(ip, _)| ip)),
        }
    }

    fn send_ip6(&mut self, ctx: &mut Ctx<'_>, dst: Ipv6Addr, body: Body) {
        self.send_ip6_with(ctx, dst, body, wire::TTL);
    }

    /// Sends an IPv6 packet to a neighbor on the link (a link-local address or one in the
    /// interface's prefix) or, for any other destination, to the IPv6 default gateway; the next
    /// hop's MAC is found by Neighbor Discovery.
    fn send_ip6_with(&mut self, ctx: &mut Ctx<'_>, dst: Ipv6Addr, body: Body, hop_limit: u8) {
        let on_link = dst.is_unicast_link_local() || self.ip6.is_some_and(|(ip, prefix)| wire::same_prefix6(ip, dst, prefix));
        let hop = match (on_link, self.gateway6) {
            (true, _) => dst,
            (false, Some(gw)) => gw,
            (false, None) => {
                self.log(ctx, LayerKind::Network,
                    format!("no route to {dst} (not on this link, no IPv6 gateway): packet dropped (ENETUNREACH)"),
                    format!("没有到 {dst} 的路由(不在本链路上,也没有 IPv6 网关):丢弃分组(ENETUNREACH)"));
                return;
            }
        };
        if hop != dst && !self.resolving.contains_key(&IpAddr::V6(hop)) && self.neighbors.lookup(hop, ctx.now).is_none() {
            self.log(ctx, LayerKind::Network,
                format!("{dst} is not on this link: route ::/0 via {hop}, so the frame goes to the gateway's MAC"),
                format!("{dst} 不在本链路上:按路由 ::/0 经 {hop},帧发给网关的 MAC"));
        }
        let packet = Packet6 { src: self.source6(dst), dst, hop_limit, body };
        match self.neighbors.lookup(hop, ctx.now) {
            Some(mac) => self.emit_ip6(ctx, mac, &packet),
            None => self.wait_for_mac(ctx, IpAddr::V6(hop), Queued::V6(packet)),
        }
    }

    fn emit_ip6(&mut self, ctx: &mut Ctx<'_>, dst_mac: Mac, p: &Packet6) {
        match wire::ipv6_frames(self.mac, dst_mac, p, self.mtu) {
            Ok(frames) => ctx.actions.extend(frames.into_iter().map(|frame| Action::Send { port: 0, frame })),
            Err(e) => self.log(ctx, LayerKind::Network, format!("cannot send to {}: {e}", p.dst), format!("无法发往 {}:{e}", p.dst)),
        }
    }

    /// Neighbor Solicitation (RFC 4861 section 7.2.2): ICMPv6 type 135 to the target's
    /// solicited-node multicast group, carrying our MAC, hop limit 255.
    fn send_neighbor_solicitation(&mut self, ctx: &mut Ctx<'_>, target: Ipv6Addr) {
        let src = self.source6(target);
        let group = wire::solicited_node(target);
        let mac = wire::multicast_mac(group);
        self.log(ctx, LayerKind::Network,
            format!("NDP neighbor solicitation: who has {target}? tell {src} (multicast to {group}, MAC {})", fmt_mac(&mac)),
            format!("NDP 邻居请求:谁是 {target}?请告诉 {src}(组播到 {group},MAC {})", fmt_mac(&mac)));
        let data = Ndp { target, lladdr: Some(self.mac) }.data(wire::NDP_SOURCE_LL);
        let body = Body::Icmp { kind: wire::ICMPV6_NEIGHBOR_SOLICITATION, code: 0, rest: [0; 4], data };
        let p = Packet6 { src, dst: group, hop_limit: wire::NDP_HOP_LIMIT, body };
        self.emit_ip6(ctx, mac, &p);
    }

    /// A Neighbor Solicitation or Advertisement arrived (RFC 4861 sections 7.2.3 to 7.2.5).
    fn on_ndp(&mut self, ctx: &mut Ctx<'_>, src: Ipv6Addr, hop_limit: u8, kind: u8, data: &[u8]) {
        if hop_limit != wire::NDP_HOP_LIMIT {
            self.log(ctx, LayerKind::Network,
                format!("NDP message from {src} with hop limit {hop_limit}, not 255: dropped (it may have crossed a router)"),
                format!("来自 {src} 的 NDP 报文跳数限制为 {hop_limit} 而不是 255:丢弃(它可能经过了路由器)"));
            return;
        }
        if kind == wire::ICMPV6_NEIGHBOR_SOLICITATION {
            let Some(ns) = Ndp::parse(data, wire::NDP_SOURCE_LL) else { return };
            if !self.is_mine6(ns.target) {
                return;
            }
            // The asker's MAC rides in the solicitation: learn it, as ARP learns from a request.
            let Some(asker) = ns.lladdr.filter(|_| !src.is_unspecified()) else { return };
            self.learn_neighbor(ctx, src, asker);
            let flags = wire::NA_SOLICITED | wire::NA_OVERRIDE;
            let data = Ndp { target: ns.target, lladdr: Some(self.mac) }.data(wire::NDP_TARGET_LL);
            let body = Body::Icmp { kind: wire::ICMPV6_NEIGHBOR_ADVERTISEMENT, code: 0, rest: [flags, 0, 0, 0], data };
            self.log(ctx, LayerKind::Network,
                format!("NDP neighbor advertisement: {} is at {} (solicited, unicast to {src})", ns.target, fmt_mac(&self.mac)),
                format!("NDP 邻居通告:{} 的 MAC 是 {}(对请求的应答,单播给 {src})", ns.target, fmt_mac(&self.mac)));
            let p = Packet6 { src: ns.target, dst: src, hop_limit: wire::NDP_HOP_LIMIT, body };
            self.emit_ip6(ctx, asker, &p);
            self.release(ctx, IpAddr::V6(src), asker);
        } else {
            let Some(Ndp { target, lladdr: Some(mac) }) = Ndp::parse(data, wire::NDP_TARGET_LL) else { return };
            // Only an address we asked about or already know is recorded (RFC 4861 section 7.2.5).
            if self.resolving.contains_key(&IpAddr::V6(target)) || self.neighbors.has(target) {
                self.learn_neighbor(ctx, target, mac);
                self.release(ctx, IpAddr::V6(target), mac);
            }
        }
    }

    fn learn_neighbor(&mut self, ctx: &mut Ctx<'_>, ip: Ipv6Addr, mac: Mac) {
        if self.neighbors.insert(ip, mac, ctx.now) {
            self.log(ctx, LayerKind::Network,
                format!("neighbor cache: {ip} is at {}", fmt_mac(&mac)),
                format!("邻居缓存:{ip} 的 MAC 是 {}", fmt_mac(&mac)));
        }
    }

    fn emit_ip(&mut self, ctx: &mut Ctx<'_>, dst_mac: Mac, p: &Packet, ip: IpParams) {
        match wire::ipv4_frames(self.mac, dst_mac, p, ip, self.mtu) {
            Ok(frames) => {
                if frames.len() > 1 {
                    self.log(ctx, LayerKind::Network,
                        format!("the datagram to {} is larger than the MTU {}: sent as {} fragments (ID 0x{:04x})", p.dst, self.mtu, frames.len(), p.id),
                        format!("发往 {} 的数据报超过 MTU {}:分成 {} 个分片发送(标识 0x{:04x})", p.dst, self.mtu, frames.len(), p.id));
                }
                ctx.actions.extend(frames.into_iter().map(|frame| Action::Send { port: 0, frame }));
            }
            Err(e) => self.log(ctx, LayerKind::Network, format!("cannot send to {}: {e}", p.dst), format!("无法发往 {}:{e}", p.dst)),
        }
    }

    fn send_arp_request(&mut self, ctx: &mut Ctx<'_>, target: Ipv4Addr) {
        let a = Arp { op: wire::ARP_REQUEST, sha: self.mac, spa: self.ip, tha: [0; 6], tpa: target };
        self.log(ctx, LayerKind::Link,
            format!("ARP who-has {target}? tell {} (broadcast)", self.ip),
            format!("ARP 广播询问:谁是 {target}?请告诉 {}", self.ip));
        ctx.actions.push(Action::Send { port: 0, frame: wire::arp_frame(BROADCAST, &a) });
    }

    fn on_arp(&mut self, ctx: &mut Ctx<'_>, a: Arp) {
        // RFC 826: update an existing entry for the sender; if the request is for us, add it.
        let for_us = a.tpa == self.ip;
        if (for_us || self.arp.has(a.spa)) && self.arp.insert(a.spa, a.sha, ctx.now) {
            self.log(ctx, LayerKind::Link,
                format!("ARP cache: {} is at {}", a.spa, fmt_mac(&a.sha)),
                format!("ARP 缓存:{} 的 MAC 是 {}", a.spa, fmt_mac(&a.sha)));
        }
        if !for_us {
            return;
        }
        if a.op == wire::ARP_REQUEST {
            let r = Arp { op: wire::ARP_REPLY, sha: self.mac, spa: self.ip, tha: a.sha, tpa: a.spa };
            self.log(ctx, LayerKind::Link,
                format!("ARP reply: {} is-at {} (unicast to {})", self.ip, fmt_mac(&self.mac), a.spa),
                format!("ARP 应答:{} 的 MAC 是 {}(单播给 {})", self.ip, fmt_mac(&self.mac), a.spa));
            ctx.actions.push(Action::Send { port: 0, frame: wire::arp_frame(a.sha, &r) });
        }
        // Whatever waited for this address can go now.
        self.release(ctx, IpAddr::V4(a.spa), a.sha);
    }

    // ----- receiving -----

    /// A frame arrived on the interface.
    pub fn on_frame(&mut self, ctx: &mut Ctx<'_>, frame: &[u8]) {
        let Some((dst, _)) = wire::macs(frame) else { return };
        if dst != self.mac && dst != BROADCAST && !self.listens_to(dst) {
            return; // the network card filters frames for other addresses
        }
        self.on_parsed(ctx, wire::parse(frame));
    }

    /// The IPv6 multicast groups the interface joined: all-nodes (ff02::1) and the
    /// solicited-node group of each of its addresses.
    fn groups(&self) -> Vec<Ipv6Addr> {
        let mut g = vec![Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1), wire::solicited_node(self.link_local)];
        g.extend(self.ip6.map(|(ip, _)| wire::solicited_node(ip)));
        g
    }

    /// Whether the card takes frames to this multicast MAC (one of its groups').
    fn listens_to(&self, mac: Mac) -> bool {
        self.groups().into_iter().any(|g| wire::multicast_mac(g) == mac)
    }

    fn on_parsed(&mut self, ctx: &mut Ctx<'_>, parsed: Parsed) {
        match parsed {
            Parsed::Arp(a) => self.on_arp(ctx, a),
            Parsed::Ipv4 { packet, datagram, .. } => {
                if packet.dst != self.ip && packet.dst != self.broadcast_addr() && !packet.dst.is_broadcast() {
                    return;
                }
                let to_me = packet.dst == self.ip;
                match packet.body {
                    Body::Tcp(seg) if to_me => self.on_tcp(ctx, IpAddr::V4(packet.src), seg),
                    Body::Udp { src_port, dst_port, payload } => {
                        self.on_udp(ctx, SocketAddr::new(IpAddr::V4(packet.src), src_port), dst_port, payload, to_me, &datagram)
                    }
                    Body::Icmp { kind, code, rest, data } if to_me => self.on_icmp(ctx, packet.src, kind, code, rest, data),
                    _ => {}
                }
            }
            Parsed::Ipv6 { packet, datagram } => {
                let to_me = self.is_mine6(packet.dst);
                if !to_me && !self.groups().contains(&packet.dst) {
                    return;
                }
                let src = IpAddr::V6(packet.src);
                match packet.body {
                    Body::Tcp(seg) if to_me => self.on_tcp(ctx, src, seg),
                    Body::Udp { src_port, dst_port, payload } => {
                        self.on_udp(ctx, SocketAddr::new(src, src_port), dst_port, payload, to_me, &datagram)
                    }
                    Body::Icmp { kind: k @ (wire::ICMPV6_NEIGHBOR_SOLICITATION | wire::ICMPV6_NEIGHBOR_ADVERTISEMENT), data, .. } => {
                        self.on_ndp(ctx, packet.src, packet.hop_limit, k, &data)
                    }
                    Body::Icmp { kind, code, rest, data } if to_me => self.on_icmp6(ctx, packet.src, kind, code, rest, data),
                    _ => {}
                }
            }
            Parsed::Fragment { src, dst, id, protocol, ttl, offset, more, payload } if dst == self.ip => {
                self.on_fragment(ctx, src, id, protocol, ttl, offset, more, &payload);
            }
            Parsed::Fragment { .. } | Parsed::Unsupported(_) => {}
            Parsed::Invalid(why) => self.log(ctx, LayerKind::Network,
                format!("frame dropped: {}", why.en), format!("丢弃帧:{}", why.zh)),
        }
    }

    /// Keeps a fragment until its datagram is whole (RFC 791 section 3.2), then handles the
    /// datagram as if it had come in one packet.
    #[allow(clippy::too_many_arguments)]
    fn on_fragment(&mut self, ctx: &mut Ctx<'_>, src: Ipv4Addr, id: u16, protocol: u8, ttl: u8, offset: usize, more: bool, payload: &[u8]) {
        self.fragments_in += 1;
        let key = DatagramKey { src: src.into(), dst: self.ip.into(), proto: Some(protocol), ident: u32::from(id) };
        let mf = u8::from(more);
        self.log(ctx, LayerKind::Network,
            format!("fragment from {src} (ID 0x{id:04x}) offset {offset} len {} MF={mf}: kept for reassembly", payload.len()),
            format!("收到来自 {src} 的分片(标识 0x{id:04x}):偏移 {offset} 长度 {} MF={mf},留待重组", payload.len()));
        if !self.reassembly_started.iter().any(|(k, _)| *k == key) {
            self.reassembly_started.push_back((key, ctx.now));
            if self.reassembly_started.len() > REASSEMBLY_LIMITS.max_datagrams {
                self.reassembly_started.pop_front(); // the reassembler dropped that one too
            }
            self.wake(ctx, ctx.now + REASSEMBLY_TIMEOUT);
        }
        let Added::Complete(d) = self.reassembly.add(key, self.fragments_in, offset, more, payload) else { return };
        if let Some(&(_, since)) = self.reassembly_started.iter().find(|(k, _)| *k == key) {
            self.reassembly_started.retain(|(k, _)| *k != key);
            // The timer is cancelled, as a kernel deletes it: it will not hold the clock.
            let expiry = since + REASSEMBLY_TIMEOUT;
            if !self.timer_needed_at(expiry) {
                self.wakes.remove(&expiry);
            }
        }
        let n = d.pieces.len();
        self.log(ctx, LayerKind::Network,
            format!("datagram ID 0x{id:04x} from {src} reassembled from {n} fragments: {} bytes of payload", d.payload.len()),
            format!("来自 {src} 的数据报(标识 0x{id:04x})由 {n} 个分片重组完成:载荷 {} 字节", d.payload.len()));
        let ip = IpParams { ttl, dont_fragment: Some(false) };
        match wire::ipv4_datagram(src, self.ip, id, ip, protocol, &d.payload) {
            Ok(datagram) => self.on_parsed(ctx, wire::parse_ipv4(&datagram)),
            Err(why) => self.log(ctx, LayerKind::Network,
                format!("reassembled datagram dropped: {why}"), format!("丢弃重组后的数据报:{why}")),
        }
    }

    fn on_icmp(&mut self, ctx: &mut Ctx<'_>, src: Ipv4Addr, kind: u8, code: u8, rest: [u8; 4], data: Vec<u8>) {
        let seq = u16::from_be_bytes([rest[2], rest[3]]);
        match (kind, code) {
            (wire::ICMP_ECHO_REQUEST, 0) => {
                self.log(ctx, LayerKind::Network,
                    format!("ICMP echo request from {src} (seq {seq}): replying"),
                    format!("收到来自 {src} 的 ICMP 回显请求(序号 {seq}):回复"));
                self.send_ip(ctx, src, Body::Icmp { kind: wire::ICMP_ECHO_REPLY, code: 0, rest, data });
            }
            (wire::ICMP_ECHO_REPLY, 0) => self.log(ctx, LayerKind::Network,
                format!("ICMP echo reply from {src} (seq {seq})"),
                format!("收到来自 {src} 的 ICMP 回显应答(序号 {seq})")),
            (wire::ICMP_UNREACHABLE, c) => {
                let about = wire::describe_quoted(&data).unwrap_or_default();
                let mtu = u16::from_be_bytes([rest[2], rest[3]]);
                let (en, zh) = match c {
                    wire::ICMP_NET_UNREACHABLE => ("network unreachable (a router has no route)".to_string(), "网络不可达(路由器没有路由)".to_string()),
                    wire::ICMP_HOST_UNREACHABLE => ("host unreachable".into(), "主机不可达".into()),
                    wire::ICMP_PORT_UNREACHABLE => ("port unreachable".into(), "端口不可达".into()),
                    wire::ICMP_FRAG_NEEDED => (
                        format!("fragmentation needed and DF set, next-hop MTU {mtu}"),
                        format!("需要分片但设置了 DF,下一跳 MTU {mtu}"),
                    ),
                    _ => ("another reason".into(), "其他原因".into()),
                };
                self.log(ctx, LayerKind::Network,
                    format!("ICMP destination unreachable (code {c}) from {src}: {en}; it quotes {about}"),
                    format!("收到来自 {src} 的 ICMP 目的不可达(代码 {c}):{zh};引用的是 {about}"));
                let errno = match c {
                    0 => "ENETUNREACH",
                    2 => "ENOPROTOOPT",
                    3 => "ECONNREFUSED",
                    4 => "EMSGSIZE",
                    _ => "EHOSTUNREACH",
                };
                self.icmp_error_to_socket(ctx, errno, &data);
            }
            (wire::ICMP_TIME_EXCEEDED, c) => {
                let about = wire::describe_quoted(&data).unwrap_or_default();
                let (en, zh) = if c == 0 {
                    ("TTL reached 0 in transit", "TTL 在途中减到 0")
                } else {
                    ("fragment reassembly time exceeded", "分片重组超时")
                };
                self.log(ctx, LayerKind::Network,
                    format!("ICMP time exceeded (code {c}) from {src}: {en}; it quotes {about}"),
                    format!("收到来自 {src} 的 ICMP 超时(代码 {c}):{zh};引用的是 {about}"));
            }
            (k, c) => self.log(ctx, LayerKind::Network,
                format!("ICMP type {k} code {c} from {src} ignored"),
                format!("忽略来自 {src} 的 ICMP 类型 {k} 代码 {c}")),
        }
    }

    /// ICMPv6 messages other than Neighbor Discovery (RFC 4443): echo, and the errors.
    fn on_icmp6(&mut self, ctx: &mut Ctx<'_>, src: Ipv6Addr, kind: u8, code: u8, rest: [u8; 4], data: Vec<u8>) {
        let seq = u16::from_be_bytes([rest[2], rest[3]]);
        match kind {
            wire::ICMPV6_ECHO_REQUEST => {
                self.log(ctx, LayerKind::Network,
                    format!("ICMPv6 echo request from {src} (seq {seq}): replying"),
                    format!("收到来自 {src} 的 ICMPv6 回显请求(序号 {seq}):回复"));
                self.send_ip6(ctx, src, Body::Icmp { kind: wire::ICMPV6_ECHO_REPLY, code: 0, rest, data });
            }
            wire::ICMPV6_ECHO_REPLY => self.log(ctx, LayerKind::Network,
                format!("ICMPv6 echo reply from {src} (seq {seq})"),
                format!("收到来自 {src} 的 ICMPv6 回显应答(序号 {seq})")),
            wire::ICMPV6_UNREACHABLE => {
                let about = wire::describe_quoted(&data).unwrap_or_default();
                let (en, zh, errno) = match code {
                    0 => ("no route to destination", "没有到目的地的路由", "ENETUNREACH"),
                    1 => ("communication administratively prohibited", "管理上禁止通信", "EACCES"),
                    3 => ("address unreachable", "地址不可达", "EHOSTUNREACH"),
                    wire::ICMPV6_PORT_UNREACHABLE => ("port unreachable", "端口不可达", "ECONNREFUSED"),
                    _ => ("another reason", "其他原因", "EHOSTUNREACH"),
                };
                self.log(ctx, LayerKind::Network,
                    format!("ICMPv6 destination unreachable (code {code}) from {src}: {en}; it quotes {about}"),
                    format!("收到来自 {src} 的 ICMPv6 目的不可达(代码 {code}):{zh};引用的是 {about}"));
                self.icmp_error_to_socket(ctx, errno, &data);
            }
            wire::ICMPV6_TIME_EXCEEDED => {
                let about = wire::describe_quoted(&data).unwrap_or_default();
                let (en, zh) = if code == 0 {
                    ("hop limit reached 0 in transit", "跳数限制在途中减到 0")
                } else {
                    ("fragment reassembly time exceeded", "分片重组超时")
                };
                self.log(ctx, LayerKind::Network,
                    format!("ICMPv6 time exceeded (code {code}) from {src}: {en}; it quotes {about}"),
                    format!("收到来自 {src} 的 ICMPv6 超时(代码 {code}):{zh};引用的是 {about}"));
            }
            wire::ICMPV6_PACKET_TOO_BIG => {
                let about = wire::describe_quoted(&data).unwrap_or_default();
                let mtu = u32::from_be_bytes(rest);
                self.log(ctx, LayerKind::Network,
                    format!("ICMPv6 packet too big from {src}: the next link's MTU is {mtu} (IPv6 routers never fragment); it quotes {about}"),
                    format!("收到来自 {src} 的 ICMPv6 分组过大:下一段链路的 MTU 是 {mtu}(IPv6 路由器从不分片);引用的是 {about}"));
            }
            k => self.log(ctx, LayerKind::Network,
                format!("ICMPv6 type {k} code {code} from {src} ignored"),
                format!("忽略来自 {src} 的 ICMPv6 类型 {k} 代码 {code}")),
        }
    }

    /// An ICMP or ICMPv6 error quotes the start of the datagram it is about (RFC 792, RFC 4443):
    /// if that was a UDP datagram from a connected socket to its peer, the socket's next call
    /// reports the error as `errno` (Linux's icmp_err_convert; an unconnected socket is not told).
    fn icmp_error_to_socket(&mut self, ctx: &mut Ctx<'_>, errno: &'static str, quote: &[u8]) {
        let Some((sport, to)) = wire::quoted_udp(quote) else { return };
        let sock = self.sockets.values_mut().find(|s| matches!(s, Socket::Udp { port, peer: Some(p), .. } if *port == sport && *p == to));
        if let Some(Socket::Udp { error, .. }) = sock {
            *error = Some(errno);
            self.log(ctx, LayerKind::Transport,
                format!("it quotes our UDP datagram from port {sport} to {to}: that connected socket's next call fails with {errno}"),
                format!("它引用了我们从 {sport} 端口发往 {to} 的 UDP 数据报:这个已连接套接字的下一次调用将以 {errno} 失败"));
        }
    }

    fn on_udp(&mut self, ctx: &mut Ctx<'_>, from: SocketAddr, dport: u16, payload: Vec<u8>, to_me: bool, datagram: &[u8]) {
        // A socket is named by (IP, protocol, port): an AF_INET socket never sees IPv6
        // datagrams to its port number. A connected socket takes datagrams from its peer only.
        let family = Family::of(from.ip());
        let sock = self.sockets.values_mut().find(|s| {
            matches!(s, Socket::Udp { port, family: f, peer, .. } if *port == dport && *f == family && peer.is_none_or(|p| p == from))
        });
        if let Some(Socket::Udp { queue, .. }) = sock {
            queue.push_back((from, payload));
            return;
        }
        if !to_me {
            return; // no ICMP errors about broadcasts (RFC 1122 section 3.2.2)
        }
        match from.ip() {
            IpAddr::V4(src) => {
                self.log(ctx, LayerKind::Transport,
                    format!("UDP datagram to port {dport}, where no socket is bound: ICMP port unreachable"),
                    format!("UDP 数据报发往 {dport} 端口,但没有套接字绑定:回 ICMP 端口不可达"));
                // Quote the datagram, at most 576 bytes in all (RFC 1812 section 4.3.2.3).
                let data = datagram.get(..548).unwrap_or(datagram).to_vec();
                self.send_ip(ctx, src, Body::Icmp { kind: wire::ICMP_UNREACHABLE, code: wire::ICMP_PORT_UNREACHABLE, rest: [0; 4], data });
            }
            IpAddr::V6(src) => {
                self.log(ctx, LayerKind::Transport,
                    format!("UDP datagram over IPv6 to port {dport}, where no AF_INET6 socket is bound: ICMPv6 port unreachable"),
                    format!("经 IPv6 发往 {dport} 端口的 UDP 数据报,没有 AF_INET6 套接字绑定该端口:回 ICMPv6 端口不可达"));
                // Quote as much as fits in the minimum IPv6 MTU (RFC 4443 section 3.1).
                let data = datagram.get(..wire::IPV6_MIN_MTU - 48).unwrap_or(datagram).to_vec();
                let body = Body::Icmp { kind: wire::ICMPV6_UNREACHABLE, code: wire::ICMPV6_PORT_UNREACHABLE, rest: [0; 4], data };
                self.send_ip6(ctx, src, body);
            }
        }
    }

    fn on_tcp(&mut self, ctx: &mut Ctx<'_>, src: IpAddr, seg: Segment) {
        let conn = self.sockets.iter().find_map(|(fd, s)| match s {
            Socket::Stream { tcb, remote, .. }
                if *remote == src
                    && tcb.local_port == seg.dst_port
                    && tcb.remote_port == seg.src_port
                    && tcb.state() != crate::tcp::State::Closed =>
            {
                Some(*fd)
            }
            _ => None,
        });
        if let Some(fd) = conn {
            if let Some(Socket::Stream { tcb, .. }) = self.sockets.get_mut(&fd) {
                let out = tcb.on_segment(&seg, ctx.now);
                self.tcp_output(ctx, fd, out);
            }
            return;
        }
        let listener = self.sockets.iter().find_map(|(fd, s)| match s {
            Socket::Listener { port, family, .. } if *port == seg.dst_port && *family == Family::of(src) => Some(*fd),
            _ => None,
        });
        use crate::tcp::{ACK, RST, SYN};
        if let (Some(l), true) = (listener, seg.has(SYN) && !seg.has(ACK) && !seg.has(RST)) {
            let iss = self.rng.next_u64() as u32;
            let mss = crate::tcp::mss_for_mtu(self.mtu, src.is_ipv6());
            let (tcb, out) = Tcb::accept_syn(&seg, iss, mss, ctx.now);
            let fd = self.next_fd;
            self.next_fd += 1;
            self.sockets.insert(fd, Socket::Stream { tcb: Box::new(tcb), remote: src, listener: Some(l), closed_by_app: false, accepted: false });
            self.tcp_output(ctx, fd, out);
            return;
        }
        if let Some(r) = Segment::reset_for(&seg) {
            self.log(ctx, LayerKind::Transport,
                format!("TCP segment to port {} that no connection or listener wants: RST", seg.dst_port),
                format!("TCP 报文段发往 {} 端口,没有连接或监听者:回 RST", seg.dst_port));
            self.send_to_addr(ctx, src, Body::Tcp(r), IpParams::default());
        }
    }

    /// Sends what a connection produced and writes its events to the timeline.
    fn tcp_output(&mut self, ctx: &mut Ctx<'_>, fd: Fd, out: Output) {
        let Some(Socket::Stream { tcb, remote, listener, closed_by_app, accepted }) = self.sockets.get(&fd) else { return };
        let (remote, listener, closed_by_app, accepted) = (*remote, *listener, *closed_by_app, *accepted);
        let local = SocketAddr::new(self.local_ip(Family::of(remote)), tcb.local_port);
        let peer = SocketAddr::new(remote, tcb.remote_port);
        let label = format!("{local} ↔ {peer}");
        let deadline = tcb.deadline();
        let state = tcb.state();
        for e in &out.events {
            if let TcpEvent::State { from, to } = e {
                self.tcp_states.push(StateChange {
                    time: ctx.now,
                    fd,
                    local,
                    remote: Some(peer),
                    from: *from,
                    to: *to,
                });
            }
            let (en, zh) = match e {
                TcpEvent::State { from, to } => (
                    format!("TCP {label}: {} → {}", from.name(), to.name()),
                    format!("TCP {label}:{} → {}", from.name(), to.name()),
                ),
                TcpEvent::Mss { ours, peer: Some(theirs), using } => (
                    format!("TCP MSS {ours} announced, the peer's {theirs}; segments up to {using} bytes"),
                    format!("TCP 本端通告 MSS {ours},对方通告 {theirs};报文段最多 {using} 字节"),
                ),
                TcpEvent::Mss { ours, peer: None, using } => (
                    format!("TCP MSS {ours} announced, none from the peer (536 assumed); segments up to {using} bytes"),
                    format!("TCP 本端通告 MSS {ours},对方没有通告(按 536 计);报文段最多 {using} 字节"),
                ),
                TcpEvent::Timeout { next_rto, retries } => (
                    format!("TCP retransmission timeout #{retries} (next timeout {} ms)", next_rto / 1_000_000),
                    format!("TCP 重传超时第 {retries} 次(下次超时 {} 毫秒)", next_rto / 1_000_000),
                ),
                TcpEvent::Retransmit { seq: 0, len: 0 } if state == crate::tcp::State::SynReceived => {
                    ("TCP retransmits its SYN+ACK".into(), "TCP 重传 SYN+ACK".into())
                }
                TcpEvent::Retransmit { seq: 0, len: 0 } => ("TCP retransmits its SYN".into(), "TCP 重传 SYN".into()),
                TcpEvent::Retransmit { seq, len: 0 } => (
                    format!("TCP retransmits its FIN at relative Seq={seq}"),
                    format!("TCP 重传 FIN(相对序号 {seq})"),
                ),
                TcpEvent::Retransmit { seq, len } => (
                    format!("TCP retransmits {len} bytes at relative Seq={seq}"),
                    format!("TCP 重传相对序号 {seq} 起的 {len} 个字节"),
                ),
                TcpEvent::Delivered { .. } => continue,
                TcpEvent::WindowProbe => (
                    "TCP peer's window is zero: sending a one-byte window probe".into(),
                    "TCP 对方窗口为零:发送一个字节的窗口探测".into(),
                ),
                TcpEvent::OutOfOrder { seq } => (
                    format!("TCP segment at relative Seq={seq} arrived after a hole: kept, duplicate ACK"),
                    format!("TCP 报文段(相对序号 {seq})在缺口之后到达:先存着,发送重复 ACK"),
                ),
                TcpEvent::FastRetransmit { seq } => (
                    format!("TCP third duplicate ACK: fast retransmit from relative Seq={seq}, no waiting for the timer"),
                    format!("TCP 收到第三个重复 ACK:从相对序号 {seq} 快速重传,不等超时"),
                ),
                TcpEvent::Reset => ("TCP connection reset by the peer".into(), "TCP 连接被对方重置".into()),
                TcpEvent::Refused => ("TCP connection refused (RST)".into(), "TCP 连接被拒绝(RST)".into()),
                TcpEvent::TimedOut => ("TCP gives up: too many timeouts".into(), "TCP 放弃:超时次数过多".into()),
            };
            self.log(ctx, LayerKind::Transport, en, zh);
        }
        for seg in out.segments {
            self.send_to_addr(ctx, remote, Body::Tcp(seg), IpParams::default());
        }
        if let Some(t) = deadline {
            self.wake(ctx, t);
        }
        // A passively opened connection joins its listener's queue once established.
        let established = out.events.iter().any(|e| matches!(e, TcpEvent::State { to: crate::tcp::State::Established, .. }));
        if let (true, Some(l)) = (established, listener) {
            if let Some(Socket::Listener { backlog, .. }) = self.sockets.get_mut(&l) {
                backlog.push_back(fd);
            }
        }
        // A closed connection no application holds any more is forgotten.
        if state == crate::tcp::State::Closed && (closed_by_app || !accepted) {
            self.sockets.remove(&fd);
            for s in self.sockets.values_mut() {
                if let Socket::Listener { backlog, .. } = s {
                    backlog.retain(|c| *c != fd);
                }
            }
        }
    }

    /// Whether a wake-up at `t` is still wanted; the network skips those that are not.
    pub fn timer_set(&self, t: Nanos) -> bool {
        self.wakes.contains(&t)
    }

    /// Whether anything still has to happen at exactly `t`.
    fn timer_needed_at(&self, t: Nanos) -> bool {
        self.resolving.values().any(|(_, at)| *at == t)
            || self.reassembly_started.iter().any(|(_, since)| since + REASSEMBLY_TIMEOUT == t)
            || self.apps.iter().any(|a| a.wake_at == Some(t))
            || self.sockets.values().any(|s| matches!(s, Socket::Stream { tcb, .. } if tcb.deadline() == Some(t)))
    }

    /// Timers: ARP retries, reassembly timeouts, TCP retransmission and TIME-WAIT.
    pub fn on_timer(&mut self, ctx: &mut Ctx<'_>) {
        self.wakes.retain(|t| *t > ctx.now);
        while let Some(&(key, since)) = self.reassembly_started.front() {
            if since + REASSEMBLY_TIMEOUT > ctx.now {
                break;
            }
            self.reassembly_started.pop_front();
            if self.reassembly.discard(&key) {
                self.log(ctx, LayerKind::Network,
                    format!("reassembly of datagram ID 0x{:04x} from {} timed out after 30 s: its fragments are dropped", key.ident, key.src),
                    format!("来自 {} 的数据报(标识 0x{:04x})30 秒内没有重组完成:丢弃已收到的分片", key.src, key.ident));
            }
        }
        let due: Vec<(IpAddr, u32)> =
            self.resolving.iter().filter(|(_, (_, at))| *at <= ctx.now).map(|(ip, (n, _))| (*ip, *n)).collect();
        for (ip, tries) in due {
            if tries >= ARP_TRIES {
                self.resolving.remove(&ip);
                let before = self.pending.len();
                self.pending.retain(|(p, _)| *p != ip);
                let dropped = before - self.pending.len();
                match ip {
                    IpAddr::V4(_) => self.log(ctx, LayerKind::Link,
                        format!("ARP: no answer for {ip} after {tries} requests: {dropped} packet(s) dropped (host unreachable)"),
                        format!("ARP:{tries} 次询问 {ip} 都没有应答:丢弃 {dropped} 个分组(主机不可达)")),
                    IpAddr::V6(_) => self.log(ctx, LayerKind::Network,
                        format!("NDP: no advertisement for {ip} after {tries} solicitations: {dropped} packet(s) dropped (address unreachable)"),
                        format!("NDP:{tries} 次邻居请求 {ip} 都没有通告:丢弃 {dropped} 个分组(地址不可达)")),
                }
            } else {
                self.resolving.insert(ip, (tries + 1, ctx.now + ARP_RETRY));
                self.solicit(ctx, ip);
                self.wake(ctx, ctx.now + ARP_RETRY);
            }
        }
        let due: Vec<Fd> = self
            .sockets
            .iter()
            .filter_map(|(fd, s)| match s {
                Socket::Stream { tcb, .. } if tcb.deadline().is_some_and(|t| t <= ctx.now) => Some(*fd),
                _ => None,
            })
            .collect();
        for fd in due {
            if let Some(Socket::Stream { tcb, .. }) = self.sockets.get_mut(&fd) {
                let out = tcb.on_timer(ctx.now);
                self.tcp_output(ctx, fd, out);
            }
        }
    }

    // ----- the socket API, driven by applications -----

    /// Runs every application until each waits or ends.
    pub fn run_apps(&mut self, ctx: &mut Ctx<'_>) {
        let mut apps = std::mem::take(&mut self.apps);
        for app in &mut apps {
            for _ in 0..10_000 {
                if app.finished() {
                    break;
                }
                if app.wake_at.is_some_and(|t| t > ctx.now) {
                    break;
                }
                let Some(call) = app.calls.get(app.pc).cloned() else { break };
                match self.call(ctx, app, &call) {
                    Step::Done => {
                        app.pc += 1;
                        app.waiting = false;
                        app.wake_at = None;
                        app.timeout_at = None;
                    }
                    Step::Wait => break,
                    Step::Fail(e) => {
                        self.log(ctx, LayerKind::Application, format!("{}: {}", app.name, e.en), format!("{}:{}", app.name, e.zh));
                        app.error = Some(e);
                    }
                }
            }
        }
        // Applications started while these ran (none today) would be kept.
        apps.append(&mut self.apps);
        self.apps = apps;
    }

    /// One recv(1024) on a connection with something to read or at its end.
    fn recv_chunk(&mut self, ctx: &mut Ctx<'_>, app: &mut App, fd: Fd) -> Vec<u8> {
        let Some(Socket::Stream { tcb, .. }) = self.sockets.get_mut(&fd) else { return Vec::new() };
        let got = tcb.recv(1024);
        let update = tcb.window_update();
        self.tcp_output(ctx, fd, update);
        if got.is_empty() {
            self.app_log(ctx, app, "recv(1024) = b'' (the peer closed)".into(), "recv(1024) 返回 b''(对方已关闭)".into());
        } else {
            self.app_log(ctx, app, format!("recv(1024) = {}", quote(&got)), format!("recv(1024) 收到 {}", quote(&got)));
            app.received.extend_from_slice(&got);
        }
        app.messages.push(got.clone());
        got
    }

    /// The loop `while True: data = recv(1024); if not data: break`, for as long as there is
    /// something to read; done at the end of the stream.
    fn recv_until_closed(&mut self, ctx: &mut Ctx<'_>, app: &mut App, fd: Fd) -> Step {
        loop {
            let Some(Socket::Stream { tcb, .. }) = self.sockets.get(&fd) else {
                return fail("recv() on a socket that is not connected (ENOTCONN)", "recv():套接字没有连接(ENOTCONN)");
            };
            if let (0, Some(e)) = (tcb.readable(), tcb.error()) {
                return failed("recv()", e.name());
            }
            if tcb.readable() == 0 && !tcb.at_eof() {
                return self.wait(ctx, app, "recv(1024)");
            }
            if self.recv_chunk(ctx, app, fd).is_empty() {
                return Step::Done;
            }
        }
    }

    /// recv() on a UDP socket: one datagram, or the error an ICMP message left.
    fn recv_datagram(&mut self, ctx: &mut Ctx<'_>, app: &mut App, fd: Fd) -> Step {
        if let Some(e) = self.take_udp_error(fd) {
            return failed("recv()", e);
        }
        let Some(Socket::Udp { queue, .. }) = self.sockets.get_mut(&fd) else { return no_socket("recv()") };
        let Some((_, data)) = queue.pop_front() else { return self.wait(ctx, app, "recv(1024)") };
        self.app_log(ctx, app, format!("recv(1024) = {}", quote(&data)), format!("recv(1024) 收到 {}", quote(&data)));
        app.received.extend_from_slice(&data);
        app.messages.push(data);
        Step::Done
    }

    fn took_datagram(&self, ctx: &mut Ctx<'_>, app: &mut App, from: SocketAddr, data: Vec<u8>) {
        self.app_log(ctx, app,
            format!("recvfrom(1024) = ({}, {})", quote(&data), py_addr(&from)),
            format!("recvfrom(1024) 收到 {},来自 {}", quote(&data), py_addr(&from)));
        app.received.extend_from_slice(&data);
        app.messages.push(data);
        app.last_from = Some(from);
    }

    /// The error an ICMP message left on a UDP socket, reported once (as SO_ERROR is).
    fn take_udp_error(&mut self, fd: Fd) -> Option<&'static str> {
        match self.sockets.get_mut(&fd) {
            Some(Socket::Udp { error, .. }) => error.take(),
            _ => None,
        }
    }

    fn listener_state(&mut self, ctx: &Ctx<'_>, fd: Fd, family: Family, port: u16, from: State, to: State) {
        let local = SocketAddr::new(self.local_ip(family), port);
        self.tcp_states.push(StateChange { time: ctx.now, fd, local, remote: None, from, to });
    }

    fn app_log(&self, ctx: &mut Ctx<'_>, app: &App, en: String, zh: String) {
        ctx.log(&self.name, LayerKind::Application, format!("{}: {en}", app.name), format!("{}:{zh}", app.name));
    }

    fn ephemeral_port(&mut self) -> u16 {
        loop {
            let p = self.rng.range(u64::from(EPHEMERAL), 65536) as u16;
            let used = self.sockets.values().any(|s| match s {
                Socket::Fresh { port, .. } => *port == Some(p),
                Socket::Udp { port, .. } | Socket::Listener { port, .. } => *port == p,
                Socket::Stream { tcb, .. } => tcb.local_port == p,
            });
            if !used {
                return p;
            }
        }
    }

    /// Waits once: the timeline says so the first time only.
    fn wait(&self, ctx: &mut Ctx<'_>, app: &mut App, what: &str) -> Step {
        if !app.waiting {
            app.waiting = true;
            self.app_log(ctx, app, format!("{what} blocks, waiting"), format!("{what} 阻塞等待"));
        }
        Step::Wait
    }

    /// connect(): TCP starts the handshake and waits for it; UDP only notes the peer.
    fn connect(&mut self, ctx: &mut Ctx<'_>, app: &mut App, slot: usize, to: SocketAddr) -> Step {
        let Some(fd) = app.slots.get(&slot).copied() else { return no_socket("connect()") };
        if let Some(e) = self.wrong_family(fd, to.ip()) {
            return fail(format!("connect() {}", e.en), format!("connect():{}", e.zh));
        }
        match self.sockets.get(&fd) {
            Some(Socket::Fresh { kind: Kind::Stream, port, .. }) => {
                let local = port.unwrap_or_else(|| self.ephemeral_port());
                let iss = self.rng.next_u64() as u32;
                let mss = crate::tcp::mss_for_mtu(self.mtu, to.is_ipv6());
                let (tcb, out) = Tcb::connect(local, to.port(), iss, mss, ctx.now);
                self.sockets.insert(fd, Socket::Stream { tcb: Box::new(tcb), remote: to.ip(), listener: None, closed_by_app: false, accepted: true });
                self.app_log(ctx, app,
                    format!("connect({}) from port {local}", py_addr(&to)),
                    format!("connect({}),本地端口 {local}", py_addr(&to)));
                self.tcp_output(ctx, fd, out);
                self.wait(ctx, app, "connect()")
            }
            Some(Socket::Stream { tcb, .. }) => match (tcb.state(), tcb.error()) {
                (_, Some(e)) => failed("connect()", e.name()),
                (crate::tcp::State::SynSent | crate::tcp::State::SynReceived, _) => Step::Wait,
                _ => {
                    self.app_log(ctx, app, "connect() returns: connected".into(), "connect() 返回:已连接".into());
                    Step::Done
                }
            },
            Some(Socket::Fresh { kind: Kind::Datagram, .. } | Socket::Udp { .. }) => {
                // No packet: UDP only notes the peer (and binds an ephemeral port).
                let port = match self.sockets.get(&fd) {
                    Some(Socket::Udp { port, .. }) => *port,
                    _ => self.ephemeral_port(),
                };
                let queue = match self.sockets.remove(&fd) {
                    Some(Socket::Udp { queue, .. }) => queue,
                    _ => VecDeque::new(),
                };
                let family = Family::of(to.ip());
                self.sockets.insert(fd, Socket::Udp { port, family, queue, peer: Some(to), error: None });
                self.app_log(ctx, app,
                    format!("connect({}) from port {port}: UDP only remembers the peer, nothing is sent", py_addr(&to)),
                    format!("connect({}),本地端口 {port}:UDP 只是记下对方地址,线路上什么也不发", py_addr(&to)));
                Step::Done
            }
            _ => fail("connect() on a socket already in use (EISCONN)", "connect():套接字已在使用中(EISCONN)"),
        }
    }

    /// sendto(): one datagram, from the socket's port (an ephemeral one if it has none yet).
    fn send_to(&mut self, ctx: &mut Ctx<'_>, app: &mut App, slot: usize, data: &[u8], to: SocketAddr) -> Step {
        let Some(fd) = app.slots.get(&slot).copied() else { return no_socket("sendto()") };
        if let Some(e) = self.wrong_family(fd, to.ip()) {
            return fail(format!("sendto() {}", e.en), format!("sendto():{}", e.zh));
        }
        let port = match self.sockets.get(&fd) {
            Some(Socket::Udp { port, .. }) => *port,
            Some(Socket::Fresh { kind: Kind::Datagram, family, .. }) => {
                // An unbound UDP socket gets an ephemeral port on its first sendto().
                let family = *family;
                let p = self.ephemeral_port();
                self.sockets.insert(fd, Socket::Udp { port: p, family, queue: VecDeque::new(), peer: None, error: None });
                p
            }
            _ => return fail("sendto() needs a SOCK_DGRAM socket (EOPNOTSUPP)", "sendto() 只能用在 SOCK_DGRAM 套接字上(EOPNOTSUPP)"),
        };
        if let Some(e) = self.take_udp_error(fd) {
            return failed("sendto()", e);
        }
        self.app_log(ctx, app,
            format!("sendto({}, {}) = {}", quote(data), py_addr(&to), data.len()),
            format!("sendto({}, {}) 发出 {} 个字节", quote(data), py_addr(&to), data.len()));
        let ip = self.ip_params.get(&fd).copied().unwrap_or_default();
        self.send_to_addr(ctx, to.ip(), Body::Udp { src_port: port, dst_port: to.port(), payload: data.to_vec() }, ip);
        Step::Done
    }

    /// The second word of an echo request: this host's ping identifier and the sequence number.
    fn echo_id_seq(&self, seq: u16) -> [u8; 4] {
        let [a, b] = self.ping_id.to_be_bytes();
        let [c, d] = seq.to_be_bytes();
        [a, b, c, d]
    }

    /// Why a socket cannot take an address of the other family (`socket(AF_INET)` and an IPv6
    /// address): Linux says EAFNOSUPPORT.
    fn wrong_family(&self, fd: Fd, ip: IpAddr) -> Option<OwnedText> {
        let family = match self.sockets.get(&fd)? {
            Socket::Fresh { family, .. } | Socket::Udp { family, .. } | Socket::Listener { family, .. } => *family,
            Socket::Stream { remote, .. } => Family::of(*remote),
        };
        (family != Family::of(ip)).then(|| {
            OwnedText::new(format!("to {ip} on an {} socket (EAFNOSUPPORT)", family.name()), format!("{} 套接字不能发往 {ip}(EAFNOSUPPORT)", family.name()))
        })
    }

    fn call(&mut self, ctx: &mut Ctx<'_>, app: &mut App, call: &Call) -> Step {
        let fd_of = |app: &App, slot: &usize| app.slots.get(slot).copied();
        match call {
            Call::Socket { slot, kind } | Call::Socket6 { slot, kind } => {
                let family = if matches!(call, Call::Socket6 { .. }) { Family::Inet6 } else { Family::Inet };
                let fd = self.next_fd;
                self.next_fd += 1;
                self.sockets.insert(fd, Socket::Fresh { kind: *kind, family, port: None });
                app.slots.insert(*slot, fd);
                self.app_log(ctx, app,
                    format!("socket({}, {}) = {fd}", family.name(), kind.name()),
                    format!("socket({}, {}) 返回 {fd}", family.name(), kind.name()));
                Step::Done
            }
            Call::Bind { slot, port } => {
                let Some(fd) = fd_of(app, slot) else { return no_socket("bind()") };
                // TCP and UDP ports are separate: a bind clashes only with the same protocol. So
                // are IPv4 and IPv6 ones here, as each socket binds the host's address of its
                // family: (IP, protocol, port) is the name.
                let (udp, family) = match self.sockets.get(&fd) {
                    Some(Socket::Fresh { kind, family, .. }) => (*kind == Kind::Datagram, *family),
                    _ => return fail("bind() on a socket already bound (EINVAL)", "bind():套接字已经绑定过了(EINVAL)"),
                };
                let taken = self.sockets.values().any(|s| match s {
                    Socket::Udp { port: p, family: f, .. } => udp && p == port && *f == family,
                    Socket::Listener { port: p, family: f, .. } => !udp && p == port && *f == family,
                    Socket::Fresh { port: p, kind, family: f } => (*kind == Kind::Datagram) == udp && *p == Some(*port) && *f == family,
                    Socket::Stream { .. } => false,
                });
                if taken {
                    return fail(format!("bind() to port {port}: address already in use (EADDRINUSE)"), format!("bind() 到端口 {port}:地址已被占用(EADDRINUSE)"));
                }
                match self.sockets.get_mut(&fd) {
                    Some(Socket::Fresh { kind: Kind::Datagram, .. }) => {
                        self.sockets.insert(fd, Socket::Udp { port: *port, family, queue: VecDeque::new(), peer: None, error: None });
                    }
                    Some(Socket::Fresh { port: p, .. }) => *p = Some(*port),
                    _ => return fail("bind() on a socket already bound (EINVAL)", "bind():套接字已经绑定过了(EINVAL)"),
                }
                let addr = py_addr(&SocketAddr::new(self.local_ip(family), *port));
                self.app_log(ctx, app, format!("bind({addr})"), format!("bind({addr}) 绑定地址和端口"));
                Step::Done
            }
            Call::Listen { slot } => {
                let Some(fd) = fd_of(app, slot) else { return no_socket("listen()") };
                let (port, family) = match self.sockets.get(&fd) {
                    Some(Socket::Fresh { kind: Kind::Stream, port, family }) => (*port, *family),
                    _ => return fail("listen() needs a fresh SOCK_STREAM socket (EOPNOTSUPP)", "listen() 需要一个新建的 SOCK_STREAM 套接字(EOPNOTSUPP)"),
                };
                let port = port.unwrap_or_else(|| self.ephemeral_port());
                self.sockets.insert(fd, Socket::Listener { port, family, backlog: VecDeque::new() });
                self.listener_state(ctx, fd, family, port, State::Closed, State::Listen);
                self.app_log(ctx, app,
                    format!("listen(): TCP port {port} CLOSED → LISTEN"),
                    format!("listen():TCP 端口 {port} CLOSED → LISTEN"));
                Step::Done
            }
            Call::Accept { listener, into } => {
                let Some(fd) = fd_of(app, listener) else { return no_socket("accept()") };
                let next = match self.sockets.get_mut(&fd) {
                    Some(Socket::Listener { backlog, .. }) => backlog.pop_front(),
                    _ => return fail("accept() on a socket that does not listen (EINVAL)", "accept():套接字没有在监听(EINVAL)"),
                };
                let Some(conn) = next else { return self.wait(ctx, app, "accept()") };
                app.slots.insert(*into, conn);
                if let Some(Socket::Stream { accepted, .. }) = self.sockets.get_mut(&conn) {
                    *accepted = true;
                }
                let peer = match self.sockets.get(&conn) {
                    Some(Socket::Stream { tcb, remote, .. }) => py_addr(&SocketAddr::new(*remote, tcb.remote_port)),
                    _ => "?".into(),
                };
                self.app_log(ctx, app,
                    format!("accept() = ({conn}, {peer})"),
                    format!("accept() 返回新套接字 {conn},对方 {peer}"));
                Step::Done
            }
            Call::Connect { slot, to } => self.connect(ctx, app, *slot, SocketAddr::V4(*to)),
            Call::Connect6 { slot, to } => self.connect(ctx, app, *slot, SocketAddr::V6(*to)),
            Call::Send { slot, data } => {
                let Some(fd) = fd_of(app, slot) else { return no_socket("send()") };
                if let Some(Socket::Udp { port, peer, .. }) = self.sockets.get(&fd) {
                    let (port, Some(to)) = (*port, *peer) else {
                        return fail("send() on a UDP socket with no peer: connect() first (EDESTADDRREQ)", "send():UDP 套接字还没有对方地址,先调用 connect()(EDESTADDRREQ)");
                    };
                    if let Some(e) = self.take_udp_error(fd) {
                        return failed("send()", e);
                    }
                    self.app_log(ctx, app,
                        format!("send({}) = {}: one datagram to {to}", quote(data), data.len()),
                        format!("send({}) 发出 {} 个字节:一个发往 {to} 的数据报", quote(data), data.len()));
                    self.send_to_addr(ctx, to.ip(), Body::Udp { src_port: port, dst_port: to.port(), payload: data.clone() }, IpParams::default());
                    return Step::Done;
                }
                let now = ctx.now;
                let out = match self.sockets.get_mut(&fd) {
                    Some(Socket::Stream { tcb, closed_by_app: false, .. }) => tcb.send(data, now),
                    _ => Err(TcpError::NotConnected),
                };
                match out {
                    Ok(out) => {
                        self.app_log(ctx, app,
                            format!("send({}) = {}", quote(data), data.len()),
                            format!("send({}) 交给 TCP {} 个字节", quote(data), data.len()));
                        self.tcp_output(ctx, fd, out);
                        Step::Done
                    }
                    Err(e) => failed("send()", e.name()),
                }
            }
            Call::Recv { slot } | Call::RecvAll { slot } | Call::RecvUntilClosed { slot } => {
                let all = matches!(call, Call::RecvAll { .. });
                let Some(fd) = fd_of(app, slot) else { return no_socket("recv()") };
                if let Some(Socket::Udp { .. }) = self.sockets.get(&fd) {
                    return self.recv_datagram(ctx, app, fd);
                }
                if let Call::RecvUntilClosed { .. } = call {
                    return self.recv_until_closed(ctx, app, fd);
                }
                let Some(Socket::Stream { tcb, .. }) = self.sockets.get_mut(&fd) else {
                    return fail("recv() on a socket that is not connected (ENOTCONN)", "recv():套接字没有连接(ENOTCONN)");
                };
                if all {
                    // Read what is there; done once the stream has ended (which the same event
                    // may have brought with the last bytes).
                    let got = tcb.recv(usize::MAX);
                    app.received.extend_from_slice(&got);
                    if let Some(e) = tcb.error() {
                        return failed("recv()", e.name());
                    }
                    let eof = tcb.at_eof();
                    let update = tcb.window_update();
                    self.tcp_output(ctx, fd, update);
                    if !eof {
                        return self.wait(ctx, app, "recv() until the end of the stream");
                    }
                    let n = app.received.len();
                    self.app_log(ctx, app,
                        format!("recv() reached the end of the stream: {n} bytes in all"),
                        format!("recv() 读到流的结尾:共 {n} 个字节"));
                    return Step::Done;
                }
                if tcb.readable() == 0 && !tcb.at_eof() {
                    return self.wait(ctx, app, "recv(1024)");
                }
                if let (0, Some(e)) = (tcb.readable(), tcb.error()) {
                    return failed("recv()", e.name());
                }
                self.recv_chunk(ctx, app, fd);
                Step::Done
            }
            Call::Reply { slot, data } => match app.last_from {
                Some(to) => self.send_to(ctx, app, *slot, data, to),
                None => fail("sendto() back to whom? nothing was received yet", "sendto() 回复给谁?还没有收到过数据报"),
            },
            Call::SendTo { slot, data, to } => self.send_to(ctx, app, *slot, data, SocketAddr::V4(*to)),
            Call::SendTo6 { slot, data, to } => self.send_to(ctx, app, *slot, data, SocketAddr::V6(*to)),
            Call::SetOption { slot, option } => {
                let Some(fd) = fd_of(app, slot) else { return no_socket("setsockopt()") };
                let ip = self.ip_params.entry(fd).or_default();
                let (en, zh) = match option {
                    SockOpt::Ttl(0) => return fail("setsockopt(IP_TTL, 0): TTL must be 1 to 255 (EINVAL)", "setsockopt(IP_TTL, 0):TTL 必须在 1 到 255 之间(EINVAL)"),
                    SockOpt::Ttl(t) => {
                        ip.ttl = *t;
                        (format!("setsockopt(IPPROTO_IP, IP_TTL, {t}): its packets leave with TTL {t}"),
                         format!("setsockopt(IPPROTO_IP, IP_TTL, {t}):之后发出的分组 TTL 为 {t}"))
                    }
                    SockOpt::HopLimit(0) => return fail("setsockopt(IPV6_UNICAST_HOPS, 0): the hop limit must be 1 to 255 (EINVAL)", "setsockopt(IPV6_UNICAST_HOPS, 0):跳数限制必须在 1 到 255 之间(EINVAL)"),
                    SockOpt::HopLimit(h) => {
                        ip.ttl = *h;
                        (format!("setsockopt(IPPROTO_IPV6, IPV6_UNICAST_HOPS, {h}): its packets leave with hop limit {h}"),
                         format!("setsockopt(IPPROTO_IPV6, IPV6_UNICAST_HOPS, {h}):之后发出的分组跳数限制为 {h}"))
                    }
                    SockOpt::DontFragment(true) => {
                        ip.dont_fragment = Some(true);
                        ("setsockopt(IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO): DF on, routers may not fragment".to_string(),
                         "setsockopt(IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO):置 DF 位,路由器不得分片".to_string())
                    }
                    SockOpt::DontFragment(false) => {
                        ip.dont_fragment = Some(false);
                        ("setsockopt(IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DONT): DF off, routers fragment as needed".to_string(),
                         "setsockopt(IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DONT):不置 DF 位,路由器可按需分片".to_string())
                    }
                };
                self.app_log(ctx, app, en, zh);
                Step::Done
            }
            Call::RecvFrom { slot } => {
                let Some(fd) = fd_of(app, slot) else { return no_socket("recvfrom()") };
                let Some(Socket::Udp { queue, .. }) = self.sockets.get_mut(&fd) else {
                    return fail("recvfrom() on a socket that is not a bound SOCK_DGRAM (EINVAL)", "recvfrom():套接字不是已绑定的 SOCK_DGRAM 套接字(EINVAL)");
                };
                let Some((from, data)) = queue.pop_front() else { return self.wait(ctx, app, "recvfrom(1024)") };
                self.took_datagram(ctx, app, from, data);
                Step::Done
            }
            Call::RecvFromUntilTimeout { slot, timeout } => {
                let Some(fd) = fd_of(app, slot) else { return no_socket("recvfrom()") };
                let Some(Socket::Udp { queue, .. }) = self.sockets.get_mut(&fd) else {
                    return fail("recvfrom() on a socket that is not a bound SOCK_DGRAM (EINVAL)", "recvfrom():套接字不是已绑定的 SOCK_DGRAM 套接字(EINVAL)");
                };
                let got: Vec<_> = queue.drain(..).collect();
                if !got.is_empty() {
                    app.timeout_at = None;
                }
                for (from, data) in got {
                    self.took_datagram(ctx, app, from, data);
                }
                match app.timeout_at {
                    Some(t) if t <= ctx.now => {
                        let s = *timeout as f64 / SEC as f64;
                        self.app_log(ctx, app,
                            format!("recvfrom(1024) timed out (settimeout({s:.1})): no datagram for {s} s, the loop ends"),
                            format!("recvfrom(1024) 超时(settimeout({s:.1})):{s} 秒没有数据报,循环结束"));
                        Step::Done
                    }
                    Some(_) => Step::Wait,
                    None => {
                        let t = ctx.now + timeout;
                        app.timeout_at = Some(t);
                        self.wake(ctx, t);
                        self.wait(ctx, app, "recvfrom(1024)")
                    }
                }
            }
            Call::Close { slot } => {
                let Some(fd) = app.slots.remove(slot) else { return no_socket("close()") };
                self.ip_params.remove(&fd);
                self.app_log(ctx, app, format!("close({fd})"), format!("close({fd}) 关闭套接字"));
                let now = ctx.now;
                match self.sockets.get_mut(&fd) {
                    Some(Socket::Stream { tcb, closed_by_app, .. }) => {
                        *closed_by_app = true;
                        let out = tcb.close(now);
                        self.tcp_output(ctx, fd, out);
                    }
                    Some(Socket::Listener { port, family, backlog }) => {
                        let (port, family, waiting) = (*port, *family, std::mem::take(backlog));
                        self.sockets.remove(&fd);
                        self.listener_state(ctx, fd, family, port, State::Listen, State::Closed);
                        self.log(ctx, LayerKind::Transport,
                            format!("TCP port {port}: LISTEN → CLOSED"), format!("TCP 端口 {port}:LISTEN → CLOSED"));
                        // Connections nobody accepted are forgotten (Linux would also send them a RST: not yet).
                        for c in waiting {
                            self.sockets.remove(&c);
                        }
                    }
                    _ => {
                        self.sockets.remove(&fd);
                    }
                }
                Step::Done
            }
            Call::Abort { slot } => {
                let Some(fd) = app.slots.remove(slot) else { return no_socket("close()") };
                self.app_log(ctx, app,
                    format!("setsockopt(SO_LINGER, on, 0 s); close({fd}): abort, no FIN"),
                    format!("setsockopt(SO_LINGER, 开, 0 秒); close({fd}):中止连接,不发 FIN"));
                match self.sockets.get_mut(&fd) {
                    Some(Socket::Stream { tcb, closed_by_app, .. }) => {
                        *closed_by_app = true;
                        let out = tcb.abort();
                        self.tcp_output(ctx, fd, out);
                    }
                    _ => return fail("SO_LINGER abort on a socket that is not a TCP connection (EINVAL)", "SO_LINGER 中止只能用于 TCP 连接(EINVAL)"),
                }
                Step::Done
            }
            Call::SleepUntil(t) => self.call(ctx, app, &Call::Sleep(t.saturating_sub(ctx.now))),
            Call::Sleep(d) => match app.wake_at {
                Some(t) if t <= ctx.now => Step::Done,
                Some(_) => Step::Wait,
                None => {
                    let t = ctx.now + d;
                    app.wake_at = Some(t);
                    self.wake(ctx, t);
                    if *d == 0 {
                        Step::Done
                    } else {
                        Step::Wait
                    }
                }
            },
            Call::Ping { to, seq } => {
                let rest = self.echo_id_seq(*seq);
                self.app_log(ctx, app, format!("ping {to} (seq {seq})"), format!("ping {to}(序号 {seq})"));
                let data = ECHO_DATA.to_vec();
                self.send_ip(ctx, *to, Body::Icmp { kind: wire::ICMP_ECHO_REQUEST, code: 0, rest, data });
                Step::Done
            }
            Call::Ping6 { to, seq } => {
                let rest = self.echo_id_seq(*seq);
                self.app_log(ctx, app, format!("ping6 {to} (seq {seq})"), format!("ping6 {to}(序号 {seq})"));
                let data = ECHO_DATA.to_vec();
                self.send_ip6(ctx, *to, Body::Icmp { kind: wire::ICMPV6_ECHO_REQUEST, code: 0, rest, data });
                Step::Done
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arp_entries_expire() {
        let mut c = ArpCache::default();
        let ip = Ipv4Addr::new(10, 0, 0, 2);
        assert!(c.insert(ip, [2, 0, 0, 0, 0, 2], 0));
        assert!(!c.insert(ip, [2, 0, 0, 0, 0, 2], 5));
        assert_eq!(c.lookup(ip, ARP_TTL), Some([2, 0, 0, 0, 0, 2]));
        assert_eq!(c.lookup(ip, 5 + ARP_TTL), None);
        assert!(c.has(ip));
    }
}
