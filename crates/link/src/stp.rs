//! Spanning Tree Protocol BPDUs: IEEE 802.1D configuration and topology change notification
//! BPDUs, and IEEE 802.1w rapid spanning tree (RSTP) BPDUs.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |   Protocol Identifier (0)     |    Version    |   BPDU Type   |  a TCN BPDU ends here
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     Flags     | Root Identifier: priority (4 bits), system ID |
//! +-+-+-+-+-+-+-+-+ extension (12 bits), MAC address (6 bytes)    +
//! |                                                               |
//! +               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |               |              Root Path Cost                   |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |               |  Bridge Identifier (8 bytes, as the root's)   |
//! +-+-+-+-+-+-+-+-+                                               +
//! |                                                               |
//! +               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |               |        Port Identifier        |  Message Age  |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |               |    Max Age    |  Hello Time   | Forward Delay |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |               | Version 1 Length (RSTP only: 0)
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! (Each row of the picture is 32 bits from the byte its first box starts at; the identifiers and
//! timers straddle rows.) IEEE 802.1D-2004 clause 9.3. Timers are in 1/256 seconds. BPDUs travel
//! in LLC UI frames to SAP 0x42, usually to the multicast 01:80:c2:00:00:00 that every bridge
//! listens to and none forwards.
//!
//! Ethernet has no hop limit, so a loop of switches would forward a broadcast for ever, and
//! every copy would be copied again (a broadcast storm), while the switches' address tables
//! flap between ports. The spanning tree algorithm keeps such a loop from forming: bridges elect
//! the one with the smallest identifier as the root, every bridge keeps the port with the
//! cheapest path to the root, each segment keeps one designated port toward it, and every other
//! port is blocked, so exactly one path joins any two segments. Configuration BPDUs carry the
//! election and the costs; a topology change notification tells the root that something moved.
//!
//! Field keys, values, the Info text and the fields a cut BPDU still shows follow tshark 4.0's
//! `stp` dissector (packet-bpdu.c). Not decoded: MSTP's extension (`mstp.*`), Cisco's PVST+
//! TLVs (`stp.pvst.*`), and GARP frames, which Wireshark tells apart by their destination
//! address (01:80:c2:00:00:2x), not known to this decoder.

use std::ops::Range;

use netlayers_core::model::fmt_mac;
use netlayers_core::window::Window;
use netlayers_core::{DecodeCtx, Field, FieldSpec, Layer, LayerKind, Note, Severity, Step, Value};

mod field {
    use std::ops::Range;
    pub const PROTOCOL: Range<usize> = 0..2;
    pub const VERSION: usize = 2;
    pub const TYPE: usize = 3;
    pub const FLAGS: usize = 4;
    pub const ROOT_PRIO: Range<usize> = 5..7;
    pub const ROOT_HW: Range<usize> = 7..13;
    pub const ROOT_COST: Range<usize> = 13..17;
    pub const BRIDGE_PRIO: Range<usize> = 17..19;
    pub const BRIDGE_HW: Range<usize> = 19..25;
    pub const PORT: Range<usize> = 25..27;
    pub const MSG_AGE: Range<usize> = 27..29;
    pub const MAX_AGE: Range<usize> = 29..31;
    pub const HELLO: Range<usize> = 31..33;
    pub const FORWARD: Range<usize> = 33..35;
    pub const VERSION_1_LENGTH: usize = 35;
    /// Protocol, version and type: a whole topology change notification.
    pub const TCN_LEN: usize = 4;
    /// Wireshark reads everything up to the port identifier before it shows any field.
    pub const SUMMARY_LEN: usize = 27;
    pub const CONF_LEN: usize = 35;
    pub const RST_LEN: usize = 36;
    /// The shortest BPDU with MSTP's extension.
    pub const MST_MIN_LEN: usize = 102;
}

const TYPE_CONF: u8 = 0x00;
const TYPE_RST: u8 = 0x02;
const TYPE_TCN: u8 = 0x80;

const FLAG_TCACK: u8 = 0x80;
const FLAG_AGREEMENT: u8 = 0x40;
const FLAG_FORWARDING: u8 = 0x20;
const FLAG_LEARNING: u8 = 0x10;
const FLAG_PORT_ROLE: u8 = 0x0c;
const FLAG_PROPOSAL: u8 = 0x02;
const FLAG_TC: u8 = 0x01;

/// The priority (4 bits) and the system ID extension (12 bits, the VLAN or MST instance) of a
/// bridge identifier (IEEE 802.1t).
const PRIO_MASK: u16 = 0xf000;
const EXT_MASK: u16 = 0x0fff;

spec!(PROTOCOL, "stp.protocol", "Protocol Identifier", "协议标识",
    "Always 0 for the spanning tree. Switches join in a loop for redundancy, but Ethernet has no TTL: a broadcast would circle for ever and multiply (a broadcast storm). The spanning tree protocol keeps exactly one active path between any two segments by blocking the extra ports, and unblocks one when a link fails.",
    "生成树协议中总是 0。为了冗余,交换机常被连成环路,但以太网没有 TTL:一个广播帧会在环里永远转下去并不断复制(广播风暴)。生成树协议通过阻塞多余的端口,使任意两个网段之间只保留一条活动路径;某条链路断开时,再把一个被阻塞的端口打开。");
spec!(VERSION, "stp.version", "Protocol Version Identifier", "协议版本",
    "0 for the original spanning tree (802.1D), 2 for rapid spanning tree (RSTP, 802.1w), 3 for multiple spanning tree (MSTP, 802.1s). A newer bridge falls back to version 0 on a port where it hears an old one.",
    "0 为最初的生成树(802.1D),2 为快速生成树(RSTP,802.1w),3 为多生成树(MSTP,802.1s)。新版本的网桥在某个端口上听到旧版本的 BPDU 时,会在该端口退回版本 0。");
spec!(TYPE, "stp.type", "BPDU Type", "BPDU 类型",
    "0x00 Configuration BPDU: sent every hello time by each designated port, it tells the neighbours which bridge is the root, how far away it is and who is sending, so each bridge can pick its root port and block the others. 0x80 Topology Change Notification: a bridge tells the root its ports changed, so every bridge ages out its MAC table quickly. 0x02 RSTP/MSTP BPDU: a configuration BPDU with port roles and handshake flags for fast convergence.",
    "0x00 配置 BPDU:每个指定端口每隔一个 Hello 时间发送一次,告诉邻居谁是根桥、离根有多远、发送者是谁,各网桥据此选出根端口并阻塞其余端口。0x80 拓扑变更通知:网桥告诉根桥自己的端口发生了变化,于是所有网桥都快速老化其 MAC 地址表。0x02 RSTP/MSTP BPDU:带有端口角色和握手标志的配置 BPDU,用于快速收敛。");
spec!(TYPE_UNKNOWN, "stp.type.unknown", "Unknown BPDU type data", "未知类型的 BPDU 数据",
    "The BPDU type is none of 0x00, 0x02 and 0x80, so the rest of the BPDU cannot be read.",
    "BPDU 类型不是 0x00、0x02 或 0x80,因此无法解读 BPDU 的其余部分。");
spec!(FLAGS, "stp.flags", "BPDU flags", "BPDU 标志",
    "Topology change bits, and in RSTP the sending port's role and state and the proposal/agreement handshake.",
    "拓扑变更相关的位;在 RSTP 中还包括发送端口的角色和状态,以及提议/同意握手。");
spec!(FLAGS_TCACK, "stp.flags.tcack", "Topology Change Acknowledgment", "拓扑变更确认",
    "The designated bridge acknowledges a topology change notification it received on this port.",
    "指定网桥确认它在该端口上收到了拓扑变更通知。");
spec!(FLAGS_AGREEMENT, "stp.flags.agreement", "Agreement", "同意",
    "RSTP: the answer to a proposal: the port may forward at once, no need to wait through the listening and learning delays.",
    "RSTP:对提议的应答:端口可以立即转发,无需等待侦听和学习的延时。");
spec!(FLAGS_FORWARDING, "stp.flags.forwarding", "Forwarding", "转发",
    "RSTP: the sending port forwards frames.",
    "RSTP:发送端口正在转发数据帧。");
spec!(FLAGS_LEARNING, "stp.flags.learning", "Learning", "学习",
    "RSTP: the sending port learns MAC addresses (it is learning or forwarding).",
    "RSTP:发送端口正在学习 MAC 地址(处于学习或转发状态)。");
spec!(FLAGS_PORT_ROLE, "stp.flags.port_role", "Port Role", "端口角色",
    "RSTP: the sending port's role: 1 Alternate or Backup (blocked, ready to take over), 2 Root (toward the root bridge), 3 Designated (the one port that serves this segment).",
    "RSTP:发送端口的角色:1 替代或备份端口(阻塞,随时准备接替),2 根端口(通往根桥),3 指定端口(负责本网段的唯一端口)。");
spec!(FLAGS_PROPOSAL, "stp.flags.proposal", "Proposal", "提议",
    "RSTP: a designated port proposes to forward right away and waits for the neighbour's agreement.",
    "RSTP:指定端口提议立即进入转发状态,并等待邻居的同意。");
spec!(FLAGS_TC, "stp.flags.tc", "Topology Change", "拓扑变更",
    "Set by the root while the topology changes: bridges then age out learnt MAC addresses after Forward Delay instead of 300 seconds.",
    "在拓扑变化期间由根桥置位:网桥随之在转发延时后(而不是 300 秒后)老化已学到的 MAC 地址。");
spec!(ROOT_PRIO, "stp.root.prio", "Root Bridge Priority", "根桥优先级",
    "The first part of the root's bridge identifier. Bridge identifiers are compared as numbers, priority first, and the smallest one is the root, so an administrator picks the root by lowering its priority (in steps of 4096; the default is 32768).",
    "根桥标识的第一部分。网桥标识按数值比较,先比较优先级,最小者成为根桥,所以管理员通过调低优先级来指定根桥(以 4096 为步长,默认值为 32768)。");
spec!(ROOT_EXT, "stp.root.ext", "Root Bridge System ID Extension", "根桥系统 ID 扩展",
    "The 12 bits after the priority: the VLAN (or spanning tree instance) this tree is for, so one bridge can have a different identifier per VLAN.",
    "优先级之后的 12 位:这棵生成树所属的 VLAN(或生成树实例),使同一个网桥在每个 VLAN 中可以有不同的标识。");
spec!(ROOT_HW, "stp.root.hw", "Root Bridge System ID", "根桥系统 ID",
    "The root bridge's MAC address: it breaks ties between equal priorities and makes the identifier unique. Every bridge of a converged tree names the same root here.",
    "根桥的 MAC 地址:优先级相同时用它来决胜负,并保证标识唯一。生成树收敛后,所有网桥在这里给出的都是同一个根桥。");
spec!(ROOT_COST, "stp.root.cost", "Root Path Cost", "根路径开销",
    "The sender's cost to reach the root: the sum of the costs of the root ports on the way (19 for 100 Mb/s, 4 for 1 Gb/s in 802.1D; 200000 and 20000 with 802.1t's long costs). 0 means the sender is the root.",
    "发送者到达根桥的开销:沿途各根端口开销之和(802.1D 中 100 Mb/s 为 19,1 Gb/s 为 4;802.1t 的长开销分别为 200000 和 20000)。0 表示发送者自己就是根桥。");
spec!(BRIDGE_PRIO, "stp.bridge.prio", "Bridge Priority", "网桥优先级",
    "Priority of the bridge that sent this BPDU.",
    "发送此 BPDU 的网桥的优先级。");
spec!(BRIDGE_EXT, "stp.bridge.ext", "Bridge System ID Extension", "网桥系统 ID 扩展",
    "VLAN (or instance) of the sending bridge's identifier.",
    "发送网桥标识中的 VLAN(或实例)。");
spec!(BRIDGE_HW, "stp.bridge.hw", "Bridge System ID", "网桥系统 ID",
    "MAC address of the bridge that sent this BPDU. When two bridges offer the same cost to the root, the smaller bridge identifier wins the segment.",
    "发送此 BPDU 的网桥的 MAC 地址。两个网桥到根桥的开销相同时,网桥标识较小的一方赢得该网段。");
spec!(PORT, "stp.port", "Port identifier", "端口标识",
    "The sending port: a 4-bit priority (shown ×16, default 128) and a 12-bit port number. It is the last tie-breaker, when one bridge has two ports on the same segment.",
    "发送端口:4 位优先级(乘以 16 显示,默认 128)加 12 位端口号。它是最后的决胜条件,用于同一网桥有两个端口连在同一网段的情况。");
spec!(MSG_AGE, "stp.msg_age", "Message Age", "消息寿命",
    "Seconds since the root sent the information this BPDU repeats: the root sends 0 and each bridge on the way adds about 1.",
    "自根桥发出本 BPDU 所转述的信息以来经过的秒数:根桥发送 0,沿途每个网桥大约加 1。");
spec!(MAX_AGE, "stp.max_age", "Max Age", "最大寿命",
    "Seconds after which a bridge forgets the root information if no new BPDU came (default 20): then it starts a new election.",
    "如果一直没有收到新的 BPDU,网桥在这么多秒后丢弃根桥信息(默认 20 秒),随后开始新的选举。");
spec!(HELLO, "stp.hello", "Hello Time", "Hello 时间",
    "Seconds between two configuration BPDUs from the root (default 2).",
    "根桥发送两个配置 BPDU 之间的间隔秒数(默认 2 秒)。");
spec!(FORWARD, "stp.forward", "Forward Delay", "转发延时",
    "Seconds a port spends listening, then as long learning, before it forwards (default 15): long enough for the whole network to hear of a change, so no temporary loop forms.",
    "端口先侦听这么多秒,再学习同样长的时间,然后才开始转发(默认 15 秒):足够让整个网络得知变化,从而不会形成临时环路。");
spec!(VERSION_1_LENGTH, "stp.version_1_length", "Version 1 Length", "版本 1 长度",
    "RSTP: always 0 (there are no version 1 BPDUs); MSTP's extension follows when it is 0 and the BPDU is long enough.",
    "RSTP:总是 0(不存在版本 1 的 BPDU);当它为 0 且 BPDU 足够长时,后面跟着 MSTP 的扩展部分。");

fn version_name(v: u8) -> Option<&'static str> {
    Some(match v {
        0 => "Spanning Tree",
        2 => "Rapid Spanning Tree",
        3 => "Multiple Spanning Tree",
        4 => "Shortest Path Tree",
        _ => return None,
    })
}

