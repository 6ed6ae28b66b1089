# Test vectors of the mdnsfast contract (docs/design.md), shared by every runner:
# pytest on the C extension and on mdns.fastpy, the MicroPython unix port, and
# (through tests/c/gen_vectors_h.py) the C test program on the host and on RV32.
# Runs on CPython and MicroPython: no f-strings with "=", no typing, no bytes.fromhex.
#
# File format (tests/vectors/fast_*.txt), one vector per line:
#   <id> <op> key=value ... => key=value ...
#   <id> <op> key=value ... => error <reason>
# '#' starts a comment line. Value types by key:
#   hex bytes : buf name table out  ("" is empty; parts joined by '+', a part
#               "hh*N" is byte hh repeated N times, e.g. 00*16384+0161)
#   int       : off cap count mask end size pos n eq  (int(x, 0): 0x.. allowed)
#   int list  : offsets starts  (comma-separated, may be empty)
# Ops and what they call:
#   read_name  buf off                 => name end
#   name_eq    buf off name            => eq (0 or 1)
#   walk       buf cap                 => count [offsets]   (offsets = array('H', cap zeros))
#   match      buf table               => mask
#   write_name buf size pos name starts n => end out
#              (buf = bytearray(size) holding buf at its start; out = its bytes [:end];
#               on error the bytearray must be unchanged)
import binascii

HEX_KEYS = ("buf", "name", "table", "out")
LIST_KEYS = ("offsets", "starts")


def parse_hex(s):
    out = b""
    if not s:
        return out
    for part in s.split("+"):
        if "*" in part:
            h, n = part.split("*")
            out += binascii.unhexlify(h) * int(n)
        else:
            out += binascii.unhexlify(part)
    return out


def _value(k, v):
    if k in HEX_KEYS:
        return parse_hex(v)
    if k in LIST_KEYS:
        return [int(x, 0) for x in v.split(",") if x]
    return int(v, 0)


def _fields(words):
    d = {}
    for w in words:
        i = w.index("=")
        k = w[:i]
        d[k] = _value(k, w[i + 1:])
    return d


def parse_line(line, where=""):
    """One vector as a dict: id op args expect error where."""
    left, right = line.split("=>")
    lw = left.split()
    rw = right.split()
    v = {"id": lw[0], "op": lw[1], "args": _fields(lw[2:]), "expect": None, "error": None, "where": where}
    if rw and rw[0] == "error":
        v["error"] = " ".join(rw[1:])
    else:
        v["expect"] = _fields(rw)
    return v


def iter_file(path):
    """The vectors of one file, one at a time (small heaps: MicroPython)."""
    f = open(path)
    n = 0
    for line in f:
        n += 1
        line = line.strip()
        if not line or line[0] == "#":
            continue
        yield parse_line(line, path + ":" + str(n))
    f.close()


def load_file(path):
    return list(iter_file(path))


def fast_files(vdir=None):
    import os
    if vdir is None:
        vdir = os.path.dirname(os.path.abspath(__file__))
    return [vdir + "/" + f for f in sorted(os.listdir(vdir)) if f.startswith("fast_") and f.endswith(".txt")]


def load_fast_vectors(paths=None):
    """Every vector of tests/vectors/fast_*.txt (or of the given files), in file order. CPython only
    when paths is None (it lists the folder with os); MicroPython callers pass the paths."""
    if paths is None:
        paths = fast_files()
    out = []
    for p in paths:
        out.extend(load_file(p))
    return out


def call(mod, v):
    """Runs vector v against module mod (mdnsfast or mdns.fastpy). Returns (result, state):
    result is a dict like the vector's expect, state the bytes checked after an error."""
    from array import array
    a = v["args"]
    op = v["op"]
    if op == "read_name":
        name, end = mod.read_name(a["buf"], a["off"])
        return {"name": bytes(name), "end": end}
    if op == "name_eq":
        r = mod.name_eq(a["buf"], a["off"], a["name"])
        if r is not True and r is not False:
            raise TypeError("name_eq returned " + repr(r))
        return {"eq": 1 if r else 0}
    if op == "walk":
        offs = array("H", [0] * a["cap"])
        n = mod.walk(a["buf"], offs)
        return {"count": n, "offsets": list(offs[:n])}
    if op == "match":
        return {"mask": mod.match(a["buf"], a["table"])}
    if op == "write_name":
        b = bytearray(a["size"])
        b[:len(a["buf"])] = a["buf"]
        a["_ba"] = b
        end = mod.write_name(b, a["pos"], a["name"], array("H", a["starts"]), a["n"])
        return {"end": end, "out": bytes(b[:end])}
    raise ValueError("unknown op " + op)


def run_fast_vector(mod, v):
    """None when vector v passes on mod, else a one-line failure description."""
    a = v["args"]
    try:
        got = call(mod, v)
    except ValueError as e:
        reason = str(e.args[0]) if e.args else ""
        if v["error"] is None:
            return "%s %s: unexpected ValueError(%r)" % (v["where"], v["id"], reason)
        if reason != v["error"]:
            return "%s %s: error %r, expected %r" % (v["where"], v["id"], reason, v["error"])
        if v["op"] == "write_name":
            b = bytearray(a["size"])
            b[:len(a["buf"])] = a["buf"]
            if a["_ba"] != b:
                return "%s %s: buffer changed on error" % (v["where"], v["id"])
        return None
    if v["error"] is not None:
        return "%s %s: got %r, expected error %r" % (v["where"], v["id"], got, v["error"])
    for k in v["expect"]:
        if got.get(k) != v["expect"][k]:
            return "%s %s: %s = %r, expected %r" % (v["where"], v["id"], k, got.get(k), v["expect"][k])
    return None
