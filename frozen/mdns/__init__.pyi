# Type information for editors and mypy (PEP 561); the device code has no typing.
# Checked against the running modules by mypy.stubtest in `make test` (tests/py/test_stubs.py).
from .browseall import AllBrowser as AllBrowser
from .browser import Browser as Browser
from .engine import Event as Event
from .resolve import (
    getaddrinfo as getaddrinfo,
    getaddrinfo_async as getaddrinfo_async,
    resolve_address as resolve_address,
    resolve_address_async as resolve_address_async,
    resolve_host as resolve_host,
    resolve_host_async as resolve_host_async,
    resolve_service as resolve_service,
    resolve_service_async as resolve_service_async,
    service_types as service_types,
    service_types_async as service_types_async,
)
from .responder import Responder as Responder
from .service import Service as Service
from .servicetype import ServiceType as ServiceType, tcp as tcp, udp as udp

__version__: str
