#!/usr/bin/env python3
"""tshark's value of every field of some protocols, frame by frame, for tests that compare whole
layers rather than the NDJSON contract's short list of keys.

Usage: python3 captures/layer_fields.py CAPTURE PROTO [PROTO ...]
  e.g. python3 captures/layer_fields.py captures/crafted/llc-stp.pcap llc stp

Writes captures/expected/CAPTURE.fields.tsv (CAPTURE relative to captures/): a first line, starting
with #, that records the command, then one row per field: frame number, key, value as JSON. Rows
follow the protocol tree's order; a key appears once per frame, at its first occurrence (as
`-E occurrence=f` and the NDJSON contract pick it). A field belongs to PROTO when its key is PROTO
or starts with PROTO and a dot.

Values come from `tshark -T json` (same preferences as oracle.py) and are converted by the field's
type in `tshark -G fields`, as shared/JSON-FIELDS.md converts them: integers (hex or decimal) →
numbers, FT_BOOLEAN → true/false, FT_ETHER → "aa:bb:cc:dd:ee:ff", FT_DOUBLE → a number,
FT_NONE (an expert item such as stp.type.unknown) → true, FT_BYTES → hex without separators,
strings as they are. Standard library only.
"""

import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
EXPECTED = os.path.join(HERE, "expected")
PREFS = ["-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE", "-o", "tcp.desegment_tcp_streams:FALSE"]
INTEGER_TYPES = {"FT_UINT8", "FT_UINT16", "FT_UINT24", "FT_UINT32", "FT_UINT40", "FT_UINT48", "FT_UINT56",
                 "FT_UINT64", "FT_INT8", "FT_INT16", "FT_INT24", "FT_INT32", "FT_INT64", "FT_FRAMENUM"}


def tshark(args):
    proc = subprocess.run(["tshark"] + args, capture_output=True)
    if proc.returncode != 0:
        raise SystemExit(f"tshark {' '.join(args)} failed: {proc.stderr.decode(errors='replace')}")
    return proc.stdout.decode("utf-8")


def field_types():
    """abbrev → FT_ type, from tshark's field registry."""
    types = {}
    for line in tshark(["-G", "fields"]).splitlines():
        cols = line.split("\t")
        if len(cols) >= 4 and cols[0] == "F":
            types[cols[2]] = cols[3]
    return types


def convert(key, ftype, raw):
    if ftype in INTEGER_TYPES:
        return int(raw, 16) if raw.lower().startswith("0x") else int(raw)
    if ftype == "FT_BOOLEAN":
        if raw not in ("0", "1"):
            raise SystemExit(f"{key}: {raw!r} is not a boolean")
        return raw == "1"
    if ftype in ("FT_DOUBLE", "FT_FLOAT"):
        v = float(raw)
        return int(v) if v.is_integer() else v
    if ftype == "FT_NONE":
        return True
    if ftype == "FT_BYTES":
        return raw.replace(":", "")
    return raw


def walk(pairs, protos, types, out, seen):
    """Tree order, depth first; subtrees are objects (a field's `_tree`, or a text item)."""
    for key, value in pairs:
        if isinstance(value, list) and value and isinstance(value[0], tuple):
            walk(value, protos, types, out, seen)
            continue
        if key.split(".")[0] not in protos or key in seen or key not in types:
            continue
        if isinstance(value, list):  # a repeated field: -T json lists its values
            value = value[0]
        seen.add(key)
        out.append((key, convert(key, types[key], value)))


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    path, protos = sys.argv[1], set(sys.argv[2:])
    rel = os.path.relpath(os.path.abspath(path), HERE)
    types = field_types()
    text = tshark(["-r", path, "-n"] + PREFS + ["-T", "json"])
    # object_pairs_hook keeps the tree order and any key that occurs twice in one object.
    packets = json.loads(text, object_pairs_hook=lambda p: p)
    dest = os.path.join(EXPECTED, rel + ".fields.tsv")
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    rows = 0
    with open(dest, "w", encoding="utf-8") as f:
        f.write(f"# python3 captures/layer_fields.py captures/{rel} {' '.join(sys.argv[2:])}"
                " (tshark -T json, first occurrence; frame, key, JSON value)\n")
        for number, packet in enumerate(packets, 1):
            layers = dict(dict(packet)["_source"])["layers"]
            out = []
            walk(layers, protos, types, out, set())
            for key, value in out:
                f.write(f"{number}\t{key}\t{json.dumps(value)}\n")
                rows += 1
    print(f"{rel}: {len(packets)} frames, {rows} fields of {' '.join(sorted(protos))}")


if __name__ == "__main__":
    main()
