"""python-zeroconf 0.154 is the oracle (test dependency only; its code is LGPL and is not copied):
packets our encoder makes parse with zeroconf.DNSIncoming to the same records, and packets
zeroconf.DNSOutgoing builds (with its own compression) decode with ours to the same records."""
import ipaddress

from hypothesis import given, settings, strategies as st

import pytest
import zeroconf  # pinned in requirements-test.txt: missing means a broken venv, which must fail
from zeroconf import DNSAddress, DNSIncoming, DNSNsec, DNSOutgoing, DNSPointer, DNSQuestion, DNSService, DNSText

from mdns import names
from mdns.wire import (
    FLAG_AA, FLAG_QR, TYPE_A, TYPE_AAAA, TYPE_ANY, TYPE_NSEC, TYPE_PTR, TYPE_SRV, TYPE_TXT, Message, Question, Record,
    decode, encode,
)

from test_wire_props import messages

KNOWN = [TYPE_A, TYPE_AAAA, TYPE_PTR, TYPE_SRV, TYPE_TXT, TYPE_NSEC]


def test_oracle_version():
    assert zeroconf.__version__ == "0.154.0"


def _plain(name):
    # zeroconf joins labels with "." and adds a final dot; compare label text.
    return ".".join(names.split(name)).lower()


def _zc_name(n):
    assert n.endswith(".")
    return n[:-1].lower()


def ours_to_plain(r):
    t = r.type
    if t in (TYPE_A, TYPE_AAAA):
        data = ipaddress.ip_address(r.data).packed  # stdlib parses our text
    elif t == TYPE_PTR:
        data = _plain(r.data)
    elif t == TYPE_SRV:
        data = r.data[:3] + (_plain(r.data[3]),)
    elif t == TYPE_TXT:
        data = r.rdata()
    elif t == TYPE_NSEC:
        data = (_plain(r.data[0]), tuple(r.data[1]))
    else:
        data = r.rdata()
    return (_plain(r.name), t, r.cls, bool(r.cache_flush), r.ttl, data)


def zc_to_plain(r):
    if isinstance(r, DNSAddress):
        data = bytes(r.address)
    elif isinstance(r, DNSPointer):
        data = _zc_name(r.alias)
    elif isinstance(r, DNSService):
        data = (r.priority, r.weight, r.port, _zc_name(r.server))
    elif isinstance(r, DNSText):
        data = r.text
    elif isinstance(r, DNSNsec):
        data = (_zc_name(r.next_name), tuple(sorted(r.rdtypes)))
    else:
        raise AssertionError("unexpected zeroconf record %r" % r)
    return (_zc_name(r.name), r.type, r.class_, bool(r.unique), r.ttl, data)


def zc_question(q):
    return (_zc_name(q.name), q.type, q.class_, bool(q.unicast))


def our_question(q):
    return (_plain(q.name), q.type, q.cls, bool(q.unicast))


def check_zeroconf_reads(msg, max_size=1460):
    pkts = encode(msg, max_size)
    got_q, got_r = [], []
    for i, p in enumerate(pkts):
        inc = DNSIncoming(p)
        assert inc.valid, "zeroconf rejected packet %d: %r" % (i, p)
        assert inc.flags & ~0x0200 == msg.flags & ~0x0200
        got_q += [zc_question(q) for q in inc.questions]
        got_r += [zc_to_plain(r) for r in inc.answers()]
    want_r = [ours_to_plain(r) for r in msg.answers + msg.authorities + msg.additionals if r.type in KNOWN]
    assert got_q == [our_question(q) for q in msg.questions]
    # zeroconf returns answers, authorities and additionals in one list, per packet in order
    assert got_r == want_r
    return pkts


