"""Short versions of the issue-13 load scenarios (`make test-scale-load`, part of `make
test`): a few seconds of flood at a responder of ours, the browser under 1,000 services
announced at once, and 45 s of churn across 10 hosts. Each runs the same tool as the long
`make scale-flood` / `make soak` (tools/scale/) and fails on the same checks: a missed,
late or wrongly sent answer, a crash, a watched service evicted, the cache past its bounds,
an event count that differs from the churn, a failed resolution, an fd leak. Root only
(network namespaces): without it the tools fail, they never skip."""
import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
SCALE = os.path.join(TOP, "tools", "scale")


def tool(name, args, tmp_path, timeout):
    out = tmp_path / (name + ".json")
    r = subprocess.run([sys.executable, os.path.join(SCALE, name + ".py")] + [str(a) for a in args]
                       + ["--json", str(out)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=timeout)
    print(r.stdout)
    assert out.exists(), "%s wrote no result (exit %d):\n%s" % (name, r.returncode, r.stdout[-3000:])
    res = json.loads(out.read_text())
    assert res["failures"] == [] and r.returncode == 0, r.stdout[-3000:]
    return res


@pytest.mark.interop_timeout(150)
def test_scale_load_flood_and_browser_under_1000_services(netns_ready, tmp_path):
    r = tool("flood", ["--rate", 2000, "--seconds", 6, "--warmup", 1, "--tol-ms", 150, "--browser",
                          "--browser-seconds", 12],
             tmp_path, 140)
    c = r["counts"]
    # every query for our names got its due: answered or rate-limited on time, suppressed,
    # or (legacy) answered by unicast; the tool already failed on any late or missing one
    # (150 ms of scheduling allowed on top of the RFC delays here: make test shares the
    # machine; the long run allows 30 ms)
    assert c["answered"] + c["rate_limited"] > 100 and c["suppressed"] > 50 and c["legacy_answered"] > 20, c
    assert r["responder_alive"] and r["sent"] >= 2000 * 6 * 0.5, r["sent"]
    b = r["browser"]
    assert b["watched_up_before"] == 5 and b["watched_up_after"] == 5 and b["watched_down"] == 0, b
    # the kernel drops part of the burst at the socket (b["kernel_drops"]); what got in fills
    # the cache to its bound and the rest is evicted, counted
    assert b["cache_len_max"] <= 256 and b["cache_bytes_max"] <= 32768, b
    assert b["cache_len_max"] < 256 or b["evicted"] > 0, b


@pytest.mark.interop_timeout(200)
def test_scale_load_soak_events_exact_and_nothing_leaks(netns_ready, tmp_path):
    r = tool("soak", ["--minutes", 0.75, "--hosts", 10, "--p", 0.2, "--warmup", 20, "--max-growth-pct", 25],
             tmp_path, 190)
    c = r["churn"]
    assert c["added"] > 20 and c["txt_changes"] > 10 and c["added"] == c["removed"], c
    ev = r["checks"]["browser_events"]
    assert (ev["ups"], ev["changed"], ev["downs"]) == (c["added"], c["txt_changes"], c["removed"]), (ev, c)
    assert r["checks"]["resolutions"]["total"] > 20 and r["checks"]["resolutions"]["failed"] == 0
