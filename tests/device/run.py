"""Device tests: a flashed mdnsfast board on the same LAN as this host.

    make test-device PORT=/dev/ttyUSB0 OTA_RELEASE=DIR [WIFI_SSID=... WIFI_PASSWORD=...]
    python tests/device/run.py --port /dev/ttyUSB0 --ota-release DIR [--ssid S --password P]
    (OTA=0 / --no-ota instead of a release: steps 1-3 only, and the output says so)

Through mpremote (`mpremote connect PORT run FILE`; a Python exception on the board makes
mpremote exit 1), with the board scripts dev_*.py (dev_common.py and a CFG line prepended):
  1. firmware: `import mdns` is frozen (no file on the board), mdnsfast is present and
     mdns.wire uses it, os.uname().machine names the mdnsfast board, build info, heap;
  2. responder: the board claims mdnsfast-dt-XXXX.local and "mdnsfast device test XXXX"
     (_mdnsfast-dt._tcp, TXT); python-zeroconf on this host browses, resolves the service
     (port, TXT, address) and the host name; the project's own CLI browser
     (`python -m mdns browse`) finds it too; when the board closes, zeroconf sees the goodbye;
  3. client: this host publishes a service with python-zeroconf; the board resolves the
     host's name (mdns.resolve_host) and browses the service (mdns.Browser);
  4. fleet OTA (tests/device/ota.py): upgrade to OTA_RELEASE (a release of a bumped
     firmware version), see it come back valid, survive a hard reset, then force a
     rollback with `mpremote touch :fleet.veto`;
  free heap before/after is printed for each step.
This opens mDNS sockets on this host's LAN (it is the point of the test): it never runs
in `make test`, and nothing is opened before the board has answered over serial.
"""
import argparse
import atexit
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, "..", ".."))
MARK = "@@DEV "
TYPE = "_mdnsfast-dt._tcp"  # service name <= 15 characters (RFC 6763 s7.2)
HOST_TYPE = "_mdnsfast-dh._tcp"


class DeviceTestError(Exception):
    pass


def mpremote_cmd(port):
    exe = os.path.join(os.path.dirname(sys.executable), "mpremote")
    return [exe if os.path.exists(exe) else "mpremote", "connect", port]


def board_script(name, cfg):
    with open(os.path.join(HERE, "dev_common.py")) as f:
        common = f.read()
    with open(os.path.join(HERE, name)) as f:
        body = f.read()
    fd, path = tempfile.mkstemp(suffix="_" + name)
    atexit.register(lambda: os.path.exists(path) and os.unlink(path))
    with os.fdopen(fd, "w") as f:
        f.write("CFG = %r\n%s\n%s" % (cfg, common, body))
    return path


def start(port, name, cfg):
    path = board_script(name, cfg)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    p = subprocess.Popen(mpremote_cmd(port) + ["run", path], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, env=env)
    p.script = path
    return p


def reports(p, until_kind, timeout):
    """Read the board's output until a report of `until_kind`; returns {kind: report}."""
    got = {}
    lines = []
    deadline = time.monotonic() + timeout
    timer = threading.Timer(timeout, p.kill)
    timer.start()
    try:
        for line in p.stdout:
            lines.append(line.rstrip())
            if line.startswith(MARK):
                rec = json.loads(line[len(MARK):])
                got[rec["kind"]] = rec
                print("  board: %s" % json.dumps(rec))
                if rec["kind"] == until_kind:
                    return got
            if time.monotonic() > deadline:
                break
    finally:
        timer.cancel()
    raise DeviceTestError("board did not report %r; its output:\n  %s" % (until_kind, "\n  ".join(lines[-30:])))


def finish(p, timeout=30):
    try:
        rest = p.communicate(timeout=timeout)[0] or ""
    except subprocess.TimeoutExpired:
        p.kill()
        rest = p.communicate()[0] or ""
    if p.returncode != 0:
        raise DeviceTestError("board script failed (mpremote exit %s):\n%s" % (p.returncode, rest))
    return rest


def check(cond, what):
    if not cond:
        raise DeviceTestError(what)
    print("  ok: %s" % what.split(":")[0])


