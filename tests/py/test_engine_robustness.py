"""Robustness of the layer above the wire codec: packets that decode fine but carry
odd content (our own names with strange data, roots, unknown types, class 255, 100
questions, TTL 0 for unknown records, legacy ids, IPv6 and interface-less sources ...)
fed into one Engine with every part attached (responder with services, prober,
cache, querier, browsers, one-shot lookups, the fleet agent's offer watcher).
Nothing may escape feed/tick/take_output/take_events, every datagram we send must
decode, and the parts' state must stay within structural bounds."""
import os
import random
import tempfile

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from mdns import addr as _addr
from mdns import names
from mdns import resolve, sync, wire
from mdns.browser import BrowserPart
from mdns.engine import Engine, Event
from mdns.fleet import OFFER_TYPE, agent as agentmod
from mdns.host.fleet_flash import SimFlash, make_image
from mdns.responder import ASKERS_MAX, TC_KEEP, TC_SOURCES, ResponderPart
from mdns.service import Service
from mdns.wire import (
    FLAG_AA, FLAG_QR, FLAG_TC, TYPE_A, TYPE_AAAA, TYPE_ANY, TYPE_NSEC, TYPE_PTR, TYPE_SRV, TYPE_TXT,
    Message, Question, Record,
)
from fleet_fakes import PUB

HOST = "kitchen-cam.local"
ADDRS = ("10.0.0.5", "fd77::5", "fe80::5")
CORPUS = os.path.join(os.path.dirname(__file__), "..", "corpus")
CACHE_MAX_RECORDS = 48
CACHE_MAX_BYTES = 6000

# Names the parts care about, plus near misses and oddities.
OWN_NAMES = [
    HOST, "KITCHEN-CAM.local", "Kitchen Cam._http._tcp.local", "_http._tcp.local",
    "_printer._sub._http._tcp.local", "_services._dns-sd._udp.local",
    "dev1._mpfleet._tcp.local", "_mpfleet._tcp.local", "_mpfleet-offer._tcp.local",
    "dev1._mpfleet-offer._tcp.local", "other._mpfleet-offer._tcp.local",
    _addr.reverse_name("10.0.0.5"), _addr.reverse_name("fd77::5"), _addr.reverse_name("fe80::5"),
    "printer.local", "Printer._ipp._tcp.local", "_ipp._tcp.local", "Other._http._tcp.local",
    "Kitchen Cam (2)._http._tcp.local", "kitchen-cam-2.local", "other.local", "local", "",
    "a" * 63 + ".local", "a" * 63 + "." + "b" * 63 + "." + "c" * 63 + ".local",
    "x" * 63 + "._http._tcp.local", "_http._tcp", "in-addr.arpa", "_tcp.local",
]
TYPES = [TYPE_A, TYPE_AAAA, TYPE_PTR, TYPE_SRV, TYPE_TXT, TYPE_NSEC, TYPE_ANY, 0, 2, 5, 13, 99, 65535]
SOURCES = [
    ("10.0.0.9", 5353), ("10.0.0.9", 5353, "eth0"), ("10.0.0.9", 5353, 2), ("10.0.0.5", 5353),
    ("10.0.0.5", 5353, "eth0"), ("fd77::9", 5353), ("fe80::9%eth0", 5353, "eth0"), ("fd77::5", 5353),
    ("10.0.0.9", 40000), ("fd77::9", 40001, "eth0"), ("10.0.0.9", 0), ("0.0.0.0", 5353),
    ("192.168.7.7", 5353), ("::1", 5353),
]

def _valid(n):
    try:
        names.to_wire(n)
        return True
    except ValueError:
        return False


name_st = st.one_of(st.sampled_from(OWN_NAMES), st.sampled_from(OWN_NAMES),
                    st.text(alphabet="abcXYZ09-_. \\", min_size=1, max_size=12).map(lambda s: s + ".local").filter(_valid))
ttl_st = st.sampled_from([0, 0, 1, 2, 120, 4500, 0x7FFFFFFF, 0xFFFFFFFF])
ipv4_st = st.one_of(st.sampled_from(["10.0.0.5", "10.0.0.9", "0.0.0.0", "255.255.255.255", "169.254.1.1"]),
                    st.ip_addresses(v=4).map(str))
ipv6_st = st.sampled_from(["fd77::5", "fd77::9", "fe80::5", "::", "::1", "ff02::fb", "fe80::1"])
txt_st = st.one_of(
    st.dictionaries(st.sampled_from(["fw", "board", "sig", "dev", "v", "url", "len", "sha", "path", "a", "A",
                                     "x" * 40, " ", "~", "\\"]),
                    st.one_of(st.none(), st.binary(max_size=80)), max_size=8),
    st.just({}), st.just({"": None}),
)


