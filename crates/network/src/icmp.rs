//! ICMP for IPv4 (RFC 792; RFC 1191 for "fragmentation needed"; RFC 4884 for the length of the
//! quoted datagram).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     Type      |     Code      |          Checksum             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |   Identifier / unused / MTU / pointer / gateway (by type)     |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |   Echo data, or the IP header + first bytes of the datagram   |
//! |   that caused an error                                        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! <https://www.rfc-editor.org/rfc/rfc792>. Errors hand off the quoted packet (`Handoff::Quoted`),
//! which the stack decodes one level deeper.

use std::ops::Range;

use netlayers_core::checksum;
use netlayers_core::{DecodeCtx, Field, Handoff, Layer, LayerKind, Note, Step, Value};

use netlayers_core::window::Window;
use netlayers_core::text::{push_decimal, push_hex4};
use crate::{checksum_field, Verdict};

mod field {
    use std::ops::Range;
    pub const TYPE: Range<usize> = 0..1;
    pub const CODE: Range<usize> = 1..2;
    pub const CHECKSUM: Range<usize> = 2..4;
    pub const IDENT: Range<usize> = 4..6;
    pub const SEQ: Range<usize> = 6..8;
    /// RFC 4884: length of the quoted datagram in 32-bit words (errors only).
    pub const LENGTH: usize = 5;
    pub const HEADER_LEN: usize = 8;
}

mod kind {
    pub const ECHO_REPLY: u8 = 0;
    pub const UNREACH: u8 = 3;
    pub const SOURCE_QUENCH: u8 = 4;
    pub const REDIRECT: u8 = 5;
    pub const ALT_HOST: u8 = 6;
    pub const ECHO: u8 = 8;
    pub const ROUTER_ADVERT: u8 = 9;
    pub const TIME_EXCEEDED: u8 = 11;
    pub const PARAM_PROBLEM: u8 = 12;
    pub const TIMESTAMP: u8 = 13;
    pub const TIMESTAMP_REPLY: u8 = 14;
    pub const INFO_REQUEST: u8 = 15;
    pub const INFO_REPLY: u8 = 16;
    pub const MASK_REQUEST: u8 = 17;
    pub const MASK_REPLY: u8 = 18;
    pub const PHOTURIS: u8 = 40;
    pub const EXT_ECHO: u8 = 42;
    pub const EXT_ECHO_REPLY: u8 = 43;
}

/// Code 4 of "destination unreachable": the datagram needed fragmenting but had DF set.
const FRAG_NEEDED: u8 = 4;

spec!(TYPE, "icmp.type", "Type", "类型",
    "What the message is: 8 echo request and 0 echo reply (ping), 3 destination unreachable, 11 time exceeded (traceroute), 5 redirect.",
    "消息的种类:8 为回显请求、0 为回显应答(ping),3 为目的不可达,11 为超时(traceroute),5 为重定向。");
spec!(CODE, "icmp.code", "Code", "代码",
    "Detail within the type: for destination unreachable, 1 host, 3 port, 4 fragmentation needed.",
    "类型下的细分:对于目的不可达,1 表示主机不可达,3 表示端口不可达,4 表示需要分片。");
spec!(CHECKSUM, "icmp.checksum", "Checksum", "校验和",
    "Internet checksum of the whole ICMP message (no pseudo-header, unlike TCP and UDP).",
    "整个 ICMP 消息的互联网校验和(与 TCP、UDP 不同,不含伪首部)。");
spec!(CHECKSUM_STATUS, "icmp.checksum.status", "Checksum Status", "校验和状态",
    "Whether the checksum matches the message. Not checked for a message quoted inside an error or cut short by the capture.",
    "校验和是否与消息相符。对于被引用在差错报文中或被截断的消息不做检查。");
spec!(IDENT, "icmp.ident", "Identifier (BE)", "标识符(大端)",
    "Chosen by the pinging program (Linux uses a per-socket number) so replies find their way back to it; read big-endian.",
    "由 ping 程序选定(Linux 为每个套接字分配一个编号),让应答能回到它那里;按大端序读取。");
spec!(IDENT_LE, "icmp.ident_le", "Identifier (LE)", "标识符(小端)",
    "The same two bytes read little-endian, as Windows writes them.",
    "同样的两个字节按小端序读取,Windows 就是这样写入的。");
spec!(SEQ, "icmp.seq", "Sequence Number (BE)", "序号(大端)",
    "Counts the requests (1, 2, 3 …) so each reply matches its request and losses show; read big-endian.",
    "为请求计数(1、2、3 …),让每个应答对应到它的请求,也能看出丢包;按大端序读取。");
spec!(SEQ_LE, "icmp.seq_le", "Sequence Number (LE)", "序号(小端)",
    "The same two bytes read little-endian.",
    "同样的两个字节按小端序读取。");
