//! TCP expert info: retransmissions, duplicate ACKs, lost and out-of-order segments, window
//! trouble and resets, flagged across frames as Wireshark 4.0's sequence analysis flags them.
//!
//! Each direction of a connection remembers the next sequence number it should send (and when
//! that was set), the last acknowledgment and window it sent, and how many duplicate ACKs in a
//! row it has sent. A segment is then judged in Wireshark's order: zero window, lost segment
//! (a gap before it), window full, duplicate ACK; and a segment that does not advance the
//! sequence number is a fast retransmission (after 2+ duplicate ACKs, within 20 ms), an
//! out-of-order segment (within the handshake's round-trip time, 3 ms if unknown, of the newest
//! segment) or a retransmission. Checked against tshark 4.0 on captures/crafted/tcp-loss.pcap.

use std::collections::BTreeMap;
use std::net::IpAddr;

use netlayers_core::{Field, FieldSpec, Layer, Note, Recent, Severity, Text, Timestamp, Value};

macro_rules! spec {
    ($name:ident, $key:literal, $en:literal, $zh:literal, $xen:literal, $xzh:literal) => {
        pub static $name: FieldSpec = FieldSpec::new($key, Text::new($en, $zh), Text::new($xen, $xzh));
    };
}

spec!(ANALYSIS, "tcp.analysis", "SEQ/ACK analysis", "序号/确认号分析",
    "What comparing this segment with earlier ones of the same connection shows.",
    "把这个报文段和同一连接中之前的报文段对比后得出的结论。");
spec!(FLAGS, "tcp.analysis.flags", "TCP Analysis Flags", "TCP 分析标记",
    "The problems found: each child names one.", "发现的问题,每个子项说明一种。");
spec!(RETRANSMISSION, "tcp.analysis.retransmission", "This frame is a (suspected) retransmission", "这一帧疑似重传",
    "The segment carries sequence numbers already sent: the sender got no acknowledgment in time and sent the data again.",
    "这个报文段携带的序号之前已经发送过:发送方没有及时收到确认,于是再发一遍。");
spec!(FAST_RETRANSMISSION, "tcp.analysis.fast_retransmission", "This frame is a (suspected) fast retransmission", "这一帧疑似快速重传",
    "Resent right after duplicate ACKs asked for it, without waiting for the retransmission timer (RFC 5681).",
    "收到重复确认后立即重发,不必等重传计时器超时(RFC 5681 快速重传)。");
spec!(DUPLICATE_ACK, "tcp.analysis.duplicate_ack", "This is a TCP duplicate ack", "这是一个重复确认",
    "The same acknowledgment number and window again without data: the receiver got a segment beyond a gap and repeats what it still waits for.",
    "不带数据、确认号和窗口都与上一个相同:接收方收到了缺口之后的报文段,于是重复说明自己还在等哪个字节。");
spec!(DUPLICATE_ACK_NUM, "tcp.analysis.duplicate_ack_num", "Duplicate ACK #", "重复确认序号",
    "How many duplicate ACKs in a row this one is; three make the sender retransmit at once.",
    "这是连续第几个重复确认;连续三个会让发送方立即重传。");
spec!(DUPLICATE_ACK_FRAME, "tcp.analysis.duplicate_ack_frame", "Duplicate to the ACK in frame", "重复的是哪一帧的确认",
    "The frame whose acknowledgment this one repeats.", "这个确认重复的是哪一帧中的确认。");
spec!(OUT_OF_ORDER, "tcp.analysis.out_of_order", "This frame is a (suspected) out-of-order segment", "这一帧疑似乱序报文段",
    "Sequence numbers lower than ones already seen, arriving too soon after them to be a retransmission: the network reordered it.",
    "序号比已经看到的更小,但到达得太快,不像重传:是网络把顺序打乱了。");
spec!(ZERO_WINDOW, "tcp.analysis.zero_window", "This is a ZeroWindow segment", "这是一个零窗口报文段",
    "The sender of this segment advertises a window of 0: its receive buffer is full, the other side must stop sending.",
    "发送这个报文段的一方通告窗口为 0:它的接收缓冲区满了,对方必须暂停发送。");
spec!(WINDOW_FULL, "tcp.analysis.window_full", "The transmission window is now completely full", "发送窗口已经完全用满",
    "This segment reaches exactly the end of the window the receiver last advertised: the sender must now wait for an ACK.",
    "这个报文段正好用到接收方上次通告窗口的末尾:发送方现在必须等确认才能继续发。");
spec!(LOST_SEGMENT, "tcp.analysis.lost_segment", "Previous segment(s) not captured (common at capture start)", "之前的报文段没有被捕获(抓包刚开始时常见)",
    "The sequence number jumps past the next expected one: bytes in between were lost, or the capture missed them.",
    "序号跳过了预期的下一个值:中间的字节丢失了,或者抓包时没有抓到。");
spec!(SPURIOUS_RETRANSMISSION, "tcp.analysis.spurious_retransmission", "This frame is a (suspected) spurious retransmission", "这一帧疑似多余的重传",
    "Data the receiver had already acknowledged is sent again: the retransmission was not needed (the ACK was late or lost on its way back).",
    "重发的数据接收方早已确认过:这次重传其实不必要(确认来晚了,或在返回途中丢了)。");
