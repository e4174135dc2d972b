package cn.ctyun.lts;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
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
    private final Fields contents = new Fields(false, 8, 384);
    private final Fields labels = new Fields(true, 0, 0);

    /**
     * Keys that passed the core's rules (they repeat from log to log), per field kind, with
     * their UTF-8 bytes: a put of a known key checks and encodes nothing.
     */
    private static final ConcurrentHashMap<String, byte[]> GOOD_CONTENT_KEYS = new ConcurrentHashMap<>();
    private static final ConcurrentHashMap<String, byte[]> GOOD_LABEL_KEYS = new ConcurrentHashMap<>();

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

    public LogItem putContent(String key, String value) {
        contents.put(key, Packer.TYPE_STR, notNull(value, key), 0);
        return this;
    }

    public LogItem putContent(String key, long value) {
        contents.put(key, Packer.TYPE_I64, null, value);
        return this;
    }

    public LogItem putContent(String key, double value) {
        contents.put(key, Packer.TYPE_F64, null, Double.doubleToRawLongBits(value));
        return this;
    }

    public LogItem putLabel(String key, String value) {
        labels.put(key, Packer.TYPE_STR, notNull(value, key), 0);
        return this;
    }

    public LogItem putLabel(String key, long value) {
        labels.put(key, Packer.TYPE_I64, null, value);
        return this;
    }

    public LogItem putLabel(String key, double value) {
        labels.put(key, Packer.TYPE_F64, null, Double.doubleToRawLongBits(value));
        return this;
    }

    public long timestampNs() { return timestampNs; }

    public String originMsg() { return originMsg; }

    /** The contents, in the order first put (a copy). */
    public Map<String, Object> contents() { return contents.toMap(); }

    public Map<String, Object> labels() { return labels.toMap(); }

    static <T> T notNull(T v, String what) {
        if (v == null) {
            throw new LtsException(LtsException.INVALID_ARGUMENT, "LTS_ERR_INVALID_ARGUMENT", what + " is null", null);
        }
        return v;
    }

    /**
     * Appends this item to {@code p} in the packed layout; {@code index} words the errors. The
     * layout has no "unset": a missing timestamp or message is said as the core says it.
     */
    void packInto(Packer p, int index) {
        if (timestampNs < 0 || originMsg == null) {
            throw new LtsException(LtsException.INVALID_VALUE, "LTS_ERR_INVALID_VALUE", "log item " + index + " has no "
                    + (timestampNs < 0 ? "timestamp" : "origin message")
                    + " (both timestamp and origin message are required)", null);
        }
        p.i64(timestampNs);
        p.str(originMsg);
        contents.packInto(p);
        labels.packInto(p);
    }

    /** The labels in the packed layout (u32 count, then the fields), for a sender that packs the rest itself. */
    byte[] packedLabels() {
        Packer p = new Packer();
        labels.packInto(p);
        return Arrays.copyOf(p.buf, p.len);
    }

    /**
     * Contents or labels, held in the packed layout's field form as they are put (type, key,
     * value: the bytes a send copies as they are), with each field's key and where it starts,
     * so that a key put again has its value replaced in place.
     */
    private static final class Fields {
        private final boolean label;
        private byte[] bytes;
        private int len;
        private String[] keys;
        private int[] starts;
        private int count;

        Fields(boolean label, int fields, int bytes) {
            this.label = label;
            this.keys = new String[fields];
            this.starts = new int[fields];
            this.bytes = new byte[bytes];
        }

        void put(String key, byte type, String str, long num) {
            byte[] k = keyBytes(notNull(key, label ? "label key" : "content key"), label);
            byte[] v = str == null ? null : str.getBytes(StandardCharsets.UTF_8);
            for (int i = 0; i < count; i++) {
                if (keys[i].equals(key)) {
                    replace(i, k, type, v, num);
                    return;
                }
            }
            if (count == keys.length) {
                int n = Math.max(4, count * 2);
                keys = Arrays.copyOf(keys, n);
                starts = Arrays.copyOf(starts, n);
            }
            keys[count] = key;
            starts[count++] = len;
            append(k, type, v, num);
        }

        private void append(byte[] k, byte type, byte[] v, long num) {
            int need = 9 + k.length + (v == null ? 8 : v.length);
            if (len + need > bytes.length) bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, len + need));
            len = Packer.putField(bytes, len, type, k, v, num);
        }

        /** Field i gets a new value (its position kept): the fields after it move. */
        private void replace(int i, byte[] k, byte type, byte[] v, long num) {
            int start = starts[i], end = i + 1 < count ? starts[i + 1] : len;
            byte[] tail = Arrays.copyOfRange(bytes, end, len);
            len = start;
            append(k, type, v, num);
            int moved = len - end;
            if (len + tail.length > bytes.length) bytes = Arrays.copyOf(bytes, len + tail.length);
            System.arraycopy(tail, 0, bytes, len, tail.length);
            len += tail.length;
            for (int j = i + 1; j < count; j++) starts[j] += moved;
        }

        void packInto(Packer p) {
            p.u32(count);
            p.raw(bytes, len);
        }

        Map<String, Object> toMap() {
            LinkedHashMap<String, Object> m = new LinkedHashMap<>();
            for (int i = 0; i < count; i++) {
                int at = starts[i];
                byte type = bytes[at];
                at += 5 + Packer.getU32(bytes, at + 1);
                Object value;
                if (type == Packer.TYPE_STR) {
                    value = new String(bytes, at + 4, Packer.getU32(bytes, at), StandardCharsets.UTF_8);
                } else if (type == Packer.TYPE_I64) {
                    value = Packer.getI64(bytes, at);
                } else {
                    value = Double.longBitsToDouble(Packer.getI64(bytes, at));
                }
                m.put(keys[i], value);
            }
            return m;
        }
    }

    /** The key's UTF-8 bytes, once it passed the core's rules (which throw otherwise). */
    static byte[] keyBytes(String key, boolean label) {
        ConcurrentHashMap<String, byte[]> good = label ? GOOD_LABEL_KEYS : GOOD_CONTENT_KEYS;
        byte[] b = good.get(key);
        if (b == null) {
            Native.checkKey(key, label);
            b = key.getBytes(StandardCharsets.UTF_8);
            if (good.size() < 65536) good.put(key, b);
        }
        return b;
    }
}
