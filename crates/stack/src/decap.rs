//! Going up the layers: frame bytes and link type → `Layer`s.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::ops::Range;

use netlayers_core::{
    DecodeCtx, Field, FieldSpec, Frame, Handoff, Layer, LayerKind, LinkType, Note, PseudoHeader, Recent, Severity, Step, Text,
    Timestamp, Value,
};
use netlayers_core::text::push_decimal;
use netlayers_network::fragments::{self, FragmentHeader};

use crate::defrag::{Added, DatagramKey, Reassembler};

/// Stops a hostile frame (IP-in-IP-in-IP …) from nesting without bound.
const MAX_LAYERS: usize = 32;

static FRAME_NUMBER: FieldSpec = FieldSpec::new(
    "frame.number",
    Text::new("Frame Number", "帧序号"),
    Text::new("Position of this frame in the capture, counting from 1.", "这一帧在捕获文件中的位置,从 1 开始计数。"),
);
static FRAME_LEN: FieldSpec = FieldSpec::new(
    "frame.len",
    Text::new("Frame Length", "帧长度"),
    Text::new(
        "Bytes the frame had on the wire (without preamble, SFD and FCS, which the network card strips).",
        "这一帧在线路上的字节数(不含前导码、帧起始定界符和 FCS,网卡接收时已去掉)。",
    ),
);
static FRAME_CAP_LEN: FieldSpec = FieldSpec::new(
    "frame.cap_len",
    Text::new("Capture Length", "捕获长度"),
    Text::new(
        "Bytes actually saved. Smaller than the frame length when the capture's snap length cut it.",
        "实际保存下来的字节数。如果抓包时设置的截断长度(snaplen)较小,它会小于帧长度。",
    ),
);
static FRAME_INTERFACE: FieldSpec = FieldSpec::new(
    "frame.interface_id",
    Text::new("Interface id", "接口编号"),
    Text::new("Which capture interface of a pcapng file saw the frame.", "pcapng 文件中捕获到这一帧的接口编号。"),
);

/// Every field spec this crate emits itself (the frame pseudo-layer).
pub static FIELDS: &[&FieldSpec] = &[&FRAME_NUMBER, &FRAME_LEN, &FRAME_CAP_LEN, &FRAME_INTERFACE];

/// One decoded frame: where and when it was seen, and its layers, outermost first.
#[derive(Debug, Clone, PartialEq)]
pub struct Dissection {
    pub number: u64,
    pub ts: Timestamp,
    /// Seconds since the first frame of the capture.
    pub rel_time: f64,
    pub orig_len: u32,
    pub cap_len: usize,
    pub link: LinkType,
    pub layers: Vec<Layer>,
    /// With reassembly on, on the frame that completes an IP datagram: the frame's captured
    /// bytes followed by the reassembled payload (empty on every other frame). The layers
    /// decoded from the payload (ICMP, UDP, DNS …) follow the IP layer in `layers`, and their
    /// byte ranges point into these bytes: a range starting at `cap_len + n` starts at byte `n`
    /// of the payload.
    ///
    /// One address space, frame first, keeps the model's plain absolute ranges: Wireshark shows
    /// the same bytes as a second data source ("Reassembled IPv4"), and the renderers tell the
    /// two apart by `cap_len` (the hexdump prints the payload as its own block, the tree marks
    /// those ranges as reassembled bytes). See [`Dissection::bytes`].
    pub with_reassembled: Vec<u8>,
}

impl Dissection {
    /// The layer whose Info text the packet list shows: the innermost one of the frame itself
    /// (not of a packet quoted inside an ICMP error) that has an Info text.
    pub fn info_layer(&self) -> Option<&Layer> {
        self.layers.iter().rev().filter(|l| l.depth == 0).find(|l| l.info.is_some())
    }
    /// The Protocol column: the innermost layer of the frame itself that is not plain data.
    pub fn protocol_layer(&self) -> Option<&Layer> {
        self.layers.iter().rev().filter(|l| l.depth == 0).find(|l| l.protocol != "data" && l.protocol != "frame")
    }
    /// The bytes the layers' ranges point into: `frame` (the frame's captured bytes), or,
    /// when this frame completed a datagram, those followed by the reassembled payload.
    pub fn bytes<'a>(&'a self, frame: &'a [u8]) -> &'a [u8] {
        if self.with_reassembled.is_empty() { frame } else { &self.with_reassembled }
    }

    /// The reassembled payload, when this frame completed a datagram (else empty).
    pub fn reassembled(&self) -> &[u8] {
        self.with_reassembled.get(self.cap_len..).unwrap_or(&[])
    }
}

/// Decodes one frame, with no state from earlier frames.
pub fn decapsulate(frame: &Frame) -> Vec<Layer> {
    let mut layers = vec![frame_layer(frame)];
    decode_link(&frame.data, frame.link, &mut layers);
    layers
}

