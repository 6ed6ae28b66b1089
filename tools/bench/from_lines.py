"""Turn a part's text output into a result file for bench-report (and pass the text through).

Usage: PROGRAM ... | python tools/bench/from_lines.py PART OUT.json "HOW"

Lines of the form `<anything>: <name> <number> packets/s <rest>` become rows with
key `<name>_native` (non-alphanumerics -> "_", e.g. walk -> walk_native,
walk+match -> walk_match_native), what = <name>, how = HOW, note = <rest>.
Used by bench-c:  $(CBUILD)/bench_fast $(BENCH_CORPUS) | $(PY) tools/bench/from_lines.py bench-c $(BENCH_DIR)/bench-c.json "C core, native -O2"
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

LINE = re.compile(r"^[^:]*:\s+(\S+)\s+([0-9.]+)\s+packets/s\s*(.*)$")


def main(argv):
    if len(argv) != 4:
        sys.exit(__doc__)
    part, out, how = argv[1], argv[2], argv[3]
    rows = []
    for line in sys.stdin:
        sys.stdout.write(line)
        m = LINE.match(line.strip())
        if m:
            name = m.group(1)
            key = re.sub(r"[^A-Za-z0-9]+", "_", name) + "_native"
            rows.append({"key": key, "what": name, "how": how, "pps": float(m.group(2)), "heap": None,
                         "note": m.group(3).strip()})
    sys.stdout.flush()
    if not rows:
        sys.exit("%s: no '<name> <n> packets/s' lines in the output" % part)
    common.write_result(out, part, os.environ.get("BENCH_CORPUS", ""), None, rows, [])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
