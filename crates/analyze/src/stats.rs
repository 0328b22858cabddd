//! `netlayers stats`: capture properties, protocol hierarchy, conversations and endpoints, like
//! tshark's `-z io,phs` and `-z conv,…`/`-z endpoints,…`, gathered in one pass.
//!
//! Memory grows with the number of conversations and protocol paths, never with frames.
//! Conversation rules follow tshark 4.0: a frame counts once per layer of that kind it holds (an
//! ICMP error's quoted packet is not counted), bytes are frame lengths on the wire, address A is
//! the source of the first frame seen, and a TCP conversation is one `tcp.stream`.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::net::{IpAddr, Ipv6Addr};

use hashbrown::HashTable;
use netlayers_core::{Lang, Layer, LinkType, Severity, Text, Timestamp, Value};

/// Which table a conversation belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ConvKind {
    Eth,
    Ip,
    Ipv6,
    Tcp,
    Udp,
}

impl ConvKind {
    pub const ALL: [ConvKind; 5] = [ConvKind::Eth, ConvKind::Ip, ConvKind::Ipv6, ConvKind::Tcp, ConvKind::Udp];
    /// The name tshark's `-z conv,NAME` uses.
    pub fn key(self) -> &'static str {
        match self {
            ConvKind::Eth => "eth",
            ConvKind::Ip => "ip",
            ConvKind::Ipv6 => "ipv6",
            ConvKind::Tcp => "tcp",
            ConvKind::Udp => "udp",
        }
    }
    pub fn title(self) -> Text {
        match self {
            ConvKind::Eth => Text::new("Ethernet", "以太网"),
            ConvKind::Ip => Text::new("IPv4", "IPv4"),
            ConvKind::Ipv6 => Text::new("IPv6", "IPv6"),
            ConvKind::Tcp => Text::new("TCP", "TCP"),
            ConvKind::Udp => Text::new("UDP", "UDP"),
        }
    }
}

/// One conversation: A is the source of its first frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Conversation {
    pub kind: ConvKind,
    pub a: String,
    pub port_a: Option<u16>,
    pub b: String,
    pub port_b: Option<u16>,
    pub frames_ab: u64,
    pub bytes_ab: u64,
    pub frames_ba: u64,
    pub bytes_ba: u64,
    /// First and last frame times, relative to the capture's first frame.
    pub start: f64,
    pub end: f64,
}

/// One address (with port for TCP/UDP) and what it sent and received.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    pub kind: ConvKind,
    pub addr: String,
    pub port: Option<u16>,
    pub tx_frames: u64,
    pub tx_bytes: u64,
    pub rx_frames: u64,
    pub rx_bytes: u64,
}

/// One protocol path of the hierarchy (`eth:ip:tcp:http`), with the frames and bytes holding it.
#[derive(Debug, Clone, PartialEq)]
pub struct PhsRow {
    pub depth: usize,
    pub protocol: &'static str,
    pub frames: u64,
    pub bytes: u64,
}

#[derive(Debug, Default)]
struct PhsNode {
    frames: u64,
    bytes: u64,
    children: Vec<(&'static str, PhsNode)>,
}

/// How a conversation's ends are written: a MAC, an IPv4 or an IPv6 address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Mac,
    V4,
    V6,
}

/// One end of a conversation as bytes: a MAC in the first 6, an IPv4 address in the first 4,
/// an IPv6 address in all 16 (the rest zero); the port is 0 for kinds without ports.
#[derive(Debug, Clone, Copy, Eq)]
struct End {
    addr: [u8; 16],
    port: u16,
}

// Compared as one 128-bit number, not byte by byte: every counted frame compares a few.
impl PartialEq for End {
    fn eq(&self, other: &End) -> bool {
        u128::from_ne_bytes(self.addr) == u128::from_ne_bytes(other.addr) && self.port == other.port
    }
}

impl End {
    fn mac(m: [u8; 6]) -> End {
        let mut addr = [0; 16];
        addr[..6].copy_from_slice(&m);
        End { addr, port: 0 }
    }

    fn ip(a: IpAddr, port: u16) -> End {
        let addr = match a {
            IpAddr::V4(a) => {
                let mut b = [0; 16];
                b[..4].copy_from_slice(&a.octets());
                b
            }
            IpAddr::V6(a) => a.octets(),
        };
        End { addr, port }
    }

    /// A total order, only to pick which end a conversation's hash starts with.
    fn sort_key(&self) -> (u128, u16) {
        (u128::from_ne_bytes(self.addr), self.port)
    }
}

fn family(a: IpAddr) -> Family {
    if a.is_ipv4() {
        Family::V4
    } else {
        Family::V6
    }
}

/// A conversation while counting (96 bytes): its two ends as bytes, written out as text only
/// when the report is printed. A is the source of its first frame.
#[derive(Debug, Clone)]
struct Conv {
    a: [u8; 16],
    b: [u8; 16],
    /// The TCP stream (0 for other kinds): two connections on the same ports are two rows.
    stream: u64,
    frames_ab: u64,
    bytes_ab: u64,
    frames_ba: u64,
    bytes_ba: u64,
    start: f64,
    end: f64,
    port_a: u16,
    port_b: u16,
    kind: ConvKind,
    family: Family,
}

// The size the documentation gives (docs/performance.md): a change shows here first.
const _: () = assert!(std::mem::size_of::<Conv>() == 96);

impl Conv {
    fn end_a(&self) -> End {
        End { addr: self.a, port: self.port_a }
    }

    fn end_b(&self) -> End {
        End { addr: self.b, port: self.port_b }
    }

    /// Whether this is the conversation of a frame from `s` to `d` (either way round).
    fn is(&self, kind: ConvKind, family: Family, stream: u64, s: &End, d: &End) -> bool {
        self.kind == kind
            && self.family == family
            && self.stream == stream
            && ((self.end_a() == *s && self.end_b() == *d) || (self.end_a() == *d && self.end_b() == *s))
    }

