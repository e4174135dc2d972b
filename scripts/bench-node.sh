#!/usr/bin/env bash
# The Node rows of the benchmark suite (bindings/node/bench/bench.js): Producer.sendLogs and
# Producer.send with a fresh `wide` object per log, the pure-JS way (protobufjs + lz4js +
# fetch), and winston through LtsTransport and through its File transport.
#   scripts/bench-node.sh build                              # the addon and npm's packages
#   scripts/bench-node.sh SIDE ENDPOINT LOGS PER_SEND RATE   # one run: key=value lines
#   scripts/bench-node.sh [--logs N] [--runs N]              # these rows beside C, in the suite
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
build)
    bindings/node/build.sh >/dev/null
    # The benchmark's packages (protobufjs, lz4js, winston) from package-lock.json.
    (cd bindings/node && npm ci --no-audit --no-fund --loglevel=error)
    ;;
"" | --*) exec scripts/bench.sh --only node "$@" ;;
*) cd bindings/node && exec node bench/bench.js "$@" ;;
esac
