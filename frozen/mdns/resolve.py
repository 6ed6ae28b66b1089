# One-shot resolvers (RFC 6762 s5, RFC 6763 s9/s12): a host name to its
# addresses, a service instance to host/port/TXT/addresses, the service types on
# the link (_services._dns-sd._udp.local), an address to its .local name, and a
# getaddrinfo() that sends .local names over mDNS and the rest to the platform.
#
# Engine level (no I/O): host_lookup(), ServiceLookup, types_lookup(),
# address_lookup() attach to an Engine and finish by themselves (`done`,
# `result`). Blocking forms run them on the sync driver; *_async forms on the
# asyncio driver; without a driver they open sockets for the call and close them.
from . import wire
from . import addr as _addr
from . import names as _names
from . import querier as _querier
from .engine import Event

TIMEOUT_MS = 3000
SETTLE_MS = 250  # after the first address, wait this long for the other family
SERVICES = "_services._dns-sd._udp.local"  # RFC 6763 s9


def _local(name):
    if name.endswith("."):
        name = name[:-1]
    if "." not in name:
        name += ".local"
    _names.to_wire(name)  # ValueError naming the problem
    return name


def is_local(name):
    """True for names that go to mDNS: *.local (RFC 6762 s3) and link-local reverse names."""
    n = name.lower()
    if n.endswith("."):
        n = n[:-1]
    return n == "local" or n.endswith(".local") or n.endswith(".254.169.in-addr.arpa") or (
        n.endswith(".ip6.arpa") and n[-14:-9] in ("8.e.f", "9.e.f", "a.e.f", "b.e.f")
    )


# ---- engine level ----
def host_lookup(engine, name, timeout_ms=TIMEOUT_MS, ipv4=True, ipv6=True):
    qs = []
    name = _local(name)
    if ipv4:
        qs.append((name, wire.TYPE_A))
    if ipv6:
        qs.append((name, wire.TYPE_AAAA))
    return _querier.Query(_querier.of(engine), qs, timeout_ms, settle_ms=SETTLE_MS)


def addresses(records):
    """Address strings of A/AAAA records, IPv4 first, link-local IPv6 last."""
    out = []
    for r in records:
        if r.type in (wire.TYPE_A, wire.TYPE_AAAA) and r.data not in out:
            out.append(r.data)
    out.sort(key=_addr_rank)
    return out


def _addr_rank(a):
    if ":" not in a:
        return (0, a)
    return (2 if a.startswith("fe8") else 1, a)


def types_lookup(engine, timeout_ms=TIMEOUT_MS):
    """Collects PTRs of _services._dns-sd._udp.local until the timeout."""
    return _querier.Query(_querier.of(engine), [(SERVICES, wire.TYPE_PTR)], timeout_ms, need=None, qu=False)


def service_types_of(records):
    out = []
    for r in records:
        if r.type != wire.TYPE_PTR:
            continue
        labels = _names.split(r.data)
        # "_http._tcp.local" or a subtype "_printer._sub._http._tcp.local"
        if len(labels) >= 3 and labels[-1].lower() == "local":
            t = ".".join(labels[:-1])
            if t not in out:
                out.append(t)
    out.sort()
    return out


def address_lookup(engine, ip, timeout_ms=TIMEOUT_MS):
    return _querier.Query(_querier.of(engine), [(_addr.reverse_name(ip), wire.TYPE_PTR)], timeout_ms)


def instance_name(instance, service_type=None):
    """"Kitchen Cam", "_http._tcp" -> "Kitchen Cam._http._tcp.local"; a full name
    (service_type None) is returned as is."""
    if service_type is None:
        return instance[:-1] if instance.endswith(".") else instance
    from . import servicetype

    return _names.instance(instance, servicetype.parse(service_type).fqdn())


