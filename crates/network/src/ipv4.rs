//! IPv4 (RFC 791), with its options.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |Version|  IHL  |   DSCP    |ECN|          Total Length         |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |         Identification        |Flags|      Fragment Offset    |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  Time to Live |    Protocol   |         Header Checksum       |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                       Source Address                          |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                    Destination Address                        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                    Options (IHL > 5)                          |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! <https://www.rfc-editor.org/rfc/rfc791>; DSCP/ECN from RFC 2474 and RFC 3168. Values are the
//! true ones: `ip.hdr_len` and `ip.frag_offset` in bytes, `ip.flags` the 3 flag bits.

use std::net::Ipv4Addr;
use std::ops::Range;

use netlayers_core::checksum;
use netlayers_core::{DecodeCtx, Field, FieldSpec, Handoff, Layer, LayerKind, Note, PseudoHeader, Severity, Step, Value};

use netlayers_core::text::{hex_pair, push_decimal, push_hex4, push_ipv4};
use netlayers_core::window::Window;
use crate::{checksum_field, ipproto, ipv6, Verdict};

mod field {
    use std::ops::Range;
    pub const VER_IHL: Range<usize> = 0..1;
    pub const DSFIELD: Range<usize> = 1..2;
    pub const LEN: Range<usize> = 2..4;
    pub const ID: Range<usize> = 4..6;
    pub const FLAGS: Range<usize> = 6..7;
    pub const FRAG: Range<usize> = 6..8;
    pub const TTL: Range<usize> = 8..9;
    pub const PROTO: Range<usize> = 9..10;
    pub const CHECKSUM: Range<usize> = 10..12;
    pub const SRC: Range<usize> = 12..16;
    pub const DST: Range<usize> = 16..20;
    pub const MIN_HEADER_LEN: usize = 20;
}

const FLAG_RB_MASK: u8 = 0x80;
const FLAG_DF_MASK: u8 = 0x40;
const FLAG_MF_MASK: u8 = 0x20;
const FRAG_MASK: u16 = 0x1fff;

/// Option types (copy bit, class and number together).
mod opt {
    pub const EOL: u8 = 0;
    pub const NOP: u8 = 1;
    pub const SECURITY: u8 = 130;
    pub const LSRR: u8 = 131;
    pub const EXT_SECURITY: u8 = 133;
    pub const CIPSO: u8 = 134;
    pub const SID: u8 = 136;
    pub const SSRR: u8 = 137;
    pub const RR: u8 = 7;
    pub const TIMESTAMP: u8 = 68;
    pub const MTU_PROBE: u8 = 11;
    pub const MTU_REPLY: u8 = 12;
    pub const TRACEROUTE: u8 = 82;
    pub const ROUTER_ALERT: u8 = 148;
    pub const SDB: u8 = 149;
    pub const QS: u8 = 25;
}

spec!(VERSION, "ip.version", "Version", "版本",
    "IP version: 4, or 6 for IPv6 (which shows this field too). A receiver reads this nibble first to know how to read the rest.",
    "IP 协议版本:4,IPv6 则为 6(IPv6 也显示这个字段)。接收方先读这 4 位,才知道如何解读后面的内容。");
spec!(HDR_LEN, "ip.hdr_len", "Header Length", "首部长度",
    "Header length in bytes (the field counts 32-bit words, so 5 means 20 bytes). More than 20 means options follow.",
    "首部长度,单位为字节(字段本身以 32 位字为单位,5 表示 20 字节)。大于 20 说明后面带有选项。");
spec!(DSFIELD, "ip.dsfield", "Differentiated Services Field", "区分服务字段",
    "The old Type of Service byte: 6 bits of DSCP (traffic class) and 2 bits of ECN (congestion signal).",
    "原来的服务类型字节:6 位 DSCP(流量类别)加 2 位 ECN(拥塞通知)。");
spec!(DSCP, "ip.dsfield.dscp", "Differentiated Services Codepoint", "区分服务代码点",
    "Traffic class routers may use to prioritise packets (46, Expedited Forwarding, for voice). 0 is ordinary traffic.",
    "路由器可据此区分优先级的流量类别(46 即加速转发,常用于语音)。0 表示普通流量。");
spec!(ECN, "ip.dsfield.ecn", "Explicit Congestion Notification", "显式拥塞通知",
    "Lets a congested router mark the packet (11) instead of dropping it, if both ends support ECN (10 or 01).",
    "如果两端都支持 ECN(10 或 01),拥塞的路由器可以把数据包标记为 11,而不是丢弃它。");
spec!(LEN, "ip.len", "Total Length", "总长度",
    "Length of the whole packet, header and data, in bytes. Everything after it in the frame (Ethernet padding) is not part of the packet.",
    "整个数据包(首部加数据)的字节数。帧中超出这个长度的部分(以太网填充)不属于这个数据包。");
spec!(ID, "ip.id", "Identification", "标识",
    "Number shared by all fragments of one datagram, so the receiver can put them back together.",
    "同一个数据报的所有分片共享这个编号,接收方据此把它们重新拼起来。");
spec!(FLAGS, "ip.flags", "Flags", "标志",
    "Three bits: reserved, Don't Fragment and More Fragments.",
    "三个标志位:保留位、不分片(DF)和更多分片(MF)。");
spec!(FLAG_RB, "ip.flags.rb", "Reserved bit", "保留位",
    "Must be zero.",
    "必须为 0。");
spec!(FLAG_DF, "ip.flags.df", "Don't fragment", "不分片",
    "Routers must not split this packet; if it is too big for a link they drop it and send back ICMP \"fragmentation needed\" (this is how path MTU discovery works).",
    "路由器不得拆分这个数据包;如果它对某条链路来说太大,路由器会丢弃它并回送 ICMP“需要分片”(路径 MTU 发现就是这样工作的)。");
spec!(FLAG_MF, "ip.flags.mf", "More fragments", "更多分片",
    "Set on every fragment except the last one of a datagram.",
    "除最后一个分片外,数据报的每个分片都置此位。");
spec!(FRAG_OFFSET, "ip.frag_offset", "Fragment Offset", "片偏移",
    "Where this fragment's data belongs in the original datagram, in bytes (the field counts 8-byte units). 0 for an unfragmented packet or the first fragment.",
    "这个分片的数据在原数据报中的位置,单位为字节(字段本身以 8 字节为单位)。未分片的数据包或第一个分片为 0。");
spec!(TTL, "ip.ttl", "Time to Live", "生存时间",
    "Hop limit: every router subtracts 1 and discards the packet at 0, sending ICMP \"time exceeded\" back. Stops packets looping forever; traceroute relies on it.",
    "跳数限制:每经过一个路由器减 1,减到 0 时丢弃数据包并回送 ICMP“超时”。它防止数据包无限循环;traceroute 正是利用了这一点。");
spec!(PROTO, "ip.proto", "Protocol", "协议",
    "Which protocol the data carries: 1 ICMP, 6 TCP, 17 UDP. The receiver hands the data to it.",
    "数据部分承载的协议:1 为 ICMP,6 为 TCP,17 为 UDP。接收方据此把数据交给相应协议。");
spec!(CHECKSUM, "ip.checksum", "Header Checksum", "首部校验和",
    "Checksum of the header only (not the data); each router recomputes it because the TTL changes.",
    "只覆盖首部(不含数据)的校验和;因为 TTL 会变化,每个路由器都要重新计算它。");
