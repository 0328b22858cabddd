//! `netlayers sim`: runs are reproducible to the byte, the captures they write are what tshark
//! and `netlayers read` accept, and the timeline tells the story the frames show.

mod common;

use std::process::Command;

use common::{golden_difference, run, tmpdir};

const SCENARIOS: [&str; 11] =
    ["arp", "handshake", "chat", "udp-chat", "tcp-vs-udp", "port-unreachable", "teardown", "fragment", "route", "ipv6", "route6"];

/// The example scenario files, run by the same tests (paths from the package root, the tests' cwd).
const FILES: [&str; 3] = ["docs/scenarios/chat.toml", "docs/scenarios/lab-switch.toml", "docs/scenarios/lab-router.toml"];

/// Every fault at once, for the runs that must stay deterministic and readable by tshark.
const ALL_FAULTS: [&str; 8] = ["--loss", "0.1", "--dup", "0.2", "--reorder", "0.2", "--corrupt", "0.1"];

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
        let mut args = vec![s, "--seed", "5"];
        args.extend_from_slice(&ALL_FAULTS);
        let (out1, a, p1) = sim(&d, &args);
        let (out2, b, p2) = sim(&tmpdir("sim-seed-again"), &args);
        assert_eq!(a, b, "{s} with every fault");
        assert_eq!(out1.replace(&p1, "F"), out2.replace(&p2, "F"), "{s} with every fault");
    }
    let (_, a, _) = sim(&d, &["chat", "--seed", "1"]);
    let (_, b, _) = sim(&d, &["chat", "--seed", "2"]);
    assert_ne!(a, b, "another seed gives other sequence numbers and ports");
}

/// The times (as the timeline prints them) of the frames a link damaged.
fn corrupted_times(out: &str) -> Vec<String> {
    out.lines().filter(|l| l.contains("damaged on the link: bit ")).filter_map(|l| l.split_whitespace().next()).map(str::to_string).collect()
}

/// A frame's capture time as the timeline prints simulated time, from tshark's epoch seconds.
fn sim_time(epoch: &str) -> String {
    let (secs, frac) = epoch.split_once('.').unwrap_or((epoch, "0"));
    let ns = (secs.parse::<i64>().unwrap() - netlayers_sim::net::EPOCH_SECS) * 1_000_000_000 + format!("{frac:0<9}")[..9].parse::<i64>().unwrap();
    format!("{:.6}", ns as f64 / 1e9)
}

#[test]
fn tshark_reads_every_scenario_without_malformed_packets_or_bad_checksums() {
    if tshark().is_none() {
        return;
    }
    let d = tmpdir("sim-tshark");
    let mut damaged_seen = 0;
    for s in SCENARIOS.into_iter().chain(FILES) {
        let faults: [&[&str]; 3] = [&[], &["--loss", "0.2", "--seed", "3"], &ALL_FAULTS];
        for extra in faults {
            let mut args = vec![s];
            args.extend_from_slice(extra);
            let (out, _, p) = sim(&d, &args);
            // tshark verifies no checksum unless asked; with these preferences a wrong one is an
            // expert error, which the filter catches (checked against `encap --bad-checksum`).
            let o = Command::new("tshark")
                .args(["-r", &p, "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE"])
                .args(["-o", "ip.check_checksum:TRUE", "-Y", "_ws.malformed || _ws.expert.severity >= error"])
                .args(["-T", "fields", "-e", "frame.time_epoch"])
                .output()
                .unwrap();
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            // Only frames the timeline says a link damaged may be flagged: they carry the
            // flipped bit as it crossed (the receiver's FCS check dropped them).
            let allowed = corrupted_times(&out);
            for t in String::from_utf8_lossy(&o.stdout).lines() {
                assert!(allowed.contains(&sim_time(t)), "{args:?}: frame at {} flagged, damaged: {allowed:?}", sim_time(t));
                damaged_seen += 1;
            }
            if extra.is_empty() || extra.len() == 4 {
                assert!(allowed.is_empty(), "{args:?}");
            }
            let o = Command::new("tshark").args(["-r", &p]).output().unwrap();
            assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), reported_frames(&out), "{args:?}");
        }
    }
    assert!(damaged_seen > 0, "some damaged frame shows a bad checksum: the capture holds the bytes as they crossed");
}

