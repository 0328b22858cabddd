//! IPv6 (RFC 8200) and its extension headers: Hop-by-Hop Options, Routing, Fragment and
//! Destination Options.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |Version| Traffic Class |           Flow Label                  |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |         Payload Length        |  Next Header  |   Hop Limit   |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                                                               |
//! +                  Source Address (128 bits)                    +
//! |                                                               |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                                                               |
//! +                Destination Address (128 bits)                 +
//! |                                                               |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! <https://www.rfc-editor.org/rfc/rfc8200>. Extension headers follow, chained by their Next
//! Header fields; `ipv6.nxt` is always the fixed header's. Like tshark, the IPv6 layer also
//! carries an `ip.version` field (= 6).

use std::net::Ipv6Addr;
use std::ops::Range;

use netlayers_core::{DecodeCtx, Field, FieldSpec, Handoff, Layer, LayerKind, Note, PseudoHeader, Severity, Step, Value};

use crate::ipproto;
use crate::ipv4::ds_children;
use netlayers_core::window::Window;

mod field {
    use std::ops::Range;
    pub const VERSION: Range<usize> = 0..1;
    pub const TCLASS: Range<usize> = 0..4;
    pub const FLOW: Range<usize> = 1..4;
    pub const PLEN: Range<usize> = 4..6;
    pub const NXT: Range<usize> = 6..7;
    pub const HLIM: Range<usize> = 7..8;
    pub const SRC: Range<usize> = 8..24;
    pub const DST: Range<usize> = 24..40;
    pub const HEADER_LEN: usize = 40;
}

/// Next-header numbers of the extension headers walked here.
pub(crate) mod nh {
    pub const HOPOPTS: u8 = 0;
    pub const ROUTING: u8 = 43;
    pub const FRAGMENT: u8 = 44;
    pub const NO_NEXT: u8 = 59;
    pub const DSTOPTS: u8 = 60;
}

spec!(VERSION, "ipv6.version", "Version", "版本",
    "IP version: 6 here.",
    "IP 协议版本,这里是 6。");
spec!(TCLASS, "ipv6.tclass", "Traffic Class", "流量类别",
    "IPv6's equivalent of the IPv4 DS field: DSCP and ECN.",
    "相当于 IPv4 的区分服务字段:DSCP 和 ECN。");
spec!(TCLASS_DSCP, "ipv6.tclass.dscp", "Differentiated Services Codepoint", "区分服务代码点",
    "Traffic class routers may use to prioritise packets; 0 is ordinary traffic.",
    "路由器可据此区分优先级的流量类别;0 表示普通流量。");
spec!(TCLASS_ECN, "ipv6.tclass.ecn", "Explicit Congestion Notification", "显式拥塞通知",
    "Lets a congested router mark the packet instead of dropping it.",
    "让拥塞的路由器标记数据包,而不是丢弃它。");
spec!(FLOW, "ipv6.flow", "Flow Label", "流标签",
    "20-bit label a sender puts on all packets of one flow, so routers can keep them on the same path without reading the transport header.",
    "发送方给同一个流的所有数据包打上的 20 位标签,路由器不必读取传输层首部就能让它们走同一条路径。");
spec!(PLEN, "ipv6.plen", "Payload Length", "载荷长度",
    "Bytes after the 40-byte fixed header, extension headers included.",
    "40 字节固定首部之后的字节数,包括扩展首部。");
spec!(NXT, "ipv6.nxt", "Next Header", "下一个首部",
    "What follows the fixed header: an extension header (0, 43, 44, 60 …) or the transport (6 TCP, 17 UDP, 58 ICMPv6).",
    "紧跟在固定首部之后的内容:扩展首部(0、43、44、60 等)或传输层协议(6 为 TCP,17 为 UDP,58 为 ICMPv6)。");
spec!(HLIM, "ipv6.hlim", "Hop Limit", "跳数限制",
    "Like IPv4's TTL: each router subtracts 1 and drops the packet at 0. Neighbour discovery uses 255 so a receiver knows the packet did not cross a router.",
    "相当于 IPv4 的 TTL:每个路由器减 1,减到 0 就丢弃。邻居发现使用 255,接收方由此确认数据包没有经过路由器。");
spec!(SRC, "ipv6.src", "Source Address", "源地址",
    "128-bit address of the sender.",
    "发送方的 128 位地址。");
spec!(DST, "ipv6.dst", "Destination Address", "目的地址",
    "128-bit address of the receiver (with a routing header: of the next waypoint).",
    "接收方的 128 位地址(有路由首部时,是下一个途经点的地址)。");
spec!(HOPOPTS, "ipv6.hopopts", "IPv6 Hop-by-Hop Option", "IPv6 逐跳选项首部",
    "Options every router on the path must examine (router alert, jumbo payload). It must come right after the fixed header.",
    "路径上每个路由器都必须检查的选项(路由器告警、超大载荷)。它必须紧跟在固定首部之后。");
spec!(HOPOPTS_NXT, "ipv6.hopopts.nxt", "Next Header", "下一个首部",
    "What follows this extension header.",
    "这个扩展首部之后的内容。");
spec!(HOPOPTS_LEN, "ipv6.hopopts.len", "Length", "长度",
    "Length in 8-byte units, not counting the first 8 bytes.",
    "以 8 字节为单位的长度,不计第一个 8 字节。");
spec!(HOPOPTS_LEN_OCT, "ipv6.hopopts.len_oct", "Length", "长度(字节)",
    "The header's real length in bytes: (Length + 1) × 8.",
    "首部的实际字节数:(长度 + 1) × 8。");
