"""Our browser and resolvers (`python -m mdns browse/resolve/services`, and
mdns.resolve.getaddrinfo) against real peers on the virtual LAN: services published
by avahi-publish and python-zeroconf (TXT, subtypes, IPv4 + IPv6) are found with the
right host, port, addresses and TXT; `changed` on a TXT update; `down` on goodbye and
on a peer killed without goodbye (TTL expiry / POOF); Avahi's host name and address
resolve; the peers' service types are listed; our responder is found by our browser."""
import json
import signal
import subprocess
import time

import pytest

from testbed import LineStream

TYPE = "_mdbrowse._tcp"


def _ifaces(host):
    return ["--interface", host.ip4, "--interface", host.ip6]


class Browse:
    """`python -m mdns browse TYPE --json` in a host namespace; .stream has the events."""

    def __init__(self, host, stype=TYPE, extra=()):
        argv = ["-m", "mdns", "browse", stype, "--json"] + _ifaces(host) + list(extra)
        self.proc = host.python_popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.stream = LineStream(self.proc, parse=json.loads, name="browse " + stype)

    def wait(self, event, instance, timeout=10, pred=lambda e: True):
        return self.stream.wait_for(
            lambda e: e["event"] == event and e["instance"] == instance and pred(e), timeout,
            what="%s %s" % (event, instance))

    def events(self, instance):
        return [e["event"] for e in self.stream.find(lambda e: e["instance"] == instance)]

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(10)


def _mdns(host, args, timeout=20):
    r = host.python(["-m", "mdns"] + args + _ifaces(host), timeout=timeout, check=False)
    return r


def test_avahi_service_found_with_txt_subtype_both_families_then_goodbye(testbed):
    tb = testbed(["dut", "avahi"])
    dut, avh = tb["dut"], tb["avahi"]
    av = avh.start_avahi()
    pub = av.publish_service("Avahi Svc", TYPE, 9000, txt=["a=1", "flag", "empty="], subtypes=["_printer"])
    b = Browse(dut)
    sub = Browse(dut, TYPE + ",_printer")
    t0 = time.time()
    e = b.wait("up", "Avahi Svc", 10)
    first_up_s = time.time() - t0
    assert e["type"] == TYPE and e["domain"] == "local"
    assert e["host"] == "avahi.local" and e["port"] == 9000
    assert e["txt"] == {"a": "1", "flag": None, "empty": ""}
    # the interface it came in on: mdns.net names the link (veth0, found in /proc from
    # the --interface addresses), the same for both families; checked again below on
    # the event that carries both families' addresses
    assert e["interface"] == "veth0", e
    # both families: Avahi answers over each; the `up` waits 50 ms for the second family
    if avh.ip4 not in e["addresses"] or avh.ip6 not in e["addresses"]:
        e = b.wait("changed", "Avahi Svc", 5)
    assert avh.ip4 in e["addresses"] and avh.ip6 in e["addresses"], e
    assert e["addresses"][0] == avh.ip4
    # answers came in over IPv4 and IPv6: the interface did not flip between them
    seen = [x["interface"] for x in b.stream.find(lambda x: x["instance"] == "Avahi Svc")]
    assert seen and set(seen) == {"veth0"}, seen
    s = sub.wait("up", "Avahi Svc", 10)
    assert s["type"] == TYPE and s["port"] == 9000
    t1 = time.time()
    pub.stop()  # avahi-publish ends: Avahi sends goodbyes
    d = b.wait("down", "Avahi Svc", 5)
    assert d["reason"] == "goodbye" and d["port"] == 9000
    assert time.time() - t1 < 4
    # once per change: exactly one up and one down, whatever the packets
    assert b.events("Avahi Svc").count("up") == 1
    assert b.events("Avahi Svc").count("down") == 1
    print("first up after %.2f s" % first_up_s)
    b.stop()
    sub.stop()


def test_zeroconf_service_found_changed_on_txt_update_down_on_unregister(testbed):
    tb = testbed(["dut", "zc"])
    dut, zch = tb["dut"], tb["zc"]
    zc = zch.zeroconf()
    b = Browse(dut)
    sub = Browse(dut, TYPE + ",_printer")
    zc.register("Zc Svc", TYPE, 8123, txt={"v": "1", "k": None}, host="zcpeer.local")
    # python-zeroconf publishes a service registered with a subtype under the
    # subtype's PTR only (not the base type's): a subtype browse finds it
    zc.register("Zc Sub", TYPE, 8124, subtype="_printer", host="zcpeer.local")
    s = sub.wait("up", "Zc Sub", 10)
    assert s["type"] == TYPE and s["port"] == 8124 and s["host"] == "zcpeer.local"
    e = b.wait("up", "Zc Svc", 10)
    assert e["host"] == "zcpeer.local" and e["port"] == 8123
    assert e["txt"] == {"v": "1", "k": None}
    if zch.ip6 not in e["addresses"] or zch.ip4 not in e["addresses"]:
        e = b.wait("changed", "Zc Svc", 5)
    assert zch.ip4 in e["addresses"] and zch.ip6 in e["addresses"], e
    zc.update("Zc Svc", TYPE, 8123, txt={"v": "2", "k": None}, host="zcpeer.local")
    c = b.wait("changed", "Zc Svc", 10, lambda e: "txt" in e["changes"])
    assert c["txt"] == {"v": "2", "k": None} and c["changes"] == ["txt"]
    time.sleep(2)  # re-announcements of the same TXT are not new events
    assert b.events("Zc Svc").count("changed") <= 2
    zc.unregister("Zc Svc", TYPE)
    d = b.wait("down", "Zc Svc", 5)
    assert d["reason"] == "goodbye"
    b.stop()
    sub.stop()


