# Sanity of the MicroPython tier itself: real MicroPython, the package from .mpy, the helpers.
import gc
import sys

import mdns
from mpytest import CORPUS_DIR, VECTORS_DIR, eq, heap, note, raises, read_hex, vector


def test_is_micropython():
    eq(sys.implementation.name, "micropython")
    # The pinned release: versions.env MICROPY_VERSION=v1.29.0, .mpy ABI 6.3.
    eq(sys.implementation.version[:3], (1, 29, 0))
    eq(sys.implementation._mpy & 0xFF, 6)


def test_package_from_mpy():
    assert mdns.__file__.startswith("/lib/mdns/"), mdns.__file__
    assert mdns.__file__.endswith(".mpy"), mdns.__file__
    from mdns.version import VERSION

    eq(mdns.__version__, VERSION)
    eq(len(mdns.__version__.split(".")), 3, "version has three parts")


def test_no_sources_in_lib():
    import os

    def walk(d):
        for name, kind, _ in [(e[0], e[1], 0) for e in os.ilistdir(d)]:
            p = d + "/" + name
            if kind == 0x4000:
                walk(p)
            else:
                assert p.endswith(".mpy"), p

    walk("/lib/mdns")


# Not imported here: the host side (CPython only). Every other module must import on
# MicroPython, or fail only for want of a module the ESP32 firmware has and the
# WebAssembly port lacks (sockets, hardware).
HOST_ONLY = ("mdns.__main__", "mdns.host")
PORT_ONLY = ("socket", "network", "machine", "esp", "esp32", "ssl", "tls", "cryptolib", "espnow", "bluetooth")


def _modules(d, pkg):
    import os

    out = []
    for e in os.ilistdir(d):
        name, kind = e[0], e[1]
        if kind == 0x4000:
            out.extend(_modules(d + "/" + name, pkg + "." + name))
        elif name.endswith(".mpy") and name != "__init__.mpy":
            out.append(pkg + "." + name[:-4])
    return out


def test_every_device_module_imports():
    failed = []
    names = _modules("/lib/mdns", "mdns")
    for name in sorted(names):
        if name in HOST_ONLY or name.startswith("mdns.host."):
            continue
        try:
            __import__(name)
        except ImportError as e:
            missing = str(e).replace("no module named ", "").strip("'")
            if missing not in PORT_ONLY:
                failed.append("%s: ImportError: %s" % (name, e))
        except Exception as e:
            failed.append("%s: %s: %s" % (name, type(e).__name__, e))
    assert not failed, "; ".join(failed)
    assert "mdns.version" in names


def test_only_firmware_modules():
    # The PyScript build freezes micropython-lib modules (logging, functools, ...) that
    # the ESP32 firmware does not have; the harness hides them.
    for name in ("logging", "functools", "typing", "abc", "unittest"):
        raises(ImportError, __import__, name)
    import os

    assert not hasattr(os, "path"), "os.path does not exist on the ESP32 port"
    import asyncio

    asyncio.Event  # frozen into the ESP32 firmware as well


def test_heap_helper():
    n, r = heap(lambda: None)
    eq(n, 0, "empty call allocates nothing")
    n, r = heap(lambda: bytearray(1000))
    eq(len(r), 1000)
    # 1000 bytes of payload in 16-byte blocks, plus the object header.
    assert 1000 <= n <= 1100, n
    gc.collect()


def test_raises_helper():
    e = raises(ValueError, int, "x")
    assert isinstance(e, ValueError)
    try:
        raises(ValueError, int, "1")
    except AssertionError:
        pass
    else:
        raise AssertionError("raises() accepted a call that did not raise")


def test_vectors_dir_defined():
    eq(VECTORS_DIR, "/vectors")
    import os

    os.stat(VECTORS_DIR)


def test_vectors_readable():
    # tests/vectors/ is copied in whole; the C core's name vectors are text.
    text = vector("fast_names.txt", "r")
    assert len(text) > 100, len(text)


def test_read_hex():
    with open("/tmp_hex.hex", "w") as f:
        f.write("# comment\n\n00 01 ff  # trailing comment\nC00C\n")
    eq(read_hex("/tmp_hex.hex"), [b"\x00\x01\xff", b"\xc0\x0c"])


def test_corpus_decodes_with_heap_figure():
    # The captured corpus (tests/corpus/*.hex) through the compiled codec: every datagram
    # decodes or raises ValueError (nothing else), and the heap per decode is reported.
    import os

    from mdns import wire

    files = [f for f in os.listdir(CORPUS_DIR) if f.endswith(".hex")]
    assert files, "no tests/corpus/*.hex"
    packets = []
    for f in files:
        packets.extend(read_hex(CORPUS_DIR + "/" + f))
    sizes, rejected = [], 0
    for p in packets:
        try:
            n, _ = heap(lambda: wire.decode(p))
            sizes.append((len(p), n, p))
        except ValueError:
            rejected += 1
    # The corpus is real traffic (plus well-formed synthetic packets): all of it must decode.
    assert rejected == 0, "corpus datagrams rejected: %d of %d" % (rejected, len(packets))
    resp = sorted([s for s in sizes if s[2][2] & 0x80 and (s[2][6] << 8 | s[2][7])])
    size, n, p = resp[len(resp) // 2]
    note("decode heap, typical response (%d B)" % size, n, "bytes")
    allocs = sorted(s[1] for s in sizes)
    note("decode heap, median / max over %d datagrams" % len(sizes), "%d / %d" % (allocs[len(allocs) // 2], allocs[-1]), "bytes")
