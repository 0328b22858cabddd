//! Following a stream: the application bytes of both directions of one TCP connection (or one
//! UDP conversation) in the order the two programs read them, as `tshark -z follow,tcp,…` shows
//! them.
//!
//! TCP reassembly follows Wireshark 4.0's follow tap (epan/dissectors/packet-tcp.c), so the
//! bytes and the chunking agree with tshark:
//! - node 0 (the client) is the source of the stream's first segment;
//! - each direction keeps the next expected sequence number, starting at the first segment's
//!   (one past a SYN's);
//! - a segment at that number is passed on at once, a segment ahead of it is buffered, a segment
//!   behind it passes on only the bytes beyond it (so a retransmitted byte appears once);
//! - after each segment, buffered ones that now fit are passed on, one chunk each;
//! - when the other side acknowledges bytes the capture never held, the gap becomes the text
//!   `[N bytes missing in capture file]` (with tshark's trailing NUL byte) and following goes on.
//!
//! Memory: buffered out-of-order bytes are capped per direction ([`MAX_BUFFERED`]); a segment
//! that would go over the cap is dropped and counted in [`TcpFollow::dropped`].

use std::net::IpAddr;

use netlayers_core::{Layer, Value};

/// Out-of-order bytes kept per direction, at most.
pub const MAX_BUFFERED: usize = 16 << 20;

/// An address and port, written as tshark writes a node (`[v6]:port` for IPv6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Node {
    pub addr: IpAddr,
    pub port: u16,
}

impl std::fmt::Display for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.addr {
            IpAddr::V4(a) => write!(f, "{a}:{}", self.port),
            IpAddr::V6(a) => write!(f, "[{a}]:{}", self.port),
        }
    }
}

/// One run of bytes from one side, as tshark prints it: `server` is node 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    pub server: bool,
    pub data: Vec<u8>,
}

/// One TCP segment of the followed stream, as the follow logic needs it.
#[derive(Debug, Clone, Copy)]
pub struct Segment<'a> {
    pub src: Node,
    pub dst: Node,
    /// Raw (absolute) sequence and acknowledgment numbers.
    pub seq: u32,
    pub ack: u32,
    pub syn: bool,
    /// The captured payload.
    pub payload: &'a [u8],
}

#[derive(Debug)]
struct Pending {
    seq: u32,
    data: Vec<u8>,
}

/// Reassembles one TCP stream into [`Chunk`]s.
#[derive(Debug, Default)]
pub struct TcpFollow {
    nodes: Option<(Node, Node)>,
    /// Next expected sequence number, per direction (0: client).
    next: [u32; 2],
    written: [u64; 2],
    pending: [Vec<Pending>; 2],
    buffered: [usize; 2],
    /// Out-of-order bytes dropped because the buffer was full.
    pub dropped: u64,
}

fn lt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}
fn gt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) > 0
}

impl TcpFollow {
    pub fn new() -> TcpFollow {
        TcpFollow::default()
    }

    /// Client (node 0) and server (node 1), once a segment has been seen.
    pub fn nodes(&self) -> Option<(Node, Node)> {
        self.nodes
    }

    /// Feeds one segment (every segment of the stream, in capture order, with or without
    /// payload: acknowledgments matter) and appends the chunks it completes to `out`.
    pub fn segment(&mut self, s: &Segment, out: &mut Vec<Chunk>) {
        let mut seq = if s.syn { s.seq.wrapping_add(1) } else { s.seq };
        let (client, _) = *self.nodes.get_or_insert((s.src, s.dst));
        let dir = usize::from(s.src != client);
        // Data the other side acknowledges but the capture lacks: tshark stops waiting for it.
        while self.check_pending(1 - dir, Some(s.ack), out) {}
        if self.written[dir] == 0 && self.next[dir] == 0 {
            self.next[dir] = seq;
        }
        let mut data = s.payload;
        if lt(seq, self.next[dir]) {
            let end = seq.wrapping_add(data.len() as u32);
            if gt(end, self.next[dir]) {
                let skip = self.next[dir].wrapping_sub(seq) as usize;
                data = data.get(skip..).unwrap_or(&[]);
                seq = self.next[dir];
            }
        }
        if data.is_empty() {
            return;
        }
        if seq == self.next[dir] {
            self.emit(dir, data.to_vec(), out);
            while self.check_pending(dir, None, out) {}
        } else if self.buffered[dir].saturating_add(data.len()) <= MAX_BUFFERED {
            self.buffered[dir] += data.len();
            self.pending[dir].push(Pending { seq, data: data.to_vec() });
        } else {
            self.dropped += data.len() as u64;
        }
    }

