//! The per-hop layer view of a simulated run (`netlayers sim --layers`, `--frames`, and the
//! demo): for each frame on a link, the node that sent it, its layers top-down (what each layer
//! added in front of what came from above), and the node that received it, its layers bottom-up
//! (what each layer read and stripped before handing the rest up).
//!
//! The frames are decoded once, in order, by the same pipeline as `netlayers read` (the
//! dissector with IP reassembly, then the cross-frame fields), and numbered as in the pcapng
//! that `-w` writes, so a layer here shows the very lines `netlayers read -V` shows for it.

use netlayers_core::{Frame, Lang, Layer, LayerKind, LinkType, Timestamp};
use netlayers_render::FrameView;
use netlayers_sim::net::{Node, EPOCH_SECS};
use netlayers_sim::{Captured, Network};
use netlayers_stack::{Dissection, Dissector};

use crate::filter_args::Selection;
use crate::output::Ui;

/// How much of each layer to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// One line per layer: its place in the model, its heading and its bytes.
    Layers,
    /// Every field, as `netlayers read -V` shows it.
    Fields,
}

/// Every frame of a run, decoded.
pub struct Hops {
    decoded: Vec<Dissection>,
}

/// A recorded frame as the capture file holds it: numbered from 1, stamped from [`EPOCH_SECS`],
/// on the interface of its link.
fn as_frame(i: usize, c: &Captured) -> Frame {
    Frame {
        number: i as u64 + 1,
        ts: Timestamp { secs: EPOCH_SECS + (c.time / 1_000_000_000) as i64, nanos: (c.time % 1_000_000_000) as u32 },
        orig_len: c.bytes.len() as u32,
        data: c.bytes.clone(),
        link: LinkType::Ethernet,
        interface: c.link as u32,
    }
}

impl Hops {
    pub fn decode(net: &Network) -> Hops {
        let frames: Vec<Frame> = net.frames().iter().enumerate().map(|(i, c)| as_frame(i, c)).collect();
        let mut ahead = frames.clone().into_iter();
        let mut dissector = Dissector::new().with_reassembly(true).with_read_ahead(Box::new(move || ahead.next()));
        // No filter: an empty expression always compiles.
        let mut cross = Selection::new(None).ok();
        let decoded = frames
            .iter()
            .map(|f| {
                let mut d = dissector.dissect(f);
                if let Some(c) = cross.as_mut() {
                    let with_reassembled = std::mem::take(&mut d.with_reassembled);
                    c.admit(&mut d, if with_reassembled.is_empty() { &f.data } else { &with_reassembled });
                    d.with_reassembled = with_reassembled;
                }
                d
            })
            .collect();
        Hops { decoded }
    }

    /// The decoded frame `i` (0-based, in the order of `Network::frames`).
    pub fn get(&self, i: usize) -> Option<&Dissection> {
        self.decoded.get(i)
    }

