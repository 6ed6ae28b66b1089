"""The mdnsfast vectors (tests/vectors/fast_*.txt) against the host build of the C core.

`make test-py` builds the CPython extension (tests/c/cpymod.c + usermod_mdnsfast/mdnsfast.c,
rule in mk/c.mk; `make host-fast` alone) and sets MDNS_HOST_FAST to its folder (default:
build/host of this checkout). A module that does not import is a failure, never a skip.
"""
import os
import sys
from array import array

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "vectors"))
import loader  # noqa: E402

VECTORS = loader.load_fast_vectors()


def _import_host_fast():
    # make test-py sets MDNS_HOST_FAST; a bare pytest run uses the checkout's build/host
    d = os.environ.get("MDNS_HOST_FAST") or os.path.join(HERE, "..", "..", "build", "host")
    d = os.path.abspath(d)
    if d not in sys.path:
        sys.path.insert(0, d)
    try:
        import mdnsfast
    except ImportError as e:
        pytest.fail("mdnsfast does not import from %s (make host-fast builds it; make test-py does too): %s" % (d, e))
    if os.path.dirname(os.path.abspath(mdnsfast.__file__)) != d:
        pytest.fail("mdnsfast imported from %s, not from MDNS_HOST_FAST=%s" % (mdnsfast.__file__, d))
    return mdnsfast


@pytest.fixture(scope="module")
def fast():
    return _import_host_fast()


def test_vector_files_are_complete():
    ops = set(v["op"] for v in VECTORS)
    assert ops == {"read_name", "name_eq", "walk", "match", "write_name"}
    reasons = set(v["error"] for v in VECTORS if v["error"])
    assert reasons == {"truncated", "label too long", "name too long", "bad label type", "bad pointer",
                       "too many pointer hops", "bad counts", "trailing data", "no room"}
    assert len(set(v["id"] for v in VECTORS)) == len(VECTORS)


@pytest.mark.parametrize("v", VECTORS, ids=[v["id"] for v in VECTORS])
def test_vector(fast, v):
    problem = loader.run_fast_vector(fast, v)
    assert problem is None, problem


def test_runner_catches_a_wrong_expectation(fast):
    v = dict(VECTORS[0])
    v["expect"] = dict(v["expect"], end=v["expect"]["end"] + 1)
    assert loader.run_fast_vector(fast, v) is not None


def test_api_types(fast):
    pkt = bytes(12) + b"\x04host\x05local\x00"
    name, end = fast.read_name(memoryview(bytearray(pkt)), 12)
    assert type(name) is bytes and type(end) is int
    assert fast.name_eq(pkt, 12, name) is True
    with pytest.raises(TypeError):
        fast.walk(pkt, bytearray(8))        # offsets must be array('H')
    with pytest.raises(TypeError):
        fast.write_name(bytearray(40), 24, name, array("I", [12]), 1)
    with pytest.raises(TypeError):
        fast.write_name(pkt, 24, name, array("H", [12]), 1)   # bytes is not writable
    assert fast.walk(bytes(12), memoryview(array("H", [7, 7]))) == 0


def test_oversized_buffer_is_no_room(fast):
    with pytest.raises(ValueError, match="^no room$"):
        fast.walk(bytes(65536), array("H", [0]))
    with pytest.raises(ValueError, match="^no room$"):
        fast.match(bytes(65536), b"")
    with pytest.raises(ValueError, match="^trailing data$"):
        fast.walk(bytes(65535), array("H", [0]))


def test_match_high_bits_are_unsigned(fast):
    table = b"".join(bytes([2]) + b"n%d" % (i % 10) + bytes([1]) + bytes([97 + i // 10]) + b"\0" for i in range(32))
    q = table[-6:]
    pkt = bytes(4) + b"\x00\x01" + bytes(6) + q + b"\x00\x01\x00\x01"
    assert fast.match(pkt, table) == 1 << 31
