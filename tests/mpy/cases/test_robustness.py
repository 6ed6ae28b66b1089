# Received datagrams never kill the loop, inside real MicroPython: the captured
# corpus, as is and mutated by a small deterministic mutator, fed into one Engine
# with every part attached (responder with services, cache, querier, browsers,
# one-shot lookups, the fleet agent's offer watcher). Nothing may escape, all we
# send must decode, the cache stays within its bounds. (tests/py/test_engine_robustness.py
# does the same on CPython with hypothesis-built messages too.)
from mpytest import CORPUS_DIR, eq, note, read_hex

from mdns import resolve, wire
from mdns.browser import BrowserPart
from mdns.engine import Engine
from mdns.fleet import OFFER_TYPE
from mdns.fleet import agent as agentmod
from mdns.responder import ResponderPart
from mdns.service import Service

HOST = "kitchen-cam.local"
MAX_RECORDS = 48
MAX_BYTES = 6000
SOURCES = (("10.0.0.9", 5353), ("10.0.0.9", 5353, "eth0"), ("10.0.0.5", 5353), ("fd77::9", 5353),
           ("fe80::9%eth0", 5353, "eth0"), ("10.0.0.9", 40000), ("fd77::5", 5353, 2))


class Rnd:
    # a 31-bit LCG: the same sequence on every port (no random module needed)
    def __init__(self, seed):
        self.s = seed & 0x7FFFFFFF

    def below(self, n):
        self.s = (self.s * 1103515245 + 12345) & 0x7FFFFFFF
        return (self.s >> 8) % n


def mutate(pkt, rnd):
    b = bytearray(pkt)
    for _ in range(1 + rnd.below(2)):
        if not b:
            break
        op = rnd.below(6)
        pos = rnd.below(len(b))
        if op == 0:
            b[pos] ^= 1 << rnd.below(8)
        elif op == 1:
            b[pos] = (0, 0x3F, 0x40, 0x80, 0xC0, 0xFF, 12, 1)[rnd.below(8)]
        elif op == 2 and len(b) > 12:
            b = b[:pos]
        elif op == 3:
            b = b[:pos] + bytes((rnd.below(256),)) + b[pos:]
        elif op == 4 and pos < 12:
            b[pos] = rnd.below(256)
        else:
            b[pos] = b[rnd.below(len(b))]
    return bytes(b)


class Part:
    # esp32.Partition stand-in: one slot, no app descriptor
    RUNNING = 0

    def __init__(self, which=0):
        pass

    def info(self):
        return (0, 0, 0, 0x10000, "ota_0")

    def readblocks(self, n, buf):
        raise OSError(5)

    def get_next_update(self):
        return self

    def ioctl(self, op, arg):
        return 16

    @staticmethod
    def mark_app_valid_cancel_rollback():
        pass


class AgentResponder:
    claimed = True

    def __init__(self, rig):
        self.rig = rig
        self.hostname = HOST

    def add_service(self, s):
        self.rig.resp.add_service(s, self.rig.now)

    def update_service(self, s, txt=None, port=None):
        self.rig.resp.update_service(s, self.rig.now, txt, port)


class Shim:
    def __init__(self, part):
        self.part = part


class Rig:
    def __init__(self):
        self.now = 1000
        r = Rnd(5)
        self.eng = Engine(rand=lambda lo, hi: lo + r.below(hi - lo + 1))
        self.resp = ResponderPart(self.eng, HOST, addrs=("10.0.0.5", "fd77::5"))
        self.resp.add_service(Service("Kitchen Cam", "_http._tcp", 80, txt={"path": "/"}), self.now)
        self.resp.start(self.now)
        self.browser = BrowserPart(self.eng, "_http._tcp", max_records=MAX_RECORDS, max_bytes=MAX_BYTES)
        self.cache = self.browser.cache
        BrowserPart(self.eng, "_ipp._tcp")
        self.lookups = []
        self.renew()
        self.agent = agentmod.Agent(
            AgentResponder(self), name="dev1", board="B1", version="0.1.0", chip="sim", key=bytes(range(32)),
            state_path="/robust-fleet.json", partition=Part, veto_path="", reset=lambda: None,
            log=lambda m: None, clock=lambda: self.now, mpy="1.29.0")
        self.agent.advertise(8266)
        self.agent.follow(Shim(BrowserPart(self.eng, OFFER_TYPE)))
        self.fed = 0
        self.sent = 0

    def renew(self):
        for l in self.lookups:
            if not l.done:
                return
        e = self.eng
        self.lookups = [resolve.host_lookup(e, "printer.local", 3000), resolve.host_lookup(e, HOST, 2000),
                        resolve.ServiceLookup(e, "Printer", "_ipp._tcp", 3000), resolve.types_lookup(e, 2000),
                        resolve.address_lookup(e, "10.0.0.9", 2000)]

    def tick(self, now):
        self.now = now
        self.eng.next_deadline()
        self.eng.tick(now)
        self.agent.tick(now)
        for data, dest in self.eng.take_output():
            wire.decode(data)  # everything we send decodes
            self.sent += 1
        for ev in self.eng.take_events():
            assert ev.kind != "error", repr(ev.fields)
        self.renew()
        assert len(self.cache) <= MAX_RECORDS and self.cache.bytes <= MAX_BYTES
        assert len(self.agent._inbox) <= 8

    def feed(self, data, src, dt):
        self.eng.feed(data, src, self.now)
        self.fed += 1
        self.tick(self.now + dt)


def _corpus():
    out = []
    for f in ("avahi.hex", "zeroconf.hex", "synthetic.hex"):
        out.extend(read_hex(CORPUS_DIR + "/" + f))
    return out


def test_corpus_as_is():
    rig = Rig()
    pkts = _corpus()
    for i in range(len(pkts)):
        rig.feed(pkts[i], SOURCES[i % len(SOURCES)], 13)
    for t in range(60):
        rig.tick(rig.now + 500)
    eq(rig.fed, len(pkts))
    assert rig.sent > 0
    note("robustness: corpus packets fed as is", rig.fed)


# One rig for the mutation rounds (state piles up across them, as on a device);
# each round is its own function so the WebAssembly heap is collected between them.
_state = {}


def _round(seed, n):
    rig = _state.get("rig")
    if rig is None:
        rig = _state["rig"] = Rig()
        _state["pkts"] = _corpus()
    pkts = _state["pkts"]
    rnd = Rnd(seed)
    m0 = rig.eng.malformed
    for i in range(n):
        p = pkts[rnd.below(len(pkts))]
        p = mutate(p, rnd) if rnd.below(8) else p
        rig.feed(p, SOURCES[rnd.below(len(SOURCES))], (0, 1, 7, 120, 1500)[rnd.below(5)])
    for t in range(10):
        rig.tick(rig.now + 997)
    note("robustness: round %d malformed (dropped by decode) of %d" % (seed, n), rig.eng.malformed - m0)
    return rig


def test_mutated_corpus_1():
    _round(1, 300)


def test_mutated_corpus_2():
    _round(2, 300)


def test_mutated_corpus_3():
    _round(3, 300)


def test_mutated_corpus_4_then_quiet():
    rig = _round(4, 300)
    for t in range(60):
        rig.tick(rig.now + 1000)
    eq(rig.fed, 1200)
    assert rig.sent > 0
    note("robustness: mutated packets fed into one rig", rig.fed)
