"""Fleet OTA end to end on a virtual LAN: simulated devices (the real device agent,
responder and browser on real sockets, the flash stand-in for their OTA slots),
each in its own namespace, and `python -m mdns fleet ...` on a host namespace.

Run as a script with --fault-host, this file is also the misbehaving host of the
refusal test: the real Rollout and HTTP server, with offers tampered with and
replies broken per device (things the CLI never does on purpose).
"""
import json
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SLOT = 0x40000  # small OTA slots keep the images (and the tests) small
WATCHDOG = "3"  # seconds new simulated firmware has to mark itself valid


# ------------------------------------------------------------------ helpers
def _py(tb, name, argv, check=True, timeout=120):
    return tb[name].python(["-m", "mdns", "fleet"] + argv, check=check, timeout=timeout)


def start_devices(tb, names, board_of, key, version="0.1.0"):
    procs = {}
    for n in names:
        st = os.path.join(tb.dir, "state-" + n)
        log = open(os.path.join(tb.dir, "log-" + n), "w")
        procs[n] = tb[n].python_popen(
            ["-m", "mdns", "fleet", "simulate", "--board", board_of(n), "--version", version, "--key", key + ".pub",
             "--name", n, "--state", st, "--slot-size", hex(SLOT), "--watchdog", WATCHDOG],
            stdout=log, stderr=subprocess.STDOUT)
    return procs


def fleet_list(tb, host="host", want=None, timeout=30):
    """`fleet list --json` until `want` devices are listed (or timeout) -> {name: row}."""
    end = time.time() + timeout
    while True:
        r = _py(tb, host, ["list", "--json", "--timeout", "2"])
        rows = {d["name"]: d for d in json.loads(r.stdout)}
        if want is None or len(rows) >= want or time.time() > end:
            return rows
        time.sleep(0.5)


def wait_for(tb, pred, timeout=40, host="host"):
    end = time.time() + timeout
    while True:
        rows = fleet_list(tb, host)
        if pred(rows) or time.time() > end:
            return rows
        time.sleep(0.5)


def device_log(tb, name):
    with open(os.path.join(tb.dir, "log-" + name)) as f:
        return f.read()


def otadata(tb, name):
    with open(os.path.join(tb.dir, "state-" + name, "flash", "otadata.json")) as f:
        return json.load(f)


def keygen(tb, name="fleet.key", host="host"):
    path = os.path.join(tb.dir, name)
    _py(tb, host, ["keygen", path])
    return path


def release(tb, name, board, version, *extra):
    d = os.path.join(tb.dir, name)
    _py(tb, "host", ["simulate-release", d, "--board", board, "--version", version] + list(extra))
    return d


BOARD_A = "SIM_A"
BOARD_B = "SIM_B"
A = ["a%d" % i for i in range(1, 7)]
B = ["b%d" % i for i in range(1, 5)]


def board_of(n):
    return BOARD_A if n.startswith("a") else BOARD_B


def fleet_lan(testbed, names):
    tb = testbed(["host"] + names)
    key = keygen(tb)
    procs = start_devices(tb, names, board_of, key)
    rows = fleet_list(tb, want=len(names))
    assert sorted(rows) == sorted(names), (sorted(rows), [device_log(tb, n)[-500:] for n in names])
    return tb, key, procs, rows


