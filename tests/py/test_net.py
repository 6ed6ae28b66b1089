"""mdns.net without a network: a fake socket module records what Sockets does
(options, membership requests, binds, sends); address helpers; the netns guard."""
import os
import socket as real_socket
import struct
import types

import pytest

from mdns import ifaces, net


class FakeSock:
    def __init__(self, family, type_):
        self.family = family
        self.opts = []
        self.bound = None
        self.sent = []
        self.blocking = True
        self.inbox = []
        self.closed = False

    def setsockopt(self, level, opt, val):
        self.opts.append((level, opt, val))

    def bind(self, a):
        self.bound = a

    def setblocking(self, flag):
        self.blocking = flag

    def sendto(self, data, a):
        self.sent.append((bytes(data), a))

    def recvfrom_into(self, buf):
        if not self.inbox:
            raise OSError(11, "EAGAIN")
        data, a = self.inbox.pop(0)
        buf[: len(data)] = data
        return len(data), a

    def close(self):
        self.closed = True


@pytest.fixture
def fake(monkeypatch):
    made = []
    mod = types.SimpleNamespace(**{k: getattr(real_socket, k) for k in dir(real_socket) if k.isupper()})

    def socket(family, type_):
        s = FakeSock(family, type_)
        made.append(s)
        return s

    mod.socket = socket
    mod.if_nametoindex = lambda name: 7
    monkeypatch.setattr(net, "socket", mod)
    monkeypatch.setattr(ifaces, "socket", mod)
    monkeypatch.delenv("MDNS_TEST_NETNS", raising=False)
    # interface table as /proc shows it
    proc = {
        "/proc/net/if_inet6": "fd770000000000000000000000000005 07 40 00 80 veth0\n"
                              "fe800000000000000000000000000005 07 40 20 80 veth0\n"
                              "00000000000000000000000000000001 01 80 10 80 lo\n",
        "/proc/net/fib_trie": "Main:\n  +-- 0.0.0.0/0 3 0 5\n     |-- 10.77.0.0\n        /24 link UNICAST\n"
                              "     |-- 10.77.0.5\n        /32 host LOCAL\n     |-- 127.0.0.1\n        /32 host LOCAL\n",
        "/proc/net/route": "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
                           "veth0\t00004D0A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n",
    }
    monkeypatch.setattr(ifaces, "_read", lambda p: proc.get(p, ""))
    return made


def opt(s, level, name):
    return [v for l, o, v in s.opts if (l, o) == (level, name)]


def test_ipv4_socket_options_join_and_bind(fake):
    s = net.Sockets(["10.77.0.5"], ipv6=False)
    assert len(fake) == 1
    v4 = fake[0]
    assert v4.bound == ("0.0.0.0", 5353)
    assert opt(v4, real_socket.SOL_SOCKET, real_socket.SO_REUSEADDR) == [1]
    if hasattr(real_socket, "SO_REUSEPORT"):
        assert opt(v4, real_socket.SOL_SOCKET, real_socket.SO_REUSEPORT) == [1]
    # ip_mreq: group then interface address (8 bytes), as lwIP and Linux take it
    assert opt(v4, net.IPPROTO_IP, net.IP_ADD_MEMBERSHIP) == [bytes([224, 0, 0, 251, 10, 77, 0, 5])]
    assert opt(v4, net.IPPROTO_IP, net.IP_MULTICAST_IF) == [bytes([10, 77, 0, 5])]
    assert opt(v4, net.IPPROTO_IP, net.IP_MULTICAST_TTL) == [255]
    assert not v4.blocking
    assert s.addrs == ["10.77.0.5"]
    # prefix from /proc/net/route
    assert s.ifaces[0].prefix == 24


