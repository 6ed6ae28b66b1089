"""bench-responder: what answering costs, and how fast a new host is found.

Usage: python tools/bench/bench_responder.py [--seconds S] [--lib build/mpy/lib] [--avahi N] [--json OUT]

1. Queries per second (and, in MicroPython, heap bytes per query) of a claimed responder
   (host + one service) for: a unique A query, a shared PTR query (answer with SRV, TXT,
   A, AAAA), a legacy unicast query, and a query for another name (dropped). CPython (the
   wire backend in use: mdnsfast C extension when MDNS_HOST_FAST provides it, else
   mdns.fastpy) and MicroPython (WebAssembly port, .mpy).
2. With --avahi N (root, network namespaces): N times, start `python -m mdns advertise`
   in a test namespace and time until Avahi on another host has resolved our service
   (avahi-browse -r event) and, separately, until our probe finished (the CLI's "claimed").
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


def cpython_rows(seconds):
    import responder_scenario
    from mdns import wire

    plan = responder_scenario.make()
    backend = getattr(wire, "backend", lambda: "?")()
    how = "CPython %s, wire backend %s" % (sys.version.split()[0], getattr(backend, "__name__", backend))
    best = dict((k, 0.0) for k, _, _ in plan)
    for _ in range(5):
        for key, what, fn in plan:
            n = 0
            t0 = time.perf_counter()
            while True:
                for _ in range(50):
                    fn()
                n += 50
                dt = time.perf_counter() - t0
                if dt >= seconds / 5:
                    break
            best[key] = max(best[key], n / dt)
    return [{"key": k + "_py", "what": w, "how": how, "pps": best[k], "heap": None, "note": "queries/s"}
            for k, w, _ in plan]


def mpy_rows(lib, seconds):
    node = shutil.which("node")
    if not node or not os.path.isfile(os.path.join(lib, "mdns", "responder.mpy")):
        sys.exit("bench-responder: needs node and the compiled package in %s (make mpy-compile)" % lib)
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "bench_responder_mpy.py"), "w") as out:
            for f in ("responder_scenario.py", "bench_responder_mpy.py"):
                with open(os.path.join(HERE, f)) as src:
                    out.write(src.read() + "\n")
        cmd = [node, os.path.join(TOP, "tests", "mpy", "runner.mjs"), "--lib", lib, "--heap", "128",
               "--script", os.path.join(tmp, "bench_responder_mpy.py"), "--ms=%d" % int(seconds * 1000)]
        p = subprocess.run(cmd, capture_output=True, text=True, cwd=os.path.join(TOP, "tests", "mpy"))
    rows = []
    for line in p.stdout.splitlines():
        if line.startswith("@@BENCH "):
            r = json.loads(line[8:])
            rows.append({"key": r["key"], "what": r["what"], "how": r["how"], "pps": r.get("pps"),
                         "heap": r.get("heap"), "note": "queries/s" if r.get("pps") else "bytes/query"})
        elif not line.startswith("@@"):
            print(line)
    if p.returncode != 0 or not rows:
        sys.stderr.write(p.stderr)
        sys.exit("bench-responder: the MicroPython run failed (exit status %d)" % p.returncode)
    return rows


def avahi_rows(n):
    sys.path.insert(0, os.path.join(TOP, "tests", "interop"))
    from testbed import LineStream, Testbed

    claim, found = [], []
    for i in range(n):
        with Testbed(["dut", "avahi"]) as tb:
            dut = tb["dut"]
            av = tb["avahi"].start_avahi()
            stream = av.browse_stream("_bench._tcp")
            time.sleep(0.3)  # let avahi-browse subscribe
            t0 = time.time()
            p = dut.python_popen(["-m", "mdns", "advertise", "--host", "bench-%d" % i, "--interface", dut.ip4,
                                  "--interface", dut.ip6, "--service", "Bench", "_bench._tcp", "80"],
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            out = LineStream(p, name="advertise")
            out.wait_for(lambda l: l.startswith("claimed service"), 10)
            t1 = time.time()
            stream.wait_for(lambda e: e["event"] == "resolved" and e["name"] == "Bench", 10)
            t2 = time.time()
            claim.append(t1 - t0)
            found.append(t2 - t0)
            tb.stop_process(p)
    med = lambda v: sorted(v)[len(v) // 2]  # noqa: E731
    note = "median of %d, s (min %.2f, max %.2f)"
    return [
        {"key": "resp_claim_s", "what": "start -> name claimed (probing)", "how": "CPython CLI, ns testbed",
         "pps": None, "heap": None, "note": note % (n, min(claim), max(claim)), "value": med(claim)},
        {"key": "resp_avahi_s", "what": "start -> service resolved by Avahi", "how": "avahi-browse -r, ns testbed",
         "pps": None, "heap": None, "note": note % (n, min(found), max(found)), "value": med(found)},
    ]


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=1.5)
    ap.add_argument("--lib", default=os.path.join(TOP, "build", "mpy", "lib"))
    ap.add_argument("--avahi", type=int, default=0, metavar="N")
    ap.add_argument("--json")
    a = ap.parse_args(argv[1:])
    rows = cpython_rows(a.seconds) + mpy_rows(a.lib, a.seconds)
    if a.avahi:
        rows += avahi_rows(a.avahi)
    for r in rows:
        if "value" in r:
            r["note"] = "%.2f s, %s" % (r.pop("value"), r["note"])
    res = dict((r["key"], r) for r in rows)
    ratios = [("answer A: CPython vs MicroPython (wasm)",
               common.ratio(res.get("resp_a_py", {}).get("pps"), res.get("resp_a_mpy", {}).get("pps"))),
              ("drop vs answer A (MicroPython)",
               common.ratio(res.get("resp_drop_mpy", {}).get("pps"), res.get("resp_a_mpy", {}).get("pps")))]
    common.print_rows("bench-responder (queries per second; heap bytes per query in MicroPython)", rows)
    common.print_ratios(ratios)
    common.write_result(a.json, "bench-responder", "responder scenario (tools/bench/responder_scenario.py)", 0,
                        rows, ratios)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
