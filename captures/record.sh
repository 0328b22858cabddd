#!/usr/bin/env bash
# Records the real-traffic sample captures in captures/ (run as root: sudo captures/record.sh).
#
# Topology, built from nothing and removed again on exit (whatever happens):
#
#   nlrec-a  nlrec-va ====== nlrec-vb  nlrec-b  nlrec-vb2 ====== nlrec-vc  nlrec-c
#            10.77.0.1/24    10.77.0.2/24       10.78.0.1/24     10.78.0.2/24
#            fd77::1/64      fd77::2/64         fd78::1/64       fd78::2/64
#            02:77:00:00:00:01  :02              02:78:00:00:00:01  :02
#
# nlrec-b is an ordinary host for most captures and becomes a router (forwarding on) only for
# the traceroute capture. Every capture is taken with tcpdump/dumpcap inside a namespace, so
# nothing leaves this machine. Afterwards the scapy-made oddities are written by craft.py and
# tshark's expected fields by oracle.py (run that one separately: python3 captures/oracle.py).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$HERE}
A=nlrec-a B=nlrec-b C=nlrec-c
VA=nlrec-va VB=nlrec-vb VB2=nlrec-vb2 VC=nlrec-vc
PY=${PYTHON:-python3}
TRAFFIC="$PY $HERE/traffic.py"

[ "$(id -u)" = 0 ] || { echo "record.sh: run as root (it creates network namespaces)" >&2; exit 1; }
for tool in ip tcpdump dumpcap dnsmasq curl ping; do
    command -v "$tool" >/dev/null || { echo "record.sh: $tool is missing" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/nlrec.XXXXXX)
PIDS=()      # every background process we start, so cleanup ends exactly those
CAP_PID=

