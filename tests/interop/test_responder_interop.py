"""Our responder (`python -m mdns advertise`, in its own namespace) against real peers:
Avahi and python-zeroconf resolve its host name, reverse names and services (IPv4 and
IPv6), see the goodbye, and win or lose names by the RFC 6762 rules; dig's legacy
unicast query is answered."""
import ipaddress
import signal
import subprocess
import time

import pytest

from testbed import LineStream

TYPE = "_mdtest._tcp"


@pytest.fixture
def testbed(testbed):
    # The testbed spells a host's IPv6 address "fd77:%x::%x"; with subnet 0 that is
    # "fd77:0::1", which peers and /proc print as "fd77::1". Compare canonical forms.
    def make(*a, **kw):
        tb = testbed(*a, **kw)
        for h in tb.hosts:
            h.ip6 = str(ipaddress.ip_address(h.ip6))
        return tb

    return make


class Ours:
    """`python -m mdns advertise` running in a host namespace; .stream has its output lines."""

    def __init__(self, host, name, services=(), families=(4, 6), extra=()):
        argv = ["-m", "mdns", "advertise", "--host", name]
        if 4 in families:
            argv += ["--interface", host.ip4]
        if 6 in families:
            argv += ["--interface", host.ip6]
        for s in services:
            argv += ["--service"] + list(s)
        argv += list(extra)
        self.host = host
        self.proc = host.python_popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.stream = LineStream(self.proc, name="advertise " + name)

    def wait(self, prefix, timeout=10):
        return self.stream.wait_for(lambda l: l.startswith(prefix), timeout, what=repr(prefix))

    def claimed(self, what="host", timeout=10):
        return self.wait("claimed %s " % what, timeout).split(" ", 2)[2]

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.wait("goodbye", 10)
        self.proc.wait(10)
        return self.proc.returncode


def _txt_args():
    return ["a=1", "flag", "empty="]


@pytest.mark.parametrize("family", [4, 6])
def test_avahi_resolves_our_hostname_and_reverse(testbed, family):
    tb = testbed(["dut", "avahi"])
    dut = tb["dut"]
    av = tb["avahi"].start_avahi(ipv4=(family == 4), ipv6=(family == 6))
    ours = Ours(dut, "kitchen-cam")
    assert ours.claimed() == "kitchen-cam.local"
    ip = dut.ip4 if family == 4 else dut.ip6
    assert av.resolve_name("kitchen-cam.local", family=family) == ip
    assert av.resolve_addr(ip) == "kitchen-cam.local"
    if family == 4:  # getaddrinfo through nss-mdns (the testbed's nsswitch uses mdns4_minimal)
        assert ip in av.getent("kitchen-cam.local")
    assert ours.stop() == 0


@pytest.mark.parametrize("family", [4, 6])
def test_avahi_browses_resolves_service_with_txt_then_goodbye(testbed, family):
    tb = testbed(["dut", "avahi"])
    dut = tb["dut"]
    av = tb["avahi"].start_avahi(ipv4=(family == 4), ipv6=(family == 6))
    stream = av.browse_stream(TYPE)
    ours = Ours(dut, "kitchen-cam", services=[["Kitchen Cam", TYPE + ",_printer", "8080"] + _txt_args()])
    assert ours.claimed("service") == "Kitchen Cam.%s.local" % TYPE
    proto = "IPv%d" % family
    r = stream.wait_for(lambda e: e["event"] == "resolved" and e["name"] == "Kitchen Cam"
                        and e["protocol"] == proto, 10, what="resolved Kitchen Cam")
    assert r["host"] == "kitchen-cam.local" and r["port"] == 8080
    assert r["txt"] == ["a=1", "flag", "empty="]
    # Avahi's resolver asks for A and AAAA whatever the transport and reports the first
    # it gets: either of our addresses is right
    assert r["address"] in (dut.ip4, dut.ip6)
    # the subtype is browsable too
    subs = av.browse("_printer._sub." + TYPE, resolve=False)
    assert any(x["name"] == "Kitchen Cam" for x in subs), subs
    # and the type is listed by a browse of all types (_services._dns-sd._udp, RFC 6763 s9)
    assert any(x["type"] == TYPE for x in av.browse(None, resolve=False))
    t0 = time.time()
    assert ours.stop() == 0
    stream.wait_for(lambda e: e["event"] == "removed" and e["name"] == "Kitchen Cam", 5,
                    what="removed after goodbye")
    assert time.time() - t0 < 5


