"""`python -m mdns browse/resolve/services` over a simulated link (the commands'
open_driver() is replaced by a driver on the simulator)."""
import json

import pytest
from browse_fakes import Peer, Responders, Sim, SimDriver
from mdns.host import cli, cmd_browse
from mdns.wire import Record, TYPE_PTR


@pytest.fixture
def link(monkeypatch):
    sim = Sim()
    d = SimDriver(sim)
    monkeypatch.setattr(cmd_browse, "open_driver", lambda args: d)
    return sim, d


def main(argv):
    with pytest.raises(SystemExit) as ei:
        cli.main(argv)
    return ei.value.code


def test_browse_lines_up_changed_down(link, capsys):
    sim, d = link
    p = Peer(txt={"path": b"/x", "flag": None})
    sim.peers.append(p)

    orig = d.run_until

    def scripted(pred, ms):
        orig(pred, 2000)
        p.txt = {"path": b"/y"}
        sim.feed([p.announce()])
        orig(pred, 1000)
        p.mode = "silent"  # it quits
        sim.feed(p.goodbye())
        orig(pred, ms - 3000)

    d.run_until = scripted
    assert main(["browse", "_http._tcp", "--timeout", "5"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        '+;;Kitchen Cam;_http._tcp;local;cam.local;10.0.0.2,fd77::2;80;"path=/x" "flag"',
        '~;;Kitchen Cam;_http._tcp;local;cam.local;10.0.0.2,fd77::2;80;"path=/y"',
        '-;;Kitchen Cam;_http._tcp;local;cam.local;10.0.0.2,fd77::2;80;"path=/y"',
    ]
    assert d.net.closed


def test_browse_json(link, capsys):
    sim, d = link
    sim.peers.append(Peer("A;b", mode="bare"))
    assert main(["browse", "_http._tcp", "--timeout", "1", "--json"]) == 0
    ev = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert ev[0]["event"] == "up" and ev[0]["instance"] == "A;b" and ev[0]["txt"] == {"path": "/"}
    assert ev[0]["addresses"] == ["10.0.0.2", "fd77::2"] and ev[0]["port"] == 80


def test_browse_unresolved_line(link, capsys):
    sim, d = link
    p = Peer("Lonely", mode="bare")
    p.all = lambda ttl=None: [p.ptr(ttl)]  # answers the PTR, never the SRV/TXT
    sim.peers.append(p)
    assert main(["browse", "_http._tcp", "--timeout", "3", "--resolve-timeout", "2"]) == 0
    assert capsys.readouterr().out.splitlines() == [";".join(["!", "", "Lonely", "_http._tcp", "local", "missing=SRV,TXT"])]


def test_browse_escapes_semicolons(link, capsys):
    sim, d = link
    sim.peers.append(Peer("A;b"))
    assert main(["browse", "_http._tcp", "--timeout", "1"]) == 0
    assert capsys.readouterr().out.startswith("+;;A\\059b;_http._tcp;")


def test_browse_bad_type(link, capsys):
    assert main(["browse", "http", "--timeout", "1"]) == 2
    assert "service type" in capsys.readouterr().err


def test_resolve_host_address_and_service(link, capsys):
    sim, d = link
    sim.peers.append(Peer(mode="bare"))
    sim.peers.append(Responders([Record("2.0.0.10.in-addr.arpa", TYPE_PTR, "cam.local", 120)], src=("10.0.0.3", 5353)))
    assert main(["resolve", "cam.local", "10.0.0.2", "Kitchen Cam._http._tcp.local"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == ["cam.local\t10.0.0.2", "cam.local\tfd77::2", "10.0.0.2\tcam.local",
                   '=;Kitchen Cam;_http._tcp;local;cam.local;10.0.0.2,fd77::2;80;"path=/"']


def test_resolve_failure_exit_1(link, capsys):
    assert main(["resolve", "nobody.local", "--timeout", "0.5"]) == 1
    assert "Failed to resolve nobody.local" in capsys.readouterr().err


def test_resolve_json_ipv4_only(link, capsys):
    sim, d = link
    sim.peers.append(Peer(mode="bare"))
    assert main(["resolve", "cam.local", "-4", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"name": "cam.local", "addresses": ["10.0.0.2"]}


def test_services(link, capsys):
    sim, d = link
    S = "_services._dns-sd._udp.local"
    sim.peers.append(Responders([Record(S, TYPE_PTR, "_http._tcp.local", 4500),
                                 Record(S, TYPE_PTR, "_ipp._tcp.local", 4500)]))
    assert main(["services", "--timeout", "1"]) == 0
    assert capsys.readouterr().out.splitlines() == ["_http._tcp", "_ipp._tcp"]
    assert main(["services", "--timeout", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == ["_http._tcp", "_ipp._tcp"]


def test_open_error_is_reported(monkeypatch, capsys):
    def boom(args):
        raise OSError("mdns: no interface address found")

    monkeypatch.setattr(cmd_browse, "open_driver", boom)
    assert main(["services"]) == 1
    assert "no interface address" in capsys.readouterr().err
