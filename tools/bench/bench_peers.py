"""bench-peers: ours against the MicroPython mDNS libraries a user would pick instead,
all frozen into one 32-bit MicroPython unix binary with mdnsfast (issue 11).

Usage: python tools/bench/bench_peers.py --bin MICROPYTHON [--runs N] [--json OUT] CORPUS.hex...

Peers (never part of this repository; the binary is built with their paths, see
mk/peers.mk): SL = nickovs/slimDNS, CB = cbrand/micropython-mdns 1.8.0. A peer missing
from the binary is reported and left out. Each library runs in its own process
(tools/bench/peers_mpy.py) through its own receive path with fake sockets over the
same corpus: (1) parse + decide per packet not for us, (2) the library's own socket
loop per packet not for us, (3) answering an A query for the hostname, reply bytes
checked, (4) RAM after import + a hostname-only responder set up. Medians of --runs
runs; ratios are taken within each run, then their median is printed.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import common  # noqa: E402

LIBS = (("ours", "ours, mdnsfast"), ("sl", "SL slimDNS"), ("cb", "CB micropython-mdns 1.8.0"),
        ("ourspy", "ours, pure-Python backend"))
ROWS = (  # key, label, unit
    ("drop_us", "packet not for us, parse + decide", "us"),
    ("drop_heap", "heap per packet not for us, parse + decide", "B"),
    ("loop_us", "own socket loop per packet not for us", "us"),
    ("loop_extra", "heap per packet in the own loop beyond the socket read", "B"),
    ("answer_us", "answer one A query for the hostname, reply built", "us"),
    ("answer_heap", "heap per answer", "B"),
    ("ram", "RAM after import + hostname-only responder set up", "B"),
)


def run(binary, lib, corpus, measure):
    p = subprocess.run([binary, os.path.join(HERE, "peers_mpy.py"), lib, corpus, measure],
                       capture_output=True, text=True, timeout=900)
    for line in p.stdout.splitlines():
        if line.startswith("@@PEERS "):
            return json.loads(line[8:])
    err = (p.stderr or p.stdout).strip().splitlines()
    return {"error": err[-1] if err else "exit %d" % p.returncode}


def median(xs):
    xs = sorted(x for x in xs if x is not None)
    if not xs:
        return None
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2.0


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", required=True, help="the peer-bench MicroPython unix binary")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json")
    ap.add_argument("corpus", nargs="+")
    a = ap.parse_args(argv[1:])
    packets = common.load_corpus(a.corpus)
    have = run(a.bin, "ours", "-", "have").get("have", ())
    libs = [k for k, _ in LIBS if k in ("ours", "ourspy") or (k == "sl" and "slimDNS" in have)
            or (k == "cb" and "mdns_client" in have)]
    for k, name in LIBS:
        if k not in libs:
            print("bench-peers: %s is not in %s (build it with its path: see mk/peers.mk); left out" % (name, a.bin))
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        cp = os.path.join(tmp, "corpus.bin")
        with open(cp, "wb") as f:
            for p in packets:
                f.write(len(p).to_bytes(2, "big") + p)
        for i in range(a.runs):
            res = {}
            for k in libs:
                r = run(a.bin, k, cp, "run")
                if k != "ourspy":
                    r.update(run(a.bin, k, cp, "ram"))
                if "error" in r:
                    sys.exit("bench-peers: %s failed: %s" % (k, r["error"]))
                if "loop_heap" in r:
                    r["loop_extra"] = r["loop_heap"] - r["read_heap"]
                if k != "ourspy" and not (r.get("answer_ok") and r.get("answer_sent") == 1.0):
                    sys.exit("bench-peers: %s did not answer the A query with our address once per query" % k)
                res[k] = r
            runs.append(res)
            print("bench-peers: run %d/%d done" % (i + 1, a.runs))
    names = dict(LIBS)
    table = {}
    for k in libs:
        table[k] = dict((key, median([r[k].get(key) for r in runs])) for key, _, _ in ROWS)
    ratios = {}
    if "sl" in libs:
        for key, _, _ in ROWS:
            for k in ("ours", "ourspy"):
                rs = [r[k].get(key) / r["sl"][key] for r in runs
                      if r[k].get(key) is not None and r["sl"].get(key)]
                ratios[(k, key)] = median(rs)
    print("")
    print("bench-peers: %d datagrams (%s), 32-bit unix binary %s, medians of %d runs"
          % (len(packets), common.corpus_label(a.corpus), a.bin, a.runs))
    cols = [k for k in ("sl", "cb", "ours", "ourspy") if k in libs]
    print("| per device, 32-bit | " + " | ".join(names[k] for k in cols) + " | ours / SL | ours py / SL |")
    print("|---|" + "---:|" * (len(cols) + 2))
    for key, label, unit in ROWS:
        cells = []
        for k in cols:
            v = table[k].get(key)
            cells.append("" if v is None else ("%.2f" % v if unit == "us" else "%d" % round(v)))
        r1 = ratios.get(("ours", key))
        r2 = ratios.get(("ourspy", key))
        print("| %s (%s) | %s | %s | %s |" % (label, unit, " | ".join(cells),
                                             "" if r1 is None else "%.2f" % r1,
                                             "" if r2 is None else "%.2f" % r2))
    mods = runs[-1]["ours"].get("modules")
    print("ours, modules loaded by a hostname-only Responder: %s" % " ".join(mods or ()))
    if a.json:
        rows = []
        for key, label, unit in ROWS:
            for k in cols:
                if table[k].get(key) is not None:
                    v = table[k][key]
                    rows.append({"key": "%s_%s" % (k, key), "what": label, "how": names[k] + " (unix 32-bit)",
                                 "pps": 1e6 / v if unit == "us" and v else None,
                                 "heap": v if unit == "B" else None, "value": v, "unit": unit})
        common.write_result(a.json, "bench-peers", common.corpus_label(a.corpus), len(packets), rows,
                            [("%s / SL, %s" % (k, key), v) for (k, key), v in sorted(ratios.items())],
                            {"runs": runs})


if __name__ == "__main__":
    main(sys.argv)
