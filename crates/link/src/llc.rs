//! IEEE 802.2 Logical Link Control (LLC), with the SNAP extension.
//!
//! ```text
//! +--------+--------+-----------------+
//! |  DSAP  |  SSAP  |     Control     |   Control: 1 byte for U frames,
//! +--------+--------+-----------------+   2 bytes (little-endian) for I and S frames
//!
//! DSAP = SSAP = 0xAA (SNAP) adds five bytes:
//! +--------+--------+--------+--------+--------+
//! |     Organization Code (OUI)  |  Protocol ID  |
//! +--------+--------+--------+--------+--------+
//! ```
//!
//! IEEE Std 802.2-1998 (ISO/IEC 8802-2) and, for SNAP, IEEE Std 802-2014 clause 10 and RFC 1042.
//! An IEEE 802.3 frame carries a length where Ethernet II carries a type, so the receiver needs
//! another way to know which protocol the payload is for: LLC's service access points (SAPs)
//! name the sending and receiving protocol, and SNAP carries an EtherType for protocols that
//! have no SAP. The low bit of the DSAP says individual/group; the low bit of the SSAP says
//! command/response. The control field is HDLC's: I frames (numbered data, `N(S)`/`N(R)`), S
//! frames (acknowledgements: RR, RNR, REJ, SREJ) and U frames (UI datagrams, TEST, XID …).
//!
//! Field keys, values, the Info text and which fields a cut header still shows follow tshark
//! 4.0's `llc` dissector (packet-llc.c, packet-xdlc.c). Not decoded: the XID basic format
//! (tshark's `basicxid`), the DSAPs whose protocols netlayers does not know (NetBIOS, IPX,
//! OSI …), and the PIDs of OUIs that Wireshark keeps in their own tables (HP, Apple, Foundry …),
//! which are shown here as `llc.pid`.

use std::ops::Range;

use netlayers_core::window::Window;
use netlayers_core::{DecodeCtx, Field, Handoff, Layer, LayerKind, Note, Step, Value};

use crate::ethertype;

mod field {
    pub const DSAP: usize = 0;
    pub const SSAP: usize = 1;
    pub const CONTROL: usize = 2;
    /// DSAP, SSAP and a one-byte control field.
    pub const MIN_HEADER_LEN: usize = 3;
    /// OUI (3 bytes) and protocol ID (2 bytes) after the control field.
    pub const SNAP_LEN: usize = 5;
    pub const OUI_LEN: usize = 3;
}

/// The SNAP SAP: DSAP = SSAP = 0xAA announce an OUI and a protocol ID.
const SAP_SNAP: u8 = 0xaa;
/// The spanning tree's SAP.
pub(crate) const SAP_BPDU: u8 = 0x42;
/// The SAP of IPv4 (rarely used: IP over 802.2 normally goes through SNAP).
const SAP_IP: u8 = 0x06;

/// The low bit of the DSAP: a group address.
const DSAP_IG_BIT: u8 = 0x01;
/// The low bit of the SSAP: a response (0: a command).
const SSAP_CR_BIT: u8 = 0x01;
const SAP_MASK: u8 = 0xfe;

/// Control field bits (of the one-byte form, or of the first byte of the two-byte form).
const FTYPE_I_MASK: u16 = 0x01;
const FTYPE_S_U_MASK: u16 = 0x03;
const FTYPE_S: u16 = 0x01;
const FTYPE_U: u16 = 0x03;
const U_MODIFIER_MASK: u8 = 0xec;
const U_POLL_FINAL: u8 = 0x10;
const U_UI: u8 = 0x00;
const S_FTYPE_MASK: u16 = 0x000c;
/// In the two-byte (little-endian) form: the Poll/Final bit and N(R) are in the second byte.
const EXT_POLL_FINAL: u16 = 0x0100;
const EXT_N_R_SHIFT: u16 = 9;
const EXT_N_S_MASK: u16 = 0x00fe;

/// OUIs whose protocol ID is an EtherType (RFC 1042's 00-00-00, and 00-00-F8 for Cisco's
/// 90-compatible encapsulation).
const OUI_ENCAP_ETHER: u32 = 0x000000;
const OUI_CISCO_90: u32 = 0x0000f8;
/// IEEE 802.1: bridged frames and BPDUs.
const OUI_IEEE_802_1: u32 = 0x0080c2;
const OUI_CISCO: u32 = 0x00000c;
/// IEEE 802.1's protocol ID for a BPDU.
const BPID_BPDU: u16 = 0x000e;
/// Cisco's PIDs for (Rapid) PVST+ and for the VLAN bridge's STP BPDUs.
const CISCO_PID_PVST: u16 = 0x010b;
const CISCO_PID_VLAN_BRIDGE: u16 = 0x010c;