spec!(DSTOPTS, "ipv6.dstopts", "Destination Options for IPv6", "IPv6 目的选项首部",
    "Options only the destination examines.",
    "只由目的节点检查的选项。");
spec!(DSTOPTS_NXT, "ipv6.dstopts.nxt", "Next Header", "下一个首部",
    "What follows this extension header.",
    "这个扩展首部之后的内容。");
spec!(DSTOPTS_LEN, "ipv6.dstopts.len", "Length", "长度",
    "Length in 8-byte units, not counting the first 8 bytes.",
    "以 8 字节为单位的长度,不计第一个 8 字节。");
spec!(DSTOPTS_LEN_OCT, "ipv6.dstopts.len_oct", "Length", "长度(字节)",
    "The header's real length in bytes: (Length + 1) × 8.",
    "首部的实际字节数:(长度 + 1) × 8。");
spec!(OPT, "ipv6.opt", "IPv6 Option", "IPv6 选项",
    "One type-length-value option.",
    "一个类型-长度-值形式的选项。");
spec!(OPT_TYPE, "ipv6.opt.type", "Type", "类型",
    "Option type; its two top bits say what a node that does not know it must do.",
    "选项类型;最高两位规定不认识该选项的节点应如何处理。");
spec!(OPT_TYPE_ACTION, "ipv6.opt.type.action", "Action", "处理动作",
    "0 skip the option, 1 discard the packet, 2 discard and send ICMP, 3 discard and send ICMP unless multicast.",
    "0 跳过该选项,1 丢弃数据包,2 丢弃并发送 ICMP,3 丢弃并在目的地址不是多播时发送 ICMP。");
spec!(OPT_TYPE_CHANGE, "ipv6.opt.type.change", "May Change", "可变",
    "Whether the option's data may change on the way.",
    "选项数据在途中是否可能改变。");
spec!(OPT_TYPE_REST, "ipv6.opt.type.rest", "Low-Order Bits", "低位",
    "The rest of the option type.",
    "选项类型的其余各位。");
spec!(OPT_LENGTH, "ipv6.opt.length", "Length", "长度",
    "Bytes of option data.",
    "选项数据的字节数。");
spec!(OPT_PAD1, "ipv6.opt.pad1", "Pad1", "Pad1 填充",
    "One byte of padding.",
    "一个字节的填充。");
spec!(OPT_PADN, "ipv6.opt.padn", "PadN", "PadN 填充",
    "Padding that keeps the header a multiple of 8 bytes.",
    "让首部长度保持为 8 字节整数倍的填充。");
spec!(OPT_ROUTER_ALERT, "ipv6.opt.router_alert", "Router Alert", "路由器告警",
    "Asks routers to look at the packet: 0 for MLD (multicast listener messages).",
    "要求路由器检查这个数据包:0 表示 MLD(多播监听者消息)。");
spec!(OPT_JUMBO, "ipv6.opt.jumbo", "Payload Length", "超大载荷长度",
    "Payload length of a jumbogram (over 65535 bytes); the fixed header's Payload Length is then 0.",
    "超大报文(超过 65535 字节)的载荷长度;这时固定首部中的载荷长度为 0。");
spec!(OPT_TEL, "ipv6.opt.tel", "Tunnel Encapsulation Limit", "隧道封装限制",
    "How many more levels of tunnel encapsulation are allowed.",
    "还允许多少层隧道封装。");
spec!(OPT_UNKNOWN, "ipv6.opt.unknown", "Unknown Option Payload", "未知选项数据",
    "Data of an option not decoded here.",
    "这里没有解码的选项数据。");
spec!(ROUTING, "ipv6.routing", "Routing Header for IPv6", "IPv6 路由首部",
    "Lists waypoints the packet must visit; the destination address is the next one and is swapped at each waypoint.",
    "列出数据包必须经过的途经点;目的地址是下一个途经点,每到一个途经点就换成下一个。");
spec!(ROUTING_NXT, "ipv6.routing.nxt", "Next Header", "下一个首部",
    "What follows this extension header.",
    "这个扩展首部之后的内容。");
spec!(ROUTING_LEN, "ipv6.routing.len", "Length", "长度",
    "Length in 8-byte units, not counting the first 8 bytes.",
    "以 8 字节为单位的长度,不计第一个 8 字节。");
spec!(ROUTING_LEN_OCT, "ipv6.routing.len_oct", "Length", "长度(字节)",
    "The header's real length in bytes: (Length + 1) × 8.",
    "首部的实际字节数:(长度 + 1) × 8。");
spec!(ROUTING_TYPE, "ipv6.routing.type", "Type", "类型",
    "0 source route (deprecated), 2 Mobile IPv6, 3 RPL, 4 segment routing.",
    "0 为源路由(已废弃),2 为移动 IPv6,3 为 RPL,4 为段路由。");
spec!(ROUTING_SEGLEFT, "ipv6.routing.segleft", "Segments Left", "剩余段数",
    "How many waypoints are still to be visited.",
    "还剩多少个途经点没有经过。");
spec!(ROUTING_SRC_RESERVED, "ipv6.routing.src.reserved", "Reserved", "保留",
    "Unused bytes of a type 0 routing header.",
    "0 型路由首部中未使用的字节。");
spec!(ROUTING_SRC_ADDR, "ipv6.routing.src.addr", "Address", "地址",
    "A waypoint of the source route.",
    "源路由中的一个途经点。");
spec!(ROUTING_MIPV6_RESERVED, "ipv6.routing.mipv6.reserved", "Reserved", "保留",
    "Unused bytes of a type 2 routing header.",
    "2 型路由首部中未使用的字节。");