def test_ipv6_join_uses_interface_index(fake):
    s = net.Sockets(["10.77.0.5", "fd77::5"])
    v6 = [x for x in fake if x.family == real_socket.AF_INET6][0]
    assert v6.bound == ("::", 5353, 0, 0)
    mreq = opt(v6, net.IPPROTO_IPV6, net.IPV6_JOIN_GROUP)[0]
    assert mreq[:16] == bytes([0xFF, 2] + [0] * 13 + [0xFB]) and struct.unpack("@I", mreq[16:])[0] == 7
    assert opt(v6, net.IPPROTO_IPV6, net.IPV6_V6ONLY) == [1]
    assert opt(v6, net.IPPROTO_IPV6, net.IPV6_MULTICAST_IF) == [7]
    s.send(b"x")
    assert v6.sent == [(b"x", ("ff02::fb", 5353, 0, 7))]
    v4 = [x for x in fake if x.family == real_socket.AF_INET][0]
    assert v4.sent == [(b"x", ("224.0.0.251", 5353))]
    s.send(b"u", ("fd77::9", 40000))
    s.send(b"l", ("fe80::9", 5353))
    assert v6.sent[1:] == [(b"u", ("fd77::9", 40000, 0, 0)), (b"l", ("fe80::9", 5353, 0, 7))]
    s.send(b"4", ("10.77.0.9", 5353))
    assert v4.sent[-1] == (b"4", ("10.77.0.9", 5353))


def test_platform_addresses_from_proc(fake):
    s = net.Sockets()
    # link-local IPv6 is left out when a wider address exists; nothing was sent to find them
    assert s.addrs == ["10.77.0.5", "fd77::5"]
    assert all(not x.sent for x in fake)


def test_recv_decodes_source_and_eagain(fake):
    s = net.Sockets(["10.77.0.5", "fd77::5"])
    v4, v6 = s.v4, s.v6
    buf = bytearray(100)
    v4.inbox.append((b"abc", ("10.77.0.9", 5353)))
    v6.inbox.append((b"de", ("fe80::9%veth0", 5353, 0, 7)))
    # src = (ip, port, interface): the platform's name of the link (/proc), the same
    # for both families when no name was given
    assert s.recv(v4, buf) == (3, ("10.77.0.9", 5353, "veth0")) and buf[:3] == b"abc"
    assert s.recv(v6, buf) == (2, ("fe80::9", 5353, "veth0"))
    assert s.recv(v4, buf) == (0, None)


def test_recv_reports_interface_name_when_chosen_by_name(fake):
    s = net.Sockets(interface="veth0")
    s.v4.inbox.append((b"abc", ("10.77.0.9", 5353)))
    s.v6.inbox.append((b"de", ("fe80::9%veth0", 5353, 0, 7)))
    buf = bytearray(100)
    assert s.recv(s.v4, buf) == (3, ("10.77.0.9", 5353, "veth0"))
    assert s.recv(s.v6, buf) == (2, ("fe80::9", 5353, "veth0"))
    # the engine's checks and the unicast reply path take the 3-tuple
    src = ("10.77.0.9", 5353, "veth0")
    assert s.on_link(src) and not s.is_own(src)
    s.send(b"x", ("10.77.0.9", 40000, "veth0"))
    assert s.v4.sent[-1] == (b"x", ("10.77.0.9", 40000))


def test_driver_feeds_the_engine_the_interface(fake):
    # The cache and browser read src[2] (the interface an answer came in on).
    from mdns import sync, wire
    from mdns.engine import Engine

    class Part:
        got = []

        def names(self):
            return None  # every packet

        def on_response(self, msg, src, now):
            self.got.append(src)

    s = net.Sockets(interface="veth0")
    eng = Engine()
    part = eng.attach(Part())
    d = sync.Driver(eng, s, clock=lambda: 1000)
    w = wire.Writer(0, wire.FLAG_QR | wire.FLAG_AA, 512)
    w.add_answer(wire.Record("x.local", wire.TYPE_A, "10.77.0.9", ttl=120, cache_flush=True))
    s.v4.inbox.append((w.packet(), ("10.77.0.9", 5353)))
    d.process(s.v4)
    assert part.got == [("10.77.0.9", 5353, "veth0")]


