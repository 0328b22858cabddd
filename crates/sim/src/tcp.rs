//! TCP as a pure state machine (RFC 9293): it never touches bytes on a wire. Each call takes
//! the current simulated time and a parsed [`Segment`] (or an application call, or a timer)
//! and returns the segments to send and what happened ([`TcpEvent`]), as smoltcp's socket does.
//!
//! What is here: the three-way handshake (and simultaneous open), data with cumulative ACKs,
//! a congestion window (slow start after a timeout), the retransmission timer of RFC 6298 with
//! Karn's rule and exponential backoff, go-back-N retransmission from the oldest unacknowledged
//! byte after a timeout, fast retransmit on the third duplicate ACK, segments after a hole kept
//! until it is filled, window updates and zero-window probes, the FIN close through
//! FIN-WAIT-1/2, CLOSING, CLOSE-WAIT, LAST-ACK and TIME-WAIT, RST, and the MSS option: each
//! SYN announces the largest segment its sender takes, and each side sends no more than the
//! smaller of its own and the peer's. Not yet: window scale and SACK, fast recovery's window
//! inflation, delayed ACKs.
//!
//! Sequence numbers are kept relative (0 is our SYN, 1 the first data byte) in `u64`, so
//! comparisons never wrap; they become 32-bit wire numbers only in segments.

use std::collections::{BTreeMap, VecDeque};

use crate::engine::{Nanos, MS, SEC};

/// The MSS assumed for a peer whose SYN carried no MSS option (RFC 9293 section 3.7.1).
pub const DEFAULT_MSS: u16 = 536;

/// The MSS a host announces: its interface MTU minus the IP and TCP headers without options
/// (20 + 20 bytes over IPv4, 40 + 20 over IPv6), as Linux computes it.
pub fn mss_for_mtu(mtu: usize, ipv6: bool) -> u16 {
    let headers = if ipv6 { 60 } else { 40 };
    mtu.saturating_sub(headers).min(usize::from(u16::MAX)) as u16
}
/// Our receive window (no window scaling).
pub const WINDOW: u16 = 65535;
/// Retransmission timeout before any round trip was measured (RFC 6298 section 2.1).
pub const INITIAL_RTO: Nanos = SEC;
/// Smallest timeout: Linux's 200 ms (RFC 6298 suggests 1 s; simulated links are fast).
pub const MIN_RTO: Nanos = 200 * MS;
pub const MAX_RTO: Nanos = 60 * SEC;
/// Timeouts in a row after which the connection is given up.
pub const MAX_RETRIES: u32 = 8;
/// How long TIME-WAIT lasts: 2 × MSL, with Linux's 60 seconds.
pub const TIME_WAIT: Nanos = 60 * SEC;

pub const FIN: u16 = 0x01;
pub const SYN: u16 = 0x02;
pub const RST: u16 = 0x04;
pub const PSH: u16 = 0x08;
pub const ACK: u16 = 0x10;

/// The connection states, named as RFC 9293 section 3.3.2 names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Closed,
    Listen,
    SynSent,
    SynReceived,
    Established,
    FinWait1,
    FinWait2,
    CloseWait,
    Closing,
    LastAck,
    TimeWait,
}

impl State {
    pub fn name(self) -> &'static str {
        match self {
            State::Closed => "CLOSED",
            State::Listen => "LISTEN",
            State::SynSent => "SYN-SENT",
            State::SynReceived => "SYN-RECEIVED",
            State::Established => "ESTABLISHED",
            State::FinWait1 => "FIN-WAIT-1",
            State::FinWait2 => "FIN-WAIT-2",
            State::CloseWait => "CLOSE-WAIT",
            State::Closing => "CLOSING",
            State::LastAck => "LAST-ACK",
            State::TimeWait => "TIME-WAIT",
        }
    }

    /// States in which the application may still send.
    fn can_send(self) -> bool {
        matches!(self, State::SynSent | State::SynReceived | State::Established | State::CloseWait)
    }
}

/// A TCP segment as the state machine sees it: the header values that matter and the payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: u16,
    pub window: u16,
    /// The MSS option, on SYN and SYN+ACK.
    pub mss: Option<u16>,
    pub payload: Vec<u8>,
}

impl Segment {
    pub fn has(&self, flag: u16) -> bool {
        self.flags & flag != 0
    }
    /// Sequence space used: payload bytes, plus one each for SYN and FIN.
    pub fn seq_len(&self) -> u64 {
        self.payload.len() as u64 + u64::from(self.has(SYN)) + u64::from(self.has(FIN))
    }

    /// The reset a host sends for a segment no connection wants (RFC 9293 section 3.10.7.1).
    pub fn reset_for(seg: &Segment) -> Option<Segment> {
        if seg.has(RST) {
            return None;
        }
        let (seq, ack, flags) = if seg.has(ACK) {
            (seg.ack, 0, RST)
        } else {
            (0, seg.seq.wrapping_add(seg.seq_len() as u32), RST | ACK)
        };
        Some(Segment { src_port: seg.dst_port, dst_port: seg.src_port, seq, ack, flags, window: 0, mss: None, payload: Vec::new() })
    }
}

/// What happened inside a connection, for the timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TcpEvent {
    State { from: State, to: State },
    /// The peer's SYN arrived: the MSS we announced, the one it announced (None: no option),
    /// and the largest segment we will send.
    Mss { ours: u16, peer: Option<u16>, using: u16 },
    /// The retransmission timer expired; the next timeout will be `next_rto`.
    Timeout { next_rto: Nanos, retries: u32 },
    /// A segment of bytes already sent once goes out again (relative sequence number).
    Retransmit { seq: u64, len: usize },
    /// In-order payload bytes handed to the receive buffer.
    Delivered { bytes: usize },
    /// A segment beyond RCV.NXT (one before it went missing) was kept for later.
    OutOfOrder { seq: u64 },
    /// The third duplicate ACK in a row: the segment at UNA goes again without waiting for the
    /// timer (RFC 5681 section 3.2).
    FastRetransmit { seq: u64 },
    /// The peer's window is zero: one byte goes out to ask whether it opened.
    WindowProbe,
    /// The peer reset the connection.
    Reset,
    /// The peer answered our SYN with a reset: nobody listens there.
    Refused,
    /// Too many timeouts in a row.
    TimedOut,
}

