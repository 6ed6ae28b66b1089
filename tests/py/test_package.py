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