fn type_name(t: u8) -> Option<&'static str> {
    Some(match t {
        TYPE_CONF => "Configuration",
        TYPE_RST => "Rapid/Multiple Spanning Tree",
        TYPE_TCN => "Topology Change Notification",
        _ => return None,
    })
}

fn role_name(r: u8) -> Option<&'static str> {
    Some(match r {
        1 => "Alternate or Backup",
        2 => "Root",
        3 => "Designated",
        _ => return None,
    })
}

/// A timer in 1/256 seconds, as seconds: a whole number when it is one (every bridge sends
/// whole seconds), else the decimal text tshark prints (1.5, 0.00390625), which is exact
/// because 1/256 has a finite decimal expansion.
fn seconds(raw: u16) -> Value {
    if raw & 0xff == 0 {
        Value::UInt((raw / 256).into())
    } else {
        Value::Text(format!("{}", f64::from(raw) / 256.0))
    }
}

/// The priority, system ID extension and MAC address of a bridge identifier.
fn identifier(w: &Window<'_>, prio_at: Range<usize>, hw_at: Range<usize>, specs: [&'static FieldSpec; 3]) -> Option<(Vec<Field>, String)> {
    let raw = w.u16(prio_at.start)?;
    let mac = w.mac(hw_at.start)?;
    let (prio, ext) = (raw & PRIO_MASK, raw & EXT_MASK);
    let text = format!("{prio}/{ext}/{}", fmt_mac(&mac));
    let r = w.abs(prio_at);
    Some((
        vec![
            Field::new(specs[0], Value::UInt(prio.into()), r.clone()).with_mask(PRIO_MASK.into()),
            Field::new(specs[1], Value::UInt(ext.into()), r).with_mask(EXT_MASK.into()),
            Field::new(specs[2], Value::Mac(mac), w.abs(hw_at)),
        ],
        text,
    ))
}

