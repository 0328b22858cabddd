//! `netlayers stats`: capture properties, protocol hierarchy, conversations and endpoints, like
//! tshark's `-z io,phs` and `-z conv,…`/`-z endpoints,…`, gathered in one pass.
//!
//! Memory grows with the number of conversations and protocol paths, never with frames.
//! Conversation rules follow tshark 4.0: a frame counts once per layer of that kind it holds (an
//! ICMP error's quoted packet is not counted), bytes are frame lengths on the wire, address A is
//! the source of the first frame seen, and a TCP conversation is one `tcp.stream`.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::IpAddr;

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

/// A conversation's address, kept as bytes while counting and written out at the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Addr {
    Mac([u8; 6]),
    Ip(IpAddr),
}

impl Addr {
    fn text(self) -> String {
        match self {
            Addr::Mac(m) => Value::Mac(m).to_string(),
            Addr::Ip(a) => a.to_string(),
        }
    }
}

/// A conversation while counting: [`Conversation`] with its addresses as bytes.
#[derive(Debug, Clone)]
struct Conv {
    kind: ConvKind,
    a: (Addr, Option<u16>),
    b: (Addr, Option<u16>),
    frames_ab: u64,
    bytes_ab: u64,
    frames_ba: u64,
    bytes_ba: u64,
    start: f64,
    end: f64,
}

/// Both directions of a conversation map to one key: the smaller endpoint first; then the
/// TCP stream (0 for other kinds).
type ConvKey = (ConvKind, (Addr, Option<u16>), (Addr, Option<u16>), u64);

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
    convs: Vec<Conv>,
    index: HashMap<ConvKey, usize, foldhash::fast::RandomState>,
}

fn ip(l: &Layer, k: &str) -> Option<IpAddr> {
    match l.find(k).map(|f| &f.value) {
        Some(Value::Ipv4(a)) => Some(IpAddr::V4(*a)),
        Some(Value::Ipv6(a)) => Some(IpAddr::V6(*a)),
        _ => None,
    }
}

