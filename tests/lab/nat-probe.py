# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 The lastmile developers
"""Shows how a NAT maps one UDP socket towards two destinations.

  nat-probe.py serve ADDR PORT1 PORT2   answer every datagram with "ip:port"
                                        of its sender, as STUN would
  nat-probe.py map ADDR PORT1 PORT2     from one socket, ask both ports and
                                        print "LOCAL_PORT MAPPED1 MAPPED2"

An endpoint-independent ("cone") NAT gives the same mapping for both
destinations; a symmetric NAT gives a different one to each.
"""
import select
import socket
import sys


def serve(addr, ports):
    socks = []
    for port in ports:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((addr, port))
        socks.append(sock)
    print("ready", flush=True)
    while True:
        readable, _, _ = select.select(socks, [], [])
        for sock in readable:
            _, peer = sock.recvfrom(64)
            sock.sendto(("%s:%d" % peer).encode(), peer)


def probe(addr, ports):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("0.0.0.0", 0))
    sock.settimeout(1.0)
    mapped = []
    for port in ports:
        for _ in range(3):
            sock.sendto(b"map?", (addr, port))
            try:
                mapped.append(sock.recvfrom(64)[0].decode())
                break
            except socket.timeout:
                continue
        else:
            mapped.append("none")
    print(sock.getsockname()[1], *mapped)


def main():
    if len(sys.argv) != 5 or sys.argv[1] not in ("serve", "map"):
        sys.exit(__doc__)
    ports = [int(p) for p in sys.argv[3:]]
    (serve if sys.argv[1] == "serve" else probe)(sys.argv[2], ports)


if __name__ == "__main__":
    main()
