# The device side of a fleet upgrade: publish this device's state as a
# `_mpfleet._tcp` record, act on signed offers addressed to it, stream the image
# into the next OTA slot, switch, reset; after the reset, mark the new firmware
# valid once network and mDNS are up (docs/fleet.md). Runs unchanged on CPython
# and the MicroPython unix port against the flash stand-in (mdns.host.fleet_flash).
import sys

from . import offer as _offer
from . import state as _state
from .download import Download, collect as _collect, mem as _mem, label as _label
from . import KEY_FILE, LEGACY_KEY_FILE, STATE_FILE, VETO_FILE, SERVICE_TYPE, OFFER_TYPE, BLOCK

OTHER = "other"  # an offer for another device: not ours to judge
ROLLBACK = "rollback"  # last_error after the bootloader went back
VETO = "veto"  # the user's hook refused to mark the new firmware valid
WATCHDOG = "watchdog"
BUSY = "busy"  # downloading or on probation: the offer is not judged now


def _log(msg):
    print("fleet:", msg)


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


class Agent(Download):
    """Agent(responder=None, name=None, board=None, version=None, chip=None,
    key=None, key_path="fleet.pub", state_path="fleet.json", partition=None,
    reset=None, veto=None, watchdog_ms=60000, wdt=None, log=None, connect=None)

    key: the fleet's public key (65 bytes) instead of reading key_path.
    verify(pub, digest, sig) -> bool: the ECDSA check (mdns.fleet.sig by default).
    choose_ms: how long a taken offer waits for a newer one signed for the same
    nonce (several hosts at once: the highest version wins, a tie the first seen).

    partition: the esp32.Partition class (default) or the flash stand-in's.
    veto(): called before marking new firmware valid; return a string (the
    reason) or False to refuse, anything else to accept. reset(): machine.reset
    by default. wdt: a machine.WDT-like object fed while the new firmware is on
    probation (created from machine.WDT on a device when None)."""

    def __init__(self, responder=None, name=None, board=None, version=None, chip=None,
                 key=None, key_path=KEY_FILE, state_path=STATE_FILE, partition=None,
                 reset=None, veto=None, watchdog_ms=60000, wdt=None, log=None,
                 connect=None, http_timeout=10, clock=None, mpy=None, auto_confirm=True,
                 veto_path=VETO_FILE, verify=None, choose_ms=1500, step_ms=50):
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
        self.key_path = key_path
        self.pub = key if key is not None else (_offer.load_pub(key_path) or _offer.builtin_pub())
        if verify is None:
            from .sig import verifier

            verify = verifier()
        self.verify = verify
        self.nonce = _offer.new_nonce()  # a fresh one at every boot
        self.choose_ms = choose_ms
        self.step_ms = step_ms
        self.state = _state.State(state_path)
        if not self.pub and _exists(LEGACY_KEY_FILE if key_path == KEY_FILE else ""):
            self.log("%s is the HMAC key of an older fleet format; offers are now checked against the public"
                     " key in %s: provision it (docs/fleet.md, migrating an HMAC fleet)" % (LEGACY_KEY_FILE, KEY_FILE))
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
        self.heap_peak = 0  # bytes allocated above idle while judging and downloading the last offer
        self._m0 = 0
        self._mblock = -1
        self.service = None
        self._seen = {}  # offer instance -> signature already judged
        self._came_from = None  # instance of the offer this firmware came from, refused `stale`
        self._dl = None  # (offer, slot, writer, http.Get) while downloading
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
                st.add_bad(p.get("sha", ""))  # never again unless a fresh offer says retry
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
            if st.sha in st.bad:  # a retry that worked
                st.bad.remove(st.sha)
        st.pending = None
        st.ota = self.ota = _state.VALID
        st.err = self.last_error = ""
        st.save()
        if not self.app:
            self.app = st.sha[:12]
        self._deadline = None
        self.log("firmware %s marked valid in %s" % (self.version, self.slot))
        if self.pub and _exists(LEGACY_KEY_FILE if self.key_path == KEY_FILE else ""):
            # upgraded from the HMAC format and staying: the shared secret goes (a rollback
            # before this point finds it still there, as the old firmware needs it)
            import os

            os.remove(LEGACY_KEY_FILE)
            self.log("removed %s (the HMAC key of the older format)" % LEGACY_KEY_FILE)
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
            self._start(o, now)
        if self._dl is not None:
            self._step(now)

    def busy(self):
        """True while an offer is taken or downloading: poll mDNS with a short
        timeout then (r.poll(0 if agent.busy() else 100)) so the download runs fast."""
        return self._dl is not None or self._job is not None

    async def run(self, period_ms=200):
        """asyncio: `asyncio.create_task(agent.run())` next to `await responder.start()`.
        A download runs in steps of at most step_ms between the other tasks."""
        try:
            import asyncio
        except ImportError:  # pragma: no cover
            import uasyncio as asyncio
        while True:
            self.tick()
            await asyncio.sleep(0 if self.busy() else period_ms / 1000)

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
            ("nonce", self.nonce),
            ("key", "hmac" if not self.pub and _exists(LEGACY_KEY_FILE) else _offer.fingerprint(self.pub)),
            ("took", self.state.took),
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
        if ev.kind in ("up", "changed", "down") and len(self._inbox) < 8 and self._mine(ev):
            self._inbox.append((ev.kind, ev.instance, ev.txt))

    def _mine(self, ev):
        # Only offers whose `dev` is this device take a place in the (bounded) inbox:
        # with 10 offers for others announced at once, ours was dropped (issue 13).
        if ev.kind == "down" or ev.txt is None:
            return ev.instance in self._seen
        for k in ev.txt:
            if k.lower() == "dev":
                v = ev.txt[k]
                return v in (self.name, self.offer_instance()) or (
                    isinstance(v, (bytes, bytearray)) and v in (self.name.encode(), self.offer_instance().encode()))
        return False

    def _drain(self):
        while self._inbox:
            kind, inst, txt = self._inbox.pop(0)
            if kind == "down":
                self.offer_gone(inst)
            elif txt is not None:
                try:
                    self.on_offer(inst, txt, delay_ms=self.choose_ms)
                except ValueError as e:  # TXT that is not text (UnicodeError): dropped
                    self.log("offer %s dropped: %r" % (inst, e))

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

    def on_offer(self, instance, txt, now=None, delay_ms=None):
        """An offer record appeared or changed (any instance name: mDNS conflict
        resolution may have renamed it; its signed `dev` says whom it is for).
        Returns the reason code. An OK firmware offer starts downloading from
        tick() `delay_ms` later (offers from the network wait `choose_ms` for a
        competing one), or here and now when delay_ms is None."""
        o = _offer.normalize(txt)
        if o.get("dev", "") not in (self.name, self.offer_instance()):
            return OTHER
        sig = o.get("sig", "")
        if self._seen.get(instance) == sig:
            return _offer.SAME
        self._seen[instance] = sig
        if self.ota == _state.PENDING or self._dl is not None:
            return BUSY
        _collect()
        m0 = _mem()
        reason = _offer.check_signature(o, self.pub, self.verify)
        if m0:
            self.heap_peak = _mem() - m0  # verification, garbage included
        if reason != _offer.OK:
            return self._refuse(o, reason)
        # validly signed: its nonce is spent, whatever is decided below
        fresh = self.nonce
        self.nonce = _offer.new_nonce()
        if o["op"] == _offer.REKEY:
            return self._rekey(o, fresh)
        job = self._job
        # while a taken offer waits (choose_ms), a competitor may carry the nonce it was
        # signed for, or the one drawn since (its host signed again after `stale`)
        want = job[2] if job is not None and o["nonce"] == job[2] else fresh
        reason = _offer.check_firmware(o, want, self.board, self.version, self.slot_size(), self.state.bad)
        if reason == _offer.STALE and o["sig"][:8] == self.state.offer and o["v"] == self.version:
            self._came_from = instance  # see offer_gone()
        if reason == _offer.SAME:
            self.state.offer = o["sig"][:8]
            self.publish()
            return reason
        if reason != _offer.OK:
            return self._refuse(o, reason)
        if job is not None:
            # several valid offers at once: the highest version wins, a tie the first seen
            if _offer.compare_versions(o["v"], job[1]["v"]) <= 0:
                self.log("offer from %s (%s) lost to %s" % (o["host"], o["v"], self.state.took))
                return BUSY  # `took` tells its host
            self._job = (job[0], o, job[2])
        self.log("taking %s %s from %s" % (o["board"], o["v"], o["host"]))
        self.state.offer = o["sig"][:8]
        self.state.took = o["host"] + " " + o["v"]
        self.ota = _state.UPDATING
        self.progress = 0
        self.last_error = self.state.err = ""
        self.publish()
        if job is not None:
            return _offer.OK
        if delay_ms is None:
            return self.upgrade(o)
        self._job = ((self._now() if now is None else now) + delay_ms, o, fresh)
        return _offer.OK

    def _refuse(self, o, reason):
        self.state.offer = o.get("sig", "")[:8] or "none"  # its host matches the refusal to its offer
        self.log("offer %s %s from %s refused: %s" % (o.get("board", ""), o.get("v", ""), o.get("host", "?"), reason))
        self._set_error(reason)
        return reason

    def _rekey(self, o, fresh):
        if o["nonce"] != fresh:
            return self._refuse(o, _offer.STALE)
        import binascii

        pub = binascii.unhexlify(o["pub"])
        if not self.verify(pub, _offer.digest(o), binascii.unhexlify(o["psig"])):
            return self._refuse(o, _offer.NEWKEY)  # a key nobody can sign with would lock the device out
        try:
            _state.write_atomic(self.key_path, o["pub"] + "\n")
        except OSError:
            return self._refuse(o, "write")  # the old key stays
        old = _offer.fingerprint(self.pub)
        self.pub = pub
        self.log("fleet key %s replaced by %s from %s" % (old, _offer.fingerprint(pub), o["host"]))
        self.state.offer = o["sig"][:8]
        self.last_error = self.state.err = ""
        self.state.save()
        self.publish()
        return _offer.OK

    def offer_gone(self, instance):
        self._seen.pop(instance, None)
        if instance == self._came_from:
            # the offer this firmware came from, judged `stale` again after the reset
            # (a loaded host withdraws it late, issue 13): gone, it is no error any more
            self._came_from = None
            if self.last_error == _offer.STALE:
                self._set_error("")

    def slot_size(self):
        nxt = self.Partition(self.Partition.RUNNING).get_next_update()
        return nxt.ioctl(4, 0) * nxt.ioctl(5, 0)


def _exists(path):
    if not path:
        return False
    import os

    try:
        os.stat(path)
        return True
    except OSError:
        return False


def _mpy_version():
    v = sys.implementation.version
    return "%d.%d.%d" % (v[0], v[1], v[2])
