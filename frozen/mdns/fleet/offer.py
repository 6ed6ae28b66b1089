# Signed messages from a fleet host to one device: the TXT of a
# `_mpfleet-offer._tcp` instance. op=fw offers firmware, op=rekey hands over a
# new public key. Each is signed with ECDSA P-256 over SHA-256 of its signing
# string and carries the device's current `nonce`, so it counts once
# (docs/fleet.md, "Threat model"). The host signs (mdns.host.fleet_keys); the
# device checks here, the curve maths being mbedtls's (mdns.fleet.sig).
import binascii
import hashlib

FORMAT = "2"
FW = "fw"
REKEY = "rekey"
# Signed fields per op, in signing order. dg=1 allows a downgrade or reinstall;
# retry=1 allows an image this device rolled back from before.
FIELDS = {
    FW: ("fv", "op", "dev", "host", "nonce", "board", "v", "len", "sha", "url", "dg", "retry"),
    REKEY: ("fv", "op", "dev", "host", "nonce", "pub"),
}
MAX_LEN = 16 * 1024 * 1024
PUB_LEN = 65  # SEC 1 uncompressed P-256 point
SIG_LEN = 64  # r || s

# Reason codes (device TXT `last_error=`, host summary). OK accepts the offer.
OK = "ok"
FORMAT_ERR = "format"  # a field missing, malformed or not this format
NOKEY = "nokey"  # no public key (fleet.pub) on the device, or no verifier
UNSIGNED = "unsigned"
SIGNATURE = "signature"  # not signed by the device's key (other or retired key, any field changed)
STALE = "stale"  # signed for another nonce: a replay, or the device judged an offer since
BOARD = "board"
ROLLED_BEFORE = "rolled-back-before"  # this device rolled back from that image; needs retry=1
SAME = "same"  # already running that version: nothing to do, not an error
DOWNGRADE = "downgrade"  # older version and the offer does not allow it
SIZE = "size"  # image larger than the next OTA slot
NEWKEY = "newkey"  # a rekey whose new key does not sign its own offer (psig): kept the old key


def _s(v):
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    return bytes(v).decode()


def normalize(txt):
    """TXT dict ({str: bytes|str|None}) -> {str: str}; keys folded to lower case."""
    out = {}
    for k in txt:
        out[k.lower()] = _s(txt[k])
    return out


def signing_string(o):
    fields = FIELDS.get(o.get("op", ""))
    if fields is None:
        raise ValueError("offer: unknown op")
    parts = ["mpfleet-offer-" + FORMAT + "\n"]
    for k in fields:
        v = o.get(k, "")
        if "\n" in v:
            raise ValueError("offer: newline in field " + k)
        parts.append(k + "=" + v + "\n")
    return "".join(parts).encode()


def digest(o):
    return hashlib.sha256(signing_string(o)).digest()


def _signed(o, signer):
    o["sig"] = binascii.hexlify(signer(signing_string(o))).decode()
    return o


def make(signer, dev, host, nonce, board, version, length, sha256_hex, url, downgrade=False, retry=False):
    """A signed firmware offer ({str: str}). signer(bytes) -> 64-byte r||s."""
    o = {"fv": FORMAT, "op": FW, "dev": dev, "host": host, "nonce": nonce, "board": board, "v": version,
         "len": str(int(length)), "sha": sha256_hex.lower(), "url": url, "dg": "1" if downgrade else "0",
         "retry": "1" if retry else "0"}
    return _signed(o, signer)


def make_rekey(signer, dev, host, nonce, pub_hex, new_signer):
    """A new public key for `dev`, signed with the key it trusts now (`sig`) and with
    the new key (`psig`: proof that the key is a usable P-256 key its sender holds)."""
    o = _signed({"fv": FORMAT, "op": REKEY, "dev": dev, "host": host, "nonce": nonce, "pub": pub_hex.lower()},
                signer)
    o["psig"] = binascii.hexlify(new_signer(signing_string(o))).decode()
    return o


def parse_version(v):
    """'1.2.3' or '1.2.3-rc1' -> comparable tuple; ValueError if malformed.
    A pre-release sorts before its release (1.2.3-rc1 < 1.2.3)."""
    main = v
    pre = ""
    i = v.find("-")
    if i >= 0:
        main = v[:i]
        pre = v[i + 1 :]
    nums = []
    for p in main.split("."):
        if not p or not p.isdigit():
            raise ValueError("version: " + v)
        nums.append(int(p))
    while len(nums) < 3:
        nums.append(0)
    return (tuple(nums), 0 if pre else 1, pre)


