"""Logs/s and CPU per log of the `wide` shape into `lts-local --sink`: the liblts Python
package's producer, each log a fresh LogItem filled the official page's way (one
contents_push_back per field), beside the official SDK's stack (OTLP protobuf + lz4 +
requests, batches of 4096), on the same logs and the same server; and LtsHandler beside
logging.FileHandler.

    python3 bindings/python/bench/bench_vs_pure.py [--logs N]

Sides, each in its own process: the package sending 1 log per call and 10 per call (the
official page's example sends lists of 10); the official stack with the protobuf backend pip
installs by default today (named in the output) and with protobuf's pure-Python backend (what
the page's pinned protobuf 3.5.2 gives where its C extension is not installed); LtsHandler and
FileHandler on `logger.info(msg, extra={3 fields})`. Needs protobuf, lz4, opentelemetry-proto and
requests (scripts/bench-python.sh installs them in a virtualenv). Each side: one warm-up run,
then the median of 3; all start from the same Python data (timestamp, message, contents,
labels) and each run ends when every log was accepted.
"""
import argparse
import base64
import hashlib
import hmac
import json
import os
import statistics
import sys
import time
import urllib.parse
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
# The wrapper is the package installed in this interpreter's environment (the wheel).
sys.path.insert(0, os.path.join(HERE, "..", "tests"))

from localserver import LocalServer  # noqa: E402

AK, SK = "lts-local-ak", "lts-local-sk"


def wide(i, now_ns):
    trace = (i * 2654435761) % (1 << 128)
    return (
        now_ns,
        f'GET /api/v1/orders/{i:08} HTTP/1.1 200 1532 0.012 "Mozilla/5.0 (X11; Linux x86_64)"',
        {
            "level": "info",
            "host": f"web-{i % 16:02}.prod.example",
            "method": "GET",
            "path": f"/api/v1/orders/{i:08}",
            "status": 200,
            "latency_ms": 12.5 + (i % 7),
            "trace_id": f"{trace:032x}",
            "user_agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36",
        },
        {"user_tag": "string"},
    )


def run_wrapper(url, logs, per_call=1):
    """The official page's way: a fresh LogItem per log, one contents_push_back per field."""
    from lts import LogItem, ClientConfig
    from asynchronous.producer import Producer
    from asynchronous.producer_config import ProducerConfig

    producer = Producer(ProducerConfig())
    producer.build_clients(ClientConfig(url, AK, SK, "bench"))
    producer.start()
    t0, c0 = time.perf_counter(), time.process_time()
    batch = []
    for ts, msg, contents, labels in logs:
        item = LogItem()
        item.set_log_timestamp(ts)
        item.set_origin_msg(msg)
        for k, v in contents.items():
            item.contents_push_back(k, v)
        for k, v in labels.items():
            item.labels_push_back(k, v)
        batch.append(item)
        if len(batch) == per_call:
            producer.send_logs("bench", "unit", batch)
            batch = []
    if batch:
        producer.send_logs("bench", "unit", batch)
    producer.safe_close()
    return time.perf_counter() - t0, time.process_time() - c0


def _records(logs):
    return [(msg, {"order": i, "host": c["host"], "latency_ms": c["latency_ms"]})
            for i, (_ts, msg, c, _l) in enumerate(logs)]


def run_handler(url, logs):
    """logger.info with 3 extra fields through LtsHandler, until close has sent them."""
    import logging
    from lts.handler import LtsHandler

    records = _records(logs)
    log = logging.getLogger(f"bench.handler.{len(logs)}.{time.perf_counter_ns()}")
    log.propagate = False
    log.setLevel(logging.INFO)
    h = LtsHandler(url, AK, SK, "bench", "unit")
    log.addHandler(h)
    t0, c0 = time.perf_counter(), time.process_time()
    for msg, extra in records:
        log.info(msg, extra=extra)
    h.close()
    log.removeHandler(h)
    return time.perf_counter() - t0, time.process_time() - c0


def run_file_handler(url, logs):
    """The same records through logging.FileHandler, the extra fields in its format."""
    import logging
    import tempfile

    records = _records(logs)
    log = logging.getLogger(f"bench.file.{len(logs)}.{time.perf_counter_ns()}")
    log.propagate = False
    log.setLevel(logging.INFO)
    with tempfile.TemporaryDirectory() as d:
        h = logging.FileHandler(os.path.join(d, "app.log"))
        h.setFormatter(logging.Formatter(
            "%(asctime)s %(levelname)s %(name)s %(module)s:%(lineno)d %(message)s "
            "order=%(order)s host=%(host)s latency_ms=%(latency_ms)s"))
        log.addHandler(h)
        t0, c0 = time.perf_counter(), time.process_time()
        for msg, extra in records:
            log.info(msg, extra=extra)
        h.close()
        elapsed = time.perf_counter() - t0, time.process_time() - c0
        log.removeHandler(h)
    return elapsed


