//! `netlayers demo`: the sockets tutorial's TCP chat (the `chat` scenario) played on the
//! simulated network and told for a classroom: a short paragraph introduces each phase as it
//! happens (the server getting ready, connect, ARP, the handshake, a line going down the layers
//! and up again, the answer, "886" and the close, TIME-WAIT), the layers of the frames that
//! matter are shown at both ends of the cable, then the summary, the sequence diagram and the
//! capture file to open next.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use netlayers_core::{Lang, Text};
use netlayers_sim::scenario::{self, Config, RUN_LIMIT};
use netlayers_sim::{Entry, Network};
use netlayers_stack::Dissection;

use crate::hops::{Detail, Hops};
use crate::output::{Outcome, Ui};
use crate::sim::{self, Stepper, Story};

#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  netlayers demo                      the whole story, writes demo.pcapng\n  \
netlayers demo --lang zh            in Chinese\n  \
netlayers demo --step               one event per Enter (q quits): for a classroom\n  \
netlayers demo --seed 7 -w a.pcapng   other sequence numbers and port, another file\n\n\
No root and no real network: everything runs inside the process, in simulated time.")]
pub struct DemoArgs {
    /// Seed of the random source (initial sequence numbers, the client's port)
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub seed: u64,
    /// Where to write the frames as pcapng
    #[arg(short = 'w', value_name = "FILE.pcapng", default_value = "demo.pcapng")]
    pub write: PathBuf,
    /// Write no capture file
    #[arg(long, conflicts_with = "write")]
    pub no_write: bool,
    /// Print one event at a time: Enter shows the next, q then Enter quits
    #[arg(long)]
    pub step: bool,
}

/// A paragraph told before the first event (after the previous phase's) that `starts` matches.
struct Phase {
    starts: fn(&Entry) -> bool,
    title: Text,
    text: Text,
}

