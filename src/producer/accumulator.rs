//! Open batches, one per (project, unit): sends append to them; a batch closes on its raw
//! size, its log count, or its linger time, and becomes a [`Batch`] for the workers. Also
//! the producer's totals, kept under the same lock as what changes them (see `intake.rs`).
//!
//! What a batch holds is counted under the memory cap as the allocator holds it: its record
//! buffer and label groups by capacity ([`BatchBuilder::held_bytes`]), its list of sends owed
//! a callback, their boxed callbacks, the batch's and its unit's fixed bookkeeping. A send
//! reserves an upper bound of what it will add before anything changes, and gives back
//! what it did not use once it is appended, so a batch's count is exact and the cap is
//! never passed by what a send adds.
//!
//! With a journal (see `crate::journal`), each send is also copied into it, in the same
//! critical section as its append: a batch's `OPEN` when it opens, the send's `LOGS`. A
//! send the journal has no disk room for is refused before anything changes, like one the
//! memory cap has no room for.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::encode::batch::heap;
use crate::encode::batch::Plan;
use crate::encode::{BatchBuilder, Encoded};
use crate::journal::{Journal, Trace};
use crate::producer::batch::{Batch, Claim, Payload, PendingSend, Pool};
use crate::producer::memory::MemoryCap;
use crate::producer::stats::{Totals, UnitReport};
use crate::producer::units::{entry_bytes, Retired, Units};

pub(crate) struct OpenBatch {
    builder: BatchBuilder,
    batch_id: String,
    /// Its records in the journal, if it is journaled.
    trace: Option<Trace>,
    sends: Vec<PendingSend>,
    /// Heap bytes of the sends' boxed callbacks.
    callbacks_bytes: usize,
    /// The batch's bookkeeping apart from its logs (see [`fixed_bytes`]).
    fixed: usize,
    /// What this batch holds under the memory cap now.
    charged: usize,
    closes_at: Instant,
}

impl OpenBatch {
    /// What the batch holds, everything counted (see the module's doc).
    fn held(&self) -> usize {
        self.fixed
            + self.builder.held_bytes()
            + heap(self.sends.capacity() * std::mem::size_of::<PendingSend>())
            + self.callbacks_bytes
    }

    /// Appends a part planned with [`BatchBuilder::plan`]. Without growth (`plan.bound` 0
    /// and room in the list of sends) nothing is allocated but the callback's box.
    fn append(&mut self, part: Part<'_>, plan: &Plan, callback_bytes: usize) {
        self.builder.append_planned(part.logs, plan);
        if let Some(pending) = part.pending {
            self.sends.push(pending);
            self.callbacks_bytes += callback_bytes;
            self.charged += callback_bytes;
        }
    }
}

/// Bytes a batch holds apart from its logs, counted with it: the batch itself and its
/// names on their way to a worker (the box it is shared in, the outbox's list and queue),
/// and its unit's entry (see `units.rs`).
pub(crate) fn fixed_bytes(project: &str, unit: &str) -> usize {
    heap(std::mem::size_of::<Batch>() + 16)
        + heap(project.len())
        + heap(unit.len())
        + 64
        + entry_bytes(project, unit)
}

pub(crate) struct Accumulator {
    units: Units<OpenBatch>,
    /// The journal, if the producer has one (taken out when close ends).
    pub journal: Option<Journal>,
    pool: Arc<Pool<Vec<u8>>>,
    totals: Totals,
    batch_size: usize,
    batch_count: usize,
    linger: Duration,
}

/// What a send appends: its logs encoded (see `encode::records`), their own raw size, and
/// its callback if it has one.
pub(crate) struct Part<'a> {
    pub logs: &'a Encoded,
    pub raw_size: usize,
    pub pending: Option<PendingSend>,
}

/// Why a send found no room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NoRoom {
    /// Under the memory cap, for this many bytes.
    Memory(usize),
    /// In the journal's disk (`journal_max_bytes`).
    Disk,
}

/// What an accepted append did: the batches it closed (at most two: the one it did not fit
/// in, and its own if now full), and whether the linger thread must look again.
pub(crate) struct Appended {
    pub closed: Vec<Batch>,
    pub wake_linger: bool,
}

/// Record buffers pooled between batches: at most this many bytes of them (they are not
/// counted under the cap while in the pool).
const POOLED_BYTES: usize = 4 << 20;

impl Accumulator {
    pub fn new(
        batch_size: usize,
        batch_count: usize,
        linger: Duration,
        idle_units: usize,
        journal: Option<Journal>,
    ) -> Self {
        Accumulator {
            units: Units::new(idle_units),
            journal,
            pool: Arc::new(Pool::new((POOLED_BYTES / batch_size.max(1)).max(1))),
            totals: Totals::default(),
            batch_size,
            batch_count,
            linger,
        }
    }

