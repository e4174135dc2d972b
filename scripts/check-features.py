#!/usr/bin/env python3
"""Checks that every build of the core compiles the same core: cargo enables a dependency's
features by the packages one command builds, so a package whose dependencies ask for more
features (lts-local's serde_json with preserve_order, jni's bytes with std, the bindings'
macros' syn) made its build compile the core again, and the next `cargo build --release` after
`pip install ./bindings/python` compile it once more. Cargo.toml declares those features on the
core itself; this compares, for the package selections the project's builds use, the features
of every crate the core is built from (its dependencies, build dependencies and macros).

    scripts/check-features.py        # prints "N passed, N failed" over the selections
"""
import re
import subprocess
import sys

# What each build asks cargo for: the README's and make's `cargo build --release`, pip's maturin,
# bindings/java/build.sh, bindings/node/build.sh, scripts/dist.sh.
SELECTIONS = {
    "cargo build --release, make": ["-p", "liblts", "-p", "lts-local"],
    "pip install ./bindings/python": ["-p", "lts-python"],
    "bindings/java/build.sh": ["-p", "lts-java"],
    "bindings/node/build.sh": ["-p", "lts-node", "-p", "lts-local"],
    "scripts/dist.sh": ["-p", "liblts", "-p", "lts-local", "-p", "lts-java", "-p", "lts-node"],
}
TARGET = ["--target", "x86_64-unknown-linux-gnu"]


def core_closure(selection):
    """`package|features` of the core and everything it is built from, as one cargo command
    resolves them for SELECTION (the core's subtrees in the full tree, without dedup)."""
    out = subprocess.run(["cargo", "tree", "-q", *selection, *TARGET, "-e", "normal,build",
                          "--prefix", "depth", "--no-dedupe", "-f", "{p}|{f}"],
                         capture_output=True, text=True, check=True).stdout
    closure, inside = set(), None
    for line in out.splitlines():
        found = re.match(r"(\d+)(.*)", line)
        if not found:
            continue
        level, entry = int(found.group(1)), found.group(2)
        if inside is not None and level <= inside:
            inside = None
        if inside is None and entry.startswith("liblts v"):
            inside = level
        if inside is not None:
            closure.add(entry)
    return closure


def main():
    reference = core_closure(["-p", "liblts"])
    failed = 0
    for build, selection in SELECTIONS.items():
        seen = core_closure(selection)
        differ = sorted(reference ^ seen)
        if differ:
            failed += 1
            print(f"FAIL: {build} builds the core from other features than cargo build -p liblts:")
            for line in differ:
                print(f"      {'only here' if line in seen else 'missing '}  {line}")
        else:
            print(f"ok: {build} builds the same core")
    print(f"{len(SELECTIONS) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