def step_firmware(port, cfg):
    print("== device: firmware (frozen mdns, mdnsfast, board name, versions)")
    p = start(port, "dev_check.py", cfg)
    r = reports(p, "check", 60)["check"]
    finish(p)
    check(not r["on_filesystem"] and not r["lib_mdns"], "mdns is frozen: %r, /lib/mdns present=%s" % (r["mdns_file"], r["lib_mdns"]))
    check(r["wire_backend_is_c"], "mdns.wire uses the mdnsfast C module")
    check({"read_name", "name_eq", "walk", "match", "write_name"} <= set(r["mdnsfast"]), "mdnsfast functions: %s" % r["mdnsfast"])
    check("mdnsfast" in r["machine"], "os.uname().machine names the firmware: %r" % r["machine"])
    check(r["build"].startswith("mdns %s" % r["version"]), "build info: %r" % r["build"])
    print("  heap: %d bytes free before, %d after importing the package" % (r["heap_free_before"], r["heap_free_after_import"]))
    return r


def step_responder(port, cfg, tag, version):
    from zeroconf import AddressResolver, ServiceBrowser, ServiceStateChange, Zeroconf

    print("== device: the board's responder seen from this host")
    instance = "mdnsfast device test %s" % tag
    hostname = "mdnsfast-dt-%s" % tag
    c = dict(cfg, hostname=hostname, instance=instance, type=TYPE, port=8080, hold_s=25,
             txt={"fw": version, "test": tag})
    p = start(port, "dev_responder.py", c)
    try:
        ready = reports(p, "ready", 60)["ready"]
        ip = ready["ip"]
        check(ready["hostname"] == hostname + ".local", "board claimed %s" % ready["hostname"])
        zc = Zeroconf()
        events = []
        full = "%s.%s.local." % (instance, TYPE)
        ServiceBrowser(zc, TYPE + ".local.", handlers=[lambda zeroconf, service_type, name, state_change:
                                                       events.append((state_change, name))])
        try:
            t0 = time.monotonic()
            while not any(e == (ServiceStateChange.Added, full) for e in events) and time.monotonic() - t0 < 10:
                time.sleep(0.1)
            check(any(e == (ServiceStateChange.Added, full) for e in events), "zeroconf browser: Added %s" % full)
            info = zc.get_service_info(TYPE + ".local.", full, timeout=5000)
            check(info is not None, "zeroconf resolved the service")
            check(info.port == 8080, "port 8080: %s" % info.port)
            props = {k.decode(): (v.decode() if v is not None else None) for k, v in info.properties.items()}
            check(props == {"fw": version, "test": tag}, "TXT: %s" % props)
            check(ip in info.parsed_addresses(), "service address %s in %s" % (ip, info.parsed_addresses()))
            check(info.server == hostname + ".local.", "SRV target %s" % info.server)
            ar = AddressResolver(hostname + ".local.")
            check(ar.request(zc, 3000) and ip in ar.parsed_addresses(), "zeroconf resolves %s.local to %s" % (hostname, ip))
            cli = subprocess.run([sys.executable, "-m", "mdns", "browse", TYPE, "--timeout", "6", "--json"],
                                 capture_output=True, text=True, timeout=30, cwd=TOP)
            ups = [json.loads(l) for l in cli.stdout.splitlines() if l.startswith("{")]
            check(any(u.get("instance") == instance and u.get("port") == 8080 for u in ups),
                  "python -m mdns browse finds the board's service: %s %s" % (cli.stdout[-400:], cli.stderr[-400:]))
            done = reports(p, "done", 60)["done"]
            t0 = time.monotonic()
            while not any(e == (ServiceStateChange.Removed, full) for e in events) and time.monotonic() - t0 < 5:
                time.sleep(0.1)
            check(any(e == (ServiceStateChange.Removed, full) for e in events), "zeroconf saw the goodbye (Removed)")
        finally:
            zc.close()
        print("  heap: %d bytes free before, %d while running, %d after close" % (
            done["heap_free_before"], ready["heap_free_running"], done["heap_free_after"]))
        finish(p)
        return ip
    finally:
        if p.poll() is None:
            p.kill()


