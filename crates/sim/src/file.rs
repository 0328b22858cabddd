//! Scenario files: a network and its programs written in TOML by a teacher, run by
//! `netlayers sim FILE.toml` exactly as a built-in scenario. The format is documented in
//! docs/sim.md; docs/scenarios/ has examples.
//!
//! Loading checks everything before anything runs (names, addresses, ports, probabilities, and
//! each program's steps, see [`steps`]), and every problem is one [`FileError`] naming the file,
//! the line and the column.

pub mod steps;

use std::net::{Ipv4Addr, Ipv6Addr};
use std::ops::Range;
use std::path::Path;

use netlayers_core::text::OwnedText;
use netlayers_core::Lang;
use netlayers_network::route::{in_network, netmask, Route};
use serde::Deserialize;
use toml::Spanned;

use crate::engine::{Nanos, SEC};
use crate::host::App;
use crate::net::{LinkSpec, Network};
use crate::router::Route6;
use crate::scenario::{Overrides, RUN_LIMIT};
use crate::wire::{self, Mac, ETHERNET_MTU};

/// A problem in a scenario file: where, and what (in English and Chinese).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    pub path: String,
    /// Line and column, from 1; `None` when the file could not be read at all.
    pub at: Option<(usize, usize)>,
    pub text: OwnedText,
}

impl FileError {
    /// One line: `lab.toml:12:3: the problem`.
    pub fn render(&self, lang: Lang) -> String {
        match self.at {
            Some((line, col)) => format!("{}:{line}:{col}: {}", self.path, self.text.get(lang)),
            None => format!("{}: {}", self.path, self.text.get(lang)),
        }
    }
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render(Lang::En))
    }
}

impl std::error::Error for FileError {}

/// Whether a `sim` argument names a file (ends in `.toml` or has a path separator) rather than a
/// built-in scenario.
pub fn is_file_argument(arg: &str) -> bool {
    arg.ends_with(".toml") || arg.contains('/') || arg.contains(std::path::MAIN_SEPARATOR)
}