    fn emit(&mut self, dir: usize, data: Vec<u8>, out: &mut Vec<Chunk>) {
        self.next[dir] = self.next[dir].wrapping_add(data.len() as u32);
        self.written[dir] += data.len() as u64;
        out.push(Chunk { server: dir == 1, data });
    }

    /// Passes on the first buffered segment that fits (or is old), or fills an acknowledged
    /// gap with tshark's marker. True when something changed, so the caller loops.
    fn check_pending(&mut self, dir: usize, acked: Option<u32>, out: &mut Vec<Chunk>) -> bool {
        let Some(first) = self.pending[dir].first() else { return false };
        let mut lowest = first.seq;
        let next = self.next[dir];
        for i in 0..self.pending[dir].len() {
            let p_seq = self.pending[dir][i].seq;
            if gt(lowest, p_seq) {
                lowest = p_seq;
            }
            if lt(p_seq, next) {
                let p = self.pending[dir].remove(i);
                self.buffered[dir] -= p.data.len();
                let end = p.seq.wrapping_add(p.data.len() as u32);
                if gt(end, next) {
                    let skip = next.wrapping_sub(p.seq) as usize;
                    let rest = p.data.get(skip..).unwrap_or(&[]).to_vec();
                    self.emit(dir, rest, out);
                }
                return true;
            }
            if p_seq == next {
                let p = self.pending[dir].remove(i);
                self.buffered[dir] -= p.data.len();
                self.emit(dir, p.data, out);
                return true;
            }
        }
        if let Some(a) = acked {
            if gt(a, lowest) {
                let mut marker = format!("[{} bytes missing in capture file]", lowest.wrapping_sub(next) as i32).into_bytes();
                marker.push(0);
                self.written[dir] += marker.len() as u64;
                self.next[dir] = lowest;
                out.push(Chunk { server: dir == 1, data: marker });
                return true;
            }
        }
        false
    }
}

/// Follows one UDP conversation: each datagram is one chunk.
#[derive(Debug, Default)]
pub struct UdpFollow {
    nodes: Option<(Node, Node)>,
}

impl UdpFollow {
    pub fn new() -> UdpFollow {
        UdpFollow::default()
    }
    pub fn nodes(&self) -> Option<(Node, Node)> {
        self.nodes
    }
    pub fn datagram(&mut self, src: Node, dst: Node, payload: &[u8], out: &mut Vec<Chunk>) {
        let (client, _) = *self.nodes.get_or_insert((src, dst));
        if !payload.is_empty() {
            out.push(Chunk { server: src != client, data: payload.to_vec() });
        }
    }
}

/// How `follow` prints the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowFormat {
    Ascii,
    Hex,
    Raw,
}

impl FollowFormat {
    fn name(self) -> &'static str {
        match self {
            FollowFormat::Ascii => "ascii",
            FollowFormat::Hex => "hex",
            FollowFormat::Raw => "raw",
        }
    }
}

const SEPARATOR: &str = "===================================================================";

