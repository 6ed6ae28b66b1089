# The mDNS message codec (docs/design.md, "mdns.wire"): RFC 1035 s4 messages
# with the mDNS changes of RFC 6762 s18 (QU bit s5.4/s18.12, cache-flush bit
# s10.2/s18.13, name compression in rdata s18.14), TXT per RFC 6763 s6 and the
# restricted NSEC form of RFC 6762 s6.1.
#
# Names and header walking go through the backend: the mdnsfast C module when
# it is built in, else mdns.fastpy (same contract, same errors).
# Encoding (Writer, encode) lives in mdns.writer, imported back at the end of this file.
import struct
from array import array

from . import addr, names, txt
from . import rdnames as _rdn

try:
    import mdnsfast as _f
except ImportError:
    from . import fastpy as _f

TYPE_A = 1
TYPE_PTR = 12
TYPE_TXT = 16
TYPE_AAAA = 28
TYPE_SRV = 33
TYPE_NSEC = 47
TYPE_ANY = 255
CLASS_IN = 1
FLAG_QR = 0x8000
FLAG_AA = 0x0400
FLAG_TC = 0x0200
MAX_PAYLOAD = 1452  # s17: 1500-byte Ethernet MTU less IPv6 (40) and UDP (8) headers: no fragments

TYPE_NAMES = {1: "A", 12: "PTR", 16: "TXT", 28: "AAAA", 33: "SRV", 47: "NSEC", 255: "ANY",
              2: "NS", 5: "CNAME", 6: "SOA", 15: "MX", 17: "RP", 18: "AFSDB", 21: "RT", 26: "PX", 36: "KX",
              39: "DNAME"}

_MAX_STARTS = 64  # names remembered for compression per packet


def use(module):
    """Switch the name/walk backend (mdnsfast or mdns.fastpy); returns the previous one."""
    global _f, match, name_eq, native
    old = _f
    _f = module
    match = module.match
    name_eq = module.name_eq
    native = not hasattr(module, "table_add")
    _wr._f = module
    return old


def backend():
    return _f


def type_name(t):
    return TYPE_NAMES.get(t, "TYPE%d" % t)


# ---- rdata helpers ----
def _nsec_bitmap(types, restricted=True):
    # RFC 4034 s4.1.2 windows, each cut after its last non-zero byte. The
    # encoder writes the restricted form (RFC 6762 s6.1: window 0 only);
    # rdata() uses the general form so a decoded NSEC compares by content.
    out = bytearray()
    win = -1
    bm = None
    for t in sorted(types):
        if not 0 <= t < 65536 or (restricted and t > 255):
            raise ValueError("NSEC: type %d not in window 0 (restricted form, RFC 6762 s6.1)" % t)
        if t >> 8 != win:
            if bm is not None:
                out.append(win)
                out.append(len(bm))
                out.extend(bm)
            win = t >> 8
            bm = bytearray()
        i = (t & 255) >> 3
        while len(bm) <= i:
            bm.append(0)
        bm[i] |= 0x80 >> (t & 7)
    if bm is not None:
        out.append(win)
        out.append(len(bm))
        out.extend(bm)
    return bytes(out)


def _nsec_types(bm, p):
    # The types of a bitmap _nsec_canon has checked (RFC 4034 s4.1.2 windows).
    out = []
    end = len(bm)
    while p < end:
        win = bm[p]
        ln = bm[p + 1]
        p += 2
        for i in range(ln):
            b = bm[p + i]
            if b:
                for j in range(8):
                    if b & (0x80 >> j):
                        out.append((win << 8) | (i << 3) | j)
        p += ln
    return tuple(out)


