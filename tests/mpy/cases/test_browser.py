# The browser, cache, querier and resolvers inside real MicroPython: injected clock,
# packets fed by hand (no sockets in this port), the same rules as tests/py.
from mpytest import eq, heap, raises

from mdns import browser, cache, querier, resolve, wire
from mdns.engine import Engine
from mdns.wire import Message, Record, TYPE_A, TYPE_AAAA, TYPE_PTR, TYPE_SRV, TYPE_TXT

PEER = ("10.0.0.2", 5353)
SVC = "_http._tcp.local"
INST = "Kitchen Cam._http._tcp.local"


def lo(a, b):
    return a


class Sim:
    def __init__(self):
        self.eng = Engine(rand=lo)
        self.now = 0
        self.sent = []
        self.events = []

    def feed(self, recs, additionals=()):
        data = wire.encode(Message(0, wire.FLAG_QR | wire.FLAG_AA, (), recs, (), additionals))[0]
        self.eng.feed(data, PEER, self.now)
        self.pump()
        self.advance(0)  # as the drivers do: read, then run the timers

    def pump(self):
        for d, dest in self.eng.take_output():
            self.sent.append((self.now, wire.decode(d)))
        self.events.extend(self.eng.take_events())

    def advance(self, ms):
        end = self.now + ms
        n = 0
        while True:
            d = self.eng.next_deadline()
            if d is None or d > end:
                break
            n += 1
            assert n < 10000, "deadline never clears"
            if d > self.now:
                self.now = d
            self.eng.tick(self.now)
            self.pump()
        self.now = end
        self.eng.tick(end)
        self.pump()


def records(ttl=120, txt=None, port=80, addrs=("10.0.0.2", "fd77::2")):
    out = [
        Record(SVC, TYPE_PTR, INST, 4500 if ttl else 0),
        Record(INST, TYPE_SRV, (0, 0, port, "cam.local"), ttl, True),
        Record(INST, TYPE_TXT, txt or {"path": b"/"}, 4500 if ttl else 0, True),
    ]
    for a in addrs:
        out.append(Record("cam.local", TYPE_AAAA if ":" in a else TYPE_A, a, ttl, True))
    return out


def kinds(got):
    return [e.kind for e in got]


def test_browse_up_changed_down():
    s = Sim()
    got = []
    b = browser.BrowserPart(s.eng, "_http._tcp", on_event=got.append)
    s.advance(100)
    q = s.sent[0][1].questions[0]
    eq((s.sent[0][0], q.name, q.type, q.unicast), (20, SVC, TYPE_PTR, True))
    recs = records()
    s.feed(recs[:1], recs[1:])
    eq(kinds(got), ["up"])
    e = got[0]
    eq((e.instance, e.type, e.host, e.port), ("Kitchen Cam", "_http._tcp", "cam.local", 80))
    eq(e.addresses, ["10.0.0.2", "fd77::2"])
    eq(e.txt, {"path": b"/"})
    s.advance(2000)
    s.feed([records(txt={"path": b"/new"})[2]])
    s.feed([records(txt={"path": b"/new"})[2]])
    eq(kinds(got), ["up", "changed"])
    eq(got[1].changes, ["txt"])
    s.feed(records(ttl=0))
    s.advance(999)
    eq(kinds(got), ["up", "changed"])
    s.advance(1)
    eq(kinds(got), ["up", "changed", "down"])
    eq(got[2].reason, "goodbye")
    b.close()


def test_out_of_order_packets_and_asking_for_missing_parts():
    s = Sim()
    got = []
    browser.BrowserPart(s.eng, "_http._tcp", on_event=got.append)
    s.advance(0)
    recs = records()
    s.feed([recs[0]])  # PTR alone
    s.advance(100)
    asked = [(q.name, q.type) for t, m in s.sent for q in m.questions]
    assert (INST, TYPE_SRV) in asked and (INST, TYPE_TXT) in asked, asked
    s.feed([recs[2]])
    s.feed([recs[1]])
    eq(got, [])
    s.advance(100)
    asked = [(q.name, q.type) for t, m in s.sent for q in m.questions]
    assert ("cam.local", TYPE_A) in asked, asked
    s.feed([recs[4]])  # AAAA only: the `up` waits 50 ms for an A
    eq(got, [])
    s.advance(50)
    eq(kinds(got), ["up"])
    eq(got[0].addresses, ["fd77::2"])


