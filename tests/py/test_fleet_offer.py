# Offer format 2: canonical signing string, the signature check (ECDSA P-256)
# and the firmware decisions, one reason code each.
import pytest

from mdns.fleet import offer, sig
from fleet_fakes import KEY, OTHER_KEY, PUB, OTHER_PUB, signed

IMG = b"x" * 5000
N = "0011223344556677"
VERIFY = sig.verifier()


def test_signing_string_is_canonical():
    o = signed(IMG)
    s = offer.signing_string(o).decode()
    assert s.startswith("mpfleet-offer-2\nfv=2\nop=fw\ndev=dev1\nhost=host1\nnonce=%s\nboard=B1\nv=0.2.0\nlen=5000\n" % N)
    assert s.endswith("dg=0\nretry=0\n")
    r = offer.make_rekey(KEY, "d", "h", N, PUB.hex(), KEY)
    assert offer.signing_string(r).decode() == "mpfleet-offer-2\nfv=2\nop=rekey\ndev=d\nhost=h\nnonce=%s\npub=%s\n" % (
        N, PUB.hex())
    assert len(o["sig"]) == 128


def test_newline_in_field_rejected():
    with pytest.raises(ValueError):
        offer.make(KEY, "d", "h", N, "B1\nv=9", "1.0.0", 10, "0" * 64, "http://x/")


def verify(o, board="B1", running="0.1.0", slot=0x180000, pub=PUB, nonce=N, bad=()):
    o = offer.normalize(o)
    r = offer.check_signature(o, pub, VERIFY)
    if r != offer.OK:
        return r
    return offer.check_firmware(o, nonce, board, running, slot, bad)


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


@pytest.mark.parametrize("field,value", [("dev", "dev2"), ("board", "B2"), ("v", "0.3.0"), ("len", "5001"),
                                         ("sha", "0" * 64), ("url", "http://evil/x.bin"), ("dg", "1"),
                                         ("nonce", "ffffffffffffffff"), ("retry", "1"), ("host", "other")])
def test_any_changed_field_breaks_signature(field, value):
    o = signed(IMG)
    o[field] = value
    assert verify(o) == offer.SIGNATURE


def test_wrong_key():
    assert verify(signed(IMG, key=OTHER_KEY)) == offer.SIGNATURE
    assert verify(signed(IMG), pub=OTHER_PUB) == offer.SIGNATURE


def test_garbage_signature():
    for bad in ("zz" * 64, "00" * 64, "ab" * 63, PUB.hex()[:128]):
        o = signed(IMG)
        o["sig"] = bad
        assert verify(o) == offer.SIGNATURE


def test_no_key_or_no_verifier():
    assert verify(signed(IMG), pub=None) == offer.NOKEY
    assert offer.check_signature(offer.normalize(signed(IMG)), PUB, None) == offer.NOKEY


def test_stale_nonce():
    assert verify(signed(IMG, nonce="ffffffffffffffff")) == offer.STALE


def test_wrong_board():
    assert verify(signed(IMG, board="B2")) == offer.BOARD


def test_rolled_back_before_unless_retry():
    bad = (offer.sha256_hex(IMG),)
    assert verify(signed(IMG), bad=bad) == offer.ROLLED_BEFORE
    assert verify(signed(IMG, retry=True), bad=bad) == offer.OK


def test_same_version_is_not_an_upgrade():
    assert verify(signed(IMG, version="0.1.0")) == offer.SAME
    assert verify(signed(IMG, version="0.1.0", downgrade=True)) == offer.OK


def test_downgrade_refused_unless_signed_as_allowed():
    assert verify(signed(IMG, version="0.0.9")) == offer.DOWNGRADE
    assert verify(signed(IMG, version="0.0.9", downgrade=True)) == offer.OK


def test_oversize():
    assert verify(signed(IMG), slot=4096) == offer.SIZE


@pytest.mark.parametrize("field,value", [("len", "-1"), ("len", "0"), ("sha", "ab"), ("v", "x.y"), ("url", "ftp://x"),
                                         ("fv", "1"), ("op", "nope"), ("nonce", ""), ("retry", "2")])
def test_malformed_fields(field, value):
    o = signed(IMG)
    o[field] = value
    o.pop("sig")
    if field != "op":
        o["sig"] = offer._signed(dict(o), KEY)["sig"]
    else:
        o["sig"] = "00" * 64
    assert verify(o) == offer.FORMAT_ERR


def test_missing_field():
    o = signed(IMG)
    del o["url"]
    assert verify(o) == offer.FORMAT_ERR


def test_rekey_format():
    r = offer.make_rekey(KEY, "d", "h", N, OTHER_PUB.hex(), OTHER_KEY)
    assert offer.check_signature(r, PUB, VERIFY) == offer.OK
    r2 = dict(r, pub="05" + OTHER_PUB.hex()[2:])
    assert offer.check_signature(r2, PUB, VERIFY) == offer.FORMAT_ERR
    r3 = dict(r)
    del r3["psig"]
    assert offer.check_signature(r3, PUB, VERIFY) == offer.FORMAT_ERR


@pytest.mark.parametrize("a,b,c", [("0.2.0", "0.1.9", 1), ("1.0", "1.0.0", 0), ("1.10.0", "1.9.0", 1),
                                   ("1.0.0-rc1", "1.0.0", -1), ("1.0.0-rc2", "1.0.0-rc1", 1), ("2", "10", -1)])
def test_compare_versions(a, b, c):
    assert offer.compare_versions(a, b) == c
    assert offer.compare_versions(b, a) == -c


def test_load_pub_and_fingerprint(tmp_path):
    p = tmp_path / "fleet.pub"
    p.write_text(PUB.hex() + "\n")
    assert offer.load_pub(str(p)) == PUB
    assert len(offer.fingerprint(PUB)) == 8 and offer.fingerprint(None) == "none"
    for bad in ("nothex", "ab" * 32, "05" + PUB.hex()[2:]):
        p.write_text(bad)
        assert offer.load_pub(str(p)) is None
    assert offer.load_pub(str(tmp_path / "missing")) is None


def test_newline_in_a_signed_field_is_format_not_an_exception():
    o = signed(IMG)
    o["url"] = "http://x/\nevil"
    assert verify(o) == offer.FORMAT_ERR
