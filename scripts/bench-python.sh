#!/usr/bin/env bash
# The Python rows of the benchmark suite (bindings/python/bench/bench.py): the package (its
# wheel, built by pip) sending a fresh LogItem per log the official page's way, the official
# SDK's stack on the same logs (protobuf, lz4, requests, from PyPI) as it is used and as tightly
# as it allows, and LtsHandler beside logging.FileHandler.
#   scripts/bench-python.sh build                              # the virtualenv under target/
#   scripts/bench-python.sh SIDE ENDPOINT LOGS PER_SEND RATE   # one run: key=value lines
#   scripts/bench-python.sh [--logs N] [--runs N]              # these rows beside C, in the suite
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
build)
    if [ ! -x target/pybench/bin/python ]; then
        python3 -m venv --system-site-packages target/pybench
    fi
    target/pybench/bin/pip install -q --disable-pip-version-check protobuf lz4 opentelemetry-proto requests
    # The package as users get it: the wheel, built and installed from the source tree.
    target/pybench/bin/pip install -q --disable-pip-version-check --force-reinstall --no-deps ./bindings/python
    ;;
"" | --*) exec scripts/bench.sh --only python "$@" ;;
*) exec target/pybench/bin/python bindings/python/bench/bench.py "$@" ;;
esac