const PHASES: &[Phase] = &[
    Phase {
        starts: |_| true,
        title: Text::new("The server gets ready", "服务器做好准备"),
        text: Text::new(
            "Two computers share one cable: the client, 10.0.0.1, and the server, 10.0.0.2. On the server a \
             program asks its operating system for a TCP socket, binds it to port 8081 and listens. From now on \
             that program can be reached as (10.0.0.2, TCP, 8081): the IP address names the computer, the \
             protocol and the port name the process on it. Then accept() waits for someone to call.",
            "两台计算机用一根网线相连:客户端 10.0.0.1 和服务器 10.0.0.2。服务器上的程序向操作系统要一个 TCP \
             套接字,把它绑定到 8081 端口并开始监听。从这以后,这个程序可以用 (10.0.0.2, TCP, 8081) 找到:IP 地址\
             指明是哪台计算机,协议加端口指明是这台计算机上的哪个进程。接着 accept() 等待有人来连接。",
        ),
    },
    Phase {
        starts: |e| e.text.en.contains("connect(("),
        title: Text::new("The client calls connect()", "客户端调用 connect()"),
        text: Text::new(
            "The client's program makes its own socket and calls connect(('10.0.0.2', 8081)). Its operating \
             system gives it a free port (an ephemeral port), and TCP prepares a SYN segment, the first of the \
             three-way handshake: the client's side of the connection is now SYN-SENT.",
            "客户端程序创建自己的套接字,调用 connect(('10.0.0.2', 8081))。操作系统给它分配一个空闲端口(临时端口),\
             TCP 准备好一个 SYN 报文段,也就是三次握手的第一步:客户端这一侧的连接进入 SYN-SENT 状态。",
        ),
    },
    Phase {
        starts: |e| e.text.en.contains("ARP who-has"),
        title: Text::new("ARP: who has 10.0.0.2?", "ARP:谁是 10.0.0.2?"),
        text: Text::new(
            "Before the SYN can leave, the link layer needs the server's MAC address: an Ethernet frame is \
             delivered by MAC address, not by IP address. The client does not know it yet, so it broadcasts an \
             ARP request to every machine on the cable (\"who has 10.0.0.2? tell 10.0.0.1\"), and the server \
             answers with its MAC, to the client alone. Both keep the answer in their ARP cache: the frames \
             after this need no ARP. Look at the layers below: ARP rides directly in an Ethernet frame, with no \
             IP header.",
            "SYN 发出去之前,数据链路层得先知道服务器的 MAC 地址:以太网帧是按 MAC 地址投递的,不是按 IP 地址。\
             客户端还不知道这个地址,于是向网线上的所有机器广播一个 ARP 请求(“谁是 10.0.0.2?请告诉 10.0.0.1”),\
             服务器只回给客户端一个应答,里面是自己的 MAC。双方都把结果存进 ARP 缓存,之后的帧就不用再问了。\
             看下面的分层:ARP 直接装在以太网帧里,没有 IP 首部。",
        ),
    },
    Phase {
        starts: |e| e.text.en.contains("LISTEN → SYN-RECEIVED"),
        title: Text::new("The three-way handshake", "三次握手"),
        text: Text::new(
            "Now the SYN goes out. The server's TCP answers with SYN+ACK and the client's TCP with ACK: after \
             these three segments both sides are ESTABLISHED. Each side chose a random initial sequence number; \
             netlayers, like Wireshark, shows sequence numbers relative to it, counting from 0. None of the \
             three carries data: they only agree where each direction's byte stream starts. When the ACK \
             arrives, the server's accept() returns a new socket for this one client.",
            "现在 SYN 发出去了。服务器的 TCP 回一个 SYN+ACK,客户端的 TCP 再回一个 ACK:这三个报文段之后,两边都进入 \
             ESTABLISHED。双方各自随机选了一个初始序号;netlayers 和 Wireshark 一样,显示的是相对于它、从 0 数起的\
             序号。这三个报文段都不带数据:它们只是约定两个方向的字节流各从哪里开始。ACK 一到,服务器的 accept() \
             就返回一个专门服务这个客户端的新套接字。",
        ),
    },
    Phase {
        starts: |e| e.text.en.starts_with("client: send("),
        title: Text::new("A line goes down the layers at the client, and up at the server", "一句话在客户端向下经过各层,在服务器向上"),
        text: Text::new(
            "The client sends \"hello\". Follow it below, field by field. At the client it goes down: the \
             application hands 5 bytes to TCP; TCP puts its 20-byte header in front (the two ports, the \
             sequence and acknowledgment numbers, the PSH and ACK flags, a checksum); IP puts its 20 bytes in \
             front of that (the two addresses, TTL 64, protocol 6 for TCP); Ethernet adds 14 bytes (the two \
             MACs, type 0x0800 for IPv4) and pads the frame to the 60-byte minimum. At the server it goes up: \
             each layer reads its own header, checks it, strips it and hands the rest up, until recv() returns \
             \"hello\". Then the server's TCP sends an ACK: TCP's own, not the program's.",
            "客户端发送 \"hello\"。下面逐个字段跟着它走。在客户端它向下走:应用层把 5 个字节交给 TCP;TCP 在前面加上 \
             20 字节的首部(双方端口、序号和确认号、PSH 和 ACK 标志、校验和);IP 再在前面加上自己的 20 字节(双方 \
             IP 地址、TTL 64、协议号 6 表示 TCP);以太网加上 14 字节(双方 MAC、类型 0x0800 表示 IPv4),并把帧填充到\
             最短的 60 字节。在服务器它向上走:每一层读取并检查自己的首部,去掉它,把剩下的交给上一层,直到 recv() \
             返回 \"hello\"。随后服务器的 TCP 回一个 ACK:这是 TCP 自己发的,不是程序发的。",
        ),
    },
    Phase {
        starts: |e| e.text.en.starts_with("server: send("),
        title: Text::new("The answer comes back", "回答传回来"),
        text: Text::new(
            "The server's program answers with send(): the same layers are stacked, now at the server, and \
             taken off at the client. Every segment that carries data is acknowledged by the TCP that receives \
             it, and its Ack number says which byte it expects next. TCP carries a stream of bytes, not \
             messages: recv(1024) returns whatever has arrived, up to 1024 bytes. Each line arrives whole here \
             only because the lines are short and sent one at a time.",
            "服务器程序用 send() 回答:同样的各层,这次在服务器上一层层加上,在客户端一层层去掉。每个带数据的报文段\
             都由接收它的 TCP 确认,确认号(Ack)表示它接下来期待的字节。TCP 传的是字节流,不是一条条消息:\
             recv(1024) 返回已经到达的数据,最多 1024 字节。这里每句话都是完整到达的,只是因为句子短、而且是一句\
             一句发的。",
        ),
    },
    Phase {
        starts: |e| e.text.en.contains("send(\"886\")"),
        title: Text::new("\"886\": goodbye, and the FINs", "“886”:再见,以及 FIN"),
        text: Text::new(
            "In the tutorial \"886\" (say it in Chinese: it sounds like \"bye-bye\") ends the chat. The client \
             sends it and leaves its loop; close() makes its TCP send a FIN, which means \"I have no more bytes \
             to send\". The server's recv() returns \"886\", so the server leaves its loop and closes too. The \
             two FINs cross on the cable, so both sides pass through CLOSING: a simultaneous close. When one \
             side closes well before the other, it goes FIN-WAIT-1, FIN-WAIT-2 instead, and the other \
             CLOSE-WAIT, LAST-ACK (see netlayers sim handshake).",
            "教程里用 “886”(谐音“拜拜了”)结束聊天。客户端发出它就退出循环;close() 让它的 TCP 发出一个 FIN,意思是\
             “我没有更多字节要发了”。服务器的 recv() 返回 \"886\",于是服务器也退出循环并关闭。两个 FIN 在网线上\
             交错而过,所以双方都经过 CLOSING 状态:这叫同时关闭。如果一方比另一方早很多关闭,它会经过 \
             FIN-WAIT-1、FIN-WAIT-2,另一方经过 CLOSE-WAIT、LAST-ACK(见 netlayers sim handshake)。",
        ),
    },
    Phase {
        starts: |e| e.text.en.ends_with("→ TIME-WAIT"),
        title: Text::new("TIME-WAIT", "TIME-WAIT 状态"),
        text: Text::new(
            "Each side has sent its FIN and seen it acknowledged. A side that closed actively now waits in \
             TIME-WAIT for 2×MSL (60 seconds here, as on Linux) before it forgets the connection: if its last \
             ACK was lost, the peer will send its FIN again and must still get an answer, and any old segment \
             of this connection still wandering the network dies out before the same pair of ports can be used \
             again. Nothing is sent during that minute; the simulated clock jumps straight to its end.",
            "双方都已发出自己的 FIN 并得到确认。主动关闭的一方现在要在 TIME-WAIT 状态等待 2×MSL(这里与 Linux 一样\
             是 60 秒)才忘掉这个连接:万一它最后的 ACK 丢了,对方会重发 FIN,这时还得有人回答;而且这个连接还在网络\
             里游荡的旧报文段要先消失,同样的一对端口才能再次使用。这一分钟里线路上什么也不发;模拟时钟直接跳到\
             它结束的时刻。",
        ),
    },
];