def test_unresolved_after_timeout():
    s = Sim()
    got = []
    browser.BrowserPart(s.eng, "_http._tcp", on_event=got.append, resolve_timeout_ms=2000)
    s.advance(0)
    s.feed([records()[0]])
    s.advance(2000)
    eq(kinds(got), ["unresolved"])
    eq(got[0].missing, ["SRV", "TXT"])


def test_silent_peer_goes_down_at_ttl():
    s = Sim()
    got = []
    browser.BrowserPart(s.eng, "_http._tcp", on_event=got.append)
    s.advance(0)
    recs = records(ttl=10)
    s.feed(recs)
    s.advance(12000)
    eq(kinds(got), ["up", "down"])


def test_querier_backoff_and_refresh_points():
    s = Sim()
    q = querier.of(s.eng)
    q.ask(SVC, TYPE_PTR)
    s.advance(40000)
    eq([t for t, m in s.sent], [20, 1020, 3020, 7020, 15020, 31020])
    s2 = Sim()
    q2 = querier.of(s2.eng)
    q2.cache.want("cam.local", TYPE_A)
    # TTL 1000 s: the refresh points are 50 s apart, more than POOF's 10 s window
    s2.feed([Record("cam.local", TYPE_A, "10.0.0.2", 1000, True)])
    s2.advance(2000000)
    eq([t for t, m in s2.sent], [800000, 850000, 900000, 950000])


