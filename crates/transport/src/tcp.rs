//! TCP (RFC 9293), with its options (RFC 7323 window scale and timestamps, RFC 2018 SACK,
//! RFC 7413 Fast Open, RFC 5482 user timeout, RFC 2385 MD5).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |          Source Port          |       Destination Port        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                        Sequence Number                        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                    Acknowledgment Number                      |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  Data | Res |A|C|E|U|A|P|R|S|F|                               |
//! | Offset|     |E|W|C|R|C|S|S|Y|I|            Window             |
//! |       |     | |R|E|G|K|H|T|N|N|                               |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |           Checksum            |         Urgent Pointer        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                    Options (Data Offset > 5)                  |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! <https://www.rfc-editor.org/rfc/rfc9293>. Which fields a cut or quoted header still has
//! follows tshark 4.0 byte for byte: ports need 4 bytes; sequence, acknowledgment, flags and
//! window need 16; the checksum 18; the urgent pointer (and `Len=` in Info) 20; options appear
//! as far as they were captured. Inside an ICMP error there is no `tcp.len`, and an IPv4-quoted
//! header shows `tcp.seq` (raw) but never `tcp.seq_raw`.
//!
//! The decoder sees one segment. Relative sequence numbers and the scaled window need the
//! segments before it: the stack keeps that state and calls [`tcp_relative`] and
//! [`tcp_window_scale`], which rewrite the numbers, the tree heading and the Info text.

use std::ops::Range;

use netlayers_core::checksum;
use netlayers_core::{
    DecodeCtx, Field, FieldSpec, Handoff, Layer, LayerKind, Note, PseudoHeader, Severity, Step, Transport, Value,
};

use netlayers_core::text::push_decimal;
use netlayers_core::window::Window;
use crate::{checksum_field, expected_checksum, Verdict};

mod field {
    use std::ops::Range;
    pub const SRC_PORT: Range<usize> = 0..2;
    pub const DST_PORT: Range<usize> = 2..4;
    pub const SEQ: Range<usize> = 4..8;
    pub const ACK: Range<usize> = 8..12;
    /// Data offset (high nibble), the reserved bits and the AE bit.
    pub const OFFSET: Range<usize> = 12..13;
    pub const FLAGS: Range<usize> = 12..14;
    /// CWR … FIN.
    pub const FLAGS_LOW: Range<usize> = 13..14;
    pub const WINDOW: Range<usize> = 14..16;
    pub const CHECKSUM: Range<usize> = 16..18;
    pub const URGENT: Range<usize> = 18..20;
    pub const MIN_HEADER_LEN: usize = 20;
}

pub(crate) const F_FIN: u16 = 0x001;
pub(crate) const F_SYN: u16 = 0x002;
pub(crate) const F_RST: u16 = 0x004;
pub(crate) const F_PSH: u16 = 0x008;
pub(crate) const F_ACK: u16 = 0x010;
pub(crate) const F_URG: u16 = 0x020;
pub(crate) const F_ECE: u16 = 0x040;
pub(crate) const F_CWR: u16 = 0x080;
pub(crate) const F_AE: u16 = 0x100;
pub(crate) const F_RESERVED: u16 = 0xe00;

/// Option kinds (IANA "TCP Option Kind Numbers").
mod kind {
    pub const EOL: u8 = 0;
    pub const NOP: u8 = 1;
    pub const MSS: u8 = 2;
    pub const WSCALE: u8 = 3;
    pub const SACK_PERM: u8 = 4;
    pub const SACK: u8 = 5;
    pub const ECHO: u8 = 6;
    pub const TIMESTAMP: u8 = 8;
    pub const MD5: u8 = 19;
    pub const USER_TO: u8 = 28;
    pub const TFO: u8 = 34;
    pub const EXP1: u8 = 253;
    pub const EXP2: u8 = 254;
    /// RFC 6994 experiment id of TCP Fast Open before it got kind 34.
    pub const EXID_TFO: u16 = 0xf989;
}

/// The largest window shift RFC 7323 allows; larger values are treated as 14.
pub const MAX_WSCALE_SHIFT: u8 = 14;

spec!(SRCPORT, "tcp.srcport", "Source Port", "源端口",
    "Port of the sending process. A process on the network is named by (IP address, protocol, port): the IP address finds the host, TCP says which transport, and this port finds the socket inside the sender. Clients usually get a random high port from the system.",
    "发送进程的端口。网络中的一个进程由三元组(IP 地址、协议、端口)来标识:IP 地址找到主机,TCP 指明传输协议,这个端口再找到发送方主机里的那个套接字。客户端的端口通常由系统随机分配一个较大的数。");
spec!(DSTPORT, "tcp.dstport", "Destination Port", "目的端口",
    "Port of the receiving process. With the destination IP address and the protocol it forms the triple (IP address, protocol, port) that names the process this segment is for; servers listen on well-known ports (80 HTTP, 22 SSH, 53 DNS).",
    "接收进程的端口。它和目的 IP 地址、协议一起组成三元组(IP 地址、协议、端口),指明这个报文段要交给哪个进程;服务器在知名端口上监听(80 为 HTTP,22 为 SSH,53 为 DNS)。");
spec!(LEN, "tcp.len", "TCP Segment Len", "TCP 段长度",
    "Bytes of data this segment carries: the length IP promises minus the TCP header. Computed from the headers, so a capture cut short still shows the full length. 0 for a bare ACK.",
    "这个报文段携带的数据字节数:IP 声明的长度减去 TCP 首部长度。它由首部计算得出,所以即使抓包被截断,显示的仍是完整长度。纯 ACK 为 0。");
spec!(SEQ, "tcp.seq", "Sequence Number", "序列号",
    "Position in the sender's byte stream of this segment's first byte. Shown relative to the start of the connection (the SYN counts as 0) so that numbers are small; the raw value starts at a random initial sequence number.",
    "本报文段第一个数据字节在发送方字节流中的位置。这里显示相对值(以连接开始的 SYN 为 0),便于阅读;原始值从一个随机的初始序列号开始。");
spec!(SEQ_RAW, "tcp.seq_raw", "Sequence Number (raw)", "序列号(原始值)",
    "The 32-bit sequence number as it is on the wire. Each side picks a random initial number at SYN time, which makes blind spoofing harder.",
    "线路上实际的 32 位序列号。每一方在发送 SYN 时随机选择初始值,这让盲目伪造报文段更加困难。");
spec!(NXTSEQ, "tcp.nxtseq", "Next Sequence Number", "下一个序列号",
    "Sequence number of the byte after this segment: sequence number plus data length (plus 1 for SYN or FIN, which each use one number). The receiver acknowledges with this value.",
    "本报文段之后下一个字节的序列号:序列号加数据长度(SYN 或 FIN 各占一个序号,再加 1)。接收方会用这个值来确认。");
spec!(ACK, "tcp.ack", "Acknowledgment Number", "确认号",
    "With the ACK flag set: the next byte the sender expects from the other side, meaning every byte before it arrived. Shown relative to the other side's initial sequence number.",
    "ACK 标志置位时有效:发送方期望从对方收到的下一个字节,表示在它之前的字节都已收到。这里显示相对于对方初始序列号的值。");
spec!(ACK_RAW, "tcp.ack_raw", "Acknowledgment number (raw)", "确认号(原始值)",
    "The 32-bit acknowledgment number as it is on the wire (meaningless when the ACK flag is off; usually 0 then).",
    "线路上实际的 32 位确认号(ACK 标志未置位时没有意义,通常为 0)。");
spec!(HDR_LEN, "tcp.hdr_len", "Header Length", "首部长度",
    "TCP header length in bytes (the Data Offset field counts 32-bit words, so 5 means 20 bytes). Beyond 20 bytes come options; the data starts right after.",
    "TCP 首部长度,单位为字节(数据偏移字段以 32 位字为单位,5 表示 20 字节)。超过 20 字节的部分是选项,数据紧随其后。");
spec!(FLAGS, "tcp.flags", "Flags", "标志",
    "Twelve control bits that say what the segment does: SYN opens a connection, FIN closes one direction, RST aborts, ACK means the acknowledgment number is valid, PSH asks to deliver data now.",
    "十二个控制位,说明这个报文段的作用:SYN 建立连接,FIN 关闭一个方向,RST 强行中止,ACK 表示确认号有效,PSH 请求立即把数据交给应用。");
spec!(FLAG_RES, "tcp.flags.res", "Reserved", "保留位",
    "Three bits reserved for future use; senders set them to 0.",
    "保留给将来使用的三个位,发送方应置为 0。");
spec!(FLAG_AE, "tcp.flags.ae", "Accurate ECN", "精确 ECN",
    "Accurate ECN bit (formerly the ECN nonce, NS): with CWR and ECE it counts congestion marks when both ends negotiate Accurate ECN.",
    "精确 ECN 位(原先的 ECN nonce,即 NS 位):双方协商了精确 ECN 时,它与 CWR、ECE 一起统计拥塞标记的数量。");
spec!(FLAG_CWR, "tcp.flags.cwr", "Congestion Window Reduced", "拥塞窗口已减小",
    "The sender tells the receiver it has slowed down after an ECN congestion signal.",
    "发送方告诉接收方:收到 ECN 拥塞信号后,它已经降低了发送速率。");
spec!(FLAG_ECE, "tcp.flags.ece", "ECN-Echo", "ECN 回显",
    "In a SYN: the sender supports ECN. Later: a router marked a packet as congested, and the receiver echoes that back so the sender slows down.",
    "在 SYN 中表示发送方支持 ECN。之后表示某个路由器把数据包标记为拥塞,接收方把这一信号回送给发送方,让它放慢速度。");
spec!(FLAG_URG, "tcp.flags.urg", "Urgent", "紧急",
    "The urgent pointer is valid. Rarely used today (telnet's interrupt key was the classic case).",
    "紧急指针有效。如今很少使用(经典例子是 telnet 的中断键)。");
spec!(FLAG_ACK, "tcp.flags.ack", "Acknowledgment", "确认",
    "The acknowledgment number is valid. Set on every segment after the first SYN.",
    "确认号有效。除第一个 SYN 外,之后的每个报文段都会置位。");
spec!(FLAG_PUSH, "tcp.flags.push", "Push", "推送",
    "Asks the receiver to hand the data to the application now instead of waiting for more; senders set it on the last segment of a write.",
    "请求接收方立即把数据交给应用程序,而不是等待更多数据;发送方通常在一次写操作的最后一个报文段上置位。");
spec!(FLAG_RESET, "tcp.flags.reset", "Reset", "重置",
    "Aborts the connection at once, e.g. when a segment arrives for a port where no process listens (\"connection refused\").",
    "立即中止连接,例如报文段到达一个没有进程监听的端口时(即“连接被拒绝”)。");
spec!(FLAG_SYN, "tcp.flags.syn", "Syn", "同步",
    "Synchronize sequence numbers: the first two segments of the three-way handshake (SYN, then SYN+ACK) carry it, each announcing its initial sequence number.",
    "同步序列号:三次握手的前两个报文段(SYN,然后是 SYN+ACK)带有此标志,各自通告自己的初始序列号。");
spec!(FLAG_FIN, "tcp.flags.fin", "Fin", "结束",
    "The sender has no more data: it closes its direction of the connection. Each side sends its own FIN, and each FIN is acknowledged.",
    "发送方没有更多数据了:它关闭自己这个方向的连接。双方各自发送 FIN,每个 FIN 都要被确认。");
