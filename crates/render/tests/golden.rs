//! Golden outputs of every renderer on hand-built layer trees, and the safety properties that
//! hold whatever the decoders put into the tree.

mod fixtures;

use fixtures::{arp_frame, evil_frame, icmp_error_frame, ipv6_frame, udp_frame, Owned};
use netlayers_core::Lang;
use netlayers_render::{hexdump, json, table_header, table_row, tree, FrameView};

fn text(buf: Vec<u8>) -> String {
    String::from_utf8(buf).expect("renderers write UTF-8")
}

/// Colour codes made visible, so a golden file shows where each colour starts and stops.
fn visible_escapes(s: String) -> String {
    s.replace('\x1b', "␛")
}

fn all_frames() -> Vec<Owned> {
    vec![udp_frame(), arp_frame(), ipv6_frame(), icmp_error_frame()]
}

fn table(lang: Lang, color: bool) -> String {
    let mut buf = Vec::new();
    table_header(&mut buf, lang, color);
    for f in all_frames() {
        table_row(&mut buf, &f.view(), color);
    }
    text(buf)
}

#[test]
fn table_en() {
    insta::assert_snapshot!(table(Lang::En, false));
}

#[test]
fn table_zh() {
    insta::assert_snapshot!(table(Lang::Zh, false));
}

#[test]
fn table_color() {
    insta::assert_snapshot!(visible_escapes(table(Lang::En, true)));
}

#[test]
fn table_columns_come_from_the_frames_own_layers() {
    let t = table(Lang::En, false);
    let rows: Vec<&str> = t.lines().skip(1).collect();
    // IP over Ethernet: the IP addresses.
    assert!(rows[0].contains("10.77.0.1 → 10.77.0.2 ") && rows[0].contains(" UDP "), "{}", rows[0]);
    // ARP: the Ethernet addresses, not the ARP payload's.
    assert!(rows[1].contains("02:77:00:00:00:0a → ff:ff:ff:ff:ff:ff ARP"), "{}", rows[1]);
    // A quoted packet never supplies columns: the router's error to the sender, shown as ICMP
    // with ICMP's Info even though the quoted UDP header has an Info text of its own.
    assert!(rows[3].contains("10.77.0.254 → 10.77.0.1 ") && rows[3].contains(" ICMP "), "{}", rows[3]);
    assert!(rows[3].ends_with("Destination unreachable (Port unreachable)"), "{}", rows[3]);
    // Length is the length on the wire; Time has 6 decimals.
    assert!(rows[1].contains("  0.123457 "), "{}", rows[1]);
}

#[test]
fn table_row_appends_and_streams() {
    // Rows go into a reused buffer: each call appends one line and never looks at other frames.
    let mut buf = b"keep\n".to_vec();
    let f = udp_frame();
    table_row(&mut buf, &f.view(), false);
    let s = text(buf);
    assert!(s.starts_with("keep\n"));
    assert_eq!(s.lines().count(), 2);
}

fn tree_of(f: &Owned, lang: Lang, explain: bool, color: bool) -> String {
    let mut buf = Vec::new();
    tree(&mut buf, &f.view(), &f.data, lang, explain, color);
    text(buf)
}

#[test]
fn tree_en() {
    insta::assert_snapshot!(tree_of(&udp_frame(), Lang::En, false, false));
}

#[test]
fn tree_zh() {
    insta::assert_snapshot!(tree_of(&udp_frame(), Lang::Zh, false, false));
}

#[test]
fn tree_explain_en() {
    insta::assert_snapshot!(tree_of(&udp_frame(), Lang::En, true, false));
}

#[test]
fn tree_explain_zh() {
    insta::assert_snapshot!(tree_of(&udp_frame(), Lang::Zh, true, false));
}

#[test]
fn tree_quoted_packet() {
    insta::assert_snapshot!(tree_of(&icmp_error_frame(), Lang::En, false, false));
}

#[test]
fn tree_color() {
    insta::assert_snapshot!(visible_escapes(tree_of(&udp_frame(), Lang::En, false, true)));
}

#[test]
fn tree_bits_come_from_the_wire_not_the_value() {
    let t = tree_of(&udp_frame(), Lang::En, false, false);
    // Header Length is 20 bytes, but the wire holds IHL 5.
    assert!(t.contains("    .... 0101 = Header Length: 20 bytes (5)  [byte 14]\n"), "{t}");
    assert!(t.contains(".1.. .... = Don't fragment: Set  [byte 20]\n"), "{t}");
    assert!(t.contains("...0 0000 0000 0000 = Fragment Offset: 0  [bytes 20–21]\n"), "{t}");
    // A flag three bytes into a MAC, as Wireshark draws it.
    assert!(t.contains(".... ..1. .... .... .... .... = LG bit: Set  [bytes 0–2]\n"), "{t}");
}

