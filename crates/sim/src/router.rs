//! A router (RFC 1812): several Ethernet interfaces, each with its MAC, IPv4 address and MTU,
//! ARP on each, and a routing table. For every packet not addressed to itself it
//!
//! 1. looks up the destination by longest-prefix match; no route: ICMP destination unreachable
//!    (network unreachable) back to the source;
//! 2. checks the TTL: a packet that arrives with TTL 1 would leave with 0, so it is dropped and
//!    the source gets ICMP time exceeded (that is how traceroute finds each hop);
//! 3. takes one from the TTL and writes the header checksum again;
//! 4. if the packet is larger than the outgoing interface's MTU: with Don't Fragment set, drops
//!    it and answers ICMP fragmentation needed with that MTU (RFC 1191's path MTU discovery);
//!    otherwise splits it into fragments (RFC 791);
//! 5. sends it to the next hop's MAC (the gateway of the route, or the destination on a
//!    connected network), asking ARP on that interface first if needed.
//!
//! ICMP errors quote the offending packet's IP header and first 8 bytes of data (RFC 792), and
//! are never sent about an ICMP error, a fragment other than the first, or a packet from a
//! broadcast address (RFC 1812 section 4.3.2.7), so that errors cannot multiply.
//!
//! An interface may also have an IPv6 address (and always has a link-local one from its MAC).
//! IPv6 packets go the same way with their own table ([`Route6`]) and Neighbor Discovery in
//! place of ARP, with three differences (RFC 8200, RFC 4443): the hop limit is decremented with
//! no checksum to rewrite (the IPv6 header has none); a packet too large for the next link is
//! never fragmented but dropped with ICMPv6 packet too big, carrying the MTU; and the errors
//! (no route: destination unreachable code 0, hop limit 0: time exceeded, packet too big) quote
//! as much of the packet as fits in 1280 bytes. Link-local packets never cross a router.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use netlayers_core::LayerKind;
use netlayers_network::route::{netmask, Route, RoutingTable};

use crate::engine::Nanos;
use crate::host::{fmt_mac, Action, ArpCache, Ctx, NeighborCache, ARP_RETRY, ARP_TRIES};
use crate::wire::{self, Arp, Body, IpParams, Mac, Ndp, Packet6, Parsed, BROADCAST};

/// Bytes queued per next hop while ARP resolves it. Counted in bytes, as Linux does
/// (`unres_qlen_bytes`), so that every fragment of a large datagram fits.
pub const ARP_QUEUE_BYTES: usize = 64 * 1024;

/// One interface: the router's port with the same index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interface {
    pub mac: Mac,
    pub ip: Ipv4Addr,
    pub prefix: u8,
    /// The largest IP packet this interface sends.
    pub mtu: usize,
    /// An IPv6 address and prefix length ([`Router::set_ipv6`]), if any.
    pub ip6: Option<(Ipv6Addr, u8)>,
    /// fe80:: and the interface identifier made from the MAC.
    pub link_local: Ipv6Addr,
}

impl Interface {
    fn is_mine6(&self, a: Ipv6Addr) -> bool {
        a == self.link_local || self.ip6.is_some_and(|(ip, _)| ip == a)
    }
    /// The IPv6 multicast groups the interface joined: all-nodes, all-routers, and the
    /// solicited-node group of each address.
    fn groups(&self) -> Vec<Ipv6Addr> {
        let mut g = vec![Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1), Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 2)];
        g.push(wire::solicited_node(self.link_local));
        g.extend(self.ip6.map(|(ip, _)| wire::solicited_node(ip)));
        g
    }
    /// The source to use towards `dst`: the link-local address for a link-local destination
    /// or when there is no other.
    fn source6(&self, dst: Ipv6Addr) -> Ipv6Addr {
        match self.ip6 {
            Some((ip, _)) if !dst.is_unicast_link_local() => ip,
            _ => self.link_local,
        }
    }
}

/// An IPv6 route: a prefix, the next hop (`None`: connected) and the interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route6 {
    pub net: Ipv6Addr,
    pub prefix: u8,
    pub via: Option<Ipv6Addr>,
    pub interface: usize,
}

impl std::fmt::Display for Route6 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.via {
            Some(via) => write!(f, "{}/{} via {via} if {}", self.net, self.prefix, self.interface),
            None => write!(f, "{}/{} connected if {}", self.net, self.prefix, self.interface),
        }
    }
}

/// A packet waiting for ARP or Neighbor Discovery to find its next hop's MAC.
struct Waiting {
    interface: usize,
    next_hop: IpAddr,
    packet: Vec<u8>,
    /// The router made it (an ICMP message) rather than forwarding it.
    own: bool,
}