// ----- the file as written -----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDef {
    #[serde(default)]
    scenario: ScenarioDef,
    #[serde(default)]
    host: Vec<Spanned<HostDef>>,
    #[serde(default)]
    switch: Vec<Spanned<SwitchDef>>,
    #[serde(default)]
    router: Vec<Spanned<RouterDef>>,
    #[serde(default)]
    link: Vec<Spanned<LinkDef>>,
    #[serde(default)]
    app: Vec<Spanned<AppDef>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ScenarioDef {
    name: Option<Spanned<String>>,
    #[serde(default)]
    about: AboutDef,
    seed: Option<u64>,
    time_limit: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct AboutDef {
    en: Option<String>,
    zh: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HostDef {
    name: Spanned<String>,
    ip: Spanned<String>,
    ip6: Option<Spanned<String>>,
    mac: Option<Spanned<String>>,
    gateway: Option<Spanned<String>>,
    gateway6: Option<Spanned<String>>,
    #[serde(default)]
    routes: Vec<Spanned<RouteDef>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RouterDef {
    name: Spanned<String>,
    interfaces: Spanned<Vec<Spanned<InterfaceDef>>>,
    #[serde(default)]
    routes: Vec<Spanned<RouteDef>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InterfaceDef {
    ip: Spanned<String>,
    ip6: Option<Spanned<String>>,
    mtu: Option<Spanned<i64>>,
}

/// `{ to = "10.0.2.0/24", via = "10.0.12.2" }`; `to = "default"` is 0.0.0.0/0. An IPv6 route:
/// `{ to = "fd00:2::/64", via = "fd00:12::2" }` (`"::/0"` is IPv6's default).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RouteDef {
    to: Spanned<String>,
    via: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SwitchDef {
    name: Spanned<String>,
    ports: Spanned<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkDef {
    between: Spanned<Vec<Spanned<String>>>,
    bandwidth: Option<Spanned<String>>,
    delay: Option<Spanned<String>>,
    loss: Option<Spanned<f64>>,
    dup: Option<Spanned<f64>>,
    reorder: Option<Spanned<f64>>,
    corrupt: Option<Spanned<f64>>,
    mtu: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AppDef {
    host: Spanned<String>,
    name: Option<Spanned<String>>,
    steps: Spanned<Vec<Spanned<String>>>,
}

// ----- the checked scenario -----

/// An interface of a host or router: address, prefix length, its IPv6 address if any, MTU, and
/// whether the file gave the MTU on the interface itself (a link's `mtu` may not contradict it).
#[derive(Clone, Copy)]
struct Iface {
    ip: Ipv4Addr,
    prefix: u8,
    ip6: Option<(Ipv6Addr, u8)>,
    mtu: usize,
    mtu_given: bool,
}

enum NodeDef {
    Host { name: String, iface: Iface, gateway6: Option<Ipv6Addr>, mac: Option<Mac>, routes: Vec<Route> },
    Switch { name: String, ports: usize },
    Router { name: String, interfaces: Vec<Iface>, routes: Vec<Route>, routes6: Vec<Route6> },
}

impl NodeDef {
    fn name(&self) -> &str {
        match self {
            NodeDef::Host { name, .. } | NodeDef::Switch { name, .. } | NodeDef::Router { name, .. } => name,
        }
    }
    fn ports(&self) -> usize {
        match self {
            NodeDef::Host { .. } => 1,
            NodeDef::Switch { ports, .. } => *ports,
            NodeDef::Router { interfaces, .. } => interfaces.len(),
        }
    }
    /// The interface on a port (none on a switch's).
    fn iface_mut(&mut self, port: usize) -> Option<&mut Iface> {
        match self {
            NodeDef::Host { iface, .. } => Some(iface),
            NodeDef::Switch { .. } => None,
            NodeDef::Router { interfaces, .. } => interfaces.get_mut(port),
        }
    }
    /// Each interface's MAC, made from its address unless the file gave one.
    fn macs(&self) -> Vec<Mac> {
        match self {
            NodeDef::Host { iface, mac, .. } => vec![mac.unwrap_or_else(|| mac_of(iface.ip))],
            NodeDef::Switch { .. } => Vec::new(),
            NodeDef::Router { interfaces, .. } => interfaces.iter().map(|i| mac_of(i.ip)).collect(),
        }
    }
}

/// The MAC the simulator gives an interface that has none: 02:00 and the address's four bytes.
fn mac_of(ip: Ipv4Addr) -> Mac {
    let o = ip.octets();
    [0x02, 0x00, o[0], o[1], o[2], o[3]]
}

struct LinkPlan {
    ends: [(usize, usize); 2],
    spec: LinkSpec,
}

/// A scenario read from a file, checked and ready to build.
pub struct ScenarioFile {
    pub name: String,
    pub about: OwnedText,
    /// The file's seed (1 if it gives none).
    pub seed: u64,
    /// When the run stops at the latest.
    pub time_limit: Nanos,
    nodes: Vec<NodeDef>,
    links: Vec<LinkPlan>,
    apps: Vec<(usize, App)>,
}

impl ScenarioFile {
    /// Reads and checks a scenario file.
    pub fn load(path: &Path) -> Result<ScenarioFile, FileError> {
        let shown = path.display().to_string();
        let src = std::fs::read_to_string(path).map_err(|e| FileError {
            path: shown.clone(),
            at: None,
            text: OwnedText::new(format!("cannot read the scenario file: {e}"), format!("无法读取场景文件:{e}")),
        })?;
        let stem = path.file_stem().map_or("scenario".into(), |s| s.to_string_lossy().into_owned());
        ScenarioFile::parse(&shown, &stem, &src)
    }

    /// Checks a scenario file's text; `path` names it in errors, `stem` is the default name.
    pub fn parse(path: &str, stem: &str, src: &str) -> Result<ScenarioFile, FileError> {
        Loader { path, src }.load(stem)
    }

    /// The network, ready to [`Network::run`] until [`ScenarioFile::time_limit`].
    pub fn build(&self, o: &Overrides) -> Network {
        let mut n = Network::new(o.seed.unwrap_or(self.seed));
        for node in &self.nodes {
            match node {
                NodeDef::Host { name, iface, gateway6, mac, routes } => {
                    let id = n.add_host(name, iface.ip, iface.prefix);
                    if let Some(h) = n.host_mut(id) {
                        h.mac = mac.unwrap_or(h.mac);
                        h.link_local = wire::link_local(h.mac);
                        if let Some((ip, prefix)) = iface.ip6 {
                            h.set_ipv6(ip, prefix);
                        }
                        h.gateway6 = *gateway6;
                        h.mtu = iface.mtu;
                        for r in routes {
                            h.routes.add(*r);
                        }
                    }
                }
                NodeDef::Switch { name, ports } => {
                    n.add_switch(name, *ports);
                }
                NodeDef::Router { name, interfaces, routes, routes6 } => {
                    let list: Vec<(Ipv4Addr, u8, usize)> = interfaces.iter().map(|i| (i.ip, i.prefix, i.mtu)).collect();
                    let id = n.add_router(name, &list);
                    if let Some(r) = n.router_mut(id) {
                        for route in routes {
                            r.routes.add(*route);
                        }
                        for (i, iface) in interfaces.iter().enumerate() {
                            if let Some((ip, prefix)) = iface.ip6 {
                                r.set_ipv6(i, ip, prefix);
                            }
                        }
                        for route in routes6 {
                            r.add_route6(*route);
                        }
                    }
                }
            }
        }
        for l in &self.links {
            let mut spec = l.spec;
            spec.faults = o.faults(spec.faults);
            spec.delay = o.delay.unwrap_or(spec.delay);
            // Loading checked that both ports exist and are free.
            let _ = n.connect(l.ends[0].0, l.ends[0].1, l.ends[1].0, l.ends[1].1, spec);
        }
        for (node, app) in &self.apps {
            if let Some(h) = n.host_mut(*node) {
                h.apps.push(app.clone());
            }
        }
        n
    }
}

/// Largest delay and time limit a file may ask for.
const MAX_DELAY: Nanos = 60 * SEC;
const MAX_TIME_LIMIT: Nanos = 24 * 3600 * SEC;
/// MTUs a file may give: IPv4's minimum to a jumbo frame.
const MTUS: std::ops::RangeInclusive<i64> = 68..=9000;

struct Loader<'a> {
    path: &'a str,
    src: &'a str,
}

type Res<T> = Result<T, FileError>;

impl Loader<'_> {
    /// Line and column (from 1, in characters) of a byte offset.
    fn line_col(&self, pos: usize) -> (usize, usize) {
        let pos = pos.min(self.src.len());
        let before = self.src.get(..pos).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, col)
    }

    fn err<T>(&self, span: Range<usize>, en: String, zh: String) -> Res<T> {
        Err(FileError { path: self.path.to_string(), at: Some(self.line_col(span.start)), text: OwnedText::new(en, zh) })
    }

    /// The table header (`[[link]]`) above a position, to say where an unknown key is.
    fn table_at(&self, pos: usize) -> String {
        // The line the position is on counts: a missing key is reported at the table's header.
        let end = self.src.get(pos..).and_then(|r| r.find('\n')).map_or(self.src.len(), |e| pos + e);
        let before = self.src.get(..end).unwrap_or("");
        before.lines().rev().map(str::trim).find(|l| l.starts_with('[')).map_or("the top level".into(), |l| {
            l.split('#').next().unwrap_or(l).trim().to_string()
        })
    }

    /// toml's errors about the content: wrong types, unknown and missing keys.
    fn toml_error(&self, e: &toml::de::Error) -> FileError {
        let pos = e.span().map_or(0, |s| s.start);
        // Rust's type names mean nothing to a teacher.
        let msg = e.message().trim().replace('\n', " ");
        let msg = msg.replace("expected i64", "expected a whole number").replace("expected u64", "expected a whole number from 0");
        let msg = msg.replace("expected f64", "expected a number").replace("expected a sequence", "expected an array [ … ]");
        let table = self.table_at(pos);
        let text = if let Some(rest) = msg.strip_prefix("unknown field `") {
            let (key, expected) = rest.split_once('`').unwrap_or((rest, ""));
            let expected = expected.trim_start_matches(", ").replace("expected one of ", "").replace("expected ", "");
            let line_start = self.src.get(..pos).and_then(|b| b.rfind('\n')).map_or(0, |i| i + 1);
            let line = self.src.get(line_start..).and_then(|l| l.lines().next()).unwrap_or("").trim();
            if line.starts_with('[') {
                return FileError {
                    path: self.path.to_string(),
                    at: Some(self.line_col(pos)),
                    text: OwnedText::new(
                        format!("unknown table {table} (the tables are {expected})"),
                        format!("没有 {table} 这种表(可用的表:{expected})"),
                    ),
                };
            }
            OwnedText::new(
                format!("unknown key `{key}` in {table} (the keys are {expected})"),
                format!("{table} 里没有 `{key}` 这个键(可用的键:{expected})"),
            )
        } else if let Some(rest) = msg.strip_prefix("missing field `") {
            let key = rest.split('`').next().unwrap_or(rest);
            OwnedText::new(format!("{table} needs the key `{key}`"), format!("{table} 缺少键 `{key}`"))
        } else {
            OwnedText::new(format!("in {table}: {msg}"), format!("{table} 有误:{msg}"))
        };
        FileError { path: self.path.to_string(), at: Some(self.line_col(pos)), text }
    }

    fn load(&self, stem: &str) -> Res<ScenarioFile> {
        // Syntax first, so that a teacher learns whether the TOML itself is wrong.
        if let Err(e) = self.src.parse::<toml::Table>() {
            let pos = e.span().map_or(0, |s| s.start);
            let msg = e.message().trim().replace('\n', " ");
            return self.err(pos..pos, format!("TOML syntax: {msg}"), format!("TOML 语法错误:{msg}"));
        }
        let def: FileDef = toml::from_str(self.src).map_err(|e| self.toml_error(&e))?;
        let s = &def.scenario;
        let name = match &s.name {
            Some(n) if n.get_ref().trim().is_empty() => return self.err(n.span(), "the scenario's name is empty".into(), "场景名字是空的".into()),
            Some(n) => n.get_ref().clone(),
            None => stem.to_string(),
        };
        let (en, zh) = (s.about.en.clone(), s.about.zh.clone());
        let about = match (en, zh) {
            (None, None) => OwnedText::new(format!("A scenario from the file {}.", self.path), format!("来自场景文件 {} 的场景。", self.path)),
            (en, zh) => OwnedText::new(en.clone().or(zh.clone()).unwrap_or_default(), zh.or(en).unwrap_or_default()),
        };
        let time_limit = match &s.time_limit {
            Some(t) => match self.duration(t)? {
                d if d == 0 || d > MAX_TIME_LIMIT => {
                    return self.err(t.span(), "time_limit must be more than 0 and at most 24h".into(), "time_limit 必须大于 0、不超过 24h".into())
                }
                d => d,
            },
            None => RUN_LIMIT,
        };

        // Nodes, in the order they appear in the file (it fixes each host's random stream).
        let mut nodes: Vec<(usize, NodeDef, Range<usize>)> = Vec::new();
        for h in &def.host {
            let node = self.host(h.get_ref(), &nodes)?;
            nodes.push((h.span().start, node, h.get_ref().name.span()));
        }
        for sw in &def.switch {
            let d = sw.get_ref();
            let ports = *d.ports.get_ref();
            if !(1..=256).contains(&ports) {
                return self.err(d.ports.span(), "a switch has 1 to 256 ports".into(), "交换机的端口数是 1 到 256".into());
            }
            self.check_new_name(&d.name, &nodes)?;
            nodes.push((sw.span().start, NodeDef::Switch { name: d.name.get_ref().clone(), ports: ports as usize }, d.name.span()));
        }
        for r in &def.router {
            let node = self.router(r.get_ref(), &nodes)?;
            nodes.push((r.span().start, node, r.get_ref().name.span()));
        }
        nodes.sort_by_key(|n| n.0);
        let mut nodes: Vec<NodeDef> = nodes.into_iter().map(|n| n.1).collect();

        let mut used: Vec<(usize, usize)> = Vec::new();
        let mut links = Vec::new();
        for l in &def.link {
            links.push(self.link(l.get_ref(), &mut nodes, &mut used)?);
        }

        let mut apps = Vec::new();
        for a in &def.app {
            apps.push(self.app(a.get_ref(), &nodes)?);
        }
        Ok(ScenarioFile { name, about, seed: s.seed.unwrap_or(1), time_limit, nodes, links, apps })
    }

    fn check_new_name(&self, name: &Spanned<String>, nodes: &[(usize, NodeDef, Range<usize>)]) -> Res<()> {
        let n = name.get_ref();
        if n.is_empty() || n.contains(':') || n.chars().any(char::is_whitespace) {
            return self.err(name.span(), format!("`{n}` cannot be a name: use letters, digits, - or _ (no spaces, no `:`)"),
                format!("`{n}` 不能做名字:用字母、数字、- 或 _(不要空格和 `:`)"));
        }
        if let Some(other) = nodes.iter().find(|o| o.1.name() == n) {
            let (line, _) = self.line_col(other.2.start);
            return self.err(name.span(), format!("the name `{n}` is already used at line {line}"), format!("名字 `{n}` 已在第 {line} 行用过"));
        }
        Ok(())
    }

    /// An interface address written "10.0.0.1/24": a host address in its subnet.
    fn iface(&self, ip: &Spanned<String>, mtu: Option<&Spanned<i64>>) -> Res<Iface> {
        let text = ip.get_ref();
        let bad = |en: &str, zh: &str| self.err(ip.span(), format!("`{text}`: {en}"), format!("`{text}`:{zh}"));
        let Some((addr, prefix)) = text.split_once('/') else {
            return bad("an address needs its prefix length, like \"10.0.0.1/24\"", "地址要带前缀长度,如 \"10.0.0.1/24\"");
        };
        let Ok(addr) = addr.trim().parse::<Ipv4Addr>() else {
            return bad("not an IPv4 address like \"10.0.0.1/24\"", "不是 IPv4 地址,应写成 \"10.0.0.1/24\"");
        };
        let prefix = match prefix.trim().parse::<u8>() {
            Ok(p) if (1..=30).contains(&p) => p,
            _ => return bad("the prefix length is 1 to 30 (\"/24\")", "前缀长度是 1 到 30(\"/24\")"),
        };
        let host_part = u32::from(addr) & !netmask(prefix);
        if host_part == 0 || host_part == !netmask(prefix) || addr.is_multicast() || addr.is_loopback() || addr.is_unspecified() {
            return bad("not a host address in its subnet (not the network, broadcast, loopback or multicast address)",
                "不是子网里的主机地址(不能是网络地址、广播地址、环回或组播地址)");
        }
        let mtu_value = match mtu {
            Some(m) if MTUS.contains(m.get_ref()) => *m.get_ref() as usize,
            Some(m) => return self.err(m.span(), format!("an MTU is 68 to 9000 bytes, not {}", m.get_ref()), format!("MTU 是 68 到 9000 字节,不能是 {}", m.get_ref())),
            None => ETHERNET_MTU,
        };
        Ok(Iface { ip: addr, prefix, ip6: None, mtu: mtu_value, mtu_given: mtu.is_some() })
    }

    /// An IPv6 interface address written "fd00:1::1/64" (the link-local one always exists).
    fn ip6(&self, ip: &Spanned<String>) -> Res<(Ipv6Addr, u8)> {
        let text = ip.get_ref();
        let bad = |en: &str, zh: &str| self.err(ip.span(), format!("`{text}`: {en}"), format!("`{text}`:{zh}"));
        let Some((addr, prefix)) = text.split_once('/') else {
            return bad("an IPv6 address needs its prefix length, like \"fd00:1::1/64\"", "IPv6 地址要带前缀长度,如 \"fd00:1::1/64\"");
        };
        let Ok(addr) = addr.trim().parse::<Ipv6Addr>() else {
            return bad("not an IPv6 address like \"fd00:1::1/64\"", "不是 IPv6 地址,应写成 \"fd00:1::1/64\"");
        };
        let Some(prefix) = prefix.trim().parse::<u8>().ok().filter(|p| (1..=128).contains(p)) else {
            return bad("the prefix length is 1 to 128 (\"/64\")", "前缀长度是 1 到 128(\"/64\")");
        };
        if addr.is_unicast_link_local() {
            return bad("a link-local fe80:: address is made from the MAC already: give a global or unique local one (fd00::…)",
                "fe80:: 链路本地地址已由 MAC 自动生成:这里写全局地址或唯一本地地址(fd00::…)");
        }
        if addr.is_multicast() || addr.is_loopback() || addr.is_unspecified() {
            return bad("not a unicast address (not ::, ::1 or a multicast ff00::/8 one)", "不是单播地址(不能是 ::、::1 或 ff00::/8 组播地址)");
        }
        Ok((addr, prefix))
    }

    /// A new node's MACs must differ from every other node's (a switch would be lost otherwise).
    fn check_macs(&self, macs: &[Mac], at: Range<usize>, nodes: &[(usize, NodeDef, Range<usize>)]) -> Res<()> {
        for (_, other, span) in nodes {
            if let Some(m) = other.macs().into_iter().find(|m| macs.contains(m)) {
                let (line, _) = self.line_col(span.start);
                let (name, m) = (other.name(), crate::host::fmt_mac(&m));
                return self.err(at, format!("the MAC {m} is also `{name}`'s (line {line}); a MAC is made from the IP unless a host's `mac` is given"),
                    format!("MAC {m} 与第 {line} 行的 `{name}` 相同;主机不写 `mac` 时 MAC 由 IP 生成"));
            }
        }
        Ok(())
    }

    /// Routes of a node whose interfaces are `ifaces`: each `via` must be on one of their
    /// networks. IPv4 routes, and IPv6 ones (a `to` with a `:`).
    fn routes(&self, defs: &[Spanned<RouteDef>], ifaces: &[Iface], node: &str) -> Res<(Vec<Route>, Vec<Route6>)> {
        let mut out = Vec::new();
        let mut out6 = Vec::new();
        for d in defs {
            let d = d.get_ref();
            let to = d.to.get_ref().trim();
            if to.contains(':') {
                out6.push(self.route6(d, ifaces, node)?);
                continue;
            }
            let (net, prefix) = if to == "default" {
                (Ipv4Addr::UNSPECIFIED, 0)
            } else {
                let parsed = to.split_once('/').and_then(|(a, p)| Some((a.trim().parse::<Ipv4Addr>().ok()?, p.trim().parse::<u8>().ok()?)));
                match parsed {
                    Some((a, p)) if p <= 32 && u32::from(a) & !netmask(p) == 0 => (a, p),
                    Some((a, p)) if p <= 32 => {
                        let net = Ipv4Addr::from(u32::from(a) & netmask(p));
                        return self.err(d.to.span(), format!("`{to}` has host bits set: the network is {net}/{p}"),
                            format!("`{to}` 的主机位不为 0:网络应写成 {net}/{p}"));
                    }
                    _ => return self.err(d.to.span(), format!("`{to}` is not a network like \"10.0.2.0/24\" or \"default\""),
                        format!("`{to}` 不是网络,应写成 \"10.0.2.0/24\" 或 \"default\"")),
                }
            };
            let via = self.gateway(&d.via, ifaces, node)?;
            out.push(Route::new(net, prefix, Some(via.0), via.1));
        }
        Ok((out, out6))
    }

    /// `{ to = "fd00:2::/64", via = "fd00:12::2" }`: `via` in the prefix of one of the interfaces.
    fn route6(&self, d: &RouteDef, ifaces: &[Iface], node: &str) -> Res<Route6> {
        let to = d.to.get_ref().trim();
        let parsed = to.split_once('/').and_then(|(a, p)| Some((a.trim().parse::<Ipv6Addr>().ok()?, p.trim().parse::<u8>().ok()?)));
        let (net, prefix) = match parsed {
            Some((a, p)) if p <= 128 => (a, p),
            _ => return self.err(d.to.span(), format!("`{to}` is not an IPv6 network like \"fd00:2::/64\" or \"::/0\""),
                format!("`{to}` 不是 IPv6 网络,应写成 \"fd00:2::/64\" 或 \"::/0\"")),
        };
        if u128::from(net) & !u128::MAX.checked_shl(u32::from(128 - prefix)).unwrap_or(0) != 0 {
            return self.err(d.to.span(), format!("`{to}` has bits set after its /{prefix}"), format!("`{to}` 在 /{prefix} 之后还有非 0 的位"));
        }
        let (gateway, interface) = self.gateway6(&d.via, ifaces, node)?;
        Ok(Route6 { net, prefix, via: Some(gateway), interface })
    }

    /// An IPv6 next hop: an address in the prefix of one of the interfaces (not their own).
    fn gateway6(&self, via: &Spanned<String>, ifaces: &[Iface], node: &str) -> Res<(Ipv6Addr, usize)> {
        let text = via.get_ref().trim();
        let Ok(ip) = text.parse::<Ipv6Addr>() else {
            return self.err(via.span(), format!("`{text}` is not an IPv6 address like \"fd00:1::fe\""), format!("`{text}` 不是 IPv6 地址,应写成 \"fd00:1::fe\""));
        };
        if ifaces.iter().any(|i| i.ip6.is_some_and(|(a, _)| a == ip)) {
            return self.err(via.span(), format!("{ip} is `{node}`'s own address: the next hop is a neighbour's"),
                format!("{ip} 是 `{node}` 自己的地址:下一跳应是邻居的地址"));
        }
        match ifaces.iter().position(|i| i.ip6.is_some_and(|(a, p)| wire::same_prefix6(a, ip, p))) {
            Some(i) => Ok((ip, i)),
            None => self.err(via.span(), format!("{ip} is in none of `{node}`'s IPv6 prefixes (`ip6`): a next hop must be a neighbour"),
                format!("{ip} 不在 `{node}` 的任何 IPv6 前缀(`ip6`)里:下一跳必须是邻居")),
        }
    }

    /// A next hop: an address on one of the interfaces' networks (not their own); with the interface.
    fn gateway(&self, via: &Spanned<String>, ifaces: &[Iface], node: &str) -> Res<(Ipv4Addr, usize)> {
        let text = via.get_ref().trim();
        let Ok(ip) = text.parse::<Ipv4Addr>() else {
            return self.err(via.span(), format!("`{text}` is not an IPv4 address like \"10.0.1.254\""), format!("`{text}` 不是 IPv4 地址,应写成 \"10.0.1.254\""));
        };
        if ifaces.iter().any(|i| i.ip == ip) {
            return self.err(via.span(), format!("{ip} is `{node}`'s own address: the next hop is a neighbour's"),
                format!("{ip} 是 `{node}` 自己的地址:下一跳应是邻居的地址"));
        }
        match ifaces.iter().position(|i| in_network(ip, i.ip, i.prefix)) {
            Some(i) => Ok((ip, i)),
            None => {
                let nets: Vec<String> = ifaces.iter().map(|i| format!("{}/{}", Ipv4Addr::from(u32::from(i.ip) & netmask(i.prefix)), i.prefix)).collect();
                self.err(via.span(), format!("{ip} is on none of `{node}`'s networks ({}): a next hop must be a neighbour", nets.join(", ")),
                    format!("{ip} 不在 `{node}` 的任何网络里({}):下一跳必须是邻居", nets.join("、")))
            }
        }
    }

    fn host(&self, h: &HostDef, nodes: &[(usize, NodeDef, Range<usize>)]) -> Res<NodeDef> {
        self.check_new_name(&h.name, nodes)?;
        let mut iface = self.iface(&h.ip, None)?;
        iface.ip6 = h.ip6.as_ref().map(|a| self.ip6(a)).transpose()?;
        let mac = match &h.mac {
            Some(m) => match netlayers_stack::encap::parse_mac(m.get_ref()) {
                Ok(mac) if mac[0] & 1 == 0 => Some(mac),
                Ok(_) => return self.err(m.span(), "a host's MAC must be unicast (first byte even, like 02:…)".into(),
                    "主机的 MAC 必须是单播地址(第一个字节是偶数,如 02:…)".into()),
                Err(_) => return self.err(m.span(), format!("`{}` is not a MAC address like 02:00:00:00:00:01", m.get_ref()),
                    format!("`{}` 不是 MAC 地址,应写成 02:00:00:00:00:01", m.get_ref())),
            },
            None => None,
        };
        self.check_macs(&[mac.unwrap_or_else(|| mac_of(iface.ip))], h.mac.as_ref().map_or(h.ip.span(), Spanned::span), nodes)?;
        let name = h.name.get_ref();
        let mut routes = Vec::new();
        if let Some(g) = &h.gateway {
            let (via, i) = self.gateway(g, &[iface], name)?;
            routes.push(Route::new(Ipv4Addr::UNSPECIFIED, 0, Some(via), i));
        }
        if let Some(r) = h.routes.iter().find(|r| r.get_ref().to.get_ref().contains(':')) {
            return self.err(r.get_ref().to.span(), "a host's IPv6 route is its `gateway6`".into(), "主机的 IPv6 路由请写成 `gateway6`".into());
        }
        routes.extend(self.routes(&h.routes, &[iface], name)?.0);
        let gateway6 = h.gateway6.as_ref().map(|g| self.gateway6(g, &[iface], name)).transpose()?.map(|(g, _)| g);
        Ok(NodeDef::Host { name: name.clone(), iface, gateway6, mac, routes })
    }

    fn router(&self, r: &RouterDef, nodes: &[(usize, NodeDef, Range<usize>)]) -> Res<NodeDef> {
        self.check_new_name(&r.name, nodes)?;
        let defs = r.interfaces.get_ref();
        if defs.is_empty() || defs.len() > 64 {
            return self.err(r.interfaces.span(), "a router has 1 to 64 interfaces: [{ ip = \"10.0.1.254/24\" }, …]".into(),
                "路由器有 1 到 64 个接口:[{ ip = \"10.0.1.254/24\" }, …]".into());
        }
        let mut interfaces: Vec<Iface> = Vec::new();
        for d in defs {
            let mut i = self.iface(&d.get_ref().ip, d.get_ref().mtu.as_ref())?;
            i.ip6 = d.get_ref().ip6.as_ref().map(|a| self.ip6(a)).transpose()?;
            let net = |x: &Iface| u32::from(x.ip) & netmask(x.prefix);
            if let Some(other) = interfaces.iter().find(|o| net(o) == net(&i) && o.prefix == i.prefix) {
                return self.err(d.get_ref().ip.span(), format!("another interface of this router is on the same network ({})", other.ip),
                    format!("这台路由器的另一个接口已在同一网络上({})", other.ip));
            }
            self.check_macs(&[mac_of(i.ip)], d.get_ref().ip.span(), nodes)?;
            interfaces.push(i);
        }
        let (routes, routes6) = self.routes(&r.routes, &interfaces, r.name.get_ref())?;
        Ok(NodeDef::Router { name: r.name.get_ref().clone(), interfaces, routes, routes6 })
    }

    fn link(&self, l: &LinkDef, nodes: &mut [NodeDef], used: &mut Vec<(usize, usize)>) -> Res<LinkPlan> {
        let between = l.between.get_ref();
        if between.len() != 2 {
            return self.err(l.between.span(), "`between` names two ends: [\"pc1\", \"switch:0\"]".into(),
                "`between` 要写两端:[\"pc1\", \"switch:0\"]".into());
        }
        let mut ends = [(0, 0); 2];
        for (i, end) in between.iter().enumerate() {
            let text = end.get_ref();
            let (name, port) = match text.rsplit_once(':') {
                Some((n, p)) => match p.trim().parse::<usize>() {
                    Ok(p) => (n.trim(), Some(p)),
                    Err(_) => return self.err(end.span(), format!("`{text}`: the port after `:` is a number (\"switch:0\")"),
                        format!("`{text}`:`:` 后面是端口号(\"switch:0\")")),
                },
                None => (text.trim(), None),
            };
            let Some(node) = nodes.iter().position(|n| n.name() == name) else {
                let names: Vec<&str> = nodes.iter().map(NodeDef::name).collect();
                return self.err(end.span(), format!("no host, switch or router is named `{name}` (there are: {})", names.join(", ")),
                    format!("没有名为 `{name}` 的主机、交换机或路由器(现有:{})", names.join("、")));
            };
            let count = nodes[node].ports();
            let port = match port {
                Some(p) if p >= count => {
                    return self.err(end.span(), format!("`{name}` has ports 0 to {}", count - 1), format!("`{name}` 的端口是 0 到 {}", count - 1))
                }
                Some(p) if used.contains(&(node, p)) => {
                    return self.err(end.span(), format!("port {p} of `{name}` is already connected"), format!("`{name}` 的端口 {p} 已经连了线"))
                }
                Some(p) => p,
                None => match (0..count).find(|p| !used.contains(&(node, *p))) {
                    Some(p) => p,
                    None => return self.err(end.span(), format!("`{name}` has no free port left"), format!("`{name}` 没有空闲端口了")),
                },
            };
            used.push((node, port));
            ends[i] = (node, port);
        }
        if ends[0].0 == ends[1].0 {
            return self.err(l.between.span(), "a link joins two different nodes".into(), "一条链路连接两个不同的节点".into());
        }
        let mut spec = LinkSpec::default();
        if let Some(b) = &l.bandwidth {
            spec.bandwidth_bps = self.bandwidth(b)?;
        }
        if let Some(d) = &l.delay {
            spec.delay = self.duration(d)?;
            if spec.delay > MAX_DELAY {
                return self.err(d.span(), "a link's delay is at most 60s".into(), "链路延迟最多 60s".into());
            }
        }
        for (key, p, fault) in [
            ("loss", &l.loss, &mut spec.faults.loss),
            ("dup", &l.dup, &mut spec.faults.duplicate),
            ("reorder", &l.reorder, &mut spec.faults.reorder),
            ("corrupt", &l.corrupt, &mut spec.faults.corrupt),
        ] {
            if let Some(p) = p {
                *fault = self.probability(key, p)?;
            }
        }
        // A link's MTU is its ends' (a switch passes frames of any size).
        if let Some(m) = &l.mtu {
            let mtu = *m.get_ref();
            if !MTUS.contains(&mtu) {
                return self.err(m.span(), format!("an MTU is 68 to 9000 bytes, not {mtu}"), format!("MTU 是 68 到 9000 字节,不能是 {mtu}"));
            }
            for (node, port) in ends {
                let name = nodes[node].name().to_string();
                if let Some(i) = nodes[node].iface_mut(port) {
                    if i.mtu_given && i.mtu != mtu as usize {
                        return self.err(m.span(), format!("`{name}`'s interface on this link has mtu = {} already", i.mtu),
                            format!("`{name}` 在这条链路上的接口已经写了 mtu = {}", i.mtu));
                    }
                    i.mtu = mtu as usize;
                }
            }
        }
        Ok(LinkPlan { ends, spec })
    }

    fn probability(&self, key: &str, p: &Spanned<f64>) -> Res<f64> {
        let v = *p.get_ref();
        if (0.0..=1.0).contains(&v) {
            return Ok(v);
        }
        self.err(p.span(), format!("`{key}` is a probability from 0 to 1 (0.2 = 20%), not {v}"),
            format!("`{key}` 是 0 到 1 之间的概率(0.2 即 20%),不能是 {v}"))
    }

    fn app(&self, a: &AppDef, nodes: &[NodeDef]) -> Res<(usize, App)> {
        let host = a.host.get_ref();
        let (node, ip, ip6) = match nodes.iter().enumerate().find(|(_, n)| n.name() == host) {
            Some((i, NodeDef::Host { iface, .. })) => (i, iface.ip, iface.ip6.map(|(a, _)| a)),
            Some(_) => return self.err(a.host.span(), format!("`{host}` is not a host: only hosts run programs"), format!("`{host}` 不是主机:只有主机能运行程序")),
            None => {
                let hosts: Vec<&str> = nodes.iter().filter(|n| matches!(n, NodeDef::Host { .. })).map(NodeDef::name).collect();
                return self.err(a.host.span(), format!("no host is named `{host}` (there are: {})", hosts.join(", ")),
                    format!("没有名为 `{host}` 的主机(现有:{})", hosts.join("、")));
            }
        };
        let name = a.name.as_ref().map_or(host.as_str(), |n| n.get_ref().as_str());
        if a.steps.get_ref().is_empty() {
            return self.err(a.steps.span(), "a program needs at least one step".into(), "程序至少要有一步".into());
        }
        let mut compiler = steps::Compiler::new(ip, ip6);
        let mut calls = Vec::new();
        for step in a.steps.get_ref() {
            match compiler.step(step.get_ref()) {
                Ok(c) => calls.push(c),
                Err(e) => {
                    // Point into the step when the file holds its text as is (no escapes).
                    let span = step.span();
                    let raw = self.src.get(span.start + 1..span.end.saturating_sub(1));
                    let inside = if raw == Some(step.get_ref().as_str()) {
                        let skip: usize = step.get_ref().chars().take(e.at).map(char::len_utf8).sum();
                        span.start + 1 + skip
                    } else {
                        span.start
                    };
                    let shown = netlayers_core::escape::text(step.get_ref()).into_owned();
                    let shown = if shown.chars().count() > 50 { format!("{}…", shown.chars().take(49).collect::<String>()) } else { shown };
                    return self.err(inside..inside, format!("in step `{shown}`: {}", e.text.en), format!("步骤 `{shown}` 有误:{}", e.text.zh));
                }
            }
        }
        Ok((node, App::new(name, calls)))
    }

    /// `"1ms"`, `"0.5 s"`, `"200us"`, `"2min"`, `"1h"`.
    fn duration(&self, d: &Spanned<String>) -> Res<Nanos> {
        let text = d.get_ref().trim();
        let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
        let (num, unit) = text.split_at(split);
        let scale = match unit.trim() {
            "ns" => 1.0,
            "us" | "µs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "min" => 60e9,
            "h" => 3600e9,
            _ => 0.0,
        };
        match num.parse::<f64>() {
            Ok(v) if scale > 0.0 && v * scale <= 1e15 => Ok((v * scale).round() as Nanos),
            _ => self.err(d.span(), format!("`{text}` is not a duration: a number and a unit (ns, us, ms, s, min, h), like \"1ms\""),
                format!("`{text}` 不是时长:数字加单位(ns、us、ms、s、min、h),如 \"1ms\"")),
        }
    }

    /// `"100Mbit/s"`, `"10 Mbps"`, `"1Gbit/s"`, `"9600bit/s"`.
    fn bandwidth(&self, b: &Spanned<String>) -> Res<u64> {
        let text = b.get_ref().trim();
        let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
        let (num, unit) = text.split_at(split);
        let scale = match unit.trim() {
            "bit/s" | "bps" => 1.0,
            "kbit/s" | "kbps" => 1e3,
            "Mbit/s" | "Mbps" => 1e6,
            "Gbit/s" | "Gbps" => 1e9,
            _ => 0.0,
        };
        match num.parse::<f64>() {
            Ok(v) if scale > 0.0 && v * scale >= 1.0 && v * scale <= 1e12 => Ok((v * scale).round() as u64),
            _ => self.err(b.span(), format!("`{text}` is not a bandwidth: a number and bit/s, kbit/s, Mbit/s or Gbit/s (1 bit/s to 1000 Gbit/s), like \"100Mbit/s\""),
                format!("`{text}` 不是带宽:数字加 bit/s、kbit/s、Mbit/s 或 Gbit/s(1 bit/s 到 1000 Gbit/s),如 \"100Mbit/s\"")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::MS;

    #[test]
    fn durations_and_bandwidths() {
        let l = Loader { path: "t.toml", src: "" };
        let d = |s: &str| l.duration(&Spanned::new(0..0, s.to_string()));
        assert_eq!(d("1ms"), Ok(MS));
        assert_eq!(d("0.5 s"), Ok(SEC / 2));
        assert_eq!(d("2min"), Ok(120 * SEC));
        assert!(d("5").is_err() && d("ms").is_err() && d("1 week").is_err());
        let b = |s: &str| l.bandwidth(&Spanned::new(0..0, s.to_string()));
        assert_eq!(b("100Mbit/s"), Ok(100_000_000));
        assert_eq!(b("10 Mbps"), Ok(10_000_000));
        assert_eq!(b("9600bit/s"), Ok(9600));
        assert!(b("0bit/s").is_err() && b("fast").is_err());
    }
}