spec!(ROUTING_MIPV6_HOME_ADDRESS, "ipv6.routing.mipv6.home_address", "Home Address", "家乡地址",
    "Mobile IPv6: the mobile node's home address, the packet's real destination.",
    "移动 IPv6:移动节点的家乡地址,也就是数据包真正的目的地。");
spec!(ROUTING_SRH_LAST_ENTRY, "ipv6.routing.srh.last_entry", "Last Entry", "最后条目",
    "Index of the last entry of the segment list.",
    "段列表中最后一个条目的下标。");
spec!(ROUTING_SRH_FLAGS, "ipv6.routing.srh.flags", "Flags", "标志",
    "Segment routing header flags.",
    "段路由首部的标志。");
spec!(ROUTING_SRH_TAG, "ipv6.routing.srh.tag", "Tag", "标记",
    "Marks packets of a class or group.",
    "标记属于某个类别或分组的数据包。");
spec!(ROUTING_SRH_ADDR, "ipv6.routing.srh.addr", "Address", "地址",
    "A segment of the list, in reverse order: entry 0 is the final segment.",
    "段列表中的一个段,按逆序排列:第 0 个条目是最后一段。");
spec!(ROUTING_DATA, "ipv6.routing.unknown_data", "Type-Specific Data", "类型相关数据",
    "Data of a routing header type not decoded here.",
    "这里没有解码的路由首部类型的数据。");
spec!(FRAGHDR, "ipv6.fraghdr", "Fragment Header for IPv6", "IPv6 分片首部",
    "IPv6 routers never fragment; the sender does, and marks each piece with this header.",
    "IPv6 路由器从不分片;由发送方分片,并用这个首部标记每一片。");
spec!(FRAGHDR_NXT, "ipv6.fraghdr.nxt", "Next header", "下一个首部",
    "The protocol of the reassembled payload.",
    "重组后载荷的协议。");
spec!(FRAGHDR_RESERVED_OCTET, "ipv6.fraghdr.reserved_octet", "Reserved octet", "保留字节",
    "Must be zero.",
    "必须为 0。");
spec!(FRAGHDR_OFFSET, "ipv6.fraghdr.offset", "Offset", "片偏移",
    "Where this fragment's data goes in the original packet, in bytes (the field counts 8-byte units).",
    "这个分片的数据在原数据包中的位置,单位为字节(字段本身以 8 字节为单位)。");
spec!(FRAGHDR_RESERVED_BITS, "ipv6.fraghdr.reserved_bits", "Reserved bits", "保留位",
    "Must be zero.",
    "必须为 0。");
spec!(FRAGHDR_MORE, "ipv6.fraghdr.more", "More Fragments", "更多分片",
    "Set on every fragment but the last.",
    "除最后一片外都置此位。");
spec!(FRAGHDR_IDENT, "ipv6.fraghdr.ident", "Identification", "标识",
    "Shared by all fragments of one packet.",
    "同一个数据包的所有分片共享这个标识。");

/// What the extension headers said, for the hand-off.
struct Walk {
    /// Offset of the first byte after the extension headers.
    end: usize,
    /// The protocol that follows them.
    next: u8,
    /// Byte offset, More flag and identification of a fragment header.
    fragment: Option<(u32, bool, u32)>,
    /// The final destination named by a routing header that still has segments left.
    final_dst: Option<Ipv6Addr>,
    /// Payload length from a jumbo payload option.
    jumbo: Option<u32>,
}

fn option_name(t: u8) -> Option<&'static str> {
    Some(match t {
        0 => "Pad1",
        1 => "PadN",
        4 => "Tunnel Encapsulation Limit",
        5 => "Router Alert",
        7 => "CALIPSO",
        8 => "SMF_DPD",
        15 => "Performance and Diagnostic Metrics",
        38 => "Quick-Start",
        48 => "Path MTU Option",
        49 => "IOAM Option",
        99 => "RPL Option",
        109 => "MPL Option",
        138 => "Endpoint Identification",
        139 => "ILNP Nonce",
        140 => "Line-Identification Option",
        194 => "Jumbo Payload",
        201 => "Home Address",
        238 => "IP_DFF",
        _ => return None,
    })
}

fn routing_type_name(t: u8) -> Option<&'static str> {
    Some(match t {
        0 => "Source Route",
        1 => "Nimrod",
        2 => "Type 2 Routing",
        3 => "RPL Source Route",
        4 => "Segment Routing",
        5 => "Compact Routing Header 16",
        6 => "Compact Routing Header 32",
        253 => "Experiment 1",
        254 => "Experiment 2",
        _ => return None,
    })
}

fn nxt_field(spec: &'static FieldSpec, v: u8, r: Range<usize>) -> Field {
    Field::new(spec, Value::Enum { value: v.into(), name: ipproto::name(v) }, r)
}

