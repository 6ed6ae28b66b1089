"""Flood (issue 13, scenario 3) on a virtual LAN: RATE datagrams a second for SECONDS at
one responder of ours (CPython, or the unix MicroPython binary with --mpy), from
tools/scale/flood_gen.py; then a browser of ours under 1,000 distinct services announced
at once, with 5 services up before (the watched ones).

Recorded: the generator's reached rate, every query for our names classified (answered /
rate-limited / suppressed / legacy / late / missing, flood_gen.py), the responder's CPU
per datagram (utime+stime from /proc over the flood), datagrams the kernel dropped at
its socket (/proc/net/snmp RcvbufErrors in its namespace), its heap each second (its own
gc.mem_alloc() / allocated blocks line) and RSS; for the browser: cache size and bytes
against max_records / max_bytes, evictions, watched services still up.

    tools/scale/flood.py --rate 5000 --seconds 60 [--mpy BIN] [--browser] --json out.json
Exit status 1 when a check fails (nothing crashed, no query late or missing, nothing
wrongly answered, heap flat after the warm-up, the browser's bounds and watched services).
Root only; everything runs inside the testbed's namespaces."""
import argparse
import json
import sys
import time

import common
from testbed import LineStream, Testbed, install_sigterm_cleanup

NAMES = ["flood-dut", "_flood._tcp", "Flood Svc", "_floodka._tcp", "KA Svc"]
NSRC = 8


def gen_argv(tb, extra):
    from testbed import venv_python
    g = tb["gen"]
    argv = [venv_python(), common.HERE + "/flood_gen.py", "--ns", g.ns, "--dut", tb["dut"].ip4]
    for s in g.srcs:
        argv += ["--src", s]
    return argv + [str(x) for x in extra]


def add_sources(tb):
    g = tb["gen"]
    g.srcs = [g.ip4]
    for k in range(1, NSRC):
        ip = "10.77.%d.%d" % (tb.subnet, 100 + k)
        g.run(["ip", "addr", "add", ip + "/24", "dev", "veth0"])
        g.srcs.append(ip)


def rcvbuf_errors(host):
    out = host.run(["cat", "/proc/net/snmp"]).stdout.splitlines()
    hdr = [l.split() for l in out if l.startswith("Udp:")]
    return int(hdr[1][hdr[0].index("RcvbufErrors")])


def responder_flood(a, tb, mpy):
    dut = tb["dut"]
    if a.peer == "zeroconf":
        # the same names served by python-zeroconf, for the ratio in the same run
        zc = dut.zeroconf(ipv6=False)
        for inst, typ in ((NAMES[2], NAMES[1]), (NAMES[4], NAMES[3])):
            zc.register(inst, typ, 8080, txt={"v": "1"}, host=NAMES[0] + ".local", addresses=[dut.ip4],
                        allow_name_change=False)
        p, st = zc.proc, LineStream(type("NoOutput", (), {"stdout": []})(), name="none")
    else:
        args = [NAMES[0], dut.ip4, int(a.seconds) + 30, NAMES[2], NAMES[1], NAMES[4], NAMES[3]]
        p = dut.popen(common.role_argv(dut, "respond", args, mpy, a.heap_kb), stdout=common.subprocess_pipe())
        st = LineStream(p, common.parse_role, name="responder")
        for n in ("Flood Svc._flood._tcp.local", "KA Svc._floodka._tcp.local"):
            st.wait_for(lambda e: e.get("e") == "claimed" and e["name"] == n, 20, what="claimed " + n)
    time.sleep(2.5)  # past the announcements (s8.3), so what follows answers queries only
    g = tb["gen"].popen(gen_argv(tb, ["--rate", a.rate, "--seconds", a.seconds, "--warmup", a.warmup,
                                      "--tol-ms", a.tol_ms, "--names"] + NAMES), stdin=common.subprocess_pipe(),
                        stdout=common.subprocess_pipe())
    gs = LineStream(g, name="flood_gen")
    gs.wait_for(lambda l: l == "ready", 20, what="generator ready")
    drops0 = rcvbuf_errors(dut)
    c0 = common.proc_sample(p.pid)
    t0 = time.time()
    g.stdin.write("go\n")
    g.stdin.flush()
    samples = []
    while g.poll() is None and time.time() < t0 + a.seconds + 60:
        ps = common.proc_sample(p.pid)
        if ps is None:
            break
        ms = [x for x in st.items[-3:] if "m" in x]
        if ms:
            ps["heap"], ps["free"] = ms[-1]["heap"], ms[-1]["free"]
        ps["t"] = round(time.time() - t0, 2)
        samples.append(ps)
        if ps["t"] <= a.seconds + 0.5:
            c1 = ps
        time.sleep(1.0)
    res = json.loads(gs.wait_for(lambda l: l.startswith("result "), 60, what="result")[7:])
    res["kernel_drops"] = rcvbuf_errors(dut) - drops0
    alive = p.poll() is None
    res["responder_alive"] = alive
    cpu = c1["cpu_s"] - c0["cpu_s"]
    res["cpu_s"] = round(cpu, 3)
    res["cpu_us_per_packet"] = round(1e6 * cpu / res["sent"], 2)
    res["cpu_share"] = round(cpu / res["seconds"], 3)
    res["samples"] = samples
    ts = [s["t"] for s in samples]
    res["heap"] = None if a.peer else common.flatness(ts, [s.get("heap", 0) for s in samples], a.warmup + 8, a.seconds)
    res["rss_kb"] = common.flatness(ts, [s["rss_kb"] for s in samples], a.warmup + 8, a.seconds)
    if mpy:
        res["mem_free"] = [s.get("free") for s in samples]
    tb.stop_process(p)
    return res