spec!(KEEP_ALIVE, "tcp.analysis.keep_alive", "This is a TCP keep-alive segment", "这是一个 TCP 保活报文段",
    "One byte before the next expected sequence number, with no data or one byte: an idle connection checking that the other side is still there.",
    "序号比预期的下一个值小 1,不带数据或只带 1 个字节:空闲的连接借此确认对方是否还在。");
spec!(KEEP_ALIVE_ACK, "tcp.analysis.keep_alive_ack", "This is an ACK to a TCP keep-alive segment", "这是对 TCP 保活报文段的确认",
    "The other side's answer to a keep-alive: the same acknowledgment again, which shows it is still there.",
    "对方对保活报文段的应答:再次发出同样的确认,说明它还在。");
spec!(WINDOW_UPDATE, "tcp.analysis.window_update", "This is a TCP window update", "这是一个 TCP 窗口更新",
    "No data and the same sequence and acknowledgment numbers, only a new window: the receiver tells how much it can take now.",
    "不带数据,序号和确认号都不变,只有窗口变了:接收方告诉对方自己现在能接收多少。");
spec!(ZERO_WINDOW_PROBE, "tcp.analysis.zero_window_probe", "This is a TCP zero-window probe", "这是一个 TCP 零窗口探测",
    "One byte sent although the other side advertised a window of 0: asking whether its buffer has room again.",
    "对方通告窗口为 0,这里仍发出 1 个字节:探问对方的缓冲区是否又有空间了。");
spec!(ZERO_WINDOW_PROBE_ACK, "tcp.analysis.zero_window_probe_ack", "This is an ACK to a TCP zero-window probe", "这是对 TCP 零窗口探测的确认",
    "The answer to a zero-window probe that still advertises a window of 0.",
    "对零窗口探测的应答,窗口仍然是 0。");
spec!(ACK_LOST_SEGMENT, "tcp.analysis.ack_lost_segment", "ACKed segment that wasn't captured (common at capture start)", "确认了一个没有被捕获的报文段(抓包刚开始时常见)",
    "The acknowledgment number is beyond every byte seen from the other side: some of its segments were not captured.",
    "确认号超出了从对方那里看到的所有字节:对方的某些报文段没有被抓到。");
spec!(REUSED_PORTS, "tcp.analysis.reused_ports", "A new tcp session is started with the same ports as an earlier session in this trace", "新的 TCP 会话使用了本次抓包中先前会话的相同端口",
    "A SYN with a new initial sequence number on the same addresses and ports as an earlier connection: a new connection, numbered as a new stream.",
    "在与先前连接相同的地址和端口上出现了带有新初始序号的 SYN:这是一条新连接,编为新的流。");
spec!(INITIAL_RTT, "tcp.analysis.initial_rtt", "iRTT", "初始往返时间",
    "Seconds from the client's SYN to its ACK ending the handshake: one round trip seen from where the capture was made.",
    "从客户端的 SYN 到它结束握手的 ACK 所经过的秒数:在抓包位置看到的一次往返时间。");

/// Every field spec this module can add.
pub static FIELDS: &[&FieldSpec] = &[
    &ANALYSIS, &FLAGS, &RETRANSMISSION, &FAST_RETRANSMISSION, &DUPLICATE_ACK, &DUPLICATE_ACK_NUM,
    &DUPLICATE_ACK_FRAME, &OUT_OF_ORDER, &ZERO_WINDOW, &WINDOW_FULL, &LOST_SEGMENT, &INITIAL_RTT,
    &SPURIOUS_RETRANSMISSION, &KEEP_ALIVE, &KEEP_ALIVE_ACK, &WINDOW_UPDATE, &ZERO_WINDOW_PROBE,
    &ZERO_WINDOW_PROBE_ACK, &ACK_LOST_SEGMENT, &REUSED_PORTS,
];

/// The kinds of expert info counted for `stats`, in the order they are shown.
pub const KINDS: &[&str] = &[
    "tcp.analysis.retransmission", "tcp.analysis.fast_retransmission", "tcp.analysis.spurious_retransmission",
    "tcp.analysis.duplicate_ack", "tcp.analysis.out_of_order", "tcp.analysis.lost_segment", "tcp.analysis.ack_lost_segment",
    "tcp.analysis.keep_alive", "tcp.analysis.keep_alive_ack", "tcp.analysis.window_update",
    "tcp.analysis.zero_window", "tcp.analysis.zero_window_probe", "tcp.analysis.zero_window_probe_ack",
    "tcp.analysis.window_full", "tcp.analysis.reused_ports", "tcp.connection.rst",
    "ip.checksum.bad", "icmp.checksum.bad", "igmp.checksum.bad", "icmpv6.checksum.bad", "tcp.checksum.bad",
    "udp.checksum.bad",
];

const FIN: u64 = 0x01;
const SYN: u64 = 0x02;
const RST: u64 = 0x04;
const ACK: u64 = 0x10;

