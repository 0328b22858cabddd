//! `netlayers encap` end to end: the walk a user reads, its JSON, the pcap it writes (checked by
//! tshark), and the property that decoding what encapsulation built gives back the same fields.

mod common;
use common::*;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::process::{Command, Output};

use netlayers_core::{Frame, Layer, LinkType, Severity, Timestamp, Transport, Value};
use netlayers_stack::decapsulate;
use netlayers_stack::encap::{encapsulate, EncapOptions, Faults, TcpParams};
use proptest::prelude::*;

fn encap(args: &[&str]) -> Output {
    let mut a = vec!["encap"];
    a.extend_from_slice(args);
    run(&a)
}

fn ok_stdout(o: &Output) -> String {
    assert_eq!(o.status.code(), Some(0), "exit code; stderr: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout.clone()).expect("UTF-8 output")
}

/// Columns a line takes in a terminal (Chinese characters take two).
fn columns(s: &str) -> usize {
    s.chars()
        .map(|c| if matches!(c as u32, 0x1100..=0x115f | 0x2e80..=0xa4cf | 0xac00..=0xd7a3 | 0xf900..=0xfaff | 0xfe30..=0xfe4f | 0xff00..=0xff60 | 0xffe0..=0xffe6) { 2 } else { 1 })
        .sum()
}

/// The text with every run of whitespace made one space, so a phrase is found across a line wrap.
fn flat(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn assert_has(out: &str, want: &str) {
    assert!(flat(out).contains(&flat(want)), "missing {want:?} in:\n{out}");
}

fn assert_readable(out: &str) {
    assert!(!out.contains('\x1b'), "no colour codes when stdout is not a terminal");
    for l in out.lines() {
        assert!(columns(l) <= 100, "line wider than 100 columns ({}): {l}", columns(l));
    }
}

#[test]
fn default_walk_needs_no_arguments() {
    let out = ok_stdout(&encap(&[]));
    assert_readable(&out);
    for want in [
        "Step 1/5 · layer 5 · Application",
        "Step 2/5 · layer 4 · Transport",
        "Step 3/5 · layer 3 · Network",
        "Step 4/5 · layer 2 · Link",
        "Step 5/5 · layer 1 · Physical",
        "(10.0.0.2, UDP, 8081)",
        "UDP adds an 8-byte header",
        "pseudo: source IP (1/2)",
        "13 bytes of padding",
        "57.6 µs",
        "10101011",
        "At the receiver",
        "Delivered to the process at (10.0.0.2, UDP, 8081).",
    ] {
        assert_has(&out, want);
    }
    // Without colour the bytes each step added are marked under the hexdump.
    assert_has(&out, "        ^^ ^^ ^^ ^^ ^^ ^^ ^^ ^^");
}

#[test]
fn chinese_walk() {
    let out = ok_stdout(&encap(&["--lang", "zh", "--tcp", "--flags", "S"]));
    assert_readable(&out);
    for want in ["第 1/5 步 · 第 5 层 · 应用层", "TCP 加上 20 字节的首部", "三次握手的第一步", "在接收方", "已交付"] {
        assert_has(&out, want);
    }
}

#[test]
fn ipv6_from_the_address_family() {
    let out = ok_stdout(&encap(&["--dst", "[fd00::2]:8081", "hi"]));
    assert_has(&out, "IPv6 adds a 40-byte header");
    assert_has(&out, "pseudo: source IP (8/8)");
    assert_has(&out, "Neighbor Solicitation for fd00::2");
    assert_has(&out, "recvfrom() returns the 2 bytes \"hi\" and the sender's address [fd00::1]:5000.");
}

#[test]
fn fragments_show_their_arithmetic() {
    let msg = "x".repeat(3000);
    let out = ok_stdout(&encap(&["--mtu", "576", &msg]));
    assert_readable(&out);
    assert_has(&out, "splits the datagram into 6 fragments");
    assert_has(&out, "at most 552 bytes");
    assert_has(&out, "fragment 2: bytes 552–1103 (552 bytes), offset field 552 / 8 = 69, MF=1");
    assert_has(&out, "fragment 6: bytes 2760–3007 (248 bytes), offset field 2760 / 8 = 345, MF=0");
    assert_has(&out, "reassembles the 3028-byte datagram");
    // --df forbids it: one line naming the problem, exit 2.
    let o = encap(&["--mtu", "576", "--df", &msg]);
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert_eq!(e.trim_end().lines().count(), 1, "{e}");
    assert!(e.contains("EMSGSIZE"), "{e}");
}

#[test]
fn json_one_object_per_step() {
    let out = ok_stdout(&encap(&["--format", "json", "--tcp", "--flags", "PA", "--seq", "7", "hello"]));
    let objs: Vec<serde_json::Value> =
        out.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect();
    assert_eq!(objs.len(), 6);
    let kinds: Vec<&str> = objs[..5].iter().map(|o| o["kind"].as_str().unwrap_or("")).collect();
    assert_eq!(kinds, ["application", "transport", "network", "link", "physical"]);
    assert_eq!(objs[0]["pdus"][0]["hex"], "68656c6c6f");
    let c = &objs[1]["checksum"];
    assert_eq!(c["computed"], c["written"]);
    assert_eq!(objs[1]["pdus"][0]["added"], serde_json::json!([[0, 20]]));
    assert_eq!(objs[3]["dst_mac_source"], "arp");
    // 59 bytes of frame, padded to 60: 72 bytes on the wire at 100 ns a bit.
    assert_eq!(objs[4]["timings"][0]["frame_ps"], 57_600_000u64);
    assert_eq!(objs[5]["delivered"], true);
}

#[test]
fn deliberate_errors_are_dropped_going_up() {
    let out = ok_stdout(&encap(&["--bad-checksum"]));
    assert_has(&out, "✗ DROP Checksum");
    assert_has(&out, "Dropped at the transport layer");
    let j = ok_stdout(&encap(&["--bad-ip-checksum", "--format", "json"]));
    let last: serde_json::Value = serde_json::from_str(j.lines().last().unwrap_or("")).expect("json");
    assert_eq!(last["delivered"], false);
    let checks = last["checks"].as_array().expect("checks");
    let drop = checks.last().expect("a check");
    assert_eq!((drop["check"].as_str(), drop["verdict"].as_str()), (Some("ip.checksum"), Some("drop")));
    let out = ok_stdout(&encap(&["--ttl", "0"]));
    assert_has(&out, "TTL 0: a router would drop this packet");
    assert_has(&out, "Delivered to the process");
}

#[test]
fn bad_arguments_are_one_line_errors() {
    for (args, what) in [
        (&["--src", "10.0.0.1:1", "--dst", "[fd00::2]:2"][..], "--src"),
        (&["--mtu", "10"][..], "--mtu"),
        (&["--flags", "SX"][..], "SX"),
        (&["--dst-mac", "nope"][..], "nope"),
        (&["--udp", "--seq", "1"][..], "--seq"),
    ] {
        let o = encap(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(e.contains(what), "{args:?}: {e}");
    }
}

#[test]
fn step_never_waits_without_a_terminal() {
    // common::bin() gives the child no stdin; --step must not prompt or block.
    let o = encap(&["--step"]);
    let out = ok_stdout(&o);
    assert!(out.contains("Delivered"));
    assert!(!String::from_utf8_lossy(&o.stderr).contains("Enter"));
}

/// tshark, or `None` (skip) on a developer machine without it. In CI a missing tshark fails.
fn tshark() -> Option<()> {
    let found = Command::new("tshark").arg("--version").output().is_ok_and(|o| o.status.success());
    if found {
        return Some(());
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("tshark is required in CI (CI=true) but was not found");
    }
    eprintln!("tshark not found: skipping");
    None
}

/// `tshark -T fields` of a pcap, one Vec per frame, plus tshark's whole text output.
fn tshark_fields(file: &str, fields: &[&str]) -> (Vec<Vec<String>>, String) {
    let mut c = Command::new("tshark");
    c.args(["-r", file, "-n", "-o", "udp.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE"]);
    c.args(["-T", "fields", "-E", "occurrence=f"]);
    for f in fields {
        c.args(["-e", f]);
    }
    let o = c.output().expect("run tshark");
    assert!(o.status.success(), "tshark failed: {}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    let rows = text.lines().map(|l| l.split('\t').map(str::to_string).collect()).collect();
    let all = Command::new("tshark").args(["-r", file, "-n", "-V"]).output().expect("run tshark");
    (rows, String::from_utf8_lossy(&all.stdout).into_owned())
}

#[test]
fn pcap_reads_in_tshark_udp() {
    if tshark().is_none() {
        return;
    }
    let d = tmpdir("encap-udp");
    let f = d.join("udp.pcap").display().to_string();
    ok_stdout(&encap(&["-w", &f, "hello"]));
    let (rows, all) = tshark_fields(&f, &[
        "eth.src", "eth.dst", "ip.src", "ip.dst", "ip.ttl", "ip.checksum.status", "udp.srcport", "udp.dstport",
        "udp.length", "udp.checksum.status", "data.data",
    ]);
    assert!(!all.contains("Malformed"), "{all}");
    assert_eq!(rows, vec![vec![
        "02:00:0a:00:00:01", "02:00:0a:00:00:02", "10.0.0.1", "10.0.0.2", "64", "1", "5000", "8081", "13", "1",
        "68656c6c6f",
    ]
    .into_iter()
    .map(String::from)
    .collect::<Vec<_>>()]);
}

#[test]
fn pcap_reads_in_tshark_tcp_ipv6() {
    if tshark().is_none() {
        return;
    }
    let d = tmpdir("encap-tcp6");
    let f = d.join("tcp6.pcap").display().to_string();
    ok_stdout(&encap(&[
        "-w", &f, "--tcp", "--src", "[fd00::1]:40000", "--dst", "[fd00::2]:9000", "--flags", "SA", "--seq", "100",
        "--ack", "200", "--win", "512", "--ttl", "9", "data",
    ]));
    let (rows, all) = tshark_fields(&f, &[
        "ipv6.src", "ipv6.dst", "ipv6.hlim", "tcp.srcport", "tcp.dstport", "tcp.seq_raw", "tcp.ack_raw", "tcp.flags",
        "tcp.window_size_value", "tcp.len", "tcp.checksum.status",
    ]);
    assert!(!all.contains("Malformed"), "{all}");
    assert_eq!(rows[0], ["fd00::1", "fd00::2", "9", "40000", "9000", "100", "200", "0x0012", "512", "4", "1"]);
}

#[test]
fn pcap_fragments_reassemble_in_tshark() {
    if tshark().is_none() {
        return;
    }
    let d = tmpdir("encap-frag");
    let f = d.join("frag.pcap").display().to_string();
    let msg = "0123456789".repeat(300);
    ok_stdout(&encap(&["-w", &f, "--mtu", "1000", &msg]));
    let (rows, all) = tshark_fields(&f, &["ip.len", "ip.flags.mf", "ip.frag_offset", "ip.checksum.status", "udp.length", "udp.checksum.status"]);
    assert!(!all.contains("Malformed"), "{all}");
    assert_eq!(rows.len(), 4);
    // 976 payload bytes per fragment (980 rounded down to a multiple of 8): offsets 0, 122, 244, 366 units.
    let offs: Vec<&str> = rows.iter().map(|r| r[2].as_str()).collect();
    assert_eq!(offs, ["0", "122", "244", "366"]);
    assert!(rows[..3].iter().all(|r| r[1] == "1" && r[0] == "996"), "{rows:?}");
    // tshark reassembles by default and verifies the whole datagram's UDP checksum on the last fragment.
    assert_eq!(&rows[3][4..], ["3008", "1"]);
}

#[test]
fn pcap_to_stdout_pipes_into_tshark() {
    if tshark().is_none() {
        return;
    }
    let o = encap(&["-w", "-", "--tcp", "--flags", "S"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(o.stdout.get(..4), Some(&[0xd4, 0xc3, 0xb2, 0xa1][..]), "only the pcap on stdout");
    let mut t = Command::new("tshark")
        .args(["-r", "-", "-n", "-T", "fields", "-e", "tcp.flags", "-e", "tcp.dstport"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("run tshark");
    {
        use std::io::Write;
        let mut i = t.stdin.take().expect("stdin");
        i.write_all(&o.stdout).expect("feed tshark");
    }
    let out = t.wait_with_output().expect("tshark output");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "0x0002\t8081");
}

#[test]
fn bad_checksum_in_the_pcap_is_bad_for_tshark() {
    if tshark().is_none() {
        return;
    }
    let d = tmpdir("encap-bad");
    let f = d.join("bad.pcap").display().to_string();
    ok_stdout(&encap(&["-w", &f, "--bad-checksum", "--bad-ip-checksum"]));
    let (rows, _) = tshark_fields(&f, &["ip.checksum.status", "udp.checksum.status"]);
    // tshark's checksum status: 0 Bad, 1 Good, 2 unverified.
    assert_eq!(rows[0], ["0", "0"]);
}

// ------------------------------------------------------------------ library properties

fn decode(frame: &[u8]) -> Vec<Layer> {
    decapsulate(&Frame {
        number: 1,
        ts: Timestamp::default(),
        orig_len: frame.len() as u32,
        data: frame.to_vec(),
        link: LinkType::Ethernet,
        interface: 0,
    })
}

fn value<'a>(layers: &'a [Layer], key: &str) -> Option<&'a Value> {
    layers.iter().filter(|l| l.depth == 0).find_map(|l| l.find(key)).map(|f| &f.value)
}

fn num(layers: &[Layer], key: &str) -> Option<u64> {
    value(layers, key).and_then(Value::as_u64)
}

fn addr(a: IpAddr) -> Value {
    match a {
        IpAddr::V4(x) => Value::Ipv4(x),
        IpAddr::V6(x) => Value::Ipv6(x),
    }
}

fn arb_options() -> impl Strategy<Value = EncapOptions> {
    let v4 = (any::<[u8; 4]>(), any::<[u8; 4]>())
        .prop_map(|(a, b)| (IpAddr::V4(Ipv4Addr::from(a)), IpAddr::V4(Ipv4Addr::from(b))));
    let v6 = (any::<[u8; 16]>(), any::<[u8; 16]>())
        .prop_map(|(a, b)| (IpAddr::V6(Ipv6Addr::from(a)), IpAddr::V6(Ipv6Addr::from(b))));
    // Ports above the ones tshark (and our app decoders) give to an application protocol.
    let ports = (20000u16..60000, 20000u16..60000);
    let tcp = (0u16..0x200, any::<u32>(), any::<u32>(), any::<u16>())
        .prop_map(|(flags, seq, ack, window)| TcpParams { flags, seq, ack, window, mss: None });
    (prop_oneof![v4, v6], ports, any::<bool>(), 1u8..=255, tcp, any::<u16>(), any::<Option<[u8; 6]>>())
        .prop_map(|((s, d), (sp, dp), is_tcp, ttl, tcp, id, mac)| EncapOptions {
            transport: if is_tcp { Transport::Tcp } else { Transport::Udp },
            src: SocketAddr::new(s, sp),
            dst: SocketAddr::new(d, dp),
            src_mac: mac.map(|mut m| {
                m[0] &= 0xfe; // a sender's MAC is never a group address
                m
            }),
            ttl,
            tcp,
            ip_id: id,
            ..EncapOptions::default()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// What encapsulation built, the decoder reads back: every header field and the message.
    #[test]
    fn decapsulate_gives_back_the_fields(msg in proptest::collection::vec(any::<u8>(), 0..1000), o in arb_options()) {
        let e = encapsulate(&msg, &o).expect("fits one frame");
        prop_assert_eq!(e.frames.len(), 1);
        let l = decode(&e.frames[0]);
        prop_assert_eq!(value(&l, "eth.src"), Some(&Value::Mac(e.src_mac)));
        prop_assert_eq!(value(&l, "eth.dst"), Some(&Value::Mac(e.dst_mac)));
        let seg = (if o.transport == Transport::Tcp { 20 } else { 8 }) + msg.len();
        let proto = if o.transport == Transport::Tcp { 6 } else { 17 };
        if o.dst.is_ipv6() {
            prop_assert_eq!(num(&l, "eth.type"), Some(0x86dd));
            prop_assert_eq!(value(&l, "ipv6.src"), Some(&addr(o.src.ip())));
            prop_assert_eq!(value(&l, "ipv6.dst"), Some(&addr(o.dst.ip())));
            prop_assert_eq!(num(&l, "ipv6.hlim"), Some(u64::from(o.ttl)));
            prop_assert_eq!(num(&l, "ipv6.nxt"), Some(proto));
            prop_assert_eq!(num(&l, "ipv6.plen"), Some(seg as u64));
        } else {
            prop_assert_eq!(num(&l, "eth.type"), Some(0x0800));
            prop_assert_eq!(value(&l, "ip.src"), Some(&addr(o.src.ip())));
            prop_assert_eq!(value(&l, "ip.dst"), Some(&addr(o.dst.ip())));
            prop_assert_eq!(num(&l, "ip.ttl"), Some(u64::from(o.ttl)));
            prop_assert_eq!(num(&l, "ip.proto"), Some(proto));
            prop_assert_eq!(num(&l, "ip.len"), Some(20 + seg as u64));
            prop_assert_eq!(num(&l, "ip.id"), Some(u64::from(o.ip_id)));
            prop_assert_eq!(value(&l, "ip.flags.df"), Some(&Value::Bool(true)));
            prop_assert_eq!(num(&l, "ip.frag_offset"), Some(0));
        }
        match o.transport {
            Transport::Udp => {
                prop_assert_eq!(num(&l, "udp.srcport"), Some(u64::from(o.src.port())));
                prop_assert_eq!(num(&l, "udp.dstport"), Some(u64::from(o.dst.port())));
                prop_assert_eq!(num(&l, "udp.length"), Some(seg as u64));
                prop_assert_eq!(num(&l, "udp.checksum"), Some(u64::from(e.checksum.computed)));
            }
            Transport::Tcp => {
                prop_assert_eq!(num(&l, "tcp.srcport"), Some(u64::from(o.src.port())));
                prop_assert_eq!(num(&l, "tcp.dstport"), Some(u64::from(o.dst.port())));
                prop_assert_eq!(num(&l, "tcp.seq_raw"), Some(u64::from(o.tcp.seq)));
                prop_assert_eq!(num(&l, "tcp.ack_raw"), Some(u64::from(o.tcp.ack)));
                prop_assert_eq!(num(&l, "tcp.flags"), Some(u64::from(o.tcp.flags)));
                prop_assert_eq!(num(&l, "tcp.window_size_value"), Some(u64::from(o.tcp.window)));
                prop_assert_eq!(num(&l, "tcp.len"), Some(msg.len() as u64));
                prop_assert_eq!(num(&l, "tcp.checksum"), Some(u64::from(e.checksum.computed)));
            }
        }
        // The message is the innermost layer's bytes; nothing else is (padding is not payload).
        let top = l.iter().rev().find(|x| x.depth == 0).expect("layers");
        if msg.is_empty() {
            prop_assert!(matches!(top.protocol, "udp" | "tcp"), "{}", top.protocol);
        } else {
            prop_assert_eq!(&e.frames[0][top.range.clone()], &msg[..]);
        }
        // What each step shows is what the decoder gives.
        for s in &e.steps[1..4] {
            for lay in &s.pdus[0].layers {
                prop_assert!(l.contains(lay), "{} not in the decoded frame", lay.protocol);
            }
        }
        prop_assert!(e.delivered());
    }

    /// Fragments, decoded one by one, carry the offsets and MF flags that put the segment back together.
    #[test]
    fn fragments_decode_and_reassemble(len in 0usize..5000, mtu in 68usize..1600, v6 in any::<bool>()) {
        let o = if v6 {
            EncapOptions { src: "[fd00::1]:5000".parse().expect("a"), dst: "[fd00::2]:8081".parse().expect("a"), mtu: mtu.max(72), ..EncapOptions::default() }
        } else {
            EncapOptions { mtu, ..EncapOptions::default() }
        };
        let msg: Vec<u8> = (0..len).map(|i| i as u8).collect();
        let e = encapsulate(&msg, &o).expect("encap");
        let mut joined = vec![0u8; e.segment.len()];
        let mut got = 0;
        for (i, f) in e.frames.iter().enumerate() {
            let l = decode(f);
            let (off, more, plen_key) = if v6 {
                (num(&l, "ipv6.fraghdr.offset"), value(&l, "ipv6.fraghdr.more").cloned(), "ipv6.plen")
            } else {
                (num(&l, "ip.frag_offset"), value(&l, "ip.flags.mf").cloned(), "ip.len")
            };
            let hl = if v6 { if e.frames.len() > 1 { 48 } else { 40 } } else { 20 };
            let total = num(&l, plen_key).expect("length") as usize + if v6 { 40 } else { 0 };
            prop_assert!(total <= o.mtu.max(hl), "packet {} of {total} bytes over MTU {}", i, o.mtu);
            let part = &f[14 + hl..14 + total];
            match e.fragmentation.as_ref() {
                Some(fr) => {
                    let info = fr.fragments[i];
                    prop_assert_eq!(off, Some(info.offset as u64), "offset in bytes");
                    prop_assert_eq!(more, Some(Value::Bool(info.more)));
                    joined[info.offset..info.offset + part.len()].copy_from_slice(part);
                }
                None => joined.copy_from_slice(part),
            }
            got += part.len();
        }
        prop_assert_eq!(got, e.segment.len());
        prop_assert_eq!(joined, e.segment.clone());
    }
}

#[test]
fn bad_checksum_is_seen_by_the_decoder() {
    for t in [Transport::Udp, Transport::Tcp] {
        let o = EncapOptions { transport: t, faults: Faults { bad_checksum: true, ..Faults::default() }, ..EncapOptions::default() };
        let e = encapsulate(b"hello", &o).expect("encap");
        let l = decode(&e.frames[0]);
        let name = if t == Transport::Udp { "udp" } else { "tcp" };
        let layer = l.iter().find(|x| x.protocol == name).expect("transport layer");
        let mut bad = false;
        layer.walk(&mut |f| bad |= f.notes.iter().any(|n| n.severity >= Severity::Warn && n.id.contains("checksum")));
        bad |= layer.notes.iter().any(|n| n.severity >= Severity::Warn && n.id.contains("checksum"));
        assert!(bad, "the {name} decoder flags the wrong checksum: {layer:#?}");
        assert!(!e.delivered());
    }
}
