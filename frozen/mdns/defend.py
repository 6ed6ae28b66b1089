# Defending what we own (RFC 6762 s9): a response naming a name we probe or hold
# with other data is a conflict. Mixin of ResponderPart.
from .owned import C_IN, PROBE, WAIT, _holds, _key, _rf


class Defend:
    """Mixin of ResponderPart: conflicting responses."""

    def on_response(self, msg, src, now):
        if not self._hears(src):
            return
        own = self._is_own(src)
        for sect in (msg.answers, msg.additionals):
            for r in sect:
                if not own:
                    self._check_conflict(r, now)
                if self._pending:
                    self._duplicate_answer(r)

    def _check_conflict(self, r, now):
        f = _rf(r)
        for g in self._groups():
            if g.state < WAIT or f != g.fold:
                continue
            mine = g.unique
            if _holds(mine, _key(r)):
                continue
            if g.state in (WAIT, PROBE):
                # s8.1: a response with a record of the name we probe (any type),
                # other than exactly one of ours, means the name is taken. A goodbye
                # (TTL 0) gives a record up: no claim on the name (ours for an old
                # address, looped back from our IPv6 link-local source, was one).
                if r.ttl == 0:
                    continue
                self._conflict(g, now, "name in use")
                return
            # s9: established; a record of a type we own, with other rdata, is a conflict.
            if r.ttl == 0 or r.cls & 0x7FFF != C_IN:
                continue
            for x in mine:
                if x.type == r.type:
                    self._event("conflict", what=g.kind, name=g.name, reason="contested",
                                service=g.svc)
                    g.reprobe = True
                    self._drop_pending(g.recs)  # nothing of it goes out while probing
                    g.state = WAIT
                    g.step = 0
                    g.due = now
                    return
