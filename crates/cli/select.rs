//! `-e FIELD` on `read`: only the named fields in each NDJSON line, in the order given, as
//! `tshark -T fields -e FIELD …` prints them.
//!
//! The NDJSON writers (the fast path's and the layers') hand every pair of a frame to a
//! [`Pairs`] sink; [`Picker`] keeps the asked ones and writes them in the asked order. The
//! writers stay one, so what a key means never depends on `-e`; a field not asked for costs a
//! look at its key, and its value (a payload's hex …) is never written.

use std::collections::HashMap;
use std::ops::Range;

use foldhash::fast::FixedState;
use netlayers_core::Lang;
use netlayers_render::Pairs;

use crate::args::Format;

/// The fields asked for, and where each was found in the current frame.
#[derive(Clone)]
pub struct FieldSelection {
    /// Field name → its place in the output order.
    index: HashMap<Box<[u8]>, usize, FixedState>,
    /// The `,"key":` prefix of each, in output order.
    keys: Vec<Box<[u8]>>,
    /// Where each found field's piece (`,"key":value`) is in `pieces`.
    found: Vec<Option<Range<usize>>>,
    /// The current frame's pieces, in the order found.
    pieces: Vec<u8>,
    /// The place of the last piece found, if they came in output order so far (`None` with
    /// `in_order`: none yet).
    last: Option<usize>,
    /// Whether the pieces came in output order: `pieces` is then the line's inside as it is
    /// (the usual case: fields asked in the order the writers write them).
    in_order: bool,
    /// By [`sketch`]: 0 when no asked field has it (most keys of a frame are passed over with
    /// that one look), the place + 1 of the only one that has it, or [`SHARED`].
    slots: Box<[u16; SLOTS]>,
    /// The asked names, by place (to check a key the slots point to).
    names: Vec<Box<[u8]>>,
}

/// Slots of [`FieldSelection::slots`]: a few hundred fields asked at most, so few share one.
const SLOTS: usize = 4096;
/// A slot more than one asked field falls in: the name is looked up in the index.
const SHARED: u16 = u16::MAX;

/// Twelve bits from a key's length and last four bytes (where keys of one protocol differ:
/// `ip.src`/`ip.dst`, `tcp.flags.syn`/`tcp.flags.fin`).
#[inline]
fn sketch(key: &[u8]) -> usize {
    let n = key.len();
    let tail = match key.get(n.saturating_sub(4)..).and_then(|t| <[u8; 4]>::try_from(t).ok()) {
        Some(t) => u32::from_le_bytes(t),
        None => key.iter().fold(0, |x, &b| (x << 8) | u32::from(b)),
    };
    let x = (n as u64) << 32 | u64::from(tail);
    (x.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 52) as usize & (SLOTS - 1)
}

impl FieldSelection {
    /// `names` in the order given, each once.
    pub fn new(names: &[String]) -> FieldSelection {
        let mut s = FieldSelection {
            index: HashMap::default(),
            keys: Vec::new(),
            found: Vec::new(),
            pieces: Vec::new(),
            last: None,
            in_order: true,
            slots: Box::new([0; SLOTS]),
            names: Vec::new(),
        };
        for n in names {
            if !s.index.contains_key(n.as_bytes()) {
                let place = s.keys.len();
                let slot = &mut s.slots[sketch(n.as_bytes())];
                *slot = if *slot == 0 { place as u16 + 1 } else { SHARED };
                s.index.insert(n.as_bytes().into(), place);
                s.names.push(n.as_bytes().into());
                s.keys.push(format!(",\"{n}\":").into_bytes().into());
                s.found.push(None);
            }
        }
        s
    }

    /// Whether `key` is one of the fields asked for.
    pub fn asks(&self, key: &str) -> bool {
        self.index.contains_key(key.as_bytes())
    }

    /// A sink for one frame's pairs that appends, when the object is closed, the selected
    /// ones to `out` as one NDJSON line, in selection order. A frame without any of them still
    /// gives `{}`, so lines and frames stay one to one.
    pub fn picker<'a>(&'a mut self, out: &'a mut Vec<u8>) -> Picker<'a> {
        Picker { selection: self, out }
    }

    /// A sink that records the asked pairs it is given into `out`, for
    /// [`Picker::open_recorded`]: the head of each line is picked ahead, on the reading thread
    /// (crates/cli/ahead.rs), by a copy of the selection.
    pub fn recorder<'a>(&'a self, out: &'a mut Vec<u8>) -> Recorder<'a> {
        Recorder { selection: self, out, opened: false }
    }

