package cn.ctyun.lts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The Java binding against lts-local. */
class LtsTest {
    static final String AK = "lts-local-ak", SK = "lts-local-sk";
    static LocalServer server;

    @BeforeAll
    static void start() throws Exception { server = new LocalServer(); }

    @AfterAll
    static void stop() throws Exception { server.close(); }

    static ClientConfig config() { return new ClientConfig(server.url, AK, SK, "jproj"); }

    static LogItem item(String msg) {
        return new LogItem(LogItem.nowNs(), msg).putContent("level", "info").putContent("status", 200L)
                .putContent("latency_ms", 12.5).putLabel("user_tag", "string");
    }

    static void assertBalanced(Producer p) {
        String s = p.statsJson();
        long accepted = number(s, "logs_accepted"), sent = number(s, "logs_sent"), failed = number(s, "logs_failed");
        assertEquals(accepted, sent + failed, s);
        assertEquals(0, number(s, "buffered_bytes"), s);
    }

    static long number(String json, String key) {
        int i = json.indexOf("\"" + key + "\":") + key.length() + 3;
        int j = i;
        while (j < json.length() && (Character.isDigit(json.charAt(j)) || json.charAt(j) == '-')) j++;
        return Long.parseLong(json.substring(i, j));
    }

    @Test
    void putLogsRoundTripsEveryFieldAndReturnsTheAnswer() throws Exception {
        try (LogClient client = new LogClient(config())) {
            Response r = client.putLogs("jproj", "put", Arrays.asList(item("one"), item("two"), item("three")));
            assertTrue(r.ok(), r.toString());
            assertEquals("{\"statusCode\":0,\"message\":\"SUCCESS\",\"error\":\"\"}", r.toString());
        }
        String logs = server.logs("jproj", "put");
        assertEquals(3, LocalServer.count(logs, "\"origin_msg\":"), logs);
        for (String want : new String[] {"\"origin_msg\":\"one\"", "\"level\":\"info\"", "\"status\":200",
                "\"latency_ms\":12.5", "\"user_tag\":\"string\""}) {
            assertTrue(logs.contains(want), want + " in " + logs);
        }
    }

    @Test
    void aKeyPutAgainIsReplacedInPlaceAndEveryValueReadsBack() throws Exception {
        LogItem it = new LogItem(7, "中文 message").putContent("a", "first").putContent("b", 2L)
                .putContent("c", 0.5).putContent("a", "ünïcödé 值").putContent("b", 3.25).putLabel("t", "x")
                .putLabel("t", 9L);
        Map<String, Object> c = it.contents();
        assertEquals(Arrays.asList("a", "b", "c"), new ArrayList<>(c.keySet()));
        assertEquals("ünïcödé 值", c.get("a"));
        assertEquals(3.25, c.get("b"));
        assertEquals(0.5, c.get("c"));
        assertEquals(9L, it.labels().get("t"));
        assertEquals(1, it.labels().size());
        try (LogClient client = new LogClient(config())) {
            assertTrue(client.putLogs("jproj", "replaced", it).ok());
        }
        String logs = server.logs("jproj", "replaced");
        for (String want : new String[] {"\"origin_msg\":\"中文 message\"", "\"a\":\"ünïcödé 值\"", "\"b\":3.25",
                "\"c\":0.5", "\"t\":9"}) {
            assertTrue(logs.contains(want), want + " in " + logs);
        }
        assertTrue(!logs.contains("first"), logs);
    }

    @Test
    void aRefusedPutIsTheServicesAnswer() throws Exception {
        try (LocalServer restricted = new LocalServer("--project", "jproj=only");
             LogClient client = new LogClient(new ClientConfig(restricted.url, AK, SK, "jproj"))) {
            Response r = client.putLogs("jproj", "nope", item("x"));
            assertEquals("LTS_8011", r.error(), r.toString());
            assertTrue(!r.ok());
        }
    }

