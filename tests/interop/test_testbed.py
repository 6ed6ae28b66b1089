"""Smoke tests of the virtual LAN itself: real peers see each other, the guard holds,
nothing is left behind. If these fail, every other interop test is meaningless."""
import os
import signal
import subprocess
import time

import pytest

import testbed as tbmod
from testbed import PEERS, Testbed, guard, venv_python

TYPE = "_mdtest._tcp"


def _names(recs):
    return {(r["name"], r["protocol"]) for r in recs}


@pytest.mark.parametrize("family", [4, 6])
def test_avahi_and_zeroconf_see_each_other_with_txt(testbed, family):
    tb = testbed(["avahi", "zc"])
    av_host, zc_host = tb["avahi"], tb["zc"]
    sniff = tb.sniff()
    # each peer speaks only `family`, so finding each other proves that transport works
    av = av_host.start_avahi(ipv4=(family == 4), ipv6=(family == 6))
    zc = zc_host.zeroconf(ipv4=(family == 4), ipv6=(family == 6), hostname="zc")
    zc.register("ZC Svc", TYPE, 8081, txt={"a": "1", "flag": None, "empty": "", "utf": "é"})
    pub = av.publish_service("Avahi Svc", TYPE, 8080, txt=["x=y", "k", "z="])
    assert pub.name == "Avahi Svc"

    # Avahi browses and resolves zeroconf's service with its TXT, over `family`
    proto = "IPv%d" % family
    recs = [r for r in av.browse(TYPE) if r["name"] == "ZC Svc"]
    assert recs, av.browse(TYPE, resolve=False)
    assert {r["protocol"] for r in recs} == {proto}
    r = recs[0]
    assert r["host"] == "zc.local" and r["port"] == 8081
    assert r["txt"] == ["a=1", "flag", "empty=", "utf=é"]
    assert r["txt_dict"] == {"a": "1", "flag": None, "empty": "", "utf": "é"}
    assert r["address"] == (zc_host.ip4 if family == 4 else zc_host.ip6)
    assert av.resolve_name("zc.local", family=family) == (zc_host.ip4 if family == 4 else zc_host.ip6)

    # zeroconf browses and resolves Avahi's service with its TXT
    zc.browse(TYPE)
    ev = zc.wait_event("added", "Avahi Svc", timeout=10)
    info = ev["info"]
    assert info["server"] == "avahi.local." and info["port"] == 8080
    assert info["txt_list"] == ["x=y", "k", "z="]
    assert info["txt"] == {"x": "y", "k": None, "z": ""}
    assert (av_host.ip4 if family == 4 else av_host.ip6) in info["addresses"]
    # (Avahi publishes its AAAA over IPv4 too: publish-aaaa-on-ipv4=yes)
    assert (av_host.ip4 if family == 4 else av_host.ip6) in zc.resolve_host("avahi.local", version=str(family))

    # goodbyes both ways
    pub.stop()
    zc.wait_event("removed", "Avahi Svc", timeout=5)
    zc.close()
    end = time.time() + 5
    while time.time() < end and any(x["name"] == "ZC Svc" for x in av.browse(TYPE, resolve=False, timeout=5)):
        time.sleep(0.2)
    assert not any(x["name"] == "ZC Svc" for x in av.browse(TYPE, resolve=False, timeout=5))

    # everything really went over `family` on the bridge, from both peers
    pk = sniff.packets()
    fams = {p["family"] for p in pk}
    assert fams == {family}, fams
    srcs = {p["src"] for p in pk}
    if family == 4:
        assert {av_host.ip4, zc_host.ip4} <= srcs
    else:
        assert {av_host.link_local, zc_host.link_local} & srcs or {av_host.ip6, zc_host.ip6} & srcs


def test_dig_legacy_unicast_query_answered_by_avahi(testbed):
    tb = testbed(["avahi", "client"])
    av = tb["avahi"].start_avahi()
    c = tb["client"]
    for server, rtype, want in ((tb["avahi"].ip4, "A", tb["avahi"].ip4),
                                (tb["avahi"].ip6, "AAAA", tb["avahi"].ip6),
                                (tb["avahi"].ip4, "AAAA", tb["avahi"].ip6)):
        d = c.dig(av.fqdn, rtype, server=server)
        assert d.status == "NOERROR", d.text
        assert d.question == [(av.fqdn + ".", "IN", rtype)], d.text  # question echoed (RFC 6762 s6.7)
        assert [(a[0], a[3], a[4]) for a in d.answer] == [(av.fqdn + ".", rtype, want)], d.text
        assert all(a[1] <= 10 for a in d.answer), d.text  # legacy TTL cap
    # a name nobody has: no answer (Avahi stays silent, dig times out)
    d = c.dig("nobody-here.local", server=tb["avahi"].ip4, timeout=1)
    assert not d.answer


