//! NDJSON lines for the fast path's frames, straight from their bytes.
//!
//! `read --format json` writes every field of every layer (shared/JSON-FIELDS.md). Through the
//! layers that means building each field, its display text and its explanation, to print only
//! its key and value. For the frames the fast path takes, this writes the keys of Ethernet,
//! IPv4/IPv6 and TCP/UDP itself, in the order and with the values the decoders give them
//! (relative sequence numbers, stream index and the expert's findings from the same cross-frame
//! state), and hands what the decoders made of the rest — TCP options, ARP, ICMP, the
//! application layers — to the same field writer the layered path uses.
//!
//! tests/fast_path.rs compares every line with the layered path's, on every capture of the
//! repository and on mutated copies of their frames.

use std::io::Write as _;
use std::net::IpAddr;

use netlayers_core::{Frame, PseudoHeader, Value};
use netlayers_render::{json_fields, json_hex, json_value};
use netlayers_stack::{Dissector, TcpNumbers};

use crate::{see, FastList, Prepared, Seen, Tcp, Udp, Upper, F_ACK};

/// Appends `,"key":` — `key` given with its quotes and colon, e.g. `b",\"ip.ttl\":"`.
fn num(buf: &mut Vec<u8>, key: &[u8], n: impl Into<u64>) {
    buf.extend_from_slice(key);
    buf.extend_from_slice(netlayers_core::text::decimal(n.into(), &mut [0; 20]));
}

fn boolean(buf: &mut Vec<u8>, key: &[u8], b: bool) {
    buf.extend_from_slice(key);
    buf.extend_from_slice(if b { b"true" } else { b"false" });
}

fn value(buf: &mut Vec<u8>, key: &[u8], v: &Value) {
    buf.extend_from_slice(key);
    json_value(buf, v);
}

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

impl FastList {
    /// Appends `frame`'s NDJSON line to `buf` and returns `true`, having updated the cross-frame
    /// state as the layered path would; or returns `false` having changed nothing, and the
    /// caller writes the frame through the layers.
    pub fn json(&mut self, buf: &mut Vec<u8>, frame: &Frame, dissector: &mut Dissector, cross: &mut netlayers_analyze::CrossFrame) -> bool {
        crate::prepare_json(frame).is_some_and(|p| self.json_prepared(buf, frame, p, dissector, cross))
    }

    /// [`FastList::json`] for a frame [`crate::prepare_json`]d ahead.
    pub fn json_prepared(
        &mut self,
        buf: &mut Vec<u8>,
        frame: &Frame,
        prepared: Prepared,
        dissector: &mut Dissector,
        cross: &mut netlayers_analyze::CrossFrame,
    ) -> bool {
        let Some(seen) = see(frame, prepared, dissector, cross) else { return false };
        // The layered path starts the capture's clock at its first frame, whichever path shows it.
        let _ = dissector.rel_time(frame.ts);
        let d = &frame.data[..];
        let hex = if self.no_payload_bytes { no_hex } else { json_hex };
        num(buf, b"{\"frame.number\":", frame.number);
        num(buf, b",\"frame.len\":", frame.orig_len);
        num(buf, b",\"frame.cap_len\":", d.len() as u64);
        if frame.interface != 0 {
            // A pcapng file's second interface and on (the frame layer names it then).
            num(buf, b",\"frame.interface_id\":", frame.interface);
        }
        ethernet(buf, d);
        if let Some((src, dst)) = seen.ip {
            match (src, dst) {
                (IpAddr::V4(_), _) => ipv4(buf, &d[14..34]),
                _ => ipv6(buf, &d[14..54]),
            }
        }
        match &seen.upper {
            Upper::None => {}
            Upper::Udp(u) => udp(buf, u, &seen, hex),
            Upper::Tcp(t, n, verdict) => {
                tcp(buf, frame, t, n, &seen, hex);
                if let Some(r) = verdict.initial_rtt() {
                    buf.extend_from_slice(b",\"tcp.analysis.initial_rtt\":\"");
                    let _ = write!(buf, "{r:.9}");
                    buf.push(b'"');
                }
                for key in verdict.findings() {
                    buf.extend_from_slice(b",\"");
                    buf.extend_from_slice(key.as_bytes());
                    buf.extend_from_slice(b"\":true");
                }
                if let Some((n, f)) = verdict.duplicate_ack() {
                    num(buf, b",\"tcp.analysis.duplicate_ack_num\":", n);
                    num(buf, b",\"tcp.analysis.duplicate_ack_frame\":", f);
                }
            }
        }
        let payload = match &seen.upper {
            Upper::Tcp(t, ..) => t.payload,
            Upper::Udp(u) => u.payload,
            Upper::None => &[],
        };
        if seen.data {
            buf.extend_from_slice(b",\"data.data\":");
            hex(buf, payload);
            num(buf, b",\"data.len\":", payload.len() as u64);
        }
        json_fields(buf, seen.layers.iter().flat_map(|l| &l.fields));
        buf.extend_from_slice(b"}\n");
        true
    }
}

