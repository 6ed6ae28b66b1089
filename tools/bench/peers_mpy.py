# bench-peers, the MicroPython half: one library per process, driven through its own
# receive path with fake sockets (nothing is opened), inside the peer-bench unix binary.
# Run by tools/bench/bench_peers.py:
#   micropython peers_mpy.py LIB CORPUS MEASURE
# LIB: ours | ourspy (mdns.fastpy backend) | sl (slimDNS) | cb (cbrand mdns_client)
# CORPUS: datagrams as <len16 big-endian><bytes>...  MEASURE: ram | run | have
# Prints one line "@@PEERS {json}". Figures: us per packet (time.ticks_us over the corpus,
# best of ROUNDS), heap bytes per packet (gc.mem_alloc delta with gc off, mean over the
# corpus), RAM (mem_alloc delta around import + a claimed hostname-only responder).
import gc
import sys
import time

LIB, CORPUS, MEASURE = sys.argv[1], sys.argv[2], sys.argv[3]
HOST = "kitchen-cam"
IP = "10.0.0.5"
PEER = "10.0.0.9"
ROUNDS = 3
SRC3 = (PEER, 5353, "bench")  # src for feed() of code without wants() (unused when dropped)
REPEAT = 4  # passes over the corpus per timing round


def load(path):
    out = []
    with open(path, "rb") as f:
        b = f.read()
    i = 0
    while i < len(b):
        n = b[i] << 8 | b[i + 1]
        out.append(b[i + 2:i + 2 + n])
        i += 2 + n
    return out


class Clock:
    # fake ms clock: queries 2 s apart, so no library's rate limit holds an answer back
    t = 0


class FakeSock:
    """A UDP socket with one queue: recvfrom allocates what a real one does (the
    datagram, the ip string, two tuples); sendto keeps the last reply."""

    def __init__(self):
        self.q = None
        self.sent = None
        self.nsent = 0

    def feed(self, data):
        self.q = data

    def recvfrom(self, n):
        d = self.q
        if d is None:
            raise OSError(11)  # EAGAIN, as a non-blocking socket
        self.q = None
        return bytes(d), ((PEER + ".")[:-1], 5353)

    def sendto(self, data, addr):
        self.sent = data
        self.nsent += 1

    # what the peers call while setting up
    def setsockopt(self, *a):
        pass

    def bind(self, a):
        pass

    def setblocking(self, f):
        pass

    def close(self):
        pass

    def fileno(self):
        return 99


SOCK = FakeSock()


def fake_select(r, w, x, t=None):
    # select.select over the one fake socket (the unix port has none; the peers need it)
    if SOCK.q is not None:
        return [SOCK], [], []
    return [], [], []


class FakeSocketModule:
    AF_INET = 2
    SOCK_DGRAM = 2
    SOL_SOCKET = 1
    SO_REUSEADDR = 2
    IPPROTO_IP = 0
    IP_ADD_MEMBERSHIP = 35

    def socket(self, *a):
        return SOCK

    def getaddrinfo(self, *a):
        return [(2, 2, 0, "", ("0.0.0.0", 5353))]


class FakeSelectModule:
    # select.select for the peers; poll stays the real one (asyncio's loop needs it)
    select = staticmethod(fake_select)


def shim():
    import select

    FakeSelectModule.poll = select.poll
    FakeSelectModule.POLLIN = select.POLLIN
    FakeSelectModule.POLLOUT = select.POLLOUT
    import asyncio  # noqa: F401 (the peers' dependency; frozen in the port like ours)

    sys.modules["socket"] = FakeSocketModule()
    sys.modules["select"] = FakeSelectModule


def timed(fn, packets):
    best = None
    for _ in range(ROUNDS):
        gc.collect()
        t0 = time.ticks_us()
        for _ in range(REPEAT):
            for p in packets:
                fn(p)
        dt = time.ticks_diff(time.ticks_us(), t0)
        if best is None or dt < best:
            best = dt
    return best / (REPEAT * len(packets))


