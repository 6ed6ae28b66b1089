# The responder: what this host owns (RFC 6762, RFC 6763).
#   ResponderPart  the engine part: records, probing (s8.1/8.2), announcing (s8.3),
#                  answering (s6, s7), defending (s9), goodbye (s10.1)
#   Responder      the public object: an Engine + a ResponderPart + sockets + a driver
# Helpers for probing live in mdns.prober; the DNS-SD service object in mdns.service.
from . import wire
from . import sync
from . import names as _names
from . import addr as _addr
from . import prober
from .engine import Engine, Event

TTL_HOST = 120  # s10: records naming a host (A, AAAA, SRV, reverse PTR)
TTL_OTHER = 4500  # s10: everything else (PTR, TXT)
TTL_LEGACY_MAX = 10  # s6.7
ANNOUNCE_COUNT = 2  # s8.3: at least two ...
ANNOUNCE_INTERVAL = 1000  # ... one second apart
RATE_LIMIT = 1000  # s6: a record is multicast at most once per second ...
RATE_LIMIT_PROBE = 250  # ... except in defence against a probe (250 ms)
SHARED_DELAY = (20, 120)  # s6: random delay before answering with shared records
TC_WAIT = (400, 500)  # s7.2: wait for the rest of the known answers
TC_KEEP = 64  # s7.2: questions + known answers kept per waiting querier; more: answer now
TC_SOURCES = 16  # s7.2: queriers waited for at once; another one is answered at once
ASKERS_MAX = 8  # s7.1: queriers tracked per delayed answer; past this it is never cancelled
SERVICES_META = "_services._dns-sd._udp.local"  # RFC 6763 s9

T_A = wire.TYPE_A
T_AAAA = wire.TYPE_AAAA
T_PTR = wire.TYPE_PTR
T_SRV = wire.TYPE_SRV
T_TXT = wire.TYPE_TXT
T_NSEC = wire.TYPE_NSEC
T_ANY = wire.TYPE_ANY
C_IN = wire.CLASS_IN
FLAGS_RESPONSE = wire.FLAG_QR | wire.FLAG_AA

# group states
IDLE = 0  # not started
WAIT = 1  # waiting to (re)start probing at g.due
PROBE = 2  # sent g.step probes
ANNOUNCE = 3  # claimed; sent g.step announcements
DONE = 4  # claimed and announced


class _Group:
    """The records claimed together under one unique name: the host name (with
    its addresses and reverse names) or one service instance (SRV + TXT, plus the
    shared PTRs that point at it)."""

    def __init__(self, kind, svc=None):
        self.kind = kind  # "host" or "service"
        self.svc = svc
        self.name = ""  # the unique name probed
        self.fold = b""
        self.state = IDLE
        self.step = 0
        self.due = None
        self.recs = []  # every record published for this group
        self.unique = []  # the unique records at self.name (probed, s8.2 authority)
        self.owners = {}  # fold(owner name) -> set of types, for unique owners (NSEC, s6.1)
        self.announced = False  # records are out there (a goodbye is owed)
        self.reprobe = False  # s9: probing again after a conflict while established

    @property
    def live(self):
        return self.state >= ANNOUNCE


def _fold(name):
    return _names.fold(name)


def _key(r):
    # Record.key() folds the name and builds a tuple on every call; our records are
    # compared many times per query, so the key is computed once and kept on the record.
    k = getattr(r, "_k", None)
    if k is None:
        k = r.key()
        r._k = k
    return k


def _size(r):
    # Upper bound of a record's wire size (no compression), kept on the record: lets
    # _send_response allocate a packet buffer of the size needed instead of max_payload.
    n = getattr(r, "_n", None)
    if n is None:
        n = len(_names.to_wire(r.name)) + 10 + len(r.rdata())
        r._n = n
    return n


def _rf(r):
    # The folded owner name, computed once per record (see _key).
    f = getattr(r, "_f", None)
    if f is None:
        f = _names.fold(r.name)
        r._f = f
    return f


