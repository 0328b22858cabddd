#!/bin/sh
# tshark 4.0's statistics and TCP expert flags for every capture, stored so tests/stats.rs needs
# no tshark. Also (re)writes captures/crafted/tcp-loss.pcap with scapy: one connection showing a
# lost segment, duplicate ACKs, a fast retransmission, an out-of-order segment, a plain
# retransmission, a full window, a zero window and a reset; and crafted/tcp-keepalive.pcap: a
# keep-alive and its ACK, a zero-window probe and its ACK, a window update and a spurious
# retransmission.
#
# Usage: sh captures/stats.sh        (from the repository root; needs tshark and scapy)
#
# captures/expected/stats/FILE.conv.tsv    kind, A, port A, B, port B, frames A->B, bytes A->B,
#                                          frames B->A, bytes B->A, relative start
#   (kind tcp/udp/ip, from `tshark -q -z conv,tcp -z conv,udp -z conv,ip`)
# captures/expected/stats/FILE.expert.tsv  flag, frame numbers (comma-separated) for each
#   tcp.analysis.* flag, from `tshark -Y FLAG -T fields -e frame.number`
# Same preferences as oracle.py (no IP reassembly), so a fragmented datagram counts where our
# decoder sees it.
set -eu
cd "$(dirname "$0")"
/usr/bin/python3 - crafted/tcp-loss.pcap crafted/tcp-keepalive.pcap <<'PY'
import struct, sys
from scapy.all import Ether, IP, TCP, Raw
C, S = ("10.77.0.1", 40000), ("10.77.0.2", 80)
MC, MS = "02:77:00:00:00:01", "02:77:00:00:00:02"
BASE = 1704067200
def seg(t, frm, flags, seq, ack=0, data=b"", win=64240):
    src, dst = (C, S) if frm == "c" else (S, C)
    macs = (MC, MS) if frm == "c" else (MS, MC)
    p = Ether(src=macs[0], dst=macs[1]) / IP(src=src[0], dst=dst[0]) / TCP(
        sport=src[1], dport=dst[1], flags=flags, seq=seq, ack=ack, window=win)
    if data:
        p = p / Raw(data)
    return t, bytes(p)