/// The first IP fragment met among a frame's own layers (not in a packet quoted by ICMP), as
/// reassembly needs it.
#[derive(Debug, Clone)]
struct FragmentSeen {
    /// Index of its `ip`/`ipv6` layer.
    ip: usize,
    header: FragmentHeader,
    key: DatagramKey,
    pseudo: PseudoHeader,
    /// Absolute range of the fragment's share of the payload (IPv6: from the end of the
    /// Fragment header), cut to what was captured.
    payload: Range<usize>,
    /// Whether all of it was captured and there is some: Wireshark reassembles only then (a
    /// first fragment cut by the snaplen is decoded as if reassembly were off).
    whole: bool,
}

/// What [`run`] watches for besides decoding.
#[derive(Debug, Default)]
struct Probe {
    /// Look for the frame's first IP fragment (only reassembly needs it).
    fragments: bool,
    seen: Option<FragmentSeen>,
    /// Stop at the first IP payload: only the fragment is wanted (reading ahead).
    ip_only: bool,
}

/// Looks at the hand-off of the IP layer just decoded: a fragment?
fn fragment_seen(layers: &[Layer], pseudo: &PseudoHeader, at: &Range<usize>) -> Option<FragmentSeen> {
    let ip = layers.len().checked_sub(1)?;
    let layer = &layers[ip];
    let header = fragments::fragment_header(layer)?;
    // IPv6: the fragmentable part starts after the Fragment header, whatever follows it.
    let start = header.fragment_header_end.unwrap_or(at.start).min(at.start);
    let declared = pseudo.upper_len + (at.start - start);
    let dst = match (header.v6, layer.find("ipv6.dst").map(|f| &f.value)) {
        // Wireshark keys IPv6 fragments by the header's destination, not a routing header's final one.
        (true, Some(Value::Ipv6(a))) => IpAddr::V6(*a),
        _ => pseudo.dst,
    };
    let key = DatagramKey { src: pseudo.src, dst, proto: (!header.v6).then_some(header.proto), ident: header.ident };
    Some(FragmentSeen {
        ip,
        header,
        key,
        pseudo: *pseudo,
        payload: start..at.end,
        whole: at.len() == pseudo.upper_len && declared > 0,
    })
}

fn frame_layer(frame: &Frame) -> Layer {
    let cap = frame.data.len();
    let mut l = Layer::new(LayerKind::Physical, "frame", "Frame", 0..cap);
    // `Frame 1: 54 bytes on wire (432 bits), 54 bytes captured (432 bits)`
    let title = &mut l.title;
    title.reserve(80);
    title.push_str("Frame ");
    push_decimal(title, frame.number);
    title.push_str(": ");
    push_decimal(title, frame.orig_len);
    title.push_str(" bytes on wire (");
    push_decimal(title, u64::from(frame.orig_len) * 8);
    title.push_str(" bits), ");
    push_decimal(title, cap as u64);
    title.push_str(" bytes captured (");
    push_decimal(title, cap as u64 * 8);
    title.push_str(" bits)");
    let mut fs = Vec::with_capacity(4);
    fs.extend([
        Field::generated(&FRAME_NUMBER, Value::UInt(frame.number)),
        Field::generated(&FRAME_LEN, Value::UInt(u64::from(frame.orig_len))),
        Field::generated(&FRAME_CAP_LEN, Value::UInt(cap as u64)),
    ]);
    if frame.interface != 0 {
        fs.push(Field::generated(&FRAME_INTERFACE, Value::UInt(u64::from(frame.interface))));
    }
    l.fields = fs;
    l
}

/// Runs the decoders from the link layer up, appending their layers.
pub fn decode_link(data: &[u8], link: LinkType, layers: &mut Vec<Layer>) {
    decode_link_probing(data, link, layers, &mut Probe::default());
}

fn decode_link_probing(data: &[u8], link: LinkType, layers: &mut Vec<Layer>, probe: &mut Probe) {
    let all = 0..data.len();
    let ctx = DecodeCtx::default();
    let first = match link {
        LinkType::Ethernet => netlayers_link::ethernet(data, all, ctx),
        LinkType::LinuxSll => netlayers_link::linux_sll(data, all, ctx),
        LinkType::LinuxSll2 => netlayers_link::linux_sll2(data, all, ctx),
        LinkType::Null => netlayers_link::null(data, all, false, ctx),
        LinkType::Loop => netlayers_link::null(data, all, true, ctx),
        LinkType::RawIp => match data.first().map(|b| b >> 4) {
            Some(6) => netlayers_network::ipv6(data, all, ctx),
            Some(4) => netlayers_network::ipv4(data, all, ctx),
            _ => netlayers_app::data(data, all, ctx),
        },
        LinkType::Ipv4 => netlayers_network::ipv4(data, all, ctx),
        LinkType::Ipv6 => netlayers_network::ipv6(data, all, ctx),
        LinkType::Other(_) => netlayers_app::data(data, all, ctx),
    };
    run(data, first, ctx, layers, probe);
}

/// The layers a hand-off leads to, decoded from `at` in `data` (the frame's bytes): what
/// follows a header the caller read itself, such as a TCP payload (`Handoff::Ports`) or an IP
/// payload (`Handoff::IpProto`). The packet list's fast path uses it for the application
/// layer, ICMP and ARP, so their Info text comes from the one decoder that writes it.
pub fn decode_handoff(data: &[u8], at: Range<usize>, next: Handoff, ctx: DecodeCtx) -> Vec<Layer> {
    let mut layers = Vec::new();
    let step = Step { layers: Vec::new(), next, payload: at };
    run(data, step, ctx, &mut layers, &mut Probe::default());
    layers
}

