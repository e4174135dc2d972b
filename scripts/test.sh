#!/usr/bin/env bash
# Every test: formatting, lints, the committed header against a fresh generation, the Rust
# unit and integration tests against lts-local, and the C tests under valgrind.
set -euo pipefail
cd "$(dirname "$0")/.."
export LTS_REQUIRE_VALGRIND=${LTS_REQUIRE_VALGRIND:-1}

echo "==> cargo fmt --check"
cargo fmt --all -- --check

echo "==> cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings

echo "==> include/lts.h is what cbindgen generates"
cargo run -q -p xtask -- gen-header --verify

echo "==> CONFIGURATION.md is what the option table generates"
cargo run -q -p xtask -- gen-config --verify

echo "==> cargo test (Rust, lts-local, and C programs under valgrind)"
cargo test --workspace

echo "==> loom model checks of the producer's concurrency protocols"
# Release: debug builds overflow the model checker's small coroutine stacks.
RUSTFLAGS="--cfg loom" cargo test --release --lib --target-dir target/loom producer::loom_tests

echo "==> Python wrapper against lts-local"
cargo build -q -p liblts -p lts-local
ln -sf liblts.so target/debug/liblts.so.0
LTS_LIBRARY_PATH="$PWD/target/debug/liblts.so" python3 -m unittest discover -s bindings/python/tests -v

echo "==> Python wrapper installed with pip, liblts.so next to the package"
rm -rf target/py-install target/py-src
# Build from a copy: setuptools writes build/ and *.egg-info next to the sources.
cp -r bindings/python target/py-src
PIP_ROOT_USER_ACTION=ignore python3 -m pip install -q --disable-pip-version-check --no-deps --target target/py-install target/py-src
cp target/debug/liblts.so target/py-install/lts/liblts.so
env -u LTS_LIBRARY_PATH LTS_PY_PATH="$PWD/target/py-install" python3 -m unittest discover -s bindings/python/tests -v

echo "==> Go binding (cgo) against lts-local"
command -v go >/dev/null || { echo "go is not installed (apt-get install golang-go)"; exit 1; }
(cd bindings/go && test -z "$(gofmt -l .)" || { echo "gofmt: $(gofmt -l .)"; exit 1; })
(cd bindings/go && CGO_CFLAGS="-I$OLDPWD/include" \
    CGO_LDFLAGS="-L$OLDPWD/target/debug -Wl,-rpath,$OLDPWD/target/debug" \
    LTS_LOCAL_BIN="$OLDPWD/target/debug/lts-local" go vet ./... && \
    CGO_CFLAGS="-I$OLDPWD/include" CGO_LDFLAGS="-L$OLDPWD/target/debug -Wl,-rpath,$OLDPWD/target/debug" \
    LTS_LOCAL_BIN="$OLDPWD/target/debug/lts-local" go test -count=1 -v ./...)

echo "==> .NET binding (mono) against lts-local"
command -v mcs >/dev/null && command -v mono >/dev/null || { echo "mono is not installed (apt-get install mono-mcs mono-runtime)"; exit 1; }
mcs -nologo -warnaserror -out:target/dotnet-tests.exe bindings/dotnet/Lts.cs bindings/dotnet/Tests.cs bindings/dotnet/Operability.cs
LD_LIBRARY_PATH="$PWD/target/debug" LTS_LOCAL_BIN="$PWD/target/debug/lts-local" mono target/dotnet-tests.exe

echo "==> PHP binding (FFI, poll mode) against lts-local"
command -v php >/dev/null || { echo "php is not installed (apt-get install php-cli)"; exit 1; }
python3 scripts/gen_php_decls.py --verify
LTS_LIBRARY_PATH="$PWD/target/debug/liblts.so" LTS_LOCAL_BIN="$PWD/target/debug/lts-local" php bindings/php/tests/run.php

echo "==> close racing sends: every accepted send gets exactly one result (1 CPU, then 2)"
cargo build -q --release --example close_race
for cpus in 0 0,1; do
    taskset -c "$cpus" target/release/examples/close_race --iterations 300 --seconds 40
done

echo "==> soak: 25 s of the producer with faults switching on and off"
cargo run -q --release --example soak -- --secs 25

echo "==> benchmark suite at smoke size (every benchmark builds, runs, and checks delivery)"
./scripts/bench.sh --runs 1 --logs 20000 --rss-seconds 0 --no-python --out target/bench-smoke.md
