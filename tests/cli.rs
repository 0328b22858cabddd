//! The binary as users meet it: exit codes, bad input, flags, safe printing.

mod common;
use common::*;

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
/// A one-line error on stderr, naming `what`.
fn assert_one_line_error(o: &std::process::Output, what: &str) {
    assert_eq!(o.status.code(), Some(2), "exit code; stderr: {}", stderr(o));
    let e = stderr(o);
    assert_eq!(e.trim_end().lines().count(), 1, "one line expected: {e}");
    assert!(e.contains(what), "stderr should name {what}: {e}");
}

#[test]
fn not_a_capture_names_the_file_and_its_first_bytes() {
    let d = tmpdir("notcap");
    let f = write(&d, "page.html", b"<!DOCTYPE html><html></html>");
    let o = run(&["read", &f]);
    assert_one_line_error(&o, "page.html");
    assert!(stderr(&o).contains("3c 21 44 4f"), "first bytes in hex: {}", stderr(&o));
}

#[test]
fn empty_file_is_a_clear_error() {
    let d = tmpdir("empty");
    let f = write(&d, "empty.pcap", b"");
    let o = run(&["read", &f]);
    assert_one_line_error(&o, "empty.pcap");
    assert!(stderr(&o).to_lowercase().contains("empty"), "{}", stderr(&o));
}

#[test]
fn missing_file_is_a_clear_error() {
    let o = run(&["read", "/nonexistent/x.pcap"]);
    assert_one_line_error(&o, "/nonexistent/x.pcap");
}

#[test]
fn truncated_file_shows_every_complete_frame_then_the_offset() {
    let frames: Vec<Vec<u8>> = (0..5).map(|i| udp_frame(format!("msg {i}").as_bytes())).collect();
    let refs: Vec<&[u8]> = frames.iter().map(|f| f.as_slice()).collect();
    let mut bytes = pcap(1, &refs);
    // Cut the last record in the middle of its data.
    let last_start = bytes.len() - (16 + frames[4].len());
    bytes.truncate(bytes.len() - 10);
    let d = tmpdir("trunc");
    let f = write(&d, "cut.pcap", &bytes);
    let o = run(&["read", "--format", "json", &f]);
    assert_one_line_error(&o, "cut.pcap");
    assert_eq!(stdout(&o).lines().count(), 4, "the 4 complete frames are shown");
    assert!(stderr(&o).contains(&last_start.to_string()), "offset {last_start} named: {}", stderr(&o));
}

#[test]
fn absurd_record_length_is_refused_without_allocating() {
    let mut bytes = pcap(1, &[]);
    bytes.extend_from_slice(&1u32.to_le_bytes());
    bytes.extend_from_slice(&0u32.to_le_bytes());
    bytes.extend_from_slice(&u32::MAX.to_le_bytes());
    bytes.extend_from_slice(&u32::MAX.to_le_bytes());
    bytes.extend_from_slice(&[0u8; 64]);
    let d = tmpdir("absurd");
    let f = write(&d, "huge.pcap", &bytes);
    let o = run(&["read", &f]);
    assert_one_line_error(&o, "huge.pcap");
    assert!(stderr(&o).contains("4294967295"), "{}", stderr(&o));
}

#[test]
fn unknown_link_type_is_named() {
    let d = tmpdir("linktype");
    let frame = udp_frame(b"x");
    let f = write(&d, "user0.pcap", &pcap(147, &[&frame]));
    let o = run(&["read", &f]);
    assert_one_line_error(&o, "147");
}

#[test]
fn bad_pcapng_block_length_is_named() {
    // A valid Section Header Block followed by a block whose length is not a multiple of 4.
    let mut b = Vec::new();
    b.extend_from_slice(&0x0A0D0D0Au32.to_le_bytes());
    b.extend_from_slice(&28u32.to_le_bytes());
    b.extend_from_slice(&0x1A2B3C4Du32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&0u16.to_le_bytes());
    b.extend_from_slice(&(-1i64).to_le_bytes());
    b.extend_from_slice(&28u32.to_le_bytes());
    b.extend_from_slice(&1u32.to_le_bytes()); // IDB
    b.extend_from_slice(&23u32.to_le_bytes()); // bad length
    b.extend_from_slice(&[0u8; 24]);
    let d = tmpdir("pcapng");
    let f = write(&d, "bad.pcapng", &b);
    let o = run(&["read", &f]);
    assert_one_line_error(&o, "bad.pcapng");
    assert!(stderr(&o).contains("28"), "byte offset of the bad block: {}", stderr(&o));
}

