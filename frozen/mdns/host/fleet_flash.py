"""A file-backed stand-in for the esp32 flash: two OTA app slots, otadata, and
the ESP-IDF bootloader's rollback rule, behind the `esp32.Partition` methods the
fleet agent uses. For the simulator and the tests; never imported on a device.
Runs on CPython and on the MicroPython unix port (a simulated device there).

    flash = SimFlash("state/dir", slot_size=0x1C0000)
    P = flash.partition_class()           # use where esp32.Partition would be
    P(P.RUNNING).get_next_update().writeblocks(0, buf)
    flash.reset()                         # the bootloader picks the slot to run

Bootloader rule (ESP-IDF with CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE): set_boot()
marks the slot `new`; booting a `new` slot makes it `pending-verify`; booting a
slot still `pending-verify` (never marked valid) marks it `aborted` and runs
the other valid slot instead.

Simulated app images follow the layout of an ESP-IDF app image where the agent
looks: the app descriptor (magic 0xABCD5432 at 0x20, version string at 0x30,
project name at 0x50, ELF sha256 at 0xB0), then a JSON line at 0x100 with the
board and behaviour flags, then filler up to the requested size.
"""
import hashlib
import json
import os
import struct

BLOCK = 4096
SLOT_SIZE = 0x1C0000  # the 4 MiB OTA table's app slot
IMAGE_MAGIC = b"MPSIMAPP"
DESC_MAGIC = 0xABCD5432
ESP_ERR_OTA_VALIDATE_FAILED = -5379


def make_image(board, version, size=64 * 1024, flags=()):
    """A simulated app image: bytes of exactly `size`. flags: 'novalid' (the
    firmware never marks itself valid), 'crash' (resets while starting)."""
    meta = json.dumps({"board": board, "version": version, "flags": list(flags)}).encode() + b"\n"
    head = bytearray(0x100)
    head[0:8] = IMAGE_MAGIC
    struct.pack_into("<I", head, 0x20, DESC_MAGIC)
    v = version.encode()[:31]
    head[0x30 : 0x30 + len(v)] = v
    head[0x50 : 0x50 + 8] = b"mdnsfast"
    elf = hashlib.sha256(("sim-elf %s %s %s" % (board, version, ",".join(flags))).encode()).digest()
    head[0xB0:0xD0] = elf
    body = bytes(head) + meta
    if size < len(body):
        raise ValueError("size: at least %d bytes" % len(body))
    # deterministic filler so that every version has its own hash
    fill = bytearray()
    seed = hashlib.sha256(body).digest()
    while len(body) + len(fill) < size:
        seed = hashlib.sha256(seed).digest()
        fill += seed * 32
    return body + bytes(fill[: size - len(body)])


def read_image(data):
    """Parse a simulated image's header -> {'board', 'version', 'flags'} or None."""
    if len(data) < 0x100 or bytes(data[:8]) != IMAGE_MAGIC:
        return None
    if struct.unpack_from("<I", data, 0x20)[0] != DESC_MAGIC:
        return None
    end = bytes(data[0x100 : 0x100 + 1024]).find(b"\n")
    if end < 0:
        return None
    try:
        return json.loads(bytes(data[0x100 : 0x100 + end]).decode())
    except ValueError:
        return None


