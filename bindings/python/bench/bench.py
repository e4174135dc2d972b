"""One side of the benchmark suite's Python rows (scripts/bench-python.sh runs it;
scripts/bench.py reads its key=value lines):

    python bench.py SIDE ENDPOINT LOGS PER_SEND RATE

SIDE:
- liblts: what a user of the official page writes: a fresh LogItem per log,
  set_log_timestamp, set_origin_msg, one contents_push_back per field, send_logs of PER_SEND
  logs (a list);
- official: the official SDK's stack on the same logs: OTLP protobuf with protobuf's generated
  classes (the backend pip installs today, named in the output), a KeyValue made per field and
  the record's attributes extended with them, lz4, requests; batches of 4096, posted in turn;
- official-tight: the same stack used as tightly as it allows: one LogsData a batch, each
  attribute added in place (`attributes.add()`, then its key and value set), no temporaries;
- logging-lts / logging-file: logger.info of the log's message with 3 extra fields, through
  LtsHandler or logging.FileHandler (the extra fields in its format).

Every log's data are made in the loop from the program's own data (f-strings). RATE 0: a
burst; else RATE logs/s in bursts of 100. First a warm-up of its own, then the measured run:
from building the producer (or handler, or session) to its close, the process's CPU time
(every thread) per log, and the main thread's. Needs protobuf, lz4, opentelemetry-proto and
requests for the official sides (scripts/bench-python.sh installs them in a virtualenv).
"""
import base64
import hashlib
import hmac
import logging
import os
import sys
import tempfile
import time
import urllib.parse
import uuid

AK, SK = "lts-local-ak", "lts-local-sk"
UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36"


def msg(i):
    return f'GET /api/v1/orders/{i:08} HTTP/1.1 200 1532 0.012 "Mozilla/5.0 (X11; Linux x86_64)"'


class Liblts:
    """The official page's way, on the liblts package."""

    def __init__(self, url, per_send):
        from lts import ClientConfig, LogItem
        from asynchronous.producer import Producer
        from asynchronous.producer_config import ProducerConfig

        self.LogItem, self.per_send = LogItem, per_send
        self.p = Producer(ProducerConfig())
        self.p.build_clients(ClientConfig(url, AK, SK, "bench"))
        self.p.start()
        self.batch = []

    def log(self, i):
        item = self.LogItem()
        item.set_log_timestamp(time.time_ns())
        item.set_origin_msg(msg(i))
        item.contents_push_back("level", "info")
        item.contents_push_back("host", f"web-{i % 16:02}.prod.example")
        item.contents_push_back("method", "GET")
        item.contents_push_back("path", f"/api/v1/orders/{i:08}")
        item.contents_push_back("status", 200)
        item.contents_push_back("latency_ms", 12.5 + i % 7)
        item.contents_push_back("trace_id", f"{i * 2654435761 % (1 << 128):032x}")
        item.contents_push_back("user_agent", UA)
        item.labels_push_back("user_tag", "string")
        self.batch.append(item)
        if len(self.batch) == self.per_send:
            self.p.send_logs("bench", "unit", self.batch)
            self.batch = []

    def finish(self):
        if self.batch:
            self.p.send_logs("bench", "unit", self.batch)
        self.p.safe_close()
        return self.p.stats()["logs_sent"]