@pytest.mark.parametrize("family", [4, 6])
def test_zeroconf_resolves_service_and_address_and_sees_removal(testbed, family):
    tb = testbed(["dut", "zc"])
    dut = tb["dut"]
    zc = tb["zc"].zeroconf(ipv4=(family == 4), ipv6=(family == 6))
    zc.browse(TYPE)
    ours = Ours(dut, "kitchen-cam", services=[["Kitchen Cam", TYPE, "8080"] + _txt_args()])
    ev = zc.wait_event("added", "Kitchen Cam", timeout=10)
    ip = dut.ip4 if family == 4 else dut.ip6
    assert ev["info"] and ev["info"]["port"] == 8080
    info = zc.resolve("Kitchen Cam", TYPE)
    assert info["server"] == "kitchen-cam.local." and info["port"] == 8080
    assert info["txt_list"] == ["a=1", "flag", "empty="]
    assert ip in info["addresses"]
    assert ip in zc.resolve_host("kitchen-cam.local", version=str(family))
    ours.stop()
    zc.wait_event("removed", "Kitchen Cam", timeout=5)


def test_rename_when_avahi_owns_our_hostname(testbed):
    tb = testbed(["dut", "avahi", "obs"])
    dut = tb["dut"]
    owner = tb["avahi"].start_avahi(hostname="kitchen-cam")
    obs = tb["obs"].start_avahi(hostname="observer")
    ours = Ours(dut, "kitchen-cam")
    ours.wait("renamed host kitchen-cam.local -> kitchen-cam-2.local")
    assert ours.claimed() == "kitchen-cam-2.local"
    # both names resolve, each to its own host
    assert obs.resolve_name("kitchen-cam.local", family=4) == tb["avahi"].ip4
    assert obs.resolve_name("kitchen-cam-2.local", family=4) == dut.ip4
    assert obs.resolve_name("kitchen-cam-2.local", family=6) == dut.ip6
    ours.stop()


def test_rename_when_avahi_owns_our_instance_name(testbed):
    tb = testbed(["dut", "avahi"])
    dut = tb["dut"]
    av = tb["avahi"].start_avahi(hostname="other")
    pub = av.publish_service("Kitchen Cam", TYPE, 9000)
    assert pub.name == "Kitchen Cam"
    ours = Ours(dut, "kitchen-cam", services=[["Kitchen Cam", TYPE, "8080"]])
    assert ours.claimed("service") == "Kitchen Cam (2).%s.local" % TYPE
    deadline = time.time() + 10
    while True:
        recs = {(r["name"], r["protocol"]): r for r in av.browse(TYPE)}
        if ("Kitchen Cam (2)", "IPv4") in recs or time.time() > deadline:
            break
    assert recs[("Kitchen Cam", "IPv4")]["host"] == "other.local"
    assert recs[("Kitchen Cam", "IPv4")]["port"] == 9000
    assert recs[("Kitchen Cam (2)", "IPv4")]["host"] == "kitchen-cam.local"
    assert recs[("Kitchen Cam (2)", "IPv4")]["port"] == 8080
    ours.stop()


def test_two_of_ours_probing_the_same_name_end_with_one_owner(testbed):
    tb = testbed(["a", "b", "obs"])
    obs = tb["obs"].start_avahi(hostname="observer")
    one = Ours(tb["a"], "twin")
    two = Ours(tb["b"], "twin")
    got = sorted([one.claimed(timeout=15), two.claimed(timeout=15)])
    assert got == ["twin-2.local", "twin.local"], got
    owner, other = (tb["a"], tb["b"]) if one.stream.find(lambda l: l == "claimed host twin.local") else (tb["b"], tb["a"])
    time.sleep(1.0)
    assert obs.resolve_name("twin.local", family=4) == owner.ip4
    assert obs.resolve_name("twin-2.local", family=4) == other.ip4
    one.stop()
    two.stop()


