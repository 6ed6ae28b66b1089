import pytest

from mdns import names


def test_split_join_plain():
    assert names.split("kitchen.local") == ["kitchen", "local"]
    assert names.join(["kitchen", "local"]) == "kitchen.local"
    assert names.split("") == []
    assert names.split("kitchen.local.") == ["kitchen", "local"]


def test_escapes_roundtrip():
    n = "My\\.Printer._ipp._tcp.local"
    assert names.split(n) == ["My.Printer", "_ipp", "_tcp", "local"]
    assert names.join(names.split(n)) == n
    n2 = "back\\\\slash.local"
    assert names.split(n2) == ["back\\slash", "local"]
    assert names.join(["a.b\\c", "local"]) == "a\\.b\\\\c.local"
    # escaped backslash followed by a separating final dot
    assert names.split("a\\\\.") == ["a\\"]


def test_bad_escape():
    with pytest.raises(ValueError, match="bad escape"):
        names.split("a\\x.local")
    with pytest.raises(ValueError, match="bad escape"):
        names.split("a\\")


def test_to_wire_from_wire():
    w = names.to_wire("Kitchen Cam._http._tcp.local")
    assert w == b"\x0bKitchen Cam\x05_http\x04_tcp\x05local\x00"
    assert names.from_wire(w) == "Kitchen Cam._http._tcp.local"
    assert names.to_wire("") == b"\x00"
    assert names.from_wire(b"\x00") == ""
    u = "Küche ☕.local"
    assert names.from_wire(names.to_wire(u)) == u
    d = "My\\.Printer.local"
    assert names.to_wire(d) == b"\x0aMy.Printer\x05local\x00"
    assert names.from_wire(names.to_wire(d)) == d


def test_label_too_long_message():
    with pytest.raises(ValueError) as e:
        names.to_wire("x" * 64 + ".local")
    msg = str(e.value)
    assert "64 bytes (max 63)" in msg and msg.startswith("name ")
    names.to_wire("x" * 63 + ".local")  # 63 is fine
    # UTF-8 bytes count, not characters
    with pytest.raises(ValueError, match="64 bytes"):
        names.to_wire("é" * 32 + ".local")


def test_name_too_long():
    ok = ".".join(["a" * 63] * 3 + ["b" * 61])  # 64*3 + 62 + 1 = 255
    assert len(names.to_wire(ok)) == 255
    with pytest.raises(ValueError, match="longer than 255 bytes"):
        names.to_wire(ok + "b")


def test_empty_label():
    for bad in ("a..local", ".local", "."):
        with pytest.raises(ValueError, match="empty label"):
            names.to_wire(bad)


def test_from_wire_errors():
    with pytest.raises(ValueError, match="not UTF-8"):
        names.from_wire(b"\x02\xff\xfe\x00")
    with pytest.raises(ValueError, match="truncated"):
        names.from_wire(b"\x05ab")
    with pytest.raises(ValueError, match="trailing"):
        names.from_wire(b"\x01a\x00\x00")
    with pytest.raises(ValueError):
        names.from_wire(b"\x40" + b"a" * 64 + b"\x00")


def test_fold():
    assert names.fold("Kitchen.LOCAL") == b"kitchen.local"
    assert names.fold("KÜCHE") == "kÜche".encode()  # ASCII only
    assert names.equal("A.local", "a.LOCAL")
    assert names.fold_wire(names.to_wire("AbC.Local")) == names.to_wire("abc.local")


def test_instance():
    assert names.instance("My.Printer", "_ipp._tcp.local") == "My\\.Printer._ipp._tcp.local"
    assert names.split(names.instance("a\\b. c", "_x._tcp.local"))[0] == "a\\b. c"
    with pytest.raises(ValueError, match="max 63"):
        names.instance("x" * 64, "_http._tcp.local")
    with pytest.raises(ValueError, match="empty"):
        names.instance("", "_http._tcp.local")


from hypothesis import given, strategies as st  # noqa: E402

labels = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=30).filter(lambda s: len(s.encode()) <= 63)


@given(st.lists(labels, max_size=5))
def test_join_split_wire_roundtrip(labs):
    n = names.join(labs)
    assert names.split(n) == labs
    if len(b"".join(x.encode() for x in labs)) + len(labs) + 1 <= 255:
        w = names.to_wire(n)
        assert names.from_wire(w) == n
        assert names.fold_wire(w) == names.to_wire(n).lower()


@given(st.binary(max_size=80))
def test_from_wire_only_valueerror(b):
    try:
        names.from_wire(b)
    except ValueError:
        pass


def test_length_byte_46_is_not_a_dot():
    # a 46-byte label: its length byte is "." in ASCII; the slow path keeps it right
    w = bytes([46]) + b"a" * 46 + b"\x05local\x00"
    assert names.from_wire(w) == "a" * 46 + ".local"
