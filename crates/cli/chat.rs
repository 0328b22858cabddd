//! `netlayers chat`: the sockets tutorial's line chat on real operating-system sockets (std::net),
//! with `--trace` showing each frame the socket calls put on the wire, as it passes.
//!
//! - TCP: `serve` listens and serves many clients at once (a thread reads each one); lines typed at
//!   the server go to every client. `connect` reads lines from standard input. "886" (or Ctrl-C,
//!   which types it for you) ends the conversation on both sides; end of input closes cleanly:
//!   shutdown(SHUT_WR) sends our FIN, then we wait for the peer's.
//! - UDP: no connection, one datagram per line; the server answers every peer it has heard from.
//!   UDP has no FIN, so "886" is the only way a peer can say it leaves.
//! - `--trace`: a packet socket ([`LiveCapture`]) on the interface whose address the socket uses
//!   (`lo` for 127.x), read in a background thread, filtered to the conversation's port. Without
//!   CAP_NET_RAW the chat still runs and says once why there is no trace.
//!
//! Standard output carries the conversation (messages, joins and leaves, traced frames), standard
//! error the status lines ("listening on …", "connected …") and warnings, so either can be piped.

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Write};
use std::net::{IpAddr, Shutdown, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Result};
use clap::{Args, Subcommand};
use netlayers_capture::live::{self, CaptureOptions, LiveCapture, LiveError};
use netlayers_core::{Frame, Lang, Layer, Value};
use netlayers_stack::{Dissection, Dissector};

use crate::args::Format;
use crate::frames::FrameOutput;
use crate::output::{Outcome, Ui};

/// The word that ends a conversation, as in the tutorial ("886" sounds like "bye-bye" in Chinese).
pub const BYE: &str = "886";

/// How long a closing side waits for the peer's FIN (or a UDP peer's ICMP error) before it gives up.
const CLOSE_WAIT: Duration = Duration::from_secs(3);
/// How long `connect()` may take before we say nobody answers.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// After the last socket call, the trace keeps reading this long so the last frames are shown.
const TRACE_DRAIN: Duration = Duration::from_millis(300);

/// `netlayers chat`
#[derive(Args, Debug)]
pub struct ChatArgs {
    #[command(subcommand)]
    pub mode: ChatMode,
}

#[derive(Subcommand, Debug)]
pub enum ChatMode {
    /// Wait for clients and chat with all of them (lines you type go to every client)
    #[command(after_help = "Examples:\n  netlayers chat serve                               TCP on 127.0.0.1:8081\n  \
netlayers chat serve --bind 0.0.0.0:9000           every address of this host, port 9000\n  \
netlayers chat serve --udp                         UDP: datagrams, no connection\n  \
sudo netlayers chat serve --trace                  and show each frame as it passes\n  \
netlayers chat serve --once < /dev/null            serve one client, then exit\n\n\
Type 886 (or press Ctrl-C) to end the conversation with every client.")]
    Serve(ServeArgs),
    /// Connect to a chat server and send it the lines you type (or pipe in)
    #[command(after_help = "Examples:\n  netlayers chat connect 127.0.0.1:8081\n  \
echo hello | netlayers chat connect 127.0.0.1:8081   send one line, close cleanly\n  \
sudo netlayers chat connect --trace 127.0.0.1:8081   SYN, SYN-ACK, ACK, each send(), the close\n  \
sudo netlayers chat connect --trace -V 127.0.0.1:8081   every header field of every frame\n  \
netlayers chat connect --udp 127.0.0.1:8081          UDP to a TCP server: the tutorial's mistake\n\n\
Type 886 (or press Ctrl-C) to end the conversation; end of input does the same.")]
    Connect(ConnectArgs),
}

/// What both ends share.
#[derive(Args, Debug, Clone)]
pub struct ChatCommon {
    /// UDP (SOCK_DGRAM) instead of TCP (SOCK_STREAM)
    #[arg(long)]
    pub udp: bool,
    /// Show each frame of the conversation as it passes, labelled with the socket call that caused it (needs CAP_NET_RAW)
    #[arg(long)]
    pub trace: bool,
    /// With --trace: every layer and field of each frame, not one line
    #[arg(short = 'V', long)]
    pub detail: bool,
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address and port to listen on: an address of this host, or 0.0.0.0 for all of them
    #[arg(long, value_name = "IP:PORT", default_value = "127.0.0.1:8081")]
    pub bind: SocketAddr,
    /// Exit when the first client has left (the tutorial's one-conversation server)
    #[arg(long)]
    pub once: bool,
    #[command(flatten)]
    pub common: ChatCommon,
}

#[derive(Args, Debug)]
pub struct ConnectArgs {
    /// The server's address and port
    #[arg(value_name = "IP:PORT")]
    pub server: SocketAddr,
    #[command(flatten)]
    pub common: ChatCommon,
}

pub fn run(a: &ChatArgs, ui: &Ui) -> Result<Outcome> {
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    // ctrlc allows one handler per process; `chat` never runs alongside `capture`, which sets its own.
    let _ = ctrlc::set_handler(move || s.store(true, Ordering::SeqCst));
    match &a.mode {
        ChatMode::Serve(s) if s.common.udp => udp_serve(s, ui, &stop),
        ChatMode::Serve(s) => tcp_serve(s, ui, &stop),
        ChatMode::Connect(c) if c.common.udp => udp_connect(c, ui, &stop),
        ChatMode::Connect(c) => tcp_connect(c, ui, &stop),
    }
}

// ---------------------------------------------------------------------------------------------
// words

fn t(lang: Lang, en: impl Into<String>, zh: impl Into<String>) -> String {
    match lang {
        Lang::En => en.into(),
        Lang::Zh => zh.into(),
    }
}

/// The tutorial's way of naming a process on a network: (IP address, protocol, port).
fn triple(a: SocketAddr, udp: bool) -> String {
    format!("({}, {}, {})", a.ip(), if udp { "UDP" } else { "TCP" }, a.port())
}

