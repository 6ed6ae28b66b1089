"""Decode cost stays linear in the packet (issue 15): every pathological shape of up to
2,048 bytes (tests/py/decode_shapes.py) costs at most 3x, per byte, what a typical
announcement of the same size costs, with either backend. Cost = Python bytecodes run
(deterministic; the C backend's work is one call); times go to BENCHMARKS.md
(tools/bench/bench_shapes.py). Names in every rdata that may hold them are decoded."""
import struct
import sys
import time

import pytest

import decode_shapes as S
from test_backend_parity import _load_c
from mdns import fastpy, txt, wire
from mdns.wire import Message, Record


@pytest.fixture(params=["fastpy", "mdnsfast"])
def backend(request):
    mod = fastpy if request.param == "fastpy" else _load_c()
    old = wire.use(mod)
    yield mod
    wire.use(old)


def opcodes(fn, *args):
    """Bytecodes executed by fn(*args) (sys.settrace with opcode events)."""
    n = [0]

    def local(frame, event, arg):
        if event == "opcode":
            n[0] += 1
        return local

    def glob(frame, event, arg):
        frame.f_trace_opcodes = True
        return local

    sys.settrace(glob)
    try:
        fn(*args)
    finally:
        sys.settrace(None)
    return n[0]


@pytest.mark.parametrize("size", [512, 1472, 2048])
@pytest.mark.parametrize("shape", sorted(S.SHAPES))
def test_no_shape_costs_more_than_3x_a_typical_announcement(backend, shape, size):
    typ = S.typical_announcement(size)
    pkt = S.SHAPES[shape](size)
    assert len(pkt) <= size and len(typ) > size * 0.8
    wire.decode(pkt)  # well-formed
    per_byte = opcodes(wire.decode, pkt) / len(pkt)
    base = opcodes(wire.decode, typ) / len(typ)
    assert per_byte <= 3 * base, "%s, %d B: %.1f bytecodes per byte, typical %.1f" % (shape, len(pkt), per_byte, base)


def _best(fn, arg, reps=7):
    best = None
    for _ in range(reps):
        t0 = time.process_time()
        fn(arg)
        t = time.process_time() - t0
        best = t if best is None or t < best else best
    return best


def _txt_keys(n):
    out = bytearray()
    for i in range(n):
        k = b"%x" % i
        out.append(len(k))
        out += k
    return bytes(out)


def test_txt_duplicate_check_is_linear_in_keys():
    # a list scan was quadratic (0.8 s at 65,535 B); 16x the keys must cost ~16x, not 256x
    # (a generous bound: the machine may be loaded)
    small, big = _txt_keys(1000), _txt_keys(16000)
    assert len(txt.decode(big)) == 16000
    ratio = _best(txt.decode, big) / _best(txt.decode, small)
    assert ratio < 80, "16x the keys took %.0fx the time" % ratio


def _pkt(*rrs, qd=b""):
    an = b"".join(rrs)
    return struct.pack(">HHHHHH", 0, 0x8400, 1 if qd else 0, len(rrs), 0, 0) + qd + an


def _rr(owner, t, rdata):
    return owner + struct.pack(">HHIH", t, 1, 120, len(rdata)) + rdata


HOST = b"\x04host\x05local\x00"  # at 12 when it is the first name


def test_names_in_rdata_are_decompressed(backend):
    q = HOST + b"\x00\x01\x00\x01"
    pkt = _pkt(_rr(b"\xc0\x0c", 5, b"\x03www\xc0\x0c"),  # CNAME www.host.local
               _rr(b"\xc0\x0c", 2, b"\xc0\x0c"),  # NS
               _rr(b"\xc0\x0c", 15, b"\x00\x0a\x02mx\xc0\x0c"),  # MX 10 mx.host.local
               _rr(b"\xc0\x0c", 6, b"\xc0\x0c\x01h\xc0\x0c" + struct.pack(">IIIII", 7, 3600, 600, 86400, 60)),
               _rr(b"\xc0\x0c", 99, b"\xc0\x0c"),  # unknown: raw bytes
               qd=q)
    m = wire.decode(pkt)
    got = [(r.type, r.data) for r in m.answers]
    assert got == [(5, "www.host.local"), (2, "host.local"), (15, (10, "mx.host.local")),
                   (6, ("host.local", "h.host.local", 7, 3600, 600, 86400, 60)), (99, b"\xc0\x0c")]
    # rdata holds no pointer any more: equal to a record built from the names
    assert m.answers[0] == Record("host.local", 5, "www.host.local")
    assert m.answers[0].rdata() == b"\x03www\x04host\x05local\x00"
    assert m.answers[2] == Record("host.local", 15, (10, "mx.host.local"))
    # and they survive encode/decode
    again = wire.decode(wire.encode(Message(0, 0x8400, answers=m.answers[:4]))[0])
    assert [(r.type, r.data) for r in again.answers] == got[:4]


@pytest.mark.parametrize("rdata,why", [
    (b"\x03www\xc0\x40", "bad pointer"),  # points forward
    (b"\x03www", "truncated"),  # runs into the next record's bytes and past the end
    (b"\xc0\x0c\x00", "CNAME record 'host.local': name does not fill rdata"),
])
def test_malformed_cname_rdata_is_rejected(backend, rdata, why):
    pkt = _pkt(_rr(b"\xc0\x0c", 5, rdata), qd=HOST + b"\x00\x01\x00\x01")
    with pytest.raises(ValueError) as e:
        wire.decode(pkt)
    assert str(e.value) == why


def test_mx_and_soa_fields_are_checked(backend):
    with pytest.raises(ValueError, match="MX record 'host.local': rdata ends inside its fields"):
        wire.decode(_pkt(_rr(b"\xc0\x0c", 15, b"\x00"), qd=HOST + b"\x00\x01\x00\x01"))
    with pytest.raises(ValueError, match="SOA record 'host.local': 1 bytes after its fields"):
        wire.decode(_pkt(_rr(b"\xc0\x0c", 6, b"\xc0\x0c\xc0\x0c" + bytes(21)), qd=HOST + b"\x00\x01\x00\x01"))
    with pytest.raises(ValueError, match="MX: 70000 out of range"):
        Record("host.local", 15, (70000, "mx.local"))
    with pytest.raises(ValueError, match="CNAME"):
        Record("host.local", 5, b"\x03www\x00")


def test_nsec_bitmap_is_canonical_and_listed_on_demand(backend):
    # window 1 with a trailing zero byte, window 2 all zero: canonical drops both
    bm = b"\x00\x01\x40" + b"\x01\x02\x80\x00" + b"\x02\x01\x00"
    m = wire.decode(_pkt(_rr(b"\xc0\x0c", 47, b"\xc0\x0c" + bm), qd=HOST + b"\x00\xff\x00\x01"))
    r = m.answers[0]
    assert r.rdata() == HOST + b"\x00\x01\x40\x01\x01\x80"
    assert r.data == ("host.local", (1, 256))
    assert r == Record("host.local", 47, ("host.local", (1, 256)))
