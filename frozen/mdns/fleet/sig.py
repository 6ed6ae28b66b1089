# The curve check behind fleet offers: ECDSA P-256 / SHA-256, verify only.
# On firmware: the `fleetsig` C module (usermod_mdnsfast/modfleetsig.c), which
# calls the port's mbedtls. Elsewhere (the CPython simulator): the
# `cryptography` package. No elliptic-curve arithmetic in this project.


def _mbedtls():
    try:
        import fleetsig

        return fleetsig.verify
    except ImportError:
        return None


def _cryptography():
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec, utils
    except ImportError:
        return None

    def verify(pub, dig, sig):
        if len(pub) != 65 or len(dig) != 32 or len(sig) != 64:
            return False
        try:
            k = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), bytes(pub))
            der = utils.encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
            k.verify(der, bytes(dig), ec.ECDSA(utils.Prehashed(hashes.SHA256())))
            return True
        except (InvalidSignature, ValueError):
            return False

    return verify


def verifier():
    """verify(pub65, digest32, sig64) -> bool, or None when this runtime has neither."""
    return _mbedtls() or _cryptography()
