# The pinned tools of scripts/dist.sh and of the tests' older-userland stage, installed on first
# use into a cache outside the checkout, so a fresh machine makes them and later runs reuse them.
# Sourced; `lts_dist_tools` installs what is missing and puts the tools on PATH.
#
#   ziglang         zig as the C compiler and linker: it links against a glibc 2.17 stub, so
#                   every ELF built asks for GLIBC_2.17 at most (manylinux2014)
#   cargo-zigbuild  cargo build with zig as the linker, for the target's glibc ("<triple>.2.17")
#   maturin         the Python wheel (its own zig driver, the same glibc) and the sdist
#
# All three are the registries' prebuilt wheels from PyPI: one pip install of about 15 s, where
# building cargo-zigbuild from crates.io would take minutes on a fresh machine.
LTS_ZIG_VERSION=0.17.1
LTS_CARGO_ZIGBUILD_VERSION=0.24.1
LTS_MATURIN_VERSION=1.16.0
LTS_GLIBC_FLOOR=2.17
LTS_CACHE=${LTS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/liblts}

lts_dist_tools() {
    local dir=$LTS_CACHE/tools-zig$LTS_ZIG_VERSION-zigbuild$LTS_CARGO_ZIGBUILD_VERSION-maturin$LTS_MATURIN_VERSION
    if [ ! -x "$dir/bin/cargo-zigbuild" ]; then
        echo "--- installing ziglang $LTS_ZIG_VERSION, cargo-zigbuild $LTS_CARGO_ZIGBUILD_VERSION and maturin $LTS_MATURIN_VERSION into $dir"
        rm -rf "$dir.partial"
        mkdir -p "$LTS_CACHE"
        python3 -m pip install -q --disable-pip-version-check --no-warn-script-location --only-binary=:all: \
            --target "$dir.partial" "ziglang==$LTS_ZIG_VERSION" \
            "cargo-zigbuild==$LTS_CARGO_ZIGBUILD_VERSION" "maturin==$LTS_MATURIN_VERSION"
        # Renamed only when complete: an interrupted install is never taken for a finished one.
        mv "$dir.partial" "$dir"
    fi
    PATH=$dir/bin:$dir/ziglang:$PATH
    # cargo-zigbuild's linker wrappers live beside the tools, not in the user's ~/.cache.
    export CARGO_ZIGBUILD_CACHE_DIR=$dir/zigbuild-cache
}

# lts_zig_env TRIPLE DIR: C compiler and linker for TRIPLE that link against glibc
# $LTS_GLIBC_FLOOR, as wrappers in DIR, exported the way cargo and the cc crate read them. One
# environment for every cargo and maturin run of scripts/dist.sh, so each compiled dependency is
# shared by them all (cargo fingerprints a build by its linker, among other things).
lts_zig_env() {
    local triple=$1 dir=$2 zig_target tool env_triple
    zig_target="${triple%%-*}-linux-gnu.$LTS_GLIBC_FLOOR"
    mkdir -p "$dir"
    for tool in cc c++; do
        # cargo-zigbuild's own wrapper around zig cc: it adapts rustc's link lines for zig.
        printf '#!/bin/sh\nexec cargo-zigbuild zig %s -- -fno-sanitize=all -target %s "$@"\n' \
            "$tool" "$zig_target" > "$dir/$tool"
        chmod 755 "$dir/$tool"
    done
    env_triple=${triple//-/_}
    export "CC_$env_triple=$dir/cc" "CXX_$env_triple=$dir/c++"
    export "CARGO_TARGET_${env_triple^^}_LINKER=$dir/cc"
}
