//! The asynchronous Producer: `send` copies logs into per-(project, unit) batches and
//! returns; workers deliver batches with the sync client's machinery (encode, auth,
//! transport, retry); every accepted send's callback runs exactly once.
//!
//! A batch's life: open in the [`accumulator`] (behind the [`intake`] lock) → closed on
//! size, count or linger and posted to the [`outbox`] before that lock is released → taken
//! by a [`worker`] → reported once, by the worker with the service's outcome or by
//! [`close`] with `Closed` when its time runs out → its callbacks run from the [`result`]
//! queue.

pub mod accumulator;
mod batch;
mod close;
pub mod config;
mod intake;
mod journaling;
mod linger;
#[cfg(all(test, loom))]
mod loom_tests;
pub mod memory;
mod outbox;
mod queue;
pub mod result;
mod stats;
mod sync;
mod units;
mod worker;

use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::client::Client;
use crate::config::ClientConfig;
use crate::encode::{check_count, Encoded, Logs};
use crate::error::{Error, ErrorKind, Result};
use crate::log::{Level, Logger, Route, Topic};
use crate::log_item::LogItem;
use accumulator::{Accumulator, Part};
use batch::{given_back_bytes, Batch, Claim, Payload, PendingSend};
pub use config::{CallbackMode, ProducerConfig};
use intake::{Given, Intake, Refused, CREATED, RUNNING};
use memory::MemoryCap;
use result::Results;
pub use result::{Callback, Notify, Outcome, SendResult};
use stats::Counters;
pub use stats::{LastError, Stats, StatsReport, UnitCounts, UnitReport};

thread_local! {
    /// Each sending thread checks and encodes its sends in its own reused buffers, outside
    /// any lock.
    static ENCODED: std::cell::RefCell<Encoded> = std::cell::RefCell::new(Encoded::default());
}

/// Body-building buffers: encoding takes a worker a fraction of a request's time, so a
/// couple serve every worker (each is about twice the batch size).
const SCRATCHES: usize = 2;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// `LogsData` bytes to send again, and where they came from.
struct RawBatch {
    project: String,
    unit: String,
    batch_id: String,
    logs_data: Vec<u8>,
    log_count: usize,
}

struct Shared {
    config: ProducerConfig,
    /// Filled by `add_client` until `start`, then frozen so `send` reads it without a lock.
    pending_clients: Mutex<HashMap<String, Arc<Client>>>,
    clients: OnceLock<rustc_hash::FxHashMap<String, Arc<Client>>>,
    intake: Intake,
    /// Buffers workers build request bodies in.
    scratches: batch::Scratches,
    results: Arc<Results>,
    /// The producer's lines, queued on `results` so they run where callbacks run.
    log: Arc<Logger>,
    /// Stops the stats thread (close sets it).
    stats_stop: Mutex<bool>,
    stats_wake: Condvar,
    /// Set when close runs out of time: pauses between retries end at once.
    abort: Mutex<bool>,
    abort_changed: Condvar,
    counters: Counters,
    /// The journal's shared part (its counters, what its thread syncs), if there is one.
    journal: Option<Arc<crate::journal::Shared>>,
    /// Stops the journal's recovery from queueing more (close with a timeout sets it).
    recovery_stop: std::sync::atomic::AtomicBool,
}

#[derive(Default)]
struct Threads {
    linger: Option<JoinHandle<()>>,
    stats: Option<JoinHandle<()>>,
    workers: Vec<JoinHandle<()>>,
    callbacks: Option<JoinHandle<()>>,
    journal_sync: Option<JoinHandle<()>>,
    recovery: Option<JoinHandle<()>>,
}

/// The asynchronous producer. Share it between threads (`send` takes `&self`).
pub struct Producer {
    shared: Arc<Shared>,
    threads: Mutex<Threads>,
    pid: u32,
}

impl Shared {
    fn id(self: &Arc<Self>) -> usize {
        Arc::as_ptr(self) as usize
    }

    /// Waits between attempts; false once close has run out of time.
    fn pause(&self, d: Duration) -> bool {
        let deadline = Instant::now() + d;
        let mut aborted = lock(&self.abort);
        while !*aborted {
            let now = Instant::now();
            if now >= deadline {
                return true;
            }
            aborted = self
                .abort_changed
                .wait_timeout(aborted, deadline - now)
                .map(|(g, _)| g)
                .unwrap_or_else(|p| p.into_inner().0);
        }
        false
    }