@pytest.mark.parametrize("family", [4, 6])
def test_dig_legacy_unicast_query_answered(testbed, family):
    tb = testbed(["dut", "client"])
    dut = tb["dut"]
    ours = Ours(dut, "kitchen-cam", families=())  # no --interface: addresses from /proc
    ours.claimed()
    assert ours.stream.find(lambda l: l == "addresses %s %s" % (dut.ip4, dut.ip6))
    server = dut.ip4 if family == 4 else dut.ip6
    rtype = "A" if family == 4 else "AAAA"
    r = tb["client"].dig("kitchen-cam.local", rtype, server=server)
    assert not r.timed_out, r.text
    assert r.status == "NOERROR"
    assert r.question == [("kitchen-cam.local.", "IN", rtype)]
    assert [(a[0], a[3], a[4]) for a in r.answer] == [("kitchen-cam.local.", rtype, server)]
    assert all(a[1] <= 10 for a in r.answer + r.additional)  # s6.7 TTL cap
    ours.stop()


# ------------------------------------------------ the MicroPython unix port (real sockets)
import os  # noqa: E402

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MPY_UNIX = os.environ.get("MDNS_MPY_UNIX") or os.path.join(TOP, "build", "unix-standard-64", "micropython")

_MPY_SCRIPT = r'''
import sys
sys.path.insert(0, %r)  # the sources, ahead of any frozen copy (asyncio stays frozen)
import time
import mdns.responder
from mdns.responder import Responder
from mdns.service import Service
assert mdns.responder.__file__.endswith(".py"), mdns.responder.__file__

def ev(e):
    print("event", e.kind, e.fields.get("name"))

svc = Service("Mpy Cam", "_mdtest._tcp", 8080, txt={"a": b"1"})
if sys.argv[1] == "sync":
    r = Responder(sys.argv[2], addrs=sys.argv[3:], on_event=ev, services=[svc])
    t0 = time.ticks_ms()
    while time.ticks_diff(time.ticks_ms(), t0) < 8000:
        r.poll(200)
    r.close()
else:
    import asyncio

    async def main():
        r = Responder(sys.argv[2], addrs=sys.argv[3:], on_event=ev)
        async with r:
            await asyncio.sleep(1)
            r.add_service(svc)  # added while running: probed and announced
            await asyncio.sleep(7)

    asyncio.run(main())
print("goodbye")
'''


# Runs under `make test-unix MICROPY_DIR=...` (which builds the binary); `make test-interop`
# deselects it, since make test has no MicroPython checkout to build from.
@pytest.mark.parametrize("mode", ["sync", "aio"])
def test_micropython_unix_port_responder(testbed, tmp_path, mode):
    """net.py + the sync or asyncio driver on the real unix port (its sockaddrs, constants,
    select.poll, MicroPython asyncio)."""
    assert os.path.exists(MPY_UNIX), "no MicroPython unix binary at %s: make unix MICROPY_DIR=... (or MDNS_MPY_UNIX=path)" % MPY_UNIX
    script = tmp_path / "adv.py"
    script.write_text(_MPY_SCRIPT % os.path.join(TOP, "frozen"))
    tb = testbed(["dut", "avahi"])
    dut = tb["dut"]
    av = tb["avahi"].start_avahi()
    stream = av.browse_stream(TYPE)
    p = dut.popen([MPY_UNIX, str(script), mode, "mpycam", dut.ip4, dut.ip6], stdout=subprocess.PIPE,
                  stderr=subprocess.STDOUT)
    out = LineStream(p, name="micropython")
    out.wait_for(lambda l: l == "event claimed mpycam.local", 10, what="claimed")
    assert av.resolve_name("mpycam.local", family=4) == dut.ip4
    assert av.resolve_name("mpycam.local", family=6) == dut.ip6
    assert av.resolve_addr(dut.ip4) == "mpycam.local"
    r = stream.wait_for(lambda e: e["event"] == "resolved" and e["name"] == "Mpy Cam", 10, what="resolved")
    assert r["host"] == "mpycam.local" and r["port"] == 8080 and r["txt"] == ["a=1"]
    d = tb["avahi"].dig("mpycam.local", "A", server=dut.ip4)
    assert [(a[3], a[4]) for a in d.answer] == [("A", dut.ip4)]
    out.wait_for(lambda l: l == "goodbye", 15, what="goodbye")
    stream.wait_for(lambda e: e["event"] == "removed" and e["name"] == "Mpy Cam", 5, what="removed")