# ------------------------------------------------------------------ tests
def test_list_then_upgrade_one_board(testbed):
    tb, key, procs, rows = fleet_lan(testbed, A + B)
    for n in A + B:
        d = rows[n]
        assert d["board"] == board_of(n) and d["fw"] == "0.1.0" and d["ota"] == "valid", d
        assert d["slot"] == "ota_0" and d["chip"] == "sim" and d["mpy"] == "1.29.0" and d["last_error"] == ""
        assert d["address"] == tb[n].ip4 and len(d["app"]) == 12
    table = _py(tb, "host", ["list"]).stdout
    assert "10 device(s)" in table and "LAST ERROR" in table

    rel = release(tb, "rel-a2", BOARD_A, "0.2.0", "--slot-size", hex(SLOT))
    t0 = time.time()
    r = _py(tb, "host", ["upgrade", rel, "--key", key, "--board", BOARD_A, "--canary", "1", "--max-parallel", "3",
                         "--timeout", "60", "--discover", "2"], check=False, timeout=150)
    took = time.time() - t0
    assert r.returncode == 0, r.stdout + r.stderr
    assert "6 of 6 device(s) on the release" in r.stdout, r.stdout
    assert "(1 canary)" in r.stdout
    for n in B:
        assert "untouched" in [l for l in r.stdout.splitlines() if l.startswith(n + " ")][0]
    rows = wait_for(tb, lambda rows: all(rows.get(n, {}).get("ota") == "valid" for n in A))
    for n in A:
        assert rows[n]["fw"] == "0.2.0" and rows[n]["ota"] == "valid" and rows[n]["slot"] == "ota_1", rows[n]
        assert otadata(tb, n)["states"]["ota_1"] == "valid"
        assert "marked valid" in device_log(tb, n)
    for n in B:
        assert rows[n]["fw"] == "0.1.0" and rows[n]["slot"] == "ota_0" and rows[n]["last_error"] == "", rows[n]
        assert "upgrading" not in device_log(tb, n)
    print("fleet upgrade of 6 devices took %.1fs" % took)


# device -> (fault, the reason the device must report)
FAULTS = {
    "b1": ("signature", "signature"),
    "b2": ("unsigned", "unsigned"),
    "b3": ("wrongkey", "signature"),
    "b4": ("board", "board"),
    "a1": ("downgrade", "downgrade"),
    "a2": ("size", "size"),
    "a3": ("sha256", "sha256"),
    "a4": ("cut", "truncated"),
    "a5": ("garbage", "http"),
}


def test_refusals_leave_devices_on_their_firmware(testbed):
    tb, key, procs, rows = fleet_lan(testbed, A + B)
    rel = os.path.join(tb.dir, "rel")
    _py(tb, "host", ["simulate-release", rel, "--board", BOARD_A, "--version", "0.2.0"])
    _py(tb, "host", ["simulate-release", rel, "--board", BOARD_B, "--version", "0.2.0"])
    before = {n: otadata(tb, n) for n in A + B}
    cases = ["%s=%s" % (n, FAULTS[n][0]) for n in sorted(FAULTS)]
    r = tb["host"].python([os.path.abspath(__file__), "--fault-host", rel, key] + cases, check=False, timeout=150)
    assert r.returncode == 1, r.stdout + r.stderr
    summary = json.loads(r.stdout.strip().splitlines()[-1])
    for n, (fault, reason) in FAULTS.items():
        assert summary[n]["result"] == "failed" and summary[n]["detail"] == reason, (n, summary[n])
    assert summary["a6"]["result"] == "ok", summary["a6"]  # the control device did upgrade
    rows = fleet_list(tb, want=10)
    for n, (fault, reason) in FAULTS.items():
        d = rows[n]
        assert d["last_error"] == reason and d["fw"] == "0.1.0" and d["ota"] == "valid" and d["slot"] == "ota_0", d
        assert otadata(tb, n)["boot"] == "ota_0" and otadata(tb, n) == before[n], n  # nothing set to boot
        assert reason in device_log(tb, n)
    assert rows["a6"]["fw"] == "0.2.0"
    table = _py(tb, "host", ["list"]).stdout
    assert all(reason in table for _, reason in FAULTS.values())


