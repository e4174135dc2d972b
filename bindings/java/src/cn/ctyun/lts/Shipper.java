package cn.ctyun.lts;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What a logging framework's appender needs, once for all of them (the Log4j2 and Logback
 * appenders use it): a started producer for one log unit, records turned into logs with the
 * framework's fields as contents, and a bounded stop. {@link #ship} never throws and never
 * waits longer than the producer's {@code max_block_ms} (0 unless configured: a full buffer
 * drops the record and says so); a context key that liblts's key rules refuse is left out of
 * that log and counted in {@link #skippedFields()}. Records of liblts's own logger ({@link
 * Log#LOGGER_NAME}, where an appender sends the library's lines) are not shipped: they report
 * on the producer that would carry them, and a failing delivery would feed itself.
 */
public final class Shipper {
    private final Producer producer;
    private final String project, unit;
    /** The labels, packed once (u32 count, then the fields): every record ends with them. */
    private final byte[] labels;
    private final AtomicLong dropped = new AtomicLong(), skippedFields = new AtomicLong();

    /** Starts the producer; throws LtsException for a bad option, label or endpoint. */
    public Shipper(ClientConfig client, String unit, Map<String, String> producerOptions, Map<String, String> labels) {
        if (unit == null || unit.isEmpty()) {
            throw new LtsException(LtsException.INVALID_ARGUMENT, "LTS_ERR_INVALID_ARGUMENT", "the log unit is not set", null);
        }
        ProducerConfig pc = new ProducerConfig();
        for (Map.Entry<String, String> e : producerOptions.entrySet()) pc.set(e.getKey(), e.getValue());
        LogItem probe = new LogItem();
        for (Map.Entry<String, String> e : labels.entrySet()) probe.putLabel(e.getKey(), e.getValue());
        this.project = client.logProject();
        this.unit = unit;
        this.labels = probe.packedLabels();
        this.producer = new Producer(pc);
        try {
            producer.addClient(client);
            producer.start();
        } catch (RuntimeException e) {
            producer.close();
            throw e;
        }
    }

    /**
     * One record. Returns null when it was handed to the producer, or why it was dropped (the
     * appender reports that through its framework's error handling).
     */
    public String ship(long timestampNs, String message, String level, String logger, String thread,
                       Map<String, String> context, String exception) {
        return ship(timestampNs, message, level, logger, thread, context, MAP, exception);
    }

    private static final Context<Map<String, String>> MAP = (m, into) -> m.forEach(into);

    /**
     * How a framework's record context reaches a {@link Record}: {@code forEach} hands each
     * entry of {@code context} to {@link Record#put} (values as the framework holds them;
     * {@code toString()} is sent), each key once, where the framework keeps them (no copy).
     * A stateless constant: nothing is allocated per record.
     */
    public interface Context<C> {
        void forEach(C context, Record into);
    }

    /**
     * As {@link #ship(long, String, String, String, String, Map, String)}, the context read in
     * place by {@code reader}; the record is written straight into this thread's send buffer.
     */
    public <C> String ship(long timestampNs, String message, String level, String logger, String thread,
                           C context, Context<C> reader, String exception) {
        if (Log.LOGGER_NAME.equals(logger)) return null;
        Packer p = null;
        try {
            p = Packer.begin(project, unit);
            Record r = p.record();
            r.begin(timestampNs, message == null || message.isEmpty() ? "(empty message)" : message);
            r.fixed(Record.LEVEL, level);
            r.fixed(Record.LOGGER, logger);
            r.fixed(Record.THREAD, thread);
            r.fixed(Record.EXCEPTION, exception);
            if (context != null) reader.forEach(context, r);
            r.end(labels);
            if (r.skipped() > 0) skippedFields.addAndGet(r.skipped());
            Packer full = p;
            p = null; // the send hands it back, whatever happens
            producer.send(full, 1, null);
            return null;
        } catch (RuntimeException e) {
            if (p != null) p.done();
            dropped.incrementAndGet();
            return e.getMessage();
        }
    }

    /** Hands buffered records to the senders now; does not wait. */
    public void flush() {
        try {
            producer.flush();
        } catch (LtsException e) {
            // not running (stopped): nothing to flush
        }
    }

    /**
     * Sends what is buffered, waiting at most {@code timeout}, and frees the producer. Returns
     * null, or what could not be sent (those logs were reported failed by the producer).
     */
    public String stop(Duration timeout) {
        try {
            producer.close(timeout);
            return null;
        } catch (LtsException e) {
            return e.getMessage();
        } finally {
            producer.close();
        }
    }

    /** Records dropped (a full buffer, a bad value, a stopped shipper). */
    public long dropped() { return dropped.get(); }

    /** Context fields left out because liblts's key rules refuse their key. */
    public long skippedFields() { return skippedFields.get(); }

    /** The producer's stats as JSON. */
    public String statsJson() { return producer.statsJson(); }
}
