//! `netlayers follow` against tshark 4.0: for every TCP stream of the sample captures (and the UDP
//! streams of dns.pcap) the ascii, hex and raw outputs must equal what `tshark -q -z follow,…`
//! printed (stored by captures/follow.sh in captures/expected/follow/, so no tshark is needed).
//! The crafted capture has an exact retransmission, a partly overlapping one with new bytes, and
//! out-of-order segments both ways. Also the flow diagram's golden files.

mod common;
use common::*;

use netlayers_analyze::follow::{FollowFormat, Follower};
use netlayers_analyze::Conversations;
use netlayers_capture::FrameSource;
use netlayers_core::Frame;
use netlayers_stack::Dissector;

/// Every frame of a capture, decoded and numbered into streams.
fn frames(cap: &str) -> Vec<(netlayers_stack::Dissection, Vec<u8>)> {
    let mut src = FrameSource::open(std::path::Path::new(&capture(cap))).expect("open capture");
    let mut frame = Frame::empty();
    let mut d = Dissector::new();
    let mut conv = Conversations::new();
    let mut all = Vec::new();
    while src.next_into(&mut frame).expect("read frame") {
        let mut x = d.dissect(&frame);
        conv.annotate(&mut x.layers);
        all.push((x, frame.data.clone()));
    }
    all
}

fn follow(cap: &str, tcp: bool, stream: u64, format: FollowFormat) -> Vec<u8> {
    let mut f = Follower::new(tcp, stream, format);
    let mut out = Vec::new();
    for (d, data) in frames(cap) {
        f.frame(&d.layers, &data, &mut out);
    }
    f.finish(&mut out);
    out
}

#[test]
fn follow_equals_tshark_for_every_stored_stream() {
    let dir = root().join("captures").join("expected").join("follow");
    let mut checked = 0;
    let mut failures = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(&dir).expect("captures/expected/follow").flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        // <capture>.<tcp|udp>.<N>.<format>.txt
        let parts: Vec<&str> = name.rsplitn(5, '.').collect();
        let [_, fmt, n, proto, cap] = parts[..] else { panic!("unexpected file {name}") };
        let cap = if cap.starts_with("tcp-retrans-ooo") { format!("crafted/{cap}") } else { cap.to_string() };
        let format = match fmt {
            "ascii" => FollowFormat::Ascii,
            "hex" => FollowFormat::Hex,
            "raw" => FollowFormat::Raw,
            _ => panic!("format {fmt}"),
        };
        let want = std::fs::read(e.path()).expect("read expected");
        let got = follow(&cap, proto == "tcp", n.parse().expect("stream number"), format);
        checked += 1;
        if got != want {
            failures.push(format!(
                "{name}:\n--- tshark\n{}\n--- ours\n{}",
                String::from_utf8_lossy(&want),
                String::from_utf8_lossy(&got)
            ));
        }
    }
    assert!(checked >= 39, "only {checked} expected files");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_crafted_stream_holds_each_byte_once_in_order() {
    let out = String::from_utf8(follow("crafted/tcp-retrans-ooo.pcap", true, 0, FollowFormat::Ascii)).unwrap();
    let client: String = out.lines().filter(|l| !l.starts_with('\t')).collect::<Vec<_>>().join("|");
    assert!(client.contains("hello |6|world||6|again"), "{out}");
    assert!(out.contains("\t5\nbye\r\n\n\t5\nmore \n\t5\ntail\n"), "{out}");
}

#[test]
fn a_stream_that_does_not_exist_prints_empty_nodes() {
    let out = String::from_utf8(follow("http.pcap", true, 99, FollowFormat::Ascii)).unwrap();
    assert!(out.contains("Filter: tcp.stream eq 99\nNode 0: :0\nNode 1: :0\n"), "{out}");
}

/// The flow diagram as `netlayers flow --color never` draws it: every frame with IP (of stream
/// `stream` when given), lanes in order of appearance.
fn flow(cap: &str, stream: Option<u64>) -> String {
    let mut events = Vec::new();
    for (d, _) in frames(cap) {
        if let Some(n) = stream {
            let s = d.layers.iter().filter(|l| l.depth == 0).find_map(|l| l.find("tcp.stream")).and_then(|f| f.value.as_u64());
            if s != Some(n) {
                continue;
            }
        }
        let view = netlayers_render::FrameView {
            number: d.number,
            rel_time: d.rel_time,
            orig_len: d.orig_len,
            cap_len: d.cap_len,
            layers: &d.layers,
        };
        events.extend(netlayers_render::flow_event(&view));
    }
    let mut buf = Vec::new();
    let lanes = netlayers_render::flow_endpoints(&events);
    netlayers_render::flow_diagram(&mut buf, &lanes, &events, netlayers_core::Lang::En, false);
    String::from_utf8(buf).expect("UTF-8")
}

/// Golden files of the drawing (review a change, then `UPDATE_GOLDEN=1 cargo test --test follow`).
#[test]
fn flow_diagrams_match_their_goldens() {
    let dir = root().join("tests").join("golden");
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    for (name, cap, stream) in [("flow.http-0.txt", "http.pcap", Some(0)), ("flow.chat-886.txt", "chat-886.pcap", None)] {
        let got = flow(cap, stream);
        for l in got.lines() {
            assert!(l.chars().count() <= 100, "{name}: wider than 100 columns: {l}");
        }
        let file = dir.join(name);
        if update {
            std::fs::write(&file, &got).expect("write golden");
            continue;
        }
        let want = std::fs::read_to_string(&file).unwrap_or_default();
        assert_eq!(got, want, "{name} differs from its golden (UPDATE_GOLDEN=1 after review)");
    }
    let http = flow("http.pcap", Some(0));
    assert!(http.contains(" [SYN] Seq=0 Len=0 ") && http.contains("[FIN, ACK]"), "{http}");
}
