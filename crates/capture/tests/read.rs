//! Reading pcap and pcapng built byte by byte: every format variant, and every bad input with the
//! exact message a user sees.

mod common;

use std::io::{self, Read};

use common::*;
use netlayers_capture::{CaptureError, FileFormat, FrameSource};
use netlayers_core::{Frame, LinkType, Timestamp};

fn ts(secs: i64, nanos: u32) -> Timestamp {
    Timestamp { secs, nanos }
}

fn source(bytes: Vec<u8>) -> FrameSource {
    FrameSource::from_reader("x.pcap".into(), Box::new(io::Cursor::new(bytes))).unwrap()
}

fn three_records(be: bool, nanos: bool, linktype: u32) -> Vec<u8> {
    let mut f = pcap_header(nanos, be, 65535, linktype);
    f.extend(pcap_record(be, 1_700_000_000, 1, 60, &[0xaa; 60]));
    f.extend(pcap_record(be, 1_700_000_001, 999_999, 1514, &[0xbb; 54])); // cut by a snaplen
    f.extend(pcap_record(be, 0, 0, 0, &[]));
    f
}

#[test]
fn pcap_all_four_magics() {
    for be in [false, true] {
        for nanos in [false, true] {
            let bytes = three_records(be, nanos, 1);
            let src = source(bytes.clone());
            assert_eq!(src.format(), FileFormat::Pcap { nanos, big_endian: be });
            assert_eq!(src.interfaces().len(), 1);
            assert_eq!(src.interfaces()[0].snaplen, 65535);
            let (frames, err) = drain(src, bytes.len());
            assert!(err.is_none(), "{err:?}");
            let unit = if nanos { 1 } else { 1000 };
            assert_eq!(frames.len(), 3);
            assert_eq!(frames[0].number, 1);
            assert_eq!(frames[0].ts, ts(1_700_000_000, unit));
            assert_eq!(frames[0].data, vec![0xaa; 60]);
            assert_eq!(frames[0].link, LinkType::Ethernet);
            assert_eq!(frames[1].number, 2);
            assert_eq!(frames[1].ts, ts(1_700_000_001, 999_999 * unit));
            assert_eq!(frames[1].orig_len, 1514);
            assert_eq!(frames[1].data.len(), 54);
            assert_eq!(frames[2], Frame { number: 3, ts: ts(0, 0), orig_len: 0, data: vec![], link: LinkType::Ethernet, interface: 0 });
        }
    }
}

#[test]
fn pcap_fraction_out_of_range_carries_into_seconds() {
    let mut f = pcap_header(false, false, 65535, 1);
    f.extend(pcap_record(false, 10, 2_500_000, 1, &[1]));
    let (frames, err) = read_all(&f);
    assert!(err.is_none());
    assert_eq!(frames[0].ts, ts(12, 500_000_000));
}

#[test]
fn pcap_link_types() {
    for (n, want) in [(101, LinkType::RawIp), (113, LinkType::LinuxSll), (276, LinkType::LinuxSll2), (0, LinkType::Null), (147, LinkType::Other(147))] {
        let (frames, err) = read_all(&three_records(false, false, n));
        assert!(err.is_none());
        assert!(frames.iter().all(|f| f.link == want), "{n}");
    }
    // The FCS bits in the upper half of the field are not part of the type.
    let (frames, _) = read_all(&three_records(false, false, 0x1400_0001));
    assert_eq!(frames[0].link, LinkType::Ethernet);
}

#[test]
fn unknown_link_type_reads_and_errs_only_when_asked() {
    let (frames, err) = read_all(&three_records(true, false, 147));
    assert!(err.is_none());
    assert_eq!(frames.len(), 3);
    assert_eq!(
        CaptureError::unsupported_link("x.pcap", &frames[1]).to_string(),
        "x.pcap: frame 2 has link-layer type 147, which netlayers cannot decode"
    );
}