spec!(FLAGS_STR, "tcp.flags.str", "TCP Flags", "TCP 标志",
    "The twelve flag bits as letters, high bit first (R R R A C E U A P R S F), a dot for each bit that is off.",
    "用字母表示的十二个标志位,从高位到低位(R R R A C E U A P R S F),未置位的用点表示。");
spec!(WINDOW, "tcp.window_size_value", "Window", "窗口",
    "How many more bytes the sender of this segment can receive (flow control). The raw field; when window scaling was agreed in the handshake, multiply by the scale factor.",
    "本报文段的发送方还能接收多少字节(流量控制)。这是原始字段值;如果握手时协商了窗口扩大,需要乘以扩大因子。");
spec!(WINDOW_SIZE, "tcp.window_size", "Calculated window size", "计算得出的窗口大小",
    "The window in bytes: the raw field shifted by the scale the sender announced in its SYN (SYN segments themselves are never scaled). Equal to the raw field when no handshake was seen.",
    "以字节为单位的窗口:原始字段按发送方在 SYN 中通告的扩大因子左移(SYN 报文段本身不扩大)。没有看到握手时,等于原始字段值。");
spec!(WINDOW_SCALEFACTOR, "tcp.window_size_scalefactor", "Window size scaling factor", "窗口扩大因子",
    "The multiplier for this direction's window, from the window-scale option both sides sent during the handshake.",
    "这个方向窗口的乘数,来自握手时双方都发送的窗口扩大选项。");
spec!(CHECKSUM, "tcp.checksum", "Checksum", "校验和",
    "Internet checksum over a pseudo-header (source and destination IP, protocol 6, TCP length) and the whole segment. Including the IP addresses catches segments delivered to the wrong host.",
    "覆盖伪首部(源和目的 IP 地址、协议号 6、TCP 长度)和整个报文段的互联网校验和。把 IP 地址算进去,可以发现被送错主机的报文段。");
spec!(CHECKSUM_STATUS, "tcp.checksum.status", "Checksum Status", "校验和状态",
    "Whether the checksum matches. Unverified when part of the segment was not captured. Captures on the sending host often show bad values because the network card fills the checksum in later (checksum offload).",
    "校验和是否正确。如果报文段有部分没有被捕获,则无法验证。在发送端抓的包经常显示错误,因为校验和是网卡稍后才填入的(校验和卸载)。");
spec!(URGENT, "tcp.urgent_pointer", "Urgent Pointer", "紧急指针",
    "With URG set: offset from the sequence number to the end of the urgent data. Otherwise 0.",
    "URG 置位时有效:从序列号到紧急数据末尾的偏移量。否则为 0。");
spec!(OPTIONS, "tcp.options", "Options", "选项",
    "Extensions after the fixed 20 bytes, mostly negotiated in the SYN: maximum segment size, window scale, selective acknowledgments, timestamps. NOPs pad them to 32-bit boundaries.",
    "固定 20 字节之后的扩展,大多在 SYN 中协商:最大报文段长度、窗口扩大、选择确认、时间戳。NOP 用来把它们填充到 32 位边界。");
spec!(OPTION_KIND, "tcp.option_kind", "Kind", "类型",
    "Which option this is (2 MSS, 3 window scale, 4 SACK permitted, 5 SACK, 8 timestamps, 1 NOP, 0 end of list).",
    "这是哪种选项(2 为 MSS,3 为窗口扩大,4 为允许 SACK,5 为 SACK,8 为时间戳,1 为 NOP,0 为选项列表结束)。");
spec!(OPTION_LEN, "tcp.option_len", "Length", "长度",
    "Length of the option in bytes, counting the kind and length bytes.",
    "选项的字节长度,包括类型和长度这两个字节。");
spec!(OPT_EOL, "tcp.options.eol", "TCP Option - End of Option List (EOL)", "TCP 选项 - 选项列表结束(EOL)",
    "Marks the end of the options; the rest of the header up to the data offset is zero padding.",
    "标记选项结束;从这里到数据偏移处的剩余首部是填充的零。");
spec!(OPT_NOP, "tcp.options.nop", "TCP Option - No-Operation (NOP)", "TCP 选项 - 空操作(NOP)",
    "A one-byte filler that aligns the next option on a 4-byte boundary.",
    "一个字节的填充,用来把下一个选项对齐到 4 字节边界。");
spec!(OPT_MSS, "tcp.options.mss", "TCP Option - Maximum segment size", "TCP 选项 - 最大报文段长度",
    "Sent in the SYN: the largest segment data this side can receive, usually the link MTU minus IP and TCP headers (1500 − 40 = 1460).",
    "在 SYN 中发送:本方能接收的最大报文段数据长度,通常是链路 MTU 减去 IP 和 TCP 首部(1500 − 40 = 1460)。");
spec!(OPT_MSS_VAL, "tcp.options.mss_val", "MSS Value", "MSS 值",
    "Maximum segment size in bytes.",
    "最大报文段长度,单位为字节。");
spec!(OPT_WSCALE, "tcp.options.wscale", "TCP Option - Window scale", "TCP 选项 - 窗口扩大",
    "Sent in the SYN by both sides: lets the 16-bit window field describe windows beyond 64 KiB by shifting it left. Used only if both SYNs carry it.",
    "双方都在 SYN 中发送:把 16 位的窗口字段左移,使窗口可以超过 64 KiB。只有两个 SYN 都带有此选项时才启用。");
spec!(OPT_WSCALE_SHIFT, "tcp.options.wscale.shift", "Shift count", "移位位数",
    "How many bits to shift this side's window fields left (at most 14).",
    "本方窗口字段要左移的位数(最多 14)。");
spec!(OPT_WSCALE_MULT, "tcp.options.wscale.multiplier", "Multiplier", "乘数",
    "2 to the power of the shift count: the factor by which this side's later window fields are multiplied.",
    "2 的移位位数次方:本方之后的窗口字段要乘以的倍数。");
spec!(OPT_SACK_PERM, "tcp.options.sack_perm", "TCP Option - SACK permitted", "TCP 选项 - 允许 SACK",
    "Sent in the SYN: this side understands selective acknowledgments.",
    "在 SYN 中发送:本方支持选择确认(SACK)。");
spec!(OPT_SACK, "tcp.options.sack", "TCP Option - SACK", "TCP 选项 - SACK",
    "Selective acknowledgment: blocks of data received beyond a gap, so the sender retransmits only what is missing.",
    "选择确认:列出在缺口之后已经收到的数据块,让发送方只重传缺失的部分。");
spec!(OPT_SACK_LE, "tcp.options.sack_le", "TCP SACK Left Edge", "TCP SACK 左边界",
    "First sequence number of a block received out of order (relative, like the acknowledgment number).",
    "一个乱序收到的数据块的第一个序列号(与确认号一样为相对值)。");
spec!(OPT_SACK_RE, "tcp.options.sack_re", "TCP SACK Right Edge", "TCP SACK 右边界",
    "Sequence number just after the end of that block.",
    "紧跟在该数据块末尾之后的序列号。");
spec!(OPT_SACK_COUNT, "tcp.options.sack.count", "TCP SACK Count", "TCP SACK 块数",
    "Number of SACK blocks in the option.",
    "选项中 SACK 块的个数。");
spec!(OPT_ECHO, "tcp.options.echo", "TCP Option - Echo", "TCP 选项 - 回显",
    "Obsolete RFC 1072 round-trip-time option, replaced by timestamps.",
    "已废弃的 RFC 1072 往返时间选项,已被时间戳选项取代。");
spec!(OPT_ECHO_VALUE, "tcp.options.echo_value", "TCP Echo Option", "TCP 回显值",
    "The value to be echoed back.",
    "要被回显的值。");
spec!(OPT_TIMESTAMP, "tcp.options.timestamp", "TCP Option - Timestamps", "TCP 选项 - 时间戳",
    "A clock value from the sender and the last value it received from the other side: used to measure round-trip time and to tell old duplicate segments apart after sequence numbers wrap.",
    "发送方的时钟值,以及它从对方收到的最近一个时钟值:用于测量往返时间,并在序列号回绕后区分旧的重复报文段。");
spec!(OPT_TSVAL, "tcp.options.timestamp.tsval", "Timestamp value", "时间戳值",
    "The sender's timestamp clock when it sent this segment (units are up to the sender, often milliseconds).",
    "发送方发出本报文段时的时间戳时钟(单位由发送方决定,通常为毫秒)。");
spec!(OPT_TSECR, "tcp.options.timestamp.tsecr", "Timestamp echo reply", "时间戳回显应答",
    "The latest timestamp value received from the other side, echoed back so it can compute the round-trip time.",
    "最近从对方收到的时间戳值,回显给对方,让它计算往返时间。");
spec!(OPT_MD5, "tcp.options.md5", "TCP Option - TCP MD5 signature", "TCP 选项 - TCP MD5 签名",
    "RFC 2385 signature over the segment with a shared secret, used to protect BGP sessions.",
    "RFC 2385 用共享密钥对报文段计算的签名,用于保护 BGP 会话。");
spec!(OPT_MD5_DIGEST, "tcp.options.md5.digest", "MD5 digest", "MD5 摘要",
    "The 16-byte MD5 digest.",
    "16 字节的 MD5 摘要。");
spec!(OPT_USER_TO, "tcp.options.user_to", "TCP Option - User Timeout", "TCP 选项 - 用户超时",
    "RFC 5482: how long the sender will wait for data to be acknowledged before giving up the connection.",
    "RFC 5482:发送方在放弃连接之前,愿意等待数据被确认的时间。");
spec!(OPT_USER_TO_GRANULARITY, "tcp.options.user_to_granularity", "Granularity", "单位",
    "Unit of the timeout: set for minutes, clear for seconds.",
    "超时的单位:置位表示分钟,清零表示秒。");
spec!(OPT_USER_TO_VAL, "tcp.options.user_to_val", "User Timeout", "用户超时",
    "The timeout value, in the unit the granularity bit gives.",
    "超时值,单位由单位位决定。");
spec!(OPT_TFO, "tcp.options.tfo", "TCP Option - TCP Fast Open", "TCP 选项 - TCP 快速打开",
    "RFC 7413: lets a client that has a cookie from an earlier connection send data in its SYN, saving a round trip.",
    "RFC 7413:持有以前连接所得 cookie 的客户端可以在 SYN 中就发送数据,省去一个往返时间。");
spec!(OPT_TFO_REQUEST, "tcp.options.tfo.request", "Fast Open Cookie Request", "快速打开 Cookie 请求",
    "An empty Fast Open option: the client asks the server for a cookie.",
    "空的快速打开选项:客户端向服务器请求一个 cookie。");
spec!(OPT_TFO_COOKIE, "tcp.options.tfo.cookie", "Fast Open Cookie", "快速打开 Cookie",
    "The cookie the server gave out, proving the client's address on later SYNs.",
    "服务器发放的 cookie,在之后的 SYN 中证明客户端地址的真实性。");
spec!(OPT_EXPERIMENTAL, "tcp.options.experimental", "TCP Option - Experimental", "TCP 选项 - 实验性",
    "Kinds 253 and 254 are shared by experiments, told apart by a 16-bit experiment identifier (RFC 6994).",
    "类型 253 和 254 供各种实验共用,通过一个 16 位的实验标识符来区分(RFC 6994)。");