/// The lines before the first chunk, as tshark 4.0 prints them. `proto` is `tcp` or `udp`.
pub fn write_header(buf: &mut Vec<u8>, proto: &str, format: FollowFormat, stream: u64, nodes: Option<(Node, Node)>) {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = write!(s, "\n{SEPARATOR}\nFollow: {proto},{}\nFilter: {proto}.stream eq {stream}\n", format.name());
    match nodes {
        Some((a, b)) => {
            let _ = write!(s, "Node 0: {a}\nNode 1: {b}\n");
        }
        None => s.push_str("Node 0: :0\nNode 1: :0\n"),
    }
    buf.extend_from_slice(s.as_bytes());
}

/// The closing line.
pub fn write_footer(buf: &mut Vec<u8>) {
    buf.extend_from_slice(SEPARATOR.as_bytes());
    buf.push(b'\n');
}

fn printable(b: u8) -> bool {
    (0x20..0x7f).contains(&b)
}

/// One chunk. `offsets` counts the bytes printed so far per direction (the hex format numbers
/// each direction's bytes from 0) and is advanced.
///
/// In ascii, bytes that are not printable ASCII become `.` as in tshark; newline passes, and so
/// does a carriage return directly before a newline (tshark passes every CR, but a lone CR would
/// let a packet overwrite what the terminal already shows).
pub fn write_chunk(buf: &mut Vec<u8>, format: FollowFormat, chunk: &Chunk, offsets: &mut [u64; 2]) {
    use std::fmt::Write as _;
    let indent = if chunk.server { "\t" } else { "" };
    let d = &chunk.data;
    let mut s = String::with_capacity(d.len() * 4 + 16);
    match format {
        FollowFormat::Ascii => {
            let _ = writeln!(s, "{indent}{}", d.len());
            for (i, &b) in d.iter().enumerate() {
                let keep = printable(b) || b == b'\n' || (b == b'\r' && d.get(i + 1) == Some(&b'\n'));
                s.push(if keep { char::from(b) } else { '.' });
            }
            s.push('\n');
        }
        FollowFormat::Raw => {
            s.push_str(indent);
            for b in d {
                let _ = write!(s, "{b:02x}");
            }
            s.push('\n');
        }
        FollowFormat::Hex => {
            let base = offsets[usize::from(chunk.server)];
            for (n, line) in d.chunks(16).enumerate() {
                let _ = write!(s, "{indent}{:08X}  ", base + n as u64 * 16);
                let mut hex = String::with_capacity(50);
                for (i, b) in line.iter().enumerate() {
                    let _ = write!(hex, "{b:02x} ");
                    if i == 7 {
                        hex.push(' ');
                    }
                }
                let _ = write!(s, "{hex:<50}");
                for (i, &b) in line.iter().enumerate() {
                    if i == 8 {
                        s.push(' ');
                    }
                    s.push(if printable(b) { char::from(b) } else { '.' });
                }
                // tshark drops one trailing blank (so a space as the line's last byte vanishes).
                if s.ends_with(' ') {
                    s.pop();
                }
                s.push('\n');
            }
        }
    }
    offsets[usize::from(chunk.server)] += d.len() as u64;
    buf.extend_from_slice(s.as_bytes());
}

