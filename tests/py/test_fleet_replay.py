# The device agent against replays, retired keys, several hosts and a slow download
# (issue 12): nonce, rolled-back images, rekey, choosing between offers, steps,
# migrating from the HMAC format, and any TXT at all. Same fakes as test_fleet_agent.

from mdns.fleet import agent as agentmod, offer
from mdns.host.fleet_flash import SimFlash, make_image
from fleet_fakes import FakeSock, OTHER_KEY, PUB, connector, http_reply, signed as _signed
from test_fleet_agent import NEW, OLD, Dev, _refused, dev, snapshot  # noqa: F401 - dev is a fixture
def _upgraded(dev):
    """Take an offer for 0.2.0, reset, boot it and mark it valid -> the offer."""
    o = dev.signed(NEW)
    assert dev.run_offer(o, FakeSock(http_reply(NEW))) == "ok"
    dev.flash.reset()
    dev.boot()
    assert dev.agent.confirm()
    dev.resets = 0
    return o


def test_replay_after_upgrade_is_stale(dev):
    o = _upgraded(dev)
    _refused_after(dev, "stale", o)


def test_the_offer_it_runs_seen_again_after_the_reset_is_no_error_once_withdrawn(dev):
    # issue 13: a loaded host withdraws the offer only after it sees the new firmware
    # `valid`; judged again before that, the device showed `stale` in `fleet list` for
    # good. A replay stays visible while it is out; its host's goodbye clears it.
    o = _upgraded(dev)
    _refused_after(dev, "stale", o)
    dev.agent.offer_gone("other offer")
    assert dev.txt()["last_error"] == "stale"
    dev.agent.offer_gone("dev1")
    t = dev.txt()
    assert t["last_error"] == "" and t["ota"] == "valid" and t["fw"] == "0.2.0"
    dev.boot()
    assert dev.txt()["last_error"] == ""  # kept so across a reset
    o2 = dev.signed(NEW, nonce="feedfeedfeedfeed")  # a replay of another offer: no such pardon
    _refused_after(dev, "stale", o2)
    dev.agent.offer_gone("dev1")
    assert dev.txt()["last_error"] == "stale"


def _refused_after(dev, reason, o):
    # like _refused, for a device that runs 0.2.0 from ota_1
    before = snapshot(dev.flash)
    dev.agent.connect = connector(FakeSock(http_reply(NEW)))
    assert dev.agent.on_offer("dev1", o, delay_ms=None) == reason
    assert dev.resets == 0 and snapshot(dev.flash) == before and dev.agent.connect.calls == []
    assert dev.txt()["last_error"] == reason


def test_stale_nonce_refused_and_nothing_written(dev):
    _refused(dev, "stale", dev.signed(NEW, nonce="feedfeedfeedfeed"))


def test_downgrade_offer_replayed_is_stale(dev):
    old = make_image("B1", "0.0.9", 9000)
    o = dev.signed(old, version="0.0.9", downgrade=True)
    assert dev.run_offer(o, FakeSock(http_reply(old))) == "ok"
    dev.flash.reset()
    dev.boot()
    dev.agent.confirm()
    assert dev.txt()["fw"] == "0.0.9"
    dev.resets = 0
    _refused_after(dev, "stale", o)