fn lt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}
fn gt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) > 0
}

#[derive(Debug, Default)]
struct Dir {
    next_seq: Option<u32>,
    /// The end of the bytes seen in order from the start (Wireshark's "max seq to be acked"):
    /// an ACK from the other side beyond it acknowledges bytes the capture never saw.
    max_to_ack: Option<u32>,
    next_seq_time: Timestamp,
    last_ack: Option<u32>,
    last_ack_time: Timestamp,
    window: Option<u64>,
    dup_acks: u64,
    last_non_dup_ack: u64,
    /// The window-scale option of this direction's SYN: `None` until a SYN is seen.
    syn_wscale: Option<Option<u8>>,
    /// The last segment of this direction was a keep-alive / a zero-window probe.
    last_keep_alive: bool,
    last_zero_window_probe: bool,
}

#[derive(Debug, Default)]
struct Conn {
    /// Index 0: the direction from the smaller endpoint.
    dirs: [Dir; 2],
    syn_time: Option<Timestamp>,
    syn_seq: Option<u32>,
    irtt: Option<f64>,
}

/// A checksum whose failures `stats` counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checksum {
    Ip,
    Icmp,
    Igmp,
    Icmpv6,
    Tcp,
    Udp,
}

impl Checksum {
    const ALL: [Checksum; 6] = [Checksum::Ip, Checksum::Icmp, Checksum::Igmp, Checksum::Icmpv6, Checksum::Tcp, Checksum::Udp];

    /// The expert info's key (one of [`KINDS`]).
    pub fn key(self) -> &'static str {
        match self {
            Checksum::Ip => "ip.checksum.bad",
            Checksum::Icmp => "icmp.checksum.bad",
            Checksum::Igmp => "igmp.checksum.bad",
            Checksum::Icmpv6 => "icmpv6.checksum.bad",
            Checksum::Tcp => "tcp.checksum.bad",
            Checksum::Udp => "udp.checksum.bad",
        }
    }

    /// The checksum of a layer of this protocol, if it has one.
    fn of_protocol(protocol: &str) -> Option<Checksum> {
        Some(match protocol {
            "ip" => Checksum::Ip,
            "icmp" => Checksum::Icmp,
            "igmp" => Checksum::Igmp,
            "icmpv6" => Checksum::Icmpv6,
            "tcp" => Checksum::Tcp,
            "udp" => Checksum::Udp,
            _ => return None,
        })
    }
}

/// The bad checksums of one frame, per kind: found where the frame is read and counted later by
/// [`Expert::count_checksums`] (the checking needs nothing from earlier frames, so `stats` does
/// it on the reading thread).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BadChecksums([u32; 6]);

impl BadChecksums {
    /// One more bad checksum of this kind.
    pub fn add(&mut self, kind: Checksum) {
        self.0[kind as usize] += 1;
    }

    pub fn is_empty(&self) -> bool {
        self.0 == [0; 6]
    }

    /// What the decoders' `checksum.bad` notes say of the frame's own layers (depth 0), one
    /// per layer at most.
    pub fn of_layers(layers: &[Layer]) -> BadChecksums {
        let mut bad = BadChecksums::default();
        for l in layers.iter().filter(|l| l.depth == 0) {
            let Some(kind) = Checksum::of_protocol(l.protocol) else { continue };
            let mut found = false;
            l.walk(&mut |f| found |= f.notes.iter().any(|n| n.id == "checksum.bad"));
            if found {
                bad.add(kind);
            }
        }
        bad
    }
}

/// Judges TCP segments across the frames of one capture, in order.
#[derive(Debug, Default)]
pub struct Expert {
    conns: Recent<u64, Conn>,
    /// Set by [`Expert::ports_reused`] for the next segment.
    reused: bool,
    counts: BTreeMap<&'static str, u64>,
}

/// The number in a TCP header field or in `tcp.stream`: top-level fields of the TCP layer.
fn num(l: &Layer, k: &str) -> Option<u64> {
    l.top_field(k).and_then(|f| f.value.as_u64())
}

/// The shift of the segment's window-scale option, found in its options (a top-level group).
fn wscale_shift(l: &Layer) -> Option<u8> {
    let shift = l.top_field("tcp.options")?.find("tcp.options.wscale.shift")?;
    shift.value.as_u64().map(|s| s as u8)
}

fn secs(t: Timestamp, since: Timestamp) -> f64 {
    t.since(since)
}

impl Expert {
    pub fn new() -> Expert {
        Expert::default()
    }

    /// Counts the frame's bad checksums (the decoders' `checksum.bad` notes), per protocol, for
    /// [`Expert::summary`]. Only the frame's own headers: a packet quoted in an ICMP error is
    /// often cut, and its checksum is not checked as the sender's.
    pub fn count_bad_checksums(&mut self, layers: &[Layer]) {
        self.count_checksums(&BadChecksums::of_layers(layers));
    }

