"""Fixtures for the interop tier (tests/interop): virtual LANs of network namespaces.

    def test_something(testbed):
        tb = testbed(["dut", "avahi"])      # set up now, torn down after the test
        av = tb["avahi"].start_avahi()

These tests need root and `ip netns`; they FAIL (never skip) when that is missing, because
CI runs them as root. Each test body runs under an alarm (MDNS_INTEROP_TIMEOUT seconds,
default 180; per test: @pytest.mark.interop_timeout(300)) that dumps all threads' stacks
and fails the test instead of hanging the run.
"""
import faulthandler
import os
import signal
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import testbed as _testbed  # noqa: E402

DEFAULT_TIMEOUT = int(os.environ.get("MDNS_INTEROP_TIMEOUT", "180"))


def pytest_configure(config):
    config.addinivalue_line("markers", "interop_timeout(seconds): time limit of one interop test body")


@pytest.fixture(scope="session")
def netns_ready():
    """Checks root and `ip netns`, removes namespaces of crashed earlier runs (ours only)."""
    try:
        _testbed.check_environment()
    except _testbed.TestbedError as e:
        pytest.fail("interop tests cannot run: %s" % e, pytrace=False)
    _testbed.install_sigterm_cleanup()
    return _testbed.cleanup_leftovers()


@pytest.fixture
def testbed(netns_ready):
    """Factory: testbed(["dut", "avahi", "zc"], subnet=None) -> a Testbed that is up."""
    made = []

    def make(hosts=("a", "b"), **kw):
        tb = _testbed.Testbed(hosts, **kw)
        made.append(tb)
        return tb.up()

    yield make
    for tb in reversed(made):
        tb.down()


class InteropTimeout(Exception):
    pass


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    m = item.get_closest_marker("interop_timeout")
    limit = int(m.args[0]) if m else DEFAULT_TIMEOUT

    def on_alarm(signum, frame):
        faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
        raise InteropTimeout("%s took longer than %d s (MDNS_INTEROP_TIMEOUT / interop_timeout)"
                             % (item.nodeid, limit))

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(limit)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
