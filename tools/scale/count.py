"""Count the mDNS datagrams one test host sends (issue 13 scale scenarios).

Runs inside a host namespace of the testbed (refuses elsewhere: netns guard before the
socket): an AF_PACKET socket on veth0 sees what this host sends (PACKET_OUTGOING);
each UDP datagram from or to port 5353 is summarised. On SIGTERM or end of stdin it
prints one JSON object: packets, bytes (UDP payload), queries, and per query packet
(t, family, bytes, questions, known answers, TC bit: RFC 6762 s7.2).
"""
import argparse
import errno
import json
import os
import signal
import socket
import struct
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "tests", "interop", "peers"))
import netns_guard  # noqa: E402
from sniff import ETH_P_ALL, parse, readable  # noqa: E402

TC = 0x0200
SO_TIMESTAMPNS = 35  # Linux: the kernel's receive time on each frame (no reader lag)


def first_fragment(frame):
    """An IPv6 datagram too big for the link goes out in fragments (RFC 8200 s4.5):
    the first one holds the UDP and DNS headers; the size is the UDP length."""
    if len(frame) < 14 + 40 + 8 + 8 + 12 or frame[12:14] != b"\x86\xdd" or frame[14 + 6] != 44:
        return None
    fh = frame[54:62]
    if fh[0] != 17 or struct.unpack("!H", fh[2:4])[0] >> 3 != 0:
        return None  # not UDP, or not the first fragment
    sport, dport, ulen = struct.unpack("!HHH", frame[62:68])
    if 5353 not in (sport, dport):
        return None
    data = frame[70:]
    return {"family": 6, "dst": socket.inet_ntop(socket.AF_INET6, frame[38:54]), "frag": True,
            "data": (data[:12] + bytes(max(0, ulen - 8 - 12))).hex()}


def summary(pkts):
    q = [p for p in pkts if not p["qr"]]
    return {"packets": len(pkts), "bytes": sum(p["bytes"] for p in pkts),
            "v4": sum(1 for p in pkts if p["family"] == 4), "v6": sum(1 for p in pkts if p["family"] == 6),
            "queries": len(q), "query_bytes": sum(p["bytes"] for p in q),
            "tc": sum(1 for p in q if p["tc"]), "fragmented": sum(1 for p in pkts if p["frag"]),
            "known_answers": sum(p["an"] for p in q),
            "list": q}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ns", default=os.environ.get(netns_guard.ENV))
    ap.add_argument("--iface", default="veth0")
    ap.add_argument("--data", action="store_true", help="keep every datagram (hex) in 'all'")
    args = ap.parse_args()
    netns_guard.guard_or_exit(args.ns)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind((args.iface, 0))
    s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    pkts = []
    print(json.dumps({"event": "ready"}), flush=True)
    for _ in readable(s, stop):
        try:
            frame, anc, _, addr = s.recvmsg(65535, 64)
        except OSError as e:
            if e.errno == errno.ENETDOWN:  # the link went down under us: it comes back
                continue
            raise
        if addr[2] != socket.PACKET_OUTGOING:
            continue
        d = parse(frame, 5353) or first_fragment(frame)
        if not d:
            continue
        data = bytes.fromhex(d["data"])
        if len(data) < 12:
            continue
        flags, qd, an = struct.unpack("!HHH", data[2:8])
        t = time.time()
        for level, kind, val in anc:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(val) >= 16:
                sec, ns = struct.unpack("@qq", val[:16])
                t = sec + ns / 1e9
        pkts.append({"t": t, "family": d["family"], "bytes": len(data), "qr": bool(flags & 0x8000),
                     "tc": bool(flags & TC), "qd": qd, "an": an, "dst": d["dst"],
                     "frag": d.get("frag", False)})
        if args.data:
            pkts[-1]["data"] = d["data"]
    out = summary(pkts)
    if args.data:
        out["all"] = pkts
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