/// Follows hand-offs until a decoder says nothing follows.
fn run(data: &[u8], mut step: Step, mut ctx: DecodeCtx, layers: &mut Vec<Layer>, probe: &mut Probe) {
    loop {
        for mut l in step.layers.drain(..) {
            l.depth = ctx.depth;
            layers.push(l);
        }
        if layers.len() >= MAX_LAYERS {
            return;
        }
        let at = clamp(step.payload.clone(), data.len());
        let next = match step.next {
            Handoff::End => return,
            Handoff::EtherType(t) => match t {
                0x0800 => netlayers_network::ipv4(data, at, ctx),
                0x86dd => netlayers_network::ipv6(data, at, ctx),
                0x0806 => netlayers_link::arp(data, at, ctx),
                0x8100 | 0x88a8 | 0x9100 => netlayers_link::ethernet_vlan(data, at, t, ctx),
                _ => data_or_end(data, at, ctx),
            },
            Handoff::Llc => netlayers_link::llc(data, at, ctx),
            Handoff::Sap(0x42) => netlayers_link::stp(data, at, ctx),
            Handoff::Sap(_) => data_or_end(data, at, ctx),
            Handoff::IpProto { proto, pseudo, fragment_offset } => {
                if probe.fragments && ctx.depth == 0 && probe.seen.is_none() {
                    probe.seen = fragment_seen(layers, &pseudo, &at);
                    // A fragment that reassembly takes: what follows its IP layer comes from
                    // the reassembler, not from this fragment alone.
                    if probe.seen.as_ref().is_some_and(|s| s.whole) {
                        return;
                    }
                }
                if probe.ip_only && (probe.seen.is_some() || !matches!(proto, 4 | 41)) {
                    return;
                }
                if fragment_offset != 0 {
                    data_or_end(data, at, ctx)
                } else {
                    ip_payload(data, at, ctx, proto, &pseudo)
                }
            }
            Handoff::Quoted => {
                ctx.depth = ctx.depth.saturating_add(1);
                match data.get(at.start).map(|b| b >> 4) {
                    Some(4) => netlayers_network::ipv4(data, at, ctx),
                    Some(6) => netlayers_network::ipv6(data, at, ctx),
                    _ => data_or_end(data, at, ctx),
                }
            }
            Handoff::Ports { transport, src, dst } => {
                match netlayers_app::decode(data, at.clone(), ctx, transport, src, dst) {
                    Some(s) => s,
                    None => data_or_end(data, at, ctx),
                }
            }
            Handoff::Data => data_or_end(data, at, ctx),
        };
        step = next;
    }
}

/// The decoder for an IP payload, by protocol number.
fn ip_payload(data: &[u8], at: Range<usize>, ctx: DecodeCtx, proto: u8, pseudo: &PseudoHeader) -> Step {
    match proto {
        1 => netlayers_network::icmp(data, at, ctx),
        2 => netlayers_network::igmp(data, at, ctx),
        4 => netlayers_network::ipv4(data, at, ctx),
        6 => netlayers_transport::tcp(data, at, ctx, pseudo),
        17 => netlayers_transport::udp(data, at, ctx, pseudo),
        41 => netlayers_network::ipv6(data, at, ctx),
        58 => netlayers_network::icmpv6(data, at, ctx, pseudo),
        _ => data_or_end(data, at, ctx),
    }
}

fn clamp(r: Range<usize>, len: usize) -> Range<usize> {
    let end = r.end.min(len);
    r.start.min(end)..end
}

fn data_or_end(data: &[u8], at: Range<usize>, ctx: DecodeCtx) -> Step {
    if at.is_empty() {
        Step { layers: Vec::new(), next: Handoff::End, payload: at }
    } else {
        netlayers_app::data(data, at, ctx)
    }
}