def compare_versions(a, b):
    """-1, 0 or 1 as version a is older than, equal to or newer than b."""
    ka = parse_version(a)
    kb = parse_version(b)
    return (ka > kb) - (ka < kb)


def _hex_len(s, n):
    if len(s) != 2 * n:
        return False
    try:
        binascii.unhexlify(s)
    except ValueError:
        return False
    return True


def check_format(o):
    fields = FIELDS.get(o.get("op", ""))
    if fields is None or o.get("fv") != FORMAT:
        return False
    for k in fields:
        if k not in o:
            return False
    if not o["nonce"] or not o["dev"]:
        return False
    if o["op"] == REKEY:
        return _hex_len(o["pub"], PUB_LEN) and o["pub"][:2] == "04" and _hex_len(o.get("psig", ""), SIG_LEN)
    if not o["len"].isdigit() or o["dg"] not in ("0", "1") or o["retry"] not in ("0", "1"):
        return False
    if not _hex_len(o["sha"], 32) or not o["url"].startswith("http://"):
        return False
    try:
        parse_version(o["v"])
    except ValueError:
        return False
    n = int(o["len"])
    return 0 < n <= MAX_LEN


def check_signature(o, pub, verify):
    """Is the normalized offer `o` signed by public key `pub` (65 bytes)?
    verify(pub, digest, sig) -> bool is the curve check (mdns.fleet.sig).
    Returns OK or a reason; an unsigned offer gets no further look."""
    if not o.get("sig"):
        return UNSIGNED
    if not check_format(o):
        return FORMAT_ERR
    if not pub or verify is None:
        return NOKEY
    if not _hex_len(o["sig"], SIG_LEN):
        return SIGNATURE
    try:
        d = digest(o)
    except ValueError:  # a newline in a field: no canonical form
        return FORMAT_ERR
    if not verify(pub, d, binascii.unhexlify(o["sig"])):
        return SIGNATURE
    return OK


def check_firmware(o, nonce, board, running_version, slot_size, bad=()):
    """A validly signed op=fw offer: is it fresh, and should this device take it?
    `bad`: sha256 hex of images this device rolled back from."""
    if o["nonce"] != nonce:
        return STALE
    if o["board"] != board:
        return BOARD
    if o["sha"] in bad and o["retry"] != "1":
        return ROLLED_BEFORE
    try:
        c = compare_versions(o["v"], running_version)
    except ValueError:
        c = 1  # a running firmware without a parseable version accepts any
    if c == 0 and o["dg"] != "1":
        return SAME
    if c < 0 and o["dg"] != "1":
        return DOWNGRADE
    if int(o["len"]) > slot_size:
        return SIZE
    return OK


def load_pub(path):
    """Read a public key file (130 hex digits: 04 || X || Y) -> 65 bytes, or None."""
    try:
        with open(path) as f:
            text = f.read().strip()
    except OSError:
        return None
    if not _hex_len(text, PUB_LEN) or text[:2] != "04":
        return None
    return binascii.unhexlify(text)


def fingerprint(pub):
    """First 8 hex digits of sha256(public key): the `key` TXT, `none` without one."""
    if not pub:
        return "none"
    return binascii.hexlify(hashlib.sha256(pub).digest()[:4]).decode()


def sha256_hex(data):
    return binascii.hexlify(hashlib.sha256(data).digest()).decode()


def builtin_pub():
    # a public key frozen into the firmware (make firmware MDNSFAST_FLEET_PUB=...):
    # what a device upgraded from the HMAC format trusts until it gets a fleet.pub
    try:
        from .. import buildinfo

        k = getattr(buildinfo, "FLEET_PUB", "")
        return binascii.unhexlify(k) if len(k) == 130 else None
    except (ImportError, ValueError):
        return None


def new_nonce():
    # 64 random bits, hex: what the next offer must carry (os.urandom: the
    # ESP32's hardware RNG; the wasm port has none, so a PRNG stands in there)
    try:
        import os

        b = os.urandom(8)
    except (ImportError, AttributeError, NotImplementedError):
        import random

        b = bytes([random.getrandbits(8) for _ in range(8)])
    return binascii.hexlify(b).decode()