/// Why an application call failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TcpError {
    /// send() after close(), or on a connection that is gone.
    NotConnected,
    ConnectionReset,
    ConnectionRefused,
    TimedOut,
}

impl TcpError {
    pub fn name(self) -> &'static str {
        match self {
            TcpError::NotConnected => "ENOTCONN",
            TcpError::ConnectionReset => "ECONNRESET",
            TcpError::ConnectionRefused => "ECONNREFUSED",
            TcpError::TimedOut => "ETIMEDOUT",
        }
    }
}

/// Segments to send and events, in order.
#[derive(Debug, Default)]
pub struct Output {
    pub segments: Vec<Segment>,
    pub events: Vec<TcpEvent>,
}

/// One connection's transmission control block.
#[derive(Debug, Clone)]
pub struct Tcb {
    pub local_port: u16,
    pub remote_port: u16,
    state: State,
    /// The MSS we announce, and the largest payload we send: min(ours, the peer's).
    own_mss: u16,
    mss: u64,
    iss: u32,
    irs: u32,
    /// Oldest unacknowledged, next to send, highest ever sent (relative to `iss`).
    una: u64,
    nxt: u64,
    max_sent: u64,
    /// Every byte the application gave to send(); byte k has relative sequence number 1 + k.
    data: Vec<u8>,
    /// Sequence number of our FIN, once close() was called.
    fin_at: Option<u64>,
    /// Next byte expected from the peer, relative to `irs` (1 after its SYN).
    rcv_nxt: u64,
    recv: VecDeque<u8>,
    /// Segments that arrived after a hole, by relative sequence number, and a FIN among them.
    ooo: BTreeMap<u64, Vec<u8>>,
    ooo_fin: Option<u64>,
    peer_fin: bool,
    /// Duplicate ACKs in a row (RFC 5681 section 2).
    dup_acks: u32,
    peer_wnd: u64,
    cwnd: u64,
    ssthresh: u64,
    srtt: Option<Nanos>,
    rttvar: Nanos,
    rto: Nanos,
    /// A round-trip measurement under way: (relative sequence number to be acknowledged, sent at).
    rtt_probe: Option<(u64, Nanos)>,
    retries: u32,
    rtx_deadline: Option<Nanos>,
    tw_deadline: Option<Nanos>,
    /// The persist timer: the peer's window is zero and nothing is in flight to bring news of
    /// it opening, so a one-byte probe goes out when it fires (RFC 9293 section 3.8.6.1).
    persist_deadline: Option<Nanos>,
    probe: bool,
    /// The receive window we last advertised.
    adv_wnd: u16,
    error: Option<TcpError>,
}

impl Tcb {
    fn new(local_port: u16, remote_port: u16, iss: u32, mss: u16, state: State) -> Tcb {
        let mss = mss.max(1);
        Tcb {
            local_port,
            remote_port,
            state,
            own_mss: mss,
            mss: u64::from(mss),
            iss,
            irs: 0,
            una: 0,
            nxt: 0,
            max_sent: 0,
            data: Vec::new(),
            fin_at: None,
            rcv_nxt: 0,
            recv: VecDeque::new(),
            ooo: BTreeMap::new(),
            ooo_fin: None,
            peer_fin: false,
            dup_acks: 0,
            peer_wnd: u64::from(WINDOW),
            cwnd: 10 * u64::from(mss),
            ssthresh: u64::MAX,
            srtt: None,
            rttvar: 0,
            rto: INITIAL_RTO,
            rtt_probe: None,
            retries: 0,
            rtx_deadline: None,
            tw_deadline: None,
            persist_deadline: None,
            probe: false,
            adv_wnd: WINDOW,
            error: None,
        }
    }

    /// Active open: CLOSED → SYN-SENT, and the SYN announcing `mss`.
    pub fn connect(local_port: u16, remote_port: u16, iss: u32, mss: u16, now: Nanos) -> (Tcb, Output) {
        let mut t = Tcb::new(local_port, remote_port, iss, mss, State::Closed);
        let mut out = Output::default();
        t.set_state(State::SynSent, &mut out);
        t.send_syn(now, &mut out);
        (t, out)
    }

    /// Passive open: a listener got `syn`; the new connection goes LISTEN → SYN-RECEIVED and
    /// answers with SYN+ACK announcing `mss`.
    pub fn accept_syn(syn: &Segment, iss: u32, mss: u16, now: Nanos) -> (Tcb, Output) {
        let mut t = Tcb::new(syn.dst_port, syn.src_port, iss, mss, State::Listen);
        let mut out = Output::default();
        t.irs = syn.seq;
        t.rcv_nxt = 1;
        t.peer_wnd = u64::from(syn.window);
        t.set_state(State::SynReceived, &mut out);
        t.take_peer_mss(syn, &mut out);
        t.send_syn(now, &mut out);
        (t, out)
    }

