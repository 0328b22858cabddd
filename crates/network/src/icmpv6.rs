//! ICMPv6 (RFC 4443), with Neighbor Discovery (RFC 4861) and Multicast Listener Discovery
//! (RFC 2710, RFC 3810).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     Type      |     Code      |          Checksum             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                         Message Body                          |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! <https://www.rfc-editor.org/rfc/rfc4443>. Unlike ICMP for IPv4 the checksum covers an IPv6
//! pseudo-header too. Neighbor Discovery replaces ARP: Neighbor Solicitation asks for a MAC,
//! Neighbor Advertisement answers, and options carry link-layer addresses and prefixes.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv6Addr};
use std::ops::Range;

use netlayers_core::checksum;
use netlayers_core::model::fmt_mac;
use netlayers_core::{DecodeCtx, Field, FieldSpec, Handoff, Layer, LayerKind, Note, PseudoHeader, Step, Value};

use crate::ipv6::nh;
use netlayers_core::window::Window;
use crate::{checksum_field, Verdict};

mod field {
    use std::ops::Range;
    pub const TYPE: Range<usize> = 0..1;
    pub const CODE: Range<usize> = 1..2;
    pub const CHECKSUM: Range<usize> = 2..4;
    pub const HEADER_LEN: usize = 8;
}

mod kind {
    pub const DEST_UNREACH: u8 = 1;
    pub const PACKET_TOO_BIG: u8 = 2;
    pub const TIME_EXCEEDED: u8 = 3;
    pub const PARAM_PROBLEM: u8 = 4;
    pub const ECHO_REQUEST: u8 = 128;
    pub const ECHO_REPLY: u8 = 129;
    pub const MLD_QUERY: u8 = 130;
    pub const MLD_REPORT: u8 = 131;
    pub const MLD_DONE: u8 = 132;
    pub const ROUTER_SOLICIT: u8 = 133;
    pub const ROUTER_ADVERT: u8 = 134;
    pub const NEIGHBOR_SOLICIT: u8 = 135;
    pub const NEIGHBOR_ADVERT: u8 = 136;
    pub const REDIRECT: u8 = 137;
    pub const MLDV2_REPORT: u8 = 143;
}

mod opt {
    pub const SRC_LINKADDR: u8 = 1;
    pub const TARGET_LINKADDR: u8 = 2;
    pub const PREFIX: u8 = 3;
    pub const MTU: u8 = 5;
    pub const RDNSS: u8 = 25;
}

spec!(TYPE, "icmpv6.type", "Type", "类型",
    "What the message is: 1-4 are errors, 128/129 echo (ping6), 133-137 neighbour discovery, 143 multicast listener report.",
    "消息的种类:1-4 为差错报文,128/129 为回显(ping6),133-137 为邻居发现,143 为多播监听者报告。");
spec!(CODE, "icmpv6.code", "Code", "代码",
    "Detail within the type, for example which kind of destination is unreachable.",
    "类型下的细分,例如是哪一种目的不可达。");
spec!(CHECKSUM, "icmpv6.checksum", "Checksum", "校验和",
    "Internet checksum over a pseudo-header (addresses, length, next header 58) and the whole message.",
    "覆盖伪首部(地址、长度、下一个首部 58)和整个消息的互联网校验和。");
spec!(CHECKSUM_STATUS, "icmpv6.checksum.status", "Checksum Status", "校验和状态",
    "Whether the checksum matches. Not checked for a message quoted in an error, fragmented or cut short.",
    "校验和是否相符。对于被引用在差错报文中、被分片或被截断的消息不做检查。");
spec!(RESERVED, "icmpv6.reserved", "Reserved", "保留",
    "Unused bytes, zero.",
    "未使用的字节,为 0。");
spec!(MTU, "icmpv6.mtu", "MTU", "MTU",
    "Largest packet the next link accepts. IPv6 routers never fragment, so the sender must send smaller packets.",
    "下一条链路接受的最大数据包。IPv6 路由器从不分片,所以发送方必须改发更小的数据包。");
spec!(POINTER, "icmpv6.pointer", "Pointer", "指针",
    "Byte of the quoted packet where the problem is.",
    "被引用数据包中出问题的字节位置。");
spec!(ECHO_IDENTIFIER, "icmpv6.echo.identifier", "Identifier", "标识符",
    "Chosen by the pinging program so replies reach it.",
    "由 ping 程序选定,让应答能回到它那里。");
spec!(ECHO_SEQUENCE, "icmpv6.echo.sequence_number", "Sequence", "序号",
    "Counts the requests, so each reply matches one.",
    "为请求计数,让每个应答对应到一个请求。");
spec!(NS_TARGET, "icmpv6.nd.ns.target_address", "Target Address", "目标地址",
    "The IPv6 address whose MAC the sender wants (IPv6's \"who has?\"). Sent to the target's solicited-node multicast group, not broadcast.",
    "发送方想知道其 MAC 地址的 IPv6 地址(IPv6 版的“谁拥有?”)。它发往目标的被请求节点多播组,而不是广播。");
spec!(NA_FLAG, "icmpv6.nd.na.flag", "Flags", "标志",
    "Router, Solicited and Override flags.",
    "路由器、被请求和覆盖三个标志。");
spec!(NA_FLAG_R, "icmpv6.nd.na.flag.r", "Router", "路由器",
    "The sender is a router.",
    "发送方是路由器。");
spec!(NA_FLAG_S, "icmpv6.nd.na.flag.s", "Solicited", "被请求",
    "This advertisement answers a solicitation.",
    "这个通告是对某个请求的回答。");
spec!(NA_FLAG_O, "icmpv6.nd.na.flag.o", "Override", "覆盖",
    "The receiver should replace the MAC it has cached.",
    "接收方应替换已缓存的 MAC 地址。");
spec!(NA_FLAG_RSV, "icmpv6.nd.na.flag.rsv", "Reserved", "保留",
    "Unused bits, zero.",
    "未使用的位,为 0。");
spec!(NA_TARGET, "icmpv6.nd.na.target_address", "Target Address", "目标地址",
    "The address being advertised; its MAC is in the target link-layer address option.",
    "被通告的地址;它的 MAC 地址在目标链路层地址选项中。");
spec!(RA_CUR_HOP_LIMIT, "icmpv6.nd.ra.cur_hop_limit", "Cur hop limit", "当前跳数限制",
    "Hop limit hosts should put in the packets they send (0: no advice).",
    "主机发送数据包时应使用的跳数限制(0 表示不作建议)。");
spec!(RA_FLAG, "icmpv6.nd.ra.flag", "Flags", "标志",
    "How hosts should configure themselves.",
    "主机应当如何自动配置。");
