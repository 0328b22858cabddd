//! Every word the renderers print themselves, in English and Simplified Chinese.

use netlayers_core::{Lang, LayerKind, Severity, Text};

// Packet-list column headings.
pub const COL_NO: Text = Text::new("No.", "序号");
pub const COL_TIME: Text = Text::new("Time", "时间");
pub const COL_SOURCE: Text = Text::new("Source", "源地址");
pub const COL_DESTINATION: Text = Text::new("Destination", "目的地址");
pub const COL_PROTOCOL: Text = Text::new("Protocol", "协议");
pub const COL_LENGTH: Text = Text::new("Length", "长度");
pub const COL_INFO: Text = Text::new("Info", "信息");

// Byte ranges.
pub const BYTE: Text = Text::new("byte", "字节");
pub const BYTES: Text = Text::new("bytes", "字节");
// Bytes of a datagram reassembled from fragments (counted from the start of its payload).
pub const REASSEMBLED_BYTE: Text = Text::new("reassembled byte", "重组数据字节");
pub const REASSEMBLED_BYTES: Text = Text::new("reassembled bytes", "重组数据字节");

// Values.
pub const SET: Text = Text::new("Set", "置位");
pub const NOT_SET: Text = Text::new("Not set", "未置位");
pub const TRUE: Text = Text::new("True", "是");
pub const FALSE: Text = Text::new("False", "否");
pub const UNKNOWN: Text = Text::new("Unknown", "未知");

// Detail tree.
pub const EXPERT_INFO: Text = Text::new("Expert Info", "专家信息");
pub const QUOTED: Text = Text::new("quoted", "被引用的报文");
pub const GENERATED: Text = Text::new("generated, not on the wire", "计算得出,不在线路上");

// Hexdump.
pub const OUTSIDE: Text = Text::new("no layer", "不属于任何层");

pub fn severity(s: Severity) -> Text {
    match s {
        Severity::Chat => Text::new("Chat", "对话"),
        Severity::Note => Text::new("Note", "注意"),
        Severity::Warn => Text::new("Warning", "警告"),
        Severity::Error => Text::new("Error", "错误"),
    }
}

/// `Layer 3 · Network` / `第 3 层 · 网络层`.
pub fn layer_place(buf: &mut Vec<u8>, kind: LayerKind, lang: Lang) {
    let n = kind.number();
    let name = kind.name().get(lang);
    match lang {
        Lang::En => crate::write::out!(buf, "Layer {n} · {name}"),
        Lang::Zh => crate::write::out!(buf, "第 {n} 层 · {name}"),
    }
}

/// `Reassembled IPv4: 108 bytes` / `重组后的 IPv4 数据:108 字节`: the heading of the hexdump
/// block of a datagram put back together from fragments.
pub fn reassembled_data(buf: &mut Vec<u8>, ip: &str, len: usize, lang: Lang) {
    match lang {
        Lang::En => crate::write::out!(buf, "Reassembled {ip}: {len} bytes"),
        Lang::Zh => crate::write::out!(buf, "重组后的 {ip} 数据:{len} 字节"),
    }
}

/// `Frame 1: 47 bytes captured` / `帧 1:已捕获 47 字节`.
pub fn frame_captured(buf: &mut Vec<u8>, number: u64, cap_len: usize, lang: Lang) {
    match lang {
        Lang::En => crate::write::out!(buf, "Frame {number}: {cap_len} bytes captured"),
        Lang::Zh => crate::write::out!(buf, "帧 {number}:已捕获 {cap_len} 字节"),
    }
}
