package cn.ctyun.lts;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The asynchronous producer: {@link #send} hands the logs to liblts and returns at once; its
 * threads batch per (project, unit) and send. Every accepted send's {@link Callback} runs exactly
 * once, on the producer's callback thread. {@link #safeClose()} sends everything; {@link
 * #close(Duration)} within a time, reporting what it could not send as {@code CLOSED}. After any
 * close every accepted log is accounted for ({@code logs_accepted == logs_sent + logs_failed}).
 * Thread-safe; a callback must not close its own producer (refused: REENTRANT).
 */
public final class Producer implements AutoCloseable {
    /** How long JVM shutdown waits for a producer still open to deliver what it holds. */
    public static final Duration EXIT_TIMEOUT = Duration.ofSeconds(5);

    /** Producers not closed yet, for the shutdown hook (weakly: an unreachable producer is not kept). */
    private static final Set<Producer> OPEN = Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>()));

    static {
        // Logs handed to a producer the program never closed are delivered at JVM exit, within
        // EXIT_TIMEOUT (at once when nothing is pending); what is left then is reported CLOSED.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            // The logging frameworks close at shutdown too: the lines of these closes go to
            // stderr, where nothing can have closed them.
            Log.atExit();
            List<Producer> open;
            synchronized (OPEN) {
                open = new ArrayList<>(OPEN);
            }
            for (Producer p : open) {
                try {
                    p.close(EXIT_TIMEOUT);
                } catch (RuntimeException e) {
                    System.err.println("liblts: closing a producer at exit: " + e.getMessage());
                }
            }
        }, "lts-exit"));
    }

    private long handle;
    /** Calls share it; freeing the handle takes it alone. Closing does not hold it: a callback
     * that sends while close runs callbacks must not wait for the closer. */
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();

    public Producer(ProducerConfig config) {
        handle = Native.producerNew(config.keys(), config.texts());
        OPEN.add(this);
    }

    /** Registers the client for the config's log project (one per project); before start(). */
    public void addClient(ClientConfig c) {
        lock.readLock().lock();
        try {
            Native.producerAddClient(live(), c.endpoint, c.accessKey, c.secretKey, c.logProject, c.keys(), c.texts());
        } finally {
            lock.readLock().unlock();
        }
    }

    public void start() {
        lock.readLock().lock();
        try {
            Native.producerStart(live());
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Queues logs and returns; never waits longer than {@code max_block_ms} for buffer room.
     * {@code callback} (may be null) runs once with the outcome. Throws {@link LtsException} for
     * bad input, a full buffer, or a closed producer; the callback then never runs.
     */
    public void send(String project, String unit, Collection<LogItem> items, Callback callback) {
        send(Packer.begin(project, unit, items), items.size(), callback);
    }

    public void send(String project, String unit, LogItem item, Callback callback) {
        Packer p = Packer.begin(project, unit);
        try {
            LogItem.notNull(item, "log item 0");
            item.packInto(p, 0);
        } catch (RuntimeException e) {
            p.done();
            throw e;
        }
        send(p, 1, callback);
    }

    /** Sends what {@code p} holds ({@code count} items after the target) and hands {@code p} back. */
    void send(Packer p, int count, Callback callback) {
        lock.readLock().lock();
        try {
            Native.producerSend(live(), p.buf, p.len, count, callback);
        } finally {
            lock.readLock().unlock();
            p.done();
        }
    }

    /** Hands open batches to the senders now; does not wait for delivery. */
    public void flush() {
        lock.readLock().lock();
        try {
            Native.producerFlush(live());
        } finally {
            lock.readLock().unlock();
        }
    }

    /** The counters and per-unit figures as JSON (lts_producer_stats_json in lts.h). */
    public String statsJson() {
        lock.readLock().lock();
        try {
            return Native.producerStatsJson(live());
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Sends everything buffered, runs every callback, stops the threads. */
    public void safeClose() { closeWithin(-1); }

    /** As safeClose within {@code timeout}; throws LtsException TIMEOUT if logs were left unsent. */
    public void close(Duration timeout) { closeWithin(Math.max(0, timeout.toMillis())); }

    /** AutoCloseable: {@link #safeClose()}, then the native producer is freed. */
    @Override
    public void close() {
        try {
            safeClose();
        } finally {
            lock.writeLock().lock();
            try {
                if (handle != 0) {
                    Native.producerFree(handle);
                    handle = 0;
                }
            } finally {
                lock.writeLock().unlock();
            }
        }
    }

    private void closeWithin(long timeoutMs) {
        long ref;
        lock.readLock().lock();
        try {
            if (handle == 0) return; // freed: closed already
            ref = Native.producerRetain(handle);
        } finally {
            lock.readLock().unlock();
        }
        // No lock is held while the core closes: callbacks it runs may send (refused: CLOSED) or
        // read stats, and another thread may close too (the core's close is idempotent). The
        // reference keeps the native producer alive even if close() frees the handle meanwhile.
        try {
            Native.producerClose(ref, timeoutMs);
            OPEN.remove(this);
        } catch (LtsException e) {
            // Refused inside one of its callbacks: still open, still the exit hook's to close.
            if (e.code() != LtsException.REENTRANT) OPEN.remove(this);
            throw e;
        } finally {
            Native.producerRelease(ref);
        }
    }

    private long live() {
        if (handle == 0) {
            throw new LtsException(LtsException.CLOSED, "LTS_ERR_CLOSED", "the producer is closed and freed", null);
        }
        return handle;
    }
}
