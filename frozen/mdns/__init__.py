"""mdns: multicast DNS (RFC 6762) and DNS-SD (RFC 6763) for MicroPython and CPython."""
from .version import VERSION as __version__
