// The .NET binding against lts-local: sync put read back, a bad key's exception, a producer
// with callbacks from several threads, each once; a disposed handle is an error.
// Run: mcs -unsafe -out:tests.exe Lts.cs Tests.cs Packing.cs Operability.cs && LTS_LOCAL_BIN=... mono tests.exe
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Text.RegularExpressions;
using System.Threading;
using Lts;

static class Tests
{
    static int passed, failed;
    static string url;

    static void Check(bool ok, string what)
    {
        if (ok) passed++;
        else { failed++; Console.Error.WriteLine("FAILED: " + what); }
    }

    static string Get(string path) { using (var wc = new WebClient()) return wc.DownloadString(url + path); }
    static void Post(string path, string body) { using (var wc = new WebClient()) wc.UploadString(url + path, body); }
    static int Count(string project, string unit)
    {
        var m = Regex.Match(Get("/_lts/logs?project=" + project + "&unit=" + unit), "\"count\":(\\d+)");
        return int.Parse(m.Groups[1].Value);
    }

    static LogItem Item(string msg)
    {
        return new LogItem(LogItem.NowNs(), msg).Content("level", "info").Content("seq", 7L).Content("ratio", 0.5)
            .Label("user_tag", "string");
    }

    /// <summary>Run with LD_LIBRARY_PATH=/nonexistent: the error names what was tried.</summary>
    static int WithoutLiblts()
    {
        try
        {
            LogItem.NowNs(); // the first call into liblts, as a program makes it
            Console.Error.WriteLine("FAIL: liblts loaded although it should not be found");
            return 1;
        }
        catch (TypeInitializationException e)
        {
            string said = e.InnerException == null ? "" : e.InnerException.Message;
            bool ok = e.InnerException is DllNotFoundException && said.Contains("liblts could not be loaded")
                && said.Contains("LD_LIBRARY_PATH=/nonexistent") && said.Contains("set LD_LIBRARY_PATH to its folder");
            Console.WriteLine((ok ? "ok: " : "FAIL: ") + said);
            return ok ? 0 : 1;
        }
    }

