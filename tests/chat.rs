//! `netlayers chat` end to end: the real binary as server and clients, talking over real kernel
//! sockets, driven through piped standard input and read through piped standard output.
//!
//! - On loopback (no privilege needed): each test takes a free ephemeral port (bound to
//!   127.0.0.1:0 first, then released).
//! - Across a veth pair between two network namespaces made by the test (`nlc-<test>-<pid>-a/b`,
//!   10.98.N.0/24), with `--trace`: needs root, skipped without it except under CI (CI=true),
//!   where it fails. A guard deletes the namespaces by name however the test ends.
//!
//! Every wait has a deadline; every child is killed by its own handle if the test ends early.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_netlayers");
const T: Duration = Duration::from_secs(10);

fn free_port(udp: bool) -> u16 {
    if udp {
        std::net::UdpSocket::bind("127.0.0.1:0").and_then(|s| s.local_addr()).expect("free UDP port").port()
    } else {
        std::net::TcpListener::bind("127.0.0.1:0").and_then(|s| s.local_addr()).expect("free TCP port").port()
    }
}

fn netlayers(args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args);
    // Tests must not depend on the developer's locale or colour settings.
    c.env_remove("LANG").env_remove("LC_ALL").env_remove("LC_MESSAGES").env_remove("NO_COLOR");
    c
}

/// A running child: its stdin to write lines to, its output lines arriving on a channel (stdout
/// and stderr merged, in the order read), killed if dropped alive.
struct Running {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
    /// How many of `seen` were matched by `wait_for`: lines may arrive in another order than
    /// they are waited for (two clients typing at once), so unmatched ones stay searchable.
    used: Vec<bool>,
    what: String,
}

fn pump(r: impl Read + Send + 'static, tx: mpsc::Sender<String>) {
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
}

fn start(mut c: Command, what: &str) -> Running {
    c.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = c.spawn().unwrap_or_else(|e| panic!("{what}: {e}"));
    let (tx, rx) = mpsc::channel();
    pump(child.stdout.take().expect("stdout"), tx.clone());
    pump(child.stderr.take().expect("stderr"), tx);
    Running { stdin: child.stdin.take(), child, lines: rx, seen: Vec::new(), used: Vec::new(), what: what.to_string() }
}

impl Running {
    fn type_line(&mut self, line: &str) {
        let w = self.stdin.as_mut().expect("stdin still open");
        writeln!(w, "{line}").and_then(|_| w.flush()).unwrap_or_else(|e| panic!("{}: writing {line:?}: {e}", self.what));
    }

    fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Waits for an output line containing `needle` not matched before; returns it.
    fn wait_for(&mut self, needle: &str) -> String {
        let end = Instant::now() + T;
        loop {
            self.seen.extend(self.lines.try_iter());
            self.used.resize(self.seen.len(), false);
            if let Some(i) = (0..self.seen.len()).find(|&i| !self.used[i] && self.seen[i].contains(needle)) {
                self.used[i] = true;
                return self.seen[i].clone();
            }
            if let Ok(Some(st)) = self.child.try_wait() {
                std::thread::sleep(Duration::from_millis(50));
                self.seen.extend(self.lines.try_iter());
                if let Some(l) = self.seen.iter().find(|l| l.contains(needle)) {
                    return l.clone();
                }
                panic!("{} exited ({st}) before printing {needle:?}: {:#?}", self.what, self.seen);
            }
            if Instant::now() >= end {
                panic!("{} did not print {needle:?} within {T:?}: {:#?}", self.what, self.seen);
            }
            if let Ok(l) = self.lines.recv_timeout(Duration::from_millis(20)) {
                self.seen.push(l);
            }
        }
    }

    fn signal(&self, sig: &str) {
        let _ = Command::new("kill").args([sig, &self.child.id().to_string()]).status();
    }