def heap(fn, packets):
    fn(packets[0])  # warm-up
    tot = 0
    for p in packets:
        gc.collect()
        gc.disable()
        a0 = gc.mem_alloc()
        fn(p)
        a1 = gc.mem_alloc()
        gc.enable()
        tot += a1 - a0
    return tot / len(packets)


def query_a(name, qid=0):
    # an A question for name, QM, from port 5353
    w = bytearray(b"\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00")
    w[0] = qid >> 8
    w[1] = qid & 255
    for lab in name.split("."):
        w.append(len(lab))
        w.extend(lab.encode())
    w.extend(b"\x00\x00\x01\x00\x01")
    return bytes(w)


def a_answer_ok(data, name):
    # the reply holds an A record for name with our address (checked by hand, the same
    # way for every library: the name uncompressed at 12, then type A, rdata 10.0.0.5)
    if data is None or len(data) < 12 + 4 or not data[2] & 0x80:
        return False
    want = bytearray()
    for lab in name.split("."):
        want.append(len(lab))
        want.extend(lab.encode())
    want.append(0)
    i = 12
    # skip questions (legacy echoes them; none here)
    qd = data[4] << 8 | data[5]
    for _ in range(qd):
        while data[i]:
            i += 1 + data[i]
        i += 5
    if bytes(data[i:i + len(want)]).lower() != bytes(want).lower():
        return False
    i += len(want)
    return data[i:i + 2] == b"\x00\x01" and bytes(data[i + 8:i + 14]) == b"\x00\x04\x0a\x00\x00\x05"


# ---------------------------------------------------------------- the libraries
class Ours:
    def setup(self, py):
        import mdns
        from mdns import net

        if py:
            from mdns import wire, fastpy

            wire.use(fastpy)

        class BenchSockets(net.Sockets):
            # mdns.net.Sockets over the fake socket: its own recv/is_own/on_link run
            def __init__(self):
                self.port = 5353
                self.interface = "bench"
                self.on_error = None
                self.v4 = SOCK
                self.v6 = None
                self._socks = [SOCK]
                self.addrs = [IP]
                self._own = set([IP])
                self.ifaces = [net.Iface(IP, 24)]
                self._g4 = (net.GROUP4, 5353)
                self.index6 = 0

            def close(self):
                pass

        self.r = mdns.Responder(HOST, sockets=BenchSockets(), clock=lambda: Clock.t,
                                rand=lambda lo, hi: lo)
        self.r.process()
        for _ in range(20):  # probe, claim, announce
            Clock.t += 250
            self.r.process()
        assert self.r.claimed
        self.eng = self.r.engine
        self.wants = getattr(self.eng, "wants", None)  # bound once: no method object per call
        return self

    def drop(self, data):
        # the step our loop runs on a datagram (Driver._read): the drop test wants();
        # feed() is wants() + handle(), handle() is never reached by a datagram not for
        # us. Code without wants() (before issue 11) dropped inside feed().
        w = self.wants
        if w is not None:
            w(data)
        else:
            self.eng.feed(data, SRC3, Clock.t)

    def loop(self, p):
        SOCK.q = p
        self.r.process(SOCK)

    def answer(self, p):
        Clock.t += 2000
        SOCK.q = p
        self.r.process(SOCK)


class SL:
    def setup(self):
        shim()
        import slimDNS

        # probes by resolving its own name; a str name would hit .encode("UTF8"), which
        # MicroPython rejects, so the labels go in as bytes
        self.s = slimDNS.SlimDNSServer(IP, [HOST.encode()])
        return self

    def drop(self, mv):
        # a fresh (ip, port) per datagram, as recvfrom gives SL's loop (16 B counted
        # here); with one shared tuple SL measures ~2.5x slower on this heap (the
        # allocator's first-fit scan meets other holes), which would flatter us
        try:
            self.s.process_packet(mv, (PEER, 5353))
        except Exception:
            pass

    def loop(self, p):
        SOCK.q = p
        self.s.process_waiting_packets()

    answer = loop


