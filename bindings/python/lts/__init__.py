"""CTyun Cloud Log Service (LTS) SDK for Python, on liblts.

A drop-in for the official SDK's API (`LogItem`, `ClientConfig`, `LogClient`, `LogException`,
`get_current_timestamp`; the producer lives in `asynchronous.producer`). Validation, encoding,
signing, retries and transport all happen in liblts.
"""
import json

from . import _lts
from ._errors import LogException
from ._lts import LogItem
from .options import NativeClientOptions, to_text
from . import logs as _logs
from .logs import set_log_level, set_log_handler, LOG_OFF

__version__ = "0.1.0"
__all__ = ["LogItem", "ClientConfig", "LogClient", "LogResponse", "LogException", "get_current_timestamp",
           "set_log_level", "set_log_handler", "LOG_OFF"]

if _lts.version()[1] != 0:
    raise ImportError(f"lts._lts has ABI {_lts.version()[1]}; this package needs 0")


def get_current_timestamp(precision=None):
    """The current time in nanoseconds since the epoch (`precision` is accepted for
    compatibility with the official SDK and ignored: timestamps are always ns)."""
    return _lts.now_ns()


class ClientConfig(NativeClientOptions):
    """The official SDK's ClientConfig, with every client option of the core
    (CONFIGURATION.md): as attributes (`cfg.request_timeout_ms = 5000`), keyword arguments,
    or `cfg.set("request_timeout_ms", 5000)`, each checked by the core when set (a bad key or
    value raises LogException). The official SDK's `request_timeout` (seconds) and `profile`
    (a dict of protocol-profile keys) work as before."""

    _aliases = {"request_timeout": ("request_timeout_ms", lambda s: int(float(s) * 1000), lambda ms: ms / 1000)}
    _plain = ("endpoint", "access_key", "secret_key", "log_project", "profile")

    def __init__(self, endpoint, access_key, secret_key, log_project="", **options):
        super().__init__()
        self.endpoint = endpoint
        self.access_key = access_key
        self.secret_key = secret_key
        self.log_project = log_project
        self.profile = {}
        self.set("user_agent", f"lts-sdk-python/{__version__}")
        for k, v in options.items():
            self.set(k, v)

    def __setattr__(self, name, value):
        if name == "endpoint" and isinstance(value, str):
            # The core parses it now, as it does every option: a malformed endpoint raises here,
            # not at the first send.
            self._scratch().set("endpoint", value)
        super().__setattr__(name, value)

    def __repr__(self):
        return f"ClientConfig(endpoint={self.endpoint!r}, access_key={self.access_key!r}, log_project={self.log_project!r})"

    def _native(self):
        """The core's config with every option set here."""
        for what in ("endpoint", "access_key", "secret_key", "log_project"):
            value = getattr(self, what)
            if not isinstance(value, str) and not (what == "log_project" and value is None):
                raise LogException(1, f"{what} must be a str, not {type(value).__name__}", "LTS_ERR_INVALID_ARGUMENT")
        native = _lts.ClientConfig(self.endpoint, self.access_key, self.secret_key, self.log_project or "")
        self._apply(native)
        for k, v in self.profile.items():
            native.set(k, to_text(v))
        return native


class LogResponse:
    """The service's answer: `status_code`, `message`, `error`, and `body` (a dict)."""

    def __init__(self, status_code, message, error):
        self.status_code = status_code
        self.message = message
        self.error = error

    @property
    def body(self):
        return {"statusCode": self.status_code, "message": self.message, "error": self.error}

    def get_body(self):
        return self.body

    def log_print_body(self):
        print(json.dumps(self.body, separators=(",", ":"), ensure_ascii=False))

    def __repr__(self):
        return f"LogResponse({json.dumps(self.body, ensure_ascii=False)})"


class LogClient:
    """The official SDK's LogClient. Fetches its token at creation (token auth)."""

    def __init__(self, client_config=None, endpoint=None, access_key=None, secret_key=None, log_project=""):
        if client_config is None:
            client_config = ClientConfig(endpoint, access_key, secret_key, log_project)
        self.client_config = client_config
        self._client = _lts.Client(client_config._native())

    def put_logs(self, log_project, unit_code, log_items):
        """Sends now and returns the service's answer. Answers with an error code are
        returned as they are (statusCode -1); no answer at all raises LogException."""
        if self._client is None:
            raise LogException(5, "the client is closed", "LTS_ERR_INVALID_STATE")
        return LogResponse(*self._client.put_logs(log_project, unit_code, log_items))

    def close(self):
        self._client = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