    /// Waits (bounded) for the child to exit; its exit code and every line it printed. Its
    /// standard input stays open (closing it would be another way to end a client).
    fn finish(mut self) -> (Option<i32>, String) {
        let end = Instant::now() + T;
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
        std::thread::sleep(Duration::from_millis(100));
        self.seen.extend(self.lines.try_iter());
        let all = self.seen.join("\n");
        let Some(status) = status else { panic!("{} did not exit within {T:?}: {all}", self.what) };
        (status.code(), all)
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

fn serve(args: &[&str]) -> Running {
    let mut r = start(netlayers(&[&["chat", "serve"], args].concat()), "chat serve");
    r.wait_for(if args.contains(&"--udp") { "bound to" } else { "listening on" });
    r
}

fn connect(args: &[&str]) -> Running {
    let mut r = start(netlayers(&[&["chat", "connect"], args].concat()), "chat connect");
    r.wait_for(if args.contains(&"--udp") { "UDP socket" } else { "connected:" });
    r
}

fn run_with_input(c: &mut Command, input: &[u8]) -> Output {
    c.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = c.spawn().expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(input).expect("write stdin");
    drop(stdin);
    let end = Instant::now() + T;
    while child.try_wait().ok().flatten().is_none() {
        if Instant::now() >= end {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output().expect("output")
}

#[test]
fn tcp_messages_arrive_intact_both_ways_and_886_ends_both() {
    let port = free_port(false);
    let addr = format!("127.0.0.1:{port}");
    let mut s = serve(&["--bind", &addr, "--once"]);
    let mut c = connect(&[&addr]);
    let joined = s.wait_for("joined");
    let client_port = joined.trim_start_matches("(127.0.0.1, TCP, ").split(')').next().unwrap_or_default().to_string();
    assert!(client_port.parse::<u16>().is_ok(), "joined line names the client's triple: {joined}");
    let text = "hello, 世界 — tabs\tand \"quotes\"";
    c.type_line(text);
    let got = s.wait_for("hello, ");
    assert_eq!(got, format!("(127.0.0.1, TCP, {client_port}): hello, 世界 — tabs\\tand \"quotes\""), "escaped, otherwise intact");
    s.type_line("hi back 你好");
    assert_eq!(c.wait_for("hi back"), format!("(127.0.0.1, TCP, {port}): hi back 你好"));
    c.type_line("886");
    s.wait_for("said 886 and left");
    let (code, out) = c.finish();
    assert_eq!(code, Some(0), "client: {out}");
    assert!(out.contains("conversation ended"), "{out}");
    let (code, out) = s.finish();
    assert_eq!(code, Some(0), "server: {out}");
}

#[test]
fn several_clients_at_once_hear_the_server_and_886_from_the_server_ends_all() {
    let port = free_port(false);
    let addr = format!("127.0.0.1:{port}");
    let mut s = serve(&["--bind", &addr]);
    let mut c1 = connect(&[&addr]);
    let mut c2 = connect(&[&addr]);
    s.wait_for("joined");
    s.wait_for("joined");
    c1.type_line("from one");
    c2.type_line("from two");
    s.wait_for("from one");
    s.wait_for("from two");
    s.type_line("to everyone");
    c1.wait_for(&format!("(127.0.0.1, TCP, {port}): to everyone"));
    c2.wait_for(&format!("(127.0.0.1, TCP, {port}): to everyone"));
    // The first client's input ends: it closes, the server says it left and keeps serving.
    c1.close_stdin();
    let (code, out) = c1.finish();
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("end of input: closing the connection"), "{out}");
    let left = s.wait_for(" left");
    assert!(left.starts_with("(127.0.0.1, TCP, ") && !left.contains("886"), "{left}");
    s.type_line("still here");
    c2.wait_for("still here");
    s.type_line("886");
    c2.wait_for("the server said 886");
    let (code, out) = c2.finish();
    assert_eq!(code, Some(0), "{out}");
    let (code, out) = s.finish();
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("you said 886"), "{out}");
}

#[test]
fn piped_input_is_sent_and_its_end_closes_cleanly() {
    let port = free_port(false);
    let addr = format!("127.0.0.1:{port}");
    // The server's stdin is /dev/null: it must keep serving all the same.
    let mut sc = netlayers(&["chat", "serve", "--bind", &addr, "--once"]);
    sc.stdin(Stdio::null());
    let mut s = start(sc, "chat serve < /dev/null");
    s.stdin = None;
    s.wait_for("listening on");
    s.wait_for("standard input is closed: still serving");
    let o = run_with_input(&mut netlayers(&["chat", "connect", &addr]), b"line one\nline two\n");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    s.wait_for(": line one");
    s.wait_for(": line two");
    s.wait_for(" left");
    let (code, out) = s.finish();
    assert_eq!(code, Some(0), "--once: the server ends after its client: {out}");
}

#[test]
fn ctrl_c_ends_the_conversation_like_886() {
    let port = free_port(false);
    let addr = format!("127.0.0.1:{port}");
    let mut s = serve(&["--bind", &addr]);
    let c = connect(&[&addr]);
    s.wait_for("joined");
    c.signal("-INT");
    let (code, out) = c.finish();
    assert_eq!(code, Some(0), "{out}");
    s.wait_for("said 886 and left");
    s.signal("-INT");
    let (code, out) = s.finish();
    assert_eq!(code, Some(0), "{out}");
}

#[test]
fn udp_chat_works_and_886_ends_it() {
    let port = free_port(true);
    let addr = format!("127.0.0.1:{port}");
    let mut s = serve(&["--udp", "--bind", &addr, "--once"]);
    let mut c = connect(&["--udp", &addr]);
    c.type_line("datagram 一");
    let joined = s.wait_for("joined (its first datagram)");
    assert!(joined.starts_with("(127.0.0.1, UDP, "), "{joined}");
    s.wait_for(": datagram 一");
    s.type_line("reply");
    c.wait_for(&format!("(127.0.0.1, UDP, {port}): reply"));
    c.type_line("886");
    s.wait_for("said 886 and left");
    let (code, out) = c.finish();
    assert_eq!(code, Some(0), "{out}");
    let (code, out) = s.finish();
    assert_eq!(code, Some(0), "{out}");
}

#[test]
fn udp_to_a_tcp_port_is_the_tutorials_mistake_explained() {
    let port = free_port(false);
    let addr = format!("127.0.0.1:{port}");
    let s = serve(&["--bind", &addr]);
    for (lang, words) in [
        ("en", &["recv()", "connection refused", "ICMP \"port unreachable\"", "ECONNREFUSED", "TCP and UDP ports are separate"][..]),
        ("zh", &["连接被拒绝", "端口不可达", "ECONNREFUSED", "TCP 和 UDP 的端口是两套"][..]),
    ] {
        let mut c = netlayers(&["--lang", lang, "chat", "connect", "--udp", &addr]);
        // The first datagram draws the ICMP error; the second send() or the recv() reports it.
        let o = run_with_input(&mut c, b"hello\n");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        for w in words {
            assert!(err.contains(w), "{w:?} in {err}");
        }
        assert_eq!(err.lines().filter(|l| l.starts_with("netlayers: ")).count(), 1, "one error line: {err}");
    }
    drop(s);
}

#[test]
fn refused_and_in_use_say_what_they_mean() {
    let port = free_port(false);
    let addr = format!("127.0.0.1:{port}");
    let o = netlayers(&["chat", "connect", &addr]).stdin(Stdio::null()).output().expect("run");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2));
    assert!(err.contains(&format!("connect() (127.0.0.1, TCP, {port}): connection refused")) && err.contains("RST"), "{err}");
    let o = netlayers(&["--lang", "zh", "chat", "connect", &addr]).stdin(Stdio::null()).output().expect("run");
    assert!(String::from_utf8_lossy(&o.stderr).contains("连接被拒绝"));