#[test]
fn next_into_reuses_the_buffer() {
    let mut src = source(three_records(false, true, 1));
    let mut frame = Frame { number: 0, ts: ts(0, 0), orig_len: 0, data: Vec::with_capacity(4096), link: LinkType::Ethernet, interface: 0 };
    let ptr = frame.data.as_ptr();
    let mut n = 0;
    while src.next_into(&mut frame).unwrap() {
        n += 1;
        assert_eq!(frame.number, n);
        assert_eq!(frame.data.as_ptr(), ptr, "the frame's Vec was reallocated");
        assert!(n <= 3);
    }
    assert_eq!(n, 3);
    assert!(!src.next_into(&mut frame).unwrap());
}

/// Hands out one byte per read, like the slowest pipe: framing must not depend on read sizes.
struct OneByte(io::Cursor<Vec<u8>>);

impl Read for OneByte {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(1);
        self.0.read(&mut buf[..n])
    }
}

#[test]
fn byte_by_byte_reads_give_the_same_frames() {
    let mut bytes = three_records(false, false, 1);
    let whole = read_all(&bytes).0;
    let src = FrameSource::from_reader("slow".into(), Box::new(OneByte(io::Cursor::new(bytes.clone())))).unwrap();
    assert_eq!(drain(src, bytes.len()).0, whole);
    bytes = multi_interface_pcapng();
    let whole = read_all(&bytes).0;
    let src = FrameSource::from_reader("slow".into(), Box::new(OneByte(io::Cursor::new(bytes.clone())))).unwrap();
    assert_eq!(drain(src, bytes.len()).0, whole);
}

/// SHB, an Ethernet interface (microseconds), a raw-IP interface (nanoseconds, offset 100 s),
/// frames on both, a Simple Packet Block, and blocks to skip between them.
fn multi_interface_pcapng() -> Vec<u8> {
    let be = false;
    let mut f = shb(be);
    f.extend(idb(be, 1, 96, &[option(be, 2, b"eth0"), option(be, 3, b"first link")]));
    f.extend(block(be, 4, &[0, 0, 0, 0])); // Name Resolution Block, just an end marker
    f.extend(idb(be, 101, 0, &[option(be, 9, &[9]), option(be, 14, &100i64.to_le_bytes())]));
    f.extend(epb(be, 1, 1_700_000_000_123_456_789, 28, &[0x45; 28]));
    f.extend(epb(be, 0, 1_700_000_000_654_321, 100, &[0x11; 61])); // 61: padding follows
    f.extend(block(be, 0x0BAD, &[1, 2, 3, 4, 5, 6, 7, 8])); // custom block
    f.extend(spb(be, 200, &[0x22; 96])); // cut at interface 0's snaplen
    f.extend(block(be, 5, &[0; 12])); // Interface Statistics Block
    f.extend(block(be, 10, &[0; 8])); // Decryption Secrets Block
    f.extend(block(be, 0x1234_5678, &[])); // a type nobody knows
    f
}

#[test]
fn pcapng_interfaces_resolutions_and_skipped_blocks() {
    let bytes = multi_interface_pcapng();
    let src = source(bytes.clone());
    assert_eq!(src.format(), FileFormat::PcapNg);
    let (frames, err) = drain(src, bytes.len());
    assert!(err.is_none(), "{err:?}");
    assert_eq!(frames.len(), 3);
    assert_eq!(frames[0].number, 1);
    assert_eq!(frames[0].interface, 1);
    assert_eq!(frames[0].link, LinkType::RawIp);
    assert_eq!(frames[0].ts, ts(1_700_000_100, 123_456_789));
    assert_eq!(frames[0].data, vec![0x45; 28]);
    assert_eq!(frames[1].interface, 0);
    assert_eq!(frames[1].link, LinkType::Ethernet);
    assert_eq!(frames[1].ts, ts(1_700_000_000, 654_321_000));
    assert_eq!(frames[1].data, vec![0x11; 61], "padding is not data");
    assert_eq!(frames[1].orig_len, 100);
    assert_eq!(frames[2].number, 3);
    assert_eq!(frames[2].interface, 0);
    assert_eq!(frames[2].orig_len, 200);
    assert_eq!(frames[2].data, vec![0x22; 96]);
}

