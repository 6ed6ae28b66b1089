"""Hypothesis strategies for mDNS messages (shared by the codec property and oracle tests)."""
import ipaddress

from hypothesis import strategies as st

from mdns import names
from mdns.wire import (
    FLAG_AA, FLAG_QR, TYPE_A, TYPE_AAAA, TYPE_ANY, TYPE_NSEC, TYPE_PTR, TYPE_SRV, TYPE_TXT, Message, Question, Record,
)

_ascii_label = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_", min_size=1, max_size=20)


def _fits(label):
    return 0 < len(label.encode()) <= 63


# Instance labels: spaces, dots, backslashes, UTF-8 (RFC 6763 s4.1.1). Surrogates excluded (not UTF-8).
_rich_label = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), min_codepoint=0x20), min_size=1, max_size=40
).filter(_fits)


def name_strategy(rich=True):
    label = _rich_label if rich else _ascii_label
    return st.lists(st.one_of(_ascii_label, label), min_size=1, max_size=4).map(
        lambda labels: names.join(labels + ["local"])
    ).filter(lambda n: len(names.to_wire(n)) <= 255)


ipv4 = st.ip_addresses(v=4).map(str)
ipv6 = st.ip_addresses(v=6).map(lambda ip: str(ipaddress.IPv6Address(ip.packed)))
txt_keys = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E, blacklist_characters="="), min_size=1, max_size=12
)


def _dedupe_keys(d):
    out = {}
    seen = set()
    for k, v in d.items():
        if k.lower() not in seen:
            seen.add(k.lower())
            out[k] = v
    return out


txt_dicts = st.dictionaries(txt_keys, st.one_of(st.none(), st.binary(max_size=60)), max_size=6).map(_dedupe_keys)
nsec_types = st.lists(st.integers(1, 255), min_size=1, max_size=6).map(lambda x: tuple(sorted(set(x))))


@st.composite
def records(draw, rich=True, types=None):
    name = draw(name_strategy(rich))
    t = draw(st.sampled_from(types or [TYPE_A, TYPE_AAAA, TYPE_PTR, TYPE_SRV, TYPE_TXT, TYPE_NSEC, 99]))
    ttl = draw(st.sampled_from([0, 1, 10, 120, 4500, 0xFFFFFFFF]))
    flush = draw(st.booleans())
    if t == TYPE_A:
        data = draw(ipv4)
    elif t == TYPE_AAAA:
        data = draw(ipv6)
    elif t == TYPE_PTR:
        data = draw(name_strategy(rich))
    elif t == TYPE_SRV:
        data = (draw(st.integers(0, 65535)), draw(st.integers(0, 65535)), draw(st.integers(0, 65535)), draw(name_strategy(rich)))
    elif t == TYPE_TXT:
        data = draw(txt_dicts)
    elif t == TYPE_NSEC:
        data = (name, draw(nsec_types))
    else:
        data = draw(st.binary(max_size=40))
    return Record(name, t, data, ttl, flush)


@st.composite
def questions(draw, rich=True):
    return Question(
        draw(name_strategy(rich)),
        draw(st.sampled_from([TYPE_A, TYPE_AAAA, TYPE_PTR, TYPE_SRV, TYPE_TXT, TYPE_ANY])),
        draw(st.booleans()),
    )


@st.composite
def messages(draw, rich=True, types=None, max_records=8):
    response = draw(st.booleans())
    recs = lambda n: st.lists(records(rich, types), max_size=n)
    return Message(
        draw(st.integers(0, 65535)),
        (FLAG_QR | FLAG_AA) if response else 0,
        draw(st.lists(questions(rich), max_size=3)),
        draw(recs(max_records)),
        draw(recs(3)),
        draw(recs(max_records)),
    )
