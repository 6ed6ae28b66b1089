"""Scenario 4 of issue 13, link flap: our responder ("dut", one service) with its
watcher (tools/scale/agent.py serve watch=veth0: Responder.rejoin when the carrier comes
back or the addresses change, as a board does after a Wi-Fi reconnect), our browser on
the same LAN ("obs") and one on a second bridge ("obs2"). Each round does one of:
  flap  veth0 down for DOWN_S, then up: the responder probes and announces again (s13)
  addr  the IPv4 address changes: goodbye for the old one, the new one announced,
        the browser reports `changed` with the new address
  move  the bridge end of the cable goes to the other bridge: the responder announces
        there and obs2 reports it `up` (the first time it sees it)
Recorded from the datagrams the dut sends (counted on its veth0) and the browsers'
events, each relative to the moment the link came back (or the address changed).

    python tools/scale/flap.py [--rounds 10] [--mpy BIN] [--json out.json]   (root)
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lan import Agent, Counter, add_bridge, add_host, load, testbed, Testbed  # noqa: E402

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "frozen"))
from mdns import wire  # noqa: E402

TYPE = "_flap._tcp"
INST = "dut 0"
DOWN_S = 1.0
SETTLE_S = 3.0  # after the link is back: the probes, both announcements, the events


def _sent(counter_summary):
    """dut's datagrams -> [(t, kind, detail)]: probe, announce ADDR, bye ADDR."""
    out = []
    for p in counter_summary.get("all", []):
        try:
            m = wire.decode(bytes.fromhex(p["data"]))
        except ValueError:
            continue
        if not m.is_response:
            if m.authorities:
                out.append((p["t"], "probe", None))
            continue
        for r in m.answers + m.additionals:
            if r.type in (wire.TYPE_A, wire.TYPE_AAAA):
                out.append((p["t"], "bye" if r.ttl == 0 else "announce", r.data))
    return out


def _first(sent, kind, t0, data=None, early=0.0):
    """Seconds from t0 to the first datagram of this kind (sent at most `early` s before t0)."""
    ts = [t - t0 for t, k, d in sent if k == kind and t >= t0 - early and (data is None or d == data)]
    return min(ts) if ts else None


