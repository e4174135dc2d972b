package cn.ctyun.lts;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Options by name, the keys of CONFIGURATION.md, each checked by liblts when set (an
 * {@link LtsException} naming the key, the value and what is accepted). Kept here as the core
 * reads them (text) and handed to the core when a client or producer is made.
 */
abstract class Options<T extends Options<T>> {
    final LinkedHashMap<String, String> values = new LinkedHashMap<>();

    abstract void check(String key, String value);

    @SuppressWarnings("unchecked")
    public T set(String key, String value) {
        if (key == null || value == null) {
            throw new LtsException(LtsException.INVALID_ARGUMENT, "LTS_ERR_INVALID_ARGUMENT", "option key and value must not be null", null);
        }
        check(key, value);
        values.put(key, value);
        return (T) this;
    }

    public T set(String key, long value) { return set(key, Long.toString(value)); }

    public T set(String key, boolean value) { return set(key, value ? "true" : "false"); }

    /** The options set so far, as the core reads them. */
    public Map<String, String> options() { return new LinkedHashMap<>(values); }

    String[] keys() { return values.keySet().toArray(new String[0]); }

    String[] texts() { return values.values().toArray(new String[0]); }

    /** The core's option table as JSON: every key, its type, default and accepted values. */
    public static String schemaJson() { return Native.configSchema(); }
}
