import struct

import pytest

from mdns import fastpy, names, wire
from mdns.wire import (
    CLASS_IN, FLAG_AA, FLAG_QR, FLAG_TC, TYPE_A, TYPE_AAAA, TYPE_ANY, TYPE_NSEC, TYPE_PTR, TYPE_SRV, TYPE_TXT,
    Message, Question, Record, Writer, decode, encode,
)

INST = "Kitchen Cam._http._tcp.local"


def announcement():
    return Message(
        0,
        FLAG_QR | FLAG_AA,
        answers=[
            Record("_http._tcp.local", TYPE_PTR, INST, 4500),
            Record(INST, TYPE_SRV, (0, 0, 80, "kitchen.local"), 120, True),
            Record(INST, TYPE_TXT, {"path": b"/", "ro": None, "e": b""}, 4500, True),
            Record("kitchen.local", TYPE_A, "10.0.0.5", 120, True),
            Record("kitchen.local", TYPE_AAAA, "fd77::5", 120, True),
        ],
        additionals=[Record("kitchen.local", TYPE_NSEC, ("kitchen.local", (TYPE_A, TYPE_AAAA)), 120, True)],
    )


def hdr(id=0, flags=0, qd=0, an=0, ns=0, ar=0):
    return struct.pack(">HHHHHH", id, flags, qd, an, ns, ar)


def test_roundtrip_announcement():
    m = announcement()
    (pkt,) = encode(m)
    d = decode(pkt)
    assert d.is_response and not d.truncated
    assert d.answers == m.answers
    assert d.additionals == m.additionals
    for a, b in zip(d.answers + d.additionals, m.answers + m.additionals):
        assert (a.name, a.type, a.cls, a.cache_flush, a.ttl, a.data) == (b.name, b.type, b.cls, b.cache_flush, b.ttl, b.data)


def test_compression_used():
    (pkt,) = encode(announcement())
    # "local" written once literally, everything else points at it
    assert pkt.count(b"\x05local") == 1
    assert pkt.count(b"\x0bKitchen Cam") == 1
    assert pkt.count(b"\x07kitchen") == 1


def test_write_name_rule_case_preserved():
    # compression matches byte for byte: a differently-cased suffix is written again
    w = Writer(flags=FLAG_QR)
    w.add_answer(Record("a.local", TYPE_A, "1.2.3.4"))
    w.add_answer(Record("b.LOCAL", TYPE_A, "1.2.3.4"))
    pkt = w.packet()
    assert pkt.count(b"\x05local") == 1 and pkt.count(b"\x05LOCAL") == 1
    assert [r.name for r in decode(pkt).answers] == ["a.local", "b.LOCAL"]


def test_question_qu_bit_and_any():
    m = Message(7, 0, questions=[Question("kitchen.local", TYPE_ANY, unicast=True), Question("x.local", TYPE_A)])
    (pkt,) = encode(m)
    assert pkt[:4] == b"\x00\x07\x00\x00"
    assert pkt[12 + 15 : 12 + 19] == b"\x00\xff\x80\x01"
    d = decode(pkt)
    assert d.id == 7 and not d.is_response
    assert d.questions[0].unicast and d.questions[0].type == TYPE_ANY and d.questions[0].cls == CLASS_IN
    assert not d.questions[1].unicast
    assert d.questions == m.questions


def test_record_key_eq_hash():
    a = Record("Kitchen.local", TYPE_A, "10.0.0.1", ttl=120, cache_flush=True)
    b = Record("kitchen.LOCAL", TYPE_A, "10.0.0.1", ttl=0)
    c = Record("kitchen.local", TYPE_A, "10.0.0.2")
    assert a == b and hash(a) == hash(b) and a != c
    assert len({a, b, c}) == 2
    assert a.key() == (b"kitchen.local", TYPE_A, CLASS_IN, b"\n\x00\x00\x01")
    assert Record("x.local", TYPE_AAAA, "FD77:0::1").data == "fd77::1"
    assert Record("x.local", TYPE_NSEC, ("x.local", [28, 1, 1])).data == ("x.local", (1, 28))
    assert Record("x.local", TYPE_TXT, {}).rdata() == b"\x00"
    assert Record("x.local", TYPE_SRV, (1, 2, 3, "h.local")).rdata() == b"\x00\x01\x00\x02\x00\x03\x01h\x05local\x00"


