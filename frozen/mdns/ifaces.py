# Local interface addresses for mdns.net (RFC 6762 s11: answers carry only the
# addresses of the link a query came in on, s14: one link, several addresses; s15:
# one responder per link). Linux hosts read /proc, lwIP boards ask network.WLAN.
# Not on the packet path: read when sockets open and when a board rejoins (s13).
import socket
import sys
from . import addr as _addr

_MPY = sys.implementation.name == "micropython"
_LWIP = _MPY and sys.platform != "linux"  # esp32 and other lwIP ports (as mdns.net)


class Iface:
    """One local address: ip (text), prefix length, interface index (0 = unknown),
    interface name (None = unknown; "veth0" from /proc, "sta"/"ap" on a board)."""

    def __init__(self, ip, prefix=None, index=0, name=None):
        self.ip = _addr.normalize(ip)
        self.v6 = ":" in self.ip
        if prefix is None:
            prefix = 64 if self.v6 else 24
        self.prefix = prefix
        self.index = index
        self.name = name
        self.packed = _addr.aton(self.ip)

    def __repr__(self):
        return "Iface(%r, %d, %d, %r)" % (self.ip, self.prefix, self.index, self.name)


def _prefix_from_mask(mask):
    b = _addr.aton4(mask)
    n = 0
    for x in b:
        while x & 0x80:
            n += 1
            x = (x << 1) & 0xFF
    return n


def same_prefix(a, b, prefix):
    """True when packed addresses a and b share their first `prefix` bits."""
    full = prefix // 8
    if a[:full] != b[:full]:
        return False
    rest = prefix % 8
    if rest:
        m = (0xFF << (8 - rest)) & 0xFF
        return (a[full] & m) == (b[full] & m)
    return True


def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def _linux_ifaces_v6(want_index=None):
    # /proc/net/if_inet6: addr(32 hex) ifindex plen scope flags name
    out = []
    for line in _read("/proc/net/if_inet6").split("\n"):
        f = line.split()
        if len(f) < 6 or f[5] == "lo":
            continue
        h = f[0]
        text = ":".join([h[i : i + 4] for i in range(0, 32, 4)])
        idx = int(f[1], 16)
        if want_index is not None and idx != want_index:
            continue
        out.append((Iface(text, int(f[2], 16), idx, f[5]), f[5]))
    return out


def _linux_ifaces_v4():
    # Local addresses from /proc/net/fib_trie ("/32 host LOCAL"), each matched to
    # its connected route in /proc/net/route for the interface and prefix.
    locals_ = []
    last = None
    for line in _read("/proc/net/fib_trie").split("\n"):
        s = line.strip()
        if s.startswith("|--"):
            last = s[3:].strip()
        elif s.startswith("/32 host LOCAL") and last and not last.startswith("127."):
            if last not in locals_:
                locals_.append(last)
    routes = []
    for line in _read("/proc/net/route").split("\n")[1:]:
        f = line.split()
        if len(f) < 8 or f[2] != "00000000" or f[7] == "00000000":
            continue
        d = int(f[1], 16)
        m = int(f[7], 16)
        routes.append((f[0], d, m))
    out = []
    for ip in locals_:
        b = _addr.aton4(ip)
        v = b[0] | b[1] << 8 | b[2] << 16 | b[3] << 24  # /proc/net/route is host order (LE)
        for name, d, m in routes:
            if v & m == d:
                n = 0
                while m:
                    n += m & 1
                    m >>= 1
                out.append((Iface(ip, n, _ifindex(name), name), name))
                break
    return out


def _ifindex(name):
    f = getattr(socket, "if_nametoindex", None)
    if f is not None:
        try:
            return f(name)
        except OSError:
            pass
    t = _read("/sys/class/net/%s/ifindex" % name).strip()
    return int(t) if t.isdigit() else 0


def host_ifaces(interface=None):
    """The addresses of one multicast interface of a Linux host (nothing is sent):
    the named one, or the first non-loopback interface with an address."""
    v4 = _linux_ifaces_v4()
    v6 = _linux_ifaces_v6()
    names = []
    for _, n in v4 + v6:
        if n not in names:
            names.append(n)
    if interface is not None:
        names = [n for n in names if n == interface]
    if not names:
        return []
    pick = names[0]
    got = [i for i, n in v4 if n == pick] + [i for i, n in v6 if n == pick]
    idx = 0
    for i in got:
        if i.index:
            idx = i.index
    for i in got:
        if not i.index:
            i.index = idx
    # Publish link-local IPv6 only when the interface has no other IPv6 address.
    wide = [i for i in got if i.v6 and not i.ip.startswith("fe80:")]
    if wide:
        got = [i for i in got if not (i.v6 and i.ip.startswith("fe80:"))]
    return got


# network.WLAN has no interface name of its own: the board's two WLAN interfaces are
# reported as "sta" (station, network.STA_IF) and "ap" (access point, network.AP_IF).
WLAN_NAMES = (("STA_IF", "sta"), ("AP_IF", "ap"))


def device_ifaces(every=False):
    """The station (or access point) address of a MicroPython board (every=True:
    each active WLAN interface's)."""
    import network

    out = []
    for kind, name in WLAN_NAMES:
        k = getattr(network, kind, None)
        if k is None:
            continue
        try:
            w = network.WLAN(k)
            if not w.active() or (kind == "STA_IF" and not w.isconnected()):
                continue
            try:
                ip, mask = w.ipconfig("addr4")
            except (AttributeError, TypeError, ValueError, OSError):
                cfg = w.ifconfig()
                ip, mask = cfg[0], cfg[1]
        except OSError:
            continue
        if ip and ip != "0.0.0.0":
            out.append(Iface(ip, _prefix_from_mask(mask), 0, name))
            if not every:
                break
    return out


def platform_ifaces(interface=None):
    if _LWIP:
        return device_ifaces()
    return host_ifaces(interface)


def _complete(ifaces):
    # Caller-given addresses: find prefix, interface index and name from the platform
    # (/proc on Linux, network.WLAN on a board; an address it does not know stays as is).
    known = {}
    if _LWIP:
        try:
            for i in device_ifaces(True):
                known[i.ip] = i
        except (ImportError, OSError):
            pass
        for i in ifaces:
            k = known.get(i.ip)
            if k is not None:
                i.name = k.name
        return ifaces
    for i, _ in _linux_ifaces_v4() + _linux_ifaces_v6():
        known[i.ip] = i
    out = []
    for i in ifaces:
        k = known.get(i.ip)
        out.append(k if k is not None else i)
    return out


def link_names(ifaces, index6=0):
    """What recv reports as the interface for the IPv4 and the IPv6 socket: the name
    of the interface each family's address is on; where the platform does not know a
    name, the name of the other family's interface, else the (first) IPv4 address
    (IPv6 address without any IPv4 one). One link gives one value for both families."""
    i4 = None
    i6 = None
    for i in ifaces:
        if i.v6:
            if i6 is None or (index6 and i.index == index6 and i6.index != index6):
                i6 = i
        elif i4 is None:
            i4 = i
    n4 = i4.name if i4 is not None else None
    n6 = i6.name if i6 is not None else None
    if n4 is None and n6 is None:
        first = i4 if i4 is not None else i6
        n4 = n6 = first.ip if first is not None else None
    return (n4 or n6, n6 or n4)
