#!/bin/sh
# tshark 4.0's packet list with IP reassembly ON (its default), stored so tests/reassembly.rs
# needs no tshark. Also (re)writes, with scapy, the crafted captures that real kernels never send:
#
#   crafted/ipv4-fragments.pcap  an ICMP echo in 3 fragments arriving 2nd, 3rd, 1st; a DNS query
#       over UDP in fragments that overlap (same bytes) with an exact duplicate; an echo whose
#       overlapping fragment carries different bytes (the first bytes received stay); a fragment
#       retransmitted after its datagram was complete; a datagram missing its middle (never
#       complete); the same IP ID from the same hosts for UDP and ICMP at once (two datagrams:
#       the protocol is part of the key); a fragment the snaplen cut (not reassembled)
#   crafted/ipv6-fragments.pcap  a DNS query over UDP in 3 fragments arriving out of order; an
#       ICMPv6 echo in 2 fragments with a duplicate of the first; an atomic fragment (offset 0,
#       M=0: nothing to reassemble)
#
# For each capture F (the two above, ping-fragmented.pcap and ping6-fragmented.pcap):
#   expected/reassembly/F.tsv        frame number, Protocol, Info of `tshark -2` (two passes, as
#                                    Wireshark shows a file: earlier fragments say where their
#                                    datagram was reassembled)
#   expected/reassembly/F.1pass.tsv  the same from one pass (`tshark` reading a pipe), which is
#                                    all netlayers can know when it reads stdin
#   expected/reassembly/F.off.tsv    the same with reassembly off (`--no-reassembly`)
# and expected/reassembly/filters.tsv (below). The NDJSON (reassembly off) is oracle.py's
# (expected/FILE.ndjson): run it for the crafted files too.
#
# Usage: sh captures/reassembly.sh        (needs tshark and /usr/bin/python3 with scapy)
set -eu
cd "$(dirname "$0")"
/usr/bin/python3 - crafted/ipv4-fragments.pcap crafted/ipv6-fragments.pcap <<'PY'
import struct, sys
from scapy.all import DNS, DNSQR, ICMP, IP, UDP, Ether, IPv6, IPv6ExtHdrFragment, ICMPv6EchoRequest

MAC_A, MAC_B = "02:77:00:00:00:01", "02:77:00:00:00:02"
IP_A, IP_B = "10.77.0.1", "10.77.0.2"
IP6_A, IP6_B = "fd77::1", "fd77::2"
BASE = 1704067200  # fixed timestamps: re-running gives byte-identical files

