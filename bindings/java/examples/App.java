import cn.ctyun.lts.*;
public class App {
    public static void main(String[] args) {
        String endpoint = System.getenv().getOrDefault("LTS_ENDPOINT", "http://127.0.0.1:9480");
        ClientConfig cfg = new ClientConfig(endpoint, "lts-local-ak", "lts-local-sk", "my-project");
        try (Producer producer = new Producer(new ProducerConfig().lingerMs(500))) {
            producer.addClient(cfg); producer.start();
            for (int i = 0; i < 100; i++) {
                LogItem item = new LogItem(LogItem.nowNs(), "GET /api/orders/" + i + " 200")
                        .putContent("level", "info").putContent("status", 200L).putContent("latency_ms", 12.5);
                producer.send("my-project", "my-unit", item, r -> { if (!r.ok()) System.err.println(r); });
            }
        } // close(): everything is sent and every callback has run
    }
}
