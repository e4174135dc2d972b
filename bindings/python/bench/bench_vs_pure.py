"""Logs/s of the `wide` shape into `lts-local --sink`: the liblts Python wrapper's producer
beside a pure-Python implementation of the same protocol (OTLP protobuf + lz4 + requests,
as CTyun's official Python SDK is built), on the same logs and the same server.

    python3 bindings/python/bench/bench_vs_pure.py [--logs N]

Sides, each in its own process: the wrapper sending 1 log per call and 10 per call (the
official page's example sends lists of 10); the pure-Python peer with protobuf's C backend
(today's default) and with its pure-Python backend (what the page's pinned protobuf 3.5.2
gives where its C extension is not installed). Needs protobuf, lz4, opentelemetry-proto and
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
sys.path.insert(0, os.path.join(HERE, ".."))
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
    from lts import LogItem, ClientConfig
    from asynchronous.producer import Producer
    from asynchronous.producer_config import ProducerConfig

    producer = Producer(ProducerConfig())
    producer.build_clients(ClientConfig(url, AK, SK, "bench"))
    producer.start()
    t0 = time.perf_counter()
    batch = []
    for ts, msg, contents, labels in logs:
        item = LogItem()
        item.set_log_timestamp(ts)
        item.set_origin_msg(msg)
        item.set_contents(contents)
        item.set_labels(labels)
        batch.append(item)
        if len(batch) == per_call:
            producer.send_logs("bench", "unit", batch)
            batch = []
    if batch:
        producer.send_logs("bench", "unit", batch)
    producer.safe_close()
    return time.perf_counter() - t0


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
    t0 = time.perf_counter()
    p.send(logs)
    return time.perf_counter() - t0


SIDES = {
    "wrapper-1": ("liblts wrapper, 1 log per send", lambda url, logs: run_wrapper(url, logs, 1), {}),
    "wrapper-10": ("liblts wrapper, 10 logs per send", lambda url, logs: run_wrapper(url, logs, 10), {}),
    "pure-c": ("pure Python, protobuf C backend", run_pure, {}),
    "pure-py": ("pure Python, protobuf pure-Python backend", run_pure,
                {"PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION": "python"}),
}


def one_side(side, url, n):
    """Runs one side here and prints its logs/s."""
    now = time.time_ns()
    logs = [wide(i, now) for i in range(n)]
    fn = SIDES[side][1]
    fn(url, logs[: max(1, n // 10)])  # warm-up
    times = [fn(url, logs) for _ in range(3)]
    print(n / statistics.median(times))


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
        rates = {}
        for side, (label, _fn, env) in SIDES.items():
            before = server.get("/_lts/stats")["stored_logs"]
            out = subprocess.run([sys.executable, __file__, "--side", side, "--url", server.url, "--logs", str(args.logs)],
                                 env={**os.environ, **env}, check=True, capture_output=True, text=True)
            rates[side] = float(out.stdout.strip().splitlines()[-1])
            counted = server.get("/_lts/stats")["stored_logs"] - before
            expected = args.logs * 3 + max(1, args.logs // 10)
            assert counted == expected, f"{label}: server counted {counted}, expected {expected}"
            print(f"{label}: {rates[side]:,.0f} logs/s (median of 3 runs of {args.logs:,} logs)")
        for w in ("wrapper-1", "wrapper-10"):
            for p in ("pure-c", "pure-py"):
                print(f"ratio {SIDES[w][0]} / {SIDES[p][0]}: {rates[w] / rates[p]:.1f}x")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