def _sane_txt(d):
    # wire.encode refuses "=" in keys, empty keys and keys given twice: drop those
    # (raw mutations of the corpus reach the decoder with them)
    out = {}
    for k, v in d.items():
        if k and "=" not in k and k.lower() not in [x.lower() for x in out]:
            out[k] = v
    return out


@st.composite
def record_st(draw):
    name = draw(name_st)
    t = draw(st.sampled_from([TYPE_A, TYPE_AAAA, TYPE_PTR, TYPE_SRV, TYPE_TXT, TYPE_NSEC, 13, 99, 65535]))
    if t == TYPE_A:
        data = draw(ipv4_st)
    elif t == TYPE_AAAA:
        data = draw(ipv6_st)
    elif t == TYPE_PTR:
        data = draw(name_st)
    elif t == TYPE_SRV:
        data = (draw(st.integers(0, 65535)), draw(st.integers(0, 65535)), draw(st.sampled_from([0, 1, 80, 65535])),
                draw(name_st))
    elif t == TYPE_TXT:
        data = _sane_txt(draw(txt_st))
    elif t == TYPE_NSEC:
        data = (draw(name_st), tuple(sorted(set(draw(st.lists(st.integers(1, 255), min_size=1, max_size=40))))))
    else:
        data = draw(st.binary(max_size=30))
    cls = draw(st.sampled_from([1, 1, 1, 1, 3, 255, 254]))
    try:
        return Record(name, t, data, draw(ttl_st), draw(st.booleans()), cls)
    except ValueError:
        return Record(HOST, TYPE_A, "10.0.0.9", 0)  # e.g. a TXT the encoder refuses


@st.composite
def question_st(draw):
    return Question(draw(name_st), draw(st.sampled_from(TYPES)), draw(st.booleans()),
                    draw(st.sampled_from([1, 1, 1, 255, 3])))


INSTANCES = ["dev1", "dev1 (2)", "Printer", "Other", "Kitchen Cam", "Kitchen Cam (2)", "x" * 63, "odd.name\\", " "]
SVC_TYPES = ["_http._tcp.local", "_ipp._tcp.local", "_mpfleet-offer._tcp.local", "_mpfleet._tcp.local",
             "_printer._sub._http._tcp.local"]
TARGETS = [HOST, "", "other.local", "printer.local", "a" * 63 + ".local", "dev1._mpfleet-offer._tcp.local", "local"]
OFFER_TXT = st.fixed_dictionaries({}, optional={
    "dev": st.sampled_from([b"dev1", b"dev1 (2)", b"", b"\xff\xfe", b"other"]),
    "board": st.sampled_from([b"B1", b"", b"B2"]),
    "v": st.sampled_from([b"0.2.0", b"0.1.0", b"", b"x.y", b"99999999999999999999.0.0", b"-1"]),
    "len": st.sampled_from([b"100", b"0", b"-5", b"", b"1e9", b"99999999999999999999"]),
    "sha": st.sampled_from([b"00" * 32, b"zz", b""]),
    "url": st.sampled_from([b"http://10.0.0.1:8080/B1/micropython.bin", b"", b"ftp://x", b"http://[::1", b"http://:/"]),
    "sig": st.sampled_from([b"00" * 32, b"", b"x", None]),
    "downgrade": st.sampled_from([b"1", b"", None]),
})


@st.composite
def announcement_st(draw):
    """A coherent DNS-SD announcement (PTR, SRV, TXT, addresses) for a browsed type,
    with odd content: a root or foreign SRV target, 63-byte labels, strange TXT."""
    inst = draw(st.sampled_from(INSTANCES))
    typ = draw(st.sampled_from(SVC_TYPES))
    base = typ.split("._sub.")[-1]
    name = names.instance(inst, base)
    target = draw(st.sampled_from(TARGETS))
    txt = draw(st.one_of(OFFER_TXT, txt_st.map(_sane_txt)))
    ttl = draw(st.sampled_from([0, 1, 120, 4500]))
    recs = [Record(typ, TYPE_PTR, name, ttl), Record(name, TYPE_SRV, (0, 0, draw(st.sampled_from([0, 80, 65535])), target), ttl, True),
            Record(name, TYPE_TXT, txt, ttl, True)]
    if target:
        recs.append(Record(target, TYPE_A, draw(ipv4_st), ttl, True))
        recs.append(Record(target, TYPE_AAAA, draw(ipv6_st), ttl, draw(st.booleans())))
    keep = draw(st.lists(st.booleans(), min_size=len(recs), max_size=len(recs)))
    recs = [r for r, k in zip(recs, keep) if k] or recs
    n = draw(st.integers(0, len(recs)))
    return Message(0, FLAG_QR | FLAG_AA, [], recs[:n], [], recs[n:])


