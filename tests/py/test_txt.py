import pytest
from hypothesis import given, strategies as st

from mdns import txt


def test_encode_forms():
    assert txt.encode({"a": b"1"}) == b"\x03a=1"
    assert txt.encode({"flag": None}) == b"\x04flag"
    assert txt.encode({"e": b""}) == b"\x02e="
    assert txt.encode([("z", "é"), ("a", 5)]) == b"\x04z=\xc3\xa9\x03a=5"
    assert txt.encode({"on": True, "off": False}) == b"\x02on"


def test_empty_is_one_zero_byte():
    assert txt.encode({}) == b"\x00"
    assert txt.encode(None) == b"\x00"
    assert txt.encode({"off": False}) == b"\x00"
    assert txt.decode(b"\x00") == {}
    assert txt.decode(b"") == {}


def test_key_rules():
    for bad in ("", "a=b", "caf\u00e9", "tab\t", "\x7f"):
        with pytest.raises(ValueError):
            txt.encode({bad: b"x"})
    with pytest.raises(ValueError, match="'k'"):
        txt.encode({"k": b"x" * 254})  # 1 + 1 + 254 = 256
    assert len(txt.encode({"k": b"x" * 253})) == 256
    with pytest.raises(ValueError, match="twice"):
        txt.encode([("Key", b"1"), ("key", b"2")])
    with pytest.raises(ValueError, match="value"):
        txt.encode({"k": 1.5})


def test_decode_rules():
    raw = b"\x03a=1\x00\x02=x\x03A=2\x04flag\x02e=\x05b=c=d"
    assert txt.decode(raw) == {"a": b"1", "flag": None, "e": b"", "b": b"c=d"}
    # non-printable key skipped, value bytes kept as is
    assert txt.decode(b"\x03\x01=x\x03k=\xff") == {"k": b"\xff"}
    with pytest.raises(ValueError, match="past the end"):
        txt.decode(b"\x05ab")
    assert txt.strings(b"\x01a\x00\x01b") == [b"a", b"", b"b"]


keys = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E, blacklist_characters="="), min_size=1, max_size=20)
values = st.one_of(st.none(), st.binary(max_size=100))


@given(st.dictionaries(keys, values, max_size=8))
def test_roundtrip(d):
    # keys are case-insensitive: keep the first of each folded key
    seen = set()
    dd = {}
    for k, v in d.items():
        if k.lower() not in seen:
            seen.add(k.lower())
            dd[k] = v
    assert txt.decode(txt.encode(dd)) == dd
