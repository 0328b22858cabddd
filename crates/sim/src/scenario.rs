//! Built-in scenarios: a topology and the applications' scripted socket calls, each with a short
//! explanation in English and Chinese. The chat scenarios play the sockets tutorial's programs
//! (shared/seed/): a server on port 8081, a client, lines back and forth, "886" to end.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};

use netlayers_core::{Lang, Text};

use crate::engine::{Nanos, MS, SEC};
use crate::host::{App, Call, Kind, SockOpt};
use crate::net::{Faults, LinkSpec, Network};
use crate::router::Route6;
use netlayers_network::route::Route;

/// What the command line may change.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Config {
    pub seed: u64,
    /// Fault probabilities on every link.
    pub faults: Faults,
    /// One-way propagation delay of every link.
    pub delay: Nanos,
    pub bandwidth_bps: u64,
    /// MTU of the small link in the `fragment` scenario.
    pub mtu: usize,
}

impl Default for Config {
    fn default() -> Config {
        Config { seed: 1, faults: Faults::NONE, delay: MS, bandwidth_bps: 100_000_000, mtu: SMALL_MTU }
    }
}

/// The small link's MTU unless `--mtu` says otherwise: 576, the datagram size every IPv4 host
/// must be able to receive (RFC 791), and the MTU of old dial-up and X.25 links.
pub const SMALL_MTU: usize = 576;

impl Config {
    pub fn link(&self) -> LinkSpec {
        LinkSpec { bandwidth_bps: self.bandwidth_bps, delay: self.delay, faults: self.faults }
    }
}

/// What the command line gave, each `None` when not given: then the scenario's (or the scenario
/// file's) own value stands.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Overrides {
    pub seed: Option<u64>,
    pub loss: Option<f64>,
    pub duplicate: Option<f64>,
    pub reorder: Option<f64>,
    pub corrupt: Option<f64>,
    /// One-way propagation delay of every link.
    pub delay: Option<Nanos>,
}

impl Overrides {
    /// `base` with each fault the command line gave replaced.
    pub fn faults(&self, base: Faults) -> Faults {
        Faults {
            loss: self.loss.unwrap_or(base.loss),
            duplicate: self.duplicate.unwrap_or(base.duplicate),
            reorder: self.reorder.unwrap_or(base.reorder),
            corrupt: self.corrupt.unwrap_or(base.corrupt),
        }
    }
}

pub struct Scenario {
    pub name: &'static str,
    pub about: Text,
    /// The faults it runs with when the command line names none (flags override each one).
    pub faults: Faults,
    build: fn(&Config) -> Network,
    /// What the run showed, said after it (for scenarios whose point is a comparison).
    summary: Option<fn(&Network, Lang) -> String>,
}

impl Scenario {
    /// The network, ready to [`Network::run`].
    pub fn build(&self, c: &Config) -> Network {
        (self.build)(c)
    }

    /// After [`Network::run`]: what the run showed, if the scenario has something to sum up.
    pub fn summary(&self, net: &Network, lang: Lang) -> Option<String> {
        self.summary.map(|f| f(net, lang))
    }
}

pub const CLIENT: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
pub const SERVER: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);
pub const PORT: u16 = 8081;
/// Long enough for TIME-WAIT to end and for every retransmission the loss can cause.
pub const RUN_LIMIT: Nanos = 3600 * SEC;

