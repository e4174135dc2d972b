"""The Python wrapper against a real lts-local: the doc's own examples, errors, the
producer's exactly-once callbacks, closed and forked handles."""
import io
import contextlib
import os
import sys
import threading
import unittest

# The package under test is the one this interpreter imports (a wheel installed in its
# environment); LTS_PY_PATH puts a folder holding another copy first.
if os.environ.get("LTS_PY_PATH"):
    sys.path.insert(0, os.environ["LTS_PY_PATH"])

from lts import LogItem, get_current_timestamp, LogClient, LogException, ClientConfig  # noqa: E402
from asynchronous.producer import Producer  # noqa: E402
from asynchronous.producer_config import ProducerConfig  # noqa: E402
from localserver import LocalServer  # noqa: E402

AK, SK = "lts-local-ak", "lts-local-sk"


def child_env():
    """The environment for a child interpreter that imports the same package as this one."""
    env = dict(os.environ)
    if os.environ.get("LTS_PY_PATH"):
        env["PYTHONPATH"] = os.environ["LTS_PY_PATH"]
    return env


class WrapperTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = LocalServer("--project", "proj=unit-a,unit-b,unit-p,unit-f,unit-r,unit-doc,unit-ex1,unit-ex2")

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_the_package_under_test_is_self_contained(self):
        import lts
        from lts import _lts
        want = os.environ.get("LTS_PY_PATH")
        if want:
            self.assertTrue(lts.__file__.startswith(os.path.abspath(want)), lts.__file__)
        # The core is inside the package, not found through the environment.
        self.assertEqual(os.path.dirname(_lts.__file__), os.path.dirname(lts.__file__))
        self.assertNotIn("LTS_LIBRARY_PATH", os.environ)

    def test_the_docs_sync_example_runs_unchanged(self):
        # Section 3's example, endpoint and keys filled in, 3 sends instead of 100.
        access_key, secret_key, log_project, log_unit, endpoint = AK, SK, "proj", "unit-doc", self.server.url
        log_items = []
        log_item = LogItem()
        curr_time = get_current_timestamp(3)
        log_item.set_log_timestamp(curr_time)
        log_item.set_origin_msg("Python sdk test oriMessage")
        log_item.contents_push_back("level", "info")
        log_item.contents_push_back("area", 3.1415926)
        log_item.labels_push_back("user_tag", "string")
        for i in range(0, 10):
            log_items.append(log_item)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            client_config = ClientConfig(endpoint, access_key, secret_key, log_project)
            log_client = LogClient(client_config)
            for i in range(0, 3):
                log_response = log_client.put_logs(log_project, log_unit, log_items)
                log_response.log_print_body()
        self.assertEqual(out.getvalue().count('{"statusCode":0,"message":"SUCCESS","error":""}'), 3)
        logs = self.server.logs("proj", "unit-doc")
        self.assertEqual(len(logs), 30)
        self.assertEqual(logs[0]["origin_msg"], "Python sdk test oriMessage")
        self.assertEqual(logs[0]["contents"], {"level": "info", "area": 3.1415926})
        self.assertEqual(logs[0]["labels"], {"user_tag": "string"})
        self.assertEqual(logs[0]["time_unix_nano"], curr_time)

    def test_keyword_form_and_service_errors(self):
        client = LogClient(endpoint=self.server.url, access_key=AK, secret_key=SK)
        item = LogItem()
        item.set_log_timestamp(get_current_timestamp())
        item.set_origin_msg("kw")
        item.set_contents({"contentInt": 123456, "contentString": "string content"})
        resp = client.put_logs("proj", "unit-b", [item])
        self.assertEqual((resp.status_code, resp.message, resp.error), (0, "SUCCESS", ""))
        missing = client.put_logs("proj", "no-such-unit", item)
        self.assertEqual((missing.status_code, missing.error), (-1, "LTS_8011"))
        self.assertEqual(self.server.logs("proj", "unit-b")[0]["contents"],
                         {"contentInt": 123456, "contentString": "string content"})

    def test_a_forbidden_key_raises_naming_it(self):
        item = LogItem()
        with self.assertRaises(LogException) as cm:
            item.contents_push_back("area:", 3.1415926)
        self.assertIn('"area:"', str(cm.exception))
        self.assertEqual(cm.exception.name, "LTS_ERR_INVALID_KEY")
        with self.assertRaises(LogException):
            item.labels_push_back("9lives", "x")
        with self.assertRaises(LogException):
            LogClient(endpoint=self.server.url, access_key=AK, secret_key="wrong")
        client = LogClient(endpoint=self.server.url, access_key=AK, secret_key=SK)
        empty = LogItem()
        empty.set_log_timestamp(1)
        empty.set_origin_msg("m")
        # The core checks each value as it is pushed: the item keeps what it had.
        with self.assertRaises(LogException) as cm:
            empty.contents_push_back("k", "")
        self.assertEqual(cm.exception.name, "LTS_ERR_INVALID_VALUE")
        self.assertIn('invalid content "k": the value is empty', cm.exception.message)
        self.assertEqual(empty.get_contents(), {})
        with self.assertRaises(LogException) as cm:
            client.put_logs("proj", "unit-a", [LogItem()])
        self.assertIn("has no timestamp", cm.exception.message)

    def test_producer_thousands_of_logs_each_callback_once(self):
        cfg = ProducerConfig()
        cfg.default_linger_ms = 100
        producer = Producer(cfg)
        producer.build_clients(ClientConfig(self.server.url, AK, SK, "proj"))
        producer.start()
        counts = {}
        lock = threading.Lock()

        def make_cb(i):
            def cb(response, send_count):
                with lock:
                    counts[i] = counts.get(i, 0) + 1
                self.assertEqual(response.status_code, 0)
                self.assertEqual(send_count, 5)
            return cb

        def sender(t):
            for s in range(200):
                items = []
                for k in range(5):
                    it = LogItem()
                    it.set_log_timestamp(get_current_timestamp())
                    it.set_origin_msg(f"t{t} s{s} k{k}")
                    it.contents_push_back("seq", s)
                    items.append(it)
                producer.send_logs_callback("proj", "unit-p", items, make_cb((t, s)))

        threads = [threading.Thread(target=sender, args=(t,)) for t in range(4)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        producer.send_logs("proj", "unit-p", self._item("no callback"))
        producer.safe_close()
        self.assertEqual(len(counts), 800)
        self.assertTrue(all(v == 1 for v in counts.values()))
        self.assertEqual(len(self.server.logs("proj", "unit-p")), 800 * 5 + 1)
        # Closed: an error, not a crash; closing again is harmless.
        with self.assertRaises(LogException) as cm:
            producer.send_logs("proj", "unit-p", self._item("late"))
        self.assertEqual(cm.exception.name, "LTS_ERR_CLOSED")
        producer.safe_close()

    def test_the_docs_async_example_prints_results(self):
        cfg = ProducerConfig()
        producer = Producer(cfg)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            producer.build_clients(ClientConfig(self.server.url, AK, SK, "proj"))
            producer.start()
            item = self._item("Python sdk test oriMessage")
            for i in range(0, 3):
                producer.send_logs_callback("proj", "unit-f", [item] * 10)
            producer.safe_close()
        line = 'response: {"statusCode":0,"message":"SUCCESS","error":""}, send count : 10'
        self.assertEqual(out.getvalue().count(line), 3, out.getvalue())

    def test_close_with_timeout_reports_unsent_logs(self):
        self.server.post("/_lts/faults", {"stall": True})
        try:
            producer = Producer(ProducerConfig())
            producer.build_clients(ClientConfig(self.server.url, AK, SK, "proj"))
            producer.start()
            results = []
            producer.send_logs_callback("proj", "unit-a", self._item("stalled"),
                                        lambda r, n: results.append((r.code, n)))
            with self.assertRaises(LogException) as cm:
                producer.close(300)
            self.assertEqual(cm.exception.name, "LTS_ERR_TIMEOUT")
            self.assertEqual(results, [(105, 1)])  # LTS_ERR_CLOSED, once, before close returned
        finally:
            self.server.post("/_lts/faults", {"stall": False})

    def test_a_close_refused_inside_a_callback_leaves_the_producer_working_to_exit(self):
        # In a child interpreter, so "exit" is a real interpreter exit: the producer is used
        # after the refused close and left open; exit must still deliver every log.
        import subprocess
        script = r"""
import sys
from lts import LogItem, get_current_timestamp, ClientConfig, LogException
from asynchronous.producer import Producer
from asynchronous.producer_config import ProducerConfig
url = sys.argv[1]
cfg = ProducerConfig()
cfg.default_linger_ms = 100
producer = Producer(cfg)
producer.build_clients(ClientConfig(url, "lts-local-ak", "lts-local-sk", "proj"))
producer.start()
refused, results = [], []
def item(msg):
    it = LogItem()
    it.set_log_timestamp(get_current_timestamp())
    it.set_origin_msg(msg)
    return [it]
def closes_from_inside(response, n):
    try:
        producer.safe_close()
    except LogException as e:
        refused.append(e.name)
producer.send_logs_callback("proj", "unit-r", item("close-from-callback 0"), closes_from_inside)
import time
deadline = time.time() + 30
while not refused and time.time() < deadline:
    time.sleep(0.01)
print("refused:", refused)
for i in range(1, 51):
    producer.send_logs_callback("proj", "unit-r", item(f"close-from-callback {i}"),
                                lambda r, n: print("callback", r.code, flush=True))
print("sent after the refusal", flush=True)
# No close: the interpreter's exit closes the producer, and its callbacks run then.
"""
        here = os.path.dirname(os.path.abspath(__file__))
        out = subprocess.run([sys.executable, "-c", script, self.server.url],
                             env=child_env(), capture_output=True,
                             text=True, timeout=120)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("refused: ['LTS_ERR_REENTRANT']", out.stdout)
        self.assertIn("sent after the refusal", out.stdout)
        self.assertEqual(out.stdout.count("callback 0\n"), 50, out.stdout)
        got = {l["origin_msg"] for l in self.server.logs("proj", "unit-r")}
        want = {f"close-from-callback {i}" for i in range(51)}
        self.assertEqual(got & want, want)

    @unittest.skipUnless(hasattr(os, "fork"), "needs fork")
    def test_a_forked_child_cannot_use_the_parents_producer(self):
        producer = Producer(ProducerConfig())
        producer.build_clients(ClientConfig(self.server.url, AK, SK, "proj"))
        producer.start()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                producer.send_logs("proj", "unit-a", self._item("child"))
            except LogException as e:
                code = 0 if e.name == "LTS_ERR_INVALID_STATE" else 2
            os._exit(code)
        _, status = os.waitpid(pid, 0)
        self.assertEqual(os.WEXITSTATUS(status), 0)
        producer.send_logs("proj", "unit-a", self._item("parent"))
        producer.safe_close()

    def _run_example(self, name, unit):
        import subprocess
        here = os.path.dirname(os.path.abspath(__file__))
        env = {**child_env(), "LTS_ENDPOINT": self.server.url, "LTS_PROJECT": "proj", "LTS_UNIT": unit}
        out = subprocess.run([sys.executable, os.path.join(here, "..", "examples", name)], env=env,
                             capture_output=True, text=True, timeout=120)
        self.assertEqual(out.returncode, 0, out.stderr)
        return out.stdout

    def test_the_docs_example_files_run(self):
        out = self._run_example("sample_putlogs.py", "unit-ex1")
        self.assertEqual(out.count('{"statusCode":0,"message":"SUCCESS","error":""}'), 100, out[-500:])
        self.assertEqual(len(self.server.logs("proj", "unit-ex1")), 1000)
        out = self._run_example("sample_producer.py", "unit-ex2")
        line = 'response: {"statusCode":0,"message":"SUCCESS","error":""}, send count : 10'
        self.assertEqual(out.count(line), 200, out[-500:])
        self.assertEqual(len(self.server.logs("proj", "unit-ex2")), 2000)

    @staticmethod
    def _item(msg):
        it = LogItem()
        it.set_log_timestamp(get_current_timestamp())
        it.set_origin_msg(msg)
        return it


if __name__ == "__main__":
    unittest.main()
