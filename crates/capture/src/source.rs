//! [`FrameSource`]: frames from a pcap or pcapng file (or stdin), one at a time.
//!
//! Classic pcap (libpcap's format): a 24-byte file header, then records of a 16-byte header and
//! the captured bytes. <https://datatracker.ietf.org/doc/draft-ietf-opsawg-pcap/>
//!
//! ```text
//!  file header                          record header
//!  0      4      6      8          24   0        4         8          12         16
//!  +------+------+------+-- .. --+      +--------+---------+----------+----------+---- ..
//!  |magic |major |minor | snaplen |      |ts secs |ts usecs |  caplen  | orig len | data
//!  |      |      |      | linktype|      |        |or nsecs |          |          | (caplen)
//! ```
//!
//! pcapng: a sequence of blocks, each `type, length, body, length again`; a Section Header Block
//! sets the byte order, Interface Description Blocks give each interface its link type, snaplen
//! and timestamp resolution, packet blocks refer to an interface by index.
//! <https://datatracker.ietf.org/doc/draft-ietf-opsawg-pcapng/>
//!
//! ```text
//!  0          4          8                                          len-4      len
//!  +----------+----------+-------------------- .. -------------------+----------+
//!  |block type|block len | body (Enhanced Packet Block below)        |block len |
//!  +----------+----------+-------------------- .. -------------------+----------+
//!  EPB body:  8 interface id | 12 ts high | 16 ts low | 20 caplen | 24 orig len | 28 data, padded to 4 | options
//! ```
//!
//! The format is found from the first bytes, never from the file name. We frame records and
//! blocks ourselves (to know every offset for error messages and to refuse a lying length before
//! allocating for it), and hand complete Section Header and Interface Description Blocks to
//! `pcap-parser` for their options.
//!
//! Memory is bounded by the one reused buffer: [`crate::window`]'s 256 KiB, growing only while a
//! record larger than that is really present in the input, and never past [`MAX_RECORD`] (plus
//! twice the input actually read for that record). Blocks that carry no packets (name resolution,
//! statistics, secrets, custom) are skipped without being held in memory at all. Memory does not
//! depend on the size of the file.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use netlayers_core::{Frame, LinkType, Timestamp};
use pcap_parser::pcapng::{parse_interfacedescriptionblock_be, parse_interfacedescriptionblock_le, parse_sectionheaderblock};

use crate::error::{BlockName, CaptureError, FrameNo, Limit, NotCaptureKind};
use crate::window::Window;

/// The largest record or block we accept. Real captures stay under 262144 bytes per frame
/// (libpcap's and Wireshark's limit for almost every link type); the largest link types
/// Wireshark knows (D-Bus, USB) stay under 128 MiB.
pub const MAX_RECORD: u32 = 256 * 1024 * 1024;

/// Which capture format a file is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    /// Classic pcap, with microsecond (`a1b2c3d4`) or nanosecond (`a1b23c4d`) timestamps, written
    /// by a little- or big-endian host.
    Pcap { nanos: bool, big_endian: bool },
    /// pcapng (each section has its own byte order).
    PcapNg,
}

/// An interface as a file describes it: classic pcap has one (from its file header); a pcapng
/// section has one per Interface Description Block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interface {
    pub link: LinkType,
    /// Largest number of bytes captured per frame (0: no limit).
    pub snaplen: u32,
    /// pcapng `if_name`, `if_description`.
    pub name: Option<String>,
    pub description: Option<String>,
    /// pcapng `if_tsresol`: bit 7 clear = 10^-n seconds, set = 2^-n (6 = microseconds, 9 = ns).
    pub tsresol: u8,
    /// pcapng `if_tsoffset`: seconds added to every timestamp.
    pub tsoffset: i64,
}

/// Timestamp units per second.
#[derive(Debug, Clone, Copy)]
enum Resolution {
    Pow10(u32),
    Pow2(u32),
}

impl Resolution {
    fn from_tsresol(v: u8) -> Option<Resolution> {
        if v & 0x80 == 0 {
            // 10^19 is the largest power of ten a u64 holds.
            (v <= 19).then_some(Resolution::Pow10(u32::from(v)))
        } else {
            (v & 0x7f <= 63).then_some(Resolution::Pow2(u32::from(v & 0x7f)))
        }
    }

