# HMAC-SHA256 (RFC 2104) over hashlib.sha256: MicroPython has no `hmac` module.
import hashlib

_BLOCK = 64


def _pad(key, byte):
    return bytes([b ^ byte for b in key])


def digest(key, msg):
    """HMAC-SHA256 of bytes `msg` under bytes `key` (32 raw bytes)."""
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key + bytes(_BLOCK - len(key))
    inner = hashlib.sha256(_pad(key, 0x36))
    inner.update(msg)
    outer = hashlib.sha256(_pad(key, 0x5C))
    outer.update(inner.digest())
    return outer.digest()


def equal(a, b):
    """Compare two byte strings in time independent of where they differ."""
    if len(a) != len(b):
        return False
    r = 0
    for i in range(len(a)):
        r |= a[i] ^ b[i]
    return r == 0