spec!(CHECKSUM_STATUS, "ip.checksum.status", "Header checksum status", "首部校验和状态",
    "Whether the header checksum matches the header's bytes. Captures taken on the sending host may show a bad value if the network card computes it later.",
    "首部校验和是否与首部内容相符。在发送端抓的包,如果由网卡稍后计算校验和,这里可能显示错误。");
spec!(SRC, "ip.src", "Source Address", "源地址",
    "IPv4 address of the sender.",
    "发送方的 IPv4 地址。");
spec!(DST, "ip.dst", "Destination Address", "目的地址",
    "IPv4 address of the final receiver; routers forward the packet hop by hop towards it.",
    "最终接收方的 IPv4 地址;路由器逐跳把数据包转发给它。");
spec!(CUR_RT, "ip.cur_rt", "Current Route", "当前路由",
    "With source routing, the destination field holds the next hop of the route; the final destination is the last address of the route option.",
    "使用源路由时,目的地址字段里是路由上的下一跳;最终目的地是路由选项中的最后一个地址。");
spec!(OPT_TYPE, "ip.opt.type", "Type", "类型",
    "Option type: the copy bit, a 2-bit class and a 5-bit number.",
    "选项类型:复制位、2 位类别和 5 位编号。");
spec!(OPT_TYPE_COPY, "ip.opt.type.copy", "Copy on fragmentation", "分片时复制",
    "When set, every fragment carries the option; otherwise only the first.",
    "置位时每个分片都携带此选项,否则只有第一个分片携带。");
spec!(OPT_TYPE_CLASS, "ip.opt.type.class", "Class", "类别",
    "0 control, 2 debugging and measurement.",
    "0 表示控制类,2 表示调试与测量类。");
spec!(OPT_TYPE_NUMBER, "ip.opt.type.number", "Number", "编号",
    "Which option within its class.",
    "类别内的选项编号。");
spec!(OPT_LEN, "ip.opt.len", "Length", "长度",
    "Length of the option in bytes, type and length bytes included.",
    "选项的字节数,包括类型和长度两个字节。");
spec!(OPT_PTR, "ip.opt.ptr", "Pointer", "指针",
    "1-based offset in the option of the next slot to fill (or address to use).",
    "选项中下一个待填写位置(或下一个要使用的地址)的偏移,从 1 开始计数。");
spec!(OPT_RA, "ip.opt.ra", "Router Alert", "路由器告警",
    "Asks every router on the path to look at this packet even though it is not addressed to it (used by IGMP and RSVP).",
    "要求路径上的每个路由器都检查这个数据包,即使它不是发给路由器的(IGMP 和 RSVP 会用到)。");
spec!(OPT_OVERFLOW, "ip.opt.overflow", "Overflow", "溢出计数",
    "Number of routers that could not add a timestamp because the option was full.",
    "因为选项已满而无法添加时间戳的路由器数量。");
spec!(OPT_FLAG, "ip.opt.flag", "Flag", "标志",
    "0 timestamps only, 1 address and timestamp, 3 timestamps for listed addresses.",
    "0 只记录时间戳,1 记录地址和时间戳,3 只为列出的地址记录时间戳。");
spec!(OPT_TIME_STAMP, "ip.opt.time_stamp", "Time stamp", "时间戳",
    "Milliseconds since midnight UTC when a router handled the packet.",
    "路由器处理该数据包时的时间,自 UTC 午夜起的毫秒数。");
spec!(OPT_TIME_STAMP_ADDR, "ip.opt.time_stamp_addr", "Address", "地址",
    "The router that wrote the following timestamp.",
    "写入后面那个时间戳的路由器。");
spec!(OPT_SID, "ip.opt.sid", "Stream Identifier", "流标识",
    "Obsolete SATNET stream identifier.",
    "已废弃的 SATNET 流标识。");
spec!(OPT_MTU, "ip.opt.mtu", "MTU", "MTU",
    "Obsolete MTU probe/reply value (RFC 1063).",
    "已废弃的 MTU 探测/应答值(RFC 1063)。");
spec!(REC_RT, "ip.rec_rt", "Recorded Route", "已记录路由",
    "Address already written into the route by a router the packet passed.",
    "数据包经过的路由器已写入路由中的地址。");
spec!(SRC_RT, "ip.src_rt", "Source Route", "源路由",
    "Address the sender wants the packet to visit; the pointer marks the next one.",
    "发送方希望数据包经过的地址;指针指向下一个。");
spec!(EMPTY_RT, "ip.empty_rt", "Empty Route", "空路由槽",
    "Slot still free for a router to record its address.",
    "还空着、等待路由器记录其地址的位置。");
spec!(OPTION_EOL, "ip.options.eol", "IP Option - End of Options List (EOL)", "IP 选项 - 选项表结束",
    "Marks the end of the options; the rest of the header is padding.",
    "标记选项的结束;首部剩余部分是填充。");
spec!(OPTION_NOP, "ip.options.nop", "IP Option - No-Operation (NOP)", "IP 选项 - 无操作",
    "A one-byte filler that aligns the next option.",
    "一个字节的填充,用来对齐下一个选项。");
spec!(OPTION_SECURITY, "ip.options.security", "IP Option - Security", "IP 选项 - 安全",
    "Military security label (RFC 1108).",
    "军用安全标签(RFC 1108)。");
spec!(OPTION_LSRR, "ip.options.route", "IP Option - Loose Source Route", "IP 选项 - 宽松源路由",
    "The sender lists routers the packet must pass, in order, possibly with other hops between them. Most networks drop such packets today.",
    "发送方按顺序列出数据包必须经过的路由器,中间可以经过其他跳。如今大多数网络会丢弃这种数据包。");
spec!(OPTION_TIMESTAMP, "ip.options.timestamp", "IP Option - Time Stamp", "IP 选项 - 时间戳",
    "Routers on the path add the time they handled the packet.",
    "路径上的路由器写入它们处理该数据包的时间。");
spec!(OPTION_EXT_SECURITY, "ip.options.ext_security", "IP Option - Extended Security", "IP 选项 - 扩展安全",
    "Additional security information (RFC 1108).",
    "附加的安全信息(RFC 1108)。");
spec!(OPTION_CIPSO, "ip.options.cipso", "IP Option - Commercial Security", "IP 选项 - 商用安全",
    "Commercial IP security label (CIPSO).",
    "商用 IP 安全标签(CIPSO)。");
spec!(OPTION_RR, "ip.options.record_route", "IP Option - Record Route", "IP 选项 - 记录路由",
    "Each router writes its address into the next free slot, so the receiver sees the path (ping -R).",
    "每个路由器把自己的地址写进下一个空位,这样接收方就能看到经过的路径(ping -R)。");
spec!(OPTION_SID, "ip.options.sid", "IP Option - Stream ID", "IP 选项 - 流标识",
    "Obsolete SATNET stream identifier.",
    "已废弃的 SATNET 流标识。");
spec!(OPTION_SSRR, "ip.options.source_route", "IP Option - Strict Source Route", "IP 选项 - 严格源路由",
    "The sender lists every router the packet must pass, with no other hops allowed.",
    "发送方列出数据包必须经过的每一个路由器,不允许经过其他跳。");
