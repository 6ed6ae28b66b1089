import struct

import pytest

from mdns import fastpy, names, wire
from mdns.wire import (
    CLASS_IN, FLAG_AA, FLAG_QR, TYPE_A, TYPE_AAAA, TYPE_ANY, TYPE_NSEC, TYPE_PTR, TYPE_SRV, TYPE_TXT,
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
    # checked when the record is made, not later when a packet is written
    with pytest.raises(ValueError, match="'a=b'"):
        Record("x.local", TYPE_TXT, {"a=b": b"1"})
    with pytest.raises(ValueError, match="empty label"):
        Record("x.local", TYPE_PTR, "a..local")
    with pytest.raises(ValueError, match="64 bytes"):
        Record("x.local", TYPE_SRV, (0, 0, 1, "h" * 64 + ".local"))
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


def test_encode_many_questions_no_tc():
    # questions alone over several packets: independent queries, no TC (nothing follows)
    qs = [Question("host-%03d.local" % i, TYPE_A) for i in range(60)]
    pkts = encode(Message(0, 0, questions=qs), 300)
    assert len(pkts) > 1
    ds = [decode(p) for p in pkts]
    assert not any(d.truncated for d in ds)
    assert sum([d.questions for d in ds], []) == qs


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
    # label at 12 then a pointer back to 12: x.x.x... -> "too many pointer hops" (hops > 16)
    pkt = hdr(qd=1) + b"\x01x\xc0\x0c" + b"\x00\x01\x00\x01"
    with pytest.raises(ValueError) as e:
        decode(pkt)
    assert str(e.value) == "too many pointer hops"


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


# ---- the vectors tests/vectors/wire_*.json (shared with MicroPython) ----
# Decode vectors: packets built by python-zeroconf (an independent encoder) or by hand, byte
# by byte, with the expected message written from the input, never from our decoder.
# Encode vectors: our packets, pinned byte for byte (compression included) so that both
# backends and MicroPython produce the same bytes; each is checked with zeroconf.DNSIncoming.
# Regenerate with: MDNS_REGEN_VECTORS=1 .venv/bin/python -m pytest tests/py/test_wire.py -k vectors
import importlib.util
import json
import os

TOP = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
VDIR = os.path.join(TOP, "tests", "vectors")


def load_case_module():
    spec = importlib.util.spec_from_file_location("mpycase_test_wire", os.path.join(TOP, "tests", "mpy", "cases", "test_wire.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.VECTORS_DIR = VDIR
    mod.CORPUS_DIR = os.path.join(TOP, "tests", "corpus")
    return mod


case = load_case_module()


def _lab(*labels):
    out = b""
    for lab in labels:
        b = lab.encode() if isinstance(lab, str) else lab
        out += bytes([len(b)]) + b
    return out + b"\x00"


def _rr(owner, t, rdata, cls=1, ttl=120):
    return owner + struct.pack(">HHIH", t, cls, ttl, len(rdata)) + rdata


def _zc_packet(msg):
    from zeroconf import DNSAddress, DNSNsec, DNSOutgoing, DNSPointer, DNSQuestion, DNSService, DNSText

    def zc(r):
        n = r.name + "."
        cls = r.cls | (0x8000 if r.cache_flush else 0)
        t = r.type
        if t in (TYPE_A, TYPE_AAAA):
            import ipaddress

            return DNSAddress(n, t, cls, r.ttl, ipaddress.ip_address(r.data).packed)
        if t == TYPE_PTR:
            return DNSPointer(n, t, cls, r.ttl, r.data + ".")
        if t == TYPE_SRV:
            return DNSService(n, t, cls, r.ttl, r.data[0], r.data[1], r.data[2], r.data[3] + ".")
        if t == TYPE_TXT:
            return DNSText(n, t, cls, r.ttl, r.rdata())
        if t == TYPE_NSEC:
            return DNSNsec(n, t, cls, r.ttl, r.data[0] + ".", list(r.data[1]))
        raise AssertionError(t)

    out = DNSOutgoing(msg.flags, multicast=True)
    for q in msg.questions:
        out.add_question(DNSQuestion(q.name + ".", q.type, q.cls | (0x8000 if q.unicast else 0)))
    for r in msg.answers:
        out.add_answer_at_time(zc(r), 0)
    for r in msg.authorities:
        out.add_authorative_answer(zc(r))
    for r in msg.additionals:
        out.add_additional_answer(zc(r))
    (pkt,) = out.packets()
    return pkt


def _plain_in(msg):
    # expected plain form from the *input* message (TXT rdata from txt.encode, which zeroconf was given)
    return case.msg_to_plain(msg)


def decode_cases():
    cases = []

    def ok(id, pkt, expect, mutate=False):
        c = {"id": id, "hex": pkt.hex(), "expect": expect}
        if mutate:
            c["mutate"] = True
        cases.append(c)

    def err(id, pkt, reason):
        cases.append({"id": id, "hex": pkt.hex(), "error": reason})

    # -- built by python-zeroconf (compressed the way zeroconf does it) --
    ann = announcement()
    ann.answers.insert(3, Record("_api._sub._http._tcp.local", TYPE_PTR, INST, 4500))
    ok("zc_announcement", _zc_packet(ann), _plain_in(ann), mutate=True)
    q = Message(0, 0, questions=[Question("_http._tcp.local", TYPE_PTR, True), Question("kitchen.local", TYPE_ANY)],
                answers=[Record("_http._tcp.local", TYPE_PTR, "Other._http._tcp.local", 4500)])
    ok("zc_query_qu_known_answer", _zc_packet(q), _plain_in(q), mutate=True)
    u = Message(0, FLAG_QR | FLAG_AA, answers=[
        Record("_ipp._tcp.local", TYPE_PTR, "Drucker Büro 2 ☕._ipp._tcp.local", 4500),
        Record("Drucker Büro 2 ☕._ipp._tcp.local", TYPE_SRV, (0, 0, 631, "drucker.local"), 120, True),
        Record("Drucker Büro 2 ☕._ipp._tcp.local", TYPE_TXT, [("rp", b"ipp/print"), ("Color", b"T"), ("duplex", None), ("note", b"")], 4500, True),
    ])
    ok("zc_utf8_instance", _zc_packet(u), _plain_in(u))
    g = Message(0, FLAG_QR | FLAG_AA, answers=[
        Record("_http._tcp.local", TYPE_PTR, INST, 0),
        Record("kitchen.local", TYPE_A, "10.0.0.5", 0, True),
        Record("5.0.0.10.in-addr.arpa", TYPE_PTR, "kitchen.local", 0, True),
        Record("5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.7.7.d.f.ip6.arpa", TYPE_PTR, "kitchen.local", 0, True),
    ])
    ok("zc_goodbye_reverse", _zc_packet(g), _plain_in(g))
    p = Message(0, 0, questions=[Question("kitchen.local", TYPE_ANY, True)],
                authorities=[Record("kitchen.local", TYPE_PTR, "x.local", 120)])
    ok("zc_probe_authority", _zc_packet(p), _plain_in(p))

    # -- by hand --
    host = _lab("kitchen", "local")
    ok("hc_unknown_type_kept", hdr(1, FLAG_QR, an=1) + _rr(host, 99, b"\x00\x01raw", cls=0x8001, ttl=7),
       {"id": 1, "flags": FLAG_QR, "qd": [], "an": [["kitchen.local", 99, 1, 1, 7, "0001726177"]], "ns": [], "ar": []})
    ok("hc_class_ch_and_flush", hdr(an=1) + _rr(host, TYPE_A, b"\x0a\x00\x00\x01", cls=0x8003),
       {"id": 0, "flags": 0, "qd": [], "an": [["kitchen.local", 1, 3, 1, 120, "10.0.0.1"]], "ns": [], "ar": []})
    ok("hc_any_question_qu", hdr(qd=1) + host + b"\x00\xff\x80\x01",
       {"id": 0, "flags": 0, "qd": [["kitchen.local", 255, 1, 1]], "an": [], "ns": [], "ar": []})
    raw = b"\x03a=1\x03A=2\x00\x02=x\x04flag\x02e=\x05b=c=d\x03\x01=x"
    ok("hc_txt_rules", hdr(an=1) + _rr(host, TYPE_TXT, raw),
       {"id": 0, "flags": 0, "qd": [], "an": [["kitchen.local", 16, 1, 0, 120, {"rdata": raw.hex(), "txt": {"a": "31", "flag": None, "e": "", "b": "633d64"}}]], "ns": [], "ar": []})
    ok("hc_txt_empty_rdata", hdr(an=1) + _rr(host, TYPE_TXT, b""),
       {"id": 0, "flags": 0, "qd": [], "an": [["kitchen.local", 16, 1, 0, 120, {"rdata": "", "txt": {}}]], "ns": [], "ar": []})
    ok("hc_txt_single_zero", hdr(an=1) + _rr(host, TYPE_TXT, b"\x00"),
       {"id": 0, "flags": 0, "qd": [], "an": [["kitchen.local", 16, 1, 0, 120, {"rdata": "00", "txt": {}}]], "ns": [], "ar": []})
    bm = b"\x00\x06\x40\x00\x00\x08\x00\x01" + b"\x01\x01\x80"  # A, AAAA, NSEC? no: 1, 28, 47; then 256
    ok("hc_nsec_two_windows", hdr(an=1) + _rr(host, TYPE_NSEC, b"\xc0\x0c" + bm),
       {"id": 0, "flags": 0, "qd": [], "an": [["kitchen.local", 47, 1, 0, 120, ["kitchen.local", [1, 28, 47, 256]]]], "ns": [], "ar": []})
    # SRV target written once, a later PTR points into the SRV's rdata
    srv_owner = _lab("Cam", "_http", "_tcp", "local")
    pkt = hdr(an=2) + _rr(srv_owner, TYPE_SRV, b"\x00\x01\x00\x02\x1f\x90" + _lab("cam-host", "local"))
    tgt = pkt.index(b"\x08cam-host")
    pkt += _rr(_lab("9", "in-addr", "arpa"), TYPE_PTR, bytes([0xC0, tgt]))
    ok("hc_pointer_into_rdata", pkt,
       {"id": 0, "flags": 0, "qd": [], "an": [["Cam._http._tcp.local", 33, 1, 0, 120, [1, 2, 8080, "cam-host.local"]],
                                              ["9.in-addr.arpa", 12, 1, 0, 120, "cam-host.local"]], "ns": [], "ar": []})
    ok("hc_escaped_label", hdr(an=1) + _rr(_lab("My.Printer\\x", "_ipp", "_tcp", "local"), TYPE_PTR, _lab("a b", "local")),
       {"id": 0, "flags": 0, "qd": [], "an": [["My\\.Printer\\\\x._ipp._tcp.local", 12, 1, 0, 120, "a b.local"]], "ns": [], "ar": []})
    ok("hc_aaaa_mapped_and_zero_runs", hdr(an=2) + _rr(host, TYPE_AAAA, bytes(10) + b"\xff\xff\x0a\x00\x00\x01") + _rr(b"\xc0\x0c", TYPE_AAAA, bytes.fromhex("20010db8000000010000000000000001")),
       {"id": 0, "flags": 0, "qd": [], "an": [["kitchen.local", 28, 1, 0, 120, "::ffff:10.0.0.1"], ["kitchen.local", 28, 1, 0, 120, "2001:db8:0:1::1"]], "ns": [], "ar": []})
    ok("hc_sections", hdr(7, 0x8400, qd=1, an=1, ns=1, ar=1) + host + b"\x00\x01\x00\x01" + _rr(b"\xc0\x0c", 1, b"\x01\x02\x03\x04") + _rr(b"\xc0\x0c", 1, b"\x01\x02\x03\x05") + _rr(b"\xc0\x0c", 1, b"\x01\x02\x03\x06", ttl=0),
       {"id": 7, "flags": 0x8400, "qd": [["kitchen.local", 1, 1, 0]], "an": [["kitchen.local", 1, 1, 0, 120, "1.2.3.4"]],
        "ns": [["kitchen.local", 1, 1, 0, 120, "1.2.3.5"]], "ar": [["kitchen.local", 1, 1, 0, 0, "1.2.3.6"]]})
    ok("hc_empty_message", hdr(0xFFFF, 0xFFFF), {"id": 65535, "flags": 65535, "qd": [], "an": [], "ns": [], "ar": []})
    ok("hc_root_owner", hdr(an=1) + _rr(b"\x00", 41, b"", cls=1440, ttl=0),
       {"id": 0, "flags": 0, "qd": [], "an": [["", 41, 1440, 0, 0, ""]], "ns": [], "ar": []})

    # -- malformed: the backend's reasons --
    err("e_empty", b"", "truncated")
    err("e_header_11", bytes(11), "truncated")
    err("e_counts_cannot_fit", hdr(qd=1), "bad counts")
    err("e_counts_ffff", hdr(qd=0xFFFF, an=0xFFFF, ns=0xFFFF, ar=0xFFFF) + host + b"\x00\x01\x00\x01", "bad counts")
    err("e_second_question_missing", hdr(qd=2) + host + b"\x00\x01\x00\x01" + bytes(6), "trailing data")
    err("e_entry_missing", hdr(qd=1, an=1) + _lab("a") + b"\x00\x01\x00\x01" + bytes(2) + b"\x00\x00\x01\x00\x01", "truncated")
    err("e_record_missing_at_end", hdr(an=2) + _rr(_lab("a"), 1, b"\x01\x02\x03\x04") + b"", "bad counts")
    err("e_question_truncated", hdr(qd=1) + host + b"\x00\x01\x00", "truncated")
    err("e_record_header_truncated", hdr(an=1) + host + b"\x00\x01\x00\x01\x00\x00\x00\x78\x00", "truncated")
    err("e_rdata_past_end", hdr(an=1) + host + struct.pack(">HHIH", 1, 1, 120, 5) + b"\x01\x02\x03\x04", "truncated")
    err("e_trailing", hdr(qd=1) + host + b"\x00\x01\x00\x01\x00", "trailing data")
    err("e_label_past_end", hdr(qd=1) + b"\x3fabc" + bytes(4), "truncated")
    err("e_counts_need_5_bytes_each", hdr(qd=1) + b"\x3fabc", "bad counts")  # wire's check before sizing tables
    err("e_pointer_self", hdr(qd=1) + b"\xc0\x0c\x00\x01\x00\x01", "bad pointer")
    err("e_pointer_forward", hdr(qd=1) + b"\xc0\x0e" + host + b"\x00\x01\x00\x01", "bad pointer")
    err("e_pointer_past_end", hdr(qd=1) + b"\xff\xff\x00\x01\x00\x01", "bad pointer")
    err("e_pointer_loop", hdr(qd=1) + b"\x01x\xc0\x0c\x00\x01\x00\x01", "too many pointer hops")
    err("e_label_type_40", hdr(qd=1) + b"\x41" + b"a" * 65 + b"\x00\x00\x01\x00\x01", "bad label type")
    err("e_label_type_80", hdr(qd=1) + b"\x80\x00\x01\x00\x01", "bad label type")
    err("e_name_too_long", hdr(qd=1) + (b"\x3f" + b"a" * 63) * 4 + b"\x00\x00\x01\x00\x01", "name too long")
    # -- malformed rdata --
    x = _lab("x", "local")
    err("e_a_length", hdr(an=1) + _rr(x, TYPE_A, b"\x01\x02\x03"), "A record 'x.local': rdata is 3 bytes (expected 4)")
    err("e_aaaa_length", hdr(an=1) + _rr(x, TYPE_AAAA, b"\x01\x02\x03\x04"), "AAAA record 'x.local': rdata is 4 bytes (expected 16)")
    err("e_ptr_not_filling", hdr(an=1) + _rr(x, TYPE_PTR, _lab("a") + b"\x00"), "PTR record 'x.local': name does not fill rdata")
    err("e_ptr_runs_over", hdr(an=2) + _rr(x, TYPE_PTR, b"\x01a") + _rr(b"\x00", 1, b"\x01\x02\x03\x04"), "PTR record 'x.local': name does not fill rdata")
    err("e_ptr_bad_pointer", hdr(an=1) + _rr(x, TYPE_PTR, b"\xc0\x30"), "bad pointer")
    err("e_ptr_empty", hdr(an=1) + _rr(x, TYPE_PTR, b""), "truncated")
    err("e_srv_short", hdr(an=1) + _rr(x, TYPE_SRV, bytes(6)), "SRV record 'x.local': rdata is 6 bytes (min 7)")
    err("e_srv_extra", hdr(an=1) + _rr(x, TYPE_SRV, bytes(6) + b"\x00\x00"), "SRV record 'x.local': target does not fill rdata")
    err("e_txt_overflow", hdr(an=1) + _rr(x, TYPE_TXT, b"\x03a=1\x05b"), "TXT record 'x.local': txt: string runs past the end of rdata")
    err("e_nsec_len0", hdr(an=1) + _rr(x, TYPE_NSEC, b"\xc0\x0c\x00\x00"), "NSEC record 'x.local': NSEC bitmap length 0 (must be 1-32)")
    err("e_nsec_len33", hdr(an=1) + _rr(x, TYPE_NSEC, b"\xc0\x0c\x00\x21" + bytes(33)), "NSEC record 'x.local': NSEC bitmap length 33 (must be 1-32)")
    err("e_nsec_order", hdr(an=1) + _rr(x, TYPE_NSEC, b"\xc0\x0c\x01\x01\x40\x00\x01\x40"), "NSEC record 'x.local': NSEC windows out of order")
    err("e_nsec_truncated", hdr(an=1) + _rr(x, TYPE_NSEC, b"\xc0\x0c\x00\x04\x40"), "NSEC record 'x.local': NSEC bitmap truncated")
    err("e_nsec_odd_byte", hdr(an=1) + _rr(x, TYPE_NSEC, b"\xc0\x0c\x00"), "NSEC record 'x.local': NSEC bitmap truncated")
    err("e_nsec_name_past_rdata", hdr(an=2) + _rr(x, TYPE_NSEC, b"\x01x") + _rr(b"\x00", 1, b"\x01\x02\x03\x04"), "NSEC record 'x.local': next name runs past rdata")
    err("e_owner_not_utf8", hdr(qd=1) + b"\x02\xff\xfe\x00\x00\x01\x00\x01", "name: label is not UTF-8")
    err("e_rdata_name_not_utf8", hdr(an=1) + _rr(x, TYPE_PTR, b"\x01\xc3\x00"), "name: label is not UTF-8")
    return cases


def encode_cases():
    cases = []

    def add(id, msg, max_size=1460):
        c = {"id": id, "max_size": max_size, "message": None}
        # the message in plain form; TXT as [key, hex or null] pairs (encoding input)
        p = case.msg_to_plain(msg)
        for sec, recs in (("an", msg.answers), ("ns", msg.authorities), ("ar", msg.additionals)):
            for row, r in zip(p[sec], recs):
                if r.type == TYPE_TXT:
                    d = r.data.items() if isinstance(r.data, dict) else r.data
                    row[5] = [[k, None if v is None else bytes(v).hex()] for k, v in d]
        c["message"] = p
        try:
            c["packets"] = [x.hex() for x in encode(msg, max_size)]
        except ValueError as e:
            c["error"] = "ValueError: " + str(e)
        cases.append(c)

    add("announcement", announcement())
    add("probe", Message(0, 0, questions=[Question("kitchen.local", TYPE_ANY, True), Question(INST, TYPE_ANY, True)],
                         authorities=[Record("kitchen.local", TYPE_A, "10.0.0.5", 120), Record(INST, TYPE_SRV, (0, 0, 80, "kitchen.local"), 120)]))
    add("goodbye", Message(0, FLAG_QR | FLAG_AA, answers=[Record("_http._tcp.local", TYPE_PTR, INST, 0)]))
    add("utf8_dots_case", Message(0, FLAG_QR | FLAG_AA, answers=[
        Record("_ipp._tcp.local", TYPE_PTR, "My\\.Printer Küche._ipp._tcp.local", 4500),
        Record("_IPP._tcp.local", TYPE_PTR, "b._ipp._TCP.local", 4500),
        Record("My\\.Printer Küche._ipp._tcp.local", TYPE_TXT, [("z", b"1"), ("a", None), ("m", b"")], 4500, True),
    ]))
    add("reverse", Message(0, FLAG_QR | FLAG_AA, answers=[
        Record("5.0.0.10.in-addr.arpa", TYPE_PTR, "kitchen.local", 120, True),
        Record("6.0.0.10.in-addr.arpa", TYPE_PTR, "kitchen.local", 120, True),
        Record("5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.7.7.d.f.ip6.arpa", TYPE_PTR, "kitchen.local", 120, True),
    ]))
    add("unknown_and_empty_txt", Message(0, FLAG_QR, answers=[Record("x.local", 99, b"\x00\xff"), Record("x.local", TYPE_TXT, {})]))
    add("split_response", Message(0, FLAG_QR | FLAG_AA, answers=[Record("host-%d.local" % i, TYPE_A, "10.0.0.%d" % i, 120, True) for i in range(20)]), 200)
    add("split_query_tc", Message(0, 0, questions=[Question("_http._tcp.local", TYPE_PTR)],
                                  answers=[Record("_http._tcp.local", TYPE_PTR, "svc %d._http._tcp.local" % i, 4500) for i in range(12)]), 120)
    add("too_big", Message(0, FLAG_QR, answers=[Record("x.local", 99, b"x" * 200)]), 100)
    add("empty", Message())
    return cases


def text_cases():
    cases = []

    def ok(fn, args, result, id=None):
        cases.append({"id": id or "%s#%d" % (fn, len(cases)), "fn": fn, "args": args, "result": result})

    def err(fn, args, error, id=None):
        cases.append({"id": id or "%s#%d" % (fn, len(cases)), "fn": fn, "args": args, "error": error})

    H = lambda b: {"hex": b.hex()}
    ok("names.split", ["Kitchen Cam._http._tcp.local"], ["Kitchen Cam", "_http", "_tcp", "local"])
    ok("names.split", ["My\\.Printer\\\\._ipp.local."], ["My.Printer\\", "_ipp", "local"])
    ok("names.split", [""], [])
    err("names.split", ["a\\b.local"], "bad escape")
    ok("names.join", [["a.b", "c\\d", "local"]], "a\\.b.c\\\\d.local")
    ok("names.to_wire", ["Kitchen Cam.local"], H(b"\x0bKitchen Cam\x05local\x00"))
    ok("names.to_wire", ["Küche.local"], H(b"\x06K\xc3\xbcche\x05local\x00"))
    ok("names.to_wire", ["a\\.b.local"], H(b"\x03a.b\x05local\x00"))
    ok("names.to_wire", [""], H(b"\x00"))
    err("names.to_wire", ["x" * 64 + ".local"], "is 64 bytes (max 63)")
    err("names.to_wire", ["a..local"], "empty label")
    err("names.to_wire", [".".join(["a" * 63] * 4)], "longer than 255 bytes")
    ok("names.from_wire", [H(b"\x03a.b\x05local\x00")], "a\\.b.local")
    ok("names.from_wire", [H(b"\x06K\xc3\xbcche\x05local\x00")], "Küche.local")
    err("names.from_wire", [H(b"\x02\xc3\x28\x00")], "name: label is not UTF-8")
    err("names.from_wire", [H(b"\x05ab")], "truncated")
    ok("names.fold", ["KiTchen.LOCAL"], H(b"kitchen.local"))
    ok("names.fold", ["ÄB.local"], H("Äb.local".encode()))
    ok("names.instance", ["My.Printer", "_ipp._tcp.local"], "My\\.Printer._ipp._tcp.local")
    err("names.instance", ["x" * 64, "_ipp._tcp.local"], "max 63")
    ok("addr.aton4", ["192.168.1.20"], H(b"\xc0\xa8\x01\x14"))
    err("addr.aton4", ["192.168.1"], "IPv4 address")
    err("addr.aton4", ["1.2.3.256"], "IPv4 address")
    err("addr.aton4", ["01.2.3.4"], "IPv4 address")
    ok("addr.ntoa4", [H(b"\x0a\x00\x00\x01")], "10.0.0.1")
    for text, canon in (("fd77::1", "fd77::1"), ("FD77:0000:0:0:0:0:0:0001", "fd77::1"), ("::", "::"), ("2001:db8::1:0:0:1", "2001:db8::1:0:0:1"),
                        ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"), ("1:0:0:2:0:0:3:4", "1::2:0:0:3:4"), ("::ffff:1.2.3.4", "::ffff:1.2.3.4"), ("fe80::1%wlan0", "fe80::1"),
                        ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"), ("1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7")):
        import ipaddress

        ok("addr.aton6", [text], H(ipaddress.ip_address(text.split("%")[0]).packed))
        ok("addr.ntoa6", [H(ipaddress.ip_address(text.split("%")[0]).packed)], canon)
    for bad in ("1::2::3", "12345::", "::g", "1:2:3:4:5:6:7:8:9", ":1::", "1:2:3"):
        err("addr.aton6", [bad], "IPv6 address")
    ok("addr.reverse_name", ["10.0.0.5"], "5.0.0.10.in-addr.arpa")
    ok("addr.reverse_name", ["fd77::5"], "5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.7.7.d.f.ip6.arpa")
    ok("addr.parse_reverse", ["5.0.0.10.IN-ADDR.ARPA."], "10.0.0.5")
    ok("addr.parse_reverse", ["5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.7.7.d.f.ip6.arpa"], "fd77::5")
    ok("addr.parse_reverse", ["kitchen.local"], None)
    ok("addr.parse_reverse", ["5.0.0.in-addr.arpa"], None)
    ok("txt.encode", [[["path", H(b"/")], ["ro", None], ["e", H(b"")]]], H(b"\x06path=/\x02ro\x02e="))
    ok("txt.encode", [{"n": 5}], H(b"\x03n=5"))
    ok("txt.encode", [{"s": "é"}], H(b"\x04s=\xc3\xa9"))
    ok("txt.encode", [{"on": True, "off": False}], H(b"\x02on"))
    ok("txt.encode", [{}], H(b"\x00"))
    err("txt.encode", [{"a=b": "x"}], "'a=b'")
    err("txt.encode", [{"": "x"}], "empty key")
    err("txt.encode", [{"big": "x" * 252}], "256 bytes (max 255")
    err("txt.encode", [[["K", None], ["k", None]]], "twice")
    ok("txt.decode", [H(b"\x03a=1\x03A=2\x00\x02=x\x04flag\x02e=")], {"a": H(b"1"), "flag": None, "e": H(b"")})
    err("txt.decode", [H(b"\x09short")], "past the end")
    for form in ("_http._tcp,_api-v1", ["http", "tcp", "api-v1"], "_http._tcp.local.,_api-v1"):
        ok("servicetype.parse", [form], "_http._tcp,_api-v1")
    ok("servicetype.tcp", ["http"], "_http._tcp")
    ok("servicetype.udp", ["osc", "api-v1"], "_osc._udp,_api-v1")
    for bad, why in (("_this-name-is-too-long._tcp", "max 15"), ("_a_b._tcp", "not allowed"), ("_123._tcp", "letter"), ("_-ab._tcp", "hyphen"),
                     ("_a--b._tcp", "two hyphens"), ("_http._sctp", "tcp or udp"), ("_http", "expected"), ("http.tcp", "start with '_'")):
        err("servicetype.parse", [bad], why)
    ok("wire.type_name", [33], "SRV")
    ok("wire.type_name", [65], "TYPE65")
    return cases


def _dump(cases, about):
    return '{"about": %s,\n "cases": [\n%s\n]}\n' % (
        json.dumps(about), ",\n".join(json.dumps(c, ensure_ascii=False, sort_keys=True) for c in cases))


VECTOR_FILES = {
    "wire_decode.json": (decode_cases, "mdns.wire.decode: packets from python-zeroconf or written by hand, with the message expected (plain form: tests/mpy/cases/test_wire.py) or the exact ValueError text. Generated by tests/py/test_wire.py."),
    "wire_encode.json": (encode_cases, "mdns.wire.encode: messages and the exact packets (compression included) both backends and MicroPython must produce; each checked with zeroconf.DNSIncoming. Generated by tests/py/test_wire.py."),
    "wire_text.json": (text_cases, "mdns.names/addr/txt/servicetype: function, JSON args ({\"hex\": ..} = bytes), result or a substring of the ValueError. Generated by tests/py/test_wire.py."),
}


@pytest.mark.parametrize("fname", sorted(VECTOR_FILES))
def test_vectors_are_current(fname):
    fn, about = VECTOR_FILES[fname]
    text = _dump(fn(), about)
    path = os.path.join(VDIR, fname)
    if os.environ.get("MDNS_REGEN_VECTORS"):
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    with open(path, encoding="utf-8") as f:
        assert f.read() == text, "%s is stale: MDNS_REGEN_VECTORS=1 pytest tests/py/test_wire.py -k vectors" % fname


def test_encode_vectors_read_by_zeroconf():
    from zeroconf import DNSIncoming

    n = 0
    for c in case.load("wire_encode.json"):
        for p in c.get("packets", []):
            inc = DNSIncoming(bytes.fromhex(p))
            assert inc.valid, c["id"]
            known = [r for r in case.plain_to_msg(c["message"]).records() if r.type in (1, 12, 16, 28, 33, 47)]
            n += len(inc.answers())
        assert c.get("packets") or c.get("error")
    assert n > 40


# the MicroPython case's functions, run here on CPython too
@pytest.mark.parametrize("name", ["test_decode_vectors", "test_encode_vectors", "test_text_vectors", "test_mutations_only_valueerror", "test_real_traffic_decodes", "test_decode_from_receive_buffer", "test_records_eq_hash"])
def test_mpy_case_on_cpython(name):
    getattr(case, name)()


def fastpy_without_table():
    # fastpy as the C module looks to the Writer: write_name with starts, no table helpers
    class Plain:
        read_name = staticmethod(fastpy.read_name)
        name_eq = staticmethod(fastpy.name_eq)
        walk = staticmethod(fastpy.walk)
        match = staticmethod(fastpy.match)
        write_name = staticmethod(fastpy.write_name)

    return Plain


def test_writer_paths_identical():
    # the Writer's incremental table (fastpy) and write_name with starts give the same bytes
    msgs = [announcement(), Message(0, 0, questions=[Question("kitchen.local", TYPE_ANY, True)],
                                    authorities=[Record("kitchen.local", TYPE_A, "10.0.0.5")])]
    for m in msgs:
        for size in (80, 120, 200, 1460):
            try:
                a = encode(m, size)
            except ValueError:
                continue
            old = wire.use(fastpy_without_table())
            try:
                b = encode(m, size)
            finally:
                wire.use(old)
            assert a == b


def test_writer_rollback_keeps_compression_sound():
    # A record whose owner name was written before it ran out of room must leave no
    # trace: a later name must not point into the bytes that were given back.
    for backend in (fastpy, fastpy_without_table()):
        old = wire.use(backend)
        try:
            w = Writer(flags=FLAG_QR, max_size=70)
            assert w.add_answer(Record("a.local", TYPE_A, "1.2.3.4"))  # 12 + 9 + 14 = 35
            # owner "longname-xyz.local" fits (15 bytes: 50), rdata (PTR, 20 literal) does not
            assert not w.add_answer(Record("longname-xyz.local", TYPE_PTR, "other-target.example"))
            assert w.size() == 35 and w.count() == 1
            assert w.add_answer(Record("b.longname-xyz.local", TYPE_A, "1.2.3.5"))
            pkt = w.packet()
            d = decode(pkt)
            assert [r.name for r in d.answers] == ["a.local", "b.longname-xyz.local"]
        finally:
            wire.use(old)


def test_writer_invalid_data_writes_nothing():
    w = Writer(flags=FLAG_QR)
    w.add_answer(Record("a.local", TYPE_A, "1.2.3.4"))
    before = w.packet()
    bad = Record("b.local", TYPE_TXT, {"ok": b"1"})
    bad.data = {"bad=key": b"1"}  # mutated after construction: caught when written
    bad._rd = None
    with pytest.raises(ValueError, match="bad=key"):
        w.add_answer(bad)
    with pytest.raises(ValueError, match="empty label"):
        w.add_answer(Record("c.local", TYPE_PTR, "x..local"))
    assert w.packet() == before


def test_writer_question_and_counts():
    w = Writer(5, 0)
    assert w.add_question(Question("kitchen.local", TYPE_A))
    assert w.add_question(Question("kitchen.local", TYPE_AAAA, unicast=True))
    assert w.add_answer(Record("kitchen.local", TYPE_A, "10.0.0.1"))
    assert w.counts == [2, 1, 0, 0] and w.count() == 3
    pkt = w.packet()
    assert pkt[:12] == hdr(5, 0, qd=2, an=1)
    assert pkt.count(b"\x07kitchen") == 1  # second question and the answer are pointers
    d = decode(pkt)
    assert [q.type for q in d.questions] == [TYPE_A, TYPE_AAAA] and d.questions[1].unicast


def test_decode_memoryview_and_bytearray():
    (pkt,) = encode(announcement())
    want = decode(pkt)
    for form in (bytearray(pkt), memoryview(pkt), memoryview(bytearray(pkt) + b"xx")[: len(pkt)]):
        got = decode(form)
        assert got.answers == want.answers and got.additionals == want.additionals
        assert [r.data for r in got.answers] == [r.data for r in want.answers]


def test_many_names_compression_limit():
    # more distinct names than the 64 remembered: still valid, later names literal
    recs = [Record("h%03d.example%d.local" % (i, i), TYPE_A, "10.0.0.1") for i in range(80)]
    pkts = encode(Message(0, FLAG_QR, answers=recs), 9000)
    assert len(pkts) == 1
    assert decode(pkts[0]).answers == recs


def test_ttl_and_flags_ranges():
    r = Record("x.local", TYPE_A, "1.2.3.4", ttl=0xFFFFFFFF)
    assert decode(encode(Message(0, FLAG_QR, answers=[r]))[0]).answers[0].ttl == 0xFFFFFFFF
    with pytest.raises(ValueError, match="ttl"):
        Writer().add_answer(Record("x.local", TYPE_A, "1.2.3.4", ttl=-1))
    m = Message(0xBEEF, 0x8400)
    assert decode(encode(m)[0]).id == 0xBEEF
