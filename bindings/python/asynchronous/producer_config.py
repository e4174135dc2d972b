"""ProducerConfig: batching, workers, buffering and every other producer option of the core."""
from lts.options import NativeProducerOptions


def _same(v):
    return v


class ProducerConfig(NativeProducerOptions):
    """Every producer option of the core (CONFIGURATION.md) as an attribute, a keyword
    argument or `set(key, value)`, checked by the core when set (a bad key or value raises
    LogException). Defaults: batches of 512 KiB (max 5 MiB) or 4096 logs (max 40960), linger
    2000 ms (min 100 ms), 8 workers, a 100 MiB buffer; `max_block_ms` 0 makes a full buffer
    fail at once. `callback_mode="poll"` runs callbacks in `Producer.poll()`. The official
    SDK's names (`batch_size`, `default_batch_size`, `max_batch_size`, `default_batch_count`,
    `max_batch_count`, `default_linger_ms`, `default_worker_count`) are accepted too.

    `stats_callback`: a function called with the stats (a dict) every `stats_interval_ms`."""

    _aliases = {
        "batch_size": ("batch_size_bytes", _same, _same),
        "default_batch_size": ("batch_size_bytes", _same, _same),
        "max_batch_size": ("batch_size_bytes", _same, _same),
        "default_batch_count": ("batch_count", _same, _same),
        "max_batch_count": ("batch_count", _same, _same),
        "max_max_batch_count": ("batch_count", _same, _same),
        "default_linger_ms": ("linger_ms", _same, _same),
        "default_worker_count": ("worker_count", _same, _same),
    }
    _plain = ("stats_callback",)

    def __init__(self, batch_size=None, batch_count=None, linger_ms=None, worker_count=None,
                 buffer_bytes=None, max_block_ms=None, delivery_timeout_ms=None, **options):
        super().__init__()
        self.stats_callback = None
        given = dict(batch_size=batch_size, batch_count=batch_count, linger_ms=linger_ms,
                     worker_count=worker_count, buffer_bytes=buffer_bytes, max_block_ms=max_block_ms,
                     delivery_timeout_ms=delivery_timeout_ms)
        for k, v in list(given.items()) + list(options.items()):
            if v is not None:
                self.set(k, v)

    def _native(self):
        """The core's config with every option set here."""
        from lts import _lts
        native = _lts.ProducerConfig()
        self._apply(native)
        if self.stats_callback is not None:
            callback = self.stats_callback

            def on_stats(text):
                import json
                try:
                    callback(json.loads(text))
                except Exception:
                    pass  # an exception must not cross into the library's thread
            native.set_stats_callback(on_stats)
        return native
