//! Writes a big, realistic, deterministic capture for the benchmark (benches/run.sh):
//! `cargo run --release --example gen_capture -- OUT.pcap SIZE_MB`.
//!
//! The same arguments give the same bytes on every machine: a fixed seed, fixed timestamps. The
//! traffic mixes what a small network carries, in proportions that give small and large frames:
//! ARP request and reply, DNS query and answer over UDP, HTTP over TCP (handshake, request, a
//! response of 1 to 24 full-size segments with ACKs, teardown), UDP datagrams of random size,
//! ICMP echo request and reply, and IPv6 (ICMPv6 echo, UDP). Checksums are right.

use std::io::{BufWriter, Write};

use etherparse::PacketBuilder;

/// xorshift64*: small, fast, and the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

struct Out<W: Write> {
    w: W,
    written: u64,
    /// Microseconds since the first frame.
    t_us: u64,
}

impl<W: Write> Out<W> {
    fn frame(&mut self, data: &[u8], gap_us: u64) -> std::io::Result<()> {
        self.t_us += gap_us;
        let secs = 1_704_067_200 + self.t_us / 1_000_000;
        let us = self.t_us % 1_000_000;
        let n = data.len() as u32;
        let mut h = [0u8; 16];
        h[0..4].copy_from_slice(&(secs as u32).to_le_bytes());
        h[4..8].copy_from_slice(&(us as u32).to_le_bytes());
        h[8..12].copy_from_slice(&n.to_le_bytes());
        h[12..16].copy_from_slice(&n.to_le_bytes());
        self.w.write_all(&h)?;
        self.w.write_all(data)?;
        self.written += 16 + u64::from(n);
        Ok(())
    }
}

fn mac(host: u8) -> [u8; 6] {
    [0x02, 0x77, 0x00, 0x00, 0x01, host]
}
fn v4(host: u8) -> [u8; 4] {
    [10, 77, 1, host]
}
fn v6(host: u8) -> [u8; 16] {
    let mut a = [0u8; 16];
    a[0] = 0xfd;
    a[1] = 0x77;
    a[15] = host;
    a
}

/// The frame a finished builder step (UDP, TCP, ICMP …) writes around `payload`.
macro_rules! build {
    ($b:expr, $payload:expr) => {{
        let b = $b;
        let p: &[u8] = $payload;
        let mut v = Vec::with_capacity(b.size(p.len()));
        b.write(&mut v, p).expect("a packet the builder can write");
        v
    }};
}

fn arp(op: u16, from: u8, to: u8) -> Vec<u8> {
    let mut f = Vec::with_capacity(60);
    f.extend_from_slice(&if op == 1 { [0xff; 6] } else { mac(to) });
    f.extend_from_slice(&mac(from));
    f.extend_from_slice(&[0x08, 0x06, 0, 1, 0x08, 0x00, 6, 4]);
    f.extend_from_slice(&op.to_be_bytes());
    f.extend_from_slice(&mac(from));
    f.extend_from_slice(&v4(from));
    f.extend_from_slice(&if op == 1 { [0; 6] } else { mac(to) });
    f.extend_from_slice(&v4(to));
    f.resize(60, 0);
    f
}