    /// `units` since the epoch (plus `offset` seconds) as seconds and nanoseconds.
    fn timestamp(self, units: u64, offset: i64) -> Timestamp {
        let (secs, nanos) = match self {
            Resolution::Pow10(e) => {
                let per_sec = 10u64.pow(e);
                let frac = units % per_sec;
                let nanos = if e <= 9 { frac * 10u64.pow(9 - e) } else { frac / 10u64.pow(e - 9) };
                (units / per_sec, nanos)
            }
            Resolution::Pow2(e) => {
                let frac = u128::from(units) & ((1u128 << e) - 1);
                ((units >> e), ((frac * 1_000_000_000) >> e) as u64)
            }
        };
        let secs = (i128::from(secs) + i128::from(offset)).clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64;
        Timestamp { secs, nanos: nanos as u32 }
    }
}

const SHB: u32 = 0x0A0D_0D0A;
const IDB: u32 = 1;
const PB: u32 = 2;
const SPB: u32 = 3;
const EPB: u32 = 6;
const BOM: u32 = 0x1A2B_3C4D;

const PCAP_HEADER: usize = 24;
const PCAP_RECORD: usize = 16;

/// A streaming reader of frames from a pcap or pcapng file, stdin or any `Read`.
///
/// Frames come in file order, numbered from 1. After the first error, or the end of the input,
/// it yields nothing more. Memory stays bounded by its one buffer (see the module docs),
/// whatever the size of the input.
pub struct FrameSource {
    name: String,
    win: Window,
    format: FileFormat,
    /// Byte order of the classic file or of the current pcapng section.
    big_endian: bool,
    nanos: bool,
    interfaces: Vec<Interface>,
    /// Resolutions of `interfaces`, same index.
    resolutions: Vec<Resolution>,
    frames: u64,
    done: bool,
}

/// What one step through a pcapng file met.
enum Met {
    Frame,
    Other,
    End,
}

impl FrameSource {
    /// Opens a capture file; `-` reads standard input.
    pub fn open(path: &Path) -> Result<FrameSource, CaptureError> {
        if path.as_os_str() == "-" {
            return FrameSource::from_reader("stdin".to_string(), Box::new(std::io::stdin()));
        }
        let name = path.display().to_string();
        match File::open(path) {
            Ok(f) => FrameSource::from_reader(name, Box::new(f)),
            Err(source) => Err(CaptureError::Open { file: name, source }),
        }
    }

    /// Reads from any byte stream; `name` is what error messages call it.
    pub fn from_reader(name: String, reader: Box<dyn Read + Send>) -> Result<FrameSource, CaptureError> {
        let mut src = FrameSource {
            name,
            win: Window::new(reader),
            format: FileFormat::PcapNg,
            big_endian: false,
            nanos: false,
            interfaces: Vec::new(),
            resolutions: Vec::new(),
            frames: 0,
            done: false,
        };
        let avail = src.fill(PCAP_HEADER)?;
        let start = src.win.data();
        let magic: [u8; 4] = match start.get(..4).and_then(|s| s.try_into().ok()) {
            Some(m) => m,
            None if avail == 0 => return Err(src.not_capture(NotCaptureKind::Empty)),
            None => return Err(src.not_capture(NotCaptureKind::Other { start: start.to_vec() })),
        };
        match u32::from_le_bytes(magic) {
            0xa1b2_c3d4 | 0xa1b2_3c4d | 0xd4c3_b2a1 | 0x4d3c_b2a1 => src.pcap_header()?,
            0xa1b2_cd34 | 0x34cd_b2a1 => {
                return Err(src.unsupported(
                    "a pcap file in the modified format of old Red Hat tcpdump (magic a1b2cd34), which netlayers cannot read".into(),
                ))
            }
            SHB => {
                src.format = FileFormat::PcapNg;
                // The Section Header Block's errors (byte order, version) belong to opening.
                let mut scratch = Frame { number: 0, ts: Timestamp::default(), orig_len: 0, data: Vec::new(), link: LinkType::Ethernet, interface: 0 };
                src.ng_step(&mut scratch)?;
            }
            _ => {
                src.fill(64)?;
                return Err(src.not_capture(classify(src.win.data())));
            }
        }
        Ok(src)
    }

