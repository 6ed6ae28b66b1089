# What the device remembers across resets (a small JSON file on its own
# filesystem, which OTA never touches) and the TXT of its fleet record.
import json

VALID = "valid"
PENDING = "pending-verify"  # new firmware booted, not yet marked valid
ROLLED_BACK = "rolled-back"  # the bootloader went back to the old firmware
UPDATING = "updating"  # downloading an offer right now


class State:
    def __init__(self, path):
        self.path = path
        self.pending = None  # {"slot", "v", "from", "fromv", "sha"} while switching
        self.ota = VALID
        self.err = ""
        self.sha = ""
        self.offer = ""  # first 8 hex digits of the signature of the last offer judged
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

    def save(self):
        d = {"pending": self.pending, "ota": self.ota, "err": self.err, "sha": self.sha, "offer": self.offer}
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(d, f)
        import os

        try:
            os.remove(self.path)
        except OSError:
            pass
        os.rename(tmp, self.path)


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