fn mac(l: &Layer, k: &str) -> Option<Addr> {
    match l.find(k).map(|f| &f.value) {
        Some(Value::Mac(m)) => Some(Addr::Mac(*m)),
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
                        self.count(ConvKind::Eth, (s, None), (d, None), 0, len, rel);
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
                        self.count(kind, (Addr::Ip(s), None), (Addr::Ip(d), None), 0, len, rel);
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
                        self.count(kind, (Addr::Ip(s), Some(sp as u16)), (Addr::Ip(d), Some(dp as u16)), id, len, rel);
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
        if let Some((s, d)) = p.eth {
            self.count(ConvKind::Eth, (Addr::Mac(s), None), (Addr::Mac(d), None), 0, len, rel);
        }
        if let Some((s, d)) = p.ip {
            let kind = if s.is_ipv4() { ConvKind::Ip } else { ConvKind::Ipv6 };
            self.count(kind, (Addr::Ip(s), None), (Addr::Ip(d), None), 0, len, rel);
            if let Some((tcp, sp, dp, stream)) = p.transport {
                let (kind, id) = if tcp { (ConvKind::Tcp, stream) } else { (ConvKind::Udp, 0) };
                self.count(kind, (Addr::Ip(s), Some(sp)), (Addr::Ip(d), Some(dp)), id, len, rel);
            }
        }
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
            let i = match node.children.iter().position(|(q, _)| *q == p) {
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

    fn count(&mut self, kind: ConvKind, s: (Addr, Option<u16>), d: (Addr, Option<u16>), id: u64, len: u64, rel: f64) {
        let key = if s <= d { (kind, s, d, id) } else { (kind, d, s, id) };
        let i = match self.index.get(&key) {
            Some(&i) => i,
            None => {
                self.convs.push(Conv {
                    kind,
                    a: s,
                    b: d,
                    frames_ab: 0,
                    bytes_ab: 0,
                    frames_ba: 0,
                    bytes_ba: 0,
                    start: rel,
                    end: rel,
                });
                self.index.insert(key, self.convs.len() - 1);
                self.convs.len() - 1
            }
        };
        let c = &mut self.convs[i];
        if c.a == s {
            c.frames_ab += 1;
            c.bytes_ab += len;
        } else {
            c.frames_ba += 1;
            c.bytes_ba += len;
        }
        c.end = c.end.max(rel);
    }

    /// Conversations of one kind, in order of first appearance.
    pub fn conversations(&self, kind: ConvKind) -> Vec<Conversation> {
        self.convs
            .iter()
            .filter(|c| c.kind == kind)
            .map(|c| Conversation {
                kind,
                a: c.a.0.text(),
                port_a: c.a.1,
                b: c.b.0.text(),
                port_b: c.b.1,
                frames_ab: c.frames_ab,
                bytes_ab: c.bytes_ab,
                frames_ba: c.frames_ba,
                bytes_ba: c.bytes_ba,
                start: c.start,
                end: c.end,
            })
            .collect()
    }

    /// Endpoints of one kind, in order of first appearance, summed over its conversations.
    pub fn endpoints(&self, kind: ConvKind) -> Vec<Endpoint> {
        let mut out: Vec<Endpoint> = Vec::new();
        let mut at: HashMap<(String, Option<u16>), usize> = HashMap::new();
        for c in &self.conversations(kind) {
            for (addr, port, tf, tb, rf, rb) in [
                (&c.a, c.port_a, c.frames_ab, c.bytes_ab, c.frames_ba, c.bytes_ba),
                (&c.b, c.port_b, c.frames_ba, c.bytes_ba, c.frames_ab, c.bytes_ab),
            ] {
                let i = *at.entry((addr.clone(), port)).or_insert_with(|| {
                    out.push(Endpoint { kind, addr: addr.clone(), port, tx_frames: 0, tx_bytes: 0, rx_frames: 0, rx_bytes: 0 });
                    out.len() - 1
                });
                let e = &mut out[i];
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
        let t = |en: &'static str, zh: &'static str| Text::new(en, zh).get(lang);
        let mut s = String::new();
        let dur = self.duration();
        let rate = |x: u64| if dur > 0.0 { format!("{:.1}", x as f64 / dur) } else { "-".into() };
        let _ = writeln!(s, "{}", t("Capture", "捕获文件"));
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
        table(&mut s, &[t("Property", "属性"), t("Value", "值")], rows.into_iter().map(|(a, b)| vec![a.to_string(), b]).collect());

        let _ = writeln!(s, "\n{}", t("Protocol hierarchy", "协议层次"));
        let rows = self
            .hierarchy()
            .into_iter()
            .map(|r| {
                let pct = if self.frames > 0 { 100.0 * r.frames as f64 / self.frames as f64 } else { 0.0 };
                vec![format!("{}{}", "  ".repeat(r.depth), r.protocol), r.frames.to_string(), format!("{pct:.1}"), r.bytes.to_string()]
            })
            .collect();
        table(&mut s, &[t("Protocol", "协议"), t("Frames", "帧数"), t("% frames", "帧占比%"), t("Bytes", "字节数")], rows);

        for kind in ConvKind::ALL {
            let cs = self.conversations(kind);
            if cs.is_empty() {
                continue;
            }
            let _ = writeln!(s, "\n{} {}", kind.title().get(lang), t("conversations", "会话"));
            let port = |p: Option<u16>| p.map_or(String::new(), |p| p.to_string());
            let rows = cs
                .iter()
                .map(|c| {
                    vec![
                        c.a.clone(), port(c.port_a), c.b.clone(), port(c.port_b),
                        c.frames_ab.to_string(), c.bytes_ab.to_string(), c.frames_ba.to_string(), c.bytes_ba.to_string(),
                        (c.frames_ab + c.frames_ba).to_string(), (c.bytes_ab + c.bytes_ba).to_string(),
                        format!("{:.6}", c.start), format!("{:.6}", c.end - c.start),
                    ]
                })
                .collect();
            table(
                &mut s,
                &[
                    t("Address A", "地址 A"), t("Port A", "端口 A"), t("Address B", "地址 B"), t("Port B", "端口 B"),
                    t("Frames A→B", "帧 A→B"), t("Bytes A→B", "字节 A→B"), t("Frames B→A", "帧 B→A"), t("Bytes B→A", "字节 B→A"),
                    t("Frames", "帧数"), t("Bytes", "字节数"), t("Rel start", "相对开始"), t("Duration", "持续时间"),
                ],
                rows,
            );
            let _ = writeln!(s, "\n{} {}", kind.title().get(lang), t("endpoints", "端点"));
            let rows = self
                .endpoints(kind)
                .into_iter()
                .map(|e| {
                    vec![
                        e.addr, port(e.port), (e.tx_frames + e.rx_frames).to_string(), (e.tx_bytes + e.rx_bytes).to_string(),
                        e.tx_frames.to_string(), e.tx_bytes.to_string(), e.rx_frames.to_string(), e.rx_bytes.to_string(),
                    ]
                })
                .collect();
            table(
                &mut s,
                &[
                    t("Address", "地址"), t("Port", "端口"), t("Frames", "帧数"), t("Bytes", "字节数"),
                    t("Tx frames", "发送帧"), t("Tx bytes", "发送字节"), t("Rx frames", "接收帧"), t("Rx bytes", "接收字节"),
                ],
                rows,
            );
        }
        let _ = writeln!(s, "\n{}", t("Expert info", "专家信息"));
        // Only what was found, worst first, as Wireshark's Expert Information lists it.
        let mut found: Vec<_> = expert.iter().filter(|(_, n)| *n > 0).map(|(k, n)| (crate::expert::describe(k), *k, *n)).collect();
        found.sort_by_key(|((sev, _, _), _, _)| std::cmp::Reverse(*sev));
        if found.is_empty() {
            let _ = writeln!(s, "{}", t("(none)", "(无)"));
        } else {
            let rows = found
                .into_iter()
                .map(|((sev, en, zh), k, n)| {
                    let sev = match sev {
                        Severity::Chat => t("Chat", "对话"),
                        Severity::Note => t("Note", "注意"),
                        Severity::Warn => t("Warning", "警告"),
                        Severity::Error => t("Error", "错误"),
                    };
                    vec![sev.to_string(), t(en, zh).to_string(), k.to_string(), n.to_string()]
                })
                .collect();
            table(&mut s, &[t("Severity", "严重程度"), t("Summary", "摘要"), t("Field", "字段"), t("Frames", "帧数")], rows);
        }
        s
    }

    /// All tables as one JSON object (for scripts).
    pub fn render_json(&self, format: &str, expert: &[(&str, u64)]) -> String {
        let q = |x: &str| format!("\"{}\"", x.replace('\\', "\\\\").replace('"', "\\\""));
        let opt = |p: Option<u16>| p.map_or("null".to_string(), |p| p.to_string());
        let mut s = String::new();
        let links: Vec<String> = self.links.iter().map(|l| q(l.name())).collect();
        let ts = |x: Option<Timestamp>| x.map_or("null".to_string(), |x| format!("{}.{:09}", x.secs, x.nanos));
        let _ = write!(
            s,
            "{{\"format\":{},\"link_types\":[{}],\"frames\":{},\"bytes\":{},\"first\":{},\"last\":{},\"duration\":{:.9},\"hierarchy\":[",
            q(format), links.join(","), self.frames, self.bytes, ts(self.first), ts(self.last), self.duration()
        );
        let h: Vec<String> = self
            .hierarchy()
            .iter()
            .map(|r| format!("{{\"depth\":{},\"protocol\":{},\"frames\":{},\"bytes\":{}}}", r.depth, q(r.protocol), r.frames, r.bytes))
            .collect();
        s.push_str(&h.join(","));
        s.push_str("],\"conversations\":{");
        let mut parts = Vec::new();
        for kind in ConvKind::ALL {
            let cs: Vec<String> = self
                .conversations(kind)
                .iter()
                .map(|c| {
                    format!(
                        "{{\"a\":{},\"port_a\":{},\"b\":{},\"port_b\":{},\"frames_ab\":{},\"bytes_ab\":{},\"frames_ba\":{},\"bytes_ba\":{},\"start\":{:.9},\"duration\":{:.9}}}",
                        q(&c.a), opt(c.port_a), q(&c.b), opt(c.port_b), c.frames_ab, c.bytes_ab, c.frames_ba, c.bytes_ba, c.start, c.end - c.start
                    )
                })
                .collect();
            parts.push(format!("{}:[{}]", q(kind.key()), cs.join(",")));
        }
        s.push_str(&parts.join(","));
        s.push_str("},\"endpoints\":{");
        let mut parts = Vec::new();
        for kind in ConvKind::ALL {
            let es: Vec<String> = self
                .endpoints(kind)
                .iter()
                .map(|e| {
                    format!(
                        "{{\"addr\":{},\"port\":{},\"tx_frames\":{},\"tx_bytes\":{},\"rx_frames\":{},\"rx_bytes\":{}}}",
                        q(&e.addr), opt(e.port), e.tx_frames, e.tx_bytes, e.rx_frames, e.rx_bytes
                    )
                })
                .collect();
            parts.push(format!("{}:[{}]", q(kind.key()), es.join(",")));
        }
        s.push_str(&parts.join(","));
        s.push_str("},\"expert\":{");
        let e: Vec<String> = expert.iter().map(|(k, n)| format!("{}:{}", q(k), n)).collect();
        s.push_str(&e.join(","));
        s.push_str("}}\n");
        s
    }
}

/// A table with columns padded to their widest cell, counting CJK characters as two columns
/// as terminals draw them.
fn table(s: &mut String, head: &[&str], rows: Vec<Vec<String>>) {
    let wide = |c: char| matches!(c as u32, 0x1100..=0x115f | 0x2e80..=0xa4cf | 0xac00..=0xd7a3 | 0xf900..=0xfaff | 0xfe30..=0xfe4f | 0xff00..=0xff60 | 0xffe0..=0xffe6);
    let w = |x: &str| x.chars().map(|c| if wide(c) { 2 } else { 1 }).sum::<usize>();
    let mut widths: Vec<usize> = head.iter().map(|h| w(h)).collect();
    for r in &rows {
        for (i, c) in r.iter().enumerate() {
            if let Some(x) = widths.get_mut(i) {
                *x = (*x).max(w(c));
            }
        }
    }
    let line = |s: &mut String, cells: &[String]| {
        let mut out = String::new();
        for (i, c) in cells.iter().enumerate() {
            let pad = widths.get(i).copied().unwrap_or(0).saturating_sub(w(c));
            if i > 0 {
                out.push_str("  ");
            }
            out.push_str(c);
            out.push_str(&" ".repeat(pad));
        }
        let _ = writeln!(s, "{}", out.trim_end());
    };
    line(s, &head.iter().map(|h| h.to_string()).collect::<Vec<_>>());
    line(s, &widths.iter().map(|n| "─".repeat(*n)).collect::<Vec<_>>());
    for r in &rows {
        line(s, r);
    }
}