spec!(DSAP, "llc.dsap", "DSAP", "目的服务访问点",
    "Destination Service Access Point: which protocol at the receiver the frame is for (0x42 spanning tree, 0xAA SNAP, 0xF0 NetBIOS, 0xE0 NetWare). An 802.3 frame has a length where Ethernet II has a type, so LLC's SAPs do the type's job: they tell the receiving station which protocol should get the data.",
    "目的服务访问点:这一帧要交给接收方的哪个协议(0x42 为生成树,0xAA 为 SNAP,0xF0 为 NetBIOS,0xE0 为 NetWare)。802.3 帧在以太网 II 放类型的位置放的是长度,所以由 LLC 的服务访问点来完成类型字段的工作:告诉接收站点该把数据交给哪个协议。");
spec!(DSAP_SAP, "llc.dsap.sap", "SAP", "SAP",
    "The seven high bits of the DSAP: the access point's number (the field's value is shifted right by one bit, as Wireshark shows it).",
    "DSAP 的高 7 位:服务访问点的编号(字段值右移了一位,与 Wireshark 的显示一致)。");
spec!(DSAP_IG, "llc.dsap.ig", "IG Bit", "IG 位",
    "Lowest bit of the DSAP: 0 for one access point, 1 for a group of them (0xFF, all ones, is the global SAP).",
    "DSAP 的最低位:0 表示单个服务访问点,1 表示一组服务访问点(全 1 的 0xFF 是全局 SAP)。");
spec!(SSAP, "llc.ssap", "SSAP", "源服务访问点",
    "Source Service Access Point: which protocol at the sender sent the frame, so the receiver knows where a reply should go.",
    "源服务访问点:发送方是哪个协议发出了这一帧,接收方据此知道回复应该发给谁。");
spec!(SSAP_SAP, "llc.ssap.sap", "SAP", "SAP",
    "The seven high bits of the SSAP: the access point's number (shifted right by one bit).",
    "SSAP 的高 7 位:服务访问点的编号(右移了一位)。");
spec!(SSAP_CR, "llc.ssap.cr", "CR Bit", "CR 位",
    "Lowest bit of the SSAP: 0 for a command, 1 for a response. It decides whether the control field's P/F bit is a Poll or a Final.",
    "SSAP 的最低位:0 表示命令,1 表示响应。它决定控制字段里的 P/F 位是轮询(Poll)还是终止(Final)。");
spec!(CONTROL, "llc.control", "Control field", "控制字段",
    "HDLC-style control: U (unnumbered) frames use one byte, I (information) and S (supervisory) frames two bytes, least significant byte first. Plain datagram traffic such as spanning tree uses U frames of type UI; numbered I frames with acknowledgements are LLC type 2, a reliable link used by old protocols like NetBIOS and SNA.",
    "HDLC 风格的控制字段:U 帧(无编号帧)占 1 字节,I 帧(信息帧)和 S 帧(监控帧)占 2 字节,低字节在前。生成树这类普通的数据报流量使用 UI 类型的 U 帧;带编号和确认的 I 帧属于 LLC 类型 2,是 NetBIOS、SNA 等老协议使用的可靠链路。");
spec!(N_R, "llc.control.n_r", "N(R)", "N(R)",
    "Receive sequence number: the number of the next I frame the sender expects, which acknowledges every frame before it (counts modulo 128).",
    "接收序号:发送方期望收到的下一个 I 帧的编号,同时确认了它之前的所有帧(以 128 为模计数)。");
spec!(N_S, "llc.control.n_s", "N(S)", "N(S)",
    "Send sequence number of this I frame (modulo 128), so the receiver can spot a lost or repeated frame.",
    "这个 I 帧的发送序号(以 128 为模),接收方据此发现丢失或重复的帧。");
spec!(POLL, "llc.control.p", "Poll", "轮询",
    "In a command: the sender asks the other side to answer at once.",
    "在命令帧中:发送方要求对方立即应答。");
spec!(FINAL, "llc.control.f", "Final", "终止",
    "In a response: this is the answer to a command that had the Poll bit set.",
    "在响应帧中:表示这是对一个置了轮询位的命令的应答。");
spec!(S_FTYPE, "llc.control.s_ftype", "Supervisory frame type", "监控帧类型",
    "0 Receiver ready (acknowledges, send more), 1 Receiver not ready (stop for now), 2 Reject (resend from N(R)), 3 Selective reject (resend only N(R)).",
    "0 接收就绪(确认,可以继续发送),1 接收未就绪(暂停发送),2 拒绝(从 N(R) 开始重发),3 选择拒绝(只重发 N(R))。");
spec!(U_CMD, "llc.control.u_modifier_cmd", "Command", "命令",
    "What an unnumbered command asks for: UI carries a datagram, TEST asks the other side to echo the data, XID exchanges capabilities, SABME/DISC open and close a type 2 connection.",
    "无编号命令的作用:UI 携带数据报,TEST 要求对方原样回送数据,XID 交换能力参数,SABME/DISC 建立和断开类型 2 的连接。");
spec!(U_RESP, "llc.control.u_modifier_resp", "Response", "响应",
    "What an unnumbered response says: UA acknowledges, DM refuses a connection, TEST and XID answer the command of the same name.",
    "无编号响应的含义:UA 表示确认,DM 表示拒绝连接,TEST 和 XID 是对同名命令的应答。");