spec!(RA_FLAG_M, "icmpv6.nd.ra.flag.m", "Managed address configuration", "地址由 DHCPv6 管理",
    "Get addresses from DHCPv6.",
    "从 DHCPv6 获取地址。");
spec!(RA_FLAG_O, "icmpv6.nd.ra.flag.o", "Other configuration", "其他配置",
    "Get other settings (DNS servers …) from DHCPv6.",
    "从 DHCPv6 获取其他设置(DNS 服务器等)。");
spec!(RA_FLAG_H, "icmpv6.nd.ra.flag.h", "Home Agent", "家乡代理",
    "The router is a Mobile IPv6 home agent.",
    "该路由器是移动 IPv6 的家乡代理。");
spec!(RA_FLAG_PRF, "icmpv6.nd.ra.flag.prf", "Prf (Default Router Preference)", "默认路由器优先级",
    "Preference among default routers: high, medium or low.",
    "在多个默认路由器之间的优先级:高、中或低。");
spec!(RA_FLAG_P, "icmpv6.nd.ra.flag.p", "Proxy", "代理",
    "Neighbor Discovery proxy flag.",
    "邻居发现代理标志。");
spec!(RA_FLAG_RSV, "icmpv6.nd.ra.flag.rsv", "Reserved", "保留",
    "Unused bits.",
    "未使用的位。");
spec!(RA_ROUTER_LIFETIME, "icmpv6.nd.ra.router_lifetime", "Router lifetime (s)", "路由器生存期(秒)",
    "How long the router may serve as default router; 0 means not a default router.",
    "该路由器可以作为默认路由器的时长;0 表示不能作为默认路由器。");
spec!(RA_REACHABLE_TIME, "icmpv6.nd.ra.reachable_time", "Reachable time (ms)", "可达时间(毫秒)",
    "How long a neighbour counts as reachable after a confirmation.",
    "得到确认后,邻居被视为可达的时长。");
spec!(RA_RETRANS_TIMER, "icmpv6.nd.ra.retrans_timer", "Retrans timer (ms)", "重传定时器(毫秒)",
    "Time between neighbour solicitations.",
    "两次邻居请求之间的间隔。");
spec!(RD_TARGET, "icmpv6.nd.rd.target_address", "Target Address", "目标地址",
    "The better first hop to use for the destination.",
    "发往该目的地时应使用的更合适的第一跳。");
spec!(RD_DESTINATION, "icmpv6.rd.na.destination_address", "Destination Address", "目的地址",
    "The destination being redirected.",
    "被重定向的目的地址。");
spec!(MLD_MRD, "icmpv6.mld.maximum_response_delay", "Maximum Response Delay [ms]", "最大响应延迟(毫秒)",
    "How long listeners may wait before answering a query.",
    "监听者回答查询前最多可以等待的时间。");
spec!(MLD_MULTICAST_ADDRESS, "icmpv6.mld.multicast_address", "Multicast Address", "多播地址",
    "The group the message is about (:: in a general query).",
    "消息所涉及的组(通用查询中为 ::)。");
spec!(MLDR_NB_MCAST_RECORDS, "icmpv6.mldr.nb_mcast_records", "Number of Multicast Address Records", "多播地址记录数",
    "How many group records follow.",
    "后面有多少条组记录。");
spec!(MLDR_MAR, "icmpv6.mldr.mar", "Multicast Address Record", "多播地址记录",
    "One group the host listens to (or stops listening to), with its sources.",
    "主机正在监听(或不再监听)的一个组,以及它的源。");
spec!(MLDR_MAR_RECORD_TYPE, "icmpv6.mldr.mar.record_type", "Record Type", "记录类型",
    "1-2 current state, 3-4 a change of filter mode, 5-6 sources allowed or blocked.",
    "1-2 为当前状态,3-4 为过滤模式的改变,5-6 为允许或阻止某些源。");
spec!(MLDR_MAR_AUX_DATA_LEN, "icmpv6.mldr.mar.aux_data_len", "Aux Data Len", "辅助数据长度",
    "Auxiliary data length in 32-bit words.",
    "辅助数据的长度,以 32 位字为单位。");
spec!(MLDR_MAR_NB_SOURCES, "icmpv6.mldr.mar.nb_sources", "Number of Sources", "源数量",
    "How many source addresses follow.",
    "后面有多少个源地址。");
spec!(MLDR_MAR_MULTICAST_ADDRESS, "icmpv6.mldr.mar.multicast_address", "Multicast Address", "多播地址",
    "The multicast group.",
    "多播组。");
spec!(MLDR_MAR_SOURCE_ADDRESS, "icmpv6.mldr.mar.source_address", "Source Address", "源地址",
    "A source the filter mode applies to.",
    "过滤模式所作用的一个源。");
spec!(OPT, "icmpv6.opt", "ICMPv6 Option", "ICMPv6 选项",
    "A neighbour discovery option: type, length in 8-byte units, value.",
    "一个邻居发现选项:类型、以 8 字节为单位的长度、取值。");
spec!(OPT_TYPE, "icmpv6.opt.type", "Type", "类型",
    "1 source link-layer address, 2 target link-layer address, 3 prefix information, 5 MTU, 25 DNS servers.",
    "1 为源链路层地址,2 为目标链路层地址,3 为前缀信息,5 为 MTU,25 为 DNS 服务器。");
spec!(OPT_LENGTH, "icmpv6.opt.length", "Length", "长度",
    "Option length in units of 8 bytes.",
    "选项长度,以 8 字节为单位。");
spec!(OPT_LINKADDR, "icmpv6.opt.linkaddr", "Link-layer address", "链路层地址",
    "A MAC address: with it, the receiver can answer without asking in turn.",
    "一个 MAC 地址:有了它,接收方无需反过来询问就能应答。");
spec!(OPT_SRC_LINKADDR, "icmpv6.opt.src_linkaddr", "Source Link-layer address", "源链路层地址",
    "The sender's MAC address.",
    "发送方的 MAC 地址。");
spec!(OPT_TARGET_LINKADDR, "icmpv6.opt.target_linkaddr", "Target Link-layer address", "目标链路层地址",
    "The MAC address of the advertised target: the answer to a neighbour solicitation.",
    "被通告目标的 MAC 地址:也就是对邻居请求的回答。");
spec!(OPT_PREFIX_LENGTH, "icmpv6.opt.prefix.length", "Prefix Length", "前缀长度",
    "Number of leading bits of the prefix that are significant (64 for autoconfiguration).",
    "前缀中有效的前导位数(自动配置时为 64)。");
spec!(OPT_PREFIX_FLAG, "icmpv6.opt.prefix.flag", "Flag", "标志",
    "On-link and autonomous-configuration flags.",
    "在链路上标志和自主配置标志。");