/// IPv6 and its extension headers. Hands off the protocol after the last extension header,
/// with the pseudo-header (upper-layer length = payload length − extension headers; the final
/// destination of a routing header) and the fragment offset of a fragment header.
pub fn ipv6(frame: &[u8], at: Range<usize>, _ctx: DecodeCtx) -> Step {
    let w = Window::new(frame, at);
    let mut layer = Layer::new(LayerKind::Network, "ipv6", "IPv6", w.abs(0..field::HEADER_LEN));
    layer.title = "Internet Protocol Version 6".into();
    layer.info = Some(String::new());
    let mut fields = Vec::new();
    let fixed = fixed_header(&w, &mut fields);
    if let Some(src) = w.ipv6(field::SRC.start) {
        layer.title = format!("Internet Protocol Version 6, Src: {src}");
        if let Some(dst) = w.ipv6(field::DST.start) {
            layer.title.push_str(&format!(", Dst: {dst}"));
        }
    }
    let Some((plen, nxt, src, dst)) = fixed else {
        layer.fields = fields;
        if !w.is_empty() {
            layer.info = Some(format!("Invalid IPv6 header ({} bytes, need exactly 40)", w.len()));
        }
        layer.notes.push(Note::truncated("IPv6 header", w.start(), field::HEADER_LEN, w.len()));
        return Step::end(layer);
    };
    let mut names = Vec::new();
    let walk = extension_headers(&w, nxt, &mut fields, &mut layer.notes, &mut names);
    layer.fields = fields;
    // Each extension header's dissector in tshark adds its name to the Info column (with this
    // odd separator); the text stays when nothing after the headers replaces it.
    if !names.is_empty() {
        layer.info = Some(names.join(" , "));
    }
    let Some(walk) = walk else {
        // The layer runs to the end of what was captured of its extension headers.
        layer.range = w.abs(0..w.len());
        layer.notes.push(Note::truncated("IPv6 extension header", w.start(), field::HEADER_LEN, w.len()));
        return Step::end(layer);
    };
    layer.range = w.abs(0..walk.end);
    let total = match (plen, walk.jumbo) {
        (0, Some(j)) => field::HEADER_LEN.saturating_add(j as usize),
        _ => field::HEADER_LEN + usize::from(plen),
    };
    let payload = w.abs(walk.end..total.max(walk.end));
    let upper_len = total.saturating_sub(walk.end);
    let fragment_offset = walk.fragment.map_or(0, |(off, _, _)| off);
    if walk.next == nh::NO_NEXT && fragment_offset == 0 {
        layer.info = Some("IPv6 no next header".into());
        return Step { layers: vec![layer], next: Handoff::End, payload };
    }
    if fragment_offset == 0 && upper_len > 0 {
        // What tshark says when no dissector takes the payload; the layer that decodes it
        // replaces this text with its own.
        layer.info = Some(format!("Unknown IP Protocol: {} ({})", ipproto::name(walk.next).unwrap_or("Unknown"), walk.next));
    }
    let pseudo = PseudoHeader {
        src: src.into(),
        dst: walk.final_dst.unwrap_or(dst).into(),
        protocol: walk.next,
        upper_len,
    };
    Step { layers: vec![layer], next: Handoff::IpProto { proto: walk.next, pseudo, fragment_offset }, payload }
}

/// The fixed header's fields as far as they were captured. Returns (payload length, next
/// header, source, destination) when all 40 bytes were.
fn fixed_header(w: &Window<'_>, out: &mut Vec<Field>) -> Option<(u16, u8, Ipv6Addr, Ipv6Addr)> {
    let b0 = w.u8(0)?;
    let vr = w.abs(field::VERSION);
    out.push(Field::new(&VERSION, Value::UInt((b0 >> 4).into()), vr.clone()).with_mask(0xf0));
    // tshark adds the generic ip.version too, so a filter on it also sees IPv6 packets.
    out.push(
        Field::new(&crate::ipv4::VERSION, Value::UInt((b0 >> 4).into()), vr)
            .with_mask(0xf0)
            .with_display(format!("{} (the same bits, under the name ip.version)", b0 >> 4)),
    );
    let word = w.u32(0)?;
    let tclass = ((word >> 20) & 0xff) as u8;
    let (summary, children) = ds_children(tclass, w.abs(field::TCLASS), 20, [&TCLASS_DSCP, &TCLASS_ECN]);
    out.push(
        Field::new(&TCLASS, Value::Hex { value: tclass.into(), digits: 2 }, w.abs(field::TCLASS))
            .with_mask(0x0ff0_0000)
            .with_display(summary)
            .with_children(children),
    );
    out.push(
        Field::new(&FLOW, Value::Hex { value: (word & 0xf_ffff).into(), digits: 5 }, w.abs(field::FLOW)).with_mask(0x0f_ffff),
    );
    // tshark reads the next header before it shows the payload length.
    let plen = w.u16(field::PLEN.start)?;
    let nxt = w.u8(field::NXT.start)?;
    out.push(Field::new(&PLEN, Value::UInt(plen.into()), w.abs(field::PLEN)));
    out.push(nxt_field(&NXT, nxt, w.abs(field::NXT)));
    let hlim = w.u8(field::HLIM.start)?;
    out.push(Field::new(&HLIM, Value::UInt(hlim.into()), w.abs(field::HLIM)));
    let src = w.ipv6(field::SRC.start)?;
    out.push(Field::new(&SRC, Value::Ipv6(src), w.abs(field::SRC)));
    let dst = w.ipv6(field::DST.start)?;
    out.push(Field::new(&DST, Value::Ipv6(dst), w.abs(field::DST)));
    Some((plen, nxt, src, dst))
}