/// One line of the conversation on stdout, shown as soon as it happens.
fn say(line: &str) {
    let mut o = io::stdout().lock();
    // A closed stdout must not end the chat: the peer is still talking to us.
    let _ = writeln!(o, "{line}");
    let _ = o.flush();
}

fn status(line: &str) {
    eprintln!("{line}");
}

/// Text from the network, made safe for a terminal (no escape sequences, no control characters).
fn shown(s: &str) -> String {
    netlayers_core::escape::text(s).into_owned()
}

/// Why a socket call failed, in words a student can act on.
fn explain(e: &io::Error, call: &str, addr: SocketAddr, udp: bool, lang: Lang) -> String {
    let who = triple(addr, udp);
    let (ip, port) = (addr.ip(), addr.port());
    let ss = if udp { "ss -lunp" } else { "ss -ltnp" };
    match (e.kind(), e.raw_os_error()) {
        (io::ErrorKind::AddrInUse, _) => t(
            lang,
            format!("{call} {who}: address already in use: another socket already owns this (IP, protocol, port) triple, and the kernel gives each one to a single listener. Stop the other program (`{ss}` shows it) or pick another port with --bind {ip}:PORT"),
            format!("{call} {who}:地址已被占用:另一个套接字已经占有这个(IP,协议,端口)三元组,内核只把它交给一个监听者。请停止那个程序(用 `{ss}` 查看是谁),或用 --bind {ip}:其他端口 换一个端口"),
        ),
        (io::ErrorKind::AddrNotAvailable, _) => t(
            lang,
            format!("{call} {who}: {ip} is not an address of this host: a socket can only bind to the host's own addresses (see `netlayers ifaces`), or to 0.0.0.0 for all of them"),
            format!("{call} {who}:{ip} 不是本机的地址:套接字只能绑定本机自己的地址(见 `netlayers ifaces`),或用 0.0.0.0 表示全部地址"),
        ),
        (io::ErrorKind::PermissionDenied, _) if call.starts_with("bind") => t(
            lang,
            format!("{call} {who}: permission denied: ports below 1024 are reserved for root; use a port of 1024 or more"),
            format!("{call} {who}:权限不足:1024 以下的端口只有 root 能用;请换一个不小于 1024 的端口"),
        ),
        (io::ErrorKind::ConnectionRefused, _) if udp => t(
            lang,
            format!("{call}: connection refused: the datagram reached {ip}, but no UDP socket is bound to port {port} there, so its kernel answered with ICMP \"port unreachable\" (type 3, code 3). This socket is connected (connect() on UDP only records the peer), so the kernel hands that ICMP error to the application as ECONNREFUSED on its next recv() or send(). A TCP server on {port} does not help: TCP and UDP ports are separate, and the tutorial's client made exactly this mistake (SOCK_DGRAM against a SOCK_STREAM server). Use --udp on both sides or on neither"),
            format!("{call}:连接被拒绝:数据报到达了 {ip},但那里没有 UDP 套接字绑定端口 {port},于是对方内核回了一个 ICMP“端口不可达”(类型 3,代码 3)。这个套接字已经 connect() 过(对 UDP 来说 connect() 只是记下对方地址),所以内核在下一次 recv() 或 send() 时把这个 ICMP 错误以 ECONNREFUSED 交给应用程序。{port} 上有 TCP 服务器也没用:TCP 和 UDP 的端口是两套,教程里的客户端正是犯了这个错(用 SOCK_DGRAM 去连 SOCK_STREAM 的服务器)。请两端都用 --udp,或都不用"),
        ),
        (io::ErrorKind::ConnectionRefused, _) => t(
            lang,
            format!("{call} {who}: connection refused: the SYN reached {ip}, but no program listens on TCP port {port} there, so its kernel answered with RST. Start the server first (`netlayers chat serve --bind {addr}`), and check the port and TCP vs UDP"),
            format!("{call} {who}:连接被拒绝:SYN 到达了 {ip},但那里没有程序在 TCP 端口 {port} 上监听,于是对方内核回了 RST。请先启动服务器(`netlayers chat serve --bind {addr}`),并检查端口号以及 TCP/UDP 是否一致"),
        ),
        (_, Some(113)) | (_, Some(101)) | (io::ErrorKind::HostUnreachable, _) | (io::ErrorKind::NetworkUnreachable, _) => t(
            lang,
            format!("{call} {who}: host unreachable: the packet could not be delivered at all: no route to {ip} (`ip route get {ip}`), or {ip} is on the local network but nobody answered ARP for it (host down or wrong address)"),
            format!("{call} {who}:主机不可达:数据包根本送不出去:要么没有到 {ip} 的路由(用 `ip route get {ip}` 查看),要么 {ip} 就在本地网络上却没人回应 ARP(主机没开或地址写错)"),
        ),
        (io::ErrorKind::TimedOut, _) | (io::ErrorKind::WouldBlock, _) => t(
            lang,
            format!("{call} {who}: no answer within {} s: the SYN got neither SYN-ACK nor RST, so the host is down or a firewall silently drops it", CONNECT_TIMEOUT.as_secs()),
            format!("{call} {who}:{} 秒内没有回应:SYN 既没换来 SYN-ACK 也没换来 RST,可能主机已关机,或防火墙悄悄丢弃了它", CONNECT_TIMEOUT.as_secs()),
        ),
        (io::ErrorKind::ConnectionReset, _) => t(
            lang,
            format!("{call} {who}: connection reset: the peer's kernel sent RST, so its program ended without closing the connection normally"),
            format!("{call} {who}:连接被重置:对方内核发来了 RST,说明对方程序没有正常关闭连接就结束了"),
        ),
        _ => t(lang, format!("{call} {who}: {e}"), format!("{call} {who}:{e}")),
    }
}

// ---------------------------------------------------------------------------------------------
// events: every thread reports to the main loop, which alone decides when to end

enum Ev {
    Stdin(String),
    StdinEof,
    /// TCP server: a client was accepted.
    Joined(u64, SocketAddr, TcpStream),
    /// A line from a TCP client (server side) or from the server (client side, id 0).
    Line(u64, String),
    /// The peer closed its side (FIN), or reading failed.
    Gone(u64, Option<io::Error>),
    /// UDP: a datagram and who sent it.
    Dgram(SocketAddr, String),
}

