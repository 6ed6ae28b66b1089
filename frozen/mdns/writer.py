# The encoding half of mdns.wire (docs/design.md, "mdns.wire"): Writer builds one
# outgoing packet, names compressed per RFC 1035 s4.1.4 (also in PTR, SRV and NSEC
# rdata, RFC 6762 s18.14) with the QU and cache-flush bits of RFC 6762 s18; encode
# splits a message over packets of at most MAX_PAYLOAD (s17), TC set on all but the
# last of a query's known-answer packets (s7.2).
#
# wire imports this module at its end and re-exports Writer and encode: wire is then
# already in sys.modules with every name used below defined (CPython and MicroPython
# alike). _f is the backend as a global here too: wire.use() sets it in both modules,
# so writing a name costs one global lookup, as before the split.
# Reach it through mdns.wire (wire.Writer, wire.encode): importing mdns.writer before
# mdns.wire is a circular ImportError.
import struct
from array import array

from . import names
from .wire import (
    _MAX_STARTS,
    FLAG_QR,
    FLAG_TC,
    MAX_PAYLOAD,
    TYPE_NSEC,
    TYPE_PTR,
    TYPE_SRV,
    _f,
    _nsec_bitmap,
    _what,
)

_wcache = {}  # name -> wire form: a responder writes the same few names again and again


def _to_wire(name):
    w = _wcache.get(name)
    if w is None:
        w = names.to_wire(name)
        if len(_wcache) >= 24:
            _wcache.clear()
        _wcache[name] = w
    return w


class Writer:
    """Builds one packet. Sections must be filled in order: questions, answers,
    authorities, additionals. add_* returns False, with nothing written, when
    the entry does not fit in max_size; invalid data raises ValueError."""

    def __init__(self, id=0, flags=0, max_size=MAX_PAYLOAD):
        if max_size < 12:
            raise ValueError("max_size: %d is smaller than a header" % max_size)
        self.buf = bytearray(max_size)
        self._mv = memoryview(self.buf)  # packet() slices it: no view per packet
        self.counts = [0, 0, 0, 0]
        self._starts = array("H", bytes(2 * _MAX_STARTS))  # raw zero bytes: no temporary list
        self._log = []
        self._found = None
        self.reset(id, flags, max_size)

    def reset(self, id=0, flags=0, max_size=None):
        """Start a new packet in the same buffers (no allocation when max_size,
        default: unchanged, is not larger than any size this Writer had). A
        packet() taken before stays valid. Returns self."""
        if max_size is None:
            max_size = self.max_size
        elif max_size < 12:
            raise ValueError("max_size: %d is smaller than a header" % max_size)
        if max_size > len(self.buf):
            self.buf = bytearray(max_size)
            self._mv = memoryview(self.buf)
        self.id = id
        self.flags = flags
        self.max_size = max_size
        self.pos = 12
        c = self.counts
        c[0] = c[1] = c[2] = c[3] = 0
        self._sec = 0
        self._n = 0
        # With the pure-Python backend, keep design.md's suffix table as it
        # grows (same bytes as write_name, without re-reading every name).
        if hasattr(_f, "table_write"):
            if self._found is None:
                self._found = {}
            else:
                self._found.clear()
        else:
            self._found = None
        self._log.clear()  # clear(), not del [:]: no slice object on MicroPython
        return self

    def count(self):
        c = self.counts
        return c[0] + c[1] + c[2] + c[3]

    def size(self):
        return self.pos

    def _name(self, wire):
        p = self.pos
        found = self._found
        if found is None:
            self.pos = _f.write_name(self.buf, p, wire, self._starts, self._n)
        else:
            self.pos = _f.table_write(self.buf, p, wire, found)
        if self.pos > self.max_size:  # the buffer may be larger (reset to a smaller size)
            raise ValueError("no room")
        # Remember names that wrote labels (a bare pointer adds nothing new).
        if self._n < _MAX_STARTS and p < 0x4000 and self.buf[p] < 0xC0 and self.buf[p] != 0:
            self._starts[self._n] = p
            self._n += 1
            if found is not None:
                _f.table_add(self.buf, self.pos, p, found, self._log, wire)

    def _begin(self):
        self._log.clear()

    def _undo(self, p, n):
        self.pos, self._n = p, n
        if self._found is not None:
            for k in self._log:
                del self._found[k]
        self._log.clear()

    def _room(self, k):
        if self.pos + k > self.max_size:
            raise ValueError("no room")

    def _enter(self, sec):
        if sec < self._sec:
            raise ValueError("wire: entries must be added in order: questions, answers, authorities, additionals")

    def add_question(self, q):
        self._enter(0)
        wire = _to_wire(q.name)
        p = self.pos  # where to undo to (no tuple per entry)
        n = self._n
        self._begin()
        try:
            self._name(wire)
            self._room(4)
            struct.pack_into(">HH", self.buf, self.pos, q.type, (q.cls & 0x7FFF) | (0x8000 if q.unicast else 0))
            self.pos += 4
        except ValueError as e:
            self._undo(p, n)
            if e.args and e.args[0] == "no room":
                return False
            raise
        self.counts[0] += 1
        return True

    def _record(self, sec, r):
        self._enter(sec)
        wire = _to_wire(r.name)
        t = r.type
        if not 0 <= r.ttl <= 0xFFFFFFFF:
            raise ValueError("%s: ttl %r out of range" % (_what(t, r.name), r.ttl))
        # Compute what can fail on bad data before touching the buffer.
        d = r.data
        if t == TYPE_PTR:
            target = _to_wire(d)
        elif t == TYPE_SRV:
            target = _to_wire(d[3])
        elif t == TYPE_NSEC:
            target = _to_wire(d[0])
            tail = getattr(r, "_nb", None)  # the bitmap, kept on the record (immutable)
            if tail is None:
                tail = _nsec_bitmap(d[1])  # raises for types past window 0
                r._nb = tail
        else:
            rd = r.rdata()
            if len(rd) > 0xFFFF:
                raise ValueError("%s: rdata over 65535 bytes" % _what(t, r.name))
        p = self.pos  # where to undo to (no tuple per entry)
        n = self._n
        self._begin()
        try:
            self._name(wire)
            self._room(10)
            cls = (r.cls & 0x7FFF) | (0x8000 if r.cache_flush else 0)
            struct.pack_into(">HHI", self.buf, self.pos, t, cls, r.ttl)
            lp = self.pos + 8
            self.pos += 10
            if t == TYPE_PTR:
                self._name(target)
            elif t == TYPE_SRV:
                self._room(6)
                struct.pack_into(">HHH", self.buf, self.pos, d[0], d[1], d[2])
                self.pos += 6
                self._name(target)
            elif t == TYPE_NSEC:
                self._name(target)
                self._room(len(tail))
                self.buf[self.pos : self.pos + len(tail)] = tail
                self.pos += len(tail)
            else:
                self._room(len(rd))
                self.buf[self.pos : self.pos + len(rd)] = rd
                self.pos += len(rd)
            ln = self.pos - lp - 2
            self.buf[lp] = ln >> 8
            self.buf[lp + 1] = ln & 0xFF
        except ValueError as e:
            self._undo(p, n)
            if e.args and e.args[0] == "no room":
                return False
            raise
        self._sec = sec
        self.counts[sec] += 1
        return True

    def add_answer(self, r):
        return self._record(1, r)

    def add_authority(self, r):
        return self._record(2, r)

    def add_additional(self, r):
        return self._record(3, r)

    def packet(self):
        c = self.counts
        struct.pack_into(">HHHHHH", self.buf, 0, self.id, self.flags, c[0], c[1], c[2], c[3])
        return bytes(self._mv[: self.pos])  # one copy, not two


