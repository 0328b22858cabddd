//! A 50 MB capture streams through the one buffer: memory does not follow the file size.

use std::io::{BufWriter, Write};

use netlayers_capture::FrameSource;
use netlayers_core::{Frame, LinkType, Timestamp};

#[test]
fn fifty_megabytes_through_one_buffer() {
    let path = std::env::temp_dir().join(format!("netlayers-capture-{}-big.pcap", std::process::id()));

    // Records of 60 to 1513 bytes, so they straddle the buffer's end at every possible offset.
    let payload = vec![0x5au8; 1514];
    let mut out = BufWriter::new(std::fs::File::create(&path).unwrap());
    out.write_all(&[0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 1, 0, 0, 0]).unwrap();
    let (mut written, mut frames, mut len_sum) = (24u64, 0u64, 0u64);
    while written < 50_000_000 {
        let caplen = 60 + (frames * 7 % 1454) as u32;
        for v in [frames as u32, 0, caplen, caplen] {
            out.write_all(&v.to_le_bytes()).unwrap();
        }
        out.write_all(&payload[..caplen as usize]).unwrap();
        written += 16 + u64::from(caplen);
        len_sum += u64::from(caplen);
        frames += 1;
    }
    drop(out);

    let mut src = FrameSource::open(&path).unwrap();
    let mut frame = Frame { number: 0, ts: Timestamp::default(), orig_len: 0, data: Vec::new(), link: LinkType::Ethernet, interface: 0 };
    let (mut n, mut got_sum, mut max_buffer) = (0u64, 0u64, 0usize);
    while src.next_into(&mut frame).unwrap() {
        assert_eq!(frame.ts.secs as u64, n, "frames come in order");
        n += 1;
        got_sum += frame.data.len() as u64;
        max_buffer = max_buffer.max(src.buffer_capacity());
        assert!(n <= frames);
    }
    std::fs::remove_file(&path).unwrap();
    assert_eq!(n, frames);
    assert_eq!(got_sum, len_sum);
    assert_eq!(src.bytes_read(), written);
    assert!(max_buffer <= 256 * 1024, "the buffer grew to {max_buffer} bytes");
}
