# Fleet OTA device side in real MicroPython: offer checks (the signing digest
# computed here against signatures made on the host, tests/vectors/fleet_offers.json;
# on the unix binary of make test-unix the curve check is the real one, mbedtls),
# and the streamed download + slot writer against a RAM partition and a fake socket,
# with the heap high-water mark of the upgrade path.
import gc
import hashlib
import binascii
import json

from mpytest import eq, raises, note, vector
from mdns.fleet import offer, writer, http

FIX = json.loads(vector("fleet_offers.json", "r"))
PUB = binascii.unhexlify(FIX["pub"])
OTHER_PUB = binascii.unhexlify(FIX["other_pub"])
OFFERS = FIX["offers"]
N0, N1, N2 = FIX["nonces"]
BLOCK = 4096


def _known():
    # (pub, digest, sig) that the host's `cryptography` signed: a stand-in for the
    # curve check where no mbedtls is linked (the wasm port)
    k = {}
    for name in OFFERS:
        o = OFFERS[name]
        pub = OTHER_PUB if name in ("otherkey", "after_rekey") else PUB
        k[(pub, offer.digest(o), binascii.unhexlify(o["sig"]))] = 1
        if "psig" in o:  # a rekey's proof, signed with the new key
            k[(binascii.unhexlify(o["pub"]), offer.digest(o), binascii.unhexlify(o["psig"]))] = 1
    return k


def _fake_verify(pub, dig, sig, _k=[]):
    if not _k:
        _k.append(_known())
    return (bytes(pub), bytes(dig), bytes(sig)) in _k[0]


try:
    import fleetsig  # the unix binary (make test-unix): the real check, mbedtls

    VERIFY = fleetsig.verify
except ImportError:
    VERIFY = _fake_verify


def _verify(o, pub=PUB, slot=0x180000, nonce=N0, bad=()):
    o = offer.normalize(o)
    r = offer.check_signature(o, pub, VERIFY)
    return r if r != "ok" else offer.check_firmware(o, nonce, "B1", "0.1.0", slot, bad)


def test_offer_decisions():
    eq(_verify(OFFERS["ok"]), "ok")
    o = dict(OFFERS["ok"])
    o["v"] = "0.9.0"
    eq(_verify(o), "signature")
    eq(_verify(OFFERS["ok"], pub=OTHER_PUB), "signature")
    eq(_verify(OFFERS["otherkey"]), "signature")
    o = dict(OFFERS["ok"])
    del o["sig"]
    eq(_verify(o), "unsigned")
    eq(_verify(OFFERS["ok"], nonce=N1), "stale")
    eq(_verify(OFFERS["board"]), "board")
    eq(_verify(OFFERS["downgrade"]), "downgrade")
    eq(_verify(OFFERS["downgrade_ok"]), "ok")
    eq(_verify(OFFERS["same"]), "same")
    eq(_verify(OFFERS["ok"], slot=4096), "size")
    eq(_verify(OFFERS["ok"], bad=("ab" * 32,)), "rolled-back-before")
    eq(_verify(OFFERS["ok"], pub=None), "nokey")
    # TXT values arrive as bytes from the wire
    b = {}
    o = OFFERS["ok"]
    for k in o:
        b[k] = o[k].encode()
    eq(_verify(b), "ok")


def test_versions():
    eq(offer.compare_versions("1.10.0", "1.9.9"), 1)
    eq(offer.compare_versions("1.0.0-rc1", "1.0.0"), -1)
    eq(offer.compare_versions("1.0", "1.0.0"), 0)
    raises(ValueError, offer.parse_version, "v1")


class RamPartition:
    """esp32.Partition methods the writer uses, over a preallocated bytearray."""

    def __init__(self, nblocks):
        self.mem = bytearray(nblocks * BLOCK)
        self.mv = memoryview(self.mem)
        self.n = nblocks

    def ioctl(self, op, arg):
        return self.n if op == 4 else BLOCK if op == 5 else 0

    def writeblocks(self, i, buf):
        self.mv[i * BLOCK : i * BLOCK + len(buf)] = buf

    def readblocks(self, i, buf):
        buf[:] = self.mv[i * BLOCK : i * BLOCK + len(buf)]


class FakeSock:
    def __init__(self, head, body, cut=None):
        self.head = head
        self.body = memoryview(body)
        self.pos = 0
        self.total = len(head) + len(body)
        self.cut = self.total if cut is None else cut

    def send(self, b):
        return len(b)

    def readinto(self, mv):
        # at most 1460 bytes per call, like one TCP segment
        n = len(mv)
        if n > 1460:
            n = 1460
        if n > self.cut - self.pos:
            n = self.cut - self.pos
        if n <= 0:
            return 0
        i = 0
        hl = len(self.head)
        while i < n:
            p = self.pos + i
            if p < hl:
                k = min(n - i, hl - p)
                mv[i : i + k] = self.head[p : p + k]
            else:
                k = n - i
                mv[i : i + k] = self.body[p - hl : p - hl + k]
            i += k
        self.pos += n
        return n

    def close(self):
        pass


