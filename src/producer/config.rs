//! `ProducerConfig` (the seed SDK's) and its limits.

use std::time::Duration;

use crate::error::{Error, Result};
use crate::profile::{MAX_REQUEST_BYTES, MAX_REQUEST_LOGS};

/// Where send results are delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallbackMode {
    /// One library thread per producer runs callbacks, one at a time.
    Thread,
    /// Results wait until the application polls for them on its own thread.
    Poll,
}

#[derive(Clone)]
pub struct ProducerConfig {
    /// A batch closes when its raw (uncompressed protobuf) size would pass this.
    pub batch_size_bytes: usize,
    /// A batch closes when it holds this many logs.
    pub batch_count: usize,
    /// A batch closes this long after its first log arrived.
    pub linger: Duration,
    pub worker_count: usize,
    /// Cap on the memory held for logs accepted and not yet reported (see `Stats::buffered_bytes`).
    pub buffer_bytes: usize,
    /// How long `send` may wait for room under the cap (0: fail at once).
    pub max_block: Duration,
    pub callback_mode: CallbackMode,
    /// How long a batch may take, retries included, before it fails.
    pub delivery_timeout: Duration,
    /// The journal's directory (`None`: no journal): see `crate::journal`.
    pub journal_dir: Option<std::path::PathBuf>,
    /// Disk the journal's segments may take.
    pub journal_max_bytes: u64,
    /// One segment file's size.
    pub journal_segment_bytes: usize,
    /// How often the journal is made durable (zero: before each batch is sent).
    pub journal_sync: Duration,
    /// Batches found older than this after a restart are reported, not sent.
    pub journal_max_age: Duration,
    /// How often the stats callback gets the stats (`None`: never).
    pub stats_interval: Option<Duration>,
    /// Called with the stats as JSON every `stats_interval`, where callbacks run.
    pub stats_callback: Option<StatsCallback>,
    /// Per-unit entries kept for units with nothing buffered or in flight; beyond this many
    /// the least recently used are retired (their counts summed in the stats'
    /// `units_retired`).
    pub idle_units_max: usize,
}

/// Receives the producer's stats as JSON (see `Producer::stats_json`).
pub type StatsCallback = std::sync::Arc<dyn Fn(&str) + Send + Sync>;

/// The shortest stats interval (a producer's stats change little faster).
pub const MIN_STATS_INTERVAL_MS: u32 = 100;

pub const DEFAULT_BATCH_SIZE: usize = 512 * 1024;
pub const DEFAULT_BATCH_COUNT: usize = 4096;
pub const DEFAULT_LINGER_MS: u32 = 2000;
pub const MIN_LINGER_MS: u32 = 100;
pub const DEFAULT_WORKERS: usize = 8;
pub const MAX_WORKERS: usize = 256;
pub const DEFAULT_BUFFER_BYTES: usize = 100 * 1024 * 1024;
pub const DEFAULT_DELIVERY_TIMEOUT_MS: u32 = 10 * 60 * 1000;
pub const DEFAULT_IDLE_UNITS_MAX: usize = 1000;
pub const DEFAULT_JOURNAL_MAX_BYTES: u64 = 1 << 30;
pub const DEFAULT_JOURNAL_SEGMENT_BYTES: usize = 8 << 20;
pub const MIN_JOURNAL_SEGMENT_BYTES: usize = 1 << 20;
pub const MAX_JOURNAL_SEGMENT_BYTES: usize = 1 << 30;
pub const DEFAULT_JOURNAL_SYNC_MS: u32 = 1000;
/// lts-local remembers a batch id for an hour; CTyun's service, as far as it is known, at
/// least for a batch's delivery deadline (protocol.md, "Duplicates").
pub const DEFAULT_JOURNAL_MAX_AGE_MS: u32 = 3_600_000;

