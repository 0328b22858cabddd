//! IGMP, versions 1 (RFC 1112), 2 (RFC 2236) and 3 (RFC 3376): how IPv4 hosts tell routers
//! which multicast groups they want.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |      Type     | Max Resp Time |           Checksum            |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                         Group Address                         |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  v3 query: Resv|S|QRV, QQIC, Number of Sources, Sources …     |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! A version 3 report has another layout: reserved, the number of group records, then records
//! (record type, aux data length, number of sources, group address, sources).
//! <https://www.rfc-editor.org/rfc/rfc3376>. The version is not in the packet: like Wireshark,
//! it follows from the type and the message length.

use std::fmt::Write as _;
use std::net::Ipv4Addr;
use std::ops::Range;

use netlayers_core::checksum;
use netlayers_core::{DecodeCtx, Field, Handoff, Layer, LayerKind, Note, Step, Value};

use netlayers_core::window::Window;
use crate::{checksum_field, Verdict};

mod field {
    use std::ops::Range;
    pub const TYPE: Range<usize> = 0..1;
    pub const MAX_RESP: Range<usize> = 1..2;
    pub const CHECKSUM: Range<usize> = 2..4;
    pub const MADDR: Range<usize> = 4..8;
    pub const HEADER_LEN: usize = 8;
}

mod kind {
    pub const QUERY: u8 = 0x11;
    pub const V1_REPORT: u8 = 0x12;
    pub const V2_REPORT: u8 = 0x16;
    pub const V2_LEAVE: u8 = 0x17;
    pub const V3_REPORT: u8 = 0x22;
}

spec!(VERSION, "igmp.version", "IGMP Version", "IGMP 版本",
    "Worked out from the type and the length, as the packet has no version field: 1, 2 or 3.",
    "报文中没有版本字段,而是由类型和长度推断出来的:1、2 或 3。");
spec!(TYPE, "igmp.type", "Type", "类型",
    "0x11 membership query (from a router), 0x16/0x22 membership report (a host joins), 0x17 leave group.",
    "0x11 为成员关系查询(路由器发出),0x16/0x22 为成员关系报告(主机加入),0x17 为离开组。");
spec!(MAX_RESP, "igmp.max_resp", "Max Resp Time", "最大响应时间",
    "In a query: how long hosts may wait before reporting, in tenths of a second; random delays keep them from all answering at once.",
    "在查询中:主机在报告前最多可以等待的时间,单位为 0.1 秒;随机延迟避免所有主机同时应答。");
spec!(MAX_RESP_EXP, "igmp.max_resp.exp", "Exponent", "指数",
    "From 128 on, IGMPv3 encodes the time as mantissa and exponent.",
    "从 128 起,IGMPv3 用尾数和指数表示这个时间。");
spec!(MAX_RESP_MANT, "igmp.max_resp.mant", "Mantissa", "尾数",
    "Mantissa of the encoded time.",
    "编码时间的尾数。");
spec!(RESERVED, "igmp.reserved", "Reserved", "保留",
    "Unused, zero.",
    "未使用,为 0。");
spec!(CHECKSUM, "igmp.checksum", "Checksum", "校验和",
    "Internet checksum of the IGMP message.",
    "IGMP 消息的互联网校验和。");
spec!(CHECKSUM_STATUS, "igmp.checksum.status", "Checksum Status", "校验和状态",
    "Whether the checksum matches the message.",
    "校验和是否与消息相符。");
spec!(MADDR, "igmp.maddr", "Multicast Address", "多播地址",
    "The group concerned; 0.0.0.0 in a general query, which asks about all groups.",
    "所涉及的组;通用查询中为 0.0.0.0,表示询问所有组。");
spec!(S, "igmp.s", "S", "S 位",
    "Suppress router-side processing: other routers should not update their timers on this query.",
    "抑制路由器端处理:其他路由器收到这个查询时不应更新它们的定时器。");
spec!(QRV, "igmp.qrv", "QRV", "QRV",
    "Querier's robustness variable: how many times messages are repeated to survive losses.",
    "查询者健壮性变量:为了抵御丢包,消息要重复发送的次数。");
