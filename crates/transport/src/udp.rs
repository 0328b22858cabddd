//! UDP (RFC 768).
//!
//! ```text
//!  0      7 8     15 16    23 24    31
//! +--------+--------+--------+--------+
//! |     Source      |   Destination   |
//! |      Port       |      Port       |
//! +--------+--------+--------+--------+
//! |                 |                 |
//! |     Length      |    Checksum     |
//! +--------+--------+--------+--------+
//! |          data octets ...
//! +---------------- ...
//! ```
//!
//! <https://www.rfc-editor.org/rfc/rfc768>; the zero checksum over IPv6 is forbidden by RFC 8200.
//! As tshark 4.0 does: ports need 4 bytes, the length 6, the checksum 8; a Length below 8 stops
//! decoding; a Length beyond the IP payload is reported as it is and the data is cut at the IP
//! payload.

use std::ops::Range;

use netlayers_core::checksum;
use netlayers_core::{DecodeCtx, Field, Handoff, Layer, LayerKind, Note, PseudoHeader, Severity, Step, Transport, Value};

use netlayers_core::window::Window;
use crate::{checksum_field, expected_checksum, Verdict};

mod field {
    use std::ops::Range;
    pub const SRC_PORT: Range<usize> = 0..2;
    pub const DST_PORT: Range<usize> = 2..4;
    pub const LENGTH: Range<usize> = 4..6;
    pub const CHECKSUM: Range<usize> = 6..8;
    pub const HEADER_LEN: usize = 8;
}

spec!(SRCPORT, "udp.srcport", "Source Port", "源端口",
    "Port of the sending process. A process on the network is named by (IP address, protocol, port): the IP address finds the host, UDP says which transport, and this port finds the socket. Replies go back to this port.",
    "发送进程的端口。网络中的一个进程由三元组(IP 地址、协议、端口)来标识:IP 地址找到主机,UDP 指明传输协议,这个端口再找到对应的套接字。回复会发回到这个端口。");
spec!(DSTPORT, "udp.dstport", "Destination Port", "目的端口",
    "Port of the receiving process: with the destination IP address and the protocol it forms the triple (IP address, protocol, port) that picks the socket the datagram is delivered to (53 DNS, 5353 mDNS, 123 NTP).",
    "接收进程的端口:它和目的 IP 地址、协议一起组成三元组(IP 地址、协议、端口),决定数据报交给哪个套接字(53 为 DNS,5353 为 mDNS,123 为 NTP)。");
spec!(LENGTH, "udp.length", "Length", "长度",
    "Bytes of header (8) plus data. Each datagram is a whole message: UDP keeps the boundaries TCP does not.",
    "首部(8 字节)加数据的字节数。每个数据报都是一条完整的消息:UDP 保留了 TCP 不保留的消息边界。");
spec!(CHECKSUM, "udp.checksum", "Checksum", "校验和",
    "Internet checksum over a pseudo-header (IP addresses, protocol 17, UDP length) and the datagram. 0 over IPv4 means the sender did not compute one; IPv6 requires it.",
    "覆盖伪首部(IP 地址、协议号 17、UDP 长度)和整个数据报的互联网校验和。在 IPv4 上为 0 表示发送方没有计算校验和;IPv6 要求必须计算。");
spec!(CHECKSUM_STATUS, "udp.checksum.status", "Checksum Status", "校验和状态",
    "Whether the checksum matches. Unverified when the datagram was not all captured; captures on the sending host may show bad values because the network card computes the checksum later.",
    "校验和是否正确。数据报没有被完整捕获时无法验证;在发送端抓的包可能显示错误,因为校验和由网卡稍后计算。");
spec!(PAYLOAD, "udp.payload", "UDP payload", "UDP 载荷",
    "The message the datagram carries, handed whole to the process that owns the destination port.",
    "数据报携带的消息,会被完整地交给拥有目的端口的进程。");

