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
    let mut frame = Frame {
        number: 0,
        ts: Default::default(),
        orig_len: 0,
        data: Vec::new(),
        link: netlayers_core::LinkType::Ethernet,
        interface: 0,
    };
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
