# The records this host owns, kept per claim group, and what every job of the
# responder shares: constants, per-record cached keys, name lookups, events.
# The jobs (claim, announce, answer, defend) are mixins of responder.ResponderPart.
from . import wire
from . import names as _names
from . import addr as _addr
from .engine import Event

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


def _holds(recs, k):
    # A record of key k among recs (linear: a few records, no set built per call).
    for x in recs:
        if _key(x) == k:
            return True
    return False


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


class Owned:
    """Mixin of ResponderPart: the groups, their records, names and events."""

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

    def _waits_for_host(self, svc):
        # s8.3: the service's SRV points at our host name, which is being probed
        h = self.host
        return (h.state == WAIT or h.state == PROBE) and (svc.host is None or _fold(svc.host) == h.fold)

    def _usable(self, g):
        # records of g may be sent: claimed, and not pointing at a name still probed
        return g.live and (g.kind == "host" or not self._waits_for_host(g.svc))

    def _host_addr_recs(self, target):
        # A/AAAA for an SRV target, when the target is us and we hold the name.
        if self.host.live and _fold(target) == self.host.fold:
            return self.host.unique
        return ()

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

    def _hears(self, src):
        # Started, and the sender is on our link (s11): else a packet is ignored.
        return self.started and self.eng.on_link(src)

    def _is_own(self, src):
        return (src[1] == 5353 and src[0] in self.own_addrs) or self.eng.is_own(src)

    def _ours(self, f):
        for g in self._groups():
            for r in g.recs:
                if _rf(r) == f:
                    return True
        return False

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
