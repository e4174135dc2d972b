#!/usr/bin/env bash
# The Java rows of the benchmark suite (bindings/java/bench/Bench.java): the producer with a
# fresh `wide` LogItem per log, and Log4j2 and Logback each through the Lts appender and
# through their own file appender on the same records.
#   scripts/bench-java.sh build                              # the jars and the driver
#   scripts/bench-java.sh SIDE ENDPOINT LOGS PER_SEND RATE   # one run: key=value lines
#   scripts/bench-java.sh [--logs N] [--runs N]              # these rows beside C, in the suite
set -euo pipefail
cd "$(dirname "$0")/.."
j=/usr/share/java
cp="target/java/lts.jar:target/java/lts-log4j2.jar:target/java/lts-logback.jar:$j/log4j-api.jar:$j/log4j-core.jar"
cp="$cp:$j/logback-classic.jar:$j/logback-core.jar:$j/slf4j-api.jar:target/java/bench"
case "${1:-}" in
build)
    bindings/java/build.sh >/dev/null
    mkdir -p target/java/bench
    javac -proc:none -Xlint:all -Werror -d target/java/bench -cp "$cp" bindings/java/bench/Bench.java
    ;;
"" | --*) exec scripts/bench.sh --only java "$@" ;;
*) exec java -cp "$cp" Bench "$@" ;;
esac
