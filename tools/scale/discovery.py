"""Scenario 1 of issue 13, discovery at scale: N responders on one bridged LAN (ours:
several responders per process and namespace; python-zeroconf and Avahi hosts in the
mix), then one browser after another, each in a host of its own, for the same window:
ours on CPython, python-zeroconf's, Avahi's, and ours on a MicroPython unix binary.
Recorded per browser: instances found with SRV, TXT and an address, time to all found,
and the datagrams and bytes that browser's host sent (counted on its veth0), with the
known-answer packets (RFC 6762 s7.2: TC bit, answers per packet).

    python tools/scale/discovery.py [--ours 18x10] [--zc 2x5] [--avahi 2x5] [--window 10]
        [--mpy BIN] [--json out.json]       (root; everything inside test namespaces)
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lan import Lan, load  # noqa: E402

QUIET_S = 2.0  # between browsers: the previous one's answers and rate limits settle


def _pair(s):
    a, b = s.lower().split("x")
    return int(a), int(b)


def _traffic(c, span):
    """Counter summary -> figures. packets/bytes: what the host sent within `span` s of
    its first query (every browser measured over the same stretch of its own life)."""
    q = c["list"]
    t0 = q[0]["t"] if q else 0
    q = [p for p in q if p["t"] - t0 <= span]
    ka = [p for p in q if p["an"]]
    return {"packets": len(q), "bytes": sum(p["bytes"] for p in q), "packets_total": c["packets"],
            "bytes_total": c["bytes"], "v4": sum(1 for p in q if p["family"] == 4),
            "v6": sum(1 for p in q if p["family"] == 6), "span_s": span,
            "tc_packets": sum(1 for p in q if p["tc"]), "known_answers": sum(p["an"] for p in q),
            "ka_packets": len(ka), "max_ka_per_packet": max([p["an"] for p in ka] or [0]),
            "max_packet_bytes": max([p["bytes"] for p in q] or [0]), "fragmented": c["fragmented"],
            "sent": [[round(p["t"] - t0, 3), p["family"], p["bytes"], p["qd"], p["an"], int(p["tc"])] for p in q]}


def drops(host):
    """UDP datagrams the kernel dropped in this namespace because a socket's receive
    buffer was full (IPv4 + IPv6 RcvbufErrors)."""
    out = host.run(["cat", "/proc/net/snmp", "/proc/net/snmp6"]).stdout.splitlines()
    n = 0
    for i, line in enumerate(out):
        if line.startswith("Udp: ") and i + 1 < len(out) and out[i + 1].startswith("Udp: "):
            head, vals = line.split()[1:], out[i + 1].split()[1:]
            if "RcvbufErrors" in head and vals[0].isdigit():
                n += int(vals[head.index("RcvbufErrors")])
        elif line.startswith("Udp6RcvbufErrors"):
            n += int(line.split()[1])
    return n


def _to_all(r):
    """Datagrams sent until every instance was found (from the first query on)."""
    if r.get("all_secs") is None:
        return None
    return sum(1 for p in r["sent"] if p[0] <= r["all_secs"])


def browse_ours(lan, host, window, mpy=None):
    c = lan.counter(host)
    # A board's default cache (256 records) holds ~40 services: raise it, as an
    # application browsing a LAN this size must (docs/browser.md).
    extra = ["records=%d" % (8 * lan.total), "bytes=%d" % (1024 * lan.total)] if mpy else []
    a, done = lan.browse_ours(host, lan.total, window, mpy=mpy, extra=extra)
    tr = _traffic(c.stop(), window - 0.5)
    ups = [e for e in a.events() if e["ev"] in ("up", "changed") and e.get("complete")]
    names = set(e["instance"] for e in ups)
    return dict(tr, found=len(names), all_secs=done["all_secs"], packets_to_all=None,
                rcvbuf_drops=drops(lan[host]), missing=sorted(set(lan.instances) - names)[:10],
                querier_messages=done["queries"], querier_datagrams=done["packets"])


def browse_zeroconf(lan, host, window):
    z = lan[host].zeroconf()
    lan.zcs.append(z)
    c = lan.counter(host)
    t0 = time.time()
    z.browse(lan.stype)
    found = {}
    end = t0 + window
    while time.time() < end:
        time.sleep(0.1)
        for e in z.events.find(lambda e: e.get("event") in ("added", "updated") and e.get("info")):
            i = e["info"]
            if i["addresses"] and i["port"] and "id" in (i["txt"] or {}):
                found.setdefault(e["name"], e["t"] - t0)
    tr = _traffic(c.stop(), window - 0.5)
    z.kill()
    tr["rcvbuf_drops"] = drops(lan[host])
    all_s = max(found.values()) if len(found) >= lan.total else None
    return dict(tr, found=len(found), all_secs=all_s)


def browse_avahi(lan, host, window):
    av = lan[host].start_avahi(hostname=host)
    c = lan.counter(host)
    t0 = time.time()
    s = av.browse_stream(lan.stype)
    found = {}
    end = t0 + window
    while time.time() < end:
        time.sleep(0.1)
        for e in s.find(lambda e: e["event"] == "resolved" and e.get("address") and e.get("port")):
            found.setdefault(e["name"], time.time() - t0)  # polled: up to 0.1 s late
        if len(found) >= lan.total and time.time() - t0 > window / 2:
            break
    tr = _traffic(c.stop(), window - 0.5)
    lan.tb.stop_process(s.proc)
    tr["rcvbuf_drops"] = drops(lan[host])
    ours = [n for n in found if n[0] == "d"]
    all_s = max(found.values()) if len(found) >= lan.total else None
    return dict(tr, found=len(found), found_ours=len(ours), all_secs=all_s)


def run(ours=(18, 10), zc=(2, 5), avahi=(2, 5), window=10.0, mpy=None, log=print):
    """The scenario; returns a dict of figures (see the module doc)."""
    hosts = ["b-ours", "b-zc", "b-avahi"] + (["b-mpy"] if mpy else [])
    res = {"spec": {"ours": ours, "zc": zc, "avahi": avahi, "window_s": window}, "load_before": load()}
    t0 = time.time()
    with Lan(ours=ours, zc=zc, avahi=avahi, browsers=hosts) as lan:
        res["total"] = lan.total
        res["namespaces"] = len(lan.tb.namespaces)
        res["setup_s"] = time.time() - t0
        res["responders_ready_s"] = lan.start_all()
        log("%d responders ready after %.1f s (load %.2f)" % (lan.total, res["responders_ready_s"], load()[0]))
        time.sleep(QUIET_S)
        res["ours"] = browse_ours(lan, "b-ours", window)
        log("ours: %s" % res["ours"])
        time.sleep(QUIET_S)
        res["zeroconf"] = browse_zeroconf(lan, "b-zc", window)
        log("python-zeroconf: %s" % res["zeroconf"])
        time.sleep(QUIET_S)
        res["avahi"] = browse_avahi(lan, "b-avahi", window)
        log("avahi: %s" % res["avahi"])
        if mpy:
            time.sleep(QUIET_S)
            res["mpy"] = browse_ours(lan, "b-mpy", window, mpy=mpy)
            log("ours on %s: %s" % (mpy, res["mpy"]))
        res["load_after"] = load()
    for k in ("ours", "zeroconf", "avahi", "mpy"):
        if k in res:
            res[k]["packets_to_all"] = _to_all(res[k])
    o, z = res["ours"], res["zeroconf"]
    res["ratios"] = {"packets_ours_per_zeroconf": o["packets"] / max(1, z["packets"]),
                     "bytes_ours_per_zeroconf": o["bytes"] / max(1, z["bytes"])}
    if o["all_secs"] and z["all_secs"]:
        res["ratios"]["time_ours_per_zeroconf"] = o["all_secs"] / z["all_secs"]
    return res


def table(res):
    rows = [("browser", "found", "all found (s)", "datagrams to all found", "datagrams (window)", "bytes (window)",
             "TC", "known answers", "max KA/packet")]
    for k, label in (("ours", "ours (CPython)"), ("mpy", "ours (unix 32-bit)"),
                     ("zeroconf", "python-zeroconf"), ("avahi", "Avahi")):
        r = res.get(k)
        if not r:
            continue
        rows.append((label, "%d/%d" % (r["found"], res["total"]),
                     "%.2f" % r["all_secs"] if r.get("all_secs") else "not all",
                     str(r["packets_to_all"]), str(r["packets"]), str(r["bytes"]), str(r["tc_packets"]), str(r["known_answers"]),
                     str(r["max_ka_per_packet"])))
    return "\n".join("| " + " | ".join(r) + " |" for r in rows[:1] + [("---",) * 9] + rows[1:])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ours", type=_pair, default=(18, 10), help="PROCESSESxRESPONDERS (default 18x10)")
    ap.add_argument("--zc", type=_pair, default=(2, 5), help="python-zeroconf hosts x services (2x5)")
    ap.add_argument("--avahi", type=_pair, default=(2, 5), help="Avahi hosts x services (2x5)")
    ap.add_argument("--window", type=float, default=10.0, help="seconds each browser runs (10)")
    ap.add_argument("--mpy", help="a MicroPython unix binary with mdnsfast: browse with it too")
    ap.add_argument("--json", help="write the figures here")
    a = ap.parse_args()
    if a.mpy and not os.path.exists(a.mpy):
        sys.exit("discovery: no MicroPython binary at %s (make unix UNIX_BITS=32 MICROPY_DIR=...)" % a.mpy)
    res = run(a.ours, a.zc, a.avahi, a.window, a.mpy)
    print(table(res))
    print("ratios: %s; load before/after: %s / %s" % (res["ratios"], res["load_before"], res["load_after"]))
    if a.json:
        os.makedirs(os.path.dirname(os.path.abspath(a.json)), exist_ok=True)
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)
    ok = res["ours"]["found"] == res["total"] and res["avahi"]["found"] == res["total"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
