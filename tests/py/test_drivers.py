"""The sync and asyncio drivers and the public mdns.Responder, over a fake network:
an AF_UNIX datagram socketpair stands in for the mDNS socket (real fds for
select.poll and asyncio, no network), with a fake clock."""
import asyncio
import socket

import pytest

from mdns import wire
from mdns.engine import Engine
from mdns.responder import Responder, ResponderPart
from mdns.service import Service
from mdns import sync, aio
from test_responder_kit import Q, R, A, PTR, SRV, pack

HOSTN = "kitchen-cam.local"


class FakeNet:
    def __init__(self, addrs=("10.0.0.5",)):
        self.a, self.b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.a.setblocking(False)
        self.addrs = list(addrs)
        self.srcs = []
        self.sent = []
        self.fail = None
        self.closed = False
        self.rejoined = 0

    def sockets(self):
        return [self.a]

    def inject(self, msg, src=("10.0.0.9", 5353)):
        self.srcs.append(src)
        self.b.send(msg if isinstance(msg, bytes) else pack(msg))

    def recv(self, sock, buf):
        try:
            n = sock.recv_into(buf)
        except BlockingIOError:
            return 0, None
        return n, self.srcs.pop(0)

    def send(self, data, dest=None):
        if self.fail:
            raise self.fail
        self.sent.append((wire.decode(data), dest))

    def is_own(self, src):
        return src[1] == 5353 and src[0] in self.addrs

    def on_link(self, src):
        return src[0].startswith("10.0.0.")

    def rejoin(self, addrs=None):
        self.rejoined += 1
        if addrs is not None:
            self.addrs = list(addrs)
        return self.addrs

    def close(self):
        self.closed = True
        self.a.close()
        self.b.close()


class FakeClock:
    def __init__(self):
        self.t = 1000

    def __call__(self):
        return self.t


def zero(lo, hi):
    return lo


def test_sync_driver_process_feed_tick_send():
    net = FakeNet()
    clk = FakeClock()
    eng = Engine(rand=zero)
    part = ResponderPart(eng, "kitchen-cam", ["10.0.0.5"])
    d = sync.Driver(eng, net, clk)
    part.start(clk())
    assert d.next_timeout_ms() == 0
    d.process()
    assert len(net.sent) == 1 and not net.sent[0][0].is_response  # first probe
    assert d.next_timeout_ms() == 250
    clk.t += 250
    assert d.next_timeout_ms() == 0
    for _ in range(3):
        d.process()
        clk.t += 250
    d.process()
    assert part.host.live
    net.sent[:] = []
    net.inject(wire.Message(id=5, questions=[Q(HOSTN, A)]), ("10.0.0.9", 40000))  # legacy: not rate limited
    d.process(net.a.fileno())  # a file descriptor, as CPython's poll() reports it
    assert net.sent and net.sent[0][0].answers[0].data == "10.0.0.5"
    # the engine got the net's source checks
    assert eng.on_link(("10.0.0.1", 5353)) and not eng.on_link(("10.1.0.1", 5353))


def _reporting_driver():
    """A responder on a sync driver over FakeNet, its errors collected."""
    net = FakeNet()
    clk = FakeClock()
    errors = []
    eng = Engine(rand=zero)
    part = ResponderPart(eng, "kitchen-cam", ["10.0.0.5"])
    d = sync.Driver(eng, net, clk, on_error=errors.append)
    part.start(clk())
    return net, clk, errors, eng, part, d


def test_sync_driver_survives_junk_send_errors_and_reports():
    net, clk, errors, eng, part, d = _reporting_driver()
    net.fail = OSError(101, "ENETUNREACH")
    d.process()
    assert len(errors) == 1 and errors[0].args[0] == 101
    net.fail = None
    for junk in (b"\x00", b"\xff" * 64, b"\x00" * 12 + b"\xc0"):
        net.inject(junk)
    d.process()
    assert len(errors) == 1  # malformed input is not an error, just dropped
    assert eng.malformed + eng.dropped == 3


