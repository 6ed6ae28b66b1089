# The affordances of issue 14 inside real MicroPython: every-type browsing
# (browseall: a property setter, BrowserParts made at a tick), resolution that
# stops at SRV or one family, Responder() named from network.hostname() and the
# board's name following a conflict rename. Injected clock, packets fed by hand.
import sys

from mpytest import eq

import mdns
from mdns import browseall, resolve, wire
from mdns.engine import Engine
from mdns.wire import Message, Record, TYPE_A, TYPE_AAAA, TYPE_PTR, TYPE_SRV, TYPE_TXT

PEER = ("10.0.0.2", 5353)
INST = "Kitchen Cam._http._tcp.local"


def lo(a, b):
    return a


class Sim:
    def __init__(self):
        self.eng = Engine(rand=lo)
        self.now = 0
        self.sent = []

    def feed(self, recs, src=PEER):
        data = wire.encode(Message(0, wire.FLAG_QR | wire.FLAG_AA, (), recs))[0]
        self.eng.feed(data, src, self.now)
        self.pump()
        self.advance(0)

    def pump(self):
        for d, dest in self.eng.take_output():
            self.sent.append(wire.decode(d))
        self.eng.take_events()

    def advance(self, ms):
        end = self.now + ms
        while True:
            d = self.eng.next_deadline()
            if d is None or d > end:
                break
            self.now = max(self.now, d)
            self.eng.tick(self.now)
            self.pump()
        self.now = end
        self.eng.tick(end)
        self.pump()

    def asked(self):
        return [(q.name, q.type) for m in self.sent if not m.is_response for q in m.questions]


def service(port=80):
    return [Record("_http._tcp.local", TYPE_PTR, INST, 4500),
            Record(INST, TYPE_SRV, (0, 0, port, "cam.local"), 120, True),
            Record(INST, TYPE_TXT, {"a": b"1"}, 4500, True),
            Record("cam.local", TYPE_A, "10.0.0.2", 120, True),
            Record("cam.local", TYPE_AAAA, "fd77::2", 120, True)]


def test_every_type_browser():
    s = Sim()
    got = []
    p = browseall.TypesPart(s.eng, on_event=got.append)
    p._listeners = [got.append]  # as mdns.Browser sets its streams
    s.advance(200)
    eq(s.asked()[0], (browseall.SERVICES, TYPE_PTR))
    s.feed([Record(browseall.SERVICES, TYPE_PTR, "_http._tcp.local", 4500),
            Record(browseall.SERVICES, TYPE_PTR, "_x._sub._http._tcp.local", 4500)])
    s.advance(100)
    eq(len(p.types), 1)
    s.feed(service())
    s.advance(100)
    eq([(e.kind, e.type, e.instance) for e in got], [("up", "_http._tcp", "Kitchen Cam")] * 2)
    p.close()


def _lookup(s, **kw):
    lk = resolve.ServiceLookup(s.eng, "Kitchen Cam", "_http._tcp", 3000, None, **kw)
    s.advance(0)
    return lk


def test_resolve_srv_only():
    s = Sim()
    lk = _lookup(s, txt=False, addresses=False)
    eq(s.asked(), [(INST, TYPE_SRV)])
    s.feed(service()[1:2])
    assert lk.done
    eq((lk.result["port"], lk.result["addresses"], lk.result["txt"]), (80, [], None))


def test_resolve_one_family():
    s = Sim()
    lk = _lookup(s, ipv6=False)
    s.feed(service()[1:3])
    eq([q for q in s.asked() if q[0] == "cam.local"], [("cam.local", TYPE_A)])
    s.feed(service()[3:4])
    assert lk.done
    eq(lk.result["addresses"], ["10.0.0.2"])


class FakeNetwork:
    def __init__(self, name):
        self.name = name
        self.set_calls = []

    def hostname(self, *a):
        if a:
            self.set_calls.append(a[0])
            self.name = a[0]
            return None
        return self.name


def test_responder_named_by_network_hostname_follows_a_rename():
    net = FakeNetwork("esp32-1a2b")
    old = sys.modules.get("network")
    sys.modules["network"] = net
    try:
        s = Sim()
        r = mdns.Responder(addrs=["10.0.0.5"], engine=s.eng)
        eq(r.hostname, "esp32-1a2b.local")
        eq(mdns.Responder("cam.local.", addrs=["10.0.0.5"]).hostname, "cam.local")
        r.part.start(0)
        s.advance(10)
        s.feed([Record("esp32-1a2b.local", TYPE_A, "10.0.0.99", 120, True)], ("10.0.0.99", 5353))
        s.advance(5000)
        eq(r.hostname, "esp32-1a2b-2.local")
        eq(net.set_calls, ["esp32-1a2b-2"])
    finally:
        if old is None:
            del sys.modules["network"]
        else:
            sys.modules["network"] = old