    pub fn state(&self) -> State {
        self.state
    }
    pub fn error(&self) -> Option<TcpError> {
        self.error
    }
    /// Our initial sequence number and the peer's (0 before its SYN arrived).
    pub fn iss(&self) -> u32 {
        self.iss
    }
    pub fn irs(&self) -> u32 {
        self.irs
    }
    /// The current retransmission timeout.
    pub fn rto(&self) -> Nanos {
        self.rto
    }
    /// The largest payload this side sends in one segment.
    pub fn mss(&self) -> u64 {
        self.mss
    }
    /// Bytes given to send() and not yet acknowledged.
    pub fn unacked(&self) -> u64 {
        (1 + self.data.len() as u64).saturating_sub(self.una.max(1))
    }

    /// The next time [`Tcb::on_timer`] has something to do.
    pub fn deadline(&self) -> Option<Nanos> {
        [self.rtx_deadline, self.tw_deadline, self.persist_deadline].into_iter().flatten().min()
    }

    /// Bytes waiting to be read.
    pub fn readable(&self) -> usize {
        self.recv.len()
    }
    /// The peer closed its side and every byte it sent was read: recv() returns b"".
    pub fn at_eof(&self) -> bool {
        self.recv.is_empty() && (self.peer_fin || self.state == State::Closed)
    }

    /// recv(): up to `max` bytes (fewer if fewer are waiting).
    pub fn recv(&mut self, max: usize) -> Vec<u8> {
        let n = max.min(self.recv.len());
        self.recv.drain(..n).collect()
    }

    /// After the application read: if the window we last advertised was under one segment and
    /// reading opened it to at least one, say so at once (a window update), or the peer would
    /// wait for its persist timer (RFC 9293 section 3.8.6.2.2 keeps it from being sent for less).
    pub fn window_update(&mut self) -> Output {
        let mut out = Output::default();
        let receiving = matches!(self.state, State::Established | State::FinWait1 | State::FinWait2);
        let own = u64::from(self.own_mss);
        if receiving && u64::from(self.adv_wnd) < own && u64::from(self.window()) >= own {
            self.ack_now(&mut out);
        }
        out
    }

