//! IP reassembly across frames: fragments kept until their datagram is whole, as Wireshark 4.0
//! does it (epan/reassemble.c, `fragment_add_check`), in bounded memory.
//!
//! A datagram is named by its [`DatagramKey`]: source, destination and identification, and for
//! IPv4 the protocol too (IPv4 IDs are only unique per protocol; IPv6 puts its identification in
//! the Fragment header, and Wireshark keys it without the next header). Fragments arrive in any
//! order. The first fragment without More Fragments sets the datagram's length; the datagram is
//! complete once the fragments cover every byte from 0 to that length without a gap. Then it is
//! put together and forgotten, so a fragment that arrives later (a retransmission) starts a new
//! datagram that, alone, never completes: exactly what Wireshark shows.
//!
//! Overlaps and duplicates: fragments are taken in order of offset (equal offsets in order of
//! arrival) and each one only adds the bytes not given yet, so a byte keeps the value of the
//! first fragment, in that order, that covered it. A fragment whose bytes were partly given is
//! flagged `overlap`, and `conflict` when those bytes differ. RFC 5722 tells IPv6 receivers to
//! drop such datagrams, and operating systems disagree about IPv4 (which attackers have used
//! to hide data from intrusion detection); an inspector shows them and says so.
//!
//! Memory: every fragment held counts its bytes plus a fixed overhead against
//! [`Limits::max_bytes`], and at most [`Limits::max_datagrams`] datagrams wait at once. When a
//! new fragment goes over either bound, the datagram that started waiting longest ago is
//! dropped (again and again, if needed), so no capture, however hostile, makes this grow past the
//! bound. [`Reassembler::bytes_held`] reports the bytes held.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use netlayers_network::fragments::FragmentPiece;

/// Which datagram a fragment belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DatagramKey {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// The IPv4 protocol; `None` for IPv6.
    pub proto: Option<u8>,
    /// IPv4 Identification or IPv6 Fragment header Identification.
    pub ident: u32,
}

/// How much the reassembler may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of fragments held, each counted with [`FRAGMENT_OVERHEAD`].
    pub max_bytes: usize,
    /// Datagrams waiting for more fragments.
    pub max_datagrams: usize,
}

impl Default for Limits {
    /// 16 MiB and 4096 datagrams: hundreds of 64 KiB datagrams in flight, far more than any
    /// real network path has, yet a small part of a laptop's memory.
    fn default() -> Limits {
        Limits { max_bytes: 16 << 20, max_datagrams: 4096 }
    }
}

/// What each fragment held costs besides its bytes (its bookkeeping), so that a flood of tiny
/// fragments is bounded too.
pub const FRAGMENT_OVERHEAD: usize = 64;

/// A datagram put back together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datagram {
    /// Its fragments, in the order Wireshark lists them (by offset, then arrival).
    pub pieces: Vec<FragmentPiece>,
    /// The reassembled payload (what followed the IP header, or the IPv6 Fragment header).
    pub payload: Vec<u8>,
}

/// What adding a fragment did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Added {
    /// The datagram still lacks bytes (or the fragment could not be kept).
    Pending,
    /// This fragment completed its datagram.
    Complete(Datagram),
}

#[derive(Debug)]
struct Held {
    frame: u64,
    offset: usize,
    data: Vec<u8>,
    /// A second tail fragment that disagrees about the length.
    multiple_tails: bool,
}

#[derive(Debug)]
struct Waiting {
    /// When it started waiting (for dropping the oldest).
    seq: u64,
    /// Sorted by offset; equal offsets in arrival order.
    fragments: Vec<Held>,
    /// Set by the first fragment without More Fragments.
    len: Option<usize>,
    /// What its fragments count against the byte bound.
    cost: usize,
}

/// Fragments waiting for the rest of their datagram. Never panics, whatever is added.
#[derive(Debug)]
pub struct Reassembler {
    limits: Limits,
    waiting: HashMap<DatagramKey, Waiting>,
    /// Waiting datagrams by age, oldest first.
    by_age: BTreeMap<u64, DatagramKey>,
    next_seq: u64,
    held: usize,
}

impl Default for Reassembler {
    fn default() -> Reassembler {
        Reassembler::new(Limits::default())
    }
}

impl Reassembler {
    pub fn new(limits: Limits) -> Reassembler {
        Reassembler { limits, waiting: HashMap::new(), by_age: BTreeMap::new(), next_seq: 0, held: 0 }
    }

    /// Bytes held now, overhead included: never more than [`Limits::max_bytes`].
    pub fn bytes_held(&self) -> usize {
        self.held
    }

