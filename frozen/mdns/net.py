# mDNS sockets for CPython, the MicroPython unix port and the esp32 port.
# Their socket modules differ (docs: ../shared/notes/esp32-firmware.md): constants
# are looked up by name with Linux / lwIP numbers as fallbacks, addresses are
# converted by mdns.addr (no inet_pton on the esp32 port), and the unix port wants
# getaddrinfo() sockaddrs for bind/sendto and returns raw sockaddrs from recvfrom.
import socket
import struct
import sys
import os
from . import addr as _addr

GROUP4 = "224.0.0.251"
GROUP6 = "ff02::fb"
PORT = 5353
RECV_MAX = 2048  # bytes read per datagram; mDNS peers send at most ~1472 on Ethernet/Wi-Fi

_MPY = sys.implementation.name == "micropython"
_UNIX_MPY = _MPY and sys.platform == "linux"
_LWIP = _MPY and not _UNIX_MPY  # esp32 and other lwIP ports


def _c(name, linux, lwip=None):
    v = getattr(socket, name, None)
    if v is not None:
        return v
    return lwip if _LWIP else linux


AF_INET6 = getattr(socket, "AF_INET6", None)
IPPROTO_IP = _c("IPPROTO_IP", 0, 0)
IPPROTO_IPV6 = _c("IPPROTO_IPV6", 41, 41)
IP_TTL = _c("IP_TTL", 2, None)
IP_ADD_MEMBERSHIP = _c("IP_ADD_MEMBERSHIP", 35, 3)
IP_MULTICAST_IF = _c("IP_MULTICAST_IF", 32, None)
IP_MULTICAST_TTL = _c("IP_MULTICAST_TTL", 33, None)
IP_MULTICAST_LOOP = _c("IP_MULTICAST_LOOP", 34, None)
IPV6_UNICAST_HOPS = _c("IPV6_UNICAST_HOPS", 16, None)
IPV6_MULTICAST_IF = _c("IPV6_MULTICAST_IF", 17, None)
IPV6_MULTICAST_HOPS = _c("IPV6_MULTICAST_HOPS", 18, None)
IPV6_MULTICAST_LOOP = _c("IPV6_MULTICAST_LOOP", 19, None)
IPV6_JOIN_GROUP = getattr(socket, "IPV6_JOIN_GROUP", None) or _c("IPV6_ADD_MEMBERSHIP", 20, None)
IPV6_V6ONLY = _c("IPV6_V6ONLY", 26, None)
SO_RCVBUF = _c("SO_RCVBUF", 8, None)
RCVBUF = 1 << 20  # a host's receive buffer: hundreds of answers to one query arrive in ~0.1 s
SO_REUSEPORT = getattr(socket, "SO_REUSEPORT", None if _MPY else None)
if SO_REUSEPORT is None and _UNIX_MPY:
    SO_REUSEPORT = 15
_AGAIN = (11, 35, 116, 110)  # EAGAIN (Linux, BSD), ETIMEDOUT (lwIP, Linux)


def _errno(e):
    return e.args[0] if e.args else None


# EADDRINUSE: Linux and MicroPython's own errno (rp2 & co.), ESP-IDF's newlib, BSD.
_INUSE = (98, 112, 48)


def _bind(s, sa):
    # Another stack holding 5353 without SO_REUSEADDR (lwIP shares a port only when
    # both pcbs set it): stock esp32/rp2 firmware's built-in responder. Say so in one line.
    try:
        s.bind(sa)
    except OSError as e:
        if _errno(e) not in _INUSE:
            raise
        raise OSError(_errno(e), "mdns: UDP 5353 is taken by another mDNS responder that does not share it: "
                      + ("the firmware's built-in one (stock MicroPython); see docs/stock-firmware.md" if _MPY
                         and not _UNIX_MPY else "stop it, or make it bind with SO_REUSEADDR/SO_REUSEPORT"))


def _noop_error(e):
    pass


