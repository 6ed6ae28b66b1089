"""Shared pieces of the benchmarks (CPython side): corpus loading, timing, result files.

A result file (build/bench/<part>.json) holds one part's rows so that bench-report can
print every part of one `make bench` run in a single table:
    {"part": "bench-py", "run": "<BENCH_RUN id>", "corpus": "...", "packets": N,
     "rows": [{"what": "decode", "how": "CPython, pure Python (mdns.fastpy)",
               "pps": 12345.0, "heap": null, "note": ""}, ...]}
`pps` is packets per second (null when not measured), `heap` bytes (null when not measured).
Benchmarks never assert timings; they measure and print.
"""
import json
import os
import platform
import sys
import time


def read_hex(path):
    out = []
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                out.append(bytes.fromhex(line.replace(" ", "")))
    return out


def load_corpus(paths):
    packets = []
    for p in paths:
        packets.extend(read_hex(p))
    if not packets:
        sys.exit("bench: the corpus (%s) holds no datagrams" % " ".join(paths))
    return packets


def corpus_label(paths):
    return " ".join(os.path.relpath(p) for p in paths)


def measure(plan, packets, seconds=1.5, rounds=5):
    """Packets per second of each fn(packet) over the corpus, for plan = [(key, fn, setup), ...]
    (setup() is called, untimed, before each of the row's timing windows; None for none).

    The rows are interleaved: `rounds` rounds, each timing every row for seconds/rounds,
    best round kept. On a shared machine the load then hits all rows alike, so ratios
    between rows of one run stay meaningful even when the absolute figures move.
    """
    best = dict((row[0], 0.0) for row in plan)
    for _ in range(rounds):
        for key, fn, setup in plan:
            if setup:
                setup()
            n = 0
            t0 = time.perf_counter()
            while True:
                for p in packets:
                    fn(p)
                n += len(packets)
                dt = time.perf_counter() - t0
                if dt >= seconds / rounds:
                    break
            best[key] = max(best[key], n / dt)
    return best


def machine():
    cores = os.cpu_count()
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return "%s, %s cores, %s %s" % (cpu, cores, platform.python_implementation(), platform.python_version())


def fmt_pps(v):
    if v is None:
        return "-"
    if v >= 1e6:
        return "%.2fM" % (v / 1e6)
    if v >= 1e4:
        return "%.1fk" % (v / 1e3)
    return "%.0f" % v


def print_rows(title, rows):
    print("")
    print(title)
    w1 = max([len(r["what"]) for r in rows] + [4])
    w2 = max([len(r["how"]) for r in rows] + [3])
    print("  %-*s  %-*s  %10s  %10s  %s" % (w1, "what", w2, "how", "packets/s", "heap B", "note"))
    for r in rows:
        heap = "-" if r.get("heap") is None else "%d" % r["heap"]
        print("  %-*s  %-*s  %10s  %10s  %s" % (w1, r["what"], w2, r["how"], fmt_pps(r.get("pps")), heap, r.get("note", "")))


def print_ratios(ratios):
    if not ratios:
        return
    print("ratios (same run):")
    for label, value in ratios:
        print("  %-62s %s" % (label, "-" if value is None else "%.2fx" % value))


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def write_result(path, part, corpus, packets, rows, ratios, extra=None):
    if not path:
        return
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    data = {
        "part": part,
        "run": os.environ.get("BENCH_RUN", ""),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": machine(),
        "corpus": corpus,
        "packets": packets,
        "rows": rows,
        "ratios": [[k, v] for k, v in ratios],
    }
    if extra:
        data.update(extra)
    with open(path, "w") as f:
        json.dump(data, f, indent=1)