pub struct Router {
    pub name: String,
    pub interfaces: Vec<Interface>,
    /// Starts with each interface's connected network; scenarios add static routes.
    pub routes: RoutingTable,
    /// IPv6 routes: each interface's prefix, and what scenarios add.
    pub routes6: Vec<Route6>,
    /// One ARP cache and one neighbor cache per interface.
    arp: Vec<ArpCache>,
    neighbors: Vec<NeighborCache>,
    pending: Vec<Waiting>,
    /// (interface, address) → ARP requests (or Neighbor Solicitations) sent and when to try again.
    resolving: BTreeMap<(usize, IpAddr), (u32, Nanos)>,
    ip_id: u16,
    wakes: BTreeSet<Nanos>,
}

/// What the IPv4 header of a packet says, for the decisions above.
struct Header {
    src: Ipv4Addr,
    dst: Ipv4Addr,
    ttl: u8,
    dont_fragment: bool,
    /// Offset is not 0: not the first fragment.
    later_fragment: bool,
    /// ICMP, and a type that is an error report.
    icmp_error: bool,
}

fn header(d: &[u8]) -> Option<Header> {
    let (hl, _) = wire::check_ipv4_header(d).ok()?;
    let ip = |at: usize| -> Option<Ipv4Addr> { Some(<[u8; 4]>::try_from(d.get(at..at + 4)?).ok()?.into()) };
    let flags = u16::from_be_bytes([d[6], d[7]]);
    let icmp_type = d.get(hl).copied().filter(|_| d[9] == 1);
    Some(Header {
        src: ip(12)?,
        dst: ip(16)?,
        ttl: d[8],
        dont_fragment: flags & 0x4000 != 0,
        later_fragment: flags & 0x1fff != 0,
        // Echo request/reply, timestamp, information and the like are queries, not errors.
        icmp_error: icmp_type.is_some_and(|t| matches!(t, 3 | 4 | 5 | 11 | 12)),
    })
}

/// What the IPv6 header of a packet says (RFC 8200).
struct Header6 {
    src: Ipv6Addr,
    dst: Ipv6Addr,
    hop_limit: u8,
    /// The header's length and the payload's.
    total: usize,
    /// ICMPv6, and a type below 128: an error report.
    icmp_error: bool,
}

fn header6(d: &[u8]) -> Option<Header6> {
    if d.len() < 40 || d[0] >> 4 != 6 {
        return None;
    }
    let total = 40 + usize::from(u16::from_be_bytes([d[4], d[5]]));
    let ip = |at: usize| -> Option<Ipv6Addr> { Some(<[u8; 16]>::try_from(d.get(at..at + 16)?).ok()?.into()) };
    Some(Header6 {
        src: ip(8)?,
        dst: ip(24)?,
        hop_limit: d[7],
        total: (total <= d.len()).then_some(total)?,
        icmp_error: d[6] == wire::IPPROTO_ICMPV6 && d.get(40).is_some_and(|t| *t < 128),
    })
}

impl Router {
    pub fn new(name: &str) -> Router {
        Router {
            name: name.to_string(),
            interfaces: Vec::new(),
            routes: RoutingTable::default(),
            routes6: Vec::new(),
            arp: Vec::new(),
            neighbors: Vec::new(),
            pending: Vec::new(),
            resolving: BTreeMap::new(),
            ip_id: 1,
            wakes: BTreeSet::new(),
        }
    }

    /// Adds an interface (the next port) and the route to its network.
    pub fn add_interface(&mut self, mac: Mac, ip: Ipv4Addr, prefix: u8, mtu: usize) -> usize {
        let i = self.interfaces.len();
        self.interfaces.push(Interface { mac, ip, prefix: prefix.min(32), mtu, ip6: None, link_local: wire::link_local(mac) });
        self.arp.push(ArpCache::default());
        self.neighbors.push(NeighborCache::default());
        self.routes.add(Route::new(ip, prefix, None, i));
        i
    }

    /// Gives interface `i` an IPv6 address on a prefix, and the route to that prefix.
    pub fn set_ipv6(&mut self, i: usize, addr: Ipv6Addr, prefix: u8) {
        let prefix = prefix.min(128);
        if let Some(iface) = self.interfaces.get_mut(i) {
            iface.ip6 = Some((addr, prefix));
            let mask = u128::MAX.checked_shl(u32::from(128 - prefix)).unwrap_or(0);
            self.add_route6(Route6 { net: Ipv6Addr::from(u128::from(addr) & mask), prefix, via: None, interface: i });
        }
    }

