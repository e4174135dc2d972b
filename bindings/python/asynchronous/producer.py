"""Producer: `send_logs` returns at once; liblts's threads batch and send; every accepted
send's callback runs exactly once.

Callbacks run on the producer's library thread, which takes the GIL for them: keep them
short. Producers still open at interpreter exit are closed first, sending what they hold for
up to EXIT_TIMEOUT_MS (no wait when nothing is pending; what is left then gets its callback
with LTS_ERR_CLOSED), so no callback ever runs during finalization. After fork(), a producer inherited by the child
refuses use (LogException LTS_ERR_INVALID_STATE) and is never closed there.
"""
import atexit
import json
import os
import weakref

from lts import LogException, LogResponse, _lts

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
    _live.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_in_child)


def print_result(response, send_count):
    """The official SDK's io_work.callback: print the answer and the send count."""
    print(f"response: {json.dumps(response.body, separators=(',', ':'), ensure_ascii=False)}, send count : {send_count}")


def _on_result(callback, status_code, message, error, code, attempts, send_count):
    """Called by the core once per send that had a callback, where callbacks run."""
    response = LogResponse(status_code, message, error)
    response.code = code
    response.attempts = attempts
    try:
        callback(response, send_count)
    except Exception:
        pass  # an exception must not cross into the library's thread


class Producer(_lts.Producer):
    """The official SDK's Producer. `send_logs` and `send_logs_callback` hand the logs to
    liblts and return; `safe_close` sends everything; `close(timeout_ms)` within a time."""

    def __new__(cls, producer_config):
        native = producer_config._native()
        return super().__new__(cls, native, _on_result)

    def __init__(self, producer_config):
        self.producer_config = producer_config
        _live.add(self)

    def build_clients(self, client_config):
        """Registers the client for client_config.log_project (one per project)."""
        self.add_client(client_config._native())

    # send_logs(log_project, log_unit, log_items): the core's own, without a Python frame.

    def send_logs_callback(self, log_project, log_unit, log_items, callback=print_result):
        """Queues logs; `callback(response, send_count)` runs once with the outcome
        (by default it prints them, as the official SDK does)."""
        self.send(log_project, log_unit, log_items, callback)

    def stats(self):
        """Everything the producer counts, as a dict: logs_accepted, logs_sent, logs_failed,
        ..., retries_by_reason, token_renewals, token_failures, units (per project and unit)
        and last_error (see lts_producer_stats_json in lts.h)."""
        return json.loads(self.stats_json())

    def poll(self, max_results=1000, timeout_ms=0):
        """In callback_mode "poll": runs up to max_results ready callbacks (and the library's
        log lines and stats) on this thread, waiting up to timeout_ms for the first. Returns
        how many callbacks ran."""
        return super().poll(int(max_results), int(timeout_ms))

    def safe_close(self):
        """Sends everything, runs every callback, stops the threads."""
        self._finish(None)

    def close(self, timeout_ms):
        """As safe_close within timeout_ms; raises LogException (LTS_ERR_TIMEOUT) if logs
        were left unsent (their callbacks ran with LTS_ERR_CLOSED)."""
        self._finish(int(timeout_ms))

    def _finish(self, timeout_ms):
        try:
            super().close(timeout_ms)
        except LogException as e:
            if e.code != 106:  # refused from a callback (REENTRANT): still open, still ours
                _live.discard(self)
            raise
        _live.discard(self)
