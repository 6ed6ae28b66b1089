import pytest

import mdns.servicetype as st
from mdns.servicetype import ServiceType, tcp, udp


def test_forms():
    forms = [
        tcp("http", "api-v1"),
        "_http._tcp,_api-v1",
        ["http", "tcp", "api-v1"],
        ("_http", "_tcp", "_api-v1"),
        ServiceType("http", "tcp", ["api-v1"]),
    ]
    for f in forms:
        t = ServiceType.parse(f)
        assert str(t) == "_http._tcp,_api-v1"
        assert t.fqdn() == "_http._tcp.local"
        assert t.subtype_names() == ["_api-v1._sub._http._tcp.local"]
    assert str(ServiceType.parse("_http._tcp")) == "_http._tcp"
    assert str(ServiceType.parse("_http._tcp.local.")) == "_http._tcp"
    assert str(udp("osc", "api-v1")) == "_osc._udp,_api-v1"
    assert udp("osc").fqdn("example") == "_osc._udp.example"
    t = st.parse("_ipp._tcp , _universal ,_cups")
    assert t.subtypes == ("universal", "cups")
    assert t == "_IPP._tcp,_cups,_universal"
    assert ServiceType.parse(t) is t


@pytest.mark.parametrize(
    "bad,why",
    [
        ("x" * 16, "max 15"),
        ("", "empty"),
        ("a_b", "not allowed"),
        ("123", "letter"),
        ("-ab", "hyphen"),
        ("ab-", "hyphen"),
        ("a--b", "two hyphens"),
    ],
)
def test_bad_names(bad, why):
    with pytest.raises(ValueError, match=why):
        tcp(bad)


def test_bad_other():
    with pytest.raises(ValueError, match="tcp or udp"):
        ServiceType("http", "sctp")
    with pytest.raises(ValueError, match="max 63"):
        tcp("http", "s" * 64)
    with pytest.raises(ValueError, match="_name._tcp"):
        ServiceType.parse("_http")
    with pytest.raises(ValueError, match="start with '_'"):
        ServiceType.parse("http.tcp")
    with pytest.raises(ValueError):
        ServiceType.parse(["http"])
    with pytest.raises(ValueError):
        ServiceType.parse(42)
    assert tcp("a-1").name == "a-1"
    assert tcp("x" * 15)


from hypothesis import given, strategies as hst  # noqa: E402

_svc = hst.from_regex(r"\A[a-z0-9]([a-z0-9]|-(?!-))*\Z", fullmatch=True).filter(
    lambda s: 1 <= len(s) <= 15 and not s.endswith("-") and any(c.isalpha() for c in s)
)
_sub = hst.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=20)


@given(_svc, hst.sampled_from(["tcp", "udp"]), hst.lists(_sub, max_size=3, unique=True))
def test_print_parse_roundtrip(name, proto, subs):
    t = ServiceType(name, proto, subs)
    assert ServiceType.parse(str(t)) == t
    assert str(ServiceType.parse(str(t))) == str(t)
    assert ServiceType.parse([name, proto] + subs) == t
    assert t.fqdn() == "_%s._%s.local" % (name, proto)
    assert t.subtype_names() == ["_%s._sub._%s._%s.local" % (s, name, proto) for s in subs]
    assert hash(t) == hash(ServiceType.parse(str(t).upper().replace("_TCP", "_tcp").replace("_UDP", "_udp")))