    pub fn add_route6(&mut self, r: Route6) {
        self.routes6.push(r);
    }

    /// Longest-prefix match; among equal prefixes, the route added first.
    pub fn lookup6(&self, dst: Ipv6Addr) -> Option<Route6> {
        let mut best: Option<Route6> = None;
        for r in &self.routes6 {
            if wire::same_prefix6(r.net, dst, r.prefix) && best.is_none_or(|b| r.prefix > b.prefix) {
                best = Some(*r);
            }
        }
        best
    }

    fn log(&self, ctx: &mut Ctx<'_>, layer: LayerKind, en: String, zh: String) {
        ctx.log(&self.name, layer, en, zh);
    }

    fn wake(&mut self, ctx: &mut Ctx<'_>, at: Nanos) {
        if self.wakes.insert(at) {
            ctx.actions.push(Action::Wake(at));
        }
    }

    /// A frame arrived on `port`.
    pub fn on_frame(&mut self, ctx: &mut Ctx<'_>, port: usize, frame: &[u8]) {
        let (Some((dst, _)), Some(iface)) = (wire::macs(frame), self.interfaces.get(port)) else { return };
        if dst != iface.mac && dst != BROADCAST && !iface.groups().into_iter().any(|g| wire::multicast_mac(g) == dst) {
            return;
        }
        match frame.get(12..14) {
            Some([0x08, 0x06]) => {
                if let Parsed::Arp(a) = wire::parse(frame) {
                    self.on_arp(ctx, port, a);
                }
            }
            Some([0x08, 0x00]) => {
                let d = frame.get(14..).unwrap_or_default();
                match wire::check_ipv4_header(d) {
                    Ok((_, total)) => self.on_packet(ctx, port, d[..total].to_vec()),
                    Err(why) => self.log(ctx, LayerKind::Network, format!("packet dropped: {}", why.en), format!("丢弃分组:{}", why.zh)),
                }
            }
            Some([0x86, 0xdd]) => {
                let d = frame.get(14..).unwrap_or_default();
                if let Some(h) = header6(d) {
                    self.on_packet6(ctx, port, &h, &d[..h.total]);
                }
            }
            _ => {}
        }
    }

    fn on_arp(&mut self, ctx: &mut Ctx<'_>, port: usize, a: Arp) {
        let Some(iface) = self.interfaces.get(port).cloned() else { return };
        let for_us = a.tpa == iface.ip;
        if (for_us || self.arp[port].has(a.spa)) && self.arp[port].insert(a.spa, a.sha, ctx.now) {
            self.log(ctx, LayerKind::Link,
                format!("ARP cache (if {port}): {} is at {}", a.spa, fmt_mac(&a.sha)),
                format!("ARP 缓存(接口 {port}):{} 的 MAC 是 {}", a.spa, fmt_mac(&a.sha)));
        }
        if !for_us {
            return;
        }
        if a.op == wire::ARP_REQUEST {
            let r = Arp { op: wire::ARP_REPLY, sha: iface.mac, spa: iface.ip, tha: a.sha, tpa: a.spa };
            self.log(ctx, LayerKind::Link,
                format!("ARP reply on if {port}: {} is-at {} (unicast to {})", iface.ip, fmt_mac(&iface.mac), a.spa),
                format!("接口 {port} 上 ARP 应答:{} 的 MAC 是 {}(单播给 {})", iface.ip, fmt_mac(&iface.mac), a.spa));
            ctx.actions.push(Action::Send { port, frame: wire::arp_frame(a.sha, &r) });
        }
        self.release(ctx, port, IpAddr::V4(a.spa), a.sha);
    }

