//! `netlayers sim`: runs are reproducible to the byte, the captures they write are what tshark
//! and `netlayers read` accept, and the timeline tells the story the frames show.

mod common;

use std::process::Command;

use common::{run, tmpdir};

const SCENARIOS: [&str; 4] = ["arp", "handshake", "chat", "udp-chat"];
/// The example scenario files, run by the same tests (paths from the package root, the tests' cwd).
const FILES: [&str; 2] = ["docs/scenarios/chat.toml", "docs/scenarios/lab-switch.toml"];

/// tshark, or `None` (skip) on a developer machine without it. In CI a missing tshark fails.
fn tshark() -> Option<()> {
    let found = Command::new("tshark").arg("--version").output().is_ok_and(|o| o.status.success());
    if found {
        return Some(());
    }
    if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
        panic!("tshark is required in CI (CI=true) but was not found");
    }
    eprintln!("tshark not found: skipping");
    None
}

/// Runs a scenario with `-w`, returns its standard output and the capture's bytes.
fn sim(dir: &std::path::Path, args: &[&str]) -> (String, Vec<u8>, String) {
    let path = dir.join(format!("{}.pcapng", args.join("_").replace(['-', '.', '/'], "")));
    let p = path.display().to_string();
    let mut all = vec!["--color", "never", "sim"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["-w", &p]);
    let o = run(&all);
    assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    (String::from_utf8(o.stdout).unwrap(), std::fs::read(&path).unwrap(), p)
}

/// The frame count the summary line reports.
fn reported_frames(out: &str) -> usize {
    let line = out.lines().find(|l| l.contains("frames crossed")).expect("summary line");
    line.split_whitespace().next().unwrap().parse().unwrap()
}

#[test]
fn the_same_seed_writes_the_same_bytes() {
    let d = tmpdir("sim-seed");
    for s in SCENARIOS.into_iter().chain(FILES) {
        let (out1, a, _) = sim(&d, &[s, "--seed", "5", "--loss", "0.2"]);
        let (out2, b, _) = sim(&d, &[s, "--loss", "0.2", "--seed", "5"]);
        assert_eq!(a, b, "{s}");
        assert_eq!(out1.replace("seed5_loss02", "X").lines().count(), out2.lines().count());
    }
    let (_, a, _) = sim(&d, &["chat", "--seed", "1"]);
    let (_, b, _) = sim(&d, &["chat", "--seed", "2"]);
    assert_ne!(a, b, "another seed gives other sequence numbers and ports");
}

#[test]
fn tshark_reads_every_scenario_without_malformed_packets_or_bad_checksums() {
    if tshark().is_none() {
        return;
    }
    let d = tmpdir("sim-tshark");
    for s in SCENARIOS.into_iter().chain(FILES) {
        for extra in [&[][..], &["--loss", "0.2", "--seed", "3"][..]] {
            let mut args = vec![s];
            args.extend_from_slice(extra);
            let (out, _, p) = sim(&d, &args);
            // tshark verifies no checksum unless asked; with these preferences a wrong one is an
            // expert error, which the filter catches (checked against `encap --bad-checksum`).
            let o = Command::new("tshark")
                .args(["-r", &p, "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE"])
                .args(["-o", "ip.check_checksum:TRUE", "-Y", "_ws.malformed || _ws.expert.severity >= error"])
                .output()
                .unwrap();
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            assert_eq!(String::from_utf8_lossy(&o.stdout), "", "{args:?}");
            let o = Command::new("tshark").args(["-r", &p]).output().unwrap();
            assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), reported_frames(&out), "{args:?}");
        }
    }
}

#[test]
fn netlayers_read_shows_as_many_frames_as_the_timeline_reports() {
    let d = tmpdir("sim-read");
    for s in SCENARIOS.into_iter().chain(FILES) {
        let (out, _, p) = sim(&d, &[s, "--loss", "0.1", "--seed", "9"]);
        let o = run(&["read", &p, "--format", "json"]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), reported_frames(&out), "{s}");
    }
}

