//! The network: nodes (hosts, switches, routers), links between their ports, the event loop, and the
//! record of every frame that crossed a link.
//!
//! A link is full duplex: each direction sends one frame at a time at its bandwidth (preamble,
//! frame, FCS and inter-frame gap all take wire time), then the frame travels for the
//! propagation delay. A frame is recorded when its first bit leaves, as a tap on the cable at the
//! sending end would see it, lost or not; a lost frame never arrives.
//!
//! Faults, each drawn per frame from its own seeded stream of the link (so that turning one on
//! does not change the draws of another): loss; duplication (the link sends the frame, as it was
//! handed over, a second time right after the first, and both copies are recorded); reordering (the frame is held back
//! by an extra delay of 1 to 5 ms, so frames sent after it can arrive before it); corruption (one
//! bit of the frame flipped, recorded as it crossed). A corrupted frame is dropped by the
//! receiving network card because its Ethernet FCS no longer matches: the sender's card computed
//! the CRC-32 over the intact frame, and a CRC-32 always catches a single flipped bit. That is
//! what happens on a real cable, long before IP, TCP or UDP could check their own checksums.

use std::collections::BTreeMap;
use std::io::Write;

use netlayers_capture::{CaptureError, PcapNgWriter};
use netlayers_core::{Frame, Lang, LayerKind, LinkType, Text, Timestamp};
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

/// The probabilities of a link's faults, each for every frame, between 0 and 1.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Faults {
    /// The frame never arrives.
    pub loss: f64,
    /// The frame arrives twice.
    pub duplicate: f64,
    /// The frame is held back, so later frames overtake it.
    pub reorder: f64,
    /// One bit of the frame is flipped.
    pub corrupt: f64,
}

impl Faults {
    pub const NONE: Faults = Faults { loss: 0.0, duplicate: 0.0, reorder: 0.0, corrupt: 0.0 };
}

/// A link's properties.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinkSpec {
    pub bandwidth_bps: u64,
    /// One-way propagation delay.
    pub delay: Nanos,
    /// Drawn from the link's own seeded streams.
    pub faults: Faults,
}

impl Default for LinkSpec {
    fn default() -> LinkSpec {
        LinkSpec { bandwidth_bps: 100_000_000, delay: MS, faults: Faults::NONE }
    }
}

/// The longest a reordered frame is held back: it draws 1 to this many milliseconds.
pub const REORDER_MAX_MS: u64 = 5;

/// One random stream per fault, so that each draws the same numbers whatever the others do.
struct FaultStreams {
    loss: Rng,
    duplicate: Rng,
    reorder: Rng,
    corrupt: Rng,
}

impl FaultStreams {
    fn new(seed: u64, link: usize) -> FaultStreams {
        // Loss keeps the stream it always had, so runs with loss alone are what they were.
        let stream = |k: u64| Rng::derive(seed, link as u64 + 1 + (k << 32));
        FaultStreams { loss: stream(0), duplicate: stream(1), reorder: stream(2), corrupt: stream(3) }
    }
}

pub struct Link {
    pub name: String,
    pub spec: LinkSpec,
    /// (node, port) at each end.
    pub ends: [(usize, usize); 2],
    /// When each direction is free again (index: the sending end).
    busy: [Nanos; 2],
    rng: FaultStreams,
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

/// What a link did to a frame that arrived (a lost one is [`Captured::lost`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Damage {
    /// The second copy of a duplicated frame.
    Duplicate,
    /// Held back this long beyond the link's delay.
    Reordered { extra: Nanos },
    /// This bit flipped, counted from 0 at the first bit of the frame, most significant first.
    Corrupted { bit: usize },
}