#[test]
fn tree_without_the_bytes_drops_bits_but_keeps_the_value() {
    let f = udp_frame();
    let mut buf = Vec::new();
    tree(&mut buf, &f.view(), &[], Lang::En, false, false);
    let t = text(buf);
    assert!(t.contains("    Version: 4  [byte 14]\n"), "{t}");
}

fn hex_of(f: &Owned, lang: Lang, color: bool) -> String {
    let mut buf = Vec::new();
    hexdump(&mut buf, &f.view(), &f.data, lang, color);
    text(buf)
}

#[test]
fn hexdump_plain() {
    insta::assert_snapshot!(hex_of(&udp_frame(), Lang::En, false));
}

#[test]
fn hexdump_plain_padding_zh() {
    insta::assert_snapshot!(hex_of(&arp_frame(), Lang::Zh, false));
}

#[test]
fn hexdump_color() {
    insta::assert_snapshot!(visible_escapes(hex_of(&udp_frame(), Lang::En, true)));
}

#[test]
fn hexdump_lines_match_tshark_layout() {
    // tshark -x prints these three lines for the same bytes (checked with tshark 4.0).
    let h = hex_of(&udp_frame(), Lang::En, false);
    assert!(h.contains("\n0000  02 77 00 00 00 0b 02 77 00 00 00 0a 08 00 45 00   .w.....w......E.\n"), "{h}");
    assert!(h.contains("\n0010  00 21 00 01 40 00 40 11 26 2f 0a 4d 00 01 0a 4d   .!..@.@.&/.M...M\n"), "{h}");
    assert!(h.contains("\n0020  00 02 13 88 1f 91 00 0d 12 34 68 65 6c 6c 6f      .........4hello\n"), "{h}");
}

#[test]
fn hexdump_colours_each_byte_by_its_innermost_layer() {
    let f = udp_frame();
    let h = hex_of(&f, Lang::En, true);
    let line = h.lines().find(|l| l.starts_with("0020")).expect("third line");
    // Bytes 0x20–0x21 are IPv4 (green), 0x22–0x29 UDP (cyan), 0x2a–0x2e data (magenta).
    let green = "\x1b[32m";
    let cyan = "\x1b[36m";
    let magenta = "\x1b[35m";
    let g = line.find(green).expect("IPv4 colour");
    let c = line.find(cyan).expect("UDP colour");
    let m = line.find(magenta).expect("data colour");
    assert!(g < c && c < m, "{line:?}");
    assert!(line[g..c].contains("00 02") && line[c..m].contains("13 88 1f 91 00 0d 12 34"), "{line:?}");
}

#[test]
fn json_udp() {
    let f = udp_frame();
    let mut buf = Vec::new();
    json(&mut buf, &f.view());
    insta::assert_snapshot!(text(buf));
}

