"""ProducerConfig: batching, workers and buffering of the asynchronous producer."""


class ProducerConfig:
    """Defaults: batches of 512 KiB (max 5 MiB) or 4096 logs (max 40960), linger 2000 ms
    (min 100 ms), 8 workers, a 100 MiB buffer; `max_block_ms` 0 makes a full buffer fail
    at once. The official SDK's attribute names (`default_batch_size`, `max_batch_size`,
    `default_batch_count`, `max_batch_count`, `default_linger_ms`, `default_worker_count`)
    are accepted as aliases."""

    _ALIASES = {
        "default_batch_size": "batch_size",
        "max_batch_size": "batch_size",
        "default_batch_count": "batch_count",
        "max_batch_count": "batch_count",
        "max_max_batch_count": "batch_count",
        "default_linger_ms": "linger_ms",
        "default_worker_count": "worker_count",
    }

    def __init__(self, batch_size=512 * 1024, batch_count=4096, linger_ms=2000, worker_count=8,
                 buffer_bytes=100 * 1024 * 1024, max_block_ms=0, delivery_timeout_ms=600000):
        self.batch_size = batch_size
        self.batch_count = batch_count
        self.linger_ms = linger_ms
        self.worker_count = worker_count
        self.buffer_bytes = buffer_bytes
        self.max_block_ms = max_block_ms
        self.delivery_timeout_ms = delivery_timeout_ms

    def __setattr__(self, name, value):
        super().__setattr__(self._ALIASES.get(name, name), value)

    def __getattr__(self, name):
        if name in self._ALIASES:
            return getattr(self, self._ALIASES[name])
        raise AttributeError(name)
