//! The only crate that knows how layers nest.
//!
//! Going up ([`decapsulate`]), each decoder returns a [`Step`] whose [`Handoff`] names what follows
//! (an EtherType, an IP protocol, a pair of ports); the tables in [`decap`] map those numbers to
//! the next decoder, exactly as a real receiver's kernel does.
#![forbid(unsafe_code)]

pub mod decap;
pub mod defrag;
pub mod encap;

pub use decap::{decapsulate, decode_handoff, Dissection, Dissector, TcpNumbers};
pub use encap::{encapsulate, EncapError, EncapOptions, Encapsulation};
/// The physical layer's pure functions (wire time, bit order), for the binary's `encap` view.
pub use netlayers_physical as physical;