@st.composite
def message_st(draw):
    kind = draw(st.sampled_from(["query", "response", "probe", "legacy", "many", "announce", "announce"]))
    if kind == "announce":
        return draw(announcement_st())
    nq = 100 if kind == "many" else draw(st.integers(0, 4))
    qs = [draw(question_st()) for _ in range(min(nq, 4))]
    if kind == "many":
        qs = (qs * 25)[:100] if qs else [Question(HOST, TYPE_ANY)] * 100
    recs = lambda n: st.lists(record_st(), max_size=n)
    resp = kind == "response" or draw(st.booleans()) and kind == "many"
    flags = (FLAG_QR | FLAG_AA) if resp else 0
    if draw(st.integers(0, 7)) == 0:
        flags |= FLAG_TC
    if draw(st.integers(0, 7)) == 0:
        flags |= draw(st.integers(0, 0xFFFF))  # opcode, rcode, odd bits
    msg_id = 0 if kind != "legacy" else draw(st.sampled_from([0, 1, 0xFFFF]))
    return Message(msg_id, flags, qs, draw(recs(6)), draw(recs(4 if kind == "probe" else 2)), draw(recs(4)))


def encode_or_none(msg):
    try:
        return wire.encode(msg, 9000)[0]
    except ValueError:
        return None


def read_corpus():
    out = []
    for f in sorted(os.listdir(CORPUS)):
        if f.endswith(".hex"):
            with open(os.path.join(CORPUS, f)) as fh:
                for line in fh:
                    line = line.strip()
                    if line and not line.startswith("#"):
                        out.append(bytes.fromhex(line))
    return out


CORPUS_PACKETS = read_corpus()


def mutate(pkt, rnd, n=None):
    """A simple deterministic mutator (the same one runs in MicroPython)."""
    b = bytearray(pkt)
    for _ in range(n or rnd.randint(1, 4)):
        op = rnd.randint(0, 5)
        if not b:
            break
        pos = rnd.randint(0, len(b) - 1)
        if op == 0:
            b[pos] ^= 1 << rnd.randint(0, 7)
        elif op == 1:
            b[pos] = (0, 0x3F, 0x40, 0x80, 0xC0, 0xFF, 12, 1)[rnd.randint(0, 7)]
        elif op == 2 and len(b) > 12:
            del b[pos:]
        elif op == 3:
            b[pos:pos] = bytes([rnd.randint(0, 255)])
        elif op == 4 and pos < 12:
            b[pos] = rnd.randint(0, 255)  # header counts, flags, id
        else:
            j = rnd.randint(0, len(b) - 1)
            b[pos] = b[j]
    return bytes(b)


def _tmpdir():
    return tempfile.mkdtemp(prefix="mdns-robust-")


class _AgentResponder:
    """What Agent wants of mdns.Responder, over a ResponderPart with the rig's clock."""

    def __init__(self, rig):
        self.rig = rig
        self.hostname = HOST

    claimed = True

    def add_service(self, s):
        self.rig.resp.add_service(s, self.rig.now)

    def update_service(self, s, txt=None, port=None):
        self.rig.resp.update_service(s, self.rig.now, txt=txt, port=port)


