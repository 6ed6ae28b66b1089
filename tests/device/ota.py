"""Fleet OTA on a real board (issue 7), the host side; run.py calls it last.

The board must run an older firmware version than the release given (bump
frozen/mdns/version.py, `make firmware BOARD=... && make release`, and flash the
board with the firmware from before the bump). Steps, each checked:
  1. upgrade: the board runs tests/device/dev_fleet.py (the fleet agent with a throwaway
     key); this host runs `python -m mdns fleet upgrade RELEASE --only NAME`; the board
     downloads, checks, switches slots and resets; dev_fleet.py again: the new version
     boots `pending-verify` in the other slot, marks itself valid once mDNS is up, and
     `fleet upgrade` exits 0;
  2. a hard reset (`mpremote reset`) keeps it: marked valid for real, no rollback;
  3. forced rollback: `mpremote touch :fleet.veto`, then the same image again
     (`--allow-downgrade`: a reinstall into the other slot); the new boot refuses to mark
     itself valid (last_error=veto), the agent resets when its watchdog_ms runs out and
     the bootloader goes back: the board advertises `rolled-back` (last_error=rollback)
     in the slot of step 1, `fleet upgrade` exits 1 saying so, `fleet list` shows it.
fleet.veto is removed at the end on every path. The board's fleet.key is not touched.
"""
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time

MARK = "@@DEV "
VETO = ":fleet.veto"


class OtaError(Exception):
    pass


class Session:
    """One `mpremote run dev_fleet.py`: its reports, read in a thread."""

    def __init__(self, proc, echo=print):
        self.proc = proc
        self.echo = echo
        self.q = queue.Queue()
        self.lines = []
        self.last = {}
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            line = line.rstrip()
            self.lines.append(line)
            if line.startswith(MARK):
                self.q.put(json.loads(line[len(MARK):]))
            elif line.startswith("fleet:"):
                self.echo("  board: " + line)
        self.q.put(None)

    def wait(self, pred, timeout, what):
        """The first report with pred(report) true; any other report is kept in self.last."""
        end = time.monotonic() + timeout
        while True:
            try:
                rec = self.q.get(timeout=max(0.1, end - time.monotonic()))
            except queue.Empty:
                rec = False
            if not rec:
                raise OtaError("board: no %s within %ds%s; its output:\n  %s" % (
                    what, timeout, "" if rec is False else " (script ended)", "\n  ".join(self.lines[-30:])))
            self.last[rec["kind"]] = rec
            if rec["kind"] in ("fleet", "reset", "ready"):
                self.echo("  board: %s" % json.dumps(rec, sort_keys=True))
            if pred(rec):
                return rec
            if rec["kind"] == "reset":
                raise OtaError("board reset while waiting for %s: %s" % (what, rec))
            if time.monotonic() > end:
                raise OtaError("board: no %s within %ds" % (what, timeout))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def kind(k, **want):
    return lambda r: r["kind"] == k and all(r.get(f) == v for f, v in want.items())


def summary(out):
    """The JSON summary `fleet upgrade --json` prints last."""
    i = 0 if out.startswith("{") else out.find("\n{") + 1
    if i == 0 and not out.startswith("{"):
        raise OtaError("fleet upgrade printed no JSON summary:\n" + out[-2000:])
    return json.loads(out[i:])


