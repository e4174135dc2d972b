#!/usr/bin/env bash
# Every file a release of liblts ships, built from this checkout into target/dist/:
#
#   scripts/dist.sh [TRIPLE] [--out DIR]
#
# TRIPLE is x86_64-unknown-linux-gnu (the default) or aarch64-unknown-linux-gnu; a machine needs
# Rust's standard library for it (rustup target add TRIPLE). For x86_64 the files are:
#
#   liblts-VERSION-linux-x86_64.tar.gz  lib/ (liblts.so.VERSION, .so.0, .so, liblts.a), include/
#                                       (lts.h, lts.hpp, lts_spdlog.hpp), bin/lts-local,
#                                       lib/pkgconfig/ and lib/cmake/lts/ that name their places
#                                       relative to themselves, examples/records.c, LICENSE,
#                                       README.md
#   ctyun_lts_liblts-VERSION.tar.gz     the Python sdist (the core inside: it builds anywhere)
#   ctyun_lts_liblts-VERSION-cp38-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl
#                                       built from that sdist, unpacked outside the checkout
#   lts-VERSION.jar, lts-log4j2-VERSION.jar, lts-logback-VERSION.jar
#                                       liblts_jni.so inside lts's; each jar beside its Maven
#                                       pom (packaging/maven/) and its sources jar
#                                       (NAME-VERSION.pom, NAME-VERSION-sources.jar)
#   liblts-VERSION.tgz                  the npm package, lts.node inside
#   CTyun.Lts.VERSION.nupkg             the NuGet package: lib/netstandard2.0/Lts.dll (mono's
#                                       mcs) and runtimes/linux-x64/native/liblts.so, its nuspec
#                                       made from bindings/dotnet/Lts.csproj (scripts/nupkg.py)
#   ctyun-lts-liblts-VERSION.zip        the composer package of bindings/php (composer archive:
#                                       what composer's artifact repository reads); liblts.so
#                                       comes from the tarball above
#
# Every ELF file in them asks for glibc 2.17 at most and needs only libraries manylinux2014
# allows: zig links them, and scripts/check-floor.py checks them at the end. The pinned tools
# are installed on first use outside the checkout (scripts/dist-tools.sh). Each artifact is
# made by one function below; a new one is a function and a line in the list at the end.
set -euo pipefail
caller=$PWD
cd "$(dirname "$0")/.."
repo=$PWD
. scripts/dist-tools.sh

triple=x86_64-unknown-linux-gnu
out=
while [ $# -gt 0 ]; do
    case $1 in
        --out) out=$(cd "$caller" && realpath -m "$2"); shift 2 ;;
        -h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
        -*) echo "scripts/dist.sh: unknown option $1 (--help says what it takes)" >&2; exit 2 ;;
        *) triple=$1; shift ;;
    esac
done
case $triple in
    x86_64-unknown-linux-gnu) arch=x86_64 rid=linux-x64 npm_cpu=x64 ;;
    aarch64-unknown-linux-gnu) arch=aarch64 rid=linux-arm64 npm_cpu=arm64 ;;
    *)
        echo "scripts/dist.sh: $triple is not packaged: the artifacts are for Linux with glibc," \
            "x86_64-unknown-linux-gnu or aarch64-unknown-linux-gnu" >&2
        exit 2 ;;
esac
if [ ! -d "$(rustc --print sysroot)/lib/rustlib/$triple/lib" ]; then
    echo "scripts/dist.sh: this machine has no Rust standard library for $triple" \
        "(rustup target add $triple)" >&2
    exit 2
fi
for tool in python3 npm node javac jar mcs composer readelf make; do
    command -v "$tool" >/dev/null || { echo "scripts/dist.sh: $tool is missing (scripts/prereqs.sh lists the packages)" >&2; exit 2; }
done

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
# Every package carries the core's version.
xml_version() {  # the <version> of a project file (a pom's own, not its dependencies')
    python3 -c 'import re, sys; print(re.search(r"<(?:V|v)ersion>([^<$]*)</", open(sys.argv[1]).read()).group(1))' "$1"
}
for said in "bindings/python/pyproject.toml:$(sed -n 's/^version = "\(.*\)"/\1/p' bindings/python/pyproject.toml)" \
    "bindings/node/package.json:$(node -p "require('./bindings/node/package.json').version")" \
    "bindings/php/composer.json:$(python3 -c 'import json; print(json.load(open("bindings/php/composer.json"))["version"])')" \
    "bindings/dotnet/Lts.csproj:$(xml_version bindings/dotnet/Lts.csproj)" \
    "packaging/maven/lts.pom:$(xml_version packaging/maven/lts.pom)" \
    "packaging/maven/lts-log4j2.pom:$(xml_version packaging/maven/lts-log4j2.pom)" \
    "packaging/maven/lts-logback.pom:$(xml_version packaging/maven/lts-logback.pom)"; do
    [ "${said#*:}" = "$version" ] || { echo "scripts/dist.sh: ${said%%:*} says version ${said#*:}, the core $version" >&2; exit 1; }
done

