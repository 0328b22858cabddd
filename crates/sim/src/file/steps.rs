//! The steps of a program in a scenario file, written as the sockets tutorial's Python:
//!
//! ```text
//! s = socket(AF_INET, SOCK_STREAM)      s.bind(('', 8081))      s.listen()
//! conn, addr = s.accept()               data = conn.recv(1024)  conn.send('hi')
//! c.connect(('10.0.0.2', 8081))         u.sendto(b'hi', ('10.0.0.2', 8081))
//! data, addr = u.recvfrom(1024)         u.sendto('back', addr)  s.close()
//! sleep(0.5)                            ping('10.0.0.2')        conn.recv_all()
//! u.setsockopt(IPPROTO_IP, IP_TTL, 1)   sleep_until(3)          conn.abort()
//! s6 = socket(AF_INET6, SOCK_STREAM)    s6.connect(('fd00:1::2', 8081, 0, 0))   ping6('fd00:1::2')
//! ```
//!
//! Each step becomes one [`Call`]; each socket variable becomes a slot. The steps run straight
//! through (no loops, no branches), so what the kernel would refuse at run time (send() on a
//! socket that never connected, accept() on one that does not listen, a socket used after
//! close()) is refused here, before anything runs, with the step's position.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use netlayers_core::text::OwnedText;

use crate::engine::Nanos;
use crate::host::{Call, Kind, SockOpt};

/// A problem in one step: where in the step's text (in characters) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepError {
    pub at: usize,
    pub text: OwnedText,
}

fn err<T>(at: usize, en: String, zh: String) -> Result<T, StepError> {
    Err(StepError { at, text: OwnedText::new(en, zh) })
}

/// The most bytes one step may send.
const MAX_DATA: usize = 1 << 20;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Name(String),
    /// The number as written (so that `8081.0` is not a port) and its value.
    Num(String, f64),
    Bytes(Vec<u8>),
    Punct(char),
}

fn tokens(s: &str) -> Result<Vec<(Tok, usize)>, StepError> {
    let cs: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < cs.len() {
        let c = cs[i];
        let start = i;
        if c.is_whitespace() {
            i += 1;
        } else if "(),.=*".contains(c) {
            out.push((Tok::Punct(c), start));
            i += 1;
        } else if c.is_ascii_digit() {
            while i < cs.len() && (cs[i].is_ascii_digit() || cs[i] == '.') {
                i += 1;
            }
            let raw: String = cs[start..i].iter().collect();
            let Ok(v) = raw.parse::<f64>() else {
                return err(start, format!("`{raw}` is not a number"), format!("`{raw}` 不是数字"));
            };
            out.push((Tok::Num(raw, v), start));
        } else if (c == 'b' && matches!(cs.get(i + 1), Some('\'' | '"'))) || c == '\'' || c == '"' {
            if c == 'b' {
                i += 1;
            }
            let quote = cs[i];
            i += 1;
            let mut bytes = Vec::new();
            loop {
                let Some(&ch) = cs.get(i) else {
                    return err(start, "the string is not closed".into(), "字符串没有结束引号".into());
                };
                i += 1;
                if ch == quote {
                    break;
                }
                if ch != '\\' {
                    let mut buf = [0u8; 4];
                    bytes.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                    continue;
                }
                let esc = cs.get(i).copied();
                i += 1;
                match esc {
                    Some('n') => bytes.push(b'\n'),
                    Some('r') => bytes.push(b'\r'),
                    Some('t') => bytes.push(b'\t'),
                    Some('0') => bytes.push(0),
                    Some(e @ ('\\' | '\'' | '"')) => bytes.push(e as u8),
                    Some('x') => {
                        let hex: String = cs.get(i..i + 2).map(|h| h.iter().collect()).unwrap_or_default();
                        let Ok(b) = u8::from_str_radix(&hex, 16) else {
                            return err(i - 2, "\\x needs two hex digits (\\x0a)".into(), "\\x 后面要有两位十六进制数字(\\x0a)".into());
                        };
                        bytes.push(b);
                        i += 2;
                    }
                    _ => {
                        return err(i - 2, "unknown escape: use \\n \\r \\t \\0 \\\\ \\' \\\" or \\xNN".into(),
                            "不认识的转义:可用 \\n \\r \\t \\0 \\\\ \\' \\\" 或 \\xNN".into())
                    }
                }
            }
            out.push((Tok::Bytes(bytes), start));
        } else if c.is_alphabetic() || c == '_' {
            while i < cs.len() && (cs[i].is_alphanumeric() || cs[i] == '_') {
                i += 1;
            }
            out.push((Tok::Name(cs[start..i].iter().collect()), start));
        } else {
            return err(start, format!("unexpected `{c}`"), format!("这里不该有 `{c}`"));
        }
    }
    Ok(out)
}

/// An argument: a number, a string, a name (`SOCK_STREAM`, `addr`), or a tuple: an address
/// `('10.0.0.2', 8081)`, or IPv6's `('fd00:1::2', 8081, 0, 0)`.
#[derive(Debug, Clone, PartialEq)]
enum Arg {
    Num(String, f64),
    Bytes(Vec<u8>),
    Name(String),
    Tuple(Vec<(Arg, usize)>),
}

