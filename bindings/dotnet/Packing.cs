// What a LogItem holds reaches the service as given: ASCII and non-ASCII text of many lengths
// (the send copies ASCII eight chars at a time and hands the rest to the UTF-8 encoder), keys
// of many lengths found again from another string instance, a key added again, more keys than
// the binding's table of recent keys holds (from several threads at once), every value type,
// and the keys liblts refuses, each time they are added. Read back from lts-local's store.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Net;
using System.Text;
using System.Threading;
using Lts;

static class Packing
{
    static Action<bool, string> Check;
    static string url;
    const string Project = "proj", Unit = "unit-v";

    public static void Run(string serverUrl, Action<bool, string> check)
    {
        Check = check;
        url = serverUrl;
        var cfg = new ClientConfig(url, "lts-local-ak", "lts-local-sk", Project);
        using (var client = new LogClient(cfg))
        {
            Text(client);
            Keys(client);
            ManyKeys(client);
            ValueTypes(client);
        }
        RefusedKeys();
        RefusedValues(cfg);
    }

    /// <summary>The logs of `tag` (content "tag") stored so far, in the order sent.</summary>
    static List<Dictionary<string, object>> Stored(string tag)
    {
        string body;
        using (var wc = new WebClient { Encoding = Encoding.UTF8 })
            body = wc.DownloadString(url + "/_lts/logs?project=" + Project + "&unit=" + Unit);
        var all = (List<object>)((Dictionary<string, object>)Json.Parse(body))["logs"];
        var mine = new List<Dictionary<string, object>>();
        foreach (Dictionary<string, object> log in all)
        {
            object t;
            if (((Dictionary<string, object>)log["contents"]).TryGetValue("tag", out t) && (string)t == tag) mine.Add(log);
        }
        return mine;
    }

    static Dictionary<string, object> Contents(Dictionary<string, object> log) { return (Dictionary<string, object>)log["contents"]; }
    static Dictionary<string, object> Labels(Dictionary<string, object> log) { return (Dictionary<string, object>)log["labels"]; }

    static string Ascii(int n, int seed)
    {
        var c = new char[n];
        // Every printable ASCII char, DEL, and the ones JSON escapes.
        const string extra = "\"\\\t\n\u007f\u0001";
        for (int i = 0; i < n; i++)
            c[i] = (i + seed) % 13 == 5 ? extra[(i + seed) % extra.Length] : (char)(' ' + (i * 7 + seed) % 95);
        return new string(c);
    }

    /// <summary>Values and messages: ASCII of lengths about the copy's eight-char steps, and
    /// the same with one char that is not ASCII at the start, at each side of a step, at the
    /// end; chars whose low byte is ASCII; a surrogate pair across a step.</summary>
    static void Text(LogClient client)
    {
        var texts = new List<string>();
        int[] lengths = { 1, 2, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 100, 1000 };
        string[] foreign = { "é", "\u0080", "\u00ff", "Ł", "值", "\u0100", "\uffff" };
        foreach (int n in lengths)
        {
            texts.Add(Ascii(n, n));
            int f = 0;
            foreach (int at in new[] { 0, 7, 8, 9, 15, 16, n - 1 })
            {
                if (at >= n) continue;
                string s = Ascii(n, at);
                texts.Add(s.Substring(0, at) + foreign[f++ % foreign.Length] + s.Substring(at + 1));
            }
        }
        texts.Add("😀");
        texts.Add("abcdefg😀hijklmnop");
        texts.Add("中文日志 with ASCII after it, longer than sixteen chars");
        texts.Add(new string('x', 64) + "ü" + new string('y', 64));

        var items = new List<LogItem>();
        for (int i = 0; i < texts.Count; i++)
            items.Add(new LogItem(LogItem.NowNs(), texts[i]).Content("tag", "text").Content("i", i).Content("v", texts[i])
                .Label("l", texts[i]));
        client.PutLogs(Project, Unit, items);
        var logs = Stored("text");
        Check(logs.Count == texts.Count, "every text log stored: " + logs.Count + " of " + texts.Count);
        int same = 0;
        foreach (var log in logs)
        {
            int i = (int)(double)Contents(log)["i"];
            string want = texts[i];
            bool ok = (string)log["origin_msg"] == want && (string)Contents(log)["v"] == want && (string)Labels(log)["l"] == want;
            if (ok) same++;
            else Check(false, "text " + i + " read back as sent: " + Escape(want) + " / " + Escape((string)Contents(log)["v"]));
        }
        Check(same == texts.Count, "every text read back as sent: " + same + " of " + texts.Count);

        // A lone surrogate has no UTF-8: the encoder sends U+FFFD for it, after ASCII or not.
        var lone = new List<LogItem>
        {
            new LogItem(LogItem.NowNs(), "m").Content("tag", "lone").Content("v", "abcdefghij\ud800klm"),
            new LogItem(LogItem.NowNs(), "m").Content("tag", "lone").Content("v", "\udc00"),
        };
        client.PutLogs(Project, Unit, lone);
        logs = Stored("lone");
        Check(logs.Count == 2 && (string)Contents(logs[0])["v"] == "abcdefghij\ufffdklm" && (string)Contents(logs[1])["v"] == "\ufffd",
            "a lone surrogate sent as U+FFFD");
    }