/// The flags byte with its bits: configuration BPDUs use only the two topology change bits.
fn flags_field(w: &Window<'_>, flags: u8, rapid: bool) -> Field {
    let r = w.abs(field::FLAGS..field::FLAGS + 1);
    let bit = |spec, mask: u8| Field::new(spec, Value::Bool(flags & mask != 0), r.clone()).with_mask(mask.into());
    let role = (flags & FLAG_PORT_ROLE) >> 2;
    let mut names = Vec::new();
    let children = if rapid {
        for (mask, name) in [
            (FLAG_TCACK, "Topology Change Acknowledgment"),
            (FLAG_AGREEMENT, "Agreement"),
            (FLAG_FORWARDING, "Forwarding"),
            (FLAG_LEARNING, "Learning"),
            (FLAG_PORT_ROLE, ""),
            (FLAG_PROPOSAL, "Proposal"),
            (FLAG_TC, "Topology Change"),
        ] {
            if mask == FLAG_PORT_ROLE {
                names.push(format!("Port Role: {}", role_name(role).unwrap_or("Unknown")));
            } else if flags & mask != 0 {
                names.push(name.to_string());
            }
        }
        vec![
            bit(&FLAGS_TCACK, FLAG_TCACK),
            bit(&FLAGS_AGREEMENT, FLAG_AGREEMENT),
            bit(&FLAGS_FORWARDING, FLAG_FORWARDING),
            bit(&FLAGS_LEARNING, FLAG_LEARNING),
            Field::new(&FLAGS_PORT_ROLE, Value::Enum { value: role.into(), name: role_name(role) }, r.clone())
                .with_mask(FLAG_PORT_ROLE.into()),
            bit(&FLAGS_PROPOSAL, FLAG_PROPOSAL),
            bit(&FLAGS_TC, FLAG_TC),
        ]
    } else {
        for (mask, name) in [(FLAG_TCACK, "Topology Change Acknowledgment"), (FLAG_TC, "Topology Change")] {
            if flags & mask != 0 {
                names.push(name.to_string());
            }
        }
        vec![bit(&FLAGS_TCACK, FLAG_TCACK), bit(&FLAGS_TC, FLAG_TC)]
    };
    let mut display = format!("0x{flags:02x}");
    for n in names {
        display.push_str(", ");
        display.push_str(&n);
    }
    Field::new(&FLAGS, Value::Hex { value: flags.into(), digits: 2 }, r).with_display(display).with_children(children)
}