    /// Counts bad checksums found beforehand (by the fast path of `stats`, on the thread that
    /// reads the frames).
    pub fn count_checksums(&mut self, bad: &BadChecksums) {
        if bad.is_empty() {
            return;
        }
        for (kind, &n) in Checksum::ALL.iter().zip(&bad.0) {
            if n > 0 {
                *self.counts.entry(kind.key()).or_default() += u64::from(n);
            }
        }
    }

    /// Tells the expert that the next frame reuses the ports of an earlier connection (what
    /// [`crate::Conversations::ports_reused`] found), so it is flagged as tshark flags it.
    pub fn ports_reused(&mut self) {
        self.reused = true;
    }

    /// How many frames got each kind of expert info so far (keys as in [`KINDS`]).
    pub fn summary(&self) -> Vec<(&'static str, u64)> {
        KINDS.iter().map(|k| (*k, self.counts.get(k).copied().unwrap_or(0))).collect()
    }

    /// Adds `tcp.analysis` (and a note per problem) to the frame's own TCP layer. Call once per
    /// frame, in capture order, after [`crate::Conversations::annotate`] (it needs `tcp.stream`).
    ///
    /// Returns whether the segment is a retransmission or out of order (not a spurious one):
    /// tshark then does not hand its payload to the protocol above.
    pub fn annotate(&mut self, layers: &mut [Layer], number: u64, ts: Timestamp) -> bool {
        let reused = std::mem::take(&mut self.reused);
        let mut addrs: Option<(IpAddr, IpAddr)> = None;
        for l in layers.iter_mut() {
            if l.depth != 0 {
                return false;
            }
            match l.protocol {
                "ip" | "ipv6" => addrs = crate::ip_endpoints(l),
                "tcp" => return self.segment(l, addrs, number, ts, reused),
                _ => {}
            }
        }
        false
    }

    fn segment(&mut self, l: &mut Layer, addrs: Option<(IpAddr, IpAddr)>, number: u64, ts: Timestamp, reused: bool) -> bool {
        let (Some((src, dst)), Some(stream), Some(sp), Some(dp), Some(seq), Some(flags), Some(win)) = (
            addrs,
            num(l, "tcp.stream"),
            num(l, "tcp.srcport"),
            num(l, "tcp.dstport"),
            num(l, "tcp.seq_raw"),
            num(l, "tcp.flags"),
            num(l, "tcp.window_size_value"),
        ) else {
            return false;
        };
        let seg = Segment {
            src: (src, sp as u16),
            dst: (dst, dp as u16),
            stream,
            seq: seq as u32,
            ack: num(l, "tcp.ack_raw").unwrap_or(0) as u32,
            len: num(l, "tcp.len").unwrap_or(0) as u32,
            flags: flags as u16,
            win,
            wscale: wscale_shift(l),
        };
        let v = self.judge_segment(&seg, number, ts, reused);
        v.apply(l);
        v.not_dissected()
    }

    /// Judges the frame's own TCP segment, read by a caller from the header without layers (the
    /// packet list's fast path). Call once per frame in capture order, as `annotate`, after
    /// [`Expert::ports_reused`] if the conversations said so.
    pub fn judge(&mut self, seg: &Segment, number: u64, ts: Timestamp) -> Verdict {
        let reused = std::mem::take(&mut self.reused);
        self.judge_segment(seg, number, ts, reused)
    }

    /// Starts a frame without TCP, for callers that do not call `annotate`.
    pub fn other_frame(&mut self) {
        self.reused = false;
    }

