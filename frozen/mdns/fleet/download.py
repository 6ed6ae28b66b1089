# The download half of the fleet agent: stream an offer's image into the next
# OTA slot in steps between the caller's mDNS polls, check it, switch, reset
# (docs/fleet.md, "The upgrade path on the device"). A mixin of fleet.agent.Agent.
from . import offer as _offer
from . import writer as _writer
from . import http as _http
from . import state as _state

SETBOOT = "setboot"  # set_boot() refused the image


def mem():
    try:
        import gc

        return gc.mem_alloc()
    except (ImportError, AttributeError):
        return 0


def collect():
    try:
        import gc

        gc.collect()
    except ImportError:
        pass


def label(part):
    try:
        return part.info()[4]
    except (AttributeError, IndexError, OSError):
        return "?"


class Download:
    def upgrade(self, o):
        """Download, check, switch and reset in one go. Returns a reason code
        when it stops short (the device keeps running its firmware)."""
        r = self._start(o, self._now())
        while self._dl is not None:
            r = self._step(self._now())
        return r

    def _start(self, o, now):
        self.log("upgrading %s -> %s from %s" % (self.version, o["v"], o["url"]))
        if self.ota != _state.UPDATING:
            self.ota = _state.UPDATING
            self.progress = 0
            self.publish()
        collect()
        self._m0 = mem()
        try:
            nxt = self.Partition(self.Partition.RUNNING).get_next_update()
            w = _writer.SlotWriter(nxt, int(o["len"]), o["sha"], self.buf)
            g = _http.Get(o["url"], w, self.http_timeout, self.connect, now)
        except (_writer.WriteError, _http.HttpError) as e:
            return self._failed(e.reason)
        self._dl = (o, nxt, w, g)
        return None

    def _step(self, now):
        o, nxt, w, g = self._dl
        try:
            g.mark = (self.progress // 10 + 1) * w.length // 10  # back at the next 10 %
            done = g.step(now, self.step_ms, self._now)
            self._progress(w)
            if done:
                w.finish()
        except (_writer.WriteError, _http.HttpError) as e:
            g.close()
            self._dl = None
            return self._failed(e.reason)
        if not done:
            return None
        g.close()
        self._dl = None
        return self._switch(o, nxt)

    def _progress(self, w):
        # live heap above the start, after a collection every 64 KiB
        if self._m0 and (w.block & 15) == 0 and w.block != self._mblock:
            self._mblock = w.block
            collect()
            m = mem() - self._m0
            if m > self.heap_peak:
                self.heap_peak = m
        p = w.received * 100 // w.length
        old = self.progress
        self.progress = p
        if p // 10 != old // 10:
            self.publish()  # the TXT says how far, at least every 10 %

    def _switch(self, o, nxt):
        st = self.state
        # pending first: power lost right after set_boot() must still find it
        st.pending = {"slot": label(nxt), "v": o["v"], "from": self.slot,
                      "fromv": self.version, "sha": o["sha"]}
        st.offer = o["sig"][:8]
        st.err = ""
        st.save()
        try:
            nxt.set_boot()
        except OSError:
            st.pending = None
            st.save()
            return self._failed(SETBOOT)
        self.log("wrote %s bytes to %s%s; reset" % (o["len"], label(nxt),
                                                    (", heap high-water %d bytes" % self.heap_peak) if self._m0 else ""))
        self.reset()
        return _offer.OK

    def _failed(self, reason):
        self.ota = self.state.ota if self.state.ota == _state.ROLLED_BACK else _state.VALID
        self.log("upgrade failed: %s (still running %s)" % (reason, self.version))
        self._set_error(reason)
        return reason