spec!(FTYPE, "llc.control.ftype", "Frame type", "帧类型",
    "The low bits of the control field: x0 Information frame, 01 Supervisory frame, 11 Unnumbered frame.",
    "控制字段的最低几位:x0 为信息帧,01 为监控帧,11 为无编号帧。");
spec!(TYPE, "llc.type", "Type", "类型",
    "With OUI 00-00-00 the SNAP protocol ID is an EtherType (RFC 1042): the receiver hands the data to that protocol, exactly as if the frame were Ethernet II.",
    "当 OUI 为 00-00-00 时,SNAP 的协议标识就是以太网类型(RFC 1042):接收方把数据交给该协议,和以太网 II 帧完全一样。");
spec!(OUI, "llc.oui", "Organization Code", "组织代码",
    "SNAP's Organizationally Unique Identifier: who defined the protocol ID that follows. 00-00-00 means the ID is an EtherType; 00-80-C2 is IEEE 802.1; 00-00-0C is Cisco.",
    "SNAP 的组织唯一标识符:后面的协议标识由谁定义。00-00-00 表示协议标识是以太网类型;00-80-C2 是 IEEE 802.1;00-00-0C 是思科。");
spec!(PID, "llc.pid", "Protocol ID", "协议标识",
    "The protocol, numbered by the organization the OUI names (IEEE 802.1's 0x000E is a spanning tree BPDU).",
    "由 OUI 指明的组织所编号的协议(IEEE 802.1 的 0x000E 表示生成树 BPDU)。");
spec!(CISCO_PID, "llc.cisco_pid", "PID", "协议标识",
    "Cisco's protocol number: 0x2000 CDP, 0x2003 VTP, 0x2004 DTP, 0x010B per-VLAN spanning tree (PVST+).",
    "思科的协议编号:0x2000 为 CDP,0x2003 为 VTP,0x2004 为 DTP,0x010B 为每 VLAN 生成树(PVST+)。");

/// Wireshark's names for the service access points (packet-llc.c `sap_vals`).
fn sap_name(sap: u8) -> Option<&'static str> {
    Some(match sap {
        0x00 | 0x01 => "NULL LSAP",
        0x02 => "LLC Sub-Layer Management",
        0x04 => "SNA Path Control",
        0x06 => "TCP/IP",
        0x08 | 0x0c => "SNA",
        0x0e => "PROWAY (IEC955) Network Management and Initialization",
        0x10 => "NetWare (unofficial?)",
        0x14 => "ISO Network Layer (OSLAN 1)",
        0x18 => "Texas Instruments",
        0x20 | 0x34 => "ISO Network Layer (unofficial?)",
        0x42 => "Spanning Tree BPDU",
        0x4e => "EIA RS-511 Manufacturing Message Service",
        0x54 => "ISO Network Layer (OSLAN 2)",
        0x7e => "ISO 8208 (X.25 over 802.2)",
        0x7f => "ISO 802.2",
        0x80 => "XNS",
        0x82 => "BACnet",
        0x86 => "Nestar",
        0x8e => "PROWAY (IEC955) Active Station List Maintenance",
        0x98 => "ARP",
        0xaa => "SNAP",
        0xb4 => "HP JetDirect Printer",
        0xba | 0xbc => "Banyan Vines",
        0xe0 => "NetWare",
        0xf0 => "NetBIOS",
        0xf4 => "IBM Net Management",
        0xf8 => "HP Extended LLC",
        0xfa => "Ungermann-Bass",
        0xfc => "Remote Program Load",
        0xfe => "ISO Network Layer",
        0xff => "Global LSAP",
        _ => return None,
    })
}

/// A few organizations' names as tshark 4.0's manufacturer table gives them (the whole table is
/// not carried; other OUIs read "Unknown" in the Info text).
fn oui_name(oui: u32) -> Option<&'static str> {
    Some(match oui {
        OUI_ENCAP_ETHER => "Officially Xerox, but 0:0:0:0:0:0 is more common",
        OUI_CISCO => "Cisco Systems, Inc",
        OUI_CISCO_90 => "Digital Equipment Corporation",
        OUI_IEEE_802_1 => "IEEE",
        0x080007 => "Apple, Inc.",
        _ => return None,
    })
}