class Official:
    """The protocol on the official SDK's stack: an EOP-signed token, then batches of 4096
    logs as OTLP protobuf (generated classes), lz4-block compressed, posted with requests (one
    keep-alive session)."""

    def __init__(self, url, tight):
        import lz4.block
        import requests
        from opentelemetry.proto.common.v1 import common_pb2
        from opentelemetry.proto.logs.v1 import logs_pb2

        self.url, self.tight, self.logs_pb2, self.common_pb2 = url, tight, logs_pb2, common_pb2
        self.compress = lz4.block.compress
        self.session = requests.Session()
        body = b"{}"
        rid, date = str(uuid.uuid4()), time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        sts = f"ctyun-eop-request-id:{rid}\neop-date:{date}\n\n\n{hashlib.sha256(body).hexdigest()}"
        k = hmac.new(SK.encode(), date.encode(), hashlib.sha256).digest()
        k = hmac.new(k, AK.encode(), hashlib.sha256).digest()
        k = hmac.new(k, date[:8].encode(), hashlib.sha256).digest()
        sig = base64.b64encode(hmac.new(k, sts.encode(), hashlib.sha256).digest()).decode()
        r = self.session.post(url + "/v1/auth/token", data=body, headers={
            "Content-Type": "application/json", "ctyun-eop-request-id": rid, "Eop-date": date,
            "Eop-Authorization": f"{AK} Headers=ctyun-eop-request-id;eop-date Signature={sig}"})
        self.token = r.json()["returnObj"]["token"]
        self.sent = 0
        self._new_batch()

    def _new_batch(self):
        self.data = self.logs_pb2.LogsData()
        rl = self.data.resource_logs.add()
        kv = rl.resource.attributes.add()
        kv.key, kv.value.string_value = "user_tag", "string"
        self.scope = rl.scope_logs.add()
        self.scope.scope.name = "pure-python"
        self.records = self.scope.log_records
        self.count = 0

    def _kv(self, k, v):
        av = self.common_pb2.AnyValue()
        if isinstance(v, str):
            av.string_value = v
        elif isinstance(v, int):
            av.int_value = v
        else:
            av.double_value = v
        return self.common_pb2.KeyValue(key=k, value=av)

    def log(self, i):
        rec = self.records.add()
        rec.time_unix_nano = time.time_ns()
        rec.body.string_value = msg(i)
        if self.tight:
            attrs = rec.attributes
            for k, v in (("level", "info"), ("host", f"web-{i % 16:02}.prod.example"), ("method", "GET"),
                         ("path", f"/api/v1/orders/{i:08}"), ("trace_id", f"{i * 2654435761 % (1 << 128):032x}"),
                         ("user_agent", UA)):
                kv = attrs.add()
                kv.key = k
                kv.value.string_value = v
            kv = attrs.add()
            kv.key = "status"
            kv.value.int_value = 200
            kv = attrs.add()
            kv.key = "latency_ms"
            kv.value.double_value = 12.5 + i % 7
        else:
            contents = {"level": "info", "host": f"web-{i % 16:02}.prod.example", "method": "GET",
                        "path": f"/api/v1/orders/{i:08}", "status": 200, "latency_ms": 12.5 + i % 7,
                        "trace_id": f"{i * 2654435761 % (1 << 128):032x}", "user_agent": UA}
            rec.attributes.extend(self._kv(k, v) for k, v in contents.items())
        self.count += 1
        if self.count == 4096:
            self._post()

    def _post(self):
        if not self.count:
            return
        raw = self.data.SerializeToString()
        body = self.compress(raw, store_size=False)
        q = urllib.parse.urlencode({"logProject": "bench", "logUnit": "unit"})
        r = self.session.post(f"{self.url}/v1/lts/logs?{q}", data=body, headers={
            "Content-Type": "application/x-protobuf", "x-lts-token": self.token,
            "x-lts-compresstype": "lz4", "x-lts-bodyrawsize": str(len(raw)),
            "x-lts-batch-id": str(uuid.uuid4())})
        if r.json().get("statusCode") != 0:
            raise RuntimeError(r.text)
        self.sent += self.count
        self._new_batch()

    def finish(self):
        self._post()
        self.session.close()
        return self.sent


