#!/usr/bin/env python3
"""tshark's view of every capture, stored so the decoder tests can compare without tshark.

Usage: python3 captures/oracle.py [CAPTURE ...]     (default: every .pcap/.pcapng under captures/)

For each capture FILE (path relative to captures/) it writes
  captures/expected/FILE.ndjson    one JSON object per frame, keys and values as
                                   shared/JSON-FIELDS.md defines them (the NDJSON contract)
  captures/expected/FILE.info.tsv  frame number, Protocol column, Info column (tab-separated)

The fields come from exactly the oracle command of JSON-FIELDS.md (-T fields, header=y,
occurrence=f, separator tab, quote=n, the three -o preferences) with -e for every key of its
table. Standard library only.

Strings: how tshark 4.0 prints them, and how we get the real string back
  * -T fields escapes a tab inside a value as the two characters \\t (so a row stays one line
    of tab-separated columns; newline and CR are treated alike, though no HTTP field can hold
    them: tshark ends the request line at either). A backslash is NOT
    escaped, and other control bytes (ESC, 0x01, DEL ...) are printed raw.
  * dns.qry.name is escaped already by the DNS dissector (the field's own value): \\a \\b \\t
    \\n \\v \\f \\r for those controls, \\ooo (3 octal digits) for other controls and DEL, a
    backslash and a dot inside a label are left as they are.
  * bytes that are not UTF-8 become U+FFFD, one per invalid byte, in both.
  So: every string loses the -T fields escapes; dns.qry.name also loses the dissector's
  escapes. Because a literal backslash is not escaped, -T fields is ambiguous (a request
  target holding a backslash and a "t" prints exactly like one holding a tab), so the value
  stored is the one from tshark's -T ek (JSON) output, which has no fields-level escaping;
  -T fields decides presence, and the two must agree wherever the raw text has no backslash.
  The DNS dissector's own escaping stays ambiguous for a label holding a literal backslash
  followed by one of those letters or 3 octal digits (no capture here has one).
"""

import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
EXPECTED = os.path.join(HERE, "expected")

PREFS = ["-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE", "-o", "tcp.desegment_tcp_streams:FALSE"]

# Every key of JSON-FIELDS.md's per-field table, in its order, with its conversion.
FIELDS = [
    ("frame.number", "int"), ("frame.len", "int"), ("frame.cap_len", "int"),
    ("eth.src", "str"), ("eth.dst", "str"), ("eth.type", "int"), ("vlan.id", "int"),
    ("arp.opcode", "int"), ("arp.src.hw_mac", "str"), ("arp.src.proto_ipv4", "str"),
    ("arp.dst.hw_mac", "str"), ("arp.dst.proto_ipv4", "str"),
    ("ip.version", "int"), ("ip.hdr_len", "int"), ("ip.len", "int"), ("ip.id", "int"),
    ("ip.ttl", "int"), ("ip.proto", "int"), ("ip.src", "str"), ("ip.dst", "str"),
    ("ip.checksum", "int"), ("ip.flags.df", "bool"), ("ip.flags.mf", "bool"),
    ("ip.frag_offset", "frag"),
    ("ipv6.src", "str"), ("ipv6.dst", "str"), ("ipv6.nxt", "int"), ("ipv6.hlim", "int"),
    ("ipv6.plen", "int"),
    ("icmp.type", "int"), ("icmp.code", "int"), ("icmpv6.type", "int"), ("icmpv6.code", "int"),
    ("tcp.srcport", "int"), ("tcp.dstport", "int"), ("tcp.seq_raw", "int"), ("tcp.ack_raw", "int"),
    ("tcp.flags", "int"), ("tcp.window_size_value", "int"), ("tcp.len", "int"),
    ("udp.srcport", "int"), ("udp.dstport", "int"), ("udp.length", "int"),
    ("dns.id", "int"), ("dns.flags.response", "bool"), ("dns.qry.name", "dnsname"),
    ("dns.qry.type", "int"),
    ("http.request.method", "text"), ("http.request.uri", "text"), ("http.response.code", "int"),
]
STRING_KINDS = ("text", "dnsname")

FIELDS_LEVEL = {"t": "\t", "n": "\n", "r": "\r"}
DISSECTOR_LEVEL = {"a": "\a", "b": "\b", "t": "\t", "n": "\n", "v": "\v", "f": "\f", "r": "\r"}


class OracleError(Exception):
    pass


def unescape_fields(s):
    """Undoes -T fields' own escaping of tab, newline and CR."""
    return re.sub(r"\\([tnr])", lambda m: FIELDS_LEVEL[m.group(1)], s)


def unescape_dns(s):
    """Undoes the DNS dissector's format_text() escaping: C escapes and \\ooo octal."""
    def one(m):
        g = m.group(1)
        if g in DISSECTOR_LEVEL:
            return DISSECTOR_LEVEL[g]
        return chr(int(g, 8))
    return re.sub(r"\\([abtnvfr]|[0-3][0-7]{2})", one, s)


def convert(key, kind, raw):
    """One tshark column → the JSON value JSON-FIELDS.md defines."""
    if kind in ("int", "frag", "bool") and "," in raw:
        raise OracleError(f"{key} has several values ({raw!r}) despite occurrence=f")
    if kind == "int":
        return int(raw, 0)  # decimal, or 0x... for eth.type, ip.id, ip.checksum, tcp.flags, dns.id
    if kind == "frag":
        return int(raw, 0) * 8  # -T fields prints the 13-bit field in 8-byte units
    if kind == "bool":
        v = {"1": True, "0": False, "true": True, "false": False}.get(raw.lower())
        if v is None:
            raise OracleError(f"{key}: {raw!r} is not a boolean")
        return v
    if kind == "text":
        return unescape_fields(raw)
    if kind == "dnsname":
        return unescape_dns(raw)  # the fields-level escapes are a subset of these
    return raw


