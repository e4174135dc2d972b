"""The language bindings' rows of the benchmark suite (scripts/bench.py runs them).

Every binding sends the same logs the same way: a fresh `wide` log (shared/bench-shapes.md)
made from the program's own data for every log, 1 and 10 logs per send, in a burst (as fast as
the loop goes) and paced (RATE logs/s in bursts of 100), into `lts-local --sink`; the figure is
the CPU time of the whole process (every thread: the language runtime's, the producer's) per
log, from building the producer to its close. Beside each, in the same rounds, the C records
path (`lts_bench send ... api=records`) and, where a user of the language has one, the
alternative they would pick. Logging-framework handlers run beside their framework's own file
handler on the same records.

Each side is a driver of its language (`scripts/bench-LANG.sh SIDE ENDPOINT LOGS PER_SEND
RATE`: after a warm-up of its own, one measured run, printed as key=value lines: logs,
sent_logs (what the server must count, warm-up included), logs_per_s, cpu_ns_per_log, and
where it measures them main_ns_per_log, format_ns_per_log). The sides of one configuration run
in turn, round after round (`--runs` rounds), so that a change in the machine's load falls on
all of them alike; each figure is the median of its rounds, and the spread (lowest-highest) is
printed beside the C figure. The server must count every log each run sent.
"""
import os
import statistics
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPTS = os.path.join(ROOT, "scripts")
RATE = 20_000  # logs/s of the paced runs


class Side:
    def __init__(self, binding, name, label, per_send=(1, 10), peer=False):
        self.binding, self.name, self.label, self.per_send, self.peer = binding, name, label, per_send, peer

    def cmd(self, url, logs, per_send, rate):
        return [os.path.join(SCRIPTS, f"bench-{self.binding}.sh"), self.name, url, str(logs), str(per_send),
                str(rate)]


# The bindings' sides (first the binding's own send, then the alternatives).
BINDINGS = {
    "python": [
        Side("python", "liblts", "Python: a fresh LogItem, contents_push_back per field, send_logs"),
        Side("python", "official", "Python: the official SDK's stack (protobuf, lz4, requests), 4096 a batch",
             (1,), peer=True),
        Side("python", "official-tight", "Python: the same stack, one LogsData a batch, fields added in place",
             (1,), peer=True),
    ],
    "java": [Side("java", "producer", "Java: a fresh LogItem, Producer.send")],
    "node": [
        Side("node", "sendLogs", "Node: a fresh object, Producer.sendLogs (no result)"),
        Side("node", "send", "Node: a fresh object, Producer.send (a Promise a send)"),
        Side("node", "pure", "Node: protobufjs + lz4js + fetch, 4096 a batch", (1,), peer=True),
    ],
    "go": [
        Side("go", "producer", "Go: a fresh LogItem, Producer.Send"),
        Side("go", "stdlib", "Go: the standard library (protobuf by hand, net/http), 4096 a batch", (1,),
             peer=True),
    ],
    "dotnet": [Side("dotnet", "producer", ".NET (mono): a fresh LogItem, Producer.Send")],
    "php": [Side("php", "producer", "PHP: a fresh LogItem, contents_push_back per field, send_logs")],
}

# Handlers: (binding, the handler's side, the file handler's side, label).
HANDLERS = [
    ("python", "logging-lts", "logging-file", "Python logging: LtsHandler / FileHandler"),
    ("java", "log4j2-lts", "log4j2-file", "Log4j2: the Lts appender / FileAppender"),
    ("java", "logback-lts", "logback-file", "Logback: LtsAppender / FileAppender"),
    ("node", "winston-lts", "winston-file", "winston: LtsTransport / the File transport"),
    ("cpp", "spdlog-lts", "spdlog-file", "spdlog: the lts sink / basic_file_sink_mt"),
    ("php", "monolog-lts", "monolog-stream", "Monolog: the Lts handler / StreamHandler"),
    ("go", "log-lts", "log-file", "Go log: LogWriter / log to an os.File"),
]

ALL = ["python", "java", "node", "go", "dotnet", "php", "cpp"]


def build(bindings):
    for b in bindings:
        print(f"  building the {b} side (scripts/bench-{b}.sh build)", flush=True)
        subprocess.run([os.path.join(SCRIPTS, f"bench-{b}.sh"), "build"], check=True,
                       stdout=subprocess.DEVNULL)


