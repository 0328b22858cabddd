//! `netlayers sim FILE.toml`: a scenario file runs exactly like a built-in scenario, writes a
//! capture tshark accepts, and every mistake in it is one line naming the file, line and column.

mod common;

use std::process::Command;

use common::{root, run, tmpdir};

fn example(name: &str) -> String {
    root().join("docs").join("scenarios").join(name).display().to_string()
}

/// Runs `sim` with `args` and `-w`, returns the output (the capture's path replaced) and the capture.
fn sim(dir: &std::path::Path, tag: &str, args: &[&str]) -> (String, Vec<u8>) {
    let p = dir.join(format!("{tag}.pcapng")).display().to_string();
    let mut all = vec!["--color", "never", "sim"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["-w", &p]);
    let o = run(&all);
    assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    (String::from_utf8(o.stdout).unwrap().replace(&p, "FILE.pcapng"), std::fs::read(&p).unwrap())
}

/// docs/scenarios/chat.toml, udp-chat.toml, arp.toml, route.toml, ipv6.toml and route6.toml are built-in scenarios written as files.
#[test]
fn the_example_files_play_exactly_the_built_in_scenarios() {
    let d = tmpdir("simfile-builtin");
    // (global options, sim options)
    let cases: &[(&[&str], &[&str])] = &[
        (&[], &[]), (&[], &["--loss", "0.2", "--seed", "8"]), (&["--lang", "zh"], &[]), (&[], &["--delay", "3", "--seed", "4"]),
        (&[], &["--dup", "0.2", "--reorder", "0.2", "--corrupt", "0.1", "--seed", "5"]),
    ];
    for ((global, opts), name) in cases.iter().flat_map(|c| ["chat", "udp-chat", "arp", "route", "ipv6", "route6"].map(|n| (c, n))) {
        let file = example(&format!("{name}.toml"));
        let run_one = |scenario: &str, tag: &str| {
            let p = d.join(format!("{tag}.pcapng")).display().to_string();
            let mut all = vec!["--color", "never"];
            all.extend_from_slice(global);
            all.extend_from_slice(&["sim", scenario]);
            all.extend_from_slice(opts);
            all.extend_from_slice(&["-w", &p]);
            let o = run(&all);
            assert!(o.status.success(), "{all:?}: {}", String::from_utf8_lossy(&o.stderr));
            (String::from_utf8(o.stdout).unwrap().replace(&p, "FILE.pcapng"), std::fs::read(&p).unwrap())
        };
        let (builtin_out, builtin_pcap) = run_one(name, "builtin");
        let (file_out, file_pcap) = run_one(&file, "file");
        assert_eq!(file_out, builtin_out, "{name} {global:?} {opts:?}");
        assert_eq!(file_pcap, builtin_pcap, "{name} {global:?} {opts:?}");
    }
}

#[test]
fn a_teachers_file_with_a_switch_runs_and_tshark_reads_its_capture() {
    let d = tmpdir("simfile-lab");
    let file = example("lab-switch.toml");
    let (out, a) = sim(&d, "a", &[&file]);
    let (_, b) = sim(&d, "b", &[&file]);
    assert_eq!(a, b, "the same seed writes the same bytes");
    // The file's seed (3) is used unless --seed is given; its lossy cable loses a frame.
    assert!(out.contains("seed 3\n") && out.contains("(1 lost)"), "{out}");
    assert!(out.contains("switch     Link        learned 02:00:00:00:b0:b0 on port 3"), "the switch and bob's own MAC: {out}");
    assert!(out.contains("answer: recvfrom(1024) = (\"what is the answer?\"") && out.contains("alice: recvfrom(1024) = (\"42\""), "{out}");
    assert!(out.contains("inbox: recv() reached the end of the stream: 162 bytes in all"), "{out}");
    let (out2, c) = sim(&d, "c", &[&file, "--seed", "2"]);
    assert_ne!(a, c, "--seed overrides the file's seed");
    assert!(out2.contains("seed 2\n"), "{out2}");
    // --loss replaces every link's loss, the file's 0.1 included.
    let (clean, _) = sim(&d, "d", &[&file, "--loss", "0"]);
    assert!(clean.contains("(0 lost)"), "{clean}");

    let p = d.join("a.pcapng").display().to_string();
    let frames: usize = out.lines().find(|l| l.contains("frames crossed")).and_then(|l| l.split(' ').next()).unwrap().parse().unwrap();
    let o = run(&["read", &p, "--format", "json"]);
    assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), frames);
    if !Command::new("tshark").arg("--version").output().is_ok_and(|o| o.status.success()) {
        assert!(std::env::var("CI").is_err(), "tshark is required in CI");
        return;
    }
    let o = Command::new("tshark")
        .args(["-r", &p, "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE"])
        .args(["-Y", "_ws.malformed || _ws.expert.severity >= error"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "");
    let o = Command::new("tshark").args(["-r", &p]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), frames);
}