build=target/$triple/shipped  # cargo's output for the `shipped` profile (Cargo.toml)
work=target/dist-work/$triple # what is packed, laid out; not shipped
if [ -z "$out" ]; then
    out=$repo/target/dist
    rm -rf "$out"
elif [ -n "$(ls -A "$out" 2>/dev/null)" ]; then
    echo "scripts/dist.sh: $out is not empty (the artifacts go into an empty or new folder)" >&2
    exit 2
fi
rm -rf "$work"
mkdir -p "$out" "$work"

lts_dist_tools
lts_zig_env "$triple" "$repo/target/dist-work/zig-$triple"

native() {
    echo "--- liblts, lts-local and the Java and Node libraries for $triple, glibc $LTS_GLIBC_FLOOR"
    cargo build --profile shipped --target "$triple" -p liblts -p lts-local -p lts-java -p lts-node
}

c_tarball() {
    local name=liblts-$version-linux-$arch
    echo "--- $name.tar.gz"
    make -s install-built PROFILE=shipped BUILD="$build" PREFIX="$repo/$work/$name" RELOCATABLE=yes DEBUG_INFO=no
    install -D -m 755 "$build/lts-local" "$work/$name/bin/lts-local"
    install -m 644 LICENSE "$work/$name/LICENSE"
    install -D -m 644 examples-c/records.c "$work/$name/examples/records.c"
    sed "s|@NAME@|$name|g" packaging/README.c.md > "$work/$name/README.md"
    tar -C "$work" --owner=0 --group=0 --numeric-owner -czf "$out/$name.tar.gz" "$name"
}

python_packages() {
    echo "--- the Python sdist, and the wheel built from it outside the checkout"
    maturin sdist -m bindings/python/Cargo.toml --out "$out"
    local sdist=$out/ctyun_lts_liblts-$version.tar.gz unpacked
    unpacked=$(mktemp -d)
    tar -xzf "$sdist" -C "$unpacked"
    # The same target folder and compilers as the rest: cargo reuses what it compiled from the
    # same sources (it knows a path package by its place in its workspace), compiles the rest
    # from the sdist, and fails on any file the sdist lacks.
    (cd "$unpacked/ctyun_lts_liblts-$version" && CARGO_TARGET_DIR="$repo/target" \
        maturin build --profile shipped --target "$triple" --compatibility manylinux2014 --out "$out")
    rm -rf "$unpacked"
}

java_jars() {
    echo "--- lts, lts-log4j2 and lts-logback: jar (liblts_jni.so inside lts's), pom, sources jar"
    LTS_JNI_LIB="$build/liblts_jni.so" LTS_JNI_PLATFORM="linux-$arch" LTS_JAVA_OUT="$work/java" \
        bindings/java/build.sh
    local name sources
    for name in lts lts-log4j2 lts-logback; do
        case $name in lts) sources=bindings/java/src ;; *) sources=bindings/java/${name#lts-} ;; esac
        cp "$work/java/$name.jar" "$out/$name-$version.jar"
        cp "packaging/maven/$name.pom" "$out/$name-$version.pom"
        jar cf "$out/$name-$version-sources.jar" -C "$sources" .
    done
}

npm_package() {
    echo "--- liblts-$version.tgz (lts.node inside)"
    local stage=$work/npm file
    mkdir -p "$stage"
    # The files package.json lists, with the addon built here and the licence.
    for file in $(node -p "require('./bindings/node/package.json').files.join('\n')") package.json README.md; do
        [ "$file" = lts.node ] || cp "bindings/node/$file" "$stage/"
    done
    cp LICENSE "$stage/"
    cp "$build/liblts_node.so" "$stage/lts.node"
    (cd "$stage" && npm pkg set "cpu[0]=$npm_cpu" && npm pack --silent --pack-destination "$out" >/dev/null)
}

nuget_package() {
    echo "--- CTyun.Lts.$version.nupkg: Lts.dll and liblts.so in NuGet's layout"
    mcs -nologo -warnaserror -unsafe -optimize+ -target:library -out:"$work/Lts.dll" bindings/dotnet/Lts.cs
    python3 scripts/nupkg.py bindings/dotnet/Lts.csproj --out "$out" \
        "lib/netstandard2.0/Lts.dll=$work/Lts.dll" "runtimes/$rid/native/liblts.so=$build/liblts.so" \
        README.md=bindings/dotnet/README.md LICENSE=LICENSE >/dev/null
}

php_package() {
    echo "--- ctyun-lts-liblts-$version.zip: the composer package"
    local stage=$work/php
    mkdir -p "$stage"
    cp -r bindings/php/composer.json bindings/php/README.md bindings/php/lts_ffi.h bindings/php/src LICENSE "$stage/"
    (cd "$stage" && composer archive --quiet --format=zip --dir="$out" --file="ctyun-lts-liblts-$version")
}

native
c_tarball
python_packages
java_jars
npm_package
nuget_package
php_package

echo "--- the glibc floor of every ELF file"
python3 scripts/check-floor.py --machine "$arch" "$out"/*.tar.gz "$out"/*.tgz "$out"/*.whl "$out"/*.jar "$out"/*.nupkg
echo "--- $out"
(cd "$out" && du -b -- *) | awk '{ printf "  %10d  %s\n", $1, $2 }'