    static int Main(string[] args)
    {
        if (args.Length == 1 && args[0] == "--without-liblts") return WithoutLiblts();
        string bin = Environment.GetEnvironmentVariable("LTS_LOCAL_BIN");
        string dir = Path.Combine(Path.GetTempPath(), "lts-dotnet-" + Process.GetCurrentProcess().Id);
        Directory.CreateDirectory(dir);
        string portFile = Path.Combine(dir, "port");
        var server = Process.Start(new ProcessStartInfo(bin, "--listen 127.0.0.1:0 --memory --project proj=unit-a,unit-p,unit-s,unit-f,unit-m,unit-v --port-file " + portFile)
        { UseShellExecute = false });
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!(File.Exists(portFile) && new FileInfo(portFile).Length > 0))
            {
                if (DateTime.UtcNow > deadline) throw new Exception("lts-local did not start");
                Thread.Sleep(10);
            }
            url = "http://127.0.0.1:" + File.ReadAllText(portFile).Trim();
            Run();
            Packing.Run(url, Check);
            Operability.Run(url, Check);
        }
        catch (Exception e) { failed++; Console.Error.WriteLine("FAILED: " + e); }
        finally { server.Kill(); server.WaitForExit(); Directory.Delete(dir, true); }
        Console.WriteLine(passed + " passed, " + failed + " failed");
        return failed == 0 ? 0 : 1;
    }

    /// <summary>A linger far longer than the test: the logs reach the server only because
    /// Flush handed their batch over. Synchronised on the server's count.</summary>
    static void Flush(ClientConfig cfg)
    {
        var p = new Producer(new ProducerConfig { LingerMs = 600000 });
        p.AddClient(cfg);
        try { p.Flush(); Check(false, "flush before start accepted"); }
        catch (LtsException e) { Check(e.Code == Result.InvalidState, "flush before start: " + e.Name); }
        p.Start();
        for (int i = 0; i < 5; i++) p.Send("proj", "unit-f", new List<LogItem> { Item("held " + i) }, null);
        var held = p.Stats();
        Check((double)held["logs_sent"] == 0 && (double)held["buffered_bytes"] > 0, "the producer holds the logs before the flush");
        var watch = Stopwatch.StartNew();
        p.Flush();
        while (Count("proj", "unit-f") < 5 && watch.Elapsed < TimeSpan.FromMinutes(1)) Thread.Sleep(10);
        Check(Count("proj", "unit-f") == 5, "flushed logs stored within a minute (linger: 10 min): " + watch.ElapsedMilliseconds + " ms");
        p.SafeClose();
        try { p.Flush(); Check(false, "flush after close accepted"); }
        catch (LtsException e) { Check(e.Code == Result.Closed, "flush after close: " + e.Name); }
        p.Dispose();
    }

    static void Run()
    {
        var cfg = new ClientConfig(url, "lts-local-ak", "lts-local-sk", "proj");
        using (var client = new LogClient(cfg))
        {
            var resp = client.PutLogs("proj", "unit-a", new List<LogItem> { Item("dotnet 1"), Item("dotnet 2") });
            Check(resp.StatusCode == 0 && resp.Message == "SUCCESS", "put_logs answer");
            string logs = Get("/_lts/logs?project=proj&unit=unit-a");
            Check(logs.Contains("\"contents\":{\"level\":\"info\",\"seq\":7,\"ratio\":0.5}"), "contents read back: " + logs);
            Check(logs.Contains("\"labels\":{\"user_tag\":\"string\"}"), "labels read back");
            // Every value type, a key added again (replaced in its place), text that is not ASCII.
            var mixed = new LogItem(LogItem.NowNs(), "dotnet 3 中文").Content("a", "first").Content("b", 2).Content("c", 0.25f)
                .Content("d", (object)9L).Content("e", DayOfWeek.Monday).Content("a", "ünï 值").Content("b", 1.5)
                .Label("t", "x").Label("t", 3L);
            client.PutLogs("proj", "unit-m", new List<LogItem> { mixed });
            string f = Get("/_lts/logs?project=proj&unit=unit-m");
            Check(f.Contains("\"contents\":{\"a\":\"ünï 值\",\"b\":1.5,\"c\":0.25,\"d\":9,\"e\":\"Monday\"}"), "every value type, replaced in place: " + f);
            Check(f.Contains("\"labels\":{\"t\":3}") && f.Contains("dotnet 3 中文"), "label replaced, message read back: " + f);
            try { client.PutLogs("proj", "missing", new List<LogItem> { Item("x") }); Check(false, "missing unit accepted"); }
            catch (LtsException e) { Check(e.Code == Result.Server && e.Response != null && e.Response.Error == "LTS_8011", "LTS_8011: " + e.Message); }
        }
        try { new LogItem(1, "m").Content("area:", 3.1415926); Check(false, "bad key accepted"); }
        catch (LtsException e) { Check(e.Code == Result.InvalidKey && e.Message.Contains("\"area:\""), "bad key message: " + e.Message); }
        try { new LogClient(new ClientConfig(url, "lts-local-ak", "wrong", "proj")); Check(false, "wrong secret accepted"); }
        catch (LtsException e) { Check(e.Code == Result.Auth, "auth error: " + e.Name); }

        var disposed = new LogClient(cfg);
        disposed.Dispose();
        disposed.Dispose();
        try { disposed.PutLogs("proj", "unit-a", new List<LogItem> { Item("x") }); Check(false, "disposed client used"); }
        catch (LtsException e) { Check(e.Code == Result.InvalidState, "disposed client: " + e.Name); }

        const int Threads = 4, Sends = 500;
        var hits = new int[Threads * Sends];
        long okLogs = 0;
        var producer = new Producer(new ProducerConfig { LingerMs = 100, WorkerCount = 2 });
        producer.AddClient(cfg);
        producer.Start();
        var threads = new List<Thread>();
        for (int t = 0; t < Threads; t++)
        {
            int tt = t;
            var th = new Thread(() =>
            {
                for (int s = 0; s < Sends; s++)
                {
                    int id = tt * Sends + s;
                    producer.Send("proj", "unit-p", new List<LogItem> { Item("p" + id), Item("p" + id) }, r =>
                    {
                        Interlocked.Increment(ref hits[id]);
                        if (r.Ok) Interlocked.Add(ref okLogs, r.LogCount);
                    });
                }
            });
            th.Start();
            threads.Add(th);
        }
        foreach (var th in threads) th.Join();
        // Collections in between: the callbacks' delegates and targets must survive them.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        try { producer.Send("nope", "u", new List<LogItem> { Item("x") }, r => Check(false, "refused send called back")); Check(false, "unknown project accepted"); }
        catch (LtsException e) { Check(e.Code == Result.InvalidArgument, "unknown project: " + e.Name); }
        producer.SafeClose();
        bool once = true;
        foreach (var h in hits) once &= h == 1;
        Check(once, "every callback exactly once");
        Check(okLogs == Threads * Sends * 2, "logs reported ok: " + okLogs);
        Check(Count("proj", "unit-p") == Threads * Sends * 2, "logs stored");
        try { producer.Send("proj", "unit-p", new List<LogItem> { Item("late") }, null); Check(false, "closed producer accepted"); }
        catch (LtsException e) { Check(e.Code == Result.Closed, "closed producer: " + e.Name); }
        producer.Dispose();

        Flush(cfg);

        Post("/_lts/faults", "{\"stall\": true}");
        var stalled = new Producer(new ProducerConfig());
        stalled.AddClient(cfg);
        stalled.Start();
        var results = new List<SendResult>();
        stalled.Send("proj", "unit-s", new List<LogItem> { Item("stalled") }, r => { lock (results) results.Add(r); });
        Check(!stalled.Close(300), "close timed out");
        Check(results.Count == 1 && results[0].Code == Result.Closed, "unsent log reported Closed");
        stalled.Dispose();
        Post("/_lts/faults", "{\"stall\": false}");
    }
}