fn read_stdin(tx: mpsc::Sender<Ev>) {
    std::thread::spawn(move || {
        let mut r = io::stdin().lock();
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match r.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => {
                    let _ = tx.send(Ev::StdinEof);
                    return;
                }
                Ok(_) => {
                    let line = String::from_utf8_lossy(&buf).trim_end_matches(['\n', '\r']).to_string();
                    if tx.send(Ev::Stdin(line)).is_err() {
                        return;
                    }
                }
            }
        }
    });
}

/// Reads newline-framed lines from a TCP stream: TCP is a byte stream with no message boundaries,
/// so the newline is what marks where one message ends.
fn read_lines(id: u64, s: TcpStream, tx: mpsc::Sender<Ev>) {
    std::thread::spawn(move || {
        let mut r = BufReader::new(s);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match r.read_until(b'\n', &mut buf) {
                Ok(0) => {
                    let _ = tx.send(Ev::Gone(id, None));
                    return;
                }
                Ok(_) => {
                    let line = String::from_utf8_lossy(&buf).trim_end_matches(['\n', '\r']).to_string();
                    let _ = tx.send(Ev::Line(id, line));
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let _ = tx.send(Ev::Gone(id, Some(e)));
                    return;
                }
            }
        }
    });
}

/// The next event, or `None` every 50 ms so the caller can look at the Ctrl-C flag.
fn next(rx: &mpsc::Receiver<Ev>) -> Option<Ev> {
    rx.recv_timeout(Duration::from_millis(50)).ok()
}

// ---------------------------------------------------------------------------------------------
// TCP

fn tcp_serve(a: &ServeArgs, ui: &Ui, stop: &AtomicBool) -> Result<Outcome> {
    let lang = ui.lang;
    let me = a.bind;
    // The trace starts before bind(): nothing the socket does is missed.
    let tracer = a.common.trace.then(|| Tracer::start(me.ip(), me.port(), false, true, &a.common, ui)).flatten();
    let listener = TcpListener::bind(me).map_err(|e| anyhow!(explain(&e, "bind()", me, false, lang)))?;
    let me = listener.local_addr().unwrap_or(me);
    status(&t(
        lang,
        format!("listening on {}: socket(), bind(), listen() done; waiting in accept(). Type lines to send them to every client, 886 or Ctrl-C to end", triple(me, false)),
        format!("正在 {} 上监听:socket()、bind()、listen() 已完成,正在 accept() 中等待。输入的每一行会发给所有客户端,输入 886 或按 Ctrl-C 结束", triple(me, false)),
    ));
    let (tx, rx) = mpsc::channel();
    {
        let tx = tx.clone();
        std::thread::spawn(move || {
            let mut id = 0u64;
            for s in listener.incoming() {
                let Ok(s) = s else { continue };
                let Ok(peer) = s.peer_addr() else { continue };
                id += 1;
                if tx.send(Ev::Joined(id, peer, s)).is_err() {
                    return;
                }
            }
        });
    }
    read_stdin(tx.clone());
    let mut clients: HashMap<u64, (SocketAddr, TcpStream)> = HashMap::new();
    // Clients we said goodbye to and whose FIN we still wait for.
    let mut closing: HashMap<u64, SocketAddr> = HashMap::new();
    let mut served = 0u64;
    let mut ending: Option<Instant> = None;
    loop {
        if stop.swap(false, Ordering::SeqCst) && ending.is_none() {
            let _ = tx.send(Ev::Stdin(BYE.to_string()));
        }
        if let Some(since) = ending {
            if closing.is_empty() || since.elapsed() > CLOSE_WAIT {
                break;
            }
        }
        if a.once && served > 0 && clients.is_empty() && closing.is_empty() {
            break;
        }
        let Some(ev) = next(&rx) else { continue };
        match ev {
            Ev::Joined(id, peer, s) => {
                if ending.is_some() {
                    continue;
                }
                served += 1;
                say(&t(lang, format!("{} joined", triple(peer, false)), format!("{} 加入了", triple(peer, false))));
                match s.try_clone() {
                    Ok(r) => read_lines(id, r, tx.clone()),
                    Err(_) => continue,
                }
                clients.insert(id, (peer, s));
            }
            Ev::Line(id, line) => {
                let Some((peer, s)) = clients.get(&id) else { continue };
                let peer = *peer;
                say(&format!("{}: {}", triple(peer, false), shown(&line)));
                if line.trim() == BYE {
                    say(&t(lang, format!("{} said 886 and left", triple(peer, false)), format!("{} 说了 886,离开了", triple(peer, false))));
                    // Our FIN; the reader thread sees theirs and reports Gone.
                    let _ = s.shutdown(Shutdown::Write);
                    clients.remove(&id);
                    closing.insert(id, peer);
                }
            }
            Ev::Gone(id, err) => {
                if closing.remove(&id).is_some() {
                    continue;
                }
                let Some((peer, s)) = clients.remove(&id) else { continue };
                let _ = s.shutdown(Shutdown::Write);
                let why = match &err {
                    Some(e) => format!(": {}", explain(e, "recv()", peer, false, lang)),
                    None => String::new(),
                };
                say(&t(lang, format!("{} left{why}", triple(peer, false)), format!("{} 离开了{why}", triple(peer, false))));
            }
            Ev::Stdin(line) => {
                if ending.is_some() {
                    continue;
                }
                let msg = format!("{line}\n");
                for (peer, s) in clients.values() {
                    if let Err(e) = (&*s).write_all(msg.as_bytes()) {
                        status(&explain(&e, "send()", *peer, false, lang));
                    }
                }
                if line.trim() == BYE {
                    say(&t(lang, "you said 886: ending the conversation with every client", "你说了 886:结束与所有客户端的对话"));
                    for (id, (peer, s)) in clients.drain() {
                        let _ = s.shutdown(Shutdown::Write);
                        closing.insert(id, peer);
                    }
                    ending = Some(Instant::now());
                }
            }
            Ev::StdinEof => {
                if ending.is_none() {
                    status(&t(
                        lang,
                        "standard input is closed: still serving the clients (886 from a client ends its conversation, Ctrl-C ends all)",
                        "标准输入已关闭:继续为客户端服务(客户端发 886 结束它自己的对话,按 Ctrl-C 结束全部)",
                    ));
                }
            }
            Ev::Dgram(..) => {}
        }
    }
    if let Some(tr) = tracer {
        tr.finish();
    }
    status(&t(lang, "conversation ended", "对话结束"));
    Ok(Outcome::Success)
}