d = lambda c: c * 100
pkts = [
    seg(0.000, "c", "S", 1000),
    seg(0.010, "s", "SA", 5000, 1001),
    seg(0.020, "c", "A", 1001, 5001),
    seg(0.030, "c", "PA", 1001, 5001, d(b"a")),
    # 1101..1200 is never captured
    seg(0.040, "c", "PA", 1201, 5001, d(b"c")),   # lost segment before it
    seg(0.041, "s", "A", 5001, 1101),
    seg(0.042, "s", "A", 5001, 1101),             # duplicate ACK 1
    seg(0.043, "c", "PA", 1301, 5001, d(b"d")),
    seg(0.044, "s", "A", 5001, 1101),             # duplicate ACK 2
    seg(0.045, "c", "PA", 1401, 5001, d(b"e")),
    seg(0.046, "s", "A", 5001, 1101),             # duplicate ACK 3
    seg(0.050, "c", "PA", 1101, 5001, d(b"b")),   # fast retransmission
    seg(0.060, "s", "A", 5001, 1501),
    seg(0.300, "c", "PA", 1501, 5001, d(b"f")),
    seg(0.301, "c", "PA", 1701, 5001, d(b"h")),   # lost segment (1601 comes next)
    seg(0.302, "c", "PA", 1601, 5001, d(b"g")),   # out of order
    seg(0.310, "s", "A", 5001, 1801),
    seg(0.400, "c", "PA", 1801, 5001, d(b"i")),
    seg(1.400, "c", "PA", 1801, 5001, d(b"i")),   # retransmission after a timeout
    seg(1.410, "s", "A", 5001, 1901, win=200),
    seg(1.420, "c", "PA", 1901, 5001, d(b"j") * 2),  # fills the 200-byte window
    seg(1.430, "s", "A", 5001, 2101, win=0),       # zero window
    seg(1.500, "c", "RA", 2101, 5001),             # reset
]
def write(path, pkts):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for t, b in pkts:
            us = round(t * 1e6)
            f.write(struct.pack("<IIII", BASE + us // 1000000, us % 1000000, len(b), len(b)))
            f.write(b)
write(sys.argv[1], pkts)
C = ("10.77.0.1", 40002)
write(sys.argv[2], [
    seg(0.000, "c", "S", 1000),
    seg(0.010, "s", "SA", 5000, 1001),
    seg(0.020, "c", "A", 1001, 5001),
    seg(0.030, "c", "PA", 1001, 5001, d(b"a")),
    seg(0.040, "s", "A", 5001, 1101),
    seg(10.040, "c", "A", 1100, 5001),             # keep-alive
    seg(10.050, "s", "A", 5001, 1101),             # its ACK
    seg(10.060, "c", "PA", 1101, 5001, d(b"b")),
    seg(10.070, "s", "A", 5001, 1201, win=0),      # zero window
    seg(10.300, "c", "PA", 1201, 5001, b"c"),      # zero-window probe
    seg(10.310, "s", "A", 5001, 1201, win=0),      # its ACK, still zero
    seg(10.400, "s", "A", 5001, 1201),             # window update
    seg(10.410, "c", "PA", 1201, 5001, d(b"c")),
    seg(10.420, "s", "A", 5001, 1301),
    seg(10.900, "c", "PA", 1201, 5001, d(b"c")),   # spurious retransmission: already acknowledged
    seg(11.000, "c", "FA", 1301, 5001),
    seg(11.010, "s", "FA", 5001, 1302),
    seg(11.020, "c", "A", 1302, 5002),
])
PY

PREFS="-o ip.defragment:FALSE -o ipv6.defragment:FALSE -o tcp.desegment_tcp_streams:FALSE"
FLAGS="retransmission fast_retransmission spurious_retransmission duplicate_ack out_of_order zero_window window_full lost_segment ack_lost_segment keep_alive keep_alive_ack window_update zero_window_probe zero_window_probe_ack reused_ports"
mkdir -p expected/stats
find . -path ./expected -prune -o \( -name '*.pcap' -o -name '*.pcapng' \) -print | sed 's|^\./||' | sort |
while read -r f; do
    mkdir -p "expected/stats/$(dirname "$f")"
    # shellcheck disable=SC2086
    tshark -n $PREFS -r "$f" -q -z conv,tcp -z conv,udp -z conv,ip -z conv,ipv6 -z conv,eth 2>/dev/null | python3 -c '
import re, sys
kind = None
for line in sys.stdin:
    m = re.match(r"^(TCP|UDP|IPv4|IPv6|Ethernet) Conversations", line)
    if m:
        kind = {"TCP": "tcp", "UDP": "udp", "IPv4": "ip", "IPv6": "ipv6", "Ethernet": "eth"}[m.group(1)]
        continue
    m = re.match(r"^(\S+)\s+<->\s+(\S+)\s+(\d+)\s+(\d+) bytes\s+(\d+)\s+(\d+) bytes\s+\d+\s+\d+ bytes\s+([\d.]+)\s+([\d.]+)\s*$", line)
    if not m or kind is None:
        if kind and "<->" in line:
            sys.exit("cannot parse: " + line)
        continue
    a, b = m.group(1), m.group(2)
    if kind in ("tcp", "udp"):
        a, pa = a.rsplit(":", 1)
        b, pb = b.rsplit(":", 1)
    else:
        pa = pb = ""
    # tshark: "<-" is B to A, "->" is A to B.
    print("\t".join([kind, a, pa, b, pb, m.group(5), m.group(6), m.group(3), m.group(4), m.group(7)]))
' > "expected/stats/$f.conv.tsv"
    : > "expected/stats/$f.expert.tsv"
    for k in $FLAGS; do
        # shellcheck disable=SC2086
        nums=$(tshark -n $PREFS -r "$f" -Y "tcp.analysis.$k" -T fields -e frame.number 2>/dev/null | paste -sd, -)
        printf 'tcp.analysis.%s\t%s\n' "$k" "$nums" >> "expected/stats/$f.expert.tsv"
    done
done