/// `targets = object.function(args)`, every part with its position.
struct Statement {
    targets: Vec<(String, usize)>,
    object: Option<(String, usize)>,
    function: (String, usize),
    args: Vec<(Arg, usize)>,
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    pos: usize,
    end: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.0)
    }
    fn at(&self) -> usize {
        self.toks.get(self.pos).map_or(self.end, |t| t.1)
    }
    fn is(&self, c: char) -> bool {
        self.peek() == Some(&Tok::Punct(c))
    }
    fn expect(&mut self, c: char) -> Result<(), StepError> {
        if self.is(c) {
            self.pos += 1;
            return Ok(());
        }
        err(self.at(), format!("expected `{c}` here"), format!("这里应该是 `{c}`"))
    }
    fn name(&mut self) -> Result<(String, usize), StepError> {
        match self.toks.get(self.pos) {
            Some((Tok::Name(n), at)) => {
                self.pos += 1;
                Ok((n.clone(), *at))
            }
            _ => err(self.at(), "expected a name here".into(), "这里应该是一个名字".into()),
        }
    }

    fn statement(&mut self) -> Result<Statement, StepError> {
        // Names up to `=` are targets; without `=` the first name starts the call.
        let mut targets = Vec::new();
        let has_assign = self.toks.iter().any(|t| t.0 == Tok::Punct('='));
        if has_assign {
            targets.push(self.name()?);
            while self.is(',') {
                self.pos += 1;
                targets.push(self.name()?);
            }
            self.expect('=')?;
        }
        let first = self.name()?;
        let (object, function) = if self.is('.') {
            self.pos += 1;
            (Some(first), self.name()?)
        } else {
            (None, first)
        };
        self.expect('(')?;
        let mut args = Vec::new();
        if !self.is(')') {
            args.push(self.arg()?);
            while self.is(',') {
                self.pos += 1;
                args.push(self.arg()?);
            }
        }
        self.expect(')')?;
        if self.pos < self.toks.len() {
            return err(self.at(), "unexpected text after the call".into(), "调用后面多了东西".into());
        }
        Ok(Statement { targets, object, function, args })
    }

    fn arg(&mut self) -> Result<(Arg, usize), StepError> {
        let at = self.at();
        let tok = self.peek().cloned();
        match tok {
            Some(Tok::Num(raw, v)) => {
                self.pos += 1;
                Ok((Arg::Num(raw, v), at))
            }
            Some(Tok::Bytes(b)) => {
                self.pos += 1;
                // 'ab' * 3, as Python repeats a string: for long messages.
                if !self.is('*') {
                    return Ok((Arg::Bytes(b), at));
                }
                self.pos += 1;
                let times = self.at();
                match self.peek().cloned() {
                    Some(Tok::Num(raw, n)) if !raw.contains('.') && b.len() as f64 * n <= MAX_DATA as f64 => {
                        self.pos += 1;
                        Ok((Arg::Bytes(b.repeat(n as usize)), at))
                    }
                    _ => err(times, format!("repeat a string a whole number of times, up to {MAX_DATA} bytes in all: 'ab' * 100"),
                        format!("字符串只能重复整数次,总共不超过 {MAX_DATA} 字节:'ab' * 100")),
                }
            }
            Some(Tok::Name(_)) => {
                let (mut n, _) = self.name()?;
                // `socket.SOCK_STREAM` is `SOCK_STREAM`.
                if self.is('.') {
                    self.pos += 1;
                    n = self.name()?.0;
                }
                Ok((Arg::Name(n), at))
            }
            Some(Tok::Punct('(')) => {
                self.pos += 1;
                let mut items = vec![self.arg()?];
                self.expect(',')?;
                items.push(self.arg()?);
                while self.is(',') {
                    self.pos += 1;
                    items.push(self.arg()?);
                }
                self.expect(')')?;
                Ok((Arg::Tuple(items), at))
            }
            _ => err(at, "expected a value here (a number, 'text', a name or a tuple)".into(),
                "这里应该是一个值(数字、'文本'、名字或元组)".into()),
        }
    }
}

/// What a socket variable can be at a point of the program, to refuse calls the kernel would.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Fresh { kind: Kind, bound: bool },
    Listening,
    Connected,
    /// A UDP socket with a port (after bind(), connect() or its first sendto()), and whether
    /// connect() gave it a peer.
    Udp { peer: bool },
    Closed { step: usize },
}

/// Turns the steps of one program into calls, checking each against what came before.
pub struct Compiler {
    /// The host's own address: `bind(('10.0.0.2', 8081))` must name it (or '' / '0.0.0.0').
    host_ip: Ipv4Addr,
    /// Its IPv6 address, if it has one, which an `AF_INET6` socket's bind() may name (or '' / '::').
    host_ip6: Option<Ipv6Addr>,
    slots: BTreeMap<String, (usize, State)>,
    /// The slots that hold `AF_INET6` sockets.
    inet6: BTreeSet<usize>,
    /// Names that hold the address of a datagram recvfrom() returned.
    peers: Vec<String>,
    pings: u16,
    step: usize,
}

fn port_of(a: &(Arg, usize)) -> Result<u16, StepError> {
    match &a.0 {
        Arg::Num(raw, v) if !raw.contains('.') && (1.0..=65535.0).contains(v) => Ok(*v as u16),
        _ => err(a.1, "a port is a whole number from 1 to 65535".into(), "端口是 1 到 65535 之间的整数".into()),
    }
}