class ServiceLookup:
    """Resolve one service instance: SRV and TXT, then the A/AAAA of the SRV
    target. result: dict like a browser event's fields (instance, name, type,
    domain, host, port, addresses, txt), or None when no SRV came in time."""

    def __init__(self, engine, instance, service_type=None, timeout_ms=TIMEOUT_MS, on_done=None,
                 txt=True, addresses=True, ipv4=True, ipv6=True):
        # Stop at what the caller needs: SRV only (txt=False, addresses=False), no
        # addresses, or one family; nothing more is asked for or waited on.
        self.want_txt = txt
        self.fams = [t for t, on in ((wire.TYPE_A, ipv4), (wire.TYPE_AAAA, ipv6)) if on and addresses]
        self.q = _querier.of(engine)
        self.cache = self.q.cache
        self.name = instance_name(instance, service_type)
        _names.to_wire(self.name)
        self.timeout_ms = timeout_ms
        self.on_done = on_done
        self.done = False
        self.result = None
        self._asked = []
        self._end = None
        self._settle = None
        self._host = None
        self._listener = self._on_cache
        self.q.add_client(self)
        self.cache.listeners = self.cache.listeners + [self._listener]

    def names(self):
        out = [_names.to_wire(self.name)]
        if self._host is not None:
            out.append(_names.to_wire(self._host))
        return out

    def _ask(self, name, type):
        if (name, type) not in self._asked:
            self._asked.append((name, type))
            self.cache.want(name, type)
            self.q.ask(name, type, True, 0)

    def deadline(self):
        if self.done:
            return None
        if self._end is None:
            return 0
        if self._settle is not None and self._settle < self._end:
            return self._settle
        return self._end

    def tick(self, now):
        if self.done:
            return
        if self._end is None:
            self._end = now + self.timeout_ms
            self._check(now)
            return
        if now >= self._end or (self._settle is not None and now >= self._settle):
            self._finish(now)

    def cancel(self):
        if not self.done:
            self._close()
            self.done = True

    def _on_cache(self, kind, rec, now):
        if kind == "batch" and self._end is not None and not self.done:
            self._check(now)

    def _get(self, now):
        c = self.cache
        srv = c.get(self.name, wire.TYPE_SRV, now)
        txt = c.get(self.name, wire.TYPE_TXT, now)
        srv = srv[-1] if srv else None
        txt = txt[-1].data if txt else None
        recs = []
        if srv is not None:
            host = srv.data[3]
            for t in self.fams:
                recs += c.get(host, t, now)
        return srv, txt, recs

    def _check(self, now):
        srv, txt, recs = self._get(now)
        if srv is None:
            self._ask(self.name, wire.TYPE_SRV)
        if txt is None and self.want_txt:
            self._ask(self.name, wire.TYPE_TXT)
        if srv is not None:
            host = srv.data[3]
            if self._host is None and self.fams:
                self._host = host
                self.cache.interest_changed()
            if txt is None and self.want_txt:
                for t in self.fams:
                    if not recs:
                        self._ask(host, t)
                return
            if not self.fams:
                self._finish(now)
            elif not recs:
                for t in self.fams:
                    self._ask(host, t)
            else:
                have = [r.type for r in recs]
                if len(set(have)) == len(self.fams):
                    self._finish(now)
                elif self._settle is None:
                    self._settle = now + SETTLE_MS

    def _finish(self, now):
        srv, txt, recs = self._get(now)
        if srv is not None:
            labels = _names.split(self.name)
            self.result = {
                "instance": labels[0],
                "name": self.name,
                "type": ".".join(labels[1:3]),
                "domain": ".".join(labels[3:]),
                "host": srv.data[3],
                "port": srv.data[2],
                "addresses": addresses(recs),
                "txt": txt if txt is not None else ({} if self.want_txt else None),
            }
        self._close()
        self.done = True
        self.q.engine.emit(Event("answer", name=self.name, records=[], service=self.result))
        if self.on_done is not None:
            self.on_done(self.result)

    def _close(self):
        for n, t in self._asked:
            self.q.unask(n, t)
            self.cache.unwant(n, t)
        self._asked = []
        fn = self._listener
        self.cache.listeners = [f for f in self.cache.listeners if f is not fn]
        self.q.remove_client(self)