def tshark(args):
    proc = subprocess.run(["tshark"] + args, capture_output=True)
    if proc.returncode != 0:
        raise OracleError(f"tshark {' '.join(args)} failed: {proc.stderr.decode(errors='replace')}")
    return proc.stdout.decode("utf-8")


def fields_rows(path):
    """The oracle command of JSON-FIELDS.md, row by row, as dicts of raw column text."""
    args = ["-r", path, "-n"] + PREFS + ["-T", "fields", "-E", "header=y", "-E", "separator=/t",
                                         "-E", "occurrence=f", "-E", "quote=n"]
    for key, _ in FIELDS:
        args += ["-e", key]
    out = tshark(args)
    lines = out.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    header = lines[0].split("\t")
    if header != [k for k, _ in FIELDS]:
        raise OracleError(f"unexpected header {header}")
    rows = []
    for line in lines[1:]:
        cols = line.split("\t")
        if len(cols) != len(header):
            raise OracleError(f"{path}: a row has {len(cols)} columns, not {len(header)}: {line!r}")
        rows.append(dict(zip(header, cols)))
    return rows


def ek_strings(path):
    """String fields from -T ek (JSON, no fields-level escaping), first occurrence, per frame."""
    args = ["-r", path, "-n"] + PREFS + ["-T", "ek"]
    for key, kind in FIELDS:
        if kind in STRING_KINDS:
            args += ["-e", key]
    frames = []
    for line in tshark(args).splitlines():
        obj = json.loads(line)
        if "index" in obj:
            continue
        layers = obj.get("layers", {})
        frames.append({k: layers[k.replace(".", "_")][0] for k, kind in FIELDS
                       if kind in STRING_KINDS and k.replace(".", "_") in layers})
    return frames


def info_rows(path):
    args = ["-r", path, "-n"] + PREFS + ["-T", "fields", "-E", "separator=/t", "-E", "quote=n",
                                         "-E", "occurrence=f", "-e", "frame.number",
                                         "-e", "_ws.col.Protocol", "-e", "_ws.col.Info"]
    return [line for line in tshark(args).split("\n") if line]


def frames_of(path):
    rows = fields_rows(path)
    ek = ek_strings(path)
    if len(ek) != len(rows):
        raise OracleError(f"{path}: -T ek gave {len(ek)} frames, -T fields {len(rows)}")
    out = []
    for row, strings in zip(rows, ek):
        obj = {}
        for key, kind in FIELDS:
            raw = row[key]
            if raw == "":
                continue  # an empty column: tshark has no such field in this frame
            obj[key] = convert(key, kind, raw)
            if kind in STRING_KINDS:
                # -T ek has the value without the fields-level escaping, so it is exact where
                # -T fields is ambiguous (a backslash followed by "t" prints like a tab).
                exact = strings.get(key)
                if exact is None:
                    raise OracleError(f"{path} frame {row['frame.number']}: {key} missing from -T ek")
                if kind == "dnsname":
                    exact = unescape_dns(exact)
                if exact != obj[key] and "\\" not in raw:
                    raise OracleError(f"{path} frame {row['frame.number']}: {key} from -T fields "
                                      f"{obj[key]!r} differs from -T ek {exact!r}")
                obj[key] = exact
        out.append(obj)
    return out


def captures(args):
    if args:
        return [os.path.relpath(os.path.abspath(a), HERE) for a in args]
    found = []
    for root, dirs, files in os.walk(HERE):
        dirs[:] = sorted(d for d in dirs if d != "expected" and not d.startswith("."))
        for f in sorted(files):
            if f.endswith((".pcap", ".pcapng")):
                found.append(os.path.relpath(os.path.join(root, f), HERE))
    return found


def main():
    version = tshark(["--version"]).splitlines()[0]
    if " 4.0." not in version:
        print(f"oracle.py: warning: the contract is checked against tshark 4.0, this is: {version}", file=sys.stderr)
    malformed = []
    for rel in captures(sys.argv[1:]):
        path = os.path.join(HERE, rel)
        frames = frames_of(path)
        infos = info_rows(path)
        if len(infos) != len(frames):
            raise OracleError(f"{rel}: {len(infos)} Info rows for {len(frames)} frames")
        dest = os.path.join(EXPECTED, rel)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with open(dest + ".ndjson", "w", encoding="utf-8") as f:
            for obj in frames:
                f.write(json.dumps(obj, ensure_ascii=False) + "\n")
        with open(dest + ".info.tsv", "w", encoding="utf-8") as f:
            f.write("frame.number\tprotocol\tinfo\n")
            for line in infos:
                f.write(line + "\n")
        for line in infos:
            if "Malformed" in line:
                malformed.append(f"{rel} frame {line.split(chr(9), 1)[0]}")
        print(f"{rel}: {len(frames)} frames")
    if malformed:
        print("frames tshark calls Malformed:", *malformed, sep="\n  ")


if __name__ == "__main__":
    try:
        main()
    except OracleError as e:
        sys.exit(f"oracle.py: {e}")
