# MicroPython case (also imported by tests/py/test_wire.py and run on CPython):
# the codec vectors tests/vectors/wire_*.json through mdns.wire, names, addr,
# txt and servicetype. Plain-data forms of messages are defined here once.
import binascii
import json

from mdns import addr, names, rdnames, servicetype, txt, wire

try:
    VECTORS_DIR  # set by the MicroPython harness (tests/mpy/mpytest.py)
except NameError:
    VECTORS_DIR = "tests/vectors"
try:
    from mpytest import CORPUS_DIR  # the harness's copy of tests/corpus
except ImportError:
    CORPUS_DIR = "tests/corpus"


def h(b):
    return binascii.hexlify(bytes(b)).decode()


def uh(s):
    return binascii.unhexlify(s)


# ---- plain (JSON) forms ----
def data_to_plain(t, r):
    d = r.data
    if t == wire.TYPE_SRV:
        return [d[0], d[1], d[2], d[3]]
    if t == wire.TYPE_TXT:
        items = {}
        pairs = [(k, d[k]) for k in d] if isinstance(d, dict) else d  # encoding input: pairs
        for k, v in pairs:
            items[k] = None if v is None else h(v)
        return {"rdata": h(r.rdata()), "txt": items}
    if t == wire.TYPE_NSEC:
        return [d[0], list(d[1])]
    if t in (wire.TYPE_A, wire.TYPE_AAAA, wire.TYPE_PTR):
        return d
    if t in rdnames.LAYOUT:  # other types holding names: a name or a list of fields
        return d if isinstance(d, str) else list(d)
    return h(d)


def record_to_plain(r):
    return [r.name, r.type, r.cls, 1 if r.cache_flush else 0, r.ttl, data_to_plain(r.type, r)]


def msg_to_plain(m):
    return {
        "id": m.id,
        "flags": m.flags,
        "qd": [[q.name, q.type, q.cls, 1 if q.unicast else 0] for q in m.questions],
        "an": [record_to_plain(r) for r in m.answers],
        "ns": [record_to_plain(r) for r in m.authorities],
        "ar": [record_to_plain(r) for r in m.additionals],
    }


def plain_to_record(p):
    name, t, cls, flush, ttl, d = p
    if t == wire.TYPE_SRV:
        d = (d[0], d[1], d[2], d[3])
    elif t == wire.TYPE_TXT:
        # encoding input: a list of [key, hex or null] pairs (order kept)
        d = [(k, None if v is None else uh(v)) for k, v in d]
    elif t == wire.TYPE_NSEC:
        d = (d[0], tuple(d[1]))
    elif t in rdnames.LAYOUT:
        d = d if isinstance(d, str) else tuple(d)
    elif t not in (wire.TYPE_A, wire.TYPE_AAAA, wire.TYPE_PTR):
        d = uh(d)
    return wire.Record(name, t, d, ttl, bool(flush), cls)


def plain_to_msg(d):
    return wire.Message(
        d["id"],
        d["flags"],
        [wire.Question(q[0], q[1], bool(q[3]), q[2]) for q in d["qd"]],
        [plain_to_record(p) for p in d["an"]],
        [plain_to_record(p) for p in d["ns"]],
        [plain_to_record(p) for p in d["ar"]],
    )


def load(name):
    with open(VECTORS_DIR + "/" + name) as f:
        return json.load(f)["cases"]


def error_of(fn, *args):
    try:
        fn(*args)
    except ValueError as e:
        return str(e.args[0]) if e.args else ""
    return None


def _check(fails, what, got, want):
    if got != want:
        fails.append("%s: got %r, want %r" % (what, got, want))


# ---- the vectors ----
def run_decode_case(c):
    """None when case c of wire_decode.json passes, else what went wrong."""
    pkt = uh(c["hex"])
    try:
        got = msg_to_plain(wire.decode(pkt))
    except ValueError as e:
        if "error" in c:
            return None if str(e.args[0]) == c["error"] else "error %r, want %r" % (e.args[0], c["error"])
        return "unexpected ValueError %r" % (e.args[0],)
    if "error" in c:
        return "decoded, want error %r" % c["error"]
    want = c["expect"]
    for k in ("id", "flags", "qd", "an", "ns", "ar"):
        if got[k] != want[k]:
            return "%s: got %r, want %r" % (k, got[k], want[k])
    return None