# ---------------------------------------------------------------- the netns guard
def check_netns():
    """The testbed guard (docs/design.md): with MDNS_TEST_NETNS set, refuse to
    open sockets unless this process runs in /run/netns/$MDNS_TEST_NETNS."""
    getenv = getattr(os, "getenv", None)
    name = getenv("MDNS_TEST_NETNS") if getenv else None
    if not name:
        return
    try:
        want = os.stat("/run/netns/" + name)[1]
        have = os.stat("/proc/self/ns/net")[1]
    except OSError:
        raise OSError("MDNS_TEST_NETNS=%s: cannot check the network namespace" % name)
    if want != have:
        raise OSError("MDNS_TEST_NETNS=%s: not inside that network namespace, refusing" % name)


# ------------------------------------------------------- interface addresses
# (mdns.ifaces; the names stay reachable here)
from .ifaces import (Iface, same_prefix, host_ifaces, device_ifaces, platform_ifaces,  # noqa: E402,F401
                     link_names, _complete, _linux_ifaces_v6)


# ---------------------------------------------------------------- sockaddrs
def _sockaddr(ip, port, index=0):
    if _UNIX_MPY:
        fam = AF_INET6 if ":" in ip else socket.AF_INET
        if index and ip.startswith("fe80:"):
            ip = "%s%%%d" % (ip, index)
        return socket.getaddrinfo(ip, port, fam)[0][-1]
    if ":" in ip:
        return (ip, port, 0, index if (index and (ip.startswith("fe80:") or ip.startswith("ff02:"))) else 0)
    return (ip, port)


def decode_sockaddr(a):
    """recvfrom's address -> (ip_text, port) on every port."""
    if isinstance(a, tuple):
        ip = a[0]
        if len(a) == 2 and "%" not in ip and ":" not in ip:
            return a  # already (ip_text, port): no new tuple per datagram
        if "%" in ip:
            ip = ip[: ip.index("%")]
        if ":" in ip:
            ip = _addr.normalize(ip)
        return (ip, a[1])
    # raw struct sockaddr (MicroPython unix port): family is host order (LE on Linux)
    b = a if type(a) is bytes else bytes(a)
    fam = b[0] | b[1] << 8
    port = b[2] << 8 | b[3]
    if fam == 2:
        return (_addr.ntoa4(b[4:8]), port)
    return (_addr.ntoa6(b[8:24]), port)