def _nsec_canon(buf, p, end, name):
    # The bitmap checked (RFC 4034 s4.1.2: windows strictly increasing, 1-32 bytes
    # each) and made canonical (each window cut after its last non-zero byte, empty
    # ones left out) without listing its types: up to 8 per byte.
    out = bytearray()
    last = -1
    while p < end:
        if p + 2 > end:
            raise ValueError("%s: NSEC bitmap truncated" % _what(TYPE_NSEC, name))
        win = buf[p]
        ln = buf[p + 1]
        if ln < 1 or ln > 32:
            raise ValueError("%s: NSEC bitmap length %d (must be 1-32)" % (_what(TYPE_NSEC, name), ln))
        if win <= last:
            raise ValueError("%s: NSEC windows out of order" % _what(TYPE_NSEC, name))
        last = win
        p += 2
        if p + ln > end:
            raise ValueError("%s: NSEC bitmap truncated" % _what(TYPE_NSEC, name))
        z = p + ln
        while z > p and not buf[z - 1]:
            z -= 1
        if z > p:
            out.append(win)
            out.append(z - p)
            out.extend(buf[p:z])
        p += ln
    return bytes(out)


def _norm_data(t, data):
    # Validate and canonicalise data given by a caller (not used on decode).
    if t == TYPE_A:
        return addr.ntoa4(addr.aton4(data))
    if t == TYPE_AAAA:
        return addr.ntoa6(addr.aton6(data))
    if t == TYPE_SRV:
        if len(data) != 4:
            raise ValueError("SRV: data must be (priority, weight, port, target)")
        pr, w, port, target = data
        for v in (pr, w, port):
            if not isinstance(v, int) or not 0 <= v <= 0xFFFF:
                raise ValueError("SRV: priority, weight and port must be 0-65535, got %r" % (v,))
        return (pr, w, port, target)
    if t == TYPE_NSEC:
        nxt, types = data
        types = tuple(sorted(set(types)))
        return (nxt, types)
    if t == TYPE_PTR:
        if not isinstance(data, str):
            raise ValueError("PTR: data must be a name (str)")
        return data
    if t == TYPE_TXT:
        return data
    lay = _rdn.LAYOUT.get(t)
    if lay is not None:
        d = _rdn.check(lay, data, type_name(t))
        return data if len(lay) == 1 else d
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ValueError("%s: data must be bytes (raw rdata)" % type_name(t))
    return bytes(data)


class Question:
    def __init__(self, name, type, unicast=False, cls=CLASS_IN):
        self.name = name
        self.type = type
        self.unicast = unicast
        self.cls = cls

    def key(self):
        return (names.fold(self.name), self.type, self.cls)

    def __eq__(self, other):
        if not isinstance(other, Question):
            return False
        return self.key() == other.key() and bool(self.unicast) == bool(other.unicast)

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return hash(self.key())

    def __repr__(self):
        return "Question(%r, %s%s)" % (self.name, type_name(self.type), ", QU" if self.unicast else "")


class Record:
    """A resource record. Treat as immutable: rdata() is computed once."""

    def __init__(self, name, type, data, ttl=120, cache_flush=False, cls=CLASS_IN, _rd=None, _checked=False):
        self.name = name
        self.type = type
        self.cls = cls
        self.cache_flush = cache_flush
        self.ttl = ttl
        if not _checked:
            data = _norm_data(type, data)
        self.data = data
        self._rd = _rd
        if not _checked:
            self.rdata()  # bad names, TXT keys... fail here, at the caller's line

    def rdata(self):
        """Canonical rdata: uncompressed names, case preserved."""
        rd = self._rd
        if rd is None:
            t = self.type
            d = self.data
            if t == TYPE_A:
                rd = addr.aton4(d)
            elif t == TYPE_AAAA:
                rd = addr.aton6(d)
            elif t == TYPE_PTR:
                rd = names.to_wire(d)
            elif t == TYPE_SRV:
                rd = struct.pack(">HHH", d[0], d[1], d[2]) + names.to_wire(d[3])
            elif t == TYPE_TXT:
                rd = txt.encode(d)
            elif t == TYPE_NSEC:
                rd = names.to_wire(d[0]) + _nsec_bitmap(d[1], False)
            elif t in _rdn.LAYOUT:
                rd = _rdn.encode(_rdn.LAYOUT[t], d)
            else:
                rd = bytes(d)
            self._rd = rd
        return rd

    def key(self):
        return (names.fold(self.name), self.type, self.cls, self.rdata())

    def __eq__(self, other):
        if not isinstance(other, Record):
            return False
        return self.key() == other.key()

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return hash(self.key())

    def __repr__(self):
        return "Record(%r, %s, %r, ttl=%d%s)" % (
            self.name,
            type_name(self.type),
            self.data,
            self.ttl,
            ", cache_flush=True" if self.cache_flush else "",
        )