/// The short name (Info text) and the long name (tree) of an unnumbered frame's modifier
/// (control & 0xEC), for a command or a response.
fn u_modifier(m: u8, response: bool) -> Option<(&'static str, &'static str)> {
    Some(match (m, response) {
        (0x00, _) => ("UI", "Unnumbered Information"),
        (0x20, _) => ("UP", "Unnumbered Poll"),
        (0x40, false) => ("DISC", "Disconnect"),
        (0x40, true) => ("RD", "Request Disconnect"),
        (0x60, _) => ("UA", "Unnumbered Acknowledge"),
        (0x80, _) => ("SNRM", "Set Normal Response Mode"),
        (0xe0, _) => ("TEST", "Test"),
        (0x04, false) => ("SIM", "Set Initialization Mode"),
        (0x04, true) => ("RIM", "Request Initialization Mode"),
        (0x84, _) => ("FRMR", "Frame reject"),
        (0xc4, _) => ("CFGR", "Configure"),
        (0x0c, false) => ("SARM", "Set Asynchronous Response Mode"),
        (0x0c, true) => ("DM", "Disconnected mode"),
        (0x2c, _) => ("SABM", "Set Asynchronous Balanced Mode"),
        (0x4c, _) => ("SARME", "Set Asynchronous Response Mode Extended"),
        (0x6c, _) => ("SABME", "Set Asynchronous Balanced Mode Extended"),
        (0x8c, _) => ("RESET", "Reset"),
        (0xac, _) => ("XID", "Exchange identification"),
        (0xcc, _) => ("SNRME", "Set Normal Response Mode Extended"),
        (0xec, _) => ("BCN", "Beacon"),
        _ => return None,
    })
}

/// Supervisory frame types: (short, long) names.
fn s_ftype_name(t: u16) -> (&'static str, &'static str) {
    match t {
        0 => ("RR", "Receiver ready"),
        1 => ("RNR", "Receiver not ready"),
        2 => ("REJ", "Reject"),
        _ => ("SREJ", "Selective reject"),
    }
}

fn ftype_name(t: u16) -> &'static str {
    match t {
        0 => "Information frame",
        1 => "Supervisory frame",
        _ => "Unnumbered frame",
    }
}

/// A SAP as the Info text names it: Wireshark's name, or the number.
fn sap_text(sap: u8) -> String {
    sap_name(sap & SAP_MASK).map_or_else(|| format!("0x{:02x}", sap & SAP_MASK), str::to_string)
}

/// The DSAP or SSAP field with its SAP number and low bit as children.
fn sap_field(w: &Window<'_>, at: usize, sap: u8, dsap: bool) -> Field {
    let r = w.abs(at..at + 1);
    let name = sap_name(sap);
    let (spec, sub, bit_spec, bit_text) = if dsap {
        (&DSAP, &DSAP_SAP, &DSAP_IG, if sap & DSAP_IG_BIT != 0 { "Group" } else { "Individual" })
    } else {
        (&SSAP, &SSAP_SAP, &SSAP_CR, if sap & SSAP_CR_BIT != 0 { "Response" } else { "Command" })
    };
    Field::new(spec, Value::Enum { value: sap.into(), name }, r.clone())
        .with_display(format!("{} (0x{sap:02x})", name.unwrap_or("Unknown")))
        .with_children(vec![
            Field::new(sub, Value::UInt((sap >> 1).into()), r.clone())
                .with_mask(SAP_MASK.into())
                .with_display(sap_name(sap & SAP_MASK).unwrap_or("Unknown")),
            Field::new(bit_spec, Value::Bool(sap & 1 != 0), r).with_mask(1).with_display(bit_text),
        ])
}

/// The control field decoded: its length, the Info text, whether it carries data for the SAP
/// (an I or UI frame) and the field with its bits.
struct Control {
    len: usize,
    info: String,
    information: bool,
    field: Field,
}

