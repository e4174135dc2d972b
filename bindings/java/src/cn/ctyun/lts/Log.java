package cn.ctyun.lts;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * liblts's own log lines (failed attempts, token failures, a full buffer, close leaving logs
 * unsent). By default they go to {@code java.util.logging}'s logger {@value #LOGGER_NAME} at
 * the matching level (SEVERE, WARNING, INFO, FINE); while a Log4j2 or Logback appender of this
 * library runs, to its framework's logger of that name (the appender itself does not ship
 * them: they would feed back into the producer they report on). {@link #setHandler} takes any
 * {@link Handler}; {@code null} sends them to liblts's own stderr lines, as does JVM shutdown
 * (when the logging frameworks close). A producer's lines arrive on its callback thread, a
 * client's on the thread calling it.
 */
public final class Log {
    private Log() {}

    /** Levels (syslog's numbers, as the C API's LTS_LOG_*); OFF only for {@link #setLevel}. */
    public static final int OFF = -1, ERROR = 3, WARN = 4, INFO = 6, DEBUG = 7;

    /** The logger the lines go to, in java.util.logging or the appender's framework. */
    public static final String LOGGER_NAME = "cn.ctyun.lts";

    /** Receives each line. Runs on liblts's threads: keep it short and thread-safe; what it
     *  throws is dropped. */
    public interface Handler {
        void line(int level, String message);
    }

    /** The default: java.util.logging's logger {@value #LOGGER_NAME}. */
    public static final Handler JAVA_UTIL_LOGGING = new Handler() {
        private final Logger logger = Logger.getLogger(LOGGER_NAME);

        @Override
        public void line(int level, String message) {
            Level l = level <= ERROR ? Level.SEVERE : level == WARN ? Level.WARNING : level == INFO ? Level.INFO : Level.FINE;
            // Named source: without it java.util.logging would walk the stack to find one.
            logger.logp(l, LOGGER_NAME, null, message);
        }
    };

    // Read by liblts's threads without a lock: setHandler must never wait for them. null:
    // liblts writes to stderr itself (its hook is off).
    private static volatile Handler handler = JAVA_UTIL_LOGGING;

    /** Where the lines go from now on; {@code null}: liblts's own stderr lines. When this
     *  returns, the previous handler is not running and will not be called again. */
    public static synchronized void setHandler(Handler h) {
        if (h == null) {
            Native.setLogHook(false);
            handler = null;
        } else {
            handler = h;
            Native.setLogHook(true);
        }
    }

    /** Undoes {@code setHandler(h)} if {@code h} is still the handler: the lines go to
     *  java.util.logging again (an appender calls this when it stops). */
    public static synchronized void unsetHandler(Handler h) {
        if (handler == h) setHandler(JAVA_UTIL_LOGGING);
    }

    /** The current handler (JAVA_UTIL_LOGGING by default; null: stderr). */
    public static Handler handler() {
        return handler;
    }

    /** Drops lines above {@code level}: ERROR, WARN (the default), INFO, DEBUG; OFF drops all. */
    public static void setLevel(int level) {
        Native.setLogLevel(level);
    }

    /** JVM shutdown: the frameworks are closing, so the last lines go to stderr. */
    static synchronized void atExit() {
        setHandler(null);
    }

    /** Called by liblts_jni for each line (see native/src/log.rs). */
    static void line(int level, String message) {
        try {
            Handler h = handler;
            if (h != null) h.line(level, message);
        } catch (Throwable ignored) {
            // a handler's failure must not reach liblts's thread
        }
    }
}
