//! The physical layer: what a frame looks like as bits on the wire.
#![forbid(unsafe_code)]