pub fn run(a: &DemoArgs, ui: &Ui) -> Result<Outcome> {
    let lang = ui.lang;
    let Some(sc) = scenario::find("chat") else {
        anyhow::bail!("the chat scenario is missing");
    };
    let mut net = sc.build(&Config { seed: a.seed, ..Config::default() });
    net.run(RUN_LIMIT);
    let hops = Hops::decode(&net);

    let mut story = Story { views: views(&net, &hops), ..Story::default() };
    let mut phase = PHASES.iter().enumerate().peekable();
    for (j, e) in net.timeline().iter().enumerate() {
        if let Some((n, p)) = phase.next_if(|(_, p)| (p.starts)(e)) {
            story.before.insert(j, paragraph(&format!("{}. {}", n + 1, p.title.get(lang)), p.text.get(lang), ui));
        }
    }
    let first_data = story.views.iter().find(|(_, d)| **d == Detail::Fields).map_or(1, |(i, _)| i + 1);
    story.hops = Some(hops);

    let mut out = std::io::stdout().lock();
    let (title, intro) = INTRO;
    out.write_all(paragraph(title.get(lang), intro.get(lang), ui).as_bytes())?;
    out.write_all(b"\n")?;
    if !sim::timeline(&mut out, &net, &story, ui, &mut Stepper::new(a.step, lang))? {
        return Ok(Outcome::Success);
    }

    let mut o = String::from("\n");
    let (title, text) = SAW;
    o.push_str(&paragraph(title.get(lang), text.get(lang), ui));
    sim::summary(&mut o, &net, a.seed, lang);
    sim::diagram(&mut o, &net, ui);
    if !a.no_write {
        sim::write_capture(&net, &a.write)?;
        let p = a.write.display();
        let text = match lang {
            Lang::En => format!(
                "The frames are in {p}, byte for byte. Open it with `netlayers read {p}` (the packet list), \
                 `netlayers read {p} -V --frames {first_data}` (every field of \"hello\"), or in Wireshark: \
                 `wireshark {p}`. The same seed writes the same bytes every time. Then try \
                 `netlayers sim chat --loss 0.2` (TCP repairs what is lost) and `netlayers sim udp-chat` \
                 (no handshake, no ACKs, no repair)."
            ),
            Lang::Zh => format!(
                "所有帧都逐字节保存在 {p} 里。用 `netlayers read {p}` 打开(数据包列表),用 \
                 `netlayers read {p} -V --frames {first_data}` 看 \"hello\" 的每个字段,或者用 Wireshark 打开:\
                 `wireshark {p}`。同样的种子每次写出完全相同的字节。接下来试试 `netlayers sim chat --loss 0.2`\
                 (TCP 修复丢失的数据)和 `netlayers sim udp-chat`(没有握手、没有 ACK、不做修复)。"
            ),
        };
        let title = if lang == Lang::Zh { "打开抓包文件" } else { "Open the capture" };
        o.push('\n');
        o.push_str(&paragraph(title, &text, ui));
    }
    out.write_all(o.as_bytes())?;
    out.flush()?;
    Ok(Outcome::Success)
}

