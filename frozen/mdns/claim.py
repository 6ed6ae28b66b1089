# Claiming a unique name: probing (RFC 6762 s8.1), the simultaneous-probe
# tiebreak (s8.2), and renaming after a conflict (s9). Mixin of ResponderPart.
from . import wire
from . import prober
from . import names as _names
from .owned import WAIT, PROBE, ANNOUNCE, T_ANY, _fold, _rf, _size


class Claim:
    """Mixin of ResponderPart: probe, tiebreak, conflict and rename."""

    def _start_probe(self, g, now, first):
        g.state = WAIT
        g.step = 0
        wait = self.limiter.delay(now)
        if first or not wait:
            wait = max(wait, self.eng.rand(0, prober.PROBE_DELAY_MAX))
        g.due = now + wait

    def _send_probe(self, g):
        # s8.1: ANY question (QU on the first probe), proposed records in the authority section.
        # the packet's size bound (no compression), not max_payload: the engine's one
        # Writer buffer then stays as small as the largest packet really built
        need = 16 + len(_names.to_wire(g.name))
        for r in g.unique:
            need += _size(r)
        w = self.eng.writer(0, 0, min(need, self.eng.max_payload))
        w.add_question(wire.Question(g.name, T_ANY, unicast=(g.step == 0)))
        for r in g.unique:
            w.add_authority(r)
        self.eng.send(w.packet(), None)

    def _conflict(self, g, now, why):
        """Our probe lost (s8.1) or an established unique record is contested and
        a probe confirmed it (s9): pick the next name and probe again."""
        self.limiter.note(now)
        old = g.name
        self._drop_pending(g.recs)
        if g.announced:
            self._send_goodbye(g.recs)
            g.announced = False
        if g.kind == "host":
            self.host_label = prober.next_host_label(self.host_label)
            self._rebuild_host()
            new = self.hostname
        else:
            svc = g.svc
            svc.claimed = False
            taken = set([_fold(s.name) for s in self.services if s is not svc])
            while True:
                svc.instance = prober.next_instance_label(svc.instance)
                if _fold(svc.name) not in taken:  # not a name our other services hold
                    break
            self._rebuild_service(svc)
            new = svc.name
        self._interest_changed()
        self._event("conflict", what=g.kind, name=old, reason=why, service=g.svc)
        self._event("renamed", what=g.kind, old=old, new=new, service=g.svc)
        g.reprobe = False
        self._start_probe(g, now, False)

    def _claimed(self, g, now):
        g.state = ANNOUNCE
        g.step = 0
        g.due = now
        again = g.reprobe
        g.reprobe = False
        if g.svc is not None:
            g.svc.claimed = True
        if not again:
            self._event("claimed", what=g.kind, name=g.name, service=g.svc)
        if g.kind == "host":
            # SRV targets may have changed with our name: announce services again; and
            # services that waited for the name (s8.3) start now.
            for s in self.services:
                if s.host is None and (s._g.announced or s._g.state == ANNOUNCE):
                    self._announce_again(s._g, now)

    def _probe_seen(self, msg, now):
        # s8.2: another host probes a name we are probing: compare proposals.
        for g in self._groups():
            if g.state != PROBE:
                continue
            asked = False
            for q in msg.questions:
                if _rf(q) == g.fold:
                    asked = True
                    break
            if not asked:
                continue
            theirs = [r for r in msg.authorities if _rf(r) == g.fold]
            if not theirs:
                continue
            c = prober.tiebreak(g.unique, theirs)
            if c < 0:
                # We lose: wait one second and probe again (same name).
                g.state = WAIT
                g.step = 0
                g.due = now + prober.TIEBREAK_WAIT
                self._event("conflict", what=g.kind, name=g.name, reason="tiebreak lost",
                            service=g.svc)