#[test]
fn damaged_frames_are_dropped_by_the_receivers_fcs_check() {
    let (out, _, _) = sim(&tmpdir("sim-corrupt"), &["chat", "--corrupt", "0.3", "--seed", "2"]);
    let damaged = corrupted_times(&out).len();
    assert!(damaged > 0, "{out}");
    assert_eq!(out.matches("frame dropped by the network card: its FCS is").count(), damaged, "{out}");
    assert_eq!(out.matches("✗ bit ").count(), damaged, "the diagram marks each: {out}");
    // TCP resends what was dropped: the chat is whole.
    for line in ["hello", "a student of sockets", "886"] {
        assert!(out.contains(&format!("server: recv(1024) = \"{line}\"")), "{line}\n{out}");
    }
}

#[test]
fn tcp_vs_udp_says_what_each_program_got() {
    let o = run(&["--color", "never", "sim", "tcp-vs-udp"]);
    assert!(o.status.success());
    let out = String::from_utf8(o.stdout).unwrap();
    let tcp = out.lines().find(|l| l.starts_with("TCP: ")).expect("TCP summary");
    let udp = out.lines().find(|l| l.starts_with("UDP: ")).expect("UDP summary");
    assert!(tcp.contains("every byte, in order") && tcp.contains("no message boundaries"), "{out}");
    // Lines missing and out of order (the default faults show both with seed 1).
    assert!(!udp.contains("missing: none") && !udp.contains("out of order: none"), "{out}");
    assert!(out.contains("lost on the link") && out.contains("✗ lost") && out.contains("↷ delayed"), "{out}");
    let o = run(&["--color", "never", "--lang", "zh", "sim", "tcp-vs-udp"]);
    let zh = String::from_utf8(o.stdout).unwrap();
    assert!(zh.contains("每个字节都到了") && zh.contains("字节流不保留消息边界") && zh.contains("丢失的行"), "{zh}");
    assert!(zh.contains("✗ 丢失") && zh.contains("TCP 状态随时间的变化"), "{zh}");
    // Flags override the scenario's faults.
    let o = run(&["--color", "never", "sim", "tcp-vs-udp", "--loss", "0", "--reorder", "0"]);
    let clean = String::from_utf8(o.stdout).unwrap();
    assert!(clean.contains("lines missing: none; duplicated: none; out of order: none"), "{clean}");
    assert!(!clean.contains("lost on the link"), "{clean}");
}

#[test]
fn port_unreachable_shows_the_icmp_quote_and_the_refused_programs() {
    let (out, _, p) = sim(&tmpdir("sim-unreach"), &["port-unreachable"]);
    assert!(out.contains("udp-client (client) stopped with an error: recv() failed: ECONNREFUSED"), "{out}");
    assert!(out.contains("tcp-client (client) stopped with an error: connect() failed: ECONNREFUSED"), "{out}");
    assert!(out.contains("[RST, ACK]"), "{out}");
    if tshark().is_none() {
        return;
    }
    let fields = |filter: &str, f: &[&str]| {
        let mut args = vec!["-r", &p, "-Y", filter, "-T", "fields"];
        for x in f {
            args.extend_from_slice(&["-e", x]);
        }
        String::from_utf8(Command::new("tshark").args(&args).output().unwrap().stdout).unwrap()
    };
    // The client's datagram, and the ICMP message quoting it: type 3 code 3, the same ports and payload.
    let sent = fields("udp && !icmp", &["ip.src", "ip.dst", "udp.srcport", "udp.dstport", "data.data"]);
    let sent: Vec<&str> = sent.trim().split('\t').collect();
    assert_eq!((sent[1], sent[3], sent[4]), ("10.0.0.2", "8081", "68656c6c6f"));
    let icmp = fields("icmp", &["icmp.type", "icmp.code", "ip.src", "ip.dst", "udp.srcport", "udp.dstport", "data.data"]);
    let icmp: Vec<&str> = icmp.trim().split('\t').collect();
    assert_eq!(icmp[..2], ["3", "3"]);
    assert_eq!(icmp[2], format!("10.0.0.2,{}", sent[0]), "the outer source, then the quoted one");
    assert_eq!(icmp[4..], sent[2..], "the quote holds the datagram's ports and payload");
}

#[test]
fn port_unreachable_in_chinese_says_why_the_programs_stopped() {
    let o = run(&["--color", "never", "sim", "port-unreachable", "--lang", "zh"]);
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(out.contains("udp-client:recv() 失败:ECONNREFUSED(连接被拒绝)"), "{out}");
    assert!(out.contains("udp-client (client) 出错停止:recv() 失败:ECONNREFUSED(连接被拒绝)"), "{out}");
    assert!(out.contains("tcp-client (client) 出错停止:connect() 失败:ECONNREFUSED(连接被拒绝)"), "{out}");
    assert!(!out.contains("failed"), "{out}");
}