def test_on_the_wire_probe_announce_timing_and_ip_ttl(testbed):
    """What a sniffer on the bridge sees from us: 3 probes 250 ms apart, 2 announcements
    1 s apart after them, goodbye at the end, every datagram with IP TTL / hop limit 255
    (RFC 6762 s11), IPv4 and IPv6 alike."""
    from mdns import wire

    tb = testbed(["dut", "other"])
    dut = tb["dut"]
    sniff = tb.sniff()
    time.sleep(0.5)
    ours = Ours(dut, "wirecheck")
    ours.claimed()
    time.sleep(1.5)
    ours.stop()
    time.sleep(0.5)
    # IPv6 multicast leaves from the link-local address (the kernel's choice for ff02::)
    for fam, srcs in ((4, (dut.ip4,)), (6, (dut.ip6, dut.link_local))):
        pk = sniff.packets(lambda p: p["src"] in srcs)
        ip = srcs
        assert pk, "nothing from %s" % ip
        assert all(p["ttl"] == 255 for p in pk), [p["ttl"] for p in pk]
        msgs = [(p["t"], wire.decode(p["data"])) for p in pk]
        probes = [t for t, m in msgs if not m.is_response and m.authorities]
        anns = [t for t, m in msgs if m.is_response and m.answers and m.answers[0].ttl > 0]
        byes = [t for t, m in msgs if m.is_response and m.answers and all(r.ttl == 0 for r in m.answers)]
        assert len(probes) == 3, (fam, probes)
        gaps = [b - a for a, b in zip(probes, probes[1:])]
        assert all(0.2 <= g <= 0.4 for g in gaps), gaps
        assert len(anns) >= 2 and anns[0] - probes[-1] >= 0.2
        assert 0.9 <= anns[1] - anns[0] <= 1.3, anns
        assert len(byes) == 1


def test_we_defend_our_hostname_and_instance_against_avahi(testbed):
    """We own the names first: Avahi's probes get our answers and Avahi renames (s8.1/s6)."""
    tb = testbed(["dut", "avahi"])
    dut = tb["dut"]
    ours = Ours(dut, "kitchen-cam", services=[["Kitchen Cam", TYPE, "8080"]])
    ours.claimed()
    ours.claimed("service")
    av = tb["avahi"].start_avahi(hostname="kitchen-cam")
    deadline = time.time() + 10
    while "kitchen-cam-2" not in av.log() and time.time() < deadline:
        time.sleep(0.1)
    assert "Host name conflict, retrying with kitchen-cam-2" in av.log(), av.log()
    assert av.resolve_name("kitchen-cam.local", family=4) == dut.ip4
    pub = av.publish_service("Kitchen Cam", TYPE, 9000)
    assert pub.name != "Kitchen Cam", pub.name  # Avahi picked another name: ours stays
    assert not ours.stream.find(lambda l: l.startswith("renamed") or l.startswith("conflict"))
    ours.stop()


_CONFLICT_SENDER = r'''
import socket, sys
from netns_guard import guard
guard()
from mdns import wire
w = wire.Writer(0, wire.FLAG_QR | wire.FLAG_AA)
w.add_answer(wire.Record(sys.argv[1], wire.TYPE_A, sys.argv[2], ttl=120, cache_flush=True))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(sys.argv[3]))
s.sendto(w.packet(), ("224.0.0.251", 5353))
'''


def test_conflict_after_claim_reprobes_and_keeps_name_when_nobody_defends(testbed):
    """s9 on the real network: an unsolicited response with another address for our
    host name makes us probe again; nobody answers the probes, so the name stays ours
    and is announced again."""
    tb = testbed(["dut", "rogue", "obs"])
    dut, rogue = tb["dut"], tb["rogue"]
    obs = tb["obs"].start_avahi(hostname="observer")
    ours = Ours(dut, "kitchen-cam")
    ours.claimed()
    time.sleep(1.5)  # announcements done
    rogue.python(["-c", _CONFLICT_SENDER, "kitchen-cam.local", "10.77.%d.99" % tb.subnet, rogue.ip4])
    ours.wait("conflict host kitchen-cam.local (contested)", 5)
    time.sleep(2.0)
    assert not ours.stream.find(lambda l: l.startswith("renamed"))
    assert obs.resolve_name("kitchen-cam.local", family=4) == dut.ip4
    ours.stop()