spec!(OPT_EXP_EXID, "tcp.options.experimental.exid", "Experiment Identifier", "实验标识符",
    "Which experiment the option belongs to (0xf989 is TCP Fast Open before it got its own kind).",
    "选项所属的实验(0xf989 是 TCP 快速打开获得正式类型之前使用的标识)。");
spec!(OPT_EXP_DATA, "tcp.options.experimental.data", "Data", "数据",
    "The experiment's own bytes.",
    "该实验自己的数据字节。");
spec!(OPT_UNKNOWN, "tcp.options.unknown", "TCP Option - Unknown", "TCP 选项 - 未知",
    "An option kind this decoder does not know; its length byte still lets the receiver skip it.",
    "本解码器不认识的选项类型;凭它的长度字节,接收方仍能跳过它。");
spec!(OPT_UNKNOWN_PAYLOAD, "tcp.options.unknown.payload", "Payload", "内容",
    "The option's bytes after kind and length.",
    "选项中类型和长度之后的字节。");
spec!(PAYLOAD, "tcp.payload", "TCP payload", "TCP 载荷",
    "The data the segment carries: a piece of the application's byte stream. TCP keeps no message boundaries; the application protocol finds its own.",
    "报文段携带的数据:应用程序字节流中的一段。TCP 不保留消息边界,应用层协议需要自己划分消息。");

/// Names of the flag bits in Info order (lowest bit first), as Wireshark lists them.
const FLAG_NAMES: [(u16, &str); 10] = [
    (F_FIN, "FIN"),
    (F_SYN, "SYN"),
    (F_RST, "RST"),
    (F_PSH, "PSH"),
    (F_ACK, "ACK"),
    (F_URG, "URG"),
    (F_ECE, "ECE"),
    (F_CWR, "CWR"),
    (F_AE, "AE"),
    (F_RESERVED, "Reserved"),
];

/// `PSH, ACK`, or `<None>` when no bit is set.
fn flag_names(flags: u16) -> String {
    let mut s = String::new();
    push_flag_names(flags, &mut s);
    s
}

/// Appends the names of the set flags as Info shows them in brackets: `PSH, ACK`, or `<None>`.
pub fn push_flag_names(flags: u16, out: &mut String) {
    // The flags of most segments, without the loop.
    let common = match flags {
        0x010 => "ACK",
        0x018 => "PSH, ACK",
        0x002 => "SYN",
        0x012 => "SYN, ACK",
        0x011 => "FIN, ACK",
        0x004 => "RST",
        0x014 => "RST, ACK",
        _ => "",
    };
    if !common.is_empty() {
        out.push_str(common);
        return;
    }
    let mut first = true;
    for (_, name) in FLAG_NAMES.iter().filter(|(m, _)| flags & m != 0) {
        if !first {
            out.push_str(", ");
        }
        out.push_str(name);
        first = false;
    }
    if first {
        out.push_str("<None>");
    }
}

/// `·······AP···` (`tcp.flags.str`): one letter per bit, high bit first.
pub fn flag_string(flags: u16) -> String {
    let mut out = Vec::with_capacity(24);
    push_flag_string(flags, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// Appends [`flag_string`]'s text (UTF-8) to `out` without making a `String` of it.
pub fn push_flag_string(flags: u16, out: &mut Vec<u8>) {
    const LETTERS: &[u8; 12] = b"RRRACEUAPRSF";
    for (i, &c) in LETTERS.iter().enumerate() {
        if flags & (0x800 >> i) != 0 {
            out.push(c);
        } else {
            out.extend_from_slice("\u{b7}".as_bytes());
        }
    }
}

/// TCP. Hands off `Ports` with the payload (limited by the length IP promises and by what was
/// captured), or `End` when the header is cut, bogus or there is no data.
pub fn tcp(frame: &[u8], at: Range<usize>, ctx: DecodeCtx, pseudo: &PseudoHeader) -> Step {
    let w = Window::new(frame, at);
    let mut layer = Layer::new(LayerKind::Transport, "tcp", "TCP", w.abs(0..w.len()));
    let end = |layer: Layer| Step { layers: vec![layer], next: Handoff::End, payload: w.end()..w.end() };

    let (Some(sport), Some(dport)) = (w.u16(field::SRC_PORT.start), w.u16(field::DST_PORT.start)) else {
        layer.title = "Transmission Control Protocol".to_string();
        layer.notes.push(Note::truncated("TCP header", w.start(), field::MIN_HEADER_LEN, w.len()));
        return end(layer);
    };
    let mut fs = vec![
        Field::new(&SRCPORT, Value::UInt(sport.into()), w.abs(field::SRC_PORT)),
        Field::new(&DSTPORT, Value::UInt(dport.into()), w.abs(field::DST_PORT)),
    ];
    let quoted = ctx.quoted();
    // tshark adds the (raw) sequence number of an ICMPv4-quoted header early, because RFC 792
    // only promises the first 8 bytes; it then skips it (and tcp.seq_raw) on the normal path.
    let quoted_v4 = quoted && pseudo.src.is_ipv4();
    if quoted_v4 {
        if let Some(seq) = w.u32(field::SEQ.start) {
            fs.push(Field::new(&SEQ, Value::UInt(seq.into()), w.abs(field::SEQ)));
        }
    }

    let (Some(seq), Some(ack), Some(off_flags), Some(win)) = (
        w.u32(field::SEQ.start),
        w.u32(field::ACK.start),
        w.u16(field::FLAGS.start),
        w.u16(field::WINDOW.start),
    ) else {
        layer.fields = fs;
        layer.notes.push(Note::truncated("TCP header", w.start(), field::MIN_HEADER_LEN, w.len()));
        summarize(&mut layer);
        return end(layer);
    };
    let hdr_len = usize::from(off_flags >> 12) * 4;
    let flags = off_flags & 0x0fff;
    let upper = pseudo.upper_len;

    if hdr_len < field::MIN_HEADER_LEN {
        return bogus_header(layer, fs, &w, seq, ack, flags, win, hdr_len, upper, quoted);
    }

    // A header longer than the segment IP delivers: tshark calls it a short segment and does
    // no sequence analysis on it (no tcp.len, numbers stay raw).
    let short = !quoted && hdr_len > upper;
    if short {
        layer.notes.push(Note::new(
            Severity::Warn,
            "tcp.short_segment",
            format!("Short segment: the header says {hdr_len} bytes but IP delivers only {upper}"),
            format!("报文段过短:首部声明 {hdr_len} 字节,但 IP 只交付了 {upper} 字节"),
        ));
    }
    let tcp_len = if quoted || short { None } else { upper.checked_sub(hdr_len) };
    if let Some(l) = tcp_len {
        fs.push(Field::generated(&LEN, Value::UInt(l as u64)));
    }
    if !quoted_v4 {
        fs.push(Field::new(&SEQ, Value::UInt(seq.into()), w.abs(field::SEQ)));
        fs.push(Field::new(&SEQ_RAW, Value::UInt(seq.into()), w.abs(field::SEQ)));
    }
    if let Some(l) = tcp_len {
        let next = next_seq(seq, l, flags);
        fs.push(Field::generated(&NXTSEQ, Value::UInt(next.into())));
    }
    fs.push(Field::new(&ACK, Value::UInt(ack.into()), w.abs(field::ACK)));
    fs.push(Field::new(&ACK_RAW, Value::UInt(ack.into()), w.abs(field::ACK)));
    fs.push(hdr_len_field(&w, hdr_len));
    fs.push(flags_field(&w, flags));
    fs.push(Field::new(&WINDOW, Value::UInt(win.into()), w.abs(field::WINDOW)));
    fs.push(Field::generated(&WINDOW_SIZE, Value::UInt(win.into())));

    if let Some(sum) = w.u16(field::CHECKSUM.start) {
        let verdict = verify(&w, pseudo);
        fs.push(checksum_field(&CHECKSUM, &CHECKSUM_STATUS, sum, w.abs(field::CHECKSUM), verdict));
    }
    if let Some(urg) = w.u16(field::URGENT.start) {
        fs.push(Field::new(&URGENT, Value::UInt(urg.into()), w.abs(field::URGENT)));
    }
    if hdr_len > field::MIN_HEADER_LEN && w.len() > field::MIN_HEADER_LEN {
        fs.push(options(&w, hdr_len));
    }
    if w.len() < hdr_len {
        layer.notes.push(Note::truncated("TCP header", w.start(), hdr_len, w.len()));
    }

    // The data: after the header, as long as IP says (the quoted packet's own IP header in an
    // ICMP error), and only what was captured.
    let data_len = if short { 0 } else { upper.saturating_sub(hdr_len) };
    let start = w.start().saturating_add(hdr_len).min(w.end());
    let stop = w.start().saturating_add(hdr_len).saturating_add(data_len).min(w.end());
    let payload = start..stop.max(start);
    if !payload.is_empty() {
        let bytes = frame.get(payload.clone()).unwrap_or(&[]).to_vec();
        fs.push(Field::new(&PAYLOAD, Value::Bytes(bytes), payload.clone()));
    }

    layer.range = w.abs(0..hdr_len);
    layer.fields = fs;
    summarize(&mut layer);
    if payload.is_empty() {
        return end(layer);
    }
    Step { layers: vec![layer], next: Handoff::Ports { transport: Transport::Tcp, src: sport, dst: dport }, payload }
}

/// Sequence number after this segment: data length, plus one for SYN and for FIN (one in all
/// when both are set, as tshark counts).
pub fn next_seq(seq: u32, len: usize, flags: u16) -> u32 {
    let extra = u32::from(flags & (F_SYN | F_FIN) != 0);
    seq.wrapping_add(len as u32).wrapping_add(extra)
}

fn verify(w: &Window<'_>, pseudo: &PseudoHeader) -> Verdict {
    // The checksum covers the segment IP promises; all of it must have been captured.
    let Some(segment) = w.bytes(0..pseudo.upper_len) else { return Verdict::Unverified };
    if checksum::verify_with_pseudo(pseudo, segment) {
        Verdict::Good
    } else {
        Verdict::Bad { expected: expected_checksum(pseudo, segment, field::CHECKSUM.start) }
    }
}

fn hdr_len_field(w: &Window<'_>, hdr_len: usize) -> Field {
    Field::new(&HDR_LEN, Value::UInt(hdr_len as u64), w.abs(field::OFFSET))
        .with_mask(0xf0)
        .with_display(netlayers_core::text::bytes_and_words(hdr_len))
}

/// `0x018 (PSH, ACK)`: the flag bits in three hex digits and their names.
fn flags_display(flags: u16) -> String {
    let mut s = String::with_capacity(24);
    s.push_str("0x");
    // `{flags:03x}`: the flags are 12 bits, three hex digits.
    for shift in [8, 4, 0] {
        s.push(char::from_digit(u32::from(flags >> shift & 0xf), 16).unwrap_or('0'));
    }
    s.push_str(" (");
    push_flag_names(flags, &mut s);
    s.push(')');
    s
}

/// `n` followed by a fixed text: `1 (relative sequence number)`.
fn number_and(n: u32, text: &str) -> String {
    let mut s = String::with_capacity(12 + text.len());
    push_decimal(&mut s, n);
    s.push_str(text);
    s
}

fn flags_field(w: &Window<'_>, flags: u16) -> Field {
    let hi = w.abs(field::OFFSET);
    let lo = w.abs(field::FLAGS_LOW);
    let bit = |spec: &'static FieldSpec, mask: u16| {
        // Reserved and AE live in the data-offset byte, the rest in the next one.
        let (range, m) = if mask > 0xff { (hi.clone(), mask >> 8) } else { (lo.clone(), mask) };
        Field::new(spec, Value::Bool(flags & mask != 0), range).with_mask(m.into())
    };
    Field::new(&FLAGS, Value::Hex { value: flags.into(), digits: 3 }, w.abs(field::FLAGS))
        .with_mask(0x0fff)
        .with_display(flags_display(flags))
        .with_children(vec![
            bit(&FLAG_RES, F_RESERVED),
            bit(&FLAG_AE, F_AE),
            bit(&FLAG_CWR, F_CWR),
            bit(&FLAG_ECE, F_ECE),
            bit(&FLAG_URG, F_URG),
            bit(&FLAG_ACK, F_ACK),
            bit(&FLAG_PUSH, F_PSH),
            bit(&FLAG_RESET, F_RST),
            bit(&FLAG_SYN, F_SYN),
            bit(&FLAG_FIN, F_FIN),
            Field::generated(&FLAGS_STR, Value::Text(flag_string(flags))),
        ])
}

/// A header whose Data Offset is below 5. tshark reports the ports, the sequence number and the
/// header length, then stops; its Info still names the flags and window it read.
#[allow(clippy::too_many_arguments)]
fn bogus_header(
    mut layer: Layer,
    mut fs: Vec<Field>,
    w: &Window<'_>,
    seq: u32,
    ack: u32,
    flags: u16,
    win: u16,
    hdr_len: usize,
    upper: usize,
    quoted: bool,
) -> Step {
    if !quoted {
        if let Some(l) = upper.checked_sub(hdr_len) {
            fs.push(Field::generated(&LEN, Value::UInt(l as u64)));
        }
        fs.push(Field::new(&SEQ, Value::UInt(seq.into()), w.abs(field::SEQ)));
        fs.push(Field::new(&SEQ_RAW, Value::UInt(seq.into()), w.abs(field::SEQ)));
    }
    let note = Note::new(
        Severity::Error,
        "tcp.bogus_header_length",
        format!("Bogus TCP header length ({hdr_len}, must be at least 20)"),
        format!("TCP 首部长度错误({hdr_len},至少应为 20)"),
    );
    fs.push(hdr_len_field(w, hdr_len).with_note(note.clone()));
    layer.notes.push(note);
    let (sport, dport) = (w.u16(0).unwrap_or(0), w.u16(2).unwrap_or(0));
    layer.title = format!("Transmission Control Protocol, Src Port: {sport}, Dst Port: {dport}, Seq: {seq}");
    let mut info = format!("{sport} \u{2192} {dport} [{}] Seq={seq}", flag_names(flags));
    if flags & F_ACK != 0 {
        info.push_str(&format!(" Ack={ack}"));
    }
    info.push_str(&format!(" Win={win}, bogus TCP header length ({hdr_len}, must be at least 20)"));
    layer.info = Some(info);
    layer.fields = fs;
    let end = w.end();
    Step { layers: vec![layer], next: Handoff::End, payload: end..end }
}

/// What one option kind is called in the tree and in the `tcp.options` summary.
fn option_name(kind: u8) -> &'static str {
    match kind {
        kind::EOL => "End of Option List (EOL)",
        kind::NOP => "No-Operation (NOP)",
        kind::MSS => "Maximum segment size",
        kind::WSCALE => "Window scale",
        kind::SACK_PERM => "SACK permitted",
        kind::SACK => "SACK",
        kind::ECHO => "Echo",
        kind::TIMESTAMP => "Timestamps",
        kind::MD5 => "TCP MD5 signature",
        kind::USER_TO => "User Timeout",
        kind::TFO => "TCP Fast Open",
        kind::EXP1 | kind::EXP2 => "Experimental",
        _ => "Unknown",
    }
}

