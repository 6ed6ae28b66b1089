"""Shared by the scale scripts (issue 13): per-process samples read from /proc (RSS, open
file descriptors, CPU time), the role lines our processes print (tools/scale/roles.py),
and the flatness verdict on a series of samples. CPython on the host only."""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, "tests", "interop"))
sys.path.insert(0, os.path.join(TOP, "frozen"))
ROLES = os.path.join(HERE, "roles.py")
FROZEN = os.path.join(TOP, "frozen")
TICK = os.sysconf("SC_CLK_TCK")


def proc_sample(pid):
    """{"rss_kb", "fds", "cpu_s"} of a live process, None once it is gone."""
    try:
        with open("/proc/%d/status" % pid) as f:
            rss = 0
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
        fds = len(os.listdir("/proc/%d/fd" % pid))
        with open("/proc/%d/stat" % pid) as f:
            st = f.read().rsplit(")", 1)[1].split()
        return {"rss_kb": rss, "fds": fds, "cpu_s": (int(st[11]) + int(st[12])) / TICK}
    except (OSError, IndexError, ValueError):
        return None


def parse_role(line):
    """A roles.py line -> dict: "M t_ms heap free extra..." (memory sample), "E kind name"
    (event), "R what ok" (a resolution), "S json" (stats); None for anything else."""
    p = line.split(" ", 2)
    if p[0] == "M":
        v = [int(x) for x in line.split()[1:]]
        return {"m": v[0], "heap": v[1], "free": v[2], "extra": v[3:]}
    if p[0] == "E" and len(p) == 3:
        return {"e": p[1], "name": p[2]}
    if p[0] == "R" and len(p) == 3:
        return {"r": p[1], "ok": p[2] == "1"}
    if p[0] == "S":
        return {"s": json.loads(line[2:])}
    return None


def role_argv(host, role, args, mpy=None, heap_kb=None):
    """argv of roles.py ROLE inside host: CPython (the venv), or the unix binary `mpy`
    (frozen mdns; -X heapsize emulates a device heap)."""
    from testbed import venv_python
    if mpy:
        argv = [mpy]
        if heap_kb:
            argv += ["-X", "heapsize=%dK" % heap_kb]
        return argv + [ROLES, role] + [str(a) for a in args]
    return [venv_python(), ROLES, role] + [str(a) for a in args]


def fit(xs, ys):
    """Least-squares slope and intercept."""
    n = len(xs)
    if n < 2:
        return 0.0, (ys[0] if ys else 0.0)
    mx = sum(xs) / n
    my = sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    if not sxx:
        return 0.0, my
    a = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
    return a, my - a * mx


def flatness(ts, vs, t_from, t_to=None):
    """Over samples with t_from <= t (<= t_to): the fitted growth across the window, as
    an absolute figure and as a share of the mean, plus min/max/first/last."""
    pts = [(t, v) for t, v in zip(ts, vs) if t >= t_from and (t_to is None or t <= t_to)]
    if len(pts) < 2:
        return None
    xs = [p[0] for p in pts]
    ys = [p[1] for p in pts]
    a, _ = fit(xs, ys)
    mean = sum(ys) / len(ys)
    growth = a * (xs[-1] - xs[0])
    return {"n": len(ys), "mean": mean, "min": min(ys), "max": max(ys), "first": ys[0], "last": ys[-1],
            "growth": growth, "growth_pct": 100.0 * growth / mean if mean else 0.0}


def load_avg():
    with open("/proc/loadavg") as f:
        return f.read().split()[:3]


def write_json(path, obj):
    if not path:
        return
    d = os.path.dirname(path)
    if d:
        os.makedirs(d, exist_ok=True)
    with open(path, "w") as f:
        json.dump(obj, f, indent=1, sort_keys=True)


def subprocess_pipe():
    import subprocess
    return subprocess.PIPE
