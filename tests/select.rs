//! `read -e F …` keeps pairs of each frame's NDJSON line while it is written (crates/cli/
//! select.rs): a field not asked for is never written. Its promise is that nothing else
//! changes: every line is the whole line's pairs, byte for byte, only those asked and in the
//! order asked — on every capture of the repository, through the fast path and the layers.

mod common;
use common::*;

/// The `"key":value` pairs of one NDJSON line as written (values are strings, numbers or
/// literals; strings may hold escaped quotes and commas).
fn pairs(line: &str) -> Vec<(String, String)> {
    let body = line.strip_prefix('{').and_then(|l| l.strip_suffix('}')).unwrap_or_else(|| panic!("not an object: {line}"));
    let mut out = Vec::new();
    let (mut start, mut in_string, mut escaped) = (0, false, false);
    for (i, c) in body.char_indices().chain([(body.len(), ',')]) {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            ',' if !in_string => {
                if i > start {
                    let pair = &body[start..i];
                    let (k, v) = pair.split_once("\":").unwrap_or_else(|| panic!("no key in {pair}"));
                    out.push((k.trim_start_matches('"').to_string(), v.to_string()));
                }
                start = i + 1;
            }
            _ => {}
        }
    }
    out
}

#[test]
fn picked_lines_are_the_whole_lines_pairs_in_the_order_asked() {
    let mut compared = 0usize;
    for cap in all_captures() {
        let cap = cap.display().to_string();
        for no_fast in [false, true] {
            let extra: &[&str] = if no_fast { &["--no-fast-path"] } else { &[] };
            let whole = run(&[&["read", "--format", "json", &cap], extra].concat());
            let whole = String::from_utf8_lossy(&whole.stdout).into_owned();
            let lines: Vec<Vec<(String, String)>> = whole.lines().map(pairs).collect();
            // Every key the file's lines hold, asked in reverse order of first appearance, and
            // then every third of them (so most keys of a line are passed over).
            let mut keys: Vec<String> = Vec::new();
            for (k, _) in lines.iter().flatten() {
                if !keys.contains(k) {
                    keys.push(k.clone());
                }
            }
            keys.reverse();
            let third: Vec<String> = keys.iter().step_by(3).cloned().collect();
            for asked in [&keys, &third] {
                let mut args = vec!["read".to_string(), cap.clone()];
                args.extend(extra.iter().map(|s| s.to_string()));
                for k in asked.iter() {
                    args.extend(["-e".to_string(), k.clone()]);
                }
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                let picked = run(&args);
                let picked = String::from_utf8_lossy(&picked.stdout).into_owned();
                let got: Vec<Vec<(String, String)>> = picked.lines().map(pairs).collect();
                assert_eq!(got.len(), lines.len(), "{cap} {extra:?}: one line per frame");
                for (n, (got, line)) in got.iter().zip(&lines).enumerate() {
                    let want: Vec<(String, String)> =
                        asked.iter().filter_map(|k| line.iter().find(|(key, _)| key == k).cloned()).collect();
                    assert_eq!(got, &want, "{cap} {extra:?} frame {}", n + 1);
                    compared += want.len();
                }
            }
        }
    }
    assert!(compared > 20_000, "pairs compared: {compared}");
}
