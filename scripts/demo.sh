#!/usr/bin/env bash
# The main job end to end: build liblts and lts-local, start lts-local on a free loopback
# port, send logs with the C example (examples-c/put_logs.c), and show what arrived.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> building liblts and lts-local (release)"
cargo build --release -p liblts -p lts-local

echo "==> building the C example"
make -s -C examples-c LIBDIR=../target/release

work=$(mktemp -d)
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

echo "==> starting lts-local"
target/release/lts-local --listen 127.0.0.1:0 --port-file "$work/port" --data "$work/data.jsonl" \
    >"$work/server.log" 2>&1 &
server_pid=$!
# Wait for the port file the server writes once it is listening (bounded: 10 s).
for _ in $(seq 100); do
    [ -s "$work/port" ] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log"; exit 1; }
    sleep 0.1
done
[ -s "$work/port" ] || { echo "lts-local did not start"; cat "$work/server.log"; exit 1; }
cat "$work/server.log"
endpoint="http://127.0.0.1:$(cat "$work/port")"

echo "==> sending logs from examples-c/put_logs (3 requests of 10 logs)"
LTS_ENDPOINT="$endpoint" LTS_SEND_TIMES=3 examples-c/put_logs

echo "==> sending logs asynchronously from examples-c/producer (5 sends of 10 logs)"
LTS_ENDPOINT="$endpoint" LTS_UNIT=demo-producer-unit LTS_SEND_TIMES=5 examples-c/producer

echo "==> what lts-local received"
python3 scripts/http_get.py "$endpoint/_lts/stats"
echo "--- the first stored log:"
python3 - "$endpoint" <<'PY'
import json, sys, urllib.request
logs = json.load(urllib.request.urlopen(sys.argv[1] + "/_lts/logs?project=demo-project&unit=demo-unit"))
print(json.dumps(logs["logs"][0], indent=2, ensure_ascii=False))
print(f"{logs['count']} logs stored for demo-project/demo-unit")
async_logs = json.load(urllib.request.urlopen(sys.argv[1] + "/_lts/logs?project=demo-project&unit=demo-producer-unit"))
print(f"{async_logs['count']} logs stored for demo-project/demo-producer-unit (by the producer)")
PY