/// Walks the extension headers after the fixed header, adding one group field per header.
/// Like tshark, a header cut short by the capture shows the fields it has; `None` then ends
/// the packet there.
fn extension_headers(
    w: &Window<'_>,
    first: u8,
    out: &mut Vec<Field>,
    notes: &mut Vec<Note>,
    info: &mut Vec<String>,
) -> Option<Walk> {
    let mut walk = Walk { end: field::HEADER_LEN, next: first, fragment: None, final_dst: None, jumbo: None };
    // Each header is at least 8 bytes, so this ends; the bound only guards hostile input.
    for _ in 0..64 {
        let off = walk.end;
        let h = w.sub(off..w.len());
        match walk.next {
            nh::HOPOPTS | nh::DSTOPTS => {
                let hop = walk.next == nh::HOPOPTS;
                let (group, nxt_s, len_s, oct_s) = if hop {
                    (&HOPOPTS, &HOPOPTS_NXT, &HOPOPTS_LEN, &HOPOPTS_LEN_OCT)
                } else {
                    (&DSTOPTS, &DSTOPTS_NXT, &DSTOPTS_LEN, &DSTOPTS_LEN_OCT)
                };
                info.push(if hop { INFO_HOPOPTS } else { INFO_DSTOPTS }.into());
                // tshark needs the length before it shows the header.
                let (nxt, len) = (h.u8(0)?, h.u8(1)?);
                let total = (usize::from(len) + 1) * 8;
                let body = h.sub(0..total);
                let mut children = vec![
                    nxt_field(nxt_s, nxt, h.abs(0..1)),
                    Field::new(len_s, Value::UInt(len.into()), h.abs(1..2)),
                    Field::generated(oct_s, Value::UInt(total as u64)).with_display(format!("{total} bytes")),
                ];
                options(&body, total, &mut children, &mut walk.jumbo, notes);
                out.push(Field::new(group, Value::None, body.abs(0..total)).with_children(children));
                if body.len() < total {
                    return None;
                }
                walk.end = off + total;
                walk.next = nxt;
            }
            nh::ROUTING => {
                info.push(INFO_ROUTING.into());
                let (nxt, len) = (h.u8(0)?, h.u8(1)?);
                let total = (usize::from(len) + 1) * 8;
                let body = h.sub(0..total);
                out.push(Field::new(&ROUTING, Value::None, body.abs(0..total)).with_children(vec![
                    nxt_field(&ROUTING_NXT, nxt, h.abs(0..1)),
                    Field::new(&ROUTING_LEN, Value::UInt(len.into()), h.abs(1..2)),
                    Field::generated(&ROUTING_LEN_OCT, Value::UInt(total as u64)).with_display(format!("{total} bytes")),
                ]));
                let children = &mut out.last_mut()?.children;
                let rtype = body.u8(2)?;
                children.push(Field::new(&ROUTING_TYPE, Value::Enum { value: rtype.into(), name: routing_type_name(rtype) }, body.abs(2..3)));
                let segleft = body.u8(3)?;
                children.push(Field::new(&ROUTING_SEGLEFT, Value::UInt(segleft.into()), body.abs(3..4)));
                let last = routing_data(&body, rtype, total, children);
                if body.len() < total {
                    return None;
                }
                if segleft > 0 {
                    walk.final_dst = last;
                }
                walk.end = off + total;
                walk.next = nxt;
            }
            nh::FRAGMENT => {
                // tshark reads the whole fragment header before it shows any of it.
                let body = h.sub(0..8);
                let (nxt, res, word, ident) = (body.u8(0)?, body.u8(1)?, body.u16(2)?, body.u32(4)?);
                let r = body.abs(2..4);
                let offset = u32::from(word & 0xfff8);
                let more = word & 1 != 0;
                out.push(Field::new(&FRAGHDR, Value::None, body.abs(0..8)).with_children(vec![
                    nxt_field(&FRAGHDR_NXT, nxt, body.abs(0..1)),
                    Field::new(&FRAGHDR_RESERVED_OCTET, Value::Hex { value: res.into(), digits: 2 }, body.abs(1..2)),
                    Field::new(&FRAGHDR_OFFSET, Value::UInt(offset.into()), r.clone())
                        .with_mask(0xfff8)
                        .with_display(format!("{} ({offset} bytes)", offset / 8)),
                    Field::new(&FRAGHDR_RESERVED_BITS, Value::UInt(((word >> 1) & 3).into()), r.clone()).with_mask(0x0006),
                    Field::new(&FRAGHDR_MORE, Value::Bool(more), r).with_mask(0x0001),
                    Field::new(&FRAGHDR_IDENT, Value::Hex { value: ident.into(), digits: 8 }, body.abs(4..8)),
                ]));
                walk.end = off + 8;
                walk.next = nxt;
                walk.fragment = Some((offset, more, ident));
                info.push(fragment_header_info(offset, more, ident, nxt));
                if offset != 0 {
                    // The rest of a later fragment is the middle of the original payload.
                    return Some(walk);
                }
            }
            _ => return Some(walk),
        }
    }
    notes.push(Note::new(Severity::Warn, "ipv6.ext_headers", "Too many extension headers", "扩展首部过多"));
    Some(walk)
}

// What tshark's extension header dissectors add to the Info column.
const INFO_HOPOPTS: &str = "IPv6 hop-by-hop options";
const INFO_ROUTING: &str = "IPv6 routing";
const INFO_DSTOPTS: &str = "IPv6 destination options";

/// The Info text tshark's fragment header dissector adds.
fn fragment_header_info(offset: u32, more: bool, ident: u32, nxt: u8) -> String {
    format!("IPv6 fragment (off={offset} more={} ident=0x{ident:08x} nxt={nxt})", if more { 'y' } else { 'n' })
}

/// The Info text of an IPv6 layer whose payload is not decoded (a fragment waiting for the
/// others): each extension header's own text, joined as tshark joins them. Read back from the
/// layer's fields, so it holds for a packet whose headers were all captured.
pub(crate) fn extension_info(layer: &Layer) -> String {
    let num = |f: &Field, k: &str| f.children.iter().find(|c| c.key() == k).and_then(|c| c.value.as_u64()).unwrap_or(0);
    let mut names = Vec::new();
    for f in &layer.fields {
        match f.key() {
            "ipv6.hopopts" => names.push(INFO_HOPOPTS.to_string()),
            "ipv6.routing" => names.push(INFO_ROUTING.to_string()),
            "ipv6.dstopts" => names.push(INFO_DSTOPTS.to_string()),
            "ipv6.fraghdr" => names.push(fragment_header_info(
                num(f, "ipv6.fraghdr.offset") as u32,
                num(f, "ipv6.fraghdr.more") != 0,
                num(f, "ipv6.fraghdr.ident") as u32,
                num(f, "ipv6.fraghdr.nxt") as u8,
            )),
            _ => {}
        }
    }
    names.join(" , ")
}

