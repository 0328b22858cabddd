//! Transport layer decoders: TCP and UDP.
#![forbid(unsafe_code)]

use netlayers_core::{DecodeCtx, Handoff, Layer, LayerKind, PseudoHeader, Step};
use std::ops::Range;

fn stub(name: &'static str, frame: &[u8], at: Range<usize>) -> Step {
    let _ = frame;
    let l = Layer::new(LayerKind::Transport, name, name, at.clone());
    Step { layers: vec![l], next: Handoff::End, payload: at.end..at.end }
}
/// TCP. Hands off `Ports` with the payload.
pub fn tcp(frame: &[u8], at: Range<usize>, _ctx: DecodeCtx, _pseudo: &PseudoHeader) -> Step { stub("tcp", frame, at) }
/// UDP. Hands off `Ports` with the payload (limited by the UDP Length field).
pub fn udp(frame: &[u8], at: Range<usize>, _ctx: DecodeCtx, _pseudo: &PseudoHeader) -> Step { stub("udp", frame, at) }
/// Adds Wireshark's relative sequence numbers to a decoded TCP layer and rewrites its Info text
/// with them: `seq_base` is this direction's base, `ack_base` the other direction's (if seen).
pub fn tcp_relative(layer: &mut Layer, seq_base: u32, ack_base: Option<u32>) { let _ = (layer, seq_base, ack_base); }
