"""Fleet at scale, the short version (issue 13, scenario 2; `make test-scale-fleet`):
16 simulated devices of two boards, 8 per namespace and process
(tools/scale/fleet_devs.py), upgraded by the real `fleet upgrade` with
--canary 1 --max-parallel 4, first 4 of them, then all 16. Every device must end
on the release, `valid`, without an error, each image served once; and the host
process's memory (tracemalloc inside it, tools/scale/fleet_host.py) must not grow
with the number of devices beyond a small record per device: what a download in
flight costs is bounded by --max-parallel, not by the fleet. The long version is
`make scale-fleet` (tools/scale/fleet.py, 100 devices, 1.5 MB, BENCHMARKS.md)."""
import os
import sys

import pytest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "tools", "scale"))
import fleet as scale  # noqa: E402

DEVICES = 16
SMALL = 4
PER_NS = 8
SIZE = 256 * 1024
PARALLEL = 4
SLOT = 0x80000
# Host memory (tracemalloc) per device more on the LAN, at the same --max-parallel:
# its records, its row and its finished offer: 9 KiB after discovery, 14 KiB at the
# rollout's peak with 100 devices (BENCHMARKS.md), up to ~20 KiB in this short run
# (a peak over 12 more devices is noisy). Half of what one download in flight costs
# (a 64 KiB chunk): keeping that, or the image, per device fails here.
PER_DEVICE_MAX = 32 * 1024


# Above what discovery left, during the rollout: what it imports and starts then
# (~0.5 MiB, measured 0.55-0.7 MiB here), --max-parallel downloads of a 64 KiB chunk
# each, and each target's row and offer. Holding the images served (16 x 256 KiB)
# or every chunk of a download fails here.
def rollout_max(devices):
    return 1024 * 1024 + PARALLEL * 64 * 1024 + devices * PER_DEVICE_MAX


def check_rollout(s, names):
    assert s["exit"] == 0, s["stderr_tail"]
    assert s["results"] == {"ok": names}, s
    assert not s["bad"] and not s["dead_processes"], (s["bad"], s["dead_processes"])
    assert s["discovered"] == names, s
    assert s["bytes_sent"] == names * SIZE, s  # each image served once: no retry
    assert s["reoffers"] == 0 and s["http_retries"] == 0, s


@pytest.mark.interop_timeout(400)
def test_fleet_upgrade_of_16_devices_and_host_memory_against_device_count(testbed):
    tb = testbed(["host", "g01", "g02"])
    lan = scale.FleetLan(tb, DEVICES, PER_NS, slot=SLOT)
    lan.start(SMALL)
    small = lan.upgrade("0.2.0", SIZE, PARALLEL, timeout=120)
    print(scale.line(small))
    check_rollout(small, SMALL)
    lan.start(DEVICES)
    big = lan.upgrade("0.3.0", SIZE, PARALLEL, timeout=120)
    print(scale.line(big))
    check_rollout(big, DEVICES)
    assert sorted(d for d in big["per_device"] if big["per_device"][d]["canary"]) == ["d001"]

    g = scale.per_device_growth(small, big)
    print("host memory per extra device: %s" % g)
    assert g["traced_peak"] < PER_DEVICE_MAX, (g, big["top_mdns"])
    assert g["traced_after_discovery"] < PER_DEVICE_MAX, (g, big["top_mdns"])
    for s in (small, big):
        assert s["traced_peak_rollout"] - s["traced_after_discovery"] < rollout_max(s["devices"]), s["top_mdns"]
