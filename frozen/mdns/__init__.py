"""mdns: multicast DNS (RFC 6762) and DNS-SD (RFC 6763) for MicroPython and CPython.

The public names below are imported on first use, so a device that only
advertises never loads the browser (and the reverse)."""
from .version import VERSION as __version__

# (name, module that defines it): a constant tuple (frozen: in ROM; a dict here cost
# ~300 B of RAM at import)
_LAZY = (
    ("Responder", "responder"),
    ("Service", "service"),
    ("Browser", "browser"),
    ("AllBrowser", "browseall"),
    ("ServiceType", "servicetype"),
    ("tcp", "servicetype"),
    ("udp", "servicetype"),
    ("resolve_host", "resolve"),
    ("resolve_host_async", "resolve"),
    ("resolve_service", "resolve"),
    ("resolve_service_async", "resolve"),
    ("resolve_address", "resolve"),
    ("resolve_address_async", "resolve"),
    ("service_types", "resolve"),
    ("service_types_async", "resolve"),
    ("getaddrinfo", "resolve"),
    ("getaddrinfo_async", "resolve"),
    ("Event", "engine"),
)


def __getattr__(name):
    mod = None
    for k, m in _LAZY:
        if k == name:
            mod = m
            break
    if mod is None:
        if name[:1] == "_":
            raise AttributeError(name)  # never run __main__ & co. for a probe
        # MicroPython's `from . import X` (inside the package) asks the package for X
        # before X is loaded and lands here: load the submodule, which then becomes a
        # package attribute. Without this every `from . import wire` fails there.
        try:
            __import__("mdns." + name)
        except ImportError as e:
            # No such submodule, or it needs what this port lacks: either way the
            # attribute is missing (MicroPython's dir() probes every interned name
            # and only tolerates AttributeError). The message keeps the cause.
            raise AttributeError("%s (%s)" % (name, e))
        g = globals()
        if name in g:
            return g[name]
        raise AttributeError(name)  # e.g. dir(mdns) on MicroPython probes every qstr
    m = __import__("mdns." + mod, None, None, (name,))
    v = getattr(m, name)
    globals()[name] = v
    return v
