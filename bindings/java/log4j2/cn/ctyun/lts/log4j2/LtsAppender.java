package cn.ctyun.lts.log4j2;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Serializable;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.logging.log4j.core.Appender;
import org.apache.logging.log4j.core.Core;
import org.apache.logging.log4j.core.Filter;
import org.apache.logging.log4j.core.Layout;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;
import org.apache.logging.log4j.core.config.plugins.Plugin;
import org.apache.logging.log4j.core.config.plugins.PluginBuilderAttribute;
import org.apache.logging.log4j.core.config.plugins.PluginBuilderFactory;
import org.apache.logging.log4j.core.config.plugins.validation.constraints.Required;
import org.apache.logging.log4j.util.ReadOnlyStringMap;
import org.apache.logging.log4j.util.TriConsumer;

import cn.ctyun.lts.ClientConfig;
import cn.ctyun.lts.Log;
import cn.ctyun.lts.LtsException;
import cn.ctyun.lts.Record;
import cn.ctyun.lts.Shipper;

/**
 * Log4j2 into LTS, on liblts's producer: {@code <Lts name="lts" endpoint="..." accessKey="..."
 * secretKey="..." project="..." unit="...">} in log4j2.xml (see bindings/java/README in the
 * repository README). The event's message (or its layout's output) is the origin message;
 * level, logger, thread, the ThreadContext map and the exception's stack trace are contents.
 * Nested {@code <Property name="producer.linger_ms" value="500"/>} sets a producer option,
 * {@code client.KEY} a client option, {@code label.KEY} a label. {@code append} never throws
 * into the application and never waits longer than {@code producer.max_block_ms} (default 0:
 * a full buffer drops the record, reported to the status logger); {@code stopTimeoutMs} bounds
 * the flush at stop. While it runs, liblts's own lines go to the logger {@code cn.ctyun.lts}
 * of its LoggerContext (see {@link Log}).
 */
@Plugin(name = "Lts", category = Core.CATEGORY_NAME, elementType = Appender.ELEMENT_TYPE, printObject = true)
public final class LtsAppender extends AbstractAppender {
    private final Shipper shipper;
    private final long stopTimeoutMs;
    private final Log.Handler lines;

    private LtsAppender(String name, Filter filter, Layout<? extends Serializable> layout, boolean ignoreExceptions,
                        Property[] properties, Shipper shipper, long stopTimeoutMs, LoggerContext context) {
        super(name, filter, layout, ignoreExceptions, properties);
        this.shipper = shipper;
        this.stopTimeoutMs = stopTimeoutMs;
        final Logger logger = context != null ? context.getLogger(Log.LOGGER_NAME) : LogManager.getLogger(Log.LOGGER_NAME);
        this.lines = (level, message) -> logger.log(level <= Log.ERROR ? Level.ERROR : level == Log.WARN ? Level.WARN
                : level == Log.INFO ? Level.INFO : Level.DEBUG, message);
    }

    @PluginBuilderFactory
    public static Builder newBuilder() {
        return new Builder();
    }

    public static final class Builder extends AbstractAppender.Builder<Builder>
            implements org.apache.logging.log4j.core.util.Builder<LtsAppender> {
        @PluginBuilderAttribute @Required(message = "Lts: endpoint is required") private String endpoint;
        @PluginBuilderAttribute @Required(message = "Lts: accessKey is required") private String accessKey;
        @PluginBuilderAttribute(sensitive = true) @Required(message = "Lts: secretKey is required") private String secretKey;
        @PluginBuilderAttribute @Required(message = "Lts: project is required") private String project;
        @PluginBuilderAttribute @Required(message = "Lts: unit is required") private String unit;
        @PluginBuilderAttribute private long stopTimeoutMs = 5000;

        public Builder setEndpoint(String v) { endpoint = v; return this; }
        public Builder setAccessKey(String v) { accessKey = v; return this; }
        public Builder setSecretKey(String v) { secretKey = v; return this; }
        public Builder setProject(String v) { project = v; return this; }
        public Builder setUnit(String v) { unit = v; return this; }
        public Builder setStopTimeoutMs(long v) { stopTimeoutMs = v; return this; }

        @Override
        public LtsAppender build() {
            ClientConfig client = new ClientConfig(endpoint, accessKey, secretKey, project);
            Map<String, String> producer = new LinkedHashMap<>(), labels = new LinkedHashMap<>();
            Property[] props = getPropertyArray();
            try {
                for (Property p : props == null ? new Property[0] : props) {
                    String n = p.getName();
                    if (n.startsWith("producer.")) producer.put(n.substring(9), p.getValue());
                    else if (n.startsWith("client.")) client.set(n.substring(7), p.getValue());
                    else if (n.startsWith("label.")) labels.put(n.substring(6), p.getValue());
                    else throw new LtsException(LtsException.INVALID_ARGUMENT, "LTS_ERR_INVALID_ARGUMENT",
                            "Lts property " + n + ": names start with producer., client. or label.", null);
                }
                Shipper shipper = new Shipper(client, unit, producer, labels);
                return new LtsAppender(getName(), getFilter(), getLayout(), isIgnoreExceptions(), props, shipper,
                        stopTimeoutMs, getConfiguration() != null ? getConfiguration().getLoggerContext() : null);
            } catch (LtsException e) {
                LOGGER.error("Lts appender {}: {}", getName(), e.getMessage());
                return null;
            }
        }
    }

    // The context read where Log4j2 keeps it (no map copied, nothing allocated per record).
    private static final TriConsumer<String, Object, Record> PUT = (k, v, into) -> into.put(k, v);
    private static final Shipper.Context<ReadOnlyStringMap> CONTEXT = (m, into) -> m.forEach(PUT, into);

    @Override
    public void append(LogEvent event) {
        long ts = event.getInstant().getEpochSecond() * 1_000_000_000L + event.getInstant().getNanoOfSecond();
        Layout<? extends Serializable> layout = getLayout();
        String message = layout != null ? String.valueOf(layout.toSerializable(event))
                : event.getMessage().getFormattedMessage();
        String exception = null;
        if (event.getThrown() != null) {
            StringWriter w = new StringWriter();
            event.getThrown().printStackTrace(new PrintWriter(w));
            exception = w.toString().trim();
        }
        String why = shipper.ship(ts, message, event.getLevel().name(), event.getLoggerName(), event.getThreadName(),
                event.getContextData(), CONTEXT, exception);
        if (why != null) error("Lts appender " + getName() + " dropped a record: " + why);
    }

    @Override
    public void start() {
        super.start();
        Log.setHandler(lines);
    }

    @Override
    public boolean stop(long timeout, TimeUnit timeUnit) {
        // Before the producer closes: the lines of its close must not reach a stopping framework.
        Log.unsetHandler(lines);
        setStopping();
        boolean stopped = super.stop(timeout, timeUnit, false);
        long ms = Math.min(stopTimeoutMs, timeout > 0 ? timeUnit.toMillis(timeout) : stopTimeoutMs);
        String why = shipper.stop(Duration.ofMillis(ms));
        if (why != null) LOGGER.error("Lts appender {} stopping: {}", getName(), why);
        setStopped();
        return stopped;
    }

    /** Records dropped so far (a full buffer, a bad value), each also reported to the error handler. */
    public long droppedRecords() { return shipper.dropped(); }

    /** The producer's stats as JSON (for operators and tests). */
    public String statsJson() { return shipper.statsJson(); }
}
