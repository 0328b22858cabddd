//! The progress bar of long reads: drawn on stderr when it is a terminal (here a pseudo-terminal
//! made by util-linux `script`), never when stderr is a pipe.

mod common;
use common::*;

use std::process::Command;

/// A capture above the bar's threshold (32 MiB): 36,000 UDP datagrams of 1,000 bytes.
fn big_capture(dir: &std::path::Path) -> String {
    let frame = udp_frame(&[0x61; 1000]);
    let frames: Vec<&[u8]> = std::iter::repeat_n(frame.as_slice(), 36_000).collect();
    write(dir, "big.pcap", &pcap(1, &frames))
}

#[test]
fn a_bar_on_a_terminal_and_nothing_in_a_pipe() {
    let dir = tmpdir("progress");
    let cap = big_capture(&dir);
    let nl = env!("CARGO_BIN_EXE_netlayers");

    // stderr a pipe: not one byte of bar, for read (output redirected) and stats.
    for args in [vec!["read", cap.as_str()], vec!["stats", cap.as_str()]] {
        let out = run(&args);
        assert!(out.status.success(), "{args:?}");
        assert!(out.stderr.is_empty(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }

    if Command::new("script").arg("--version").output().is_err() {
        assert!(std::env::var_os("CI").is_none(), "util-linux `script` is needed in CI");
        eprintln!("skipping the terminal half: no `script` here");
        return;
    }
    // On a terminal, with the rows sent to a file: the bar is drawn (its total in MiB), then
    // cleared; the rows are all there.
    let rows = dir.join("rows.txt");
    let cmd = format!("{nl} read {cap} > {}", rows.display());
    let out = Command::new("script").args(["-qec", &cmd, "/dev/null"]).output().expect("run script");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let tty = String::from_utf8_lossy(&out.stdout);
    assert!(tty.contains("MiB"), "a bar with the file's size: {tty:?}");
    assert!(tty.contains("\x1b[2K"), "the bar is cleared at the end");
    let listed = std::fs::read_to_string(&rows).expect("rows");
    assert_eq!(listed.lines().count(), 36_001, "heading and every frame");

    // Rows going to the same terminal: no bar among them.
    let cmd = format!("{nl} read -c 3 {cap}");
    let out = Command::new("script").args(["-qec", &cmd, "/dev/null"]).output().expect("run script");
    let tty = String::from_utf8_lossy(&out.stdout);
    assert!(!tty.contains("MiB"), "no bar between rows on the terminal: {tty:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
