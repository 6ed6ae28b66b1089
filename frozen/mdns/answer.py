# Answering queries (RFC 6762 s6, s7): which records answer, NSEC (s6.1), known-answer
# suppression (s7.1), truncated queries (s7.2), legacy unicast (s6.7), QU (s5.4),
# shared-record delay and the multicast rate limit (s6), duplicate answers (s7.4).
# Mixin of ResponderPart; packets are built by mdns.reply.
from . import wire
from .owned import (ASKERS_MAX, C_IN, RATE_LIMIT, RATE_LIMIT_PROBE, SHARED_DELAY, TC_KEEP,
                    TC_SOURCES, TC_WAIT, T_ANY, T_NSEC, _fold, _holds, _key, _legacy, _rf)


class Answer:
    """Mixin of ResponderPart: queries in, answers decided and scheduled."""

    def on_query(self, msg, src, now):
        if not self._hears(src):
            return
        legacy = src[1] != 5353
        if msg.authorities and msg.questions and not self._is_own(src):
            self._probe_seen(msg, now)
        if legacy:
            # s6.7: answer by unicast at once, id and question echoed.
            self._answer(msg.questions, msg.answers, src, msg.id, True, False, now)
            return
        ent = self._tc.get(src)
        if ent is not None:
            # s7.2: more known answers (and maybe questions) from the same querier.
            self._tc_keep(ent, msg)
            if msg.truncated and len(ent[0]) + len(ent[1]) <= TC_KEEP:
                ent[2] = now + self.eng.rand(TC_WAIT[0], TC_WAIT[1])
            else:
                del self._tc[src]
                self._answer(ent[0], ent[1], src, 0, False, False, now)
            return
        if not msg.questions:
            return
        if msg.truncated and len(self._tc) < TC_SOURCES:
            ent = [[], [], now + self.eng.rand(TC_WAIT[0], TC_WAIT[1])]
            self._tc_keep(ent, msg)
            if ent[0]:
                self._tc[src] = ent
            return
        self._answer(msg.questions, msg.answers, src, 0, False, bool(msg.authorities), now)

    def _tc_keep(self, ent, msg):
        # s7.2: what a truncated query adds to the querier's entry. Only questions
        # and known answers naming one of our records can change our answer
        # (_lookup, s7.1 suppression, _known_cancel), so only those are kept, each
        # once: a querier sending truncated packets without end, or naming other
        # hosts' records, cannot grow the entry (past TC_KEEP it is answered).
        qs = ent[0]
        for q in msg.questions:
            if self._ours(self._qfold(q.name)) and q not in qs:
                qs.append(q)
        known = ent[1]
        for r in msg.answers:
            if not self._ours(_rf(r)):
                continue
            k = _key(r)
            for i in range(len(known)):
                if _key(known[i]) == k:
                    if r.ttl > known[i].ttl:
                        known[i] = r
                    break
            else:
                known.append(r)

    def _lookup(self, q, out):
        """Append the records answering question q to out; return the group owning
        q.name uniquely when it has no record of the type asked (for NSEC, s6.1)."""
        t = q.type
        if q.cls & 0x7FFF not in (C_IN, T_ANY):
            return None
        f = self._qfold(q.name)
        owner = None
        found = False
        for g in self._groups():
            if not self._usable(g):
                continue
            types = g.owners.get(f)
            if types is not None:
                owner = g
            for r in g.recs:
                if (t == T_ANY or r.type == t) and _rf(r) == f:
                    found = True
                    if not _holds(out, _key(r)):
                        out.append(r)
        return None if found or t == T_ANY else owner

    def _nsec(self, g, name):
        # Kept on the group until its owners change (the dict is replaced on every
        # rebuild): an A query to an IPv4-only host needs this record every time.
        c = getattr(g, "_nsec_c", None)
        if c is not None and c[0] is g.owners and c[1] == name:
            return c[2]
        types = g.owners.get(_fold(name))
        r = wire.Record(name, T_NSEC, (name, tuple(sorted(types))), ttl=self.ttl_host,
                        cache_flush=True)
        g._nsec_c = (g.owners, name, r)
        return r

    def _answer(self, questions, known, src, qid, legacy, probe, now):
        recs = self._ans
        recs.clear()
        nsec_names = None
        for q in questions:
            owner = self._lookup(q, recs)
            if owner is not None:
                # s6.1: the name is ours but has no record of that type.
                if nsec_names is None:
                    nsec_names = []
                nsec_names.append((owner, q.name))
        if known and self._askers:
            self._known_cancel(known, src)
        if known:
            # s7.1: drop answers the querier already holds with at least half our TTL.
            i = 0
            for r in recs:  # kept ones move down in place
                k = _key(r)
                hit = False
                for x in known:
                    if x.ttl >= r.ttl // 2 and _key(x) == k:
                        hit = True
                        break
                if not hit:
                    recs[i] = r
                    i += 1
            del recs[i:]
        if nsec_names is not None:
            for owner, name in nsec_names:
                n = self._nsec(owner, name)
                k = _key(n)
                dup = False
                for x in known or ():
                    if _key(x) == k:
                        dup = True
                for x in recs:
                    if _key(x) == k:
                        dup = True
                if not dup:
                    recs.append(n)
        if not recs:
            return
        if legacy:
            self._send_legacy(questions, recs, src, qid)
            return
        # s5.4: QU questions get unicast, unless the record was not multicast
        # within a quarter of its TTL.
        unicast = None
        multi = recs
        qu = False
        if not probe:  # probe defence is always multicast
            for q in questions:
                if q.unicast:
                    qu = True
                    break
        if qu:
            unicast = []
            multi = []
            for r in recs:
                qu = False
                for q in questions:
                    if q.unicast and self._qfold(q.name) == _rf(r):
                        qu = True
                        break
                if qu:
                    last = self._last_mc.get(_key(r))
                    if last is not None and now - last < r.ttl * 250:
                        unicast.append(r)
                        continue
                multi.append(r)
        if unicast:
            self._send_response(unicast, self._additionals(unicast), (src[0], 5353))
        if not multi:
            return
        shared = False
        for r in multi:
            if not r.cache_flush:
                shared = True
                break
        if not probe:
            # Note who waits for answers that will be delayed (shared, or rate-limited),
            # so that a known answer from that querier can cancel them (s7.1).
            for r in multi:
                k = _key(r)
                if not shared:
                    last = self._last_mc.get(k)
                    if last is None or now - last >= RATE_LIMIT:
                        continue  # goes out now
                who = self._askers.get(k)
                if who is None:
                    who = self._askers[k] = set()
                if len(who) < ASKERS_MAX or src in who:
                    who.add(src)
                else:
                    # a flood of queriers: tracking each would grow without bound;
                    # None (never discarded) keeps the answer from being cancelled
                    who.add(None)
        if shared and not probe:
            # s6: shared answers wait 20-120 ms; later queries join the same packet.
            for r in multi:
                k = _key(r)
                dup = False
                for x in self._pending:
                    if _key(x) == k:
                        dup = True
                        break
                if not dup:
                    self._pending.append(r)
            due = now + self.eng.rand(SHARED_DELAY[0], SHARED_DELAY[1])
            if self._pending_due is None or due < self._pending_due:
                self._pending_due = due
            return
        self._send_multicast(multi, now, RATE_LIMIT_PROBE if probe else RATE_LIMIT)

    def _known_cancel(self, known, src):
        # s7.1: a querier now holding a record we delayed for it needs it no more;
        # when no other querier waits for it, it is not sent.
        for x in known:
            k = _key(x)
            who = self._askers.get(k)
            if who is None or src not in who:
                continue
            for p in self._pending:
                if _key(p) == k and x.ttl >= p.ttl // 2:
                    who.discard(src)
                    if not who:
                        self._drop_pending((p,))
                    break

    def _send_multicast(self, recs, now, limit):
        out = self._mc
        out.clear()
        for r in recs:
            k = _key(r)
            if not self._sendable(r, k):
                continue  # delayed before its name went back to probing (s9) or waiting (s8.3)
            lim = RATE_LIMIT_PROBE if k in self._defend else limit
            last = self._last_mc.get(k)
            if last is not None and now - last < lim:
                # s6: once per second per record: send it when the second has passed
                # (unless an answer by another host cancels it first, s7.4).
                self._defer(r, last + lim, lim == RATE_LIMIT_PROBE)
                continue
            out.append(r)
        if not out:
            return
        adds = self._mc_limit(self._additionals(out), now)
        self._send_response(out, adds, None)
        self._sent_mc(out, now)
        self._sent_mc(adds, now)
        out.clear()

    def _sendable(self, r, k):
        # False when r (or the name an NSEC is for) belongs to a group that may not send
        f = _rf(r)
        for g in self._groups():
            if self._usable(g):
                continue
            if f in g.owners:
                return False
            for x in g.recs:
                if _key(x) == k:
                    return False
        return True

    def _sent_mc(self, recs, now):
        # Just multicast: note the time, and anything still pending for them is done.
        for r in recs:
            k = _key(r)
            self._last_mc[k] = now
            self._defend.discard(k)
            if k in self._askers:
                del self._askers[k]
        self._drop_pending(recs)

    def _defer(self, r, due, defend):
        k = _key(r)
        for x in self._pending:
            if _key(x) == k:
                break
        else:
            self._pending.append(r)
        if defend:
            self._defend.add(k)
        if self._pending_due is None or due < self._pending_due:
            self._pending_due = due

    def _send_legacy(self, questions, recs, src, qid):
        # s6.7: id and questions echoed, TTL at most 10 s, no cache-flush bit.
        ans = [_legacy(r) for r in recs]
        adds = [_legacy(r) for r in self._additionals(recs)]
        self._send_response(ans, adds, src, qid, questions)

    def _duplicate_answer(self, r):
        # s7.4: another host just multicast an answer we were about to give.
        k = _key(r)
        keep = []
        for x in self._pending:
            if _key(x) == k and r.ttl >= x.ttl // 2:
                continue
            keep.append(x)
        if len(keep) != len(self._pending):
            self._pending = keep
            if k in self._askers:
                del self._askers[k]
            if not keep:
                self._pending_due = None
                self._defend = set()
                self._askers = {}

    def _drop_pending(self, recs):
        if self._pending:
            keys = set([_key(r) for r in recs])
            self._pending = [x for x in self._pending if _key(x) not in keys]
            for k in keys:
                if k in self._askers:
                    del self._askers[k]
            if not self._pending:
                self._pending_due = None
                self._defend = set()
                self._askers = {}
