# Offer format, canonical signing string, HMAC-SHA256 and the verify() decisions.
import hashlib
import hmac

import pytest
from hypothesis import given, strategies as st

from mdns.fleet import hmac256, offer
from fleet_fakes import KEY, signed

IMG = b"x" * 5000


@given(st.binary(max_size=200), st.binary(max_size=500))
def test_hmac_matches_stdlib(key, msg):
    assert hmac256.digest(key, msg) == hmac.new(key, msg, hashlib.sha256).digest()


def test_hmac_rfc4231_case2():
    d = hmac256.digest(b"Jefe", b"what do ya want for nothing?")
    assert d.hex() == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"


def test_equal():
    assert hmac256.equal(b"abc", b"abc")
    assert not hmac256.equal(b"abc", b"abd")
    assert not hmac256.equal(b"abc", b"ab")


def test_signing_string_is_canonical():
    o = signed(IMG)
    s = offer.signing_string(o).decode()
    assert s.startswith("mpfleet-offer-1\nfv=1\ndev=dev1\nboard=B1\nv=0.2.0\nlen=5000\n")
    assert s.endswith("dg=0\n")
    assert offer.sign(o, KEY) == o["sig"]


def test_newline_in_field_rejected():
    with pytest.raises(ValueError):
        offer.make(KEY, "d", "B1\nv=9", "1.0.0", 10, "0" * 64, "http://x/")


def verify(o, board="B1", running="0.1.0", slot=0x180000, key=KEY):
    return offer.verify(offer.normalize(o), key, board, running, slot)


def test_accepts_good_offer():
    assert verify(signed(IMG)) == offer.OK


def test_txt_bytes_values_accepted():
    o = {k: v.encode() for k, v in signed(IMG).items()}
    assert verify(o) == offer.OK


def test_unsigned():
    o = signed(IMG)
    del o["sig"]
    assert verify(o) == offer.UNSIGNED
    o["sig"] = ""
    assert verify(o) == offer.UNSIGNED


@pytest.mark.parametrize("field,value", [("v", "0.3.0"), ("len", "4999"), ("url", "http://10.0.0.9/x"),
                                          ("board", "B2"), ("dev", "dev2"), ("dg", "1"), ("sha", "1" * 64)])
def test_any_changed_field_breaks_signature(field, value):
    o = signed(IMG)
    o[field] = value
    assert verify(o) == offer.SIGNATURE


def test_wrong_key():
    assert verify(signed(IMG, key=b"k" * 32)) == offer.SIGNATURE


def test_garbage_signature():
    o = signed(IMG)
    o["sig"] = "zz" * 32
    assert verify(o) == offer.SIGNATURE


def test_no_key_on_device():
    assert verify(signed(IMG), key=None) == offer.NOKEY


def test_wrong_board():
    assert verify(signed(IMG, board="B2")) == offer.BOARD


def test_same_version_is_not_an_upgrade():
    assert verify(signed(IMG, version="0.1.0")) == offer.SAME


def test_downgrade_refused_unless_signed_as_allowed():
    assert verify(signed(IMG, version="0.0.9")) == offer.DOWNGRADE
    assert verify(signed(IMG, version="0.0.9", downgrade=True)) == offer.OK


def test_oversize():
    assert verify(signed(IMG), slot=4096) == offer.SIZE


@pytest.mark.parametrize("field,value", [("len", "-1"), ("len", "0"), ("sha", "ab"), ("v", "x.y"), ("url", "ftp://x"), ("fv", "2")])
def test_malformed_fields(field, value):
    o = signed(IMG)
    o[field] = value
    o["sig"] = offer.sign(o, KEY)
    assert verify(o) == offer.FORMAT_ERR


def test_missing_field():
    o = signed(IMG)
    del o["url"]
    assert verify(o) == offer.FORMAT_ERR


@pytest.mark.parametrize("a,b,c", [("0.2.0", "0.1.9", 1), ("1.0", "1.0.0", 0), ("1.10.0", "1.9.0", 1),
                                   ("1.0.0-rc1", "1.0.0", -1), ("1.0.0-rc2", "1.0.0-rc1", 1), ("2", "10", -1)])
def test_compare_versions(a, b, c):
    assert offer.compare_versions(a, b) == c
    assert offer.compare_versions(b, a) == -c


def test_load_key(tmp_path):
    p = tmp_path / "fleet.key"
    p.write_text(KEY.hex() + "\n")
    assert offer.load_key(str(p)) == KEY
    p.write_text("nothex")
    assert offer.load_key(str(p)) is None
    assert offer.load_key(str(tmp_path / "missing")) is None
