#!/usr/bin/env python3
"""Runs every ```sh block of README.md exactly as written, so the README stays true.

Each block runs in `bash -euo pipefail` from the repository's root (where the README says its
commands run), with HOME pointing at a scratch folder, so `make install PREFIX=$HOME/.local` and
`cd "$(mktemp -d)"` touch nothing of the machine's. TMPDIR is unset, as in many a reader's shell
(a block that uses it fails here: `-u`), and `mktemp` is a wrapper first on PATH that makes its
files and folders in the scratch folder, so they go with it. Afterwards the checkout must have
no new untracked or changed files: a README command that litters the repository fails here.

A block may be preceded by one marker comment:
  <!-- readme: skip: REASON -->          not run (say why)
  <!-- readme: run-by SCRIPT -->         not run here because SCRIPT (scripts/test.sh, or a script
                                         it runs) runs each of its lines verbatim (checked: every
                                         line must appear there, once the version the README
                                         names, Cargo.toml's, is read as the script's $version)
  <!-- readme: without TEXT: REASON -->  lines starting with TEXT are left out
  <!-- readme: server -->                each line starts a server: it must print "listening on"
                                         and still be running then; it is stopped afterwards
  <!-- readme: with-server -->           runs while `target/release/lts-local --memory` serves on
                                         the default address, as a reader would have it running
  <!-- readme: file PATH -->             (before a block of any language) the block is PATH's
                                         whole text, so an example shown in full cannot drift
Prints "README: N blocks ran, M not run" and exits 1 if any block failed.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
MARKER = re.compile(r"^<!--\s*readme:\s*(.*?)\s*-->$")
TIMEOUT_S = 1200


def blocks(text, lang="sh"):
    """(line number, marker or None, body) of each ```LANG block (every block for None)."""
    lines = text.split("\n")
    i, out = 0, []
    while i < len(lines):
        fence = lines[i].strip()
        if fence.startswith("```") and len(fence) > 3 and (lang is None or fence == "```" + lang):
            start = i + 1
            j = start
            while j < len(lines) and lines[j].strip() != "```":
                j += 1
            k = i - 1
            while k >= 0 and not lines[k].strip():
                k -= 1
            m = MARKER.match(lines[k].strip()) if k >= 0 else None
            out.append((start, m.group(1) if m else None, "\n".join(lines[start:j])))
            i = j
        i += 1
    return out


def environment(scratch):
    env = dict(os.environ)
    home = os.path.join(scratch, "home")
    os.makedirs(home)
    # The Rust toolchain stays the machine's: it is not what the README installs. Go's build
    # cache starts empty, as a new user's does (Go 1.19 keys cgo packages without pkg-config's
    # output, so a cache that saw another prefix would link against it).
    real_home = os.path.expanduser("~")
    env.setdefault("CARGO_HOME", os.path.join(real_home, ".cargo"))
    env.setdefault("RUSTUP_HOME", os.path.join(real_home, ".rustup"))
    for var in ("GOCACHE", "GOMODCACHE", "GOPATH", "GOFLAGS"):
        env.pop(var, None)
    env["HOME"] = home
    env.pop("TMPDIR", None)
    tmp = os.path.join(scratch, "tmp")
    shims = os.path.join(scratch, "bin")
    os.makedirs(tmp)
    os.makedirs(shims)
    # A later -p/--tmpdir of the caller's own still wins over this one.
    wrapper = os.path.join(shims, "mktemp")
    with open(wrapper, "w") as f:
        f.write(f'#!/bin/sh\nexec {shutil.which("mktemp")} --tmpdir="{tmp}" "$@"\n')
    os.chmod(wrapper, 0o755)
    env["PATH"] = shims + os.pathsep + env["PATH"]
    for var in ("PKG_CONFIG_PATH", "LTS_LIBRARY_PATH", "LTS_LOCAL_BIN", "LD_LIBRARY_PATH",
                "LTS_ENDPOINT", "XDG_DATA_HOME"):
        env.pop(var, None)
    return env


def run(body, env):
    return subprocess.run(["bash", "-euo", "pipefail", "-c", body], cwd=ROOT, env=env,
                          timeout=TIMEOUT_S).returncode


def start_server(command, env):
    """Starts a server command; returns (process, output so far) once it says it listens."""
    proc = subprocess.Popen(["bash", "-euo", "pipefail", "-c", "exec " + command], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    said = []
    deadline = time.time() + TIMEOUT_S
    for line in proc.stdout:
        said.append(line)
        sys.stdout.write("    " + line)
        if "listening on" in line or time.time() > deadline:
            break
    if proc.poll() is not None or not any("listening on" in s for s in said):
        stop(proc)
        return None
    return proc


def stop(proc):
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    proc.wait()


def git_state():
    return subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=ROOT,
                          capture_output=True, text=True, check=True).stdout


def main():
    readme = open(os.path.join(ROOT, "README.md")).read()
    version = re.search(r'^version = "(.*)"', open(os.path.join(ROOT, "Cargo.toml")).read(), re.M).group(1)
    before = git_state()
    scratch = tempfile.mkdtemp(prefix="readme-check-")
    env = environment(scratch)
    ran = skipped = 0
    failures = []
    for line, marker, body in blocks(readme, None):
        if marker and marker.startswith("file "):
            path = marker[len("file "):].strip()
            with open(os.path.join(ROOT, path)) as f:
                if f.read().rstrip("\n") != body.rstrip("\n"):
                    failures.append(f"README.md:{line}: the block is not {path} as it is")
                else:
                    print(f"--- README.md:{line}: the block is {path}, whole")
    try:
        for line, marker, body in blocks(readme):
            first = next((l for l in body.split("\n") if l.strip()), "")
            print(f"--- README.md:{line}: {first}", flush=True)
            marker = marker or ""
            if marker.startswith("skip:"):
                print(f"    not run: {marker[5:].strip()}")
                skipped += 1
                continue
            if marker.startswith("run-by "):
                script = marker[len("run-by "):].strip()
                with open(os.path.join(ROOT, script)) as f:
                    text = f.read()
                missing = [l for l in body.split("\n")
                           if l.strip() and l.strip().replace(version, "$version") not in text]
                if missing:
                    failures.append(f"README.md:{line}: not in {script}: {missing}")
                print(f"    run by {script}, verbatim")
                skipped += 1
                continue
            if marker.startswith("without "):
                text, _, reason = marker[len("without "):].partition(":")
                body = "\n".join(l for l in body.split("\n") if not l.startswith(text.strip()))
                print(f"    leaving out {text.strip()!r}: {reason.strip()}")
            ran += 1
            if marker == "server":
                for command in (l for l in body.split("\n") if l.strip()):
                    proc = start_server(command, env)
                    if proc is None:
                        failures.append(f"README.md:{line}: {command!r} did not start listening")
                    else:
                        stop(proc)
                continue
            server = None
            if marker == "with-server":
                server = start_server(os.path.join(ROOT, "target/release/lts-local") + " --memory", env)
                if server is None:
                    failures.append(f"README.md:{line}: the server for this block did not start")
                    continue
            try:
                rc = run(body, env)
            except subprocess.TimeoutExpired:
                rc = "timeout"
            finally:
                if server is not None:
                    stop(server)
            if rc != 0:
                failures.append(f"README.md:{line}: {first!r} failed (exit {rc})")
        after = git_state()
        if after != before:
            new = sorted(set(after.splitlines()) - set(before.splitlines()))
            failures.append(f"README commands changed the checkout: {new}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    for f in failures:
        print("FAILED: " + f)
    print(f"README: {ran} blocks ran, {skipped} not run")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
