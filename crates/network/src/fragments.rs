//! What an IP layer says about fragmentation once fragments are put back together: which
//! fragment this packet is, and, on the fragment that completes a datagram, the list of
//! fragments it was made from, as Wireshark 4.0 shows them with reassembly on.
//!
//! ```text
//! Internet Protocol Version 4, Src: 10.77.0.1, Dst: 10.77.0.2
//!     ...
//!     [IPv4 Fragments: 3 fragments (4008 bytes): #1(1480), #2(1480), #3(1048)]
//!         [IPv4 Fragment: frame 1, payload 0-1479 (1480 bytes)]
//!         ...
//!         [Fragment count: 3]
//!         [Reassembled IPv4 length: 4008]
//! ```
//!
//! Keeping the fragments across frames is the stack's business (it alone sees frames in order);
//! this module only reads an IP layer's own fields and writes the generated fields and Info
//! text that belong to IP. Field keys are Wireshark's (`ip.fragments`, `ip.reassembled_in`,
//! `ipv6.reassembled.in` …), so a student can paste them into Wireshark.

use netlayers_core::{Field, FieldSpec, Layer, Value};

use crate::{ipproto, ipv4, ipv6};

spec!(V4_FRAGMENTS, "ip.fragments", "IPv4 Fragments", "IPv4 分片列表",
    "The fragments this datagram was put back together from, listed by offset: frame number and how many bytes each carried. The receiver does this before handing the data to the protocol above, so only the last fragment to arrive shows the whole message.",
    "这个数据报由哪些分片重组而成,按偏移排列:每个分片所在的帧号和携带的字节数。接收方先完成重组,再把数据交给上层协议,所以只有最后到达的那个分片能显示完整的消息。");
spec!(V4_FRAGMENT, "ip.fragment", "IPv4 Fragment", "IPv4 分片",
    "One fragment: the frame that carried it and which bytes of the original datagram it held.",
    "一个分片:携带它的帧,以及它装的是原数据报中的哪些字节。");
spec!(V4_OVERLAP, "ip.fragment.overlap", "Fragment overlap", "分片重叠",
    "Some of these bytes had already arrived in another fragment (a duplicate or an overlapping fragment). The bytes that came first are kept.",
    "其中一部分字节已经由另一个分片送到(重复的或相互重叠的分片)。保留先到的字节。");
spec!(V4_OVERLAP_CONFLICT, "ip.fragment.overlap.conflict", "Conflicting data in fragment overlap", "重叠部分数据冲突",
    "The overlapping bytes differ from those already received. Systems disagree on which copy wins, which attackers have used to slip data past firewalls; like Wireshark, netlayers keeps the first.",
    "重叠部分的字节与已经收到的不一样。不同系统对保留哪一份看法不一,攻击者曾利用这一点绕过防火墙;netlayers 和 Wireshark 一样保留先到的那份。");
spec!(V4_MULTIPLE_TAILS, "ip.fragment.multipletails", "Multiple tail fragments found", "出现多个末尾分片",
    "Another fragment without More Fragments ends the datagram at a different length; the first one seen sets the length.",
    "另一个没有置“更多分片”位的分片给出了不同的数据报长度;以最先看到的那个为准。");
spec!(V4_TOO_LONG, "ip.fragment.toolongfragment", "Fragment too long", "分片过长",
    "This fragment runs past the end of the datagram that the last fragment announced; only the bytes that fit were used.",
    "这个分片超出了末尾分片所给出的数据报长度;只使用了装得下的字节。");
spec!(V4_COUNT, "ip.fragment.count", "Fragment count", "分片数",
    "How many fragments were put together, duplicates included.",
    "参与重组的分片个数,包括重复的分片。");
spec!(V4_REASSEMBLED_IN, "ip.reassembled_in", "Reassembled IPv4 in frame", "IPv4 重组完成于帧",
    "The frame whose fragment completed this datagram: the receiver hands the whole datagram up only then, so that frame shows the layers above IP.",
    "补齐这个数据报的分片所在的帧:接收方直到那时才把完整的数据报交给上层,所以上层协议显示在那一帧里。");
spec!(V4_REASSEMBLED_LENGTH, "ip.reassembled.length", "Reassembled IPv4 length", "重组后的 IPv4 数据长度",
    "Bytes of the datagram's data after reassembly (the IP payload, without the header).",
    "重组后数据报中数据部分的字节数(IP 载荷,不含首部)。");