/// Reads the control field at offset 2. I and S frames take two bytes, least significant first
/// (LLC always uses HDLC's extended, modulo-128 numbering for them); U frames one.
fn control(w: &Window<'_>, response: bool) -> Option<Control> {
    let first = w.u8(field::CONTROL)?;
    // The P/F bit is a Poll in a command and a Final in a response.
    let pf_spec = if response { &FINAL } else { &POLL };
    if u16::from(first) & FTYPE_S_U_MASK == FTYPE_U {
        let r = w.abs(field::CONTROL..field::CONTROL + 1);
        let pf = first & U_POLL_FINAL != 0;
        let m = first & U_MODIFIER_MASK;
        let names = u_modifier(m, response);
        let info = format!(
            "U{}, func={}",
            if pf { if response { " F" } else { " P" } } else { "" },
            names.map_or("Unknown", |n| n.0)
        );
        let mut children = Vec::new();
        if pf {
            children.push(Field::new(pf_spec, Value::Bool(true), r.clone()).with_mask(U_POLL_FINAL.into()));
        }
        let value = u64::from(m >> 2);
        children.push(
            Field::new(if response { &U_RESP } else { &U_CMD }, Value::Hex { value, digits: 2 }, r.clone())
                .with_mask(U_MODIFIER_MASK.into())
                .with_display(format!("{} (0x{value:02x})", names.map_or("Unknown", |n| n.1))),
        );
        children.push(
            Field::new(&FTYPE, Value::Hex { value: FTYPE_U.into(), digits: 2 }, r.clone())
                .with_mask(FTYPE_S_U_MASK.into())
                .with_display(format!("{} (0x{FTYPE_U:x})", ftype_name(FTYPE_U))),
        );
        let field = Field::new(&CONTROL, Value::Hex { value: first.into(), digits: 4 }, r)
            .with_display(format!("{info} (0x{first:02X})"))
            .with_children(children);
        return Some(Control { len: 1, info, information: m == U_UI, field });
    }
    let second = w.u8(field::CONTROL + 1)?;
    let c = u16::from_le_bytes([first, second]);
    let r = w.abs(field::CONTROL..field::CONTROL + 2);
    // Masks below are over the two bytes as they lie on the wire (first byte high), so the
    // tree's bit picture shows the wire bits: N(S) is in the first byte, N(R) and P/F in the
    // second.
    let pf = c & EXT_POLL_FINAL != 0;
    let n_r = c >> EXT_N_R_SHIFT;
    let n_r_field = Field::new(&N_R, Value::UInt(n_r.into()), r.clone()).with_mask(0x00fe);
    let mut children = vec![n_r_field];
    let info;
    if c & FTYPE_I_MASK == 0 {
        let n_s = (c & EXT_N_S_MASK) >> 1;
        // An I frame's bit is always called Poll, whatever the C/R bit says (as in Wireshark).
        info = format!("I{}, N(R)={n_r}, N(S)={n_s}", if pf { " P" } else { "" });
        children.push(Field::new(&N_S, Value::UInt(n_s.into()), r.clone()).with_mask(0xfe00));
        if pf {
            children.push(Field::new(&POLL, Value::Bool(true), r.clone()).with_mask(0x0001));
        }
        children.push(
            Field::new(&FTYPE, Value::Hex { value: 0, digits: 4 }, r.clone())
                .with_mask(0x0100)
                .with_display(format!("{} (0x0)", ftype_name(0))),
        );
    } else {
        let t = (c & S_FTYPE_MASK) >> 2;
        let (short, long) = s_ftype_name(t);
        info = format!("S{}, func={short}, N(R)={n_r}", if pf { if response { " F" } else { " P" } } else { "" });
        if pf {
            children.push(Field::new(pf_spec, Value::Bool(true), r.clone()).with_mask(0x0001));
        }
        children.push(
            Field::new(&S_FTYPE, Value::Hex { value: t.into(), digits: 4 }, r.clone())
                .with_mask(0x0c00)
                .with_display(format!("{long} (0x{t:x})")),
        );
        children.push(
            Field::new(&FTYPE, Value::Hex { value: FTYPE_S.into(), digits: 4 }, r.clone())
                .with_mask(0x0300)
                .with_display(format!("{} (0x{FTYPE_S:x})", ftype_name(FTYPE_S))),
        );
    }
    let field = Field::new(&CONTROL, Value::Hex { value: c.into(), digits: 4 }, r)
        .with_display(format!("{info} (0x{c:04X})"))
        .with_children(children);
    Some(Control { len: 2, info, information: c & FTYPE_I_MASK == 0, field })
}

/// Stops at a header the bytes cut short: the layer keeps what it has, with a note.
fn cut(mut layer: Layer, w: &Window<'_>, need: usize) -> Step {
    layer.range = w.abs(0..need);
    layer.notes.push(Note::truncated("LLC header", w.start(), need, w.len()));
    Step::end(layer)
}