def _image(n):
    img = bytearray(n)
    seed = hashlib.sha256(b"fleet").digest()
    for i in range(0, n, 32):
        seed = hashlib.sha256(seed).digest()
        k = min(32, n - i)
        img[i : i + k] = seed[:k]
    return img


_BUF = bytearray(BLOCK)


def _download(img, part, cut=None, sha=None):
    sha = sha or binascii.hexlify(hashlib.sha256(img).digest()).decode()
    head = b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n" % len(img)
    sock = FakeSock(head, img, cut)
    w = writer.SlotWriter(part, len(img), sha, _BUF)
    http.get("http://10.0.0.1:8080/x.bin", w, 5, lambda h, p, t: sock)
    w.finish()


def _allocated(img, part):
    # bytes allocated by one whole upgrade path (download, hash, write, read back)
    # with the collector off: an upper bound of its heap high-water mark
    gc.collect()
    gc.disable()
    try:
        a0 = gc.mem_alloc()
        _download(img, part)
        return gc.mem_alloc() - a0
    finally:
        gc.enable()


def test_download_and_heap_high_water():
    small = _image(16 * BLOCK + 100)
    big = _image(64 * BLOCK + 100)
    part = RamPartition(80)
    _download(small, part)
    eq(bytes(part.mv[: len(small)]), bytes(small))
    _download(big, part)
    eq(bytes(part.mv[: len(big)]), bytes(big))
    a16 = _allocated(small, part)
    a64 = _allocated(big, part)
    per_block = (a64 - a16) // 48
    fixed = a16 - 16 * per_block
    note("fleet upgrade path heap, fixed part (gc off; + the caller's 4096-byte block buffer)", fixed, "bytes")
    note("fleet upgrade path heap, per 4 KiB block (short-lived views)", per_block, "bytes")
    note("fleet upgrade path heap, whole 64-block (256 KiB) download with gc off", a64, "bytes")
    # fixed part: the 1 KiB header buffer, the hash object, the writer; per block only
    # small short-lived views (the fake socket delivers 1460-byte segments)
    assert fixed < 4096, fixed
    assert per_block < 256, per_block


def test_download_refusals_leave_reasons():
    img = _image(8 * BLOCK)
    part = RamPartition(10)
    e = raises(http.HttpError, _download, img, part, 3000)
    eq(e.reason, "truncated")
    e = raises(writer.WriteError, _download, img, part, None, "00" * 32)
    eq(e.reason, "sha256")
    e = raises(writer.WriteError, _download, _image(11 * BLOCK), part)
    eq(e.reason, "size")


# ---- the agent itself on MicroPython: a two-slot RAM flash with the bootloader rule
class _Flash:
    def __init__(self, nblocks):
        self.slots = {"ota_0": RamPartition(nblocks), "ota_1": RamPartition(nblocks)}
        self.running = "ota_0"
        self.boot = "ota_0"
        self.states = {"ota_0": "valid", "ota_1": "empty"}

    def reset(self):
        b = self.boot
        if self.states[b] == "new":
            self.states[b] = "pending-verify"
        elif self.states[b] == "pending-verify":
            self.states[b] = "aborted"
            b = self.boot = "ota_0" if b == "ota_1" else "ota_1"
        self.running = b

    def partition_class(self):
        flash = self

        class P:
            RUNNING = 1

            def __init__(self, id):
                self.label = flash.running if id == 1 else id
                self.ram = flash.slots[self.label]

            def info(self):
                return (0, 0x10, 0, self.ram.n * BLOCK, self.label, False)

            def get_next_update(self):
                return P("ota_1" if self.label == "ota_0" else "ota_0")

            def ioctl(self, op, arg):
                return self.ram.ioctl(op, arg)

            def writeblocks(self, i, buf):
                assert self.label != flash.running
                self.ram.writeblocks(i, buf)

            def readblocks(self, i, buf):
                self.ram.readblocks(i, buf)

            def set_boot(self):
                flash.boot = self.label
                flash.states[self.label] = "new"

            @staticmethod
            def mark_app_valid_cancel_rollback():
                flash.states[flash.running] = "valid"

        return P


def _agent(flash, version, resets, veto=None):
    from mdns.fleet import agent

    return agent.Agent(None, name="d1", board="B1", version=version, chip="esp32", key=PUB,
                       key_path="/fleet-test.pub", state_path="/fleet-test.json", partition=flash.partition_class(),
                       reset=lambda: resets.append(1), veto=veto, watchdog_ms=1000, clock=lambda: _NOW[0],
                       log=lambda m: None, verify=VERIFY)


_NOW = [0]


def _guard(flash):
    from mdns import fleet

    return fleet.guard(1000, state_path="/fleet-test.json", partition=flash.partition_class(),
                       make_wdt=lambda timeout: ("wdt", timeout))