    fn judge_segment(&mut self, s: &Segment, number: u64, ts: Timestamp, reused: bool) -> Verdict {
        let ((src, sp), (dst, dp)) = (s.src, s.dst);
        let (seq, ack, seglen, win, stream) = (s.seq, s.ack, s.len, s.win, s.stream);
        let flags = u64::from(s.flags);
        let d = usize::from((src, sp) > (dst, dp));
        let c = self.conns.get_or_default(stream);
        let mut got: Vec<&'static FieldSpec> = Vec::new();
        if reused {
            got.push(&REUSED_PORTS);
        }
        let mut dup_num = None;

        if flags & SYN != 0 {
            c.dirs[d].syn_wscale = Some(s.wscale);
            if flags & ACK == 0 {
                c.syn_time = Some(ts);
                c.syn_seq = Some(seq);
            }
        } else if flags & ACK != 0 && c.irtt.is_none() {
            if let (Some(t), Some(s)) = (c.syn_time, c.syn_seq) {
                if seq == s.wrapping_add(1) {
                    c.irtt = Some(secs(ts, t));
                }
            }
        }

        let [a, b] = &mut c.dirs;
        let (fwd, rev) = if d == 0 { (a, b) } else { (b, a) };
        let no_sfr = flags & (SYN | FIN | RST) == 0;
        // The order and the early exits are tshark 4.0's (tcp_analyze_sequence_number).
        let mut keep_alive = false;
        let mut zero_window_probe = false;
        'checks: {
            if seglen == 1 && fwd.next_seq == Some(seq) && rev.window == Some(0) {
                zero_window_probe = true;
                got.push(&ZERO_WINDOW_PROBE);
                break 'checks;
            }
            if win == 0 && no_sfr {
                got.push(&ZERO_WINDOW);
            }
            if fwd.next_seq.is_some_and(|n| gt(seq, n)) && flags & RST == 0 {
                got.push(&LOST_SEGMENT);
            }
            // One byte or none, one before the expected number: a keep-alive, no retransmission.
            if seglen <= 1 && no_sfr && fwd.next_seq == Some(seq.wrapping_add(1)) {
                keep_alive = true;
                got.push(&KEEP_ALIVE);
                break 'checks;
            }
            let same_numbers = seglen == 0 && no_sfr && fwd.next_seq == Some(seq) && fwd.last_ack == Some(ack);
            if same_numbers && win != 0 && fwd.window.is_some_and(|w| w != win) {
                got.push(&WINDOW_UPDATE);
                break 'checks;
            }
            // Only once both SYNs told whether the window is scaled.
            if let (Some(sh_rev), Some(sh_fwd), Some(rwin), Some(rack)) =
                (rev.syn_wscale, fwd.syn_wscale, rev.window, rev.last_ack)
            {
                let shift = match (sh_rev, sh_fwd) {
                    (Some(s), Some(_)) => u32::from(s).min(14),
                    _ => 0,
                };
                let edge = u64::from(rack) + (rwin << shift);
                if seglen > 0 && no_sfr && u64::from(seq.wrapping_add(seglen)) == edge & 0xffff_ffff {
                    got.push(&WINDOW_FULL);
                }
            }
            if same_numbers && win != 0 && fwd.window == Some(win) && rev.last_keep_alive {
                got.push(&KEEP_ALIVE_ACK);
                break 'checks;
            }
            if seglen == 0
                && no_sfr
                && win == 0
                && fwd.window == Some(0)
                && fwd.next_seq == Some(seq)
                && fwd.last_ack.is_some_and(|a| a == ack || a.wrapping_add(1) == ack)
                && rev.last_zero_window_probe
            {
                got.push(&ZERO_WINDOW_PROBE_ACK);
                break 'checks;
            }
            if same_numbers && win != 0 && fwd.window == Some(win) {
                fwd.dup_acks += 1;
                got.push(&DUPLICATE_ACK);
                dup_num = Some((fwd.dup_acks, fwd.last_non_dup_ack));
            }
        }
        fwd.last_keep_alive = keep_alive;
        fwd.last_zero_window_probe = zero_window_probe;
        if fwd.last_ack != Some(ack) {
            fwd.last_non_dup_ack = number;
            fwd.dup_acks = 0;
        }
        if let Some(m) = rev.max_to_ack {
            if flags & ACK != 0 && gt(ack, m) {
                got.push(&ACK_LOST_SEGMENT);
                // Said once: from now on the ACK is measured against what was seen.
                rev.max_to_ack = rev.next_seq;
            }
        }
        if (seglen > 0 || flags & (SYN | FIN) != 0) && fwd.next_seq.is_some_and(|n| lt(seq, n)) && !keep_alive {
            let since_ack = secs(ts, rev.last_ack_time);
            let since_next = secs(ts, fwd.next_seq_time);
            let ooo = c.irtt.unwrap_or(0.003);
            if rev.dup_acks >= 2 && rev.last_ack == Some(seq) && since_ack < 0.020 {
                got.push(&FAST_RETRANSMISSION);
                got.push(&RETRANSMISSION);
            } else if since_next < ooo && fwd.next_seq != Some(seq.wrapping_add(seglen)) {
                got.push(&OUT_OF_ORDER);
            } else {
                // Data the other side has acknowledged already: sent again for nothing. tshark
                // still matches it with tcp.analysis.retransmission too.
                if seglen > 0 && rev.last_ack.is_some_and(|a| a != 0 && !gt(seq.wrapping_add(seglen), a)) {
                    got.push(&SPURIOUS_RETRANSMISSION);
                }
                got.push(&RETRANSMISSION);
            }
        }
        // As tshark: the highest sequence number seen so far (a bare ACK counts with its own
        // number), except a zero-window probe's byte, which does not count as sent.
        let mut next = seq.wrapping_add(seglen);
        if flags & (SYN | FIN) != 0 {
            next = next.wrapping_add(1);
        }
        if fwd.next_seq.is_none_or(|n| gt(next, n)) && !zero_window_probe {
            fwd.next_seq = Some(next);
            // tshark 4.0 does not time a SYN as the newest segment: a SYN sent again soon
            // after is a retransmission, not out of order (filter/streams.pcap frame 3).
            if flags & SYN == 0 {
                fwd.next_seq_time = ts;
            }
        }
        if (fwd.max_to_ack.is_none() || fwd.max_to_ack == Some(seq)) && !zero_window_probe {
            fwd.max_to_ack = fwd.next_seq;
        }
        fwd.window = Some(win);
        fwd.last_ack = Some(ack);
        fwd.last_ack_time = ts;
        let irtt = c.irtt;

        for s in &got {
            *self.counts.entry(s.key).or_default() += 1;
        }
        let rst = flags & RST != 0;
        if rst {
            *self.counts.entry("tcp.connection.rst").or_default() += 1;
        }
        Verdict { got, dup: dup_num, irtt, rst }
    }
}

