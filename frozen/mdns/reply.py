# Building response packets: answers plus additional records (RFC 6762 s12,
# RFC 6763 s12), split over as many packets as needed. Mixin of ResponderPart.
from . import wire
from . import names as _names
from .owned import FLAGS_RESPONSE, RATE_LIMIT, T_A, T_AAAA, T_PTR, T_SRV, _df, _key, _rf, _size


class Reply:
    """Mixin of ResponderPart: additionals and response packets."""

    def _additionals(self, answers):
        # s12 / RFC 6763 s12: PTR -> SRV, TXT, addresses; SRV -> addresses;
        # A <-> AAAA (or NSEC when we have no address of the other family).
        # Returns the scratch list self._adds (valid until the next call).
        adds = self._adds
        adds.clear()
        host = self.host
        for r in answers:
            if r.type == T_PTR:
                f = _df(r)
                for s in self.services:
                    g = s._g
                    if g.fold == f and self._usable(g):
                        self._add(answers, g.unique[0])
                        self._add(answers, g.unique[1])
        if not host.live:
            return adds
        n = len(answers)
        i = 0
        while i < n + len(adds):  # the answers, then the SRVs just added
            r = answers[i] if i < n else adds[i - n]
            if r.type == T_SRV and _df(r) == host.fold:
                for a in host.unique:
                    self._add(answers, a)
            i += 1
        for r in answers:
            if (r.type == T_A or r.type == T_AAAA) and _rf(r) == host.fold:
                other = T_AAAA if r.type == T_A else T_A
                have = False
                for a in host.unique:
                    if a.type == other:
                        have = True
                        self._add(answers, a)
                if not have:
                    self._add(answers, self._nsec(host, host.name))
        return adds

    def _mc_limit(self, adds, now):
        # s6: an additional record multicast obeys the once-a-second limit too (it is
        # left out, not delayed); in place, without a slice object.
        i = 0
        for r in adds:
            last = self._last_mc.get(_key(r))
            if last is None or now - last >= RATE_LIMIT:
                adds[i] = r
                i += 1
        while len(adds) > i:
            adds.pop()
        return adds

    def _add(self, answers, r):
        # Append r to self._adds unless it is an answer or there already.
        k = _key(r)
        for x in answers:
            if _key(x) == k:
                return
        adds = self._adds
        for x in adds:
            if _key(x) == k:
                return
        adds.append(r)

    def _send_response(self, answers, additionals, dest, qid=0, questions=(), keep=None):
        """Write answers then additionals, splitting over as many packets as needed;
        each packet goes to the engine as soon as it is full (to the list keep instead,
        when given: the quick path's pre-encoded answers)."""
        eng = self.eng
        send = eng.send if keep is None else (lambda p, d: keep.append(p))
        mp = eng.max_payload
        need = 12
        for q in questions:
            need += len(_names.to_wire(q.name)) + 4
        for r in answers:
            need += _size(r)
        for r in additionals:
            need += _size(r)
        if need < mp:
            mp = need  # everything fits in one packet: no bigger buffer than that
        w = self._fresh(qid, mp, questions)
        n = 0
        for r in answers:
            if w.add_answer(r) is False:
                if n:
                    send(w.packet(), dest)
                    w = self._fresh(qid, mp, questions)
                    n = 0
                if w.add_answer(r) is False:
                    continue  # one record larger than a packet: cannot be sent
            n += 1
        for r in additionals:
            if w.add_additional(r) is False:
                if not n:
                    continue
                send(w.packet(), dest)
                w = self._fresh(qid, mp, questions)
                n = 0
                if w.add_additional(r) is False:
                    continue
            n += 1
        if n:
            send(w.packet(), dest)

    def _fresh(self, qid, mp, questions):
        # The engine's Writer, reset (reused buffers; packet() copies).
        w = self.eng.writer(qid, FLAGS_RESPONSE, mp)
        for q in questions:
            # echoed without the QU bit (the Writer masks the class to 15 bits)
            w.add_question(wire.Question(q.name, q.type, cls=q.cls & 0x7FFF) if q.unicast else q)
        return w
