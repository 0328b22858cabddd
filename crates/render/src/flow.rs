//! The flow graph: a sequence diagram of who sent what to whom, time going down, one column
//! (lane) per endpoint, one arrow per packet with its label.
//!
//! [`flow_diagram`] is a pure function over [`FlowEvent`]s, so `netlayers flow` (events built
//! from a capture by [`flow_event`]) and the simulator draw the same picture. Two endpoints fit
//! in 100 columns; a label too long for its arrow is cut with `…`.

use std::fmt::Write as _;

use netlayers_core::{escape, Lang, Value};

use crate::color::{HEADING, QUIET};
use crate::FrameView;

/// One arrow of the diagram.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowEvent {
    /// Seconds since the first frame.
    pub time: f64,
    /// Endpoint names, as in the lanes (`10.0.0.1:80`).
    pub from: String,
    pub to: String,
    /// Text on the arrow (`[SYN] Seq=0 Len=0`).
    pub label: String,
}

/// The whole drawing is kept within this many columns while the lanes are at least
/// [`MIN_GAP`] apart.
pub const WIDTH: usize = 100;
const MIN_GAP: usize = 24;
const TIME: usize = 11;

/// The endpoints in order of first appearance (sender before receiver): the usual lane order.
pub fn flow_endpoints(events: &[FlowEvent]) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    for e in events {
        for n in [&e.from, &e.to] {
            if !v.contains(n) {
                v.push(n.clone());
            }
        }
    }
    v
}