def test_never_valid_rolls_back_and_canary_failure_stops_rollout(testbed):
    tb, key, procs, rows = fleet_lan(testbed, B)
    rel = release(tb, "rel-bad", BOARD_B, "0.3.0", "--flag", "novalid")
    r = _py(tb, "host", ["upgrade", rel, "--key", key, "--canary", "1", "--max-parallel", "4", "--timeout", "60",
                         "--discover", "2"], check=False, timeout=150)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "canary failed: b1" in r.stdout, r.stdout
    assert "rolled back (rollback)" in r.stdout
    for n in ("b2", "b3", "b4"):
        assert any(l.startswith(n + " ") and "skipped" in l and "canary failed" in l for l in r.stdout.splitlines())
    rows = fleet_list(tb, want=4)
    d = rows["b1"]
    # last_error: `rollback`, or `stale` once the old firmware has judged the offer still out (a new boot, a new nonce)
    assert d["fw"] == "0.1.0" and d["ota"] == "rolled-back" and d["last_error"] in ("rollback", "stale"), d
    assert d["slot"] == "ota_0" and "rolled back to ota_0" in device_log(tb, "b1")
    assert otadata(tb, "b1")["states"]["ota_1"] == "aborted"
    log = device_log(tb, "b1")
    assert "0.3.0 from ota_1 (pending-verify)" in log and "veto" in log and "not marked valid" in log
    for n in ("b2", "b3", "b4"):
        assert rows[n]["fw"] == "0.1.0" and rows[n]["ota"] == "valid" and rows[n]["last_error"] == "", rows[n]
        assert "upgrading" not in device_log(tb, n)


def test_crash_at_start_rolls_back(testbed):
    tb, key, procs, rows = fleet_lan(testbed, ["b1"])
    rel = release(tb, "rel-crash", BOARD_B, "0.3.0", "--flag", "crash")
    r = _py(tb, "host", ["upgrade", rel, "--key", key, "--timeout", "40", "--discover", "2"], check=False, timeout=120)
    assert r.returncode == 1 and "rolled back" in r.stdout, r.stdout + r.stderr
    d = fleet_list(tb, want=1)["b1"]
    assert d["fw"] == "0.1.0" and d["ota"] == "rolled-back", d


