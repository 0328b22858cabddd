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

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use netlayers_core::LayerKind;
use netlayers_network::route::{netmask, Route, RoutingTable};

use crate::engine::Nanos;
use crate::host::{fmt_mac, Action, ArpCache, Ctx, ARP_RETRY, ARP_TRIES};
use crate::wire::{self, Arp, Body, IpParams, Mac, Parsed, BROADCAST};

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
}

/// A packet waiting for ARP to find its next hop's MAC.
struct Waiting {
    interface: usize,
    next_hop: Ipv4Addr,
    packet: Vec<u8>,
    /// The router made it (an ICMP message) rather than forwarding it.
    own: bool,
}

pub struct Router {
    pub name: String,
    pub interfaces: Vec<Interface>,
    /// Starts with each interface's connected network; scenarios add static routes.
    pub routes: RoutingTable,
    /// One ARP cache per interface.
    arp: Vec<ArpCache>,
    pending: Vec<Waiting>,
    /// (interface, address) → ARP requests sent and when to try again.
    resolving: BTreeMap<(usize, Ipv4Addr), (u32, Nanos)>,
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

impl Router {
    pub fn new(name: &str) -> Router {
        Router {
            name: name.to_string(),
            interfaces: Vec::new(),
            routes: RoutingTable::default(),
            arp: Vec::new(),
            pending: Vec::new(),
            resolving: BTreeMap::new(),
            ip_id: 1,
            wakes: BTreeSet::new(),
        }
    }

    /// Adds an interface (the next port) and the route to its network.
    pub fn add_interface(&mut self, mac: Mac, ip: Ipv4Addr, prefix: u8, mtu: usize) -> usize {
        let i = self.interfaces.len();
        self.interfaces.push(Interface { mac, ip, prefix: prefix.min(32), mtu });
        self.arp.push(ArpCache::default());
        self.routes.add(Route::new(ip, prefix, None, i));
        i
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
        if dst != iface.mac && dst != BROADCAST {
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
                    Err(why) => self.log(ctx, LayerKind::Network, format!("packet dropped: {why}"), format!("丢弃分组:{why}")),
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
        self.resolving.remove(&(port, a.spa));
        let (ready, rest): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.pending).into_iter().partition(|w| w.interface == port && w.next_hop == a.spa);
        self.pending = rest;
        for w in ready {
            Self::put_on_wire(ctx, &iface, port, a.sha, w.packet, w.own);
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
        if let Some(mac) = self.arp[out].lookup(hop, ctx.now) {
            for p in packets {
                Self::put_on_wire(ctx, &iface, out, mac, p, own);
            }
            return;
        }
        for packet in packets {
            let queued: usize = self.pending.iter().filter(|w| w.interface == out && w.next_hop == hop).map(|w| w.packet.len()).sum();
            if queued + packet.len() <= ARP_QUEUE_BYTES {
                self.pending.push(Waiting { interface: out, next_hop: hop, packet, own });
            }
        }
        if let std::collections::btree_map::Entry::Vacant(e) = self.resolving.entry((out, hop)) {
            e.insert((1, ctx.now + ARP_RETRY));
            self.send_arp_request(ctx, out, hop);
            self.wake(ctx, ctx.now + ARP_RETRY);
        }
    }

    fn put_on_wire(ctx: &mut Ctx<'_>, iface: &Interface, port: usize, dst_mac: Mac, packet: Vec<u8>, own: bool) {
        let frame = wire::ethernet(dst_mac, iface.mac, wire::ETHERTYPE_IPV4, &packet);
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

    /// Timers: ARP retries.
    pub fn on_timer(&mut self, ctx: &mut Ctx<'_>) {
        self.wakes.retain(|t| *t > ctx.now);
        let due: Vec<((usize, Ipv4Addr), u32)> =
            self.resolving.iter().filter(|(_, (_, at))| *at <= ctx.now).map(|(k, (n, _))| (*k, *n)).collect();
        for ((port, ip), tries) in due {
            if tries >= ARP_TRIES {
                self.resolving.remove(&(port, ip));
                let before = self.pending.len();
                self.pending.retain(|w| (w.interface, w.next_hop) != (port, ip));
                let dropped = before - self.pending.len();
                self.log(ctx, LayerKind::Link,
                    format!("ARP: no answer for {ip} on if {port} after {tries} requests: {dropped} packet(s) dropped"),
                    format!("ARP:在接口 {port} 上 {tries} 次询问 {ip} 都没有应答:丢弃 {dropped} 个分组"));
            } else {
                self.resolving.insert((port, ip), (tries + 1, ctx.now + ARP_RETRY));
                self.send_arp_request(ctx, port, ip);
                self.wake(ctx, ctx.now + ARP_RETRY);
            }
        }
    }
}
