"""Fleet at scale (issue 13, scenario 2): `fleet upgrade` of N simulated devices
(two boards) on the namespace testbed, with a --max-parallel sweep, and the host
process's memory against the number of devices.

The LAN: a host namespace and N/PER_NS device namespaces; each device namespace
runs one tools/scale/fleet_devs.py process with PER_NS devices, each on its own
IPv4 address (10.77.S.101...). Phase 1 starts the first SMALL devices and upgrades
them at --mem-parallel (the memory baseline); phase 2 starts the rest and runs
one rollout of every device per --parallel value, each to a new version. Every
rollout is the real CLI (tools/scale/fleet_host.py measures it from inside); after
each, `fleet list` checks every device: new version, `valid`, no last_error.

Usage (root): python tools/scale/fleet.py [--devices 100] [--small 25] [--per-ns 10]
        [--size 1500000] [--parallel 4,10,25] [--mem-parallel 10] [--json OUT]
Prints one line per rollout and a table; measures, asserts nothing
(tests/interop/test_scale_fleet.py holds the short version to its limits)."""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, "tests", "interop"))
import testbed  # noqa: E402
import test_fleet_e2e as e2e  # noqa: E402

BOARDS = ("SIM_A", "SIM_B")
SLOT = 0x1C0000  # the 4 MiB table's OTA slot (1.75 MiB): room for a 1.5 MB image


def loadavg():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


