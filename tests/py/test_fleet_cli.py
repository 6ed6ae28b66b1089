# The host side of issue 12 without a network: fresh offers after `stale`, another
# host's win, devices of the HMAC format, rekey, the CLI's exit codes and messages.
import hashlib
import io
import os

import pytest

from mdns.fleet import offer, sig
from mdns.host import fleet_keys, fleet_release, fleet_rollout
from fleet_fakes import KEY, PUB
from test_fleet_host import Devices, FakeResponder, result, rollout, run_cli, upgrade_ok
def test_rollout_resigns_after_a_stale_refusal():
    seen = []

    def stale_once(d, o):
        seen.append(o["nonce"])
        if len(seen) == 1:
            d.update(last_error="stale", offer=o["sig"][:8], nonce="feedfeedfeedfeed")  # judged another offer
        elif o["nonce"] == d["nonce"]:
            upgrade_ok(d, o)

    ro, resp, fleet, out = rollout([("d1", "B1")], {"d1": stale_once})
    assert ro.run() == 0 and seen[0] != seen[-1] == "feedfeedfeedfeed"


def test_rollout_replayed_stale_is_a_failure_after_a_few_fresh_offers():
    def always_stale(d, o):
        d.update(last_error="stale", offer=o["sig"][:8], nonce=d["nonce"] + "1")

    ro, resp, fleet, out = rollout([("d1", "B1")], {"d1": always_stale})
    assert ro.run() == 1 and result(ro)["d1"] == ("failed", "stale")
    assert ro.targets[0].signs == fleet_rollout.RESIGN_MAX + 1


def test_rollout_reports_the_host_that_won_without_waiting():
    def other_host(d, o):
        d.update(ota="updating", took="fleet-host-9 0.3.0")

    ro, resp, fleet, out = rollout([("d1", "B1")], {"d1": other_host}, timeout=60)
    import time

    t0 = time.monotonic()
    assert ro.run() == 1
    assert time.monotonic() - t0 < 5
    assert result(ro)["d1"] == ("failed", "took another host's offer: 0.3.0 from fleet-host-9")


def test_rollout_refuses_old_format_devices():
    ro, resp, fleet, out = rollout([("d1", "B1")], {})
    fleet.devices["d1"].pop("nonce")
    ro.targets = []
    ro.plan()
    assert ro.run() == 1 and "fleet format 1" in result(ro)["d1"][1]


def test_rekey_rollout():
    from cryptography.hazmat.primitives.asymmetric import ec

    k = ec.generate_private_key(ec.SECP256R1())
    new, new_sign = fleet_keys.pub_hex(k), fleet_keys.signer(k)

    def take_key(d, o):
        assert o["op"] == "rekey" and offer.check_signature(o, PUB, sig.verifier()) == "ok"
        assert sig.verifier()(bytes.fromhex(o["pub"]), offer.digest(o), bytes.fromhex(o["psig"]))
        assert o["nonce"] == d["nonce"]
        d.update(key=offer.fingerprint(bytes.fromhex(o["pub"])), offer=o["sig"][:8])

    resp = FakeResponder()
    fleet = Devices(resp, {"d1": take_key, "d2": take_key})
    fleet.add("d1", "B1")
    fleet.add("d2", "B2")
    ro = fleet_rollout.Rollout({}, KEY, resp, fleet, None, out=io.StringIO(), live=False, rekey=new, timeout=5,
                               rekey_signer=new_sign)
    ro.plan()
    assert ro.run() == 0 and all(r[0] == "ok" for r in result(ro).values())
    ro.targets = []
    ro.plan()
    assert all(t.result == "up-to-date" for t in ro.targets)


@pytest.mark.parametrize("argv, code, says", [
    (["release", "/nonexistent/rel"], 2, "no such release directory"),
    (["keygen", "/nonexistent/dir/k"], 2, "/nonexistent/dir: no such directory"),
    (["upgrade", "/nonexistent/rel", "--key", "/nonexistent/k"], 2, "no such key file"),
    (["rekey", "/nonexistent/new", "--key", "/nonexistent/k"], 2, "no such key file"),
    (["list", "--interface", "nosuchif0", "--timeout", "0"], 2, "--interface nosuchif0: no such network interface"),
    (["upgrade", "REL", "--key", "KEY", "--address", "1.2.3"], 2, "--address 1.2.3: not an IPv4 address"),
    (["simulate", "--board", "B", "--version", "1.0.0", "--key", "/nonexistent.pub"], 2, "no such file"),
    (["upgrade", "REL", "--key", "KEY", "--timeout", "-1"], 2, "--timeout -1.0: must not be negative"),
])
def test_cli_bad_input_is_one_line_and_exit_2(tmp_path, capsys, argv, code, says):
    argv = [a.replace("REL", str(tmp_path / "rel")).replace("KEY", str(tmp_path / "k")) for a in argv]
    assert run_cli("fleet", *argv) == code
    err = capsys.readouterr().err.strip()
    assert says in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_cli_release_dir_errors(tmp_path, capsys):
    d = str(tmp_path / "rel")
    os.mkdir(d)
    assert run_cli("fleet", "release", d) == 2
    assert "no release.json" in capsys.readouterr().err
    img = fleet_release.write(d, "B1", "0.2.0", b"x" * 100)
    with open(img.path, "ab") as f:
        f.write(b"changed")
    assert run_cli("fleet", "release", d) == 2
    err = capsys.readouterr().err
    assert "sha256" in err and len(err.strip().splitlines()) == 1
    k = tmp_path / "old.key"
    k.write_text("ab" * 32 + "\n")
    fleet_release.write(d, "B1", "0.2.0", b"x" * 100)
    assert run_cli("fleet", "upgrade", d, "--key", str(k)) == 2
    assert "HMAC fleet key of an older release" in capsys.readouterr().err
    fleet_keys.keygen(str(tmp_path / "good.key"))
    assert run_cli("fleet", "upgrade", d, "--key", str(tmp_path / "good.key.pub")) == 2
    assert "is a public key" in capsys.readouterr().err