def _df(r):
    # The folded name in a PTR's data or an SRV's target, computed once per record
    # (_additionals compares it on every answer).
    f = getattr(r, "_df", None)
    if f is None:
        f = _names.fold(r.data[3] if r.type == T_SRV else r.data)
        r._df = f
    return f


def _legacy(r):
    # s6.7: the copy for a legacy querier (TTL at most 10 s, no cache-flush bit),
    # made once per record: our records are replaced, never changed, on a rebuild.
    c = getattr(r, "_lg", None)
    if c is None:
        c = wire.Record(r.name, r.type, r.data, ttl=min(r.ttl, TTL_LEGACY_MAX),
                        cache_flush=False)
        r._lg = c
    return c


def _rec(name, type_, data, ttl, unique):
    return wire.Record(name, type_, data, ttl=ttl, cache_flush=unique)


class ResponderPart:
    """Engine part that claims and defends a host name and services.

    ResponderPart(engine, hostname, addrs=(), on_event=None, ttl_host=120,
    ttl_other=4500, announce_count=2). Methods take `now` (engine ms)."""

    def __init__(self, engine, hostname, addrs=(), on_event=None, ttl_host=TTL_HOST,
                 ttl_other=TTL_OTHER, announce_count=ANNOUNCE_COUNT):
        self.eng = engine
        self.on_event = on_event
        self.ttl_host = ttl_host
        self.ttl_other = ttl_other
        self.announce_count = announce_count
        label = hostname[:-1] if hostname.endswith(".") else hostname
        if _names.fold(label).endswith(b".local"):
            label = label[:-6]
        if "." in label or not label:
            raise ValueError("hostname: one label expected, got %r" % hostname)
        _names.to_wire(label + ".local")  # raises ValueError naming the problem
        self.host_label = label
        self.addrs = [_addr.normalize(a) for a in addrs]
        self.own_addrs = set(self.addrs)  # packets from here on port 5353 are ours
        self.host = _Group("host")
        self.services = []
        self._gl = [self.host]  # _groups(); replaced, never changed in place
        # Scratch lists of the answering path, emptied at each use: the per-query
        # path allocates no list of its own (nothing keeps them past the call).
        self._ans = []  # _answer: the records answering the questions
        self._mc = []  # _send_multicast: the records going out now
        self._adds = []  # _additionals: its result
        self._spare = None  # an emptied list to be the next _pending
        self._qf = {}  # question name (str) -> folded: queriers ask the same few names
        self.limiter = prober.ConflictLimiter()
        self._last_mc = {}  # record key -> time we last multicast it (s6 rate limit, s5.4)
        self._pending = []  # delayed multicast answers (s6 shared-record delay, rate limit)
        self._pending_due = None
        self._defend = set()  # keys of pending records owed as probe defence (250 ms limit)
        self._askers = {}  # key of a pending record -> set of queriers (src) waiting for it
        self._tc = {}  # src -> [questions, known answers, due] (s7.2)
        self._names = None
        self.started = False
        self.stopped = False
        self._rebuild_host()
        engine.attach(self)

    # ------------------------------------------------------------------ names
    @property
    def hostname(self):
        return self.host_label + ".local"

    def names(self):
        """Wire names for the engine's hot-path drop test."""
        if self._names is None:
            got = []
            seen = set()
            for g in self._groups():
                for r in g.recs:
                    k = _rf(r)
                    if k not in seen:
                        seen.add(k)
                        got.append(_names.to_wire(r.name))
            self._names = got
        return self._names

    def _interest_changed(self):
        self._names = None
        self.eng.interest_changed()

    def _groups(self):
        # Host first, then each service's group. The list is replaced when a service
        # comes or goes, so a caller may iterate it while groups change (no copy).
        return self._gl

    # ---------------------------------------------------------------- records
    def _rebuild_host(self):
        g = self.host
        g.name = self.hostname
        g.fold = _fold(g.name)
        recs = []
        types = set()
        for a in self.addrs:
            t = T_AAAA if ":" in a else T_A
            types.add(t)
            recs.append(_rec(g.name, t, a, self.ttl_host, True))
        g.unique = list(recs)
        g.owners = {g.fold: types}
        for a in self.addrs:
            rn = _addr.reverse_name(a)
            recs.append(_rec(rn, T_PTR, g.name, self.ttl_host, True))
            g.owners[_fold(rn)] = set((T_PTR,))
        g.recs = recs
        for s in self.services:
            if s.host is None and s._g is not None:
                self._rebuild_service(s)

    def _rebuild_service(self, svc):
        g = svc._g
        name = svc.name
        g.name = name
        g.fold = _fold(name)
        target = svc.host or self.hostname
        srv = _rec(name, T_SRV, (0, 0, svc.port, target), self.ttl_host, True)
        txt = _rec(name, T_TXT, svc.txt if svc.txt else {}, self.ttl_other, True)
        g.unique = [srv, txt]
        g.owners = {g.fold: set((T_SRV, T_TXT))}
        recs = [srv, txt, _rec(svc.type_name, T_PTR, name, self.ttl_other, False)]
        for sn in svc.sub_names():
            recs.append(_rec(sn, T_PTR, name, self.ttl_other, False))
        recs.append(_rec(SERVICES_META, T_PTR, svc.type_name, self.ttl_other, False))
        g.recs = recs

    def _host_addr_recs(self, target):
        # A/AAAA for an SRV target, when the target is us and we hold the name.
        if self.host.live and _fold(target) == self.host.fold:
            return self.host.unique
        return ()

    # ------------------------------------------------------------ life cycle
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

    # ---------------------------------------------------------------- events
    def _event(self, kind, **fields):
        ev = Event(kind, **fields)
        self.eng.emit(ev)
        cb = self.on_event
        if cb is not None:
            try:
                cb(ev)
            except Exception as e:  # a callback bug must not stop the responder
                self.eng.emit(Event("error", error=e, where="on_event"))

    # --------------------------------------------------------------- probing
    def _start_probe(self, g, now, first):
        g.state = WAIT
        g.step = 0
        wait = self.limiter.delay(now)
        if first or not wait:
            wait = max(wait, self.eng.rand(0, prober.PROBE_DELAY_MAX))
        g.due = now + wait

    def _send_probe(self, g):
        # s8.1: ANY question (QU on the first probe), proposed records in the authority section.
        w = self.eng.writer(0, 0)
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
            # SRV targets may have changed with our name: announce services again.
            for s in self.services:
                if s.host is None and s._g.announced:
                    self._announce_again(s._g, now)

    # -------------------------------------------------------------- timers
    def deadline(self):
        best = self._pending_due
        for g in self._groups():
            d = g.due
            if d is not None and (best is None or d < best):
                best = d
        if self._tc:
            for k in self._tc:
                d = self._tc[k][2]
                if best is None or d < best:
                    best = d
        return best

    def tick(self, now):
        for g in self._groups():
            if g.due is None or g.due > now:
                continue
            if g.state == WAIT:
                g.state = PROBE
                g.step = 0
            if g.state == PROBE:
                if g.step < prober.PROBE_COUNT:
                    self._send_probe(g)
                    g.step += 1
                    g.due = now + prober.PROBE_INTERVAL
                else:
                    self._claimed(g, now)
            if g.state == ANNOUNCE and g.due is not None and g.due <= now:
                self._send_announce(g, now)
                g.announced = True
                g.step += 1
                if g.step < self.announce_count:
                    g.due = now + ANNOUNCE_INTERVAL
                else:
                    g.state = DONE
                    g.due = None
        if self._tc:
            for src in list(self._tc):
                ent = self._tc[src]
                if ent[2] <= now:
                    del self._tc[src]
                    self._answer(ent[0], ent[1], src, 0, False, False, now)
        if self._pending_due is not None and self._pending_due <= now:
            recs = self._pending
            spare = self._spare
            self._spare = None
            self._pending = spare if spare is not None else []
            self._pending_due = None
            self._send_multicast(recs, now, RATE_LIMIT)
            recs.clear()  # clear(), not del [:]: no slice object
            self._spare = recs

    # ----------------------------------------------------------- announcing
    def _send_announce(self, g, now):
        # s8.3: unsolicited response with every record; cache-flush on unique ones (s10.2).
        adds = []
        for r in g.recs:
            if r.type == T_SRV:
                adds.extend(self._host_addr_recs(r.data[3]))
        self._send_response(g.recs, adds, None)
        self._sent_mc(g.recs, now)

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

    # ------------------------------------------------------------ receiving
    def _is_own(self, src):
        return (src[1] == 5353 and src[0] in self.own_addrs) or self.eng.is_own(src)

    def on_response(self, msg, src, now):
        if not self.started:
            return
        if not self.eng.on_link(src):
            return  # s11
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
            k = _key(r)
            same = False
            for x in mine:
                if _key(x) == k:
                    same = True
                    break
            if same:
                continue
            if g.state in (WAIT, PROBE):
                # s8.1: a response with a record of the name we probe (any type),
                # other than exactly one of ours, means the name is taken.
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
                    g.state = WAIT
                    g.step = 0
                    g.due = now
                    return

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

    def on_query(self, msg, src, now):
        if not self.started:
            return
        if not self.eng.on_link(src):
            return  # s11
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

    def _ours(self, f):
        for g in self._groups():
            for r in g.recs:
                if _rf(r) == f:
                    return True
        return False

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

    # ------------------------------------------------------------- answering
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
            if not g.live:
                continue
            types = g.owners.get(f)
            if types is not None:
                owner = g
            for r in g.recs:
                if (t == T_ANY or r.type == t) and _rf(r) == f:
                    found = True
                    k = _key(r)
                    dup = False
                    for x in out:
                        if _key(x) == k:
                            dup = True
                            break
                    if not dup:
                        out.append(r)
        return None if found or t == T_ANY else owner

    def _qfold(self, name):
        # The folded question name from a small table (a decoded question is new
        # each time; folding it, or keeping the fold on it, allocates per query).
        qf = self._qf
        f = qf.get(name)
        if f is None:
            f = _fold(name)
            if len(qf) >= 16:
                qf.clear()
            qf[name] = f
        return f

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
                    if g.live and g.fold == f:
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
        self._send_response(out, self._additionals(out), None)
        self._sent_mc(out, now)
        out.clear()

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

    def _send_response(self, answers, additionals, dest, qid=0, questions=()):
        """Write answers then additionals, splitting over as many packets as needed;
        each packet goes to the engine as soon as it is full."""
        eng = self.eng
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
                    eng.send(w.packet(), dest)
                    w = self._fresh(qid, mp, questions)
                    n = 0
                if w.add_answer(r) is False:
                    continue  # one record larger than a packet: cannot be sent
            n += 1
        for r in additionals:
            if w.add_additional(r) is False:
                if not n:
                    continue
                eng.send(w.packet(), dest)
                w = self._fresh(qid, mp, questions)
                n = 0
                if w.add_additional(r) is False:
                    continue
            n += 1
        if n:
            eng.send(w.packet(), dest)

    def _fresh(self, qid, mp, questions):
        # The engine's Writer, reset (reused buffers; packet() copies).
        w = self.eng.writer(qid, FLAGS_RESPONSE, mp)
        for q in questions:
            # echoed without the QU bit (the Writer masks the class to 15 bits)
            w.add_question(wire.Question(q.name, q.type, cls=q.cls & 0x7FFF) if q.unicast else q)
        return w