impl Default for ProducerConfig {
    fn default() -> Self {
        ProducerConfig {
            batch_size_bytes: DEFAULT_BATCH_SIZE,
            batch_count: DEFAULT_BATCH_COUNT,
            linger: Duration::from_millis(u64::from(DEFAULT_LINGER_MS)),
            worker_count: DEFAULT_WORKERS,
            buffer_bytes: DEFAULT_BUFFER_BYTES,
            max_block: Duration::ZERO,
            callback_mode: CallbackMode::Thread,
            delivery_timeout: Duration::from_millis(u64::from(DEFAULT_DELIVERY_TIMEOUT_MS)),
            journal_dir: None,
            journal_max_bytes: DEFAULT_JOURNAL_MAX_BYTES,
            journal_segment_bytes: DEFAULT_JOURNAL_SEGMENT_BYTES,
            journal_sync: Duration::from_millis(u64::from(DEFAULT_JOURNAL_SYNC_MS)),
            journal_max_age: Duration::from_millis(u64::from(DEFAULT_JOURNAL_MAX_AGE_MS)),
            stats_interval: None,
            stats_callback: None,
            idle_units_max: DEFAULT_IDLE_UNITS_MAX,
        }
    }
}

fn out_of_range(what: &str, value: impl std::fmt::Display, range: &str) -> Error {
    Error::invalid_argument(format!("{what} {value} is out of range ({range})"))
}

impl std::fmt::Debug for ProducerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProducerConfig")
            .field("batch_size_bytes", &self.batch_size_bytes)
            .field("batch_count", &self.batch_count)
            .field("linger", &self.linger)
            .field("worker_count", &self.worker_count)
            .field("buffer_bytes", &self.buffer_bytes)
            .field("max_block", &self.max_block)
            .field("callback_mode", &self.callback_mode)
            .field("delivery_timeout", &self.delivery_timeout)
            .field("journal_dir", &self.journal_dir)
            .field("journal_max_bytes", &self.journal_max_bytes)
            .field("journal_segment_bytes", &self.journal_segment_bytes)
            .field("journal_sync", &self.journal_sync)
            .field("journal_max_age", &self.journal_max_age)
            .field("stats_interval", &self.stats_interval)
            .field("stats_callback", &self.stats_callback.is_some())
            .finish()
    }
}

impl ProducerConfig {
    pub fn set_batch_size_bytes(&mut self, bytes: usize) -> Result<()> {
        if !(1..=MAX_REQUEST_BYTES).contains(&bytes) {
            return Err(out_of_range("batch size", bytes, "1..=5 MiB"));
        }
        self.batch_size_bytes = bytes;
        Ok(())
    }

    pub fn set_batch_count(&mut self, count: u32) -> Result<()> {
        if !(1..=MAX_REQUEST_LOGS as u32).contains(&count) {
            return Err(out_of_range("batch count", count, "1..=40960"));
        }
        self.batch_count = count as usize;
        Ok(())
    }

    pub fn set_linger_ms(&mut self, ms: u32) -> Result<()> {
        if ms < MIN_LINGER_MS {
            return Err(out_of_range("linger", format!("{ms} ms"), ">= 100 ms"));
        }
        self.linger = Duration::from_millis(u64::from(ms));
        Ok(())
    }

    pub fn set_worker_count(&mut self, n: u32) -> Result<()> {
        if !(1..=MAX_WORKERS as u32).contains(&n) {
            return Err(out_of_range("worker count", n, "1..=256"));
        }
        self.worker_count = n as usize;
        Ok(())
    }

    pub fn set_buffer_bytes(&mut self, bytes: usize) -> Result<()> {
        if bytes == 0 {
            return Err(out_of_range("buffer size", bytes, ">= 1"));
        }
        self.buffer_bytes = bytes;
        Ok(())
    }

    pub fn set_max_block_ms(&mut self, ms: u32) -> Result<()> {
        self.max_block = Duration::from_millis(u64::from(ms));
        Ok(())
    }

    pub fn set_delivery_timeout_ms(&mut self, ms: u32) -> Result<()> {
        if ms == 0 {
            return Err(out_of_range("delivery timeout", "0 ms", ">= 1 ms"));
        }
        self.delivery_timeout = Duration::from_millis(u64::from(ms));
        Ok(())
    }