def test_sync_driver_survives_memory_error_while_reading():
    """Issue 13 flood: 1,000 services at once at a browser on a 256 KB MicroPython heap:
    recvfrom's buffer raised MemoryError out of the loop and ended the program. Now the
    datagram is lost, the error is reported, and the next round reads on."""
    net, clk, errors, eng, part, d = _reporting_driver()
    for _ in range(12):  # probes, claim, announcements
        d.process()
        clk.t += 250
    assert part.host.live
    recv = net.recv
    state = {"n": 0}

    def flaky(sock, buf):
        state["n"] += 1
        if state["n"] == 1:
            raise MemoryError("memory allocation failed, allocating 2048 bytes")
        return recv(sock, buf)

    net.recv = flaky
    net.sent.clear()
    net.inject(wire.Message(id=5, questions=[Q(HOSTN, A)]), ("10.0.0.9", 40000))  # legacy: answered each time
    d.process()
    assert len(errors) == 1 and isinstance(errors[0], MemoryError)
    clk.t += 2000
    d.process()  # the next round reads the query that was waiting, and answers it
    assert [(r.name, dest) for m, dest in net.sent for r in m.answers] == [(HOSTN, ("10.0.0.9", 40000))]


def test_sync_poll_waits_for_input_or_timer():
    net = FakeNet()
    eng = Engine(rand=zero)
    part = ResponderPart(eng, "kitchen-cam", ["10.0.0.5"])
    d = sync.Driver(eng, net)  # real clock
    part.start(d.clock())
    assert d.run_until(lambda: part.host.live, 3000)
    assert part.host.live
    net.sent[:] = []
    net.inject(wire.Message(id=5, questions=[Q(HOSTN, A)]), ("10.0.0.9", 40000))
    d.poll(1000)
    assert net.sent


def test_clock_unwraps_ticks(monkeypatch):
    import time as _time

    ticks = {"v": (1 << 30) - 5}

    fake = type("T", (), {})()
    fake.ticks_ms = lambda: ticks["v"]
    fake.ticks_diff = lambda a, b: ((a - b + (1 << 29)) & ((1 << 30) - 1)) - (1 << 29)
    c = sync.Clock.__new__(sync.Clock)
    c._time = fake
    c._ticks = fake.ticks_ms
    c._last = fake.ticks_ms()
    c._now = 0
    ticks["v"] = 10  # wrapped past 2**30
    assert c() == 15
    ticks["v"] = 1010
    assert c() == 1015


def test_responder_api_sync_loop_events_services():
    net = FakeNet(("10.0.0.5",))
    clk = FakeClock()
    events = []
    s = Service("Kitchen Cam", "_http._tcp", 80, txt={"a": b"1"})
    r = Responder("kitchen-cam", sockets=net, clock=clk, rand=zero, on_event=events.append, services=[s])
    assert r.hostname == HOSTN
    assert r.sockets() == [net.a]
    for _ in range(10):
        clk.t += max(r.next_timeout_ms(), 0)
        r.process()
    assert r.claimed and s.claimed
    assert [e.kind for e in events] == ["claimed", "claimed"]
    s2 = r.add_service(Service("Printer", "_ipp._tcp", 631))
    for _ in range(10):
        clk.t += max(r.next_timeout_ms(), 0)
        r.process()
    assert s2.claimed
    r.update_service(s, txt={"a": b"2"})
    assert any(rec.type == wire.TYPE_TXT and rec.rdata() == b"\x03a=2" for m, _ in net.sent for rec in m.answers)
    r.remove_service(s2)
    assert any(rec.name.startswith("Printer") and rec.ttl == 0 for m, _ in net.sent for rec in m.answers)
    n = len(net.sent)
    r.close()
    bye = [rec for m, _ in net.sent[n:] for rec in m.answers]
    assert bye and all(rec.ttl == 0 for rec in bye)
    assert net.closed