    /// The place of `key` in the output order, if it was asked for.
    #[inline(always)]
    fn place(&self, key: &[u8]) -> Option<usize> {
        match self.slots[sketch(key)] {
            0 => None,
            SHARED => self.index.get(key).copied(),
            p => {
                let place = usize::from(p - 1);
                (*self.names[place] == *key).then_some(place)
            }
        }
    }

    /// Forgets the current frame's pieces.
    fn reset(&mut self) {
        self.found.iter_mut().for_each(|f| *f = None);
        self.pieces.clear();
        self.last = None;
        self.in_order = true;
    }

    /// The field at `place` has the piece at `piece` in `pieces`.
    fn found_at(&mut self, place: usize, piece: Range<usize>) {
        self.in_order &= self.last.is_none_or(|l| l < place);
        self.last = Some(place);
        self.found[place] = Some(piece);
    }

    /// Keeps `value` as the field's at `place` unless the frame gave it one already (the
    /// writers give each key once anyway).
    fn keep(&mut self, place: usize, value: impl FnOnce(&mut Vec<u8>)) {
        if self.found[place].is_none() {
            let start = self.pieces.len();
            self.pieces.extend_from_slice(&self.keys[place]);
            value(&mut self.pieces);
            self.found_at(place, start..self.pieces.len());
        }
    }
}

/// See [`FieldSelection::recorder`]. A record is an index, then text: for each asked field (in
/// output order) 8 bytes, the start and end of its piece in the text (u32, little-endian;
/// `u32::MAX` twice when absent), then the pieces (`,"key":value`) one after another. The text
/// goes into a picker in one copy.
pub struct Recorder<'a> {
    selection: &'a FieldSelection,
    out: &'a mut Vec<u8>,
    /// Whether the index is in `out` yet.
    opened: bool,
}

impl Recorder<'_> {
    fn index_len(&self) -> usize {
        8 * self.selection.keys.len()
    }
}

impl Pairs for Recorder<'_> {
    fn open(&mut self, number: u64) {
        self.pair(b"frame.number", |b| b.extend_from_slice(netlayers_core::text::decimal(number, &mut [0; 20])));
    }

    fn pair(&mut self, key: &[u8], value: impl FnOnce(&mut Vec<u8>)) {
        if !self.opened {
            let at = self.out.len();
            self.out.resize(at + self.index_len(), 0xff);
            self.opened = true;
        }
        if let Some(place) = self.selection.place(key) {
            let text_at = self.out.len() - self.index_len();
            let entry = 8 * place..8 * place + 8;
            if self.out[entry.clone()] != [0xff; 8] {
                return;
            }
            self.out.extend_from_slice(&self.selection.keys[place]);
            value(self.out);
            let text_end = self.out.len() - self.index_len();
            self.out[entry.start..entry.start + 4].copy_from_slice(&(text_at as u32).to_le_bytes());
            self.out[entry.start + 4..entry.end].copy_from_slice(&(text_end as u32).to_le_bytes());
        }
    }

    fn close(&mut self) {}
}

/// See [`FieldSelection::picker`].
pub struct Picker<'a> {
    selection: &'a mut FieldSelection,
    out: &'a mut Vec<u8>,
}

impl Picker<'_> {
    /// Opens the object with the pairs a [`Recorder`] recorded (instead of [`Pairs::open`]).
    pub fn open_recorded(&mut self, record: &[u8]) {
        let s = &mut *self.selection;
        s.reset();
        let index_len = 8 * s.keys.len();
        let Some(text) = record.get(index_len..) else { return };
        s.pieces.extend_from_slice(text);
        let word = |b: &[u8]| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize;
        // The pieces were recorded one after another: in output order if their starts rise.
        let mut end = 0;
        let mut ordered = true;
        for (place, entry) in record[..index_len].chunks_exact(8).enumerate() {
            let (from, to) = (word(&entry[..4]), word(&entry[4..]));
            if from < to && to <= text.len() {
                ordered &= from == end;
                end = to;
                s.found[place] = Some(from..to);
                s.last = Some(place);
            }
        }
        // A damaged record (pieces not end to end) is still read piece by piece, never past
        // its end; only a whole one is taken as the line's inside.
        s.in_order = ordered && end == text.len();
    }
}

