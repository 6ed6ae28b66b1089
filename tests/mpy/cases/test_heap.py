# Heap cost of the device hot paths in real MicroPython (pure-Python backend here:
# the WebAssembly port cannot load the mdnsfast C module; tests/mpy/heap_unix.py
# measures the same paths on a unix-port binary with it). Figures are printed with
# note(); the asserts are regression guards (measured figure + a margin), not timings.
import gc
import sys

from mpytest import eq, heap, note
from mdns import wire
from mdns.engine import Engine
from mdns.responder import ResponderPart
from mdns.service import Service
from mdns.sync import Driver

# Bounds are for a 32-bit heap (ESP32, the wasm port); a 64-bit unix build doubles words.
W = 2 if sys.maxsize > 2**32 else 1
PEER = ("10.0.0.9", 5353)
HOST = "kitchen-cam"


def steady(fn, rounds=3):
    # the first call fills per-module caches (parsed match table, offset pool, names)
    fn()
    best = None
    for _ in range(rounds):
        n, _r = heap(fn)
        if best is None or n < best:
            best = n
    return best


class Rig:
    def __init__(self):
        self.eng = Engine(rand=lambda lo, hi: lo)
        self.part = ResponderPart(self.eng, HOST, ("10.0.0.5",))
        self.part.add_service(Service("Kitchen Cam", "_http._tcp", 80, txt={"path": "/"}), 0)
        self.part.start(0)
        self.now = 0
        self.run(3000)
        self.eng.take_output()
        self.eng.take_events()
        self.sent = []

    def run(self, until):
        eng = self.eng
        while True:
            d = eng.next_deadline()
            if d is None or d > until:
                break
            self.now = d
            eng.tick(d)
        self.now = until
        eng.tick(until)

    def answer(self, pkt, src=PEER):
        # 2 s apart: the once-per-second multicast limit (RFC 6762 s6) never holds it back
        self.now += 2000
        self.eng.feed(pkt, src, self.now)
        self.run(self.now + 200)
        self.sent = self.eng.take_output()


def query(name, t):
    return wire.encode(wire.Message(questions=[wire.Question(name, t)]))[0]


class FakeNet:
    def __init__(self, data):
        self.data = data
        self.left = 0

    def is_own(self, src):
        return False

    def on_link(self, src):
        return True

    def sockets(self):
        return [self]

    def recv(self, sock, buf):
        if not self.left:
            return 0, None
        self.left -= 1
        n = len(self.data)
        buf[:n] = self.data
        return n, PEER

    def send(self, data, dest=None):
        pass


RIG = Rig()
OTHER = query("other-host.local", wire.TYPE_A)


def test_dropped_packet():
    eng = RIG.eng
    d0 = eng.dropped
    n = steady(lambda: eng.feed(OTHER, PEER, RIG.now))
    eq(eng.dropped - d0, 4, "every feed of another host's query is dropped")
    note("heap, feed of a packet not for us (%s)" % wire.backend().__name__, n, "bytes")
    assert n <= 64 * W, "a dropped packet allocates %d bytes (measured: 0)" % n


def test_driver_reads_into_one_buffer():
    # a sockets object with recv(sock, buf) only (CPython's recvfrom_into): one buffer
    net = FakeNet(OTHER)
    drv = Driver(RIG.eng, net, clock=lambda: RIG.now)

    def read():
        net.left = 1
        drv._read(net, RIG.now)

    read()
    buf = drv.buf
    n = steady(read)
    assert drv.buf is buf
    note("heap, driver recv + feed of a packet not for us", n, "bytes")
    assert n <= 64 * W, "driver read of a dropped packet allocates %d bytes (measured: 32)" % n


class ReadNet(FakeNet):
    """mdns.net.Sockets' MicroPython path: read(sock) hands over what recvfrom returned
    (prebuilt here, so any allocation measured is the driver's or the engine's)."""

    def __init__(self, data):
        FakeNet.__init__(self, data)
        self.got = (data, PEER)
        self.sources = 0

    def read(self, sock):
        if not self.left:
            return None
        self.left -= 1
        return self.got

    def source(self, addr, sock):
        self.sources += 1
        return addr


