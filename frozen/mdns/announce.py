# Announcing what we own (RFC 6762 s8.3, s8.4) and saying goodbye (s10.1),
# with the life cycle that triggers them. Mixin of ResponderPart.
from . import wire
from . import addr as _addr
from .owned import (IDLE, ANNOUNCE, SERVICES_META, T_A, T_AAAA, T_PTR, T_SRV,
                    _Group, _fold, _key, _rf)


class Announce:
    """Mixin of ResponderPart: start, stop, services, addresses, announce, goodbye."""

    def start(self, now):
        """Begin probing for the host name and every service added so far."""
        if self.started:
            return
        self.started = True
        self.stopped = False
        if self.addrs:
            self._start_probe(self.host, now, True)
        for s in self.services:
            self._start_probe(s._g, now, True)

    def stop(self, now):
        """s10.1: goodbye (TTL 0) for everything announced; stop answering."""
        recs = []
        for g in self._groups():
            if g.announced:
                recs.extend(g.recs)
            g.state = IDLE
            g.due = None
            g.announced = False
        self._send_goodbye(recs)
        self._pending = []
        self._pending_due = None
        self._defend = set()
        self._askers = {}
        self._tc = {}
        self.started = False
        self.stopped = True

    def add_service(self, svc, now):
        if svc._g is not None or svc in self.services:
            raise ValueError("service: already added")
        for s in self.services:
            if _fold(s.name) == _fold(svc.name):
                raise ValueError("service: %r is already advertised" % svc.name)
        svc._g = _Group("service", svc)
        svc.claimed = False
        self.services.append(svc)
        self._gl = self._gl + [svc._g]
        self._rebuild_service(svc)
        self._interest_changed()
        if self.started:
            self._start_probe(svc._g, now, True)

    def remove_service(self, svc, now):
        if svc not in self.services:
            raise ValueError("service: not advertised")
        g = svc._g
        self.services.remove(svc)
        self._gl = [x for x in self._gl if x is not g]
        if g.announced:
            # Keep the _services meta PTR while another service of this type remains.
            keep = set()
            for s in self.services:
                if s._g.announced:
                    keep.add(_fold(s.type_name))
            recs = [r for r in g.recs
                    if not (r.type == T_PTR and _rf(r) == _fold(SERVICES_META)
                            and _fold(r.data) in keep)]
            self._send_goodbye(recs)
        self._drop_pending(g.recs)
        svc._g = None
        svc.claimed = False
        self._interest_changed()

    def update_service(self, svc, now, txt=None, port=None, subtypes=None):
        """s8.4: new data for records we own: announce again (no new probe: the
        name does not change). Removed subtypes get a goodbye."""
        if svc not in self.services:
            raise ValueError("service: not advertised")
        g = svc._g
        old = list(g.recs)
        if txt is not None:
            svc.txt = txt
        if port is not None:
            port = int(port)
            if not 0 <= port <= 65535:
                raise ValueError("port: %d out of range 0-65535" % port)
            svc.port = port
        if subtypes is not None:
            svc.set_subtypes(subtypes)
        self._rebuild_service(svc)
        self._interest_changed()
        self._changed(g, old, now)

    def set_addrs(self, addrs, now):
        """New interface addresses (DHCP renew, IPv6 appeared): announce them (s8.4)."""
        old = list(self.host.recs)
        self.addrs = [_addr.normalize(a) for a in addrs]
        self.own_addrs = set(self.addrs)
        self._rebuild_host()
        self._interest_changed()
        if not self.started:
            return
        if self.host.state == IDLE and self.addrs:
            self._start_probe(self.host, now, True)
            return
        self._changed(self.host, old, now)
        for s in self.services:
            if s.host is None and s._g.live:
                self._announce_again(s._g, now)

    def relink(self, addrs, now):
        """s13: the link came back or changed (a Wi-Fi reconnect): goodbye for the
        addresses we no longer have (s10.1, while the link still carries it), then
        probe and announce everything again: the first announcement goes out
        0.75-1 s after the first probe (s8.1), 1-1.25 s after this call."""
        new = [_addr.normalize(a) for a in addrs]
        if new != self.addrs:
            if self.host.announced:
                self._send_goodbye([r for r in self.host.recs if r.type in (T_A, T_AAAA)
                                    and _addr.normalize(r.data) not in new])
            self.set_addrs(new, now)
        if not self.started:
            return
        for g in self._groups():
            if g.state == IDLE:
                continue
            g.reprobe = g.reprobe or g.announced  # the same names: no second "claimed"
            self._drop_pending(g.recs)  # nothing of it goes out while probing
            self._start_probe(g, now, True)

    def _changed(self, g, old, now):
        if not g.announced:
            return  # still probing: the new records go out when it is claimed
        keys = set([_key(r) for r in g.recs])
        # Unique records replaced by one of the same name and type need no goodbye:
        # the cache-flush bit on the new one removes them (s10.2).
        flush = set([(_rf(r), r.type) for r in g.recs if r.cache_flush])
        gone = [r for r in old if _key(r) not in keys and (_rf(r), r.type) not in flush
                and not self._still_published(r)]
        self._send_goodbye(gone)
        # Nothing delayed with the old data may go out after the new (s6 rate limit).
        self._drop_pending([r for r in old if _key(r) not in keys])
        self._announce_again(g, now)

    def _still_published(self, r):
        k = _key(r)
        for g in self._groups():
            for x in g.recs:
                if _key(x) == k:
                    return True
        return False

    def _announce_again(self, g, now):
        if g.live:
            g.state = ANNOUNCE
            g.step = 0
            g.due = now

    def _announce_held(self, g, now):
        """True when g may not announce yet: s8.3, a service whose SRV points at our
        host name waits until that name is claimed (Claim._claimed starts it), whichever
        probe ends first. (s6: _send_announce leaves out what went out < 1 s ago.)"""
        if g.kind == "service" and self._waits_for_host(g.svc):
            g.due = None
            return True
        return False

    def _send_announce(self, g, now):
        # s8.3: unsolicited response with every record; cache-flush on unique ones (s10.2).
        # s6: a record multicast < 1 s ago (an answer, another group's shared PTR, the
        # announcement before a rename) is left out: every record's announcements stay
        # >= 1 s apart, and a query answered every second cannot hold an update back.
        adds = []
        for r in g.recs:
            if r.type == T_SRV:
                adds.extend(self._host_addr_recs(r.data[3]))
        self._mc_limit(adds, now)
        recs = self._mc_limit(list(g.recs), now)
        if not recs:
            return
        self._send_response(recs, adds, None)
        self._sent_mc(recs, now)
        self._sent_mc(adds, now)

    def _send_goodbye(self, recs):
        if not recs:
            return
        out = []
        seen = set()
        for r in recs:
            k = _key(r)
            if k not in seen:
                seen.add(k)
                out.append(wire.Record(r.name, r.type, r.data, ttl=0, cache_flush=False))
        self._send_response(out, (), None)
        for r in recs:
            k = _key(r)
            if k in self._last_mc:
                del self._last_mc[k]
