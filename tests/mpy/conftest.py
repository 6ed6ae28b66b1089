"""pytest set-up for the MicroPython tier (tests/mpy).

The files under cases/ are MicroPython code run inside the WebAssembly port by
runner.mjs; CPython must never collect or import them.
"""
import os
import shutil

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))

collect_ignore_glob = ["cases/*", "node_modules/*"]
collect_ignore = ["mpytest.py", "compile.py"]


class MpyEnv:
    """Where the pieces are; every missing piece is a failure that says what to run."""

    def __init__(self):
        self.lib = os.environ.get("MPY_LIB") or os.path.join(TOP, "build", "mpy", "lib")
        self.vectors = os.path.join(TOP, "tests", "vectors")
        self.corpus = os.path.join(TOP, "tests", "corpus")
        self.runner = os.path.join(HERE, "runner.mjs")
        self.node = shutil.which("node")
        self.heap_kib = int(os.environ.get("MPY_HEAP_KIB", "512"))

    def check(self):
        if not self.node:
            pytest.fail("node not found: install Debian's nodejs (tools/setup-debian.sh, or `make setup-debian` as root)")
        pkg = os.path.join(HERE, "node_modules", "@micropython", "micropython-webassembly-pyscript")
        if not os.path.isdir(pkg):
            pytest.fail("MicroPython WebAssembly port not installed: run `make setup-npm` (npm ci in tests/mpy)")
        if not os.path.isfile(os.path.join(self.lib, "mdns", "__init__.mpy")):
            pytest.fail("no compiled package in %s: run `make test-mpy` (it compiles frozen/ with mpy-cross first)" % self.lib)


@pytest.fixture(scope="session")
def mpy_env():
    env = MpyEnv()
    env.check()
    return env


# Figures to print at the end of the run: (case, label, value, unit) tuples -- how far
# each case file's heap grew and whatever cases report with mpytest.note().
_notes = []


@pytest.fixture(scope="session")
def mpy_heap_notes():
    """The list test_mpy.py appends (case, label, value, unit) figures to."""
    return _notes


def pytest_terminal_summary(terminalreporter):
    if not _notes:
        return
    terminalreporter.write_sep("-", "MicroPython figures (WebAssembly port; measurements, not checks)")
    for case, label, value, unit in _notes:
        terminalreporter.write_line("%-20s %-48s %10s %s" % (case, label, value, unit))
