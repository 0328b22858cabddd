//! Frames in and out: pcap/pcapng files and stdin (and, later, live interfaces).
//!
//! - [`FrameSource`] reads classic pcap (either byte order, micro- or nanosecond timestamps) and
//!   pcapng (several sections and interfaces), recognised by content, from a file, stdin or any
//!   `Read`, streaming with memory bounded by one buffer.
//! - [`PcapWriter`] and [`PcapNgWriter`] write them, flushing after every frame so that an
//!   interrupted capture leaves a file that is complete up to its last frame.
#![forbid(unsafe_code)]

mod error;
mod source;
mod window;
mod write;

pub use error::{BlockName, CaptureError, FrameNo, Limit, NotCaptureKind};
pub use source::{FileFormat, FrameSource, Interface, MAX_RECORD};
pub use write::{FrameSink, PcapNgWriter, PcapWriter, TsPrecision, SNAPLEN};

/// Live interfaces: list, capture, send (Linux `AF_PACKET`), and the ARP/NDP a sender needs.
pub mod live;
