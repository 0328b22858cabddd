//! Network layer decoders: IPv4, IPv6 (+ extension headers), ICMP, ICMPv6/NDP, IGMP.
#![forbid(unsafe_code)]

use netlayers_core::{DecodeCtx, Handoff, Layer, LayerKind, PseudoHeader, Step};
use std::ops::Range;

fn stub(name: &'static str, frame: &[u8], at: Range<usize>) -> Step {
    let _ = frame;
    let l = Layer::new(LayerKind::Network, name, name, at.clone());
    Step { layers: vec![l], next: Handoff::End, payload: at.end..at.end }
}
/// IPv4. Hands off `IpProto` with a pseudo-header, payload limited by Total Length.
pub fn ipv4(frame: &[u8], at: Range<usize>, _ctx: DecodeCtx) -> Step { stub("ip", frame, at) }
/// IPv6 and its extension headers.
pub fn ipv6(frame: &[u8], at: Range<usize>, _ctx: DecodeCtx) -> Step { stub("ipv6", frame, at) }
/// ICMP. Errors (unreachable, time exceeded, …) hand off `Quoted` with the quoted datagram.
pub fn icmp(frame: &[u8], at: Range<usize>, _ctx: DecodeCtx) -> Step { stub("icmp", frame, at) }
/// ICMPv6 (echo, NDP, errors). Needs the pseudo-header for its checksum.
pub fn icmpv6(frame: &[u8], at: Range<usize>, _ctx: DecodeCtx, _pseudo: &PseudoHeader) -> Step { stub("icmpv6", frame, at) }
/// IGMP v1/v2/v3.
pub fn igmp(frame: &[u8], at: Range<usize>, _ctx: DecodeCtx) -> Step { stub("igmp", frame, at) }