/// IEEE 802.2 LLC (and SNAP). `at` is what the 802.3 length field (or the SLL header) allows.
///
/// Hands off: an I or UI frame's data to its DSAP ([`Handoff::Sap`]; DSAP 0x06 as IPv4);
/// SNAP's PID as an EtherType when the OUI is 00-00-00 (or Cisco's 00-00-F8); a BPDU under
/// IEEE 802.1's or Cisco's OUI as SAP 0x42; anything else as data.
pub fn llc(frame: &[u8], at: Range<usize>, _ctx: DecodeCtx) -> Step {
    let w = Window::new(frame, at);
    let mut layer = Layer::new(LayerKind::Link, "llc", "LLC", w.abs(0..field::MIN_HEADER_LEN));
    layer.title = "Logical-Link Control".into();
    // Wireshark clears the Info column before it reads a byte, so a cut header shows none.
    layer.info = Some(String::new());
    let Some(dsap) = w.u8(field::DSAP) else { return cut(layer, &w, field::MIN_HEADER_LEN) };
    layer.fields.push(sap_field(&w, field::DSAP, dsap, true));
    let Some(ssap) = w.u8(field::SSAP) else { return cut(layer, &w, field::MIN_HEADER_LEN) };
    layer.fields.push(sap_field(&w, field::SSAP, ssap, false));
    let Some(ctl) = control(&w, ssap & SSAP_CR_BIT != 0) else {
        // An I or S frame whose second control byte is missing needs four bytes.
        let need = if w.u8(field::CONTROL).is_some() { field::MIN_HEADER_LEN + 1 } else { field::MIN_HEADER_LEN };
        return cut(layer, &w, need);
    };
    layer.fields.push(ctl.field);
    let mut info = ctl.info;
    let mut hdr = field::CONTROL + ctl.len;
    let snap = dsap == SAP_SNAP && ssap == SAP_SNAP;
    let next;
    if snap {
        // Wireshark reads the PID before it shows the OUI: both or neither.
        let (Some(oui), Some(pid)) = (w.array::<{ field::OUI_LEN }>(hdr), w.u16(hdr + field::OUI_LEN)) else {
            layer.info = Some(info);
            return cut(layer, &w, hdr + field::SNAP_LEN);
        };
        let oui = u32::from_be_bytes([0, oui[0], oui[1], oui[2]]);
        let name = oui_name(oui);
        let oui_range = w.abs(hdr..hdr + field::OUI_LEN);
        let oui_text = format!("{:02x}:{:02x}:{:02x}", oui >> 16, (oui >> 8) & 0xff, oui & 0xff);
        layer.fields.push(
            Field::new(&OUI, Value::UInt(oui.into()), oui_range)
                .with_display(name.map_or(oui_text.clone(), |n| format!("{oui_text} ({n})"))),
        );
        info.push_str(&format!("; SNAP, OUI 0x{oui:06X} ({}), PID 0x{pid:04X}", name.unwrap_or("Unknown")));
        let pid_range = w.abs(hdr + field::OUI_LEN..hdr + field::SNAP_LEN);
        let hex_pid = |spec| Field::new(spec, Value::Hex { value: pid.into(), digits: 4 }, pid_range.clone());
        next = match oui {
            OUI_ENCAP_ETHER | OUI_CISCO_90 if ctl.information => {
                let name = ethertype::name(pid);
                layer.fields.push(
                    Field::new(&TYPE, Value::Enum { value: pid.into(), name }, pid_range.clone())
                        .with_display(format!("{} (0x{pid:04x})", name.unwrap_or("Unknown"))),
                );
                Handoff::EtherType(pid)
            }
            // Not an information frame: the PID is not shown, the data stays data.
            OUI_ENCAP_ETHER | OUI_CISCO_90 => Handoff::Data,
            OUI_IEEE_802_1 => {
                layer.fields.push(hex_pid(&PID));
                if pid == BPID_BPDU { Handoff::Sap(SAP_BPDU) } else { Handoff::Data }
            }
            OUI_CISCO => {
                layer.fields.push(hex_pid(&CISCO_PID));
                match pid {
                    CISCO_PID_PVST | CISCO_PID_VLAN_BRIDGE if ctl.information => Handoff::Sap(SAP_BPDU),
                    _ => Handoff::Data,
                }
            }
            _ => {
                layer.fields.push(hex_pid(&PID));
                Handoff::Data
            }
        };
        hdr += field::SNAP_LEN;
    } else {
        info.push_str(&format!(
            "; DSAP {} {}, SSAP {} {}",
            sap_text(dsap),
            if dsap & DSAP_IG_BIT != 0 { "Group" } else { "Individual" },
            sap_text(ssap),
            if ssap & SSAP_CR_BIT != 0 { "Response" } else { "Command" },
        ));
        next = match (ctl.information, dsap) {
            (true, SAP_IP) => Handoff::EtherType(0x0800),
            (true, sap) => Handoff::Sap(sap),
            // TEST, XID and the other unnumbered frames: their data (if any) is shown as data.
            (false, _) => Handoff::Data,
        };
    }
    layer.info = Some(info);
    layer.range = w.abs(0..hdr);
    let payload = w.abs(hdr..w.len());
    let next = if payload.is_empty() { Handoff::End } else { next };
    Step { layers: vec![layer], next, payload }
}


#[cfg(test)]
mod tests {
    use super::*;

    fn keys(l: &Layer) -> Vec<(&'static str, Value)> {
        let mut v = Vec::new();
        l.walk(&mut |f| v.push((f.key(), f.value.clone())));
        v
    }

    fn value(l: &Layer, key: &str) -> Option<Value> {
        l.find(key).map(|f| f.value.clone())
    }

    /// A UI frame to the spanning tree's SAP, then the first bytes of a BPDU.
    const UI_BPDU: [u8; 5] = [
        0x42, // DSAP: Spanning Tree BPDU, individual
        0x42, // SSAP: Spanning Tree BPDU, command
        0x03, // control: U frame, UI
        0x00, 0x00, // BPDU protocol identifier
    ];

    #[test]
    fn parse_ui_frame_to_the_bpdu_sap() {
        let s = llc(&UI_BPDU, 0..5, DecodeCtx::default());
        assert_eq!(s.next, Handoff::Sap(0x42));
        assert_eq!(s.payload, 3..5);
        let l = &s.layers[0];
        assert_eq!((l.protocol, l.display_name, l.range.clone()), ("llc", "LLC", 0..3));
        assert_eq!(l.info.as_deref(), Some("U, func=UI; DSAP Spanning Tree BPDU Individual, SSAP Spanning Tree BPDU Command"));
        assert_eq!(
            keys(l),
            vec![
                ("llc.dsap", Value::Enum { value: 0x42, name: Some("Spanning Tree BPDU") }),
                ("llc.dsap.sap", Value::UInt(33)),
                ("llc.dsap.ig", Value::Bool(false)),
                ("llc.ssap", Value::Enum { value: 0x42, name: Some("Spanning Tree BPDU") }),
                ("llc.ssap.sap", Value::UInt(33)),
                ("llc.ssap.cr", Value::Bool(false)),
                ("llc.control", Value::Hex { value: 3, digits: 4 }),
                ("llc.control.u_modifier_cmd", Value::Hex { value: 0, digits: 2 }),
                ("llc.control.ftype", Value::Hex { value: 3, digits: 2 }),
            ]
        );
        assert_eq!(l.find("llc.control").and_then(|f| f.display.clone()).as_deref(), Some("U, func=UI (0x03)"));
    }

