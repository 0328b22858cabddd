"""Small crafted captures for the display-filter and stream tests (run by captures/filters.sh).

Each frame is there for one rule: two-sided fields, a packet quoted in an ICMP error, CIDR and
prefix matches, MACs, text and bytes, and TCP streams restarted by a SYN on a reused port pair.
Timestamps are fixed so the files are the same on every run.
"""
import sys
from scapy.all import Ether, IP, IPv6, TCP, UDP, ICMP, DNS, DNSQR, ARP, Raw, wrpcap

out = sys.argv[1] if len(sys.argv) > 1 else "."

def save(name, pkts):
    for n, p in enumerate(pkts):
        p.time = 1700000000 + n / 1000
    wrpcap(f"{out}/{name}", pkts)

E = dict(src="00:11:22:33:44:55", dst="66:77:88:99:aa:bb")
R = dict(src="66:77:88:99:aa:bb", dst="00:11:22:33:44:55")
A = dict(src="10.0.0.1", dst="10.0.0.2")
B = dict(src="10.0.0.2", dst="10.0.0.1")

save("basic.pcap", [
    Ether(**E) / IP(**A) / TCP(sport=1234, dport=80, flags="S", seq=1000),
    Ether(**R) / IP(**B) / TCP(sport=80, dport=1234, flags="SA", seq=5000, ack=1001),
    Ether(**E) / IP(src="10.0.0.3", dst="10.0.0.4") / UDP(sport=3333, dport=53) / DNS(qd=DNSQR(qname="Example.com")),
    Ether(**R) / IP(**B) / ICMP(type=3, code=3) / IP(**A) / UDP(sport=5000, dport=6000) / b"hi",
    Ether(**E) / IP(src="10.0.1.9", dst="10.0.0.1", ttl=1) / TCP(sport=5555, dport=443, flags="PA") / b"GET / HTTP/1.1\r\n\r\n",
    Ether(src="00:11:22:33:44:55", dst="ff:ff:ff:ff:ff:ff") / ARP(psrc="10.0.0.1", pdst="10.0.0.2", hwsrc="00:11:22:33:44:55"),
    Ether(**E) / IPv6(src="fd00::1", dst="fe80::2") / UDP(sport=1, dport=2) / b"\x00\x01\x02",
    Ether(**E) / IPv6(src="::1", dst="::1", hlim=255) / TCP(sport=7, dport=8, flags="F"),
    Ether(**E) / IP(**A, flags="DF") / UDP(sport=9, dport=9) / Raw(b"x" * 200),
    Ether(**E) / IP(**A, flags="MF") / UDP(sport=10, dport=10) / Raw(b"y" * 40),
])

e = Ether(**E)
save("streams.pcap", [
    e / IP(**A) / TCP(sport=1000, dport=80, flags="S", seq=100),
    e / IP(**B) / TCP(sport=80, dport=1000, flags="SA", seq=500, ack=101),
    e / IP(**A) / TCP(sport=1000, dport=80, flags="S", seq=100),   # retransmitted SYN: same stream
    e / IP(**A) / TCP(sport=1000, dport=80, flags="F", seq=101),
    e / IP(**A) / TCP(sport=1000, dport=80, flags="S", seq=100),   # same number after FIN: same stream
    e / IP(**A) / TCP(sport=1000, dport=80, flags="S", seq=900),   # new number: new stream
    e / IP(**A) / TCP(sport=2000, dport=80, flags="A", seq=5),
    e / IP(**A) / TCP(sport=2000, dport=80, flags="S", seq=5),     # base was 4 (seq - 1): new stream
    e / IP(**A) / TCP(sport=2000, dport=80, flags="S", seq=4),
    e / IP(**B) / TCP(sport=80, dport=3000, flags="SA", seq=5),
    e / IP(**A) / TCP(sport=3000, dport=80, flags="S", seq=77),    # base from the SYN-ACK's ack - 1
    e / IP(**A) / TCP(sport=4000, dport=80, flags="R", seq=1),
    e / IP(**A) / TCP(sport=4000, dport=80, flags="S", seq=1),
    e / IP(**B) / UDP(sport=53, dport=1000),
    e / IP(**A) / UDP(sport=1000, dport=53),
    e / IP(**B) / ICMP(type=3, code=3) / IP(**A) / UDP(sport=7000, dport=7001),
    e / IP(**A) / UDP(sport=7000, dport=7001),
    e / IP(**B) / ICMP(type=3, code=3) / IP(**A) / TCP(sport=8000, dport=8001),
    e / IP(**A) / TCP(sport=8000, dport=8001, flags="S"),           # quoted TCP set no base
    e / IPv6(src="fd00::1", dst="fd00::2") / UDP(sport=1, dport=2),
    e / IP(**A, frag=1) / UDP(sport=1, dport=2),
    e / IP(**B) / TCP(sport=80, dport=1000, flags="S", seq=12345),
    e / IP(**A) / TCP(sport=1001, dport=80, flags="A", seq=1, ack=50),
    e / IP(**B) / TCP(sport=80, dport=1001, flags="S", seq=49),     # equals the base the ACK set
    e / IP(**B) / TCP(sport=80, dport=1001, flags="S", seq=77),
    e / IP(**A) / TCP(sport=1004, dport=80, flags="SA", seq=100, ack=7),
    e / IP(**A) / TCP(sport=1004, dport=80, flags="SA", seq=200, ack=7),  # SYN-ACK never restarts
])