class _Nsec(Record):
    # A decoded NSEC: its bitmap becomes a tuple of types only when data is read
    # (rarely: s6.1 negative answers); rdata() is the canonical form already.
    def __init__(self, name, nxt, nl, ttl, c, rd):
        self.name = name
        self.type = TYPE_NSEC
        self.cls = c & 0x7FFF
        self.cache_flush = bool(c & 0x8000)
        self.ttl = ttl
        self._rd = rd
        self._nx = nxt
        self._nl = nl

    @property
    def data(self):
        return (self._nx, _nsec_types(self._rd, self._nl))


class Message:
    def __init__(self, id=0, flags=0, questions=(), answers=(), authorities=(), additionals=()):
        self.id = id
        self.flags = flags
        # [] for the usual empty section: cheaper than list(()) on MicroPython
        self.questions = list(questions) if questions else []
        self.answers = list(answers) if answers else []
        self.authorities = list(authorities) if authorities else []
        self.additionals = list(additionals) if additionals else []

    @property
    def is_response(self):
        return bool(self.flags & FLAG_QR)

    @property
    def truncated(self):
        return bool(self.flags & FLAG_TC)

    def records(self):
        return self.answers + self.authorities + self.additionals

    def __repr__(self):
        return "Message(id=%d, flags=0x%04x, q=%r, an=%r, ns=%r, ar=%r)" % (
            self.id,
            self.flags,
            self.questions,
            self.answers,
            self.authorities,
            self.additionals,
        )


# ---- decoding ----
# Offset tables for walk, reused: taken from the pool for one decode and given
# back (list pop/append keep this safe with CPython threads).
_pool = []


def _what(t, name):
    return "%s record %r" % (type_name(t), name)


def _name(w, cache):
    if cache is None:
        return names.from_wire(w)
    n = cache.get(w)
    if n is None:
        n = names.from_wire(w)
        cache[w] = n
    return n


def _decode_record(buf, name, t, c, ttl, rs, re, cache):
    ln = re - rs
    rd = None
    if t == TYPE_A:
        if ln != 4:
            raise ValueError("%s: rdata is %d bytes (expected 4)" % (_what(t, name), ln))
        data = "%d.%d.%d.%d" % (buf[rs], buf[rs + 1], buf[rs + 2], buf[rs + 3])
    elif t == TYPE_AAAA:
        if ln != 16:
            raise ValueError("%s: rdata is %d bytes (expected 16)" % (_what(t, name), ln))
        data = addr.ntoa6(bytes(buf[rs:re]))
    elif t == TYPE_PTR or t == 5 or t == 2 or t == 39:  # one name: PTR, CNAME, NS, DNAME
        rd, e = _f.read_name(buf, rs)
        if e != re:
            raise ValueError("%s: name does not fill rdata" % _what(t, name))
        data = _name(rd, cache)
    elif t == TYPE_SRV:
        if ln < 7:
            raise ValueError("%s: rdata is %d bytes (min 7)" % (_what(t, name), ln))
        pr, w, port = struct.unpack_from(">HHH", buf, rs)
        tw, e = _f.read_name(buf, rs + 6)
        if e != re:
            raise ValueError("%s: target does not fill rdata" % _what(t, name))
        data = (pr, w, port, _name(tw, cache))
        rd = bytes(buf[rs : rs + 6]) + tw
    elif t == TYPE_TXT:
        rd = bytes(buf[rs:re])
        try:
            data = txt.decode(rd)
        except ValueError as e:
            raise ValueError("%s: %s" % (_what(t, name), e.args[0]))
    elif t == TYPE_NSEC:
        nw, e = _f.read_name(buf, rs)
        if e > re:
            raise ValueError("%s: next name runs past rdata" % _what(t, name))
        return _Nsec(name, _name(nw, cache), len(nw), ttl, c, nw + _nsec_canon(buf, e, re, name))
    elif t in _rdn.LAYOUT:
        data, rd = _rdn.decode(buf, rs, re, _rdn.LAYOUT[t], _f.read_name, lambda w: _name(w, cache), _what(t, name))
    else:
        data = rd = bytes(buf[rs:re])
    return Record(name, t, data, ttl, bool(c & 0x8000), c & 0x7FFF, rd, True)


