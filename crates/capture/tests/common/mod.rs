//! Capture files built byte by byte, independently of the crate's writers, so that reading tests
//! do not merely confirm that the reader agrees with our own writer.
#![allow(dead_code)]

use netlayers_capture::{CaptureError, FrameSource};
use netlayers_core::Frame;

pub fn u16b(v: u16, be: bool) -> [u8; 2] {
    if be { v.to_be_bytes() } else { v.to_le_bytes() }
}

pub fn u32b(v: u32, be: bool) -> [u8; 4] {
    if be { v.to_be_bytes() } else { v.to_le_bytes() }
}

/// A classic pcap file header: magic, version 2.4, zone 0, sigfigs 0, snaplen, link type.
pub fn pcap_header(nanos: bool, be: bool, snaplen: u32, linktype: u32) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend(u32b(if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 }, be));
    v.extend(u16b(2, be));
    v.extend(u16b(4, be));
    v.extend(u32b(0, be));
    v.extend(u32b(0, be));
    v.extend(u32b(snaplen, be));
    v.extend(u32b(linktype, be));
    v
}

/// A classic pcap record: ts secs, ts fraction, caplen (= data length), orig len, data.
pub fn pcap_record(be: bool, secs: u32, frac: u32, orig_len: u32, data: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend(u32b(secs, be));
    v.extend(u32b(frac, be));
    v.extend(u32b(data.len() as u32, be));
    v.extend(u32b(orig_len, be));
    v.extend_from_slice(data);
    v
}

/// A pcapng block: type, total length, body padded to 4, length again.
pub fn block(be: bool, btype: u32, body: &[u8]) -> Vec<u8> {
    let mut body = body.to_vec();
    while body.len() & 3 != 0 {
        body.push(0);
    }
    let len = body.len() as u32 + 12;
    let mut v = Vec::new();
    v.extend(u32b(btype, be));
    v.extend(u32b(len, be));
    v.extend(body);
    v.extend(u32b(len, be));
    v
}

pub fn option(be: bool, code: u16, value: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend(u16b(code, be));
    v.extend(u16b(value.len() as u16, be));
    v.extend_from_slice(value);
    while v.len() & 3 != 0 {
        v.push(0);
    }
    v
}

/// Section Header Block, version 1.0, unknown section length, no options.
pub fn shb(be: bool) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend(u32b(0x1A2B_3C4D, be));
    body.extend(u16b(1, be));
    body.extend(u16b(0, be));
    body.extend_from_slice(&[0xff; 8]);
    block(be, 0x0A0D_0D0A, &body)
}

/// Interface Description Block with the given options (already encoded) and an end-of-options.
pub fn idb(be: bool, linktype: u16, snaplen: u32, options: &[Vec<u8>]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend(u16b(linktype, be));
    body.extend(u16b(0, be));
    body.extend(u32b(snaplen, be));
    for o in options {
        body.extend_from_slice(o);
    }
    if !options.is_empty() {
        body.extend(option(be, 0, b""));
    }
    block(be, 1, &body)
}

/// Enhanced Packet Block: interface, 64-bit timestamp in the interface's units, caplen = data
/// length, orig len, data (padded).
pub fn epb(be: bool, iface: u32, ts: u64, orig_len: u32, data: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend(u32b(iface, be));
    body.extend(u32b((ts >> 32) as u32, be));
    body.extend(u32b(ts as u32, be));
    body.extend(u32b(data.len() as u32, be));
    body.extend(u32b(orig_len, be));
    body.extend_from_slice(data);
    block(be, 6, &body)
}

/// Simple Packet Block: original length, then the data.
pub fn spb(be: bool, orig_len: u32, data: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend(u32b(orig_len, be));
    body.extend_from_slice(data);
    block(be, 3, &body)
}

/// Reads everything: the frames, then the error that ended the file (if any). Termination is
/// asserted by counting calls: a reader that returned more items than the input has bytes, or
/// that yielded anything after an error or the end, fails.
pub fn read_all(bytes: &[u8]) -> (Vec<Frame>, Option<CaptureError>) {
    let src = FrameSource::from_reader("x.pcap".into(), Box::new(std::io::Cursor::new(bytes.to_vec())));
    match src {
        Ok(src) => drain(src, bytes.len()),
        Err(e) => (Vec::new(), Some(e)),
    }
}

pub fn drain(mut src: FrameSource, input_len: usize) -> (Vec<Frame>, Option<CaptureError>) {
    let mut frames = Vec::new();
    let mut error = None;
    // Each frame takes at least 12 bytes of input, so this many calls must reach the end.
    let bound = input_len / 12 + 2;
    let mut ended = false;
    for _ in 0..bound {
        match src.next_frame() {
            Some(Ok(f)) => frames.push(f),
            Some(Err(e)) => {
                error = Some(e);
                ended = true;
                break;
            }
            None => {
                ended = true;
                break;
            }
        }
    }
    assert!(ended, "the reader did not end within {bound} calls");
    for _ in 0..3 {
        assert!(src.next_frame().is_none(), "the reader yielded something after its end or error");
    }
    (frames, error)
}

pub fn error_text(bytes: &[u8]) -> String {
    match read_all(bytes).1 {
        Some(e) => e.to_string(),
        None => "no error".to_string(),
    }
}