/// The numbers of one TCP segment the expert judges.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Segment {
    pub src: (IpAddr, u16),
    pub dst: (IpAddr, u16),
    /// `tcp.stream`, from [`crate::Conversations`].
    pub stream: u64,
    /// Raw (absolute) sequence and acknowledgment numbers.
    pub seq: u32,
    pub ack: u32,
    /// `tcp.len`: payload bytes.
    pub len: u32,
    pub flags: u16,
    /// `tcp.window_size_value`, unscaled.
    pub win: u64,
    /// The window-scale option's shift, if the segment has one.
    pub wscale: Option<u8>,
}

/// What the expert found in one segment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Verdict {
    got: Vec<&'static FieldSpec>,
    /// (number of this duplicate ACK, frame of the ACK it repeats).
    dup: Option<(u64, u64)>,
    irtt: Option<f64>,
    rst: bool,
}

impl Verdict {
    /// The text in front of the Info column (`[TCP Retransmission] ` …), if any.
    pub fn info_prefix(&self) -> Option<String> {
        (!self.got.is_empty()).then(|| info_prefix(&self.got, self.dup))
    }

    /// `tcp.analysis.initial_rtt` in seconds, once the connection's handshake was seen.
    pub fn initial_rtt(&self) -> Option<f64> {
        self.irtt
    }

    /// The keys of what was found (`tcp.analysis.retransmission` …), in the order the
    /// `tcp.analysis.flags` tree lists them.
    pub fn findings(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.got.iter().map(|s| s.key)
    }

    /// For a duplicate ACK: its number among the duplicates, and the frame of the ACK it repeats.
    pub fn duplicate_ack(&self) -> Option<(u64, u64)> {
        self.dup
    }

    /// Whether the segment is a retransmission or out of order, whose payload tshark does not
    /// hand to HTTP, DNS … again.
    pub fn not_dissected(&self) -> bool {
        let has = |k: &str| self.got.iter().any(|s| s.key == k);
        (has("tcp.analysis.retransmission") || has("tcp.analysis.out_of_order"))
            && !has("tcp.analysis.spurious_retransmission")
    }

    /// Writes the findings into the TCP layer: the RST note, the Info prefix, and the
    /// `tcp.analysis` tree.
    fn apply(&self, l: &mut Layer) {
        if self.rst {
            let (sev, en, zh) = describe("tcp.connection.rst");
            l.notes.push(Note::new(sev, "tcp.connection.rst", en, zh));
        }
        if let Some(p) = self.info_prefix() {
            l.info_prefix = Some(p);
        }
        if self.got.is_empty() && self.irtt.is_none() {
            return;
        }
        let mut children = Vec::new();
        if let Some(r) = self.irtt {
            // Formatted once (a float to nine places is the costly part), shown with its unit.
            let secs = format!("{r:.9}");
            let display = [secs.as_str(), " seconds"].concat();
            children.push(Field::generated(&INITIAL_RTT, Value::Text(secs)).with_display(display));
        }
        if !self.got.is_empty() {
            let mut flag_fields = Vec::new();
            for s in &self.got {
                let (sev, en, zh) = note_text(s.key, self.dup.map_or(0, |x| x.0));
                flag_fields.push(Field::generated(s, Value::None).with_note(Note::new(sev, s.key, en, zh)));
            }
            children.push(Field::generated(&FLAGS, Value::None).with_children(flag_fields));
        }
        if let Some((n, frame)) = self.dup {
            children.push(Field::generated(&DUPLICATE_ACK_NUM, Value::UInt(n)));
            children.push(Field::generated(&DUPLICATE_ACK_FRAME, Value::UInt(frame)));
        }
        l.fields.push(Field::generated(&ANALYSIS, Value::None).with_children(children));
    }
}

