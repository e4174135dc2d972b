package cn.ctyun.lts;

/**
 * The producer's options by name (CONFIGURATION.md): batches of 512 KiB or 4096 logs or 2000 ms
 * of linger by default, 8 workers, a 100 MiB buffer, {@code max_block_ms} 0 (a full buffer
 * fails a send at once).
 */
public final class ProducerConfig extends Options<ProducerConfig> {
    @Override
    void check(String key, String value) { Native.checkProducerOption(key, value); }

    public ProducerConfig lingerMs(long ms) { return set("linger_ms", ms); }

    public ProducerConfig maxBlockMs(long ms) { return set("max_block_ms", ms); }

    public ProducerConfig bufferBytes(long bytes) { return set("buffer_bytes", bytes); }

    public ProducerConfig workerCount(long n) { return set("worker_count", n); }
}