    static string Escape(string s)
    {
        var b = new StringBuilder();
        foreach (char c in s ?? "(null)") b.Append(c >= ' ' && c < 0x7f ? c.ToString() : "\\u" + ((int)c).ToString("x4"));
        return b.ToString();
    }

    /// <summary>Keys of every length from 1 to 64 chars, added first from a literal-like
    /// string, then again from another instance of the same text (which replaces the value in
    /// its place); the same name as a content and as a label stays two fields.</summary>
    static void Keys(LogClient client)
    {
        var item = new LogItem(LogItem.NowNs(), "keys").Content("tag", "keys");
        var names = new List<string>();
        for (int n = 1; n <= 64; n++)
        {
            var c = new char[n];
            for (int i = 0; i < n; i++) c[i] = "abcdefghijklmnopqrstuvwxyz0123456789_-."[i == 0 ? n % 26 : (i * 5 + n) % 39];
            names.Add(new string(c));
        }
        foreach (var k in names) item.Content(k, "first " + k);
        for (int j = 0; j < names.Count; j += 3)
        {
            string again = new StringBuilder(names[j]).ToString();
            Check(!ReferenceEquals(again, names[j]), "another instance of the key");
            if (j % 2 == 0) item.Content(again, "again " + j);
            else item.Content(again, (long)j);
        }
        item.Label("tag", 1L).Label(names[5], "label").Label(new StringBuilder(names[5]).ToString(), "label again");
        client.PutLogs(Project, Unit, new List<LogItem> { item });
        var logs = Stored("keys");
        Check(logs.Count == 1, "the keys log stored");
        if (logs.Count != 1) return;
        var got = Contents(logs[0]);
        var order = new List<string>(got.Keys);
        bool inPlace = order.Count == names.Count + 1 && order[0] == "tag";
        bool values = true;
        for (int j = 0; j < names.Count && inPlace; j++)
        {
            inPlace &= order[j + 1] == names[j];
            object want = j % 3 != 0 ? "first " + names[j] : j % 2 == 0 ? (object)("again " + j) : (double)j;
            values &= got[names[j]].Equals(want);
        }
        Check(inPlace, "every key once, in the order first added: " + string.Join(",", order));
        Check(values, "a key added again has the last value");
        var labels = Labels(logs[0]);
        Check(labels.Count == 2 && (double)labels["tag"] == 1 && (string)labels[names[5]] == "label again",
            "labels apart from contents of the same name, replaced: " + labels.Count);
    }

    /// <summary>More keys than the binding's table of recent keys has slots, each built afresh,
    /// in one item per thread from four threads at once; then again (known keys).</summary>
    static void ManyKeys(LogClient client)
    {
        const int Keys = 600, Threads = 4;
        for (int round = 0; round < 2; round++)
        {
            var items = new LogItem[Threads];
            var threads = new List<Thread>();
            for (int t = 0; t < Threads; t++)
            {
                int tt = t;
                var th = new Thread(() =>
                {
                    var item = new LogItem(LogItem.NowNs(), "many").Content("tag", "many" + round).Content("t", tt);
                    for (int k = 0; k < Keys; k++) item.Content("many_" + ((k * 7 + tt * 13) % Keys), k * 1000 + tt);
                    items[tt] = item;
                });
                th.Start();
                threads.Add(th);
            }
            foreach (var th in threads) th.Join();
            client.PutLogs(Project, Unit, new List<LogItem>(items));
            var logs = Stored("many" + round);
            bool ok = logs.Count == Threads;
            foreach (var log in logs)
            {
                var c = Contents(log);
                int tt = (int)(double)c["t"];
                ok &= c.Count == Keys + 2;
                for (int k = 0; k < Keys && ok; k++)
                {
                    object v;
                    ok &= c.TryGetValue("many_" + ((k * 7 + tt * 13) % Keys), out v) && (double)v == k * 1000 + tt;
                }
            }
            Check(ok, "round " + round + ": " + Keys + " keys in each of " + Threads + " items made at once, read back");
        }
    }

    enum Color { Red, Green }

