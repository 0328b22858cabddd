//! The network: nodes (hosts, switches, routers), links between their ports, the event loop, and the
//! record of every frame that crossed a link.
//!
//! A link is full duplex: each direction sends one frame at a time at its bandwidth (preamble,
//! frame, FCS and inter-frame gap all take wire time), then the frame travels for the
//! propagation delay. A frame is recorded when its first bit leaves, as a capture at the sending
//! end of the link would see it, lost or not; a lost frame never arrives.

use std::collections::BTreeMap;
use std::io::Write;

use netlayers_capture::{CaptureError, PcapNgWriter};
use netlayers_core::{Frame, LayerKind, LinkType, Timestamp};
use netlayers_render::{flow_event, FlowEvent, FrameView};
use netlayers_stack::Dissector;

use crate::engine::{EventQueue, Nanos, MS};
use crate::host::{fmt_mac, Action, Ctx, Entry, Host};
use crate::rng::Rng;
use crate::router::Router;
use crate::wire::{self, Mac};

/// Seconds since 1970 of simulated time 0 in a written capture: 2026-01-01 00:00:00 UTC, fixed so
/// that captures are identical whenever they are made.
pub const EPOCH_SECS: i64 = 1_767_225_600;
/// Events after which a run stops, whatever the scenario does.
pub const MAX_EVENTS: u64 = 1_000_000;

/// A link's properties.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinkSpec {
    pub bandwidth_bps: u64,
    /// One-way propagation delay.
    pub delay: Nanos,
    /// Probability that a frame is lost, drawn from the link's own seeded stream.
    pub loss: f64,
}

impl Default for LinkSpec {
    fn default() -> LinkSpec {
        LinkSpec { bandwidth_bps: 100_000_000, delay: MS, loss: 0.0 }
    }
}

pub struct Link {
    pub name: String,
    pub spec: LinkSpec,
    /// (node, port) at each end.
    pub ends: [(usize, usize); 2],
    /// When each direction is free again (index: the sending end).
    busy: [Nanos; 2],
    rng: Rng,
}

/// A learning switch: it forwards by destination MAC once it has seen that MAC as a source,
/// and floods otherwise (IEEE 802.1D's filtering database). An entry not refreshed for
/// [`SWITCH_AGEING`] is forgotten.
pub struct Switch {
    pub name: String,
    pub ports: usize,
    /// MAC → (port, last seen).
    pub table: BTreeMap<Mac, (usize, Nanos)>,
}

/// IEEE 802.1D's default ageing time: 300 seconds.
pub const SWITCH_AGEING: Nanos = 300 * crate::engine::SEC;

pub enum Node {
    Host(Box<Host>),
    Switch(Switch),
    Router(Box<Router>),
}

impl Node {
    pub fn name(&self) -> &str {
        match self {
            Node::Host(h) => &h.name,
            Node::Switch(s) => &s.name,
            Node::Router(r) => &r.name,
        }
    }
}

/// One frame on one link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Captured {
    /// When its first bit left.
    pub time: Nanos,
    pub link: usize,
    /// The node that sent it, and whether that node made it (a host, or a router's own ICMP),
    /// not passed it on (a switch or a router forwarding it).
    pub from: usize,
    pub by_host: bool,
    pub lost: bool,
    pub bytes: Vec<u8>,
}

enum Event {
    Deliver { node: usize, port: usize, frame: Vec<u8> },
    Wake { node: usize },
}

pub struct Network {
    now: Nanos,
    seed: u64,
    queue: EventQueue<Event>,
    nodes: Vec<Node>,
    links: Vec<Link>,
    /// For each node, for each port: the link and which end of it.
    ports: Vec<Vec<Option<(usize, usize)>>>,
    timeline: Vec<Entry>,
    frames: Vec<Captured>,
    events_run: u64,
}

impl Network {
    pub fn new(seed: u64) -> Network {
        Network {
            now: 0,
            seed,
            queue: EventQueue::default(),
            nodes: Vec::new(),
            links: Vec::new(),
            ports: Vec::new(),
            timeline: Vec::new(),
            frames: Vec::new(),
            events_run: 0,
        }
    }

