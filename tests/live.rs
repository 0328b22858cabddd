//! Proved against real kernels: two network namespaces joined by a veth pair, made and removed by
//! each test, with `netlayers` running inside one of them and ordinary kernel sockets (python3),
//! tcpdump and tshark on the other side as witnesses.
//!
//! Needs root and iproute2. Without them a test prints "skipped: needs root" and passes, except
//! under CI (CI=true), where it fails: CI must prove these things, not skip them.
//!
//! Each test has its own namespaces (`nlt-<test>-<pid>-a`/`-b`), its own 10.99.N.0/24 and
//! fd99:N::/64 networks and fixed MACs 02:99:NN:00:00:01/02; a guard deletes the namespaces by
//! name (the veth pair goes with them) however the test ends. Every child process has a deadline
//! and is killed by its own PID when it overstays.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_netlayers");

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Whether a tool runs at all.
fn have(tool: &str, arg: &str) -> bool {
    Command::new(tool).arg(arg).stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok()
}

/// `true` when the test can go on; otherwise prints why it is skipped, or panics under CI.
fn require(what: &str, ok: bool) -> bool {
    if ok {
        return true;
    }
    if in_ci() {
        panic!("this test needs {what} and CI=true: CI must run it (as root, with iproute2, python3, tcpdump, tshark, capsh installed)");
    }
    eprintln!("skipped: needs {what}");
    false
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("Uid:")).map(|l| l.split_whitespace().nth(2) == Some("0")))
        .unwrap_or(false)
}

fn needs_root() -> bool {
    require("root", is_root()) && require("iproute2 (`ip`)", have("ip", "-V")) && require("python3", have("python3", "--version"))
}

fn sh(args: &[&str]) -> Output {
    let o = Command::new(args[0]).args(&args[1..]).stdin(Stdio::null()).output().unwrap_or_else(|e| panic!("{args:?}: {e}"));
    o
}

fn must(args: &[&str]) {
    let o = sh(args);
    assert!(o.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&o.stderr));
}

/// Two namespaces joined by a veth pair: `nl0` in `a` (10.99.N.1, fd99:N::1), `nl1` in `b`
/// (10.99.N.2, fd99:N::2).
struct Pair {
    a: String,
    b: String,
    n: u8,
}

impl Pair {
    fn new(test: &str, n: u8, ipv6: bool) -> Pair {
        let pid = std::process::id();
        let p = Pair { a: format!("nlt-{test}-{pid}-a"), b: format!("nlt-{test}-{pid}-b"), n };
        // A namespace left by a killed earlier run with the same pid would make `add` fail.
        let _ = sh(&["ip", "netns", "del", &p.a]);
        let _ = sh(&["ip", "netns", "del", &p.b]);
        must(&["ip", "netns", "add", &p.a]);
        must(&["ip", "netns", "add", &p.b]);
        must(&["ip", "link", "add", "nl0", "netns", &p.a, "type", "veth", "peer", "name", "nl1", "netns", &p.b]);
        for (ns, dev, host) in [(&p.a, "nl0", 1), (&p.b, "nl1", 2)] {
            if !ipv6 {
                // No router solicitations or MLD reports: only the frames the test makes.
                must(&["ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"]);
                must(&["ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1"]);
                must(&["ip", "netns", "exec", ns, "sysctl", "-qw", &format!("net.ipv6.conf.{dev}.disable_ipv6=1")]);
            }
            must(&["ip", "-n", ns, "link", "set", dev, "address", &p.mac(host)]);
            must(&["ip", "-n", ns, "addr", "add", &format!("{}/24", p.ip4(host)), "dev", dev]);
            if ipv6 {
                must(&["ip", "-n", ns, "addr", "add", &format!("{}/64", p.ip6(host)), "dev", dev, "nodad"]);
            }
            must(&["ip", "-n", ns, "link", "set", "lo", "up"]);
            must(&["ip", "-n", ns, "link", "set", dev, "up"]);
        }
        p
    }
    fn mac(&self, host: u8) -> String {
        format!("02:99:{:02x}:00:00:{host:02x}", self.n)
    }
    fn ip4(&self, host: u8) -> String {
        format!("10.99.{}.{host}", self.n)
    }
    fn ip6(&self, host: u8) -> String {
        format!("fd99:{}::{host}", self.n)
    }
    /// A command run inside namespace `ns`.
    fn cmd(&self, ns: &str, program: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", ns, program]);
        // Tests must not depend on the developer's locale or colour settings.
        c.env_remove("LANG").env_remove("LC_ALL").env_remove("LC_MESSAGES").env_remove("NO_COLOR");
        c.stdin(Stdio::null());
        c
    }
    fn netlayers(&self, ns: &str, args: &[&str]) -> Command {
        let mut c = self.cmd(ns, BIN);
        c.args(args);
        c
    }
}