spec!(OPT_PREFIX_FLAG_L, "icmpv6.opt.prefix.flag.l", "On-link flag(L)", "在链路上(L)",
    "Addresses with this prefix are on this link: reach them directly, not through the router.",
    "带有这个前缀的地址就在本链路上:直接到达,不必经过路由器。");
spec!(OPT_PREFIX_FLAG_A, "icmpv6.opt.prefix.flag.a", "Autonomous address-configuration flag(A)", "自主地址配置(A)",
    "Hosts may build their own address from this prefix (SLAAC).",
    "主机可以用这个前缀自行生成地址(SLAAC)。");
spec!(OPT_PREFIX_FLAG_R, "icmpv6.opt.prefix.flag.r", "Router address flag(R)", "路由器地址(R)",
    "The prefix field holds the router's full address.",
    "前缀字段中是路由器的完整地址。");
spec!(OPT_PREFIX_FLAG_RESERVED, "icmpv6.opt.prefix.flag.reserved", "Reserved", "保留",
    "Unused bits.",
    "未使用的位。");
spec!(OPT_PREFIX_VALID_LIFETIME, "icmpv6.opt.prefix.valid_lifetime", "Valid Lifetime", "有效生存期",
    "Seconds the prefix stays valid (0xffffffff: forever).",
    "前缀保持有效的秒数(0xffffffff 表示永久)。");
spec!(OPT_PREFIX_PREFERRED_LIFETIME, "icmpv6.opt.prefix.preferred_lifetime", "Preferred Lifetime", "首选生存期",
    "Seconds addresses from the prefix stay preferred for new connections.",
    "由该前缀生成的地址在新连接中保持首选的秒数。");
spec!(OPT_PREFIX, "icmpv6.opt.prefix", "Prefix", "前缀",
    "The network prefix being advertised.",
    "被通告的网络前缀。");
spec!(OPT_RESERVED, "icmpv6.opt.reserved", "Reserved", "保留",
    "Unused bytes of the option.",
    "选项中未使用的字节。");
spec!(OPT_MTU, "icmpv6.opt.mtu", "MTU", "MTU",
    "The link's MTU, so all hosts on it use the same one.",
    "链路的 MTU,让链路上的所有主机使用相同的值。");
spec!(OPT_RDNSS_LIFETIME, "icmpv6.opt.rdnss.lifetime", "Lifetime", "生存期",
    "Seconds the DNS servers may be used.",
    "这些 DNS 服务器可以使用的秒数。");
spec!(OPT_RDNSS, "icmpv6.opt.rdnss", "Recursive DNS Servers", "递归 DNS 服务器",
    "A DNS server hosts can use (RFC 8106).",
    "主机可以使用的一个 DNS 服务器(RFC 8106)。");
spec!(OPT_DATA, "icmpv6.unknown_data", "Unknown Data", "未知数据",
    "Bytes not decoded here.",
    "这里没有解码的字节。");

fn type_name(t: u8) -> Option<&'static str> {
    Some(match t {
        1 => "Destination Unreachable",
        2 => "Packet Too Big",
        3 => "Time Exceeded",
        4 => "Parameter Problem",
        100 | 101 | 200 | 201 => "Private experimentation",
        127 => "Reserved for expansion of ICMPv6 error messages",
        128 => "Echo (ping) request",
        129 => "Echo (ping) reply",
        130 => "Multicast Listener Query",
        131 => "Multicast Listener Report",
        132 => "Multicast Listener Done",
        133 => "Router Solicitation",
        134 => "Router Advertisement",
        135 => "Neighbor Solicitation",
        136 => "Neighbor Advertisement",
        137 => "Redirect",
        138 => "Router Renumbering",
        139 => "Node Information Query",
        140 => "Node Information Reply",
        141 => "Inverse Neighbor Discovery Solicitation",
        142 => "Inverse Neighbor Discovery Advertisement",
        143 => "Multicast Listener Report Message v2",
        144 => "Home Agent Address Discovery Request",
        145 => "Home Agent Address Discovery Reply",
        146 => "Mobile Prefix Solicitation",
        147 => "Mobile Prefix Advertisement",
        148 => "Certification Path Solicitation",
        149 => "Certification Path Advertisement",
        150 => "Experimental Mobility",
        151 => "Multicast Router Advertisement",
        152 => "Multicast Router Solicitation",
        153 => "Multicast Router Termination",
        154 => "FMIPv6",
        155 => "RPL Control",
        156 => "Locator Update",
        157 => "Duplicate Address Request",
        158 => "Duplicate Address Confirmation",
        159 => "MPL Control Message",
        160 => "Extended Echo request",
        161 => "Extended Echo reply",
        255 => "Reserved for expansion of ICMPv6 informational messages",
        _ => return None,
    })
}

/// The code text Wireshark puts in parentheses in the Info column, for the error types.
fn code_text(t: u8, c: u8) -> Option<String> {
    let known = |table: &[&'static str]| table.get(usize::from(c)).map(|s| s.to_string());
    Some(match t {
        kind::DEST_UNREACH => known(&[
            "no route to destination",
            "Administratively prohibited",
            "Beyond scope of source address",
            "Address unreachable",
            "Port unreachable",
            "Source address failed ingress/egress policy",
            "Reject route to destination",
            "Error in Source Routing Header",
        ])
        .unwrap_or_else(|| "Unknown".into()),
        kind::TIME_EXCEEDED => known(&["hop limit exceeded in transit", "fragment reassembly time exceeded"])
            .unwrap_or_else(|| format!("Unknown ({c})")),
        160 => known(&["No error"]).unwrap_or_else(|| format!("Unknown ({c})")),
        161 => known(&["No error", "Malformed Query", "No Such Interface", "No Such Table Entry", "Multiple Interfaces Satisfy Query"])
            .unwrap_or_else(|| format!("Unknown ({c})")),
        kind::PARAM_PROBLEM => known(&[
            "erroneous header field encountered",
            "unrecognized Next Header type encountered",
            "unrecognized IPv6 option encountered",
            "IPv6 First Fragment has incomplete IPv6 Header Chain",
        ])
        .unwrap_or_else(|| format!("Unknown ({c})")),
        _ => return None,
    })
}

fn option_name(t: u8) -> Option<&'static str> {
    Some(match t {
        1 => "Source link-layer address",
        2 => "Target link-layer address",
        3 => "Prefix information",
        4 => "Redirected header",
        5 => "MTU",
        7 => "Advertisement Interval",
        8 => "Home Agent Information",
        14 => "Nonce",
        24 => "Route Information",
        25 => "Recursive DNS Server",
        26 => "RA Flags Extension",
        31 => "DNS Search List Option",
        37 => "DHCP Captive-Portal",
        38 => "PREF64 Option",
        _ => return None,
    })
}

