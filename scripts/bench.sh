#!/usr/bin/env bash
# The benchmark suite: builds liblts, lts-local and the C benchmark in release, then runs
# every benchmark (send cost from C, end to end over loopback, stalled-server RSS, the
# pipeline beside lz4 alone, every language binding and logging handler beside the C records
# path, their alternatives and their framework's file handlers) and prints one table (also
# written to target/bench-results.md). Options go to scripts/bench.py:
#   --runs N (3), --logs N (1,000,000), --rss-seconds S (20: how long the 1 GiB offer to a
#   stalled server lasts), --no-python (skip the Python side, which needs PyPI packages),
#   --no-bindings (only the C rows), --only LANG,... (only those bindings' rows, beside C).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q --release -p liblts -p lts-local
${CC:-cc} -std=c11 -Wall -Wextra -Werror -O2 -Iinclude benches/c/lts_bench.c \
    -Ltarget/release -Wl,-rpath,"$PWD/target/release" -llts -lpthread -o target/release/lts_bench
exec python3 scripts/bench.py "$@"