/// UDP. Hands off `Ports` with the payload (limited by the UDP Length field, the IP payload and
/// what was captured), or `End`.
pub fn udp(frame: &[u8], at: Range<usize>, _ctx: DecodeCtx, pseudo: &PseudoHeader) -> Step {
    let w = Window::new(frame, at);
    let mut layer = Layer::new(LayerKind::Transport, "udp", "UDP", w.abs(0..field::HEADER_LEN));
    let end = |layer: Layer| Step { layers: vec![layer], next: Handoff::End, payload: w.end()..w.end() };
    let truncated = |layer: &mut Layer| layer.notes.push(Note::truncated("UDP header", w.start(), field::HEADER_LEN, w.len()));

    let (Some(sport), Some(dport)) = (w.u16(field::SRC_PORT.start), w.u16(field::DST_PORT.start)) else {
        layer.title = "User Datagram Protocol".to_string();
        truncated(&mut layer);
        return end(layer);
    };
    layer.title = format!("User Datagram Protocol, Src Port: {sport}, Dst Port: {dport}");
    let mut info = format!("{sport} \u{2192} {dport}");
    layer.fields = vec![
        Field::new(&SRCPORT, Value::UInt(sport.into()), w.abs(field::SRC_PORT)),
        Field::new(&DSTPORT, Value::UInt(dport.into()), w.abs(field::DST_PORT)),
    ];
    let Some(len) = w.u16(field::LENGTH.start).map(usize::from) else {
        truncated(&mut layer);
        layer.info = Some(info);
        return end(layer);
    };
    let upper = pseudo.upper_len;
    let mut len_field = Field::new(&LENGTH, Value::UInt(len as u64), w.abs(field::LENGTH));
    if len < field::HEADER_LEN {
        let note = Note::new(
            Severity::Error,
            "udp.length.bad",
            format!("Bad length value {len} < 8"),
            format!("长度值错误:{len} < 8"),
        );
        len_field.notes.push(note.clone());
        layer.fields.push(len_field);
        layer.notes.push(note);
        layer.info = Some(format!("{info} [BAD UDP LENGTH {len} < 8]"));
        return end(layer);
    }
    let too_long = len > upper;
    if too_long {
        len_field.notes.push(Note::new(
            Severity::Error,
            "udp.length.bad",
            format!("Bad length value {len} > IP payload length {upper}"),
            format!("长度值错误:{len} 大于 IP 载荷长度 {upper}"),
        ));
        info.push_str(&format!(" [BAD UDP LENGTH {len} > IP PAYLOAD LENGTH]"));
    }
    info.push_str(&format!(" Len={}", len - field::HEADER_LEN));
    layer.fields.push(len_field);
    layer.info = Some(info);

    let Some(sum) = w.u16(field::CHECKSUM.start) else {
        truncated(&mut layer);
        return end(layer);
    };
    let verdict = if sum == 0 {
        without_checksum(pseudo)
    } else if too_long {
        Verdict::Unverified
    } else {
        match w.bytes(0..len) {
            None => Verdict::Unverified,
            Some(dgram) if checksum::verify_with_pseudo(pseudo, dgram) => Verdict::Good,
            Some(dgram) => {
                // A computed 0 is sent as 0xffff: 0 means "no checksum".
                let e = expected_checksum(pseudo, dgram, field::CHECKSUM.start);
                Verdict::Bad { expected: if e == 0 { 0xffff } else { e } }
            }
        }
    };
    layer.fields.push(checksum_field(&CHECKSUM, &CHECKSUM_STATUS, sum, w.abs(field::CHECKSUM), verdict));

    // tshark's udp.payload is everything IP delivers after the header; what the Length field
    // covers is what goes on to the application.
    let ip_payload = w.abs(field::HEADER_LEN..upper.max(field::HEADER_LEN));
    if !ip_payload.is_empty() {
        let bytes = frame.get(ip_payload.clone()).unwrap_or(&[]).to_vec();
        layer.fields.push(Field::new(&PAYLOAD, Value::Bytes(bytes), ip_payload));
    }
    let data_end = len.min(upper).max(field::HEADER_LEN);
    let payload = w.abs(field::HEADER_LEN..data_end);
    if payload.is_empty() {
        return end(layer);
    }
    Step { layers: vec![layer], next: Handoff::Ports { transport: Transport::Udp, src: sport, dst: dport }, payload }
}

/// A checksum of 0: none was computed, which IPv4 allows and IPv6 forbids.
fn without_checksum(pseudo: &PseudoHeader) -> Verdict {
    if pseudo.src.is_ipv4() {
        Verdict::NotPresent
    } else {
        Verdict::Illegal
    }
}

