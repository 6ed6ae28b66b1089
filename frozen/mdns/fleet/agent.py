# The device side of a fleet upgrade: publish this device's state as a
# `_mpfleet._tcp` record, act on signed offers addressed to it, stream the image
# into the next OTA slot, switch, reset; after the reset, mark the new firmware
# valid once network and mDNS are up (docs/fleet.md). Runs unchanged on CPython
# and the MicroPython unix port against the flash stand-in (mdns.host.fleet_flash).
import sys

from . import offer as _offer
from . import writer as _writer
from . import http as _http
from . import state as _state
from . import KEY_FILE, STATE_FILE, VETO_FILE, SERVICE_TYPE, OFFER_TYPE, BLOCK

OTHER = "other"  # an offer for another device: not ours to judge
ROLLBACK = "rollback"  # last_error after the bootloader went back
SETBOOT = "setboot"  # set_boot() refused the image
VETO = "veto"  # the user's hook refused to mark the new firmware valid
WATCHDOG = "watchdog"


def _log(msg):
    print("fleet:", msg)


def _mem():
    try:
        import gc

        return gc.mem_alloc()
    except (ImportError, AttributeError):
        return 0


def _collect():
    try:
        import gc

        gc.collect()
    except ImportError:
        pass


def _board_default():
    # the board folder name the firmware was built from (release manifests use it)
    try:
        from .. import buildinfo

        if buildinfo.BOARD:
            return buildinfo.BOARD
    except ImportError:
        pass
    import os

    return os.uname().machine.split(" with ")[0].replace(" ", "_")


def _chip_default():
    import os

    m = os.uname().machine
    i = m.rfind(" with ")
    return (m[i + 6 :] if i >= 0 else sys.platform).lower()