/// What ICMPv6 needs from the IPv6 header that carried it.
struct Carrier {
    hlim: u8,
    /// A fragment header came before: the checksum covers bytes not in this packet.
    fragmented: bool,
}

/// The IPv6 header (and extension headers) that end exactly where this message starts.
///
/// The stack hands ICMPv6 only its bytes and the pseudo-header, but Wireshark's Info shows the
/// hop limit. A header is accepted only if it provably carried this message: version 6, the
/// pseudo-header's source address, and an extension header chain from it that ends here with
/// next header 58.
fn carrier(frame: &[u8], start: usize, pseudo: &PseudoHeader) -> Option<Carrier> {
    let IpAddr::V6(src) = pseudo.src else { return None };
    const MAX_EXTENSIONS: usize = 2048;
    let last = start.checked_sub(40)?;
    let first = last.saturating_sub(MAX_EXTENSIONS);
    (first..=last).rev().find_map(|p| {
        let h = frame.get(p..p + 40)?;
        if h[0] >> 4 != 6 || h[8..24] != src.octets() {
            return None;
        }
        let mut off = p + 40;
        let mut next = h[6];
        let mut fragmented = false;
        while off < start {
            let len = match next {
                nh::HOPOPTS | nh::ROUTING | nh::DSTOPTS => (usize::from(*frame.get(off + 1)?) + 1) * 8,
                nh::FRAGMENT => {
                    fragmented = true;
                    8
                }
                _ => return None,
            };
            next = *frame.get(off)?;
            off += len;
        }
        (off == start && next == 58).then_some(Carrier { hlim: h[7], fragmented })
    })
}

/// ICMPv6. The checksum is verified with the pseudo-header from IPv6. Errors hand off the
/// quoted packet (`Handoff::Quoted`); echo data is handed on as data.
pub fn icmpv6(frame: &[u8], at: Range<usize>, ctx: DecodeCtx, pseudo: &PseudoHeader) -> Step {
    let w = Window::new(frame, at);
    if w.is_empty() && pseudo.upper_len == 0 {
        // As in tshark, which does not call ICMPv6 for an empty payload: no layer at all.
        return Step { layers: Vec::new(), next: Handoff::End, payload: w.abs(0..0) };
    }
    let mut layer = Layer::new(LayerKind::Network, "icmpv6", "ICMPv6", w.abs(0..w.len()));
    layer.title = "Internet Control Message Protocol v6".into();
    layer.info = Some(String::new());
    let carrier = match ctx.reassembled_ttl {
        // A reassembled message is whole, and no header precedes it in the bytes.
        Some(hlim) => Some(Carrier { hlim, fragmented: false }),
        None => carrier(frame, w.start(), pseudo),
    };
    let mut fields = Vec::new();
    let Some(t) = w.u8(0) else {
        layer.notes.push(Note::truncated("ICMPv6 header", w.start(), 4, 0));
        return Step::end(layer);
    };
    let name = type_name(t);
    fields.push(
        Field::new(&TYPE, Value::Enum { value: t.into(), name }, w.abs(field::TYPE))
            .with_display(format!("{} ({t})", name.unwrap_or("Unknown"))),
    );
    let mut info = match name {
        Some(n) => n.to_string(),
        None => format!("Unknown ({t})"),
    };
    let mut next = Handoff::End;
    let mut used = w.len();
    let complete = (|| -> Option<()> {
        let code = w.u8(1)?;
        let code_text = code_text(t, code);
        if let Some(c) = &code_text {
            info.push_str(&format!(" ({c})"));
        }
        fields.push(Field::new(&CODE, Value::UInt(code.into()), w.abs(field::CODE)));
        let sum = w.u16(field::CHECKSUM.start)?;
        fields.push(checksum_field(&CHECKSUM, &CHECKSUM_STATUS, sum, w.abs(field::CHECKSUM), verdict(&w, ctx, pseudo, carrier.as_ref())));
        let (n, u) = message(&w, t, carrier.as_ref(), &mut fields, &mut info)?;
        next = n;
        used = u;
        Some(())
    })()
    .is_some();
    layer.fields = fields;
    layer.info = Some(info);
    if !complete {
        layer.notes.push(Note::truncated("ICMPv6 message", w.start(), field::HEADER_LEN, w.len()));
        return Step::end(layer);
    }
    let payload = w.abs(used..w.len());
    if next != Handoff::End {
        layer.range = w.abs(0..used);
    }
    let next = if next == Handoff::Quoted && payload.is_empty() { Handoff::End } else { next };
    Step { layers: vec![layer], next, payload }
}

/// Wireshark verifies only a whole message: not quoted in an error, not fragmented, with all
/// the bytes the pseudo-header's length promises.
fn verdict(w: &Window<'_>, ctx: DecodeCtx, pseudo: &PseudoHeader, carrier: Option<&Carrier>) -> Verdict {
    if ctx.quoted() || carrier.is_some_and(|c| c.fragmented) {
        return Verdict::Unverified;
    }
    let Some(msg) = w.bytes(0..pseudo.upper_len) else { return Verdict::Unverified };
    let p = PseudoHeader { protocol: 58, ..*pseudo };
    if checksum::verify_with_pseudo(&p, msg) {
        return Verdict::Good;
    }
    let mut zeroed = msg.to_vec();
    match zeroed.get_mut(field::CHECKSUM) {
        Some(c) => c.fill(0),
        // A length that does not even cover the checksum field: nothing to check.
        None => return Verdict::Unverified,
    }
    Verdict::Bad { expected: checksum::with_pseudo(&p, &zeroed) }
}

fn reserved(w: &Window<'_>, r: Range<usize>, out: &mut Vec<Field>) -> Option<()> {
    let b = w.bytes(r.clone())?;
    out.push(Field::new(&RESERVED, Value::Bytes(b.to_vec()), w.abs(r)));
    Some(())
}

fn address(w: &Window<'_>, spec: &'static FieldSpec, off: usize, out: &mut Vec<Field>) -> Option<Ipv6Addr> {
    let a = w.ipv6(off)?;
    out.push(Field::new(spec, Value::Ipv6(a), w.abs(off..off + 16)));
    Some(a)
}

