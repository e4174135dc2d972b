//! A producer's counters, and the balance every close checks.

use std::sync::atomic::{AtomicU64, Ordering};

/// Counters of a producer's life. Raw bytes are uncompressed protobuf bytes: accepted ones
/// count each send as a request of its own would be; sent ones are the delivered batches'
/// `LogsData`, where a batch's logs share their envelope. `buffered_bytes` is what the
/// memory cap counts: accepted raw bytes not yet reported, plus the bookkeeping of sends
/// still owed a callback.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    pub logs_accepted: u64,
    pub logs_sent: u64,
    pub logs_failed: u64,
    pub logs_refused: u64,
    pub bytes_accepted: u64,
    pub bytes_sent: u64,
    pub buffered_bytes: u64,
    pub inflight_batches: u64,
    pub retries: u64,
}

impl Stats {
    /// What a finished producer cannot account for: accepted logs neither sent nor failed,
    /// and bytes still counted as buffered. Zero after every close.
    pub fn unaccounted(&self) -> (u64, u64) {
        (
            self.logs_accepted
                .saturating_sub(self.logs_sent + self.logs_failed),
            self.buffered_bytes,
        )
    }
}

/// The counters kept outside the intake lock (accepted logs are counted under it).
#[derive(Default)]
pub(crate) struct Counters {
    pub logs_sent: AtomicU64,
    pub logs_failed: AtomicU64,
    pub logs_refused: AtomicU64,
    pub bytes_sent: AtomicU64,
    pub inflight_batches: AtomicU64,
    pub retries: AtomicU64,
}

impl Counters {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// The counters with the intake's accepted totals and the memory cap's use.
    pub fn read(&self, accepted: (u64, u64), buffered: usize) -> Stats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Stats {
            logs_accepted: accepted.0,
            logs_sent: get(&self.logs_sent),
            logs_failed: get(&self.logs_failed),
            logs_refused: get(&self.logs_refused),
            bytes_accepted: accepted.1,
            bytes_sent: get(&self.bytes_sent),
            buffered_bytes: buffered as u64,
            inflight_batches: get(&self.inflight_batches),
            retries: get(&self.retries),
        }
    }
}
