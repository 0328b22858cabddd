//! `netlayers encap`: a message taken down the five layers at the sender, one step per layer,
//! then back up at the receiver. The library (`netlayers_stack::encap`) builds and decodes; this
//! file only parses arguments and prints.

use std::fmt::Write as _;
use std::io::{BufRead, IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use netlayers_core::model::fmt_mac;
use netlayers_core::{escape, Field, Lang, LayerKind, Text, Timestamp, Transport, Value};
use netlayers_stack::encap::{
    self, ChecksumWork, EncapOptions, EncapStep, Encapsulation, Faults, Pdu, SumPart, TcpParams, Verdict,
};
use netlayers_stack::physical;

use crate::args::Format;
use crate::output::{Outcome, Ui};

/// Output width the layout aims at (fits a 100-column terminal, reads well at 80).
const WIDTH: usize = 96;
/// Hexdump lines shown before and after a run of bytes that this step did not add.
const KEEP_LINES: usize = 2;
/// Checksum data words shown before the rest are summed up in one line.
const SHOWN_DATA_WORDS: usize = 6;
/// PDUs (fragments) shown in full at one step; the rest are counted.
const SHOWN_PDUS: usize = 3;

#[derive(Args, Debug, Clone)]
pub struct EncapArgs {
    /// The message the application sends
    #[arg(value_name = "MESSAGE", default_value = "hello")]
    pub message: String,
    /// Send over UDP (the default)
    #[arg(long, conflicts_with = "tcp")]
    pub udp: bool,
    /// Send over TCP (implied by --flags, --seq, --ack or --win)
    #[arg(long)]
    pub tcp: bool,
    /// Source IP and port; IPv6 as [fd00::1]:5000 [default: 10.0.0.1:5000, or [fd00::1]:5000 when --dst is IPv6]
    #[arg(long, value_name = "IP:PORT", value_parser = parse_src)]
    pub src: Option<SocketAddr>,
    /// Destination IP and port [default: 10.0.0.2:8081, or [fd00::2]:8081 when --src is IPv6]
    #[arg(long, value_name = "IP:PORT", value_parser = parse_dst)]
    pub dst: Option<SocketAddr>,
    /// Source MAC [default: 02:00 and the last 4 bytes of the source IP]
    #[arg(long, value_name = "MAC", value_parser = encap::parse_mac)]
    pub src_mac: Option<[u8; 6]>,
    /// Destination MAC [default: broadcast/multicast mapping, or a stand-in for what ARP would resolve]
    #[arg(long, value_name = "MAC", value_parser = encap::parse_mac)]
    pub dst_mac: Option<[u8; 6]>,
    /// IPv4 TTL / IPv6 hop limit (0 shows what routers do with it)
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub ttl: u8,
    /// Largest IP packet the link carries; a larger datagram is sent as fragments
    #[arg(long, value_name = "BYTES", default_value_t = 1500)]
    pub mtu: usize,
    /// Set Don't Fragment (IPv4); a datagram over the MTU is then an error, as sendto() gives EMSGSIZE
    #[arg(long, conflicts_with = "no_df")]
    pub df: bool,
    /// Never set Don't Fragment (by default it is set on packets that fit, as Linux does)
    #[arg(long)]
    pub no_df: bool,
    /// IPv4 identification (and IPv6 fragment identification)
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub id: u16,
    /// TCP flags: letters F S R P A U E C N (SA, PA, FA), names (syn,ack) or a number [default: PA]
    #[arg(long, value_name = "FLAGS", value_parser = encap::parse_tcp_flags, conflicts_with = "udp")]
    pub flags: Option<u16>,
    /// TCP sequence number [default: 1]
    #[arg(long, value_name = "N", conflicts_with = "udp")]
    pub seq: Option<u32>,
    /// TCP acknowledgment number [default: 1 with the ACK flag, else 0]
    #[arg(long, value_name = "N", conflicts_with = "udp")]
    pub ack: Option<u32>,
    /// TCP window [default: 64240]
    #[arg(long, value_name = "N", conflicts_with = "udp")]
    pub win: Option<u16>,
    /// Write a wrong TCP/UDP checksum, to see the receiver drop it
    #[arg(long)]
    pub bad_checksum: bool,
    /// Write a wrong IPv4 header checksum
    #[arg(long)]
    pub bad_ip_checksum: bool,
    /// Make the IP length field claim 100 bytes more than the packet holds
    #[arg(long)]
    pub bad_length: bool,
    /// Send a wrong Ethernet FCS (a pcap holds no FCS, so -w cannot show it)
    #[arg(long)]
    pub bad_fcs: bool,
    /// Pause before each step until Enter is pressed (never waits when stdin is not a terminal)
    #[arg(long)]
    pub step: bool,
    /// Write the frame(s) to a pcap file that Wireshark and tshark open (`-` for standard output, alone)
    #[arg(short = 'w', long = "write", value_name = "FILE")]
    pub write: Option<PathBuf>,
    /// Output format: the walk as text, or one JSON object per step
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

fn parse_src(s: &str) -> Result<SocketAddr, String> {
    encap::parse_endpoint(s, encap::DEFAULT_SRC.port())
}

fn parse_dst(s: &str) -> Result<SocketAddr, String> {
    encap::parse_endpoint(s, encap::DEFAULT_DST.port())
}

impl EncapArgs {
    /// The library options these arguments ask for (shared with `send`).
    pub fn options(&self) -> EncapOptions {
        let tcp = self.tcp || self.flags.is_some() || self.seq.is_some() || self.ack.is_some() || self.win.is_some();
        let v6 = self.src.is_some_and(|a| a.is_ipv6()) || self.dst.is_some_and(|a| a.is_ipv6());
        let (ds, dd) = if v6 { (encap::DEFAULT_SRC6, encap::DEFAULT_DST6) } else { (encap::DEFAULT_SRC, encap::DEFAULT_DST) };
        let d = TcpParams::default();
        let flags = self.flags.unwrap_or(d.flags);
        EncapOptions {
            transport: if tcp { Transport::Tcp } else { Transport::Udp },
            src: self.src.unwrap_or(ds),
            dst: self.dst.unwrap_or(dd),
            src_mac: self.src_mac,
            dst_mac: self.dst_mac,
            ttl: self.ttl,
            mtu: self.mtu,
            dont_fragment: if self.df {
                Some(true)
            } else if self.no_df {
                Some(false)
            } else {
                None
            },
            ip_id: self.id,
            tcp: TcpParams {
                flags,
                seq: self.seq.unwrap_or(d.seq),
                ack: self.ack.unwrap_or(if flags & encap::TCP_ACK != 0 { d.ack } else { 0 }),
                window: self.win.unwrap_or(d.window),
                mss: None,
            },
            faults: Faults {
                bad_checksum: self.bad_checksum,
                bad_ip_checksum: self.bad_ip_checksum,
                bad_length: self.bad_length,
                bad_fcs: self.bad_fcs,
            },
        }
    }
}

pub fn run(a: &EncapArgs, ui: &Ui) -> Result<Outcome> {
    let opts = a.options();
    let e = encap::encapsulate(a.message.as_bytes(), &opts).map_err(|err| anyhow::anyhow!(err.message(ui.lang)))?;
    if let Some(path) = &a.write {
        write_pcap(path, &e.frames)?;
        if path.as_os_str() == "-" {
            // The pcap went to standard output (`-w - | tshark -r -`): nothing else may.
            return Ok(Outcome::Success);
        }
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let pause = a.step && a.format == Format::Table && std::io::stdin().is_terminal();
    let mut buf = String::with_capacity(8192);
    if a.format == Format::Table {
        intro(&mut buf, &e, &Paint { on: ui.color }, ui.lang);
        out.write_all(buf.as_bytes())?;
    }
    for (i, s) in e.steps.iter().enumerate() {
        buf.clear();
        match a.format {
            Format::Table => {
                if pause {
                    out.flush()?;
                    wait_for_enter(s.kind, ui.lang)?;
                }
                step_text(&mut buf, &e, i, s, ui);
            }
            Format::Json => step_json(&mut buf, &e, i, s, ui.lang),
        }
        out.write_all(buf.as_bytes())?;
    }
    buf.clear();
    match a.format {
        Format::Table => {
            if pause {
                out.flush()?;
                wait_for_enter_receiver(ui.lang)?;
            }
            receiver_text(&mut buf, &e, ui);
        }
        Format::Json => receiver_json(&mut buf, &e, ui.lang),
    }
    out.write_all(buf.as_bytes())?;
    out.flush()?;
    if let Some(path) = &a.write {
        let n = e.frames.len();
        let msg = match ui.lang {
            Lang::En => format!("wrote {n} frame{} to {}", if n == 1 { "" } else { "s" }, path.display()),
            Lang::Zh => format!("已把 {n} 帧写入 {}", path.display()),
        };
        eprintln!("netlayers: {msg}");
    }
    Ok(Outcome::Success)
}

/// Writes the frames as a classic pcap, stamped now and one microsecond apart.
fn write_pcap(path: &std::path::Path, frames: &[Vec<u8>]) -> Result<()> {
    use netlayers_capture::{PcapWriter, TsPrecision};
    let mut w = PcapWriter::create(path, netlayers_core::LinkType::Ethernet, TsPrecision::Micro)?;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    for (i, f) in frames.iter().enumerate() {
        let nanos = now.subsec_micros() * 1000;
        let ts = Timestamp { secs: now.as_secs() as i64, nanos: nanos + i as u32 * 1000 };
        w.write(ts, f.len() as u32, f).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

fn wait_for_enter(kind: LayerKind, lang: Lang) -> Result<()> {
    let name = kind.name().get(lang);
    let prompt = match lang {
        Lang::En => format!("[Enter: down to the {} layer] ", name.to_lowercase()),
        Lang::Zh => format!("[按回车键:下到{name}] "),
    };
    prompt_line(&prompt)
}

fn wait_for_enter_receiver(lang: Lang) -> Result<()> {
    let prompt = match lang {
        Lang::En => "[Enter: up at the receiver] ",
        Lang::Zh => "[按回车键:到接收方向上走] ",
    };
    prompt_line(prompt)
}

fn prompt_line(prompt: &str) -> Result<()> {
    let mut err = std::io::stderr();
    write!(err, "{prompt}")?;
    err.flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(())
}

// ---------------------------------------------------------------- text output

/// Terminal styles, empty when colour is off.
struct Paint {
    on: bool,
}

impl Paint {
    fn kind(&self, kind: LayerKind, s: &str) -> String {
        if !self.on {
            return s.to_string();
        }
        let st = netlayers_render::kind_style(kind, false).bold();
        format!("{}{s}{}", st.render(), st.render_reset())
    }
    /// Bytes this step added: the layer's colour, bold and underlined.
    fn added(&self, kind: LayerKind, s: &str) -> String {
        if !self.on {
            return s.to_string();
        }
        let st = netlayers_render::kind_style(kind, false).bold().underline();
        format!("{}{s}{}", st.render(), st.render_reset())
    }
    fn sgr(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn dim(&self, s: &str) -> String {
        self.sgr("2", s)
    }
    fn bold(&self, s: &str) -> String {
        self.sgr("1", s)
    }
}

fn t(lang: Lang, en: &'static str, zh: &'static str) -> &'static str {
    Text::new(en, zh).get(lang)
}

fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115f | 0x2e80..=0x303e | 0x3041..=0x33ff | 0x3400..=0x4dbf | 0x4e00..=0x9fff
        | 0xa000..=0xa4cf | 0xac00..=0xd7a3 | 0xf900..=0xfaff | 0xfe30..=0xfe4f | 0xff00..=0xff60
        | 0xffe0..=0xffe6 | 0x20000..=0x3fffd)
}

fn width(s: &str) -> usize {
    s.chars().map(|c| if is_wide(c) { 2 } else { 1 }).sum()
}

/// `s` cut to `max` columns, with `…` when something was left out.
fn cut(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = if is_wide(c) { 2 } else { 1 };
        if w + cw + 1 > max {
            break;
        }
        out.push(c);
        w += cw;
    }
    out.push('…');
    out
}

fn pad(s: &str, w: usize) -> String {
    format!("{s}{}", " ".repeat(w.saturating_sub(width(s))))
}

/// Wraps `text` to `max` columns: at spaces for English, anywhere between Chinese characters.
pub(crate) fn wrap(text: &str, max: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut w = 0;
    for word in split_keep(text) {
        let ww = width(&word);
        if w + ww > max && w > 0 {
            lines.push(line.trim_end().to_string());
            line.clear();
            w = 0;
            if word == " " {
                continue;
            }
        }
        line.push_str(&word);
        w += ww;
    }
    if !line.trim().is_empty() {
        lines.push(line.trim_end().to_string());
    }
    lines
}

/// Pieces a line may break between: runs of non-space text, single spaces, and each wide
/// character on its own. Closing punctuation (ASCII or full-width) stays with what precedes it,
/// so no line starts with a comma.
fn split_keep(text: &str) -> Vec<String> {
    fn closing(c: char) -> bool {
        matches!(c, ',' | '.' | ';' | ':' | '!' | '?' | ')' | '"'
            | '\u{3001}' | '\u{3002}' | '\u{ff0c}' | '\u{ff1a}' | '\u{ff1b}' | '\u{ff01}' | '\u{ff1f}' | '\u{ff09}' | '\u{201d}')
    }
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    for c in text.chars() {
        if c == ' ' {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            out.push(" ".into());
        } else if cur.is_empty() && closing(c) && out.last().is_some_and(|l| l != " ") {
            if let Some(last) = out.last_mut() {
                last.push(c);
            }
        } else if is_wide(c) {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            out.push(c.to_string());
        } else {
            cur.push(c);
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn push_wrapped(buf: &mut String, indent: usize, first: &str, text: &str) {
    let pad_first = " ".repeat(indent);
    let lines = wrap(text, WIDTH.saturating_sub(indent + width(first)));
    for (i, l) in lines.iter().enumerate() {
        if i == 0 {
            let _ = writeln!(buf, "{pad_first}{first}{l}");
        } else {
            let _ = writeln!(buf, "{pad_first}{}{l}", " ".repeat(width(first)));
        }
    }
}

fn rule(buf: &mut String, p: &Paint, kind: Option<LayerKind>, title: &str) {
    let fill = WIDTH.saturating_sub(width(title) + 4).max(3);
    let line = format!("━━ {title} {}", "━".repeat(fill));
    let _ = writeln!(buf);
    let _ = writeln!(buf, "{}", match kind {
        Some(k) => p.kind(k, &line),
        None => p.bold(&line),
    });
}

fn step_text(buf: &mut String, e: &Encapsulation, i: usize, s: &EncapStep, ui: &Ui) {
    let p = Paint { on: ui.color };
    let lang = ui.lang;
    let title = match lang {
        Lang::En => format!("Step {}/5 · layer {} · {}", i + 1, s.kind.number(), s.kind.name().en),
        Lang::Zh => format!("第 {}/5 步 · 第 {} 层 · {}", i + 1, s.kind.number(), s.kind.name().zh),
    };
    rule(buf, &p, Some(s.kind), &title);
    let _ = writeln!(buf, "{}", p.bold(s.heading.get(lang)));
    let _ = writeln!(buf);
    for n in &s.notes {
        let text = n.get(lang);
        if let Some(rest) = text.strip_prefix("  ") {
            push_wrapped(buf, 4, "", rest);
        } else {
            push_wrapped(buf, 0, "• ", text);
        }
    }
    if let Some(first) = s.pdus.first() {
        fields_text(buf, first, &p, lang);
    }
    match s.kind {
        LayerKind::Transport => checksum_text(buf, &e.checksum, &p, lang, true),
        LayerKind::Network => {
            if let Some(w) = e.ip_checksums.first() {
                checksum_text(buf, w, &p, lang, false);
            }
        }
        LayerKind::Physical => physical_text(buf, e, &p, lang),
        _ => {}
    }
    for (k, pdu) in s.pdus.iter().enumerate() {
        if k == SHOWN_PDUS && s.pdus.len() > SHOWN_PDUS + 1 {
            let more = s.pdus.len() - k;
            let _ = writeln!(buf);
            let _ = writeln!(buf, "{}", p.dim(&match lang {
                Lang::En => format!("… {more} more, built the same way"),
                Lang::Zh => format!("… 其余 {more} 个,构造方式相同"),
            }));
            break;
        }
        pdu_text(buf, s.kind, pdu, &p, lang);
    }
}

fn intro(buf: &mut String, e: &Encapsulation, p: &Paint, lang: Lang) {
    let o = &e.options;
    let tname = encap::transport_name(o.transport);
    let line = match lang {
        Lang::En => format!(
            "netlayers encap: {} bytes over {tname}, {} → {}, down the five layers at the sender and up at the receiver",
            e.message.len(),
            o.src,
            o.dst
        ),
        Lang::Zh => format!(
            "netlayers encap:{} 字节经 {tname} 从 {} 发往 {},在发送方自上而下经过五层,再在接收方自下而上",
            e.message.len(),
            o.src,
            o.dst
        ),
    };
    let mut b = String::new();
    push_wrapped(&mut b, 0, "", &line);
    buf.push_str(&p.bold(b.trim_end()));
    buf.push('\n');
}

fn field_bits(f: &Field) -> String {
    if f.generated || f.range.is_empty() {
        return "—".into();
    }
    match f.mask {
        Some(m) => m.count_ones().to_string(),
        None => (f.range.len() * 8).to_string(),
    }
}

fn field_value(f: &Field) -> String {
    let v = match &f.display {
        Some(d) => d.clone(),
        None => match &f.value {
            Value::None => String::new(),
            Value::Text(s) => escape::text(s).into_owned(),
            v => v.to_string(),
        },
    };
    escape::text(&v).into_owned()
}

/// The fields a PDU's layers hold: name, byte offsets within the PDU, bits, value, meaning.
fn fields_text(buf: &mut String, pdu: &Pdu, p: &Paint, lang: Lang) {
    if pdu.layers.iter().all(|l| l.fields.is_empty()) {
        return;
    }
    let mut widest = 0;
    for l in &pdu.layers {
        for f in &l.fields {
            label_width(f, 1, lang, &mut widest);
        }
    }
    let col = (widest + 2).clamp(24, 44);
    let _ = writeln!(buf);
    let head = format!(
        "  {}{}{}{}",
        pad(t(lang, "Field", "字段"), col),
        pad(t(lang, "Bytes", "字节"), 9),
        pad(t(lang, "Bits", "位数"), 6),
        t(lang, "Value", "值")
    );
    let _ = writeln!(buf, "{}", p.dim(&head));
    for l in &pdu.layers {
        if !l.title.is_empty() {
            let _ = writeln!(buf, "  {}", p.kind(l.kind, &escape::text(&l.title)));
        }
        for f in &l.fields {
            field_line(buf, f, pdu.offset, 1, col, p, lang);
        }
        for n in &l.notes {
            push_wrapped(buf, 4, "! ", n.text.get(lang));
        }
    }
}

/// The widest label (with its indent) of a field tree, in terminal columns.
fn label_width(f: &Field, depth: usize, lang: Lang, widest: &mut usize) {
    *widest = (*widest).max(2 * depth + width(f.label(lang)));
    for c in &f.children {
        label_width(c, depth + 1, lang, widest);
    }
}

fn field_line(buf: &mut String, f: &Field, base: usize, depth: usize, col: usize, p: &Paint, lang: Lang) {
    let indent = "  ".repeat(depth);
    let label = format!("{indent}{}", f.label(lang));
    let bytes = if f.generated || f.range.is_empty() {
        "—".to_string()
    } else {
        let a = f.range.start.saturating_sub(base);
        let b = f.range.end.saturating_sub(base).saturating_sub(1);
        if a == b {
            a.to_string()
        } else {
            format!("{a}–{b}")
        }
    };
    let value = cut(&field_value(f), WIDTH.saturating_sub(2 + col + 9 + 6).max(16));
    let _ = writeln!(buf, "  {}{}{}{}", pad(&label, col), pad(&bytes, 9), pad(&field_bits(f), 6), value);
    let explain = f.spec.explain.get(lang);
    if !explain.is_empty() {
        let mut b = String::new();
        push_wrapped(&mut b, 4 + 2 * depth, "", explain);
        buf.push_str(&p.dim(b.trim_end_matches('\n')));
        buf.push('\n');
    }
    for n in &f.notes {
        push_wrapped(buf, 4 + 2 * depth, "! ", n.text.get(lang));
    }
    for c in &f.children {
        field_line(buf, c, base, depth + 1, col, p, lang);
    }
}

fn pdu_text(buf: &mut String, kind: LayerKind, pdu: &Pdu, p: &Paint, lang: Lang) {
    let _ = writeln!(buf);
    let added: usize = pdu.added.iter().map(|r| r.len()).sum();
    let caption = match lang {
        Lang::En => format!("{}: {} bytes, {added} just added{}", pdu.name.en, pdu.bytes.len(), if p.on { "" } else { " (marked ^^)" }),
        Lang::Zh => format!("{}:共 {} 字节,本层新加 {added} 字节{}", pdu.name.zh, pdu.bytes.len(), if p.on { "" } else { "(用 ^^ 标出)" }),
    };
    let _ = writeln!(buf, "{}", p.kind(kind, &caption));
    hexdump(buf, kind, &pdu.bytes, &pdu.added, p, lang);
}

/// 16 bytes a line; the bytes this step added in the layer's colour (or marked `^^` on the line
/// below without colour); long runs of lines with nothing added are left out.
fn hexdump(buf: &mut String, kind: LayerKind, bytes: &[u8], added: &[std::ops::Range<usize>], p: &Paint, lang: Lang) {
    let is_added = |i: usize| added.iter().any(|r| r.contains(&i));
    let lines = bytes.len().div_ceil(16);
    let has_added: Vec<bool> = (0..lines).map(|l| (l * 16..(l * 16 + 16).min(bytes.len())).any(is_added)).collect();
    let keep = |l: usize| -> bool {
        let lo = l.saturating_sub(KEEP_LINES);
        let hi = (l + KEEP_LINES).min(lines.saturating_sub(1));
        l < KEEP_LINES || l + 1 == lines || (lo..=hi).any(|x| has_added[x])
    };
    let mut shown: Vec<bool> = (0..lines).map(keep).collect();
    for l in 1..lines.saturating_sub(1) {
        if !shown[l] && shown[l - 1] && shown[l + 1] {
            shown[l] = true;
        }
    }
    let mut skipped = 0usize;
    let mut skipped_from = 0usize;
    for (l, &show) in shown.iter().enumerate() {
        if !show {
            if skipped == 0 {
                skipped_from = l * 16;
            }
            skipped += 1;
            continue;
        }
        if skipped > 0 {
            let end = l * 16 - 1;
            let _ = writeln!(buf, "{}", p.dim(&match lang {
                Lang::En => format!("        … {skipped} lines (bytes {skipped_from}–{end}) from the layers above …"),
                Lang::Zh => format!("        … 省略 {skipped} 行(第 {skipped_from}–{end} 字节,来自上层)…"),
            }));
            skipped = 0;
        }
        let start = l * 16;
        let chunk = &bytes[start..(start + 16).min(bytes.len())];
        let mut hex = String::new();
        let mut marks = String::new();
        for k in 0..16 {
            if k == 8 {
                hex.push(' ');
                marks.push(' ');
            }
            match chunk.get(k) {
                Some(b) => {
                    let h = format!("{b:02x}");
                    if is_added(start + k) {
                        hex.push_str(&p.added(kind, &h));
                        marks.push_str("^^");
                    } else {
                        hex.push_str(&h);
                        marks.push_str("  ");
                    }
                }
                None => {
                    hex.push_str("  ");
                    marks.push_str("  ");
                }
            }
            hex.push(' ');
            marks.push(' ');
        }
        let _ = writeln!(buf, "  {start:04x}  {hex} {}", escape::ascii_column(chunk));
        if !p.on && marks.contains('^') {
            let _ = writeln!(buf, "        {}", marks.trim_end());
        }
    }
    if skipped > 0 {
        let _ = writeln!(buf, "{}", p.dim(&format!("        … {skipped}")));
    }
}

fn checksum_text(buf: &mut String, c: &ChecksumWork, p: &Paint, lang: Lang, transport: bool) {
    let _ = writeln!(buf);
    let title = if transport {
        t(lang, "The checksum, word by word (RFC 1071):", "校验和的计算,逐个 16 位字相加(RFC 1071):")
    } else {
        t(lang, "The header checksum, word by word:", "首部校验和的计算,逐个 16 位字相加:")
    };
    let _ = writeln!(buf, "{}", p.bold(title));
    let col = c.rows.iter().map(|r| width(r.what.get(lang))).max().unwrap_or(0).clamp(20, 56) + 2;
    let _ = writeln!(buf, "{}", p.dim(&format!(
        "    {}{}{}",
        pad(t(lang, "word", "16 位字"), col),
        pad(t(lang, "value", "值"), 10),
        t(lang, "running sum", "累加和")
    )));
    let data_rows = c.rows.iter().filter(|r| r.part == SumPart::Data).count();
    let mut data_seen = 0;
    let mut hidden: Option<(usize, u64)> = None;
    for r in &c.rows {
        if r.part == SumPart::Data {
            data_seen += 1;
            if data_rows > SHOWN_DATA_WORDS + 1 && data_seen > SHOWN_DATA_WORDS && data_seen < data_rows {
                let h = hidden.get_or_insert((0, 0));
                h.0 += 1;
                h.1 = r.running;
                continue;
            }
            if let Some((n, running)) = hidden.take() {
                let what = match lang {
                    Lang::En => format!("… {n} more data words"),
                    Lang::Zh => format!("… 另外 {n} 个数据字"),
                };
                let _ = writeln!(buf, "    {}{}0x{running:x}", pad(&what, col), pad("", 10));
            }
        }
        let _ = writeln!(buf, "    {}{}0x{:x}", pad(&escape::text(r.what.get(lang)), col), pad(&format!("0x{:04x}", r.word), 10), r.running);
    }
    let mut steps = vec![format!("0x{:x}", c.sum)];
    for (from, to) in c.fold_steps() {
        steps.push(format!("0x{:x} + 0x{:x} = 0x{to:04x}", from & 0xffff, from >> 16));
    }
    let carried = steps.len() > 1;
    let fold = steps.join(" → ");
    let (a, b, d) = match (lang, carried) {
        (Lang::En, true) => ("sum", "fold the carry", "invert"),
        (Lang::En, false) => ("sum", "no carry to fold", "invert"),
        (Lang::Zh, true) => ("总和", "进位回卷", "取反"),
        (Lang::Zh, false) => ("总和", "没有进位需要回卷", "取反"),
    };
    let _ = writeln!(buf, "    {a} {fold}   ({b})");
    let _ = writeln!(buf, "    {d} ~0x{:04x} = {}", c.folded, p.bold(&format!("0x{:04x}", c.computed)));
    if c.written != c.computed {
        let _ = writeln!(buf, "    {}", p.sgr("1;31", &match lang {
            Lang::En => format!("written on purpose: 0x{:04x}", c.written),
            Lang::Zh => format!("故意写入:0x{:04x}", c.written),
        }));
    }
}

fn bit_groups(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| physical::byte_bits_lsb_first(*b).iter().map(|x| if *x == 1 { '1' } else { '0' }).collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

fn physical_text(buf: &mut String, e: &Encapsulation, p: &Paint, lang: Lang) {
    let Some(w) = e.wires.first() else { return };
    let frame_len = w.len() - physical::PREAMBLE_SFD_LEN - physical::FCS_LEN;
    let _ = writeln!(buf);
    let _ = writeln!(buf, "{}", p.bold(t(
        lang,
        "Bits in the order they go on the wire (each byte least significant bit first):",
        "比特按上线路的顺序排列(每个字节都是最低位先发):"
    )));
    let row = |buf: &mut String, label: &str, bytes: &[u8], off: usize| {
        for (k, chunk) in bytes.chunks(8).enumerate() {
            let l = if k == 0 { label } else { "" };
            let _ = writeln!(buf, "  {}{}  {}", pad(l, 10), pad(&format!("{:>4}", off + k * 8), 5), bit_groups(chunk));
        }
    };
    let _ = writeln!(buf, "{}", p.dim(&format!("  {}{}{}", pad("", 10), pad(t(lang, "byte", "字节"), 7), t(lang, "bits, first sent on the left", "比特,最左边的最先发送"))));
    row(buf, t(lang, "preamble", "前导码"), &w[..7], 0);
    row(buf, "SFD", &w[7..8], 7);
    let shown = frame_len.min(16);
    row(buf, t(lang, "frame", "帧"), &w[8..8 + shown], 8);
    if frame_len > shown {
        let _ = writeln!(buf, "  {}{}", pad("", 17), p.dim(&match lang {
            Lang::En => format!("… {} more bytes ({} bits) …", frame_len - shown, (frame_len - shown) * 8),
            Lang::Zh => format!("… 还有 {} 字节({} 比特)…", frame_len - shown, (frame_len - shown) * 8),
        }));
    }
    row(buf, "FCS", &w[w.len() - 4..], w.len() - 4);
    let _ = writeln!(buf, "  {}{}", pad(t(lang, "gap", "帧间隙"), 17), match lang {
        Lang::En => "96 bit times of idle line",
        Lang::Zh => "线路空闲 96 个比特时间",
    });

    // The SFD as 10BASE-T puts it on the cable.
    let _ = writeln!(buf);
    let _ = writeln!(buf, "{}", p.bold(t(
        lang,
        "The SFD in 10BASE-T Manchester code (1 = low→high, 0 = high→low, a transition mid-bit):",
        "SFD 的 10BASE-T 曼彻斯特编码(1 = 由低到高,0 = 由高到低,每个比特中间都有跳变):"
    )));
    let bits = physical::byte_bits_lsb_first(physical::SFD);
    let levels = physical::manchester(&bits);
    let mut b = String::new();
    let mut l = String::new();
    for (k, bit) in bits.iter().enumerate() {
        let _ = write!(b, " {bit}  ");
        for h in &levels[2 * k..2 * k + 2] {
            l.push(if *h == 1 { '‾' } else { '_' });
            l.push(if *h == 1 { '‾' } else { '_' });
        }
    }
    let _ = writeln!(buf, "  {}{}", pad(t(lang, "bits", "比特"), 10), b.trim_end());
    let _ = writeln!(buf, "  {}{}", pad(t(lang, "line", "线路电平"), 10), l);

    let _ = writeln!(buf);
    let bits_total = w.len() * 8;
    let _ = writeln!(buf, "{}", p.bold(&match lang {
        Lang::En => format!("Time on the wire for {} bytes = {bits_total} bits, and the gap after it:", w.len()),
        Lang::Zh => format!("{} 字节 = {bits_total} 比特在线路上占用的时间,以及其后的帧间隙:", w.len()),
    }));
    let _ = writeln!(buf, "{}", p.dim(&format!(
        "  {}{}{}{}{}",
        pad(t(lang, "speed", "速率"), 11),
        pad(t(lang, "one bit", "每比特"), 10),
        pad(t(lang, "frame", "帧"), 11),
        pad(t(lang, "gap", "帧间隙"), 10),
        t(lang, "line code", "线路编码")
    )));
    for tm in physical::timings(frame_len) {
        let _ = writeln!(
            buf,
            "  {}{}{}{}{}",
            pad(tm.speed.name(), 11),
            pad(&physical::format_ps(tm.speed.bit_time_ps()), 10),
            pad(&physical::format_ps(tm.frame_ps), 11),
            pad(&physical::format_ps(tm.ifg_ps), 10),
            tm.speed.line_code().get(lang)
        );
    }
}

fn verdict_mark(v: Verdict, p: &Paint, lang: Lang) -> String {
    match v {
        Verdict::Pass => p.sgr("32", "✓"),
        Verdict::Warn => p.sgr("33", "!"),
        Verdict::Drop => p.sgr("1;31", match lang {
            Lang::En => "✗ DROP",
            Lang::Zh => "✗ 丢弃",
        }),
    }
}

fn receiver_text(buf: &mut String, e: &Encapsulation, ui: &Ui) {
    let p = Paint { on: ui.color };
    let lang = ui.lang;
    rule(buf, &p, None, t(lang, "At the receiver: up the five layers", "在接收方:自下而上经过五层"));
    let mut last: Option<LayerKind> = None;
    for c in &e.receiver {
        let label = if last != Some(c.kind) {
            format!("{} {}", c.kind.number(), c.kind.name().get(lang))
        } else {
            String::new()
        };
        last = Some(c.kind);
        let head = format!("{}{} ", pad(&label, 14), verdict_mark(c.verdict, &p, lang));
        let head_w = 14 + width(&verdict_mark(c.verdict, &Paint { on: false }, lang)) + 1;
        let lines = wrap(c.text.get(lang), WIDTH.saturating_sub(head_w + 2));
        for (i, l) in lines.iter().enumerate() {
            if i == 0 {
                let _ = writeln!(buf, "  {head}{l}");
            } else {
                let _ = writeln!(buf, "  {}{l}", " ".repeat(head_w));
            }
        }
    }
    let _ = writeln!(buf);
    let end = e.receiver_endpoint();
    let line = if e.delivered() {
        p.sgr("1;32", &match lang {
            Lang::En => format!("Delivered to the process at {end}."),
            Lang::Zh => format!("已交付给 {end} 上的进程。"),
        })
    } else {
        let at = e.receiver.last().map(|c| c.kind.name().get(lang)).unwrap_or_default();
        p.sgr("1;31", &match lang {
            Lang::En => format!("Dropped at the {} layer: the process at {end} never sees it.", at.to_lowercase()),
            Lang::Zh => format!("在{at}被丢弃:{end} 上的进程永远收不到它。"),
        })
    };
    let _ = writeln!(buf, "{line}");
}

// ---------------------------------------------------------------- JSON output

/// A JSON value, written by hand (the binary needs nothing more than this).
enum J {
    Null,
    Bool(bool),
    Num(u64),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(&'static str, J)>),
}

impl J {
    fn write(&self, out: &mut Vec<u8>) {
        match self {
            J::Null => out.extend_from_slice(b"null"),
            J::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
            J::Num(n) => out.extend_from_slice(n.to_string().as_bytes()),
            J::Str(s) => netlayers_render::write_json_string(out, s),
            J::Arr(v) => {
                out.push(b'[');
                for (i, x) in v.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    x.write(out);
                }
                out.push(b']');
            }
            J::Obj(v) => {
                out.push(b'{');
                for (i, (k, x)) in v.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    netlayers_render::write_json_string(out, k);
                    out.push(b':');
                    x.write(out);
                }
                out.push(b'}');
            }
        }
    }
}

fn s(x: impl Into<String>) -> J {
    J::Str(x.into())
}

fn n(x: usize) -> J {
    J::Num(x as u64)
}

fn hex(b: &[u8]) -> J {
    let mut h = String::with_capacity(b.len() * 2);
    for x in b {
        let _ = write!(h, "{x:02x}");
    }
    J::Str(h)
}

fn kind_key(k: LayerKind) -> &'static str {
    match k {
        LayerKind::Physical => "physical",
        LayerKind::Link => "link",
        LayerKind::Network => "network",
        LayerKind::Transport => "transport",
        LayerKind::Application => "application",
    }
}

fn value_json(v: &Value) -> J {
    match v {
        Value::Bool(b) => J::Bool(*b),
        Value::UInt(x) | Value::Hex { value: x, .. } | Value::Enum { value: x, .. } => J::Num(*x),
        Value::Mac(m) => s(fmt_mac(m)),
        Value::Ipv4(a) => s(a.to_string()),
        Value::Ipv6(a) => s(a.to_string()),
        Value::Bytes(b) => hex(b),
        Value::Text(t) => s(t.clone()),
        Value::None => J::Null,
    }
}

fn field_json(f: &Field, base: usize, lang: Lang, out: &mut Vec<J>) {
    let mut o = vec![("key", s(f.key())), ("label", s(f.label(lang))), ("value", value_json(&f.value))];
    if let Some(d) = &f.display {
        o.push(("display", s(d.clone())));
    }
    if f.generated || f.range.is_empty() {
        o.push(("generated", J::Bool(true)));
    } else {
        o.push(("bytes", J::Arr(vec![n(f.range.start.saturating_sub(base)), n(f.range.end.saturating_sub(base))])));
        o.push(("bits", n(f.mask.map_or(f.range.len() * 8, |m| m.count_ones() as usize))));
    }
    out.push(J::Obj(o));
    for c in &f.children {
        field_json(c, base, lang, out);
    }
}

fn checksum_json(c: &ChecksumWork, lang: Lang) -> J {
    let rows = c
        .rows
        .iter()
        .map(|r| {
            J::Obj(vec![
                ("part", s(match r.part {
                    SumPart::PseudoHeader => "pseudo-header",
                    SumPart::Header => "header",
                    SumPart::Data => "data",
                })),
                ("what", s(r.what.get(lang))),
                ("word", J::Num(u64::from(r.word))),
                ("running", J::Num(r.running)),
            ])
        })
        .collect();
    J::Obj(vec![
        ("rows", J::Arr(rows)),
        ("sum", J::Num(c.sum)),
        ("folded", J::Num(u64::from(c.folded))),
        ("computed", J::Num(u64::from(c.computed))),
        ("written", J::Num(u64::from(c.written))),
    ])
}

fn step_json(buf: &mut String, e: &Encapsulation, i: usize, st: &EncapStep, lang: Lang) {
    let pdus = st
        .pdus
        .iter()
        .map(|p| {
            let mut fields = Vec::new();
            for l in &p.layers {
                for f in &l.fields {
                    field_json(f, p.offset, lang, &mut fields);
                }
            }
            J::Obj(vec![
                ("name", s(p.name.get(lang))),
                ("length", n(p.bytes.len())),
                ("hex", hex(&p.bytes)),
                ("added", J::Arr(p.added.iter().map(|r| J::Arr(vec![n(r.start), n(r.end)])).collect())),
                ("protocols", J::Arr(p.layers.iter().map(|l| s(l.protocol)).collect())),
                ("fields", J::Arr(fields)),
            ])
        })
        .collect();
    let mut o = vec![
        ("step", n(i + 1)),
        ("layer", J::Num(u64::from(st.kind.number()))),
        ("kind", s(kind_key(st.kind))),
        ("heading", s(st.heading.get(lang))),
        ("pdus", J::Arr(pdus)),
        ("notes", J::Arr(st.notes.iter().map(|x| s(x.get(lang).trim_start())).collect())),
    ];
    match st.kind {
        LayerKind::Application => {
            o.push(("receiver", s(e.receiver_endpoint().to_string())));
            o.push(("sender", s(e.sender().to_string())));
        }
        LayerKind::Transport => o.push(("checksum", checksum_json(&e.checksum, lang))),
        LayerKind::Network => {
            o.push(("header_checksums", J::Arr(e.ip_checksums.iter().map(|c| checksum_json(c, lang)).collect())));
            o.push(("fragments", match &e.fragmentation {
                None => J::Null,
                Some(fr) => J::Obj(vec![
                    ("mtu", n(fr.mtu)),
                    ("header_length", n(fr.header_len)),
                    ("payload_length", n(fr.payload_len)),
                    ("max_per_fragment", n(fr.max_per_fragment)),
                    ("list", J::Arr(fr.fragments.iter().map(|f| J::Obj(vec![
                        ("offset", n(f.offset)),
                        ("offset_field", J::Num(u64::from(f.offset_field()))),
                        ("length", n(f.len)),
                        ("more_fragments", J::Bool(f.more)),
                    ])).collect())),
                ]),
            }));
        }
        LayerKind::Link => {
            o.push(("dst_mac", s(fmt_mac(&e.dst_mac))));
            o.push(("dst_mac_source", s(match e.dst_mac_source {
                encap::MacSource::Given => "given",
                encap::MacSource::Broadcast => "broadcast",
                encap::MacSource::Ipv4Multicast => "ipv4-multicast",
                encap::MacSource::Ipv6Multicast => "ipv6-multicast",
                encap::MacSource::Resolved => if e.is_ipv6() { "neighbor-discovery" } else { "arp" },
            })));
            o.push(("fcs", J::Arr(e.frames.iter().map(|f| J::Num(u64::from(physical::fcs(f)))).collect())));
        }
        LayerKind::Physical => {
            let frame_len = e.frames.first().map_or(0, Vec::len);
            o.push(("bits", n(e.wires.first().map_or(0, Vec::len) * 8)));
            o.push(("ifg_bits", J::Num(physical::IFG_BITS)));
            o.push(("timings", J::Arr(physical::timings(frame_len).iter().map(|tm| J::Obj(vec![
                ("speed", s(tm.speed.name())),
                ("bits_per_second", J::Num(tm.speed.bits_per_second())),
                ("frame_ps", J::Num(tm.frame_ps)),
                ("ifg_ps", J::Num(tm.ifg_ps)),
                ("line_code", s(tm.speed.line_code().get(lang))),
            ])).collect())));
        }
    }
    let mut out = Vec::new();
    J::Obj(o).write(&mut out);
    buf.push_str(&String::from_utf8_lossy(&out));
    buf.push('\n');
}

fn receiver_json(buf: &mut String, e: &Encapsulation, lang: Lang) {
    let checks = e
        .receiver
        .iter()
        .map(|c| {
            J::Obj(vec![
                ("layer", J::Num(u64::from(c.kind.number()))),
                ("kind", s(kind_key(c.kind))),
                ("check", s(c.id)),
                ("verdict", s(c.verdict.name())),
                ("text", s(c.text.get(lang))),
            ])
        })
        .collect();
    let o = J::Obj(vec![
        ("step", s("receiver")),
        ("checks", J::Arr(checks)),
        ("delivered", J::Bool(e.delivered())),
        ("socket", s(e.receiver_endpoint().to_string())),
    ]);
    let mut out = Vec::new();
    o.write(&mut out);
    buf.push_str(&String::from_utf8_lossy(&out));
    buf.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_width() {
        let en = "The checksum also covers a pseudo-header that is never sent, so a segment delivered to the wrong host is caught.";
        for l in wrap(en, 40) {
            assert!(width(&l) <= 40, "{l}");
        }
        let zh = "校验和还覆盖一个并不发送的伪首部(源 IP、目的 IP、协议号 17、UDP 长度 13),这样送错主机或送错协议的报文也能被发现。";
        let lines = wrap(zh, 30);
        assert!(lines.len() > 1);
        for l in &lines {
            assert!(width(l) <= 31, "{l}");
            assert!(!l.starts_with([',', ')', ';', '\u{3002}']), "punctuation stays on its line: {l}");
        }
        assert_eq!(lines.concat().replace(' ', ""), zh.replace(' ', ""));
    }

    #[test]
    fn long_values_are_cut_to_the_width() {
        assert_eq!(cut("abcdef", 6), "abcdef");
        assert_eq!(cut("abcdefg", 6), "abcde…");
        assert_eq!(cut("中文中文", 5), "中文…");
        assert!(width(&cut(&"7".repeat(200), 40)) <= 40);
    }

    #[test]
    fn json_is_escaped() {
        let mut out = Vec::new();
        J::Obj(vec![("a", s("x\"\n")), ("b", J::Arr(vec![J::Num(1), J::Bool(false), J::Null]))]).write(&mut out);
        assert_eq!(String::from_utf8_lossy(&out), r#"{"a":"x\"\n","b":[1,false,null]}"#);
    }
}
