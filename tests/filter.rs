//! Display filters and stream numbers against tshark 4.0, on every capture.
//!
//! captures/filters.sh stored, for each capture and each expression of captures/filter-exprs.txt,
//! the frames `tshark -Y` shows (captures/expected/filters.tsv), and tshark's tcp.stream and
//! udp.stream of every frame (captures/expected/streams.tsv), so this test needs no tshark.
//! Every disagreement is collected and printed before the test fails.

mod common;

use std::collections::BTreeMap;

use serde_json::Value;

fn expected(name: &str) -> String {
    let p = common::root().join("captures/expected").join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e} (run captures/filters.sh)", p.display()))
}

/// Every NDJSON object `netlayers read` prints, and its exit code.
fn read_json(cap: &str, filter: Option<&str>) -> (Vec<Value>, Option<i32>) {
    let path = common::capture(cap);
    let mut args = vec!["read", path.as_str(), "--format", "json"];
    if let Some(f) = filter {
        args.extend(["-Y", f]);
    }
    let out = common::run(&args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let objs = stdout.lines().map(|l| serde_json::from_str(l).expect("NDJSON line")).collect();
    if out.status.code() == Some(2) {
        panic!("netlayers {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    (objs, out.status.code())
}

fn number(v: &Value, key: &str) -> Option<u64> {
    v.get(key).and_then(Value::as_u64)
}

#[test]
fn filters_select_the_frames_tshark_selects() {
    let tsv = expected("filters.tsv");
    let mut failures = Vec::new();
    let mut checked = 0;
    for line in tsv.lines() {
        let mut parts = line.splitn(3, '\t');
        let (Some(cap), Some(expr), Some(want)) = (parts.next(), parts.next(), parts.next()) else {
            panic!("bad line in filters.tsv: {line:?}");
        };
        let (objs, code) = read_json(cap, Some(expr));
        let got: Vec<String> = objs.iter().filter_map(|o| number(o, "frame.number")).map(|n| n.to_string()).collect();
        let got = got.join(" ");
        // Exit code 1 says "nothing matched", exactly when tshark matched nothing.
        let code_ok = code == Some(if want.is_empty() { 1 } else { 0 });
        if got != want || !code_ok {
            failures.push(format!("{cap}  {expr}\n    tshark:    [{want}]\n    netlayers: [{got}] (exit {code:?})"));
        }
        checked += 1;
    }
    assert!(checked >= 40, "only {checked} filter results stored");
    assert!(failures.is_empty(), "{} of {checked} differ:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn stream_numbers_equal_tsharks() {
    let tsv = expected("streams.tsv");
    // capture → frame → (tcp.stream, udp.stream) as tshark prints them (first occurrence compared).
    let mut want: BTreeMap<&str, BTreeMap<u64, (&str, &str)>> = BTreeMap::new();
    for line in tsv.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        let [cap, frame, tcp, udp] = f[..] else { panic!("bad line in streams.tsv: {line:?}") };
        want.entry(cap).or_default().insert(frame.parse().expect("frame number"), (tcp, udp));
    }
    assert!(!want.is_empty());
    let mut failures = Vec::new();
    for (cap, frames) in &want {
        let (objs, _) = read_json(cap, None);
        assert_eq!(objs.len(), frames.len(), "{cap}: frame count");
        for o in &objs {
            let n = number(o, "frame.number").expect("frame.number");
            let (tcp, udp) = frames[&n];
            let first = |s: &str| s.split(',').next().filter(|x| !x.is_empty()).map(|x| x.parse::<u64>().expect("stream"));
            let got = (number(o, "tcp.stream"), number(o, "udp.stream"));
            if got != (first(tcp), first(udp)) {
                failures.push(format!("{cap} frame {n}: tshark tcp.stream={tcp:?} udp.stream={udp:?}, netlayers {got:?}"));
            }
        }
    }
    assert!(failures.is_empty(), "{} frames differ:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn bad_filter_points_at_the_column() {
    let cap = common::capture("filter/basic.pcap");
    let out = common::run(&["read", &cap, "-Y", "tcp.prot == 80"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err,
        "netlayers: bad filter: unknown field \"tcp.prot\" (did you mean tcp.port?)\n  tcp.prot == 80\n  ^^^^^^^^\n"
    );
    assert!(out.stdout.is_empty());
    let out = common::run(&["--lang", "zh", "read", &cap, "--filter", "ip.ttl == 64 &&"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("netlayers: 过滤表达式有误:"), "{err}");
    assert!(err.ends_with("  ip.ttl == 64 &&\n                 ^\n"), "{err:?}");
}

#[test]
fn frames_selection_and_count_apply_after_the_filter() {
    let cap = common::capture("filter/basic.pcap");
    let out = common::run(&["read", &cap, "-Y", "udp", "-c", "2", "--format", "json"]);
    let nums: Vec<u64> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("json")["frame.number"].as_u64().expect("n"))
        .collect();
    assert_eq!(nums, [3, 4]);
}
