//! A sliding window over a byte stream: the one buffer a [`crate::FrameSource`] reads into.
//!
//! The buffer starts at [`INITIAL`] bytes and grows only while a record that does not fit is
//! actually arriving (doubling, never straight to the length a header claims), so a lying length
//! field cannot make us allocate more than twice the bytes that really exist. After such a record
//! is consumed the buffer shrinks back.

use std::io::{self, Read};

/// Bytes read per refill: big enough that a syscall is amortised over many frames.
pub(crate) const INITIAL: usize = 256 * 1024;

pub(crate) struct Window {
    reader: Box<dyn Read + Send>,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// File offset of `buf[start]`.
    offset: u64,
    bytes_read: u64,
    eof: bool,
}

impl Window {
    pub(crate) fn new(reader: Box<dyn Read + Send>) -> Window {
        Window { reader, buf: vec![0; INITIAL], start: 0, end: 0, offset: 0, bytes_read: 0, eof: false }
    }

    /// The bytes available from the current position.
    pub(crate) fn data(&self) -> &[u8] {
        self.buf.get(self.start..self.end).unwrap_or(&[])
    }

    pub(crate) fn offset(&self) -> u64 {
        self.offset
    }

    pub(crate) fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    pub(crate) fn capacity(&self) -> usize {
        self.buf.len()
    }

    /// Makes at least `n` bytes available from the current position, fewer only when the input
    /// ends first. Returns how many are available.
    pub(crate) fn fill(&mut self, n: usize) -> io::Result<usize> {
        while self.end - self.start < n && !self.eof {
            if self.end == self.buf.len() {
                self.compact();
                if self.end == self.buf.len() {
                    // Grow by doubling, so memory follows the bytes that really arrive.
                    let want = self.buf.len().saturating_mul(2).min(n.max(INITIAL));
                    self.buf.resize(want.max(self.buf.len() + 1), 0);
                }
            }
            let space = self.buf.get_mut(self.end..).unwrap_or(&mut []);
            match self.reader.read(space) {
                Ok(0) => self.eof = true,
                Ok(k) => {
                    self.end += k;
                    self.bytes_read += k as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(self.end - self.start)
    }

    /// Moves past `n` bytes that are available (`n <= data().len()`).
    pub(crate) fn consume(&mut self, n: usize) {
        let n = n.min(self.end - self.start);
        self.start += n;
        self.offset += n as u64;
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
        if self.buf.len() > INITIAL && self.end - self.start <= INITIAL / 2 {
            // A large record has gone: give its memory back.
            self.compact();
            self.buf.truncate(INITIAL);
            self.buf.shrink_to_fit();
        }
    }

    /// Moves past `n` bytes without keeping them in memory (for blocks nobody reads). Returns how
    /// many bytes there were, fewer than `n` only at the end of the input.
    pub(crate) fn skip(&mut self, n: u64) -> io::Result<u64> {
        let mut skipped = 0u64;
        while skipped < n {
            let avail = self.fill(1)?;
            if avail == 0 {
                break;
            }
            let step = usize::try_from(n - skipped).unwrap_or(usize::MAX).min(avail);
            self.consume(step);
            skipped += step as u64;
        }
        Ok(skipped)
    }

    fn compact(&mut self) {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out at most `chunk` bytes per call, like a pipe.
    struct Trickle {
        data: Vec<u8>,
        pos: usize,
        chunk: usize,
    }

    impl Read for Trickle {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self.chunk.min(out.len()).min(self.data.len() - self.pos);
            out[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
            self.pos += n;
            Ok(n)
        }
    }

    fn window(len: usize, chunk: usize) -> Window {
        let data = (0..len).map(|i| i as u8).collect();
        Window::new(Box::new(Trickle { data, pos: 0, chunk }))
    }

    #[test]
    fn fill_collects_small_reads() {
        let mut w = window(100, 3);
        assert_eq!(w.fill(10).unwrap(), 10.max(w.data().len()));
        assert!(w.data().len() >= 10);
        assert_eq!(&w.data()[..4], &[0, 1, 2, 3]);
        w.consume(4);
        assert_eq!(w.offset(), 4);
        assert_eq!(w.data()[0], 4);
    }

    #[test]
    fn fill_stops_at_end_of_input() {
        let mut w = window(5, 2);
        assert_eq!(w.fill(10).unwrap(), 5);
        assert_eq!(w.fill(10).unwrap(), 5);
        assert_eq!(w.bytes_read(), 5);
    }

    #[test]
    fn grows_only_as_far_as_the_data_goes() {
        // Asking for a gigabyte from a 1 MB stream allocates about 2 MB, not a gigabyte.
        let mut w = window(1 << 20, 1 << 16);
        assert_eq!(w.fill(1 << 30).unwrap(), 1 << 20);
        assert!(w.capacity() <= 2 << 20, "capacity {}", w.capacity());
        w.consume(1 << 20);
        assert_eq!(w.capacity(), INITIAL);
    }

    #[test]
    fn skip_past_the_buffer() {
        let mut w = window(3 * INITIAL + 7, 1000);
        assert_eq!(w.skip(2 * INITIAL as u64 + 1).unwrap(), 2 * INITIAL as u64 + 1);
        assert_eq!(w.capacity(), INITIAL);
        w.fill(1).unwrap();
        assert_eq!(w.data()[0], ((2 * INITIAL + 1) % 256) as u8);
        assert_eq!(w.skip(u64::MAX).unwrap(), INITIAL as u64 + 6);
        assert_eq!(w.offset(), 3 * INITIAL as u64 + 7);
    }
}