    fn close(&mut self, i: u32) -> Batch {
        let slot = self.units.get_mut(i);
        let mut b = slot.batch.take().expect("an open batch");
        let (project, unit) = (slot.project.clone(), slot.unit.clone());
        self.units.closed(i);
        // Complete now: its envelope goes in front of its records, so the worker compresses
        // the bytes where they lie.
        b.builder.seal();
        Batch {
            project,
            unit,
            slot: i,
            payload: Payload::Built(b.builder),
            reserved: b.charged,
            body_bytes: Default::default(),
            trace: b.trace,
            sends: Claim::new(b.sends),
            batch_id: b.batch_id,
            ready_at: Instant::now(),
            pool: Some(self.pool.clone()),
        }
    }

    /// Reserves what the send adds and appends it to its unit's open batch, closing batches
    /// that are full. Refused for lack of room with the bytes it needed and its callback
    /// (nothing changed but perhaps a new, idle entry for the unit). `now` is read only when
    /// a batch opens.
    pub fn try_append(
        &mut self,
        project: &str,
        unit: &str,
        part: Part<'_>,
        memory: &MemoryCap,
        now: impl FnOnce() -> Instant,
    ) -> Result<Appended, (NoRoom, Option<PendingSend>)> {
        let i = self.units.find_or_add(project, unit);
        let (n, raw_size) = (part.logs.len(), part.raw_size);
        let enc = part.logs;
        // The journal's record of this send (and of its batch's opening, at most): room for
        // it is checked before anything changes.
        let journaled = match &self.journal {
            Some(j) => {
                let payload = Journal::logs_payload(enc);
                let open = 64 + project.len() + unit.len();
                if j.room_for(payload + open).is_err() {
                    return Err((NoRoom::Disk, part.pending));
                }
                Some(payload)
            }
            None => None,
        };
        let callback_bytes = part.pending.as_ref().map_or(0, |p| p.notify.heap_bytes());
        let (batch_size, batch_count) = (self.batch_size, self.batch_count);
        // Merging never grows a batch by more than the part's own size (its group overhead
        // exceeds any growth of the shared length prefixes), so this bound is safe.
        let fits = |b: &OpenBatch| {
            b.builder.log_count() + n <= batch_count
                && b.builder.raw_size() + raw_size <= batch_size
        };
        let slot = self.units.get_mut(i);
        let mut closed = Vec::new();
        let mut wake_linger = false;
        match slot.batch.as_mut() {
            Some(b) if fits(b) => {
                // The usual send: into the unit's open batch.
                let plan = b.builder.plan(part.logs);
                let sends_growth = match &part.pending {
                    Some(_) if b.sends.len() == b.sends.capacity() => {
                        heap(b.sends.capacity().max(2) * 2 * std::mem::size_of::<PendingSend>())
                    }
                    _ => 0,
                };
                let growth = plan.bound + sends_growth;
                if !memory.try_reserve(growth + callback_bytes) {
                    return Err((NoRoom::Memory(growth + callback_bytes), part.pending));
                }
                let before = b.charged;
                b.append(part, &plan, callback_bytes);
                if growth > 0 {
                    b.charged = b.held();
                    Self::settle(memory, growth + callback_bytes, b.charged - before);
                }
            }
            open => {
                // A new batch (after the open one, which this send does not fit in): its
                // fixed bytes and (pooled) buffer count from the start.
                let full = open.is_some();
                let fixed = fixed_bytes(project, unit);
                let mut builder = BatchBuilder::with_buffer(self.pool.take_or(Vec::new));
                builder.set_growth_limit(self.batch_size + 256);
                let plan = builder.plan(part.logs);
                let sends = usize::from(part.pending.is_some()) * 4;
                let bound = fixed
                    + builder.held_bytes()
                    + plan.bound
                    + heap(sends * std::mem::size_of::<PendingSend>())
                    + callback_bytes;
                if !memory.try_reserve(bound) {
                    self.pool.give(builder.into_buffer());
                    return Err((NoRoom::Memory(bound), part.pending));
                }
                if full {
                    closed.push(self.close(i));
                }
                let batch_id = crate::util::uuid_v4();
                let trace = match (&mut self.journal, journaled) {
                    (Some(j), Some(_)) => j.open_batch(&batch_id, project, unit),
                    _ => None,
                };
                let mut b = OpenBatch {
                    builder,
                    batch_id,
                    trace,
                    sends: Vec::new(),
                    callbacks_bytes: 0,
                    fixed,
                    charged: 0,
                    closes_at: now() + self.linger,
                };
                b.append(part, &plan, callback_bytes);
                b.charged = b.held();
                Self::settle(memory, bound, b.charged);
                self.units.get_mut(i).batch = Some(b);
                wake_linger = self.units.opened(i);
            }
        }
        let slot = self.units.get_mut(i);
        if let (Some(j), Some(payload)) = (&mut self.journal, journaled) {
            if let Some(trace) = slot.batch.as_mut().and_then(|b| b.trace.as_mut()) {
                j.logs(trace, enc, payload);
            }
        }
        slot.counts.logs_accepted += n as u64;
        slot.counts.bytes_accepted += raw_size as u64;
        self.totals.logs_accepted += n as u64;
        self.totals.bytes_accepted += raw_size as u64;
        let b = slot.batch.as_ref().expect("open");
        if b.builder.log_count() >= batch_count || b.builder.raw_size() >= batch_size {
            closed.push(self.close(i));
        }
        self.units.retire_excess();
        Ok(Appended {
            closed,
            wake_linger,
        })
    }

