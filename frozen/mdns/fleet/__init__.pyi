from typing import Any, Callable, Optional

from ..responder import Responder

SERVICE_TYPE: str
OFFER_TYPE: str
DOMAIN: str
KEY_FILE: str
STATE_FILE: str
VETO_FILE: str
BLOCK: int

def advertise(responder: Responder, **kw: Any) -> Any: ...
def guard(watchdog_ms: int = ..., state_path: str = ..., partition: Any = ...,
          make_wdt: Optional[Callable[[int], Any]] = ...) -> Any: ...
