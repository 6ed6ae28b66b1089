# rdata of the other types that hold names (RFC 6762 s18.14: NS, CNAME, SOA, MX, RP,
# AFSDB, RT, PX, KX, DNAME may be compressed there): decoded to names, validated and
# decompressed, since a pointer means nothing outside its packet. PTR, SRV and NSEC
# are mdns.wire's own. Layout per type: "n" a name, "H" 16 bits, "I" 32 bits; data is
# the name (one "n") or a tuple of the fields in order.
import struct

from . import names

LAYOUT = {
    2: "n",  # NS
    5: "n",  # CNAME
    6: "nnIIIII",  # SOA: mname, rname, serial, refresh, retry, expire, minimum
    15: "Hn",  # MX
    17: "nn",  # RP
    18: "Hn",  # AFSDB
    21: "Hn",  # RT
    26: "Hnn",  # PX
    36: "Hn",  # KX
    39: "n",  # DNAME
}


def decode(buf, rs, re, lay, read, conv, what):
    """(data, canonical rdata) of buf[rs:re]; read(buf, p) -> (wire, end) is the
    backend's read_name, conv(wire) -> str; ValueError starts with `what`."""
    p = rs
    out = []
    rd = bytearray()
    for f in lay:
        if f == "n":
            w, p = read(buf, p)
            if p > re:
                raise ValueError("%s: name runs past rdata" % what)
            out.append(conv(w))
            rd.extend(w)
        else:
            k = 2 if f == "H" else 4
            if p + k > re:
                raise ValueError("%s: rdata ends inside its fields" % what)
            out.append(struct.unpack_from(">H" if k == 2 else ">I", buf, p)[0])
            rd.extend(buf[p : p + k])
            p += k
    if p != re:
        raise ValueError("%s: %d bytes after its fields" % (what, re - p))
    return (out[0] if len(out) == 1 else tuple(out)), bytes(rd)


def check(lay, data, what):
    """data given by a caller, checked and as a tuple of fields."""
    d = (data,) if len(lay) == 1 else data
    if not isinstance(d, (tuple, list)) or len(d) != len(lay):
        raise ValueError("%s: data must be %s" % (what, "a name" if len(lay) == 1 else "%d fields" % len(lay)))
    for f, v in zip(lay, d):
        if f == "n":
            if not isinstance(v, str):
                raise ValueError("%s: %r is not a name (str)" % (what, v))
        elif not isinstance(v, int) or not 0 <= v < (1 << (16 if f == "H" else 32)):
            raise ValueError("%s: %r out of range for a %d-bit field" % (what, v, 16 if f == "H" else 32))
    return tuple(d)


def encode(lay, data):
    """Canonical rdata (uncompressed names) of checked data."""
    d = (data,) if len(lay) == 1 else data
    out = bytearray()
    for f, v in zip(lay, d):
        if f == "n":
            out.extend(names.to_wire(v))
        else:
            out.extend(struct.pack(">H" if f == "H" else ">I", v))
    return bytes(out)
