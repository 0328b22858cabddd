//! DNS (RFC 1035), and the same message format as multicast DNS (RFC 6762, UDP 5353) and LLMNR
//! (RFC 4795, UDP 5355). Over TCP each message is preceded by a 2-byte length (RFC 1035 §4.2.2).
//!
//! ```text
//!                                 1  1  1  1  1  1
//!   0  1  2  3  4  5  6  7  8  9  0  1  2  3  4  5
//! +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
//! |                      ID                       |
//! +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
//! |QR|   Opcode  |AA|TC|RD|RA| Z|AD|CD|   RCODE   |
//! +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
//! |                    QDCOUNT                    |
//! +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
//! |                    ANCOUNT                    |
//! +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
//! |                    NSCOUNT                    |
//! +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
//! |                    ARCOUNT                    |
//! +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
//! then QDCOUNT questions (NAME, TYPE, CLASS) and the answer, authority and additional
//! resource records (NAME, TYPE, CLASS, TTL, RDLENGTH, RDATA).
//! ```
//!
//! <https://www.rfc-editor.org/rfc/rfc1035>. What tshark 4.0 shows of a short message: the ID
//! and flags need 4 bytes, each count its own 2; a question appears only whole (name, type and
//! class), a record only with all its RDATA. A compression pointer that loops gives the name
//! `<Name contains a pointer that loops>` and decoding goes on; a pointer past the message, a
//! reserved label type or a name that runs off the end stops it.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::ops::Range;

use netlayers_core::escape;
use netlayers_core::{DecodeCtx, Field, FieldSpec, Handoff, Layer, LayerKind, Note, Severity, Step, Value};

use netlayers_core::window::Window;

use netlayers_core::text::{push_decimal, push_hex4, push_ipv4};

mod field {
    use std::ops::Range;
    pub const ID: Range<usize> = 0..2;
    pub const FLAGS: Range<usize> = 2..4;
    pub const QDCOUNT: Range<usize> = 4..6;
    pub const ANCOUNT: Range<usize> = 6..8;
    pub const NSCOUNT: Range<usize> = 8..10;
    pub const ARCOUNT: Range<usize> = 10..12;
    pub const HEADER_LEN: usize = 12;
    /// TCP's length prefix before each message.
    pub const TCP_LENGTH: Range<usize> = 0..2;
}

const QR: u16 = 0x8000;
const OPCODE: u16 = 0x7800;
const AA: u16 = 0x0400;
const TC: u16 = 0x0200;
const RD: u16 = 0x0100;
const RA: u16 = 0x0080;
const Z: u16 = 0x0040;
const AD: u16 = 0x0020;
const CD: u16 = 0x0010;
const RCODE: u16 = 0x000f;
const OPCODE_UPDATE: u16 = 5;

/// Longest name tshark prints before it shows `<Name too long>` (RFC 1035's 255 bytes on the
/// wire are 253 characters of text).
const MAX_NAME_LEN: usize = 253;

const TYPE_A: u16 = 1;
const TYPE_NS: u16 = 2;
const TYPE_CNAME: u16 = 5;
const TYPE_SOA: u16 = 6;
const TYPE_PTR: u16 = 12;
const TYPE_MX: u16 = 15;
const TYPE_TXT: u16 = 16;
const TYPE_AAAA: u16 = 28;
const TYPE_SRV: u16 = 33;
const TYPE_OPT: u16 = 41;

spec!(LENGTH, "dns.length", "Length", "长度",
    "Over TCP, which is a byte stream without message boundaries, each DNS message is preceded by its length in 2 bytes.",
    "TCP 是没有消息边界的字节流,所以通过 TCP 传输时,每条 DNS 消息前面都有 2 字节的长度。");
spec!(ID, "dns.id", "Transaction ID", "事务 ID",
    "Chosen by the client and copied into the reply, so the client can match answers to questions (a random ID also makes forged answers harder).",
    "由客户端选择并被复制到回复中,客户端据此把回答与问题对应起来(随机的 ID 也让伪造回答更困难)。");
spec!(FLAGS, "dns.flags", "Flags", "标志",
    "Query or response, the kind of operation, and how the server handled it (authoritative, recursion, result code).",
    "是查询还是响应、操作的种类,以及服务器如何处理它(是否权威、是否递归、结果码)。");
spec!(FLAG_RESPONSE, "dns.flags.response", "Response", "响应",
    "0 for a query, 1 for a response.",
    "0 表示查询,1 表示响应。");
spec!(FLAG_OPCODE, "dns.flags.opcode", "Opcode", "操作码",
    "Kind of request: 0 standard query; 4 notify and 5 dynamic update are used between servers.",
    "请求的种类:0 为标准查询;4(通知)和 5(动态更新)用于服务器之间。");
spec!(FLAG_AUTHORITATIVE, "dns.flags.authoritative", "Authoritative", "权威应答",
    "Set when the answering server is an authority for the name, not a cache repeating someone else's answer.",
    "当回答的服务器是该名字的权威服务器,而不是转述别人答案的缓存时置位。");
spec!(FLAG_CONFLICT, "dns.flags.conflict", "Conflict", "冲突",
    "LLMNR: the responder saw that the name is claimed by more than one host.",
    "LLMNR:响应方发现该名字被不止一台主机占用。");
spec!(FLAG_TRUNCATED, "dns.flags.truncated", "Truncated", "截断",
    "The message did not fit (512 bytes over UDP without EDNS); the client should retry over TCP.",
    "消息放不下(不用 EDNS 时 UDP 限制为 512 字节);客户端应改用 TCP 重试。");
spec!(FLAG_RECDESIRED, "dns.flags.recdesired", "Recursion desired", "期望递归",
    "The client asks the server to find the answer for it, querying other servers as needed.",
    "客户端请求服务器代为查找答案,必要时由服务器去询问其他服务器。");
spec!(FLAG_TENTATIVE, "dns.flags.tentative", "Tentative", "暂定",
    "LLMNR: the responder has not yet verified that the name is unique.",
    "LLMNR:响应方还没有确认该名字是唯一的。");
spec!(FLAG_RECAVAIL, "dns.flags.recavail", "Recursion available", "可用递归",
    "The server is willing to do recursive lookups.",
    "服务器愿意执行递归查询。");
spec!(FLAG_Z, "dns.flags.z", "Z", "Z 保留位",
    "Reserved; must be zero.",
    "保留位,必须为 0。");
spec!(FLAG_AUTHENTICATED, "dns.flags.authenticated", "Answer authenticated", "应答已认证",
    "DNSSEC: the server validated the answer's signatures.",
    "DNSSEC:服务器已经验证了应答的签名。");
spec!(FLAG_CHECKDISABLE, "dns.flags.checkdisable", "Non-authenticated data", "接受未认证数据",
    "DNSSEC: the client accepts data the server did not validate.",
    "DNSSEC:客户端接受服务器未经验证的数据。");
spec!(FLAG_RCODE, "dns.flags.rcode", "Reply code", "响应码",
    "Result of the query: 0 no error, 2 server failure, 3 no such name (NXDOMAIN), 5 refused.",
    "查询的结果:0 无错误,2 服务器失败,3 名字不存在(NXDOMAIN),5 拒绝。");
spec!(COUNT_QUERIES, "dns.count.queries", "Questions", "问题数",
    "Number of questions that follow; almost always 1.",
    "后面跟随的问题个数;几乎总是 1。");
spec!(COUNT_ANSWERS, "dns.count.answers", "Answer RRs", "回答记录数",
    "Number of resource records answering the question.",
    "回答该问题的资源记录个数。");
spec!(COUNT_AUTH, "dns.count.auth_rr", "Authority RRs", "权威记录数",
    "Number of records naming the authoritative servers (or the SOA record of a negative answer).",
    "指出权威服务器的记录个数(否定回答中则是 SOA 记录)。");
spec!(COUNT_ADD, "dns.count.add_rr", "Additional RRs", "附加记录数",
    "Number of extra records, such as the addresses of those servers or the EDNS OPT record.",
    "额外记录的个数,例如这些服务器的地址,或 EDNS 的 OPT 记录。");
spec!(COUNT_ZONES, "dns.count.zones", "Zones", "区域数",
    "In a dynamic update (opcode 5) the question count names the zone being changed; always 1.",
    "在动态更新(操作码 5)中,问题计数表示要修改的区域个数;总是 1。");
