"""Property tests of mdns.wire: round trips, splitting, and strictness (only ValueError)."""
from array import array

from hypothesis import HealthCheck, given, settings, strategies as st

from mdns import fastpy, names, wire
from mdns.wire import FLAG_QR, FLAG_TC, Message, decode, encode

from strategies import messages, name_strategy, records

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def same_records(a, b):
    assert a == b  # key(): folded name, type, class, rdata
    for x, y in zip(a, b):
        assert (x.name, x.type, x.cls, x.cache_flush, x.ttl) == (y.name, y.type, y.cls, y.cache_flush, y.ttl)
        assert x.rdata() == y.rdata()
        if x.type != wire.TYPE_TXT:
            assert x.data == y.data


@SETTINGS
@given(messages())
def test_roundtrip(msg):
    pkts = encode(msg)
    assert len(pkts) == 1  # a few small records always fit
    d = decode(pkts[0])
    assert (d.id, d.flags) == (msg.id, msg.flags)
    assert [(q.name, q.type, q.cls, q.unicast) for q in d.questions] == [(q.name, q.type, q.cls, q.unicast) for q in msg.questions]
    same_records(d.answers, msg.answers)
    same_records(d.authorities, msg.authorities)
    same_records(d.additionals, msg.additionals)
    # decoding is stable: re-encoding what we decoded gives the same bytes
    assert encode(d) == pkts


@SETTINGS
@given(messages(max_records=40), st.integers(200, 1460))
def test_split(msg, max_size):
    try:
        pkts = encode(msg, max_size)
    except ValueError as e:
        assert "does not fit" in str(e)
        return
    assert all(len(p) <= max_size for p in pkts)
    ds = [decode(p) for p in pkts]
    query = not msg.flags & FLAG_QR
    for i, d in enumerate(ds):
        assert d.truncated == (query and i < len(ds) - 1)
    same_records(sum([d.answers for d in ds], []), msg.answers)
    same_records(sum([d.authorities for d in ds], []), msg.authorities)
    same_records(sum([d.additionals for d in ds], []), msg.additionals)
    assert sum([len(d.questions) for d in ds]) == len(msg.questions)
    # greedy: each packet but the last was full enough that the next entry did not fit
    assert len(pkts) == 1 or all(len(p) > max_size // 4 for p in pkts[:-1])


@SETTINGS
@given(st.binary(max_size=300))
def test_random_bytes_only_valueerror(data):
    try:
        decode(data)
    except ValueError:
        pass


@st.composite
def mutated(draw):
    msg = draw(messages(max_records=6))
    pkt = bytearray(encode(msg)[0])
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "set", "cut", "insert"]))
        if op == "cut" and len(pkt) > 12:
            pkt = pkt[: draw(st.integers(0, len(pkt) - 1))]
        elif op == "insert":
            pos = draw(st.integers(0, len(pkt)))
            pkt[pos:pos] = draw(st.binary(min_size=1, max_size=3))
        elif pkt:
            pos = draw(st.integers(0, len(pkt) - 1))
            if op == "flip":
                pkt[pos] ^= 1 << draw(st.integers(0, 7))
            else:
                pkt[pos] = draw(st.sampled_from([0, 0x3F, 0x40, 0x80, 0xC0, 0xFF, 12]))
    return bytes(pkt)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_packets_only_valueerror(pkt):
    try:
        d = decode(pkt)
    except ValueError:
        return
    # what decodes must encode again and decode to the same records
    try:
        pkts = encode(d, 9000)
    except ValueError:
        return  # e.g. an NSEC with windows > 0 decoded (general form) is not re-encodable
    d2 = decode(pkts[0])
    assert d2.answers + d2.authorities + d2.additionals == d.answers + d.authorities + d.additionals


# ---- the compression rule of design.md, written out naively, against fastpy.write_name ----
def reference_write_name(buf, pos, w, starts, n):
    suffixes = []
    k = 0
    while w[k] != 0:
        suffixes.append(k)
        k += 1 + w[k]
    for k in suffixes:  # longest first
        suffix = w[k:]
        for s in starts[:n]:
            p = s
            while True:
                c = buf[p]
                if c >= 0xC0:
                    p = ((c & 0x3F) << 8) | buf[p + 1]
                    continue
                if c == 0:
                    break
                there, _ = fastpy.read_name(buf, p)
                if there == suffix and p < 0x4000:
                    out = w[:k] + bytes([0xC0 | (p >> 8), p & 0xFF])
                    buf[pos : pos + len(out)] = out
                    return pos + len(out)
                p += 1 + c
    buf[pos : pos + len(w)] = w
    return pos + len(w)


@SETTINGS
@given(st.lists(name_strategy(rich=False), min_size=1, max_size=12))
def test_write_name_matches_rule(name_list):
    b1 = bytearray(4000)
    b2 = bytearray(4000)
    starts = array("H", [0] * 32)
    pos = 12
    n = 0
    for nm in name_list:
        w = names.to_wire(nm)
        e1 = fastpy.write_name(b1, pos, w, starts, n)
        e2 = reference_write_name(b2, pos, w, starts, n)
        assert b1[:e1] == b2[:e2] and e1 == e2
        assert fastpy.read_name(b1, pos) == (w, e1)
        if n < 32:
            starts[n] = pos
            n += 1
        pos = e1


@SETTINGS
@given(records())
def test_record_hash_eq_consistent(r):
    d = decode(encode(Message(0, FLAG_QR, answers=[r]))[0]).answers[0]
    assert d == r and hash(d) == hash(r)
    other = wire.Record(r.name + "x" if r.name else "x", r.type, r.data, r.ttl, r.cache_flush) if r.type != wire.TYPE_NSEC else None
    if other is not None:
        assert other != r
