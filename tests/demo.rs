//! `netlayers demo`, `--step` and the per-hop layer view of `netlayers sim`: the demo tells its
//! phases in order in both languages and writes a capture tshark accepts, the same seed gives the
//! same bytes, stepping stops where the input says, and a frame's layers at both ends of its link
//! are the very lines `netlayers read -V` shows for that frame of the written capture.

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use common::{bin, run, tmpdir};

/// Runs the binary in `dir` with `input` on stdin.
fn run_in(dir: &std::path::Path, args: &[&str], input: &str) -> Output {
    let mut child = bin()
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run netlayers");
    // The program may quit before reading everything: a closed pipe here is fine.
    let _ = child.stdin.take().expect("stdin").write_all(input.as_bytes());
    child.wait_with_output().expect("wait")
}

fn text(o: &Output) -> String {
    assert!(o.status.success(), "exit {:?}: {}", o.status.code(), String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout.clone()).unwrap()
}

/// The positions of `needles` in `hay`, asserting that each is there and that they come in order.
fn in_order(hay: &str, needles: &[&str]) {
    let mut from = 0;
    for n in needles {
        match hay[from..].find(n) {
            Some(i) => from += i + n.len(),
            None => panic!("`{n}` missing or out of order after byte {from}:\n{hay}"),
        }
    }
}

const PHASES_EN: [&str; 8] = [
    "▶ 1. The server gets ready",
    "▶ 2. The client calls connect()",
    "▶ 3. ARP: who has 10.0.0.2?",
    "▶ 4. The three-way handshake",
    "▶ 5. A line goes down the layers",
    "▶ 6. The answer comes back",
    "▶ 7. \"886\": goodbye, and the FINs",
    "▶ 8. TIME-WAIT",
];
const PHASES_ZH: [&str; 8] = [
    "▶ 1. 服务器做好准备",
    "▶ 2. 客户端调用 connect()",
    "▶ 3. ARP:谁是 10.0.0.2?",
    "▶ 4. 三次握手",
    "▶ 5. 一句话在客户端向下经过各层",
    "▶ 6. 回答传回来",
    "▶ 7. “886”:再见,以及 FIN",
    "▶ 8. TIME-WAIT 状态",
];

#[test]
fn the_demo_tells_each_phase_as_it_happens_in_both_languages() {
    let d = tmpdir("demo-phases");
    let en = text(&run_in(&d, &["--color", "never", "demo", "--no-write"], ""));
    // Each phase's paragraph comes right before the event it introduces.
    let mut with_events = Vec::new();
    for (phase, event) in PHASES_EN.iter().zip([
        "server: socket(AF_INET, SOCK_STREAM)",
        "client: connect(('10.0.0.2', 8081))",
        "ARP who-has 10.0.0.2? tell 10.0.0.1",
        "LISTEN → SYN-RECEIVED",
        "client: send(\"hello\") = 5",
        "server: send(\"hi, who is it?\")",
        "client: send(\"886\") = 3",
        "→ TIME-WAIT",
    ]) {
        with_events.extend([*phase, event]);
    }
    with_events.extend(["▶ What crossed the cable", "frames crossed 1 link(s) (0 lost)", "[FIN, ACK]"]);
    in_order(&en, &with_events);
    // The first "hello" segment with every field: top-down at the client, bottom-up at the server.
    in_order(&en, &[
        "── Frame 6 ·",
        "client sends it, top-down",
        "[Layer 5 · Application] Data (5 bytes)",
        "Data: 68656c6c6f  \"hello\"",
        "[Layer 4 · Transport]",
        "Destination Port: 8081",
        "[Layer 3 · Network]",
        "Time to Live: 64",
        "[Layer 2 · Link]",
        "Type: IPv4 (0x0800)",
        "[Layer 1 · Physical]",
        "server receives it, bottom-up",
        "[Layer 1 · Physical]",
        "[Layer 2 · Link]",
        "Type: IPv4 (0x0800)",
        "[Layer 3 · Network]",
        "[Layer 4 · Transport]",
        "[Layer 5 · Application]",
        "server: recv(1024) = \"hello\"",
    ]);
    assert!(!d.join("demo.pcapng").exists(), "--no-write writes nothing");

    let zh = text(&run_in(&d, &["--color", "never", "--lang", "zh", "demo", "--no-write"], ""));
    let mut zh_order: Vec<&str> = PHASES_ZH.to_vec();
    zh_order.extend(["▶ 线路上走过了什么", "帧经过 1 条链路"]);
    in_order(&zh, &zh_order);
    in_order(&zh, &["第 6 帧", "client 发送,自上而下", "[第 5 层 · 应用层]", "[第 1 层 · 物理层]", "server 接收,自下而上", "[第 1 层 · 物理层]", "[第 5 层 · 应用层]"]);
    for english in ["The server gets ready", "three-way handshake", "goodbye", "What crossed the cable", "sends it, top-down"] {
        assert!(!zh.contains(english), "English in the Chinese demo: {english}");
    }
}