    fn hash(&self, h: &foldhash::fast::RandomState) -> u64 {
        conv_hash(h, self.kind, self.family, self.stream, &self.end_a(), &self.end_b())
    }

    /// Whether the conversation's kind has ports (TCP, UDP).
    fn has_ports(&self) -> bool {
        matches!(self.kind, ConvKind::Tcp | ConvKind::Udp)
    }
}

/// The same hash for both directions of a conversation: the smaller end first.
fn conv_hash(h: &foldhash::fast::RandomState, kind: ConvKind, family: Family, stream: u64, s: &End, d: &End) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let (lo, hi) = if s.sort_key() <= d.sort_key() { (s, d) } else { (d, s) };
    let mut x = h.build_hasher();
    x.write_u128(u128::from_ne_bytes(lo.addr));
    x.write_u128(u128::from_ne_bytes(hi.addr));
    x.write_u64(u64::from(lo.port) | u64::from(hi.port) << 16 | (kind as u64) << 32 | (family as u64) << 40);
    x.write_u64(stream);
    x.finish()
}

/// Shortcuts from a number (a stream, a conversation's position) to what was found for it last,
/// in a table of fixed size: a slot keeps the last number that fell in it. The numbers in use
/// at any time are the recent ones, so they rarely push each other out, and memory stays the
/// same whatever the capture's size (a slot lost costs a hash lookup: every hint is checked).
#[derive(Debug)]
struct Hints<T> {
    /// (number, value); empty until the first is kept.
    slots: Vec<(u64, T)>,
}

/// 16,384 slots (256 KiB with 16-byte entries).
const HINT_SLOTS: usize = 1 << 14;

impl<T> Default for Hints<T> {
    fn default() -> Self {
        Hints { slots: Vec::new() }
    }
}

impl<T: Copy + Default> Hints<T> {
    fn get(&self, n: u64) -> Option<T> {
        self.slots.get(n as usize % HINT_SLOTS).filter(|s| s.0 == n).map(|s| s.1)
    }

    fn set(&mut self, n: u64, v: T) {
        if self.slots.is_empty() {
            self.slots = vec![(u64::MAX, T::default()); HINT_SLOTS];
        }
        self.slots[n as usize % HINT_SLOTS] = (n, v);
    }

    /// Keeps `v` for `n` unless it has one already (a stream's first conversation keeps its
    /// number; the index finds the others).
    fn remember(&mut self, n: u64, v: T) {
        if self.get(n).is_none() {
            self.set(n, v);
        }
    }
}

/// The conversations of one kind.
#[derive(Debug, Default)]
struct ConvTable {
    list: Blocks<Conv>,
    /// Positions in `list`, hashed by [`conv_hash`] of the conversation itself: its ends are
    /// not stored twice.
    index: HashTable<u32>,
}

impl ConvTable {
    /// The index again, after [`Stats::release_index`].
    fn build_index(&mut self, hasher: &foldhash::fast::RandomState) {
        let list = &self.list;
        for (i, c) in list.iter().enumerate() {
            self.index.insert_unique(c.hash(hasher), i as u32, |&j| list.get(j).hash(hasher));
        }
    }
}

/// A list that grows a block at a time: no doubling, so never two copies at once while it
/// grows, and only its last block partly used.
#[derive(Debug)]
struct Blocks<T> {
    blocks: Vec<Vec<T>>,
}

impl<T> Default for Blocks<T> {
    fn default() -> Self {
        Blocks { blocks: Vec::new() }
    }
}

impl<T> Blocks<T> {
    /// 4,096 conversations: 384 KiB a block.
    const SHIFT: u32 = 12;

    fn push(&mut self, x: T) -> u32 {
        let per = 1 << Self::SHIFT;
        match self.blocks.last_mut() {
            Some(b) if b.len() < per => b.push(x),
            _ => {
                let mut b = Vec::with_capacity(per);
                b.push(x);
                self.blocks.push(b);
            }
        }
        ((self.blocks.len() - 1) << Self::SHIFT | (self.blocks.last().map_or(0, Vec::len) - 1)) as u32
    }

    fn get(&self, i: u32) -> &T {
        &self.blocks[(i >> Self::SHIFT) as usize][(i & ((1 << Self::SHIFT) - 1)) as usize]
    }

    /// The element at `i`, if there is one.
    fn try_get(&self, i: u32) -> Option<&T> {
        self.blocks.get((i >> Self::SHIFT) as usize)?.get((i & ((1 << Self::SHIFT) - 1)) as usize)
    }

    fn get_mut(&mut self, i: u32) -> &mut T {
        &mut self.blocks[(i >> Self::SHIFT) as usize][(i & ((1 << Self::SHIFT) - 1)) as usize]
    }

    fn iter(&self) -> impl Iterator<Item = &T> {
        self.blocks.iter().flatten()
    }
}

/// What [`Stats::add_parts`] counts of one frame whose layers a caller read itself (the fast
/// path of `stats`): the same things [`Stats::add`] finds in the layers.
#[derive(Debug, Clone, Default)]
pub struct FrameParts {
    /// The protocol path, outermost first, without `frame` (`eth`, `ip`, `tcp`, `http` …).
    pub protocols: Vec<&'static str>,
    /// Ethernet source and destination.
    pub eth: Option<([u8; 6], [u8; 6])>,
    /// IP (v4 or v6) source and destination.
    pub ip: Option<(IpAddr, IpAddr)>,
    /// TCP (`true`) or UDP: source port, destination port, `tcp.stream`.
    pub transport: Option<(bool, u16, u16, u64)>,
}

