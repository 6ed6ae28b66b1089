"""Discovery at scale (issue 13, scenario 1), short version for make test: 90 devices on
one LAN (ours: 4 processes of 20 responders each, 5 python-zeroconf services, 5 Avahi
ones; 90 known answers do not fit one datagram). Our browser finds every one with SRV, TXT and an address and sends no more
datagrams until all are found than python-zeroconf's browser; Avahi finds all of ours; known answers that do
not fit one packet go out with the TC bit (RFC 6762 s7.2), and no datagram of ours is an
IPv6 fragment. The 200-device run with its figures is `make scale-discovery`.

The `micropython_unix` test runs under `make test-unix MICROPY_DIR=...` (MDNS_MPY_UNIX)."""
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, "tools", "scale"))
import discovery  # noqa: E402
from lan import Lan  # noqa: E402

MPY_UNIX = os.environ.get("MDNS_MPY_UNIX") or os.path.join(TOP, "build", "unix-standard-64", "micropython")


@pytest.mark.interop_timeout(240)
def test_scale_lan_90_devices_found_by_ours_zeroconf_and_avahi(netns_ready):
    res = discovery.run(ours=(4, 20), zc=(1, 5), avahi=(1, 5), window=4.0, log=lambda s: None)
    ours, zc, av = res["ours"], res["zeroconf"], res["avahi"]
    assert res["total"] == 90
    assert ours["found"] == 90, ours
    assert ours["all_secs"] is not None and ours["all_secs"] < 4.0, ours
    # known answers: 90 PTRs do not fit one datagram: continued with TC (s7.2)
    assert ours["tc_packets"] >= 1 and ours["ka_packets"] > ours["tc_packets"], ours
    assert ours["fragmented"] == 0 and ours["max_packet_bytes"] <= 1452, ours
    assert zc["found"] == 90, zc
    # sent until every instance was found; over the whole window python-zeroconf's
    # backoff (1, 4, 9 s) asks less often than ours (1, 2, 4 s): measured in the bench
    assert ours["packets_to_all"] <= zc["packets_to_all"], (ours, zc)
    assert av["found"] == 90 and av["found_ours"] == 80, av


def test_scale_lan_micropython_unix_browser_finds_all(netns_ready):
    assert os.path.exists(MPY_UNIX), "no MicroPython unix binary at %s: make unix MICROPY_DIR=... (or MDNS_MPY_UNIX=path)" % MPY_UNIX
    with Lan(ours=(3, 10), browsers=["b-mpy"]) as lan:
        lan.start_all()
        a, done = lan.browse_ours("b-mpy", lan.total, 4.0, mpy=MPY_UNIX)
        assert done["found"] == 30, a.stream.lines[-10:]
        ups = [e for e in a.events("up") if e.get("complete")]
        assert set(e["instance"] for e in ups) == set(lan.instances)
