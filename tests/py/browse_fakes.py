"""Fakes for the browser/cache/querier tests: an engine on a simulated link with an
injected clock, and scripted peers that answer like the implementations in
/work/shared/notes/interop.md (all in one packet, piecemeal, never at all)."""
from mdns import wire
from mdns.engine import Engine
from mdns.wire import Record, Message, TYPE_A, TYPE_AAAA, TYPE_PTR, TYPE_SRV, TYPE_TXT, TYPE_ANY, FLAG_QR, FLAG_AA

PEER = ("10.0.0.2", 5353)
RESP = FLAG_QR | FLAG_AA


def lo(lo_, hi):
    return lo_


def hi(lo_, hi_):
    return hi_


def response(answers=(), additionals=()):
    return wire.encode(Message(0, RESP, (), answers, (), additionals))[0]


def query(questions, known=(), flags=0):
    return wire.encode(Message(0, flags, questions, known))


class Sim:
    """Engine + clock + link. Every packet the engine sends is decoded into
    `sent` (time, Message, bytes, dest) and shown to each peer, whose replies
    are fed back at the same instant."""

    def __init__(self, rand=lo):
        self.eng = Engine(rand=rand)
        self.now = 0
        self.sent = []
        self.peers = []
        self.events = []

    def feed(self, data, src=PEER):
        if isinstance(data, list):
            for d in data:
                self.eng.feed(d, src, self.now)
        else:
            self.eng.feed(data, src, self.now)
        self.pump()
        self.advance(0)  # as the drivers do: read what is waiting, then run the timers

    def pump(self):
        for _ in range(100):
            out = self.eng.take_output()
            self.events.extend(self.eng.take_events())
            if not out:
                return
            for data, dest in out:
                m = wire.decode(data)
                self.sent.append((self.now, m, data, dest))
                for p in self.peers:
                    for d, s in p.handle(m, self.now) or ():
                        self.eng.feed(d, s, self.now)
        raise AssertionError("sim: packets ping-pong forever")

    def advance(self, ms):
        end = self.now + ms
        for _ in range(100000):
            d = self.eng.next_deadline()
            if d is None or d > end:
                break
            if d > self.now:
                self.now = d
            self.eng.tick(self.now)
            self.pump()
        else:
            raise AssertionError("sim: a deadline that never clears")
        self.now = end
        self.eng.tick(self.now)
        self.pump()

    def queries(self):
        return [s for s in self.sent if not s[1].is_response]

    def kinds(self):
        return [e.kind for e in self.events]

    def take(self):
        ev = self.events
        self.events = []
        return ev


class Peer:
    """A responder for one service. mode "all": PTR answer with SRV, TXT, A, AAAA in
    the additional section (Avahi); "answers": everything in the answer section
    (mdnsd); "bare": only what was asked (hashicorp, mquery style); "silent":
    never answers (a killed process). flush: set the cache-flush bit on unique
    records (hashicorp and bonjour-service never do)."""

    def __init__(self, instance="Kitchen Cam", stype="_http._tcp", host="cam.local",
                 port=80, txt=None, addrs=("10.0.0.2", "fd77::2"), mode="all", flush=True,
                 ttl=120, ptr_ttl=4500, src=PEER):
        self.stype = stype + ".local"
        self.inst = wire.names.instance(instance, self.stype)
        self.host = host
        self.port = port
        self.txt = {"path": b"/"} if txt is None else txt
        self.addrs = list(addrs)
        self.mode = mode
        self.flush = flush
        self.ttl = ttl
        self.ptr_ttl = ptr_ttl
        self.src = src
        self.asked = []

    def ptr(self, ttl=None):
        return Record(self.stype, TYPE_PTR, self.inst, self.ptr_ttl if ttl is None else ttl)

    def srv(self, ttl=None):
        return Record(self.inst, TYPE_SRV, (0, 0, self.port, self.host), self.ttl if ttl is None else ttl, self.flush)

    def txt_rec(self, ttl=None):
        return Record(self.inst, TYPE_TXT, self.txt, self.ptr_ttl if ttl is None else ttl, self.flush)

    def addr_recs(self, ttl=None):
        out = []
        for a in self.addrs:
            t = TYPE_AAAA if ":" in a else TYPE_A
            out.append(Record(self.host, t, a, self.ttl if ttl is None else ttl, self.flush))
        return out

    def all(self, ttl=None):
        return [self.ptr(ttl), self.srv(ttl), self.txt_rec(ttl)] + self.addr_recs(ttl)

    def announce(self, ttl=None):
        return response(self.all(ttl))

    def goodbye(self):
        return response(self.all(0))

    def handle(self, m, now):
        if m.is_response or self.mode == "silent":
            return ()
        self.asked.append((now, m))
        known = [r.key() for r in m.answers]
        ans = []
        for q in m.questions:
            for r in self.all():
                if r.key() in known:
                    continue
                if wire.names.fold(r.name) == wire.names.fold(q.name) and q.type in (r.type, TYPE_ANY):
                    ans.append(r)
        if not ans:
            return ()
        if self.mode == "bare":
            return [(response(ans), self.src)]
        extra = []
        if any(r.type == TYPE_PTR for r in ans):
            extra = [self.srv(), self.txt_rec()] + self.addr_recs()
        elif any(r.type == TYPE_SRV for r in ans):
            extra = self.addr_recs()
        extra = [r for r in extra if r not in ans]
        if self.mode == "answers":
            return [(response(ans + extra), self.src)]
        return [(response(ans, extra), self.src)]


class FakeNet:
    closed = False

    def close(self):
        self.closed = True


class SimDriver:
    """Stands in for mdns.sync.Driver over a Sim (same run_until/tick/flush/clock)."""

    def __init__(self, sim):
        self.sim = sim
        self.engine = sim.eng
        self.net = FakeNet()
        self.clock = lambda: sim.now

    def tick(self, now=None):
        self.sim.advance(0)

    def flush(self):
        self.sim.pump()

    def run_until(self, predicate, timeout_ms):
        end = self.sim.now + timeout_ms
        while not predicate():
            d = self.engine.next_deadline()
            if d is None or d > end:
                self.sim.advance(end - self.sim.now)
                return predicate()
            self.sim.advance(max(0, d - self.sim.now))
        return True


class Responders:
    """A peer answering any question from a fixed record list (types, reverse)."""

    def __init__(self, records, src=PEER):
        self.records = records
        self.src = src

    def handle(self, m, now):
        if m.is_response:
            return ()
        ans = [r for r in self.records for q in m.questions
               if wire.names.fold(r.name) == wire.names.fold(q.name) and q.type in (r.type, TYPE_ANY)]
        return [(response(ans), self.src)] if ans else ()