    /// The name errors use: the path as given, or "stdin".
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn format(&self) -> FileFormat {
        self.format
    }

    /// The interfaces of the classic file, or of the current pcapng section so far.
    pub fn interfaces(&self) -> &[Interface] {
        &self.interfaces
    }

    /// Bytes taken from the input so far (for progress bars; may run ahead of the frames returned).
    pub fn bytes_read(&self) -> u64 {
        self.win.bytes_read()
    }

    /// Current size of the read buffer: memory stays bounded by this, whatever the file size.
    pub fn buffer_capacity(&self) -> usize {
        self.win.capacity()
    }

    /// The next frame, `None` at the end of the input or after an error.
    pub fn next_frame(&mut self) -> Option<Result<Frame, CaptureError>> {
        let mut frame = Frame { number: 0, ts: Timestamp::default(), orig_len: 0, data: Vec::new(), link: LinkType::Ethernet, interface: 0 };
        match self.next_into(&mut frame) {
            Ok(true) => Some(Ok(frame)),
            Ok(false) => None,
            Err(e) => Some(Err(e)),
        }
    }

    /// Reads the next frame into `frame`, reusing its `data` allocation. `Ok(false)` at the end of
    /// the input (and forever after an error).
    pub fn next_into(&mut self, frame: &mut Frame) -> Result<bool, CaptureError> {
        if self.done {
            return Ok(false);
        }
        let r = match self.format {
            FileFormat::Pcap { .. } => self.pcap_record(frame),
            FileFormat::PcapNg => loop {
                match self.ng_step(frame) {
                    Ok(Met::Frame) => break Ok(true),
                    Ok(Met::Other) => {}
                    Ok(Met::End) => break Ok(false),
                    Err(e) => break Err(e),
                }
            },
        };
        if !matches!(r, Ok(true)) {
            self.done = true;
        }
        r
    }

    // ---- classic pcap ----

    fn pcap_header(&mut self) -> Result<(), CaptureError> {
        let data = self.win.data();
        let Some(header) = data.get(..PCAP_HEADER) else {
            return Err(self.truncated("pcap file header", None, PCAP_HEADER as u64, data.len() as u64));
        };
        let h = match pcap_parser::parse_pcap_header(header) {
            Ok((_, h)) => h,
            Err(_) => return Err(self.unsupported("unreadable pcap file header".into())),
        };
        if h.version_major != 2 {
            return Err(self.unsupported(format!(
                "pcap version {}.{} is not supported (expected 2.4)",
                h.version_major, h.version_minor
            )));
        }
        self.big_endian = h.is_bigendian();
        self.nanos = h.is_nanosecond_precision();
        self.format = FileFormat::Pcap { nanos: self.nanos, big_endian: self.big_endian };
        // The upper bits of the link-type field carry FCS information, not the type.
        let link = LinkType::from_linktype((h.network.0 as u32) & 0xffff);
        self.interfaces = vec![Interface {
            link,
            snaplen: h.snaplen,
            name: None,
            description: None,
            tsresol: if self.nanos { 9 } else { 6 },
            tsoffset: 0,
        }];
        self.win.consume(PCAP_HEADER);
        Ok(())
    }

