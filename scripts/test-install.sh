#!/usr/bin/env bash
# liblts installed into a scratch prefix and used the ways each ecosystem links it: C through
# pkg-config (shared and static), C and C++ through CMake's find_package (lts::lts and
# lts::lts_static), and Go from a module outside the repository (a replace directive, cgo's
# pkg-config). Every program is run against lts-local and must deliver its logs.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
lts_local=$repo/target/release/lts-local

fail() { echo "FAIL: $*" >&2; exit 1; }
delivered=0
# Runs a program inside `lts-local -- PROGRAM` and checks how many logs arrived.
deliver() {
    local expect=$1; shift
    local out
    out=$("$lts_local" -- "$@") || fail "$* against lts-local: $out"
    echo "$out" | tail -2
    echo "$out" | grep -q "; $expect logs arrived" || fail "$*: expected $expect logs: $out"
    delivered=$((delivered + 1))
}
needs_liblts_so() {
    readelf -d "$1" | grep -q 'NEEDED.*\[liblts\.so\.0\]' || fail "$1 does not load liblts.so.0"
}
static_only() {
    if readelf -d "$1" | grep -q 'NEEDED.*liblts'; then fail "$1 loads liblts dynamically"; fi
}

echo "--- make install PREFIX=$prefix"
cargo build -q --release
log=$(make install PREFIX="$prefix" 2>&1) || fail "make install: $log"
if echo "$log" | grep -q Compiling; then fail "make install rebuilt liblts after cargo build --release"; fi
so=$prefix/lib/liblts.so.0.1.0
[ -L "$prefix/lib/liblts.so.0" ] && [ -L "$prefix/lib/liblts.so" ] || fail "soname links missing"
if readelf -S "$so" | grep -q '\.debug_info'; then fail "installed liblts.so has debug info"; fi
readelf -p .gnu_debuglink "$so" | grep -q 'liblts.so.0.1.0.debug' || fail "no .gnu_debuglink"
readelf -S "$so.debug" | grep -q '\.debug_info' || fail "the .debug file holds no debug info"
if readelf -S "$prefix/lib/liblts.a" 2>/dev/null | grep -q '\.debug_info'; then
    fail "installed liblts.a has debug info"
fi
ls -l "$prefix/lib" | awk 'NR > 1 { print "    " $5 "\t" $9 $10 $11 }'
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig

echo "--- C, shared, pkg-config (no LD_LIBRARY_PATH: lts.pc carries the rpath)"
# shellcheck disable=SC2046
cc -std=c99 -Wall -Werror examples-c/records.c $(pkg-config --cflags --libs lts) -o "$work/records_shared"
needs_liblts_so "$work/records_shared"
env -u LD_LIBRARY_PATH ldd "$work/records_shared" | grep -q "liblts.so.0 => $prefix/lib/" ||
    fail "records_shared does not resolve liblts from the prefix"
deliver 100 "$work/records_shared"

echo "--- C, static, pkg-config lts-static"
# shellcheck disable=SC2046
cc -std=c99 -Wall -Werror examples-c/records.c $(pkg-config --cflags --libs lts-static) -o "$work/records_static"
static_only "$work/records_static"
deliver 100 "$work/records_static"

for mode in shared static; do
    echo "--- CMake find_package(lts CONFIG), C and C++, $mode"
    flag=OFF; [ "$mode" = static ] && flag=ON
    cmake -S tests/install -B "$work/cmake-$mode" -DCMAKE_PREFIX_PATH="$prefix" -DLTS_STATIC=$flag \
        -DCMAKE_BUILD_TYPE=Release >"$work/cmake-$mode.log" 2>&1 || { cat "$work/cmake-$mode.log"; fail "cmake configure ($mode)"; }
    cmake --build "$work/cmake-$mode" >>"$work/cmake-$mode.log" 2>&1 || { cat "$work/cmake-$mode.log"; fail "cmake build ($mode)"; }
    for prog in records_c producer_cpp; do
        if [ "$mode" = shared ]; then needs_liblts_so "$work/cmake-$mode/$prog"; else static_only "$work/cmake-$mode/$prog"; fi
    done
    deliver 100 "$work/cmake-$mode/records_c"
    deliver 20 "$work/cmake-$mode/producer_cpp"
done

echo "--- Go, a module outside the repository (replace directive, cgo pkg-config)"
cp -r tests/install/go "$work/my-go-app"
(
    cd "$work/my-go-app"
    go mod edit -require=github.com/ctyun-it/liblts/bindings/go@v0.1.0 \
        -replace=github.com/ctyun-it/liblts/bindings/go="$repo/bindings/go"
    # A cache of its own: Go 1.19 keys cgo packages without pkg-config's output, so a shared
    # cache that built this module against an earlier run's prefix would link against that.
    GOCACHE="$work/gocache" GOFLAGS=-mod=mod GOPROXY=off go build -o my-go-app .
) || fail "go build outside the repository"
needs_liblts_so "$work/my-go-app/my-go-app"
deliver 5 "$work/my-go-app/my-go-app"

echo "--- make uninstall leaves no file"
make -s uninstall PREFIX="$prefix"
left=$(find "$prefix" -type f -o -type l)
[ -z "$left" ] || fail "left after uninstall: $left"
echo "install and link: $delivered programs built, linked as intended and delivered their logs"
