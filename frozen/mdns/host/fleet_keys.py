"""Fleet signing keys on the host: ECDSA P-256 from the `cryptography` package.
`fleet keygen KEY` writes the private key (PEM, mode 0600) to KEY and its public
key to KEY.pub (130 hex digits, SEC 1 uncompressed point). Only KEY.pub goes on
a device (as fleet.pub). Errors are ValueError with one line naming the file."""
import binascii
import os

PUB_SUFFIX = ".pub"


class BadKey(ValueError):
    pass


def _crypto():
    try:
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec, utils
    except ImportError:
        raise BadKey("the fleet host needs the `cryptography` package: pip install cryptography")
    return hashes, serialization, ec, utils


def pub_hex(priv):
    _, serialization, _, _ = _crypto()
    raw = priv.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return binascii.hexlify(raw).decode()


def keygen(path, force=False):
    """Write a new key pair: `path` (private, 0600) and `path`.pub. Returns the key."""
    hashes, serialization, ec, _ = _crypto()
    pub_path = path + PUB_SUFFIX
    for p in (path, pub_path):
        if os.path.exists(p) and not force:
            raise FileExistsError("%s exists (use --force to replace it; devices then need `fleet rekey`)" % p)
    priv = ec.generate_private_key(ec.SECP256R1())
    pem = priv.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    with open(pub_path, "w") as f:
        f.write(pub_hex(priv) + "\n")
    return priv


def load_private(path):
    """The private key in `path`, or BadKey saying what is wrong with the file."""
    _, serialization, ec, _ = _crypto()
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise BadKey("%s: no such key file (make one with: python -m mdns fleet keygen %s)" % (path, path))
    except OSError as e:
        raise BadKey("%s: cannot read the key file: %s" % (path, e.strerror))
    text = data.strip()
    if len(text) == 64 and all(c in b"0123456789abcdefABCDEF" for c in text):
        raise BadKey("%s is an HMAC fleet key of an older release: devices now check signatures with a public"
                        " key; see docs/fleet.md, \"Migrating an HMAC fleet\"" % path)
    if len(text) == 130 and text[:2] == b"04":
        raise BadKey("%s is a public key: signing needs the private key (the file without .pub)" % path)
    try:
        k = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise BadKey("%s: not a fleet private key (PEM, as written by: python -m mdns fleet keygen)" % path)
    if not isinstance(k, ec.EllipticCurvePrivateKey) or k.curve.name != "secp256r1":
        raise BadKey("%s: not a P-256 key (fleet keys are ECDSA P-256)" % path)
    return k


def load_public(path):
    """65-byte public key from a .pub file (or derived from a private key file)."""
    from mdns.fleet import offer

    pub = offer.load_pub(path)
    if pub is not None:
        return pub
    if not os.path.exists(path):
        raise BadKey("%s: no such key file" % path)
    return binascii.unhexlify(pub_hex(load_private(path)))


def signer(priv):
    """sign(message bytes) -> 64-byte r || s (ECDSA P-256, SHA-256)."""
    hashes, _, ec, utils = _crypto()

    def sign(msg):
        r, s = utils.decode_dss_signature(priv.sign(msg, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")

    return sign


# ---- format 1 (HMAC-SHA256 shared key): only to move a fleet of that format over
LEGACY_FIELDS = ("fv", "dev", "board", "v", "len", "sha", "url", "dg")


def load_legacy(path):
    """The 32-byte HMAC key of a format-1 fleet (64 hex digits), or BadKey."""
    try:
        with open(path) as f:
            text = f.read().strip()
    except FileNotFoundError:
        raise BadKey("%s: no such key file" % path)
    except OSError as e:
        raise BadKey("%s: cannot read the key file: %s" % (path, e.strerror))
    try:
        k = binascii.unhexlify(text)
    except (ValueError, binascii.Error):
        k = b""
    if len(k) < 16:
        raise BadKey("%s: not an HMAC fleet key of the older format (64 hex digits)" % path)
    return k


def make_legacy(key, dev, board, version, length, sha256_hex, url):
    """A format-1 offer (what firmware before the ECDSA format accepts)."""
    import hashlib
    import hmac

    o = {"fv": "1", "dev": dev, "board": board, "v": version, "len": str(int(length)), "sha": sha256_hex.lower(),
         "url": url, "dg": "0"}
    msg = "mpfleet-offer-1\n" + "".join("%s=%s\n" % (k, o[k]) for k in LEGACY_FIELDS)
    o["sig"] = hmac.new(key, msg.encode(), hashlib.sha256).hexdigest()
    return o


def image_trusts(path, pub_hex):
    """Does the app image at `path` carry `pub_hex` (frozen as buildinfo.FLEET_PUB)?"""
    needle = pub_hex.lower().encode()
    with open(path, "rb") as f:
        return needle in f.read()
