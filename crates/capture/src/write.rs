//! Writing captures: classic pcap ([`PcapWriter`]) and pcapng with one interface per link
//! ([`PcapNgWriter`]). Both formats are simple enough to write by hand (see [`crate::FrameSource`]
//! for the layouts); doing so keeps the bytes exact and avoids pcap-file 2.0's pcapng timestamps,
//! which are 1000 times too large.
//!
//! Every frame goes to the output as one `write_all` of the whole record, followed by a flush, so
//! a capture interrupted between two frames leaves a file that tshark opens without complaint,
//! complete up to the last frame written.

use std::fs::File;
use std::io::Write;
use std::path::Path;

use netlayers_core::{Frame, LinkType, Timestamp};

use crate::error::CaptureError;

/// The snaplen written in headers, as tcpdump and Wireshark use: longer frames are cut to it
/// (their original length is kept).
pub const SNAPLEN: u32 = 262_144;

/// Timestamp resolution of a classic pcap file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TsPrecision {
    /// Magic `a1b2c3d4`: what tcpdump writes by default and every tool reads.
    #[default]
    Micro,
    /// Magic `a1b23c4d` (`tcpdump --time-stamp-precision=nano`).
    Nano,
}

/// Anything that frames can be written to.
pub trait FrameSink {
    /// Writes one frame (its timestamp, original length, bytes, link type and interface).
    fn write_frame(&mut self, frame: &Frame) -> Result<(), CaptureError>;
}

fn create_output(path: &Path) -> Result<(String, Box<dyn Write + Send>), CaptureError> {
    if path.as_os_str() == "-" {
        return Ok(("stdout".to_string(), Box::new(std::io::stdout())));
    }
    let name = path.display().to_string();
    match File::create(path) {
        Ok(f) => Ok((name, Box::new(f))),
        Err(source) => Err(CaptureError::Open { file: name, source }),
    }
}

/// `ts` as whole seconds and nanoseconds, with any nanosecond overflow carried into the seconds.
fn normalise(ts: Timestamp) -> (i128, u32) {
    (i128::from(ts.secs) + i128::from(ts.nanos / 1_000_000_000), ts.nanos % 1_000_000_000)
}

/// Writes a classic pcap file: little-endian, snaplen [`SNAPLEN`], one link type.
pub struct PcapWriter<W: Write> {
    name: String,
    out: W,
    link: LinkType,
    precision: TsPrecision,
    record: Vec<u8>,
    frames: u64,
}

impl PcapWriter<Box<dyn Write + Send>> {
    /// Creates (or truncates) `path` and writes the file header; `-` writes to standard output.
    pub fn create(path: &Path, link: LinkType, precision: TsPrecision) -> Result<Self, CaptureError> {
        let (name, out) = create_output(path)?;
        PcapWriter::new(name, out, link, precision)
    }
}

impl<W: Write> PcapWriter<W> {
    /// Writes the file header to `out`; `name` is what error messages call the output.
    pub fn new(name: impl Into<String>, out: W, link: LinkType, precision: TsPrecision) -> Result<Self, CaptureError> {
        let mut w = PcapWriter { name: name.into(), out, link, precision, record: Vec::with_capacity(2048), frames: 0 };
        let magic: u32 = match precision {
            TsPrecision::Micro => 0xa1b2_c3d4,
            TsPrecision::Nano => 0xa1b2_3c4d,
        };
        let mut h = Vec::with_capacity(24);
        h.extend_from_slice(&magic.to_le_bytes());
        h.extend_from_slice(&2u16.to_le_bytes()); // version 2.4
        h.extend_from_slice(&4u16.to_le_bytes());
        h.extend_from_slice(&0i32.to_le_bytes()); // thiszone: always UTC
        h.extend_from_slice(&0u32.to_le_bytes()); // sigfigs: always 0
        h.extend_from_slice(&SNAPLEN.to_le_bytes());
        h.extend_from_slice(&link.to_linktype().to_le_bytes());
        w.emit(&h)?;
        Ok(w)
    }

