# Run on the unix-port binary (make test-unix): one whole fleet upgrade by the real
# agent, its offer checked by the `fleetsig` C module (mbedtls), into a RAM flash,
# from a fake socket. Prints the agent's heap high-water mark above idle
# (verification and download) and exits 1 past LIMIT bytes (argv[2]; 32-bit heap).
# argv[1]: tests/vectors/fleet_offers.json. MICROPYPATH must put frozen/ (the
# sources) before .frozen when the binary was built from an older tree.
import sys
import json
import hashlib
import binascii
import gc

from mdns.fleet import agent

BLOCK = 4096
fix = json.load(open(sys.argv[1]))
limit = int(sys.argv[2]) if len(sys.argv) > 2 else 0


class Ram:
    def __init__(self, n):
        self.mem = bytearray(n * BLOCK)
        self.n = n


class Flash:
    def __init__(self, n):
        self.slots = {"ota_0": Ram(n), "ota_1": Ram(n)}
        self.running = "ota_0"

    def cls(self):
        fl = self

        class P:
            RUNNING = 1

            def __init__(self, id):
                self.label = fl.running if id == 1 else id
                self.ram = fl.slots[self.label]

            def info(self):
                return (0, 0x10, 0, self.ram.n * BLOCK, self.label, False)

            def get_next_update(self):
                return P("ota_1" if self.label == "ota_0" else "ota_0")

            def ioctl(self, op, arg):
                return self.ram.n if op == 4 else BLOCK if op == 5 else 0

            def writeblocks(self, i, buf):
                memoryview(self.ram.mem)[i * BLOCK : i * BLOCK + len(buf)] = buf

            def readblocks(self, i, buf):
                buf[:] = memoryview(self.ram.mem)[i * BLOCK : i * BLOCK + len(buf)]

            def set_boot(self):
                pass

        return P


class Sock:
    def __init__(self, data):
        self.mv = memoryview(data)
        self.pos = 0

    def send(self, b):
        return len(b)

    def readinto(self, mv):
        n = min(len(mv), 1460, len(self.mv) - self.pos)
        mv[:n] = self.mv[self.pos : self.pos + n]
        self.pos += n
        return n

    def close(self):
        pass


def image(n):
    img = bytearray(n)
    seed = hashlib.sha256(b"fleet").digest()
    for i in range(0, n, 32):
        seed = hashlib.sha256(seed).digest()
        k = min(32, n - i)
        img[i : i + k] = seed[:k]
    return img


import os

for f in ("/tmp/fleet-heap-unix.json", "/tmp/fleet-heap-unix.pub"):
    try:
        os.remove(f)
    except OSError:
        pass
o = fix["offers"]["img"]
img = image(int(o["len"]))
assert binascii.hexlify(hashlib.sha256(img).digest()).decode() == o["sha"]
reply = b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n" % len(img) + img
resets = []
a = agent.Agent(None, name="d1", board="B1", version="0.1.0", chip="unix", key=binascii.unhexlify(fix["pub"]),
                key_path="/tmp/fleet-heap-unix.pub", state_path="/tmp/fleet-heap-unix.json",
                partition=Flash(8).cls(), reset=lambda: resets.append(1), log=lambda m: None,
                connect=lambda h, p, t: Sock(reply))
import fleetsig

assert a.verify is fleetsig.verify, "not the mbedtls verifier"
a.nonce = fix["nonces"][0]
# the same two phases as tests/mpy/cases/test_fleet.py, with the collector off
gc.collect()
gc.disable()
m0 = gc.mem_alloc()
r = a.on_offer("d1", o, delay_ms=0)
judge = gc.mem_alloc() - m0
gc.enable()
gc.collect()
gc.disable()
m0 = gc.mem_alloc()
n = 0
while not resets and n < 100:
    a.tick()
    n += 1
down = gc.mem_alloc() - m0
gc.enable()
bound = max(judge, down + 10 * 96) + BLOCK
print("fleet upgrade on unix (fleetsig/mbedtls verify): %s, resets %d; gc off: judging %d B, 6-block download %d B;"
      " high-water bound above idle %d B (+ the 4096-byte buffer)" % (r, len(resets), judge, down, bound))
sys.exit(0 if r == "ok" and resets and (not limit or bound < limit) else 1)