def encode(msg, max_size=MAX_PAYLOAD):
    """Packets for msg, split where it does not fit in max_size.

    Questions go first (continuation packets carry only records). A query
    (QR=0) with known answers split over several packets has TC set on all but
    the last: its known answers continue in the next packet (RFC 6762 s7.2).
    """
    out = []
    w = Writer(msg.id, msg.flags, max_size)
    for q in msg.questions:
        if not w.add_question(q):
            if w.count() == 0:
                raise ValueError("question %r does not fit in %d bytes" % (q.name, max_size))
            out.append(w)
            w = Writer(msg.id, msg.flags, max_size)
            if not w.add_question(q):
                raise ValueError("question %r does not fit in %d bytes" % (q.name, max_size))
    for sec, recs in ((1, msg.answers), (2, msg.authorities), (3, msg.additionals)):
        for r in recs:
            if not w._record(sec, r):
                if w.count() == 0:
                    raise ValueError("%s does not fit in %d bytes" % (_what(r.type, r.name), max_size))
                out.append(w)
                w = Writer(msg.id, msg.flags, max_size)
                if not w._record(sec, r):
                    raise ValueError("%s does not fit in %d bytes" % (_what(r.type, r.name), max_size))
    out.append(w)
    if not msg.flags & FLAG_QR and msg.answers:
        # s7.2: more known answers follow; a query without known answers whose
        # questions alone fill several packets is sent as independent queries
        for x in out[:-1]:
            x.flags |= FLAG_TC
    return [x.packet() for x in out]
