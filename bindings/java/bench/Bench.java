import java.io.File;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import cn.ctyun.lts.ClientConfig;
import cn.ctyun.lts.LogItem;
import cn.ctyun.lts.Producer;
import cn.ctyun.lts.ProducerConfig;

/**
 * One side of the benchmark suite's Java rows (scripts/bench-java.sh runs it; scripts/bench.py
 * reads its key=value lines):
 *
 *   java -cp ... Bench SIDE ENDPOINT LOGS PER_SEND RATE
 *
 * SIDE: producer (a fresh `wide` LogItem per log, Producer.send of PER_SEND logs, no callback);
 * log4j2-lts / log4j2-file, logback-lts / logback-file (logger.info of the log's message with 3
 * context fields, through the Lts appender or the framework's own file appender);
 * log4j2-null / logback-null (the same through the framework's appender that does nothing:
 * what the framework itself costs). RATE 0: a
 * burst, as fast as the loop goes; else paced at RATE logs/s in bursts of 100. First a warm-up
 * of its own (a burst; the JIT compiles the loop), then the measured run: from building the
 * producer or the framework's context to its close, the process's CPU time (every thread: the
 * JIT and the GC included) per log, and the main thread's.
 */
public class Bench {
    static final String UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36";
    static final char[] HEX = "0123456789abcdef".toCharArray();
    static String endpoint;

    static long cpuNs() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    // The shape's strings, made the way a program makes them (shared/bench-shapes.md `wide`).
    static String pad(long v, int width) {
        char[] c = new char[width];
        for (int k = width - 1; k >= 0; k--, v /= 10) c[k] = (char) ('0' + v % 10);
        return new String(c);
    }

    static String msg(long i) {
        return "GET /api/v1/orders/" + pad(i, 8) + " HTTP/1.1 200 1532 0.012 \"Mozilla/5.0 (X11; Linux x86_64)\"";
    }

    static String host(long i) { return "web-" + pad(i % 16, 2) + ".prod.example"; }

    static String path(long i) { return "/api/v1/orders/" + pad(i, 8); }

    /** 32 hex digits of (i * 2654435761) mod 2^128 (it fits 64 bits for every i used). */
    static String trace(long i) {
        long v = i * 2654435761L;
        char[] c = new char[32];
        for (int k = 0; k < 16; k++) c[k] = '0';
        for (int k = 31; k >= 16; k--, v >>>= 4) c[k] = HEX[(int) (v & 15)];
        return new String(c);
    }

    static LogItem wide(long i) {
        return new LogItem(LogItem.nowNs(), msg(i))
                .putContent("level", "info").putContent("host", host(i))
                .putContent("method", "GET").putContent("path", path(i))
                .putContent("status", 200L).putContent("latency_ms", 12.5 + (i % 7))
                .putContent("trace_id", trace(i))
                .putContent("user_agent", UA)
                .putLabel("user_tag", "string");
    }

    /** What a side does per log (or per PER_SEND logs), and how it starts and stops. */
    interface Side {
        void start() throws Exception;

        void log(long i);

        /** Closes; returns how many logs the library reports sent (-1: not a producer). */
        long finish() throws Exception;
    }

    static final class ProducerSide implements Side {
        final int perSend;
        Producer p;
        List<LogItem> batch;

        ProducerSide(int perSend) { this.perSend = perSend; }

        public void start() {
            p = new Producer(new ProducerConfig());
            p.addClient(new ClientConfig(endpoint, "lts-local-ak", "lts-local-sk", "bench"));
            p.start();
            batch = new ArrayList<>(perSend);
        }

        public void log(long i) {
            if (perSend == 1) {
                p.send("bench", "unit", wide(i), null);
                return;
            }
            batch.add(wide(i));
            if (batch.size() == perSend) {
                p.send("bench", "unit", batch, null);
                batch = new ArrayList<>(perSend);
            }
        }