class Logging:
    """logger.info with 3 extra fields, through LtsHandler or logging.FileHandler."""

    def __init__(self, url, lts):
        self.lts = lts
        self.log_ = logging.getLogger(f"bench.{lts}.{time.perf_counter_ns()}")
        self.log_.propagate = False
        self.log_.setLevel(logging.INFO)
        if lts:
            from lts.handler import LtsHandler
            self.h = LtsHandler(url, AK, SK, "bench", "unit")
        else:
            self.dir = tempfile.TemporaryDirectory()
            self.h = logging.FileHandler(os.path.join(self.dir.name, "app.log"))
            self.h.setFormatter(logging.Formatter(
                "%(asctime)s %(levelname)s %(name)s %(module)s:%(lineno)d %(message)s "
                "order=%(order)s host=%(host)s latency_ms=%(latency_ms)s"))
        self.log_.addHandler(self.h)

    def log(self, i):
        self.log_.info(msg(i), extra={"order": i, "host": f"web-{i % 16:02}.prod.example", "latency_ms": 12.5 + i % 7})

    def finish(self):
        self.h.close()
        self.log_.removeHandler(self.h)
        if self.lts:
            if self.h.dropped:
                raise RuntimeError(f"{self.h.dropped} records dropped")
        else:
            self.dir.cleanup()
        return -1


SIDES = {
    "liblts": lambda url, per_send: Liblts(url, per_send),
    "official": lambda url, per_send: Official(url, False),
    "official-tight": lambda url, per_send: Official(url, True),
    "logging-lts": lambda url, per_send: Logging(url, True),
    "logging-file": lambda url, per_send: Logging(url, False),
}


def run(make, url, n, per_send, rate):
    """One run: (wall s, process CPU s, main-thread CPU s, logs reported sent)."""
    c0, m0, t0 = time.process_time(), time.thread_time(), time.perf_counter()
    side = make(url, per_send)
    log = side.log
    if rate:
        for i in range(n):
            if i % 100 == 0:
                ahead = t0 + i / rate - time.perf_counter()
                if ahead > 0:
                    time.sleep(ahead)
            log(i)
    else:
        for i in range(n):
            log(i)
    sent = side.finish()
    return time.perf_counter() - t0, time.process_time() - c0, time.thread_time() - m0, sent


def format_ns_per_log():
    """The program's own making of a log's data, alone (the C benchmark's format_ns_per_log)."""
    n, keep = 100_000, 0
    c0 = time.thread_time()
    for i in range(n):
        keep += len(msg(i)) + len(f"web-{i % 16:02}.prod.example") + len(f"/api/v1/orders/{i:08}") + len(
            f"{i * 2654435761 % (1 << 128):032x}")
    return (time.thread_time() - c0) / n * 1e9


def main():
    if len(sys.argv) != 6 or sys.argv[1] not in SIDES:
        sys.exit(f"usage: bench.py {'|'.join(SIDES)} ENDPOINT LOGS PER_SEND RATE")
    name, url = sys.argv[1], sys.argv[2]
    logs, per_send, rate = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
    make = SIDES[name]
    fmt = format_ns_per_log()
    warm = min(logs, 200_000)
    w = run(make, url, warm, per_send, 0)
    r = run(make, url, logs, per_send, rate)
    if r[3] != -1 and (w[3] != warm or r[3] != logs):
        sys.exit(f"{name}: {w[3]} + {r[3]} logs reported sent, not {warm} + {logs}")
    note = ""
    if name.startswith("official"):
        from google.protobuf.internal import api_implementation
        import google.protobuf
        note = f" [protobuf {google.protobuf.__version__}, {api_implementation.Type()} backend]"
    print(f"{name}, {per_send} per send{', paced' if rate else ''}: {logs / r[0]:,.0f} logs/s, "
          f"{r[1] / logs * 1e9:,.0f} ns CPU per log (main thread {r[2] / logs * 1e9:,.0f}){note}")
    print(f"logs={logs}\nsent_logs={0 if name == 'logging-file' else warm + logs}\nlogs_per_s={logs / r[0]:.0f}\n"
          f"cpu_ns_per_log={r[1] / logs * 1e9:.1f}\nmain_ns_per_log={r[2] / logs * 1e9:.1f}\n"
          f"format_ns_per_log={fmt:.1f}")


if __name__ == "__main__":
    main()