def step_client(port, cfg, tag, board_ip):
    from zeroconf import ServiceInfo, Zeroconf

    print("== device: the board resolves and browses this host")
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect((board_ip, 9))  # no packet: picks the local address on the board's LAN
    host_ip = s.getsockname()[0]
    s.close()
    host = "mdnsfast-dh-%s" % tag
    instance = "mdnsfast host %s" % tag
    zc = Zeroconf(interfaces=[host_ip])
    info = ServiceInfo(HOST_TYPE + ".local.", "%s.%s.local." % (instance, HOST_TYPE), port=9,
                       properties={"k": "v"}, server=host + ".local.", addresses=[socket.inet_aton(host_ip)])
    zc.register_service(info)
    try:
        p = start(port, "dev_browse.py", dict(cfg, host=host + ".local", type=HOST_TYPE, instance=instance))
        r = reports(p, "browse", 60)["browse"]
        finish(p)
    finally:
        zc.unregister_service(info)
        zc.close()
    check(host_ip in r["addresses"], "board resolved %s.local to %s: %s" % (host, host_ip, r["addresses"]))
    ups = [u for u in r["up"] if u["instance"] == instance]
    check(ups and ups[0]["port"] == 9 and ups[0]["txt"] == {"k": "v"} and host_ip in ups[0]["addresses"],
          "board browsed %s: %s" % (instance, r["up"]))
    print("  resolve %d ms, browse %d ms; heap: %d bytes free before, %d after" % (
        r["resolve_ms"], r["browse_ms"], r["heap_free_before"], r["heap_free_after"]))


def main(argv=None):
    ap = argparse.ArgumentParser(description="device tests against a flashed mdnsfast board")
    ap.add_argument("--port", required=True, help="serial port of the board, e.g. /dev/ttyUSB0")
    ap.add_argument("--ssid", default=os.environ.get("WIFI_SSID", ""))
    ap.add_argument("--password", default=os.environ.get("WIFI_PASSWORD", ""))
    ap.add_argument("--ota-release", default=os.environ.get("OTA_RELEASE", ""),
                    help="release directory (make release) of a newer firmware version than the board runs")
    ap.add_argument("--no-ota", action="store_true", default=os.environ.get("OTA") == "0",
                    help="leave out the fleet OTA step (said so in the output)")
    a = ap.parse_args(argv)
    if not a.ota_release and not a.no_ota:
        print("test-device: the fleet OTA step needs a release of a newer firmware version than the board runs:\n"
              "  bump frozen/mdns/version.py, make firmware BOARD=... && make release, then\n"
              "  make test-device PORT=%s OTA_RELEASE=build/release   (or OTA=0 to leave the step out)" % a.port)
        return 2
    if not a.no_ota:
        from mdns.host import fleet_release

        try:
            imgs = fleet_release.load(a.ota_release)  # before any step: a wrong directory fails at once
        except (fleet_release.ReleaseError, ValueError, OSError) as e:
            print("test-device: OTA_RELEASE=%s: %s" % (a.ota_release, e))
            return 2
        print("== device: OTA release %s: %s" % (a.ota_release, ", ".join(
            "%s %s" % (b, imgs[b].version) for b in sorted(imgs))))
    tag = "%04x" % random.getrandbits(16)
    cfg = {"ssid": a.ssid, "password": a.password}
    try:
        fw = step_firmware(a.port, cfg)
        ip = step_responder(a.port, cfg, tag, fw["version"])
        step_client(a.port, cfg, tag, ip)
        if a.no_ota:
            print("== device: fleet OTA NOT RUN (OTA=0 / --no-ota)")
        else:
            import ota

            print("== device: fleet OTA: upgrade to %s, valid, hard reset, forced rollback" % a.ota_release)
            try:
                ota.OtaTest(a.port, cfg, a.ota_release, tag).run()
            except (ota.OtaError, ValueError, OSError) as e:
                raise DeviceTestError("fleet OTA: %s" % e)
    except DeviceTestError as e:
        print("FAIL: %s" % e)
        return 1
    print("== device: all passed (%s, %s)%s" % (fw["machine"], fw["build"], " except fleet OTA (not run)" if a.no_ota else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
