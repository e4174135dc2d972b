#!/usr/bin/env bash
# Java into lts-local --sink: the producer, Log4j2 through the Lts appender, and Log4j2's own
# FileAppender on the same records (bindings/java/bench/Bench.java). Each side in its own JVM
# against its own server, which must count every log the side sent.
#   scripts/bench-java.sh [--logs N]
set -euo pipefail
cd "$(dirname "$0")/.."
logs=200000
[ "${1:-}" = --logs ] && logs=$2
cargo build -q --release -p lts-local
bindings/java/build.sh >/dev/null
j=/usr/share/java
cp="target/java/lts.jar:target/java/lts-log4j2.jar:$j/log4j-api.jar:$j/log4j-core.jar:target/java/bench"
mkdir -p target/java/bench
javac -proc:none -d target/java/bench -cp "$cp" bindings/java/bench/Bench.java
for side in producer log4j2-lts log4j2-file; do
    out=$(target/release/lts-local --sink --no-quotas -- java -cp "$cp" Bench "$side" "$logs")
    echo "$out" | grep "^$side:"
    [ "$side" = log4j2-file ] && want=0 || want=$((logs * 3 + logs / 10))
    echo "$out" | grep -q "; $want logs arrived" || { echo "$side: the server did not count $want logs: $out"; exit 1; }
done