/// The message body after the checksum. Returns the hand-off and where this layer's own bytes
/// end; `None` when the captured bytes end inside the fixed part.
fn message(w: &Window<'_>, t: u8, carrier: Option<&Carrier>, out: &mut Vec<Field>, info: &mut String) -> Option<(Handoff, usize)> {
    let all = w.len();
    match t {
        kind::DEST_UNREACH | kind::TIME_EXCEEDED => {
            reserved(w, 4..8, out)?;
            Some((Handoff::Quoted, field::HEADER_LEN))
        }
        kind::PACKET_TOO_BIG => {
            let m = w.u32(4)?;
            out.push(Field::new(&MTU, Value::UInt(m.into()), w.abs(4..8)));
            Some((Handoff::Quoted, field::HEADER_LEN))
        }
        kind::PARAM_PROBLEM => {
            let p = w.u32(4)?;
            out.push(Field::new(&POINTER, Value::UInt(p.into()), w.abs(4..8)));
            Some((Handoff::Quoted, field::HEADER_LEN))
        }
        160 | 161 => {
            // Extended echo (RFC 8335): the identifier is where echo keeps it.
            let id = w.u16(4)?;
            out.push(Field::new(&ECHO_IDENTIFIER, Value::Hex { value: id.into(), digits: 4 }, w.abs(4..6)));
            Some((Handoff::Data, 6))
        }
        kind::ECHO_REQUEST | kind::ECHO_REPLY => {
            let id = w.u16(4)?;
            out.push(Field::new(&ECHO_IDENTIFIER, Value::Hex { value: id.into(), digits: 4 }, w.abs(4..6)));
            let seq = w.u16(6)?;
            out.push(Field::new(&ECHO_SEQUENCE, Value::UInt(seq.into()), w.abs(6..8)));
            info.push_str(&format!(" id=0x{id:04x}, seq={seq}"));
            if let Some(c) = carrier {
                info.push_str(&format!(", hop limit={}", c.hlim));
            }
            Some((Handoff::Data, field::HEADER_LEN))
        }
        kind::MLD_QUERY | kind::MLD_REPORT | kind::MLD_DONE => {
            let mrd = w.u16(4)?;
            out.push(Field::new(&MLD_MRD, Value::UInt(mrd.into()), w.abs(4..6)));
            reserved(w, 6..8, out)?;
            address(w, &MLD_MULTICAST_ADDRESS, 8, out)?;
            Some((Handoff::Data, 24))
        }
        kind::ROUTER_SOLICIT => {
            reserved(w, 4..8, out)?;
            let mac = nd_options(w, 8, out);
            if let Some(m) = mac.source {
                let _ = write!(info, " from {}", fmt_mac(&m));
            }
            Some((Handoff::End, all))
        }
        kind::ROUTER_ADVERT => {
            let hop = w.u8(4)?;
            out.push(Field::new(&RA_CUR_HOP_LIMIT, Value::UInt(hop.into()), w.abs(4..5)));
            let f = w.u8(5)?;
            let r = w.abs(5..6);
            let bit = |spec, mask: u8| Field::new(spec, Value::Bool(f & mask != 0), r.clone()).with_mask(mask.into());
            let prf = (f >> 3) & 3;
            out.push(Field::new(&RA_FLAG, Value::Hex { value: f.into(), digits: 2 }, r.clone()).with_children(vec![
                bit(&RA_FLAG_M, 0x80),
                bit(&RA_FLAG_O, 0x40),
                bit(&RA_FLAG_H, 0x20),
                Field::new(
                    &RA_FLAG_PRF,
                    Value::Enum { value: prf.into(), name: Some(["Medium", "High", "Reserved", "Low"][usize::from(prf)]) },
                    r.clone(),
                )
                .with_mask(0x18),
                bit(&RA_FLAG_P, 0x04),
                Field::new(&RA_FLAG_RSV, Value::UInt((f & 3).into()), r.clone()).with_mask(0x03),
            ]));
            let life = w.u16(6)?;
            out.push(Field::new(&RA_ROUTER_LIFETIME, Value::UInt(life.into()), w.abs(6..8)));
            let reach = w.u32(8)?;
            out.push(Field::new(&RA_REACHABLE_TIME, Value::UInt(reach.into()), w.abs(8..12)));
            let retrans = w.u32(12)?;
            out.push(Field::new(&RA_RETRANS_TIMER, Value::UInt(retrans.into()), w.abs(12..16)));
            let mac = nd_options(w, 16, out);
            if let Some(m) = mac.source {
                let _ = write!(info, " from {}", fmt_mac(&m));
            }
            Some((Handoff::End, all))
        }
        kind::NEIGHBOR_SOLICIT => {
            reserved(w, 4..8, out)?;
            let target = address(w, &NS_TARGET, 8, out)?;
            let _ = write!(info, " for {target}");
            let mac = nd_options(w, 24, out);
            if let Some(m) = mac.source {
                let _ = write!(info, " from {}", fmt_mac(&m));
            }
            Some((Handoff::End, all))
        }
        kind::NEIGHBOR_ADVERT => {
            let f = w.u32(4)?;
            let r = w.abs(4..8);
            let bit = |spec, mask: u32| Field::new(spec, Value::Bool(f & mask != 0), r.clone()).with_mask(mask.into());
            out.push(Field::new(&NA_FLAG, Value::Hex { value: f.into(), digits: 8 }, r.clone()).with_children(vec![
                bit(&NA_FLAG_R, 0x8000_0000),
                bit(&NA_FLAG_S, 0x4000_0000),
                bit(&NA_FLAG_O, 0x2000_0000),
                Field::new(&NA_FLAG_RSV, Value::UInt((f & 0x1fff_ffff).into()), r.clone()).with_mask(0x1fff_ffff),
            ]));
            let target = address(w, &NA_TARGET, 8, out)?;
            let names: Vec<&str> = [(0x8000_0000u32, "rtr"), (0x4000_0000, "sol"), (0x2000_0000, "ovr")]
                .iter()
                .filter(|(m, _)| f & m != 0)
                .map(|(_, n)| *n)
                .collect();
            let flags = if names.is_empty() { "none".to_string() } else { names.join(", ") };
            let _ = write!(info, " {target} ({flags})");
            let mac = nd_options(w, 24, out);
            if let Some(m) = mac.target {
                let _ = write!(info, " is at {}", fmt_mac(&m));
            }
            Some((Handoff::End, all))
        }
        kind::REDIRECT => {
            reserved(w, 4..8, out)?;
            address(w, &RD_TARGET, 8, out)?;
            address(w, &RD_DESTINATION, 24, out)?;
            nd_options(w, 40, out);
            Some((Handoff::End, all))
        }
        kind::MLDV2_REPORT => {
            reserved(w, 4..6, out)?;
            let n = w.u16(6)?;
            out.push(Field::new(&MLDR_NB_MCAST_RECORDS, Value::UInt(n.into()), w.abs(6..8)));
            let end = mld_records(w, out);
            Some((Handoff::Data, end))
        }
        _ => Some((Handoff::Data, field::HEADER_LEN.min(all).max(4))),
    }
}