/// Everything `stats` counts, fed one frame at a time.
#[derive(Debug, Default)]
pub struct Stats {
    pub frames: u64,
    /// Sum of the frames' lengths on the wire.
    pub bytes: u64,
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
    pub links: Vec<LinkType>,
    phs: PhsNode,
    /// Each kind's conversations, in order of first appearance, with their index. Kept apart
    /// so that the few Ethernet and IP conversations, met by almost every frame, lie together
    /// in memory instead of among the many TCP and UDP ones.
    convs: [ConvTable; 5],
    /// A TCP conversation's position by its `tcp.stream`, checked before the index: the
    /// conversations of the streams in use lie together at the end of the list, so this is
    /// fewer cache misses than a hash lookup. Only a shortcut: every conversation is in `index`
    /// too.
    by_stream: Hints<u32>,
    /// The same for UDP conversations by `udp.stream` ([`Stats::add_parts`] is given it).
    by_udp_stream: Hints<u32>,
    /// For each TCP (0) and UDP (1) conversation, by its position: the positions of the
    /// Ethernet and IP conversations its last frame was counted in (`u32::MAX`: none), checked
    /// first for its next frame, which is almost always in the same two. A shortcut too.
    above: [Hints<[u32; 2]>; 2],
    hasher: foldhash::fast::RandomState,
}

fn ip(l: &Layer, k: &str) -> Option<IpAddr> {
    match l.find(k).map(|f| &f.value) {
        Some(Value::Ipv4(a)) => Some(IpAddr::V4(*a)),
        Some(Value::Ipv6(a)) => Some(IpAddr::V6(*a)),
        _ => None,
    }
}

fn mac(l: &Layer, k: &str) -> Option<[u8; 6]> {
    match l.find(k).map(|f| &f.value) {
        Some(Value::Mac(m)) => Some(*m),
        _ => None,
    }
}

fn num(l: &Layer, k: &str) -> Option<u64> {
    l.find(k).and_then(|f| f.value.as_u64())
}

impl Stats {
    pub fn new() -> Stats {
        Stats::default()
    }

    /// Counts one frame (its layers after `Conversations::annotate`, which numbers TCP streams).
    pub fn add(&mut self, ts: Timestamp, orig_len: u32, link: LinkType, layers: &[Layer]) {
        let (len, rel) = self.frame(ts, orig_len, link);
        self.phs(len, layers.iter().filter(|l| l.protocol != "frame").map(|l| l.protocol));
        let mut addrs: Option<(IpAddr, IpAddr)> = None;
        for l in layers.iter().filter(|l| l.depth == 0) {
            match l.protocol {
                "eth" => {
                    if let (Some(s), Some(d)) = (mac(l, "eth.src"), mac(l, "eth.dst")) {
                        self.count(ConvKind::Eth, Family::Mac, End::mac(s), End::mac(d), 0, len, rel, u32::MAX);
                    }
                }
                "ip" | "ipv6" => {
                    let v4 = l.protocol == "ip";
                    let (sk, dk) = if v4 { ("ip.src", "ip.dst") } else { ("ipv6.src", "ipv6.dst") };
                    addrs = ip(l, sk).zip(ip(l, dk));
                    // tshark (without reassembly) stops before counting an IPv6 fragment that
                    // does not start the datagram.
                    let later_fragment = num(l, "ipv6.fraghdr.offset").is_some_and(|o| o != 0);
                    if let (Some((s, d)), false) = (addrs, later_fragment) {
                        let kind = if v4 { ConvKind::Ip } else { ConvKind::Ipv6 };
                        self.count(kind, family(s), End::ip(s, 0), End::ip(d, 0), 0, len, rel, u32::MAX);
                    }
                }
                "tcp" | "udp" => {
                    let tcp = l.protocol == "tcp";
                    let (sk, dk) = if tcp { ("tcp.srcport", "tcp.dstport") } else { ("udp.srcport", "udp.dstport") };
                    // A header cut short or with an impossible length ends tshark's dissection
                    // before its conversation tap runs.
                    if l.notes.iter().any(|n| n.severity == netlayers_core::Severity::Error) {
                        continue;
                    }
                    if let (Some((s, d)), Some(sp), Some(dp)) = (addrs, num(l, sk), num(l, dk)) {
                        let (kind, id) = if tcp { (ConvKind::Tcp, num(l, "tcp.stream").unwrap_or(0)) } else { (ConvKind::Udp, 0) };
                        self.count(kind, family(s), End::ip(s, sp as u16), End::ip(d, dp as u16), id, len, rel, u32::MAX);
                    }
                }
                _ => {}
            }
        }
    }

    /// Counts one frame described by its parts, as [`Stats::add`] counts it from its layers.
    pub fn add_parts(&mut self, ts: Timestamp, orig_len: u32, link: LinkType, p: &FrameParts) {
        let (len, rel) = self.frame(ts, orig_len, link);
        self.phs(len, p.protocols.iter().copied());
        let eth = p.eth.map(|(s, d)| (End::mac(s), End::mac(d)));
        let Some((s, d)) = p.ip else {
            if let Some((a, b)) = eth {
                self.count(ConvKind::Eth, Family::Mac, a, b, 0, len, rel, u32::MAX);
            }
            return;
        };
        let (ip_kind, fam) = (if s.is_ipv4() { ConvKind::Ip } else { ConvKind::Ipv6 }, family(s));
        let Some((tcp, sp, dp, stream)) = p.transport else {
            if let Some((a, b)) = eth {
                self.count(ConvKind::Eth, Family::Mac, a, b, 0, len, rel, u32::MAX);
            }
            self.count(ip_kind, fam, End::ip(s, 0), End::ip(d, 0), 0, len, rel, u32::MAX);
            return;
        };
        // The transport's conversation first, by its stream number; then the Ethernet and IP
        // ones its last frame was in, if they are this frame's (the kinds are counted apart, so
        // the order does not matter).
        let (kind, id, by_stream) =
            if tcp { (ConvKind::Tcp, stream, &mut self.by_stream) } else { (ConvKind::Udp, 0, &mut self.by_udp_stream) };
        let hint = by_stream.get(stream).unwrap_or(u32::MAX);
        let at = self.count(kind, fam, End::ip(s, sp), End::ip(d, dp), id, len, rel, hint);
        if at != hint {
            let by_stream = if tcp { &mut self.by_stream } else { &mut self.by_udp_stream };
            by_stream.remember(stream, at);
        }
        let side = usize::from(!tcp);
        let [eth_hint, ip_hint] = self.above[side].get(u64::from(at)).unwrap_or([u32::MAX; 2]);
        let eth_at = match eth {
            Some((a, b)) => self.count(ConvKind::Eth, Family::Mac, a, b, 0, len, rel, eth_hint),
            None => u32::MAX,
        };
        let ip_at = self.count(ip_kind, fam, End::ip(s, 0), End::ip(d, 0), 0, len, rel, ip_hint);
        self.above[side].set(u64::from(at), [eth_at, ip_at]);
    }

