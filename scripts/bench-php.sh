#!/usr/bin/env bash
# The PHP rows of the benchmark suite (bindings/php/bench/bench.php): the producer with a fresh
# `wide` LogItem per log, and Monolog through the Lts handler and through its StreamHandler.
#   scripts/bench-php.sh build                              # nothing to build (the release liblts)
#   scripts/bench-php.sh SIDE ENDPOINT LOGS PER_SEND RATE   # one run: key=value lines
#   scripts/bench-php.sh [--logs N] [--runs N]              # these rows beside C, in the suite
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
build) test -f target/release/liblts.so ;;
"" | --*) exec scripts/bench.sh --only php "$@" ;;
*) LTS_LIBRARY_PATH="$PWD/target/release/liblts.so" exec php bindings/php/bench/bench.php "$@" ;;
esac
