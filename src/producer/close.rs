//! Close: stop intake, deliver what was accepted (within a deadline, if one is given), run
//! every callback, join the threads, and check that every accepted log was accounted for.
//!
//! The steps, and why each is safe:
//! 1. `Intake::stop` — under the intake lock, no send can be half-way (see `intake.rs`): every
//!    batch is posted and the outbox's queue closed before the lock is released.
//! 2. The memory cap is shut, so senders waiting for room give up (they would be refused).
//! 3. Wait until the outbox's queue is finished: empty, and no worker holding a batch whose
//!    report is unfinished. Then every batch has been reported.
//! 4. If the deadline passed first: pauses between retries end, and every batch still on the
//!    outbox's list is reported `Closed` (spilled first if there is a spill directory).
//!    Claiming a batch a worker is reporting waits for that report, and a batch off the list
//!    has finished its report (`worker.rs`), so afterwards every batch has been reported.
//! 5. Stop the stats thread (joined, so it queues nothing after the end), log what close
//!    left unsent and the counts of lines the rate limits left out.
//! 6. End the result stream (nothing more can be reported) and run what is left: the
//!    callback thread finishes and is joined, or in poll mode this thread runs the rest and
//!    waits for callbacks other threads' polls are running.
//! 7. Check the balance: accepted = sent + failed, nothing buffered.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::error::{Error, ErrorKind, Result};
use crate::log::{Level, Topic};
use crate::producer::batch::Batch;
use crate::producer::intake::CREATED;
use crate::producer::{lock, CallbackMode, Producer, Shared};

impl Shared {
    /// Reports a batch close could not send as `Closed` (its journal records, if it has
    /// them whole, stay for the next producer). Returns whether this call reported it.
    fn close_unsent(&self, id: u64, batch: &Batch, kept: &mut usize) -> bool {
        batch
            .sends
            .report(|sends| {
                let base = "the producer was closed before this batch could be sent";
                let message = match (&self.config.journal_dir, &batch.trace) {
                    (Some(dir), Some(t)) if !t.broken => {
                        *kept += 1;
                        format!("{base}; it stays in the journal ({}), to be sent by the next producer started on it", dir.display())
                    }
                    _ => base.to_owned(),
                };
                self.report(id, batch, sends, Err(Error::new(ErrorKind::Closed, message)), 0);
            })
            .is_some()
    }
}

impl Producer {
    /// Stops intake, sends everything, runs every callback, joins every thread. With a
    /// timeout, what is not delivered by then is reported `Closed` and the result is a
    /// `Timeout` error. The timeout bounds delivery; the callbacks still to run then run
    /// before close returns (never after it), so close also takes as long as they do. A
    /// second close returns `Ok`. An `Internal` error means accepted logs went unaccounted
    /// (a bug; the message says how many).
    pub fn close(&self, timeout: Option<Duration>) -> Result<()> {
        if self.in_callback() {
            return Err(Error::new(
                ErrorKind::Reentrant,
                "close called from inside one of this producer's callbacks",
            ));
        }
        let sh: &Arc<Shared> = &self.shared;
        let mut threads = lock(&self.threads);
        let deadline = timeout.map(|t| Instant::now() + t);
        // What a restart found in the journal: safe_close waits until all of it is queued
        // (and then delivered, below), refusing the application's sends meanwhile (else
        // senders keeping the buffer full would keep it waiting); a close with a timeout
        // stops queueing it (the rest stays in the journal).
        if let Some(r) = threads.recovery.take() {
            sh.intake.refuse_sends();
            if timeout.is_some() {
                sh.stop_recovery();
            }
            let _ = r.join();
        }
        if !sh.intake.stop() {
            if sh.intake.state() == CREATED {
                sh.end_journal(threads.journal_sync.take());
                sh.intake.mark_closed();
            }
            return Ok(());
        }
        sh.intake.memory.shut();
        if let Some(t) = threads.linger.take() {
            let _ = t.join();
        }

        let finished = sh.intake.outbox.queue.wait_finished(deadline);
        let mut unsent = (0u64, 0usize);
        let mut kept = 0usize;
        if !finished {
            *lock(&sh.abort) = true;
            sh.abort_changed.notify_all();
            for (id, b) in sh.intake.outbox.unreported() {
                let logs = b.payload.log_count() as u64;
                if sh.close_unsent(id, &b, &mut kept) {
                    unsent = (unsent.0 + logs, unsent.1 + 1);
                }
            }
        }

        *lock(&sh.stats_stop) = true;
        sh.stats_wake.notify_all();
        if let Some(t) = threads.stats.take() {
            let _ = t.join();
        }
        if unsent.1 > 0 {
            sh.log.log(Topic::Close, Level::Error, || {
                let kept = match (&sh.config.journal_dir, kept) {
                    (Some(dir), n) if n > 0 => format!("; {n} of the batches stay in the journal ({}) for the next producer", dir.display()),
                    _ => String::new(),
                };
                format!(
                    "close ran out of time: {} logs in {} batches were not sent and were reported LTS_ERR_CLOSED{kept}",
                    unsent.0, unsent.1
                )
            });
        }
        sh.log.flush_left_out();

        match sh.config.callback_mode {
            CallbackMode::Thread => {
                sh.results.end();
                if let Some(cb) = threads.callbacks.take() {
                    let _ = cb.join();
                }
            }
            CallbackMode::Poll => sh.results.end_and_drain(sh.id()),
        }
        // Workers still inside a request (bounded by its timeout) are left to finish on
        // their own; whatever they learn is dropped, as their batches were reported.
        for w in threads.workers.drain(..) {
            if finished || w.is_finished() {
                let _ = w.join();
            }
        }
        sh.end_journal(threads.journal_sync.take());
        sh.intake.mark_closed();

        let stats = self.stats();
        let (logs, bytes) = stats.unaccounted();
        if logs > 0 || bytes > 0 {
            return Err(Error::new(
                ErrorKind::Internal,
                format!(
                    "close could not account for {logs} accepted logs ({bytes} bytes still buffered): a bug in liblts, please report it ({stats:?})"
                ),
            ));
        }
        // Workers may have reported every batch between the deadline and close's claims:
        // then nothing was cut short.
        if finished || unsent.1 == 0 {
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
}
