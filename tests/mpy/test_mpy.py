"""Runs every tests/mpy/cases/test_*.py inside real MicroPython (the WebAssembly port
under node) and reports each of its test_* functions as one pytest test.

One node process per case file (runner.mjs): it loads the .mpy package compiled from
frozen/ into /lib, the vectors into /vectors and the corpus into /corpus, runs the
functions and prints one `@@MPYTEST {json}` line per function. A case file that fails
at import, a crash of the runtime, or a function that was not reported is a failure.
"""
import glob
import json
import os
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))

MARK = "@@MPYTEST "
CASES = sorted(glob.glob(os.path.join(HERE, "cases", "test_*.py")))
TIMEOUT = int(os.environ.get("MPY_TIMEOUT", "600"))


def case_functions(path):
    # Same rule as mpytest._test_names: top-level `def test_...`, in source order.
    with open(path, encoding="utf-8") as f:
        return re.findall(r"^def (test_\w+)\s*\(", f.read(), re.M)


PARAMS = [(os.path.basename(c), fn) for c in CASES for fn in case_functions(c)]

JOBS = int(os.environ.get("MPY_JOBS", "2"))
_results = {}


@pytest.fixture(scope="session")
def mpy_reports(request, mpy_env, mpy_heap_notes):
    """Run every case file the session selected, MPY_JOBS node processes at a time."""
    cases = []
    for item in request.session.items:
        cs = getattr(item, "callspec", None)
        if cs and "case" in cs.params and cs.params["case"] not in cases:
            cases.append(cs.params["case"])
    with ThreadPoolExecutor(max_workers=max(1, JOBS)) as pool:
        for case, rep in zip(cases, pool.map(lambda c: _run(mpy_env, c), cases)):
            _results[case] = rep
    for case in cases:
        _note(mpy_heap_notes, case, _results[case])
    return _results


def run_case(env, case, heap_notes):
    """The parsed report of one case file (run by mpy_reports, or now if it was not)."""
    if case not in _results:
        _results[case] = _run(env, case)
        _note(heap_notes, case, _results[case])
    return _results[case]


def _note(notes, case, rep):
    if rep["heap"]:
        total, initial = rep["heap"]["total"], rep["heap"]["initial"]
        if total > initial:
            notes.append((case, "heap grew past the initial %d KiB to" % (initial // 1024), total, "bytes"))
        else:
            notes.append((case, "heap within the initial %d KiB" % (initial // 1024), "", ""))
    for n in rep["notes"]:
        notes.append((case, n["label"], n["value"], n.get("unit", "")))


def _run(env, case):
    path = os.path.join(HERE, "cases", case)
    cmd = [env.node, env.runner, "--lib", env.lib, "--heap", str(env.heap_kib),
           "--dir", env.vectors + ":/vectors", "--dir", env.corpus + ":/corpus", "--case", path]
    try:
        p = subprocess.run(cmd, cwd=HERE, capture_output=True, text=True, timeout=TIMEOUT)
        out, err, rc = p.stdout, p.stderr, p.returncode
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        err, rc = "", "timeout after %ds (MPY_TIMEOUT)" % TIMEOUT
    rep = {"tests": {}, "import": None, "total": None, "crash": None, "heap": None, "notes": [], "other": [],
           "stderr": err, "rc": rc}
    for line in out.splitlines():
        if line.startswith(MARK):
            rec = json.loads(line[len(MARK):])
            kind = rec.get("kind")
            if kind == "test":
                rep["tests"][rec["name"]] = rec
            elif kind == "note":
                rep["notes"].append(rec)
            elif kind in ("import", "total", "crash", "heap"):
                rep[kind] = rec
        else:
            rep["other"].append(line)
    return rep


def _context(rep):
    parts = []
    if rep["other"]:
        parts.append("MicroPython output:\n" + "\n".join(rep["other"][-40:]))
    if rep["stderr"].strip():
        parts.append("stderr:\n" + rep["stderr"][-4000:])
    return "\n".join(parts)


def _load_failure(rep):
    if rep["crash"]:
        return "MicroPython runtime crashed:\n%s" % rep["crash"]["error"]
    if rep["import"] is None:
        return "runner reported nothing (exit status %s)" % (rep["rc"],)
    if not rep["import"]["ok"]:
        return "case file failed at import in MicroPython:\n%s" % rep["import"]["error"]
    if rep["total"] is None:
        return "runner stopped before the end of the file (%s)" % (rep["rc"] if isinstance(rep["rc"], str) else "exit status %s" % rep["rc"],)
    return None


@pytest.mark.parametrize("case", [os.path.basename(c) for c in CASES])
def test_case_file(mpy_env, mpy_heap_notes, mpy_reports, case):
    """The case file loads in MicroPython and every function it defines was run."""
    rep = run_case(mpy_env, case, mpy_heap_notes)
    why = _load_failure(rep)
    if why:
        pytest.fail(why + "\n" + _context(rep), pytrace=False)
    want = set(case_functions(os.path.join(HERE, "cases", case)))
    got = set(rep["tests"])
    assert got == want, "functions collected %s, reported by MicroPython %s" % (sorted(want), sorted(got))
    assert rep["total"]["passed"] + rep["total"]["failed"] == len(want)


@pytest.mark.parametrize("case,name", PARAMS, ids=["%s::%s" % p for p in PARAMS])
def test_mpy(mpy_env, mpy_heap_notes, mpy_reports, case, name):
    rep = run_case(mpy_env, case, mpy_heap_notes)
    rec = rep["tests"].get(name)
    if rec is None:
        # Not reported: the file failed at import, the runtime crashed or timed out before
        # (or while) running this function.
        why = _load_failure(rep) or "%s was not run by MicroPython" % name
        pytest.fail("%s\n%s" % (why, _context(rep)), pytrace=False)
    if not rec["ok"]:
        pytest.fail("failed in MicroPython:\n%s" % rec["error"], pytrace=False)


def test_there_are_cases():
    assert CASES, "no tests/mpy/cases/test_*.py found"