# ------------------------------------------------------------------ Sockets
class Sockets:
    """UDP 5353 sockets joined to the mDNS groups on one interface.

    Sockets(addrs=None, ipv4=True, ipv6=True, interface=None, port=5353, one_shot=False):
    addrs are local IP strings (None: ask the platform; `interface` picks the
    host interface by name). one_shot: bind an ephemeral port and join no group, for
    one-shot queries (RFC 6762 s5.1) whose replies come by unicast (s6.7)."""

    _link = None
    _src = None  # (addr, sock, src) of the last datagram kept (source())

    def __init__(self, addrs=None, ipv4=True, ipv6=True, interface=None, port=PORT,
                 on_error=None, one_shot=False):
        check_netns()
        self.port = port
        self.one_shot = one_shot
        self.interface = interface  # name given by the caller (reported in recv's src)
        self.on_error = on_error or _noop_error
        if addrs is None:
            ifaces = platform_ifaces(interface)
        else:
            if isinstance(addrs, str):
                addrs = [addrs]
            ifaces = _complete([Iface(a) for a in addrs])
        self.ifaces = ifaces
        self._link = None  # (ip, on_link(ip)) of the last sender checked
        if not _MPY:
            self.read = None  # CPython: recv() into the driver's buffer (recvfrom_into)
        self.v4 = None
        self.v6 = None
        self.index6 = 0
        self._own = set()
        self._socks = []
        want4 = ipv4 and any(not i.v6 for i in ifaces)
        want6 = ipv6 and AF_INET6 is not None and any(i.v6 for i in ifaces)
        if addrs is None and not ifaces:
            raise OSError("mdns: no interface address found (pass addrs=[...])")
        if want4:
            self.v4 = self._open4()
        if want6:
            self.v6 = self._open6()
        self.addrs = [i.ip for i in ifaces if (i.v6 and self.v6) or (not i.v6 and self.v4)]
        self._own = self._own_addrs()
        self._where = link_names(ifaces, self.index6)
        self._g4 = _sockaddr(GROUP4, port) if self.v4 else None
        self._g6 = _sockaddr(GROUP6, port, self.index6) if self.v6 else None

    # -- opening
    def _opt(self, s, level, opt, val):
        if opt is None:
            return  # not on this port (e.g. IP_MULTICAST_* on esp32)
        try:
            s.setsockopt(level, opt, val)
        except (OSError, TypeError, ValueError) as e:
            self.on_error(e)

    def _reuse(self, s):
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if SO_RCVBUF is not None and not self.one_shot:
            try:  # the kernel caps it at net.core.rmem_max
                s.setsockopt(socket.SOL_SOCKET, SO_RCVBUF, RCVBUF)
            except OSError:
                pass
        if SO_REUSEPORT is not None:
            try:
                s.setsockopt(socket.SOL_SOCKET, SO_REUSEPORT, 1)
            except OSError:
                pass

    def _v4iface(self):
        for i in self.ifaces:
            if not i.v6:
                return i
        return None

    def _join4(self, s):
        if self.one_shot:
            return
        i = self._v4iface()
        mreq = _addr.aton4(GROUP4) + (i.packed if i else bytes(4))
        s.setsockopt(IPPROTO_IP, IP_ADD_MEMBERSHIP, mreq)

    def _open4(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            self._reuse(s)
            _bind(s, _sockaddr("0.0.0.0", 0 if self.one_shot else self.port))
            self._join4(s)
            i = self._v4iface()
            if i is not None:
                self._opt(s, IPPROTO_IP, IP_MULTICAST_IF, i.packed)
            self._opt(s, IPPROTO_IP, IP_MULTICAST_TTL, 255)  # RFC 6762 s11
            self._opt(s, IPPROTO_IP, IP_TTL, 255)
            self._opt(s, IPPROTO_IP, IP_MULTICAST_LOOP, 1)
            s.setblocking(False)
        except Exception:
            s.close()
            raise
        self._socks.append(s)
        return s

    def _join6(self, s):
        if self.one_shot:
            return
        mreq = _addr.aton6(GROUP6) + struct.pack("@I", self.index6)
        s.setsockopt(IPPROTO_IPV6, IPV6_JOIN_GROUP, mreq)

    def _open6(self):
        for i in self.ifaces:
            if i.v6 and i.index:
                self.index6 = i.index
                break
        s = socket.socket(AF_INET6, socket.SOCK_DGRAM)
        try:
            self._reuse(s)
            self._opt(s, IPPROTO_IPV6, IPV6_V6ONLY, 1)
            _bind(s, _sockaddr("::", 0 if self.one_shot else self.port))
            self._join6(s)
            self._opt(s, IPPROTO_IPV6, IPV6_MULTICAST_IF, self.index6)
            self._opt(s, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 255)
            self._opt(s, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 255)
            self._opt(s, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 1)
            s.setblocking(False)
        except Exception:
            s.close()
            raise
        self._socks.append(s)
        return s

    # -- use
    def sockets(self):
        return list(self._socks)

    def where(self, sock):
        """What recv reports as src[2] for a socket: the interface name given as
        `interface=`, else the platform's name for the interface the socket is joined
        on ("veth0" from /proc on Linux, "sta"/"ap" on a board), else the IPv4
        address (see link_names). The same for both families of one link."""
        if self.interface is not None:
            return self.interface
        return self._where[1 if (sock is not None and sock is self.v6) else 0]

    def recv(self, sock, buf):
        """Read one datagram into buf: (n, (ip, port, interface)), or (0, None) when
        none is waiting. interface: see where()."""
        try:
            if _MPY:
                data, a = sock.recvfrom(len(buf))
                n = len(data)
                buf[:n] = data
            else:
                n, a = sock.recvfrom_into(buf)
        except OSError as e:
            if _errno(e) in _AGAIN:
                return 0, None
            raise
        a = decode_sockaddr(a)
        return n, (a[0], a[1], self.where(sock))

    def read(self, sock):
        """One datagram as the socket returns it, `(data, addr)`, or None when none is
        waiting: nothing is allocated beyond the socket's own read. source(addr, sock)
        makes recv's src from addr; the driver calls it only for a datagram it keeps."""
        try:
            return sock.recvfrom(RECV_MAX)
        except OSError as e:
            if _errno(e) in _AGAIN:
                return None
            raise

    def source(self, addr, sock):
        # The same sender on the same socket as last time: the same src (nothing built).
        last = self._src
        if last is not None and last[1] is sock and last[0] == addr:
            return last[2]
        a = decode_sockaddr(addr)
        src = (a[0], a[1], self.where(sock))
        self._src = (addr, sock, src)
        return src

    def send(self, data, dest=None):
        """dest None: the mDNS group on every family; else (ip, port) by unicast."""
        if dest is None:
            err = None
            if self.v4 is not None:
                try:
                    self.v4.sendto(data, self._g4)
                except OSError as e:
                    err = e  # IPv4 gone (address changing): the IPv6 copy still goes out
            if self.v6 is not None:
                self.v6.sendto(data, self._g6)
            if err is not None:
                raise err
            return
        ip = dest[0]
        s = self.v6 if ":" in ip else self.v4
        if s is None:
            return
        s.sendto(data, _sockaddr(ip, dest[1], self.index6))

    def rejoin(self, addrs=None):
        """Join the groups again (after a Wi-Fi reconnect the membership is gone).
        Returns the interface addresses (re-read from the platform when addrs is None
        and the platform can tell)."""
        if addrs is not None or _LWIP:
            new = _complete([Iface(a) for a in addrs]) if addrs is not None else platform_ifaces()
            if new:
                self.ifaces = new
                self._link = self._src = None
                self.addrs = [i.ip for i in new if (i.v6 and self.v6) or (not i.v6 and self.v4)]
                self._own = self._own_addrs()
                self._where = link_names(new, self.index6)
        for s, join in ((self.v4, self._join4), (self.v6, self._join6)):
            if s is None:
                continue
            try:
                join(s)
            except OSError as e:
                if _errno(e) not in (98, 112, 17):  # EADDRINUSE/EEXIST: still a member
                    self.on_error(e)
        if self.v4 is not None:
            i = self._v4iface()
            if i is not None:
                self._opt(self.v4, IPPROTO_IP, IP_MULTICAST_IF, i.packed)
        return self.addrs

    def close(self):
        for s in self._socks:
            try:
                s.close()
            except OSError:
                pass
        self._socks = []
        self.v4 = self.v6 = None

    # -- source checks
    def _own_addrs(self):
        # IPv6 multicast leaves from the link-local address (the kernel's choice for
        # ff02::fb): ours too, though not published.
        own = set(self.addrs)
        if self.v6 is not None and not _LWIP:
            for i, _ in _linux_ifaces_v6(self.index6 or None):
                if i.ip.startswith("fe80:"):
                    own.add(i.ip)
        return own

    def is_own(self, src):
        """A datagram we sent ourselves, looped back."""
        return src[1] == self.port and src[0] in self._own

    def on_link(self, src):
        """RFC 6762 s11: accept only sources on the local link: IPv6 link-local, or
        inside the prefix of one of our interface addresses."""
        ip = src[0]
        last = self._link
        if last is not None and last[0] == ip:
            return last[1]  # the same sender again: no address parsed
        ok = self._on_link(ip)
        self._link = (ip, ok)
        return ok

    def _on_link(self, ip):
        if ":" in ip:
            if ip.startswith("fe8") or ip.startswith("fe9") or ip.startswith("fea") or ip.startswith("feb"):
                return True
        try:
            b = _addr.aton(ip)
        except ValueError:
            return False
        v6 = ":" in ip
        seen = False
        for i in self.ifaces:
            if i.v6 != v6:
                continue
            seen = True
            if same_prefix(b, i.packed, i.prefix):
                return True
        return not seen and not self.ifaces
