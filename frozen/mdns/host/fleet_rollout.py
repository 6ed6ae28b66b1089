"""`fleet upgrade`: serve a release over HTTP, publish one signed offer per
target device (as a `_mpfleet-offer._tcp` instance named after the device),
follow each device's own record until it advertises the new version as
`valid`, reports a refusal, rolls back or times out; canary first, at most
--max-parallel offers at a time; progress while it runs, a summary at the end."""
import sys
import time

from mdns.fleet import OFFER_TYPE, offer as _offer
from mdns.host import fleet_net

# outcomes
OK = "ok"
CURRENT = "up-to-date"
FAILED = "failed"
TIMEOUT = "timeout"
SKIPPED = "skipped"
INTERRUPTED = "interrupted"
GOOD = (OK, CURRENT)


class Target:
    def __init__(self, dev, image):
        self.name = dev["name"]
        self.board = dev["board"]
        self.image = image
        self.start_fw = dev["fw"]
        self.dev = dev
        self.state = "queued"
        self.result = None
        self.detail = ""
        self.offer = None
        self.service = None
        self.t0 = None
        self.t1 = None
        self.pct = None
        self.canary = False
        self.took0 = ""
        self.legacy = False  # a device of fleet format 1 (HMAC)
        self.signs = 0  # offers signed for this device (a stale refusal asks for a fresh one)

    def row(self):
        el = ""
        if self.t0 is not None:
            el = "%.1fs" % ((self.t1 or time.monotonic()) - self.t0)
        return {"device": self.name, "board": self.board, "from": self.start_fw, "to": self.image.version,
                "result": self.result or self.state, "detail": self.detail, "time": el,
                "address": self.dev.get("address", "")}


RESIGN_MAX = 5  # fresh offers after `stale` refusals (the device judged another offer meanwhile)
OLD_FORMAT = ("runs fleet format 1 (HMAC key, no nonce): upgrade it with a release of that format or over USB;"
              " see docs/fleet.md, migrating an HMAC fleet")


