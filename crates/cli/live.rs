//! Real interfaces: `netlayers ifaces`, `capture`, `send` and `arping`.
//!
//! Nothing is ever put on a wire unless the user named an interface (`-i`): `send` and `arping`
//! require it, and `capture` only listens.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use clap::Args;
use netlayers_capture::live::{self, arp, ndp, CaptureOptions, IfaceInfo, LiveCapture, LiveError};
use netlayers_core::{Frame, Lang, LinkType};
use netlayers_stack::Dissector;

use crate::args::Format;
use crate::encap::EncapArgs;
use crate::frames::FrameOutput;
use crate::output::{Outcome, Ui};

/// `netlayers ifaces`
#[derive(Args, Debug)]
pub struct IfacesArgs {
    /// Output format (json: one object per interface per line)
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// `netlayers capture`
#[derive(Args, Debug)]
pub struct CaptureArgs {
    /// Interface to listen on (see `netlayers ifaces`)
    #[arg(short = 'i', long = "interface", value_name = "IFACE")]
    pub interface: String,
    /// Stop after N frames
    #[arg(short = 'c', long = "count", value_name = "N")]
    pub count: Option<u64>,
    /// Stop after this many seconds
    #[arg(long, value_name = "SECS")]
    pub duration: Option<f64>,
    /// Also write the frames to a pcap file, complete even after Ctrl-C (`-` for stdout)
    #[arg(short = 'w', long = "write", value_name = "FILE")]
    pub write: Option<PathBuf>,
    /// Do not print the frames (with -w: only save them)
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Bytes kept of each frame
    #[arg(short = 's', long = "snaplen", value_name = "BYTES", default_value_t = live::READ_BUFFER as u32)]
    pub snaplen: u32,
    /// Do not put the interface into promiscuous mode (only frames for this host)
    #[arg(short = 'p', long = "no-promiscuous")]
    pub no_promiscuous: bool,
    /// Show every frame as a tree: each layer, each field, its bytes and meaning
    #[arg(short = 'V', long)]
    pub detail: bool,
    /// Add each field's explanation to the tree (implies --detail)
    #[arg(long)]
    pub explain: bool,
    /// Show a hexdump of each frame, bytes coloured by layer
    #[arg(short = 'x', long)]
    pub hex: bool,
    /// Output format [default: table; json with -e]
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Only show frames matching this Wireshark display filter (-w still saves every frame)
    #[arg(short = 'Y', long = "filter", value_name = "EXPR")]
    pub filter: Option<String>,
    /// Only this field in each NDJSON line; repeat for more (`-e ip.src -e tcp.dstport`). As
    /// `tshark -T fields -e`: in the order given, a field the frame lacks left out. Implies
    /// `--format json` (and cannot go with the table, -V, --explain or -x)
    #[arg(short = 'e', long = "field", value_name = "FIELD", value_parser = crate::select::parse_field, conflicts_with_all = ["detail", "explain", "hex"])]
    pub fields: Vec<String>,
    /// Show every IP fragment on its own. By default (table and -V), the frame that completes a
    /// fragmented datagram shows the layers decoded from all of it, as Wireshark does live;
    /// `--format json` never reassembles
    #[arg(long)]
    pub no_reassembly: bool,
}

/// `netlayers arping`
#[derive(Args, Debug)]
pub struct ArpingArgs {
    /// Interface to send the ARP requests on (it must have an IPv4 address)
    #[arg(short = 'i', long = "interface", value_name = "IFACE")]
    pub interface: String,
    /// The IPv4 address whose MAC address is asked for
    #[arg(value_name = "IP")]
    pub target: Ipv4Addr,
    /// Number of requests (one per second)
    #[arg(short = 'c', long = "count", value_name = "N", default_value_t = 3)]
    pub count: u64,
    /// Seconds to wait for each reply
    #[arg(long, value_name = "SECS", default_value_t = 1.0)]
    pub timeout: f64,
    /// Also show each request and reply as a tree of fields
    #[arg(short = 'V', long)]
    pub detail: bool,
    /// Add each field's explanation to the tree (implies --detail)
    #[arg(long)]
    pub explain: bool,
    /// Also show a hexdump of each request and reply
    #[arg(short = 'x', long)]
    pub hex: bool,
    /// Output format (json: the requests and replies as NDJSON frames)
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// `netlayers send`
#[derive(Args, Debug)]
pub struct SendArgs {
    /// Interface to put the frame(s) on (see `netlayers ifaces`)
    #[arg(short = 'i', long = "interface", value_name = "IFACE")]
    pub interface: String,
    #[command(flatten)]
    pub encap: EncapArgs,
    /// Show each frame sent as a tree: each layer, each field, its bytes and meaning
    #[arg(short = 'V', long)]
    pub detail: bool,
    /// Add each field's explanation to the tree (implies --detail)
    #[arg(long)]
    pub explain: bool,
    /// Show a hexdump of each frame sent, bytes coloured by layer
    #[arg(short = 'x', long)]
    pub hex: bool,
    /// Seconds to wait for the ARP or neighbour-discovery reply that finds the destination MAC (3 tries)
    #[arg(long = "resolve-timeout", value_name = "SECS", default_value_t = 3.0)]
    pub resolve_timeout: f64,
}

fn tr(lang: Lang, en: String, zh: String) -> String {
    match lang {
        Lang::En => en,
        Lang::Zh => zh,
    }
}

/// A library error as one line in the user's language.
fn live_err(e: LiveError, ui: &Ui) -> anyhow::Error {
    anyhow!(e.message(ui.lang))
}

/// Set by Ctrl-C (or SIGTERM): loops check it between frames, so a capture ends with its count
/// printed and its pcap file complete.
fn stop_flag() -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    // Fails only if a handler is already set, which this binary never does twice.
    let _ = ctrlc::set_handler(move || s.store(true, Ordering::SeqCst));
    stop
}

fn mac_text(m: &Option<[u8; 6]>) -> String {
    match m {
        Some(m) => netlayers_core::model::fmt_mac(m),
        None => "-".to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// ifaces

fn state_text(i: &IfaceInfo, lang: Lang) -> String {
    let mut parts: Vec<&str> = Vec::new();
    parts.push(match (i.up, lang) {
        (true, Lang::En) => "up",
        (true, Lang::Zh) => "启用",
        (false, Lang::En) => "down",
        (false, Lang::Zh) => "关闭",
    });
    if i.up && !i.running {
        parts.push(if lang == Lang::En { "no carrier" } else { "无载波" });
    }
    if i.loopback {
        parts.push(if lang == Lang::En { "loopback" } else { "回环" });
    }
    parts.join(if lang == Lang::En { ", " } else { "、" })
}

/// Terminal columns of a heading: CJK characters take two.
fn width(s: &str) -> usize {
    s.chars()
        .map(|c| if matches!(c as u32, 0x1100..=0x115f | 0x2e80..=0xa4cf | 0xac00..=0xd7a3 | 0xf900..=0xfaff | 0xfe30..=0xfe4f | 0xff00..=0xff60 | 0xffe0..=0xffe6) { 2 } else { 1 })
        .sum()
}

fn pad(out: &mut String, s: &str, w: usize) {
    out.push_str(s);
    for _ in width(s)..w {
        out.push(' ');
    }
}

/// Interface names come from the kernel but may hold any byte but `/` and NUL: escape them.
fn json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn iface_json(i: &IfaceInfo) -> String {
    let mut s = String::from("{\"name\":");
    json_str(&mut s, &i.name);
    s.push_str(&format!(",\"index\":{},\"mac\":", i.index));
    match &i.mac {
        Some(m) => json_str(&mut s, &netlayers_core::model::fmt_mac(m)),
        None => s.push_str("null"),
    }
    s.push_str(",\"addresses\":[");
    for (n, a) in i.addrs.iter().enumerate() {
        if n > 0 {
            s.push(',');
        }
        json_str(&mut s, &a.to_string());
    }
    s.push_str("],\"mtu\":");
    match i.mtu {
        Some(m) => s.push_str(&m.to_string()),
        None => s.push_str("null"),
    }
    s.push_str(&format!(",\"up\":{},\"running\":{},\"loopback\":{}}}\n", i.up, i.running, i.loopback));
    s
}

/// The interface table: one line per interface, its further addresses on lines below it.
fn ifaces_table(list: &[IfaceInfo], lang: Lang) -> String {
    let heads: [&str; 5] = match lang {
        Lang::En => ["Interface", "MAC", "Addresses", "MTU", "State"],
        Lang::Zh => ["接口", "MAC 地址", "IP 地址/前缀", "MTU", "状态"],
    };
    let rows: Vec<[String; 5]> = list
        .iter()
        .map(|i| {
            [
                netlayers_core::escape::text(&i.name).into_owned(),
                mac_text(&i.mac),
                String::new(),
                i.mtu.map_or("-".to_string(), |m| m.to_string()),
                state_text(i, lang),
            ]
        })
        .collect();
    let addr_w = list.iter().flat_map(|i| i.addrs.iter().map(|a| a.to_string().len())).max().unwrap_or(1);
    let mut w = [0usize; 5];
    for (k, h) in heads.iter().enumerate() {
        w[k] = width(h);
    }
    for r in &rows {
        for k in [0, 1, 3] {
            w[k] = w[k].max(width(&r[k]));
        }
    }
    w[2] = w[2].max(addr_w);
    let mut out = String::new();
    for (k, h) in heads.iter().enumerate() {
        pad(&mut out, h, if k == 4 { 0 } else { w[k] + 2 });
    }
    out.push('\n');
    for (i, r) in list.iter().zip(&rows) {
        let first = i.addrs.first().map_or("-".to_string(), |a| a.to_string());
        pad(&mut out, &r[0], w[0] + 2);
        pad(&mut out, &r[1], w[1] + 2);
        pad(&mut out, &first, w[2] + 2);
        // MTU right-aligned: numbers read better that way.
        out.push_str(&format!("{:>width$}  ", r[3], width = w[3]));
        out.push_str(&r[4]);
        out.push('\n');
        for a in i.addrs.iter().skip(1) {
            pad(&mut out, "", w[0] + 2 + w[1] + 2);
            out.push_str(&a.to_string());
            out.push('\n');
        }
    }
    out
}

pub fn run_ifaces(a: &IfacesArgs, ui: &Ui) -> Result<Outcome> {
    let list = live::list_interfaces();
    let text = match a.format {
        Format::Table => ifaces_table(&list, ui.lang),
        Format::Json => list.iter().map(iface_json).collect(),
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(if list.is_empty() { Outcome::NothingMatched } else { Outcome::Success })
}

// ---------------------------------------------------------------------------------------------
// capture

fn frames_word(n: u64) -> &'static str {
    if n == 1 {
        "frame"
    } else {
        "frames"
    }
}

fn describe(i: &IfaceInfo) -> String {
    let mut parts = vec![mac_text(&i.mac)];
    parts.extend(i.addrs.iter().map(|a| a.to_string()));
    parts.join(", ")
}

pub fn run_capture(a: &CaptureArgs, ui: &Ui) -> Result<Outcome> {
    let format = crate::select::output_format(&a.fields, a.format, ui.lang)?;
    // A bad filter is reported before the interface opens.
    let mut selection = crate::filter_args::Selection::new(a.filter.as_deref())?;
    let opts = CaptureOptions { snaplen: a.snaplen, promiscuous: !a.no_promiscuous, ..CaptureOptions::default() };
    let stop = stop_flag();
    let mut cap = LiveCapture::open(&a.interface, opts).map_err(|e| live_err(e, ui))?;
    // The file is created only once the socket is open, so its existence means "listening".
    let mut writer = match &a.write {
        Some(p) => Some(
            netlayers_capture::PcapWriter::create(p, LinkType::Ethernet, netlayers_capture::TsPrecision::Micro)
                .with_context(|| p.display().to_string())?,
        ),
        None => None,
    };
    let name = netlayers_core::escape::text(&cap.iface().name).into_owned();
    eprintln!(
        "{}",
        tr(
            ui.lang,
            format!(
                "capturing on {name} ({}), link type Ethernet, snapshot length {} bytes: Ctrl-C stops",
                describe(cap.iface()),
                cap.snaplen()
            ),
            format!("正在 {name}({})上抓包,链路类型:以太网,快照长度 {} 字节:按 Ctrl-C 停止", describe(cap.iface()), cap.snaplen()),
        )
    );
    let mut pick = (!a.fields.is_empty()).then(|| crate::select::FieldSelection::new(&a.fields));
    let show = FrameOutput::new(format, a.detail, a.explain, a.hex, ui);
    // `-w -` puts the pcap on stdout, so nothing else may go there.
    let quiet = a.quiet || a.write.as_deref().is_some_and(|p| p.as_os_str() == "-");
    let deadline = a.duration.map(|s| Instant::now() + Duration::from_secs_f64(s.max(0.0)));
    let mut stdout = std::io::stdout().lock();
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    // Live, there is no reading ahead: a fragment knows only the frames before it, as in tshark.
    let mut dissector = Dissector::new().with_reassembly(format == Format::Table && !a.no_reassembly);
    if !quiet {
        show.header(&mut buf);
        stdout.write_all(&buf)?;
        stdout.flush()?;
    }
    let mut seen = 0u64;
    let result = (|| -> Result<()> {
        loop {
            if stop.load(Ordering::SeqCst) || deadline.is_some_and(|d| Instant::now() >= d) {
                return Ok(());
            }
            let Some(frame) = cap.next_frame().map_err(|e| live_err(e, ui))? else { continue };
            seen += 1;
            // Saved before it is printed: a closed stdout must not lose a frame from the file.
            if let (Some(w), Some(p)) = (writer.as_mut(), a.write.as_ref()) {
                w.write(frame.ts, frame.orig_len, &frame.data).with_context(|| p.display().to_string())?;
            }
            if !quiet {
                let mut d = dissector.dissect(&frame);
                // The filter reads bytes where the layers' ranges point (a reassembled payload
                // follows the frame's own: see `Dissection::with_reassembled`).
                let with_reassembled = std::mem::take(&mut d.with_reassembled);
                let bytes = if with_reassembled.is_empty() { &frame.data } else { &with_reassembled };
                let admitted = selection.admit(&mut d, bytes);
                d.with_reassembled = with_reassembled;
                if admitted {
                    buf.clear();
                    crate::frames::show_frame(&show, pick.as_mut(), &mut buf, &d, &frame.data);
                    stdout.write_all(&buf)?;
                    // Live output is read as it comes (often through a pipe): never hold a frame back.
                    stdout.flush()?;
                }
            }
            if a.count.is_some_and(|c| seen >= c) {
                return Ok(());
            }
        }
    })();
    // The writer flushed after every frame: the file is complete whatever stopped the loop.
    drop(writer);
    let saved = a.write.as_ref().map(|p| p.display().to_string());
    eprintln!(
        "{}",
        match (ui.lang, saved) {
            (Lang::En, None) => format!("{seen} {} captured", frames_word(seen)),
            (Lang::En, Some(p)) => format!("{seen} {} captured, written to {p}", frames_word(seen)),
            (Lang::Zh, None) => format!("共捕获 {seen} 帧"),
            (Lang::Zh, Some(p)) => format!("共捕获 {seen} 帧,已写入 {p}"),
        }
    );
    result?;
    Ok(if seen == 0 { Outcome::NothingMatched } else { Outcome::Success })
}

// ---------------------------------------------------------------------------------------------
// arping

fn frame_of(number: u64, data: Vec<u8>) -> Frame {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    Frame {
        number,
        ts: netlayers_core::Timestamp { secs: now.as_secs() as i64, nanos: now.subsec_nanos() },
        orig_len: data.len() as u32,
        data,
        link: LinkType::Ethernet,
        interface: 0,
    }
}

pub fn run_arping(a: &ArpingArgs, ui: &Ui) -> Result<Outcome> {
    if !(a.timeout.is_finite() && a.timeout > 0.0) {
        bail!("--timeout {}: expected a positive number of seconds", a.timeout);
    }
    let stop = stop_flag();
    let opts = CaptureOptions { promiscuous: false, read_timeout: Duration::from_millis(20), ..CaptureOptions::default() };
    let mut cap = LiveCapture::open(&a.interface, opts).map_err(|e| live_err(e, ui))?;
    let iface = cap.iface().clone();
    let name = netlayers_core::escape::text(&iface.name).into_owned();
    let Some(mac) = iface.mac else {
        bail!(tr(ui.lang, format!("{name} has no MAC address: ARP works on Ethernet-like interfaces"), format!("{name} 没有 MAC 地址:ARP 只用于以太网这类接口")));
    };
    let Some(me) = iface.ipv4() else {
        bail!(tr(
            ui.lang,
            format!("{name} has no IPv4 address to ask from: add one with `ip addr add ADDR/PREFIX dev {name}`"),
            format!("{name} 没有 IPv4 地址,无法作为 ARP 请求的发送方:请先用 `ip addr add 地址/前缀 dev {name}` 添加"),
        ));
    };
    let target = a.target;
    let show = FrameOutput::new(a.format, a.detail, a.explain, a.hex, ui);
    let lines = a.format == Format::Table;
    let extra = !show.is_table();
    let mut stdout = std::io::stdout().lock();
    let mut buf = Vec::new();
    let mut dissector = Dissector::new();
    let mut number = 0u64;
    if lines {
        writeln!(stdout, "{}", tr(ui.lang, format!("ARPING {target} from {me} {name}"), format!("ARPING {target},从 {me} 经 {name} 发出")))?;
    }
    let wait = Duration::from_secs_f64(a.timeout);
    let (mut sent, mut received) = (0u64, 0u64);
    for probe in 0..a.count {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let request = arp::request(mac, me, target);
        let started = Instant::now();
        cap.send(&request).map_err(|e| live_err(e, ui))?;
        sent += 1;
        number += 1;
        if extra {
            let f = frame_of(number, request);
            let d = dissector.dissect(&f);
            buf.clear();
            show.frame(&mut buf, &d, &f.data);
            stdout.write_all(&buf)?;
        }
        stdout.flush()?;
        let mut answered = false;
        while started.elapsed() < wait && !stop.load(Ordering::SeqCst) {
            let Some(frame) = cap.next_frame().map_err(|e| live_err(e, ui))? else { continue };
            let Some(reply) = arp::is_reply(&frame.data, target, me) else { continue };
            let rtt = started.elapsed();
            received += 1;
            answered = true;
            if lines {
                let ms = rtt.as_secs_f64() * 1000.0;
                let who = netlayers_core::model::fmt_mac(&reply.sender_mac);
                let line = match (reply.eth_dst == [0xff; 6], ui.lang) {
                    (false, Lang::En) => format!("Unicast reply from {target} [{who}]  {ms:.3}ms"),
                    (true, Lang::En) => format!("Broadcast reply from {target} [{who}]  {ms:.3}ms"),
                    (false, Lang::Zh) => format!("收到 {target} [{who}] 的单播应答  {ms:.3}ms"),
                    (true, Lang::Zh) => format!("收到 {target} [{who}] 的广播应答  {ms:.3}ms"),
                };
                writeln!(stdout, "{line}")?;
            }
            if extra {
                number += 1;
                let f = Frame { number, ..frame };
                let d = dissector.dissect(&f);
                buf.clear();
                show.frame(&mut buf, &d, &f.data);
                stdout.write_all(&buf)?;
            }
            stdout.flush()?;
            break;
        }
        if !answered && lines && !stop.load(Ordering::SeqCst) {
            writeln!(
                stdout,
                "{}",
                tr(ui.lang, format!("No reply from {target} within {} s", a.timeout), format!("{} 秒内没有收到 {target} 的应答", a.timeout))
            )?;
            stdout.flush()?;
        }
        // One request per second, as arping sends them; none after the last.
        if probe + 1 < a.count {
            while started.elapsed() < Duration::from_secs(1) && !stop.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
    if lines {
        let text = tr(
            ui.lang,
            format!("Sent {sent} probes ({sent} broadcast(s))\nReceived {received} response(s)"),
            format!("已发送 {sent} 个探测(其中广播 {sent} 个)\n收到 {received} 个应答"),
        );
        writeln!(stdout, "{text}")?;
    }
    stdout.flush()?;
    Ok(if received == 0 { Outcome::NothingMatched } else { Outcome::Success })
}

// ---------------------------------------------------------------------------------------------
// send

/// Reads frames until `matches` accepts one or `wait` has passed; the value `matches` returned.
fn await_frame<T>(cap: &mut LiveCapture, wait: Duration, stop: &AtomicBool, ui: &Ui, mut matches: impl FnMut(&[u8]) -> Option<T>) -> Result<Option<T>> {
    let started = Instant::now();
    while started.elapsed() < wait && !stop.load(Ordering::SeqCst) {
        if let Some(frame) = cap.next_frame().map_err(|e| live_err(e, ui))? {
            if let Some(v) = matches(&frame.data) {
                return Ok(Some(v));
            }
        }
    }
    Ok(None)
}

/// Sends `request` up to three times within `wait` (a host retries ARP and neighbour
/// solicitations the same way: a peer whose link just came up may miss the first one).
fn ask<T>(cap: &mut LiveCapture, request: &[u8], wait: Duration, stop: &AtomicBool, ui: &Ui, mut matches: impl FnMut(&[u8]) -> Option<T>) -> Result<Option<T>> {
    const TRIES: u32 = 3;
    for _ in 0..TRIES {
        cap.send(request).map_err(|e| live_err(e, ui))?;
        if let Some(v) = await_frame(cap, wait / TRIES, stop, ui, &mut matches)? {
            return Ok(Some(v));
        }
    }
    Ok(None)
}

/// The destination MAC the way a host finds it: ARP for IPv4, a Neighbor Solicitation for IPv6.
/// Only for an address on the interface's own network: anything else goes to a router, whose MAC
/// the user gives.
fn resolve_mac(cap: &mut LiveCapture, dst: IpAddr, wait: Duration, stop: &AtomicBool, ui: &Ui) -> Result<[u8; 6]> {
    let iface = cap.iface().clone();
    let name = netlayers_core::escape::text(&iface.name).into_owned();
    let Some(mac) = iface.mac else {
        bail!(tr(ui.lang, format!("{name} has no MAC address: give --dst-mac"), format!("{name} 没有 MAC 地址:请用 --dst-mac 指定目的 MAC")));
    };
    if !live::on_link(&iface, dst) {
        let nets: Vec<String> = iface.addrs.iter().map(|a| a.to_string()).collect();
        bail!(tr(
            ui.lang,
            format!("{dst} is not on {name}'s networks ({}): it is reached through a router; give the router's MAC with --dst-mac", nets.join(", ")),
            format!("{dst} 不在 {name} 所在的网络({})内,要经路由器转发:请用 --dst-mac 给出路由器的 MAC 地址", nets.join(", ")),
        ));
    }
    let (found, how) = match dst {
        IpAddr::V4(target) => {
            let Some(me) = iface.ipv4() else { bail!("{name} has no IPv4 address to ask ARP from: give --dst-mac") };
            let request = arp::request(mac, me, target);
            (ask(cap, &request, wait, stop, ui, |f| arp::is_reply(f, target, me).map(|p| p.sender_mac))?, "ARP")
        }
        IpAddr::V6(target) => {
            let me = iface
                .addrs
                .iter()
                .find_map(|a| match a.ip {
                    IpAddr::V6(v6) => Some(v6),
                    IpAddr::V4(_) => None,
                })
                .ok_or_else(|| anyhow!("{name} has no IPv6 address to solicit from: give --dst-mac"))?;
            let request = ndp::solicit(mac, me, target);
            (ask(cap, &request, wait, stop, ui, |f| ndp::advertised_mac(f, target))?, "NDP")
        }
    };
    let Some(found) = found else {
        bail!(tr(
            ui.lang,
            format!("no {how} reply from {dst} on {name} within {} s: is the address up? give --dst-mac to send anyway", wait.as_secs_f64()),
            format!("{} 秒内在 {name} 上没有收到 {dst} 的 {how} 应答:这个地址存在吗?如仍要发送,请用 --dst-mac 指定", wait.as_secs_f64()),
        ));
    };
    let m = netlayers_core::model::fmt_mac(&found);
    eprintln!("{}", tr(ui.lang, format!("{dst} is at {m} ({how} on {name})"), format!("{dst} 的 MAC 地址是 {m}(经 {name} 用 {how} 查得)")));
    Ok(found)
}

fn first_addr(iface: &IfaceInfo, v6: bool) -> Option<IpAddr> {
    iface.addrs.iter().map(|a| a.ip).find(|ip| ip.is_ipv6() == v6 && !matches!(ip, IpAddr::V6(a) if a.segments()[0] & 0xffc0 == 0xfe80))
}

fn is_group(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => a.is_multicast() || a == Ipv4Addr::BROADCAST,
        IpAddr::V6(a) => a.is_multicast(),
    }
}

pub fn run_send(a: &SendArgs, ui: &Ui) -> Result<Outcome> {
    let Some(dst) = a.encap.dst else {
        // The encap defaults are classroom addresses: on a real wire the user says where to.
        bail!(tr(
            ui.lang,
            "send needs --dst IP:PORT: the address to send to (on a real network there is no default)".to_string(),
            "send 需要 --dst IP:端口:要发往的地址(在真实网络上没有默认值)".to_string(),
        ));
    };
    if !(a.resolve_timeout.is_finite() && a.resolve_timeout > 0.0) {
        bail!("--resolve-timeout {}: expected a positive number of seconds", a.resolve_timeout);
    }
    let stop = stop_flag();
    let opts = CaptureOptions { promiscuous: false, read_timeout: Duration::from_millis(20), ..CaptureOptions::default() };
    let mut cap = LiveCapture::open(&a.interface, opts).map_err(|e| live_err(e, ui))?;
    let iface = cap.iface().clone();
    let name = netlayers_core::escape::text(&iface.name).into_owned();
    let mut options = a.encap.options();
    // What a host would put there: its own addresses, unless the user chose others.
    if a.encap.src.is_none() {
        let ip = first_addr(&iface, dst.is_ipv6()).ok_or_else(|| {
            anyhow!(tr(
                ui.lang,
                format!("{name} has no {} address: give --src IP:PORT", if dst.is_ipv6() { "IPv6" } else { "IPv4" }),
                format!("{name} 没有 {} 地址:请用 --src IP:端口 指定源地址", if dst.is_ipv6() { "IPv6" } else { "IPv4" }),
            ))
        })?;
        options.src = SocketAddr::new(ip, options.src.port());
    }
    if a.encap.src_mac.is_none() {
        options.src_mac = iface.mac.filter(|m| *m != [0; 6]).or(options.src_mac);
    }
    if a.encap.dst_mac.is_none() && !is_group(dst.ip()) && !iface.loopback {
        options.dst_mac = Some(resolve_mac(&mut cap, dst.ip(), Duration::from_secs_f64(a.resolve_timeout), &stop, ui)?);
    }
    if iface.loopback && a.encap.dst_mac.is_none() {
        options.dst_mac = Some([0; 6]);
    }
    if a.encap.bad_fcs {
        eprintln!("{}", tr(ui.lang, "note: the network card computes the FCS itself, so --bad-fcs cannot reach the wire".to_string(), "注意:FCS 由网卡自己计算,--bad-fcs 无法发到线路上".to_string()));
    }
    let e = netlayers_stack::encap::encapsulate(a.encap.message.as_bytes(), &options).map_err(|err| anyhow!(err.message(ui.lang)))?;
    let mut writer = match &a.encap.write {
        Some(p) => Some(
            netlayers_capture::PcapWriter::create(p, LinkType::Ethernet, netlayers_capture::TsPrecision::Micro)
                .with_context(|| p.display().to_string())?,
        ),
        None => None,
    };
    let show = FrameOutput::new(a.encap.format, a.detail, a.explain, a.hex, ui);
    let mut stdout = std::io::stdout().lock();
    let mut buf = Vec::new();
    show.header(&mut buf);
    let mut dissector = Dissector::new();
    let mut bytes = 0usize;
    for (i, data) in e.frames.iter().enumerate() {
        cap.send(data).map_err(|err| live_err(err, ui))?;
        bytes += data.len();
        let frame = frame_of(i as u64 + 1, data.clone());
        if let (Some(w), Some(p)) = (writer.as_mut(), a.encap.write.as_ref()) {
            w.write(frame.ts, frame.orig_len, &frame.data).with_context(|| p.display().to_string())?;
        }
        let d = dissector.dissect(&frame);
        show.frame(&mut buf, &d, &frame.data);
        stdout.write_all(&buf)?;
        buf.clear();
    }
    stdout.flush()?;
    let n = e.frames.len();
    eprintln!(
        "{}",
        match ui.lang {
            Lang::En => format!("sent {n} {} ({bytes} bytes) on {name}", frames_word(n as u64)),
            Lang::Zh => format!("已在 {name} 上发送 {n} 帧(共 {bytes} 字节)"),
        }
    );
    Ok(Outcome::Success)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv6Addr;

    #[test]
    fn group_addresses_need_no_resolution() {
        assert!(is_group("255.255.255.255".parse().unwrap()));
        assert!(is_group("224.0.0.251".parse().unwrap()));
        assert!(is_group("ff02::1".parse().unwrap()));
        assert!(!is_group("10.0.0.1".parse().unwrap()));
        assert!(!is_group(IpAddr::V6(Ipv6Addr::LOCALHOST)));
    }

    #[test]
    fn source_address_skips_link_local() {
        let mk = |ip: &str, prefix| live::IfaceAddr { ip: ip.parse().unwrap(), prefix };
        let i = IfaceInfo {
            name: "x".into(),
            index: 1,
            mac: None,
            addrs: vec![mk("10.0.0.1", 24), mk("fe80::1", 64), mk("fd99::1", 64)],
            mtu: None,
            up: true,
            running: true,
            loopback: false,
        };
        assert_eq!(first_addr(&i, false), Some("10.0.0.1".parse().unwrap()));
        assert_eq!(first_addr(&i, true), Some("fd99::1".parse().unwrap()));
    }

    #[test]
    fn interface_table_aligns_wide_headings() {
        let mk = |ip: &str, prefix| live::IfaceAddr { ip: ip.parse().unwrap(), prefix };
        let i = IfaceInfo {
            name: "nl0".into(),
            index: 2,
            mac: Some([2, 0, 0, 0, 0, 1]),
            addrs: vec![mk("10.0.0.1", 24), mk("fd99::1", 64)],
            mtu: Some(1500),
            up: true,
            running: false,
            loopback: false,
        };
        let t = ifaces_table(std::slice::from_ref(&i), Lang::En);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 3, "{t}");
        assert!(lines[1].starts_with("nl0        02:00:00:00:00:01  10.0.0.1/24"), "{t}");
        assert!(lines[1].ends_with("1500  up, no carrier"), "{t}");
        // The second address sits under the first.
        assert_eq!(lines[2].find("fd99::1/64"), lines[1].find("10.0.0.1/24"));
        let z = ifaces_table(std::slice::from_ref(&i), Lang::Zh);
        let zl: Vec<&str> = z.lines().collect();
        // CJK headings take two columns each: the MAC column starts where the heading says.
        assert_eq!(width(&zl[0][..zl[0].find("MAC").unwrap()]), zl[1].find("02:00").unwrap());
        assert!(z.contains("启用、无载波"), "{z}");
        let j = iface_json(&i);
        assert_eq!(
            j,
            "{\"name\":\"nl0\",\"index\":2,\"mac\":\"02:00:00:00:00:01\",\"addresses\":[\"10.0.0.1/24\",\"fd99::1/64\"],\"mtu\":1500,\"up\":true,\"running\":false,\"loopback\":false}\n"
        );
    }
}
