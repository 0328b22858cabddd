//! The fast path: the common frames shown straight from their bytes — packet-list rows (here),
//! NDJSON lines (json.rs) and `stats` counts.
//!
//! Everywhere else netlayers decodes a frame into its layers and fields (the one model of
//! ARCHITECTURE.md) and renders from them. For the packet list that is most of the work and
//! little of it shows: a row needs two addresses, a protocol name, a length and an Info text.
//! So `read` first offers each frame to [`FastList::row`], which reads the few header fields a
//! row needs and writes the row itself — for Ethernet II frames carrying IPv4 (no options, not
//! a fragment) or IPv6 (no extension headers) with a whole TCP segment (the usual options) or
//! UDP datagram, whose payload no application decoder claims (an HTTP `Continuation` is
//! handled). Anything else, or anything unusual about these (cut by the snaplen, lengths that
//! disagree, an option it does not know), is declined and goes through the layers as before.
//!
//! The state that crosses frames is the same for both paths: the row asks the [`Dissector`]
//! for relative sequence numbers and window scaling, and the [`CrossFrame`] analysis for the
//! stream index and the TCP expert's verdict, through the same functions the layered path
//! uses. A frame is declined before any of that state is touched, so whichever path shows a
//! frame, the frames after it see the same history.
//!
//! The promise is byte-identical output: tests/fast_path.rs reads every capture of the
//! repository, and mutated copies of them, both ways and compares.
#![forbid(unsafe_code)]

mod json;
pub use json::json_head;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::ops::Range;

use netlayers_analyze::stats::{FrameParts, Stats};
use netlayers_analyze::expert::{BadChecksums, Checksum, Segment, Verdict};
use netlayers_analyze::CrossFrame;
use netlayers_app::Claim;
use netlayers_core::text::push_decimal;
use netlayers_core::{DecodeCtx, Frame, Handoff, Layer, LayerKind, LinkType, PseudoHeader, Transport, Value};
use netlayers_render::{Columns, FrameView};
use netlayers_stack::{decode_handoff, Dissector, TcpNumbers};
use netlayers_transport::WindowScale;

/// Writes packet-list rows for the frames it knows; see the crate documentation.
#[derive(Debug, Default)]
pub struct FastList {
    /// The Info text being built, reused from frame to frame.
    info: String,
    /// What `stats` counts of a frame, reused from frame to frame (its protocol list is a Vec).
    parts: FrameParts,
}

/// The parts of a TCP header a row needs.
struct Tcp<'a> {
    sport: u16,
    dport: u16,
    seq: u32,
    ack: u32,
    flags: u16,
    window: u16,
    urgent: u16,
    /// The option bytes (between byte 20 and the data offset), already checked by [`options_ok`].
    options: &'a [u8],
    /// The window-scale option's shift, if present.
    wscale: Option<u8>,
    payload: &'a [u8],
    /// The whole segment, header included (for its checksum).
    segment: &'a [u8],
    /// Where the segment starts in the frame.
    at: usize,
}

impl Tcp<'_> {
    /// The base of relative acknowledgment numbers (and SACK edges), as the TCP decoder takes
    /// it: the other side's, or without a known one, an ACK counts from its own number.
    fn ack_base(&self, n: &TcpNumbers) -> Option<u32> {
        n.ack_base.or(if self.flags & F_ACK != 0 { Some(self.ack.wrapping_sub(1)) } else { None })
    }

    /// The window-scale shift that applies to this segment's window (never a SYN's).
    fn window_shift(&self, n: &TcpNumbers) -> Option<u8> {
        match n.scale {
            WindowScale::Shift(s) if self.flags & F_SYN == 0 => Some(s.min(netlayers_transport::MAX_WSCALE_SHIFT)),
            _ => None,
        }
    }
}

/// The parts of a UDP header a row needs.
struct Udp<'a> {
    sport: u16,
    dport: u16,
    payload: &'a [u8],
    segment: &'a [u8],
}

