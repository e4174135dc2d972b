//! The producer's journal: with `journal_dir` set, every accepted send is copied into the
//! journal's memory-mapped ring before `send` returns, so a `kill -9` of the process loses
//! no accepted log; the next producer started on the directory sends what was not reported,
//! each batch under the batch id it had, which the service answers without storing twice.
//!
//! - [`format`]: the segments' bytes; [`ring`]: where records land first, and the copier
//!   that moves them into their segments; [`segment`]: a segment file; [`lock`]: one
//!   producer per directory; [`recover`]: reading what an earlier producer left.
//! - A batch is journaled as an `OPEN` record when it opens, a `LOGS` record per send, and
//!   a `DONE` record once it is reported (delivered, or failed for good). Batches close
//!   reports `LTS_ERR_CLOSED` get no `DONE`: they stay for the next producer.
//! - A segment is deleted once every batch with records in it is done, in any order, and
//!   once no older segment still holds records of a batch whose `DONE` it holds (else a
//!   recovery could see the records without the `DONE`).
//! - The journal is written under the producer's intake lock, which orders every send,
//!   so records are appended one at a time. A background thread copies them from the ring
//!   into their segments every few milliseconds and makes the segments durable against
//!   power loss (`fdatasync`) every `journal_sync_ms` (or before each batch is sent, with 0).
//!   Each record's place in its segment is decided when it is written to the ring.
//! - A disk that fails (full, read-only, gone) never fails a send or the process: the
//!   journal stops taking new batches, says so through the log hook, counts it, and tries
//!   again later; the producer goes on in memory.

pub mod format;
mod lock;
pub mod recover;
pub mod ring;
pub mod segment;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use smallvec::SmallVec;

use crate::encode::Encoded;
use crate::error::{Error, Result};
use crate::log::{Level, Logger, Topic};
use format::{Header, Payload, HEADER_LEN, RECORD_HEAD};
use ring::{Copier, Ring};
use segment::Segment;

/// How often the copier moves records from the ring into their segments (sooner when the
/// ring is a quarter full).
const COPY_EVERY: Duration = Duration::from_millis(10);

/// The smallest ring: a few milliseconds of a fast sender's records, and room for the
/// largest record (the ring is at least a segment).
const MIN_RING: usize = 16 << 20;

/// How long a journal that failed waits before trying to make a segment again.
const RETRY_AFTER: Duration = Duration::from_secs(5);

/// Segments kept to be written again once their batches are done (see `format`): writing
/// pages the kernel already holds costs it a fraction of writing fresh ones.
const SPARES_KEPT: usize = 4;

/// The journal's settings (the producer options `journal_*`).
#[derive(Debug, Clone)]
pub struct JournalConfig {
    pub dir: PathBuf,
    /// Disk the segments may take in all (the last one may pass it for `DONE` records).
    pub max_bytes: u64,
    pub segment_bytes: usize,
    /// How often written records are made durable; zero: before each batch is sent.
    pub sync_interval: Duration,
    /// Batches older than this are not sent again after a restart (the service would no
    /// longer recognize their ids), but reported.
    pub max_age: Duration,
}

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// A batch's place in the journal: its number in this run and the segments holding its
/// records (usually one).
#[derive(Debug, Default, Clone)]
pub struct Trace {
    pub no: u64,
    pub segs: SmallVec<[u64; 2]>,
    /// Some of its records could not be written (the disk failed): it is in memory only,
    /// and a recovery would find at most part of it.
    pub broken: bool,
}

/// The journal's counters (read by the producer's stats).
#[derive(Debug, Default)]
pub struct Counters {
    /// Bytes of the segment files on disk.
    pub bytes: AtomicU64,
    pub recovered_batches: AtomicU64,
    pub recovered_logs: AtomicU64,
    /// Records found damaged (a torn tail, a CRC mismatch) and skipped.
    pub damaged_records: AtomicU64,
    /// Batches found older than `journal_max_age` and reported instead of sent.
    pub expired_batches: AtomicU64,
    /// Writes, syncs or segment creations that failed.
    pub errors: AtomicU64,
}

/// What the journal's background thread works on, shared with it.
pub struct Shared {
    ring: Arc<Ring>,
    copier: Mutex<Copier>,
    pub counters: Counters,
    /// True while the journal takes no new batches (its disk failed).
    pub degraded: AtomicBool,
    dir: PathBuf,
    log: Arc<Logger>,
    /// The thread's (stop, kick) and its wakeup.
    ctl: Mutex<(bool, bool)>,
    wake: Condvar,
}

