from typing import Dict, Iterable, Optional, Union

from .servicetype import ServiceType, _TypeLike

_TxtValue = Union[str, bytes, None]

class Service:
    instance: str
    service_type: ServiceType
    port: int
    txt: Optional[Dict[str, _TxtValue]]
    subtypes: tuple[str, ...]
    host: Optional[str]
    claimed: bool
    def __init__(self, instance: str, service_type: _TypeLike, port: int,
                 txt: Optional[Dict[str, _TxtValue]] = ..., subtypes: Union[str, Iterable[str]] = ...,
                 host: Optional[str] = ...) -> None: ...
    @property
    def type_name(self) -> str: ...
    @property
    def name(self) -> str: ...
    def set_subtypes(self, subtypes: Iterable[str]) -> None: ...
    def sub_names(self) -> list[str]: ...
