//! Ping pairs: an ICMP or ICMPv6 echo reply linked to its request, as tshark links them in one
//! pass over a capture. The reply gets `icmp.resp_to` (the request's frame number) and
//! `icmp.resptime` (milliseconds between them), and its Info text ends in `(request in N)`.
//!
//! A request and its reply share the identifier and the sequence number, and go between the
//! same two addresses in opposite directions. As in tshark, a reply answers the latest such
//! request not answered yet (a request sent twice is answered by its second copy; a reply that
//! comes twice links only once: captures/crafted/icmp-echo-dup.pcap). Requests are remembered
//! until the table holds
//! [`MAX_PENDING`]; then the half used longest ago is dropped, so memory stays bounded on
//! endless pings.

use std::net::IpAddr;

use netlayers_core::{Field, FieldSpec, Layer, Recent, Text, Timestamp, Value};

macro_rules! spec {
    ($name:ident, $key:literal, $en:literal, $zh:literal, $xen:literal, $xzh:literal) => {
        pub static $name: FieldSpec = FieldSpec::new($key, Text::new($en, $zh), Text::new($xen, $xzh));
    };
}

spec!(RESP_TO, "icmp.resp_to", "Response to request in frame", "所回应的请求位于帧",
    "The echo request this reply answers: same identifier and sequence number, addresses swapped.",
    "这个应答所回应的回显请求:标识符和序号相同,地址互换。");
spec!(RESPTIME, "icmp.resptime", "Response time (ms)", "响应时间(毫秒)",
    "Milliseconds from the request to this reply, seen where the capture was made: what ping prints as time=.",
    "从请求到这个应答经过的毫秒数(在抓包位置看到的),也就是 ping 打印的 time=。");
spec!(RESP_TO6, "icmpv6.resp_to", "Response To", "所回应的请求位于帧",
    "The echo request this reply answers: same identifier and sequence number, addresses swapped.",
    "这个应答所回应的回显请求:标识符和序号相同,地址互换。");
spec!(RESPTIME6, "icmpv6.resptime", "Response Time (ms)", "响应时间(毫秒)",
    "Milliseconds from the request to this reply, seen where the capture was made: what ping prints as time=.",
    "从请求到这个应答经过的毫秒数(在抓包位置看到的),也就是 ping 打印的 time=。");

/// Every field spec this module can add.
pub static FIELDS: &[&FieldSpec] = &[&RESP_TO, &RESPTIME, &RESP_TO6, &RESPTIME6];

/// Requests kept waiting for their reply, at most.
pub const MAX_PENDING: usize = netlayers_core::recent::LIMIT;

/// (ICMPv6?, requester, responder, identifier, sequence number).
type Key = (bool, IpAddr, IpAddr, u64, u64);

/// Links echo replies to their requests across the frames of one capture, in order.
#[derive(Debug, Default)]
pub struct Echoes {
    pending: Recent<Key, (u64, Timestamp)>,
}

impl Echoes {
    pub fn new() -> Echoes {
        Echoes::default()
    }

    /// Call once per frame, in capture order. Only the frame's own ICMP layer counts, not a
    /// packet quoted inside an ICMP error.
    pub fn annotate(&mut self, layers: &mut [Layer], number: u64, ts: Timestamp) {
        let mut addrs = None;
        for l in layers.iter_mut() {
            if l.depth != 0 {
                return;
            }
            match l.protocol {
                "ip" | "ipv6" => addrs = crate::ip_endpoints(l),
                "icmp" | "icmpv6" => {
                    if let Some((src, dst)) = addrs {
                        self.icmp(src, dst, l, number, ts);
                    }
                    return;
                }
                _ => {}
            }
        }
    }

