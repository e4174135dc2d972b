import logging
from typing import Any, Mapping, Optional

from . import ClientConfig

class LtsHandler(logging.Handler):
    client_config: ClientConfig
    log_project: str
    log_unit: str
    labels: dict[str, Any]
    dropped: int
    def __init__(self, endpoint: Optional[str] = ..., access_key: Optional[str] = ..., secret_key: Optional[str] = ...,
                 log_project: Optional[str] = ..., log_unit: Optional[str] = ..., labels: Optional[Mapping[str, Any]] = ...,
                 level: int = ..., client_config: Optional[ClientConfig] = ...,
                 producer_options: Optional[Mapping[str, Any]] = ..., client_options: Optional[Mapping[str, Any]] = ...,
                 close_timeout_ms: int = ...) -> None: ...
    def stats(self) -> Optional[dict[str, Any]]: ...
