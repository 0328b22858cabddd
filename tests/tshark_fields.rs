//! The decoder's NDJSON against tshark 4.0, field by field, on every capture in captures/.
//!
//! captures/oracle.py stored tshark's values for each capture in captures/expected/ (so this test
//! needs no tshark). For each frame, every key of the contract (shared/JSON-FIELDS.md) must be
//! present in our output exactly when tshark has it, with the same value.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// The keys JSON-FIELDS.md defines; our output may hold more keys, but these must agree.
const CONTRACT: &[&str] = &[
    "frame.number", "frame.len", "frame.cap_len", "eth.src", "eth.dst", "eth.type", "vlan.id",
    "arp.opcode", "arp.src.hw_mac", "arp.src.proto_ipv4", "arp.dst.hw_mac", "arp.dst.proto_ipv4",
    "ip.version", "ip.hdr_len", "ip.len", "ip.id", "ip.ttl", "ip.proto", "ip.src", "ip.dst",
    "ip.checksum", "ip.flags.df", "ip.flags.mf", "ip.frag_offset", "ipv6.src", "ipv6.dst", "ipv6.nxt",
    "ipv6.hlim", "ipv6.plen", "icmp.type", "icmp.code", "icmpv6.type", "icmpv6.code", "tcp.srcport",
    "tcp.dstport", "tcp.seq_raw", "tcp.ack_raw", "tcp.flags", "tcp.window_size_value", "tcp.len",
    "udp.srcport", "udp.dstport", "udp.length", "dns.id", "dns.flags.response", "dns.qry.name",
    "dns.qry.type", "http.request.method", "http.request.uri", "http.response.code",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// (capture, expected NDJSON) for every capture that has an expected file.
fn pairs() -> Vec<(PathBuf, PathBuf)> {
    let caps = root().join("captures");
    let files = common::all_captures();
    files
        .into_iter()
        .filter_map(|f| {
            let rel = f.strip_prefix(&caps).ok()?.to_path_buf();
            let exp = caps.join("expected").join(format!("{}.ndjson", rel.display()));
            exp.exists().then_some((f, exp))
        })
        .collect()
}

fn ndjson(text: &str, what: &Path) -> Vec<BTreeMap<String, Value>> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("{}: line {} is not JSON ({e}): {l}", what.display(), i + 1))
        })
        .collect()
}

#[test]
fn every_contract_field_equals_tshark() {
    let pairs = pairs();
    assert!(pairs.len() >= 20, "expected at least 20 captures with tshark fields, found {}", pairs.len());
    let mut mismatches = Vec::new();
    let mut compared = 0usize;
    for (cap, exp) in &pairs {
        let out = Command::new(env!("CARGO_BIN_EXE_netlayers"))
            .args(["read", "--format", "json"])
            .arg(cap)
            .output()
            .expect("run netlayers");
        let ours = ndjson(&String::from_utf8_lossy(&out.stdout), cap);
        let theirs = ndjson(&std::fs::read_to_string(exp).expect("read expected"), exp);
        let name = cap.strip_prefix(root()).unwrap_or(cap).display().to_string();
        if ours.len() != theirs.len() {
            mismatches.push(format!(
                "{name}: {} frames decoded, tshark has {} (stderr: {})",
                ours.len(),
                theirs.len(),
                String::from_utf8_lossy(&out.stderr).trim()
            ));
            continue;
        }
        for (o, t) in ours.iter().zip(&theirs) {
            let n = t.get("frame.number").cloned().unwrap_or(Value::Null);
            for key in CONTRACT {
                compared += 1;
                let (a, b) = (o.get(*key), t.get(*key));
                if a != b {
                    mismatches.push(format!(
                        "{name} frame {n}: {key}: ours {} tshark {}",
                        a.map_or("absent".into(), |v| v.to_string()),
                        b.map_or("absent".into(), |v| v.to_string())
                    ));
                }
            }
        }
    }
    if !mismatches.is_empty() {
        let shown: Vec<_> = mismatches.iter().take(60).collect();
        panic!(
            "{} of {compared} field comparisons differ from tshark:\n{}",
            mismatches.len(),
            shown.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n")
        );
    }
}

/// `read -e F …` (as `tshark -T fields -e F …`): one line per frame with exactly the asked
/// fields the frame has, in the order asked, with tshark's values — the contract's keys asked
/// in reverse order, so order is the selection's and not the decoder's.
#[test]
fn selected_fields_are_tsharks_in_the_order_asked() {
    let asked: Vec<&str> = CONTRACT.iter().rev().copied().collect();
    let mut compared = 0usize;
    for (cap, exp) in pairs() {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_netlayers"));
        cmd.arg("read").arg(&cap);
        for k in &asked {
            cmd.args(["-e", k]);
        }
        let out = cmd.output().expect("run netlayers");
        let text = String::from_utf8_lossy(&out.stdout);
        let theirs = ndjson(&std::fs::read_to_string(&exp).expect("read expected"), &exp);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), theirs.len(), "{}: one line per frame", cap.display());
        for (line, t) in lines.iter().zip(&theirs) {
            // The keys in the order written (serde_json's map would sort them).
            let keys: Vec<String> = line
                .trim_matches(|c| c == '{' || c == '}')
                .split(",\"")
                .filter(|p| !p.is_empty())
                .map(|p| p.trim_start_matches('"').split("\":").next().unwrap_or("").to_string())
                .collect();
            let want: Vec<&str> = asked.iter().copied().filter(|k| t.contains_key(*k)).collect();
            assert_eq!(keys, want, "{}: {line}", cap.display());
            let ours: BTreeMap<String, Value> = serde_json::from_str(line).expect("JSON");
            for k in &want {
                assert_eq!(ours.get(*k), t.get(*k), "{} {k}: {line}", cap.display());
                compared += 1;
            }
        }
    }
    assert!(compared > 3000, "values compared: {compared}");
}