/// How serious a kind of expert info is, and its summary in English and Chinese (as Wireshark's
/// Expert Information dialog lists it). `tcp.connection.rst` included.
pub fn describe(key: &str) -> (Severity, &'static str, &'static str) {
    match key {
        "tcp.analysis.retransmission" => (Severity::Note, "This frame is a (suspected) retransmission", "疑似重传"),
        "tcp.analysis.fast_retransmission" => (Severity::Note, "This frame is a (suspected) fast retransmission", "疑似快速重传"),
        "tcp.analysis.out_of_order" => (Severity::Warn, "This frame is a (suspected) out-of-order segment", "疑似乱序报文段"),
        "tcp.analysis.zero_window" => (Severity::Warn, "TCP Zero Window segment: the receiver's buffer is full", "TCP 零窗口:接收方缓冲区已满"),
        "tcp.analysis.window_full" => (Severity::Warn, "TCP window specified by the receiver is now completely full", "接收方通告的窗口已经用满"),
        "tcp.analysis.lost_segment" => (Severity::Warn, "Previous segment(s) not captured (common at capture start)", "之前的报文段没有被捕获(抓包刚开始时常见)"),
        "tcp.analysis.spurious_retransmission" => (Severity::Note, "This frame is a (suspected) spurious retransmission", "疑似多余的重传"),
        "tcp.analysis.keep_alive" => (Severity::Note, "TCP keep-alive segment", "TCP 保活报文段"),
        "tcp.analysis.keep_alive_ack" => (Severity::Note, "ACK to a TCP keep-alive segment", "对 TCP 保活报文段的确认"),
        "tcp.analysis.window_update" => (Severity::Chat, "TCP window update", "TCP 窗口更新"),
        "tcp.analysis.zero_window_probe" => (Severity::Note, "TCP zero-window probe", "TCP 零窗口探测"),
        "tcp.analysis.zero_window_probe_ack" => (Severity::Note, "ACK to a TCP zero-window probe", "对 TCP 零窗口探测的确认"),
        "tcp.analysis.duplicate_ack" => (Severity::Note, "Duplicate ACK", "重复确认"),
        "tcp.analysis.reused_ports" => (Severity::Note, "A new tcp session is started with the same ports as an earlier session in this trace", "新的 TCP 会话使用了先前会话的相同端口"),
        "tcp.analysis.ack_lost_segment" => (Severity::Warn, "ACKed segment that wasn't captured (common at capture start)", "确认了一个没有被捕获的报文段(抓包刚开始时常见)"),
        "tcp.connection.rst" => (Severity::Warn, "Connection reset (RST)", "连接被重置(RST)"),
        "ip.checksum.bad" => (Severity::Error, "Bad IPv4 header checksum", "IPv4 首部校验和错误"),
        "icmp.checksum.bad" => (Severity::Warn, "Bad ICMP checksum", "ICMP 校验和错误"),
        "igmp.checksum.bad" => (Severity::Error, "Bad IGMP checksum", "IGMP 校验和错误"),
        "icmpv6.checksum.bad" => (Severity::Warn, "Bad ICMPv6 checksum", "ICMPv6 校验和错误"),
        "tcp.checksum.bad" => (Severity::Error, "Bad TCP checksum (captured on the sender? usually checksum offload)", "TCP 校验和错误(在发送端抓的包?通常是校验和卸载)"),
        "udp.checksum.bad" => (Severity::Error, "Bad UDP checksum (captured on the sender? usually checksum offload)", "UDP 校验和错误(在发送端抓的包?通常是校验和卸载)"),
        _ => (Severity::Note, "", ""),
    }
}

