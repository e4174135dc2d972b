package cn.ctyun.lts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** liblts's own lines reach java.util.logging by default, and any Log.Handler once set. */
class LogTest {
    static LocalServer server;

    @BeforeAll
    static void start() throws Exception { server = new LocalServer(); }

    @AfterAll
    static void stop() { server.close(); }

    /** A producer whose 2 KiB buffer fills against the stalled server: liblts logs (WARN) that
     *  a send was refused for a full buffer. Returns once the send was refused. */
    static void refuseASendForAFullBuffer(LocalServer server) throws Exception {
        server.post("/_lts/faults", "{\"stall\": true}");
        Producer p = new Producer(new ProducerConfig().lingerMs(100).bufferBytes(2048).set("batch_size_bytes", 2048));
        try {
            p.addClient(new ClientConfig(server.url, "lts-local-ak", "lts-local-sk", "jproj"));
            p.start();
            StringBuilder x = new StringBuilder();
            for (int i = 0; i < 100; i++) x.append('x');
            boolean refused = false;
            for (int i = 0; i < 200 && !refused; i++) {
                try {
                    p.send("jproj", "lines-full", new LogItem(LogItem.nowNs(), x.toString()), null);
                } catch (LtsException e) {
                    assertEquals(LtsException.BUFFER_FULL, e.code(), e.getMessage());
                    refused = true;
                }
            }
            assertTrue(refused, "200 sends of 100 bytes into a 2 KiB buffer against a stalled server");
        } finally {
            server.post("/_lts/faults", "{\"stall\": false}");
            p.close(); // sends what it holds, now that the server answers
        }
    }

    @Test
    void aFullBufferLineReachesJavaUtilLoggingByDefault() throws Exception {
        assertSame(Log.JAVA_UTIL_LOGGING, Log.handler(), "java.util.logging is the default");
        List<LogRecord> records = new ArrayList<>();
        CountDownLatch got = new CountDownLatch(1);
        Handler capture = new Handler() {
            @Override public void publish(LogRecord r) {
                synchronized (records) { records.add(r); }
                if (r.getMessage().contains("buffer")) got.countDown();
            }
            @Override public void flush() {}
            @Override public void close() {}
        };
        Logger jul = Logger.getLogger(Log.LOGGER_NAME);
        jul.addHandler(capture);
        try {
            refuseASendForAFullBuffer(server);
            assertTrue(got.await(10, TimeUnit.SECONDS), "no full-buffer line reached java.util.logging: " + records);
            synchronized (records) {
                LogRecord r = records.stream().filter(x -> x.getMessage().contains("buffer")).findFirst().get();
                assertEquals(java.util.logging.Level.WARNING, r.getLevel());
                assertEquals(Log.LOGGER_NAME, r.getLoggerName());
                assertTrue(r.getMessage().contains("a send was refused"), r.getMessage());
            }
        } finally {
            jul.removeHandler(capture);
        }
    }

    @Test
    void aFailedDeliveryReachesTheHandlerSetAndNullGoesBackToStderr() throws Exception {
        List<String> lines = new ArrayList<>();
        CountDownLatch failed = new CountDownLatch(1);
        Log.Handler mine = (level, message) -> {
            synchronized (lines) { lines.add(level + " " + message); }
            if (level == Log.ERROR && message.contains("failed after 1 attempt")) failed.countDown();
        };
        try {
            Log.setHandler(mine);
            assertSame(mine, Log.handler());
            // lts-local answers the next put with 503, a status the client may not retry.
            server.post("/_lts/faults", "{\"fail_next\": 1, \"fail_status\": 503}");
            try (Producer p = new Producer(new ProducerConfig().lingerMs(100))) {
                p.addClient(new ClientConfig(server.url, "lts-local-ak", "lts-local-sk", "jproj").set("no_retry_status_code", "503"));
                p.start();
                p.send("jproj", "lines-failed", new LogItem(LogItem.nowNs(), "refused by the server"), null);
                assertTrue(failed.await(30, TimeUnit.SECONDS), "no failed-delivery line reached the handler: " + lines);
            }
            Log.setHandler(null);
            assertEquals(null, Log.handler());
            int before;
            synchronized (lines) { before = lines.size(); }
            refuseASendForAFullBuffer(server); // its line goes to stderr now, not to `mine`
            synchronized (lines) { assertEquals(before, lines.size(), "a line reached the handler after setHandler(null): " + lines); }
            Log.unsetHandler(mine); // not the handler: nothing changes
            assertEquals(null, Log.handler());
        } finally {
            Log.setHandler(Log.JAVA_UTIL_LOGGING);
        }
    }
}
