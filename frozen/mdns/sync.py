# The synchronous driver: runs an Engine over mdns.net.Sockets in the user's own
# select/poll loop (no thread). Nothing here knows DNS.
import sys

try:
    import select
except ImportError:  # pragma: no cover
    select = None

RECV_BUF = 2048  # bytes; mDNS peers send at most ~1472 on Ethernet/Wi-Fi
MAX_BATCH = 16  # datagrams read per socket per process() call


class Clock:
    """Milliseconds that never wrap: time.ticks_ms() unwrapped on MicroPython,
    time.monotonic() on CPython."""

    def __init__(self):
        import time

        self._time = time
        self._ticks = getattr(time, "ticks_ms", None)
        if self._ticks is not None:
            self._last = self._ticks()
            self._now = 0

    def __call__(self):
        if self._ticks is None:
            return int(self._time.monotonic() * 1000)
        t = self._ticks()
        self._now += self._time.ticks_diff(t, self._last)
        self._last = t
        return self._now


def report(e):
    pe = getattr(sys, "print_exception", None)
    if pe is not None:
        pe(e)
    else:
        import traceback

        traceback.print_exception(type(e), e, e.__traceback__)


class Loop:
    """The user's-loop methods (and `with`) of Responder and Browser: each opens the sockets
    and the driver on first use (the class's own `_open()`), then delegates."""

    def sockets(self):
        self._open()
        return self.net.sockets()

    def process(self, sock=None):
        if self.driver is None:  # tested here: one call less per datagram
            self._open()
        self.driver.process(sock)

    def next_timeout_ms(self):
        self._open()
        return self.driver.next_timeout_ms()

    def poll(self, timeout_ms=-1):
        self._open()
        self.driver.poll(timeout_ms)

    def run_until(self, predicate, timeout_ms):
        self._open()
        return self.driver.run_until(predicate, timeout_ms)

    # `with Responder(...) as r:` / `with Browser(...) as b:` (the class's close()).
    def __enter__(self):
        self._open()
        return self

    def __exit__(self, *exc):
        self.close()


class Driver:
    """Driver(engine, sockets, clock=None, on_error=None).

    process(sock=None): read what is waiting (one socket or all), feed, run
    timers, send. next_timeout_ms(): ms until a timer is due (-1: none).
    poll(timeout_ms): one round of select.poll + process. run_until(pred, ms)."""

    def __init__(self, engine, sockets, clock=None, on_error=None, bufsize=RECV_BUF):
        self.engine = engine
        self.net = sockets
        self.clock = clock or Clock()
        self.on_error = on_error
        # A sockets object with read() hands over the datagram the socket allocated
        # anyway (MicroPython has no recvfrom_into): no receive buffer is kept. One
        # with recv(sock, buf) only (CPython's recvfrom_into, fakes) reads into buf.
        self._rd = getattr(sockets, "read", None)
        self._bufsize = bufsize
        self.buf = None
        self.mv = None
        self._poller = None
        self._fds = None
        self.errors = 0
        engine.is_own = sockets.is_own
        engine.on_link = sockets.on_link

    def _error(self, e):
        self.errors += 1
        if self.on_error is not None:
            try:
                self.on_error(e)
                return
            except Exception as e2:
                e = e2
        report(e)

    def _read(self, sock, now, batch=MAX_BATCH):
        # Per datagram dropped nothing is allocated here beyond the socket's read: the
        # drop test runs on the datagram before its source is decoded.
        rd = self._rd
        if rd is None and self.buf is None:
            self.buf = bytearray(self._bufsize)
            self.mv = memoryview(self.buf)
        eng = self.engine
        while batch:
            batch -= 1
            try:
                if rd is not None:
                    got = rd(sock)
                    if got is None:
                        return
                    data = got[0]
                    if not eng.wants(data):
                        continue
                    src = self.net.source(got[1], sock)
                else:
                    n, src = self.net.recv(sock, self.buf)
                    if not n:
                        return
                    data = self.mv[:n]
                    if not eng.wants(data):
                        continue
            except (OSError, MemoryError) as e:
                # MemoryError: a burst on a small heap (issue 13 flood); the datagram
                # is lost, the loop goes on and the next round reads again
                self._error(e)
                return
            try:
                eng.handle(data, src, now)
            except Exception as e:  # malformed input is handled in handle; this is a bug
                self._error(e)

    def process(self, sock=None):
        """Call when a socket is readable (or a timer is due)."""
        now = self.clock()
        if isinstance(sock, int):  # CPython's poll() reports file descriptors
            for s in self.net.sockets():
                if s.fileno() == sock:
                    sock = s
                    break
            else:
                sock = None
        if sock is not None:
            # the caller's poll said readable: one datagram (a poll is level-triggered,
            # the next round reads the next), so no read ends in EAGAIN's exception
            self._read(sock, now, 1 if self._rd is not None else MAX_BATCH)
        else:
            for s in self.net.sockets():
                self._read(s, now)
        eng = self.engine
        try:  # tick(now), inlined: this runs for every datagram
            eng.tick(now)
        except Exception as e:
            self._error(e)
        if eng._out or eng._events:  # the engine's queues, read here: no call when idle
            self.flush()

    def tick(self, now=None):
        """Run due timers and send what the engine has queued."""
        if now is None:
            now = self.clock()
        try:
            self.engine.tick(now)
        except Exception as e:
            self._error(e)
        self.flush()

    def flush(self):
        for data, dest in self.engine.take_output():
            try:
                self.net.send(data, dest)
            except OSError as e:  # e.g. no route while Wi-Fi reconnects
                self._error(e)
        for ev in self.engine.take_events():
            if ev.kind == "error":
                self._error(ev.fields.get("error") or RuntimeError(repr(ev.fields)))

    def next_timeout_ms(self):
        d = self.engine.next_deadline()
        if d is None:
            return -1
        t = d - self.clock()
        return t if t > 0 else 0

    def poll(self, timeout_ms=-1):
        """Wait up to timeout_ms (-1: until a timer) for input, then process."""
        if self._poller is None:
            self._poller = select.poll()
            self._fds = {}
            for s in self.net.sockets():
                self._poller.register(s, select.POLLIN)
                f = getattr(s, "fileno", None)
                if f is not None:
                    self._fds[f()] = s
        t = self.next_timeout_ms()
        if t < 0 or (0 <= timeout_ms < t):
            t = timeout_ms
        ready = self._poller.poll(t)
        now = self.clock()
        for item in ready:
            s = item[0]
            if isinstance(s, int):
                s = self._fds.get(s)
            if s is not None:
                self._read(s, now, 1 if self._rd is not None else MAX_BATCH)
        self.tick(now)

    def forget_sockets(self):
        """Call after the sockets were replaced (rebuilds the poll set)."""
        self._poller = None

    def run_until(self, predicate, timeout_ms):
        """Run the loop until predicate() is true (True) or timeout_ms passes (False)."""
        end = self.clock() + timeout_ms
        while not predicate():
            left = end - self.clock()
            if left <= 0:
                return False
            self.poll(left)
        return True