# =================================================================== public API
class Responder(sync.Loop):
    """mdns.Responder(hostname, addrs=None, services=(), ...): claim hostname.local
    and advertise services on one interface.

    Sync: r.sockets() for your poll loop, r.process(sock) when one is readable,
    r.next_timeout_ms() for the poll timeout, or r.poll(ms); r.close() says goodbye.
    asyncio: await r.start() / await r.stop(), or `async with r:`.
    Options: ipv4/ipv6 (True), interface (host interface name), engine (share one
    Engine with a browser), sockets (an mdns.net.Sockets, or a fake for tests),
    clock (callable -> ms), rand(lo, hi), on_event(Event), on_error(exception),
    ttl_host (120), ttl_other (4500), announce_count (2)."""

    def __init__(self, hostname, addrs=None, services=(), ipv4=True, ipv6=True, interface=None,
                 engine=None, sockets=None, clock=None, rand=None, on_event=None, on_error=None,
                 ttl_host=TTL_HOST, ttl_other=TTL_OTHER, announce_count=ANNOUNCE_COUNT):
        self.engine = engine if engine is not None else Engine(rand=rand)
        self.on_error = on_error
        self._want = (addrs, ipv4, ipv6, interface)
        self.net = sockets
        self._clock = clock
        self.part = ResponderPart(self.engine, hostname, addrs or (), on_event=on_event,
                                  ttl_host=ttl_host, ttl_other=ttl_other,
                                  announce_count=announce_count)
        self.driver = None
        self._aio = None
        for s in services:
            self.part.add_service(s, 0)

    # -- names
    @property
    def hostname(self):
        """The host name claimed (or being claimed): "kitchen-cam.local"."""
        return self.part.hostname

    @property
    def claimed(self):
        return self.part.host.live

    @property
    def services(self):
        return list(self.part.services)

    @property
    def addrs(self):
        return list(self.part.addrs)

    # -- set-up
    def _open(self):
        if self.driver is not None:
            return

        if self.net is None:
            from . import net

            addrs, v4, v6, iface = self._want
            self.net = net.Sockets(addrs, ipv4=v4, ipv6=v6, interface=iface,
                                   on_error=self.on_error)
        self.driver = sync.Driver(self.engine, self.net, self._clock, self.on_error)
        now = self.driver.clock()
        got = list(self.net.addrs)
        if got != self.part.addrs:
            self.part.set_addrs(got, now)
        self.part.start(now)
        self.driver.tick(now)

    def _now(self):
        self._open()
        return self.driver.clock()

    def _after_api(self):
        self.driver.tick()
        if self._aio is not None:
            self._aio.kick()

    # -- sync driver (sockets, process, next_timeout_ms, poll, run_until: sync.Loop)
    def wait_claimed(self, timeout_ms=5000):
        """Run the loop until the host name and every service are claimed."""
        def done():
            return self.part.host.live and all(s.claimed for s in self.part.services)

        return self.run_until(done, timeout_ms)

    def close(self):
        """Goodbye (TTL 0) for everything, then close the sockets."""
        if self.driver is None:
            return
        self.part.stop(self.driver.clock())
        self.driver.flush()
        if self._aio is None:
            self.net.close()
            self.driver = None

    # -- asyncio driver
    async def start(self):
        self._open()
        if self._aio is None:
            from . import aio

            self._aio = aio.Driver(self.engine, self.net, core=self.driver)
        await self._aio.start()

    async def stop(self):
        if self._aio is not None:
            self.part.stop(self.driver.clock())
            await self._aio.stop()
            self._aio = None
        self.close()

    async def __aenter__(self):
        await self.start()
        return self

    async def __aexit__(self, *exc):
        await self.stop()

    # -- services and addresses
    def add_service(self, svc):
        self.part.add_service(svc, self._now())
        self._after_api()
        return svc

    def update_service(self, svc, txt=None, port=None, subtypes=None):
        self.part.update_service(svc, self._now(), txt=txt, port=port, subtypes=subtypes)
        self._after_api()

    def remove_service(self, svc):
        self.part.remove_service(svc, self._now())
        self._after_api()

    def rejoin(self, addrs=None):
        """After a network reconnect: join the groups again and announce new addresses."""
        self._open()
        got = self.net.rejoin(addrs)
        now = self.driver.clock()
        if list(got) != self.part.addrs:
            self.part.set_addrs(got, now)
        else:
            for g in self.part._groups():
                self.part._announce_again(g, now)
        self._after_api()