impl Reassembly {
    /// Adds the frame's fragment and puts after its IP layer what Wireshark shows with
    /// reassembly on. Returns the frame's bytes followed by the reassembled payload when this
    /// frame completed a datagram (the layers after IP are then decoded from it), else nothing.
    fn apply(&mut self, frame: &Frame, seen: &FragmentSeen, layers: &mut Vec<Layer>) -> Vec<u8> {
        if !seen.whole {
            // Wireshark does not reassemble a fragment it did not capture whole: the frame
            // stays as decoded without reassembly.
            return Vec::new();
        }
        let Some(bytes) = frame.data.get(seen.payload.clone()) else { return Vec::new() };
        let h = &seen.header;
        let added = self.defrag.add(seen.key, frame.number, h.offset, h.more, bytes);
        // Decoding stopped at this IP layer (see `run`); anything after it would be replaced.
        layers.truncate(seen.ip + 1);
        let Some(ip) = layers.get_mut(seen.ip) else { return Vec::new() };
        match added {
            Added::Pending => {
                ip.info = fragments::fragment_info(ip);
                let later = self.ahead.as_mut().and_then(|a| a.reassembled_in(frame.number, &seen.key));
                if let Some(n) = later {
                    fragments::add_reassembled_in(ip, n);
                }
                let ctx = DecodeCtx::default();
                layers.extend(data_or_end(&frame.data, seen.payload.clone(), ctx).layers);
                Vec::new()
            }
            Added::Complete(d) => {
                fragments::add_reassembled(ip, &d.pieces, &d.payload);
                ip.info = Some(fragments::reassembled_info(ip, h.proto));
                // The payload is decoded as if it followed the frame's bytes (one address
                // space: see `Dissection::with_reassembled`).
                let mut all = Vec::with_capacity(frame.data.len() + d.payload.len());
                all.extend_from_slice(&frame.data);
                all.extend_from_slice(&d.payload);
                let at = frame.data.len()..all.len();
                let pseudo = PseudoHeader { protocol: h.proto, upper_len: d.payload.len(), ..seen.pseudo };
                // Only the first decoder gets the TTL: a packet nested further has its own header.
                let first = ip_payload(&all, at, DecodeCtx { reassembled_ttl: Some(h.hop_limit), ..DecodeCtx::default() }, h.proto, &pseudo);
                run(&all, first, DecodeCtx::default(), layers, &mut Probe::default());
                all
            }
        }
    }
}

/// Where fragments' datagrams get completed, learnt by reading the capture ahead of the frame
/// being dissected with a second reassembler. It sees the same frames in the same order as the
/// dissector's own, with the same bounds, so both complete (and drop) the same datagrams.
///
/// It reads only when a fragment asks, and only as far as that fragment's datagram needs (its
/// completion, its being dropped, or the end of the capture), so a capture without fragments
/// is read once. Memory stays bounded: the second reassembler has the usual bounds, and at most
/// [`ReadAhead::MAX_KNOWN`] answers wait for their frames; past that it stops reading and the
/// fragment is shown without the frame number, as in one pass.
struct ReadAhead {
    next: Box<dyn FnMut() -> Option<Frame>>,
    defrag: Reassembler,
    /// Fragment frame → frame that completed its datagram, for frames not dissected yet.
    known: BTreeMap<u64, u64>,
    /// Number of the last frame read ahead.
    read: u64,
    ended: bool,
}

impl std::fmt::Debug for ReadAhead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadAhead").field("read", &self.read).field("known", &self.known.len()).field("ended", &self.ended).finish()
    }
}

impl ReadAhead {
    const MAX_KNOWN: usize = 1 << 16;

    fn new(next: Box<dyn FnMut() -> Option<Frame>>) -> ReadAhead {
        ReadAhead { next, defrag: Reassembler::default(), known: BTreeMap::new(), read: 0, ended: false }
    }

    /// The frame that completes the datagram of `frame`'s fragment (`key`), if any does.
    fn reassembled_in(&mut self, frame: u64, key: &DatagramKey) -> Option<u64> {
        // Answers for frames already dissected are no longer needed.
        self.known = self.known.split_off(&frame);
        loop {
            if let Some(&n) = self.known.get(&frame) {
                return Some(n);
            }
            if self.read >= frame && !self.defrag.holds(key, frame) {
                return None;
            }
            if self.ended || self.known.len() >= Self::MAX_KNOWN {
                return None;
            }
            match (self.next)() {
                Some(f) => self.learn(&f),
                None => self.ended = true,
            }
        }
    }

    /// Runs one frame through the second reassembler, as `Dissector::dissect` does.
    fn learn(&mut self, f: &Frame) {
        self.read = f.number;
        let mut layers = Vec::new();
        let mut probe = Probe { fragments: true, seen: None, ip_only: true };
        decode_link_probing(&f.data, f.link, &mut layers, &mut probe);
        let Some(seen) = probe.seen.filter(|s| s.whole) else { return };
        let Some(bytes) = f.data.get(seen.payload.clone()) else { return };
        if let Added::Complete(d) = self.defrag.add(seen.key, f.number, seen.header.offset, seen.header.more, bytes) {
            for p in d.pieces {
                self.known.insert(p.frame, f.number);
            }
        }
    }
}

/// One direction of a TCP connection, as the packet list needs it across frames.
#[derive(Debug, Default, Clone, Copy)]
struct TcpDirection {
    /// Base of the relative sequence numbers (Wireshark's rule: a SYN's own number, or one less
    /// than the first number seen, so a capture that starts mid-connection shows Seq=1).
    base: Option<u32>,
    /// The window-scale option of this direction's SYN: `None` until a SYN is seen,
    /// `Some(None)` for a SYN without the option.
    syn_wscale: Option<Option<u8>>,
}