spec!(UNUSED, "icmp.unused", "Unused", "未使用",
    "Bytes the message type does not use; they must be zero.",
    "该消息类型不使用的字节,必须为 0。");
spec!(LENGTH, "icmp.length", "Length", "长度",
    "RFC 4884: length of the quoted datagram in 32-bit words, when extensions follow it.",
    "RFC 4884:被引用数据报的长度(以 32 位字为单位),用于其后还有扩展的情况。");
spec!(LENGTH_ORIGINAL_DATAGRAM, "icmp.length.original_datagram", "Length of original datagram", "原始数据报长度",
    "The same length in bytes.",
    "同一个长度,以字节为单位。");
spec!(MTU, "icmp.mtu", "MTU of next hop", "下一跳 MTU",
    "Largest packet the next link can carry: the sender should send smaller packets (path MTU discovery).",
    "下一条链路能承载的最大数据包:发送方应改发更小的数据包(路径 MTU 发现)。");
spec!(POINTER, "icmp.pointer", "Pointer", "指针",
    "Byte of the quoted header where the problem was found.",
    "在被引用首部中发现问题的字节位置。");
spec!(REDIR_GW, "icmp.redir_gw", "Gateway Address", "网关地址",
    "The better first-hop router the host should use for this destination.",
    "主机发往该目的地时应改用的更合适的第一跳路由器。");
spec!(NUM_ADDRS, "icmp.num_addrs", "Number of addresses", "地址数",
    "How many router addresses the advertisement lists.",
    "通告中列出的路由器地址个数。");
spec!(ADDR_ENTRY_SIZE, "icmp.addr_entry_size", "Address entry size", "地址条目大小",
    "Size of each entry in 32-bit words (2: address and preference).",
    "每个条目的大小,以 32 位字为单位(2 表示地址加优先级)。");
spec!(LIFETIME, "icmp.lifetime", "Lifetime", "生存期",
    "Seconds the advertised addresses stay valid.",
    "通告的地址保持有效的秒数。");
spec!(ROUTER_ADDRESS, "icmp.router_address", "Router address", "路由器地址",
    "A router the host may use as its default gateway.",
    "主机可以用作默认网关的一个路由器。");
spec!(PREF_LEVEL, "icmp.pref_level", "Preference level", "优先级",
    "Higher is preferred when choosing among routers.",
    "在多个路由器之间选择时,数值越大越优先。");
spec!(ORIGINATE_TIMESTAMP, "icmp.originate_timestamp", "Originate Timestamp", "发起时间戳",
    "When the request was sent, in milliseconds since midnight UTC.",
    "请求发出的时间,自 UTC 午夜起的毫秒数。");
spec!(RECEIVE_TIMESTAMP, "icmp.receive_timestamp", "Receive Timestamp", "接收时间戳",
    "When the replier received the request.",
    "应答方收到请求的时间。");
spec!(TRANSMIT_TIMESTAMP, "icmp.transmit_timestamp", "Transmit Timestamp", "发送时间戳",
    "When the replier sent the reply.",
    "应答方发出应答的时间。");
spec!(ADDRESS_MASK, "icmp.address_mask", "Address Mask", "地址掩码",
    "The subnet mask (obsolete address mask request/reply).",
    "子网掩码(已废弃的地址掩码请求/应答)。");

/// Type names as Wireshark prints them.
pub(crate) fn type_name(t: u8) -> Option<&'static str> {
    Some(match t {
        0 => "Echo (ping) reply",
        1 | 2 => "Reserved",
        3 => "Destination unreachable",
        4 => "Source quench (flow control)",
        5 => "Redirect",
        6 => "Alternate host address",
        8 => "Echo (ping) request",
        9 => "Router advertisement",
        10 => "Router solicitation",
        11 => "Time-to-live exceeded",
        12 => "Parameter problem",
        13 => "Timestamp request",
        14 => "Timestamp reply",
        15 => "Information request",
        16 => "Information reply",
        17 => "Address mask request",
        18 => "Address mask reply",
        19 => "Reserved (for security)",
        30 => "Traceroute",
        31 => "Datagram Conversion Error",
        32 => "Mobile Host Redirect",
        33 => "IPv6 Where-Are-You",
        34 => "IPv6 I-Am-Here",
        35 => "Mobile Registration Request",
        36 => "Mobile Registration Reply",
        37 => "Domain Name Request",
        38 => "Domain Name Reply",
        39 => "SKIP",
        40 => "Photuris",
        41 => "Experimental mobility protocols",
        42 => "Extended Echo request",
        43 => "Extended Echo reply",
        _ => return None,
    })
}

