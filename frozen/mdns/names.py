# DNS names as Python strings (docs/design.md, "Names").
# Presentation form without the final dot; labels are UTF-8; "." and "\" inside
# a label are escaped with a backslash, nothing else is. Case is preserved and
# comparisons fold ASCII only (RFC 6762 s16).

MAX_LABEL = 63
MAX_NAME = 255  # wire length including the final zero byte (RFC 1035 s3.1)


def _short(s):
    # Error messages quote the offending text, cut so a long name stays readable.
    if len(s) > 24:
        s = s[:20] + "\u2026"
    return repr(s)


def split(name):
    """Labels of `name`, unescaped. "" is the root (no labels); one final dot is allowed."""
    if not isinstance(name, str):
        raise ValueError("name: expected str, got %s" % type(name).__name__)
    if "\\" not in name:
        if not name:
            return []
        labels = name.split(".")
        if len(labels) > 1 and labels[-1] == "":
            labels.pop()
        return labels
    labels = []
    cur = []
    i = 0
    n = len(name)
    dot = False  # the last thing read was an unescaped dot
    while i < n:
        c = name[i]
        dot = False
        if c == "\\":
            if i + 1 >= n or name[i + 1] not in ".\\":
                raise ValueError("name %s: bad escape (only \\. and \\\\ are allowed)" % _short(name))
            cur.append(name[i + 1])
            i += 2
            continue
        if c == ".":
            labels.append("".join(cur))
            cur = []
            dot = True
        else:
            cur.append(c)
        i += 1
    if not dot or not labels:
        labels.append("".join(cur))
    return labels


def escape(label):
    if "." in label or "\\" in label:
        return label.replace("\\", "\\\\").replace(".", "\\.")
    return label


def join(labels):
    """Inverse of split: escape each label and join with dots."""
    return ".".join([escape(x) for x in labels])


def to_wire(name):
    """Uncompressed wire form: length-prefixed UTF-8 labels and a final zero byte."""
    out = bytearray()
    for label in split(name):
        b = label.encode()
        n = len(b)
        if n == 0:
            raise ValueError("name %s: empty label" % _short(name))
        if n > MAX_LABEL:
            raise ValueError(
                "name %s: label %s is %d bytes (max %d)" % (_short(name), _short(label), n, MAX_LABEL)
            )
        out.append(n)
        out.extend(b)
    out.append(0)
    if len(out) > MAX_NAME:
        raise ValueError("name %s: longer than 255 bytes" % _short(name))
    return bytes(out)


def from_wire(wire):
    """Presentation form of an uncompressed wire name (length-prefixed labels, final 0)."""
    n = len(wire)
    if n > MAX_NAME:
        raise ValueError("name: longer than 255 bytes")
    # One pass checks the structure; then, unless a label holds "." or "\\",
    # the length bytes become dots in one copy and the text is decoded once.
    p = 0
    while True:
        if p >= n:
            raise ValueError("name: truncated")
        c = wire[p]
        if c == 0:
            break
        if c > MAX_LABEL:
            raise ValueError("name: label is %d bytes (max %d)" % (c, MAX_LABEL))
        p += 1 + c
        if p > n:
            raise ValueError("name: truncated")
    if p + 1 != n:
        raise ValueError("name: trailing data")
    if n == 1:
        return ""
    try:
        if b"." in wire or b"\\" in wire:
            return _from_wire_escaped(wire)
        b = bytearray(wire)
        p = wire[0] + 1
        while p < n - 1:
            c = b[p]
            b[p] = 46  # "."
            p += 1 + c
        return str(memoryview(b)[1 : n - 1], "utf-8")
    except (UnicodeError, ValueError):  # MicroPython: UnicodeError; CPython: UnicodeDecodeError
        raise ValueError("name: label is not UTF-8")


def _from_wire_escaped(wire):
    parts = []
    p = 0
    while wire[p]:
        c = wire[p]
        parts.append(escape(str(wire[p + 1 : p + 1 + c], "utf-8")))
        p += 1 + c
    return ".".join(parts)


def fold(name):
    """Comparison key: UTF-8 bytes with ASCII letters lowered (RFC 6762 s16)."""
    return name.encode().lower()


def fold_wire(wire):
    # Length bytes are <= 63, below "A" (65), so lowering the whole wire form
    # lowers only label text.
    return bytes(wire).lower()


def equal(a, b):
    return a == b or fold(a) == fold(b)


def instance(instance_label, service_type_name):
    """Service instance name: one escaped label (RFC 6763 s4.1) before the type."""
    if not isinstance(instance_label, str):
        raise ValueError("instance: expected str, got %s" % type(instance_label).__name__)
    n = len(instance_label.encode())
    if n == 0:
        raise ValueError("instance: empty name")
    if n > MAX_LABEL:
        raise ValueError("instance %s: %d bytes (max %d)" % (_short(instance_label), n, MAX_LABEL))
    name = escape(instance_label) + "." + str(service_type_name)
    to_wire(name)  # whole-name checks (length, empty labels)
    return name
