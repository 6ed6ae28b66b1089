"""The .pyi stubs (PEP 561) of the public API: mypy.stubtest checks each against the
running module (a renamed argument or a missing name fails), and mypy --strict checks
a user's code against them (tests/py/typing_usage.py). Device code imports no typing."""
import os
import re
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FROZEN = os.path.join(TOP, "frozen")
STUBBED = ["mdns", "mdns.browseall", "mdns.browser", "mdns.engine", "mdns.resolve", "mdns.responder",
           "mdns.service", "mdns.servicetype", "mdns.sync", "mdns.fleet"]


def _mypy(*args, **kw):
    env = dict(os.environ, **kw)
    env.pop("MDNS_TEST_NETNS", None)
    return subprocess.run([sys.executable, "-m"] + list(args), capture_output=True, text=True, env=env, cwd=TOP)


def test_every_public_module_has_a_stub():
    for m in STUBBED:
        p = os.path.join(FROZEN, *m.split("."))
        assert os.path.exists(p + ".pyi") or os.path.exists(os.path.join(p, "__init__.pyi")), m


def test_stubs_match_the_runtime():
    ini = os.path.join(TOP, "tests", "py", "mypy-stubtest.ini")
    allow = os.path.join(TOP, "tests", "py", "stubtest-allowlist.txt")
    r = _mypy("mypy.stubtest", "--ignore-missing-stub", "--mypy-config-file", ini, "--allowlist", allow, "mdns")
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    stubs = [os.path.join(d, f) for d, _, fs in os.walk(os.path.join(FROZEN, "mdns")) for f in fs if f.endswith(".pyi")]
    assert len(stubs) == len(STUBBED)
    r = _mypy("mypy", "--strict", "--no-incremental", "--cache-dir", os.devnull, *stubs, MYPYPATH=FROZEN)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]


def test_user_code_type_checks_strict():
    r = _mypy("mypy", "--strict", "--no-incremental", "--cache-dir", os.devnull,
              os.path.join(TOP, "tests", "py", "typing_usage.py"), MYPYPATH=FROZEN)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]


def test_a_wrong_call_is_caught():
    # the check can fail: the same code with the type: ignore removed is an error
    src = open(os.path.join(TOP, "tests", "py", "typing_usage.py")).read()
    bad = src.replace("  # type: ignore[arg-type]", "")
    r = _mypy("mypy", "--strict", "--no-incremental", "--cache-dir", os.devnull, "-c", bad, MYPYPATH=FROZEN)
    assert r.returncode == 1 and 'Argument 3 to "Service"' in r.stdout, r.stdout


def test_device_code_has_no_typing():
    for root, dirs, files in os.walk(os.path.join(FROZEN, "mdns")):
        dirs[:] = [d for d in dirs if d not in ("host", "__pycache__")]
        for f in files:
            if f.endswith(".py"):
                src = open(os.path.join(root, f)).read()
                assert not re.search(r"^\s*(from|import)\s+typing\b", src, re.M), f
