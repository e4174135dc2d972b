// One side of the benchmark suite's .NET rows (scripts/bench-dotnet.sh runs it under mono;
// scripts/bench.py reads its key=value lines):
//
//   mono lts-dotnet-bench.exe producer ENDPOINT LOGS PER_SEND RATE
//
// A fresh `wide` LogItem per log, Producer.Send of PER_SEND logs without a callback. RATE 0: a
// burst; else RATE logs/s in bursts of 100. First a warm-up of its own (the JIT), then the
// measured run: from building the producer to its close, the process's CPU time (every thread,
// getrusage) per log. The official SDK's .NET stack cannot be fetched here: the row compares
// with the C records path only.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Threading;
using Lts;

static class Bench
{
    const string UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36";
    static string endpoint;

    [StructLayout(LayoutKind.Sequential)]
    struct Rusage
    {
        public long UtimeSec, UtimeUsec, StimeSec, StimeUsec;
        [MarshalAs(UnmanagedType.ByValArray, SizeConst = 14)] public long[] Rest;
    }

    [DllImport("libc")] static extern int getrusage(int who, out Rusage usage);

    static long CpuNs()
    {
        Rusage u;
        if (getrusage(0, out u) != 0) throw new Exception("getrusage failed");
        return (u.UtimeSec + u.StimeSec) * 1000000000L + (u.UtimeUsec + u.StimeUsec) * 1000L;
    }

    static string Pad(long v, int width)
    {
        var c = new char[width];
        for (int k = width - 1; k >= 0; k--, v /= 10) c[k] = (char)('0' + v % 10);
        return new string(c);
    }

    static string Trace(long i)
    {
        ulong v = (ulong)i * 2654435761UL;
        var c = new char[32];
        for (int k = 0; k < 16; k++) c[k] = '0';
        for (int k = 31; k >= 16; k--, v >>= 4) c[k] = "0123456789abcdef"[(int)(v & 15)];
        return new string(c);
    }

    static LogItem Wide(long i)
    {
        string n8 = Pad(i, 8);
        return new LogItem(LogItem.NowNs(), "GET /api/v1/orders/" + n8 + " HTTP/1.1 200 1532 0.012 \"Mozilla/5.0 (X11; Linux x86_64)\"")
            .Content("level", "info").Content("host", "web-" + Pad(i % 16, 2) + ".prod.example")
            .Content("method", "GET").Content("path", "/api/v1/orders/" + n8)
            .Content("status", 200L).Content("latency_ms", 12.5 + (i % 7))
            .Content("trace_id", Trace(i)).Content("user_agent", UA)
            .Label("user_tag", "string");
    }

    // One run: wall ns, process CPU ns, logs the producer reports sent.
    static long[] Run(long logs, int perSend, double rate)
    {
        long c0 = CpuNs();
        var clock = Stopwatch.StartNew();
        var p = new Producer(new ProducerConfig());
        p.AddClient(new ClientConfig(endpoint, "lts-local-ak", "lts-local-sk", "bench"));
        p.Start();
        var batch = new List<LogItem>(perSend);
        for (long i = 0; i < logs; i++)
        {
            if (rate > 0 && i % 100 == 0)
            {
                long due = (long)(i / rate * 1000);
                long ahead = due - clock.ElapsedMilliseconds;
                if (ahead > 0) Thread.Sleep((int)ahead);
            }
            batch.Add(Wide(i));
            if (batch.Count == perSend)
            {
                p.Send("bench", "unit", batch, null);
                batch = new List<LogItem>(perSend);
            }
        }
        if (batch.Count > 0) p.Send("bench", "unit", batch, null);
        p.SafeClose();
        long sent = Convert.ToInt64(p.Stats()["logs_sent"]);
        p.Dispose();
        return new long[] { clock.Elapsed.Ticks * 100, CpuNs() - c0, sent };
    }

    static int Main(string[] args)
    {
        if (args.Length != 5 || args[0] != "producer")
        {
            Console.Error.WriteLine("usage: lts-dotnet-bench.exe producer ENDPOINT LOGS PER_SEND RATE");
            return 2;
        }
        endpoint = args[1];
        long logs = long.Parse(args[2]);
        int perSend = int.Parse(args[3]);
        double rate = double.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture);

        // The program's own making of a log's data, alone (the C benchmark's format_ns_per_log).
        long f0 = CpuNs(), keep = 0;
        for (long i = 0; i < 200000; i++) keep += Pad(i, 8).Length + Pad(i % 16, 2).Length + Trace(i).Length;
        double formatNs = (CpuNs() - f0) / 200000.0;

        long warm = Math.Min(logs, 200000);
        long[] w = Run(warm, perSend, 0);
        long[] r = Run(logs, perSend, rate);
        if (w[2] != warm || r[2] != logs)
        {
            Console.Error.WriteLine("the producer reports " + w[2] + " + " + r[2] + " logs sent, not " + warm + " + " + logs);
            return 1;
        }
        double perLog = (double)r[1] / logs, perSec = logs / (r[0] / 1e9);
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        Console.WriteLine(string.Format(inv, "producer, {0} per send{1}: {2:N0} logs/s, {3:N0} ns CPU per log", perSend,
            rate > 0 ? ", paced" : "", perSec, perLog));
        Console.WriteLine(string.Format(inv, "logs={0}\nsent_logs={1}\nlogs_per_s={2:F0}\ncpu_ns_per_log={3:F1}\n" +
            "format_ns_per_log={4:F1}\nignore={5}", logs, warm + logs, perSec, perLog, formatNs, keep % 2));
        return 0;
    }
}
