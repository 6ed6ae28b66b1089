# Pure-Python twin of the mdnsfast C module (docs/design.md, "The mdnsfast
# contract"): same functions, same results, same ValueError reasons, so that
# mdns.wire behaves identically with or without the C module.
#
# Exact behaviour both implementations follow (the order of checks decides
# which reason a malformed packet gets):
# read_name(buf, off): at each step at position p:
#   p >= len -> "truncated"; byte c = buf[p];
#   c & 0xC0 == 0xC0: pointer; p + 1 >= len -> "truncated"; target t = 14 bits;
#     t >= p -> "bad pointer"; the first pointer fixes `end` = p + 2;
#     hops += 1, hops > 16 -> "too many pointer hops"; continue at t;
#   c & 0xC0 != 0 (0x40, 0x80) -> "bad label type";
#   c == 0: end (if no pointer yet) = p + 1; done;
#   p + 1 + c > len -> "truncated"; the name so far plus this label plus the
#     final zero > 255 bytes -> "name too long"; copy the label; p += 1 + c.
# A given wire name (name_eq, write_name, each name of a match table) is
# checked first: at each length byte c at offset o: o >= len -> "truncated";
# c == 0 ends it; c > 63 -> "label too long"; o + 1 + c > len -> "truncated";
# o + 1 + c >= 255 -> "name too long". name_eq and write_name also want nothing
# after the final zero ("trailing data").
# walk/match: len < 12 -> "truncated"; len > 0xFFFF -> "no room"; entries >
# len(offsets) -> "bad counts" (walk only); at each entry: position == len ->
# "bad counts", the name (read_name errors), fixed part or rdata past the end
# -> "truncated"; finally bytes left over -> "trailing data".
# write_name: n < 0 or n > len(starts) -> "bad counts"; the given name; pos < 0
# or pos > len(buf) -> "no room"; every name at starts[:n] is read in buf[:pos]
# (read_name errors); then the compression rule; the result past len(buf) ->
# "no room". Nothing is written on error.

MAX_HOPS = 16
# A name may follow up to 16 pointers, and every name of a packet may point into the same
# long chain: walked again per name that is 16x the work per byte. So a walk that meets a
# chain of DEEP hops or more remembers, per packet, where each such chain leads (`_ctx`:
# the buffer walked and its memo, one tuple so threads read it whole); read_name uses it
# for that buffer only. Typical packets (1-2 hops) allocate nothing for it.
DEEP = 3
_NOCTX = (None, None)
_ctx = _NOCTX


def read_name(buf, off):
    ctx = _ctx
    return _read(buf, len(buf), off, ctx[1] if ctx[0] is buf else None)


def _read(buf, n, off, memo=None):
    # Names are copied as runs of labels: one slice for an uncompressed name,
    # and for a compressed one a bytearray filled from each run (no per-label work).
    p = off
    end = -1
    hops = 0
    size = 0
    s = off  # start of the current run
    runs = None  # [start, stop, ...] of the runs before the current one
    if p < 0:
        raise ValueError("truncated")
    while True:
        if p >= n:
            raise ValueError("truncated")
        c = buf[p]
        if c >= 0xC0:
            if p + 1 >= n:
                raise ValueError("truncated")
            t = ((c & 0x3F) << 8) | buf[p + 1]
            if t >= p:
                raise ValueError("bad pointer")
            if end < 0:
                end = p + 2
            hops += 1
            if hops > MAX_HOPS:
                raise ValueError("too many pointer hops")
            if hops == 1:
                t1 = t
                s1 = size
                if memo is not None:
                    v = memo.get(t | 0x10000)  # (wire name from t on, its hops)
                    if v is not None and 1 + v[1] <= MAX_HOPS and size + len(v[0]) <= 255:
                        # no check can fail past here: both limits only grow
                        return bytes(buf[off:p]) + v[0], end
            if p > s:
                if runs is None:
                    runs = [s, p]
                else:
                    runs.append(s)
                    runs.append(p)
            p = s = t
            continue
        if c & 0xC0:
            raise ValueError("bad label type")
        if c == 0:
            if end < 0:
                end = p + 1
            break
        if p + 1 + c > n:
            raise ValueError("truncated")
        size += c + 1
        if size + 1 > 255:
            raise ValueError("name too long")
        p += 1 + c
    if runs is None:
        w = buf[s : p + 1]
        w = w if type(w) is bytes else bytes(w)
    else:
        out = bytearray(size + 1)
        q = 0
        for i in range(0, len(runs), 2):
            a = runs[i]
            b = runs[i + 1]
            out[q : q + b - a] = buf[a:b]
            q += b - a
        out[q:] = buf[s : p + 1]
        w = bytes(out)
    if memo is not None and hops >= DEEP:
        memo[off | 0x10000] = (w, hops)  # for names pointing at this one
        memo[t1 | 0x10000] = (w[s1:], hops - 1)
    return w, end


