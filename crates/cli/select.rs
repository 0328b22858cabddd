//! `-e FIELD` on `read`: only the named fields in each NDJSON line, in the order given, as
//! `tshark -T fields -e FIELD …` prints them.
//!
//! The line is written whole (by the fast path or from the layers), then its pairs are picked
//! out: the writer stays one, and what a key means never depends on `-e`.

use std::collections::HashMap;

use foldhash::fast::FixedState;
use std::ops::Range;

/// The fields asked for, and where each was found in the current line.
pub struct FieldSelection {
    /// Field name → its place in the output order.
    index: HashMap<Box<[u8]>, usize, FixedState>,
    /// The `"key":` prefix of each, in output order.
    keys: Vec<Vec<u8>>,
    /// The value of each in the current line.
    found: Vec<Option<Range<usize>>>,
    /// Whether a key with this [`sketch`] may be one of them: most keys of a line are passed
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
        let mut s = FieldSelection { index: HashMap::default(), keys: Vec::new(), found: Vec::new(), maybe: [false; 256] };
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

    /// Appends to `out` the object of one NDJSON `line` (as netlayers writes it: a flat object,
    /// keys without escapes, then a newline) with only the selected keys, in selection order.
    /// A line without any of them still gives `{}`, so lines and frames stay one to one.
    pub fn apply(&mut self, line: &[u8], out: &mut Vec<u8>) {
        self.found.iter_mut().for_each(|f| *f = None);
        let mut i = 1; // after '{'
        while i < line.len() && line[i] == b'"' {
            let key_start = i + 1;
            // Keys are short and never escaped.
            let Some(key_len) = line[key_start..].iter().position(|&b| b == b'"') else { break };
            let key = &line[key_start..key_start + key_len];
            let value_start = key_start + key_len + 2; // past `":`
            let value_end = value_end(line, value_start);
            if self.maybe[usize::from(sketch(key))] {
                if let Some(&at) = self.index.get(key) {
                    self.found[at] = Some(value_start..value_end);
                }
            }
            // Past the ',' (or onto the '}', which ends the loop).
            i = value_end + 1;
        }
        out.push(b'{');
        let mut first = true;
        for (key, value) in self.keys.iter().zip(&self.found) {
            if let Some(v) = value {
                if !first {
                    out.push(b',');
                }
                out.extend_from_slice(key);
                out.extend_from_slice(&line[v.clone()]);
                first = false;
            }
        }
        out.extend_from_slice(b"}\n");
    }
}

/// Where the JSON value starting at `start` ends: after a string's closing quote (escapes
/// skipped), or at the ',' or '}' after a number or literal.
fn value_end(line: &[u8], start: usize) -> usize {
    if line.get(start) == Some(&b'"') {
        // Strings run to kilobytes of hex: jump from quote to quote; a quote preceded by an odd
        // number of backslashes is escaped.
        let mut j = start + 1;
        while let Some(n) = memchr::memchr(b'"', &line[j..]) {
            let q = j + n;
            let backslashes = line[j..q].iter().rev().take_while(|&&b| b == b'\\').count();
            if backslashes % 2 == 0 {
                return q + 1;
            }
            j = q + 1;
        }
        line.len()
    } else {
        line[start..].iter().position(|&b| b == b',' || b == b'}').map_or(line.len(), |n| start + n)
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

    fn pick(names: &[&str], line: &str) -> String {
        let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        let mut out = Vec::new();
        FieldSelection::new(&names).apply(line.as_bytes(), &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn picks_in_the_order_asked_and_skips_what_is_absent() {
        let line = "{\"frame.number\":1,\"ip.src\":\"10.0.0.1\",\"tcp.flags.syn\":true,\"http.host\":\"a,\\\"b}\\\\\",\"tcp.len\":0}\n";
        assert_eq!(pick(&["tcp.len", "ip.src"], line), "{\"tcp.len\":0,\"ip.src\":\"10.0.0.1\"}\n");
        assert_eq!(pick(&["http.host", "frame.number"], line), "{\"http.host\":\"a,\\\"b}\\\\\",\"frame.number\":1}\n");
        assert_eq!(pick(&["udp.port", "tcp.flags.syn", "tcp.flags.syn"], line), "{\"tcp.flags.syn\":true}\n");
        assert_eq!(pick(&["dns.id"], line), "{}\n");
        // Whatever was picked is still JSON.
        let v: serde_json::Value = serde_json::from_str(&pick(&["http.host", "tcp.len"], line)).unwrap();
        assert_eq!(v["http.host"], "a,\"b}\\");
    }

    #[test]
    fn field_names_are_checked() {
        assert!(parse_field("ip.src").is_ok());
        assert!(parse_field("ip.srcc").is_err());
        assert!(parse_field("tcp").is_err());
    }
}
