//! Any bytes as a capture file: the reader must end, never panic, never allocate without bound.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netlayers_capture::FrameSource;

fuzz_target!(|data: &[u8]| {
    let Ok(mut src) = FrameSource::from_reader("fuzz".into(), Box::new(std::io::Cursor::new(data.to_vec()))) else {
        return;
    };
    let mut n = 0usize;
    while let Some(r) = src.next_frame() {
        n += 1;
        // A frame takes at least a 16-byte record header (or a 12-byte block): a reader that
        // yields more frames than that allows is repeating itself.
        assert!(n <= data.len() / 12 + 1, "more frames than bytes allow");
        if r.is_err() {
            assert!(src.next_frame().is_none(), "a source ends after its first error");
            break;
        }
    }
});