        public long finish() {
            if (!batch.isEmpty()) p.send("bench", "unit", batch, null);
            p.safeClose();
            String stats = p.statsJson();
            p.close();
            Matcher m = Pattern.compile("\"logs_sent\":(\\d+)").matcher(stats);
            return m.find() ? Long.parseLong(m.group(1)) : -2;
        }
    }

    static final class Log4j2Side implements Side {
        final String appender;
        File dir;
        org.apache.logging.log4j.core.LoggerContext ctx;
        org.apache.logging.log4j.Logger log;

        Log4j2Side(String appender) { this.appender = appender; }

        public void start() throws Exception {
            dir = Files.createTempDirectory("bench").toFile();
            String a = appender.equals("lts")
                    ? "<Lts name=\"out\" endpoint=\"" + endpoint + "\" accessKey=\"lts-local-ak\" secretKey=\"lts-local-sk\""
                      + " project=\"bench\" unit=\"unit\" stopTimeoutMs=\"60000\"/>"
                    : appender.equals("null") ? "<Null name=\"out\"/>"
                    : "<File name=\"out\" fileName=\"" + new File(dir, "app.log") + "\" immediateFlush=\"false\">"
                      + "<PatternLayout pattern=\"%d %p %c [%t] %m order=%X{order} host=%X{host} latency_ms=%X{latency_ms}%n\"/></File>";
            String xml = "<Configuration status=\"warn\"><Appenders>" + a + "</Appenders>"
                    + "<Loggers><Root level=\"info\"><AppenderRef ref=\"out\"/></Root></Loggers></Configuration>";
            File f = new File(dir, "log4j2.xml");
            Files.write(f.toPath(), xml.getBytes(StandardCharsets.UTF_8));
            ctx = org.apache.logging.log4j.core.config.Configurator.initialize("bench-" + System.nanoTime(), null, f.toURI());
            log = ctx.getLogger("app.bench");
        }

        public void log(long i) {
            org.apache.logging.log4j.ThreadContext.put("order", Long.toString(i));
            org.apache.logging.log4j.ThreadContext.put("host", host(i));
            org.apache.logging.log4j.ThreadContext.put("latency_ms", Double.toString(12.5 + (i % 7)));
            log.info(msg(i));
        }

        public long finish() {
            org.apache.logging.log4j.ThreadContext.clearMap();
            org.apache.logging.log4j.core.config.Configurator.shutdown(ctx);
            deleteAll(dir);
            return -1;
        }
    }

    static final class LogbackSide implements Side {
        final String appender;
        File dir;
        ch.qos.logback.classic.LoggerContext ctx;
        org.slf4j.Logger log;

        LogbackSide(String appender) { this.appender = appender; }

        public void start() throws Exception {
            dir = Files.createTempDirectory("bench").toFile();
            String a = appender.equals("null")
                    ? "<appender name=\"out\" class=\"ch.qos.logback.core.helpers.NOPAppender\"/>"
                    : appender.equals("lts")
                    ? "<appender name=\"out\" class=\"cn.ctyun.lts.logback.LtsAppender\"><endpoint>" + endpoint + "</endpoint>"
                      + "<accessKey>lts-local-ak</accessKey><secretKey>lts-local-sk</secretKey><project>bench</project>"
                      + "<unit>unit</unit><stopTimeoutMs>60000</stopTimeoutMs></appender>"
                    : "<appender name=\"out\" class=\"ch.qos.logback.core.FileAppender\"><file>" + new File(dir, "app.log")
                      + "</file><immediateFlush>false</immediateFlush><encoder><pattern>%d %p %c [%t] %m order=%X{order}"
                      + " host=%X{host} latency_ms=%X{latency_ms}%n</pattern></encoder></appender>";
            String xml = "<configuration>" + a + "<root level=\"info\"><appender-ref ref=\"out\"/></root></configuration>";
            ctx = new ch.qos.logback.classic.LoggerContext();
            ch.qos.logback.classic.joran.JoranConfigurator jc = new ch.qos.logback.classic.joran.JoranConfigurator();
            jc.setContext(ctx);
            jc.doConfigure(new java.io.ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
            log = ctx.getLogger("app.bench");
        }

        public void log(long i) {
            org.slf4j.MDC.put("order", Long.toString(i));
            org.slf4j.MDC.put("host", host(i));
            org.slf4j.MDC.put("latency_ms", Double.toString(12.5 + (i % 7)));
            log.info(msg(i));
        }

        public long finish() {
            org.slf4j.MDC.clear();
            ctx.stop();
            deleteAll(dir);
            return -1;
        }
    }

