//! What can go wrong with a capture file. Every message is one line that names the file and,
//! where there is one, the byte offset and frame number at fault, so that a student can open the
//! file in a hex editor (or `tshark -r`) and see the very bytes the message talks about.

use std::fmt;
use std::io;

/// Whatever went wrong while reading or writing a capture.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("{file}: cannot open: {source}")]
    Open { file: String, source: io::Error },

    #[error("{file}: read error at byte offset {offset}: {source}")]
    Read { file: String, offset: u64, source: io::Error },

    /// The content is not pcap or pcapng (the file name is never looked at).
    #[error("{file}: {kind}")]
    NotCapture { file: String, kind: NotCaptureKind },

    /// A pcap/pcapng header we recognise but cannot read (another version, the old
    /// Kuznetzov format, a bad byte-order magic...).
    #[error("{file}: {what}")]
    Unsupported { file: String, what: String },

    /// The file ends in the middle of a header, record or block. Every complete frame before it
    /// has been returned already.
    #[error("{file}: truncated {what} at byte offset {offset}{frame}: needs {needed} bytes, only {left} left")]
    Truncated { file: String, what: &'static str, offset: u64, frame: FrameNo, needed: u64, left: u64 },

    /// A record or block claims a length no real capture has: reading it would mean a huge
    /// allocation (or reading far past its own block), so we stop instead.
    #[error("{file}: {what} at byte offset {offset} claims {claimed} bytes ({limit})")]
    TooLong { file: String, what: String, offset: u64, claimed: u64, limit: Limit },

    /// A pcapng block whose length field cannot be right.
    #[error("{file}: bad block length {length} at byte offset {offset} ({block}): {reason}")]
    BadBlockLength { file: String, offset: u64, block: BlockName, length: u32, reason: String },

    /// A pcapng block whose length is fine but whose content is not.
    #[error("{file}: malformed block at byte offset {offset} ({block}){frame}: {reason}")]
    Malformed { file: String, offset: u64, block: BlockName, frame: FrameNo, reason: String },

    /// An Enhanced/Simple Packet Block that names an interface no Interface Description Block
    /// in its section described.
    #[error("{file}: frame {frame} at byte offset {offset} refers to interface {interface}, but its section describes only {count} interface(s)")]
    NoSuchInterface { file: String, frame: u64, offset: u64, interface: u32, count: usize },

    /// Reading never fails on this: frames carry `LinkType::Other(n)`. A caller that must decode
    /// (and cannot show the bytes as plain data) makes this error with
    /// [`CaptureError::unsupported_link`].
    #[error("{file}: frame {frame} has link-layer type {linktype}, which netlayers cannot decode")]
    UnsupportedLinkType { file: String, frame: u64, linktype: u32 },

    #[error("{file}: cannot write: {source}")]
    Write { file: String, source: io::Error },

    /// A frame the writer cannot store as asked (timestamp out of range, unknown interface...).
    #[error("{file}: cannot write frame {frame}: {reason}")]
    Unwritable { file: String, frame: u64, reason: String },
}

impl CaptureError {
    /// The error for a frame whose link type the caller cannot decode.
    pub fn unsupported_link(file: &str, frame: &netlayers_core::Frame) -> CaptureError {
        CaptureError::UnsupportedLinkType {
            file: file.to_string(),
            frame: frame.number,
            linktype: frame.link.to_linktype(),
        }
    }

    /// The file (or "stdin") the error is about.
    pub fn file(&self) -> &str {
        match self {
            CaptureError::Open { file, .. }
            | CaptureError::Read { file, .. }
            | CaptureError::NotCapture { file, .. }
            | CaptureError::Unsupported { file, .. }
            | CaptureError::Truncated { file, .. }
            | CaptureError::TooLong { file, .. }
            | CaptureError::BadBlockLength { file, .. }
            | CaptureError::Malformed { file, .. }
            | CaptureError::NoSuchInterface { file, .. }
            | CaptureError::UnsupportedLinkType { file, .. }
            | CaptureError::Write { file, .. }
            | CaptureError::Unwritable { file, .. } => file,
        }
    }
}

/// " (frame K)" when the place at fault would have been frame K, nothing otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameNo(pub Option<u64>);

impl fmt::Display for FrameNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(k) => write!(f, " (frame {k})"),
            None => Ok(()),
        }
    }
}

/// Why a claimed length is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// More than we ever hold in memory for one record or block.
    Max(u64),
    /// More than the pcapng block that contains it.
    Block(u64),
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Limit::Max(n) => write!(f, "larger than the {n}-byte limit for one record"),
            Limit::Block(n) => write!(f, "larger than the {n} bytes its block has room for"),
        }
    }
}

/// A pcapng block type, printed by name with its number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockName(pub u32);

impl BlockName {
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0x0A0D_0D0A => "Section Header Block",
            0x0000_0001 => "Interface Description Block",
            0x0000_0002 => "Packet Block",
            0x0000_0003 => "Simple Packet Block",
            0x0000_0004 => "Name Resolution Block",
            0x0000_0005 => "Interface Statistics Block",
            0x0000_0006 => "Enhanced Packet Block",
            0x0000_0009 => "systemd Journal Export Block",
            0x0000_000A => "Decryption Secrets Block",
            0x0000_0BAD | 0x4000_0BAD => "Custom Block",
            0x8000_0001 => "Process Information Block",
            _ => return None,
        })
    }
}

impl fmt::Display for BlockName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => write!(f, "{n}, type 0x{:08x}", self.0),
            None => write!(f, "block type 0x{:08x}", self.0),
        }
    }
}

/// What a file that is not a capture seems to be instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotCaptureKind {
    Empty,
    /// A well-known compressed or archive format: (format name, the command that undoes it).
    Compressed { format: &'static str, undo: &'static str, start: Vec<u8> },
    /// Printable text, often an HTML page saved instead of the capture it linked to.
    Text { html: bool, start: Vec<u8> },
    Other { start: Vec<u8> },
}

impl fmt::Display for NotCaptureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotCaptureKind::Empty => write!(f, "empty file (0 bytes), not a pcap or pcapng file"),
            NotCaptureKind::Compressed { format, undo, start } => {
                write!(f, "compressed with {format}: {undo} it first ({})", Start(start))
            }
            NotCaptureKind::Text { html: true, start } => write!(
                f,
                "not a pcap or pcapng file ({}): it is an HTML page, perhaps saved from a link instead of the file it pointed to",
                Start(start)
            ),
            NotCaptureKind::Text { html: false, start } => {
                write!(f, "not a pcap or pcapng file ({}): it looks like text", Start(start))
            }
            NotCaptureKind::Other { start } => write!(f, "not a pcap or pcapng file ({})", Start(start)),
        }
    }
}

/// `starts with 3c 21 44 4f "<!DO"`: the first bytes in hex and as escaped ASCII.
struct Start<'a>(&'a [u8]);

impl fmt::Display for Start<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("starts with")?;
        for b in self.0 {
            write!(f, " {b:02x}")?;
        }
        f.write_str(" \"")?;
        for &b in self.0 {
            match b {
                b'"' => f.write_str("\\\"")?,
                b'\\' => f.write_str("\\\\")?,
                b'\n' => f.write_str("\\n")?,
                b'\r' => f.write_str("\\r")?,
                b'\t' => f.write_str("\\t")?,
                0x20..=0x7e => write!(f, "{}", b as char)?,
                _ => write!(f, "\\x{b:02x}")?,
            }
        }
        f.write_str("\"")
    }
}
