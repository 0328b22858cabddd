//! Each host's TCP sockets and the states they went through, with the time of every change:
//! the RFC 9293 state diagram walked by real connections, one line per socket.
//!
//! ```text
//! client 10.0.0.1:53536 → 10.0.0.2:8081
//!   CLOSED →(0.001000) SYN-SENT →(0.005027) ESTABLISHED →(0.005027) FIN-WAIT-1 …
//! ```

use netlayers_core::{Lang, Text};

use crate::host::StateChange;
use crate::net::{Network, Node};

/// Changes per line before the chain wraps, so that lines stay readable in a terminal.
const PER_LINE: usize = 4;

/// The changes of one socket, in time order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct History<'a> {
    pub host: &'a str,
    pub changes: Vec<&'a StateChange>,
}

/// Every TCP socket of every host (hosts in the order they were added, sockets in the order they
/// first changed state).
pub fn histories(net: &Network) -> Vec<History<'_>> {
    let mut out: Vec<History<'_>> = Vec::new();
    for node in net.nodes() {
        let Node::Host(h) = node else { continue };
        let first = out.len();
        for c in &h.tcp_states {
            match out[first..].iter_mut().find(|s| s.changes.first().is_some_and(|f| f.fd == c.fd)) {
                Some(s) => s.changes.push(c),
                None => out.push(History { host: &h.name, changes: vec![c] }),
            }
        }
    }
    out
}

/// The view: a heading, then for each socket its addresses and its chain of states, each arrow
/// marked with the time (in seconds) of the change. Empty when no host used TCP.
pub fn render(net: &Network, lang: Lang) -> String {
    let all = histories(net);
    if all.is_empty() {
        return String::new();
    }
    let mut o = String::new();
    o.push_str(Text::new("TCP states over time (s)", "TCP 状态随时间的变化(秒)").get(lang));
    o.push('\n');
    let host_w = all.iter().map(|h| h.host.chars().count()).max().unwrap_or(0);
    for h in &all {
        let Some(first) = h.changes.first() else { continue };
        let who = match first.remote {
            Some(r) => format!("{} → {r}", first.local),
            None => format!("{} {}", first.local, Text::new("(listening socket)", "(监听套接字)").get(lang)),
        };
        o.push_str(&format!("{:<host_w$} {who}\n", h.host));
        let mut line = format!("  {}", first.from.name());
        for (i, c) in h.changes.iter().enumerate() {
            if i > 0 && i % PER_LINE == 0 {
                o.push_str(&line);
                o.push('\n');
                line = "   ".to_string();
            }
            line.push_str(&format!(" →({:.6}) {}", c.time as f64 / 1e9, c.to.name()));
        }
        o.push_str(&line);
        o.push('\n');
    }
    o
}
