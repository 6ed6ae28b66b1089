"""Decode time of the pathological shapes of tests/py/decode_shapes.py (issue 15) next to a
typical announcement of the same size, per backend. Figures for BENCHMARKS.md; nothing asserted.

Usage: MDNS_HOST_FAST=build/host .venv/bin/python tools/bench/bench_shapes.py [--reps N]"""
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "py"))
import decode_shapes as S  # noqa: E402
from mdns import fastpy, wire  # noqa: E402


def best(pkt, reps):
    t = None
    for _ in range(7):
        t0 = time.process_time()
        for _ in range(reps):
            wire.decode(pkt)
        d = (time.process_time() - t0) / reps
        t = d if t is None or d < t else t
    return t


def main(argv):
    reps = int(argv[argv.index("--reps") + 1]) if "--reps" in argv else 20
    backends = [fastpy]
    d = os.environ.get("MDNS_HOST_FAST")
    if d:
        sys.path.insert(0, d)
        import mdnsfast

        backends.append(mdnsfast)
    print("load average: %s" % open("/proc/loadavg").read().split()[0])
    for be in backends:
        wire.use(be)
        for size in (1472, 2048):
            typ = S.typical_announcement(size)
            tt = best(typ, reps)
            print("%-12s %4d B  typical announcement %4d B %.3f ms" % (be.__name__, size, len(typ), tt * 1e3))
            for name in sorted(S.SHAPES):
                p = S.SHAPES[name](size)
                tp = best(p, reps)
                print("%-12s %4d B  %-28s %4d B %.3f ms  %.1fx per byte" % (
                    be.__name__, size, name, len(p), tp * 1e3, (tp / len(p)) / (tt / len(typ))))


if __name__ == "__main__":
    main(sys.argv[1:])