/// The `udp.checksum.status` code (Wireshark's: 0 bad, 1 good, 3 not present, 4 illegal) of a
/// whole captured datagram `dgram` whose length agrees with the IP header's: what [`udp`]
/// finds, for a reader of the raw header (the fast path).
pub fn udp_checksum_status(pseudo: &PseudoHeader, dgram: &[u8]) -> u8 {
    let verdict = match dgram.get(6..8) {
        Some([0, 0]) => without_checksum(pseudo),
        _ if checksum::verify_with_pseudo(pseudo, dgram) => Verdict::Good,
        _ => Verdict::Bad { expected: 0 },
    };
    verdict.status().0
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

    fn pseudo(upper_len: usize) -> PseudoHeader {
        PseudoHeader {
            src: IpAddr::V4(Ipv4Addr::new(10, 77, 0, 1)),
            dst: IpAddr::V4(Ipv4Addr::new(10, 77, 0, 2)),
            protocol: 17,
            upper_len,
        }
    }

    /// 5000 → 8081 "hello", from capture u1 frame 1 (checksum 0x744c for 10.77.0.1 → 10.77.0.2).
    const HELLO: [u8; 13] = [
        0x13, 0x88, // source port 5000
        0x1f, 0x91, // destination port 8081
        0x00, 0x0d, // length 13
        0x74, 0x4c, // checksum
        b'h', b'e', b'l', b'l', b'o',
    ];

    fn framed(seg: &[u8]) -> (Vec<u8>, Range<usize>) {
        let mut f = vec![0xeeu8; 34];
        f.extend_from_slice(seg);
        let at = 34..f.len();
        (f, at)
    }

    fn val(s: &Step, key: &str) -> Option<Value> {
        s.layers[0].find(key).map(|f| f.value.clone())
    }

    #[test]
    fn parse() {
        let (f, at) = framed(&HELLO);
        let s = udp(&f, at, DecodeCtx::default(), &pseudo(13));
        assert_eq!(val(&s, "udp.srcport"), Some(Value::UInt(5000)));
        assert_eq!(val(&s, "udp.dstport"), Some(Value::UInt(8081)));
        assert_eq!(val(&s, "udp.length"), Some(Value::UInt(13)));
        assert_eq!(val(&s, "udp.checksum"), Some(Value::Hex { value: 0x744c, digits: 4 }));
        assert_eq!(val(&s, "udp.checksum.status"), Some(Value::Enum { value: 1, name: Some("Good") }));
        assert_eq!(s.layers[0].info.as_deref(), Some("5000 → 8081 Len=5"));
        assert_eq!(s.layers[0].title, "User Datagram Protocol, Src Port: 5000, Dst Port: 8081");
        assert_eq!(s.layers[0].range, 34..42);
        assert_eq!(s.payload, 42..47);
        assert_eq!(s.next, Handoff::Ports { transport: Transport::Udp, src: 5000, dst: 8081 });
        assert_eq!(s.layers[0].find("udp.length").map(|f| f.range.clone()), Some(38..40));
    }

    /// The status a reader of the raw header gets is the decoder's, for every kind of checksum.
    #[test]
    fn the_raw_status_is_the_decoders() {
        let p6 = PseudoHeader { src: IpAddr::V6(Ipv6Addr::LOCALHOST), dst: IpAddr::V6(Ipv6Addr::LOCALHOST), protocol: 17, upper_len: 13 };
        for sum in [None, Some([0xbe, 0xef]), Some([0, 0]), Some([0xff, 0xff])] {
            for p in [pseudo(13), p6] {
                let mut d = HELLO;
                if let Some(s) = sum {
                    d[6..8].copy_from_slice(&s);
                }
                let decoded = val(&udp(&d, 0..13, DecodeCtx::default(), &p), "udp.checksum.status").and_then(|v| v.as_u64());
                assert_eq!(Some(u64::from(udp_checksum_status(&p, &d))), decoded, "{sum:?} {:?}", p.src);
            }
        }
    }

    #[test]
    fn checksums() {
        let mut d = HELLO;
        d[6] = 0xbe;
        d[7] = 0xef;
        let s = udp(&d, 0..13, DecodeCtx::default(), &pseudo(13));
        let c = s.layers[0].find("udp.checksum").cloned();
        assert_eq!(c.as_ref().and_then(|c| c.display.clone()).as_deref(), Some("0xbeef incorrect, should be 0x744c"));
        d[6] = 0;
        d[7] = 0;
        let s = udp(&d, 0..13, DecodeCtx::default(), &pseudo(13));
        assert_eq!(val(&s, "udp.checksum.status"), Some(Value::Enum { value: 3, name: Some("Not present") }));
        let p6 = PseudoHeader { src: IpAddr::V6(Ipv6Addr::LOCALHOST), dst: IpAddr::V6(Ipv6Addr::LOCALHOST), protocol: 17, upper_len: 13 };
        let s = udp(&d, 0..13, DecodeCtx::default(), &p6);
        assert_eq!(val(&s, "udp.checksum.status"), Some(Value::Enum { value: 4, name: Some("Illegal") }));
        // 0xffff is a bad value when the real sum is not zero.
        d[6] = 0xff;
        d[7] = 0xff;
        let s = udp(&d, 0..13, DecodeCtx::default(), &pseudo(13));
        assert_eq!(val(&s, "udp.checksum.status"), Some(Value::Enum { value: 0, name: Some("Bad") }));
    }

    #[test]
    fn length_field_disagrees() {
        // Length 100 > IP payload 13: reported as is, data cut at the IP payload.
        let mut d = HELLO;
        d[5] = 100;
        let s = udp(&d, 0..13, DecodeCtx::default(), &pseudo(13));
        assert_eq!(val(&s, "udp.length"), Some(Value::UInt(100)));
        assert_eq!(s.layers[0].info.as_deref(), Some("5000 → 8081 [BAD UDP LENGTH 100 > IP PAYLOAD LENGTH] Len=92"));
        assert_eq!(s.payload, 8..13);
        assert_eq!(val(&s, "udp.checksum.status"), Some(Value::Enum { value: 2, name: Some("Unverified") }));
        // Length 10: two bytes of data.
        d[5] = 10;
        let s = udp(&d, 0..13, DecodeCtx::default(), &pseudo(13));
        assert_eq!(s.payload, 8..10);
        assert_eq!(val(&s, "udp.payload"), Some(Value::Bytes(b"hello".to_vec())));
        assert_eq!(s.layers[0].info.as_deref(), Some("5000 → 8081 Len=2"));
        // Length 4 < 8: no checksum, nothing handed on.
        d[5] = 4;
        let s = udp(&d, 0..13, DecodeCtx::default(), &pseudo(13));
        assert!(s.layers[0].find("udp.checksum").is_none());
        assert_eq!(s.next, Handoff::End);
        assert_eq!(s.layers[0].info.as_deref(), Some("5000 → 8081 [BAD UDP LENGTH 4 < 8]"));
    }

    #[test]
    fn every_short_length() {
        let (f, _) = framed(&HELLO);
        for n in 0..=HELLO.len() {
            let s = udp(&f, 34..34 + n, DecodeCtx::default(), &pseudo(13));
            let has = |k: &str| s.layers[0].find(k).is_some();
            assert_eq!(has("udp.srcport") && has("udp.dstport"), n >= 4, "n={n}");
            assert_eq!(has("udp.length"), n >= 6, "n={n}");
            assert_eq!(has("udp.checksum"), n >= 8, "n={n}");
            assert_eq!(has("udp.payload"), n > 8, "n={n}");
            if (8..13).contains(&n) {
                assert_eq!(val(&s, "udp.checksum.status"), Some(Value::Enum { value: 2, name: Some("Unverified") }));
            }
            assert_eq!(s.layers[0].notes.iter().any(|x| x.id == "truncated"), n < 8, "n={n}");
            assert!(s.payload.end <= f.len());
            s.layers[0].walk(&mut |x: &Field| assert!(x.generated || (x.range.start >= 34 && x.range.end <= 34 + n)));
        }
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64), upper in 0usize..100) {
            let (f, at) = framed(&bytes);
            let s = udp(&f, at.clone(), DecodeCtx::default(), &pseudo(upper));
            prop_assert!(s.payload.start <= s.payload.end && s.payload.end <= f.len());
            s.layers[0].walk(&mut |x: &Field| assert!(x.range.end <= f.len()));
            let _ = udp(&f, at.start..at.end + 9, DecodeCtx { depth: 1, ..Default::default() }, &pseudo(upper));
        }
    }
}
