"""bench-fleet (issue 7): `fleet upgrade` of 10 simulated devices with a 1.5 MB image
on the namespace testbed (root), time and host bytes sent per device; and the heap
of the device-side upgrade path in MicroPython (WebAssembly, from the test case's
figures). Measures and prints; asserts nothing about speed.

Usage: python tools/bench/bench_fleet.py --lib BUILD/mpy/lib [--devices 10] [--size 1500000]
                                         [--parallel 4,10] [--json OUT]
Without root the testbed part is left out (and said so)."""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import common  # noqa: E402

SLOT = 0x1C0000  # the 4 MiB table's OTA slot


def mpy_heap(lib):
    node_dir = os.path.join(TOP, "tests", "mpy")
    case = os.path.join(node_dir, "cases", "test_fleet.py")
    vectors = os.path.join(TOP, "tests", "vectors")  # the case's signed offers (fleet_offers.json)
    p = subprocess.run(["node", "runner.mjs", "--lib", lib, "--dir", vectors + ":/vectors", "--case", case],
                       cwd=node_dir,
                       capture_output=True, text=True, timeout=600)
    rows = []
    for line in p.stdout.splitlines():
        if line.startswith("@@MPYTEST "):
            rec = json.loads(line[10:])
            if rec.get("kind") == "note" and ("heap" in rec["label"] or "fleet agent" in rec["label"]):
                rows.append({"what": "fleet: " + rec["label"], "how": "MicroPython 1.29 (wasm), .mpy",
                             "pps": None, "heap": rec["value"], "note": ""})
            if rec.get("kind") == "test" and not rec.get("ok"):
                sys.exit("bench-fleet: MicroPython case failed: %s" % rec.get("error"))
    if not rows:
        sys.exit("bench-fleet: no heap figures from the MicroPython case:\n" + p.stdout[-2000:] + p.stderr[-2000:])
    return rows


def lan(n_devices, size, parallel):
    sys.path.insert(0, os.path.join(TOP, "tests", "interop"))
    import testbed
    import test_fleet_e2e as e2e

    names = ["d%02d" % i for i in range(1, n_devices + 1)]
    rows = []
    for par in parallel:
        with testbed.Testbed(["host"] + names) as tb:
            key = e2e.keygen(tb)
            for n in names:
                st = os.path.join(tb.dir, "state-" + n)
                log = open(os.path.join(tb.dir, "log-" + n), "w")
                tb[n].python_popen(["-m", "mdns", "fleet", "simulate", "--board", "SIM", "--version", "0.1.0",
                                    "--key", key + ".pub", "--name", n, "--state", st, "--slot-size", hex(SLOT),
                                    "--image-size", str(size)], stdout=log, stderr=subprocess.STDOUT)
            got = e2e.fleet_list(tb, want=n_devices, timeout=60)
            if len(got) != n_devices:
                sys.exit("bench-fleet: only %d of %d simulated devices came up" % (len(got), n_devices))
            rel = e2e.release(tb, "rel", "SIM", "0.2.0", "--size", str(size), "--slot-size", hex(SLOT))
            t0 = time.time()
            r = tb["host"].python(["-m", "mdns", "fleet", "upgrade", rel, "--key", key, "--max-parallel", str(par),
                                   "--timeout", "240", "--discover", "2", "--json"], check=False, timeout=600)
            took = time.time() - t0
            if r.returncode != 0:
                sys.exit("bench-fleet: fleet upgrade failed (%d):\n%s\n%s" % (r.returncode, r.stdout[-3000:], r.stderr[-2000:]))
            out = json.loads(r.stdout[r.stdout.index("{"):])
            per_dev = out["bytes_sent"] / n_devices
            rows.append({"what": "fleet upgrade, %d devices, %.2f MB image" % (n_devices, size / 1e6),
                         "how": "simulated devices in namespaces, --max-parallel %d" % par, "pps": None, "heap": None,
                         "note": "%.1f s wall (incl. 2 s discovery); %.0f bytes sent per device (%.3fx the image)"
                                 % (took, per_dev, per_dev / size)})
            print(rows[-1]["what"], rows[-1]["how"], rows[-1]["note"], flush=True)
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib", required=True)
    ap.add_argument("--devices", type=int, default=10)
    ap.add_argument("--size", type=int, default=1500000)
    ap.add_argument("--parallel", default="4,10")
    ap.add_argument("--json")
    a = ap.parse_args()
    rows = mpy_heap(a.lib)
    if os.geteuid() == 0:
        rows += lan(a.devices, a.size, [int(x) for x in a.parallel.split(",")])
    else:
        print("bench-fleet: not root: the testbed part (fleet upgrade timing) is left out")
    common.print_rows("bench-fleet", rows)
    common.write_result(a.json, "bench-fleet", "-", 0, rows, [])
    return 0


if __name__ == "__main__":
    sys.exit(main())