/// The Kind byte's name as Wireshark's `tcp.option_kind` shows it.
fn kind_name(kind: u8) -> Option<&'static str> {
    Some(match kind {
        kind::EOL => "End of Option List",
        kind::NOP => "No-Operation",
        kind::MSS => "Maximum Segment Size",
        kind::WSCALE => "Window Scale",
        kind::SACK_PERM => "SACK Permitted",
        kind::SACK => "SACK",
        kind::ECHO => "Echo",
        7 => "Echo Reply",
        kind::TIMESTAMP => "Time Stamp Option",
        kind::MD5 => "MD5 Signature Option",
        kind::USER_TO => "TCP User Timeout Option",
        29 => "TCP Authentication Option",
        30 => "Multipath TCP",
        kind::TFO => "TCP Fast Open Cookie",
        kind::EXP1 => "RFC3692-style Experiment 1",
        kind::EXP2 => "RFC3692-style Experiment 2",
        _ => return None,
    })
}

fn option_spec(kind: u8) -> &'static FieldSpec {
    match kind {
        kind::EOL => &OPT_EOL,
        kind::NOP => &OPT_NOP,
        kind::MSS => &OPT_MSS,
        kind::WSCALE => &OPT_WSCALE,
        kind::SACK_PERM => &OPT_SACK_PERM,
        kind::SACK => &OPT_SACK,
        kind::ECHO => &OPT_ECHO,
        kind::TIMESTAMP => &OPT_TIMESTAMP,
        kind::MD5 => &OPT_MD5,
        kind::USER_TO => &OPT_USER_TO,
        kind::TFO => &OPT_TFO,
        kind::EXP1 | kind::EXP2 => &OPT_EXPERIMENTAL,
        _ => &OPT_UNKNOWN,
    }
}

/// The length an option of this kind must have, when it is fixed.
fn fixed_len(kind: u8) -> Option<usize> {
    match kind {
        kind::MSS => Some(4),
        kind::WSCALE => Some(3),
        kind::SACK_PERM => Some(2),
        kind::ECHO | 7 => Some(6),
        kind::TIMESTAMP => Some(10),
        kind::MD5 => Some(18),
        kind::USER_TO => Some(4),
        _ => None,
    }
}

fn note_option(f: &mut Field, id: &'static str, en: String, zh: String) {
    f.notes.push(Note::new(Severity::Note, id, en, zh));
}

/// The options between byte 20 and the data offset, as far as they were captured. An option
/// whose fields are cut keeps the fields it has and a `truncated` note; Info only names
/// complete, valid options.
fn options(w: &Window<'_>, hdr_len: usize) -> Field {
    let start = field::MIN_HEADER_LEN;
    let captured_end = hdr_len.min(w.len());
    let mut children = Vec::new();
    let mut names: Vec<&'static str> = Vec::new();
    let mut field_notes = Vec::new();
    let mut off = start;
    let mut after_eol = false;
    while off < hdr_len {
        let Some(k) = w.u8(off) else { break };
        if after_eol && k != kind::EOL {
            // tshark shows each zero padding byte after EOL as another EOL, and stops at the
            // first non-zero byte.
            field_notes.push(Note::new(
                Severity::Note,
                "tcp.non_zero_bytes_after_eol",
                "Non-zero bytes in option space after EOL option",
                "EOL 选项之后的选项空间中有非零字节",
            ));
            break;
        }
        let kind_field =
            |kd: u8| Field::new(&OPTION_KIND, Value::Enum { value: kd.into(), name: kind_name(kd) }, w.abs(off..off + 1));
        if k == kind::EOL || k == kind::NOP {
            after_eol |= k == kind::EOL;
            let bytes = w.bytes(off..off + 1).unwrap_or(&[]).to_vec();
            children.push(Field::new(option_spec(k), Value::Bytes(bytes), w.abs(off..off + 1)).with_children(vec![kind_field(k)]));
            names.push(option_name(k));
            off += 1;
            continue;
        }
        let mut group = Field::new(option_spec(k), Value::None, w.abs(off..hdr_len));
        group.children.push(kind_field(k));
        names.push(option_name(k));
        let Some(len) = w.u8(off + 1).map(usize::from) else {
            group.value = Value::Bytes(w.rest(off).to_vec());
            note_option(&mut group, "truncated", "Option cut off by the capture".into(), "选项被抓包截断".into());
            children.push(group);
            break;
        };
        group.children.push(Field::new(&OPTION_LEN, Value::UInt(len as u64), w.abs(off + 1..off + 2)));
        if len < 2 || off + len > hdr_len {
            // tshark shows only a text line with the complaint here: no kind, no length.
            group.children.clear();
            group.range = w.abs(off..hdr_len);
            group.value = Value::None;
            group.display = Some(format!("{} ({} bytes left)", option_name(k), hdr_len - off));
            let (en, zh) = if len < 2 {
                (
                    format!("{} (option length = {len} bytes; must be at least 2)", option_name(k)),
                    format!("{}(选项长度 = {len} 字节;至少应为 2)", option_name(k)),
                )
            } else {
                (
                    format!("{} (option length = {len} bytes says option goes past end of options)", option_name(k)),
                    format!("{}(选项长度 = {len} 字节,超出了选项区的末尾)", option_name(k)),
                )
            };
            note_option(&mut group, "tcp.option.len.invalid", en, zh);
            children.push(group);
            break;
        }
        let r = off..off + len;
        group.range = w.abs(r.clone());
        group.value = Value::Bytes(w.bytes(off..(off + len).min(w.len())).unwrap_or(&[]).to_vec());
        if let Some(want) = fixed_len(k).filter(|&n| n != len) {
            note_option(
                &mut group,
                "tcp.option.len.invalid",
                format!("option length should be {want}"),
                format!("选项长度应为 {want}"),
            );
        } else if k == kind::SACK && (len - 2) % 8 != 0 {
            note_option(
                &mut group,
                "tcp.option.len.invalid",
                "SACK option length must be 2 plus a multiple of 8".into(),
                "SACK 选项长度必须是 2 加 8 的倍数".into(),
            );
        } else {
            option_body(w, k, off, len, &mut group);
        }
        if off + len > w.len() {
            note_option(&mut group, "truncated", "Option cut off by the capture".into(), "选项被抓包截断".into());
        }
        children.push(group);
        off += len;
    }
    let bytes = w.bytes(start..captured_end).unwrap_or(&[]).to_vec();
    let mut display = format!("({} bytes)", hdr_len - start);
    for n in &names {
        display.push_str(", ");
        display.push_str(n);
    }
    let mut f = Field::new(&OPTIONS, Value::Bytes(bytes), w.abs(start..hdr_len)).with_display(display).with_children(children);
    f.notes = field_notes;
    f
}