    /// Posts a batch of `LogsData` bytes the application gave back under its batch id,
    /// waiting up to `max_block` for room like a send.
    fn enqueue_raw(&self, raw: RawBatch, sends: Vec<PendingSend>, reserved: usize) -> Result<()> {
        let (log_count, raw_bytes) = (raw.log_count, raw.logs_data.len());
        let mut batch = Box::new(Batch {
            project: raw.project,
            unit: raw.unit,
            slot: 0, // set when it is counted (Intake::enqueue)
            payload: Payload::Raw {
                logs_data: raw.logs_data,
                log_count: raw.log_count,
            },
            reserved,
            body_bytes: Default::default(),
            trace: None, // journaled when it is counted
            sends: Claim::new(sends),
            batch_id: raw.batch_id,
            ready_at: Instant::now(),
            pool: None,
        });
        let mut deadline = None;
        loop {
            match self
                .intake
                .enqueue(batch, log_count, raw_bytes, Given::Resent)
            {
                Ok(()) => return Ok(()),
                Err((why, b)) => {
                    batch = b;
                    if !self.wait_for_room(why, &mut deadline) {
                        return Err(self.refusal(why));
                    }
                }
            }
        }
    }

    /// After a refusal: for lack of room, waits (up to `max_block` from the first refusal)
    /// until there may be room. True if the caller should try again.
    fn wait_for_room(&self, why: Refused, deadline: &mut Option<Instant>) -> bool {
        if matches!(why, Refused::Closed) || self.config.max_block.is_zero() {
            return false;
        }
        let d = *deadline.get_or_insert_with(|| Instant::now() + self.config.max_block);
        match why {
            Refused::NoRoom(n) => self.intake.memory.wait_for_room(n, d),
            Refused::NoDisk(since) => self.intake.memory.wait_for_release(since, d),
            Refused::Closed => false,
        }
    }

    /// The error for a refusal.
    fn refusal(&self, why: Refused) -> Error {
        match why {
            Refused::Closed => Error::new(ErrorKind::Closed, "the producer is closed"),
            Refused::NoRoom(_) | Refused::NoDisk(_) if !self.intake.is_running() => {
                Error::new(ErrorKind::Closed, "the producer is closed")
            }
            Refused::NoDisk(_) => {
                let e = Error::new(
                    ErrorKind::BufferFull,
                    format!(
                        "the journal's disk cap (journal_max_bytes {}) is full: its segments wait for their batches to be delivered",
                        self.config.journal_max_bytes
                    ),
                );
                self.log.log(Topic::BufferFull, Level::Warn, || {
                    format!(
                        "a send was refused: {} (max_block_ms {}; deliveries are slower than sends, or failing)",
                        e.message,
                        self.config.max_block.as_millis()
                    )
                });
                e
            }
            Refused::NoRoom(needed) => {
                let e = Error::new(
                    ErrorKind::BufferFull,
                    format!(
                        "the producer's buffer of {} bytes is full ({} in use, {needed} needed; {} kept for the request bodies of workers)",
                        self.config.buffer_bytes,
                        self.intake.memory.used(),
                        self.intake.memory.kept()
                    ),
                );
                self.log.log(Topic::BufferFull, Level::Warn, || {
                    format!(
                        "a send was refused: {} (max_block_ms {}; deliveries are slower than sends, or failing)",
                        e.message,
                        self.config.max_block.as_millis()
                    )
                });
                e
            }
        }
    }

    /// The stats report now (see [`StatsReport`]).
    fn stats_report(&self) -> StatsReport {
        let (totals, buffered) = self.intake.totals();
        let journal = self.journal.as_ref().map(|j| &j.counters);
        let totals = self.counters.read(totals, buffered, journal);
        let (units, retired) = self.intake.units();
        let tokens = self.clients.get().map_or((0, 0), |clients| {
            clients.values().fold((0, 0), |(r, f), c| {
                let (cr, cf) = c.token_counts();
                (r + cr, f + cf)
            })
        });
        self.counters.report(totals, units, retired, tokens)
    }

