#!/usr/bin/env bash
# The Python wrapper beside a pure-Python implementation of the protocol (protobuf + lz4 +
# requests) into lts-local --sink. Installs the pure-Python side's packages in a virtualenv
# under target/ (needs PyPI), with the wrapper's wheel; builds lts-local in release.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q --release -p liblts -p lts-local
if [ ! -x target/pybench/bin/python ]; then
    python3 -m venv --system-site-packages target/pybench
fi
target/pybench/bin/pip install -q protobuf lz4 opentelemetry-proto requests
# The wrapper as users get it: the wheel, built and installed from the source tree.
target/pybench/bin/pip install -q --force-reinstall --no-deps ./bindings/python
LTS_LOCAL_BIN="$PWD/target/release/lts-local" target/pybench/bin/python bindings/python/bench/bench_vs_pure.py "$@"