    /// Adds a host with one interface; its MAC is made from its address (02:00:a.b.c.d).
    pub fn add_host(&mut self, name: &str, ip: std::net::Ipv4Addr, prefix: u8) -> usize {
        let o = ip.octets();
        let mac = [0x02, 0x00, o[0], o[1], o[2], o[3]];
        let rng = Rng::derive(self.seed, 0x1000 + self.nodes.len() as u64);
        self.nodes.push(Node::Host(Box::new(Host::new(name, mac, ip, prefix, rng))));
        self.ports.push(vec![None]);
        self.nodes.len() - 1
    }

    /// Adds a router with one interface per (address, prefix, MTU), its ports in that order; each
    /// MAC is made from the interface's address, as a host's is.
    pub fn add_router(&mut self, name: &str, interfaces: &[(std::net::Ipv4Addr, u8, usize)]) -> usize {
        let mut r = Router::new(name);
        for &(ip, prefix, mtu) in interfaces {
            let o = ip.octets();
            r.add_interface([0x02, 0x00, o[0], o[1], o[2], o[3]], ip, prefix, mtu);
        }
        self.nodes.push(Node::Router(Box::new(r)));
        self.ports.push(vec![None; interfaces.len()]);
        self.nodes.len() - 1
    }

    pub fn router_mut(&mut self, node: usize) -> Option<&mut Router> {
        match self.nodes.get_mut(node) {
            Some(Node::Router(r)) => Some(r),
            _ => None,
        }
    }

    pub fn add_switch(&mut self, name: &str, ports: usize) -> usize {
        self.nodes.push(Node::Switch(Switch { name: name.to_string(), ports, table: BTreeMap::new() }));
        self.ports.push(vec![None; ports]);
        self.nodes.len() - 1
    }

    /// Connects `a`'s port `pa` to `b`'s port `pb`. Returns the link's index, or None if a port
    /// does not exist or is taken.
    pub fn connect(&mut self, a: usize, pa: usize, b: usize, pb: usize, spec: LinkSpec) -> Option<usize> {
        let free = |n: usize, p: usize, ports: &Vec<Vec<Option<(usize, usize)>>>| {
            ports.get(n).and_then(|v| v.get(p)).is_some_and(|x| x.is_none())
        };
        if (a, pa) == (b, pb) || !free(a, pa, &self.ports) || !free(b, pb, &self.ports) {
            return None;
        }
        let id = self.links.len();
        let name = format!("{}-{}", self.nodes[a].name(), self.nodes[b].name());
        self.links.push(Link {
            name,
            spec,
            ends: [(a, pa), (b, pb)],
            busy: [0; 2],
            rng: Rng::derive(self.seed, id as u64 + 1),
        });
        self.ports[a][pa] = Some((id, 0));
        self.ports[b][pb] = Some((id, 1));
        Some(id)
    }

