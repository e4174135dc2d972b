#!/usr/bin/env bash
# The .NET row of the benchmark suite (bindings/dotnet/bench/Bench.cs, under mono):
# Producer.Send with a fresh `wide` LogItem per log.
#   scripts/bench-dotnet.sh build                                 # the driver (mcs)
#   scripts/bench-dotnet.sh producer ENDPOINT LOGS PER_SEND RATE  # one run: key=value lines
#   scripts/bench-dotnet.sh [--logs N] [--runs N]                 # this row beside C, in the suite
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
build)
    mcs -nologo -warnaserror -unsafe -optimize+ -out:target/release/lts-dotnet-bench.exe bindings/dotnet/Lts.cs \
        bindings/dotnet/bench/Bench.cs
    ;;
"" | --*) exec scripts/bench.sh --only dotnet "$@" ;;
*) LD_LIBRARY_PATH="$PWD/target/release" exec mono target/release/lts-dotnet-bench.exe "$@" ;;
esac