def test_rejoin_joins_again(fake):
    s = net.Sockets(["10.77.0.5"], ipv6=False)
    v4 = fake[0]
    s.rejoin()
    assert len(opt(v4, net.IPPROTO_IP, net.IP_ADD_MEMBERSHIP)) == 2
    s.rejoin(["10.77.0.6"])
    assert opt(v4, net.IPPROTO_IP, net.IP_ADD_MEMBERSHIP)[-1][4:] == bytes([10, 77, 0, 6])
    assert s.addrs == ["10.77.0.6"] and s.is_own(("10.77.0.6", 5353))


def test_is_own_and_on_link(fake):
    s = net.Sockets(["10.77.0.5", "fd77::5"])
    assert s.is_own(("10.77.0.5", 5353)) and not s.is_own(("10.77.0.5", 40000))
    assert not s.is_own(("10.77.0.6", 5353))
    assert s.on_link(("10.77.0.200", 5353))
    assert not s.on_link(("10.78.0.1", 5353))  # s11: other subnet
    assert s.on_link(("fd77::1234", 5353))
    assert not s.on_link(("fd78::1", 5353))
    assert s.on_link(("fe80::1", 5353))  # link-local is always on-link


def test_netns_guard_refuses(fake, monkeypatch):
    monkeypatch.setenv("MDNS_TEST_NETNS", "no-such-namespace-xyz")
    with pytest.raises(OSError) as e:
        net.Sockets(["10.77.0.5"])
    assert "MDNS_TEST_NETNS" in str(e.value)
    assert fake == []  # nothing opened


def test_netns_guard_compares_inodes(fake, monkeypatch, tmp_path):
    real_stat = os.stat

    def stat(p):
        if p == "/run/netns/t1":
            return real_stat("/proc/self/ns/net")
        if p == "/run/netns/t2":
            return real_stat("/")
        return real_stat(p)

    monkeypatch.setattr(net.os, "stat", stat)
    monkeypatch.setenv("MDNS_TEST_NETNS", "t1")
    net.Sockets(["10.77.0.5"], ipv6=False)  # inside: allowed
    monkeypatch.setenv("MDNS_TEST_NETNS", "t2")
    with pytest.raises(OSError):
        net.Sockets(["10.77.0.5"], ipv6=False)


def test_constant_fallbacks_for_lwip_and_unix_port(monkeypatch):
    bare = types.SimpleNamespace(AF_INET=2)
    monkeypatch.setattr(net, "socket", bare)
    monkeypatch.setattr(net, "_LWIP", True)
    assert net._c("IP_ADD_MEMBERSHIP", 35, 3) == 3  # lwIP (esp32)
    assert net._c("IP_MULTICAST_TTL", 33, None) is None  # missing on esp32: skipped
    monkeypatch.setattr(net, "_LWIP", False)
    assert net._c("IP_ADD_MEMBERSHIP", 35, 3) == 35  # Linux (unix port)
    monkeypatch.setattr(net, "socket", types.SimpleNamespace(IP_ADD_MEMBERSHIP=12))
    assert net._c("IP_ADD_MEMBERSHIP", 35, 3) == 12  # the port's own value wins


def test_missing_multicast_options_are_skipped(fake, monkeypatch):
    monkeypatch.setattr(net, "IP_MULTICAST_TTL", None)
    monkeypatch.setattr(net, "IP_MULTICAST_IF", None)
    net.Sockets(["10.77.0.5"], ipv6=False)
    assert all(o not in (None,) for l, o, v in fake[0].opts)


def test_decode_raw_sockaddr_unix_port():
    # struct sockaddr_in / sockaddr_in6 as the MicroPython unix port returns them
    raw4 = struct.pack("<H", 2) + struct.pack(">H", 5353) + bytes([10, 77, 0, 9]) + bytes(8)
    assert net.decode_sockaddr(raw4) == ("10.77.0.9", 5353)
    raw6 = struct.pack("<H", 10) + struct.pack(">H", 40000) + bytes(4) + bytes([0xFD, 0x77] + [0] * 13 + [9]) + bytes(4)
    assert net.decode_sockaddr(raw6) == ("fd77::9", 40000)
    assert net.decode_sockaddr(("FD77:0::9", 1)) == ("fd77::9", 1)


