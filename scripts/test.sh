#!/usr/bin/env bash
# Every test, stage by stage: formatting, lints, the committed header and CONFIGURATION.md
# against fresh generations, the Rust unit and integration tests (C programs under valgrind and
# sanitizers among them), loom, each language binding against lts-local, installing and
# linking the library every supported way, sends racing close, a soak, the benchmark suite at
# smoke size, the release artifacts (scripts/dist.sh) on glibc 2.17's floor, taken by each
# ecosystem's own tool (Maven, composer, NuGet, go get), in a Debian 11 root and on every
# CPython from 3.8, and every command of README.md as written.
#
# It first checks that the machine has everything (the list is scripts/prereqs.sh) and, if not,
# says in one message what to install. Every stage runs even when an earlier one failed; the
# last line is "N passed, N failed" over the stages, with each stage's own count above it.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
export LTS_REQUIRE_VALGRIND=${LTS_REQUIRE_VALGRIND:-1}
# The journal's full-disk test mounts a tmpfs, which needs root: as root (CI) it must run,
# elsewhere it says it cannot and passes without running.
if [ "$(id -u)" = 0 ]; then export LTS_REQUIRE_TMPFS=${LTS_REQUIRE_TMPFS:-1}; fi

. scripts/prereqs.sh
missing=$(lts_missing_packages)
components=$(command -v cargo >/dev/null && lts_missing_components || echo "cargo")
if [ -n "$missing" ] || [ -n "$components" ]; then
    {
        echo "scripts/test.sh cannot start: this machine lacks what some stages need."
        [ -n "$missing" ] && echo "  Debian packages: $missing
  install them:    sudo apt-get install -y $missing"
        for pkg in "${LTS_BACKPORTS[@]}"; do
            case " $missing " in *" $pkg "*) echo "  ($pkg is in bookworm-backports: add that suite to apt's sources first)" ;; esac
        done
        [ -n "$components" ] && echo "  Rust: $components
  install:         rustup component add $components   (cargo itself: https://rustup.rs)"
        echo "  (bash .ci/run, as root on Debian, installs the packages and then runs this script.)"
    } >&2
    exit 2
fi

mkdir -p target/test-logs
names=() results=() counts=() times=()

# How many tests a stage's output reports, by the formats of the tools that ran in it.
count_tests() {
    python3 - "$1" <<'PY'
import re, sys
text = open(sys.argv[1], errors="replace").read()
# A stage's own summary line wins: the README check's output also holds its blocks' test runs.
for own in (r"^README: (\d+) blocks ran", r"^install and link: (\d+) programs",
            r"^close race: (\d+) iterations"):
    found = re.findall(own, text, re.M)
    if found:
        print(f"{sum(map(int, found))} checks")
        sys.exit()
n = sum(int(m) for m in re.findall(r"test result: \w+\. (\d+) passed", text))
n += sum(int(m) for m in re.findall(r"^Ran (\d+) tests?", text, re.M))
n += len(re.findall(r"^\s*--- PASS: ", text, re.M))
n += sum(int(m) for m in re.findall(r"^(\d+) passed, \d+ failed$", text, re.M))
n += sum(int(m) for m in re.findall(r"^\[\s+(\d+) tests successful\s+\]", text, re.M))
n += sum(int(m) for m in re.findall(r"^# pass (\d+)$", text, re.M))
print(f"{n} checks" if n else "-")
PY
}

