package cn.ctyun.lts;

import java.nio.charset.StandardCharsets;
import java.util.function.BiConsumer;

/**
 * One framework record written straight into its thread's packed send buffer (the layout of
 * {@link Packer}), for {@link Shipper}: no {@link LogItem} is built and no map copied. The
 * record's fixed contents (level, logger, thread, exception) come first, then each context
 * entry as a {@link Shipper.Context} hands it to {@link #put}. A context key equal to a fixed
 * one replaces that field's value in its place (as {@link LogItem#putContent} does); any other
 * key must come once per record, as a framework's context map gives them.
 *
 * <p>One per thread's packer, reused from record to record: what a record needs per key and
 * per repeated value (a logger's or thread's name) is cached here by the String's identity,
 * since a framework hands the same instances again and again.
 */
public final class Record implements BiConsumer<String, Object> {
    /** The fixed contents, in the order they are written. */
    static final int LEVEL = 0, LOGGER = 1, THREAD = 2, EXCEPTION = 3;
    private static final String[] FIXED = {"level", "logger", "thread", "exception"};
    private static final byte[][] FIXED_KEYS = new byte[FIXED.length][];

    static {
        for (int i = 0; i < FIXED.length; i++) FIXED_KEYS[i] = FIXED[i].getBytes(StandardCharsets.UTF_8);
    }

    /** Cached keys: a key refused by liblts's rules is kept with this as its bytes. */
    private static final byte[] REFUSED = new byte[0];
    private static final int KEY_SLOTS = 16;

    private final Packer p;
    private int countAt, count, skipped;
    /** Where each fixed field starts in the buffer in this record, -1 when it has none. */
    private final int[] fixedAt = new int[FIXED.length];
    /** The last value of each fixed field and its UTF-8 (the same logger and thread recur). */
    private final String[] lastValue = new String[FIXED.length];
    private final byte[][] lastBytes = new byte[FIXED.length][];
    private final String[] keys = new String[KEY_SLOTS];
    private final byte[][] keyBytes = new byte[KEY_SLOTS][];
    /** Per cached key: the fixed field it names, or -1. */
    private final int[] keyFixed = new int[KEY_SLOTS];
    private int nextSlot;

    Record(Packer p) { this.p = p; }

    /** Starts the record after the packer's target: timestamp, message, the contents' count to come. */
    void begin(long timestampNs, String message) {
        p.i64(timestampNs);
        p.str(message);
        countAt = p.len;
        p.u32(0);
        count = 0;
        skipped = 0;
        for (int i = 0; i < FIXED.length; i++) fixedAt[i] = -1;
    }

    /** A fixed content; a null or empty value is left out (liblts refuses empty values). */
    void fixed(int which, String value) {
        if (value == null || value.isEmpty()) return;
        byte[] v;
        if (value == lastValue[which]) {
            v = lastBytes[which];
        } else {
            v = value.getBytes(StandardCharsets.UTF_8);
            if (which != EXCEPTION) {
                lastValue[which] = value;
                lastBytes[which] = v;
            }
        }
        fixedAt[which] = p.len;
        field(FIXED_KEYS[which], v);
    }

    /**
     * One context entry: {@code value.toString()} is sent; a null or empty value is left out,
     * and so is a key liblts's rules refuse (counted in {@link Shipper#skippedFields()}).
     */
    public void put(String key, Object value) {
        if (key == null || value == null) return;
        String v = value.toString();
        if (v == null || v.isEmpty()) return;
        int slot = slot(key);
        byte[] k = keyBytes[slot];
        if (k == REFUSED) {
            skipped++;
            return;
        }
        int f = keyFixed[slot];
        if (f >= 0 && fixedAt[f] >= 0) {
            replace(f, v.getBytes(StandardCharsets.UTF_8));
        } else {
            if (f >= 0) fixedAt[f] = p.len;
            field(k, v.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** As {@link #put}: a record is a framework map's {@code forEach} consumer. */
    @Override
    public void accept(String key, Object value) { put(key, value); }

    /** Ends the record: the contents' count, then the labels (already packed: u32 count + fields). */
    void end(byte[] labels) {
        Packer.putU32(p.buf, countAt, count);
        p.raw(labels, labels.length);
    }

    /** Keys refused by the rules in this record. */
    int skipped() { return skipped; }

    private void field(byte[] k, byte[] v) {
        p.room(9 + k.length + v.length);
        p.len = Packer.putField(p.buf, p.len, Packer.TYPE_STR, k, v, 0);
        count++;
    }

    /** Fixed field {@code f} gets value {@code v} in its place; what follows it moves. */
    private void replace(int f, byte[] v) {
        int start = fixedAt[f];
        int valueAt = start + 5 + FIXED_KEYS[f].length;
        int oldEnd = valueAt + 4 + Packer.getU32(p.buf, valueAt);
        int newEnd = valueAt + 4 + v.length, delta = newEnd - oldEnd;
        if (delta > 0) p.room(delta);
        byte[] b = p.buf;
        System.arraycopy(b, oldEnd, b, newEnd, p.len - oldEnd);
        Packer.putU32(b, valueAt, v.length);
        System.arraycopy(v, 0, b, valueAt + 4, v.length);
        p.len += delta;
        for (int i = 0; i < FIXED.length; i++) if (fixedAt[i] > start) fixedAt[i] += delta;
    }

    /** The key's cache slot, filled on a miss (by the rules' check, through LogItem's cache). */
    private int slot(String key) {
        for (int i = 0; i < KEY_SLOTS; i++) if (keys[i] == key) return i;
        byte[] b;
        try {
            b = LogItem.keyBytes(key, false);
        } catch (LtsException refused) {
            b = REFUSED;
        }
        int f = -1;
        for (int i = 0; i < FIXED.length; i++) if (FIXED[i].equals(key)) f = i;
        int s = nextSlot;
        nextSlot = (s + 1) % KEY_SLOTS;
        keys[s] = key;
        keyBytes[s] = b;
        keyFixed[s] = f;
        return s;
    }
}
