"""Soak (issue 13, scenario 5): minutes of churn on a virtual LAN. HOSTS hosts (our
Responder each, in its own namespace) add services, change TXT and remove them every
second (tools/scale/roles.py churn), while our browser (CPython, and the 32-bit unix
MicroPython binary when --mpy is given), our responder and our resolver run throughout,
beside python-zeroconf's browser for comparison. Once a second: each process's RSS, open
file descriptors and CPU time (from /proc) and its heap (its own "M" line).

Verdict: every browser's events equal the churn exactly (per service: one up, one down,
one changed per TXT change), every resolution answered, and heap, RSS and fds flat from
the end of the warm-up (minute 5 of 30) to the end. Exit status 1 when a check fails.

    tools/scale/soak.py --minutes 30 --json build/scale/soak.json [--mpy build/unix-standard-32/micropython]
Root only (network namespaces); everything runs inside the testbed's namespaces."""
import argparse
import json
import sys
import time

import common
from testbed import LineStream, Testbed, install_sigterm_cleanup

TYPE = "_soak._tcp"


def start(host, role, args, mpy=None, heap_kb=None):
    p = host.popen(common.role_argv(host, role, args, mpy, heap_kb), stdout=common.subprocess_pipe(),
                   stderr=None)
    return p, LineStream(p, common.parse_role, name="%s %s" % (role, host.name))


def last_sample(stream):
    # the newest "M" line (events may follow it in any number)
    items = stream.items
    for i in range(len(items) - 1, max(-1, len(items) - 5000), -1):
        if "m" in items[i]:
            return items[i]
    return None


def expected(churn_streams):
    """name -> [ups, changes, downs] the churn did (every service is removed at the end)."""
    want = {}
    for s in churn_streams:
        for line in s.lines:
            if not line.startswith("C "):
                continue
            c = json.loads(line[2:])
            w = want.setdefault(c["name"], [0, 0, 0])
            w[{"add": 0, "txt": 1, "remove": 2}[c["op"]]] += 1
    return want


def seen(events, kinds=("up", "changed", "down")):
    got = {}
    for e in events:
        if e.get("e") in kinds:
            got.setdefault(e["name"], [0, 0, 0])[kinds.index(e["e"])] += 1
    return got


def zc_seen(stream):
    got = {}
    for e in stream.items:
        k = {"added": 0, "updated": 1, "removed": 2}.get(e.get("event"))
        if k is not None:
            n = e["name"][:-len("." + TYPE + ".local.")] + "." + TYPE + ".local"
            got.setdefault(n, [0, 0, 0])[k] += 1
    return got


def diff(want, got):
    bad = []
    for n in sorted(set(want) | set(got)):
        if want.get(n, [0, 0, 0]) != got.get(n, [0, 0, 0]):
            bad.append((n, want.get(n), got.get(n)))
    return bad


