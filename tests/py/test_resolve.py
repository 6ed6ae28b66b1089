"""mdns.resolve: resolve_host, resolve_service, service_types, reverse lookup and
getaddrinfo, blocking and asyncio forms, over a simulated link."""
import asyncio
import socket

import pytest
from browse_fakes import PEER, Peer, Responders, Sim, SimDriver, response
from mdns import resolve as mr
from mdns import wire
from mdns.wire import Record, TYPE_A, TYPE_AAAA, TYPE_PTR, TYPE_SRV, TYPE_TXT


def setup(*peers):
    sim = Sim()
    sim.peers.extend(peers)
    return sim, SimDriver(sim)


def test_resolve_host_asks_a_and_aaaa_qu_at_once():
    sim, d = setup(Peer(mode="bare"))
    assert mr.resolve_host("cam.local", 3000, d) == ["10.0.0.2", "fd77::2"]
    (t, m, data, dest), = sim.queries()
    assert t == 0 and [(q.name, q.type, q.unicast) for q in m.questions] == [
        ("cam.local", TYPE_A, True), ("cam.local", TYPE_AAAA, True)]
    assert sim.now == 0  # both came in one reply: no settle wait


def test_resolve_host_bare_name_and_trailing_dot():
    sim, d = setup(Peer(mode="bare", addrs=["10.0.0.2"]))
    assert mr.resolve_host("cam", 3000, d) == ["10.0.0.2"]
    assert mr.resolve_host("CAM.local.", 3000, d) == ["10.0.0.2"]
    assert sim.now == 2 * mr.SETTLE_MS  # only A exists: waited 250 ms for AAAA each time


def test_resolve_host_ipv4_only():
    sim, d = setup(Peer(mode="bare"))
    assert mr.resolve_host("cam.local", 3000, d, ipv6=False) == ["10.0.0.2"]
    assert [q.type for q in sim.queries()[0][1].questions] == [TYPE_A]


def test_resolve_host_timeout_returns_empty_after_retries():
    sim, d = setup()
    assert mr.resolve_host("nobody.local", 2500, d) == []
    assert sim.now == 2500
    assert [t for t, m, x, y in sim.queries()] == [0, 1000]
    assert not d.engine.parts[1]._qs and not d.engine.parts[1]._clients


def test_resolve_host_answer_from_cache_sends_nothing():
    sim, d = setup(Peer(mode="bare"))
    mr.resolve_host("cam.local", 3000, d)
    n = len(sim.queries())
    assert mr.resolve_host("cam.local", 3000, d) == ["10.0.0.2", "fd77::2"]
    assert len(sim.queries()) == n


def test_resolve_host_bad_name():
    with pytest.raises(ValueError):
        mr.resolve_host("a" * 64 + ".local", 100, SimDriver(Sim()))


def test_resolve_host_without_driver_opens_and_closes(monkeypatch):
    sim, d = setup(Peer(mode="bare"))
    monkeypatch.setattr(mr, "_open_driver", lambda: d)
    assert mr.resolve_host("cam.local", 1000) == ["10.0.0.2", "fd77::2"]
    assert d.net.closed


def test_resolve_service_avahi_like():
    sim, d = setup(Peer(txt={"a": b"1"}))
    r = mr.resolve_service("Kitchen Cam", "_http._tcp", 3000, d)
    assert r == {"instance": "Kitchen Cam", "name": "Kitchen Cam._http._tcp.local", "type": "_http._tcp",
                 "domain": "local", "host": "cam.local", "port": 80,
                 "addresses": ["10.0.0.2", "fd77::2"], "txt": {"a": b"1"}}
    assert sim.now == 0


def test_resolve_service_bare_peer_two_rounds():
    sim, d = setup(Peer(mode="bare", flush=False))
    r = mr.resolve_service("Kitchen Cam._http._tcp.local", None, 3000, d)
    assert r["port"] == 80 and r["addresses"] == ["10.0.0.2", "fd77::2"]
    asked = [(q.name, q.type) for t, m, x, y in sim.queries() for q in m.questions]
    assert ("cam.local", TYPE_A) in asked and ("Kitchen Cam._http._tcp.local", TYPE_TXT) in asked


