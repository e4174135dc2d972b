package cn.ctyun.lts;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * The native methods, and how the native library is found: the system property
 * {@code lts.library.path} (a file), then {@code liblts_jni.so} inside the jar for this os and
 * arch ({@code /native/linux-x86_64/}), extracted once per process to a temporary file, then
 * {@code java.library.path} ({@code System.loadLibrary("lts_jni")}). The error names each.
 */
final class Native {
    private Native() {}

    static final int ABI_VERSION = 0;

    static {
        load();
        int abi = abiVersion();
        if (abi != ABI_VERSION) {
            throw new UnsatisfiedLinkError("liblts_jni has ABI " + abi + "; this jar needs " + ABI_VERSION);
        }
        // liblts's lines go to Log's handler (java.util.logging) from the start.
        setLogHook(true);
    }

    private static void load() {
        StringBuilder tried = new StringBuilder();
        String explicit = System.getProperty("lts.library.path");
        if (explicit != null) {
            System.load(new File(explicit).getAbsolutePath());
            return;
        }
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux") ? "linux" : "unknown";
        String arch = System.getProperty("os.arch", "");
        if (arch.equals("amd64")) arch = "x86_64";
        String resource = "/native/" + os + "-" + arch + "/liblts_jni.so";
        try (InputStream in = Native.class.getResourceAsStream(resource)) {
            if (in != null) {
                File f = File.createTempFile("liblts_jni", ".so");
                f.deleteOnExit();
                Files.copy(in, f.toPath(), StandardCopyOption.REPLACE_EXISTING);
                System.load(f.getAbsolutePath());
                return;
            }
            tried.append("no ").append(resource).append(" in the jar; ");
        } catch (IOException | UnsatisfiedLinkError e) {
            tried.append(resource).append(" from the jar: ").append(e.getMessage()).append("; ");
        }
        try {
            System.loadLibrary("lts_jni");
        } catch (UnsatisfiedLinkError e) {
            throw new UnsatisfiedLinkError("liblts_jni could not be loaded: " + tried
                    + "java.library.path=" + System.getProperty("java.library.path") + ": " + e.getMessage()
                    + ". Use the jar with the native library inside, or set -Dlts.library.path=/path/to/liblts_jni.so.");
        }
    }

    static native int abiVersion();
    static native String version();
    static native long nowNs();
    static native String configSchema();
    /** Checks a key by the core's rules; throws LtsException with the core's message. */
    static native void checkKey(String key, boolean isLabel);
    static native void checkClientOption(String key, String value);
    static native void checkProducerOption(String key, String value);

    static native long clientNew(String endpoint, String accessKey, String secretKey, String project,
                                 String[] keys, String[] values);
    /** {@code packed}: the target and items as {@link Packer} lays them out, its first {@code len} bytes. */
    static native Response putLogs(long client, byte[] packed, int len, int count);
    static native void clientFree(long client);

    static native long producerNew(String[] keys, String[] values);
    static native void producerAddClient(long producer, String endpoint, String accessKey, String secretKey,
                                         String project, String[] keys, String[] values);
    static native void producerStart(long producer);
    static native void producerSend(long producer, byte[] packed, int len, int count, Callback callback);
    static native void producerFlush(long producer);
    /** A second reference to the native producer (kept alive until producerRelease). */
    static native long producerRetain(long producer);
    static native void producerRelease(long ref);
    /** Closes through a reference from producerRetain; -1: no timeout (safe close). */
    static native void producerClose(long ref, long timeoutMs);
    static native String producerStatsJson(long producer);
    static native void producerFree(long producer);

    static native void setLogLevel(int level);
    /** On: liblts's lines go to Log.line; off: to liblts's own stderr lines. */
    static native void setLogHook(boolean on);
}
