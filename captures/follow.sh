#!/usr/bin/env bash
# tshark's `-z follow` output for every TCP stream (and the UDP streams of dns.pcap) of the
# captures that tests/follow.rs checks, stored so the tests need no tshark.
#
# Usage: captures/follow.sh [--craft]
#   --craft  first (re)write captures/crafted/tcp-retrans-ooo.pcap with scapy: a short TCP
#            exchange with an exact retransmission, a partly overlapping retransmission that
#            carries new bytes, and out-of-order segments in both directions; then a
#            second stream with a segment missing from the capture but acknowledged.
#
# Writes captures/expected/follow/<capture>.<tcp|udp>.<N>.<ascii|hex|raw>.txt
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$HERE/expected/follow

if [ "${1:-}" = "--craft" ]; then
    /usr/bin/python3 - "$HERE/crafted/tcp-retrans-ooo.pcap" <<'PY'
import struct, sys
from scapy.all import Ether, IP, TCP, Raw
A, B, CP, SP = "10.77.0.1", "10.77.0.2", 40000, 9000
CI, SI = 1000, 5000  # initial sequence numbers; the numbers below are relative to them
frames = []
def c(flags, seq, ack, data=b""):
    p = Ether(src="02:77:00:00:00:01", dst="02:77:00:00:00:02") / IP(src=A, dst=B, flags="DF") / \
        TCP(sport=CP, dport=SP, flags=flags, seq=CI + seq, ack=SI + ack if ack is not None else 0, window=64240)
    frames.append(p / Raw(data) if data else p)
def s(flags, seq, ack, data=b""):
    p = Ether(src="02:77:00:00:00:02", dst="02:77:00:00:00:01") / IP(src=B, dst=A, flags="DF") / \
        TCP(sport=SP, dport=CP, flags=flags, seq=SI + seq, ack=CI + ack, window=65160)
    frames.append(p / Raw(data) if data else p)
c("S", 0, None)
s("SA", 0, 1)
c("A", 1, 1)
c("PA", 1, 1, b"hello ")                   # 1..7
s("A", 1, 7)
c("PA", 1, 1, b"hello ")                   # exact retransmission
c("PA", 13, 1, b"again\n")                 # 13..19 before 7..13: out of order
c("PA", 7, 1, b"world\n")                  # fills the gap
s("A", 1, 19)
s("PA", 1, 19, b"ok: hello world\r\n")     # 1..18
c("A", 19, 18)
s("PA", 10, 19, b" world\r\nbye\r\n")      # 10..23: overlaps 10..18, new bytes 18..23
c("A", 19, 23)
s("PA", 28, 19, b"tail\n")                 # 28..33 before 23..28
s("PA", 23, 19, b"more ")                  # fills the gap
c("FA", 19, 33)
s("FA", 33, 20)
c("A", 20, 34)
# A second stream (stream 1) that lost a segment the receiver did get: its ACK covers bytes the
# capture never held, which tshark shows as "[3 bytes missing in capture file]".
CP = 40001
c("S", 0, None)
s("SA", 0, 1)
c("A", 1, 1)
c("PA", 1, 1, b"abc")                      # 1..4
c("PA", 7, 1, b"ghi\n")                    # 7..11; 4..7 never reached the capture
s("A", 1, 11)
c("FA", 11, 1)
s("FA", 1, 12)
c("A", 12, 2)
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
    for i, p in enumerate(frames):
        d = bytes(p)
        f.write(struct.pack("<IIII", 1704067200, i * 10000, len(d), len(d)))
        f.write(d)
PY
fi

mkdir -p "$OUT"
for cap in http.pcap chat-886.pcap dns.pcap crafted/tcp-retrans-ooo.pcap; do
    name=$(basename "$cap")
    for proto in tcp udp; do
        [ "$proto" = udp ] && [ "$cap" != dns.pcap ] && continue
        for n in $(tshark -r "$HERE/$cap" -T fields -e "$proto.stream" 2>/dev/null | grep -v '^$' | sort -un); do
            for fmt in ascii hex raw; do
                tshark -r "$HERE/$cap" -q -z "follow,$proto,$fmt,$n" 2>/dev/null > "$OUT/$name.$proto.$n.$fmt.txt"
            done
        done
    done
done
ls "$OUT" | wc -l
