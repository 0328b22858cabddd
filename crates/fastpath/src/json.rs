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
use netlayers_render::{json_fields, json_hex, json_value, Pairs};
use netlayers_stack::{Dissector, TcpNumbers};

use crate::{see, FastList, Prepared, Seen, Tcp, Udp, Upper, F_ACK};

/// A number under `key`, given as a following pair writes it (`b",\"ip.ttl\":"`).
fn num(out: &mut impl Pairs, key: &'static [u8], n: impl Into<u64>) {
    let n = n.into();
    out.pair_written(key, |buf| buf.extend_from_slice(netlayers_core::text::decimal(n, &mut [0; 20])));
}

/// [`num`] for a value worth computing only if it is written (a checksum's status).
fn num_lazy(out: &mut impl Pairs, key: &'static [u8], n: impl FnOnce() -> u8) {
    out.pair_written(key, |buf| buf.extend_from_slice(netlayers_core::text::decimal(n().into(), &mut [0; 20])));
}

fn boolean(out: &mut impl Pairs, key: &'static [u8], b: bool) {
    out.pair_written(key, |buf| buf.extend_from_slice(if b { b"true" } else { b"false" }));
}

fn value(out: &mut impl Pairs, key: &'static [u8], v: &Value) {
    out.pair_written(key, |buf| json_value(buf, v));
}

/// The payload under `key`, in hex: as `ahead` has it written already, or written now.
fn hex(out: &mut impl Pairs, key: &'static [u8], bytes: &[u8], ahead: Option<&[u8]>) {
    match ahead {
        Some(h) => out.pair_written(key, |buf| buf.extend_from_slice(h)),
        None => out.pair_written(key, |buf| json_hex(buf, bytes)),
    }
}

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

impl FastList {
    /// Hands `frame`'s NDJSON pairs to `out` (a [`netlayers_render::Line`] for the whole line)
    /// and returns `true`, having updated the cross-frame state as the layered path would; or
    /// returns `false` having changed nothing, and the caller writes the frame through the
    /// layers.
    pub fn json(&mut self, out: &mut impl Pairs, frame: &Frame, dissector: &mut Dissector, cross: &mut netlayers_analyze::CrossFrame) -> bool {
        crate::prepare_json(frame).is_some_and(|mut p| self.json_prepared(out, frame, &mut p, false, dissector, cross))
    }

    /// [`FastList::json`] for a frame [`crate::prepare_json`]d ahead (its layers are left in
    /// `prepared`). With `head_written`, the caller gave `out` the frame's [`json_head`]
    /// already (written ahead, on another thread) and the pairs after it follow.
    pub fn json_prepared(
        &mut self,
        out: &mut impl Pairs,
        frame: &Frame,
        prepared: &mut Prepared,
        head_written: bool,
        dissector: &mut Dissector,
        cross: &mut netlayers_analyze::CrossFrame,
    ) -> bool {
        let Some(seen) = see(frame, prepared, dissector, cross) else { return false };
        let ahead = seen.payload_hex;
        // The layered path starts the capture's clock at its first frame, whichever path shows it.
        let _ = dissector.rel_time(frame.ts);
        if !head_written {
            head(out, frame, seen.ip.map(|(src, _)| src));
        }
        match &seen.upper {
            Upper::None => {}
            Upper::Udp(u) => udp(out, u, &seen, ahead),
            Upper::Tcp(t, n, verdict) => {
                tcp(out, frame, t, n, &seen, ahead);
                if let Some(r) = verdict.initial_rtt() {
                    out.pair_written(b",\"tcp.analysis.initial_rtt\":", |buf| {
                        buf.push(b'"');
                        let _ = write!(buf, "{r:.9}");
                        buf.push(b'"');
                    });
                }
                for key in verdict.findings() {
                    out.pair(key.as_bytes(), |buf| buf.extend_from_slice(b"true"));
                }
                if let Some((n, f)) = verdict.duplicate_ack() {
                    num(out, b",\"tcp.analysis.duplicate_ack_num\":", n);
                    num(out, b",\"tcp.analysis.duplicate_ack_frame\":", f);
                }
            }
        }
        let payload = match &seen.upper {
            Upper::Tcp(t, ..) => t.payload,
            Upper::Udp(u) => u.payload,
            Upper::None => &[],
        };
        if seen.data {
            hex(out, b",\"data.data\":", payload, ahead);
            num(out, b",\"data.len\":", payload.len() as u64);
        }
        json_fields(out, seen.layers.iter().flat_map(|l| &l.fields));
        out.close();
        true
    }
}

