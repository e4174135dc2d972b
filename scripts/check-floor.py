#!/usr/bin/env python3
"""Checks that every ELF file a release ships loads on manylinux2014 (CentOS 7, glibc 2.17).

    scripts/check-floor.py [--machine x86_64|aarch64] PATH...

Each PATH is an artifact (.tar.gz/.tgz, .whl/.jar/.zip), a folder or a file; every ELF file inside is
read with readelf (which reads any architecture). A file fails when it is not for the machine,
asks a library for a symbol version above manylinux2014's (GLIBC_2.17, GLIBCXX_3.4.19,
CXXABI_1.3.7, GCC_4.8.0), or needs a library outside manylinux2014's list. Prints one line per
ELF file (its highest GLIBC version and the libraries it needs) and exits 1 on any failure.
"""
import argparse
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile

# PEP 599 (manylinux2014): the libraries a wheel may take from the system, and the highest
# symbol version of each versioned library's family.
ALLOWED_LIBS = {
    "libgcc_s.so.1", "libstdc++.so.6", "libm.so.6", "libdl.so.2", "librt.so.1", "libc.so.6",
    "libnsl.so.1", "libutil.so.1", "libpthread.so.0", "libresolv.so.2", "libX11.so.6",
    "libXext.so.6", "libXrender.so.1", "libICE.so.6", "libSM.so.6", "libGL.so.1",
    "libgobject-2.0.so.0", "libgthread-2.0.so.0", "libglib-2.0.so.0",
}
LOADERS = {"x86_64": "ld-linux-x86-64.so.2", "aarch64": "ld-linux-aarch64.so.1"}
MAX_VERSIONS = {"GLIBC": (2, 17), "GLIBCXX": (3, 4, 19), "CXXABI": (1, 3, 7), "GCC": (4, 8, 0)}
READELF_MACHINES = {"x86_64": "Advanced Micro Devices X86-64", "aarch64": "AArch64"}


def members(path):
    """(name, bytes) of every file in an artifact or folder."""
    if os.path.isdir(path):
        for top, _, files in os.walk(path):
            for f in files:
                full = os.path.join(top, f)
                if os.path.isfile(full) and not os.path.islink(full):
                    with open(full, "rb") as fh:
                        yield os.path.relpath(full, os.path.dirname(path.rstrip("/"))), fh.read()
    elif path.endswith((".tar.gz", ".tgz")):
        with tarfile.open(path) as t:
            for m in t.getmembers():
                if m.isfile():
                    yield f"{os.path.basename(path)}:{m.name}", t.extractfile(m).read()
    elif path.endswith((".whl", ".jar", ".zip", ".nupkg")):
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                if not name.endswith("/"):
                    yield f"{os.path.basename(path)}:{name}", z.read(name)
    else:
        with open(path, "rb") as fh:
            yield path, fh.read()


def version_tuple(text):
    return tuple(int(p) for p in text.split("."))


def check(data, machine):
    """(highest GLIBC version, needed libraries, problems) of one ELF file."""
    with tempfile.NamedTemporaryFile() as f:
        f.write(data)
        f.flush()
        out = subprocess.run(["readelf", "-h", "-d", "-V", "-W", f.name], capture_output=True,
                             text=True, check=True).stdout
    problems = []
    found = re.search(r"Machine:\s+(.*)", out)
    if not found or found.group(1).strip() != READELF_MACHINES[machine]:
        problems.append(f"built for {found.group(1).strip() if found else '?'}, not {machine}")
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(.*?)\]", out)
    for lib in needed:
        if lib not in ALLOWED_LIBS and lib != LOADERS[machine]:
            problems.append(f"needs {lib}, which manylinux2014 does not allow")
    highest = {}
    for family, ver in re.findall(r"Name: ([A-Z]+)_([0-9.]+)\s+Flags", out):
        if family in MAX_VERSIONS:
            highest[family] = max(highest.get(family, (0,)), version_tuple(ver))
    for family, v in sorted(highest.items()):
        if v > MAX_VERSIONS[family]:
            show = lambda t: f"{family}_{'.'.join(map(str, t))}"
            problems.append(f"asks for {show(v)} (manylinux2014: {show(MAX_VERSIONS[family])} at most)")
    glibc = ".".join(map(str, highest["GLIBC"])) if "GLIBC" in highest else "-"
    return glibc, needed, problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--machine", default="x86_64", choices=sorted(LOADERS))
    ap.add_argument("paths", nargs="+")
    args = ap.parse_args()
    count = failed = 0
    for path in args.paths:
        if not os.path.exists(path):
            print(f"FAIL {path}: no such file")
            failed += 1
            continue
        for name, data in members(path):
            if not data.startswith(b"\x7fELF"):
                continue
            count += 1
            glibc, needed, problems = check(data, args.machine)
            state = "FAIL" if problems else "ok  "
            print(f"{state} GLIBC_{glibc:<5} {name}  needs {' '.join(needed) or 'nothing'}")
            for p in problems:
                print(f"       {p}")
            failed += bool(problems)
    if count == 0:
        print("FAIL: no ELF file in " + " ".join(args.paths))
        return 1
    print(f"every ELF file for glibc 2.17 and manylinux2014's libraries, {args.machine}:")
    print(f"{count - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