    /// Counts the frame itself; its length and time since the first frame.
    fn frame(&mut self, ts: Timestamp, orig_len: u32, link: LinkType) -> (u64, f64) {
        let len = u64::from(orig_len);
        self.frames += 1;
        self.bytes += len;
        let first = *self.first.get_or_insert(ts);
        if self.last.is_none_or(|l| ts > l) {
            self.last = Some(ts);
        }
        if !self.links.contains(&link) {
            self.links.push(link);
        }
        (len, ts.since(first))
    }

    /// Counts one protocol path in the hierarchy.
    fn phs(&mut self, len: u64, protocols: impl Iterator<Item = &'static str>) {
        let mut node = &mut self.phs;
        node.frames += 1;
        node.bytes += len;
        for p in protocols {
            // The names are the decoders' constants: the same address and length, almost always,
            // compared before their bytes.
            let same = |(q, _): &(&str, PhsNode)| std::ptr::eq(*q, p);
            let found = node.children.iter().position(same).or_else(|| node.children.iter().position(|(q, _)| *q == p));
            let i = match found {
                Some(i) => i,
                None => {
                    node.children.push((p, PhsNode::default()));
                    node.children.len() - 1
                }
            };
            node = &mut node.children[i].1;
            node.frames += 1;
            node.bytes += len;
        }
    }

    /// Counts a frame in its conversation, and returns the conversation's position. `hint`, a
    /// position (`u32::MAX`: none), is checked first.
    #[allow(clippy::too_many_arguments)]
    fn count(&mut self, kind: ConvKind, family: Family, s: End, d: End, stream: u64, len: u64, rel: f64, hint: u32) -> u32 {
        let hint = match kind {
            ConvKind::Tcp if hint == u32::MAX => self.by_stream.get(stream).unwrap_or(u32::MAX),
            _ => hint,
        };
        let list = &self.convs[kind as usize].list;
        let i = match list.try_get(hint).filter(|c| c.is(kind, family, stream, &s, &d)) {
            Some(_) => hint,
            None => self.find_or_add(kind, family, s, d, stream, rel),
        };
        let c = self.convs[kind as usize].list.get_mut(i);
        if c.end_a() == s {
            c.frames_ab += 1;
            c.bytes_ab += len;
        } else {
            c.frames_ba += 1;
            c.bytes_ba += len;
        }
        c.end = c.end.max(rel);
        i
    }

    /// The position of a conversation, added (without frames yet) if it is new.
    fn find_or_add(&mut self, kind: ConvKind, family: Family, s: End, d: End, stream: u64, rel: f64) -> u32 {
        let hasher = &self.hasher;
        let t = &mut self.convs[kind as usize];
        if t.index.is_empty() && !t.list.blocks.is_empty() {
            t.build_index(hasher);
        }
        let hash = conv_hash(hasher, kind, family, stream, &s, &d);
        let list = &t.list;
        let found = t.index.find(hash, |&i| list.get(i).is(kind, family, stream, &s, &d)).copied();
        match found {
            Some(i) => i,
            None => {
                let i = t.list.push(Conv {
                    a: s.addr,
                    b: d.addr,
                    stream,
                    frames_ab: 0,
                    bytes_ab: 0,
                    frames_ba: 0,
                    bytes_ba: 0,
                    start: rel,
                    end: rel,
                    port_a: s.port,
                    port_b: d.port,
                    kind,
                    family,
                });
                let list = &t.list;
                t.index.insert_unique(hash, i, |&j| list.get(j).hash(hasher));
                if kind == ConvKind::Tcp {
                    self.remember_stream(stream, i);
                }
                i
            }
        }
    }

    /// Notes a new TCP conversation's position under its stream.
    fn remember_stream(&mut self, stream: u64, i: u32) {
        self.by_stream.remember(stream, i);
    }

    /// Frees the index of conversations, which only counting needs, before the report is
    /// written (a frame counted afterwards builds it again).
    pub fn release_index(&mut self) {
        for t in &mut self.convs {
            t.index = HashTable::new();
        }
        self.by_stream = Hints::default();
        self.by_udp_stream = Hints::default();
        self.above = Default::default();
    }

    /// Conversations of one kind, in order of first appearance.
    pub fn conversations(&self, kind: ConvKind) -> Vec<Conversation> {
        self.convs[kind as usize]
            .list
            .iter()
            .map(|c| {
                let mut a = String::new();
                let mut b = String::new();
                write_addr(&mut a, c.family, &c.a);
                write_addr(&mut b, c.family, &c.b);
                let port = |p: u16| c.has_ports().then_some(p);
                Conversation {
                    kind,
                    a,
                    port_a: port(c.port_a),
                    b,
                    port_b: port(c.port_b),
                    frames_ab: c.frames_ab,
                    bytes_ab: c.bytes_ab,
                    frames_ba: c.frames_ba,
                    bytes_ba: c.bytes_ba,
                    start: c.start,
                    end: c.end,
                }
            })
            .collect()
    }