    /// Links the frame's own ICMP or ICMPv6 layer, sent from `src` to `dst`: what `annotate`
    /// does, for a caller that decoded the layers above IP only (the packet list's fast path).
    pub fn icmp(&mut self, src: IpAddr, dst: IpAddr, l: &mut Layer, number: u64, ts: Timestamp) {
        let v6 = l.protocol == "icmpv6";
        let (request, reply, id, seq) =
            if v6 { (128, 129, "icmpv6.echo.identifier", "icmpv6.echo.sequence_number") } else { (8, 0, "icmp.ident", "icmp.seq") };
        let num = |k: &str| l.find(k).and_then(|f| f.value.as_u64());
        let (Some(t), Some(id), Some(seq)) = (num(if v6 { "icmpv6.type" } else { "icmp.type" }), num(id), num(seq)) else {
            return;
        };
        if t == request {
            // A request sent again with the same numbers: the reply will answer the latest.
            self.pending.insert((v6, src, dst, id, seq), (number, ts));
        } else if t == reply {
            // A request is answered once: a second reply to it links to nothing.
            if let Some((req, at)) = self.pending.remove(&(v6, dst, src, id, seq)) {
                let ms = ts.since(at) * 1000.0;
                let (to, time) = if v6 { (&RESP_TO6, &RESPTIME6) } else { (&RESP_TO, &RESPTIME) };
                l.fields.push(Field::generated(to, Value::UInt(req)));
                l.fields.push(Field::generated(time, Value::Text(format!("{ms:.3}"))));
                if let Some(info) = l.info.as_mut() {
                    info.push_str(&format!(" (request in {req})"));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netlayers_core::LayerKind;
    use std::net::Ipv4Addr;

    static K: [FieldSpec; 5] = [
        FieldSpec::new("ip.src", Text::new("", ""), Text::new("", "")),
        FieldSpec::new("ip.dst", Text::new("", ""), Text::new("", "")),
        FieldSpec::new("icmp.type", Text::new("", ""), Text::new("", "")),
        FieldSpec::new("icmp.ident", Text::new("", ""), Text::new("", "")),
        FieldSpec::new("icmp.seq", Text::new("", ""), Text::new("", "")),
    ];

    fn ping(from: u8, to: u8, t: u64, id: u64, seq: u64) -> Vec<Layer> {
        let mut ip = Layer::new(LayerKind::Network, "ip", "IPv4", 0..20);
        ip.fields = vec![
            Field::new(&K[0], Value::Ipv4(Ipv4Addr::new(10, 0, 0, from)), 0..0),
            Field::new(&K[1], Value::Ipv4(Ipv4Addr::new(10, 0, 0, to)), 0..0),
        ];
        let mut icmp = Layer::new(LayerKind::Network, "icmp", "ICMP", 20..28);
        icmp.info = Some("Echo".into());
        icmp.fields = [t, id, seq].iter().zip(&K[2..]).map(|(v, k)| Field::new(k, Value::UInt(*v), 0..0)).collect();
        vec![ip, icmp]
    }

    #[test]
    fn a_reply_names_its_request_and_the_time() {
        let mut e = Echoes::new();
        let at = |ms: u32| Timestamp { secs: 5, nanos: ms * 1_000_000 };
        e.annotate(&mut ping(1, 2, 8, 7, 1), 1, at(0));
        e.annotate(&mut ping(1, 2, 8, 7, 2), 2, at(1));
        let mut wrong_way = ping(1, 2, 0, 7, 1);
        e.annotate(&mut wrong_way, 3, at(2));
        assert!(wrong_way[1].find("icmp.resp_to").is_none(), "a reply goes the other way");
        let mut other_id = ping(2, 1, 0, 8, 1);
        e.annotate(&mut other_id, 4, at(3));
        assert!(other_id[1].find("icmp.resp_to").is_none());
        let mut r = ping(2, 1, 0, 7, 2);
        e.annotate(&mut r, 5, at(13));
        assert_eq!(r[1].find("icmp.resp_to").map(|f| f.value.clone()), Some(Value::UInt(2)));
        assert_eq!(r[1].find("icmp.resptime").map(|f| f.value.clone()), Some(Value::Text("12.000".into())));
        assert_eq!(r[1].info.as_deref(), Some("Echo (request in 2)"));
    }

    #[test]
    fn pending_requests_stay_bounded() {
        let mut e = Echoes::new();
        for n in 0..(MAX_PENDING as u64 + 10) {
            e.annotate(&mut ping(1, 2, 8, 1, n), n + 1, Timestamp::default());
        }
        assert!(e.pending.len() <= MAX_PENDING);
        // The newest requests are still there.
        let mut r = ping(2, 1, 0, 1, MAX_PENDING as u64 + 9);
        e.annotate(&mut r, 1 << 20, Timestamp::default());
        assert!(r[1].find("icmp.resp_to").is_some());
    }
}
