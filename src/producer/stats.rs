//! A producer's counters, the balance every close checks, and the stats report (JSON).
//!
//! [`Stats`] is the one list of the counters: it is also the C API's `lts_producer_stats`
//! (same layout, renamed in the header) and the top level of the JSON report, so a counter
//! added here reaches both.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::Serialize;

use crate::client::{RetryCounters, RetryReasons};
use crate::producer::result::Outcome;
use crate::producer::units::Retired;

/// A producer's counters. Bytes are raw (uncompressed protobuf) bytes.
///
/// C callers set `struct_size` to `sizeof(lts_producer_stats)` before
/// lts_producer_get_stats: later versions may add fields at the end, and only the fields
/// that fit in `struct_size` are written. In values the library makes it is this version's
/// size.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// The size of the caller's struct (see above).
    #[serde(skip)]
    pub struct_size: u32,
    /// Logs in accepted send calls.
    pub logs_accepted: u64,
    /// Logs the service accepted.
    pub logs_sent: u64,
    /// Logs whose batch failed (including those reported LTS_ERR_CLOSED by close).
    pub logs_failed: u64,
    /// Logs in refused send calls.
    pub logs_refused: u64,
    /// Raw bytes of accepted send calls, each counted as a request of its own would be
    /// (what the buffer cap counts).
    pub bytes_accepted: u64,
    /// Raw bytes of the delivered batches (their logs share one envelope, so this is at most
    /// bytes_accepted for the same logs).
    pub bytes_sent: u64,
    /// Memory held for accepted logs not yet reported, as the allocator holds it: batch
    /// buffers by capacity, label groups, the bookkeeping of sends owed a callback, request
    /// bodies being delivered (what the buffer cap limits).
    pub buffered_bytes: u64,
    /// Batches inside a request or a retry right now.
    pub inflight_batches: u64,
    /// Requests made beyond each batch's first.
    pub retries: u64,
    /// The journal's segment files on disk, in bytes (0 without a journal).
    pub journal_bytes: u64,
    /// Batches (and their logs) a restart found in the journal and queued to send.
    pub journal_recovered_batches: u64,
    pub journal_recovered_logs: u64,
    /// Journal records found damaged (a torn tail, a CRC mismatch) and skipped.
    pub journal_damaged_records: u64,
    /// Batches a restart found older than journal_max_age_ms: reported, not sent.
    pub journal_expired_batches: u64,
    /// Journal writes, syncs or segment creations that failed (new logs were kept in memory
    /// only meanwhile).
    pub journal_errors: u64,
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            struct_size: std::mem::size_of::<Stats>() as u32,
            logs_accepted: 0,
            logs_sent: 0,
            logs_failed: 0,
            logs_refused: 0,
            bytes_accepted: 0,
            bytes_sent: 0,
            buffered_bytes: 0,
            inflight_batches: 0,
            retries: 0,
            journal_bytes: 0,
            journal_recovered_batches: 0,
            journal_recovered_logs: 0,
            journal_damaged_records: 0,
            journal_expired_batches: 0,
            journal_errors: 0,
        }
    }
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

/// One (project, unit)'s share of the counters.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct UnitCounts {
    pub logs_accepted: u64,
    pub bytes_accepted: u64,
    pub logs_sent: u64,
    pub logs_failed: u64,
    pub bytes_sent: u64,
    pub batches_sent: u64,
    pub batches_failed: u64,
}

/// The counters a send or a report changes, kept under the intake lock with the memory
/// they account for, so one read under that lock is a consistent snapshot: sent + failed
/// never exceeds accepted, and nothing is buffered exactly when everything accepted was
/// reported.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Totals {
    pub logs_accepted: u64,
    pub bytes_accepted: u64,
    pub logs_sent: u64,
    pub logs_failed: u64,
    pub bytes_sent: u64,
}

/// The counters kept outside the intake lock.
#[derive(Default)]
pub(crate) struct Counters {
    pub logs_refused: AtomicU64,
    pub inflight_batches: AtomicU64,
    /// Shared with the clients, which count retries as they happen.
    pub retries: Arc<RetryCounters>,
    /// The last failure, updated once per failed batch.
    pub last_error: Mutex<Option<(Instant, Arc<Outcome>)>>,
}