/// The client's lines and the server's answers in the chat scenarios; the client's last is "886".
pub const CHAT: [(&str, &str); 3] = [("hello", "hi, who is it?"), ("a student of sockets", "welcome!"), ("886", "")];

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "arp",
        about: Text::new(
            "pc1 pings pc2 twice through a switch; pc3 sits on the same switch. The first ping needs pc2's MAC: \
             pc1 broadcasts an ARP request, the switch floods it to every port, pc2 answers by unicast, and the \
             switch learns where each MAC lives. The second ping finds the MAC in pc1's ARP cache: no ARP at all.",
            "pc1 经交换机 ping pc2 两次,pc3 也接在这台交换机上。第一次 ping 需要 pc2 的 MAC 地址:pc1 广播 ARP 请求,\
             交换机把它泛洪到所有端口,pc2 单播应答,交换机随之学到每个 MAC 在哪个端口。第二次 ping 时 pc1 的 ARP \
             缓存里已经有了这个 MAC:不再发 ARP。",
        ),
        faults: Faults::NONE,
        build: arp,
        summary: None,
    },
    Scenario {
        name: "handshake",
        about: Text::new(
            "A client connects to a server listening on port 8081 and closes at once. Watch the three-way handshake \
             (SYN, SYN+ACK, ACK) take both ends to ESTABLISHED, then the FIN close: the side that closes first \
             goes FIN-WAIT-1, FIN-WAIT-2 and waits in TIME-WAIT for 2×MSL (60 s here, as Linux); the other goes \
             CLOSE-WAIT, LAST-ACK, CLOSED.",
            "客户端连接在 8081 端口监听的服务器,随即关闭。看三次握手(SYN、SYN+ACK、ACK)让两端进入 ESTABLISHED,\
             再看 FIN 关闭:先关闭的一方经过 FIN-WAIT-1、FIN-WAIT-2,在 TIME-WAIT 中等待 2×MSL(这里与 Linux \
             一样是 60 秒);另一方经过 CLOSE-WAIT、LAST-ACK 到 CLOSED。",
        ),
        faults: Faults::NONE,
        build: handshake,
        summary: None,
    },
    Scenario {
        name: "chat",
        about: Text::new(
            "The tutorial's TCP chat: the server binds 8081, listens and accepts; the client connects; lines go \
             back and forth, each a send() and a recv() with the ACKs TCP adds; the client's \"886\" ends the \
             conversation and both sides close. Add --loss 0.2 to see TCP retransmit until every byte arrives.",
            "教程里的 TCP 聊天:服务器绑定 8081、监听并 accept;客户端 connect;一来一回地发消息,每一句都是一次 \
             send() 和一次 recv(),再加上 TCP 自己的 ACK;客户端发 \"886\" 结束对话,两边各自关闭。加上 --loss 0.2 \
             可以看到 TCP 一直重传,直到每个字节都送达。",
        ),
        faults: Faults::NONE,
        build: chat,
        summary: None,
    },
    Scenario {
        name: "udp-chat",
        about: Text::new(
            "The same chat over UDP: no connection, no handshake, no ACKs, no close on the wire. Each sendto() is \
             one datagram and each recvfrom() returns exactly one. With --loss a lost datagram is simply gone: \
             the program waiting for it waits for ever (the run ends when nothing is left to happen).",
            "同样的聊天改用 UDP:没有连接、没有握手、没有 ACK,线路上也没有关闭。每次 sendto() 就是一个数据报,\
             每次 recvfrom() 正好收到一个。加上 --loss 后,丢了的数据报就没了:等它的程序会一直等下去\
             (没有事情可做时模拟结束)。",
        ),
        faults: Faults::NONE,
        build: udp_chat,
        summary: None,
    },
    Scenario {
        name: "tcp-vs-udp",
        about: Text::new(
            "The same ten numbered lines go from client to server twice over one faulty link (20% of frames \
             lost, 20% held back so later ones overtake them): once over TCP (send() ten times, the server \
             reads with recv(1024) until the end of the stream) and once over UDP (sendto() ten times, the \
             server calls recvfrom(1024) until two seconds pass without a datagram). TCP retransmits and puts \
             bytes back in order, so every byte arrives in order, but recv() returns whatever has arrived, \
             so the lines come in merged chunks: the boundaries of the send() calls are not kept. UDP repairs \
             nothing: each recvfrom() returns one whole datagram, but some are missing, some out of order, \
             and a duplicated one would come twice. --loss, --reorder, --dup and --corrupt change the faults.",
            "同样十行带编号的文字,经同一条有故障的链路(20% 的帧丢失,20% 的帧被耽搁、让后发的先到)从客户端发给\
             服务器两遍:一遍走 TCP(send() 十次,服务器用 recv(1024) 一直读到流结束),一遍走 UDP(sendto() 十次,\
             服务器反复 recvfrom(1024),直到两秒没有数据报)。TCP 会重传并把字节重新排好,所以每个字节都按顺序\
             到达;但 recv() 有多少就返回多少,几行会粘在一起:send() 之间的边界没有保留。UDP 什么也不修补:每次 \
             recvfrom() 返回一个完整的数据报,但有的丢了,有的乱序,被复制的会收到两次。--loss、--reorder、--dup \
             和 --corrupt 可以改变故障。",
        ),
        faults: Faults { loss: 0.2, reorder: 0.2, ..Faults::NONE },
        build: tcp_vs_udp,
        summary: Some(tcp_vs_udp_summary),
    },
    Scenario {
        name: "port-unreachable",
        about: Text::new(
            "The bug in the tutorial's own client: the server listens on TCP port 8081, and the client makes \
             a SOCK_DGRAM socket, connect()s it to port 8081 and sends. TCP and UDP ports are separate, and no \
             UDP socket is bound to 8081, so the server's host answers with ICMP destination unreachable, \
             port unreachable (type 3, code 3), quoting the start of the datagram. The client's socket is \
             connected, so the kernel matches the quote to it and its next call, recv(), fails with \
             ECONNREFUSED (on Linux, Python raises ConnectionRefusedError). A TCP connect() to port 8080, where \
             nothing listens, is refused too, by a RST.",
            "教程客户端自己的错误:服务器在 TCP 8081 端口监听,客户端却建了 SOCK_DGRAM 套接字,connect() 到 8081 \
             端口再发送。TCP 和 UDP 的端口是两套,8081 上没有绑定 UDP 套接字,于是服务器主机回一个 ICMP 目的不可达、\
             端口不可达(类型 3,代码 3),里面引用了那个数据报的开头。客户端的套接字是已连接的,内核据这段引用找到\
             它,它的下一次调用 recv() 就以 ECONNREFUSED 失败(在 Linux 上 Python 抛出 ConnectionRefusedError)。\
             用 TCP connect() 到没人监听的 8080 端口,同样被拒绝,靠的是 RST。",
        ),
        faults: Faults::NONE,
        build: port_unreachable,
        summary: None,
    },
    Scenario {
        name: "teardown",
        about: Text::new(
            "Three ways a TCP connection ends, one connection each. 1. The client closes first: its FIN takes it \
             to FIN-WAIT-1, the ACK to FIN-WAIT-2; the server's recv() returns b'' and it sits in CLOSE-WAIT \
             until its program closes (100 ms later), then LAST-ACK until its FIN is acknowledged; the client \
             waits in TIME-WAIT for 2×MSL. 2. Both close at the same instant (2 s): each FIN meets the other's, \
             so both go FIN-WAIT-1 → CLOSING → TIME-WAIT. 3. The server aborts (SO_LINGER with 0 s, then \
             close()): one RST, no FIN, no TIME-WAIT, and the client's recv() fails with ECONNRESET.",
            "TCP 连接结束的三种方式,各用一条连接演示。1. 客户端先关闭:发出 FIN 进入 FIN-WAIT-1,收到 ACK 进入 \
             FIN-WAIT-2;服务器的 recv() 返回 b'',它停在 CLOSE-WAIT,直到程序关闭(100 毫秒后),然后是 LAST-ACK,\
             等自己的 FIN 被确认;客户端在 TIME-WAIT 中等待 2×MSL。2. 双方在同一时刻(2 秒)关闭:两个 FIN 在路上\
             交错,双方都经过 FIN-WAIT-1 → CLOSING → TIME-WAIT。3. 服务器中止连接(SO_LINGER 设为 0 秒再 \
             close()):只有一个 RST,没有 FIN,也没有 TIME-WAIT,客户端的 recv() 以 ECONNRESET 失败。",
        ),
        faults: Faults::NONE,
        build: teardown,
        summary: None,
    },
    Scenario {
        name: "fragment",
        about: Text::new(
            "pc1 — router — pc2, where the router's link to pc2 has a small MTU (576 bytes; change it with --mtu). \
             pc1's program turns Don't Fragment off and sends a 1000-byte UDP datagram: it leaves pc1 whole, the \
             router splits it into fragments (same ID, offsets in 8-byte units, MF on all but the last), and pc2 \
             puts them back together before UDP sees anything: recvfrom() returns all 1000 bytes. Then the program \
             sends the same datagram with DF on, as Linux does by default for path MTU discovery: the router may \
             not split it, drops it and answers ICMP \"fragmentation needed\" with the MTU that would fit.",
            "pc1 — 路由器 — pc2,路由器到 pc2 的那段链路 MTU 很小(576 字节,可用 --mtu 修改)。pc1 上的程序先关掉 \
             DF(不分片)位,发出一个 1000 字节的 UDP 数据报:它完整地离开 pc1,路由器把它切成若干分片(标识相同,\
             偏移以 8 字节为单位,除最后一片外都置 MF 位),pc2 在交给 UDP 之前先把分片重组好:recvfrom() 拿到完整的 \
             1000 字节。接着程序打开 DF 再发一次同样的数据报(Linux 为了路径 MTU 发现默认就这样做):路由器不能分片,\
             只好丢弃,并回一个 ICMP“需要分片”,告诉对方能通过的 MTU。",
        ),
        faults: Faults::NONE,
        build: fragment,
        summary: None,
    },
    Scenario {
        name: "route",
        about: Text::new(
            "Three networks and two routers: pc1 (10.0.1.0/24) — r1 — 10.0.12.0/30 — r2 — pc2 (10.0.2.0/24). Each \
             host sends what is not on its subnet to its default gateway's MAC; each router picks the most specific \
             route, takes one from the TTL and passes the packet on. A ping crosses both routers (TTL 64 → 63 → 62). \
             Then, like traceroute, UDP probes go out with TTL 1, 2 and 3: the router where the TTL runs out answers \
             ICMP time exceeded, which names each hop in turn, and the last probe reaches pc2, whose closed port \
             answers port unreachable. Last, a ping to 172.16.0.1, for which r1 has no route: network unreachable.",
            "三个网络、两台路由器:pc1(10.0.1.0/24)— r1 — 10.0.12.0/30 — r2 — pc2(10.0.2.0/24)。主机把不在本子网的 \
             分组发往默认网关的 MAC;路由器选出最具体(前缀最长)的路由,把 TTL 减一后转发。先是一次 ping 穿过两台路由器\
             (TTL 64 → 63 → 62)。再像 traceroute 那样,依次发出 TTL 为 1、2、3 的 UDP 探测包:TTL 在哪台路由器上耗尽,\
             哪台就回 ICMP 超时,于是沿途每一跳依次现身;最后一个探测包到达 pc2,它的端口没有程序监听,回“端口不可达”。\
             最后 ping 172.16.0.1,r1 没有去那里的路由:回“网络不可达”。",
        ),
        faults: Faults::NONE,
        build: route,
        summary: None,
    },
    Scenario {
        name: "ipv6",
        about: Text::new(
            "pc1 and pc2 on a switch, each with an IPv4 address (10.0.0.x/24), an IPv6 one (fd00:1::x/64) and a \
             link-local fe80:: address made from its MAC. pc1 pings pc2 over IPv6 twice. IPv6 has no ARP: the \
             first ping waits while Neighbor Discovery asks. pc1 sends an ICMPv6 Neighbor Solicitation to pc2's \
             solicited-node multicast group (ff02::1:ff00:2, MAC 33:33:ff:00:00:02: only hosts whose address ends \
             like pc2's listen there, not everyone as with a broadcast); pc2 answers with a Neighbor Advertisement \
             carrying its MAC. The second ping finds it in the neighbor cache. Then the tutorial's chat runs over \
             TCP on IPv6 (socket(AF_INET6, SOCK_STREAM), port 8081). Last, pc2 has a UDP socket bound to \
             10.0.0.2 port 8081: a datagram to it over IPv4 arrives, but the same port over IPv6 is another name \
             (IP, protocol, port) with no socket, so pc2 answers ICMPv6 port unreachable.",
            "pc1 和 pc2 接在一台交换机上,各有一个 IPv4 地址(10.0.0.x/24)、一个 IPv6 地址(fd00:1::x/64),\
             还有一个由 MAC 生成的 fe80:: 链路本地地址。pc1 经 IPv6 ping pc2 两次。IPv6 没有 ARP:第一次 ping 要等\
             邻居发现(NDP)问出结果。pc1 把 ICMPv6 邻居请求发到 pc2 的请求节点组播组(ff02::1:ff00:2,MAC \
             33:33:ff:00:00:02:只有地址末尾和 pc2 相同的主机才监听它,不像广播那样人人都收);pc2 回一个带着自己 MAC \
             的邻居通告。第二次 ping 直接在邻居缓存里找到 MAC。接着教程里的聊天程序改走 IPv6 上的 TCP\
             (socket(AF_INET6, SOCK_STREAM),端口 8081)。最后,pc2 有一个绑定在 10.0.0.2 的 8081 端口上的 UDP \
             套接字:经 IPv4 发来的数据报能收到,而经 IPv6 发往同一端口号的数据报是另一个名字(IP, 协议, 端口),\
             没有套接字,于是 pc2 回 ICMPv6 端口不可达。",
        ),
        faults: Faults::NONE,
        build: ipv6,
        summary: None,
    },
    Scenario {
        name: "route6",
        about: Text::new(
            "The route scenario's three networks over IPv6: pc1 (fd00:1::/64) — r1 — fd00:12::/64 — r2 — pc2 \
             (fd00:2::/64), with an MTU of 1280 on pc2's link. Each host sends what is off its link to its IPv6 \
             gateway, whose MAC Neighbor Discovery finds; each router answers solicitations for its own addresses, \
             solicits its next hops, picks the longest matching prefix and takes one from the hop limit (the IPv6 \
             header has no checksum to rewrite). A ping6 crosses both routers (hop limit 64 → 63 → 62). Then, like \
             traceroute6, UDP probes leave with hop limit 1, 2 and 3: r1 and r2 answer ICMPv6 time exceeded, pc2 \
             port unreachable. A 1400-byte datagram does not fit pc2's link: IPv6 routers never fragment, so r2 \
             drops it and answers packet too big with the MTU. Last, a ping6 to fd00:99::1, for which r1 has no \
             route: destination unreachable, no route.",
            "把 route 场景的三个网络换成 IPv6:pc1(fd00:1::/64)— r1 — fd00:12::/64 — r2 — pc2(fd00:2::/64),\
             pc2 所在链路的 MTU 是 1280。主机把不在本链路上的分组交给 IPv6 网关,网关的 MAC 靠邻居发现得到;路由器\
             应答询问自己地址的邻居请求,也为下一跳发出邻居请求,按最长前缀匹配选路,并把跳数限制减一(IPv6 首部没有\
             校验和,不用重算)。先是一次 ping6 穿过两台路由器(跳数限制 64 → 63 → 62)。再像 traceroute6 那样,\
             依次发出跳数限制为 1、2、3 的 UDP 探测包:r1、r2 回 ICMPv6 超时,pc2 回端口不可达。接着一个 1400 字节\
             的数据报放不进 pc2 的链路:IPv6 路由器从不分片,r2 丢弃它并回“分组过大”,附上 MTU。最后 ping6 \
             fd00:99::1,r1 没有去那里的路由:回“目的不可达,无路由”。",
        ),
        faults: Faults::NONE,
        build: route6,
        summary: None,
    },
];

pub fn find(name: &str) -> Option<&'static Scenario> {
    SCENARIOS.iter().find(|s| s.name == name)
}

/// Two hosts on one cable: 10.0.0.1 (client) and 10.0.0.2 (server).
pub fn two_hosts(c: &Config) -> (Network, usize, usize) {
    let mut n = Network::new(c.seed);
    let a = n.add_host("client", CLIENT, 24);
    let b = n.add_host("server", SERVER, 24);
    let _ = n.connect(a, 0, b, 0, c.link());
    (n, a, b)
}

fn server_addr() -> SocketAddrV4 {
    SocketAddrV4::new(SERVER, PORT)
}

fn add_app(n: &mut Network, node: usize, app: App) {
    if let Some(h) = n.host_mut(node) {
        h.apps.push(app);
    }
}

fn arp(c: &Config) -> Network {
    let mut n = Network::new(c.seed);
    let sw = n.add_switch("switch", 3);
    let pcs: Vec<usize> = (1..=3u8).map(|i| n.add_host(&format!("pc{i}"), Ipv4Addr::new(10, 0, 0, i), 24)).collect();
    for (port, &pc) in pcs.iter().enumerate() {
        let _ = n.connect(pc, 0, sw, port, c.link());
    }
    let calls = vec![Call::Ping { to: SERVER, seq: 1 }, Call::Sleep(SEC), Call::Ping { to: SERVER, seq: 2 }];
    add_app(&mut n, pcs[0], App::new("ping", calls));
    n
}