class Rig:
    def __init__(self, seed=0, agent=True):
        self.now = 1000
        rnd = random.Random(seed)
        self.eng = Engine(rand=lambda lo, hi: rnd.randint(lo, hi) if hi > lo else lo)
        self.resp = ResponderPart(self.eng, HOST, addrs=ADDRS)
        self.svc = Service("Kitchen Cam", "_http._tcp", 80, txt={"path": "/"}, subtypes=("printer",))
        self.resp.add_service(self.svc, self.now)
        self.resp.start(self.now)
        # first user of the querier sets the cache bounds (small: the fuzz reaches them)
        self.browser = BrowserPart(self.eng, "_http._tcp", max_records=CACHE_MAX_RECORDS, max_bytes=CACHE_MAX_BYTES)
        self.browser2 = BrowserPart(self.eng, "_ipp._tcp")
        self.cache = self.browser.cache
        self.q = self.browser.q
        assert self.cache.max_records == CACHE_MAX_RECORDS
        self.lookups = []
        self._renew()
        self.agent = None
        if agent:
            d = _tmpdir()
            flash = SimFlash(os.path.join(d, "flash"), slot_size=16 * 4096)
            flash.flash_image(make_image("B1", "0.1.0", 2000))
            self.agent = agentmod.Agent(
                _AgentResponder(self), name="dev1", board="B1", version="0.1.0", chip="sim", key=PUB,
                state_path=os.path.join(d, "fleet.json"), partition=flash.partition_class(),
                veto_path=os.path.join(d, "fleet.veto"), reset=lambda: None, log=lambda m: None,
                clock=lambda: self.now, mpy="1.29.0")
            self.agent.advertise(8266)
            offers = BrowserPart(self.eng, OFFER_TYPE)
            self.agent.follow(type("B", (), {"part": offers})())
        self.fed = 0
        self.sent = 0
        self.peak = {}
        self.tick(self.now)

    def _renew(self):
        keep = [l for l in self.lookups if not l.done]
        if len(keep) == len(self.lookups) and self.lookups:
            return
        for l in keep:
            l.cancel()
        self.lookups = [
            resolve.host_lookup(self.eng, "printer.local", 3000),
            resolve.host_lookup(self.eng, HOST, 2000),
            resolve.ServiceLookup(self.eng, "Printer", "_ipp._tcp", 3000),
            resolve.ServiceLookup(self.eng, "Other", "_http._tcp", 2500),
            resolve.types_lookup(self.eng, 2000),
            resolve.address_lookup(self.eng, "10.0.0.9", 2000),
        ]

    def tick(self, now):
        self.now = now
        self.eng.next_deadline()
        self.eng.tick(now)
        if self.agent is not None:
            self.agent.tick(now)
        self.drain()

    def drain(self):
        for data, dest in self.eng.take_output():
            self.sent += 1
            m = wire.decode(data)  # everything we send must decode
            assert len(data) <= 9000
            assert m.is_response or m.questions or m.answers or m.authorities
            assert dest is None or (isinstance(dest, tuple) and len(dest) >= 2)
        for ev in self.eng.take_events():
            assert isinstance(ev, Event)
            assert ev.kind != "error", ev

    def feed(self, data, src, dt=7):
        self.eng.feed(data, src, self.now)
        self.fed += 1
        self.drain()
        self.tick(self.now + dt)
        self._renew()
        self.check_bounds()

    def run_for(self, ms, step=97):
        end = self.now + ms
        while self.now < end:
            d = self.eng.next_deadline()
            t = self.now + step if d is None or d <= self.now or d > self.now + step else d
            self.tick(t)
            self._renew()
            self.check_bounds()

    def _peak(self, k, v):
        if v > self.peak.get(k, 0):
            self.peak[k] = v

    def check_bounds(self):
        c = self.cache
        n_own = sum(len(g.recs) for g in self.resp._groups())
        sizes = {
            "cache.records": len(c),
            "cache.bytes": c.bytes,
            "cache.wants": len(c._wants),
            "responder.pending": len(self.resp._pending),
            "responder.askers": len(self.resp._askers),
            "responder.tc": len(self.resp._tc),
            "responder.last_mc": len(self.resp._last_mc),
            "responder.defend": len(self.resp._defend),
            "responder.services": len(self.resp.services),
            "limiter": len(self.resp.limiter.times),
            "querier.qs": len(self.q._qs),
            "querier.urgent": len(self.q._urgent),
            "querier.echo": len(self.q._echo),
            "querier.clients": len(self.q._clients),
            "cache.listeners": len(c.listeners),
            "browser.inst": len(self.browser._inst) + len(self.browser2._inst),
            "browser.hosts": len(self.browser._hosts) + len(self.browser2._hosts),
            "engine.parts": len(self.eng.parts),
        }
        for k, v in sizes.items():
            self._peak(k, v)
        assert len(c) <= c.max_records
        assert c.bytes <= c.max_bytes
        # the responder's state is keyed by its own records (and a few queriers)
        assert sizes["responder.pending"] <= 2 * n_own
        assert sizes["responder.askers"] <= n_own
        assert sizes["responder.defend"] <= n_own
        assert sizes["responder.last_mc"] <= 2 * n_own + 8
        assert sizes["responder.tc"] <= TC_SOURCES
        assert sizes["responder.services"] == 1 + (self.agent is not None)
        assert sizes["limiter"] <= 16
        # the querier asks for what its clients want: bounded by the cache and clients
        assert sizes["querier.qs"] <= 3 * c.max_records + 16
        assert sizes["querier.urgent"] <= 3 * c.max_records + 16
        assert sizes["querier.echo"] <= 64 + 3 * c.max_records + 16
        assert sizes["querier.clients"] <= 3 + len(self.lookups)
        assert sizes["cache.listeners"] <= 3 + len(self.lookups)
        assert sizes["cache.wants"] <= 4 * c.max_records + 16
        assert sizes["browser.inst"] <= 2 * c.max_records
        assert sizes["browser.hosts"] <= 2 * c.max_records
        assert sizes["engine.parts"] <= 6
        if self.agent is not None:
            assert len(self.agent._inbox) <= 8 and len(self.agent._seen) <= 1


# ---- hypothesis: built messages biased to our names ----
# Deterministic in CI; MDNS_FUZZ_EXAMPLES=5000 make test-py runs a deeper, random search.
_DEEP = int(os.environ.get("MDNS_FUZZ_EXAMPLES", "0"))
RIG_SETTINGS = settings(max_examples=_DEEP or 150, deadline=None, derandomize=not _DEEP, database=None,
                        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                               HealthCheck.filter_too_much])


