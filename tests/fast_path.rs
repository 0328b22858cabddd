//! The fast path (crates/fastpath) writes the packet-list rows and NDJSON lines of common
//! frames, and counts them for `stats`, straight from their bytes. Its promise: the same output
//! as building every
//! frame's layers (`--no-fast-path`), on every capture of the repository and on mutated copies
//! of them
//! (header bytes changed at random, so the checks that send a frame back to the layers are
//! exercised: options, lengths, flags, ports, fragments).

mod common;
use common::*;

use std::path::{Path, PathBuf};

use netlayers_analyze::CrossFrame;
use netlayers_capture::FrameSource;
use netlayers_core::{Frame, LinkType};
use netlayers_fastpath::FastList;
use netlayers_sim::rng::Rng;
use netlayers_stack::Dissector;

fn captures() -> Vec<PathBuf> {
    let out = all_captures();
    assert!(out.len() >= 40, "the repository's captures: found {}", out.len());
    out
}

/// The commands that have a fast path: the packet list, NDJSON (whole, and some fields picked
/// with `-e`, whose values are written only for the asked keys), and the statistics (whose JSON
/// holds every count, the expert's included).
const COMMANDS: [&[&str]; 4] = [
    &["read"],
    &["read", "--format", "json"],
    &["read", "-e", "tcp.seq", "-e", "frame.number", "-e", "data.len", "-e", "dns.qry.name", "-e", "udp.stream", "-e", "tcp.analysis.initial_rtt"],
    &["stats", "--format", "json"],
];

fn both_ways(cmd: &[&str], path: &str) -> (std::process::Output, std::process::Output) {
    let with = |extra: &[&str]| run(&[cmd, extra, &[path]].concat());
    (with(&[]), with(&["--no-fast-path"]))
}

/// Runs both ways and fails with the first line that differs.
fn same_both_ways(cmd: &[&str], p: &str) {
    let (fast, slow) = both_ways(cmd, p);
    assert_eq!(fast.status.code(), slow.status.code(), "{cmd:?} {p}: exit code");
    assert_eq!(String::from_utf8_lossy(&fast.stderr), String::from_utf8_lossy(&slow.stderr), "{cmd:?} {p}: stderr");
    let (f, s) = (String::from_utf8_lossy(&fast.stdout), String::from_utf8_lossy(&slow.stdout));
    if f != s {
        let diff = f.split(['\n', ',']).zip(s.split(['\n', ','])).find(|(a, b)| a != b);
        panic!("{cmd:?} {p}: the fast path differs, first at\n fast: {:?}\n tree: {:?}", diff.map(|d| d.0), diff.map(|d| d.1));
    }
}

fn frames(path: &Path) -> Vec<Frame> {
    let mut src = FrameSource::open(path).expect("open capture");
    let mut out = Vec::new();
    loop {
        let mut f = Frame::empty();
        match src.next_into(&mut f) {
            Ok(true) => out.push(f),
            _ => return out,
        }
    }
}

#[test]
fn every_capture_reads_the_same_with_and_without_the_fast_path() {
    for cap in captures() {
        for cmd in COMMANDS {
            same_both_ways(cmd, &cap.display().to_string());
        }
    }
}