fn handshake(c: &Config) -> Network {
    let (mut n, a, b) = two_hosts(c);
    let server = vec![
        Call::Socket { slot: 0, kind: Kind::Stream },
        Call::Bind { slot: 0, port: PORT },
        Call::Listen { slot: 0 },
        Call::Accept { listener: 0, into: 1 },
        Call::Recv { slot: 1 },
        Call::Close { slot: 1 },
        Call::Close { slot: 0 },
    ];
    let client = vec![
        Call::Sleep(MS),
        Call::Socket { slot: 0, kind: Kind::Stream },
        Call::Connect { slot: 0, to: server_addr() },
        Call::Close { slot: 0 },
    ];
    add_app(&mut n, b, App::new("server", server));
    add_app(&mut n, a, App::new("client", client));
    n
}

fn chat(c: &Config) -> Network {
    let (mut n, a, b) = two_hosts(c);
    let mut server = vec![
        Call::Socket { slot: 0, kind: Kind::Stream },
        Call::Bind { slot: 0, port: PORT },
        Call::Listen { slot: 0 },
        Call::Accept { listener: 0, into: 1 },
    ];
    let mut client = vec![
        Call::Sleep(MS),
        Call::Socket { slot: 0, kind: Kind::Stream },
        Call::Connect { slot: 0, to: server_addr() },
    ];
    tcp_chat_lines(&mut server, &mut client);
    add_app(&mut n, b, App::new("server", server));
    add_app(&mut n, a, App::new("client", client));
    n
}

/// The chat's conversation over a connected TCP socket (the client's slot 0, the server's
/// accepted slot 1 beside its listening slot 0), after the connection calls: each line, the
/// answer, and "886" ending both programs' loops, which then close their sockets.
fn tcp_chat_lines(server: &mut Vec<Call>, client: &mut Vec<Call>) {
    for (line, answer) in CHAT {
        // A person types for a while before each line.
        client.push(Call::Sleep(500 * MS));
        client.push(Call::Send { slot: 0, data: line.as_bytes().to_vec() });
        server.push(Call::Recv { slot: 1 });
        if line != "886" {
            server.push(Call::Sleep(500 * MS));
            server.push(Call::Send { slot: 1, data: answer.as_bytes().to_vec() });
            client.push(Call::Recv { slot: 0 });
        }
    }
    // "886": the client leaves its loop and closes; the server's recv() returned "886", so it
    // leaves its loop too and closes both sockets.
    client.push(Call::Close { slot: 0 });
    server.push(Call::Close { slot: 1 });
    server.push(Call::Close { slot: 0 });
}

fn udp_chat(c: &Config) -> Network {
    let (mut n, a, b) = two_hosts(c);
    let mut server = vec![Call::Socket { slot: 0, kind: Kind::Datagram }, Call::Bind { slot: 0, port: PORT }];
    let mut client = vec![Call::Sleep(MS), Call::Socket { slot: 0, kind: Kind::Datagram }];
    for (line, answer) in CHAT {
        client.push(Call::Sleep(500 * MS));
        client.push(Call::SendTo { slot: 0, data: line.as_bytes().to_vec(), to: server_addr() });
        server.push(Call::RecvFrom { slot: 0 });
        if line != "886" {
            server.push(Call::Sleep(500 * MS));
            server.push(Call::Reply { slot: 0, data: answer.as_bytes().to_vec() });
            client.push(Call::RecvFrom { slot: 0 });
        }
    }
    client.push(Call::Close { slot: 0 });
    server.push(Call::Close { slot: 0 });
    add_app(&mut n, b, App::new("server", server));
    add_app(&mut n, a, App::new("client", client));
    n
}

/// The lines tcp-vs-udp sends, numbered from 1.
pub fn numbered_lines() -> Vec<Vec<u8>> {
    (1..=10).map(|i| format!("line {i}\n").into_bytes()).collect()
}

/// How long the UDP receiver of tcp-vs-udp waits for one more datagram before it stops.
pub const UDP_TIMEOUT: Nanos = 2 * SEC;

fn tcp_vs_udp(c: &Config) -> Network {
    let (mut n, a, b) = two_hosts(c);
    let tcp_receiver = vec![
        Call::Socket { slot: 0, kind: Kind::Stream },
        Call::Bind { slot: 0, port: PORT },
        Call::Listen { slot: 0 },
        Call::Accept { listener: 0, into: 1 },
        Call::RecvUntilClosed { slot: 1 },
        Call::Close { slot: 1 },
        Call::Close { slot: 0 },
    ];
    let udp_receiver = vec![
        Call::Socket { slot: 0, kind: Kind::Datagram },
        Call::Bind { slot: 0, port: PORT },
        Call::RecvFromUntilTimeout { slot: 0, timeout: UDP_TIMEOUT },
        Call::Close { slot: 0 },
    ];
    let mut tcp_sender = vec![Call::Sleep(MS), Call::Socket { slot: 0, kind: Kind::Stream }, Call::Connect { slot: 0, to: server_addr() }];
    let mut udp_sender = vec![Call::Sleep(MS), Call::Socket { slot: 0, kind: Kind::Datagram }];
    for line in numbered_lines() {
        tcp_sender.push(Call::Send { slot: 0, data: line.clone() });
        udp_sender.push(Call::SendTo { slot: 0, data: line, to: server_addr() });
    }
    tcp_sender.push(Call::Close { slot: 0 });
    udp_sender.push(Call::Close { slot: 0 });
    add_app(&mut n, b, App::new("tcp-receiver", tcp_receiver));
    add_app(&mut n, b, App::new("udp-receiver", udp_receiver));
    add_app(&mut n, a, App::new("tcp-sender", tcp_sender));
    add_app(&mut n, a, App::new("udp-sender", udp_sender));
    n
}

/// What a receiver got, compared with the lines sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delivery {
    /// recv()/recvfrom() calls that returned data.
    pub calls: usize,
    /// The received bytes are exactly the sent ones, in order.
    pub exact: bool,
    /// Calls that returned more than one line, or a part of one.
    pub merged: usize,
    /// Line numbers never received, received more than once, and received after a later one.
    pub missing: Vec<usize>,
    pub duplicated: Vec<usize>,
    pub out_of_order: Vec<usize>,
}

/// Compares what an application received with the numbered lines.
pub fn delivery(app: &App) -> Delivery {
    let lines = numbered_lines();
    let sent: Vec<u8> = lines.concat();
    let chunks: Vec<&Vec<u8>> = app.messages.iter().filter(|m| !m.is_empty()).collect();
    let number = |m: &[u8]| lines.iter().position(|l| l.as_slice() == m).map(|i| i + 1);
    let got: Vec<usize> = chunks.iter().filter_map(|m| number(m)).collect();
    let mut d = Delivery { calls: chunks.len(), exact: app.received == sent, ..Delivery::default() };
    d.merged = chunks.iter().filter(|m| number(m).is_none()).count();
    d.missing = (1..=lines.len()).filter(|i| !got.contains(i)).collect();
    for i in 1..=lines.len() {
        if got.iter().filter(|g| **g == i).count() > 1 {
            d.duplicated.push(i);
        }
    }
    let mut highest = 0;
    for &g in &got {
        if g < highest && !d.out_of_order.contains(&g) {
            d.out_of_order.push(g);
        }
        highest = highest.max(g);
    }
    d
}

fn list(v: &[usize]) -> String {
    v.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(", ")
}

fn tcp_vs_udp_summary(n: &Network, lang: Lang) -> String {
    let zh = lang == Lang::Zh;
    let find = |name: &str| n.nodes().iter().filter_map(|node| match node {
        crate::net::Node::Host(h) => h.apps.iter().find(|a| a.name == name),
        _ => None,
    }).next();
    let (Some(tcp), Some(udp)) = (find("tcp-receiver"), find("udp-receiver")) else { return String::new() };
    let show = |app: &App| -> String {
        let parts: Vec<String> = app.messages.iter().filter(|m| !m.is_empty()).map(|m| format!("\"{}\"", netlayers_core::escape::bytes(m))).collect();
        format!("    {}\n", parts.join(" | "))
    };
    let (t, u) = (delivery(tcp), delivery(udp));
    let mut o = String::new();
    o.push_str(if zh { "接收程序实际收到了什么(各发送 10 行)\n" } else { "What each receiving program got (10 lines sent each way)\n" });
    o.push_str(&match (zh, t.exact) {
        (false, true) => format!(
            "TCP: every byte, in order; {} recv() calls for 10 send() calls, {} of them not one whole line: the stream keeps no message boundaries\n",
            t.calls, t.merged
        ),
        (true, true) => format!(
            "TCP:每个字节都到了,顺序不乱;10 次 send() 对应 {} 次 recv(),其中 {} 次不是正好一行:字节流不保留消息边界\n",
            t.calls, t.merged
        ),
        (false, false) => format!("TCP: the stream did not arrive whole ({} bytes)\n", tcp.received.len()),
        (true, false) => format!("TCP:字节流没有完整到达({} 个字节)\n", tcp.received.len()),
    });
    o.push_str(&show(tcp));
    let none = if zh { "无" } else { "none" };
    let or_none = |v: &[usize]| if v.is_empty() { none.to_string() } else { list(v) };
    o.push_str(&if zh {
        format!(
            "UDP:{} 次 recvfrom(),每次正好一个完整的数据报;丢失的行:{};重复的行:{};乱序的行:{}\n",
            u.calls, or_none(&u.missing), or_none(&u.duplicated), or_none(&u.out_of_order)
        )
    } else {
        format!(
            "UDP: {} recvfrom() calls, each one whole datagram; lines missing: {}; duplicated: {}; out of order: {}\n",
            u.calls, or_none(&u.missing), or_none(&u.duplicated), or_none(&u.out_of_order)
        )
    });
    o.push_str(&show(udp));
    o
}

