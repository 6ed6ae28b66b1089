"""A virtual LAN of network namespaces for the interop tests (CPython, run as root).

    from testbed import Testbed
    with Testbed(["dut", "avahi", "zc"]) as tb:
        av = tb["avahi"].start_avahi()
        zc = tb["zc"].zeroconf()
        zc.register("Kitchen", "_http._tcp", 80, txt={"a": "1"})
        recs = av.browse("_http._tcp")
        r = tb["dut"].python("import mdns ...")

Topology: one bridge namespace (br0, STP off, multicast snooping off, so multicast floods
like on a home switch) and one namespace per host, each with a veth0 created from inside
the host namespace whose peer end is created directly in the bridge namespace: no
interface ever appears in this machine's own namespace. Host N (1-based, in the order
given) gets 10.77.<subnet>.N/24 and fd77:<subnet>::N/64 (nodad), lo up, accept_dad=0
and a route 224.0.0.0/4 dev veth0 (there is no default route).

Namespaces are named mdtb-<creator pid>-<random>-<role>, so parallel runs never collide and
`cleanup_leftovers()` can remove those of crashed runs (creator pid gone) without touching
anything else. Everything started through a Host/Avahi/peer is tracked and stopped on
exit (context manager, plus an atexit hook for the case the `with` is never left).

Everything that opens an mDNS socket runs inside a host namespace; our own programs get
MDNS_TEST_NETNS=<ns> so the net layer's guard checks it, and the peer scripts in peers/
check `guard(ns)` before their first socket.
"""
import atexit
import json
import os
import queue
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
PEERS = os.path.join(HERE, "peers")
sys.path.insert(0, PEERS)
from netns_guard import ENV as NETNS_ENV, NotInNamespace, guard, in_namespace  # noqa: E402,F401

PREFIX = "mdtb-"
STATE_ROOT = os.environ.get("MDNS_TESTBED_DIR", "/tmp/mdnsfast-testbed")
_NS_RE = re.compile(r"^mdtb-(\d+)-([0-9a-f]+)-")


def venv_python():
    """The project's venv python ($MDNS_VENV/bin/python, else TOP/.venv, else this one)."""
    venv = os.environ.get("MDNS_VENV") or os.path.join(TOP, ".venv")
    py = os.path.join(venv, "bin", "python")
    return py if os.path.exists(py) else sys.executable


class TestbedError(RuntimeError):
    pass