/// A Spanning Tree BPDU (what LLC hands to SAP 0x42). Nothing follows it: bytes after the BPDU
/// are not shown, as in Wireshark.
pub fn stp(frame: &[u8], at: Range<usize>, _ctx: DecodeCtx) -> Step {
    let w = Window::new(frame, at);
    let mut layer = Layer::new(LayerKind::Link, "stp", "STP", w.abs(0..w.len()));
    layer.title = "Spanning Tree Protocol".into();
    // Wireshark clears the Info column first; a BPDU too short to summarise leaves it empty.
    layer.info = Some(String::new());
    let (Some(version), Some(bpdu_type)) = (w.u8(field::VERSION), w.u8(field::TYPE)) else {
        layer.notes.push(Note::truncated("BPDU", w.start(), field::TCN_LEN, w.len()));
        return Step::end(layer);
    };
    let full_len = match bpdu_type {
        TYPE_CONF => field::CONF_LEN,
        TYPE_TCN => field::TCN_LEN,
        TYPE_RST if version >= 3 && w.u8(field::VERSION_1_LENGTH) == Some(0) && w.len() >= field::MST_MIN_LEN => w.len(),
        TYPE_RST => field::RST_LEN,
        _ => w.len(),
    };
    layer.range = w.abs(0..full_len);
    let summarised = matches!(bpdu_type, TYPE_CONF | TYPE_RST);
    if summarised && w.len() < field::SUMMARY_LEN {
        // Wireshark reads the root, the cost and the port for the Info text before it shows
        // any field, so a BPDU cut before the port identifier shows none.
        layer.notes.push(Note::truncated("BPDU", w.start(), full_len, w.len()));
        return Step::end(layer);
    }

    let mut fields = Vec::new();
    if let Some(p) = w.u16(field::PROTOCOL.start) {
        fields.push(
            Field::new(&PROTOCOL, Value::Hex { value: p.into(), digits: 4 }, w.abs(field::PROTOCOL))
                .with_display(format!("{} (0x{p:04x})", if p == 0 { "Spanning Tree Protocol" } else { "Unknown" })),
        );
    }
    let mut vfield = Field::new(&VERSION, Value::Enum { value: version.into(), name: version_name(version) }, w.abs(field::VERSION..field::VERSION + 1));
    if version_name(version).is_none() {
        vfield = vfield.with_note(Note::new(
            Severity::Warn,
            "bpdu.version_support",
            format!("Unknown protocol version {version}: only 0 (STP), 2 (RSTP), 3 (MSTP) and 4 (SPB) are defined"),
            format!("未知的协议版本 {version}:只定义了 0(STP)、2(RSTP)、3(MSTP)和 4(SPB)"),
        ));
    }
    fields.push(vfield);
    let mut tfield = Field::new(&TYPE, Value::Enum { value: bpdu_type.into(), name: type_name(bpdu_type) }, w.abs(field::TYPE..field::TYPE + 1))
        .with_display(format!("{} (0x{bpdu_type:02x})", type_name(bpdu_type).unwrap_or("Unknown")));

    if !summarised {
        if bpdu_type == TYPE_TCN {
            layer.info = Some("Topology Change Notification".into());
        } else {
            layer.info = Some(format!("Unknown BPDU type ({bpdu_type})"));
            tfield = tfield.with_children(vec![Field::generated(&TYPE_UNKNOWN, Value::None).with_note(Note::new(
                Severity::Warn,
                "stp.type.unknown",
                "Unknown BPDU type data",
                "未知类型的 BPDU 数据",
            ))]);
        }
        fields.push(tfield);
        layer.fields = fields;
        return Step::end(layer);
    }
    fields.push(tfield);

    // Everything up to the port identifier is there (checked above).
    let (Some(flags), Some((root, root_text)), Some(cost), Some((bridge, _)), Some(port)) = (
        w.u8(field::FLAGS),
        identifier(&w, field::ROOT_PRIO, field::ROOT_HW, [&ROOT_PRIO, &ROOT_EXT, &ROOT_HW]),
        w.u32(field::ROOT_COST.start),
        identifier(&w, field::BRIDGE_PRIO, field::BRIDGE_HW, [&BRIDGE_PRIO, &BRIDGE_EXT, &BRIDGE_HW]),
        w.u16(field::PORT.start),
    ) else {
        layer.fields = fields;
        return Step::end(layer);
    };
    let tc = if flags & FLAG_TC != 0 { "TC + " } else { "" };
    let kind = match (bpdu_type, version) {
        (TYPE_CONF, _) => "Conf",
        (_, 3) => "MST",
        (_, 4) => "SPT",
        _ => "RST",
    };
    layer.info = Some(format!("{kind}. {tc}Root = {root_text}  Cost = {cost}  Port = 0x{port:04x}"));
    fields.push(flags_field(&w, flags, bpdu_type == TYPE_RST));
    fields.extend(root);
    fields.push(Field::new(&ROOT_COST, Value::UInt(cost.into()), w.abs(field::ROOT_COST)));
    fields.extend(bridge);
    fields.push(
        Field::new(&PORT, Value::Hex { value: port.into(), digits: 4 }, w.abs(field::PORT))
            .with_display(format!("0x{port:04x} (priority {}, port {})", (port >> 12) * 16, port & 0x0fff)),
    );
    for (spec, r) in [(&MSG_AGE, field::MSG_AGE), (&MAX_AGE, field::MAX_AGE), (&HELLO, field::HELLO), (&FORWARD, field::FORWARD)] {
        if let Some(t) = w.u16(r.start) {
            fields.push(Field::new(spec, seconds(t), w.abs(r)));
        }
    }
    if bpdu_type == TYPE_RST {
        if let Some(v1) = w.u8(field::VERSION_1_LENGTH) {
            fields.push(Field::new(&VERSION_1_LENGTH, Value::UInt(v1.into()), w.abs(field::VERSION_1_LENGTH..field::VERSION_1_LENGTH + 1)));
        }
        if full_len > field::RST_LEN {
            layer.notes.push(Note::new(
                Severity::Note,
                "mstp.not_decoded",
                "MST extension (configuration identifier, CIST and MSTI messages) not decoded",
                "MST 扩展部分(配置标识、CIST 与 MSTI 消息)未解码",
            ));
        }
    }
    if w.len() < full_len {
        layer.notes.push(Note::truncated("BPDU", w.start(), full_len, w.len()));
    }
    layer.fields = fields;
    Step::end(layer)
}