spec!(V4_REASSEMBLED_DATA, "ip.reassembled.data", "Reassembled IPv4 data", "重组后的 IPv4 数据",
    "The reassembled payload: what the layers shown below were decoded from. These bytes are not in this frame alone; the byte ranges of those layers count from the start of this data.",
    "重组后的载荷:下面各层就是从这些字节解码出来的。它们并不全在本帧中;那些层的字节位置从这段数据的开头算起。");

spec!(V6_FRAGMENTS, "ipv6.fragments", "IPv6 Fragments", "IPv6 分片列表",
    "The fragments this packet was put back together from, listed by offset: frame number and how many bytes each carried. Only the sender fragments in IPv6; the destination reassembles before handing the data up.",
    "这个数据包由哪些分片重组而成,按偏移排列:每个分片所在的帧号和携带的字节数。IPv6 中只有发送方分片;目的主机先重组,再把数据交给上层。");
spec!(V6_FRAGMENT, "ipv6.fragment", "IPv6 Fragment", "IPv6 分片",
    "One fragment: the frame that carried it and which bytes of the original packet it held.",
    "一个分片:携带它的帧,以及它装的是原数据包中的哪些字节。");
spec!(V6_OVERLAP, "ipv6.fragment.overlap", "Fragment overlap", "分片重叠",
    "Some of these bytes had already arrived in another fragment (a duplicate or an overlapping fragment). The bytes that came first are kept. RFC 8200 says a receiver must drop a packet whose fragments overlap.",
    "其中一部分字节已经由另一个分片送到(重复的或相互重叠的分片)。保留先到的字节。RFC 8200 规定接收方必须丢弃分片相互重叠的数据包。");
spec!(V6_OVERLAP_CONFLICT, "ipv6.fragment.overlap.conflict", "Conflicting data in fragment overlap", "重叠部分数据冲突",
    "The overlapping bytes differ from those already received; like Wireshark, netlayers keeps the first.",
    "重叠部分的字节与已经收到的不一样;netlayers 和 Wireshark 一样保留先到的那份。");
spec!(V6_MULTIPLE_TAILS, "ipv6.fragment.multipletails", "Multiple tail fragments found", "出现多个末尾分片",
    "Another fragment without the M flag ends the packet at a different length; the first one seen sets the length.",
    "另一个没有置 M 位的分片给出了不同的数据包长度;以最先看到的那个为准。");
spec!(V6_TOO_LONG, "ipv6.fragment.toolongfragment", "Fragment too long", "分片过长",
    "This fragment runs past the end of the packet that the last fragment announced; only the bytes that fit were used.",
    "这个分片超出了末尾分片所给出的数据包长度;只使用了装得下的字节。");
spec!(V6_COUNT, "ipv6.fragment.count", "Fragment count", "分片数",
    "How many fragments were put together, duplicates included.",
    "参与重组的分片个数,包括重复的分片。");
spec!(V6_REASSEMBLED_IN, "ipv6.reassembled.in", "Reassembled IPv6 in frame", "IPv6 重组完成于帧",
    "The frame whose fragment completed this packet: the layers above IPv6 are shown there.",
    "补齐这个数据包的分片所在的帧:IPv6 之上的各层显示在那一帧里。");
spec!(V6_REASSEMBLED_LENGTH, "ipv6.reassembled.length", "Reassembled IPv6 length", "重组后的 IPv6 数据长度",
    "Bytes of the fragmentable part after reassembly: everything after the Fragment header.",
    "重组后可分片部分的字节数:分片首部之后的全部内容。");
spec!(V6_REASSEMBLED_DATA, "ipv6.reassembled.data", "Reassembled IPv6 data", "重组后的 IPv6 数据",
    "The reassembled payload: what the layers shown below were decoded from. These bytes are not in this frame alone; the byte ranges of those layers count from the start of this data.",
    "重组后的载荷:下面各层就是从这些字节解码出来的。它们并不全在本帧中;那些层的字节位置从这段数据的开头算起。");

/// The fields of one IP version, so the code below is written once.
struct Specs {
    name: &'static str,
    fragments: &'static FieldSpec,
    fragment: &'static FieldSpec,
    overlap: &'static FieldSpec,
    conflict: &'static FieldSpec,
    multiple_tails: &'static FieldSpec,
    too_long: &'static FieldSpec,
    count: &'static FieldSpec,
    reassembled_in: &'static FieldSpec,
    length: &'static FieldSpec,
    data: &'static FieldSpec,
}

