package cn.ctyun.lts.logback;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.Layout;
import ch.qos.logback.core.UnsynchronizedAppenderBase;

import cn.ctyun.lts.ClientConfig;
import cn.ctyun.lts.Log;
import cn.ctyun.lts.LtsException;
import cn.ctyun.lts.Shipper;

/**
 * Logback into LTS, on liblts's producer: {@code <appender name="lts"
 * class="cn.ctyun.lts.logback.LtsAppender">} with {@code <endpoint>}, {@code <accessKey>},
 * {@code <secretKey>}, {@code <project>}, {@code <unit>}, and any number of
 * {@code <producerOption>linger_ms=500</producerOption>}, {@code <clientOption>KEY=VALUE</clientOption>}
 * and {@code <label>KEY=VALUE</label>}; an optional {@code <layout>} makes the origin message
 * (else the formatted message). Level, logger, thread, the MDC and the exception's stack trace
 * are contents. {@code append} never throws and never waits longer than
 * {@code max_block_ms} (default 0); {@code <stopTimeoutMs>} (5000) bounds the flush at stop.
 * While it runs, liblts's own lines go to the logger {@code cn.ctyun.lts} of its
 * LoggerContext (see {@link Log}).
 */
public class LtsAppender extends UnsynchronizedAppenderBase<ILoggingEvent> {
    private String endpoint, accessKey, secretKey, project, unit;
    private long stopTimeoutMs = 5000;
    private final Map<String, String> producerOptions = new LinkedHashMap<>(), clientOptions = new LinkedHashMap<>(),
            labels = new LinkedHashMap<>();
    private Layout<ILoggingEvent> layout;
    private volatile Shipper shipper;
    private volatile long dropped;
    private Log.Handler lines;

    public void setEndpoint(String v) { endpoint = v; }
    public void setAccessKey(String v) { accessKey = v; }
    public void setSecretKey(String v) { secretKey = v; }
    public void setProject(String v) { project = v; }
    public void setUnit(String v) { unit = v; }
    public void setStopTimeoutMs(long v) { stopTimeoutMs = v; }
    public void setLayout(Layout<ILoggingEvent> v) { layout = v; }
    public void addProducerOption(String kv) { put(producerOptions, kv, "producerOption"); }
    public void addClientOption(String kv) { put(clientOptions, kv, "clientOption"); }
    public void addLabel(String kv) { put(labels, kv, "label"); }

    private void put(Map<String, String> into, String kv, String what) {
        int eq = kv.indexOf('=');
        if (eq <= 0) {
            addError(what + " \"" + kv + "\" is not KEY=VALUE");
            return;
        }
        into.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
    }

    @Override
    public void start() {
        try {
            ClientConfig client = new ClientConfig(endpoint, accessKey, secretKey, project);
            for (Map.Entry<String, String> e : clientOptions.entrySet()) client.set(e.getKey(), e.getValue());
            shipper = new Shipper(client, unit, producerOptions, labels);
        } catch (LtsException | UnsatisfiedLinkError e) {
            addError("Lts appender " + getName() + " not started: " + e.getMessage());
            return;
        }
        super.start();
        final org.slf4j.Logger logger = getContext() instanceof LoggerContext
                ? ((LoggerContext) getContext()).getLogger(Log.LOGGER_NAME) : LoggerFactory.getLogger(Log.LOGGER_NAME);
        lines = (level, message) -> {
            if (level <= Log.ERROR) logger.error(message);
            else if (level == Log.WARN) logger.warn(message);
            else if (level == Log.INFO) logger.info(message);
            else logger.debug(message);
        };
        Log.setHandler(lines);
    }

    @Override
    protected void append(ILoggingEvent event) {
        Shipper s = shipper;
        if (s == null) return;
        String message = layout != null ? layout.doLayout(event) : event.getFormattedMessage();
        IThrowableProxy thrown = event.getThrowableProxy();
        String why = s.ship(event.getTimeStamp() * 1_000_000L, message, event.getLevel().toString(),
                event.getLoggerName(), event.getThreadName(), event.getMDCPropertyMap(),
                thrown == null ? null : ThrowableProxyUtil.asString(thrown));
        if (why != null) addError("Lts appender " + getName() + " dropped a record: " + why);
    }

    @Override
    public void stop() {
        // Before the producer closes: the lines of its close must not reach a stopping framework.
        if (lines != null) Log.unsetHandler(lines);
        super.stop();
        Shipper s = shipper;
        shipper = null;
        if (s != null) {
            dropped = s.dropped();
            String why = s.stop(Duration.ofMillis(stopTimeoutMs));
            if (why != null) addError("Lts appender " + getName() + " stopping: " + why);
        }
    }

    /** Records dropped so far (a full buffer, a bad value), each also reported with addError. */
    public long droppedRecords() {
        Shipper s = shipper;
        return s == null ? dropped : s.dropped();
    }

    /** The producer's stats as JSON, or null when stopped. */
    public String statsJson() {
        Shipper s = shipper;
        return s == null ? null : s.statsJson();
    }
}
