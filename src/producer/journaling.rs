//! The producer's side of its journal (see `crate::journal`): the thread that makes it
//! durable every `journal_sync_ms`, the thread that sends what an earlier producer left in
//! the directory, and the end of the journal at close.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::journal::recover::{self, Pending, Rebuilt};
use crate::journal::{now_ms, Trace};
use crate::log::{Level, Topic};
use crate::producer::accumulator::fixed_bytes;
use crate::producer::batch::{given_back_bytes, Batch, Claim, Payload};
use crate::producer::intake::{Given, Refused};
use crate::producer::sync::lock;
use crate::producer::{Producer, Shared, Threads};

impl Shared {
    /// The journal to make durable before a batch is sent (`journal_sync_ms` 0).
    pub(super) fn journal_before_send(&self) -> Option<&crate::journal::Shared> {
        match &self.journal {
            Some(j) if self.config.journal_sync.is_zero() => Some(j),
            _ => None,
        }
    }

    /// Close with a timeout: the recovery queues nothing more (what it has not queued stays
    /// in the journal), and a recovery waiting for room stops waiting.
    pub(super) fn stop_recovery(&self) {
        self.recovery_stop.store(true, Ordering::SeqCst);
        self.intake.memory.wake();
    }

    /// The end of close: the sync thread stopped, everything made durable, the segment
    /// being written removed if nothing needs it, and the directory let go of (another
    /// producer may take it now).
    pub(super) fn end_journal(&self, sync_thread: Option<std::thread::JoinHandle<()>>) {
        if let Some(j) = &self.journal {
            j.stop();
        }
        if let Some(t) = sync_thread {
            let _ = t.join();
        }
        let journal = lock(&self.intake.open).journal.take();
        if let Some(mut j) = journal {
            j.finish();
        }
    }

    /// The recovery thread's body: reads what an earlier producer left (`segs`) and queues
    /// each batch not reported under its batch id, under the memory cap, waiting for room as
    /// long as it takes (until close stops it).
    fn recover(&self, segs: Vec<(u64, std::path::PathBuf)>) {
        let Some(journal) = &self.journal else {
            return;
        };
        let counters = &journal.counters;
        let dir = self.config.journal_dir.clone().unwrap_or_default();
        let scan = recover::scan(&segs);
        counters.damaged_records.fetch_add(
            scan.damaged + scan.unreadable.len() as u64,
            Ordering::Relaxed,
        );
        // The segments become this journal's, kept while their batches are not done.
        {
            let mut open = lock(&self.intake.open);
            let Some(j) = open.journal.as_mut() else {
                return;
            };
            for (seq, path, refs) in &scan.segments {
                j.adopt(*seq, *refs, path.clone());
            }
            for (older, newer) in &scan.pins {
                j.pin(*older, *newer);
            }
            j.settle_adopted();
        }
        let clients = self.clients.get().expect("set at start");
        let max_age = self.config.journal_max_age.as_millis() as u64;
        let now = now_ms();
        let (mut want, mut expired, mut foreign) = (Vec::new(), Vec::new(), Vec::new());
        for p in &scan.pending {
            if !clients.contains_key(&p.project) {
                foreign.push(p);
            } else if now.saturating_sub(p.created_ms) > max_age {
                expired.push(p);
            } else {
                want.push(p.clone());
            }
        }
        for p in &expired {
            counters.expired_batches.fetch_add(1, Ordering::Relaxed);
            let trace = Trace {
                segs: p.segs.iter().copied().collect(),
                ..Trace::default()
            };
            if let Some(j) = lock(&self.intake.open).journal.as_mut() {
                j.done(&p.id, &trace);
            }
        }
        // What the restart found, in one line (lines of a topic are rate-limited: one
        // line says it all).
        let logs: usize = want.iter().map(|p| p.log_count).sum();
        let mut found = vec![format!(
            "journal: {} held {} batches ({logs} logs) an earlier producer did not deliver: sending them under their batch ids",
            dir.display(),
            want.len()
        )];
        if !expired.is_empty() {
            let oldest = expired
                .iter()
                .map(|p| now.saturating_sub(p.created_ms))
                .max();
            found.push(format!(
                "{} batches ({} logs) past journal_max_age_ms ({} s; the oldest {} s) are not sent, as the service would no longer know their ids and could store them twice: {}",
                expired.len(),
                expired.iter().map(|p| p.log_count).sum::<usize>(),
                max_age / 1000,
                oldest.unwrap_or(0) / 1000,
                expired.iter().map(|p| p.id.as_str()).collect::<Vec<_>>().join(", ")
            ));
        }
        if !foreign.is_empty() {
            let projects: std::collections::BTreeSet<&str> =
                foreign.iter().map(|p| p.project.as_str()).collect();
            found.push(format!(
                "{} batches are for projects this producer has no client for ({}): they stay",
                foreign.len(),
                projects.into_iter().collect::<Vec<_>>().join(", ")
            ));
        }
        if scan.damaged > 0 || scan.orphans > 0 {
            found.push(format!(
                "{} damaged records were skipped (a crash cut the last ones short, or the disk lost them){}",
                scan.damaged,
                match scan.orphans {
                    0 => String::new(),
                    n => format!("; {n} sends' logs had lost their batch's opening and cannot be sent"),
                }
            ));
        }
        for (path, why) in &scan.unreadable {
            found.push(format!(
                "{} cannot be used ({why}); set aside",
                path.display()
            ));
        }
        let quiet = want.is_empty()
            && expired.is_empty()
            && foreign.is_empty()
            && scan.damaged == 0
            && scan.orphans == 0
            && scan.unreadable.is_empty();
        if !quiet {
            let level = if expired.is_empty() && scan.unreadable.is_empty() && scan.damaged == 0 {
                Level::Warn
            } else {
                Level::Error
            };
            self.log.log(Topic::Journal, level, || found.join("; "));
        }
        if want.is_empty() {
            return;
        }
        let limit = self
            .config
            .batch_size_bytes
            .max(crate::profile::MAX_REQUEST_BYTES)
            + 256;
        recover::rebuild(&scan, &want, limit, |p, rebuilt| {
            let n = p.log_count;
            if self.queue_recovered(p, rebuilt) {
                counters.recovered_batches.fetch_add(1, Ordering::Relaxed);
                counters
                    .recovered_logs
                    .fetch_add(n as u64, Ordering::Relaxed);
                true
            } else {
                false
            }
        });
    }

