"""Property tests of mdns.wire: round trips, splitting, and strictness (only ValueError).
The message strategies here are also used by test_oracle.py."""
import ipaddress
from array import array

from hypothesis import HealthCheck, given, settings, strategies as st

from mdns import fastpy, names, wire
from mdns.wire import (
    FLAG_AA, FLAG_QR, TYPE_A, TYPE_AAAA, TYPE_ANY, TYPE_NSEC, TYPE_PTR, TYPE_SRV, TYPE_TXT, Message, Question, Record,
    decode, encode,
)

# ---- strategies ----

_ascii_label = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_", min_size=1, max_size=20)


def _fits(label):
    return 0 < len(label.encode()) <= 63


# Instance labels: spaces, dots, backslashes, UTF-8 (RFC 6763 s4.1.1). Surrogates excluded (not UTF-8).
_rich_label = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), min_codepoint=0x20), min_size=1, max_size=40
).filter(_fits)


def name_strategy(rich=True):
    label = _rich_label if rich else _ascii_label
    return st.lists(st.one_of(_ascii_label, label), min_size=1, max_size=4).map(
        lambda labels: names.join(labels + ["local"])
    ).filter(lambda n: len(names.to_wire(n)) <= 255)


ipv4 = st.ip_addresses(v=4).map(str)
ipv6 = st.ip_addresses(v=6).map(lambda ip: str(ipaddress.IPv6Address(ip.packed)))
txt_keys = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E, blacklist_characters="="), min_size=1, max_size=12
)


def _dedupe_keys(d):
    out = {}
    seen = set()
    for k, v in d.items():
        if k.lower() not in seen:
            seen.add(k.lower())
            out[k] = v
    return out


txt_dicts = st.dictionaries(txt_keys, st.one_of(st.none(), st.binary(max_size=60)), max_size=6).map(_dedupe_keys)
nsec_types = st.lists(st.integers(1, 255), min_size=1, max_size=6).map(lambda x: tuple(sorted(set(x))))


@st.composite
def records(draw, rich=True, types=None):
    name = draw(name_strategy(rich))
    t = draw(st.sampled_from(types or [TYPE_A, TYPE_AAAA, TYPE_PTR, TYPE_SRV, TYPE_TXT, TYPE_NSEC, 99]))
    ttl = draw(st.sampled_from([0, 1, 10, 120, 4500, 0xFFFFFFFF]))
    flush = draw(st.booleans())
    if t == TYPE_A:
        data = draw(ipv4)
    elif t == TYPE_AAAA:
        data = draw(ipv6)
    elif t == TYPE_PTR:
        data = draw(name_strategy(rich))
    elif t == TYPE_SRV:
        data = (draw(st.integers(0, 65535)), draw(st.integers(0, 65535)), draw(st.integers(0, 65535)), draw(name_strategy(rich)))
    elif t == TYPE_TXT:
        data = draw(txt_dicts)
    elif t == TYPE_NSEC:
        data = (name, draw(nsec_types))
    else:
        data = draw(st.binary(max_size=40))
    return Record(name, t, data, ttl, flush)


@st.composite
def questions(draw, rich=True):
    return Question(
        draw(name_strategy(rich)),
        draw(st.sampled_from([TYPE_A, TYPE_AAAA, TYPE_PTR, TYPE_SRV, TYPE_TXT, TYPE_ANY])),
        draw(st.booleans()),
    )


@st.composite
def messages(draw, rich=True, types=None, max_records=8):
    response = draw(st.booleans())
    recs = lambda n: st.lists(records(rich, types), max_size=n)
    return Message(
        draw(st.integers(0, 65535)),
        (FLAG_QR | FLAG_AA) if response else 0,
        draw(st.lists(questions(rich), max_size=3)),
        draw(recs(max_records)),
        draw(recs(3)),
        draw(recs(max_records)),
    )


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
    query = not msg.flags & FLAG_QR and msg.answers
    for i, d in enumerate(ds):
        assert d.truncated == bool(query and i < len(ds) - 1)
    same_records(sum([d.answers for d in ds], []), msg.answers)
    same_records(sum([d.authorities for d in ds], []), msg.authorities)
    same_records(sum([d.additionals for d in ds], []), msg.additionals)
    assert sum([len(d.questions) for d in ds]) == len(msg.questions)
    # Greedy: the first entry of each packet did not fit in the one before. That entry
    # takes at most len(next) - 12 bytes there (it can only compress better), so two
    # neighbours could never have been one packet.
    assert all(len(a) + len(b) - 12 > max_size for a, b in zip(pkts, pkts[1:])), [len(p) for p in pkts]


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