def browser_flood(a, tb, mpy):
    b = tb["dut"]
    p = b.popen(common.role_argv(b, "browse", ["_flood._tcp", b.ip4, a.browser_seconds, 256, 32768], mpy, a.heap_kb),
                stdout=common.subprocess_pipe())
    st = LineStream(p, common.parse_role, name="browser")
    st.wait_for(lambda e: "m" in e, 20, what="browser running")
    drops0 = rcvbuf_errors(b)
    g = tb["gen"].popen(gen_argv(tb, ["--announce", 1000, "--watch", 5, "--type", "_flood._tcp"]),
                        stdin=common.subprocess_pipe(), stdout=common.subprocess_pipe())
    gs = LineStream(g, name="announcer")
    gs.wait_for(lambda l: l.startswith("watched"), 20, what="watched announced")
    ups = lambda: [e["name"] for e in st.items if e.get("e") == "up"]  # noqa: E731
    end = time.time() + 10
    while len(ups()) < 5 and time.time() < end:
        time.sleep(0.1)
    watched = sorted(ups())
    g.stdin.write("go\n")
    g.stdin.flush()
    took = gs.wait_for(lambda l: l.startswith("announced"), 30, what="announced").split()
    p.wait(a.browser_seconds + 20)
    ms = [x for x in st.items if "m" in x]
    downs = [e["name"] for e in st.items if e.get("e") == "down"]
    final = [e["name"] for e in st.items if e.get("e") == "final"]
    return {"announced": int(took[1]), "announce_s": float(took[2]), "watched_up_before": len(watched),
            "watched_down": len([n for n in downs if n in watched]),
            "watched_up_after": len([n for n in final if n in watched]),
            "ups_total": len(ups()), "downs_total": len(downs),
            "max_records": 256, "max_bytes": 32768,
            "cache_len_max": max(x["extra"][0] for x in ms), "cache_bytes_max": max(x["extra"][1] for x in ms),
            "evicted": ms[-1]["extra"][2], "exit": p.returncode, "kernel_drops": rcvbuf_errors(b) - drops0,
            "heap": [x["heap"] for x in ms]}