fn port_unreachable(c: &Config) -> Network {
    let (mut n, a, b) = two_hosts(c);
    let server = vec![
        Call::Socket { slot: 0, kind: Kind::Stream },
        Call::Bind { slot: 0, port: PORT },
        Call::Listen { slot: 0 },
        Call::Sleep(SEC),
        Call::Close { slot: 0 },
    ];
    let udp_client = vec![
        Call::Sleep(MS),
        Call::Socket { slot: 0, kind: Kind::Datagram },
        Call::Connect { slot: 0, to: server_addr() },
        Call::Send { slot: 0, data: b"hello".to_vec() },
        Call::Recv { slot: 0 },
        Call::Close { slot: 0 },
    ];
    let tcp_client = vec![
        Call::Sleep(100 * MS),
        Call::Socket { slot: 0, kind: Kind::Stream },
        Call::Connect { slot: 0, to: SocketAddrV4::new(SERVER, CLOSED_PORT) },
        Call::Close { slot: 0 },
    ];
    add_app(&mut n, b, App::new("server", server));
    add_app(&mut n, a, App::new("udp-client", udp_client));
    add_app(&mut n, a, App::new("tcp-client", tcp_client));
    n
}

/// The port nothing listens on in port-unreachable (the one the tutorial's client names).
pub const CLOSED_PORT: u16 = 8080;

/// When both sides of teardown's second connection close, and when its third is aborted.
pub const SIMULTANEOUS_CLOSE: Nanos = 2 * SEC;
pub const ABORT_AT: Nanos = 3 * SEC + 500 * MS;

fn teardown(c: &Config) -> Network {
    let (mut n, a, b) = two_hosts(c);
    let server = vec![
        Call::Socket { slot: 0, kind: Kind::Stream },
        Call::Bind { slot: 0, port: PORT },
        Call::Listen { slot: 0 },
        // 1: the client closes first; the server reads the end, stays in CLOSE-WAIT a while.
        Call::Accept { listener: 0, into: 1 },
        Call::Recv { slot: 1 },
        Call::Sleep(100 * MS),
        Call::Close { slot: 1 },
        // 2: both close at the same instant.
        Call::Accept { listener: 0, into: 2 },
        Call::SleepUntil(SIMULTANEOUS_CLOSE),
        Call::Close { slot: 2 },
        // 3: the server aborts.
        Call::Accept { listener: 0, into: 3 },
        Call::SleepUntil(ABORT_AT),
        Call::Abort { slot: 3 },
        Call::Close { slot: 0 },
    ];
    let client = vec![
        Call::Sleep(MS),
        Call::Socket { slot: 0, kind: Kind::Stream },
        Call::Connect { slot: 0, to: server_addr() },
        Call::Sleep(100 * MS),
        Call::Close { slot: 0 },
        Call::SleepUntil(SEC),
        Call::Socket { slot: 1, kind: Kind::Stream },
        Call::Connect { slot: 1, to: server_addr() },
        Call::SleepUntil(SIMULTANEOUS_CLOSE),
        Call::Close { slot: 1 },
        Call::SleepUntil(3 * SEC),
        Call::Socket { slot: 2, kind: Kind::Stream },
        Call::Connect { slot: 2, to: server_addr() },
        Call::Recv { slot: 2 },
        Call::Close { slot: 2 },
    ];
    add_app(&mut n, b, App::new("server", server));
    add_app(&mut n, a, App::new("client", client));
    n
}

/// A default route via `gateway` for the host at `node`.
fn set_gateway(n: &mut Network, node: usize, gateway: Ipv4Addr) {
    if let Some(h) = n.host_mut(node) {
        h.routes.add(Route::new(Ipv4Addr::UNSPECIFIED, 0, Some(gateway), 0));
    }
}

/// The datagram the `fragment` scenario sends: 1000 letters.
pub fn fragment_payload() -> Vec<u8> {
    (0..1000u32).map(|i| b'a' + (i % 26) as u8).collect()
}

fn fragment(c: &Config) -> Network {
    let mut n = Network::new(c.seed);
    let pc1 = n.add_host("pc1", Ipv4Addr::new(10, 0, 1, 1), 24);
    let router = n.add_router("router", &[(Ipv4Addr::new(10, 0, 1, 254), 24, 1500), (Ipv4Addr::new(10, 0, 2, 254), 24, c.mtu)]);
    let pc2 = n.add_host("pc2", Ipv4Addr::new(10, 0, 2, 2), 24);
    let _ = n.connect(pc1, 0, router, 0, c.link());
    let _ = n.connect(router, 1, pc2, 0, c.link());
    set_gateway(&mut n, pc1, Ipv4Addr::new(10, 0, 1, 254));
    set_gateway(&mut n, pc2, Ipv4Addr::new(10, 0, 2, 254));
    if let Some(h) = n.host_mut(pc2) {
        h.mtu = c.mtu;
    }
    let to = SocketAddrV4::new(Ipv4Addr::new(10, 0, 2, 2), PORT);
    let server = vec![
        Call::Socket { slot: 0, kind: Kind::Datagram },
        Call::Bind { slot: 0, port: PORT },
        Call::RecvFrom { slot: 0 },
        Call::Close { slot: 0 },
    ];
    let client = vec![
        Call::Sleep(MS),
        Call::Socket { slot: 0, kind: Kind::Datagram },
        Call::SetOption { slot: 0, option: SockOpt::DontFragment(false) },
        Call::SendTo { slot: 0, data: fragment_payload(), to },
        Call::Sleep(500 * MS),
        Call::SetOption { slot: 0, option: SockOpt::DontFragment(true) },
        Call::SendTo { slot: 0, data: fragment_payload(), to },
        Call::Sleep(500 * MS),
        Call::Close { slot: 0 },
    ];
    add_app(&mut n, pc2, App::new("server", server));
    add_app(&mut n, pc1, App::new("client", client));
    n
}

/// The addresses of the `route` scenario.
pub const ROUTE_PC1: Ipv4Addr = Ipv4Addr::new(10, 0, 1, 1);
pub const ROUTE_PC2: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 2);
/// The destination no router has a route to.
pub const ROUTE_NOWHERE: Ipv4Addr = Ipv4Addr::new(172, 16, 0, 1);
/// The first UDP port traceroute probes (each probe takes the next).
pub const TRACEROUTE_PORT: u16 = 33434;

fn route(c: &Config) -> Network {
    let mut n = Network::new(c.seed);
    let pc1 = n.add_host("pc1", ROUTE_PC1, 24);
    let r1 = n.add_router("r1", &[(Ipv4Addr::new(10, 0, 1, 254), 24, 1500), (Ipv4Addr::new(10, 0, 12, 1), 30, 1500)]);
    let r2 = n.add_router("r2", &[(Ipv4Addr::new(10, 0, 12, 2), 30, 1500), (Ipv4Addr::new(10, 0, 2, 254), 24, 1500)]);
    let pc2 = n.add_host("pc2", ROUTE_PC2, 24);
    let _ = n.connect(pc1, 0, r1, 0, c.link());
    let _ = n.connect(r1, 1, r2, 0, c.link());
    let _ = n.connect(r2, 1, pc2, 0, c.link());
    set_gateway(&mut n, pc1, Ipv4Addr::new(10, 0, 1, 254));
    set_gateway(&mut n, pc2, Ipv4Addr::new(10, 0, 2, 254));
    // r1 knows pc2's network through r2, and nothing else; r2 sends everything else to r1.
    if let Some(r) = n.router_mut(r1) {
        r.routes.add(Route::new(Ipv4Addr::new(10, 0, 2, 0), 24, Some(Ipv4Addr::new(10, 0, 12, 2)), 1));
    }
    if let Some(r) = n.router_mut(r2) {
        r.routes.add(Route::new(Ipv4Addr::UNSPECIFIED, 0, Some(Ipv4Addr::new(10, 0, 12, 1)), 0));
    }
    let ping = vec![Call::Ping { to: ROUTE_PC2, seq: 1 }, Call::Sleep(3 * SEC), Call::Ping { to: ROUTE_NOWHERE, seq: 2 }];
    // traceroute's probes: 32 bytes each, to ports nobody listens on, one more hop each time.
    let probe: Vec<u8> = (0..32u8).map(|i| b'A' + i % 26).collect();
    let mut traceroute = vec![Call::Sleep(SEC), Call::Socket { slot: 0, kind: Kind::Datagram }];
    for ttl in 1..=3u8 {
        traceroute.push(Call::SetOption { slot: 0, option: SockOpt::Ttl(ttl) });
        let to = SocketAddrV4::new(ROUTE_PC2, TRACEROUTE_PORT + u16::from(ttl) - 1);
        traceroute.push(Call::SendTo { slot: 0, data: probe.clone(), to });
        traceroute.push(Call::Sleep(500 * MS));
    }
    traceroute.push(Call::Close { slot: 0 });
    add_app(&mut n, pc1, App::new("ping", ping));
    add_app(&mut n, pc1, App::new("traceroute", traceroute));
    n
}

/// The IPv6 addresses of the `route6` scenario.
pub const ROUTE6_PC1: Ipv6Addr = Ipv6Addr::new(0xfd00, 1, 0, 0, 0, 0, 0, 1);
pub const ROUTE6_PC2: Ipv6Addr = Ipv6Addr::new(0xfd00, 2, 0, 0, 0, 0, 0, 2);
/// The destination no router has a route to.
pub const ROUTE6_NOWHERE: Ipv6Addr = Ipv6Addr::new(0xfd00, 0x99, 0, 0, 0, 0, 0, 1);
/// The MTU of pc2's link in `route6`: IPv6's minimum.
pub const ROUTE6_MTU: usize = 1280;

