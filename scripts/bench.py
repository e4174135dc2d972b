"""The benchmark suite's runner (scripts/bench.sh builds, then runs this). Prints one table.

Every side gets the same logs (the project's bench shapes), a warm-up run that is thrown
away, then the median of --runs runs; each run is a fresh process and checks that every log
arrived. lts-local runs in its own process (started and stopped here) on loopback.

    python3 scripts/bench.py [--runs 3] [--logs 1000000] [--rss-seconds 20] [--no-python]
                             [--peer "CMD ARGS"] [--out FILE] [--no-bindings | --only LANG,...]
                             [--binding-logs 200000] [--paced-seconds 3]

The leading rows are what a caller pays: a fresh log made from the program's own data on every
call (records, packed, items), paced and in a burst, one and two threads, and the client's CPU
per log end to end. Sends of prebuilt items (building the log left out) are secondary rows.

--peer runs another producer beside liblts in the same run, for the ratios: a command that,
given `LOGS [timing] [rate=N]` appended, sends LOGS logs of the `wide` shape made fresh per call
from one thread and prints the same key=value lines as `lts_bench send` (median_ns, p99_ns,
p999_ns, cpu_ns_per_log, format_ns_per_log, lib_cpu_ns_per_log, logs_per_s). The project cannot
ship such a driver for another vendor's SDK; BENCHMARKS.md says how the one in its figures was
made.
"""
import argparse
import json
import os
import statistics
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import bench_bindings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REL = os.path.join(ROOT, "target", "release")
BENCH = os.path.join(REL, "lts_bench")
PACED = 500_000  # logs/s offered in the send-cost runs: a load the pipeline keeps up with