# ---- running a lookup on a driver ----
def _open_driver():
    """A sync driver on fresh sockets for one call (tests replace this)."""
    from . import net, sync
    from .engine import Engine

    try:
        s = net.Sockets()
    except OSError as e:
        if net._errno(e) not in net._INUSE:
            raise
        # 5353 held by a stack that does not share it (stock firmware, docs/stock-firmware.md):
        # ask from another port; responders answer such one-shot queries by unicast (s5.1, s6.7)
        s = net.Sockets(one_shot=True)
    return sync.Driver(Engine(), s)


def _drivers(driver):
    """(sync driver, asyncio driver or None) for an mdns.sync.Driver, an
    mdns.aio.Driver, or an object that has one (a Responder or Browser)."""
    if hasattr(driver, "flush") and hasattr(driver, "clock"):
        return driver, None
    core = getattr(driver, "core", None)
    if core is not None:
        return core, driver
    if getattr(driver, "driver", None) is None and hasattr(driver, "_open"):
        driver._open()
    return driver.driver, getattr(driver, "_aio", None)


def _run(make, timeout_ms, driver):
    own = driver is None
    d = _open_driver() if own else _drivers(driver)[0]
    try:
        lk = make(d.engine)
        d.tick()
        d.run_until(lambda: lk.done, timeout_ms + 1000)
        if not lk.done:
            lk.cancel()
        return lk
    finally:
        if own:
            d.flush()
            d.net.close()


async def _arun(make, timeout_ms, driver):
    try:
        import asyncio
    except ImportError:  # pragma: no cover
        import uasyncio as asyncio
    from . import aio

    own = driver is None
    if own:
        core = _open_driver()
        adrv = aio.Driver(core.engine, core.net, core=core)
        await adrv.start()
    else:
        core, adrv = _drivers(driver)
    try:
        flag = asyncio.Event()
        lk = make(core.engine)
        prev = lk.on_done

        def done(res):
            flag.set()
            if prev is not None:
                prev(res)

        lk.on_done = done
        core.tick()
        if adrv is not None:
            adrv.kick()
        try:
            if hasattr(asyncio, "wait_for_ms"):
                await asyncio.wait_for_ms(flag.wait(), timeout_ms + 1000)
            else:
                await asyncio.wait_for(flag.wait(), (timeout_ms + 1000) / 1000)
        except asyncio.TimeoutError:
            lk.cancel()
        return lk
    finally:
        if own:
            await adrv.stop()
            core.net.close()


# ---- public API ----
def resolve_host(name, timeout_ms=TIMEOUT_MS, driver=None, ipv4=True, ipv6=True):
    """Addresses of NAME.local (IPv4 first), [] when nobody answered in time."""
    lk = _run(lambda e: host_lookup(e, name, timeout_ms, ipv4, ipv6), timeout_ms, driver)
    return addresses(lk.result)


async def resolve_host_async(name, timeout_ms=TIMEOUT_MS, driver=None, ipv4=True, ipv6=True):
    lk = await _arun(lambda e: host_lookup(e, name, timeout_ms, ipv4, ipv6), timeout_ms, driver)
    return addresses(lk.result)


def resolve_service(instance, service_type=None, timeout_ms=TIMEOUT_MS, driver=None, txt=True,
                    addresses=True, ipv4=True, ipv6=True):
    """dict(instance, name, type, domain, host, port, addresses, txt) or None.
    txt=False / addresses=False / ipv4=False / ipv6=False: neither ask nor wait for those."""
    return _run(lambda e: ServiceLookup(e, instance, service_type, timeout_ms, None, txt, addresses, ipv4, ipv6),
                timeout_ms, driver).result