def test_fixed_announcement_read_by_zeroconf():
    inst = "Kitchen Cam._http._tcp.local"
    msg = Message(
        0,
        FLAG_QR | FLAG_AA,
        answers=[
            Record("_http._tcp.local", TYPE_PTR, inst, 4500),
            Record("_api._sub._http._tcp.local", TYPE_PTR, inst, 4500),
            Record(inst, TYPE_SRV, (0, 0, 8080, "kitchen.local"), 120, True),
            Record(inst, TYPE_TXT, {"path": b"/", "ro": None, "empty": b""}, 4500, True),
            Record("kitchen.local", TYPE_A, "10.0.0.5", 120, True),
            Record("kitchen.local", TYPE_AAAA, "fd77::5", 120, True),
            Record("5.0.0.10.in-addr.arpa", TYPE_PTR, "kitchen.local", 120, True),
        ],
        additionals=[Record("kitchen.local", TYPE_NSEC, ("kitchen.local", (TYPE_A, TYPE_AAAA)), 120, True)],
    )
    check_zeroconf_reads(msg)


def test_fixed_query_read_by_zeroconf():
    msg = Message(
        0,
        0,
        questions=[Question("_http._tcp.local", TYPE_PTR, True), Question("kitchen.local", TYPE_ANY)],
        answers=[Record("_http._tcp.local", TYPE_PTR, "A._http._tcp.local", 4500)],
        authorities=[Record("kitchen.local", TYPE_A, "10.0.0.5", 120)],
    )
    check_zeroconf_reads(msg)


def test_split_query_read_by_zeroconf():
    kas = [Record("_http._tcp.local", TYPE_PTR, "svc %03d._http._tcp.local" % i, 4500) for i in range(150)]
    msg = Message(0, 0, questions=[Question("_http._tcp.local", TYPE_PTR)], answers=kas)
    pkts = check_zeroconf_reads(msg)
    assert len(pkts) > 1
    flags = [DNSIncoming(p).flags & 0x0200 for p in pkts]
    assert flags == [0x0200] * (len(pkts) - 1) + [0]
    assert all(DNSIncoming(p).truncated for p in pkts[:-1])


@settings(max_examples=300, deadline=None)
@given(messages(rich=True, types=KNOWN))
def test_our_packets_read_by_zeroconf(msg):
    check_zeroconf_reads(msg)


@settings(max_examples=50, deadline=None)
@given(messages(rich=False, types=KNOWN, max_records=60))
def test_our_split_packets_read_by_zeroconf(msg):
    check_zeroconf_reads(msg, max_size=400)


# ---- direction 2: zeroconf builds, we decode ----
def to_zc(r):
    n = names.join(names.split(r.name)) + "."
    cls = r.cls | (0x8000 if r.cache_flush else 0)
    t = r.type
    if t == TYPE_A or t == TYPE_AAAA:
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


def check_we_read_zeroconf(msg):
    # zeroconf's add_authorative_answer takes PTR records only
    msg.authorities = [r for r in msg.authorities if r.type == TYPE_PTR]
    # multicast=True keeps the QU and cache-flush bits; zeroconf then writes id 0 (RFC 6762 s18.1)
    msg.id = 0
    out = DNSOutgoing(msg.flags, multicast=True)
    for q in msg.questions:
        out.add_question(DNSQuestion(q.name + ".", q.type, q.cls | (0x8000 if q.unicast else 0)))
    for r in msg.answers:
        out.add_answer_at_time(to_zc(r), 0)
    for r in msg.authorities:
        out.add_authorative_answer(to_zc(r))
    for r in msg.additionals:
        out.add_additional_answer(to_zc(r))
    pkts = out.packets()
    got = Message()
    for p in pkts:
        d = decode(p)
        assert d.id == msg.id
        got.questions += d.questions
        got.answers += d.answers
        got.authorities += d.authorities
        got.additionals += d.additionals
    assert [our_question(q) for q in got.questions] == [our_question(q) for q in msg.questions]
    for want, have in ((msg.answers, got.answers), (msg.authorities, got.authorities), (msg.additionals, got.additionals)):
        assert have == want  # Record equality: folded name, type, class, canonical rdata
        assert [(r.name, r.ttl, r.cache_flush, r.data if r.type != TYPE_TXT else r.rdata()) for r in have] == [
            (r.name, r.ttl, r.cache_flush, r.data if r.type != TYPE_TXT else r.rdata()) for r in want
        ]
    return pkts


