# The device side end to end without a network: offers in, a scripted HTTP
# server, the file-backed flash stand-in and its bootloader rollback rule.
import hashlib
import json

import pytest

from mdns.fleet import agent as agentmod, offer, writer
from mdns.host.fleet_flash import SimFlash, make_image, read_image
from fleet_fakes import FakeSock, OTHER_KEY, PUB, connector, http_reply, signed as _signed

OLD = make_image("B1", "0.1.0", 20000)
NEW = make_image("B1", "0.2.0", 3 * 4096 + 123)


class Dev:
    """A simulated device: flash + agent booted from whatever the flash runs."""

    def __init__(self, tmp_path, key=PUB, slot_size=16 * 4096, veto=None):
        self.dir = tmp_path
        self.flash = SimFlash(str(tmp_path / "flash"), slot_size=slot_size)
        if self.flash.image() is None:
            self.flash.flash_image(OLD)
        self.key = key
        self.veto = veto
        self.resets = 0
        self.logs = []
        self.now = 0
        self.boot()

    def boot(self):
        img = self.flash.image()
        self.agent = agentmod.Agent(
            None, name="dev1", board=img["board"], version=img["version"], chip="sim", key=self.key,
            state_path=str(self.dir / "fleet.json"), partition=self.flash.partition_class(),
            veto_path=str(self.dir / "fleet.veto"),
            reset=self._reset, veto=self.veto, watchdog_ms=5000, log=self.logs.append,
            clock=lambda: self.now, mpy="1.29.0")

    def _reset(self):
        self.resets += 1

    def signed(self, image, **kw):
        """An offer signed for the device's current nonce."""
        kw.setdefault("nonce", self.agent.nonce)
        return _signed(image, **kw)

    def offer(self, o, sock):
        self.sock = sock
        return self.agent.on_offer("dev1", o, delay_ms=None) if not callable(sock) else None

    def run_offer(self, o, sock):
        self.agent.connect = connector(sock)
        return self.agent.on_offer("dev1", o, delay_ms=None)

    def txt(self):
        return dict(self.agent.txt())


def snapshot(flash):
    return (json.dumps(flash.meta, sort_keys=True), flash.read_slot("ota_0"))


@pytest.fixture
def dev(tmp_path):
    return Dev(tmp_path)


def test_fresh_device_txt(dev):
    t = dev.txt()
    assert t["fw"] == "0.1.0" and t["board"] == "B1" and t["slot"] == "ota_0" and t["ota"] == "valid"
    assert t["last_error"] == "" and t["mpy"] == "1.29.0" and t["chip"] == "sim"
    assert len(t["app"]) == 12


def test_upgrade_switches_slot_and_new_firmware_marks_itself_valid(dev):
    r = dev.run_offer(dev.signed(NEW), FakeSock(http_reply(NEW), chunk=1000))
    assert r == offer.OK and dev.resets == 1
    assert dev.flash.meta["boot"] == "ota_1" and dev.flash.state("ota_1") == "new"
    assert dev.flash.read_slot("ota_1", len(NEW)) == NEW
    assert dev.agent.connect.calls == [("10.0.0.1", 8080)]
    assert dev.agent.heap_peak >= 0
    assert dev.flash.reset() == "ota_1"
    dev.boot()
    assert dev.txt()["fw"] == "0.2.0" and dev.txt()["ota"] == "pending-verify" and dev.txt()["slot"] == "ota_1"
    assert dev.agent.confirm()
    assert dev.txt()["ota"] == "valid" and dev.flash.state("ota_1") == "valid"
    dev.flash.reset()
    dev.boot()
    assert dev.txt()["fw"] == "0.2.0" and dev.txt()["ota"] == "valid"


def test_never_marked_valid_rolls_back(dev):
    dev.run_offer(dev.signed(NEW), FakeSock(http_reply(NEW)))
    dev.flash.reset()
    dev.boot()
    assert dev.agent.ota == "pending-verify"
    dev.now = 4999
    dev.agent.tick()
    assert dev.resets == 1
    dev.now = 5000
    dev.agent.tick()  # probation over: the watchdog path resets
    assert dev.resets == 2
    assert dev.flash.reset() == "ota_0"
    dev.boot()
    t = dev.txt()
    assert t["fw"] == "0.1.0" and t["ota"] == "rolled-back" and t["last_error"] == "rollback"
    assert dev.flash.state("ota_1") == "aborted"