/// What a frame the capture cut short (`orig_len` > bytes kept) does to Wireshark's columns:
/// its HTTP reads header lines until the blank line, so headers running into the cut make it
/// stop there (and, when even the first line is cut, before it names the Protocol column); and
/// an IPv6 header cut short is just cut, not "invalid". Marks the HTTP layer as having run out
/// of bytes, which the Info column reports as `[Packet size limited during capture]`.
fn cut_frame_columns(layers: &mut [Layer], frame: &Frame) {
    let len = frame.data.len();
    if frame.orig_len as usize <= len {
        return;
    }
    for l in layers.iter_mut().filter(|l| l.depth == 0) {
        if l.protocol == "ipv6" && l.notes.iter().any(|n| n.id == "truncated") {
            l.info = Some(String::new());
        }
    }
    let Some(l) = layers.iter_mut().rev().find(|l| l.depth == 0 && l.protocol == "http" && l.range.end == len) else {
        return;
    };
    let bytes = frame.data.get(l.range.clone()).unwrap_or(&[]);
    let headers_done = l.find("http.file_data").is_some() || bytes.ends_with(b"\n\n") || bytes.ends_with(b"\n\r\n");
    if !headers_done && !l.notes.iter().any(|n| n.id == "truncated") {
        l.notes.push(Note::new(
            Severity::Error,
            "truncated",
            format!("HTTP headers cut by the capture at byte {len} (the frame had {} bytes)", frame.orig_len),
            format!("HTTP 首部在第 {len} 字节处被抓包截断(该帧原有 {} 字节)", frame.orig_len),
        ));
    }
}

/// Source and destination of an `ip` or `ipv6` layer.
fn ip_addrs(l: &Layer) -> Option<(IpAddr, IpAddr)> {
    let (s, d) = if l.protocol == "ip" { ("ip.src", "ip.dst") } else { ("ipv6.src", "ipv6.dst") };
    // As `netlayers_analyze` reads them: at the top, or (the final destination of an IPv4
    // source route) in the options after them.
    let get = |k| match l.top_field(k).or_else(|| l.find(k)).map(|f| &f.value) {
        Some(Value::Ipv4(a)) => Some(IpAddr::V4(*a)),
        Some(Value::Ipv6(a)) => Some(IpAddr::V6(*a)),
        _ => None,
    };
    get(s).zip(get(d))
}

/// What a TCP segment's relative numbers and window are measured against (see
/// [`Dissector::tcp_numbers`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpNumbers {
    /// Subtracted from the raw sequence number.
    pub seq_base: u32,
    /// Subtracted from the raw acknowledgment number; `None` until the other direction is known.
    pub ack_base: Option<u32>,
    pub scale: netlayers_transport::WindowScale,
}

/// A TCP connection's two endpoints, the smaller first.
type Connection = ((IpAddr, u16), (IpAddr, u16));

/// Per-direction TCP state: both directions of a connection in one entry (from the smaller
/// endpoint first), so a segment costs one lookup.
#[derive(Debug, Default)]
struct TcpBases {
    dirs: Recent<Connection, [TcpDirection; 2]>,
}

/// Decodes a whole capture frame by frame, keeping what the packet list needs across frames:
/// the first timestamp (Time column), the relative TCP sequence numbers and, when asked for,
/// IP fragments until their datagram is whole.
#[derive(Debug, Default)]
pub struct Dissector {
    first_ts: Option<Timestamp>,
    tcp: TcpBases,
    /// TCP connections (endpoints in sorted order) that carried an HTTP request or response.
    http_seen: Recent<Connection, ()>,
    /// `Some` when IP reassembly is on.
    reassembly: Option<Reassembly>,
}

/// IP reassembly state: the fragments waiting, and what reading ahead learnt.
#[derive(Debug, Default)]
struct Reassembly {
    defrag: Reassembler,
    ahead: Option<ReadAhead>,
}

impl Dissector {
    /// A dissector that shows each frame's own fields, as tshark does with
    /// `-o ip.defragment:FALSE -o ipv6.defragment:FALSE` (what the NDJSON output promises).
    pub fn new() -> Dissector {
        Dissector::default()
    }

    /// Turns IP (v4 and v6) reassembly on or off. With it on, frames are shown as Wireshark
    /// shows them by default: a fragment that does not complete its datagram carries only its
    /// IP header and data (Info `Fragmented IP protocol (…)` for IPv4, the extension headers for
    /// IPv6), and the fragment that completes it lists the fragments in its IP layer, followed
    /// by the layers decoded from the whole datagram (see [`Dissection::with_reassembled`]).
    pub fn with_reassembly(mut self, on: bool) -> Dissector {
        self.reassembly = on.then(Reassembly::default);
        self
    }

    /// Lets reassembly read the capture ahead of the frame being dissected, so a fragment can
    /// say which later frame completes its datagram (`[Reassembled in #N]`), as Wireshark does
    /// after its first pass over a file. `next` yields the capture's frames from the first, in
    /// order (a second reader of the same file); it is called only when a fragment needs it.
    /// Without it, a fragment is shown knowing only the frames before it, as tshark does in one
    /// pass (reading a pipe or a live interface). No effect unless reassembly is on.
    pub fn with_read_ahead(mut self, next: Box<dyn FnMut() -> Option<Frame>>) -> Dissector {
        if let Some(r) = self.reassembly.as_mut() {
            r.ahead = Some(ReadAhead::new(next));
        }
        self
    }

    /// Bytes of fragments held waiting for the rest of their datagram (bounded: see
    /// [`crate::defrag::Limits`]).
    pub fn reassembly_bytes_held(&self) -> usize {
        self.reassembly.as_ref().map_or(0, |r| r.defrag.bytes_held())
    }