def run(a):
    churn_s = int(a.minutes * 60)
    names = ["resp", "browse", "resolve", "zc"] + (["mpy"] if a.mpy else []) + ["h%02d" % i for i in range(a.hosts)]
    tb = Testbed(names).up()
    procs = {}
    try:
        total = churn_s + 25
        procs["responder"] = start(tb["resp"], "respond", ["soak-resp", tb["resp"].ip4, total + 5, "Soak Resp", "_soakr._tcp"])
        bounds = [a.max_records, a.max_bytes]
        procs["browser"] = start(tb["browse"], "browse", [TYPE, tb["browse"].ip4, total] + bounds)
        if a.mpy:
            procs["browser_mpy"] = start(tb["mpy"], "browse", [TYPE, tb["mpy"].ip4, total] + bounds, a.mpy, a.heap_kb)
        zc = tb["zc"].zeroconf(ipv6=False)
        zc.browse(TYPE)
        procs["zeroconf"] = (zc.proc, zc.events)
        procs["responder"][1].wait_for(lambda e: e.get("e") == "claimed" and e["name"] == "Soak Resp._soakr._tcp.local",
                                       15, what="responder claimed its service")
        procs["resolver"] = start(tb["resolve"], "resolve", ["soak-resp.local", "Soak Resp", "_soakr._tcp", total - 5])
        t0 = time.time() + 5 + a.hosts * 0.15
        churn = []
        for i in range(a.hosts):
            h = tb["h%02d" % i]
            churn.append(start(h, "churn", [i, a.seed, "%.3f" % t0, churn_s, h.ip4, a.p]))
        samples = {k: [] for k in procs}
        samples["churn_total"] = []
        loads = []
        end = t0 + total
        nxt = time.time()
        while time.time() < end:
            now = time.time()
            for k, (p, s) in procs.items():
                ps = common.proc_sample(p.pid)
                if ps is None:
                    continue
                m = last_sample(s) if k != "zeroconf" else None
                if m:
                    ps["heap"], ps["free"], ps["extra"] = m["heap"], m["free"], m["extra"]
                ps["t"] = round(now - t0, 2)
                samples[k].append(ps)
            tot = {"t": round(now - t0, 2), "rss_kb": 0, "cpu_s": 0.0}
            for p, s in churn:
                ps = common.proc_sample(p.pid)
                if ps:
                    tot["rss_kb"] += ps["rss_kb"]
                    tot["cpu_s"] += ps["cpu_s"]
            samples["churn_total"].append(tot)
            if int(now - t0) % 60 == 0:
                loads.append([round(now - t0)] + common.load_avg())
                print("soak: t=%+.0f s load %s" % (now - t0, " ".join(common.load_avg())), flush=True)
            nxt += 1.0
            time.sleep(max(0.0, nxt - time.time()))
        for p, s in churn:
            p.wait(30)
        for k in ("browser", "browser_mpy", "responder", "resolver"):
            if k in procs:
                procs[k][0].wait(60)
        zc.close()
        return verdict(a, churn_s, churn, procs, samples, loads)
    finally:
        tb.down()