def test_decode_vectors():
    fails = []
    cases = load("wire_decode.json")
    for c in cases:
        r = run_decode_case(c)
        if r:
            fails.append(c["id"] + ": " + r)
    assert not fails, "; ".join(fails)
    assert len(cases) >= 40, len(cases)


def test_encode_vectors():
    fails = []
    cases = load("wire_encode.json")
    for c in cases:
        msg = plain_to_msg(c["message"])
        try:
            pkts = [h(p) for p in wire.encode(msg, c["max_size"])]
        except ValueError as e:
            _check(fails, c["id"], "ValueError: " + str(e.args[0]), c.get("error"))
            continue
        _check(fails, c["id"], pkts, c.get("packets"))
        # and what we wrote decodes to the records we gave
        got = []
        for p in pkts:
            got += wire.decode(uh(p)).records()
        _check(fails, c["id"] + " records", got, msg.records())
    assert not fails, "; ".join(fails)
    assert len(cases) >= 8, len(cases)


_MODULES = {"names": names, "addr": addr, "txt": txt, "servicetype": servicetype, "wire": wire}


def _arg(a):
    # {"hex": ...} stands for bytes; [[k, v], ...] pairs stay lists
    if isinstance(a, dict) and "hex" in a and len(a) == 1:
        return uh(a["hex"])
    return a


def _result(r):
    if isinstance(r, (bytes, bytearray)):
        return {"hex": h(r)}
    if isinstance(r, dict):
        out = {}
        for k in r:
            out[k] = _result(r[k])
        return out
    if isinstance(r, (list, tuple)):
        return [_result(x) for x in r]
    if isinstance(r, servicetype.ServiceType):
        return str(r)
    return r


def test_text_vectors():
    # names, addresses, TXT and service types: results and ValueError reasons
    fails = []
    cases = load("wire_text.json")
    for c in cases:
        mod, fn = c["fn"].split(".")
        f = getattr(_MODULES[mod], fn)
        args = [_arg(a) for a in c["args"]]
        if c["fn"] == "txt.encode" and isinstance(args[0], list):
            args[0] = [(k, _arg(v)) for k, v in args[0]]
        try:
            got = _result(f(*args))
        except ValueError as e:
            msg = str(e.args[0]) if e.args else ""
            if "error" not in c or c["error"] not in msg:
                fails.append("%s: ValueError %r, want %r" % (c["id"], msg, c.get("error", c.get("result"))))
            continue
        if "error" in c:
            fails.append("%s: got %r, want error %r" % (c["id"], got, c["error"]))
        elif got != c["result"]:
            fails.append("%s: got %r, want %r" % (c["id"], got, c["result"]))
    assert not fails, "; ".join(fails)
    assert len(cases) >= 50, len(cases)


def test_mutations_only_valueerror():
    # Every prefix and every single-byte change of a few valid packets: decode
    # returns a message or raises ValueError, nothing else (no IndexError, no
    # struct error, no UnicodeError) on this interpreter.
    n = 0
    for c in load("wire_decode.json"):
        if not c.get("mutate"):
            continue
        pkt = uh(c["hex"])
        for i in range(len(pkt)):
            for variant in (pkt[:i], pkt[:i] + b"\xc0" + pkt[i + 1 :], pkt[:i] + b"\xff" + pkt[i + 1 :], pkt[:i] + b"\x3f" + pkt[i + 1 :]):
                n += 1
                try:
                    wire.decode(variant)
                except ValueError:
                    pass
    assert n > 500, n


def read_corpus(name):
    out = []
    with open(CORPUS_DIR + "/" + name) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                out.append(uh(line.replace(" ", "")))
    return out


def test_real_traffic_decodes():
    # datagrams Avahi 0.8 and python-zeroconf 0.154 sent on the testbed LAN (tests/corpus)
    n = 0
    recs = 0
    fails = []
    for name in ("avahi.hex", "zeroconf.hex"):
        for i, pkt in enumerate(read_corpus(name)):
            try:
                m = wire.decode(pkt)
            except ValueError as e:
                fails.append("%s #%d: %s" % (name, i, e))
                continue
            n += 1
            recs += len(m.questions) + len(m.records())
            # our encoding of what we read decodes to the same records
            again = wire.decode(wire.encode(m, 9000)[0])
            if again.records() != m.records():
                fails.append("%s #%d: re-encoding changed the records" % (name, i))
    assert not fails, "; ".join(fails)
    assert n > 100 and recs > n, (n, recs)


