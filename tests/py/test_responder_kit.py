"""Test rig for the responder: an Engine with an injected clock and rand, and the
datagrams it sends recorded with their time. No sockets. (No tests in here.)"""
from mdns import wire
from mdns.engine import Engine
from mdns.responder import ResponderPart
from mdns.service import Service

A, AAAA, PTR, SRV, TXT, NSEC, ANY = (wire.TYPE_A, wire.TYPE_AAAA, wire.TYPE_PTR, wire.TYPE_SRV,
                                     wire.TYPE_TXT, wire.TYPE_NSEC, wire.TYPE_ANY)
PEER = ("10.0.0.9", 5353)
HOST = "kitchen-cam"


class Rig:
    def __init__(self, host=HOST, addrs=("10.0.0.5",), pick=None, **kw):
        self.calls = []  # every rand(lo, hi) call
        self.pick = dict(pick or {})  # (lo, hi) -> value; default lo
        self.eng = Engine(rand=self.rand)
        self.events = []
        self.part = ResponderPart(self.eng, host, addrs, on_event=self.events.append, **kw)
        self.now = 0
        self.out = []  # (time, dest, Message, bytes)

    def rand(self, lo, hi):
        self.calls.append((lo, hi))
        v = self.pick.get((lo, hi), lo)
        assert lo <= v <= hi
        return v

    def _collect(self):
        for data, dest in self.eng.take_output():
            assert len(data) <= self.eng.max_payload
            self.out.append((self.now, dest, wire.decode(data), data))

    def run(self, until):
        """Advance the clock to `until`, ticking at every deadline on the way."""
        assert until >= self.now, "clock going backwards: %r < %r" % (until, self.now)
        while True:
            d = self.eng.next_deadline()
            if d is None or d > until:
                break
            assert d >= self.now, "deadline in the past: %r < %r" % (d, self.now)
            self.now = d
            self.eng.tick(d)
            self._collect()
        self.now = until
        self.eng.tick(until)
        self._collect()

    def start(self, services=()):
        for s in services:
            self.part.add_service(s, self.now)
        self.part.start(self.now)
        self._collect()

    def claim(self, services=()):
        self.start(services)
        self.run(self.now + 3000)
        assert self.part.host.live or not self.part.addrs
        self.clear()

    def clear(self):
        self.out = []
        self.events[:] = []

    def feed(self, data, src=PEER, at=None):
        if at is not None:
            self.run(at)
        if not isinstance(data, (bytes, bytearray)):
            data = pack(data)
        self.eng.feed(data, src, self.now)
        self._collect()

    def query(self, *questions, **kw):
        src = kw.pop("src", PEER)
        at = kw.pop("at", None)
        self.feed(wire.Message(questions=questions, **kw), src, at)

    def respond(self, *answers, **kw):
        src = kw.pop("src", PEER)
        at = kw.pop("at", None)
        self.feed(wire.Message(flags=wire.FLAG_QR | wire.FLAG_AA, answers=answers, **kw), src, at)

    def sent(self, since=None):
        return [o for o in self.out if since is None or o[0] >= since]

    def kinds(self):
        return [e.kind for e in self.events]


def pack(msg):
    w = wire.Writer(msg.id, msg.flags, 9000)
    for q in msg.questions:
        w.add_question(q)
    for r in msg.answers:
        assert w.add_answer(r)
    for r in msg.authorities:
        assert w.add_authority(r)
    for r in msg.additionals:
        assert w.add_additional(r)
    return w.packet()


def Q(name, t, qu=False):
    return wire.Question(name, t, unicast=qu)


def R(name, t, data, ttl=120, flush=False):
    return wire.Record(name, t, data, ttl=ttl, cache_flush=flush)


def svc(instance="Kitchen Cam", type_="_http._tcp", port=80, txt=None, **kw):
    return Service(instance, type_, port, txt=txt if txt is not None else {"path": "/"}, **kw)


def records(msg, sect="answers"):
    return [(r.name, r.type) for r in getattr(msg, sect)]
