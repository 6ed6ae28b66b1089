"""mdns: multicast DNS (RFC 6762) and DNS-SD (RFC 6763) for MicroPython and CPython."""
from .version import VERSION as __version__


def __getattr__(name):
    # Lazy public names: `import mdns` stays small on the device; the module holding a
    # name is imported on first use (module __getattr__ works on MicroPython too).
    if name == "Responder":
        from .responder import Responder

        return Responder
    if name == "Service":
        from .service import Service

        return Service
    # MicroPython's `from . import X` asks the package first and lands here before the
    # submodule X is loaded: load it (it then becomes a package attribute).
    try:
        __import__("mdns." + name)
    except ImportError:
        raise AttributeError(name)
    return globals()[name]
