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


# One line per case file at the end of the run: how much heap MicroPython used.
_heap_notes = []


@pytest.fixture(scope="session")
def mpy_heap_notes():
    """A list test_mpy.py appends (case, heap_total, heap_initial) to."""
    return _heap_notes


def pytest_terminal_summary(terminalreporter):
    if not _heap_notes:
        return
    terminalreporter.write_sep("-", "MicroPython heap per case file (the port grows it when a collection cannot make room)")
    for case, total, initial in sorted(_heap_notes):
        grew = " (grew past the initial %d KiB)" % (initial // 1024) if total > initial else ""
        terminalreporter.write_line("%-28s heap %7d bytes%s" % (case, total, grew))