/// A payload is escaped once, where the simulator quotes it: a newline the program sent reads `\n`, in
/// every scenario (chat included) and in both languages.
#[test]
fn timelines_escape_payloads_once() {
    for s in SCENARIOS {
        for lang in ["en", "zh"] {
            let o = run(&["--color", "never", "sim", s, "--lang", lang]);
            let out = String::from_utf8(o.stdout).unwrap();
            assert!(!out.contains("\\\\n"), "{s} --lang {lang}: {out}");
            if s == "tcp-vs-udp" {
                assert!(out.contains("sendto(\"line 1\\n\", ('10.0.0.2', 8081))"), "{out}");
            }
        }
    }
}

#[test]
fn teardown_prints_each_connections_states() {
    let o = run(&["--color", "never", "sim", "teardown"]);
    let out = String::from_utf8(o.stdout).unwrap();
    let view = &out[out.find("TCP states over time").expect("states view")..];
    let chains: Vec<String> = view
        .split('\n')
        .collect::<Vec<_>>()
        .join("\n")
        .split(" → 10.0.0.2:8081\n")
        .skip(1)
        .map(|c| c.lines().take_while(|l| l.starts_with("  ")).collect::<Vec<_>>().join(" "))
        .collect();
    assert!(chains[1].contains("FIN-WAIT-1 →(2.001007) CLOSING") && chains[1].contains("→(2.002013) TIME-WAIT"), "{view}");
    assert!(out.contains("client stopped with an error: recv() failed: ECONNRESET"), "{out}");
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
    for args in [
        &["sim", "nosuch"][..],
        &["sim", "chat", "--loss", "2"],
        &["sim", "chat", "--delay", "-1"],
        &["sim", "chat", "--dup", "1.5"],
        &["sim", "chat", "--reorder", "x"],
        &["sim", "chat", "--corrupt", "-0.1"],
        &["sim", "fragment", "--mtu", "67"],
        &["sim", "fragment", "--mtu", "9001"],
        &["sim", "fragment", "--mtu", "big"],
    ] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(!String::from_utf8_lossy(&o.stderr).is_empty());
    }
    let o = run(&["sim", "fragment", "--mtu", "9001"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("`9001` is not an MTU between 68"), "{}", String::from_utf8_lossy(&o.stderr));
    let o = run(&["sim", "chat", "-w", "/nonexistent-dir/x.pcapng"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("/nonexistent-dir/x.pcapng"));
}

/// tshark reads the MSS option on every SYN and SYN+ACK: the MTU minus 40 over IPv4, minus 60
/// over IPv6 (Ethernet's 1500 on both sides).
#[test]
fn tshark_reads_the_mss_each_syn_announces() {
    if tshark().is_none() {
        return;
    }
    let d = tmpdir("sim-mss");
    for (scenario, mss) in [("handshake", "1460"), ("ipv6", "1440")] {
        let (_, _, p) = sim(&d, &[scenario]);
        let o = Command::new("tshark")
            .args(["-r", &p, "-Y", "tcp.flags.syn == 1", "-T", "fields", "-e", "tcp.flags", "-e", "tcp.options.mss_val"])
            .output()
            .unwrap();
        let rows = String::from_utf8_lossy(&o.stdout).lines().map(str::to_owned).collect::<Vec<_>>();
        assert!(rows.iter().any(|r| r.starts_with("0x0002\t")) && rows.iter().any(|r| r.starts_with("0x0012\t")), "{scenario}: {rows:?}");
        assert!(rows.iter().all(|r| r.ends_with(&format!("\t{mss}"))), "{scenario}: {rows:?}");
    }
}

/// tshark sees the router's fragments (same ID, offsets, MF) and puts the datagram back together
/// into the UDP datagram the program sent; with --mtu it makes as many fragments as it should.
#[test]
fn tshark_reassembles_the_routers_fragments() {
    if tshark().is_none() {
        return;
    }
    let d = tmpdir("sim-fragment");
    for (mtu, fragments) in [("576", 2), ("300", 4), ("68", 21)] {
        let (out, _, p) = sim(&d, &["fragment", "--mtu", mtu]);
        assert!(out.contains("server: recvfrom(1024) = (\"abcdefghijklmnopqrstuvwxyzabcdefghijklmn…\""), "{out}");
        let o = Command::new("tshark")
            .args(["-r", &p, "-Y", "ip.flags.mf==1 || ip.frag_offset>0", "-T", "fields", "-e", "ip.id", "-e", "ip.flags.mf", "-e", "ip.frag_offset", "-e", "ip.ttl"])
            .output()
            .unwrap();
        let rows: Vec<String> = String::from_utf8_lossy(&o.stdout).lines().map(str::to_string).collect();
        assert_eq!(rows.len(), fragments, "mtu {mtu}: {rows:?}");
        let per = (mtu.parse::<usize>().unwrap() - 20) / 8 * 8;
        for (i, r) in rows.iter().enumerate() {
            let more = if i + 1 < fragments { "1" } else { "0" };
            // tshark 4.0 prints the offset field as it is on the wire, in 8-byte units.
            assert_eq!(r, &format!("0x0001\t{more}\t{}\t63", i * per / 8), "mtu {mtu}");
        }
        // The reassembled datagram decodes: UDP, its 1000 bytes, in the last fragment's frame.
        let o = Command::new("tshark")
            .args(["-r", &p, "-Y", "ip.reassembled_in || ip.fragment.count", "-T", "fields", "-e", "ip.fragment.count", "-e", "udp.length", "-e", "data.len"])
            .args(["-o", "udp.check_checksum:TRUE"])
            .output()
            .unwrap();
        let last = String::from_utf8_lossy(&o.stdout).lines().find(|l| !l.starts_with('\t')).map(str::to_string);
        assert_eq!(last.as_deref(), Some(format!("{fragments}\t1008\t1000").as_str()), "mtu {mtu}");
        // And the DF datagram was answered with frag needed carrying the MTU.
        let o = Command::new("tshark").args(["-r", &p, "-Y", "icmp.type==3 && icmp.code==4", "-T", "fields", "-e", "icmp.mtu"]).output().unwrap();
        assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), mtu);
    }
}