/// The pairs of a frame's NDJSON line that need nothing from earlier frames, opening the
/// object: the frame's, then the Ethernet and IP headers'. For a frame the fast path takes (a
/// [`crate::prepare_json`] that is `Some`), and a caller that writes it ahead, on another
/// thread, then hands [`FastList::json_prepared`] the rest.
/// A frame the fast path does not read (too short, not Ethernet …) gets nothing.
pub fn json_head(out: &mut impl Pairs, frame: &Frame) {
    match crate::parse(frame) {
        Some(crate::Net::Ip { src, .. }) => head(out, frame, Some(src)),
        Some(crate::Net::Arp) => head(out, frame, None),
        None => {}
    }
}

/// [`json_head`] of a frame already read: `src` is its IP source address (none for ARP).
fn head(out: &mut impl Pairs, frame: &Frame, src: Option<IpAddr>) {
    let d = &frame.data[..];
    out.open(frame.number);
    num(out, b",\"frame.len\":", frame.orig_len);
    num(out, b",\"frame.cap_len\":", d.len() as u64);
    if frame.interface != 0 {
        // A pcapng file's second interface and on (the frame layer names it then).
        num(out, b",\"frame.interface_id\":", frame.interface);
    }
    ethernet(out, d);
    match src {
        Some(IpAddr::V4(_)) => ipv4(out, &d[14..34]),
        Some(IpAddr::V6(_)) => ipv6(out, &d[14..54]),
        None => {}
    }
}

fn ethernet(out: &mut impl Pairs, d: &[u8]) {
    let mac = |at: usize| Value::Mac([d[at], d[at + 1], d[at + 2], d[at + 3], d[at + 4], d[at + 5]]);
    value(out, b",\"eth.dst\":", &mac(0));
    boolean(out, b",\"eth.dst.lg\":", d[0] & 2 != 0);
    boolean(out, b",\"eth.dst.ig\":", d[0] & 1 != 0);
    value(out, b",\"eth.src\":", &mac(6));
    boolean(out, b",\"eth.src.lg\":", d[6] & 2 != 0);
    boolean(out, b",\"eth.src.ig\":", d[6] & 1 != 0);
    num(out, b",\"eth.type\":", be16(d, 12));
}

/// An IPv4 header without options (`h` is its 20 bytes).
fn ipv4(out: &mut impl Pairs, h: &[u8]) {
    let flags = h[6] >> 5;
    num(out, b",\"ip.version\":", 4u8);
    num(out, b",\"ip.hdr_len\":", 20u8);
    num(out, b",\"ip.dsfield\":", h[1]);
    num(out, b",\"ip.dsfield.dscp\":", h[1] >> 2);
    num(out, b",\"ip.dsfield.ecn\":", h[1] & 3);
    num(out, b",\"ip.len\":", be16(h, 2));
    num(out, b",\"ip.id\":", be16(h, 4));
    num(out, b",\"ip.flags\":", flags);
    boolean(out, b",\"ip.flags.rb\":", flags & 4 != 0);
    boolean(out, b",\"ip.flags.df\":", flags & 2 != 0);
    boolean(out, b",\"ip.flags.mf\":", flags & 1 != 0);
    num(out, b",\"ip.frag_offset\":", be16(h, 6) & 0x1fff);
    num(out, b",\"ip.ttl\":", h[8]);
    num(out, b",\"ip.proto\":", h[9]);
    num(out, b",\"ip.checksum\":", be16(h, 10));
    num_lazy(out, b",\"ip.checksum.status\":", || u8::from(netlayers_core::checksum::internet(h) == 0));
    value(out, b",\"ip.src\":", &Value::Ipv4([h[12], h[13], h[14], h[15]].into()));
    value(out, b",\"ip.dst\":", &Value::Ipv4([h[16], h[17], h[18], h[19]].into()));
}

/// An IPv6 header without extension headers (`h` is its 40 bytes).
fn ipv6(out: &mut impl Pairs, h: &[u8]) {
    let word = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
    let tclass = (word >> 20) & 0xff;
    num(out, b",\"ipv6.version\":", 6u8);
    num(out, b",\"ip.version\":", 6u8);
    num(out, b",\"ipv6.tclass\":", tclass);
    num(out, b",\"ipv6.tclass.dscp\":", tclass >> 2);
    num(out, b",\"ipv6.tclass.ecn\":", tclass & 3);
    num(out, b",\"ipv6.flow\":", word & 0xf_ffff);
    num(out, b",\"ipv6.plen\":", be16(h, 4));
    num(out, b",\"ipv6.nxt\":", h[6]);
    num(out, b",\"ipv6.hlim\":", h[7]);
    let addr = |at: usize| Value::Ipv6(<[u8; 16]>::try_from(&h[at..at + 16]).unwrap_or_default().into());
    value(out, b",\"ipv6.src\":", &addr(8));
    value(out, b",\"ipv6.dst\":", &addr(24));
}

fn pseudo(seen: &Seen<'_>, protocol: u8, upper_len: usize) -> Option<PseudoHeader> {
    let (src, dst) = seen.ip?;
    Some(PseudoHeader { src, dst, protocol, upper_len })
}