    @Test
    void eightThreadsEachCallbackExactlyOnce() throws Exception {
        final int threads = 8, sends = 250;
        AtomicIntegerArray hits = new AtomicIntegerArray(threads * sends);
        AtomicInteger logsOk = new AtomicInteger();
        Producer p = new Producer(new ProducerConfig().lingerMs(100));
        p.addClient(config());
        p.start();
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            final int tt = t;
            Thread th = new Thread(() -> {
                for (int s = 0; s < sends; s++) {
                    final int id = tt * sends + s;
                    p.send("jproj", "threads", Arrays.asList(item("t" + id), item("t" + id)), r -> {
                        if (r.ok()) logsOk.addAndGet((int) r.logCount());
                        hits.incrementAndGet(id);
                    });
                }
            });
            ts.add(th);
            th.start();
        }
        for (Thread th : ts) th.join();
        p.safeClose();
        for (int i = 0; i < threads * sends; i++) assertEquals(1, hits.get(i), "send " + i);
        assertEquals(threads * sends * 2, logsOk.get());
        assertBalanced(p);
        assertEquals(threads * sends * 2, number(p.statsJson(), "logs_sent"));
        p.close();
        assertEquals(threads * sends * 2, LocalServer.count(server.logs("jproj", "threads"), "\"origin_msg\":"));
    }

    @Test
    void badInputThrowsTheCoresMessage() {
        LtsException e = assertThrows(LtsException.class, () -> new LogItem().putContent("area:", "x"));
        assertEquals(LtsException.INVALID_KEY, e.code());
        assertEquals("LTS_ERR_INVALID_KEY", e.name());
        assertTrue(e.getMessage().contains("invalid content key \"area:\": ':' is not allowed"), e.getMessage());
        e = assertThrows(LtsException.class, () -> new LogItem().putContent(null, "x"));
        assertEquals(LtsException.INVALID_ARGUMENT, e.code());
        e = assertThrows(LtsException.class, () -> new LogItem().putLabel("k", (String) null));
        assertEquals(LtsException.INVALID_ARGUMENT, e.code());
        e = assertThrows(LtsException.class, () -> new LogItem().setTimestampNs(-5));
        assertEquals(LtsException.INVALID_VALUE, e.code());
        e = assertThrows(LtsException.class, () -> new ProducerConfig().set("linger_ms", "soon"));
        assertTrue(e.getMessage().contains("linger_ms"), e.getMessage());
        e = assertThrows(LtsException.class, () -> new ProducerConfig().set("no_such_option", "1"));
        assertTrue(e.getMessage().contains("no_such_option"), e.getMessage());
        Producer p = new Producer(new ProducerConfig());
        p.addClient(config());
        p.start();
        LogItem nan = new LogItem(1, "m").putContent("ratio", Double.NaN);
        e = assertThrows(LtsException.class, () -> p.send("jproj", "bad", nan, null));
        assertEquals(LtsException.INVALID_VALUE, e.code());
        assertTrue(e.getMessage().contains("not a finite number"), e.getMessage());
        e = assertThrows(LtsException.class, () -> p.send("jproj", "bad", new LogItem(), null));
        assertTrue(e.getMessage().contains("log item 0 has no timestamp"), e.getMessage());
        e = assertThrows(LtsException.class, () -> p.send(null, "bad", item("x"), null));
        assertEquals(LtsException.INVALID_ARGUMENT, e.code());
        e = assertThrows(LtsException.class, () -> p.send("jproj", "bad", Arrays.asList(item("x"), null), null));
        assertTrue(e.getMessage().contains("log item 1 is null"), e.getMessage());
        p.safeClose();
        assertBalanced(p);
        assertEquals(0, number(p.statsJson(), "logs_accepted"));
        p.close();
    }

    @Test
    void closeFromACallbackIsRefusedAndAThrowingCallbackIsCaught() throws Exception {
        Producer p = new Producer(new ProducerConfig().lingerMs(100));
        p.addClient(config());
        p.start();
        AtomicReference<String> refused = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(2);
        p.send("jproj", "cb", item("closes"), r -> {
            try {
                p.safeClose();
            } catch (LtsException e) {
                refused.set(e.name());
            }
            done.countDown();
        });
        p.send("jproj", "cb", item("throws"), r -> {
            done.countDown();
            throw new IllegalStateException("thrown by a callback on purpose");
        });
        assertTrue(done.await(30, TimeUnit.SECONDS));
        assertEquals("LTS_ERR_REENTRANT", refused.get());
        AtomicInteger after = new AtomicInteger();
        p.send("jproj", "cb", item("after"), r -> after.incrementAndGet());
        p.safeClose();
        assertEquals(1, after.get());
        assertBalanced(p);
        p.close();
        assertThrows(LtsException.class, () -> p.send("jproj", "cb", item("x"), null));
    }

    @Test
    void closeWithinATimeReportsWhatItCouldNotSend() throws Exception {
        server.post("/_lts/faults", "{\"stall\": true}");
        Producer p = new Producer(new ProducerConfig().lingerMs(100));
        try {
            p.addClient(config());
            p.start();
            AtomicReference<Result> got = new AtomicReference<>();
            p.send("jproj", "stalled", item("stalled"), got::set);
            LtsException e = assertThrows(LtsException.class, () -> p.close(Duration.ofMillis(300)));
            assertEquals(LtsException.TIMEOUT, e.code());
            assertEquals(LtsException.CLOSED, got.get().code());
            assertBalanced(p);
        } finally {
            server.post("/_lts/faults", "{\"stall\": false}");
            p.close();
        }
    }
}
