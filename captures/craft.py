#!/usr/bin/env python3
"""Writes the crafted captures in captures/crafted/: oddities a quiet test network never shows.

Usage: craft.py OUTDIR    (needs scapy; record.sh calls it)

scapy builds the packet bytes (and fills lengths and checksums unless a test wants them
wrong); a small writer below puts them in classic little-endian pcap files, with fixed
timestamps so that running this again gives byte-identical files, and with the original
length kept apart from the captured length, which is how a snaplen cut looks on disk.
"""

import os
import struct
import sys

from scapy.all import (
    ARP, DNS, DNSQR, DNSRR, ICMP, Dot3, IP, LLC, SNAP, STP, TCP, UDP, Dot1AD, Dot1Q, Ether, ICMPv6DestUnreach,
    ICMPv6EchoReply, ICMPv6EchoRequest, ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6ND_RA, ICMPv6ND_RS, ICMPv6NDOptMTU,
    ICMPv6NDOptPrefixInfo, ICMPv6NDOptRDNSS, ICMPv6NDOptSrcLLAddr, ICMPv6NDOptDstLLAddr,
    ICMPv6PacketTooBig, ICMPv6TimeExceeded, IPOption_NOP, IPOption_Router_Alert, IPOption_RR,
    IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, PadN,
    RouterAlert, ICMPv6MLReport2, ICMPv6MLDMultAddrRec, DNSRRSRV,
)
from scapy.contrib.igmp import IGMP
from scapy.contrib.igmpv3 import IGMPv3, IGMPv3gr, IGMPv3mq, IGMPv3mr

MAC_A, MAC_B = "02:77:00:00:00:01", "02:77:00:00:00:02"
IP_A, IP_B = "10.77.0.1", "10.77.0.2"
IP6_A, IP6_B = "fd77::1", "fd77::2"
BASE_TIME = 1704067200  # 2024-01-01T00:00:00Z: fixed, so the files do not change between runs

LINKTYPE_NULL, LINKTYPE_ETHERNET, LINKTYPE_RAW, LINKTYPE_LOOP = 0, 1, 101, 108
LINKTYPE_IPV4, LINKTYPE_IPV6 = 228, 229


def eth(*layers, src=MAC_A, dst=MAC_B):
    pkt = Ether(src=src, dst=dst)
    for layer in layers:
        pkt = pkt / layer
    return pkt


def ab():
    return IP(src=IP_A, dst=IP_B, id=0x1234, flags="DF")


def ba():
    return IP(src=IP_B, dst=IP_A, id=0x4321, flags="DF")