static V4: Specs = Specs {
    name: "IPv4",
    fragments: &V4_FRAGMENTS,
    fragment: &V4_FRAGMENT,
    overlap: &V4_OVERLAP,
    conflict: &V4_OVERLAP_CONFLICT,
    multiple_tails: &V4_MULTIPLE_TAILS,
    too_long: &V4_TOO_LONG,
    count: &V4_COUNT,
    reassembled_in: &V4_REASSEMBLED_IN,
    length: &V4_REASSEMBLED_LENGTH,
    data: &V4_REASSEMBLED_DATA,
};

static V6: Specs = Specs {
    name: "IPv6",
    fragments: &V6_FRAGMENTS,
    fragment: &V6_FRAGMENT,
    overlap: &V6_OVERLAP,
    conflict: &V6_OVERLAP_CONFLICT,
    multiple_tails: &V6_MULTIPLE_TAILS,
    too_long: &V6_TOO_LONG,
    count: &V6_COUNT,
    reassembled_in: &V6_REASSEMBLED_IN,
    length: &V6_REASSEMBLED_LENGTH,
    data: &V6_REASSEMBLED_DATA,
};

fn specs(layer: &Layer) -> &'static Specs {
    if layer.protocol == "ipv6" { &V6 } else { &V4 }
}

/// What reassembly needs from the header of an IP packet that is a fragment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FragmentHeader {
    /// IPv4 Identification or IPv6 Fragment header Identification: with the addresses (and, for
    /// IPv4, the protocol) it names the datagram.
    pub ident: u32,
    /// The protocol of the whole datagram's payload (IPv4 Protocol, IPv6 fragment header's Next
    /// header). Part of the key for IPv4 only, as in Wireshark.
    pub proto: u8,
    pub v6: bool,
    /// Where this fragment's bytes go in the datagram's payload, in bytes.
    pub offset: usize,
    /// More Fragments: another fragment follows this one.
    pub more: bool,
    /// TTL or hop limit of this packet, which ICMP's Info shows for the reassembled message.
    pub hop_limit: u8,
    /// IPv6: the absolute end of the Fragment header. The fragmentable part starts there, even
    /// when the first fragment has more extension headers after it.
    pub fragment_header_end: Option<usize>,
}

/// The fragment header of an `ip`/`ipv6` layer, when the packet is a fragment (a More Fragments
/// flag or a non-zero offset; an IPv6 atomic fragment, offset 0 without M, is whole). `None`
/// also when the header was cut before these fields.
pub fn fragment_header(layer: &Layer) -> Option<FragmentHeader> {
    let num = |k: &str| layer.find(k).and_then(|f| f.value.as_u64());
    let flag = |k: &str| matches!(layer.find(k).map(|f| &f.value), Some(Value::Bool(true)));
    // Every IP packet comes through here: whole ones leave after the first look.
    let h = match layer.protocol {
        "ip" => {
            let (offset, more) = (num("ip.frag_offset")? as usize, flag("ip.flags.mf"));
            if !more && offset == 0 {
                return None;
            }
            FragmentHeader {
                ident: num("ip.id")? as u32,
                proto: num("ip.proto")? as u8,
                v6: false,
                offset,
                more,
                hop_limit: num("ip.ttl")? as u8,
                fragment_header_end: None,
            }
        }
        "ipv6" => {
            let fh = layer.fields.iter().find(|f| f.key() == "ipv6.fraghdr")?;
            let child = |k: &str| fh.children.iter().find(|c| c.key() == k).map(|c| &c.value);
            let offset = child("ipv6.fraghdr.offset")?.as_u64()? as usize;
            let more = matches!(child("ipv6.fraghdr.more"), Some(Value::Bool(true)));
            if !more && offset == 0 {
                return None;
            }
            FragmentHeader {
                ident: child("ipv6.fraghdr.ident")?.as_u64()? as u32,
                proto: child("ipv6.fraghdr.nxt")?.as_u64()? as u8,
                v6: true,
                offset,
                more,
                hop_limit: num("ipv6.hlim")? as u8,
                fragment_header_end: Some(fh.range.end),
            }
        }
        _ => return None,
    };
    Some(h)
}

