# Upgrade offers: the TXT of a `_mpfleet-offer._tcp` instance named after the
# device it is meant for, signed with HMAC-SHA256 under the fleet key.
# The same code signs on the host and verifies on the device (docs/fleet.md).
import binascii
import hashlib

from . import hmac256

FORMAT = "1"
# Signed fields in signing order. `dg`="1" allows a downgrade (or reinstall).
FIELDS = ("fv", "dev", "board", "v", "len", "sha", "url", "dg")
MAX_LEN = 16 * 1024 * 1024

# Reason codes (device TXT `last_error=`, host summary). OK accepts the offer.
OK = "ok"
FORMAT_ERR = "format"  # a field missing, malformed or not this format
NOKEY = "nokey"  # no fleet key provisioned on the device
UNSIGNED = "unsigned"
SIGNATURE = "signature"  # wrong signature (other key, or a field changed)
BOARD = "board"
SAME = "same"  # already running that version: nothing to do, not an error
DOWNGRADE = "downgrade"  # older version and the offer does not allow it
SIZE = "size"  # image larger than the next OTA slot


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
    parts = ["mpfleet-offer-" + FORMAT + "\n"]
    for k in FIELDS:
        v = o.get(k, "")
        if "\n" in v:
            raise ValueError("offer: newline in field " + k)
        parts.append(k + "=" + v + "\n")
    return "".join(parts).encode()


def sign(o, key):
    """Hex HMAC-SHA256 of the offer dict `o` ({str: str}) under `key` (bytes)."""
    return binascii.hexlify(hmac256.digest(key, signing_string(o))).decode()


def make(key, dev, board, version, length, sha256_hex, url, downgrade=False):
    """Build a signed offer TXT dict ({str: str})."""
    o = {
        "fv": FORMAT,
        "dev": dev,
        "board": board,
        "v": version,
        "len": str(int(length)),
        "sha": sha256_hex.lower(),
        "url": url,
        "dg": "1" if downgrade else "0",
    }
    o["sig"] = sign(o, key)
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


def check_format(o):
    for k in FIELDS:
        if k not in o:
            return False
    if o["fv"] != FORMAT or not o["len"].isdigit() or o["dg"] not in ("0", "1"):
        return False
    sha = o["sha"]
    if len(sha) != 64:
        return False
    try:
        binascii.unhexlify(sha)
        parse_version(o["v"])
    except ValueError:
        return False
    if not o["url"].startswith("http://"):
        return False
    n = int(o["len"])
    return 0 < n <= MAX_LEN


def verify(o, key, board, running_version, slot_size):
    """Decide on a normalized offer `o`. Returns OK or a reason code.
    Signature before anything else: an unsigned offer gets no further look."""
    if "sig" not in o or not o["sig"]:
        return UNSIGNED
    if not check_format(o):
        return FORMAT_ERR
    if not key:
        return NOKEY
    try:
        want = binascii.unhexlify(o["sig"])
    except ValueError:
        return SIGNATURE
    if not hmac256.equal(want, hmac256.digest(key, signing_string(o))):
        return SIGNATURE
    if o["board"] != board:
        return BOARD
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


def load_key(path):
    """Read a fleet key file (64 hex digits, optional whitespace) -> 32 bytes, or None."""
    try:
        with open(path) as f:
            text = f.read().strip()
    except OSError:
        return None
    try:
        k = binascii.unhexlify(text)
    except ValueError:
        return None
    return k if len(k) >= 16 else None


def sha256_hex(data):
    return binascii.hexlify(hashlib.sha256(data).digest()).decode()