    pub fn dissect(&mut self, frame: &Frame) -> Dissection {
        let first = *self.first_ts.get_or_insert(frame.ts);
        let mut layers = vec![frame_layer(frame)];
        let mut probe = Probe { fragments: self.reassembly.is_some(), ..Probe::default() };
        decode_link_probing(&frame.data, frame.link, &mut layers, &mut probe);
        let mut with_reassembled = Vec::new();
        if let (Some(r), Some(seen)) = (self.reassembly.as_mut(), probe.seen) {
            with_reassembled = r.apply(frame, &seen, &mut layers);
        }
        self.relative_tcp(&mut layers);
        self.http_continuations(&mut layers);
        cut_frame_columns(&mut layers, frame);
        Dissection {
            number: frame.number,
            ts: frame.ts,
            rel_time: frame.ts.since(first),
            orig_len: frame.orig_len,
            cap_len: frame.data.len(),
            link: frame.link,
            layers,
            with_reassembled,
        }
    }

    /// tshark 4.0 shows a segment on an HTTP port that does not start a message as an HTTP
    /// `Continuation` only once its connection (either direction) carried a request or a
    /// response; before that the bytes stay TCP payload, with no HTTP and no data layer. Holds
    /// for a packet quoted in an ICMP error too, with the quoted addresses and ports.
    fn http_continuations(&mut self, layers: &mut Vec<Layer>) {
        let mut addrs: Option<(IpAddr, IpAddr)> = None;
        let mut ports: Option<(u16, u16)> = None;
        let mut i = 0;
        while i < layers.len() {
            let l = &layers[i];
            match l.protocol {
                "ip" | "ipv6" => {
                    addrs = ip_addrs(l);
                    ports = None;
                }
                "tcp" => {
                    // Header fields: at the top of the layer.
                    let num = |k| l.top_field(k).and_then(|f| f.value.as_u64()).map(|v| v as u16);
                    ports = num("tcp.srcport").zip(num("tcp.dstport"));
                }
                "http" => {
                    if let (Some((s, d)), Some((sp, dp))) = (addrs, ports) {
                        if self.http_rule(((s, sp), (d, dp)), layers, i) {
                            continue;
                        }
                    }
                }
                _ => {}
            }
            i += 1;
        }
    }

    /// Seconds since the capture's first frame (the Time column), for a caller that does not
    /// call [`Dissector::dissect`] on this frame (the packet list's fast path).
    pub fn rel_time(&mut self, ts: Timestamp) -> f64 {
        ts.since(*self.first_ts.get_or_insert(ts))
    }

    /// Whether a TCP connection (either direction) carried an HTTP request or response so far.
    pub fn http_seen(&self, a: (IpAddr, u16), b: (IpAddr, u16)) -> bool {
        self.http_seen.contains_key(&if a <= b { (a, b) } else { (b, a) })
    }

    /// The relative-numbering bases and window scaling of the frame's own TCP segment, updating
    /// what the connection learnt: what `dissect` does for every TCP frame, callable by a reader
    /// of the raw header. `ack` is the raw acknowledgment field, `wscale` the window-scale
    /// option's shift if the segment has one.
    pub fn tcp_numbers(&mut self, src: (IpAddr, u16), dst: (IpAddr, u16), seq: u32, ack: Option<u32>, flags: u16, wscale: Option<u8>) -> TcpNumbers {
        let syn = flags & 0x02 != 0;
        let has_ack = flags & 0x10 != 0;
        // This direction's state and the other's (the same one when a host talks to itself
        // on one port).
        let (key, own, other) = match src.cmp(&dst) {
            std::cmp::Ordering::Less => ((src, dst), 0, 1),
            std::cmp::Ordering::Equal => ((src, dst), 0, 0),
            std::cmp::Ordering::Greater => ((dst, src), 1, 0),
        };
        let both = self.tcp.dirs.get_or_default(key);
        let f = &mut both[own];
        if syn {
            // Every SYN (re)starts its direction: its own number is relative 0.
            f.base = Some(seq);
            f.syn_wscale = Some(wscale);
        } else if f.base.is_none() {
            f.base = Some(seq.wrapping_sub(1));
        }
        let seq_base = f.base.unwrap_or(seq);
        let fwd_wscale = f.syn_wscale;
        let r = &mut both[other];
        if let (true, None, Some(a)) = (has_ack, r.base, ack) {
            // The ACK tells where the other side's numbers stand, even before we see one of
            // its segments.
            r.base = Some(a.wrapping_sub(1));
        }
        let scale = match (fwd_wscale, r.syn_wscale) {
            (Some(Some(own)), Some(Some(_))) => netlayers_transport::WindowScale::Shift(own),
            (Some(_), Some(_)) => netlayers_transport::WindowScale::NotUsed,
            _ => netlayers_transport::WindowScale::Unknown,
        };
        TcpNumbers { seq_base, ack_base: r.base, scale }
    }

