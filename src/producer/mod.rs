//! The asynchronous Producer: `send` copies logs into per-(project, unit) batches and
//! returns; workers deliver batches with the sync client's machinery (encode, auth,
//! transport, retry); every accepted send's callback runs exactly once.
//!
//! A batch's life: open in the [`accumulator`] → closed on size, count or linger → queued for
//! a worker (and listed in the registry) → reported by whoever claims it first: the worker
//! with the service's outcome, or `close` with `Closed` when its time runs out.

pub mod accumulator;
pub mod config;
#[cfg(all(test, loom))]
mod loom_tests;
pub mod memory;
pub mod result;
mod spill;
mod sync;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};

use crate::client::{Client, RetryLimits};
use crate::config::ClientConfig;
use crate::encode::{check_items, EncodedRecords};
use crate::error::{Error, ErrorKind, Result};
use crate::log_item::LogItem;
use accumulator::{Accumulator, Batch, Claim, Part, Payload};
pub use config::{CallbackMode, ProducerConfig};
use memory::MemoryCap;
pub use result::{Callback, SendResult};
use result::{Event, Results};

thread_local! {
    /// Each sending thread serializes its logs into its own reused buffer, outside any lock.
    static SCRATCH: std::cell::RefCell<EncodedRecords> = std::cell::RefCell::new(EncodedRecords::default());
}

/// Body-building buffers kept between batches: encoding takes a worker a fraction of a
/// request's time, so a couple serve every worker (each is about twice the batch size).
const SCRATCHES_KEPT: usize = 2;

const CREATED: u8 = 0;
const RUNNING: u8 = 1;
const CLOSING: u8 = 2;
const CLOSED: u8 = 3;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Counters of a producer's life (raw bytes are uncompressed protobuf bytes: accepted ones
/// count each send as a request of its own, as the memory cap does; sent ones are the
/// delivered batches' `LogsData`, where a batch's logs share their envelope).
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

#[derive(Default)]
struct Counters {
    logs_sent: AtomicU64,
    logs_failed: AtomicU64,
    logs_refused: AtomicU64,
    bytes_sent: AtomicU64,
    inflight_batches: AtomicU64,
    retries: AtomicU64,
}

/// `LogsData` bytes to send again, and where they came from.
struct RawBatch {
    project: String,
    unit: String,
    batch_id: String,
    logs_data: Vec<u8>,
    log_count: usize,
    spill_file: Option<std::path::PathBuf>,
}

enum Work {
    Batch(u64, Arc<Batch>),
    Stop,
}

struct Shared {
    config: ProducerConfig,
    state: AtomicU8,
    /// Filled by `add_client` until `start`, then frozen so `send` reads it without a lock.
    pending_clients: Mutex<HashMap<String, Arc<Client>>>,
    clients: OnceLock<rustc_hash::FxHashMap<String, Arc<Client>>>,
    acc: Mutex<Accumulator>,
    /// Wakes the linger timer: a batch opened, or the producer is closing.
    acc_changed: Condvar,
    mover_stop: AtomicBool,
    memory: MemoryCap,
    work_tx: Sender<Work>,
    work_rx: Receiver<Work>,
    /// Batches between the accumulator and their reported result.
    registry: Mutex<HashMap<u64, Arc<Batch>>>,
    /// Buffers workers build request bodies in.
    scratches: accumulator::Pool<accumulator::Scratch>,
    next_batch: AtomicU64,
    results: Results,
    /// Set when close runs out of time: pauses between retries end at once.
    abort: Mutex<bool>,
    abort_changed: Condvar,
    live_workers: Mutex<usize>,
    workers_done: Condvar,
    counters: Counters,
}

#[derive(Default)]
struct Threads {
    mover: Option<JoinHandle<()>>,
    workers: Vec<JoinHandle<()>>,
    callbacks: Option<JoinHandle<()>>,
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

    fn dispatch(&self, batches: Vec<Batch>) {
        for b in batches {
            self.dispatch_one(b);
        }
    }