@RIG_SETTINGS
@given(st.lists(st.tuples(message_st(), st.sampled_from(SOURCES), st.sampled_from([0, 1, 5, 120, 1100, 20000])),
                min_size=1, max_size=12))
def test_built_messages_never_escape(batch):
    rig = Rig()
    for msg, src, dt in batch:
        data = encode_or_none(msg)
        if data is None:
            continue
        rig.feed(data, src, dt)
    rig.run_for(5000)


@RIG_SETTINGS
@given(st.lists(st.tuples(st.integers(0, len(CORPUS_PACKETS) - 1), st.integers(0, 2 ** 32),
                          st.sampled_from(SOURCES)), min_size=1, max_size=20))
def test_mutated_corpus_never_escapes(picks):
    rig = Rig()
    for i, seed, src in picks:
        rig.feed(mutate(CORPUS_PACKETS[i], random.Random(seed)), src, seed % 300)
    rig.run_for(3000)


# ---- long runs: thousands of packets into one rig, bounds hold ----
def _flood(rig, n, seed):
    rnd = random.Random(seed)
    for i in range(n):
        r = rnd.random()
        if r < 0.5:
            pkt = mutate(CORPUS_PACKETS[rnd.randrange(len(CORPUS_PACKETS))], rnd)
        elif r < 0.75:
            pkt = CORPUS_PACKETS[rnd.randrange(len(CORPUS_PACKETS))]
        else:
            pkt = encode_or_none(_random_message(rnd, rig.agent.offer_instance()))
            if pkt is None:
                continue
        rig.feed(pkt, SOURCES[rnd.randrange(len(SOURCES))], rnd.choice((0, 1, 3, 50, 400, 1500)))


def _random_name(rnd):
    if rnd.random() < 0.8:
        return rnd.choice(OWN_NAMES)
    return "n%d-%d.local" % (rnd.randrange(100000), rnd.randrange(100000))


def _random_record(rnd):
    name = _random_name(rnd)
    t = rnd.choice((TYPE_A, TYPE_AAAA, TYPE_PTR, TYPE_SRV, TYPE_TXT, TYPE_NSEC, 99))
    if t == TYPE_A:
        data = "10.%d.%d.%d" % (rnd.randrange(256), rnd.randrange(256), rnd.randrange(256))
    elif t == TYPE_AAAA:
        data = "fd77::%x" % rnd.randrange(65536)
    elif t == TYPE_PTR:
        data = _random_name(rnd)
        if rnd.random() < 0.5 and name.startswith("_"):
            data = "i%d.%s" % (rnd.randrange(100000), name)  # a new instance of that type
    elif t == TYPE_SRV:
        data = (rnd.randrange(3), rnd.randrange(3), rnd.randrange(65536), _random_name(rnd))
    elif t == TYPE_TXT:
        data = {"k%d" % rnd.randrange(50): b"v" * rnd.randrange(100) for _ in range(rnd.randrange(4))}
    elif t == TYPE_NSEC:
        data = (name, tuple(sorted(set(rnd.randrange(1, 256) for _ in range(rnd.randrange(1, 30))))))
    else:
        data = bytes(rnd.randrange(256) for _ in range(rnd.randrange(20)))
    return Record(name, t, data, rnd.choice((0, 1, 120, 4500)), rnd.random() < 0.5, rnd.choice((1, 1, 1, 255)))


def _random_announcement(rnd, own=None):
    inst = rnd.choice(INSTANCES) if rnd.random() < 0.7 else "i%d" % rnd.randrange(1000)
    typ = rnd.choice(SVC_TYPES)
    if own and rnd.random() < 0.3:
        inst, typ = own, "_mpfleet-offer._tcp.local"  # an offer for us (after any rename)
    name = names.instance(inst, typ.split("._sub.")[-1])
    target = rnd.choice(TARGETS) if rnd.random() < 0.7 else "h%d.local" % rnd.randrange(1000)
    ttl = rnd.choice((0, 1, 120, 4500))
    if rnd.random() < 0.5:
        txt = {"dev": rnd.choice((b"dev1", b"dev1 (2)", b"x", inst.encode())), "board": b"B1", "v": rnd.choice((b"0.2.0", b"x")),
               "len": rnd.choice((b"100", b"-1", b"")), "sha": b"00" * 32, "url": b"http://10.0.0.1/x.bin",
               "sig": b"%032x" % rnd.randrange(2 ** 64)}
    else:
        txt = {"k%d" % rnd.randrange(50): b"v" * rnd.randrange(100) for _ in range(rnd.randrange(4))}
    recs = [Record(typ, TYPE_PTR, name, ttl), Record(name, TYPE_SRV, (0, 0, rnd.randrange(65536), target), ttl, True),
            Record(name, TYPE_TXT, txt, ttl, True)]
    if target:
        recs.append(Record(target, TYPE_A, "10.0.%d.%d" % (rnd.randrange(256), rnd.randrange(256)), ttl, True))
    recs = [r for r in recs if rnd.random() < 0.85]
    return Message(0, FLAG_QR | FLAG_AA, [], recs, [], [])