    pub fn host_mut(&mut self, node: usize) -> Option<&mut Host> {
        match self.nodes.get_mut(node) {
            Some(Node::Host(h)) => Some(h),
            _ => None,
        }
    }
    pub fn host(&self, node: usize) -> Option<&Host> {
        match self.nodes.get(node) {
            Some(Node::Host(h)) => Some(h),
            _ => None,
        }
    }
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }
    pub fn links(&self) -> &[Link] {
        &self.links
    }
    pub fn now(&self) -> Nanos {
        self.now
    }
    pub fn timeline(&self) -> &[Entry] {
        &self.timeline
    }
    /// Every frame that crossed a link, in time order.
    pub fn frames(&self) -> &[Captured] {
        &self.frames
    }

    /// Hands `frame` to `node`'s `port` at time `at`, as if it had arrived on the link: for
    /// crafted frames (and for tests that throw garbage at a host). It is not recorded.
    pub fn inject(&mut self, at: Nanos, node: usize, port: usize, frame: Vec<u8>) {
        self.queue.push(at, Event::Deliver { node, port, frame });
    }

    /// Runs until nothing is left to do, `until` is reached, or [`MAX_EVENTS`] ran.
    pub fn run(&mut self, until: Nanos) {
        for node in 0..self.nodes.len() {
            self.with_host(node, |h, ctx| h.run_apps(ctx));
        }
        while let Some((t, ev)) = self.queue.pop() {
            if t > until || self.events_run >= MAX_EVENTS {
                break;
            }
            // A timer the host cancelled (a datagram reassembled in time) does not move the clock.
            if let Event::Wake { node } = ev {
                if self.host(node).is_some_and(|h| !h.timer_set(t)) {
                    continue;
                }
            }
            self.now = t;
            self.events_run += 1;
            match ev {
                Event::Deliver { node, port, frame } => self.deliver(node, port, frame),
                Event::Wake { node } => {
                    self.with_host(node, |h, ctx| {
                        h.on_timer(ctx);
                        h.run_apps(ctx);
                    });
                    self.with_router(node, |r, ctx| r.on_timer(ctx));
                }
            }
        }
        // Frames are recorded when sent, and a busy link may send a frame later than it was
        // handed over: keep the record in time order (stable, so equal times keep their order).
        self.frames.sort_by_key(|f| f.time);
        self.timeline.sort_by_key(|e| e.time);
    }

    fn with_host(&mut self, node: usize, f: impl FnOnce(&mut Host, &mut Ctx<'_>)) {
        let Some(Node::Host(h)) = self.nodes.get_mut(node) else { return };
        let mut ctx = Ctx { now: self.now, timeline: &mut self.timeline, actions: Vec::new() };
        f(h, &mut ctx);
        let actions = ctx.actions;
        self.apply(node, true, actions);
    }

    fn with_router(&mut self, node: usize, f: impl FnOnce(&mut Router, &mut Ctx<'_>)) {
        let Some(Node::Router(r)) = self.nodes.get_mut(node) else { return };
        let mut ctx = Ctx { now: self.now, timeline: &mut self.timeline, actions: Vec::new() };
        f(r, &mut ctx);
        let actions = ctx.actions;
        self.apply(node, true, actions);
    }

    fn apply(&mut self, node: usize, by_host: bool, actions: Vec<Action>) {
        for a in actions {
            match a {
                Action::Send { port, frame } => self.transmit(node, port, frame, by_host),
                Action::Forward { port, frame } => self.transmit(node, port, frame, false),
                Action::Wake(t) => self.queue.push(t.max(self.now), Event::Wake { node }),
            }
        }
    }

    fn deliver(&mut self, node: usize, port: usize, frame: Vec<u8>) {
        match self.nodes.get_mut(node) {
            Some(Node::Host(_)) => self.with_host(node, |h, ctx| {
                h.on_frame(ctx, &frame);
                h.run_apps(ctx);
            }),
            Some(Node::Switch(sw)) => {
                let Some((dst, src)) = wire::macs(&frame) else { return };
                let mut log = |en: String, zh: String| {
                    self.timeline.push(Entry {
                        time: self.now,
                        node: sw.name.clone(),
                        layer: LayerKind::Link,
                        text: netlayers_core::text::OwnedText::new(en, zh),
                    })
                };
                let now = self.now;
                let fresh = |e: &(usize, Nanos)| now.saturating_sub(e.1) < SWITCH_AGEING;
                if src[0] & 1 == 0 {
                    let known = sw.table.get(&src).filter(|e| fresh(e)).map(|e| e.0);
                    sw.table.insert(src, (port, now));
                    if known != Some(port) {
                        log(format!("learned {} on port {port}", fmt_mac(&src)), format!("学到 {} 在端口 {port}", fmt_mac(&src)));
                    }
                }
                let out: Vec<usize> = match sw.table.get(&dst).filter(|e| fresh(e)).map(|e| e.0) {
                    Some(p) if p == port => {
                        log(format!("{} is on the port the frame came from: filtered", fmt_mac(&dst)),
                            format!("{} 就在帧进来的端口上:过滤掉", fmt_mac(&dst)));
                        Vec::new()
                    }
                    Some(p) => vec![p],
                    None => {
                        let ports: Vec<usize> = (0..sw.ports).filter(|p| *p != port).collect();
                        let what = if dst[0] & 1 == 1 { "broadcast" } else { "unknown destination" };
                        let zh = if dst[0] & 1 == 1 { "广播" } else { "目的地址未知" };
                        log(format!("{what} {}: flooded to ports {ports:?}", fmt_mac(&dst)),
                            format!("{zh} {}:泛洪到端口 {ports:?}", fmt_mac(&dst)));
                        ports
                    }
                };
                for p in out {
                    self.transmit(node, p, frame.clone(), false);
                }
            }
            Some(Node::Router(_)) => self.with_router(node, |r, ctx| r.on_frame(ctx, port, &frame)),
            None => {}
        }
    }

    /// Puts a frame on the link at `node`'s `port` (nothing happens on an unconnected port).
    fn transmit(&mut self, node: usize, port: usize, frame: Vec<u8>, by_host: bool) {
        let Some(&Some((id, end))) = self.ports.get(node).and_then(|p| p.get(port)) else { return };
        let Some(link) = self.links.get_mut(id) else { return };
        let start = self.now.max(link.busy[end]);
        let bits = netlayers_physical::wire_len(frame.len()) as u128 * 8 + u128::from(netlayers_physical::IFG_BITS);
        let tx = (bits * 1_000_000_000 / u128::from(link.spec.bandwidth_bps.max(1))) as Nanos;
        link.busy[end] = start + tx;
        let lost = link.rng.chance(link.spec.loss);
        let (to, to_port) = link.ends[1 - end];
        let arrive = start + tx + link.spec.delay;
        if lost {
            let p = link.spec.loss;
            let name = link.name.clone();
            self.timeline.push(Entry {
                time: start,
                node: name,
                layer: LayerKind::Physical,
                text: netlayers_core::text::OwnedText::new(
                    format!("a frame from {} is lost on the link (seeded loss, p = {p})", self.nodes.get(node).map_or("?", Node::name)),
                    format!("{} 发出的一帧在链路上丢失(按种子随机丢包,p = {p})", self.nodes.get(node).map_or("?", Node::name)),
                ),
            });
        } else {
            self.queue.push(arrive, Event::Deliver { node: to, port: to_port, frame: frame.clone() });
        }
        self.frames.push(Captured { time: start, link: id, from: node, by_host, lost, bytes: frame });
    }

    /// Writes every recorded frame as pcapng: one interface per link, named after it.
    pub fn write_pcapng<W: Write>(&self, name: &str, out: W) -> Result<W, CaptureError> {
        let mut w = PcapNgWriter::new(name, out)?;
        for l in &self.links {
            let desc = format!(
                "simulated link, {} bit/s, {} ns delay, loss {}",
                l.spec.bandwidth_bps, l.spec.delay, l.spec.loss
            );
            w.add_interface(LinkType::Ethernet, &l.name, Some(&desc))?;
        }
        for f in &self.frames {
            let ts = Timestamp { secs: EPOCH_SECS + (f.time / 1_000_000_000) as i64, nanos: (f.time % 1_000_000_000) as u32 };
            w.write(f.link as u32, ts, f.bytes.len() as u32, &f.bytes)?;
        }
        Ok(w.into_inner())
    }

    /// One arrow per packet a host sent (frames a switch forwards are the same packets), drawn
    /// from the bytes by the project's decoder as `netlayers flow` does; lost ones say so.
    pub fn flow_events(&self) -> Vec<FlowEvent> {
        let mut d = Dissector::new();
        let mut out = Vec::new();
        for (i, c) in self.frames.iter().filter(|c| c.by_host).enumerate() {
            let frame = Frame {
                number: i as u64 + 1,
                ts: Timestamp { secs: EPOCH_SECS + (c.time / 1_000_000_000) as i64, nanos: (c.time % 1_000_000_000) as u32 },
                orig_len: c.bytes.len() as u32,
                data: c.bytes.clone(),
                link: LinkType::Ethernet,
                interface: 0,
            };
            let dis = d.dissect(&frame);
            let view = FrameView { number: dis.number, rel_time: dis.rel_time, orig_len: dis.orig_len, cap_len: dis.cap_len, layers: &dis.layers };
            if let Some(mut e) = flow_event(&view) {
                e.time = c.time as f64 / 1e9;
                if c.lost {
                    e.label.push_str(" ✗ lost");
                }
                out.push(e);
            }
        }
        out
    }
}