# ---- migrating a fleet of the HMAC format (docs/fleet.md)
def _v1_verify(o, key):
    # format 1 as the firmware before ECDSA checked it: HMAC-SHA256 over these lines
    import hmac

    msg = "mpfleet-offer-1\n" + "".join("%s=%s\n" % (k, o[k]) for k in ("fv", "dev", "board", "v", "len", "sha",
                                                                           "url", "dg"))
    return o["fv"] == "1" and hmac.compare_digest(hmac.new(key, msg.encode(), hashlib.sha256).hexdigest(), o["sig"])


def test_rollout_offers_format_1_to_hmac_devices_only_with_the_legacy_key():
    hkey = bytes(range(32))
    seen = {}

    def old_device(d, o):
        seen[d["name"]] = o
        if _v1_verify(o, hkey) and o["dev"] == d["name"]:
            d.update(fw=o["v"], ota="valid", slot="ota_1", offer=o["sig"][:8], nonce="ab" * 8, key="12345678")

    ro, resp, fleet, out = rollout([("d1", "B1"), ("d2", "B1")], {"d1": old_device, "d2": upgrade_ok},
                                   legacy=hkey)
    fleet.devices["d1"].pop("nonce")
    ro.targets = []
    ro.plan()
    assert ro.run() == 0 and result(ro)["d1"][0] == "ok" and result(ro)["d2"][0] == "ok"
    assert seen["d1"]["fv"] == "1" and "nonce" not in seen["d1"]


def test_upgrade_with_legacy_key_needs_images_that_trust_the_new_key(tmp_path, capsys):
    d = str(tmp_path / "rel")
    fleet_release.write(d, "B1", "0.2.0", b"x" * 100)
    k = str(tmp_path / "new.key")
    fleet_keys.keygen(k)
    old = tmp_path / "fleet.key"
    old.write_text("ab" * 32 + "\n")
    assert run_cli("fleet", "upgrade", d, "--key", k, "--legacy-key", str(old)) == 2
    err = capsys.readouterr().err
    assert "does not trust" in err and "MDNSFAST_FLEET_PUB" in err and len(err.strip().splitlines()) == 1
    assert fleet_keys.load_legacy(str(old)) == bytes.fromhex("ab" * 32)
    with pytest.raises(fleet_keys.BadKey, match="not an HMAC fleet key"):
        fleet_keys.load_legacy(k)
    with open(k + ".pub") as f:
        pub = f.read().strip()
    p = tmp_path / "img.bin"
    p.write_bytes(b"\x00" * 100 + pub.encode() + b"\x00")
    assert fleet_keys.image_trusts(str(p), pub) and not fleet_keys.image_trusts(str(p), "04" + "00" * 64)


def test_buildinfo_freezes_the_fleet_public_key(tmp_path, monkeypatch):
    import subprocess
    import sys

    top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    k = str(tmp_path / "k")
    fleet_keys.keygen(k)
    env = dict(os.environ, MDNSFAST_FLEET_PUB=k + ".pub")
    r = subprocess.run([sys.executable, os.path.join(top, "tools", "firmware", "buildinfo.py"), str(tmp_path / "g"),
                        "--board", "B1"], env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    text = (tmp_path / "g" / "mdns" / "buildinfo.py").read_text()
    with open(k + ".pub") as f:
        assert "FLEET_PUB = %r" % f.read().strip() in text
    env["MDNSFAST_FLEET_PUB"] = k  # the private key: refused
    r = subprocess.run([sys.executable, os.path.join(top, "tools", "firmware", "buildinfo.py"), str(tmp_path / "h"),
                        "--board", "B1"], env=env, capture_output=True, text=True)
    assert r.returncode != 0 and "not a fleet public key" in r.stderr