/// The MAC addresses found in neighbour discovery options (for the Info column).
#[derive(Default)]
struct LinkAddrs {
    source: Option<[u8; 6]>,
    target: Option<[u8; 6]>,
}

/// The options of a neighbour discovery message, from `start` to the end of the message.
fn nd_options(w: &Window<'_>, start: usize, out: &mut Vec<Field>) -> LinkAddrs {
    let mut found = LinkAddrs::default();
    let mut off = start;
    while off < w.len() {
        let (Some(t), Some(units)) = (w.u8(off), w.u8(off + 1)) else { break };
        let len = usize::from(units) * 8;
        let o = w.sub(off..off + len.max(2));
        let name = option_name(t);
        let mut children = vec![
            Field::new(&OPT_TYPE, Value::Enum { value: t.into(), name }, o.abs(0..1))
                .with_display(format!("{} ({t})", name.unwrap_or("Unknown"))),
            Field::new(&OPT_LENGTH, Value::UInt(units.into()), o.abs(1..2)).with_display(format!("{units} ({len} bytes)")),
        ];
        if len == 0 || o.len() < len {
            // A zero length would loop forever; a cut one ends the message.
            out.push(Field::new(&OPT, Value::None, o.abs(0..2)).with_children(children).with_note(Note::new(
                netlayers_core::Severity::Error,
                "icmpv6.opt.invalid_len",
                "Invalid option length",
                "选项长度无效",
            )));
            break;
        }
        let mut summary = name.unwrap_or("Unknown").to_string();
        match t {
            opt::SRC_LINKADDR | opt::TARGET_LINKADDR if len == 8 => {
                if let Some(m) = o.mac(2) {
                    let alias = if t == opt::SRC_LINKADDR { &OPT_SRC_LINKADDR } else { &OPT_TARGET_LINKADDR };
                    children.push(
                        Field::new(&OPT_LINKADDR, Value::Mac(m), o.abs(2..8))
                            .with_children(vec![Field::new(alias, Value::Mac(m), o.abs(2..8))]),
                    );
                    summary = format!("{summary} : {}", fmt_mac(&m));
                    if t == opt::SRC_LINKADDR {
                        found.source.get_or_insert(m);
                    } else {
                        found.target.get_or_insert(m);
                    }
                }
            }
            opt::PREFIX if len == 32 => {
                if let (Some(pl), Some(fl), Some(valid), Some(pref), Some(prefix)) =
                    (o.u8(2), o.u8(3), o.u32(4), o.u32(8), o.ipv6(16))
                {
                    let fr = o.abs(3..4);
                    let bit = |spec, mask: u8| Field::new(spec, Value::Bool(fl & mask != 0), fr.clone()).with_mask(mask.into());
                    children.extend([
                        Field::new(&OPT_PREFIX_LENGTH, Value::UInt(pl.into()), o.abs(2..3)),
                        Field::new(&OPT_PREFIX_FLAG, Value::Hex { value: fl.into(), digits: 2 }, fr.clone()).with_children(vec![
                            bit(&OPT_PREFIX_FLAG_L, 0x80),
                            bit(&OPT_PREFIX_FLAG_A, 0x40),
                            bit(&OPT_PREFIX_FLAG_R, 0x20),
                            Field::new(&OPT_PREFIX_FLAG_RESERVED, Value::UInt((fl & 0x1f).into()), fr.clone()).with_mask(0x1f),
                        ]),
                        Field::new(&OPT_PREFIX_VALID_LIFETIME, Value::UInt(valid.into()), o.abs(4..8)),
                        Field::new(&OPT_PREFIX_PREFERRED_LIFETIME, Value::UInt(pref.into()), o.abs(8..12)),
                        Field::new(&OPT_RESERVED, Value::None, o.abs(12..16)),
                        Field::new(&OPT_PREFIX, Value::Ipv6(prefix), o.abs(16..32)),
                    ]);
                    summary = format!("{summary} : {prefix}/{pl}");
                }
            }
            opt::MTU if len == 8 => {
                if let Some(m) = o.u32(4) {
                    children.push(Field::new(&OPT_RESERVED, Value::None, o.abs(2..4)));
                    children.push(Field::new(&OPT_MTU, Value::UInt(m.into()), o.abs(4..8)));
                    summary = format!("{summary} : {m}");
                }
            }
            opt::RDNSS if len >= 24 => {
                children.push(Field::new(&OPT_RESERVED, Value::None, o.abs(2..4)));
                if let Some(life) = o.u32(4) {
                    children.push(Field::new(&OPT_RDNSS_LIFETIME, Value::UInt(life.into()), o.abs(4..8)));
                }
                let mut a = 8;
                while a + 16 <= len {
                    if let Some(addr) = o.ipv6(a) {
                        children.push(Field::new(&OPT_RDNSS, Value::Ipv6(addr), o.abs(a..a + 16)));
                    }
                    a += 16;
                }
            }
            _ => {
                if let Some(b) = o.bytes(2..len) {
                    children.push(Field::new(&OPT_DATA, Value::Bytes(b.to_vec()), o.abs(2..len)));
                }
            }
        }
        out.push(
            Field::new(&OPT, Value::None, o.abs(0..len))
                .with_display(summary)
                .with_children(children),
        );
        off += len;
    }
    found
}

fn mld_record_type_name(t: u8) -> Option<&'static str> {
    Some(match t {
        1 => "Include",
        2 => "Exclude",
        3 => "Changed to include",
        4 => "Changed to exclude",
        5 => "Allow new sources",
        6 => "Block old sources",
        _ => return None,
    })
}

/// The multicast address records of an MLDv2 report. Like Wireshark, this reads records until
/// the message ends, whatever the record count says, each field as far as it was captured.
/// Returns where they end.
fn mld_records(w: &Window<'_>, out: &mut Vec<Field>) -> usize {
    let mut off = field::HEADER_LEN;
    while off < w.len() {
        let aux = w.u8(off + 1).map_or(0, usize::from);
        let ns = w.u16(off + 2).map_or(0, usize::from);
        let len = 20 + ns * 16 + aux * 4;
        let r = w.sub(off..off + len);
        out.push(Field::new(&MLDR_MAR, Value::None, r.abs(0..len)));
        let Some(record) = out.last_mut() else { break };
        if record_fields(&r, aux, ns, record).is_none() {
            // A record cut short takes the rest of what was captured.
            return w.len();
        }
        off += len;
    }
    off.min(w.len())
}

