"""Bad input raises LogException with the core's message (never TypeError, never a crash),
and 100,000 sends leak neither references nor memory."""
import gc
import math
import os
import sys
import threading
import tracemalloc
import unittest

if os.environ.get("LTS_PY_PATH"):
    sys.path.insert(0, os.environ["LTS_PY_PATH"])

from lts import LogItem, LogClient, LogException, ClientConfig, get_current_timestamp  # noqa: E402
from lts import _lts  # noqa: E402
from asynchronous.producer import Producer  # noqa: E402
from asynchronous.producer_config import ProducerConfig  # noqa: E402
from localserver import LocalServer  # noqa: E402

AK, SK = "lts-local-ak", "lts-local-sk"


def item(msg="m"):
    it = LogItem()
    it.set_log_timestamp(get_current_timestamp())
    it.set_origin_msg(msg)
    return it


class BadInputTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = LocalServer("--sink")

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def raises(self, name, says, f, *args):
        with self.assertRaises(LogException) as cm:
            f(*args)
        self.assertEqual(cm.exception.name, name, cm.exception)
        self.assertIn(says, cm.exception.message)
        return cm.exception

    def test_items_refuse_what_the_core_refuses(self):
        it = item()
        self.raises("LTS_ERR_INVALID_KEY", 'invalid content key "area:"', it.contents_push_back, "area:", 1)
        self.raises("LTS_ERR_INVALID_KEY", "content key 1 must be a str, not int", it.contents_push_back, 1, "v")
        self.raises("LTS_ERR_INVALID_KEY", "label key None must be a str", it.labels_push_back, None, "v")
        self.raises("LTS_ERR_INVALID_VALUE", "", it.contents_push_back, "ratio", math.nan)
        self.raises("LTS_ERR_INVALID_VALUE", "", it.contents_push_back, "ratio", math.inf)
        self.raises("LTS_ERR_INVALID_VALUE", "does not fit a 64-bit integer", it.contents_push_back, "n", 1 << 70)
        self.raises("LTS_ERR_INVALID_VALUE", "invalid timestamp 'soon'", it.set_log_timestamp, "soon")
        self.raises("LTS_ERR_INVALID_VALUE", "invalid timestamp -1", it.set_log_timestamp, -1)
        self.raises("LTS_ERR_INVALID_VALUE", "invalid timestamp True", it.set_log_timestamp, True)
        self.raises("LTS_ERR_INVALID_VALUE", "origin message", it.set_origin_msg, "")
        # What was refused left the item as it was.
        self.assertEqual(it.get_contents(), {})
        it.contents_push_back("flag", True)  # other types travel as their str()
        it.contents_push_back("obj", [1, 2])
        self.assertEqual(it.get_contents(), {"flag": "True", "obj": "[1, 2]"})
        self.raises("LTS_ERR_INVALID_KEY", '"x y"', it.set_contents, {"ok": 1, "x y": 2})
        self.assertEqual(it.get_contents(), {"flag": "True", "obj": "[1, 2]"})

    def test_sends_refuse_bad_arguments_and_huge_logs(self):
        p = Producer(ProducerConfig(linger_ms=100))
        p.build_clients(ClientConfig(self.server.url, AK, SK, "proj"))
        p.start()
        self.raises("LTS_ERR_INVALID_ARGUMENT", "log_project must be a str, not int", p.send_logs, 1, "u", item())
        self.raises("LTS_ERR_INVALID_ARGUMENT", "log_unit must be a str, not NoneType", p.send_logs, "proj", None, item())
        self.raises("LTS_ERR_INVALID_ARGUMENT", "hold LogItem objects, not int", p.send_logs, "proj", "u", [item(), 1])
        self.raises("LTS_ERR_INVALID_ARGUMENT", "not int", p.send_logs, "proj", "u", 5)
        self.raises("LTS_ERR_INVALID_VALUE", "has no timestamp", p.send_logs, "proj", "u", LogItem())
        huge = item("x" * (12 << 20))
        self.raises("LTS_ERR_TOO_LARGE", "", p.send_logs, "proj", "u", huge)
        p.safe_close()
        s = p.stats()
        self.assertEqual((s["logs_accepted"], s["logs_sent"] + s["logs_failed"], s["buffered_bytes"]), (0, 0, 0))
        client = LogClient(ClientConfig(self.server.url, AK, SK, "proj"))
        self.raises("LTS_ERR_INVALID_ARGUMENT", "log_project must be a str", client.put_logs, b"proj", "u", [item()])
        self.raises("LTS_ERR_TOO_LARGE", "", client.put_logs, "proj", "u", [huge])