    /// Queues one recovered batch, waiting for room as long as the producer runs and close
    /// does not stop the recovery. False if it was not queued (it stays in the journal).
    fn queue_recovered(&self, p: &Pending, rebuilt: Rebuilt) -> bool {
        let (payload, raw_bytes, held) = match rebuilt {
            Rebuilt::Built(mut b) => {
                if b.is_empty() {
                    return true; // nothing readable was left of it
                }
                b.seal();
                let (raw, held) = (b.raw_size(), b.held_bytes());
                (
                    Payload::Built(b),
                    raw,
                    held + fixed_bytes(&p.project, &p.unit),
                )
            }
            Rebuilt::Raw(data) => {
                let (n, held) = (
                    data.len(),
                    given_back_bytes(&p.project, &p.unit, data.len(), None),
                );
                (
                    Payload::Raw {
                        logs_data: data,
                        log_count: p.log_count,
                    },
                    n,
                    held,
                )
            }
        };
        let log_count = payload.log_count();
        let mut batch = Box::new(Batch {
            project: p.project.clone(),
            unit: p.unit.clone(),
            slot: 0,
            payload,
            reserved: held,
            body_bytes: Default::default(),
            trace: Some(Trace {
                segs: p.segs.iter().copied().collect(),
                ..Trace::default()
            }),
            sends: Claim::new(Vec::new()),
            batch_id: p.id.clone(),
            ready_at: std::time::Instant::now(),
            pool: None,
        });
        loop {
            if self.recovery_stop.load(Ordering::SeqCst) {
                return false;
            }
            // Read before the attempt, so a release between a refusal and the wait is seen.
            let since = self.intake.memory.releases();
            match self
                .intake
                .enqueue(batch, log_count, raw_bytes, Given::Recovered)
            {
                Ok(()) => return true,
                Err((Refused::NoRoom(_), b)) => {
                    batch = b;
                    // Woken by a release, or by close (stop_recovery, or the cap shut: the
                    // next attempt is then refused as closed).
                    let a_while = Instant::now() + Duration::from_secs(60);
                    self.intake.memory.wait_for_release(since, a_while);
                }
                Err(_) => return false, // closing: it stays in the journal
            }
        }
    }
}

impl Producer {
    /// Starts the journal's threads, if it has one: the copier (which also syncs, unless a
    /// batch is synced before it is sent) and, if an earlier producer left segments, the
    /// recovery.
    pub(super) fn start_journal(&self, threads: &mut Threads) {
        let sh = &self.shared;
        let Some(journal) = sh.journal.clone() else {
            return;
        };
        let every = sh.config.journal_sync;
        threads.journal_sync = std::thread::Builder::new()
            .name("lts-journal".into())
            .spawn(move || journal.run(every))
            .ok();
        let earlier = lock(&sh.intake.open)
            .journal
            .as_ref()
            .map(|j| j.earlier_segments())
            .unwrap_or_default();
        if !earlier.is_empty() {
            let s: Arc<Shared> = sh.clone();
            threads.recovery = std::thread::Builder::new()
                .name("lts-recovery".into())
                .spawn(move || s.recover(earlier))
                .ok();
        }
    }
}