/// An address in quotes, of the family a socket (or ping/ping6) takes.
fn ip_of(a: &(Arg, usize), v6: bool) -> Result<IpAddr, StepError> {
    let Arg::Bytes(b) = &a.0 else {
        return err(a.1, "expected an IP address in quotes, like '10.0.0.2' or 'fd00:1::2'".into(),
            "这里应该是带引号的 IP 地址,如 '10.0.0.2' 或 'fd00:1::2'".into());
    };
    match (std::str::from_utf8(b).ok().and_then(|s| s.parse::<IpAddr>().ok()), v6) {
        (Some(ip @ IpAddr::V4(_)), false) | (Some(ip @ IpAddr::V6(_)), true) => Ok(ip),
        (Some(IpAddr::V6(ip)), false) => err(a.1, format!("{ip} is an IPv6 address: it needs an AF_INET6 socket (or ping6())"),
            format!("{ip} 是 IPv6 地址:要用 AF_INET6 套接字(或 ping6())")),
        (Some(IpAddr::V4(ip)), true) => err(a.1, format!("{ip} is an IPv4 address: an AF_INET6 socket (or ping6()) takes an IPv6 one like 'fd00:1::2'"),
            format!("{ip} 是 IPv4 地址:AF_INET6 套接字(或 ping6())要用 IPv6 地址,如 'fd00:1::2'")),
        (None, false) => err(a.1, "expected an IPv4 address like '10.0.0.2'".into(), "这里应该是 IPv4 地址,如 '10.0.0.2'".into()),
        (None, true) => err(a.1, "expected an IPv6 address like 'fd00:1::2'".into(), "这里应该是 IPv6 地址,如 'fd00:1::2'".into()),
    }
}

/// `('10.0.0.2', 8081)` for an `AF_INET` socket; `('fd00:1::2', 8081)` or Python's 4-tuple
/// `('fd00:1::2', 8081, 0, 0)` (flow label and scope id, 0 here) for an `AF_INET6` one.
fn address_of(a: &(Arg, usize), v6: bool) -> Result<SocketAddr, StepError> {
    let how = if v6 { "('fd00:1::2', 8081) or ('fd00:1::2', 8081, 0, 0)" } else { "('10.0.0.2', 8081)" };
    let Arg::Tuple(items) = &a.0 else {
        return err(a.1, format!("expected an address {how}"), format!("这里应该是地址 {how}"));
    };
    match (items.as_slice(), v6) {
        ([ip, port], _) | ([ip, port, _, _], true) => {
            for extra in items.iter().skip(2) {
                if !matches!(&extra.0, Arg::Num(raw, _) if raw == "0") {
                    return err(extra.1, "the flow label and scope id are 0 in the simulator".into(), "模拟器里流标签和范围 ID 都是 0".into());
                }
            }
            Ok(match ip_of(ip, v6)? {
                IpAddr::V4(ip) => SocketAddr::V4(SocketAddrV4::new(ip, port_of(port)?)),
                IpAddr::V6(ip) => SocketAddr::V6(SocketAddrV6::new(ip, port_of(port)?, 0, 0)),
            })
        }
        _ => err(a.1, format!("expected an address {how}"), format!("这里应该是地址 {how}")),
    }
}

fn data_of(a: &(Arg, usize)) -> Result<Vec<u8>, StepError> {
    match &a.0 {
        Arg::Bytes(b) => Ok(b.clone()),
        _ => err(a.1, "expected the data to send, in quotes: 'hello' or b'hello'".into(),
            "这里应该是要发送的数据,加引号:'hello' 或 b'hello'".into()),
    }
}

fn state_name(s: State) -> (&'static str, &'static str) {
    match s {
        State::Fresh { kind: Kind::Stream, bound: false } => ("a new SOCK_STREAM socket", "新建的 SOCK_STREAM 套接字"),
        State::Fresh { kind: Kind::Stream, bound: true } => ("a bound SOCK_STREAM socket", "已绑定的 SOCK_STREAM 套接字"),
        State::Fresh { kind: Kind::Datagram, .. } => ("a new SOCK_DGRAM socket", "新建的 SOCK_DGRAM 套接字"),
        State::Listening => ("a listening socket", "正在监听的套接字"),
        State::Connected => ("a connected SOCK_STREAM socket", "已连接的 SOCK_STREAM 套接字"),
        State::Udp { peer: false } => ("a SOCK_DGRAM socket with a port", "已有端口的 SOCK_DGRAM 套接字"),
        State::Udp { peer: true } => ("a connected SOCK_DGRAM socket", "已连接的 SOCK_DGRAM 套接字"),
        State::Closed { .. } => ("closed", "已关闭"),
    }
}

impl Compiler {
    pub fn new(host_ip: Ipv4Addr, host_ip6: Option<Ipv6Addr>) -> Compiler {
        Compiler { host_ip, host_ip6, slots: BTreeMap::new(), inet6: BTreeSet::new(), peers: Vec::new(), pings: 0, step: 0 }
    }