/// The Info column's prefix, as Wireshark writes it: each finding put in front of the ones
/// before it, in the order its TCP dissector looks at them. A fast or spurious
/// retransmission is named as such only, not as a retransmission too.
fn info_prefix(got: &[&'static FieldSpec], dup: Option<(u64, u64)>) -> String {
    let has = |k: &str| got.iter().any(|s| s.key == k);
    let special = has("tcp.analysis.fast_retransmission") || has("tcp.analysis.spurious_retransmission");
    let mut out = String::new();
    let mut put = |text: String| out.insert_str(0, &text);
    for (key, text) in [
        ("tcp.analysis.reused_ports", "[TCP Port numbers reused] "),
        ("tcp.analysis.retransmission", "[TCP Retransmission] "),
        ("tcp.analysis.fast_retransmission", "[TCP Fast Retransmission] "),
        ("tcp.analysis.out_of_order", "[TCP Out-Of-Order] "),
        ("tcp.analysis.lost_segment", "[TCP Previous segment not captured] "),
        ("tcp.analysis.ack_lost_segment", "[TCP ACKed unseen segment] "),
        ("tcp.analysis.keep_alive", "[TCP Keep-Alive] "),
        ("tcp.analysis.window_update", "[TCP Window Update] "),
        ("tcp.analysis.window_full", "[TCP Window Full] "),
        ("tcp.analysis.keep_alive_ack", "[TCP Keep-Alive ACK] "),
        ("tcp.analysis.duplicate_ack", ""),
        ("tcp.analysis.zero_window_probe", "[TCP ZeroWindowProbe] "),
        ("tcp.analysis.zero_window", "[TCP ZeroWindow] "),
        ("tcp.analysis.zero_window_probe_ack", "[TCP ZeroWindowProbeAck] "),
        ("tcp.analysis.spurious_retransmission", "[TCP Spurious Retransmission] "),
    ] {
        if !has(key) || (key == "tcp.analysis.retransmission" && special) {
            continue;
        }
        match (key, dup) {
            ("tcp.analysis.duplicate_ack", Some((n, frame))) => put(format!("[TCP Dup ACK {frame}#{n}] ")),
            _ => put(text.to_string()),
        }
    }
    out
}

fn note_text(key: &str, dup: u64) -> (Severity, String, String) {
    if key == "tcp.analysis.duplicate_ack" {
        return (Severity::Note, format!("Duplicate ACK (#{dup})"), format!("重复确认(第 {dup} 个)"));
    }
    let (sev, en, zh) = describe(key);
    (sev, en.to_string(), zh.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use netlayers_core::LayerKind;
    use std::net::Ipv4Addr;

    static K: [FieldSpec; 10] = [
        FieldSpec::new("ip.src", Text::new("", ""), Text::new("", "")),
        FieldSpec::new("ip.dst", Text::new("", ""), Text::new("", "")),
        FieldSpec::new("tcp.srcport", Text::new("", ""), Text::new("", "")),
        FieldSpec::new("tcp.dstport", Text::new("", ""), Text::new("", "")),
        FieldSpec::new("tcp.seq_raw", Text::new("", ""), Text::new("", "")),
        FieldSpec::new("tcp.ack_raw", Text::new("", ""), Text::new("", "")),
        FieldSpec::new("tcp.flags", Text::new("", ""), Text::new("", "")),
        FieldSpec::new("tcp.window_size_value", Text::new("", ""), Text::new("", "")),
        FieldSpec::new("tcp.len", Text::new("", ""), Text::new("", "")),
        FieldSpec::new("tcp.stream", Text::new("", ""), Text::new("", "")),
    ];

    /// The fields a decoded IPv4 + TCP frame holds that the expert reads.
    fn frame(client: bool, flags: u64, seq: u32, ack: u32, len: u64, win: u64) -> Vec<Layer> {
        let (a, b) = (Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::new(10, 0, 0, 2));
        let (s, d, sp, dp) = if client { (a, b, 40000, 80) } else { (b, a, 80, 40000) };
        let mut ip = Layer::new(LayerKind::Network, "ip", "IPv4", 0..20);
        ip.fields = vec![Field::new(&K[0], Value::Ipv4(s), 0..0), Field::new(&K[1], Value::Ipv4(d), 0..0)];
        let mut tcp = Layer::new(LayerKind::Transport, "tcp", "TCP", 20..40);
        let vals = [sp, dp, u64::from(seq), u64::from(ack), flags, win, len, 0];
        tcp.fields = vals.iter().zip(&K[2..]).map(|(v, k)| Field::new(k, Value::UInt(*v), 0..0)).collect();
        vec![ip, tcp]
    }

    fn flagged(l: &[Layer], key: &str) -> bool {
        l.iter().any(|l| l.find(key).is_some())
    }

    #[test]
    fn duplicate_acks_then_fast_retransmission() {
        let mut e = Expert::new();
        let t = |ms: i64| Timestamp { secs: 0, nanos: (ms * 1_000_000) as u32 };
        let mut run = |n: u64, ms: i64, f: Vec<Layer>| {
            let mut f = f;
            e.annotate(&mut f, n, t(ms));
            f
        };
        run(1, 0, frame(true, 0x02, 1000, 0, 0, 1000));
        run(2, 1, frame(false, 0x12, 5000, 1001, 0, 1000));
        let third = run(3, 2, frame(true, 0x10, 1001, 5001, 0, 1000));
        assert!(flagged(&third, "tcp.analysis.initial_rtt"));
        run(4, 3, frame(true, 0x18, 1001, 5001, 10, 1000));
        let lost = run(5, 4, frame(true, 0x18, 1021, 5001, 10, 1000));
        assert!(flagged(&lost, "tcp.analysis.lost_segment"));
        let first = run(6, 5, frame(false, 0x10, 5001, 1011, 0, 1000));
        assert!(!flagged(&first, "tcp.analysis.duplicate_ack"));
        for n in 7..=8 {
            let d = run(n, n as i64, frame(false, 0x10, 5001, 1011, 0, 1000));
            assert!(flagged(&d, "tcp.analysis.duplicate_ack"), "frame {n}");
            let num = d[1].find("tcp.analysis.duplicate_ack_num").map(|f| f.value.clone());
            assert_eq!(num, Some(Value::UInt(n - 6)));
        }
        let fast = run(9, 10, frame(true, 0x18, 1011, 5001, 10, 1000));
        assert!(flagged(&fast, "tcp.analysis.fast_retransmission") && flagged(&fast, "tcp.analysis.retransmission"));
        let zero = run(10, 11, frame(false, 0x10, 5001, 1031, 0, 0));
        assert!(flagged(&zero, "tcp.analysis.zero_window"));
        let rst = run(11, 12, frame(true, 0x14, 1031, 5001, 0, 0));
        assert!(rst[1].notes.iter().any(|n| n.id == "tcp.connection.rst"));
        let s: BTreeMap<_, _> = e.summary().into_iter().collect();
        assert_eq!((s["tcp.analysis.duplicate_ack"], s["tcp.analysis.retransmission"], s["tcp.connection.rst"]), (2, 1, 1));
    }

    #[test]
    fn frames_without_addresses_or_stream_are_left_alone() {
        let mut e = Expert::new();
        let mut f = frame(true, 0x02, 1, 0, 0, 10);
        f[1].fields.retain(|x| x.spec.key != "tcp.stream");
        e.annotate(&mut f, 1, Timestamp::default());
        let mut g = frame(true, 0x02, 1, 0, 0, 10);
        g.remove(0);
        e.annotate(&mut g, 2, Timestamp::default());
        assert!(!flagged(&f, "tcp.analysis") && !flagged(&g, "tcp.analysis"));
    }
}
