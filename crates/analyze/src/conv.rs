//! Conversation indices: `tcp.stream` and `udp.stream`, numbered as Wireshark 4.0 numbers them.
//!
//! Each address/port pair (both directions alike) gets the next index the first time it is seen,
//! including a pair first seen in a packet quoted inside an ICMP error. For TCP a SYN (without ACK)
//! starts a new stream on the same pair when its direction already has a base sequence number and
//! the SYN's differs: a port reused for a new connection, not a retransmitted SYN. A direction's
//! base is set by its first segment (a SYN's own number, otherwise one less than the segment's, as
//! relative numbering starts at 1), or by an ACK from the other side (its acknowledgment number
//! minus one), whichever comes first. Quoted packets only look streams up: they set no base.
//! (Checked against tshark 4.0 on crafted captures: a SYN with the old number after RST or FIN
//! stays in the old stream.)

use std::net::IpAddr;

use netlayers_core::{Field, FieldSpec, Layer, Recent, Text, Value};

pub static TCP_STREAM: FieldSpec = FieldSpec::new(
    "tcp.stream",
    Text::new("Stream index", "流编号"),
    Text::new(
        "Which TCP connection this segment belongs to, counting from 0 in the order connections first appear; both directions share it. Not on the wire: computed from addresses and ports.",
        "这个报文段属于哪一条 TCP 连接:按连接在抓包中首次出现的顺序从 0 编号,两个方向共用同一个编号。线路上没有这个字段,它由地址和端口算出。",
    ),
);

pub static UDP_STREAM: FieldSpec = FieldSpec::new(
    "udp.stream",
    Text::new("Stream index", "流编号"),
    Text::new(
        "Which UDP conversation (pair of address and port) this datagram belongs to, counting from 0 in order of first appearance; both directions share it. UDP has no connection: this only groups datagrams.",
        "这个数据报属于哪一组 UDP 会话(一对地址加端口):按首次出现的顺序从 0 编号,两个方向共用同一个编号。UDP 本身没有连接,这里只是把数据报归组。",
    ),
);

type Endpoint = (IpAddr, u16);

/// Both directions of a conversation map to one key: the smaller endpoint first.
fn key(a: Endpoint, b: Endpoint) -> ((Endpoint, Endpoint), usize) {
    if a <= b {
        ((a, b), 0)
    } else {
        ((b, a), 1)
    }
}

#[derive(Debug)]
struct TcpConv {
    index: u64,
    /// Base sequence number of each direction (0: from the smaller endpoint).
    base: [Option<u32>; 2],
}

/// Numbers TCP and UDP conversations across the frames of one capture, in order.
#[derive(Debug, Default)]
pub struct Conversations {
    tcp: Recent<(Endpoint, Endpoint), TcpConv>,
    udp: Recent<(Endpoint, Endpoint), u64>,
    next_tcp: u64,
    next_udp: u64,
    /// The frame last annotated reused the ports of an earlier TCP connection.
    reused: bool,
}

/// The number in a TCP or UDP header field, or in the stream index put next to them: all
/// top-level fields of their layer.
fn num(l: &Layer, k: &str) -> Option<u64> {
    l.top_field(k).and_then(|f| f.value.as_u64())
}

/// Puts the generated field after the top-level field with key `after` (or at the end), where
/// Wireshark's tree shows it.
fn insert_after(l: &mut Layer, after: &[&str], f: Field) {
    let at = l.fields.iter().rposition(|x| after.contains(&x.spec.key)).map_or(l.fields.len(), |i| i + 1);
    l.fields.insert(at, f);
}

impl Conversations {
    pub fn new() -> Conversations {
        Conversations::default()
    }

    /// How many TCP and UDP streams have been numbered so far.
    /// Whether the frame last annotated opened a TCP connection on the ports of an earlier one
    /// (a SYN with a new initial sequence number): tshark's "TCP Port numbers reused".
    pub fn ports_reused(&self) -> bool {
        self.reused
    }

    pub fn counts(&self) -> (u64, u64) {
        (self.next_tcp, self.next_udp)
    }

