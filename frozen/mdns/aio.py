# The asyncio driver: the same Engine under CPython's asyncio or MicroPython's
# asyncio. Reading and timers reuse mdns.sync.Driver; this file only waits.
import sys

try:
    import asyncio
except ImportError:  # pragma: no cover
    import uasyncio as asyncio

from . import sync

_MPY = sys.implementation.name == "micropython"


class Driver:
    """Driver(engine, sockets, clock=None, on_error=None): await start(),
    await stop(), or `async with`. A readable socket is processed at once; one
    timer task sleeps until the engine's next deadline."""

    def __init__(self, engine, sockets, clock=None, on_error=None, core=None):
        self.core = core or sync.Driver(engine, sockets, clock, on_error)
        self._wake = None
        self._tasks = []
        self._fds = []
        self.running = False

    def kick(self):
        """Tell the timer task that deadlines may have moved (after an API call)."""
        if self._wake is not None:
            self._wake.set()

    async def start(self):
        if self.running:
            return
        self.running = True
        self._wake = asyncio.Event()
        if _MPY:
            for s in self.core.net.sockets():
                self._tasks.append(asyncio.create_task(self._reader(s)))
        else:
            loop = asyncio.get_running_loop()
            for s in self.core.net.sockets():
                fd = s.fileno()
                loop.add_reader(fd, self._readable, s)
                self._fds.append(fd)
        self._tasks.append(asyncio.create_task(self._timers()))

    async def stop(self):
        if not self.running:
            return
        self.running = False
        if self._fds:
            loop = asyncio.get_running_loop()
            for fd in self._fds:
                loop.remove_reader(fd)
            self._fds = []
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            try:
                await t
            except BaseException:  # CancelledError, on both asyncios
                pass
        self._tasks = []
        self.core.flush()

    async def __aenter__(self):
        await self.start()
        return self

    async def __aexit__(self, *exc):
        await self.stop()

    def _readable(self, s):
        # CPython: called by the event loop when s is readable.
        self.core.process(s)
        self._wake.set()

    def _reader(self, s):
        # MicroPython: a plain generator is a coroutine there; yielding
        # queue_read suspends until the socket is readable.
        from asyncio import core

        while True:
            yield core._io_queue.queue_read(s)
            self.core.process(s)
            self._wake.set()

    async def _timers(self):
        core = self.core
        while self.running:
            t = core.next_timeout_ms()
            try:
                if t < 0:
                    await self._wake.wait()
                elif _MPY:
                    await asyncio.wait_for_ms(self._wake.wait(), t)
                else:
                    await asyncio.wait_for(self._wake.wait(), t / 1000)
            except asyncio.TimeoutError:
                pass
            self._wake.clear()
            core.tick()


class Stream:
    """Async iterator of a browser's events (Browser.events(); CPython and MicroPython
    asyncio): keeps the newest maxlen, counts what a slow reader lost in dropped."""

    def __init__(self, maxlen=32):
        self._flag = asyncio.Event()
        self._q = []
        self.maxlen = maxlen
        self.dropped = 0
        self.closed = False

    def put(self, ev):
        if len(self._q) >= self.maxlen:
            self._q.pop(0)  # a reader that does not keep up loses the oldest
            self.dropped += 1
        self._q.append(ev)
        self._flag.set()

    def close(self):
        self.closed = True
        self._flag.set()

    def __aiter__(self):
        return self

    async def __anext__(self):
        while not self._q:
            if self.closed:
                raise StopAsyncIteration
            self._flag.clear()
            await self._flag.wait()
        return self._q.pop(0)
