from typing import Optional

class LogException(Exception):
    code: int
    name: str
    message: str
    def __init__(self, code: int, message: str, name: Optional[str] = ...) -> None: ...
