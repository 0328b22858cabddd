//! Writers: round trips through the reader with exact timestamps, the bytes tools expect, and
//! files that tshark and capinfos open without complaint (when they are installed).

mod common;

use std::io::{BufWriter, Cursor};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::drain;
use netlayers_capture::{FileFormat, FrameSink, FrameSource, PcapNgWriter, PcapWriter, TsPrecision, SNAPLEN};
use netlayers_core::{Frame, LinkType, Timestamp};

fn ts(secs: i64, nanos: u32) -> Timestamp {
    Timestamp { secs, nanos }
}

fn frame(number: u64, ts: Timestamp, data: Vec<u8>, link: LinkType, interface: u32) -> Frame {
    Frame { number, ts, orig_len: data.len() as u32, data, link, interface }
}

fn read_back(bytes: Vec<u8>) -> (FileFormat, Vec<Frame>) {
    let len = bytes.len();
    let src = FrameSource::from_reader("w".into(), Box::new(Cursor::new(bytes))).unwrap();
    let format = src.format();
    let (frames, err) = drain(src, len);
    assert!(err.is_none(), "{err:?}");
    (format, frames)
}

/// A fresh file under the system temp dir, unique per test and process.
fn temp_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("netlayers-capture-{}-{name}", std::process::id()))
}

/// An ARP-sized Ethernet frame whose bytes differ per `seed`.
fn eth(seed: u8, len: usize) -> Vec<u8> {
    (0..len).map(|i| seed.wrapping_add(i as u8)).collect()
}

#[test]
fn pcap_micro_round_trip() {
    let mut w = PcapWriter::new("w", Vec::new(), LinkType::Ethernet, TsPrecision::Micro).unwrap();
    w.write(ts(1_700_000_000, 123_456_789), 60, &eth(1, 60)).unwrap();
    w.write(ts(1_700_000_001, 999_999_999), 1514, &eth(2, 100)).unwrap();
    w.write(ts(0, 0), 0, &[]).unwrap();
    assert_eq!(w.frames(), 3);
    let bytes = w.into_inner();
    assert_eq!(&bytes[..4], &[0xd4, 0xc3, 0xb2, 0xa1]);
    assert_eq!(&bytes[16..24], &[0x00, 0x00, 0x04, 0x00, 0x01, 0x00, 0x00, 0x00], "snaplen 262144, Ethernet");
    let (format, frames) = read_back(bytes);
    assert_eq!(format, FileFormat::Pcap { nanos: false, big_endian: false });
    assert_eq!(frames.len(), 3);
    // Microseconds: the nanoseconds below are cut off, not rounded.
    assert_eq!(frames[0].ts, ts(1_700_000_000, 123_456_000));
    assert_eq!(frames[0].data, eth(1, 60));
    assert_eq!(frames[1].ts, ts(1_700_000_001, 999_999_000));
    assert_eq!((frames[1].orig_len, frames[1].data.len()), (1514, 100));
    assert_eq!(frames[2].ts, ts(0, 0));
}

#[test]
fn pcap_nano_round_trip_is_exact() {
    let mut w = PcapWriter::new("w", Vec::new(), LinkType::RawIp, TsPrecision::Nano).unwrap();
    let times = [ts(1_700_000_000, 1), ts(1_700_000_000, 999_999_999), ts(u32::MAX as i64, 500)];
    for (i, t) in times.iter().enumerate() {
        w.write_frame(&frame(i as u64 + 1, *t, eth(i as u8, 20 + i), LinkType::RawIp, 0)).unwrap();
    }
    let (format, frames) = read_back(w.into_inner());
    assert_eq!(format, FileFormat::Pcap { nanos: true, big_endian: false });
    assert_eq!(frames.iter().map(|f| f.ts).collect::<Vec<_>>(), times);
    assert!(frames.iter().all(|f| f.link == LinkType::RawIp));
}

#[test]
fn pcap_refuses_what_it_cannot_store() {
    let mut w = PcapWriter::new("out.pcap", Vec::new(), LinkType::Ethernet, TsPrecision::Micro).unwrap();
    w.write(ts(1, 0), 1, &[1]).unwrap();
    assert_eq!(
        w.write(ts(-1, 0), 1, &[1]).unwrap_err().to_string(),
        "out.pcap: cannot write frame 2: its time -1.000000000 s is outside what pcap can store (1970 to 2106)"
    );
    assert_eq!(
        w.write_frame(&frame(2, ts(1, 0), vec![1], LinkType::LinuxSll, 0)).unwrap_err().to_string(),
        "out.pcap: cannot write frame 2: its link type is Linux cooked (SLL) (113) but a pcap file holds one link type, here Ethernet (1): write pcapng instead"
    );
    assert_eq!(w.frames(), 1);
}