class SimFlash:
    SLOTS = ("ota_0", "ota_1")

    def __init__(self, path, slot_size=SLOT_SIZE):
        if slot_size % BLOCK:
            raise ValueError("slot_size: not a multiple of %d" % BLOCK)
        self.path = path
        self.slot_size = slot_size
        try:
            os.mkdir(path)
        except OSError:
            pass
        self.meta_path = path + "/otadata.json"
        self.meta = None
        try:
            with open(self.meta_path) as f:
                self.meta = json.load(f)
        except (OSError, ValueError):
            pass
        if not self.meta:
            self.meta = {"boot": "ota_0", "states": {"ota_0": "valid", "ota_1": "empty"}, "running": "ota_0"}
            self._save()
        for s in self.SLOTS:
            p = self._slot_path(s)
            try:
                os.stat(p)
            except OSError:
                with open(p, "wb") as f:  # erased flash (no truncate() on MicroPython)
                    blank = b"\xff" * BLOCK
                    for _ in range(slot_size // BLOCK):
                        f.write(blank)
        self.running = self.meta.get("running", "ota_0")

    def _slot_path(self, slot):
        return "%s/%s.bin" % (self.path, slot)

    def _save(self):
        tmp = self.meta_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.meta, f)
        try:
            os.remove(self.meta_path)  # os.replace does not exist on MicroPython
        except OSError:
            pass
        os.rename(tmp, self.meta_path)

    # ---- what a serial flash (esptool) would do ----
    def flash_image(self, data, slot="ota_0"):
        """Write an image as the first serial flash does: erase otadata, boot `slot`."""
        self.write_slot(slot, data)
        other = [s for s in self.SLOTS if s != slot][0]
        self.meta = {"boot": slot, "states": {slot: "valid", other: "empty"}, "running": slot}
        self._save()
        self.running = slot

    def write_slot(self, slot, data):
        with open(self._slot_path(slot), "r+b") as f:
            f.write(data)
            f.write(b"\xff" * ((-len(data)) % BLOCK))

    def read_slot(self, slot, n=None):
        with open(self._slot_path(slot), "rb") as f:
            return f.read(self.slot_size if n is None else n)

    def image(self, slot=None):
        """Header of the image in `slot` (default: the running one) or None."""
        return read_image(self.read_slot(slot or self.running, 0x100 + 1024))

    def state(self, slot):
        return self.meta["states"].get(slot, "empty")

    # ---- the bootloader ----
    def reset(self):
        """Restart: choose the slot to run by the rollback rule. Returns its label."""
        st = self.meta["states"]
        boot = self.meta["boot"]
        if st.get(boot) == "new":
            st[boot] = "pending-verify"
        elif st.get(boot) == "pending-verify":
            st[boot] = "aborted"
            others = [s for s in self.SLOTS if s != boot and st.get(s) == "valid"]
            if others:
                boot = self.meta["boot"] = others[0]
        self.meta["running"] = self.running = boot
        self._save()
        return boot

    # ---- esp32.Partition ----
    def partition_class(self):
        flash = self

        class Partition(_SimPartition):
            BOOT = 0
            RUNNING = 1
            TYPE_APP = 0
            TYPE_DATA = 1

            def __init__(self, id):
                if id == Partition.RUNNING:
                    label = flash.running
                elif id == Partition.BOOT:
                    label = flash.meta["boot"]
                elif id in flash.SLOTS:
                    label = id
                else:
                    raise ValueError("partition: no %r" % (id,))
                _SimPartition.__init__(self, flash, label)

            @staticmethod
            def mark_app_valid_cancel_rollback():
                flash.meta["states"][flash.running] = "valid"
                flash._save()

        return Partition


class _SimPartition:
    def __init__(self, flash, label):
        self.flash = flash
        self.label = label
        self.writes = 0

    def __repr__(self):
        return "<Partition %s>" % self.label

    def info(self):
        i = self.flash.SLOTS.index(self.label)
        return (0, 0x10 + i, 0x10000 + i * self.flash.slot_size, self.flash.slot_size, self.label, False)

    def get_next_update(self):
        i = self.flash.SLOTS.index(self.label)
        return type(self)(self.flash.SLOTS[(i + 1) % len(self.flash.SLOTS)])

    def _check(self, block, n, offset):
        off = block * BLOCK + (offset or 0)
        if block < 0 or off + n > self.flash.slot_size:
            raise OSError(22, "write past the end of the partition")
        return off

    def readblocks(self, block, buf, offset=None):
        off = self._check(block, len(buf), offset)
        with open(self.flash._slot_path(self.label), "rb") as f:
            f.seek(off)
            f.readinto(buf)  # no copy: the agent measures its heap around this

    def writeblocks(self, block, buf, offset=None):
        if self.label == self.flash.running:
            raise OSError(13, "write to the running partition")
        off = self._check(block, len(buf), offset)
        with open(self.flash._slot_path(self.label), "r+b") as f:
            f.seek(off)
            f.write(buf)
        self.writes += 1

    def ioctl(self, op, arg):
        if op == 4:
            return self.flash.slot_size // BLOCK
        if op == 5:
            return BLOCK
        return 0

    def set_boot(self):
        data = self.flash.read_slot(self.label, 0x100 + 1024)
        if read_image(data) is None:
            raise OSError(ESP_ERR_OTA_VALIDATE_FAILED)
        self.flash.meta["boot"] = self.label
        self.flash.meta["states"][self.label] = "new"
        self.flash._save()
