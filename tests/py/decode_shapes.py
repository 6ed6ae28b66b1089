"""Well-formed datagrams of the shapes that once made decode cost grow faster than the
packet (issue 15), and a typical announcement of the same size to compare them with.
Shared by tests/py/test_decode_cost.py and tools/bench/bench_shapes.py."""
import struct

from mdns import wire
from mdns.wire import Message, Record

HOPS = 16  # MDF_MAX_HOPS: the longest chain a name may follow


def _hdr(qd=0, an=0, flags=0x8400):
    return struct.pack(">HHHHHH", 0, flags, qd, an, 0, 0)


def _rr(owner, t, rdata, ttl=120):
    return owner + struct.pack(">HHIH", t, 1, ttl, len(rdata)) + rdata


def _chain(body, n):
    """n names at the start of body (offset 12 + len(body) on): the first literal,
    each next one a label and a pointer to the one before: the last takes n-1 hops.
    Returns (body, offset of the last name)."""
    at = 12 + len(body)
    body += b"\x04host\x05local\x00" + b"\x00\x01\x00\x01"
    for _ in range(n - 1):
        here = 12 + len(body)
        body += b"\x01a" + struct.pack(">H", 0xC000 | at) + b"\x00\x01\x00\x01"
        at = here
    return body, at


def questions_on_a_long_chain(size):
    """Questions whose name is a pointer to a name that takes 15 hops: 16 each."""
    body, last = _chain(b"", HOPS)
    q = struct.pack(">H", 0xC000 | last) + b"\x00\x01\x00\x01"
    n = (size - 12 - len(body)) // len(q)
    return _hdr(qd=HOPS + n, flags=0) + body + q * n


def cnames_on_a_long_chain(size):
    """CNAME answers whose owner and target are pointers to that 16-hop name."""
    body, last = _chain(b"", HOPS)
    ptr = struct.pack(">H", 0xC000 | last)
    r = _rr(ptr, 5, ptr)
    n = (size - 12 - len(body)) // len(r)
    return _hdr(qd=HOPS, an=n) + body + r * n


def nsec_full_windows(size):
    """One NSEC whose type bitmap has every window full (RFC 4034 s4.1.2)."""
    owner = b"\x04host\x05local\x00"
    room = size - 12 - len(owner) - 10 - 2  # next name: a pointer to the owner
    wins = min(256, room // 34)
    bitmap = b"".join(bytes((w, 32)) + b"\xff" * 32 for w in range(wins))
    return _hdr(an=1) + _rr(owner, wire.TYPE_NSEC, b"\xc0\x0c" + bitmap)


def txt_many_keys(size):
    """One TXT record holding as many distinct short keys as fit."""
    owner = b"\x04host\x05local\x00"
    room = size - 12 - len(owner) - 10
    out = bytearray()
    i = 0
    while True:
        k = b"k%x=1" % i
        if len(out) + 1 + len(k) > room:
            break
        out.append(len(k))
        out += k
        i += 1
    return _hdr(an=1) + _rr(owner, wire.TYPE_TXT, bytes(out))


SHAPES = {
    "questions on a 16-hop name": questions_on_a_long_chain,
    "CNAMEs on a 16-hop name": cnames_on_a_long_chain,
    "NSEC, every window full": nsec_full_windows,
    "TXT, many distinct keys": txt_many_keys,
}


def typical_announcement(size):
    """A responder's announcement (PTR, SRV, TXT, A, AAAA per service, names compressed)
    grown to at most `size` bytes."""
    best = None
    n = 1
    while True:
        recs = []
        for i in range(n):
            inst = "Kitchen Cam %d._http._tcp.local" % i
            host = "cam-%d.local" % i
            recs += [Record("_http._tcp.local", wire.TYPE_PTR, inst, 4500),
                     Record(inst, wire.TYPE_SRV, (0, 0, 80, host), 120, True),
                     Record(inst, wire.TYPE_TXT, {"path": "/", "vers": "1.2", "model": "esp32"}, 4500, True),
                     Record(host, wire.TYPE_A, "10.0.0.%d" % (i + 2), 120, True),
                     Record(host, wire.TYPE_AAAA, "fd77::%x" % (i + 2), 120, True)]
        pkt = wire.encode(Message(0, 0x8400, answers=recs), 9000)[0]
        if len(pkt) > size:
            return best
        best = pkt
        n += 1