fn route6(c: &Config) -> Network {
    let v6 = |net: u16, host: u16| Ipv6Addr::new(0xfd00, net, 0, 0, 0, 0, 0, host);
    let mut n = Network::new(c.seed);
    let pc1 = n.add_host("pc1", ROUTE_PC1, 24);
    let r1 = n.add_router("r1", &[(Ipv4Addr::new(10, 0, 1, 254), 24, 1500), (Ipv4Addr::new(10, 0, 12, 1), 30, 1500)]);
    let r2 = n.add_router("r2", &[(Ipv4Addr::new(10, 0, 12, 2), 30, 1500), (Ipv4Addr::new(10, 0, 2, 254), 24, ROUTE6_MTU)]);
    let pc2 = n.add_host("pc2", ROUTE_PC2, 24);
    let _ = n.connect(pc1, 0, r1, 0, c.link());
    let _ = n.connect(r1, 1, r2, 0, c.link());
    let _ = n.connect(r2, 1, pc2, 0, c.link());
    for (pc, ip, gw, mtu) in [(pc1, ROUTE6_PC1, v6(1, 0xfe), 1500), (pc2, ROUTE6_PC2, v6(2, 0xfe), ROUTE6_MTU)] {
        if let Some(h) = n.host_mut(pc) {
            h.set_ipv6(ip, 64);
            h.gateway6 = Some(gw);
            h.mtu = mtu;
        }
    }
    // r1 knows pc2's prefix through r2, and nothing else; r2 sends everything else to r1.
    if let Some(r) = n.router_mut(r1) {
        r.set_ipv6(0, v6(1, 0xfe), 64);
        r.set_ipv6(1, v6(0x12, 1), 64);
        r.add_route6(Route6 { net: v6(2, 0), prefix: 64, via: Some(v6(0x12, 2)), interface: 1 });
    }
    if let Some(r) = n.router_mut(r2) {
        r.set_ipv6(0, v6(0x12, 2), 64);
        r.set_ipv6(1, v6(2, 0xfe), 64);
        r.add_route6(Route6 { net: Ipv6Addr::UNSPECIFIED, prefix: 0, via: Some(v6(0x12, 1)), interface: 0 });
    }
    let ping = vec![Call::Ping6 { to: ROUTE6_PC2, seq: 1 }, Call::SleepUntil(4 * SEC), Call::Ping6 { to: ROUTE6_NOWHERE, seq: 2 }];
    // traceroute6's probes, as in `route`, then one datagram too big for pc2's link.
    let probe: Vec<u8> = (0..32u8).map(|i| b'A' + i % 26).collect();
    let mut traceroute = vec![Call::Sleep(SEC), Call::Socket6 { slot: 0, kind: Kind::Datagram }];
    for hops in 1..=3u8 {
        traceroute.push(Call::SetOption { slot: 0, option: SockOpt::HopLimit(hops) });
        let to = SocketAddrV6::new(ROUTE6_PC2, TRACEROUTE_PORT + u16::from(hops) - 1, 0, 0);
        traceroute.push(Call::SendTo6 { slot: 0, data: probe.clone(), to });
        traceroute.push(Call::Sleep(500 * MS));
    }
    traceroute.push(Call::SetOption { slot: 0, option: SockOpt::HopLimit(64) });
    let big = SocketAddrV6::new(ROUTE6_PC2, PORT, 0, 0);
    traceroute.push(Call::SendTo6 { slot: 0, data: vec![b'x'; 1400], to: big });
    traceroute.push(Call::Sleep(500 * MS));
    traceroute.push(Call::Close { slot: 0 });
    add_app(&mut n, pc1, App::new("ping6", ping));
    add_app(&mut n, pc1, App::new("traceroute6", traceroute));
    n
}

pub const PC1_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 1, 0, 0, 0, 0, 0, 1);
pub const PC2_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 1, 0, 0, 0, 0, 0, 2);

