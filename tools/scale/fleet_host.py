"""`python -m mdns fleet upgrade ...` in this process, measured (issue 13, scenario 2):
the real CLI (mdns.host.cli.main), with tracemalloc on and a thread sampling RSS
(/proc/self/status) and the thread count every 0.2 s. The Rollout and the
ImageServer the CLI makes are kept (their __init__ wrapped) to read per-device
figures afterwards: result, time, offers signed, HTTP requests and bytes served.

Usage: fleet_host.py METRICS.json -- fleet upgrade REL --key KEY ... --json
Writes METRICS.json; exits with the CLI's status. Runs inside a testbed namespace."""
import json
import os
import sys
import threading
import time
import tracemalloc

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "frozen"))


def status():
    """VmRSS and VmHWM (bytes) and Threads of this process."""
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                out[k] = int(v.split()[0]) * 1024
            elif k == "Threads":
                out[k] = int(v)
    return out


class Probe:
    def __init__(self):
        self.kept = {}
        self.samples = []  # (t, rss, traced, threads)
        self.marks = {}
        self._stop = threading.Event()
        self.t0 = time.monotonic()

    def keep(self, cls, what, mark=None):
        init = cls.__init__
        probe = self

        def wrapped(obj, *a, **kw):
            init(obj, *a, **kw)
            probe.kept[what] = obj
            if mark:
                probe.mark(mark)
        cls.__init__ = wrapped

    def mark(self, what):
        self.marks[what] = {"t": time.monotonic() - self.t0, "traced": tracemalloc.get_traced_memory()[0],
                            "rss": status()["VmRSS"]}
        if what == "rollout":
            tracemalloc.reset_peak()  # the rollout's own peak from here on

    def _sample(self):
        while not self._stop.wait(0.2):
            s = status()
            self.samples.append((round(time.monotonic() - self.t0, 2), s["VmRSS"],
                                 tracemalloc.get_traced_memory()[0], s["Threads"]))

    def start(self):
        threading.Thread(target=self._sample, name="probe", daemon=True).start()

    def stop(self):
        self._stop.set()


def per_device(ro, server):
    rows = []
    for t in ro.targets:
        c = server.progress(t.dev.get("address", "")) if server is not None else None
        rows.append({"device": t.name, "board": t.board, "result": t.result, "detail": t.detail,
                     "time": (t.t1 - t.t0) if (t.t0 is not None and t.t1 is not None) else None,
                     "offers": t.signs, "requests": c["requests"] if c else 0, "canary": t.canary})
    return rows


def main(argv):
    out, argv = argv[0], argv[argv.index("--") + 1:]
    tracemalloc.start()
    probe = Probe()
    from mdns.host import cli, fleet_rollout, fleet_server

    probe.keep(fleet_server.ImageServer, "server")
    probe.keep(fleet_rollout.Rollout, "rollout", mark="rollout")
    probe.start()
    rc = 0
    try:
        cli.main(argv)
    except SystemExit as e:
        rc = e.code or 0
    probe.mark("end")
    probe.stop()
    st = status()  # before the snapshot below, which costs memory of its own
    top = tracemalloc.take_snapshot().filter_traces([tracemalloc.Filter(True, "*mdns*")]).statistics("lineno")[:15]
    peak = tracemalloc.get_traced_memory()[1]
    cpu = os.times()
    ro, server = probe.kept.get("rollout"), probe.kept.get("server")
    m = {"exit": rc, "argv": argv, "marks": probe.marks, "traced_peak_rollout": peak, "rss_hwm": st["VmHWM"],
         "cpu_s": cpu[0] + cpu[1],
         "threads_max": max([s[3] for s in probe.samples] or [0]), "samples": probe.samples,
         "discovered": len(ro.fleet.devices) if ro else 0,
         "bytes_sent": server.bytes_sent if server else 0,
         "devices": per_device(ro, server) if ro else [],
         "top_mdns": ["%s: %d B in %d blocks" % (st.traceback[0], st.size, st.count) for st in top]}
    with open(out, "w") as f:
        json.dump(m, f)
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