fn record_fields(r: &Window<'_>, aux: usize, ns: usize, record: &mut Field) -> Option<()> {
    let rt = r.u8(0)?;
    record.children.push(Field::new(&MLDR_MAR_RECORD_TYPE, Value::Enum { value: rt.into(), name: mld_record_type_name(rt) }, r.abs(0..1)));
    r.u8(1)?;
    record.children.push(Field::new(&MLDR_MAR_AUX_DATA_LEN, Value::UInt(aux as u64), r.abs(1..2)));
    r.u16(2)?;
    record.children.push(Field::new(&MLDR_MAR_NB_SOURCES, Value::UInt(ns as u64), r.abs(2..4)));
    let group = r.ipv6(4)?;
    record.children.push(Field::new(&MLDR_MAR_MULTICAST_ADDRESS, Value::Ipv6(group), r.abs(4..20)));
    record.display = Some(format!("{group}: {}", mld_record_type_name(rt).unwrap_or("Unknown")));
    for i in 0..ns {
        let a = 20 + i * 16;
        let s = r.ipv6(a)?;
        record.children.push(Field::new(&MLDR_MAR_SOURCE_ADDRESS, Value::Ipv6(s), r.abs(a..a + 16)));
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC_A: Ipv6Addr = Ipv6Addr::new(0xfd77, 0, 0, 0, 0, 0, 0, 1);
    const DST_A: Ipv6Addr = Ipv6Addr::new(0xfd77, 0, 0, 0, 0, 0, 0, 2);

    fn pseudo(len: usize) -> PseudoHeader {
        PseudoHeader { src: SRC_A.into(), dst: DST_A.into(), protocol: 58, upper_len: len }
    }

    /// An IPv6 header (hop limit 64, next header 58) in front of `msg`, checksum filled in.
    fn in_ipv6(mut msg: Vec<u8>) -> Vec<u8> {
        msg[2..4].fill(0);
        let c = checksum::with_pseudo(&pseudo(msg.len()), &msg);
        msg[2..4].copy_from_slice(&c.to_be_bytes());
        let mut p = vec![0x60, 0, 0, 0];
        p.extend_from_slice(&(msg.len() as u16).to_be_bytes());
        p.extend_from_slice(&[58, 64]);
        p.extend_from_slice(&SRC_A.octets());
        p.extend_from_slice(&DST_A.octets());
        p.extend_from_slice(&msg);
        p
    }

    fn decode(p: &[u8]) -> Step {
        icmpv6(p, 40..p.len(), DecodeCtx::default(), &pseudo(p.len() - 40))
    }

    fn value(l: &Layer, key: &str) -> Option<Value> {
        l.find(key).map(|f| f.value.clone())
    }

    #[test]
    fn parse_echo_request() {
        let msg = vec![
            128, 0, // icmpv6.type: echo request, code 0
            0, 0, // icmpv6.checksum
            0x12, 0x34, // icmpv6.echo.identifier
            0x00, 0x01, // icmpv6.echo.sequence_number
            b'a', b'b', b'c', b'd', b'e', b'f', b'g', b'h',
        ];
        let p = in_ipv6(msg);
        let s = decode(&p);
        let l = &s.layers[0];
        assert_eq!(l.info.as_deref(), Some("Echo (ping) request id=0x1234, seq=1, hop limit=64"));
        assert_eq!(value(l, "icmpv6.checksum.status"), Some(Value::Enum { value: 1, name: Some("Good") }));
        assert_eq!(value(l, "icmpv6.echo.identifier").and_then(|v| v.as_u64()), Some(0x1234));
        assert_eq!(l.find("icmpv6.echo.sequence_number").map(|f| f.range.clone()), Some(46..48));
        assert_eq!(s.next, Handoff::Data);
        assert_eq!(s.payload, 48..56);
    }

    #[test]
    fn the_checksum_covers_the_pseudo_header() {
        let msg = vec![128, 0, 0, 0, 0, 1, 0, 2];
        let p = in_ipv6(msg);
        let other = PseudoHeader { dst: Ipv6Addr::LOCALHOST.into(), ..pseudo(8) };
        let s = icmpv6(&p, 40..48, DecodeCtx::default(), &other);
        let c = s.layers[0].find("icmpv6.checksum").expect("checksum");
        assert_eq!(c.children[0].value.as_u64(), Some(0), "bad with another destination");
        let expected = {
            let mut m = p[40..48].to_vec();
            m[2..4].fill(0);
            checksum::with_pseudo(&other, &m)
        };
        assert!(c.notes[0].text.en.ends_with(&format!("should be 0x{expected:04x}")));
        let s = icmpv6(&p, 40..48, DecodeCtx { depth: 1, ..Default::default() }, &other);
        assert_eq!(value(&s.layers[0], "icmpv6.checksum.status").and_then(|v| v.as_u64()), Some(2), "not checked when quoted");
    }

    #[test]
    fn neighbor_solicitation_and_advertisement() {
        let target = DST_A.octets();
        let mut ns = vec![135, 0, 0, 0, 0, 0, 0, 0];
        ns.extend_from_slice(&target);
        ns.extend_from_slice(&[1, 1, 0x02, 0x77, 0, 0, 0, 0x0a]); // source link-layer address
        let p = in_ipv6(ns);
        let l = &decode(&p).layers[0];
        assert_eq!(l.info.as_deref(), Some("Neighbor Solicitation for fd77::2 from 02:77:00:00:00:0a"));
        assert_eq!(value(l, "icmpv6.nd.ns.target_address"), Some(Value::Ipv6(DST_A)));
        assert_eq!(value(l, "icmpv6.opt.linkaddr"), Some(Value::Mac([2, 0x77, 0, 0, 0, 0x0a])));
        assert_eq!(l.find("icmpv6.opt").map(|f| f.range.clone()), Some(64..72));

        let mut na = vec![136, 0, 0, 0, 0x60, 0, 0, 0];
        na.extend_from_slice(&target);
        na.extend_from_slice(&[2, 1, 0x02, 0x77, 0, 0, 0, 0x0b]);
        let p = in_ipv6(na);
        let l = &decode(&p).layers[0];
        assert_eq!(l.info.as_deref(), Some("Neighbor Advertisement fd77::2 (sol, ovr) is at 02:77:00:00:00:0b"));
        assert_eq!(value(l, "icmpv6.nd.na.flag.s"), Some(Value::Bool(true)));
        assert_eq!(value(l, "icmpv6.opt.target_linkaddr"), Some(Value::Mac([2, 0x77, 0, 0, 0, 0x0b])));
        let mut bare = vec![136, 0, 0, 0, 0, 0, 0, 0];
        bare.extend_from_slice(&[0; 16]);
        assert_eq!(decode(&in_ipv6(bare)).layers[0].info.as_deref(), Some("Neighbor Advertisement :: (none)"));
    }

    #[test]
    fn router_advertisement_with_prefix_and_mtu() {
        let mut ra = vec![134, 0, 0, 0, 64, 0x88, 0x07, 0x08, 0, 0, 0, 0, 0, 0, 0, 0];
        ra.extend_from_slice(&[3, 4, 64, 0xc0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
        ra.extend_from_slice(&Ipv6Addr::new(0x2001, 0xdb8, 0, 0xabcd, 0, 0, 0, 0).octets());
        ra.extend_from_slice(&[5, 1, 0, 0, 0, 0, 0x05, 0xdc]);
        ra.extend_from_slice(&[1, 1, 0x02, 0x77, 0, 0, 0, 0x0b]);
        let p = in_ipv6(ra);
        let l = &decode(&p).layers[0];
        assert_eq!(l.info.as_deref(), Some("Router Advertisement from 02:77:00:00:00:0b"));
        assert_eq!(value(l, "icmpv6.nd.ra.router_lifetime"), Some(Value::UInt(1800)));
        assert_eq!(value(l, "icmpv6.nd.ra.flag.m"), Some(Value::Bool(true)));
        assert_eq!(value(l, "icmpv6.nd.ra.flag.prf").and_then(|v| v.as_u64()), Some(1));
        assert_eq!(value(l, "icmpv6.opt.prefix.length"), Some(Value::UInt(64)));
        assert_eq!(value(l, "icmpv6.opt.mtu"), Some(Value::UInt(1500)));
        assert_eq!(value(l, "icmpv6.opt.prefix.flag.a"), Some(Value::Bool(true)));
    }

    #[test]
    fn a_zero_length_option_stops_the_walk() {
        let mut rs = vec![133, 0, 0, 0, 0, 0, 0, 0];
        rs.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7]);
        let p = in_ipv6(rs);
        let l = &decode(&p).layers[0];
        assert_eq!(l.fields.iter().filter(|f| f.key() == "icmpv6.opt").count(), 1);
        assert_eq!(l.info.as_deref(), Some("Router Solicitation"));
    }

    #[test]
    fn errors_quote_the_packet() {
        let mut m = vec![1, 4, 0, 0, 0, 0, 0, 0];
        m.extend_from_slice(&[0x60; 48]);
        let p = in_ipv6(m);
        let s = decode(&p);
        assert_eq!(s.layers[0].info.as_deref(), Some("Destination Unreachable (Port unreachable)"));
        assert_eq!(s.next, Handoff::Quoted);
        assert_eq!(s.payload, 48..96);
        let cases = [
            (1u8, 0u8, "Destination Unreachable (no route to destination)"),
            (1, 9, "Destination Unreachable (Unknown)"),
            (2, 0, "Packet Too Big"),
            (3, 0, "Time Exceeded (hop limit exceeded in transit)"),
            (3, 5, "Time Exceeded (Unknown (5))"),
            (4, 1, "Parameter Problem (unrecognized Next Header type encountered)"),
            (143, 0, "Multicast Listener Report Message v2"),
            (5, 0, "Unknown (5)"),
        ];
        for (t, c, text) in cases {
            let mut m = vec![t, c, 0, 0, 0, 0, 0, 0];
            m.extend_from_slice(&[0; 8]);
            assert_eq!(decode(&in_ipv6(m)).layers[0].info.as_deref(), Some(text), "{t}/{c}");
        }
    }

    #[test]
    fn mldv2_report_records() {
        let mut m = vec![143, 0, 0, 0, 0, 0, 0, 1];
        m.extend_from_slice(&[4, 0, 0, 1]);
        m.extend_from_slice(&Ipv6Addr::new(0xff02, 0, 0, 0, 0, 1, 0xff00, 1).octets());
        m.extend_from_slice(&SRC_A.octets());
        let p = in_ipv6(m);
        let l = &decode(&p).layers[0];
        assert_eq!(value(l, "icmpv6.mldr.mar.record_type").and_then(|v| v.as_u64()), Some(4));
        assert_eq!(value(l, "icmpv6.mldr.mar.source_address"), Some(Value::Ipv6(SRC_A)));
    }

    #[test]
    fn every_too_short_length() {
        let mut ns = vec![135, 0, 0, 0, 0, 0, 0, 0];
        ns.extend_from_slice(&DST_A.octets());
        let p = in_ipv6(ns);
        let need = [("icmpv6.type", 1), ("icmpv6.code", 2), ("icmpv6.checksum", 4), ("icmpv6.reserved", 8), ("icmpv6.nd.ns.target_address", 24)];
        for n in 0..24 {
            let s = icmpv6(&p, 40..40 + n, DecodeCtx::default(), &pseudo(24));
            let l = &s.layers[0];
            for (key, at) in need {
                assert_eq!(l.find(key).is_some(), n >= at, "{key} at {n}");
            }
            assert_eq!(s.next, Handoff::End);
            if n >= 4 {
                assert_eq!(value(l, "icmpv6.checksum.status").and_then(|v| v.as_u64()), Some(2), "unverified when cut");
            }
            crate::check_ranges(&s, 40 + n);
        }
    }

    #[test]
    fn etherparse_builds_what_we_read() {
        let builder = etherparse::PacketBuilder::ipv6(SRC_A.octets(), DST_A.octets(), 47).icmpv6_echo_reply(0x0102, 7);
        let mut p = Vec::new();
        builder.write(&mut p, b"hi").expect("write");
        let l = &decode(&p).layers[0];
        assert_eq!(l.info.as_deref(), Some("Echo (ping) reply id=0x0102, seq=7, hop limit=47"));
        assert_eq!(value(l, "icmpv6.checksum.status").and_then(|v| v.as_u64()), Some(1));
    }

    proptest::proptest! {
        #[test]
        fn known_types_with_arbitrary_bodies(t in proptest::sample::select(vec![1u8, 2, 3, 4, 128, 129, 130, 133, 134, 135, 136, 137, 143, 160]), body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..120), cut in 0usize..140) {
            let mut m = vec![t, 0, 0, 0];
            m.extend_from_slice(&body);
            let p = in_ipv6(m);
            let n = (40 + cut).min(p.len());
            let s = icmpv6(&p[..n], 40..n, DecodeCtx::default(), &pseudo(p.len() - 40));
            crate::check_ranges(&s, n);
        }

        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..160), a in 0usize..60, len in 0usize..200, depth in 0u8..2) {
            let s = icmpv6(&data, a..data.len() + 2, DecodeCtx { depth, ..Default::default() }, &pseudo(len));
            crate::check_ranges(&s, data.len());
        }
    }
}
