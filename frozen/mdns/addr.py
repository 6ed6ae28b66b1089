# IPv4/IPv6 text <-> bytes by hand: the esp32 port has no inet_pton/inet_aton.
# Output of IPv6 follows RFC 5952 (lower case, longest zero run as "::").
# Reverse names: RFC 1035 s3.5 (in-addr.arpa), RFC 3596 s2.5 (ip6.arpa).

_HEX = "0123456789abcdef"


def _bad(kind, s, why):
    return ValueError("%s address %r: %s" % (kind, s, why))


def _dec(part):
    # A decimal octet: 1-3 digits, no sign, no leading zero (ambiguous octal).
    if not 0 < len(part) <= 3:
        return -1
    v = 0
    for c in part:
        if c < "0" or c > "9":
            return -1
        v = v * 10 + ord(c) - 48
    if v > 255 or (len(part) > 1 and part[0] == "0"):
        return -1
    return v


def aton4(s):
    """'10.0.0.1' -> b'\\n\\x00\\x00\\x01'."""
    if not isinstance(s, str):
        raise _bad("IPv4", s, "expected str")
    parts = s.split(".")
    if len(parts) != 4:
        raise _bad("IPv4", s, "needs 4 dotted numbers")
    out = bytearray(4)
    for i in range(4):
        v = _dec(parts[i])
        if v < 0:
            raise _bad("IPv4", s, "bad number %r" % parts[i])
        out[i] = v
    return bytes(out)


def ntoa4(b):
    if len(b) != 4:
        raise ValueError("IPv4 address: %d bytes (expected 4)" % len(b))
    return "%d.%d.%d.%d" % (b[0], b[1], b[2], b[3])


def _hexval(c):
    o = ord(c)
    if 48 <= o <= 57:
        return o - 48
    o |= 0x20
    if 97 <= o <= 102:
        return o - 87
    return -1


def aton6(s):
    """'fd77::1' -> 16 bytes. Accepts a trailing dotted quad and a %zone (ignored)."""
    if not isinstance(s, str):
        raise _bad("IPv6", s, "expected str")
    text = s
    pc = text.find("%")
    if pc >= 0:
        text = text[:pc]
    tail = b""
    if "." in text:
        k = text.rfind(":")
        if k < 0:
            raise _bad("IPv6", s, "dotted quad without groups")
        try:
            tail = aton4(text[k + 1 :])
        except ValueError:
            raise _bad("IPv6", s, "bad embedded IPv4")
        text = text[: k + 1] + "0:0"  # two placeholder groups, replaced below
    if text.count("::") > 1:
        raise _bad("IPv6", s, "more than one '::'")
    dc = text.find("::")
    if dc >= 0:
        head = text[:dc]
        rest = text[dc + 2 :]
        hp = head.split(":") if head else []
        rp = rest.split(":") if rest else []
        fill = 8 - len(hp) - len(rp)
        if fill < 1:
            raise _bad("IPv6", s, "too many groups")
        groups = hp + ["0"] * fill + rp
    else:
        groups = text.split(":")
        if len(groups) != 8:
            raise _bad("IPv6", s, "needs 8 groups")
    out = bytearray(16)
    for i in range(8):
        g = groups[i]
        if not 0 < len(g) <= 4:
            raise _bad("IPv6", s, "bad group %r" % g)
        v = 0
        for c in g:
            h = _hexval(c)
            if h < 0:
                raise _bad("IPv6", s, "bad group %r" % g)
            v = (v << 4) | h
        out[2 * i] = v >> 8
        out[2 * i + 1] = v & 0xFF
    if tail:
        out[12:16] = tail
    return bytes(out)


def ntoa6(b):
    """16 bytes -> RFC 5952 text; IPv4-mapped addresses as ::ffff:a.b.c.d."""
    if len(b) != 16:
        raise ValueError("IPv6 address: %d bytes (expected 16)" % len(b))
    if b[:10] == b"\x00" * 10 and b[10] == 0xFF and b[11] == 0xFF:
        return "::ffff:" + ntoa4(b[12:16])
    g = [(b[2 * i] << 8) | b[2 * i + 1] for i in range(8)]
    # Longest run of zero groups (first on a tie), only when 2 or more (RFC 5952 s4.2.2).
    best = -1
    blen = 1
    i = 0
    while i < 8:
        if g[i] == 0:
            j = i
            while j < 8 and g[j] == 0:
                j += 1
            if j - i > blen:
                best = i
                blen = j - i
            i = j
        else:
            i += 1
    if best < 0:
        return ":".join(["%x" % x for x in g])
    left = ":".join(["%x" % x for x in g[:best]])
    right = ":".join(["%x" % x for x in g[best + blen :]])
    return left + "::" + right


def is_ipv6(ip):
    return ":" in ip


def aton(ip):
    return aton6(ip) if ":" in ip else aton4(ip)


def normalize(ip):
    """Canonical text of an IPv4 or IPv6 address (ValueError when invalid)."""
    if ":" in ip:
        return ntoa6(aton6(ip))
    return ntoa4(aton4(ip))


def reverse_name(ip):
    """'10.0.0.1' -> '1.0.0.10.in-addr.arpa'; IPv6 -> nibble form under ip6.arpa."""
    if ":" in ip:
        b = aton6(ip)
        out = []
        for i in range(15, -1, -1):
            out.append(_HEX[b[i] & 15])
            out.append(_HEX[b[i] >> 4])
        return ".".join(out) + ".ip6.arpa"
    b = aton4(ip)
    return "%d.%d.%d.%d.in-addr.arpa" % (b[3], b[2], b[1], b[0])


def parse_reverse(name):
    """Address text for a reverse name (case-insensitive, final dot allowed), else None."""
    if not isinstance(name, str):
        return None
    n = name.lower()
    if n.endswith("."):
        n = n[:-1]
    if n.endswith(".in-addr.arpa"):
        parts = n[:-13].split(".")
        if len(parts) != 4:
            return None
        v = []
        for p in parts:
            d = _dec(p)
            if d < 0:
                return None
            v.append(d)
        return "%d.%d.%d.%d" % (v[3], v[2], v[1], v[0])
    if n.endswith(".ip6.arpa"):
        parts = n[:-9].split(".")
        if len(parts) != 32:
            return None
        out = bytearray(16)
        for i in range(32):
            p = parts[i]
            if len(p) != 1:
                return None
            h = _hexval(p)
            if h < 0:
                return None
            k = 15 - i // 2
            if i & 1:
                out[k] |= h << 4
            else:
                out[k] |= h
        return ntoa6(out)
    return None
