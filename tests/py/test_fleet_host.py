# Host side of the fleet without a network: release directories, keys, the CLI's
# offline commands, and the rollout logic against a scripted fleet.
import hashlib
import io
import json
import os
import stat

import pytest

from mdns.fleet import offer, sig
from mdns.host import cli, fleet_flash, fleet_keys, fleet_release, fleet_rollout, fleet_net
from fleet_fakes import KEY, PUB


def run_cli(*argv):
    with pytest.raises(SystemExit) as e:
        cli.main(list(argv))
    return e.value.code


# ---- release directories (the `make release` layout of tools/firmware/release.py)
def test_release_roundtrip(tmp_path):
    d = str(tmp_path / "rel")
    data = fleet_flash.make_image("B1", "0.2.0", 9000)
    fleet_release.write(d, "B1", "0.2.0", data, chip="esp32", slot_size=0x180000)
    fleet_release.write(d, "B2", "0.2.0", b"y" * 100)
    imgs = fleet_release.load(d)
    assert sorted(imgs) == ["B1", "B2"]
    i = imgs["B1"]
    assert i.size == 9000 and i.sha256 == hashlib.sha256(data).hexdigest() and i.version == "0.2.0"
    assert i.slot_size == 0x180000 and i.chip == "esp32" and i.path.endswith("B1-0.2.0-app.bin")
    sums = open(os.path.join(d, "SHA256SUMS")).read()
    assert "%s  B1-0.2.0-app.bin" % i.sha256 in sums and "B2-0.2.0.json" in sums and "release.json" in sums
    idx = json.load(open(os.path.join(d, "release.json")))
    assert [b["board"] for b in idx["boards"]] == ["B1", "B2"] and idx["firmware_version"] == "0.2.0"
    m = json.load(open(os.path.join(d, "B1-0.2.0.json")))
    assert m["app_image"]["sha256"] == i.sha256 and m["app_image"]["headroom"] == 0x180000 - 9000


def test_release_written_by_make_release(tmp_path):
    # the exact shape tools/firmware/release.py writes (fields we do not use left out)
    d = tmp_path / "rel"
    d.mkdir()
    app = b"\xe9" + b"a" * 99
    (d / "MDNSFAST_ESP32_C3-0.4.0-app.bin").write_bytes(app)
    (d / "MDNSFAST_ESP32_C3-0.4.0.bin").write_bytes(b"m" * 10)
    sha = hashlib.sha256(app).hexdigest()
    (d / "MDNSFAST_ESP32_C3-0.4.0.json").write_text(json.dumps({
        "board": "MDNSFAST_ESP32_C3", "chip": "esp32c3", "firmware_version": "0.4.0",
        "merged_image": {"file": "MDNSFAST_ESP32_C3-0.4.0.bin", "size": 10},
        "app_image": {"file": "MDNSFAST_ESP32_C3-0.4.0-app.bin", "size": 100, "sha256": sha,
                      "ota_slot_size": 0x180000, "headroom": 0x180000 - 100}}))
    (d / "release.json").write_text(json.dumps({"firmware_version": "0.4.0", "boards": [
        {"board": "MDNSFAST_ESP32_C3", "chip": "esp32c3", "manifest": "MDNSFAST_ESP32_C3-0.4.0.json"}]}))
    (d / "SHA256SUMS").write_text("%s  MDNSFAST_ESP32_C3-0.4.0-app.bin\n" % sha)
    i = fleet_release.load(str(d))["MDNSFAST_ESP32_C3"]
    assert i.version == "0.4.0" and i.chip == "esp32c3" and i.size == 100 and i.slot_size == 0x180000
    (d / "SHA256SUMS").write_text("%s  MDNSFAST_ESP32_C3-0.4.0-app.bin\n" % ("0" * 64))
    with pytest.raises(fleet_release.ReleaseError, match="SHA256SUMS"):
        fleet_release.load(str(d))


def test_release_detects_a_changed_image(tmp_path):
    d = str(tmp_path / "rel")
    fleet_release.write(d, "B1", "0.2.0", b"x" * 100)
    with open(os.path.join(d, "B1-0.2.0-app.bin"), "r+b") as f:
        f.write(b"y")
    with pytest.raises(fleet_release.ReleaseError, match="sha256"):
        fleet_release.load(d)


