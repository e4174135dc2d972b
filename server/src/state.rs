//! Everything an `lts-local` instance remembers: tokens, faults, stored logs, batch ids,
//! quota windows and the request log.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Instant;

use serde_json::{json, Value};

use crate::config::ServerConfig;
use crate::faults::Faults;

pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A handler that panicked must not take the whole server down with a poisoned lock.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

pub struct TokenInfo {
    pub access_key: String,
    pub expires_ms: i64,
}

/// One line of the request log.
#[derive(Debug, Clone, Default)]
pub struct RequestRecord {
    /// When the request was answered (ms since the epoch).
    pub time_ms: i64,
    pub kind: &'static str,
    pub project: String,
    pub unit: String,
    pub batch_id: String,
    pub status: u16,
    pub error: String,
    pub outcome: &'static str,
    pub log_count: usize,
    pub raw_size: usize,
    pub body_size: usize,
    pub compress: String,
    pub auth: &'static str,
    pub message: String,
}

#[derive(Default)]
struct Window {
    second: u64,
    bytes: u64,
    requests: u64,
}

pub struct Store {
    logs: Vec<Value>,
    file: Option<BufWriter<File>>,
}

/// Batch ids stored (and when), and those being stored right now.
struct Dedup {
    stored: HashMap<String, Instant>,
    storing: HashSet<String>,
}

pub struct State {
    pub config: ServerConfig,
    pub tokens: Mutex<HashMap<String, TokenInfo>>,
    pub faults: Mutex<Faults>,
    /// Signalled when faults change (a stall ends) or the server stops.
    pub faults_changed: Condvar,
    pub stopping: AtomicBool,
    store: Mutex<Store>,
    dedup: Mutex<Dedup>,
    /// Signalled when a batch id being stored is done with (stored or not).
    dedup_changed: Condvar,
    windows: Mutex<HashMap<String, Window>>,
    requests: Mutex<(u64, VecDeque<(u64, RequestRecord)>)>,
    started: Instant,
    pub stored_logs: AtomicU64,
    pub stored_batches: AtomicU64,
    pub duplicate_batches: AtomicU64,
    pub raw_bytes: AtomicU64,
    captured: AtomicU64,
    /// Connections accepted so far (keep-alive reuse shows as few connections).
    pub connections: AtomicU64,
}

impl State {
    pub fn new(config: ServerConfig) -> std::io::Result<State> {
        let mut logs = Vec::new();
        let mut dedup = HashMap::new();
        let now = Instant::now();
        let file = match &config.data_file {
            None => None,
            Some(path) => {
                if let Ok(f) = File::open(path) {
                    for line in BufReader::new(f).lines() {
                        let line = line?;
                        // A torn last line (crash mid-write) is skipped, not fatal.
                        if let Ok(v) = serde_json::from_str::<Value>(&line) {
                            if let Some(id) = v.get("batch_id").and_then(Value::as_str) {
                                dedup.insert(id.to_owned(), now);
                            }
                            logs.push(v);
                        }
                    }
                }
                Some(BufWriter::new(
                    OpenOptions::new().create(true).append(true).open(path)?,
                ))
            }
        };
        let stored = logs.len() as u64;
        Ok(State {
            config,
            tokens: Mutex::new(HashMap::new()),
            faults: Mutex::new(Faults::default()),
            faults_changed: Condvar::new(),
            stopping: AtomicBool::new(false),
            store: Mutex::new(Store { logs, file }),
            dedup: Mutex::new(Dedup {
                stored: dedup,
                storing: HashSet::new(),
            }),
            dedup_changed: Condvar::new(),
            windows: Mutex::new(HashMap::new()),
            requests: Mutex::new((0, VecDeque::new())),
            started: now,
            stored_logs: AtomicU64::new(stored),
            stored_batches: AtomicU64::new(0),
            duplicate_batches: AtomicU64::new(0),
            raw_bytes: AtomicU64::new(0),
            captured: AtomicU64::new(0),
            connections: AtomicU64::new(0),
        })
    }

    /// Saves a put body and the headers that describe it into the capture directory.
    pub fn capture(&self, headers: serde_json::Value, body: &[u8]) -> std::io::Result<()> {
        let Some(dir) = &self.config.capture_dir else {
            return Ok(());
        };
        let n = self.captured.fetch_add(1, Ordering::Relaxed);
        std::fs::create_dir_all(dir)?;
        std::fs::write(dir.join(format!("{n:06}.bin")), body)?;
        std::fs::write(dir.join(format!("{n:06}.json")), headers.to_string())
    }

    /// Claims `batch_id` for storing: false if a batch with it was stored (a duplicate).
    /// A request with an id another request is storing right now waits for that one to end,
    /// so two copies of a batch arriving together are stored once (the check and the store
    /// are one step). A true claim ends with [`State::end_claim`] (after [`State::store`],
    /// or instead of it).
    pub fn claim(&self, batch_id: &str) -> bool {
        if batch_id.is_empty() {
            return true;
        }
        let mut d = lock(&self.dedup);
        loop {
            if d.stored.contains_key(batch_id) {
                return false;
            }
            if d.storing.insert(batch_id.to_owned()) {
                return true;
            }
            d = self
                .dedup_changed
                .wait(d)
                .unwrap_or_else(|p| p.into_inner());
        }
    }

    pub fn end_claim(&self, batch_id: &str) {
        if batch_id.is_empty() {
            return;
        }
        lock(&self.dedup).storing.remove(batch_id);
        self.dedup_changed.notify_all();
    }

