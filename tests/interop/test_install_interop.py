"""The ways users install the package, run for real on the virtual LAN (docs/install.md):

- mip: `make`'s mip folder (tools/firmware/mip.py build) served over HTTP from one
  namespace, `mip.install("http://...")` into the MicroPython unix port in another, then
  a responder from the installed files that Avahi resolves. Runs under
  `make test-unix MICROPY_DIR=...` (the `micropython_unix` in its name), which builds the
  binary; mip and requests come from that checkout's lib/micropython-lib, as on a board
  whose firmware freezes them.
- the wheel: built by `python -m build`, installed into a fresh venv, its `mdns` console
  script finds an Avahi service (`make test-interop`).
"""
import json
import os
import shutil
import subprocess
import sys

import pytest

from testbed import LineStream

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MPY_UNIX = os.environ.get("MDNS_MPY_UNIX") or os.path.join(TOP, "build", "unix-standard-64", "micropython")
TYPE = "_mdinstall._tcp"

_MPY_SCRIPT = r'''
import sys
lib = sys.argv[1]
sys.path.insert(0, lib)   # the installed copy, ahead of the frozen one
import mip
mip.install("http://%s:8000/" + sys.argv[2], target=lib)
import mdns, mdns.responder
print("loaded", mdns.responder.__file__)
from mdns import Responder, Service

def ev(e):
    print("event", e.kind, e.fields.get("name"))

r = Responder("mipcam", addrs=[sys.argv[3]], on_event=ev,
              services=[Service("Mip Cam", "%s", 8081, txt={"via": "mip"})])
while True:
    r.poll(200)
'''


def _mpy_lib():
    """mip + requests from $MICROPY_DIR/lib/micropython-lib (what `make test-unix` has)."""
    mpy = os.environ.get("MICROPY_DIR", "")
    lib = os.path.join(mpy, "lib", "micropython-lib")
    mip = os.path.join(lib, "micropython", "mip", "mip", "__init__.py")
    req = os.path.join(lib, "python-ecosys", "requests", "requests", "__init__.py")
    assert os.path.exists(mip) and os.path.exists(req), (
        "MICROPY_DIR=%r has no lib/micropython-lib with mip and requests: "
        "make test-unix MICROPY_DIR=... (its submodules fetched)" % mpy)
    return mip, req