#[cfg(test)]
mod tests {
    use super::*;
    use netlayers_core::Handoff;

    /// A configuration BPDU from a bridge that believes itself the root.
    const CONF: [u8; 35] = [
        0x00, 0x00, // protocol identifier: spanning tree
        0x00, // version 0: STP
        0x00, // type: configuration
        0x81, // flags: topology change acknowledgment, topology change
        0x10, 0x01, 0x02, 0x77, 0x00, 0x00, 0x00, 0x0a, // root: priority 4096, extension 1, MAC
        0x00, 0x00, 0x00, 0x13, // root path cost 19
        0x80, 0x01, 0x02, 0x77, 0x00, 0x00, 0x00, 0x01, // bridge: 32768, extension 1, MAC
        0x80, 0x02, // port identifier: priority 128, port 2
        0x01, 0x00, // message age 1 s (in 1/256 s)
        0x14, 0x00, // max age 20 s
        0x02, 0x00, // hello time 2 s
        0x0f, 0x00, // forward delay 15 s
    ];

    fn keys(l: &Layer) -> Vec<(&'static str, Value)> {
        let mut v = Vec::new();
        l.walk(&mut |f| v.push((f.key(), f.value.clone())));
        v
    }

    #[test]
    fn parse_configuration_bpdu() {
        let mut f = CONF.to_vec();
        f.extend_from_slice(&[0xee; 3]); // bytes after the BPDU
        let s = stp(&f, 0..f.len(), DecodeCtx::default());
        assert_eq!(s.next, Handoff::End);
        let l = &s.layers[0];
        assert_eq!((l.protocol, l.display_name, l.range.clone()), ("stp", "STP", 0..35));
        assert_eq!(l.info.as_deref(), Some("Conf. TC + Root = 4096/1/02:77:00:00:00:0a  Cost = 19  Port = 0x8002"));
        assert_eq!(
            keys(l),
            vec![
                ("stp.protocol", Value::Hex { value: 0, digits: 4 }),
                ("stp.version", Value::Enum { value: 0, name: Some("Spanning Tree") }),
                ("stp.type", Value::Enum { value: 0, name: Some("Configuration") }),
                ("stp.flags", Value::Hex { value: 0x81, digits: 2 }),
                ("stp.flags.tcack", Value::Bool(true)),
                ("stp.flags.tc", Value::Bool(true)),
                ("stp.root.prio", Value::UInt(4096)),
                ("stp.root.ext", Value::UInt(1)),
                ("stp.root.hw", Value::Mac([0x02, 0x77, 0, 0, 0, 0x0a])),
                ("stp.root.cost", Value::UInt(19)),
                ("stp.bridge.prio", Value::UInt(32768)),
                ("stp.bridge.ext", Value::UInt(1)),
                ("stp.bridge.hw", Value::Mac([0x02, 0x77, 0, 0, 0, 0x01])),
                ("stp.port", Value::Hex { value: 0x8002, digits: 4 }),
                ("stp.msg_age", Value::UInt(1)),
                ("stp.max_age", Value::UInt(20)),
                ("stp.hello", Value::UInt(2)),
                ("stp.forward", Value::UInt(15)),
            ]
        );
        let range = |k: &str| l.find(k).map(|f| (f.range.clone(), f.mask));
        assert_eq!(range("stp.root.prio"), Some((5..7, Some(0xf000))));
        assert_eq!(range("stp.root.ext"), Some((5..7, Some(0x0fff))));
        assert_eq!(range("stp.root.hw"), Some((7..13, None)));
        assert_eq!(range("stp.bridge.hw"), Some((19..25, None)));
        assert_eq!(range("stp.forward"), Some((33..35, None)));
        assert_eq!(
            l.find("stp.flags").and_then(|f| f.display.clone()).as_deref(),
            Some("0x81, Topology Change Acknowledgment, Topology Change")
        );
        assert_eq!(l.find("stp.port").and_then(|f| f.display.clone()).as_deref(), Some("0x8002 (priority 128, port 2)"));
        assert!(l.notes.is_empty());
    }

