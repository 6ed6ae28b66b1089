# DNS-SD service types, RFC 6763 s7: "_http._tcp" plus optional subtypes (s7.1).
# Parses the forms users write: tcp("http"), udp("osc", "api-v1"),
# "_http._tcp,_api-v1", "_http._tcp", ["http", "tcp", "api-v1"], a ServiceType.


def _check_service(name):
    # RFC 6763 s7.2: 1-15 characters, letters, digits and hyphens, at least one
    # letter, no hyphen at either end, no two hyphens in a row.
    if not isinstance(name, str):
        raise ValueError("service type: name %r is not a str" % (name,))
    if not name:
        raise ValueError("service type: empty service name")
    if len(name) > 15:
        raise ValueError("service type %r: name is %d characters (max 15, RFC 6763 s7.2)" % (name, len(name)))
    letter = False
    for c in name:
        if "a" <= c <= "z" or "A" <= c <= "Z":
            letter = True
        elif not ("0" <= c <= "9" or c == "-"):
            raise ValueError("service type %r: %r not allowed (letters, digits and hyphens only)" % (name, c))
    if not letter:
        raise ValueError("service type %r: must contain a letter" % name)
    if name[0] == "-" or name[-1] == "-":
        raise ValueError("service type %r: must not begin or end with a hyphen" % name)
    if "--" in name:
        raise ValueError("service type %r: must not contain two hyphens in a row" % name)
    return name


def _check_proto(p):
    if not isinstance(p, str):
        raise ValueError("service type: protocol %r is not a str" % (p,))
    q = p[1:] if p.startswith("_") else p
    q = q.lower()
    if q not in ("tcp", "udp"):
        raise ValueError("service type: protocol %r must be tcp or udp (RFC 6763 s7)" % p)
    return q


def _check_sub(s):
    if not isinstance(s, str):
        raise ValueError("service type: subtype %r is not a str" % (s,))
    n = len(s.encode())
    if n == 0:
        raise ValueError("service type: empty subtype")
    if n > 63:
        raise ValueError("service type: subtype %r is %d bytes (max 63, RFC 6763 s7.1)" % (s, n))
    if "." in s or "\\" in s:
        raise ValueError("service type: subtype %r must not contain '.' or '\\'" % s)
    return s


def _strip(s):
    return s[1:] if s.startswith("_") else s


class ServiceType:
    """A service type: name ("http"), protocol ("tcp"/"udp"), subtypes (without "_")."""

    def __init__(self, name, protocol="tcp", subtypes=()):
        if isinstance(subtypes, str):
            subtypes = (subtypes,)
        self.name = _check_service(_strip(name) if isinstance(name, str) else name)
        self.protocol = _check_proto(protocol)
        subs = []
        for s in subtypes:
            s = _check_sub(_strip(s) if isinstance(s, str) else s)
            if s not in subs:
                subs.append(s)
        self.subtypes = tuple(subs)

    @classmethod
    def parse(cls, value):
        if isinstance(value, ServiceType):
            return value
        if isinstance(value, str):
            parts = value.split(",")
            base = parts[0].strip()
            if base.endswith("."):
                base = base[:-1]
            if base.lower().endswith(".local"):
                base = base[:-6]
            labels = base.split(".")
            if len(labels) != 2:
                raise ValueError("service type %r: expected '_name._tcp' or '_name._udp'" % value)
            if not labels[0].startswith("_") or not labels[1].startswith("_"):
                raise ValueError("service type %r: labels must start with '_'" % value)
            return cls(labels[0][1:], labels[1], [p.strip() for p in parts[1:]])
        if isinstance(value, (list, tuple)):
            if len(value) < 2:
                raise ValueError("service type %r: expected [name, protocol, subtypes...]" % (value,))
            return cls(value[0], value[1], value[2:])
        raise ValueError("service type: cannot parse %r" % (value,))

    def base(self):
        return "_%s._%s" % (self.name, self.protocol)

    def __str__(self):
        s = self.base()
        for sub in self.subtypes:
            s += ",_" + sub
        return s

    def __repr__(self):
        return "ServiceType(%r)" % str(self)

    def fqdn(self, domain="local"):
        return self.base() + "." + domain

    def subtype_names(self, domain="local"):
        """Names of the subtype PTR owners: _sub._http._tcp.local (RFC 6763 s7.1)."""
        return ["_%s._sub.%s" % (s, self.fqdn(domain)) for s in self.subtypes]

    def __eq__(self, other):
        if not isinstance(other, ServiceType):
            try:
                other = ServiceType.parse(other)
            except ValueError:
                return False
        return (
            self.name.lower() == other.name.lower()
            and self.protocol == other.protocol
            and sorted([s.lower() for s in self.subtypes]) == sorted([s.lower() for s in other.subtypes])
        )

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return hash((self.name.lower(), self.protocol))


def tcp(name, *subtypes):
    return ServiceType(name, "tcp", subtypes)


def udp(name, *subtypes):
    return ServiceType(name, "udp", subtypes)


def parse(value):
    return ServiceType.parse(value)