#[test]
fn chat_under_loss_still_delivers_every_line_and_shows_the_retransmissions() {
    let d = tmpdir("sim-loss");
    let mut retransmitted = 0;
    for seed in 1..=6 {
        let seed = seed.to_string();
        let (out, _, p) = sim(&d, &["chat", "--loss", "0.2", "--seed", &seed]);
        for line in ["hello", "a student of sockets", "886"] {
            assert!(out.contains(&format!("server: recv(1024) = \"{line}\"")), "seed {seed}: {line}\n{out}");
        }
        assert!(out.contains("client: recv(1024) = \"welcome!\""), "seed {seed}: {out}");
        if out.contains("TCP retransmits") {
            retransmitted += 1;
            assert!(out.contains("lost on the link"), "{out}");
            // The decoder sees the retransmissions too, as tshark would.
            let o = run(&["read", &p, "-Y", "tcp.analysis.retransmission"]);
            assert_eq!(o.status.code(), Some(0), "seed {seed}: {}", String::from_utf8_lossy(&o.stderr));
        }
    }
    assert!(retransmitted >= 2, "20% loss over six runs retransmits something");
}

#[test]
fn handshake_walks_the_rfc_states_in_order() {
    let o = run(&["--color", "never", "sim", "handshake"]);
    assert!(o.status.success());
    let out = String::from_utf8(o.stdout).unwrap();
    let transitions = |who: &str| -> Vec<String> {
        out.lines()
            .filter(|l| l.contains(&format!(" {who} ")) && l.contains("TCP 10.0.0."))
            .filter_map(|l| l.split(": ").last().map(str::to_string))
            .collect()
    };
    assert_eq!(
        transitions("client"),
        ["CLOSED → SYN-SENT", "SYN-SENT → ESTABLISHED", "ESTABLISHED → FIN-WAIT-1", "FIN-WAIT-1 → FIN-WAIT-2", "FIN-WAIT-2 → TIME-WAIT", "TIME-WAIT → CLOSED"]
    );
    assert_eq!(
        transitions("server"),
        ["LISTEN → SYN-RECEIVED", "SYN-RECEIVED → ESTABLISHED", "ESTABLISHED → CLOSE-WAIT", "CLOSE-WAIT → LAST-ACK", "LAST-ACK → CLOSED"]
    );
    assert!(out.contains("[SYN] Seq=0 Len=0") && out.contains("[SYN, ACK] Seq=0 Ack=1 Len=0"), "{out}");
}

#[test]
fn chinese_explanations_and_headings() {
    let o = run(&["--color", "never", "--lang", "zh", "sim", "arp"]);
    assert!(o.status.success());
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(out.contains("场景 arp") && out.contains("交换机") && out.contains("ARP 广播询问"), "{out}");
}

#[test]
fn bad_arguments_are_one_line_errors() {
    for args in [&["sim", "nosuch"][..], &["sim", "chat", "--loss", "2"], &["sim", "chat", "--delay", "-1"]] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(!String::from_utf8_lossy(&o.stderr).is_empty());
    }
    let o = run(&["sim", "chat", "-w", "/nonexistent-dir/x.pcapng"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("/nonexistent-dir/x.pcapng"));
}