@pytest.mark.interop_timeout(120)
def test_down_when_peer_is_killed_without_goodbye(testbed):
    # python-zeroconf with 6 s TTLs, then SIGKILL: no goodbye. Our refresh queries at
    # 80/85/90/95 % go unanswered; the SRV/PTR go by POOF or at TTL expiry.
    tb = testbed(["dut", "zc"])
    dut, zch = tb["dut"], tb["zc"]
    zc = zch.zeroconf()
    b = Browse(dut)
    zc.register("Doomed", TYPE, 7000, txt={"a": "1"}, host="doomed.local", host_ttl=6, other_ttl=6)
    b.wait("up", "Doomed", 10)
    t0 = time.time()
    zc.kill()
    d = b.wait("down", "Doomed", 20)
    took = time.time() - t0
    assert d["reason"] in ("expired", "poof"), d
    assert took <= 8, took
    print("down %.1f s after the kill (TTL 6 s), reason %s" % (took, d["reason"]))
    b.stop()


def test_resolve_avahi_hostname_address_and_service(testbed):
    tb = testbed(["dut", "avahi"])
    dut, avh = tb["dut"], tb["avahi"]
    av = avh.start_avahi()
    av.publish_service("Res Svc", TYPE, 9100, txt=["x=y"])
    r = _mdns(dut, ["resolve", "avahi.local", "--json"])
    assert r.returncode == 0, r.stdout + r.stderr
    got = json.loads(r.stdout)
    assert got["addresses"][0] == avh.ip4 and avh.ip6 in got["addresses"], got
    r = _mdns(dut, ["resolve", avh.ip4])
    assert r.returncode == 0 and r.stdout.strip() == "%s\tavahi.local" % avh.ip4, r.stdout + r.stderr
    r = _mdns(dut, ["resolve", "Res Svc.%s.local" % TYPE, "--json"])
    assert r.returncode == 0, r.stdout + r.stderr
    s = json.loads(r.stdout)
    assert s["host"] == "avahi.local" and s["port"] == 9100 and s["txt"] == {"x": "y"}
    r = _mdns(dut, ["resolve", "nobody.local", "--timeout", "1"])
    assert r.returncode == 1 and "Failed to resolve nobody.local" in r.stderr
    # getaddrinfo for .local, in-process (the shape of socket.getaddrinfo)
    code = (
        "import socket\n"
        "from mdns import resolve\n"
        "got = resolve.getaddrinfo('avahi.local', 80, socket.AF_INET, socket.SOCK_STREAM)\n"
        "assert got == socket.getaddrinfo(%r, 80, socket.AF_INET, socket.SOCK_STREAM), got\n"
        "try:\n"
        "    resolve.getaddrinfo('nobody.local', 80, timeout_ms=800)\n"
        "    raise SystemExit('no error')\n"
        "except OSError as e:\n"
        "    print('error', e)\n" % avh.ip4)
    r = dut.python(code, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "nobody.local did not resolve within 800 ms" in r.stdout


def test_services_lists_the_peers_types(testbed):
    tb = testbed(["dut", "avahi", "zc"])
    dut = tb["dut"]
    av = tb["avahi"].start_avahi()
    av.publish_service("One", TYPE, 9000)
    zc = tb["zc"].zeroconf()
    zc.register("Two", "_mdzc._udp", 9001)
    r = _mdns(dut, ["services", "--json"])
    assert r.returncode == 0, r.stdout + r.stderr
    types = json.loads(r.stdout)
    assert TYPE in types and "_mdzc._udp" in types, types


def test_our_responder_found_by_our_browser(testbed):
    tb = testbed(["dut", "peer"])
    dut, peer = tb["dut"], tb["peer"]
    b = Browse(dut)
    adv = peer.python_popen(["-m", "mdns", "advertise", "--host", "kitchen-cam", "--service", "Our Cam", TYPE,
                             "8080", "a=1", "flag"] + _ifaces(peer),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    e = b.wait("up", "Our Cam", 15)
    assert e["host"] == "kitchen-cam.local" and e["port"] == 8080
    assert e["txt"] == {"a": "1", "flag": None}
    assert peer.ip4 in e["addresses"] or peer.ip6 in e["addresses"]
    if not (peer.ip4 in e["addresses"] and peer.ip6 in e["addresses"]):
        e = b.wait("changed", "Our Cam", 5)
    assert peer.ip4 in e["addresses"] and peer.ip6 in e["addresses"], e
    adv.send_signal(signal.SIGTERM)
    adv.wait(10)
    d = b.wait("down", "Our Cam", 5)
    assert d["reason"] == "goodbye"
    b.stop()


ASYNC_SCRIPT = r'''
import asyncio, sys
from mdns.browser import Browser
from mdns import resolve

async def main(addrs):
    b = Browser(sys.argv[1], addrs=addrs)
    it = b.events()
    await b.start()
    async for ev in it:
        print("event", ev.kind, ev.instance, ev.port, ",".join(ev.addresses))
        fams = set(":" in a for a in ev.addresses)
        if ev.kind in ("up", "changed") and len(fams) == 2:
            break  # resolved with both families (the up, or a changed after it)
    # a lookup on the browser's running asyncio driver, answered from its cache or the LAN
    print("host", ",".join(await resolve.resolve_host_async("avahi.local", 3000, b)))
    await b.stop()
    # and one that opens its own sockets
    print("types", ",".join(await resolve.service_types_async(1500)))

asyncio.run(asyncio.wait_for(main(sys.argv[2:]), 20))
'''


def test_asyncio_browser_and_resolvers(testbed):
    tb = testbed(["dut", "avahi"])
    dut, avh = tb["dut"], tb["avahi"]
    av = avh.start_avahi()
    av.publish_service("Async Svc", TYPE, 9200, txt=["a=1"])
    r = dut.python(["-c", ASYNC_SCRIPT, TYPE, dut.ip4, dut.ip6], check=False, timeout=40)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    ev = [l.split(" ") for l in lines if l.startswith("event ")]
    # Avahi answers over each family after its own 20-120 ms delay, the IPv6 reply with
    # the AAAA only: the `up` waits 50 ms for the other family, so it carries both unless
    # the replies came further apart; then one `changed` adds the other. Nothing else.
    assert [e[1] for e in ev] in (["up"], ["up", "changed"]), lines
    assert all(e[2:5] == ["Async", "Svc", "9200"] for e in ev), lines
    first = ev[0][5].split(",")
    assert first and set(first) <= {avh.ip4, avh.ip6}, lines
    last = ev[-1][5].split(",")
    assert last == [avh.ip4, avh.ip6], lines  # IPv4 first
    host = [l for l in lines if l.startswith("host ")][0].split(" ", 1)[1].split(",")
    assert host[0] == avh.ip4 and avh.ip6 in host, lines
    types = [l for l in lines if l.startswith("types ")][0].split(" ", 1)[1].split(",")
    assert TYPE in types, lines


@pytest.mark.interop_timeout(60)
def test_down_by_poof_when_avahi_daemon_is_killed(testbed):
    # avahi-daemon killed with SIGKILL: no goodbye (host records TTL 120 s, PTR 75 min).
    # Passive observation of failure (RFC 6762 s10.5): another host on the link asks for
    # the service's SRV (our `resolve` from a third namespace: QU, then QM at 1 s and
    # 3 s); two QM queries that our cached SRV should answer, no answer within 10 s of
    # the first: the SRV is flushed and the service goes `down` by POOF, long before the
    # TTL (our own 80 %/85 % refresh queries would do the same at about 96-106 s; that
    # path is in tests/py: test_killed_host_goes_down_once...).
    import os

    tb = testbed(["dut", "avahi", "asker"])
    dut, asker = tb["dut"], tb["asker"]
    av = tb["avahi"].start_avahi()
    av.publish_service("Kill Me", TYPE, 9000)
    b = Browse(dut)
    b.wait("up", "Kill Me", 10)
    time.sleep(1)
    before = len(b.events("Kill Me"))
    t0 = time.time()
    os.kill(av.pid, signal.SIGKILL)
    time.sleep(0.5)
    r = _mdns(asker, ["resolve", "Kill Me.%s.local" % TYPE, "--timeout", "5"])
    assert r.returncode == 1, r.stdout + r.stderr  # nobody answers it
    d = b.wait("down", "Kill Me", 30)
    took = time.time() - t0
    assert d["reason"] == "poof", d
    assert 10 < took < 25, took
    assert d["port"] == 9000 and d["host"] == "avahi.local"
    assert b.events("Kill Me")[before:] == ["down"]  # one event on the way down
    print("down %.1f s after SIGKILL of avahi-daemon, by POOF (another host's queries)" % took)
    b.stop()