#[test]
fn pcapng_interface_names() {
    let mut src = source(multi_interface_pcapng());
    src.next_frame().unwrap().unwrap();
    let ifs = src.interfaces();
    assert_eq!(ifs.len(), 2);
    assert_eq!(ifs[0].name.as_deref(), Some("eth0"));
    assert_eq!(ifs[0].description.as_deref(), Some("first link"));
    assert_eq!((ifs[0].tsresol, ifs[0].tsoffset, ifs[0].snaplen), (6, 0, 96));
    assert_eq!((ifs[1].tsresol, ifs[1].tsoffset), (9, 100));
}

#[test]
fn pcapng_big_endian_then_little_endian_sections() {
    let mut f = shb(true);
    f.extend(idb(true, 1, 0, &[option(true, 9, &[0x80 | 10]), option(true, 14, &(-5i64).to_be_bytes())]));
    f.extend(epb(true, 0, 3 * 1024 + 256, 4, &[1, 2, 3, 4]));
    f.extend(shb(false));
    f.extend(idb(false, 228, 0, &[]));
    f.extend(idb(false, 229, 0, &[]));
    f.extend(epb(false, 1, 7_000_001, 5, &[6; 5]));
    let (frames, err) = read_all(&f);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(frames.len(), 2);
    assert_eq!(frames[0].ts, ts(-2, 250_000_000));
    assert_eq!(frames[0].link, LinkType::Ethernet);
    assert_eq!(frames[0].data, vec![1, 2, 3, 4]);
    assert_eq!((frames[1].number, frames[1].interface, frames[1].link), (2, 1, LinkType::Ipv6));
    assert_eq!(frames[1].ts, ts(7, 1000));
}

#[test]
fn pcapng_interfaces_do_not_carry_over_sections() {
    let mut f = shb(false);
    f.extend(idb(false, 1, 0, &[]));
    f.extend(idb(false, 1, 0, &[]));
    f.extend(epb(false, 1, 0, 4, &[1, 2, 3, 4]));
    let second = f.len();
    f.extend(shb(true));
    f.extend(idb(true, 1, 0, &[]));
    let epb_at = f.len();
    f.extend(epb(true, 1, 0, 4, &[1, 2, 3, 4]));
    let (frames, err) = read_all(&f);
    assert_eq!(frames.len(), 1);
    assert!(second < epb_at);
    assert_eq!(
        err.unwrap().to_string(),
        format!("x.pcap: frame 2 at byte offset {epb_at} refers to interface 1, but its section describes only 1 interface(s)")
    );
}

#[test]
fn pcapng_packet_before_any_interface() {
    let mut f = shb(false);
    f.extend(spb(false, 4, &[1, 2, 3, 4]));
    assert_eq!(error_text(&f), "x.pcap: frame 1 at byte offset 28 refers to interface 0, but its section describes only 0 interface(s)");
}

// ---- not a capture file ----

#[test]
fn empty_file() {
    assert_eq!(error_text(b""), "x.pcap: empty file (0 bytes), not a pcap or pcapng file");
}

#[test]
fn html_page() {
    assert_eq!(
        error_text(b"<!DOCTYPE html>\n<html><head><title>Download</title>"),
        "x.pcap: not a pcap or pcapng file (starts with 3c 21 44 4f 43 54 59 50 \"<!DOCTYP\"): it is an HTML page, perhaps saved from a link instead of the file it pointed to"
    );
}

#[test]
fn text_file() {
    assert_eq!(
        error_text(b"10:00:00.000 IP 10.0.0.1 > 10.0.0.2: ICMP echo request\n"),
        "x.pcap: not a pcap or pcapng file (starts with 31 30 3a 30 30 3a 30 30 \"10:00:00\"): it looks like text"
    );
}

#[test]
fn compressed_files() {
    assert_eq!(
        error_text(&[0x1f, 0x8b, 0x08, 0x00, 0x12, 0x34, 0x56, 0x78, 0x00, 0x03]),
        "x.pcap: compressed with gzip: gunzip it first (starts with 1f 8b 08 00 12 34 56 78 \"\\x1f\\x8b\\x08\\x00\\x124Vx\")"
    );
    assert!(error_text(&[0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0]).starts_with("x.pcap: compressed with zstd: unzstd it first"));
    assert!(error_text(b"\xfd7zXZ\x00\x00\x04").starts_with("x.pcap: compressed with xz: unxz it first"));
    assert!(error_text(b"BZh91AY&SY").starts_with("x.pcap: compressed with bzip2: bunzip2 it first"));
    assert!(error_text(b"PK\x03\x04\x14\x00").starts_with("x.pcap: compressed with zip: unzip it first"));
}