    fn pcap_record(&mut self, out: &mut Frame) -> Result<bool, CaptureError> {
        let number = self.frames + 1;
        let avail = self.fill(PCAP_RECORD)?;
        if avail == 0 {
            return Ok(false);
        }
        if avail < PCAP_RECORD {
            return Err(self.truncated("record", Some(number), PCAP_RECORD as u64, avail as u64));
        }
        let d = self.win.data();
        let be = self.big_endian;
        let (secs, frac, caplen, orig_len) = (u32_at(d, 0, be), u32_at(d, 4, be), u32_at(d, 8, be), u32_at(d, 12, be));
        if caplen > MAX_RECORD {
            return Err(self.too_long(format!("frame {number}"), u64::from(caplen), Limit::Max(u64::from(MAX_RECORD))));
        }
        let total = PCAP_RECORD + caplen as usize;
        let avail = self.fill(total)?;
        if avail < total {
            return Err(self.truncated("record", Some(number), total as u64, avail as u64));
        }
        let frac_ns = if self.nanos { u64::from(frac) } else { u64::from(frac) * 1000 };
        // Out-of-range fractions (a broken writer) carry into the seconds instead of wrapping.
        out.ts = Timestamp { secs: i64::from(secs) + (frac_ns / 1_000_000_000) as i64, nanos: (frac_ns % 1_000_000_000) as u32 };
        out.orig_len = orig_len;
        out.data.clear();
        out.data.extend_from_slice(self.win.data().get(PCAP_RECORD..total).unwrap_or(&[]));
        out.link = self.interfaces.first().map_or(LinkType::Other(0), |i| i.link);
        out.interface = 0;
        self.frames = number;
        out.number = number;
        self.win.consume(total);
        Ok(true)
    }

    // ---- pcapng ----

    /// Reads one block: a frame into `out`, or a block that only changes state (or is skipped).
    fn ng_step(&mut self, out: &mut Frame) -> Result<Met, CaptureError> {
        let avail = self.fill(12)?;
        if avail == 0 {
            return Ok(Met::End);
        }
        let d = self.win.data();
        let first_type = u32_at(d, 0, false);
        if first_type == SHB {
            if avail < 12 {
                return Err(self.truncated("Section Header Block", None, 12, avail as u64));
            }
            // A new section may switch byte order: its byte-order magic says which.
            self.big_endian = match u32_at(d, 8, false) {
                BOM => false,
                x if x == BOM.swap_bytes() => true,
                x => {
                    return Err(self.unsupported(format!(
                        "bad byte-order magic 0x{x:08x} in the Section Header Block at byte offset {} (expected 1a2b3c4d)",
                        self.win.offset()
                    )))
                }
            };
        }
        let be = self.big_endian;
        let btype = u32_at(d, 0, be);
        let is_packet = matches!(btype, EPB | SPB | PB);
        let frame_no = is_packet.then_some(self.frames + 1);
        if avail < 8 {
            return Err(self.truncated("block header", frame_no, 8, avail as u64));
        }
        let len = u32_at(d, 4, be);
        let min = match btype {
            SHB => 28,
            IDB => 20,
            EPB | PB => 32,
            SPB => 16,
            _ => 12,
        };
        if len & 3 != 0 {
            return Err(self.bad_length(btype, len, "not a multiple of 4".into()));
        }
        if len < min {
            let what = if min == 12 { "any block".to_string() } else { format!("a{} {}", if btype == IDB || btype == EPB { "n" } else { "" }, BlockName(btype).name().unwrap_or("block")) };
            return Err(self.bad_length(btype, len, format!("shorter than the {min} bytes of {what}")));
        }
        let block_name = BlockName(btype).name().unwrap_or("block");

        if !matches!(btype, SHB | IDB | EPB | SPB | PB) {
            // Nothing we need: pass over it without holding it in memory.
            let skipped = self.win.skip(u64::from(len) - 4).map_err(|e| self.read_error(e))?;
            let avail = self.fill(4)?;
            if skipped < u64::from(len) - 4 || avail < 4 {
                let left = skipped + avail.min(4) as u64;
                // Report at the block's own offset.
                return Err(CaptureError::Truncated {
                    file: self.name.clone(),
                    what: block_name,
                    offset: self.win.offset() - skipped,
                    frame: FrameNo(None),
                    needed: u64::from(len),
                    left,
                });
            }
            let trailing = u32_at(self.win.data(), 0, be);
            if trailing != len {
                return Err(CaptureError::BadBlockLength {
                    file: self.name.clone(),
                    offset: self.win.offset() - skipped,
                    block: BlockName(btype),
                    length: len,
                    reason: format!("the copy at the end of the block says {trailing}"),
                });
            }
            self.win.consume(4);
            return Ok(Met::Other);
        }

        if len > MAX_RECORD {
            let what = match frame_no {
                Some(k) => format!("frame {k} ({block_name})"),
                None => block_name.to_string(),
            };
            return Err(self.too_long(what, u64::from(len), Limit::Max(u64::from(MAX_RECORD))));
        }
        let ulen = len as usize;
        let avail = self.fill(ulen)?;
        if avail < ulen {
            return Err(self.truncated(block_name, frame_no, u64::from(len), avail as u64));
        }
        let trailing = u32_at(self.win.data(), ulen - 4, be);
        if trailing != len {
            return Err(self.bad_length(btype, len, format!("the copy at the end of the block says {trailing}")));
        }

        let met = match btype {
            SHB => {
                self.section_header(ulen)?;
                Met::Other
            }
            IDB => {
                self.interface_description(ulen)?;
                Met::Other
            }
            _ => {
                self.packet_block(btype, ulen, out)?;
                Met::Frame
            }
        };
        self.win.consume(ulen);
        Ok(met)
    }

