//! Application layer decoders, chosen by port (as tshark does) and first line.
#![forbid(unsafe_code)]

use netlayers_core::{DecodeCtx, Handoff, Layer, LayerKind, Step, Transport};
use std::ops::Range;

/// Decodes the application payload of a TCP or UDP segment, if a decoder claims it.
pub fn decode(frame: &[u8], at: Range<usize>, _ctx: DecodeCtx, _transport: Transport, _src: u16, _dst: u16) -> Option<Step> {
    let _ = (frame, at);
    None
}
/// Payload that no decoder claims, as `data` with a printable preview.
pub fn data(frame: &[u8], at: Range<usize>, _ctx: DecodeCtx) -> Step {
    let _ = frame;
    let l = Layer::new(LayerKind::Application, "data", "Data", at.clone());
    Step { layers: vec![l], next: Handoff::End, payload: at.end..at.end }
}