def test_resolve_service_timeout_none():
    sim, d = setup()
    assert mr.resolve_service("Nobody", "_http._tcp", 2000, d) is None
    assert sim.now == 2000


def test_resolve_service_escaped_instance():
    sim, d = setup(Peer(instance="My.Printer"))
    r = mr.resolve_service("My.Printer", "_http._tcp", 3000, d)
    assert r["instance"] == "My.Printer" and r["name"] == "My\\.Printer._http._tcp.local"


def types_peer():
    S = mr.SERVICES
    return Responders([Record(S, TYPE_PTR, "_http._tcp.local", 4500),
                       Record(S, TYPE_PTR, "_ipp._tcp.local", 4500),
                       Record(S, TYPE_PTR, "_http._tcp.local", 4500)])


def test_service_types_collects_until_timeout():
    sim, d = setup(types_peer(), Responders([Record(mr.SERVICES, TYPE_PTR, "_ssh._tcp.local", 4500)],
                                            src=("10.0.0.3", 5353)))
    assert mr.service_types(1500, d) == ["_http._tcp", "_ipp._tcp", "_ssh._tcp"]
    assert sim.now == 1500
    q = sim.queries()[0][1].questions[0]
    assert q.name == "_services._dns-sd._udp.local" and q.type == TYPE_PTR


def test_reverse_lookup():
    rev = Record("2.0.0.10.in-addr.arpa", TYPE_PTR, "cam.local", 120, True)
    sim, d = setup(Responders([rev]))
    assert mr.resolve_address("10.0.0.2", 1000, d) == "cam.local"
    assert mr.resolve_address("10.0.0.3", 500, d) is None


def test_reverse_lookup_ipv6():
    from mdns import addr

    rev = Record(addr.reverse_name("fd77::2"), TYPE_PTR, "cam.local", 120, True)
    sim, d = setup(Responders([rev]))
    assert mr.resolve_address("fd77::2", 1000, d) == "cam.local"


def test_is_local():
    assert mr.is_local("printer.local") and mr.is_local("Printer.LOCAL.")
    assert mr.is_local("1.1.254.169.in-addr.arpa")
    assert mr.is_local("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.e.f.ip6.arpa")
    assert not mr.is_local("example.com") and not mr.is_local("local.example.com")
    assert not mr.is_local("2.0.0.10.in-addr.arpa")


def test_getaddrinfo_shape_matches_the_platform():
    sim, d = setup(Peer(mode="bare"))
    got = mr.getaddrinfo("cam.local", 80, driver=d)
    want = socket.getaddrinfo("10.0.0.2", 80) + socket.getaddrinfo("fd77::2", 80)
    assert got == want
    got = mr.getaddrinfo("cam.local", 80, socket.AF_INET, socket.SOCK_STREAM, driver=d)
    assert got == socket.getaddrinfo("10.0.0.2", 80, socket.AF_INET, socket.SOCK_STREAM)
    assert got[0][4] == ("10.0.0.2", 80)
    got = mr.getaddrinfo("cam.local", 443, socket.AF_INET6, driver=d)
    assert {x[4][0] for x in got} == {"fd77::2"}


def test_getaddrinfo_timeout_is_a_clear_oserror():
    sim, d = setup()
    with pytest.raises(OSError) as ei:
        mr.getaddrinfo("nobody.local", 80, timeout_ms=1500, driver=d)
    assert isinstance(ei.value, socket.gaierror)
    assert "nobody.local did not resolve within 1500 ms" in str(ei.value)


def test_getaddrinfo_wrong_family_only():
    sim, d = setup(Peer(mode="bare", addrs=["fd77::2"]))
    with pytest.raises(OSError):
        mr.getaddrinfo("cam.local", 80, socket.AF_INET, timeout_ms=500, driver=d)


def test_getaddrinfo_other_names_go_to_the_platform(monkeypatch):
    seen = []
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a: seen.append(a) or ["platform"])
    assert mr.getaddrinfo("example.com", 80, driver=object()) == ["platform"]
    assert seen == [("example.com", 80, 0, 0, 0, 0)]


class FakeAio:
    """An asyncio driver stand-in: a task that moves the simulated clock."""

    def __init__(self, sim):
        self.core = SimDriver(sim)
        self.sim = sim

    def kick(self):
        pass

    async def run(self):
        while True:
            self.sim.advance(10)
            await asyncio.sleep(0)