def verdict(a, churn_s, churn, procs, samples, loads):
    want = expected([s for p, s in churn])
    n = [sum(w[i] for w in want.values()) for i in range(3)]
    res = {"minutes": a.minutes, "hosts": a.hosts, "max_records": a.max_records, "max_bytes": a.max_bytes, "seed": a.seed, "p": a.p, "warmup_s": a.warmup_s,
           "churn": {"added": n[0], "txt_changes": n[1], "removed": n[2], "per_s": round(sum(n) / churn_s, 2)},
           "loads": loads, "samples": samples, "checks": {}, "processes": {}}
    fails = []
    browsers = [("browser", seen(procs["browser"][1].items))]
    if "browser_mpy" in procs:
        browsers.append(("browser_mpy", seen(procs["browser_mpy"][1].items)))
    for name, got in browsers + [("zeroconf", zc_seen(procs["zeroconf"][1]))]:
        bad = diff(want, got)
        res["checks"][name + "_events"] = {"mismatched": len(bad), "first": bad[:10],
                                           "ups": sum(g[0] for g in got.values()),
                                           "changed": sum(g[1] for g in got.values()),
                                           "downs": sum(g[2] for g in got.values())}
        if bad and name != "zeroconf":  # python-zeroconf's counts are recorded, not judged
            fails.append("%s: %d services whose events differ from the churn, e.g. %s" % (name, len(bad), bad[:3]))
    rs = [x for x in procs["resolver"][1].items if "r" in x]
    nfail = sum(1 for x in rs if not x["ok"])
    res["checks"]["resolutions"] = {"total": len(rs), "failed": nfail}
    if not rs or nfail:
        fails.append("resolver: %d of %d resolutions failed" % (nfail, len(rs)))
    for k in ("browser", "browser_mpy", "responder", "resolver", "zeroconf"):
        if k not in samples:
            continue
        ts = [s["t"] for s in samples[k]]
        f = {}
        for m in ("rss_kb", "fds", "heap"):
            vs = [s.get(m) for s in samples[k]]
            if None in vs:
                continue
            f[m] = common.flatness(ts, vs, a.warmup_s, churn_s)
        ex = [s["extra"] for s in samples[k] if s.get("extra") and k.startswith("browser")]
        if ex:  # roles.browse: cache records, bytes, evicted, instances up
            f["cache_records_max"] = max(e[0] for e in ex)
            f["cache_bytes_max"] = max(e[1] for e in ex)
            f["evicted"] = ex[-1][2]
            f["instances_up_max"] = max(e[3] for e in ex)
        cpu = [s["cpu_s"] for s in samples[k] if s["t"] >= 0]
        f["cpu_s"] = round(cpu[-1] - cpu[0], 2) if cpu else None
        res["processes"][k] = f
        if k == "zeroconf":
            continue
        # fds: a resolver opens sockets per lookup, so the range after the warm-up must
        # stay within the range seen during it (a leak makes new highs)
        warm = [s["fds"] for s in samples[k] if 0 <= s["t"] < a.warmup_s]
        if f.get("fds") and warm and (f["fds"]["max"] > max(warm) or f["fds"]["min"] > min(warm)):
            fails.append("%s: open fds %d..%d after the warm-up, %d..%d during it" % (
                k, f["fds"]["min"], f["fds"]["max"], min(warm), max(warm)))
        for m, lim in (("rss_kb", a.max_growth_pct), ("heap", a.max_growth_pct)):
            g = f.get(m)
            if g and g["growth_pct"] > lim:
                fails.append("%s: %s grew %.1f %% (%.0f -> %.0f fitted over the window; limit %.1f %%)" % (
                    k, m, g["growth_pct"], g["mean"] - g["growth"] / 2, g["mean"] + g["growth"] / 2, lim))
    res["failures"] = fails
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=30.0)
    ap.add_argument("--warmup", type=float, default=None, help="seconds of warm-up (default: 1/6 of the run)")
    ap.add_argument("--hosts", type=int, default=50)
    ap.add_argument("--p", type=float, default=0.1, help="chance per host and second of a churn step")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--mpy", help="the unix MicroPython binary with mdnsfast: its browser runs too")
    ap.add_argument("--heap-kb", type=int, default=None, help="-X heapsize for --mpy (e.g. 256)")
    ap.add_argument("--max-growth-pct", type=float, default=5.0)
    ap.add_argument("--max-records", type=int, default=256, help="our browsers' cache bound (default: the API's)")
    ap.add_argument("--max-bytes", type=int, default=32768)
    ap.add_argument("--json")
    a = ap.parse_args()
    if a.seed is None:
        a.seed = int(time.time()) % 100000
    a.warmup_s = a.warmup if a.warmup is not None else a.minutes * 10
    install_sigterm_cleanup()
    print("soak: %g min, %d hosts, seed %d, load %s" % (a.minutes, a.hosts, a.seed, " ".join(common.load_avg())), flush=True)
    res = run(a)
    common.write_json(a.json, res)
    c = res["churn"]
    print("soak: churn %d added, %d TXT changes, %d removed (%.2f steps/s)" % (
        c["added"], c["txt_changes"], c["removed"], c["per_s"]))
    for k, v in sorted(res["checks"].items()):
        print("soak: %s %s" % (k, json.dumps({x: v[x] for x in v if x != "first"})))
    for k, f in sorted(res["processes"].items()):
        print("soak: %-12s %s" % (k, " ".join("%s %s" % (m, "%.0f..%.0f (%+.1f %%)" % (g["min"], g["max"], g["growth_pct"])
                                                          if isinstance(g, dict) else g) for m, g in sorted(f.items()))))
    for f in res["failures"]:
        print("soak: FAIL: " + f, flush=True)
    print("soak: %s (seed %d)" % ("FAILED" if res["failures"] else "passed", a.seed))
    sys.exit(1 if res["failures"] else 0)


if __name__ == "__main__":
    main()