fn tcp_connect(a: &ConnectArgs, ui: &Ui, stop: &AtomicBool) -> Result<Outcome> {
    let lang = ui.lang;
    let server = a.server;
    let tracer = a.common.trace.then(|| Tracer::start(route_source(server), server.port(), false, false, &a.common, ui)).flatten();
    let result = tcp_talk(a, ui, stop, tracer.as_ref());
    if let Some(tr) = tracer {
        tr.finish();
    }
    if result.is_ok() {
        status(&t(lang, "conversation ended", "对话结束"));
    }
    result
}

fn tcp_talk(a: &ConnectArgs, ui: &Ui, stop: &AtomicBool, tracer: Option<&Tracer>) -> Result<Outcome> {
    let lang = ui.lang;
    let server = a.server;
    let s = TcpStream::connect_timeout(&server, CONNECT_TIMEOUT).map_err(|e| anyhow!(explain(&e, "connect()", server, false, lang)))?;
    let me = s.local_addr()?;
    if let Some(tr) = tracer {
        tr.local_port.store(me.port(), Ordering::SeqCst);
    }
    status(&t(
        lang,
        format!("connected: {} → {} (the kernel picked port {} for us). Type lines, 886 or Ctrl-C ends", triple(me, false), triple(server, false), me.port()),
        format!("已连接:{} → {}(内核为我们选了端口 {})。请输入文字,输入 886 或按 Ctrl-C 结束", triple(me, false), triple(server, false), me.port()),
    ));
    let (tx, rx) = mpsc::channel();
    read_lines(0, s.try_clone()?, tx.clone());
    read_stdin(tx.clone());
    let mut closing: Option<Instant> = None;
    let mut peer_closed = false;
    loop {
        if stop.swap(false, Ordering::SeqCst) && closing.is_none() {
            let _ = tx.send(Ev::Stdin(BYE.to_string()));
        }
        if let Some(since) = closing {
            if peer_closed || since.elapsed() > CLOSE_WAIT {
                return Ok(Outcome::Success);
            }
        }
        let Some(ev) = next(&rx) else { continue };
        match ev {
            Ev::Stdin(line) if closing.is_none() => {
                (&s).write_all(format!("{line}\n").as_bytes()).map_err(|e| anyhow!(explain(&e, "send()", server, false, lang)))?;
                if line.trim() == BYE {
                    // Half-close: our FIN says "no more from me", and we keep reading until theirs.
                    let _ = s.shutdown(Shutdown::Write);
                    closing = Some(Instant::now());
                }
            }
            Ev::StdinEof if closing.is_none() => {
                status(&t(lang, "end of input: closing the connection", "输入结束:正在关闭连接"));
                let _ = s.shutdown(Shutdown::Write);
                closing = Some(Instant::now());
            }
            Ev::Line(_, line) => {
                say(&format!("{}: {}", triple(server, false), shown(&line)));
                if line.trim() == BYE && closing.is_none() {
                    say(&t(lang, "the server said 886: closing", "服务器说了 886:正在关闭"));
                    let _ = s.shutdown(Shutdown::Write);
                    closing = Some(Instant::now());
                }
            }
            Ev::Gone(_, None) => {
                if closing.is_none() {
                    say(&t(lang, "the server closed the connection", "服务器关闭了连接"));
                    let _ = s.shutdown(Shutdown::Write);
                    closing = Some(Instant::now());
                }
                peer_closed = true;
            }
            Ev::Gone(_, Some(e)) => return Err(anyhow!(explain(&e, "recv()", server, false, lang))),
            _ => {}
        }
    }
}

// ---------------------------------------------------------------------------------------------
// UDP