#[test]
fn json_first_occurrence_wins() {
    let f = icmp_error_frame();
    let mut buf = Vec::new();
    json(&mut buf, &f.view());
    let s = text(buf);
    assert!(s.ends_with("}\n") && s.matches('\n').count() == 1, "one line: {s}");
    let v: serde_json::Value = serde_json::from_str(&s).expect("valid JSON");
    // The quoted IP header comes after the outer one: it does not override the outer fields.
    assert_eq!(v["ip.src"], "10.77.0.254");
    assert_eq!(v["ip.dst"], "10.77.0.1");
    assert_eq!(v["ip.proto"], 1);
    assert_eq!(v["ip.flags.df"], false);
    // Fields only the quoted packet has are present, from it.
    assert_eq!(v["udp.srcport"], 5000);
    assert_eq!(v["udp.dstport"], 8081);
    assert_eq!(v["icmp.type"], 3);
    assert_eq!(v["frame.number"], 4);
    assert_eq!(v["frame.len"], 75);
    // Every key once: count the raw key texts.
    for key in ["\"ip.src\":", "\"ip.version\":", "\"udp.checksum\":", "\"frame.number\":"] {
        assert_eq!(s.matches(key).count(), 1, "{key} in {s}");
    }
    // The frame keys lead.
    assert!(s.starts_with(r#"{"frame.number":4,"frame.len":75,"frame.cap_len":75,"#), "{s}");
}

#[test]
fn json_value_types() {
    let mut buf = Vec::new();
    for f in all_frames() {
        json(&mut buf, &f.view());
    }
    let lines: Vec<serde_json::Value> =
        text(buf).lines().map(|l| serde_json::from_str(l).expect("valid JSON")).collect();
    let udp = &lines[0];
    assert_eq!(udp["eth.src"], "02:77:00:00:00:0a");
    assert_eq!(udp["eth.type"], 2048);
    assert_eq!(udp["eth.lg"], true);
    assert_eq!(udp["ip.checksum"], 0x262f);
    assert_eq!(udp["ip.flags"], 2);
    assert_eq!(udp["ip.flags.df"], true);
    assert_eq!(udp["ip.proto"], 17);
    assert_eq!(udp["ip.checksum.status"], 2, "generated fields are included");
    assert_eq!(udp["data.data"], "68656c6c6f");
    assert_eq!(udp["data.len"], 5);
    let arp = &lines[1];
    assert_eq!(arp["arp.dst.hw_mac"], "00:00:00:00:00:00");
    assert_eq!(arp["arp.src.proto_ipv4"], "10.77.0.1");
    assert!(arp.get("ip.src").is_none(), "absent keys stay absent");
    let v6 = &lines[2];
    assert_eq!(v6["ipv6.src"], "fd77::1");
    // tshark writes IPv4-mapped addresses in mixed notation; so does Rust's Display.
    assert_eq!(v6["ipv6.dst"], "::ffff:10.77.0.2");
    assert_eq!(v6["ip.version"], 6);
}

#[test]
fn json_grouping_fields_are_left_out_but_their_children_are_not() {
    use netlayers_core::{Field, Layer, LayerKind, Value};
    let mut l = Layer::new(LayerKind::Transport, "udp", "UDP", 0..8);
    l.fields = vec![Field::new(&fixtures::UDP_CHECKSUM, Value::None, 0..2)
        .with_children(vec![Field::new(&fixtures::UDP_SRCPORT, Value::UInt(7), 0..2)])];
    let layers = [l];
    let view = FrameView { number: 9, rel_time: 0.0, orig_len: 8, cap_len: 8, layers: &layers };
    let mut buf = Vec::new();
    json(&mut buf, &view);
    assert_eq!(text(buf), "{\"frame.number\":9,\"frame.len\":8,\"frame.cap_len\":8,\"udp.srcport\":7}\n");
}

#[test]
fn json_text_is_escaped() {
    let f = evil_frame();
    let mut buf = Vec::new();
    json(&mut buf, &f.view());
    let s = text(buf);
    assert!(!s.bytes().any(|b| b < 0x20 && b != b'\n'), "{s:?}");
    let v: serde_json::Value = serde_json::from_str(&s).expect("valid JSON");
    assert_eq!(v["data.text"], "\x1b[2J\x1b]0;pwned\x07hi\r\nthere\u{9b}31m\u{202e}\x00\x7f");
}

/// Removes the SGR sequences we write (`ESC [ digits;… m`); any ESC left is from a packet.
fn strip_our_colours(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('\x1b') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let end = after
            .strip_prefix('[')
            .and_then(|a| a.find(|c: char| !(c.is_ascii_digit() || c == ';')).filter(|&j| a[j..].starts_with('m')).map(|j| j + 2));
        match end {
            Some(n) => rest = &after[n..],
            None => {
                out.push('\x1b');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[test]
fn packet_text_never_reaches_the_terminal_raw() {
    let f = evil_frame();
    for color in [false, true] {
        let mut outputs = vec![table(Lang::En, color)];
        let mut buf = Vec::new();
        table_row(&mut buf, &f.view(), color);
        outputs.push(text(buf));
        for lang in [Lang::En, Lang::Zh] {
            for explain in [false, true] {
                outputs.push(tree_of(&f, lang, explain, color));
            }
            outputs.push(hex_of(&f, lang, color));
        }
        for out in outputs {
            let checked = if color { strip_our_colours(&out) } else { out.clone() };
            let bad: Vec<u8> = checked.bytes().filter(|&b| b < 0x20 && b != b'\n' || b == 0x7f).collect();
            assert!(bad.is_empty(), "colour {color}: raw control bytes {bad:?} in {out:?}");
            assert!(!checked.contains('\u{9b}') && !checked.contains('\u{202e}'), "C1/bidi raw in {out:?}");
            if !color {
                assert!(!out.contains('\x1b'), "no colour codes when colour is off");
            }
        }
    }
    // The escaped text is still there, readable.
    let t = tree_of(&f, Lang::En, false, false);
    assert!(t.contains("\\e[2J\\e]0;pwned\\x07hi\\r\\nthere\\x9b31m\\u{202e}\\x00\\x7f"), "{t}");
}

#[test]
fn colour_off_means_no_escape_codes_anywhere() {
    for f in all_frames() {
        for s in [tree_of(&f, Lang::Zh, true, false), hex_of(&f, Lang::En, false)] {
            assert!(!s.contains('\x1b'), "{s}");
        }
    }
    assert!(!table(Lang::En, false).contains('\x1b'));
}

#[test]
fn hexdump_quoted_packet() {
    insta::assert_snapshot!(hex_of(&icmp_error_frame(), Lang::En, false));
}

#[test]
fn hexdump_quoted_packet_color() {
    insta::assert_snapshot!(visible_escapes(hex_of(&icmp_error_frame(), Lang::En, true)));
}