fn ethernet(buf: &mut Vec<u8>, d: &[u8]) {
    let mac = |at: usize| Value::Mac([d[at], d[at + 1], d[at + 2], d[at + 3], d[at + 4], d[at + 5]]);
    value(buf, b",\"eth.dst\":", &mac(0));
    boolean(buf, b",\"eth.dst.lg\":", d[0] & 2 != 0);
    boolean(buf, b",\"eth.dst.ig\":", d[0] & 1 != 0);
    value(buf, b",\"eth.src\":", &mac(6));
    boolean(buf, b",\"eth.src.lg\":", d[6] & 2 != 0);
    boolean(buf, b",\"eth.src.ig\":", d[6] & 1 != 0);
    num(buf, b",\"eth.type\":", be16(d, 12));
}

/// An IPv4 header without options (`h` is its 20 bytes).
fn ipv4(buf: &mut Vec<u8>, h: &[u8]) {
    let flags = h[6] >> 5;
    num(buf, b",\"ip.version\":4,\"ip.hdr_len\":20,\"ip.dsfield\":", h[1]);
    num(buf, b",\"ip.dsfield.dscp\":", h[1] >> 2);
    num(buf, b",\"ip.dsfield.ecn\":", h[1] & 3);
    num(buf, b",\"ip.len\":", be16(h, 2));
    num(buf, b",\"ip.id\":", be16(h, 4));
    num(buf, b",\"ip.flags\":", flags);
    boolean(buf, b",\"ip.flags.rb\":", flags & 4 != 0);
    boolean(buf, b",\"ip.flags.df\":", flags & 2 != 0);
    boolean(buf, b",\"ip.flags.mf\":", flags & 1 != 0);
    num(buf, b",\"ip.frag_offset\":", be16(h, 6) & 0x1fff);
    num(buf, b",\"ip.ttl\":", h[8]);
    num(buf, b",\"ip.proto\":", h[9]);
    num(buf, b",\"ip.checksum\":", be16(h, 10));
    num(buf, b",\"ip.checksum.status\":", u8::from(netlayers_core::checksum::internet(h) == 0));
    value(buf, b",\"ip.src\":", &Value::Ipv4([h[12], h[13], h[14], h[15]].into()));
    value(buf, b",\"ip.dst\":", &Value::Ipv4([h[16], h[17], h[18], h[19]].into()));
}

/// An IPv6 header without extension headers (`h` is its 40 bytes).
fn ipv6(buf: &mut Vec<u8>, h: &[u8]) {
    let word = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
    let tclass = (word >> 20) & 0xff;
    num(buf, b",\"ipv6.version\":6,\"ip.version\":6,\"ipv6.tclass\":", tclass);
    num(buf, b",\"ipv6.tclass.dscp\":", tclass >> 2);
    num(buf, b",\"ipv6.tclass.ecn\":", tclass & 3);
    num(buf, b",\"ipv6.flow\":", word & 0xf_ffff);
    num(buf, b",\"ipv6.plen\":", be16(h, 4));
    num(buf, b",\"ipv6.nxt\":", h[6]);
    num(buf, b",\"ipv6.hlim\":", h[7]);
    let addr = |at: usize| Value::Ipv6(<[u8; 16]>::try_from(&h[at..at + 16]).unwrap_or_default().into());
    value(buf, b",\"ipv6.src\":", &addr(8));
    value(buf, b",\"ipv6.dst\":", &addr(24));
}

fn pseudo(seen: &Seen<'_>, protocol: u8, upper_len: usize) -> Option<PseudoHeader> {
    let (src, dst) = seen.ip?;
    Some(PseudoHeader { src, dst, protocol, upper_len })
}

/// What `hex` writes for payload bytes when the caller asked for none (see
/// [`FastList::without_payload_bytes`]).
fn no_hex(buf: &mut Vec<u8>, _: &[u8]) {
    buf.extend_from_slice(b"\"\"");
}

/// How payload bytes are written: [`json_hex`] or [`no_hex`].
type Hex = fn(&mut Vec<u8>, &[u8]);

