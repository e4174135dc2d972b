#!/usr/bin/env bash
# Builds the Java binding: liblts_jni.so (cargo, release) inside lts.jar under
# native/linux-x86_64/, the classes compiled for Java 8 with the JDK's javac, and lts-local
# (target/release/, which the README's example and the tests run against); then, with `test`,
# compiles the tests and runs them with JUnit 5's console launcher (Debian's junit5) against
# lts-local. Everything else goes to target/java/.
#
#   bindings/java/build.sh          # target/java/lts.jar
#   bindings/java/build.sh test     # and the tests
#
# scripts/dist.sh packs a library it built instead: LTS_JNI_LIB names that liblts_jni.so (put
# in as it is), LTS_JNI_PLATFORM its folder in the jar (default linux-x86_64), LTS_JAVA_OUT the
# output folder (default target/java).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${LTS_JAVA_OUT:-target/java}
platform=${LTS_JNI_PLATFORM:-linux-x86_64}
java_dir=/usr/share/java

if [ -z "${LTS_JNI_LIB:-}" ]; then cargo build -q --release -p lts-java -p lts-local; fi
rm -rf "$out/classes" "$out/test-classes"
mkdir -p "$out/classes/native/$platform" "$out/classes/META-INF" "$out/test-classes"
# shellcheck disable=SC2046
javac -Xlint:all -Werror --release 8 -d "$out/classes" $(find bindings/java/src -name '*.java' | sort) 2>&1 \
    | grep -v "bootstrap class path not set" || true
test -f "$out/classes/cn/ctyun/lts/Producer.class" || { echo "javac failed"; exit 1; }
if [ -n "${LTS_JNI_LIB:-}" ]; then
    cp "$LTS_JNI_LIB" "$out/classes/native/$platform/liblts_jni.so"
else
    strip --strip-unneeded -o "$out/classes/native/$platform/liblts_jni.so" target/release/liblts_jni.so
fi
cp bindings/java/README.md "$out/classes/META-INF/README.md"
jar cf "$out/lts.jar" -C "$out/classes" .
echo "built $out/lts.jar ($(du -k "$out/lts.jar" | cut -f1) KiB)"

# The appenders, each a jar of its own beside lts.jar (their frameworks are the user's).
log4j=$java_dir/log4j-api.jar:$java_dir/log4j-core.jar
logback=$java_dir/logback-classic.jar:$java_dir/logback-core.jar:$java_dir/slf4j-api.jar
rm -rf "$out/log4j2-classes" "$out/logback-classes"
mkdir -p "$out/log4j2-classes/META-INF" "$out/logback-classes/META-INF"
cp bindings/java/README.md "$out/log4j2-classes/META-INF/README.md"
cp bindings/java/README.md "$out/logback-classes/META-INF/README.md"
# log4j-core's annotation processor writes the plugin index (Log4j2Plugins.dat) into the jar.
# shellcheck disable=SC2046
javac --release 8 -Xlint:all,-processing,-options -d "$out/log4j2-classes" -cp "$out/lts.jar:$log4j" \
    $(find bindings/java/log4j2 -name '*.java' | sort)
jar cf "$out/lts-log4j2.jar" -C "$out/log4j2-classes" .
# shellcheck disable=SC2046
javac --release 8 -proc:none -Xlint:all,-options -Werror -d "$out/logback-classes" -cp "$out/lts.jar:$logback" \
    $(find bindings/java/logback -name '*.java' | sort)
jar cf "$out/lts-logback.jar" -C "$out/logback-classes" .
echo "built $out/lts-log4j2.jar, $out/lts-logback.jar"

if [ "${1:-}" = test ]; then
    junit=$java_dir/junit-platform-console-standalone.jar
    api=$java_dir/junit-jupiter-api.jar:$java_dir/apiguardian-api.jar:$java_dir/opentest4j.jar
    jars=$out/lts.jar:$out/lts-log4j2.jar:$out/lts-logback.jar:$log4j:$logback
    # shellcheck disable=SC2046
    javac -proc:none -Xlint:all -Werror -d "$out/test-classes" -cp "$jars:$api" $(find bindings/java/test -name '*.java' | sort)
    LTS_LOCAL_BIN=${LTS_LOCAL_BIN:-$PWD/target/release/lts-local} \
        java "-Dlts.test.classpath=$jars:$out/test-classes" -jar "$junit" --disable-banner --disable-ansi-colors --details=tree --fail-if-no-tests \
        -cp "$jars:$out/test-classes" --scan-classpath "$out/test-classes"
fi