    let holder = std::net::TcpListener::bind(&addr).expect("hold the port");
    let o = netlayers(&["chat", "serve", "--bind", &addr]).stdin(Stdio::null()).output().expect("run");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("address already in use") && err.contains("ss -ltnp"), "{err}");
    drop(holder);

    let o = netlayers(&["chat", "serve", "--bind", "192.0.2.77:9"]).stdin(Stdio::null()).output().expect("run");
    assert!(String::from_utf8_lossy(&o.stderr).contains("is not an address of this host"));
}

// ---------------------------------------------------------------------------------------------
// across namespaces, with --trace

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("Uid:")).map(|l| l.split_whitespace().nth(2) == Some("0")))
        .unwrap_or(false)
}

fn needs_root() -> bool {
    let ok = is_root() && Command::new("ip").arg("-V").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok();
    if !ok {
        assert!(!in_ci(), "this test needs root and iproute2, and CI=true: CI must run it");
        eprintln!("skipped: needs root and iproute2");
    }
    ok
}

fn sh(args: &[&str]) -> Output {
    Command::new(args[0]).args(&args[1..]).stdin(Stdio::null()).output().unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

fn must(args: &[&str]) {
    let o = sh(args);
    assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
}

/// Namespaces `a` (nl0, 10.98.N.1) and `b` (nl1, 10.98.N.2) joined by a veth pair; deleted by
/// name on drop, which removes the pair too.
struct Pair {
    a: String,
    b: String,
    n: u8,
}

impl Pair {
    fn new(test: &str, n: u8) -> Pair {
        let pid = std::process::id();
        let p = Pair { a: format!("nlc-{test}-{pid}-a"), b: format!("nlc-{test}-{pid}-b"), n };
        let _ = sh(&["ip", "netns", "del", &p.a]);
        let _ = sh(&["ip", "netns", "del", &p.b]);
        must(&["ip", "netns", "add", &p.a]);
        must(&["ip", "netns", "add", &p.b]);
        must(&["ip", "link", "add", "nl0", "netns", &p.a, "type", "veth", "peer", "name", "nl1", "netns", &p.b]);
        for (ns, dev, host) in [(&p.a, "nl0", 1), (&p.b, "nl1", 2)] {
            // No router solicitations or MLD reports in the trace: only the chat's frames.
            must(&["ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"]);
            must(&["ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1"]);
            must(&["ip", "-n", ns, "addr", "add", &format!("{}/24", p.ip(host)), "dev", dev]);
            must(&["ip", "-n", ns, "link", "set", "lo", "up"]);
            must(&["ip", "-n", ns, "link", "set", dev, "up"]);
        }
        p
    }
    fn ip(&self, host: u8) -> String {
        format!("10.98.{}.{host}", self.n)
    }
    fn netlayers(&self, ns: &str, args: &[&str]) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", ns, BIN]).args(args);
        c.env_remove("LANG").env_remove("LC_ALL").env_remove("LC_MESSAGES").env_remove("NO_COLOR");
        c
    }
}