    /// Datagrams waiting for more fragments.
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    /// Whether a fragment from `frame` is held for the datagram `key` (that is, still waiting:
    /// neither completed nor dropped).
    pub fn holds(&self, key: &DatagramKey, frame: u64) -> bool {
        self.waiting.get(key).is_some_and(|w| w.fragments.iter().any(|f| f.frame == frame))
    }

    /// Forgets the fragments waiting for `key` (a receiver's reassembly timer ran out); true
    /// if there were any.
    pub fn discard(&mut self, key: &DatagramKey) -> bool {
        let Some(w) = self.waiting.remove(key) else { return false };
        self.by_age.remove(&w.seq);
        self.held -= w.cost;
        true
    }

    /// Adds the fragment that `frame` carried: `data` goes at byte `offset` of the datagram's
    /// payload; `more` is its More Fragments flag. An empty fragment adds nothing (Wireshark
    /// only reassembles fragments that carry data).
    pub fn add(&mut self, key: DatagramKey, frame: u64, offset: usize, more: bool, data: &[u8]) -> Added {
        let cost = data.len().saturating_add(FRAGMENT_OVERHEAD);
        if data.is_empty() || cost > self.limits.max_bytes {
            return Added::Pending;
        }
        let end = offset.saturating_add(data.len());
        let w = match self.waiting.entry(key) {
            std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => {
                let seq = self.next_seq;
                self.next_seq += 1;
                self.by_age.insert(seq, key);
                v.insert(Waiting { seq, fragments: Vec::new(), len: None, cost: 0 })
            }
        };
        let mut multiple_tails = false;
        if !more {
            match w.len {
                None => w.len = Some(end),
                Some(len) => multiple_tails = len != end,
            }
        }
        let at = w.fragments.partition_point(|f| f.offset <= offset);
        w.fragments.insert(at, Held { frame, offset, data: data.to_vec(), multiple_tails });
        w.cost += cost;
        self.held += cost;

        if let Some(len) = w.len {
            if covered(&w.fragments) >= len {
                if let Some(w) = self.waiting.remove(&key) {
                    self.by_age.remove(&w.seq);
                    self.held -= w.cost;
                    return Added::Complete(put_together(w.fragments, len));
                }
            }
        }
        self.shrink();
        Added::Pending
    }

    /// Drops the oldest waiting datagrams until both bounds hold.
    fn shrink(&mut self) {
        while self.held > self.limits.max_bytes || self.waiting.len() > self.limits.max_datagrams {
            let Some((_, key)) = self.by_age.pop_first() else { return };
            if let Some(w) = self.waiting.remove(&key) {
                self.held -= w.cost;
            }
        }
    }
}

/// How many bytes from offset 0 the fragments (sorted by offset) cover without a gap.
fn covered(fragments: &[Held]) -> usize {
    let mut max = 0usize;
    for f in fragments {
        let end = f.offset.saturating_add(f.data.len());
        if f.offset <= max && end > max {
            max = end;
        }
    }
    max
}