impl Damage {
    /// How an arrow in the sequence diagram says it.
    pub fn mark(&self, lang: Lang) -> String {
        let zh = lang == Lang::Zh;
        match self {
            Damage::Duplicate if zh => "⧉ 重复的副本".into(),
            Damage::Duplicate => "⧉ duplicate".into(),
            Damage::Reordered { extra } if zh => format!("↷ 多耽搁 {} 毫秒,乱序", extra / MS),
            Damage::Reordered { extra } => format!("↷ delayed {} ms, reordered", extra / MS),
            Damage::Corrupted { bit } if zh => format!("✗ 第 {bit} 位翻转"),
            Damage::Corrupted { bit } => format!("✗ bit {bit} flipped"),
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
    /// What the link did to it, in the order it happened.
    pub damage: Vec<Damage>,
    /// The bytes as they crossed (a corrupted frame with its flipped bit).
    pub bytes: Vec<u8>,
}

enum Event {
    /// `fcs`: the CRC-32 the sending card appended to the intact frame.
    Deliver { node: usize, port: usize, frame: Vec<u8>, fcs: u32 },
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
            rng: FaultStreams::new(self.seed, id),
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
        let fcs = netlayers_physical::fcs(&frame);
        self.queue.push(at, Event::Deliver { node, port, frame, fcs });
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
                Event::Deliver { node, port, frame, fcs } => self.deliver(node, port, frame, fcs),
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

    fn deliver(&mut self, node: usize, port: usize, frame: Vec<u8>, fcs: u32) {
        // Hosts' cards and store-and-forward switches check the FCS before anything else.
        let got = netlayers_physical::fcs(&frame);
        if got != fcs {
            let name = self.nodes.get(node).map_or("?", Node::name).to_string();
            self.timeline.push(Entry {
                time: self.now,
                node: name,
                layer: LayerKind::Link,
                text: netlayers_core::text::OwnedText::new(
                    format!("frame dropped by the network card: its FCS is {fcs:#010x} but the bytes give {got:#010x} (damaged on the link)"),
                    format!("网卡丢弃一帧:帧校验序列(FCS)是 {fcs:#010x},按收到的字节算出来却是 {got:#010x}(在链路上损坏)"),
                ),
            });
            return;
        }
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
                        // A switch without multicast snooping floods multicast as it does broadcast.
                        let (what, zh) = match (dst == wire::BROADCAST, dst[0] & 1 == 1) {
                            (true, _) => ("broadcast", "广播"),
                            (false, true) => ("multicast", "组播"),
                            _ => ("unknown destination", "目的地址未知"),
                        };
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

    /// Puts a frame on the link at `node`'s `port` (nothing happens on an unconnected port), and
    /// lets the link's faults act on it.
    fn transmit(&mut self, node: usize, port: usize, mut frame: Vec<u8>, by_host: bool) {
        let Some(&Some((id, end))) = self.ports.get(node).and_then(|p| p.get(port)) else { return };
        let Some(link) = self.links.get_mut(id) else { return };
        let start = self.now.max(link.busy[end]);
        let bits = netlayers_physical::wire_len(frame.len()) as u128 * 8 + u128::from(netlayers_physical::IFG_BITS);
        let tx = (bits * 1_000_000_000 / u128::from(link.spec.bandwidth_bps.max(1))) as Nanos;
        link.busy[end] = start + tx;
        let f = link.spec.faults;
        // Every stream draws for every frame, so one fault's draws never depend on another's.
        let lost = link.rng.loss.chance(f.loss);
        let duplicated = link.rng.duplicate.chance(f.duplicate);
        let held = link.rng.reorder.range(1, REORDER_MAX_MS + 1) * MS;
        let reordered = link.rng.reorder.chance(f.reorder);
        let bit = link.rng.corrupt.range(0, frame.len() as u64 * 8) as usize;
        let corrupted = link.rng.corrupt.chance(f.corrupt) && !frame.is_empty();
        let (to, to_port) = link.ends[1 - end];
        let name = link.name.clone();
        let delay = link.spec.delay;
        let sender = self.nodes.get(node).map_or("?", Node::name).to_string();
        let mut say = |time: Nanos, en: String, zh: String| {
            self.timeline.push(Entry { time, node: name.clone(), layer: LayerKind::Physical, text: netlayers_core::text::OwnedText::new(en, zh) });
        };
        if lost {
            let p = f.loss;
            say(start,
                format!("a frame from {sender} is lost on the link (seeded loss, p = {p})"),
                format!("{sender} 发出的一帧在链路上丢失(按种子随机丢包,p = {p})"));
            self.frames.push(Captured { time: start, link: id, from: node, by_host, lost, damage: Vec::new(), bytes: frame });
            return;
        }
        let fcs = netlayers_physical::fcs(&frame);
        let intact = duplicated.then(|| frame.clone());
        let mut damage = Vec::new();
        if corrupted {
            frame[bit / 8] ^= 0x80 >> (bit % 8);
            damage.push(Damage::Corrupted { bit });
            let (byte, mask, p) = (bit / 8, 0x80u8 >> (bit % 8), f.corrupt);
            say(start,
                format!("a frame from {sender} is damaged on the link: bit {bit} flipped (byte {byte}, mask {mask:#04x}; seeded corruption, p = {p})"),
                format!("{sender} 发出的一帧在链路上损坏:第 {bit} 位翻转(第 {byte} 字节,掩码 {mask:#04x};按种子随机损坏,p = {p})"));
        }
        let mut arrive = start + tx + delay;
        if reordered {
            arrive += held;
            damage.push(Damage::Reordered { extra: held });
            let (ms, p) = (held / MS, f.reorder);
            say(start,
                format!("a frame from {sender} is delayed {ms} ms more than the link's delay: frames sent after it can overtake it (seeded reordering, p = {p})"),
                format!("{sender} 发出的一帧比链路时延多耽搁 {ms} 毫秒:在它之后发出的帧可能先到(按种子随机乱序,p = {p})"));
        }
        self.queue.push(arrive, Event::Deliver { node: to, port: to_port, frame: frame.clone(), fcs });
        if let Some(copy) = intact {
            // The copy, of the frame as it was sent, follows it on the wire and takes its own
            // transmission time.
            let again = start + tx;
            if let Some(link) = self.links.get_mut(id) {
                link.busy[end] = again + tx;
            }
            let p = f.duplicate;
            self.timeline.push(Entry {
                time: again,
                node: name.clone(),
                layer: LayerKind::Physical,
                text: netlayers_core::text::OwnedText::new(
                    format!("a frame from {sender} is duplicated on the link: a second copy follows it (seeded duplication, p = {p})"),
                    format!("{sender} 发出的一帧在链路上被复制:紧跟着又来一份(按种子随机重复,p = {p})"),
                ),
            });
            self.queue.push(again + tx + delay, Event::Deliver { node: to, port: to_port, frame: copy.clone(), fcs });
            self.frames.push(Captured { time: start, link: id, from: node, by_host, lost, damage, bytes: frame });
            self.frames.push(Captured { time: again, link: id, from: node, by_host, lost, damage: vec![Damage::Duplicate], bytes: copy });
            return;
        }
        self.frames.push(Captured { time: start, link: id, from: node, by_host, lost, damage, bytes: frame });
    }

    /// Writes every recorded frame as pcapng: one interface per link, named after it.
    pub fn write_pcapng<W: Write>(&self, name: &str, out: W) -> Result<W, CaptureError> {
        let mut w = PcapNgWriter::new(name, out)?;
        for l in &self.links {
            let f = l.spec.faults;
            let mut desc = format!("simulated link, {} bit/s, {} ns delay, loss {}", l.spec.bandwidth_bps, l.spec.delay, f.loss);
            if f != (Faults { loss: f.loss, ..Faults::NONE }) {
                desc.push_str(&format!(", duplication {}, reordering {}, corruption {}", f.duplicate, f.reorder, f.corrupt));
            }
            w.add_interface(LinkType::Ethernet, &l.name, Some(&desc))?;
        }
        for f in &self.frames {
            let ts = Timestamp { secs: EPOCH_SECS + (f.time / 1_000_000_000) as i64, nanos: (f.time % 1_000_000_000) as u32 };
            w.write(f.link as u32, ts, f.bytes.len() as u32, &f.bytes)?;
        }
        Ok(w.into_inner())
    }

    /// One arrow per packet a host sent (frames a switch forwards are the same packets), drawn
    /// from the bytes by the project's decoder as `netlayers flow` does; what the link did to a
    /// packet (lost, duplicated, held back, damaged) is marked on its arrow.
    pub fn flow_events(&self, lang: Lang) -> Vec<FlowEvent> {
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
                // Marks go first, so that a label cut to fit its column still shows them.
                let mut marks: Vec<String> = c.damage.iter().map(|d| d.mark(lang)).collect();
                if c.lost {
                    marks.insert(0, Text::new("✗ lost", "✗ 丢失").get(lang).to_string());
                }
                if !marks.is_empty() {
                    e.label = format!("{}: {}", marks.join(", "), e.label);
                }
                out.push(e);
            }
        }
        out
    }
}