    /// Endpoints of one kind, in order of first appearance, summed over its conversations.
    pub fn endpoints(&self, kind: ConvKind) -> Vec<Endpoint> {
        self.endpoint_sums(kind)
            .iter()
            .map(|e| {
                let (family, end, ports) = self.endpoint_end(kind, e);
                let mut addr = String::new();
                write_addr(&mut addr, family, &end.addr);
                Endpoint {
                    kind,
                    addr,
                    port: ports.then_some(end.port),
                    tx_frames: e.tx_frames,
                    tx_bytes: e.tx_bytes,
                    rx_frames: e.rx_frames,
                    rx_bytes: e.rx_bytes,
                }
            })
            .collect()
    }

    /// The endpoints of one kind, each named by the conversation and side it first appeared
    /// in; an address (with its port) is one endpoint whichever conversations it is in.
    fn endpoint_sums(&self, kind: ConvKind) -> Vec<EndpointSum> {
        use std::hash::BuildHasher;
        let mut out: Vec<EndpointSum> = Vec::new();
        let mut index: HashTable<u32> = HashTable::new();
        let list = &self.convs[kind as usize].list;
        let end_of = |e: &EndpointSum| {
            let c = list.get(e.conv);
            (c.family, if e.side_b { c.end_b() } else { c.end_a() })
        };
        let hash = |family: Family, end: &End| self.hasher.hash_one((family as u8, end.addr, end.port));
        for (conv, c) in list.iter().enumerate() {
            let conv = conv as u32;
            for (side_b, end, tf, tb, rf, rb) in [
                (false, c.end_a(), c.frames_ab, c.bytes_ab, c.frames_ba, c.bytes_ba),
                (true, c.end_b(), c.frames_ba, c.bytes_ba, c.frames_ab, c.bytes_ab),
            ] {
                let h = hash(c.family, &end);
                let at = match index.find(h, |&j| end_of(&out[j as usize]) == (c.family, end)) {
                    Some(&j) => j as usize,
                    None => {
                        out.push(EndpointSum { conv, side_b, tx_frames: 0, tx_bytes: 0, rx_frames: 0, rx_bytes: 0 });
                        let j = (out.len() - 1) as u32;
                        index.insert_unique(h, j, |&j| {
                            let (f, e) = end_of(&out[j as usize]);
                            hash(f, &e)
                        });
                        j as usize
                    }
                };
                let e = &mut out[at];
                e.tx_frames += tf;
                e.tx_bytes += tb;
                e.rx_frames += rf;
                e.rx_bytes += rb;
            }
        }
        out
    }

    /// The protocol hierarchy, depth first, as `tshark -z io,phs` lists it.
    pub fn hierarchy(&self) -> Vec<PhsRow> {
        fn go(n: &PhsNode, depth: usize, out: &mut Vec<PhsRow>) {
            for (p, c) in &n.children {
                out.push(PhsRow { depth, protocol: p, frames: c.frames, bytes: c.bytes });
                go(c, depth + 1, out);
            }
        }
        let mut out = vec![PhsRow { depth: 0, protocol: "frame", frames: self.phs.frames, bytes: self.phs.bytes }];
        go(&self.phs, 1, &mut out);
        out
    }

    /// Seconds from the first frame to the last.
    pub fn duration(&self) -> f64 {
        match (self.first, self.last) {
            (Some(f), Some(l)) => l.since(f),
            _ => 0.0,
        }
    }

    /// All tables as aligned text. `format` names the file format; `expert` the counts of
    /// [`crate::expert::Expert::summary`].
    pub fn render_text(&self, format: &str, expert: &[(&str, u64)], lang: Lang) -> String {
        let mut out = Vec::new();
        // Writing into a Vec cannot fail.
        let _ = self.write_text(&mut out, format, expert, lang);
        String::from_utf8_lossy(&out).into_owned()
    }