/// What [`Follower`] needs of one frame's layers: the followed protocol's addresses, ports,
/// numbers and payload. `None` for a frame of another protocol (or one cut short).
fn transport_of<'a>(layers: &[Layer], data: &'a [u8], tcp: bool) -> Option<(u64, Segment<'a>)> {
    let mut addrs = None;
    for l in layers.iter().filter(|l| l.depth == 0) {
        match l.protocol {
            "ip" | "ipv6" => {
                let (s, d) = if l.protocol == "ip" { ("ip.src", "ip.dst") } else { ("ipv6.src", "ipv6.dst") };
                let get = |k| match l.find(k).map(|f| &f.value) {
                    Some(Value::Ipv4(a)) => Some(IpAddr::V4(*a)),
                    Some(Value::Ipv6(a)) => Some(IpAddr::V6(*a)),
                    _ => None,
                };
                addrs = get(s).zip(get(d));
            }
            "tcp" if tcp => {
                let (src, dst) = addrs?;
                let num = |k| l.find(k).and_then(|f| f.value.as_u64());
                let stream = num("tcp.stream")?;
                let start = l.range.start.checked_add(num("tcp.hdr_len")? as usize)?;
                let end = start.saturating_add(num("tcp.len").unwrap_or(0) as usize).min(data.len());
                let seg = Segment {
                    src: Node { addr: src, port: num("tcp.srcport")? as u16 },
                    dst: Node { addr: dst, port: num("tcp.dstport")? as u16 },
                    seq: num("tcp.seq_raw")? as u32,
                    ack: num("tcp.ack_raw").unwrap_or(0) as u32,
                    syn: num("tcp.flags").is_some_and(|f| f & 0x02 != 0),
                    payload: data.get(start.min(end)..end).unwrap_or(&[]),
                };
                return Some((stream, seg));
            }
            "udp" if !tcp => {
                let (src, dst) = addrs?;
                let num = |k| l.find(k).and_then(|f| f.value.as_u64());
                let stream = num("udp.stream")?;
                let start = l.range.start.checked_add(8)?;
                let end = l.range.start.saturating_add(num("udp.length")? as usize).min(data.len());
                let seg = Segment {
                    src: Node { addr: src, port: num("udp.srcport")? as u16 },
                    dst: Node { addr: dst, port: num("udp.dstport")? as u16 },
                    seq: 0,
                    ack: 0,
                    syn: false,
                    payload: data.get(start.min(end)..end).unwrap_or(&[]),
                };
                return Some((stream, seg));
            }
            _ => {}
        }
    }
    None
}

/// `netlayers follow` over a whole capture, one frame at a time: feed every frame (its layers
/// already numbered by [`crate::Conversations`]) to [`Follower::frame`], then call
/// [`Follower::finish`]. Output is appended to the caller's buffer as soon as it is known, so
/// a long stream is printed while it is read.
#[derive(Debug)]
pub struct Follower {
    tcp: bool,
    stream: u64,
    format: FollowFormat,
    tcp_follow: TcpFollow,
    udp_follow: UdpFollow,
    offsets: [u64; 2],
    header_done: bool,
    chunks: Vec<Chunk>,
    /// Frames of the followed stream seen so far.
    pub frames: u64,
}

impl Follower {
    /// Follows TCP stream `stream` (or UDP stream, when `tcp` is false).
    pub fn new(tcp: bool, stream: u64, format: FollowFormat) -> Follower {
        Follower {
            tcp,
            stream,
            format,
            tcp_follow: TcpFollow::new(),
            udp_follow: UdpFollow::new(),
            offsets: [0, 0],
            header_done: false,
            chunks: Vec::new(),
            frames: 0,
        }
    }