fn udp_serve(a: &ServeArgs, ui: &Ui, stop: &AtomicBool) -> Result<Outcome> {
    let lang = ui.lang;
    let me = a.bind;
    let tracer = a.common.trace.then(|| Tracer::start(me.ip(), me.port(), true, true, &a.common, ui)).flatten();
    let sock = UdpSocket::bind(me).map_err(|e| anyhow!(explain(&e, "bind()", me, true, lang)))?;
    let me = sock.local_addr().unwrap_or(me);
    status(&t(
        lang,
        format!("bound to {}: socket(), bind() done; waiting in recvfrom(). UDP has no connections: a peer exists once it sends a datagram. Type lines to send them to every peer, 886 or Ctrl-C to end", triple(me, true)),
        format!("已绑定 {}:socket()、bind() 已完成,正在 recvfrom() 中等待。UDP 没有连接:对方发来数据报才算出现。输入的每一行会发给所有对方,输入 886 或按 Ctrl-C 结束", triple(me, true)),
    ));
    let (tx, rx) = mpsc::channel();
    {
        let tx = tx.clone();
        let r = sock.try_clone()?;
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 65536];
            loop {
                match r.recv_from(&mut buf) {
                    Ok((n, from)) => {
                        let text = String::from_utf8_lossy(buf.get(..n).unwrap_or_default()).trim_end_matches(['\n', '\r']).to_string();
                        if tx.send(Ev::Dgram(from, text)).is_err() {
                            return;
                        }
                    }
                    // An unconnected socket gets no ICMP errors on Linux; anything else is transient.
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
    }
    read_stdin(tx.clone());
    // In the order they first spoke: the last one is who the tutorial's server would answer.
    let mut peers: Vec<SocketAddr> = Vec::new();
    let mut served = false;
    loop {
        if stop.swap(false, Ordering::SeqCst) {
            let _ = tx.send(Ev::Stdin(BYE.to_string()));
        }
        if a.once && served && peers.is_empty() {
            break;
        }
        let Some(ev) = next(&rx) else { continue };
        match ev {
            Ev::Dgram(from, text) => {
                if !peers.contains(&from) {
                    peers.push(from);
                    served = true;
                    say(&t(lang, format!("{} joined (its first datagram)", triple(from, true)), format!("{} 加入了(收到它的第一个数据报)", triple(from, true))));
                }
                say(&format!("{}: {}", triple(from, true), shown(&text)));
                if text.trim() == BYE {
                    peers.retain(|p| *p != from);
                    say(&t(lang, format!("{} said 886 and left", triple(from, true)), format!("{} 说了 886,离开了", triple(from, true))));
                }
            }
            Ev::Stdin(line) => {
                if peers.is_empty() && line.trim() != BYE {
                    status(&t(lang, "no one to send to yet: a UDP server learns a peer's address from its first datagram", "还没有可发送的对象:UDP 服务器要从对方的第一个数据报里才知道它的地址"));
                }
                for p in &peers {
                    if let Err(e) = sock.send_to(line.as_bytes(), p) {
                        status(&explain(&e, "sendto()", *p, true, lang));
                    }
                }
                if line.trim() == BYE {
                    say(&t(lang, "you said 886: ending the conversation with every peer", "你说了 886:结束与所有对方的对话"));
                    break;
                }
            }
            Ev::StdinEof => status(&t(
                lang,
                "standard input is closed: still serving (886 from a peer ends its conversation, Ctrl-C ends all)",
                "标准输入已关闭:继续服务(对方发 886 结束它自己的对话,按 Ctrl-C 结束全部)",
            )),
            _ => {}
        }
    }
    if let Some(tr) = tracer {
        tr.finish();
    }
    status(&t(lang, "conversation ended", "对话结束"));
    Ok(Outcome::Success)
}

fn udp_connect(a: &ConnectArgs, ui: &Ui, stop: &AtomicBool) -> Result<Outcome> {
    let lang = ui.lang;
    let server = a.server;
    let tracer = a.common.trace.then(|| Tracer::start(route_source(server), server.port(), true, false, &a.common, ui)).flatten();
    let result = udp_talk(a, ui, stop, tracer.as_ref());
    if let Some(tr) = tracer {
        tr.finish();
    }
    if result.is_ok() {
        status(&t(lang, "conversation ended", "对话结束"));
    }
    result
}

fn udp_talk(a: &ConnectArgs, ui: &Ui, stop: &AtomicBool, tracer: Option<&Tracer>) -> Result<Outcome> {
    let lang = ui.lang;
    let server = a.server;
    let any: SocketAddr = if server.is_ipv6() { "[::]:0".parse()? } else { "0.0.0.0:0".parse()? };
    let sock = UdpSocket::bind(any).map_err(|e| anyhow!(explain(&e, "bind()", any, true, lang)))?;
    sock.connect(server).map_err(|e| anyhow!(explain(&e, "connect()", server, true, lang)))?;
    let me = sock.local_addr()?;
    if let Some(tr) = tracer {
        tr.local_port.store(me.port(), Ordering::SeqCst);
    }
    status(&t(
        lang,
        format!("UDP socket {} → {}: connect() on UDP sends nothing, it only records the peer. Each line you type is one datagram; 886 or Ctrl-C ends", triple(me, true), triple(server, true)),
        format!("UDP 套接字 {} → {}:对 UDP 调用 connect() 不发送任何数据,只是记下对方地址。你输入的每一行就是一个数据报;输入 886 或按 Ctrl-C 结束", triple(me, true), triple(server, true)),
    ));
    let (tx, rx) = mpsc::channel();
    {
        let tx = tx.clone();
        let r = sock.try_clone()?;
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 65536];
            loop {
                match r.recv(&mut buf) {
                    Ok(n) => {
                        let text = String::from_utf8_lossy(buf.get(..n).unwrap_or_default()).trim_end_matches(['\n', '\r']).to_string();
                        if tx.send(Ev::Line(0, text)).is_err() {
                            return;
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        let _ = tx.send(Ev::Gone(0, Some(e)));
                        return;
                    }
                }
            }
        });
    }
    read_stdin(tx.clone());
    let refused = |e: &io::Error, call: &str| anyhow!(explain(e, call, server, true, lang));
    // After our 886 a UDP socket has nothing to wait for but a possible ICMP error for it.
    let mut closing: Option<Instant> = None;
    loop {
        if stop.swap(false, Ordering::SeqCst) && closing.is_none() {
            let _ = tx.send(Ev::Stdin(BYE.to_string()));
        }
        if closing.is_some_and(|since| since.elapsed() > Duration::from_millis(500)) {
            return Ok(Outcome::Success);
        }
        let Some(ev) = next(&rx) else { continue };
        match ev {
            Ev::Stdin(line) if closing.is_none() => {
                // UDP keeps message boundaries: one datagram per line, no newline needed.
                sock.send(line.as_bytes()).map_err(|e| refused(&e, "send()"))?;
                if line.trim() == BYE {
                    closing = Some(Instant::now());
                }
            }
            Ev::StdinEof if closing.is_none() => {
                status(&t(
                    lang,
                    "end of input: UDP has no FIN, so we send 886 to tell the server we leave",
                    "输入结束:UDP 没有 FIN,所以我们发送 886 告诉服务器我们要离开",
                ));
                sock.send(BYE.as_bytes()).map_err(|e| refused(&e, "send()"))?;
                closing = Some(Instant::now());
            }
            Ev::Line(_, text) => {
                say(&format!("{}: {}", triple(server, true), shown(&text)));
                if text.trim() == BYE {
                    say(&t(lang, "the server said 886: ending", "服务器说了 886:结束"));
                    return Ok(Outcome::Success);
                }
            }
            Ev::Gone(_, Some(e)) => return Err(refused(&e, "recv()")),
            _ => {}
        }
    }
}

// ---------------------------------------------------------------------------------------------
// --trace