impl Drop for Pair {
    fn drop(&mut self) {
        let _ = sh(&["ip", "netns", "del", &self.a]);
        let _ = sh(&["ip", "netns", "del", &self.b]);
    }
}

/// The trace lines (`[call] …`) of an output, in order.
fn trace(out: &str) -> Vec<&str> {
    out.lines().filter(|l| l.starts_with('[')).collect()
}

#[test]
fn trace_across_a_veth_pair_shows_handshake_data_and_close_with_their_calls() {
    if !needs_root() {
        return;
    }
    let p = Pair::new("tcp", 1);
    let addr = format!("{}:8081", p.ip(2));
    let mut s = start(p.netlayers(&p.b, &["chat", "serve", "--bind", &addr, "--once", "--trace"]), "chat serve --trace");
    s.wait_for("tracing on nl1");
    s.wait_for("listening on");
    let mut c = start(p.netlayers(&p.a, &["chat", "connect", "--trace", &addr]), "chat connect --trace");
    c.wait_for("tracing on nl0");
    c.wait_for("connected:");
    s.wait_for("joined");
    c.type_line("hi");
    s.wait_for(": hi");
    s.type_line("yo");
    c.wait_for(": yo");
    c.type_line("886");
    let (code, cout) = c.finish();
    assert_eq!(code, Some(0), "{cout}");
    let (code, sout) = s.finish();
    assert_eq!(code, Some(0), "{sout}");

    let (me, srv) = (p.ip(1), p.ip(2));
    let t = trace(&cout);
    // connect(): SYN, SYN-ACK, ACK, in that order, first.
    assert!(t.len() >= 3 + 2 + 2 + 1 + 3, "{cout}");
    assert!(t[0].starts_with(&format!("[connect()] {me}:")) && t[0].contains(&format!("→ {srv}:8081 TCP [SYN] Seq=0")), "{}", t[0]);
    assert!(t[1].starts_with(&format!("[connect()] {srv}:8081 → {me}:")) && t[1].contains("TCP [SYN, ACK] Seq=0 Ack=1"), "{}", t[1]);
    assert!(t[2].starts_with("[connect()]") && t[2].contains("TCP [ACK] Seq=1 Ack=1"), "{}", t[2]);
    // send("hi"): one segment, PSH, the payload with its newline.
    let sent: Vec<&&str> = t.iter().filter(|l| l.starts_with("[send(\"hi\\n\")]")).collect();
    assert_eq!(sent.len(), 1, "{cout}");
    assert!(sent[0].contains("[PSH, ACK]") && sent[0].contains("Len=3"), "{}", sent[0]);
    let got: Vec<&&str> = t.iter().filter(|l| l.starts_with("[recv() ← \"yo\\n\"]")).collect();
    assert_eq!(got.len(), 1, "{cout}");
    assert!(got[0].contains("[PSH, ACK]") && got[0].starts_with(&format!("[recv() ← \"yo\\n\"] {srv}:8081 → {me}:")), "{}", got[0]);
    // close(): FIN from each side, the last ACK, all labelled close(), after everything else.
    let first_close = t.iter().position(|l| l.starts_with("[close()]")).expect("close frames");
    let closing = &t[first_close..];
    assert!(closing.iter().all(|l| l.starts_with("[close()]")), "{closing:#?}");
    assert_eq!(closing.iter().filter(|l| l.contains("FIN")).count(), 2, "{closing:#?}");
    assert!(closing.last().is_some_and(|l| l.contains("TCP [ACK]")), "{closing:#?}");
    assert!(closing.iter().any(|l| l.starts_with(&format!("[close()] {me}:")) && l.contains("[FIN, ACK]")));
    assert!(closing.iter().any(|l| l.starts_with(&format!("[close()] {srv}:8081")) && l.contains("[FIN, ACK]")));
    // The server saw the same conversation from its side.
    let ts = trace(&sout);
    assert!(ts.iter().any(|l| l.starts_with("[recv() ← \"hi\\n\"]")), "{sout}");
    assert!(ts.iter().any(|l| l.starts_with("[send(\"yo\\n\")]")), "{sout}");
    assert_eq!(ts.iter().filter(|l| l.starts_with("[close()]") && l.contains("FIN")).count(), 2, "{sout}");

    // --detail: the full tree under each labelled line; the trace needs CAP_NET_RAW, the chat not.
    let mut s = start(p.netlayers(&p.b, &["chat", "serve", "--bind", &addr, "--once"]), "chat serve");
    s.wait_for("listening on");
    let o = run_with_input(&mut p.netlayers(&p.a, &["chat", "connect", "--trace", "-V", &addr]), b"hi\n");
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.contains("Transmission Control Protocol, Src Port: ") && out.contains("Internet Protocol Version 4"), "{out}");
    s.wait_for(" left");
    let (code, _) = s.finish();
    assert_eq!(code, Some(0));
    if Command::new("capsh").arg("--help").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok() {
        let mut s = start(p.netlayers(&p.b, &["chat", "serve", "--bind", &addr, "--once"]), "chat serve");
        s.wait_for("listening on");
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &p.a, "capsh", "--drop=cap_net_raw", "--", "-c", &format!("{BIN} chat connect --trace {addr}")]);
        c.env_remove("LANG").env_remove("LC_ALL");
        let o = run_with_input(&mut c, b"still works\n");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(0), "{err}");
        assert_eq!(err.matches("no trace").count(), 1, "said once: {err}");
        assert!(err.contains("setcap cap_net_raw+ep"), "{err}");
        s.wait_for(": still works");
        drop(s);
    } else {
        assert!(!in_ci(), "CI needs capsh (libcap2-bin)");
    }
}

