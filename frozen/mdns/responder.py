# The responder: what this host owns (RFC 6762, RFC 6763).
#   ResponderPart  the engine part: records, probing (s8.1/8.2), announcing (s8.3),
#                  answering (s6, s7), defending (s9), goodbye (s10.1)
#   Responder      the public object: an Engine + a ResponderPart + sockets + a driver
# Probing helpers live in mdns.prober; the DNS-SD service object in mdns.service.
# The jobs live in one module each: owned (records), claim (s8.1/8.2), announce
# (s8.3/s10.1), answer (s6/s7), quick (pre-encoded answers, s6), reply (packets), defend (s9).
from . import sync
from . import names as _names
from . import addr as _addr
from . import prober
from . import hostname as _hostname
from .engine import Engine
from .owned import (TTL_HOST, TTL_OTHER, ANNOUNCE_COUNT, ANNOUNCE_INTERVAL, RATE_LIMIT,
                    ASKERS_MAX, TC_KEEP, TC_SOURCES, WAIT, PROBE, ANNOUNCE, DONE, _Group, Owned)
from .claim import Claim
from .announce import Announce
from .answer import Answer
from .reply import Reply
from .defend import Defend
from .quick import Quick

__all__ = ("Responder", "ResponderPart", "ASKERS_MAX", "TC_KEEP", "TC_SOURCES")


class ResponderPart(Owned, Claim, Announce, Answer, Quick, Reply, Defend):
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
        for g in self._gl:  # _groups() without the call: this runs every loop round
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
                if self._announce_held(g, now):
                    continue
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


# =================================================================== public API
class Responder(sync.Loop):
    """mdns.Responder(hostname=None, addrs=None, services=(), ...): claim hostname.local
    and advertise services on one interface. hostname None: network.hostname() on a
    board, the short host name on CPython; a trailing ".local" / ".local." is dropped.
    After a conflict rename the board's network.hostname() follows the claimed name.

    Sync: r.sockets() for your poll loop, r.process(sock) when one is readable,
    r.next_timeout_ms() for the poll timeout, or r.poll(ms); r.close() says goodbye.
    asyncio: await r.start() / await r.stop(), or `async with r:`.
    Options: ipv4/ipv6 (True), interface (host interface name), engine (share one
    Engine with a browser), sockets (an mdns.net.Sockets, or a fake for tests),
    clock (callable -> ms), rand(lo, hi), on_event(Event), on_error(exception),
    ttl_host (120), ttl_other (4500), announce_count (2)."""

    def __init__(self, hostname=None, addrs=None, services=(), ipv4=True, ipv6=True, interface=None,
                 engine=None, sockets=None, clock=None, rand=None, on_event=None, on_error=None,
                 ttl_host=TTL_HOST, ttl_other=TTL_OTHER, announce_count=ANNOUNCE_COUNT):
        if hostname is None:
            hostname = _hostname.default()
        self._user_event = on_event
        self.engine = engine if engine is not None else Engine(rand=rand)
        self.on_error = on_error
        self._want = (addrs, ipv4, ipv6, interface)
        self.net = sockets
        self._clock = clock
        self.part = ResponderPart(self.engine, hostname, addrs or (), on_event=self._on_event,
                                  ttl_host=ttl_host, ttl_other=ttl_other,
                                  announce_count=announce_count)
        self._label0 = self.part.host_label
        self.driver = None
        self._aio = None
        for s in services:
            self.part.add_service(s, 0)

    def _on_event(self, ev):
        if ev.kind == "claimed" and ev.what == "host" and self.part.host_label != self._label0:
            _hostname.adopt(self.part.host_label)  # renamed after a conflict (s9)
        if self._user_event is not None:
            self._user_event(ev)

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
        """After a network reconnect: join the groups again, then probe and announce
        everything again (RFC 6762 s13), with a goodbye for addresses gone."""
        self._open()
        got = self.net.rejoin(addrs)
        self.part.relink(list(got), self.driver.clock())
        self._after_api()