#[test]
fn other_binary() {
    assert_eq!(
        error_text(&[0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0]),
        "x.pcap: not a pcap or pcapng file (starts with 7f 45 4c 46 02 01 01 00 \"\\x7fELF\\x02\\x01\\x01\\x00\")"
    );
    assert_eq!(error_text(&[0xd4, 0xc3]), "x.pcap: not a pcap or pcapng file (starts with d4 c3 \"\\xd4\\xc3\")");
}

#[test]
fn missing_file() {
    let err = FrameSource::open(std::path::Path::new("/nonexistent/dir/x.pcap")).unwrap_err();
    assert_eq!(err.to_string(), "/nonexistent/dir/x.pcap: cannot open: No such file or directory (os error 2)");
    assert_eq!(err.file(), "/nonexistent/dir/x.pcap");
}

// ---- broken pcap ----

#[test]
fn pcap_header_cut_short() {
    let h = pcap_header(false, false, 65535, 1);
    assert_eq!(error_text(&h[..10]), "x.pcap: truncated pcap file header at byte offset 0: needs 24 bytes, only 10 left");
}

#[test]
fn pcap_other_version_and_modified_format() {
    let mut h = pcap_header(false, false, 65535, 1);
    h[4] = 3;
    assert_eq!(error_text(&h), "x.pcap: pcap version 3.4 is not supported (expected 2.4)");
    let mut h = pcap_header(false, false, 65535, 1);
    h[..4].copy_from_slice(&0xa1b2_cd34u32.to_le_bytes());
    assert_eq!(
        error_text(&h),
        "x.pcap: a pcap file in the modified format of old Red Hat tcpdump (magic a1b2cd34), which netlayers cannot read"
    );
}

#[test]
fn truncated_record_after_complete_frames() {
    let full = three_records(false, false, 1);
    // Header 24, record 1 is 16+60, record 2 is 16+54, record 3 is 16.
    let third = 24 + 76 + 70;
    assert_eq!(full.len(), third + 16);
    for cut in 1..16 {
        let (frames, err) = read_all(&full[..third + cut]);
        assert_eq!(frames.len(), 2, "cut {cut}");
        assert_eq!(err.unwrap().to_string(), format!("x.pcap: truncated record at byte offset {third} (frame 3): needs 16 bytes, only {cut} left"));
    }
    // Cut inside the second record's data.
    let (frames, err) = read_all(&full[..100 + 16 + 10]);
    assert_eq!(frames.len(), 1);
    assert_eq!(err.unwrap().to_string(), "x.pcap: truncated record at byte offset 100 (frame 2): needs 70 bytes, only 26 left");
}

/// Offsets where a record or block ends: a file cut there is complete, cut anywhere else it is not.
fn boundaries(bytes: &[u8]) -> Vec<usize> {
    let mut at = Vec::new();
    if bytes.starts_with(&[0x0a, 0x0d, 0x0d, 0x0a]) {
        let mut pos = 0;
        while pos + 8 <= bytes.len() {
            pos += u32::from_le_bytes(bytes[pos + 4..pos + 8].try_into().unwrap()) as usize;
            at.push(pos);
        }
    } else {
        let mut pos = 24;
        at.push(pos);
        while pos + 16 <= bytes.len() {
            pos += 16 + u32::from_be_bytes(bytes[pos + 8..pos + 12].try_into().unwrap()) as usize;
            at.push(pos);
        }
    }
    at
}

#[test]
fn every_cut_of_a_file_ends() {
    for bytes in [three_records(true, true, 1), multi_interface_pcapng()] {
        let whole = read_all(&bytes).0;
        let complete = boundaries(&bytes);
        assert_eq!(complete.last(), Some(&bytes.len()));
        for cut in 0..bytes.len() {
            let (frames, err) = read_all(&bytes[..cut]);
            assert_eq!(frames[..], whole[..frames.len()], "cut {cut}");
            assert_eq!(err.is_none(), complete.contains(&cut), "cut {cut}: {err:?}");
        }
    }
}