async def resolve_service_async(instance, service_type=None, timeout_ms=TIMEOUT_MS, driver=None, txt=True,
                                addresses=True, ipv4=True, ipv6=True):
    lk = await _arun(lambda e: ServiceLookup(e, instance, service_type, timeout_ms, None, txt, addresses, ipv4,
                                             ipv6), timeout_ms, driver)
    return lk.result


def service_types(timeout_ms=TIMEOUT_MS, driver=None):
    """Service types on the link, e.g. ["_http._tcp", "_ipp._tcp"] (RFC 6763 s9)."""
    return service_types_of(_run(lambda e: types_lookup(e, timeout_ms), timeout_ms, driver).result)


async def service_types_async(timeout_ms=TIMEOUT_MS, driver=None):
    lk = await _arun(lambda e: types_lookup(e, timeout_ms), timeout_ms, driver)
    return service_types_of(lk.result)


def _ptr_name(records):
    for r in records:
        if r.type == wire.TYPE_PTR:
            return r.data
    return None


def resolve_address(ip, timeout_ms=TIMEOUT_MS, driver=None):
    """Reverse lookup: "10.0.0.2" -> "printer.local", or None."""
    return _ptr_name(_run(lambda e: address_lookup(e, ip, timeout_ms), timeout_ms, driver).result)


async def resolve_address_async(ip, timeout_ms=TIMEOUT_MS, driver=None):
    lk = await _arun(lambda e: address_lookup(e, ip, timeout_ms), timeout_ms, driver)
    return _ptr_name(lk.result)


def _socket():
    try:
        import socket
    except ImportError:  # pragma: no cover
        import usocket as socket
    return socket


def _not_resolved(host, timeout_ms):
    socket = _socket()
    msg = "mdns: %s did not resolve within %d ms (no mDNS answer)" % (host, timeout_ms)
    gai = getattr(socket, "gaierror", None)
    if gai is not None:
        return gai(getattr(socket, "EAI_NONAME", -2), msg)
    return OSError(msg)


def _addrinfo(host, addrs, port, family, type, proto, flags, timeout_ms):
    socket = _socket()
    if not addrs:
        raise _not_resolved(host, timeout_ms)
    af6 = getattr(socket, "AF_INET6", None)
    numeric = getattr(socket, "AI_NUMERICHOST", 0)
    out = []
    for a in addrs:
        fam = af6 if ":" in a else socket.AF_INET
        if fam is None or (family and family != fam):
            continue
        # the platform builds its own result shape from a numeric address (no DNS)
        out.extend(socket.getaddrinfo(a, port, fam, type, proto, flags | numeric))
    if not out:
        raise OSError("mdns: %s has no address of the requested family" % host)
    return out


def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0, timeout_ms=TIMEOUT_MS, driver=None):
    """socket.getaddrinfo() that resolves .local names over mDNS (others go to the
    platform's resolver). OSError (socket.gaierror where it exists) when a .local
    name does not resolve within timeout_ms."""
    if not isinstance(host, str) or not is_local(host):
        return _socket().getaddrinfo(host, port, family, type, proto, flags)
    socket = _socket()
    v4 = family in (0, socket.AF_INET)
    v6 = family == 0 or family == getattr(socket, "AF_INET6", -1)
    addrs = resolve_host(host, timeout_ms, driver, v4, v6)
    return _addrinfo(host, addrs, port, family, type, proto, flags, timeout_ms)


async def getaddrinfo_async(host, port, family=0, type=0, proto=0, flags=0, timeout_ms=TIMEOUT_MS, driver=None):
    if not isinstance(host, str) or not is_local(host):
        return _socket().getaddrinfo(host, port, family, type, proto, flags)
    socket = _socket()
    v4 = family in (0, socket.AF_INET)
    v6 = family == 0 or family == getattr(socket, "AF_INET6", -1)
    addrs = await resolve_host_async(host, timeout_ms, driver, v4, v6)
    return _addrinfo(host, addrs, port, family, type, proto, flags, timeout_ms)