    fn dispatch_one(&self, b: Batch) {
        let id = self.next_batch.fetch_add(1, Ordering::Relaxed);
        let b = Arc::new(b);
        lock(&self.registry).insert(id, b.clone());
        // The receiver lives in `self`, so the channel cannot be disconnected here.
        let _ = self.work_tx.send(Work::Batch(id, b));
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

    /// Reports a batch's outcome to each of its sends, unless someone already did (see
    /// [`accumulator::Claim`]: close cannot end the result stream while a worker is queueing).
    fn complete(
        &self,
        id: u64,
        batch: &Batch,
        outcome: std::result::Result<crate::Response, Error>,
        attempts: u32,
    ) {
        batch
            .sends
            .report(|sends| self.report(id, batch, sends, outcome, attempts));
    }

    /// Queues each send's result (the caller holds the batch's claim), forgets the batch and
    /// gives its bytes back to the cap.
    fn report(
        &self,
        id: u64,
        batch: &Batch,
        sends: Vec<accumulator::PendingSend>,
        outcome: std::result::Result<crate::Response, Error>,
        attempts: u32,
    ) {
        let n = batch.payload.log_count() as u64;
        match &outcome {
            Ok(_) => {
                self.counters.logs_sent.fetch_add(n, Ordering::Relaxed);
                self.counters
                    .bytes_sent
                    .fetch_add(batch.payload.raw_size() as u64, Ordering::Relaxed);
                if let Some(f) = &batch.spill_file {
                    let _ = std::fs::remove_file(f);
                }
            }
            Err(_) => {
                self.counters.logs_failed.fetch_add(n, Ordering::Relaxed);
            }
        }
        let (error, status_code, error_code, message) = match outcome {
            Ok(r) => (None, r.status_code, r.error, r.message),
            Err(e) => {
                let (status, code) = e
                    .response
                    .map(|r| (r.status_code, r.error))
                    .unwrap_or((-1, String::new()));
                (Some(e.kind), status, code, e.message)
            }
        };
        for s in sends {
            if let Some(cb) = s.callback {
                let r = SendResult {
                    error,
                    status_code,
                    error_code: error_code.clone(),
                    message: message.clone(),
                    log_count: s.log_count,
                    attempts,
                };
                let _ = self.results.tx.send(Event::Result(cb, r));
            }
        }
        lock(&self.registry).remove(&id);
        self.memory.release(batch.reserved);
    }

    /// Reports a batch close could not send as `Closed`, first writing it to the spill
    /// directory if there is one (inside the claim, so a batch is spilled at most once and
    /// never after a worker delivered it). Returns whether this call reported it.
    fn close_unsent(&self, id: u64, batch: &Batch) -> bool {
        batch
            .sends
            .report(|sends| {
                let base = "the producer was closed before this batch could be sent";
                let message = match (&self.config.spill_dir, &batch.spill_file) {
                    (_, Some(file)) => format!("{base}; it stays in {}", file.display()),
                    (Some(dir), None) => match spill::write(
                        dir,
                        &batch.project,
                        &batch.unit,
                        &batch.batch_id,
                        batch.payload.log_count(),
                        &batch.payload.logs_data(),
                    ) {
                        Ok(file) => format!("{base}; spilled to {}, to be sent by the next producer started with that directory", file.display()),
                        Err(e) => format!("{base}; spilling it failed: {e}"),
                    },
                    (None, None) => base.to_owned(),
                };
                self.report(id, batch, sends, Err(Error::new(ErrorKind::Closed, message)), 0);
            })
            .is_some()
    }

    /// Queues a batch of `LogsData` bytes given back (spilled or resent) under its batch id.
    fn enqueue_raw(&self, raw: RawBatch, sends: Vec<accumulator::PendingSend>) {
        let reserved = raw.logs_data.len();
        lock(&self.acc).count_accepted(raw.log_count, reserved);
        self.dispatch_one(Batch {
            project: raw.project,
            unit: raw.unit,
            payload: Payload::Raw {
                logs_data: raw.logs_data,
                log_count: raw.log_count,
            },
            reserved,
            spill_file: raw.spill_file,
            sends: Claim::new(sends),
            batch_id: raw.batch_id,
            ready_at: Instant::now(),
            pool: None,
        });
    }

    fn mover_loop(&self) {
        let mut acc = lock(&self.acc);
        loop {
            if self.mover_stop.load(Ordering::SeqCst) {
                return;
            }
            let now = Instant::now();
            let (closed, next) = acc.expire(now);
            if !closed.is_empty() {
                drop(acc);
                self.dispatch(closed);
                acc = lock(&self.acc);
                continue;
            }
            acc = match next {
                Some(t) => self
                    .acc_changed
                    .wait_timeout(acc, t.saturating_duration_since(now))
                    .map(|(g, _)| g)
                    .unwrap_or_else(|p| p.into_inner().0),
                None => self
                    .acc_changed
                    .wait(acc)
                    .unwrap_or_else(|p| p.into_inner()),
            };
        }
    }

    fn worker_loop(&self) {
        let clients = self
            .clients
            .get()
            .expect("workers start after the clients are frozen");
        while let Ok(Work::Batch(id, batch)) = self.work_rx.recv() {
            if batch.sends.is_reported() {
                continue; // reported by close already
            }
            let delivered = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let client = &clients[&batch.project];
                let mut scratch = self.scratches.take_or(Default::default);
                let encoded = batch
                    .payload
                    .finish(client.config().compression, &mut scratch);
                self.scratches.give(scratch);
                let limits = RetryLimits {
                    retries: u32::MAX,
                    deadline: Some(batch.ready_at + self.config.delivery_timeout),
                };
                self.counters
                    .inflight_batches
                    .fetch_add(1, Ordering::Relaxed);
                let d = client.deliver(
                    &batch.project,
                    &batch.unit,
                    &encoded,
                    &batch.batch_id,
                    limits,
                    &|p| self.pause(p),
                );
                self.counters
                    .inflight_batches
                    .fetch_sub(1, Ordering::Relaxed);
                d
            }));
            match delivered {
                Ok(d) => {
                    self.counters
                        .retries
                        .fetch_add(u64::from(d.attempts.saturating_sub(1)), Ordering::Relaxed);
                    self.complete(id, &batch, d.result, d.attempts);
                }
                Err(_) => {
                    let e = Error::new(
                        ErrorKind::Internal,
                        "internal error while sending this batch (a bug in liblts)",
                    );
                    self.complete(id, &batch, Err(e), 0);
                }
            }
        }
    }

    fn callback_loop(self: &Arc<Self>) {
        let id = self.id();
        while let Ok(Event::Result(cb, r)) = self.results.rx.recv() {
            result::run_callback(id, cb, &r);
        }
    }
}