/// Code names for the types that have them; `Err` for a code the type does not define.
fn code_name(t: u8, c: u8) -> Option<Result<&'static str, ()>> {
    let table: &[&str] = match t {
        kind::UNREACH => &[
            "Network unreachable",
            "Host unreachable",
            "Protocol unreachable",
            "Port unreachable",
            "Fragmentation needed",
            "Source route failed",
            "Destination network unknown",
            "Destination host unknown",
            "Source host isolated",
            "Network administratively prohibited",
            "Host administratively prohibited",
            "Network unreachable for TOS",
            "Host unreachable for TOS",
            "Communication administratively filtered",
            "Host precedence violation",
            "Precedence cutoff in effect",
        ],
        kind::REDIRECT => &[
            "Redirect for network",
            "Redirect for host",
            "Redirect for TOS and network",
            "Redirect for TOS and host",
        ],
        kind::ALT_HOST => &["Alternate address for host"],
        kind::ROUTER_ADVERT => {
            return Some(match c {
                0 => Ok("Normal router advertisement"),
                16 => Ok("Does not route common traffic"),
                _ => Err(()),
            })
        }
        kind::TIME_EXCEEDED => &["Time to live exceeded in transit", "Fragment reassembly time exceeded"],
        kind::PARAM_PROBLEM => &["Pointer indicates the error", "Required option missing", "Bad length"],
        kind::PHOTURIS => &[
            "Bad SPI",
            "Authentication Failed",
            "Decompression Failed",
            "Decryption Failed",
            "Need Authentication",
            "Need Authorization",
        ],
        kind::EXT_ECHO => &["No error"],
        kind::EXT_ECHO_REPLY => &[
            "No error",
            "Malformed Query",
            "No Such Interface",
            "No Such Table Entry",
            "Multiple Interfaces Satisfy Query",
        ],
        _ => return None,
    };
    Some(table.get(usize::from(c)).copied().ok_or(()))
}

/// What ICMP needs from the IPv4 header that carried it.
struct Carrier {
    ttl: u8,
    /// The first fragment of a larger datagram: the checksum covers bytes not in this frame.
    more_fragments: bool,
    /// Bytes of ICMP the header promises.
    icmp_len: usize,
}

/// The IPv4 header that ends exactly where this ICMP message starts.
///
/// The stack hands ICMP only its own bytes, but Wireshark's Info text shows the TTL of the
/// carrying packet and its checksum check must know whether the message is whole. A header
/// is accepted only if it provably carried the message: version 4, a header length ending here,
/// protocol 1, not a later fragment; if several candidates fit, only one whose own checksum
/// verifies is trusted.
fn carrier(frame: &[u8], start: usize) -> Option<Carrier> {
    let mut found = Vec::new();
    for words in 5..=15usize {
        let Some(s) = start.checked_sub(words * 4) else { break };
        let Some(h) = frame.get(s..start) else { continue };
        if h[0] != 0x40 | words as u8 || h[9] != 1 || u16::from_be_bytes([h[6], h[7]]) & 0x1fff != 0 {
            continue;
        }
        let total = match usize::from(u16::from_be_bytes([h[2], h[3]])) {
            // A zero length is taken for segmentation offload, as the IPv4 decoder does.
            0 => frame.len() - s,
            n => n,
        };
        if total < h.len() {
            continue;
        }
        found.push((h, total));
    }
    let (h, total) = match found.len() {
        0 => return None,
        1 => found[0],
        _ => {
            let mut good = found.into_iter().filter(|(h, _)| checksum::internet(h) == 0);
            let one = good.next()?;
            if good.next().is_some() {
                return None;
            }
            one
        }
    };
    Some(Carrier { ttl: h[8], more_fragments: h[6] & 0x20 != 0, icmp_len: total - h.len() })
}