    /// Stores a batch's records (or only counts them in sink mode) and remembers its id.
    pub fn store(
        &self,
        batch_id: &str,
        records: Vec<Value>,
        raw_size: usize,
    ) -> std::io::Result<()> {
        let n = records.len() as u64;
        if !self.config.sink {
            let lines: Vec<String> = records.iter().map(Value::to_string).collect();
            let mut store = lock(&self.store);
            if let Some(f) = store.file.as_mut() {
                for line in &lines {
                    f.write_all(line.as_bytes())?;
                    f.write_all(b"\n")?;
                }
                f.flush()?;
            }
            store.logs.extend(records);
        }
        if !batch_id.is_empty() {
            let mut dedup = lock(&self.dedup);
            let now = Instant::now();
            if dedup.stored.len() % 4096 == 4095 {
                let window = self.config.dedup_window;
                dedup.stored.retain(|_, t| now.duration_since(*t) < window);
            }
            dedup.stored.insert(batch_id.to_owned(), now);
        }
        self.stored_logs.fetch_add(n, Ordering::Relaxed);
        self.stored_batches.fetch_add(1, Ordering::Relaxed);
        self.raw_bytes.fetch_add(raw_size as u64, Ordering::Relaxed);
        Ok(())
    }

    /// Stored logs, optionally only one project's and/or unit's.
    pub fn logs(&self, project: Option<&str>, unit: Option<&str>) -> Vec<Value> {
        let store = lock(&self.store);
        store
            .logs
            .iter()
            .filter(|v| project.is_none_or(|p| v["project"] == p))
            .filter(|v| unit.is_none_or(|u| v["unit"] == u))
            .cloned()
            .collect()
    }

    /// Forgets stored logs (memory only: the data file stays), batch ids, requests, faults.
    pub fn reset(&self) {
        lock(&self.store).logs.clear();
        lock(&self.dedup).stored.clear();
        *lock(&self.requests) = (0, VecDeque::new());
        *lock(&self.faults) = Faults::default();
        self.faults_changed.notify_all();
        for c in [
            &self.stored_logs,
            &self.stored_batches,
            &self.duplicate_batches,
            &self.raw_bytes,
        ] {
            c.store(0, Ordering::Relaxed);
        }
    }

    /// Counts a request against the per-second quotas; `Some(code)` when it is over one.
    pub fn over_quota(&self, project: &str, unit: &str, raw_bytes: u64) -> Option<&'static str> {
        let q = self.config.quotas;
        let second = self.started.elapsed().as_secs();
        let mut windows = lock(&self.windows);
        let checks = [
            (
                format!("p/{project}"),
                q.project_bytes,
                q.project_requests,
                "LTS_8013",
                "LTS_8014",
            ),
            (
                format!("u/{project}/{unit}"),
                q.unit_bytes,
                q.unit_requests,
                "LTS_8015",
                "LTS_8016",
            ),
        ];
        for (key, max_bytes, max_requests, bytes_code, requests_code) in &checks {
            let w = windows.entry(key.clone()).or_default();
            if w.second != second {
                *w = Window {
                    second,
                    bytes: 0,
                    requests: 0,
                };
            }
            if *max_bytes > 0 && w.bytes + raw_bytes > *max_bytes {
                return Some(bytes_code);
            }
            if *max_requests > 0 && w.requests + 1 > *max_requests {
                return Some(requests_code);
            }
        }
        for (key, ..) in &checks {
            let w = windows.get_mut(key).expect("inserted above");
            w.bytes += raw_bytes;
            w.requests += 1;
        }
        None
    }

    pub fn record(&self, rec: RequestRecord) {
        let mut rec = rec;
        rec.time_ms = lts::util::now_ms();
        let mut guard = lock(&self.requests);
        let (seq, log) = &mut *guard;
        *seq += 1;
        log.push_back((*seq, rec));
        while log.len() > self.config.request_log_capacity {
            log.pop_front();
        }
    }

    pub fn requests_json(&self, since: u64) -> Value {
        let guard = lock(&self.requests);
        let list: Vec<Value> = guard
            .1
            .iter()
            .filter(|(seq, _)| *seq > since)
            .map(|(seq, r)| {
                json!({
                    "seq": seq, "time_ms": r.time_ms, "kind": r.kind, "project": r.project, "unit": r.unit,
                    "batch_id": r.batch_id, "status": r.status, "error": r.error,
                    "outcome": r.outcome, "log_count": r.log_count, "raw_size": r.raw_size,
                    "body_size": r.body_size, "compress": r.compress, "auth": r.auth,
                    "message": r.message,
                })
            })
            .collect();
        json!({ "requests": list })
    }

    pub fn stats_json(&self) -> Value {
        json!({
            "stored_logs": self.stored_logs.load(Ordering::Relaxed),
            "stored_batches": self.stored_batches.load(Ordering::Relaxed),
            "duplicate_batches": self.duplicate_batches.load(Ordering::Relaxed),
            "raw_bytes": self.raw_bytes.load(Ordering::Relaxed),
            "requests": lock(&self.requests).0,
            "connections": self.connections.load(Ordering::Relaxed),
            "sink": self.config.sink,
        })
    }

    /// Marks the server as stopping and wakes stalled handlers. Done under the faults lock,
    /// so a handler cannot miss it between its check and its wait.
    pub fn begin_stop(&self) {
        let _faults = lock(&self.faults);
        self.stopping.store(true, Ordering::SeqCst);
        self.faults_changed.notify_all();
    }

    /// Waits while a stall is on; false if the server is stopping.
    pub fn wait_out_stall(&self) -> bool {
        let mut f = lock(&self.faults);
        while f.stall && !self.stopping.load(Ordering::SeqCst) {
            f = self
                .faults_changed
                .wait(f)
                .unwrap_or_else(|p| p.into_inner());
        }
        !self.stopping.load(Ordering::SeqCst)
    }
}