class Server:
    """lts-local in its own process on a free loopback port."""

    def __init__(self, *flags):
        self.dir = tempfile.mkdtemp(prefix="lts-bench-")
        port_file = os.path.join(self.dir, "port")
        self.log = open(os.path.join(self.dir, "server.log"), "w")
        self.proc = subprocess.Popen(
            [os.path.join(REL, "lts-local"), "--listen", "127.0.0.1:0", "--port-file", port_file,
             "--no-quotas", "--project", "bench=unit", *flags],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while not (os.path.exists(port_file) and open(port_file).read().strip()):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                said = open(self.log.name).read()
                self.stop()
                raise RuntimeError("lts-local did not start: " + said)
            time.sleep(0.02)
        self.url = "http://127.0.0.1:" + open(port_file).read().strip()

    def control(self, method, path, body=None):
        req = urllib.request.Request(self.url + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None)
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read() or b"null")

    def cpu_seconds(self):
        fields = open(f"/proc/{self.proc.pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def figures(cmd, env=None):
    """Runs a benchmark program; returns its key=value lines as a dict of floats."""
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited with {done.returncode}:\n{done.stdout}{done.stderr}")
    out = done.stdout
    got = {}
    for line in out.splitlines():
        k, sep, v = line.partition("=")
        if sep and " " not in k:
            try:
                got[k] = float(v)
            except ValueError:
                pass
    return got


def medians(runs):
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def repeat(n, cmd, server=None):
    """A warm-up run, then n runs; each run's figures (plus the server's CPU seconds)."""
    figures(cmd)
    out = []
    for _ in range(n):
        c0 = server.cpu_seconds() if server else 0
        f = figures(cmd)
        if server:
            f["server_cpu_s"] = server.cpu_seconds() - c0
        out.append(f)
    return medians(out)


def interleaved(n, cmds, server):
    """A warm-up run of each command, then n rounds running each once in turn (so a machine's
    slow moments fall on every side alike); each command's median figures (plus the server's
    CPU seconds)."""
    for c in cmds:
        figures(c)
    runs = [[] for _ in cmds]
    for _ in range(n):
        for c, out in zip(cmds, runs):
            c0 = server.cpu_seconds()
            f = figures(c)
            f["server_cpu_s"] = server.cpu_seconds() - c0
            out.append(f)
    return [medians(r) for r in runs]


def journal_rows(a, server, row, lat):
    """The journal (journal_dir) beside memory only, in the same run: the wide shape through
    the records API, one thread; the journal in a directory of the temporary file system's,
    page cache only (nothing here waits for the disk but journal_sync_ms 0's syncs)."""
    jdir = tempfile.mkdtemp(prefix="lts-bench-journal-")
    sides = [("memory only", []),
             ("journal, journal_sync_ms 1000 (default)", [f"journal={jdir}"]),
             ("journal, journal_sync_ms 0", [f"journal={jdir}", "journal_sync_ms=0"])]
    base = [BENCH, "send", server.url, "wide", "1", str(a.logs), "api=records"]
    try:
        print(f"== the journal beside memory only, same run (wide, records, 1 thread, {a.logs:,} logs; "
              f"journal in {tempfile.gettempdir()}; ratios to memory only)")
        e2e = interleaved(a.runs, [base + extra for _, extra in sides], server)
        m = e2e[0]
        for (name, _), f in zip(sides, e2e):
            ratio = "" if f is m else (f"; x{f['cpu_ns_per_log'] / m['cpu_ns_per_log']:.2f} CPU per log, "
                                       f"x{f['logs_per_s'] / m['logs_per_s']:.2f} logs/s")
            row(f"journal: end to end, {name}: client CPU per log, library / all (kernel part); logs/s",
                f"{f['lib_cpu_ns_per_log']:.0f} / {f['cpu_ns_per_log']:.0f} ns ({f['sys_ns_per_log']:.0f} ns); "
                f"{f['logs_per_s']:,.0f}{ratio}")
        for timing, what in (([f"rate={PACED}"], f"{PACED:,} logs/s"), ([], "a burst")):
            sends = interleaved(a.runs, [base + ["timing", *timing] + extra for _, extra in sides], server)
            m = sends[0]
            for (name, _), f in zip(sides, sends):
                ratio = "" if f is m else (f"; x{f['median_ns'] / m['median_ns']:.2f} median, "
                                           f"x{f['p99_ns'] / m['p99_ns']:.2f} p99")
                row(f"journal: send, {what}, {name}: median / p99 / p999", lat(f) + ratio)
    finally:
        shutil.rmtree(jdir, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--logs", type=int, default=1_000_000)
    ap.add_argument("--no-python", action="store_true")
    ap.add_argument("--rss-seconds", type=float, default=20, help="how long the 1 GiB offer lasts")
    ap.add_argument("--peer", help="a peer producer's benchmark command (see the module doc)")
    ap.add_argument("--out", default=os.path.join(ROOT, "target", "bench-results.md"))
    ap.add_argument("--no-bindings", action="store_true", help="leave out the language bindings' rows")
    ap.add_argument("--only", help="only the rows of these bindings (comma-separated: "
                    + ",".join(bench_bindings.ALL) + "), beside the C records path")
    ap.add_argument("--binding-logs", type=int, default=200_000, help="logs of a binding's burst run")
    ap.add_argument("--paced-seconds", type=float, default=3, help="how long a binding's paced run lasts")
    a = ap.parse_args()
    rows = []
    bindings = [b for b in bench_bindings.ALL if not (a.no_python and b == "python")]
    if a.only:
        bindings = a.only.split(",")
        unknown = set(bindings) - set(bench_bindings.ALL)
        if unknown:
            ap.error(f"--only: unknown {', '.join(sorted(unknown))}")
    elif a.no_bindings:
        bindings = []

    def row(what, value):
        rows.append((what, value))
        print(f"  {what}: {value}", flush=True)

    def lat(f):
        return f"{f['median_ns']:.0f} / {f['p99_ns']:.0f} / {f['p999_ns']:.0f} ns"

    if not a.only:
        c_rows(a, row, lat)
    if bindings:
        server = Server("--sink")
        try:
            bench_bindings.run_rows(a, server, BENCH, row, figures, bindings)
        finally:
            server.stop()

    with open(a.out, "w") as o:
        o.write(f"Benchmark suite, {time.strftime('%Y-%m-%d')}, {os.cpu_count()} CPUs, "
                f"{a.logs:,} logs per run, median of {a.runs} runs after a warm-up\n\n")
        o.write("| figure | value |\n|---|---|\n")
        for what, value in rows:
            o.write(f"| {what} | {value} |\n")
    print()
    print(open(a.out).read())


def c_rows(a, row, lat):
    """The C rows: the cost of one log, end to end, prebuilt sends, RSS, the pipeline."""
    peer = a.peer.split() if a.peer else None
    print(f"== the cost of one log from C: a fresh log made from the program's own data per call "
          f"(lts_bench send ... api=API timing); lts-local --sink in its own process")
    server = Server("--sink")
    try:
        send = lambda shape, threads, *extra: repeat(  # noqa: E731
            a.runs, [BENCH, "send", server.url, shape, str(threads), str(a.logs), "timing", *extra])
        for shape in ("wide", "small"):
            for api in ("records", "packed", "items"):
                f = send(shape, 1, f"api={api}", f"rate={PACED}")
                row(f"{shape}, {api}, 1 thread, {PACED:,} logs/s: median / p99 / p999", lat(f))
                if shape == "wide" and api == "records" and peer:
                    p = repeat(a.runs, peer + [str(a.logs), "timing", f"rate={PACED}"])
                    row(f"wide, peer (--peer), 1 thread, {PACED:,} logs/s: median / p99 / p999", lat(p))
                    row("wide, records / peer, median and p99", f"{f['median_ns'] / p['median_ns']:.2f} / "
                        f"{f['p99_ns'] / p['p99_ns']:.2f}")
            f = send(shape, 1, "api=records")
            row(f"{shape}, records, 1 thread, a burst of {a.logs:,} as fast as it goes: median / p99 / p999",
                f"{lat(f)} ({f['minor_faults_per_1000_logs']:.1f} page faults per 1000 logs)")
            if shape == "wide" and peer:
                p = repeat(a.runs, peer + [str(a.logs), "timing"])
                row(f"wide, peer (--peer), 1 thread, a burst of {a.logs:,}: median / p99 / p999", lat(p))
            f = send(shape, 2, "api=records", f"rate={PACED}")
            row(f"{shape}, records, 2 threads (bursts spread), {PACED:,} logs/s: median / p99 / p999", lat(f))
            f = send(shape, 2, "api=records", f"rate={PACED}", "aligned")
            row(f"{shape}, records, 2 threads bursting in step (worst case): median / p99 / p999", lat(f))

        print(f"== client CPU per log, end to end into lts-local --sink ({a.logs:,} logs, one sending thread "
              f"as fast as it goes; 'library' leaves out the program formatting its own data)")
        for shape in ("wide", "small"):
            for api in ("records", "items"):
                f = repeat(a.runs, [BENCH, "send", server.url, shape, "1", str(a.logs), f"api={api}"], server)
                gb = f["raw_mb_per_s"] * (f["logs"] / f["logs_per_s"]) / 1000
                row(f"end to end, {shape}, {api}: client CPU per log, library / all; logs/s; raw MB/s; "
                    f"server CPU-s per raw GB",
                    f"{f['lib_cpu_ns_per_log']:.0f} / {f['cpu_ns_per_log']:.0f} ns; {f['logs_per_s']:,.0f}; "
                    f"{f['raw_mb_per_s']:.1f}; {f['server_cpu_s'] / gb:.2f}")
                if shape == "wide" and api == "records" and peer:
                    p = repeat(a.runs, peer + [str(a.logs)])
                    row("end to end, wide, peer (--peer): client CPU per log, library / all; logs/s",
                        f"{p['lib_cpu_ns_per_log']:.0f} / {p['cpu_ns_per_log']:.0f} ns; {p['logs_per_s']:,.0f}")
                    row("end to end, wide, records / peer: library CPU per log",
                        f"{f['lib_cpu_ns_per_log'] / p['lib_cpu_ns_per_log']:.2f}")

        journal_rows(a, server, row, lat)

        print("== secondary: lts_producer_send of a prebuilt item (building the log left out)")
        for shape in ("wide", "small"):
            f = send(shape, 1, "api=prebuilt", f"rate={PACED}")
            row(f"secondary: {shape}, prebuilt item, 1 thread, {PACED:,} logs/s: median / p99 / p999", lat(f))
    finally:
        server.stop()

    print("== peak RSS, server stalled, 1 GiB offered (lts_bench rss)")
    server = Server("--memory")
    try:
        server.control("POST", "/_lts/faults", {"stall": True})
        cap = 100
        runs = [figures([BENCH, "rss", server.url, str(cap), "1024", str(a.rss_seconds)]) for _ in range(a.runs)]
        f = medians(runs)
        row(f"peak RSS, {cap} MiB cap, 1 GiB offered over {a.rss_seconds:g} s (before the producer; "
            f"halfway; at the end)",
            f"{f['peak_rss_mib']:.1f} MiB = cap {f['over_cap_mib']:+.1f} MiB "
            f"({f['base_rss_mib']:.1f}; {f['mid_sample_mib']:.1f}; {f['last_sample_mib']:.1f} MiB)")
        # One ~250-byte log per send, each with a callback, and close(0): the sends'
        # bookkeeping, and every result reported at once, count against the cap too.
        cap = 128
        runs = [figures([BENCH, "rss", server.url, str(cap), "512", str(a.rss_seconds), "tiny"])
                for _ in range(a.runs)]
        f = medians(runs)
        row(f"peak RSS, {cap} MiB cap, 512 MiB offered as ~250-byte sends with callbacks, then close(0) "
            f"(before the producer; before close)",
            f"{f['peak_rss_mib']:.1f} MiB = cap {f['over_cap_mib']:+.1f} MiB "
            f"({f['base_rss_mib']:.1f}; {f['peak_before_close_mib']:.1f} MiB)")
        # 64 threads, every record a label set of its own: the batches' label groups count
        # against the cap too (they once took the process to 1.6 times it).
        cap = 64
        runs = [figures([BENCH, "rss-labels", server.url, str(cap), "256", "64"]) for _ in range(a.runs)]
        f = medians(runs)
        row(f"peak RSS, {cap} MiB cap, 64 threads offering 256 MiB of records, a distinct label set each, "
            f"then close(0) (before the producer)",
            f"{f['peak_rss_mib']:.1f} MiB = cap {f['over_cap_mib']:+.1f} MiB ({f['base_rss_mib']:.1f} MiB)")
        server.control("DELETE", "/_lts/faults")
    finally:
        server.stop()

    print("== the pipeline with a sink in place of HTTP, beside lz4 alone (cargo bench --bench pipeline)")
    env = dict(os.environ, LTS_BENCH_LOGS=str(a.logs))
    f = figures(["cargo", "bench", "-q", "--bench", "pipeline"], env=env)
    for shape in ("wide", "small"):
        row(f"pipeline, {shape}, 1 sending thread + 1 worker: logs/s, raw MB/s; per CPU-second",
            f"{f[shape + '_pipeline_logs_per_s']:,.0f} logs/s, {f[shape + '_pipeline_raw_mb_per_s']:.1f} MB/s; "
            f"{f[shape + '_pipeline_logs_per_cpu_s']:,.0f} logs")
        row(f"lz4 alone, {shape}: raw MB/s; pipeline time / lz4 time",
            f"{f[shape + '_lz4_alone_mb_per_s']:.1f} MB/s; {f[shape + '_pipeline_over_lz4']:.2f}")



if __name__ == "__main__":
    sys.exit(main())