    /// [`Stats::render_text`] written to `out` a row at a time: a table's rows are measured in
    /// a first pass over the counters and written in a second, so the report is never held
    /// whole (it grows with the number of conversations).
    pub fn write_text(&self, out: &mut impl Write, format: &str, expert: &[(&str, u64)], lang: Lang) -> io::Result<()> {
        let t = |en: &'static str, zh: &'static str| Text::new(en, zh).get(lang);
        let mut cells = Cells::default();
        let dur = self.duration();
        let rate = |x: u64| if dur > 0.0 { format!("{:.1}", x as f64 / dur) } else { "-".into() };
        writeln!(out, "{}", t("Capture", "捕获文件"))?;
        let links: Vec<&str> = self.links.iter().map(|l| l.name()).collect();
        let fmt_ts = |x: Option<Timestamp>| x.map_or("-".to_string(), |x| format!("{}.{:09}", x.secs, x.nanos));
        let rows: Vec<(&str, String)> = vec![
            (t("Format", "格式"), format.to_string()),
            (t("Link types", "链路类型"), links.join(", ")),
            (t("Frames", "帧数"), self.frames.to_string()),
            (t("Bytes", "字节数"), self.bytes.to_string()),
            (t("First frame (epoch s)", "第一帧时间(纪元秒)"), fmt_ts(self.first)),
            (t("Last frame (epoch s)", "最后一帧时间(纪元秒)"), fmt_ts(self.last)),
            (t("Duration (s)", "持续时间(秒)"), format!("{dur:.6}")),
            (t("Average frame size (bytes)", "平均帧长(字节)"), if self.frames > 0 { format!("{:.1}", self.bytes as f64 / self.frames as f64) } else { "-".into() }),
            (t("Bytes/s", "字节/秒"), rate(self.bytes)),
            (t("Frames/s", "帧/秒"), rate(self.frames)),
        ];
        table(out, &mut cells, &[t("Property", "属性"), t("Value", "值")], || rows.iter(), |(k, v), c| {
            c.push(k);
            c.push(v);
        })?;

        writeln!(out, "\n{}", t("Protocol hierarchy", "协议层次"))?;
        let hierarchy = self.hierarchy();
        table(
            out,
            &mut cells,
            &[t("Protocol", "协议"), t("Frames", "帧数"), t("% frames", "帧占比%"), t("Bytes", "字节数")],
            || hierarchy.iter(),
            |r, c| {
                let pct = if self.frames > 0 { 100.0 * r.frames as f64 / self.frames as f64 } else { 0.0 };
                let p = c.next();
                for _ in 0..r.depth {
                    p.push_str("  ");
                }
                p.push_str(r.protocol);
                c.num(r.frames);
                let _ = write!(c.next(), "{pct:.1}");
                c.num(r.bytes);
            },
        )?;

        for kind in ConvKind::ALL {
            let list = &self.convs[kind as usize].list;
            if list.blocks.is_empty() {
                continue;
            }
            writeln!(out, "\n{} {}", kind.title().get(lang), t("conversations", "会话"))?;
            table(
                out,
                &mut cells,
                &[
                    t("Address A", "地址 A"), t("Port A", "端口 A"), t("Address B", "地址 B"), t("Port B", "端口 B"),
                    t("Frames A→B", "帧 A→B"), t("Bytes A→B", "字节 A→B"), t("Frames B→A", "帧 B→A"), t("Bytes B→A", "字节 B→A"),
                    t("Frames", "帧数"), t("Bytes", "字节数"), t("Rel start", "相对开始"), t("Duration", "持续时间"),
                ],
                || list.iter(),
                |x, c| {
                    write_addr(c.next(), x.family, &x.a);
                    c.port(x.has_ports().then_some(x.port_a));
                    write_addr(c.next(), x.family, &x.b);
                    c.port(x.has_ports().then_some(x.port_b));
                    c.num(x.frames_ab);
                    c.num(x.bytes_ab);
                    c.num(x.frames_ba);
                    c.num(x.bytes_ba);
                    c.num(x.frames_ab + x.frames_ba);
                    c.num(x.bytes_ab + x.bytes_ba);
                    netlayers_core::text::push_fixed6(c.next(), x.start);
                    netlayers_core::text::push_fixed6(c.next(), x.end - x.start);
                },
            )?;
            writeln!(out, "\n{} {}", kind.title().get(lang), t("endpoints", "端点"))?;
            let endpoints = self.endpoint_sums(kind);
            table(
                out,
                &mut cells,
                &[
                    t("Address", "地址"), t("Port", "端口"), t("Frames", "帧数"), t("Bytes", "字节数"),
                    t("Tx frames", "发送帧"), t("Tx bytes", "发送字节"), t("Rx frames", "接收帧"), t("Rx bytes", "接收字节"),
                ],
                || endpoints.iter(),
                |e, c| {
                    let (family, end, ports) = self.endpoint_end(kind, e);
                    write_addr(c.next(), family, &end.addr);
                    c.port(ports.then_some(end.port));
                    c.num(e.tx_frames + e.rx_frames);
                    c.num(e.tx_bytes + e.rx_bytes);
                    c.num(e.tx_frames);
                    c.num(e.tx_bytes);
                    c.num(e.rx_frames);
                    c.num(e.rx_bytes);
                },
            )?;
        }
        writeln!(out, "\n{}", t("Expert info", "专家信息"))?;
        // Only what was found, worst first, as Wireshark's Expert Information lists it.
        let mut found: Vec<_> = expert.iter().filter(|(_, n)| *n > 0).map(|(k, n)| (crate::expert::describe(k), *k, *n)).collect();
        found.sort_by_key(|((sev, _, _), _, _)| std::cmp::Reverse(*sev));
        if found.is_empty() {
            writeln!(out, "{}", t("(none)", "(无)"))?;
        } else {
            table(
                out,
                &mut cells,
                &[t("Severity", "严重程度"), t("Summary", "摘要"), t("Field", "字段"), t("Frames", "帧数")],
                || found.iter(),
                |((sev, en, zh), k, n), c| {
                    c.push(match sev {
                        Severity::Chat => t("Chat", "对话"),
                        Severity::Note => t("Note", "注意"),
                        Severity::Warn => t("Warning", "警告"),
                        Severity::Error => t("Error", "错误"),
                    });
                    c.push(t(en, zh));
                    c.push(k);
                    c.num(*n);
                },
            )?;
        }
        Ok(())
    }

    /// The address an endpoint is (its family, address and port, and whether the port shows).
    fn endpoint_end(&self, kind: ConvKind, e: &EndpointSum) -> (Family, End, bool) {
        let c = self.convs[kind as usize].list.get(e.conv);
        (c.family, if e.side_b { c.end_b() } else { c.end_a() }, c.has_ports())
    }

    /// All tables as one JSON object (for scripts).
    pub fn render_json(&self, format: &str, expert: &[(&str, u64)]) -> String {
        let mut out = Vec::new();
        // Writing into a Vec cannot fail.
        let _ = self.write_json(&mut out, format, expert);
        String::from_utf8_lossy(&out).into_owned()
    }

