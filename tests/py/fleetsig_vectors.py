"""Random ECDSA P-256/SHA-256 vectors made with `cryptography`, in the layout of
tests/vectors/wycheproof_ecdsa_p256_sha256_p1363.json: for each random key and
message a valid signature, and the same signature with one bit flipped, on
another message, under another key and with r or s out of range (invalid).
`python tests/py/fleetsig_vectors.py OUT.json [N [SEED]]` writes N keys' worth
(make test-unix runs them through the firmware's `fleetsig` module)."""
import json
import random
import sys

N_P256 = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def make(n=20, seed=1):
    from cryptography.hazmat.primitives.asymmetric import ec

    from mdns.host import fleet_keys

    rnd = random.Random(seed)
    groups = []
    other = ec.generate_private_key(ec.SECP256R1())
    for i in range(n):
        k = ec.generate_private_key(ec.SECP256R1())
        sign = fleet_keys.signer(k)
        msg = bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(0, 200)))
        sig = sign(msg)
        flip = bytearray(sig)
        flip[rnd.randrange(64)] ^= 1 << rnd.randrange(8)
        r, s = sig[:32], sig[32:]
        tests = [
            [1, msg.hex(), sig.hex(), "valid", "random key and message"],
            [2, msg.hex(), bytes(flip).hex(), "invalid", "one bit of the signature flipped"],
            [3, (msg + b"x").hex(), sig.hex(), "invalid", "another message"],
            [4, msg.hex(), fleet_keys.signer(other)(msg).hex(), "invalid", "signed by another key"],
            [5, msg.hex(), (r + N_P256.to_bytes(32, "big")).hex(), "invalid", "s = n"],
            [6, msg.hex(), (bytes(32) + s).hex(), "invalid", "r = 0"],
            [7, msg.hex(), sig[:63].hex(), "invalid", "63-byte signature"],
        ]
        groups.append({"key": fleet_keys.pub_hex(k), "tests": tests})
    return {"source": "random, cryptography seed %d" % seed, "groups": groups}


if __name__ == "__main__":
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    with open(sys.argv[1], "w") as f:
        json.dump(make(n, seed), f)


def mpy_image(n):
    # the image tests/mpy/cases/test_fleet.py builds (_image): a sha256 chain
    import hashlib

    out = bytearray(n)
    seed = hashlib.sha256(b"fleet").digest()
    for i in range(0, n, 32):
        seed = hashlib.sha256(seed).digest()
        k = min(32, n - i)
        out[i : i + k] = seed[:k]
    return bytes(out)


def offers():
    """Signed offers for the MicroPython cases (tests/vectors/fleet_offers.json): the
    wasm port has no mbedtls, so the cases check that MicroPython computes the same
    signing digest as the host, against signatures made here."""
    import hashlib

    from cryptography.hazmat.primitives.asymmetric import ec

    from mdns.fleet import offer
    from mdns.host import fleet_keys

    k, other = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    sign, sign2 = fleet_keys.signer(k), fleet_keys.signer(other)
    img = mpy_image(5 * 4096 + 7)
    sha = hashlib.sha256(img).hexdigest()
    n0, n1, n2 = "00000000000000aa", "00000000000000bb", "00000000000000cc"
    base = dict(dev="d1", host="h1", nonce=n0, board="B1", version="0.2.0", length=5000, sha256_hex="ab" * 32,
                url="http://10.0.0.1:8080/x.bin")

    def o(signer=sign, **kw):
        a = dict(base)
        a.update(kw)
        return offer.make(signer, **a)

    out = {
        "pub": fleet_keys.pub_hex(k), "other_pub": fleet_keys.pub_hex(other), "nonces": [n0, n1, n2],
        "offers": {
            "ok": o(), "otherkey": o(sign2), "board": o(board="B2"), "downgrade": o(version="0.0.1"),
            "downgrade_ok": o(version="0.0.1", downgrade=True), "same": o(version="0.1.0"),
            "img": o(length=len(img), sha256_hex=sha), "img_again": o(length=len(img), sha256_hex=sha, nonce=n1),
            "img_retry": o(length=len(img), sha256_hex=sha, nonce=n2, retry=True),
            "rekey": offer.make_rekey(sign, "d1", "h1", n0, fleet_keys.pub_hex(other), sign2),
            "after_rekey": o(sign2, nonce=n1),
        },
    }
    return out


def write_offers(path):
    import json

    with open(path, "w") as f:
        json.dump(offers(), f, indent=1, sort_keys=True)
        f.write("\n")