/// ICMP. Echo data is handed on as data; an error message hands off the packet it quotes
/// (`Handoff::Quoted`, payload = the quoted bytes). Like tshark, no field appears unless the
/// first six bytes were captured.
pub fn icmp(frame: &[u8], at: Range<usize>, ctx: DecodeCtx) -> Step {
    let w = Window::new(frame, at);
    let carrier = match ctx.reassembled_ttl {
        // A reassembled message is whole, and no header precedes it in the bytes.
        Some(ttl) => Some(Carrier { ttl, more_fragments: false, icmp_len: w.len() }),
        None => carrier(frame, w.start()),
    };
    if w.is_empty() && carrier.as_ref().is_none_or(|c| c.icmp_len == 0) {
        // tshark does not call ICMP for an empty payload (only for one the capture cut off):
        // no layer at all.
        return Step { layers: Vec::new(), next: Handoff::End, payload: w.abs(0..0) };
    }
    let mut layer = Layer::new(LayerKind::Network, "icmp", "ICMP", w.abs(0..w.len()));
    layer.title = "Internet Control Message Protocol".into();
    layer.info = Some(String::new());
    // tshark reads byte 5 (the RFC 4884 length) before it adds any field.
    if w.len() <= field::LENGTH {
        layer.notes.push(Note::truncated("ICMP header", w.start(), field::HEADER_LEN, w.len()));
        return Step::end(layer);
    }
    let (Some(t), Some(code), Some(orig_words)) = (w.u8(0), w.u8(1), w.u8(field::LENGTH)) else {
        return Step::end(layer);
    };
    let type_str = type_name(t).unwrap_or("Unknown ICMP (obsolete or malformed?)");
    let type_str = match (t, code) {
        (kind::ROUTER_ADVERT, 0 | 16) => "Mobile IP Advertisement",
        _ => type_str,
    };
    // `Echo (ping) request  id=0x…` and `0 (Port unreachable)`: the code's name when the type
    // has a table, `Unknown code: n` for a code outside it.
    let push_code_name = |out: &mut String, name: Result<&str, ()>| match name {
        Ok(name) => out.push_str(name),
        Err(()) => {
            out.push_str("Unknown code: ");
            push_decimal(out, code);
        }
    };
    let mut info = String::with_capacity(96);
    info.push_str(type_str);
    // `{type_str:<20}`: padded to 20 characters.
    for _ in type_str.chars().count()..20 {
        info.push(' ');
    }
    let mut code_display = String::with_capacity(40);
    push_decimal(&mut code_display, code);
    if let Some(name) = code_name(t, code) {
        info.push_str(" (");
        push_code_name(&mut info, name);
        info.push(')');
        code_display.push_str(" (");
        push_code_name(&mut code_display, name);
        code_display.push(')');
    }

    let mut fields = Vec::with_capacity(8);
    fields.extend([
        Field::new(&TYPE, Value::Enum { value: t.into(), name: Some(type_str) }, w.abs(field::TYPE)),
        Field::new(&CODE, Value::UInt(code.into()), w.abs(field::CODE)).with_display(code_display),
    ]);
    let complete = body(&w, t, code, orig_words, ctx, carrier.as_ref(), &mut fields, &mut info).is_some();
    layer.fields = fields;
    layer.info = Some(info);
    if !complete {
        layer.notes.push(Note::truncated("ICMP header", w.start(), field::HEADER_LEN, w.len()));
        return Step::end(layer);
    }

    let rest = w.abs(field::HEADER_LEN..w.len());
    match t {
        kind::UNREACH | kind::TIME_EXCEEDED | kind::PARAM_PROBLEM | kind::SOURCE_QUENCH | kind::REDIRECT => {
            layer.range = w.abs(0..field::HEADER_LEN);
            let quoted = w.sub(field::HEADER_LEN..w.len());
            let limit = quoted_len(&quoted, t, orig_words, w.len());
            let payload = quoted.abs(0..limit.unwrap_or(quoted.len()));
            let next = if payload.is_empty() { Handoff::End } else { Handoff::Quoted };
            Step { layers: vec![layer], next, payload }
        }
        kind::ECHO | kind::ECHO_REPLY => {
            layer.range = w.abs(0..field::HEADER_LEN);
            Step { layers: vec![layer], next: Handoff::Data, payload: rest }
        }
        _ => {
            let used = trailer(&w, t, &mut layer.fields);
            layer.range = w.abs(0..used);
            Step { layers: vec![layer], next: Handoff::Data, payload: w.abs(used..w.len()) }
        }
    }
}