/// tshark's fields of the frames a display filter selects, one line per frame.
fn tshark_fields(p: &str, filter: &str, fields: &[&str]) -> Vec<String> {
    let mut args = vec!["-r", p, "-Y", filter, "-T", "fields"];
    for f in fields {
        args.extend_from_slice(&["-e", f]);
    }
    let o = Command::new("tshark").args(&args).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap().lines().map(str::to_string).collect()
}

#[test]
fn ipv6_resolves_by_neighbor_discovery_once_and_chats_exactly() {
    let (out, _, p) = sim(&tmpdir("sim-ipv6"), &["ipv6"]);
    // One solicitation, before the first echo; the second ping finds the neighbor cache.
    let ns: Vec<&str> = out.lines().filter(|l| l.contains("NDP neighbor solicitation")).collect();
    assert_eq!(ns.len(), 1, "{out}");
    assert!(ns[0].contains("who has fd00:1::2? tell fd00:1::1 (multicast to ff02::1:ff00:2, MAC 33:33:ff:00:00:02)"), "{out}");
    for line in [
        "pc2    Network     NDP neighbor advertisement: fd00:1::2 is at 02:00:0a:00:00:02 (solicited, unicast to fd00:1::1)",
        "pc1    Network     neighbor cache: fd00:1::2 is at 02:00:0a:00:00:02",
        "pc1    Network     ICMPv6 echo reply from fd00:1::2 (seq 1)",
        "pc1    Network     ICMPv6 echo reply from fd00:1::2 (seq 2)",
        "server: recv(1024) = \"hello\"",
        "server: recv(1024) = \"a student of sockets\"",
        "server: recv(1024) = \"886\"",
        "client: recv(1024) = \"hi, who is it?\"",
        "client: recv(1024) = \"welcome!\"",
        // (IP, protocol, port): UDP 8081 over IPv4 has a socket, over IPv6 it has none.
        "udp4: recvfrom(1024) = (\"over IPv4\", ('10.0.0.1', ",
        "ICMPv6 destination unreachable (code 4) from fd00:1::2: port unreachable; it quotes UDP [fd00:1::1]:",
    ] {
        assert!(out.contains(line), "{line}\n{out}");
    }
    assert!(!out.contains("recvfrom(1024) = (\"over IPv6\""), "the IPv6 datagram reaches no socket: {out}");
    // Under loss TCP over IPv6 still delivers every line, in order and once.
    for seed in ["2", "4"] {
        let (lossy, _, _) = sim(&tmpdir("sim-ipv6-loss"), &["ipv6", "--loss", "0.2", "--seed", seed]);
        let got: Vec<&str> = lossy.lines().filter_map(|l| l.split("server: recv(1024) = ").nth(1)).collect();
        assert_eq!(got, ["\"hello\"", "\"a student of sockets\"", "\"886\""], "seed {seed}\n{lossy}");
    }
    if tshark().is_none() {
        return;
    }
    // Neighbor Discovery only in the first second (each frame is captured on both links).
    let ns = tshark_fields(&p, "icmpv6.type == 135", &["frame.time_relative", "ipv6.dst", "eth.dst", "ipv6.hlim", "icmpv6.opt.linkaddr"]);
    assert_eq!(ns.len(), 2, "{ns:?}");
    for f in &ns {
        let f: Vec<&str> = f.split('\t').collect();
        assert!(f[0].parse::<f64>().unwrap() < 1.0, "{f:?}");
        assert_eq!(f[1..], ["ff02::1:ff00:2", "33:33:ff:00:00:02", "255", "02:00:0a:00:00:01"]);
    }
    let na = tshark_fields(&p, "icmpv6.type == 136", &["icmpv6.nd.na.flag.s", "icmpv6.nd.na.target_address", "icmpv6.opt.linkaddr", "ipv6.hlim"]);
    assert_eq!(na.len(), 2, "{na:?}");
    assert!(na.iter().all(|f| f.split('\t').skip(1).eq(["fd00:1::2", "02:00:0a:00:00:02", "255"])), "{na:?}");
    assert!(na.iter().all(|f| matches!(f.split('\t').next(), Some("1" | "True"))), "solicited flag: {na:?}");
    // Every ICMPv6 checksum is right (tshark always checks them), echo leaves with hop limit 64,
    // and UDP over IPv6 carries a checksum, which tshark finds right.
    let icmp = tshark_fields(&p, "icmpv6", &["icmpv6.checksum.status"]);
    assert_eq!(icmp.len(), 14, "NS, NA, echo and unreachable, each on both links: {icmp:?}");
    assert!(icmp.iter().all(|s| s == "1"), "{icmp:?}");
    let echo = tshark_fields(&p, "icmpv6.type == 128 || icmpv6.type == 129", &["ipv6.hlim"]);
    assert!(echo.len() == 8 && echo.iter().all(|h| h == "64"), "{echo:?}");
    let udp6 = tshark_fields(&p, "ipv6 && udp && !icmpv6", &["udp.checksum", "udp.checksum.status"]);
    let udp6b = Command::new("tshark").args(["-r", &p, "-o", "udp.check_checksum:TRUE", "-Y", "ipv6 && udp && !icmpv6", "-T", "fields", "-e", "udp.checksum.status"]).output().unwrap();
    assert_eq!(udp6.len(), 2, "{udp6:?}");
    assert!(udp6.iter().all(|f| !f.starts_with("0x0000")), "{udp6:?}");
    assert!(String::from_utf8_lossy(&udp6b.stdout).lines().all(|s| s == "1"), "{udp6b:?}");
}

