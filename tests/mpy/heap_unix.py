# Heap cost of the device hot paths, measured in a real MicroPython binary.
#
# Usage (any MicroPython with the mdns package importable; the figures that matter
# come from a 32-bit build with the mdnsfast C module, e.g. `make unix UNIX_BITS=32`):
#
#   build/unix-standard-32/micropython tests/mpy/heap_unix.py            # frozen mdns + mdnsfast
#   build/unix-standard-32/micropython tests/mpy/heap_unix.py frozen     # mdns from ./frozen (source)
#   build/unix-standard-32/micropython tests/mpy/heap_unix.py frozen py  # ... with mdns.fastpy
#   build/unix-standard-32/micropython tests/mpy/heap_unix.py - - 1200   # fail when a dropped
#                                                                        #   packet costs > 1200 B
#
# Arguments: [SRC|-] [py|c|-] [MAX_DROP]. SRC is put first on sys.path (so the source
# tree is measured instead of the frozen modules); `py` switches mdns.wire to the
# pure-Python backend; MAX_DROP (bytes) makes the script exit 1 when feeding a packet
# that does not concern us allocates more (a regression guard, not a timing). With
# MAX_DROP given, every figure is also checked against BOUNDS (32-bit bytes, doubled on
# a 64-bit build; the mdnsfast column, or the fastpy one with `py`).
#
# Each figure is gc.mem_alloc() after minus before with gc disabled, the steady
# state (best of several calls after a warm-up call that fills the per-module caches).
# No sockets are opened: the driver figure uses a fake socket layer that copies a
# datagram into the driver's buffer like recvfrom_into would.
import gc
import sys

argv = sys.argv[1:]
if argv and argv[0] != "-":
    sys.path.insert(0, argv[0])

from mdns import wire  # noqa: E402
from mdns.engine import Engine  # noqa: E402
from mdns.responder import ResponderPart  # noqa: E402
from mdns.service import Service  # noqa: E402
from mdns.sync import Driver  # noqa: E402

if len(argv) > 1 and argv[1] == "py":
    from mdns import fastpy

    wire.use(fastpy)

PEER = ("10.0.0.9", 5353)
HOST = "kitchen-cam"
# figure -> (mdnsfast, fastpy) bound in bytes, 32-bit: the measured figure + a margin
# (measured 2026-12-04 on a 32-bit unix build: 0/0, 0/0, 32/32, 64/240, 784/816, 960/992)
BOUNDS = {
    "drop": (0, 0),
    "process": (0, 0),
    "recv": (64, 64),
    "a": (96, 288),
    "ptr": (832, 880),
    "legacy": (1000, 1060),
}


def measure(fn, rounds=5):
    fn()  # warm-up: caches, pools, the parsed match table
    best = None
    for _ in range(rounds):
        gc.collect()
        gc.disable()
        try:
            a0 = gc.mem_alloc()
            fn()
            a1 = gc.mem_alloc()
        finally:
            gc.enable()
        d = a1 - a0
        if best is None or d < best:
            best = d
    return best


class Rig:
    def __init__(self):
        self.eng = Engine(rand=lambda lo, hi: lo)
        self.part = ResponderPart(self.eng, HOST, ("10.0.0.5",))
        self.part.add_service(Service("Kitchen Cam", "_http._tcp", 80, txt={"path": "/"}), 0)
        self.part.start(0)
        self.now = 0
        self.run(3000)
        self.eng.take_output()
        self.eng.take_events()

    def run(self, until):
        eng = self.eng
        while True:
            d = eng.next_deadline()
            if d is None or d > until:
                break
            self.now = d
            eng.tick(d)
        self.now = until
        eng.tick(until)

    def answer(self, pkt, src=PEER):
        # feed, then run the timers until the response is out; 2 s apart so the
        # once-per-second multicast rate limit (RFC 6762 s6) never suppresses it
        self.now += 2000
        self.eng.feed(pkt, src, self.now)
        self.run(self.now + 200)
        out = self.eng.take_output()
        if not out:
            raise SystemExit("heap_unix: no answer")