@pytest.mark.parametrize("flavour", ["mpy", "py"])
def test_micropython_unix_mip_install_then_avahi_resolves(testbed, tmp_path, flavour):
    assert os.path.exists(MPY_UNIX), "no MicroPython unix binary at %s: make unix MICROPY_DIR=... (or MDNS_MPY_UNIX=path)" % MPY_UNIX
    mip_src, req_src = _mpy_lib()
    tools = tmp_path / "tools"
    for src, name in ((mip_src, "mip"), (req_src, "requests")):
        (tools / name).mkdir(parents=True)
        shutil.copyfile(src, tools / name / "__init__.py")
    site = tmp_path / "site"
    subprocess.run([sys.executable, os.path.join(TOP, "tools", "firmware", "mip.py"), "build", str(site)],
                   check=True, capture_output=True)
    tb = testbed(["dut", "web", "avahi"])
    dut, web = tb["dut"], tb["web"]
    srv = web.popen([sys.executable, "-m", "http.server", "8000", "--bind", web.ip4, "--directory", str(site)],
                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    LineStream(srv, name="http.server").wait_for(lambda l: "Serving HTTP" in l, 10, what="http.server up")
    av = tb["avahi"].start_avahi()
    stream = av.browse_stream(TYPE)
    lib = tmp_path / "lib"
    lib.mkdir()
    script = tmp_path / "mipcam.py"
    script.write_text(_MPY_SCRIPT % (web.ip4, TYPE))
    url = "mpy/package.json" if flavour == "mpy" else "package.json"
    p = dut.popen([MPY_UNIX, str(script), str(lib), url, dut.ip4], stdout=subprocess.PIPE,
                  stderr=subprocess.STDOUT, env={"MICROPYPATH": str(tools) + ":.frozen"})
    out = LineStream(p, name="micropython")
    loaded = out.wait_for(lambda l: l.startswith("loaded "), 30, what="mip install + import")
    assert loaded == "loaded %s/mdns/responder.%s" % (lib, flavour), loaded
    out.wait_for(lambda l: l == "event claimed mipcam.local", 10, what="claimed")
    # what mip wrote is exactly the package's file set
    want = sorted(u[0] for u in json.loads((site / url).read_text())["urls"])
    got = sorted(os.path.relpath(os.path.join(d, f), lib) for d, _, fs in os.walk(lib) for f in fs)
    assert got == want
    assert av.resolve_name("mipcam.local", family=4) == dut.ip4
    r = stream.wait_for(lambda e: e["event"] == "resolved" and e["name"] == "Mip Cam", 10, what="resolved")
    assert r["host"] == "mipcam.local" and r["port"] == 8081 and r["txt"] == ["via=mip"]


def test_wheel_installed_in_a_fresh_venv_browses_avahi(testbed, tmp_path):
    sys.path.insert(0, os.path.join(TOP, "tests", "py"))
    import wheel_kit

    _, wheel, _ = wheel_kit.build(tmp_path / "dist")
    bin_ = wheel_kit.fresh_venv(tmp_path / "venv", wheel)
    tb = testbed(["dut", "avahi"])
    dut = tb["dut"]
    av = tb["avahi"].start_avahi()
    av.publish_service("Wheel Svc", TYPE, 9010, txt=["w=1"])
    r = dut.run([os.path.join(bin_, "mdns"), "browse", TYPE, "--json", "--timeout", "4",
                 "--interface", dut.ip4], timeout=20, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    ups = [e for e in map(json.loads, r.stdout.splitlines()) if e["event"] == "up"]
    assert [(e["instance"], e["host"], e["port"], e["txt"]) for e in ups] == [
        ("Wheel Svc", "avahi.local", 9010, {"w": "1"})], r.stdout


_HELD = r'''
import socket, sys
import mdns
held = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
held.bind(("0.0.0.0", 5353))   # like a built-in responder: no SO_REUSEADDR
try:
    mdns.Responder("held", addrs=[sys.argv[1]], ipv6=False).wait_claimed(1000)
except OSError as e:
    print("refused", e.args[0], e.args[1])
'''


def test_port_held_without_reuse_is_refused_with_one_clear_line(testbed):
    """What users of stock firmware meet (docs/stock-firmware.md): a stack holding 5353
    without SO_REUSEADDR; we say so and name the way out instead of a bare EADDRINUSE."""
    tb = testbed(["dut"])
    dut = tb["dut"]
    r = dut.python(["-c", _HELD, dut.ip4], timeout=20)
    assert r.stdout.startswith("refused 98 mdns: UDP 5353 is taken by another mDNS responder"), r.stdout + r.stderr
    assert "SO_REUSEADDR" in r.stdout and len(r.stdout.splitlines()) == 1


_MPY_HELD = r'''
import sys
sys.path.insert(0, sys.argv[2])
from mdns.responder import Responder
try:
    Responder("held", addrs=[sys.argv[1]], ipv6=False).wait_claimed(1000)
except OSError as e:
    print("refused", e.args[0], e.args[1])
'''


def test_micropython_unix_port_held_without_reuse_is_refused_clearly(testbed, tmp_path):
    """The same on the MicroPython unix port (its errno, its socket module)."""
    assert os.path.exists(MPY_UNIX), "no MicroPython unix binary at %s: make unix MICROPY_DIR=... (or MDNS_MPY_UNIX=path)" % MPY_UNIX
    tb = testbed(["dut"])
    dut = tb["dut"]
    holder = dut.python_popen(["-c", "import socket, time\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                                     "s.bind(('0.0.0.0', 5353))\nprint('held', flush=True)\ntime.sleep(30)"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    LineStream(holder, name="holder").wait_for(lambda l: l == "held", 10, what="5353 held")
    script = tmp_path / "held.py"
    script.write_text(_MPY_HELD)
    r = dut.run([MPY_UNIX, str(script), dut.ip4, os.path.join(TOP, "frozen")], timeout=20, check=False)
    assert r.stdout.startswith("refused 98 mdns: UDP 5353 is taken by another mDNS responder"), r.stdout + r.stderr
    assert "SO_REUSEADDR" in r.stdout


_HELD_RESOLVE = r'''
import socket, sys
import mdns
held = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
held.bind(("0.0.0.0", 5353))   # like a built-in responder: no SO_REUSEADDR
print("host", mdns.resolve_host("printer.local", 3000))
s = mdns.resolve_service("Office Printer", "_ipp._tcp", 3000)
print("service", s and (s["host"], s["port"], s["addresses"], s["txt"]))
print("types", mdns.service_types(1500))
'''


def test_resolvers_fall_back_to_one_shot_queries_when_5353_is_held(testbed):
    """Stock firmware keeps 5353: the one-shot resolvers ask from another port and
    Avahi answers them by unicast (RFC 6762 s5.1, s6.7)."""
    tb = testbed(["dut", "printer"])
    dut, pr = tb["dut"], tb["printer"]
    av = pr.start_avahi()
    av.publish_service("Office Printer", "_ipp._tcp", 631, txt=["rp=ipp/print"])
    r = dut.python(["-c", _HELD_RESOLVE], timeout=30)
    lines = r.stdout.splitlines()
    assert lines[0] == "host %r" % [pr.ip4, pr.ip6], r.stdout + r.stderr
    assert lines[1] == "service %r" % (("printer.local", 631, [pr.ip4, pr.ip6], {"rp": b"ipp/print"}),), r.stdout
    assert lines[2] == "types ['_ipp._tcp']", r.stdout