#[test]
fn the_demo_writes_a_capture_that_tshark_and_read_accept_and_the_same_seed_repeats() {
    let d = tmpdir("demo-write");
    let out1 = text(&run_in(&d, &["--color", "never", "demo"], ""));
    let a = std::fs::read(d.join("demo.pcapng")).expect("demo.pcapng in the current directory");
    assert!(out1.contains("netlayers read demo.pcapng") && out1.contains("wireshark demo.pcapng"), "{out1}");
    let out2 = text(&run_in(&d, &["--color", "never", "demo", "--seed", "1", "-w", "again.pcapng"], ""));
    assert_eq!(std::fs::read(d.join("again.pcapng")).unwrap(), a, "same seed, same bytes");
    assert_eq!(out1.replace("demo.pcapng", "F"), out2.replace("again.pcapng", "F"), "same seed, same output");
    let out3 = text(&run_in(&d, &["--color", "never", "demo", "--seed", "2", "-w", "other.pcapng"], ""));
    assert_ne!(std::fs::read(d.join("other.pcapng")).unwrap(), a, "another seed, other ISNs and port");
    assert_ne!(out1.replace("demo.pcapng", "F"), out3.replace("other.pcapng", "F"));

    let p = d.join("demo.pcapng").display().to_string();
    let o = run(&["read", &p, "--format", "json"]);
    assert!(o.status.success());
    assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), 19, "the summary's 19 frames");
    assert!(out1.contains("19 frames crossed"), "{out1}");

    let found = Command::new("tshark").arg("--version").output().is_ok_and(|o| o.status.success());
    if !found {
        assert!(!std::env::var("CI").is_ok_and(|v| v == "true" || v == "1"), "tshark is required in CI (CI=true)");
        eprintln!("tshark not found: skipping");
        return;
    }
    let o = Command::new("tshark")
        .args(["-r", &p, "-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE"])
        .args(["-Y", "_ws.malformed || _ws.expert.severity >= error"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "");
    let o = Command::new("tshark").args(["-r", &p, "-Y", "tcp.len > 0", "-T", "fields", "-e", "tcp.payload"]).output().unwrap();
    let lines: Vec<String> = String::from_utf8_lossy(&o.stdout).lines().map(str::to_string).collect();
    let hex = |s: &str| s.bytes().map(|b| format!("{b:02x}")).collect::<String>();
    assert_eq!(lines, ["hello", "hi, who is it?", "a student of sockets", "welcome!", "886"].map(hex));
}

/// The lines of the timeline: they start with a time in seconds, before the summary line (the
/// sequence diagram's lines after it do too).
fn events(out: &str) -> usize {
    out.lines()
        .take_while(|l| !l.contains("frames crossed") && !l.contains("帧经过"))
        .filter(|l| l.len() > 11 && l.is_char_boundary(10) && l[..10].trim().parse::<f64>().is_ok())
        .count()
}

