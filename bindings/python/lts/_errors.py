"""LogException: every error liblts reports, with its `code` (the LTS_ERR_* number), `name`
and the library's `message`."""


class LogException(Exception):
    """An error from liblts: `code` (LTS_ERR_* number), `name`, and the library's message."""

    def __init__(self, code, message, name=None):
        if name is None:
            from . import _lts
            name = _lts.result_name(code)
        self.code = code
        self.name = name
        self.message = message
        super().__init__(f"{self.name}: {message}")

    def __reduce__(self):
        return (type(self), (self.code, self.message, self.name))