def write_pcap(path, linktype, frames):
    """frames: bytes, or (bytes, original length) when the snaplen cut the frame short."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, linktype))
        for i, fr in enumerate(frames):
            data, orig = fr if isinstance(fr, tuple) else (fr, None)
            data = bytes(data)
            f.write(struct.pack("<IIII", BASE_TIME + i // 100, (i % 100) * 10000, len(data),
                                orig if orig is not None else len(data)))
            f.write(data)


def cut(pkt, n):
    """The first n bytes of a frame, as a snaplen of n would have recorded it."""
    b = bytes(pkt)
    return (b[:n], len(b))


def with_bytes(pkt, offset, value):
    """The frame with some bytes replaced (for header fields scapy would otherwise fix up)."""
    b = bytearray(bytes(pkt))
    b[offset:offset + len(value)] = value
    return bytes(b)


# ------------------------------------------------------------------ link layer

def vlan():
    return [
        # VID 100, priority 5 (voice): one ordinary tagged frame
        eth(Dot1Q(prio=5, vlan=100), ab(), ICMP(id=7, seq=1) / b"tagged ping"),
        # priority-tagged: VID 0 means "no VLAN, only a priority"
        eth(Dot1Q(prio=6, vlan=0), ab(), UDP(sport=40000, dport=9) / b"priority only"),
        # DEI set, highest usable VID, ARP inside the tag
        eth(Dot1Q(prio=0, id=1, vlan=4094),
            ARP(op=1, hwsrc=MAC_A, psrc=IP_A, hwdst="00:00:00:00:00:00", pdst=IP_B), dst="ff:ff:ff:ff:ff:ff"),
    ]


def vlan_double():
    # Two 802.1Q tags (the old "Q-in-Q" with TPID 0x8100 twice): outer 100, inner 200.
    return [eth(Dot1Q(vlan=100, type=0x8100), Dot1Q(vlan=200), ab(), UDP(sport=40001, dport=9) / b"double tagged")]


def vlan_qinq():
    # 802.1ad: service tag (TPID 0x88a8, VID 300) then customer tag (0x8100, VID 200).
    return [Ether(src=MAC_A, dst=MAC_B, type=0x88A8) / Dot1AD(vlan=300, type=0x8100) / Dot1Q(vlan=200)
            / ab() / ICMP(id=8, seq=1) / b"S-tag then C-tag"]


def ethernet_padding():
    # Ethernet's minimum frame is 60 bytes (64 with FCS): short packets are padded, and the
    # padding (here not even zeros) must not be read as payload.
    arp = bytes(eth(ARP(op=1, hwsrc=MAC_A, psrc=IP_A, pdst=IP_B), dst="ff:ff:ff:ff:ff:ff"))
    ack = bytes(eth(ab(), TCP(sport=40002, dport=80, flags="A", seq=1000, ack=2000, window=502)))
    return [arp + b"\xaa" * (60 - len(arp)), ack + b"PADDING!!!"[: 60 - len(ack)]]


def unknown_ethertype():
    return [
        Ether(src=MAC_A, dst=MAC_B, type=0x88B5) / b"local experimental EtherType 1, payload is opaque",
        Ether(src=MAC_A, dst=MAC_B, type=0x88B6) / b"local experimental EtherType 2",
    ]


def ieee8023_llc():
    # The 13th-14th bytes are a LENGTH (< 0x0600), not an EtherType: 802.3 + 802.2 LLC.
    stp = Dot3(src=MAC_A, dst="01:80:c2:00:00:00") / LLC(dsap=0x42, ssap=0x42, ctrl=3) / STP(
        rootid=32768, rootmac=MAC_A, bridgeid=32768, bridgemac=MAC_A, portid=0x8001)
    test = Dot3(src=MAC_A, dst=MAC_B) / LLC(dsap=0x00, ssap=0x00, ctrl=0xF3) / b"LLC TEST frame"
    # padded to the 60-byte minimum, as a switch sends them: the length field says where the
    # LLC data ends
    return [bytes(f) + b"\x00" * (60 - len(bytes(f))) for f in (stp, test)]


def llc_stp():
    # 802.3 frames whose length field hands the payload to IEEE 802.2 LLC, and the Spanning
    # Tree BPDUs switches exchange in them (DSAP 0x42), next to LLC's other frame formats and SNAP.
    bridges = "01:80:c2:00:00:00"

    def dot3(llc, dst=MAC_B):
        return Dot3(src=MAC_A, dst=dst) / llc

    def bpdu(**kw):
        return STP(rootid=4096 + 1, rootmac="02:77:00:00:00:0a", pathcost=19, bridgeid=32768 + 1,
                   bridgemac=MAC_A, portid=0x8002, **kw)
    conf = LLC(dsap=0x42, ssap=0x42, ctrl=3) / bpdu(bpduflags=0x81)  # topology change + its ack
    # RSTP: version 2, type 2, flags with the port role (designated), forwarding, learning and
    # TC, then the Version 1 Length byte scapy's STP does not have
    rstp = LLC(dsap=0x42, ssap=0x42, ctrl=3) / bpdu(version=2, bpdutype=2, bpduflags=0x3d) / b"\x00"
    tcn = LLC(dsap=0x42, ssap=0x42, ctrl=3) / b"\x00\x00\x00\x80"  # protocol 0, version 0, type 0x80
    unknown_type = LLC(dsap=0x42, ssap=0x42, ctrl=3) / (b"\x00\x00\x00\x55" + b"\x00" * 31)
    frames = [
        dot3(conf, bridges),
        dot3(rstp, bridges),
        dot3(tcn, bridges),
        # an 802.1Q tag whose type field is an 802.3 length: LLC follows the tag
        Ether(src=MAC_A, dst=bridges) / Dot1Q(vlan=100, type=3 + 35) / LLC(dsap=0x42, ssap=0x42, ctrl=3) / bpdu(),
        # TEST response (SSAP C/R bit set) with the Final bit, echoing data
        dot3(LLC(dsap=0x00, ssap=0x01, ctrl=0xF3) / b"LLC TEST reply"),
        # I-frame (2-byte control, little-endian: N(S)=5, N(R)=3, Poll) to a SAP with no decoder
        dot3(LLC(dsap=0x18, ssap=0x18, ctrl=0x0A) / b"\x07" / b"I-frame payload"),
        # S-frame Receiver Ready, N(R)=5, Poll, no data
        dot3(LLC(dsap=0x18, ssap=0x18, ctrl=0x01) / b"\x0b"),
        # SNAP with OUI 0: the PID is an EtherType, here IPv4
        dot3(LLC(dsap=0xAA, ssap=0xAA, ctrl=3) / SNAP(OUI=0, code=0x0800)
             / IP(src=IP_A, dst=IP_B, id=0x5a5a) / ICMP(id=0x11, seq=1) / b"ping in SNAP"),
        # SNAP with the IEEE 802.1 OUI: PID 0x000e is a BPDU
        dot3(LLC(dsap=0xAA, ssap=0xAA, ctrl=3) / SNAP(OUI=0x0080C2, code=0x000E) / b"\x00\x00\x00\x80"),
        # SNAP with an OUI no one registered: the PID means nothing to us
        dot3(LLC(dsap=0xAA, ssap=0xAA, ctrl=3) / SNAP(OUI=0x0277AA, code=0x1234) / b"private protocol"),
        dot3(unknown_type, bridges),
    ]
    frames = [bytes(f) + b"\x00" * (60 - len(bytes(f))) for f in frames]
    # a configuration BPDU cut by the snaplen inside its timers (after the hello time)
    return frames + [cut(dot3(conf, bridges) / (b"\x00" * 8), 14 + 3 + 33)]


# ------------------------------------------------------------------ IPv4

def ipv4_options():
    return [
        # Record Route with room for 3 addresses, one already filled in
        eth(IP(src=IP_A, dst=IP_B, id=0x2001, options=[IPOption_RR(pointer=8, routers=[IP_A, "0.0.0.0", "0.0.0.0"])]),
            ICMP(id=9, seq=1) / b"record route"),
        # Router Alert (as IGMP and RSVP use it), padded to a 4-byte boundary with NOPs
        eth(IP(src=IP_A, dst=IP_B, id=0x2002, options=[IPOption_Router_Alert(), IPOption_NOP(), IPOption_NOP(),
                                                        IPOption_NOP(), IPOption_NOP()]),
            UDP(sport=40003, dport=9) / b"router alert"),
    ]


def ihl_short():
    base = eth(IP(src=IP_A, dst=IP_B, id=0x2003), UDP(sport=40004, dport=9) / b"bad ihl")
    return [
        with_bytes(base, 14, b"\x44"),  # IHL 4: a header of 16 bytes, shorter than the fixed part
        with_bytes(base, 14, b"\x40"),  # IHL 0
    ]


def lengths_too_big():
    f1 = eth(IP(src=IP_A, dst=IP_B, id=0x2004, len=1500), UDP(sport=40005, dport=9) / b"ip.len says 1500")
    f2 = eth(ab(), UDP(sport=40006, dport=9, len=200) / b"udp.length says 200")
    # ip.len smaller than the header: impossible, tshark stops after a few fields
    f3 = with_bytes(eth(IP(src=IP_A, dst=IP_B, id=0x2005), UDP(sport=40007, dport=9) / b"ip.len 10"), 16, b"\x00\x0a")
    # udp.length smaller than its own 8-byte header
    f4 = eth(ab(), UDP(sport=40008, dport=9, len=4) / b"udp.length 4")
    return [f1, f2, f3, f4]


def bad_checksums():
    return [
        eth(IP(src=IP_A, dst=IP_B, id=0x2006, chksum=0xDEAD), ICMP(id=10, seq=1) / b"bad ip checksum"),
        eth(ab(), TCP(sport=40009, dport=80, flags="S", seq=1, chksum=0xBEEF)),
        eth(ab(), UDP(sport=40010, dport=9, chksum=0x1234) / b"bad udp checksum"),
        eth(ab(), ICMP(id=11, seq=1, chksum=0x0BAD) / b"bad icmp checksum"),
        eth(ab(), UDP(sport=40011, dport=9, chksum=0) / b"udp checksum 0: not computed (allowed in IPv4)"),
        eth(IPv6(src=IP6_A, dst=IP6_B), UDP(sport=40012, dport=9, chksum=0x4321) / b"bad udp checksum over ipv6"),
        eth(IPv6(src=IP6_A, dst=IP6_B), ICMPv6EchoRequest(id=12, seq=1, cksum=0x5678) / b"bad icmpv6 checksum"),
    ]


def truncated():
    def http_from(sport):  # one flow per cut, so no cut looks like a retransmission of another
        return eth(ab(), TCP(sport=sport, dport=80, flags="PA", seq=5000, ack=6000, window=502)
                   / b"GET /truncated/page.html HTTP/1.1\r\nHost: 10.77.0.2\r\nUser-Agent: craft\r\n\r\n")
    http = http_from(40013)
    udp = eth(ab(), UDP(sport=40014, dport=9) / b"some udp payload that will be cut")
    dns = eth(ab(), UDP(sport=40015, dport=53) / DNS(id=0xCAFE, rd=1, qd=DNSQR(qname="www.example.test", qtype="A")))
    v6 = eth(IPv6(src=IP6_A, dst=IP6_B), UDP(sport=40016, dport=9) / b"ipv6 cut")
    return [
        cut(http, 10),              # shorter than the 14-byte Ethernet header
        (b"\x02\x77\x00\x00\x00\x02\x02\x77\x00\x00", 10),  # a runt: the whole frame is 10 bytes
        cut(http, 14),              # Ethernet header only
        cut(http, 14 + 1),          # one byte of IPv4: version and IHL
        cut(http, 14 + 10),         # inside the IPv4 header (up to TTL and protocol)
        cut(http, 14 + 19),         # inside the IPv4 header, missing the last byte of dst
        cut(v6, 14 + 26),           # inside the IPv6 header: src present, dst not
        cut(v6, 14 + 6),            # inside the IPv6 header, before the addresses
        cut(http, 14 + 20 + 10),    # inside the TCP header: ports and sequence only
        cut(udp, 14 + 20 + 4),      # inside the UDP header: ports only
        cut(dns, 14 + 20 + 8 + 12),  # DNS header whole, question cut
        cut(http_from(40046), 14 + 20 + 20 + 35),  # payload cut right after the request line
        cut(http_from(40047), 14 + 20 + 20 + 10),  # payload cut inside the request line
        cut(udp, 14 + 20 + 8 + 5),  # UDP payload cut
    ]


def icmp_quote_8bytes():
    # RFC 792 asks a router to quote only the IP header and 8 bytes of data: for TCP that is
    # the ports and the sequence number, not the flags.
    syn = IP(src=IP_A, dst="10.78.0.2", id=0x2007, ttl=1, flags="DF") / TCP(sport=40017, dport=80, flags="S", seq=0x11223344)
    syn8 = bytes(syn)[:28]
    dnsq = IP(src=IP_A, dst="10.78.0.2", id=0x2008, ttl=1) / UDP(sport=40018, dport=53) / DNS(id=0xBEEF, qd=DNSQR(qname="www.example.test"))
    dns8 = bytes(dnsq)[:28]
    big = IP(src=IP_A, dst="10.78.0.2", id=0x2009, flags="DF") / TCP(sport=40019, dport=80, flags="PA", seq=7, ack=9) / (b"x" * 1400)
    return [
        eth(IP(src=IP_B, dst=IP_A, id=0x3001), ICMP(type=11, code=0) / syn8, src=MAC_B, dst=MAC_A),
        eth(IP(src=IP_B, dst=IP_A, id=0x3002), ICMP(type=11, code=0) / dns8, src=MAC_B, dst=MAC_A),
        # "fragmentation needed" (code 4) with the next-hop MTU, quoting 8 bytes of TCP
        eth(IP(src=IP_B, dst=IP_A, id=0x3003), ICMP(type=3, code=4, nexthopmtu=1280) / bytes(big)[:28], src=MAC_B, dst=MAC_A),
        # ICMPv6 errors quote as much as fits in 1280 bytes: here a whole TCP header
        eth(IPv6(src=IP6_B, dst=IP6_A), ICMPv6PacketTooBig(mtu=1280)
            / bytes(IPv6(src=IP6_A, dst="fd78::2") / TCP(sport=40020, dport=80, flags="PA", seq=70, ack=90) / (b"y" * 100)),
            src=MAC_B, dst=MAC_A),
        eth(IPv6(src=IP6_B, dst=IP6_A), ICMPv6TimeExceeded(code=0)
            / bytes(IPv6(src=IP6_A, dst="fd78::2", hlim=1) / UDP(sport=40021, dport=53) / DNS(id=0xF00D, qd=DNSQR(qname="www.example.test", qtype="AAAA"))),
            src=MAC_B, dst=MAC_A),
    ]


def icmp_quote_payload():
    # Whole quoted TCP segments with data: tshark hands a quoted payload to the protocol its
    # port names (HTTP, SSH, DNS), or to data on other ports, but shows nothing for bytes on an
    # HTTP port that do not start a message.
    def quoted(seg):
        return eth(IP(src=IP_B, dst=IP_A, id=0x3101), ICMP(type=11, code=0) / bytes(seg), src=MAC_B, dst=MAC_A)
    inner = lambda dport, data: IP(src=IP_A, dst="10.78.0.2", ttl=1) / TCP(sport=40030, dport=dport, flags="PA", seq=1, ack=1) / data
    dns = bytes(DNS(id=0xCAFE, qd=DNSQR(qname="a.example.test")))
    return [
        quoted(inner(80, b"GET /q HTTP/1.1\r\nHost: x\r\n\r\n")),
        quoted(inner(80, b"yyyyyyyyyyyy")),
        quoted(inner(9999, b"yyyyyyyyyyyy")),
        quoted(inner(22, b"SSH-2.0-OpenSSH_9.2\r\n")),
        quoted(inner(53, struct.pack(">H", len(dns)) + dns)),
        eth(IPv6(src=IP6_B, dst=IP6_A), ICMPv6TimeExceeded(code=0)
            / bytes(IPv6(src=IP6_A, dst="fd78::2", hlim=1) / TCP(sport=40031, dport=80, flags="PA") / b"GET /v6 HTTP/1.1\r\n\r\n"),
            src=MAC_B, dst=MAC_A),
    ]


def icmp_echo_dup():
    # Pings whose request or reply was seen twice (two taps, a retransmitting stack): tshark
    # answers the latest request not answered yet, once. ICMPv6 too.
    req = eth(IP(src=IP_A, dst=IP_B, id=0x4001), ICMP(type=8, id=7, seq=1) / (b"p" * 16))
    rep = eth(IP(src=IP_B, dst=IP_A, id=0x4002), ICMP(type=0, id=7, seq=1) / (b"p" * 16), src=MAC_B, dst=MAC_A)
    req6 = eth(IPv6(src=IP6_A, dst=IP6_B), ICMPv6EchoRequest(id=9, seq=3, data=b"q" * 16))
    rep6 = eth(IPv6(src=IP6_B, dst=IP6_A), ICMPv6EchoReply(id=9, seq=3, data=b"q" * 16), src=MAC_B, dst=MAC_A)
    return [req, req, rep, req, rep, rep, req6, req6, rep6, rep6]


def igmp():
    ra = [IPOption_Router_Alert()]
    v3report = IGMPv3(type=0x22) / IGMPv3mr(records=[
        IGMPv3gr(rtype=4, maddr="239.1.2.3"),  # CHANGE_TO_EXCLUDE_MODE {}: join
        IGMPv3gr(rtype=1, maddr="239.4.5.6", srcaddrs=["10.77.0.9", "10.77.0.10"]),  # MODE_IS_INCLUDE
    ])
    return [
        eth(IP(src=IP_B, dst="224.0.0.1", ttl=1, options=ra), IGMP(type=0x11, mrcode=100, gaddr="0.0.0.0"),
            src=MAC_B, dst="01:00:5e:00:00:01"),                               # v2 general query
        eth(IP(src=IP_A, dst="239.1.2.3", ttl=1, options=ra), IGMP(type=0x16, gaddr="239.1.2.3"),
            dst="01:00:5e:01:02:03"),                                         # v2 membership report
        eth(IP(src=IP_A, dst="224.0.0.2", ttl=1, options=ra), IGMP(type=0x17, gaddr="239.1.2.3"),
            dst="01:00:5e:00:00:02"),                                         # v2 leave group
        eth(IP(src=IP_B, dst="224.0.0.1", ttl=1, options=ra), IGMPv3(type=0x11, mrcode=100) / IGMPv3mq(gaddr="0.0.0.0"),
            src=MAC_B, dst="01:00:5e:00:00:01"),                               # v3 general query
        eth(IP(src=IP_A, dst="224.0.0.22", ttl=1, options=ra), v3report, dst="01:00:5e:00:00:16"),  # v3 report
    ]


def ipip():
    inner4 = IP(src="192.168.77.1", dst="192.168.77.2", id=0x5001) / UDP(sport=40022, dport=9) / b"inside IP-in-IP"
    inner6 = IPv6(src="2001:db8:77::1", dst="2001:db8:77::2") / ICMPv6EchoRequest(id=13, seq=1) / b"inside 6in4"
    inner4b = IP(src="192.168.77.1", dst="192.168.77.2", id=0x5002) / ICMP(id=14, seq=1) / b"inside 4in6"
    return [
        eth(IP(src=IP_A, dst=IP_B, id=0x2010, proto=4), inner4),         # IPv4 in IPv4 (proto 4)
        eth(IP(src=IP_A, dst=IP_B, id=0x2011, proto=41), inner6),        # IPv6 in IPv4 (proto 41, 6in4/SIT)
        eth(IPv6(src=IP6_A, dst=IP6_B, nh=4), inner4b),                  # IPv4 in IPv6
    ]


# ------------------------------------------------------------------ IPv6

def ipv6_ext_headers():
    hbh = IPv6ExtHdrHopByHop(options=[RouterAlert(value=0), PadN(optdata=b"\x00\x00")])
    rt = IPv6ExtHdrRouting(type=0, segleft=1, addresses=["fd77::99"])
    dst_opts = IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\x00\x00\x00\x00")])
    return [
        # all four, in RFC 8200 order, then UDP (an "atomic" fragment: offset 0, M=0)
        eth(IPv6(src=IP6_A, dst=IP6_B) / hbh / rt / IPv6ExtHdrFragment(offset=0, m=0, id=0xAB) / dst_opts
            / UDP(sport=40023, dport=9) / b"through four extension headers"),
        # a non-first fragment: no UDP header inside
        eth(IPv6(src=IP6_A, dst=IP6_B) / IPv6ExtHdrFragment(offset=185, m=0, nh=17, id=0xAC) / (b"z" * 40)),
        # destination options then a TCP SYN
        eth(IPv6(src=IP6_A, dst=IP6_B) / dst_opts / TCP(sport=40024, dport=80, flags="S", seq=123)),
        # MLDv2 report: hop-by-hop router alert, then ICMPv6
        eth(IPv6(src="fe80::77:1", dst="ff02::16", hlim=1) / IPv6ExtHdrHopByHop(options=[RouterAlert(value=0), PadN(optdata=b"")])
            / ICMPv6MLReport2(records=[ICMPv6MLDMultAddrRec(rtype=4, dst="ff02::1:ff00:1")]), dst="33:33:00:00:00:16"),
    ]


def icmpv6_ndp():
    ll_a, ll_r = "fe80::77:1", "fe80::77:2"
    return [
        eth(IPv6(src=ll_a, dst="ff02::2", hlim=255) / ICMPv6ND_RS() / ICMPv6NDOptSrcLLAddr(lladdr=MAC_A),
            dst="33:33:00:00:00:02"),
        eth(IPv6(src=ll_r, dst="ff02::1", hlim=255)
            / ICMPv6ND_RA(chlim=64, M=0, O=1, routerlifetime=1800, reachabletime=0, retranstimer=0)
            / ICMPv6NDOptSrcLLAddr(lladdr=MAC_B) / ICMPv6NDOptMTU(mtu=1500)
            / ICMPv6NDOptPrefixInfo(prefixlen=64, L=1, A=1, validlifetime=86400, preferredlifetime=14400, prefix="fd77::")
            / ICMPv6NDOptRDNSS(lifetime=600, dns=["fd77::2"]),
            src=MAC_B, dst="33:33:00:00:00:01"),
        eth(IPv6(src=IP6_A, dst="ff02::1:ff00:2", hlim=255) / ICMPv6ND_NS(tgt=IP6_B) / ICMPv6NDOptSrcLLAddr(lladdr=MAC_A),
            dst="33:33:ff:00:00:02"),
        eth(IPv6(src=IP6_B, dst=IP6_A, hlim=255) / ICMPv6ND_NA(tgt=IP6_B, R=0, S=1, O=1) / ICMPv6NDOptDstLLAddr(lladdr=MAC_B),
            src=MAC_B, dst=MAC_A),
    ]


# ------------------------------------------------------------------ TCP

def tcp_options():
    syn_opts = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (1000001, 0)), ("NOP", None), ("WScale", 7)]
    synack_opts = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (2000001, 1000001)), ("NOP", None), ("WScale", 7)]
    return [
        eth(ab(), TCP(sport=40025, dport=80, flags="S", seq=100, window=64240, options=syn_opts)),
        eth(ba(), TCP(sport=80, dport=40025, flags="SA", seq=900, ack=101, window=65160, options=synack_opts),
            src=MAC_B, dst=MAC_A),
        # a duplicate ACK carrying a SACK block: bytes 2549..4009 arrived, 1101..2549 did not
        eth(ab(), TCP(sport=40025, dport=80, flags="A", seq=101, ack=1101, window=502,
                      options=[("NOP", None), ("NOP", None), ("Timestamp", (1000050, 2000040)),
                               ("NOP", None), ("NOP", None), ("SAck", (2549, 4009))])),
    ]


def tcp_flags():
    return [
        eth(ab(), TCP(sport=40026, dport=80, flags="S", reserved=7, seq=1)),      # reserved bits: 0xe02
        eth(ab(), TCP(sport=40027, dport=80, flags="SEC", seq=2)),                # SYN + ECE + CWR: ECN setup
        eth(ab(), TCP(sport=40028, dport=80, flags="NA", seq=3, ack=4)),           # AE (ex-NS) bit + ACK
        eth(ab(), TCP(sport=40029, dport=80, flags="FSRPAUECN", reserved=7, seq=5, urgptr=1)),  # every bit
        eth(ab(), TCP(sport=40030, dport=80, flags="", seq=6)),                    # no flag at all
        eth(ab(), TCP(sport=40031, dport=80, flags="PAU", seq=7, ack=8, urgptr=3) / b"URGent data"),
    ]


def http_split():
    # Without TCP reassembly, HTTP fields belong to the segment whose payload starts with the
    # request or status line; the rest are continuations.
    c, s = 40032, 80
    seg = []
    def cs(flags, seq, ack, data=b""):
        seg.append(eth(IP(src=IP_A, dst=IP_B, id=0x6000 + len(seg), flags="DF"),
                       TCP(sport=c, dport=s, flags=flags, seq=seq, ack=ack, window=502) / data))
    def sc(flags, seq, ack, data=b""):
        seg.append(eth(IP(src=IP_B, dst=IP_A, id=0x7000 + len(seg), flags="DF"),
                       TCP(sport=s, dport=c, flags=flags, seq=seq, ack=ack, window=509) / data,
                       src=MAC_B, dst=MAC_A))
    req1 = b"GET /split/index.html?lang=zh HTTP/1.1\r\n"
    req2 = b"Host: 10.77.0.2\r\nAccept: */*\r\n\r\n"
    st = b"HTTP/1.1 200 OK\r\n"
    hdr = b"Content-Type: text/html\r\nContent-Length: 23\r\n\r\n"
    body = b"<p>split response</p>\r\n"
    c0, s0 = 1000, 5000
    cs("S", c0, 0)
    sc("SA", s0, c0 + 1)
    cs("A", c0 + 1, s0 + 1)
    cs("PA", c0 + 1, s0 + 1, req1)
    cs("PA", c0 + 1 + len(req1), s0 + 1, req2)
    cn = c0 + 1 + len(req1) + len(req2)
    sc("PA", s0 + 1, cn, st)
    sc("PA", s0 + 1 + len(st), cn, hdr)
    sc("PA", s0 + 1 + len(st) + len(hdr), cn, body)
    sn = s0 + 1 + len(st) + len(hdr) + len(body)
    # a second response whose status line is itself cut in two
    sc("PA", sn, cn, b"HTT")
    sc("PA", sn + 3, cn, b"P/1.1 304 Not Modified\r\n\r\n")
    sn += 3 + 26
    cs("FA", cn, sn)
    sc("FA", sn, cn + 1)
    cs("A", cn + 1, sn + 1)
    return seg


def text_protocols():
    def srv(port, text, i, cport):
        return eth(IP(src=IP_B, dst=IP_A, id=0x8000 + i, flags="DF"),
                   TCP(sport=port, dport=cport, flags="PA", seq=1000 * i, ack=500 * i, window=509) / text,
                   src=MAC_B, dst=MAC_A)
    def cli(port, text, i, cport):
        return eth(IP(src=IP_A, dst=IP_B, id=0x9000 + i, flags="DF"),
                   TCP(sport=cport, dport=port, flags="PA", seq=500 * i, ack=1000 * i + 100, window=502) / text)
    return [
        srv(21, b"220 ProFTPD Server (netlayers sample) [10.77.0.2]\r\n", 1, 40033),
        cli(21, b"USER anonymous\r\n", 2, 40033),
        srv(25, b"220 mail.example.test ESMTP Postfix\r\n", 3, 40034),
        cli(25, b"EHLO a.example.test\r\n", 4, 40034),
        srv(110, b"+OK POP3 server ready <1896.697170952@mail.example.test>\r\n", 5, 40035),
        cli(110, b"USER alice\r\n", 6, 40035),
        srv(22, b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n", 7, 40036),
        cli(22, b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n", 8, 40036),
    ]


# ------------------------------------------------------------------ DNS

def dns_two_questions():
    q = DNS(id=0x2222, rd=1, qd=[DNSQR(qname="www.example.test", qtype="A"), DNSQR(qname="www.example.test", qtype="AAAA")])
    r = DNS(id=0x2222, qr=1, aa=1, rd=1, ra=1,
            qd=[DNSQR(qname="www.example.test", qtype="A"), DNSQR(qname="www.example.test", qtype="AAAA")],
            an=[DNSRR(rrname="www.example.test", type="A", ttl=300, rdata="10.77.0.80"),
                DNSRR(rrname="www.example.test", type="AAAA", ttl=300, rdata="fd77::80")])
    return [eth(ab(), UDP(sport=40037, dport=53) / q),
            eth(ba(), UDP(sport=53, dport=40037) / r, src=MAC_B, dst=MAC_A)]


def mdns():
    # qclass 0x8001: IN with the top bit set, "unicast response wanted" (RFC 6762)
    q = DNS(id=0, qd=DNSQR(qname="_http._tcp.local", qtype="PTR", qclass=0x8001))
    r = DNS(id=0, qr=1, aa=1, qd=None, an=[
        DNSRR(rrname="_http._tcp.local", type="PTR", ttl=4500, rdata="printer._http._tcp.local"),
        DNSRRSRV(rrname="printer._http._tcp.local", ttl=120, priority=0, weight=0, port=80, target="printer.local"),
        DNSRR(rrname="printer.local", type="A", ttl=120, rdata="10.77.0.2", rclass=0x8001),
    ])
    llmnr = DNS(id=0x3333, qd=DNSQR(qname="fileserver", qtype="A"))
    return [
        eth(IP(src=IP_A, dst="224.0.0.251", ttl=255), UDP(sport=5353, dport=5353) / q, dst="01:00:5e:00:00:fb"),
        eth(IP(src=IP_B, dst="224.0.0.251", ttl=255), UDP(sport=5353, dport=5353) / r, src=MAC_B, dst="01:00:5e:00:00:fb"),
        eth(IPv6(src="fe80::77:1", dst="ff02::fb", hlim=255), UDP(sport=5353, dport=5353) / q, dst="33:33:00:00:00:fb"),
        eth(IP(src=IP_A, dst="224.0.0.252", ttl=1), UDP(sport=40038, dport=5355) / llmnr, dst="01:00:5e:00:00:fc"),
    ]


# ------------------------------------------------------------------ hostile text

def escapes():
    # Bytes a terminal would obey: clear screen (ESC [ 2 J), set window title (OSC 0 ; .. BEL),
    # and bytes that are not UTF-8 at all. A decoder must show them, never send them raw.
    nasty = b"\x1b[2J\x1b]0;owned title\x07hello \xff\xfe\xc3\x28 world\r\n"
    http_req = (b"GET /esc/\x1b[31mred\x1b[0m?q=\xff HTTP/1.1\r\n"
                b"Host: 10.77.0.2\r\nX-Evil: \x1b]0;title\x07 \xc3\x28 end\r\n\r\n")
    qname = b"\x1b[2J.\xff\xfe.tab\there.example.test."
    dnsq = bytes(DNS(id=0x4444, rd=1, qd=DNSQR(qname=qname, qtype="A")))
    return [
        eth(ab(), UDP(sport=40039, dport=9999) / nasty),
        eth(ab(), TCP(sport=40040, dport=80, flags="PA", seq=1, ack=1, window=502) / http_req),
        eth(ab(), UDP(sport=40041, dport=53) / dnsq),
        # a label with a dot and a backslash inside it: one label "a.b\c", not two
        eth(ab(), UDP(sport=40042, dport=53) / bytes(DNS(id=0x4445, rd=1, qd=DNSQR(qname=b"a.b\\c", qtype="A")))
            .replace(b"\x01a\x03b\\c", b"\x05a.b\\c")),
        # every C0 control in one label, then DEL/backslash/quotes, then valid UTF-8 (Chinese)
        eth(ab(), UDP(sport=40048, dport=53) / (struct.pack("!HHHHHH", 0x4446, 0x0100, 1, 0, 0, 0) + b"".join(
            bytes([len(label)]) + label for label in [bytes(range(1, 32)), b"\x7f\\x\"q 'y", "中文".encode(), b"test"])
            + b"\x00" + struct.pack("!HH", 1, 1))),
        # a request target holding a tab, a control byte, DEL and a backslash
        eth(ab(), TCP(sport=40049, dport=80, flags="PA", seq=1, ack=1, window=502)
            / b"GET /a\tb\x01c\x7f\\d\"e HTTP/1.1\r\nHost: 10.77.0.2\r\n\r\n"),
    ]


# ------------------------------------------------------------------ other link types

def raw_ip_frames():
    return [
        IP(src=IP_A, dst=IP_B, id=0x2012) / ICMP(id=15, seq=1) / b"raw IPv4, no link header",
        IPv6(src=IP6_A, dst=IP6_B) / UDP(sport=40043, dport=53) / DNS(id=0x5555, rd=1, qd=DNSQR(qname="www.example.test", qtype="AAAA")),
    ]


def null_loopback():
    v4 = bytes(IP(src="127.0.0.1", dst="127.0.0.1", id=0x2013) / ICMP(id=16, seq=1) / b"BSD loopback")
    v6 = bytes(IPv6(src="::1", dst="::1") / UDP(sport=40044, dport=9) / b"BSD loopback v6")
    return [
        struct.pack("<I", 2) + v4,    # AF_INET, little-endian host
        struct.pack("<I", 30) + v6,   # AF_INET6 on macOS/Darwin
        struct.pack("<I", 28) + v6,   # AF_INET6 on FreeBSD
        struct.pack("<I", 24) + v6,   # AF_INET6 on NetBSD/OpenBSD
        struct.pack(">I", 2) + v4,    # AF_INET from a big-endian host: readers guess the order
    ]


def loop():
    v4 = bytes(IP(src="127.0.0.1", dst="127.0.0.1", id=0x2014) / ICMP(id=17, seq=1) / b"OpenBSD loop")
    v6 = bytes(IPv6(src="::1", dst="::1") / UDP(sport=40045, dport=9) / b"OpenBSD loop v6")
    return [struct.pack(">I", 2) + v4, struct.pack(">I", 24) + v6]


ETHERNET_FILES = {
    "vlan.pcap": vlan,
    "vlan-double.pcap": vlan_double,
    "vlan-qinq-8021ad.pcap": vlan_qinq,
    "ethernet-padding.pcap": ethernet_padding,
    "unknown-ethertype.pcap": unknown_ethertype,
    "ieee8023-llc.pcap": ieee8023_llc,
    "llc-stp.pcap": llc_stp,
    "ipv4-options.pcap": ipv4_options,
    "ipv4-ihl-short.pcap": ihl_short,
    "lengths-too-big.pcap": lengths_too_big,
    "bad-checksums.pcap": bad_checksums,
    "truncated.pcap": truncated,
    "icmp-quote-8bytes.pcap": icmp_quote_8bytes,
    "icmp-quote-payload.pcap": icmp_quote_payload,
    "icmp-echo-dup.pcap": icmp_echo_dup,
    "igmp.pcap": igmp,
    "ip-in-ip.pcap": ipip,
    "ipv6-ext-headers.pcap": ipv6_ext_headers,
    "icmpv6-ndp.pcap": icmpv6_ndp,
    "tcp-options.pcap": tcp_options,
    "tcp-flags.pcap": tcp_flags,
    "http-split.pcap": http_split,
    "text-protocols.pcap": text_protocols,
    "dns-two-questions.pcap": dns_two_questions,
    "mdns-llmnr.pcap": mdns,
    "escapes.pcap": escapes,
}


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    out = sys.argv[1]
    for name, make in ETHERNET_FILES.items():
        write_pcap(os.path.join(out, name), LINKTYPE_ETHERNET, make())
    write_pcap(os.path.join(out, "raw-ip.pcap"), LINKTYPE_RAW, raw_ip_frames())
    v4, v6 = raw_ip_frames()
    write_pcap(os.path.join(out, "linktype-ipv4.pcap"), LINKTYPE_IPV4, [v4])
    write_pcap(os.path.join(out, "linktype-ipv6.pcap"), LINKTYPE_IPV6, [v6])
    write_pcap(os.path.join(out, "null-loopback.pcap"), LINKTYPE_NULL, null_loopback())
    write_pcap(os.path.join(out, "loop.pcap"), LINKTYPE_LOOP, loop())
    print(f"craft.py: wrote {len(ETHERNET_FILES) + 5} files in {out}")


if __name__ == "__main__":
    main()