def _skip_name(buf, p, memo=None):
    # Validate a name exactly like read_name (same errors, same order) without
    # building it. Returns end | wire length << 16 | hops << 24: where it ends in
    # the packet, its length, the pointers followed (small ints: nothing allocated).
    n = len(buf)
    end = -1
    hops = 0
    size = 0
    p0 = p
    while True:
        if p >= n:
            raise ValueError("truncated")
        c = buf[p]
        if c >= 0xC0:
            if p + 1 >= n:
                raise ValueError("truncated")
            t = ((c & 0x3F) << 8) | buf[p + 1]
            if t >= p:
                raise ValueError("bad pointer")
            if end < 0:
                end = p + 2
            hops += 1
            if hops > MAX_HOPS:
                raise ValueError("too many pointer hops")
            if hops == 1:
                t1 = t
                s1 = size
                if memo is not None:
                    v = memo.get(t)  # hops << 8 | label bytes, from t on
                    if v is not None and 1 + (v >> 8) <= MAX_HOPS and size + (v & 255) + 1 <= 255:
                        return end | (size + (v & 255) + 1) << 16 | (1 + (v >> 8)) << 24
            p = t
            continue
        if c & 0xC0:
            raise ValueError("bad label type")
        if c == 0:
            if memo is not None and hops >= DEEP:
                memo[p0] = hops << 8 | size  # for names pointing at this one
                memo[t1] = (hops - 1) << 8 | (size - s1)
            return (p + 1 if end < 0 else end) | (size + 1) << 16 | hops << 24
        if p + 1 + c > n:
            raise ValueError("truncated")
        size += c + 1
        if size + 1 > 255:
            raise ValueError("name too long")
        p += 1 + c


def name_eq(buf, off, wire_name):
    """True when the name at off equals wire_name, ASCII case-insensitively.

    wire_name is checked first, then the packet name whole (read_name errors).
    """
    w = bytes(wire_name)
    _check_one(w)
    return read_name(buf, off)[0].lower() == w.lower()


def _check_wire(w, p):
    # One uncompressed wire name in w at p; returns its end.
    n = len(w)
    o = p
    while True:
        if o >= n:
            raise ValueError("truncated")
        c = w[o]
        if c == 0:
            return o + 1
        if c > 63:
            raise ValueError("label too long")
        if o + 1 + c > n:
            raise ValueError("truncated")
        o += 1 + c
        if o - p >= 255:
            raise ValueError("name too long")


def _check_one(w):
    if _check_wire(w, 0) != len(w):
        raise ValueError("trailing data")


def _entries(buf):
    # Header counts; "bad counts" when the header itself is missing is
    # reported as "truncated".
    if len(buf) < 12:
        raise ValueError("truncated")
    if len(buf) > 0xFFFF:
        raise ValueError("no room")  # offsets are 16 bits; no datagram is this long
    qd = (buf[4] << 8) | buf[5]
    an = (buf[6] << 8) | buf[7]
    ns = (buf[8] << 8) | buf[9]
    ar = (buf[10] << 8) | buf[11]
    return qd, an + ns + ar


