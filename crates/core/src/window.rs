//! The captured bytes one decoder may read, addressed from the start of its own header.
//!
//! Every accessor returns `None` when a byte lies outside the window, so a decoder written with
//! `?` stops exactly where the capture (or the range its caller gave it) ends, and never panics.
//! Offsets are relative to the header; [`Window::abs`] turns them into the absolute frame ranges
//! that fields carry.

// One reader for every layer crate (they depend on core alone, so it lives here).

use std::net::{Ipv4Addr, Ipv6Addr};
use std::ops::Range;

#[derive(Debug, Clone, Copy)]
pub struct Window<'a> {
    frame: &'a [u8],
    start: usize,
    end: usize,
}

impl<'a> Window<'a> {
    /// The part of `at` that the frame really holds (a range past the end is cut, never trusted).
    pub fn new(frame: &'a [u8], at: Range<usize>) -> Window<'a> {
        let end = at.end.min(frame.len());
        let start = at.start.min(end);
        Window { frame, start, end }
    }

    pub fn start(&self) -> usize {
        self.start
    }

    pub fn end(&self) -> usize {
        self.end
    }

    /// Bytes captured from the start of the header.
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// No byte of the header was captured.
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }

    /// The absolute frame range of the header-relative range `r`, cut to the window.
    pub fn abs(&self, r: Range<usize>) -> Range<usize> {
        let s = self.start.saturating_add(r.start).min(self.end);
        let e = self.start.saturating_add(r.end).min(self.end).max(s);
        s..e
    }

    pub fn bytes(&self, r: Range<usize>) -> Option<&'a [u8]> {
        if r.start > r.end || r.end > self.len() {
            return None;
        }
        self.frame.get(self.start + r.start..self.start + r.end)
    }

    /// Everything captured from `from` on (empty past the end).
    pub fn rest(&self, from: usize) -> &'a [u8] {
        self.bytes(from.min(self.len())..self.len()).unwrap_or(&[])
    }

    pub fn u8(&self, off: usize) -> Option<u8> {
        self.bytes(off..off.checked_add(1)?).map(|b| b[0])
    }

    pub fn u16(&self, off: usize) -> Option<u16> {
        self.array::<2>(off).map(u16::from_be_bytes)
    }

    pub fn u32(&self, off: usize) -> Option<u32> {
        self.array::<4>(off).map(u32::from_be_bytes)
    }

    pub fn array<const N: usize>(&self, off: usize) -> Option<[u8; N]> {
        self.bytes(off..off.checked_add(N)?)?.try_into().ok()
    }

    pub fn mac(&self, off: usize) -> Option<[u8; 6]> {
        self.array::<6>(off)
    }

    pub fn ipv4(&self, off: usize) -> Option<Ipv4Addr> {
        self.array::<4>(off).map(Ipv4Addr::from)
    }

    pub fn ipv6(&self, off: usize) -> Option<Ipv6Addr> {
        self.array::<16>(off).map(Ipv6Addr::from)
    }

    /// A window over the header-relative range `r` (cut to this window).
    pub fn sub(&self, r: Range<usize>) -> Window<'a> {
        let a = self.abs(r);
        Window { frame: self.frame, start: a.start, end: a.end }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_stop_at_the_window() {
        let frame = [1u8, 2, 3, 4, 5, 6];
        let w = Window::new(&frame, 2..5);
        assert_eq!(w.len(), 3);
        assert_eq!(w.u8(0), Some(3));
        assert_eq!(w.u16(1), Some(0x0405));
        assert_eq!(w.u16(2), None);
        assert_eq!(w.u32(0), None);
        assert_eq!(w.abs(1..9), 3..5);
        assert_eq!(w.rest(1), &[4, 5]);
        assert_eq!(w.rest(7), &[] as &[u8]);
        assert_eq!(w.u8(usize::MAX), None);
    }

    #[test]
    fn a_range_past_the_frame_is_cut() {
        let frame = [1u8, 2, 3];
        let w = Window::new(&frame, 2..100);
        assert_eq!((w.start(), w.end(), w.len()), (2, 3, 1));
        let w = Window::new(&frame, 50..100);
        assert_eq!((w.start(), w.end(), w.len()), (3, 3, 0));
        assert_eq!(w.sub(0..4).len(), 0);
    }
}
