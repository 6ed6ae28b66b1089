# The quick answer (RFC 6762 s6): a plain query (flags 0, one question, QM, class IN,
# from port 5353, nothing else) for a name we own, answered with unique records only,
# is answered from the raw datagram with a packet encoded once per record set: no
# decode, no Writer. The packet is the one the full path would build (the same
# _send_response), and the state after it is the same (s6 rate limit noted, pending
# copies dropped). Anything else, or an answer the rate limit would hold back, goes
# the full path (mdns.answer). Mixin of ResponderPart, used when it is the engine's
# only part.
from . import wire
from . import names as _names
from .owned import ANNOUNCE, RATE_LIMIT, _key

QUICK_MAX = 8  # (name, type) entries kept; past this the table starts again


class Quick:
    """Mixin of ResponderPart: quick(data, src, now) for Engine.handle."""

    _qk = None  # [[wire name, type, records, keys, packet or None, snapshot,
    #               additionals, their keys], ...]

    def quick(self, data, src, now):
        # Engine.wants has walked the whole datagram, so a question name at 12 ending
        # exactly 4 bytes before the end means one question and no records at all.
        n = len(data)
        if n < 17 or data[2] or data[3]:
            return False
        if not self.started or src[1] != 5353:
            return False  # legacy (s6.7) and the rest: the full path
        if not self.eng.on_link(src):
            return True  # s11: not from the local link, ignored as on_query does
        tc = self._tc
        if tc and src in tc:
            return False  # s7.2: the rest of a truncated query
        qk = self._qk
        e = None
        if qk is not None:
            for x in qk:
                w = x[0]
                end = 12 + len(w)
                if end + 4 != n or data[end] << 8 | data[end + 1] != x[1]:
                    continue
                if not self._snap_ok(x[5]):
                    qk.remove(x)  # our records changed since: built again below
                    break
                if x[4] is None:
                    # A query of this size and type had no quick answer (shared, NSEC,
                    # too big): the full path, without reading the name (the pure-Python
                    # name_eq allocates); at worst a query that has one goes there too.
                    return False
                if wire.name_eq(data, 12, w):
                    e = x
                    break
        if e is None:
            e = self._quick_entry(data, n)
            if e is None or e[4] is None:
                return False
        if data[n - 2] != 0 or data[n - 1] != 1:
            return False  # QU (s5.4) or another class: the full path
        lm = self._last_mc
        for ks in (e[3], e[7]):
            for k in ks:
                last = lm.get(k)
                if last is not None and now - last < RATE_LIMIT:
                    # s6: the full path defers such an answer and leaves such an
                    # additional out; the packet kept here has them all
                    return False
        self.eng.send(e[4], None)
        # _sent_mc with the keys at hand, answers and additionals alike (s6: an
        # additional multicast counts): rate limit noted, nothing owed any more
        for ks in (e[3], e[7]):
            for k in ks:
                lm[k] = now
                if self._defend:
                    self._defend.discard(k)
                if self._askers and k in self._askers:
                    del self._askers[k]
        if self._pending:
            self._drop_pending(e[2])
            self._drop_pending(e[6])
        return True

    def _quick_entry(self, data, n):
        # The first query for this (name, type): which records answer, and their packet.
        for w in self.names():
            end = 12 + len(w)
            if end + 4 == n and wire.name_eq(data, 12, w):
                break
        else:
            return None
        t = data[end] << 8 | data[end + 1]
        recs = []
        pkt = None
        if self._lookup(wire.Question(_names.from_wire(w), t), recs) is None and recs:
            for r in recs:
                if not r.cache_flush:
                    break  # shared: s6 delay, the full path
            else:
                keep = []
                adds = list(self._additionals(recs))  # the scratch list is reused
                self._send_response(recs, adds, None, keep=keep)
                if len(keep) == 1:
                    pkt = keep[0]
        if pkt is None:
            adds = []
        e = [w, t, recs, [_key(r) for r in recs], pkt, self._snap(), adds, [_key(r) for r in adds]]
        qk = self._qk
        if qk is None or len(qk) >= QUICK_MAX:
            qk = self._qk = []
        qk.append(e)
        return e

    def _snap(self):
        # What the entry depends on: the group list, each group's records (replaced,
        # never changed in place) and whether it is live.
        s = [self._gl]
        for g in self._gl:
            s.append(g.recs)
            s.append(g.state >= ANNOUNCE)
        return s

    def _snap_ok(self, s):
        gl = self._gl
        if s[0] is not gl:
            return False
        i = 1
        for g in gl:
            if s[i] is not g.recs or s[i + 1] != (g.state >= ANNOUNCE):
                return False
            i += 2
        return True