fn udp(buf: &mut Vec<u8>, u: &Udp<'_>, seen: &Seen<'_>, hex: Hex) {
    let sum = be16(u.segment, 6);
    // As the UDP decoder: no checksum (0) is "not present" over IPv4 and illegal over IPv6.
    let status = match pseudo(seen, 17, u.segment.len()) {
        Some(p) if sum == 0 => {
            if p.src.is_ipv4() {
                3
            } else {
                4
            }
        }
        Some(p) => u8::from(netlayers_core::checksum::verify_with_pseudo(&p, u.segment)),
        None => 2,
    };
    num(buf, b",\"udp.srcport\":", u.sport);
    num(buf, b",\"udp.dstport\":", u.dport);
    num(buf, b",\"udp.length\":", u.segment.len() as u64);
    num(buf, b",\"udp.checksum\":", sum);
    num(buf, b",\"udp.checksum.status\":", status);
    num(buf, b",\"udp.stream\":", seen.stream);
    if !u.payload.is_empty() {
        buf.extend_from_slice(b",\"udp.payload\":");
        hex(buf, u.payload);
    }
}

fn tcp(buf: &mut Vec<u8>, frame: &Frame, t: &Tcp<'_>, n: &TcpNumbers, seen: &Seen<'_>, hex: Hex) {
    let len = t.payload.len();
    let seq = t.seq.wrapping_sub(n.seq_base);
    // Without the ACK flag the field stays raw.
    let ack_base = t.ack_base(n);
    let ack = if t.flags & F_ACK != 0 { t.ack.wrapping_sub(ack_base.unwrap_or(0)) } else { t.ack };
    let hdr_len = t.segment.len() - len;
    num(buf, b",\"tcp.srcport\":", t.sport);
    num(buf, b",\"tcp.dstport\":", t.dport);
    num(buf, b",\"tcp.stream\":", seen.stream);
    num(buf, b",\"tcp.len\":", len as u64);
    num(buf, b",\"tcp.seq\":", seq);
    num(buf, b",\"tcp.seq_raw\":", t.seq);
    num(buf, b",\"tcp.nxtseq\":", netlayers_transport::next_seq(seq, len, t.flags));
    num(buf, b",\"tcp.ack\":", ack);
    num(buf, b",\"tcp.ack_raw\":", t.ack);
    num(buf, b",\"tcp.hdr_len\":", hdr_len as u64);
    num(buf, b",\"tcp.flags\":", t.flags);
    let bits: [(&[u8], u16); 10] = [
        (b",\"tcp.flags.res\":", 0xe00),
        (b",\"tcp.flags.ae\":", 0x100),
        (b",\"tcp.flags.cwr\":", 0x080),
        (b",\"tcp.flags.ece\":", 0x040),
        (b",\"tcp.flags.urg\":", 0x020),
        (b",\"tcp.flags.ack\":", 0x010),
        (b",\"tcp.flags.push\":", 0x008),
        (b",\"tcp.flags.reset\":", 0x004),
        (b",\"tcp.flags.syn\":", 0x002),
        (b",\"tcp.flags.fin\":", 0x001),
    ];
    for (key, mask) in bits {
        boolean(buf, key, t.flags & mask != 0);
    }
    buf.extend_from_slice(b",\"tcp.flags.str\":\"");
    buf.extend_from_slice(netlayers_transport::flag_string(t.flags).as_bytes());
    buf.push(b'"');
    let shift = t.window_shift(n);
    num(buf, b",\"tcp.window_size_value\":", t.window);
    num(buf, b",\"tcp.window_size\":", u64::from(t.window) << shift.unwrap_or(0));
    if let Some(s) = shift {
        num(buf, b",\"tcp.window_size_scalefactor\":", 1u64 << s);
    }
    let good = pseudo(seen, 6, t.segment.len()).is_some_and(|p| netlayers_core::checksum::verify_with_pseudo(&p, t.segment));
    num(buf, b",\"tcp.checksum\":", be16(t.segment, 16));
    num(buf, b",\"tcp.checksum.status\":", u8::from(good));
    num(buf, b",\"tcp.urgent_pointer\":", t.urgent);
    if !t.options.is_empty() {
        let range = t.at..t.at + t.segment.len();
        let options = netlayers_transport::options_field(&frame.data, range, hdr_len, ack_base);
        json_fields(buf, [&options]);
    }
    if len > 0 {
        buf.extend_from_slice(b",\"tcp.payload\":");
        hex(buf, t.payload);
    }
}