    static void deleteAll(File dir) {
        File[] files = dir.listFiles();
        if (files != null) for (File f : files) f.delete();
        dir.delete();
    }

    static Side side(String name, int perSend) {
        switch (name) {
            case "producer": return new ProducerSide(perSend);
            case "log4j2-lts": return new Log4j2Side("lts");
            case "log4j2-file": return new Log4j2Side("file");
            case "log4j2-null": return new Log4j2Side("null");
            case "logback-lts": return new LogbackSide("lts");
            case "logback-file": return new LogbackSide("file");
            case "logback-null": return new LogbackSide("null");
            default: throw new IllegalArgumentException("unknown side " + name);
        }
    }

    /** One run: returns {wall ns, process CPU ns, main-thread CPU ns, logs reported sent}. */
    static long[] run(Side s, long logs, int perSend, double rate) throws Exception {
        long c0 = cpuNs(), m0 = THREADS.getCurrentThreadCpuTime(), t0 = System.nanoTime();
        s.start();
        for (long i = 0; i < logs; i++) {
            if (rate > 0 && i % 100 == 0) {
                long due = t0 + (long) (i / rate * 1e9);
                for (long now; (now = System.nanoTime()) < due; ) LockSupport.parkNanos(due - now);
            }
            s.log(i);
        }
        long sent = s.finish();
        return new long[] {System.nanoTime() - t0, cpuNs() - c0, THREADS.getCurrentThreadCpuTime() - m0, sent};
    }

    public static void main(String[] args) throws Exception {
        String name = args[0];
        endpoint = args[1];
        long logs = Long.parseLong(args[2]);
        int perSend = Integer.parseInt(args[3]);
        double rate = Double.parseDouble(args[4]);
        boolean toLts = !name.endsWith("-file") && !name.endsWith("-null");

        // The program's own formatting of a log's data, alone (the C benchmark's format_ns_per_log).
        long f0 = THREADS.getCurrentThreadCpuTime(), sink = 0;
        for (long i = 0; i < 200_000; i++) sink += msg(i).length() + host(i).length() + path(i).length() + trace(i).length();
        double formatNs = (THREADS.getCurrentThreadCpuTime() - f0) / 200_000.0;

        long warm = Math.min(logs, 200_000);
        long[] w = run(side(name, perSend), warm, perSend, 0);
        long[] r = run(side(name, perSend), logs, perSend, rate);
        if (r[3] != -1 && (w[3] != warm || r[3] != logs)) {
            System.err.println(name + ": the producer reports " + w[3] + " + " + r[3] + " logs sent, not " + warm + " + " + logs);
            System.exit(1);
        }
        // The appenders' logs are counted by the server (scripts/bench.py checks sent_logs).
        System.out.printf("%s, %d per send%s: %,.0f logs/s, %,.0f ns CPU per log (main thread %,.0f)%n", name, perSend,
                rate > 0 ? ", paced" : "", logs / (r[0] / 1e9), (double) r[1] / logs, (double) r[2] / logs);
        System.out.printf("logs=%d%nsent_logs=%d%nlogs_per_s=%.0f%ncpu_ns_per_log=%.1f%nmain_ns_per_log=%.1f%n"
                + "format_ns_per_log=%.1f%nignore=%d%n", logs, toLts ? warm + logs : 0, logs / (r[0] / 1e9),
                (double) r[1] / logs, (double) r[2] / logs, formatNs, sink % 2);
    }
}
