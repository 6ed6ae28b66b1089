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
