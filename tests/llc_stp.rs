//! IEEE 802.2 LLC and spanning tree BPDUs against tshark 4.0, on captures/crafted/llc-stp.pcap.
//!
//! The capture is made by captures/craft.py (`llc_stp`). tshark's values are stored beside it so
//! this test needs no tshark:
//!   captures/expected/crafted/llc-stp.pcap.fields.tsv  every llc.* and stp.* field, per frame
//!       (python3 captures/layer_fields.py captures/crafted/llc-stp.pcap llc stp)
//!   captures/expected/crafted/llc-stp.pcap.info.tsv    Protocol and Info columns
//!       (python3 captures/oracle.py captures/crafted/llc-stp.pcap)

mod common;

use std::collections::BTreeMap;

use serde_json::Value;

const CAPTURE: &str = "crafted/llc-stp.pcap";

fn expected(suffix: &str) -> String {
    let p = common::root().join("captures/expected").join(format!("{CAPTURE}{suffix}"));
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn stdout(args: &[&str]) -> String {
    let out = common::run(args);
    assert_eq!(out.status.code(), Some(0), "netlayers {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// frame → key → value, for the keys of the LLC and STP layers.
type Fields = BTreeMap<u64, BTreeMap<String, Value>>;

fn ours() -> Fields {
    let cap = common::capture(CAPTURE);
    let mut all = Fields::new();
    for line in stdout(&["read", &cap, "--format", "json"]).lines() {
        let obj: serde_json::Map<String, Value> = serde_json::from_str(line).expect("NDJSON line");
        let n = obj["frame.number"].as_u64().expect("frame.number");
        let mine = obj.into_iter().filter(|(k, _)| k.starts_with("llc.") || k.starts_with("stp.")).collect();
        all.insert(n, mine);
    }
    all
}

fn theirs() -> Fields {
    let mut all = Fields::new();
    for line in expected(".fields.tsv").lines().filter(|l| !l.starts_with('#')) {
        let [n, key, value] = line.splitn(3, '\t').collect::<Vec<_>>()[..] else { panic!("bad line {line:?}") };
        let value: Value = serde_json::from_str(value).expect("JSON value");
        all.entry(n.parse().expect("frame number")).or_default().insert(key.to_string(), value);
    }
    all
}

#[test]
fn every_llc_and_stp_field_equals_tsharks() {
    let (ours, theirs) = (ours(), theirs());
    assert_eq!(ours.len(), 12, "frames decoded");
    let mut diffs = Vec::new();
    let mut compared = 0;
    for (n, mine) in &ours {
        let empty = BTreeMap::new();
        let want = theirs.get(n).unwrap_or(&empty);
        let keys: std::collections::BTreeSet<&String> = mine.keys().chain(want.keys()).collect();
        for k in keys {
            compared += 1;
            let (a, b) = (mine.get(k), want.get(k));
            if a != b {
                let show = |v: Option<&Value>| v.map_or("absent".to_string(), Value::to_string);
                diffs.push(format!("frame {n}: {k}: ours {} tshark {}", show(a), show(b)));
            }
        }
    }
    assert!(compared > 200, "only {compared} fields compared");
    assert!(diffs.is_empty(), "{} of {compared} differ from tshark:\n{}", diffs.len(), diffs.join("\n"));
}

/// The Protocol and Info columns of the packet list, as `netlayers read` prints them (including
/// the `[Packet size limited during capture]` of the BPDU the snaplen cut).
#[test]
fn protocol_and_info_columns_equal_tsharks() {
    let cap = common::capture(CAPTURE);
    let table = stdout(&["read", &cap]);
    let mut rows = table.lines().skip(1);
    let mut diffs = Vec::new();
    for line in expected(".info.tsv").lines().skip(1) {
        let [n, proto, info] = line.splitn(3, '\t').collect::<Vec<_>>()[..] else { panic!("bad line {line:?}") };
        let row = rows.next().unwrap_or_else(|| panic!("no row for frame {n}"));
        // `No. Time Source → Destination Protocol Length Info`: the Info text (which has runs of
        // spaces) is everything after the Length column.
        let (_, right) = row.split_once(" → ").unwrap_or_else(|| panic!("no arrow in {row:?}"));
        let mut rest = right.trim_start();
        let mut col = || {
            let (c, r) = rest.split_once(' ').unwrap_or((rest, ""));
            rest = r.trim_start();
            c
        };
        let (_dst, got_proto, _len) = (col(), col(), col());
        let got_info = rest;
        if (got_proto, got_info) != (proto, info) {
            diffs.push(format!("frame {n}:\n    tshark:    {proto} | {info}\n    netlayers: {got_proto} | {got_info}"));
        }
    }
    assert!(rows.next().is_none(), "more rows than tshark has frames");
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
}

/// Display filters name the new layers and fields, and an 802.3 frame's BPDU is no longer data.
#[test]
fn filters_know_llc_and_stp() {
    let cap = common::capture(CAPTURE);
    let frames = |expr: &str| -> String {
        let out = common::run(&["read", &cap, "--format", "json", "-Y", expr]);
        assert_ne!(out.status.code(), Some(2), "{expr}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).expect("json")["frame.number"].to_string())
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(frames("stp"), "1 2 3 4 9 11 12");
    assert_eq!(frames("llc && !stp"), "5 6 7 8 10");
    assert_eq!(frames("stp.flags.tc == 1"), "1 2 12");
    assert_eq!(frames("stp.flags.port_role == 3"), "2");
    assert_eq!(frames("stp.root.hw == 02:77:00:00:00:0a && stp.bridge.prio == 32768"), "1 2 4 12");
    assert_eq!(frames("llc.type == 0x0800"), "8");
    assert_eq!(frames("data"), "5 6 8 10");
}
