# bench-mpy, the MicroPython half: runs inside the WebAssembly port (tests/mpy/runner.mjs
# --script), the package from /lib/*.mpy, the corpus files given as arguments (in /corpus).
# Prints one "@@BENCH {json}" line per row; tools/bench/run_mpy.py makes the table.
# MicroPython code: no f-strings with `=`, nothing CPython-only.
#
# The port collects garbage only between top-level calls from JS, so all the work is a
# generator that runner.mjs advances with __step__() calls: each step handles CHUNK packets
# (garbage per call stays ESP32-sized) and the wall clock (jsclock, from JS) includes the
# collections in between, as on a board.
import json
import sys
from array import array

import jsclock
from mpytest import heap, read_hex

from mdns import fastpy, names, wire

OUR_NAMES = ["esp32-cam-04.local", "esp32-cam-04._http._tcp.local", "_http._tcp.local",
             "77.1.168.192.in-addr.arpa"]
ROUNDS = 5  # rows interleaved in rounds, best round kept per row
CHUNK = 16  # packets per step


def emit(**kw):
    print("@@BENCH " + json.dumps(kw))


def typical(packets):
    # The typical packet: the median-sized response with answers (an announcement).
    resp = [p for p in packets if p[2] & 0x80 and (p[6] << 8 | p[7])]
    resp = sorted(resp or packets, key=len)
    return resp[len(resp) // 2]


def work(ms, files):
    packets = []
    for f in files:
        packets.extend(read_hex(f))
        yield
    wire.use(fastpy)
    decode = wire.decode
    good = []
    for i in range(len(packets)):
        try:
            decode(packets[i])
            good.append(packets[i])
        except ValueError:
            pass
        if i % CHUNK == CHUNK - 1:
            yield
    emit(kind="info", packets=len(good), rejected=len(packets) - len(good),
         impl=sys.implementation.name, version=".".join(str(x) for x in sys.implementation.version[:3]),
         wire_file=sys.modules["mdns.wire"].__file__)
    table = b"".join(names.to_wire(n) for n in OUR_NAMES)
    maxrec = 1
    for p in good:
        maxrec = max(maxrec, (p[4] << 8 | p[5]) + (p[6] << 8 | p[7]) + (p[8] << 8 | p[9]) + (p[10] << 8 | p[11]))
    offsets = array("H", [0] * maxrec)
    concerns = wire.concerns
    walk = fastpy.walk

    # Heap per call (gc disabled while it runs; 32-bit heap like the ESP32's).
    t = typical(good)
    n, msg = heap(lambda: decode(t))
    emit(kind="row", key="heap_typical", what="heap/decode", pps=None, heap=n,
         how="MicroPython, typical packet (%d B, %d records)" % (len(t), len(msg.answers) + len(msg.authorities) + len(msg.additionals)))
    sizes = []
    for i in range(len(good)):
        sizes.append(heap(lambda: decode(good[i]))[0])
        if i % CHUNK == CHUNK - 1:
            yield
    sizes.sort()
    emit(kind="row", key="heap_median", what="heap/decode", how="MicroPython, median over the corpus", pps=None, heap=sizes[len(sizes) // 2])
    emit(kind="row", key="heap_max", what="heap/decode", how="MicroPython, largest over the corpus", pps=None, heap=sizes[-1])
    n, _ = heap(lambda: concerns(t, table))
    emit(kind="row", key="heap_concerns", what="heap/concerns", how="MicroPython, typical packet, pure Python", pps=None, heap=n)
    n, _ = heap(lambda: walk(t, offsets))
    emit(kind="row", key="heap_walk", what="heap/walk", how="MicroPython, typical packet, pure Python", pps=None, heap=n)
    yield

    plan = [
        ("decode_mpy", "decode", "MicroPython (wasm), mdns.wire + mdns.fastpy (.mpy)", decode),
        ("concerns_mpy", "concerns", "MicroPython (wasm), mdns.fastpy (.mpy)", lambda p: concerns(p, table)),
        ("walk_mpy", "walk", "MicroPython (wasm), mdns.fastpy.walk (.mpy)", lambda p: walk(p, offsets)),
    ]
    best = [0.0] * len(plan)
    at = 0
    for _ in range(ROUNDS):
        for i in range(len(plan)):
            fn = plan[i][3]
            n = 0
            t0 = jsclock.now()
            while True:
                chunk = good[at:at + CHUNK]
                at = 0 if at + CHUNK >= len(good) else at + CHUNK
                for p in chunk:
                    fn(p)
                n += len(chunk)
                yield  # garbage is collected here, inside the timed window
                dt = jsclock.now() - t0
                if dt >= ms / ROUNDS:
                    break
            best[i] = max(best[i], n * 1000.0 / dt)
    for i in range(len(plan)):
        key, what, how, fn = plan[i]
        emit(kind="row", key=key, what=what, how=how, pps=best[i])


_ms = 1500
_files = []
for _a in sys.argv[1:]:
    if _a.startswith("--ms="):
        _ms = int(_a[5:])
    else:
        _files.append(_a)
_work = work(_ms, _files)


def __step__():
    try:
        next(_work)
        return True
    except StopIteration:
        return False