def test_guard_refuses_outside_the_namespace(testbed):
    tb = testbed(["a", "b"])
    a, b = tb["a"], tb["b"]
    # in this process (the machine's own namespace)
    with pytest.raises(tbmod.NotInNamespace):
        guard(a.ns)
    with pytest.raises(tbmod.NotInNamespace):
        guard("")
    # inside the namespace it passes, inside another one it refuses
    assert a.python("import netns_guard; print(netns_guard.guard())").stdout.strip() == a.ns
    r = a.python("import netns_guard; netns_guard.guard(%r)" % b.ns, check=False)
    assert r.returncode != 0 and "NotInNamespace" in r.stderr
    # the peer scripts, started without `ip netns exec` (dry run: they must stop before any
    # socket; the zeroconf peer would print {"event": "ready"} after binding)
    for script, args in (("zc_peer.py", ["--addr", a.ip4]), ("sniff.py", [])):
        for ns_args, env in ((["--ns", a.ns], {}), ([], {"MDNS_TEST_NETNS": a.ns}), ([], {})):
            e = {k: v for k, v in os.environ.items() if k != "MDNS_TEST_NETNS"}
            e.update(env)
            p = subprocess.run([venv_python(), os.path.join(PEERS, script)] + ns_args + args,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30,
                               env=e, stdin=subprocess.DEVNULL)
            assert p.returncode == 3, (script, ns_args, env, p.stdout, p.stderr)
            assert p.stdout == "" and "refusing" in p.stderr
    # and inside another test namespace than the one named
    r = b.run([venv_python(), os.path.join(PEERS, "zc_peer.py"), "--ns", a.ns, "--addr", b.ip4], check=False,
              timeout=30)
    assert r.returncode == 3 and r.stdout == "", r
    # our own programs get MDNS_TEST_NETNS=<ns> for the net layer's guard
    assert a.python("import os; print(os.environ['MDNS_TEST_NETNS'])").stdout.strip() == a.ns


def _root_links():
    return subprocess.run(["ip", "-o", "link"], stdout=subprocess.PIPE, text=True).stdout


def test_teardown_leaves_nothing_behind(netns_ready):
    links_before = _root_links()
    tb = Testbed(["x", "y", "z"])
    with tb:
        assert tb.setup_s < 5
        names = tb.namespaces
        assert set(names) <= set(tbmod.list_namespaces())
        assert _root_links() == links_before  # no interface ever in the machine's namespace
        av = tb["x"].start_avahi()
        zc = tb["y"].zeroconf()
        sn = tb.sniff()
        p = tb["z"].popen(["sleep", "600"])
        pids = [av.pid, zc.proc.pid, sn.proc.pid, p.pid]
        statedir = tb.dir
        assert os.path.isdir(statedir)
    assert not set(names) & set(tbmod.list_namespaces())
    assert not os.path.exists(statedir)
    for pid in pids:
        assert not os.path.exists("/proc/%d" % pid) or open("/proc/%d/stat" % pid).read().split()[2] == "Z"
    assert _root_links() == links_before
    # an exception inside the `with` tears down too
    with pytest.raises(RuntimeError):
        with Testbed(["only"]) as tb2:
            n2 = tb2.namespaces
            raise RuntimeError("boom")
    assert not set(n2) & set(tbmod.list_namespaces())


def test_leftovers_of_crashed_runs_are_removed_and_only_ours(netns_ready):
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = "mdtb-%d-abcdef-stale" % dead.pid
    mine = "mdtb-%d-abcdef-alive" % os.getpid()
    subprocess.run(["ip", "netns", "add", stale], check=True)
    subprocess.run(["ip", "netns", "add", mine], check=True)
    try:
        removed = tbmod.cleanup_leftovers()
        assert stale in removed
        left = tbmod.list_namespaces()
        assert stale not in left and mine in left
    finally:
        for ns in (stale, mine):
            subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)


