//! Where logs enter the producer: the open batches, the producer's state, and the one lock
//! that orders every send against close.
//!
//! The rule that makes close lose nothing: **a batch leaves the accumulator only under the
//! intake lock, and is posted to the outbox before that lock is released.** And a send's
//! room under the memory cap is reserved in the same critical section that appends it, so
//! no reservation belongs to a send that is about to be refused. Every path that
//! makes a batch (a send filling one, the linger thread, a batch given back, close's flush)
//! checks under this lock that the producer is running. Close, under the same lock, stops
//! the producer, flushes the open batches and closes the outbox's queue. So once close has
//! released the lock, every batch ever made is in the outbox, none can follow, and "the
//! queue is finished" means every accepted log has been dealt with. (Releasing the lock
//! between taking a full batch and posting it was how a send racing close once got lost:
//! close stopped the workers in that gap.)

use std::sync::atomic::Ordering;
use std::time::Instant;

use crate::producer::accumulator::{Accumulator, NoRoom, Part};
use crate::producer::batch::Batch;
use crate::producer::memory::MemoryCap;
use crate::producer::outbox::Outbox;
use crate::producer::stats::{Totals, UnitReport};
use crate::producer::sync::{lock, AtomicU8, Condvar, Mutex};
use crate::producer::units::Retired;

pub(crate) const CREATED: u8 = 0;
pub(crate) const RUNNING: u8 = 1;
/// `safe_close` waiting for the journal's recovery to queue what a restart found: the
/// application's sends are refused (as once close has begun), the recovery's batches are
/// still taken, and batches still close and go out as while running.
pub(crate) const DRAINING: u8 = 2;
pub(crate) const CLOSING: u8 = 3;
pub(crate) const CLOSED: u8 = 4;

/// Why intake refused something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// The producer is not running.
    Closed,
    /// No room under the memory cap now for the bytes it needed (a sender may wait for
    /// room and try again).
    NoRoom(usize),
    /// No room in the journal's disk now; the memory cap's release count when it was
    /// refused (a sender may wait for the next release, which a segment freed also is).
    NoDisk(usize),
}

/// Where a batch given back comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Given {
    /// The application's (`resend_raw`): journaled like a send.
    Resent,
    /// The journal's recovery: its records are in the journal already.
    Recovered,
}

pub(crate) struct Intake {
    /// Changed to and from RUNNING only under `open`'s lock (read without it as a hint).
    pub(super) state: AtomicU8,
    pub(super) open: Mutex<Accumulator>,
    /// Wakes the linger thread: a batch opened, or the producer stopped.
    pub(super) linger_wake: Condvar,
    pub memory: MemoryCap,
    pub outbox: Outbox,
}

impl Intake {
    pub fn new(open: Accumulator, memory: MemoryCap) -> Self {
        Intake {
            state: AtomicU8::new(CREATED),
            open: Mutex::new(open),
            linger_wake: Condvar::new(),
            memory,
            outbox: Outbox::new(),
        }
    }

    pub fn state(&self) -> u8 {
        self.state.load(Ordering::Acquire)
    }

    pub fn is_running(&self) -> bool {
        self.state() == RUNNING
    }

    /// CREATED → RUNNING.
    pub fn start(&self) {
        let _open = lock(&self.open);
        self.state.store(RUNNING, Ordering::Release);
    }

    /// A producer whose threads could not all start: closed before it ran, its queue closed
    /// so the threads that did start end.
    pub fn abandon(&self) {
        let _open = lock(&self.open);
        self.state.store(CLOSED, Ordering::Release);
        self.outbox.queue.close();
        self.linger_wake.notify_all();
    }

    /// The end of close (or a close before start).
    pub fn mark_closed(&self) {
        self.state.store(CLOSED, Ordering::Release);
    }

