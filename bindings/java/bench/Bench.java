import java.io.File;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Arrays;

import cn.ctyun.lts.ClientConfig;
import cn.ctyun.lts.LogItem;
import cn.ctyun.lts.Producer;
import cn.ctyun.lts.ProducerConfig;

/**
 * Logs/s and CPU per log from Java into LTS_ENDPOINT (lts-local --sink): the producer with a
 * fresh LogItem of the `wide` shape per send; Log4j2 through the Lts appender; Log4j2 through
 * its own FileAppender on the same records. A warm-up run, then the median of 3; one side per
 * JVM (the argument).
 *
 *   java -cp ... Bench producer|log4j2-lts|log4j2-file N
 */
public class Bench {
    static String endpoint = System.getenv().getOrDefault("LTS_ENDPOINT", "http://127.0.0.1:9480");

    static long cpuNs() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    static String msg(int i) {
        return String.format("GET /api/v1/orders/%08d HTTP/1.1 200 1532 0.012 \"Mozilla/5.0 (X11; Linux x86_64)\"", i);
    }

    static void producer(int n) {
        Producer p = new Producer(new ProducerConfig());
        p.addClient(new ClientConfig(endpoint, "lts-local-ak", "lts-local-sk", "bench"));
        p.start();
        for (int i = 0; i < n; i++) {
            LogItem it = new LogItem(LogItem.nowNs(), msg(i))
                    .putContent("level", "info").putContent("host", "web-" + (i % 16) + ".prod.example")
                    .putContent("method", "GET").putContent("path", "/api/v1/orders/" + i)
                    .putContent("status", 200L).putContent("latency_ms", 12.5 + (i % 7))
                    .putContent("trace_id", Long.toHexString(i * 2654435761L) + "0000000000000000")
                    .putContent("user_agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36")
                    .putLabel("user_tag", "string");
            p.send("bench", "unit", it, null);
        }
        p.close();
    }

    static org.apache.logging.log4j.core.LoggerContext log4j2(String appender, File dir) throws Exception {
        String a = appender.equals("lts")
                ? "<Lts name=\"out\" endpoint=\"" + endpoint + "\" accessKey=\"lts-local-ak\" secretKey=\"lts-local-sk\""
                  + " project=\"bench\" unit=\"unit\" stopTimeoutMs=\"60000\"/>"
                : "<File name=\"out\" fileName=\"" + new File(dir, "app.log") + "\" immediateFlush=\"false\">"
                  + "<PatternLayout pattern=\"%d %p %c [%t] %m order=%X{order} host=%X{host} latency_ms=%X{latency_ms}%n\"/></File>";
        String xml = "<Configuration status=\"warn\"><Appenders>" + a + "</Appenders>"
                + "<Loggers><Root level=\"info\"><AppenderRef ref=\"out\"/></Root></Loggers></Configuration>";
        File f = new File(dir, "log4j2.xml");
        Files.write(f.toPath(), xml.getBytes(StandardCharsets.UTF_8));
        return org.apache.logging.log4j.core.config.Configurator.initialize("bench-" + System.nanoTime(), null, f.toURI());
    }

    static void viaLog4j2(String appender, int n) throws Exception {
        File dir = Files.createTempDirectory("bench").toFile();
        org.apache.logging.log4j.core.LoggerContext ctx = log4j2(appender, dir);
        org.apache.logging.log4j.Logger log = ctx.getLogger("app.bench");
        for (int i = 0; i < n; i++) {
            org.apache.logging.log4j.ThreadContext.put("order", Integer.toString(i));
            org.apache.logging.log4j.ThreadContext.put("host", "web-" + (i % 16) + ".prod.example");
            org.apache.logging.log4j.ThreadContext.put("latency_ms", Double.toString(12.5 + (i % 7)));
            log.info(msg(i));
        }
        org.apache.logging.log4j.ThreadContext.clearMap();
        org.apache.logging.log4j.core.config.Configurator.shutdown(ctx);
        for (File f : dir.listFiles()) f.delete();
        dir.delete();
    }

    static void run(String side, int n) throws Exception {
        switch (side) {
            case "producer": producer(n); break;
            case "log4j2-lts": viaLog4j2("lts", n); break;
            case "log4j2-file": viaLog4j2("file", n); break;
            default: throw new IllegalArgumentException(side);
        }
    }

    public static void main(String[] args) throws Exception {
        String side = args[0];
        int n = Integer.parseInt(args[1]);
        run(side, Math.max(1, n / 10)); // warm-up (the JIT, the caches)
        double[] rate = new double[3], cpu = new double[3];
        for (int r = 0; r < 3; r++) {
            long c0 = cpuNs(), t0 = System.nanoTime();
            run(side, n);
            long t = System.nanoTime() - t0, c = cpuNs() - c0;
            rate[r] = n / (t / 1e9);
            cpu[r] = (double) c / n;
        }
        Arrays.sort(rate);
        Arrays.sort(cpu);
        System.out.printf("%s: %,.0f logs/s, %,.0f ns CPU per log (median of 3 runs of %,d)%n", side, rate[1], cpu[1], n);
    }
}