class MalformedConfigTest(unittest.TestCase):
    """Endpoints, integers and CA files as the core parses them, raised where they are given."""

    def raises(self, says, f, *args, **kwargs):
        with self.assertRaises(LogException) as cm:
            f(*args, **kwargs)
        self.assertEqual(cm.exception.name, "LTS_ERR_INVALID_ARGUMENT", cm.exception)
        self.assertIn(says, cm.exception.message)

    def test_a_malformed_endpoint_raises_when_it_is_given(self):
        for endpoint, says in (
            ("http://127.0.0.1:99999", 'port "99999": out of range 1..=65535'),
            ("https://[zz]:5", "[zz] is not an IPv6 address"),
            ("%s%s%s%n", "contains '%'"),
            ("http://127.0.0.1:", "the port after ':' is empty"),
            ("http://user:pw@127.0.0.1", "credentials"),
            ("http://127.0.0.1\n", "control"),
        ):
            self.raises(says, ClientConfig, endpoint, AK, SK, "proj")
            self.raises(says, lambda: ClientConfig("http://127.0.0.1:1", AK, SK, "proj").set("endpoint", endpoint))
            cfg = ClientConfig("http://127.0.0.1:1", AK, SK, "proj")
            self.raises(says, setattr, cfg, "endpoint", endpoint)
            self.assertEqual(cfg.endpoint, "http://127.0.0.1:1")
            self.raises(says, _lts.ClientConfig, endpoint, AK, SK, "proj")
        cfg = ClientConfig("HTTPS://München.example/pre/", AK, SK, "proj")
        self.assertEqual(cfg._native().get("endpoint"), "https://xn--mnchen-3ya.example/pre")

    def test_integers_have_one_grammar_in_every_kind_of_option(self):
        for text in (" 5", "5 ", "+5", "-0", "05", "0x10", "１", "5.0"):
            self.raises("retries", ClientConfig, "http://127.0.0.1:1", AK, SK, "proj", retries=text)
            self.raises("max_block_ms", ProducerConfig, max_block_ms=text)
            cfg = ClientConfig("http://127.0.0.1:1", AK, SK, "proj")
            cfg.profile = {"backoff_base_ms": text}
            self.raises("backoff_base_ms", LogClient, cfg)
        self.raises("out of range 0..=4294967295", ProducerConfig, max_block_ms=4294967296)
        self.assertEqual(ProducerConfig(max_block_ms=4294967295).max_block_ms, 4294967295)

    def test_a_ca_file_that_is_not_a_bounded_regular_file_raises_unread(self):
        self.raises("it is a character device, not a regular file", ClientConfig, "https://127.0.0.1:1", AK, SK,
                    "proj", ca_file="/dev/zero")


class StubTest(unittest.TestCase):
    def test_the_stubs_name_every_public_function_and_method_of_the_extension(self):
        import ast
        import lts
        from lts import _lts
        here = os.path.dirname(lts.__file__)
        self.assertTrue(os.path.exists(os.path.join(here, "py.typed")))
        with open(os.path.join(here, "_lts.pyi")) as f:
            tree = ast.parse(f.read())
        stubbed = {n.name: {m.name for m in n.body if isinstance(m, ast.FunctionDef)}
                   for n in tree.body if isinstance(n, ast.ClassDef)}
        functions = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
        for name in dir(_lts):
            obj = getattr(_lts, name)
            if name.startswith("_"):
                continue
            if isinstance(obj, type):
                public = {m for m in vars(obj) if not m.startswith("_")}
                self.assertIn(name, stubbed, f"class {name} has no stub")
                self.assertEqual(public - stubbed[name], set(), f"{name}: methods without stubs")
            elif callable(obj):
                self.assertIn(name, functions, f"function {name} has no stub")


class LeakTest(unittest.TestCase):
    def test_100000_sends_leak_no_references_and_no_memory(self):
        server = LocalServer("--sink")
        try:
            p = Producer(ProducerConfig(linger_ms=100))
            p.build_clients(ClientConfig(server.url, AK, SK, "proj"))
            p.start()
            done = threading.Event()
            count = [0]

            def callback(response, n):
                count[0] += n
                if count[0] == 100_000:
                    done.set()

            def round_(with_callback, n):
                for i in range(n):
                    it = LogItem()
                    it.set_log_timestamp(1_700_000_000_000_000_000 + i)
                    it.set_origin_msg("leak check")
                    it.contents_push_back("i", i)
                    it.contents_push_back("s", "value")
                    if with_callback:
                        p.send_logs_callback("proj", "u", [it], callback)
                    else:
                        p.send_logs("proj", "u", it)

            round_(False, 20_000)  # warm: caches, the batch buffers, the interned keys
            gc.collect()
            tracemalloc.start()
            refs_before = sys.getrefcount(callback)
            before = tracemalloc.get_traced_memory()[0]
            round_(True, 100_000)
            self.assertTrue(done.wait(60), count)
            p.flush()
            gc.collect()
            after = tracemalloc.get_traced_memory()[0]
            tracemalloc.stop()
            # Each of the 100,000 callbacks was released once it ran.
            self.assertEqual(sys.getrefcount(callback), refs_before)
            # Python memory did not grow with the sends (100,000 leaked objects would be MBs).
            self.assertLess(after - before, 256 * 1024, (before, after))
            p.safe_close()
            s = p.stats()
            self.assertEqual((s["logs_accepted"], s["logs_sent"], s["buffered_bytes"]), (120_000, 120_000, 0))
        finally:
            server.stop()


if __name__ == "__main__":
    unittest.main()
