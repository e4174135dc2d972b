"""Producer: `send_logs` returns at once; liblts's threads batch and send; every accepted
send's callback runs exactly once.

Callbacks run on the producer's library thread (ctypes takes the GIL for them): keep them
short. Producers still open at interpreter exit are closed first, sending what they hold for
up to EXIT_TIMEOUT_MS (no wait when nothing is pending; what is left then gets its callback
with LTS_ERR_CLOSED), so no callback ever runs during finalization. After fork(), a producer inherited by the child
refuses use (LogException LTS_ERR_INVALID_STATE) and is never closed there.
"""
import atexit
import ctypes
import itertools
import json
import os
import threading
import weakref

from lts import LogException, LogResponse, pack_items
from lts import _native
from lts._native import check, cstr, lib

_live = weakref.WeakSet()
_pid = os.getpid()

# How long interpreter exit waits for an open producer to deliver what it holds.
EXIT_TIMEOUT_MS = 5000


def _close_all_at_exit():
    if os.getpid() != _pid:
        return
    for p in list(_live):
        try:
            p.close(EXIT_TIMEOUT_MS)
        except Exception:
            pass


atexit.register(_close_all_at_exit)


def _forget_in_child():
    global _pid
    _pid = os.getpid()
    for p in list(_live):
        p._forked = True
    _live.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_in_child)


_names = {}
# Made once: a ctypes cast costs about as much as the native send itself.
_NO_CALLBACK = ctypes.cast(None, _native.SEND_CALLBACK)


def _encoded(name, what):
    """Project and unit names as C strings, cached: they repeat on every send."""
    b = _names.get(name)
    if b is None:
        b = cstr(name, what)
        if len(_names) < 4096:
            _names[name] = b
    return b


def print_result(response, send_count):
    """The official SDK's io_work.callback: print the answer and the send count."""
    print(f"response: {json.dumps(response.body, separators=(',', ':'), ensure_ascii=False)}, send count : {send_count}")


class Producer:
    def __init__(self, producer_config):
        self.producer_config = producer_config
        self._h = None
        self._forked = False
        self._callbacks = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        # One C trampoline per producer, kept alive as long as the producer: each send's
        # Python callback is looked up by an integer id, and removed when it has run.
        self._trampoline = _native.SEND_CALLBACK(self._on_result)
        self._stats_callback = getattr(producer_config, "stats_callback", None)
        self._stats_trampoline = _native.STATS_CALLBACK(self._on_stats)
        cfg = _native.P()
        check(lib.lts_producer_config_new(ctypes.byref(cfg)))
        try:
            producer_config._apply(cfg)
            if self._stats_callback is not None:
                check(lib.lts_producer_config_set_stats_callback(cfg, self._stats_trampoline, None))
            h = _native.P()
            check(lib.lts_producer_new(cfg, ctypes.byref(h)))
            self._h = h
        finally:
            lib.lts_producer_config_free(cfg)
        _live.add(self)

    def _handle(self):
        if self._forked:
            raise LogException(5, "this producer was created before fork(): create a new one in the child",
                               "LTS_ERR_INVALID_STATE")
        if self._h is None:
            raise LogException(105, "the producer is closed", "LTS_ERR_CLOSED")
        return self._h

    def build_clients(self, client_config):
        """Registers the client for client_config.log_project (one per project)."""
        cfg = client_config._native()
        try:
            check(lib.lts_producer_add_client(self._handle(), cfg))
        finally:
            lib.lts_client_config_free(cfg)

    def start(self):
        check(lib.lts_producer_start(self._handle()))

    def _on_result(self, user_data, result):
        with self._lock:
            cb = self._callbacks.pop(user_data, None)
        if cb is None:
            return
        response = LogResponse(lib.lts_send_result_status_code(result),
                               lib.lts_send_result_message(result).decode("utf-8", "replace"),
                               lib.lts_send_result_error(result).decode("utf-8", "replace"))
        response.code = lib.lts_send_result_code(result)
        response.attempts = lib.lts_send_result_attempts(result)
        try:
            cb(response, lib.lts_send_result_log_count(result))
        except Exception:
            pass  # an exception must not cross into the library's thread

    def _on_stats(self, user_data, json_text):
        try:
            self._stats_callback(json.loads(json_text.decode("utf-8")))
        except Exception:
            pass  # an exception must not cross into the library's thread

    def stats(self):
        """Everything the producer counts, as a dict: logs_accepted, logs_sent, logs_failed,
        ..., retries_by_reason, token_renewals, token_failures, units (per project and unit)
        and last_error (see lts_producer_stats_json in lts.h)."""
        text = _native.take_string(lib.lts_producer_stats_json(self._handle()))
        if text is None:
            check(_native.LTS_ERR_INVALID_ARGUMENT)
        return json.loads(text)

    def poll(self, max_results=1000, timeout_ms=0):
        """In callback_mode "poll": runs up to max_results ready callbacks (and the library's
        log lines and stats) on this thread, waiting up to timeout_ms for the first. Returns
        how many callbacks ran."""
        served = ctypes.c_size_t(0)
        check(lib.lts_producer_poll(self._handle(), int(max_results), int(timeout_ms), ctypes.byref(served)))
        return served.value

    def send_logs(self, log_project, log_unit, log_items):
        """Queues logs without a result callback."""
        self._send(log_project, log_unit, log_items, None)

    def send_logs_callback(self, log_project, log_unit, log_items, callback=print_result):
        """Queues logs; `callback(response, send_count)` runs once with the outcome
        (by default it prints them, as the official SDK does)."""
        self._send(log_project, log_unit, log_items, callback)

    def _send(self, log_project, log_unit, log_items, callback):
        h = self._handle()
        buf, count = pack_items(log_items)
        project, unit = _encoded(log_project, "log_project"), _encoded(log_unit, "log_unit")
        if callback is None:
            r = lib.lts_producer_send_packed(h, project, unit, buf, len(buf), count, _NO_CALLBACK, None)
            if r:
                check(r)
            return
        key = next(self._ids)
        with self._lock:
            self._callbacks[key] = callback
        r = lib.lts_producer_send_packed(h, project, unit, buf, len(buf), count, self._trampoline, key)
        if r != _native.LTS_OK:
            with self._lock:
                self._callbacks.pop(key, None)
            check(r)

    def safe_close(self):
        """Sends everything, runs every callback, stops the threads."""
        self._finish(lib.lts_producer_safe_close(self._handle()) if self._h is not None else 0)

    def close(self, timeout_ms):
        """As safe_close within timeout_ms; raises LogException (LTS_ERR_TIMEOUT) if logs
        were left unsent (their callbacks ran with LTS_ERR_CLOSED)."""
        if self._h is None:
            return
        self._finish(lib.lts_producer_close(self._handle(), int(timeout_ms)))

    def _finish(self, r):
        message = lib.lts_last_error_message().decode("utf-8", "replace") if r else ""
        if r == _native.LTS_ERR_REENTRANT:
            # Refused (called from one of this producer's callbacks): it is still open and
            # still ours, to be used and closed later.
            raise LogException(r, message)
        if self._h is not None:
            lib.lts_producer_free(self._h)
            self._h = None
        _live.discard(self)
        if r:
            raise LogException(r, message)

    def __del__(self):
        if getattr(self, "_h", None) is not None and not self._forked:
            try:
                self.close(0)
            except Exception:
                pass
