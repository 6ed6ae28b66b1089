# DNS-SD browsing (RFC 6763 s4, s5): PTR records of a service type give the
# instances; each instance is resolved from its SRV, TXT and the A/AAAA of the
# SRV target, which may come in any order and in separate packets. What is
# missing is asked for; events say up / changed / down once per change.
from . import wire
from . import sync
from . import names as _names
from . import querier as _querier
from . import cache as _cache
from . import servicetype as _st
from .engine import Event, Engine

RESOLVE_TIMEOUT_MS = 5000  # `unresolved` when an instance is not resolved by then
UP_SETTLE_MS = 50  # an `up` with one address family waits this long for the other
EVENT_QUEUE = 32  # events kept for an async iterator that is not reading

_UP = 1
_LOST = 2  # was up, lost its SRV or addresses; still listed by PTR


class _Inst:
    def __init__(self, name, now):
        self.name = name
        self.seen = now  # when it (re)appeared, for the resolve timeout
        self.state = 0
        self.told_unresolved = False
        self.last = None  # (host, port, addresses, txt) as last reported
        self.last_snap = None  # the same, comparable
        self.ptr_key = None  # key of the PTR record that lists it
        self.up_at = None  # when a one-family `up` is due (UP_SETTLE_MS)
        self.host = None  # SRV target we watch
        self.asked = []  # [(name, type)] asked via the querier
        self.held = ()  # cache keys held (evicted last) while it is up
        self.iface = None


def _txt_items(d):
    return tuple(sorted(d.items())) if d else ()


def _addr_sort(a):
    return (1 if ":" in a else 0, a)