    #[test]
    fn rapid_spanning_tree_bpdu_has_roles_and_a_version_1_length() {
        let mut f = CONF.to_vec();
        f[2] = 2; // RSTP
        f[3] = 2; // RST BPDU
        f[4] = 0x3d; // forwarding, learning, designated, TC
        f.push(0); // version 1 length
        let s = stp(&f, 0..f.len(), DecodeCtx::default());
        let l = &s.layers[0];
        assert_eq!(l.range, 0..36);
        assert_eq!(l.info.as_deref(), Some("RST. TC + Root = 4096/1/02:77:00:00:00:0a  Cost = 19  Port = 0x8002"));
        assert_eq!(l.find("stp.flags.port_role").map(|f| f.value.clone()), Some(Value::Enum { value: 3, name: Some("Designated") }));
        assert_eq!(l.find("stp.flags.forwarding").map(|f| f.value.clone()), Some(Value::Bool(true)));
        assert_eq!(l.find("stp.flags.proposal").map(|f| f.value.clone()), Some(Value::Bool(false)));
        assert_eq!(l.find("stp.version_1_length").map(|f| f.value.clone()), Some(Value::UInt(0)));
        assert_eq!(
            l.find("stp.flags").and_then(|f| f.display.clone()).as_deref(),
            Some("0x3d, Forwarding, Learning, Port Role: Designated, Topology Change")
        );
        // MSTP and SPB name themselves in the Info text.
        f[2] = 3;
        assert!(stp(&f, 0..f.len(), DecodeCtx::default()).layers[0].info.as_deref().is_some_and(|i| i.starts_with("MST. TC + Root")));
        f[2] = 4;
        assert!(stp(&f, 0..f.len(), DecodeCtx::default()).layers[0].info.as_deref().is_some_and(|i| i.starts_with("SPT. TC")));
    }