    fn section_header(&mut self, len: usize) -> Result<(), CaptureError> {
        let block = self.win.data().get(..len).unwrap_or(&[]);
        let (major, minor) = match parse_sectionheaderblock(block) {
            Ok((_, shb)) => (shb.major_version, shb.minor_version),
            Err(_) => return Err(self.malformed(SHB, None, "its fields do not fit its length".into())),
        };
        if major != 1 {
            return Err(self.unsupported(format!(
                "pcapng version {major}.{minor} at byte offset {} is not supported (expected 1.0)",
                self.win.offset()
            )));
        }
        // Interface numbers start again in every section.
        self.interfaces.clear();
        self.resolutions.clear();
        Ok(())
    }

    fn interface_description(&mut self, len: usize) -> Result<(), CaptureError> {
        let be = self.big_endian;
        let block = self.win.data().get(..len).unwrap_or(&[]);
        let parsed = if be { parse_interfacedescriptionblock_be(block) } else { parse_interfacedescriptionblock_le(block) };
        let idb = match parsed {
            Ok((_, idb)) => idb,
            Err(_) => return Err(self.malformed(IDB, None, "its fields do not fit its length".into())),
        };
        let mut iface = Interface {
            link: LinkType::from_linktype((idb.linktype.0 as u32) & 0xffff),
            snaplen: idb.snaplen,
            name: None,
            description: None,
            tsresol: 6,
            tsoffset: 0,
        };
        for opt in &idb.options {
            let Ok(value) = opt.as_bytes() else { continue };
            match opt.code.0 {
                2 => iface.name = Some(String::from_utf8_lossy(value).into_owned()),
                3 => iface.description = Some(String::from_utf8_lossy(value).into_owned()),
                9 => {
                    if let Some(&v) = value.first() {
                        iface.tsresol = v;
                    }
                }
                // pcap-parser reads this one little-endian whatever the section: read it ourselves.
                14 => {
                    if let Some(b) = value.get(..8).and_then(|b| <[u8; 8]>::try_from(b).ok()) {
                        iface.tsoffset = if be { i64::from_be_bytes(b) } else { i64::from_le_bytes(b) };
                    }
                }
                _ => {}
            }
        }
        let Some(res) = Resolution::from_tsresol(iface.tsresol) else {
            return Err(self.malformed(
                IDB,
                None,
                format!("interface {} has if_tsresol 0x{:02x}, finer than a 64-bit timestamp can count", self.interfaces.len(), iface.tsresol),
            ));
        };
        self.interfaces.push(iface);
        self.resolutions.push(res);
        Ok(())
    }

