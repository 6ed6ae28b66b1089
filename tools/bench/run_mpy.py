"""bench-mpy: the pure-Python codec inside real MicroPython (WebAssembly port under node).

Usage: python tools/bench/run_mpy.py --lib build/mpy/lib [--seconds S] [--heap KIB] [--json OUT] CORPUS.hex...

Runs tools/bench/bench_mpy.py with tests/mpy/runner.mjs (package from the .mpy files that
`make test-mpy` compiles), prints packets per second for decode / concerns / walk and the
heap bytes allocated per decode (gc disabled while it runs) of a typical packet.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import common  # noqa: E402


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lib", default=os.path.join(TOP, "build", "mpy", "lib"))
    ap.add_argument("--seconds", type=float, default=1.5, help="time per row (default 1.5)")
    ap.add_argument("--heap", type=int, default=128, help="initial MicroPython heap in KiB (default 128, ESP32-like)")
    ap.add_argument("--json", help="write the rows to this result file")
    ap.add_argument("corpus", nargs="+")
    a = ap.parse_args(argv[1:])
    node = shutil.which("node")
    if not node:
        sys.exit("bench-mpy: node not found: install Debian's nodejs (tools/setup-debian.sh)")
    if not os.path.isfile(os.path.join(a.lib, "mdns", "wire.mpy")):
        sys.exit("bench-mpy: no compiled package in %s: run `make mpy-compile`" % a.lib)
    with tempfile.TemporaryDirectory() as tmp:
        fs_names = []
        for i, c in enumerate(a.corpus):
            name = "%d-%s" % (i, os.path.basename(c))
            shutil.copy(c, os.path.join(tmp, name))
            fs_names.append("/corpus/" + name)
        cmd = [node, os.path.join(TOP, "tests", "mpy", "runner.mjs"), "--lib", a.lib, "--heap", str(a.heap),
               "--dir", tmp + ":/corpus", "--script", os.path.join(HERE, "bench_mpy.py"),
               "--ms=%d" % int(a.seconds * 1000)] + fs_names
        p = subprocess.run(cmd, capture_output=True, text=True, cwd=os.path.join(TOP, "tests", "mpy"))
    rows, info, heap_total = [], {}, None
    for line in p.stdout.splitlines():
        if line.startswith("@@BENCH "):
            rec = json.loads(line[8:])
            if rec["kind"] == "info":
                info = rec
            else:
                rows.append({"key": rec["key"], "what": rec["what"], "how": rec["how"], "pps": rec.get("pps"),
                             "heap": rec.get("heap"), "note": ""})
        elif line.startswith("@@MPYTEST "):
            rec = json.loads(line[10:])
            if rec.get("kind") == "heap":
                heap_total = rec["total"]
            elif rec.get("kind") == "crash":
                print("bench-mpy: MicroPython failed:\n" + rec["error"], file=sys.stderr)
        else:
            print(line)
    if p.returncode != 0 or not rows:
        sys.stderr.write(p.stderr)
        sys.exit("bench-mpy: the MicroPython run failed (exit status %d)" % p.returncode)
    label = common.corpus_label(a.corpus)
    print("bench-mpy: corpus %s: %d datagrams (%d rejected as malformed and left out)"
          % (label, info.get("packets", 0), info.get("rejected", 0)))
    print("bench-mpy: MicroPython %s (WebAssembly, node %s), mdns.wire from %s; heap %d KiB initial, grew to %s bytes"
          % (info.get("version"), subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip(),
             info.get("wire_file"), a.heap, heap_total))
    res = {r["key"]: r for r in rows}
    ratios = [
        ("concerns vs decode (MicroPython): drop test speed-up",
         common.ratio(res.get("concerns_mpy", {}).get("pps"), res.get("decode_mpy", {}).get("pps"))),
    ]
    common.print_rows("bench-mpy (MicroPython %s, WebAssembly; packets per second, heap bytes per call)"
                      % info.get("version"), rows)
    common.print_ratios(ratios)
    common.write_result(a.json, "bench-mpy", label, info.get("packets", 0), rows, ratios,
                        extra={"node": subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip(),
                               "heap_total": heap_total})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