class CB:
    def setup(self):
        shim()
        import asyncio

        sys.modules["uasyncio"] = asyncio
        from mdns_client import Client
        from mdns_client.responder import Responder
        from mdns_client.parser import parse_packet
        from mdns_client import structs, util

        # CB 1.8.0 encodes labels with str.encode("UTF-8"), which MicroPython since
        # v1.29 rejects (only "utf-8"/"utf8"/"ascii"): without this every reply fails.
        # Its contract (a dotted name or labels -> labels as bytes), accepted spelling.
        def check_name(n):
            if isinstance(n, str):
                n = (n[:-1] if n.endswith(".") else n).split(".")
            return [x if isinstance(x, bytes) else x.encode("utf-8") for x in n]

        structs.check_name = util.check_name = check_name

        self.asyncio = asyncio
        self.parse = parse_packet
        self.c = Client(IP)
        self.r = Responder(self.c, own_ip=lambda: IP, host=lambda: HOST)
        self.r.start()
        asyncio.run(self._settle())
        return self

    async def _settle(self):
        for _ in range(3):
            await self.asyncio.sleep_ms(0)

    def drop(self, mv):
        try:
            m = self.parse(mv)
        except Exception:
            return
        c = self.r._on_response(m)
        try:
            c.send(None)
        except StopIteration:
            pass

    def loop(self, p):
        SOCK.q = p
        self.asyncio.run(self.c.process_waiting_data())

    def answer(self, p):
        SOCK.q = p
        self.asyncio.run(self.c.process_waiting_data())
        self.asyncio.run(self._settle())  # the reply is sent by a task


def make(lib):
    if lib == "ours":
        return Ours().setup(False)
    if lib == "ourspy":
        return Ours().setup(True)
    if lib == "sl":
        return SL().setup()
    return CB().setup()


def main():
    out = {"lib": LIB, "measure": MEASURE, "bits": 64 if sys.maxsize > 2**32 else 32}
    if MEASURE == "have":  # which peers this binary holds
        shim()
        got = []
        for m in ("slimDNS", "mdns_client"):
            try:
                __import__(m)
                got.append(m)
            except ImportError:
                pass
        out["have"] = got
        print("@@PEERS", repr(out).replace("'", '"'))
        return
    if MEASURE == "ram":
        if LIB in ("sl", "cb"):
            shim()
        gc.collect()
        a0 = gc.mem_alloc()
        lib = make(LIB)
        gc.collect()
        out["ram"] = gc.mem_alloc() - a0
        out["modules"] = sorted(k for k in sys.modules if k.startswith("mdns"))
        del lib
        print("@@PEERS", repr(out).replace("'", '"'))
        return
    packets = load(CORPUS)
    lib = make(LIB)
    # each parse step gets what its own loop hands it: SL a memoryview of the datagram,
    # ours and CB the bytes recvfrom returned (made here, outside the measure)
    ins = [memoryview(p) for p in packets] if LIB == "sl" else packets
    out["packets"] = len(packets)
    out["drop_us"] = timed(lib.drop, ins)
    out["drop_heap"] = heap(lib.drop, ins)
    if LIB != "ourspy":
        out["loop_us"] = timed(lib.loop, packets)
        out["loop_heap"] = heap(lib.loop, packets)
        # what the fake socket read allocates by itself (subtracted: "beyond the read")
        def read(p):
            SOCK.q = p
            SOCK.recvfrom(1500)
        out["read_heap"] = heap(read, packets)
        q = [query_a(HOST + ".local", i) for i in range(8)]
        SOCK.sent = None
        lib.answer(q[0])
        out["answer_ok"] = a_answer_ok(SOCK.sent, HOST + ".local")
        n0 = SOCK.nsent
        out["answer_us"] = timed(lib.answer, q)
        out["answer_heap"] = heap(lib.answer, q)
        out["answer_sent"] = (SOCK.nsent - n0) / (ROUNDS * REPEAT * len(q) + len(q) + 1)
    print("@@PEERS", repr(out).replace("'", '"').replace("True", "true").replace("False", "false"))


main()