def _walk(buf, offsets, limit):
    # Shared by walk and match. At the start of each question or record:
    # position == len -> "bad counts" (the header promises more than there
    # is); a partial entry -> "truncated". Afterwards bytes left -> "trailing data".
    global _ctx
    _ctx = _NOCTX
    qd, rr = _entries(buf)
    total = qd + rr
    if limit >= 0 and total > limit:
        raise ValueError("bad counts")
    n = len(buf)
    p = 12
    i = 0
    memo = None
    while i < total:
        if p >= n:
            raise ValueError("bad counts")
        if offsets is not None:
            offsets[i] = p
        p = _skip_name(buf, p, memo)
        if p >> 24 >= DEEP and memo is None:
            memo = {}
            _ctx = (buf, memo)
        p &= 0xFFFF
        if i < qd:
            p += 4
            if p > n:
                raise ValueError("truncated")
        else:
            if p + 10 > n:
                raise ValueError("truncated")
            p += 10 + ((buf[p + 8] << 8) | buf[p + 9])
            if p > n:
                raise ValueError("truncated")
        i += 1
    if p != n:
        raise ValueError("trailing data")
    return total


def walk(buf, offsets):
    """Check a whole message; offsets[i] = start of question/record i; returns the count."""
    return _walk(buf, offsets, len(offsets))


_last_table = (None, None)  # (bytes table, its parsed form): the engine passes one table


def _parse_table(table):
    # {wire length: [(folded wire name, bits), ...]}; equal names share an entry
    names = {}
    n = len(table)
    p = 0
    i = 0
    while p < n:
        if i >= 32:
            raise ValueError("bad counts")
        e = _check_wire(table, p)
        k = bytes(table[p:e]).lower()
        names[k] = names.get(k, 0) | (1 << i)
        p = e
        i += 1
    bylen = {}
    for k in names:
        lst = bylen.get(len(k))
        if lst is None:
            lst = bylen[len(k)] = []
        lst.append((k, names[k]))
    return bylen


def _eq_at(buf, p, w):
    # the checked name at p equals the folded wire name w (ASCII case-insensitive)
    k = 0
    while True:
        c = buf[p]
        if c >= 0xC0:
            p = ((c & 0x3F) << 8) | buf[p + 1]
            continue
        if w[k] != c:
            return False
        if c == 0:
            return True
        for i in range(1, c + 1):
            x = buf[p + i]
            if x != w[k + i]:
                if 65 <= x <= 90 and x + 32 == w[k + i]:
                    continue
                return False
        k += c + 1
        p += c + 1


def match(buf, table):
    """Bit i set when wire name i of table is the name of a question or record owner.

    Nothing is built per entry (the hot-path drop test of mdns.engine)."""
    global _last_table, _ctx
    _ctx = _NOCTX
    last = _last_table  # one read of one tuple: safe with threads
    if last[0] is table:
        bylen = last[1]
    else:
        bylen = _parse_table(table)
        if type(table) is bytes:  # immutable: safe to reuse the parse next time
            _last_table = (table, bylen)
    ln = len(buf)
    if ln < 12:
        raise ValueError("truncated")
    if ln > 0xFFFF:
        raise ValueError("no room")
    qd = (buf[4] << 8) | buf[5]  # as _entries, without its tuple
    total = qd + ((buf[6] << 8) | buf[7]) + ((buf[8] << 8) | buf[9]) + ((buf[10] << 8) | buf[11])
    mask = 0
    p = 12
    j = 0
    memo = None
    while j < total:
        if p >= ln:
            raise ValueError("bad counts")
        s = p
        p = _skip_name(buf, p, memo)
        if p >> 24 >= DEEP and memo is None:
            memo = {}
            _ctx = (buf, memo)
        wl = (p >> 16) & 255
        p &= 0xFFFF
        if bylen:
            cands = bylen.get(wl)
            if cands:
                for w, bits in cands:
                    if _eq_at(buf, s, w):
                        mask |= bits
        if j < qd:
            p += 4
            if p > ln:
                raise ValueError("truncated")
        else:
            if p + 10 > ln:
                raise ValueError("truncated")
            p += 10 + ((buf[p + 8] << 8) | buf[p + 9])
            if p > ln:
                raise ValueError("truncated")
        j += 1
    if p != ln:
        raise ValueError("trailing data")
    return mask