impl Drop for Pair {
    fn drop(&mut self) {
        // Deleting a namespace deletes the veth end in it, and with it the pair.
        let _ = sh(&["ip", "netns", "del", &self.a]);
        let _ = sh(&["ip", "netns", "del", &self.b]);
    }
}

/// A running child whose output lines arrive on channels, killed (by its PID) if dropped alive.
struct Running {
    child: Child,
    out: mpsc::Receiver<String>,
    err: mpsc::Receiver<String>,
    what: String,
}

fn lines_of(r: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn start(mut c: Command, what: &str) -> Running {
    c.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = c.spawn().unwrap_or_else(|e| panic!("{what}: {e}"));
    let out = lines_of(child.stdout.take().expect("stdout"));
    let err = lines_of(child.stderr.take().expect("stderr"));
    Running { child, out, err, what: what.to_string() }
}

impl Running {
    /// Waits for a line containing `needle` on stdout or stderr; returns every line seen so far.
    fn wait_for(&mut self, needle: &str, limit: Duration) -> Vec<String> {
        let end = Instant::now() + limit;
        let mut seen = Vec::new();
        while Instant::now() < end {
            for rx in [&self.out, &self.err] {
                while let Ok(l) = rx.try_recv() {
                    let hit = l.contains(needle);
                    seen.push(l);
                    if hit {
                        return seen;
                    }
                }
            }
            if let Ok(Some(st)) = self.child.try_wait() {
                // Let the reader threads drain what the child printed before it exited.
                std::thread::sleep(Duration::from_millis(50));
                for rx in [&self.out, &self.err] {
                    seen.extend(rx.try_iter());
                }
                panic!("{} exited ({st}) before printing {needle:?}: {seen:?}", self.what);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("{} did not print {needle:?} within {limit:?}: {seen:?}", self.what);
    }

    fn signal(&self, sig: &str) {
        let _ = Command::new("kill").args([sig, &self.child.id().to_string()]).status();
    }

    /// Waits for the child to end (killing it at the deadline); returns its exit code and output.
    fn finish(mut self, limit: Duration) -> (Option<i32>, String, String) {
        let end = Instant::now() + limit;
        let status = loop {
            if let Ok(Some(st)) = self.child.try_wait() {
                break Some(st);
            }
            if Instant::now() >= end {
                let _ = self.child.kill();
                let _ = self.child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        std::thread::sleep(Duration::from_millis(50));
        let out: Vec<String> = self.out.try_iter().collect();
        let err: Vec<String> = self.err.try_iter().collect();
        let (out, err) = (out.join("\n"), err.join("\n"));
        let Some(status) = status else {
            panic!("{} did not finish within {limit:?}; stdout: {out}; stderr: {err}", self.what);
        };
        (status.code(), out, err)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Runs a command to its end, within `limit`.
fn run_for(c: Command, what: &str, limit: Duration) -> (Option<i32>, String, String) {
    start(c, what).finish(limit)
}

/// A kernel UDP socket in `ns` bound to `addr`:`port`; prints "ready", then the hex of the first
/// datagram and the sender's address and port.
fn udp_receiver(p: &Pair, ns: &str, addr: &str, port: u16) -> Running {
    let family = if addr.contains(':') { "AF_INET6" } else { "AF_INET" };
    let script = format!(
        "import socket\n\
s = socket.socket(socket.{family}, socket.SOCK_DGRAM)\n\
s.bind(('{addr}', {port}))\n\
s.settimeout(8)\n\
print('ready', flush=True)\n\
d, a = s.recvfrom(70000)\n\
print(d.hex())\n\
print(a[0], a[1], flush=True)\n"
    );
    let mut c = p.cmd(ns, "python3");
    c.args(["-c", &script]);
    let mut r = start(c, "python3 UDP receiver");
    r.wait_for("ready", Duration::from_secs(10));
    r
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The message text a test sends: printable, and not periodic with any small period, so a
/// fragment put at the wrong offset is caught.
fn message(len: usize) -> String {
    (0..len).map(|i| (b'a' + ((i * 7 + i / 26) % 26) as u8) as char).collect()
}

/// `resolve`: leave the MACs out, so that `send` takes its own and finds the peer's by ARP (IPv4)
/// or neighbour discovery (IPv6), as a host would.
fn send_udp_and_receive(test: &str, n: u8, v6: bool, len: usize, resolve: bool, extra: &[&str]) {
    if !needs_root() {
        return;
    }
    let p = Pair::new(test, n, v6);
    let (src, dst, bind) = if v6 {
        (format!("[{}]:5000", p.ip6(1)), format!("[{}]:8081", p.ip6(2)), p.ip6(2))
    } else {
        (format!("{}:5000", p.ip4(1)), format!("{}:8081", p.ip4(2)), p.ip4(2))
    };
    let rx = udp_receiver(&p, &p.b, &bind, 8081);
    let msg = message(len);
    let mut args = vec!["send", "-i", "nl0", &msg, "--udp", "--src", &src, "--dst", &dst];
    let (smac, dmac) = (p.mac(1), p.mac(2));
    if !resolve {
        args.extend(["--src-mac", &smac, "--dst-mac", &dmac]);
    }
    args.extend(extra);
    let (code, out, err) = run_for(p.netlayers(&p.a, &args), "netlayers send", Duration::from_secs(20));
    assert_eq!(code, Some(0), "netlayers send: stdout {out}\nstderr {err}");
    if resolve {
        let how = if v6 { "NDP" } else { "ARP" };
        let want = format!("{} is at {dmac} ({how} on nl0)", if v6 { p.ip6(2) } else { p.ip4(2) });
        assert!(err.contains(&want), "{want:?} in {err}");
    }
    let (code, out, err) = rx.finish(Duration::from_secs(15));
    assert_eq!(code, Some(0), "the kernel socket got nothing: {err}");
    // `wait_for` took the "ready" line: what is left is the payload, then the sender.
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.first().copied(), Some(hex(msg.as_bytes()).as_str()), "payload byte for byte");
    let sender = lines.get(1).copied().unwrap_or_default();
    let want_ip = if v6 { p.ip6(1) } else { p.ip4(1) };
    assert_eq!(sender, format!("{want_ip} 5000"), "source address and port as sent");
}

#[test]
fn udp_over_ipv4_reaches_a_kernel_socket_byte_for_byte() {
    send_udp_and_receive("udp4", 1, false, 15, false, &[]);
}

#[test]
fn udp_over_ipv6_reaches_a_kernel_socket_byte_for_byte() {
    send_udp_and_receive("udp6", 2, true, 15, true, &[]);
}

#[test]
fn fragments_are_reassembled_by_the_peer_kernel() {
    // 4000 bytes of UDP payload over a 1500-byte MTU: three fragments, reassembled by the peer.
    send_udp_and_receive("frag", 3, false, 4000, true, &["--mtu", "1500"]);
}

#[test]
fn arping_gets_the_peer_kernels_reply() {
    if !needs_root() {
        return;
    }
    let p = Pair::new("arping", 4, false);
    let target = p.ip4(2);
    let (code, out, err) = run_for(
        p.netlayers(&p.a, &["arping", "-i", "nl0", &target, "-c", "1", "--timeout", "3"]),
        "netlayers arping",
        Duration::from_secs(15),
    );
    assert_eq!(code, Some(0), "stdout {out}\nstderr {err}");
    let want = format!("Unicast reply from {target} [{}]", p.mac(2));
    assert!(out.contains(&want), "{want:?} in {out}");
    assert!(out.contains("Received 1 response(s)"), "{out}");

    // Nobody has .9: no reply, exit code 1.
    let nobody = format!("10.99.{}.9", p.n);
    let (code, out, _) = run_for(
        p.netlayers(&p.a, &["arping", "-i", "nl0", &nobody, "-c", "1", "--timeout", "0.5"]),
        "netlayers arping (no one there)",
        Duration::from_secs(15),
    );
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("Received 0 response(s)"), "{out}");

    // The reply, decoded as NDJSON: the peer's addresses in the ARP fields.
    let (code, out, err) = run_for(
        p.netlayers(&p.a, &["arping", "-i", "nl0", &target, "-c", "1", "--timeout", "3", "--format", "json"]),
        "netlayers arping --format json",
        Duration::from_secs(15),
    );
    assert_eq!(code, Some(0), "{err}");
    let objs: Vec<serde_json::Value> = out.lines().map(|l| serde_json::from_str(l).expect("NDJSON")).collect();
    assert_eq!(objs.len(), 2, "request and reply: {out}");
    assert_eq!(objs[0]["arp.opcode"], 1);
    assert_eq!(objs[1]["arp.opcode"], 2);
    assert_eq!(objs[1]["arp.src.hw_mac"], p.mac(2).as_str());
    assert_eq!(objs[1]["arp.src.proto_ipv4"], target.as_str());
}

/// Starts `netlayers capture` in `ns` and waits until its socket is open.
fn capture(p: &Pair, ns: &str, args: &[&str]) -> Running {
    let mut all = vec!["capture", "-i", if ns == p.a { "nl0" } else { "nl1" }];
    all.extend(args);
    let mut r = start(p.netlayers(ns, &all), "netlayers capture");
    r.wait_for("capturing on", Duration::from_secs(10));
    r
}

#[test]
fn tcp_syn_is_answered_by_syn_ack_seen_by_capture() {
    if !needs_root() {
        return;
    }
    let p = Pair::new("syn", 5, false);
    let script = format!(
        "import socket, time\n\
s = socket.socket()\n\
s.bind(('{}', 8080))\n\
s.listen(1)\n\
print('ready', flush=True)\n\
time.sleep(8)\n",
        p.ip4(2)
    );
    let mut listener = p.cmd(&p.b, "python3");
    listener.args(["-c", &script]);
    let mut listener = start(listener, "python3 TCP listener");
    listener.wait_for("ready", Duration::from_secs(10));

    let cap = capture(&p, &p.a, &["--format", "json", "-c", "50", "--duration", "10"]);
    let (src, dst) = (format!("{}:40000", p.ip4(1)), format!("{}:8080", p.ip4(2)));
    let (smac, dmac) = (p.mac(1), p.mac(2));
    let args = [
        "send", "-i", "nl0", "", "--tcp", "--flags", "S", "--seq", "1000", "--src", &src, "--dst", &dst, "--src-mac", &smac,
        "--dst-mac", &dmac,
    ];
    let (code, out, err) = run_for(p.netlayers(&p.a, &args), "netlayers send (SYN)", Duration::from_secs(20));
    assert_eq!(code, Some(0), "stdout {out}\nstderr {err}");
    // SYN, the peer's ARP for us and our reply, SYN-ACK, our kernel's RST: wait, then stop.
    std::thread::sleep(Duration::from_millis(700));
    cap.signal("-INT");
    let (code, out, err) = cap.finish(Duration::from_secs(10));
    assert_eq!(code, Some(0), "capture ended cleanly on SIGINT: {err}");
    let frames: Vec<serde_json::Value> = out.lines().map(|l| serde_json::from_str(l).expect("NDJSON")).collect();
    assert!(err.contains(&format!("{} frames captured", frames.len())), "count on stderr: {err}");
    let tcp = |f: &serde_json::Value, sport: u64, flags: u64| {
        f["tcp.srcport"] == sport && f["tcp.flags"] == flags
    };
    let syn = frames.iter().position(|f| tcp(f, 40000, 0x002) && f["tcp.seq_raw"] == 1000);
    let syn_ack = frames.iter().position(|f| tcp(f, 8080, 0x012) && f["tcp.ack_raw"] == 1001);
    assert!(syn.is_some(), "our SYN was captured: {out}");
    assert!(syn_ack.is_some(), "the kernel answered SYN-ACK acknowledging seq+1: {out}");
    assert!(syn < syn_ack);
    // Our kernel never opened the connection, so it resets it: the exchange a port scanner sees.
    assert!(frames.iter().any(|f| tcp(f, 40000, 0x004)), "RST from the sender's kernel: {out}");
    drop(listener);
}

/// The frames of a classic pcap file (either timestamp precision, little- or big-endian).
fn pcap_frames(path: &Path) -> Vec<Vec<u8>> {
    let b = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(b.len() >= 24, "{}: no pcap header", path.display());
    let le = matches!(b[0..4], [0xd4, 0xc3, 0xb2, 0xa1] | [0x4d, 0x3c, 0xb2, 0xa1]);
    let u32_at = |i: usize| {
        let a: [u8; 4] = b[i..i + 4].try_into().unwrap();
        if le { u32::from_le_bytes(a) } else { u32::from_be_bytes(a) }
    };
    let mut out = Vec::new();
    let mut i = 24;
    while i + 16 <= b.len() {
        let incl = u32_at(i + 8) as usize;
        assert!(i + 16 + incl <= b.len(), "{}: record cut short", path.display());
        out.push(b[i + 16..i + 16 + incl].to_vec());
        i += 16 + incl;
    }
    assert_eq!(i, b.len(), "{}: trailing bytes", path.display());
    out
}

#[test]
fn capture_file_matches_tcpdump_and_tshark_reads_it_cleanly() {
    if !needs_root() || !require("tcpdump", have("tcpdump", "--version")) || !require("tshark", have("tshark", "--version")) {
        return;
    }
    let p = Pair::new("pcap", 6, false);
    // Jumbo frames: a 8000-byte datagram fits one frame, which pnet's default 4096-byte buffer
    // would cut silently.
    must(&["ip", "-n", &p.a, "link", "set", "nl0", "mtu", "9000"]);
    must(&["ip", "-n", &p.b, "link", "set", "nl1", "mtu", "9000"]);
    let dir = common::tmpdir("live-pcap");
    let ours = dir.join("netlayers.pcap");
    let theirs = dir.join("tcpdump.pcap");
    let ours_s = ours.display().to_string();
    let theirs_s = theirs.display().to_string();

    let mut td = p.cmd(&p.a, "tcpdump");
    // --immediate-mode: without it tcpdump may still hold the last frames in its buffer when
    // SIGINT arrives, and loses them.
    td.args(["-i", "nl0", "-U", "--immediate-mode", "-n", "-s", "262144", "-w", &theirs_s]);
    let mut tcpdump = start(td, "tcpdump");
    tcpdump.wait_for("listening on", Duration::from_secs(10));
    let cap = capture(&p, &p.a, &["-w", &ours_s, "-q", "--duration", "20"]);

    // Traffic of several kinds: ARP both ways, a UDP datagram in one jumbo frame, a whole TCP
    // connection with data, and one frame built by netlayers.
    let target = p.ip4(2);
    let (code, out, err) = run_for(
        p.netlayers(&p.a, &["arping", "-i", "nl0", &target, "-c", "1", "--timeout", "3"]),
        "netlayers arping",
        Duration::from_secs(15),
    );
    assert_eq!(code, Some(0), "{out} {err}");
    let rx = udp_receiver(&p, &p.b, &target, 9999);
    let script = format!(
        "import socket\n\
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n\
u.sendto(b'J' * 8000, ('{target}', 9999))\n"
    );
    let mut c = p.cmd(&p.a, "python3");
    c.args(["-c", &script]);
    let (code, _, err) = run_for(c, "python3 UDP sender", Duration::from_secs(10));
    assert_eq!(code, Some(0), "{err}");
    let (code, out, err) = rx.finish(Duration::from_secs(10));
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out.lines().next().map(str::len), Some(16000), "8000 bytes arrived");

    let server = format!(
        "import socket\n\
s = socket.socket()\n\
s.bind(('{target}', 7000))\n\
s.listen(1)\n\
s.settimeout(8)\n\
print('ready', flush=True)\n\
c, _ = s.accept()\n\
c.sendall(c.recv(100).upper())\n\
c.close()\n"
    );
    let mut srv = p.cmd(&p.b, "python3");
    srv.args(["-c", &server]);
    let mut srv = start(srv, "python3 TCP server");
    srv.wait_for("ready", Duration::from_secs(10));
    let client = format!(
        "import socket\n\
c = socket.create_connection(('{target}', 7000), timeout=8)\n\
c.sendall(b'hello over tcp')\n\
print(c.recv(100).decode(), flush=True)\n\
c.close()\n"
    );
    let mut cl = p.cmd(&p.a, "python3");
    cl.args(["-c", &client]);
    let (code, out, err) = run_for(cl, "python3 TCP client", Duration::from_secs(10));
    assert_eq!((code, out.trim()), (Some(0), "HELLO OVER TCP"), "{err}");
    let _ = srv.finish(Duration::from_secs(10));

    let (smac, dmac) = (p.mac(1), p.mac(2));
    let (src, dst) = (format!("{}:5000", p.ip4(1)), format!("{target}:5001"));
    let (code, out, err) = run_for(
        p.netlayers(&p.a, &["send", "-i", "nl0", "built by netlayers", "--udp", "--src", &src, "--dst", &dst, "--src-mac", &smac, "--dst-mac", &dmac]),
        "netlayers send",
        Duration::from_secs(15),
    );
    assert_eq!(code, Some(0), "{out} {err}");

    // Let the last frames (the peer's ICMP port unreachable for 5001, FIN/ACKs) arrive, then stop both.
    std::thread::sleep(Duration::from_millis(700));
    cap.signal("-INT");
    tcpdump.signal("-INT");
    let (code, _, err) = cap.finish(Duration::from_secs(10));
    assert_eq!(code, Some(0), "capture: {err}");
    let (code, _, err) = tcpdump.finish(Duration::from_secs(10));
    assert_eq!(code, Some(0), "tcpdump: {err}");

    let a = pcap_frames(&ours);
    let b = pcap_frames(&theirs);
    assert!(a.len() >= 12, "ARP ×2, UDP, TCP handshake/data/close, our UDP, ICMP: {} frames", a.len());
    assert!(a.iter().any(|f| f.len() == 14 + 20 + 8 + 8000), "the jumbo frame whole, not cut at 4096 bytes");
    assert_eq!(a.len(), b.len(), "same number of frames as tcpdump");
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        assert_eq!(x, y, "frame {} differs from tcpdump's", i + 1);
    }

    // tshark reads the file: every frame, nothing malformed, no error-level expert info.
    let o = sh(&["tshark", "-r", &ours_s, "-n", "-V"]);
    assert!(o.status.success(), "tshark: {}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(!text.contains("Malformed"), "malformed packet in {ours_s}");
    assert!(!text.contains("Expert Info (Error"), "error-level expert info in {ours_s}");
    assert_eq!(text.lines().filter(|l| l.starts_with("Frame ")).count(), a.len(), "tshark sees every frame");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A one-line error on stderr, exit code 2, containing every `needle`.
fn assert_error(out: &(Option<i32>, String, String), needles: &[&str]) {
    let (code, _, err) = out;
    assert_eq!(*code, Some(2), "exit code 2; stderr: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    for n in needles {
        assert!(err.contains(n), "{n:?} in {err}");
    }
}

#[test]
fn errors_name_the_interface_and_what_to_do() {
    if !needs_root() {
        return;
    }
    let p = Pair::new("err", 7, false);
    let t = Duration::from_secs(15);
    // Unknown interface: the ones that exist are listed (this namespace has exactly lo and nl0).
    let o = run_for(p.netlayers(&p.a, &["capture", "-i", "eth9", "-c", "1"]), "capture -i eth9", t);
    assert_error(&o, &["no interface named eth9", "lo", "nl0"]);
    let o = run_for(p.netlayers(&p.a, &["arping", "-i", "eth9", "10.99.7.2"]), "arping -i eth9", t);
    assert_error(&o, &["no interface named eth9", "nl0"]);
    let o = run_for(p.netlayers(&p.a, &["--lang", "zh", "capture", "-i", "eth9"]), "capture -i eth9 --lang zh", t);
    assert_error(&o, &["没有名为 eth9 的网络接口", "nl0"]);

    // `send` needs a destination, and a MAC for it.
    let o = run_for(p.netlayers(&p.a, &["send", "-i", "nl0", "hi"]), "send without --dst", t);
    assert_error(&o, &["send needs --dst"]);
    let o = run_for(
        p.netlayers(&p.a, &["send", "-i", "nl0", "hi", "--dst", "10.99.7.9:9", "--resolve-timeout", "0.3"]),
        "send to nobody",
        t,
    );
    assert_error(&o, &["no ARP reply from 10.99.7.9 on nl0", "--dst-mac"]);
    let o = run_for(p.netlayers(&p.a, &["send", "-i", "nl0", "hi", "--dst", "10.98.0.1:9"]), "send off-link", t);
    assert_error(&o, &["10.98.0.1 is not on nl0's networks (10.99.7.1/24)", "--dst-mac"]);
    let o = run_for(p.netlayers(&p.a, &["send", "-i", "eth9", "hi", "--dst", "10.99.7.2:9"]), "send -i eth9", t);
    assert_error(&o, &["no interface named eth9", "nl0"]);
    // A frame longer than the interface takes: say which limit and what to do.
    let big = "x".repeat(3000);
    let o = run_for(
        p.netlayers(&p.a, &["send", "-i", "nl0", &big, "--dst", "10.99.7.2:9", "--dst-mac", "02:00:00:00:00:02", "--mtu", "9000"]),
        "send over the MTU",
        t,
    );
    assert_error(&o, &["nl0: a frame of 3042 bytes", "MTU 1500", "--mtu"]);

    // Interface down.
    must(&["ip", "-n", &p.a, "link", "set", "nl0", "down"]);
    let o = run_for(p.netlayers(&p.a, &["capture", "-i", "nl0", "-c", "1"]), "capture on a down interface", t);
    assert_error(&o, &["nl0 is down", "ip link set nl0 up"]);
    must(&["ip", "-n", &p.a, "link", "set", "nl0", "up"]);

    // `ifaces` works without privilege and shows the namespace's interfaces.
    let (code, out, err) = run_for(p.netlayers(&p.a, &["ifaces", "--format", "json"]), "ifaces", t);
    assert_eq!(code, Some(0), "{err}");
    let nl0: serde_json::Value = out
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("NDJSON"))
        .find(|v| v["name"] == "nl0")
        .expect("nl0 listed");
    assert_eq!(nl0["mac"], p.mac(1).as_str());
    assert_eq!(nl0["mtu"], 1500);
    assert_eq!(nl0["up"], true);
    assert_eq!(nl0["addresses"][0], format!("{}/24", p.ip4(1)).as_str());

    // Without CAP_NET_RAW (dropped from the bounding set, so even root lacks it).
    if !require("capsh (libcap2-bin)", have("capsh", "--help")) {
        return;
    }
    for args in [format!("{BIN} capture -i nl0 -c 1"), format!("{BIN} arping -i nl0 10.99.7.2 -c 1")] {
        let mut c = p.cmd(&p.a, "capsh");
        c.args(["--drop=cap_net_raw", "--", "-c", &args]);
        let o = run_for(c, "netlayers without CAP_NET_RAW", t);
        assert_error(&o, &["nl0: permission denied", "sudo", "setcap cap_net_raw+ep"]);
    }
    let mut c = p.cmd(&p.a, "capsh");
    c.args(["--drop=cap_net_raw", "--", "-c", &format!("{BIN} ifaces")]);
    let (code, out, _) = run_for(c, "ifaces without CAP_NET_RAW", t);
    assert_eq!(code, Some(0));
    assert!(out.contains("nl0"), "{out}");
}

#[test]
fn loopback_capture_shows_each_packet_once() {
    if !needs_root() {
        return;
    }
    // The kernel gives a packet socket on `lo` every packet twice (leaving and arriving).
    let p = Pair::new("lo", 8, false);
    let (code, out, err) = capture_one_datagram_on_lo(&p, &["--format", "json"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("1 frame captured"), "{err}");
    let frames: Vec<serde_json::Value> = out.lines().map(|l| serde_json::from_str(l).expect("NDJSON")).collect();
    assert_eq!(frames.len(), 1, "one UDP datagram, one frame: {out}");
    // 14 (all-zero Ethernet header) + 20 (IPv4) + 8 (UDP) + 4.
    assert_eq!(frames[0]["frame.len"], 46);
}

/// Captures on `lo` in `p`'s first namespace (with `args`) while a kernel socket sends one
/// 4-byte UDP datagram to another there; what the capture printed once ended by SIGINT.
fn capture_one_datagram_on_lo(p: &Pair, args: &[&str]) -> (Option<i32>, String, String) {
    let mut all = vec!["capture", "-i", "lo", "--duration", "10"];
    all.extend(args);
    let mut cap = start(p.netlayers(&p.a, &all), "netlayers capture -i lo");
    cap.wait_for("capturing on", Duration::from_secs(10));
    let script = "import socket\n\
r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n\
r.bind(('127.0.0.1', 7777))\n\
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'once', ('127.0.0.1', 7777))\n\
print(r.recv(10).decode())\n";
    let mut c = p.cmd(&p.a, "python3");
    c.args(["-c", script]);
    let (code, out, err) = run_for(c, "python3 over lo", Duration::from_secs(10));
    assert_eq!((code, out.trim()), (Some(0), "once"), "{err}");
    std::thread::sleep(Duration::from_millis(500));
    cap.signal("-INT");
    cap.finish(Duration::from_secs(10))
}

/// `capture -e` as `tshark -i … -T fields -e`: only the asked fields, in the order asked.
#[test]
fn capture_prints_only_the_asked_fields() {
    if !needs_root() {
        return;
    }
    let p = Pair::new("lo-e", 9, false);
    let (code, out, err) = capture_one_datagram_on_lo(&p, &["-e", "udp.dstport", "-e", "frame.len", "-e", "tcp.srcport", "-e", "ip.src"]);
    assert_eq!(code, Some(0), "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines, ["{\"udp.dstport\":7777,\"frame.len\":46,\"ip.src\":\"127.0.0.1\"}"], "{err}");
}