def test_veto_keeps_firmware_on_probation(tmp_path):
    d = Dev(tmp_path, veto=lambda: "no-wifi")
    d.run_offer(d.signed(NEW), FakeSock(http_reply(NEW)))
    d.flash.reset()
    d.boot()
    assert not d.agent.confirm()
    assert d.txt()["ota"] == "pending-verify" and d.txt()["last_error"] == "no-wifi"
    assert d.flash.state("ota_1") == "pending-verify"


def _refused(dev, reason, o, sock=None):
    before = snapshot(dev.flash)
    r = dev.run_offer(o, sock if sock is not None else FakeSock(http_reply(NEW)))
    assert r == reason
    assert dev.resets == 0
    assert snapshot(dev.flash) == before  # boot slot, otadata and running slot untouched
    assert dev.flash.meta["boot"] == "ota_0"
    t = dev.txt()
    assert t["last_error"] == reason and t["ota"] == "valid" and t["fw"] == "0.1.0"
    assert any(reason in m for m in dev.logs)
    # the reason survives a reset
    dev.flash.reset()
    dev.boot()
    assert dev.txt()["last_error"] == reason


def test_bad_signature(dev):
    o = dev.signed(NEW)
    o["v"] = "0.3.0"
    _refused(dev, "signature", o)


def test_unsigned(dev):
    o = dev.signed(NEW)
    del o["sig"]
    _refused(dev, "unsigned", o)


def test_wrong_key(dev):
    _refused(dev, "signature", dev.signed(NEW, key=OTHER_KEY))


def test_no_key(tmp_path):
    d = Dev(tmp_path, key=b"")
    _refused(d, "nokey", d.signed(NEW))


def test_wrong_board(dev):
    _refused(dev, "board", dev.signed(make_image("B2", "0.2.0", 9000), board="B2"))


def test_downgrade(dev):
    _refused(dev, "downgrade", dev.signed(make_image("B1", "0.0.5", 9000), version="0.0.5"))


def test_oversize(dev):
    big = make_image("B1", "0.2.0", 16 * 4096 + 1)
    _refused(dev, "size", dev.signed(big), FakeSock(http_reply(big)))


def test_bad_sha256(dev):
    other = make_image("B1", "0.2.1", len(NEW))
    _refused(dev, "sha256", dev.signed(NEW), FakeSock(http_reply(other)))


def test_cut_mid_transfer(dev):
    _refused(dev, "truncated", dev.signed(NEW), FakeSock(http_reply(NEW), cut=200 + 5000))


def test_reset_mid_transfer(dev):
    _refused(dev, "truncated", dev.signed(NEW), FakeSock(http_reply(NEW), cut=9000, fail=OSError(104, "reset")))


def test_timeout_mid_transfer(dev):
    _refused(dev, "timeout", dev.signed(NEW), FakeSock(http_reply(NEW), cut=9000, fail=OSError(110, "timed out")))


def test_garbage_server(dev):
    _refused(dev, "http", dev.signed(NEW), FakeSock(bytes(range(256)) * 40))


def test_garbage_short(dev):
    _refused(dev, "http", dev.signed(NEW), FakeSock(b"\x00\xff junk\r\n\r\n"))


def test_not_found(dev):
    _refused(dev, "http", dev.signed(NEW), FakeSock(http_reply(b"nope", status="404 Not Found")))


def test_content_length_differs(dev):
    _refused(dev, "length", dev.signed(NEW), FakeSock(http_reply(NEW, length=len(NEW) + 1)))


def test_connect_refused(dev):
    _refused(dev, "connect", dev.signed(NEW), ConnectionRefusedError(111, "refused"))


def test_image_set_boot_refuses(dev):
    junk = b"\x00" * 9000  # right length and hash, but no valid app image
    _refused(dev, "setboot", dev.signed(junk), FakeSock(http_reply(junk)))


def test_offer_for_other_device_ignored(dev):
    r = dev.agent.on_offer("dev2", dev.signed(NEW, dev="dev2"), delay_ms=None)
    assert r == "other" and dev.txt()["last_error"] == ""


