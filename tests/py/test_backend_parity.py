"""Backend parity: mdns.fastpy and the mdnsfast C core (host build) give identical results
and identical errors (type and message) for every fast_*.txt vector, every wire_*.json
vector, and random or mutated inputs.

The C extension is built by `make test-py` into $MDNS_HOST_FAST. With MDNS_HOST_FAST set a
failure to import it fails these tests; without it (a bare developer run of pytest) the C
half is skipped with the reason, the fastpy half still runs."""
import importlib.machinery
import importlib.util
import os
import random
import sys
from array import array

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from mdns import fastpy, names, wire

TOP = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
VDIR = os.path.join(TOP, "tests", "vectors")
sys.path.insert(0, VDIR)
import loader  # noqa: E402  tests/vectors/loader.py (the C core's vector format)

from test_wire import case  # noqa: E402  the MicroPython case module (plain forms, vector loading)
from test_wire_props import messages  # noqa: E402


def _load_c():
    d = os.environ.get("MDNS_HOST_FAST")
    if not d:
        pytest.skip("MDNS_HOST_FAST is not set (bare pytest run): `make test-py` builds the C core and sets it")
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        path = os.path.join(d, "mdnsfast" + suffix)
        if os.path.exists(path):
            break
    else:
        pytest.fail("MDNS_HOST_FAST=%s has no mdnsfast extension (%s)" % (d, ", ".join(importlib.machinery.EXTENSION_SUFFIXES)))
    spec = importlib.util.spec_from_file_location("mdnsfast", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # an import error here fails the test
    return mod


@pytest.fixture(scope="module")
def cfast():
    return _load_c()


FAST_VECTORS = loader.load_fast_vectors()


def test_fast_vectors_exist():
    assert len(FAST_VECTORS) > 100
    assert {v["op"] for v in FAST_VECTORS} == {"read_name", "name_eq", "walk", "match", "write_name"}


@pytest.mark.parametrize("v", FAST_VECTORS, ids=[v["id"] for v in FAST_VECTORS])
def test_fast_vector_fastpy(v):
    assert loader.run_fast_vector(fastpy, v) is None, loader.run_fast_vector(fastpy, v)


@pytest.mark.parametrize("v", FAST_VECTORS, ids=[v["id"] for v in FAST_VECTORS])
def test_fast_vector_c(cfast, v):
    r = loader.run_fast_vector(cfast, v)
    assert r is None, r


def outcome(fn, *args):
    try:
        return ("ok", fn(*args))
    except Exception as e:  # noqa: the type is part of what must match
        return ("error", type(e).__name__, str(e))


def decode_plain(buf):
    return case.msg_to_plain(wire.decode(buf))


def both(cfast, fn, *args):
    old = wire.use(cfast)
    try:
        a = outcome(fn, *args)
    finally:
        wire.use(fastpy)
    b = outcome(fn, *args)
    wire.use(old)
    return a, b




def _decode_packets():
    c = case
    c.VECTORS_DIR = VDIR
    out = [(x["id"], bytes.fromhex(x["hex"])) for x in c.load("wire_decode.json")]
    for x in c.load("wire_encode.json"):
        for i, p in enumerate(x.get("packets", [])):
            out.append(("enc_%s_%d" % (x["id"], i), bytes.fromhex(p)))
    corpus = os.path.join(TOP, "tests", "corpus")
    if os.path.isdir(corpus):
        for f in sorted(os.listdir(corpus)):
            if f.endswith(".hex"):
                with open(os.path.join(corpus, f)) as fh:
                    for n, line in enumerate(fh):
                        line = line.split("#", 1)[0].strip()
                        if line:
                            out.append(("corpus_%s_%d" % (f, n), bytes.fromhex(line.replace(" ", ""))))
    return out


PACKETS = _decode_packets()


@pytest.mark.parametrize("pkt", [p for _, p in PACKETS], ids=[i for i, _ in PACKETS])
def test_decode_parity(cfast, pkt):
    a, b = both(cfast, decode_plain, pkt)
    assert a == b
    if a[0] == "error":
        assert a[1] == "ValueError"


def test_decode_parity_mutations(cfast):
    # every prefix and single-byte change of every vector packet
    rnd = random.Random(5353)
    n = 0
    for _, pkt in PACKETS[:60]:
        for i in range(len(pkt)):
            for v in (pkt[:i], pkt[:i] + bytes([rnd.choice((0, 0x3F, 0x40, 0xC0, 0xC0 | (i & 0x3F), 0xFF))]) + pkt[i + 1 :]):
                a, b = both(cfast, decode_plain, v)
                assert a == b, (v.hex(), a, b)
                assert a[0] == "ok" or a[1] == "ValueError", (v.hex(), a)
                n += 1
    assert n > 5000


def test_encode_parity(cfast):
    for c in case.load("wire_encode.json"):
        msg = case.plain_to_msg(c["message"])
        a, b = both(cfast, wire.encode, msg, c["max_size"])
        assert a == b, c["id"]


SET = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SET
@given(messages(max_records=20), st.integers(100, 1460))
def test_encode_parity_random(cfast, msg, max_size):
    a, b = both(cfast, wire.encode, msg, max_size)
    assert a == b


@SET
@given(st.binary(min_size=12, max_size=200), st.integers(0, 220), st.binary(max_size=60))
def test_functions_parity_random(cfast, buf, off, name):
    # same result or same error for arbitrary bytes, offsets and given names
    assert outcome(cfast.read_name, buf, off) == outcome(fastpy.read_name, buf, off)
    assert outcome(cfast.name_eq, buf, off, name) == outcome(fastpy.name_eq, buf, off, name)
    for cap in (0, 3, 64):
        oa, ob = array("H", [0] * cap), array("H", [0] * cap)
        assert outcome(cfast.walk, buf, oa) == outcome(fastpy.walk, buf, ob)
    assert outcome(cfast.match, buf, name) == outcome(fastpy.match, buf, name)


@SET
@given(st.binary(max_size=120), st.integers(0, 130), st.binary(max_size=40), st.lists(st.integers(0, 130), max_size=4), st.integers(0, 5), st.integers(0, 160))
def test_write_name_parity_random(cfast, buf, pos, name, starts, n, size):
    ba, bb = bytearray(size), bytearray(size)
    ba[: len(buf)] = buf[:size]
    bb[: len(buf)] = buf[:size]
    sa = array("H", starts)
    ra = outcome(cfast.write_name, ba, pos, name, sa, n)
    rb = outcome(fastpy.write_name, bb, pos, name, array("H", starts), n)
    assert ra == rb
    assert ba == bb


@SET
@given(messages(max_records=10), st.lists(st.sampled_from(["kitchen.local", "_http._tcp.local", "x.local", "A.LOCAL"]), max_size=5))
def test_functions_parity_on_valid_packets(cfast, msg, extra):
    # well-formed packets (compressed), tables from their own names plus others
    pkt = wire.encode(msg, 9000)[0]
    owners = [q.name for q in msg.questions] + [r.name for r in msg.records()]
    table = b"".join(names.to_wire(n) for n in (owners + extra)[:32])
    oa, ob = array("H", [0] * 64), array("H", [0] * 64)
    ra, rb = outcome(cfast.walk, pkt, oa), outcome(fastpy.walk, pkt, ob)
    assert ra == rb and oa == ob
    assert outcome(cfast.match, pkt, table) == outcome(fastpy.match, pkt, table)
    if owners:
        assert outcome(cfast.match, pkt, table) != ("ok", 0)
    for off in list(oa[: ra[1]]) if ra[0] == "ok" else []:
        assert outcome(cfast.read_name, pkt, off) == outcome(fastpy.read_name, pkt, off)
        for n in owners[:3] + extra:
            w = names.to_wire(n)
            assert outcome(cfast.name_eq, pkt, off, w) == outcome(fastpy.name_eq, pkt, off, w)
