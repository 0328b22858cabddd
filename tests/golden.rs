//! Golden outputs of what users read: the packet list, the detail tree (English and Chinese),
//! the hexdump and NDJSON, on real captures. A change to any of them shows up here as a diff to
//! review; after reviewing, regenerate with `UPDATE_GOLDEN=1 cargo test --test golden`.

mod common;
use common::*;

/// (golden file name, capture, arguments).
const CASES: &[(&str, &str, &[&str])] = &[
    ("http.table.txt", "http.pcap", &[]),
    ("dns.table.txt", "dns.pcap", &[]),
    ("udp-closed-port.table.txt", "udp-closed-port.pcap", &[]),
    ("ipv6-nd-ping.table.txt", "ipv6-nd-ping.pcap", &[]),
    ("arp.tree.en.txt", "arp.pcap", &["-V", "-c", "2"]),
    ("dns.tree.zh.txt", "dns.pcap", &["-V", "--lang", "zh", "--frames", "1-2"]),
    ("http.tree.explain.en.txt", "http.pcap", &["-V", "--explain", "--frames", "1,4"]),
    ("udp-closed-port.tree.en.txt", "udp-closed-port.pcap", &["-V", "--frames", "2"]),
    ("ping.hex.txt", "ping.pcap", &["-x", "-c", "2"]),
    ("ping-fragmented.json", "ping-fragmented.pcap", &["--format", "json"]),
    ("chat-886.table.txt", "chat-886.pcap", &[]),
];

#[test]
fn outputs_match_their_goldens() {
    let dir = root().join("tests").join("golden");
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut failures = Vec::new();
    for (name, cap, args) in CASES {
        let mut all = vec!["read", "--color", "never"];
        all.extend_from_slice(args);
        let path = capture(cap);
        all.push(&path);
        let o = run(&all);
        assert!(o.status.success(), "{name}: netlayers {all:?} failed: {}", String::from_utf8_lossy(&o.stderr));
        let got = String::from_utf8(o.stdout).expect("UTF-8 output");
        let file = dir.join(name);
        if update {
            std::fs::create_dir_all(&dir).expect("golden dir");
            std::fs::write(&file, &got).expect("write golden");
            continue;
        }
        failures.extend(golden_difference(&file, name, &got));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