class BrowserPart:
    """Engine-level browser (no I/O): a client of the engine's shared querier and
    cache. on_event(Event) gets `up`, `changed`, `down` and `unresolved` events
    with fields instance, name, type, domain, host, port, addresses, txt,
    interface (plus changes / reason / missing). Events are also emitted on the
    engine."""

    def __init__(self, engine, service_type, on_event=None, resolve_timeout_ms=RESOLVE_TIMEOUT_MS,
                 domain="local", **cache_kw):
        st = _st.parse(service_type)
        self.service_type = st
        self.type = st.base()
        self.domain = domain
        # a subtype browse asks for _sub._http._tcp.local; instances are still _http._tcp
        self.ptr_name = st.subtype_names(domain)[0] if st.subtypes else st.fqdn(domain)
        self.engine = engine
        self.on_event = on_event
        self.resolve_timeout_ms = resolve_timeout_ms
        self.q = _querier.of(engine, **cache_kw)
        self.cache = self.q.cache
        self._ptr_fold = _names.fold(self.ptr_name)
        self._inst = {}  # fold(instance name) -> _Inst
        self._hosts = {}  # fold(host) -> [fold(instance name), ...]
        self._dirty = []
        self._listeners = []
        self.closed = False
        self._listener = self._on_cache
        self.cache.listeners = self.cache.listeners + [self._listener]
        self.q.add_client(self)
        self.cache.want(self.ptr_name, wire.TYPE_PTR)
        self.q.ask(self.ptr_name, wire.TYPE_PTR)  # first QU after 20-120 ms, then backoff
        # instances already cached (another browser of the same engine saw them)
        for r in self.cache.get(self.ptr_name, wire.TYPE_PTR):
            self._track(r.data, None, r.key())

    def instances(self):
        """Resolved instances as dicts (same fields as the events)."""
        out = []
        for k in self._inst:
            i = self._inst[k]
            if i.state == _UP:
                out.append(self._fields(i))
        return out

    def close(self):
        if self.closed:
            return
        self.closed = True
        for k in list(self._inst):
            self._drop(k)
        self.q.unask(self.ptr_name, wire.TYPE_PTR)
        self.cache.unwant(self.ptr_name, wire.TYPE_PTR)
        fn = self._listener
        self.cache.listeners = [f for f in self.cache.listeners if f is not fn]
        self.q.remove_client(self)

    # ---- querier client ----
    def deadline(self):
        if self._dirty:
            return 0
        best = None
        for i in self._inst.values():
            if i.up_at is not None and (best is None or i.up_at < best):
                best = i.up_at
            if i.state != _UP and not i.told_unresolved:
                if i.seen is None:
                    return 0
                t = i.seen + self.resolve_timeout_ms
                if best is None or t < best:
                    best = t
        return best

    def tick(self, now):
        for k in self._inst:
            t = self._inst[k].up_at
            if t is not None and t <= now and k not in self._dirty:
                self._dirty.append(k)
        if self._dirty:
            self._settle(now)
        for k in list(self._inst):  # a callback may close the browser
            if self.closed:
                return
            i = self._inst[k]
            if i.seen is None:
                i.seen = now
            if i.state != _UP and not i.told_unresolved and now >= i.seen + self.resolve_timeout_ms:
                i.told_unresolved = True
                f = self._fields(i, now)
                missing = []
                if f["port"] is None:
                    missing.append("SRV")
                if f["txt"] is None:
                    missing.append("TXT")
                if f["port"] is not None and not f["addresses"]:
                    missing.append("A/AAAA")
                f["missing"] = missing
                self._emit("unresolved", f)

    # ---- cache events ----
    def _on_cache(self, kind, rec, now):
        if self.closed:
            return
        if kind == "batch":
            # settled at the next tick, which the drivers run right after reading
            # every datagram that is waiting: replies that arrive together (IPv4 and
            # IPv6 copies, a peer's records in several packets) make one event
            return
        t = rec.type
        f = _names.fold(rec.name)
        if t == wire.TYPE_PTR:
            if f == self._ptr_fold:
                if kind == "added":
                    self._track(rec.data, now, rec.key())
                else:
                    k = _names.fold(rec.data)
                    if k in self._inst and k not in self._dirty:
                        self._dirty.append(k)
                    self._why = kind
        elif t == wire.TYPE_SRV or t == wire.TYPE_TXT:
            if f in self._inst and f not in self._dirty:
                self._dirty.append(f)
                if kind != "added":
                    self._why = kind
        elif t == wire.TYPE_A or t == wire.TYPE_AAAA:
            for k in self._hosts.get(f, ()):
                if k not in self._dirty:
                    self._dirty.append(k)
            if kind != "added" and f in self._hosts:
                self._why = kind

    _why = "expired"

    def _track(self, name, now, ptr_key):
        if not _names.split(name):
            # RFC 6763 s4.1: a browse PTR names <Instance>.<Service>.<Domain>; one to
            # the root names no instance (a peer's bug): nothing to track
            return None
        k = _names.fold(name)
        if k in self._inst:
            self._inst[k].ptr_key = ptr_key
            return k
        i = _Inst(name, now)  # now None: set at the next tick
        i.ptr_key = ptr_key
        self._inst[k] = i
        self.cache.want(name, wire.TYPE_SRV)
        self.cache.want(name, wire.TYPE_TXT)
        if k not in self._dirty:
            self._dirty.append(k)
        return k

    def _set_ask(self, i, name, type, on):
        q = (name, type)
        if on and q not in i.asked:
            i.asked.append(q)
            self.q.ask(name, type, False)
        elif not on and q in i.asked:
            i.asked.remove(q)
            self.q.unask(name, type)

    def _set_host(self, k, i, host):
        if i.host is not None and (host is None or _names.fold(host) != _names.fold(i.host)):
            old = _names.fold(i.host)
            self._set_ask(i, i.host, wire.TYPE_A, False)
            self._set_ask(i, i.host, wire.TYPE_AAAA, False)
            self.cache.unwant(i.host, wire.TYPE_A)
            self.cache.unwant(i.host, wire.TYPE_AAAA)
            lst = self._hosts.get(old)
            if lst is not None and k in lst:
                lst.remove(k)
                if not lst:
                    del self._hosts[old]
            i.host = None
        if host is not None and i.host is None:
            i.host = host
            self.cache.want(host, wire.TYPE_A)
            self.cache.want(host, wire.TYPE_AAAA)
            h = _names.fold(host)
            lst = self._hosts.get(h)
            if lst is None:
                self._hosts[h] = [k]
            elif k not in lst:
                lst.append(k)

    def _hold(self, i, on):
        # a service reported up: its PTR, SRV, TXT and addresses are evicted last
        new = ()
        if on:
            new = [i.ptr_key, (_names.fold(i.name), wire.TYPE_SRV), (_names.fold(i.name), wire.TYPE_TXT)]
            if i.host is not None:
                h = _names.fold(i.host)
                new += [(h, wire.TYPE_A), (h, wire.TYPE_AAAA)]
        if new != i.held:
            for x in new:
                self.cache.hold(x)
            for x in i.held:
                self.cache.unhold(x)
            i.held = new

    def _drop(self, k):
        i = self._inst.pop(k)
        self._hold(i, False)
        for q in list(i.asked):
            self._set_ask(i, q[0], q[1], False)
        self._set_host(k, i, None)
        self.cache.unwant(i.name, wire.TYPE_SRV)
        self.cache.unwant(i.name, wire.TYPE_TXT)

    def _fields(self, i, now=None):
        c = self.cache
        srv = None
        for r in c.get(i.name, wire.TYPE_SRV, now):
            # RFC 2782: lowest priority, then highest weight
            # (ties: the newest, listed last)
            if srv is None or (r.data[0], -r.data[1]) <= (srv.data[0], -srv.data[1]):
                srv = r
        txt = c.get(i.name, wire.TYPE_TXT, now)
        txt = txt[-1].data if txt else None  # the newest one (a changed TXT replaces the old)
        host = srv.data[3] if srv is not None else None
        addrs = []
        if host is not None:
            for t in (wire.TYPE_A, wire.TYPE_AAAA):
                for r in c.get(host, t, now):
                    if r.data not in addrs:
                        addrs.append(r.data)
            addrs.sort(key=_addr_sort)
        labels = _names.split(i.name)
        if srv is not None:
            i.iface = c.entry_iface(srv) or i.iface
        return {
            "instance": labels[0],
            "name": i.name,
            "type": ".".join(labels[1:3]) if len(labels) > 3 else self.type,
            "domain": ".".join(labels[3:]) if len(labels) > 3 else self.domain,
            "host": host,
            "port": srv.data[2] if srv is not None else None,
            "addresses": addrs,
            "txt": txt,
            "interface": i.iface,
        }

    def _settle(self, now):
        dirty = self._dirty
        self._dirty = []
        why = self._why
        self._why = "expired"
        for k in dirty:
            if self.closed:
                return
            i = self._inst.get(k)
            if i is None:
                continue
            if self.cache.alive(i.ptr_key, now) is None:
                if i.state == _UP:
                    f = self._fields(i, now)
                    self._last_known(i, f)
                    f["reason"] = why
                    self._emit("down", f)
                self._drop(k)
                continue
            f = self._fields(i, now)
            # ask only for what is missing (s5.2 refresh keeps the rest fresh)
            self._set_ask(i, i.name, wire.TYPE_SRV, f["port"] is None)
            self._set_ask(i, i.name, wire.TYPE_TXT, f["txt"] is None)
            self._set_host(k, i, f["host"])
            if i.host is not None:
                need = not f["addresses"]
                self._set_ask(i, i.host, wire.TYPE_A, need)
                self._set_ask(i, i.host, wire.TYPE_AAAA, need)
            resolved = f["port"] is not None and f["addresses"]
            if i.state == _UP:
                if not resolved:
                    self._last_known(i, f)
                    f["reason"] = why
                    self._hold(i, False)
                    self._emit("down", f)
                    i.state = _LOST  # `up` again if it comes back; no `unresolved` after a `down`
                    i.told_unresolved = True
                    continue
                if f["txt"] is None:
                    f["txt"] = i.last[3]  # TXT left alone: keep the last one
                snap = (f["host"], f["port"], tuple(f["addresses"]), _txt_items(f["txt"]))
                if snap != i.last_snap:
                    ch = []
                    for n, j in (("host", 0), ("port", 1), ("addresses", 2), ("txt", 3)):
                        if snap[j] != i.last_snap[j]:
                            ch.append(n)
                    f["changes"] = ch
                    i.last = (f["host"], f["port"], f["addresses"], f["txt"])
                    i.last_snap = snap
                    self._hold(i, True)
                    self._emit("changed", f)
            elif resolved and f["txt"] is not None:
                # Dual-stack peers answer over IPv4 and IPv6 in separate packets, the
                # IPv6 one often with the AAAA only: with one family so far, give the
                # other UP_SETTLE_MS to come, so the `up` carries both (not up + changed).
                fams = 0
                for a in f["addresses"]:
                    fams |= 2 if ":" in a else 1
                if fams != 3:
                    if i.up_at is None:
                        i.up_at = now + UP_SETTLE_MS
                    if now < i.up_at:
                        continue
                i.up_at = None
                i.state = _UP
                i.last = (f["host"], f["port"], f["addresses"], f["txt"])
                i.last_snap = (f["host"], f["port"], tuple(f["addresses"]), _txt_items(f["txt"]))
                self._hold(i, True)
                self._emit("up", f)
            else:
                # resolved no more (evicted, expired) while settling: no `up` is due, and a
                # stale up_at would spin the driver (issue 13)
                i.up_at = None

    def _last_known(self, i, f):
        # a `down` event describes the service as it was last reported
        f["host"], f["port"], f["addresses"], f["txt"] = i.last

    def _emit(self, kind, f):
        ev = Event(kind, **f)
        self.engine.emit(ev)
        if self.on_event is not None:
            self.on_event(ev)
        for fn in self._listeners:
            fn(ev)