def _random_message(rnd, own=None):
    if rnd.random() < 0.4:
        return _random_announcement(rnd, own)
    resp = rnd.random() < 0.6
    qs = [Question(_random_name(rnd), rnd.choice(TYPES), rnd.random() < 0.3) for _ in range(rnd.randrange(4))]
    recs = lambda n: [_random_record(rnd) for _ in range(rnd.randrange(n))]
    return Message(rnd.choice((0, 0, 1, 777)), (FLAG_QR | FLAG_AA) if resp else 0, qs, recs(8), recs(3), recs(4))


@pytest.mark.parametrize("seed", [11] + list(range(100, 100 + _DEEP // 500)))
def test_flood_thousands_of_packets_bounds_hold(seed):
    rig = Rig(seed=7)
    _flood(rig, 3000, seed=seed)
    rig.run_for(30000, step=997)
    assert rig.fed >= 2500 and rig.sent > 0
    # after a quiet period the cache only holds what is still alive
    assert len(rig.cache) <= CACHE_MAX_RECORDS and rig.cache.bytes <= CACHE_MAX_BYTES
    print("robustness flood: fed %d, sent %d, peaks %r" % (rig.fed, rig.sent, rig.peak))


# ---- sync.Driver: a raising part is reported and the loop goes on ----
class _FakeSockets:
    def __init__(self, packets):
        self.packets = list(packets)
        self.sent = []

    def sockets(self):
        return [self]

    def recv(self, sock, buf):
        if not self.packets:
            return 0, None
        data, src = self.packets.pop(0)
        buf[: len(data)] = data
        return len(data), src

    def send(self, data, dest):
        self.sent.append((data, dest))

    def is_own(self, src):
        return False

    def on_link(self, src):
        return True


class _Raising:
    def __init__(self):
        self.queries = 0
        self.ticks = 0

    def names(self):
        return None

    def on_query(self, msg, src, now):
        self.queries += 1
        raise RuntimeError("part bug %d" % self.queries)

    def tick(self, now):
        self.ticks += 1
        if self.ticks == 1:
            raise KeyError("tick bug")


def test_driver_reports_a_raising_part_and_keeps_running():
    q = wire.encode(Message(0, 0, [Question(HOST, TYPE_A)]))[0]
    net = _FakeSockets([(q, ("10.0.0.9", 5353)), (q, ("10.0.0.9", 5353))])
    eng = Engine(rand=lambda lo, hi: lo)
    bad = eng.attach(_Raising())
    resp = ResponderPart(eng, HOST, addrs=("10.0.0.5",))
    errors = []
    t = [0]
    d = sync.Driver(eng, net, clock=lambda: t[0], on_error=errors.append)
    d.process()
    assert bad.queries == 2 and d.errors == 3  # both packets and the first tick reported
    assert [type(e) for e in errors] == [RuntimeError, RuntimeError, KeyError]
    # the loop still runs: the responder starts, probes and announces
    resp.start(0)
    for t[0] in range(0, 5000, 50):
        d.tick()
    assert resp.host.state >= 3  # claimed (ANNOUNCE or DONE)
    assert any(wire.decode(p).is_response for p, dest in net.sent)
    assert d.errors == 3


def test_driver_on_error_that_raises_is_printed_not_fatal(capsys):
    q = wire.encode(Message(0, 0, [Question(HOST, TYPE_A)]))[0]
    net = _FakeSockets([(q, ("10.0.0.9", 5353))])
    eng = Engine(rand=lambda lo, hi: lo)
    eng.attach(_Raising())

    def on_error(e):
        raise ValueError("handler bug")

    d = sync.Driver(eng, net, clock=lambda: 0, on_error=on_error)
    d.process()
    assert d.errors == 2
    assert "handler bug" in capsys.readouterr().err


# ---- regressions found by the fuzz above ----
def _announce(rig, *recs):
    rig.feed(wire.encode(Message(0, FLAG_QR | FLAG_AA, [], list(recs)))[0], ("10.0.0.9", 5353), 0)


def test_browse_ptr_to_the_root_is_ignored():
    # _http._tcp.local PTR "" (the root): no instance label; the browser's tick
    # raised IndexError building the event fields (every later tick too)
    rig = Rig(agent=False)
    _announce(rig, Record("_http._tcp.local", TYPE_PTR, "", 120),
              Record("Other._http._tcp.local", TYPE_PTR, "", 120))
    rig.run_for(3000)
    _announce(rig, Record("_http._tcp.local", TYPE_PTR, "Cam._http._tcp.local", 120),
              Record("Cam._http._tcp.local", TYPE_SRV, (0, 0, 80, "cam.local"), 120, True),
              Record("Cam._http._tcp.local", TYPE_TXT, {}, 4500, True),
              Record("cam.local", TYPE_A, "10.0.0.7", 120, True))
    rig.run_for(1000)
    assert [i["instance"] for i in rig.browser.instances()] == ["Cam"]


def _tc_query(qname, known, qtype=TYPE_PTR):
    return wire.encode(Message(0, FLAG_TC, [Question(qname, qtype)], known), 9000)[0]


def _tc_size(resp):
    return sum(len(e[0]) + len(e[1]) for e in resp._tc.values())


def test_truncated_queries_without_end_stay_bounded():
    # s7.2: after a TC query we wait 400-500 ms for more known answers; a querier
    # that keeps sending truncated packets (each with new known answers) made the
    # waiting list grow without end (questions and answers appended per packet)
    rig = Rig(agent=False)
    rig.run_for(3000)  # announced
    src = ("10.0.0.9", 5353)
    peak = 0
    for i in range(600):  # one every 100 ms for a minute
        known = [Record("n%d-%d._http._tcp.local" % (i, j), TYPE_PTR, "x%d.local" % j, 4500) for j in range(20)]
        known.append(Record(HOST, TYPE_A, "10.1.%d.%d" % (i // 256, i % 256), 120, True))
        rig.eng.feed(_tc_query("n%d.local" % i, known), src, rig.now)
        rig.tick(rig.now + 100)
        peak = max(peak, _tc_size(rig.resp))
    assert peak <= TC_KEEP, peak


def test_truncated_queries_from_many_sources_stay_bounded():
    rig = Rig(agent=False)
    rig.run_for(3000)
    peak = 0
    for i in range(2000):  # 2000 queriers within the 400 ms wait
        src = ("10.%d.%d.%d" % (i >> 16 & 255, i >> 8 & 255, i & 255), 5353)
        rig.eng.feed(_tc_query("_http._tcp.local", [Record("a._http._tcp.local", TYPE_PTR, "b.local", 4500)]),
                     src, rig.now)
        peak = max(peak, len(rig.resp._tc))
    rig.drain()
    assert peak <= TC_SOURCES, peak
    rig.tick(rig.now + 600)
    assert not rig.resp._tc


def test_truncated_query_known_answers_still_suppress():
    # the fix must keep s7.2 + s7.1: a known answer in the second packet suppresses ours
    rig = Rig(agent=False)
    rig.run_for(3000)
    src = ("10.0.0.9", 5353)
    mine = Record("_http._tcp.local", TYPE_PTR, "Kitchen Cam._http._tcp.local", 4500)
    rig.eng.feed(_tc_query("_http._tcp.local", [Record("o%d._http._tcp.local" % j, TYPE_PTR, "Other._http._tcp.local", 4500) for j in range(3)]), src, rig.now)
    rig.eng.feed(wire.encode(Message(0, 0, [], [mine]))[0], src, rig.now + 10)
    out = []
    for t in range(rig.now + 20, rig.now + 1500, 20):
        rig.eng.tick(t)
        out.extend(wire.decode(d) for d, dest in rig.eng.take_output())
    rig.now = t
    assert not any(r.type == TYPE_PTR and r.name == "_http._tcp.local" for m in out for r in m.answers), out
    # without the known answer, the same exchange is answered
    rig.eng.feed(_tc_query("_http._tcp.local", []), ("10.0.0.8", 5353), rig.now)
    rig.eng.feed(wire.encode(Message(0, 0, [], [Record("z._http._tcp.local", TYPE_PTR, "q.local", 4500)]))[0],
                 ("10.0.0.8", 5353), rig.now + 10)
    out = []
    for t in range(rig.now + 20, rig.now + 1500, 20):
        rig.eng.tick(t)
        out.extend(wire.decode(d) for d, dest in rig.eng.take_output())
    assert any(r.type == TYPE_PTR and r.name == "_http._tcp.local" for m in out for r in m.answers), out


def test_many_queriers_waiting_for_a_delayed_answer_stay_bounded():
    # s7.1: the responder notes who waits for a delayed shared answer (a known answer
    # from each cancels it); a burst of queriers from many addresses grew that set
    # per source. Past ASKERS_MAX it stops tracking and the answer is never cancelled.
    rig = Rig(agent=False)
    rig.run_for(3000)
    q = wire.encode(Message(0, 0, [Question("_http._tcp.local", TYPE_PTR)]))[0]
    mine = Record("_http._tcp.local", TYPE_PTR, "Kitchen Cam._http._tcp.local", 4500)
    kq = wire.encode(Message(0, 0, [Question("_http._tcp.local", TYPE_PTR)], [mine]))[0]
    for i in range(1000):
        rig.eng.feed(q, ("10.1.%d.%d" % (i >> 8, i & 255), 5353), rig.now)
    assert max(len(v) for v in rig.resp._askers.values()) <= ASKERS_MAX + 1
    # the first queriers all hold it now: the others still wait, so it goes out
    for i in range(ASKERS_MAX):
        rig.eng.feed(kq, ("10.1.0.%d" % i, 5353), rig.now)
    out = []
    for t in range(rig.now, rig.now + 200, 5):
        rig.eng.tick(t)
        out.extend(wire.decode(d) for d, dest in rig.eng.take_output())
    assert any(r.name == "_http._tcp.local" and r.type == TYPE_PTR for m in out for r in m.answers)
    assert not rig.resp._askers


def test_few_queriers_holding_the_answer_still_cancel_it():
    rig = Rig(agent=False)
    rig.run_for(3000)
    q = wire.encode(Message(0, 0, [Question("_http._tcp.local", TYPE_PTR)]))[0]
    mine = Record("_http._tcp.local", TYPE_PTR, "Kitchen Cam._http._tcp.local", 4500)
    kq = wire.encode(Message(0, 0, [Question("_http._tcp.local", TYPE_PTR)], [mine]))[0]
    srcs = [("10.1.0.%d" % i, 5353) for i in range(ASKERS_MAX)]
    for s in srcs:
        rig.eng.feed(q, s, rig.now)
    for s in srcs:
        rig.eng.feed(kq, s, rig.now)
    out = []
    for t in range(rig.now, rig.now + 200, 5):
        rig.eng.tick(t)
        out.extend(wire.decode(d) for d, dest in rig.eng.take_output())
    assert not any(r.name == "_http._tcp.local" and r.type == TYPE_PTR for m in out for r in m.answers)


def test_a_raising_part_does_not_starve_the_parts_after_it():
    from mdns.engine import Engine
    from mdns import wire as _w

    class Bad:
        def names(self):
            return None

        def on_query(self, msg, src, now):
            raise KeyError("boom")

        def tick(self, now):
            raise RuntimeError("tick boom")

    class Good:
        def __init__(self):
            self.seen = self.ticks = 0

        def names(self):
            return None

        def on_query(self, msg, src, now):
            self.seen += 1

        def tick(self, now):
            self.ticks += 1

    eng = Engine()
    eng.attach(Bad())
    good = eng.attach(Good())
    q = _w.encode(_w.Message(questions=[_w.Question("x.local", _w.TYPE_A)]))[0]
    eng.feed(q, ("10.0.0.2", 5353), 0)
    eng.tick(1)
    assert (good.seen, good.ticks) == (1, 1)
    errs = [e for e in eng.take_events() if e.kind == "error"]
    assert [type(e.error) for e in errs] == [KeyError, RuntimeError]


@pytest.mark.parametrize("seed", range(40))
def test_pure_python_precheck_never_drops_a_packet_naming_us(seed):
    # The pure-Python drop test looks for one label per name of ours before the full
    # match: whatever the case and compression, a datagram that names us must still
    # reach the parts, and the pre-check decides exactly as match() on valid datagrams.
    from mdns import fastpy

    rng = random.Random(seed)
    old = wire.use(fastpy)
    try:
        eng = Engine(rand=lambda lo, hi: lo)
        part = ResponderPart(eng, "kitchen-cam", ("10.0.0.5", "fd77::5"))
        part.add_service(Service("Kitchen Cam", "_http._tcp", 80), 0)
        ours = [r.name for g in part._groups() for r in g.recs]
        others = ["kitchen-ca.local", "itchen-cam.local", "printer.local", "_ipp._tcp.local",
                  "5.0.0.11.in-addr.arpa", "Kitchen Cam 2._http._tcp.local"]

        def mixcase(n):
            return "".join(c.upper() if rng.random() < 0.5 else c for c in n)

        for _ in range(60):
            qs = [wire.Question(mixcase(rng.choice(others)), wire.TYPE_A) for _ in range(rng.randint(0, 2))]
            an = [wire.Record(mixcase(rng.choice(others)), wire.TYPE_PTR, mixcase(rng.choice(ours + others)))
                  for _ in range(rng.randint(0, 2))]
            named = rng.random() < 0.5
            if named:
                n = mixcase(rng.choice(ours))
                if rng.random() < 0.5:
                    qs.append(wire.Question(n, wire.TYPE_ANY))
                else:
                    an.append(wire.Record(n, wire.TYPE_TXT, {"k": b"v"}))
            rng.shuffle(qs)
            rng.shuffle(an)
            if not qs and not an:
                continue
            pkt = wire.encode(wire.Message(flags=wire.FLAG_QR if not qs else 0, questions=qs, answers=an))[0]
            want = wire.match(pkt, eng._table) != 0
            assert eng.wants(bytes(pkt)) == want, "seed %d: %r" % (seed, pkt)
            if named:
                assert want, "seed %d" % seed
    finally:
        wire.use(old)