/// Checksum and the second four bytes, by type, each field as far as it was captured.
#[allow(clippy::too_many_arguments)]
fn body(
    w: &Window<'_>,
    t: u8,
    code: u8,
    orig_words: u8,
    ctx: DecodeCtx,
    carrier: Option<&Carrier>,
    out: &mut Vec<Field>,
    info: &mut String,
) -> Option<()> {
    let sum = w.u16(field::CHECKSUM.start)?;
    out.push(checksum_field(&CHECKSUM, &CHECKSUM_STATUS, sum, w.abs(field::CHECKSUM), verdict(w, ctx, carrier)));
    let orig_words = if t == kind::ALT_HOST { 0 } else { orig_words };
    match t {
        kind::ECHO_REPLY | kind::ECHO | kind::TIMESTAMP | kind::TIMESTAMP_REPLY | kind::INFO_REQUEST | kind::INFO_REPLY
        | kind::MASK_REQUEST | kind::MASK_REPLY => {
            let id = w.u16(field::IDENT.start)?;
            out.push(Field::new(&IDENT, Value::UInt(id.into()), w.abs(field::IDENT)).with_display(decimal_and_hex(id)));
            let id_le = id.swap_bytes();
            out.push(Field::new(&IDENT_LE, Value::UInt(id_le.into()), w.abs(field::IDENT)).with_display(decimal_and_hex(id_le)));
            let seq = w.u16(field::SEQ.start)?;
            out.push(Field::new(&SEQ, Value::UInt(seq.into()), w.abs(field::SEQ)).with_display(decimal_and_hex(seq)));
            let seq_le = seq.swap_bytes();
            out.push(Field::new(&SEQ_LE, Value::UInt(seq_le.into()), w.abs(field::SEQ)).with_display(decimal_and_hex(seq_le)));
            // ` id=0x0001, seq=1/256, ttl=64`
            info.push_str(" id=0x");
            push_hex4(info, id);
            info.push_str(", seq=");
            push_decimal(info, seq);
            info.push('/');
            push_decimal(info, seq_le);
            if let Some(c) = carrier {
                info.push_str(", ttl=");
                push_decimal(info, c.ttl);
            }
        }
        kind::UNREACH | kind::TIME_EXCEEDED => {
            if orig_words > 0 {
                length_fields(w, orig_words, out)?;
                if t == kind::UNREACH && code == FRAG_NEEDED {
                    mtu(w, out)?;
                } else {
                    unused(w, 6..8, out)?;
                }
            } else if t == kind::UNREACH && code == FRAG_NEEDED {
                unused(w, 4..6, out)?;
                mtu(w, out)?;
            } else {
                unused(w, 4..8, out)?;
            }
        }
        kind::PARAM_PROBLEM => {
            let p = w.u8(4)?;
            out.push(Field::new(&POINTER, Value::UInt(p.into()), w.abs(4..5)));
            if orig_words > 0 {
                let f = length_fields_only(w, orig_words)?;
                out.extend(f);
                unused(w, 6..8, out)?;
            } else {
                unused(w, 5..8, out)?;
            }
        }
        kind::REDIRECT => {
            let gw = w.ipv4(4)?;
            out.push(Field::new(&REDIR_GW, Value::Ipv4(gw), w.abs(4..8)));
        }
        kind::ROUTER_ADVERT => {
            let n = w.u8(4)?;
            out.push(Field::new(&NUM_ADDRS, Value::UInt(n.into()), w.abs(4..5)));
            let size = w.u8(5)?;
            out.push(Field::new(&ADDR_ENTRY_SIZE, Value::UInt(size.into()), w.abs(5..6)));
            let life = w.u16(6)?;
            out.push(Field::new(&LIFETIME, Value::UInt(life.into()), w.abs(6..8)));
        }
        kind::EXT_ECHO | kind::EXT_ECHO_REPLY => {
            let id = w.u16(field::IDENT.start)?;
            out.push(Field::new(&IDENT, Value::UInt(id.into()), w.abs(field::IDENT)));
            out.push(Field::new(&IDENT_LE, Value::UInt(id.swap_bytes().into()), w.abs(field::IDENT)));
            w.u16(field::SEQ.start)?;
        }
        _ => {
            w.bytes(4..field::HEADER_LEN)?;
        }
    }
    Some(())
}

/// `258 (0x0102)`: an identifier or sequence number in decimal and hex.
fn decimal_and_hex(v: u16) -> String {
    let mut s = String::with_capacity(14);
    push_decimal(&mut s, v);
    s.push_str(" (0x");
    push_hex4(&mut s, v);
    s.push(')');
    s
}

fn length_fields_only(w: &Window<'_>, orig_words: u8) -> Option<Vec<Field>> {
    let r = w.abs(field::LENGTH..field::LENGTH + 1);
    w.u8(field::LENGTH)?;
    Some(vec![
        Field::new(&LENGTH, Value::UInt(orig_words.into()), r).with_children(vec![Field::generated(
            &LENGTH_ORIGINAL_DATAGRAM,
            Value::UInt(u64::from(orig_words) * 4),
        )]),
    ])
}

fn length_fields(w: &Window<'_>, orig_words: u8, out: &mut Vec<Field>) -> Option<()> {
    unused(w, 4..5, out)?;
    out.extend(length_fields_only(w, orig_words)?);
    Some(())
}

fn unused(w: &Window<'_>, r: Range<usize>, out: &mut Vec<Field>) -> Option<()> {
    let b = w.bytes(r.clone())?;
    out.push(Field::new(&UNUSED, Value::Bytes(b.to_vec()), w.abs(r)));
    Some(())
}

fn mtu(w: &Window<'_>, out: &mut Vec<Field>) -> Option<()> {
    let m = w.u16(6)?;
    out.push(Field::new(&MTU, Value::UInt(m.into()), w.abs(6..8)));
    Some(())
}

