from typing import Any, Callable, Iterable, Optional, Union

from lts import ClientConfig, LogItem, LogResponse
from lts._lts import Producer as _NativeProducer
from .producer_config import ProducerConfig

EXIT_TIMEOUT_MS: int

def print_result(response: LogResponse, send_count: int) -> None: ...

class Producer(_NativeProducer):
    producer_config: ProducerConfig
    def __new__(cls, producer_config: ProducerConfig) -> "Producer": ...  # type: ignore[override]
    def __init__(self, producer_config: ProducerConfig) -> None: ...
    def build_clients(self, client_config: ClientConfig) -> None: ...
    def send_logs_callback(self, log_project: str, log_unit: str, log_items: Union[LogItem, Iterable[LogItem]],
                           callback: Callable[[LogResponse, int], Any] = ...) -> None: ...
    def stats(self) -> dict[str, Any]: ...
    def poll(self, max_results: int = ..., timeout_ms: int = ...) -> int: ...  # type: ignore[override]
    def safe_close(self) -> None: ...
    def close(self, timeout_ms: int) -> None: ...  # type: ignore[override]