    /// A send reserved `bound` bytes and added `added`: exact from here on, giving back what
    /// the bound over-counted. No waiting sender can need the wakeup a release gives: what
    /// is in use is still at least what it was before the send reserved, so no room
    /// appeared that a waiter had not seen.
    fn settle(memory: &MemoryCap, bound: usize, added: usize) {
        match bound.checked_sub(added) {
            Some(unused) => memory.give_back(unused),
            None => memory.add(added - bound),
        }
    }

    /// Whether the journal has disk room for a batch of `bytes` given back.
    pub fn journal_room(&self, bytes: usize) -> bool {
        self.journal
            .as_ref()
            .is_none_or(|j| j.room_for(bytes + 256).is_ok())
    }

    /// Journals a batch given back (a `RAW` record), if there is a journal.
    pub fn journal_raw(&mut self, batch: &mut Batch) {
        if let (
            Some(j),
            Payload::Raw {
                logs_data,
                log_count,
            },
        ) = (&mut self.journal, &batch.payload)
        {
            batch.trace = j.raw(
                &batch.batch_id,
                &batch.project,
                &batch.unit,
                *log_count,
                logs_data,
            );
        }
    }

    /// Counts a batch given back (not built here) as accepted on its unit: returns the
    /// unit's entry, where the batch is outstanding until reported.
    pub fn given_back(&mut self, project: &str, unit: &str, logs: usize, bytes: usize) -> u32 {
        let i = self.units.find_or_add(project, unit);
        self.units.given_back(i);
        let c = &mut self.units.get_mut(i).counts;
        c.logs_accepted += logs as u64;
        c.bytes_accepted += bytes as u64;
        self.totals.logs_accepted += logs as u64;
        self.totals.bytes_accepted += bytes as u64;
        i
    }

    /// Counts a reported batch of unit entry `slot`; `done`: it is done with for good (not
    /// left by close for the next producer), so its journal records may go.
    pub fn reported(
        &mut self,
        slot: u32,
        logs: u64,
        bytes: u64,
        ok: bool,
        done: Option<(&str, &Trace)>,
    ) {
        if let (Some(j), Some((id, trace))) = (&mut self.journal, done) {
            j.done(id, trace);
        }
        if ok {
            self.totals.logs_sent += logs;
            self.totals.bytes_sent += bytes;
        } else {
            self.totals.logs_failed += logs;
        }
        self.units.reported(slot, logs, bytes, ok);
    }

    pub fn totals(&self) -> Totals {
        self.totals
    }

    pub fn retired(&self) -> Retired {
        self.units.retired()
    }

    /// Units with an entry now.
    pub fn unit_count(&self) -> usize {
        self.units.len()
    }

    /// See [`Units::report_chunk`].
    pub fn units_chunk(&self, from: usize, max: usize) -> (Vec<UnitReport>, Option<usize>) {
        self.units.report_chunk(from, max)
    }

    /// Closes the batches whose linger time has passed; returns them and when the next one
    /// is due. Open batches are listed in the order they close, so this looks only at the
    /// due ones and the next.
    pub fn expire(&mut self, now: Instant) -> (Vec<Batch>, Option<Instant>) {
        let mut closed = Vec::new();
        while let Some(i) = self.units.first_open() {
            let at = self.units.get(i).batch.as_ref().expect("open").closes_at;
            if at > now {
                return (closed, Some(at));
            }
            closed.push(self.close(i));
        }
        (closed, None)
    }