    #[test]
    fn test_response_with_final_bit_hands_its_data_on_as_data() {
        // DSAP 0x00, SSAP 0x01 (NULL SAP, response), control 0xF3: TEST with P/F.
        let f = [0x00, 0x01, 0xf3, b'h', b'i'];
        let s = llc(&f, 0..5, DecodeCtx::default());
        let l = &s.layers[0];
        assert_eq!(l.info.as_deref(), Some("U F, func=TEST; DSAP NULL LSAP Individual, SSAP NULL LSAP Response"));
        assert_eq!(value(l, "llc.control.f"), Some(Value::Bool(true)));
        assert!(l.find("llc.control.p").is_none());
        assert!(l.find("llc.control.u_modifier_cmd").is_none());
        assert_eq!(value(l, "llc.control.u_modifier_resp"), Some(Value::Hex { value: 0x38, digits: 2 }));
        assert_eq!(s.next, Handoff::Data);
        assert_eq!(s.payload, 3..5);
    }

    #[test]
    fn i_frame_has_two_little_endian_control_bytes() {
        // N(S)=5 in the first byte (0x0a), N(R)=3 and Poll in the second (0x07).
        let f = [0x18, 0x18, 0x0a, 0x07, 0xde, 0xad];
        let s = llc(&f, 0..6, DecodeCtx::default());
        let l = &s.layers[0];
        assert_eq!(l.range, 0..4);
        assert_eq!(s.payload, 4..6);
        assert_eq!(s.next, Handoff::Sap(0x18));
        assert_eq!(value(l, "llc.control"), Some(Value::Hex { value: 0x070a, digits: 4 }));
        assert_eq!(value(l, "llc.control.n_r"), Some(Value::UInt(3)));
        assert_eq!(value(l, "llc.control.n_s"), Some(Value::UInt(5)));
        assert_eq!(value(l, "llc.control.p"), Some(Value::Bool(true)));
        assert_eq!(value(l, "llc.control.ftype"), Some(Value::Hex { value: 0, digits: 4 }));
        assert_eq!(l.find("llc.control").map(|f| f.range.clone()), Some(2..4));
        assert_eq!(
            l.info.as_deref(),
            Some("I P, N(R)=3, N(S)=5; DSAP Texas Instruments Individual, SSAP Texas Instruments Command")
        );
    }

    #[test]
    fn s_frame_receiver_ready() {
        let f = [0x18, 0x19, 0x01, 0x0b];
        let s = llc(&f, 0..4, DecodeCtx::default());
        let l = &s.layers[0];
        assert_eq!(l.info.as_deref(), Some("S F, func=RR, N(R)=5; DSAP Texas Instruments Individual, SSAP Texas Instruments Response"));
        assert_eq!(value(l, "llc.control.s_ftype"), Some(Value::Hex { value: 0, digits: 4 }));
        assert_eq!(value(l, "llc.control.ftype"), Some(Value::Hex { value: 1, digits: 4 }));
        assert_eq!(value(l, "llc.control.f"), Some(Value::Bool(true)));
        assert!(l.find("llc.control.n_s").is_none());
        assert_eq!(s.next, Handoff::End, "no data follows");
    }

    #[test]
    fn snap_with_oui_zero_hands_on_an_ethertype() {
        let f = [0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00, 0x08, 0x00, 0x45];
        let s = llc(&f, 0..9, DecodeCtx::default());
        let l = &s.layers[0];
        assert_eq!(l.range, 0..8);
        assert_eq!((s.next, s.payload), (Handoff::EtherType(0x0800), 8..9));
        assert_eq!(value(l, "llc.oui"), Some(Value::UInt(0)));
        assert_eq!(value(l, "llc.type"), Some(Value::Enum { value: 0x0800, name: Some("IPv4") }));
        assert!(l.find("llc.pid").is_none());
        assert_eq!(
            l.info.as_deref(),
            Some("U, func=UI; SNAP, OUI 0x000000 (Officially Xerox, but 0:0:0:0:0:0 is more common), PID 0x0800")
        );
        // A TEST frame with the same SNAP header carries no type and hands on data.
        let mut t = f;
        t[2] = 0xe3;
        let s = llc(&t, 0..9, DecodeCtx::default());
        assert!(s.layers[0].find("llc.type").is_none());
        assert_eq!(s.next, Handoff::Data);
    }