    /// <summary>Every value type, as a content and as a label, typed and as object.</summary>
    static void ValueTypes(LogClient client)
    {
        var item = new LogItem(LogItem.NowNs(), "types").Content("tag", "types")
            .Content("s", "text").Content("l", long.MinValue).Content("i", int.MaxValue).Content("d", 0.1).Content("f", 0.25f)
            .Content("os", (object)"ö").Content("ol", (object)long.MaxValue).Content("oi", (object)(-7)).Content("od", (object)-2.5)
            .Content("of", (object)1.5f).Content("oe", (object)Color.Green).Content("ob", (object)true)
            .Content("oc", (object)12.5m)
            .Label("ls", "x").Label("ll", 5L).Label("ld", 2.5).Label("lo", (object)3).Label("le", (object)Color.Red);
        client.PutLogs(Project, Unit, new List<LogItem> { item });
        string body;
        using (var wc = new WebClient { Encoding = Encoding.UTF8 })
            body = wc.DownloadString(url + "/_lts/logs?project=" + Project + "&unit=" + Unit);
        // Raw, for the integers beyond a double's precision.
        Check(body.Contains("\"contents\":{\"tag\":\"types\",\"s\":\"text\",\"l\":-9223372036854775808,\"i\":2147483647,\"d\":0.1,\"f\":0.25," +
            "\"os\":\"ö\",\"ol\":9223372036854775807,\"oi\":-7,\"od\":-2.5,\"of\":1.5,\"oe\":\"Green\",\"ob\":\"" + Convert.ToString(true) +
            "\",\"oc\":\"" + Convert.ToString(12.5m) + "\"}"), "every value type as a content: " + body);
        var logs = Stored("types");
        Check(logs.Count == 1, "the types log stored");
        if (logs.Count != 1) return;
        var l = Labels(logs[0]);
        Check(l.Count == 5 && (string)l["ls"] == "x" && (double)l["ll"] == 5 && (double)l["ld"] == 2.5 && (double)l["lo"] == 3
            && (string)l["le"] == "Red", "every value type as a label");
    }

    static void Refused(Action add, string key, string what)
    {
        // Twice: a refused key is not remembered as known.
        for (int i = 0; i < 2; i++)
        {
            try { add(); Check(false, what + " accepted"); }
            catch (LtsException e)
            {
                Check(e.Code == Result.InvalidKey && (key == null ? e.Message.Contains("key is null") : e.Message.Contains(key)),
                    what + " refused (" + i + "): " + e.Message);
            }
        }
    }

    static void RefusedKeys()
    {
        string long65 = "k" + new string('x', 64);
        string[] bad = { "", "clé", "値", "1abc", "a:b", "a b", long65 };
        foreach (var k in bad)
        {
            string key = k;
            Refused(() => new LogItem(1, "m").Content(key, "v"), key, "content key \"" + Escape(key) + "\"");
            Refused(() => new LogItem(1, "m").Label(key, 1L), key, "label key \"" + Escape(key) + "\"");
        }
        Refused(() => new LogItem(1, "m").Content(null, 1.0), null, "a null content key");
        Refused(() => new LogItem(1, "m").Label(null, (object)"v"), null, "a null label key");
        // Refused, the item keeps what it had.
        var item = new LogItem(1, "m").Content("kept", "v");
        try { item.Content("a:b", "w"); } catch (LtsException) { }
        Check(item.Content("kept", "v2") == item, "an item is usable after a refused key");
    }

    /// <summary>Values liblts refuses (empty text, also from null; a double that is not finite)
    /// are refused when sent, as before.</summary>
    static void RefusedValues(ClientConfig cfg)
    {
        var cases = new List<KeyValuePair<string, LogItem>>
        {
            new KeyValuePair<string, LogItem>("an empty value", new LogItem(1, "m").Content("k", "")),
            new KeyValuePair<string, LogItem>("a null value", new LogItem(1, "m").Content("k", (string)null)),
            new KeyValuePair<string, LogItem>("a null object", new LogItem(1, "m").Content("k", (object)null)),
            new KeyValuePair<string, LogItem>("a NaN", new LogItem(1, "m").Content("k", double.NaN)),
            new KeyValuePair<string, LogItem>("an infinite label", new LogItem(1, "m").Label("k", double.PositiveInfinity)),
        };
        using (var producer = new Producer(new ProducerConfig()))
        {
            producer.AddClient(cfg);
            producer.Start();
            foreach (var c in cases)
            {
                try { producer.Send(Project, Unit, new List<LogItem> { c.Value }, null); Check(false, c.Key + " accepted"); }
                catch (LtsException e) { Check(e.Code == Result.InvalidValue, c.Key + " refused: " + e.Message); }
            }
            producer.SafeClose();
        }
    }
}