def test_record_bad_data():
    with pytest.raises(ValueError, match="IPv4"):
        Record("x.local", TYPE_A, "10.0.0.300")
    with pytest.raises(ValueError, match="SRV"):
        Record("x.local", TYPE_SRV, (0, 0, 70000, "h.local"))
    with pytest.raises(ValueError, match="raw rdata"):
        Record("x.local", 99, "text")
    w = Writer()
    with pytest.raises(ValueError, match="64 bytes"):
        w.add_answer(Record("x" * 64 + ".local", TYPE_A, "1.2.3.4"))
    with pytest.raises(ValueError, match="window 0"):
        w.add_answer(Record("x.local", TYPE_NSEC, ("x.local", (1, 300))))
    assert w.count() == 0 and w.packet() == hdr()


def test_decoded_txt_keeps_raw_rdata():
    raw = b"\x03a=1\x03A=2\x00"
    pkt = hdr(flags=FLAG_QR, an=1) + names.to_wire("x.local") + struct.pack(">HHIH", TYPE_TXT, 1, 10, len(raw)) + raw
    r = decode(pkt).answers[0]
    assert r.data == {"a": b"1"}
    assert r.rdata() == raw
    # and a writer writes those bytes back unchanged
    w = Writer(flags=FLAG_QR)
    w.add_answer(r)
    assert w.packet() == pkt


def test_unknown_type_raw():
    pkt = hdr(flags=FLAG_QR, an=1) + names.to_wire("x.local") + struct.pack(">HHIH", 99, 0x8001, 5, 3) + b"abc"
    r = decode(pkt).answers[0]
    assert (r.type, r.data, r.cache_flush, r.cls, r.ttl) == (99, b"abc", True, 1, 5)
    w = Writer(flags=FLAG_QR)
    w.add_answer(r)
    assert w.packet() == pkt


def test_writer_refuses_when_full():
    w = Writer(flags=FLAG_QR, max_size=60)
    assert w.add_answer(Record("kitchen.local", TYPE_A, "10.0.0.5"))  # 12 + 15 + 14 = 41
    size = w.size()
    before = w.packet()
    assert not w.add_answer(Record("other.local", TYPE_A, "10.0.0.6"))  # would need 8+2+14
    assert w.size() == size and w.count() == 1 and w.packet() == before
    assert w.add_answer(Record("kitchen.local", TYPE_A, "10.0.0.6"))  # compressed: 2 + 14 = 16 -> 57
    assert w.size() == 57


def test_writer_section_order():
    w = Writer(flags=FLAG_QR)
    w.add_additional(Record("x.local", TYPE_A, "1.2.3.4"))
    with pytest.raises(ValueError, match="order"):
        w.add_answer(Record("x.local", TYPE_A, "1.2.3.4"))
    with pytest.raises(ValueError, match="order"):
        w.add_question(Question("x.local", TYPE_A))