/// `netlayers read` names Neighbor Discovery and echo frames as tshark's Info column does.
#[test]
fn netlayers_read_names_ndp_and_echo_frames_as_tshark_does() {
    let (_, _, p) = sim(&tmpdir("sim-ipv6-read"), &["ipv6"]);
    if tshark().is_none() {
        return;
    }
    let theirs = tshark_fields(&p, "icmpv6.type >= 128 && icmpv6.type <= 136", &["frame.number", "_ws.col.info"]);
    assert_eq!(theirs.len(), 12, "2 solicitations, 2 advertisements, 8 echo messages: {theirs:?}");
    let o = run(&["--color", "never", "read", &p]);
    assert!(o.status.success());
    let ours = String::from_utf8(o.stdout).unwrap();
    for t in &theirs {
        let (no, info) = t.split_once('\t').unwrap();
        // Which request a duplicated reply answers is left out: both captures of a frame are in
        // the file, and the two tools pair the copies differently.
        let info = info.split(" (request in").next().unwrap();
        let line = ours.lines().find(|l| l.split_whitespace().next() == Some(no)).unwrap_or_else(|| panic!("frame {no}\n{ours}"));
        assert!(line.contains(info), "frame {no}: tshark says {info:?}, we say {line:?}");
    }
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
        ("sim-ipv6.en.txt", &["ipv6"]),
        ("sim-route6.en.txt", &["route6"]),
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
        failures.extend(golden_difference(&dir.join(name), name, &got));
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
    use netlayers_sim::{App, Call, Config, Faults, Kind};
    let c = Config { seed: 21, faults: Faults { loss: 0.1, ..Faults::NONE }, ..Config::default() };
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