/// The fields inside one option of valid length, each only if its bytes were captured.
fn option_body(w: &Window<'_>, k: u8, off: usize, len: usize, group: &mut Field) {
    let data = off + 2;
    let push = |g: &mut Field, f: Field| g.children.push(f);
    match k {
        kind::MSS => {
            if let Some(v) = w.u16(data) {
                push(group, Field::new(&OPT_MSS_VAL, Value::UInt(v.into()), w.abs(data..data + 2)));
                group.display = Some(format!("{v} bytes"));
            }
        }
        kind::WSCALE => {
            if let Some(shift) = w.u8(data) {
                let mult = 1u32 << shift.min(MAX_WSCALE_SHIFT);
                let mut f = Field::new(&OPT_WSCALE_SHIFT, Value::UInt(shift.into()), w.abs(data..data + 1));
                if shift > MAX_WSCALE_SHIFT {
                    f.notes.push(Note::new(
                        Severity::Warn,
                        "tcp.options.wscale.shift.invalid",
                        format!("Window scale shift {shift} exceeds 14; 14 is used"),
                        format!("窗口扩大移位 {shift} 超过 14;按 14 处理"),
                    ));
                }
                push(group, f);
                let mut m = Field::new(&OPT_WSCALE_MULT, Value::UInt(mult.into()), w.abs(data..data + 1));
                m.generated = true;
                push(group, m);
                group.display = Some(format!("{shift} (multiply by {mult})"));
            }
        }
        kind::SACK => {
            let blocks = (len - 2) / 8;
            for b in 0..blocks {
                let at = data + b * 8;
                if let Some(le) = w.u32(at) {
                    push(group, Field::new(&OPT_SACK_LE, Value::UInt(le.into()), w.abs(at..at + 4)));
                }
                if let Some(re) = w.u32(at + 4) {
                    push(group, Field::new(&OPT_SACK_RE, Value::UInt(re.into()), w.abs(at + 4..at + 8)));
                }
            }
            push(group, Field::generated(&OPT_SACK_COUNT, Value::UInt(blocks as u64)));
        }
        kind::ECHO => {
            if let Some(v) = w.u32(data) {
                push(group, Field::new(&OPT_ECHO_VALUE, Value::UInt(v.into()), w.abs(data..data + 4)));
                group.display = Some(v.to_string());
            }
        }
        kind::TIMESTAMP => {
            let tsval = w.u32(data);
            let tsecr = w.u32(data + 4);
            if let Some(v) = tsval {
                push(group, Field::new(&OPT_TSVAL, Value::UInt(v.into()), w.abs(data..data + 4)));
            }
            if let Some(v) = tsecr {
                push(group, Field::new(&OPT_TSECR, Value::UInt(v.into()), w.abs(data + 4..data + 8)));
            }
            if let (Some(a), Some(b)) = (tsval, tsecr) {
                group.display = Some(format!("TSval {a}, TSecr {b}"));
            }
        }
        kind::MD5 => {
            if let Some(d) = w.bytes(data..data + 16) {
                push(group, Field::new(&OPT_MD5_DIGEST, Value::Bytes(d.to_vec()), w.abs(data..data + 16)));
            }
        }
        kind::USER_TO => {
            if let Some(v) = w.u16(data) {
                push(group, Field::new(&OPT_USER_TO_GRANULARITY, Value::Bool(v & 0x8000 != 0), w.abs(data..data + 2)).with_mask(0x8000));
                push(group, Field::new(&OPT_USER_TO_VAL, Value::UInt((v & 0x7fff).into()), w.abs(data..data + 2)).with_mask(0x7fff));
            }
        }
        kind::TFO => tfo_cookie(w, data, off + len, group),
        kind::EXP1 | kind::EXP2 => {
            if let Some(exid) = w.u16(data) {
                push(group, Field::new(&OPT_EXP_EXID, Value::Hex { value: exid.into(), digits: 4 }, w.abs(data..data + 2)));
                if exid == kind::EXID_TFO {
                    group.display = Some("Fast Open".to_string());
                    tfo_cookie(w, data + 2, off + len, group);
                } else if off + len > data + 2 {
                    let d = w.bytes(data + 2..(off + len).min(w.len())).unwrap_or(&[]).to_vec();
                    push(group, Field::new(&OPT_EXP_DATA, Value::Bytes(d), w.abs(data + 2..off + len)));
                }
            }
        }
        _ => {
            if len > 2 {
                let d = w.bytes(data..(off + len).min(w.len())).unwrap_or(&[]).to_vec();
                push(group, Field::new(&OPT_UNKNOWN_PAYLOAD, Value::Bytes(d), w.abs(data..off + len)));
            }
        }
    }
}

fn tfo_cookie(w: &Window<'_>, from: usize, to: usize, group: &mut Field) {
    if from >= to {
        group.children.push(Field::generated(&OPT_TFO_REQUEST, Value::None));
    } else {
        let d = w.bytes(from..to.min(w.len())).unwrap_or(&[]).to_vec();
        group.children.push(Field::new(&OPT_TFO_COOKIE, Value::Bytes(d), w.abs(from..to)));
    }
}

/// TCP's header fields (ports, numbers, lengths, flags, window, urgent pointer, the options
/// group) are top-level fields of its layer: [`tcp`] puts them there and nothing nests them. So
/// reading one needs no search through the trees below the others (the flag bits, each
/// option's parts), which `Layer::find` would do, and for a missing key all the way down.
fn header_field<'a>(layer: &'a Layer, key: &str) -> Option<&'a Field> {
    layer.fields.iter().find(|f| f.spec.key == key)
}

fn header_field_mut<'a>(layer: &'a mut Layer, key: &str) -> Option<&'a mut Field> {
    layer.fields.iter_mut().find(|f| f.spec.key == key)
}

/// The first field with this key, depth first, for changing it.
fn find_mut<'a>(fields: &'a mut [Field], key: &str) -> Option<&'a mut Field> {
    for f in fields.iter_mut() {
        if f.spec.key == key {
            return Some(f);
        }
        if !f.children.is_empty() {
            if let Some(found) = find_mut(&mut f.children, key) {
                return Some(found);
            }
        }
    }
    None
}

/// The number in a header field (see [`header_field`]).
fn num(layer: &Layer, key: &str) -> Option<u64> {
    header_field(layer, key).and_then(|f| f.value.as_u64())
}

/// Rebuilds the tree heading and the Info text from the layer's fields, so that the decoder and
/// the later rewrites ([`tcp_relative`], [`tcp_window_scale`]) share one formatting.
///
/// Wireshark builds Info while it reads the header, so a cut header gives a shorter Info:
/// `40312 → 80 [PSH, ACK] Seq=1 Ack=1 Win=502` without `Len=` until the urgent pointer was
/// read; options are named only when complete.
fn summarize(layer: &mut Layer) {
    // The first of each header field, in one pass over the top level (see `header_field`).
    let mut v: [Option<u64>; 9] = [None; 9];
    let mut seen = [false; 9];
    let mut options = None;
    for f in &layer.fields {
        let i = match f.spec.key {
            "tcp.srcport" => 0,
            "tcp.dstport" => 1,
            "tcp.flags" => 2,
            "tcp.seq" => 3,
            "tcp.ack" => 4,
            "tcp.window_size" => 5,
            "tcp.window_size_value" => 6,
            "tcp.len" => 7,
            "tcp.urgent_pointer" => 8,
            "tcp.options" => {
                options = options.or(Some(f));
                continue;
            }
            _ => continue,
        };
        if !seen[i] {
            seen[i] = true;
            v[i] = f.value.as_u64();
        }
    }
    let [sport, dport, flags, seq, ack, window_size, window_size_value, len, urg] = v;
    let (Some(sport), Some(dport)) = (sport, dport) else { return };
    // Room for a typical heading and Info at once (a rewrite reuses what the first call made),
    // instead of growing each string five or six times.
    let mut title = std::mem::take(&mut layer.title);
    title.clear();
    title.reserve(96);
    title.push_str("Transmission Control Protocol, Src Port: ");
    push_decimal(&mut title, sport);
    title.push_str(", Dst Port: ");
    push_decimal(&mut title, dport);
    let mut info = layer.info.take().unwrap_or_default();
    info.clear();
    info.reserve(96);
    push_decimal(&mut info, sport);
    info.push_str(" \u{2192} ");
    push_decimal(&mut info, dport);
    if let (Some(flags), Some(seq), Some(ack)) = (flags, seq, ack) {
        let flags = flags as u16;
        let win = window_size.or(window_size_value).unwrap_or(0);
        push_named(&mut title, ", Seq: ", seq);
        info.push_str(" [");
        push_flag_names(flags, &mut info);
        push_named(&mut info, "] Seq=", seq);
        if flags & F_ACK != 0 {
            push_named(&mut title, ", Ack: ", ack);
            push_named(&mut info, " Ack=", ack);
        }
        push_named(&mut info, " Win=", win);
        if let Some(urg) = urg {
            if flags & F_URG != 0 {
                push_named(&mut info, " Urg=", urg);
            }
            if let Some(l) = len {
                push_named(&mut info, " Len=", l);
            }
            if let Some(opts) = options {
                for o in &opts.children {
                    option_info(o, &mut info);
                }
            }
        }
        if let Some(l) = len {
            push_named(&mut title, ", Len: ", l);
        }
    }
    layer.title = title;
    layer.info = Some(info);
}

/// Appends a name and a number: ` Win=502`, `, Seq: 1`.
fn push_named(out: &mut String, name: &str, n: u64) {
    out.push_str(name);
    push_decimal(out, n);
}

/// The Info words for one complete, valid option (`MSS=1460`, `SACK_PERM`, `WS=128` …).
fn option_info(o: &Field, info: &mut String) {
    if !o.notes.is_empty() {
        return;
    }
    let child = |key: &str| o.children.iter().find(|c| c.spec.key == key).and_then(|c| c.value.as_u64());
    match o.spec.key {
        "tcp.options.mss" => {
            if let Some(v) = child("tcp.options.mss_val") {
                push_named(info, " MSS=", v);
            }
        }
        "tcp.options.sack_perm" => info.push_str(" SACK_PERM"),
        "tcp.options.timestamp" => {
            if let (Some(a), Some(b)) = (child("tcp.options.timestamp.tsval"), child("tcp.options.timestamp.tsecr")) {
                push_named(info, " TSval=", a);
                push_named(info, " TSecr=", b);
            }
        }
        "tcp.options.wscale" => {
            if let Some(m) = child("tcp.options.wscale.multiplier") {
                push_named(info, " WS=", m);
            }
        }
        "tcp.options.sack" => {
            for c in &o.children {
                match (c.spec.key, c.value.as_u64()) {
                    ("tcp.options.sack_le", Some(v)) => push_named(info, " SLE=", v),
                    ("tcp.options.sack_re", Some(v)) => push_named(info, " SRE=", v),
                    _ => {}
                }
            }
        }
        "tcp.options.echo" => {
            if let Some(v) = child("tcp.options.echo_value") {
                push_named(info, " ECHO=", v);
            }
        }
        "tcp.options.md5" => info.push_str(" MD5"),
        "tcp.options.user_to" => {
            if let Some(v) = child("tcp.options.user_to_val") {
                push_named(info, " USER_TO=", v);
            }
        }
        "tcp.options.tfo" | "tcp.options.experimental" => {
            if o.children.iter().any(|c| c.spec.key == "tcp.options.tfo.request") {
                info.push_str(" TFO=R");
            } else if o.children.iter().any(|c| c.spec.key == "tcp.options.tfo.cookie") {
                info.push_str(" TFO=C");
            }
        }
        _ => {}
    }
}

/// Adds Wireshark's relative sequence numbers to a decoded TCP layer and rewrites its heading
/// and Info text with them: `seq_base` is this direction's base, `ack_base` the other
/// direction's (if seen).
///
/// Wireshark's bases (what the caller should keep per direction): a SYN sets the base to its own
/// sequence number (relative 0); otherwise the first segment seen from a direction sets it to
/// `seq − 1` (relative 1); and the first segment with ACK set also fixes the OTHER direction's
/// base at `ack − 1` if that direction has none yet. When `ack_base` is `None` here and ACK is
/// set, this applies that last rule itself (the acknowledgment shows as 1).
///
/// `tcp.seq` and `tcp.nxtseq` become relative; `tcp.ack` too when ACK is set (without ACK
/// tshark shows the raw field). SACK edges are relative to the acknowledgment's base. A layer
/// without `tcp.len` (quoted in ICMP, short segment) is left alone, as tshark leaves it.
pub fn tcp_relative(layer: &mut Layer, seq_base: u32, ack_base: Option<u32>) {
    if relative_numbers(layer, seq_base, ack_base) {
        summarize(layer);
    }
}