def _rejoin_log(r, net, clk):
    """Run r until idle: [(t, kind)] with kind probe / announce A-address / bye NAME."""
    log = []
    for i in range(20):
        if i:
            clk.t += max(r.next_timeout_ms(), 0)
            r.process()
        for m, _d in net.sent:
            if not m.is_response and m.authorities:
                log.append((clk.t, "probe"))
            for a in m.answers:
                if a.ttl == 0:
                    log.append((clk.t, "bye " + a.name + ("" if a.type != A else " " + a.data)))
                elif a.type == A and a.cache_flush:
                    log.append((clk.t, "announce " + a.data))
        net.sent[:] = []
        if r.next_timeout_ms() < 0:
            break
    return log


def test_responder_rejoin_probes_then_announces_again():
    # s13: after a reconnect every name is probed again, then announced; a new
    # address: goodbye for the old one (A and reverse name) at once, then the same.
    net = FakeNet()
    clk = FakeClock()
    events = []
    r = Responder("kitchen-cam", sockets=net, clock=clk, rand=zero, on_event=events.append)
    for _ in range(10):
        clk.t += max(r.next_timeout_ms(), 0)
        r.process()
    net.sent[:] = []
    clk.t += 5000  # a reconnect, a while later
    t0 = clk.t
    r.rejoin()
    assert net.rejoined == 1
    log = _rejoin_log(r, net, clk)
    assert log == [(t0, "probe"), (t0 + 250, "probe"), (t0 + 500, "probe"),
                   (t0 + 750, "announce 10.0.0.5"), (t0 + 1750, "announce 10.0.0.5")], log
    clk.t += 5000
    t0 = clk.t
    r.rejoin(["10.0.0.6"])
    assert r.addrs == ["10.0.0.6"]
    log = _rejoin_log(r, net, clk)
    assert sorted(log[:2]) == [(t0, "bye 5.0.0.10.in-addr.arpa"), (t0, "bye kitchen-cam.local 10.0.0.5")], log
    assert log[2:] == [(t0, "probe"), (t0 + 250, "probe"), (t0 + 500, "probe"),
                       (t0 + 750, "announce 10.0.0.6"), (t0 + 1750, "announce 10.0.0.6")], log
    assert [e.kind for e in events] == ["claimed"]  # the same name: claimed once


def test_responder_name_conflict_reported_and_hostname_updated():
    net = FakeNet()
    clk = FakeClock()
    events = []
    r = Responder("kitchen-cam", sockets=net, clock=clk, rand=zero, on_event=events.append)
    r.process()
    net.inject(wire.Message(flags=wire.FLAG_QR, answers=[R(HOSTN, A, "10.0.0.7", flush=True)]))
    r.process()
    assert r.hostname == "kitchen-cam-2.local"
    assert [e.kind for e in events] == ["conflict", "renamed"]


def test_on_event_callback_exception_goes_to_on_error():
    net = FakeNet()
    clk = FakeClock()
    errors = []

    def bad(ev):
        raise RuntimeError("boom")

    r = Responder("kitchen-cam", sockets=net, clock=clk, rand=zero, on_event=bad, on_error=errors.append)
    for _ in range(10):
        clk.t += max(r.next_timeout_ms(), 0)
        r.process()
    assert r.claimed
    assert errors and isinstance(errors[0], RuntimeError)


