#!/usr/bin/env bash
# tshark 4.0's answers for tests/filter.rs, stored so the tests need no tshark:
#   expected/filters.tsv  capture <TAB> expression <TAB> matching frame numbers (space-separated)
#   expected/streams.tsv  capture <TAB> frame <TAB> tcp.stream <TAB> udp.stream (comma-separated
#                         when a frame has several, e.g. a TCP header quoted in an ICMP error)
# Reassembly is off, as netlayers shows each frame's own fields. Expressions: filter-exprs.txt.
# Run from anywhere: bash captures/filters.sh (makes the crafted captures in filter/ if missing).
# With capture names (relative to captures/), only their rows are (re)computed and the others
# kept: bash captures/filters.sh crafted/new.pcap
set -euo pipefail
cd "$(dirname "$0")"
shopt -s nullglob
OPTS=(-n -o ip.defragment:FALSE -o ipv6.defragment:FALSE -o tcp.desegment_tcp_streams:FALSE)
PY=${PYTHON:-python3}
if [ ! -e filter/basic.pcap ]; then
    for cand in "$PY" python3 /usr/bin/python3; do
        if "$cand" -c 'import scapy' 2>/dev/null; then "$cand" filter/make.py filter; break; fi
    done
fi
mkdir -p expected
if [ $# -gt 0 ]; then
    caps=("$@")
    # Keep the other captures' rows; the given ones are appended below.
    keep() { awk -F'\t' -v list="$*" 'BEGIN { n = split(list, a, " "); for (i = 1; i <= n; i++) skip[a[i]] = 1 } !($1 in skip)' "$1"; }
    old_filters=$(keep expected/filters.tsv "${caps[@]}")
    old_streams=$(keep expected/streams.tsv "${caps[@]}")
else
    caps=(*.pcap *.pcapng crafted/*.pcap crafted/*.pcapng filter/*.pcap)
    old_filters="" old_streams=""
fi
mapfile -t exprs < <(grep -v '^[[:space:]]*\(#\|$\)' filter-exprs.txt)
{
    [ -n "$old_filters" ] && printf '%s\n' "$old_filters"
    for c in "${caps[@]}"; do
        for e in "${exprs[@]}"; do
            if nums=$(tshark "${OPTS[@]}" -r "$c" -Y "$e" -T fields -e frame.number 2>/dev/null); then
                printf '%s\t%s\t%s\n' "$c" "$e" "$(printf '%s' "$nums" | paste -sd' ')"
            else
                echo "filters.sh: tshark rejects \"$e\" on $c" >&2
            fi
        done
    done
} > expected/filters.tsv.new
{
    [ -n "$old_streams" ] && printf '%s\n' "$old_streams"
    for c in "${caps[@]}"; do
        tshark "${OPTS[@]}" -r "$c" -T fields -e frame.number -e tcp.stream -e udp.stream 2>/dev/null \
            | awk -v c="$c" -F'\t' '{ printf "%s\t%s\t%s\t%s\n", c, $1, $2, $3 }'
    done
} > expected/streams.tsv.new
mv expected/filters.tsv.new expected/filters.tsv
mv expected/streams.tsv.new expected/streams.tsv
echo "filters.sh: $(wc -l < expected/filters.tsv) filter results, $(wc -l < expected/streams.tsv) frames' streams, ${#caps[@]} captures done"