    fn packet_block(&mut self, btype: u32, len: usize, out: &mut Frame) -> Result<(), CaptureError> {
        let be = self.big_endian;
        let number = self.frames + 1;
        let b = self.win.data().get(..len).unwrap_or(&[]);
        let (if_id, ts_units, caplen, orig_len, data_at, room) = match btype {
            SPB => {
                let orig_len = u32_at(b, 8, be);
                let room = len - 16;
                // No caplen in a Simple Packet Block: the frame was cut at the snaplen, if any.
                let snap = self.interfaces.first().map_or(0, |i| i.snaplen);
                let mut caplen = (orig_len as usize).min(room);
                if snap != 0 {
                    caplen = caplen.min(snap as usize);
                }
                (0, None, caplen as u32, orig_len, 12, room)
            }
            _ => {
                let if_id = if btype == PB { u32::from(u16_at(b, 8, be)) } else { u32_at(b, 8, be) };
                let ts = (u64::from(u32_at(b, 12, be)) << 32) | u64::from(u32_at(b, 16, be));
                (if_id, Some(ts), u32_at(b, 20, be), u32_at(b, 24, be), 28, len - 32)
            }
        };
        if caplen as usize > room {
            return Err(self.too_long(format!("frame {number}"), u64::from(caplen), Limit::Block(room as u64)));
        }
        let Some(iface) = self.interfaces.get(if_id as usize) else {
            return Err(CaptureError::NoSuchInterface {
                file: self.name.clone(),
                frame: number,
                offset: self.win.offset(),
                interface: if_id,
                count: self.interfaces.len(),
            });
        };
        out.ts = match (ts_units, self.resolutions.get(if_id as usize)) {
            (Some(units), Some(res)) => res.timestamp(units, iface.tsoffset),
            _ => Timestamp::default(),
        };
        out.link = iface.link;
        out.orig_len = orig_len;
        out.interface = if_id;
        out.data.clear();
        out.data.extend_from_slice(b.get(data_at..data_at + caplen as usize).unwrap_or(&[]));
        self.frames = number;
        out.number = number;
        Ok(())
    }

    // ---- errors ----

    fn fill(&mut self, n: usize) -> Result<usize, CaptureError> {
        self.win.fill(n).map_err(|e| self.read_error(e))
    }

    fn read_error(&self, source: std::io::Error) -> CaptureError {
        CaptureError::Read { file: self.name.clone(), offset: self.win.offset() + self.win.data().len() as u64, source }
    }

    fn not_capture(&self, kind: NotCaptureKind) -> CaptureError {
        CaptureError::NotCapture { file: self.name.clone(), kind }
    }

    fn unsupported(&self, what: String) -> CaptureError {
        CaptureError::Unsupported { file: self.name.clone(), what }
    }

    fn truncated(&self, what: &'static str, frame: Option<u64>, needed: u64, left: u64) -> CaptureError {
        CaptureError::Truncated { file: self.name.clone(), what, offset: self.win.offset(), frame: FrameNo(frame), needed, left }
    }

    fn too_long(&self, what: String, claimed: u64, limit: Limit) -> CaptureError {
        CaptureError::TooLong { file: self.name.clone(), what, offset: self.win.offset(), claimed, limit }
    }

    fn bad_length(&self, btype: u32, length: u32, reason: String) -> CaptureError {
        CaptureError::BadBlockLength { file: self.name.clone(), offset: self.win.offset(), block: BlockName(btype), length, reason }
    }

    fn malformed(&self, btype: u32, frame: Option<u64>, reason: String) -> CaptureError {
        CaptureError::Malformed { file: self.name.clone(), offset: self.win.offset(), block: BlockName(btype), frame: FrameNo(frame), reason }
    }
}

impl Iterator for FrameSource {
    type Item = Result<Frame, CaptureError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_frame()
    }
}

impl std::fmt::Debug for FrameSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FrameSource")
            .field("name", &self.name)
            .field("format", &self.format)
            .field("offset", &self.win.offset())
            .field("frames", &self.frames)
            .field("done", &self.done)
            .finish()
    }
}

fn u32_at(d: &[u8], at: usize, big_endian: bool) -> u32 {
    let b: [u8; 4] = d.get(at..at + 4).and_then(|s| s.try_into().ok()).unwrap_or([0; 4]);
    if big_endian { u32::from_be_bytes(b) } else { u32::from_le_bytes(b) }
}

fn u16_at(d: &[u8], at: usize, big_endian: bool) -> u16 {
    let b: [u8; 2] = d.get(at..at + 2).and_then(|s| s.try_into().ok()).unwrap_or([0; 2]);
    if big_endian { u16::from_be_bytes(b) } else { u16::from_le_bytes(b) }
}