#[test]
fn control_characters_from_packets_never_reach_the_terminal() {
    let evil = b"\x1b[2J\x1b]0;pwned\x07hi\r\nthere\x9b\xff";
    let frame = udp_frame(evil);
    let d = tmpdir("escape");
    let f = write(&d, "evil.pcap", &pcap(1, &[&frame]));
    for flags in [&[][..], &["-V"][..], &["-V", "--explain"][..], &["-x"][..], &["-V", "--lang", "zh"][..]] {
        let mut args = vec!["read", "--color", "never", &f];
        args.extend_from_slice(flags);
        let o = run(&args);
        assert_eq!(o.status.code(), Some(0), "{flags:?}: {}", stderr(&o));
        let bad: Vec<u8> = o.stdout.iter().copied().filter(|&b| b < 0x20 && b != b'\n').collect();
        assert!(bad.is_empty(), "{flags:?}: raw control bytes {bad:?} in output");
    }
}

#[test]
fn count_frames_and_stdin() {
    let frames: Vec<Vec<u8>> = (0..6).map(|i| udp_frame(format!("m{i}").as_bytes())).collect();
    let refs: Vec<&[u8]> = frames.iter().map(|f| f.as_slice()).collect();
    let d = tmpdir("count");
    let f = write(&d, "six.pcap", &pcap(1, &refs));
    let json = |o: &std::process::Output| -> Vec<u64> {
        stdout(o)
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json")["frame.number"].as_u64().expect("n"))
            .collect()
    };
    assert_eq!(json(&run(&["read", "--format", "json", "-c", "2", &f])), vec![1, 2]);
    assert_eq!(json(&run(&["read", "--format", "json", "--frames", "2,4-5", &f])), vec![2, 4, 5]);
    assert_eq!(json(&run(&["read", "--format", "json", "-r", &f])).len(), 6);
    let o = run(&["read", "--format", "json", "--frames", "9", &f]);
    assert_eq!(o.status.code(), Some(1), "nothing matched exits 1");
    // `-` reads standard input.
    let o = bin()
        .args(["read", "--format", "json", "-"])
        .stdin(std::fs::File::open(&f).expect("open"))
        .output()
        .expect("run");
    assert_eq!(json(&o).len(), 6);
}

#[test]
fn closed_pipe_exits_quietly() {
    let frames: Vec<Vec<u8>> = (0..20000).map(|i| udp_frame(format!("m{i}").as_bytes())).collect();
    let refs: Vec<&[u8]> = frames.iter().map(|f| f.as_slice()).collect();
    let d = tmpdir("pipe");
    let f = write(&d, "many.pcap", &pcap(1, &refs));
    let script = format!("'{}' read '{}' | head -n 2 >/dev/null; echo ${{PIPESTATUS[0]}}", env!("CARGO_BIN_EXE_netlayers"), f);
    let o = std::process::Command::new("bash").args(["-c", &script]).output().expect("bash");
    assert_eq!(stdout(&o).trim(), "0", "netlayers exit status after head closed the pipe");
    assert!(stderr(&o).is_empty(), "no error printed: {}", stderr(&o));
}

#[test]
fn help_shows_examples_and_completions_work() {
    for args in [&["--help"][..], &["read", "--help"][..]] {
        let o = run(args);
        assert!(o.status.success());
        assert!(stdout(&o).contains("Examples:"), "{args:?}");
    }
    let o = run(&["completions", "bash"]);
    assert!(o.status.success() && stdout(&o).contains("netlayers"));
}

#[test]
fn bad_arguments_exit_2() {
    let o = run(&["read", "x.pcap", "--frames", "5-2"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--frames"), "{}", stderr(&o));
}

/// `-e` writes NDJSON: asked with an explicit table, or with the tree or the hexdump, it is an
/// error naming both (not one of them silently winning); `--format json` with it is fine.
#[test]
fn fields_refuse_the_views_they_cannot_go_with() {
    let dns = capture("dns.pcap");
    for lang in ["en", "zh"] {
        let o = run(&["--lang", lang, "read", &dns, "--format", "table", "-e", "ip.src"]);
        assert_one_line_error(&o, "--format table");
        assert!(stdout(&o).is_empty(), "{}", stdout(&o));
    }
    for view in ["-V", "--explain", "-x"] {
        let o = run(&["read", &dns, view, "-e", "ip.src"]);
        assert_eq!(o.status.code(), Some(2), "{view}: {}", stderr(&o));
        assert!(stderr(&o).contains("--field"), "{view}: {}", stderr(&o));
    }
    let json = run(&["read", &dns, "--format", "json", "-e", "ip.src", "-c", "1"]);
    let plain = run(&["read", &dns, "-e", "ip.src", "-c", "1"]);
    assert_eq!(json.status.code(), Some(0), "{}", stderr(&json));
    assert_eq!(stdout(&json), stdout(&plain));
    assert_eq!(stdout(&plain), "{\"ip.src\":\"10.77.0.1\"}\n");
}
