//! Helpers for the end-to-end tests: run the binary, build small pcap files byte by byte.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_netlayers"));
    // Tests must not depend on the developer's locale or colour settings.
    c.env_remove("LANG").env_remove("LC_ALL").env_remove("LC_MESSAGES").env_remove("NO_COLOR");
    c.stdin(Stdio::null());
    c
}

pub fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run netlayers")
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn capture(rel: &str) -> String {
    root().join("captures").join(rel).display().to_string()
}

/// Every capture file under captures/ (pcap and pcapng, in subfolders too, not the oracle's
/// expected/), sorted.
pub fn all_captures() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                if p.file_name().is_some_and(|n| n != "expected") {
                    walk(&p, out);
                }
            } else if p.extension().is_some_and(|x| x == "pcap" || x == "pcapng") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(&root().join("captures"), &mut out);
    out.sort();
    out
}

/// A fresh temporary directory for one test (removed by the OS eventually; names are unique).
pub fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("netlayers-test-{}-{}", name, std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("tmpdir");
    d
}

pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write");
    p.display().to_string()
}

/// A classic little-endian microsecond pcap holding `frames` with the given link type.
pub fn pcap(linktype: u32, frames: &[&[u8]]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&0xa1b2c3d4u32.to_le_bytes());
    v.extend_from_slice(&2u16.to_le_bytes());
    v.extend_from_slice(&4u16.to_le_bytes());
    v.extend_from_slice(&0i32.to_le_bytes());
    v.extend_from_slice(&0u32.to_le_bytes());
    v.extend_from_slice(&65535u32.to_le_bytes());
    v.extend_from_slice(&linktype.to_le_bytes());
    for (i, f) in frames.iter().enumerate() {
        v.extend_from_slice(&(1_700_000_000u32 + i as u32).to_le_bytes());
        v.extend_from_slice(&(i as u32 * 1000).to_le_bytes());
        v.extend_from_slice(&(f.len() as u32).to_le_bytes());
        v.extend_from_slice(&(f.len() as u32).to_le_bytes());
        v.extend_from_slice(f);
    }
    v
}

/// An Ethernet/IPv4/UDP frame from 10.0.0.1:5000 to 10.0.0.2:8081 carrying `payload`, with
/// correct lengths and IP checksum (UDP checksum 0: not computed, legal over IPv4).
pub fn udp_frame(payload: &[u8]) -> Vec<u8> {
    let mut f = vec![0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00];
    let total = 20 + 8 + payload.len();
    let mut ip = vec![0x45, 0, (total >> 8) as u8, total as u8, 0, 1, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
    let c = netlayers_core::checksum::internet(&ip);
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    f.extend_from_slice(&ip);
    let ulen = 8 + payload.len();
    f.extend_from_slice(&[0x13, 0x88, 0x1f, 0x91, (ulen >> 8) as u8, ulen as u8, 0, 0]);
    f.extend_from_slice(payload);
    f
}

/// How `got` differs from the golden file `file` (shown as `name`): the first line that
/// differs, or that the file is missing; `None` when they are the same.
pub fn golden_difference(file: &Path, name: &str, got: &str) -> Option<String> {
    match std::fs::read_to_string(file) {
        Ok(want) if want == got => None,
        Ok(want) => {
            let line = want.lines().zip(got.lines()).position(|(a, b)| a != b).unwrap_or(0);
            Some(format!(
                "{name}: differs first at line {}:\n  golden: {}\n  now:    {}",
                line + 1,
                want.lines().nth(line).unwrap_or("<end>"),
                got.lines().nth(line).unwrap_or("<end>")
            ))
        }
        Err(_) => Some(format!("{name}: golden file missing (run with UPDATE_GOLDEN=1 and review)")),
    }
}