#[test]
fn absurd_record_length() {
    let mut f = pcap_header(false, false, 65535, 1);
    f.extend(pcap_record(false, 1, 1, 60, &[0; 60]));
    f.extend(u32b(1, false));
    f.extend(u32b(1, false));
    f.extend(u32b(u32::MAX, false));
    f.extend(u32b(60, false));
    f.extend([0; 100]);
    let (frames, err) = read_all(&f);
    assert_eq!(frames.len(), 1);
    assert_eq!(
        err.unwrap().to_string(),
        "x.pcap: frame 2 at byte offset 100 claims 4294967295 bytes (larger than the 268435456-byte limit for one record)"
    );
}

#[test]
fn record_just_under_the_limit_that_is_not_there_allocates_little() {
    let mut f = pcap_header(false, false, 65535, 1);
    f.extend(u32b(1, false));
    f.extend(u32b(1, false));
    f.extend(u32b(netlayers_capture::MAX_RECORD, false));
    f.extend(u32b(60, false));
    f.extend([0; 1000]);
    let mut src = source(f);
    let err = src.next_frame().unwrap().unwrap_err();
    assert_eq!(err.to_string(), "x.pcap: truncated record at byte offset 24 (frame 1): needs 268435472 bytes, only 1016 left");
    assert!(src.buffer_capacity() <= 1 << 20, "{}", src.buffer_capacity());
}

// ---- broken pcapng ----

/// A section with one Ethernet interface, then `rest` at byte offset 48 (SHB 28 + IDB 20).
fn with_shb_idb(rest: &[u8]) -> Vec<u8> {
    let mut f = shb(false);
    f.extend(idb(false, 1, 0, &[]));
    f.extend_from_slice(rest);
    f
}

#[test]
fn block_length_not_a_multiple_of_4() {
    let mut b = epb(false, 0, 0, 4, &[1, 2, 3, 4]);
    b[4] += 1;
    assert_eq!(
        error_text(&with_shb_idb(&b)),
        "x.pcap: bad block length 37 at byte offset 48 (Enhanced Packet Block, type 0x00000006): not a multiple of 4"
    );
}

#[test]
fn block_length_too_small() {
    let mut b = block(false, 4, &[]);
    b[4] = 8;
    assert_eq!(
        error_text(&with_shb_idb(&b)),
        "x.pcap: bad block length 8 at byte offset 48 (Name Resolution Block, type 0x00000004): shorter than the 12 bytes of any block"
    );
    let mut b = epb(false, 0, 0, 4, &[1, 2, 3, 4]);
    b[4] = 28;
    assert_eq!(
        error_text(&with_shb_idb(&b)),
        "x.pcap: bad block length 28 at byte offset 48 (Enhanced Packet Block, type 0x00000006): shorter than the 32 bytes of an Enhanced Packet Block"
    );
}

#[test]
fn block_trailing_length_mismatch() {
    let mut b = epb(false, 0, 0, 4, &[1, 2, 3, 4]);
    let n = b.len();
    b[n - 4] = 40;
    let mut f = with_shb_idb(&epb(false, 0, 0, 1, &[9]));
    f.extend(b);
    let (frames, err) = read_all(&f);
    assert_eq!(frames.len(), 1);
    assert_eq!(
        err.unwrap().to_string(),
        "x.pcap: bad block length 36 at byte offset 84 (Enhanced Packet Block, type 0x00000006): the copy at the end of the block says 40"
    );
    // Skipped blocks are checked too.
    let mut b = block(false, 5, &[0; 8]);
    let n = b.len();
    b[n - 4] = 0;
    assert_eq!(
        error_text(&with_shb_idb(&b)),
        "x.pcap: bad block length 20 at byte offset 48 (Interface Statistics Block, type 0x00000005): the copy at the end of the block says 0"
    );
}

#[test]
fn caplen_larger_than_its_block() {
    let mut b = epb(false, 0, 0, 4, &[1, 2, 3, 4]);
    b[20..24].copy_from_slice(&5000u32.to_le_bytes());
    assert_eq!(
        error_text(&with_shb_idb(&b)),
        "x.pcap: frame 1 at byte offset 48 claims 5000 bytes (larger than the 4 bytes its block has room for)"
    );
}