impl Shared {
    fn failed(&self, what: &str, e: std::io::Error) {
        Counters::bump(&self.counters.errors);
        self.log.log(Topic::Journal, Level::Error, || {
            format!(
                "journal: {what} in {} failed: {e}; what the ring holds survives the process, not a power loss",
                self.dir.display()
            )
        });
    }

    /// Moves what the ring holds into the segments.
    pub fn copy(&self) {
        let copied = self.copier.lock().unwrap_or_else(|p| p.into_inner()).copy();
        if let Err(e) = copied {
            self.failed("copying records into their segments", e);
        }
    }

    /// Moves what the ring holds into the segments and makes them durable.
    pub fn sync(&self) {
        let synced = self
            .copier
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .sync(&self.dir);
        if let Err(e) = synced {
            self.failed("making the segments durable", e);
        }
    }

    /// The journal thread's body: copies every few milliseconds (or when the ring fills),
    /// syncs every `sync_every` (never, if zero: then a batch is synced before it is sent),
    /// until [`Shared::stop`].
    pub fn run(&self, sync_every: Duration) {
        let mut next_sync = Instant::now() + sync_every;
        let mut ctl = self.ctl.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if ctl.0 {
                return;
            }
            if !ctl.1 {
                ctl = self
                    .wake
                    .wait_timeout(ctl, COPY_EVERY)
                    .map(|(g, _)| g)
                    .unwrap_or_else(|p| p.into_inner().0);
                if ctl.0 {
                    return;
                }
            }
            ctl.1 = false;
            drop(ctl);
            if !sync_every.is_zero() && Instant::now() >= next_sync {
                self.sync();
                next_sync = Instant::now() + sync_every;
            } else {
                self.copy();
            }
            ctl = self.ctl.lock().unwrap_or_else(|p| p.into_inner());
        }
    }

    /// Ends [`Shared::run`].
    pub fn stop(&self) {
        self.ctl.lock().unwrap_or_else(|p| p.into_inner()).0 = true;
        self.wake.notify_all();
    }

    /// Wakes the thread to copy now (the ring is filling).
    fn kick(&self) {
        let mut ctl = self.ctl.lock().unwrap_or_else(|p| p.into_inner());
        if !ctl.1 {
            ctl.1 = true;
            self.wake.notify_one();
        }
    }
}

impl Counters {
    pub fn bump(c: &AtomicU64) {
        c.fetch_add(1, Ordering::Relaxed);
    }
}

struct SegState {
    /// Batches not done with records in this segment.
    refs: u32,
    /// Older segments still holding records of batches whose `DONE` is here.
    pins: u32,
    /// Newer segments whose `DONE`s this segment's records keep (`pins` on them).
    pinning: Vec<u64>,
    path: PathBuf,
}

/// The journal's state, kept under the producer's intake lock.
pub struct Journal {
    pub cfg: JournalConfig,
    _lock: lock::DirLock,
    run: u64,
    /// The first segment this producer makes: those before it are an earlier producer's.
    first_seq: u64,
    next_seq: u64,
    next_no: u64,
    /// The segment records go to, and where the next one goes in it.
    current: Option<(Arc<Segment>, usize)>,
    segs: BTreeMap<u64, SegState>,
    /// Segment files free to be written again (named by the sequence number they last had,
    /// which no other file in the directory has).
    spares: Vec<PathBuf>,
    pub shared: Arc<Shared>,
    /// While degraded: when to try making a segment again.
    retry_at: Option<Instant>,
}

/// Why the journal cannot take a record now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The segments fill `journal_max_bytes`: a send waits for room like under the memory
    /// cap, or is refused with `LTS_ERR_BUFFER_FULL`.
    Full,
}