const INTRO: (Text, Text) = (
    Text::new("netlayers demo: the sockets tutorial's chat on a simulated network", "netlayers 演示:在模拟网络上运行套接字教程里的聊天程序"),
    Text::new(
        "Everything below happens inside this program: two simulated computers joined by a cable, running the \
         same protocol code that `netlayers read` decodes with. The time is simulated, so the run takes a \
         fraction of a second, and the same seed always gives the same bytes. Each line of the timeline is one \
         event: its time, the node, the layer, what happened; the paragraphs tell what each phase is about.",
        "下面的一切都发生在这个程序内部:两台模拟的计算机由一根网线相连,运行的协议代码和 `netlayers read` 解码用的\
         是同一套。时间是模拟的,所以整个过程不到一秒就跑完,同样的种子总是得到同样的字节。时间线上每一行是一个\
         事件:时间、节点、层、发生了什么;穿插的段落说明每个阶段在做什么。",
    ),
);

const SAW: (Text, Text) = (
    Text::new("What crossed the cable", "线路上走过了什么"),
    Text::new(
        "The summary, then every TCP segment as a sequence diagram: time goes down, the client is on the left, \
         the server on the right. Count them: three for the handshake, one for each line and one ACK for it, \
         then the FINs and their ACKs.",
        "先是汇总,然后是每个 TCP 报文段的时序图:时间向下走,左边是客户端,右边是服务器。数一数:握手三个,每句话\
         一个报文段再加一个确认它的 ACK,最后是 FIN 和它们的 ACK。",
    ),
);

/// A titled paragraph, wrapped to the terminal's usual width.
fn paragraph(title: &str, text: &str, ui: &Ui) -> String {
    let title = if ui.color { format!("\x1b[1;36m▶ {title}\x1b[0m") } else { format!("▶ {title}") };
    let mut o = format!("{title}\n");
    for line in crate::encap::wrap(text, 96) {
        o.push_str("  ");
        o.push_str(&line);
        o.push('\n');
    }
    o
}

/// The frames whose layers the demo shows: the first ARP request, the SYN, every segment with
/// data (the first with every field) and the first FIN.
fn views(net: &Network, hops: &Hops) -> std::collections::BTreeMap<usize, Detail> {
    let mut out = std::collections::BTreeMap::new();
    let (mut arp, mut syn, mut data, mut fin) = (false, false, false, false);
    for i in 0..net.frames().len() {
        let Some(d) = hops.get(i) else { continue };
        let show = if has(d, "arp") && !arp {
            arp = true;
            Some(Detail::Layers)
        } else if flag(d, "tcp.flags.syn") && !flag(d, "tcp.flags.ack") && !syn {
            syn = true;
            Some(Detail::Layers)
        } else if number(d, "tcp.len") > 0 {
            let first = !data;
            data = true;
            Some(if first { Detail::Fields } else { Detail::Layers })
        } else if flag(d, "tcp.flags.fin") && !fin {
            fin = true;
            Some(Detail::Layers)
        } else {
            None
        };
        if let Some(detail) = show {
            out.insert(i, detail);
        }
    }
    out
}

fn has(d: &Dissection, protocol: &str) -> bool {
    d.layers.iter().any(|l| l.depth == 0 && l.protocol == protocol)
}

fn number(d: &Dissection, key: &str) -> u64 {
    d.layers.iter().filter(|l| l.depth == 0).find_map(|l| l.find(key)).and_then(|f| f.value.as_u64()).unwrap_or(0)
}

fn flag(d: &Dissection, key: &str) -> bool {
    number(d, key) != 0
}