def checks(r, br):
    f = []
    c = r["counts"]
    if not r["responder_alive"]:
        f.append("the responder died")
    for k in ("late", "missing", "suppression_failed"):
        if c[k]:
            f.append("%d queries %s (e.g. %s)" % (c[k], k, r["late_examples"][:3]))
    if c["answered"] + c["rate_limited"] == 0 or c["suppressed"] == 0 or c["legacy_answered"] == 0:
        f.append("a category never happened: %s" % c)
    h = r["heap"]
    if h and h["growth_pct"] > 5.0:
        f.append("heap grew %.1f %% after the warm-up (%s)" % (h["growth_pct"], h))
    if br:
        if br["watched_down"] or br["watched_up_after"] != br["watched_up_before"] or br["watched_up_before"] != 5:
            f.append("watched services: %d up before, %d down, %d up after" % (
                br["watched_up_before"], br["watched_down"], br["watched_up_after"]))
        # evictions happen when more arrived than fits (the kernel drops some of the burst first)
        full = br["cache_len_max"] >= br["max_records"]
        if br["cache_len_max"] > br["max_records"] or br["cache_bytes_max"] > br["max_bytes"] or (full and not br["evicted"]):
            f.append("browser cache: %d records / %d bytes max, %d evicted" % (
                br["cache_len_max"], br["cache_bytes_max"], br["evicted"]))
        if br["exit"] != 0:
            f.append("browser exited %s" % br["exit"])
    return f


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rate", type=float, default=5000)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--warmup", type=float, default=2.0)
    ap.add_argument("--tol-ms", type=float, default=30.0, help="processing time allowed on top of the RFC delays")
    ap.add_argument("--mpy", help="the unix MicroPython binary with mdnsfast (else CPython)")
    ap.add_argument("--peer", choices=["zeroconf"], help="flood python-zeroconf's responder instead of ours")
    ap.add_argument("--heap-kb", type=int, default=None)
    ap.add_argument("--browser", action="store_true", help="also the 1,000-service browser flood")
    ap.add_argument("--browser-seconds", type=int, default=20, help="how long the browser runs")
    ap.add_argument("--json")
    a = ap.parse_args()
    install_sigterm_cleanup()
    impl = "python-zeroconf" if a.peer else "micropython-unix" if a.mpy else "cpython"
    load0 = common.load_avg()
    print("flood: %s, %g datagrams/s for %g s, load %s" % (impl, a.rate, a.seconds, " ".join(load0)), flush=True)
    tb = Testbed(["dut", "gen"]).up()
    try:
        add_sources(tb)
        r = responder_flood(a, tb, a.mpy)
        br = browser_flood(a, tb, a.mpy) if a.browser else None
    finally:
        tb.down()
    r.update({"impl": impl, "load_before": load0, "load_after": common.load_avg(), "browser": br})
    r["failures"] = checks(r, br)
    common.write_json(a.json, r)
    c = r["counts"]
    print("flood: sent %d in %.1f s = %.0f/s (asked %g/s); kernel drops at the responder %d" % (
        r["sent"], r["seconds"], r["rate"], a.rate, r["kernel_drops"]))
    print("flood: ours %s" % json.dumps(c))
    print("flood: delays ms %s" % json.dumps(r["delays_ms"]))
    print("flood: multicasts of our records %s" % json.dumps(r["multicasts"]))
    print("flood: responder CPU %.2f s = %.1f us/datagram (%.0f %% of a core); heap %s; rss_kb %s" % (
        r["cpu_s"], r["cpu_us_per_packet"], 100 * r["cpu_share"],
        r["heap"] and "%.0f..%.0f (%+.1f %%)" % (r["heap"]["min"], r["heap"]["max"], r["heap"]["growth_pct"]),
        r["rss_kb"] and "%.0f..%.0f" % (r["rss_kb"]["min"], r["rss_kb"]["max"])))
    if br:
        print("flood: browser %s" % json.dumps({k: v for k, v in br.items() if k != "heap"}))
    for f in r["failures"]:
        print("flood: %s: %s" % ("miss" if a.peer else "FAIL", f))
    verdict = "FAILED" if r["failures"] else "passed"
    if a.peer:
        verdict = "recorded (a peer's figures are not judged)"
    print("flood: %s, load after %s" % (verdict, " ".join(r["load_after"])))
    sys.exit(1 if r["failures"] and not a.peer else 0)


if __name__ == "__main__":
    main()