    /// Closes every open batch (flush, close).
    pub fn drain(&mut self) -> Vec<Batch> {
        let open = self.units.open_entries();
        open.into_iter().map(|i| self.close(i)).collect()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::log_item::{LogItem, Value};

    fn append(acc: &mut Accumulator, m: &MemoryCap, unit: &str, at: Instant) -> Appended {
        let mut it = LogItem::new();
        it.set_timestamp_ns(1).unwrap();
        it.set_origin_msg("m").unwrap();
        it.push_content("k", Value::Int(1)).unwrap();
        let items = [&it];
        let mut enc = Encoded::default();
        enc.encode(&items[..]).unwrap();
        let raw_size = enc.standalone_size();
        let part = Part {
            logs: &enc,
            raw_size,
            pending: None,
        };
        acc.try_append("p", unit, part, m, || at).ok().unwrap()
    }

    #[test]
    fn each_unit_has_its_batch_closed_on_linger_and_drained_on_close() {
        let t0 = Instant::now();
        let linger = Duration::from_millis(10);
        let m = MemoryCap::new(1 << 30);
        let mut acc = Accumulator::new(1 << 20, 3, linger, 100, None);
        assert!(
            append(&mut acc, &m, "u1", t0).wake_linger,
            "opens u1's batch"
        );
        assert!(
            !append(&mut acc, &m, "u2", t0).wake_linger,
            "u2's batch closes after u1's"
        );
        assert!(append(&mut acc, &m, "u1", t0).closed.is_empty());

        let (closed, next) = acc.expire(t0 + linger / 2);
        assert!(closed.is_empty());
        assert_eq!(next, Some(t0 + linger));
        let (closed, next) = acc.expire(t0 + linger);
        let got: Vec<(String, usize)> = closed
            .iter()
            .map(|b| (b.unit.clone(), b.payload.log_count()))
            .collect();
        assert_eq!(got, [("u1".to_owned(), 2), ("u2".to_owned(), 1)]);
        assert_eq!(next, None);
        let held: usize = closed.iter().map(|b| b.reserved).sum();
        assert_eq!(m.used(), held, "the cap counts what the batches hold");
        for b in &closed {
            acc.reported(b.slot, b.payload.log_count() as u64, 1, true, None);
            m.release(b.reserved);
        }
        drop(closed);

        // The unit's entry is reused: a new batch opens; the count (3) closes it when full.
        let t1 = t0 + linger * 2;
        assert!(append(&mut acc, &m, "u1", t1).wake_linger);
        assert!(append(&mut acc, &m, "u1", t1).closed.is_empty());
        let full = append(&mut acc, &m, "u1", t1);
        assert!(!full.wake_linger);
        assert_eq!(full.closed.len(), 1);
        assert_eq!(
            (
                full.closed[0].project.as_str(),
                full.closed[0].unit.as_str()
            ),
            ("p", "u1")
        );
        assert_eq!(full.closed[0].payload.log_count(), 3);

        assert!(append(&mut acc, &m, "u2", t1).wake_linger);
        let drained = acc.drain();
        assert_eq!(drained.len(), 1);
        assert_eq!(drained[0].unit, "u2");
        assert!(acc.drain().is_empty());
        assert_eq!(acc.totals().logs_accepted, 7);
    }

    #[test]
    fn a_send_that_does_not_fit_is_refused_with_nothing_reserved() {
        let m = MemoryCap::new(2000);
        let mut acc = Accumulator::new(1 << 20, 4096, Duration::from_secs(1), 100, None);
        let t = Instant::now();
        let mut accepted = 0;
        loop {
            let mut it = LogItem::new();
            it.set_timestamp_ns(1).unwrap();
            it.set_origin_msg("m").unwrap();
            it.push_label("distinct", Value::Int(accepted)).unwrap();
            let mut enc = Encoded::default();
            enc.encode(&[&it][..]).unwrap();
            let before = m.used();
            let part = Part {
                logs: &enc,
                raw_size: enc.standalone_size(),
                pending: None,
            };
            match acc.try_append("p", "u", part, &m, || t) {
                Ok(_) => accepted += 1,
                Err((NoRoom::Memory(needed), _)) => {
                    assert_eq!(m.used(), before, "nothing reserved for a refused send");
                    assert!(before + needed > 2000);
                    break;
                }
                Err((NoRoom::Disk, _)) => unreachable!("no journal"),
            }
        }
        assert!(accepted > 0);
        let b = acc.drain().pop().unwrap();
        assert_eq!(b.reserved, m.used());
        assert!(m.used() <= 2000);
    }
}