spec!(OPTION_MTU_PROBE, "ip.options.mtu_probe", "IP Option - MTU Probe", "IP 选项 - MTU 探测",
    "Obsolete path MTU probe (RFC 1063).",
    "已废弃的路径 MTU 探测(RFC 1063)。");
spec!(OPTION_MTU_REPLY, "ip.options.mtu_reply", "IP Option - MTU Reply", "IP 选项 - MTU 应答",
    "Obsolete path MTU reply (RFC 1063).",
    "已废弃的路径 MTU 应答(RFC 1063)。");
spec!(OPTION_TRACEROUTE, "ip.options.traceroute", "IP Option - Traceroute", "IP 选项 - 路由跟踪",
    "Experimental traceroute option (RFC 1393).",
    "实验性的路由跟踪选项(RFC 1393)。");
spec!(OPTION_ROUTER_ALERT, "ip.options.routeralert", "IP Option - Router Alert", "IP 选项 - 路由器告警",
    "Tells routers to examine the packet (RFC 2113); IGMP reports carry it.",
    "告诉路由器要检查这个数据包(RFC 2113);IGMP 报告会携带它。");
spec!(OPTION_SDB, "ip.options.sdb", "IP Option - Selective Directed Broadcast", "IP 选项 - 选择性定向广播",
    "List of addresses for a selective directed broadcast (RFC 1770).",
    "选择性定向广播的地址列表(RFC 1770)。");
spec!(OPTION_UNKNOWN, "ip.options.unknown", "IP Option - Unknown", "IP 选项 - 未知",
    "An option type this decoder (like Wireshark) does not know; its bytes are skipped using its length.",
    "本解码器(和 Wireshark 一样)不认识的选项类型;根据它的长度跳过这些字节。");
spec!(OPTION_QS, "ip.options.qs", "IP Option - Quick-Start", "IP 选项 - 快速启动",
    "Quick-Start rate request (RFC 4782).",
    "快速启动速率请求(RFC 4782)。");

fn dscp_names(dscp: u8) -> Option<(&'static str, &'static str)> {
    Some(match dscp {
        0 => ("CS0", "Default"),
        1 => ("LE", "Lower Effort"),
        8 => ("CS1", "Class Selector 1"),
        10 => ("AF11", "Assured Forwarding 11"),
        12 => ("AF12", "Assured Forwarding 12"),
        14 => ("AF13", "Assured Forwarding 13"),
        16 => ("CS2", "Class Selector 2"),
        18 => ("AF21", "Assured Forwarding 21"),
        20 => ("AF22", "Assured Forwarding 22"),
        22 => ("AF23", "Assured Forwarding 23"),
        24 => ("CS3", "Class Selector 3"),
        26 => ("AF31", "Assured Forwarding 31"),
        28 => ("AF32", "Assured Forwarding 32"),
        30 => ("AF33", "Assured Forwarding 33"),
        32 => ("CS4", "Class Selector 4"),
        34 => ("AF41", "Assured Forwarding 41"),
        36 => ("AF42", "Assured Forwarding 42"),
        38 => ("AF43", "Assured Forwarding 43"),
        40 => ("CS5", "Class Selector 5"),
        44 => ("VA", "Voice Admit"),
        46 => ("EF PHB", "Expedited Forwarding"),
        48 => ("CS6", "Class Selector 6"),
        56 => ("CS7", "Class Selector 7"),
        _ => return None,
    })
}

fn ecn_names(ecn: u8) -> (&'static str, &'static str) {
    match ecn & 3 {
        0 => ("Not-ECT", "Not ECN-Capable Transport"),
        1 => ("ECT(1)", "ECN-Capable Transport codepoint '01'"),
        2 => ("ECT(0)", "ECN-Capable Transport codepoint '10'"),
        _ => ("CE", "Congestion Experienced"),
    }
}