def test_parallel_testbeds_are_isolated(testbed):
    one = testbed(["a", "b"], subnet=5)
    two = testbed(["a", "b"], subnet=5)  # same addresses, different LAN
    assert not set(one.namespaces) & set(two.namespaces)
    av1 = one["a"].start_avahi(hostname="same")
    av2 = two["a"].start_avahi(hostname="same")  # no conflict: they cannot hear each other
    assert av1.fqdn == av2.fqdn == "same.local"
    assert one["b"].dig("same.local", server=one["a"]).answer
    assert av1.resolve_name("same.local") == one["a"].ip4


def test_our_net_layer_checks_the_guard_through_the_testbed_env(testbed):
    """h.python sets MDNS_TEST_NETNS; mdns.net refuses when that is not where it runs.
    The refusal is tried inside host b (a harmless place) while naming host a."""
    tb = testbed(["a", "b"])
    a, b = tb["a"], tb["b"]
    code = ("import mdns.net as n\n"
            "try:\n"
            "    s = n.Sockets(addrs=[%r])\n"
            "except OSError as e:\n"
            "    print('refused', e)\n"
            "else:\n"
            "    s.close(); print('opened')\n")
    r = b.python(code % b.ip4, env={"MDNS_TEST_NETNS": a.ns})
    assert r.stdout.startswith("refused") and a.ns in r.stdout, r
    r = a.python(code % a.ip4)
    assert r.stdout.strip() == "opened", r


def test_avahi_browse_parsing_of_escaped_names_and_txt():
    # a line avahi-browse -rptk printed for 'Küche; Cam.1 "x" \y' (captured on the testbed)
    line = (r'=;veth0;IPv4;K\195\188che\059\032Cam\.1\032\034x\034\032\\y;_http._tcp;local;a.local;'
            r'10.77.77.1;80;"u=\195\164" "s=a;b" "q=\"1\"" "k"')
    r = tbmod.parse_avahi_browse_line(line)
    assert r["name"] == 'Küche; Cam.1 "x" \\y'
    assert (r["host"], r["address"], r["port"], r["protocol"]) == ("a.local", "10.77.77.1", 80, "IPv4")
    assert r["txt"] == ["k", 'q="1"', "s=a;b", "u=ä"]  # avahi prints them last-first
    assert r["txt_dict"] == {"k": None, "q": '"1"', "s": "a;b", "u": "ä"}
    assert tbmod.parse_avahi_browse_line("Failed to create client object") is None
    r = tbmod.parse_avahi_browse_line(r"-;veth0;IPv6;A\032B;_http._tcp;local")
    assert (r["event"], r["name"]) == ("removed", "A B")


def test_testbed_needs_no_sysctl(netns_ready, tmp_path, monkeypatch):
    # procps (sysctl) is not in a minimal Debian: the testbed writes /proc/sys itself.
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for d in os.environ.get("PATH", "").split(os.pathsep):
        if not os.path.isdir(d):
            continue
        for n in os.listdir(d):
            if n != "sysctl" and not (bindir / n).exists():
                (bindir / n).symlink_to(os.path.join(d, n))
    monkeypatch.setenv("PATH", str(bindir))
    with Testbed(["a"]) as tb:
        r = tb["a"].run(["cat", "/proc/sys/net/ipv6/conf/all/accept_dad",
                         "/proc/sys/net/ipv6/conf/veth0/accept_dad"])
        assert r.stdout.split() == ["0", "0"]
        r = tb["a"].run(["ip", "netns", "exec", tb.bridge_ns, "cat", "/proc/sys/net/ipv6/conf/all/disable_ipv6"])
        assert r.stdout.strip() == "1"


def test_processes_stopped_with_sigint_get_its_default(testbed):
    # run as a background job of a non-interactive shell, pytest starts with SIGINT ignored;
    # the processes tests stop with SIGINT must not inherit that
    tb = testbed(["a"])
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        p = tb["a"].popen(["sleep", "60"])
        q = tb["a"].python_popen(["-c", "import sys, time; print('up', flush=True); time.sleep(60)"],
                                 stdout=subprocess.PIPE)
    finally:
        signal.signal(signal.SIGINT, old)
    assert q.stdout.readline().strip() == "up"
    for proc in (p, q):
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(10)
    assert p.returncode == -signal.SIGINT and q.returncode != 0