class PurePython:
    """The protocol in Python: EOP-signed token call, then batches of OTLP protobuf,
    lz4-block compressed, posted with requests (one keep-alive session)."""

    def __init__(self, url):
        import requests
        from opentelemetry.proto.logs.v1 import logs_pb2
        from opentelemetry.proto.common.v1 import common_pb2

        self.url, self.logs_pb2, self.common_pb2 = url, logs_pb2, common_pb2
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

    def _kv(self, k, v):
        av = self.common_pb2.AnyValue()
        if isinstance(v, str):
            av.string_value = v
        elif isinstance(v, int):
            av.int_value = v
        else:
            av.double_value = v
        return self.common_pb2.KeyValue(key=k, value=av)

    def send(self, logs, batch_count=4096):
        import lz4.block

        for start in range(0, len(logs), batch_count):
            data = self.logs_pb2.LogsData()
            rl = data.resource_logs.add()
            rl.resource.attributes.extend(self._kv(k, v) for k, v in logs[start][3].items())
            sl = rl.scope_logs.add()
            sl.scope.name = "pure-python"
            for ts, msg, contents, _labels in logs[start:start + batch_count]:
                rec = sl.log_records.add()
                rec.time_unix_nano = ts
                rec.body.string_value = msg
                rec.attributes.extend(self._kv(k, v) for k, v in contents.items())
            raw = data.SerializeToString()
            body = lz4.block.compress(raw, store_size=False)
            q = urllib.parse.urlencode({"logProject": "bench", "logUnit": "unit"})
            r = self.session.post(f"{self.url}/v1/lts/logs?{q}", data=body, headers={
                "Content-Type": "application/x-protobuf", "x-lts-token": self.token,
                "x-lts-compresstype": "lz4", "x-lts-bodyrawsize": str(len(raw)),
                "x-lts-batch-id": str(uuid.uuid4())})
            if r.json().get("statusCode") != 0:
                raise RuntimeError(r.text)


def run_pure(url, logs):
    p = PurePython(url)
    t0, c0 = time.perf_counter(), time.process_time()
    p.send(logs)
    return time.perf_counter() - t0, time.process_time() - c0


def protobuf_backend():
    from google.protobuf.internal import api_implementation
    import google.protobuf
    return f"protobuf {google.protobuf.__version__}, {api_implementation.Type()} backend"


SIDES = {
    "wrapper-1": ("liblts, 1 log per send_logs", lambda url, logs: run_wrapper(url, logs, 1), {}),
    "wrapper-10": ("liblts, 10 logs per send_logs", lambda url, logs: run_wrapper(url, logs, 10), {}),
    "pure-c": ("official stack (requests + lz4 + protobuf, default backend)", run_pure, {}),
    "pure-py": ("official stack, protobuf pure-Python backend (the page's pin)", run_pure,
                {"PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION": "python"}),
    "handler": ("LtsHandler, logger.info with 3 extra fields", run_handler, {}),
    "file": ("logging.FileHandler, the same records", run_file_handler, {}),
}


def one_side(side, url, n):
    """Runs one side here and prints its logs/s and CPU ns per log (all threads), medians."""
    now = time.time_ns()
    logs = [wide(i, now) for i in range(n)]
    fn = SIDES[side][1]
    fn(url, logs[: max(1, n // 10)])  # warm-up
    runs = [fn(url, logs) for _ in range(3)]
    wall = statistics.median(r[0] for r in runs)
    cpu = statistics.median(r[1] for r in runs)
    extra = protobuf_backend() if side.startswith("pure") else ""
    print(f"{n / wall} {cpu / n * 1e9} {extra}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--logs", type=int, default=100_000)
    ap.add_argument("--side", choices=SIDES)
    ap.add_argument("--url")
    args = ap.parse_args()
    if args.side:
        return one_side(args.side, args.url, args.logs)
    import subprocess

    server = LocalServer("--sink", "--no-quotas")
    try:
        rates, cpus = {}, {}
        for side, (label, _fn, env) in SIDES.items():
            before = server.get("/_lts/stats")["stored_logs"]
            out = subprocess.run([sys.executable, __file__, "--side", side, "--url", server.url, "--logs", str(args.logs)],
                                 env={**os.environ, **env}, check=True, capture_output=True, text=True)
            rate, cpu, *backend = out.stdout.strip().splitlines()[-1].split(" ", 2)
            rates[side], cpus[side] = float(rate), float(cpu)
            counted = server.get("/_lts/stats")["stored_logs"] - before
            expected = 0 if side == "file" else args.logs * 3 + max(1, args.logs // 10)
            assert counted == expected, f"{label}: server counted {counted}, expected {expected}"
            note = f" [{backend[0]}]" if backend and backend[0] else ""
            print(f"{label}: {rates[side]:,.0f} logs/s, {cpus[side]:,.0f} ns CPU per log "
                  f"(median of 3 runs of {args.logs:,} logs){note}")
        for w in ("wrapper-1", "wrapper-10"):
            for p in ("pure-c", "pure-py"):
                print(f"ratio {SIDES[w][0]} / {SIDES[p][0]}: {rates[w] / rates[p]:.1f}x logs/s, "
                      f"{cpus[p] / cpus[w]:.1f}x less CPU per log")
        print(f"ratio LtsHandler / FileHandler: {rates['handler'] / rates['file']:.2f}x records/s, "
              f"CPU per record {cpus['handler'] / cpus['file']:.2f}x")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