fn udp(out: &mut impl Pairs, u: &Udp<'_>, seen: &Seen<'_>, ahead: Option<&[u8]>) {
    let sum = be16(u.segment, 6);
    let status = || pseudo(seen, 17, u.segment.len()).map_or(2, |p| netlayers_transport::udp_checksum_status(&p, u.segment));
    num(out, b",\"udp.srcport\":", u.sport);
    num(out, b",\"udp.dstport\":", u.dport);
    num(out, b",\"udp.length\":", u.segment.len() as u64);
    num(out, b",\"udp.checksum\":", sum);
    num_lazy(out, b",\"udp.checksum.status\":", status);
    num(out, b",\"udp.stream\":", seen.stream);
    if !u.payload.is_empty() {
        hex(out, b",\"udp.payload\":", u.payload, ahead);
    }
}

fn tcp(out: &mut impl Pairs, frame: &Frame, t: &Tcp<'_>, n: &TcpNumbers, seen: &Seen<'_>, ahead: Option<&[u8]>) {
    let len = t.payload.len();
    let seq = t.seq.wrapping_sub(n.seq_base);
    // Without the ACK flag the field stays raw.
    let ack_base = t.ack_base(n);
    let ack = if t.flags & F_ACK != 0 { t.ack.wrapping_sub(ack_base.unwrap_or(0)) } else { t.ack };
    let hdr_len = t.segment.len() - len;
    num(out, b",\"tcp.srcport\":", t.sport);
    num(out, b",\"tcp.dstport\":", t.dport);
    num(out, b",\"tcp.stream\":", seen.stream);
    num(out, b",\"tcp.len\":", len as u64);
    num(out, b",\"tcp.seq\":", seq);
    num(out, b",\"tcp.seq_raw\":", t.seq);
    num(out, b",\"tcp.nxtseq\":", netlayers_transport::next_seq(seq, len, t.flags));
    num(out, b",\"tcp.ack\":", ack);
    num(out, b",\"tcp.ack_raw\":", t.ack);
    num(out, b",\"tcp.hdr_len\":", hdr_len as u64);
    num(out, b",\"tcp.flags\":", t.flags);
    let bits: [(&'static [u8], u16); 10] = [
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
        boolean(out, key, t.flags & mask != 0);
    }
    out.pair_written(b",\"tcp.flags.str\":", |buf| {
        buf.push(b'"');
        netlayers_transport::push_flag_string(t.flags, buf);
        buf.push(b'"');
    });
    let shift = t.window_shift(n);
    num(out, b",\"tcp.window_size_value\":", t.window);
    num(out, b",\"tcp.window_size\":", u64::from(t.window) << shift.unwrap_or(0));
    if let Some(s) = shift {
        num(out, b",\"tcp.window_size_scalefactor\":", 1u64 << s);
    }
    let good = || pseudo(seen, 6, t.segment.len()).is_some_and(|p| netlayers_core::checksum::verify_with_pseudo(&p, t.segment));
    num(out, b",\"tcp.checksum\":", be16(t.segment, 16));
    num_lazy(out, b",\"tcp.checksum.status\":", || u8::from(good()));
    num(out, b",\"tcp.urgent_pointer\":", t.urgent);
    if !t.options.is_empty() {
        let range = t.at..t.at + t.segment.len();
        let options = netlayers_transport::options_field(&frame.data, range, hdr_len, ack_base);
        json_fields(out, [&options]);
    }
    if len > 0 {
        hex(out, b",\"tcp.payload\":", t.payload, ahead);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netlayers_core::{LinkType, Timestamp};

    fn frame(data: &[u8]) -> Frame {
        Frame { number: 1, ts: Timestamp::default(), orig_len: data.len() as u32, data: data.to_vec(), link: LinkType::Ethernet, interface: 0 }
    }

    /// The head is for frames the fast path reads; any other frame, however short, gets nothing.
    #[test]
    fn a_head_is_written_only_for_a_frame_the_fast_path_reads() {
        let mut arp = vec![0xff; 6];
        arp.extend_from_slice(&[2, 0, 0, 0, 0, 1, 0x08, 0x06]);
        arp.extend_from_slice(&[0; 28]);
        for n in 0..arp.len() {
            let mut buf = Vec::new();
            json_head(&mut netlayers_render::Line(&mut buf), &frame(&arp[..n]));
            assert!(buf.is_empty() || n >= 14, "{n} bytes: {}", String::from_utf8_lossy(&buf));
        }
        let mut buf = Vec::new();
        json_head(&mut netlayers_render::Line(&mut buf), &frame(&arp));
        assert!(buf.starts_with(b"{\"frame.number\":1,\"frame.len\":42,") && buf.ends_with(b"\"eth.type\":2054"), "{}", String::from_utf8_lossy(&buf));
    }
}