def test_host_killed_mid_rollout(testbed):
    tb, key, procs, rows = fleet_lan(testbed, ["b1", "b2"])
    rel = release(tb, "rel", BOARD_B, "0.2.0", "--size", hex(SLOT - 4096))
    p = tb["host"].python_popen([os.path.abspath(__file__), "--fault-host", rel, key, "b1=slow", "b2=slow"],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    # wait until both devices are downloading, then kill the host without a goodbye
    end = time.time() + 60
    seen = set()
    while len(seen) < 2 and time.time() < end:
        line = p.stdout.readline()
        if not line:
            break
        if "downloading" in line and "%" in line:  # the server is sending
            seen.add(line.split()[0])
    assert seen == {"b1", "b2"}, seen
    os.killpg(p.pid, signal.SIGKILL)
    p.wait()
    rows = wait_for(tb, lambda rows: all(rows.get(n, {}).get("last_error") for n in ("b1", "b2")), timeout=40)
    for n in ("b1", "b2"):
        d = rows[n]
        assert d["fw"] == "0.1.0" and d["ota"] == "valid" and d["last_error"] in ("truncated", "timeout"), d
        assert otadata(tb, n)["boot"] == "ota_0"


def test_ctrl_c_withdraws_offers(testbed):
    tb = testbed(["host", "watch", "b1"])
    key = keygen(tb)
    start_devices(tb, ["b1"], board_of, key)
    assert fleet_list(tb, want=1)
    rel = release(tb, "rel", BOARD_B, "0.2.0", "--size", hex(SLOT - 4096))
    watch = tb["watch"].python_popen(["-c", WATCH_OFFERS], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    # b1 downloads slowly through the fault host; Ctrl-C it while it serves
    p = tb["host"].python_popen([os.path.abspath(__file__), "--fault-host", rel, key, "b1=slow"],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    end = time.time() + 60
    while time.time() < end:
        line = p.stdout.readline()
        if not line or "%" in line:  # the server is sending
            break
    os.killpg(p.pid, signal.SIGINT)
    out = p.communicate(timeout=30)[0]
    assert p.returncode == 130, out
    assert "offers withdrawn" in out
    # the watcher saw the offer come and go (the goodbye, not a TTL expiry)
    end = time.time() + 10
    events = []
    while time.time() < end and not any(e.startswith("down b1") for e in events):
        events.append(watch.stdout.readline().strip())
    assert "up b1" in events and any(e.startswith("down b1") for e in events), events
    d = wait_for(tb, lambda rows: rows.get("b1", {}).get("last_error"), timeout=40)["b1"]
    assert d["fw"] == "0.1.0" and d["ota"] == "valid" and d["last_error"] in ("truncated", "timeout"), d


def test_walkthrough_on_one_machine(testbed):
    # docs/fleet.md "Trying it without a board": simulators and the CLI on one host
    tb = testbed(["laptop"])
    lap = tb["laptop"]
    key = keygen(tb, "k", host="laptop")
    for n in ("sim-1", "sim-2"):
        lap.python_popen(["-m", "mdns", "fleet", "simulate", "--board", "SIM", "--version", "0.1.0", "--key", key + ".pub",
                          "--name", n, "--state", os.path.join(tb.dir, n)],
                         stdout=open(os.path.join(tb.dir, "log-" + n), "w"), stderr=subprocess.STDOUT)
    rows = fleet_list(tb, "laptop", want=2)
    assert sorted(rows) == ["sim-1", "sim-2"], rows
    rel = os.path.join(tb.dir, "rel")
    lap.python(["-m", "mdns", "fleet", "simulate-release", rel, "--board", "SIM", "--version", "0.2.0"])
    r = lap.python(["-m", "mdns", "fleet", "upgrade", rel, "--key", key, "--timeout", "60", "--json"], check=False,
                   timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    check_upgrade_json(json.loads(r.stdout), ["sim-1", "sim-2"])  # stdout is the JSON alone
    rows = wait_for(tb, lambda rows: all(rows.get(n, {}).get("ota") == "valid" and rows[n]["fw"] == "0.2.0"
                                         for n in ("sim-1", "sim-2")), host="laptop")
    assert all(rows[n]["fw"] == "0.2.0" and rows[n]["slot"] == "ota_1" for n in ("sim-1", "sim-2")), rows
    check_list_json(list(rows.values()))


# the --json schemas of docs/fleet.md
LIST_KEYS = {"name", "address", "addresses", "host", "fw", "board", "chip", "mpy", "slot", "ota", "app", "last_error",
             "offer", "progress", "nonce", "key", "took"}
ROW_KEYS = {"device", "board", "from", "to", "result", "detail", "time", "address"}


def check_list_json(rows):
    assert rows
    for d in rows:
        assert set(d) == LIST_KEYS, sorted(d)
        assert all(isinstance(d[k], str) for k in LIST_KEYS - {"addresses"}), d
        assert isinstance(d["addresses"], list) and all(isinstance(a, str) for a in d["addresses"])
        assert len(d["nonce"]) == 16 and len(d["key"]) == 8, d


def check_upgrade_json(obj, names):
    assert set(obj) == {"devices", "stopped", "exit", "bytes_sent"}, obj
    assert obj["exit"] == 0 and obj["stopped"] is None and isinstance(obj["bytes_sent"], int)
    assert sorted(d["device"] for d in obj["devices"]) == sorted(names)
    for d in obj["devices"]:
        assert set(d) == ROW_KEYS and all(isinstance(v, str) for v in d.values()), d
        assert d["result"] in ("ok", "up-to-date", "failed", "timeout", "skipped", "interrupted"), d


WATCH_OFFERS = r"""
import sys
from mdns.browser import Browser
from mdns.fleet import OFFER_TYPE
def ev(e):
    if e.kind in ("up", "down"):
        print(e.kind, e.instance, getattr(e, "reason", ""), flush=True)
b = Browser(OFFER_TYPE, on_event=ev, ipv6=False)
while True:
    b.poll(200)
"""


# ------------------------------------------------------------------ the misbehaving host
def fault_host(argv):
    """fault-host RELEASE KEYFILE NAME=FAULT ...: offers only to the named devices
    (and to a6 when present, unharmed), faults applied; prints progress, then one
    JSON line {name: row}; exit status as `fleet upgrade`."""
    from cryptography.hazmat.primitives.asymmetric import ec

    from mdns.fleet import offer as _offer
    from mdns.host import fleet_keys, fleet_net, fleet_release, fleet_rollout, fleet_server
    from mdns.responder import Responder

    rel, keyfile = argv[0], argv[1]
    faults = dict(a.split("=", 1) for a in argv[2:])
    key = fleet_keys.signer(fleet_keys.load_private(keyfile))
    other = fleet_keys.signer(ec.generate_private_key(ec.SECP256R1()))
    images = fleet_release.load(rel)
    by_ip = {}

    class Handler(fleet_server._Handler):
        def do_GET(self):
            fault = by_ip.get(self.client_address[0])
            img = self.server.owner.files.get(self.path)
            if fault in ("cut", "slow") and img is not None:
                self.send_response(200)
                self.send_header("Content-Length", str(img.size))
                self.end_headers()
                with open(img.path, "rb") as f:
                    data = f.read()
                if fault == "cut":
                    self.wfile.write(data[: img.size // 2])
                    return
                for i in range(0, len(data), 4096):  # ~40 KB/s: long enough to kill us meanwhile
                    self.wfile.write(data[i : i + 4096])
                    self.server.owner._note(self.client_address[0], 4096, img, start=(i == 0))
                    time.sleep(0.1)
                return
            if fault == "garbage":
                self.wfile.write(os.urandom(3000))
                return
            fleet_server._Handler.do_GET(self)

    def tamper(o):
        f = faults.get(o["dev"])

        def resign(k=key):
            o["sig"] = _offer._signed(dict(o), k)["sig"]

        if f == "signature":
            o["v"] = "9.9.9"
        elif f == "unsigned":
            del o["sig"]
        elif f == "wrongkey":
            resign(other)
        elif f == "board":
            o["board"] = BOARD_A if o["board"] == BOARD_B else BOARD_B
            resign()
        elif f == "downgrade":
            o["v"] = "0.0.1"
            resign()
        elif f == "size":
            o["len"] = str(SLOT + 4096)
            resign()
        elif f == "sha256":
            o["sha"] = "0" * 64
            resign()
        return o

    signal.signal(signal.SIGTERM, lambda *a: sys.exit(3))
    resp = Responder("fault-host", ipv6=False)
    resp.sockets()
    bind = [a for a in resp.addrs if ":" not in a][0]
    server = fleet_server.ImageServer(images, bind, handler=Handler).start()
    fleet = fleet_net.Fleet(driver=resp.driver)
    fleet.run_for(2)
    only = sorted(faults) + (["a6"] if "a6" in fleet.devices else [])
    for n in faults:
        by_ip[fleet.devices[n]["address"]] = faults[n]
    ro = fleet_rollout.Rollout(images, key, resp, fleet, server, only=only, max_parallel=len(only), timeout=90,
                               tamper=tamper, live=False, host="fault-host")
    ro.plan()
    rc = 1
    try:
        rc = ro.run()
    except KeyboardInterrupt:
        ro.interrupt()
        print("interrupted: offers withdrawn", flush=True)
        rc = 130
    finally:
        resp.close()
        server.stop()
    print(json.dumps({t.name: t.row() for t in ro.targets}), flush=True)
    return rc


if __name__ == "__main__" and sys.argv[1:2] == ["--fault-host"]:
    sys.exit(fault_host(sys.argv[2:]))
