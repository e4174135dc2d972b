package cn.ctyun.lts;

import java.util.Collection;
import java.util.Collections;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The synchronous client: {@link #putLogs} sends at once and returns the service's answer. Fetches
 * its token when made. Thread-safe; close it when done (AutoCloseable).
 */
public final class LogClient implements AutoCloseable {
    private long handle;
    /** Calls share it; close takes it alone, so the handle is never freed under a call. */
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();

    public LogClient(ClientConfig config) {
        handle = Native.clientNew(config.endpoint, config.accessKey, config.secretKey, config.logProject,
                config.keys(), config.texts());
    }

    /**
     * Sends now. Returns the service's answer, also when it refused the logs with an error code
     * ({@link Response#ok()} false); throws {@link LtsException} when there was no answer.
     */
    public Response putLogs(String project, String unit, Collection<LogItem> items) {
        Packer p = Packer.begin(project, unit, items);
        lock.readLock().lock();
        try {
            if (handle == 0) throw closed();
            return Native.putLogs(handle, p.buf, p.len, items.size());
        } finally {
            lock.readLock().unlock();
            p.done();
        }
    }

    public Response putLogs(String project, String unit, LogItem item) {
        return putLogs(project, unit, Collections.singletonList(item));
    }

    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            if (handle != 0) {
                Native.clientFree(handle);
                handle = 0;
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    private static LtsException closed() {
        return new LtsException(LtsException.INVALID_STATE, "LTS_ERR_INVALID_STATE", "the client is closed", null);
    }
}