    /// send(): queue bytes; they go out as the windows allow.
    pub fn send(&mut self, bytes: &[u8], now: Nanos) -> Result<Output, TcpError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        if !self.state.can_send() || self.fin_at.is_some() {
            return Err(TcpError::NotConnected);
        }
        self.data.extend_from_slice(bytes);
        let mut out = Output::default();
        self.pump(now, &mut out);
        Ok(out)
    }

    /// close(): no more data from us. A FIN follows the queued data (RFC 9293 section 3.10.4).
    pub fn close(&mut self, now: Nanos) -> Output {
        let mut out = Output::default();
        match self.state {
            State::SynSent | State::Listen => self.set_state(State::Closed, &mut out),
            State::SynReceived | State::Established => {
                self.fin_at = Some(1 + self.data.len() as u64);
                self.set_state(State::FinWait1, &mut out);
            }
            State::CloseWait => {
                self.fin_at = Some(1 + self.data.len() as u64);
                self.set_state(State::LastAck, &mut out);
            }
            _ => {}
        }
        self.pump(now, &mut out);
        out
    }

    /// ABORT (RFC 9293 section 3.10.4), what close() does with SO_LINGER at zero seconds: in a
    /// synchronized state a RST at SND.NXT tells the peer; unsent and unacknowledged data are
    /// dropped, and the connection is CLOSED at once, with no TIME-WAIT.
    pub fn abort(&mut self) -> Output {
        let mut out = Output::default();
        if matches!(self.state, State::SynReceived | State::Established | State::FinWait1 | State::FinWait2 | State::CloseWait) {
            let rst = self.segment(self.nxt, RST, Vec::new());
            out.segments.push(rst);
        }
        self.set_state(State::Closed, &mut out);
        out
    }

    fn set_state(&mut self, to: State, out: &mut Output) {
        if self.state != to {
            out.events.push(TcpEvent::State { from: self.state, to });
            self.state = to;
        }
        if to == State::Closed {
            self.rtx_deadline = None;
            self.tw_deadline = None;
            self.persist_deadline = None;
        }
    }

    fn wire_seq(&self, rel: u64) -> u32 {
        self.iss.wrapping_add(rel as u32)
    }
    fn wire_ack(&self) -> u32 {
        self.irs.wrapping_add(self.rcv_nxt as u32)
    }
    fn window(&self) -> u16 {
        (usize::from(WINDOW).saturating_sub(self.recv.len())) as u16
    }

    fn segment(&mut self, seq: u64, flags: u16, payload: Vec<u8>) -> Segment {
        let ack = if flags & ACK != 0 { self.wire_ack() } else { 0 };
        let mss = (flags & SYN != 0).then_some(self.own_mss);
        self.adv_wnd = self.window();
        Segment {
            src_port: self.local_port,
            dst_port: self.remote_port,
            seq: self.wire_seq(seq),
            ack,
            flags,
            window: self.adv_wnd,
            mss,
            payload,
        }
    }

    /// SYN (SYN-SENT) or SYN+ACK (SYN-RECEIVED), first time or again.
    fn send_syn(&mut self, now: Nanos, out: &mut Output) {
        let flags = if self.state == State::SynReceived { SYN | ACK } else { SYN };
        if self.max_sent > 0 {
            out.events.push(TcpEvent::Retransmit { seq: 0, len: 0 });
        } else {
            self.rtt_probe = Some((1, now));
        }
        out.segments.push(self.segment(0, flags, Vec::new()));
        self.nxt = 1;
        self.max_sent = 1;
        self.rtx_deadline.get_or_insert(now + self.rto);
    }

    fn ack_now(&mut self, out: &mut Output) {
        out.segments.push(self.segment(self.max_sent, ACK, Vec::new()));
    }

    /// The peer's SYN: segments from now on are no larger than its MSS (536 if it announced
    /// none) nor ours, and the initial congestion window is ten of them.
    fn take_peer_mss(&mut self, syn: &Segment, out: &mut Output) {
        let using = self.own_mss.min(syn.mss.unwrap_or(DEFAULT_MSS)).max(1);
        self.mss = u64::from(using);
        self.cwnd = 10 * self.mss;
        out.events.push(TcpEvent::Mss { ours: self.own_mss, peer: syn.mss, using });
    }

    /// Sends what the windows allow: data from NXT, then our FIN when everything before it left.
    fn pump(&mut self, now: Nanos, out: &mut Output) {
        if !matches!(
            self.state,
            State::Established | State::CloseWait | State::FinWait1 | State::LastAck | State::Closing
        ) {
            return;
        }
        let data_end = 1 + self.data.len() as u64;
        loop {
            if self.nxt < data_end {
                let wnd = self.cwnd.min(self.peer_wnd);
                let mut allowed = (self.una + wnd).saturating_sub(self.nxt);
                if allowed == 0 && std::mem::take(&mut self.probe) {
                    allowed = 1; // the zero-window probe
                }
                if allowed == 0 {
                    if self.peer_wnd == 0 && self.una == self.nxt {
                        self.persist_deadline.get_or_insert(now + self.rto);
                    }
                    break;
                }
                self.persist_deadline = None;
                let len = self.mss.min(data_end - self.nxt).min(allowed);
                let from = (self.nxt - 1) as usize;
                let payload = self.data.get(from..from + len as usize).map(<[u8]>::to_vec).unwrap_or_default();
                let push = if self.nxt + len == data_end { PSH } else { 0 };
                if self.nxt < self.max_sent {
                    out.events.push(TcpEvent::Retransmit { seq: self.nxt, len: len as usize });
                } else if self.rtt_probe.is_none() {
                    self.rtt_probe = Some((self.nxt + len, now));
                }
                out.segments.push(self.segment(self.nxt, ACK | push, payload));
                self.nxt += len;
            } else if self.fin_at == Some(self.nxt) {
                if self.nxt < self.max_sent {
                    out.events.push(TcpEvent::Retransmit { seq: self.nxt, len: 0 });
                }
                out.segments.push(self.segment(self.nxt, FIN | ACK, Vec::new()));
                self.nxt += 1;
            } else {
                break;
            }
            self.max_sent = self.max_sent.max(self.nxt);
            self.rtx_deadline.get_or_insert(now + self.rto);
        }
    }

    /// A measured round trip updates SRTT, RTTVAR and RTO (RFC 6298 section 2).
    fn sample_rtt(&mut self, r: Nanos) {
        match self.srtt {
            None => {
                self.srtt = Some(r);
                self.rttvar = r / 2;
            }
            Some(s) => {
                self.rttvar = (3 * self.rttvar + s.abs_diff(r)) / 4;
                self.srtt = Some((7 * s + r) / 8);
            }
        }
        let s = self.srtt.unwrap_or(r);
        self.rto = (s + (4 * self.rttvar).max(MS)).clamp(MIN_RTO, MAX_RTO);
    }

    /// Processes an acknowledgment number that is not older than UNA.
    /// Returns true on the third duplicate ACK in a row.
    fn take_ack(&mut self, seg: &Segment, now: Nanos) -> bool {
        let d = seg.ack.wrapping_sub(self.wire_seq(self.una)) as i32;
        if d <= 0 {
            // A duplicate ACK: nothing new acknowledged, no data, the same window, while data
            // is outstanding (RFC 5681 section 2).
            let dup = d == 0
                && seg.seq_len() == 0
                && u64::from(seg.window) == self.peer_wnd
                && self.una < self.max_sent;
            self.peer_wnd = u64::from(seg.window);
            if dup {
                self.dup_acks += 1;
                return self.dup_acks == 3;
            }
            return false;
        }
        let ack = self.una + d as u64;
        if ack > self.max_sent {
            return false;
        }
        self.dup_acks = 0;
        let acked = ack - self.una;
        self.una = ack;
        self.nxt = self.nxt.max(ack);
        self.peer_wnd = u64::from(seg.window);
        self.retries = 0;
        if let Some((until, at)) = self.rtt_probe {
            if ack >= until {
                self.rtt_probe = None;
                self.sample_rtt(now.saturating_sub(at));
            }
        }
        // Congestion window: slow start below ssthresh, then one MSS per round trip.
        if self.cwnd < self.ssthresh {
            self.cwnd += acked.min(self.mss);
        } else {
            self.cwnd += (self.mss * self.mss / self.cwnd.max(1)).max(1);
        }
        self.rtx_deadline = (self.una < self.max_sent).then_some(now + self.rto);
        false
    }

    /// Sends the segment at UNA again (one MSS, or the FIN) and halves the congestion window.
    fn fast_retransmit(&mut self, now: Nanos, out: &mut Output) {
        let flight = self.max_sent.saturating_sub(self.una);
        self.ssthresh = (flight / 2).max(2 * self.mss);
        self.cwnd = self.ssthresh;
        self.rtt_probe = None;
        out.events.push(TcpEvent::FastRetransmit { seq: self.una });
        let data_end = 1 + self.data.len() as u64;
        if self.una < data_end {
            let len = self.mss.min(data_end - self.una);
            let from = (self.una - 1) as usize;
            let payload = self.data.get(from..from + len as usize).map(<[u8]>::to_vec).unwrap_or_default();
            let push = if self.una + len == data_end { PSH } else { 0 };
            out.events.push(TcpEvent::Retransmit { seq: self.una, len: len as usize });
            let seg = self.segment(self.una, ACK | push, payload);
            out.segments.push(seg);
        } else if self.fin_at == Some(self.una) {
            out.events.push(TcpEvent::Retransmit { seq: self.una, len: 0 });
            let seg = self.segment(self.una, FIN | ACK, Vec::new());
            out.segments.push(seg);
        }
        self.rtx_deadline = Some(now + self.rto);
    }

    /// The peer's FIN is next in sequence: take it.
    fn take_fin(&mut self, now: Nanos, out: &mut Output) {
        self.rcv_nxt += 1;
        self.peer_fin = true;
        self.ooo.clear();
        self.ooo_fin = None;
        match self.state {
            State::Established => self.set_state(State::CloseWait, out),
            State::FinWait1 if self.fin_acked() => self.enter_time_wait(now, out),
            State::FinWait1 => self.set_state(State::Closing, out),
            State::FinWait2 => self.enter_time_wait(now, out),
            _ => {}
        }
    }

    /// Appends the bytes of `payload` (starting at relative `seq` <= RCV.NXT) that are new.
    fn take_data(&mut self, seq: u64, payload: &[u8], out: &mut Output) {
        let skip = usize::try_from(self.rcv_nxt.saturating_sub(seq)).unwrap_or(usize::MAX);
        if let Some(new) = payload.get(skip..).filter(|n| !n.is_empty()) {
            self.recv.extend(new);
            self.rcv_nxt += new.len() as u64;
            out.events.push(TcpEvent::Delivered { bytes: new.len() });
        }
    }

    fn fin_acked(&self) -> bool {
        self.fin_at.is_some_and(|f| self.una > f)
    }

    /// A segment for this connection arrived (RFC 9293 section 3.10.7).
    pub fn on_segment(&mut self, seg: &Segment, now: Nanos) -> Output {
        let mut out = Output::default();
        match self.state {
            State::Closed | State::Listen => {}
            State::SynSent => self.on_segment_syn_sent(seg, now, &mut out),
            _ => self.on_segment_synchronized(seg, now, &mut out),
        }
        out
    }

    fn on_segment_syn_sent(&mut self, seg: &Segment, now: Nanos, out: &mut Output) {
        let ack_ok = seg.ack == self.wire_seq(1);
        if seg.has(ACK) && !ack_ok {
            if let Some(r) = Segment::reset_for(seg) {
                out.segments.push(r);
            }
            return;
        }
        if seg.has(RST) {
            if seg.has(ACK) {
                self.error = Some(TcpError::ConnectionRefused);
                out.events.push(TcpEvent::Refused);
                self.set_state(State::Closed, out);
            }
            return;
        }
        if !seg.has(SYN) {
            return;
        }
        self.irs = seg.seq;
        self.rcv_nxt = 1;
        self.take_peer_mss(seg, out);
        if seg.has(ACK) {
            let _ = self.take_ack(seg, now);
            self.set_state(State::Established, out);
            self.ack_now(out);
            self.pump(now, out);
        } else {
            // Simultaneous open: both sent SYNs.
            self.set_state(State::SynReceived, out);
            out.segments.push(self.segment(0, SYN | ACK, Vec::new()));
        }
    }

    fn on_segment_synchronized(&mut self, seg: &Segment, now: Nanos, out: &mut Output) {
        let seq = self.rcv_nxt as i64 + i64::from(seg.seq.wrapping_sub(self.wire_ack()) as i32);
        let rcv_nxt = self.rcv_nxt as i64;
        let len = seg.seq_len() as i64;
        let wnd = i64::from(WINDOW);
        // Acceptability (RFC 9293 section 3.10.7.4). A bare ACK is accepted from any point in
        // the window or before it: after a go-back-N retransmission a peer's ACKs may carry an
        // older sequence number, and answering each with an ACK would only echo ACKs forever.
        let acceptable = if len == 0 {
            seq < rcv_nxt + wnd
        } else {
            seq < rcv_nxt + wnd && seq + len > rcv_nxt
        };
        if self.state == State::SynReceived && seg.has(SYN) && !seg.has(ACK) && !seg.has(RST) && seg.seq == self.irs {
            // Our SYN+ACK was lost and the peer sent its SYN again: answer it again.
            out.events.push(TcpEvent::Retransmit { seq: 0, len: 0 });
            out.segments.push(self.segment(0, SYN | ACK, Vec::new()));
            return;
        }
        if self.state == State::TimeWait && seg.has(FIN) && !seg.has(RST) {
            // The peer did not get our last ACK and sent its FIN again: ACK it, restart 2MSL.
            self.ack_now(out);
            self.tw_deadline = Some(now + TIME_WAIT);
            return;
        }
        if !acceptable {
            if !seg.has(RST) {
                self.ack_now(out);
            }
            return;
        }
        if seg.has(RST) {
            if seq == rcv_nxt || len == 0 {
                self.error = Some(TcpError::ConnectionReset);
                out.events.push(TcpEvent::Reset);
                self.set_state(State::Closed, out);
            }
            return;
        }
        if seg.has(SYN) {
            // RFC 5961 section 4: a SYN in a synchronized state gets a challenge ACK.
            self.ack_now(out);
            return;
        }
        if !seg.has(ACK) {
            return;
        }
        if self.state == State::SynReceived {
            let d = seg.ack.wrapping_sub(self.wire_seq(0)) as i32;
            if d < 1 || d as u64 > self.max_sent {
                if let Some(r) = Segment::reset_for(seg) {
                    out.segments.push(r);
                }
                return;
            }
            self.set_state(State::Established, out);
        }
        let ahead = seg.ack.wrapping_sub(self.wire_seq(self.max_sent)) as i32;
        if ahead > 0 {
            // It acknowledges something never sent.
            self.ack_now(out);
            return;
        }
        let third_dup = self.take_ack(seg, now);
        match self.state {
            State::FinWait1 if self.fin_acked() => self.set_state(State::FinWait2, out),
            State::Closing if self.fin_acked() => self.enter_time_wait(now, out),
            State::LastAck if self.fin_acked() => {
                self.set_state(State::Closed, out);
                return;
            }
            _ => {}
        }
        if third_dup {
            self.fast_retransmit(now, out);
        }
        // Payload and FIN. A segment after a hole is kept (within the window) and answered with
        // a duplicate ACK; the segment that fills the hole releases it all.
        let mut need_ack = false;
        let receiving = matches!(self.state, State::Established | State::FinWait1 | State::FinWait2);
        let plen = seg.payload.len() as i64;
        if receiving && seq > rcv_nxt {
            if len > 0 {
                let at = seq as u64;
                let keep = self.ooo.get(&at).is_none_or(|p| p.len() < seg.payload.len());
                if keep && !seg.payload.is_empty() {
                    self.ooo.insert(at, seg.payload.clone());
                }
                if seg.has(FIN) {
                    self.ooo_fin = Some(at + plen as u64);
                }
                out.events.push(TcpEvent::OutOfOrder { seq: at });
                need_ack = true;
            }
        } else if receiving {
            self.take_data(seq.max(0) as u64, &seg.payload, out);
            need_ack |= len > 0;
            let mut fin = seg.has(FIN) && seq + plen == self.rcv_nxt as i64;
            if !fin {
                // Whatever waited behind the hole.
                while let Some((&at, _)) = self.ooo.first_key_value() {
                    if at > self.rcv_nxt {
                        break;
                    }
                    if let Some(p) = self.ooo.remove(&at) {
                        self.take_data(at, &p, out);
                    }
                }
                fin = self.ooo.is_empty() && self.ooo_fin == Some(self.rcv_nxt);
            }
            if fin {
                self.take_fin(now, out);
            }
        } else if len > 0 && seq > rcv_nxt {
            need_ack = true;
        }
        let before = out.segments.len();
        self.pump(now, out);
        if need_ack && out.segments.len() == before {
            self.ack_now(out);
        }
    }

    fn enter_time_wait(&mut self, now: Nanos, out: &mut Output) {
        self.set_state(State::TimeWait, out);
        self.rtx_deadline = None;
        self.tw_deadline = Some(now + TIME_WAIT);
    }

    /// Time passed: retransmit on timeout, leave TIME-WAIT after 2MSL.
    pub fn on_timer(&mut self, now: Nanos) -> Output {
        let mut out = Output::default();
        if self.tw_deadline.is_some_and(|t| t <= now) {
            self.set_state(State::Closed, &mut out);
            return out;
        }
        if self.persist_deadline.is_some_and(|t| t <= now) {
            self.persist_deadline = None;
            self.probe = true;
            self.rto = (self.rto * 2).min(MAX_RTO);
            out.events.push(TcpEvent::WindowProbe);
            self.pump(now, &mut out);
            self.probe = false;
            return out;
        }
        if self.rtx_deadline.is_none_or(|t| t > now) {
            return out;
        }
        self.retries += 1;
        if self.retries > MAX_RETRIES {
            self.error = Some(TcpError::TimedOut);
            out.events.push(TcpEvent::TimedOut);
            self.set_state(State::Closed, &mut out);
            return out;
        }
        // Back off (RFC 6298 section 5.5), forget the measurement under way (Karn), and start
        // again from one segment (RFC 5681 section 3.1).
        self.rto = (self.rto * 2).min(MAX_RTO);
        self.rtt_probe = None;
        let flight = self.max_sent.saturating_sub(self.una);
        self.ssthresh = (flight / 2).max(2 * self.mss);
        self.cwnd = self.mss;
        out.events.push(TcpEvent::Timeout { next_rto: self.rto, retries: self.retries });
        self.rtx_deadline = None;
        match self.state {
            State::SynSent | State::SynReceived => self.send_syn(now, &mut out),
            _ => {
                self.nxt = self.una;
                self.pump(now, &mut out);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a host on Ethernet announces.
    const MSS: usize = 1460;

    /// Two connections wired back to back with a perfect network: every segment is delivered
    /// at once, unless `drop` says otherwise.
    fn exchange(a: &mut Tcb, b: &mut Tcb, first: Vec<Segment>, now: Nanos, drop: &mut dyn FnMut(&Segment) -> bool) -> Vec<TcpEvent> {
        let mut events = Vec::new();
        let mut to_b = first;
        let mut to_a: Vec<Segment> = Vec::new();
        for _ in 0..1000 {
            if to_b.is_empty() && to_a.is_empty() {
                break;
            }
            for s in std::mem::take(&mut to_b) {
                if !drop(&s) {
                    let o = b.on_segment(&s, now);
                    events.extend(o.events);
                    to_a.extend(o.segments);
                }
            }
            for s in std::mem::take(&mut to_a) {
                if !drop(&s) {
                    let o = a.on_segment(&s, now);
                    events.extend(o.events);
                    to_b.extend(o.segments);
                }
            }
        }
        events
    }

    fn states(events: &[TcpEvent]) -> Vec<&'static str> {
        events
            .iter()
            .filter_map(|e| match e {
                TcpEvent::State { to, .. } => Some(to.name()),
                _ => None,
            })
            .collect()
    }

    fn open() -> (Tcb, Tcb) {
        let (mut a, o) = Tcb::connect(50000, 80, 1000, MSS as u16, 0);
        assert_eq!(o.segments.len(), 1);
        assert!(o.segments[0].has(SYN) && !o.segments[0].has(ACK));
        let (mut b, ob) = Tcb::accept_syn(&o.segments[0], 9000, MSS as u16, 0);
        assert_eq!(ob.segments[0].flags, SYN | ACK);
        assert_eq!(ob.segments[0].ack, 1001);
        exchange(&mut b, &mut a, ob.segments, 0, &mut |_| false);
        assert_eq!((a.state(), b.state()), (State::Established, State::Established));
        (a, b)
    }

    #[test]
    fn handshake_data_and_close_walk_the_rfc_states() {
        let (mut a, o) = Tcb::connect(50000, 80, u32::MAX - 1, MSS as u16, 0); // sequence numbers wrap
        let (mut b, ob) = Tcb::accept_syn(&o.segments[0], 7, MSS as u16, 0);
        let ev = exchange(&mut b, &mut a, ob.segments, 0, &mut |_| false);
        assert_eq!(states(&ev), ["ESTABLISHED", "ESTABLISHED"]);
        let o = a.send(b"hello", 1).unwrap();
        exchange(&mut a, &mut b, o.segments, 1, &mut |_| false);
        assert_eq!(b.recv(100), b"hello");
        assert_eq!(a.unacked(), 0);
        let o = a.close(2);
        let mut ev = o.events.clone();
        ev.extend(exchange(&mut a, &mut b, o.segments, 2, &mut |_| false));
        assert_eq!(states(&ev), ["FIN-WAIT-1", "CLOSE-WAIT", "FIN-WAIT-2"]);
        assert!(b.at_eof());
        let o = b.close(3);
        let mut ev = o.events.clone();
        ev.extend(exchange(&mut b, &mut a, o.segments, 3, &mut |_| false));
        assert_eq!(states(&ev), ["LAST-ACK", "TIME-WAIT", "CLOSED"]);
        assert_eq!(a.deadline(), Some(3 + TIME_WAIT));
        assert_eq!(states(&a.on_timer(3 + TIME_WAIT).events), ["CLOSED"]);
    }

    #[test]
    fn simultaneous_close_goes_through_closing() {
        let (mut a, mut b) = open();
        let oa = a.close(1);
        let ob = b.close(1);
        // The FINs cross: each arrives while its receiver is in FIN-WAIT-1.
        let mut to_b = Vec::new();
        for s in &ob.segments {
            to_b.extend(a.on_segment(s, 1).segments);
        }
        let mut to_a = Vec::new();
        for s in &oa.segments {
            to_a.extend(b.on_segment(s, 1).segments);
        }
        assert_eq!((a.state(), b.state()), (State::Closing, State::Closing));
        for s in &to_b {
            b.on_segment(s, 1);
        }
        for s in &to_a {
            a.on_segment(s, 1);
        }
        assert_eq!((a.state(), b.state()), (State::TimeWait, State::TimeWait));
    }

    #[test]
    fn a_lost_segment_is_sent_again_after_the_timeout_with_backoff() {
        let (mut a, mut b) = open();
        let o = a.send(&[7u8; 3000], 0).unwrap();
        assert_eq!(o.segments.len(), 3);
        assert_eq!(o.segments[0].payload.len(), MSS);
        // The first segment is lost: the other two are out of order at the receiver.
        let mut first = true;
        let ev = exchange(&mut a, &mut b, o.segments, 0, &mut |s| {
            let lose = first && !s.payload.is_empty();
            first &= !lose;
            lose
        });
        assert!(ev.iter().any(|e| matches!(e, TcpEvent::OutOfOrder { .. })));
        assert_eq!(b.readable(), 0);
        let t = a.deadline().unwrap();
        assert_eq!(t, a.rto(), "the timer runs one RTO from the send");
        let o = a.on_timer(t);
        assert!(matches!(o.events[0], TcpEvent::Timeout { retries: 1, .. }));
        assert!(o.events.contains(&TcpEvent::Retransmit { seq: 1, len: MSS }));
        assert_eq!(o.segments.len(), 1, "cwnd is one segment after a timeout");
        exchange(&mut a, &mut b, o.segments, t, &mut |_| false);
        assert_eq!(b.recv(10_000), vec![7u8; 3000]);
        assert_eq!(a.unacked(), 0);
        assert_eq!(a.deadline(), None);
    }

    #[test]
    fn three_duplicate_acks_resend_the_hole_before_the_timer() {
        let (mut a, mut b) = open();
        let o = a.send(&[9u8; 5 * MSS], 0).unwrap();
        assert_eq!(o.segments.len(), 5);
        let mut first = true;
        let ev = exchange(&mut a, &mut b, o.segments, 0, &mut |s| {
            let lose = first && !s.payload.is_empty();
            first &= !lose;
            lose
        });
        assert_eq!(ev.iter().filter(|e| matches!(e, TcpEvent::OutOfOrder { .. })).count(), 4);
        assert!(ev.contains(&TcpEvent::FastRetransmit { seq: 1 }), "{ev:?}");
        assert!(ev.contains(&TcpEvent::Retransmit { seq: 1, len: MSS }));
        assert!(!ev.iter().any(|e| matches!(e, TcpEvent::Timeout { .. })));
        // The retransmitted segment filled the hole and released the four kept behind it.
        assert_eq!(b.recv(usize::MAX), vec![9u8; 5 * MSS]);
        assert_eq!(a.unacked(), 0);
    }

    #[test]
    fn repeated_timeouts_double_the_rto_then_give_up() {
        let (mut a, _) = Tcb::connect(1, 2, 0, MSS as u16, 0);
        let mut rtos = Vec::new();
        let mut now = 0;
        while let Some(t) = a.deadline() {
            now = t;
            let o = a.on_timer(now);
            if a.state() == State::Closed {
                assert!(o.events.contains(&TcpEvent::TimedOut));
                break;
            }
            rtos.push(a.rto() / MS);
            assert!(o.segments[0].has(SYN));
        }
        assert_eq!(rtos, [2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]);
        assert_eq!(a.error(), Some(TcpError::TimedOut));
        assert!(now > 100 * SEC);
    }

    #[test]
    fn a_repeated_syn_gets_the_syn_ack_again() {
        let (mut a, o) = Tcb::connect(50000, 80, 1000, MSS as u16, 0);
        let (mut b, _lost) = Tcb::accept_syn(&o.segments[0], 9000, MSS as u16, 0);
        let again = a.on_timer(a.deadline().unwrap());
        assert!(again.events.contains(&TcpEvent::Retransmit { seq: 0, len: 0 }));
        let reply = b.on_segment(&again.segments[0], 1);
        assert_eq!(reply.segments[0].flags, SYN | ACK);
        exchange(&mut b, &mut a, reply.segments, 2, &mut |_| false);
        assert_eq!((a.state(), b.state()), (State::Established, State::Established));
    }

    #[test]
    fn a_full_receiver_stops_the_sender_until_it_reads_and_a_lost_update_is_probed_for() {
        let (mut a, mut b) = open();
        let data: Vec<u8> = (0..200_000u32).map(|i| i as u8).collect();
        let o = a.send(&data, 0).unwrap();
        exchange(&mut a, &mut b, o.segments, 0, &mut |_| false);
        // b's application has not read: its window closed and a stopped.
        assert!(b.readable() >= usize::from(WINDOW) - MSS && b.readable() < data.len());
        assert_eq!(a.peer_wnd, 0);
        let t = a.deadline().expect("persist timer");
        let mut got = b.recv(usize::MAX);
        // The window update is lost: only the persist timer's probe gets things going again.
        assert_eq!(b.window_update().segments.len(), 1);
        let o = a.on_timer(t);
        assert!(o.events.contains(&TcpEvent::WindowProbe));
        assert_eq!(o.segments[0].payload.len(), 1);
        let mut now = t;
        exchange(&mut a, &mut b, o.segments, now, &mut |_| false);
        for _ in 0..100 {
            got.extend(b.recv(usize::MAX));
            let o = b.window_update();
            now += 1;
            exchange(&mut b, &mut a, o.segments, now, &mut |_| false);
            if got.len() == data.len() {
                break;
            }
        }
        assert_eq!(got, data);
    }

    #[test]
    fn a_reset_answer_to_syn_is_connection_refused() {
        let (mut a, o) = Tcb::connect(1, 2, 0, MSS as u16, 0);
        let rst = Segment::reset_for(&o.segments[0]).unwrap();
        assert_eq!(rst.flags, RST | ACK);
        let out = a.on_segment(&rst, 1);
        assert!(out.events.contains(&TcpEvent::Refused));
        assert_eq!(a.state(), State::Closed);
        assert_eq!(a.send(b"x", 2).unwrap_err(), TcpError::ConnectionRefused);
        assert!(Segment::reset_for(&rst).is_none(), "never a reset for a reset");
    }

    /// Opens a connection from a host announcing `a_mss` to one announcing `b_mss` (None: its
    /// SYN+ACK carries no option), sends `n` bytes from the first and returns the payload sizes.
    fn segment_sizes(a_mss: u16, b_mss: Option<u16>, n: usize) -> (Tcb, Vec<usize>) {
        let (mut a, o) = Tcb::connect(50000, 80, 1000, a_mss, 0);
        assert_eq!(o.segments[0].mss, Some(a_mss), "the SYN announces our MSS");
        let (mut b, mut ob) = Tcb::accept_syn(&o.segments[0], 9000, b_mss.unwrap_or(MSS as u16), 0);
        assert_eq!(ob.segments[0].flags, SYN | ACK);
        ob.segments[0].mss = b_mss;
        exchange(&mut b, &mut a, ob.segments, 0, &mut |_| false);
        let mut sizes = Vec::new();
        let o = a.send(&vec![7u8; n], 1).unwrap();
        exchange(&mut a, &mut b, o.segments, 1, &mut |s| {
            if !s.payload.is_empty() && s.dst_port == 80 {
                sizes.push(s.payload.len());
            }
            false
        });
        assert_eq!(b.recv(usize::MAX), vec![7u8; n]);
        (a, sizes)
    }

    #[test]
    fn segments_never_exceed_the_mss_the_peer_announced() {
        let (a, sizes) = segment_sizes(1460, Some(536), 10_000);
        assert_eq!(a.mss(), 536);
        assert!(sizes.iter().all(|&n| n <= 536), "{sizes:?}");
        assert_eq!(sizes.iter().sum::<usize>(), 10_000);
        assert_eq!(sizes[0], 536, "full-sized segments, not smaller ones");
    }

    #[test]
    fn the_smaller_of_the_two_mss_wins_and_no_option_means_536() {
        let (a, sizes) = segment_sizes(1220, Some(1460), 5000);
        assert_eq!((a.mss(), sizes[0]), (1220, 1220), "our own MSS bounds what we send too");
        let (a, sizes) = segment_sizes(1460, None, 5000);
        assert_eq!((a.mss(), sizes[0]), (536, 536));
        assert_eq!((mss_for_mtu(1500, false), mss_for_mtu(1500, true), mss_for_mtu(576, false)), (1460, 1440, 536));
    }

    #[test]
    fn garbage_segments_never_panic() {
        let (mut a, mut b) = open();
        let mut r = crate::rng::Rng::new(3);
        for i in 0..5000u64 {
            let s = Segment {
                src_port: 80,
                dst_port: 50000,
                seq: r.next_u64() as u32,
                ack: r.next_u64() as u32,
                flags: (r.next_u64() & 0x1f) as u16,
                window: r.next_u64() as u16,
                mss: r.next_u64().is_multiple_of(2).then(|| (r.next_u64() % 3) as u16),
                payload: vec![1; (r.next_u64() % 3000) as usize],
            };
            let _ = a.on_segment(&s, i);
            let _ = b.on_segment(&s, i);
            let _ = a.on_timer(i * 1000);
        }
    }
}