impl Pairs for Picker<'_> {
    fn open(&mut self, number: u64) {
        self.selection.reset();
        self.pair(b"frame.number", |b| b.extend_from_slice(netlayers_core::text::decimal(number, &mut [0; 20])));
    }

    #[inline]
    fn pair(&mut self, key: &[u8], value: impl FnOnce(&mut Vec<u8>)) {
        if let Some(place) = self.selection.place(key) {
            self.selection.keep(place, value);
        }
    }

    fn close(&mut self) {
        let s = &*self.selection;
        let out = &mut *self.out;
        out.push(b'{');
        if s.in_order {
            // The pieces are the line's inside, but for the first one's comma.
            out.extend_from_slice(s.pieces.get(1..).unwrap_or_default());
        } else {
            let mut comma = 1;
            for piece in s.found.iter().flatten() {
                out.extend_from_slice(&s.pieces[piece.start + comma..piece.end]);
                comma = 0;
            }
        }
        out.extend_from_slice(b"}\n");
    }
}

/// The output format of `read` and `capture`: `asked`, or the table; with `-e FIELD` NDJSON,
/// which an explicit `--format table` contradicts (an error, rather than one of the two
/// silently winning).
pub fn output_format(fields: &[String], asked: Option<Format>, lang: Lang) -> anyhow::Result<Format> {
    match (fields.is_empty(), asked) {
        (true, f) => Ok(f.unwrap_or(Format::Table)),
        (false, None | Some(Format::Json)) => Ok(Format::Json),
        (false, Some(Format::Table)) => anyhow::bail!(match lang {
            Lang::En => "-e picks fields for NDJSON lines; it cannot go with --format table (leave --format out, or choose the table's frames with -Y)",
            Lang::Zh => "-e 挑选的是 NDJSON 行里的字段,不能与 --format table 一起用(去掉 --format,或用 -Y 为表格挑选帧)",
        }),
    }
}

