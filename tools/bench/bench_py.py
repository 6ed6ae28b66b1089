"""bench-py: decode throughput on CPython over one corpus, ours vs python-zeroconf.

Usage: python tools/bench/bench_py.py [--seconds S] [--json OUT] CORPUS.hex...

Rows (packets per second over the whole corpus, best of 3):
  decode    mdns.wire.decode with the pure-Python backend (mdns.fastpy)
  decode    mdns.wire.decode with the host-built mdnsfast C extension (env MDNS_HOST_FAST=dir)
  decode    zeroconf.DNSIncoming(buf) + .answers() (python-zeroconf, as installed: compiled wheel)
  concerns  mdns.wire.concerns(buf, table): the hot-path drop test, both backends
  walk      backend.walk(buf, offsets) alone, both backends
Packets our decoder rejects are counted and left out of every row.
"""
import argparse
import os
import sys
from array import array

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import common  # noqa: E402

# Names a typical device owns (the responder's drop-test table): host, instance, type, reverse.
OUR_NAMES = ["esp32-cam-04.local", "esp32-cam-04._http._tcp.local", "_http._tcp.local",
             "77.1.168.192.in-addr.arpa"]


def load_fast():
    d = os.environ.get("MDNS_HOST_FAST", "")
    if not d:
        return None, "MDNS_HOST_FAST not set (the host build of the C core: make test-c)"
    sys.path.insert(0, d)
    try:
        import mdnsfast
    except ImportError as e:
        return None, "mdnsfast not importable from %s: %s" % (d, e)
    return mdnsfast, ""


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=1.5, help="time per row (default 1.5)")
    ap.add_argument("--json", help="write the rows to this result file")
    ap.add_argument("corpus", nargs="+")
    a = ap.parse_args(argv[1:])

    fast, why_no_fast = load_fast()
    from mdns import fastpy, names, wire
    import zeroconf
    from zeroconf import DNSIncoming

    packets = common.load_corpus(a.corpus)
    wire.use(fastpy)
    good, rejected = [], 0
    for p in packets:
        try:
            wire.decode(p)
            good.append(p)
        except ValueError:
            rejected += 1
    label = common.corpus_label(a.corpus)
    print("bench-py: corpus %s: %d datagrams (%d rejected as malformed and left out), %.0f bytes average"
          % (label, len(good), rejected, sum(map(len, good)) / max(1, len(good))))
    print("bench-py: %s" % common.machine())

    table = b"".join(names.to_wire(n) for n in OUR_NAMES)
    maxrec = max(1, max(sum(int.from_bytes(p[i:i + 2], "big") for i in (4, 6, 8, 10)) for p in good))
    offsets = array("H", [0] * maxrec)
    # (key, what, how, fn or None when not measurable here)
    C_HOW = "CPython, mdnsfast (C extension)"
    zc_compiled = not zeroconf._protocol.incoming.__file__.endswith(".py")

    def zc(p):
        DNSIncoming(p).answers()

    decode, concerns = wire.decode, wire.concerns
    specs = [
        ("decode_py", "decode", "CPython, mdns.wire + mdns.fastpy (pure Python)", decode),
        ("decode_c", "decode", "CPython, mdns.wire + mdnsfast (C extension)", fast and decode),
        ("decode_zc", "decode", "CPython, zeroconf %s DNSIncoming+answers()%s"
         % (zeroconf.__version__, " (Cython build)" if zc_compiled else ""), zc),
        ("concerns_py", "concerns", "CPython, mdns.fastpy (pure Python)", lambda p: concerns(p, table)),
        ("concerns_c", "concerns", C_HOW, fast and (lambda p: concerns(p, table))),
        ("walk_py", "walk", "CPython, mdns.fastpy.walk", lambda p: fastpy.walk(p, offsets)),
        ("walk_c", "walk", "CPython, mdnsfast.walk (C extension)", fast and (lambda p: fast.walk(p, offsets))),
    ]
    # wire.use() is a global switch: each row sets its backend before each timing window.
    backend = {"decode_c": fast, "concerns_c": fast}
    plan = []
    for key, what, how, fn in specs:
        if fn:
            mod = backend.get(key) or fastpy
            plan.append((key, fn, lambda mod=mod: wire.use(mod)))
    res = common.measure(plan, good, a.seconds)
    wire.use(fastpy)
    rows = []
    for key, what, how, fn in specs:
        rows.append({"key": key, "what": what, "how": how, "pps": res.get(key) if fn else None,
                     "heap": None, "note": "" if fn else why_no_fast})
        res.setdefault(key, None)

    ratios = [
        ("decode: C extension / pure Python", common.ratio(res["decode_c"], res["decode_py"])),
        ("decode: ours pure Python / zeroconf", common.ratio(res["decode_py"], res["decode_zc"])),
        ("decode: ours with C extension / zeroconf", common.ratio(res["decode_c"], res["decode_zc"])),
        ("concerns: C extension / pure Python", common.ratio(res["concerns_c"], res["concerns_py"])),
        ("concerns vs decode (pure Python): drop test speed-up", common.ratio(res["concerns_py"], res["decode_py"])),
        ("walk: C extension / pure Python", common.ratio(res["walk_c"], res["walk_py"])),
    ]
    common.print_rows("bench-py (CPython, packets per second over the corpus)", rows)
    common.print_ratios(ratios)
    common.write_result(a.json, "bench-py", label, len(good), rows, ratios)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
