"""Ctrl-C during the calls that wait: safe_close(), close(t) and put_logs() against a server
that holds every request raise KeyboardInterrupt promptly, and the producer can be closed
again afterwards with every log accounted for."""
import json
import os
import subprocess
import sys
import textwrap
import unittest

if os.environ.get("LTS_PY_PATH"):
    sys.path.insert(0, os.environ["LTS_PY_PATH"])

from localserver import LocalServer  # noqa: E402

CHILD = textwrap.dedent("""
    import json, os, signal, sys, threading, time
    from lts import LogItem, ClientConfig, LogClient, get_current_timestamp
    from asynchronous.producer import Producer
    from asynchronous.producer_config import ProducerConfig

    url, call = sys.argv[1], sys.argv[2]
    cfg = ClientConfig(url, "lts-local-ak", "lts-local-sk", "iproj")
    item = LogItem()
    item.set_log_timestamp(get_current_timestamp())
    item.set_origin_msg("interrupted " + call)
    fired = []

    def interrupt():
        fired.append(time.monotonic())
        os.kill(os.getpid(), signal.SIGINT)

    if call == "put_logs":
        client = LogClient(cfg)
        threading.Timer(0.3, interrupt).start()
        try:
            client.put_logs("iproj", "unit", [item])
            print("not interrupted", flush=True)
        except KeyboardInterrupt:
            print("interrupted after %.0f ms" % ((time.monotonic() - fired[0]) * 1000), flush=True)
        sys.exit(0)

    p = Producer(ProducerConfig(linger_ms=100))
    p.build_clients(cfg)
    p.start()
    p.send_logs("iproj", "unit", [item])
    threading.Timer(0.3, interrupt).start()
    try:
        if call == "safe_close":
            p.safe_close()
        else:
            p.close(600000)
        print("not interrupted", flush=True)
    except KeyboardInterrupt:
        print("interrupted after %.0f ms" % ((time.monotonic() - fired[0]) * 1000), flush=True)
    sys.stdin.readline()  # the parent lets the server answer again
    p.close(30000)  # a second close still works, and waits for the first one's end
    s = p.stats()
    print(json.dumps({k: s[k] for k in ("logs_accepted", "logs_sent", "logs_failed", "buffered_bytes")}), flush=True)
""")


class InterruptTest(unittest.TestCase):
    def setUp(self):
        self.server = LocalServer()

    def tearDown(self):
        self.server.stop()

    def child(self, call):
        env = dict(os.environ)
        if os.environ.get("LTS_PY_PATH"):
            env["PYTHONPATH"] = os.environ["LTS_PY_PATH"]
        self.server.post("/_lts/faults", {"stall": True})
        proc = subprocess.Popen([sys.executable, "-c", CHILD, self.server.url, call], env=env, text=True,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        first = proc.stdout.readline()
        self.server.post("/_lts/faults", {"stall": False})
        return proc, first

    def check_interrupted(self, first):
        self.assertTrue(first.startswith("interrupted after "), first)
        ms = int(first.split()[2])
        # The wait wakes every 50 ms for signals; the bound is loose for a loaded machine.
        self.assertLess(ms, 2000, first)
        return ms

    def test_safe_close_and_close_are_interruptible_and_can_be_closed_again(self):
        for call in ("safe_close", "close"):
            with self.subTest(call=call):
                proc, first = self.child(call)
                self.check_interrupted(first)
                out, err = proc.communicate("\n", timeout=60)
                self.assertEqual(proc.returncode, 0, err)
                stats = json.loads(out.strip().splitlines()[-1])
                self.assertEqual(stats, {"logs_accepted": 1, "logs_sent": 1, "logs_failed": 0, "buffered_bytes": 0})
        self.assertEqual(sorted(l["origin_msg"] for l in self.server.logs("iproj", "unit")),
                         ["interrupted close", "interrupted safe_close"])

    def test_put_logs_is_interruptible(self):
        proc, first = self.child("put_logs")
        self.check_interrupted(first)
        out, err = proc.communicate("", timeout=60)
        self.assertEqual(proc.returncode, 0, err)


if __name__ == "__main__":
    unittest.main()