/// The type-length-value options of a Hop-by-Hop or Destination Options header. An option is
/// shown only if all its bytes were captured (tshark's option item needs them all).
fn options(body: &Window<'_>, total: usize, out: &mut Vec<Field>, jumbo: &mut Option<u32>, notes: &mut Vec<Note>) {
    let mut off = 2;
    while off < total {
        let Some(t) = body.u8(off) else { return };
        let tr = body.abs(off..off + 1);
        let type_field = Field::new(&OPT_TYPE, Value::Hex { value: t.into(), digits: 2 }, tr.clone())
            .with_display(format!("{} (0x{t:02x})", option_name(t).unwrap_or("Unknown")))
            .with_children(vec![
                Field::new(&OPT_TYPE_ACTION, Value::UInt((t >> 6).into()), tr.clone()).with_mask(0xc0),
                Field::new(&OPT_TYPE_CHANGE, Value::Bool(t & 0x20 != 0), tr.clone()).with_mask(0x20),
                Field::new(&OPT_TYPE_REST, Value::Hex { value: (t & 0x1f).into(), digits: 2 }, tr.clone()).with_mask(0x1f),
            ]);
        if t == 0 {
            out.push(Field::new(&OPT, Value::None, tr.clone()).with_display("Pad1").with_children(vec![
                type_field,
                Field::new(&OPT_PAD1, Value::None, tr),
            ]));
            off += 1;
            continue;
        }
        let Some(len) = body.u8(off + 1).map(usize::from) else { return };
        if off + 2 + len > total {
            notes.push(Note::new(Severity::Warn, "ipv6.opt.invalid_len", "IPv6 option goes past the end of its header", "IPv6 选项超出了所在首部的末尾"));
            return;
        }
        let data = off + 2..off + 2 + len;
        let Some(value) = body.bytes(data.clone()) else { return };
        let dr = body.abs(data);
        let mut children = vec![type_field, Field::new(&OPT_LENGTH, Value::UInt(len as u64), body.abs(off + 1..off + 2))];
        match (t, value) {
            (1, _) => children.push(Field::new(&OPT_PADN, Value::Bytes(value.to_vec()), dr)),
            (4, &[v]) => children.push(Field::new(&OPT_TEL, Value::UInt(v.into()), dr)),
            (5, &[a, b]) => {
                let v = u16::from_be_bytes([a, b]);
                let what = match v {
                    0 => "MLD",
                    1 => "RSVP",
                    2 => "Active Networks",
                    _ => "Unknown",
                };
                children.push(Field::new(&OPT_ROUTER_ALERT, Value::UInt(v.into()), dr).with_display(format!("{what} ({v})")));
            }
            (194, &[a, b, c, d]) => {
                let v = u32::from_be_bytes([a, b, c, d]);
                *jumbo = Some(v);
                children.push(Field::new(&OPT_JUMBO, Value::UInt(v.into()), dr));
            }
            (_, []) => {}
            _ => children.push(Field::new(&OPT_UNKNOWN, Value::Bytes(value.to_vec()), dr)),
        }
        out.push(
            Field::new(&OPT, Value::None, body.abs(off..off + 2 + len))
                .with_display(option_name(t).unwrap_or("Unknown IPv6 Option"))
                .with_children(children),
        );
        off += 2 + len;
    }
}