def test_release_empty_dir(tmp_path):
    with pytest.raises(fleet_release.ReleaseError, match="no release.json"):
        fleet_release.load(str(tmp_path))
    with pytest.raises(fleet_release.ReleaseError, match="no such"):
        fleet_release.load(str(tmp_path / "missing"))


# ---- keys and the offline CLI commands
def test_keygen(tmp_path, capsys):
    p = str(tmp_path / "fleet.key")
    assert run_cli("fleet", "keygen", p) == 0
    k = fleet_keys.load_private(p)
    pub = offer.load_pub(p + ".pub")
    assert pub is not None and pub.hex() == fleet_keys.pub_hex(k)
    assert stat.S_IMODE(os.stat(p).st_mode) == 0o600
    assert b"PRIVATE KEY" in open(p, "rb").read() and "PRIVATE" not in open(p + ".pub").read()
    assert run_cli("fleet", "keygen", p) == 2  # never overwrites a key by accident
    assert offer.load_pub(p + ".pub") == pub
    out = capsys.readouterr().out
    assert "mpremote cp" in out and "make provision-key PORT=" in out and ":fleet.pub" in out
    # what the host signs, the device's verifier accepts
    o = offer.make(fleet_keys.signer(k), "d", "h", "00", "B", "1.0.0", 10, "ab" * 32, "http://x/")
    assert offer.check_signature(o, pub, sig.verifier()) == "ok"


def test_simulate_release_and_release_check(tmp_path, capsys):
    d = str(tmp_path / "rel")
    assert run_cli("fleet", "simulate-release", d, "--board", "B1", "--version", "0.3.0", "--size", "8192",
                   "--flag", "novalid") == 0
    img = fleet_release.load(d)["B1"]
    assert fleet_flash.read_image(open(img.path, "rb").read())["flags"] == ["novalid"]
    assert run_cli("fleet", "release", d) == 0
    out = capsys.readouterr().out
    assert "B1" in out and "0.3.0" in out and "8192" in out
    assert run_cli("fleet", "simulate-release", d, "--board", "B2", "--version", "0.3.0", "--size", "8192",
                   "--slot-size", "4096") == 0
    assert run_cli("fleet", "release", d) == 1  # B2 does not fit its slot


def test_upgrade_refuses_bad_key_file(tmp_path, capsys):
    d = str(tmp_path / "rel")
    fleet_release.write(d, "B1", "0.2.0", b"x" * 100)
    k = tmp_path / "k"
    k.write_text("not a key")
    assert run_cli("fleet", "upgrade", d, "--key", str(k)) == 2
    assert "not a fleet private key" in capsys.readouterr().err


def test_table():
    t = fleet_net.table([{"a": "x", "b": None}, {"a": "longer", "b": 3}], ("a", "b"))
    assert t.splitlines() == ["A       B", "x", "longer  3"]


# ---- the rollout against a scripted fleet
class FakeResponder:
    def __init__(self):
        self.services = []
        self.removed = []

    def add_service(self, s):
        self.services.append(s)

    def update_service(self, s, txt):
        s.txt = dict(txt)

    def remove_service(self, s):
        self.services.remove(s)
        self.removed.append(s.instance)


class FakeServer:
    port = 8080

    def __init__(self):
        self.sent = {}

    def url(self, board):
        return "http://10.0.0.1:8080/%s/micropython.bin" % board

    def progress(self, ip):
        return self.sent.get(ip)


class Devices:
    """A fleet whose devices follow a script when an offer addressed to them appears."""

    def __init__(self, responder, behaviour):
        self.devices = {}
        self.responder = responder
        self.behaviour = behaviour  # name -> function(dev, offer_txt) run on each poll
        self.browser = self
        self.polls = 0

    def add(self, name, board, fw="0.1.0", ota="valid", err=""):
        self.devices[name] = {"name": name, "board": board, "fw": fw, "ota": ota, "last_error": err,
                              "slot": "ota_0", "offer": "", "address": "10.0.0.%d" % (len(self.devices) + 2),
                              "nonce": "%016x" % len(self.devices), "took": "", "key": offer.fingerprint(PUB)}

    def poll(self, ms):
        self.polls += 1
        for s in list(self.responder.services):
            d = self.devices.get(s.instance)
            f = self.behaviour.get(s.instance)
            if d is not None and f is not None:
                f(d, dict(s.txt))


