//! IP reassembly in `netlayers read`, against tshark 4.0 with reassembly on (its default).
//!
//! captures/reassembly.sh stored, for real fragmented pings (IPv4 and IPv6) and for crafted
//! captures (out of order, overlapping, duplicate and conflicting fragments, a DNS query in
//! fragments, a retransmission after completion, a datagram that never completes, one IP ID
//! shared by two protocols, a fragment cut by the snaplen), tshark's Protocol and Info columns
//! from two passes (`tshark -2`: what Wireshark shows for a file, and what `read FILE` shows by
//! reading ahead) and from one pass (what `read -` shows, reading a pipe), and the frames some
//! display filters select. `--no-reassembly` must give tshark's columns with reassembly off
//! (`F.off.tsv`), and `--format json` stays each frame's own fields either way.

mod common;
use common::*;

use std::process::Stdio;

const CAPTURES: &[&str] =
    &["ping-fragmented.pcap", "ping6-fragmented.pcap", "crafted/ipv4-fragments.pcap", "crafted/ipv6-fragments.pcap"];

fn expected(name: &str) -> String {
    let p = root().join("captures/expected").join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e} (run captures/reassembly.sh)", p.display()))
}

/// What tshark's second pass adds to a ping request (`(reply in 6)`, `(no response found!)`) is
/// left out: the echo tracker links a reply to its request in one pass, as `(request in 3)`,
/// which stays (it must name the frame that completed the request).
fn without_echo_link(info: &str) -> String {
    let mut s = info.trim_end().to_string();
    for marker in [" (reply in ", " (no response found!)"] {
        if let Some(at) = s.find(marker) {
            if s[at..].ends_with(')') {
                s.truncate(at);
            }
        }
    }
    s
}

/// (frame, Protocol, Info) rows of a tab-separated file (tshark's `-T fields`, or oracle.py's
/// `.info.tsv` with its header line).
fn rows(tsv: &str) -> Vec<(u64, String, String)> {
    tsv.lines()
        .filter(|l| !l.starts_with("frame.number"))
        .map(|l| {
            let mut c = l.splitn(3, '\t');
            let n = c.next().and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("bad row {l:?}"));
            let proto = c.next().unwrap_or("").to_string();
            (n, proto, without_echo_link(c.next().unwrap_or("")))
        })
        .collect()
}

/// (frame, Protocol, Info) of every row of our packet list.
fn table(stdout: &[u8]) -> Vec<(u64, String, String)> {
    let text = String::from_utf8_lossy(stdout);
    text.lines()
        .skip(1)
        .map(|line| {
            // No., Time, Source, →, Destination, Protocol, Length, then the Info text as is.
            let mut rest = line;
            let mut cols = Vec::new();
            for _ in 0..7 {
                rest = rest.trim_start();
                let end = rest.find(' ').unwrap_or(rest.len());
                cols.push(&rest[..end]);
                rest = &rest[end..];
            }
            let info = rest.strip_prefix(' ').unwrap_or(rest);
            (cols[0].parse().unwrap_or_else(|_| panic!("bad row {line:?}")), cols[5].to_string(), without_echo_link(info))
        })
        .collect()
}

fn read(args: &[&str]) -> Vec<u8> {
    let mut all = vec!["read", "--color", "never"];
    all.extend_from_slice(args);
    let o = run(&all);
    assert!(o.status.success(), "netlayers {all:?}: {}", String::from_utf8_lossy(&o.stderr));
    o.stdout
}

fn read_stdin(cap: &str) -> Vec<u8> {
    let file = std::fs::File::open(capture(cap)).expect("capture");
    let o = bin()
        .args(["read", "--color", "never", "-"])
        .stdin(Stdio::from(file))
        .output()
        .expect("run netlayers");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    o.stdout
}

fn compare(what: &str, want: Vec<(u64, String, String)>, got: Vec<(u64, String, String)>, failures: &mut Vec<String>) {
    if want.len() != got.len() {
        failures.push(format!("{what}: tshark has {} frames, netlayers {}", want.len(), got.len()));
    }
    for (w, g) in want.iter().zip(&got) {
        if w != g {
            failures.push(format!("{what} frame {}:\n    tshark:    {} | {}\n    netlayers: {} | {}", w.0, w.1, w.2, g.1, g.2));
        }
    }
}

