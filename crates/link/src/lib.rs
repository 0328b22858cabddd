//! Link layer decoders. Each takes the whole captured frame, the byte range it may read, and
//! returns a [`Step`] naming what follows by EtherType.
#![forbid(unsafe_code)]

use netlayers_core::{DecodeCtx, Handoff, Layer, LayerKind, Step};
use std::ops::Range;

fn stub(name: &'static str, frame: &[u8], at: Range<usize>) -> Step {
    let _ = frame;
    let l = Layer::new(LayerKind::Link, name, name, at.clone());
    Step { layers: vec![l], next: Handoff::End, payload: at.end..at.end }
}
/// Ethernet II / 802.3, with any 802.1Q tags that follow (each tag its own `vlan` layer).
pub fn ethernet(frame: &[u8], at: Range<usize>, _ctx: DecodeCtx) -> Step { stub("eth", frame, at) }
/// An 802.1Q (0x8100), 802.1ad (0x88a8) or 0x9100 tag after an EtherType/TPID `tpid`: one `vlan` layer per tag.
pub fn ethernet_vlan(frame: &[u8], at: Range<usize>, tpid: u16, _ctx: DecodeCtx) -> Step { let _ = tpid; stub("vlan", frame, at) }
/// ARP (over Ethernet: hardware type 1, protocol 0x0800).
pub fn arp(frame: &[u8], at: Range<usize>, _ctx: DecodeCtx) -> Step { stub("arp", frame, at) }
/// Linux cooked capture v1 (16-byte header).
pub fn linux_sll(frame: &[u8], at: Range<usize>, _ctx: DecodeCtx) -> Step { stub("sll", frame, at) }
/// Linux cooked capture v2 (20-byte header).
pub fn linux_sll2(frame: &[u8], at: Range<usize>, _ctx: DecodeCtx) -> Step { stub("sll", frame, at) }
/// BSD loopback: a 4-byte address family, host byte order (`network_order` false) or network
/// byte order (LINKTYPE_LOOP). Hands off EtherType 0x0800 / 0x86dd for the families it knows.
pub fn null(frame: &[u8], at: Range<usize>, network_order: bool, _ctx: DecodeCtx) -> Step { let _ = network_order; stub("null", frame, at) }
