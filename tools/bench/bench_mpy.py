# bench-mpy, the MicroPython half: runs inside the WebAssembly port (tests/mpy/runner.mjs
# --script), the package from /lib/*.mpy, the corpus files given as arguments (in /corpus).
# Prints one "@@BENCH {json}" line per row; tools/bench/run_mpy.py makes the table.
# MicroPython code: no f-strings with `=`, nothing CPython-only.
#
# The port collects garbage only between top-level calls from JS, so the timed loops run
# as __step__() calls (one pass over the corpus each) that runner.mjs repeats: the wall
# time (jsclock, from JS) includes the collections, as on a board.
import json
import sys
from array import array

import jsclock
from mpytest import heap, read_hex

from mdns import fastpy, names, wire

OUR_NAMES = ["esp32-cam-04.local", "esp32-cam-04._http._tcp.local", "_http._tcp.local",
             "77.1.168.192.in-addr.arpa"]
ROUNDS = 5  # interleaved rounds, best kept per row


def emit(**kw):
    print("@@BENCH " + json.dumps(kw))


def typical(packets):
    # The typical packet: the median-sized response with answers (an announcement).
    resp = [p for p in packets if p[2] & 0x80 and (p[6] << 8 | p[7])]
    resp = sorted(resp or packets, key=len)
    return resp[len(resp) // 2]


ms = 1500
files = []
for a in sys.argv[1:]:
    if a.startswith("--ms="):
        ms = int(a[5:])
    else:
        files.append(a)
packets = []
for f in files:
    packets.extend(read_hex(f))
wire.use(fastpy)
good = []
for p in packets:
    try:
        wire.decode(p)
        good.append(p)
    except ValueError:
        pass
emit(kind="info", packets=len(good), rejected=len(packets) - len(good),
     impl=sys.implementation.name, version=".".join(str(x) for x in sys.implementation.version[:3]),
     wire_file=sys.modules["mdns.wire"].__file__)
table = b"".join(names.to_wire(n) for n in OUR_NAMES)
maxrec = 1
for p in good:
    maxrec = max(maxrec, (p[4] << 8 | p[5]) + (p[6] << 8 | p[7]) + (p[8] << 8 | p[9]) + (p[10] << 8 | p[11]))
offsets = array("H", [0] * maxrec)
decode = wire.decode
concerns = wire.concerns
walk = fastpy.walk

# Heap per decode (gc disabled while it runs; 32-bit heap like the ESP32's).
t = typical(good)
n, msg = heap(lambda: decode(t))
emit(kind="row", key="heap_typical", what="heap/decode", pps=None, heap=n,
     how="MicroPython, typical packet (%d B, %d records)" % (len(t), len(msg.answers) + len(msg.authorities) + len(msg.additionals)))
sizes = sorted(heap(lambda: decode(p))[0] for p in good)
emit(kind="row", key="heap_median", what="heap/decode", how="MicroPython, median over the corpus", pps=None, heap=sizes[len(sizes) // 2])
emit(kind="row", key="heap_max", what="heap/decode", how="MicroPython, largest over the corpus", pps=None, heap=sizes[-1])
n, _ = heap(lambda: concerns(t, table))
emit(kind="row", key="heap_concerns", what="heap/concerns", how="MicroPython, typical packet, pure Python", pps=None, heap=n)
n, _ = heap(lambda: walk(t, offsets))
emit(kind="row", key="heap_walk", what="heap/walk", how="MicroPython, typical packet, pure Python", pps=None, heap=n)

PLAN = [
    ("decode_mpy", "decode", "MicroPython (wasm), mdns.wire + mdns.fastpy (.mpy)", decode),
    ("concerns_mpy", "concerns", "MicroPython (wasm), mdns.fastpy (.mpy)", lambda p: concerns(p, table)),
    ("walk_mpy", "walk", "MicroPython (wasm), mdns.fastpy.walk (.mpy)", lambda p: walk(p, offsets)),
]
_st = {"round": 0, "row": 0, "t0": None, "n": 0}
_best = [0.0] * len(PLAN)


def __step__():
    # One pass over the corpus for the current row. Rows are interleaved (ROUNDS rounds,
    # each timing every row for ms/ROUNDS, best kept) so the machine's load hits all rows
    # alike. Returns False when done.
    st = _st
    if st["round"] >= ROUNDS:
        for i in range(len(PLAN)):
            key, what, how, fn = PLAN[i]
            emit(kind="row", key=key, what=what, how=how, pps=_best[i])
        return False
    i = st["row"]
    fn = PLAN[i][3]
    if st["t0"] is None:
        st["t0"] = jsclock.now()
        st["n"] = 0
    for p in good:
        fn(p)
    st["n"] += len(good)
    dt = jsclock.now() - st["t0"]
    if dt >= ms / ROUNDS:
        _best[i] = max(_best[i], st["n"] * 1000.0 / dt)
        st["t0"] = None
        st["row"] += 1
        if st["row"] == len(PLAN):
            st["row"] = 0
            st["round"] += 1
    return True
