# What the device remembers across resets (a small JSON file on its own
# filesystem, which OTA never touches) and the TXT of its fleet record.
import json

VALID = "valid"
PENDING = "pending-verify"  # new firmware booted, not yet marked valid
ROLLED_BACK = "rolled-back"  # the bootloader went back to the old firmware
UPDATING = "updating"  # downloading an offer right now
BAD_MAX = 8  # rolled-back images remembered


class State:
    def __init__(self, path):
        self.path = path
        self.pending = None  # {"slot", "v", "from", "fromv", "sha"} while switching
        self.ota = VALID
        self.err = ""
        self.sha = ""
        self.offer = ""  # first 8 hex digits of the signature of the last offer judged
        self.bad = []  # sha256 hex of images this device rolled back from (newest last)
        self.took = ""  # "HOST VERSION" of the last offer taken
        self.load()

    def load(self):
        try:
            with open(self.path) as f:
                d = json.load(f)
        except (OSError, ValueError):
            return
        self.pending = d.get("pending")
        self.ota = d.get("ota", VALID)
        self.err = d.get("err", "")
        self.sha = d.get("sha", "")
        self.offer = d.get("offer", "")
        self.bad = d.get("bad", [])
        self.took = d.get("took", "")

    def save(self):
        d = {"pending": self.pending, "ota": self.ota, "err": self.err, "sha": self.sha, "offer": self.offer,
             "bad": self.bad, "took": self.took}
        write_atomic(self.path, json.dumps(d))

    def add_bad(self, sha):
        if sha and sha not in self.bad:
            self.bad.append(sha)
            del self.bad[:-BAD_MAX]


def write_atomic(path, text):
    """Write a temporary file, then rename it over `path`: a reset leaves the old
    or the new content (littlefs and POSIX renames are atomic)."""
    import os

    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    try:
        os.rename(tmp, path)
    except OSError:  # a file system whose rename does not replace
        os.remove(path)
        os.rename(tmp, path)


def app_hash(part, buf):
    """First 12 hex digits of the running app's ELF sha256, read from the ESP-IDF
    app descriptor (esp_app_desc_t at 0x20: magic 0xABCD5432, sha at +0x90).
    '' when the slot holds no descriptor. `buf` is a 4096-byte scratch buffer."""
    try:
        part.readblocks(0, buf)
    except OSError:
        return ""
    if buf[0x20:0x24] != b"\x32\x54\xcd\xab":
        return ""
    import binascii

    return binascii.hexlify(buf[0xB0:0xB6]).decode()
