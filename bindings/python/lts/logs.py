"""liblts's log lines, in Python's `logging`: the logger "lts" gets each line the library
writes (failed attempts, token failures, a full buffer, close leaving logs unsent), at the
matching level. Lines from a producer arrive on its callback thread.

    lts.set_log_level(logging.INFO)   # the library's level (default: WARNING)
    lts.set_log_level(lts.LOG_OFF)    # nothing at all
    lts.set_log_handler(None)         # back to liblts's own stderr lines
"""
import atexit
import logging

from . import _lts

LOG_OFF = None
logger = logging.getLogger("lts")

_FROM_LTS = {3: logging.ERROR, 4: logging.WARNING, 6: logging.INFO, 7: logging.DEBUG}
_handler = None


def _to_lts(level):
    if level is None:
        return -1
    if level >= logging.ERROR:
        return 3
    if level >= logging.WARNING:
        return 4
    if level >= logging.INFO:
        return 6
    return 7


def _on_line(level, text):
    try:
        if _handler is None:
            logger.log(_FROM_LTS.get(level, logging.WARNING), "%s", text)
        else:
            _handler(_FROM_LTS.get(level, logging.WARNING), text)
    except Exception:
        pass  # an exception must not cross into the library's thread


def set_log_level(level):
    """Which lines liblts writes: a `logging` level (WARNING by default), or LOG_OFF."""
    _lts.set_log_level(_to_lts(level))


def set_log_handler(handler=logger):
    """Where liblts's lines go: the "lts" logger (the default), a callable
    `handler(level, message)` with a `logging` level, or None for liblts's own stderr."""
    global _handler
    if handler is None:
        _lts.set_log_callback(None)
        return
    _handler = None if handler is logger else handler
    _lts.set_log_callback(_on_line)


def _back_to_stderr():
    # At exit, after producers are closed (atexit runs this last): no Python code may run
    # from library threads once the interpreter is finalizing.
    _lts.set_log_callback(None)


set_log_handler()
atexit.register(_back_to_stderr)