/// [`tcp_relative`] and [`tcp_window_scale`] together, the heading and Info rewritten once:
/// what the dissector does to every segment of a capture.
pub fn tcp_relative_scaled(layer: &mut Layer, seq_base: u32, ack_base: Option<u32>, scale: WindowScale) {
    let numbered = relative_numbers(layer, seq_base, ack_base);
    if scale_window(layer, scale) || numbered {
        summarize(layer);
    }
}

/// The field rewrites of [`tcp_relative`]; whether there were any.
fn relative_numbers(layer: &mut Layer, seq_base: u32, ack_base: Option<u32>) -> bool {
    if layer.protocol != "tcp" {
        return false;
    }
    let (Some(len), Some(seq_raw), Some(ack_raw), Some(flags)) =
        (num(layer, "tcp.len"), num(layer, "tcp.seq_raw"), num(layer, "tcp.ack_raw"), num(layer, "tcp.flags"))
    else {
        return false;
    };
    let (seq_raw, ack_raw, flags) = (seq_raw as u32, ack_raw as u32, flags as u16);
    let seq = seq_raw.wrapping_sub(seq_base);
    if let Some(f) = header_field_mut(layer, "tcp.seq") {
        f.value = Value::UInt(seq.into());
        f.display = Some(number_and(seq, " (relative sequence number)"));
    }
    if let Some(f) = header_field_mut(layer, "tcp.nxtseq") {
        let next = next_seq(seq, len as usize, flags);
        f.value = Value::UInt(next.into());
        f.display = Some(number_and(next, " (relative sequence number)"));
    }
    let ack_base = ack_base.or(if flags & F_ACK != 0 { Some(ack_raw.wrapping_sub(1)) } else { None });
    if let Some(base) = ack_base {
        if flags & F_ACK != 0 {
            if let Some(f) = header_field_mut(layer, "tcp.ack") {
                let ack = ack_raw.wrapping_sub(base);
                f.value = Value::UInt(ack.into());
                f.display = Some(number_and(ack, " (relative ack number)"));
            }
        }
        let options = header_field_mut(layer, "tcp.options");
        if let Some(sack) = options.and_then(|o| find_mut(&mut o.children, "tcp.options.sack")) {
            relative_sack(sack, base);
        }
    }
    true
}

/// SACK edges relative to `base`, the other side's initial sequence number.
fn relative_sack(sack: &mut Field, base: u32) {
    for c in sack.children.iter_mut() {
        if matches!(c.spec.key, "tcp.options.sack_le" | "tcp.options.sack_re") {
            if let Some(raw) = raw_of(c) {
                let rel = raw.wrapping_sub(base);
                c.value = Value::UInt(rel.into());
                c.display = Some(number_and(rel, " (relative)"));
            }
        }
    }
}

/// The `tcp.options` field of the segment at `seg` in `frame` whose header is `hdr_len` bytes
/// (more than 20, all captured), SACK edges relative to `ack_base` as [`tcp_relative`] makes
/// them: what the TCP layer holds, for a caller that reads the rest of the header itself (the
/// NDJSON fast path).
pub fn options_field(frame: &[u8], seg: Range<usize>, hdr_len: usize, ack_base: Option<u32>) -> Field {
    let w = Window::new(frame, seg);
    let mut f = options(&w, hdr_len);
    if let Some(base) = ack_base {
        if let Some(sack) = find_mut(std::slice::from_mut(&mut f), "tcp.options.sack") {
            relative_sack(sack, base);
        }
    }
    f
}

/// The wire value of a SACK edge, or `None` if it was already made relative. SACK edges have no
/// separate raw field, so a rewritten edge is recognised by its display and never shifted twice.
fn raw_of(f: &Field) -> Option<u32> {
    if f.display.is_some() {
        return None;
    }
    f.value.as_u64().map(|v| v as u32)
}

/// Window scaling of one direction, as the stack learns it from the handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowScale {
    /// No SYN of this connection was seen: the window is shown as it is.
    Unknown,
    /// The handshake was seen and one SYN lacked the option: no scaling.
    NotUsed,
    /// This direction's shift from its own SYN (values above 14 count as 14).
    Shift(u8),
}

/// Sets `tcp.window_size` (and the scale factor) from what the handshake announced, and
/// rewrites `Win=` in Info. SYN segments are never scaled.
///
/// Wireshark's rule for the caller: a direction's shift is the window-scale option of its own
/// SYN (or SYN+ACK). If a SYN or SYN+ACK arrives without the option, neither direction scales
/// (`NotUsed`), even if the other side offered it. Before any SYN is seen it is `Unknown`.
pub fn tcp_window_scale(layer: &mut Layer, scale: WindowScale) {
    if scale_window(layer, scale) {
        summarize(layer);
    }
}

