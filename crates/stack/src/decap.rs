//! Going up the layers: frame bytes and link type → `Layer`s.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::ops::Range;

use netlayers_core::{
    DecodeCtx, Field, FieldSpec, Frame, Handoff, Layer, LayerKind, LinkType, Note, Severity, Step, Text, Timestamp, Value,
};

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
}

/// Decodes one frame, with no state from earlier frames.
pub fn decapsulate(frame: &Frame) -> Vec<Layer> {
    let mut layers = vec![frame_layer(frame)];
    decode_link(&frame.data, frame.link, &mut layers);
    layers
}

fn frame_layer(frame: &Frame) -> Layer {
    let cap = frame.data.len();
    let mut l = Layer::new(LayerKind::Physical, "frame", "Frame", 0..cap);
    l.title = format!(
        "Frame {}: {} bytes on wire ({} bits), {} bytes captured ({} bits)",
        frame.number,
        frame.orig_len,
        u64::from(frame.orig_len) * 8,
        cap,
        cap * 8
    );
    let mut fs = vec![
        Field::generated(&FRAME_NUMBER, Value::UInt(frame.number)),
        Field::generated(&FRAME_LEN, Value::UInt(u64::from(frame.orig_len))),
        Field::generated(&FRAME_CAP_LEN, Value::UInt(cap as u64)),
    ];
    if frame.interface != 0 {
        fs.push(Field::generated(&FRAME_INTERFACE, Value::UInt(u64::from(frame.interface))));
    }
    l.fields = fs;
    l
}

/// Runs the decoders from the link layer up, appending their layers.
pub fn decode_link(data: &[u8], link: LinkType, layers: &mut Vec<Layer>) {
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
    run(data, first, ctx, layers);
}

/// Follows hand-offs until a decoder says nothing follows.
fn run(data: &[u8], mut step: Step, mut ctx: DecodeCtx, layers: &mut Vec<Layer>) {
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
                if fragment_offset != 0 {
                    data_or_end(data, at, ctx)
                } else {
                    match proto {
                        1 => netlayers_network::icmp(data, at, ctx),
                        2 => netlayers_network::igmp(data, at, ctx),
                        4 => netlayers_network::ipv4(data, at, ctx),
                        6 => netlayers_transport::tcp(data, at, ctx, &pseudo),
                        17 => netlayers_transport::udp(data, at, ctx, &pseudo),
                        41 => netlayers_network::ipv6(data, at, ctx),
                        58 => netlayers_network::icmpv6(data, at, ctx, &pseudo),
                        _ => data_or_end(data, at, ctx),
                    }
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
    let get = |k| match l.find(k).map(|f| &f.value) {
        Some(Value::Ipv4(a)) => Some(IpAddr::V4(*a)),
        Some(Value::Ipv6(a)) => Some(IpAddr::V6(*a)),
        _ => None,
    };
    get(s).zip(get(d))
}

/// Per-direction TCP state, keyed by (src, sport, dst, dport).
#[derive(Debug, Default)]
struct TcpBases {
    dirs: HashMap<(IpAddr, u16, IpAddr, u16), TcpDirection>,
}

/// Decodes a whole capture frame by frame, keeping what the packet list needs across frames:
/// the first timestamp (Time column) and the relative TCP sequence numbers.
#[derive(Debug, Default)]
pub struct Dissector {
    first_ts: Option<Timestamp>,
    tcp: TcpBases,
    /// TCP connections (endpoints in sorted order) that carried an HTTP request or response.
    http_seen: HashSet<((IpAddr, u16), (IpAddr, u16))>,
}

impl Dissector {
    pub fn new() -> Dissector {
        Dissector::default()
    }

    pub fn dissect(&mut self, frame: &Frame) -> Dissection {
        let first = *self.first_ts.get_or_insert(frame.ts);
        let mut layers = decapsulate(frame);
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
                    let num = |k| l.find(k).and_then(|f| f.value.as_u64()).map(|v| v as u16);
                    ports = num("tcp.srcport").zip(num("tcp.dstport"));
                }
                "http" => {
                    if let (Some((s, d)), Some((sp, dp))) = (addrs, ports) {
                        let key = if (s, sp) <= (d, dp) { ((s, sp), (d, dp)) } else { ((d, dp), (s, sp)) };
                        if l.find("http.request").is_some() || l.find("http.response").is_some() {
                            self.http_seen.insert(key);
                        } else if l.info.as_deref() == Some("Continuation") && !self.http_seen.contains(&key) {
                            let depth = l.depth;
                            let end = layers[i..].iter().position(|x| x.depth != depth).map_or(layers.len(), |n| i + n);
                            layers.drain(i..end);
                            continue;
                        }
                    }
                }
                _ => {}
            }
            i += 1;
        }
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
                    let num = |k| l.find(k).and_then(|f| f.value.as_u64());
                    let (Some(sp), Some(dp), Some(seq), Some(flags)) =
                        (num("tcp.srcport"), num("tcp.dstport"), num("tcp.seq_raw"), num("tcp.flags"))
                    else {
                        return;
                    };
                    let (sp, dp, seq) = (sp as u16, dp as u16, seq as u32);
                    let ack = num("tcp.ack_raw").map(|a| a as u32);
                    let syn = flags & 0x02 != 0;
                    let has_ack = flags & 0x10 != 0;
                    let wscale = num("tcp.options.wscale.shift").map(|s| s as u8);
                    let fwd = (src, sp, dst, dp);
                    let rev = (dst, dp, src, sp);
                    let f = self.tcp.dirs.entry(fwd).or_default();
                    if syn {
                        // Every SYN (re)starts its direction: its own number is relative 0.
                        f.base = Some(seq);
                        f.syn_wscale = Some(wscale);
                    } else if f.base.is_none() {
                        f.base = Some(seq.wrapping_sub(1));
                    }
                    let seq_base = f.base.unwrap_or(seq);
                    let fwd_wscale = f.syn_wscale;
                    let r = self.tcp.dirs.entry(rev).or_default();
                    if let (true, None, Some(a)) = (has_ack, r.base, ack) {
                        // The ACK tells where the other side's numbers stand, even before we
                        // see one of its segments.
                        r.base = Some(a.wrapping_sub(1));
                    }
                    let ack_base = r.base;
                    let scale = match (fwd_wscale, r.syn_wscale) {
                        (Some(Some(own)), Some(Some(_))) => netlayers_transport::WindowScale::Shift(own),
                        (Some(_), Some(_)) => netlayers_transport::WindowScale::NotUsed,
                        _ => netlayers_transport::WindowScale::Unknown,
                    };
                    netlayers_transport::tcp_relative(l, seq_base, ack_base);
                    netlayers_transport::tcp_window_scale(l, scale);
                    return;
                }
                _ => {}
            }
        }
    }
}