#[test]
fn long_frames_are_cut_to_the_snaplen() {
    let big = vec![7u8; SNAPLEN as usize + 10];
    let mut w = PcapWriter::new("w", Vec::new(), LinkType::Ethernet, TsPrecision::Micro).unwrap();
    w.write(ts(1, 0), 5, &big).unwrap();
    let (_, frames) = read_back(w.into_inner());
    assert_eq!(frames[0].data.len(), SNAPLEN as usize);
    assert_eq!(frames[0].orig_len, SNAPLEN, "orig_len is raised to at least the captured length");
}

fn multi_interface() -> Vec<u8> {
    let mut w = PcapNgWriter::new("w", Vec::new()).unwrap();
    assert_eq!(w.add_interface(LinkType::Ethernet, "h1-eth0", Some("h1 <-> s1")).unwrap(), 0);
    assert_eq!(w.add_interface(LinkType::RawIp, "tun0", None).unwrap(), 1);
    w.write(1, ts(1_700_000_000, 123_456_789), 40, &eth(9, 40)).unwrap();
    w.write(0, ts(1_700_000_000, 123_456_790), 61, &eth(3, 61)).unwrap();
    assert_eq!(w.add_interface(LinkType::Ethernet, "", None).unwrap(), 2);
    w.write_frame(&frame(3, ts(1_800_000_000, 0), eth(5, 3), LinkType::Ethernet, 2)).unwrap();
    assert_eq!(w.interfaces(), [LinkType::Ethernet, LinkType::RawIp, LinkType::Ethernet]);
    w.into_inner()
}

#[test]
fn pcapng_multi_interface_round_trip_is_exact() {
    let bytes = multi_interface();
    let mut src = FrameSource::from_reader("w".into(), Box::new(Cursor::new(bytes.clone()))).unwrap();
    assert_eq!(src.format(), FileFormat::PcapNg);
    let first = src.next_frame().unwrap().unwrap();
    assert_eq!(src.interfaces()[0].name.as_deref(), Some("h1-eth0"));
    assert_eq!(src.interfaces()[0].description.as_deref(), Some("h1 <-> s1"));
    assert_eq!(src.interfaces()[1].name.as_deref(), Some("tun0"));
    assert_eq!(src.interfaces()[1].description, None);
    assert!(src.interfaces().iter().all(|i| i.tsresol == 9 && i.snaplen == SNAPLEN));
    assert_eq!(first, frame(1, ts(1_700_000_000, 123_456_789), eth(9, 40), LinkType::RawIp, 1));
    let (_, frames) = read_back(bytes);
    assert_eq!(frames[1], frame(2, ts(1_700_000_000, 123_456_790), eth(3, 61), LinkType::Ethernet, 0));
    assert_eq!(frames[2], frame(3, ts(1_800_000_000, 0), eth(5, 3), LinkType::Ethernet, 2));
    assert_eq!(frames.len(), 3);
}

#[test]
fn pcapng_refuses_what_it_cannot_store() {
    let mut w = PcapNgWriter::new("out.pcapng", Vec::new()).unwrap();
    assert_eq!(
        w.write(0, ts(1, 0), 1, &[1]).unwrap_err().to_string(),
        "out.pcapng: cannot write frame 1: interface 0 was never added (this file has 0)"
    );
    w.add_interface(LinkType::Ethernet, "a", None).unwrap();
    assert_eq!(
        w.write(0, ts(-1, 0), 1, &[1]).unwrap_err().to_string(),
        "out.pcapng: cannot write frame 1: its time -1.000000000 s is outside what pcapng nanoseconds can store (1970 to 2554)"
    );
    assert_eq!(
        w.write_frame(&frame(1, ts(1, 0), vec![1], LinkType::RawIp, 0)).unwrap_err().to_string(),
        "out.pcapng: cannot write frame 1: its link type is Raw IP (101) but interface 0 is Ethernet (1)"
    );
    assert!(w.add_interface(LinkType::Other(70000), "x", None).is_err());
    assert_eq!(w.frames(), 0);
}

