"""The flood generator (issue 13, scenario 3): sends the flood_mix datagrams at RATE per
second for SECONDS to the mDNS group, from several source addresses of its namespace,
hears the responder's answers, and classifies every query for the responder's names:

- answered: an answer holding the asked record went out within the RFC delay after the
  query (unique records "immediately", shared 20-120 ms, s6; after a TC query 400-500 ms,
  s7.2), counting --tol-ms (30) of processing on top;
- rate-limited: the record had been multicast less than 1 s before the query (s6: not
  again within a second); on time when its next multicast came at most 1 s + tol
  after that previous one;
- suppressed: the query listed our record as a known answer (s7.1): correct unless the
  record was multicast in reply;
- legacy: a unicast reply with the query's id (s6.7);
- late / missing: the failures, with delays listed.

    flood_gen.py --ns NS --dut IP --src IP... --rate 5000 --seconds 60 --json out.json
Runs only inside the testbed namespace NS (netns_guard, checked before any socket)."""
import argparse
import json
import os
import select
import socket
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "frozen"))
from netns_guard import guard  # noqa: E402  (tests/interop/peers on PYTHONPATH via the testbed)

GROUP = "224.0.0.251"
DELAY_MS = {"a": 0, "srv": 0, "ptr": 120, "tc": 500}
RATE_MS = 1000


def sockets(srcs, iface):
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    rx.bind(("", 5353))
    rx.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, socket.inet_aton(GROUP) + socket.inet_aton(iface))
    rx.setblocking(False)
    tx = []
    for a in srcs:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((a, 5353))
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(a))
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
        tx.append(s)
    leg = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    leg.bind((srcs[0], 0))
    leg.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(srcs[0]))
    leg.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
    leg.setblocking(False)
    return rx, tx, leg


def drain(sock, dut, got, t0):
    while True:
        try:
            d, src = sock.recvfrom(9000)
        except BlockingIOError:
            return
        if src[0] == dut:
            got.append((time.perf_counter() - t0, d))


def flood(a, packets, rx, tx, leg):
    """Send; returns (sent [(t, category, index)] of ours, heard [(t, data)], legacy [(t, data)], n, elapsed)."""
    ours = set(c for c, k in __import__("flood_mix").OURS)
    sent, heard, legacy = [], [], []
    n = 0
    npk = len(packets)
    nt = len(tx)
    t0 = time.perf_counter()
    end = a.seconds
    while True:
        now = time.perf_counter() - t0
        if now >= end:
            break
        due = min(int(now * a.rate) + 1, int(end * a.rate))
        burst = 0
        while n < due and burst < 200:
            cat, d, is_leg = packets[n % npk]
            try:
                if is_leg:
                    leg.sendto(d, (GROUP, 5353))
                else:
                    tx[n % nt].sendto(d, (GROUP, 5353))
            except OSError:
                pass  # a full send buffer: that datagram is not counted as sent
            else:
                if cat in ours:
                    sent.append((time.perf_counter() - t0, cat, n % npk, n % nt))
            n += 1
            burst += 1
        drain(rx, a.dut, heard, t0)
        drain(leg, a.dut, legacy, t0)
        if n >= due:
            select.select([rx, leg], [], [], 0.0005)
    elapsed = time.perf_counter() - t0
    end = time.time() + 2  # late answers (rate limit, TC) still count
    while time.time() < end:
        select.select([rx, leg], [], [], 0.05)
        drain(rx, a.dut, heard, t0)
        drain(leg, a.dut, legacy, t0)
    return sent, heard, legacy, n, elapsed