def test_driver_drops_before_building_the_source():
    net = ReadNet(OTHER)
    drv = Driver(RIG.eng, net, clock=lambda: RIG.now)
    d0 = RIG.eng.dropped

    def process():
        net.left = 1
        drv.process(net)

    n = steady(process)
    eq(RIG.eng.dropped - d0, 4, "every datagram of another host is dropped")
    eq(net.sources, 0, "no source tuple built for a dropped datagram")
    eq(drv.buf, None, "no receive buffer kept")
    note("heap, driver process() of a packet not for us (read path)", n, "bytes")
    assert n == 0, "process() of a dropped packet allocates %d bytes beyond the socket read" % n


def test_answer_a_query():
    pkt = query(HOST + ".local", wire.TYPE_A)
    n = steady(lambda: RIG.answer(pkt))
    eq(len(RIG.sent), 1)
    m = wire.decode(RIG.sent[0][0])
    eq([r.type for r in m.answers], [wire.TYPE_A])
    note("heap, feed + answer of an A query for our hostname", n, "bytes")
    # the quick path (mdns.quick): no decode, a pre-encoded reply; the pure-Python name_eq
    # allocates the rest
    assert n <= 288 * W, "an A query costs %d bytes (measured 32-bit: 240 fastpy, 64 mdnsfast)" % n


def test_answer_ptr_query():
    pkt = query("_http._tcp.local", wire.TYPE_PTR)
    n = steady(lambda: RIG.answer(pkt))
    eq(len(RIG.sent), 1)
    m = wire.decode(RIG.sent[0][0])
    eq([r.type for r in m.answers], [wire.TYPE_PTR])
    note("heap, feed + answer of a PTR browse query", n, "bytes")
    assert n <= 880 * W, "a PTR query costs %d bytes (measured 32-bit: 816 fastpy, 784 mdnsfast)" % n


def test_answer_legacy_query():
    # s6.7: a query from a port other than 5353 gets a unicast answer at once, the
    # question echoed, TTLs capped at 10 s, no cache-flush bit.
    pkt = query(HOST + ".local", wire.TYPE_A)
    src = ("10.0.0.9", 40000)
    n = steady(lambda: RIG.answer(pkt, src))
    eq(len(RIG.sent), 1)
    eq(RIG.sent[0][1], src)
    m = wire.decode(RIG.sent[0][0])
    eq([(q.name, q.type) for q in m.questions], [(HOST + ".local", wire.TYPE_A)])
    eq([(r.type, r.ttl, r.cache_flush) for r in m.answers], [(wire.TYPE_A, 10, False)])
    eq([(r.type, r.ttl, r.cache_flush) for r in m.additionals], [(wire.TYPE_NSEC, 10, False)])
    note("heap, feed + answer of a legacy (port 40000) A query", n, "bytes")
    assert n <= 1060 * W, "a legacy A query costs %d bytes (measured 32-bit: 992 fastpy, 960 mdnsfast)" % n


def test_writer_reset_reuses_buffers():
    w = wire.Writer(1, 0x8400, 1460)
    w.add_answer(wire.Record(HOST + ".local", wire.TYPE_A, "10.0.0.5"))
    first = w.packet()
    buf = w.buf
    n, _ = heap(lambda: w.reset(2, 0x8400, 600))
    assert w.buf is buf
    eq((w.id, w.count(), w.size(), w.max_size), (2, 0, 12, 600))
    note("heap, Writer(1460) created / reset", steady(lambda: wire.Writer(0, 0x8400, 1460)), "bytes")
    note("heap, Writer.reset", n, "bytes")
    assert n <= 64, "Writer.reset allocates %d bytes" % n
    w.add_answer(wire.Record(HOST + ".local", wire.TYPE_A, "10.0.0.5"))
    eq(w.packet()[2:], first[2:], "same bytes after reset (id differs)")
    gc.collect()
