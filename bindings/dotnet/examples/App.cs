using System;
using System.Collections.Generic;
using Lts;

static class App
{
    static void Main()
    {
        var endpoint = Environment.GetEnvironmentVariable("LTS_ENDPOINT") ?? "http://127.0.0.1:9480";
        using (var producer = new Producer(new ProducerConfig { LingerMs = 500 }))
        {
            producer.AddClient(new ClientConfig(endpoint, "lts-local-ak", "lts-local-sk", "my-project"));
            producer.Start();
            for (int i = 0; i < 100; i++)
            {
                var item = new LogItem(LogItem.NowNs(), "GET /api/orders/" + i + " 200")
                    .Content("level", "info").Content("status", 200L).Content("latency_ms", 12.5);
                producer.Send("my-project", "my-unit", new List<LogItem> { item },
                    r => { if (!r.Ok) Console.Error.WriteLine(r.Message); });
            }
            producer.SafeClose();
        }
    }
}