def classify(a, names, packets, sent, heard, legacy):
    from mdns import wire
    from mdns.names import fold
    mc = {}  # (fold(name), type) -> sorted times the responder multicast it
    for t, d in heard:
        try:
            m = wire.decode(d)
        except ValueError:
            continue
        if not m.is_response:
            continue
        # an additional counts too: a querier caches it (s5, s12), and a responder
        # that just sent a record as an additional need not answer it again (s6)
        for r in m.answers + m.additionals:
            mc.setdefault((fold(r.name), r.type), []).append(t)
    leg_ids = {}
    for t, d in legacy:
        try:
            leg_ids.setdefault(wire.decode(d).id, []).append(t)
        except ValueError:
            pass
    import bisect
    res = {k: 0 for k in ("answered", "rate_limited", "suppressed", "legacy_answered", "late", "missing",
                          "suppression_failed")}
    delays = {}
    late = []
    warm = a.warmup
    for t, cat, idx, src in sent:
        if t < warm:
            continue
        if cat == "legacy":
            qid = wire.decode(packets[idx][1]).id
            ts = [x for x in leg_ids.get(qid, ()) if t <= x <= t + 1.0]
            res["legacy_answered" if ts else "missing"] += 1
            if ts:
                delays.setdefault(cat, []).append(1000 * (ts[0] - t))
            continue
        nm, ty = names.record_of(cat)
        times = mc.get((fold(nm), ty), [])
        i = bisect.bisect_left(times, t)
        prev = times[i - 1] if i else None
        nxt = times[i] if i < len(times) else None
        if cat == "ka":
            continue  # judged below, by every multicast of that record
        if prev is not None and (t - prev) * 1000 < RATE_MS:
            ok = nxt is not None and (nxt - prev) * 1000 <= RATE_MS + DELAY_MS[cat] + a.tol_ms
            res["rate_limited" if ok else "late" if nxt is not None else "missing"] += 1
        else:
            ok = nxt is not None and (nxt - t) * 1000 <= DELAY_MS[cat] + a.tol_ms
            res["answered" if ok else "late" if nxt is not None else "missing"] += 1
        if nxt is not None:
            delays.setdefault(cat, []).append(1000 * (nxt - t))
        if not ok and len(late) < 20:
            late.append({"cat": cat, "t": round(t, 4), "prev": prev and round(prev, 4), "next": nxt and round(nxt, 4)})
    nka = sum(1 for t, c, i, s in sent if c == "ka" and t >= warm)
    bad = [x for x in mc.get((fold(names.ka_ptr), wire.TYPE_PTR), ()) if x >= warm]
    res["suppression_failed"] = len(bad)
    res["suppressed"] = max(0, nka - len(bad))
    out = {"counts": res, "late_examples": late, "delays_ms": {}, "multicasts": {}}
    for cat in ("a", "srv", "ptr", "ka"):
        nm, ty = names.record_of(cat)
        ts = [x for x in mc.get((fold(nm), ty), []) if x >= warm]
        gaps = [round(y - x, 3) for x, y in zip(ts, ts[1:])]
        out["multicasts"][wire.type_name(ty) + " " + nm] = {"n": len(ts), "max_gap_s": max(gaps) if gaps else None,
                                                           "gaps_over_1_2_s": [g for g in gaps if g > 1.2][:10]}
    for cat, ds in delays.items():
        ds.sort()
        out["delays_ms"][cat] = {"n": len(ds), "p50": round(ds[len(ds) // 2], 2),
                                 "p99": round(ds[int(len(ds) * 0.99)], 2), "max": round(ds[-1], 2)}
    return out


def announce(a, tx):
    """--announce N: WATCH services announced (the browser reports them up), then N
    distinct ones at once, one datagram each, as fast as the socket takes them."""
    from mdns import wire
    from mdns.wire import FLAG_AA, FLAG_QR, Record, TYPE_A, TYPE_PTR, TYPE_SRV, TYPE_TXT
    ptr = a.type + ".local"

    def pkt(i, host):
        inst = "Svc %04d.%s" % (i, ptr)
        return wire.encode(wire.Message(0, FLAG_QR | FLAG_AA, (), [
            Record(ptr, TYPE_PTR, inst, ttl=4500), Record(inst, TYPE_SRV, (0, 0, 80, host), ttl=120, cache_flush=True),
            Record(inst, TYPE_TXT, {"i": str(i)}, ttl=4500, cache_flush=True),
            Record(host, TYPE_A, "10.9.%d.%d" % (i // 250, i % 250 + 1), ttl=120, cache_flush=True)]))[0]

    for i in range(a.watch):
        tx[0].sendto(pkt(i, "watched%d.local" % i), (GROUP, 5353))
    print("watched %d" % a.watch, flush=True)
    sys.stdin.readline()
    t0 = time.perf_counter()
    for i in range(a.watch, a.watch + a.announce):
        tx[i % len(tx)].sendto(pkt(i, "h%d.local" % i), (GROUP, 5353))
    print("announced %d %.4f" % (a.announce, time.perf_counter() - t0), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ns")
    ap.add_argument("--dut", required=True)
    ap.add_argument("--src", action="append", required=True)
    ap.add_argument("--rate", type=float, default=5000)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--warmup", type=float, default=2.0)
    ap.add_argument("--tol-ms", type=float, default=30.0)
    ap.add_argument("--names", nargs=5, metavar=("HOST", "TYPE", "INST", "KA_TYPE", "KA_INST"))
    ap.add_argument("--announce", type=int, default=0, help="browser flood: this many services at once")
    ap.add_argument("--watch", type=int, default=5)
    ap.add_argument("--type", default="_flood._tcp")
    a = ap.parse_args()
    guard(a.ns)
    if a.announce:
        announce(a, sockets(a.src, a.src[0])[1])
        return
    import flood_mix
    names = flood_mix.Names(*a.names)
    packets = flood_mix.build(names)
    rx, tx, leg = sockets(a.src, a.src[0])
    print("ready", flush=True)
    sys.stdin.readline()  # the harness says go
    sent, heard, legacy, n, elapsed = flood(a, packets, rx, tx, leg)
    res = classify(a, names, packets, sent, heard, legacy)
    res.update({"sent": n, "seconds": round(elapsed, 3), "rate": round(n / elapsed, 1), "ours_sent": len(sent),
                "heard": len(heard), "legacy_replies": len(legacy)})
    print("result " + json.dumps(res), flush=True)


if __name__ == "__main__":
    main()