enum Top<'a> {
    Tcp(Tcp<'a>),
    Udp(Udp<'a>),
}

const F_SYN: u16 = 0x002;
const F_ACK: u16 = 0x010;
const F_URG: u16 = 0x020;

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// What an Ethernet II frame carries, as far as the fast path looks.
enum Net {
    /// IPv4 (no options, not a fragment) or IPv6 (the first next header is `proto`): the
    /// payload's absolute range in the frame.
    Ip { src: IpAddr, dst: IpAddr, proto: u8, payload: Range<usize> },
    Arp,
}

/// The network layer of a frame the fast path may show, or `None`.
fn parse(frame: &Frame) -> Option<Net> {
    if frame.link != LinkType::Ethernet || frame.data.len() as u64 != u64::from(frame.orig_len) {
        return None;
    }
    let d = &frame.data[..];
    match be16(d, 12)? {
        0x0800 => {
            let ip = d.get(14..)?;
            // Version 4, no options; a total length that covers the header and fits the frame.
            if ip.first()? != &0x45 {
                return None;
            }
            let total = usize::from(be16(ip, 2)?);
            if total < 20 || total > ip.len() {
                return None;
            }
            // Not a fragment: MF clear and offset zero (DF may be set).
            if be16(ip, 6)? & 0x3fff != 0 {
                return None;
            }
            let src = Ipv4Addr::from(be32(ip, 12)?);
            let dst = Ipv4Addr::from(be32(ip, 16)?);
            Some(Net::Ip { src: IpAddr::V4(src), dst: IpAddr::V4(dst), proto: ip[9], payload: 34..14 + total })
        }
        0x86dd => {
            let ip = d.get(14..)?;
            if ip.first()? >> 4 != 6 || ip.len() < 40 {
                return None;
            }
            let payload = usize::from(be16(ip, 4)?);
            if payload == 0 || 40 + payload > ip.len() {
                return None;
            }
            let src = Ipv6Addr::from(<[u8; 16]>::try_from(&ip[8..24]).ok()?);
            let dst = Ipv6Addr::from(<[u8; 16]>::try_from(&ip[24..40]).ok()?);
            Some(Net::Ip { src: IpAddr::V6(src), dst: IpAddr::V6(dst), proto: ip[6], payload: 54..54 + payload })
        }
        0x0806 => Some(Net::Arp),
        _ => None,
    }
}

/// The transport header of `seg`, which starts at byte `at` of the frame.
fn transport(proto: u8, seg: &[u8], at: usize) -> Option<Top<'_>> {
    match proto {
        6 => {
            let hdr = usize::from(*seg.get(12)? >> 4) * 4;
            if hdr < 20 || hdr > seg.len() {
                return None;
            }
            let options = &seg[20..hdr];
            let wscale = options_ok(options)?;
            Some(Top::Tcp(Tcp {
                sport: be16(seg, 0)?,
                dport: be16(seg, 2)?,
                seq: be32(seg, 4)?,
                ack: be32(seg, 8)?,
                flags: be16(seg, 12)? & 0x0fff,
                window: be16(seg, 14)?,
                urgent: be16(seg, 18)?,
                options,
                wscale,
                payload: &seg[hdr..],
                segment: seg,
                at,
            }))
        }
        17 => {
            // The length must be the IP payload's exactly; anything else is worth the layers' words.
            if seg.len() < 8 || usize::from(be16(seg, 4)?) != seg.len() {
                return None;
            }
            Some(Top::Udp(Udp { sport: be16(seg, 0)?, dport: be16(seg, 2)?, payload: &seg[8..], segment: seg }))
        }
        _ => None,
    }
}

/// Whether every option is one the fast path words as the TCP decoder does (NOP, MSS, window
/// scale up to 14, SACK permitted, SACK, timestamps, an EOL followed by zero padding), each
/// once at most and of the right length. `Some(shift)` of the window-scale option.
fn options_ok(o: &[u8]) -> Option<Option<u8>> {
    let mut wscale = None;
    let mut seen = 0u32;
    let mut i = 0;
    while i < o.len() {
        match o[i] {
            0 => return o[i..].iter().all(|&b| b == 0).then_some(wscale),
            1 => {
                i += 1;
                continue;
            }
            k => {
                let len = usize::from(*o.get(i + 1)?);
                if len < 2 || i + len > o.len() || seen & (1 << k.min(31)) != 0 {
                    return None;
                }
                seen |= 1 << k.min(31);
                let ok = match k {
                    2 => len == 4,
                    3 => {
                        wscale = Some(o[i + 2]);
                        len == 3 && o[i + 2] <= netlayers_transport::MAX_WSCALE_SHIFT
                    }
                    4 => len == 2,
                    5 => len > 2 && (len - 2) % 8 == 0,
                    8 => len == 10,
                    _ => false,
                };
                if !ok {
                    return None;
                }
                i += len;
            }
        }
    }
    Some(wscale)
}

/// Appends ` word=n`.
fn push_word(s: &mut String, word: &str, n: impl Into<u64>) {
    s.push(' ');
    s.push_str(word);
    s.push('=');
    push_decimal(s, n);
}