/// The writer flushes after each frame: the file on disk is complete while the writer (with a
/// buffer in front of the file) is still open, as after a capture killed between two frames.
#[test]
fn file_is_complete_after_every_frame() {
    for ng in [false, true] {
        let path = temp_path(if ng { "flush.pcapng" } else { "flush.pcap" });
        let file = BufWriter::with_capacity(1 << 20, std::fs::File::create(&path).unwrap());
        let mut sink: Box<dyn FrameSink> = if ng {
            let mut w = PcapNgWriter::new("f", file).unwrap();
            w.add_interface(LinkType::Ethernet, "lo", None).unwrap();
            Box::new(w)
        } else {
            Box::new(PcapWriter::new("f", file, LinkType::Ethernet, TsPrecision::Nano).unwrap())
        };
        for n in 1..=3u64 {
            sink.write_frame(&frame(n, ts(n as i64, 0), eth(n as u8, 50), LinkType::Ethernet, 0)).unwrap();
            let (_, frames) = read_back(std::fs::read(&path).unwrap());
            assert_eq!(frames.len() as u64, n);
        }
        drop(sink);
        std::fs::remove_file(&path).unwrap();
    }
}

fn have(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok_and(|o| o.status.success())
}

/// `tshark -r` reads the file with exit 0 and no warning; returns its per-frame fields.
fn tshark_fields(path: &Path) -> String {
    let out = Command::new("tshark")
        .args(["-r"])
        .arg(path)
        .args(["-T", "fields", "-e", "frame.time_epoch", "-e", "frame.len", "-e", "frame.cap_len", "-e", "frame.interface_id"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "tshark failed on {}: {stderr}", path.display());
    let complaints: Vec<&str> = stderr.lines().filter(|l| !l.contains("Running as user \"root\"")).collect();
    assert!(complaints.is_empty(), "tshark complained: {complaints:?}");
    String::from_utf8(out.stdout).unwrap()
}

fn capinfos(path: &Path) -> String {
    let out = Command::new("capinfos").args(["-c", "-t", "-T", "-r"]).arg(path).output().unwrap();
    assert!(out.status.success(), "capinfos failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn tshark_and_capinfos_read_our_files() {
    if !have("tshark") || !have("capinfos") {
        // CI installs them (.ci/run): there a missing tool is a failure, never a silent skip.
        assert!(std::env::var("CI").is_err(), "tshark and capinfos are required when CI=true");
        eprintln!("tshark or capinfos not installed: skipping the check against Wireshark");
        return;
    }
    let pcap = temp_path("ours.pcap");
    let mut w = PcapWriter::create(&pcap, LinkType::Ethernet, TsPrecision::Micro).unwrap();
    w.write(ts(1_700_000_000, 123_456_789), 60, &eth(1, 60)).unwrap();
    w.write(ts(1_700_000_002, 5_000), 1514, &eth(2, 100)).unwrap();
    drop(w);
    assert_eq!(tshark_fields(&pcap), "1700000000.123456000\t60\t60\t\n1700000002.000005000\t1514\t100\t\n");
    assert_eq!(capinfos(&pcap).trim_end().split('\t').skip(1).collect::<Vec<_>>(), ["pcap", "2"]);

    let pcap_ns = temp_path("ours-ns.pcap");
    let mut w = PcapWriter::create(&pcap_ns, LinkType::RawIp, TsPrecision::Nano).unwrap();
    w.write(ts(1_700_000_000, 123_456_789), 28, &eth(1, 28)).unwrap();
    drop(w);
    assert_eq!(tshark_fields(&pcap_ns), "1700000000.123456789\t28\t28\t\n");
    assert_eq!(
        capinfos(&pcap_ns).trim_end().split('\t').skip(1).collect::<Vec<_>>(),
        ["nsecpcap", "1"]
    );

    let ng = temp_path("ours.pcapng");
    std::fs::write(&ng, multi_interface()).unwrap();
    assert_eq!(
        tshark_fields(&ng),
        "1700000000.123456789\t40\t40\t1\n1700000000.123456790\t61\t61\t0\n1800000000.000000000\t3\t3\t2\n"
    );
    assert_eq!(capinfos(&ng).trim_end().split('\t').skip(1).collect::<Vec<_>>(), ["pcapng", "3"]);
    let names = Command::new("tshark").arg("-r").arg(&ng).args(["-T", "fields", "-e", "frame.interface_name", "-e", "frame.interface_description"]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&names.stdout), "tun0\t\nh1-eth0\th1 <-> s1\nunknown\t\n");
    for p in [pcap, pcap_ns, ng] {
        std::fs::remove_file(p).unwrap();
    }
}