def upgrade_ok(d, o):
    assert offer.check_signature(o, PUB, sig.verifier()) == "ok"
    assert offer.check_firmware(o, d["nonce"], d["board"], d["fw"], 0x180000) == "ok"
    d.update(fw=o["v"], ota="valid", slot="ota_1", offer=o["sig"][:8], nonce=d["nonce"] + "x", last_error="")


def refuse(reason):
    def f(d, o):
        d.update(last_error=reason, offer=(o.get("sig") or "")[:8] or "none")
    return f


def roll_back(d, o):
    d.update(ota="rolled-back", last_error="rollback", offer=o["sig"][:8])


def never(d, o):
    pass


IMAGES = {"B1": fleet_release.Image("B1", "0.2.0", "/x", 1000, "ab" * 32),
          "B2": fleet_release.Image("B2", "0.2.0", "/y", 1000, "cd" * 32)}


def rollout(devs, behaviour, **kw):
    resp = FakeResponder()
    fleet = Devices(resp, behaviour)
    for args in devs:
        fleet.add(*args)
    out = io.StringIO()
    kw.setdefault("timeout", 5)
    ro = fleet_rollout.Rollout(IMAGES, KEY, resp, fleet, FakeServer(), out=out, live=False, **kw)
    ro.plan()
    return ro, resp, fleet, out


def result(ro):
    return {t.name: (t.result, t.detail) for t in ro.targets}


def test_rollout_all_good_and_board_filter():
    ro, resp, fleet, out = rollout([("d1", "B1"), ("d2", "B1"), ("e1", "B2"), ("x", "B9")],
                                   {"d1": upgrade_ok, "d2": upgrade_ok, "e1": upgrade_ok}, boards=["B1"])
    assert ro.run() == 0
    assert result(ro) == {"d1": ("ok", "valid in ota_1"), "d2": ("ok", "valid in ota_1")}
    assert fleet.devices["e1"]["fw"] == "0.1.0"  # the other board was never offered anything
    assert resp.services == [] and sorted(resp.removed) == ["d1", "d2"]  # offers withdrawn when done
    s = ro.summary()
    assert "2 of 2 device(s) on the release" in s and "untouched" in s
    assert "d1" in out.getvalue()


def test_rollout_offers_are_signed_for_each_device():
    seen = {}

    def grab(d, o):
        seen[d["name"]] = o
        upgrade_ok(d, o)

    ro, resp, fleet, out = rollout([("d1", "B1"), ("e1", "B2")], {"d1": grab, "e1": grab})
    assert ro.run() == 0
    assert seen["d1"]["dev"] == "d1" and seen["d1"]["board"] == "B1" and seen["d1"]["sha"] == "ab" * 32
    assert seen["d1"]["url"].endswith("/B1/micropython.bin") and seen["e1"]["board"] == "B2"


def test_rollout_up_to_date_and_only():
    ro, resp, fleet, out = rollout([("d1", "B1", "0.2.0"), ("d2", "B1"), ("d3", "B1")],
                                   {"d2": upgrade_ok, "d3": upgrade_ok}, only=["d1", "d2", "ghost"])
    assert ro.run() == 1  # ghost is not on the network
    r = result(ro)
    assert r["d1"][0] == "up-to-date" and r["d2"][0] == "ok" and r["ghost"][0] == "failed" and "d3" not in r


def test_rollout_reports_device_refusal_reason():
    ro, resp, fleet, out = rollout([("d1", "B1", "0.1.0", "valid", "sha256"), ("d2", "B1")],
                                   {"d1": refuse("signature"), "d2": upgrade_ok})
    assert ro.run() == 1
    assert result(ro)["d1"] == ("failed", "signature") and result(ro)["d2"][0] == "ok"