    /// Reserves a send's room and appends it to its open batch, posting any batch that
    /// fills. A refused part comes back with the reason.
    pub fn append<'a>(
        &self,
        project: &str,
        unit: &str,
        part: Part<'a>,
    ) -> Result<(), (Refused, Part<'a>)> {
        let mut open = lock(&self.open);
        if self.state.load(Ordering::Acquire) != RUNNING {
            return Err((Refused::Closed, part));
        }
        // The part is given up only once it is sure to be appended: a refusal hands it back.
        let logs = part.logs;
        let raw_size = part.raw_size;
        let mut pending = part.pending;
        let attempt = Part {
            logs,
            raw_size,
            pending: pending.take(),
        };
        let appended = match open.try_append(project, unit, attempt, &self.memory, Instant::now) {
            Ok(a) => a,
            Err((why, pending)) => {
                let part = Part {
                    logs,
                    raw_size,
                    pending,
                };
                let why = match why {
                    NoRoom::Memory(needed) => Refused::NoRoom(needed),
                    NoRoom::Disk => Refused::NoDisk(self.memory.releases()),
                };
                return Err((why, part));
            }
        };
        for b in appended.closed {
            self.outbox.post(b); // under the lock: see the module's rule
        }
        drop(open);
        if appended.wake_linger {
            self.linger_wake.notify_one();
        }
        Ok(())
    }

    /// Posts a batch given back with `log_count` logs and `raw_bytes` accepted, reserving
    /// `batch.reserved` bytes of room (and journaling it, if it is the application's); a
    /// refused batch comes back with the reason.
    pub fn enqueue(
        &self,
        mut batch: Box<Batch>,
        log_count: usize,
        raw_bytes: usize,
        given: Given,
    ) -> Result<(), (Refused, Box<Batch>)> {
        let mut open = lock(&self.open);
        let taken = match self.state.load(Ordering::Acquire) {
            RUNNING => true,
            DRAINING => given == Given::Recovered,
            _ => false,
        };
        if !taken {
            return Err((Refused::Closed, batch));
        }
        if given == Given::Resent && !open.journal_room(raw_bytes) {
            return Err((Refused::NoDisk(self.memory.releases()), batch));
        }
        if !self.memory.try_reserve(batch.reserved) {
            let needed = batch.reserved;
            return Err((Refused::NoRoom(needed), batch));
        }
        if given == Given::Resent {
            open.journal_raw(&mut batch);
        }
        batch.slot = open.given_back(&batch.project, &batch.unit, log_count, raw_bytes);
        self.outbox.post(*batch);
        Ok(())
    }

    /// Counts a reported batch and gives its memory back, together under the lock (see
    /// `Totals`): a batch of `logs` logs and `bytes` raw bytes of unit entry `slot`; `done`:
    /// its id and journal records, when it is done with for good.
    pub fn reported(
        &self,
        slot: u32,
        logs: u64,
        bytes: u64,
        ok: bool,
        held: usize,
        done: Option<(&str, &crate::journal::Trace)>,
    ) {
        let mut open = lock(&self.open);
        open.reported(slot, logs, bytes, ok, done);
        self.memory.release(held);
    }

    /// RUNNING → DRAINING (see [`DRAINING`]); senders waiting for room are woken (to be
    /// refused).
    pub fn refuse_sends(&self) {
        let open = lock(&self.open);
        if self.state.load(Ordering::Acquire) == RUNNING {
            self.state.store(DRAINING, Ordering::Release);
        }
        drop(open);
        self.memory.wake();
    }

    /// Close's first step: stops intake, posts every open batch and closes the outbox's queue,
    /// all under the lock. False if the producer was not running.
    pub fn stop(&self) -> bool {
        let mut open = lock(&self.open);
        if !matches!(self.state.load(Ordering::Acquire), RUNNING | DRAINING) {
            return false;
        }
        self.state.store(CLOSING, Ordering::Release);
        for b in open.drain() {
            self.outbox.post(b);
        }
        self.outbox.queue.close();
        drop(open);
        self.linger_wake.notify_all();
        true
    }

    /// Posts every open batch to the workers now, as if each one's linger had run out, and
    /// keeps the producer running. False if it was not running (not started, or closing).
    pub fn flush(&self) -> bool {
        let mut open = lock(&self.open);
        if self.state.load(Ordering::Acquire) != RUNNING {
            return false;
        }
        // Under the lock, as every path that makes a batch posts it (see the module doc).
        for b in open.drain() {
            self.outbox.post(b);
        }
        true
    }

    /// The totals and the memory in use, read together (a consistent snapshot).
    pub fn totals(&self) -> (Totals, usize) {
        let open = lock(&self.open);
        (open.totals(), self.memory.used())
    }

    /// Every unit's report, read in chunks of a few hundred, each under the lock (a report
    /// of many units never keeps a send waiting long), and the retired units' sums.
    pub fn units(&self) -> (Vec<UnitReport>, Retired) {
        const CHUNK: usize = 256;
        let mut units = Vec::new();
        let mut from = Some(0);
        while let Some(at) = from {
            let open = lock(&self.open);
            if at == 0 {
                units.reserve(open.unit_count());
            }
            let (chunk, next) = open.units_chunk(at, CHUNK);
            drop(open);
            units.extend(chunk);
            from = next;
        }
        let retired = lock(&self.open).retired();
        (units, retired)
    }
}