def test_decode_from_receive_buffer():
    # the device reads into one bytearray and decodes a memoryview of it
    buf = bytearray(1500)
    for c in load("wire_decode.json"):
        if "expect" not in c:
            continue
        pkt = uh(c["hex"])
        buf[: len(pkt)] = pkt
        got = msg_to_plain(wire.decode(memoryview(buf)[: len(pkt)]))
        for k in ("id", "flags", "qd", "an", "ns", "ar"):
            assert got[k] == c["expect"][k], (c["id"], k, got[k])


def test_records_eq_hash():
    a = wire.Record("Kitchen.local", wire.TYPE_A, "10.0.0.1", 120, True)
    b = wire.Record("kitchen.LOCAL", wire.TYPE_A, "10.0.0.1", 0)
    assert a == b and hash(a) == hash(b)
    assert a != wire.Record("kitchen.local", wire.TYPE_A, "10.0.0.2")
    s = {a: 1}
    assert s[b] == 1


def test_decode_heap():
    # Heap bytes allocated by decoding a typical announcement (gc disabled), printed for
    # the report; the figure lives in BENCHMARKS.md, not in an assert.
    import gc

    pkt = None
    for c in load("wire_decode.json"):
        if c["id"] == "zc_announcement":
            pkt = uh(c["hex"])
    assert pkt is not None
    wire.decode(pkt)  # warm up: module-level tables exist already
    gc.collect()
    gc.disable()
    try:
        a0 = gc.mem_alloc()
        msg = wire.decode(pkt)
        a1 = gc.mem_alloc()
    finally:
        gc.enable()
    n = a1 - a0
    print("decode heap bytes: %d for %d-byte announcement with %d records (%d per record)" % (
        n, len(pkt), len(msg.records()), n // max(1, len(msg.records()))))
    assert len(msg.answers) >= 4
    assert 0 < n < 20000, n


def test_concerns_allocates_nothing():
    # the hot-path drop test (wire.concerns -> fastpy.match here) builds nothing per
    # packet once the engine's table has been seen: a packet that does not concern us
    # costs no heap
    import gc

    pkt = None
    for c in load("wire_decode.json"):
        if c["id"] == "zc_announcement":
            pkt = uh(c["hex"])
    table = names.to_wire("other.local") + names.to_wire("KITCHEN.local")
    other = names.to_wire("other.local")
    assert not wire.concerns(pkt, other)  # first call parses the table
    assert wire.concerns(pkt, table)  # (the parse of the last table is kept)
    gc.collect()
    gc.disable()
    try:
        a0 = gc.mem_alloc()
        hit = wire.concerns(pkt, table)
        hit2 = wire.concerns(pkt, table)
        a1 = gc.mem_alloc()
    finally:
        gc.enable()
    print("concerns heap bytes: %d for two calls" % (a1 - a0))
    assert hit and hit2
    assert a1 - a0 == 0, a1 - a0


def test_names_in_rdata():
    # CNAME, MX and SOA rdata names decompressed (RFC 6762 s18.14); an unknown type stays raw
    import struct

    host = b"\x04host\x05local\x00"

    def rr(t, rd):
        return b"\xc0\x0c" + struct.pack(">HHIH", t, 1, 120, len(rd)) + rd

    an = [rr(5, b"\x03www\xc0\x0c"), rr(15, b"\x00\x0a\x02mx\xc0\x0c"),
          rr(6, b"\xc0\x0c\x01h\xc0\x0c" + struct.pack(">IIIII", 7, 1, 2, 3, 4)), rr(99, b"\xc0\x0c")]
    pkt = struct.pack(">HHHHHH", 0, 0x8400, 1, len(an), 0, 0) + host + b"\x00\x01\x00\x01" + b"".join(an)
    m = wire.decode(pkt)
    assert [r.data for r in m.answers] == ["www.host.local", (10, "mx.host.local"),
                                           ("host.local", "h.host.local", 7, 1, 2, 3, 4), b"\xc0\x0c"]
    assert m.answers[0].rdata() == b"\x03www" + host
    bad = struct.pack(">HHHHHH", 0, 0x8400, 1, 1, 0, 0) + host + b"\x00\x01\x00\x01" + rr(5, b"\x03www\xc0\x40")
    try:
        wire.decode(bad)
        assert False, "decoded"
    except ValueError:
        pass