cleanup() {
    local rc=$?
    set +e
    for p in "${PIDS[@]}"; do
        kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
    done
    # Deleting a namespace deletes the veth ends inside it (the pair goes with either end).
    for ns in "$A" "$B" "$C"; do
        ip netns del "$ns" 2>/dev/null
    done
    rm -rf "$WORK"
    [ $rc = 0 ] || echo "record.sh: failed (exit $rc); namespaces and processes removed" >&2
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# Start a background process inside a namespace and remember its PID (ip netns exec execs the
# command, so $! is the command itself).
bg() { local ns=$1; shift; ip netns exec "$ns" "$@" & PIDS+=($!); LAST_PID=$!; }

forget() {  # drop a PID from PIDS once we have stopped it ourselves
    local keep=() p
    for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
    PIDS=("${keep[@]}")
}

stop() {
    # SIGTERM, not SIGINT: a non-interactive shell starts background jobs with SIGINT ignored,
    # and dnsmasq/python would never stop. tcpdump and dumpcap finish their file on SIGTERM too.
    local pid=$1
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    forget "$pid"
}

# cap_start NS FILE ARGS... : tcpdump (or dumpcap, when ARGS start with "dumpcap") writing FILE,
# returning only once it is really capturing, so the first packet of the exchange is not lost.
cap_start() {
    local ns=$1 file=$2; shift 2
    local log="$WORK/cap.log"
    : >"$log"
    if [ "${1:-}" = dumpcap ]; then
        shift
        bg "$ns" dumpcap -q "$@" -w "$WORK/$file" 2>"$log"
    else
        # --immediate-mode: without it libpcap's TPACKET_V3 ring hands packets over only when a
        # block fills or its timeout passes, and the last ones are lost when we stop tcpdump.
        bg "$ns" tcpdump -Z root -U -n --immediate-mode "$@" -w "$WORK/$file" 2>"$log"
    fi
    CAP_PID=$LAST_PID
    for _ in $(seq 50); do
        grep -qiE 'listening on|capturing on' "$log" && { sleep 0.3; return; }
        sleep 0.1
    done
    echo "record.sh: capture of $file did not start:" >&2
    cat "$log" >&2
    exit 1
}

cap_stop() {
    sleep 1  # let the last answer arrive and the capture write it
    stop "$CAP_PID"
    CAP_PID=
}

flush_neigh() {
    in_ns "$A" ip neigh flush dev "$VA"
    in_ns "$B" ip neigh flush dev "$VB"
}

# ---------------------------------------------------------------- topology
for ns in "$A" "$B" "$C"; do
    if ip netns list | grep -qw "$ns"; then
        echo "record.sh: namespace $ns exists already (a previous run?); remove it with: ip netns del $ns" >&2
        trap - EXIT; exit 1
    fi
done
for ns in "$A" "$B" "$C"; do
    ip netns add "$ns"
    in_ns "$ns" ip link set lo up
    # Quiet links: no router solicitations, so a capture holds only the traffic we make.
    in_ns "$ns" sysctl -qw net.ipv6.conf.default.router_solicitations=0 net.ipv6.conf.all.router_solicitations=0
    # ICMP errors are rate limited per peer; the traceroute probes come faster than 1 s.
    in_ns "$ns" sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0
done

ip link add "$VA" netns "$A" address 02:77:00:00:00:01 type veth peer name "$VB" netns "$B" address 02:77:00:00:00:02
ip link add "$VB2" netns "$B" address 02:78:00:00:00:01 type veth peer name "$VC" netns "$C" address 02:78:00:00:00:02

setup_if() {  # ns ifname v4/len v6/len
    in_ns "$1" ip addr add "$3" dev "$2"
    in_ns "$1" ip -6 addr add "$4" dev "$2" nodad
    # Checksums computed by the stack, not left "partial" for an offload that a veth never does:
    # otherwise every captured TCP/UDP checksum is wrong, which would mislead students.
    if command -v ethtool >/dev/null; then
        in_ns "$1" ethtool -K "$2" tx off >/dev/null 2>&1 || true
        in_ns "$1" ethtool -K "$2" tso off gso off gro off >/dev/null 2>&1 || true
    fi
    in_ns "$1" ip link set "$2" up
}
setup_if "$A" "$VA" 10.77.0.1/24 fd77::1/64
setup_if "$B" "$VB" 10.77.0.2/24 fd77::2/64
setup_if "$B" "$VB2" 10.78.0.1/24 fd78::1/64
setup_if "$C" "$VC" 10.78.0.2/24 fd78::2/64
in_ns "$A" ip route add 10.78.0.0/24 via 10.77.0.2
in_ns "$A" ip -6 route add fd78::/64 via fd77::2
in_ns "$C" ip route add default via 10.78.0.1
in_ns "$C" ip -6 route add default via fd78::1
# Let the MLD reports that follow link-up pass before anything is recorded.
sleep 3

mkdir -p "$WORK/www"
printf 'Hello from netlayers!\nThis file travels in TCP segments over a veth link.\n' >"$WORK/www/hello.txt"
# A file a little larger than one segment, so the body needs more than one.
$PY -c 'import sys; sys.stdout.write("".join("line %03d: the quick brown fox jumps over the lazy dog\n" % i for i in range(60)))' >"$WORK/www/fox.txt"

# ---------------------------------------------------------------- arp.pcap
flush_neigh
cap_start "$A" arp.pcap -i "$VA" 'arp or icmp'
in_ns "$A" ping -c 1 -W 1 10.77.0.2 >/dev/null
cap_stop

# ---------------------------------------------------------------- ping.pcap
cap_start "$A" ping.pcap -i "$VA" icmp
in_ns "$A" ping -c 3 -i 0.2 -W 1 10.77.0.2 >/dev/null
cap_stop

# ---------------------------------------------------------------- nanosecond.pcap
cap_start "$A" nanosecond.pcap -i "$VA" --time-stamp-precision=nano icmp
in_ns "$A" ping -c 2 -i 0.2 -W 1 10.77.0.2 >/dev/null
cap_stop

# ---------------------------------------------------------------- ping-fragmented.pcap
# 4000 bytes of ICMP data over an MTU of 1500: three IPv4 fragments each way.
cap_start "$A" ping-fragmented.pcap -i "$VA" ip
in_ns "$A" ping -c 1 -s 4000 -W 1 10.77.0.2 >/dev/null
cap_stop

# ---------------------------------------------------------------- ping6-fragmented.pcap
cap_start "$A" ping6-fragmented.pcap -i "$VA" 'ip6 and not dst host ff02::16 and not (icmp6 and icmp6[0] >= 133 and icmp6[0] <= 136)'
in_ns "$A" ping -6 -c 1 -s 3000 -W 1 fd77::2 >/dev/null
cap_stop

# ---------------------------------------------------------------- ipv6-nd-ping.pcap
flush_neigh
cap_start "$A" ipv6-nd-ping.pcap -i "$VA" icmp6
in_ns "$A" ping -6 -c 2 -i 0.2 -W 1 fd77::2 >/dev/null
cap_stop

# ---------------------------------------------------------------- udp-closed-port.pcap
# Nothing listens on 33434 nor (yet) on 53: the kernel of nlrec-b answers with ICMP port
# unreachable, quoting our IP header and the start of the datagram (the DNS one too).
cap_start "$A" udp-closed-port.pcap -i "$VA" 'udp or icmp or (icmp6 and icmp6[0] < 128)'
in_ns "$A" $TRAFFIC udp 10.77.0.2 33434 'is anyone there?'
in_ns "$A" $TRAFFIC dns 10.77.0.2 0x4e4c www.example.test A
in_ns "$A" $TRAFFIC udp fd77::2 33434 'and over IPv6?'
cap_stop

# ---------------------------------------------------------------- http.pcap
bg "$B" $PY -m http.server 80 --bind 10.77.0.2 --directory "$WORK/www" 2>"$WORK/http.log" >/dev/null
HTTP_PID=$LAST_PID
in_ns "$A" $TRAFFIC wait-port 10.77.0.2 80
sleep 0.3
cap_start "$A" http.pcap -i "$VA" 'tcp port 80'
in_ns "$A" curl -s -o /dev/null 'http://10.77.0.2/hello.txt?x=1&y=two'
sleep 0.2
in_ns "$A" curl -s -o /dev/null http://10.77.0.2/fox.txt
sleep 0.2
in_ns "$A" curl -s -o /dev/null http://10.77.0.2/missing.html
cap_stop

# ---------------------------------------------------------------- dns.pcap
bg "$B" dnsmasq -k -C /dev/null --no-resolv --no-hosts --pid-file= --port=53 --bind-interfaces \
    --listen-address=10.77.0.2 --listen-address=fd77::2 \
    --local=/example.test/ --local=/77.10.in-addr.arpa/ \
    --address=/www.example.test/10.77.0.80 --address=/www.example.test/fd77::80 \
    --host-record=mail.example.test,10.77.0.25 \
    --mx-host=example.test,mail.example.test,10 \
    --txt-record=example.test,"v=netlayers sample zone" \
    --ptr-record=80.0.77.10.in-addr.arpa,www.example.test \
    2>"$WORK/dnsmasq.log"
DNS_PID=$LAST_PID
for _ in $(seq 50); do
    in_ns "$B" ss -lnu | grep -q '10.77.0.2:53' && in_ns "$B" ss -lnt | grep -q '10.77.0.2:53' && break
    sleep 0.1
done
cap_start "$A" dns.pcap -i "$VA" 'port 53'
in_ns "$A" $TRAFFIC dns 10.77.0.2 0x1001 www.example.test A
in_ns "$A" $TRAFFIC dns 10.77.0.2 0x1002 www.example.test AAAA
in_ns "$A" $TRAFFIC dns fd77::2 0x1003 www.example.test AAAA
in_ns "$A" $TRAFFIC dns 10.77.0.2 0x1004 example.test MX
in_ns "$A" $TRAFFIC dns 10.77.0.2 0x1005 example.test TXT
in_ns "$A" $TRAFFIC dns 10.77.0.2 0x1006 80.0.77.10.in-addr.arpa PTR
in_ns "$A" $TRAFFIC dns 10.77.0.2 0x1007 nothere.example.test A
in_ns "$A" $TRAFFIC dns 10.77.0.2 0x1008 mail.example.test A tcp
cap_stop

# ---------------------------------------------------------------- chat-886.pcap
bg "$B" $TRAFFIC chat-server 10.77.0.2 8860 "$WORK/chat.ready"
CHAT_PID=$LAST_PID
for _ in $(seq 50); do [ -e "$WORK/chat.ready" ] && break; sleep 0.1; done
cap_start "$A" chat-886.pcap -i "$VA" 'tcp port 8860'
in_ns "$A" $TRAFFIC chat-client 10.77.0.2 8860
wait "$CHAT_PID" || true
forget "$CHAT_PID"
cap_stop

# ---------------------------------------------------------------- any-sll2.pcap, sll.pcap
# "-i any" sees both nlrec-va and lo in nlrec-a, with the direction of each packet; loopback
# packets appear twice (once sent, once received).
mixed_traffic() {
    in_ns "$A" ping -c 1 -W 1 10.77.0.2 >/dev/null
    in_ns "$A" ping -c 1 -W 1 127.0.0.1 >/dev/null
    in_ns "$A" $TRAFFIC dns fd77::2 0x2001 www.example.test A
    in_ns "$A" curl -s -o /dev/null http://10.77.0.2/hello.txt
}
cap_start "$A" any-sll2.pcap -i any 'not dst host ff02::16'
mixed_traffic
cap_stop
cap_start "$A" sll.pcap -i any -y LINUX_SLL 'not dst host ff02::16'
mixed_traffic
cap_stop

# ---------------------------------------------------------------- mixed.pcapng
# Two interfaces in one pcapng file: two Interface Description Blocks, packets of both in
# arrival order.
cap_start "$A" mixed.pcapng dumpcap -i "$VA" -i lo
in_ns "$A" ping -c 1 -W 1 10.77.0.2 >/dev/null
in_ns "$A" ping -c 1 -W 1 127.0.0.1 >/dev/null
in_ns "$A" ping -6 -c 1 -W 1 ::1 >/dev/null
in_ns "$A" $TRAFFIC dns 10.77.0.2 0x3001 www.example.test A
cap_stop

stop "$DNS_PID"
stop "$HTTP_PID"

# ---------------------------------------------------------------- traceroute-ttl.pcap
# nlrec-b forwards now. Probes with TTL 1 die at it (ICMP time exceeded, quoting the probe:
# Linux quotes up to 576 bytes, so a quoted TCP SYN is whole); TTL 2 reaches nlrec-c, where
# UDP 33435 is closed (port unreachable) and TCP 80 is closed (RST).
in_ns "$B" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
in_ns "$A" ping -c 1 -W 1 10.78.0.2 >/dev/null  # resolve neighbours first: not part of the lesson
in_ns "$A" ping -6 -c 1 -W 1 fd78::2 >/dev/null
cap_start "$A" traceroute-ttl.pcap -i "$VA" 'not arp and not dst host ff02::16 and not (icmp6 and icmp6[0] >= 133 and icmp6[0] <= 136)'
in_ns "$A" $TRAFFIC udp 10.78.0.2 33434 'traceroute probe 1' 1
in_ns "$A" $TRAFFIC udp 10.78.0.2 33435 'traceroute probe 2' 2
in_ns "$A" $TRAFFIC syn 10.78.0.2 80 1
in_ns "$A" $TRAFFIC syn 10.78.0.2 80 2
in_ns "$A" ping -c 1 -t 1 -W 1 10.78.0.2 >/dev/null || true
in_ns "$A" $TRAFFIC udp fd78::2 33434 'traceroute6 probe' 1
in_ns "$A" $TRAFFIC syn fd78::2 80 1
cap_stop
in_ns "$B" sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0

# ---------------------------------------------------------------- into captures/
for f in "$WORK"/*.pcap "$WORK"/*.pcapng; do
    install -m 0644 "$f" "$OUT/$(basename "$f")"
done
# A big-endian classic pcap, made from a little-endian recording (the bytes of each packet are
# unchanged, only the file's own headers are swapped).
$PY "$HERE/bigendian.py" "$OUT/ping.pcap" "$OUT/ping-bigendian.pcap"

# ---------------------------------------------------------------- crafted oddities (scapy)
SCAPY_PY=
for cand in "$PY" python3 /usr/bin/python3; do
    if "$cand" -c 'import scapy.all' 2>/dev/null; then SCAPY_PY=$cand; break; fi
done
if [ -n "$SCAPY_PY" ]; then
    "$SCAPY_PY" "$HERE/craft.py" "$OUT/crafted"
else
    echo "record.sh: scapy not found; captures/crafted/ left as it is" >&2
fi

ls -l "$OUT"/*.pcap "$OUT"/*.pcapng
echo "record.sh: done. Now: python3 $HERE/oracle.py"