class Flap:
    def __init__(self, mpy=None):
        self.tb = Testbed(["dut", "obs"])
        self.mpy = mpy
        self.rounds = []

    def __enter__(self):
        tb = self.tb.up()
        self.br2 = add_bridge(tb, "br2")
        self.obs2 = add_host(tb, self.br2, "obs2", 200)
        dut = tb["dut"]
        # a station keeps its addresses over a Wi-Fi drop (Linux drops IPv6 ones on
        # link down by default); the addr rounds change the IPv4 one explicitly
        testbed._sysctl(dut.ns, "net/ipv6/conf/veth0/keep_addr_on_down")
        self.port = "p%d" % dut.index
        self.where = tb.bridge_ns
        self.ip4 = dut.ip4
        self.counter = Counter(dut, data=True)
        self.obs = Agent(tb["obs"], ["browse", TYPE, "0", "3600", tb["obs"].ip4, tb["obs"].ip6])
        self.obs2a = Agent(self.obs2, ["browse", TYPE, "0", "3600", self.obs2.ip4, self.obs2.ip6])
        self.dut = Agent(dut, ["serve", "dut", "1", TYPE, "watch=veth0", dut.ip4, dut.ip6], mpy=self.mpy)
        self.dut.wait("ready", 15)
        self.obs.wait("up", 10, lambda e: e["instance"] == INST)
        return self

    def __exit__(self, *exc):
        for a in (self.dut, self.obs, self.obs2a):
            a.stop()
        self.dut_lines = self.dut.stream.lines[-40:]
        self.tb.down()

    def _dut_ip(self, *args):
        testbed._ip("-n", self.tb["dut"].ns, *args)

    def _link_up(self):
        self._dut_ip("link", "set", "veth0", "up")
        self._dut_ip("route", "replace", "224.0.0.0/4", "dev", "veth0")  # gone with the link (DHCP's job)

    def flap(self):
        self._dut_ip("link", "set", "veth0", "down")
        time.sleep(DOWN_S)
        t0 = time.time()
        self._link_up()
        return self._round("flap", t0, self._browser())

    def addr(self):
        n = 100 + len(self.rounds) % 100
        new = "10.77.%d.%d" % (self.tb.subnet, n)
        t0 = time.time()
        self._dut_ip("addr", "del", self.ip4 + "/24", "dev", "veth0")
        self._dut_ip("addr", "add", new + "/24", "dev", "veth0")
        old, self.ip4 = self.ip4, new
        return self._round("addr", t0, self._browser(), old=old, new=new)

    def move(self):
        other = self.br2 if self.where == self.tb.bridge_ns else self.tb.bridge_ns
        testbed._ip("-n", self.where, "link", "set", self.port, "netns", other)
        time.sleep(DOWN_S)
        t0 = time.time()
        testbed._ip("-n", other, "link", "set", self.port, "master", "br0", "up")
        self.where = other
        # the route 224/4 went with the carrier
        self._dut_ip("route", "replace", "224.0.0.0/4", "dev", "veth0")
        return self._round("move", t0, self._browser())

    def _browser(self):
        """Our browser on the bridge the dut is plugged into now."""
        return self.obs2a if self.where == self.br2 else self.obs

    def _round(self, kind, t0, browser, old=None, new=None):
        # browser events: what the browser on the dut's LAN reported after t0
        time.sleep(SETTLE_S)
        r = {"kind": kind, "t0": t0, "load": load()[0]}
        rj = self.dut.events("rejoin")
        rj = [e for e in rj if e["t"] >= t0 - 0.05]
        r["rejoin_s"] = rj[0]["t"] - t0 if rj else None
        r["browser_events"] = [(e["ev"], round(e["t"] - t0, 3), e.get("addresses"))
                               for e in browser.events() if e.get("instance") == INST and e["t"] >= t0 - 1]
        r["old"], r["new"] = old, new or self.ip4
        self.rounds.append(r)
        return r

    def measure(self):
        """Stop the dut's counter and put the datagram timings into every round."""
        s = self.counter.stop()
        sent = _sent(s)
        for r in self.rounds:
            t0 = r["t0"]
            r["probe_s"] = _first(sent, "probe", t0)
            r["announce_s"] = _first(sent, "announce", t0, r["new"])
            r["bye_old_s"] = _first(sent, "bye", t0, r["old"], early=0.5) if r["old"] else None
            r["dut_sent"] = [(round(t - t0, 3), k, d) for t, k, d in sent if -0.5 < t - t0 < SETTLE_S]
            del r["t0"]
        return self.rounds


def run(rounds=3, mpy=None, kinds=("flap", "addr", "move"), log=print):
    res = {"load_before": load(), "rounds": rounds, "mpy": bool(mpy)}
    with Flap(mpy) as f:
        for i in range(rounds):
            for k in kinds:
                log("%s %d: %s" % (k, i, getattr(f, k)()))
        res["results"] = f.measure()
        res["dut_tail"] = f.dut.stream.lines[-12:]
    res["load_after"] = load()
    return res


def summary(res):
    lines = []
    for k in ("flap", "addr", "move"):
        rs = [r for r in res["results"] if r["kind"] == k]
        if not rs:
            continue
        ann = sorted(r["announce_s"] for r in rs if r["announce_s"] is not None)
        pr = sorted(r["probe_s"] for r in rs if r["probe_s"] is not None)
        lines.append("%s: %d rounds, probe after %s s, announced after %s s (median %.2f, max %.2f; %d missing)" % (
            k, len(rs), "%.2f-%.2f" % (pr[0], pr[-1]) if pr else "never",
            "%.2f-%.2f" % (ann[0], ann[-1]) if ann else "never",
            ann[len(ann) // 2] if ann else -1, ann[-1] if ann else -1, len(rs) - len(ann)))
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--mpy", help="a MicroPython unix binary with mdnsfast: run the responder on it too")
    ap.add_argument("--json", help="write the figures here")
    a = ap.parse_args()
    out = {"cpython": run(a.rounds, log=lambda s: None)}
    print("CPython responder:\n" + summary(out["cpython"]))
    if a.mpy:
        out["mpy"] = run(a.rounds, mpy=a.mpy, log=lambda s: None)
        print("unix binary responder (%s):\n%s" % (a.mpy, summary(out["mpy"])))
    if a.json:
        os.makedirs(os.path.dirname(os.path.abspath(a.json)), exist_ok=True)
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)
    bad = [r for v in out.values() for r in v["results"] if r["announce_s"] is None or r["announce_s"] > 2.0]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
