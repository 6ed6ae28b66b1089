"""Fleet OTA under attack and with several hosts (issue 12), end to end on a virtual
LAN: simulated devices, `python -m mdns fleet ...` on host namespaces, and an
attacker ("mallory") that records every offer on the wire and publishes recorded
offers again later, as they were or with a field changed.

Run as a script, this file is the attacker:
  --capture OUT.jsonl                  append every offer seen (instance, TXT)
  --replay FILE.jsonl DEV V [K=V ...]  publish the recorded offer for DEV of version V
                                       (the last one recorded), fields K changed
                                       (K=instance names the instance), until killed
"""
import json
import os
import subprocess
import sys
import time

from test_fleet_e2e import (BOARD_A, SLOT, _py, device_log, fleet_list, keygen, otadata, release,
                            start_devices, wait_for)

HERE = os.path.abspath(__file__)


def _board_a(n):
    return BOARD_A


def lan(testbed, names, extra=("host", "mallory")):
    tb = testbed(list(extra) + list(names))
    key = keygen(tb)
    start_devices(tb, names, _board_a, key)
    rows = fleet_list(tb, want=len(names))
    assert sorted(rows) == sorted(names), rows
    return tb, key


def capture(tb):
    path = os.path.join(tb.dir, "captured.jsonl")
    p = tb["mallory"].python_popen([HERE, "--capture", path], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    return p, path


def recorded(path, dev, version, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        found = None
        if os.path.exists(path):
            with open(path) as f:
                for line in f:
                    r = json.loads(line)
                    if r["txt"].get("dev") == dev and r["txt"].get("v") == version:
                        found = r["txt"]
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError("no offer for %s %s captured" % (dev, version))


def replay(tb, path, dev, version, *changes):
    return tb["mallory"].python_popen([HERE, "--replay", path, dev, version] + list(changes),
                                      stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)


def stop(p):
    p.terminate()
    try:
        p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()


def upgrade(tb, rel, key, *extra, host="host", timeout=60):
    return _py(tb, host, ["upgrade", rel, "--key", key, "--discover", "2", "--timeout", str(timeout)] + list(extra),
               check=False, timeout=timeout + 60)


def refused(tb, name, reason, fw, before, timeout=30):
    """The device reports `reason`, stays on `fw`, and its otadata is still `before`."""
    rows = wait_for(tb, lambda rows: rows.get(name, {}).get("last_error") == reason, timeout=timeout)
    d = rows[name]
    assert d["last_error"] == reason and d["fw"] == fw and d["ota"] in ("valid", "rolled-back"), d
    assert otadata(tb, name) == before, name  # otadata: boot slot and states untouched
    assert "refused: " + reason in device_log(tb, name)


# ------------------------------------------------------------------ tests
def test_replays_to_the_same_device_to_another_and_of_a_downgrade(testbed):
    tb, key = lan(testbed, ["a1", "a2"])
    cap, path = capture(tb)
    try:
        rel2 = release(tb, "rel2", BOARD_A, "0.2.0", "--slot-size", hex(SLOT))
        r = upgrade(tb, rel2, key, "--only", "a1")
        assert r.returncode == 0, r.stdout + r.stderr
        o1 = recorded(path, "a1", "0.2.0")
        wait_for(tb, lambda rows: rows["a1"]["fw"] == "0.2.0" and rows["a1"]["ota"] == "valid")

        # 1. the captured offer again, to the device that took it
        before = otadata(tb, "a1")
        p = replay(tb, path, "a1", "0.2.0")
        refused(tb, "a1", "stale", "0.2.0", before)
        stop(p)

        # 2. to another device: as it was (not addressed to a2: ignored) and readdressed (signature)
        before = otadata(tb, "a2")
        p1 = replay(tb, path, "a1", "0.2.0", "instance=a2")
        p2 = replay(tb, path, "a1", "0.2.0", "instance=a2 (9)", "dev=a2")
        refused(tb, "a2", "signature", "0.1.0", before)
        stop(p1)
        stop(p2)
        assert "upgrading" not in device_log(tb, "a2")

        # 3. a downgrade offer captured, the device upgraded again, the offer replayed
        rel09 = release(tb, "rel09", BOARD_A, "0.0.9", "--slot-size", hex(SLOT))
        r = upgrade(tb, rel09, key, "--only", "a1", "--allow-downgrade")
        assert r.returncode == 0, r.stdout + r.stderr
        o2 = recorded(path, "a1", "0.0.9")
        assert o2["dg"] == "1" and o2["nonce"] != o1["nonce"]
        r = upgrade(tb, rel2, key, "--only", "a1")
        assert r.returncode == 0, r.stdout + r.stderr
        wait_for(tb, lambda rows: rows["a1"]["fw"] == "0.2.0" and rows["a1"]["ota"] == "valid")
        before = otadata(tb, "a1")
        p = replay(tb, path, "a1", "0.0.9")
        refused(tb, "a1", "stale", "0.2.0", before)
        stop(p)
    finally:
        stop(cap)


def test_rolled_back_offer_replayed_after_a_good_upgrade(testbed):
    tb, key = lan(testbed, ["a1"])
    cap, path = capture(tb)
    try:
        bad = release(tb, "rel-bad", BOARD_A, "0.3.0", "--flag", "novalid")
        r = upgrade(tb, bad, key)
        assert r.returncode == 1 and "rolled back" in r.stdout, r.stdout + r.stderr
        recorded(path, "a1", "0.3.0")
        good = release(tb, "rel-good", BOARD_A, "0.2.0")
        r = upgrade(tb, good, key)
        assert r.returncode == 0, r.stdout + r.stderr
        wait_for(tb, lambda rows: rows["a1"]["fw"] == "0.2.0" and rows["a1"]["ota"] == "valid")
        # the captured offer of the image it rolled back from: stale
        before = otadata(tb, "a1")
        p = replay(tb, path, "a1", "0.3.0")
        refused(tb, "a1", "stale", "0.2.0", before)
        stop(p)
        # a fresh, honest offer of that image: refused unless it says --retry
        r = upgrade(tb, bad, key)
        assert r.returncode == 1 and "rolled-back-before" in r.stdout, r.stdout + r.stderr
        d = fleet_list(tb, want=1)["a1"]
        assert d["fw"] == "0.2.0" and d["slot"] == "ota_1" and otadata(tb, "a1")["boot"] == "ota_1", d
    finally:
        stop(cap)


def test_rekey_retires_the_old_key(testbed):
    tb, key = lan(testbed, ["a1"], extra=("host",))
    new = keygen(tb, "new.key")
    r = _py(tb, "host", ["rekey", new, "--key", key, "--discover", "2", "--timeout", "30"], check=False, timeout=90)
    assert r.returncode == 0, r.stdout + r.stderr
    from mdns.fleet import offer

    with open(new + ".pub") as f:
        fp = offer.fingerprint(bytes.fromhex(f.read().strip()))
    assert fleet_list(tb, want=1)["a1"]["key"] == fp
    with open(os.path.join(tb.dir, "state-a1", "fleet.pub")) as f, open(new + ".pub") as g:
        assert f.read() == g.read()
    rel = release(tb, "rel", BOARD_A, "0.2.0")
    before = otadata(tb, "a1")
    r = upgrade(tb, rel, key)  # the retired key
    assert r.returncode == 1 and "signature" in r.stdout, r.stdout + r.stderr
    refused(tb, "a1", "signature", "0.1.0", before)
    r = upgrade(tb, rel, new)
    assert r.returncode == 0, r.stdout + r.stderr


def test_two_hosts_at_once(testbed):
    tb, key = lan(testbed, ["a1"], extra=("host", "h1", "h2"))
    rels = {"h1": release(tb, "rel2", BOARD_A, "0.2.0"), "h2": release(tb, "rel3", BOARD_A, "0.3.0")}
    t0 = time.time()
    procs = {h: tb[h].python_popen(["-m", "mdns", "fleet", "upgrade", rels[h], "--key", key, "--discover", "2",
                                    "--timeout", "120"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for h in ("h1", "h2")}
    out, took = {}, {}
    for h, p in procs.items():
        out[h] = p.communicate(timeout=180)[0]
        took[h] = time.time() - t0
    rc = {h: procs[h].returncode for h in procs}
    assert sorted(rc.values()) == [0, 1], (rc, out)
    win = [h for h in rc if rc[h] == 0][0]
    lose = [h for h in rc if rc[h] == 1][0]
    v = {"h1": "0.2.0", "h2": "0.3.0"}[win]
    assert "took another host's offer: %s from fleet-host-" % v in out[lose], out[lose]
    assert took[lose] < 60, took  # seconds after the other host won, not its 120 s timeout
    d = wait_for(tb, lambda rows: rows["a1"]["ota"] == "valid" and rows["a1"]["fw"] == v, timeout=30)["a1"]
    assert d["fw"] == v and d["took"].startswith("fleet-host-") and d["took"].endswith(" " + v), d


def test_visible_while_downloading(testbed):
    tb, key = lan(testbed, ["a1"], extra=("host", "watch"))
    size = SLOT - 4 * 4096
    rel = release(tb, "rel", BOARD_A, "0.2.0", "--size", hex(size))
    rate = size // 14  # about 14 s of download
    up = tb["host"].python_popen(["-m", "mdns", "fleet", "upgrade", rel, "--key", key, "--discover", "2",
                                  "--timeout", "90", "--rate", str(rate)],
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    polls = []
    t_end = time.time() + 120
    while up.poll() is None and time.time() < t_end:
        t = time.time()
        r = _py(tb, "watch", ["list", "--json", "--timeout", "1"])
        rows = {d["name"]: d for d in json.loads(r.stdout)}
        polls.append(rows.get("a1"))
        time.sleep(max(0.0, 1.0 - (time.time() - t)))
    out = up.communicate(timeout=30)[0]
    assert up.returncode == 0, out
    busy = [i for i, d in enumerate(polls) if d is not None and d["ota"] == "updating"]
    assert busy, polls
    during = polls[busy[0]: busy[-1] + 1]
    assert len(during) >= 10 and all(d is not None for d in during), polls  # seen at every poll
    prog = [int(d["progress"]) for d in during if d["ota"] == "updating"]
    assert prog == sorted(prog) and len(set(prog)) >= 5 and prog[-1] >= 70, prog


# ------------------------------------------------------------------ the attacker
def _capture(path):
    from mdns.browser import Browser
    from mdns.fleet import OFFER_TYPE

    def ev(e):
        if e.kind in ("up", "changed") and e.txt:
            txt = {k: (v.decode() if isinstance(v, bytes) else (v or "")) for k, v in e.txt.items()}
            with open(path, "a") as f:
                f.write(json.dumps({"instance": e.instance, "txt": txt}) + "\n")

    b = Browser(OFFER_TYPE, on_event=ev, ipv6=False)
    while True:
        b.poll(200)


def _replay(path, dev, version, changes):
    from mdns.fleet import OFFER_TYPE
    from mdns.responder import Responder
    from mdns.service import Service

    txt = None
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            if r["txt"].get("dev") == dev and r["txt"].get("v") == version:
                txt = dict(r["txt"])
    ch = dict(c.split("=", 1) for c in changes)
    inst = ch.pop("instance", dev)
    txt.update(ch)
    r = Responder("mallory-%d" % os.getpid(), ipv6=False)
    r.add_service(Service(inst, OFFER_TYPE, 8080, txt=sorted(txt.items())))
    import signal

    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    try:
        while True:
            r.poll(200)
    finally:
        r.close()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--capture"]:
        _capture(sys.argv[2])
    elif sys.argv[1:2] == ["--replay"]:
        _replay(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:])