    /// The stats thread's body: every `interval`, the stats go to the result stream (and
    /// from there to the stats callback), until close stops it.
    fn run_stats(&self, interval: Duration) {
        let mut next = Instant::now() + interval;
        let mut stop = lock(&self.stats_stop);
        while !*stop {
            let now = Instant::now();
            if now >= next {
                drop(stop);
                // Read without the stop lock: the report takes other locks, and close only
                // needs this thread to have ended before it ends the result stream (it joins
                // it first), so a report made while close waits still runs.
                let json = serde_json::to_string(&self.stats_report()).unwrap_or_default();
                self.results.stats(json);
                next += interval;
                stop = lock(&self.stats_stop);
                continue;
            }
            stop = self
                .stats_wake
                .wait_timeout(stop, next - now)
                .map(|(g, _)| g)
                .unwrap_or_else(|p| p.into_inner().0);
        }
    }
}

impl Producer {
    pub fn new(config: ProducerConfig) -> Result<Producer> {
        config.check()?;
        let results = Arc::new(Results::new(config.stats_callback.clone()));
        let lines = results.clone();
        let log = Arc::new(Logger::new(
            Route::Via(Box::new(move |level, text| lines.line(level, text))),
            Level::Warn,
            Level::Error,
        ));
        // The journal's directory is taken now (a second producer on it is refused here);
        // what an earlier producer left there is read once this one starts.
        let journal = match config.journal() {
            Some(cfg) => Some(crate::journal::Journal::open(cfg, log.clone())?),
            None => None,
        };
        let journal_shared = journal.as_ref().map(|j| j.shared.clone());
        let shared = Arc::new(Shared {
            intake: Intake::new(
                Accumulator::new(
                    config.batch_size_bytes,
                    config.batch_count,
                    config.linger,
                    config.idle_units_max,
                    journal,
                ),
                MemoryCap::for_producer(
                    config.buffer_bytes,
                    config.worker_count,
                    config.batch_size_bytes,
                ),
            ),
            config,
            pending_clients: Mutex::new(HashMap::new()),
            clients: OnceLock::new(),
            scratches: batch::Scratches::new(SCRATCHES),
            results,
            log,
            stats_stop: Mutex::new(false),
            stats_wake: Condvar::new(),
            abort: Mutex::new(false),
            abort_changed: Condvar::new(),
            counters: Counters::default(),
            journal: journal_shared,
            recovery_stop: std::sync::atomic::AtomicBool::new(false),
        });
        Ok(Producer {
            shared,
            threads: Mutex::new(Threads::default()),
            pid: std::process::id(),
        })
    }

    pub fn config(&self) -> &ProducerConfig {
        &self.shared.config
    }

    /// Registers the client for `config.log_project` (the seed SDK's `build_clients`). No
    /// network I/O: workers fetch tokens when they first send.
    pub fn add_client(&self, config: ClientConfig) -> Result<()> {
        if self.shared.intake.state() != CREATED {
            return Err(Error::new(
                ErrorKind::InvalidState,
                "clients must be added before the producer starts",
            ));
        }
        config.check_transport_security()?;
        let project = config.log_project.clone();
        if project.is_empty() {
            return Err(Error::invalid_argument(
                "the client config has no log project to be keyed by",
            ));
        }
        let mut clients = lock(&self.shared.pending_clients);
        if clients.contains_key(&project) {
            return Err(Error::invalid_argument(format!(
                "a client for log project {project:?} was already added"
            )));
        }
        clients.insert(
            project,
            Arc::new(Client::unconnected(config).observed_by(
                self.shared.log.clone(),
                self.shared.counters.retries.clone(),
            )),
        );
        Ok(())
    }