#[test]
fn a_teachers_router_file_fragments_routes_and_takes_the_faults_of_its_uplink() {
    let d = tmpdir("simfile-router");
    let file = example("lab-router.toml");
    let (out, _) = sim(&d, "r", &[&file]);
    // The uplink's mtu = 576 reaches the router's interface; its faults come from the file.
    for want in [
        "1228 bytes are more than the MTU 576 of if 1: split into 3 fragments",
        "reassembled from 3 fragments: 1208 bytes of payload",
        "route default via 10.1.0.1",
        "TTL 1 → 0: packet 10.1.0.10 → 203.0.113.80 dropped",
        "tcp: recv(1024) = \"part 1 of the upload. part 2 of the uplo…\"",
        "(seeded duplication, p = 0.1)",
        "(seeded reordering, p = 0.2)",
    ] {
        assert!(out.contains(want), "{want}\n{out}");
    }
    // --dup 0 --reorder 0 replace the file's faults on every link.
    let (clean, _) = sim(&d, "c", &[&file, "--dup", "0", "--reorder", "0"]);
    assert!(!clean.contains("seeded duplication") && !clean.contains("seeded reordering"), "{clean}");
    let o = run(&["sim", &file, "--mtu", "300"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--mtu is the fragment scenario's"));
}

/// Two hosts, lines 1 to 6; each case's text starts at line 7.
const HOSTS: &str = "[[host]]\nname = \"a\"\nip = \"10.0.0.1/24\"\n[[host]]\nname = \"b\"\nip = \"10.0.0.2/24\"\n";

#[test]
fn every_mistake_is_one_line_with_the_file_line_and_column() {
    let cases: &[(&str, &str, &str)] = &[
        // The string on line 8 is never closed: the closing quote is missing at its end.
        ("[[host]]\nname = \"c\n", "8:10", "TOML syntax: invalid basic string, expected `\"`"),
        ("[[link]]\nbetween = [\"a\", \"b\"]\ndupe = 0.1\n", "9:1", "unknown key `dupe` in [[link]] (the keys are `between`"),
        ("[[link]]\nbetween = [\"a\", \"c\"]\n", "8:17", "no host, switch or router is named `c` (there are: a, b)"),
        ("[[switch]]\nname = \"a\"\nports = 2\n", "8:8", "the name `a` is already used at line 2"),
        ("[[host]]\nname = \"c\"\nip = \"10.0.0.3\"\n", "9:6", "`10.0.0.3`: an address needs its prefix length"),
        ("[[host]]\nname = \"c\"\nip = \"10.0.0.1/24\"\n", "9:6", "the MAC 02:00:0a:00:00:01 is also `a`'s (line 2)"),
        ("[[app]]\nhost = \"z\"\nsteps = [\"sleep(1)\"]\n", "8:8", "no host is named `z` (there are: a, b)"),
        (
            "[[app]]\nhost = \"a\"\nsteps = [\n  \"s = socket(AF_INET, SOCK_STREAM)\",\n  \"s.send('hi')\",\n]\n",
            "11:6",
            "in step `s.send('hi')`: send() needs a connected socket (connect() or accept() first), and `s` is a new SOCK_STREAM socket here",
        ),
        ("[[app]]\nhost = \"a\"\nsteps = [\"s.close()\"]\n", "9:11", "`s` is not a socket yet"),
        ("[[link]]\nbetween = [\"a\", \"b\"]\nloss = 1.5\n", "9:8", "`loss` is a probability from 0 to 1 (0.2 = 20%), not 1.5"),
        ("[[link]]\nbetween = [\"a\", \"b\"]\nreorder = -0.1\n", "9:11", "`reorder` is a probability from 0 to 1 (0.2 = 20%), not -0.1"),
        ("[[link]]\nbetween = [\"a\", \"b\"]\nmtu = 40\n", "9:7", "an MTU is 68 to 9000 bytes, not 40"),
        ("[[link]]\nbetween = [\"a\", \"b\"]\ndelay = \"5\"\n", "9:9", "`5` is not a duration"),
        ("[[switch]]\nname = \"sw\"\nports = \"four\"\n", "9:9", "in [[switch]]: invalid type: string \"four\", expected a whole number"),
        ("[[switch]]\nname = \"sw\"\nports = 2\n[[link]]\nbetween = [\"a\", \"sw:2\"]\n", "11:17", "`sw` has ports 0 to 1"),
        (
            "[[switch]]\nname = \"sw\"\nports = 2\n[[link]]\nbetween = [\"a\", \"sw\"]\n[[link]]\nbetween = [\"sw\", \"a:0\"]\n",
            "13:18",
            "port 0 of `a` is already connected",
        ),
        ("[[app]]\nhost = \"a\"\n", "7:1", "[[app]] needs the key `steps`"),
        ("[[router]]\nname = \"r1\"\n", "7:1", "[[router]] needs the key `interfaces`"),
        // Routers: next hops must be neighbours, networks written as networks, MTUs agree.
        (
            "[[router]]\nname = \"r\"\ninterfaces = [{ ip = \"10.0.0.254/24\" }]\nroutes = [{ to = \"10.0.2.0/24\", via = \"10.0.9.1\" }]\n",
            "10:39",
            "10.0.9.1 is on none of `r`'s networks (10.0.0.0/24): a next hop must be a neighbour",
        ),
        (
            "[[router]]\nname = \"r\"\ninterfaces = [{ ip = \"10.0.0.254/24\" }]\nroutes = [{ to = \"10.0.2.1/24\", via = \"10.0.0.1\" }]\n",
            "10:18",
            "`10.0.2.1/24` has host bits set: the network is 10.0.2.0/24",
        ),
        (
            "[[router]]\nname = \"r\"\ninterfaces = [{ ip = \"10.0.0.254/24\", mtu = 1500 }]\n[[link]]\nbetween = [\"a\", \"r\"]\nmtu = 576\n",
            "12:7",
            "`r`'s interface on this link has mtu = 1500 already",
        ),
        ("[[host]]\nname = \"c\"\nip = \"10.0.1.3/24\"\ngateway = \"10.0.0.254\"\n", "10:11", "10.0.0.254 is on none of `c`'s networks (10.0.1.0/24)"),
        (
            "[[router]]\nname = \"r\"\ninterfaces = [{ ip = \"10.0.0.254/24\" }]\n[[app]]\nhost = \"r\"\nsteps = [\"sleep(1)\"]\n",
            "11:8",
            "`r` is not a host: only hosts run programs",
        ),
        ("[[hosts]]\nname = \"c\"\n", "7:3", "unknown table [[hosts]] (the tables are `scenario`, `host`, `switch`"),
        // IPv6: addresses with their prefix, not link-local; each socket takes its family's addresses.
        ("[[host]]\nname = \"c\"\nip = \"10.0.0.3/24\"\nip6 = \"fd00::3\"\n", "10:7", "`fd00::3`: an IPv6 address needs its prefix length"),
        ("[[host]]\nname = \"c\"\nip = \"10.0.0.3/24\"\nip6 = \"fe80::3/64\"\n", "10:7", "a link-local fe80:: address is made from the MAC already"),
        (
            "[[app]]\nhost = \"a\"\nsteps = [\"u = socket(AF_INET6, SOCK_DGRAM)\", \"u.sendto('x', ('10.0.0.2', 9))\"]\n",
            "9:62",
            "in step `u.sendto('x', ('10.0.0.2', 9))`: 10.0.0.2 is an IPv4 address: an AF_INET6 socket (or ping6()) takes an IPv6 one",
        ),
        ("[[app]]\nhost = \"a\"\nsteps = [\"ping('fd00:1::2')\"]\n", "9:16", "fd00:1::2 is an IPv6 address: it needs an AF_INET6 socket (or ping6())"),
        (
            "[[router]]\nname = \"r\"\ninterfaces = [{ ip = \"10.0.0.254/24\", ip6 = \"fd00:1::fe/64\" }]\nroutes = [{ to = \"fd00:2::/64\", via = \"fd00:9::1\" }]\n",
            "10:39",
            "fd00:9::1 is in none of `r`'s IPv6 prefixes (`ip6`): a next hop must be a neighbour",
        ),
        (
            "[[app]]\nhost = \"a\"\nsteps = [\"s = socket(AF_INET6, SOCK_STREAM)\", \"s.bind(('fd00:1::1', 80))\"]\n",
            "9:56",
            "this host has no `ip6`: bind an AF_INET6 socket to '' or '::'",
        ),
    ];
    let d = tmpdir("simfile-errors");
    for (i, (tail, at, msg)) in cases.iter().enumerate() {
        let p = d.join(format!("case{i}.toml"));
        std::fs::write(&p, format!("{HOSTS}{tail}")).unwrap();
        let p = p.display().to_string();
        let o = run(&["sim", &p]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "case {i}: {err}");
        assert_eq!(err.lines().count(), 1, "case {i}: {err}");
        let want = format!("netlayers: {p}:{at}");
        assert!(err.starts_with(&want), "case {i}: want {want}…, got {err}");
        assert!(err.contains(msg), "case {i}: want {msg:?}, got {err}");
    }
    // In Chinese too.
    let p = d.join("case7.toml").display().to_string();
    let o = run(&["--lang", "zh", "sim", &p]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains(":11:6: 步骤 `s.send('hi')` 有误:send() 需要已连接的套接字"), "{err}");
    let p = d.join("case27.toml").display().to_string();
    let o = run(&["--lang", "zh", "sim", &p]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains(":9:16: 步骤 `ping('fd00:1::2')` 有误:fd00:1::2 是 IPv6 地址:要用 AF_INET6 套接字(或 ping6())"), "{err}");
    let o = run(&["sim", &d.join("nosuch.toml").display().to_string()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("nosuch.toml: cannot read the scenario file"));
}

/// Any damage to a good file is an error or a valid scenario, never a panic.
#[test]
fn a_damaged_file_never_panics() {
    use netlayers_sim::file::ScenarioFile;
    for name in ["lab-switch.toml", "lab-router.toml"] {
        let src = std::fs::read_to_string(example(name)).unwrap();
        for (cut, _) in src.char_indices() {
            let _ = ScenarioFile::parse("t.toml", "t", &src[..cut]);
        }
        for (i, line) in src.lines().enumerate() {
            let without: Vec<&str> = src.lines().enumerate().filter(|(j, _)| *j != i).map(|(_, l)| l).collect();
            let _ = ScenarioFile::parse("t.toml", "t", &without.join("\n"));
            // A doubled line is a duplicate key, node or step; whatever parses must also run.
            let doubled = src.replacen(line, &format!("{line}\n{line}"), 1);
            if let Ok(sc) = ScenarioFile::parse("t.toml", "t", &doubled) {
                sc.build(&Default::default()).run(sc.time_limit);
            }
        }
    }
}
