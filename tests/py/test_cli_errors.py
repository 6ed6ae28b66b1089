"""`python -m mdns`: one exit rule for every command (issue 15): 2 for bad input or usage,
1 for a runtime failure, 0 for success, 130 for Ctrl-C. Bad input gives one clear line on
stderr naming what is wrong, no traceback, and no socket is opened."""
import os
import subprocess
import sys

import pytest
from mdns.host import cli, cmd_browse

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SVC = ["--host", "cam", "--service"]

# argv, a piece of the one line on stderr
BAD = [
    ([], "COMMAND"),
    (["bogus"], "bogus"),
    (["advertise"], "--host"),
    (["advertise", "--host", "a" * 70], "63"),
    (["advertise", "--host", "bad.name"], "hostname"),
    (["advertise"] + SVC + ["x" * 70, "_http._tcp", "80"], "instance: 70 bytes"),
    (["advertise"] + SVC + ["Cam", "http", "80"], "http"),
    (["advertise"] + SVC + ["Cam", "_http._tcp", "70000"], "port: 70000 out of range 0-65535"),
    (["advertise"] + SVC + ["Cam", "_http._tcp", "-1"], "port: -1 out of range 0-65535"),
    (["advertise"] + SVC + ["Cam", "_http._tcp", "eighty"], "port 'eighty'"),
    (["advertise"] + SVC + ["Cam", "_http._tcp"], "--service"),
    (["advertise"] + SVC + ["Cam", "_http._tcp", "80", "cl\u00e9=1"], "txt key 'cl\u00e9'"),
    (["advertise"] + SVC + ["Cam", "_http._tcp", "80", "k=\udcff"], "txt key 'k'"),
    (["advertise"] + SVC + ["Cam", "_http._tcp", "80", "=v"], "empty key"),
    (["advertise", "--host", "cam", "--timeout", "-1"], "--timeout"),
    (["advertise", "--host", "cam", "--interface", "not-an-address"], "not-an-address"),
    (["advertise", "--host", "cam", "-4", "-6"], "-6"),
    (["browse"], "type"),
    (["browse", "http"], "http"),
    (["browse", "_http._tcp", "--timeout", "soon"], "--timeout"),
    (["browse", "_http._tcp", "--timeout", "-1"], "--timeout"),
    (["browse", "_http._tcp", "--resolve-timeout", "-5"], "--resolve-timeout"),
    (["resolve"], "NAME"),
    (["resolve", "a..local"], "a..local"),
    (["resolve", "x" * 70 + ".local"], "63"),
    (["resolve", "cam.local", "--timeout", "-2"], "--timeout"),
    (["services", "extra"], "extra"),
    (["services", "--timeout", "nan"], "--timeout"),
    (["fleet"], "SUBCOMMAND"),
    (["fleet", "bogus"], "bogus"),
]


@pytest.fixture
def no_sockets(monkeypatch):
    """Any socket opened is a failure: bad input must be refused before the network."""
    from mdns import net

    def refuse(*a, **kw):
        raise AssertionError("a socket was opened")

    monkeypatch.setattr(net, "Sockets", refuse)
    monkeypatch.setattr(cmd_browse, "open_driver", refuse)


def run_main(argv):
    try:
        cli.main(argv)
    except SystemExit as e:
        return e.code
    return None


@pytest.mark.parametrize("argv,piece", BAD, ids=[" ".join(a)[:40] or "none" for a, _ in BAD])
def test_bad_input_exits_2_with_one_line(no_sockets, capsys, argv, piece):
    assert run_main(argv) == 2
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("python -m mdns") and "error: " in lines[0], lines[0]
    assert piece in lines[0], lines[0]
    assert out == ""


def test_non_utf8_txt_value_says_what_is_allowed(no_sockets, capsys):
    assert run_main(["advertise"] + SVC + ["Cam", "_http._tcp", "80", "path=\udcff"]) == 2
    err = capsys.readouterr().err
    assert "txt key 'path'" in err and "UTF-8" in err and "surrogates" not in err, err


def test_runtime_failure_exits_1(monkeypatch, capsys):
    from mdns import responder

    def boom(*a, **kw):
        raise OSError(99, "Cannot assign requested address")

    monkeypatch.setattr(responder, "Responder", boom)
    assert run_main(["advertise", "--host", "cam"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Cannot assign requested address" in err[0], err


class _Interrupted:
    addrs = ["10.0.0.2"]

    def __init__(self, *a, **kw):
        self.closed = False

    def sockets(self):
        return []

    def poll(self, ms):
        raise KeyboardInterrupt

    run_until = poll

    def close(self):
        self.closed = True


def test_ctrl_c_exits_130(monkeypatch, capsys):
    from mdns import responder

    monkeypatch.setattr(responder, "Responder", _Interrupted)
    assert run_main(["advertise", "--host", "cam"]) == 130
    assert "goodbye" in capsys.readouterr().out

    def interrupted(args):
        raise KeyboardInterrupt

    for argv in (["browse", "_http._tcp"], ["resolve", "cam.local"], ["services"]):
        monkeypatch.setattr(cmd_browse, "open_driver", interrupted)
        assert run_main(argv) == 130, argv


def test_help_and_readme_state_the_rule():
    rule = "2 bad input or usage, 1 runtime failure, 0 success, 130 Ctrl-C"
    r = subprocess.run([sys.executable, "-m", "mdns", "--help"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and rule in " ".join(r.stdout.split()), r.stdout
    with open(os.path.join(TOP, "README.md")) as f:
        assert rule in " ".join(f.read().split())


def test_a_bad_input_from_the_shell_is_one_line():
    # the real entry point, with bytes that are not UTF-8 in argv
    r = subprocess.run([sys.executable, "-m", "mdns", "advertise", "--host", "cam", "--service", "Cam",
                        "_http._tcp", "80", b"k=\xff"], capture_output=True, text=True, timeout=30,
                       env=dict(os.environ, MDNS_TEST_NETNS="not-a-namespace"))
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "txt key 'k'" in r.stderr