spec!(COUNT_PREREQUISITES, "dns.count.prerequisites", "Prerequisites", "前提条件数",
    "Dynamic update: records that must (or must not) exist before the change is applied.",
    "动态更新:执行修改之前必须存在(或必须不存在)的记录个数。");
spec!(COUNT_UPDATES, "dns.count.updates", "Updates", "更新数",
    "Dynamic update: records to add or delete.",
    "动态更新:要添加或删除的记录个数。");
spec!(QUERY, "dns.query", "Query", "查询",
    "One question: a name, the record type wanted and the class.",
    "一个问题:名字、想要的记录类型和类别。");
spec!(QRY_NAME, "dns.qry.name", "Name", "名字",
    "The name asked about, labels joined by dots. On the wire each label is a length byte and its characters, ending with an empty label (the root).",
    "所查询的名字,各标签用点连接。在线路上,每个标签是一个长度字节加上字符,最后以空标签(根)结束。");
spec!(QRY_NAME_LEN, "dns.qry.name.len", "Name Length", "名字长度",
    "Length of the name as text.",
    "名字作为文本的长度。");
spec!(COUNT_LABELS, "dns.count.labels", "Label Count", "标签数",
    "Number of labels in the name.",
    "名字中标签的个数。");
spec!(QRY_TYPE, "dns.qry.type", "Type", "类型",
    "Record type wanted: 1 A (IPv4 address), 28 AAAA (IPv6), 5 CNAME, 15 MX, 16 TXT, 12 PTR (reverse lookup), 255 ANY.",
    "想要的记录类型:1 为 A(IPv4 地址),28 为 AAAA(IPv6),5 为 CNAME,15 为 MX,16 为 TXT,12 为 PTR(反向查询),255 为 ANY。");
spec!(QRY_CLASS, "dns.qry.class", "Class", "类别",
    "Almost always 1, IN (Internet). CH (3) is used for server diagnostics such as version.bind.",
    "几乎总是 1,即 IN(互联网)。CH(3)用于服务器诊断,例如 version.bind。");
spec!(QRY_QU, "dns.qry.qu", "\"QU\" question", "“QU”问题",
    "mDNS: the top bit of the class asks for a unicast reply instead of a multicast one.",
    "mDNS:类别字段的最高位请求以单播而不是组播方式回复。");
spec!(ANSWER, "dns.answer", "Answer", "回答",
    "A resource record answering the question.",
    "回答问题的一条资源记录。");
spec!(AUTHORITY, "dns.authority", "Authoritative nameserver", "权威名字服务器",
    "A record about the servers responsible for the zone.",
    "关于负责该区域的服务器的一条记录。");
spec!(ADDITIONAL, "dns.additional", "Additional record", "附加记录",
    "An extra record the server adds to save further queries, or the EDNS OPT pseudo-record.",
    "服务器附带的额外记录,可省去后续查询;或者是 EDNS 的 OPT 伪记录。");
spec!(RESP_NAME, "dns.resp.name", "Name", "名字",
    "The name this record is about (often a 2-byte pointer back to the question's name: message compression).",
    "这条记录所描述的名字(常常是指回问题中名字的 2 字节指针,即消息压缩)。");
spec!(RESP_TYPE, "dns.resp.type", "Type", "类型",
    "Record type: what the data holds.",
    "记录类型:说明数据部分的内容。");
spec!(RESP_CLASS, "dns.resp.class", "Class", "类别",
    "Almost always 1, IN (Internet).",
    "几乎总是 1,即 IN(互联网)。");
spec!(RESP_CACHE_FLUSH, "dns.resp.cache_flush", "Cache flush", "缓存刷新",
    "mDNS: the top bit of the class tells receivers to replace what they cached for this name.",
    "mDNS:类别字段的最高位通知接收方替换它们为这个名字缓存的记录。");
spec!(RESP_TTL, "dns.resp.ttl", "Time to live", "生存时间",
    "Seconds this record may be cached before asking again.",
    "这条记录在重新查询前可以被缓存的秒数。");
spec!(RESP_LEN, "dns.resp.len", "Data length", "数据长度",
    "Length of the record data in bytes.",
    "记录数据的字节长度。");
spec!(A, "dns.a", "Address", "地址",
    "IPv4 address of the name.",
    "该名字对应的 IPv4 地址。");
spec!(AAAA, "dns.aaaa", "AAAA Address", "AAAA 地址",
    "IPv6 address of the name.",
    "该名字对应的 IPv6 地址。");
spec!(CNAME, "dns.cname", "CNAME", "规范名",
    "The name is an alias: look up this canonical name instead.",
    "该名字是一个别名:应改为查询这个规范名字。");
spec!(NS, "dns.ns", "Name Server", "名字服务器",
    "A server authoritative for the zone.",
    "该区域的权威服务器。");
spec!(PTR, "dns.ptr.domain_name", "Domain Name", "域名",
    "The name a reverse (address-to-name) lookup points to.",
    "反向查询(由地址查名字)所指向的名字。");
spec!(MX_PREFERENCE, "dns.mx.preference", "Preference", "优先级",
    "Mail servers with lower numbers are tried first.",
    "数值较小的邮件服务器优先尝试。");
spec!(MX_EXCHANGE, "dns.mx.mail_exchange", "Mail Exchange", "邮件交换器",
    "A host that accepts mail for the domain.",
    "为该域接收邮件的主机。");
spec!(TXT_LENGTH, "dns.txt.length", "TXT Length", "TXT 长度",
    "Length of the following character string.",
    "后面字符串的长度。");
spec!(TXT, "dns.txt", "TXT", "TXT",
    "Free text, used for SPF mail policies, domain verification and similar.",
    "自由文本,用于 SPF 邮件策略、域名验证等。");
spec!(SOA_MNAME, "dns.soa.mname", "Primary name server", "主名字服务器",
    "The zone's primary server.",
    "该区域的主服务器。");
spec!(SOA_RNAME, "dns.soa.rname", "Responsible authority's mailbox", "负责人邮箱",
    "The administrator's e-mail address, with the @ written as the first dot.",
    "管理员的电子邮件地址,其中 @ 写成第一个点。");
spec!(SOA_SERIAL, "dns.soa.serial_number", "Serial Number", "序列号",
    "Version of the zone; secondaries copy it again when it grows.",
    "区域的版本号;它增大时,辅服务器会重新复制区域。");
spec!(SOA_REFRESH, "dns.soa.refresh_interval", "Refresh Interval", "刷新间隔",
    "Seconds between secondaries' checks of the serial number.",
    "辅服务器检查序列号的间隔秒数。");
spec!(SOA_RETRY, "dns.soa.retry_interval", "Retry Interval", "重试间隔",
    "Seconds to wait before retrying a failed refresh.",
    "刷新失败后重试前等待的秒数。");
spec!(SOA_EXPIRE, "dns.soa.expire_limit", "Expire limit", "过期时限",
    "Seconds after which a secondary that cannot refresh stops answering for the zone.",
    "辅服务器无法刷新时,经过这么多秒后停止为该区域应答。");
spec!(SOA_MINIMUM, "dns.soa.minimum_ttl", "Minimum TTL", "最小 TTL",
    "How long resolvers may cache a negative answer (\"no such name\").",
    "解析器可以缓存否定回答(“名字不存在”)的时长。");
spec!(SRV_SERVICE, "dns.srv.service", "Service", "服务",
    "The service label of the owner name (_sip, _ldap …).",
    "记录所属名字中的服务标签(_sip、_ldap 等)。");
spec!(SRV_PROTO, "dns.srv.proto", "Protocol", "协议",
    "The transport label of the owner name (_tcp or _udp).",
    "记录所属名字中的传输协议标签(_tcp 或 _udp)。");
spec!(SRV_NAME, "dns.srv.name", "Name", "名字",
    "The domain the service belongs to.",
    "该服务所属的域。");
spec!(SRV_PRIORITY, "dns.srv.priority", "Priority", "优先级",
    "Servers with lower priority are tried first.",
    "优先级数值较小的服务器优先尝试。");
spec!(SRV_WEIGHT, "dns.srv.weight", "Weight", "权重",
    "Shares the load between servers of equal priority.",
    "在优先级相同的服务器之间分配负载。");
