//! `netlayers follow`, `flow` and `stats`, and the expert flags in `read -Y`, as users run them:
//! the binary's output against tshark's answers stored in captures/expected/ and the goldens.

mod common;
use common::*;

fn ok(args: &[&str]) -> String {
    let o = run(args);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).expect("UTF-8 output")
}

fn expected(rel: &str) -> String {
    std::fs::read_to_string(root().join("captures").join("expected").join(rel)).expect(rel)
}

#[test]
fn follow_prints_what_tshark_prints() {
    for (cap, args, file) in [
        ("http.pcap", vec!["--stream", "0"], "follow/http.pcap.tcp.0.ascii.txt"),
        ("chat-886.pcap", vec!["--stream", "0", "--format", "hex"], "follow/chat-886.pcap.tcp.0.hex.txt"),
        ("dns.pcap", vec!["--udp", "--stream", "1", "--format", "raw"], "follow/dns.pcap.udp.1.raw.txt"),
    ] {
        let path = capture(cap);
        let mut a = vec!["follow", path.as_str()];
        a.extend(args.iter().copied());
        assert_eq!(ok(&a), expected(file), "netlayers {a:?}");
    }
}

#[test]
fn follow_reads_stdin_and_rejects_a_missing_file_in_one_line() {
    let bytes = std::fs::read(capture("http.pcap")).expect("http.pcap");
    let mut child = bin()
        .args(["follow", "-", "--stream", "0"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    use std::io::Write;
    child.stdin.take().expect("stdin").write_all(&bytes).expect("write");
    let o = child.wait_with_output().expect("wait");
    assert_eq!(String::from_utf8_lossy(&o.stdout), expected("follow/http.pcap.tcp.0.ascii.txt"));

    let o = run(&["follow", "/nonexistent/f.pcap", "--stream", "0"]);
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert_eq!(e.trim_end().lines().count(), 1, "{e}");
    assert!(e.contains("/nonexistent/f.pcap"), "{e}");
}

#[test]
fn flow_draws_the_golden_diagram() {
    let want = std::fs::read_to_string(root().join("tests/golden/flow.http-0.txt")).expect("golden");
    assert_eq!(ok(&["flow", &capture("http.pcap"), "--stream", "0", "--color", "never"]), want);
    // Headings in Chinese, arrows unchanged.
    let zh = ok(&["flow", &capture("http.pcap"), "--stream", "0", "--color", "never", "--lang", "zh"]);
    assert!(zh.contains("[SYN] Seq=0 Len=0"), "{zh}");
    assert_ne!(zh.lines().next(), want.lines().next(), "the heading is translated");
}

/// A capture of thousands of endpoints would draw rows thousands of lanes wide (it took
/// gigabytes): past 16 lanes, flow says which frame brought one too many and what to do.
#[test]
fn flow_refuses_more_lanes_than_it_can_draw() {
    let frames: Vec<Vec<u8>> = (0..20u16)
        .map(|i| {
            let mut f = udp_frame(b"hi");
            f[34..36].copy_from_slice(&(40000 + i).to_be_bytes());
            f
        })
        .collect();
    let refs: Vec<&[u8]> = frames.iter().map(Vec::as_slice).collect();
    let dir = tmpdir("flow-lanes");
    let path = write(&dir, "many.pcap", &pcap(1, &refs));
    for (lang, words) in [("en", ["frame 16", "17th endpoint", "10.0.0.1:40015", "--stream"]), ("zh", ["第 16 帧", "第 17 个端点", "10.0.0.1:40015", "泳道"])] {
        let o = run(&["--lang", lang, "flow", &path]);
        assert_eq!(o.status.code(), Some(2), "{lang}");
        let e = String::from_utf8_lossy(&o.stderr);
        assert_eq!(e.trim_end().lines().count(), 1, "{e}");
        for w in words {
            assert!(e.contains(w), "{lang}: {w} in {e}");
        }
    }
    // Fifteen senders and their one receiver are drawn.
    let o = run(&["flow", &path, "--color", "never", "-Y", "udp.srcport < 40015"]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(String::from_utf8_lossy(&o.stdout).matches("10.0.0.1:400").count(), 15);
    let _ = std::fs::remove_dir_all(&dir);
}

/// tshark's TCP conversations for a capture, as stored by captures/stats.sh.
type Conv = (String, u64, String, u64, [u64; 4]);

fn tshark_tcp_conversations(cap: &str) -> Vec<Conv> {
    let mut v: Vec<_> = expected(&format!("stats/{cap}.conv.tsv"))
        .lines()
        .filter(|l| l.starts_with("tcp\t"))
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            let n = |i: usize| c[i].parse::<u64>().expect("number");
            (c[1].to_string(), n(2), c[3].to_string(), n(4), [n(5), n(6), n(7), n(8)])
        })
        .collect();
    v.sort();
    v
}

#[test]
fn stats_json_conversations_equal_tsharks() {
    for cap in ["http.pcap", "chat-886.pcap", "crafted/tcp-loss.pcap"] {
        let out = ok(&["stats", &capture(cap), "--format", "json"]);
        let j: serde_json::Value = serde_json::from_str(&out).expect("one JSON document");
        let tcp = j["conversations"]["tcp"].as_array().unwrap_or_else(|| panic!("{cap}: conversations.tcp in {out}"));
        let mut ours: Vec<Conv> = tcp
            .iter()
            .map(|c| {
                let s = |k: &str| c[k].as_str().unwrap_or_else(|| panic!("{k} in {c}")).to_string();
                let n = |k: &str| c[k].as_u64().unwrap_or_else(|| panic!("{k} in {c}"));
                (s("a"), n("port_a"), s("b"), n("port_b"), [n("frames_ab"), n("bytes_ab"), n("frames_ba"), n("bytes_ba")])
            })
            .collect();
        ours.sort();
        assert_eq!(ours, tshark_tcp_conversations(cap), "{cap}");
    }
}

#[test]
fn stats_table_has_every_section_in_both_languages() {
    let en = ok(&["stats", &capture("crafted/tcp-loss.pcap")]);
    for h in ["Capture", "Protocol hierarchy", "TCP conversations", "IPv4 endpoints", "Expert info"] {
        assert!(en.lines().any(|l| l == h), "{h} missing:\n{en}");
    }
    let zh = ok(&["stats", &capture("crafted/tcp-loss.pcap"), "--lang", "zh"]);
    assert!(zh.lines().next().is_some_and(|l| l != "Capture" && !l.is_ascii()), "{zh}");
    // A filter that matches nothing: still a report, of zero frames, and exit 1 as `read` does.
    let o = run(&["stats", &capture("http.pcap"), "-Y", "udp"]);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", String::from_utf8_lossy(&o.stderr));
}

/// A capture cut short in its last frame gets the report of the frames before the cut, as
/// tshark gives it, then the error on stderr and exit code 2.
#[test]
fn stats_of_a_cut_capture_reports_the_frames_read_then_the_cut() {
    let whole = std::fs::read(capture("http.pcap")).expect("http.pcap");
    let dir = tmpdir("stats-cut");
    let cut = write(&dir, "cut.pcap", &whole[..whole.len() - 5]);
    let frames = ok(&["read", &capture("http.pcap")]).lines().count() - 1;
    for format in ["table", "json"] {
        let o = run(&["stats", &cut, "--format", format]);
        assert_eq!(o.status.code(), Some(2), "{format}");
        let e = String::from_utf8_lossy(&o.stderr);
        assert_eq!(e.trim_end().lines().count(), 1, "{e}");
        assert!(e.contains("cut.pcap") && e.contains(&format!("frame {frames}")), "{e}");
        let out = String::from_utf8_lossy(&o.stdout);
        let counted = if format == "json" {
            let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
            v["frames"].as_u64()
        } else {
            out.lines().find_map(|l| l.strip_prefix("Frames")).and_then(|n| n.trim().parse().ok())
        };
        assert_eq!(counted, Some(frames as u64 - 1), "{format}: the frames before the cut\n{out}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn read_filters_on_expert_flags_as_tshark_does() {
    let cap = "crafted/tcp-loss.pcap";
    let flags = expected(&format!("stats/{cap}.expert.tsv"));
    let mut checked = 0;
    for line in flags.lines() {
        let (flag, frames) = line.split_once('\t').expect("flag <TAB> frames");
        let want: Vec<u64> = frames.split(',').filter(|s| !s.is_empty()).map(|s| s.parse().expect("frame")).collect();
        let o = run(&["read", &capture(cap), "-Y", flag, "--format", "json"]);
        let got: Vec<u64> = String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("NDJSON")["frame.number"].as_u64().expect("frame.number"))
            .collect();
        assert_eq!(got, want, "read -Y {flag}");
        assert_eq!(o.status.code(), Some(if want.is_empty() { 1 } else { 0 }), "{flag}");
        checked += usize::from(!want.is_empty());
    }
    assert!(checked >= 5, "only {checked} flags set in {cap}");
}

#[test]
fn stats_counts_the_bad_checksums_the_frames_show() {
    let cap = capture("crafted/bad-checksums.pcap");
    // Per protocol, the frames whose NDJSON says the checksum status is Bad (0).
    let mut bad: std::collections::BTreeMap<String, u64> = Default::default();
    for line in ok(&["read", &cap, "--format", "json"]).lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("NDJSON");
        for (k, val) in v.as_object().expect("object") {
            if let Some(proto) = k.strip_suffix(".checksum.status").filter(|_| val.as_u64() == Some(0)) {
                *bad.entry(format!("{proto}.checksum.bad")).or_default() += 1;
            }
        }
    }
    assert!(bad.len() >= 5, "the crafted capture breaks five protocols' checksums: {bad:?}");
    let j: serde_json::Value = serde_json::from_str(&ok(&["stats", &cap, "--format", "json"])).expect("JSON");
    for (k, n) in &bad {
        assert_eq!(j["expert"][k].as_u64(), Some(*n), "{k} in {}", j["expert"]);
    }
    // The table explains the usual cause on the sender.
    let t = ok(&["stats", &cap]);
    assert!(t.contains("checksum offload"), "{t}");
}
