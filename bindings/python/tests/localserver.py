"""Starts and stops an lts-local process for the tests (LTS_LOCAL_BIN, or the repository's
release build, or its debug build)."""
import json
import os
import subprocess
import tempfile
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


class LocalServer:
    def __init__(self, *args):
        binary = os.environ.get("LTS_LOCAL_BIN") or next(
            (b for b in (os.path.join(ROOT, "target", p, "lts-local") for p in ("release", "debug"))
             if os.path.exists(b)), "lts-local")
        self.dir = tempfile.mkdtemp()
        port_file = os.path.join(self.dir, "port")
        self.proc = subprocess.Popen(
            [binary, "--listen", "127.0.0.1:0", "--port-file", port_file, "--memory", *args],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 30
        while not (os.path.exists(port_file) and os.path.getsize(port_file) > 0):
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("lts-local did not start: " + self.proc.stderr.read().decode())
            time.sleep(0.01)
        with open(port_file) as f:
            self.url = f"http://127.0.0.1:{f.read().strip()}"

    def get(self, path):
        with urllib.request.urlopen(self.url + path, timeout=10) as r:
            return json.load(r)

    def post(self, path, body):
        req = urllib.request.Request(self.url + path, data=json.dumps(body).encode(), method="POST")
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.load(r)

    def logs(self, project=None, unit=None):
        q = "&".join(f"{k}={v}" for k, v in (("project", project), ("unit", unit)) if v)
        return self.get("/_lts/logs?" + q)["logs"]

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.proc.stderr.close()
