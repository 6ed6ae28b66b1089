"""bench-report: one table for every part of this `make bench` run, with cross-part ratios.

Usage: python tools/bench/report.py BENCH_DIR

Reads BENCH_DIR/*.json (format: tools/bench/common.py) whose "run" equals $BENCH_RUN
(all parts of one `make bench` share it), so every ratio compares figures of one run.
Rows carry a "key"; the ratios below use these keys when present:
  bench-py:  decode_py decode_c decode_zc concerns_py concerns_c walk_py walk_c
  bench-mpy: decode_mpy concerns_mpy walk_mpy heap_typical
  bench-c:   walk_native walk_match_native (the C core, native, no Python;
             tools/bench/from_lines.py turns its text into a result file)
"""
import glob
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402


def main(argv):
    if len(argv) != 2:
        sys.exit(__doc__)
    run = os.environ.get("BENCH_RUN", "")
    parts = []
    for path in sorted(glob.glob(os.path.join(argv[1], "*.json"))):
        with open(path) as f:
            data = json.load(f)
        if run and data.get("run") != run:
            continue
        parts.append(data)
    if not parts:
        sys.exit("bench-report: no results of run %r in %s" % (run, argv[1]))
    rows, keys = [], {}
    for d in parts:
        for r in d["rows"]:
            rows.append(r)
            if r.get("key"):
                keys[r["key"]] = r
    # The header from a part that recorded its corpus (all parts get the same BENCH_CORPUS).
    first = next((d for d in parts if d.get("corpus") and d.get("packets")), parts[0])
    print("")
    print("== bench: %s, %s" % (first.get("date"), first.get("machine")))
    print("   corpus: %s (%s datagrams); run %s" % (first.get("corpus"), first.get("packets"), run or "-"))
    common.print_rows("all parts (packets per second over the corpus; heap = bytes per call)", rows)

    def pps(k):
        return keys.get(k, {}).get("pps")

    ratios = []
    for d in parts:
        ratios.extend((k, v) for k, v in d.get("ratios", []))
    ratios += [
        ("decode: CPython / MicroPython (wasm), both pure Python", common.ratio(pps("decode_py"), pps("decode_mpy"))),
        ("walk: native C core / CPython pure Python", common.ratio(pps("walk_native"), pps("walk_py"))),
        ("walk: native C core / MicroPython (wasm) pure Python", common.ratio(pps("walk_native"), pps("walk_mpy"))),
        ("walk: native C core / C extension from CPython", common.ratio(pps("walk_native"), pps("walk_c"))),
        ("walk+match native / concerns via C extension (binding cost)", common.ratio(pps("walk_match_native"), pps("concerns_c"))),
    ]
    common.print_ratios([(k, v) for k, v in ratios if v is not None])
    missing = [k for k, v in ratios if v is None]
    if missing:
        print("not measured in this run: " + "; ".join(missing))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