#[test]
fn udp_trace_across_a_veth_pair_and_the_icmp_of_the_mistake() {
    if !needs_root() {
        return;
    }
    let p = Pair::new("udp", 2);
    let addr = format!("{}:8081", p.ip(2));
    let mut s = start(p.netlayers(&p.b, &["chat", "serve", "--udp", "--bind", &addr, "--once"]), "chat serve --udp");
    s.wait_for("bound to");
    let mut c = start(p.netlayers(&p.a, &["chat", "connect", "--udp", "--trace", &addr]), "chat connect --udp --trace");
    c.wait_for("UDP socket");
    c.type_line("hi");
    s.wait_for(": hi");
    s.type_line("yo");
    c.wait_for(": yo");
    c.type_line("886");
    let (code, out) = c.finish();
    assert_eq!(code, Some(0), "{out}");
    let (code, sout) = s.finish();
    assert_eq!(code, Some(0), "{sout}");
    let t = trace(&out);
    let (me, srv) = (p.ip(1), p.ip(2));
    assert!(t.iter().any(|l| l.starts_with(&format!("[sendto(\"hi\")] {me}:")) && l.ends_with(&format!("→ {srv}:8081 UDP Len=2"))), "{out}");
    assert!(t.iter().any(|l| l.starts_with(&format!("[recvfrom() ← \"yo\"] {srv}:8081 → {me}:"))), "{out}");
    assert!(t.iter().any(|l| l.starts_with("[sendto(\"886\")]")), "{out}");
    assert!(!t.iter().any(|l| l.contains("TCP")), "no connection, no handshake: {out}");

    // The tutorial's mistake: UDP to a TCP server's port.
    let mut s = start(p.netlayers(&p.b, &["chat", "serve", "--bind", &addr]), "chat serve (TCP)");
    s.wait_for("listening on");
    let o = run_with_input(&mut p.netlayers(&p.a, &["chat", "connect", "--udp", "--trace", &addr]), b"hello\n");
    let (out, err) = (String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert_eq!(o.status.code(), Some(2), "{out}\n{err}");
    let t = trace(&out);
    assert!(t.first().is_some_and(|l| l.starts_with("[sendto(\"hello\")]")), "{out}");
    let icmp = t.iter().find(|l| l.contains("ICMP")).unwrap_or_else(|| panic!("no ICMP in {out}"));
    assert!(icmp.contains("no socket on that port") && icmp.contains(&format!("{srv} → {me} ICMP Destination unreachable (Port unreachable)")), "{icmp}");
    assert!(err.contains("ECONNREFUSED") && err.contains("port unreachable"), "{err}");
    drop(s);
}
