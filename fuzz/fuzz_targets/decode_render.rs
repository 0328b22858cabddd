//! Any bytes, as a frame of any supported link type, through the decoder and every renderer.
//! Also checks the promises every view relies on: field ranges inside the frame, valid JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netlayers_core::{Field, Frame, Lang, LinkType, Timestamp};
use netlayers_render::FrameView;
use netlayers_stack::Dissector;

const LINKS: [LinkType; 9] = [
    LinkType::Ethernet,
    LinkType::RawIp,
    LinkType::Ipv4,
    LinkType::Ipv6,
    LinkType::LinuxSll,
    LinkType::LinuxSll2,
    LinkType::Null,
    LinkType::Loop,
    LinkType::Other(147),
];

fn check_ranges(f: &Field, len: usize) {
    assert!(f.range.start <= f.range.end && f.range.end <= len, "{} range {:?} outside frame of {len}", f.spec.key, f.range);
    for c in &f.children {
        check_ranges(c, len);
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((&sel, data)) = input.split_first() else { return };
    let frame = Frame {
        number: 1,
        ts: Timestamp { secs: 1, nanos: 0 },
        orig_len: data.len() as u32 + u32::from(sel >> 4) * 97,
        data: data.to_vec(),
        link: LINKS[usize::from(sel & 0x0f) % LINKS.len()],
        interface: 0,
    };
    let mut dissector = Dissector::new();
    let d = dissector.dissect(&frame);
    for l in &d.layers {
        assert!(l.range.start <= l.range.end && l.range.end <= data.len(), "layer {} range {:?}", l.protocol, l.range);
        for f in &l.fields {
            check_ranges(f, data.len());
        }
    }
    let view = FrameView { number: 1, rel_time: 0.0, orig_len: frame.orig_len, cap_len: data.len(), layers: &d.layers };
    let mut buf = Vec::new();
    netlayers_render::json(&mut buf, &view);
    let line = std::str::from_utf8(&buf).expect("JSON is UTF-8");
    assert!(line.ends_with('\n') && line.matches('\n').count() == 1, "one line per frame");
    for lang in [Lang::En, Lang::Zh] {
        for color in [false, true] {
            buf.clear();
            netlayers_render::table_row(&mut buf, &view, color);
            netlayers_render::tree(&mut buf, &view, data, lang, true, color);
            netlayers_render::hexdump(&mut buf, &view, data, lang, color);
            if !color {
                assert!(!buf.iter().any(|&b| b < 0x20 && b != b'\n'), "raw control byte in plain output");
            }
        }
    }
});
