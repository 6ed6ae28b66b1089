# Bounded record cache (RFC 6762 s10): TTL expiry, goodbyes (s10.1), cache-flush
# (s10.2), passive observation of failures, POOF (s10.5), and refresh queries at
# 80/85/90/95 % of the TTL for records someone is interested in (s5.2).
#
# Bounds: at most `max_records` records and `max_bytes` bytes, where a record
# costs len(owner name) + len(rdata). Eviction rule when a new record does not
# fit: among the cached records and the new one, the victim is the record nobody
# is interested in (no want()) that expires first; only when every record is
# wanted, the wanted record that expires first; records held (hold(): what a
# browser has reported up) go last of all. A victim that is the new record is
# simply not stored. So a flood never grows the cache past its bounds and never
# pushes out what a browse or a lookup is watching while anything else is left.
import sys

from . import wire
from .names import fold, to_wire

# Default bounds: a board's heap, or a host's, where one LAN can hold hundreds of
# services (200 instances take ~1,200 records: 256 made a browse of them thrash).
if sys.implementation.name == "micropython":
    MAX_RECORDS, MAX_BYTES = 256, 32768
else:
    MAX_RECORDS, MAX_BYTES = 4096, 1 << 20
REFRESH_PCT = (80, 85, 90, 95)  # s5.2
POOF_WINDOW_MS = 10000  # s10.5
POOF_GAP_MS = 1000  # s10.5: queries counted must be a second apart (s5.2 spacing)
FLUSH_GRACE_MS = 1000  # s10.1 / s10.2: one second to live
REFRESH_GROUP_MS = 1000  # refreshes due this soon go out with one that is due now

# entry fields (a list per record, indexed by these constants)
_REC = 0  # the wire.Record (its ttl is the TTL received)
_T0 = 1  # when received (ms)
_EXP = 2  # when it expires (ms)
_NEXT = 3  # next refresh time (ms), or None
_STAGE = 4  # index into REFRESH_PCT of the next refresh; 4 = none left
_POOF_N = 5  # queries seen without an answer (s10.5)
_POOF_T = 6  # time of the first of them
_WHY = 7  # why it is dying: None, "goodbye" or "flushed"
_IFACE = 8  # interface it came in on, when the driver says (src[2])
_SIZE = 9  # bytes counted against max_bytes
_JIT = 10  # refresh jitter, in 1/1000 % of the TTL (0-2000: 0-2 %)