def run_rows(a, server, bench, row, figures, bindings):
    """The rows for `bindings` (names of ALL), beside the C records path, into `server`."""
    build(bindings)
    burst_logs = min(a.logs, a.binding_logs)
    paced_logs = min(a.logs, int(RATE * a.paced_seconds))
    warmed = set()

    def once(key, cmd):
        before = server.control("GET", "/_lts/stats")["stored_logs"]
        f = figures(cmd)
        counted = server.control("GET", "/_lts/stats")["stored_logs"] - before
        want = f.get("sent_logs", f.get("logs_sent"))
        if counted != want:
            raise RuntimeError(f"{key}: the server counted {counted} logs, the side sent {want}: {' '.join(cmd)}")
        return f

    def rounds(sides):
        """sides: [(key, cmd)]; a first run of each not seen yet (thrown away), then --runs
        rounds of all in turn. Returns {key: (medians, runs)}."""
        for key, cmd in sides:
            if key not in warmed:
                once(key, cmd)
                warmed.add(key)
        got = {key: [] for key, _ in sides}
        for _ in range(a.runs):
            for key, cmd in sides:
                got[key].append(once(key, cmd))
        return {k: ({f: statistics.median(r[f] for r in runs) for f in runs[0]}, runs) for k, runs in got.items()}

    def spread(runs):
        cpu = [r["cpu_ns_per_log"] for r in runs]
        return f"{min(cpu):,.0f}-{max(cpu):,.0f}"

    sides = [s for b in bindings for s in BINDINGS.get(b, [])]
    for rate in (0, RATE):
        logs = paced_logs if rate else burst_logs
        mode = f"paced at {rate:,}/s" if rate else "a burst"
        for per_send in (1, 10):
            these = [s for s in sides if per_send in s.per_send]
            if not these:
                continue
            c_cmd = [bench, "send", server.url, "wide", "1", str(logs), "api=records", f"per_send={per_send}"]
            if rate:
                c_cmd.append(f"rate={rate}")
            got = rounds([("c", c_cmd)] + [(s.binding + "/" + s.name, s.cmd(server.url, logs, per_send, rate))
                                           for s in these])
            c, c_runs = got["c"]
            what = f"{per_send} per send, {mode} ({logs:,} logs)"
            print(f"== bindings, {what}: CPU per log of the whole process, beside the C records path", flush=True)
            row(f"C records, {what}: CPU per log; logs/s", f"{c['cpu_ns_per_log']:,.0f} ns "
                f"(rounds {spread(c_runs)}); {c['logs_per_s']:,.0f}")
            for s in these:
                f, runs = got[s.binding + "/" + s.name]
                extra = ""
                if "main_ns_per_log" in f:
                    extra += f"; main thread {f['main_ns_per_log']:,.0f} ns"
                if "format_ns_per_log" in f:
                    extra += f" (making the log {f['format_ns_per_log']:,.0f})"
                row(f"{s.label}, {what}: CPU per log; logs/s; / C records",
                    f"{f['cpu_ns_per_log']:,.0f} ns (rounds {spread(runs)}); {f['logs_per_s']:,.0f}; "
                    f"{f['cpu_ns_per_log'] / c['cpu_ns_per_log']:.2f}x{extra}")

    handlers = [h for h in HANDLERS if h[0] in bindings]
    if handlers:
        print(f"== handlers beside their framework's file handler, the same records ({burst_logs:,} records, "
              f"a burst): CPU per record of the whole process", flush=True)
    for binding, lts, file, label in handlers:
        sides = [(f"{binding}/{n}", [os.path.join(SCRIPTS, f"bench-{binding}.sh"), n, server.url, str(burst_logs),
                                     "1", "0"]) for n in (lts, file)]
        got = rounds(sides)
        (h, h_runs), (f, f_runs) = got[sides[0][0]], got[sides[1][0]]
        row(f"{label}: CPU per record; records/s; handler / file handler",
            f"{h['cpu_ns_per_log']:,.0f} ns (rounds {spread(h_runs)}) / {f['cpu_ns_per_log']:,.0f} ns "
            f"(rounds {spread(f_runs)}); {h['logs_per_s']:,.0f} / {f['logs_per_s']:,.0f}; "
            f"{h['cpu_ns_per_log'] / f['cpu_ns_per_log']:.2f}x")
