//! A producer's counters, the balance every close checks, and the stats report (JSON).
//!
//! [`Stats`] is the one list of the counters: it is also the C API's `lts_producer_stats`
//! (same layout, renamed in the header) and the top level of the JSON report, so a counter
//! added here reaches both.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::Serialize;

use crate::client::{RetryCounters, RetryReasons};
use crate::producer::result::Outcome;

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
    /// Bytes accepted and not yet reported, with the bookkeeping of sends still owed a
    /// callback (what the buffer cap limits).
    pub buffered_bytes: u64,
    /// Batches inside a request or a retry right now.
    pub inflight_batches: u64,
    /// Requests made beyond each batch's first.
    pub retries: u64,
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

/// The counters kept outside the intake lock (accepted logs are counted under it).
#[derive(Default)]
pub(crate) struct Counters {
    pub logs_sent: AtomicU64,
    pub logs_failed: AtomicU64,
    pub logs_refused: AtomicU64,
    pub bytes_sent: AtomicU64,
    pub inflight_batches: AtomicU64,
    /// Shared with the clients, which count retries as they happen.
    pub retries: Arc<RetryCounters>,
    /// Updated once per reported batch, so a lock costs nothing that matters.
    pub reported: Mutex<Reported>,
}

/// What reports add up: by unit, retries by reason, the last failure.
#[derive(Default)]
pub(crate) struct Reported {
    /// project → unit → counts (nested so a lookup needs no owned key).
    units: HashMap<String, HashMap<String, UnitCounts>>,
    last_error: Option<(Instant, Arc<Outcome>)>,
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
            retries: self.retries.read().total(),
            ..Stats::default()
        }
    }

    /// Adds one reported batch: its unit's counts, and the outcome if it failed.
    pub fn batch_reported(
        &self,
        project: &str,
        unit: &str,
        logs: u64,
        bytes: u64,
        outcome: &Arc<Outcome>,
    ) {
        let mut r = self.reported.lock().unwrap_or_else(|p| p.into_inner());
        let units = match r.units.get_mut(project) {
            Some(u) => u,
            None => r.units.entry(project.to_owned()).or_default(),
        };
        let c = match units.get_mut(unit) {
            Some(c) => c,
            None => units.entry(unit.to_owned()).or_default(),
        };
        if outcome.error.is_none() {
            c.logs_sent += logs;
            c.bytes_sent += bytes;
            c.batches_sent += 1;
        } else {
            c.logs_failed += logs;
            c.batches_failed += 1;
            r.last_error = Some((Instant::now(), outcome.clone()));
        }
    }

    /// The report: `totals` and the units' accepted counts read together under the intake
    /// lock; the rest from the reports so far.
    pub fn report(
        &self,
        totals: Stats,
        accepted: Vec<crate::producer::accumulator::UnitAccepted>,
        tokens: (u64, u64),
    ) -> StatsReport {
        let r = self.reported.lock().unwrap_or_else(|p| p.into_inner());
        let mut units: Vec<UnitReport> = accepted
            .into_iter()
            .map(|(project, unit, logs, bytes)| {
                let mut counts = r
                    .units
                    .get(&project)
                    .and_then(|u| u.get(&unit))
                    .copied()
                    .unwrap_or_default();
                counts.logs_accepted = logs;
                counts.bytes_accepted = bytes;
                UnitReport {
                    project,
                    unit,
                    counts,
                }
            })
            .collect();
        units.sort_by(|a, b| (&a.project, &a.unit).cmp(&(&b.project, &b.unit)));
        StatsReport {
            totals,
            retries_by_reason: self.retries.read(),
            token_renewals: tokens.0,
            token_failures: tokens.1,
            units,
            last_error: r.last_error.as_ref().map(|(at, o)| LastError {
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
    /// Every (project, unit) sent to, sorted.
    pub units: Vec<UnitReport>,
    pub last_error: Option<LastError>,
}
