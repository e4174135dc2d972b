package cn.ctyun.lts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Both appenders configured from their XML files, with context fields, an exception and a
 * label; their stop delivers everything (linger is long: only the stop can have sent them).
 */
class AppenderTest {
    static LocalServer server;

    @BeforeAll
    static void start() throws Exception { server = new LocalServer(); }

    @AfterAll
    static void stop() { server.close(); }

    static void assertShipped(String unit, String logger) throws Exception {
        String logs = server.logs("jproj", unit);
        assertEquals(2, LocalServer.count(logs, "\"origin_msg\":"), logs);
        for (String want : new String[] {"\"origin_msg\":\"paid 42\"", "\"origin_msg\":\"failed\"",
                "\"request_id\":\"r-42\"", "\"logger\":\"" + logger + "\"", "\"level\":\"INFO\"", "\"level\":\"ERROR\"",
                "\"thread\":\"" + Thread.currentThread().getName() + "\"", "java.lang.IllegalStateException: boom",
                "\"service\":\"api\""}) {
            assertTrue(logs.contains(want), want + " in " + logs);
        }
    }

    @Test
    void log4j2FromXml() throws Exception {
        String xml = log4j2Config("log4j2");
        File f = File.createTempFile("log4j2", ".xml");
        try {
            Files.write(f.toPath(), xml.getBytes(StandardCharsets.UTF_8));
            org.apache.logging.log4j.core.LoggerContext ctx =
                    org.apache.logging.log4j.core.config.Configurator.initialize("lts-test", null, f.toURI());
            assertNotNull(ctx.getConfiguration().getAppender("lts"), "the Lts plugin was found and built");
            org.apache.logging.log4j.Logger log = ctx.getLogger("app.log4j2");
            org.apache.logging.log4j.ThreadContext.put("request_id", "r-42");
            log.info("paid {}", 42);
            log.debug("below the level");
            log.error("failed", new IllegalStateException("boom"));
            org.apache.logging.log4j.ThreadContext.clearMap();
            org.apache.logging.log4j.core.config.Configurator.shutdown(ctx);
        } finally {
            f.delete();
        }
        assertShipped("log4j2", "app.log4j2");
    }

    static String log4j2Config(String unit) {
        return "<Configuration status=\"warn\">\n"
                + "  <Appenders>\n"
                + "    <Lts name=\"lts\" endpoint=\"" + server.url + "\" accessKey=\"lts-local-ak\" secretKey=\"lts-local-sk\"\n"
                + "         project=\"jproj\" unit=\"" + unit + "\" stopTimeoutMs=\"10000\">\n"
                + "      <Property name=\"producer.linger_ms\" value=\"600000\"/>\n"
                + "      <Property name=\"label.service\" value=\"api\"/>\n"
                + "    </Lts>\n"
                + "  </Appenders>\n"
                + "  <Loggers><Root level=\"info\"><AppenderRef ref=\"lts\"/></Root></Loggers>\n"
                + "</Configuration>\n";
    }

    /** While the Log4j2 appender runs, liblts's lines go to its context's logger cn.ctyun.lts
     *  (and are not shipped by the appender); after it stops, to java.util.logging again. */
    @Test
    void log4j2GetsTheLibrarysLinesWhileItsAppenderRuns() throws Exception {
        File f = File.createTempFile("log4j2", ".xml");
        List<org.apache.logging.log4j.core.LogEvent> events = new ArrayList<>();
        CountDownLatch got = new CountDownLatch(1);
        try {
            Files.write(f.toPath(), log4j2Config("log4j2-lines").getBytes(StandardCharsets.UTF_8));
            org.apache.logging.log4j.core.LoggerContext ctx =
                    org.apache.logging.log4j.core.config.Configurator.initialize("lts-lines", null, f.toURI());
            org.apache.logging.log4j.core.appender.AbstractAppender capture =
                    new org.apache.logging.log4j.core.appender.AbstractAppender("capture", null, null, true,
                            org.apache.logging.log4j.core.config.Property.EMPTY_ARRAY) {
                @Override
                public void append(org.apache.logging.log4j.core.LogEvent e) {
                    synchronized (events) { events.add(e.toImmutable()); }
                    if (e.getMessage().getFormattedMessage().contains("buffer")) got.countDown();
                }
            };
            capture.start();
            ctx.getLogger(Log.LOGGER_NAME).addAppender(capture);
            assertTrue(Log.handler() != Log.JAVA_UTIL_LOGGING, "the running appender routes the lines");
            LogTest.refuseASendForAFullBuffer(server);
            assertTrue(got.await(10, TimeUnit.SECONDS), "no full-buffer line reached Log4j2: " + events);
            synchronized (events) {
                org.apache.logging.log4j.core.LogEvent e = events.get(0);
                assertEquals(org.apache.logging.log4j.Level.WARN, e.getLevel());
                assertEquals(Log.LOGGER_NAME, e.getLoggerName());
            }
            ctx.getLogger("app.lines").info("an application record");
            org.apache.logging.log4j.core.config.Configurator.shutdown(ctx);
        } finally {
            f.delete();
        }
        assertStoppedAndShippedOnlyTheApplicationsRecord("log4j2-lines");
    }