def test_zeroconf_announcement_decoded():
    inst = "Kitchen Cam._http._tcp.local"
    msg = Message(
        0,
        FLAG_QR | FLAG_AA,
        answers=[
            Record("_http._tcp.local", TYPE_PTR, inst, 4500),
            Record(inst, TYPE_SRV, (0, 0, 80, "kitchen.local"), 120, True),
            Record(inst, TYPE_TXT, {"path": b"/"}, 4500, True),
            Record("kitchen.local", TYPE_A, "10.0.0.5", 120, True),
            Record("kitchen.local", TYPE_AAAA, "fd77::5", 120, True),
        ],
        additionals=[Record("kitchen.local", TYPE_NSEC, ("kitchen.local", (TYPE_A, TYPE_AAAA)), 120, True)],
    )
    (pkt,) = check_we_read_zeroconf(msg)
    assert pkt.count(b"\x05local") == 1  # zeroconf compressed: our decoder followed its pointers


# zeroconf splits names on "." so labels with dots cannot be expressed there: plain labels (UTF-8 ok).
_zc_label = st.text(alphabet=st.characters(blacklist_categories=("Cs",), min_codepoint=0x20, blacklist_characters=".\\"), min_size=1, max_size=30).filter(lambda s: len(s.encode()) <= 63)


@settings(max_examples=300, deadline=None)
@given(messages(rich=False, types=KNOWN))
def test_zeroconf_packets_decoded(msg):
    check_we_read_zeroconf(msg)


@settings(max_examples=100, deadline=None)
@given(st.lists(_zc_label, min_size=1, max_size=20), st.integers(1, 65535))
def test_zeroconf_utf8_instances_decoded(labels, port):
    recs = []
    for lab in labels:
        inst = names.instance(lab, "_http._tcp.local")
        recs.append(Record("_http._tcp.local", TYPE_PTR, inst, 4500))
        recs.append(Record(inst, TYPE_SRV, (0, 0, port, "host.local"), 120, True))
    check_we_read_zeroconf(Message(0, FLAG_QR | FLAG_AA, answers=recs))


# ---- real traffic: tests/corpus/{avahi,zeroconf}.hex (captured on the testbed LAN) ----
import os  # noqa: E402

CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "corpus")


def corpus_packets(name):
    out = []
    with open(os.path.join(CORPUS, name)) as f:
        for n, line in enumerate(f):
            line = line.split("#", 1)[0].strip()
            if line:
                out.append(("%s:%d" % (name, n + 1), bytes.fromhex(line.replace(" ", ""))))
    return out


REAL = corpus_packets("avahi.hex") + corpus_packets("zeroconf.hex")


def test_real_corpus_present():
    assert len(REAL) > 100  # Avahi 0.8 and python-zeroconf 0.154 datagrams


@pytest.mark.parametrize("pkt", [p for _, p in REAL], ids=[i for i, _ in REAL])
def test_real_packets_decode_like_zeroconf(pkt):
    ours = decode(pkt)
    inc = DNSIncoming(pkt)
    assert inc.valid
    assert (ours.id, ours.flags) == (inc.id, inc.flags)
    assert [our_question(q) for q in ours.questions] == [zc_question(q) for q in inc.questions]
    want = [zc_to_plain(r) for r in inc.answers()]
    got = [ours_to_plain(r) for r in ours.records() if r.type in KNOWN]
    assert got == want
    # and what we decoded encodes back to records that decode the same
    again = decode(encode(ours, 9000)[0])
    assert again.records() == ours.records()
