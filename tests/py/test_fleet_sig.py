# The offer signature check: Wycheproof's ECDSA P-256/SHA-256 (P1363) vectors and
# random cryptography-made ones through mdns.fleet.sig's CPython path. The same
# files go through the firmware's mbedtls binding in `make test-unix`
# (tests/mpy/fleetsig_unix.py).
import hashlib
import json
import os

import pytest

from mdns.fleet import sig
from fleetsig_vectors import make

HERE = os.path.dirname(os.path.abspath(__file__))
WYCHEPROOF = os.path.join(HERE, "..", "vectors", "wycheproof_ecdsa_p256_sha256_p1363.json")


def _run(d, verify):
    out = []
    for g in d["groups"]:
        pub = bytes.fromhex(g["key"])
        for tc, msg, s, result, comment in g["tests"]:
            got = verify(pub, hashlib.sha256(bytes.fromhex(msg)).digest(), bytes.fromhex(s))
            if got != (result == "valid"):
                out.append((tc, result, comment))
    return out


def test_wycheproof_p1363_all_vectors():
    with open(WYCHEPROOF) as f:
        d = json.load(f)
    n = sum(len(g["tests"]) for g in d["groups"])
    assert n == d["numberOfTests"] == 262
    invalid = sum(1 for g in d["groups"] for t in g["tests"] if t[3] == "invalid")
    assert invalid == 89
    assert _run(d, sig._cryptography()) == []


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_keys_and_messages(seed):
    d = make(8, seed)
    assert _run(d, sig._cryptography()) == []


def test_verifier_refuses_wrong_lengths_and_bad_points():
    v = sig._cryptography()
    d = make(1, 4)["groups"][0]
    pub = bytes.fromhex(d["key"])
    msg, s = bytes.fromhex(d["tests"][0][1]), bytes.fromhex(d["tests"][0][2])
    dig = hashlib.sha256(msg).digest()
    assert v(pub, dig, s)
    assert not v(pub[:64], dig, s)
    assert not v(b"\x04" + bytes(64), dig, s)  # not on the curve
    assert not v(pub, dig[:31], s)
    assert not v(pub, dig, s + b"\x00")


def test_verifier_is_the_c_module_when_present(monkeypatch):
    import sys
    import types

    calls = []
    fake = types.ModuleType("fleetsig")
    fake.verify = lambda p, d, s: calls.append(1) or True
    monkeypatch.setitem(sys.modules, "fleetsig", fake)
    assert sig.verifier()(b"", b"", b"") and calls


def test_mpy_offer_fixture_is_signed_as_it_says():
    # tests/vectors/fleet_offers.json (the MicroPython cases' offers) still matches the format
    from mdns.fleet import offer

    with open(os.path.join(HERE, "..", "vectors", "fleet_offers.json")) as f:
        fix = json.load(f)
    v = sig._cryptography()
    pub, other = bytes.fromhex(fix["pub"]), bytes.fromhex(fix["other_pub"])
    for name, o in fix["offers"].items():
        want = other if name in ("otherkey", "after_rekey") else pub
        assert offer.check_signature(offer.normalize(o), want, v) == "ok", name
        assert offer.check_signature(offer.normalize(o), other if want is pub else pub, v) == "signature", name
