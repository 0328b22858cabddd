//! Analysis that looks across a frame's tree or across frames: Wireshark display filters
//! ([`Filter`]) and conversation indices ([`Conversations`], `tcp.stream` / `udp.stream`).
//!
//! This crate depends on `netlayers-core` alone: the filter learns which field names exist from a
//! closure the caller builds out of every decoder crate's `FIELDS`, so adding a decoder never
//! means touching the filter.
#![forbid(unsafe_code)]

mod conv;
pub mod expert;
pub mod stats;
mod eval;
mod filter;
pub mod follow;
mod lex;

pub use conv::{Conversations, TCP_STREAM, UDP_STREAM};
pub use filter::{Filter, FilterError};

use netlayers_core::FieldSpec;

/// Every field spec this crate adds to frames (generated fields).
pub static FIELDS: &[&FieldSpec] = &[&TCP_STREAM, &UDP_STREAM];

/// Field names the filter accepts although no decoder emits them: Wireshark's two-sided fields,
/// each standing for its source and destination field.
pub static ALIASES: &[(&str, &[&str])] = &[
    ("ip.addr", &["ip.src", "ip.dst"]),
    ("ipv6.addr", &["ipv6.src", "ipv6.dst"]),
    ("eth.addr", &["eth.src", "eth.dst"]),
    ("tcp.port", &["tcp.srcport", "tcp.dstport"]),
    ("udp.port", &["udp.srcport", "udp.dstport"]),
];

#[cfg(test)]
mod tests;
