# bench-responder, the MicroPython half (tests/mpy/runner.mjs --script): queries per
# second and heap bytes per query of the responder, package from /lib/*.mpy.
# bench_responder.py runs responder_scenario.py + this file as one script (the runner
# copies a single file), so make() below comes from responder_scenario.py.
import json
import sys

import jsclock
from mpytest import heap


ROUNDS = 5
ms = 1500
for a in sys.argv[1:]:
    if a.startswith("--ms="):
        ms = int(a[5:])


def emit(**kw):
    print("@@BENCH " + json.dumps(kw))


PLAN = make()  # noqa: F821 (from responder_scenario.py)
how = "MicroPython %s (wasm), pure Python (.mpy)" % ".".join(str(x) for x in sys.implementation.version[:3])
for key, what, fn in PLAN:
    fn()
    n, out = heap(fn)
    emit(kind="row", key=key + "_heap_mpy", what="heap/" + what, how=how, pps=None, heap=n)
_st = {"round": 0, "row": 0, "t0": None, "n": 0}
_best = [0.0] * len(PLAN)


def __step__():
    st = _st
    if st["round"] >= ROUNDS:
        for i in range(len(PLAN)):
            key, what, fn = PLAN[i]
            emit(kind="row", key=key + "_mpy", what=what, how=how, pps=_best[i])
        return False
    i = st["row"]
    fn = PLAN[i][2]
    if st["t0"] is None:
        st["t0"] = jsclock.now()
        st["n"] = 0
    for _ in range(20):
        fn()
    st["n"] += 20
    dt = jsclock.now() - st["t0"]
    if dt >= ms / ROUNDS:
        _best[i] = max(_best[i], st["n"] * 1000.0 / dt)
        st["t0"] = None
        st["row"] += 1
        if st["row"] == len(PLAN):
            st["row"] = 0
            st["round"] += 1
    return True
