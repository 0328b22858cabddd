#!/usr/bin/env bash
# netlayers against tcpdump and tshark on the same capture, in the same run: wall time, the
# ratio to netlayers, and peak memory (max RSS), for each job the tools share.
#
# Usage: bash benches/run.sh [SIZE_MB]      (default 200; from anywhere)
#
# The capture is generated (benches/gen_capture.rs: deterministic, realistic mixed traffic) into
# $TMPDIR and not kept in the repository. tcpdump and tshark are timed when installed. Each job
# runs once after a warm-up read of the file (so every tool reads from the page cache).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${1:-200}
TMP=${TMPDIR:-/tmp}
CAP="$TMP/netlayers-bench-$SIZE.pcap"
cargo build --release --quiet --bin netlayers --example gen_capture
NL=target/release/netlayers
[ -s "$CAP" ] || target/release/examples/gen_capture "$CAP" "$SIZE"
cat "$CAP" > /dev/null
FIELDS=(frame.number frame.len eth.src eth.dst eth.type ip.src ip.dst ip.proto ip.ttl ip.len ip.id
        ipv6.src ipv6.dst tcp.srcport tcp.dstport tcp.seq_raw tcp.ack_raw tcp.flags tcp.len
        tcp.window_size_value udp.srcport udp.dstport udp.length icmp.type icmp.code
        dns.id dns.qry.name http.request.method http.request.uri arp.opcode)
EF=(); for f in "${FIELDS[@]}"; do EF+=(-e "$f"); done   # the same -e list for both tools

# run NAME CMD... : prints seconds and peak KiB
run() {
    local name=$1; shift
    local t="$TMP/netlayers-bench-time.$$"
    /usr/bin/time -o "$t" -f '%e %M' "$@" > /dev/null 2>/dev/null || true
    printf '%s\t%s\n' "$name" "$(tail -1 "$t")"
    rm -f "$t"
}

echo "capture: $CAP ($(du -m "$CAP" | cut -f1) MB, $(nproc) cores, $(uname -m))"
{
    run "netlayers read"                "$NL" read "$CAP"
    command -v tcpdump >/dev/null && run "tcpdump -nn -r"  tcpdump -nn -r "$CAP"
    command -v tshark  >/dev/null && run "tshark -n -r"    tshark -n -r "$CAP"
    run "netlayers read -e (${#FIELDS[@]} fields)" "$NL" read "$CAP" "${EF[@]}"
    command -v tshark  >/dev/null && run "tshark -T fields (${#FIELDS[@]} fields)" tshark -n -r "$CAP" -T fields "${EF[@]}"
    run "netlayers read --format json (all)" "$NL" read "$CAP" --format json
    run "netlayers stats"               "$NL" stats "$CAP"
    command -v tshark  >/dev/null && run "tshark -q -z io,phs -z conv,tcp" tshark -n -r "$CAP" -q -z io,phs -z conv,tcp
} | awk -F'\t' -v mb="$(du -m "$CAP" | cut -f1)" '
    { split($2, a, " "); name[NR] = $1; t[NR] = a[1]; m[NR] = a[2] }
    END {
        printf "%-36s %8s %7s %9s  %s\n", "job", "seconds", "MB/s", "peak MiB", "netlayers compared (same job, same file)"
        base = 0
        for (i = 1; i <= NR; i++) {
            cmp = ""
            if (name[i] ~ /^netlayers/) { base = t[i]; cmp = "-" }
            else if (base > 0 && t[i] > 0) {
                r = t[i] / base
                cmp = (r >= 1) ? sprintf("netlayers %.1fx faster", r) : sprintf("netlayers %.1fx slower", 1 / r)
            }
            printf "%-36s %8.2f %7.0f %9.1f  %s\n", name[i], t[i], (t[i] > 0 ? mb / t[i] : 0), m[i] / 1024, cmp
        }
    }'
