//! The packet list's Protocol and Info columns against tshark 4.0, frame by frame, on every
//! capture that captures/oracle.py stored an `.info.tsv` for (tshark's own `_ws.col.Protocol`
//! and `_ws.col.Info`, reassembly off as for the NDJSON). The frames go through what `read`
//! does: the dissector (relative sequence numbers, HTTP continuations), stream numbering and
//! the TCP expert, whose findings prefix the Info text (`[TCP Retransmission] …`).

mod common;
use common::*;

use netlayers_analyze::CrossFrame;
use netlayers_capture::FrameSource;
use netlayers_core::Frame;
use netlayers_render::FrameView;
use netlayers_stack::Dissector;

/// Protocol and Info of every frame, as the table shows them.
fn columns(cap: &std::path::Path) -> Vec<(String, String)> {
    let mut src = FrameSource::open(cap).expect("open capture");
    let mut frame = Frame::empty();
    let (mut d, mut cross) = (Dissector::new(), CrossFrame::new());
    let mut out = Vec::new();
    while src.next_into(&mut frame).expect("read frame") {
        let mut x = d.dissect(&frame);
        cross.annotate(&mut x.layers, x.number, x.ts);
        let view = FrameView { number: x.number, rel_time: x.rel_time, orig_len: x.orig_len, cap_len: x.cap_len, layers: &x.layers };
        let proto = view.protocol().into_owned();
        out.push((proto, view.info().into_owned()));
    }
    out
}

/// tshark prints a tab inside a column as `\t`; our columns hold the real characters.
fn tshark_text(s: &str) -> String {
    s.replace("\\t", "\t")
}

/// Our Info text with our escapes undone (`\e`, `\xNN`, `\\`, `\t` …: the bytes from the
/// network), then escaped as tshark 4.0's format_text escapes them: C escapes for BEL BS TAB
/// LF VT FF CR, three octal digits for other control bytes and DEL, a backslash left as it is,
/// U+FFFD for each byte that is not UTF-8. The two tools differ only in how they escape: ours
/// is unambiguous (tshark prints a backslash and the two characters `\t` alike).
fn as_tshark_escapes(ours: &str) -> String {
    let mut bytes = Vec::new();
    let mut it = ours.chars().peekable();
    while let Some(c) = it.next() {
        if c != '\\' {
            let mut b = [0u8; 4];
            bytes.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
            continue;
        }
        match it.next() {
            Some('e') => bytes.push(0x1b),
            Some('t') => bytes.push(b'\t'),
            Some('n') => bytes.push(b'\n'),
            Some('r') => bytes.push(b'\r'),
            Some('0') => bytes.push(0),
            Some('x') => {
                let h: String = [it.next(), it.next()].iter().flatten().collect();
                bytes.push(u8::from_str_radix(&h, 16).expect("\\xNN"));
            }
            Some(other) => {
                let mut b = [0u8; 4];
                bytes.extend_from_slice(other.encode_utf8(&mut b).as_bytes());
            }
            None => bytes.push(b'\\'),
        }
    }
    let mut out = String::new();
    for c in String::from_utf8_lossy(&bytes).chars() {
        match c {
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{b}' => out.push_str("\\v"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\{:03o}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

#[test]
fn protocol_and_info_columns_equal_tsharks() {
    let expected = root().join("captures").join("expected");
    let mut files = Vec::new();
    let mut dirs = vec![expected.clone()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.to_string_lossy().ends_with(".info.tsv") {
                files.push(p);
            }
        }
    }
    files.sort();
    let (mut frames, mut bad) = (0, Vec::new());
    for f in &files {
        let rel = f.strip_prefix(&expected).expect("under expected/").to_string_lossy().trim_end_matches(".info.tsv").to_string();
        let cap = root().join("captures").join(&rel);
        let ours = columns(&cap);
        let text = std::fs::read_to_string(f).expect("info.tsv");
        let rows: Vec<&str> = text.lines().skip(1).filter(|l| !l.is_empty()).collect();
        if rows.len() != ours.len() {
            bad.push(format!("{rel}: tshark has {} frames, we {}", rows.len(), ours.len()));
            continue;
        }
        for (row, (proto, info)) in rows.iter().zip(&ours) {
            let mut c = row.splitn(3, '\t');
            let (n, p, i) = (c.next().unwrap_or(""), c.next().unwrap_or(""), c.next().unwrap_or(""));
            frames += 1;
            // Escapes aside, the same text (see as_tshark_escapes).
            let same = tshark_text(i) == *info || (info.contains('\\') && as_tshark_escapes(info) == i);
            if p != proto || !same {
                bad.push(format!("{rel} #{n}:\n   tshark {p:<8} {i}\n   ours   {proto:<8} {info}"));
            }
        }
    }
    assert!(files.len() >= 40 && frames >= 300, "only {} captures, {frames} frames", files.len());
    assert!(bad.is_empty(), "{} of {frames} frames differ:\n{}", bad.len(), bad.join("\n"));
}