/// Appends the Info words of the options (` MSS=1460 SACK_PERM TSval=… WS=128`), in wire
/// order. SACK edges are relative to `ack_base` when there is one.
fn option_words(o: &[u8], ack_base: Option<u32>, info: &mut String) {
    let mut i = 0;
    while i < o.len() {
        let k = o[i];
        if k <= 1 {
            i += 1;
            continue;
        }
        let len = usize::from(o[i + 1]);
        let body = &o[i + 2..i + len];
        let n = |at: usize| be32(body, at).unwrap_or(0);
        match k {
            2 => push_word(info, "MSS", be16(body, 0).unwrap_or(0)),
            3 => push_word(info, "WS", 1u32 << body[0]),
            4 => info.push_str(" SACK_PERM"),
            5 => {
                for b in 0..body.len() / 8 {
                    let (le, re) = (n(b * 8), n(b * 8 + 4));
                    let (le, re) = match ack_base {
                        Some(base) => (le.wrapping_sub(base), re.wrapping_sub(base)),
                        None => (le, re),
                    };
                    push_word(info, "SLE", le);
                    push_word(info, "SRE", re);
                }
            }
            8 => {
                push_word(info, "TSval", n(0));
                push_word(info, "TSecr", n(4));
            }
            _ => {}
        }
        i += len;
    }
}

/// ICMP types shown the fast way: echo request and reply (v4), and for ICMPv6 also the
/// neighbour discovery messages. Errors quote a packet, whose TCP or UDP header the stream
/// numbering reads: they go through the layers.
fn icmp_fast(proto: u8, ty: u64) -> bool {
    match proto {
        1 => matches!(ty, 0 | 8),
        _ => matches!(ty, 128 | 129 | 133..=136),
    }
}

/// Whether decoded layers can be shown from themselves alone: all the frame's own, none cut
/// short (that adds words to Info), and none whose column text depends on layers below
/// (SSH's Info wraps TCP's).
fn self_contained(layers: &[Layer]) -> bool {
    layers.iter().all(|l| l.depth == 0 && l.protocol != "ssh" && !l.notes.iter().any(|n| n.id == "truncated"))
}

/// The transport layer of a frame the fast path took.
enum Upper<'a> {
    /// ARP, ICMP: what there is comes from the decoded layers.
    None,
    Udp(Udp<'a>),
    /// With the relative-numbering bases and the expert's verdict.
    Tcp(Tcp<'a>, TcpNumbers, Verdict),
}

/// A frame the fast path took, after the cross-frame state saw it: what a row or the
/// statistics need of it.
struct Seen<'a> {
    /// Ethernet destination and source.
    macs: ([u8; 6], [u8; 6]),
    /// IP source, destination and protocol (none for ARP).
    ip: Option<(IpAddr, IpAddr)>,
    /// The transport header and what the state made of it.
    upper: Upper<'a>,
    /// `tcp.stream` / `udp.stream`.
    stream: u64,
    /// The payload's hex as NDJSON writes it, if it was written ahead.
    payload_hex: Option<&'a [u8]>,
    /// Layers decoded by their own decoders: ARP, ICMP (and what it carries), or what the
    /// transport's payload holds (DNS, an HTTP message …); empty when the payload is plain.
    layers: &'a mut Vec<Layer>,
    /// A TCP payload shown as an HTTP `Continuation` (with a body after its lines, or not).
    continuation: Option<bool>,
    /// A TCP or UDP payload shown as data, written from the bytes: no decoder claims it (or, in
    /// NDJSON, it is an HTTP Continuation that is all body) and it was dissected.
    data: bool,
}

impl FastList {
    pub fn new() -> FastList {
        FastList::default()
    }

    /// Appends `frame`'s packet-list row (without colour) to `buf` and returns `true`, having
    /// updated the cross-frame state as [`Dissector::dissect`] and [`CrossFrame::annotate`]
    /// would; or returns `false` having changed nothing, and the caller shows the frame
    /// through the layers.
    pub fn row(&mut self, buf: &mut Vec<u8>, frame: &Frame, dissector: &mut Dissector, cross: &mut CrossFrame) -> bool {
        prepare(frame).is_some_and(|mut p| self.row_prepared(buf, frame, &mut p, None, dissector, cross))
    }

