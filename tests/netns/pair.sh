#!/usr/bin/env bash
# Two network namespaces joined by a veth pair, for trying the live commands by hand and for the
# outputs in docs/capture.md. Needs root. Touches nothing outside the two namespaces it names.
#
#   tests/netns/pair.sh up   [PREFIX]   # PREFIX-a: nl0 10.77.0.1/24 fd77::1/64, PREFIX-b: nl1 10.77.0.2/24 fd77::2/64
#   tests/netns/pair.sh down [PREFIX]   # deletes both namespaces (and the veth pair with them)
#
#   sudo ip netns exec PREFIX-a netlayers arping -i nl0 10.77.0.2
set -euo pipefail
cmd=${1:-}
p=${2:-nldemo}
a="$p-a" b="$p-b"
case "$cmd" in
  up)
    ip netns add "$a"
    ip netns add "$b"
    ip link add nl0 netns "$a" type veth peer name nl1 netns "$b"
    ip -n "$a" link set nl0 address 02:77:00:00:00:01
    ip -n "$b" link set nl1 address 02:77:00:00:00:02
    ip -n "$a" addr add 10.77.0.1/24 dev nl0
    ip -n "$b" addr add 10.77.0.2/24 dev nl1
    ip -n "$a" addr add fd77::1/64 dev nl0 nodad
    ip -n "$b" addr add fd77::2/64 dev nl1 nodad
    for ns in "$a" "$b"; do ip -n "$ns" link set lo up; done
    ip -n "$a" link set nl0 up
    ip -n "$b" link set nl1 up
    echo "up: $a (nl0 10.77.0.1 fd77::1 02:77:00:00:00:01) <-> $b (nl1 10.77.0.2 fd77::2 02:77:00:00:00:02)"
    ;;
  down)
    ip netns del "$a" 2>/dev/null || true
    ip netns del "$b" 2>/dev/null || true
    ;;
  *)
    echo "usage: $0 up|down [PREFIX]" >&2
    exit 2
    ;;
esac