    #[test]
    fn topology_change_notification_is_four_bytes() {
        let f = [0x00, 0x00, 0x00, 0x80, 0xee, 0xee];
        let s = stp(&f, 0..6, DecodeCtx::default());
        let l = &s.layers[0];
        assert_eq!(l.range, 0..4);
        assert_eq!(l.info.as_deref(), Some("Topology Change Notification"));
        let k: Vec<_> = keys(l).into_iter().map(|(k, _)| k).collect();
        assert_eq!(k, ["stp.protocol", "stp.version", "stp.type"]);
    }

    #[test]
    fn bad_values_are_flagged() {
        let mut f = CONF.to_vec();
        f[3] = 0x55;
        let s = stp(&f, 0..f.len(), DecodeCtx::default());
        let l = &s.layers[0];
        assert_eq!(l.info.as_deref(), Some("Unknown BPDU type (85)"));
        assert!(l.find("stp.flags").is_none(), "an unknown type is not read further");
        let unknown = l.find("stp.type.unknown").expect("expert flag");
        assert!(unknown.generated && matches!(unknown.value, Value::None));
        assert_eq!(unknown.notes[0].severity, Severity::Warn);
        // An unknown version is decoded, with a warning.
        let mut f = CONF.to_vec();
        f[2] = 7;
        let s = stp(&f, 0..f.len(), DecodeCtx::default());
        let v = s.layers[0].find("stp.version").expect("version");
        assert_eq!(v.value, Value::Enum { value: 7, name: None });
        assert_eq!(v.notes[0].id, "bpdu.version_support");
        assert!(s.layers[0].find("stp.forward").is_some());
        // Timers that are not whole seconds keep their fraction.
        let mut f = CONF.to_vec();
        f[27..29].copy_from_slice(&0x0180u16.to_be_bytes());
        f[29..31].copy_from_slice(&1u16.to_be_bytes());
        let s = stp(&f, 0..f.len(), DecodeCtx::default());
        assert_eq!(s.layers[0].find("stp.msg_age").map(|f| f.value.clone()), Some(Value::Text("1.5".into())));
        assert_eq!(s.layers[0].find("stp.max_age").map(|f| f.value.clone()), Some(Value::Text("0.00390625".into())));
    }