/// The field rewrites of [`tcp_window_scale`]; whether there were any.
fn scale_window(layer: &mut Layer, scale: WindowScale) -> bool {
    if layer.protocol != "tcp" {
        return false;
    }
    let (Some(raw), Some(flags)) = (num(layer, "tcp.window_size_value"), num(layer, "tcp.flags")) else { return false };
    let shift = match scale {
        WindowScale::Shift(s) if flags as u16 & F_SYN == 0 => Some(s.min(MAX_WSCALE_SHIFT)),
        _ => None,
    };
    let size = raw << shift.unwrap_or(0);
    if let Some(f) = header_field_mut(layer, "tcp.window_size") {
        f.value = Value::UInt(size);
    }
    let pos = layer.fields.iter().position(|f| f.spec.key == "tcp.window_size");
    layer.fields.retain(|f| f.spec.key != "tcp.window_size_scalefactor");
    if let (Some(s), Some(p)) = (shift, pos) {
        layer.fields.insert(p + 1, Field::generated(&WINDOW_SCALEFACTOR, Value::UInt(1u64 << s)));
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

    const SRC: Ipv4Addr = Ipv4Addr::new(10, 77, 0, 1);
    const DST: Ipv4Addr = Ipv4Addr::new(10, 77, 0, 2);

    fn pseudo(upper_len: usize) -> PseudoHeader {
        PseudoHeader { src: IpAddr::V4(SRC), dst: IpAddr::V4(DST), protocol: 6, upper_len }
    }

    /// The SYN of `tshark` capture t1 frame 1: 40312 → 80, seq 1000, window 64240, options
    /// MSS 1460, SACK permitted, timestamps 1000/0, NOP, window scale 7. Checksum 0x92da is the
    /// real one for 10.77.0.1 → 10.77.0.2.
    const SYN_SEG: [u8; 40] = [
        0x9d, 0x78, // source port 40312
        0x00, 0x50, // destination port 80
        0x00, 0x00, 0x03, 0xe8, // sequence number 1000
        0x00, 0x00, 0x00, 0x00, // acknowledgment number 0
        0xa0, // data offset 10 (40 bytes), reserved 0, AE 0
        0x02, // flags: SYN
        0xfa, 0xf0, // window 64240
        0x92, 0xda, // checksum
        0x00, 0x00, // urgent pointer
        0x02, 0x04, 0x05, 0xb4, // MSS 1460
        0x04, 0x02, // SACK permitted
        0x08, 0x0a, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x00, 0x00, // timestamps 1000, 0
        0x01, // NOP
        0x03, 0x03, 0x07, // window scale 7
    ];

    /// A data segment: 40312 → 80, seq 1001, ack 5001, PSH+ACK, window 502, "hello", with its
    /// checksum filled in by [`with_checksum`].
    fn data_seg() -> Vec<u8> {
        let mut s = vec![
            0x9d, 0x78, 0x00, 0x50, // ports
            0x00, 0x00, 0x03, 0xe9, // seq 1001
            0x00, 0x00, 0x13, 0x89, // ack 5001
            0x50, 0x18, // offset 5, PSH+ACK
            0x01, 0xf6, // window 502
            0x00, 0x00, // checksum (filled below)
            0x00, 0x00, // urgent
        ];
        s.extend_from_slice(b"hello");
        with_checksum(s)
    }

    fn with_checksum(mut s: Vec<u8>) -> Vec<u8> {
        s[16] = 0;
        s[17] = 0;
        let c = checksum::with_pseudo(&pseudo(s.len()), &s);
        s[16..18].copy_from_slice(&c.to_be_bytes());
        s
    }

    /// The segment placed after 14 bytes of something else, so that ranges are absolute.
    fn framed(seg: &[u8]) -> (Vec<u8>, Range<usize>) {
        let mut f = vec![0xeeu8; 14];
        f.extend_from_slice(seg);
        let at = 14..f.len();
        (f, at)
    }

    fn layer(step: &Step) -> &Layer {
        &step.layers[0]
    }

    fn val(l: &Layer, key: &str) -> Option<Value> {
        l.find(key).map(|f| f.value.clone())
    }

    #[test]
    fn parse_syn_with_options() {
        let (f, at) = framed(&SYN_SEG);
        let s = tcp(&f, at.clone(), DecodeCtx::default(), &pseudo(40));
        let l = layer(&s);
        assert_eq!(val(l, "tcp.srcport"), Some(Value::UInt(40312)));
        assert_eq!(val(l, "tcp.dstport"), Some(Value::UInt(80)));
        assert_eq!(val(l, "tcp.seq_raw"), Some(Value::UInt(1000)));
        assert_eq!(val(l, "tcp.ack_raw"), Some(Value::UInt(0)));
        assert_eq!(val(l, "tcp.hdr_len"), Some(Value::UInt(40)));
        assert_eq!(val(l, "tcp.flags"), Some(Value::Hex { value: 2, digits: 3 }));
        assert_eq!(val(l, "tcp.flags.syn"), Some(Value::Bool(true)));
        assert_eq!(val(l, "tcp.flags.ack"), Some(Value::Bool(false)));
        assert_eq!(val(l, "tcp.flags.str"), Some(Value::Text("··········S·".into())));
        assert_eq!(val(l, "tcp.window_size_value"), Some(Value::UInt(64240)));
        assert_eq!(val(l, "tcp.len"), Some(Value::UInt(0)));
        assert_eq!(val(l, "tcp.nxtseq"), Some(Value::UInt(1001)));
        assert_eq!(val(l, "tcp.options.mss_val"), Some(Value::UInt(1460)));
        assert!(l.find("tcp.options.sack_perm").is_some());
        assert_eq!(val(l, "tcp.options.timestamp.tsval"), Some(Value::UInt(1000)));
        assert_eq!(val(l, "tcp.options.wscale.shift"), Some(Value::UInt(7)));
        assert_eq!(val(l, "tcp.options.wscale.multiplier"), Some(Value::UInt(128)));
        assert_eq!(val(l, "tcp.checksum.status"), Some(Value::Enum { value: 1, name: Some("Good") }));
        assert_eq!(l.range, 14..54);
        assert_eq!(s.next, Handoff::End);
        assert_eq!(
            l.info.as_deref(),
            Some("40312 → 80 [SYN] Seq=1000 Win=64240 Len=0 MSS=1460 SACK_PERM TSval=1000 TSecr=0 WS=128")
        );
        // Byte ranges of the header fields, absolute in the frame.
        assert_eq!(l.find("tcp.seq_raw").map(|f| f.range.clone()), Some(18..22));
        assert_eq!(l.find("tcp.flags.syn").map(|f| (f.range.clone(), f.mask)), Some((27..28, Some(0x02))));
        assert_eq!(l.find("tcp.flags.res").map(|f| (f.range.clone(), f.mask)), Some((26..27, Some(0x0e))));
        assert_eq!(l.find("tcp.options.mss").map(|f| f.range.clone()), Some(34..38));
        assert_eq!(l.find("tcp.options.wscale.shift").map(|f| f.range.clone()), Some(53..54));
    }

    #[test]
    fn relative_numbers_rewrite_info() {
        let (f, at) = framed(&SYN_SEG);
        let mut s = tcp(&f, at, DecodeCtx::default(), &pseudo(40));
        let l = &mut s.layers[0];
        tcp_relative(l, 1000, None);
        assert_eq!(val(l, "tcp.seq"), Some(Value::UInt(0)));
        assert_eq!(val(l, "tcp.nxtseq"), Some(Value::UInt(1)));
        // No ACK flag: the acknowledgment stays raw.
        assert_eq!(val(l, "tcp.ack"), Some(Value::UInt(0)));
        assert_eq!(
            l.info.as_deref(),
            Some("40312 → 80 [SYN] Seq=0 Win=64240 Len=0 MSS=1460 SACK_PERM TSval=1000 TSecr=0 WS=128")
        );
        assert_eq!(l.title, "Transmission Control Protocol, Src Port: 40312, Dst Port: 80, Seq: 0, Len: 0");

        let seg = data_seg();
        let (f, at) = framed(&seg);
        let mut s = tcp(&f, at, DecodeCtx::default(), &pseudo(seg.len()));
        assert_eq!(s.next, Handoff::Ports { transport: Transport::Tcp, src: 40312, dst: 80 });
        assert_eq!(s.payload, 34..39);
        let l = &mut s.layers[0];
        tcp_relative(l, 1000, Some(5000));
        assert_eq!(val(l, "tcp.seq"), Some(Value::UInt(1)));
        assert_eq!(val(l, "tcp.ack"), Some(Value::UInt(1)));
        assert_eq!(val(l, "tcp.nxtseq"), Some(Value::UInt(6)));
        assert_eq!(val(l, "tcp.seq_raw"), Some(Value::UInt(1001)));
        assert_eq!(l.info.as_deref(), Some("40312 → 80 [PSH, ACK] Seq=1 Ack=1 Win=502 Len=5"));
        assert_eq!(l.title, "Transmission Control Protocol, Src Port: 40312, Dst Port: 80, Seq: 1, Ack: 1, Len: 5");
        // Unknown other side with ACK set: tshark takes ack − 1 as its base.
        let mut s = tcp(&f, 14..f.len(), DecodeCtx::default(), &pseudo(seg.len()));
        tcp_relative(&mut s.layers[0], 1000, None);
        assert_eq!(val(&s.layers[0], "tcp.ack"), Some(Value::UInt(1)));
    }

    #[test]
    fn window_scale_rewrites_win() {
        let seg = data_seg();
        let (f, at) = framed(&seg);
        let mut s = tcp(&f, at, DecodeCtx::default(), &pseudo(seg.len()));
        let l = &mut s.layers[0];
        tcp_relative(l, 1000, Some(5000));
        tcp_window_scale(l, WindowScale::Shift(7));
        assert_eq!(val(l, "tcp.window_size"), Some(Value::UInt(64256)));
        assert_eq!(val(l, "tcp.window_size_scalefactor"), Some(Value::UInt(128)));
        assert_eq!(l.info.as_deref(), Some("40312 → 80 [PSH, ACK] Seq=1 Ack=1 Win=64256 Len=5"));
        tcp_window_scale(l, WindowScale::NotUsed);
        assert_eq!(val(l, "tcp.window_size"), Some(Value::UInt(502)));
        assert!(l.find("tcp.window_size_scalefactor").is_none());
        // A SYN is never scaled.
        let (f, at) = framed(&SYN_SEG);
        let mut s = tcp(&f, at, DecodeCtx::default(), &pseudo(40));
        tcp_window_scale(&mut s.layers[0], WindowScale::Shift(7));
        assert_eq!(val(&s.layers[0], "tcp.window_size"), Some(Value::UInt(64240)));
    }

    #[test]
    fn checksum_good_and_bad() {
        let seg = data_seg();
        let (mut f, at) = framed(&seg);
        let s = tcp(&f, at.clone(), DecodeCtx::default(), &pseudo(seg.len()));
        let c = layer(&s).find("tcp.checksum").cloned();
        assert_eq!(c.as_ref().and_then(|c| c.children.first()).map(|s| s.value.clone()), Some(Value::Enum { value: 1, name: Some("Good") }));
        let good = u16::from_be_bytes([f[30], f[31]]);
        f[30] ^= 0x11;
        let s = tcp(&f, at.clone(), DecodeCtx::default(), &pseudo(seg.len()));
        let c = layer(&s).find("tcp.checksum").cloned().unwrap_or_else(|| Field::generated(&CHECKSUM, Value::None));
        assert_eq!(c.children[0].value, Value::Enum { value: 0, name: Some("Bad") });
        assert_eq!(c.display, Some(format!("0x{:04x} incorrect, should be 0x{good:04x}", good ^ 0x1100)));
        assert_eq!(c.notes[0].id, "checksum.bad");
        // Info does not flag it: tshark does not verify by default.
        assert_eq!(layer(&s).info.as_deref(), Some("40312 → 80 [PSH, ACK] Seq=1001 Ack=5001 Win=502 Len=5"));
        // Payload not all captured: unverified.
        let s = tcp(&f, at.start..at.end - 1, DecodeCtx::default(), &pseudo(seg.len()));
        let st = layer(&s).find("tcp.checksum.status").map(|f| f.value.clone());
        assert_eq!(st, Some(Value::Enum { value: 2, name: Some("Unverified") }));
        // IPv6 pseudo-header.
        let p6 = PseudoHeader {
            src: IpAddr::V6(Ipv6Addr::new(0xfd77, 0, 0, 0, 0, 0, 0, 1)),
            dst: IpAddr::V6(Ipv6Addr::new(0xfd77, 0, 0, 0, 0, 0, 0, 2)),
            protocol: 6,
            upper_len: seg.len(),
        };
        let mut s6 = seg.clone();
        s6[16] = 0;
        s6[17] = 0;
        let c6 = checksum::with_pseudo(&p6, &s6);
        s6[16..18].copy_from_slice(&c6.to_be_bytes());
        let s = tcp(&s6, 0..s6.len(), DecodeCtx::default(), &p6);
        assert_eq!(val(layer(&s), "tcp.checksum.status"), Some(Value::Enum { value: 1, name: Some("Good") }));
    }

    /// Which keys tshark 4.0 shows for every cut length of a 32-byte header (capture t6).
    #[test]
    fn every_short_length() {
        let mut seg = vec![
            0x9d, 0x78, 0x1f, 0x91, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x13, 0x88, 0x80, 0x18, 0x01, 0xf6, 0xf9, 0xcc,
            0x00, 0x00, // header, data offset 8
            0x01, 0x01, 0x08, 0x0a, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, // NOP NOP TS 1 2
        ];
        seg.extend_from_slice(b"hello world");
        let full = seg.len();
        let (f, _) = framed(&seg);
        for n in 0..=full {
            let s = tcp(&f, 14..14 + n, DecodeCtx::default(), &pseudo(full));
            let l = layer(&s);
            let has = |k: &str| l.find(k).is_some();
            assert_eq!(has("tcp.srcport"), n >= 4, "n={n}");
            assert_eq!(has("tcp.dstport"), n >= 4, "n={n}");
            for k in ["tcp.seq_raw", "tcp.ack_raw", "tcp.flags", "tcp.window_size_value", "tcp.len", "tcp.hdr_len"] {
                assert_eq!(has(k), n >= 16, "{k} n={n}");
            }
            assert_eq!(has("tcp.checksum"), n >= 18, "n={n}");
            assert_eq!(has("tcp.urgent_pointer"), n >= 20, "n={n}");
            assert_eq!(has("tcp.options"), n >= 21, "n={n}");
            assert_eq!(has("tcp.options.timestamp.tsval"), n >= 28, "n={n}");
            assert_eq!(has("tcp.options.timestamp.tsecr"), n >= 32, "n={n}");
            assert_eq!(has("tcp.payload"), n > 32, "n={n}");
            if n >= 16 {
                assert_eq!(val(l, "tcp.len"), Some(Value::UInt(11)), "length from headers, n={n}");
            }
            let info = l.info.clone().unwrap_or_default();
            assert_eq!(info.contains("Len=11"), n >= 20, "n={n} {info}");
            assert_eq!(info.contains("TSval=1 TSecr=2"), n >= 32, "n={n} {info}");
            if (4..16).contains(&n) {
                assert_eq!(info, "40312 → 8081");
            }
            assert_eq!(l.notes.iter().any(|x| x.id == "truncated"), n < 32, "n={n}");
            assert_eq!(s.next == Handoff::End, n <= 32, "n={n}");
            if n > 32 {
                assert_eq!(s.payload, 14 + 32..14 + n);
            }
            every_range_inside(l, &f);
        }
    }

    /// What `header_field` relies on: the header fields' keys appear at the top level only.
    fn header_fields_only_at_top(l: &Layer) {
        const HEADER: [&str; 15] = [
            "tcp.srcport", "tcp.dstport", "tcp.len", "tcp.seq", "tcp.seq_raw", "tcp.nxtseq", "tcp.ack", "tcp.ack_raw",
            "tcp.flags", "tcp.window_size_value", "tcp.window_size", "tcp.window_size_scalefactor", "tcp.checksum",
            "tcp.urgent_pointer", "tcp.options",
        ];
        for top in &l.fields {
            for below in &top.children {
                below.walk(&mut |x: &Field| assert!(!HEADER.contains(&x.spec.key), "{} below {}", x.spec.key, top.spec.key));
            }
        }
    }

    #[test]
    fn header_fields_are_top_level() {
        let sack = with_options(&[1, 1, 5, 10, 0, 0, 0x04, 0x4c, 0, 0, 0x04, 0xb0]);
        for seg in [SYN_SEG.to_vec(), data_seg(), sack] {
            let mut s = tcp(&seg, 0..seg.len(), DecodeCtx::default(), &pseudo(seg.len()));
            header_fields_only_at_top(layer(&s));
            tcp_relative_scaled(&mut s.layers[0], 1000, Some(5000), WindowScale::Shift(7));
            header_fields_only_at_top(layer(&s));
        }
    }

    fn every_range_inside(l: &Layer, f: &[u8]) {
        assert!(l.range.start <= l.range.end && l.range.end <= f.len());
        l.walk(&mut |x: &Field| {
            assert!(x.range.start <= x.range.end && x.range.end <= f.len(), "{} {:?}", x.spec.key, x.range);
            if !x.generated {
                assert!(x.range.start >= l.range.start, "{} {:?} outside {:?}", x.spec.key, x.range, l.range);
            }
        });
    }

    /// An ICMPv4 error quoting 8 bytes, the full header: tshark shows tcp.seq (raw) right after
    /// the ports, never tcp.seq_raw, and no tcp.len (capture t7).
    #[test]
    fn quoted_in_icmpv4() {
        let seg = data_seg();
        let (f, _) = framed(&seg);
        let ctx = DecodeCtx { depth: 1, ..Default::default() };
        for n in 0..=seg.len() {
            let s = tcp(&f, 14..14 + n, ctx, &pseudo(seg.len()));
            let l = layer(&s);
            assert_eq!(l.find("tcp.seq").is_some(), n >= 8, "n={n}");
            assert!(l.find("tcp.seq_raw").is_none());
            assert!(l.find("tcp.len").is_none());
            assert!(l.find("tcp.nxtseq").is_none());
            assert_eq!(l.find("tcp.ack_raw").is_some(), n >= 16);
            if n >= 8 {
                assert_eq!(l.fields[2].spec.key, "tcp.seq");
                assert_eq!(val(l, "tcp.seq"), Some(Value::UInt(1001)));
            }
            every_range_inside(l, &f);
        }
        // tcp_relative leaves a quoted header alone.
        let mut s = tcp(&f, 14..f.len(), ctx, &pseudo(seg.len()));
        tcp_relative(&mut s.layers[0], 1000, Some(5000));
        assert_eq!(val(&s.layers[0], "tcp.seq"), Some(Value::UInt(1001)));
    }

    #[test]
    fn quoted_in_icmpv6_keeps_seq_raw() {
        let seg = data_seg();
        let p6 = PseudoHeader {
            src: IpAddr::V6(Ipv6Addr::LOCALHOST),
            dst: IpAddr::V6(Ipv6Addr::LOCALHOST),
            protocol: 6,
            upper_len: seg.len(),
        };
        let s = tcp(&seg, 0..12, DecodeCtx { depth: 1, ..Default::default() }, &p6);
        assert!(layer(&s).find("tcp.seq").is_none());
        let s = tcp(&seg, 0..16, DecodeCtx { depth: 1, ..Default::default() }, &p6);
        assert_eq!(val(layer(&s), "tcp.seq_raw"), Some(Value::UInt(1001)));
        assert!(layer(&s).find("tcp.len").is_none());
    }

    #[test]
    fn bogus_and_short_headers() {
        let mut seg = data_seg();
        seg[12] = 0x40; // data offset 4 = 16 bytes
        let s = tcp(&seg, 0..seg.len(), DecodeCtx::default(), &pseudo(seg.len()));
        let l = layer(&s);
        assert_eq!(val(l, "tcp.hdr_len"), Some(Value::UInt(16)));
        assert_eq!(val(l, "tcp.len"), Some(Value::UInt(9)));
        assert!(l.find("tcp.flags").is_none() && l.find("tcp.ack").is_none());
        assert_eq!(s.next, Handoff::End);
        assert_eq!(
            l.info.as_deref(),
            Some("40312 → 80 [PSH, ACK] Seq=1001 Ack=5001 Win=502, bogus TCP header length (16, must be at least 20)")
        );
        let mut seg = data_seg();
        seg[12] = 0xf0; // 60 bytes, but IP delivers 25
        let s = tcp(&seg, 0..seg.len(), DecodeCtx::default(), &pseudo(seg.len()));
        let l = layer(&s);
        assert!(l.find("tcp.len").is_none() && l.find("tcp.nxtseq").is_none());
        assert!(l.notes.iter().any(|n| n.id == "tcp.short_segment"));
        assert_eq!(s.next, Handoff::End);
        assert_eq!(l.info.as_deref(), Some("40312 → 80 [PSH, ACK] Seq=1001 Ack=5001 Win=502"));
    }

    #[test]
    fn flags_every_bit() {
        assert_eq!(flag_names(0xfff), "FIN, SYN, RST, PSH, ACK, URG, ECE, CWR, AE, Reserved");
        assert_eq!(flag_names(0), "<None>");
        for flags in 0..=0xfff {
            assert_eq!(flags_display(flags), format!("0x{flags:03x} ({})", flag_names(flags)));
        }
        for n in [0, 1, 9, 10, 4_294_967_295] {
            assert_eq!(number_and(n, " (relative)"), format!("{n} (relative)"));
        }
        assert_eq!(flag_string(0xfff), "RRRACEUAPRSF");
        // The common flags' shortcut says what the loop says.
        for f in 0..0x1000u16 {
            let mut s = String::new();
            push_flag_names(f, &mut s);
            let names: Vec<&str> = FLAG_NAMES.iter().filter(|(m, _)| f & m != 0).map(|(_, n)| *n).collect();
            assert_eq!(s, if names.is_empty() { "<None>".to_string() } else { names.join(", ") }, "{f:#x}");
            let letters: String = "RRRACEUAPRSF".chars().enumerate().map(|(i, c)| if f & (0x800 >> i) != 0 { c } else { '\u{b7}' }).collect();
            assert_eq!(flag_string(f), letters);
        }
        assert_eq!(flag_string(0x012), "·······A··S·");
        let mut seg = data_seg();
        seg[12] = 0x5f;
        seg[13] = 0xff;
        let s = tcp(&seg, 0..seg.len(), DecodeCtx::default(), &pseudo(seg.len()));
        assert_eq!(val(layer(&s), "tcp.flags"), Some(Value::Hex { value: 0xfff, digits: 3 }));
        for k in ["res", "ae", "cwr", "ece", "urg", "ack", "push", "reset", "syn", "fin"] {
            assert_eq!(val(layer(&s), &format!("tcp.flags.{k}")), Some(Value::Bool(true)), "{k}");
        }
        // Urgent: Urg= before Len=.
        let mut seg = data_seg();
        seg[13] = 0x30;
        seg[19] = 3;
        let s = tcp(&seg, 0..seg.len(), DecodeCtx::default(), &pseudo(seg.len()));
        assert_eq!(layer(&s).info.as_deref(), Some("40312 → 80 [ACK, URG] Seq=1001 Ack=5001 Win=502 Urg=3 Len=5"));
    }

    fn with_options(opts: &[u8]) -> Vec<u8> {
        let hl = 20 + opts.len();
        let mut s = vec![0x9d, 0x78, 0x00, 0x50, 0, 0, 0x04, 0x1b, 0, 0, 0x13, 0xd9, ((hl / 4) << 4) as u8, 0x10, 0x01, 0xf6, 0, 0, 0, 0];
        s.extend_from_slice(opts);
        with_checksum(s)
    }

    #[test]
    fn sack_edges_become_relative() {
        // SACK 1100-1200 1300-1400, then EOL EOL (capture t1 frame 12).
        let opts = [
            5, 18, 0, 0, 0x04, 0x4c, 0, 0, 0x04, 0xb0, 0, 0, 0x05, 0x14, 0, 0, 0x05, 0x78, 0, 0,
        ];
        let seg = with_options(&opts);
        let mut s = tcp(&seg, 0..seg.len(), DecodeCtx::default(), &pseudo(seg.len()));
        let l = &mut s.layers[0];
        assert_eq!(val(l, "tcp.options.sack.count"), Some(Value::UInt(2)));
        tcp_relative(l, 1051, Some(5000));
        assert_eq!(
            l.info.as_deref(),
            Some("40312 → 80 [ACK] Seq=0 Ack=81 Win=502 Len=0 SLE=4294963396 SRE=4294963496 SLE=4294963596 SRE=4294963696")
        );
        // A second call does not shift the edges again.
        tcp_relative(l, 1051, Some(5000));
        assert_eq!(val(l, "tcp.options.sack_le"), Some(Value::UInt(4294963396)));
        let eols = l.find("tcp.options").map(|o| o.children.iter().filter(|c| c.spec.key == "tcp.options.eol").count());
        assert_eq!(eols, Some(2));
    }

    #[test]
    fn odd_options() {
        // NOP EOL NOP NOP: tshark stops at the non-zero byte after EOL.
        let seg = with_options(&[1, 0, 1, 1]);
        let s = tcp(&seg, 0..seg.len(), DecodeCtx::default(), &pseudo(seg.len()));
        let o = layer(&s).find("tcp.options").cloned().unwrap_or_else(|| Field::generated(&OPTIONS, Value::None));
        assert_eq!(o.children.len(), 2);
        assert_eq!(o.notes[0].id, "tcp.non_zero_bytes_after_eol");
        // MSS with length 3: noted, skipped, not in Info.
        let seg = with_options(&[2, 3, 5, 0]);
        let s = tcp(&seg, 0..seg.len(), DecodeCtx::default(), &pseudo(seg.len()));
        assert!(layer(&s).find("tcp.options.mss_val").is_none());
        assert_eq!(layer(&s).info.as_deref(), Some("40312 → 80 [ACK] Seq=1051 Ack=5081 Win=502 Len=0"));
        // Length past the end of the options.
        let seg = with_options(&[99, 40, 1, 2]);
        let s = tcp(&seg, 0..seg.len(), DecodeCtx::default(), &pseudo(seg.len()));
        let u = layer(&s).find("tcp.options.unknown").cloned();
        assert_eq!(u.map(|u| u.notes[0].id), Some("tcp.option.len.invalid"));
        // Length 0 must not loop.
        let seg = with_options(&[99, 0, 0, 0]);
        let _ = tcp(&seg, 0..seg.len(), DecodeCtx::default(), &pseudo(seg.len()));
        // Unknown option with payload, TFO request, TFO cookie, MD5, user timeout, window scale 16.
        let seg = with_options(&[99, 4, 1, 2, 34, 2, 1, 1]);
        let s = tcp(&seg, 0..seg.len(), DecodeCtx::default(), &pseudo(seg.len()));
        assert_eq!(val(layer(&s), "tcp.options.unknown.payload"), Some(Value::Bytes(vec![1, 2])));
        assert!(layer(&s).info.as_deref().is_some_and(|i| i.ends_with(" TFO=R")));
        let seg = with_options(&[254, 4, 0xf9, 0x89]);
        let s = tcp(&seg, 0..seg.len(), DecodeCtx::default(), &pseudo(seg.len()));
        assert!(layer(&s).info.as_deref().is_some_and(|i| i.ends_with(" TFO=R")));
        let seg = with_options(&[28, 4, 0x81, 0x2c, 3, 3, 16, 0]);
        let s = tcp(&seg, 0..seg.len(), DecodeCtx::default(), &pseudo(seg.len()));
        assert!(layer(&s).info.as_deref().is_some_and(|i| i.ends_with(" USER_TO=300 WS=16384")), "{:?}", layer(&s).info);
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..120), upper in 0usize..200, depth in 0u8..2, v6 in any::<bool>()) {
            let p = if v6 {
                PseudoHeader { src: IpAddr::V6(Ipv6Addr::LOCALHOST), dst: IpAddr::V6(Ipv6Addr::LOCALHOST), protocol: 6, upper_len: upper }
            } else { pseudo(upper) };
            let (f, at) = framed(&bytes);
            let mut s = tcp(&f, at.clone(), DecodeCtx { depth, ..Default::default() }, &p);
            prop_assert!(s.payload.start <= s.payload.end && s.payload.end <= f.len());
            every_range_inside(&s.layers[0], &f);
            header_fields_only_at_top(&s.layers[0]);
            tcp_relative(&mut s.layers[0], 12345, None);
            tcp_window_scale(&mut s.layers[0], WindowScale::Shift(200));
            header_fields_only_at_top(&s.layers[0]);
            // A range past the frame is cut, not trusted.
            let _ = tcp(&f, at.start..at.end + 50, DecodeCtx { depth, ..Default::default() }, &p);
        }
    }
}
