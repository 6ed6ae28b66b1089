"""bench-browser: how fast the browser finds a service, what the cache costs in
MicroPython, and how many packets a browse sends on a busy network.

Usage: python tools/bench/bench_browser.py [--lib build/mpy/lib] [--avahi N] [--busy S] [--json OUT]

1. MicroPython (WebAssembly port, .mpy): heap bytes per cached record (the cache's own
   bookkeeping, and a record decoded from a packet then cached), and heap per browse
   packet (an Avahi-style answer with PTR, SRV, TXT, A, AAAA turned into an `up`).
2. With --avahi N (root, network namespaces): N times, Avahi publishes a service, then
   a fresh mdns.Browser in another namespace is created; time from creation to its `up`
   event (in-process, no interpreter start-up), and python-zeroconf's ServiceBrowser
   the same way (to its first resolved `added` with addresses).
3. With --busy S (root): 24 services (12 by Avahi, 12 by python-zeroconf) on the LAN;
   our browser runs S seconds, then python-zeroconf's browser runs S seconds on another
   host; datagrams and bytes each one sent are counted on the bridge.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import common  # noqa: E402

MPY_SCRIPT = r'''
import gc, json
from mdns import browser, cache, wire
from mdns.engine import Engine
from mdns.wire import Message, Record

def lo(a, b):
    return a

def measure(fn):
    gc.collect()
    gc.disable()
    a = gc.mem_alloc()
    fn()
    n = gc.mem_alloc() - a
    gc.enable()
    return n

def bench(key, what, heap, note):
    print("@@BENCH " + json.dumps({"key": key, "what": what, "how": "MicroPython (wasm), .mpy", "heap": heap, "note": note}))

N = 50
eng = Engine(rand=lo)
c = cache.of(eng, max_records=1000, max_bytes=1000000)
recs = [Record("host-%d.local" % i, wire.TYPE_A, "10.2.0.%d" % i, 120, True) for i in range(N)]
for r in recs:
    r.key()
def add():
    for r in recs:
        c.add(r, 0)
bench("cache_rec_heap", "cache bookkeeping per A record", measure(add) // N, "bytes/record")

pkt = wire.encode(Message(0, wire.FLAG_QR, (), [Record("h%d.local" % i, wire.TYPE_A, "10.3.0.%d" % i, 120, True) for i in range(20)]))[0]
c2 = cache.of(Engine(rand=lo), max_records=1000, max_bytes=1000000)
bench("cache_pkt_heap", "A record decoded from a packet and cached", measure(lambda: c2.on_response(wire.decode(pkt), ("10.0.0.2", 5353), 0)) // 20, "bytes/record (decode included)")

SVC = "_http._tcp.local"
def answer(i):
    inst = "Device %d._http._tcp.local" % i
    host = "dev-%d.local" % i
    return wire.encode(Message(0, wire.FLAG_QR | wire.FLAG_AA, (), [Record(SVC, wire.TYPE_PTR, inst, 4500)], (), [
        Record(inst, wire.TYPE_SRV, (0, 0, 80, host), 120, True),
        Record(inst, wire.TYPE_TXT, {"path": b"/", "id": b"%d" % i}, 4500, True),
        Record(host, wire.TYPE_A, "10.4.0.%d" % (i + 1), 120, True),
        Record(host, wire.TYPE_AAAA, "fd77::%x" % (i + 1), 120, True)]))[0]
pkts = [answer(i) for i in range(20)]
e3 = Engine(rand=lo)
got = []
b = browser.BrowserPart(e3, "_http._tcp", on_event=got.append)
e3.tick(0)
def feed():
    for p in pkts:
        e3.feed(p, ("10.0.0.2", 5353), 1)
        e3.tick(1)  # as a driver does after reading
n = measure(feed)
assert len(got) == 20, len(got)
bench("browse_pkt_heap", "Avahi-style answer (PTR+SRV+TXT+A+AAAA) -> up event", n // 20, "bytes/service (decode, cache, event)")
bench("browse_cache_bytes", "cache size after 20 services (5 records each)", b.cache.bytes // 20, "counted bytes/service (name+rdata)")
'''


def mpy_rows(lib):
    node = shutil.which("node")
    if not node or not os.path.isfile(os.path.join(lib, "mdns", "browser.mpy")):
        sys.exit("bench-browser: needs node and the compiled package in %s (make mpy-compile)" % lib)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "bench_browser_mpy.py")
        with open(path, "w") as f:
            f.write(MPY_SCRIPT)
        cmd = [node, os.path.join(TOP, "tests", "mpy", "runner.mjs"), "--lib", lib, "--heap", "512", "--script", path]
        p = subprocess.run(cmd, capture_output=True, text=True, cwd=os.path.join(TOP, "tests", "mpy"))
    rows = []
    for line in p.stdout.splitlines():
        if line.startswith("@@BENCH "):
            r = json.loads(line[8:])
            rows.append({"key": r["key"], "what": r["what"], "how": r["how"], "pps": None, "heap": r["heap"],
                         "note": r["note"]})
        elif not line.startswith("@@"):
            print(line)
    if p.returncode != 0 or not rows:
        sys.stderr.write(p.stdout[-2000:] + p.stderr)
        sys.exit("bench-browser: the MicroPython run failed (exit status %d)" % p.returncode)
    return rows


OURS_UP = r'''
import sys, time
from mdns.browser import Browser
t0 = time.monotonic()
done = []
b = Browser(sys.argv[1], addrs=sys.argv[2:], on_event=lambda e: e.kind == "up" and done.append(time.monotonic()))
b.run_until(lambda: done, 10000)
print("UP %.4f" % (done[0] - t0) if done else "NONE")
b.close()
'''

ZC_UP = r'''
import sys, time, netns_guard
netns_guard.guard_or_exit(sys.argv[1])
from zeroconf import Zeroconf, ServiceBrowser, ServiceStateChange, IPVersion
zc = Zeroconf(interfaces=sys.argv[3:])
done = []
t0 = time.monotonic()
def on(zeroconf, service_type, name, state_change):
    if state_change is ServiceStateChange.Added and not done:
        info = zeroconf.get_service_info(service_type, name, 3000)
        if info and info.parsed_addresses(IPVersion.All):
            done.append(time.monotonic())
ServiceBrowser(zc, sys.argv[2] + ".local.", handlers=[on])
while not done and time.monotonic() - t0 < 10:
    time.sleep(0.005)
print("UP %.4f" % (done[0] - t0) if done else "NONE")
zc.close()
'''

BUSY_OURS = r'''
import sys, time
from mdns.browser import Browser
ups = []
b = Browser(sys.argv[1], addrs=sys.argv[3:], on_event=lambda e: e.kind == "up" and ups.append(e.instance))
b.run_until(lambda: False, int(float(sys.argv[2]) * 1000))
print("UPS %d" % len(set(ups)))
b.close()
'''

BUSY_ZC = r'''
import sys, time, netns_guard
netns_guard.guard_or_exit(sys.argv[1])
from zeroconf import Zeroconf, ServiceBrowser, ServiceStateChange
zc = Zeroconf(interfaces=sys.argv[4:])
seen = set()
def on(zeroconf, service_type, name, state_change):
    if state_change is ServiceStateChange.Added:
        zeroconf.get_service_info(service_type, name, 3000)
        seen.add(name)
ServiceBrowser(zc, sys.argv[2] + ".local.", handlers=[on])
time.sleep(float(sys.argv[3]))
print("UPS %d" % len(seen))
zc.close()
'''


def _testbed():
    sys.path.insert(0, os.path.join(TOP, "tests", "interop"))
    import testbed

    return testbed


def _py(host, code, args, timeout=60):
    r = host.python(["-c", code] + [str(a) for a in args], timeout=timeout, check=False)
    for line in r.stdout.splitlines():
        if line.startswith("UP ") or line.startswith("UPS "):
            return float(line.split()[1])
    raise RuntimeError("bench-browser: script failed in %s:\n%s%s" % (host.ns, r.stdout, r.stderr))


def avahi_rows(n):
    tbm = _testbed()
    ours, zcs = [], []
    for i in range(n):
        with tbm.Testbed(["dut", "avahi", "zcb"]) as tb:
            av = tb["avahi"].start_avahi()
            av.publish_service("Bench %d" % i, "_bench._tcp", 80, txt=["a=1"])
            dut, zcb = tb["dut"], tb["zcb"]
            ours.append(_py(dut, OURS_UP, ["_bench._tcp", dut.ip4, dut.ip6]))
            zcs.append(_py(zcb, ZC_UP, [zcb.ns, "_bench._tcp", zcb.ip4, zcb.ip6]))
    med = lambda v: sorted(v)[len(v) // 2]  # noqa: E731
    note = "median of %d: %.3f s (min %.3f, max %.3f)"
    return [
        {"key": "browse_up_s", "what": "Browser created -> first `up` (Avahi service)", "how": "CPython, ns testbed",
         "pps": None, "heap": None, "note": note % (n, med(ours), min(ours), max(ours)), "value": med(ours)},
        {"key": "browse_up_zc_s", "what": "python-zeroconf ServiceBrowser -> resolved with addresses",
         "how": "CPython, ns testbed", "pps": None, "heap": None,
         "note": note % (n, med(zcs), min(zcs), max(zcs)), "value": med(zcs)},
    ]


def busy_rows(seconds):
    tbm = _testbed()
    with tbm.Testbed(["dut", "avahi", "zc", "zcb"]) as tb:
        av = tb["avahi"].start_avahi()
        for i in range(12):
            av.publish_service("Avahi Device %02d" % i, "_bench._tcp", 8000 + i, txt=["id=%d" % i, "model=bench"])
        zc = tb["zc"].zeroconf()
        for i in range(12):
            zc.register("Zc Device %02d" % i, "_bench._tcp", 9000 + i, txt={"id": str(i)}, host="zcdev%d.local" % i)
        time.sleep(2)
        out = {}
        for who, host, code, args in (
            ("ours", tb["dut"], BUSY_OURS, ["_bench._tcp", seconds, tb["dut"].ip4, tb["dut"].ip6]),
            ("zeroconf", tb["zcb"], BUSY_ZC, [tb["zcb"].ns, "_bench._tcp", seconds, tb["zcb"].ip4, tb["zcb"].ip6]),
        ):
            sn = tb.sniff()
            found = _py(host, code, args, timeout=seconds + 60)
            time.sleep(0.3)
            mine = {host.ip4, host.ip6, getattr(host, "link_local", None)}
            pk = [p for p in sn.packets() if p["src"] in mine]
            sn.stop() if hasattr(sn, "stop") else None
            out[who] = (len(pk), sum(len(p["data"]) for p in pk), int(found))
    rows = []
    for who, key in (("ours", "busy_ours"), ("zeroconf", "busy_zc")):
        n, b, found = out[who]
        rows.append({"key": key, "what": "%s browser, 24 services, %g s" % (who, seconds),
                     "how": "datagrams sent by the browsing host (both families)", "pps": None, "heap": None,
                     "note": "%d datagrams, %d bytes, %d services found" % (n, b, found), "value": n})
    return rows


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lib", default=os.path.join(TOP, "build", "mpy", "lib"))
    ap.add_argument("--avahi", type=int, default=0, metavar="N")
    ap.add_argument("--busy", type=float, default=0, metavar="S")
    ap.add_argument("--json")
    a = ap.parse_args(argv[1:])
    rows = mpy_rows(a.lib)
    if a.avahi:
        rows += avahi_rows(a.avahi)
    if a.busy:
        rows += busy_rows(a.busy)
    res = dict((r["key"], r.get("value")) for r in rows)
    ratios = [("time to first up: python-zeroconf / ours", common.ratio(res.get("browse_up_zc_s"), res.get("browse_up_s"))),
              ("datagrams sent on a busy LAN: python-zeroconf / ours", common.ratio(res.get("busy_zc"), res.get("busy_ours")))]
    for r in rows:
        r.pop("value", None)
    common.print_rows("bench-browser", rows)
    common.print_ratios([(k, v) for k, v in ratios if v is not None])
    common.write_result(a.json, "bench-browser", "browser scenarios (tools/bench/bench_browser.py)", 0, rows, ratios)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
