# Browsing every service type at once (RFC 6763 s9): the PTRs of
# _services._dns-sd._udp.local name the types on the link, and each type gets a
# BrowserPart on the same engine, so instances of every type come as the same
# up / changed / down / unresolved events (ev.type tells them apart).
from . import wire
from . import names as _names
from . import querier as _querier
from .browser import Browser, BrowserPart, RESOLVE_TIMEOUT_MS

SERVICES = "_services._dns-sd._udp.local"
MAX_TYPES = 32  # types browsed at once: a bound on memory when a LAN lists many


class TypesPart:
    """Engine-level browser of every type: same interface as BrowserPart."""

    def __init__(self, engine, service_type=SERVICES, on_event=None, resolve_timeout_ms=RESOLVE_TIMEOUT_MS,
                 domain="local", **cache_kw):
        self.engine = engine
        self.on_event = on_event
        self.resolve_timeout_ms = resolve_timeout_ms
        self.domain = domain
        self._kw = cache_kw
        self.q = _querier.of(engine, **cache_kw)
        self.cache = self.q.cache
        self.types = {}  # fold("_http._tcp") -> BrowserPart
        self._new = []  # types seen, browsed from the next tick (not inside a cache callback)
        self._ls = []
        self.closed = False
        self._fold = _names.fold(SERVICES)
        self._listener = self._on_cache
        self.cache.listeners = self.cache.listeners + [self._listener]
        self.q.add_client(self)
        self.cache.want(SERVICES, wire.TYPE_PTR)
        self.q.ask(SERVICES, wire.TYPE_PTR)
        for r in self.cache.get(SERVICES, wire.TYPE_PTR):
            self._found(r.data)

    # Browser sets _listeners (its async streams) after construction: pass them on.
    @property
    def _listeners(self):
        return self._ls

    @_listeners.setter
    def _listeners(self, v):
        self._ls = v
        for p in self.types.values():
            p._listeners = v

    def _found(self, name):
        labels = _names.split(name)
        # "_http._tcp.local"; a subtype ("_x._sub._http._tcp.local") is a view of a type
        if len(labels) != 3 or labels[2].lower() != self.domain:
            return
        t = labels[0] + "." + labels[1]
        k = _names.fold(t)
        if k in self.types or t in self._new or len(self.types) + len(self._new) >= MAX_TYPES:
            return
        self._new.append(t)

    def _on_cache(self, kind, rec, now):
        if not self.closed and kind == "added" and rec.type == wire.TYPE_PTR and _names.fold(rec.name) == self._fold:
            self._found(rec.data)

    def deadline(self):
        return 0 if self._new else None

    def tick(self, now):
        while self._new and not self.closed:
            t = self._new.pop(0)
            try:
                p = BrowserPart(self.engine, t, self.on_event, self.resolve_timeout_ms, self.domain, **self._kw)
            except ValueError:  # a type name we cannot browse (RFC 6335 rules): skip it
                continue
            p._listeners = self._ls
            self.types[_names.fold(t)] = p

    def instances(self):
        out = []
        for p in self.types.values():
            out += p.instances()
        return out

    def close(self):
        if self.closed:
            return
        self.closed = True
        for p in self.types.values():
            p.close()
        self.q.unask(SERVICES, wire.TYPE_PTR)
        self.cache.unwant(SERVICES, wire.TYPE_PTR)
        fn = self._listener
        self.cache.listeners = [f for f in self.cache.listeners if f is not fn]
        self.q.remove_client(self)


class AllBrowser(Browser):
    """mdns.AllBrowser(on_event=None, ...): every service type on the link, each
    instance reported as mdns.Browser reports one type's (same options)."""

    part_class = TypesPart

    def __init__(self, on_event=None, **kw):
        Browser.__init__(self, SERVICES, on_event, **kw)