    /// [`Stats::render_json`] written to `out` as it goes.
    pub fn write_json<W: Write>(&self, out: &mut W, format: &str, expert: &[(&str, u64)]) -> io::Result<()> {
        let mut addr = String::new();
        let ts = |x: Option<Timestamp>| x.map_or("null".to_string(), |x| format!("{}.{:09}", x.secs, x.nanos));
        out.write_all(b"{\"format\":")?;
        quoted(out, format)?;
        out.write_all(b",\"link_types\":[")?;
        comma_separated(out, &self.links, |out, l| quoted(out, l.name()))?;
        write!(
            out,
            "],\"frames\":{},\"bytes\":{},\"first\":{},\"last\":{},\"duration\":{:.9},\"hierarchy\":[",
            self.frames, self.bytes, ts(self.first), ts(self.last), self.duration()
        )?;
        comma_separated(out, self.hierarchy(), |out, r| {
            write!(out, "{{\"depth\":{},\"protocol\":", r.depth)?;
            quoted(out, r.protocol)?;
            write!(out, ",\"frames\":{},\"bytes\":{}}}", r.frames, r.bytes)
        })?;
        out.write_all(b"],\"conversations\":{")?;
        comma_separated(out, ConvKind::ALL, |out, kind| {
            quoted(out, kind.key())?;
            out.write_all(b":[")?;
            comma_separated(out, self.convs[kind as usize].list.iter(), |out, c| {
                out.write_all(b"{\"a\":")?;
                quoted_addr(out, &mut addr, c.family, &c.a)?;
                out.write_all(b",\"port_a\":")?;
                json_port(out, c.has_ports().then_some(c.port_a))?;
                out.write_all(b",\"b\":")?;
                quoted_addr(out, &mut addr, c.family, &c.b)?;
                out.write_all(b",\"port_b\":")?;
                json_port(out, c.has_ports().then_some(c.port_b))?;
                write!(
                    out,
                    ",\"frames_ab\":{},\"bytes_ab\":{},\"frames_ba\":{},\"bytes_ba\":{},\"start\":{:.9},\"duration\":{:.9}}}",
                    c.frames_ab, c.bytes_ab, c.frames_ba, c.bytes_ba, c.start, c.end - c.start
                )
            })?;
            out.write_all(b"]")
        })?;
        out.write_all(b"},\"endpoints\":{")?;
        comma_separated(out, ConvKind::ALL, |out, kind| {
            quoted(out, kind.key())?;
            out.write_all(b":[")?;
            comma_separated(out, &self.endpoint_sums(kind), |out, e| {
                let (family, end, ports) = self.endpoint_end(kind, e);
                out.write_all(b"{\"addr\":")?;
                quoted_addr(out, &mut addr, family, &end.addr)?;
                out.write_all(b",\"port\":")?;
                json_port(out, ports.then_some(end.port))?;
                write!(
                    out,
                    ",\"tx_frames\":{},\"tx_bytes\":{},\"rx_frames\":{},\"rx_bytes\":{}}}",
                    e.tx_frames, e.tx_bytes, e.rx_frames, e.rx_bytes
                )
            })?;
            out.write_all(b"]")
        })?;
        out.write_all(b"},\"expert\":{")?;
        comma_separated(out, expert, |out, (k, n)| {
            quoted(out, k)?;
            write!(out, ":{n}")
        })?;
        out.write_all(b"}}\n")
    }
}

/// Writes each of `items` with `each`, a comma between two (the elements of a JSON array or the
/// members of an object).
fn comma_separated<W: Write, T>(out: &mut W, items: impl IntoIterator<Item = T>, mut each: impl FnMut(&mut W, T) -> io::Result<()>) -> io::Result<()> {
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        each(out, item)?;
    }
    Ok(())
}

/// What one endpoint sent and received, summed over its conversations of one kind; its address
/// is that of side A or B of conversation `conv`, where it first appeared.
#[derive(Debug, Clone)]
struct EndpointSum {
    conv: u32,
    side_b: bool,
    tx_frames: u64,
    tx_bytes: u64,
    rx_frames: u64,
    rx_bytes: u64,
}

/// Writes an address as text: a MAC as six hex pairs, an IP address as `IpAddr` shows it.
fn write_addr(s: &mut String, family: Family, a: &[u8; 16]) {
    match family {
        Family::Mac => netlayers_core::text::push_mac(s, &[a[0], a[1], a[2], a[3], a[4], a[5]]),
        // As Ipv4Addr shows it, without fmt (a report can list a million addresses).
        Family::V4 => netlayers_core::text::push_ipv4(s, std::net::Ipv4Addr::new(a[0], a[1], a[2], a[3])),
        Family::V6 => {
            let _ = write!(s, "{}", Ipv6Addr::from(*a));
        }
    }
}

/// A JSON string with `\` and `"` escaped.
fn quoted(out: &mut (impl Write + ?Sized), x: &str) -> io::Result<()> {
    out.write_all(b"\"")?;
    if x.contains(['\\', '"']) {
        out.write_all(x.replace('\\', "\\\\").replace('"', "\\\"").as_bytes())?;
    } else {
        out.write_all(x.as_bytes())?;
    }
    out.write_all(b"\"")
}

/// An address as a JSON string, written through the reused `scratch`.
fn quoted_addr(out: &mut impl Write, scratch: &mut String, family: Family, a: &[u8; 16]) -> io::Result<()> {
    scratch.clear();
    write_addr(scratch, family, a);
    quoted(out, scratch)
}

/// A port, or `null` for kinds without ports.
fn json_port(out: &mut impl Write, p: Option<u16>) -> io::Result<()> {
    match p {
        Some(p) => write!(out, "{p}"),
        None => out.write_all(b"null"),
    }
}

/// The cells of one table row, their strings reused from row to row.
#[derive(Debug, Default)]
struct Cells {
    cells: Vec<String>,
    used: usize,
}

impl Cells {
    fn clear(&mut self) {
        self.used = 0;
    }

    /// The next cell, empty, to write into.
    fn next(&mut self) -> &mut String {
        if self.used == self.cells.len() {
            self.cells.push(String::new());
        }
        let c = &mut self.cells[self.used];
        c.clear();
        self.used += 1;
        c
    }

