# TXT record data, RFC 6763 s6: a sequence of <= 255-byte strings "key=value".
# dict in, dict out: {str: bytes or None}; None = key present without "=" (s6.4
# boolean attribute), b"" = key with an empty value.
#
# Encoding accepts a dict or a list of (key, value) pairs (order kept). Values:
# bytes/bytearray as is, str as UTF-8, int as decimal text, None or True = key
# only, False = key left out (an absent boolean attribute is "false", s6.4).


def _key(k):
    if not isinstance(k, str):
        raise ValueError("txt: key %r is not a str" % (k,))
    if not k:
        raise ValueError("txt: empty key")
    for c in k:
        if c < " " or c > "~" or c == "=":
            raise ValueError("txt key %r: must be printable ASCII without '=' (RFC 6763 s6.4)" % k)
    return k.encode()


def _value(k, v):
    if v is None or v is True:
        return None
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v)
    if isinstance(v, str):
        return v.encode()
    if isinstance(v, int):
        return str(v).encode()
    raise ValueError("txt key %r: value must be bytes, str, int, bool or None" % k)


def _pairs(data):
    if data is None:
        return ()
    if isinstance(data, dict):
        return data.items()
    return data


def encode(data):
    """rdata bytes for a TXT dict or list of pairs; nothing to say -> one empty string (s6.1)."""
    out = bytearray()
    seen = set()  # a list made this quadratic in the number of keys
    for kv in _pairs(data):
        if len(kv) != 2:
            raise ValueError("txt: expected (key, value) pairs")
        k, v = kv
        kb = _key(k)
        low = kb.lower()
        if low in seen:
            raise ValueError("txt key %r: given twice (keys are case-insensitive, RFC 6763 s6.4)" % k)
        seen.add(low)
        if v is False:
            continue
        vb = _value(k, v)
        n = len(kb) if vb is None else len(kb) + 1 + len(vb)
        if n > 255:
            raise ValueError("txt key %r: string is %d bytes (max 255, RFC 6763 s6.1)" % (k, n))
        out.append(n)
        out.extend(kb)
        if vb is not None:
            out.append(61)
            out.extend(vb)
    if not out:
        return b"\x00"
    return bytes(out)


def decode(rdata):
    """dict {str: bytes or None}; the first occurrence of a key wins (s6.4).

    Skipped, as s6.4 says to ignore them: empty strings, strings starting with
    "=", and keys that are not printable ASCII. A string running past the end
    of rdata is malformed: ValueError.
    """
    out = {}
    seen = set()  # a list made this quadratic in the number of keys
    n = len(rdata)
    p = 0
    while p < n:
        ln = rdata[p]
        p += 1
        if p + ln > n:
            raise ValueError("txt: string runs past the end of rdata")
        if ln == 0:
            continue
        s = bytes(rdata[p : p + ln])
        p += ln
        eq = s.find(b"=")
        if eq == 0:
            continue
        kb = s if eq < 0 else s[:eq]
        ok = True
        for c in kb:
            if c < 0x20 or c > 0x7E:
                ok = False
                break
        if not ok:
            continue
        low = kb.lower()
        if low in seen:
            continue
        seen.add(low)
        out[kb.decode()] = None if eq < 0 else s[eq + 1 :]
    return out


def strings(rdata):
    """The raw strings of TXT rdata (for callers that need order and duplicates)."""
    out = []
    n = len(rdata)
    p = 0
    while p < n:
        ln = rdata[p]
        if p + 1 + ln > n:
            raise ValueError("txt: string runs past the end of rdata")
        out.append(bytes(rdata[p + 1 : p + 1 + ln]))
        p += 1 + ln
    return out
