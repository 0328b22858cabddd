//! The one model every part of netlayers speaks.
//!
//! A decoded (or freshly built) frame is a list of [`Layer`]s, outermost first. Each layer holds a
//! tree of [`Field`]s; each field names its Wireshark display-filter key through a static
//! [`FieldSpec`], carries a typed [`Value`] and the absolute byte range it came from. Renderers
//! (table, tree, hexdump, JSON) are all views of this one tree.
//!
//! Layer crates depend on this crate alone. What one layer needs from another (the pseudo-header
//! for a TCP checksum, the payload length an IP header promises) arrives as a value defined here:
//! see [`handoff`].
#![forbid(unsafe_code)]

pub mod checksum;
pub mod escape;
pub mod frame;
pub mod handoff;
pub mod model;
pub mod recent;
pub mod text;
pub mod window;

pub use frame::{Frame, LinkType, Timestamp};
pub use handoff::{Handoff, PseudoHeader, Step, Transport, DecodeCtx};
pub use model::{Field, FieldSpec, Layer, LayerKind, Note, Severity, Value};
pub use recent::Recent;
pub use text::{Lang, Text};