/// For clap: a field name netlayers writes (a Wireshark display-filter field name).
pub fn parse_field(s: &str) -> Result<String, String> {
    if s.contains('.') && crate::fields::known_field(s) {
        return Ok(s.to_string());
    }
    // The display filter's words for an unknown name, with its "did you mean".
    let why = match netlayers_analyze::Filter::compile(s, &crate::fields::known_field) {
        Err(e) => e.message(netlayers_core::Lang::En).to_string(),
        Ok(_) => format!("{s} names a protocol, not a field"),
    };
    Err(format!("{why}; -e takes Wireshark field names such as ip.src, tcp.dstport, dns.qry.name"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the picker keeps of a frame whose writer hands over `pairs` (key, JSON value).
    fn pick(names: &[&str], pairs: &[(&str, &str)]) -> String {
        let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        let mut selection = FieldSelection::new(&names);
        let mut out = Vec::new();
        // Twice: nothing of the first frame stays in the second.
        for number in [7, 1] {
            out.clear();
            let mut p = selection.picker(&mut out);
            p.open(number);
            for (k, v) in pairs {
                p.pair(k.as_bytes(), |b| b.extend_from_slice(v.as_bytes()));
            }
            p.close();
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn picks_in_the_order_asked_and_skips_what_is_absent() {
        let pairs = [("ip.src", "\"10.0.0.1\""), ("tcp.flags.syn", "true"), ("http.host", "\"a,\\\"b}\\\\\""), ("tcp.len", "0")];
        assert_eq!(pick(&["tcp.len", "ip.src"], &pairs), "{\"tcp.len\":0,\"ip.src\":\"10.0.0.1\"}\n");
        assert_eq!(pick(&["http.host", "frame.number"], &pairs), "{\"http.host\":\"a,\\\"b}\\\\\",\"frame.number\":1}\n");
        assert_eq!(pick(&["udp.port", "tcp.flags.syn", "tcp.flags.syn"], &pairs), "{\"tcp.flags.syn\":true}\n");
        assert_eq!(pick(&["dns.id"], &pairs), "{}\n");
        // Whatever was picked is still JSON.
        let v: serde_json::Value = serde_json::from_str(&pick(&["http.host", "tcp.len"], &pairs)).unwrap();
        assert_eq!(v["http.host"], "a,\"b}\\");
    }

    #[test]
    fn a_value_not_asked_for_is_never_written() {
        let names = vec!["ip.src".to_string()];
        let mut selection = FieldSelection::new(&names);
        let mut out = Vec::new();
        let mut p = selection.picker(&mut out);
        p.open(1);
        p.pair(b"tcp.payload", |_| panic!("tcp.payload was not asked for"));
        p.pair(b"ip.src", |b| b.extend_from_slice(b"\"10.0.0.1\""));
        p.pair(b"ip.src", |_| panic!("a key's first value is its value"));
        p.close();
        assert_eq!(out, b"{\"ip.src\":\"10.0.0.1\"}\n");
    }

    /// A head picked ahead by a copy of the selection and handed over gives the line the
    /// picker gives when it sees every pair itself.
    #[test]
    fn a_recorded_head_is_the_same_as_the_pairs_themselves() {
        let names: Vec<String> = ["tcp.len", "eth.src", "frame.number", "ip.src", "dns.id"].iter().map(|s| s.to_string()).collect();
        let head: [(&[u8], &[u8]); 3] = [(b"eth.src", b"\"02:00:00:00:00:01\""), (b"ip.ttl", b"64"), (b"ip.src", b"\"10.0.0.1\"")];
        let rest: [(&[u8], &[u8]); 2] = [(b"tcp.len", b"0"), (b"ip.src", b"\"10.9.9.9\"")];
        let mut direct = FieldSelection::new(&names);
        let mut want = Vec::new();
        let mut p = direct.picker(&mut want);
        p.open(7);
        for (k, v) in head.iter().chain(&rest) {
            p.pair(k, |b| b.extend_from_slice(v));
        }
        p.close();
        let ahead = FieldSelection::new(&names).clone();
        let mut record = Vec::new();
        let mut r = ahead.recorder(&mut record);
        r.open(7);
        for (k, v) in head {
            r.pair(k, |b| b.extend_from_slice(v));
        }
        let mut mine = FieldSelection::new(&names);
        let mut got = Vec::new();
        let mut p = mine.picker(&mut got);
        p.open_recorded(&record);
        for (k, v) in rest {
            p.pair(k, |b| b.extend_from_slice(v));
        }
        p.close();
        assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(&want));
        assert_eq!(want, b"{\"tcp.len\":0,\"eth.src\":\"02:00:00:00:00:01\",\"frame.number\":7,\"ip.src\":\"10.0.0.1\"}\n");
        // A damaged record is read as far as it holds, never past its end.
        let mut got = Vec::new();
        let mut p = mine.picker(&mut got);
        p.open_recorded(&record[..record.len() - 3]);
        p.close();
        assert!(got.starts_with(b"{\"eth.src\""), "{}", String::from_utf8_lossy(&got));
    }

    /// Fields asked in the order the writers give them make a line that is the pieces as they
    /// came (the shortcut); any other order, or a key given twice, is assembled piece by piece.
    /// Both ways, and through a record, the line is the same.
    #[test]
    fn in_order_and_out_of_order_lines_agree() {
        let pairs: [(&[u8], &[u8]); 4] = [(b"eth.src", b"\"m\""), (b"ip.src", b"\"a\""), (b"ip.src", b"\"b\""), (b"tcp.len", b"5")];
        for names in [&["frame.number", "eth.src", "ip.src", "tcp.len"][..], &["tcp.len", "ip.src", "frame.number"], &["ip.src", "eth.src"], &["udp.port"]] {
            let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
            let want: Vec<String> = names
                .iter()
                .filter_map(|n| match n.as_str() {
                    "frame.number" => Some("\"frame.number\":9".to_string()),
                    "eth.src" => Some("\"eth.src\":\"m\"".to_string()),
                    "ip.src" => Some("\"ip.src\":\"a\"".to_string()),
                    "tcp.len" => Some("\"tcp.len\":5".to_string()),
                    _ => None,
                })
                .collect();
            let want = format!("{{{}}}\n", want.join(","));
            for split in 0..=pairs.len() {
                let mut record = Vec::new();
                let ahead = FieldSelection::new(&names);
                let mut r = ahead.recorder(&mut record);
                r.open(9);
                for (k, v) in &pairs[..split] {
                    r.pair(k, |b| b.extend_from_slice(v));
                }
                let mut mine = FieldSelection::new(&names);
                let mut got = Vec::new();
                let mut p = mine.picker(&mut got);
                p.open_recorded(&record);
                for (k, v) in &pairs[split..] {
                    p.pair(k, |b| b.extend_from_slice(v));
                }
                p.close();
                assert_eq!(String::from_utf8_lossy(&got), want, "{names:?}, {split} pairs recorded");
            }
        }
    }

    #[test]
    fn field_names_are_checked() {
        assert!(parse_field("ip.src").is_ok());
        assert!(parse_field("ip.srcc").is_err());
        assert!(parse_field("tcp").is_err());
    }
}