class FleetLan:
    """The testbed, the key and the device processes of one scale run."""

    def __init__(self, tb, n, per_ns, slot=SLOT, watchdog=10.0):
        self.tb, self.n, self.per_ns, self.slot, self.watchdog = tb, n, per_ns, slot, watchdog
        self.names = ["d%03d" % i for i in range(1, n + 1)]
        self.key = e2e.keygen(tb)
        self.procs = []
        self.version = None
        self.started = 0

    def board(self, name):
        return BOARDS[int(name[1:]) % len(BOARDS)]

    def ip(self, name):
        return "10.77.%d.%d" % (self.tb.subnet, 100 + int(name[1:]))

    def group(self, name):
        return "g%02d" % ((int(name[1:]) - 1) // self.per_ns + 1)

    def start(self, upto, version="0.1.0"):
        """Start devices self.started+1 .. upto (grouped per namespace)."""
        new = self.names[self.started:upto]
        groups = {}
        for name in new:
            groups.setdefault(self.group(name), []).append(name)
        for g, names in sorted(groups.items()):
            h = self.tb[g]
            specs = []
            for name in names:
                h.run(["ip", "addr", "add", self.ip(name) + "/24", "dev", "veth0"])
                specs.append("%s=%s@%s" % (name, self.board(name), self.ip(name)))
            log = open(os.path.join(self.tb.dir, "log-%s-%s" % (g, names[0])), "w")
            self.procs.append(h.python_popen(
                [os.path.join(HERE, "fleet_devs.py"), "--root", self.tb.dir, "--key", self.key + ".pub",
                 "--version", version, "--slot-size", hex(self.slot), "--watchdog", str(self.watchdog)] + specs,
                stdout=log, stderr=subprocess.STDOUT))
        self.started = upto
        return self.wait_listed(self.names[:upto])

    def wait_listed(self, names, timeout=120):
        t0 = time.time()
        rows = e2e.fleet_list(self.tb, want=len(names), timeout=timeout)
        missing = [n for n in names if n not in rows]
        if missing:
            raise RuntimeError("%d device(s) never listed: %s" % (len(missing), " ".join(missing[:10])))
        return time.time() - t0

    def release(self, version, size):
        d = None
        for b in BOARDS:
            d = e2e.release(self.tb, "rel-" + version, b, version, "--size", str(size), "--slot-size", hex(self.slot))
        return d

    def dead(self):
        return [p.args[-1] for p in self.procs if p.poll() is not None]

    def upgrade(self, version, size, parallel, canary=1, timeout=300, discover=3.0, names=None):
        """One rollout of `names` (default: every started device) -> summary dict."""
        names = names or self.names[:self.started]
        rel = self.release(version, size)
        metrics = os.path.join(self.tb.dir, "metrics-%s.json" % version)
        argv = [os.path.join(HERE, "fleet_host.py"), metrics, "--", "fleet", "upgrade", rel, "--key", self.key,
                "--canary", str(canary), "--max-parallel", str(parallel), "--timeout", str(timeout),
                "--discover", str(discover), "--json"]
        if len(names) < self.started:
            argv += ["--only"] + names
        load0 = loadavg()
        t0 = time.time()
        r = self.tb["host"].python(argv, check=False, timeout=timeout * 4 + 120)
        wall = time.time() - t0
        with open(metrics) as f:
            m = json.load(f)
        rows = e2e.fleet_list(self.tb, want=self.started, timeout=30)
        bad = {}
        for n in names:
            d = rows.get(n)
            if d is None:
                bad[n] = "not listed"
            elif d["fw"] != version or d["ota"] != "valid" or d["last_error"]:
                bad[n] = "fw %s ota %s last_error %r" % (d["fw"], d["ota"], d["last_error"])
        return summarise(m, r, wall, load0, names, size, parallel, canary, bad, self.dead())


def summarise(m, r, wall, load0, names, size, parallel, canary, bad, dead):
    devs = m["devices"]
    times = sorted(d["time"] for d in devs if d["time"] is not None)
    rollout_s = m["marks"]["end"]["t"] - m["marks"]["rollout"]["t"]
    results = {}
    for d in devs:
        results[d["result"]] = results.get(d["result"], 0) + 1
    return {
        "devices": len(names), "discovered": m["discovered"], "max_parallel": parallel, "canary": canary,
        "image": size, "exit": r.returncode, "wall_s": round(wall, 2), "rollout_s": round(rollout_s, 2),
        "mb_per_s": round(m["bytes_sent"] / rollout_s / 1e6, 2) if rollout_s > 0 else None,
        "bytes_sent": m["bytes_sent"], "bytes_per_device": round(m["bytes_sent"] / max(1, len(names))),
        "dev_s": {"min": round(times[0], 2), "median": round(statistics.median(times), 2),
                  "max": round(times[-1], 2)} if times else None,
        "reoffers": sum(max(0, d["offers"] - 1) for d in devs),
        "http_retries": sum(max(0, d["requests"] - 1) for d in devs),
        "results": results, "bad": bad, "dead_processes": dead,
        "traced_after_discovery": m["marks"]["rollout"]["traced"], "traced_peak_rollout": m["traced_peak_rollout"],
        "rss_after_discovery": m["marks"]["rollout"]["rss"], "rss_hwm": m["rss_hwm"],
        "threads_max": m["threads_max"], "host_cpu_s": round(m["cpu_s"], 2),
        "load_before": load0, "load_after": loadavg(),
        "stderr_tail": "" if r.returncode == 0 else (r.stdout[-1500:] + r.stderr[-1500:]),
        "per_device": {d["device"]: d for d in devs}, "top_mdns": m.get("top_mdns", []),
    }


def line(s):
    d = s["dev_s"] or {}
    return ("%3d devices, --max-parallel %2d: exit %d, %.1f s wall (rollout %.1f s), %.1f MB/s served, "
            "per device %s/%s/%s s (min/median/max), re-offers %d, HTTP retries %d, bad %d, "
            "host traced %.0f KiB after discovery / %.0f KiB peak, RSS %.1f MiB peak, %d threads, load %.2f" % (
                s["devices"], s["max_parallel"], s["exit"], s["wall_s"], s["rollout_s"], s["mb_per_s"] or 0,
                d.get("min"), d.get("median"), d.get("max"), s["reoffers"], s["http_retries"], len(s["bad"]),
                s["traced_after_discovery"] / 1024, s["traced_peak_rollout"] / 1024, s["rss_hwm"] / 2 ** 20,
                s["threads_max"], s["load_before"][0]))


def per_device_growth(small, big):
    """Bytes of host memory per extra device on the LAN, from two runs at one --max-parallel."""
    k = big["devices"] - small["devices"]
    return {"traced_peak": (big["traced_peak_rollout"] - small["traced_peak_rollout"]) / k,
            "traced_after_discovery": (big["traced_after_discovery"] - small["traced_after_discovery"]) / k,
            "rss_hwm": (big["rss_hwm"] - small["rss_hwm"]) / k}


def run(n, small, per_ns, size, parallel, mem_parallel, out=None):
    groups = ["g%02d" % (i + 1) for i in range((n + per_ns - 1) // per_ns)]
    res = {"load_start": loadavg(), "runs": []}
    with testbed.Testbed(["host"] + groups) as tb:
        lan = FleetLan(tb, n, per_ns)
        res["listed_small_s"] = round(lan.start(small), 1)
        s = lan.upgrade("0.2.0", size, mem_parallel)
        print(line(s), flush=True)
        res["runs"].append(s)
        res["listed_all_s"] = round(lan.start(n), 1)
        for i, par in enumerate(parallel):
            s = lan.upgrade("0.%d.0" % (3 + i), size, par)
            print(line(s), flush=True)
            res["runs"].append(s)
        same = [r for r in res["runs"][1:] if r["max_parallel"] == mem_parallel]
        if same:
            res["growth_per_device"] = per_device_growth(res["runs"][0], same[0])
            print("host memory per extra device (%d -> %d devices, --max-parallel %d): %s" % (
                small, n, mem_parallel, ", ".join("%s %.0f B" % kv for kv in res["growth_per_device"].items())))
    res["load_end"] = loadavg()
    if out:
        with open(out, "w") as f:
            json.dump(res, f, indent=1)
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--devices", type=int, default=100)
    ap.add_argument("--small", type=int, default=25, help="devices in the memory baseline run")
    ap.add_argument("--per-ns", type=int, default=10, help="devices per namespace and process")
    ap.add_argument("--size", type=int, default=1500000)
    ap.add_argument("--parallel", default="4,10,25")
    ap.add_argument("--mem-parallel", type=int, default=10)
    ap.add_argument("--json")
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("scale-fleet: needs root (network namespaces); run it as root (CI does)")
    res = run(a.devices, a.small, a.per_ns, a.size, [int(x) for x in a.parallel.split(",")], a.mem_parallel, a.json)
    bad = [r for r in res["runs"] if r["exit"] != 0 or r["bad"] or r["dead_processes"]]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