/// The type-specific part of a routing header. Returns the final destination it names.
fn routing_data(body: &Window<'_>, rtype: u8, total: usize, out: &mut Vec<Field>) -> Option<Ipv6Addr> {
    match rtype {
        0 => {
            out.push(Field::new(&ROUTING_SRC_RESERVED, Value::Bytes(body.bytes(4..8)?.to_vec()), body.abs(4..8)));
            let mut last = None;
            let mut off = 8;
            while off + 16 <= total {
                let a = body.ipv6(off)?;
                out.push(Field::new(&ROUTING_SRC_ADDR, Value::Ipv6(a), body.abs(off..off + 16)));
                last = Some(a);
                off += 16;
            }
            last
        }
        2 => {
            out.push(Field::new(&ROUTING_MIPV6_RESERVED, Value::Bytes(body.bytes(4..8)?.to_vec()), body.abs(4..8)));
            let a = body.ipv6(8)?;
            out.push(Field::new(&ROUTING_MIPV6_HOME_ADDRESS, Value::Ipv6(a), body.abs(8..24)));
            Some(a)
        }
        4 => {
            let last = body.u8(4)?;
            out.push(Field::new(&ROUTING_SRH_LAST_ENTRY, Value::UInt(last.into()), body.abs(4..5)));
            out.push(Field::new(&ROUTING_SRH_FLAGS, Value::Hex { value: body.u8(5)?.into(), digits: 2 }, body.abs(5..6)));
            out.push(Field::new(&ROUTING_SRH_TAG, Value::Bytes(body.bytes(6..8)?.to_vec()), body.abs(6..8)));
            let mut first = None;
            let mut off = 8;
            for _ in 0..=last {
                if off + 16 > total {
                    break;
                }
                let a = body.ipv6(off)?;
                out.push(Field::new(&ROUTING_SRH_ADDR, Value::Ipv6(a), body.abs(off..off + 16)));
                first.get_or_insert(a);
                off += 16;
            }
            // Segment 0 is the last one visited.
            first
        }
        _ => {
            if total > 4 {
                out.push(Field::new(&ROUTING_DATA, Value::Bytes(body.bytes(4..total)?.to_vec()), body.abs(4..total)));
            }
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC_A: Ipv6Addr = Ipv6Addr::new(0xfd77, 0, 0, 0, 0, 0, 0, 1);
    const DST_A: Ipv6Addr = Ipv6Addr::new(0xfd77, 0, 0, 0, 0, 0, 0, 2);

    /// A fixed header: traffic class 0xb8, flow 0x12345, then `nxt` and the given payload.
    fn packet(nxt: u8, payload: &[u8]) -> Vec<u8> {
        let mut p = vec![
            0x6b, 0x81, 0x23, 0x45, // ipv6.version 6, ipv6.tclass 0xb8, ipv6.flow 0x12345
        ];
        p.extend_from_slice(&(payload.len() as u16).to_be_bytes()); // ipv6.plen
        p.push(nxt); // ipv6.nxt
        p.push(64); // ipv6.hlim
        p.extend_from_slice(&SRC_A.octets()); // ipv6.src
        p.extend_from_slice(&DST_A.octets()); // ipv6.dst
        p.extend_from_slice(payload);
        p
    }

    fn decode(p: &[u8]) -> Step {
        ipv6(p, 0..p.len(), DecodeCtx::default())
    }

    fn value(l: &Layer, key: &str) -> Option<Value> {
        l.find(key).map(|f| f.value.clone())
    }

    #[test]
    fn parse_fixed_header() {
        let p = packet(17, &[0, 1, 0, 2, 0, 8, 0, 0]);
        let s = decode(&p);
        let l = &s.layers[0];
        let got: Vec<_> = l.fields.iter().map(|f| (f.key(), f.range.clone())).collect();
        assert_eq!(
            got,
            vec![
                ("ipv6.version", 0..1),
                ("ip.version", 0..1),
                ("ipv6.tclass", 0..4),
                ("ipv6.flow", 1..4),
                ("ipv6.plen", 4..6),
                ("ipv6.nxt", 6..7),
                ("ipv6.hlim", 7..8),
                ("ipv6.src", 8..24),
                ("ipv6.dst", 24..40)
            ]
        );
        assert_eq!(value(l, "ip.version"), Some(Value::UInt(6)));
        assert_eq!(value(l, "ipv6.tclass").and_then(|v| v.as_u64()), Some(0xb8));
        assert_eq!(value(l, "ipv6.tclass.dscp").and_then(|v| v.as_u64()), Some(46));
        assert_eq!(value(l, "ipv6.flow").and_then(|v| v.as_u64()), Some(0x12345));
        assert_eq!(l.title, "Internet Protocol Version 6, Src: fd77::1, Dst: fd77::2");
        assert_eq!(s.payload, 40..48);
        assert_eq!(
            s.next,
            Handoff::IpProto { proto: 17, pseudo: PseudoHeader { src: SRC_A.into(), dst: DST_A.into(), protocol: 17, upper_len: 8 }, fragment_offset: 0 }
        );
    }

    #[test]
    fn every_too_short_length() {
        let p = packet(58, &[128, 0, 0, 0]);
        let need = [
            ("ipv6.version", 1),
            ("ip.version", 1),
            ("ipv6.tclass", 4),
            ("ipv6.flow", 4),
            ("ipv6.plen", 7),
            ("ipv6.nxt", 7),
            ("ipv6.hlim", 8),
            ("ipv6.src", 24),
            ("ipv6.dst", 40),
        ];
        for n in 0..40 {
            let s = decode(&p[..n]);
            let l = &s.layers[0];
            for (key, at) in need {
                assert_eq!(l.find(key).is_some(), n >= at, "{key} at {n}");
            }
            assert_eq!(s.next, Handoff::End);
            if n > 0 {
                assert_eq!(l.info.clone(), Some(format!("Invalid IPv6 header ({n} bytes, need exactly 40)")));
            }
            crate::check_ranges(&s, n);
        }
    }

    #[test]
    fn extension_headers_are_walked() {
        // Hop-by-hop (router alert + PadN) → destination options → routing (type 0, no
        // addresses) → fragment (offset 0) → UDP.
        let mut ext = vec![60, 0, 5, 2, 0, 0, 1, 0]; // hop-by-hop
        ext.extend_from_slice(&[43, 0, 1, 4, 0, 0, 0, 0]); // destination options: PadN 4
        ext.extend_from_slice(&[44, 0, 0, 0, 0, 0, 0, 0]); // routing type 0
        ext.extend_from_slice(&[17, 0, 0, 0, 0, 0, 0, 5]); // fragment, ident 5
        ext.extend_from_slice(&[0, 1, 0, 2, 0, 8, 0, 0]); // UDP
        let p = packet(0, &ext);
        let s = decode(&p);
        let l = &s.layers[0];
        assert_eq!(value(l, "ipv6.nxt").and_then(|v| v.as_u64()), Some(0), "the fixed header's next header");
        assert_eq!(value(l, "ipv6.opt.router_alert"), Some(Value::UInt(0)));
        assert_eq!(l.find("ipv6.dstopts").map(|f| f.range.clone()), Some(48..56));
        assert_eq!(value(l, "ipv6.routing.type"), Some(Value::Enum { value: 0, name: Some("Source Route") }));
        assert_eq!(value(l, "ipv6.fraghdr.ident").and_then(|v| v.as_u64()), Some(5));
        assert_eq!(l.range, 0..72);
        let Handoff::IpProto { proto, pseudo, fragment_offset } = s.next else { panic!("no hand-off") };
        assert_eq!((proto, pseudo.upper_len, fragment_offset), (17, 8, 0));
        assert_eq!(s.payload, 72..80);
    }

    #[test]
    fn a_later_fragment_is_not_decoded_further() {
        let mut ext = vec![58, 0, 0x04, 0xd0, 0, 0, 0xab, 0xcd]; // offset 154 × 8 = 1232, last
        ext.extend_from_slice(&[0x7a; 16]);
        let s = decode(&packet(44, &ext));
        let l = &s.layers[0];
        assert_eq!(value(l, "ipv6.fraghdr.offset"), Some(Value::UInt(1232)));
        assert_eq!(l.info.as_deref(), Some("IPv6 fragment (off=1232 more=n ident=0x0000abcd nxt=58)"));
        assert!(matches!(s.next, Handoff::IpProto { proto: 58, fragment_offset: 1232, .. }));
        assert_eq!(s.payload, 48..64);
    }

    #[test]
    fn a_routing_header_with_segments_left_names_the_final_destination() {
        let last = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2);
        let mut ext = vec![17, 4, 0, 2, 0, 0, 0, 0];
        ext.extend_from_slice(&Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1).octets());
        ext.extend_from_slice(&last.octets());
        ext.extend_from_slice(&[0, 1, 0, 2, 0, 8, 0, 0]);
        let s = decode(&packet(43, &ext));
        let Handoff::IpProto { pseudo, .. } = s.next else { panic!("no hand-off") };
        assert_eq!(pseudo.dst, last);
        assert_eq!(value(&s.layers[0], "ipv6.dst"), Some(Value::Ipv6(DST_A)), "the header's own address");
    }

    #[test]
    fn truncated_extension_header_ends_the_walk() {
        // Hop-by-hop: router alert, then PadN 10.
        let ext = [17, 1, 5, 2, 0, 0, 1, 10, 0, 0, 0, 0, 0, 0, 0, 0];
        let p = packet(0, &ext);
        for n in 40..p.len() {
            let s = decode(&p[..n]);
            let l = &s.layers[0];
            assert_eq!(s.next, Handoff::End, "{n}");
            assert!(l.find("ipv6.dst").is_some());
            // As in tshark: the header's fields as captured, each option only when whole.
            assert_eq!(l.find("ipv6.hopopts.nxt").is_some(), n >= 42, "{n}");
            assert_eq!(l.find("ipv6.opt.router_alert").is_some(), n >= 46, "{n}");
            assert!(l.find("ipv6.opt.padn").is_none());
            crate::check_ranges(&s, n);
        }
        // A fragment header shows nothing unless all of it was captured.
        let p = packet(44, &[17, 0, 0, 1, 0, 0, 0, 9]);
        assert!(decode(&p[..47]).layers[0].find("ipv6.fraghdr").is_none());
        assert!(decode(&p[..48]).layers[0].find("ipv6.fraghdr.ident").is_some());
    }

    #[test]
    fn no_next_header() {
        let s = decode(&packet(59, &[]));
        assert_eq!(s.next, Handoff::End);
        assert_eq!(s.layers[0].info.as_deref(), Some("IPv6 no next header"));
        let s = decode(&packet(99, b"abcd"));
        assert_eq!(s.layers[0].info.as_deref(), Some("Unknown IP Protocol: any private encryption scheme (99)"));
        // Extension headers name themselves when nothing follows them.
        let s = decode(&packet(0, &[17, 0, 1, 4, 0, 0, 0, 0]));
        assert_eq!(s.layers[0].info.as_deref(), Some("IPv6 hop-by-hop options"));
        let s = decode(&packet(43, &[44, 0, 0, 0, 0, 0, 0, 0, 17, 0, 0, 0, 0, 0, 0, 3]));
        assert_eq!(s.layers[0].info.as_deref(), Some("IPv6 routing , IPv6 fragment (off=0 more=n ident=0x00000003 nxt=17)"));
    }

    #[test]
    fn addresses_print_as_tshark_prints_them() {
        // RFC 5952: the first of two equal zero runs is compressed; mapped IPv4 in mixed form.
        assert_eq!(Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 1, 0, 0).to_string(), "2001:db8:1::1:0:0");
        assert_eq!(Ipv6Addr::new(0x2001, 0xdb8, 0, 0xabcd, 0, 0, 0, 1).to_string(), "2001:db8:0:abcd::1");
        assert_eq!(Ipv6Addr::new(0, 0, 0, 0, 0, 0xffff, 0x0a4d, 2).to_string(), "::ffff:10.77.0.2");
    }

    #[test]
    fn etherparse_walks_the_same_extension_headers() {
        use etherparse::{IpNumber, Ipv6Extensions};
        let mut ext = vec![60, 0, 1, 4, 0, 0, 0, 0];
        ext.extend_from_slice(&[17, 0, 1, 4, 0, 0, 0, 0]);
        ext.extend_from_slice(&[0, 1, 0, 2, 0, 8, 0, 0]);
        let (exts, next, rest) = Ipv6Extensions::from_slice(IpNumber(0), &ext).expect("etherparse reads it");
        let s = decode(&packet(0, &ext));
        let Handoff::IpProto { proto, .. } = s.next else { panic!("no hand-off") };
        assert_eq!(proto, next.0);
        assert_eq!(s.payload.start - 40, ext.len() - rest.len());
        assert!(exts.hop_by_hop_options.is_some() && exts.destination_options.is_some());
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(tail in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..120), nxt in proptest::prelude::any::<u8>(), cut in 0usize..200) {
            let mut p = packet(nxt, &tail);
            p.truncate(cut);
            let s = decode(&p);
            crate::check_ranges(&s, p.len());
        }
    }
}
