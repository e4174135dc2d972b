#!/usr/bin/env bash
# Builds lts.node (the addon) from the workspace; `./build.sh test` then installs the test
# tools from package-lock.json (typescript, winston, and the benchmark's protobufjs and
# lz4js), checks index.d.ts with tsc, and runs the tests against lts-local (built too) with
# node's own test runner.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
cargo build --release -p lts-node -p lts-local
# Stripped like the other shipped libraries (its debug info stays in target/): 28 MB less for
# every install of the package.
strip --strip-unneeded -o "$here/lts.node" target/release/liblts_node.so
if [ "${1:-}" = test ]; then
    export LTS_LOCAL_BIN="$root/target/release/lts-local"
    cd "$here"
    npm ci --no-audit --no-fund --loglevel=error
    npx --no-install tsc --noEmit --strict --target es2022 --module commonjs test/types.ts
    node --test --test-concurrency=1 test/
fi