/// Golden outputs: what users read, and a capture, stored so that a change shows up as a diff to
/// review and so that "the same on every machine" is checked across machines, not only within one
/// run. After reviewing a change: `UPDATE_GOLDEN=1 cargo test --test sim`.
#[test]
fn outputs_and_captures_match_their_goldens() {
    const CASES: &[(&str, &[&str])] = &[
        ("sim-handshake.en.txt", &["handshake"]),
        ("sim-chat.en.txt", &["chat"]),
        ("sim-chat-loss.en.txt", &["chat", "--loss", "0.2", "--seed", "8"]),
        ("sim-arp.zh.txt", &["--lang", "zh", "arp"]),
    ];
    let dir = common::root().join("tests").join("golden");
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let tmp = tmpdir("sim-golden");
    let mut failures = Vec::new();
    for (name, args) in CASES {
        let pcap_name = name.replace(".txt", ".pcapng").replace(".en", "").replace(".zh", "");
        let pcap = tmp.join(&pcap_name);
        let p = pcap.display().to_string();
        let mut all = vec!["--color", "never", "sim"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["-w", &p]);
        let o = run(&all);
        assert!(o.status.success(), "{name}: {}", String::from_utf8_lossy(&o.stderr));
        // The path given to -w is the only part of the output that depends on the machine.
        let got = String::from_utf8(o.stdout).unwrap().replace(&p, "FILE.pcapng");
        let bytes = std::fs::read(&pcap).unwrap();
        if update {
            std::fs::write(dir.join(name), &got).unwrap();
            std::fs::write(dir.join(&pcap_name), &bytes).unwrap();
            continue;
        }
        match std::fs::read_to_string(dir.join(name)) {
            Ok(want) if want == got => {}
            Ok(want) => {
                let line = want.lines().zip(got.lines()).position(|(a, b)| a != b).unwrap_or(0);
                failures.push(format!(
                    "{name}: differs first at line {}:\n  golden: {}\n  now:    {}",
                    line + 1,
                    want.lines().nth(line).unwrap_or("<end>"),
                    got.lines().nth(line).unwrap_or("<end>")
                ));
            }
            Err(_) => failures.push(format!("{name}: golden missing (UPDATE_GOLDEN=1, then review)")),
        }
        if std::fs::read(dir.join(&pcap_name)).ok().as_deref() != Some(&bytes[..]) {
            failures.push(format!("{pcap_name}: the capture's bytes changed (or the golden is missing)"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The TCP machinery tshark judges hardest: a long stream under loss (timeouts, fast
/// retransmits, segments after a hole) to a reader that starts late (zero window, window
/// update, probes), built with the library and checked by tshark and by the bytes delivered.
#[test]
fn a_lossy_bulk_transfer_to_a_slow_reader_is_clean_for_tshark() {
    use netlayers_sim::engine::SEC;
    use netlayers_sim::scenario::{two_hosts, PORT, RUN_LIMIT, SERVER};
    use netlayers_sim::{App, Call, Config, Kind};
    let c = Config { seed: 21, loss: 0.1, ..Config::default() };
    let (mut n, a, b) = two_hosts(&c);
    let data: Vec<u8> = (0..150_000u32).map(|i| (i % 253) as u8).collect();
    let to = std::net::SocketAddrV4::new(SERVER, PORT);
    n.host_mut(b).unwrap().apps.push(App::new("server", vec![
        Call::Socket { slot: 0, kind: Kind::Stream },
        Call::Bind { slot: 0, port: PORT },
        Call::Listen { slot: 0 },
        Call::Accept { listener: 0, into: 1 },
        Call::Sleep(3 * SEC),
        Call::RecvAll { slot: 1 },
        Call::Close { slot: 1 },
    ]));
    n.host_mut(a).unwrap().apps.push(App::new("client", vec![
        Call::Socket { slot: 0, kind: Kind::Stream },
        Call::Connect { slot: 0, to },
        Call::Send { slot: 0, data: data.clone() },
        Call::Close { slot: 0 },
    ]));
    n.run(RUN_LIMIT);
    assert_eq!(n.host(b).unwrap().apps[0].received, data);
    let d = tmpdir("sim-bulk");
    let p = d.join("bulk.pcapng");
    std::fs::write(&p, n.write_pcapng("bulk", Vec::new()).unwrap()).unwrap();
    let p = p.display().to_string();
    let o = run(&["read", &p, "-Y", "tcp.analysis.zero_window"]);
    assert_eq!(o.status.code(), Some(0), "a zero window is advertised");
    if tshark().is_none() {
        return;
    }
    let o = Command::new("tshark")
        .args(["-r", &p, "-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE"])
        .args(["-Y", "_ws.malformed || _ws.expert.severity >= error"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&o.stdout), "");
    let o = Command::new("tshark").args(["-r", &p, "-Y", "tcp.analysis.retransmission || tcp.analysis.fast_retransmission"]).output().unwrap();
    assert!(!o.stdout.is_empty(), "tshark sees the retransmissions");
}