spec!(QQIC, "igmp.qqic", "QQIC", "QQIC",
    "Querier's query interval code: seconds between general queries.",
    "查询者查询间隔代码:两次通用查询之间的秒数。");
spec!(NUM_SRC, "igmp.num_src", "Num Src", "源数量",
    "How many source addresses follow.",
    "后面有多少个源地址。");
spec!(SADDR, "igmp.saddr", "Source Address", "源地址",
    "A source the query or record is about (source-specific multicast).",
    "查询或记录所涉及的一个源(特定源多播)。");
spec!(NUM_GRP_RECS, "igmp.num_grp_recs", "Num Group Records", "组记录数",
    "How many group records the report carries.",
    "报告中包含多少条组记录。");
spec!(RECORD_TYPE, "igmp.record_type", "Record Type", "记录类型",
    "1-2 the current state (include / exclude), 3-4 a change of mode, 5-6 sources allowed or blocked. \"Exclude nothing\" means join the group for every source.",
    "1-2 为当前状态(包含/排除),3-4 为模式改变,5-6 为允许或阻止某些源。“排除空集”表示对所有源加入该组。");
spec!(AUX_DATA_LEN, "igmp.aux_data_len", "Aux Data Len", "辅助数据长度",
    "Auxiliary data length in 32-bit words.",
    "辅助数据的长度,以 32 位字为单位。");
spec!(AUX_DATA, "igmp.aux_data", "Aux Data", "辅助数据",
    "Auxiliary data of the record.",
    "记录的辅助数据。");

fn type_name(t: u8) -> Option<&'static str> {
    Some(match t {
        0x01 => "Create Group Request",
        0x02 => "Create Group Reply",
        0x03 => "Join Group Request",
        0x04 => "Join Group Reply",
        0x05 => "Leave Group Request",
        0x06 => "Leave Group Reply",
        0x07 => "Confirm Group Request",
        0x08 => "Confirm Group Reply",
        0x11 => "Membership Query",
        0x12 | 0x16 | 0x22 => "Membership Report",
        0x13 => "DVMRP Protocol",
        0x14 => "PIM Routing Message",
        0x17 => "Leave Group",
        0x1e => "Traceroute Response",
        0x1f => "Traceroute Query or Request",
        _ => return None,
    })
}

fn record_type_name(t: u8) -> Option<&'static str> {
    Some(match t {
        1 => "Mode Is Include",
        2 => "Mode Is Exclude",
        3 => "Change To Include Mode",
        4 => "Change To Exclude Mode",
        5 => "Allow New Sources",
        6 => "Block Old Sources",
        _ => return None,
    })
}

/// IGMPv3's code for times of 128 tenths of a second and more (RFC 3376 section 4.1.1).
fn max_resp_tenths(code: u8) -> u32 {
    if code < 128 {
        code.into()
    } else {
        let exp = (code >> 4) & 7;
        let mant = u32::from(code & 0x0f);
        (mant | 0x10) << (exp + 3)
    }
}

fn addr_list(a: &[Ipv4Addr]) -> String {
    a.iter().map(Ipv4Addr::to_string).collect::<Vec<_>>().join(", ")
}