/// Wireshark checks the checksum only of a whole message: not quoted in an error, not the
/// first fragment of a larger datagram, all its bytes captured.
fn verdict(w: &Window<'_>, ctx: DecodeCtx, carrier: Option<&Carrier>) -> Verdict {
    if ctx.quoted() || carrier.is_some_and(|c| c.more_fragments) {
        return Verdict::Unverified;
    }
    let len = carrier.map_or(w.len(), |c| c.icmp_len);
    let Some(msg) = w.bytes(0..len) else { return Verdict::Unverified };
    if checksum::internet(msg) == 0 {
        return Verdict::Good;
    }
    let mut zeroed = msg.to_vec();
    match zeroed.get_mut(field::CHECKSUM) {
        Some(c) => c.fill(0),
        // A length that does not even cover the checksum field: nothing to check.
        None => return Verdict::Unverified,
    }
    Verdict::Bad { expected: checksum::internet(&zeroed) }
}

/// How many bytes of the quoted datagram Wireshark hands to IP: a redirect quotes the header
/// and 64 bits; an RFC 4884 length bounds the datagram when extensions follow it.
fn quoted_len(quoted: &Window<'_>, t: u8, orig_words: u8, icmp_len: usize) -> Option<usize> {
    let ihl_words = usize::from(quoted.u8(0)? & 0x0f);
    if t == kind::REDIRECT {
        return Some(ihl_words * 4 + 8);
    }
    let words = usize::from(orig_words);
    let quoted_total = usize::from(quoted.u16(2)?);
    if words > 0 && icmp_len > field::HEADER_LEN + words * 4 && quoted_total > words * 4 {
        return Some((ihl_words + words) * 4);
    }
    None
}

