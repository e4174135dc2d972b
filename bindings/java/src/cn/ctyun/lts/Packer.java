package cn.ctyun.lts;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collection;

/**
 * A send's bytes, written into a buffer of the sending thread's that is reused from send to
 * send (the native side copies what it reads before the call returns): the target (u32
 * length and UTF-8 of the log project, then of the log unit), then the items in liblts's
 * packed layout (lts_producer_send_packed in lts.h; little-endian). One JNI call carries it.
 */
final class Packer {
    static final byte TYPE_STR = 0, TYPE_I64 = 1, TYPE_F64 = 2;

    /** A buffer grown past this by a large send is dropped after it, not kept by the thread. */
    private static final int KEEP = 1 << 20;
    private static final ThreadLocal<Packer> MINE = ThreadLocal.withInitial(Packer::new);

    byte[] buf = new byte[4096];
    int len;
    private boolean busy;
    private Record record;
    // The last target's bytes: a thread sends to the same project and unit again and again.
    private String project, unit;
    private byte[] target;

    /**
     * This thread's packer, holding the target; {@link #done} returns it. A packer in use (a
     * send made from inside another's packing) is not shared: that one gets a fresh packer.
     */
    static Packer begin(String project, String unit) {
        LogItem.notNull(project, "log project");
        LogItem.notNull(unit, "log unit");
        Packer p = MINE.get();
        if (p.busy) p = new Packer();
        p.busy = true;
        p.len = 0;
        if (!project.equals(p.project) || !unit.equals(p.unit)) {
            byte[] pb = project.getBytes(StandardCharsets.UTF_8), ub = unit.getBytes(StandardCharsets.UTF_8);
            byte[] t = new byte[8 + pb.length + ub.length];
            putU32(t, 0, pb.length);
            System.arraycopy(pb, 0, t, 4, pb.length);
            putU32(t, 4 + pb.length, ub.length);
            System.arraycopy(ub, 0, t, 8 + pb.length, ub.length);
            p.project = project;
            p.unit = unit;
            p.target = t;
        }
        p.raw(p.target, p.target.length);
        return p;
    }

    /** The target, then the items; throws for a null item or one missing a required field. */
    static Packer begin(String project, String unit, Collection<LogItem> items) {
        LogItem.notNull(items, "log items");
        Packer p = begin(project, unit);
        try {
            int i = 0;
            for (LogItem it : items) {
                if (it == null) {
                    throw new LtsException(LtsException.INVALID_ARGUMENT, "LTS_ERR_INVALID_ARGUMENT",
                            "log item " + i + " is null", null);
                }
                it.packInto(p, i++);
            }
        } catch (RuntimeException e) {
            p.done();
            throw e;
        }
        return p;
    }

    /** This packer's record writer (made on first use). */
    Record record() {
        if (record == null) record = new Record(this);
        return record;
    }

    void done() {
        busy = false;
        if (buf.length > KEEP) buf = new byte[4096];
    }

    void room(int k) {
        if (len + k > buf.length) buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + k));
    }

    void u32(int v) {
        room(4);
        putU32(buf, len, v);
        len += 4;
    }

    void i64(long v) {
        room(8);
        putI64(buf, len, v);
        len += 8;
    }

    void str(String s) {
        byte[] u = s.getBytes(StandardCharsets.UTF_8);
        u32(u.length);
        raw(u, u.length);
    }

    void raw(byte[] b, int n) {
        room(n);
        System.arraycopy(b, 0, buf, len, n);
        len += n;
    }

    /**
     * A field (type, key, value) at {@code at}, where there is room for it: a string value
     * when {@code v} is not null, else {@code num}'s 8 bytes. Returns where the field ends.
     */
    static int putField(byte[] b, int at, byte type, byte[] k, byte[] v, long num) {
        b[at] = type;
        putU32(b, at + 1, k.length);
        System.arraycopy(k, 0, b, at + 5, k.length);
        at += 5 + k.length;
        if (v == null) {
            putI64(b, at, num);
            return at + 8;
        }
        putU32(b, at, v.length);
        System.arraycopy(v, 0, b, at + 4, v.length);
        return at + 4 + v.length;
    }

    static void putU32(byte[] b, int at, int v) {
        b[at] = (byte) v;
        b[at + 1] = (byte) (v >>> 8);
        b[at + 2] = (byte) (v >>> 16);
        b[at + 3] = (byte) (v >>> 24);
    }

    static void putI64(byte[] b, int at, long v) {
        putU32(b, at, (int) v);
        putU32(b, at + 4, (int) (v >>> 32));
    }

    static int getU32(byte[] b, int at) {
        return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8 | (b[at + 2] & 0xff) << 16 | (b[at + 3] & 0xff) << 24;
    }

    static long getI64(byte[] b, int at) {
        return (getU32(b, at) & 0xffffffffL) | (long) getU32(b, at + 4) << 32;
    }
}