/// IGMP v1, v2 or v3. Nothing follows an IGMP message.
pub fn igmp(frame: &[u8], at: Range<usize>, _ctx: DecodeCtx) -> Step {
    let w = Window::new(frame, at);
    if w.is_empty() {
        // As in tshark, which does not call IGMP for an empty payload: no layer at all.
        return Step { layers: Vec::new(), next: Handoff::End, payload: w.abs(0..0) };
    }
    let mut layer = Layer::new(LayerKind::Network, "igmp", "IGMP", w.abs(0..w.len()));
    layer.title = "Internet Group Management Protocol".into();
    layer.info = Some(String::new());
    let Some(t) = w.u8(0) else {
        layer.notes.push(Note::truncated("IGMP message", w.start(), field::HEADER_LEN, 0));
        return Step::end(layer);
    };
    // A query's version: 3 if the message has room for the v3 fields, else 2 or 1 by the
    // second byte (tshark reads it before showing anything).
    let version: u8 = match t {
        kind::QUERY if w.len() >= 12 => 3,
        kind::QUERY => match w.u8(1) {
            Some(0) => 1,
            Some(_) => 2,
            None => {
                layer.notes.push(Note::truncated("IGMP message", w.start(), field::HEADER_LEN, w.len()));
                return Step::end(layer);
            }
        },
        kind::V1_REPORT => 1,
        kind::V2_REPORT | kind::V2_LEAVE => 2,
        kind::V3_REPORT => 3,
        _ => 0,
    };
    layer.display_name = match version {
        1 => "IGMPv1",
        2 => "IGMPv2",
        3 => "IGMPv3",
        _ => "IGMP",
    };
    let name = type_name(t);
    let mut fields = Vec::new();
    if version != 0 {
        fields.push(Field::generated(&VERSION, Value::UInt(version.into())));
    }
    fields.push(
        Field::new(&TYPE, Value::Enum { value: t.into(), name }, w.abs(field::TYPE))
            .with_display(format!("{} (0x{t:02x})", name.unwrap_or("Unknown"))),
    );
    let mut info = name.unwrap_or("Unknown Type").to_string();
    let complete = match version {
        3 if t == kind::V3_REPORT => report_v3(&w, &mut fields, &mut info),
        0 => Some(()),
        _ => common(&w, version, t, &mut fields, &mut info),
    }
    .is_some();
    layer.fields = fields;
    layer.info = Some(info);
    if !complete {
        layer.notes.push(Note::truncated("IGMP message", w.start(), field::HEADER_LEN, w.len()));
    }
    let end = layer.range.end;
    let next = if version == 0 && w.len() > 1 { Handoff::Data } else { Handoff::End };
    if next == Handoff::Data {
        layer.range = w.abs(0..1);
        return Step { layers: vec![layer], next, payload: w.abs(1..w.len()) };
    }
    Step { layers: vec![layer], next, payload: end..end }
}

fn verdict(w: &Window<'_>) -> Verdict {
    let msg = w.rest(0);
    if checksum::internet(msg) == 0 {
        return Verdict::Good;
    }
    let mut zeroed = msg.to_vec();
    if let Some(c) = zeroed.get_mut(field::CHECKSUM) {
        c.fill(0);
    }
    Verdict::Bad { expected: checksum::internet(&zeroed) }
}

fn checksum_at(w: &Window<'_>, out: &mut Vec<Field>) -> Option<()> {
    let sum = w.u16(field::CHECKSUM.start)?;
    out.push(checksum_field(&CHECKSUM, &CHECKSUM_STATUS, sum, w.abs(field::CHECKSUM), verdict(w)));
    Some(())
}

/// Queries of every version and the v1/v2 reports and leave.
fn common(w: &Window<'_>, version: u8, t: u8, out: &mut Vec<Field>, info: &mut String) -> Option<()> {
    let code = w.u8(1)?;
    if version == 1 {
        out.push(Field::new(&RESERVED, Value::Bytes(vec![code]), w.abs(field::MAX_RESP)));
    } else {
        let tenths = if version == 3 { max_resp_tenths(code) } else { code.into() };
        // The value is the time in tenths of a second (what tshark reports), decoded from
        // IGMPv3's floating-point code when that is 128 or more.
        let mut f = Field::new(&MAX_RESP, Value::UInt(tenths.into()), w.abs(field::MAX_RESP))
            .with_display(format!("{}.{} sec (0x{code:02x})", tenths / 10, tenths % 10));
        if version == 3 && code >= 128 {
            let r = w.abs(field::MAX_RESP);
            f.children = vec![
                Field::new(&MAX_RESP_EXP, Value::Hex { value: ((code >> 4) & 7).into(), digits: 1 }, r.clone()).with_mask(0x70),
                Field::new(&MAX_RESP_MANT, Value::Hex { value: (code & 0x0f).into(), digits: 1 }, r).with_mask(0x0f),
            ];
        }
        out.push(f);
    }
    checksum_at(w, out)?;
    let group = w.ipv4(field::MADDR.start)?;
    out.push(Field::new(&MADDR, Value::Ipv4(group), w.abs(field::MADDR)));
    match (version, t) {
        (1, _) => {}
        (2, _) if group.is_unspecified() => info.push_str(", general"),
        (2, kind::QUERY) => {
            let _ = write!(info, ", specific for group {group}");
        }
        (2, kind::V2_LEAVE) => {
            let _ = write!(info, " {group}");
        }
        (2, _) => {
            let _ = write!(info, " group {group}");
        }
        _ => query_v3(w, group, out, info)?,
    }
    Some(())
}

