"""What users of other mDNS libraries expect from mdns.Responder: no name means
network.hostname() on a board and the short host name on CPython; ".local" and
".local." are dropped; after a conflict rename the board's network.hostname()
follows the claimed name."""
import socket
import sys
import types

import pytest

import mdns
from mdns import hostname as mh
from mdns import wire
from mdns.engine import Engine


class FakeNetwork(types.ModuleType):
    def __init__(self, name):
        types.ModuleType.__init__(self, "network")
        self.name = name
        self.set_calls = []

    def hostname(self, *a):
        if a:
            self.set_calls.append(a[0])
            self.name = a[0]
            return None
        return self.name


@pytest.fixture
def board(monkeypatch):
    net = FakeNetwork("esp32-c3-1a2b")
    monkeypatch.setitem(sys.modules, "network", net)
    monkeypatch.setattr(mh, "_MPY", True)
    return net


def test_no_name_on_cpython_is_the_short_host_name(monkeypatch):
    monkeypatch.setattr(socket, "gethostname", lambda: "Laptop.example.com")
    assert mdns.Responder(addrs=["10.0.0.5"]).hostname == "Laptop.local"


def test_no_name_on_a_board_is_network_hostname(board):
    assert mdns.Responder(addrs=["10.0.0.5"]).hostname == "esp32-c3-1a2b.local"


def test_network_module_is_not_asked_on_cpython(monkeypatch):
    net = FakeNetwork("never")
    monkeypatch.setitem(sys.modules, "network", net)  # e.g. an unrelated PyPI package
    monkeypatch.setattr(socket, "gethostname", lambda: "box")
    assert mh.default() == "box" and mh.adopt("x") is False and net.set_calls == []


@pytest.mark.parametrize("given", ["kitchen-cam", "kitchen-cam.local", "kitchen-cam.local.", "kitchen-cam.LOCAL"])
def test_trailing_local_is_dropped(given):
    assert mdns.Responder(given, addrs=["10.0.0.5"]).hostname == "kitchen-cam.local"


@pytest.mark.parametrize("bad", ["kitchen.cam", ".local", "a" * 64])
def test_other_dotted_or_bad_names_are_one_clear_error(bad):
    with pytest.raises(ValueError) as e:
        mdns.Responder(bad, addrs=["10.0.0.5"])
    assert "hostname" in str(e.value) or "label" in str(e.value)


def _run(eng, now, until):
    while True:
        d = eng.next_deadline()
        if d is None or d > until:
            break
        now = max(now, d)
        eng.tick(now)
        eng.take_output()
    eng.tick(until)
    eng.take_output()
    return until


def test_network_hostname_follows_a_conflict_rename(board):
    got = []
    eng = Engine(rand=lambda lo, hi: lo)
    r = mdns.Responder(addrs=["10.0.0.5"], engine=eng, on_event=got.append)
    r.part.start(0)
    now = _run(eng, 0, 10)  # first probe out
    other = wire.Record("esp32-c3-1a2b.local", wire.TYPE_A, "10.0.0.99", 120, True)
    msg = wire.Message(0, wire.FLAG_QR | wire.FLAG_AA, (), [other])
    eng.feed(wire.encode(msg)[0], ("10.0.0.99", 5353), now)
    _run(eng, now, 5000)
    assert r.hostname == "esp32-c3-1a2b-2.local"
    assert [e.kind for e in got][-1] == "claimed"  # the user's callback still gets every event
    assert board.set_calls == ["esp32-c3-1a2b-2"] and board.hostname() == "esp32-c3-1a2b-2"


def test_no_rename_leaves_network_hostname_alone(board):
    eng = Engine(rand=lambda lo, hi: lo)
    r = mdns.Responder("kitchen-cam", addrs=["10.0.0.5"], engine=eng)
    r.part.start(0)
    _run(eng, 0, 5000)
    assert r.claimed and board.set_calls == []


def test_without_gethostname_or_uname_the_kernel_name_is_used(monkeypatch):
    # the MicroPython unix port: no socket.gethostname, no os.uname
    import os

    monkeypatch.delattr(socket, "gethostname")
    monkeypatch.delattr(os, "uname")
    with open("/proc/sys/kernel/hostname") as f:
        want = f.read().strip().split(".")[0]
    assert mh.default() == want and want