    /// [`FastList::row`] for a frame [`prepare`]d ahead. The layers decoded ahead are left in
    /// `prepared`, for the thread that made them to free. `addresses` are the row's Source and
    /// Destination columns if [`row_head`] wrote them ahead.
    pub fn row_prepared(
        &mut self,
        buf: &mut Vec<u8>,
        frame: &Frame,
        prepared: &mut Prepared,
        addresses: Option<&[u8]>,
        dissector: &mut Dissector,
        cross: &mut CrossFrame,
    ) -> bool {
        let Some(mut seen) = see(frame, prepared, dissector, cross) else { return false };
        let rel_time = dissector.rel_time(frame.ts);
        let addrs = match seen.ip {
            Some((s, d)) => (address(s), address(d)),
            None => (Value::Mac(seen.macs.1), Value::Mac(seen.macs.0)),
        };
        self.info.clear();
        let protocol = match &mut seen.upper {
            Upper::Udp(u) if seen.layers.is_empty() => {
                self.udp_info(u);
                "UDP"
            }
            Upper::Tcp(t, n, verdict) if seen.layers.is_empty() => {
                if let Some(p) = verdict.info_prefix() {
                    self.info.push_str(&p);
                }
                if seen.continuation.is_some() {
                    self.info.push_str("Continuation");
                    "HTTP"
                } else {
                    self.tcp_info(t, n);
                    "TCP"
                }
            }
            // ARP, ICMP, or a payload its own decoder read: Protocol and Info come from those
            // layers, under the transport layer as the row needs it (its Info and the expert's
            // prefix).
            upper => {
                let own = match upper {
                    Upper::None => None,
                    Upper::Udp(u) => {
                        self.udp_info(u);
                        Some(("udp", "UDP", None))
                    }
                    Upper::Tcp(t, n, verdict) => {
                        self.tcp_info(t, n);
                        Some(("tcp", "TCP", verdict.info_prefix()))
                    }
                };
                if let Some((kind, name, prefix)) = own {
                    let mut own = Layer::new(LayerKind::Transport, kind, name, 0..0);
                    own.info = Some(std::mem::take(&mut self.info));
                    own.info_prefix = prefix;
                    seen.layers.insert(0, own);
                    self.layered(buf, frame, rel_time, addrs, addresses, seen.layers);
                    // Keep the Info buffer for the next frame.
                    let own = seen.layers.remove(0);
                    self.info = own.info.unwrap_or_default();
                } else {
                    self.layered(buf, frame, rel_time, addrs, addresses, seen.layers);
                }
                return true;
            }
        };
        let cols = Columns {
            number: frame.number,
            rel_time,
            source: Some(&addrs.0),
            destination: Some(&addrs.1),
            protocol,
            orig_len: frame.orig_len,
            info: &self.info,
            info_plain: true,
            addresses,
        };
        netlayers_render::plain_row(buf, &cols);
        true
    }

    /// Counts `frame` in `stats` and returns `true`, having updated the cross-frame state as
    /// the layered path does (and counted bad checksums in the expert's summary); or returns
    /// `false` having changed nothing.
    pub fn stats(&mut self, frame: &Frame, dissector: &mut Dissector, cross: &mut CrossFrame, stats: &mut Stats) -> bool {
        prepare_stats(frame).is_some_and(|mut p| self.stats_prepared(frame, &mut p, dissector, cross, stats))
    }

    /// [`FastList::stats`] for a frame prepared ahead by [`prepare_stats`] (its layers are left
    /// in `prepared`); for one by [`prepare`], the checksums are verified here.
    pub fn stats_prepared(
        &mut self,
        frame: &Frame,
        prepared: &mut Prepared,
        dissector: &mut Dissector,
        cross: &mut CrossFrame,
        stats: &mut Stats,
    ) -> bool {
        let (checked, decoded) = (prepared.checksums, prepared.layers.len());
        let Some(seen) = see_for(frame, prepared, dissector, cross, false) else { return false };
        let _ = dissector.rel_time(frame.ts);
        // The protocol path as the layers would have it: eth, IP, transport, then whatever
        // was decoded above (ARP and ICMP are among those).
        let parts = &mut self.parts;
        parts.protocols.clear();
        parts.eth = Some((seen.macs.1, seen.macs.0));
        parts.ip = seen.ip;
        parts.transport = None;
        parts.protocols.push("eth");
        if let Some((s, _)) = seen.ip {
            parts.protocols.push(if s.is_ipv4() { "ip" } else { "ipv6" });
        }
        match &seen.upper {
            Upper::Tcp(t, ..) => {
                parts.protocols.push("tcp");
                parts.transport = Some((true, t.sport, t.dport, seen.stream));
            }
            Upper::Udp(u) => {
                parts.protocols.push("udp");
                parts.transport = Some((false, u.sport, u.dport, seen.stream));
            }
            Upper::None => {}
        }
        parts.protocols.extend(seen.layers.iter().map(|l| l.protocol));
        if let Some(body) = seen.continuation {
            parts.protocols.push("http");
            if body {
                parts.protocols.push("data");
            }
        }
        if seen.data {
            parts.protocols.push("data");
        }
        stats.add_parts(frame.ts, frame.orig_len, frame.link, parts);
        // Checked ahead, or else here.
        let checked = checked.unwrap_or_else(|| {
            let top = match &seen.upper {
                Upper::Tcp(t, ..) => Some((true, t.segment)),
                Upper::Udp(u) => Some((false, u.segment)),
                Upper::None => None,
            };
            let headers = seen.ip.map_or_else(BadChecksums::default, |ip| bad_headers(&frame.data, ip, top));
            Checked { headers, layers: BadChecksums::of_layers(seen.layers) }
        });
        cross.expert.count_checksums(&checked.headers);
        // The layers' verdicts stand for the layers decoded; if the state took some out (a
        // retransmission's payload is not dissected, a Continuation before any HTTP message is
        // not HTTP), those left are looked at again.
        if seen.layers.len() == decoded {
            cross.expert.count_checksums(&checked.layers);
        } else {
            cross.expert.count_checksums(&BadChecksums::of_layers(seen.layers));
        }
        true
    }