/// The traffic-class byte (IPv4 DS field, IPv6 traffic class) split into DSCP and ECN fields.
/// `mask_shift` places the 8 bits in the bytes of `range` (0 for IPv4, 20 for IPv6's word).
pub(crate) fn ds_children(
    tos: u8,
    range: Range<usize>,
    mask_shift: u32,
    specs: [&'static FieldSpec; 2],
) -> (String, Vec<Field>) {
    let dscp = tos >> 2;
    let ecn = tos & 3;
    let names = dscp_names(dscp);
    // `0x00 (DSCP: CS0, ECN: Not-ECT)`
    let mut summary = String::with_capacity(40);
    summary.push_str("0x");
    summary.extend(hex_pair(tos).map(char::from));
    summary.push_str(" (DSCP: ");
    summary.push_str(names.map_or("Unknown", |n| n.0));
    summary.push_str(", ECN: ");
    summary.push_str(ecn_names(ecn).0);
    summary.push(')');
    let children = vec![
        Field::new(specs[0], Value::Enum { value: dscp.into(), name: names.map(|n| n.1) }, range.clone())
            .with_mask(0xfc_u64 << mask_shift),
        Field::new(specs[1], Value::Enum { value: ecn.into(), name: Some(ecn_names(ecn).1) }, range)
            .with_mask(0x03_u64 << mask_shift),
    ];
    (summary, children)
}

/// Everything the header told us, for the hand-off and the Info text.
#[derive(Default)]
struct Parsed {
    ihl: usize,
    total_len: usize,
    id: u16,
    mf: bool,
    frag_offset: u32,
    proto: u8,
    src: Option<Ipv4Addr>,
    dst: Option<Ipv4Addr>,
    /// The final destination when a source route is still being followed.
    final_dst: Option<Ipv4Addr>,
}

/// IPv4. Hands off `IpProto` with the pseudo-header; the payload is limited by Total Length
/// (so Ethernet padding is not payload). A header cut short yields the fields whose bytes were
/// captured, as tshark shows them, and nothing after it.
pub fn ipv4(frame: &[u8], at: Range<usize>, ctx: DecodeCtx) -> Step {
    let w = Window::new(frame, at.clone());
    let mut layer = Layer::new(LayerKind::Network, "ip", "IPv4", w.abs(0..field::MIN_HEADER_LEN));
    layer.title = "Internet Protocol Version 4".into();
    // tshark clears the Info column when it starts on IPv4.
    layer.info = Some(String::new());
    let Some(b0) = w.u8(0) else {
        layer.range = w.abs(0..0);
        layer.notes.push(Note::truncated("IPv4 header", w.start(), field::MIN_HEADER_LEN, 0));
        return Step::end(layer);
    };
    let version = b0 >> 4;
    layer.fields.push(Field::new(&VERSION, Value::UInt(version.into()), w.abs(field::VER_IHL)).with_mask(0xf0));
    if version != 4 {
        layer.range = w.abs(field::VER_IHL);
        layer.info = Some(format!("Bogus IPv4 version ({version}, must be 4)"));
        layer.notes.push(Note::new(Severity::Error, "ip.bogus_ip_version", "Bogus IPv4 version", "IPv4 版本号错误"));
        if version == 6 {
            // As tshark does (Linux sometimes labels IPv6 with the IPv4 EtherType): decode it
            // as IPv6 after the complaint.
            let mut s = ipv6::ipv6(frame, at, ctx);
            s.layers.insert(0, layer);
            return s;
        }
        return Step::end(layer);
    }
    let ihl = usize::from(b0 & 0x0f) * 4;
    layer.range = w.abs(0..ihl.max(1));
    layer.fields.push(
        Field::new(&HDR_LEN, Value::UInt(ihl as u64), w.abs(field::VER_IHL))
            .with_mask(0x0f)
            .with_display(netlayers_core::text::bytes_and_words(ihl)),
    );
    if ihl < field::MIN_HEADER_LEN {
        let text = format!("Bogus IP header length ({ihl}, must be at least {})", field::MIN_HEADER_LEN);
        layer.notes.push(Note::new(Severity::Error, "ip.bogus_header_length", text.clone(), format!("IP 首部长度错误({ihl},至少应为 20)")));
        layer.info = Some(text);
        return Step::end(layer);
    }
    let mut p = Parsed { ihl, ..Parsed::default() };
    let complete = header(&w, ctx, &mut p, &mut layer).is_some();
    if let Some(src) = p.src {
        // Replaces the bare heading set before the addresses were read.
        let title = &mut layer.title;
        title.clear();
        title.reserve(64);
        title.push_str("Internet Protocol Version 4, Src: ");
        push_ipv4(title, src);
        if let Some(dst) = p.final_dst.or(p.dst) {
            title.push_str(", Dst: ");
            push_ipv4(title, dst);
            if let (Some(_), Some(via)) = (p.final_dst, p.dst) {
                title.push_str(", Via: ");
                push_ipv4(title, via);
            }
        }
    }
    let (Some(src), Some(dst), true) = (p.src, p.final_dst.or(p.dst), complete) else {
        if layer.notes.iter().all(|n| n.id != "ip.bogus_ip_length") {
            layer.notes.push(Note::truncated("IPv4 header", w.start(), ihl, w.len()));
        }
        return Step::end(layer);
    };

    let payload = w.abs(ihl..p.total_len);
    let upper_len = p.total_len - ihl;
    let name = ipproto::name(p.proto).unwrap_or("Unknown");
    if p.frag_offset != 0 {
        layer.info = Some(fragmented_info(p.proto, p.frag_offset as usize, p.id));
    } else if upper_len > 0 {
        // What tshark says when no dissector takes the payload; the layer that decodes it
        // replaces this text with its own.
        let mut info = String::with_capacity(name.len() + 6);
        info.push_str(name);
        info.push_str(" (");
        push_decimal(&mut info, p.proto);
        info.push(')');
        layer.info = Some(info);
    }
    let pseudo = PseudoHeader { src: src.into(), dst: dst.into(), protocol: p.proto, upper_len };
    Step { layers: vec![layer], next: Handoff::IpProto { proto: p.proto, pseudo, fragment_offset: p.frag_offset }, payload }
}

/// tshark's Info for a fragment whose payload is not decoded: a later fragment, or, with
/// reassembly on, any fragment but the one that completes the datagram.
pub(crate) fn fragmented_info(proto: u8, offset: usize, id: u16) -> String {
    let name = ipproto::name(proto).unwrap_or("Unknown");
    format!("Fragmented IP protocol (proto={name} {proto}, off={offset}, ID={id:04x})")
}

/// The fixed header from the DS field on, then the options. Returns `None` where the captured
/// bytes (or a bogus length) end the header.
fn header(w: &Window<'_>, ctx: DecodeCtx, p: &mut Parsed, layer: &mut Layer) -> Option<()> {
    let ihl = p.ihl;
    let Layer { fields: out, notes, info, .. } = layer;
    let tos = w.u8(field::DSFIELD.start)?;
    let (summary, children) = ds_children(tos, w.abs(field::DSFIELD), 0, [&DSCP, &ECN]);
    out.push(
        Field::new(&DSFIELD, Value::Hex { value: tos.into(), digits: 2 }, w.abs(field::DSFIELD))
            .with_display(summary)
            .with_children(children),
    );

    let len = usize::from(w.u16(field::LEN.start)?);
    if len < ihl {
        if len == 0 {
            // tshark 4.0 assumes TCP segmentation offload: the card would have filled the
            // length in, so the packet is presumed to run to the end of the frame.
            p.total_len = w.len().max(ihl);
            let mut f = Field::new(&LEN, Value::UInt(p.total_len as u64), w.abs(field::LEN)).with_display(format!(
                "{} bytes (reported as 0, presumed to be because of \"TCP segmentation offload\" (TSO))",
                p.total_len
            ));
            f.generated = true;
            out.push(f);
        } else {
            let en = format!("Bogus IP length ({len}, less than header length {ihl})");
            out.push(
                Field::new(&LEN, Value::UInt(len as u64), w.abs(field::LEN))
                    .with_display(format!("{len} bytes (bogus, less than header length {ihl})")),
            );
            notes.push(Note::new(Severity::Error, "ip.bogus_ip_length", en.clone(), format!("IP 总长度错误({len},小于首部长度 {ihl})")));
            *info = Some(en);
            return None;
        }
    } else {
        p.total_len = len;
        let mut f = Field::new(&LEN, Value::UInt(len as u64), w.abs(field::LEN));
        if len > w.len() && !ctx.quoted() {
            f = f.with_note(Note::new(
                Severity::Warn,
                "ip.bogus_ip_length",
                format!("IPv4 total length exceeds packet length ({} bytes)", w.len()),
                format!("IPv4 总长度超过了捕获到的数据包长度({} 字节)", w.len()),
            ));
        }
        out.push(f);
    }

    p.id = w.u16(field::ID.start)?;
    out.push(Field::new(&ID, Value::Hex { value: p.id.into(), digits: 4 }, w.abs(field::ID)).with_display(hex_and_decimal(p.id)));

    // tshark reads flags and fragment offset together before it shows either.
    let frag = w.u16(field::FRAG.start)?;
    let fb = w.u8(field::FLAGS.start)?;
    let fr = w.abs(field::FLAGS);
    let flag = |spec, mask: u8| Field::new(spec, Value::Bool(fb & mask != 0), fr.clone()).with_mask(mask.into());
    p.mf = fb & FLAG_MF_MASK != 0;
    out.push(
        Field::new(&FLAGS, Value::Hex { value: (fb >> 5).into(), digits: 2 }, fr.clone())
            .with_mask(0xe0)
            .with_display(flags_summary(fb))
            .with_children(vec![flag(&FLAG_RB, FLAG_RB_MASK), flag(&FLAG_DF, FLAG_DF_MASK), flag(&FLAG_MF, FLAG_MF_MASK)]),
    );
    p.frag_offset = u32::from(frag & FRAG_MASK) * 8;
    out.push(Field::new(&FRAG_OFFSET, Value::UInt(p.frag_offset.into()), w.abs(field::FRAG)).with_mask(FRAG_MASK.into()));

    let ttl = w.u8(field::TTL.start)?;
    out.push(Field::new(&TTL, Value::UInt(ttl.into()), w.abs(field::TTL)));
    p.proto = w.u8(field::PROTO.start)?;
    out.push(Field::new(&PROTO, Value::Enum { value: p.proto.into(), name: ipproto::name(p.proto) }, w.abs(field::PROTO)));

    let sum = w.u16(field::CHECKSUM.start)?;
    let verdict = match w.bytes(0..ihl) {
        Some(h) if checksum::internet(h) == 0 => Verdict::Good,
        Some(h) => {
            let mut zeroed = h.to_vec();
            zeroed[field::CHECKSUM].fill(0);
            Verdict::Bad { expected: checksum::internet(&zeroed) }
        }
        None => Verdict::Unverified,
    };
    out.push(checksum_field(&CHECKSUM, &CHECKSUM_STATUS, sum, w.abs(field::CHECKSUM), verdict));

    p.src = Some(w.ipv4(field::SRC.start)?);
    out.push(Field::new(&SRC, Value::Ipv4(p.src?), w.abs(field::SRC)));

    // tshark looks for a source route before it shows the destination; running out of bytes
    // while looking ends the header there.
    let route_dst = source_route_destination(w, ihl)?;
    let dst = w.ipv4(field::DST.start)?;
    p.dst = Some(dst);
    match route_dst {
        Some(off) => {
            p.final_dst = Some(w.ipv4(off)?);
            out.push(Field::new(&CUR_RT, Value::Ipv4(dst), w.abs(field::DST)));
        }
        None => out.push(Field::new(&DST, Value::Ipv4(dst), w.abs(field::DST))),
    }
    if ihl > field::MIN_HEADER_LEN {
        // tshark adds the options' subtree for all of them at once: if they were not all
        // captured, none is shown.
        w.bytes(field::MIN_HEADER_LEN..ihl)?;
        options(w, ihl, out, notes)?;
    }
    Some(())
}

/// `0x1c46 (7238)`: an identification in hex and decimal.
fn hex_and_decimal(v: u16) -> String {
    let mut s = String::with_capacity(16);
    s.push_str("0x");
    push_hex4(&mut s, v);
    s.push_str(" (");
    push_decimal(&mut s, v);
    s.push(')');
    s
}

fn flags_summary(fb: u8) -> String {
    let mut s = String::with_capacity(48);
    // `0x{:x}` of three bits: one digit, the same in hex and decimal.
    s.push_str("0x");
    push_decimal(&mut s, fb >> 5);
    if fb & FLAG_RB_MASK != 0 {
        s.push_str(", Reserved bit");
    }
    if fb & FLAG_DF_MASK != 0 {
        s.push_str(", Don't fragment");
    }
    if fb & FLAG_MF_MASK != 0 {
        s.push_str(", More fragments");
    }
    s
}

/// Where the final destination is when a loose or strict source route is still being followed:
/// the last address of the first such option, if its pointer is valid and not past the end.
/// `None` (outer) when the captured bytes end before the search does.
fn source_route_destination(w: &Window<'_>, ihl: usize) -> Option<Option<usize>> {
    let mut off = field::MIN_HEADER_LEN;
    while off < ihl {
        let t = w.u8(off)?;
        if t == opt::EOL {
            return Some(None);
        }
        if t == opt::NOP {
            off += 1;
            continue;
        }
        if off + 1 >= ihl {
            return Some(None);
        }
        let len = usize::from(w.u8(off + 1)?);
        if len < 2 || off + len > ihl {
            return Some(None);
        }
        if t == opt::LSRR || t == opt::SSRR {
            let ptr = usize::from(w.u8(off + 2)?);
            if ptr < 4 || ptr & 3 != 0 || ptr > len {
                return Some(None);
            }
            return Some(Some(off + len - 4));
        }
        off += len;
    }
    Some(None)
}

/// The option's group field spec and short name, by type.
fn option_spec(t: u8) -> Option<(&'static FieldSpec, &'static str)> {
    Some(match t {
        opt::EOL => (&OPTION_EOL, "End of Options List (EOL)"),
        opt::NOP => (&OPTION_NOP, "No-Operation (NOP)"),
        opt::SECURITY => (&OPTION_SECURITY, "Security"),
        opt::LSRR => (&OPTION_LSRR, "Loose Source Route"),
        opt::TIMESTAMP => (&OPTION_TIMESTAMP, "Time Stamp"),
        opt::EXT_SECURITY => (&OPTION_EXT_SECURITY, "Extended Security"),
        opt::CIPSO => (&OPTION_CIPSO, "Commercial Security"),
        opt::RR => (&OPTION_RR, "Record Route"),
        opt::SID => (&OPTION_SID, "Stream ID"),
        opt::SSRR => (&OPTION_SSRR, "Strict Source Route"),
        opt::MTU_PROBE => (&OPTION_MTU_PROBE, "MTU Probe"),
        opt::MTU_REPLY => (&OPTION_MTU_REPLY, "MTU Reply"),
        opt::TRACEROUTE => (&OPTION_TRACEROUTE, "Traceroute"),
        opt::ROUTER_ALERT => (&OPTION_ROUTER_ALERT, "Router Alert"),
        opt::SDB => (&OPTION_SDB, "Selective Directed Broadcast"),
        opt::QS => (&OPTION_QS, "Quick-Start"),
        _ => return None,
    })
}

fn option_number_name(n: u8) -> Option<&'static str> {
    Some(match n {
        0 => "End of Option List (EOL)",
        1 => "No-Operation (NOP)",
        2 => "Security",
        3 => "Loose source route",
        4 => "Time stamp",
        5 => "Extended security",
        6 => "Commercial IP security option",
        7 => "Record route",
        8 => "Stream identifier",
        9 => "Strict source route",
        10 => "Experimental Measurement",
        11 => "MTU probe",
        12 => "MTU Reply",
        13 => "Experimental Flow Control",
        14 => "Experimental Access Control",
        15 => "Ask Estrin",
        16 => "IMI Traffic Descriptor",
        17 => "Extended Internet Protocol",
        18 => "Traceroute",
        19 => "Address Extension",
        20 => "Router Alert",
        21 => "Selective Directed Broadcast",
        22 => "Unassigned",
        23 => "Dynamic Packet State",
        24 => "Upstream Multicast Packet",
        25 => "Quick-Start",
        30 => "RFC 3692-style experiment",
        _ => return None,
    })
}

