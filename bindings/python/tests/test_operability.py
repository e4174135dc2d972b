"""Every core option settable from Python (a test that fails when the core has a key the
binding cannot set), bad keys and values, liblts's lines in `logging`, silence, the secret
never in a line, stats as a dict and periodically, poll mode."""
import json
import logging
import os
import socket
import sys
import threading
import time
import unittest

if os.environ.get("LTS_PY_PATH"):
    sys.path.insert(0, os.environ["LTS_PY_PATH"])

import lts  # noqa: E402
from lts import LogItem, get_current_timestamp, ClientConfig, LogException  # noqa: E402
from lts import _lts  # noqa: E402
from asynchronous.producer import Producer  # noqa: E402
from asynchronous.producer_config import ProducerConfig  # noqa: E402
from localserver import LocalServer  # noqa: E402

AK, SK = "lts-local-ak", "lts-local-sk"
SECRET = "SECRET-MARKER-py-5e1f"


def closed_port_url():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"http://127.0.0.1:{port}"


def item(msg="m"):
    it = LogItem()
    it.set_log_timestamp(get_current_timestamp())
    it.set_origin_msg(msg)
    return it


class Lines(logging.Handler):
    """Collects the "lts" logger's records; `wait(needle, s)` blocks until one matches."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records = []
        self.cond = threading.Condition()

    def emit(self, record):
        with self.cond:
            self.records.append((record.levelno, record.getMessage(), threading.get_ident()))
            self.cond.notify_all()

    def wait(self, needle, seconds):
        end = time.time() + seconds
        with self.cond:
            while True:
                for r in self.records:
                    if needle in r[1]:
                        return r
                left = end - time.time()
                if left <= 0:
                    return None
                self.cond.wait(left)


class OperabilityTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = LocalServer("--project", "proj=unit-a,unit-s")

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def setUp(self):
        self.lines = Lines()
        logging.getLogger("lts").addHandler(self.lines)
        lts.set_log_level(logging.WARNING)

    def tearDown(self):
        logging.getLogger("lts").removeHandler(self.lines)
        lts.set_log_level(logging.WARNING)
        leaked = [r for r in self.lines.records if SECRET in r[1]]
        self.assertEqual(leaked, [])

    def _producer(self, url, secret=SK, **options):
        cfg = ProducerConfig(linger_ms=100, worker_count=1, **options)
        p = Producer(cfg)
        client = ClientConfig(url, AK, secret, "proj", backoff_base_ms=20, backoff_cap_ms=50)
        p.build_clients(client)
        p.start()
        return p

    def _wait_stats(self, p, cond, seconds=5):
        end = time.time() + seconds
        while not cond(p.stats()):
            self.assertLess(time.time(), end, p.stats())
            time.sleep(0.01)

    def test_every_core_option_reaches_the_core(self):
        schema = json.loads(lib_schema())
        self.assertEqual({o["name"] for o in schema["client"]}, set(lts.options.CLIENT_KEYS))
        for kind, make in (
            ("client", lambda: ClientConfig("http://127.0.0.1:1", AK, SK, "proj")),
            ("producer", ProducerConfig),
        ):
            for option in schema[kind]:
                key, value = option["name"], option["default"]
                cfg = make()
                try:
                    setattr(cfg, key, value)
                except LogException as e:
                    # No usable default (an endpoint, a key, a CA file): refused by the core,
                    # which knows the key.
                    self.assertIn(key, e.message)
                    self.assertNotIn("unknown", e.message)
                    continue
                if key in ("endpoint", "access_key", "secret_key", "log_project"):
                    continue  # given to the constructor
                self.assertEqual(cfg._native().get(key), value, key)

    def test_typed_values_round_trip_and_bad_ones_name_key_and_value(self):
        c = ClientConfig("http://127.0.0.1:1", AK, SK, "proj", allow_plain_http=True, no_retry_status_code=[500, 503])
        self.assertIs(c.allow_plain_http, True)
        self.assertEqual(c.no_retry_status_code, [500, 503])
        c.request_timeout = 2.5  # the official SDK's seconds
        self.assertEqual(c.request_timeout_ms, 2500)
        with self.assertRaises(LogException) as cm:
            c.retries = 1000
        self.assertIn("retries", cm.exception.message)
        self.assertIn('"1000"', cm.exception.message)
        self.assertIn("0..=100", cm.exception.message)
        with self.assertRaises(LogException) as cm:
            c.set("no_such_key", 1)
        self.assertEqual(cm.exception.name, "LTS_ERR_INVALID_ARGUMENT")
        self.assertIn("no_such_key", cm.exception.message)
        with self.assertRaises(LogException) as cm:
            c.secret_key_typo = "x"
        self.assertIn("secret_key_typo", cm.exception.message)
        with self.assertRaises(LogException) as cm:
            c.set("secret_key", "")
        self.assertIn("<hidden>", cm.exception.message)
        p = ProducerConfig(delivery_timeout_ms=1500, spill_dir="/tmp/lts-spill-test", callback_mode="poll")
        self.assertEqual((p.delivery_timeout_ms, p.spill_dir, p.callback_mode), (1500, "/tmp/lts-spill-test", "poll"))
        with self.assertRaises(LogException) as cm:
            p.linger_ms = "soon"
        self.assertIn("linger_ms", cm.exception.message)
        self.assertEqual(p.linger_ms, 2000, "a refused value changes nothing")
        p.default_linger_ms = 150  # the official SDK's name
        self.assertEqual(p.linger_ms, 150)

    def test_delivery_timeout_reaches_the_producer(self):
        # The drift the issue found: accepted, never passed on. A batch at a closed port
        # fails when its delivery timeout passes.
        p = self._producer(closed_port_url(), delivery_timeout_ms=300)
        done = threading.Event()
        got = []
        p.send_logs_callback("proj", "unit-a", [item()], lambda r, n: (got.append(r.code), done.set()))
        self.assertTrue(done.wait(10))
        self.assertEqual(got, [101])  # LTS_ERR_NETWORK, not the 10-minute default's wait
        p.safe_close()

    def test_failures_reach_logging_within_a_second_without_the_secret(self):
        p = self._producer(closed_port_url(), secret=SECRET)
        p.send_logs("proj", "unit-a", [item()])
        line = self.lines.wait("attempt 1 failed", 1.0)
        self.assertIsNotNone(line, self.lines.records)
        self.assertEqual(line[0], logging.WARNING)
        self.assertIn("next attempt in", line[1])
        with self.assertRaises(LogException):
            p.close(0)
        self.assertIsNotNone(self.lines.wait("close ran out of time", 1.0))
        errors = [r for r in self.lines.records if r[0] == logging.ERROR]
        self.assertTrue(errors)

    def test_silence_means_no_line(self):
        lts.set_log_level(lts.LOG_OFF)
        p = self._producer(closed_port_url(), secret=SECRET)
        p.send_logs("proj", "unit-a", [item()])
        self._wait_stats(p, lambda s: s["token_failures"] >= 2)
        with self.assertRaises(LogException):
            p.close(0)
        self.assertEqual(self.lines.records, [])

    def test_a_handler_callable_gets_lines(self):
        got = []
        lts.set_log_handler(lambda level, text: got.append((level, text)))
        try:
            p = self._producer(closed_port_url())
            p.send_logs("proj", "unit-a", [item()])
            self._wait_stats(p, lambda s: s["token_failures"] >= 1)
            with self.assertRaises(LogException):
                p.close(0)
        finally:
            lts.set_log_handler()
        self.assertTrue(any("attempt 1 failed" in t for _, t in got), got)

    def test_a_refused_token_call_reports_its_code(self):
        p = self._producer(self.server.url, secret=SECRET)
        done = threading.Event()
        got = []
        p.send_logs_callback("proj", "unit-a", [item()], lambda r, n: (got.append((r.code, r.error)), done.set()))
        self.assertTrue(done.wait(10))
        self.assertEqual(got, [(100, "LTS_8007")])
        last = p.stats()["last_error"]
        self.assertEqual((last["result"], last["error"]), ("LTS_ERR_AUTH", "LTS_8007"))
        self.assertIsNotNone(self.lines.wait("LTS_8007", 1.0))
        p.safe_close()  # raises if the core's balance check failed

    def test_stats_as_a_dict_and_periodically_in_poll_mode(self):
        reports = []
        cfg = ProducerConfig(linger_ms=100, callback_mode="poll", stats_interval_ms=100)
        cfg.stats_callback = reports.append
        p = Producer(cfg)
        p.build_clients(ClientConfig(self.server.url, AK, SK, "proj"))
        p.start()
        results = []
        for i in range(3):
            p.send_logs_callback("proj", "unit-s", [item(f"s{i}")], lambda r, n: results.append(r.code))
        end = time.time() + 10
        while (len(results) < 3 or len(reports) < 2) and time.time() < end:
            p.poll(100, 100)
        self.assertEqual(results, [0, 0, 0])
        self.assertGreaterEqual(len(reports), 2)
        s = p.stats()
        self.assertEqual(s["logs_sent"], 3)
        unit = [u for u in s["units"] if u["unit"] == "unit-s"][0]
        self.assertEqual((unit["project"], unit["logs_accepted"], unit["logs_sent"]), ("proj", 3, 3))
        self.assertIn("retries_by_reason", s)
        p.safe_close()
        self.assertTrue(all("units" in r and "logs_accepted" in r for r in reports))


def lib_schema():
    return _lts.config_schema()


if __name__ == "__main__":
    unittest.main()
