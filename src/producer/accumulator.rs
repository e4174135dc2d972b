//! Open batches, one per (project, unit): sends append to them; a batch closes on its raw
//! size, its log count, or its linger time, and becomes a [`Batch`] for the workers.

use std::hash::Hasher;

use hashbrown::HashTable;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::encode::{BatchBuilder, Encoded};
use crate::producer::batch::{Batch, Claim, Payload, PendingSend, Pool};

struct OpenBatch {
    builder: BatchBuilder,
    sends: Vec<PendingSend>,
    /// What the sends reserved under the memory cap: their own raw sizes and bookkeeping.
    reserved: usize,
    closes_at: Instant,
}

/// Record buffers kept from delivered batches for the next ones.
const BATCH_BUFFERS_KEPT: usize = 4;

pub(crate) struct Accumulator {
    /// One slot per (project, unit) ever sent to, holding its open batch if any: found with
    /// one hash of both names, and kept when its batch closes (no re-allocated keys).
    open: HashTable<Slot>,
    pool: Arc<Pool<Vec<u8>>>,
    /// Logs and raw bytes accepted so far: counted under the lock a send holds anyway,
    /// rather than with two more atomic operations per send.
    accepted: (u64, u64),
    batch_size: usize,
    batch_count: usize,
    linger: Duration,
}

/// What a send appends: its logs encoded (see `encode::records`), their own raw size, what it
/// reserved under the memory cap, and its callback if it has one.
pub(crate) struct Part<'a> {
    pub logs: &'a Encoded,
    pub raw_size: usize,
    pub reserved: usize,
    pub pending: Option<PendingSend>,
}

impl Accumulator {
    pub fn new(batch_size: usize, batch_count: usize, linger: Duration) -> Self {
        Accumulator {
            open: HashTable::new(),
            pool: Arc::new(Pool::new(BATCH_BUFFERS_KEPT)),
            accepted: (0, 0),
            batch_size,
            batch_count,
            linger,
        }
    }

    fn close(pool: &Arc<Pool<Vec<u8>>>, project: &str, unit: &str, mut b: OpenBatch) -> Batch {
        // Complete now: its envelope goes in front of its records, so the worker compresses
        // the bytes where they lie.
        b.builder.seal();
        Batch {
            project: project.to_owned(),
            unit: unit.to_owned(),
            payload: Payload::Built(b.builder),
            reserved: b.reserved,
            spill_file: None,
            sends: Claim::new(b.sends),
            batch_id: crate::util::uuid_v4(),
            ready_at: Instant::now(),
            pool: Some(pool.clone()),
        }
    }

    /// Appends a send to its open batch. Returns the batches that closed (at most two: the
    /// one it did not fit in, and its own if it is now full) and whether a new batch opened
    /// (the linger thread must look again). `now` is read only when a batch opens.
    pub fn append(
        &mut self,
        project: &str,
        unit: &str,
        part: Part<'_>,
        now: impl FnOnce() -> Instant,
    ) -> (Vec<Batch>, bool) {
        let mut closed = Vec::new();
        let slot = slot_mut(&mut self.open, project, unit);
        let n = part.logs.len();
        let (batch_size, batch_count) = (self.batch_size, self.batch_count);
        // Merging never grows a batch by more than the part's own size (its group overhead
        // exceeds any growth of the shared length prefixes), so this bound is safe.
        let no_room = |b: &OpenBatch| {
            b.builder.log_count() + n > batch_count
                || b.builder.raw_size() + part.raw_size > batch_size
        };
        if slot.batch.as_ref().is_some_and(no_room) {
            let full = slot.batch.take().expect("checked");
            closed.push(Self::close(&self.pool, project, unit, full));
        }
        let opened = slot.batch.is_none();
        let pool = &self.pool;
        let linger = self.linger;
        let b = slot.batch.get_or_insert_with(|| OpenBatch {
            builder: BatchBuilder::with_buffer(pool.take_or(|| Vec::with_capacity(batch_size))),
            sends: Vec::new(),
            reserved: 0,
            closes_at: now() + linger,
        });
        b.builder.append(part.logs);
        if let Some(pending) = part.pending {
            b.sends.push(pending);
        }
        b.reserved += part.reserved;
        self.accepted.0 += n as u64;
        self.accepted.1 += part.raw_size as u64;
        slot.accepted.0 += n as u64;
        slot.accepted.1 += part.raw_size as u64;
        if b.builder.log_count() >= batch_count || b.builder.raw_size() >= batch_size {
            let b = slot.batch.take().expect("present");
            closed.push(Self::close(&self.pool, project, unit, b));
        }
        (closed, opened)
    }

    /// Counts logs accepted outside [`Accumulator::append`] (batches given back).
    pub fn count_accepted(&mut self, project: &str, unit: &str, logs: usize, bytes: usize) {
        self.accepted.0 += logs as u64;
        self.accepted.1 += bytes as u64;
        let slot = slot_mut(&mut self.open, project, unit);
        slot.accepted.0 += logs as u64;
        slot.accepted.1 += bytes as u64;
    }