    /// Adds `tcp.stream` / `udp.stream` to every TCP and UDP layer of one frame (the frame's own
    /// and any quoted in an ICMP error). Call once per frame, in capture order.
    pub fn annotate(&mut self, layers: &mut [Layer]) {
        self.reused = false;
        let mut addrs: Option<(IpAddr, IpAddr)> = None;
        for l in layers.iter_mut() {
            match l.protocol {
                "ip" | "ipv6" => addrs = crate::ip_endpoints(l),
                "tcp" | "udp" => {
                    let tcp = l.protocol == "tcp";
                    let (sk, dk) = if tcp { ("tcp.srcport", "tcp.dstport") } else { ("udp.srcport", "udp.dstport") };
                    let (Some((src, dst)), Some(sp), Some(dp)) = (addrs, num(l, sk), num(l, dk)) else { continue };
                    if l.top_field(if tcp { "tcp.stream" } else { "udp.stream" }).is_some() {
                        continue;
                    }
                    // A TCP header cut before its flags (an ICMPv4 error quotes 8 bytes): tshark
                    // stops reading it before it looks up the connection.
                    if tcp && l.top_field("tcp.flags").is_none() {
                        continue;
                    }
                    // Likewise a UDP header cut before its checksum, or with a length below 8:
                    // tshark stops at the length, before the conversation.
                    if !tcp && l.top_field("udp.checksum").is_none() {
                        continue;
                    }
                    let (k, dir) = key((src, sp as u16), (dst, dp as u16));
                    if tcp {
                        let index = self.tcp_stream(l, k, dir);
                        insert_after(l, &["tcp.dstport"], Field::generated(&TCP_STREAM, Value::UInt(index)));
                    } else {
                        let index = self.udp_index(k);
                        insert_after(l, &["udp.checksum", "udp.checksum.status"], Field::generated(&UDP_STREAM, Value::UInt(index)));
                    }
                }
                _ => {}
            }
        }
    }

    /// The `tcp.stream` of the frame's own TCP segment (not one quoted in an ICMP error), for a
    /// caller that read the header itself instead of decoding it into layers (the packet
    /// list's fast path): the same numbering [`Conversations::annotate`] does.
    pub fn tcp_segment(&mut self, src: (IpAddr, u16), dst: (IpAddr, u16), flags: u16, seq: u32, ack: u32) -> u64 {
        self.reused = false;
        let (k, dir) = key(src, dst);
        self.tcp_index(k, dir, Some(u64::from(flags)), Some(seq), Some(ack), false)
    }

    /// The `udp.stream` of the frame's own UDP datagram, for the same callers.
    pub fn udp_datagram(&mut self, src: (IpAddr, u16), dst: (IpAddr, u16)) -> u64 {
        self.reused = false;
        self.udp_index(key(src, dst).0)
    }

    /// Starts a frame without TCP or UDP, for callers that do not call `annotate`.
    pub fn other_frame(&mut self) {
        self.reused = false;
    }

    fn udp_index(&mut self, k: (Endpoint, Endpoint)) -> u64 {
        let next = &mut self.next_udp;
        *self.udp.get_or_insert_with(k, || {
            *next += 1;
            *next - 1
        })
    }

    fn tcp_stream(&mut self, l: &Layer, k: (Endpoint, Endpoint), dir: usize) -> u64 {
        let flags = num(l, "tcp.flags");
        let seq = num(l, "tcp.seq_raw").map(|s| s as u32);
        let ack = num(l, "tcp.ack_raw").map(|s| s as u32);
        self.tcp_index(k, dir, flags, seq, ack, l.depth > 0)
    }

    fn tcp_index(&mut self, k: (Endpoint, Endpoint), dir: usize, flags: Option<u64>, seq: Option<u32>, ack: Option<u32>, quoted: bool) -> u64 {
        let syn_only = flags.is_some_and(|f| f & 0x12 == 0x02);
        // A SYN-ACK with a new initial number: tshark flags the reuse and starts counting from
        // it, but keeps the stream.
        let syn_ack = flags.is_some_and(|f| f & 0x12 == 0x12);
        // One lookup for a segment of a known connection (most segments).
        let known = match self.tcp.get_mut(&k) {
            Some(c) => {
                let new_base = !quoted && seq.is_some_and(|s| c.base[dir].is_some_and(|b| b != s));
                // A SYN alone with a new initial number starts a new stream over the old key.
                if !(new_base && syn_only) {
                    if new_base && syn_ack {
                        c.base[dir] = seq;
                        self.reused = true;
                    }
                    learn_bases(c, dir, flags, seq, ack, quoted);
                    return c.index;
                }
                true
            }
            None => false,
        };
        // A new connection, or a port pair reused (`known`): a new stream.
        self.reused |= known;
        self.tcp.insert(k, TcpConv { index: self.next_tcp, base: [None, None] });
        self.next_tcp += 1;
        let Some(c) = self.tcp.get_mut(&k) else { return 0 };
        learn_bases(c, dir, flags, seq, ack, quoted);
        c.index
    }
}

/// A connection's base sequence numbers as its segments show them: a direction's first
/// sequence number (less one unless it is a SYN's), and the other direction's from an ACK
/// until that side speaks. A segment quoted in an ICMP error teaches nothing.
fn learn_bases(c: &mut TcpConv, dir: usize, flags: Option<u64>, seq: Option<u32>, ack: Option<u32>, quoted: bool) {
    if quoted {
        return;
    }
    if let (None, Some(s)) = (c.base[dir], seq) {
        let syn = flags.is_some_and(|f| f & 0x02 != 0);
        c.base[dir] = Some(if syn { s } else { s.wrapping_sub(1) });
    }
    let has_ack = flags.is_some_and(|f| f & 0x10 != 0);
    if let (true, None, Some(a)) = (has_ack, c.base[1 - dir], ack) {
        c.base[1 - dir] = Some(a.wrapping_sub(1));
    }
}