/// The bytes after the first eight that some informational types define. Returns where the
/// message's own fields end.
fn trailer(w: &Window<'_>, t: u8, out: &mut Vec<Field>) -> usize {
    let mut end = field::HEADER_LEN;
    match t {
        kind::TIMESTAMP | kind::TIMESTAMP_REPLY => {
            for (i, spec) in [&ORIGINATE_TIMESTAMP, &RECEIVE_TIMESTAMP, &TRANSMIT_TIMESTAMP].into_iter().enumerate() {
                let off = 8 + 4 * i;
                let Some(v) = w.u32(off) else { break };
                out.push(Field::new(spec, Value::UInt(v.into()), w.abs(off..off + 4)));
                end = off + 4;
            }
        }
        kind::MASK_REQUEST | kind::MASK_REPLY => {
            if let Some(m) = w.ipv4(8) {
                out.push(Field::new(&ADDRESS_MASK, Value::Ipv4(m), w.abs(8..12)));
                end = 12;
            }
        }
        kind::ROUTER_ADVERT => {
            let (Some(n), Some(size)) = (w.u8(4), w.u8(5)) else { return end };
            if size == 2 {
                for i in 0..usize::from(n) {
                    let off = 8 + i * 8;
                    let (Some(a), Some(p)) = (w.ipv4(off), w.u32(off + 4)) else { break };
                    out.push(Field::new(&ROUTER_ADDRESS, Value::Ipv4(a), w.abs(off..off + 4)));
                    out.push(Field::new(&PREF_LEVEL, Value::UInt(p.into()), w.abs(off + 4..off + 8)));
                    end = off + 8;
                }
            }
        }
        _ => {}
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;
    use netlayers_core::checksum::internet;

    /// An IPv4 header (TTL 64, protocol ICMP) in front of `icmp`, with both checksums filled.
    fn in_ipv4(mut icmp: Vec<u8>) -> Vec<u8> {
        icmp[2..4].fill(0);
        let c = internet(&icmp);
        icmp[2..4].copy_from_slice(&c.to_be_bytes());
        let total = (20 + icmp.len()) as u16;
        let mut p = vec![0x45, 0, 0, 0, 0x12, 0x34, 0x40, 0, 64, 1, 0, 0, 10, 77, 0, 1, 10, 77, 0, 2];
        p[2..4].copy_from_slice(&total.to_be_bytes());
        let h = internet(&p);
        p[10..12].copy_from_slice(&h.to_be_bytes());
        p.extend_from_slice(&icmp);
        p
    }

    /// Echo request id 0x1234 seq 0x0102 with four bytes of data.
    fn echo() -> Vec<u8> {
        vec![
            0x08, // icmp.type: echo request
            0x00, // icmp.code
            0x00, 0x00, // icmp.checksum (filled by in_ipv4)
            0x12, 0x34, // icmp.ident
            0x01, 0x02, // icmp.seq
            b'a', b'b', b'c', b'd', // data
        ]
    }

    fn decode(p: &[u8]) -> Step {
        icmp(p, 20..p.len(), DecodeCtx::default())
    }

    fn value(l: &Layer, key: &str) -> Option<Value> {
        l.find(key).map(|f| f.value.clone())
    }

    #[test]
    fn parse_echo_request() {
        let p = in_ipv4(echo());
        let s = decode(&p);
        let l = &s.layers[0];
        assert_eq!(l.info.as_deref(), Some("Echo (ping) request  id=0x1234, seq=258/513, ttl=64"));
        let got: Vec<_> = l.fields.iter().map(|f| (f.key(), f.range.clone())).collect();
        assert_eq!(
            got,
            vec![
                ("icmp.type", 20..21),
                ("icmp.code", 21..22),
                ("icmp.checksum", 22..24),
                ("icmp.ident", 24..26),
                ("icmp.ident_le", 24..26),
                ("icmp.seq", 26..28),
                ("icmp.seq_le", 26..28)
            ]
        );
        assert_eq!(value(l, "icmp.ident"), Some(Value::UInt(0x1234)));
        assert_eq!(value(l, "icmp.ident_le"), Some(Value::UInt(0x3412)));
        assert_eq!(value(l, "icmp.checksum.status"), Some(Value::Enum { value: 1, name: Some("Good") }));
        assert_eq!(s.next, Handoff::Data);
        assert_eq!(s.payload, 28..32);
        assert_eq!(l.range, 20..28);
    }

    #[test]
    fn without_an_ipv4_header_there_is_no_ttl() {
        let mut e = echo();
        let c = internet(&e);
        e[2..4].copy_from_slice(&c.to_be_bytes());
        let s = icmp(&e, 0..e.len(), DecodeCtx::default());
        assert_eq!(s.layers[0].info.as_deref(), Some("Echo (ping) request  id=0x1234, seq=258/513"));
        assert_eq!(value(&s.layers[0], "icmp.checksum.status").and_then(|v| v.as_u64()), Some(1));
    }

    #[test]
    fn a_reassembled_message_takes_the_ttl_from_the_stack() {
        // After the frame's own bytes (here: junk that must not be taken for a header).
        let mut e = echo();
        let c = internet(&e);
        e[2..4].copy_from_slice(&c.to_be_bytes());
        let mut f = vec![0x45u8; 40];
        f.extend_from_slice(&e);
        let ctx = DecodeCtx { reassembled_ttl: Some(63), ..Default::default() };
        let s = icmp(&f, 40..f.len(), ctx);
        assert_eq!(s.layers[0].info.as_deref(), Some("Echo (ping) request  id=0x1234, seq=258/513, ttl=63"));
        assert_eq!(value(&s.layers[0], "icmp.checksum.status").and_then(|v| v.as_u64()), Some(1));
    }

    #[test]
    fn bad_checksum_names_the_right_one() {
        let mut p = in_ipv4(echo());
        let right = u16::from_be_bytes([p[22], p[23]]);
        p[22] ^= 0xff;
        let l = &decode(&p).layers[0];
        let c = l.find("icmp.checksum").expect("checksum");
        assert_eq!(c.children[0].value.as_u64(), Some(0));
        assert!(c.notes[0].text.en.ends_with(&format!("should be 0x{right:04x}")));
    }

    #[test]
    fn every_too_short_length() {
        let p = in_ipv4(echo());
        // No bytes and none promised: no layer. Promised but cut off by the capture: a layer.
        assert!(icmp(&echo(), 0..0, DecodeCtx::default()).layers.is_empty());
        assert_eq!(icmp(&p[..20], 20..20, DecodeCtx::default()).layers.len(), 1);
        for n in 1..8 {
            let s = icmp(&p[..20 + n], 20..20 + n, DecodeCtx::default());
            let l = &s.layers[0];
            let keys: Vec<_> = l.fields.iter().map(|f| f.key()).collect();
            // tshark: nothing before 6 bytes; then type, code, checksum, both identifiers.
            let expect: &[&str] = if n < 6 { &[] } else { &["icmp.type", "icmp.code", "icmp.checksum", "icmp.ident", "icmp.ident_le"] };
            assert_eq!(keys, expect, "{n} bytes");
            assert_eq!(s.next, Handoff::End);
            crate::check_ranges(&s, 20 + n);
        }
        // Cut in the data: the checksum cannot be checked.
        let s = icmp(&p[..30], 20..30, DecodeCtx::default());
        assert_eq!(value(&s.layers[0], "icmp.checksum.status").and_then(|v| v.as_u64()), Some(2));
    }

    /// Port unreachable quoting a UDP datagram of 1500 bytes (header and 8 bytes).
    fn unreachable(code: u8) -> Vec<u8> {
        let mut m = vec![3, code, 0, 0, 0, 0, 0x05, 0x78];
        m.extend_from_slice(&[0x45, 0, 0x05, 0xdc, 0, 0x99, 0, 0, 64, 17, 0, 0, 10, 77, 0, 2, 10, 77, 0, 1]);
        m.extend_from_slice(&[0x9c, 0x40, 0x82, 0x9a, 0x05, 0xc8, 0, 0]);
        m
    }

    #[test]
    fn errors_hand_off_the_quoted_packet() {
        let p = in_ipv4(unreachable(3));
        let s = decode(&p);
        let l = &s.layers[0];
        assert_eq!(l.info.as_deref(), Some("Destination unreachable (Port unreachable)"));
        assert_eq!(s.next, Handoff::Quoted);
        assert_eq!(s.payload, 28..56);
        assert_eq!(l.range, 20..28);
        assert_eq!(value(l, "icmp.unused"), Some(Value::Bytes(vec![0, 0, 0x05, 0x78])));
        let p = in_ipv4(unreachable(4));
        let l = &decode(&p).layers[0];
        assert_eq!(value(l, "icmp.mtu"), Some(Value::UInt(1400)));
        assert_eq!(l.info.as_deref(), Some("Destination unreachable (Fragmentation needed)"));
    }

    #[test]
    fn info_texts_match_tshark() {
        let cases: [(u8, u8, &str); 8] = [
            (11, 0, "Time-to-live exceeded (Time to live exceeded in transit)"),
            (5, 1, "Redirect             (Redirect for host)"),
            (12, 0, "Parameter problem    (Pointer indicates the error)"),
            (3, 16, "Destination unreachable (Unknown code: 16)"),
            (10, 0, "Router solicitation "),
            (9, 0, "Mobile IP Advertisement (Normal router advertisement)"),
            (7, 0, "Unknown ICMP (obsolete or malformed?)"),
            (43, 2, "Extended Echo reply  (No Such Interface)"),
        ];
        for (t, c, text) in cases {
            let mut m = unreachable(0);
            m[0] = t;
            m[1] = c;
            let p = in_ipv4(m);
            assert_eq!(decode(&p).layers[0].info.as_deref(), Some(text), "type {t} code {c}");
        }
    }

    #[test]
    fn a_redirect_quotes_the_header_and_eight_bytes() {
        let mut m = unreachable(1);
        m[0] = 5;
        m[4..8].copy_from_slice(&[10, 77, 0, 254]);
        m.extend_from_slice(&[0xee; 20]);
        let p = in_ipv4(m);
        let s = decode(&p);
        assert_eq!(s.payload, 28..56);
        assert_eq!(value(&s.layers[0], "icmp.redir_gw"), Some(Value::Ipv4(std::net::Ipv4Addr::new(10, 77, 0, 254))));
    }

    #[test]
    fn quoted_messages_are_not_checked() {
        let p = in_ipv4(echo());
        let s = icmp(&p, 20..p.len(), DecodeCtx { depth: 1, ..Default::default() });
        assert_eq!(value(&s.layers[0], "icmp.checksum.status").and_then(|v| v.as_u64()), Some(2));
    }

    #[test]
    fn timestamps_and_masks() {
        let mut m = vec![13, 0, 0, 0, 0, 1, 0, 2];
        m.extend_from_slice(&100u32.to_be_bytes());
        m.extend_from_slice(&200u32.to_be_bytes());
        m.extend_from_slice(&300u32.to_be_bytes());
        let p = in_ipv4(m);
        let s = decode(&p);
        assert_eq!(value(&s.layers[0], "icmp.transmit_timestamp"), Some(Value::UInt(300)));
        assert_eq!(s.layers[0].info.as_deref(), Some("Timestamp request    id=0x0001, seq=2/512, ttl=64"));
        assert_eq!(s.payload, 40..40);
    }

    #[test]
    fn etherparse_builds_what_we_read() {
        let builder = etherparse::PacketBuilder::ipv4([10, 77, 0, 1], [10, 77, 0, 2], 63).icmpv4_echo_reply(7, 9);
        let mut p = Vec::new();
        builder.write(&mut p, b"xyz").expect("write");
        let s = decode(&p);
        let l = &s.layers[0];
        assert_eq!(l.info.as_deref(), Some("Echo (ping) reply    id=0x0007, seq=9/2304, ttl=63"));
        assert_eq!(value(l, "icmp.checksum.status").and_then(|v| v.as_u64()), Some(1));
    }

    proptest::proptest! {
        #[test]
        fn known_types_with_arbitrary_bodies(t in 0u8..45, code in 0u8..20, body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..80), cut in 0usize..110) {
            let mut m = vec![t, code, 0, 0];
            m.extend_from_slice(&body);
            let p = in_ipv4(m);
            let n = (20 + cut).min(p.len());
            let s = icmp(&p[..n], 20..n, DecodeCtx::default());
            crate::check_ranges(&s, n);
        }

        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..120), a in 0usize..40, depth in 0u8..2) {
            let s = icmp(&data, a..data.len(), DecodeCtx { depth, ..Default::default() });
            crate::check_ranges(&s, data.len());
        }
    }
}
