//! How one layer hands the bytes after its header to the next, without knowing the next.
//!
//! Real protocols only meet through hand-off numbers (EtherType, IP protocol, port). A decoder
//! returns a [`Step`]: the layers it decoded, the [`Handoff`] that names what follows, and the
//! byte range the next decoder may read. The `stack` crate is the only one that maps hand-offs
//! to decoders.

use std::net::IpAddr;
use std::ops::Range;

use crate::model::Layer;

/// TCP or UDP: the two transports the tutorial contrasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    Tcp,
    Udp,
}

/// What the IP layer tells the transport: the addresses and length that enter its checksum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PseudoHeader {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// IP protocol / IPv6 next header of the transport (6, 17, 58 …).
    pub protocol: u8,
    /// Upper-layer length the IP header promises (IPv4 total length − header length; IPv6
    /// payload length − extension headers). It may exceed what was captured.
    pub upper_len: usize,
}

/// What comes after a layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handoff {
    /// Nothing follows.
    End,
    /// A link-layer protocol number (Ethernet, VLAN, SLL): 0x0800 IPv4, 0x86dd IPv6, 0x0806 ARP …
    EtherType(u16),
    /// An IEEE 802.2 LLC header: after an IEEE 802.3 length field (instead of an EtherType), or
    /// a Linux cooked capture's protocol 0x0004.
    Llc,
    /// The data of an LLC information frame, for the service access point (the DSAP) it is
    /// addressed to: 0x42 is the spanning tree's BPDUs. (A SNAP header whose PID names a BPDU
    /// hands off 0x42 too: the bytes that follow are the same BPDU.)
    Sap(u8),
    /// An IPv4/IPv6 payload. `fragment_offset` is in bytes: a non-zero offset means the bytes are
    /// the middle of a datagram and are not decoded further (no reassembly per frame).
    IpProto { proto: u8, pseudo: PseudoHeader, fragment_offset: u32 },
    /// An IP packet quoted inside an ICMP/ICMPv6 error (version 4 or 6, from its first nibble).
    Quoted,
    /// A transport payload: the application is chosen by port.
    Ports { transport: Transport, src: u16, dst: u16 },
    /// Payload no decoder claims: shown as data.
    Data,
}

/// The result of decoding one layer (or a few tightly bound ones, like stacked VLAN tags).
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub layers: Vec<Layer>,
    pub next: Handoff,
    /// Absolute range of the bytes handed to the next layer. Already limited by the length the
    /// header declares (so Ethernet padding is never taken for payload).
    pub payload: Range<usize>,
}

impl Step {
    pub fn end(layer: Layer) -> Step {
        let at = layer.range.end;
        Step { layers: vec![layer], next: Handoff::End, payload: at..at }
    }
}

/// What a decoder needs to know about where it sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DecodeCtx {
    /// 0 for the frame's own headers, 1 inside an ICMP error's quoted packet, …
    pub depth: u8,
    /// `Some` when the bytes are an IP payload put back together from fragments: the TTL (IPv4)
    /// or hop limit (IPv6) of the fragment that completed it. ICMP and ICMPv6 otherwise look for
    /// the IP header right before their own bytes, and a reassembled payload has none there.
    pub reassembled_ttl: Option<u8>,
}

impl DecodeCtx {
    pub fn quoted(self) -> bool {
        self.depth > 0
    }
}