class Rollout:
    """Rollout(images, key, responder, fleet, server, ...). images: {board: Image};
    key: sign(bytes) -> 64-byte signature (mdns.host.fleet_keys.signer).
    rekey: the new public key (hex) to hand over instead of firmware, rekey_signer
    the new key's sign(), for the offer's proof of possession (psig).
    tamper(txt) -> txt: test hook applied to each signed offer (never from the CLI)."""

    def __init__(self, images, key, responder, fleet, server, boards=None, only=None, canary=0,
                 max_parallel=4, timeout=300.0, downgrade=False, out=None, tamper=None, live=None,
                 retry=False, rekey=None, host=None, legacy=None, rekey_signer=None):
        self.images = images
        self.key = key
        self.retry = retry
        self.legacy = legacy  # HMAC key: format-1 devices get a format-1 offer (migrating)
        self.rekey = rekey
        self.rekey_signer = rekey_signer
        self.host = host or (getattr(responder, "hostname", None) or "fleet-host").split(".")[0]
        self.responder = responder
        self.fleet = fleet
        self.server = server
        self.boards = boards
        self.only = only
        self.canary = canary
        self.max_parallel = max(1, max_parallel)
        self.timeout = timeout
        self.downgrade = downgrade
        self.out = out or sys.stdout
        self.tamper = tamper
        self.live = self.out.isatty() if live is None else live
        self.targets = []
        self.untouched = []
        self.stopped = None
        self._drawn = 0
        self._last_line = {}

    # ---- planning ----
    def plan(self):
        devs = self.fleet.devices
        names = sorted(devs)
        if self.only:
            missing = [n for n in self.only if n not in devs]
            for n in missing:
                t = Target({"name": n, "board": "?", "fw": "?"}, _NoImage())
                t.result, t.detail = FAILED, "not found on the network"
                self.targets.append(t)
            names = [n for n in names if n in self.only]
        for n in names:
            d = devs[n]
            if self.rekey is not None:
                self._plan_rekey(d)
                continue
            img = self.images.get(d["board"])
            if img is None and self.only:
                t = Target(d, _NoImage())  # named on purpose: say why nothing happens
                t.result, t.detail = FAILED, "the release has no image for board %s" % d["board"]
                self.targets.append(t)
                continue
            if (self.boards and d["board"] not in self.boards) or img is None:
                self.untouched.append(d)
                continue
            t = Target(d, img)
            if d["fw"] == img.version and d["ota"] == "valid" and not self.downgrade:
                t.result, t.detail = CURRENT, "already running " + img.version
            elif not d.get("nonce"):
                if self.legacy is None:
                    t.result, t.detail = FAILED, OLD_FORMAT
                t.legacy = True
            self.targets.append(t)
        todo = [t for t in self.targets if t.result is None]
        for t in todo[: self.canary]:
            t.canary = True
        return self.targets

    def _plan_rekey(self, d):
        if self.boards and d["board"] not in self.boards:
            self.untouched.append(d)
            return
        t = Target(d, _NewKey(_offer.fingerprint(bytes.fromhex(self.rekey))))
        if d.get("key") == t.image.version:
            t.result, t.detail = CURRENT, "already has key " + t.image.version
        elif not d.get("nonce"):
            t.result, t.detail = FAILED, OLD_FORMAT
        self.targets.append(t)

    # ---- offers ----
    def _sign(self, t):
        nonce = t.dev.get("nonce", "")
        if t.legacy:
            from mdns.host import fleet_keys

            o = fleet_keys.make_legacy(self.legacy, t.name, t.board, t.image.version, t.image.size, t.image.sha256,
                                       self.server.url(t.board))
        elif self.rekey is not None:
            o = _offer.make_rekey(self.key, t.name, self.host, nonce, self.rekey, self.rekey_signer)
        else:
            o = _offer.make(self.key, t.name, self.host, nonce, t.board, t.image.version, t.image.size,
                            t.image.sha256, self.server.url(t.board), downgrade=self.downgrade, retry=self.retry)
        if self.tamper is not None:
            o = self.tamper(dict(o))
        t.signs += 1
        t.offer = o
        return sorted(o.items())

    def _offer(self, t):
        from mdns.service import Service

        t.took0 = t.dev.get("took", "")  # what the device had taken before our offer
        t.service = Service(t.name, OFFER_TYPE, self.server.port if self.server else 9, txt=self._sign(t))
        self.responder.add_service(t.service)
        t.state = "offered"
        t.t0 = time.monotonic()

    def _withdraw(self, t):
        if t.service is not None:
            try:
                self.responder.remove_service(t.service)
            except ValueError:
                pass
            t.service = None

    def _finish(self, t, result, detail=""):
        t.result = result
        t.detail = detail
        t.t1 = time.monotonic()
        t.state = result
        self._withdraw(t)

    # ---- following a device ----
    def _follow(self, t):
        d = self.fleet.devices.get(t.name)
        sig8 = ((t.offer or {}).get("sig") or "")[:8] or "none"  # what the device echoes
        if d is not None:
            t.dev = d
            ours = d.get("offer") == sig8
            if self.rekey is not None:
                self._follow_rekey(t, d, ours)
                return
            took = d.get("took", "")
            if took != t.took0 and took and not took.startswith(self.host + " "):
                # the device took another host's offer since ours went out (several hosts)
                h, _, v = took.rpartition(" ")
                if v != t.image.version:
                    self._finish(t, FAILED, "took another host's offer: %s from %s" % (v, h))
                    return
            if d["fw"] == t.image.version and d["ota"] == "valid" and (ours or t.state != "offered"):
                self._finish(t, OK, "valid in %s" % d["slot"])
                return
            err = d.get("last_error") or ""
            if ours and d["ota"] == "rolled-back" and (t.state != "offered" or err == "rollback"):
                # our image ran and never marked itself valid (after the reset the device
                # may have judged our offer again: stale)
                self._finish(t, FAILED, "rolled back (%s)" % (err if err not in ("", "stale") else "rollback"))
                return
            if ours and err == "stale" and t.state == "offered" and d.get("nonce") != t.offer.get("nonce"):
                if t.signs <= RESIGN_MAX and t.service is not None:
                    self.responder.update_service(t.service, txt=self._sign(t))  # sign its new nonce
                    return
            if d["fw"] == t.image.version and d["ota"] == "pending-verify":
                t.state = "verifying"
            elif d["ota"] == "updating":
                t.state = "downloading"
            elif ours and err:
                self._finish(t, FAILED, err)
                return
        elif t.state in ("downloading", "offered"):
            t.state = "rebooting"
        p = self.server.progress(t.dev.get("address", ""))
        if p is not None and p["size"]:
            t.pct = 100 * p["sent"] // p["size"]
            if p["state"] == "sending" and t.state in ("offered", "downloading"):
                t.state = "downloading"
            elif p["state"] == "sent" and t.state == "downloading":
                t.state = "writing"
        if time.monotonic() - t.t0 > self.timeout:
            self._finish(t, TIMEOUT, "no valid %s after %ds (last seen: %s)" % (
                t.image.version, self.timeout, t.state))

    # ---- the loop ----
    def run(self):
        queue = [t for t in self.targets if t.result is None]
        canaries = [t for t in queue if t.canary]
        rest = [t for t in queue if not t.canary]
        self._show("rollout: %d device(s) to upgrade%s, %d up to date, %d untouched" % (
            len(queue), (" (%d canary)" % len(canaries)) if canaries else "",
            len([t for t in self.targets if t.result == CURRENT]), len(self.untouched)))
        for group in (canaries, rest):
            if not group:
                continue
            self._run_group(group)
            if group is canaries and any(t.result not in GOOD for t in canaries):
                self.stopped = "canary failed: %s" % ", ".join(t.name for t in canaries if t.result not in GOOD)
                for t in rest:
                    t.result, t.detail = SKIPPED, "rollout stopped (canary failed)"
                self._show("rollout stopped: " + self.stopped)
                break
        self._draw(final=True)
        return self.exit_code()

    def _run_group(self, group):
        pending = list(group)
        active = []
        while pending or active:
            while pending and len(active) < self.max_parallel:
                t = pending.pop(0)
                self._offer(t)
                active.append(t)
            self.fleet.browser.poll(100)
            for t in list(active):
                self._follow(t)
                if t.result is not None:
                    active.remove(t)
            self._draw()

    def _follow_rekey(self, t, d, ours):
        if d.get("key") == t.image.version:
            self._finish(t, OK, "key %s" % t.image.version)
        elif ours and d.get("last_error") == "stale" and d.get("nonce") != t.offer.get("nonce") and \
                t.signs <= RESIGN_MAX:
            self.responder.update_service(t.service, txt=self._sign(t))
        elif ours and d.get("last_error"):
            self._finish(t, FAILED, d["last_error"])
        elif time.monotonic() - t.t0 > self.timeout:
            self._finish(t, TIMEOUT, "key still %s after %ds" % (d.get("key"), self.timeout))

    def interrupt(self):
        """Ctrl-C: withdraw every offer (goodbye records)."""
        for t in self.targets:
            if t.service is not None:
                self._withdraw(t)
            if t.result is None:
                t.result, t.detail = INTERRUPTED, "last seen: %s" % t.state
                t.t1 = time.monotonic()
        self.stopped = "interrupted"

    def exit_code(self):
        return 0 if self.targets and all(t.result in GOOD for t in self.targets) and not self.stopped else 1

    # ---- output ----
    def _show(self, line):
        self.out.write(line + "\n")
        self.out.flush()

    def _status(self, t):
        s = t.result or t.state
        if s in ("downloading", "writing") and t.pct is not None:
            bar = "#" * (t.pct // 5)
            s = "%-11s [%-20s] %3d%%" % (s, bar, t.pct)
        return "%-24s %-24s %s -> %s  %s%s" % (t.name, t.board, t.start_fw, t.image.version, s,
                                             ("  " + t.detail) if t.detail else "")

    def _draw(self, final=False):
        rows = [t for t in self.targets if t.t0 is not None or final]
        if self.live:
            if self._drawn:
                self.out.write("\x1b[%dA" % self._drawn)
            for t in rows:
                self.out.write("\x1b[2K" + self._status(t) + "\n")
            self._drawn = len(rows)
            self.out.flush()
            return
        for t in rows:  # plain output: one line per change (pct in 25% steps)
            key = (t.result or t.state, None if t.pct is None else t.pct // 25)
            if self._last_line.get(t.name) != key:
                self._last_line[t.name] = key
                self._show(self._status(t))

    def summary(self):
        rows = [t.row() for t in self.targets]
        for d in self.untouched:
            rows.append({"device": d["name"], "board": d["board"], "from": d["fw"], "to": "", "result": "untouched",
                         "detail": "not in this rollout", "time": "", "address": d.get("address", "")})
        cols = ("device", "board", "address", "from", "to", "result", "detail", "time")
        ok = len([t for t in self.targets if t.result in GOOD])
        text = fleet_net.table(rows, cols)
        text += "\n%d of %d device(s) on the release%s" % (ok, len(self.targets),
                                                         ("; " + self.stopped) if self.stopped else "")
        return text


class _NoImage:
    version = "?"
    size = 0
    sha256 = ""


class _NewKey(_NoImage):
    # the "release" of a rekey: its version column is the new key's fingerprint
    def __init__(self, fp):
        self.version = fp