fn query_v3(w: &Window<'_>, group: Ipv4Addr, out: &mut Vec<Field>, info: &mut String) -> Option<()> {
    let b = w.u8(8)?;
    let r = w.abs(8..9);
    out.push(Field::new(&S, Value::Bool(b & 0x08 != 0), r.clone()).with_mask(0x08));
    out.push(Field::new(&QRV, Value::UInt((b & 0x07).into()), r).with_mask(0x07));
    let qqic = w.u8(9)?;
    out.push(Field::new(&QQIC, Value::UInt(qqic.into()), w.abs(9..10)));
    let n = w.u16(10)?;
    out.push(Field::new(&NUM_SRC, Value::UInt(n.into()), w.abs(10..12)));
    if group.is_unspecified() {
        info.push_str(", general");
    } else {
        let _ = write!(info, ", specific for group {group}");
    }
    let mut sources = Vec::new();
    for i in 0..usize::from(n) {
        let off = 12 + i * 4;
        let a = w.ipv4(off)?;
        out.push(Field::new(&SADDR, Value::Ipv4(a), w.abs(off..off + 4)));
        sources.push(a);
    }
    match sources.len() {
        0 => {}
        1 => {
            let _ = write!(info, ", source {{{}}}", addr_list(&sources));
        }
        _ => {
            let _ = write!(info, ", sources {{{}}}", addr_list(&sources));
        }
    }
    Some(())
}

fn report_v3(w: &Window<'_>, out: &mut Vec<Field>, info: &mut String) -> Option<()> {
    let r1 = w.bytes(1..2)?;
    out.push(Field::new(&RESERVED, Value::Bytes(r1.to_vec()), w.abs(1..2)));
    checksum_at(w, out)?;
    let r2 = w.bytes(4..6)?;
    out.push(Field::new(&RESERVED, Value::Bytes(r2.to_vec()), w.abs(4..6)));
    let n = w.u16(6)?;
    out.push(Field::new(&NUM_GRP_RECS, Value::UInt(n.into()), w.abs(6..8)));
    let mut off = field::HEADER_LEN;
    for _ in 0..n {
        // tshark reads the record's first eight bytes before showing any of them; the sources
        // then appear as far as they were captured.
        let (rt, aux, ns, group) = (w.u8(off)?, usize::from(w.u8(off + 1)?), usize::from(w.u16(off + 2)?), w.ipv4(off + 4)?);
        let rname = record_type_name(rt);
        out.push(
            Field::new(&RECORD_TYPE, Value::Enum { value: rt.into(), name: rname }, w.abs(off..off + 1))
                .with_display(format!("{} ({rt}), group {group}", rname.unwrap_or("Unknown")))
                .with_children(vec![
                    Field::new(&AUX_DATA_LEN, Value::UInt(aux as u64), w.abs(off + 1..off + 2)),
                    Field::new(&NUM_SRC, Value::UInt(ns as u64), w.abs(off + 2..off + 4)),
                    Field::new(&MADDR, Value::Ipv4(group), w.abs(off + 4..off + 8)),
                ]),
        );
        let record = out.last_mut()?;
        let mut sources = Vec::new();
        for i in 0..ns {
            let s = off + 8 + i * 4;
            let a = w.ipv4(s)?;
            record.children.push(Field::new(&SADDR, Value::Ipv4(a), w.abs(s..s + 4)));
            sources.push(a);
        }
        if aux > 0 {
            let s = off + 8 + ns * 4;
            let d = w.bytes(s..s + aux * 4)?;
            record.children.push(Field::new(&AUX_DATA, Value::Bytes(d.to_vec()), w.abs(s..s + aux * 4)));
        }
        info.push_str(&record_info(rt, group, &sources));
        off += 8 + ns * 4 + aux * 4;
    }
    Some(())
}

