from typing import Any, Callable, Optional

from .browser import Browser
from .engine import Event

SERVICES: str
MAX_TYPES: int

class AllBrowser(Browser):
    """Every service type on the link (RFC 6763 s9), events as Browser's."""
    def __init__(self, on_event: Optional[Callable[[Event], None]] = ..., **kw: Any) -> None: ...