    /// The calls of one step.
    pub fn step(&mut self, text: &str) -> Result<Call, StepError> {
        self.step += 1;
        let toks = tokens(text)?;
        let end = text.chars().count();
        if toks.is_empty() {
            return err(0, "an empty step".into(), "空的步骤".into());
        }
        let st = Parser { toks, pos: 0, end }.statement()?;
        let (func, fat) = (st.function.0.as_str(), st.function.1);
        let module = st.object.as_ref().map(|o| o.0.as_str());
        let nargs = |n: std::ops::RangeInclusive<usize>, how: &str| -> Result<(), StepError> {
            if n.contains(&st.args.len()) {
                return Ok(());
            }
            err(fat, format!("{func}() is written {how}"), format!("{func}() 的写法是 {how}"))
        };
        match (module, func) {
            (None | Some("socket"), "socket") => {
                nargs(1..=2, "socket(AF_INET, SOCK_STREAM) or socket(AF_INET6, SOCK_DGRAM)")?;
                let v6 = match st.args.first().filter(|_| st.args.len() == 2) {
                    None => false,
                    Some((Arg::Name(f), _)) if f == "AF_INET" => false,
                    Some((Arg::Name(f), _)) if f == "AF_INET6" => true,
                    Some((_, at)) => return err(*at, "the families simulated are AF_INET (IPv4) and AF_INET6 (IPv6)".into(),
                        "模拟的地址族是 AF_INET(IPv4)和 AF_INET6(IPv6)".into()),
                };
                let last = &st.args[st.args.len() - 1];
                let kind = match &last.0 {
                    Arg::Name(n) if n == "SOCK_STREAM" => Kind::Stream,
                    Arg::Name(n) if n == "SOCK_DGRAM" => Kind::Datagram,
                    _ => return err(last.1, "the type is SOCK_STREAM (TCP) or SOCK_DGRAM (UDP)".into(),
                        "类型是 SOCK_STREAM(TCP)或 SOCK_DGRAM(UDP)".into()),
                };
                let [(name, _)] = st.targets.as_slice() else {
                    return err(0, "give the new socket a name: s = socket(AF_INET, SOCK_STREAM)".into(),
                        "给新套接字起个名字:s = socket(AF_INET, SOCK_STREAM)".into());
                };
                let slot = self.slots.get(name).map_or(self.slots.len(), |s| s.0);
                self.slots.insert(name.clone(), (slot, State::Fresh { kind, bound: false }));
                if v6 {
                    self.inet6.insert(slot);
                    return Ok(Call::Socket6 { slot, kind });
                }
                self.inet6.remove(&slot);
                Ok(Call::Socket { slot, kind })
            }
            (None | Some("time"), "sleep") => {
                nargs(1..=1, "sleep(SECONDS), e.g. sleep(0.5)")?;
                match &st.args[0].0 {
                    Arg::Num(_, s) if *s <= 86_400.0 => Ok(Call::Sleep((s * 1e9).round() as Nanos)),
                    _ => err(st.args[0].1, "sleep() takes seconds, from 0 to 86400".into(), "sleep() 的参数是秒数,0 到 86400".into()),
                }
            }
            (None, "sleep_until") => {
                nargs(1..=1, "sleep_until(SECONDS), e.g. sleep_until(3)")?;
                match &st.args[0].0 {
                    Arg::Num(_, s) if *s <= 86_400.0 => Ok(Call::SleepUntil((s * 1e9).round() as Nanos)),
                    _ => err(st.args[0].1, "sleep_until() takes seconds since the start, from 0 to 86400".into(),
                        "sleep_until() 的参数是从开始算起的秒数,0 到 86400".into()),
                }
            }
            (None, f @ ("ping" | "ping6")) => {
                let v6 = f == "ping6";
                nargs(1..=1, if v6 { "ping6('fd00:1::2')" } else { "ping('10.0.0.2')" })?;
                self.pings = self.pings.wrapping_add(1);
                // ip_of() gives the family asked for: ping() an IPv4 address, ping6() an IPv6 one.
                Ok(match ip_of(&st.args[0], v6)? {
                    IpAddr::V4(to) => Call::Ping { to, seq: self.pings },
                    IpAddr::V6(to) => Call::Ping6 { to, seq: self.pings },
                })
            }
            (None, f) => err(fat, format!("unknown call {f}(): the calls are socket(), sleep(), sleep_until(), ping(), ping6() and the socket's methods"),
                format!("不认识的调用 {f}():可用 socket()、sleep()、sleep_until()、ping()、ping6() 以及套接字的方法")),
            (Some(var), method) => self.method(&st, var, method),
        }
    }

