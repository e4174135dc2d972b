//! The workers: each takes batches from the outbox, delivers them with the client's retry
//! policy until the delivery deadline, and reports the outcome to the batch's sends.

use std::sync::Arc;

use crate::client::RetryLimits;
use crate::error::{Error, ErrorKind};
use crate::producer::batch::{Batch, PendingSend};
use crate::producer::result::Outcome;
use crate::producer::stats::Counters;
use crate::producer::Shared;

impl Shared {
    /// A worker thread's body: runs until the outbox's queue is closed and drained. A batch
    /// stays "in hand" (see `queue.rs`) until its report is complete, so close, waiting for
    /// the queue to finish, waits for the report too.
    pub(super) fn worker_loop(&self) {
        let clients = self
            .clients
            .get()
            .expect("workers start after the clients are frozen");
        while let Some(taken) = self.intake.outbox.queue.pop() {
            let (id, batch) = &*taken;
            if batch.sends.is_reported() {
                continue; // reported by close already
            }
            let delivered = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let client = &clients[&batch.project];
                let encoded = {
                    let mut scratch = self.scratches.take();
                    batch
                        .payload
                        .finish(client.config().compression, &mut scratch)
                };
                // The body counts under the cap until the batch is reported (given back
                // with the batch's own bytes): counted under the batch's claim, so a batch
                // close reported meanwhile neither counts it nor is delivered.
                let body = crate::encode::batch::heap(encoded.body.capacity());
                let counted = batch.sends.if_unreported(|| {
                    self.intake.memory.add(body);
                    batch
                        .body_bytes
                        .store(body, std::sync::atomic::Ordering::Release);
                });
                if !counted {
                    return None;
                }
                let limits = RetryLimits {
                    retries: u32::MAX,
                    deadline: Some(batch.ready_at + self.config.delivery_timeout),
                };
                if let Some(j) = self.journal_before_send() {
                    j.sync();
                }
                Counters::add(&self.counters.inflight_batches, 1);
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
                    .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
                Some(d)
            }));
            match delivered {
                Ok(None) => {} // reported by close while it was being encoded
                // Close stopped the retries: it reports the batch (it set the abort before
                // listing the unreported batches, and this one stays on that list until
                // reported), so reporting it here too would only race close for the claim.
                Ok(Some(d)) if d.stopped => {}
                Ok(Some(d)) => {
                    self.complete(*id, batch, d.result, d.attempts);
                }
                Err(_) => {
                    let e = Error::new(
                        ErrorKind::Internal,
                        "internal error while sending this batch (a bug in liblts)",
                    );
                    self.complete(*id, batch, Err(e), 0);
                }
            }
        }
    }

    /// Reports a batch's outcome to each of its sends, unless close already did (see
    /// `batch::Claim`).
    fn complete(
        &self,
        id: u64,
        batch: &Arc<Batch>,
        outcome: std::result::Result<crate::Response, Error>,
        attempts: u32,
    ) {
        batch
            .sends
            .report(|sends| self.report(id, batch, sends, outcome, attempts));
    }

    /// Counts the outcome and gives the batch's memory back (together, under the intake
    /// lock: see `Totals`), queues the sends' callbacks and takes the batch off the outbox's
    /// list, in that order (the caller holds the batch's claim): a batch off the list is
    /// fully reported, which close's accounting relies on.
    pub(super) fn report(
        &self,
        id: u64,
        batch: &Batch,
        sends: Vec<PendingSend>,
        outcome: std::result::Result<crate::Response, Error>,
        attempts: u32,
    ) {
        let n = batch.payload.log_count() as u64;
        let raw = batch.payload.raw_size() as u64;
        let ok = outcome.is_ok();
        let held = batch.reserved
            + batch
                .body_bytes
                .swap(0, std::sync::atomic::Ordering::AcqRel);
        // Done with for good, unless close gave up on it: then its journal records stay,
        // for the next producer to send.
        let closed = matches!(&outcome, Err(e) if e.kind == ErrorKind::Closed);
        let done = match (&batch.trace, closed) {
            (Some(t), false) => Some((batch.batch_id.as_str(), t)),
            _ => None,
        };
        self.intake.reported(batch.slot, n, raw, ok, held, done);
        let outcome = Arc::new(Outcome::of(outcome, attempts));
        if !ok {
            self.counters.failed(&outcome);
        }
        let pushed = self.results.push(sends, outcome);
        // The result stream ends only after every batch is reported (close.rs).
        debug_assert!(pushed, "a batch was reported after the results ended");
        self.intake.outbox.forget(id);
    }
}