    /// The row of a frame whose upper layers were decoded: Protocol and Info chosen from them
    /// by the same rules the layered path uses.
    fn layered(&self, buf: &mut Vec<u8>, frame: &Frame, rel_time: f64, (src, dst): (Value, Value), addresses: Option<&[u8]>, layers: &[Layer]) {
        let view = FrameView { number: frame.number, rel_time, orig_len: frame.orig_len, cap_len: frame.data.len(), layers };
        let (protocol, info) = (view.protocol(), view.info());
        let cols = Columns {
            number: frame.number,
            rel_time,
            source: Some(&src),
            destination: Some(&dst),
            protocol: &protocol,
            orig_len: frame.orig_len,
            info: &info,
            info_plain: false,
            addresses,
        };
        netlayers_render::plain_row(buf, &cols);
    }

    fn udp_info(&mut self, u: &Udp<'_>) {
        let info = &mut self.info;
        push_decimal(info, u.sport);
        info.push_str(" \u{2192} ");
        push_decimal(info, u.dport);
        push_word(info, "Len", u.payload.len() as u64);
    }

    /// TCP's own Info words, as the TCP decoder writes them after relative numbering.
    fn tcp_info(&mut self, t: &Tcp<'_>, n: &TcpNumbers) {
        let info = &mut self.info;
        push_decimal(info, t.sport);
        info.push_str(" \u{2192} ");
        push_decimal(info, t.dport);
        info.push_str(" [");
        netlayers_transport::push_flag_names(t.flags, info);
        info.push_str("] Seq=");
        push_decimal(info, t.seq.wrapping_sub(n.seq_base));
        let ack_base = t.ack_base(n);
        if t.flags & F_ACK != 0 {
            push_word(info, "Ack", t.ack.wrapping_sub(ack_base.unwrap_or(0)));
        }
        push_word(info, "Win", u64::from(t.window) << t.window_shift(n).unwrap_or(0));
        if t.flags & F_URG != 0 {
            push_word(info, "Urg", t.urgent);
        }
        push_word(info, "Len", t.payload.len() as u64);
        option_words(t.options, ack_base, info);
    }
}

/// The part of the fast path that needs no state from earlier frames, done ahead (on another
/// thread when the caller reads with both cores): the frame is one the fast path shows, and the
/// layers its own decoders make of ARP, ICMP or the transport's payload (the costly part).
#[derive(Debug)]
pub struct Prepared {
    layers: Vec<Layer>,
    /// What the application decoders would do with a TCP or UDP payload.
    claim: Option<Claim>,
    /// NDJSON of an HTTP `Continuation` that is all body: not decoded, since its layers' only
    /// keys are `data.data` and `data.len`, which the writer takes from the bytes.
    continuation_as_data: bool,
    /// The TCP or UDP payload as NDJSON writes it (a JSON string of hex digits), written ahead
    /// by [`prepare_json_with_hex`]: the line copies it instead of writing it (twice, when the
    /// payload is data too).
    payload_hex: Option<Vec<u8>>,
    /// The frame's bad checksums, checked ahead by [`prepare_stats`]: `None` when they were not.
    checksums: Option<Checked>,
}

/// A frame's bad checksums, found by [`prepare_stats`] where the frame is read.
#[derive(Debug, Clone, Copy)]
struct Checked {
    /// Its IPv4 header's, and its TCP segment's or UDP datagram's.
    headers: BadChecksums,
    /// Those the decoded layers note (ICMP's).
    layers: BadChecksums,
}

/// The Source and Destination columns of `frame`'s row (IP addresses, or for ARP the Ethernet
/// ones), written ahead by a caller that reads on another thread, for
/// [`FastList::row_prepared`]. For a frame the fast path takes (a [`prepare`] that is `Some`);
/// any other gets nothing.
pub fn row_head(out: &mut Vec<u8>, frame: &Frame) {
    let (src, dst) = match parse(frame) {
        Some(Net::Ip { src, dst, .. }) => (address(src), address(dst)),
        Some(Net::Arp) => {
            let mac = |at: usize| Value::Mac(frame.data[at..at + 6].try_into().unwrap_or_default());
            (mac(6), mac(0))
        }
        None => return,
    };
    netlayers_render::address_columns(out, &src, &dst);
}