def test_aio_driver_cpython():
    async def main():
        net = FakeNet()
        r = Responder("kitchen-cam", sockets=net, rand=zero)
        async with r:
            for _ in range(100):
                if r.claimed:
                    break
                await asyncio.sleep(0.05)
            assert r.claimed
            net.sent[:] = []
            net.inject(wire.Message(id=5, questions=[Q(HOSTN, A)]), ("10.0.0.9", 40000))
            for _ in range(40):
                if net.sent:
                    break
                await asyncio.sleep(0.01)
            assert net.sent and net.sent[0][0].answers[0].data == "10.0.0.5"
            # API calls wake the timer task: a new service probes and is claimed
            s = r.add_service(Service("Cam", "_http._tcp", 80))
            for _ in range(100):
                if s.claimed:
                    break
                await asyncio.sleep(0.05)
            assert s.claimed
            n = len(net.sent)
        bye = [rec for m, _ in net.sent[n:] for rec in m.answers]
        assert bye and all(rec.ttl == 0 for rec in bye)
        assert net.closed

    asyncio.run(main())


def test_aio_driver_alone_start_stop():
    async def main():
        net = FakeNet()
        eng = Engine(rand=zero)
        part = ResponderPart(eng, "kitchen-cam", ["10.0.0.5"])
        d = aio.Driver(eng, net)
        part.start(d.core.clock())
        await d.start()
        for _ in range(100):
            if part.host.live:
                break
            await asyncio.sleep(0.05)
        await d.stop()
        assert part.host.live and not d.running

    asyncio.run(main())


class LoopNet(FakeNet):
    """Multicast loopback, as the kernel does with IP_MULTICAST_LOOP: what we send to
    the group comes back to our own socket from our own address."""

    def send(self, data, dest=None):
        FakeNet.send(self, data, dest)
        if dest is None:
            self.inject(data, (self.addrs[0], 5353))


def test_responder_and_browser_share_one_engine_and_driver():
    from mdns.browser import Browser

    net = LoopNet()
    clk = FakeClock()
    seen = []
    r = Responder("kitchen-cam", sockets=net, clock=clk, rand=zero,
                  services=[Service("Kitchen Cam", "_http._tcp", 80, txt={"a": b"1"})])
    r.sockets()  # opens the driver
    b = Browser("_http._tcp", on_event=seen.append, driver=r.driver)
    for _ in range(60):
        clk.t += 50
        r.process()
    assert r.claimed
    ups = [e for e in seen if e.kind == "up"]
    assert ups and ups[0].instance == "Kitchen Cam" and ups[0].port == 80
    assert "10.0.0.5" in ups[0].addresses
    # our own looped-back announcements were no conflict
    assert r.hostname == HOSTN
    r.remove_service(r.services[0])  # goodbye, looped back to the browser
    for _ in range(40):
        clk.t += 50
        r.process()
    assert any(e.kind == "down" for e in seen)
    r.close()


def test_cli_advertise_parses_services_and_refuses_bad_ones(capsys):
    import argparse
    from mdns.host import cli, cmd_advertise

    s = cmd_advertise.parse_service(["Kitchen Cam", "_http._tcp,_printer", "8080", "path=/x", "flag"])
    assert (s.instance, s.port, s.type_name) == ("Kitchen Cam", 8080, "_http._tcp.local")
    assert list(s.sub_names()) == ["_printer._sub._http._tcp.local"]
    rec = ResponderPart(Engine(), "h", ("10.0.0.5",))
    rec.add_service(s, 0)
    txt = [r for r in s._g.recs if r.type == wire.TYPE_TXT][0]
    assert txt.rdata() == b"\x07path=/x\x04flag"
    for bad in (["Cam", "_http._tcp"], ["Cam", "_http._tcp", "eighty"], ["Cam", "_toolongservicename._tcp", "80"]):
        with pytest.raises(ValueError):
            cmd_advertise.parse_service(bad)
    p = argparse.ArgumentParser()
    cmd_advertise.add_arguments(p)
    args = p.parse_args(["--host", "kitchen-cam", "--service", "Cam", "_http._tcp", "x"])
    with pytest.raises(cli.UsageError) as e:  # exit status 2 (cli.main), before any socket is opened
        cmd_advertise.run(args)
    assert "port 'x' is not a number" in str(e.value)
