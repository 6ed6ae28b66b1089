"""The package's public surface on CPython: lazy names resolve to their modules."""
import importlib
import sys

import pytest

import mdns


@pytest.mark.parametrize("name", sorted(dict(mdns._LAZY)))
def test_every_public_name_resolves(name):
    mod = importlib.import_module("mdns." + dict(mdns._LAZY)[name])
    assert getattr(mdns, name) is getattr(mod, name)


def test_unknown_name():
    with pytest.raises(AttributeError):
        mdns.no_such_name


def test_cli_entry_point_runs():
    import subprocess

    out = subprocess.run([sys.executable, "-m", "mdns", "--help"], capture_output=True, text=True)
    assert out.returncode == 0
    for cmd in ("advertise", "browse", "resolve", "services", "fleet"):
        assert cmd in out.stdout, cmd


def test_a_responder_only_program_loads_no_browser_cache_querier_or_fleet():
    # issue 11: RAM on a device is what gets imported; set up and claim-start a
    # hostname-only Responder over fake sockets in a fresh interpreter
    import subprocess
    import textwrap

    code = textwrap.dedent('''
        import sys
        import mdns
        from mdns import net

        class S(net.Sockets):
            def __init__(self):
                self.port = 5353
                self.interface = "x"
                self.v4 = self.v6 = None
                self._socks = []
                self.addrs = ["10.0.0.5"]
                self._own = set(self.addrs)
                self.ifaces = [net.Iface("10.0.0.5", 24)]
                self.read = None

            def send(self, data, dest=None):
                pass

        t = [0]
        r = mdns.Responder("kitchen-cam", sockets=S(), clock=lambda: t[0], rand=lambda lo, hi: lo)
        for _ in range(20):
            t[0] += 250
            r.process()
        assert r.claimed
        print(" ".join(sorted(m for m in sys.modules if m.startswith("mdns"))))
    ''')
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert "mdns.responder" in out
    for bad in ("mdns.browser", "mdns.cache", "mdns.querier", "mdns.fleet", "mdns.resolve", "mdns.aio"):
        assert bad not in out, out