/// The type byte with its copy bit, class and number.
fn option_type_field(t: u8, r: Range<usize>) -> Field {
    let class = (t >> 5) & 3;
    let number = t & 0x1f;
    Field::new(&OPT_TYPE, Value::UInt(t.into()), r.clone()).with_children(vec![
        Field::new(&OPT_TYPE_COPY, Value::Bool(t & 0x80 != 0), r.clone()).with_mask(0x80),
        Field::new(
            &OPT_TYPE_CLASS,
            Value::Enum {
                value: class.into(),
                name: Some(match class {
                    0 => "Control",
                    2 => "Debugging and measurement",
                    _ => "Reserved for future use",
                }),
            },
            r.clone(),
        )
        .with_mask(0x60),
        Field::new(&OPT_TYPE_NUMBER, Value::Enum { value: number.into(), name: option_number_name(number) }, r)
            .with_mask(0x1f),
    ])
}

/// The options between byte 20 and the header length, as Wireshark walks them. Returns `None`
/// when the captured bytes end inside them.
fn options(w: &Window<'_>, ihl: usize, out: &mut Vec<Field>, notes: &mut Vec<Note>) -> Option<()> {
    let mut off = field::MIN_HEADER_LEN;
    let bad = |notes: &mut Vec<Note>, en: String| {
        notes.push(Note::new(Severity::Warn, "ip.opt.len.invalid", en.clone(), format!("IP 选项长度无效:{en}")));
    };
    while off < ihl {
        let t = w.u8(off)?;
        let tr = w.abs(off..off + 1);
        if t == opt::EOL || t == opt::NOP {
            let (spec, _) = option_spec(t)?;
            out.push(Field::new(spec, Value::None, tr.clone()).with_children(vec![option_type_field(t, tr)]));
            off += 1;
            if t == opt::EOL {
                break;
            }
            continue;
        }
        let name = option_spec(t).map_or_else(|| format!("Unknown (0x{t:02x})"), |s| s.1.to_string());
        if off + 1 >= ihl {
            bad(notes, format!("{name} (length byte past end of options)"));
            break;
        }
        let len = usize::from(w.u8(off + 1)?);
        if len < 2 {
            bad(notes, format!("{name} (with too-short option length = {len} byte{})", if len == 1 { "" } else { "s" }));
            break;
        }
        if off + len > ihl {
            bad(notes, format!("{name} (option length = {len} bytes says option goes past end of options)"));
            break;
        }
        let body = w.sub(off..off + len);
        if body.len() < len {
            return None;
        }
        let lr = body.abs(1..2);
        let mut children = vec![option_type_field(t, tr), Field::new(&OPT_LEN, Value::UInt(len as u64), lr)];
        match t {
            opt::LSRR | opt::SSRR | opt::RR => route_addresses(&body, t, len, &mut children),
            opt::TIMESTAMP => timestamps(&body, len, &mut children),
            opt::ROUTER_ALERT => {
                if let Some(v) = body.u16(2) {
                    let what = if v == 0 { "Router shall examine packet" } else { "Reserved" };
                    children.push(Field::new(&OPT_RA, Value::UInt(v.into()), body.abs(2..4)).with_display(format!("{what} ({v})")));
                }
            }
            opt::SID => {
                if let Some(v) = body.u16(2) {
                    children.push(Field::new(&OPT_SID, Value::UInt(v.into()), body.abs(2..4)));
                }
            }
            opt::MTU_PROBE | opt::MTU_REPLY => {
                if let Some(v) = body.u16(2) {
                    children.push(Field::new(&OPT_MTU, Value::UInt(v.into()), body.abs(2..4)));
                }
            }
            _ => {}
        }
        let group = match option_spec(t) {
            Some((spec, _)) => Field::new(spec, Value::None, body.abs(0..len))
                .with_display(format!("{len} bytes"))
                .with_children(children),
            // An option Wireshark does not know: tshark shows only a line of text, no field.
            None => Field::new(&OPTION_UNKNOWN, Value::None, body.abs(0..len)).with_display(format!("Unknown (0x{t:02x}) ({len} bytes)")),
        };
        out.push(group);
        off += len;
    }
    Some(())
}