fn ipv6(c: &Config) -> Network {
    let mut n = Network::new(c.seed);
    let sw = n.add_switch("switch", 2);
    let pc1 = n.add_host("pc1", CLIENT, 24);
    let pc2 = n.add_host("pc2", SERVER, 24);
    for (port, (pc, v6)) in [(pc1, PC1_V6), (pc2, PC2_V6)].into_iter().enumerate() {
        let _ = n.connect(pc, 0, sw, port, c.link());
        if let Some(h) = n.host_mut(pc) {
            h.set_ipv6(v6, 64);
        }
    }
    let ping = vec![Call::Ping6 { to: PC2_V6, seq: 1 }, Call::Sleep(SEC), Call::Ping6 { to: PC2_V6, seq: 2 }];
    let mut server = vec![
        Call::Socket6 { slot: 0, kind: Kind::Stream },
        Call::Bind { slot: 0, port: PORT },
        Call::Listen { slot: 0 },
        Call::Accept { listener: 0, into: 1 },
    ];
    let mut client = vec![
        Call::SleepUntil(2 * SEC),
        Call::Socket6 { slot: 0, kind: Kind::Stream },
        Call::Connect6 { slot: 0, to: SocketAddrV6::new(PC2_V6, PORT, 0, 0) },
    ];
    tcp_chat_lines(&mut server, &mut client);
    // The same port number over each IP version: only the IPv4 name has a socket.
    let udp4 = vec![
        Call::Socket { slot: 0, kind: Kind::Datagram },
        Call::Bind { slot: 0, port: PORT },
        Call::RecvFrom { slot: 0 },
        Call::Close { slot: 0 },
    ];
    let sender = vec![
        Call::SleepUntil(8 * SEC),
        Call::Socket { slot: 0, kind: Kind::Datagram },
        Call::SendTo { slot: 0, data: b"over IPv4".to_vec(), to: SocketAddrV4::new(SERVER, PORT) },
        Call::Socket6 { slot: 1, kind: Kind::Datagram },
        Call::SendTo6 { slot: 1, data: b"over IPv6".to_vec(), to: SocketAddrV6::new(PC2_V6, PORT, 0, 0) },
        Call::Close { slot: 0 },
        Call::Close { slot: 1 },
    ];
    add_app(&mut n, pc2, App::new("server", server));
    add_app(&mut n, pc2, App::new("udp4", udp4));
    add_app(&mut n, pc1, App::new("ping6", ping));
    add_app(&mut n, pc1, App::new("client", client));
    add_app(&mut n, pc1, App::new("udp", sender));
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::App;
    /// The MSS hosts on Ethernet announce and use.
    const MSS: usize = 1460;

    fn run(name: &str, c: &Config) -> Network {
        let mut n = find(name).unwrap().build(c);
        n.run(RUN_LIMIT);
        n
    }

    fn app<'a>(n: &'a Network, node: usize, name: &str) -> &'a App {
        n.host(node).unwrap().apps.iter().find(|a| a.name == name).unwrap()
    }

    fn texts(n: &Network) -> Vec<String> {
        n.timeline().iter().map(|e| format!("{} {}", e.node, e.text.en)).collect()
    }

    /// The errors that scenarios are about: (scenario, program, error).
    const EXPECTED_ERRORS: &[(&str, &str, &str)] = &[
        ("port-unreachable", "udp-client", "recv() failed: ECONNREFUSED"),
        ("port-unreachable", "tcp-client", "connect() failed: ECONNREFUSED"),
        ("teardown", "client", "recv() failed: ECONNRESET"),
    ];

    #[test]
    fn every_scenario_runs_to_the_end_with_only_the_errors_it_shows() {
        for s in SCENARIOS {
            let n = run(s.name, &Config { faults: s.faults, ..Config::default() });
            for node in 0..n.nodes().len() {
                for a in n.host(node).map(|h| h.apps.as_slice()).unwrap_or_default() {
                    let expected = EXPECTED_ERRORS.iter().find(|e| e.0 == s.name && e.1 == a.name).map(|e| e.2);
                    assert!(a.finished() && a.error.as_ref().map(|e| e.en.as_str()) == expected, "{}: {} stopped: {:?}\n{:#?}", s.name, a.name, a.error, texts(&n));
                }
            }
            assert!(!n.frames().is_empty());
            assert!(n.frames().windows(2).all(|w| w[0].time <= w[1].time));
            assert!(!s.about.en.is_empty() && !s.about.zh.is_empty());
        }
    }

    #[test]
    fn chat_delivers_every_line_in_order() {
        let n = run("chat", &Config::default());
        let lines: Vec<Vec<u8>> = CHAT.iter().map(|(l, _)| l.as_bytes().to_vec()).collect();
        assert_eq!(app(&n, 1, "server").messages, lines);
        let answers: Vec<Vec<u8>> = CHAT.iter().filter(|(_, a)| !a.is_empty()).map(|(_, a)| a.as_bytes().to_vec()).collect();
        assert_eq!(app(&n, 0, "client").messages, answers);
        let u = run("udp-chat", &Config::default());
        assert_eq!(app(&u, 1, "server").messages, lines);
    }

    #[test]
    fn same_seed_same_bytes_and_timeline() {
        let c = Config { seed: 42, faults: Faults { loss: 0.2, ..Faults::NONE }, ..Config::default() };
        let (a, b) = (run("chat", &c), run("chat", &c));
        assert_eq!(a.frames(), b.frames());
        assert_eq!(a.timeline(), b.timeline());
        let d = run("chat", &Config { seed: 43, ..c });
        assert_ne!(a.frames(), d.frames(), "another seed draws other losses and ISNs");
    }

    /// A bulk transfer: the client sends `len` bytes and closes, the server reads to the end.
    pub fn transfer(c: &Config, len: usize) -> (Network, Vec<u8>) {
        transfer_after(c, len, 0)
    }

    /// The same, with the server's program busy for `pause` before it starts reading.
    pub fn transfer_after(c: &Config, len: usize, pause: Nanos) -> (Network, Vec<u8>) {
        let (mut n, a, b) = two_hosts(c);
        let data: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
        let server = vec![
            Call::Socket { slot: 0, kind: Kind::Stream },
            Call::Bind { slot: 0, port: PORT },
            Call::Listen { slot: 0 },
            Call::Accept { listener: 0, into: 1 },
            Call::Sleep(pause),
            Call::RecvAll { slot: 1 },
            Call::Close { slot: 1 },
        ];
        let client = vec![
            Call::Socket { slot: 0, kind: Kind::Stream },
            Call::Connect { slot: 0, to: SocketAddrV4::new(SERVER, PORT) },
            Call::Send { slot: 0, data: data.clone() },
            Call::Close { slot: 0 },
        ];
        add_app(&mut n, b, App::new("server", server));
        add_app(&mut n, a, App::new("client", client));
        n.run(RUN_LIMIT);
        (n, data)
    }

    #[test]
    fn tcp_delivers_the_exact_stream_under_loss_with_retransmissions() {
        for seed in 1..=8 {
            let c = Config { seed, faults: Faults { loss: 0.2, ..Faults::NONE }, ..Config::default() };
            let (n, data) = transfer(&c, 20 * MSS + 123);
            let server = app(&n, 1, "server");
            assert_eq!(server.received, data, "seed {seed}:\n{:#?}", texts(&n));
            assert!(server.error.is_none() && server.finished(), "seed {seed}: {:?} {:?}\n{:#?}", server.error, server.blocked_in(), &texts(&n)[texts(&n).len().saturating_sub(25)..]);
            assert!(n.frames().iter().any(|f| f.lost), "seed {seed}");
            assert!(texts(&n).iter().any(|t| t.contains("retransmits")), "seed {seed}");
        }
        // Without loss nothing is sent twice.
        let (n, data) = transfer(&Config::default(), 50_000);
        assert_eq!(app(&n, 1, "server").received, data);
        assert!(!texts(&n).iter().any(|t| t.contains("retransmits") || t.contains("lost")));
    }

    const ALL_FAULTS: Faults = Faults { loss: 0.3, duplicate: 0.2, reorder: 0.2, corrupt: 0.05 };

    fn damaged(n: &Network, f: impl Fn(&crate::net::Damage) -> bool) -> usize {
        n.frames().iter().filter(|c| c.damage.iter().any(&f)).count()
    }

    #[test]
    fn tcp_delivers_the_exact_stream_under_loss_reordering_duplication_and_corruption() {
        use crate::net::Damage;
        for seed in 1..=6 {
            let c = Config { seed, faults: ALL_FAULTS, ..Config::default() };
            let (n, data) = transfer(&c, 12 * MSS + 77);
            let server = app(&n, 1, "server");
            assert_eq!(server.received, data, "seed {seed}:\n{:#?}", texts(&n));
            assert!(server.finished() && server.error.is_none(), "seed {seed}: {:?}", server.error);
            assert!(n.frames().iter().any(|f| f.lost), "seed {seed}");
            assert!(damaged(&n, |d| *d == Damage::Duplicate) > 0, "seed {seed}");
            assert!(damaged(&n, |d| matches!(d, Damage::Reordered { .. })) > 0, "seed {seed}");
            assert!(texts(&n).iter().any(|t| t.contains("arrived after a hole")), "seed {seed}");
        }
    }

    #[test]
    fn udp_under_the_same_faults_loses_reorders_and_duplicates_while_tcp_does_not() {
        let (mut missing, mut duplicated, mut reordered) = (0, 0, 0);
        for seed in 1..=6 {
            let c = Config { seed, faults: ALL_FAULTS, ..Config::default() };
            let n = run("tcp-vs-udp", &c);
            let (t, u) = (delivery(app(&n, 1, "tcp-receiver")), delivery(app(&n, 1, "udp-receiver")));
            assert!(t.exact, "seed {seed}: {t:?}");
            assert!(!u.exact, "seed {seed}: {u:?}");
            // Every datagram is one whole line, never merged or cut.
            assert_eq!(u.merged, 0, "seed {seed}: {u:?}");
            missing += usize::from(!u.missing.is_empty());
            duplicated += usize::from(!u.duplicated.is_empty());
            reordered += usize::from(!u.out_of_order.is_empty());
        }
        assert!(missing > 0 && duplicated > 0 && reordered > 0, "{missing} {duplicated} {reordered}");
    }

    #[test]
    fn tcp_vs_udp_defaults_show_merged_chunks_and_damaged_datagrams() {
        let s = find("tcp-vs-udp").unwrap();
        let n = run(s.name, &Config { faults: s.faults, ..Config::default() });
        let (t, u) = (delivery(app(&n, 1, "tcp-receiver")), delivery(app(&n, 1, "udp-receiver")));
        assert!(t.exact && t.merged > 0 && t.calls < 10, "{t:?}");
        assert!(!u.missing.is_empty() && !u.out_of_order.is_empty(), "{u:?}");
        for lang in [Lang::En, Lang::Zh] {
            let text = s.summary(&n, lang).unwrap();
            assert!(text.contains(&format!("{}", t.calls)) && text.contains("\"line 1\\n\""), "{text}");
        }
        assert!(s.summary(&n, Lang::En).unwrap().contains("every byte, in order"));
        assert!(s.summary(&n, Lang::Zh).unwrap().contains("每个字节都到了"));
    }

    #[test]
    fn corrupted_frames_fail_the_fcs_check_and_are_dropped() {
        use crate::net::Damage;
        let mut seen = 0;
        for seed in 1..=4 {
            let c = Config { seed, faults: Faults { corrupt: 0.2, ..Faults::NONE }, ..Config::default() };
            let n = run("chat", &c);
            let corrupted = damaged(&n, |d| matches!(d, Damage::Corrupted { .. }));
            let drops = texts(&n).iter().filter(|t| t.contains("frame dropped by the network card")).count();
            assert_eq!(corrupted, drops, "seed {seed}: every damaged frame is dropped, nothing else");
            seen += corrupted;
            // To the programs a damaged frame is a lost one: TCP repairs it.
            assert_eq!(app(&n, 1, "server").messages, CHAT.map(|(l, _)| l.as_bytes().to_vec()), "seed {seed}");
        }
        assert!(seen > 0);
    }

    #[test]
    fn same_seed_same_bytes_with_every_fault_on() {
        for name in ["chat", "tcp-vs-udp"] {
            let c = Config { seed: 11, faults: ALL_FAULTS, ..Config::default() };
            let (a, b) = (run(name, &c), run(name, &c));
            assert_eq!(a.frames(), b.frames(), "{name}");
            assert_eq!(a.timeline(), b.timeline(), "{name}");
            let (x, y) = (a.write_pcapng("x", Vec::new()).unwrap(), b.write_pcapng("x", Vec::new()).unwrap());
            assert_eq!(x, y, "{name}");
        }
    }

    #[test]
    fn turning_on_one_fault_leaves_the_others_draws_alone() {
        // The same frames go out before the first duplicate: which of them are lost must not
        // change when duplication is turned on.
        let lossy = Config { seed: 4, faults: Faults { loss: 0.3, ..Faults::NONE }, ..Config::default() };
        let both = Config { faults: Faults { duplicate: 0.3, ..lossy.faults }, ..lossy };
        let (a, b) = (run("udp-chat", &lossy), run("udp-chat", &both));
        let first_dup = b.frames().iter().position(|f| !f.damage.is_empty()).unwrap_or(b.frames().len());
        let lost = |n: &Network| n.frames().iter().take(first_dup).map(|f| f.lost).collect::<Vec<_>>();
        assert!(first_dup > 0);
        assert_eq!(lost(&a), lost(&b));
    }

    #[test]
    fn teardown_walks_rfc_9293_states_for_both_close_orders_and_the_abort() {
        use crate::states::histories;
        let n = run("teardown", &Config::default());
        let chains: Vec<(String, Vec<&str>)> = histories(&n)
            .iter()
            .filter(|h| h.changes[0].remote.is_some())
            .map(|h| (h.host.to_string(), std::iter::once(h.changes[0].from.name()).chain(h.changes.iter().map(|c| c.to.name())).collect()))
            .collect();
        let of = |host: &str| chains.iter().filter(|c| c.0 == host).map(|c| c.1.clone()).collect::<Vec<_>>();
        assert_eq!(
            of("client"),
            [
                vec!["CLOSED", "SYN-SENT", "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT", "CLOSED"],
                vec!["CLOSED", "SYN-SENT", "ESTABLISHED", "FIN-WAIT-1", "CLOSING", "TIME-WAIT", "CLOSED"],
                vec!["CLOSED", "SYN-SENT", "ESTABLISHED", "CLOSED"],
            ]
        );
        assert_eq!(
            of("server"),
            [
                vec!["LISTEN", "SYN-RECEIVED", "ESTABLISHED", "CLOSE-WAIT", "LAST-ACK", "CLOSED"],
                vec!["LISTEN", "SYN-RECEIVED", "ESTABLISHED", "FIN-WAIT-1", "CLOSING", "TIME-WAIT", "CLOSED"],
                vec!["LISTEN", "SYN-RECEIVED", "ESTABLISHED", "CLOSED"],
            ]
        );
        // TIME-WAIT lasts 2×MSL; the abort leaves none, and sends one RST and no FIN.
        let h = histories(&n);
        let tw = h[0].changes.iter().find(|c| c.from == crate::tcp::State::TimeWait).unwrap();
        let into = h[0].changes.iter().find(|c| c.to == crate::tcp::State::TimeWait).unwrap();
        assert_eq!(tw.time - into.time, crate::tcp::TIME_WAIT);
        let aborted: Vec<u8> = n.frames().iter().filter(|f| f.time >= ABORT_AT).filter_map(|f| f.bytes.get(47).copied()).collect();
        assert_eq!(aborted, [crate::tcp::RST as u8]);
        // The record agrees with the timeline, change for change.
        let record: usize = h.iter().map(|x| x.changes.len()).sum();
        let logged = texts(&n).iter().filter(|t| t.contains(" → ") && t.contains("TCP ")).count();
        assert_eq!(record, logged);
    }

    #[test]
    fn payloads_are_escaped_once_in_both_languages() {
        for name in ["chat", "tcp-vs-udp"] {
            let n = run(name, &Config::default());
            for e in n.timeline() {
                assert!(!e.text.en.contains("\\\\n") && !e.text.zh.contains("\\\\n"), "{name}: {e:?}");
            }
        }
        let n = run("tcp-vs-udp", &Config::default());
        assert!(n.timeline().iter().any(|e| e.text.en.contains("sendto(\"line 1\\n\"")), "{:#?}", texts(&n));
    }

    #[test]
    fn port_unreachable_quotes_the_datagram_and_the_programs_see_econnrefused() {
        let n = run("port-unreachable", &Config::default());
        assert_eq!(app(&n, 0, "udp-client").error.as_ref().map(|e| e.en.as_str()), Some("recv() failed: ECONNREFUSED"));
        assert_eq!(app(&n, 0, "tcp-client").error.as_ref().map(|e| e.en.as_str()), Some("connect() failed: ECONNREFUSED"));
        // In Chinese the call and the errno keep their names, and the rest says what happened.
        assert_eq!(app(&n, 0, "udp-client").error.as_ref().map(|e| e.zh.as_str()), Some("recv() 失败:ECONNREFUSED(连接被拒绝)"));
        assert!(n.timeline().iter().any(|e| e.text.zh == "tcp-client:connect() 失败:ECONNREFUSED(连接被拒绝)"));
        // The ICMP message (type 3, code 3) quotes the client's datagram from its IP header on.
        let udp = n.frames().iter().find(|f| f.bytes.get(23) == Some(&17)).unwrap();
        let icmp = n.frames().iter().find(|f| f.bytes.get(23) == Some(&1)).unwrap();
        assert_eq!(icmp.bytes[34..36], [3, 3]);
        let datagram = &udp.bytes[14..14 + 28 + 5];
        assert_eq!(&icmp.bytes[42..42 + datagram.len()], datagram);
    }

    #[test]
    fn an_unconnected_udp_socket_is_not_told_and_a_connected_one_only_takes_its_peer() {
        let (mut n, a, b) = two_hosts(&Config::default());
        let calls = vec![
            Call::Socket { slot: 0, kind: Kind::Datagram },
            Call::SendTo { slot: 0, data: b"anyone?".to_vec(), to: SocketAddrV4::new(SERVER, 9) },
            Call::Sleep(SEC),
            Call::SendTo { slot: 0, data: b"still fine".to_vec(), to: SocketAddrV4::new(SERVER, 9) },
        ];
        add_app(&mut n, a, App::new("client", calls));
        // The server's socket is connected to port 7 of the client: a datagram from port 5 is refused.
        let server = vec![
            Call::Socket { slot: 0, kind: Kind::Datagram },
            Call::Bind { slot: 0, port: 9 },
            Call::Connect { slot: 0, to: SocketAddrV4::new(CLIENT, 7) },
        ];
        add_app(&mut n, b, App::new("server", server));
        n.run(RUN_LIMIT);
        assert!(app(&n, 0, "client").error.is_none() && app(&n, 0, "client").finished());
        assert_eq!(texts(&n).iter().filter(|t| t.contains("ICMP port unreachable")).count(), 2, "{:#?}", texts(&n));
    }

    #[test]
    fn a_udp_and_a_tcp_socket_share_a_port_number() {
        let (mut n, _, b) = two_hosts(&Config::default());
        let calls = vec![
            Call::Socket { slot: 0, kind: Kind::Stream },
            Call::Bind { slot: 0, port: PORT },
            Call::Socket { slot: 1, kind: Kind::Datagram },
            Call::Bind { slot: 1, port: PORT },
            Call::Socket { slot: 2, kind: Kind::Datagram },
            Call::Bind { slot: 2, port: PORT },
        ];
        add_app(&mut n, b, App::new("server", calls));
        n.run(RUN_LIMIT);
        assert_eq!(app(&n, 1, "server").error.as_ref().map(|e| e.en.as_str()), Some("bind() to port 8081: address already in use (EADDRINUSE)"));
        assert!(texts(&n).iter().filter(|t| t.contains("bind((")).count() == 2);
    }

    #[test]
    fn a_slow_reader_closes_the_window_and_reading_opens_it() {
        for loss in [0.0, 0.1] {
            let c = Config { faults: Faults { loss, ..Faults::NONE }, seed: 5, ..Config::default() };
            let (n, data) = transfer_after(&c, 300_000, 2 * SEC);
            assert_eq!(app(&n, 1, "server").received, data, "loss {loss}");
            assert!(n.frames().iter().any(|f| f.bytes.get(48..50) == Some(&[0, 0])), "a zero window was advertised");
        }
    }

    #[test]
    fn handshake_states_in_rfc_order() {
        let n = run("handshake", &Config::default());
        let states = |node: &str| -> Vec<String> {
            n.timeline()
                .iter()
                .filter(|e| e.node == node && e.text.en.starts_with("TCP ") && e.text.en.contains(" → "))
                .filter_map(|e| e.text.en.rsplit(' ').next().map(str::to_string))
                .collect()
        };
        assert_eq!(states("client"), ["SYN-SENT", "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT", "CLOSED"]);
        assert_eq!(states("server"), ["SYN-RECEIVED", "ESTABLISHED", "CLOSE-WAIT", "LAST-ACK", "CLOSED", "CLOSED"]);
    }

    #[test]
    fn closed_ports_answer_with_icmp_and_rst() {
        let (mut n, a, _) = two_hosts(&Config::default());
        let calls = vec![
            Call::Socket { slot: 0, kind: Kind::Datagram },
            Call::SendTo { slot: 0, data: b"anyone?".to_vec(), to: SocketAddrV4::new(SERVER, 9999) },
            Call::Socket { slot: 1, kind: Kind::Stream },
            Call::Connect { slot: 1, to: SocketAddrV4::new(SERVER, 9999) },
        ];
        add_app(&mut n, a, App::new("client", calls));
        n.run(RUN_LIMIT);
        let t = texts(&n);
        assert!(t.iter().any(|l| l.starts_with("server") && l.contains("ICMP port unreachable")), "{t:#?}");
        assert!(t.iter().any(|l| l.starts_with("client") && l.contains("ICMP destination unreachable (code 3)")), "{t:#?}");
        assert!(t.iter().any(|l| l.starts_with("server") && l.contains(": RST")), "{t:#?}");
        assert_eq!(app(&n, 0, "client").error.as_ref().map(|e| e.en.as_str()), Some("connect() failed: ECONNREFUSED"));
    }

    #[test]
    fn hosts_survive_garbage_and_hostile_segments() {
        use crate::rng::Rng;
        use crate::tcp::Segment;
        use crate::wire::{ipv4_frame, Body, Packet};
        let clean = run("chat", &Config::default());
        let samples: Vec<Vec<u8>> = clean.frames().iter().map(|f| f.bytes.clone()).collect();
        let mut r = Rng::new(99);
        for round in 0..20 {
            let mut n = find("chat").unwrap().build(&Config { seed: round, ..Config::default() });
            let server_mac = [2, 0, 10, 0, 0, 2];
            for i in 0..300u64 {
                let at = r.range(0, 4_000_000_000);
                let node = (i % 2) as usize;
                let mut f = samples[r.range(0, samples.len() as u64) as usize].clone();
                match i % 3 {
                    // A damaged copy of a real frame: a changed byte, or cut short.
                    0 => {
                        let k = r.range(0, f.len() as u64) as usize;
                        f[k] = r.next_u64() as u8;
                    }
                    1 => f.truncate(r.range(0, f.len() as u64) as usize),
                    // A well-formed segment with random numbers, checksums right.
                    _ => {
                        let seg = Segment {
                            src_port: [49152 + r.range(0, 16384) as u16, 8081][r.range(0, 2) as usize],
                            dst_port: [8081, r.range(0, 65536) as u16][r.range(0, 2) as usize],
                            seq: r.next_u64() as u32,
                            ack: r.next_u64() as u32,
                            flags: (r.next_u64() & 0x3f) as u16,
                            window: r.next_u64() as u16,
                            mss: (r.range(0, 2) == 0).then(|| r.range(0, 2000) as u16),
                            payload: vec![b'x'; r.range(0, 100) as usize],
                        };
                        let p = Packet { src: CLIENT, dst: SERVER, id: 1, body: Body::Tcp(seg) };
                        f = ipv4_frame([2, 0, 10, 0, 0, 1], server_mac, &p).unwrap();
                    }
                }
                n.inject(at, node, 0, f);
            }
            n.run(RUN_LIMIT);
            assert!(n.now() <= RUN_LIMIT);
        }
    }

    #[test]
    fn arp_entries_and_switch_entries_age_out() {
        let mut n = find("arp").unwrap().build(&Config::default());
        if let Some(h) = n.host_mut(1) {
            h.apps[0] = App::new("ping", vec![Call::Ping { to: SERVER, seq: 1 }, Call::Sleep(400 * SEC), Call::Ping { to: SERVER, seq: 2 }]);
        }
        n.run(RUN_LIMIT);
        let t = texts(&n);
        // 400 s later the ARP cache (60 s) and the switch's table (300 s) have both forgotten.
        assert_eq!(t.iter().filter(|l| l.contains("who-has")).count(), 2, "{t:#?}");
        assert_eq!(t.iter().filter(|l| l.contains("learned 02:00:0a:00:00:01")).count(), 2, "{t:#?}");
        assert_eq!(t.iter().filter(|l| l.contains("echo reply from")).count(), 2, "{t:#?}");
    }

    #[test]
    fn arp_is_asked_once_and_the_switch_learns() {
        let n = run("arp", &Config::default());
        let t = texts(&n);
        assert_eq!(t.iter().filter(|l| l.contains("who-has")).count(), 1, "{t:#?}");
        assert_eq!(t.iter().filter(|l| l.contains("echo reply from")).count(), 2, "{t:#?}");
        assert!(t.iter().any(|l| l.starts_with("switch") && l.contains("flooded")));
        assert!(t.iter().any(|l| l.starts_with("switch") && l.contains("learned 02:00:0a:00:00:02")));
    }
    /// (TTL, flags and offset field, ID, IP payload) of the IPv4 frames on `link`.
    fn ip_on_link(n: &Network, link: usize) -> Vec<(u8, u16, u16, Vec<u8>)> {
        n.frames()
            .iter()
            .filter(|f| f.link == link && f.bytes.get(12..14) == Some(&[8, 0]))
            .map(|f| {
                let p = &f.bytes[14..];
                let total = usize::from(u16::from_be_bytes([p[2], p[3]]));
                (p[8], u16::from_be_bytes([p[6], p[7]]), u16::from_be_bytes([p[4], p[5]]), p[20..total].to_vec())
            })
            .collect()
    }

    /// Where UDP's 1000 bytes are cut into fragments, TCP's are not: pc2 announces an MSS of
    /// its MTU minus 40, pc1 sends segments no larger, and every one crosses the router whole.
    #[test]
    fn tcp_segments_fit_the_small_mtu_the_peer_announced_so_nothing_fragments() {
        let mut n = fragment(&Config::default());
        let data: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
        let server = vec![
            Call::Socket { slot: 0, kind: Kind::Stream },
            Call::Bind { slot: 0, port: PORT + 1 },
            Call::Listen { slot: 0 },
            Call::Accept { listener: 0, into: 1 },
            Call::RecvAll { slot: 1 },
            Call::Close { slot: 1 },
        ];
        let client = vec![
            Call::Sleep(2 * SEC),
            Call::Socket { slot: 0, kind: Kind::Stream },
            Call::Connect { slot: 0, to: SocketAddrV4::new(Ipv4Addr::new(10, 0, 2, 2), PORT + 1) },
            Call::Send { slot: 0, data: data.clone() },
            Call::Close { slot: 0 },
        ];
        add_app(&mut n, 2, App::new("tcp-server", server));
        add_app(&mut n, 0, App::new("tcp-client", client));
        n.run(RUN_LIMIT);
        assert_eq!(app(&n, 2, "tcp-server").received, data);
        let tcp: Vec<_> = n
            .frames()
            .iter()
            .filter(|f| f.link == 1 && f.bytes.get(12..14) == Some(&[8, 0]) && f.bytes.get(14 + 9) == Some(&6))
            .map(|f| (u16::from_be_bytes([f.bytes[14 + 6], f.bytes[14 + 7]]), usize::from(u16::from_be_bytes([f.bytes[16], f.bytes[17]]))))
            .collect();
        assert!(tcp.iter().all(|&(flags, len)| flags & 0x3fff == 0 && len <= SMALL_MTU), "{tcp:?}");
        assert!(tcp.iter().any(|&(_, len)| len == SMALL_MTU), "full segments: 536 bytes + 40 of headers");
        assert!(texts(&n).iter().any(|t| t.contains("TCP MSS 1460 announced, the peer's 536; segments up to 536 bytes")), "{:#?}", texts(&n));
    }

    #[test]
    fn the_router_fragments_to_the_small_mtu_and_pc2_gets_the_whole_datagram() {
        for mtu in [68, 300, SMALL_MTU, 1000] {
            let n = run("fragment", &Config { mtu, ..Config::default() });
            assert_eq!(app(&n, 2, "server").messages, [fragment_payload()], "mtu {mtu}");
            let before = ip_on_link(&n, 0);
            let after = ip_on_link(&n, 1);
            // The first datagram, whole on pc1's link, in pieces after the router.
            let (ttl, flags, id, udp) = before[0].clone();
            assert_eq!((ttl, flags), (64, 0), "DF off, not a fragment");
            let per = (mtu - 20) / 8 * 8;
            assert_eq!(after.len(), udp.len().div_ceil(per), "mtu {mtu}");
            let mut whole = Vec::new();
            for (i, (t, f, fid, data)) in after.iter().enumerate() {
                assert_eq!((*t, *fid), (63, id), "one hop, same ID");
                assert_eq!(usize::from(f & 0x1fff) * 8, whole.len());
                assert_eq!(f & 0x2000 != 0, i + 1 < after.len());
                assert!(data.len() + 20 <= mtu);
                whole.extend_from_slice(data);
            }
            assert_eq!(whole, udp);
            // The second, with DF, never crosses: frag needed comes back with the MTU.
            assert_eq!(before[1].1 & 0x4000, 0x4000);
            let icmp = &before[2].3;
            assert_eq!((icmp[0], icmp[1], u16::from_be_bytes([icmp[6], icmp[7]])), (3, 4, mtu as u16));
            assert!(texts(&n).iter().any(|t| t.contains(&format!("next-hop MTU {mtu}"))));
        }
        // A link that carries it all: no fragments, and the DF datagram crosses too.
        let n = run("fragment", &Config { mtu: 1500, ..Config::default() });
        assert!(ip_on_link(&n, 1).iter().all(|(_, f, _, _)| f & 0x3fff == 0));
        assert_eq!(ip_on_link(&n, 1).iter().filter(|p| p.3.len() == 1008).count(), 2);
    }

    #[test]
    fn fragments_out_of_order_reassemble_and_a_lone_one_times_out() {
        let d = {
            let p = crate::wire::Packet { src: CLIENT, dst: SERVER, id: 77, body: crate::wire::Body::Udp { src_port: 1, dst_port: PORT, payload: fragment_payload() } };
            crate::wire::ipv4_frames([2, 0, 10, 0, 0, 1], [2, 0, 10, 0, 0, 2], &p, crate::wire::IpParams::default(), 300).unwrap()
        };
        assert_eq!(d.len(), 4);
        let (mut n, _, b) = two_hosts(&Config::default());
        add_app(&mut n, b, App::new("server", vec![Call::Socket { slot: 0, kind: Kind::Datagram }, Call::Bind { slot: 0, port: PORT }, Call::RecvFrom { slot: 0 }]));
        for (t, i) in [3usize, 1, 0, 2].into_iter().enumerate() {
            n.inject(MS * (t as u64 + 1), b, 0, d[i].clone());
        }
        // A lone fragment of another datagram (ID 78), which never completes.
        let mut lone = d[0].clone();
        lone[14 + 5] = 78;
        lone[14 + 10..14 + 12].fill(0);
        let c = netlayers_core::checksum::internet(&lone[14..34]);
        lone[14 + 10..14 + 12].copy_from_slice(&c.to_be_bytes());
        n.inject(10 * MS, b, 0, lone);
        n.run(RUN_LIMIT);
        assert_eq!(app(&n, 1, "server").messages, [fragment_payload()]);
        let t = texts(&n);
        assert!(t.iter().any(|l| l.contains("ID 0x004d from 10.0.0.1 reassembled from 4 fragments")), "{t:#?}");
        let timeout = n.timeline().iter().find(|e| e.text.en.contains("timed out")).expect("the lone fragment times out");
        assert_eq!(timeout.time, 10 * MS + crate::host::REASSEMBLY_TIMEOUT);
        assert!(timeout.text.en.contains("0x004e"));
    }

    #[test]
    fn each_router_takes_one_from_the_ttl_and_traceroute_meets_them_in_order() {
        let n = run("route", &Config::default());
        // The echo request on each of the three links: 64, 63, 62.
        let echo_ttls: Vec<u8> = (0..3).map(|l| ip_on_link(&n, l).iter().find(|p| p.3[0] == 8).unwrap().0).collect();
        assert_eq!(echo_ttls, [64, 63, 62]);
        assert!(texts(&n).iter().any(|t| t == "pc1 ICMP echo reply from 10.0.2.2 (seq 1)"));
        // What answered each probe, in order: r1, r2, then pc2 itself.
        let answers: Vec<String> = texts(&n)
            .iter()
            .filter(|t| t.starts_with("pc1 ICMP") && t.contains("quotes UDP"))
            .map(|t| t.split(": ").next().unwrap().to_string())
            .collect();
        assert_eq!(answers, [
            "pc1 ICMP time exceeded (code 0) from 10.0.1.254",
            "pc1 ICMP time exceeded (code 0) from 10.0.12.2",
            "pc1 ICMP destination unreachable (code 3) from 10.0.2.2",
        ]);
        for (i, port) in (TRACEROUTE_PORT..TRACEROUTE_PORT + 3).enumerate() {
            assert!(texts(&n)[..].iter().filter(|t| t.contains(&format!("→ 10.0.2.2:{port}"))).count() == 1, "probe {i}");
        }
        assert!(texts(&n).iter().any(|t| t.starts_with("pc1 ICMP destination unreachable (code 0) from 10.0.1.254")));
        assert!(texts(&n).iter().any(|t| t.starts_with("r1 TTL 1 → 0")) && texts(&n).iter().any(|t| t.starts_with("r2 TTL 1 → 0")));
    }

    /// (hop limit, next header, payload) of the IPv6 packets on `link`.
    fn ip6_on_link(n: &Network, link: usize) -> Vec<(u8, u8, Vec<u8>)> {
        n.frames()
            .iter()
            .filter(|f| f.link == link && f.bytes.get(12..14) == Some(&[0x86, 0xdd]))
            .map(|f| (f.bytes[14 + 7], f.bytes[14 + 6], f.bytes[14 + 40..].to_vec()))
            .collect()
    }

    #[test]
    fn each_router_takes_one_from_the_hop_limit_and_traceroute6_meets_them_in_order() {
        let n = run("route6", &Config::default());
        // The echo request on each of the three links: 64, 63, 62; the reply the other way.
        let hops = |kind: u8| -> Vec<u8> {
            (0..3).map(|l| ip6_on_link(&n, l).iter().find(|p| p.1 == 58 && p.2[0] == kind).unwrap().0).collect()
        };
        assert_eq!(hops(128), [64, 63, 62]);
        assert_eq!(hops(129), [62, 63, 64]);
        // Neighbor Discovery stays on its link with hop limit 255; routers answer with the R flag.
        for l in 0..3 {
            for (hop, _, icmp) in ip6_on_link(&n, l).iter().filter(|p| p.1 == 58 && matches!(p.2[0], 135 | 136)) {
                assert_eq!(*hop, 255);
                if icmp[0] == 136 && l < 2 {
                    assert_eq!(icmp[4] & 0xe0, 0xe0, "router, solicited, override on link {l}");
                }
            }
        }
        let t = texts(&n);
        let answers: Vec<&str> =
            t.iter().filter(|t| t.starts_with("pc1 ICMPv6") && t.contains("quotes UDP")).map(|t| t.split(": ").next().unwrap()).collect();
        assert_eq!(answers, [
            "pc1 ICMPv6 time exceeded (code 0) from fd00:1::fe",
            "pc1 ICMPv6 time exceeded (code 0) from fd00:12::2",
            "pc1 ICMPv6 destination unreachable (code 4) from fd00:2::2",
            "pc1 ICMPv6 packet too big from fd00:12::2",
        ]);
        assert!(t.iter().any(|l| l.starts_with("pc1 ICMPv6 destination unreachable (code 0) from fd00:1::fe: no route")), "{t:#?}");
        // Packet too big: the MTU of the next link, and as much of the packet as fits in 1280 bytes.
        let too_big = ip6_on_link(&n, 1).into_iter().find(|p| p.1 == 58 && p.2[0] == 2).unwrap();
        assert_eq!(u32::from_be_bytes(too_big.2[4..8].try_into().unwrap()), ROUTE6_MTU as u32);
        assert_eq!(40 + too_big.2.len(), 1280);
        // The 1400-byte datagram never reaches pc2's link, which carries nothing over its MTU.
        assert!(ip6_on_link(&n, 2).iter().all(|p| p.2.len() + 40 <= ROUTE6_MTU));
        assert!(!ip6_on_link(&n, 2).iter().any(|p| p.1 == 17 && p.2.len() > 1000));
    }

    #[test]
    fn routers_survive_garbage() {
        use crate::rng::Rng;
        let samples: Vec<Vec<u8>> =
            ["route", "route6"].iter().flat_map(|s| run(s, &Config::default()).frames().iter().map(|f| f.bytes.clone()).collect::<Vec<_>>()).collect();
        let mut r = Rng::new(7);
        for round in 0..10 {
            let name = if round % 2 == 0 { "route" } else { "route6" };
            let mut n = find(name).unwrap().build(&Config { seed: round, ..Config::default() });
            for _ in 0..300 {
                let mut f = samples[r.range(0, samples.len() as u64) as usize].clone();
                let k = r.range(0, f.len() as u64) as usize;
                f[k] = r.next_u64() as u8;
                if r.chance(0.3) {
                    f.truncate(r.range(0, f.len() as u64) as usize);
                }
                let node = r.range(0, 4) as usize;
                n.inject(r.range(0, 4_000_000_000), node, r.range(0, 2) as usize, f);
            }
            n.run(RUN_LIMIT);
        }
    }
}