    /// Sends what waited for `hop`'s MAC on interface `port`, now that it is known.
    fn release(&mut self, ctx: &mut Ctx<'_>, port: usize, hop: IpAddr, mac: Mac) {
        let Some(iface) = self.interfaces.get(port).cloned() else { return };
        self.resolving.remove(&(port, hop));
        let (ready, rest): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.pending).into_iter().partition(|w| w.interface == port && w.next_hop == hop);
        self.pending = rest;
        for w in ready {
            Self::put_on_wire(ctx, &iface, port, mac, w.packet, w.own);
        }
    }

    fn on_packet(&mut self, ctx: &mut Ctx<'_>, port: usize, d: Vec<u8>) {
        let Some(h) = header(&d) else { return };
        let Some(iface) = self.interfaces.get(port) else { return };
        let broadcast = Ipv4Addr::from(u32::from(iface.ip) | !netmask(iface.prefix));
        if h.dst.is_broadcast() || h.dst == broadcast || h.dst.is_multicast() {
            return; // a router does not forward broadcasts
        }
        if self.interfaces.iter().any(|i| i.ip == h.dst) {
            self.for_me(ctx, &d);
            return;
        }
        let Some(route) = self.routes.lookup(h.dst).copied() else {
            self.log(ctx, LayerKind::Network,
                format!("no route to {}: packet from {} dropped", h.dst, h.src),
                format!("没有到 {} 的路由:丢弃来自 {} 的分组", h.dst, h.src));
            self.icmp_error(ctx, port, &d, wire::ICMP_UNREACHABLE, wire::ICMP_NET_UNREACHABLE, [0; 4]);
            return;
        };
        if h.ttl <= 1 {
            self.log(ctx, LayerKind::Network,
                format!("TTL {} → 0: packet {} → {} dropped", h.ttl, h.src, h.dst),
                format!("TTL {} → 0:丢弃分组 {} → {}", h.ttl, h.src, h.dst));
            self.icmp_error(ctx, port, &d, wire::ICMP_TIME_EXCEEDED, 0, [0; 4]);
            return;
        }
        let out = route.interface;
        let Some(mtu) = self.interfaces.get(out).map(|i| i.mtu) else { return };
        if d.len() > mtu && h.dont_fragment {
            self.log(ctx, LayerKind::Network,
                format!("{} → {}: {} bytes do not fit the MTU {mtu} of if {out} and DF is set: dropped", h.src, h.dst, d.len()),
                format!("{} → {}:{} 字节超过接口 {out} 的 MTU {mtu},且设置了 DF:丢弃", h.src, h.dst, d.len()));
            let [hi, lo] = (mtu.min(0xffff) as u16).to_be_bytes();
            self.icmp_error(ctx, port, &d, wire::ICMP_UNREACHABLE, wire::ICMP_FRAG_NEEDED, [0, 0, hi, lo]);
            return;
        }
        let mut d = d;
        let Some(ttl) = wire::decrement_ttl(&mut d) else { return };
        self.log(ctx, LayerKind::Network,
            format!("{} → {}: TTL {} → {ttl}, route {route}", h.src, h.dst, h.ttl),
            format!("{} → {}:TTL {} → {ttl},路由 {route}", h.src, h.dst, h.ttl));
        self.send(ctx, route, h.dst, d, false);
    }

    /// A packet to one of the router's own addresses: it answers pings, nothing else.
    fn for_me(&mut self, ctx: &mut Ctx<'_>, d: &[u8]) {
        let Parsed::Ipv4 { packet, .. } = wire::parse_ipv4(d) else { return };
        if let Body::Icmp { kind: wire::ICMP_ECHO_REQUEST, code: 0, rest, data } = packet.body {
            self.log(ctx, LayerKind::Network,
                format!("ICMP echo request from {} to {}: replying", packet.src, packet.dst),
                format!("收到 {} 发给 {} 的 ICMP 回显请求:回复", packet.src, packet.dst));
            self.originate(ctx, packet.dst, packet.src, wire::icmp_message(wire::ICMP_ECHO_REPLY, 0, rest, &data));
        } else {
            self.log(ctx, LayerKind::Network,
                format!("packet from {} to the router itself: no service here, dropped", packet.src),
                format!("来自 {} 的分组发给路由器本身:这里没有相应服务,丢弃", packet.src));
        }
    }

    /// Reports a dropped packet to its source, unless RFC 1812 forbids it.
    fn icmp_error(&mut self, ctx: &mut Ctx<'_>, port: usize, d: &[u8], kind: u8, code: u8, rest: [u8; 4]) {
        let (Some(h), Some(iface)) = (header(d), self.interfaces.get(port)) else { return };
        if h.icmp_error || h.later_fragment || h.src.is_broadcast() || h.src.is_multicast() || h.src.is_unspecified() {
            return;
        }
        let hl = usize::from(d[0] & 0x0f) * 4;
        let quote = d.get(..hl + 8).unwrap_or(d).to_vec();
        let what = match (kind, code) {
            (wire::ICMP_TIME_EXCEEDED, _) => ("time exceeded", "超时"),
            (_, wire::ICMP_FRAG_NEEDED) => ("fragmentation needed", "需要分片"),
            _ => ("network unreachable", "网络不可达"),
        };
        self.log(ctx, LayerKind::Network,
            format!("ICMP {} sent to {} from {}", what.0, h.src, iface.ip),
            format!("从 {} 向 {} 发出 ICMP {}", iface.ip, h.src, what.1));
        let from = iface.ip;
        self.originate(ctx, from, h.src, wire::icmp_message(kind, code, rest, &quote));
    }

    /// Sends an ICMP message the router makes itself.
    fn originate(&mut self, ctx: &mut Ctx<'_>, src: Ipv4Addr, dst: Ipv4Addr, icmp: Vec<u8>) {
        let Some(route) = self.routes.lookup(dst).copied() else { return };
        let id = self.ip_id;
        self.ip_id = self.ip_id.wrapping_add(1);
        match wire::ipv4_datagram(src, dst, id, IpParams::default(), 1, &icmp) {
            Ok(d) => self.send(ctx, route, dst, d, true),
            Err(why) => self.log(ctx, LayerKind::Network, format!("cannot send to {dst}: {why}"), format!("无法发往 {dst}:{why}")),
        }
    }

    /// Sends a packet by `route`: fragments if it is larger than the interface's MTU, ARP
    /// first if the next hop's MAC is not known.
    fn send(&mut self, ctx: &mut Ctx<'_>, route: Route, dst: Ipv4Addr, d: Vec<u8>, own: bool) {
        let out = route.interface;
        let Some(iface) = self.interfaces.get(out).cloned() else { return };
        let packets = if d.len() > iface.mtu {
            let Some(frags) = wire::fragment(&d, iface.mtu) else { return };
            let (n, id) = (frags.len(), u16::from_be_bytes([d[4], d[5]]));
            self.log(ctx, LayerKind::Network,
                format!("{} bytes are more than the MTU {} of if {out}: split into {n} fragments, all with ID 0x{id:04x}", d.len(), iface.mtu),
                format!("{} 字节超过接口 {out} 的 MTU {}:分成 {n} 个分片,标识都是 0x{id:04x}", d.len(), iface.mtu));
            for (i, f) in frags.iter().enumerate() {
                let mf = if f.more { "1" } else { "0" };
                self.log(ctx, LayerKind::Network,
                    format!("fragment {}/{n} offset {} ({} × 8) len {} MF={mf}", i + 1, f.offset, f.offset / 8, f.len),
                    format!("分片 {}/{n}:偏移 {}({} × 8)长度 {} MF={mf}", i + 1, f.offset, f.offset / 8, f.len));
            }
            frags.into_iter().map(|f| f.packet).collect()
        } else {
            vec![d]
        };
        let hop = route.next_hop(dst);
        match self.arp[out].lookup(hop, ctx.now) {
            Some(mac) => packets.into_iter().for_each(|p| Self::put_on_wire(ctx, &iface, out, mac, p, own)),
            None => self.wait_for_mac(ctx, out, IpAddr::V4(hop), packets, own),
        }
    }

    /// Keeps packets until ARP or Neighbor Discovery finds `hop`'s MAC on interface `out`
    /// ([`ARP_QUEUE_BYTES`] at most), asking if nobody asks yet.
    fn wait_for_mac(&mut self, ctx: &mut Ctx<'_>, out: usize, hop: IpAddr, packets: Vec<Vec<u8>>, own: bool) {
        for packet in packets {
            let queued: usize = self.pending.iter().filter(|w| w.interface == out && w.next_hop == hop).map(|w| w.packet.len()).sum();
            if queued + packet.len() <= ARP_QUEUE_BYTES {
                self.pending.push(Waiting { interface: out, next_hop: hop, packet, own });
            }
        }
        if let std::collections::btree_map::Entry::Vacant(e) = self.resolving.entry((out, hop)) {
            e.insert((1, ctx.now + ARP_RETRY));
            self.solicit(ctx, out, hop);
            self.wake(ctx, ctx.now + ARP_RETRY);
        }
    }

    fn solicit(&mut self, ctx: &mut Ctx<'_>, port: usize, hop: IpAddr) {
        match hop {
            IpAddr::V4(ip) => self.send_arp_request(ctx, port, ip),
            IpAddr::V6(ip) => self.send_neighbor_solicitation(ctx, port, ip),
        }
    }

    fn put_on_wire(ctx: &mut Ctx<'_>, iface: &Interface, port: usize, dst_mac: Mac, packet: Vec<u8>, own: bool) {
        let ethertype = if packet.first().is_some_and(|v| v >> 4 == 6) { wire::ETHERTYPE_IPV6 } else { wire::ETHERTYPE_IPV4 };
        let frame = wire::ethernet(dst_mac, iface.mac, ethertype, &packet);
        ctx.actions.push(if own { Action::Send { port, frame } } else { Action::Forward { port, frame } });
    }

    fn send_arp_request(&mut self, ctx: &mut Ctx<'_>, port: usize, target: Ipv4Addr) {
        let Some(iface) = self.interfaces.get(port) else { return };
        let a = Arp { op: wire::ARP_REQUEST, sha: iface.mac, spa: iface.ip, tha: [0; 6], tpa: target };
        self.log(ctx, LayerKind::Link,
            format!("ARP who-has {target}? tell {} (broadcast on if {port})", a.spa),
            format!("ARP 在接口 {port} 上广播询问:谁是 {target}?请告诉 {}", a.spa));
        ctx.actions.push(Action::Send { port, frame: wire::arp_frame(BROADCAST, &a) });
    }

    // ----- IPv6 -----

    fn on_packet6(&mut self, ctx: &mut Ctx<'_>, port: usize, h: &Header6, d: &[u8]) {
        let Some(iface) = self.interfaces.get(port) else { return };
        if h.dst.is_multicast() {
            // Link-scope groups are for the router itself; it forwards no multicast.
            if iface.groups().contains(&h.dst) {
                self.for_me6(ctx, port, d);
            }
            return;
        }
        if self.interfaces.iter().any(|i| i.is_mine6(h.dst)) {
            self.for_me6(ctx, port, d);
            return;
        }
        if h.src.is_unicast_link_local() || h.dst.is_unicast_link_local() || h.src.is_multicast() || h.src.is_unspecified() {
            self.log(ctx, LayerKind::Network,
                format!("{} → {}: a link-local (or unspecified) address never leaves its link: dropped", h.src, h.dst),
                format!("{} → {}:链路本地(或未指定)地址不能离开本链路:丢弃", h.src, h.dst));
            return;
        }
        let Some(route) = self.lookup6(h.dst) else {
            self.log(ctx, LayerKind::Network,
                format!("no route to {}: packet from {} dropped", h.dst, h.src),
                format!("没有到 {} 的路由:丢弃来自 {} 的分组", h.dst, h.src));
            self.icmp6_error(ctx, port, d, wire::ICMPV6_UNREACHABLE, 0, [0; 4]);
            return;
        };
        if h.hop_limit <= 1 {
            self.log(ctx, LayerKind::Network,
                format!("hop limit {} → 0: packet {} → {} dropped", h.hop_limit, h.src, h.dst),
                format!("跳数限制 {} → 0:丢弃分组 {} → {}", h.hop_limit, h.src, h.dst));
            self.icmp6_error(ctx, port, d, wire::ICMPV6_TIME_EXCEEDED, 0, [0; 4]);
            return;
        }
        let out = route.interface;
        let Some(mtu) = self.interfaces.get(out).map(|i| i.mtu) else { return };
        if d.len() > mtu {
            self.log(ctx, LayerKind::Network,
                format!("{} → {}: {} bytes do not fit the MTU {mtu} of if {out}, and an IPv6 router never fragments: dropped", h.src, h.dst, d.len()),
                format!("{} → {}:{} 字节超过接口 {out} 的 MTU {mtu},而 IPv6 路由器从不分片:丢弃", h.src, h.dst, d.len()));
            self.icmp6_error(ctx, port, d, wire::ICMPV6_PACKET_TOO_BIG, 0, (mtu as u32).to_be_bytes());
            return;
        }
        // The IPv6 header has no checksum: only the hop limit changes.
        let mut d = d.to_vec();
        d[7] = h.hop_limit - 1;
        self.log(ctx, LayerKind::Network,
            format!("{} → {}: hop limit {} → {}, route {route}", h.src, h.dst, h.hop_limit, d[7]),
            format!("{} → {}:跳数限制 {} → {},路由 {route}", h.src, h.dst, h.hop_limit, d[7]));
        self.send6(ctx, route, h.dst, d, false);
    }

    /// An IPv6 packet to the router itself: Neighbor Discovery, and pings.
    fn for_me6(&mut self, ctx: &mut Ctx<'_>, port: usize, d: &[u8]) {
        let Parsed::Ipv6 { packet, .. } = wire::parse_ipv6(d) else { return };
        match packet.body {
            // Neighbor Discovery with any hop limit but 255 may have crossed a router: ignored.
            Body::Icmp { kind: k @ (wire::ICMPV6_NEIGHBOR_SOLICITATION | wire::ICMPV6_NEIGHBOR_ADVERTISEMENT), data, .. }
                if packet.hop_limit == wire::NDP_HOP_LIMIT =>
            {
                self.on_ndp(ctx, port, packet.src, k, &data)
            }
            Body::Icmp { kind: wire::ICMPV6_NEIGHBOR_SOLICITATION | wire::ICMPV6_NEIGHBOR_ADVERTISEMENT, .. } => {}
            Body::Icmp { kind: wire::ICMPV6_ECHO_REQUEST, code: 0, rest, data } if !packet.dst.is_multicast() => {
                self.log(ctx, LayerKind::Network,
                    format!("ICMPv6 echo request from {} to {}: replying", packet.src, packet.dst),
                    format!("收到 {} 发给 {} 的 ICMPv6 回显请求:回复", packet.src, packet.dst));
                self.originate6(ctx, packet.dst, packet.src, wire::ICMPV6_ECHO_REPLY, 0, rest, &data);
            }
            _ if !packet.dst.is_multicast() => self.log(ctx, LayerKind::Network,
                format!("packet from {} to the router itself: no service here, dropped", packet.src),
                format!("来自 {} 的分组发给路由器本身:这里没有相应服务,丢弃", packet.src)),
            _ => {}
        }
    }

    /// A Neighbor Solicitation or Advertisement (hop limit 255) on interface `port`.
    fn on_ndp(&mut self, ctx: &mut Ctx<'_>, port: usize, src: Ipv6Addr, kind: u8, data: &[u8]) {
        let Some(iface) = self.interfaces.get(port).cloned() else { return };
        if kind == wire::ICMPV6_NEIGHBOR_SOLICITATION {
            let Some(ns) = Ndp::parse(data, wire::NDP_SOURCE_LL) else { return };
            if !iface.is_mine6(ns.target) {
                return;
            }
            let Some(asker) = ns.lladdr.filter(|_| !src.is_unspecified()) else { return };
            self.learn_neighbor(ctx, port, src, asker);
            let flags = wire::NA_ROUTER | wire::NA_SOLICITED | wire::NA_OVERRIDE;
            let data = Ndp { target: ns.target, lladdr: Some(iface.mac) }.data(wire::NDP_TARGET_LL);
            self.log(ctx, LayerKind::Network,
                format!("NDP neighbor advertisement on if {port}: {} is at {} (router, solicited, unicast to {src})", ns.target, fmt_mac(&iface.mac)),
                format!("接口 {port} 上 NDP 邻居通告:{} 的 MAC 是 {}(路由器,对请求的应答,单播给 {src})", ns.target, fmt_mac(&iface.mac)));
            let body = Body::Icmp { kind: wire::ICMPV6_NEIGHBOR_ADVERTISEMENT, code: 0, rest: [flags, 0, 0, 0], data };
            let p = Packet6 { src: ns.target, dst: src, hop_limit: wire::NDP_HOP_LIMIT, body };
            if let Ok(frames) = wire::ipv6_frames(iface.mac, asker, &p, iface.mtu) {
                ctx.actions.extend(frames.into_iter().map(|frame| Action::Send { port, frame }));
            }
            self.release(ctx, port, IpAddr::V6(src), asker);
        } else {
            let Some(Ndp { target, lladdr: Some(mac) }) = Ndp::parse(data, wire::NDP_TARGET_LL) else { return };
            if self.resolving.contains_key(&(port, IpAddr::V6(target))) || self.neighbors[port].has(target) {
                self.learn_neighbor(ctx, port, target, mac);
                self.release(ctx, port, IpAddr::V6(target), mac);
            }
        }
    }

    fn learn_neighbor(&mut self, ctx: &mut Ctx<'_>, port: usize, ip: Ipv6Addr, mac: Mac) {
        if self.neighbors[port].insert(ip, mac, ctx.now) {
            self.log(ctx, LayerKind::Network,
                format!("neighbor cache (if {port}): {ip} is at {}", fmt_mac(&mac)),
                format!("邻居缓存(接口 {port}):{ip} 的 MAC 是 {}", fmt_mac(&mac)));
        }
    }

    /// Reports a dropped IPv6 packet to its source (never about an ICMPv6 error), from the
    /// address of the interface it arrived on, quoting as much as fits in 1280 bytes.
    fn icmp6_error(&mut self, ctx: &mut Ctx<'_>, port: usize, d: &[u8], kind: u8, code: u8, rest: [u8; 4]) {
        let (Some(h), Some(iface)) = (header6(d), self.interfaces.get(port)) else { return };
        if h.icmp_error {
            return;
        }
        let from = iface.source6(h.src);
        let quote = d.get(..wire::IPV6_MIN_MTU - 48).unwrap_or(d);
        let what = match kind {
            wire::ICMPV6_TIME_EXCEEDED => ("time exceeded", "超时"),
            wire::ICMPV6_PACKET_TOO_BIG => ("packet too big", "分组过大"),
            _ => ("destination unreachable (no route)", "目的不可达(无路由)"),
        };
        self.log(ctx, LayerKind::Network,
            format!("ICMPv6 {} sent to {} from {from}, quoting {} bytes", what.0, h.src, quote.len()),
            format!("从 {from} 向 {} 发出 ICMPv6 {},引用 {} 字节", h.src, what.1, quote.len()));
        self.originate6(ctx, from, h.src, kind, code, rest, quote);
    }

    /// Sends an ICMPv6 message the router makes itself.
    #[allow(clippy::too_many_arguments)]
    fn originate6(&mut self, ctx: &mut Ctx<'_>, src: Ipv6Addr, dst: Ipv6Addr, kind: u8, code: u8, rest: [u8; 4], data: &[u8]) {
        let Some(route) = self.lookup6(dst) else { return };
        let icmp = wire::icmpv6_message(src, dst, kind, code, rest, data);
        match wire::ipv6_datagram(src, dst, wire::TTL, wire::IPPROTO_ICMPV6, &icmp) {
            Ok(d) => self.send6(ctx, route, dst, d, true),
            Err(why) => self.log(ctx, LayerKind::Network, format!("cannot send to {dst}: {why}"), format!("无法发往 {dst}:{why}")),
        }
    }

    /// Sends an IPv6 packet by `route`, asking Neighbor Discovery for the next hop's MAC first
    /// if needed.
    fn send6(&mut self, ctx: &mut Ctx<'_>, route: Route6, dst: Ipv6Addr, d: Vec<u8>, own: bool) {
        let out = route.interface;
        let Some(iface) = self.interfaces.get(out).cloned() else { return };
        let hop = route.via.unwrap_or(dst);
        match self.neighbors[out].lookup(hop, ctx.now) {
            Some(mac) => Self::put_on_wire(ctx, &iface, out, mac, d, own),
            None => self.wait_for_mac(ctx, out, IpAddr::V6(hop), vec![d], own),
        }
    }

    /// A Neighbor Solicitation on interface `port` to the target's solicited-node group.
    fn send_neighbor_solicitation(&mut self, ctx: &mut Ctx<'_>, port: usize, target: Ipv6Addr) {
        let Some(iface) = self.interfaces.get(port) else { return };
        let (src, group) = (iface.source6(target), wire::solicited_node(target));
        self.log(ctx, LayerKind::Network,
            format!("NDP neighbor solicitation on if {port}: who has {target}? tell {src} (multicast to {group})"),
            format!("接口 {port} 上 NDP 邻居请求:谁是 {target}?请告诉 {src}(组播到 {group})"));
        let data = Ndp { target, lladdr: Some(iface.mac) }.data(wire::NDP_SOURCE_LL);
        let body = Body::Icmp { kind: wire::ICMPV6_NEIGHBOR_SOLICITATION, code: 0, rest: [0; 4], data };
        let p = Packet6 { src, dst: group, hop_limit: wire::NDP_HOP_LIMIT, body };
        if let Ok(frames) = wire::ipv6_frames(iface.mac, wire::multicast_mac(group), &p, iface.mtu) {
            ctx.actions.extend(frames.into_iter().map(|frame| Action::Send { port, frame }));
        }
    }

    /// Timers: ARP retries.
    pub fn on_timer(&mut self, ctx: &mut Ctx<'_>) {
        self.wakes.retain(|t| *t > ctx.now);
        let due: Vec<((usize, IpAddr), u32)> =
            self.resolving.iter().filter(|(_, (_, at))| *at <= ctx.now).map(|(k, (n, _))| (*k, *n)).collect();
        for ((port, ip), tries) in due {
            if tries >= ARP_TRIES {
                self.resolving.remove(&(port, ip));
                let before = self.pending.len();
                self.pending.retain(|w| (w.interface, w.next_hop) != (port, ip));
                let dropped = before - self.pending.len();
                let (layer, how) = if ip.is_ipv6() { (LayerKind::Network, "Neighbor Discovery") } else { (LayerKind::Link, "ARP") };
                self.log(ctx, layer,
                    format!("{how}: no answer for {ip} on if {port} after {tries} requests: {dropped} packet(s) dropped"),
                    format!("{how}:在接口 {port} 上 {tries} 次询问 {ip} 都没有应答:丢弃 {dropped} 个分组"));
            } else {
                self.resolving.insert((port, ip), (tries + 1, ctx.now + ARP_RETRY));
                self.solicit(ctx, port, ip);
                self.wake(ctx, ctx.now + ARP_RETRY);
            }
        }
    }
}