/// The source address the kernel would use to reach `peer`: a UDP connect() picks the route
/// without sending anything. `None` when there is no route (connect() will then say why).
fn route_source(peer: SocketAddr) -> IpAddr {
    let any: SocketAddr = if peer.is_ipv6() { SocketAddr::from(([0u16; 8], 0)) } else { SocketAddr::from(([0u8; 4], 0)) };
    UdpSocket::bind(any)
        .and_then(|s| s.connect(peer).and_then(|_| s.local_addr()))
        .map(|a| a.ip())
        .unwrap_or(any.ip())
}

/// The interfaces a socket on `ip` sends and receives on: the one holding the address, loopback
/// for 127.x and ::1, every interface that is up for 0.0.0.0.
fn interfaces_for(ip: IpAddr) -> Vec<String> {
    let all = live::list_interfaces();
    let up = all.iter().filter(|i| i.up);
    if ip.is_unspecified() {
        return up.map(|i| i.name.clone()).collect();
    }
    let exact: Vec<String> = up.clone().filter(|i| i.addrs.iter().any(|a| a.ip == ip)).map(|i| i.name.clone()).collect();
    if !exact.is_empty() {
        return exact;
    }
    if ip.is_loopback() {
        return up.filter(|i| i.loopback).map(|i| i.name.clone()).collect();
    }
    Vec::new()
}

/// Background capture threads, one per interface, printing the conversation's frames.
struct Tracer {
    stop: Arc<AtomicBool>,
    /// The client's own port once connect() returned (0 before): frames of other clients of the
    /// same server are then left out.
    local_port: Arc<AtomicU16>,
    threads: Vec<JoinHandle<()>>,
}

impl Tracer {
    fn start(ip: IpAddr, port: u16, udp: bool, server: bool, c: &ChatCommon, ui: &Ui) -> Option<Tracer> {
        let lang = ui.lang;
        let names = interfaces_for(ip);
        if names.is_empty() {
            status(&t(lang, format!("--trace: no interface has the address {ip}; chatting without a trace"), format!("--trace:没有接口拥有地址 {ip};本次对话不显示抓包")));
            return None;
        }
        let stop = Arc::new(AtomicBool::new(false));
        let local_port = Arc::new(AtomicU16::new(0));
        let mut threads = Vec::new();
        let opts = CaptureOptions { promiscuous: false, read_timeout: Duration::from_millis(50), ..CaptureOptions::default() };
        for name in &names {
            let cap = match LiveCapture::open(name, opts) {
                Ok(cap) => cap,
                Err(e @ LiveError::PermissionDenied { .. }) => {
                    // Said once: the same reason holds for every interface.
                    status(&t(
                        lang,
                        format!("--trace: no trace, the chat works without it. {}", e.message(lang)),
                        format!("--trace:无法显示抓包,但对话照常进行。{}", e.message(lang)),
                    ));
                    stop.store(true, Ordering::SeqCst);
                    break;
                }
                Err(e) => {
                    status(&format!("--trace: {}", e.message(lang)));
                    continue;
                }
            };
            let shown_name = netlayers_core::escape::text(name).into_owned();
            status(&t(
                lang,
                format!("tracing on {shown_name}: {} port {port}", if udp { "UDP" } else { "TCP" }),
                format!("正在 {shown_name} 上跟踪:{} 端口 {port}", if udp { "UDP" } else { "TCP" }),
            ));
            let mut labeler = Labeler::new(port, udp, server, lang);
            let (stop, local_port) = (stop.clone(), local_port.clone());
            let show = FrameOutput::new(Format::Table, c.detail, false, false, ui);
            let detail = c.detail;
            threads.push(std::thread::spawn(move || trace_loop(cap, &stop, &local_port, &mut labeler, &show, detail)));
        }
        if threads.is_empty() {
            return None;
        }
        Some(Tracer { stop, local_port, threads })
    }

    /// Lets the last frames of the conversation through, then stops every thread.
    fn finish(self) {
        std::thread::sleep(TRACE_DRAIN);
        self.stop.store(true, Ordering::SeqCst);
        for th in self.threads {
            let _ = th.join();
        }
    }
}

fn trace_loop(mut cap: LiveCapture, stop: &AtomicBool, local_port: &AtomicU16, labeler: &mut Labeler, show: &FrameOutput, detail: bool) {
    let mut dissector = Dissector::new();
    let mut number = 0u64;
    let mut buf = Vec::new();
    loop {
        let frame = match cap.next_frame() {
            Ok(Some(f)) => f,
            // A read timeout with nothing pending: only now may we stop, so nothing queued is lost.
            Ok(None) if stop.load(Ordering::SeqCst) => return,
            Ok(None) => continue,
            Err(e) => {
                status(&format!("--trace: {}", e.message(labeler.lang)));
                return;
            }
        };
        let d = dissector.dissect(&frame);
        let Some(p) = Packet::of(&d, &frame.data) else { continue };
        if !labeler.wants(&p, local_port.load(Ordering::SeqCst)) {
            continue;
        }
        number += 1;
        let label = labeler.label(&p);
        buf.clear();
        buf.extend_from_slice(format!("[{label}] {}\n", brief(&p, &d)).as_bytes());
        if detail {
            let f = Frame { number, ..frame };
            let d = Dissection { number, ..d };
            show.frame(&mut buf, &d, &f.data);
        }
        let mut o = io::stdout().lock();
        let _ = o.write_all(&buf);
        let _ = o.flush();
    }
}

/// What labelling needs of one decoded frame.
#[derive(Debug, Clone, Default, PartialEq)]
struct Packet {
    src: Option<IpAddr>,
    dst: Option<IpAddr>,
    /// Ports of the frame's own TCP or UDP header.
    ports: Option<(u16, u16)>,
    udp: bool,
    tcp_flags: u64,
    payload: Vec<u8>,
    /// ICMP or ICMPv6 error (type, code) and the ports of the packet it quotes.
    icmp: Option<(u64, u64)>,
    quoted_ports: Option<(u16, u16)>,
    quoted_udp: bool,
}

fn num(l: &Layer, key: &str) -> Option<u64> {
    l.find(key).and_then(|f| f.value.as_u64())
}

