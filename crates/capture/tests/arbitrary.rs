//! Whatever follows a valid header, the reader never panics, never allocates more than the input
//! justifies, and always ends: the number of items it yields is bounded by the input size.

mod common;

use std::io::Cursor;

use common::*;
use netlayers_capture::FrameSource;
use proptest::prelude::*;

/// The read buffer's starting size: inputs this small must never grow it.
const BUFFER: usize = 256 * 1024;

/// Reads everything, checking the bounds as it goes; returns the number of frames.
fn check(bytes: &[u8]) -> usize {
    let Ok(mut src) = FrameSource::from_reader("fuzz".into(), Box::new(Cursor::new(bytes.to_vec()))) else {
        return 0;
    };
    let mut frames = 0;
    // Every frame needs at least 12 bytes of input (a pcapng block; a pcap record needs 16).
    for _ in 0..bytes.len() / 12 + 2 {
        assert!(src.buffer_capacity() <= BUFFER, "buffer grew to {}", src.buffer_capacity());
        match src.next_frame() {
            Some(Ok(f)) => {
                assert!(f.data.len() <= bytes.len());
                assert_eq!(f.number, frames as u64 + 1);
                frames += 1;
            }
            Some(Err(e)) => {
                let msg = e.to_string();
                assert!(msg.starts_with("fuzz: ") && !msg.contains('\n'), "{msg}");
                assert!(src.next_frame().is_none());
                return frames;
            }
            None => {
                assert!(src.next_frame().is_none());
                return frames;
            }
        }
    }
    panic!("no end after {} calls", bytes.len() / 12 + 2);
}

fn any_pcap_header() -> impl Strategy<Value = Vec<u8>> {
    (any::<bool>(), any::<bool>(), any::<u32>(), any::<u32>()).prop_map(|(nanos, be, snap, link)| pcap_header(nanos, be, snap, link))
}

fn any_pcapng_start() -> impl Strategy<Value = Vec<u8>> {
    (any::<bool>(), any::<u16>(), proptest::collection::vec(any::<u8>(), 0..3)).prop_map(|(be, link, resol)| {
        let mut f = shb(be);
        let opts: Vec<Vec<u8>> = resol.iter().map(|r| option(be, 9, &[*r])).collect();
        f.extend(idb(be, link, 0, &opts));
        f
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn bytes_after_a_pcap_header(h in any_pcap_header(), rest in proptest::collection::vec(any::<u8>(), 0..2048)) {
        check(&[h, rest].concat());
    }

    #[test]
    fn bytes_after_a_pcapng_section(h in any_pcapng_start(), rest in proptest::collection::vec(any::<u8>(), 0..2048)) {
        check(&[h, rest].concat());
    }

    #[test]
    fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        check(&bytes);
    }

    /// Valid files with a few bytes changed: lengths, types and interface ids go wrong in every way.
    #[test]
    fn mutated_files(ng in any::<bool>(), be in any::<bool>(), edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6)) {
        let mut f = if ng {
            let mut f = shb(be);
            f.extend(idb(be, 1, 64, &[option(be, 2, b"eth0"), option(be, 9, &[9])]));
            f.extend(epb(be, 0, 1 << 40, 100, &[1; 33]));
            f.extend(block(be, 4, &[0; 8]));
            f.extend(spb(be, 10, &[2; 10]));
            f.extend(shb(!be));
            f.extend(idb(!be, 101, 0, &[]));
            f.extend(epb(!be, 0, 5, 5, &[3; 5]));
            f
        } else {
            let mut f = pcap_header(true, be, 65535, 1);
            f.extend(pcap_record(be, 1, 2, 60, &[4; 60]));
            f.extend(pcap_record(be, 3, 4, 5, &[5; 5]));
            f
        };
        for (at, v) in edits {
            let n = f.len();
            f[at % n] = v;
        }
        check(&f);
    }
}