def test_cache_bounds_under_flood():
    eng = Engine(rand=lo)
    c = cache.of(eng, max_records=32, max_bytes=2000)
    for i in range(300):
        m = Message(0, wire.FLAG_QR, (), [Record("f%d.local" % i, TYPE_A, "10.1.%d.%d" % (i // 200, i % 200), 120)])
        c.on_response(m, PEER, 0)
        assert len(c) <= 32 and c.bytes <= 2000
    eq(len(c), 32)


def _svc(i, host):
    n = "S%d.%s" % (i, SVC)
    return [Record(SVC, TYPE_PTR, n, 4500), Record(n, TYPE_SRV, (0, 0, 80, host), 120, True),
            Record(n, TYPE_TXT, {"i": str(i)}, 4500, True), Record(host, TYPE_A, "10.0.%d.%d" % (i // 200, i % 200 + 1), 120, True)]


def test_flood_of_services_keeps_watched_ones_and_deadline_clears():
    # issue 13: newcomers evicted the services already up; a settling `up` whose SRV
    # was evicted left the deadline in the past (the driver spun)
    sim = Sim()
    got = []
    b = browser.BrowserPart(sim.eng, "_http._tcp", on_event=got.append, max_records=48, max_bytes=6000)
    for i in range(3):
        sim.feed(_svc(i, "w%d.local" % i))
    sim.advance(2000)
    eq(kinds(got), ["up"] * 3)
    for i in range(3, 303):
        sim.feed(_svc(i, "h%d.local" % i))
    sim.advance(5000)  # asserts "deadline never clears"
    # newcomers that never fit may be `unresolved`; none of the watched goes down
    eq([k for k in kinds(got) if k != "unresolved"], ["up"] * 3)
    assert len(b.cache) <= 48 and b.cache.bytes <= 6000 and b.cache.evicted > 250
    for i in range(3):
        assert b.cache.get("S%d.%s" % (i, SVC), TYPE_SRV, sim.now)


def test_cache_heap_per_record():
    eng = Engine(rand=lo)
    c = cache.of(eng, max_records=1000, max_bytes=1000000)
    recs = []
    for i in range(50):
        recs.append(Record("host-%d.local" % i, TYPE_A, "10.2.0.%d" % i, 120, True))
        recs[-1].key()  # rdata computed before measuring: the record exists already when received

    def add():
        for r in recs:
            c.add(r, 0)

    n, _ = heap(add)
    print("cache heap per record (A record, bookkeeping only): %d bytes" % (n // 50))
    eq(len(c), 50)
    # a whole received record: decode + cache
    pkt = wire.encode(Message(0, wire.FLAG_QR, (), [Record("h%d.local" % i, TYPE_A, "10.3.0.%d" % i, 120, True) for i in range(20)]))[0]
    c2 = cache.of(Engine(rand=lo), max_records=1000, max_bytes=1000000)
    n2, _ = heap(lambda: c2.on_response(wire.decode(pkt), PEER, 0))
    print("cache heap per record (decoded from a packet and cached): %d bytes" % (n2 // 20))
    eq(len(c2), 20)


def test_resolve_host_engine_level():
    s = Sim()
    lk = resolve.host_lookup(s.eng, "cam.local", 3000)
    s.advance(0)
    eq([q.type for q in s.sent[0][1].questions], [TYPE_A, TYPE_AAAA])
    s.feed([Record("cam.local", TYPE_A, "10.0.0.2", 120, True), Record("cam.local", TYPE_AAAA, "fd77::2", 120, True)])
    assert lk.done
    eq(resolve.addresses(lk.result), ["10.0.0.2", "fd77::2"])
    lk2 = resolve.host_lookup(s.eng, "nobody.local", 1000)
    s.advance(1000)
    assert lk2.done and lk2.timed_out


def test_bad_service_type():
    raises(ValueError, browser.BrowserPart, Engine(rand=lo), "http")


def test_async_iterator_on_micropython():
    # This port's asyncio runs on the JavaScript event loop (no asyncio.run inside a
    # call), so the coroutine is stepped by hand: with the events already queued and
    # the browser closed, `async for` must deliver them and end without waiting.
    s = Sim()
    b = browser.Browser("_http._tcp", engine=s.eng)
    it = b.events()
    s.advance(0)
    s.feed(records())
    s.feed(records(ttl=0))
    s.advance(1000)
    b.close()
    out = []

    async def collect():
        async for ev in it:
            out.append(ev.kind)
        return len(out)

    c = collect()
    try:
        c.send(None)
        raise AssertionError("async for waited although everything was queued")
    except StopIteration as e:
        eq(e.value, 2)
    eq(out, ["up", "down"])


def test_driver_like_feed_interface_and_copies_going_down_together():
    # as mdns.sync/net feed it now: a memoryview of one reused receive buffer and
    # (ip, port, interface); the IPv6 copy of the answer keeps the refresh plan, so a
    # killed host goes `down` once (POOF), without a `changed` on the way
    s = Sim()
    jit = [0]
    s.eng.rand = lambda a, b: jit[0] if b == 2000 else a
    got = []
    browser.BrowserPart(s.eng, "_http._tcp", on_event=got.append)
    s.advance(0)
    buf = bytearray(1500)
    recs = records()

    def feed(answers, extra, src):
        data = wire.encode(Message(0, wire.FLAG_QR | wire.FLAG_AA, (), answers, (), extra))[0]
        buf[:len(data)] = data
        s.eng.feed(memoryview(buf)[:len(data)], src, s.now)
        for i in range(len(data)):
            buf[i] = 0
        s.pump()
        s.advance(0)

    feed(recs[:1], recs[1:], ("10.0.0.2", 5353, "10.0.0.1"))
    jit[0] = 2000
    s.advance(5)
    feed(recs[:1], [recs[1], recs[2], recs[4]], ("fd77::2", 5353, "fd77::1"))
    eq(kinds(got), ["up"])
    eq(got[0].interface, "10.0.0.1")
    eq(got[0].addresses, ["10.0.0.2", "fd77::2"])
    eq(got[0].txt, {"path": b"/"})
    s.advance(130000)
    eq(kinds(got), ["up", "down"])
    eq(got[1].reason, "poof")