/// Names what a file that is not a capture looks like, from its first bytes.
fn classify(start: &[u8]) -> NotCaptureKind {
    let head = start.get(..8).unwrap_or(start).to_vec();
    let compressed = [
        (&[0x1f, 0x8b][..], "gzip", "gunzip"),
        (&[0x28, 0xb5, 0x2f, 0xfd][..], "zstd", "unzstd"),
        (&[0xfd, b'7', b'z', b'X', b'Z', 0x00][..], "xz", "unxz"),
        (&b"BZh"[..], "bzip2", "bunzip2"),
        (&[0x04, 0x22, 0x4d, 0x18][..], "lz4", "unlz4"),
        (&b"PK\x03\x04"[..], "zip", "unzip"),
    ];
    for (magic, format, undo) in compressed {
        if start.starts_with(magic) {
            return NotCaptureKind::Compressed { format, undo, start: head };
        }
    }
    let text = std::str::from_utf8(start)
        .map(|s| s.to_string())
        // A multi-byte character cut at the end of what we looked at is still text.
        .or_else(|e| std::str::from_utf8(start.get(..e.valid_up_to()).unwrap_or(&[])).map(|s| s.to_string()).map_err(|_| ()))
        .ok()
        .filter(|s| !s.is_empty() && s.len() + 4 > start.len() && s.chars().all(|c| !c.is_control() || c.is_whitespace()));
    match text {
        Some(s) => {
            let lower = s.trim_start_matches('\u{feff}').trim_start().to_ascii_lowercase();
            let html = lower.starts_with("<!doctype html") || lower.starts_with("<html");
            NotCaptureKind::Text { html, start: head }
        }
        None => NotCaptureKind::Other { start: head },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolutions() {
        let us = Resolution::from_tsresol(6).unwrap();
        assert_eq!(us.timestamp(1_700_000_000_123_456, 0), Timestamp { secs: 1_700_000_000, nanos: 123_456_000 });
        let ns = Resolution::from_tsresol(9).unwrap();
        assert_eq!(ns.timestamp(1_700_000_000_123_456_789, -10), Timestamp { secs: 1_699_999_990, nanos: 123_456_789 });
        let ps = Resolution::from_tsresol(12).unwrap();
        assert_eq!(ps.timestamp(5_123_456_789_999, 0), Timestamp { secs: 5, nanos: 123_456_789 });
        let two = Resolution::from_tsresol(0x80 | 10).unwrap();
        assert_eq!(two.timestamp(3 * 1024 + 512, 0), Timestamp { secs: 3, nanos: 500_000_000 });
        let max2 = Resolution::from_tsresol(0x80 | 63).unwrap();
        assert_eq!(max2.timestamp(u64::MAX, 0).secs, 1);
        let max10 = Resolution::from_tsresol(19).unwrap();
        assert_eq!(max10.timestamp(u64::MAX, i64::MAX), Timestamp { secs: i64::MAX, nanos: 844_674_407 });
        assert!(Resolution::from_tsresol(20).is_none());
        assert!(Resolution::from_tsresol(0x80 | 64).is_none());
        let s = Resolution::from_tsresol(0).unwrap();
        assert_eq!(s.timestamp(u64::MAX, 0).secs, i64::MAX);
    }

    #[test]
    fn classify_lookalikes() {
        assert!(matches!(classify(b"\x1f\x8b\x08\x00abcd"), NotCaptureKind::Compressed { format: "gzip", .. }));
        assert!(matches!(classify(b"<!DOCTYPE html>\n<html>"), NotCaptureKind::Text { html: true, .. }));
        assert!(matches!(classify(b"hello world\n"), NotCaptureKind::Text { html: false, .. }));
        assert!(matches!(classify("世界你好".as_bytes().get(..10).unwrap()), NotCaptureKind::Text { .. }));
        assert!(matches!(classify(b"\x00\x01\x02\x03\x04"), NotCaptureKind::Other { .. }));
        assert!(matches!(classify(b"ab\x00cd"), NotCaptureKind::Other { .. }));
    }
}