def test_rollout_stale_error_is_not_taken_for_a_refusal():
    # d1 shows an old error from another offer; only its echo of our offer counts
    calls = []

    def slow_ok(d, o):
        calls.append(1)
        if len(calls) > 3:
            upgrade_ok(d, o)

    ro, resp, fleet, out = rollout([("d1", "B1", "0.1.0", "valid", "truncated")], {"d1": slow_ok})
    assert ro.run() == 0


def test_rollout_rollback_and_timeout():
    ro, resp, fleet, out = rollout([("d1", "B1"), ("d2", "B1")], {"d1": roll_back, "d2": never}, timeout=0.3)
    assert ro.run() == 1
    assert result(ro)["d1"] == ("failed", "rolled back (rollback)")
    assert result(ro)["d2"][0] == "timeout"


def test_rollout_canary_failure_stops():
    ro, resp, fleet, out = rollout([("d1", "B1"), ("d2", "B1"), ("d3", "B1")],
                                   {"d1": roll_back, "d2": upgrade_ok, "d3": upgrade_ok}, canary=1)
    assert ro.run() == 1
    r = result(ro)
    assert r["d1"][0] == "failed" and r["d2"][0] == "skipped" and r["d3"][0] == "skipped"
    assert fleet.devices["d2"]["fw"] == "0.1.0" and "canary failed: d1" in ro.summary()


def test_rollout_canary_success_continues_and_max_parallel():
    peak = []

    def ok_later(d, o):
        peak.append(len(resp_ref[0].services))
        upgrade_ok(d, o)

    resp_ref = []
    devs = [("d%d" % i, "B1") for i in range(6)]
    ro, resp, fleet, out = rollout(devs, {n: ok_later for n, _ in devs}, canary=2, max_parallel=2)
    resp_ref.append(resp)
    assert ro.run() == 0
    assert max(peak) <= 2
    assert all(r[0] == "ok" for r in result(ro).values())


def test_rollout_interrupt_withdraws_offers():
    ro, resp, fleet, out = rollout([("d1", "B1"), ("d2", "B1")], {})
    for t in ro.targets:
        ro._offer(t)
    assert len(resp.services) == 2
    ro.interrupt()
    assert resp.services == [] and sorted(resp.removed) == ["d1", "d2"]
    assert all(r[0] == "interrupted" for r in result(ro).values()) and ro.exit_code() == 1


def test_rollout_unsigned_offer_refusal_is_matched():
    def tamper(o):
        del o["sig"]
        return o

    ro, resp, fleet, out = rollout([("d1", "B1")], {"d1": refuse("unsigned")}, tamper=tamper)
    assert ro.run() == 1 and result(ro)["d1"] == ("failed", "unsigned")


