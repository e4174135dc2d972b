"""The journal from Python, set by its option name (journal_dir): a child process sends logs
to a server that holds every request, says how many send_logs calls returned, and is killed
with SIGKILL; a producer started on the same directory in this process delivers every one of
them, each stored once."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import unittest

if os.environ.get("LTS_PY_PATH"):
    sys.path.insert(0, os.environ["LTS_PY_PATH"])

from localserver import LocalServer  # noqa: E402

from lts import LogItem, ClientConfig, get_current_timestamp  # noqa: E402
from asynchronous.producer import Producer  # noqa: E402
from asynchronous.producer_config import ProducerConfig  # noqa: E402

CHILD = textwrap.dedent("""
    import sys
    from lts import LogItem, ClientConfig, get_current_timestamp
    from asynchronous.producer import Producer
    from asynchronous.producer_config import ProducerConfig

    url, journal = sys.argv[1], sys.argv[2]
    p = Producer(ProducerConfig(linger_ms=100, journal_dir=journal))
    p.build_clients(ClientConfig(url, "lts-local-ak", "lts-local-sk", "jproj"))
    p.start()
    for i in range(500):
        item = LogItem()
        item.set_log_timestamp(get_current_timestamp())
        item.set_origin_msg("journaled %d" % i)
        p.send_logs("jproj", "unit", [item])
    print("sent 500", flush=True)
    sys.stdin.readline()  # killed here, its batches open or in flight
""")


class JournalTest(unittest.TestCase):
    def setUp(self):
        self.server = LocalServer()
        self.journal = tempfile.mkdtemp()

    def tearDown(self):
        self.server.stop()
        shutil.rmtree(self.journal, ignore_errors=True)

    def test_a_killed_process_loses_no_sent_log_and_the_next_producer_stores_each_once(self):
        env = dict(os.environ)
        if os.environ.get("LTS_PY_PATH"):
            env["PYTHONPATH"] = os.environ["LTS_PY_PATH"]
        # The server holds every request: nothing the child sends is delivered before the kill.
        self.server.post("/_lts/faults", {"stall": True})
        proc = subprocess.Popen([sys.executable, "-c", CHILD, self.server.url, self.journal], env=env,
                                text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        try:
            self.assertEqual(proc.stdout.readline().strip(), "sent 500")
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, -signal.SIGKILL)
        self.server.post("/_lts/faults", {"stall": False})

        p = Producer(ProducerConfig(journal_dir=self.journal))
        p.build_clients(ClientConfig(self.server.url, "lts-local-ak", "lts-local-sk", "jproj"))
        p.start()
        p.safe_close()
        stats = p.stats()
        self.assertEqual(stats["journal_recovered_logs"], 500, json.dumps(stats))
        self.assertEqual((stats["logs_sent"], stats["logs_failed"]), (500, 0))
        stored = sorted(l["origin_msg"] for l in self.server.logs("jproj", "unit"))
        self.assertEqual(stored, sorted("journaled %d" % i for i in range(500)))
        # Delivered: no segment is left in the directory.
        self.assertEqual([f for f in os.listdir(self.journal) if f.endswith(".ltsj")], [])


if __name__ == "__main__":
    unittest.main()
