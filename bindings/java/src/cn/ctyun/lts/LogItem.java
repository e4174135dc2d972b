package cn.ctyun.lts;

import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One log: a timestamp in nanoseconds and an origin message (both required), contents and
 * labels mapping keys to String, long or double values. Keys are checked by liblts's rules when
 * put (an {@link LtsException} with the core's message); values when sent. Putting a key again
 * replaces its value. Not thread-safe: fill it on one thread, then send it.
 */
public final class LogItem {
    private long timestampNs = -1;
    private String originMsg;
    private final LinkedHashMap<String, Object> contents = new LinkedHashMap<>();
    private final LinkedHashMap<String, Object> labels = new LinkedHashMap<>();

    /** Keys that passed the core's rules (they repeat from log to log), per field kind. */
    private static final Set<String> GOOD_CONTENT_KEYS = ConcurrentHashMap.newKeySet();
    private static final Set<String> GOOD_LABEL_KEYS = ConcurrentHashMap.newKeySet();

    public LogItem() {}

    public LogItem(long timestampNs, String originMsg) {
        setTimestampNs(timestampNs);
        setOriginMsg(originMsg);
    }

    /** The current time in nanoseconds since the epoch. */
    public static long nowNs() { return Native.nowNs(); }

    public LogItem setTimestampNs(long ns) {
        if (ns < 0) {
            throw new LtsException(LtsException.INVALID_VALUE, "LTS_ERR_INVALID_VALUE",
                    "invalid timestamp " + ns + ": nanoseconds since the epoch cannot be negative", null);
        }
        this.timestampNs = ns;
        return this;
    }

    public LogItem setOriginMsg(String msg) {
        this.originMsg = notNull(msg, "origin message");
        return this;
    }

    public LogItem putContent(String key, String value) { return put(contents, false, key, notNull(value, key)); }

    public LogItem putContent(String key, long value) { return put(contents, false, key, value); }

    public LogItem putContent(String key, double value) { return put(contents, false, key, value); }

    public LogItem putLabel(String key, String value) { return put(labels, true, key, notNull(value, key)); }

    public LogItem putLabel(String key, long value) { return put(labels, true, key, value); }

    public LogItem putLabel(String key, double value) { return put(labels, true, key, value); }

    public long timestampNs() { return timestampNs; }

    public String originMsg() { return originMsg; }

    /** The contents, in the order first put (a copy). */
    public Map<String, Object> contents() { return new LinkedHashMap<>(contents); }

    public Map<String, Object> labels() { return new LinkedHashMap<>(labels); }

    private LogItem put(LinkedHashMap<String, Object> into, boolean label, String key, Object value) {
        notNull(key, label ? "label key" : "content key");
        Set<String> good = label ? GOOD_LABEL_KEYS : GOOD_CONTENT_KEYS;
        if (!good.contains(key)) {
            Native.checkKey(key, label);
            if (good.size() < 65536) good.add(key);
        }
        into.put(key, value);
        return this;
    }

    private static <T> T notNull(T v, String what) {
        if (v == null) {
            throw new LtsException(LtsException.INVALID_ARGUMENT, "LTS_ERR_INVALID_ARGUMENT", what + " is null", null);
        }
        return v;
    }

    /**
     * The items in liblts's packed layout (lts_producer_send_packed in lts.h): how a send
     * crosses into the core once, whatever the number of fields.
     */
    static byte[] pack(Collection<LogItem> items) {
        Packer p = new Packer(256 * items.size());
        int i = 0;
        for (LogItem it : items) {
            if (it == null) {
                throw new LtsException(LtsException.INVALID_ARGUMENT, "LTS_ERR_INVALID_ARGUMENT", "log item " + i + " is null", null);
            }
            if (it.timestampNs < 0 || it.originMsg == null) {
                // The packed layout has no "unset": say it as the core says it of its items.
                throw new LtsException(LtsException.INVALID_VALUE, "LTS_ERR_INVALID_VALUE", "log item " + i + " has no "
                        + (it.timestampNs < 0 ? "timestamp" : "origin message")
                        + " (both timestamp and origin message are required)", null);
            }
            i++;
            p.i64(it.timestampNs);
            p.str(it.originMsg);
            p.fields(it.contents);
            p.fields(it.labels);
        }
        return p.bytes();
    }

    /** A growable little-endian buffer. */
    private static final class Packer {
        private byte[] b;
        private int n;

        Packer(int capacity) { b = new byte[Math.max(64, capacity)]; }

        private void room(int k) {
            if (n + k > b.length) b = java.util.Arrays.copyOf(b, Math.max(b.length * 2, n + k));
        }

        void u8(int v) { room(1); b[n++] = (byte) v; }

        void u32(int v) {
            room(4);
            for (int i = 0; i < 4; i++) b[n++] = (byte) (v >>> (8 * i));
        }

        void i64(long v) {
            room(8);
            for (int i = 0; i < 8; i++) b[n++] = (byte) (v >>> (8 * i));
        }

        void str(String s) {
            byte[] u = s.getBytes(StandardCharsets.UTF_8);
            u32(u.length);
            room(u.length);
            System.arraycopy(u, 0, b, n, u.length);
            n += u.length;
        }

        void fields(Map<String, Object> fields) {
            u32(fields.size());
            for (Map.Entry<String, Object> e : fields.entrySet()) {
                Object v = e.getValue();
                if (v instanceof Long) {
                    u8(1);
                    str(e.getKey());
                    i64((Long) v);
                } else if (v instanceof Double) {
                    u8(2);
                    str(e.getKey());
                    i64(Double.doubleToRawLongBits((Double) v));
                } else {
                    u8(0);
                    str(e.getKey());
                    str((String) v);
                }
            }
        }

        byte[] bytes() { return java.util.Arrays.copyOf(b, n); }
    }
}