    #[test]
    fn snap_pids_of_other_organizations() {
        let bpdu = [0xaa, 0xaa, 0x03, 0x00, 0x80, 0xc2, 0x00, 0x0e, 0x00];
        let s = llc(&bpdu, 0..9, DecodeCtx::default());
        assert_eq!(s.next, Handoff::Sap(SAP_BPDU));
        assert_eq!(value(&s.layers[0], "llc.pid"), Some(Value::Hex { value: 0x000e, digits: 4 }));
        assert_eq!(value(&s.layers[0], "llc.oui"), Some(Value::UInt(0x0080c2)));
        let pvst = [0xaa, 0xaa, 0x03, 0x00, 0x00, 0x0c, 0x01, 0x0b, 0x00];
        let s = llc(&pvst, 0..9, DecodeCtx::default());
        assert_eq!(s.next, Handoff::Sap(SAP_BPDU));
        assert_eq!(value(&s.layers[0], "llc.cisco_pid"), Some(Value::Hex { value: 0x010b, digits: 4 }));
        let private = [0xaa, 0xaa, 0x03, 0x02, 0x77, 0xaa, 0x12, 0x34, 0x00];
        let s = llc(&private, 0..9, DecodeCtx::default());
        assert_eq!(s.next, Handoff::Data);
        assert_eq!(s.layers[0].info.as_deref(), Some("U, func=UI; SNAP, OUI 0x0277AA (Unknown), PID 0x1234"));
        assert_eq!(s.layers[0].find("llc.oui").and_then(|f| f.display.clone()).as_deref(), Some("02:77:aa"));
    }

    #[test]
    fn unknown_saps_and_modifiers_are_named_as_wireshark_does() {
        // DSAP 0xAB: SNAP's number with the group bit; SSAP 0x43: BPDU's with the response
        // bit; control 0x6F: SABME (0x6C), P/F clear.
        let f = [0xab, 0x43, 0x6f, 0x00];
        let s = llc(&f, 0..4, DecodeCtx::default());
        let l = &s.layers[0];
        assert_eq!(l.info.as_deref(), Some("U, func=SABME; DSAP SNAP Group, SSAP Spanning Tree BPDU Response"));
        assert_eq!(value(l, "llc.dsap"), Some(Value::Enum { value: 0xab, name: None }));
        assert_eq!(s.next, Handoff::Data);
        let f = [0x36, 0x36, 0xff];
        let s = llc(&f, 0..3, DecodeCtx::default());
        assert_eq!(s.layers[0].info.as_deref(), Some("U P, func=BCN; DSAP 0x36 Individual, SSAP 0x36 Command"));
        // 0x47 & 0xEC = 0x44 is no modifier.
        let f = [0x36, 0x36, 0x47];
        let s = llc(&f, 0..3, DecodeCtx::default());
        assert!(s.layers[0].info.as_deref().is_some_and(|i| i.starts_with("U, func=Unknown;")));
    }

    #[test]
    fn sap_six_is_ipv4() {
        let f = [0x06, 0x06, 0x03, 0x45];
        assert_eq!(llc(&f, 0..4, DecodeCtx::default()).next, Handoff::EtherType(0x0800));
    }

    #[test]
    fn every_too_short_length() {
        let snap = [0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00, 0x08, 0x00];
        let iframe = [0x18, 0x18, 0x0a, 0x07];
        for n in 0..snap.len() {
            let s = llc(&snap, 0..n, DecodeCtx::default());
            let l = &s.layers[0];
            assert_eq!(s.next, Handoff::End, "{n}");
            assert_eq!(l.find("llc.dsap").is_some(), n >= 1, "{n}");
            assert_eq!(l.find("llc.ssap").is_some(), n >= 2, "{n}");
            assert_eq!(l.find("llc.control").is_some(), n >= 3, "{n}");
            assert!(l.find("llc.oui").is_none() && l.find("llc.type").is_none(), "SNAP needs all five bytes ({n})");
            assert_eq!(l.notes.first().map(|n| n.id), Some("truncated"));
            // Info: empty until the control field is read, then its text alone.
            assert_eq!(l.info.as_deref(), Some(if n >= 3 { "U, func=UI" } else { "" }), "{n}");
            crate::check_ranges(&s, snap.len());
        }
        let s = llc(&iframe, 0..3, DecodeCtx::default());
        assert!(s.layers[0].find("llc.control").is_none(), "an I frame's control needs two bytes");
        assert_eq!(s.layers[0].range, 0..3);
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..16), a in 0usize..20, b in 0usize..20) {
            let s = llc(&data, a.min(b)..a.max(b), DecodeCtx::default());
            crate::check_ranges(&s, data.len());
            proptest::prop_assert!(s.payload.start >= s.layers[0].range.end || s.next == Handoff::End);
        }

        #[test]
        fn snap_and_i_frames_never_panic(rest in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..10), first in proptest::prop_oneof![proptest::prelude::Just(vec![0xaau8, 0xaa]), proptest::prelude::Just(vec![0x42u8, 0x42, 0x00])]) {
            let mut data = first;
            data.extend(rest);
            let n = data.len();
            let s = llc(&data, 0..n, DecodeCtx::default());
            crate::check_ranges(&s, n);
        }
    }
}