def test_agent_upgrade_then_rollback_on_micropython():
    import os

    try:
        os.remove("/fleet-test.json")
    except OSError:
        pass
    flash = _Flash(8)
    resets = []
    eq(_guard(flash), None)  # marked-valid firmware: fleet.guard() starts no watchdog
    a = _agent(flash, "0.1.0", resets)
    txt = dict(a.txt())
    eq(txt["slot"], "ota_0")
    eq(txt["ota"], "valid")
    img = _image(5 * BLOCK + 7)
    o = OFFERS["img"]
    eq(o["sha"], binascii.hexlify(hashlib.sha256(img).digest()).decode())
    head = b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n" % len(img)
    a.connect = lambda h, p, t: FakeSock(head, img)
    eq(a.on_offer("d1", o, delay_ms=None), "stale")  # signed for another nonce
    eq(len(resets), 0)
    a.nonce = N0
    a.offer_gone("d1")
    eq(a.on_offer("d1", o, delay_ms=None), "ok")
    eq(len(resets), 1)
    eq(flash.boot, "ota_1")
    eq(bytes(flash.slots["ota_1"].mv[: len(img)]), bytes(img))
    flash.reset()
    eq(_guard(flash), ("wdt", 6000))  # on probation: the watchdog starts before Wi-Fi
    b = _agent(flash, "0.2.0", resets, veto=lambda: "selftest")
    eq(dict(b.txt())["ota"], "pending-verify")
    assert not b.confirm()
    _NOW[0] = 1000
    b.tick()  # probation over: reset without marking valid
    eq(len(resets), 2)
    flash.reset()
    eq(_guard(flash), None)  # rolled back: no watchdog for the old firmware
    c = _agent(flash, "0.1.0", resets)
    t = dict(c.txt())
    eq((t["slot"], t["ota"], t["last_error"]), ("ota_0", "rolled-back", "rollback"))
    assert t["nonce"] != N0 and len(t["nonce"]) == 16
    # the captured offer is stale; a fresh one for the same image is refused too
    c.connect = lambda h, p, t: FakeSock(head, img)
    eq(c.on_offer("d1", o, delay_ms=None), "stale")
    c.nonce = N1
    eq(c.on_offer("x", OFFERS["img_again"], delay_ms=None), "rolled-back-before")
    eq(len(resets), 2)
    # a wrong signature is refused and reported
    o2 = dict(o)
    o2["v"] = "0.3.0"
    eq(c.on_offer("y", o2, delay_ms=None), "signature")
    eq(dict(c.txt())["last_error"], "signature")
    eq(flash.boot, "ota_0")
    # rekey: the new key is stored; the old one is retired
    c.nonce = N0
    eq(c.on_offer("k", OFFERS["rekey"], delay_ms=None), "ok")
    with open("/fleet-test.pub") as f:
        eq(f.read().strip(), FIX["other_pub"])
    c.nonce = N2
    eq(c.on_offer("z", OFFERS["img_retry"], delay_ms=None), "signature")  # signed with the retired key
    c.nonce = N1
    c.connect = lambda h, p, t: FakeSock(b"HTTP/1.0 200 OK\r\n\r\n", b"x" * 5000)
    eq(c.on_offer("w", OFFERS["after_rekey"], delay_ms=None), "sha256")  # the new key's offer is taken


def test_agent_upgrade_heap_with_verification():
    # one whole upgrade by the agent (judging the signed offer, download, hash, write,
    # read back, switch) with the collector off: an upper bound of its high-water mark
    # above the idle agent (whose 4096-byte block buffer exists already). The curve
    # check is mbedtls's and allocates on the C heap, not here; everything around it is
    # (on the unix binary the real fleetsig module is called).
    import os

    for f in ("/fleet-test.json", "/fleet-test.pub"):
        try:
            os.remove(f)
        except OSError:
            pass
    flash = _Flash(8)
    resets = []
    a = _agent(flash, "0.1.0", resets)
    img = _image(5 * BLOCK + 7)
    reply = b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n" % len(img)
    a.connect = lambda h, p, t: FakeSock(reply, img)
    a.nonce = N0
    o = OFFERS["img"]
    # phase 1: judging the offer (normalize, signing digest, checks, TXT, fleet.json)
    gc.collect()
    gc.disable()
    try:
        m0 = gc.mem_alloc()
        eq(a.on_offer("d1", o, delay_ms=0), "ok")
        judge = gc.mem_alloc() - m0
    finally:
        gc.enable()
    # phase 2: the download from tick() (the agent collects first, then steps)
    gc.collect()
    gc.disable()
    try:
        m0 = gc.mem_alloc()
        n = 0
        while not resets and n < 100:
            a.tick()
            n += 1
        down = gc.mem_alloc() - m0
    finally:
        gc.enable()
    eq(len(resets), 1)
    # with a collection every 64 KiB at most 16 blocks' garbage is live at once:
    # add the 10 blocks this 6-block image lacks (96 B each, the download case above)
    bound = max(judge, down + 10 * 96) + BLOCK
    note("fleet agent: judging a signed offer, gc off", judge, "bytes")
    note("fleet agent: 6-block download in %d steps, gc off" % n, down, "bytes")
    note("fleet agent upgrade high-water bound above idle (+ the 4096-byte buffer)", bound, "bytes")
    assert bound < 9300, bound