class Cache:
    """The record cache part. Listeners are callables fn(kind, record, now) with kind
    "added", "expired", "goodbye", "flushed", "poof", "evicted" (a record left), and
    "batch" (record None) once at the end of each packet or timer round that changed
    something, so a listener can act once per change rather than per record."""

    def __init__(self, max_records=MAX_RECORDS, max_bytes=MAX_BYTES, rand=None):
        if max_records < 1 or max_bytes < 1:
            raise ValueError("cache: max_records and max_bytes must be positive")
        self.max_records = max_records
        self.max_bytes = max_bytes
        self.rand = rand
        self.engine = None
        self.listeners = []
        self.on_refresh = None  # fn([(name, type)], now): send these questions now (querier)
        self._e = {}  # key -> entry
        self._nt = {}  # (fold(name), type) -> [key, ...]
        self._wants = {}  # (fold(name), type) -> [refcount, wire name]
        self._held = {}  # (fold(name), type) or a record key -> refcount (hold())
        self.bytes = 0
        self.evicted = 0  # records evicted or refused because of the bounds
        self._next = None  # cached deadline; None = recompute
        self._dirty_deadline = True
        self._changed = False
        self._jit = None  # one jitter per received packet (see _plan_refresh)
        self._busy = 0  # inside a packet or timer round: interest changes wait for its end
        self._interest_dirty = False

    def __len__(self):
        return len(self._e)

    # ---- engine part ----
    def attached(self, engine):
        self.engine = engine
        if self.rand is None:
            self.rand = engine.rand

    def names(self):
        return [w[1] for w in self._wants.values()]

    def on_response(self, msg, src, now):
        # s6: responses whose source port is not 5353 are ignored (legacy unicast
        # replies are not for us). Unicast replies to port 5353 are fine.
        if src is not None and len(src) > 1 and src[1] != 5353:
            return
        eng = self.engine
        if eng is not None and src is not None and not eng.on_link(src):
            return  # s11: only sources on the local link
        iface = src[2] if src is not None and len(src) > 2 else None
        self._busy += 1
        self._jit = None
        try:
            self._ingest(msg, now, iface)
        finally:
            self._busy -= 1
            self._jit = None
        self._batch(now)

    def _ingest(self, msg, now, iface):
        recs = msg.answers + msg.additionals
        # s10.2: a unique record (cache-flush bit) flushes the others of its
        # name/type/class received more than a second ago. Done before inserting
        # so records of this very packet are never flushed by each other.
        flush = None
        for r in recs:
            if r.cache_flush and r.ttl:
                k = (fold(r.name), r.type)
                if flush is None:
                    flush = [k]
                elif k not in flush:
                    flush.append(k)
        if flush:
            mine = [r.key() for r in recs]
            for nt in flush:
                for key in self._nt.get(nt, ()):
                    e = self._e[key]
                    if key not in mine and e[_T0] < now - FLUSH_GRACE_MS and e[_REC].cls == _cls_of(recs, nt):
                        self._dying(e, now, "flushed")
        for r in recs:
            self.add(r, now, iface)

    def on_query(self, msg, src, now):
        # POOF bookkeeping is done by the querier, which knows our own queries.
        pass

    def tick(self, now):
        self._busy += 1
        try:
            self._tick(now)
        finally:
            self._busy -= 1
        self._batch(now)

    def _tick(self, now):
        due = None
        gone = None
        # When a refresh is due, the ones due within the next second join it: records
        # that came in separate packets (A and AAAA, SRV and TXT) are then asked in one
        # query, and when nobody answers they go (POOF) at the same moment.
        limit = now
        for e in self._e.values():
            n = e[_NEXT]
            if n is not None and n <= now:
                limit = now + REFRESH_GROUP_MS
                break
        for key in self._e:
            e = self._e[key]
            if e[_EXP] <= now:
                if gone is None:
                    gone = []
                gone.append((key, e[_WHY] or "expired"))
            elif e[_POOF_N] >= 2 and now >= e[_POOF_T] + POOF_WINDOW_MS:
                if gone is None:
                    gone = []
                gone.append((key, "poof"))
            elif e[_NEXT] is not None and e[_NEXT] <= limit:
                nt = (key[0], key[1])
                if self._wanted(nt):
                    q = (e[_REC].name, e[_REC].type)
                    if due is None:
                        due = [q]
                    elif q not in due:
                        due.append(q)
                    # the later refresh points still apply if this one goes unanswered
                    self._plan_refresh(e, e[_STAGE] + 1)
                else:
                    e[_NEXT] = None
                self._dirty_deadline = True
        if gone:
            for key, why in gone:
                self._remove(key, why, now)
        if due and self.on_refresh is not None:
            self.on_refresh(due, now)

    def deadline(self):
        if not self._dirty_deadline:
            return self._next
        best = None
        for e in self._e.values():
            t = e[_EXP]
            if e[_POOF_N] >= 2:
                p = e[_POOF_T] + POOF_WINDOW_MS
                if p < t:
                    t = p
            n = e[_NEXT]
            if n is not None and n < t and self._wanted((fold(e[_REC].name), e[_REC].type)):
                t = n
            if best is None or t < best:
                best = t
        self._next = best
        self._dirty_deadline = False
        return best

    # ---- records ----
    def add(self, rec, now, iface=None):
        """Store one received record (answers and additionals go through here)."""
        key = rec.key()
        e = self._e.get(key)
        if rec.ttl == 0:
            # s10.1: a goodbye; keep the record one more second, then drop it.
            if e is not None and e[_WHY] != "goodbye":
                self._dying(e, now, "goodbye")
            return
        if e is not None:
            # A copy within a second of the first, before any refresh query (the same
            # answer over the other family or interface) is the same reception: it
            # keeps the refresh plan, so records that came together are refreshed,
            # and go when unanswered (POOF), together.
            same = (e[_WHY] is None and e[_STAGE] == 0 and e[_POOF_N] == 0 and rec.ttl == e[_REC].ttl
                    and now - e[_T0] < FLUSH_GRACE_MS)
            e[_REC] = rec
            e[_POOF_N] = 0
            e[_WHY] = None
            if iface is not None:
                e[_IFACE] = iface
            lst = self._nt[(key[0], key[1])]
            if lst[-1] != key:  # keep each list in order of arrival
                lst.remove(key)
                lst.append(key)
            if not same:
                e[_T0] = now
                e[_EXP] = now + rec.ttl * 1000
                e[_JIT] = self._jitter()
                self._plan_refresh(e, 0)
            self._dirty_deadline = True
            return
        size = len(key[0]) + len(key[3])
        if not self._make_room(size, self._level(key), now + rec.ttl * 1000, now):
            self.evicted += 1
            return
        e = [rec, now, now + rec.ttl * 1000, None, 0, 0, 0, None, iface, size, self._jitter()]
        self._plan_refresh(e, 0)
        self._e[key] = e
        nt = (key[0], key[1])
        lst = self._nt.get(nt)
        if lst is None:
            self._nt[nt] = [key]
        else:
            lst.append(key)
        self.bytes += size
        self._dirty_deadline = True
        self._notify("added", rec, now)

    def get(self, name, type, now=None, flushed=False):
        """Live records of name/type (type 255 = any), most recently received last.
        Records on their last second after a cache-flush (s10.2) are left out
        unless flushed=True: a newer record of the same name and type replaced
        them. Records on their last second after a goodbye are still listed
        (s10.1: another responder may rescue them)."""
        f = fold(name)
        out = []
        if type == wire.TYPE_ANY:
            for nt in self._nt:
                if nt[0] == f:
                    self._collect(nt, now, out, flushed)
        else:
            self._collect((f, type), now, out, flushed)
        return out

    def _collect(self, nt, now, out, flushed):
        for key in self._nt.get(nt, ()):
            e = self._e[key]
            if (now is None or e[_EXP] > now) and (flushed or e[_WHY] != "flushed"):
                out.append(e[_REC])

    def alive(self, key, now=None):
        """The cached record with this key (wire.Record.key()) if it is live and not flushed."""
        e = self._e.get(key)
        if e is None or (now is not None and e[_EXP] <= now) or e[_WHY] == "flushed":
            return None
        return e[_REC]

    def entry_iface(self, rec):
        e = self._e.get(rec.key())
        return e[_IFACE] if e is not None else None

    def remaining_ms(self, rec, now):
        e = self._e.get(rec.key())
        return e[_EXP] - now if e is not None else 0

    def known_answers(self, name, type, now):
        """s7.1: records answering name/type with more than half their TTL left,
        each with its remaining TTL, for a query's known-answer section."""
        out = []
        for nt in self._pairs(fold(name), type):
            for key in self._nt[nt]:
                e = self._e[key]
                left = e[_EXP] - now
                r = e[_REC]
                if left * 2 > r.ttl * 1000:
                    out.append(_with_ttl(r, left // 1000))
        return out

    def observe_query(self, name, type, known_keys, now):
        """s10.5: a query (ours or another host's QM one) that our records of
        name/type should answer. known_keys: keys listed as known answers."""
        for nt in self._pairs(fold(name), type):
            for key in self._nt[nt]:
                if known_keys and key in known_keys:
                    continue
                e = self._e[key]
                if e[_POOF_N] == 0 or now - e[_POOF_T] > POOF_WINDOW_MS:
                    e[_POOF_N] = 1
                    e[_POOF_T] = now
                elif e[_POOF_N] == 1 and now - e[_POOF_T] >= POOF_GAP_MS:
                    # two is all s10.5 needs; a copy over the other family is the
                    # same query, not a second one
                    e[_POOF_N] = 2
                self._dirty_deadline = True

    def _pairs(self, f, type):
        # the (name, type) index entries a question for name/type covers
        if type != wire.TYPE_ANY:
            return ((f, type),) if (f, type) in self._nt else ()
        return [nt for nt in self._nt if nt[0] == f]

    # ---- interest (s5.2 refresh applies only to these) ----
    def want(self, name, type):
        nt = (fold(name), type)
        w = self._wants.get(nt)
        if w is None:
            self._wants[nt] = [1, to_wire(name)]
            self._dirty_deadline = True
            self.interest_changed()
        else:
            w[0] += 1

    def unwant(self, name, type):
        nt = (fold(name), type)
        w = self._wants.get(nt)
        if w is None:
            return
        w[0] -= 1
        if w[0] <= 0:
            del self._wants[nt]
            self._dirty_deadline = True
            self.interest_changed()

    def interest_changed(self):
        """Tell the engine that the names we (or the querier) listen for changed; inside a
        packet or timer round this waits for its end, so the engine's name table is
        rebuilt once per round rather than once per record."""
        if self._busy:
            self._interest_dirty = True
        elif self.engine is not None:
            self._interest_dirty = False
            self.engine.interest_changed()

    def _wanted(self, nt):
        return nt in self._wants or (nt[0], wire.TYPE_ANY) in self._wants

    def hold(self, k):
        """Evict k last: k is (fold(name), type) or a record key (a browser holds the
        records of the services it reported up). Reference counted; unhold(k)."""
        self._held[k] = self._held.get(k, 0) + 1

    def unhold(self, k):
        n = self._held.get(k, 0) - 1
        if n > 0:
            self._held[k] = n
        elif n == 0:
            del self._held[k]

    def _level(self, key):
        # eviction order: nobody wants it (0), wanted (1), held (2)
        nt = (key[0], key[1])
        h = self._held
        if h and (nt in h or key in h):
            return 2
        return 1 if self._wanted(nt) else 0

    # ---- internals ----
    def _plan_refresh(self, e, stage):
        e[_STAGE] = stage
        if stage >= len(REFRESH_PCT) or e[_WHY] is not None:
            e[_NEXT] = None
            return
        ttl_ms = e[_REC].ttl * 1000
        e[_NEXT] = e[_T0] + ttl_ms * REFRESH_PCT[stage] // 100 + ttl_ms * e[_JIT] // 100000

    def _jitter(self):
        # s5.2: 0-2 % random on top of each refresh point. Records of one packet share
        # the draw, so records with the same TTL (a host's A and AAAA, a service's SRV)
        # are refreshed by one query, and go together when nobody answers (POOF).
        j = self._jit
        if j is None:
            j = self.rand(0, 2000) if self.rand is not None else 0
            if self._busy:
                self._jit = j
        return j

    def _dying(self, e, now, why):
        if e[_EXP] > now + FLUSH_GRACE_MS:
            e[_EXP] = now + FLUSH_GRACE_MS
        e[_WHY] = why
        e[_NEXT] = None
        e[_STAGE] = len(REFRESH_PCT)
        self._dirty_deadline = True

    def _make_room(self, size, level, expires, now):
        if size > self.max_bytes:
            return False
        while len(self._e) + 1 > self.max_records or self.bytes + size > self.max_bytes:
            victim = None
            vrank = (level, expires)
            for key in self._e:
                e = self._e[key]
                rank = (self._level(key), e[_EXP])
                if rank < vrank:
                    vrank = rank
                    victim = key
            if victim is None:
                return False  # the new record is the one to go
            self.evicted += 1
            self._remove(victim, "evicted", now)
        return True

    def _remove(self, key, why, now):
        e = self._e.pop(key, None)
        if e is None:
            return
        nt = (key[0], key[1])
        lst = self._nt.get(nt)
        if lst is not None:
            if key in lst:
                lst.remove(key)
            if not lst:
                del self._nt[nt]
        self.bytes -= e[_SIZE]
        self._dirty_deadline = True
        self._notify(why, e[_REC], now)

    def _notify(self, kind, rec, now):
        self._changed = True
        for fn in self.listeners:
            fn(kind, rec, now)

    def _batch(self, now):
        if self._changed:
            self._changed = False
            self._busy += 1
            try:
                for fn in self.listeners:
                    fn("batch", None, now)
            finally:
                self._busy -= 1
        if self._interest_dirty:
            self.interest_changed()


def _cls_of(recs, nt):
    for r in recs:
        if r.cache_flush and r.type == nt[1] and fold(r.name) == nt[0]:
            return r.cls
    return wire.CLASS_IN


def _with_ttl(rec, ttl):
    return wire.Record(rec.name, rec.type, rec.data, ttl, False, rec.cls, rec.rdata())


def of(engine, **kw):
    """The engine's shared cache (created and attached on first use)."""
    for p in engine.parts:
        if isinstance(p, Cache):
            return p
    c = Cache(**kw)
    c.attached(engine)
    engine.attach(c)
    return c