def test_sim_flash_bootloader_rule(tmp_path):
    f = fleet_flash.SimFlash(str(tmp_path / "f"), slot_size=8 * 4096)
    f.flash_image(fleet_flash.make_image("B", "1.0.0", 5000))
    P = f.partition_class()
    nxt = P(P.RUNNING).get_next_update()
    img = fleet_flash.make_image("B", "2.0.0", 5000)
    buf = bytearray(4096)
    for i in range(0, len(img), 4096):
        buf[:] = (img[i : i + 4096] + b"\xff" * 4096)[:4096]
        nxt.writeblocks(i // 4096, buf)
    nxt.set_boot()
    assert f.reset() == "ota_1" and f.image()["version"] == "2.0.0" and f.state("ota_1") == "pending-verify"
    assert f.reset() == "ota_0" and f.state("ota_1") == "aborted"  # not marked valid: rolled back
    # a restart of the simulator keeps the slots
    g = fleet_flash.SimFlash(str(tmp_path / "f"), slot_size=8 * 4096)
    assert g.running == "ota_0" and g.image()["version"] == "1.0.0"
    with pytest.raises(OSError):
        P("ota_0").get_next_update().writeblocks(8, buf)  # past the end of the slot
    blank = P(P.RUNNING).get_next_update()
    blank.writeblocks(0, bytearray(4096))
    with pytest.raises(OSError) as e:
        blank.set_boot()
    assert e.value.args[0] == fleet_flash.ESP_ERR_OTA_VALIDATE_FAILED


def test_rollout_only_names_a_device_of_another_board():
    ro, resp, fleet, out = rollout([("d1", "B1"), ("z1", "B9")], {"d1": upgrade_ok}, only=["d1", "z1"])
    assert ro.run() == 1
    assert result(ro)["z1"] == ("failed", "the release has no image for board B9") and result(ro)["d1"][0] == "ok"


# ---- make provision-key: the documented way to put the fleet key on a device ----
def _make(args, tmp_path):
    import subprocess

    top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    fake = tmp_path / "mpremote"
    fake.write_text("#!/bin/sh\necho \"$@\" >> %s\n" % (tmp_path / "calls"))
    fake.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    r = subprocess.run(["make", "--no-print-directory", "-C", top, "provision-key", "MPREMOTE=%s" % fake] + args,
                       env=env, capture_output=True, text=True, timeout=60)
    calls = (tmp_path / "calls").read_text().splitlines() if (tmp_path / "calls").exists() else []
    return r, calls


def test_provision_key_copies_the_public_key_with_mpremote(tmp_path):
    key = tmp_path / "fleet.key"
    fleet_keys.keygen(str(key))
    r, calls = _make(["PORT=/dev/ttyFAKE", "KEY=%s.pub" % key], tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert calls == ["connect /dev/ttyFAKE cp %s.pub :fleet.pub" % key]
    r, calls = _make(["PORT=/dev/ttyFAKE", "KEY=%s" % key], tmp_path)  # the private key never goes
    assert r.returncode != 0 and "not a fleet public key" in r.stdout + r.stderr


@pytest.mark.parametrize("args, says", [
    ([], "PORT is not set"),
    (["PORT=/dev/ttyFAKE"], "KEY is not set"),
    (["PORT=/dev/ttyFAKE", "KEY=/nonexistent/fleet.key.pub"], "not a fleet public key"),
])
def test_provision_key_refuses_without_port_or_good_key(tmp_path, args, says):
    r, calls = _make(args, tmp_path)
    assert r.returncode != 0 and says in r.stdout + r.stderr and calls == []


def test_image_server_listens_on_the_chosen_address_only(tmp_path):
    # `fleet upgrade` binds its HTTP server to the interface's address, never to all
    import socket

    from mdns.host import fleet_server

    img = fleet_release.write(str(tmp_path / "rel"), "B1", "0.2.0", fleet_flash.make_image("B1", "0.2.0", 5000))
    srv = fleet_server.ImageServer({"B1": img}, "127.0.0.1").start()
    try:
        assert srv.httpd.server_address[0] == "127.0.0.1"
        assert srv.url("B1").startswith("http://127.0.0.1:%d/" % srv.port)
        socket.create_connection(("127.0.0.1", srv.port), timeout=2).close()
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.2", srv.port), timeout=2).close()  # same host, other address
    finally:
        srv.stop()


def test_fleet_lists_more_devices_than_a_boards_cache_holds():
    # issue 13: with the browser's board-sized default bounds `fleet list` and
    # `fleet upgrade` saw ~60 of 100 devices (the rest evicted)
    from browse_fakes import Peer, Sim
    from mdns.fleet import SERVICE_TYPE

    sim = Sim()

    class Driver:
        engine = sim.eng
        net = None

    f = fleet_net.Fleet(driver=Driver())
    n = 400
    for i in range(n):
        ip = "10.7.%d.%d" % (i // 200, i % 200 + 1)
        txt = {"fw": b"0.1.0", "board": b"MDNSFAST_ESP32_GENERIC", "chip": b"esp32", "mpy": b"1.29.0",
               "slot": b"ota_0", "ota": b"valid", "app": b"0123456789ab", "last_error": b"", "offer": b"none",
               "nonce": b"%016x" % i, "key": b"0badc0de", "took": b""}
        p = Peer("dev-%03d" % i, SERVICE_TYPE,
                 host="dev-%03d.local" % i, txt=txt, addrs=(ip,), src=(ip, 5353))
        sim.feed(p.announce(), src=p.src)
    sim.advance(6000)  # the browser reports after its settle delay
    assert len(f.devices) == n and f.browser.cache.evicted == 0
    assert f.devices["dev-399"]["address"] == "10.7.1.200" and f.devices["dev-000"]["nonce"] == "%016x" % 0
