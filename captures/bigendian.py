#!/usr/bin/env python3
"""Rewrites a classic pcap file in big-endian byte order: usage bigendian.py IN OUT.

A pcap file is written in the byte order of the machine that captured it; a reader knows
which from the magic number (a1 b2 c3 d4 or d4 c3 b2 a1 on disk). Only the file's own
headers change: the 24-byte global header and each 16-byte record header. Packet bytes are
network data and are copied unchanged. Works for microsecond (a1b2c3d4) and nanosecond
(a1b23c4d) files. Standard library only.
"""

import struct
import sys

MAGICS = {0xA1B2C3D4, 0xA1B23C4D}


def convert(data):
    magic_le = struct.unpack_from("<I", data, 0)[0]
    magic_be = struct.unpack_from(">I", data, 0)[0]
    if magic_le in MAGICS:
        src = "<"
    elif magic_be in MAGICS:
        src = ">"
    else:
        raise SystemExit("not a classic pcap file")
    # magic, version major, minor, thiszone, sigfigs, snaplen, linktype (FCS bits included)
    hdr = struct.unpack_from(src + "IHHiIII", data, 0)
    out = [struct.pack(">IHHiIII", *hdr)]
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack_from(src + "IIII", data, off)
        off += 16
        body = data[off:off + incl]
        if len(body) != incl:
            raise SystemExit(f"record at {off - 16} runs past the end of the file")
        out.append(struct.pack(">IIII", sec, frac, incl, orig))
        out.append(body)
        off += incl
    if off != len(data):
        raise SystemExit(f"{len(data) - off} stray bytes at the end of the file")
    return b"".join(out)


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    with open(sys.argv[1], "rb") as f:
        data = f.read()
    with open(sys.argv[2], "wb") as f:
        f.write(convert(data))


if __name__ == "__main__":
    main()