    /// Starts the threads: one linger thread (lts-linger), `worker_count` workers, and in thread mode one
    /// callback thread.
    pub fn start(&self) -> Result<()> {
        let mut threads = lock(&self.threads);
        if self.shared.intake.state() != CREATED {
            return Err(Error::new(
                ErrorKind::InvalidState,
                "the producer was already started or closed",
            ));
        }
        let clients = std::mem::take(&mut *lock(&self.shared.pending_clients));
        let _ = self.shared.clients.set(clients.into_iter().collect());
        let spawn = |name: String, f: Box<dyn FnOnce() + Send>| {
            std::thread::Builder::new()
                .name(name)
                .spawn(f)
                .map_err(|e| {
                    Error::new(
                        ErrorKind::Internal,
                        format!("cannot start a producer thread: {e}"),
                    )
                })
        };
        let spawned = (|| -> Result<()> {
            let s = self.shared.clone();
            threads.linger = Some(spawn(
                "lts-linger".into(),
                Box::new(move || s.intake.run_linger()),
            )?);
            for i in 0..self.shared.config.worker_count {
                let s = self.shared.clone();
                let h = spawn(format!("lts-worker-{i}"), Box::new(move || s.worker_loop()))?;
                threads.workers.push(h);
            }
            if let (Some(interval), Some(_)) = (
                self.shared.config.stats_interval,
                &self.shared.config.stats_callback,
            ) {
                let s = self.shared.clone();
                threads.stats = Some(spawn(
                    "lts-stats".into(),
                    Box::new(move || s.run_stats(interval)),
                )?);
            }
            if self.shared.config.callback_mode == CallbackMode::Thread {
                let s = self.shared.clone();
                threads.callbacks = Some(spawn(
                    "lts-callbacks".into(),
                    Box::new(move || s.results.run_until_end(s.id())),
                )?);
            }
            Ok(())
        })();
        if let Err(e) = spawned {
            // Nothing was accepted: end the threads that did start, and stay unusable.
            self.shared.intake.abandon();
            self.shared.results.end();
            *lock(&self.shared.stats_stop) = true;
            self.shared.stats_wake.notify_all();
            let t = std::mem::take(&mut *threads);
            for h in t
                .linger
                .into_iter()
                .chain(t.stats)
                .chain(t.workers)
                .chain(t.callbacks)
            {
                let _ = h.join();
            }
            return Err(e);
        }
        self.shared.intake.start();
        self.start_journal(&mut threads);
        Ok(())
    }

