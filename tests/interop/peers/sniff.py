"""Record every mDNS datagram crossing the test bridge, as JSON lines on stdout.

Run by the testbed inside the bridge namespace (never elsewhere: it refuses before opening
its socket unless it is inside /run/netns/<ns>): an AF_PACKET socket on br0 in promiscuous
mode sees multicast and unicast frames between all hosts. One line per UDP datagram with
port 5353 on either side (or --port):
  {"t": 1700000000.123, "family": 4, "src": "10.77.0.1", "sport": 5353,
   "dst": "224.0.0.251", "dport": 5353, "ttl": 255, "data": "0000840000..."}
Stops on SIGTERM/SIGINT or end of stdin.
"""
import argparse
import json
import os
import select
import signal
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netns_guard  # noqa: E402

ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_ADD_MEMBERSHIP = 1
PACKET_MR_PROMISC = 1


def parse(frame, port):
    if len(frame) < 14:
        return None
    et = struct.unpack("!H", frame[12:14])[0]
    p = frame[14:]
    if et == 0x0800 and len(p) >= 20:
        ihl = (p[0] & 15) * 4
        if p[9] != 17:
            return None
        fam, ttl = 4, p[8]
        src, dst = socket.inet_ntop(socket.AF_INET, p[12:16]), socket.inet_ntop(socket.AF_INET, p[16:20])
        u = p[ihl:]
    elif et == 0x86DD and len(p) >= 40:
        if p[6] != 17:  # no extension headers in mDNS traffic
            return None
        fam, ttl = 6, p[7]
        src, dst = socket.inet_ntop(socket.AF_INET6, p[8:24]), socket.inet_ntop(socket.AF_INET6, p[24:40])
        u = p[40:]
    else:
        return None
    if len(u) < 8:
        return None
    sport, dport, ulen = struct.unpack("!HHH", u[:6])
    if port not in (sport, dport):
        return None
    return {"family": fam, "src": src, "sport": sport, "dst": dst, "dport": dport, "ttl": ttl,
            "data": u[8:ulen].hex()}


def readable(sock, stop):
    """Yield each time `sock` has a frame, until `stop` (set by SIGTERM) or end of stdin."""
    while not stop:
        try:
            r, _, _ = select.select([sock, sys.stdin], [], [], 0.2)
        except InterruptedError:
            continue
        if sys.stdin in r and not sys.stdin.readline():
            return
        if sock in r:
            yield


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ns", default=os.environ.get(netns_guard.ENV))
    ap.add_argument("--iface", default="br0")
    ap.add_argument("--port", type=int, default=5353)
    args = ap.parse_args()
    netns_guard.guard_or_exit(args.ns)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((args.iface, 0))
    mreq = struct.pack("iHH8s", socket.if_nametoindex(args.iface), PACKET_MR_PROMISC, 0, b"")
    s.setsockopt(SOL_PACKET, PACKET_ADD_MEMBERSHIP, mreq)
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    sys.stdout.write(json.dumps({"event": "ready"}) + "\n")
    sys.stdout.flush()
    for _ in readable(s, stop):
        frame, addr = s.recvfrom(65535)
        if addr[2] == socket.PACKET_OUTGOING:  # br0 sends nothing we care about; avoid doubles
            continue
        d = parse(frame, args.port)
        if d:
            d["t"] = time.time()
            sys.stdout.write(json.dumps(d) + "\n")
            sys.stdout.flush()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