def _u16(buf, p):
    return (buf[p] << 8) | buf[p + 1]


def decode(buf):
    """Message from a datagram; any malformed input raises ValueError."""
    n = len(buf)
    if n < 12:
        raise ValueError("truncated")
    qd = _u16(buf, 4)
    an = _u16(buf, 6)
    ns = _u16(buf, 8)
    total = qd + an + ns + _u16(buf, 10)
    if total * 5 > n - 12:
        # Not even the smallest entries (5 bytes) fit: refuse before sizing tables.
        raise ValueError("bad counts")
    try:
        offs = _pool.pop()
    except IndexError:
        offs = array("H", bytes(128))  # 64 zero entries from raw bytes: no temporary list
    if total > len(offs):
        offs = array("H", bytes(2 * total))
    try:
        msg = _decode(buf, offs, qd, qd + an, qd + an + ns, total)
    finally:
        if len(offs) <= 512 and len(_pool) < 4:
            _pool.append(offs)
    return msg


def _decode(buf, offs, qd, end_an, end_ns, total):
    _f.walk(buf, offs)
    msg = Message(_u16(buf, 0), _u16(buf, 2))
    cache = {} if total > 1 else None  # wire name -> str, names repeat within a packet
    for i in range(total):
        w, e = _f.read_name(buf, offs[i])
        name = _name(w, cache)
        # walk checked that the fixed fields and rdata are inside buf
        t = (buf[e] << 8) | buf[e + 1]
        c = (buf[e + 2] << 8) | buf[e + 3]
        if i < qd:
            msg.questions.append(Question(name, t, bool(c & 0x8000), c & 0x7FFF))
            continue
        ttl = (buf[e + 4] << 24) | (buf[e + 5] << 16) | (buf[e + 6] << 8) | buf[e + 7]
        rs = e + 10
        rec = _decode_record(buf, name, t, c, ttl, rs, rs + ((buf[e + 8] << 8) | buf[e + 9]), cache)
        if i < end_an:
            msg.answers.append(rec)
        elif i < end_ns:
            msg.authorities.append(rec)
        else:
            msg.additionals.append(rec)
    return msg


# the backend's match and name_eq (kept in step by use()): the engine's drop test and
# the responder's quick path read raw packets with them
match = _f.match
name_eq = _f.name_eq
native = not hasattr(_f, "table_add")  # the C module (fastpy keeps Writer tables in Python)


def concerns(buf, table):
    """True when a question or record owner name is one of the wire names in table."""
    return _f.match(buf, table) != 0


# ---- encoding: mdns.writer (imported last: it reads the names above) ----
from . import writer as _wr  # noqa: E402  (use() keeps its _f in step)
from .writer import Writer, _to_wire, _wcache, encode  # noqa: E402,F401