    /// [`Dissector::http_continuations`] for the layers above one TCP segment from `a` to `b`
    /// (all of the frame's own), for a caller that decoded only those: a request or response
    /// marks the connection, a `Continuation` before one is taken out.
    pub fn http_above_tcp(&mut self, a: (IpAddr, u16), b: (IpAddr, u16), layers: &mut Vec<Layer>) {
        let mut i = 0;
        while i < layers.len() {
            if layers[i].protocol == "http" && self.http_rule((a, b), layers, i) {
                continue;
            }
            i += 1;
        }
    }

    /// The rule for the `http` layer at `i`; `true` when it was taken out (with the layers of
    /// its depth after it).
    fn http_rule(&mut self, (a, b): ((IpAddr, u16), (IpAddr, u16)), layers: &mut Vec<Layer>, i: usize) -> bool {
        let key = if a <= b { (a, b) } else { (b, a) };
        let l = &layers[i];
        if l.find("http.request").is_some() || l.find("http.response").is_some() {
            self.http_seen.insert(key, ());
        } else if l.info.as_deref() == Some("Continuation") && !self.http_seen.contains_key(&key) {
            let depth = l.depth;
            let end = layers[i..].iter().position(|x| x.depth != depth).map_or(layers.len(), |n| i + n);
            layers.drain(i..end);
            return true;
        }
        false
    }