    /// The journal's directory ("" for none): accepted logs are kept there until reported,
    /// so a crash loses none, and a producer started on it sends what is left.
    pub fn set_journal_dir(&mut self, dir: &str) -> Result<()> {
        self.journal_dir = (!dir.is_empty()).then(|| dir.into());
        Ok(())
    }

    pub fn set_journal_max_bytes(&mut self, bytes: u64) -> Result<()> {
        if bytes < 2 * MIN_JOURNAL_SEGMENT_BYTES as u64 {
            return Err(out_of_range("journal_max_bytes", bytes, ">= 2 MiB"));
        }
        self.journal_max_bytes = bytes;
        Ok(())
    }

    pub fn set_journal_segment_bytes(&mut self, bytes: usize) -> Result<()> {
        if !(MIN_JOURNAL_SEGMENT_BYTES..=MAX_JOURNAL_SEGMENT_BYTES).contains(&bytes) {
            return Err(out_of_range(
                "journal_segment_bytes",
                bytes,
                "1 MiB..=1 GiB",
            ));
        }
        self.journal_segment_bytes = bytes;
        Ok(())
    }

    pub fn set_journal_sync_ms(&mut self, ms: u32) -> Result<()> {
        self.journal_sync = Duration::from_millis(u64::from(ms));
        Ok(())
    }

    pub fn set_journal_max_age_ms(&mut self, ms: u32) -> Result<()> {
        if ms == 0 {
            return Err(out_of_range("journal_max_age_ms", ms, ">= 1"));
        }
        self.journal_max_age = Duration::from_millis(u64::from(ms));
        Ok(())
    }

    /// The journal's settings, if it has a directory.
    pub fn journal(&self) -> Option<crate::journal::JournalConfig> {
        Some(crate::journal::JournalConfig {
            dir: self.journal_dir.clone()?,
            max_bytes: self.journal_max_bytes,
            segment_bytes: self.journal_segment_bytes,
            sync_interval: self.journal_sync,
            max_age: self.journal_max_age,
        })
    }

    /// The largest `LOGS` record one send can make: a full batch's raw bytes and the
    /// per-log lengths.
    fn largest_journal_record(&self) -> usize {
        self.batch_size_bytes + 8 * self.batch_count + 4096
    }

    /// Every `ms` milliseconds (at least 100; 0: never) the stats callback gets the stats.
    pub fn set_stats_interval_ms(&mut self, ms: u32) -> Result<()> {
        if ms != 0 && ms < MIN_STATS_INTERVAL_MS {
            return Err(out_of_range(
                "stats interval",
                format!("{ms} ms"),
                "0 or >= 100 ms",
            ));
        }
        self.stats_interval = (ms != 0).then(|| Duration::from_millis(u64::from(ms)));
        Ok(())
    }

    /// Checks the settings against each other (each setter checked its own range).
    pub fn check(&self) -> Result<()> {
        if self.buffer_bytes < self.batch_size_bytes {
            return Err(Error::invalid_argument(format!(
                "buffer size {} is smaller than the batch size {}: a full batch could never be buffered",
                self.buffer_bytes, self.batch_size_bytes
            )));
        }
        if self.journal_dir.is_some() {
            if self.journal_segment_bytes < 2 * self.largest_journal_record() {
                return Err(Error::invalid_argument(format!(
                    "journal_segment_bytes {} is too small for batches of {} bytes and {} logs: at least {} (twice the largest send)",
                    self.journal_segment_bytes,
                    self.batch_size_bytes,
                    self.batch_count,
                    2 * self.largest_journal_record()
                )));
            }
            if self.journal_max_bytes < 2 * self.journal_segment_bytes as u64 {
                return Err(Error::invalid_argument(format!(
                    "journal_max_bytes {} holds fewer than two segments of {} bytes",
                    self.journal_max_bytes, self.journal_segment_bytes
                )));
            }
        }
        Ok(())
    }
}