def _suffixes(buf, lim, start, found, log=None):
    # Every label position reached reading the name at start (following
    # pointers), in order, with the name from there: the first one seen for a
    # given name wins (design.md's order: starts in order, positions in order).
    w, _ = _read(buf, lim, start)
    p = start
    k = 0
    while True:
        c = buf[p]
        if c >= 0xC0:
            p = ((c & 0x3F) << 8) | buf[p + 1]
            continue
        if c == 0:
            return
        if p < 0x4000:
            s = w[k:]
            if s not in found:
                found[s] = p
                if log is not None:
                    log.append(s)
        k += 1 + c
        p += 1 + c


def _emit(buf, pos, w, found):
    # The longest suffix of w found earlier becomes a pointer; else w is literal.
    k = 0
    if found:
        while w[k] != 0:
            t = found.get(w[k:])
            if t is not None:
                if pos + k + 2 > len(buf):
                    raise ValueError("no room")
                buf[pos : pos + k] = w[:k]
                buf[pos + k] = 0xC0 | (t >> 8)
                buf[pos + k + 1] = t & 0xFF
                return pos + k + 2
            k += 1 + w[k]
    if pos + len(w) > len(buf):
        raise ValueError("no room")
    buf[pos : pos + len(w)] = w
    return pos + len(w)


def write_name(buf, pos, wire_name, starts, n):
    """Write wire_name at pos with compression against names at starts[:n]; returns the end."""
    if n < 0 or n > len(starts):
        raise ValueError("bad counts")
    w = bytes(wire_name)
    _check_one(w)
    if pos < 0 or pos > len(buf):
        raise ValueError("no room")
    for i in range(n):
        _read(buf, pos, starts[i])  # the names written so far must be sound
    found = {}
    if len(w) > 1:
        for i in range(n):
            _suffixes(buf, pos, starts[i], found)
    return _emit(buf, pos, w, found)


# ---- incremental form for mdns.wire.Writer (pure-Python only) ----
# write_name re-reads every start on each call; a Writer that owns its buffer
# can instead keep the suffix -> position table of design.md's rule as it
# grows (starts only ever get appended, so "first seen wins" stays the same)
# and produce byte-identical output in time linear in the packet.
#
# A Writer writes the same few names packet after packet: their suffixes (the
# table's keys) are sliced once per name and kept in _sfx, so that a packet built
# with table_write/table_add slices nothing (MicroPython heap per packet).
_sfx = {}  # checked wire name -> tuple of its suffixes, longest first


def _suffix_tuple(w):
    t = _sfx.get(w)
    if t is None:
        out = []
        k = 0
        while w[k] != 0:
            out.append(w[k:])
            k += 1 + w[k]
        t = tuple(out)
        if len(_sfx) >= 32:
            _sfx.clear()
        _sfx[w] = t
    return t


def table_add(buf, lim, start, found, log, wire_name=None):
    """Add the name at start (a new entry of starts) to found; new keys go to log.

    wire_name: the name the caller has just written at start with table_write
    (trusted, not re-read): its cached suffixes are the keys."""
    if wire_name is None:
        _suffixes(buf, lim, start, found, log)
        return
    sfx = _suffix_tuple(wire_name)
    p = start
    i = 0
    while True:
        c = buf[p]
        if c >= 0xC0:
            p = ((c & 0x3F) << 8) | buf[p + 1]
            continue
        if c == 0:
            return
        if p < 0x4000:
            s = sfx[i]
            if s not in found:
                found[s] = p
                log.append(s)
        i += 1
        p += 1 + c


def table_write(buf, pos, wire_name, found):
    """write_name with the table from table_add instead of starts."""
    w = wire_name if type(wire_name) is bytes else bytes(wire_name)
    _check_one(w)
    if pos < 0 or pos > len(buf):
        raise ValueError("no room")
    if not found or len(w) == 1:
        return _emit(buf, pos, w, None)
    # _emit's rule with the cached suffixes (no slice per label)
    k = 0
    for s in _suffix_tuple(w):
        t = found.get(s)
        if t is not None:
            if pos + k + 2 > len(buf):
                raise ValueError("no room")
            for i in range(k):
                buf[pos + i] = w[i]
            buf[pos + k] = 0xC0 | (t >> 8)
            buf[pos + k + 1] = t & 0xFF
            return pos + k + 2
        k += 1 + w[k]
    return _emit(buf, pos, w, None)
