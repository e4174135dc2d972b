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
                let mut scratch = self.scratches.take_or(Default::default);
                let encoded = batch
                    .payload
                    .finish(client.config().compression, &mut scratch);
                self.scratches.give(scratch);
                let limits = RetryLimits {
                    retries: u32::MAX,
                    deadline: Some(batch.ready_at + self.config.delivery_timeout),
                };
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
                d
            }));
            match delivered {
                // Close stopped the retries: it reports the batch (it set the abort before
                // listing the unreported batches, and this one stays on that list until
                // reported), so reporting it here too would only race close for the claim.
                Ok(d) if d.stopped => {}
                Ok(d) => {
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

    /// Counts the outcome, queues the sends' callbacks, gives the batch's bytes back to the
    /// cap and takes it off the outbox's list, in that order (the caller holds the batch's
    /// claim): a batch off the list is fully reported, which close's accounting relies on.
    pub(super) fn report(
        &self,
        id: u64,
        batch: &Batch,
        sends: Vec<PendingSend>,
        outcome: std::result::Result<crate::Response, Error>,
        attempts: u32,
    ) {
        let n = batch.payload.log_count() as u64;
        match &outcome {
            Ok(_) => {
                Counters::add(&self.counters.logs_sent, n);
                Counters::add(&self.counters.bytes_sent, batch.payload.raw_size() as u64);
                if let Some(f) = &batch.spill_file {
                    let _ = std::fs::remove_file(f);
                }
            }
            Err(_) => Counters::add(&self.counters.logs_failed, n),
        }
        let outcome = Arc::new(Outcome::of(outcome, attempts));
        self.counters.batch_reported(
            &batch.project,
            &batch.unit,
            n,
            batch.payload.raw_size() as u64,
            &outcome,
        );
        let pushed = self.results.push(sends, outcome);
        // The result stream ends only after every batch is reported (close.rs).
        debug_assert!(pushed, "a batch was reported after the results ended");
        self.intake.memory.release(batch.reserved);
        self.intake.outbox.forget(id);
    }
}