def write_pcap(path, frames):
    """frames: bytes, or (bytes, original length) for a frame the snaplen cut."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        for i, fr in enumerate(frames):
            data, orig = fr if isinstance(fr, tuple) else (fr, None)
            data = bytes(data)
            f.write(struct.pack("<IIII", BASE + i // 100, (i % 100) * 10000, len(data),
                                orig if orig is not None else len(data)))
            f.write(data)

def frag4(proto, ident, payload, off, length, more, ttl=64):
    """One IPv4 fragment: `length` bytes of `payload` from byte `off` (a multiple of 8)."""
    ip = IP(src=IP_A, dst=IP_B, id=ident, proto=proto, ttl=ttl, flags="MF" if more else 0,
            frag=off // 8)
    return bytes(Ether(src=MAC_A, dst=MAC_B) / ip / payload[off:off + length])

def frag6(nh, ident, payload, off, length, more):
    ip = IPv6(src=IP6_A, dst=IP6_B) / IPv6ExtHdrFragment(nh=nh, offset=off // 8, m=int(more), id=ident)
    return bytes(Ether(src=MAC_A, dst=MAC_B) / ip / payload[off:off + length])

def icmp_echo(ident, seq, n):
    pkt = IP(src=IP_A, dst=IP_B) / ICMP(id=ident, seq=seq) / bytes(range(n))
    return bytes(pkt[ICMP])  # checksum filled in over the whole message

def dns_query4(qid, name):
    pkt = IP(src=IP_A, dst=IP_B) / UDP(sport=40053, dport=53) / DNS(id=qid, rd=1, qd=DNSQR(qname=name))
    return bytes(pkt[UDP])

def dns_query6(qid, name):
    pkt = IPv6(src=IP6_A, dst=IP6_B) / UDP(sport=40054, dport=53) / DNS(id=qid, rd=1, qd=DNSQR(qname=name, qtype="AAAA"))
    return bytes(pkt[UDP])

def echo6(ident, seq, n):
    pkt = IPv6(src=IP6_A, dst=IP6_B) / ICMPv6EchoRequest(id=ident, seq=seq, data=bytes(range(n)))
    return bytes(pkt[ICMPv6EchoRequest])

def ipv4():
    frames = []
    # 1-3: an echo of 108 bytes in 3 fragments, the first arriving last.
    echo = icmp_echo(0x0a01, 1, 100)
    frames += [frag4(1, 0x0a01, echo, 40, 40, True), frag4(1, 0x0a01, echo, 80, 28, False),
               frag4(1, 0x0a01, echo, 0, 40, True)]
    # 4-7: a DNS query over UDP: [0,32) [24,56) (overlap, same bytes), [0,32) again, [56,end).
    q = dns_query4(0x7e01, "fragments.reassembly.example.netlayers.test")
    frames += [frag4(17, 0x0a02, q, 0, 32, True), frag4(17, 0x0a02, q, 24, 32, True),
               frag4(17, 0x0a02, q, 0, 32, True), frag4(17, 0x0a02, q, 56, len(q) - 56, False)]
    # 8-10: an echo whose second fragment overlaps the first with different bytes.
    echo = icmp_echo(0x0a03, 2, 40)
    forged = echo[:16] + b"\xee" * 8 + echo[24:]
    frames += [frag4(1, 0x0a03, echo, 0, 24, True), frag4(1, 0x0a03, forged, 16, 16, True),
               frag4(1, 0x0a03, echo, 32, len(echo) - 32, False)]
    # 11: the second fragment of the first echo again, after its datagram was complete.
    frames.append(frames[0])
    # 12-13: a datagram whose middle never comes.
    echo = icmp_echo(0x0a04, 3, 60)
    frames += [frag4(1, 0x0a04, echo, 0, 24, True), frag4(1, 0x0a04, echo, 48, len(echo) - 48, False)]
    # 14-17: one IP ID for a UDP and an ICMP datagram at once, interleaved.
    q = dns_query4(0x7e05, "same-ip-id.netlayers.test")
    echo = icmp_echo(0x0a05, 4, 40)
    frames += [frag4(17, 0x0a05, q, 0, 24, True), frag4(1, 0x0a05, echo, 0, 24, True),
               frag4(17, 0x0a05, q, 24, len(q) - 24, False), frag4(1, 0x0a05, echo, 24, len(echo) - 24, False)]
    # 18-19: a first fragment cut by the snaplen, then the rest: not reassembled.
    echo = icmp_echo(0x0a06, 5, 60)
    first = frag4(1, 0x0a06, echo, 0, 48, True)
    frames += [(first[:50], len(first)), frag4(1, 0x0a06, echo, 48, len(echo) - 48, False)]
    return frames

def ipv6():
    frames = []
    # 1-3: a DNS query in 3 fragments: 2nd, 1st, 3rd.
    q = dns_query6(0x7e06, "fragments.reassembly.example.netlayers.test")
    frames += [frag6(17, 0x6001, q, 24, 24, True), frag6(17, 0x6001, q, 0, 24, True),
               frag6(17, 0x6001, q, 48, len(q) - 48, False)]
    # 4-6: an ICMPv6 echo in 2 fragments, the first sent twice.
    e = echo6(0x6002, 1, 72)
    frames += [frag6(58, 0x6002, e, 0, 40, True), frag6(58, 0x6002, e, 0, 40, True),
               frag6(58, 0x6002, e, 40, len(e) - 40, False)]
    # 7: an atomic fragment (offset 0, M=0): the whole echo, nothing to wait for.
    e = echo6(0x6003, 2, 16)
    frames.append(frag6(58, 0x6003, e, 0, len(e), False))
    return frames

write_pcap(sys.argv[1], ipv4())
write_pcap(sys.argv[2], ipv6())
PY
caps="ping-fragmented.pcap ping6-fragmented.pcap crafted/ipv4-fragments.pcap crafted/ipv6-fragments.pcap"
mkdir -p expected/reassembly
for f in $caps; do
    out=expected/reassembly/$(basename "$f" .pcap)
    tshark -2 -n -r "$f" -T fields -e frame.number -e _ws.col.Protocol -e _ws.col.Info > "$out.tsv" 2>/dev/null
    tshark -n -r - -T fields -e frame.number -e _ws.col.Protocol -e _ws.col.Info < "$f" > "$out.1pass.tsv" 2>/dev/null
    tshark -n -o ip.defragment:FALSE -o ipv6.defragment:FALSE -r "$f" -T fields -e frame.number \
        -e _ws.col.Protocol -e _ws.col.Info > "$out.off.tsv" 2>/dev/null
done
# expected/reassembly/filters.tsv: capture <TAB> expression <TAB> frames `tshark -2 -Y` shows, with
# reassembly on (a display filter sees what the frame shows: the reassembled layers).
for f in $caps; do
    while IFS= read -r e; do
        printf '%s\t%s\t%s\n' "$f" "$e" "$(tshark -2 -n -r "$f" -Y "$e" -T fields -e frame.number 2>/dev/null | paste -sd' ')"
    done <<'EXPRS'
icmp
icmpv6
dns
udp
data
ip.flags.mf == 1
ip.reassembled_in
ip.reassembled_in == 3
ipv6.reassembled.in
ip.fragment.count == 3
ip.fragment.overlap
ip.fragment.overlap.conflict
ipv6.fragment.overlap
ip.reassembled.length > 100
ipv6.fragments
EXPRS
done > expected/reassembly/filters.tsv
echo "reassembly.sh: wrote crafted/ipv4-fragments.pcap, crafted/ipv6-fragments.pcap and expected/reassembly/"