def test_offer_for_another_device_refused_there(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = Dev(tmp_path / "a")
    b = Dev(tmp_path / "b")
    o = a.signed(NEW)
    o2 = dict(o, dev="dev1")  # b is also named dev1 but has its own nonce
    assert b.run_offer(o2, FakeSock(http_reply(NEW))) == "stale"
    o3 = dict(o, dev="dev2")  # renaming the target breaks the signature
    b.agent.name = "dev2"
    assert b.agent.on_offer("dev2", o3, delay_ms=None) == "signature"
    assert b.resets == 0


def test_nonce_is_new_after_every_validly_signed_offer_and_at_boot(dev):
    seen = {dev.agent.nonce}
    n = dev.agent.nonce
    dev.run_offer(dev.signed(NEW, key=OTHER_KEY), FakeSock(b""))  # not validly signed: nonce kept
    assert dev.agent.nonce == n
    dev.run_offer(dev.signed(make_image("B2", "0.2.0", 9000), board="B2"), FakeSock(b""))  # refused, but signed
    assert dev.agent.nonce not in seen
    seen.add(dev.agent.nonce)
    dev.run_offer(dev.signed(OLD, version="0.1.0"), FakeSock(b""))  # same version
    assert dev.agent.nonce not in seen
    seen.add(dev.agent.nonce)
    dev.boot()
    assert dev.agent.nonce not in seen and dev.txt()["nonce"] == dev.agent.nonce and len(dev.agent.nonce) == 16


def test_retired_key_refused_after_rekey(dev, tmp_path):
    from mdns.fleet import offer as off
    from fleet_fakes import KEY

    dev.agent.key_path = str(tmp_path / "fleet.pub")
    old_fp = dev.txt()["key"]
    r = dev.agent.on_offer("dev1", off.make_rekey(KEY, "dev1", "host1", dev.agent.nonce, _pub_hex_other(), OTHER_KEY),
                           delay_ms=None)
    assert r == "ok" and dev.txt()["key"] != old_fp
    assert (tmp_path / "fleet.pub").read_text().strip() == _pub_hex_other()
    before = snapshot(dev.flash)
    dev.agent.connect = connector(FakeSock(http_reply(NEW)))
    assert dev.agent.on_offer("dev1", dev.signed(NEW), delay_ms=None) == "signature"
    assert snapshot(dev.flash) == before and dev.resets == 0
    # a reset reads the stored key: the new one signs, the old one stays retired
    dev.boot()
    dev.agent.pub = None
    dev.agent.pub = off.load_pub(str(tmp_path / "fleet.pub"))
    dev.agent.connect = connector(FakeSock(http_reply(NEW)))
    assert dev.agent.on_offer("dev1", dev.signed(NEW, key=OTHER_KEY), delay_ms=None) == "ok"


def _pub_hex_other():
    from fleet_fakes import OTHER_PUB

    return OTHER_PUB.hex()


def test_rekey_replayed_is_stale(dev, tmp_path):
    from mdns.fleet import offer as off
    from fleet_fakes import KEY

    dev.agent.key_path = str(tmp_path / "fleet.pub")
    o = off.make_rekey(KEY, "dev1", "host1", "0000000000000000", _pub_hex_other(), OTHER_KEY)
    assert dev.agent.on_offer("dev1", o, delay_ms=None) == "stale"
    assert not (tmp_path / "fleet.pub").exists()


def test_several_hosts_highest_version_wins_tie_first_seen(dev):
    n = dev.agent.nonce
    v3 = make_image("B1", "0.3.0", 9000)
    assert dev.agent.on_offer("dev1", dev.signed(NEW, host="hA", nonce=n), delay_ms=1000) == "ok"
    assert dev.txt()["took"] == "hA 0.2.0" and dev.txt()["ota"] == "updating"
    # conflict resolution renamed the second host's instance: still ours by its signed dev
    ob = dev.signed(v3, host="hB", nonce=n, version="0.3.0")
    assert dev.agent.on_offer("dev1 (2)", ob, delay_ms=1000) == "ok"
    assert dev.txt()["took"] == "hB 0.3.0"
    oc = dev.signed(v3, host="hC", nonce=n, url="http://x/y", version="0.3.0")
    assert dev.agent.on_offer("dev1 (3)", oc, delay_ms=1000) == "busy"
    assert dev.txt()["took"] == "hB 0.3.0" and dev.txt()["offer"] == ob["sig"][:8]  # the tie went to the first seen
    # a host that signed again for the nonce drawn since competes too
    v4 = make_image("B1", "0.4.0", 9000)
    assert dev.agent.on_offer("dev1 (4)", dev.signed(v4, host="hD", version="0.4.0"), delay_ms=1000) == "ok"
    assert dev.txt()["took"] == "hD 0.4.0"
    assert dev.agent.on_offer("dev1 (5)", dev.signed(v4, host="hE", version="0.4.1", nonce="ff" * 8),
                              delay_ms=1000) == "stale"
    v3 = v4
    dev.agent.connect = connector(FakeSock(http_reply(v3)))
    dev.now = 1000
    for _ in range(20):
        dev.agent.tick()
    assert dev.resets == 1 and dev.flash.read_slot("ota_1", len(v3)) == v3


def test_download_runs_in_steps_and_progress_is_published(dev):
    pubs = []
    dev.agent.responder = type("R", (), {"update_service": lambda s, svc, txt: pubs.append(dict(txt))})()
    dev.agent.service = type("S", (), {"instance": "dev1"})()
    big = make_image("B1", "0.2.0", 15 * 4096)
    sock = FakeSock(http_reply(big), chunk=4096)
    dev.agent.connect = connector(sock)
    dev.agent.step_ms = 10
    clock = [0]

    def now():
        clock[0] += 4  # each read costs 4 ms: a 10 ms step holds about 3 reads
        return clock[0]

    dev.agent._clock = now
    assert dev.agent.on_offer("dev1", dev.signed(big), delay_ms=0) == "ok"
    ticks = 0
    while dev.resets == 0 and ticks < 100:
        dev.agent.tick()
        ticks += 1
    assert dev.resets == 1 and ticks >= 5  # many loop turns, not one blocking call
    prog = [int(p["progress"]) for p in pubs if "progress" in p]
    assert prog == sorted(prog) and prog[-1] >= 90
    steps = [b - a for a, b in zip(prog, prog[1:])]
    assert all(s <= 10 + 100 // 15 + 1 for s in steps), prog  # a TXT at least every 10 % (+ one block)


def test_hmac_fleet_device_trusts_the_frozen_key_and_drops_the_hmac_key(tmp_path, monkeypatch):
    # moved from format 1: no fleet.pub, the old fleet.key, a firmware built with MDNSFAST_FLEET_PUB
    from mdns import buildinfo

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(buildinfo, "FLEET_PUB", PUB.hex(), raising=False)
    (tmp_path / "fleet.key").write_text("ab" * 32 + "\n")
    f = SimFlash(str(tmp_path / "f"), slot_size=16 * 4096)
    f.flash_image(OLD)
    logs = []
    a = agentmod.Agent(None, name="dev1", board="B1", version="0.1.0", chip="sim", state_path="fleet.json",
                       partition=f.partition_class(), reset=lambda: None, log=logs.append)
    assert a.pub == PUB and dict(a.txt())["key"] == offer.fingerprint(PUB)
    a.connect = connector(FakeSock(http_reply(NEW)))
    assert a.on_offer("dev1", _signed(NEW, nonce=a.nonce), delay_ms=None) == "ok"
    assert (tmp_path / "fleet.key").exists()  # kept until the new firmware stays: a rollback needs it
    f.reset()
    b = agentmod.Agent(None, name="dev1", board="B1", version="0.2.0", chip="sim", state_path="fleet.json",
                       partition=f.partition_class(), reset=lambda: None, log=logs.append)
    assert b.confirm() and not (tmp_path / "fleet.key").exists()
    assert any("removed fleet.key" in m for m in logs)
    monkeypatch.setattr(buildinfo, "FLEET_PUB", "", raising=False)
    c = agentmod.Agent(None, name="dev1", board="B1", version="0.2.0", chip="sim", state_path="fleet.json",
                       partition=f.partition_class(), reset=lambda: None, log=logs.append)
    assert c.pub is None and dict(c.txt())["key"] == "none"


def test_malformed_offer_txt_is_dropped_without_killing_the_loop(dev):
    dev.agent._inbox.append(("up", "dev1", {"dev": b"dev1", "sig": b"\xff\xfe", "url": b"\xc3"}))
    dev.agent._inbox.append(("up", "dev1", {"dev": b"dev1", "fv": b"2", "op": b"fw", "sig": b"00" * 64,
                                            "url": b"http://x/\n"}))
    dev.agent.tick()
    assert dev.resets == 0 and not dev.agent._inbox
    assert any("dropped" in m for m in dev.logs)


class _Ev:
    def __init__(self, kind, instance, txt):
        self.kind, self.instance, self.txt = kind, instance, txt


def test_own_offer_announced_with_many_for_others_is_not_dropped(dev):
    # issue 13: a host with --max-parallel 10 announces ten offers at once; the
    # browser reports them in one batch and the bounded inbox dropped this device's
    o = dev.signed(NEW)
    for i in range(12):
        other = dict(o, dev="other%d" % i)
        dev.agent._on_browse(_Ev("up", "other%d" % i, {k: v.encode() for k, v in other.items()}))
        dev.agent._on_browse(_Ev("down", "gone%d" % i, None))
    dev.agent._on_browse(_Ev("up", "dev1", {k.upper(): v.encode() for k, v in o.items()}))
    dev.agent._on_browse(_Ev("up", "dev1 (2)", {"dev": b"\xff"}))  # not text: not ours either
    assert [e[1] for e in dev.agent._inbox] == ["dev1"]
    dev.agent._drain()
    assert any("taking B1 0.2.0" in m for m in dev.logs) and dev.txt()["ota"] == "updating"
    dev.agent._on_browse(_Ev("down", "dev1", None))  # judged: its goodbye is ours to see
    assert [e[:2] for e in dev.agent._inbox] == [("down", "dev1")]


from hypothesis import given, settings, strategies as st  # noqa: E402

_KEYS = st.sampled_from(["fv", "op", "dev", "host", "nonce", "board", "v", "len", "sha", "url", "dg", "retry", "pub",
                         "sig", "x"])
_VALS = st.one_of(st.sampled_from(["2", "fw", "rekey", "dev1", "1", "0", "0.2.0", "http://x/y", "ab" * 32,
                                   "00" * 64, "04" + "00" * 64, ""]), st.text(max_size=40))


_ONE = []  # one device for every example (each call must leave it as it was)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(_KEYS, _VALS, max_size=14))
def test_any_offer_txt_gets_a_reason_and_writes_nothing(tmp_path_factory, txt):
    if not _ONE:
        _ONE.append(Dev(tmp_path_factory.mktemp("f")))
    d = _ONE[0]
    d.agent.offer_gone("dev1")
    before = snapshot(d.flash)
    d.agent.connect = connector(ConnectionRefusedError(111, "refused"))
    r = d.agent.on_offer("dev1", dict(txt, dev="dev1"), delay_ms=None)
    assert isinstance(r, str) and r != "ok"
    assert snapshot(d.flash) == before and d.resets == 0


def test_malformed_field_refused_as_format_and_nothing_written(dev):
    o = dev.signed(NEW)
    o["len"] = "12x"
    _refused(dev, "format", o)


def test_rekey_to_a_key_that_cannot_sign_keeps_the_old_key(dev, tmp_path):
    from mdns.fleet import offer as off
    from fleet_fakes import KEY

    dev.agent.key_path = str(tmp_path / "fleet.pub")
    bad = "04" + "00" * 64  # not a point on the curve: nobody could ever sign for it
    o = off.make_rekey(KEY, "dev1", "host1", dev.agent.nonce, bad, OTHER_KEY)
    assert dev.agent.on_offer("dev1", o, delay_ms=None) == "newkey"
    o = off.make_rekey(KEY, "dev1", "host1", dev.agent.nonce, _pub_hex_other(), KEY)  # proof by the wrong key
    assert dev.agent.on_offer("dev1", o, delay_ms=None) == "newkey"
    assert not (tmp_path / "fleet.pub").exists() and dev.agent.pub == PUB
    assert dev.run_offer(dev.signed(NEW), FakeSock(http_reply(NEW))) == "ok"  # the old key still works