def test_same_offer_seen_twice_acted_on_once(dev):
    o = dev.signed(NEW)
    o["v"] = "9.9.9"
    dev.run_offer(o, FakeSock(http_reply(NEW)))
    dev.agent.last_error = ""
    assert dev.agent.on_offer("dev1", o, delay_ms=None) == "same"
    dev.agent.offer_gone("dev1")
    assert dev.agent.on_offer("dev1", o, delay_ms=None) == "signature"


def test_same_version_offer_is_silent(dev):
    r = dev.run_offer(dev.signed(OLD, version="0.1.0"), FakeSock(http_reply(OLD)))
    assert r == "same" and dev.txt()["last_error"] == ""


def test_scheduled_download_runs_from_tick(dev):
    dev.agent.connect = connector(FakeSock(http_reply(NEW)))
    assert dev.agent.on_offer("dev1", dev.signed(NEW), delay_ms=300) == "ok"
    assert dev.txt()["ota"] == "updating"
    dev.agent.tick()
    assert dev.resets == 0
    dev.now = 300
    for _ in range(20):  # the download runs in steps, at least one per 10 %
        dev.agent.tick()
    assert dev.resets == 1


def test_readback_mismatch(dev):
    P = dev.flash.partition_class()
    part = P(P.RUNNING).get_next_update()
    orig = part.readblocks

    def bad_read(block, buf, offset=None):
        orig(block, buf, offset)
        buf[5] ^= 1

    part.readblocks = bad_read
    w = writer.SlotWriter(part, len(NEW), hashlib.sha256(NEW).hexdigest())
    w.write(NEW)
    with pytest.raises(writer.WriteError) as e:
        w.finish()
    assert e.value.reason == "readback"


def test_writer_refuses_bytes_beyond_length(dev):
    P = dev.flash.partition_class()
    w = writer.SlotWriter(P(P.RUNNING).get_next_update(), 10, "0" * 64)
    with pytest.raises(writer.WriteError) as e:
        w.write(b"x" * 11)
    assert e.value.reason == "truncated"


def test_writer_uses_one_buffer_and_whole_blocks(dev):
    P = dev.flash.partition_class()
    part = P(P.RUNNING).get_next_update()
    sizes = []
    orig = part.writeblocks
    part.writeblocks = lambda b, buf, offset=None: (sizes.append(len(buf)), orig(b, buf, offset))
    buf = bytearray(4096)
    w = writer.SlotWriter(part, len(NEW), hashlib.sha256(NEW).hexdigest(), buf)
    for i in range(0, len(NEW), 777):
        w.write(NEW[i : i + 777])
    w.finish()
    assert sizes == [4096] * 4 and w.buf is buf


def test_flash_stand_in_refuses_running_slot_write(dev):
    P = dev.flash.partition_class()
    with pytest.raises(OSError):
        P(P.RUNNING).writeblocks(0, bytearray(4096))


def test_image_header_roundtrip():
    img = make_image("B9", "1.2.3-rc1", 5000, flags=("novalid",))
    assert len(img) == 5000
    assert read_image(img) == {"board": "B9", "version": "1.2.3-rc1", "flags": ["novalid"]}
    assert read_image(b"\x00" * 5000) is None


def test_rolled_back_image_is_refused_until_a_fresh_offer_says_retry(dev):
    o = dev.signed(NEW)
    dev.run_offer(o, FakeSock(http_reply(NEW)))
    dev.flash.reset()
    dev.flash.reset()  # crashed before marking valid: the bootloader goes back
    dev.boot()
    assert dev.txt()["ota"] == "rolled-back" and dev.agent.state.bad == [hashlib.sha256(NEW).hexdigest()]
    dev.agent.connect = connector(FakeSock(http_reply(NEW)))
    before = snapshot(dev.flash)
    # the captured offer again: a new boot, a new nonce
    assert dev.agent.on_offer("dev1", o, delay_ms=None) == "stale"
    # a fresh offer for the same image
    assert dev.agent.on_offer("x", dev.signed(NEW, url="http://10.0.0.1:8081/a.bin"), delay_ms=None) == "rolled-back-before"
    assert dev.resets == 1 and dev.agent.connect.calls == [] and snapshot(dev.flash) == before
    # remembered across a reset
    dev.boot()
    dev.agent.connect = connector(FakeSock(http_reply(NEW)))
    assert dev.agent.on_offer("y", dev.signed(NEW), delay_ms=None) == "rolled-back-before"
    # a fresh offer that says retry is acted on
    assert dev.agent.on_offer("z", dev.signed(NEW, retry=True), delay_ms=None) == "ok" and dev.resets == 2


