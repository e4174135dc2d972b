#!/usr/bin/env bash
# The Go rows of the benchmark suite (bindings/go/bench): Producer.Send with a fresh `wide`
# LogItem per log, the standard library alone (protobuf appended by hand, net/http), and the
# log package through LogWriter and to an os.File.
#   scripts/bench-go.sh build                              # the driver, against the release build
#   scripts/bench-go.sh SIDE ENDPOINT LOGS PER_SEND RATE   # one run: key=value lines
#   scripts/bench-go.sh [--logs N] [--runs N]              # these rows beside C, in the suite
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
build)
    make -s pkgconfig >/dev/null
    # cgo finds liblts through the release build's lts.pc (rpath included).
    cd bindings/go
    PKG_CONFIG_PATH="$OLDPWD/target/release/pkgconfig" GOCACHE="$OLDPWD/target/go-cache-bench" \
        go build -o "$OLDPWD/target/release/lts-go-bench" ./bench
    ;;
"" | --*) exec scripts/bench.sh --only go "$@" ;;
*) exec target/release/lts-go-bench "$@" ;;
esac