/// Whether the fast path takes `frame`: `Some` with what [`FastList::row_prepared`] and
/// [`FastList::stats_prepared`] need, or `None` and the frame goes through the layers.
pub fn prepare(frame: &Frame) -> Option<Prepared> {
    prepare_for(frame, false, false, false)
}

/// [`prepare`] for [`FastList::stats_prepared`], with the frame's checksums verified too: they
/// need nothing from earlier frames, so a caller that prepares on another thread checks them
/// there, and the counting thread only adds up the verdicts.
pub fn prepare_stats(frame: &Frame) -> Option<Prepared> {
    prepare_for(frame, false, false, true)
}

/// [`prepare`] for [`FastList::json_prepared`]: an HTTP `Continuation` that starts with
/// header-like lines is decoded into its layers too (the NDJSON holds their fields; the packet
/// list needs only the word).
pub fn prepare_json(frame: &Frame) -> Option<Prepared> {
    prepare_for(frame, true, false, false)
}

/// [`prepare_json`] with the payload's hex written ahead too: for a caller that prepares on
/// another thread and writes whole NDJSON lines (the hex is most of a full-size frame's line).
pub fn prepare_json_with_hex(frame: &Frame) -> Option<Prepared> {
    prepare_for(frame, true, true, false)
}

fn prepare_for(frame: &Frame, json: bool, hex: bool, checksums: bool) -> Option<Prepared> {
    let ctx = DecodeCtx::default();
    let data = &frame.data[..];
    let mut p = Prepared { layers: Vec::new(), claim: None, continuation_as_data: false, payload_hex: None, checksums: None };
    // The IP addresses and the transport's header whose checksums are checked.
    let mut sums: Option<((IpAddr, IpAddr), Checkable<'_>)> = None;
    match parse(frame)? {
        Net::Arp => {
            p.layers = decode_handoff(data, 14..data.len(), Handoff::EtherType(0x0806), ctx);
            if !(self_contained(&p.layers) && p.layers.first().is_some_and(|l| l.protocol == "arp" && l.info.is_some())) {
                return None;
            }
        }
        Net::Ip { src, dst, proto: proto @ (1 | 58), payload } => {
            sums = Some(((src, dst), None));
            let pseudo = PseudoHeader { src, dst, protocol: proto, upper_len: payload.len() };
            let next = Handoff::IpProto { proto, pseudo, fragment_offset: 0 };
            p.layers = decode_handoff(data, payload, next, ctx);
            let type_key = if proto == 1 { "icmp.type" } else { "icmpv6.type" };
            let known = p.layers.first().is_some_and(|l| {
                l.info.is_some() && l.find(type_key).and_then(|f| f.value.as_u64()).is_some_and(|t| icmp_fast(proto, t))
            });
            if !(known && self_contained(&p.layers)) {
                return None;
            }
        }
        Net::Ip { src, dst, proto, payload } => {
            let top = transport(proto, &data[payload.clone()], payload.start)?;
            let (sport, dport, body, transport, segment) = match &top {
                Top::Tcp(t) => (t.sport, t.dport, t.payload, Transport::Tcp, t.segment),
                Top::Udp(u) => (u.sport, u.dport, u.payload, Transport::Udp, u.segment),
            };
            sums = Some(((src, dst), Some((transport == Transport::Tcp, segment))));
            let claim = netlayers_app::claim(transport, sport, dport, body);
            p.continuation_as_data = json && matches!(claim, Claim::HttpContinuation { lines: false, .. });
            if claim == Claim::Decoder || (json && claim != Claim::Data && !p.continuation_as_data) {
                let at = payload.end - body.len()..payload.end;
                p.layers = decode_handoff(data, at, Handoff::Ports { transport, src: sport, dst: dport }, ctx);
                if !self_contained(&p.layers) {
                    return None;
                }
            }
            p.claim = Some(claim);
            if hex && !body.is_empty() {
                let mut h = Vec::with_capacity(2 * body.len() + 2);
                netlayers_render::json_hex(&mut h, body);
                p.payload_hex = Some(h);
            }
        }
    }
    if checksums {
        let headers = sums.map_or_else(BadChecksums::default, |(ip, top)| bad_headers(data, ip, top));
        p.checksums = Some(Checked { headers, layers: BadChecksums::of_layers(&p.layers) });
    }
    Some(p)
}

/// Updates the cross-frame state with a prepared frame as the layered path would.
fn see<'a>(frame: &'a Frame, prepared: &'a mut Prepared, dissector: &mut Dissector, cross: &mut CrossFrame) -> Option<Seen<'a>> {
    see_for(frame, prepared, dissector, cross, true)
}

/// [`see`], and with `numbers` false without the relative sequence numbers and window scaling
/// (the returned [`TcpNumbers`] are then zero): `stats` shows neither, and nothing it counts
/// depends on them (the expert and the stream index read raw numbers), so it skips their two
/// lookups per segment. The layered path's frames of a connection then number from their own
/// first segment, which only the packet list and the tree would show.
fn see_for<'a>(frame: &'a Frame, prepared: &'a mut Prepared, dissector: &mut Dissector, cross: &mut CrossFrame, numbers: bool) -> Option<Seen<'a>> {
    let data = &frame.data[..];
    // Read again (cheap, and nothing changes before it): the headers the state needs.
    let net = parse(frame)?;
    let macs = (data.get(0..6)?.try_into().ok()?, data.get(6..12)?.try_into().ok()?);
    // The layers stay in `prepared` (for the thread that decoded them to free): borrowed.
    let Prepared { layers, claim, continuation_as_data, payload_hex, .. } = prepared;
    let top = match &net {
        Net::Ip { proto, payload, .. } if claim.is_some() => Some(transport(*proto, &data[payload.clone()], payload.start)?),
        _ => None,
    };
    let continuation_as_data = *continuation_as_data;
    let payload_hex = payload_hex.as_deref();
    let mut seen = Seen { macs, ip: None, upper: Upper::None, stream: 0, payload_hex, layers, continuation: None, data: false };
    match net {
        Net::Arp => cross.other_frame(),
        Net::Ip { src, dst, .. } if top.is_none() => {
            cross.other_frame();
            if let Some(icmp) = seen.layers.first_mut() {
                cross.echoes.icmp(src, dst, icmp, frame.number, frame.ts);
            }
            seen.ip = Some((src, dst));
        }
        Net::Ip { src, dst, .. } => {
            let claim = claim.unwrap_or(Claim::Data);
            seen.ip = Some((src, dst));
            seen.upper = match top {
                Some(Top::Udp(u)) => {
                    seen.stream = cross.udp_datagram((src, u.sport), (dst, u.dport));
                    seen.data = claim == Claim::Data && !u.payload.is_empty();
                    Upper::Udp(u)
                }
                Some(Top::Tcp(t)) => {
                    let n = if numbers {
                        dissector.tcp_numbers((src, t.sport), (dst, t.dport), t.seq, Some(t.ack), t.flags, t.wscale)
                    } else {
                        TcpNumbers { seq_base: 0, ack_base: None, scale: WindowScale::Unknown }
                    };
                    if !seen.layers.is_empty() {
                        // A request or response marks the connection; a decoded Continuation
                        // before one is taken out.
                        dissector.http_above_tcp((src, t.sport), (dst, t.dport), seen.layers);
                    }
                    let mut seg = Segment {
                        src: (src, t.sport),
                        dst: (dst, t.dport),
                        stream: 0,
                        seq: t.seq,
                        ack: t.ack,
                        len: t.payload.len() as u32,
                        flags: t.flags,
                        win: u64::from(t.window),
                        wscale: t.wscale,
                    };
                    let verdict = cross.tcp_segment(&mut seg, frame.number, frame.ts);
                    seen.stream = seg.stream;
                    let dissected = !verdict.not_dissected();
                    if !dissected {
                        seen.layers.clear();
                    }
                    if let Claim::HttpContinuation { body, .. } = claim {
                        // Before the connection carried a request or response, tshark shows
                        // the bytes as TCP payload only.
                        if dissected && dissector.http_seen((src, t.sport), (dst, t.dport)) {
                            seen.continuation = Some(body);
                        }
                    }
                    // A Continuation kept as HTTP shows its bytes as data (decoded, or not).
                    let data = claim == Claim::Data || (continuation_as_data && seen.continuation.is_some());
                    seen.data = data && dissected && !t.payload.is_empty();
                    Upper::Tcp(t, n, verdict)
                }
                None => Upper::None,
            };
        }
    }
    Some(seen)
}

/// A TCP segment's or UDP datagram's bytes, whose checksum is checked, and whether it is TCP.
type Checkable<'a> = Option<(bool, &'a [u8])>;

