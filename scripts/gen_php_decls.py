#!/usr/bin/env python3
"""Generates the PHP binding's inputs from include/lts.h, since FFI::cdef reads neither
#define nor #if: bindings/php/lts_ffi.h (the declarations, comments and preprocessor lines
removed; byte buffers declared `const char *`, which FFI fills from a PHP string without a
copy) and bindings/php/src/Constants.php (every #define as a class constant).

    python3 scripts/gen_php_decls.py            # write both
    python3 scripts/gen_php_decls.py --verify   # fail if either differs from the header
"""
import os
import re
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
HEADER = os.path.join(ROOT, "include", "lts.h")
DECLS = os.path.join(ROOT, "bindings", "php", "lts_ffi.h")
CONSTS = os.path.join(ROOT, "bindings", "php", "src", "Constants.php")


def generate():
    text = open(HEADER, encoding="utf-8").read()
    defines = re.findall(r"^#define (LTS_[A-Z0-9_]+) (.+)$", text, re.M)
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    lines = []
    skip_cpp = False
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("#ifdef __cplusplus"):
            skip_cpp = True
            continue
        if skip_cpp:
            if s.startswith("#endif"):
                skip_cpp = False
            continue
        if s.startswith("#") or not s:
            continue
        lines.append(line.rstrip())
    # A byte buffer is declared as char: FFI passes a PHP string to a char pointer as it is,
    # and refuses it for uint8_t (the ABI is the same).
    lines = [re.sub(r"\bconst uint8_t \*", "const char *", line) for line in lines]
    decls = "// Generated from include/lts.h by scripts/gen_php_decls.py. Do not edit.\n" + "\n".join(lines) + "\n"
    consts = ["<?php", "// Generated from include/lts.h by scripts/gen_php_decls.py. Do not edit.", "",
              "namespace Lts;", "", "final class Constants", "{"]
    for name, value in defines:
        consts.append(f"    public const {name} = {value.strip()};")
    consts += ["}", ""]
    return decls, "\n".join(consts)


def main():
    decls, consts = generate()
    if "--verify" in sys.argv:
        stale = [p for p, want in ((DECLS, decls), (CONSTS, consts))
                 if not os.path.exists(p) or open(p, encoding="utf-8").read() != want]
        if stale:
            sys.exit("stale (run scripts/gen_php_decls.py): " + ", ".join(os.path.relpath(p, ROOT) for p in stale))
        print("PHP declarations are up to date")
        return
    open(DECLS, "w", encoding="utf-8").write(decls)
    open(CONSTS, "w", encoding="utf-8").write(consts)
    print("wrote", os.path.relpath(DECLS, ROOT), "and", os.path.relpath(CONSTS, ROOT))


if __name__ == "__main__":
    main()