def test_same_prefix():
    a = bytes([10, 77, 0, 5])
    assert net.same_prefix(a, bytes([10, 77, 0, 200]), 24)
    assert net.same_prefix(a, bytes([10, 77, 1, 5]), 24) is False
    assert net.same_prefix(a, bytes([10, 77, 2, 5]), 23) is False
    assert net.same_prefix(a, bytes([10, 77, 1, 5]), 23)
    assert net.same_prefix(a, bytes([10, 77, 1, 5]), 16)
    assert net.same_prefix(a, bytes([10, 76, 0, 5]), 15)


def test_device_address_from_network_wlan(monkeypatch):
    # The esp32 port: network.WLAN(STA_IF).ipconfig("addr4") -> (ip, netmask)
    class WLAN:
        def __init__(self, kind):
            self.kind = kind

        def active(self):
            return True

        def isconnected(self):
            return self.kind == 0

        def ipconfig(self, what):
            assert what == "addr4"
            return ("192.168.1.77", "255.255.254.0")

    fake = types.SimpleNamespace(STA_IF=0, AP_IF=1, WLAN=WLAN)
    monkeypatch.setitem(__import__("sys").modules, "network", fake)
    monkeypatch.setattr(ifaces, "_LWIP", True)
    got = net.platform_ifaces()
    assert [(i.ip, i.prefix) for i in got] == [("192.168.1.77", 23)]


def test_device_address_older_ifconfig(monkeypatch):
    class WLAN:
        def __init__(self, kind):
            pass

        def active(self):
            return True

        def isconnected(self):
            return True

        def ifconfig(self):
            return ("10.1.2.3", "255.255.255.0", "10.1.2.1", "10.1.2.1")

    monkeypatch.setitem(__import__("sys").modules, "network", types.SimpleNamespace(STA_IF=0, WLAN=WLAN))
    monkeypatch.setattr(ifaces, "_LWIP", True)
    assert [(i.ip, i.prefix) for i in net.platform_ifaces()] == [("10.1.2.3", 24)]


# ------------------------------------------------ interface reported in src[2]
TWO_IFACES = {
    "/proc/net/if_inet6": "fd770000000000000000000000000005 07 40 00 80 veth0\n"
                          "fe800000000000000000000000000005 07 40 20 80 veth0\n"
                          "fd780000000000000000000000000005 08 40 00 80 veth1\n"
                          "fe800000000000000000000000000006 08 40 20 80 veth1\n"
                          "00000000000000000000000000000001 01 80 10 80 lo\n",
    "/proc/net/fib_trie": "Main:\n  +-- 0.0.0.0/0 3 0 5\n     |-- 10.77.0.0\n        /24 link UNICAST\n"
                          "     |-- 10.77.0.5\n        /32 host LOCAL\n"
                          "     |-- 10.78.0.0\n        /24 link UNICAST\n"
                          "     |-- 10.78.0.5\n        /32 host LOCAL\n"
                          "     |-- 127.0.0.1\n        /32 host LOCAL\n",
    "/proc/net/route": "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
                       "veth0\t00004D0A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
                       "veth1\t00004E0A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n",
}


def _srcs(s):
    """(interface of an IPv4 datagram, interface of an IPv6 one) as recv reports them."""
    buf = bytearray(64)
    out = []
    for sock, a in ((s.v4, ("10.77.0.9", 5353)), (s.v6, ("fe80::9%x", 5353, 0, 7))):
        if sock is None:
            out.append(None)
            continue
        sock.inbox.append((b"x", a))
        out.append(s.recv(sock, buf)[1][2])
    return tuple(out)


def test_interface_is_the_same_for_both_families(fake):
    # One dual-stack link: an IPv4 and an IPv6 datagram name the same interface, whether
    # the addresses come from the platform or from the caller (looked up in /proc).
    assert _srcs(net.Sockets()) == ("veth0", "veth0")
    assert _srcs(net.Sockets(["10.77.0.5", "fd77::5"])) == ("veth0", "veth0")
    assert _srcs(net.Sockets(["fd77::5", "10.77.0.5"])) == ("veth0", "veth0")
    assert _srcs(net.Sockets(["10.77.0.5"], ipv6=False)) == ("veth0", None)
    assert _srcs(net.Sockets(["fd77::5"])) == (None, "veth0")