fn port_pair(l: &Layer) -> Option<((u16, u16), bool)> {
    let (s, d, udp) = match l.protocol {
        "tcp" => ("tcp.srcport", "tcp.dstport", false),
        "udp" => ("udp.srcport", "udp.dstport", true),
        _ => return None,
    };
    Some(((u16::try_from(num(l, s)?).ok()?, u16::try_from(num(l, d)?).ok()?), udp))
}

impl Packet {
    fn of(d: &Dissection, data: &[u8]) -> Option<Packet> {
        let mut p = Packet::default();
        for l in &d.layers {
            if l.depth == 0 {
                match l.protocol {
                    "ip" | "ipv6" => {
                        let key = |k: &str| format!("{}.{k}", l.protocol);
                        let ip = |k: &str| match l.find(&key(k)).map(|f| &f.value) {
                            Some(Value::Ipv4(a)) => Some(IpAddr::V4(*a)),
                            Some(Value::Ipv6(a)) => Some(IpAddr::V6(*a)),
                            _ => None,
                        };
                        p.src = ip("src");
                        p.dst = ip("dst");
                    }
                    "tcp" | "udp" => {
                        let (ports, udp) = port_pair(l)?;
                        p.ports = Some(ports);
                        p.udp = udp;
                        let len = if udp { num(l, "udp.length").unwrap_or(8).saturating_sub(8) } else { num(l, "tcp.len").unwrap_or(0) };
                        p.tcp_flags = if udp { 0 } else { num(l, "tcp.flags").unwrap_or(0) };
                        let start = l.range.end;
                        let end = start.saturating_add(usize::try_from(len).unwrap_or(0)).min(data.len());
                        p.payload = data.get(start..end).unwrap_or_default().to_vec();
                    }
                    "icmp" | "icmpv6" => {
                        let k = |f: &str| format!("{}.{f}", l.protocol);
                        p.icmp = Some((num(l, &k("type")).unwrap_or(0), num(l, &k("code")).unwrap_or(0)));
                    }
                    _ => {}
                }
            } else if p.quoted_ports.is_none() {
                if let Some((ports, udp)) = port_pair(l) {
                    p.quoted_ports = Some(ports);
                    p.quoted_udp = udp;
                }
            }
        }
        (p.ports.is_some() || p.quoted_ports.is_some()).then_some(p)
    }
}

/// TCP flag bits in `tcp.flags`.
mod flag {
    pub const FIN: u64 = 0x001;
    pub const SYN: u64 = 0x002;
    pub const RST: u64 = 0x004;
    pub const ACK: u64 = 0x010;
}

#[derive(Debug, Default, Clone, Copy)]
struct Conn {
    syn_ack: bool,
    established: bool,
    fin: bool,
}

/// Names the socket call behind each frame of one conversation, following each connection
/// through handshake, data and close.
struct Labeler {
    /// The server's port: frames from it come from the server side.
    port: u16,
    udp: bool,
    /// Whether this process is the server (its frames are "ours").
    server: bool,
    lang: Lang,
    conns: HashMap<u16, Conn>,
}

impl Labeler {
    fn new(port: u16, udp: bool, server: bool, lang: Lang) -> Labeler {
        Labeler { port, udp, server, lang, conns: HashMap::new() }
    }

    fn wants(&self, p: &Packet, local_port: u16) -> bool {
        let (ports, udp) = match (p.ports, p.icmp, p.quoted_ports) {
            (_, Some(_), Some(q)) => (q, p.quoted_udp),
            (Some(ports), None, _) => (ports, p.udp),
            _ => return false,
        };
        let has = |x: u16| ports.0 == x || ports.1 == x;
        // A UDP datagram to a TCP-only port comes back as ICMP quoting UDP: always show that.
        let proto_ok = udp == self.udp || p.icmp.is_some();
        proto_ok && has(self.port) && (local_port == 0 || self.server || has(local_port))
    }

    fn label(&mut self, p: &Packet) -> String {
        let lang = self.lang;
        if let Some((ty, code)) = p.icmp {
            let unreachable = (ty == 3 && code == 3) || (ty == 1 && code == 4);
            return if unreachable {
                t(lang, "ICMP from the peer's kernel: no socket on that port", "对方内核发来的 ICMP:该端口上没有套接字")
            } else {
                t(lang, "ICMP error", "ICMP 差错")
            };
        }
        let Some((sport, dport)) = p.ports else { return String::new() };
        let from_server = sport == self.port;
        let ours = from_server == self.server;
        let text = preview(&p.payload);
        if self.udp {
            return if ours { format!("sendto({text})") } else { format!("recvfrom() ← {text}") };
        }
        let client_port = if from_server { dport } else { sport };
        let f = p.tcp_flags;
        let c = self.conns.entry(client_port).or_default();
        if f & flag::RST != 0 {
            return t(lang, "RST from the kernel", "内核发出的 RST");
        }
        if f & flag::SYN != 0 {
            if f & flag::ACK != 0 {
                c.syn_ack = true;
            } else {
                *c = Conn::default();
            }
            return "connect()".to_string();
        }
        if f & flag::FIN != 0 {
            c.fin = true;
            return "close()".to_string();
        }
        if !p.payload.is_empty() {
            c.established = true;
            return if ours { format!("send({text})") } else { format!("recv() ← {text}") };
        }
        if c.fin {
            return "close()".to_string();
        }
        if c.syn_ack && !c.established {
            c.established = true;
            return "connect()".to_string();
        }
        t(lang, "kernel ACK", "内核确认")
    }
}

