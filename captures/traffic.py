#!/usr/bin/env python3
"""The small clients and servers record.sh runs inside its network namespaces.

Standard library only, so the traffic is what a plain program makes: the kernel writes
every header, we only choose addresses, ports, TTLs and payloads. DNS queries are built
by hand (12-byte header + one question) because dig is not always installed, and a
fixed query ID keeps re-recorded captures comparable.

Usage: traffic.py COMMAND [ARGS...]   (see the functions below; record.sh is the caller)
"""

import socket
import struct
import sys
import time

QTYPES = {"A": 1, "NS": 2, "CNAME": 5, "PTR": 12, "MX": 15, "TXT": 16, "AAAA": 28}


def dns_query(qid, name, qtype):
    """A standard recursive query: ID, flags 0x0100 (RD), 1 question."""
    header = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    qname = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".") if p) + b"\0"
    return header + qname + struct.pack("!HH", QTYPES[qtype], 1)


def family_of(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def cmd_dns(server, qid, name, qtype, transport="udp", port="53"):
    """One DNS query; waits for the answer (or 1 s) so the reply is in the capture."""
    q = dns_query(int(qid, 0), name, qtype)
    fam = family_of(server)
    if transport == "udp":
        with socket.socket(fam, socket.SOCK_DGRAM) as s:
            s.settimeout(1.0)
            s.sendto(q, (server, int(port)))
            try:
                s.recv(4096)
            except OSError:
                pass  # a closed port answers with ICMP, which is the point of that capture
    else:
        with socket.socket(fam, socket.SOCK_STREAM) as s:
            s.settimeout(2.0)
            s.connect((server, int(port)))
            s.sendall(struct.pack("!H", len(q)) + q)
            s.recv(4096)


def cmd_udp(dst, port, payload="probe", ttl=None):
    """One UDP datagram, optionally with a small TTL / hop limit."""
    fam = family_of(dst)
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        if ttl is not None:
            if fam == socket.AF_INET:
                s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, int(ttl))
            else:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, int(ttl))
        s.sendto(payload.encode(), (dst, int(port)))
        time.sleep(0.2)


def cmd_syn(dst, port, ttl):
    """A TCP connect() whose SYN carries a small TTL; closed before the 1 s retransmission,
    so the capture holds exactly one SYN (Linux sends no RST when a SYN_SENT socket closes)."""
    fam = family_of(dst)
    s = socket.socket(fam, socket.SOCK_STREAM)
    if fam == socket.AF_INET:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, int(ttl))
    else:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, int(ttl))
    s.setblocking(False)
    s.connect_ex((dst, int(port)))
    time.sleep(0.4)
    s.close()


def lines(sock):
    buf = b""
    while True:
        chunk = sock.recv(1024)
        if not chunk:
            return
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            yield line.decode("utf-8", "replace")


def cmd_chat_server(addr, port, ready_file):
    """Accepts one chat: greets, answers each line, and hangs up after "886" (拜拜, bye-bye)."""
    fam = family_of(addr)
    with socket.socket(fam, socket.SOCK_STREAM) as ls:
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((addr, int(port)))
        ls.listen(1)
        open(ready_file, "w").close()
        conn, _ = ls.accept()
        with conn:
            conn.sendall("B: 你好, welcome to the chat\n".encode())
            replies = iter(["B: fine, the packets arrive in order\n", "B: sure, TCP keeps them in order\n"])
            for line in lines(conn):
                if line.strip() == "886":
                    conn.sendall(b"B: 886\n")
                    break
                conn.sendall(next(replies, "B: ok\n").encode())
            # shutdown() sends our FIN now; the client's FIN follows.
            conn.shutdown(socket.SHUT_WR)
            while conn.recv(1024):
                pass


def cmd_chat_client(addr, port):
    fam = family_of(addr)
    with socket.create_connection((addr, int(port)), timeout=5) as s:
        it = lines(s)
        next(it)  # greeting
        for msg in ["A: hello from A, how is the link?", "A: can you see each line as one segment?", "886"]:
            time.sleep(0.2)
            s.sendall((msg + "\n").encode())
            next(it, None)
        time.sleep(0.1)
        # the server closes after 886; read its FIN, then close ours
        for _ in it:
            pass


def cmd_wait_port(addr, port, proto="tcp", timeout="5"):
    """Polls until something listens (used before a capture starts, so it is not recorded)."""
    deadline = time.time() + float(timeout)
    while time.time() < deadline:
        try:
            if proto == "tcp":
                with socket.create_connection((addr, int(port)), timeout=0.5):
                    return
            else:
                return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"nothing listens on {addr}:{port}")


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    fn = globals().get("cmd_" + sys.argv[1].replace("-", "_"))
    if fn is None:
        sys.exit(f"unknown command {sys.argv[1]}")
    fn(*sys.argv[2:])


if __name__ == "__main__":
    main()
