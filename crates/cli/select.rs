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
use netlayers_render::Pairs;

/// The fields asked for, and where each was found in the current frame.
pub struct FieldSelection {
    /// Field name → its place in the output order.
    index: HashMap<Box<[u8]>, usize, FixedState>,
    /// The `"key":` prefix of each, in output order.
    keys: Vec<Vec<u8>>,
    /// The value of each in the current frame, in `values`.
    found: Vec<Option<Range<usize>>>,
    /// The current frame's values of the asked fields, one after another.
    values: Vec<u8>,
    /// Whether a key with this [`sketch`] may be one of them: most keys of a frame are passed
    /// over without hashing them.
    maybe: [bool; 256],
}

/// Eight bits from a key's length and last two bytes (where keys of one protocol differ).
fn sketch(key: &[u8]) -> u8 {
    let n = key.len();
    let last = |i: usize| if n > i { key[n - 1 - i] } else { 0 };
    (n as u8).wrapping_mul(31).wrapping_add(last(0)).wrapping_add(last(1).wrapping_mul(7))
}

impl FieldSelection {
    /// `names` in the order given, each once.
    pub fn new(names: &[String]) -> FieldSelection {
        let mut s = FieldSelection {
            index: HashMap::default(),
            keys: Vec::new(),
            found: Vec::new(),
            values: Vec::new(),
            maybe: [false; 256],
        };
        for n in names {
            s.maybe[usize::from(sketch(n.as_bytes()))] = true;
            if !s.index.contains_key(n.as_bytes()) {
                s.index.insert(n.as_bytes().into(), s.keys.len());
                s.keys.push(format!("\"{n}\":").into_bytes());
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
}

/// See [`FieldSelection::picker`].
pub struct Picker<'a> {
    selection: &'a mut FieldSelection,
    out: &'a mut Vec<u8>,
}

impl Pairs for Picker<'_> {
    fn open(&mut self, number: u64) {
        let s = &mut *self.selection;
        s.found.iter_mut().for_each(|f| *f = None);
        s.values.clear();
        self.pair(b"frame.number", |b| b.extend_from_slice(netlayers_core::text::decimal(number, &mut [0; 20])));
    }

    #[inline]
    fn pair(&mut self, key: &[u8], value: impl FnOnce(&mut Vec<u8>)) {
        let s = &mut *self.selection;
        if !s.maybe[usize::from(sketch(key))] {
            return;
        }
        if let Some(&at) = s.index.get(key) {
            // A key's first occurrence is its value (the writers give each key once anyway).
            if s.found[at].is_none() {
                let start = s.values.len();
                value(&mut s.values);
                s.found[at] = Some(start..s.values.len());
            }
        }
    }

    fn close(&mut self) {
        let s = &*self.selection;
        self.out.push(b'{');
        let mut first = true;
        for (key, value) in s.keys.iter().zip(&s.found) {
            if let Some(v) = value {
                if !first {
                    self.out.push(b',');
                }
                self.out.extend_from_slice(key);
                self.out.extend_from_slice(&s.values[v.clone()]);
                first = false;
            }
        }
        self.out.extend_from_slice(b"}\n");
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

    #[test]
    fn field_names_are_checked() {
        assert!(parse_field("ip.src").is_ok());
        assert!(parse_field("ip.srcc").is_err());
        assert!(parse_field("tcp").is_err());
    }
}