/// `read` reads and prepares frames on a second thread, batch by batch (crates/cli/ahead.rs):
/// the output must be the one thread's, byte for byte, exit code and error included — on a
/// capture of many batches made of every capture's Ethernet frames, whole and cut in its last
/// frame.
#[test]
fn reading_on_two_threads_is_reading_on_one() {
    let mut all: Vec<Vec<u8>> = Vec::new();
    for cap in captures() {
        all.extend(frames(&cap).into_iter().filter(|f| f.link == LinkType::Ethernet).map(|f| f.data));
    }
    let many: Vec<&[u8]> = all.iter().cycle().take(20 * all.len()).map(Vec::as_slice).collect();
    assert!(many.len() > 5_000, "frames: {}", many.len());
    let mut bytes = pcap(1, &many);
    let dir = tmpdir("two-threads");
    let whole = write(&dir, "whole.pcap", &bytes);
    bytes.truncate(bytes.len() - 3);
    let cut = write(&dir, "cut.pcap", &bytes);
    let more: [&[&str]; 3] =
        [&["read", "-c", "3000"], &["read", "-Y", "tcp || dns"], &["read", "-e", "udp.payload", "-e", "frame.number", "-e", "data.data"]];
    for (cmd, path) in COMMANDS.iter().chain(&more).flat_map(|c| [(c, &whole), (c, &cut)]) {
        let args = [cmd, &[path.as_str()][..]].concat();
        let two = run(&args);
        let one = bin().args(&args).env("NETLAYERS_THREADS", "1").output().expect("run netlayers");
        assert_eq!(two.status.code(), one.status.code(), "{cmd:?} {path}: exit code");
        assert_eq!(String::from_utf8_lossy(&two.stderr), String::from_utf8_lossy(&one.stderr), "{cmd:?} {path}: stderr");
        assert!(two.stdout == one.stdout, "{cmd:?} {path}: two threads wrote other output than one");
        assert!(two.stdout.len() > 1000, "{cmd:?} {path}: output");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The fast path must actually take the common frames, or the tests here prove nothing; and it
/// must leave alone what it cannot show alone.
#[test]
fn the_fast_path_takes_the_common_frames_and_declines_the_rest() {
    let kind = |f: &Frame| {
        let layers = netlayers_stack::decapsulate(f);
        layers.iter().rev().find(|l| l.protocol != "data").map_or(String::new(), |l| l.protocol.to_string())
    };
    // The packet list, then NDJSON.
    for json in [false, true] {
        let mut taken = std::collections::BTreeMap::<String, u32>::new();
        let mut declined = std::collections::BTreeMap::<String, u32>::new();
        for cap in ["http.pcap", "dns.pcap", "arp.pcap", "ping.pcap", "ipv6-nd-ping.pcap", "crafted/tcp-options.pcap",
            "ping-fragmented.pcap", "udp-closed-port.pcap", "crafted/vlan.pcap", "sll.pcap", "crafted/truncated.pcap"]
        {
            let (mut d, mut cross, mut fast) = (Dissector::new(), CrossFrame::new(), FastList::new());
            for f in frames(Path::new(&capture(cap))) {
                let mut buf = Vec::new();
                let took =
                    if json { fast.json(&mut netlayers_render::Line(&mut buf), &f, &mut d, &mut cross) } else { fast.row(&mut buf, &f, &mut d, &mut cross) };
                if took {
                    let what = if json { "NDJSON line" } else { "row" };
                    assert!(buf.ends_with(b"\n") && buf.len() > 40, "{cap} #{}: one whole {what}", f.number);
                    if json {
                        let v: serde_json::Value = serde_json::from_slice(&buf).expect("a JSON object");
                        assert_eq!(v["frame.number"], f.number, "{cap} #{}", f.number);
                    }
                    *taken.entry(kind(&f)).or_default() += 1;
                } else {
                    assert!(buf.is_empty(), "a declined frame writes nothing");
                    let _ = d.dissect(&f);
                    *declined.entry(kind(&f)).or_default() += 1;
                }
            }
        }
        for k in ["tcp", "http", "dns", "arp", "icmp", "icmpv6"] {
            assert!(taken.get(k).is_some_and(|&n| n > 0), "json {json}: {k} goes the fast way: taken {taken:?}");
        }
        // Fragments ("ip": nothing above), ICMP errors (they quote a packet); and the TCP, UDP …
        // of VLAN-tagged frames, Linux cooked captures and frames cut by the snaplen.
        for k in ["ip", "icmp", "tcp", "udp"] {
            assert!(declined.get(k).is_some_and(|&n| n > 0), "json {json}: {k} goes through the layers: declined {declined:?}");
        }
    }
}

/// Below `n` (at least 1), from the simulator's seeded generator: a failure names a
/// reproducible case.
fn below(rng: &mut Rng, n: usize) -> usize {
    rng.range(0, n.max(1) as u64) as usize
}

#[test]
fn mutated_frames_read_the_same_with_and_without_the_fast_path() {
    let dir = tmpdir("fast-path-mutants");
    let mut rng = Rng::new(0x6e65_746c_6179_6572);
    let mut files = 0;
    for cap in captures() {
        let originals: Vec<Frame> = frames(&cap).into_iter().filter(|f| f.link == LinkType::Ethernet).collect();
        if originals.is_empty() {
            continue;
        }
        // Each frame, then up to twelve copies with a header bit flipped, a header byte
        // changed, or the frame cut short, so the mutants meet the connection state the
        // originals built.
        let mut out: Vec<Vec<u8>> = Vec::new();
        for f in &originals {
            out.push(f.data.clone());
            if f.data.is_empty() {
                continue;
            }
            for _ in 0..below(&mut rng, 13) {
                let mut m = f.data.clone();
                // Mostly in the EtherType, IP and TCP/UDP headers.
                let at = match m.len() {
                    n if n > 12 && below(&mut rng, 5) > 0 => 12 + below(&mut rng, n.min(80) - 12),
                    n => below(&mut rng, n.min(96)),
                };
                match below(&mut rng, 10) {
                    0 | 1 => m.truncate(at),
                    2..=4 => m[at] = rng.next_u64() as u8,
                    _ => m[at] ^= 1 << below(&mut rng, 8),
                }
                out.push(m);
            }
        }
        let refs: Vec<&[u8]> = out.iter().map(|v| v.as_slice()).collect();
        let name = cap.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let p = write(&dir, &format!("{name}.mutants.pcap"), &pcap(1, &refs));
        for cmd in COMMANDS {
            same_both_ways(cmd, &p);
        }
        files += 1;
    }
    assert!(files >= 30, "mutated captures compared: {files}");
    let _ = std::fs::remove_dir_all(&dir);
}