/// The Info text of a fragment shown without the layers above it, as tshark writes it with
/// reassembly on: `Fragmented IP protocol (proto=ICMP 1, off=0, ID=171e)` for IPv4 (even at
/// offset 0, whose payload waits for the rest), the extension headers' own text for IPv6.
pub fn fragment_info(layer: &Layer) -> Option<String> {
    let h = fragment_header(layer)?;
    if !h.v6 {
        return Some(ipv4::fragmented_info(h.proto, h.offset, h.ident as u16));
    }
    Some(ipv6::extension_info(layer))
}

/// The Info text IP itself writes for a reassembled payload that no decoder takes (as tshark
/// does for an unknown protocol); the layer above replaces it when there is one.
pub fn reassembled_info(layer: &Layer, proto: u8) -> String {
    let name = ipproto::name(proto).unwrap_or("Unknown");
    if layer.protocol == "ipv6" {
        format!("Unknown IP Protocol: {name} ({proto})")
    } else {
        format!("{name} ({proto})")
    }
}

/// One fragment of a reassembled datagram, in the order Wireshark lists them: by offset, and
/// in arrival order for equal offsets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FragmentPiece {
    /// The frame that carried it.
    pub frame: u64,
    /// Where its bytes go in the payload, and how many it carried.
    pub offset: usize,
    pub len: usize,
    /// Some of its bytes had already come in a fragment listed before it.
    pub overlap: bool,
    /// Those bytes differ (the first ones were kept).
    pub conflict: bool,
    /// It has no More Fragments flag but ends elsewhere than the first such fragment.
    pub multiple_tails: bool,
    /// It runs past the end of the datagram (only what fits was used).
    pub too_long: bool,
}

/// Appends, to the `ip`/`ipv6` layer of the frame that completed a datagram, the list of its
/// fragments and the reassembled length and data (all generated: they are not in this frame's
/// bytes). `payload` is the reassembled payload.
pub fn add_reassembled(layer: &mut Layer, pieces: &[FragmentPiece], payload: &[u8]) {
    let s = specs(layer);
    let list: Vec<String> = pieces.iter().map(|p| format!("#{}({})", p.frame, p.len)).collect();
    let mut children: Vec<Field> = pieces
        .iter()
        .map(|p| {
            let last = (p.offset + p.len).saturating_sub(1);
            let mut f = Field::generated(s.fragment, Value::UInt(p.frame))
                .with_display(format!("frame {}, payload {}-{last} ({} bytes)", p.frame, p.offset, p.len));
            for (set, spec) in [
                (p.overlap, s.overlap),
                (p.conflict, s.conflict),
                (p.multiple_tails, s.multiple_tails),
                (p.too_long, s.too_long),
            ] {
                if set {
                    f.children.push(Field::generated(spec, Value::Bool(true)));
                }
            }
            f
        })
        .collect();
    children.push(Field::generated(s.count, Value::UInt(pieces.len() as u64)));
    children.push(Field::generated(s.length, Value::UInt(payload.len() as u64)));
    children.push(Field::generated(s.data, Value::Bytes(payload.to_vec())));
    layer.fields.push(
        Field::generated(s.fragments, Value::None)
            .with_display(format!(
                "{} fragments ({} bytes): {}",
                pieces.len(),
                payload.len(),
                list.join(", ")
            ))
            .with_children(children),
    );
}

/// Says, on a fragment that did not complete its datagram, which frame did: the generated
/// `ip.reassembled_in` (`ipv6.reassembled.in`) and, for IPv4, tshark's ` [Reassembled in #N]`
/// after the Info text.
pub fn add_reassembled_in(layer: &mut Layer, frame: u64) {
    let s = specs(layer);
    layer.fields.push(Field::generated(s.reassembled_in, Value::UInt(frame)));
    if s.name == "IPv4" {
        if let Some(info) = layer.info.as_mut() {
            info.push_str(&format!(" [Reassembled in #{frame}]"));
        }
    }
}