    fn proto(&self) -> &'static str {
        if self.tcp { "tcp" } else { "udp" }
    }

    /// Takes one frame; appends to `out` what it completes.
    pub fn frame(&mut self, layers: &[Layer], data: &[u8], out: &mut Vec<u8>) {
        let Some((stream, seg)) = transport_of(layers, data, self.tcp) else { return };
        if stream != self.stream {
            return;
        }
        self.frames += 1;
        if self.tcp {
            self.tcp_follow.segment(&seg, &mut self.chunks);
        } else {
            self.udp_follow.datagram(seg.src, seg.dst, seg.payload, &mut self.chunks);
        }
        if !self.header_done {
            let nodes = if self.tcp { self.tcp_follow.nodes() } else { self.udp_follow.nodes() };
            write_header(out, self.proto(), self.format, self.stream, nodes);
            self.header_done = true;
        }
        for c in self.chunks.drain(..) {
            write_chunk(out, self.format, &c, &mut self.offsets);
        }
    }

    /// Ends the output (the header too, when no frame of the stream was seen).
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        if !self.header_done {
            write_header(out, self.proto(), self.format, self.stream, None);
            self.header_done = true;
        }
        write_footer(out);
    }

    /// Out-of-order bytes dropped because the reassembly buffer was full ([`MAX_BUFFERED`]).
    pub fn dropped(&self) -> u64 {
        self.tcp_follow.dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(last: u8, port: u16) -> Node {
        Node { addr: IpAddr::from([10, 0, 0, last]), port }
    }

    fn seg<'a>(from_client: bool, seq: u32, ack: u32, syn: bool, payload: &'a [u8]) -> Segment<'a> {
        let (c, s) = (node(1, 1000), node(2, 80));
        let (src, dst) = if from_client { (c, s) } else { (s, c) };
        Segment { src, dst, seq, ack, syn, payload }
    }

    fn feed(segs: &[Segment]) -> Vec<Chunk> {
        let mut f = TcpFollow::new();
        let mut out = Vec::new();
        for s in segs {
            f.segment(s, &mut out);
        }
        out
    }

    #[test]
    fn retransmission_is_passed_on_once_and_out_of_order_is_put_right() {
        let out = feed(&[
            seg(true, 100, 0, true, b""),
            seg(false, 500, 101, true, b""),
            seg(true, 101, 501, false, b"abc"),
            seg(true, 101, 501, false, b"abc"),
            seg(true, 107, 501, false, b"ghi"),
            seg(true, 104, 501, false, b"def"),
            seg(true, 102, 501, false, b"bcdefghij"),
        ]);
        let text: Vec<&[u8]> = out.iter().map(|c| c.data.as_slice()).collect();
        assert_eq!(text, [&b"abc"[..], b"def", b"ghi", b"j"]);
        assert!(out.iter().all(|c| !c.server));
    }

    #[test]
    fn acknowledged_gap_becomes_the_marker() {
        let out = feed(&[
            seg(true, 100, 0, true, b""),
            seg(false, 500, 101, true, b""),
            seg(false, 501, 101, false, b"ab"),
            seg(false, 505, 101, false, b"ef"),
            seg(true, 101, 507, false, b""),
        ]);
        assert_eq!(out.len(), 3);
        assert_eq!(out[1].data, b"[2 bytes missing in capture file]\0");
        assert_eq!(out[2].data, b"ef");
        assert!(out.iter().all(|c| c.server));
    }

    #[test]
    fn buffer_is_bounded() {
        let mut f = TcpFollow::new();
        let mut out = Vec::new();
        let big = vec![0u8; MAX_BUFFERED / 2 + 1];
        f.segment(&seg(true, 100, 0, true, b""), &mut out);
        f.segment(&seg(true, 1000, 0, false, &big), &mut out);
        f.segment(&seg(true, 10_000_000, 0, false, &big), &mut out);
        assert_eq!(f.dropped, big.len() as u64);
        assert!(out.is_empty());
    }

    #[test]
    fn hex_lines_have_tsharks_columns() {
        let mut buf = Vec::new();
        let mut off = [0, 0x1e];
        let c = Chunk { server: true, data: b"0123456789abcdef\x00\r\n".to_vec() };
        write_chunk(&mut buf, FollowFormat::Hex, &c, &mut off);
        let s = String::from_utf8(buf).unwrap();
        assert_eq!(
            s,
            "\t0000001E  30 31 32 33 34 35 36 37  38 39 61 62 63 64 65 66  01234567 89abcdef\n\
             \t0000002E  00 0d 0a                                          ...\n"
        );
        assert_eq!(off[1], 0x1e + 19);
    }

    #[test]
    fn ascii_hides_control_bytes_but_keeps_lines() {
        let mut buf = Vec::new();
        let c = Chunk { server: false, data: b"a\x1b[2Jb\rc\r\n\t\xe4".to_vec() };
        write_chunk(&mut buf, FollowFormat::Ascii, &c, &mut [0, 0]);
        assert_eq!(buf, b"12\na.[2Jb.c\r\n..\n");
    }
}
