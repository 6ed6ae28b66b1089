"""The datagrams of the flood (issue 13, scenario 3), built with our codec: a cycle of 100
in which 20 are queries for the responder's names and 80 are other hosts' traffic,
malformed packets and huge known-answer lists.

Ours (per 100): 6 QM A (unique: answered at once, s6), 4 QM PTR of the service type
(shared: 20-120 ms, s6), 3 QM SRV+TXT of the instance (unique), 3 PTR queries of a second
type listing our own PTR as a known answer at full TTL (must be suppressed, s7.1),
2 legacy unicast A queries (from another port: answered by unicast each time, s6.7),
2 PTR queries of the service type with 40 other known answers and TC set (s7.2:
answered once the querier's packets end, within 400-500 ms).
Others: 30 queries for other hosts' names, 30 other hosts' announcements, 10 malformed,
10 huge known-answer lists for another type (some with TC)."""
import random

from mdns import wire
from mdns.wire import FLAG_AA, FLAG_QR, FLAG_TC, Question, Record, TYPE_A, TYPE_PTR, TYPE_SRV, TYPE_TXT

OURS = (("a", 6), ("ptr", 4), ("srv", 3), ("ka", 3), ("legacy", 2), ("tc", 2))
OTHERS = (("q_other", 30), ("ann_other", 30), ("malformed", 10), ("ka_other", 10))


class Names:
    def __init__(self, host, stype, inst, ka_type, ka_inst):
        self.host = host + ".local"
        self.ptr = stype + ".local"
        self.inst = inst + "." + self.ptr
        self.ka_ptr = ka_type + ".local"
        self.ka_inst = ka_inst + "." + self.ka_ptr

    def record_of(self, cat):
        """(name, type) whose multicast answers the category's query."""
        return {"a": (self.host, TYPE_A), "ptr": (self.ptr, TYPE_PTR), "srv": (self.inst, TYPE_SRV),
                "ka": (self.ka_ptr, TYPE_PTR), "tc": (self.ptr, TYPE_PTR)}.get(cat)


def _q(questions, known=(), flags=0, qid=0):
    return wire.encode(wire.Message(qid, flags, questions, known))[0]


def _others_ptrs(rng, ptr, n):
    return [Record(ptr, TYPE_PTR, "Other %d.%s" % (rng.randrange(100000), ptr), ttl=4500) for _ in range(n)]


def _malformed(rng, good):
    k = rng.randrange(6)
    if k == 0:
        return good[:rng.randrange(12, len(good))]  # truncated
    if k == 1:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 600)))  # noise
    if k == 2:  # a compression pointer to itself
        return b"\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\xc0\x0c\x00\x01\x00\x01"
    if k == 3:  # counts far beyond the data
        return b"\x00\x00\x84\x00\xff\xff\xff\xff\xff\xff\xff\xff" + good[12:40]
    if k == 4:  # a label length past the end
        return b"\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x3f" + b"a" * 10
    b = bytearray(good)  # bit flips
    for _ in range(4):
        b[rng.randrange(12, len(b))] ^= 1 << rng.randrange(8)
    return bytes(b)


def build(names, seed=1, cycles=20):
    """[(category, datagram, legacy)]: `cycles` shuffled cycles of 100 datagrams."""
    rng = random.Random(seed)
    n = names
    ka_rec = Record(n.ka_ptr, TYPE_PTR, n.ka_inst, ttl=4500)
    other_type = "_http._tcp.local"
    out = []
    for c in range(cycles):
        cyc = []
        for cat, k in OURS + OTHERS:
            for j in range(k):
                legacy = False
                if cat == "a":
                    d = _q([Question(n.host, TYPE_A)])
                elif cat == "ptr":
                    d = _q([Question(n.ptr, TYPE_PTR)])
                elif cat == "srv":
                    d = _q([Question(n.inst, TYPE_SRV), Question(n.inst, TYPE_TXT)])
                elif cat == "ka":
                    d = _q([Question(n.ka_ptr, TYPE_PTR)], [ka_rec])
                elif cat == "legacy":
                    d = _q([Question(n.host, TYPE_A)], qid=rng.randrange(1, 65536))
                    legacy = True
                elif cat == "tc":
                    d = _q([Question(n.ptr, TYPE_PTR)], _others_ptrs(rng, n.ptr, 40), FLAG_TC)
                elif cat == "q_other":
                    h = "host%d.local" % rng.randrange(1000)
                    d = _q([Question(h, rng.choice((TYPE_A, TYPE_PTR, TYPE_SRV)))])
                elif cat == "ann_other":
                    i = rng.randrange(1000)
                    inst = "Device %d.%s" % (i, other_type)
                    h = "dev%d.local" % i
                    d = wire.encode(wire.Message(0, FLAG_QR | FLAG_AA, (), [
                        Record(other_type, TYPE_PTR, inst, ttl=4500),
                        Record(inst, TYPE_SRV, (0, 0, 80, h), ttl=120, cache_flush=True),
                        Record(inst, TYPE_TXT, {"id": str(i), "pad": "x" * rng.randrange(200)}, ttl=4500,
                               cache_flush=True),
                        Record(h, TYPE_A, "10.9.%d.%d" % (i // 250, i % 250 + 1), ttl=120, cache_flush=True)]))[0]
                elif cat == "malformed":
                    d = _malformed(rng, _q([Question(n.host, TYPE_A)]))
                else:  # ka_other: a browser of another type with a full cache
                    d = _q([Question(other_type, TYPE_PTR)], _others_ptrs(rng, other_type, 40),
                           FLAG_TC if rng.random() < 0.5 else 0)
                cyc.append((cat, d, legacy))
        rng.shuffle(cyc)
        out.extend(cyc)
    return out
