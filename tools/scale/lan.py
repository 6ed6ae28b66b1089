"""A many-host LAN on the interop testbed (issue 13): our responders (several per
process and namespace), python-zeroconf and Avahi hosts, browsers and packet counters.

    from lan import Lan
    with Lan(ours=(18, 10), zc=(2, 5), avahi=(2, 5), browsers=["b-ours", "b-zc"]) as lan:
        lan.start_all()                  # every responder probed and announced
        c = lan.counter("b-ours")        # counts what b-ours sends
        r = lan.browse_ours("b-ours", expect=lan.total, secs=6)

Everything runs in the testbed's namespaces (tests/interop/testbed.py); our programs get
MDNS_TEST_NETNS and the peers check the guard before their first socket.
"""
import json
import os
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, "tests", "interop"))
import testbed  # noqa: E402
from testbed import LineStream, Testbed, venv_python  # noqa: E402,F401

AGENT = os.path.join(HERE, "agent.py")
COUNT = os.path.join(HERE, "count.py")
TYPE = "_scale._tcp"


def load():
    """(1-minute load average, cores) of the machine, for the record."""
    return os.getloadavg()[0], os.cpu_count()


def parallel(fns):
    """Run callables in threads; re-raise the first error."""
    errs = []

    def run(f):
        try:
            f()
        except BaseException as e:  # noqa: B902 - handed back to the caller
            errs.append(e)

    ts = [threading.Thread(target=run, args=(f,), daemon=True) for f in fns]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errs:
        raise errs[0]


class Agent:
    """tools/scale/agent.py in a host namespace (CPython, or a MicroPython binary)."""

    def __init__(self, host, argv, mpy=None):
        env = None
        if mpy:
            # the sources ahead of the binary's frozen copy (asyncio stays frozen)
            cmd = [mpy, "-X", "heapsize=8M", AGENT] + list(argv)
            env = {"MICROPYPATH": os.path.join(TOP, "frozen") + ":.frozen"}
        else:
            cmd = [venv_python(), AGENT] + list(argv)
        self.host = host
        self.proc = host.popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.stream = LineStream(self.proc, _json_or_none, name="agent " + host.name)

    def wait(self, ev, timeout, pred=None):
        return self.stream.wait_for(lambda d: d.get("ev") == ev and (pred is None or pred(d)), timeout,
                                    what=ev)

    def events(self, ev=None):
        return self.stream.find(lambda d: ev is None or d.get("ev") == ev)

    def stop(self):
        testbed._stop_process(self.proc)


def _json_or_none(line):
    if line.startswith("{"):
        return json.loads(line)
    return None