# stage NAME FUNCTION: runs it with errexit in a subshell, logs it, and records the result.
stage() {
    local name=$1 fn=$2 log rc start
    log=target/test-logs/$(printf '%02d' $((${#names[@]} + 1)))-$fn.log
    echo "==> $name"
    start=$SECONDS
    set +e
    ( set -euo pipefail; "$fn" ) 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    set -e
    names+=("$name")
    times+=("$((SECONDS - start)) s")
    counts+=("$(count_tests "$log")")
    if [ "$rc" -eq 0 ]; then results+=(passed); else
        results+=(FAILED)
        echo "==> FAILED: $name (exit $rc; output in $log)"
    fi
}

fmt() { cargo fmt --all -- --check; }
clippy() { cargo clippy --workspace --all-targets -- -D warnings; }
header() { cargo run -q -p xtask -- gen-header --verify; }
configuration() { cargo run -q -p xtask -- gen-config --verify; }
rust_tests() { cargo test --workspace; }
loom() {
    # Release: debug builds overflow the model checker's small coroutine stacks.
    RUSTFLAGS="--cfg loom" cargo test --release --lib --target-dir target/loom producer::loom_tests
}
debug_build() {
    cargo build -q -p liblts -p lts-local
    make -s pkgconfig PROFILE=debug
}
python_wheel() {
    # pip's build of the core is the same one as every other build's (no compiling it again).
    python3 scripts/check-features.py
    debug_build
    # The wheel as a user installs it: pip builds it from the source tree (maturin, the core
    # compiled in), into a fresh virtualenv; the tests run on it with no LTS_* variable but
    # lts-local's location (the debug build just made).
    rm -rf target/py-venv
    python3 -m venv target/py-venv
    target/py-venv/bin/pip install -q --disable-pip-version-check ./bindings/python
    env -u LTS_LIBRARY_PATH -u LTS_PY_PATH LTS_LOCAL_BIN="$repo/target/debug/lts-local" \
        target/py-venv/bin/python -m unittest discover -s bindings/python/tests -v
}
go_binding() {
    debug_build
    cd bindings/go
    test -z "$(gofmt -l .)" || { echo "gofmt: $(gofmt -l .)"; return 1; }
    # cgo finds liblts through pkg-config (lts.pc of the debug build, rpath included).
    export PKG_CONFIG_PATH="$repo/target/debug/pkgconfig" LTS_LOCAL_BIN="$repo/target/debug/lts-local"
    # Debian 12's Go 1.19 (no log/slog: slog.go is left out) and Go 1.23 (bookworm-backports),
    # each with a build cache of its own: Go 1.19 keys cgo packages without pkg-config's output.
    local go
    for go in go /usr/lib/go-1.23/bin/go; do
        echo "--- $("$go" version)"
        export GOCACHE="$repo/target/go-cache-$("$go" env GOVERSION)"
        "$go" vet ./...
        "$go" test -count=1 -v ./...
    done
}
dotnet_binding() {
    debug_build
    mcs -nologo -warnaserror -unsafe -out:target/dotnet-tests.exe bindings/dotnet/Lts.cs bindings/dotnet/Tests.cs bindings/dotnet/Packing.cs \
        bindings/dotnet/Operability.cs
    LD_LIBRARY_PATH="$repo/target/debug" LTS_LOCAL_BIN="$repo/target/debug/lts-local" mono target/dotnet-tests.exe
    LD_LIBRARY_PATH=/nonexistent mono target/dotnet-tests.exe --without-liblts
}
java_binding() {
    cargo build -q --release -p lts-local
    LTS_LOCAL_BIN="$repo/target/release/lts-local" bindings/java/build.sh test
}
node_binding() {
    bindings/node/build.sh test
}
php_binding() {
    debug_build
    python3 scripts/gen_php_decls.py --verify
    LTS_LIBRARY_PATH="$repo/target/debug/liblts.so" LTS_LOCAL_BIN="$repo/target/debug/lts-local" \
        php bindings/php/tests/run.php
}
install_and_link() { ./scripts/test-install.sh; }
close_race() {
    cargo build -q --release --example close_race
    local cpus
    for cpus in 0 0,1; do
        taskset -c "$cpus" target/release/examples/close_race --iterations 300 --seconds 40
        # The same with a journal: what a close leaves there is delivered by the next life.
        taskset -c "$cpus" target/release/examples/close_race --iterations 300 --seconds 20 --journal
    done
}
soak() { cargo run -q --release --example soak -- --secs 25; }
bench_smoke() {
    ./scripts/bench.sh --runs 1 --logs 20000 --rss-seconds 0 --no-python --out target/bench-smoke.md
}
release() {
    ./scripts/dist.sh
    ./scripts/test-release.sh artifacts
}
packages() { ./scripts/test-release.sh packages; }
debian11() { ./scripts/test-release.sh debian11; }
wheel_pythons() { ./scripts/test-release.sh pythons; }
readme() { python3 scripts/readme-check.py; }

stage "cargo fmt --check" fmt
stage "cargo clippy -D warnings" clippy
stage "include/lts.h is what cbindgen generates" header
stage "CONFIGURATION.md is what the option table generates" configuration
stage "cargo test (Rust, lts-local, C and C++ under valgrind and sanitizers)" rust_tests
stage "loom model checks of the producer's concurrency protocols" loom
stage "Python: the wheel pip builds from bindings/python, in a fresh virtualenv" python_wheel
stage "Go binding (cgo, pkg-config), its log writer and slog handler, on Go 1.19 and 1.23" go_binding
stage ".NET binding (mono)" dotnet_binding
stage "PHP binding (FFI, poll mode) and its Monolog handler" php_binding
stage "Java binding (JNI, liblts_jni.so inside lts.jar)" java_binding
stage "Node.js binding (napi-rs) and its winston transport; index.d.ts checked by tsc" node_binding
stage "make install; C, C++ and Go programs link it (pkg-config, CMake, a module outside the repo)" install_and_link
stage "close racing sends: every accepted send gets exactly one result (1 CPU, then 2; memory only, then with a journal)" close_race
stage "soak: 25 s of the producer with faults switching on and off" soak
stage "benchmark suite at smoke size (every benchmark builds, runs, and checks delivery)" bench_smoke
stage "scripts/dist.sh: every release artifact, each ELF file for glibc 2.17 (manylinux2014)" release
stage "each ecosystem's tool takes its package: Maven, composer, NuGet, go get through a module proxy" packages
stage "the release artifacts in a Debian 11 root: C (pkg-config, CMake), Python, Java, Node 16" debian11
stage "the wheel on every CPython 3.8-3.13 here; 3.6 and 3.7 refused by Requires-Python" wheel_pythons
stage "every command block of README.md, as written" readme

passed=0 failed=0
echo
echo "==> summary"
for i in "${!names[@]}"; do
    printf '  %-6s  %-12s %6s  %s\n' "${results[$i]}" "${counts[$i]}" "${times[$i]}" "${names[$i]}"
    if [ "${results[$i]}" = passed ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