#[test]
fn step_prints_one_event_per_line_of_input_and_q_quits() {
    let d = tmpdir("demo-step");
    let full = text(&run_in(&d, &["--color", "never", "sim", "handshake"], ""));
    let total = events(&full);
    assert_eq!(total, 32);
    // Two Enters, then q: three events shown, then a clean stop.
    let o = run_in(&d, &["--color", "never", "sim", "handshake", "--step"], "\n\nq\n");
    let out = text(&o);
    assert_eq!(events(&out), 3, "{out}");
    assert!(out.ends_with("stopped at event 3 of 32\n"), "{out}");
    assert!(!out.contains("frames crossed"), "{out}");
    // The end of the input runs the rest: the output is the same as without --step.
    assert_eq!(text(&run_in(&d, &["--color", "never", "sim", "handshake", "--step"], "\n\n\n")), full);
    assert_eq!(text(&run_in(&d, &["--color", "never", "sim", "handshake", "--step"], "")), full);
    // The demo steps the same way, narration and layer views going with their events.
    let o = run_in(&d, &["--color", "never", "--lang", "zh", "demo", "--step", "--no-write"], &format!("{}Q\n", "\n".repeat(7)));
    let out = text(&o);
    assert_eq!(events(&out), 8, "{out}");
    assert!(out.contains("▶ 3. ARP") && !out.contains("▶ 4."), "{out}");
    assert!(out.ends_with("在第 8 个事件处停止(共 46 个)\n"), "{out}");
}

/// The detail tree's lines of each layer of `read -V`'s output, in order.
fn layer_blocks(tree: &str) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = Vec::new();
    for l in tree.lines().filter(|l| !l.is_empty()) {
        if l.starts_with('[') || out.is_empty() {
            out.push(Vec::new());
        }
        if let Some(b) = out.last_mut() {
            b.push(l.to_string());
        }
    }
    out
}

/// The lines of the layer view under the line containing `side`, dedented.
fn side(view: &str, side: &str) -> Vec<String> {
    view.lines()
        .skip_while(|l| !l.contains(side))
        .skip(1)
        .take_while(|l| l.starts_with("    "))
        .map(|l| l[4..].to_string())
        .collect()
}

#[test]
fn the_layer_view_shows_what_read_shows_top_down_at_the_sender_and_bottom_up_at_the_receiver() {
    let d = tmpdir("demo-layers");
    for (args, frame, sender, receiver) in [
        (&["chat"][..], "6", Some("client sends it"), "server receives it"),
        (&["chat"], "14", Some("client sends it"), "server receives it"),
        (&["chat"], "2", Some("server sends it"), "client receives it"),
        // Through a switch: frame 2 is the ARP request it floods to pc2 (pcapng interface 1).
        (&["arp"], "2", None, "pc2 receives it"),
    ] {
        let p = d.join(format!("{}-{frame}.pcapng", args[0])).display().to_string();
        let mut all = vec!["--color", "never", "sim"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--frames", frame, "-w", &p]);
        let out = text(&run_in(&d, &all, ""));
        let view: String = out.lines().skip_while(|l| !l.starts_with(&format!("── Frame {frame} ·"))).collect::<Vec<_>>().join("\n");
        assert!(!view.is_empty(), "{out}");
        let read = text(&run(&["--color", "never", "read", &p, "-V", "--frames", frame]));
        let blocks = layer_blocks(&read);
        assert!(blocks.len() >= 3, "{read}");
        let up: Vec<String> = blocks.iter().flatten().cloned().collect();
        assert_eq!(side(&view, receiver), up, "{args:?} frame {frame}: bottom-up at the receiver");
        if let Some(sender) = sender {
            let down: Vec<String> = blocks.iter().rev().flatten().cloned().collect();
            assert_eq!(side(&view, sender), down, "{args:?} frame {frame}: top-down at the sender");
        }
    }
    // The switch forwards the frame: it shows only the link layer and below.
    let out = text(&run_in(&d, &["--color", "never", "sim", "arp", "--layers"], ""));
    let fwd = side(&out, "switch forwards it unchanged");
    assert!(fwd.len() == 2 && fwd[0].starts_with("[Layer 2 · Link]") && fwd[1].starts_with("[Layer 1 · Physical]"), "{fwd:?}");
    // pc3 hears the flooded ARP broadcast too, and reads it up to ARP.
    assert!(out.contains("pc3 receives it, bottom-up"), "{out}");
    // A frame number the run does not have is a one-line error.
    let o = run(&["sim", "chat", "--frames", "99"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no frame 99"));
}