/// Ends a worker's life in the count close waits on, even if the worker unwinds.
struct WorkerExit<'a>(&'a Shared);

impl Drop for WorkerExit<'_> {
    fn drop(&mut self) {
        let mut live = lock(&self.0.live_workers);
        *live -= 1;
        self.0.workers_done.notify_all();
    }
}

impl Producer {
    pub fn new(config: ProducerConfig) -> Result<Producer> {
        config.check()?;
        let (work_tx, work_rx) = crossbeam_channel::unbounded();
        let shared = Arc::new(Shared {
            acc: Mutex::new(Accumulator::new(
                config.batch_size_bytes,
                config.batch_count,
                config.linger,
            )),
            memory: MemoryCap::new(config.buffer_bytes),
            config,
            state: AtomicU8::new(CREATED),
            pending_clients: Mutex::new(HashMap::new()),
            clients: OnceLock::new(),
            acc_changed: Condvar::new(),
            mover_stop: AtomicBool::new(false),
            work_tx,
            work_rx,
            registry: Mutex::new(HashMap::new()),
            scratches: accumulator::Pool::new(SCRATCHES_KEPT),
            next_batch: AtomicU64::new(0),
            results: Results::new(),
            abort: Mutex::new(false),
            abort_changed: Condvar::new(),
            live_workers: Mutex::new(0),
            workers_done: Condvar::new(),
            counters: Counters::default(),
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
        if self.shared.state.load(Ordering::SeqCst) != CREATED {
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
        clients.insert(project, Arc::new(Client::unconnected(config)));
        Ok(())
    }

    /// Starts the threads: one linger timer, `worker_count` workers, and in thread mode one
    /// callback thread.
    pub fn start(&self) -> Result<()> {
        let mut threads = lock(&self.threads);
        if self.shared.state.load(Ordering::SeqCst) != CREATED {
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
        let s = self.shared.clone();
        threads.mover = Some(spawn(
            "lts-linger".into(),
            Box::new(move || s.mover_loop()),
        )?);
        *lock(&self.shared.live_workers) = self.shared.config.worker_count;
        for i in 0..self.shared.config.worker_count {
            let s = self.shared.clone();
            let h = spawn(
                format!("lts-worker-{i}"),
                Box::new(move || {
                    let _exit = WorkerExit(&s);
                    s.worker_loop();
                }),
            );
            match h {
                Ok(h) => threads.workers.push(h),
                Err(e) => {
                    *lock(&self.shared.live_workers) -= 1;
                    return Err(e);
                }
            }
        }
        if self.shared.config.callback_mode == CallbackMode::Thread {
            let s = self.shared.clone();
            threads.callbacks = Some(spawn(
                "lts-callbacks".into(),
                Box::new(move || s.callback_loop()),
            )?);
        }
        self.shared.state.store(RUNNING, Ordering::SeqCst);
        self.resend_spilled();
        Ok(())
    }

    /// Queues the batches an earlier producer spilled into this one's spill directory, for the
    /// projects this producer has clients for (others stay on disk). Each keeps its batch id,
    /// so a batch that did reach the service before is not stored twice.
    fn resend_spilled(&self) {
        let sh = &*self.shared;
        let Some(dir) = &sh.config.spill_dir else {
            return;
        };
        let clients = sh.clients.get().expect("set at start");
        for s in spill::read_all(dir) {
            if !clients.contains_key(&s.project) {
                continue;
            }
            sh.memory.add(s.logs_data.len());
            let raw = RawBatch {
                project: s.project,
                unit: s.unit,
                batch_id: s.batch_id,
                logs_data: s.logs_data,
                log_count: s.log_count,
                spill_file: Some(s.path),
            };
            sh.enqueue_raw(raw, Vec::new());
        }
    }

    /// Sends `LogsData` bytes again under their original batch id (for batches an application
    /// kept, e.g. from a spill file): the callback runs once, as for `send`.
    pub fn resend_raw(
        &self,
        project: &str,
        unit: &str,
        batch_id: &str,
        logs_data: &[u8],
        callback: Option<Callback>,
    ) -> Result<()> {
        use prost::Message;
        let sh = &*self.shared;
        if sh.state.load(Ordering::Acquire) != RUNNING {
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
        if !sh.memory.reserve(logs_data.len(), sh.config.max_block) {
            return Err(Error::new(
                ErrorKind::BufferFull,
                "the producer's buffer is full",
            ));
        }
        let sends = vec![accumulator::PendingSend {
            callback,
            log_count,
        }];
        let raw = RawBatch {
            project: project.to_owned(),
            unit: unit.to_owned(),
            batch_id: batch_id.to_owned(),
            logs_data: logs_data.to_vec(),
            log_count,
            spill_file: None,
        };
        sh.enqueue_raw(raw, sends);
        Ok(())
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
        let r = self.send_inner(project, unit, items, callback);
        if r.is_err() {
            self.count_refused(items.len());
        }
        r
    }

    fn count_refused(&self, logs: usize) {
        self.shared
            .counters
            .logs_refused
            .fetch_add(logs as u64, Ordering::Relaxed);
    }

    /// `send` for items in the packed layout (see [`crate::packed`]).
    pub fn send_packed(
        &self,
        project: &str,
        unit: &str,
        buf: &[u8],
        count: usize,
        callback: Option<Callback>,
    ) -> Result<()> {
        match crate::packed::unpack(buf, count) {
            Ok(items) => {
                let refs: Vec<&LogItem> = items.iter().collect();
                self.send(project, unit, &refs, callback)
            }
            Err(e) => {
                self.count_refused(count);
                Err(e)
            }
        }
    }

    fn send_inner(
        &self,
        project: &str,
        unit: &str,
        items: &[&LogItem],
        callback: Option<Callback>,
    ) -> Result<()> {
        let sh = &*self.shared;
        match sh.state.load(Ordering::Acquire) {
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
        check_items(items)?;
        if items.len() > sh.config.batch_count {
            return Err(Error::new(
                ErrorKind::TooLarge,
                format!(
                    "{} logs in one send; the batch count is {}",
                    items.len(),
                    sh.config.batch_count
                ),
            ));
        }
        SCRATCH.with(|scratch| {
            // A callback run by poll on this thread may send too: then use a fresh buffer.
            let mut own = EncodedRecords::default();
            let mut borrowed = scratch.try_borrow_mut();
            let encoded = match borrowed.as_mut() {
                Ok(b) => &mut **b,
                Err(_) => &mut own,
            };
            encoded.encode(items);
            self.append(project, unit, items, encoded, callback)
        })?;
        Ok(())
    }

    fn append(
        &self,
        project: &str,
        unit: &str,
        items: &[&LogItem],
        encoded: &EncodedRecords,
        callback: Option<Callback>,
    ) -> Result<()> {
        let sh = &*self.shared;
        let raw_size = encoded.standalone_size(items);
        if raw_size > sh.config.batch_size_bytes {
            return Err(Error::new(
                ErrorKind::TooLarge,
                format!(
                    "{raw_size} raw bytes in one send; the batch size is {}",
                    sh.config.batch_size_bytes
                ),
            ));
        }
        if !sh.memory.reserve(raw_size, sh.config.max_block) {
            return Err(Error::new(
                ErrorKind::BufferFull,
                format!(
                    "the producer's buffer of {} bytes is full ({} in use, {raw_size} needed)",
                    sh.config.buffer_bytes,
                    sh.memory.used()
                ),
            ));
        }
        let mut acc = lock(&sh.acc);
        // Checked again under the lock close drains with, so no send slips in after the flush.
        if sh.state.load(Ordering::Acquire) != RUNNING {
            drop(acc);
            sh.memory.release(raw_size);
            return Err(Error::new(ErrorKind::Closed, "the producer is closed"));
        }
        let part = Part {
            items,
            encoded,
            raw_size,
            callback,
        };
        let (closed, opened) = acc.append(project, unit, part, Instant::now);
        drop(acc);
        if opened {
            sh.acc_changed.notify_one();
        }
        sh.dispatch(closed);
        Ok(())
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
        if self.shared.state.load(Ordering::SeqCst) == CLOSED || max == 0 {
            return Ok(0);
        }
        Ok(result::serve(self.shared.id(), &self.shared.results.rx, max, timeout).0)
    }

    pub fn stats(&self) -> Stats {
        let c = &self.shared.counters;
        let (logs_accepted, bytes_accepted) = lock(&self.shared.acc).accepted();
        Stats {
            logs_accepted,
            logs_sent: c.logs_sent.load(Ordering::Relaxed),
            logs_failed: c.logs_failed.load(Ordering::Relaxed),
            logs_refused: c.logs_refused.load(Ordering::Relaxed),
            bytes_accepted,
            bytes_sent: c.bytes_sent.load(Ordering::Relaxed),
            buffered_bytes: self.shared.memory.used() as u64,
            inflight_batches: c.inflight_batches.load(Ordering::Relaxed),
            retries: c.retries.load(Ordering::Relaxed),
        }
    }

    /// True while this thread is running one of this producer's callbacks.
    pub fn in_callback(&self) -> bool {
        result::in_callback_of(self.shared.id())
    }

    /// Stops intake, sends everything, runs every callback, joins every thread. With a
    /// timeout, what is not delivered by then is reported `Closed` and the result is a
    /// `Timeout` error. A second close returns `Ok`.
    pub fn close(&self, timeout: Option<Duration>) -> Result<()> {
        if self.in_callback() {
            return Err(Error::new(
                ErrorKind::Reentrant,
                "close called from inside one of this producer's callbacks",
            ));
        }
        let sh = &self.shared;
        let mut threads = lock(&self.threads);
        match sh.state.load(Ordering::SeqCst) {
            RUNNING => {}
            CREATED => {
                sh.state.store(CLOSED, Ordering::SeqCst);
                return Ok(());
            }
            _ => return Ok(()),
        }
        let deadline = timeout.map(|t| Instant::now() + t);
        // Stop intake and flush, under the lock sends append with.
        let rest = {
            let mut acc = lock(&sh.acc);
            sh.state.store(CLOSING, Ordering::SeqCst);
            sh.mover_stop.store(true, Ordering::SeqCst);
            acc.drain()
        };
        sh.acc_changed.notify_all();
        sh.dispatch(rest);
        if let Some(m) = threads.mover.take() {
            let _ = m.join();
        }
        for _ in 0..threads.workers.len() {
            let _ = sh.work_tx.send(Work::Stop);
        }
        let mut finished = true;
        {
            let mut live = lock(&sh.live_workers);
            while *live > 0 {
                match deadline {
                    None => {
                        live = sh
                            .workers_done
                            .wait(live)
                            .unwrap_or_else(|p| p.into_inner())
                    }
                    Some(d) => {
                        let now = Instant::now();
                        if now >= d {
                            finished = false;
                            break;
                        }
                        live = sh
                            .workers_done
                            .wait_timeout(live, d - now)
                            .map(|(g, _)| g)
                            .unwrap_or_else(|p| p.into_inner().0);
                    }
                }
            }
        }
        let mut unsent = (0u64, 0usize);
        if !finished {
            *lock(&sh.abort) = true;
            sh.abort_changed.notify_all();
            let left: Vec<(u64, Arc<Batch>)> = lock(&sh.registry)
                .iter()
                .map(|(id, b)| (*id, b.clone()))
                .collect();
            for (id, b) in left {
                let logs = b.payload.log_count() as u64;
                if sh.close_unsent(id, &b) {
                    unsent = (unsent.0 + logs, unsent.1 + 1);
                }
            }
        }
        // Every result is queued now; run the rest of the callbacks before returning.
        match sh.config.callback_mode {
            CallbackMode::Thread => {
                let _ = sh.results.tx.send(Event::End);
                if let Some(cb) = threads.callbacks.take() {
                    let _ = cb.join();
                }
            }
            CallbackMode::Poll => {
                let id = sh.id();
                while let Ok(ev) = sh.results.rx.try_recv() {
                    if let Event::Result(cb, r) = ev {
                        result::run_callback(id, cb, &r);
                    }
                }
            }
        }
        // Workers still inside a request (bounded by its timeout) are left to finish on
        // their own; whatever they learn is dropped, as their batches were reported.
        for w in threads.workers.drain(..) {
            if finished || w.is_finished() {
                let _ = w.join();
            }
        }
        sh.state.store(CLOSED, Ordering::SeqCst);
        if finished {
            Ok(())
        } else {
            Err(Error::new(
                ErrorKind::Timeout,
                format!(
                    "close ran out of time: {} logs in {} batches were not sent; their callbacks reported LTS_ERR_CLOSED",
                    unsent.0, unsent.1
                ),
            ))
        }
    }

    /// A new, empty producer with this one's configuration and clients, started if this one
    /// was: what a forked child uses instead of the parent's producer (whose threads do not
    /// exist in the child). Reads only state that needs no lock.
    pub fn fresh_copy(&self) -> Result<Producer> {
        let p = Producer::new(self.shared.config.clone())?;
        let started = self.shared.state.load(Ordering::SeqCst) != CREATED;
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

    /// True once close has finished.
    pub fn is_closed(&self) -> bool {
        self.shared.state.load(Ordering::SeqCst) == CLOSED
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
