//! Analysis that looks across a frame's tree or across frames: Wireshark display filters
//! ([`Filter`]) and conversation indices ([`Conversations`], `tcp.stream` / `udp.stream`).
//!
//! This crate depends on `netlayers-core` alone: the filter learns which field names exist from a
//! closure the caller builds out of every decoder crate's `FIELDS`, so adding a decoder never
//! means touching the filter.
#![forbid(unsafe_code)]

mod conv;
pub mod echo;
pub mod expert;
pub mod stats;
mod eval;
mod filter;
pub mod follow;
mod lex;

pub use conv::{Conversations, TCP_STREAM, UDP_STREAM};
pub use filter::{Filter, FilterError};

use std::net::IpAddr;

use netlayers_core::{FieldSpec, Layer, Timestamp, Value};

/// Source and destination address of an `ip` or `ipv6` layer (`None` for other layers, or when
/// the header was cut before them).
pub(crate) fn ip_endpoints(l: &Layer) -> Option<(IpAddr, IpAddr)> {
    let (s, d) = match l.protocol {
        "ip" => ("ip.src", "ip.dst"),
        "ipv6" => ("ipv6.src", "ipv6.dst"),
        _ => return None,
    };
    // Both are top-level fields, except the destination of an IPv4 packet with a source route
    // (`ip.cur_rt` there): its final `ip.dst` is in the option, which comes after the addresses
    // (fields are in wire order), so looking at the top first finds what `find` finds.
    let get = |k| match l.top_field(k).or_else(|| l.find(k)).map(|f| &f.value) {
        Some(Value::Ipv4(a)) => Some(IpAddr::V4(*a)),
        Some(Value::Ipv6(a)) => Some(IpAddr::V6(*a)),
        _ => None,
    };
    get(s).zip(get(d))
}

/// Everything a frame learns from the frames before it, added in one call per frame: stream
/// indices, the TCP expert's findings, ping replies linked to their requests. Every command
/// that walks a capture (read, capture, stats, flow) runs frames through one of these, in order.
#[derive(Debug, Default)]
pub struct CrossFrame {
    pub conversations: Conversations,
    pub expert: expert::Expert,
    pub echoes: echo::Echoes,
}

impl CrossFrame {
    pub fn new() -> CrossFrame {
        CrossFrame::default()
    }

    /// Annotates one frame's layers. Call for every frame, in capture order, shown or not.
    ///
    /// Like tshark, a TCP segment found to be a retransmission or out of order keeps its bytes
    /// as TCP payload and is not handed to HTTP, DNS … again: the layers above its TCP go.
    pub fn annotate(&mut self, layers: &mut Vec<Layer>, number: u64, ts: Timestamp) {
        self.conversations.annotate(layers);
        if self.conversations.ports_reused() {
            self.expert.ports_reused();
        }
        if self.expert.annotate(layers, number, ts) {
            if let Some(i) = layers.iter().position(|l| l.depth == 0 && l.protocol == "tcp") {
                layers.truncate(i + 1);
            }
        }
        self.echoes.annotate(layers, number, ts);
    }

    /// What `annotate` does for a frame whose own top is a TCP segment, for a caller that read
    /// the header without building layers (the packet list's fast path): the stream index and
    /// the expert's verdict. `seg.stream` is filled in here.
    pub fn tcp_segment(&mut self, seg: &mut expert::Segment, number: u64, ts: Timestamp) -> expert::Verdict {
        seg.stream = self.conversations.tcp_segment(seg.src, seg.dst, seg.flags, seg.seq, seg.ack);
        if self.conversations.ports_reused() {
            self.expert.ports_reused();
        }
        self.expert.judge(seg, number, ts)
    }

    /// What `annotate` does for a frame with neither TCP nor UDP in it (ARP, an ICMP echo:
    /// the caller links echoes itself with [`echo::Echoes::icmp`]).
    pub fn other_frame(&mut self) {
        self.conversations.other_frame();
        self.expert.other_frame();
    }

    /// What `annotate` does for a frame whose own top is a UDP datagram (no ICMP inside): its
    /// stream index.
    pub fn udp_datagram(&mut self, src: (IpAddr, u16), dst: (IpAddr, u16)) -> u64 {
        self.expert.other_frame();
        self.conversations.udp_datagram(src, dst)
    }
}

/// Every field spec this crate adds to frames (generated fields).
pub static FIELDS: &[&FieldSpec] = &[&TCP_STREAM, &UDP_STREAM];

/// Field names the filter accepts although no decoder emits them: Wireshark's two-sided fields,
/// each standing for its source and destination field.
pub static ALIASES: &[(&str, &[&str])] = &[
    ("ip.addr", &["ip.src", "ip.dst"]),
    ("ipv6.addr", &["ipv6.src", "ipv6.dst"]),
    ("eth.addr", &["eth.src", "eth.dst"]),
    ("tcp.port", &["tcp.srcport", "tcp.dstport"]),
    ("udp.port", &["udp.srcport", "udp.dstport"]),
];

#[cfg(test)]
mod tests;
