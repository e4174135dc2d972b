"""`LtsHandler`: Python's `logging` into LTS, on the producer (which already is the queue:
`emit` hands the record to liblts and returns; no QueueHandler, no thread of its own).

    import logging
    from lts.handler import LtsHandler
    logging.getLogger().addHandler(LtsHandler(
        "https://lts.example.com", ak, sk, "my-project", "my-unit", labels={"service": "api"}))
    logging.getLogger("app").info("paid", extra={"order": 42})

or with `logging.config.dictConfig`: `{"class": "lts.handler.LtsHandler", "endpoint": ...,
"access_key": ..., "secret_key": ..., "log_project": ..., "log_unit": ...}` (every keyword below).

Each record becomes one log: the formatted message (`record.getMessage()` unless a formatter
is set) as the origin message; contents `level`, `logger`, `module`, `function`, `line`,
`thread`, `process`, the record's `extra` fields, and `exception` with the traceback text when
the record has one; labels from `labels`.

- `emit` never raises into the application: a failure goes to `handleError` (logging's own
  policy: a report on stderr while `logging.raiseExceptions` is true). It never blocks longer
  than the producer's `max_block_ms` (0 by default: a full buffer fails at once). An extra
  field liblts refuses (a key it does not allow) is left out of that log, and reported.
- `flush()` hands buffered records to the senders now and returns; it never stops the handler
  (frameworks such as uvicorn call it while configuring logging).
- After `fork()` the child's handler makes a fresh producer on its first record; the parent's
  keeps running. Each process delivers exactly its own records.
- `close()` (and interpreter exit) sends what is buffered, waiting at most `close_timeout_ms`
  and not at all when nothing is pending; records emitted after close are dropped and counted
  in `dropped`.
"""
import logging
import os
import threading
import traceback
import weakref

from . import ClientConfig, LogException, LogItem

# The attributes every LogRecord has: the rest of its __dict__ is the caller's `extra`.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime", "taskName"}

_handlers = weakref.WeakSet()


def _after_fork_in_child():
    for h in list(_handlers):
        h._forked()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


class LtsHandler(logging.Handler):
    """A `logging.Handler` shipping records to one LTS log unit through a producer.

    `endpoint`, `access_key`, `secret_key`, `log_project`, `log_unit`: where records go
    (or `client_config`, a `lts.ClientConfig`). `labels`: a dict added to every log.
    `producer_options`: a dict of producer options (CONFIGURATION.md: `linger_ms`,
    `max_block_ms`, `buffer_bytes`, ...). `close_timeout_ms`: how long close waits (5000).
    `client_options`: a dict of client options. `level`: the handler's level."""

    def __init__(self, endpoint=None, access_key=None, secret_key=None, log_project=None, log_unit=None,
                 labels=None, level=logging.NOTSET, client_config=None, producer_options=None,
                 client_options=None, close_timeout_ms=5000):
        super().__init__(level)
        if client_config is None:
            client_config = ClientConfig(endpoint, access_key, secret_key, log_project, **(client_options or {}))
        if not log_unit or not isinstance(log_unit, str):
            raise LogException(1, "LtsHandler needs log_unit, the log unit records go to", "LTS_ERR_INVALID_ARGUMENT")
        self.client_config = client_config
        self.log_project = client_config.log_project
        self.log_unit = log_unit
        self.labels = dict(labels or {})
        self.producer_options = dict(producer_options or {})
        self.close_timeout_ms = int(close_timeout_ms)
        self.dropped = 0
        self._closed = False
        self._producer = None
        self._start_lock = threading.Lock()
        # Checked now, so a bad option or label fails at configuration, not at the first record.
        self._producer = self._new_producer()
        probe = LogItem()
        for k, v in self.labels.items():
            probe.labels_push_back(k, v)
        _handlers.add(self)

    def _new_producer(self):
        from asynchronous.producer import Producer
        from asynchronous.producer_config import ProducerConfig
        producer = Producer(ProducerConfig(**self.producer_options))
        producer.build_clients(self.client_config)
        producer.start()
        return producer

    def _forked(self):
        # The inherited producer's threads do not exist in the child: it is left alone (its
        # memory is the child's to lose) and a new one is made on the first record.
        self._producer = None
        self._start_lock = threading.Lock()

    def _current(self):
        producer = self._producer
        if producer is None:
            with self._start_lock:
                if self._producer is None and not self._closed:
                    self._producer = self._new_producer()
                producer = self._producer
        return producer

    def _item(self, record):
        item = LogItem()
        item.set_log_timestamp(int(record.created * 1e9))
        message = self.format(record) if self.formatter else record.getMessage()
        item.set_origin_msg(message or "(empty message)")
        push = item.contents_push_back
        push("level", record.levelname)
        push("logger", record.name or "root")
        push("module", record.module)
        push("function", record.funcName or "-")
        push("line", record.lineno)
        push("thread", record.threadName or str(record.thread))
        push("process", record.process if record.process is not None else os.getpid())
        if record.exc_info and not self.formatter:
            push("exception", "".join(traceback.format_exception(*record.exc_info)).rstrip())
        elif record.exc_text:
            push("exception", record.exc_text)
        refused = None
        for key, value in record.__dict__.items():
            if key in _STANDARD or key.startswith("_") or value is None or value == "":
                continue
            try:
                push(key, value)
            except LogException as e:
                refused = refused or e
        for key, value in self.labels.items():
            item.labels_push_back(key, value)
        return item, refused

    def emit(self, record):
        if self._closed:
            self.dropped += 1
            return
        try:
            item, refused = self._item(record)
            producer = self._current()
            if producer is None:
                self.dropped += 1
                return
            producer.send_logs(self.log_project, self.log_unit, item)
            if refused is not None:
                raise refused
        except RecursionError:
            raise
        except Exception:
            self.handleError(record)

    def flush(self):
        """Hands what is buffered to the senders now; the handler keeps working."""
        producer = self._producer
        if producer is not None and not self._closed:
            try:
                producer.flush()
            except LogException:
                pass  # closed meanwhile, or not started: nothing to flush

    def close(self):
        """Sends what is buffered (waiting at most close_timeout_ms) and stops."""
        with self._start_lock:
            self._closed = True
            producer, self._producer = self._producer, None
        if producer is not None:
            try:
                producer.close(self.close_timeout_ms)
            except LogException:
                pass  # what could not be sent was counted by the producer and said by liblts
        _handlers.discard(self)
        super().close()

    def stats(self):
        """The producer's stats (a dict), or None when the handler has none now."""
        producer = self._producer
        return producer.stats() if producer is not None else None
