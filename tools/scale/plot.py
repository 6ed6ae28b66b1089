"""PNG plots of the scale runs (issue 13) from their recorded samples, with matplotlib:

    plot.py soak build/scale/soak-30.json docs/img/soak-30.png
    plot.py flood build/scale/flood-cpython.json build/scale/flood-mpy.json docs/img/flood-heap.png

Soak: heap, RSS and open file descriptors of each of our processes over the run, the
warm-up shaded. Flood: each responder's heap over the flood."""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

LABEL = {"browser": "browser (CPython)", "browser_mpy": "browser (MicroPython unix, 32-bit)",
         "responder": "responder (CPython)", "resolver": "resolver (CPython)", "zeroconf": "python-zeroconf browser"}


def series(samples, key, scale=1.0, end=None):
    # from the start of the churn to its end (processes exiting afterwards are left out)
    pts = [(s["t"] / 60.0, s[key] * scale) for s in samples
           if s.get(key) is not None and s["t"] >= 0 and (end is None or s["t"] <= end)]
    return [p[0] for p in pts], [p[1] for p in pts]


def soak(src, out):
    r = json.load(open(src))
    sm = r["samples"]
    end = r["minutes"] * 60 + 5
    fig, ax = plt.subplots(3, 1, figsize=(9, 9), sharex=True)
    warm = r["warmup_s"] / 60.0
    for a in ax:
        a.axvspan(0, warm, color="0.92")
        a.grid(alpha=0.3)
    for k in ("browser", "responder"):
        if k in sm:
            ax[0].plot(*series(sm[k], "heap", 1.0, end), label=LABEL[k] + ": allocated blocks")
    if "browser_mpy" in sm:
        tw = ax[0].twinx()
        tw.plot(*series(sm["browser_mpy"], "heap", 1 / 1024.0, end), color="tab:red",
                label=LABEL["browser_mpy"] + ": gc.mem_alloc() KiB")
        tw.set_ylabel("MicroPython heap (KiB)")
        tw.set_ylim(bottom=0)
        tw.legend(loc="lower right", fontsize=8)
    ax[0].set_ylabel("CPython heap (blocks)")
    ax[0].set_ylim(bottom=0)
    ax[0].legend(loc="lower left", fontsize=8)
    for k in ("browser", "browser_mpy", "responder", "resolver", "zeroconf"):
        if k in sm:
            ax[1].plot(*series(sm[k], "rss_kb", 1 / 1024.0, end), label=LABEL[k])
            ax[2].plot(*series(sm[k], "fds", 1.0, end), label=LABEL[k])
    ax[1].set_ylabel("RSS (MiB)")
    ax[1].set_ylim(bottom=0)
    ax[1].legend(fontsize=8)
    ax[2].set_ylabel("open fds")
    ax[2].set_ylim(bottom=0)
    ax[2].set_xlabel("minutes of churn (grey: warm-up)")
    c = r["churn"]
    fig.suptitle("Soak: %g min, %d hosts, %d services added / %d TXT changes / %d removed" % (
        r["minutes"], r["hosts"], c["added"], c["txt_changes"], c["removed"]), fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=80)


def flood(srcs, out):
    fig, ax = plt.subplots(1, 1, figsize=(9, 4))
    for src in srcs:
        r = json.load(open(src))
        t = [s["t"] for s in r["samples"] if s.get("heap") is not None]
        h = [s["heap"] for s in r["samples"] if s.get("heap") is not None]
        if r["impl"] == "cpython":
            tw = ax.twinx()
            tw.plot(t, h, color="tab:blue", label="CPython responder: allocated blocks")
            tw.set_ylabel("CPython heap (blocks)")
            tw.set_ylim(bottom=0)
            tw.legend(loc="lower right", fontsize=8)
        else:
            ax.plot(t, [x / 1024.0 for x in h], color="tab:red", label="MicroPython responder: gc.mem_alloc() KiB")
            ax.set_ylabel("MicroPython heap (KiB)")
            ax.legend(loc="lower left", fontsize=8)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("seconds of flood")
    ax.grid(alpha=0.3)
    fig.suptitle("Flood: the responder's heap, sampled each second after gc.collect()", fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=80)


if __name__ == "__main__":
    if sys.argv[1] == "soak":
        soak(sys.argv[2], sys.argv[3])
    else:
        flood(sys.argv[2:-1], sys.argv[-1])
