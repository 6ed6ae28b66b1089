# A DNS-SD service instance we advertise (RFC 6763 s4-s7).
from . import servicetype as _st
from . import names as _names


def _check_instance(label):
    # RFC 6763 s4.1.1: the instance name is one UTF-8 label, 1-63 bytes.
    if not isinstance(label, str):
        raise ValueError("instance: must be a str")
    n = len(label.encode())
    if n == 0:
        raise ValueError("instance: empty")
    if n > 63:
        raise ValueError("instance: %d bytes, over 63" % n)
    return label


class Service:
    """mdns.Service(instance, service_type, port, txt=None, subtypes=(), host=None)

    instance: the user-visible label ("Kitchen Cam"); service_type: anything
    mdns.servicetype accepts ("_http._tcp", mdns.tcp("http"), ["http", "tcp"]);
    subtypes: extra subtype names (RFC 6763 s7.1), added to those in the type;
    host: SRV target (default: the responder's host name).
    After a name conflict `instance` and `name` hold the name actually claimed."""

    def __init__(self, instance, service_type, port, txt=None, subtypes=(), host=None):
        self.instance = _check_instance(instance)
        st = _st.parse(service_type)
        if subtypes:
            if isinstance(subtypes, str):
                subtypes = (subtypes,)
            # ServiceType validates and de-duplicates the subtypes (RFC 6763 s7.1).
            st = _st.ServiceType(st.name, st.protocol, list(st.subtypes) + list(subtypes))
        self.service_type = st
        port = int(port)
        if not 0 <= port <= 65535:
            raise ValueError("port: %d out of range 0-65535" % port)
        self.port = port
        self.txt = txt
        self.subtypes = st.subtypes
        self.host = host
        self.claimed = False  # True once probing succeeded (see Responder events)
        self._g = None  # the responder's probe/announce group

    @property
    def type_name(self):
        """"_http._tcp.local" """
        return self.service_type.fqdn()

    @property
    def name(self):
        """The full instance name: "Kitchen Cam._http._tcp.local"."""
        return _names.instance(self.instance, self.type_name)

    def set_subtypes(self, subtypes):
        st = self.service_type
        self.service_type = _st.ServiceType(st.name, st.protocol, subtypes)
        self.subtypes = self.service_type.subtypes

    def sub_names(self):
        t = self.type_name
        return ["_%s._sub.%s" % (s, t) for s in self.subtypes]

    def __repr__(self):
        return "Service(%r, %r, %d)" % (self.instance, self.type_name, self.port)