    /// (project, unit, logs accepted, raw bytes accepted) of every unit sent to.
    pub fn accepted_by_unit(&self) -> Vec<UnitAccepted> {
        self.open
            .iter()
            .map(|s| {
                (
                    s.project.clone(),
                    s.unit.clone(),
                    s.accepted.0,
                    s.accepted.1,
                )
            })
            .collect()
    }

    /// (logs, raw bytes) accepted so far.
    pub fn accepted(&self) -> (u64, u64) {
        self.accepted
    }

    /// Closes the batches whose linger time has passed; returns them and when the next one
    /// is due.
    pub fn expire(&mut self, now: Instant) -> (Vec<Batch>, Option<Instant>) {
        let mut closed = Vec::new();
        let mut next: Option<Instant> = None;
        for slot in self.open.iter_mut() {
            match &slot.batch {
                Some(b) if b.closes_at <= now => {
                    let b = slot.batch.take().expect("present");
                    closed.push(Self::close(&self.pool, &slot.project, &slot.unit, b));
                }
                Some(b) => next = Some(next.map_or(b.closes_at, |n| n.min(b.closes_at))),
                None => {}
            }
        }
        (closed, next)
    }

    /// Closes every open batch (flush on close).
    pub fn drain(&mut self) -> Vec<Batch> {
        let mut closed = Vec::new();
        for slot in self.open.iter_mut() {
            if let Some(b) = slot.batch.take() {
                closed.push(Self::close(&self.pool, &slot.project, &slot.unit, b));
            }
        }
        closed
    }
}

/// (project, unit, logs accepted, raw bytes accepted).
pub(crate) type UnitAccepted = (String, String, u64, u64);

/// A (project, unit), its open batch if one is open, and what it has accepted.
struct Slot {
    project: String,
    unit: String,
    batch: Option<OpenBatch>,
    /// (logs, raw bytes): counted under the intake lock like the totals.
    accepted: (u64, u64),
}

/// The slot of (project, unit), made on first use (the only time its names are copied).
fn slot_mut<'a>(open: &'a mut HashTable<Slot>, project: &str, unit: &str) -> &'a mut Slot {
    let hash = slot_hash(project, unit);
    match open.entry(
        hash,
        |s| s.project == project && s.unit == unit,
        |s| slot_hash(&s.project, &s.unit),
    ) {
        hashbrown::hash_table::Entry::Occupied(o) => o.into_mut(),
        hashbrown::hash_table::Entry::Vacant(v) => v
            .insert(Slot {
                project: project.to_owned(),
                unit: unit.to_owned(),
                batch: None,
                accepted: (0, 0),
            })
            .into_mut(),
    }
}

fn slot_hash(project: &str, unit: &str) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    h.write(project.as_bytes());
    h.write_u8(0xff); // never in UTF-8: the two names cannot run into each other
    h.write(unit.as_bytes());
    h.finish()
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::log_item::{LogItem, Value};

    fn append(acc: &mut Accumulator, unit: &str, at: Instant) -> (Vec<Batch>, bool) {
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
            reserved: raw_size,
            pending: None,
        };
        acc.append("p", unit, part, || at)
    }

    #[test]
    fn each_unit_has_its_batch_closed_on_linger_and_drained_on_close() {
        let t0 = Instant::now();
        let linger = Duration::from_millis(10);
        let mut acc = Accumulator::new(1 << 20, 3, linger);
        assert!(append(&mut acc, "u1", t0).1, "opens u1's batch");
        assert!(append(&mut acc, "u2", t0).1, "opens u2's batch");
        assert!(!append(&mut acc, "u1", t0).1, "u1's batch is open");

        let (closed, next) = acc.expire(t0 + linger / 2);
        assert!(closed.is_empty());
        assert_eq!(next, Some(t0 + linger));
        let (closed, next) = acc.expire(t0 + linger);
        let mut got: Vec<(String, usize)> = closed
            .iter()
            .map(|b| (b.unit.clone(), b.payload.log_count()))
            .collect();
        got.sort();
        assert_eq!(got, [("u1".to_owned(), 2), ("u2".to_owned(), 1)]);
        assert_eq!(next, None);

        // The unit's slot is reused: a new batch opens; the count (3) closes it when full.
        let t1 = t0 + linger * 2;
        assert!(append(&mut acc, "u1", t1).1);
        assert!(append(&mut acc, "u1", t1).0.is_empty());
        let (full, opened) = append(&mut acc, "u1", t1);
        assert!(!opened);
        assert_eq!(full.len(), 1);
        assert_eq!(
            (full[0].project.as_str(), full[0].unit.as_str()),
            ("p", "u1")
        );
        assert_eq!(full[0].payload.log_count(), 3);

        assert!(append(&mut acc, "u2", t1).1);
        let drained = acc.drain();
        assert_eq!(drained.len(), 1);
        assert_eq!(drained[0].unit, "u2");
        assert!(acc.drain().is_empty());
        assert_eq!(acc.accepted().0, 7);
    }
}