    /// Writes one frame. `data` longer than [`SNAPLEN`] is cut to it; `orig_len` is raised to
    /// `data.len()` if smaller (a record never claims fewer bytes on the wire than it holds).
    pub fn write(&mut self, ts: Timestamp, orig_len: u32, data: &[u8]) -> Result<(), CaptureError> {
        let number = self.frames + 1;
        let (secs, nanos) = normalise(ts);
        let Ok(secs) = u32::try_from(secs) else {
            return Err(self.unwritable(number, format!(
                "its time {}.{:09} s is outside what pcap can store (1970 to 2106)",
                ts.secs, ts.nanos
            )));
        };
        let frac = match self.precision {
            TsPrecision::Micro => nanos / 1000,
            TsPrecision::Nano => nanos,
        };
        let data = data.get(..SNAPLEN as usize).unwrap_or(data);
        let caplen = data.len() as u32;
        let r = &mut self.record;
        r.clear();
        r.extend_from_slice(&secs.to_le_bytes());
        r.extend_from_slice(&frac.to_le_bytes());
        r.extend_from_slice(&caplen.to_le_bytes());
        r.extend_from_slice(&orig_len.max(caplen).to_le_bytes());
        r.extend_from_slice(data);
        let record = std::mem::take(&mut self.record);
        let result = self.emit(&record);
        self.record = record;
        result?;
        self.frames = number;
        Ok(())
    }

    pub fn link(&self) -> LinkType {
        self.link
    }

    /// Frames written so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    pub fn into_inner(self) -> W {
        self.out
    }

    fn emit(&mut self, bytes: &[u8]) -> Result<(), CaptureError> {
        self.out
            .write_all(bytes)
            .and_then(|()| self.out.flush())
            .map_err(|source| CaptureError::Write { file: self.name.clone(), source })
    }

    fn unwritable(&self, frame: u64, reason: String) -> CaptureError {
        CaptureError::Unwritable { file: self.name.clone(), frame, reason }
    }
}

impl<W: Write> FrameSink for PcapWriter<W> {
    fn write_frame(&mut self, frame: &Frame) -> Result<(), CaptureError> {
        if frame.link != self.link {
            return Err(self.unwritable(self.frames + 1, format!(
                "its link type is {} ({}) but a pcap file holds one link type, here {} ({}): write pcapng instead",
                frame.link.name(),
                frame.link.to_linktype(),
                self.link.name(),
                self.link.to_linktype()
            )));
        }
        self.write(frame.ts, frame.orig_len, &frame.data)
    }
}

const SHB: u32 = 0x0A0D_0D0A;
const IDB: u32 = 1;
const EPB: u32 = 6;

/// Writes a pcapng file: one little-endian section, one Interface Description Block per link
/// (nanosecond timestamps, `if_tsresol` = 9), one Enhanced Packet Block per frame.
pub struct PcapNgWriter<W: Write> {
    name: String,
    out: W,
    links: Vec<LinkType>,
    block: Vec<u8>,
    frames: u64,
}

impl PcapNgWriter<Box<dyn Write + Send>> {
    /// Creates (or truncates) `path` and writes the Section Header Block; `-` writes to stdout.
    pub fn create(path: &Path) -> Result<Self, CaptureError> {
        let (name, out) = create_output(path)?;
        PcapNgWriter::new(name, out)
    }
}

impl<W: Write> PcapNgWriter<W> {
    /// Writes the Section Header Block to `out`; add interfaces before their frames.
    pub fn new(name: impl Into<String>, out: W) -> Result<Self, CaptureError> {
        let mut w = PcapNgWriter { name: name.into(), out, links: Vec::new(), block: Vec::with_capacity(2048), frames: 0 };
        let mut body = begin_block(Vec::with_capacity(64), SHB);
        body.extend_from_slice(&0x1A2B_3C4Du32.to_le_bytes()); // byte-order magic
        body.extend_from_slice(&1u16.to_le_bytes()); // version 1.0
        body.extend_from_slice(&0u16.to_le_bytes());
        body.extend_from_slice(&(-1i64).to_le_bytes()); // section length: not known in advance
        push_option(&mut body, 4, b"netlayers"); // shb_userappl
        push_option(&mut body, 0, b""); // opt_endofopt
        w.emit_block(body)?;
        Ok(w)
    }

    /// Describes one interface (one simulated link, say) and returns the id its frames use.
    /// `name` and `description` become the `if_name` and `if_description` options (omitted when empty).
    pub fn add_interface(&mut self, link: LinkType, name: &str, description: Option<&str>) -> Result<u32, CaptureError> {
        let id = self.links.len() as u32;
        let Ok(linktype) = u16::try_from(link.to_linktype()) else {
            return Err(CaptureError::Unwritable {
                file: self.name.clone(),
                frame: self.frames + 1,
                reason: format!("link type {} does not fit a pcapng interface (at most 65535)", link.to_linktype()),
            });
        };
        let mut body = begin_block(std::mem::take(&mut self.block), IDB);
        body.extend_from_slice(&linktype.to_le_bytes());
        body.extend_from_slice(&0u16.to_le_bytes()); // reserved
        body.extend_from_slice(&SNAPLEN.to_le_bytes());
        if !name.is_empty() {
            push_option(&mut body, 2, name.as_bytes()); // if_name
        }
        if let Some(d) = description.filter(|d| !d.is_empty()) {
            push_option(&mut body, 3, d.as_bytes()); // if_description
        }
        push_option(&mut body, 9, &[9]); // if_tsresol: 10^-9 s
        push_option(&mut body, 0, b"");
        self.emit_block(body)?;
        self.links.push(link);
        Ok(id)
    }