spec!(SRV_PORT, "dns.srv.port", "Port", "端口",
    "The port the service listens on: with the target's address it names the server process.",
    "服务监听的端口:它与目标主机的地址一起指明服务器进程。");
spec!(SRV_TARGET, "dns.srv.target", "Target", "目标",
    "The host that provides the service.",
    "提供该服务的主机。");
spec!(OPT_UDP_SIZE, "dns.rr.udp_payload_size", "UDP payload size", "UDP 载荷大小",
    "EDNS: the largest UDP reply the sender can receive (instead of the classic 512 bytes).",
    "EDNS:发送方能够接收的最大 UDP 回复长度(取代传统的 512 字节)。");
spec!(OPT_EXT_RCODE, "dns.resp.ext_rcode", "Higher bits in extended RCODE", "扩展响应码高位",
    "EDNS: upper 8 bits of a 12-bit reply code.",
    "EDNS:12 位响应码的高 8 位。");
spec!(OPT_VERSION, "dns.resp.edns0_version", "EDNS0 version", "EDNS0 版本",
    "EDNS version, 0 today.",
    "EDNS 版本,目前为 0。");
spec!(OPT_Z, "dns.resp.z", "Z", "Z 标志",
    "EDNS flags; the top bit is DO.",
    "EDNS 标志;最高位是 DO。");
spec!(OPT_DO, "dns.resp.z.do", "DO bit", "DO 位",
    "The sender wants DNSSEC signatures in the answer.",
    "发送方希望回答中包含 DNSSEC 签名。");
spec!(RDATA, "dns.data", "Data", "数据",
    "Record data of a type this decoder does not break down.",
    "本解码器不进一步解析的记录类型的数据。");

/// Which protocol uses the DNS message format here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    Dns,
    Mdns,
    Llmnr,
}

impl Flavor {
    fn protocol(self) -> &'static str {
        match self {
            Flavor::Dns => "dns",
            Flavor::Mdns => "mdns",
            Flavor::Llmnr => "llmnr",
        }
    }
    fn display(self) -> &'static str {
        match self {
            Flavor::Dns => "DNS",
            Flavor::Mdns => "MDNS",
            Flavor::Llmnr => "LLMNR",
        }
    }
    fn title(self) -> &'static str {
        match self {
            Flavor::Dns => "Domain Name System",
            Flavor::Mdns => "Multicast Domain Name System",
            Flavor::Llmnr => "Link-local Multicast Name Resolution",
        }
    }
}

/// The short type name of Wireshark's Info column and tree.
pub(crate) fn type_name(t: u16) -> Option<&'static str> {
    Some(match t {
        1 => "A",
        2 => "NS",
        3 => "MD",
        4 => "MF",
        5 => "CNAME",
        6 => "SOA",
        7 => "MB",
        8 => "MG",
        9 => "MR",
        10 => "NULL",
        11 => "WKS",
        12 => "PTR",
        13 => "HINFO",
        14 => "MINFO",
        15 => "MX",
        16 => "TXT",
        17 => "RP",
        18 => "AFSDB",
        24 => "SIG",
        25 => "KEY",
        28 => "AAAA",
        29 => "LOC",
        33 => "SRV",
        35 => "NAPTR",
        36 => "KX",
        37 => "CERT",
        39 => "DNAME",
        41 => "OPT",
        42 => "APL",
        43 => "DS",
        44 => "SSHFP",
        45 => "IPSECKEY",
        46 => "RRSIG",
        47 => "NSEC",
        48 => "DNSKEY",
        49 => "DHCID",
        50 => "NSEC3",
        51 => "NSEC3PARAM",
        52 => "TLSA",
        53 => "SMIMEA",
        55 => "HIP",
        59 => "CDS",
        60 => "CDNSKEY",
        61 => "OPENPGPKEY",
        62 => "CSYNC",
        63 => "ZONEMD",
        64 => "SVCB",
        65 => "HTTPS",
        99 => "SPF",
        249 => "TKEY",
        250 => "TSIG",
        251 => "IXFR",
        252 => "AXFR",
        253 => "MAILB",
        254 => "MAILA",
        255 => "ANY",
        256 => "URI",
        257 => "CAA",
        32768 => "TA",
        32769 => "DLV",
        _ => return None,
    })
}

/// Appends the type's name, or `Unknown (n)`.
fn push_type(out: &mut String, t: u16) {
    match type_name(t) {
        Some(name) => out.push_str(name),
        None => {
            out.push_str("Unknown (");
            push_decimal(out, t);
            out.push(')');
        }
    }
}

fn class_name(c: u16) -> Option<&'static str> {
    Some(match c {
        1 => "IN",
        3 => "CH",
        4 => "HS",
        254 => "NONE",
        255 => "ANY",
        _ => return None,
    })
}

fn opcode_name(op: u16) -> Option<&'static str> {
    Some(match op {
        0 => "Standard query",
        1 => "Inverse query",
        2 => "Server status request",
        4 => "Zone change notification",
        5 => "Dynamic update",
        6 => "DNS Stateful operations (DSO)",
        _ => return None,
    })
}

/// Appends the opcode's name, or `Unknown operation (n)`.
fn push_opcode(out: &mut String, op: u16) {
    match opcode_name(op) {
        Some(name) => out.push_str(name),
        None => {
            out.push_str("Unknown operation (");
            push_decimal(out, op);
            out.push(')');
        }
    }
}

fn rcode_name(rc: u16) -> &'static str {
    match rc {
        0 => "No error",
        1 => "Format error",
        2 => "Server failure",
        3 => "No such name",
        4 => "Not implemented",
        5 => "Refused",
        6 => "Name exists",
        7 => "RRset exists",
        8 => "RRset does not exist",
        9 => "Not authoritative",
        10 => "Name out of zone",
        11 => "DSO-Type not implemented",
        _ => "Unassigned",
    }
}