    fn method(&mut self, st: &Statement, var: &str, method: &str) -> Result<Call, StepError> {
        let (vat, fat) = (st.object.as_ref().map_or(0, |o| o.1), st.function.1);
        let Some(&(slot, state)) = self.slots.get(var) else {
            return err(vat, format!("`{var}` is not a socket yet: make one first ({var} = socket(AF_INET, SOCK_STREAM))"),
                format!("`{var}` 还不是套接字:先创建它({var} = socket(AF_INET, SOCK_STREAM))"));
        };
        if let State::Closed { step } = state {
            return err(vat, format!("`{var}` was closed at step {step}"), format!("`{var}` 已在第 {step} 步关闭"));
        }
        let args = &st.args;
        let v6 = self.inet6.contains(&slot);
        let want = |ok: bool, what_en: &str, what_zh: &str| -> Result<(), StepError> {
            if ok {
                return Ok(());
            }
            let (en, zh) = state_name(state);
            err(fat, format!("{method}() needs {what_en}, and `{var}` is {en} here"),
                format!("{method}() 需要{what_zh},而 `{var}` 此时是{zh}"))
        };
        let nargs = |n: usize, how: &str| -> Result<(), StepError> {
            if args.len() == n {
                return Ok(());
            }
            err(fat, format!("{method}() is written {how}"), format!("{method}() 的写法是 {how}"))
        };
        let recv_size = |a: &(Arg, usize)| -> Result<(), StepError> {
            match &a.0 {
                Arg::Num(raw, _) if raw == "1024" => Ok(()),
                _ => err(a.1, format!("the simulated programs read with {method}(1024)"), format!("模拟的程序用 {method}(1024) 读取")),
            }
        };
        let set = |c: &mut Compiler, s: State| {
            c.slots.insert(var.to_string(), (slot, s));
        };
        match method {
            "bind" => {
                nargs(1, "bind(('', PORT)) or bind(PORT)")?;
                want(matches!(state, State::Fresh { bound: false, .. }), "a new socket", "新建的套接字")?;
                let port = match &args[0].0 {
                    Arg::Tuple(items) => {
                        let ip = &items[0];
                        let any = match &ip.0 {
                            Arg::Bytes(b) => b.is_empty() || b == if v6 { &b"::"[..] } else { &b"0.0.0.0"[..] },
                            _ => false,
                        };
                        let mine = match self.host_ip6 {
                            Some(ip6) if v6 => IpAddr::V6(ip6),
                            None if v6 => {
                                return err(ip.1, "this host has no `ip6`: bind an AF_INET6 socket to '' or '::'".into(),
                                    "这台主机没有 `ip6`:AF_INET6 套接字请绑定 '' 或 '::'".into())
                            }
                            _ => IpAddr::V4(self.host_ip),
                        };
                        if !any && address_of(&args[0], v6)?.ip() != mine {
                            return err(ip.1, format!("this host's address is {mine}: bind to it or to ''"),
                                format!("这台主机的地址是 {mine}:绑定它或 ''"));
                        }
                        port_of(&items[1])?
                    }
                    _ => port_of(&args[0])?,
                };
                match state {
                    State::Fresh { kind: Kind::Datagram, .. } => set(self, State::Udp { peer: false }),
                    State::Fresh { kind, .. } => set(self, State::Fresh { kind, bound: true }),
                    _ => {}
                }
                Ok(Call::Bind { slot, port })
            }
            "listen" => {
                if args.len() > 1 {
                    nargs(0, "listen() or listen(BACKLOG)")?;
                }
                want(matches!(state, State::Fresh { kind: Kind::Stream, .. }), "a new SOCK_STREAM socket", "新建的 SOCK_STREAM 套接字")?;
                set(self, State::Listening);
                Ok(Call::Listen { slot })
            }
            "accept" => {
                nargs(0, "conn, addr = s.accept()")?;
                want(state == State::Listening, "a listening socket (call listen() first)", "正在监听的套接字(先调用 listen())")?;
                let Some((conn, _)) = st.targets.first() else {
                    return err(0, "accept() returns the new connection: conn, addr = s.accept()".into(),
                        "accept() 返回新的连接:conn, addr = s.accept()".into());
                };
                if conn == var {
                    return err(st.targets[0].1, format!("keep the listening socket: name the connection differently from `{var}`"),
                        format!("监听套接字还要用:新连接换个名字,不要叫 `{var}`"));
                }
                let into = self.slots.get(conn).map_or(self.slots.len(), |s| s.0);
                self.slots.insert(conn.clone(), (into, State::Connected));
                if v6 {
                    self.inet6.insert(into);
                } else {
                    self.inet6.remove(&into);
                }
                Ok(Call::Accept { listener: slot, into })
            }
            "connect" => {
                nargs(1, "connect(('10.0.0.2', 8081))")?;
                let udp = matches!(state, State::Fresh { kind: Kind::Datagram, .. } | State::Udp { .. });
                want(udp || matches!(state, State::Fresh { kind: Kind::Stream, .. }), "a new socket (or a SOCK_DGRAM one)", "新建的套接字(或 SOCK_DGRAM 套接字)")?;
                let to = address_of(&args[0], v6)?;
                set(self, if udp { State::Udp { peer: true } } else { State::Connected });
                Ok(match to {
                    SocketAddr::V4(to) => Call::Connect { slot, to },
                    SocketAddr::V6(to) => Call::Connect6 { slot, to },
                })
            }
            "send" | "sendall" => {
                nargs(1, "send('text')")?;
                want(matches!(state, State::Connected | State::Udp { peer: true }), "a connected socket (connect() or accept() first)", "已连接的套接字(先 connect() 或 accept())")?;
                Ok(Call::Send { slot, data: data_of(&args[0])? })
            }
            "recv" => {
                nargs(1, "data = conn.recv(1024)")?;
                want(matches!(state, State::Connected | State::Udp { .. }), "a connected socket (connect() or accept() first)", "已连接的套接字(先 connect() 或 accept())")?;
                recv_size(&args[0])?;
                Ok(Call::Recv { slot })
            }
            "recv_all" => {
                nargs(0, "conn.recv_all()")?;
                want(state == State::Connected, "a connected socket (connect() or accept() first)", "已连接的套接字(先 connect() 或 accept())")?;
                Ok(Call::RecvAll { slot })
            }
            "recv_until_closed" => {
                nargs(0, "conn.recv_until_closed()")?;
                want(state == State::Connected, "a connected SOCK_STREAM socket (connect() or accept() first)", "已连接的 SOCK_STREAM 套接字(先 connect() 或 accept())")?;
                Ok(Call::RecvUntilClosed { slot })
            }
            "recvfrom_until_timeout" => {
                nargs(1, "u.recvfrom_until_timeout(SECONDS), e.g. recvfrom_until_timeout(2)")?;
                want(matches!(state, State::Udp { .. }), "a SOCK_DGRAM socket with a port (bind() or sendto() first)", "已有端口的 SOCK_DGRAM 套接字(先 bind() 或 sendto())")?;
                match &args[0].0 {
                    Arg::Num(_, s) if *s > 0.0 && *s <= 86_400.0 => Ok(Call::RecvFromUntilTimeout { slot, timeout: (s * 1e9).round() as Nanos }),
                    _ => err(args[0].1, "the timeout is in seconds, more than 0 and at most 86400".into(), "超时以秒计,大于 0、不超过 86400".into()),
                }
            }
            "setsockopt" => {
                nargs(3, "setsockopt(IPPROTO_IP, IP_TTL, 5) or setsockopt(IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO)")?;
                want(matches!(state, State::Fresh { kind: Kind::Datagram, .. } | State::Udp { .. }), "a SOCK_DGRAM socket", "SOCK_DGRAM 套接字")?;
                let level = match &args[0].0 {
                    Arg::Name(l) if l == "IPPROTO_IP" || l == "IPPROTO_IPV6" => l.as_str(),
                    _ => return err(args[0].1, "the levels simulated are IPPROTO_IP and IPPROTO_IPV6".into(), "模拟的选项层是 IPPROTO_IP 和 IPPROTO_IPV6".into()),
                };
                if level == "IPPROTO_IPV6" {
                    return match (&args[1].0, &args[2].0) {
                        (Arg::Name(o), Arg::Num(raw, h)) if o == "IPV6_UNICAST_HOPS" && !raw.contains('.') && (1.0..=255.0).contains(h) => {
                            Ok(Call::SetOption { slot, option: SockOpt::HopLimit(*h as u8) })
                        }
                        (Arg::Name(o), _) if o == "IPV6_UNICAST_HOPS" => {
                            err(args[2].1, "a hop limit is a whole number from 1 to 255".into(), "跳数限制是 1 到 255 之间的整数".into())
                        }
                        _ => err(args[1].1, "the IPPROTO_IPV6 option simulated is IPV6_UNICAST_HOPS".into(), "模拟的 IPPROTO_IPV6 选项是 IPV6_UNICAST_HOPS".into()),
                    };
                }
                let option = match (&args[1].0, &args[2].0) {
                    (Arg::Name(o), Arg::Num(raw, v)) if o == "IP_TTL" && !raw.contains('.') && (1.0..=255.0).contains(v) => SockOpt::Ttl(*v as u8),
                    (Arg::Name(o), _) if o == "IP_TTL" => {
                        return err(args[2].1, "a TTL is a whole number from 1 to 255".into(), "TTL 是 1 到 255 之间的整数".into())
                    }
                    (Arg::Name(o), Arg::Name(v)) if o == "IP_MTU_DISCOVER" && v == "IP_PMTUDISC_DO" => SockOpt::DontFragment(true),
                    (Arg::Name(o), Arg::Name(v)) if o == "IP_MTU_DISCOVER" && v == "IP_PMTUDISC_DONT" => SockOpt::DontFragment(false),
                    (Arg::Name(o), _) if o == "IP_MTU_DISCOVER" => {
                        return err(args[2].1, "IP_MTU_DISCOVER is IP_PMTUDISC_DO (set DF) or IP_PMTUDISC_DONT".into(),
                            "IP_MTU_DISCOVER 的值是 IP_PMTUDISC_DO(置 DF)或 IP_PMTUDISC_DONT".into())
                    }
                    _ => return err(args[1].1, "the options simulated are IP_TTL and IP_MTU_DISCOVER".into(), "模拟的选项是 IP_TTL 和 IP_MTU_DISCOVER".into()),
                };
                Ok(Call::SetOption { slot, option })
            }
            "abort" => {
                nargs(0, "conn.abort()")?;
                want(state == State::Connected, "a TCP connection", "TCP 连接")?;
                set(self, State::Closed { step: self.step });
                Ok(Call::Abort { slot })
            }
            "sendto" => {
                nargs(2, "sendto('text', ('10.0.0.2', 8081))")?;
                want(matches!(state, State::Fresh { kind: Kind::Datagram, .. } | State::Udp { .. }), "a SOCK_DGRAM socket", "SOCK_DGRAM 套接字")?;
                let data = data_of(&args[0])?;
                if let State::Fresh { .. } = state {
                    set(self, State::Udp { peer: false });
                }
                match &args[1].0 {
                    Arg::Name(n) if self.peers.contains(n) => Ok(Call::Reply { slot, data }),
                    Arg::Name(n) => err(args[1].1, format!("`{n}` is not an address: get one with data, {n} = s.recvfrom(1024)"),
                        format!("`{n}` 不是地址:用 data, {n} = s.recvfrom(1024) 得到它")),
                    _ => Ok(match address_of(&args[1], v6)? {
                        SocketAddr::V4(to) => Call::SendTo { slot, data, to },
                        SocketAddr::V6(to) => Call::SendTo6 { slot, data, to },
                    }),
                }
            }
            "recvfrom" => {
                nargs(1, "data, addr = s.recvfrom(1024)")?;
                want(matches!(state, State::Udp { .. }), "a SOCK_DGRAM socket with a port (bind() or sendto() first)", "已有端口的 SOCK_DGRAM 套接字(先 bind() 或 sendto())")?;
                recv_size(&args[0])?;
                if let Some((peer, _)) = st.targets.get(1) {
                    self.peers.push(peer.clone());
                }
                Ok(Call::RecvFrom { slot })
            }
            "close" => {
                nargs(0, "s.close()")?;
                set(self, State::Closed { step: self.step });
                Ok(Call::Close { slot })
            }
            _ => err(fat, format!("a socket has no method {method}(): bind, listen, accept, connect, send, sendall, recv, recv_all, \
                recv_until_closed, sendto, recvfrom, recvfrom_until_timeout, setsockopt, close, abort"),
                format!("套接字没有 {method}() 方法:可用 bind、listen、accept、connect、send、sendall、recv、recv_all、\
                recv_until_closed、sendto、recvfrom、recvfrom_until_timeout、setsockopt、close、abort")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compile(steps: &[&str]) -> Result<Vec<Call>, (usize, StepError)> {
        let mut c = Compiler::new(Ipv4Addr::new(10, 0, 0, 2), Some("fd00:1::2".parse().unwrap()));
        steps.iter().enumerate().map(|(i, s)| c.step(s).map_err(|e| (i, e))).collect()
    }

    #[test]
    fn the_tutorial_server_compiles_to_calls() {
        let calls = compile(&[
            "s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)",
            "s.bind(('10.0.0.2', 8081))",
            "s.listen(5)",
            "conn, addr = s.accept()",
            "data = conn.recv(1024)",
            r"conn.send(b'hi\n\x00')",
            "conn.send('ab' * 3)",
            "time.sleep(0.25)",
            "conn.close()",
            "s.close()",
        ])
        .unwrap();
        assert_eq!(calls, vec![
            Call::Socket { slot: 0, kind: Kind::Stream },
            Call::Bind { slot: 0, port: 8081 },
            Call::Listen { slot: 0 },
            Call::Accept { listener: 0, into: 1 },
            Call::Recv { slot: 1 },
            Call::Send { slot: 1, data: b"hi\n\0".to_vec() },
            Call::Send { slot: 1, data: b"ababab".to_vec() },
            Call::Sleep(250_000_000),
            Call::Close { slot: 1 },
            Call::Close { slot: 0 },
        ]);
    }

    #[test]
    fn udp_replies_go_to_the_address_recvfrom_gave() {
        let calls = compile(&["u = socket(SOCK_DGRAM)", "u.bind(8081)", "data, addr = u.recvfrom(1024)", "u.sendto(\"ok\", addr)"]).unwrap();
        assert_eq!(calls[3], Call::Reply { slot: 0, data: b"ok".to_vec() });
        let calls = compile(&["u = socket(SOCK_DGRAM)", "u.sendto('x', ('10.0.0.1', 53))", "u.recvfrom(1024)", "ping('10.0.0.1')"]).unwrap();
        assert_eq!(calls[1], Call::SendTo { slot: 0, data: b"x".to_vec(), to: "10.0.0.1:53".parse().unwrap() });
        assert_eq!(calls[3], Call::Ping { to: Ipv4Addr::new(10, 0, 0, 1), seq: 1 });
    }

    #[test]
    fn every_call_of_the_simulator_has_a_step() {
        let calls = compile(&[
            "u = socket(SOCK_DGRAM)",
            "u.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 3)",
            "u.setsockopt(IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO)",
            "u.connect(('10.0.0.1', 53))",
            "u.send('q')",
            "u.recv(1024)",
            "u.recvfrom_until_timeout(2)",
            "sleep_until(10)",
            "s = socket(SOCK_STREAM)",
            "s.connect(('10.0.0.1', 80))",
            "s.recv_until_closed()",
            "s.abort()",
        ])
        .unwrap();
        assert_eq!(calls, vec![
            Call::Socket { slot: 0, kind: Kind::Datagram },
            Call::SetOption { slot: 0, option: SockOpt::Ttl(3) },
            Call::SetOption { slot: 0, option: SockOpt::DontFragment(true) },
            Call::Connect { slot: 0, to: "10.0.0.1:53".parse().unwrap() },
            Call::Send { slot: 0, data: b"q".to_vec() },
            Call::Recv { slot: 0 },
            Call::RecvFromUntilTimeout { slot: 0, timeout: 2_000_000_000 },
            Call::SleepUntil(10_000_000_000),
            Call::Socket { slot: 1, kind: Kind::Stream },
            Call::Connect { slot: 1, to: "10.0.0.1:80".parse().unwrap() },
            Call::RecvUntilClosed { slot: 1 },
            Call::Abort { slot: 1 },
        ]);
    }

    #[test]
    fn af_inet6_sockets_take_ipv6_addresses_as_two_or_four_tuples() {
        let v6 = |a: &str| -> SocketAddrV6 { a.parse().unwrap() };
        let calls = compile(&[
            "s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)",
            "s.bind(('fd00:1::2', 8081, 0, 0))",
            "s.listen()",
            "conn, addr = s.accept()",
            "c = socket(AF_INET6, SOCK_STREAM)",
            "c.connect(('fd00:1::1', 80))",
            "u = socket(AF_INET6, SOCK_DGRAM)",
            "u.bind(('::', 53))",
            "u.sendto('x', ('fd00:1::1', 53, 0, 0))",
            "u4 = socket(AF_INET, SOCK_DGRAM)",
            "u4.sendto('x', ('10.0.0.1', 53))",
            "ping6('fd00:1::1')",
            "ping('10.0.0.1')",
        ])
        .unwrap();
        assert_eq!(calls, vec![
            Call::Socket6 { slot: 0, kind: Kind::Stream },
            Call::Bind { slot: 0, port: 8081 },
            Call::Listen { slot: 0 },
            Call::Accept { listener: 0, into: 1 },
            Call::Socket6 { slot: 2, kind: Kind::Stream },
            Call::Connect6 { slot: 2, to: v6("[fd00:1::1]:80") },
            Call::Socket6 { slot: 3, kind: Kind::Datagram },
            Call::Bind { slot: 3, port: 53 },
            Call::SendTo6 { slot: 3, data: b"x".to_vec(), to: v6("[fd00:1::1]:53") },
            Call::Socket { slot: 4, kind: Kind::Datagram },
            Call::SendTo { slot: 4, data: b"x".to_vec(), to: "10.0.0.1:53".parse().unwrap() },
            Call::Ping6 { to: "fd00:1::1".parse().unwrap(), seq: 1 },
            Call::Ping { to: Ipv4Addr::new(10, 0, 0, 1), seq: 2 },
        ]);
    }

    #[test]
    fn calls_the_kernel_would_refuse_are_refused_with_their_position() {
        let cases: &[(&[&str], usize, usize, &str)] = &[
            (&["s = socket(SOCK_STREAM)", "s.send('hi')"], 1, 2, "send() needs a connected socket"),
            (&["s.close()"], 0, 0, "`s` is not a socket yet"),
            (&["s = socket(SOCK_STREAM)", "s.close()", "s.listen()"], 2, 0, "`s` was closed at step 2"),
            (&["s = socket(SOCK_STREAM)", "c = s.accept()"], 1, 6, "accept() needs a listening socket"),
            (&["u = socket(SOCK_DGRAM)", "u.recvfrom(1024)"], 1, 2, "bind() or sendto() first"),
            (&["s = socket(SOCK_STREAM)", "s.bind(('10.0.0.9', 80))"], 1, 8, "this host's address is 10.0.0.2"),
            (&["s = socket(SOCK_STREAM)", "s.connect(('10.0.0.1', 70000))"], 1, 23, "a port is a whole number"),
            (&["s = socket(SOCK_STREAM)", "s.connect(('10.0.0.1', 80)"], 1, 26, "expected `)`"),
            (&["s = socket(SOCK_RAW)"], 0, 11, "SOCK_STREAM (TCP) or SOCK_DGRAM"),
            (&["sleep(1s)"], 0, 7, "expected `)`"),
            (&["s = socket(SOCK_STREAM) + 1"], 0, 24, "unexpected `+`"),
            (&["u = socket(SOCK_DGRAM)", "u.sendto('x' * 2000000, ('10.0.0.1', 9))"], 1, 15, "up to 1048576 bytes"),
            (&["fork()"], 0, 0, "unknown call fork()"),
            (&["u = socket(SOCK_DGRAM)", "u.sendto('x', there)"], 1, 14, "`there` is not an address"),
            (&["s = socket(SOCK_STREAM)", "s.connect(('10.0.0.1', 80))", "s.recv(4096)"], 2, 7, "recv(1024)"),
            (&["s = socket(SOCK_STREAM)", "s.send('open"], 1, 7, "not closed"),
            (&["u = socket(SOCK_DGRAM)", "u.send('x')"], 1, 2, "send() needs a connected socket"),
            (&["u = socket(SOCK_DGRAM)", "u.setsockopt(IPPROTO_IP, IP_TTL, 0)"], 1, 33, "a TTL is a whole number from 1 to 255"),
            (&["s = socket(SOCK_STREAM)", "s.setsockopt(IPPROTO_IP, IP_TTL, 5)"], 1, 2, "setsockopt() needs a SOCK_DGRAM socket"),
            (&["u = socket(SOCK_DGRAM)", "u.abort()"], 1, 2, "abort() needs a TCP connection"),
            (&["s = socket(AF_UNIX, SOCK_STREAM)"], 0, 11, "AF_INET (IPv4) and AF_INET6 (IPv6)"),
            (&["s = socket(AF_INET, SOCK_STREAM)", "s.connect(('fd00:1::1', 80))"], 1, 11, "fd00:1::1 is an IPv6 address"),
            (&["s = socket(AF_INET, SOCK_STREAM)", "s.connect(('10.0.0.1', 80, 0, 0))"], 1, 10, "expected an address ('10.0.0.2', 8081)"),
            (&["s = socket(AF_INET6, SOCK_STREAM)", "s.connect(('fd00:1::1', 80, 7, 0))"], 1, 28, "flow label and scope id are 0"),
            (&["s = socket(AF_INET6, SOCK_STREAM)", "s.bind(('fd00:1::9', 80))"], 1, 8, "this host's address is fd00:1::2"),
            (&["ping6('10.0.0.1')"], 0, 6, "10.0.0.1 is an IPv4 address"),
        ];
        for (steps, step, at, msg) in cases {
            let (i, e) = compile(steps).unwrap_err();
            assert_eq!((i, e.at), (*step, *at), "{steps:?}: {}", e.text.en);
            assert!(e.text.en.contains(msg), "{steps:?}: {}", e.text.en);
            assert!(!e.text.zh.is_empty());
        }
    }
}
