// Every core option settable from .NET (fails when the core has a key this binding cannot
// set, by name or typed), bad keys and values, liblts's lines reaching the handler within a
// second without the secret, silence, stats parsed and periodic, poll mode.
using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using Lts;

static class Operability
{
    const string Secret = "SECRET-MARKER-dotnet-9b7e";
    static Action<bool, string> Check;
    static readonly List<string> lines = new List<string>();

    static string ClosedPort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return "http://127.0.0.1:" + port;
    }

    static bool WaitLine(string needle, int ms)
    {
        var end = DateTime.UtcNow.AddMilliseconds(ms);
        lock (lines)
        {
            for (;;)
            {
                foreach (var l in lines) if (l.Contains(needle)) return true;
                int left = (int)(end - DateTime.UtcNow).TotalMilliseconds;
                if (left <= 0) return false;
                Monitor.Wait(lines, left);
            }
        }
    }

    static Producer Failing(string endpoint, ProducerConfig pc)
    {
        pc.LingerMs = 100;
        pc.WorkerCount = 1;
        var p = new Producer(pc);
        var c = new ClientConfig(endpoint, "lts-local-ak", Secret, "proj");
        c.Profile["backoff_base_ms"] = "20";
        c.Profile["backoff_cap_ms"] = "50";
        p.AddClient(c);
        p.Start();
        return p;
    }

    static double Num(Dictionary<string, object> d, string k) { return (double)d[k]; }

    public static void Run(string url, Action<bool, string> check)
    {
        Check = check;
        Log.SetHandler((level, message) => { lock (lines) { lines.Add(level + " " + message); Monitor.PulseAll(lines); } });
        try
        {
            Options();
            Failures();
            Silence();
            TokenCode(url);
            StatsInPoll(url);
        }
        finally
        {
            Log.SetLevel(Log.Warn);
            Log.SetHandler(null);
            lock (lines) foreach (var l in lines) Check(!l.Contains(Secret), "a line carried the secret: " + l);
        }
    }

    static void Options()
    {
        var schema = Schema.Read();
        var fullClient = new ClientConfig("http://127.0.0.1:1", "ak", "sk", "proj")
        {
            CompressType = "none", NoRetryStatusCodes = new[] { 500 }, AuthMode = "eop", AllowPlainHttp = true,
            CaFile = "f", CaPem = "p",
        };
        var typed = new HashSet<string> { "endpoint", "access_key", "secret_key", "log_project" };
        foreach (var kv in fullClient.TypedForTests()) typed.Add(kv);
        foreach (Dictionary<string, object> o in (List<object>)schema["client"])
        {
            string name = (string)o["name"], def = (string)o["default"];
            Check(typed.Contains(name) || (bool)o["profile"], "client option " + name + " has a typed property");
            var c = new ClientConfig("http://127.0.0.1:1", "ak", "sk", "proj");
            try { c.Set(name, def); }
            catch (LtsException e)
            {
                Check(e.Message.Contains(name) && !e.Message.Contains("unknown"), name + " reaches the core: " + e.Message);
                continue;
            }
            if ((bool)o["write_only"] || name == "user_agent" || def == "") continue;
            Check(c.ReadBack(name) == def, name + " read back");
        }
        var fullProducer = new ProducerConfig
        {
            BatchSizeBytes = 1, BatchCount = 1, LingerMs = 1, WorkerCount = 1, BufferBytes = 1, MaxBlockMs = 1,
            CallbackMode = "poll", DeliveryTimeoutMs = 1, SpillDir = "d", StatsIntervalMs = 1,
            JournalDir = "d", JournalMaxBytes = 4 << 20, JournalSegmentBytes = 2 << 20, JournalSyncMs = 1,
            JournalMaxAgeMs = 1,
            IdleUnitsMax = 1,
        };
        var ptyped = new HashSet<string>(fullProducer.TypedForTests());
        foreach (Dictionary<string, object> o in (List<object>)schema["producer"])
        {
            string name = (string)o["name"], def = (string)o["default"];
            Check(ptyped.Contains(name), "producer option " + name + " has a typed property");
            var pc = new ProducerConfig();
            pc.Set(name, def);
            Check(pc.ReadBack(name) == def, name + " read back");
        }
        var bad = new ProducerConfig();
        try { bad.Set("linger_ms", "soon"); Check(false, "linger soon accepted"); }
        catch (LtsException e) { Check(e.Code == Result.InvalidArgument && e.Message.Contains("\"soon\"") && e.Message.Contains("linger_ms"), e.Message); }
        try { bad.Set("lingerms", "100"); Check(false, "unknown key accepted"); }
        catch (LtsException e) { Check(e.Message.Contains("lingerms"), e.Message); }
        try { new Producer(new ProducerConfig { LingerMs = 5 }); Check(false, "typed linger 5 accepted"); }
        catch (LtsException e) { Check(e.Message.Contains("linger_ms") && e.Message.Contains(">= 100"), e.Message); }
        var rc = new ClientConfig("http://127.0.0.1:1", "ak", "sk", "p") { Retries = 1000 };
        try { new LogClient(rc); Check(false, "1000 retries accepted"); }
        catch (LtsException e) { Check(e.Message.Contains("retries") && e.Message.Contains("0..=100"), e.Message); }
        var dt = new ProducerConfig { DeliveryTimeoutMs = 1500, SpillDir = "/tmp/lts-dotnet-spill" };
        Check(dt.ReadBack("delivery_timeout_ms") == "1500" && dt.ReadBack("spill_dir") == "/tmp/lts-dotnet-spill", "delivery timeout and spill dir reach the core");
    }

    static void Failures()
    {
        lock (lines) lines.Clear();
        var p = Failing(ClosedPort(), new ProducerConfig());
        p.Send("proj", "unit-a", new List<LogItem> { new LogItem(LogItem.NowNs(), "m") }, null);
        Check(WaitLine("attempt 1 failed", 1000), "the first failure is logged within a second");
        Check(WaitLine("4 ", 0), "at LTS_LOG_WARN (4)");
        Check(!p.Close(0), "close times out");
        Check(WaitLine("close ran out of time", 1000), "close says what it left");
        p.Dispose();
    }

    static void Silence()
    {
        Log.SetLevel(Log.Off);
        lock (lines) lines.Clear();
        var p = Failing(ClosedPort(), new ProducerConfig());
        p.Send("proj", "unit-a", new List<LogItem> { new LogItem(LogItem.NowNs(), "m") }, null);
        var end = DateTime.UtcNow.AddSeconds(5);
        while (Num(p.Stats(), "token_failures") < 2 && DateTime.UtcNow < end) Thread.Sleep(5);
        p.Close(0);
        p.Dispose();
        lock (lines) Check(lines.Count == 0, "nothing at Off: " + string.Join(" | ", lines));
        Log.SetLevel(Log.Warn);
    }

    static void TokenCode(string url)
    {
        lock (lines) lines.Clear();
        var p = Failing(url, new ProducerConfig());
        SendResult got = null;
        var done = new ManualResetEvent(false);
        p.Send("proj", "unit-a", new List<LogItem> { new LogItem(LogItem.NowNs(), "m") }, r => { got = r; done.Set(); });
        Check(done.WaitOne(10000), "refused send called back");
        Check(got != null && got.Code == Result.Auth && got.Error == "LTS_8007", "LTS_8007 in the result");
        var last = (Dictionary<string, object>)p.Stats()["last_error"];
        Check((string)last["error"] == "LTS_8007", "LTS_8007 in the stats");
        Check(WaitLine("LTS_8007", 1000), "LTS_8007 in a line");
        p.SafeClose();
        p.Dispose();
    }

    static void StatsInPoll(string url)
    {
        var reports = new List<Dictionary<string, object>>();
        var pc = new ProducerConfig { LingerMs = 100, CallbackMode = "poll", StatsIntervalMs = 100 };
        pc.StatsCallback = s => { lock (reports) reports.Add(s); };
        var p = new Producer(pc);
        p.AddClient(new ClientConfig(url, "lts-local-ak", "lts-local-sk", "proj"));
        p.Start();
        int ok = 0;
        for (int i = 0; i < 3; i++)
            p.Send("proj", "unit-s", new List<LogItem> { new LogItem(LogItem.NowNs(), "s" + i) }, r => { if (r.Ok) ok++; });
        var end = DateTime.UtcNow.AddSeconds(10);
        while ((ok < 3 || reports.Count < 2) && DateTime.UtcNow < end) p.Poll(100, 100);
        Check(ok == 3 && reports.Count >= 2, "callbacks and stats ran in Poll: " + ok + ", " + reports.Count);
        var stats = p.Stats();
        Check(Num(stats, "logs_sent") == 3, "logs_sent 3");
        bool unitSeen = false;
        foreach (Dictionary<string, object> u in (List<object>)stats["units"])
            if ((string)u["unit"] == "unit-s") unitSeen = Num(u, "logs_sent") == 3;
        Check(unitSeen, "per-unit counts");
        p.SafeClose();
        p.Dispose();
    }
}