/// A name read from the message: the text tshark shows, its length and label count, and where
/// the record goes on after it.
#[derive(Debug, Clone, PartialEq)]
struct Name {
    text: String,
    /// Length of the name text in bytes (raw bytes for a real name, as tshark counts).
    len: usize,
    labels: usize,
    /// Header-relative offset just after the name in the record (after the first pointer).
    next: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NameError {
    /// The name runs past the captured bytes (or the message).
    Truncated,
    /// A pointer past the end of the message, or a reserved label type (0x40, 0x80).
    Malformed,
}

/// Reads a (possibly compressed) name at `off`. Pointers may go anywhere inside the message;
/// a name that keeps jumping is reported as a loop, never followed for ever.
fn read_name(msg: &Window<'_>, off: usize) -> Result<Name, NameError> {
    // Room for a typical name, so the labels rarely make it grow.
    let mut raw: Vec<u8> = Vec::with_capacity(64);
    let mut pos = off;
    let mut next = None;
    // Every jump must land on a label; more jumps than bytes in the message means a loop.
    let mut jumps = 0usize;
    let mut looped = false;
    loop {
        let Some(len) = msg.u8(pos) else { return Err(NameError::Truncated) };
        match len & 0xc0 {
            0x00 => {
                if len == 0 {
                    break;
                }
                let len = usize::from(len);
                let label = msg.bytes(pos + 1..pos + 1 + len).ok_or(NameError::Truncated)?;
                if !raw.is_empty() {
                    raw.push(b'.');
                }
                raw.extend_from_slice(label);
                pos += 1 + len;
            }
            0xc0 => {
                let Some(lo) = msg.u8(pos + 1) else { return Err(NameError::Truncated) };
                let target = usize::from(u16::from_be_bytes([len & 0x3f, lo]));
                if next.is_none() {
                    next = Some(pos + 2);
                }
                if target >= msg.len() {
                    return Err(NameError::Malformed);
                }
                jumps += 1;
                if jumps > msg.len() / 2 + 1 {
                    looped = true;
                    break;
                }
                pos = target;
            }
            _ => return Err(NameError::Malformed),
        }
    }
    let next = next.unwrap_or(pos + 1);
    let special = |s: &str| Name { text: s.to_string(), len: s.len(), labels: 1, next };
    if looped {
        return Ok(special("<Name contains a pointer that loops>"));
    }
    if raw.is_empty() {
        return Ok(special("<Root>"));
    }
    if raw.len() > MAX_NAME_LEN {
        return Ok(special("<Name too long>"));
    }
    let len = raw.len();
    let labels = raw.iter().filter(|&&b| b == b'.').count() + 1;
    // Names are almost always ASCII: take the bytes as they are, replace invalid UTF-8 only
    // when there is some.
    let text = String::from_utf8(raw).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    Ok(Name { len, labels, text, next })
}

fn name_note(e: NameError, what: &str, at: usize) -> Note {
    match e {
        NameError::Truncated => Note::new(
            Severity::Error,
            "truncated",
            format!("DNS {what} cut off at byte {at} of the message"),
            format!("DNS {what}在消息第 {at} 字节处被截断"),
        ),
        NameError::Malformed => Note::new(
            Severity::Error,
            "dns.malformed",
            format!("Malformed DNS {what} at byte {at}: a compression pointer points past the message or a label type is reserved"),
            format!("第 {at} 字节处的 DNS {what}格式错误:压缩指针指向消息之外,或使用了保留的标签类型"),
        ),
    }
}

/// DNS, mDNS or LLMNR over UDP: the whole payload is one message.
pub(crate) fn udp(frame: &[u8], at: Range<usize>, ctx: DecodeCtx, flavor: Flavor) -> Step {
    let w = Window::new(frame, at);
    let layer = message(&w, flavor, None, ctx);
    Step { layers: vec![layer], next: Handoff::End, payload: w.end()..w.end() }
}

/// DNS over TCP: messages each behind a 2-byte length; a segment may hold several.
pub(crate) fn tcp(frame: &[u8], at: Range<usize>, ctx: DecodeCtx) -> Step {
    let w = Window::new(frame, at);
    let mut layers = Vec::new();
    let mut off = 0usize;
    while off < w.len() {
        let pdu = w.sub(off..w.len());
        let Some(len) = pdu.u16(field::TCP_LENGTH.start) else {
            let mut l = Layer::new(LayerKind::Application, "dns", "DNS", pdu.abs(0..pdu.len()));
            l.title = Flavor::Dns.title().to_string();
            l.notes.push(Note::truncated("DNS length prefix", pdu.start(), 2, pdu.len()));
            layers.push(l);
            break;
        };
        let len = usize::from(len);
        let msg = pdu.sub(2..2 + len);
        let mut l = message(&msg, Flavor::Dns, Some((len, pdu.abs(field::TCP_LENGTH))), ctx);
        l.range = pdu.abs(0..2 + len);
        layers.push(l);
        off += 2 + len;
    }
    Step { layers, next: Handoff::End, payload: w.end()..w.end() }
}

/// One DNS message in `w` (exactly the message's bytes, as far as captured).
fn message(w: &Window<'_>, flavor: Flavor, tcp_len: Option<(usize, Range<usize>)>, _ctx: DecodeCtx) -> Layer {
    let mut layer = Layer::new(LayerKind::Application, flavor.protocol(), flavor.display(), w.abs(0..w.len()));
    // tshark reads ID and flags before it adds anything, so a message under 4 bytes shows none
    // of its fields (not even the TCP length).
    let (Some(id), Some(flags)) = (w.u16(field::ID.start), w.u16(field::FLAGS.start)) else {
        layer.title = flavor.title().to_string();
        layer.notes.push(Note::truncated("DNS header", w.start(), field::HEADER_LEN, w.len()));
        return layer;
    };
    // Header fields (at most 7) and room for a few questions and records.
    let mut fs = Vec::with_capacity(12);
    if let Some((len, r)) = tcp_len {
        fs.push(Field::new(&LENGTH, Value::UInt(len as u64), r));
    }
    let response = flags & QR != 0;
    let opcode = (flags & OPCODE) >> 11;
    let rcode = flags & RCODE;
    layer.title = [flavor.title(), if response { " (response)" } else { " (query)" }].concat();
    fs.push(Field::new(&ID, Value::Hex { value: id.into(), digits: 4 }, w.abs(field::ID)));
    fs.push(flags_field(w, flags, flavor));

    let mut info = String::with_capacity(128);
    push_opcode(&mut info, opcode);
    if response {
        info.push_str(" response");
    }
    info.push_str(" 0x");
    push_hex4(&mut info, id);
    if response && rcode != 0 {
        info.push(' ');
        info.push_str(rcode_name(rcode));
    }

    // A dynamic update reuses the four counts for zones, prerequisites and updates.
    let counts = if opcode == OPCODE_UPDATE {
        [
            (&COUNT_ZONES, field::QDCOUNT),
            (&COUNT_PREREQUISITES, field::ANCOUNT),
            (&COUNT_UPDATES, field::NSCOUNT),
            (&COUNT_ADD, field::ARCOUNT),
        ]
    } else {
        [
            (&COUNT_QUERIES, field::QDCOUNT),
            (&COUNT_ANSWERS, field::ANCOUNT),
            (&COUNT_AUTH, field::NSCOUNT),
            (&COUNT_ADD, field::ARCOUNT),
        ]
    };
    let mut n = [0u16; 4];
    for (i, (spec, r)) in counts.iter().enumerate() {
        match w.u16(r.start) {
            Some(v) => {
                n[i] = v;
                fs.push(Field::new(spec, Value::UInt(v.into()), w.abs(r.clone())));
            }
            None => {
                layer.notes.push(Note::truncated("DNS header", w.start(), field::HEADER_LEN, w.len()));
                layer.fields = fs;
                layer.info = Some(info);
                return layer;
            }
        }
    }

    let mut off = field::HEADER_LEN;
    let mut stop: Option<Note> = None;
    for _ in 0..n[0] {
        match question(w, off, flavor, &mut info) {
            Ok((f, next)) => {
                fs.push(f);
                off = next;
            }
            Err(note) => {
                stop = Some(note);
                break;
            }
        }
    }
    let sections = [(&ANSWER, n[1]), (&AUTHORITY, n[2]), (&ADDITIONAL, n[3])];
    'sections: for (spec, count) in sections {
        if stop.is_some() {
            break;
        }
        for _ in 0..count {
            match record(w, off, spec, flavor, &mut info) {
                Ok((f, next)) => {
                    fs.push(f);
                    off = next;
                }
                Err(note) => {
                    stop = Some(note);
                    break 'sections;
                }
            }
        }
    }
    if let Some(note) = stop {
        layer.notes.push(note);
    } else if off < w.len() {
        layer.notes.push(Note::new(
            Severity::Warn,
            "dns.extraneous",
            format!("{} bytes after the last record", w.len() - off),
            format!("最后一条记录之后还有 {} 字节", w.len() - off),
        ));
    }
    layer.fields = fs;
    layer.info = Some(escaped(info));
    layer
}

/// `info` with packet text escaped ([`escape::text`]), without copying it when nothing needs
/// escaping (the usual case).
fn escaped(info: String) -> String {
    // Printable ASCII without a backslash never needs escaping: a quick look settles most names.
    if info.bytes().all(|b| (b' '..=b'~').contains(&b) && b != b'\\') {
        return info;
    }
    let changed = match escape::text(&info) {
        std::borrow::Cow::Owned(e) => Some(e),
        std::borrow::Cow::Borrowed(_) => None,
    };
    changed.unwrap_or(info)
}

fn flags_field(w: &Window<'_>, flags: u16, flavor: Flavor) -> Field {
    let r = w.abs(field::FLAGS);
    let response = flags & QR != 0;
    let bit = |spec: &'static FieldSpec, mask: u16| Field::new(spec, Value::Bool(flags & mask != 0), r.clone()).with_mask(mask.into());
    let opcode = (flags & OPCODE) >> 11;
    let rcode = flags & RCODE;
    let mut opcode_display = String::with_capacity(40);
    push_opcode(&mut opcode_display, opcode);
    opcode_display.push_str(" (");
    push_decimal(&mut opcode_display, opcode);
    opcode_display.push(')');
    let mut children = Vec::with_capacity(10);
    children.extend([
        bit(&FLAG_RESPONSE, QR),
        Field::new(&FLAG_OPCODE, Value::Enum { value: opcode.into(), name: None }, r.clone())
            .with_mask(OPCODE.into())
            .with_display(opcode_display),
    ]);
    let rcode_field = || {
        Field::new(&FLAG_RCODE, Value::Enum { value: rcode.into(), name: Some(rcode_name(rcode)) }, r.clone()).with_mask(RCODE.into())
    };
    if flavor == Flavor::Llmnr {
        children.extend([bit(&FLAG_CONFLICT, AA), bit(&FLAG_TRUNCATED, TC), bit(&FLAG_TENTATIVE, RD)]);
        if response {
            children.push(rcode_field());
        }
    } else if response {
        children.extend([
            bit(&FLAG_AUTHORITATIVE, AA),
            bit(&FLAG_TRUNCATED, TC),
            bit(&FLAG_RECDESIRED, RD),
            bit(&FLAG_RECAVAIL, RA),
            bit(&FLAG_Z, Z),
            bit(&FLAG_AUTHENTICATED, AD),
            bit(&FLAG_CHECKDISABLE, CD),
            rcode_field(),
        ]);
    } else {
        children.extend([bit(&FLAG_TRUNCATED, TC), bit(&FLAG_RECDESIRED, RD), bit(&FLAG_Z, Z), bit(&FLAG_CHECKDISABLE, CD)]);
    }
    let mut display = String::with_capacity(64);
    display.push_str("0x");
    push_hex4(&mut display, flags);
    display.push(' ');
    push_opcode(&mut display, opcode);
    if response {
        display.push_str(" response, ");
        display.push_str(rcode_name(rcode));
    }
    Field::new(&FLAGS, Value::Hex { value: flags.into(), digits: 4 }, r).with_display(display).with_children(children)
}