/// The addresses of a record-route or source-route option, named by where the pointer is.
fn route_addresses(body: &Window<'_>, t: u8, len: usize, out: &mut Vec<Field>) {
    let Some(ptr) = body.u8(2) else { return };
    out.push(Field::new(&OPT_PTR, Value::UInt(ptr.into()), body.abs(2..3)));
    let ptr = usize::from(ptr);
    if ptr < 4 || ptr & 3 != 0 {
        return;
    }
    let mut off = 3;
    while off + 4 <= len {
        let Some(a) = body.ipv4(off) else { return };
        let r = body.abs(off..off + 4);
        let (spec, next) = if ptr > len {
            (&REC_RT, false)
        } else if t != opt::RR && off == len - 4 {
            (&DST, false)
        } else if off + 1 < ptr {
            (&REC_RT, false)
        } else if t == opt::RR {
            (&EMPTY_RT, off + 1 == ptr)
        } else {
            (&SRC_RT, off + 1 == ptr)
        };
        let mut f = Field::new(spec, Value::Ipv4(a), r);
        if next {
            f.display = Some(format!("{a} <- (next)"));
        }
        out.push(f);
        off += 4;
    }
}

/// The entries of a timestamp option.
fn timestamps(body: &Window<'_>, len: usize, out: &mut Vec<Field>) {
    let (Some(ptr), Some(of)) = (body.u8(2), body.u8(3)) else { return };
    out.push(Field::new(&OPT_PTR, Value::UInt(ptr.into()), body.abs(2..3)));
    out.push(Field::new(&OPT_OVERFLOW, Value::UInt((of >> 4).into()), body.abs(3..4)).with_mask(0xf0));
    let flag = of & 0x0f;
    out.push(Field::new(&OPT_FLAG, Value::Hex { value: flag.into(), digits: 1 }, body.abs(3..4)).with_mask(0x0f));
    let with_addr = flag == 1 || flag == 3;
    let step = if with_addr { 8 } else { 4 };
    let mut off = 4;
    while off + step <= len {
        if with_addr {
            let Some(a) = body.ipv4(off) else { return };
            out.push(Field::new(&OPT_TIME_STAMP_ADDR, Value::Ipv4(a), body.abs(off..off + 4)));
            off += 4;
        }
        let Some(ts) = body.u32(off) else { return };
        out.push(Field::new(&OPT_TIME_STAMP, Value::UInt(ts.into()), body.abs(off..off + 4)));
        off += 4;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netlayers_core::checksum::internet;

    #[test]
    fn display_texts_are_what_format_writes() {
        for v in 0..=u16::MAX {
            assert_eq!(hex_and_decimal(v), format!("0x{v:04x} ({v})"));
        }
        for fb in 0..=u8::MAX {
            assert!(flags_summary(fb).starts_with(&format!("0x{:x}", fb >> 5)));
        }
        for tos in 0..=u8::MAX {
            let (summary, _) = ds_children(tos, 0..1, 0, [&DSCP, &ECN]);
            let names = dscp_names(tos >> 2);
            let want = format!("0x{tos:02x} (DSCP: {}, ECN: {})", names.map_or("Unknown", |n| n.0), ecn_names(tos & 3).0);
            assert_eq!(summary, want);
        }
    }

    /// An ICMP echo request from 10.77.0.1 to 10.77.0.2 (20-byte header, 8 bytes of ICMP).
    const PING: [u8; 28] = [
        0x45, // ip.version 4, ip.hdr_len 5 words = 20 bytes
        0xb9, // ip.dsfield: DSCP 46 (EF), ECN 1
        0x00, 0x1c, // ip.len 28
        0x36, 0x10, // ip.id
        0x40, 0x00, // ip.flags: DF; ip.frag_offset 0
        0x40, // ip.ttl 64
        0x01, // ip.proto ICMP
        0x00, 0x00, // ip.checksum, filled in by `ping()`
        10, 77, 0, 1, // ip.src
        10, 77, 0, 2, // ip.dst
        0x08, 0x00, 0xf7, 0xfe, 0x00, 0x01, 0x00, 0x00, // ICMP echo request
    ];

    fn with_checksum(mut p: Vec<u8>) -> Vec<u8> {
        let ihl = usize::from(p[0] & 0x0f) * 4;
        p[10..12].fill(0);
        let c = internet(&p[..ihl]);
        p[10..12].copy_from_slice(&c.to_be_bytes());
        p
    }

    fn ping() -> Vec<u8> {
        with_checksum(PING.to_vec())
    }

    fn decode(p: &[u8]) -> Step {
        ipv4(p, 0..p.len(), DecodeCtx::default())
    }

    fn value(l: &Layer, key: &str) -> Option<Value> {
        l.find(key).map(|f| f.value.clone())
    }

    #[test]
    fn parse_every_field() {
        let p = ping();
        let s = decode(&p);
        let l = &s.layers[0];
        assert_eq!(l.title, "Internet Protocol Version 4, Src: 10.77.0.1, Dst: 10.77.0.2");
        assert_eq!(l.range, 0..20);
        let got: Vec<_> = l.fields.iter().map(|f| (f.key(), f.range.clone())).collect();
        assert_eq!(
            got,
            vec![
                ("ip.version", 0..1),
                ("ip.hdr_len", 0..1),
                ("ip.dsfield", 1..2),
                ("ip.len", 2..4),
                ("ip.id", 4..6),
                ("ip.flags", 6..7),
                ("ip.frag_offset", 6..8),
                ("ip.ttl", 8..9),
                ("ip.proto", 9..10),
                ("ip.checksum", 10..12),
                ("ip.src", 12..16),
                ("ip.dst", 16..20),
            ]
        );
        assert_eq!(value(l, "ip.hdr_len"), Some(Value::UInt(20)));
        assert_eq!(value(l, "ip.dsfield.dscp"), Some(Value::Enum { value: 46, name: Some("Expedited Forwarding") }));
        assert_eq!(value(l, "ip.dsfield.ecn").and_then(|v| v.as_u64()), Some(1));
        assert_eq!(value(l, "ip.id"), Some(Value::Hex { value: 0x3610, digits: 4 }));
        assert_eq!(value(l, "ip.flags").and_then(|v| v.as_u64()), Some(2));
        assert_eq!(value(l, "ip.flags.df"), Some(Value::Bool(true)));
        assert_eq!(value(l, "ip.flags.mf"), Some(Value::Bool(false)));
        assert_eq!(value(l, "ip.proto"), Some(Value::Enum { value: 1, name: Some("ICMP") }));
        assert_eq!(value(l, "ip.checksum.status"), Some(Value::Enum { value: 1, name: Some("Good") }));
        assert_eq!(
            s.next,
            Handoff::IpProto {
                proto: 1,
                pseudo: PseudoHeader {
                    src: Ipv4Addr::new(10, 77, 0, 1).into(),
                    dst: Ipv4Addr::new(10, 77, 0, 2).into(),
                    protocol: 1,
                    upper_len: 8
                },
                fragment_offset: 0
            }
        );
        assert_eq!(s.payload, 20..28);
    }

    #[test]
    fn bad_checksum_says_what_it_should_be() {
        let mut p = ping();
        let good = u16::from_be_bytes([p[10], p[11]]);
        p[10] ^= 0x12;
        let s = decode(&p);
        let c = s.layers[0].find("ip.checksum").expect("checksum");
        assert_eq!(c.children[0].value, Value::Enum { value: 0, name: Some("Bad") });
        assert!(c.notes[0].text.en.contains(&format!("should be 0x{good:04x}")), "{}", c.notes[0].text.en);
        // Decoding goes on: tshark does not validate.
        assert!(matches!(s.next, Handoff::IpProto { .. }));
    }

    #[test]
    fn padding_is_not_payload_and_offsets_are_absolute() {
        let mut f = vec![0u8; 14];
        f.extend_from_slice(&ping());
        f.extend_from_slice(&[0; 18]);
        let s = ipv4(&f, 14..f.len(), DecodeCtx::default());
        assert_eq!(s.payload, 34..42);
        assert_eq!(s.layers[0].range, 14..34);
        assert_eq!(s.layers[0].find("ip.dst").map(|f| f.range.clone()), Some(30..34));
    }

    #[test]
    fn every_too_short_length() {
        let p = ping();
        // Field i needs the first `need[i]` bytes, as tshark shows a header cut short.
        let need = [
            ("ip.version", 1),
            ("ip.hdr_len", 1),
            ("ip.dsfield", 2),
            ("ip.len", 4),
            ("ip.id", 6),
            ("ip.flags", 8),
            ("ip.frag_offset", 8),
            ("ip.ttl", 9),
            ("ip.proto", 10),
            ("ip.checksum", 12),
            ("ip.src", 16),
            ("ip.dst", 20),
        ];
        for n in 0..20 {
            let s = decode(&p[..n]);
            let l = &s.layers[0];
            for (key, at) in need {
                assert_eq!(l.find(key).is_some(), n >= at, "{key} with {n} bytes");
            }
            assert_eq!(s.next, Handoff::End, "{n}");
            assert!(l.notes.iter().any(|n| n.id == "truncated"), "{n}");
            crate::check_ranges(&s, n);
        }
    }

    #[test]
    fn bogus_headers_stop_where_tshark_stops() {
        let mut p = ping();
        p[0] = 0x44;
        let l = &decode(&p).layers[0];
        assert_eq!(l.fields.len(), 2);
        assert_eq!(value(l, "ip.hdr_len"), Some(Value::UInt(16)));
        assert_eq!(l.info.as_deref(), Some("Bogus IP header length (16, must be at least 20)"));

        let mut p = ping();
        p[0] = 0x55;
        let s = decode(&p);
        assert_eq!(s.layers[0].fields.len(), 1);
        assert_eq!(s.layers[0].info.as_deref(), Some("Bogus IPv4 version (5, must be 4)"));

        let mut p = ping();
        p[2..4].copy_from_slice(&16u16.to_be_bytes());
        let l = &decode(&p).layers[0];
        assert_eq!(l.fields.iter().map(|f| f.key()).collect::<Vec<_>>(), ["ip.version", "ip.hdr_len", "ip.dsfield", "ip.len"]);
        assert_eq!(l.info.as_deref(), Some("Bogus IP length (16, less than header length 20)"));
    }

    #[test]
    fn version_6_is_handed_to_ipv6() {
        let mut p = vec![0x60, 0, 0, 0, 0, 0, 59, 64];
        p.extend_from_slice(&[0; 32]);
        let s = decode(&p);
        assert_eq!(s.layers.iter().map(|l| l.protocol).collect::<Vec<_>>(), ["ip", "ipv6"]);
        assert_eq!(value(&s.layers[0], "ip.version"), Some(Value::UInt(6)));
    }

    #[test]
    fn zero_total_length_is_taken_for_segmentation_offload() {
        let mut p = ping();
        p[2..4].fill(0);
        let p = with_checksum(p);
        let s = decode(&p);
        assert_eq!(value(&s.layers[0], "ip.len"), Some(Value::UInt(28)));
        assert_eq!(s.payload, 20..28);
    }

    #[test]
    fn fragments() {
        let mut p = ping();
        p[6..8].copy_from_slice(&(0x2000u16 | 185).to_be_bytes());
        p[4..6].copy_from_slice(&0x4242u16.to_be_bytes());
        let s = decode(&with_checksum(p));
        let l = &s.layers[0];
        assert_eq!(value(l, "ip.frag_offset"), Some(Value::UInt(1480)));
        assert_eq!(value(l, "ip.flags.mf"), Some(Value::Bool(true)));
        assert_eq!(l.info.as_deref(), Some("Fragmented IP protocol (proto=ICMP 1, off=1480, ID=4242)"));
        assert!(matches!(s.next, Handoff::IpProto { fragment_offset: 1480, .. }));
    }

    #[test]
    fn unknown_protocols_name_themselves_in_info() {
        let mut p = ping();
        p[9] = 99;
        assert_eq!(decode(&with_checksum(p)).layers[0].info.as_deref(), Some("any private encryption scheme (99)"));
        let mut p = ping();
        p.truncate(20);
        p[2..4].copy_from_slice(&20u16.to_be_bytes());
        assert_eq!(decode(&with_checksum(p)).layers[0].info.as_deref(), Some(""));
    }

    /// A header with options appended after the fixed part, padded with EOL to whole words
    /// (IHL updated, checksum filled).
    fn with_options(opts: &[u8]) -> Vec<u8> {
        let mut p = PING[..20].to_vec();
        p.extend_from_slice(opts);
        while !p.len().is_multiple_of(4) {
            p.push(0);
        }
        let ihl = p.len();
        p[0] = 0x40 | (ihl / 4) as u8;
        p.extend_from_slice(&PING[20..]);
        let total = p.len() as u16;
        p[2..4].copy_from_slice(&total.to_be_bytes());
        with_checksum(p)
    }

    #[test]
    fn record_route_nop_and_router_alert() {
        let p = with_options(&[7, 7, 8, 1, 2, 3, 4, 1, 0x94, 4, 0, 0, 0]);
        let s = decode(&p);
        let l = &s.layers[0];
        assert_eq!(value(l, "ip.hdr_len"), Some(Value::UInt(36)));
        assert_eq!(value(l, "ip.rec_rt"), Some(Value::Ipv4(Ipv4Addr::new(1, 2, 3, 4))));
        assert_eq!(l.find("ip.options.record_route").map(|f| f.range.clone()), Some(20..27));
        assert!(l.find("ip.options.nop").is_some());
        assert_eq!(value(l, "ip.opt.ra"), Some(Value::UInt(0)));
        assert!(l.find("ip.options.eol").is_some());
        assert_eq!(s.payload, 36..44);
    }

    #[test]
    fn an_active_source_route_moves_the_destination() {
        // LSRR via 1.1.1.1 to 2.2.2.2, pointer at the first address.
        let p = with_options(&[131, 11, 4, 1, 1, 1, 1, 2, 2, 2, 2, 0]);
        let s = decode(&p);
        let l = &s.layers[0];
        assert_eq!(value(l, "ip.cur_rt"), Some(Value::Ipv4(Ipv4Addr::new(10, 77, 0, 2))));
        // The first ip.dst is the final destination, in the option.
        assert_eq!(value(l, "ip.dst"), Some(Value::Ipv4(Ipv4Addr::new(2, 2, 2, 2))));
        assert_eq!(l.find("ip.dst").map(|f| f.range.clone()), Some(27..31));
        assert_eq!(value(l, "ip.src_rt"), Some(Value::Ipv4(Ipv4Addr::new(1, 1, 1, 1))));
        assert_eq!(l.title, "Internet Protocol Version 4, Src: 10.77.0.1, Dst: 2.2.2.2, Via: 10.77.0.2");
        let Handoff::IpProto { pseudo, .. } = s.next else { panic!("no hand-off") };
        assert_eq!(pseudo.dst, Ipv4Addr::new(2, 2, 2, 2));
        // Once the pointer is past the end the route is complete: the header's address counts.
        let p = with_options(&[137, 11, 12, 1, 1, 1, 1, 2, 2, 2, 2, 0]);
        let l = &decode(&p).layers[0];
        assert_eq!(value(l, "ip.dst"), Some(Value::Ipv4(Ipv4Addr::new(10, 77, 0, 2))));
        assert!(l.find("ip.cur_rt").is_none());
    }

    #[test]
    fn timestamp_and_unknown_options() {
        let p = with_options(&[68, 8, 9, 0, 0, 0, 4, 0xd2, 0x99, 4, 0xab, 0xcd]);
        let l = &decode(&p).layers[0];
        assert_eq!(value(l, "ip.opt.time_stamp"), Some(Value::UInt(1234)));
        let unknown = l.find("ip.options.unknown").expect("unknown option");
        assert_eq!((unknown.range.clone(), &unknown.value), (28..32, &Value::None));
        assert_eq!(l.fields.iter().filter(|f| f.key().starts_with("ip.options")).count(), 2);
    }

    #[test]
    fn malformed_option_lengths_stop_the_options_not_the_packet() {
        for opts in [[7u8, 1, 0, 0], [7, 9, 4, 0], [1, 1, 1, 0x44]] {
            let p = with_options(&opts);
            let s = decode(&p);
            assert!(matches!(s.next, Handoff::IpProto { .. }), "{opts:?}");
        }
    }

    #[test]
    fn cut_inside_the_options() {
        let p = with_options(&[1, 1, 1, 1, 7, 7, 8, 1, 2, 3, 4, 0]);
        for n in 20..32 {
            let s = decode(&p[..n]);
            let l = &s.layers[0];
            assert_eq!(s.next, Handoff::End, "{n}");
            // tshark shows the options only when all of them were captured, and even the
            // destination needs them: it first looks for a source route in the options.
            assert!(l.fields.iter().all(|f| !f.key().starts_with("ip.options")), "{n}");
            assert!(l.find("ip.dst").is_none(), "{n}");
            assert!(l.find("ip.src").is_some());
            crate::check_ranges(&s, n);
        }
        assert!(decode(&p[..32]).layers[0].find("ip.options.record_route").is_some());
    }

    #[test]
    fn quoted_packets_take_their_length_from_their_own_header() {
        // A router quotes the header and 8 bytes of a 1500-byte packet.
        let mut p = ping();
        p[2..4].copy_from_slice(&1500u16.to_be_bytes());
        let p = with_checksum(p);
        let s = ipv4(&p, 0..28, DecodeCtx { depth: 1, ..Default::default() });
        let Handoff::IpProto { pseudo, .. } = s.next else { panic!("no hand-off") };
        assert_eq!(pseudo.upper_len, 1480);
        assert_eq!(s.payload, 20..28);
        assert!(s.layers[0].find("ip.len").is_some_and(|f| f.notes.is_empty()));
        // At depth 0 the same header is flagged.
        let s = decode(&p);
        assert_eq!(s.layers[0].find("ip.len").map(|f| f.notes.len()), Some(1));
    }

    #[test]
    fn etherparse_agrees_on_a_header_with_options() {
        let p = with_options(&[7, 7, 8, 1, 2, 3, 4, 1]);
        let h = etherparse::Ipv4HeaderSlice::from_slice(&p).expect("etherparse reads it");
        let l = &decode(&p).layers[0];
        assert_eq!(value(l, "ip.hdr_len").and_then(|v| v.as_u64()), Some(u64::from(h.ihl()) * 4));
        assert_eq!(value(l, "ip.len").and_then(|v| v.as_u64()), Some(h.total_len().into()));
        assert_eq!(value(l, "ip.checksum").and_then(|v| v.as_u64()), Some(h.header_checksum().into()));
        assert_eq!(h.to_header().calc_header_checksum(), h.header_checksum());
        assert_eq!(value(l, "ip.checksum.status").and_then(|v| v.as_u64()), Some(1));
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..100), a in 0usize..8, depth in 0u8..2) {
            let mut data = data;
            if let Some(b) = data.get_mut(a) {
                *b = 0x40 | (*b & 0x0f);
            }
            let s = ipv4(&data, a..data.len() + 5, DecodeCtx { depth, ..Default::default() });
            crate::check_ranges(&s, data.len());
        }
    }
}