#[test]
fn block_larger_than_the_limit() {
    let mut b = epb(false, 0, 0, 4, &[1, 2, 3, 4]);
    b[4..8].copy_from_slice(&0xffff_fffcu32.to_le_bytes());
    assert_eq!(
        error_text(&with_shb_idb(&b)),
        "x.pcap: frame 1 (Enhanced Packet Block) at byte offset 48 claims 4294967292 bytes (larger than the 268435456-byte limit for one record)"
    );
}

#[test]
fn truncated_blocks() {
    let e = epb(false, 0, 0, 4, &[1, 2, 3, 4]);
    let (frames, err) = read_all(&with_shb_idb(&[e.clone(), e[..30].to_vec()].concat()));
    assert_eq!(frames.len(), 1);
    assert_eq!(err.unwrap().to_string(), "x.pcap: truncated Enhanced Packet Block at byte offset 84 (frame 2): needs 36 bytes, only 30 left");
    assert_eq!(
        error_text(&with_shb_idb(&e[..5])),
        "x.pcap: truncated block header at byte offset 48 (frame 1): needs 8 bytes, only 5 left"
    );
    let mut nrb = block(false, 4, &[0; 100]);
    nrb.truncate(50);
    assert_eq!(
        error_text(&with_shb_idb(&nrb)),
        "x.pcap: truncated Name Resolution Block at byte offset 48: needs 112 bytes, only 50 left"
    );
    let i = idb(false, 1, 0, &[option(false, 2, b"eth0")]);
    assert_eq!(
        error_text(&[shb(false), i[..20].to_vec()].concat()),
        "x.pcap: truncated Interface Description Block at byte offset 28: needs 32 bytes, only 20 left"
    );
    assert_eq!(error_text(&shb(false)[..10]), "x.pcap: truncated Section Header Block at byte offset 0: needs 12 bytes, only 10 left");
}

#[test]
fn bad_section_headers() {
    let mut s = shb(false);
    s[8..12].copy_from_slice(&[1, 2, 3, 4]);
    assert_eq!(
        error_text(&s),
        "x.pcap: bad byte-order magic 0x04030201 in the Section Header Block at byte offset 0 (expected 1a2b3c4d)"
    );
    let mut s = shb(true);
    s[12..14].copy_from_slice(&2u16.to_be_bytes());
    assert_eq!(error_text(&s), "x.pcap: pcapng version 2.0 at byte offset 0 is not supported (expected 1.0)");
    // The same in a later section, after the frames of the first.
    let mut f = with_shb_idb(&epb(false, 0, 0, 1, &[1]));
    let at = f.len();
    let mut s = shb(false);
    s[12] = 9;
    f.extend(s);
    let (frames, err) = read_all(&f);
    assert_eq!(frames.len(), 1);
    assert_eq!(err.unwrap().to_string(), format!("x.pcap: pcapng version 9.0 at byte offset {at} is not supported (expected 1.0)"));
}

#[test]
fn bad_timestamp_resolution() {
    let mut f = shb(false);
    f.extend(idb(false, 1, 0, &[option(false, 9, &[20])]));
    assert_eq!(
        error_text(&f),
        "x.pcap: malformed block at byte offset 28 (Interface Description Block, type 0x00000001): interface 0 has if_tsresol 0x14, finer than a 64-bit timestamp can count"
    );
}

#[test]
fn read_errors_name_the_offset() {
    struct Failing(usize);
    impl Read for Failing {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.0 == 0 {
                return Err(io::Error::other("disk on fire"));
            }
            let h = pcap_header(false, false, 100, 1);
            let n = buf.len().min(h.len());
            buf[..n].copy_from_slice(&h[..n]);
            self.0 -= 1;
            Ok(n)
        }
    }
    let mut src = FrameSource::from_reader("y.pcap".into(), Box::new(Failing(1))).unwrap();
    assert_eq!(src.next_frame().unwrap().unwrap_err().to_string(), "y.pcap: read error at byte offset 24: disk on fire");
    assert!(src.next_frame().is_none());
}