def run_async(sim, coro_fn):
    drv = FakeAio(sim)

    async def main():
        t = asyncio.create_task(drv.run())
        try:
            return await coro_fn(drv)
        finally:
            t.cancel()

    return asyncio.run(main())


def test_async_forms():
    sim = Sim()
    sim.peers.extend([Peer(mode="bare"), types_peer()])
    assert run_async(sim, lambda d: mr.resolve_host_async("cam.local", 3000, d)) == ["10.0.0.2", "fd77::2"]
    r = run_async(sim, lambda d: mr.resolve_service_async("Kitchen Cam", "_http._tcp", 3000, d))
    assert r["port"] == 80
    assert run_async(sim, lambda d: mr.service_types_async(1000, d)) == ["_http._tcp", "_ipp._tcp"]
    got = run_async(sim, lambda d: mr.getaddrinfo_async("cam.local", 80, socket.AF_INET, driver=d))
    assert got[0][4] == ("10.0.0.2", 80)


def test_async_timeout():
    sim = Sim()
    assert run_async(sim, lambda d: mr.resolve_host_async("nobody.local", 500, d)) == []
    assert 500 <= sim.now < 2000


def _asked(sim):
    return [(q.name, q.type) for t, m, x, y in sim.queries() for q in m.questions]


def test_resolve_service_srv_only_asks_and_waits_for_nothing_else():
    sim, d = setup(Peer(mode="bare", flush=False))
    r = mr.resolve_service("Kitchen Cam", "_http._tcp", 3000, d, txt=False, addresses=False)
    assert r["host"] == "cam.local" and r["port"] == 80 and r["addresses"] == [] and r["txt"] is None
    assert _asked(sim) == [("Kitchen Cam._http._tcp.local", TYPE_SRV)]
    assert sim.now == 0


def test_resolve_service_without_addresses_stops_at_srv_and_txt():
    sim, d = setup(Peer(mode="bare", flush=False, txt={"a": b"1"}))
    r = mr.resolve_service("Kitchen Cam", "_http._tcp", 3000, d, addresses=False)
    assert r["port"] == 80 and r["txt"] == {"a": b"1"} and r["addresses"] == []
    assert sorted(t for n, t in _asked(sim)) == [TYPE_TXT, TYPE_SRV]


@pytest.mark.parametrize("v4, v6, want_type, want", [
    (True, False, TYPE_A, ["10.0.0.2"]), (False, True, TYPE_AAAA, ["fd77::2"])])
def test_resolve_service_one_family_asks_it_alone_and_does_not_settle(v4, v6, want_type, want):
    sim, d = setup(Peer(mode="bare", flush=False))
    r = mr.resolve_service("Kitchen Cam", "_http._tcp", 3000, d, ipv4=v4, ipv6=v6)
    assert r["addresses"] == want
    assert [t for n, t in _asked(sim) if n == "cam.local"] == [want_type]
    assert sim.now < mr.SETTLE_MS  # the other family is not waited for


def test_resolve_service_avahi_like_one_family_from_additionals():
    sim, d = setup(Peer(txt={"a": b"1"}))
    r = mr.resolve_service("Kitchen Cam", "_http._tcp", 3000, d, ipv6=False)
    assert r["addresses"] == ["10.0.0.2"] and sim.now == 0


def test_open_driver_falls_back_to_one_shot_when_5353_is_held(monkeypatch):
    from mdns import net

    made = []

    class Held:
        def __init__(self, **kw):
            made.append(kw)
            if not kw.get("one_shot"):
                raise OSError(112, "EADDRINUSE")
            self.addrs = ["10.0.0.5"]

        def is_own(self, src):
            return False

        def on_link(self, src):
            return True

    monkeypatch.setattr(net, "Sockets", Held)
    d = mr._open_driver()
    assert made == [{}, {"one_shot": True}] and isinstance(d.net, Held)


def test_open_driver_other_errors_are_not_hidden(monkeypatch):
    from mdns import net

    def boom(**kw):
        raise OSError(13, "EACCES")

    monkeypatch.setattr(net, "Sockets", boom)
    with pytest.raises(OSError) as e:
        mr._open_driver()
    assert e.value.args[0] == 13
