#!/usr/bin/env bash
# The spdlog row of the benchmark suite (benches/cpp/spdlog_bench.cpp): the C++ sink
# (include/lts_spdlog.hpp) beside spdlog's basic_file_sink_mt on the same records.
#   scripts/bench-cpp.sh build                                   # the driver (c++, Debian's spdlog)
#   scripts/bench-cpp.sh spdlog-lts|spdlog-file ENDPOINT LOGS 1 RATE  # one run: key=value lines
#   scripts/bench-cpp.sh [--logs N] [--runs N]                   # this row, in the suite
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
build)
    ${CXX:-c++} -std=c++17 -O2 -Wall -Wextra -Werror -Iinclude benches/cpp/spdlog_bench.cpp \
        -Ltarget/release -Wl,-rpath,"$PWD/target/release" -llts -lspdlog -lfmt -lpthread -o target/release/spdlog_bench
    ;;
"" | --*) exec scripts/bench.sh --only cpp "$@" ;;
*) exec target/release/spdlog_bench "$@" ;;
esac
