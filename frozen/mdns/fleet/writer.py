# Streams an app image into the next OTA slot through one fixed 4096-byte
# buffer: hashes while writing, then reads the slot back and hashes again.
# Never calls set_boot(): that is the caller's step once finish() says "ok".
import binascii
import hashlib

BLOCK = 4096
# Reason codes (see also fleet.offer)
SIZE = "size"
TRUNCATED = "truncated"  # fewer bytes than the offer's length
SHA256 = "sha256"  # hash of what was received differs from the offer's
READBACK = "readback"  # the slot does not read back what was written
WRITE = "write"  # the flash refused a write or read


class WriteError(Exception):
    @property
    def reason(self):
        return self.args[0]


class SlotWriter:
    def __init__(self, part, length, sha256_hex, buf=None):
        self.part = part
        bs = part.ioctl(5, 0)
        if bs and bs != BLOCK:
            raise WriteError(WRITE)
        self.slot_size = part.ioctl(4, 0) * BLOCK
        if length > self.slot_size:
            raise WriteError(SIZE)
        self.length = length
        self.want = sha256_hex.lower()
        self.buf = buf if buf is not None else bytearray(BLOCK)
        self.mv = memoryview(self.buf)
        self.fill = 0
        self.block = 0
        self.received = 0
        self.h = hashlib.sha256()

    def remaining(self):
        return self.length - self.received

    def space(self):
        """A view of the free part of the buffer, capped at what is still due:
        read into it, then call `got(n)`. Never reads past the image length."""
        n = BLOCK - self.fill
        r = self.length - self.received
        if r < n:
            n = r
        if n == BLOCK:
            return self.mv  # the common case allocates nothing
        return self.mv[self.fill : self.fill + n]

    def got(self, n):
        self.fill += n
        self.received += n
        if self.fill == BLOCK:
            self._flush()

    def write(self, data):
        """Copy bytes in (for bytes that arrived in another buffer)."""
        mv = memoryview(data)
        i = 0
        while i < len(mv):
            sp = self.space()
            if not len(sp):
                raise WriteError(TRUNCATED)  # more than the offer's length
            k = len(mv) - i
            if k > len(sp):
                k = len(sp)
            sp[:k] = mv[i : i + k]
            self.got(k)
            i += k

    def _flush(self):
        n = self.fill
        self.h.update(self.buf if n == BLOCK else self.mv[:n])
        while n < BLOCK:  # pad the last block with erased-flash bytes
            self.buf[n] = 0xFF
            n += 1
        try:
            self.part.writeblocks(self.block, self.buf)
        except OSError:
            raise WriteError(WRITE)
        self.block += 1
        self.fill = 0

    def finish(self):
        """Check length and hash, then read the slot back. Raises WriteError."""
        if self.received != self.length:
            raise WriteError(TRUNCATED)
        if self.fill:
            self._flush()
        if _hex(self.h) != self.want:
            raise WriteError(SHA256)
        h = hashlib.sha256()
        left = self.length
        i = 0
        try:
            while left > 0:
                self.part.readblocks(i, self.buf)
                k = BLOCK if left > BLOCK else left
                h.update(self.buf if k == BLOCK else self.mv[:k])
                left -= k
                i += 1
        except OSError:
            raise WriteError(WRITE)
        if _hex(h) != self.want:
            raise WriteError(READBACK)


def _hex(h):
    return binascii.hexlify(h.digest()).decode()
