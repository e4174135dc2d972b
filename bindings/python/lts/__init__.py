"""CTyun Cloud Log Service (LTS) SDK for Python, on liblts.

A drop-in for the official SDK's API (`LogItem`, `ClientConfig`, `LogClient`, `LogException`,
`get_current_timestamp`; the producer lives in `asynchronous.producer`). Validation, encoding,
signing, retries and transport all happen in liblts.
"""
import json
import struct

from . import _native
from ._native import LogException, check, cstr, lib
from .options import NativeClientOptions, to_text
from . import logs as _logs
from .logs import set_log_level, set_log_handler, LOG_OFF

__version__ = "0.1.0"
__all__ = ["LogItem", "ClientConfig", "LogClient", "LogResponse", "LogException", "get_current_timestamp",
           "set_log_level", "set_log_handler", "LOG_OFF"]

# Keys that passed the core's rules, as contents and as labels: keys repeat from log to log,
# so a dict's keys are usually checked with one set operation.
_good_keys = (set(), set())


def _check_key(key, is_label):
    """Key rules are the core's; a key that passed once is remembered."""
    if not isinstance(key, str):
        raise LogException(2, f"key {key!r} must be a str", "LTS_ERR_INVALID_KEY")
    good = _good_keys[bool(is_label)]
    if key in good:
        return
    check(lib.lts_check_key(key.encode("utf-8"), is_label))
    if len(good) < 65536:
        good.add(key)


def _check_keys(keys, is_label):
    if not _good_keys[is_label].issuperset(keys):
        for k in keys:
            _check_key(k, is_label)


def get_current_timestamp(precision=None):
    """The current time in nanoseconds since the epoch (`precision` is accepted for
    compatibility with the official SDK and ignored: timestamps are always ns)."""
    return lib.lts_now_ns()


class LogItem:
    """One log: timestamp (ns) and origin message are required; contents and labels are
    dicts of key → str / int / float (other types are sent as str())."""

    __slots__ = ("_ts", "_msg", "_contents", "_labels", "_packed")

    def __init__(self):
        self._ts = None
        self._msg = None
        self._contents = {}
        self._labels = {}
        self._packed = None

    def set_log_timestamp(self, timestamp):
        if isinstance(timestamp, bool) or not isinstance(timestamp, int) or not 0 <= timestamp < 1 << 63:
            raise LogException(3, f"invalid timestamp {timestamp!r}: an int of ns since the epoch", "LTS_ERR_INVALID_VALUE")
        self._ts = timestamp
        self._packed = None

    def set_origin_msg(self, msg):
        self._msg = str(msg)
        self._packed = None

    def contents_push_back(self, key, value):
        _check_key(key, False)
        self._contents[key] = value
        self._packed = None

    def labels_push_back(self, key, value):
        _check_key(key, True)
        self._labels[key] = value
        self._packed = None

    def set_contents(self, contents):
        contents = dict(contents)
        _check_keys(contents, False)
        self._contents = contents
        self._packed = None

    def set_labels(self, labels):
        labels = dict(labels)
        _check_keys(labels, True)
        self._labels = labels
        self._packed = None

    def get_log_timestamp(self):
        return self._ts

    def get_origin_msg(self):
        return self._msg

    def get_contents(self):
        return dict(self._contents)

    def get_labels(self):
        return dict(self._labels)

    def _pack(self):
        if self._packed is None:
            if self._ts is None or self._msg is None:
                missing = "timestamp" if self._ts is None else "origin message"
                raise LogException(3, f"log item has no {missing} (both are required)", "LTS_ERR_INVALID_VALUE")
            try:
                self._packed = _native.pack_item(self._ts, self._msg, self._contents, self._labels)
            except (struct.error, OverflowError) as e:
                raise LogException(3, f"a value does not fit a 64-bit integer: {e}", "LTS_ERR_INVALID_VALUE") from None
        return self._packed


def pack_items(log_items):
    """A LogItem or a list of them → (buffer, count) in liblts's packed layout."""
    if type(log_items) is list and len(log_items) == 1 and type(log_items[0]) is LogItem:
        return log_items[0]._pack(), 1  # the common send of one log, without the general path
    if isinstance(log_items, LogItem):
        log_items = [log_items]
    items = list(log_items)
    for it in items:
        if not isinstance(it, LogItem):
            raise LogException(1, f"log_items must hold LogItem objects, not {type(it).__name__}", "LTS_ERR_INVALID_ARGUMENT")
    return b"".join(it._pack() for it in items), len(items)


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

    def __repr__(self):
        return f"ClientConfig(endpoint={self.endpoint!r}, access_key={self.access_key!r}, log_project={self.log_project!r})"

    def _native(self):
        """A new lts_client_config handle; the caller frees it."""
        h = _native.P()
        check(lib.lts_client_config_new(
            cstr(self.endpoint, "endpoint"), cstr(self.access_key, "access_key"),
            cstr(self.secret_key, "secret_key"), cstr(self.log_project or "", "log_project"), ctypes_byref(h)))
        try:
            self._apply(h)
            for k, v in self.profile.items():
                check(lib.lts_client_config_set(h, cstr(k, "profile key"), cstr(to_text(v), "profile value")))
        except BaseException:
            lib.lts_client_config_free(h)
            raise
        return h


def ctypes_byref(x):
    import ctypes
    return ctypes.byref(x)


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
        self._h = None
        cfg = client_config._native()
        try:
            h = _native.P()
            check(lib.lts_client_new(cfg, ctypes_byref(h)))
            self._h = h
        finally:
            lib.lts_client_config_free(cfg)

    def put_logs(self, log_project, unit_code, log_items):
        """Sends now and returns the service's answer. Answers with an error code are
        returned as they are (statusCode -1); no answer at all raises LogException."""
        if self._h is None:
            raise LogException(5, "the client is closed", "LTS_ERR_INVALID_STATE")
        buf, count = pack_items(log_items)
        resp = _native.P()
        r = lib.lts_put_logs_packed(self._h, cstr(log_project, "log_project"), cstr(unit_code, "log_unit"),
                                    buf, len(buf), count, ctypes_byref(resp))
        if resp:
            try:
                out = LogResponse(lib.lts_response_status_code(resp), lib.lts_response_message(resp).decode(),
                                  lib.lts_response_error(resp).decode())
            finally:
                lib.lts_response_free(resp)
            if r in (_native.LTS_OK, _native.LTS_ERR_SERVER):
                return out
        check(r)
        raise LogException(r, "no answer")

    def close(self):
        if self._h is not None:
            lib.lts_client_free(self._h)
            self._h = None

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