    fn push(&mut self, x: &str) {
        self.next().push_str(x);
    }

    fn num(&mut self, n: u64) {
        let c = self.next();
        for &d in netlayers_core::text::decimal(n, &mut [0; 20]) {
            c.push(char::from(d));
        }
    }

    /// A port, or an empty cell for kinds without ports.
    fn port(&mut self, p: Option<u16>) {
        match p {
            Some(p) => self.num(u64::from(p)),
            None => {
                self.next();
            }
        }
    }

    fn row(&self) -> &[String] {
        &self.cells[..self.used]
    }
}

/// How many columns a terminal draws `x` in: CJK characters take two.
fn width(x: &str) -> usize {
    let wide = |c: char| matches!(c as u32, 0x1100..=0x115f | 0x2e80..=0xa4cf | 0xac00..=0xd7a3 | 0xf900..=0xfaff | 0xfe30..=0xfe4f | 0xff00..=0xff60 | 0xffe0..=0xffe6);
    if x.is_ascii() {
        return x.len();
    }
    x.chars().map(|c| if wide(c) { 2 } else { 1 }).sum()
}

/// A table with columns padded to their widest cell, counting CJK characters as two columns
/// as terminals draw them. `fill` writes one row's cells; it is called twice for each row of
/// `rows()`, once to measure the columns and once to write the row, so no row is kept.
fn table<W: Write + ?Sized, R, I: Iterator<Item = R>>(
    out: &mut W,
    cells: &mut Cells,
    head: &[&str],
    rows: impl Fn() -> I,
    fill: impl Fn(R, &mut Cells),
) -> io::Result<()> {
    let mut widths: Vec<usize> = head.iter().map(|h| width(h)).collect();
    for r in rows() {
        cells.clear();
        fill(r, cells);
        for (i, c) in cells.row().iter().enumerate() {
            if let Some(x) = widths.get_mut(i) {
                *x = (*x).max(width(c));
            }
        }
    }
    let mut text = String::new();
    let mut line = |out: &mut W, cells: &mut dyn Iterator<Item = &str>| {
        text.clear();
        for (i, c) in cells.enumerate() {
            let pad = widths.get(i).copied().unwrap_or(0).saturating_sub(width(c));
            if i > 0 {
                text.push_str("  ");
            }
            text.push_str(c);
            for _ in 0..pad {
                text.push(' ');
            }
        }
        out.write_all(text.trim_end().as_bytes())?;
        out.write_all(b"\n")
    };
    line(out, &mut head.iter().copied())?;
    let rules: Vec<String> = widths.iter().map(|n| "─".repeat(*n)).collect();
    line(out, &mut rules.iter().map(String::as_str))?;
    for r in rows() {
        cells.clear();
        fill(r, cells);
        line(out, &mut cells.row().iter().map(String::as_str))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    /// A TCP frame between two hosts, `stream` numbered by the caller.
    fn tcp(sport: u16, dport: u16, forward: bool, stream: u64) -> FrameParts {
        let (a, b) = (IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)));
        let (s, d) = if forward { (a, b) } else { (b, a) };
        let (sp, dp) = if forward { (sport, dport) } else { (dport, sport) };
        FrameParts {
            protocols: vec!["eth", "ip", "tcp"],
            eth: Some(([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])),
            ip: Some((s, d)),
            transport: Some((true, sp, dp, stream)),
        }
    }

    fn count(stats: &mut Stats, frames: &[FrameParts]) {
        for (n, p) in frames.iter().enumerate() {
            stats.add_parts(Timestamp { secs: n as i64, nanos: 0 }, 60, LinkType::Ethernet, p);
        }
    }

    #[test]
    fn both_directions_are_one_conversation_and_a_new_stream_another() {
        let mut stats = Stats::new();
        // Stream 7 comes before stream 0: the stream shortcut must not be trusted blindly.
        count(&mut stats, &[tcp(1000, 80, true, 7), tcp(1000, 80, false, 7), tcp(1000, 80, true, 0), tcp(2000, 80, false, 1)]);
        let c = stats.conversations(ConvKind::Tcp);
        assert_eq!(c.len(), 3);
        assert_eq!((c[0].a.as_str(), c[0].port_a, c[0].b.as_str()), ("10.0.0.1", Some(1000), "10.0.0.2"));
        assert_eq!((c[0].frames_ab, c[0].frames_ba, c[0].start, c[0].end), (1, 1, 0.0, 1.0));
        assert_eq!((c[2].a.as_str(), c[2].port_a, c[2].frames_ab), ("10.0.0.2", Some(80), 1));
        let e = stats.endpoints(ConvKind::Eth);
        assert_eq!(e.len(), 2);
        assert_eq!((e[0].addr.as_str(), e[0].tx_frames, e[0].rx_frames), ("02:00:00:00:00:01", 4, 0));
    }

    #[test]
    fn counting_after_the_index_was_released_finds_the_same_conversations() {
        let frames: Vec<FrameParts> = (0..50).map(|i| tcp(1000 + i % 7, 80, i % 3 == 0, u64::from(i % 7))).collect();
        let mut whole = Stats::new();
        count(&mut whole, &frames);
        let mut released = Stats::new();
        count(&mut released, &frames[..20]);
        released.release_index();
        count(&mut released, &frames[20..]);
        // Times differ (each run starts its own clock); the conversations and counts do not.
        let strip = |s: &Stats| {
            s.conversations(ConvKind::Tcp).into_iter().map(|c| (c.a, c.port_a, c.b, c.port_b, c.frames_ab, c.frames_ba)).collect::<Vec<_>>()
        };
        assert_eq!(strip(&whole), strip(&released));
        assert_eq!(strip(&whole).len(), 7);
    }
}