    #[test]
    fn every_too_short_length() {
        for n in 0..CONF.len() {
            let s = stp(&CONF, 0..n, DecodeCtx::default());
            let l = &s.layers[0];
            assert_eq!(s.next, Handoff::End);
            assert_eq!(l.notes.iter().filter(|x| x.id == "truncated").count(), 1, "{n}");
            // As in Wireshark: nothing until the port identifier is there, then each timer
            // whose two bytes are.
            assert_eq!(l.find("stp.type").is_some(), n >= 27, "{n}");
            assert_eq!(l.find("stp.port").is_some(), n >= 27, "{n}");
            assert_eq!(l.find("stp.msg_age").is_some(), n >= 29, "{n}");
            assert_eq!(l.find("stp.hello").is_some(), n >= 33, "{n}");
            assert!(l.find("stp.forward").is_none(), "{n}");
            assert_eq!(l.info.as_deref().is_some_and(|i| i.starts_with("Conf.")), n >= 27, "{n}");
            crate::check_ranges(&s, CONF.len());
        }
        let tcn = [0x00, 0x00, 0x00, 0x80];
        for n in 0..4 {
            let s = stp(&tcn, 0..n, DecodeCtx::default());
            assert!(s.layers[0].fields.is_empty(), "{n}");
            assert_eq!(s.layers[0].info.as_deref(), Some(""));
        }
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..120), a in 0usize..130, b in 0usize..130) {
            let s = stp(&data, a.min(b)..a.max(b), DecodeCtx::default());
            crate::check_ranges(&s, data.len());
            proptest::prop_assert_eq!(s.next, Handoff::End);
        }

        #[test]
        fn every_type_and_version_never_panics(version in 0u8..8, t in proptest::prop_oneof![proptest::prelude::Just(0u8), proptest::prelude::Just(2u8), proptest::prelude::Just(0x80u8), proptest::prelude::any::<u8>()], rest in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..110)) {
            let mut data = vec![0, 0, version, t];
            data.extend(rest);
            let n = data.len();
            let s = stp(&data, 0..n, DecodeCtx::default());
            crate::check_ranges(&s, n);
        }
    }
}