    /// Sends `LogsData` bytes again under their original batch id (for batches an application
    /// kept, e.g. from a spill file): the callback runs once, as for `send`.
    pub fn resend_raw(
        &self,
        project: &str,
        unit: &str,
        batch_id: &str,
        logs_data: &[u8],
        callback: Option<Notify>,
    ) -> Result<()> {
        use prost::Message;
        let sh = &*self.shared;
        if !sh.intake.is_running() {
            return Err(Error::new(ErrorKind::Closed, "the producer is not running"));
        }
        if !sh.clients.get().is_some_and(|c| c.contains_key(project)) {
            return Err(Error::invalid_argument(format!(
                "no client was added for log project {project:?}"
            )));
        }
        if unit.is_empty()
            || batch_id.is_empty()
            || batch_id.len() > 128
            || !batch_id.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(Error::invalid_argument("log_unit and batch_id must be non-empty (batch_id: up to 128 visible ASCII characters)"));
        }
        crate::encode::check_raw_size(logs_data.len(), crate::profile::MAX_REQUEST_BYTES)?;
        let data = crate::otlp::LogsData::decode(logs_data).map_err(|e| {
            Error::invalid_argument(format!("the data is not an OTLP LogsData: {e}"))
        })?;
        let log_count: usize = data
            .resource_logs
            .iter()
            .flat_map(|r| &r.scope_logs)
            .map(|s| s.log_records.len())
            .sum();
        if log_count == 0 || log_count > crate::profile::MAX_REQUEST_LOGS {
            return Err(Error::new(
                ErrorKind::TooLarge,
                format!("{log_count} logs: between 1 and 40960 are allowed"),
            ));
        }
        let reserved = given_back_bytes(project, unit, logs_data.len(), callback.as_ref());
        let sends = callback
            .map(|notify| vec![PendingSend { notify, log_count }])
            .unwrap_or_default();
        let raw = RawBatch {
            project: project.to_owned(),
            unit: unit.to_owned(),
            batch_id: batch_id.to_owned(),
            logs_data: logs_data.to_vec(),
            log_count,
        };
        sh.enqueue_raw(raw, sends, reserved)
    }

    /// Accepts logs for delivery and returns at once (waiting only up to `max_block` for
    /// room under the memory cap). On `Ok`, `callback` runs exactly once with the outcome;
    /// on `Err` it never runs.
    pub fn send(
        &self,
        project: &str,
        unit: &str,
        items: &[&LogItem],
        callback: Option<Callback>,
    ) -> Result<()> {
        self.send_with(project, unit, items, callback.map(Notify::Boxed))
    }

    /// As [`Producer::send`], with the callback in either of its forms.
    pub fn send_with(
        &self,
        project: &str,
        unit: &str,
        items: &[&LogItem],
        notify: Option<Notify>,
    ) -> Result<()> {
        self.send_logs(project, unit, items, notify)
    }

    /// Accepts any [`Logs`]: `LogItem`s, records in the caller's memory, packed items. Each
    /// log is checked and measured outside any lock, then written once, straight into its
    /// batch.
    pub fn send_logs<S: Logs + ?Sized>(
        &self,
        project: &str,
        unit: &str,
        logs: &S,
        notify: Option<Notify>,
    ) -> Result<()> {
        let r = self.send_inner(project, unit, logs, notify);
        if r.is_err() {
            self.count_refused(logs.count());
        }
        r
    }

    /// Counts logs refused before they reached `send_logs` (a caller's own checks).
    pub(crate) fn count_refused(&self, logs: usize) {
        Counters::add(&self.shared.counters.logs_refused, logs as u64);
    }

    /// `send` for items in the packed layout (see [`crate::packed`]), encoded in place.
    pub fn send_packed(
        &self,
        project: &str,
        unit: &str,
        buf: &[u8],
        count: usize,
        notify: Option<Notify>,
    ) -> Result<()> {
        match crate::packed::PackedLogs::read(buf, count) {
            Ok(logs) => self.send_logs(project, unit, &logs, notify),
            Err(e) => {
                self.count_refused(count);
                Err(e)
            }
        }
    }

    fn send_inner<S: Logs + ?Sized>(
        &self,
        project: &str,
        unit: &str,
        logs: &S,
        notify: Option<Notify>,
    ) -> Result<()> {
        let sh = &*self.shared;
        match sh.intake.state() {
            CREATED => {
                return Err(Error::new(
                    ErrorKind::InvalidState,
                    "the producer is not started",
                ))
            }
            RUNNING => {}
            _ => return Err(Error::new(ErrorKind::Closed, "the producer is closed")),
        }
        let clients = sh.clients.get().expect("set at start");
        if !clients.contains_key(project) {
            return Err(Error::invalid_argument(format!(
                "no client was added for log project {project:?}"
            )));
        }
        if unit.is_empty() {
            return Err(Error::invalid_argument("log_unit is empty"));
        }
        let n = logs.count();
        check_count(n)?;
        if n > sh.config.batch_count {
            return Err(Error::new(
                ErrorKind::TooLarge,
                format!(
                    "{n} logs in one send; the batch count is {}",
                    sh.config.batch_count
                ),
            ));
        }
        ENCODED.with(|cell| match cell.try_borrow_mut() {
            Ok(mut enc) => {
                enc.encode(logs)?;
                self.append(project, unit, &enc, notify)
            }
            // A callback run by poll on this thread may send too: then encode in a fresh one.
            Err(_) => {
                let mut own = Encoded::default();
                own.encode(logs)?;
                self.append(project, unit, &own, notify)
            }
        })
    }

    fn append(
        &self,
        project: &str,
        unit: &str,
        logs: &Encoded,
        notify: Option<Notify>,
    ) -> Result<()> {
        let sh = &*self.shared;
        let raw_size = logs.standalone_size();
        if raw_size > sh.config.batch_size_bytes {
            return Err(Error::new(
                ErrorKind::TooLarge,
                format!(
                    "{raw_size} raw bytes in one send; the batch size is {}",
                    sh.config.batch_size_bytes
                ),
            ));
        }
        let mut part = Part {
            logs,
            raw_size,
            pending: notify.map(|notify| PendingSend {
                notify,
                log_count: logs.len(),
            }),
        };
        let mut deadline = None;
        loop {
            match sh.intake.append(project, unit, part) {
                Ok(()) => return Ok(()),
                // A refused part is dropped with its callback unrun: refused sends get none.
                Err((why, p)) => {
                    part = p;
                    if !sh.wait_for_room(why, &mut deadline) {
                        return Err(sh.refusal(why));
                    }
                }
            }
        }
    }

    /// Poll mode: runs up to `max` ready callbacks on this thread, waiting up to `timeout`
    /// for the first. Returns how many ran.
    pub fn poll(&self, max: usize, timeout: Duration) -> Result<usize> {
        if self.shared.config.callback_mode != CallbackMode::Poll {
            return Err(Error::new(
                ErrorKind::InvalidState,
                "poll is for producers in poll callback mode",
            ));
        }
        if max == 0 {
            return Ok(0);
        }
        Ok(self.shared.results.serve(self.shared.id(), max, timeout))
    }

    pub fn stats(&self) -> Stats {
        let (totals, buffered) = self.shared.intake.totals();
        let journal = self.shared.journal.as_ref().map(|j| &j.counters);
        self.shared.counters.read(totals, buffered, journal)
    }

    /// Everything in [`Stats`], plus each (project, unit)'s counts, retries by reason,
    /// token calls and the last failure.
    pub fn stats_report(&self) -> StatsReport {
        self.shared.stats_report()
    }

    /// [`Producer::stats_report`] as JSON: the counters of [`Stats`] at the top level, then
    /// `retries_by_reason`, `token_renewals`, `token_failures`, `units` and `last_error`.
    pub fn stats_json(&self) -> String {
        serde_json::to_string(&self.stats_report()).unwrap_or_default()
    }

    /// True while this thread is running one of this producer's callbacks.
    pub fn in_callback(&self) -> bool {
        result::in_callback_of(self.shared.id())
    }

    /// A new, empty producer with this one's configuration and clients, started if this one
    /// was: what a forked child uses instead of the parent's producer (whose threads do not
    /// exist in the child). Reads only state that needs no lock.
    pub fn fresh_copy(&self) -> Result<Producer> {
        // The journal directory stays the parent's (its lock is the parent's, its segments
        // are the parent's to send): the child's producer keeps its logs in memory.
        let mut config = self.shared.config.clone();
        let journal_dir = config.journal_dir.take();
        let p = Producer::new(config)?;
        if let Some(dir) = journal_dir {
            // Through the new producer's log: the parent's runs on threads the child lacks.
            p.shared.log.log(Topic::Journal, Level::Warn, || {
                format!(
                    "journal: a forked child's producer has no journal ({} stays its parent's): its logs are kept in memory only",
                    dir.display()
                )
            });
        }
        let started = self.shared.intake.state() != CREATED;
        let configs: Vec<ClientConfig> = match self.shared.clients.get() {
            Some(clients) => clients.values().map(|c| c.config().clone()).collect(),
            // Not started: the clients are still behind a lock a parent thread may have held
            // at fork time, so only take them if it is free.
            None => match self.shared.pending_clients.try_lock() {
                Ok(pending) => pending.values().map(|c| c.config().clone()).collect(),
                Err(_) => {
                    return Err(Error::new(
                        ErrorKind::InvalidState,
                        "the producer's clients were being changed when the process forked",
                    ))
                }
            },
        };
        for c in configs {
            p.add_client(c)?;
        }
        if started {
            p.start()?;
        }
        Ok(p)
    }

    /// Hands every open batch to the workers now instead of at its linger time, and returns
    /// without waiting for delivery; the producer keeps running. `Closed` once close began,
    /// `InvalidState` before start.
    pub fn flush(&self) -> Result<()> {
        if self.shared.intake.flush() {
            return Ok(());
        }
        Err(match self.shared.intake.state() {
            CREATED => Error::new(ErrorKind::InvalidState, "flush before start"),
            _ => Error::new(ErrorKind::Closed, "the producer is closed"),
        })
    }

    /// True once close has finished.
    pub fn is_closed(&self) -> bool {
        self.shared.intake.state() == intake::CLOSED
    }
}

impl Drop for Producer {
    fn drop(&mut self) {
        if std::process::id() != self.pid {
            // A forked child: the threads are the parent's and do not exist here, and their
            // locks may be held forever. Touch nothing; the memory is the child's to lose.
            std::mem::forget(std::mem::take(&mut *lock(&self.threads)));
            return;
        }
        let _ = self.close(Some(Duration::ZERO));
    }
}