    /// Adds relative sequence numbers to the frame's own TCP layer (not one quoted in ICMP).
    fn relative_tcp(&mut self, layers: &mut [Layer]) {
        let mut addrs: Option<(IpAddr, IpAddr)> = None;
        for l in layers.iter_mut() {
            if l.depth != 0 {
                break;
            }
            match l.protocol {
                "ip" | "ipv6" => {
                    if let Some(a) = ip_addrs(l) {
                        addrs = Some(a);
                    }
                }
                "tcp" => {
                    let Some((src, dst)) = addrs else { return };
                    // Header fields: at the top of the layer, the window-scale option in the
                    // options group there.
                    let num = |k| l.top_field(k).and_then(|f| f.value.as_u64());
                    let (Some(sp), Some(dp), Some(seq), Some(flags)) =
                        (num("tcp.srcport"), num("tcp.dstport"), num("tcp.seq_raw"), num("tcp.flags"))
                    else {
                        return;
                    };
                    let ack = num("tcp.ack_raw").map(|a| a as u32);
                    let options = l.top_field("tcp.options");
                    let wscale = options.and_then(|o| o.find("tcp.options.wscale.shift")).and_then(|f| f.value.as_u64()).map(|s| s as u8);
                    let n = self.tcp_numbers((src, sp as u16), (dst, dp as u16), seq as u32, ack, flags as u16, wscale);
                    netlayers_transport::tcp_relative_scaled(l, n.seq_base, n.ack_base, n.scale);
                    return;
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::defrag::Limits;
    use crate::encap::{encapsulate, EncapOptions, DEFAULT_DST6, DEFAULT_SRC6};
    use proptest::prelude::*;

    fn frame(number: u64, data: Vec<u8>) -> Frame {
        let orig_len = data.len() as u32;
        Frame { number, ts: Timestamp { secs: number as i64, nanos: 0 }, orig_len, data, link: LinkType::Ethernet, interface: 0 }
    }

    /// A layer as a reader sees it: protocol, Info, and every field's key and value.
    type Seen = (&'static str, Option<String>, Vec<(&'static str, Value)>);

    /// The layers above IP, as a reader sees them (ranges differ: the reassembled ones count
    /// past the frame).
    fn upper(layers: &[Layer]) -> Vec<Seen> {
        let ip = layers.iter().rposition(|l| matches!(l.protocol, "ip" | "ipv6")).expect("an IP layer");
        layers[ip + 1..]
            .iter()
            .map(|l| {
                let mut fields = Vec::new();
                l.walk(&mut |f| fields.push((f.key(), f.value.clone())));
                (l.protocol, l.info.clone(), fields)
            })
            .collect()
    }

    /// A strict source route: the header's destination field is the current hop (`ip.cur_rt`),
    /// and the final destination (`ip.dst`) is the route's last address, in the options.
    #[test]
    fn addresses_of_a_source_route() {
        let mut h = vec![
            0x48, 0, 0, 32, 0, 1, 0, 0, 64, 17, 0, 0, // version 4, IHL 8; UDP, checksum not checked here
            10, 0, 0, 1, // source
            10, 0, 0, 5, // destination field: the next hop
            0x89, 11, 4, 10, 0, 0, 7, 10, 0, 0, 9, // SSRR, length 11, pointer 4: 10.0.0.7, then 10.0.0.9
            0, // EOL
        ];
        let sum = netlayers_core::checksum::internet(&h);
        h[10..12].copy_from_slice(&sum.to_be_bytes());
        let step = netlayers_network::ipv4(&h, 0..h.len(), DecodeCtx::default());
        let ip = &step.layers[0];
        assert!(ip.top_field("ip.cur_rt").is_some() && ip.top_field("ip.dst").is_none());
        assert_eq!(ip.find("ip.dst").map(|f| &f.value), Some(&Value::Ipv4([10, 0, 0, 9].into())));
        let ends = ip_addrs(ip);
        assert_eq!(ends, Some((IpAddr::from([10, 0, 0, 1]), IpAddr::from([10, 0, 0, 9]))));
    }

    /// A message big enough to be cut in three, over IPv4 or IPv6.
    fn fragmented(v6: bool, len: usize) -> crate::encap::Encapsulation {
        let mut o = EncapOptions::default();
        if v6 {
            (o.src, o.dst) = (DEFAULT_SRC6, DEFAULT_DST6);
        }
        let msg: Vec<u8> = (0..len).map(|i| i as u8).collect();
        encapsulate(&msg, &o).expect("encapsulate")
    }

    #[test]
    fn the_last_fragment_shows_what_the_whole_datagram_shows() {
        for v6 in [false, true] {
            let e = fragmented(v6, 3500);
            assert_eq!(e.frames.len(), 3, "v6={v6}");
            let whole = decapsulate(&frame(1, e.whole.clone()));
            let mut d = Dissector::new().with_reassembly(true);
            let shown: Vec<Dissection> =
                e.frames.iter().enumerate().map(|(i, f)| d.dissect(&frame(i as u64 + 1, f.clone()))).collect();
            for s in &shown[..2] {
                assert_eq!(s.layers.last().map(|l| l.protocol), Some("data"), "v6={v6}");
                assert!(s.with_reassembled.is_empty());
            }
            let last = &shown[2];
            assert_eq!(upper(&last.layers), upper(&whole), "v6={v6}");
            assert_eq!(last.reassembled().len(), 3508, "UDP header and message");
            // The reassembled layers point past the frame, into the payload.
            let udp = last.layers.iter().find(|l| l.protocol == "udp").expect("udp");
            assert_eq!(udp.range.start, last.cap_len);
            assert_eq!(&last.bytes(&e.frames[2])[udp.range.clone()][..8], &last.reassembled()[..8]);
            let key = if v6 { "ipv6.fragment.count" } else { "ip.fragment.count" };
            let ip = last.layers.iter().find(|l| l.find(key).is_some()).expect("fragment list");
            assert_eq!(ip.find(key).map(|f| f.value.clone()), Some(Value::UInt(3)));
            assert_eq!(d.reassembly_bytes_held(), 0);
        }
    }

    #[test]
    fn without_reassembly_nothing_changes() {
        let e = fragmented(false, 3500);
        let mut d = Dissector::new();
        for (i, f) in e.frames.iter().enumerate() {
            let fr = frame(i as u64 + 1, f.clone());
            let s = d.dissect(&fr);
            assert_eq!(s.layers, decapsulate(&fr));
            assert!(s.with_reassembled.is_empty());
        }
    }

    #[test]
    fn reading_ahead_names_the_completing_frame() {
        let e = fragmented(false, 3500);
        let frames: Vec<Frame> = e.frames.iter().enumerate().map(|(i, f)| frame(i as u64 + 1, f.clone())).collect();
        let mut ahead = frames.clone().into_iter();
        let mut d = Dissector::new().with_reassembly(true).with_read_ahead(Box::new(move || ahead.next()));
        let shown: Vec<Dissection> = frames.iter().map(|f| d.dissect(f)).collect();
        for s in &shown[..2] {
            let ip = s.layers.iter().find(|l| l.protocol == "ip").expect("ip");
            assert!(ip.info.as_deref().is_some_and(|i| i.ends_with(" [Reassembled in #3]")), "{:?}", ip.info);
            assert_eq!(ip.find("ip.reassembled_in").map(|f| f.value.clone()), Some(Value::UInt(3)));
        }
    }

    #[test]
    fn a_flood_of_incomplete_datagrams_stays_bounded() {
        // Every datagram misses its middle fragment: none ever completes.
        let mut d = Dissector::new().with_reassembly(true);
        let limit = Limits::default();
        let e = encapsulate(&[0x55u8; 3000], &EncapOptions::default()).expect("encapsulate");
        for n in 0..6000u64 {
            for (k, f) in [(1, &e.frames[0]), (2, &e.frames[2])] {
                // A new IP Identification (bytes 18-19 of the frame) for each datagram.
                let mut f = f.clone();
                f[18..20].copy_from_slice(&(n as u16).to_be_bytes());
                d.dissect(&frame(2 * n + k, f));
            }
            assert!(d.reassembly_bytes_held() <= limit.max_bytes);
        }
        assert!(d.reassembly_bytes_held() > 0);
    }

    proptest! {
        #[test]
        fn arbitrary_frames_never_panic_with_reassembly(
            frames in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..120), 1..30),
            fragment_like in any::<bool>(),
        ) {
            let mut d = Dissector::new().with_reassembly(true);
            for (i, mut data) in frames.into_iter().enumerate() {
                if fragment_like && data.len() > 34 {
                    // Ethernet/IPv4 with More Fragments, so the reassembler is reached often.
                    data[12] = 0x08;
                    data[13] = 0x00;
                    data[14] = 0x45;
                    data[20] |= 0x20;
                }
                let s = d.dissect(&frame(i as u64 + 1, data.clone()));
                let all = s.bytes(&data);
                for l in &s.layers {
                    prop_assert!(l.range.end <= all.len());
                }
            }
        }
    }
}