class Browser(sync.Loop):
    """mdns.Browser(service_type, on_event=None, ...): browse a DNS-SD service type
    ("_http._tcp", or "_http._tcp,_printer" for a subtype) and report instances.

    Sync: b.sockets(), b.process(sock), b.next_timeout_ms(), b.poll(ms),
    b.run_until(pred, ms), b.close(). asyncio: await b.start() / await b.stop(),
    `async with b:`, and `async for ev in b.events():`.
    Options: driver (an mdns.sync.Driver to share, e.g. a Responder's `driver`),
    engine (share an Engine; you drive it), sockets, clock, rand, addrs, ipv4,
    ipv6, interface, resolve_timeout_ms (5000), max_records and max_bytes (the
    cache's: 256 and 32768 on MicroPython, 4096 and 1 MiB on a host), on_error."""

    part_class = BrowserPart  # mdns.browseall.AllBrowser: every type

    def __init__(self, service_type, on_event=None, driver=None, engine=None, sockets=None,
                 clock=None, rand=None, addrs=None, ipv4=True, ipv6=True, interface=None,
                 resolve_timeout_ms=RESOLVE_TIMEOUT_MS, max_records=_cache.MAX_RECORDS, max_bytes=_cache.MAX_BYTES,
                 on_error=None):
        if driver is not None:
            engine = driver.engine
            sockets = driver.net
        self.engine = engine if engine is not None else Engine(rand=rand)
        self.driver = driver
        self.net = sockets
        self._want = (addrs, ipv4, ipv6, interface)
        self._clock = clock
        self.on_error = on_error
        self._aio = None
        self._streams = []
        self.part = self.part_class(self.engine, service_type, on_event, resolve_timeout_ms,
                                    max_records=max_records, max_bytes=max_bytes)
        self.part._listeners = [self._to_streams]
        self._own = False

    def _to_streams(self, ev):
        for s in self._streams:
            s.put(ev)

    def instances(self):
        return self.part.instances()

    @property
    def cache(self):
        return self.part.cache

    def _open(self):
        if self.driver is not None:
            return

        if self.net is None:
            from . import net

            addrs, v4, v6, iface = self._want
            self.net = net.Sockets(addrs, ipv4=v4, ipv6=v6, interface=iface, on_error=self.on_error)
        self._own = True
        self.driver = sync.Driver(self.engine, self.net, self._clock, self.on_error)
        self.driver.tick()

    def events(self, maxlen=EVENT_QUEUE):
        """An async iterator of events from now on; ends when the browser closes."""
        from .aio import Stream  # asyncio only where events are awaited
        s = Stream(maxlen)
        self._streams.append(s)
        return s

    def __aiter__(self):
        return self.events()

    def close(self):
        self.part.close()
        for s in self._streams:
            s.close()
        if self._own and self._aio is None and self.driver is not None:
            self.driver.flush()
            self.net.close()
            self.driver = None

    async def start(self):
        self._open()
        if self._aio is None and self._own:
            from . import aio

            self._aio = aio.Driver(self.engine, self.net, core=self.driver)
            await self._aio.start()

    async def stop(self):
        if self._aio is not None:
            a = self._aio
            self._aio = None
            self.part.close()
            await a.stop()
        self.close()

    async def __aenter__(self):
        await self.start()
        return self

    async def __aexit__(self, *exc):
        await self.stop()