impl Counters {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// The counters: `totals` and `buffered` read together under the intake lock; the
    /// journal's, if there is one.
    pub fn read(
        &self,
        totals: Totals,
        buffered: usize,
        journal: Option<&crate::journal::Counters>,
    ) -> Stats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let j = |f: fn(&crate::journal::Counters) -> &AtomicU64| journal.map_or(0, |c| get(f(c)));
        Stats {
            journal_bytes: j(|c| &c.bytes),
            journal_recovered_batches: j(|c| &c.recovered_batches),
            journal_recovered_logs: j(|c| &c.recovered_logs),
            journal_damaged_records: j(|c| &c.damaged_records),
            journal_expired_batches: j(|c| &c.expired_batches),
            journal_errors: j(|c| &c.errors),
            logs_accepted: totals.logs_accepted,
            logs_sent: totals.logs_sent,
            logs_failed: totals.logs_failed,
            logs_refused: get(&self.logs_refused),
            bytes_accepted: totals.bytes_accepted,
            bytes_sent: totals.bytes_sent,
            buffered_bytes: buffered as u64,
            inflight_batches: get(&self.inflight_batches),
            retries: self.retries.read().total(),
            ..Stats::default()
        }
    }

    /// Remembers a failed batch's outcome as the last failure.
    pub fn failed(&self, outcome: &Arc<Outcome>) {
        *self.last_error.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((Instant::now(), outcome.clone()));
    }

    /// The report: `totals` read under the intake lock, the units read in chunks after it
    /// (each unit's counts consistent, the list not a single instant's), the rest from here.
    pub fn report(
        &self,
        totals: Stats,
        mut units: Vec<UnitReport>,
        retired: Retired,
        tokens: (u64, u64),
    ) -> StatsReport {
        units.sort_by(|a, b| (&a.project, &a.unit).cmp(&(&b.project, &b.unit)));
        let last = self.last_error.lock().unwrap_or_else(|p| p.into_inner());
        StatsReport {
            totals,
            retries_by_reason: self.retries.read(),
            token_renewals: tokens.0,
            token_failures: tokens.1,
            units,
            units_retired: retired,
            last_error: last.as_ref().map(|(at, o)| LastError {
                result: crate::error::ErrorKind::c_name(o.error)
                    .to_str()
                    .unwrap_or(""),
                error: o.error_code.clone(),
                status_code: o.status_code,
                message: o.message.clone(),
                ms_ago: at.elapsed().as_millis() as u64,
            }),
        }
    }
}

/// One (project, unit) in the report.
#[derive(Debug, Serialize)]
pub struct UnitReport {
    pub project: String,
    pub unit: String,
    #[serde(flatten)]
    pub counts: UnitCounts,
}

/// The most recent failed batch's outcome.
#[derive(Debug, Serialize)]
pub struct LastError {
    /// The result code's name, e.g. "LTS_ERR_NETWORK".
    pub result: &'static str,
    /// The service's code ("LTS_8007"), or "".
    pub error: String,
    pub status_code: i32,
    pub message: String,
    /// How long ago the batch was reported.
    pub ms_ago: u64,
}

/// Everything a producer can tell about itself: [`Stats`]'s counters at the top level, then
/// the rest. Serialized as the stats JSON (`Producer::stats_json`, lts_producer_stats_json).
#[derive(Debug, Serialize)]
pub struct StatsReport {
    #[serde(flatten)]
    pub totals: Stats,
    pub retries_by_reason: RetryReasons,
    /// Token calls that succeeded (the first included) and that failed, over all clients.
    pub token_renewals: u64,
    pub token_failures: u64,
    /// Every (project, unit) with an entry now (see `units_retired`), sorted.
    pub units: Vec<UnitReport>,
    /// The units whose entries were retired (idle, beyond `idle_units_max`): how many, and
    /// what they had counted. `units` and this add up to the totals once nothing is in
    /// flight.
    pub units_retired: Retired,
    pub last_error: Option<LastError>,
}
