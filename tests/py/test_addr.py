import ipaddress
import socket

import pytest
from hypothesis import given, strategies as st

from mdns import addr


def test_v4():
    assert addr.aton4("10.0.0.1") == b"\x0a\x00\x00\x01"
    assert addr.ntoa4(b"\xc0\xa8\x01\xff") == "192.168.1.255"
    for bad in ("10.0.0", "10.0.0.256", "1.2.3.4.5", "a.b.c.d", "01.2.3.4", "", "1..2.3", " 1.2.3.4", "1.2.3.-4"):
        with pytest.raises(ValueError, match="IPv4 address"):
            addr.aton4(bad)


@pytest.mark.parametrize(
    "text,canon",
    [
        ("fd77::1", "fd77::1"),
        ("FD77:0:0:0:0:0:0:1", "fd77::1"),
        ("::", "::"),
        ("::1", "::1"),
        ("1::", "1::"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
        ("fe80::1%eth0", "fe80::1"),
        ("::ffff:10.0.0.1", "::ffff:10.0.0.1"),
        ("64:ff9b::1.2.3.4", "64:ff9b::102:304"),
    ],
)
def test_v6_canonical(text, canon):
    assert addr.ntoa6(addr.aton6(text)) == canon


def test_v6_bad():
    for bad in (":::", "1:2:3:4:5:6:7:8:9", "1::2::3", "12345::", "g::", "1:2:3:4:5:6:7", ":1::", "::1.2.3", "1.2.3.4"):
        with pytest.raises(ValueError, match="IPv6 address"):
            addr.aton6(bad)


@given(st.binary(min_size=16, max_size=16))
def test_v6_matches_stdlib(b):
    text = addr.ntoa6(b)
    if b[:12] != b"\x00" * 10 + b"\xff\xff":
        assert text == socket.inet_ntop(socket.AF_INET6, b)
    assert addr.aton6(text) == b
    assert addr.aton6(socket.inet_ntop(socket.AF_INET6, b)) == b


@given(st.binary(min_size=4, max_size=4))
def test_v4_matches_stdlib(b):
    assert addr.ntoa4(b) == socket.inet_ntoa(b)
    assert addr.aton4(addr.ntoa4(b)) == b


def test_reverse():
    assert addr.reverse_name("10.0.0.1") == "1.0.0.10.in-addr.arpa"
    assert addr.parse_reverse("1.0.0.10.in-addr.arpa") == "10.0.0.1"
    assert addr.parse_reverse("1.0.0.10.IN-ADDR.ARPA.") == "10.0.0.1"
    r6 = addr.reverse_name("fd77::1")
    assert r6 == ipaddress.ip_address("fd77::1").reverse_pointer
    assert addr.parse_reverse(r6) == "fd77::1"
    for bad in ("x.in-addr.arpa", "1.2.3.in-addr.arpa", "1.0.0.256.in-addr.arpa", "kitchen.local", "a.ip6.arpa", 5):
        assert addr.parse_reverse(bad) is None


@given(st.ip_addresses())
def test_reverse_roundtrip(ip):
    s = str(ip)
    assert addr.reverse_name(s) == ip.reverse_pointer
    back = addr.parse_reverse(addr.reverse_name(s))
    assert addr.aton(back) == ip.packed