    /// Writes one frame on `interface` (an id from [`PcapNgWriter::add_interface`]). `data`
    /// longer than [`SNAPLEN`] is cut to it; `orig_len` is raised to `data.len()` if smaller.
    pub fn write(&mut self, interface: u32, ts: Timestamp, orig_len: u32, data: &[u8]) -> Result<(), CaptureError> {
        let number = self.frames + 1;
        if interface as usize >= self.links.len() {
            return Err(self.unwritable(number, format!(
                "interface {interface} was never added (this file has {})",
                self.links.len()
            )));
        }
        let (secs, nanos) = normalise(ts);
        let Some(units) = u64::try_from(secs).ok().and_then(|s| s.checked_mul(1_000_000_000)).and_then(|n| n.checked_add(u64::from(nanos))) else {
            return Err(self.unwritable(number, format!(
                "its time {}.{:09} s is outside what pcapng nanoseconds can store (1970 to 2554)",
                ts.secs, ts.nanos
            )));
        };
        let data = data.get(..SNAPLEN as usize).unwrap_or(data);
        let caplen = data.len() as u32;
        let mut body = begin_block(std::mem::take(&mut self.block), EPB);
        body.extend_from_slice(&interface.to_le_bytes());
        body.extend_from_slice(&((units >> 32) as u32).to_le_bytes());
        body.extend_from_slice(&(units as u32).to_le_bytes());
        body.extend_from_slice(&caplen.to_le_bytes());
        body.extend_from_slice(&orig_len.max(caplen).to_le_bytes());
        body.extend_from_slice(data);
        self.emit_block(body)?;
        self.frames = number;
        Ok(())
    }

    /// Link types of the interfaces added so far, by id.
    pub fn interfaces(&self) -> &[LinkType] {
        &self.links
    }

    /// Frames written so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    pub fn into_inner(self) -> W {
        self.out
    }

    /// Completes a block begun with [`begin_block`] (`type, length, body`, then the length
    /// again) and writes it in one piece.
    fn emit_block(&mut self, mut block: Vec<u8>) -> Result<(), CaptureError> {
        pad4(&mut block);
        let len = (block.len() + 4) as u32;
        if let Some(field) = block.get_mut(4..8) {
            field.copy_from_slice(&len.to_le_bytes());
        }
        block.extend_from_slice(&len.to_le_bytes());
        let result = self
            .out
            .write_all(&block)
            .and_then(|()| self.out.flush())
            .map_err(|source| CaptureError::Write { file: self.name.clone(), source });
        self.block = block;
        result
    }

    fn unwritable(&self, frame: u64, reason: String) -> CaptureError {
        CaptureError::Unwritable { file: self.name.clone(), frame, reason }
    }
}

impl<W: Write> FrameSink for PcapNgWriter<W> {
    fn write_frame(&mut self, frame: &Frame) -> Result<(), CaptureError> {
        if let Some(&link) = self.links.get(frame.interface as usize) {
            if link != frame.link {
                return Err(self.unwritable(self.frames + 1, format!(
                    "its link type is {} ({}) but interface {} is {} ({})",
                    frame.link.name(),
                    frame.link.to_linktype(),
                    frame.interface,
                    link.name(),
                    link.to_linktype()
                )));
            }
        }
        self.write(frame.interface, frame.ts, frame.orig_len, &frame.data)
    }
}

/// A pcapng option: code, length, value padded to 4 bytes. Values longer than 65535 bytes are cut.
fn push_option(body: &mut Vec<u8>, code: u16, value: &[u8]) {
    let value = value.get(..usize::from(u16::MAX)).unwrap_or(value);
    body.extend_from_slice(&code.to_le_bytes());
    body.extend_from_slice(&(value.len() as u16).to_le_bytes());
    body.extend_from_slice(value);
    pad4(body);
}

/// Starts a block in `buf` (reused): its type and a length to be filled in by `emit_block`.
fn begin_block(mut buf: Vec<u8>, btype: u32) -> Vec<u8> {
    buf.clear();
    buf.extend_from_slice(&btype.to_le_bytes());
    buf.extend_from_slice(&[0; 4]);
    buf
}

fn pad4(body: &mut Vec<u8>) {
    while body.len() & 3 != 0 {
        body.push(0);
    }
}