def test_interface_given_by_the_caller_wins(fake):
    assert _srcs(net.Sockets(["10.77.0.5", "fd77::5"], interface="lan")) == ("lan", "lan")
    assert _srcs(net.Sockets(interface="veth0")) == ("veth0", "veth0")


def test_interface_falls_back_to_the_ipv4_address(fake, monkeypatch):
    # A platform without /proc (or addresses it does not list): the IPv4 address for
    # both families; the IPv6 address when there is no IPv4 one.
    monkeypatch.setattr(ifaces, "_read", lambda p: "")
    assert _srcs(net.Sockets(["fd77::5", "10.77.0.5"])) == ("10.77.0.5", "10.77.0.5")
    assert _srcs(net.Sockets(["fd77::5"])) == (None, "fd77::5")
    # one family's name known, the other's not: the known name for both
    i4, i6 = net.Iface("10.77.0.5"), net.Iface("fd77::5", name="eth0")
    assert net.link_names([i4, i6]) == ("eth0", "eth0")


def test_two_interfaces_each_report_their_own(fake, monkeypatch):
    monkeypatch.setattr(ifaces, "_read", lambda p: TWO_IFACES.get(p, ""))
    monkeypatch.setattr(net.socket, "if_nametoindex", {"veth0": 7, "veth1": 8}.get)
    a = net.Sockets(["10.77.0.5", "fd77::5"])
    b = net.Sockets(["10.78.0.5", "fd78::5"])
    assert _srcs(a) == ("veth0", "veth0")
    assert _srcs(b) == ("veth1", "veth1")
    assert b.index6 == 8
    # chosen by name: that interface's addresses, and its name
    c = net.Sockets(interface="veth1")
    assert c.addrs == ["10.78.0.5", "fd78::5"] and _srcs(c) == ("veth1", "veth1")
    # no choice: the first interface
    assert _srcs(net.Sockets()) == ("veth0", "veth0")
    # IPv4 on one and IPv6 on the other: each socket names its own link
    d = net.Sockets(["10.77.0.5", "fd78::5"])
    assert d.index6 == 8 and _srcs(d) == ("veth0", "veth1")


class _WLAN:
    up = (0,)  # kinds that are active and connected

    def __init__(self, kind):
        self.kind = kind

    def active(self):
        return self.kind in self.up

    def isconnected(self):
        return self.kind in self.up

    def ipconfig(self, what):
        return (("192.168.1.77", "255.255.255.0"), ("192.168.4.1", "255.255.255.0"))[self.kind]


def test_interface_on_an_esp32_like_board(fake, monkeypatch):
    # lwIP port: addresses and the interface name from network.WLAN ("sta" / "ap");
    # /proc is never read there.
    def no_proc(p):
        raise AssertionError("read %s on the esp32 path" % p)

    monkeypatch.setattr(ifaces, "_read", no_proc)
    monkeypatch.setattr(net, "_LWIP", True)
    monkeypatch.setattr(ifaces, "_LWIP", True)
    monkeypatch.setitem(__import__("sys").modules, "network",
                        types.SimpleNamespace(STA_IF=0, AP_IF=1, WLAN=_WLAN))
    monkeypatch.setattr(_WLAN, "up", (0,))
    s = net.Sockets()
    assert s.addrs == ["192.168.1.77"] and s.v6 is None
    assert _srcs(s) == ("sta", None)
    assert _srcs(net.Sockets(["192.168.1.77"])) == ("sta", None)
    assert _srcs(net.Sockets(["192.168.1.77"], interface="wifi")) == ("wifi", None)
    # an address the board does not have: the address itself
    assert _srcs(net.Sockets(["10.9.9.9"])) == ("10.9.9.9", None)
    # access point only
    monkeypatch.setattr(_WLAN, "up", (1,))
    s = net.Sockets()
    assert s.addrs == ["192.168.4.1"] and _srcs(s) == ("ap", None)
    # after a reconnect rejoin re-reads the board: the name follows
    monkeypatch.setattr(_WLAN, "up", (0,))
    s.rejoin()
    assert s.addrs == ["192.168.1.77"] and _srcs(s) == ("sta", None)