class Agent:
    """Agent(responder=None, name=None, board=None, version=None, chip=None,
    key=None, key_path="fleet.key", state_path="fleet.json", partition=None,
    reset=None, veto=None, watchdog_ms=60000, wdt=None, log=None, connect=None)

    partition: the esp32.Partition class (default) or the flash stand-in's.
    veto(): called before marking new firmware valid; return a string (the
    reason) or False to refuse, anything else to accept. reset(): machine.reset
    by default. wdt: a machine.WDT-like object fed while the new firmware is on
    probation (created from machine.WDT on a device when None)."""

    def __init__(self, responder=None, name=None, board=None, version=None, chip=None,
                 key=None, key_path=KEY_FILE, state_path=STATE_FILE, partition=None,
                 reset=None, veto=None, watchdog_ms=60000, wdt=None, log=None,
                 connect=None, http_timeout=10, clock=None, mpy=None, auto_confirm=True,
                 veto_path=VETO_FILE):
        if partition is None:
            from esp32 import Partition as partition
        self.Partition = partition
        self.responder = responder
        self.board = board or _board_default()
        if version is None:
            from ..version import VERSION as version
        self.version = version
        self.chip = chip or _chip_default()
        self.mpy = mpy or _mpy_version()
        if not name:
            # "kitchen-1.local" -> "kitchen-1"
            name = (getattr(responder, "hostname", None) or "mpy-device").split(".")[0]
        self.name = name
        self.key = key if key is not None else _offer.load_key(key_path)
        self.state = _state.State(state_path)
        self.veto = veto
        self.veto_path = veto_path
        self.watchdog_ms = watchdog_ms
        self.log = log or _log
        self.connect = connect
        self.http_timeout = http_timeout
        self._reset = reset
        if clock is None:
            from ..sync import Clock  # ticks_ms() unwrapped

            clock = Clock()
        self._clock = clock
        self.buf = bytearray(BLOCK)  # the one buffer of the upgrade path
        self.heap_peak = 0  # bytes allocated above the start of the last upgrade
        self.service = None
        self._seen = {}  # offer instance -> signature already acted on
        self.auto_confirm = auto_confirm
        self._confirm_tried = False
        self.browser = None
        self._inbox = []
        self._job = None
        self.progress = 0
        run = self.Partition(self.Partition.RUNNING)
        self.slot = _label(run)
        self.app = _state.app_hash(run, self.buf) or self.state.sha[:12]
        self._boot_check()
        self._deadline = None
        self.wdt = wdt
        if self.ota == _state.PENDING:
            self._deadline = self._now() + watchdog_ms
            if self.wdt is None and sys.platform in ("esp32",):
                import machine

                self.wdt = machine.WDT(timeout=watchdog_ms + 5000)

    # ---- start-up ----
    def _boot_check(self):
        st = self.state
        p = st.pending
        self.ota = st.ota if st.ota in (_state.VALID, _state.ROLLED_BACK) else _state.VALID
        self.last_error = st.err
        if p:
            if p.get("slot") == self.slot:
                self.ota = _state.PENDING
            else:
                # we run the old slot again although the new one was set to boot
                st.pending = None
                st.ota = self.ota = _state.ROLLED_BACK
                st.err = self.last_error = ROLLBACK
                self.log("rolled back to %s (%s) from %s" % (self.slot, self.version, p.get("v")))
                st.save()

    def confirm(self):
        """Call once network and mDNS are up again. Marks pending firmware valid
        unless the veto hook refuses. Returns True when the firmware is valid."""
        if self.ota != _state.PENDING:
            return True
        if _exists(self.veto_path):
            # `mpremote touch :fleet.veto`: refuse every new firmware (forces a rollback;
            # the device tests use it on a real board)
            self.log("veto: %s exists, not marking %s valid" % (self.veto_path, self.version))
            self._set_error(VETO)
            return False
        if self.veto is not None:
            r = self.veto()
            if r is False or isinstance(r, str):
                self.log("veto: not marking %s valid (%s)" % (self.version, r))
                self._set_error(r if isinstance(r, str) else VETO)
                return False
        self.Partition.mark_app_valid_cancel_rollback()
        st = self.state
        if st.pending:
            st.sha = st.pending.get("sha", "")
        st.pending = None
        st.ota = self.ota = _state.VALID
        st.err = self.last_error = ""
        st.save()
        if not self.app:
            self.app = st.sha[:12]
        self._deadline = None
        self.log("firmware %s marked valid in %s" % (self.version, self.slot))
        self._keep_feeding()
        self.publish()
        return True

    def _keep_feeding(self):
        # An esp32 WDT cannot be stopped: once valid, a timer keeps it fed.
        if self.wdt is None or not hasattr(self.wdt, "feed"):
            return
        try:
            import machine

            w = self.wdt
            self._feeder = machine.Timer(0)
            self._feeder.init(period=max(1000, self.watchdog_ms // 3), callback=lambda t: w.feed())
        except (ImportError, AttributeError, ValueError):
            pass

    def tick(self, now=None):
        """Call from the loop: feeds the watchdog while on probation, resets when
        probation ran out, starts a scheduled download."""
        now = self._now() if now is None else now
        if self._inbox:
            self._drain()
        if self.ota == _state.PENDING and self.auto_confirm and not self._confirm_tried and self._mdns_up():
            self._confirm_tried = True
            self.confirm()
        if self._deadline is not None:
            if now >= self._deadline:
                self.log("not marked valid within %d ms: reset" % self.watchdog_ms)
                self._deadline = None
                self.reset()
                return
            if self.wdt is not None:
                self.wdt.feed()
        if self._job is not None and now >= self._job[0]:
            o = self._job[1]
            self._job = None
            self.upgrade(o)

    async def run(self, period_ms=200):
        """asyncio: `asyncio.create_task(agent.run())` next to `await responder.start()`.
        A download blocks the loop while it runs (plain socket, like machine.reset())."""
        try:
            import asyncio
        except ImportError:  # pragma: no cover
            import uasyncio as asyncio
        while True:
            self.tick()
            await asyncio.sleep(period_ms / 1000)

    def _mdns_up(self):
        # network and mDNS are up when our host name and fleet record are claimed
        r = self.responder
        if r is None or self.service is None:
            return False
        return bool(getattr(r, "claimed", False)) and bool(self.service.claimed)

    def _now(self):
        if self._clock is not None:
            return self._clock()
        import time

        if hasattr(time, "ticks_ms"):
            return time.ticks_ms()
        return int(time.monotonic() * 1000)

    def reset(self):
        if self._reset is not None:
            return self._reset()
        import machine

        machine.reset()

    # ---- the record ----
    def txt(self):
        t = [
            ("fw", self.version),
            ("board", self.board),
            ("chip", self.chip),
            ("mpy", self.mpy),
            ("slot", self.slot),
            ("ota", self.ota),
            ("app", self.app),
            ("last_error", self.last_error),
            ("offer", self.state.offer),
        ]
        if self.ota == _state.UPDATING:
            t.append(("progress", str(self.progress)))
        return t

    def advertise(self, port=0):
        """Publish the `_mpfleet._tcp` record on the responder."""
        from ..service import Service

        self.service = Service(self.name, SERVICE_TYPE, port, txt=self.txt())
        self.responder.add_service(self.service)
        return self.service

    def follow(self, browser=None):
        """Watch for offers: an mdns.Browser of OFFER_TYPE sharing the responder's
        driver (made here when not given). Call after advertise()."""
        if browser is None:
            from ..browser import Browser

            self.responder.sockets()  # opens the responder's driver to share
            browser = Browser(OFFER_TYPE, driver=self.responder.driver)
        browser.part.on_event = self._on_browse
        self.browser = browser
        return browser

    def _on_browse(self, ev):
        # called from inside the driver: act on it from tick(), outside the engine
        if ev.kind in ("up", "changed", "down") and len(self._inbox) < 8:
            self._inbox.append((ev.kind, ev.instance, ev.txt))

    def _drain(self):
        while self._inbox:
            kind, inst, txt = self._inbox.pop(0)
            if kind == "down":
                self.offer_gone(inst)
            elif txt is not None:
                self.on_offer(inst, txt)

    def publish(self):
        if self.service is None or self.responder is None:
            return
        self.responder.update_service(self.service, txt=self.txt())

    def _set_error(self, reason):
        self.last_error = reason
        self.state.err = reason
        try:
            self.state.save()
        except OSError:
            pass
        self.publish()

    # ---- offers ----
    def offer_instance(self):
        # after a name conflict the responder may have renamed our record
        return self.service.instance if self.service is not None else self.name

    def on_offer(self, instance, txt, now=None, delay_ms=300):
        """An offer record appeared or changed. Returns the reason code; an OK
        offer is downloaded from tick() `delay_ms` later (so the TXT saying
        `ota=updating` goes out first) or at once when delay_ms is None."""
        if instance != self.offer_instance():
            return OTHER
        o = _offer.normalize(txt)
        sig = o.get("sig", "")
        sig8 = sig[:8] or "none"
        if self._seen.get(instance) == sig:
            return _offer.SAME
        self._seen[instance] = sig
        if self.ota == _state.ROLLED_BACK and sig8 == self.state.offer:
            # the offer whose firmware we just rolled back from: never again
            return ROLLBACK
        self.state.offer = sig8
        if o.get("dev", "") != instance:
            reason = OTHER
        elif self.ota == _state.PENDING or self._job is not None:
            return "busy"
        else:
            reason = _offer.verify(o, self.key, self.board, self.version, self.slot_size())
        if reason == _offer.SAME or reason == OTHER:
            return reason
        if reason != _offer.OK:
            self.log("offer %s %s refused: %s" % (o.get("board"), o.get("v"), reason))
            self._set_error(reason)
            return reason
        self.ota = _state.UPDATING
        self.progress = 0
        self.publish()
        if delay_ms is None:
            return self.upgrade(o)
        self._job = ((self._now() if now is None else now) + delay_ms, o)
        return reason

    def offer_gone(self, instance):
        self._seen.pop(instance, None)

    def slot_size(self):
        nxt = self.Partition(self.Partition.RUNNING).get_next_update()
        return nxt.ioctl(4, 0) * nxt.ioctl(5, 0)

    def upgrade(self, o):
        """Download, check, switch and reset. Returns a reason code when it
        stops short (the device keeps running its firmware)."""
        self.log("upgrading %s -> %s from %s" % (self.version, o["v"], o["url"]))
        _collect()
        m0 = _mem()
        self.heap_peak = 0
        length = int(o["len"])

        def progress(got, total):
            # live heap above the start, after a collection every 64 KiB
            if m0 and (got >> 12) & 15 == 0:
                _collect()
                m = _mem() - m0
                if m > self.heap_peak:
                    self.heap_peak = m
            self.progress = got * 100 // total

        try:
            nxt = self.Partition(self.Partition.RUNNING).get_next_update()
            w = _writer.SlotWriter(nxt, length, o["sha"], self.buf)
            _http.get(o["url"], w, self.http_timeout, self.connect, progress)
            w.finish()
        except _writer.WriteError as e:
            return self._failed(e.reason)
        except _http.HttpError as e:
            return self._failed(e.reason)
        st = self.state
        # pending first: power lost right after set_boot() must still find it
        st.pending = {"slot": _label(nxt), "v": o["v"], "from": self.slot,
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
        self.log("wrote %d bytes to %s%s; reset" % (length, _label(nxt), (", heap high-water %d bytes" % self.heap_peak) if m0 else ""))
        self.reset()
        return _offer.OK

    def _failed(self, reason):
        self.ota = self.state.ota if self.state.ota == _state.ROLLED_BACK else _state.VALID
        self.log("upgrade failed: %s (still running %s)" % (reason, self.version))
        self._set_error(reason)
        return reason


def _exists(path):
    if not path:
        return False
    import os

    try:
        os.stat(path)
        return True
    except OSError:
        return False


def _label(part):
    try:
        return part.info()[4]
    except (AttributeError, IndexError, OSError):
        return "?"


def _mpy_version():
    v = sys.implementation.version
    return "%d.%d.%d" % (v[0], v[1], v[2])