def test_encode_splits_response():
    recs = [Record("host-%d.local" % i, TYPE_A, "10.0.%d.%d" % (i // 256, i % 256)) for i in range(200)]
    pkts = encode(Message(0, FLAG_QR, answers=recs))
    assert len(pkts) > 1
    assert all(len(p) <= 1460 for p in pkts)
    got = []
    for p in pkts:
        d = decode(p)
        assert not d.truncated and d.is_response
        got += d.answers
    assert got == recs


def test_encode_splits_query_tc():
    # RFC 6762 s7.2: known answers spilling over -> TC on all but the last packet
    kas = [Record("_http._tcp.local", TYPE_PTR, "svc %d._http._tcp.local" % i, 4500) for i in range(120)]
    m = Message(0, 0, questions=[Question("_http._tcp.local", TYPE_PTR)], answers=kas)
    pkts = encode(m, max_size=512)
    assert len(pkts) >= 3
    ds = [decode(p) for p in pkts]
    assert [d.truncated for d in ds] == [True] * (len(ds) - 1) + [False]
    assert len(ds[0].questions) == 1 and all(not d.questions for d in ds[1:])
    assert sum([d.answers for d in ds], []) == kas
    assert all(len(p) <= 512 for p in pkts)


def test_encode_too_big():
    with pytest.raises(ValueError, match="does not fit"):
        encode(Message(0, FLAG_QR, answers=[Record("x.local", 99, b"x" * 2000)]))
    assert len(encode(Message())) == 1 and encode(Message()) == [hdr()]


@pytest.mark.parametrize(
    "pkt,reason",
    [
        (b"", "truncated"),
        (b"\x00" * 11, "truncated"),
        (hdr(qd=1), "bad counts"),
        (hdr(qd=1) + b"\x01a\x00\x00\x01", "truncated"),
        (hdr(qd=1) + b"\x01a\x00\x00\x01\x00\x01\x00", "trailing data"),
        (hdr(qd=1) + b"\xc0\x0c\x00\x01\x00\x01", "bad pointer"),
        (hdr(qd=1) + b"\xc0\x20\x00\x01\x00\x01", "bad pointer"),
        (hdr(qd=1) + b"\x41a\x00\x00\x01\x00\x01", "bad label type"),
        (hdr(an=1) + b"\x00" + struct.pack(">HHIH", 1, 1, 0, 5) + b"\x01\x02\x03\x04", "truncated"),
    ],
)
def test_decode_errors(pkt, reason):
    with pytest.raises(ValueError) as e:
        decode(pkt)
    assert str(e.value) == reason


def test_decode_rdata_errors():
    base = hdr(flags=FLAG_QR, an=1) + names.to_wire("x.local")
    cases = [
        (struct.pack(">HHIH", TYPE_A, 1, 1, 3) + b"abc", "expected 4"),
        (struct.pack(">HHIH", TYPE_AAAA, 1, 1, 4) + b"abcd", "expected 16"),
        (struct.pack(">HHIH", TYPE_PTR, 1, 1, 4) + b"\x01a\x00\x00", "does not fill"),
        (struct.pack(">HHIH", TYPE_SRV, 1, 1, 6) + b"\x00" * 6, "min 7"),
        (struct.pack(">HHIH", TYPE_TXT, 1, 1, 2) + b"\x05a", "past the end"),
        (struct.pack(">HHIH", TYPE_NSEC, 1, 1, 4) + b"\x00\x00\x00\x00", "1-32"),
        (struct.pack(">HHIH", TYPE_NSEC, 1, 1, 5) + b"\x00\x00\x03\x40", "truncated"),
        (struct.pack(">HHIH", TYPE_NSEC, 1, 1, 7) + b"\x00\x01\x01\x40\x00\x01\x40", "out of order"),
        (struct.pack(">HHIH", TYPE_PTR, 1, 1, 3) + b"\x02\xff\xfe", None),
    ]
    for tail, why in cases:
        with pytest.raises(ValueError) as e:
            decode(base + tail)
        if why:
            assert why in str(e.value)


def test_nsec_general_windows_decoded():
    bm = b"\x00\x01\x40" + b"\x01\x01\x80"  # type 1; type 256
    pkt = hdr(flags=FLAG_QR, an=1) + names.to_wire("x.local") + struct.pack(">HHIH", TYPE_NSEC, 0x8001, 120, 2 + len(bm)) + b"\xc0\x0c" + bm
    r = decode(pkt).answers[0]
    assert r.data == ("x.local", (1, 256))
    assert r.rdata() == names.to_wire("x.local") + bm


def test_pointer_loop():
    # label at 12 then a pointer back to 12: x.x.x... -> "pointer loop" (hops > 16)
    pkt = hdr(qd=1) + b"\x01x\xc0\x0c" + b"\x00\x01\x00\x01"
    with pytest.raises(ValueError) as e:
        decode(pkt)
    assert str(e.value) == "pointer loop"


def test_concerns():
    (pkt,) = encode(announcement())
    table = names.to_wire("KITCHEN.local") + names.to_wire("other.local")
    assert wire.concerns(pkt, table)
    assert fastpy.match(pkt, table) == 1
    assert not wire.concerns(pkt, names.to_wire("other.local"))
    with pytest.raises(ValueError):
        wire.concerns(pkt[:-1], table)


def test_use_switches_backend():
    class Spy:
        calls = 0

        def __getattr__(self, k):
            Spy.calls += 1
            return getattr(fastpy, k)

    old = wire.use(Spy())
    try:
        decode(encode(announcement())[0])
    finally:
        wire.use(old)
    assert Spy.calls > 0
    assert wire.backend() is old