fn clip(s: &str, max: usize) -> String {
    let n = s.chars().count();
    if n <= max {
        s.to_string()
    } else if max == 0 {
        String::new()
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}

/// Lane columns: the first lane leaves room for half of its name, the last ends within
/// [`WIDTH`].
fn lanes(endpoints: &[String]) -> Vec<usize> {
    let n = endpoints.len();
    let half = |s: &String| s.chars().count().div_ceil(2);
    let first = TIME + endpoints.first().map_or(1, half).clamp(1, 24);
    if n < 2 {
        return vec![first];
    }
    let last_room = endpoints.last().map_or(1, half).clamp(1, 24);
    let span = WIDTH.saturating_sub(first + last_room + 1);
    let gap = (span / (n - 1)).max(MIN_GAP);
    (0..n).map(|i| first + i * gap).collect()
}

/// Appends the diagram. `endpoints` gives the lane order (usually [`flow_endpoints`]); an event
/// naming an endpoint not in it is skipped.
pub fn flow_diagram(buf: &mut Vec<u8>, endpoints: &[String], events: &[FlowEvent], lang: Lang, color: bool) {
    let mut s = String::new();
    let xs = lanes(endpoints);
    let width = xs.last().map_or(TIME, |x| x + 1);
    let paint = |s: &mut String, style: anstyle::Style, t: &str| {
        if color {
            let _ = write!(s, "{}{t}{}", style.render(), style.render_reset());
        } else {
            s.push_str(t);
        }
    };
    // Heading: the time column and each endpoint centred on its lane.
    let mut head: Vec<char> = vec![' '; width + 48];
    let time_word = if lang == Lang::Zh { "时间(秒)" } else { "Time (s)" };
    let mut min_start = 0;
    for (i, name) in endpoints.iter().enumerate() {
        let room = if i + 1 < xs.len() { xs[i + 1] - xs[i] - 1 } else { 48 };
        let name = clip(&escape::text(name), room.min(47));
        let len = name.chars().count();
        let start = xs[i].saturating_sub(len / 2).max(min_start).max(if i == 0 { TIME } else { 0 });
        for (k, c) in name.chars().enumerate() {
            if let Some(h) = head.get_mut(start + k) {
                *h = c;
            }
        }
        min_start = start + len + 1;
    }
    let names: String = head.iter().collect::<String>().trim_end().to_string();
    let names_tail: String = names.chars().skip(TIME).collect();
    paint(&mut s, HEADING, &format!("{time_word:<w$}", w = if lang == Lang::Zh { TIME - 3 } else { TIME }));
    paint(&mut s, HEADING, &names_tail);
    s.push('\n');
    let lane_line = |s: &mut String| {
        let mut l: Vec<char> = vec![' '; width];
        for &x in &xs {
            l[x] = '│';
        }
        paint(s, QUIET, l.iter().collect::<String>().trim_end());
        s.push('\n');
    };
    lane_line(&mut s);
    for e in events {
        let (Some(a), Some(b)) = (endpoints.iter().position(|n| *n == e.from), endpoints.iter().position(|n| *n == e.to))
        else {
            continue;
        };
        let _ = write!(s, "{:>10.6} ", e.time);
        let mut l: Vec<char> = vec![' '; width];
        for &x in &xs {
            l[x] = '│';
        }
        let label = escape::text(&e.label).into_owned();
        let (lo, hi) = (xs[a.min(b)], xs[a.max(b)]);
        let (text_from, text_to) = if a == b {
            // To itself: a short loop beside the lane.
            l[lo] = '├';
            let x = lo + 1;
            if x < width {
                l[x] = '↺';
            }
            (lo + 3, width.max(lo + 3 + 40))
        } else {
            for c in l.iter_mut().take(hi).skip(lo + 1) {
                *c = if *c == '│' { '┼' } else { '─' };
            }
            if a < b {
                l[lo] = '├';
                l[hi - 1] = '▶';
            } else {
                l[hi] = '┤';
                l[lo + 1] = '◀';
            }
            // The label sits in the first gap after the sender, clear of the lanes it crosses.
            if a < b {
                (lo + 3, xs[a + 1] - 2)
            } else {
                (xs[a - 1] + 3, hi - 2)
            }
        };
        let room = text_to.saturating_sub(text_from).saturating_sub(2);
        let text = clip(&label, room);
        let len = text.chars().count();
        if l.len() < text_to {
            l.resize(text_to, ' ');
        }
        let start = if a == b { text_from } else { text_from + (text_to - text_from).saturating_sub(len + 2) / 2 };
        let (pre, rest) = l.split_at(start.min(l.len()));
        // The time column is already written.
        let pre = pre.get(TIME..).unwrap_or(&[]);
        let skip = (len + 2).min(rest.len());
        let post = &rest[skip..];
        let pre: String = pre.iter().collect();
        let post: String = post.iter().collect();
        paint(&mut s, QUIET, &pre);
        s.push(' ');
        let style = if e.label.contains("RST") {
            anstyle::Style::new().fg_color(Some(anstyle::AnsiColor::Red.into())).bold()
        } else if e.label.contains("SYN") || e.label.contains("FIN") {
            anstyle::Style::new().bold()
        } else {
            anstyle::Style::new()
        };
        paint(&mut s, style, &text);
        s.push(' ');
        paint(&mut s, QUIET, post.trim_end());
        // A line that was only padding after the label keeps no trailing blanks.
        let trimmed = s.trim_end_matches(' ').len();
        s.truncate(trimmed);
        s.push('\n');
    }
    lane_line(&mut s);
    buf.extend_from_slice(s.as_bytes());
}

/// The arrow for one frame: TCP with its flags, relative numbers and length (and the protocol
/// it carries), UDP with its length or the application's Info, ICMP with its Info. `None` for a
/// frame without IP.
pub fn flow_event(view: &FrameView) -> Option<FlowEvent> {
    let own = || view.layers.iter().filter(|l| l.depth == 0);
    let ip = view.layers.iter().rev().filter(|l| l.depth == 0).find(|l| l.protocol == "ip" || l.protocol == "ipv6")?;
    let addr = |k: &str| match ip.find(k).map(|f| &f.value) {
        Some(Value::Ipv4(a)) => Some(a.to_string()),
        Some(Value::Ipv6(a)) => Some(format!("[{a}]")),
        _ => None,
    };
    let (src, dst) = if ip.protocol == "ip" { ("ip.src", "ip.dst") } else { ("ipv6.src", "ipv6.dst") };
    let (src, dst) = (addr(src)?, addr(dst)?);
    let top = view.info_layer();
    let app = top.filter(|l| l.protocol != "tcp" && l.protocol != "udp" && l.kind == netlayers_core::LayerKind::Application);
    let app = app.filter(|l| l.protocol != "data");
    let num = |l: &netlayers_core::Layer, k: &str| l.find(k).and_then(|f| f.value.as_u64());
    if let Some(t) = own().find(|l| l.protocol == "tcp") {
        let (sp, dp) = (num(t, "tcp.srcport")?, num(t, "tcp.dstport")?);
        let flags = num(t, "tcp.flags").unwrap_or(0);
        const NAMES: [(u64, &str); 9] = [
            (0x001, "FIN"),
            (0x002, "SYN"),
            (0x004, "RST"),
            (0x008, "PSH"),
            (0x010, "ACK"),
            (0x020, "URG"),
            (0x040, "ECE"),
            (0x080, "CWR"),
            (0x100, "AE"),
        ];
        let names: Vec<&str> = NAMES.iter().filter(|(b, _)| flags & b != 0).map(|(_, n)| *n).collect();
        let mut label = if names.is_empty() { "<None>".to_string() } else { format!("[{}]", names.join(", ")) };
        if let Some(seq) = num(t, "tcp.seq").or_else(|| num(t, "tcp.seq_raw")) {
            let _ = write!(label, " Seq={seq}");
        }
        if flags & 0x10 != 0 {
            if let Some(ack) = num(t, "tcp.ack").or_else(|| num(t, "tcp.ack_raw")) {
                let _ = write!(label, " Ack={ack}");
            }
        }
        let _ = write!(label, " Len={}", num(t, "tcp.len").unwrap_or(0));
        if let Some(a) = app {
            let _ = write!(label, " {}", a.display_name);
        }
        return Some(FlowEvent { time: view.rel_time, from: format!("{src}:{sp}"), to: format!("{dst}:{dp}"), label });
    }
    if let Some(u) = own().find(|l| l.protocol == "udp") {
        let (sp, dp) = (num(u, "udp.srcport")?, num(u, "udp.dstport")?);
        let label = match app.and_then(|a| a.info.as_deref().map(|i| (a.display_name, i))) {
            Some((name, info)) => format!("{name} {info}"),
            None => format!("UDP Len={}", num(u, "udp.length").unwrap_or(8).saturating_sub(8)),
        };
        return Some(FlowEvent { time: view.rel_time, from: format!("{src}:{sp}"), to: format!("{dst}:{dp}"), label });
    }
    let top = top?;
    let label = match top.info.as_deref() {
        Some(i) => format!("{} {i}", top.display_name),
        None => top.display_name.to_string(),
    };
    Some(FlowEvent { time: view.rel_time, from: src, to: dst, label })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(t: f64, from: &str, to: &str, label: &str) -> FlowEvent {
        FlowEvent { time: t, from: from.into(), to: to.into(), label: label.into() }
    }

    fn draw(events: &[FlowEvent], lang: Lang, color: bool) -> String {
        let mut buf = Vec::new();
        flow_diagram(&mut buf, &flow_endpoints(events), events, lang, color);
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn two_endpoints_fit_in_100_columns_and_arrows_point_the_right_way() {
        let long = "x".repeat(300);
        let e = [
            ev(0.0, "10.0.0.1:1000", "10.0.0.2:80", "[SYN] Seq=0 Len=0"),
            ev(0.5, "10.0.0.2:80", "10.0.0.1:1000", "[SYN, ACK] Seq=0 Ack=1 Len=0"),
            ev(1.0, "10.0.0.1:1000", "10.0.0.2:80", &long),
        ];
        let s = draw(&e, Lang::En, false);
        for l in s.lines() {
            assert!(l.chars().count() <= WIDTH, "too wide: {l}");
        }
        let lines: Vec<&str> = s.lines().collect();
        assert!(lines[0].starts_with("Time (s)") && lines[0].contains("10.0.0.1:1000") && lines[0].contains("10.0.0.2:80"));
        assert!(lines[2].contains("├") && lines[2].contains("▶│") && lines[2].contains(" [SYN] Seq=0 Len=0 "));
        assert!(lines[3].contains("│◀") && lines[3].ends_with("┤"));
        assert!(lines[4].contains('…'));
        assert!(!s.contains('\x1b'));
    }

    #[test]
    fn colour_only_when_asked_and_headings_translate() {
        let e = [ev(0.0, "a", "b", "[RST] Seq=1 Len=0")];
        assert!(draw(&e, Lang::En, true).contains('\x1b'));
        assert!(draw(&e, Lang::Zh, false).starts_with("时间(秒)"));
    }

    #[test]
    fn labels_from_packets_cannot_reach_the_terminal_raw() {
        let e = [ev(0.0, "a\x1b[2J", "b", "evil\x1b]0;x\x07")];
        assert!(!draw(&e, Lang::En, false).contains('\x1b'));
    }

    #[test]
    fn three_endpoints_cross_the_middle_lane() {
        let e = [ev(0.0, "a", "b", "one"), ev(1.0, "c", "a", "2")];
        let s = draw(&e, Lang::En, false);
        let line: Vec<char> = s.lines().nth(3).unwrap().chars().collect();
        let lanes: Vec<char> = s.lines().nth(1).unwrap().chars().collect();
        assert!(line.contains(&'◀') && line.contains(&'┼'), "{s}");
        // Arrow ends sit on the lanes.
        for (i, c) in line.iter().enumerate() {
            if matches!(c, '┤' | '┼') {
                assert_eq!(lanes.get(i), Some(&'│'), "{s}");
            }
        }
    }
}