def _ip(*args, check=True):
    r = subprocess.run(["ip"] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if check and r.returncode != 0:
        raise TestbedError("ip %s failed (%d): %s" % (" ".join(args), r.returncode, r.stderr.strip()))
    return r


def _sysctl(ns, *keys, value=1):
    """Write /proc/sys/KEY inside namespace ns (procps' sysctl is not in a minimal Debian)."""
    script = " && ".join("echo %d > /proc/sys/%s" % (value, k) for k in keys)
    _ip("netns", "exec", ns, "sh", "-c", script)


def _default_sigint():
    # A background job of a non-interactive shell starts with SIGINT ignored and every child
    # inherits that: the processes tests stop with SIGINT must get the default disposition.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def check_environment():
    """Raise TestbedError with a clear message when namespaces cannot be made here."""
    if os.geteuid() != 0:
        raise TestbedError("the interop tests need root (network namespaces, veth, bridge); "
                           "run them as root, e.g. `sudo make test-interop` (CI runs as root)")
    for tool in ("ip", "nsenter"):
        if not shutil.which(tool):
            raise TestbedError("%s not found: install iproute2/util-linux (tools/setup-debian.sh)" % tool)
    r = subprocess.run(["ip", "netns", "list"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise TestbedError("`ip netns list` failed: %s" % r.stderr.strip())


def list_namespaces():
    r = _ip("netns", "list", check=False)
    return [line.split()[0] for line in r.stdout.splitlines() if line.strip()]


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def _ns_pids(ns):
    r = _ip("netns", "pids", ns, check=False)
    return [int(p) for p in r.stdout.split() if p.isdigit()]


def _kill_ns_processes(ns, grace=1.0):
    """Stop every process still inside our namespace `ns` (all of them were started by us)."""
    pids = _ns_pids(ns)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for p in pids:
            try:
                os.kill(p, sig)
            except ProcessLookupError:
                pass
        end = time.time() + grace
        while time.time() < end:
            pids = _ns_pids(ns)
            if not pids:
                return
            time.sleep(0.02)


def cleanup_leftovers():
    """Remove namespaces (and state folders) of crashed testbed runs: our prefix, creator gone."""
    removed = []
    for ns in list_namespaces():
        m = _NS_RE.match(ns)
        if m and not _pid_alive(int(m.group(1))):
            _kill_ns_processes(ns)
            _ip("netns", "del", ns, check=False)
            removed.append(ns)
    if os.path.isdir(STATE_ROOT):
        for d in os.listdir(STATE_ROOT):
            m = re.match(r"^(\d+)-[0-9a-f]+$", d)
            if m and not _pid_alive(int(m.group(1))):
                _umount_under(os.path.join(STATE_ROOT, d))
                shutil.rmtree(os.path.join(STATE_ROOT, d), ignore_errors=True)
    return removed


def _umount_under(path):
    # Mounts are made in private mount namespaces, so normally nothing is mounted here;
    # be careful anyway not to delete through a bind mount.
    try:
        with open("/proc/self/mounts") as f:
            mps = [line.split()[1] for line in f]
    except OSError:
        return
    for mp in sorted((m for m in mps if m.startswith(path + "/")), reverse=True):
        subprocess.run(["umount", "-l", mp], stderr=subprocess.DEVNULL)


# ---------------------------------------------------------------------------- processes

def _stop_process(p, grace=2.0):
    """Terminate a Popen we started (its own process group) and reap it."""
    if p.poll() is None:
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 2.0)):
            try:
                os.killpg(p.pid, sig)
            except (ProcessLookupError, PermissionError):
                try:
                    p.send_signal(sig)
                except ProcessLookupError:
                    pass
            try:
                p.wait(wait)
                break
            except subprocess.TimeoutExpired:
                continue
    for s in (p.stdin, p.stdout, p.stderr):
        try:
            if s:
                s.close()
        except OSError:
            pass
    return p.returncode


class LineStream:
    """Reads a process's stdout lines in a thread; `parse` turns a line into an item (or None).

    `wait_for(pred, timeout)` returns the first item (seen before or after the call) that
    matches and has not been returned by an earlier wait_for; `items` keeps them all.
    """

    def __init__(self, proc, parse=None, name="stream"):
        self.proc = proc
        self.parse = parse or (lambda line: line)
        self.items = []
        self.lines = []
        self._taken = set()
        self._cond = threading.Condition()
        self._eof = False
        self._t = threading.Thread(target=self._reader, name=name, daemon=True)
        self._t.start()

    def _reader(self):
        try:
            for line in self.proc.stdout:
                line = line.rstrip("\n")
                with self._cond:
                    self.lines.append(line)
                    try:
                        item = self.parse(line)
                    except Exception:  # a line we do not understand: keep it in .lines only
                        item = None
                    if item is not None:
                        self.items.append(item)
                    self._cond.notify_all()
        except (ValueError, OSError):
            pass
        with self._cond:
            self._eof = True
            self._cond.notify_all()

    def wait_for(self, pred=lambda item: True, timeout=10.0, what=None):
        end = time.time() + timeout
        with self._cond:
            while True:
                for i, it in enumerate(self.items):
                    if i not in self._taken and pred(it):
                        self._taken.add(i)
                        return it
                left = end - time.time()
                if left <= 0 or self._eof:
                    raise TimeoutError("%s: nothing matching %s within %.1f s%s; last lines:\n%s" % (
                        getattr(self._t, "name", "stream"), what or "the predicate", timeout,
                        " (process ended)" if self._eof else "", "\n".join(self.lines[-15:])))
                self._cond.wait(min(left, 0.5))

    def find(self, pred=lambda item: True):
        with self._cond:
            return [it for it in self.items if pred(it)]

    @property
    def eof(self):
        return self._eof


# ---------------------------------------------------------------------------- avahi

def _avahi_unescape(s):
    """Undo avahi-browse -p escaping (\\DDD decimal bytes, \\x for x) and decode UTF-8."""
    out = bytearray()
    i = 0
    b = s.encode("utf-8")
    while i < len(b):
        c = b[i]
        if c == 0x5C and i + 1 < len(b):
            if i + 3 < len(b) + 0 and b[i + 1:i + 4].isdigit():
                out.append(int(b[i + 1:i + 4]))
                i += 4
                continue
            out.append(b[i + 1])
            i += 2
            continue
        out.append(c)
        i += 1
    return out.decode("utf-8", "backslashreplace")


def _avahi_txt(s):
    """'"a=1" "flag"' (avahi prints TXT entries in reverse wire order) -> list in wire order."""
    entries = []
    i = 0
    while i < len(s):
        if s[i] != '"':
            i += 1
            continue
        i += 1
        buf = bytearray()
        while i < len(s) and s[i] != '"':
            if s[i] == "\\" and i + 1 < len(s):
                if s[i + 1:i + 4].isdigit() and len(s[i + 1:i + 4]) == 3:
                    buf.append(int(s[i + 1:i + 4]))
                    i += 4
                    continue
                buf += s[i + 1].encode("utf-8")
                i += 2
                continue
            buf += s[i].encode("utf-8")
            i += 1
        i += 1
        entries.append(buf.decode("utf-8", "backslashreplace"))
    entries.reverse()
    return entries


def txt_dict(entries):
    """TXT entries -> dict; key-only entries map to None, 'k=' to '' (RFC 6763 s6.4: first wins)."""
    d = {}
    for e in entries:
        k, sep, v = e.partition("=")
        if k and k not in d:
            d[k] = v if sep else None
    return d


def parse_avahi_browse_line(line):
    """One `avahi-browse -p -k` line -> dict, or None for other lines.

    '+'/'-': event, interface, protocol, name, type, domain.  '=' adds host, address, port,
    txt (list in wire order) and txt_dict.
    """
    if not line or line[0] not in "+-=" or line[1:2] != ";":
        return None
    parts = line.split(";", 9)
    rec = {"event": {"+": "new", "-": "removed", "=": "resolved"}[line[0]],
           "interface": parts[1], "protocol": parts[2], "name": _avahi_unescape(parts[3]),
           "type": parts[4], "domain": parts[5]}
    if line[0] == "=" and len(parts) == 10:
        rec.update({"host": parts[6], "address": parts[7], "port": int(parts[8]),
                    "txt": _avahi_txt(parts[9])})
        rec["txt_dict"] = txt_dict(rec["txt"])
    return rec


_DBUS_CONF = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=/run/dbus/system_bus_socket</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
  </policy>
</busconfig>
"""

_AVAHI_CONF = """[server]
host-name={hostname}
use-ipv4={ipv4}
use-ipv6={ipv6}
allow-interfaces=veth0
enable-dbus=yes
ratelimit-burst=1000
{extra_server}
[wide-area]
enable-wide-area=no

[publish]
publish-workstation=no
publish-hinfo=no
publish-aaaa-on-ipv4=yes
{extra_publish}
"""

# Runs under `ip netns exec NS` (which gives a private mount namespace): a per-host folder
# over /run (avahi hard-codes /run/avahi-daemon), the same over /etc/avahi/services and
# /etc/nsswitch.conf, a private system bus, then exec avahi-daemon (the pid stays ours).
_LAUNCH = r"""set -e
D=$1
mkdir -p "$D/run/dbus" "$D/run/avahi-daemon" "$D/run/netns"
mount --rbind /run/netns "$D/run/netns"
mount --rbind "$D/run" /run
mount --bind "$D/services" /etc/avahi/services
mount --bind "$D/nsswitch.conf" /etc/nsswitch.conf
dbus-daemon --config-file="$D/dbus.conf" --nofork --nopidfile 2>>"$D/dbus.log" &
echo $! > /run/dbus/pid
i=0
while [ ! -S /run/dbus/system_bus_socket ]; do
  i=$((i+1)); [ $i -gt 500 ] && { echo "dbus-daemon did not start" >&2; exit 3; }
  sleep 0.01
done
exec avahi-daemon -f "$D/avahi.conf" --no-drop-root --no-chroot --no-rlimits --no-proc-title
"""


class Published:
    """A running avahi-publish (or other announcing process); `stop()` withdraws it (goodbye)."""

    def __init__(self, owner, proc, stream, what):
        self.owner, self.proc, self.stream, self.what = owner, proc, stream, what
        self.name = None

    def stop(self):
        _stop_process(self.proc)
        if self in self.owner._published:
            self.owner._published.remove(self)

    def kill(self):
        """SIGKILL: the records stay in caches until their TTL runs out (no goodbye)."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class Avahi:
    """avahi-daemon running in a host namespace with private /run, D-Bus and services folder."""

    def __init__(self, host, hostname, ipv4=True, ipv6=True, extra_server="", extra_publish="",
                 timeout=10.0):
        self.host = host
        self.hostname = hostname
        self.dir = os.path.join(host.tb.dir, "avahi-" + host.name)
        self._published = []
        self._procs = []
        os.makedirs(os.path.join(self.dir, "run"), exist_ok=True)
        os.makedirs(os.path.join(self.dir, "services"), exist_ok=True)
        with open(os.path.join(self.dir, "dbus.conf"), "w") as f:
            f.write(_DBUS_CONF)
        with open(os.path.join(self.dir, "avahi.conf"), "w") as f:
            f.write(_AVAHI_CONF.format(hostname=hostname, ipv4="yes" if ipv4 else "no",
                                       ipv6="yes" if ipv6 else "no", extra_server=extra_server,
                                       extra_publish=extra_publish))
        with open(os.path.join(self.dir, "nsswitch.conf"), "w") as f:
            f.write("passwd: files\ngroup: files\nhosts: files mdns4_minimal [NOTFOUND=return] dns\n")
        with open(os.path.join(self.dir, "launch.sh"), "w") as f:
            f.write(_LAUNCH)
        self.log_path = os.path.join(self.dir, "avahi.log")
        t0 = time.time()
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(["ip", "netns", "exec", host.ns, "sh", os.path.join(self.dir, "launch.sh"),
                                      self.dir], stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.pid = self.proc.pid
        host.tb._avahis.append(self)
        while True:
            text = self.log()
            if "Server startup complete" in text:
                break
            if self.proc.poll() is not None:
                raise TestbedError("avahi-daemon in %s exited (%s):\n%s" % (host.ns, self.proc.returncode, text))
            if time.time() - t0 > timeout:
                self.stop()
                raise TestbedError("avahi-daemon in %s not ready after %.0f s:\n%s" % (host.ns, timeout, text))
            time.sleep(0.01)
        self.startup_s = time.time() - t0
        m = re.search(r"Host name is (\S+?)\.?\s", text)
        self.fqdn = m.group(1).rstrip(".") if m else hostname + ".local"

    # -- plumbing
    def log(self):
        try:
            with open(self.log_path) as f:
                return f.read()
        except OSError:
            return ""

    def _argv(self, argv):
        return ["nsenter", "-t", str(self.pid), "-n", "-m", "--"] + list(argv)

    def run(self, argv, timeout=30, check=True, input=None, timeout_ok=False):
        """Run a client tool in avahi's network and mount namespace (sees its D-Bus).
        timeout_ok: a timeout returns what was printed so far (returncode -9) instead of raising."""
        return self.host._run(self._argv(argv), timeout=timeout, check=check, input=input, timeout_ok=timeout_ok)

    def popen(self, argv, **kw):
        return self.host._popen(self._argv(argv), **kw)

    # -- browsing and resolving
    def browse(self, service_type=None, resolve=True, timeout=15, ignore_local=False):
        """`avahi-browse -p -t -k [-r]` -> list of dicts (see parse_avahi_browse_line).

        With resolve=True only the resolved ('=') entries are returned, one per
        interface/protocol (IPv4 and IPv6 each). service_type None browses all types.
        """
        argv = ["avahi-browse", "-p", "-t", "-k"]
        if resolve:
            argv.append("-r")
        if ignore_local:
            argv.append("-l")
        argv.append(service_type if service_type else "-a")
        r = self.run(argv, timeout=timeout, check=False, timeout_ok=True)
        recs = [parse_avahi_browse_line(line) for line in r.stdout.splitlines()]
        recs = [x for x in recs if x]
        if resolve:
            recs = [x for x in recs if x["event"] == "resolved"]
        return recs

    def browse_stream(self, service_type, resolve=True):
        """A continuous `avahi-browse -p -k [-r] TYPE`: LineStream of dicts (new/resolved/removed)."""
        argv = ["avahi-browse", "-p", "-k"] + (["-r"] if resolve else []) + [service_type]
        p = self.popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        return LineStream(p, parse_avahi_browse_line, name="avahi-browse " + service_type)

    def resolve_name(self, name, family=None, timeout=10):
        """avahi-resolve -n NAME -> address string or None (avahi-resolve exits 0 on failure)."""
        argv = ["avahi-resolve", "-n", name] + ({4: ["-4"], 6: ["-6"]}.get(family, []))
        r = self.run(argv, timeout=timeout, check=False, timeout_ok=True)
        for line in r.stdout.splitlines():
            parts = line.split("\t")
            if len(parts) == 2 and parts[0].rstrip(".") == name.rstrip("."):
                return parts[1].strip()
        return None

    def resolve_addr(self, addr, timeout=10):
        """avahi-resolve -a ADDR -> host name or None."""
        r = self.run(["avahi-resolve", "-a", addr], timeout=timeout, check=False, timeout_ok=True)
        for line in r.stdout.splitlines():
            parts = line.split("\t")
            if len(parts) == 2:
                return parts[1].strip()
        return None

    def getent(self, name, timeout=10):
        """getaddrinfo through libnss-mdns (private nsswitch.conf) -> list of addresses."""
        r = self.run(["getent", "ahosts", name], timeout=timeout, check=False, timeout_ok=True)
        seen = []
        for line in r.stdout.splitlines():
            a = line.split()[0]
            if a not in seen:
                seen.append(a)
        return seen

    # -- publishing
    def _publish(self, argv, what, timeout):
        p = self.popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        stream = LineStream(p, name="avahi-publish " + what)
        pub = Published(self, p, stream, what)
        self._published.append(pub)
        try:
            line = stream.wait_for(lambda l: l.startswith("Established under name"), timeout,
                                   what="'Established under name'")
        except TimeoutError:
            pub.stop()
            raise
        m = re.search(r"'(.*)'", line)
        pub.name = m.group(1) if m else None
        return pub

    def publish_service(self, name, service_type, port, txt=(), subtypes=(), host=None, domain=None,
                        timeout=10):
        """avahi-publish -s; returns a Published once Avahi says it is established (probed)."""
        argv = ["avahi-publish", "-s"]
        if host:
            argv += ["-H", host]
        if domain:
            argv += ["-d", domain]
        for st in subtypes:
            st = st if "._sub." in st else "%s._sub.%s" % (st, service_type)
            argv.append("--subtype=" + st)
        if isinstance(txt, dict):
            txt = [k if v is None else "%s=%s" % (k, v) for k, v in txt.items()]
        argv += [name, service_type, str(port)] + list(txt)
        return self._publish(argv, "%s.%s" % (name, service_type), timeout)

    def publish_address(self, name, address, reverse=True, timeout=10):
        """avahi-publish -a NAME ADDR (with the reverse PTR unless reverse=False)."""
        argv = ["avahi-publish", "-a"] + ([] if reverse else ["-R"]) + [name, address]
        return self._publish(argv, name, timeout)

    def set_host_name(self, name, timeout=10):
        return self.run(["avahi-set-host-name", name], timeout=timeout)

    # -- end
    def stop(self):
        """SIGTERM avahi-daemon (it sends goodbyes), then its private dbus-daemon."""
        for pub in list(self._published):
            pub.stop()
        dbus_pid = None
        try:
            with open(os.path.join(self.dir, "run", "dbus", "pid")) as f:
                dbus_pid = int(f.read().strip())
        except (OSError, ValueError):
            pass
        _stop_process(self.proc)
        if dbus_pid and _pid_alive(dbus_pid) and dbus_pid in _ns_pids(self.host.ns):
            try:
                os.kill(dbus_pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        if not self._log.closed:
            self._log.close()
        if self in self.host.tb._avahis:
            self.host.tb._avahis.remove(self)


# ---------------------------------------------------------------------------- zeroconf peer

class ZeroconfPeer:
    """peers/zc_peer.py running in a host namespace; every method waits for its reply.

    Events from `browse()` are in `.events` (a LineStream of dicts): use
    `wait_event(kind, name=..., timeout=...)`.
    """

    def __init__(self, host, ipv4=True, ipv6=True, hostname=None, timeout=10):
        self.host = host
        argv = [os.path.join(PEERS, "zc_peer.py"), "--ns", host.ns]
        if ipv4:
            argv += ["--addr", host.ip4]
        if ipv6:
            argv += ["--addr", host.ip6]
        if not ipv6:
            argv.append("--ipv4-only")
        if not ipv4:
            argv.append("--ipv6-only")
        if hostname:
            argv += ["--hostname", hostname]
        self.proc = host.python_popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.events = LineStream(self.proc, json.loads, name="zc_peer " + host.ns)
        self._id = 0
        self._lock = threading.Lock()
        self.events.wait_for(lambda e: e.get("event") == "ready", timeout, what="zc_peer ready")

    def call(self, op, reply_timeout=15, **kw):
        with self._lock:
            self._id += 1
            i = self._id
        kw.update({"id": i, "op": op})
        self.proc.stdin.write(json.dumps(kw) + "\n")
        self.proc.stdin.flush()
        rep = self.events.wait_for(lambda e: e.get("reply") == i, reply_timeout, what="reply to %s" % op)
        if not rep.get("ok"):
            raise TestbedError("zc_peer %s failed: %s" % (op, rep.get("error")))
        return rep

    def register(self, name, service_type, port, txt=None, subtype=None, host=None, addresses=None,
                 allow_name_change=True, timeout=15, **kw):
        """Register (probe + announce, ~1.6 s). txt: dict (None value = key only) or list of strings.
        Returns the registered full name (may differ with allow_name_change)."""
        return self.call("register", timeout, name=name, type=service_type, port=port, txt=txt,
                         subtype=subtype, host=host, addresses=addresses,
                         allow_name_change=allow_name_change, **kw)["name"]

    def update(self, name, service_type, port, txt=None, timeout=15, **kw):
        return self.call("update", timeout, name=name, type=service_type, port=port, txt=txt, **kw)

    def unregister(self, name, service_type, timeout=15):
        return self.call("unregister", timeout, name=name, type=service_type)

    def browse(self, service_type, timeout=15):
        self.call("browse", timeout, type=service_type)
        return self.events

    def wait_event(self, kind, name=None, timeout=10, pred=None):
        """Wait for an 'added'/'updated'/'removed' event; name matches the instance (start of the full name)."""
        def match(e):
            if e.get("event") != kind:
                return False
            if name is not None and not (e["name"] == name or e["name"].startswith(name + ".")):
                return False
            return pred(e) if pred else True
        return self.events.wait_for(match, timeout, what="%s %s" % (kind, name or ""))

    def resolve(self, name, service_type, timeout=3):
        """ServiceInfo.request -> info dict (name, server, port, addresses, txt, txt_list, ...) or None."""
        return self.call("resolve", timeout + 10, name=name, type=service_type, timeout=timeout)["info"]

    def resolve_host(self, hostname, timeout=3, version="all"):
        """AddressResolver[IPv4|IPv6] -> list of addresses ([] when unresolved)."""
        return self.call("resolve_host", timeout + 10, host=hostname, timeout=timeout,
                         version=version)["addresses"]

    def close(self, timeout=10):
        """zc.close(): goodbyes for everything registered, then the process exits."""
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write(json.dumps({"op": "quit"}) + "\n")
                self.proc.stdin.flush()
                self.proc.wait(timeout)
            except (OSError, ValueError, subprocess.TimeoutExpired):
                pass
        _stop_process(self.proc)

    def kill(self):
        """SIGKILL without goodbyes (records expire by TTL)."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        _stop_process(self.proc)


# ---------------------------------------------------------------------------- dig

class DigResult:
    """`dig` output parsed: status, id, flags, question, answer/authority/additional records
    as tuples (name, ttl, class, type, data); `.text` is the full output."""

    def __init__(self, proc):
        self.returncode = proc.returncode
        self.text = proc.stdout
        self.status = self.id = None
        self.flags = []
        self.question = []
        self.answer, self.authority, self.additional = [], [], []
        sect = None
        for line in self.text.splitlines():
            m = re.search(r"status: (\w+), id: (\d+)", line)
            if m:
                self.status, self.id = m.group(1), int(m.group(2))
            m = re.match(r";; flags: ([\w ]*);", line)
            if m:
                self.flags = m.group(1).split()
            m = re.match(r";; (QUESTION|ANSWER|AUTHORITY|ADDITIONAL) SECTION:", line)
            if m:
                sect = m.group(1).lower()
                continue
            if not line.strip():
                sect = None
                continue
            if sect == "question" and line.startswith(";"):
                f = line[1:].split()
                self.question.append(tuple(f))
            elif sect in ("answer", "authority", "additional") and not line.startswith(";"):
                f = line.split(None, 4)
                if len(f) >= 4:
                    getattr(self, sect).append((f[0], int(f[1]), f[2], f[3], f[4] if len(f) > 4 else ""))

    @property
    def timed_out(self):
        return "timed out" in self.text or "no servers could be reached" in self.text

    def __repr__(self):
        return "DigResult(status=%r, answer=%r)" % (self.status, self.answer)


# ---------------------------------------------------------------------------- hosts

class Host:
    """One namespace on the virtual LAN: .name, .ns, .index, .ip4, .ip6, .tb."""

    def __init__(self, tb, name, index):
        self.tb, self.name, self.index = tb, name, index
        self.ns = "%s%s-%s" % (tb.tag_prefix, "", _clean(name))
        self.ip4 = "10.77.%d.%d" % (tb.subnet, index)
        # RFC 5952 text, as peers print it: subnet 0 is "fd77::N", not "fd77:0::N".
        self.ip6 = ("fd77:%x::%x" % (tb.subnet, index)) if tb.subnet else ("fd77::%x" % index)
        self.avahi = None

    def __repr__(self):
        return "Host(%r, ns=%r, ip4=%r, ip6=%r)" % (self.name, self.ns, self.ip4, self.ip6)

    def env(self, extra=None):
        e = dict(os.environ)
        e[NETNS_ENV] = self.ns
        e["PYTHONUNBUFFERED"] = "1"
        e.setdefault("PYTHONPATH", "")
        e["PYTHONPATH"] = os.pathsep.join(p for p in (PEERS, e["PYTHONPATH"]) if p)
        if extra:
            e.update(extra)
        return e

    def _run(self, argv, timeout=30, check=True, input=None, env=None, timeout_ok=False):
        try:
            r = subprocess.run(argv, input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               timeout=timeout, env=env or self.env(), start_new_session=True)
        except subprocess.TimeoutExpired as e:
            if timeout_ok:  # the caller reads "no answer in time" from the output
                return subprocess.CompletedProcess(argv, -9, _s(e.stdout), _s(e.stderr))
            raise TestbedError("timed out after %ss in %s: %s\nstdout: %s\nstderr: %s" % (
                timeout, self.ns, " ".join(argv), _s(e.stdout), _s(e.stderr)))
        if check and r.returncode != 0:
            raise TestbedError("exit %d in %s: %s\nstdout: %s\nstderr: %s" % (
                r.returncode, self.ns, " ".join(argv), r.stdout[-3000:], r.stderr[-3000:]))
        return r

    def _popen(self, argv, env=None, **kw):
        kw.setdefault("stdin", subprocess.DEVNULL)
        kw.setdefault("text", True)
        kw.setdefault("preexec_fn", _default_sigint)
        p = subprocess.Popen(argv, env=env or self.env(), start_new_session=True, **kw)
        self.tb._procs.append(p)
        return p

    def run(self, argv, timeout=30, check=True, input=None, env=None, timeout_ok=False):
        """Run argv inside this namespace (ip netns exec) -> CompletedProcess (text, captured).
        env: extra variables (MDNS_TEST_NETNS=<ns> is always set). A timeout raises
        TestbedError, or with timeout_ok returns what was printed so far (returncode -9)."""
        return self._run(["ip", "netns", "exec", self.ns] + list(argv), timeout, check, input, self.env(env),
                         timeout_ok)

    def popen(self, argv, env=None, **kw):
        """Popen inside this namespace; tracked and stopped at teardown. text=True by default."""
        return self._popen(["ip", "netns", "exec", self.ns] + list(argv), env=self.env(env), **kw)

    def _py_argv(self, code_or_argv):
        if isinstance(code_or_argv, str):
            return [venv_python(), "-c", code_or_argv]
        return [venv_python()] + list(code_or_argv)

    def python(self, code_or_argv, env=None, timeout=60, check=True, input=None):
        """The project's venv python inside the namespace: a code string or argv list
        (e.g. ["-m", "mdns", "browse", "_http._tcp"]). MDNS_TEST_NETNS is set."""
        return self.run(self._py_argv(code_or_argv), timeout=timeout, check=check, input=input, env=env)

    def python_popen(self, code_or_argv, env=None, **kw):
        return self.popen(self._py_argv(code_or_argv), env=env, **kw)

    def start_avahi(self, hostname=None, **kw):
        """Start avahi-daemon here (host name default: this host's name); waits until ready."""
        if self.avahi is not None:
            raise TestbedError("avahi already running in %s" % self.ns)
        self.avahi = Avahi(self, hostname or self.name, **kw)
        return self.avahi

    def zeroconf(self, ipv4=True, ipv6=True, hostname=None):
        """Start a python-zeroconf peer bound to this host's addresses (ZeroconfPeer)."""
        return ZeroconfPeer(self, ipv4=ipv4, ipv6=ipv6, hostname=hostname)

    def dig(self, name, rtype="A", server=None, port=5353, timeout=3, extra=()):
        """Legacy unicast query from this namespace: dig -p PORT @server NAME RTYPE.
        server: a Host (its IPv4 address is used) or an address string."""
        if server is None:
            raise ValueError("dig needs a server (Host or address): a query to 224.0.0.251 "
                             "times out because dig drops replies from another address")
        addr = server.ip4 if isinstance(server, Host) else server
        argv = ["dig", "-p", str(port), "@" + addr, name, rtype, "+time=%d" % max(1, int(timeout)),
                "+tries=1", "+norecurse"] + list(extra)
        return DigResult(self.run(argv, timeout=timeout + 10, check=False))

    def capture(self, path, capture_filter="udp port 5353"):
        """tshark -w PATH on this host's veth0 (pcapng; what this host sends and receives).
        Stop it with tb.stop_process(p) before reading the file. tb.sniff() sees every host."""
        return self.popen(["tshark", "-q", "-i", "veth0", "-f", capture_filter, "-w", path],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def addresses(self):
        """The addresses on veth0 as `ip -j addr` reports them (includes the fe80:: one)."""
        r = self.run(["ip", "-j", "addr", "show", "dev", "veth0"])
        return [a["local"] for i in json.loads(r.stdout) for a in i.get("addr_info", [])]

    @property
    def link_local(self):
        return [a for a in self.addresses() if a.startswith("fe80:")][0]


def _s(b):
    if b is None:
        return ""
    return b.decode("utf-8", "replace") if isinstance(b, bytes) else b


def _clean(name):
    n = re.sub(r"[^a-z0-9-]", "-", name.lower())
    if not n or len(n) > 40:
        raise ValueError("host name %r: 1-40 characters (letters, digits, '-')" % name)
    return n


# ---------------------------------------------------------------------------- sniffer

class Sniffer(LineStream):
    """peers/sniff.py on br0 in the bridge namespace: every mDNS datagram between hosts.

    Items are dicts: t, family, src, sport, dst, dport, ttl, data (hex); `packets()` returns
    them with data as bytes."""

    def packets(self, pred=None):
        out = []
        for it in self.find(lambda i: "data" in i):
            d = dict(it)
            d["data"] = bytes.fromhex(it["data"])
            if pred is None or pred(d):
                out.append(d)
        return out

    def stop(self):
        _stop_process(self.proc)


# ---------------------------------------------------------------------------- testbed

_live = []


class Testbed:
    """A bridge namespace plus one namespace per host name, torn down on exit.

    Testbed(["dut", "avahi", "zc"], subnet=0): tb["avahi"] or tb.hosts[i] -> Host.
    """

    __test__ = False  # not a pytest test class

    def __init__(self, hosts=("a", "b"), subnet=None):
        if isinstance(hosts, int):
            hosts = ["h%d" % (i + 1) for i in range(hosts)]
        hosts = list(hosts)
        if len(set(hosts)) != len(hosts) or not hosts or len(hosts) > 250:
            raise ValueError("host names must be unique, 1-250 of them")
        self.names = hosts
        self.subnet = random.randrange(0, 256) if subnet is None else int(subnet)
        self.tag = "%d-%06x" % (os.getpid(), random.getrandbits(24))
        self.tag_prefix = PREFIX + self.tag
        self.bridge_ns = self.tag_prefix + "-br"
        self.dir = os.path.join(STATE_ROOT, self.tag)
        self.hosts = [Host(self, n, i + 1) for i, n in enumerate(hosts)]
        self._by_name = {h.name: h for h in self.hosts}
        self._procs = []
        self._avahis = []
        self._created = []
        self._up = False
        self.setup_s = self.teardown_s = None

    def __getitem__(self, name):
        if isinstance(name, int):
            return self.hosts[name]
        return self._by_name[name]

    def __iter__(self):
        return iter(self.hosts)

    def __len__(self):
        return len(self.hosts)

    @property
    def namespaces(self):
        return [self.bridge_ns] + [h.ns for h in self.hosts]

    # -- set-up
    def up(self):
        check_environment()
        t0 = time.time()
        os.makedirs(self.dir, exist_ok=True)
        _live.append(self)
        self._up = True
        try:
            self._setup()
        except BaseException:
            self.down()
            raise
        self.setup_s = time.time() - t0
        return self

    def _add_ns(self, ns):
        _ip("netns", "add", ns)
        self._created.append(ns)

    def _setup(self):
        b = self.bridge_ns
        self._add_ns(b)
        # no IPv6 on the bridge itself: it only forwards (no MLD/RS noise from br0)
        _sysctl(b, "net/ipv6/conf/all/disable_ipv6", "net/ipv6/conf/default/disable_ipv6")
        _ip("-n", b, "link", "set", "lo", "up")
        _ip("-n", b, "link", "add", "br0", "type", "bridge", "stp_state", "0", "mcast_snooping", "0")
        _ip("-n", b, "link", "set", "br0", "up")
        for h in self.hosts:
            self._add_ns(h.ns)
            _sysctl(h.ns, "net/ipv6/conf/all/accept_dad", "net/ipv6/conf/default/accept_dad", value=0)
            port = "p%d" % h.index
            _ip("-n", h.ns, "link", "set", "lo", "up")
            _ip("-n", h.ns, "link", "add", "veth0", "type", "veth", "peer", "name", port, "netns", b)
            _ip("-n", b, "link", "set", port, "master", "br0", "up")
            _ip("-n", h.ns, "addr", "add", h.ip4 + "/24", "dev", "veth0")
            _ip("-n", h.ns, "addr", "add", h.ip6 + "/64", "dev", "veth0", "nodad")
            _ip("-n", h.ns, "link", "set", "veth0", "up")
            _ip("-n", h.ns, "route", "add", "224.0.0.0/4", "dev", "veth0")
        # wait until every veth0 is up and has its link-local address (IPv6 multicast needs it)
        end = time.time() + 5
        for h in self.hosts:
            while True:
                out = _ip("-n", h.ns, "-6", "addr", "show", "dev", "veth0").stdout
                if "fe80:" in out and "tentative" not in out:
                    break
                if time.time() > end:
                    raise TestbedError("veth0 in %s has no usable link-local address:\n%s" % (h.ns, out))
                time.sleep(0.01)

    # -- tools on the bridge
    def sniff(self, port=5353, timeout=5):
        """Start recording every datagram to/from `port` crossing the bridge (Sniffer)."""
        argv = ["ip", "netns", "exec", self.bridge_ns, venv_python(), os.path.join(PEERS, "sniff.py"),
                "--ns", self.bridge_ns, "--port", str(port)]
        p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                             start_new_session=True, env=dict(os.environ, PYTHONUNBUFFERED="1"))
        self._procs.append(p)
        s = Sniffer(p, json.loads, name="sniff " + self.bridge_ns)
        s.wait_for(lambda e: e.get("event") == "ready", timeout, what="sniffer ready")
        return s

    def tshark(self, path, iface="br0", capture_filter="udp port 5353"):
        """tshark -w PATH on br0 in the bridge namespace (pcapng, every host's traffic);
        stop it with tb.stop_process(p) before reading the file."""
        argv = ["ip", "netns", "exec", self.bridge_ns, "tshark", "-q", "-i", iface, "-f", capture_filter,
                "-w", path]
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True, start_new_session=True)
        self._procs.append(p)
        return p

    def stop_process(self, p, grace=2.0):
        """Stop a Popen started through this testbed (SIGTERM, then SIGKILL)."""
        return _stop_process(p, grace)

    # -- teardown
    def down(self):
        if not self._up:
            return
        t0 = time.time()
        self._up = False
        for av in list(self._avahis):
            try:
                av.stop()
            except Exception:
                pass
        for p in list(self._procs):
            try:
                _stop_process(p, grace=1.0)
            except Exception:
                pass
        for ns in reversed(self._created):
            _kill_ns_processes(ns)
            _ip("netns", "del", ns, check=False)
        self._created = []
        _umount_under(self.dir)
        shutil.rmtree(self.dir, ignore_errors=True)
        if self in _live:
            _live.remove(self)
        self.teardown_s = time.time() - t0

    def __enter__(self):
        return self.up()

    def __exit__(self, *exc):
        self.down()


def _atexit():
    for tb in list(_live):
        try:
            tb.down()
        except Exception:
            pass


atexit.register(_atexit)


def install_sigterm_cleanup():
    """On SIGTERM (e.g. a CI job timeout) tear down every live testbed, then die of SIGTERM.
    atexit alone does not run on a signal. Only installed over the default handler."""
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return False

    def on_term(signum, frame):
        _atexit()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)

    signal.signal(signal.SIGTERM, on_term)
    return True