/// Wireshark's summary of one IGMPv3 group record in the Info column.
fn record_info(rt: u8, group: Ipv4Addr, sources: &[Ipv4Addr]) -> String {
    let list = addr_list(sources);
    let one = sources.len() == 1;
    match (rt, sources.len()) {
        (1 | 3, 0) => format!(" / Leave group {group}"),
        (1 | 3, _) if one => format!(" / Join group {group} for source {{{list}}}"),
        (1 | 3, _) => format!(" / Join group {group} for sources in {{{list}}}"),
        (2 | 4, 0) => format!(" / Join group {group} for any sources"),
        (2 | 4, _) if one => format!(" / Join group {group}, for source not {{{list}}}"),
        (2 | 4, _) => format!(" / Join group {group}, for sources not in {{{list}}}"),
        (5, 0) => format!(" / Group {group}, ALLOW_NEW_SOURCES but no source specified (?)"),
        (5, _) if one => format!(" / Group {group}, new source {{{list}}}"),
        (5, _) => format!(" / Group {group}, new sources {{{list}}}"),
        (6, 0) => format!(" / Group {group}, BLOCK_OLD_SOURCES but no source specified (?)"),
        (6, _) if one => format!(" / Group {group}, block source {{{list}}}"),
        (6, _) => format!(" / Group {group}, block sources {{{list}}}"),
        (_, 0) => format!(" / Group {group}, unknown record type (?)"),
        _ => format!(" / Group {group}, unknown record type (?), sources {{{list}}}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netlayers_core::checksum::internet;

    fn with_checksum(mut m: Vec<u8>) -> Vec<u8> {
        m[2..4].fill(0);
        let c = internet(&m);
        m[2..4].copy_from_slice(&c.to_be_bytes());
        m
    }

    fn decode(m: &[u8]) -> Layer {
        let s = igmp(m, 0..m.len(), DecodeCtx::default());
        s.layers.into_iter().next().expect("a layer")
    }

    fn value(l: &Layer, key: &str) -> Option<Value> {
        l.find(key).map(|f| f.value.clone())
    }

    #[test]
    fn parse_v2_general_query() {
        let m = with_checksum(vec![
            0x11, // igmp.type: membership query
            0x64, // igmp.max_resp: 100 tenths = 10 s (non-zero: version 2)
            0, 0, // igmp.checksum
            0, 0, 0, 0, // igmp.maddr: general query
        ]);
        let l = decode(&m);
        assert_eq!(l.display_name, "IGMPv2");
        assert_eq!(l.info.as_deref(), Some("Membership Query, general"));
        assert_eq!(value(&l, "igmp.version"), Some(Value::UInt(2)));
        assert_eq!(l.find("igmp.max_resp").and_then(|f| f.display.clone()).as_deref(), Some("10.0 sec (0x64)"));
        assert_eq!(value(&l, "igmp.checksum.status").and_then(|v| v.as_u64()), Some(1));
        assert_eq!(l.find("igmp.maddr").map(|f| f.range.clone()), Some(4..8));
    }

    #[test]
    fn versions_from_type_and_length() {
        let v1q = with_checksum(vec![0x11, 0, 0, 0, 0, 0, 0, 0]);
        let l = decode(&v1q);
        assert_eq!((l.display_name, l.info.as_deref()), ("IGMPv1", Some("Membership Query")));
        assert!(l.find("igmp.reserved").is_some() && l.find("igmp.max_resp").is_none());
        let v2r = with_checksum(vec![0x16, 0, 0, 0, 239, 1, 2, 3]);
        assert_eq!(decode(&v2r).info.as_deref(), Some("Membership Report group 239.1.2.3"));
        let leave = with_checksum(vec![0x17, 0, 0, 0, 239, 1, 2, 3]);
        assert_eq!(decode(&leave).info.as_deref(), Some("Leave Group 239.1.2.3"));
        let v1r = with_checksum(vec![0x12, 0, 0, 0, 239, 1, 2, 3]);
        assert_eq!(decode(&v1r).info.as_deref(), Some("Membership Report"));
    }

    #[test]
    fn v3_query_with_a_source() {
        let m = with_checksum(vec![0x11, 0x8a, 0, 0, 239, 1, 2, 3, 0x0a, 144, 0, 1, 10, 0, 0, 7]);
        let l = decode(&m);
        assert_eq!(l.display_name, "IGMPv3");
        assert_eq!(l.info.as_deref(), Some("Membership Query, specific for group 239.1.2.3, source {10.0.0.7}"));
        assert_eq!(l.find("igmp.max_resp").and_then(|f| f.display.clone()).as_deref(), Some("20.8 sec (0x8a)"));
        assert_eq!(value(&l, "igmp.max_resp"), Some(Value::UInt(208)));
        assert_eq!(value(&l, "igmp.s"), Some(Value::Bool(true)));
        assert_eq!(value(&l, "igmp.qrv"), Some(Value::UInt(2)));
        assert_eq!(value(&l, "igmp.saddr"), Some(Value::Ipv4(Ipv4Addr::new(10, 0, 0, 7))));
    }

    #[test]
    fn v3_report_records() {
        let mut m = vec![0x22, 0, 0, 0, 0, 0, 0, 2];
        m.extend_from_slice(&[4, 0, 0, 0, 239, 1, 2, 3]);
        m.extend_from_slice(&[1, 0, 0, 2, 239, 9, 9, 9, 10, 0, 0, 5, 10, 0, 0, 6]);
        let l = decode(&with_checksum(m));
        assert_eq!(
            l.info.as_deref(),
            Some("Membership Report / Join group 239.1.2.3 for any sources / Join group 239.9.9.9 for sources in {10.0.0.5, 10.0.0.6}")
        );
        let cases: [(u8, &[Ipv4Addr], &str); 6] = [
            (1, &[], " / Leave group 239.1.2.3"),
            (3, &[Ipv4Addr::new(10, 0, 0, 5)], " / Join group 239.1.2.3 for source {10.0.0.5}"),
            (2, &[Ipv4Addr::new(10, 0, 0, 5)], " / Join group 239.1.2.3, for source not {10.0.0.5}"),
            (5, &[Ipv4Addr::new(10, 0, 0, 5), Ipv4Addr::new(10, 0, 0, 6)], " / Group 239.1.2.3, new sources {10.0.0.5, 10.0.0.6}"),
            (6, &[], " / Group 239.1.2.3, BLOCK_OLD_SOURCES but no source specified (?)"),
            (9, &[Ipv4Addr::new(10, 0, 0, 5)], " / Group 239.1.2.3, unknown record type (?), sources {10.0.0.5}"),
        ];
        for (rt, sources, text) in cases {
            assert_eq!(record_info(rt, Ipv4Addr::new(239, 1, 2, 3), sources), text);
        }
        let recs: Vec<_> = l.fields.iter().filter(|f| f.key() == "igmp.record_type").collect();
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[1].children.iter().filter(|c| c.key() == "igmp.saddr").count(), 2);
        assert_eq!(recs[1].range, 16..17);
    }

    #[test]
    fn bad_checksum() {
        let mut m = with_checksum(vec![0x16, 0, 0, 0, 239, 1, 2, 3]);
        m[3] ^= 1;
        let l = decode(&m);
        assert_eq!(value(&l, "igmp.checksum.status").and_then(|v| v.as_u64()), Some(0));
    }

    #[test]
    fn every_too_short_length() {
        let m = with_checksum(vec![0x16, 0, 0, 0, 239, 1, 2, 3]);
        let need = [("igmp.type", 1), ("igmp.max_resp", 2), ("igmp.checksum", 4), ("igmp.maddr", 8)];
        assert!(igmp(&m, 0..0, DecodeCtx::default()).layers.is_empty());
        for n in 1..8 {
            let l = decode(&m[..n]);
            for (key, at) in need {
                assert_eq!(l.find(key).is_some(), n >= at, "{key} at {n}");
            }
            crate::check_ranges(&igmp(&m[..n], 0..n, DecodeCtx::default()), n);
        }
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..80), t in proptest::sample::select(vec![0x11u8, 0x12, 0x16, 0x17, 0x22, 0x13, 0])) {
            let mut data = data;
            if let Some(b) = data.first_mut() {
                *b = t;
            }
            let s = igmp(&data, 0..data.len(), DecodeCtx::default());
            crate::check_ranges(&s, data.len());
        }
    }
}