impl Journal {
    /// Opens (creating it if needed) and locks `cfg.dir`. Segments already there are an
    /// earlier producer's, for [`recover`] to read once the producer starts.
    pub fn open(cfg: JournalConfig, log: Arc<Logger>) -> Result<Journal> {
        let dir = &cfg.dir;
        std::fs::create_dir_all(dir).map_err(|e| {
            Error::invalid_argument(format!(
                "journal_dir {}: cannot create it: {e}",
                dir.display()
            ))
        })?;
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
        }
        let lock = lock::DirLock::take(dir)?;
        let next_seq = existing_segments(dir).last().map_or(0, |(seq, _)| seq + 1);
        // Spares an earlier producer kept are this one's (of the right size, a few).
        let mut spares = Vec::new();
        for path in spare_files(dir) {
            let fits = std::fs::metadata(&path)
                .is_ok_and(|m| m.is_file() && m.len() == cfg.segment_bytes as u64);
            if fits && spares.len() < SPARES_KEPT {
                spares.push(path);
            } else {
                let _ = std::fs::remove_file(&path);
            }
        }
        // What an earlier run's ring held and its copier had not copied goes into the
        // segments first (before this run's ring replaces it, and before a recovery reads
        // the segments).
        let (_, torn) = ring::replay(dir);
        let mut run = [0u8; 8];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut run);
        let run = u64::from_le_bytes(run);
        let area = cfg.segment_bytes.max(MIN_RING);
        let ring = Arc::new(Ring::create(dir, area, run).map_err(|e| {
            Error::invalid_argument(format!(
                "journal_dir {}: cannot make its ring file ({} bytes): {e}",
                dir.display(),
                ring::RING_HEAD + area
            ))
        })?);
        let shared = Arc::new(Shared {
            copier: Mutex::new(Copier::new(ring.clone())),
            ring,
            counters: Counters::default(),
            degraded: AtomicBool::new(false),
            dir: dir.clone(),
            log,
            ctl: Mutex::new((false, false)),
            wake: Condvar::new(),
        });
        shared
            .counters
            .damaged_records
            .store(torn, Ordering::Relaxed);
        shared.counters.bytes.store(
            (spares.len() * cfg.segment_bytes + ring::RING_HEAD + area) as u64,
            Ordering::Relaxed,
        );
        Ok(Journal {
            _lock: lock,
            spares,
            cfg,
            run,
            first_seq: next_seq,
            next_seq,
            next_no: 0,
            current: None,
            segs: BTreeMap::new(),
            shared,
            retry_at: None,
        })
    }

    /// The segments an earlier producer left (for [`recover`]).
    pub fn earlier_segments(&self) -> Vec<(u64, PathBuf)> {
        existing_segments(&self.cfg.dir)
            .into_iter()
            .filter(|(seq, _)| *seq < self.first_seq)
            .collect()
    }

    /// Deletes the adopted segments nothing keeps (after [`Journal::adopt`] and
    /// [`Journal::pin`] of a recovery).
    pub fn settle_adopted(&mut self) {
        let seqs: Vec<u64> = self.segs.keys().copied().collect();
        for seq in seqs {
            self.delete_if_free(seq);
        }
    }

    fn is_degraded(&self) -> bool {
        self.shared.degraded.load(Ordering::Relaxed)
    }

    /// Whether a record of `payload` bytes can be written now without passing
    /// `journal_max_bytes` (checked before a send changes anything).
    pub fn room_for(&self, payload: usize) -> std::result::Result<(), Refused> {
        if self.is_degraded() && self.retry_at.is_some_and(|t| Instant::now() < t) {
            return Ok(()); // not journaling: the send goes on in memory
        }
        let span = format::record_span(payload);
        let fits_current = self
            .current
            .as_ref()
            .is_some_and(|(s, at)| at + span <= s.size());
        if fits_current || self.disk_room() {
            Ok(())
        } else {
            Err(Refused::Full)
        }
    }

    /// Whether one more segment fits under `journal_max_bytes` (a spare always does).
    fn disk_room(&self) -> bool {
        let files = (self.segs.len() + self.spares.len()) as u64;
        !self.spares.is_empty() || (files + 1) * self.cfg.segment_bytes as u64 <= self.cfg.max_bytes
    }

    /// The largest payload a record may have.
    pub fn max_payload(&self) -> usize {
        self.cfg.segment_bytes - HEADER_LEN - RECORD_HEAD - 8
    }

    /// A place for a record of `payload` bytes: the current segment, or a new one. `force`
    /// lets a `DONE` record pass the disk cap (by at most one segment), so reporting a batch
    /// is never refused. The segment's number and the offset, in what is then
    /// `self.current`; None when the journal is degraded or the disk failed now.
    fn place(&mut self, payload: usize, force: bool) -> Option<(u64, usize)> {
        let span = format::record_span(payload);
        if let Some((seg, at)) = &self.current {
            if at + span <= seg.size() {
                return Some((seg.seq, *at));
            }
        }
        if self.is_degraded() && self.retry_at.is_some_and(|t| Instant::now() < t) {
            return None;
        }
        if !force && !self.disk_room() {
            return None;
        }
        self.roll();
        let (seg, at) = self.current.as_ref()?;
        (at + span <= seg.size()).then_some((seg.seq, *at))
    }

    /// Ends the current segment and makes the next one.
    fn roll(&mut self) {
        if let Some((seg, _)) = self.current.take() {
            let seq = seg.seq;
            drop(seg);
            self.delete_if_free(seq);
        }
        let header = Header {
            seq: self.next_seq,
            run: self.run,
            created_ms: now_ms(),
            segment_bytes: self.cfg.segment_bytes as u64,
        };
        let made = match self.spares.pop() {
            Some(spare) => match Segment::reuse(&spare, &self.cfg.dir, &header) {
                Ok(seg) => Ok((seg, false)),
                Err(_) => {
                    // A spare that cannot be used is removed; a new segment instead.
                    let _ = std::fs::remove_file(&spare);
                    self.shared
                        .counters
                        .bytes
                        .fetch_sub(self.cfg.segment_bytes as u64, Ordering::Relaxed);
                    self.new_segment(&header).map(|s| (s, true))
                }
            },
            None => self.new_segment(&header).map(|s| (s, true)),
        };
        match made {
            Ok((seg, new)) => {
                self.next_seq += 1;
                let seg = Arc::new(seg);
                self.segs.insert(
                    seg.seq,
                    SegState {
                        refs: 0,
                        pins: 0,
                        pinning: Vec::new(),
                        path: seg.path.clone(),
                    },
                );
                if new {
                    self.shared
                        .counters
                        .bytes
                        .fetch_add(self.cfg.segment_bytes as u64, Ordering::Relaxed);
                }
                self.copier().add(seg.clone());
                self.current = Some((seg, HEADER_LEN));
                if self.shared.degraded.swap(false, Ordering::Relaxed) {
                    self.retry_at = None;
                    self.shared.log.log(Topic::JournalState, Level::Warn, || {
                        format!(
                            "journal: {} is writable again: new batches are journaled again",
                            self.cfg.dir.display()
                        )
                    });
                }
            }
            Err(e) => self.fail(format!(
                "cannot make segment {} in {}: {e}",
                segment::file_name(header.seq),
                self.cfg.dir.display()
            )),
        }
    }

    /// A new segment file: made as a spare (named by the new segment's sequence number, which
    /// no other file has), then used as one is (see `segment::make_spare`).
    fn new_segment(&mut self, header: &Header) -> std::io::Result<Segment> {
        let spare = self.cfg.dir.join(segment::spare_name(header.seq));
        segment::make_spare(&spare, self.cfg.segment_bytes)?;
        Segment::reuse(&spare, &self.cfg.dir, header).inspect_err(|_| {
            let _ = std::fs::remove_file(&spare);
        })
    }

    fn fail(&mut self, why: String) {
        Counters::bump(&self.shared.counters.errors);
        self.retry_at = Some(Instant::now() + RETRY_AFTER);
        let was = self.shared.degraded.swap(true, Ordering::Relaxed);
        if !was {
            self.shared.log.log(Topic::JournalState, Level::Error, || {
                format!("journal: {why}; new logs are kept in memory only (not crash-safe) until the journal can write again")
            });
        }
    }

    fn copier(&self) -> std::sync::MutexGuard<'_, Copier> {
        self.shared.copier.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Writes a record of `payload` bytes, which `fill` writes, into the ring, bound for
    /// its place in the current segment; notes the segment in `trace`. False if nothing
    /// could be written.
    fn write(
        &mut self,
        kind: u8,
        payload: usize,
        force: bool,
        trace: Option<&mut Trace>,
        fill: impl FnOnce(&mut Sink<'_>),
    ) -> bool {
        let Some((seq, at)) = self.place(payload, force) else {
            return false;
        };
        let span = format::record_span(payload);
        // Borrowed, not cloned: this runs on the sending thread, under the intake lock.
        let ring = &self.shared.ring;
        let slot = match ring.reserve(span) {
            Some(slot) => slot,
            None => {
                // The ring is full: the copier catches up here (the record never waits).
                let copied = self.copier().copy();
                if let Err(e) = copied {
                    self.shared.failed("copying records into their segments", e);
                }
                match ring.reserve(span) {
                    Some(slot) => slot,
                    None => return false, // the copy failed: the disk is failing
                }
            }
        };
        let rec = ring.record_at(&slot);
        let mut sink = Sink {
            ring,
            at: rec + RECORD_HEAD,
        };
        fill(&mut sink);
        debug_assert_eq!(
            sink.at,
            rec + RECORD_HEAD + payload,
            "the payload as announced"
        );
        // One CRC over the payload where it now lies (one call costs less than a call a
        // piece).
        let crc = format::record_crc(kind, ring.read_back(rec + RECORD_HEAD, payload));
        let mut head = [0u8; RECORD_HEAD];
        head[..4].copy_from_slice(&(payload as u32).to_le_bytes());
        head[4..8].copy_from_slice(&crc.to_le_bytes());
        head[8] = kind;
        ring.put(rec, &head);
        // The entry is whole: only now is it published (to the copier, and to a replay).
        ring.commit(slot, seq, at, crc);
        if ring.pending() > ring.area() / 4 {
            self.shared.kick();
        }
        let end = at + span;
        if let Some(t) = trace {
            if !t.segs.contains(&seq) {
                t.segs.push(seq);
                if let Some(s) = self.segs.get_mut(&seq) {
                    s.refs += 1;
                }
            }
        }
        // `place` left the record's segment current.
        if let Some((_, next)) = &mut self.current {
            *next = end;
        }
        true
    }

    /// A batch opened: its `OPEN` record. None if the journal is not taking batches now.
    pub fn open_batch(&mut self, id: &str, project: &str, unit: &str) -> Option<Trace> {
        let mut p = Payload::default();
        let no = self.next_no;
        p.u64(no).u64(now_ms()).str(id).str(project).str(unit);
        let mut trace = Trace {
            no,
            ..Trace::default()
        };
        if !self.write(format::OPEN, p.0.len(), false, Some(&mut trace), |s| {
            s.put(&p.0)
        }) {
            return None;
        }
        self.next_no += 1;
        Some(trace)
    }

    /// The payload size of `enc`'s `LOGS` record.
    pub fn logs_payload(enc: &Encoded) -> usize {
        12 + enc.len() * 8 + enc.entries_joined().map(|(_, _, b)| b.len()).sum::<usize>()
    }

    /// A send's logs, appended to its batch's records.
    pub fn logs(&mut self, trace: &mut Trace, enc: &Encoded, payload: usize) {
        if trace.broken {
            return;
        }
        let no = trace.no;
        let written = self.write(format::LOGS, payload, false, Some(trace), |s| {
            let mut head = [0u8; 12];
            head[..8].copy_from_slice(&no.to_le_bytes());
            head[8..].copy_from_slice(&(enc.len() as u32).to_le_bytes());
            s.put(&head);
            for (record_len, labels_len, both) in enc.entries_joined() {
                let mut lens = [0u8; 8];
                lens[..4].copy_from_slice(&record_len.to_le_bytes());
                lens[4..].copy_from_slice(&labels_len.to_le_bytes());
                s.put(&lens);
                s.put(both);
            }
        });
        if !written {
            trace.broken = true;
        }
    }

    /// A whole `LogsData` given back to the producer (not built from sends).
    pub fn raw(
        &mut self,
        id: &str,
        project: &str,
        unit: &str,
        log_count: usize,
        logs_data: &[u8],
    ) -> Option<Trace> {
        let mut p = Payload::default();
        p.u64(now_ms())
            .str(id)
            .str(project)
            .str(unit)
            .u32(log_count as u32);
        let head = p.0;
        let mut trace = Trace::default();
        let n = head.len() + logs_data.len();
        if n > self.max_payload() {
            return None;
        }
        self.write(format::RAW, n, false, Some(&mut trace), |s| {
            s.put(&head);
            s.put(logs_data);
        })
        .then_some(trace)
    }

    /// Segments an earlier producer left, with the batches in them not yet done, adopted
    /// by this journal (see [`recover`]).
    pub fn adopt(&mut self, seq: u64, refs: u32, path: PathBuf) {
        self.segs.insert(
            seq,
            SegState {
                refs,
                pins: 0,
                pinning: Vec::new(),
                path,
            },
        );
        self.shared
            .counters
            .bytes
            .fetch_add(self.cfg.segment_bytes as u64, Ordering::Relaxed);
    }

    /// Notes that segment `newer` holds `DONE` records of batches in segment `older`.
    pub fn pin(&mut self, older: u64, newer: u64) {
        if older == newer || !self.segs.contains_key(&older) {
            return;
        }
        if let Some(n) = self.segs.get_mut(&newer) {
            n.pins += 1;
            if let Some(o) = self.segs.get_mut(&older) {
                o.pinning.push(newer);
            }
        }
    }

    /// A batch was reported (delivered, or failed for good): its `DONE` record, and its
    /// segments let go of.
    pub fn done(&mut self, id: &str, trace: &Trace) {
        let mut p = Payload::default();
        p.str(id);
        let wrote = !trace.segs.is_empty()
            && self.write(format::DONE, p.0.len(), true, None, |s| s.put(&p.0));
        let here = self.current.as_ref().map(|(s, _)| s.seq);
        for &seq in &trace.segs {
            if let (true, Some(here)) = (wrote, here) {
                self.pin(seq, here);
            }
            if let Some(s) = self.segs.get_mut(&seq) {
                s.refs = s.refs.saturating_sub(1);
            }
            self.delete_if_free(seq);
        }
    }

    /// Deletes segment `seq` if nothing keeps it: not the one being written, no batch not
    /// done, no older segment holding what its `DONE`s are about. Then looks again at the
    /// segments it kept.
    fn delete_if_free(&mut self, seq: u64) {
        let mut todo = vec![seq];
        while let Some(seq) = todo.pop() {
            if self.current.as_ref().is_some_and(|(s, _)| s.seq == seq) {
                continue;
            }
            let free = self
                .segs
                .get(&seq)
                .is_some_and(|s| s.refs == 0 && s.pins == 0);
            if !free {
                continue;
            }
            let s = self.segs.remove(&seq).expect("checked");
            self.retire(seq, &s.path);
            for newer in s.pinning {
                if let Some(n) = self.segs.get_mut(&newer) {
                    n.pins = n.pins.saturating_sub(1);
                    todo.push(newer);
                }
            }
        }
    }

    /// A segment nothing needs any more: kept as a spare (renamed, so no recovery reads
    /// it), or removed when there are spares enough.
    fn retire(&mut self, seq: u64, path: &Path) {
        // Nothing bound for it may stay in the ring: it could land in the file's next life.
        {
            let mut copier = self.copier();
            if let Err(e) = copier.copy() {
                drop(copier);
                self.shared.failed("copying records into their segments", e);
                copier = self.copier();
            }
            copier.remove(seq);
        }
        if self.spares.len() < SPARES_KEPT {
            let spare = self.cfg.dir.join(segment::spare_name(seq));
            if std::fs::rename(path, &spare).is_ok() {
                self.spares.push(spare);
                return;
            }
        }
        let _ = std::fs::remove_file(path);
        self.shared
            .counters
            .bytes
            .fetch_sub(self.cfg.segment_bytes as u64, Ordering::Relaxed);
    }

    /// Segment files on disk now.
    pub fn segment_count(&self) -> usize {
        self.segs.len()
    }

    /// Close: makes everything durable, and removes the segment being written if nothing
    /// needs it (a producer that delivered everything leaves an empty directory but its
    /// lock file).
    pub fn finish(&mut self) {
        self.shared.stop();
        self.shared.sync();
        if let Some((seg, _)) = self.current.take() {
            let seq = seg.seq;
            drop(seg);
            self.delete_if_free(seq);
        }
        // A producer that delivered everything leaves no segment behind, spares included;
        // the ring holds nothing that is not in the segments (synced above).
        for spare in std::mem::take(&mut self.spares) {
            let _ = std::fs::remove_file(&spare);
            self.shared
                .counters
                .bytes
                .fetch_sub(self.cfg.segment_bytes as u64, Ordering::Relaxed);
        }
        if self.segs.is_empty() {
            let _ = std::fs::remove_file(self.cfg.dir.join(ring::FILE_NAME));
        }
    }
}

/// Writes a record's payload into the ring, piece after piece.
pub(crate) struct Sink<'a> {
    ring: &'a Ring,
    at: usize,
}

impl Sink<'_> {
    #[inline]
    pub fn put(&mut self, bytes: &[u8]) {
        self.ring.put(self.at, bytes);
        self.at += bytes.len();
    }
}

/// The spare segment files in `dir`.
fn spare_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_str()
                .is_some_and(|n| n.starts_with("spare-") && n.ends_with(".ltsj"))
        })
        .map(|e| e.path())
        .collect()
}

/// The segment files in `dir`, by sequence.
pub fn existing_segments(dir: &Path) -> Vec<(u64, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<(u64, PathBuf)> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name();
            segment::seq_of(name.to_str()?).map(|seq| (seq, e.path()))
        })
        .collect();
    out.sort();
    out
}