def query(name, t):
    return wire.encode(wire.Message(questions=[wire.Question(name, t)]))[0]


class FakeNet:
    """mdns.net.Sockets as the driver sees it: one socket, one datagram waiting."""

    def __init__(self, data):
        self.data = data
        self.left = 0

    def is_own(self, src):
        return False

    def on_link(self, src):
        return True

    def sockets(self):
        return [self]

    def recv(self, sock, buf):
        if not self.left:
            return 0, None
        self.left -= 1
        n = len(self.data)
        buf[:n] = self.data
        return n, PEER

    def send(self, data, dest=None):
        pass


class ReadNet(FakeNet):
    """The read path of mdns.net.Sockets on MicroPython: read(sock) returns what
    recvfrom returned (prebuilt here: any allocation measured is the driver's)."""

    def __init__(self, data):
        FakeNet.__init__(self, data)
        self.got = (data, PEER)

    def read(self, sock):
        if not self.left:
            return None
        self.left -= 1
        return self.got

    def source(self, addr, sock):
        return addr


def main():
    rig = Rig()
    other = query("other-host.local", wire.TYPE_A)
    mine_a = query(HOST + ".local", wire.TYPE_A)
    browse = query("_http._tcp.local", wire.TYPE_PTR)
    eng = rig.eng

    def drop():
        eng.feed(other, PEER, rig.now)

    net = FakeNet(other)
    drv = Driver(eng, net, clock=lambda: rig.now)

    def drv_drop():
        net.left = 1
        drv._read(net, rig.now)

    rnet = ReadNet(other)
    rdrv = Driver(eng, rnet, clock=lambda: rig.now)

    def rdrv_drop():
        # mdns.net.Sockets' MicroPython path: the datagram as recvfrom returned it
        rnet.left = 1
        rdrv.process(rnet)

    dropped0 = eng.dropped
    figs = [
        ("feed, packet not for us (dropped)", measure(drop), "drop"),
        ("driver process(), packet not for us (read path)", measure(rdrv_drop), "process"),
        ("driver recv + feed, packet not for us", measure(drv_drop), "recv"),
        ("feed + answer, A query for our hostname", measure(lambda: rig.answer(mine_a)), "a"),
        ("feed + answer, PTR browse query", measure(lambda: rig.answer(browse)), "ptr"),
        ("feed + answer, legacy A query (port 40000)",
         measure(lambda: rig.answer(mine_a, ("10.0.0.9", 40000))), "legacy"),
        ("Writer(0, 0x8400, 1460) created", measure(lambda: wire.Writer(0, 0x8400, 1460)), None),
    ]
    if eng.dropped - dropped0 < 12:
        raise SystemExit("heap_unix: the other-host packet was not dropped")
    be = wire.backend()
    print("heap_unix: MicroPython %s, %d-bit, backend %s" % (
        ".".join(str(x) for x in sys.implementation.version[:3]),
        64 if sys.maxsize > 2**32 else 32, getattr(be, "__name__", be)))
    for label, n, _ in figs:
        print("%-50s %6d bytes" % (label, n))
    if len(argv) > 2:
        if figs[0][1] > int(argv[2]):
            print("heap_unix: FAIL: a dropped packet allocates %d bytes (limit %s)" % (figs[0][1], argv[2]))
            sys.exit(1)
        w = 2 if sys.maxsize > 2**32 else 1
        col = 1 if len(argv) > 1 and argv[1] == "py" else 0
        bad = [(label, n, BOUNDS[k][col] * w) for label, n, k in figs if k and n > BOUNDS[k][col] * w]
        for label, n, lim in bad:
            print("heap_unix: FAIL: %s: %d bytes (bound %d)" % (label, n, lim))
        if bad:
            sys.exit(1)


main()
