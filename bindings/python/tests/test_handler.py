"""LtsHandler against lts-local: dictConfig, extra fields and exceptions, flush that keeps the
handler working, fork (each process delivers exactly its own records), emit that never
raises, and interpreter exit."""
import logging
import logging.config
import os
import subprocess
import sys
import textwrap
import time
import unittest

if os.environ.get("LTS_PY_PATH"):
    sys.path.insert(0, os.environ["LTS_PY_PATH"])

from lts.handler import LtsHandler  # noqa: E402
from localserver import LocalServer  # noqa: E402

AK, SK = "lts-local-ak", "lts-local-sk"


def wait_for(what, cond, seconds=30):
    """Polls the server (bounded): its state is not the test's to be notified of."""
    end = time.time() + seconds
    while True:
        got = cond()
        if got:
            return got
        if time.time() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


class Recording(LtsHandler):
    """Records what went to handleError instead of printing it."""

    def __init__(self, *a, **kw):
        self.errors = []
        super().__init__(*a, **kw)

    def handleError(self, record):
        self.errors.append(sys.exc_info()[1])


class HandlerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = LocalServer()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def logs(self, unit):
        return self.server.logs("hproj", unit)

    def handler(self, unit, cls=LtsHandler, **kw):
        return cls(self.server.url, AK, SK, "hproj", unit, **kw)

    def test_dict_config_extra_fields_exceptions_and_labels(self):
        logging.config.dictConfig({
            "version": 1,
            "disable_existing_loggers": False,
            "handlers": {"lts": {
                "class": "lts.handler.LtsHandler", "endpoint": self.server.url, "access_key": AK,
                "secret_key": SK, "log_project": "hproj", "log_unit": "dict", "labels": {"service": "api"},
                "producer_options": {"linger_ms": 100},
            }},
            "loggers": {"app.dict": {"handlers": ["lts"], "level": "INFO", "propagate": False}},
        })
        log = logging.getLogger("app.dict")
        log.info("paid %d", 42, extra={"order": 42, "customer": "amy", "amount": 12.5})
        log.debug("not at INFO")
        try:
            1 / 0
        except ZeroDivisionError:
            log.exception("division failed")
        handler = log.handlers[0]
        handler.close()
        log.removeHandler(handler)
        logs = sorted(self.logs("dict"), key=lambda l: l["origin_msg"])
        self.assertEqual([l["origin_msg"] for l in logs], ["division failed", "paid 42"])
        failed, paid = logs
        c = paid["contents"]
        self.assertEqual((c["level"], c["logger"], c["module"], c["function"]),
                         ("INFO", "app.dict", "test_handler", "test_dict_config_extra_fields_exceptions_and_labels"))
        self.assertEqual((c["order"], c["customer"], c["amount"]), (42, "amy", 12.5))
        self.assertEqual(c["process"], os.getpid())
        self.assertIsInstance(c["line"], int)
        self.assertNotIn("exception", c)
        self.assertEqual(paid["labels"], {"service": "api"})
        self.assertEqual(failed["contents"]["level"], "ERROR")
        self.assertIn("ZeroDivisionError: division by zero", failed["contents"]["exception"])
        self.assertIn("Traceback (most recent call last)", failed["contents"]["exception"])

    def test_flush_sends_now_and_never_stops_the_handler(self):
        # A linger of ten minutes: only flush (or close) can deliver these.
        h = self.handler("flush", producer_options={"linger_ms": 600000})
        log = logging.getLogger("app.flush")
        log.propagate = False
        log.addHandler(h)
        log.warning("first")
        h.flush()
        wait_for("the first record", lambda: len(self.logs("flush")) == 1)
        log.warning("second")
        h.flush()
        wait_for("the second record", lambda: len(self.logs("flush")) == 2)
        log.warning("third")
        h.close()
        log.removeHandler(h)
        self.assertEqual(sorted(l["origin_msg"] for l in self.logs("flush")), ["first", "second", "third"])
        log.warning("after close")  # dropped, counted, no error
        self.assertEqual(h.dropped, 0)  # removed from the logger: never reached the handler
        h.handle(logging.LogRecord("x", logging.WARNING, __file__, 1, "late", (), None))
        self.assertEqual(h.dropped, 1)
        s = h.stats()
        self.assertIsNone(s)

    @unittest.skipUnless(hasattr(os, "fork"), "needs fork")
    def test_after_fork_each_process_delivers_exactly_its_own_records(self):
        h = self.handler("fork", producer_options={"linger_ms": 100})
        log = logging.getLogger("app.fork")
        log.setLevel(logging.INFO)
        log.propagate = False
        log.addHandler(h)
        log.info("parent before fork")
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                for i in range(5):
                    log.info("child %d", i)
                h.close()
                code = 0
            finally:
                os._exit(code)
        log.info("parent after fork")
        _, status = os.waitpid(pid, 0)
        self.assertEqual(os.WEXITSTATUS(status), 0)
        h.close()
        log.removeHandler(h)
        got = sorted(l["origin_msg"] for l in self.logs("fork"))
        want = sorted(["parent before fork", "parent after fork"] + [f"child {i}" for i in range(5)])
        self.assertEqual(got, want)
        by_pid = {}
        for l in self.logs("fork"):
            by_pid.setdefault(l["contents"]["process"], set()).add(l["origin_msg"].split()[0])
        self.assertEqual(by_pid, {os.getpid(): {"parent"}, pid: {"child"}})

    def test_emit_never_raises_and_sends_what_it_can(self):
        h = self.handler("errors", cls=Recording, producer_options={"linger_ms": 100})
        record = logging.LogRecord("app.errors", logging.INFO, __file__, 7, "with a bad extra", (), None)
        record.__dict__["bad key!"] = "x"
        record.__dict__["fine"] = 1
        h.handle(record)  # does not raise
        self.assertEqual(len(h.errors), 1)
        self.assertIn('invalid content key "bad key!"', str(h.errors[0]))
        h.close()
        (got,) = self.logs("errors")
        self.assertEqual(got["contents"]["fine"], 1)
        self.assertNotIn("bad key!", got["contents"])

    def test_a_full_buffer_is_reported_not_raised_and_not_waited_for(self):
        self.server.post("/_lts/faults", {"stall": True})
        try:
            h = self.handler("full", cls=Recording, producer_options={
                "linger_ms": 100, "buffer_bytes": 1 << 20, "max_block_ms": 0})
            big = "x" * 100_000
            log = logging.getLogger("app.full")
            log.setLevel(logging.INFO)
            log.propagate = False
            log.addHandler(h)
            for _ in range(40):
                log.info(big)
            self.assertTrue(h.errors, "a 1 MiB buffer cannot take 4 MB")
            self.assertIn("LTS_ERR_BUFFER_FULL", str(h.errors[0]))
        finally:
            self.server.post("/_lts/faults", {"stall": False})
        h.close()
        log.removeHandler(h)
        s = len(self.logs("full"))
        self.assertEqual(s + len(h.errors), 40)

    def test_interpreter_exit_delivers_and_does_not_wait_when_idle(self):
        script = textwrap.dedent("""
            import logging, sys
            from lts.handler import LtsHandler
            h = LtsHandler(sys.argv[1], "lts-local-ak", "lts-local-sk", "hproj", sys.argv[2],
                           close_timeout_ms=60000)
            log = logging.getLogger("app.exit")
            log.addHandler(h)
            log.setLevel(logging.INFO)
            for i in range(int(sys.argv[3])):
                log.info("exit %d", i)
            # no close: logging.shutdown and the producer's exit hook deliver the rest
        """)
        env = dict(os.environ)
        if os.environ.get("LTS_PY_PATH"):
            env["PYTHONPATH"] = os.environ["LTS_PY_PATH"]
        out = subprocess.run([sys.executable, "-c", script, self.server.url, "exit", "10"], env=env,
                             capture_output=True, text=True, timeout=120)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(sorted(l["origin_msg"] for l in self.logs("exit")), sorted(f"exit {i}" for i in range(10)))
        # Nothing pending at exit: it must not sit out the 60 s close timeout.
        out = subprocess.run([sys.executable, "-c", script, self.server.url, "idle", "0"], env=env,
                             capture_output=True, text=True, timeout=30)
        self.assertEqual(out.returncode, 0, out.stderr)


if __name__ == "__main__":
    unittest.main()