/// The name Wireshark gives the reassembled bytes as a data source: `Reassembled IPv4`.
pub fn reassembled_source_name(layer: &Layer) -> &'static str {
    if specs(layer).name == "IPv6" { "Reassembled IPv6" } else { "Reassembled IPv4" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netlayers_core::DecodeCtx;

    /// An IPv4 fragment: 20-byte header, ID 0x171e, proto ICMP, offset and MF as given.
    fn v4(offset: u16, more: bool) -> Layer {
        let mut p = vec![
            0x45, 0, 0, 28, // version, IHL, DS field, total length 28
            0x17, 0x1e, // ip.id
            0, 0, // flags, offset: filled in below
            64, 1, 0, 0, // ttl 64, ICMP, checksum (not checked here)
            10, 77, 0, 1, 10, 77, 0, 2, // src, dst
            0, 0, 0, 0, 0, 0, 0, 0, // 8 bytes of payload
        ];
        let word = (offset / 8) | if more { 0x2000 } else { 0 };
        p[6..8].copy_from_slice(&word.to_be_bytes());
        crate::ipv4(&p, 0..p.len(), DecodeCtx::default()).layers.remove(0)
    }

    #[test]
    fn ipv4_fragment_headers() {
        assert_eq!(fragment_header(&v4(0, false)), None);
        let h = fragment_header(&v4(0, true)).expect("first fragment");
        assert_eq!((h.ident, h.proto, h.offset, h.more, h.hop_limit, h.v6), (0x171e, 1, 0, true, 64, false));
        let h = fragment_header(&v4(1480, false)).expect("last fragment");
        assert_eq!((h.offset, h.more), (1480, false));
        assert_eq!(fragment_info(&v4(0, true)).as_deref(), Some("Fragmented IP protocol (proto=ICMP 1, off=0, ID=171e)"));
        assert_eq!(fragment_info(&v4(0, false)), None);
    }

    #[test]
    fn ipv6_fragment_headers_and_info() {
        let mut p = vec![0x60, 0, 0, 0, 0, 16, 44, 64];
        p.extend_from_slice(&[0xfd, 0x77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        p.extend_from_slice(&[0xfd, 0x77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
        p.extend_from_slice(&[58, 0, 0, 1, 0x4f, 0x5d, 0x4e, 0x15]); // offset 0, M, ident
        p.extend_from_slice(&[0x80, 0, 0, 0, 0, 1, 0, 1]);
        let l = crate::ipv6(&p, 0..p.len(), DecodeCtx::default()).layers.remove(0);
        let h = fragment_header(&l).expect("a fragment");
        assert_eq!((h.ident, h.proto, h.offset, h.more, h.hop_limit, h.fragment_header_end), (0x4f5d4e15, 58, 0, true, 64, Some(48)));
        assert_eq!(fragment_info(&l).as_deref(), Some("IPv6 fragment (off=0 more=y ident=0x4f5d4e15 nxt=58)"));
        assert_eq!(reassembled_info(&l, 58), "Unknown IP Protocol: ICMPv6 (58)");
    }

    #[test]
    fn the_fragment_list() {
        let mut l = v4(2960, false);
        let piece = |frame, offset, len| FragmentPiece { frame, offset, len, overlap: false, conflict: false, multiple_tails: false, too_long: false };
        let mut dup = piece(2, 0, 1480);
        dup.overlap = true;
        add_reassembled(&mut l, &[piece(1, 0, 1480), dup, piece(3, 1480, 8)], &[7; 1488]);
        let f = l.find("ip.fragments").expect("list");
        assert_eq!(f.display.as_deref(), Some("3 fragments (1488 bytes): #1(1480), #2(1480), #3(8)"));
        assert_eq!(f.children[0].display.as_deref(), Some("frame 1, payload 0-1479 (1480 bytes)"));
        assert_eq!(f.children[1].children[0].key(), "ip.fragment.overlap");
        assert_eq!(l.find("ip.fragment.count").map(|f| f.value.clone()), Some(Value::UInt(3)));
        assert_eq!(l.find("ip.reassembled.length").map(|f| f.value.clone()), Some(Value::UInt(1488)));
        assert!(l.fields.iter().all(|f| f.range.is_empty() || !f.generated));

        let mut l = v4(0, true);
        l.info = fragment_info(&l);
        add_reassembled_in(&mut l, 3);
        assert_eq!(l.info.as_deref(), Some("Fragmented IP protocol (proto=ICMP 1, off=0, ID=171e) [Reassembled in #3]"));
        assert_eq!(l.find("ip.reassembled_in").map(|f| f.value.clone()), Some(Value::UInt(3)));
        assert_eq!(reassembled_source_name(&l), "Reassembled IPv4");
    }
}
