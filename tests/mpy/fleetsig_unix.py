# Run on the unix-port binary (make test-unix): ECDSA P-256/SHA-256 vectors through
# the `fleetsig` C module (mbedtls). argv[1]: a JSON file {"groups": [{"key": hex,
# "tests": [[id, msg hex, sig hex, "valid"|"invalid", comment], ...]}]}.
# Prints one line per disagreement and a summary; exit 1 on any.
import sys
import json
import hashlib
import binascii
import fleetsig

with open(sys.argv[1]) as f:
    d = json.load(f)
n = bad = 0
for g in d["groups"]:
    pub = binascii.unhexlify(g["key"])
    for t in g["tests"]:
        dig = hashlib.sha256(binascii.unhexlify(t[1])).digest()
        got = fleetsig.verify(pub, dig, binascii.unhexlify(t[2]))
        n += 1
        if got != (t[3] == "valid"):
            bad += 1
            print("MISMATCH", t[0], t[3], t[4])
print("fleetsig: %d vectors, %d mismatches" % (n, bad))
sys.exit(1 if bad else 0)