def test_offer_echo_in_txt(dev):
    o = dev.signed(NEW)
    del o["sig"]
    dev.run_offer(o, FakeSock(b""))
    assert dev.txt()["offer"] == "none" and dev.txt()["last_error"] == "unsigned"


def test_async_run_ticks(dev):
    import asyncio

    dev.agent.connect = connector(FakeSock(http_reply(NEW)))
    dev.agent.on_offer("dev1", dev.signed(NEW), delay_ms=0)

    async def main():
        t = asyncio.ensure_future(dev.agent.run(period_ms=10))
        for _ in range(500):  # the download runs in steps between the loop's other tasks
            await asyncio.sleep(0.01)
            if dev.resets:
                break
        t.cancel()

    asyncio.run(main())
    assert dev.resets == 1


def test_veto_file_forces_rollback(dev):
    (dev.dir / "fleet.veto").write_text("")
    dev.run_offer(dev.signed(NEW), FakeSock(http_reply(NEW)))
    dev.flash.reset()
    dev.boot()
    # pretend mDNS is up: tick() tries to confirm
    dev.agent.responder = type("R", (), {"claimed": True, "update_service": lambda *a, **k: None})()
    dev.agent.service = type("S", (), {"claimed": True, "instance": "dev1"})()
    dev.agent.tick()
    assert dev.txt()["ota"] == "pending-verify" and dev.txt()["last_error"] == "veto"
    dev.now = 5000
    dev.agent.tick()
    assert dev.resets == 2 and dev.flash.reset() == "ota_0"
    (dev.dir / "fleet.veto").unlink()
    dev.boot()
    assert dev.txt()["ota"] == "rolled-back"


def test_auto_confirm_once_mdns_is_up(dev):
    dev.run_offer(dev.signed(NEW), FakeSock(http_reply(NEW)))
    dev.flash.reset()
    dev.boot()
    dev.agent.tick()  # no responder: mDNS not up, stays on probation
    assert dev.txt()["ota"] == "pending-verify"
    dev.agent.responder = type("R", (), {"claimed": True, "update_service": lambda *a, **k: None})()
    dev.agent.service = type("S", (), {"claimed": True, "instance": "dev1"})()
    dev.agent.tick()
    assert dev.txt()["ota"] == "valid" and dev.flash.state("ota_1") == "valid"


def test_name_defaults_to_host_label(tmp_path):
    f = SimFlash(str(tmp_path / "f"), slot_size=16 * 4096)
    f.flash_image(OLD)
    r = type("R", (), {"hostname": "kitchen-1.local"})()
    a = agentmod.Agent(r, board="B1", version="0.1.0", chip="sim", key=PUB, state_path=str(tmp_path / "s.json"),
                       partition=f.partition_class(), reset=lambda: None)
    assert a.name == "kitchen-1" and a.board == "B1"


class FakeWDT:
    made = []

    def __init__(self, timeout):
        self.timeout = timeout
        self.fed = 0
        FakeWDT.made.append(self)

    def feed(self):
        self.fed += 1


def _guard(dev):
    from mdns import fleet

    return fleet.guard(30000, state_path=str(dev.dir / "fleet.json"), partition=dev.flash.partition_class(),
                       make_wdt=FakeWDT)


def test_guard_arms_the_watchdog_before_network_only_on_probation(dev):
    # fleet.guard() runs first in main.py, before Wi-Fi: a hang there must reset the board
    assert _guard(dev) is None  # marked-valid firmware: no watchdog
    dev.run_offer(dev.signed(NEW), FakeSock(http_reply(NEW)))
    dev.flash.reset()  # new firmware, not yet valid
    w = _guard(dev)
    assert isinstance(w, FakeWDT) and w.timeout == 35000
    dev.boot()
    dev.agent.wdt = w
    dev.agent.tick()
    assert w.fed == 1  # the agent feeds the same watchdog while on probation
    dev.flash.reset()  # the hang: the watchdog resets, the bootloader goes back
    assert _guard(dev) is None  # rolled back: the old firmware needs no watchdog
    dev.boot()
    assert dev.txt()["ota"] == "rolled-back"