    /// Appends the view of frame `i`: a heading, the sender's layers top-down, the receiver's
    /// bottom-up (or that the frame was lost).
    pub fn show(&self, buf: &mut String, net: &Network, i: usize, detail: Detail, ui: &Ui) {
        let (Some(c), Some(d)) = (net.frames().get(i), self.decoded.get(i)) else { return };
        let Some(link) = net.links().get(c.link) else { return };
        let lang = ui.lang;
        let to = if link.ends[0].0 == c.from { link.ends[1].0 } else { link.ends[0].0 };
        let name = |n: usize| net.nodes().get(n).map_or("?", Node::name);
        let heading = match lang {
            Lang::En => format!(
                "Frame {} · {:.6} s · {} → {} on link {} · {} bytes",
                i + 1,
                c.time as f64 / 1e9,
                name(c.from),
                name(to),
                link.name,
                c.bytes.len()
            ),
            Lang::Zh => format!(
                "第 {} 帧 · {:.6} 秒 · {} → {},链路 {} · {} 字节",
                i + 1,
                c.time as f64 / 1e9,
                name(c.from),
                name(to),
                link.name,
                c.bytes.len()
            ),
        };
        buf.push_str(&bold(&format!("── {heading} ──"), ui.color));
        buf.push('\n');

        // The sender: a host built every layer; a switch or router only rewrote the lower ones.
        let sender = net.nodes().get(c.from);
        let top = sender.map_or(LayerKind::Application, reads_up_to);
        let said = match (sender, lang) {
            (Some(Node::Host(_)), Lang::En) => format!("{} sends it, top-down: each layer adds its header in front of what came from above", name(c.from)),
            (Some(Node::Host(_)), Lang::Zh) => format!("{} 发送,自上而下:每一层在上层交来的数据前面加上自己的首部", name(c.from)),
            (Some(Node::Switch(_)), Lang::En) => format!("{} forwards it unchanged: it only read the link layer", name(c.from)),
            (Some(Node::Switch(_)), Lang::Zh) => format!("{} 原样转发:它只读了数据链路层", name(c.from)),
            (_, Lang::En) => format!("{} forwards it, top-down from the {} layer: the layers below it are written anew", name(c.from), top.name().en.to_lowercase()),
            (_, Lang::Zh) => format!("{} 转发,从{}自上而下:它以下的各层重新写过", name(c.from), top.name().zh),
        };
        let mut down: Vec<Vec<&Layer>> = groups(&d.layers).into_iter().filter(|g| g[0].kind <= top).collect();
        down.reverse();
        side(buf, &said, &down, d, &c.bytes, detail, ui);

        if c.lost {
            let text = match lang {
                Lang::En => format!("lost on the link: {} never receives it", name(to)),
                Lang::Zh => format!("在链路上丢失:{} 永远收不到它", name(to)),
            };
            buf.push_str(&format!("  ✗ {text}\n\n"));
            return;
        }

        // The receiver: a host reads every layer, unless the frame is not addressed to it.
        let receiver = net.nodes().get(to);
        let mut top = receiver.map_or(LayerKind::Application, reads_up_to);
        let said = match receiver {
            Some(Node::Host(h)) if !for_mac(&c.bytes, &h.mac) => {
                top = LayerKind::Link;
                match lang {
                    Lang::En => format!("{} receives it, bottom-up: the destination MAC is not its own, so the link layer drops it", name(to)),
                    Lang::Zh => format!("{} 收到,自下而上:目的 MAC 不是自己的,数据链路层把它丢弃", name(to)),
                }
            }
            Some(Node::Host(_)) => match lang {
                Lang::En => format!("{} receives it, bottom-up: each layer reads its header, strips it and hands the rest up", name(to)),
                Lang::Zh => format!("{} 接收,自下而上:每一层读取并去掉自己的首部,把其余部分交给上一层", name(to)),
            },
            Some(Node::Switch(_)) => match lang {
                Lang::En => format!("{} receives it and reads only the link layer: the destination MAC decides the port", name(to)),
                Lang::Zh => format!("{} 收到后只读数据链路层:目的 MAC 决定从哪个端口转发", name(to)),
            },
            _ => match lang {
                Lang::En => format!("{} receives it, bottom-up to the {} layer, to decide where it goes next", name(to), top.name().en.to_lowercase()),
                Lang::Zh => format!("{} 收到,自下而上读到{},以决定下一跳", name(to), top.name().zh),
            },
        };
        let up: Vec<Vec<&Layer>> = groups(&d.layers).into_iter().filter(|g| g[0].kind <= top).collect();
        side(buf, &said, &up, d, &c.bytes, detail, ui);
        buf.push('\n');
    }

}

/// One node's side: what it does, then its layers in `order`.
#[allow(clippy::too_many_arguments)]
fn side(buf: &mut String, said: &str, order: &[Vec<&Layer>], d: &Dissection, bytes: &[u8], detail: Detail, ui: &Ui) {
    buf.push_str("  ");
    buf.push_str(said);
    buf.push('\n');
    let layers: Vec<Layer> = order
        .iter()
        .flatten()
        .map(|&l| match detail {
            Detail::Fields => l.clone(),
            Detail::Layers => Layer { fields: Vec::new(), notes: Vec::new(), ..l.clone() },
        })
        .collect();
    let view = FrameView { number: d.number, rel_time: d.rel_time, orig_len: d.orig_len, cap_len: d.cap_len, layers: &layers };
    let mut tree = Vec::new();
    netlayers_render::tree(&mut tree, &view, d.bytes(bytes), ui.lang, false, ui.color);
    // The tree ends with a blank line; the view puts one after the receiver instead.
    for line in String::from_utf8_lossy(&tree).lines().filter(|l| !l.is_empty()) {
        buf.push_str("    ");
        buf.push_str(line);
        buf.push('\n');
    }
}

fn bold(s: &str, color: bool) -> String {
    if color { format!("\x1b[1m{s}\x1b[0m") } else { s.to_string() }
}

/// The highest layer a node reads of a frame it receives (and writes of one it sends).
fn reads_up_to(node: &Node) -> LayerKind {
    if matches!(node, Node::Host(_)) {
        LayerKind::Application
    } else if matches!(node, Node::Switch(_)) {
        LayerKind::Link
    } else {
        // A router reads and rewrites up to IP.
        LayerKind::Network
    }
}

/// Whether an Ethernet frame is addressed to `mac` (or to a group: broadcast, multicast).
fn for_mac(frame: &[u8], mac: &[u8; 6]) -> bool {
    frame.get(..6).is_some_and(|dst| dst == mac || dst[0] & 1 == 1)
}

/// The frame's own layers, each with the layers of a packet it quotes (an ICMP error's) behind
/// it, so that reversing the order keeps a quote under the layer that carries it.
fn groups(layers: &[Layer]) -> Vec<Vec<&Layer>> {
    let mut out: Vec<Vec<&Layer>> = Vec::new();
    for l in layers {
        match out.last_mut() {
            Some(g) if l.depth > 0 => g.push(l),
            _ => out.push(vec![l]),
        }
    }
    out
}