@pytest.mark.parametrize("errno_, lwip, hint", [
    (112, True, "built-in one (stock MicroPython); see docs/stock-firmware.md"),  # esp32 (newlib errno)
    (98, True, "built-in one"),  # rp2 / modlwip (MicroPython's errno)
    (98, False, "SO_REUSEADDR/SO_REUSEPORT"),  # Linux
])
def test_port_held_by_another_responder_is_one_clear_line(fake, monkeypatch, errno_, lwip, hint):
    monkeypatch.setattr(net, "_MPY", lwip)
    monkeypatch.setattr(net, "_UNIX_MPY", False)

    def bind(self, a):
        raise OSError(errno_, "EADDRINUSE")

    monkeypatch.setattr(FakeSock, "bind", bind)
    with pytest.raises(OSError) as e:
        net.Sockets(["10.77.0.5"], ipv6=False)
    assert e.value.args[0] == errno_ and "UDP 5353 is taken" in e.value.args[1] and hint in e.value.args[1]
    assert "\n" not in e.value.args[1] and fake[0].closed


def test_other_bind_errors_pass_through(fake, monkeypatch):
    def bind(self, a):
        raise OSError(13, "EACCES")

    monkeypatch.setattr(FakeSock, "bind", bind)
    with pytest.raises(OSError) as e:
        net.Sockets(["10.77.0.5"], ipv6=False)
    assert e.value.args == (13, "EACCES")


def test_one_shot_binds_an_ephemeral_port_joins_nothing_and_sends_to_5353(fake):
    s = net.Sockets(["10.77.0.5", "fd77::5"], one_shot=True)
    v4, v6 = fake
    assert v4.bound == ("0.0.0.0", 0) and v6.bound[:2] == ("::", 0)
    assert not opt(v4, net.IPPROTO_IP, net.IP_ADD_MEMBERSHIP) and not opt(v6, net.IPPROTO_IPV6, net.IPV6_JOIN_GROUP)
    s.rejoin()
    assert not opt(v4, net.IPPROTO_IP, net.IP_ADD_MEMBERSHIP)
    s.send(b"q")
    assert v4.sent == [(b"q", ("224.0.0.251", 5353))] and v6.sent[0][1][:2] == ("ff02::fb", 5353)


def test_host_receive_buffer_and_own_link_local_source(fake):
    # issue 13: 200 hosts answer one query within ~0.1 s (a bigger receive buffer on a
    # host), and our own IPv6 multicasts come back from the link-local address
    s = net.Sockets(["10.77.0.5", "fd77::5"])
    for x in fake:
        assert opt(x, real_socket.SOL_SOCKET, real_socket.SO_RCVBUF) == [net.RCVBUF]
    assert s.is_own(("fe80::5", 5353)) and s.is_own(("fd77::5", 5353))
    assert not s.is_own(("fe80::9", 5353)) and not s.is_own(("fe80::5", 40000))
    assert s.addrs == ["10.77.0.5", "fd77::5"]  # published: not the link-local one
    one = net.Sockets(["10.77.0.5"], ipv6=False, one_shot=True)
    assert one is not None and opt(fake[-1], real_socket.SOL_SOCKET, real_socket.SO_RCVBUF) == []


def test_multicast_goes_out_on_ipv6_when_ipv4_fails(fake):
    # issue 13: while the IPv4 address changes, sending on IPv4 fails; the goodbye for the
    # old address was lost on IPv6 too, since the error ended send() before it
    s = net.Sockets(["10.77.0.5", "fd77::5"])
    v4 = [x for x in fake if x.family == real_socket.AF_INET][0]
    v6 = [x for x in fake if x.family == real_socket.AF_INET6][0]

    def fail(data, a):
        raise OSError(99, "EADDRNOTAVAIL")

    v4.sendto = fail
    with pytest.raises(OSError):
        s.send(b"bye")
    assert v6.sent == [(b"bye", ("ff02::fb", 5353, 0, 7))]