/// The class field, with mDNS's top bit (QU in a question, cache flush in a record) split off,
/// appended to `out`.
fn class_fields(
    w: &Window<'_>,
    at: usize,
    raw: u16,
    spec: &'static FieldSpec,
    top: &'static FieldSpec,
    flavor: Flavor,
    out: &mut Vec<Field>,
) {
    let r = w.abs(at..at + 2);
    let c = if flavor == Flavor::Mdns { raw & 0x7fff } else { raw };
    // `IN (0x0001)`
    let mut display = String::with_capacity(16);
    display.push_str(class_name(c).unwrap_or("Unknown"));
    display.push_str(" (0x");
    push_hex4(&mut display, c);
    display.push(')');
    if flavor == Flavor::Mdns {
        out.push(Field::new(spec, Value::Hex { value: c.into(), digits: 4 }, r.clone()).with_mask(0x7fff).with_display(display));
        out.push(Field::new(top, Value::Bool(raw & 0x8000 != 0), r).with_mask(0x8000));
    } else {
        out.push(Field::new(spec, Value::Hex { value: c.into(), digits: 4 }, r).with_display(display));
    }
}

/// One question: the group field and where the next item starts; its Info words
/// (` A www.example.test`) are appended to `info`. A question is all or nothing, as in tshark.
fn question(w: &Window<'_>, off: usize, flavor: Flavor, info: &mut String) -> Result<(Field, usize), Note> {
    let name = read_name(w, off).map_err(|e| name_note(e, "question name", off))?;
    let at = name.next;
    let (Some(t), Some(c)) = (w.u16(at), w.u16(at + 2)) else {
        return Err(name_note(NameError::Truncated, "question", at));
    };
    let class = class_name(if flavor == Flavor::Mdns { c & 0x7fff } else { c }).unwrap_or("Unknown");
    // `www.example.test: type A, class IN`
    let mut display = String::with_capacity(name.text.len() + 40);
    display.push_str(&name.text);
    display.push_str(": type ");
    push_type(&mut display, t);
    display.push_str(", class ");
    display.push_str(class);
    info.push(' ');
    push_type(info, t);
    info.push(' ');
    info.push_str(&name.text);
    if flavor == Flavor::Mdns {
        let q = if c & 0x8000 != 0 { ", \"QU\" question" } else { ", \"QM\" question" };
        display.push_str(q);
        info.push_str(q);
    }
    let mut children = Vec::with_capacity(6);
    children.extend([
        Field::new(&QRY_NAME, Value::Text(name.text), w.abs(off..at)),
        Field::generated(&QRY_NAME_LEN, Value::UInt(name.len as u64)),
        Field::generated(&COUNT_LABELS, Value::UInt(name.labels as u64)),
        Field::new(&QRY_TYPE, Value::Enum { value: t.into(), name: type_name(t) }, w.abs(at..at + 2)),
    ]);
    class_fields(w, at + 2, c, &QRY_CLASS, &QRY_QU, flavor, &mut children);
    let f = Field::new(&QUERY, Value::None, w.abs(off..at + 4)).with_display(display).with_children(children);
    Ok((f, at + 4))
}

/// One resource record. Info gets the type as soon as the fixed part is read, and the data only
/// when the record is whole; the record's fields appear only when it is whole.
fn record(w: &Window<'_>, off: usize, spec: &'static FieldSpec, flavor: Flavor, info: &mut String) -> Result<(Field, usize), Note> {
    let name = read_name(w, off).map_err(|e| name_note(e, "record name", off))?;
    let at = name.next;
    let (Some(t), Some(c), Some(ttl), Some(rdlen)) = (w.u16(at), w.u16(at + 2), w.u32(at + 4), w.u16(at + 8)) else {
        return Err(name_note(NameError::Truncated, "record", at));
    };
    info.push(' ');
    push_type(info, t);
    if flavor == Flavor::Mdns && t != TYPE_OPT && c & 0x8000 != 0 {
        info.push_str(", cache flush");
    }
    let rd = at + 10;
    let rdlen = usize::from(rdlen);
    if w.bytes(rd..rd + rdlen).is_none() {
        return Err(name_note(NameError::Truncated, "record data", rd));
    }
    let class = class_name(if flavor == Flavor::Mdns { c & 0x7fff } else { c }).unwrap_or("Unknown");
    // `www.example.test: type A, class IN, addr 10.77.0.80`
    let mut display = String::with_capacity(2 * name.text.len() + 48);
    display.push_str(&name.text);
    display.push_str(": type ");
    push_type(&mut display, t);
    let mut children = Vec::with_capacity(8);
    // tshark shows an SRV record's owner name as its three parts, _service._proto.name.
    let srv_parts = if t == TYPE_SRV { srv_owner(&name.text) } else { None };
    match srv_parts {
        Some((svc, proto, rest)) => {
            let r = w.abs(off..at);
            children.extend([
                Field::new(&SRV_SERVICE, Value::Text(svc), r.clone()),
                Field::new(&SRV_PROTO, Value::Text(proto), r.clone()),
                Field::new(&SRV_NAME, Value::Text(rest), r),
            ]);
        }
        None => children.push(Field::new(&RESP_NAME, Value::Text(name.text), w.abs(off..at))),
    }
    children.push(Field::new(&RESP_TYPE, Value::Enum { value: t.into(), name: type_name(t) }, w.abs(at..at + 2)));
    if t == TYPE_OPT {
        children.push(Field::new(&OPT_UDP_SIZE, Value::UInt(c.into()), w.abs(at + 2..at + 4)));
        let ttl_r = w.abs(at + 4..at + 8);
        children.push(Field::new(&OPT_EXT_RCODE, Value::Hex { value: (ttl >> 24).into(), digits: 2 }, w.abs(at + 4..at + 5)));
        children.push(Field::new(&OPT_VERSION, Value::UInt(((ttl >> 16) & 0xff).into()), w.abs(at + 5..at + 6)));
        let z = ttl & 0xffff;
        children.push(
            Field::new(&OPT_Z, Value::Hex { value: z.into(), digits: 4 }, w.abs(at + 6..at + 8)).with_children(vec![Field::new(
                &OPT_DO,
                Value::Bool(z & 0x8000 != 0),
                ttl_r.start + 2..ttl_r.end,
            )
            .with_mask(0x8000)]),
        );
    } else {
        class_fields(w, at + 2, c, &RESP_CLASS, &RESP_CACHE_FLUSH, flavor, &mut children);
        children.push(Field::new(&RESP_TTL, Value::UInt(ttl.into()), w.abs(at + 4..at + 8)));
        display.push_str(", class ");
        display.push_str(class);
    }
    children.push(Field::new(&RESP_LEN, Value::UInt(rdlen as u64), w.abs(at + 8..at + 10)));
    let mut notes = Vec::new();
    rdata(w, t, rd, rdlen, &mut notes, &mut Decoded { fields: &mut children, info, display: &mut display });
    let mut f = Field::new(spec, Value::None, w.abs(off..rd + rdlen)).with_display(display).with_children(children);
    f.notes = notes;
    Ok((f, rd + rdlen))
}