/// A payload as a quoted string, escaped and cut short: `"hi\n"`.
fn preview(b: &[u8]) -> String {
    const MAX: usize = 24;
    let s = String::from_utf8_lossy(b);
    let mut out = String::from("\"");
    for (n, ch) in s.chars().enumerate() {
        if n >= MAX {
            out.push('…');
            break;
        }
        match ch {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn endpoint(ip: Option<IpAddr>, port: Option<u16>) -> String {
    let ip = match ip {
        Some(IpAddr::V6(a)) => format!("[{a}]"),
        Some(a) => a.to_string(),
        None => "?".to_string(),
    };
    match port {
        Some(p) => format!("{ip}:{p}"),
        None => ip,
    }
}

/// `10.0.0.1:40312 → 10.0.0.2:8081 TCP [SYN] Seq=0 …`: the addresses, then the protocol column
/// and the Info text without the ports it starts with (they are in the addresses already).
fn brief(p: &Packet, d: &Dissection) -> String {
    let (sp, dp) = match p.ports {
        Some((s, d)) => (Some(s), Some(d)),
        None => (None, None),
    };
    let proto = d.protocol_layer().map_or("", |l| l.display_name);
    let info = d.info_layer().and_then(|l| l.info.clone()).unwrap_or_default();
    let info = match (sp, dp) {
        (Some(s), Some(dd)) => info.strip_prefix(&format!("{s} \u{2192} {dd} ")).map(str::to_string).unwrap_or(info),
        _ => info,
    };
    let info = netlayers_core::escape::text(&info).into_owned();
    format!("{} \u{2192} {} {proto} {info}", endpoint(p.src, sp), endpoint(p.dst, dp)).trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tcp(sport: u16, dport: u16, flags: u64, payload: &[u8]) -> Packet {
        Packet { ports: Some((sport, dport)), tcp_flags: flags, payload: payload.to_vec(), ..Packet::default() }
    }

    #[test]
    fn a_tcp_conversation_is_labelled_by_its_calls() {
        let mut l = Labeler::new(8081, false, false, Lang::En);
        let seq = [
            (tcp(40000, 8081, flag::SYN, b""), "connect()"),
            (tcp(8081, 40000, flag::SYN | flag::ACK, b""), "connect()"),
            (tcp(40000, 8081, flag::ACK, b""), "connect()"),
            (tcp(40000, 8081, flag::ACK | 0x008, b"hi\n"), "send(\"hi\\n\")"),
            (tcp(8081, 40000, flag::ACK, b""), "kernel ACK"),
            (tcp(8081, 40000, flag::ACK | 0x008, b"yo\n"), "recv() ← \"yo\\n\""),
            (tcp(40000, 8081, flag::ACK, b""), "kernel ACK"),
            (tcp(40000, 8081, flag::FIN | flag::ACK, b""), "close()"),
            (tcp(8081, 40000, flag::FIN | flag::ACK, b""), "close()"),
            (tcp(40000, 8081, flag::ACK, b""), "close()"),
        ];
        for (p, want) in seq {
            assert_eq!(l.label(&p), want, "{p:?}");
        }
        // The server's view of the same data segment: the client sent it, the server receives it.
        let mut s = Labeler::new(8081, false, true, Lang::En);
        assert_eq!(s.label(&tcp(40000, 8081, flag::ACK | 0x008, b"hi\n")), "recv() ← \"hi\\n\"");
        assert_eq!(s.label(&tcp(8081, 40000, flag::ACK | 0x008, b"yo\n")), "send(\"yo\\n\")");
    }

    #[test]
    fn udp_and_icmp_labels_and_filter() {
        let mut l = Labeler::new(8081, true, false, Lang::En);
        let d = Packet { ports: Some((5000, 8081)), udp: true, payload: b"hi".to_vec(), ..Packet::default() };
        assert!(l.wants(&d, 5000));
        assert!(!l.wants(&d, 5001), "another client of the same server");
        assert_eq!(l.label(&d), "sendto(\"hi\")");
        let icmp = Packet { icmp: Some((3, 3)), quoted_ports: Some((5000, 8081)), quoted_udp: true, ..Packet::default() };
        assert!(l.wants(&icmp, 5000));
        assert!(l.label(&icmp).contains("no socket on that port"));
        // A TCP client's trace still shows the ICMP error for a stray UDP datagram to its port.
        let t = Labeler::new(8081, false, false, Lang::En);
        assert!(t.wants(&icmp, 0));
        assert!(!t.wants(&d, 0), "UDP frames are not part of a TCP chat");
    }

    #[test]
    fn previews_are_escaped_and_short() {
        assert_eq!(preview(b"hi\n"), "\"hi\\n\"");
        assert_eq!(preview(b"a\x1b[31m\""), "\"a\\x1b[31m\\\"\"");
        assert_eq!(preview(&[b'x'; 40]).chars().count(), 24 + 3);
    }

    #[test]
    fn errors_say_what_they_mean_in_both_languages() {
        let a: SocketAddr = "127.0.0.1:8081".parse().unwrap();
        let cases = [
            (io::Error::from(io::ErrorKind::AddrInUse), "bind()", false, "already in use", "已被占用"),
            (io::Error::from(io::ErrorKind::ConnectionRefused), "connect()", false, "answered with RST", "RST"),
            (io::Error::from(io::ErrorKind::ConnectionRefused), "recv()", true, "port unreachable", "端口不可达"),
            (io::Error::from_raw_os_error(113), "connect()", false, "host unreachable", "主机不可达"),
            (io::Error::from_raw_os_error(101), "connect()", false, "no route", "没有到"),
        ];
        for (e, call, udp, en, zh) in cases {
            let m = explain(&e, call, a, udp, Lang::En);
            assert!(m.contains(en) && !m.contains('\n'), "{m}");
            let m = explain(&e, call, a, udp, Lang::Zh);
            assert!(m.contains(zh) && !m.contains('\n'), "{m}");
        }
    }

    #[test]
    fn loopback_addresses_trace_on_lo() {
        let lo = live::list_interfaces().into_iter().find(|i| i.loopback && i.up);
        if let Some(lo) = lo {
            assert!(interfaces_for("127.0.0.1".parse().unwrap()).contains(&lo.name));
            assert!(interfaces_for("127.3.4.5".parse().unwrap()).contains(&lo.name));
        }
        assert!(interfaces_for("192.0.2.77".parse().unwrap()).is_empty());
        assert_eq!(route_source("127.0.0.1:9".parse().unwrap()), "127.0.0.1".parse::<IpAddr>().unwrap());
    }
}