/// The payload of `len` bytes from fragments that cover it, and the list of fragments with
/// what each one added (Wireshark's `fragment_add_work`, once the datagram is complete).
fn put_together(fragments: Vec<Held>, len: usize) -> Datagram {
    let mut payload = vec![0u8; len];
    // Everything before `done` has been written.
    let mut done = 0usize;
    let mut pieces = Vec::with_capacity(fragments.len());
    for f in fragments {
        let mut piece = FragmentPiece {
            frame: f.frame,
            offset: f.offset,
            len: f.data.len(),
            overlap: false,
            conflict: false,
            multiple_tails: f.multiple_tails,
            too_long: false,
        };
        if f.offset >= len {
            // Starts past the end the tail fragment gave: nothing of it fits.
            piece.too_long = true;
        } else {
            let fits = f.data.len().min(len - f.offset);
            piece.too_long = fits < f.data.len();
            if done > f.offset {
                piece.overlap = true;
                let n = fits.min(done - f.offset);
                piece.conflict = payload.get(f.offset..f.offset + n) != f.data.get(..n);
            }
            // Only the bytes not written yet; a gap cannot happen once the datagram is covered,
            // but a start past `done` would only leave zeros, never panic.
            let from = done.max(f.offset);
            let to = f.offset + fits;
            if to > from {
                if let (Some(dst), Some(src)) = (payload.get_mut(from..to), f.data.get(from - f.offset..fits)) {
                    dst.copy_from_slice(src);
                }
                done = to;
            }
        }
        pieces.push(piece);
    }
    Datagram { pieces, payload }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::net::Ipv4Addr;

    fn key(ident: u32) -> DatagramKey {
        DatagramKey { src: Ipv4Addr::new(10, 0, 0, 1).into(), dst: Ipv4Addr::new(10, 0, 0, 2).into(), proto: Some(1), ident }
    }

    fn complete(a: Added) -> Datagram {
        match a {
            Added::Complete(d) => d,
            Added::Pending => panic!("not complete"),
        }
    }

    #[test]
    fn three_fragments_out_of_order() {
        let data: Vec<u8> = (0..100).collect();
        let mut r = Reassembler::default();
        assert_eq!(r.add(key(1), 1, 40, true, &data[40..80]), Added::Pending);
        assert_eq!(r.add(key(1), 2, 80, false, &data[80..]), Added::Pending);
        assert_eq!(r.bytes_held(), 60 + 2 * FRAGMENT_OVERHEAD);
        let d = complete(r.add(key(1), 3, 0, true, &data[..40]));
        assert_eq!(d.payload, data);
        assert_eq!(d.pieces.iter().map(|p| (p.frame, p.offset, p.len)).collect::<Vec<_>>(), [(3, 0, 40), (1, 40, 40), (2, 80, 20)]);
        assert!(d.pieces.iter().all(|p| !p.overlap && !p.conflict && !p.too_long && !p.multiple_tails));
        assert_eq!((r.bytes_held(), r.waiting()), (0, 0));
        // A retransmission afterwards starts a new datagram, which waits.
        assert_eq!(r.add(key(1), 4, 40, true, &data[40..80]), Added::Pending);
        assert!(r.holds(&key(1), 4) && !r.holds(&key(1), 1));
        // A timed-out datagram is forgotten, and what it held is given back.
        assert!(r.discard(&key(1)) && !r.discard(&key(1)));
        assert_eq!((r.bytes_held(), r.waiting()), (0, 0));
        assert_eq!(r.add(key(1), 5, 80, false, &data[80..]), Added::Pending, "a fresh start, not completed by frame 4");
    }

    #[test]
    fn keys_keep_datagrams_apart() {
        let mut r = Reassembler::default();
        assert_eq!(r.add(key(1), 1, 0, true, b"aaaaaaaa"), Added::Pending);
        let other = DatagramKey { proto: Some(17), ..key(1) };
        assert_eq!(r.add(other, 2, 0, true, b"bbbbbbbb"), Added::Pending);
        assert_eq!(complete(r.add(other, 3, 8, false, b"b")).payload, b"bbbbbbbbb");
        assert_eq!(complete(r.add(key(1), 4, 8, false, b"a")).payload, b"aaaaaaaaa");
    }

    #[test]
    fn overlaps_keep_the_first_bytes_in_offset_order() {
        let mut r = Reassembler::default();
        r.add(key(1), 1, 0, true, b"AAAAAAAAAAAAAAAA");
        // Same bytes, partly over the first: an overlap without conflict.
        r.add(key(1), 2, 8, true, b"AAAAAAAACCCCCCCC");
        // A duplicate of the first with different bytes: conflict, and ignored.
        r.add(key(1), 3, 0, true, b"XXXXXXXXXXXXXXXX");
        let d = complete(r.add(key(1), 4, 24, false, b"DD"));
        assert_eq!(d.payload, b"AAAAAAAAAAAAAAAACCCCCCCCDD");
        let flags: Vec<_> = d.pieces.iter().map(|p| (p.frame, p.overlap, p.conflict)).collect();
        assert_eq!(flags, [(1, false, false), (3, true, true), (2, true, false), (4, false, false)]);
    }

    #[test]
    fn the_first_tail_sets_the_length() {
        let mut r = Reassembler::default();
        r.add(key(1), 1, 8, false, b"tail....");
        r.add(key(1), 2, 8, false, b"longer tail");
        let d = complete(r.add(key(1), 3, 0, true, b"head...."));
        assert_eq!(d.payload, b"head....tail....");
        let p = &d.pieces[2];
        assert_eq!((p.frame, p.multiple_tails, p.too_long), (2, true, true));
        // A fragment wholly past the end adds nothing: the tail completes the datagram.
        let mut r = Reassembler::default();
        r.add(key(2), 1, 16, true, b"past the end....");
        let d = complete(r.add(key(2), 2, 0, false, b"short"));
        assert_eq!(d.payload, b"short");
        assert_eq!(d.pieces.iter().map(|p| (p.frame, p.too_long)).collect::<Vec<_>>(), [(2, false), (1, true)]);
    }

    #[test]
    fn the_oldest_datagram_goes_first() {
        let mut r = Reassembler::new(Limits { max_bytes: 10_000, max_datagrams: 2 });
        r.add(key(1), 1, 0, true, b"11111111");
        r.add(key(2), 2, 0, true, b"22222222");
        r.add(key(3), 3, 0, true, b"33333333");
        assert_eq!(r.waiting(), 2);
        assert!(!r.holds(&key(1), 1) && r.holds(&key(2), 2) && r.holds(&key(3), 3));
        // Datagram 1 lost its first fragment: its tail alone waits again.
        assert_eq!(r.add(key(1), 4, 8, false, b"1"), Added::Pending);
        assert_eq!(complete(r.add(key(3), 5, 8, false, b"3")).payload, b"333333333");

        let mut r = Reassembler::new(Limits { max_bytes: 2 * (1000 + FRAGMENT_OVERHEAD), max_datagrams: 100 });
        r.add(key(1), 1, 0, true, &[1; 1000]);
        r.add(key(2), 2, 0, true, &[2; 1000]);
        r.add(key(3), 3, 0, true, &[3; 1000]);
        assert_eq!(r.bytes_held(), 2 * (1000 + FRAGMENT_OVERHEAD));
        assert!(!r.holds(&key(1), 1));
        // Too big to ever hold: ignored.
        assert_eq!(r.add(key(4), 4, 0, false, &[4; 5000]), Added::Pending);
        assert_eq!(r.waiting(), 2);
    }

    #[test]
    fn empty_fragments_are_ignored() {
        let mut r = Reassembler::default();
        assert_eq!(r.add(key(1), 1, 0, false, b""), Added::Pending);
        assert_eq!(r.waiting(), 0);
    }

    /// A datagram cut into pieces at the given points (multiples of 8, as IP requires).
    fn cut(payload: &[u8], cuts: &[usize]) -> Vec<(usize, bool, Vec<u8>)> {
        let mut points: Vec<usize> = cuts.iter().map(|c| c * 8).filter(|&c| c > 0 && c < payload.len()).collect();
        points.sort_unstable();
        points.dedup();
        points.push(payload.len());
        let mut start = 0;
        let mut out = Vec::new();
        for p in points {
            out.push((start, p < payload.len(), payload[start..p].to_vec()));
            start = p;
        }
        out
    }

    proptest! {
        #[test]
        fn any_order_with_duplicates_gives_the_datagram_back_once(
            payload in proptest::collection::vec(any::<u8>(), 1..400),
            cuts in proptest::collection::vec(0usize..50, 0..10),
            order in proptest::collection::vec(any::<usize>(), 0..20),
            dups in proptest::collection::vec(any::<usize>(), 0..4),
        ) {
            let mut frags = cut(&payload, &cuts);
            for d in dups {
                let f = frags[d % frags.len()].clone();
                frags.push(f);
            }
            // Shuffle deterministically from `order`.
            for (i, o) in order.iter().enumerate() {
                let n = frags.len();
                frags.swap(i % n, o % n);
            }
            let mut r = Reassembler::default();
            let mut done = Vec::new();
            let mut got_all = vec![false; payload.len()];
            for (n, (off, more, data)) in frags.iter().enumerate() {
                let before = got_all.iter().all(|b| *b);
                for b in &mut got_all[*off..*off + data.len()] {
                    *b = true;
                }
                let tail_seen = frags[..=n].iter().any(|f| !f.1);
                match r.add(key(7), n as u64 + 1, *off, *more, data) {
                    Added::Complete(d) => {
                        prop_assert!(!before && tail_seen && got_all.iter().all(|b| *b));
                        done.push(d);
                    }
                    Added::Pending => prop_assert!(before || !tail_seen || !got_all.iter().all(|b| *b)),
                }
                if !done.is_empty() {
                    break;
                }
            }
            prop_assert_eq!(done.len(), 1);
            prop_assert_eq!(&done[0].payload, &payload);
            prop_assert!(done[0].pieces.iter().all(|p| !p.conflict));
            prop_assert_eq!(r.bytes_held(), 0);
        }

        #[test]
        fn arbitrary_fragments_never_panic_and_stay_bounded(
            adds in proptest::collection::vec((0u32..4, 0usize..70_000, any::<bool>(), 0usize..3000, any::<u8>()), 0..200),
            max_bytes in 0usize..20_000,
            max_datagrams in 0usize..5,
        ) {
            let mut r = Reassembler::new(Limits { max_bytes, max_datagrams });
            for (n, (id, off, more, len, fill)) in adds.into_iter().enumerate() {
                if let Added::Complete(d) = r.add(key(id), n as u64, off, more, &vec![fill; len]) {
                    prop_assert!(!d.pieces.is_empty());
                    prop_assert!(d.pieces.iter().any(|p| p.frame == n as u64));
                }
                prop_assert!(r.bytes_held() <= max_bytes);
                prop_assert!(r.waiting() <= max_datagrams);
            }
        }
    }
}
