# The in-MicroPython half of `make test-mpy` (runs inside the WebAssembly port, so it is
# MicroPython code: no pytest, no f-strings with `=`, nothing CPython-only).
#
# runner.mjs puts the compiled package in /lib, the vectors in VECTORS_DIR and this file
# in /harness, then calls main(case_path). Cases import helpers from here:
#     from mpytest import VECTORS_DIR, vector, read_hex, heap, raises, eq, note
# See tests/mpy/README.md.
import gc
import io
import json
import sys
import time

VECTORS_DIR = "/vectors"  # tests/vectors/ of the checkout, copied as is
CORPUS_DIR = "/corpus"  # tests/corpus/ of the checkout (realistic packets, hex)
MARK = "@@MPYTEST "


def vector(name, mode="rb"):
    """Contents of tests/vectors/<name> (bytes; mode="r" for text)."""
    with open(VECTORS_DIR + "/" + name, mode) as f:
        return f.read()


def read_hex(path):
    """Datagrams of a hex file: one per line, '#' starts a comment, blanks ignored."""
    out = []
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                out.append(bytes.fromhex(line.replace(" ", "")))
    return out


def heap(fn):
    """Bytes allocated on the MicroPython heap by fn() (gc disabled while it runs).

    Returns (bytes, result). The heap is 32-bit like the ESP32's; allocations are
    rounded to 16-byte blocks.
    """
    gc.collect()
    gc.disable()
    try:
        a0 = gc.mem_alloc()
        r = fn()
        a1 = gc.mem_alloc()
    finally:
        gc.enable()
    return a1 - a0, r


def raises(exc_type, fn, *args, **kw):
    """Call fn(*args, **kw); return the exception, fail if it is not an exc_type."""
    try:
        fn(*args, **kw)
    except exc_type as e:
        return e
    raise AssertionError("%s did not raise %s" % (getattr(fn, "__name__", fn), exc_type.__name__))


def eq(got, want, what=""):
    """assert got == want, with both values in the message (MicroPython's assert has none)."""
    if got != want:
        raise AssertionError("%s%r != %r" % (what + ": " if what else "", got, want))


def note(label, value, unit=""):
    """A figure to show in the pytest summary of `make test-mpy` (a measurement, not a check)."""
    _emit("note", label=label, value=value, unit=unit)


def _emit(kind, **fields):
    fields["kind"] = kind
    print(MARK + json.dumps(fields))


def _format(e):
    buf = io.StringIO()
    sys.print_exception(e, buf)
    return buf.getvalue()


def _test_names(src):
    # Source order (MicroPython dicts are not ordered); only top-level `def test_...`.
    names = []
    for line in src.split("\n"):
        if line.startswith("def test_"):
            names.append(line[4:].split("(", 1)[0].strip())
    return names


def _check_compiled():
    # The code under test must come from the .mpy files, never from sources.
    bad = []
    for name, mod in sys.modules.items():
        if name == "mdns" or name.startswith("mdns."):
            f = getattr(mod, "__file__", "")
            if not (f.startswith("/lib/") and f.endswith(".mpy")):
                bad.append("%s from %r" % (name, f))
    return bad


# The case runs as several top-level calls from runner.mjs: load(), then run_one() per
# function, then finish(). The WebAssembly port collects garbage only between top-level
# calls (gc.collect() inside a call is deferred), so each function starts on a collected
# heap and `alloc` (bytes allocated while it ran) is exact.
_state = {}


def load(case_path):
    """Run the case file's top level; return its test function names, comma-separated."""
    with open(case_path) as f:
        src = f.read()
    import mdns  # noqa: the package must load (from /lib, compiled) before any case runs

    bad = _check_compiled()
    if bad:
        _emit("import", ok=False, error="harness: not loaded from /lib/*.mpy: " + ", ".join(bad))
        return ""
    g = {"__name__": "__mpycase__", "__file__": case_path, "VECTORS_DIR": VECTORS_DIR}
    try:
        exec(compile(src, case_path, "exec"), g)
    except BaseException as e:  # noqa: a case that fails at import is a failure
        _emit("import", ok=False, error=_format(e))
        return ""
    _emit("import", ok=True)
    names = _test_names(src)
    _state["g"] = g
    _state["passed"] = 0
    _state["failed"] = 0
    return ",".join(names)


def run_one(name):
    fn = _state["g"].get(name)
    if fn is None:
        _state["failed"] += 1
        _emit("test", name=name, ok=False, ms=0, alloc=0, error="not a function at module level")
        return
    a0 = gc.mem_alloc()
    t0 = time.ticks_ms()
    try:
        fn()
        ok, err = True, None
    except BaseException as e:  # noqa: report every failure, keep going
        ok, err = False, _format(e)
    ms = time.ticks_diff(time.ticks_ms(), t0)
    alloc = gc.mem_alloc() - a0
    if ok:
        bad = _check_compiled()
        if bad:
            ok, err = False, "harness: not loaded from /lib/*.mpy: " + ", ".join(bad)
    if ok:
        _state["passed"] += 1
    else:
        _state["failed"] += 1
    _emit("test", name=name, ok=ok, ms=ms, alloc=alloc, error=err)


def finish():
    _emit("total", passed=_state.get("passed", 0), failed=_state.get("failed", 0), mem_alloc=gc.mem_alloc())


def main(case_path):
    """Everything in one call (no garbage collection until it returns)."""
    names = load(case_path)
    for name in names.split(","):
        if name:
            run_one(name)
    finish()