class Counter:
    """tools/scale/count.py in a host namespace: what that host sends, until stop()."""

    def __init__(self, host, data=False):
        self.proc = host.popen([venv_python(), COUNT, "--ns", host.ns] + (["--data"] if data else []),
                               stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.stream = LineStream(self.proc, _json_or_none, name="count " + host.name)
        self.stream.wait_for(lambda d: d.get("event") == "ready", 10, what="counter ready")

    def stop(self):
        self.proc.stdin.close()
        d = self.stream.wait_for(lambda d: "packets" in d, 15, what="counter summary")
        testbed._stop_process(self.proc)
        return d


def add_bridge(tb, tag):
    """A second bridge namespace (its own br0) on testbed tb, removed with it."""
    ns = tb.tag_prefix + "-" + tag
    tb._add_ns(ns)
    testbed._sysctl(ns, "net/ipv6/conf/all/disable_ipv6", "net/ipv6/conf/default/disable_ipv6")
    testbed._ip("-n", ns, "link", "set", "lo", "up")
    testbed._ip("-n", ns, "link", "add", "br0", "type", "bridge", "stp_state", "0", "mcast_snooping", "0")
    testbed._ip("-n", ns, "link", "set", "br0", "up")
    return ns


def add_host(tb, bridge_ns, name, index):
    """One more host namespace (as the testbed makes them) on the bridge in bridge_ns."""
    h = testbed.Host(tb, name, index)
    tb._add_ns(h.ns)
    testbed._sysctl(h.ns, "net/ipv6/conf/all/accept_dad", "net/ipv6/conf/default/accept_dad", value=0)
    port = "p%d" % index
    testbed._ip("-n", h.ns, "link", "set", "lo", "up")
    testbed._ip("-n", h.ns, "link", "add", "veth0", "type", "veth", "peer", "name", port, "netns", bridge_ns)
    testbed._ip("-n", bridge_ns, "link", "set", port, "master", "br0", "up")
    testbed._ip("-n", h.ns, "addr", "add", h.ip4 + "/24", "dev", "veth0")
    testbed._ip("-n", h.ns, "addr", "add", h.ip6 + "/64", "dev", "veth0", "nodad")
    testbed._ip("-n", h.ns, "link", "set", "veth0", "up")
    testbed._ip("-n", h.ns, "route", "add", "224.0.0.0/4", "dev", "veth0")
    tb.hosts.append(h)
    tb._by_name[name] = h
    return h


class Lan:
    """ours=(processes, responders each), zc=(peers, services each), avahi=(daemons,
    services each); browsers: names of extra (empty) hosts."""

    def __init__(self, ours=(4, 10), zc=(0, 0), avahi=(0, 0), browsers=("browser",), stype=TYPE):
        self.spec = {"ours": ours, "zc": zc, "avahi": avahi}
        self.stype = stype
        names = (["ours%d" % i for i in range(ours[0])] + ["zc%d" % i for i in range(zc[0])]
                 + ["av%d" % i for i in range(avahi[0])] + list(browsers))
        self.tb = Testbed(names)
        self.agents = []
        self.zcs = []
        self.instances = []  # every instance label published
        self.ready_s = None

    @property
    def total(self):
        return sum(a * b for a, b in self.spec.values())

    def __enter__(self):
        self.tb.up()
        return self

    def __exit__(self, *exc):
        self.down()

    def down(self):
        for a in self.agents:
            a.stop()
        for z in self.zcs:
            z.kill()
        self.tb.down()

    def __getitem__(self, name):
        return self.tb[name]

    # -- responders
    def start_all(self, timeout=120):
        """Start every responder at once; returns when all of them are claimed."""
        t0 = time.time()
        procs, per = self.spec["ours"]
        for i in range(procs):
            h = self.tb["ours%d" % i]
            self.agents.append(Agent(h, ["serve", "d%d" % i, str(per), self.stype, h.ip4, h.ip6]))
            self.instances += ["d%d %d" % (i, k) for k in range(per)]
        jobs = []
        n, per_zc = self.spec["zc"]
        for i in range(n):
            jobs.append(lambda i=i: self._start_zc(i, per_zc, timeout))
        n, per_av = self.spec["avahi"]
        for i in range(n):
            jobs.append(lambda i=i: self._start_avahi(i, per_av, timeout))
        parallel(jobs)
        for a in self.agents:
            a.wait("ready", max(5.0, timeout - (time.time() - t0)))
        self.ready_s = time.time() - t0
        return self.ready_s

    def _start_zc(self, i, per, timeout):
        z = self.tb["zc%d" % i].zeroconf()
        self.zcs.append(z)
        names = ["z%d %d" % (i, k) for k in range(per)]
        parallel([lambda nm=nm, k=k: z.register(nm, self.stype, 9000 + k, txt={"id": nm, "k": str(k)},
                                                allow_name_change=False, timeout=timeout)
                  for k, nm in enumerate(names)])
        self.instances += names

    def _start_avahi(self, i, per, timeout):
        av = self.tb["av%d" % i].start_avahi(hostname="av%d" % i)
        names = ["a%d %d" % (i, k) for k in range(per)]
        parallel([lambda nm=nm, k=k: av.publish_service(nm, self.stype, 7000 + k, txt={"id": nm, "k": str(k)},
                                                        timeout=timeout)
                  for k, nm in enumerate(names)])
        self.instances += names

    # -- browsers and counters
    def counter(self, name, data=False):
        return Counter(self.tb[name], data)

    def browse_ours(self, name, expect, secs, mpy=None, extra=()):
        """Our browser in host `name` for `secs`: the agent's events and its "done" summary."""
        h = self.tb[name]
        a = Agent(h, ["browse", self.stype, str(expect), str(secs)] + list(extra) + [h.ip4, h.ip6], mpy=mpy)
        self.agents.append(a)
        done = a.wait("done", secs + 30)
        a.proc.wait(10)
        return a, done
