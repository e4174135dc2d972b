#!/usr/bin/env bash
# Node.js into lts-local --sink: liblts's Producer (1 and 10 logs per send) beside the pure-JS
# way (protobufjs + lz4js + fetch), in a burst and paced (bindings/node/bench/bench.js). Each
# side in its own node process; the server must count every log each side sent.
#   scripts/bench-node.sh [--logs N] [--paced-rate R] [--paced-seconds S]
set -euo pipefail
cd "$(dirname "$0")/.."
bindings/node/build.sh >/dev/null
(cd bindings/node && npm ci --no-audit --no-fund --loglevel=error)
export LTS_LOCAL_BIN="$PWD/target/release/lts-local"
cd bindings/node
# liblts's own warnings (none are expected) would go to stderr; the figures go to stdout.
node bench/bench.js "$@"