fn dns_query(id: u16, name: &str) -> Vec<u8> {
    let mut q = Vec::new();
    q.extend_from_slice(&id.to_be_bytes());
    q.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    for label in name.split('.') {
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.extend_from_slice(&[0, 0, 1, 0, 1]);
    q
}

fn dns_answer(id: u16, name: &str, addr: [u8; 4]) -> Vec<u8> {
    let mut a = dns_query(id, name);
    a[2] = 0x81;
    a[3] = 0x80;
    a[7] = 1; // one answer
    a.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4]);
    a.extend_from_slice(&addr);
    a
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(path), Some(mb)) = (args.get(1), args.get(2).and_then(|s| s.parse::<u64>().ok())) else {
        eprintln!("usage: gen_capture OUT.pcap SIZE_MB");
        std::process::exit(2);
    };
    let target = mb * 1_000_000;
    let file = std::fs::File::create(path)?;
    let mut out = Out { w: BufWriter::with_capacity(1 << 20, file), written: 24, t_us: 0 };
    out.w.write_all(&[0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 1, 0, 0, 0])?;
    let mut rng = Rng(0x6e65_746c_6179_6572);
    let body: Vec<u8> = (0..1448u32).map(|i| b"the quick brown fox jumps over the lazy dog\n"[(i % 44) as usize]).collect();
    let mut n: u64 = 0;
    while out.written < target {
        n += 1;
        let c = 10 + rng.below(200) as u8; // a client
        let s = 1 + rng.below(8) as u8; // a server
        let gap = 1 + rng.below(400);
        match rng.below(100) {
            0..=4 => {
                out.frame(&arp(1, c, s), gap)?;
                out.frame(&arp(2, s, c), 30)?;
            }
            5..=19 => {
                let id = rng.below(65536) as u16;
                let name = format!("host{}.example.test", rng.below(1000));
                let sport = 1024 + rng.below(60000) as u16;
                let q = PacketBuilder::ethernet2(mac(c), mac(s)).ipv4(v4(c), v4(s), 64).udp(sport, 53);
                out.frame(&build!(q, &dns_query(id, &name)), gap)?;
                let a = PacketBuilder::ethernet2(mac(s), mac(c)).ipv4(v4(s), v4(c), 64).udp(53, sport);
                out.frame(&build!(a, &dns_answer(id, &name, v4(s))), 200)?;
            }
            20..=54 => {
                let cp = 1024 + rng.below(60000) as u16;
                let (mut cs, mut ss) = (rng.next() as u32, rng.next() as u32);
                let tcp = |from_client: bool, seq: u32, ack: Option<u32>| {
                    let (a, b, ap, bp) = if from_client { (c, s, cp, 80) } else { (s, c, 80, cp) };
                    let t = PacketBuilder::ethernet2(mac(a), mac(b)).ipv4(v4(a), v4(b), 64).tcp(ap, bp, seq, 64240);
                    match ack {
                        Some(x) => t.ack(x),
                        None => t,
                    }
                };
                out.frame(&build!(tcp(true, cs, None).syn(), &[]), gap)?;
                out.frame(&build!(tcp(false, ss, Some(cs + 1)).syn(), &[]), 50)?;
                cs += 1;
                ss += 1;
                out.frame(&build!(tcp(true, cs, Some(ss)), &[]), 50)?;
                let req = format!("GET /file{}.txt HTTP/1.1\r\nHost: 10.77.1.{s}\r\nUser-Agent: bench\r\n\r\n", rng.below(10000));
                out.frame(&build!(tcp(true, cs, Some(ss)).psh(), req.as_bytes()), 20)?;
                cs += req.len() as u32;
                let segments = 1 + rng.below(24);
                let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", segments * 1448);
                for i in 0..segments {
                    let mut data = if i == 0 { head.clone().into_bytes() } else { Vec::new() };
                    data.extend_from_slice(&body[..1448 - data.len()]);
                    out.frame(&build!(tcp(false, ss, Some(cs)).psh(), &data), 10)?;
                    ss += data.len() as u32;
                    if i % 2 == 1 || i + 1 == segments {
                        out.frame(&build!(tcp(true, cs, Some(ss)), &[]), 10)?;
                    }
                }
                out.frame(&build!(tcp(true, cs, Some(ss)).fin(), &[]), 100)?;
                out.frame(&build!(tcp(false, ss, Some(cs + 1)).fin(), &[]), 30)?;
                out.frame(&build!(tcp(true, cs + 1, Some(ss + 1)), &[]), 30)?;
            }
            55..=74 => {
                let len = 16 + rng.below(1200) as usize;
                let payload: Vec<u8> = (0..len).map(|i| (i as u8).wrapping_mul(31)).collect();
                let u = PacketBuilder::ethernet2(mac(c), mac(s)).ipv4(v4(c), v4(s), 64).udp(5000, 5001);
                out.frame(&build!(u, &payload), gap)?;
            }
            75..=89 => {
                let (id, seq) = (rng.below(65536) as u16, (n % 65536) as u16);
                let data = [0x61u8; 56];
                let q = PacketBuilder::ethernet2(mac(c), mac(s)).ipv4(v4(c), v4(s), 64).icmpv4_echo_request(id, seq);
                out.frame(&build!(q, &data), gap)?;
                let r = PacketBuilder::ethernet2(mac(s), mac(c)).ipv4(v4(s), v4(c), 64).icmpv4_echo_reply(id, seq);
                out.frame(&build!(r, &data), 300)?;
            }
            90..=94 => {
                let (id, seq) = (rng.below(65536) as u16, (n % 65536) as u16);
                let data = [0x62u8; 56];
                let q = PacketBuilder::ethernet2(mac(c), mac(s)).ipv6(v6(c), v6(s), 64).icmpv6_echo_request(id, seq);
                out.frame(&build!(q, &data), gap)?;
                let r = PacketBuilder::ethernet2(mac(s), mac(c)).ipv6(v6(s), v6(c), 64).icmpv6_echo_reply(id, seq);
                out.frame(&build!(r, &data), 300)?;
            }
            _ => {
                let len = 16 + rng.below(600) as usize;
                let u = PacketBuilder::ethernet2(mac(c), mac(s)).ipv6(v6(c), v6(s), 64).udp(6000, 6001);
                out.frame(&build!(u, &vec![0x63; len]), gap)?;
            }
        }
    }
    out.w.flush()?;
    Ok(())
}