class OtaTest:
    """OtaTest(port, cfg, release, tag).run() -> figures; raises OtaError on a failed check.
    The I/O methods (board, mpremote, reconnect, fleet, host_ip) are what the unit test
    replaces (tests/py/test_fleet_device.py)."""

    def __init__(self, port, cfg, release, tag, watchdog_ms=30000, timeout=300, echo=print):
        self.port = port
        self.cfg = cfg
        self.release = os.path.abspath(release)
        self.name = "mdnsfast-ota-%s" % tag
        self.watchdog_ms = watchdog_ms
        self.timeout = timeout
        self.echo = echo

    # ---- I/O (replaced by the unit test's fakes) ----
    def board(self, cfg):
        import run

        return Session(run.start(self.port, "dev_fleet.py", cfg), self.echo)

    def mpremote(self, *args):
        import run

        p = subprocess.run(run.mpremote_cmd(self.port) + list(args), capture_output=True, text=True, timeout=60)
        return p.returncode

    def reconnect(self, timeout=60):
        """After a reset: until mpremote gets a REPL again (native USB ports come and go)."""
        end = time.monotonic() + timeout
        time.sleep(2)
        while self.mpremote("eval", "1") != 0:
            if time.monotonic() > end:
                raise OtaError("board did not come back on %s within %ds after its reset" % (self.port, timeout))
            time.sleep(1)

    def fleet(self, args):
        """`python -m mdns fleet ARGS` in the background: returns wait(timeout) -> (rc, output)."""
        p = subprocess.Popen([sys.executable, "-m", "mdns", "fleet"] + args, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)

        def wait(timeout):
            try:
                out = p.communicate(timeout=timeout)[0]
            except subprocess.TimeoutExpired:
                p.kill()
                out = p.communicate()[0]
                raise OtaError("fleet %s did not finish in %ds:\n%s" % (args[0], timeout, out[-2000:]))
            for line in out.splitlines():
                self.echo("  host: " + line)
            return p.returncode, out

        return wait

    def host_ip(self, board_ip):
        import socket

        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.connect((board_ip, 9))  # no packet: picks the local address on the board's LAN
        ip = s.getsockname()[0]
        s.close()
        return ip

    def iface_of(self, addr):
        """The host interface holding addr (for `fleet list --interface`), or None."""
        try:
            out = subprocess.run(["ip", "-o", "-4", "addr", "show"], capture_output=True, text=True).stdout
        except OSError:
            return None
        for line in out.splitlines():  # "2: eth0    inet 192.168.1.5/24 brd ..."
            f = line.split()
            if len(f) > 3 and f[2] == "inet" and f[3].split("/")[0] == addr:
                return f[1]
        return None

    # ---- the test ----
    def check(self, cond, what):
        if not cond:
            raise OtaError(what)
        self.echo("  ok: %s" % what.split(":")[0])

    def run(self):
        from mdns.fleet import offer
        from mdns.host import fleet_keys, fleet_release

        try:
            images = fleet_release.load(self.release)  # checks every image against its sha256
        except fleet_release.ReleaseError as e:
            raise OtaError(str(e))
        d = tempfile.mkdtemp(prefix="mdnsfast-ota-")
        keyfile = os.path.join(d, "fleet.key")
        key = fleet_keys.keygen(keyfile)
        self.cfg = dict(self.cfg, hostname=self.name, key=fleet_keys.pub_hex(key), watchdog_ms=self.watchdog_ms,
                        run_s=self.timeout + 60)
        self.mpremote("rm", VETO)  # left by an interrupted run; fails when absent (fine)
        try:
            return self._run(images, keyfile, offer.compare_versions)
        finally:
            rc = self.mpremote("rm", VETO)
            self.echo("  cleanup: mpremote rm %s (exit %s)" % (VETO, rc))
            os.unlink(keyfile)
            os.unlink(keyfile + fleet_keys.PUB_SUFFIX)
            os.rmdir(d)

    def _run(self, images, keyfile, compare):
        wd_s = self.watchdog_ms // 1000
        up_args = ["upgrade", self.release, "--key", keyfile, "--only", self.name, "--timeout", str(self.timeout),
                   "--json"]
        # 1. the upgrade
        b = self.board(self.cfg)
        try:
            ready = b.wait(kind("ready"), 90, "ready (host name and fleet record claimed)")
            old = b.last["fleet"]
            img = images.get(old["board"])
            self.check(img is not None, "release has the board's image: board %s, release has %s" % (
                old["board"], sorted(images)))
            self.check(compare(img.version, old["fw"]) > 0, "release %s is newer than the board's %s: rebuild it "
                       "with a bumped frozen/mdns/version.py" % (img.version, old["fw"]))
            self.check(old["ota"] in ("valid", "rolled-back"), "board starts on marked-valid firmware: %s" % old)
            addr = self.host_ip(ready["ip"])
            up = self.fleet(up_args + ["--address", addr])
            rst = b.wait(kind("reset"), self.timeout, "reset after the download")
            self.check(rst["ota"] == "updating", "board switched slots and reset: %s" % rst)
        finally:
            b.stop()
        heap_peak = rst["heap_peak"]
        self.reconnect()
        b = self.board(self.cfg)
        try:
            new = b.wait(kind("fleet"), 90, "fleet record after the upgrade")
            self.check(new["fw"] == img.version and new["slot"] != old["slot"] and new["ota"] == "pending-verify",
                       "new firmware boots pending-verify in the other slot: %s" % new)
            valid = b.wait(kind("fleet", ota="valid"), wd_s, "ota=valid")
            self.check(valid["fw"] == img.version and valid["slot"] == new["slot"] and not valid["last_error"],
                       "new firmware marked itself valid once mDNS was up: %s" % valid)
            self.check(not (old["app"] and valid["app"]) or old["app"] != valid["app"],
                       "app hash changed: %s -> %s" % (old["app"], valid["app"]))
            rc, out = up(self.timeout)
            row = [r for r in summary(out)["devices"] if r["device"] == self.name]
            self.check(rc == 0 and row and row[0]["result"] == "ok", "fleet upgrade exit 0, result ok: %s" % row)
        finally:
            b.stop()
        upgrade_time = row[0]["time"]
        # 2. a hard reset keeps the marked-valid firmware; fleet.veto is harmless to it
        self.mpremote("reset")
        self.reconnect()
        self.check(self.mpremote("touch", VETO) == 0, "mpremote touch %s" % VETO)
        b = self.board(self.cfg)
        try:
            b.wait(kind("ready"), 90, "ready after a hard reset")
            rec = b.last["fleet"]
            self.check(rec["fw"] == img.version and rec["slot"] == new["slot"] and rec["ota"] == "valid",
                       "a hard reset keeps the new firmware (valid, no rollback): %s" % rec)
            # 3. the same image again into the other slot, which must not become valid
            up = self.fleet(up_args + ["--address", addr, "--allow-downgrade"])
            rst = b.wait(kind("reset"), self.timeout, "reset after the second download")
            self.check(rst["ota"] == "updating", "reinstall written to the other slot: %s" % rst)
        finally:
            b.stop()
        self.reconnect()
        b = self.board(self.cfg)
        try:
            pend = b.wait(kind("fleet"), 90, "fleet record after the reinstall")
            self.check(pend["slot"] == old["slot"] and pend["ota"] == "pending-verify",
                       "reinstall boots pending-verify in %s: %s" % (old["slot"], pend))
            if pend["last_error"] != "veto":
                b.wait(kind("fleet", last_error="veto"), wd_s, "last_error=veto")
            rst = b.wait(kind("reset"), wd_s + 20, "the agent's reset when watchdog_ms ran out")
            self.check(rst["ota"] == "pending-verify", "not marked valid: reset while pending-verify: %s" % rst)
        finally:
            b.stop()
        self.reconnect()
        b = self.board(self.cfg)
        try:
            back = b.wait(kind("fleet"), 90, "fleet record after the rollback")
            self.check(back["ota"] == "rolled-back" and back["slot"] == new["slot"] and back["fw"] == img.version
                       and back["last_error"] == "rollback",
                       "bootloader rolled back to %s, the board says rolled-back/rollback: %s" % (new["slot"], back))
            b.wait(kind("ready"), 90, "ready after the rollback")
            rc, out = up(self.timeout)
            row = [r for r in summary(out)["devices"] if r["device"] == self.name]
            self.check(rc == 1 and row and row[0]["result"] == "failed" and "rolled back" in row[0]["detail"],
                       "fleet upgrade exit 1, rolled back: %s" % row)
            iface = self.iface_of(addr)
            rc, out = self.fleet(["list", "--json", "--timeout", "6"] + (["--interface", iface] if iface else []))(60)
            dev = [r for r in json.loads(out[out.index("["):]) if r.get("name") == self.name]
            self.check(rc == 0 and dev and dev[0]["ota"] == "rolled-back" and dev[0]["last_error"] == "rollback",
                       "fleet list shows rolled-back, last_error rollback: %s" % dev)
        finally:
            b.stop()
        self.echo("  upgrade %s -> %s took %s; device-side upgrade heap high-water %d bytes" % (
            old["fw"], img.version, upgrade_time, heap_peak))
        return {"from": old["fw"], "to": img.version, "upgrade_time": upgrade_time, "heap_peak": heap_peak}
