package cn.ctyun.lts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;

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
        String xml = "<Configuration status=\"warn\">\n"
                + "  <Appenders>\n"
                + "    <Lts name=\"lts\" endpoint=\"" + server.url + "\" accessKey=\"lts-local-ak\" secretKey=\"lts-local-sk\"\n"
                + "         project=\"jproj\" unit=\"log4j2\" stopTimeoutMs=\"10000\">\n"
                + "      <Property name=\"producer.linger_ms\" value=\"600000\"/>\n"
                + "      <Property name=\"label.service\" value=\"api\"/>\n"
                + "    </Lts>\n"
                + "  </Appenders>\n"
                + "  <Loggers><Root level=\"info\"><AppenderRef ref=\"lts\"/></Root></Loggers>\n"
                + "</Configuration>\n";
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
}