/// `_sip._tcp.example.test` → (`_sip`, `_tcp`, `example.test`).
fn srv_owner(owner: &str) -> Option<(String, String, String)> {
    let mut parts = owner.splitn(3, '.');
    let (svc, proto, rest) = (parts.next()?, parts.next()?, parts.next()?);
    (svc.starts_with('_') && proto.starts_with('_')).then(|| (svc.to_string(), proto.to_string(), rest.to_string()))
}

/// Where a record's data goes: its fields, the Info words (` 10.77.0.80`) and the summary at
/// the end of the record's tree line (`, addr 10.77.0.80`).
struct Decoded<'a> {
    fields: &'a mut Vec<Field>,
    info: &'a mut String,
    display: &'a mut String,
}

impl Decoded<'_> {
    /// Appends `text` to Info as ` text` and to the tree line as `, label text`.
    fn words(&mut self, label: &str, text: &str) {
        self.info.push(' ');
        self.info.push_str(text);
        self.display.push_str(", ");
        self.display.push_str(label);
        self.display.push(' ');
        self.display.push_str(text);
    }
}

/// The data of one record, added to `out`. Nothing is added when the data does not fit its
/// type (a note says why; decoding goes on with the next record).
fn rdata(w: &Window<'_>, t: u16, rd: usize, rdlen: usize, notes: &mut Vec<Note>, out: &mut Decoded<'_>) -> Option<()> {
    let r = w.abs(rd..rd + rdlen);
    let bad = |notes: &mut Vec<Note>, what: &str| {
        notes.push(Note::new(
            Severity::Error,
            "dns.rdata.bad",
            format!("Record data does not fit a {what} record ({rdlen} bytes)"),
            format!("记录数据与 {what} 记录的格式不符({rdlen} 字节)"),
        ));
        None
    };
    // A name inside the data must end inside the data.
    let name_in = |at: usize| -> Option<Name> { read_name(w, at).ok().filter(|n| n.next <= rd + rdlen) };
    match t {
        TYPE_A => {
            if rdlen != 4 {
                return bad(notes, "A");
            }
            let a = Ipv4Addr::from(w.array::<4>(rd)?);
            let mut text = String::with_capacity(15);
            push_ipv4(&mut text, a);
            out.words("addr", &text);
            out.fields.push(Field::new(&A, Value::Ipv4(a), r));
        }
        TYPE_AAAA => {
            if rdlen != 16 {
                return bad(notes, "AAAA");
            }
            let a = Ipv6Addr::from(w.array::<16>(rd)?);
            out.words("addr", &a.to_string());
            out.fields.push(Field::new(&AAAA, Value::Ipv6(a), r));
        }
        TYPE_CNAME | TYPE_NS | TYPE_PTR => {
            let Some(n) = name_in(rd) else {
                let mut what = String::new();
                push_type(&mut what, t);
                return bad(notes, &what);
            };
            let (spec, label) = match t {
                TYPE_CNAME => (&CNAME, "cname"),
                TYPE_NS => (&NS, "ns"),
                _ => (&PTR, "domain name"),
            };
            out.words(label, &n.text);
            out.fields.push(Field::new(spec, Value::Text(n.text), r));
        }
        TYPE_MX => {
            let pref = w.u16(rd).filter(|_| rdlen >= 3);
            let Some((pref, n)) = pref.zip(name_in(rd + 2)) else { return bad(notes, "MX") };
            // ` 10 mail.example.test` in Info, `preference 10, mx mail.example.test` in the tree.
            out.info.push(' ');
            push_decimal(out.info, pref);
            out.display.push_str(", preference ");
            push_decimal(out.display, pref);
            out.words("mx", &n.text);
            out.fields.extend([
                Field::new(&MX_PREFERENCE, Value::UInt(pref.into()), w.abs(rd..rd + 2)),
                Field::new(&MX_EXCHANGE, Value::Text(n.text), w.abs(rd + 2..n.next)),
            ]);
        }
        TYPE_TXT => {
            let mut fs = Vec::new();
            let mut at = rd;
            while at < rd + rdlen {
                let len = usize::from(w.u8(at)?);
                if at + 1 + len > rd + rdlen {
                    return bad(notes, "TXT");
                }
                let s = w.bytes(at + 1..at + 1 + len)?;
                fs.push(Field::new(&TXT_LENGTH, Value::UInt(len as u64), w.abs(at..at + 1)));
                fs.push(Field::new(&TXT, Value::Text(String::from_utf8_lossy(s).into_owned()), w.abs(at + 1..at + 1 + len)));
                at += 1 + len;
            }
            out.fields.extend(fs);
        }
        TYPE_SOA => {
            let m = name_in(rd).filter(|m| m.next < rd + rdlen);
            let Some(m) = m else { return bad(notes, "SOA") };
            let Some(rn) = name_in(m.next) else { return bad(notes, "SOA") };
            let nums = rn.next;
            if nums + 20 != rd + rdlen {
                return bad(notes, "SOA");
            }
            let mut fs = Vec::with_capacity(7);
            for (i, spec) in [&SOA_SERIAL, &SOA_REFRESH, &SOA_RETRY, &SOA_EXPIRE, &SOA_MINIMUM].into_iter().enumerate() {
                let at = nums + 4 * i;
                fs.push(Field::new(spec, Value::UInt(w.u32(at)?.into()), w.abs(at..at + 4)));
            }
            out.words("mname", &m.text);
            out.fields.extend([
                Field::new(&SOA_MNAME, Value::Text(m.text), w.abs(rd..m.next)),
                Field::new(&SOA_RNAME, Value::Text(rn.text), w.abs(m.next..rn.next)),
            ]);
            out.fields.extend(fs);
        }
        TYPE_SRV => {
            let (Some(prio), Some(weight), Some(port)) = (w.u16(rd), w.u16(rd + 2), w.u16(rd + 4)) else {
                return bad(notes, "SRV");
            };
            let Some(target) = name_in(rd + 6).filter(|_| rdlen >= 7) else { return bad(notes, "SRV") };
            // ` 0 5 5060 sip.example.test` in Info, `priority 0, weight 5, port 5060, target
            // sip.example.test` in the tree.
            for (label, n) in [(", priority ", prio), (", weight ", weight), (", port ", port)] {
                out.info.push(' ');
                push_decimal(out.info, n);
                out.display.push_str(label);
                push_decimal(out.display, n);
            }
            out.words("target", &target.text);
            out.fields.extend([
                Field::new(&SRV_PRIORITY, Value::UInt(prio.into()), w.abs(rd..rd + 2)),
                Field::new(&SRV_WEIGHT, Value::UInt(weight.into()), w.abs(rd + 2..rd + 4)),
                Field::new(&SRV_PORT, Value::UInt(port.into()), w.abs(rd + 4..rd + 6)),
                Field::new(&SRV_TARGET, Value::Text(target.text), w.abs(rd + 6..target.next)),
            ]);
        }
        TYPE_OPT => {}
        _ => {
            if rdlen > 0 {
                let b = w.bytes(rd..rd + rdlen)?.to_vec();
                out.fields.push(Field::new(&RDATA, Value::Bytes(b), r));
            }
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn name(labels: &[&[u8]]) -> Vec<u8> {
        let mut v = Vec::new();
        for l in labels {
            v.push(l.len() as u8);
            v.extend_from_slice(l);
        }
        v.push(0);
        v
    }

    /// A response to "A www.example.test": id 0x1a2b, flags 0x8180 (response, RD, RA), one
    /// question, one answer (pointer 0xc00c to the question's name) with 10.77.0.80, TTL 300.
    fn a_response() -> Vec<u8> {
        let mut m = vec![
            0x1a, 0x2b, // ID
            0x81, 0x80, // flags: response, recursion desired and available, no error
            0x00, 0x01, // 1 question
            0x00, 0x01, // 1 answer
            0x00, 0x00, // 0 authority
            0x00, 0x00, // 0 additional
        ];
        m.extend(name(&[b"www", b"example", b"test"])); // 12..30
        m.extend([0x00, 0x01, 0x00, 0x01]); // type A, class IN
        m.extend([0xc0, 0x0c]); // name: pointer to offset 12
        m.extend([0x00, 0x01, 0x00, 0x01]); // type A, class IN
        m.extend([0x00, 0x00, 0x01, 0x2c]); // TTL 300
        m.extend([0x00, 0x04, 10, 77, 0, 80]); // RDLENGTH 4, 10.77.0.80
        m
    }

    fn decode(m: &[u8]) -> Layer {
        let mut f = vec![0u8; 42];
        f.extend_from_slice(m);
        let s = udp(&f, 42..f.len(), DecodeCtx::default(), Flavor::Dns);
        let l = s.layers[0].clone();
        l.walk(&mut |x: &Field| assert!(x.generated || (x.range.start >= 42 && x.range.end <= f.len()), "{} {:?}", x.spec.key, x.range));
        l
    }

    fn val(l: &Layer, key: &str) -> Option<Value> {
        l.find(key).map(|f| f.value.clone())
    }

    #[test]
    fn parse_response() {
        let l = decode(&a_response());
        assert_eq!(val(&l, "dns.id"), Some(Value::Hex { value: 0x1a2b, digits: 4 }));
        assert_eq!(val(&l, "dns.flags.response"), Some(Value::Bool(true)));
        assert_eq!(val(&l, "dns.flags.rcode"), Some(Value::Enum { value: 0, name: Some("No error") }));
        assert_eq!(val(&l, "dns.qry.name"), Some(Value::Text("www.example.test".into())));
        assert_eq!(val(&l, "dns.qry.name.len"), Some(Value::UInt(16)));
        assert_eq!(val(&l, "dns.count.labels"), Some(Value::UInt(3)));
        assert_eq!(val(&l, "dns.qry.type"), Some(Value::Enum { value: 1, name: Some("A") }));
        assert_eq!(val(&l, "dns.resp.name"), Some(Value::Text("www.example.test".into())));
        assert_eq!(val(&l, "dns.resp.ttl"), Some(Value::UInt(300)));
        assert_eq!(val(&l, "dns.a"), Some(Value::Ipv4(Ipv4Addr::new(10, 77, 0, 80))));
        assert_eq!(l.info.as_deref(), Some("Standard query response 0x1a2b A www.example.test A 10.77.0.80"));
        assert_eq!(l.title, "Domain Name System (response)");
        assert_eq!(l.find("dns.a").map(|f| f.range.clone()), Some(42 + 46..42 + 50));
        assert_eq!(l.find("dns.qry.name").map(|f| f.range.clone()), Some(42 + 12..42 + 30));
        assert!(l.notes.is_empty(), "{:?}", l.notes);
    }

    #[test]
    fn query_flags_and_info() {
        let mut m = vec![0x1a, 0x2b, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
        m.extend(name(&[b"www", b"example", b"test"]));
        m.extend([0, 1, 0, 1]);
        let l = decode(&m);
        assert_eq!(l.info.as_deref(), Some("Standard query 0x1a2b A www.example.test"));
        let flags = l.find("dns.flags").map(|f| f.children.iter().map(|c| c.spec.key).collect::<Vec<_>>());
        assert_eq!(
            flags,
            Some(vec!["dns.flags.response", "dns.flags.opcode", "dns.flags.truncated", "dns.flags.recdesired", "dns.flags.z", "dns.flags.checkdisable"])
        );
        // Root and an unknown type.
        let mut m = vec![0x1a, 0x31, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0x27, 0x0f, 0, 1];
        let l = decode(&m);
        assert_eq!(l.info.as_deref(), Some("Standard query 0x1a31 Unknown (9999) <Root>"));
        assert_eq!(val(&l, "dns.qry.name.len"), Some(Value::UInt(6)));
        m[2] = 0x11; // opcode 2
        assert!(decode(&m).info.as_deref().is_some_and(|i| i.starts_with("Server status request 0x1a31")));
        m[2] = 0x29; // opcode 5: the counts are zones, prerequisites, updates
        let l = decode(&m);
        assert!(l.info.as_deref().is_some_and(|i| i.starts_with("Dynamic update 0x1a31")));
        assert_eq!(val(&l, "dns.count.zones"), Some(Value::UInt(1)));
        assert!(l.find("dns.count.queries").is_none() && l.find("dns.count.updates").is_some());
    }

    #[test]
    fn nxdomain_with_soa() {
        let mut m = vec![0x1a, 0x2c, 0x81, 0x83, 0, 1, 0, 0, 0, 1, 0, 0];
        m.extend(name(&[b"nope", b"example", b"test"])); // 12..31
        m.extend([0, 28, 0, 1]);
        m.extend([0xc0, 17]); // "example.test" inside the question name
        m.extend([0, 6, 0, 1, 0, 0, 0, 60]);
        // SOA data: mname ns1.example.test, rname admin.example.test, then five numbers.
        let mut rd = vec![3, b'n', b's', b'1', 0xc0, 17, 5, b'a', b'd', b'm', b'i', b'n', 0xc0, 17];
        for v in [2024u32, 3600, 600, 86400, 60] {
            rd.extend(v.to_be_bytes());
        }
        m.extend((rd.len() as u16).to_be_bytes());
        m.extend(rd);
        let l = decode(&m);
        assert_eq!(l.info.as_deref(), Some("Standard query response 0x1a2c No such name AAAA nope.example.test SOA ns1.example.test"));
        assert_eq!(val(&l, "dns.soa.rname"), Some(Value::Text("admin.example.test".into())));
        assert_eq!(val(&l, "dns.soa.minimum_ttl"), Some(Value::UInt(60)));
        assert_eq!(val(&l, "dns.flags.rcode"), Some(Value::Enum { value: 3, name: Some("No such name") }));
    }

    #[test]
    fn other_records() {
        // MX, TXT (two strings), SRV, CNAME, AAAA answers to one question.
        let mut m = vec![0x20, 0x0f, 0x85, 0x00, 0, 1, 0, 5, 0, 0, 0, 1];
        m.extend(name(&[b"_sip", b"_tcp", b"example", b"test"]));
        m.extend([0, 33, 0, 1]);
        let rr = |m: &mut Vec<u8>, t: u16, rd: &[u8]| {
            m.extend([0xc0, 12]);
            m.extend(t.to_be_bytes());
            m.extend([0, 1, 0, 0, 1, 44]);
            m.extend((rd.len() as u16).to_be_bytes());
            m.extend_from_slice(rd);
        };
        let mut mx = vec![0, 10];
        mx.extend(name(&[b"mail", b"test"]));
        rr(&mut m, 15, &mx);
        rr(&mut m, 16, b"\x0bv=spf1 -all\x02ok");
        let mut srv = vec![0, 10, 0, 20, 0x13, 0xc4];
        srv.extend(name(&[b"sip", b"test"]));
        rr(&mut m, 33, &srv);
        rr(&mut m, 5, &name(&[b"web", b"test"]));
        rr(&mut m, 28, &[0xfd, 0x77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80]);
        // EDNS OPT: root name, udp size 1232, DO set.
        m.extend([0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 0]);
        let l = decode(&m);
        assert_eq!(
            l.info.as_deref(),
            Some("Standard query response 0x200f SRV _sip._tcp.example.test MX 10 mail.test TXT SRV 10 20 5060 sip.test CNAME web.test AAAA fd77::80 OPT")
        );
        assert_eq!(val(&l, "dns.mx.mail_exchange"), Some(Value::Text("mail.test".into())));
        assert_eq!(val(&l, "dns.txt"), Some(Value::Text("v=spf1 -all".into())));
        assert_eq!(val(&l, "dns.srv.port"), Some(Value::UInt(5060)));
        assert_eq!(val(&l, "dns.srv.service"), Some(Value::Text("_sip".into())));
        assert_eq!(val(&l, "dns.srv.name"), Some(Value::Text("example.test".into())));
        let srv = l.fields.iter().filter(|f| f.spec.key == "dns.answer").nth(2).map(|f| f.children[0].spec.key);
        assert_eq!(srv, Some("dns.srv.service"), "no dns.resp.name in an SRV record");
        assert_eq!(val(&l, "dns.rr.udp_payload_size"), Some(Value::UInt(1232)));
        assert_eq!(val(&l, "dns.resp.z.do"), Some(Value::Bool(true)));
        assert!(l.notes.is_empty(), "{:?}", l.notes);
    }

    #[test]
    fn compression_loop_and_bad_pointers() {
        // Question name is a pointer to itself: shown as a loop, type and class still read.
        let m = [0x20, 0x03, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0x0c, 0, 1, 0, 1];
        let l = decode(&m);
        assert_eq!(val(&l, "dns.qry.name"), Some(Value::Text("<Name contains a pointer that loops>".into())));
        assert_eq!(val(&l, "dns.qry.name.len"), Some(Value::UInt(36)));
        assert_eq!(val(&l, "dns.qry.type"), Some(Value::Enum { value: 1, name: Some("A") }));
        // Two pointers pointing at each other.
        let m = [0x20, 0x03, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0x0e, 0xc0, 0x0c, 0, 1, 0, 1];
        assert!(decode(&m).find("dns.qry.name").is_some());
        // Pointer past the message: no question fields, a note.
        let m = [0x20, 0x04, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 3, b'w', b'w', b'w', 0xc0, 0xff, 0, 1, 0, 1];
        let l = decode(&m);
        assert!(l.find("dns.qry.name").is_none());
        assert_eq!(l.notes[0].id, "dns.malformed");
        assert_eq!(l.info.as_deref(), Some("Standard query 0x2004"));
        // Forward pointer is fine.
        let mut m = vec![0x20, 0x05, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 3, b'w', b'w', b'w', 0xc0, 22, 0, 1, 0, 1];
        m.extend(name(&[b"fwd", b"test"]));
        assert_eq!(val(&decode(&m), "dns.qry.name"), Some(Value::Text("www.fwd.test".into())));
        // Reserved label types.
        for t in [0x41u8, 0x81] {
            let m = [0x20, 0x06, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, t, b'a', b'b', b'c', 0, 0, 1, 0, 1];
            assert!(decode(&m).find("dns.qry.name").is_none());
        }
        // 253 characters is the longest name; 254 is too long.
        for (last, ok) in [(61usize, true), (62, false)] {
            let mut labels: Vec<Vec<u8>> = vec![vec![b'a'; 63]; 3];
            labels.push(vec![b'a'; last]);
            let refs: Vec<&[u8]> = labels.iter().map(|l| l.as_slice()).collect();
            let mut m = vec![0x20, 0x13, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
            m.extend(name(&refs));
            m.extend([0, 1, 0, 1]);
            let got = val(&decode(&m), "dns.qry.name");
            assert_eq!(got == Some(Value::Text("<Name too long>".into())), !ok, "last label {last}");
        }
        // Name too long: 5 labels of 63.
        let long: Vec<&[u8]> = vec![&[b'a'; 63]; 5];
        let mut m = vec![0x20, 0x13, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
        m.extend(name(&long));
        m.extend([0, 1, 0, 1]);
        assert_eq!(val(&decode(&m), "dns.qry.name"), Some(Value::Text("<Name too long>".into())));
    }

    #[test]
    fn raw_label_bytes() {
        // Labels with a space, a dot, a backslash, control bytes and invalid UTF-8.
        let mut m = vec![0x20, 0x01, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
        m.extend(name(&[b"a b", b"c.d", b"e\\f", b"\x01\x7f\xff", b"UP"]));
        m.extend([0, 1, 0, 1]);
        let l = decode(&m);
        assert_eq!(val(&l, "dns.qry.name"), Some(Value::Text("a b.c.d.e\\f.\u{1}\u{7f}\u{fffd}.UP".into())));
        assert_eq!(val(&l, "dns.qry.name.len"), Some(Value::UInt(18)));
        assert_eq!(val(&l, "dns.count.labels"), Some(Value::UInt(6)));
        // Info is printed as it is: control characters escaped.
        assert_eq!(l.info.as_deref(), Some("Standard query 0x2001 A a b.c.d.e\\\\f.\\x01\\x7f\u{fffd}.UP"));
    }

    /// tshark: ID and flags need 4 bytes, each count its own 2, the question whole, the answer
    /// whole; Info gets the answer's type once its fixed part is read (capture d3).
    #[test]
    fn every_short_length() {
        let m = a_response();
        for n in 0..=m.len() {
            let l = decode(&m[..n]);
            let has = |k: &str| l.find(k).is_some();
            assert_eq!(has("dns.id") && has("dns.flags.response"), n >= 4, "n={n}");
            assert_eq!(has("dns.count.queries"), n >= 6, "n={n}");
            assert_eq!(has("dns.count.add_rr"), n >= 12, "n={n}");
            assert_eq!(has("dns.qry.name") && has("dns.qry.type"), n >= 34, "n={n}");
            assert_eq!(has("dns.resp.name") && has("dns.a"), n >= 50, "n={n}");
            let info = l.info.clone().unwrap_or_default();
            assert_eq!(info.ends_with(" A www.example.test A"), (46..50).contains(&n), "n={n} {info}");
            assert_eq!(l.notes.is_empty(), n == m.len(), "n={n}");
        }
    }

    #[test]
    fn over_tcp() {
        let m = a_response();
        let mut seg = (m.len() as u16).to_be_bytes().to_vec();
        seg.extend(&m);
        seg.extend((m.len() as u16).to_be_bytes());
        seg.extend(&m);
        let s = tcp(&seg, 0..seg.len(), DecodeCtx::default());
        assert_eq!(s.layers.len(), 2);
        assert_eq!(s.layers[0].find("dns.length").map(|f| (f.value.clone(), f.range.clone())), Some((Value::UInt(50), 0..2)));
        assert_eq!(s.layers[1].range, 52..104);
        assert_eq!(s.layers[1].find("dns.a").map(|f| f.range.clone()), Some(52 + 2 + 46..52 + 2 + 50));
        // Length prefix bigger than what follows: the message decodes as far as it goes.
        let s = tcp(&seg, 0..22, DecodeCtx::default());
        assert_eq!(s.layers.len(), 1);
        assert!(s.layers[0].find("dns.count.queries").is_some() && s.layers[0].find("dns.qry.name").is_none());
        // Only the prefix: a DNS layer with no fields at all, as tshark shows.
        let s = tcp(&seg, 0..2, DecodeCtx::default());
        assert!(s.layers[0].fields.is_empty());
        let s = tcp(&seg, 0..1, DecodeCtx::default());
        assert!(s.layers[0].fields.is_empty());
    }

    #[test]
    fn mdns_and_llmnr() {
        let mut m = vec![0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        m.extend(name(&[b"host", b"local"]));
        m.extend([0, 1, 0x80, 1]);
        let s = udp(&m, 0..m.len(), DecodeCtx::default(), Flavor::Mdns);
        let l = &s.layers[0];
        assert_eq!(l.info.as_deref(), Some("Standard query 0x0000 A host.local, \"QU\" question"));
        assert_eq!(val(l, "dns.qry.class"), Some(Value::Hex { value: 1, digits: 4 }));
        assert_eq!(val(l, "dns.qry.qu"), Some(Value::Bool(true)));
        assert_eq!((l.protocol, l.display_name), ("mdns", "MDNS"));
        // An mDNS answer with the cache-flush bit.
        let mut r = vec![0, 0, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0];
        r.extend(name(&[b"host", b"local"]));
        r.extend([0, 1, 0x80, 1, 0, 0, 0, 120, 0, 4, 10, 1, 2, 3]);
        let s = udp(&r, 0..r.len(), DecodeCtx::default(), Flavor::Mdns);
        assert_eq!(s.layers[0].info.as_deref(), Some("Standard query response 0x0000 A, cache flush 10.1.2.3"));
        assert_eq!(val(&s.layers[0], "dns.resp.cache_flush"), Some(Value::Bool(true)));
        let s = udp(&m, 0..m.len(), DecodeCtx::default(), Flavor::Llmnr);
        assert_eq!(s.layers[0].title, "Link-local Multicast Name Resolution (query)");
        assert!(s.layers[0].find("dns.flags.tentative").is_some());
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = decode(&bytes);
            let _ = tcp(&bytes, 0..bytes.len(), DecodeCtx::default());
            let _ = udp(&bytes, 0..bytes.len() + 10, DecodeCtx::default(), Flavor::Mdns);
        }

        #[test]
        fn arbitrary_records_never_panic(rest in proptest::collection::vec(any::<u8>(), 0..200), an in 0u16..4) {
            // A valid header and question, then anything: exercises the record paths.
            let mut m = vec![0x12, 0x34, 0x81, 0x80, 0, 1, 0, an as u8, 0, 1, 0, 1];
            m.extend(name(&[b"a", b"b"]));
            m.extend([0, 1, 0, 1]);
            m.extend(rest);
            let _ = decode(&m);
        }
    }
}