    static void assertStoppedAndShippedOnlyTheApplicationsRecord(String unit) throws Exception {
        assertSame(Log.JAVA_UTIL_LOGGING, Log.handler(), "back to java.util.logging once the appender stopped");
        String shipped = server.logs("jproj", unit);
        assertEquals(1, LocalServer.count(shipped, "\"origin_msg\":"), "only the application's record is shipped: " + shipped);
    }

    /** The same for Logback: its context's logger cn.ctyun.lts, while the appender runs. */
    @Test
    void logbackGetsTheLibrarysLinesWhileItsAppenderRuns() throws Exception {
        ch.qos.logback.classic.LoggerContext ctx = new ch.qos.logback.classic.LoggerContext();
        cn.ctyun.lts.logback.LtsAppender a = new cn.ctyun.lts.logback.LtsAppender();
        a.setContext(ctx);
        a.setName("lts");
        a.setEndpoint(server.url);
        a.setAccessKey("lts-local-ak");
        a.setSecretKey("lts-local-sk");
        a.setProject("jproj");
        a.setUnit("logback-lines");
        a.addProducerOption("linger_ms=600000");
        a.start();
        ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).addAppender(a);
        CountDownLatch got = new CountDownLatch(1);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> capture =
                new ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent>() {
            @Override
            protected void append(ch.qos.logback.classic.spi.ILoggingEvent e) {
                super.append(e);
                if (e.getFormattedMessage().contains("buffer")) got.countDown();
            }
        };
        capture.setContext(ctx);
        capture.start();
        ctx.getLogger(Log.LOGGER_NAME).addAppender(capture);
        LogTest.refuseASendForAFullBuffer(server);
        assertTrue(got.await(10, TimeUnit.SECONDS), "no full-buffer line reached Logback: " + capture.list);
        ch.qos.logback.classic.spi.ILoggingEvent e = capture.list.get(0);
        assertEquals(ch.qos.logback.classic.Level.WARN, e.getLevel());
        assertEquals(Log.LOGGER_NAME, e.getLoggerName());
        ctx.getLogger("app.lines").info("an application record");
        ctx.stop();
        assertStoppedAndShippedOnlyTheApplicationsRecord("logback-lines");
    }

    @Test
    void aFullBufferDropsAndReportsWithoutThrowingOrWaiting() throws Exception {
        server.post("/_lts/faults", "{\"stall\": true}");
        ch.qos.logback.classic.LoggerContext ctx = new ch.qos.logback.classic.LoggerContext();
        cn.ctyun.lts.logback.LtsAppender a = new cn.ctyun.lts.logback.LtsAppender();
        long dropped;
        try {
            a.setContext(ctx);
            a.setName("full");
            a.setEndpoint(server.url);
            a.setAccessKey("lts-local-ak");
            a.setSecretKey("lts-local-sk");
            a.setProject("jproj");
            a.setUnit("full");
            a.addProducerOption("linger_ms=100");
            a.addProducerOption("buffer_bytes=1048576");
            a.addProducerOption("max_block_ms=0");
            a.start();
            assertTrue(a.isStarted(), ctx.getStatusManager().getCopyOfStatusList().toString());
            ch.qos.logback.classic.Logger log = ctx.getLogger("app.full");
            log.addAppender(a);
            StringBuilder big = new StringBuilder();
            for (int i = 0; i < 100_000; i++) big.append('x');
            for (int i = 0; i < 40; i++) log.info(big.toString()); // 4 MB into a 1 MiB buffer: never throws
            dropped = a.droppedRecords();
            assertTrue(dropped > 0, "a 1 MiB buffer cannot take 4 MB against a stalled server");
            assertTrue(ctx.getStatusManager().getCopyOfStatusList().stream()
                    .anyMatch(st -> st.getMessage().contains("LTS_ERR_BUFFER_FULL")));
        } finally {
            server.post("/_lts/faults", "{\"stall\": false}");
        }
        a.stop();
        assertEquals(40 - dropped, LocalServer.count(server.logs("jproj", "full"), "\"origin_msg\":"));
    }

    @Test
    void logbackFromXml() throws Exception {
        String xml = "<configuration>\n"
                + "  <appender name=\"lts\" class=\"cn.ctyun.lts.logback.LtsAppender\">\n"
                + "    <endpoint>" + server.url + "</endpoint>\n"
                + "    <accessKey>lts-local-ak</accessKey>\n"
                + "    <secretKey>lts-local-sk</secretKey>\n"
                + "    <project>jproj</project>\n"
                + "    <unit>logback</unit>\n"
                + "    <producerOption>linger_ms=600000</producerOption>\n"
                + "    <label>service=api</label>\n"
                + "  </appender>\n"
                + "  <root level=\"INFO\"><appender-ref ref=\"lts\"/></root>\n"
                + "</configuration>\n";
        ch.qos.logback.classic.LoggerContext ctx = new ch.qos.logback.classic.LoggerContext();
        ch.qos.logback.classic.joran.JoranConfigurator jc = new ch.qos.logback.classic.joran.JoranConfigurator();
        jc.setContext(ctx);
        jc.doConfigure(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
        assertTrue(ctx.getStatusManager().getCopyOfStatusList().stream().noneMatch(s -> s.getLevel() >= 2),
                ctx.getStatusManager().getCopyOfStatusList().toString());
        ch.qos.logback.classic.Logger log = ctx.getLogger("app.logback");
        org.slf4j.MDC.put("request_id", "r-42");
        log.info("paid {}", 42);
        log.debug("below the level");
        log.error("failed", new IllegalStateException("boom"));
        org.slf4j.MDC.clear();
        ctx.stop();
        assertShipped("logback", "app.logback");
    }

    /**
     * The record the appenders write straight into the send buffer: a context key naming a
     * fixed field replaces that value in its place (the fields after it move intact), a key the
     * rules refuse and an empty value are left out (the key counted), and a record shipped from
     * inside another's context (a value's toString logging) is written apart from it.
     */
    @Test
    void theShippersRecordKeepsEveryFieldAndLeavesOutOnlyWhatIsRefused() throws Exception {
        Map<String, String> options = new LinkedHashMap<>(), labels = new LinkedHashMap<>();
        options.put("linger_ms", "600000");
        labels.put("service", "api");
        Shipper s = new Shipper(new ClientConfig(server.url, "lts-local-ak", "lts-local-sk", "jproj"), "shipper",
                options, labels);
        Map<String, String> context = new LinkedHashMap<>();
        context.put("request_id", "r-1");
        context.put("logger", "from-context");
        context.put("area:", "refused");
        context.put("empty", "");
        assertNull(s.ship(1_700_000_000_000_000_000L, "first", "INFO", "app.shipper", "main-x", context,
                "java.lang.IllegalStateException: boom"));
        context.put("logger", "a much longer logger name, given by the context this time");
        assertNull(s.ship(1_700_000_000_000_000_001L, "second", "WARN", "app.shipper", "main-x", context, null));
        Object logsWhenPrinted = new Object() {
            @Override
            public String toString() {
                assertNull(s.ship(1_700_000_000_000_000_002L, "inner", "DEBUG", "app.inner", "main-x", null, null));
                return "printed";
            }
        };
        assertNull(s.ship(1_700_000_000_000_000_003L, "outer", "INFO", "app.outer", "main-x", logsWhenPrinted,
                (Object o, Record into) -> into.put("nested", o), null));
        assertEquals(2, s.skippedFields(), "the refused key, once per record that had it");
        assertEquals(0, s.dropped());
        assertNull(s.stop(Duration.ofSeconds(10)));
        String logs = server.logs("jproj", "shipper");
        assertEquals(4, LocalServer.count(logs, "\"origin_msg\":"), logs);
        for (String want : new String[] {"\"origin_msg\":\"first\"", "\"origin_msg\":\"second\"",
                "\"origin_msg\":\"inner\"", "\"origin_msg\":\"outer\"", "\"logger\":\"from-context\"",
                "\"logger\":\"a much longer logger name, given by the context this time\"", "\"logger\":\"app.inner\"",
                "\"logger\":\"app.outer\"", "\"nested\":\"printed\"", "\"level\":\"WARN\"", "\"level\":\"DEBUG\"",
                "\"exception\":\"java.lang.IllegalStateException: boom\"", "\"request_id\":\"r-1\""}) {
            assertTrue(logs.contains(want), want + " in " + logs);
        }
        // Every content in its order: the fixed ones, then the context's (a replaced value in its place).
        for (String order : new String[] {
                "\"level\":\\s*\"INFO\",\\s*\"logger\":\\s*\"from-context\",\\s*\"thread\":\\s*\"main-x\",\\s*"
                        + "\"exception\":\\s*\"java.lang.IllegalStateException: boom\",\\s*\"request_id\":\\s*\"r-1\"\\s*}",
                "\"level\":\\s*\"WARN\",\\s*\"logger\":\\s*\"a much longer logger name, given by the context this time\","
                        + "\\s*\"thread\":\\s*\"main-x\",\\s*\"request_id\":\\s*\"r-1\"\\s*}"}) {
            assertTrue(java.util.regex.Pattern.compile(order).matcher(logs).find(), order + " in " + logs);
        }
        assertEquals(4, LocalServer.count(logs, "\"thread\":\"main-x\""), logs);
        assertEquals(4, LocalServer.count(logs, "\"service\":\"api\""), logs);
        assertEquals(2, LocalServer.count(logs, "\"request_id\":\"r-1\""), logs);
        for (String not : new String[] {"app.shipper", "area:", "refused", "\"empty\""}) {
            assertFalse(logs.contains(not), not + " in " + logs);
        }
    }
}