#[test]
fn a_file_shows_what_wireshark_shows() {
    let mut failures = Vec::new();
    for cap in CAPTURES {
        let stem = cap.rsplit('/').next().unwrap_or(cap).trim_end_matches(".pcap");
        let want = rows(&expected(&format!("reassembly/{stem}.tsv")));
        compare(cap, want, table(&read(&[&capture(cap)])), &mut failures);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn stdin_shows_what_one_pass_of_tshark_shows() {
    let mut failures = Vec::new();
    for cap in CAPTURES {
        let stem = cap.rsplit('/').next().unwrap_or(cap).trim_end_matches(".pcap");
        let want = rows(&expected(&format!("reassembly/{stem}.1pass.tsv")));
        compare(&format!("{cap} (stdin)"), want, table(&read_stdin(cap)), &mut failures);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn no_reassembly_is_the_per_frame_view() {
    for cap in CAPTURES {
        let path = capture(cap);
        let per_frame = table(&read(&[&path, "--no-reassembly"]));
        let stem = cap.rsplit('/').next().unwrap_or(cap).trim_end_matches(".pcap");
        let want = rows(&expected(&format!("reassembly/{stem}.off.tsv")));
        // Every frame but a DNS query cut by a fragment boundary: tshark ends its Info with
        // "[BoundErrorUnreassembled Packet]" (it knows the bytes are missing because the packet
        // is a first fragment), where the packet list writes "[Malformed Packet]".
        let comparable = |r: &&(u64, String, String)| !r.2.contains("[BoundError");
        let want: Vec<_> = want.iter().filter(comparable).cloned().collect();
        let got: Vec<_> = per_frame.iter().filter(|r| want.iter().any(|w| w.0 == r.0)).cloned().collect();
        assert_eq!(got, want, "{cap}");
        // The NDJSON is the same with or without the flag: each frame's own fields.
        let json = read(&[&path, "--format", "json"]);
        assert_eq!(json, read(&[&path, "--format", "json", "--no-reassembly"]), "{cap}");
        let first = String::from_utf8_lossy(&json);
        assert!(!first.contains("reassembled"), "{cap}: reassembly fields in the NDJSON");
    }
}

#[test]
fn the_tree_of_the_last_fragment_lists_the_fragments_and_decodes_the_datagram() {
    let out = String::from_utf8(read(&["-V", "--frames", "3", &capture("ping-fragmented.pcap")])).expect("UTF-8");
    for want in [
        "[IPv4 Fragments: 3 fragments (4008 bytes): #1(1480), #2(1480), #3(1048)]",
        "[IPv4 Fragment: frame 1, payload 0-1479 (1480 bytes)]",
        "[IPv4 Fragment: frame 3, payload 2960-4007 (1048 bytes)]",
        "[Fragment count: 3]",
        "[Reassembled IPv4 length: 4008]",
        "[Layer 3 · Network] Internet Control Message Protocol  [reassembled bytes 0–7]",
        "Type: Echo (ping) request (8)  [reassembled byte 0]",
        // The checksum covers all 4008 bytes: it can be checked only once they are together.
        "Checksum: 0xe338 [correct]  [reassembled bytes 2–3]",
        "Data (4000 bytes)  [reassembled bytes 8–4007]",
    ] {
        assert!(out.contains(want), "missing {want:?} in\n{out}");
    }
    // An earlier fragment: only IP and data, and where the datagram was completed.
    let out = String::from_utf8(read(&["-V", "--frames", "1", &capture("ping-fragmented.pcap")])).expect("UTF-8");
    assert!(out.contains("    [Reassembled IPv4 in frame: 3]\n[Layer 5 · Application] Data (1480 bytes)  [bytes 34–1513]"), "{out}");
    assert!(!out.contains("Internet Control Message Protocol"), "{out}");

    let out = String::from_utf8(read(&["-V", "--lang", "zh", "--frames", "6", &capture("crafted/ipv6-fragments.pcap")])).expect("UTF-8");
    for want in [
        "[IPv6 分片列表: 3 fragments (80 bytes): #4(40), #5(40), #6(40)]",
        "        [IPv6 分片: frame 5, payload 0-39 (40 bytes)]\n            [分片重叠: 是]\n",
        "Internet Control Message Protocol v6  [重组数据字节 0–7]",
        "校验和: 0x336a [correct]",
    ] {
        assert!(out.contains(want), "missing {want:?} in\n{out}");
    }
    let out = String::from_utf8(read(&["-V", "--frames", "10", &capture("crafted/ipv4-fragments.pcap")])).expect("UTF-8");
    assert!(out.contains("[IPv4 Fragment: frame 9, payload 16-31 (16 bytes)]\n            [Fragment overlap: True]\n            [Conflicting data in fragment overlap: True]"), "{out}");
}

#[test]
fn the_hexdump_shows_the_reassembled_bytes_apart() {
    let out = String::from_utf8(read(&["-x", "--frames", "7", &capture("crafted/ipv4-fragments.pcap")])).expect("UTF-8");
    let (frame, reassembled) = out.split_once("Reassembled IPv4: 69 bytes\n").unwrap_or_else(|| panic!("{out}"));
    assert!(frame.starts_with("Frame 7: 47 bytes captured\n"), "{out}");
    assert!(!frame.contains("UDP") && !frame.contains("DNS"), "{out}");
    assert!(reassembled.starts_with("  a=UDP [bytes 0–7]  b=DNS [bytes 8–68]\n0000  9c 75 00 35 00 45"), "{out}");
}

#[test]
fn display_filters_see_what_is_shown() {
    let tsv = expected("reassembly/filters.tsv");
    let mut failures = Vec::new();
    for line in tsv.lines() {
        let mut c = line.splitn(3, '\t');
        let (Some(cap), Some(expr), Some(want)) = (c.next(), c.next(), c.next()) else { panic!("bad line {line:?}") };
        let o = run(&["read", "--color", "never", &capture(cap), "-Y", expr]);
        assert_ne!(o.status.code(), Some(2), "{expr}: {}", String::from_utf8_lossy(&o.stderr));
        let got: Vec<String> = table(&o.stdout).iter().map(|r| r.0.to_string()).collect();
        if got.join(" ") != want {
            failures.push(format!("{cap}  {expr}\n    tshark -2: [{want}]\n    netlayers: [{}]", got.join(" ")));
        }
    }
    // With --no-reassembly (as with --format json) the filter sees each frame's own fields, as
    // tshark does with -o ip.defragment:FALSE: the first fragment carries the ICMP header.
    let o = run(&["read", "--color", "never", "--no-reassembly", &capture("ping-fragmented.pcap"), "-Y", "icmp"]);
    assert_eq!(table(&o.stdout).iter().map(|r| r.0).collect::<Vec<_>>(), [1, 4]);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