/// The bad checksums of a frame's own headers that the fast path reads: the IPv4 header's, and
/// the TCP segment's or UDP datagram's (`top`: whether it is TCP, and its bytes). The ICMP
/// checksum is the decoder's, in the layers.
fn bad_headers(d: &[u8], (src, dst): (IpAddr, IpAddr), top: Checkable<'_>) -> BadChecksums {
    let mut bad = BadChecksums::default();
    if src.is_ipv4() && d.get(14..34).is_some_and(|h| netlayers_core::checksum::internet(h) != 0) {
        bad.add(Checksum::Ip);
    }
    let pseudo = |protocol, seg: &[u8]| PseudoHeader { src, dst, protocol, upper_len: seg.len() };
    match top {
        Some((true, seg)) if !netlayers_core::checksum::verify_with_pseudo(&pseudo(6, seg), seg) => bad.add(Checksum::Tcp),
        // UDP without a checksum (zero) is not a bad one (over IPv6 it is illegal, a
        // different complaint).
        Some((false, seg)) if netlayers_transport::udp_checksum_status(&pseudo(17, seg), seg) == 0 => bad.add(Checksum::Udp),
        _ => {}
    }
    bad
}

fn address(a: IpAddr) -> Value {
    match a {
        IpAddr::V4(a) => Value::Ipv4(a),
        IpAddr::V6(a) => Value::Ipv6(a),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netlayers_core::checksum;
    use netlayers_core::Timestamp;

    /// An Ethernet II frame with an IPv4 header (checksum filled in) around `segment` of
    /// protocol `proto`, whose checksum at `sum_at` is filled in too.
    fn ipv4(proto: u8, mut segment: Vec<u8>, sum_at: usize) -> Vec<u8> {
        let (src, dst) = ([10, 0, 0, 1], [10, 0, 0, 2]);
        let pseudo = PseudoHeader { src: IpAddr::from(src), dst: IpAddr::from(dst), protocol: proto, upper_len: segment.len() };
        let sum = checksum::with_pseudo(&pseudo, &segment);
        segment[sum_at..sum_at + 2].copy_from_slice(&sum.to_be_bytes());
        let total = (20 + segment.len()) as u16;
        let mut ip = vec![0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, proto, 0, 0];
        ip[2..4].copy_from_slice(&total.to_be_bytes());
        ip.extend_from_slice(&src);
        ip.extend_from_slice(&dst);
        let sum = checksum::internet(&ip);
        ip[10..12].copy_from_slice(&sum.to_be_bytes());
        let mut f = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00];
        f.extend_from_slice(&ip);
        f.extend_from_slice(&segment);
        f
    }

    fn udp() -> Vec<u8> {
        let mut u = vec![0x9c, 0x40, 0x9c, 0x41, 0, 13, 0, 0];
        u.extend_from_slice(b"hello");
        ipv4(17, u, 6)
    }

    fn tcp() -> Vec<u8> {
        let mut t = vec![0x9c, 0x42, 0x9c, 0x43, 0, 0, 0, 1, 0, 0, 0, 1, 0x50, 0x10, 0x10, 0, 0, 0, 0, 0];
        t.extend_from_slice(b"hello");
        ipv4(6, t, 16)
    }

    /// The `stats` report (JSON) of `frames`, each prepared by `prepare`.
    fn report(frames: &[Vec<u8>], prepare: fn(&Frame) -> Option<Prepared>) -> String {
        let (mut fast, mut dissector, mut cross, mut stats) = (FastList::new(), Dissector::new(), CrossFrame::new(), Stats::new());
        for (i, data) in frames.iter().enumerate() {
            let frame = Frame {
                number: i as u64 + 1,
                ts: Timestamp { secs: 1, nanos: i as u32 },
                orig_len: data.len() as u32,
                data: data.clone(),
                link: LinkType::Ethernet,
                interface: 0,
            };
            let mut p = prepare(&frame).expect("the fast path reads these frames");
            assert!(fast.stats_prepared(&frame, &mut p, &mut dissector, &mut cross, &mut stats));
        }
        let mut out = Vec::new();
        stats.write_json(&mut out, "pcap", &cross.expert.summary()).expect("writes to a Vec");
        String::from_utf8(out).expect("JSON is UTF-8")
    }

    /// A frame prepared without its checksums (the reading thread had no time for them) is
    /// counted as one prepared with them: good, bad IPv4 header, bad TCP and UDP checksums.
    #[test]
    fn checksums_count_the_same_whichever_thread_verifies_them() {
        let mut frames = vec![udp(), tcp()];
        let mut bad_ip = udp();
        bad_ip[24] ^= 1;
        let mut bad_udp = udp();
        bad_udp[40] ^= 1;
        let mut bad_tcp = tcp();
        bad_tcp[50] ^= 1;
        frames.extend([bad_ip, bad_udp, bad_tcp]);
        let ahead = report(&frames, prepare_stats);
        assert_eq!(ahead, report(&frames, prepare));
        for key in ["ip.checksum.bad\":1", "udp.checksum.bad\":1", "tcp.checksum.bad\":1"] {
            assert!(ahead.contains(key), "{key} in {ahead}");
        }
    }
}
