//! Open batches, one per (project, unit): sends append to them; a batch closes on its raw
//! size, its log count, or its linger time, and becomes a [`Batch`] for the workers.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::encode::{BatchBuilder, EncodedRecords};
use crate::log_item::LogItem;
use crate::producer::result::Callback;
use crate::producer::sync::{lock, Mutex};

/// A send call waiting for its batch's result.
pub(crate) struct PendingSend {
    pub callback: Option<Callback>,
    pub log_count: usize,
}

struct OpenBatch {
    builder: BatchBuilder,
    sends: Vec<PendingSend>,
    /// The sum of the sends' own raw sizes: what they reserved under the memory cap.
    reserved: usize,
    closes_at: Instant,
}

/// A closed batch: from the moment it leaves the accumulator until its result is reported.
/// A batch's logs: built from sends, or `LogsData` bytes given back (spilled, or resent).
pub(crate) enum Payload {
    Built(BatchBuilder),
    Raw {
        logs_data: Vec<u8>,
        log_count: usize,
    },
}

impl Payload {
    pub fn log_count(&self) -> usize {
        match self {
            Payload::Built(b) => b.log_count(),
            Payload::Raw { log_count, .. } => *log_count,
        }
    }

    pub fn logs_data(&self) -> Vec<u8> {
        match self {
            Payload::Built(b) => b.to_logs_data(),
            Payload::Raw { logs_data, .. } => logs_data.clone(),
        }
    }

    pub fn finish(&self, compression: crate::encode::Compression) -> crate::encode::EncodedBatch {
        crate::encode::finish_raw(self.logs_data(), self.log_count(), compression)
    }
}

pub(crate) struct Batch {
    pub project: String,
    pub unit: String,
    pub payload: Payload,
    pub reserved: usize,
    /// The spill file this batch was read from: removed once the batch is delivered.
    pub spill_file: Option<std::path::PathBuf>,
    /// Reported by whoever gets there first: a worker, or close.
    pub sends: Claim<Vec<PendingSend>>,
    pub batch_id: String,
    pub ready_at: Instant,
}

/// A value reported exactly once. The reporter holds the claim until its report is done,
/// so whoever finds it taken also knows that report is complete: close relies on this to
/// end the result stream only after every worker's results are queued.
pub(crate) struct Claim<T>(Mutex<Option<T>>);

impl<T> Claim<T> {
    pub fn new(value: T) -> Self {
        Claim(Mutex::new(Some(value)))
    }

    /// Runs `report` with the value unless someone already did.
    pub fn report<R>(&self, report: impl FnOnce(T) -> R) -> Option<R> {
        let mut slot = lock(&self.0);
        let value = slot.take()?;
        Some(report(value))
    }

    pub fn is_reported(&self) -> bool {
        lock(&self.0).is_none()
    }
}

pub(crate) struct Accumulator {
    open: HashMap<String, HashMap<String, OpenBatch>>,
    batch_size: usize,
    batch_count: usize,
    linger: Duration,
}

/// What a send appends: its items, their records serialized, and their own raw size.
pub(crate) struct Part<'a> {
    pub items: &'a [&'a LogItem],
    pub encoded: &'a EncodedRecords,
    pub raw_size: usize,
    pub callback: Option<Callback>,
}

impl Accumulator {
    pub fn new(batch_size: usize, batch_count: usize, linger: Duration) -> Self {
        Accumulator {
            open: HashMap::new(),
            batch_size,
            batch_count,
            linger,
        }
    }

    fn close(project: &str, unit: &str, b: OpenBatch) -> Batch {
        Batch {
            project: project.to_owned(),
            unit: unit.to_owned(),
            payload: Payload::Built(b.builder),
            reserved: b.reserved,
            spill_file: None,
            sends: Claim::new(b.sends),
            batch_id: crate::util::uuid_v4(),
            ready_at: Instant::now(),
        }
    }

    /// Appends a send to its open batch. Returns the batches that closed (at most two: the
    /// one it did not fit in, and its own if it is now full) and whether a new batch opened
    /// (the linger timer must look again).
    pub fn append(
        &mut self,
        project: &str,
        unit: &str,
        part: Part<'_>,
        now: Instant,
    ) -> (Vec<Batch>, bool) {
        let mut closed = Vec::new();
        let units = match self.open.get_mut(project) {
            Some(u) => u,
            None => self.open.entry(project.to_owned()).or_default(),
        };
        let n = part.items.len();
        // Merging never grows a batch by more than the part's own size (its group overhead
        // exceeds any growth of the shared length prefixes), so this bound is safe.
        if let Some(b) = units.get(unit) {
            if b.builder.log_count() + n > self.batch_count
                || b.builder.raw_size() + part.raw_size > self.batch_size
            {
                let b = units.remove(unit).expect("present");
                closed.push(Self::close(project, unit, b));
            }
        }
        let mut opened = false;
        let b = match units.get_mut(unit) {
            Some(b) => b,
            None => {
                opened = true;
                let reserve = self.batch_size;
                units.entry(unit.to_owned()).or_insert_with(|| OpenBatch {
                    builder: BatchBuilder::with_reserve(reserve),
                    sends: Vec::new(),
                    reserved: 0,
                    closes_at: now + self.linger,
                })
            }
        };
        b.builder.append_encoded(part.items, part.encoded);
        b.sends.push(PendingSend {
            callback: part.callback,
            log_count: n,
        });
        b.reserved += part.raw_size;
        if b.builder.log_count() >= self.batch_count || b.builder.raw_size() >= self.batch_size {
            let b = units.remove(unit).expect("present");
            closed.push(Self::close(project, unit, b));
        }
        (closed, opened)
    }

    /// Closes the batches whose linger time has passed; returns them and when the next one
    /// is due.
    pub fn expire(&mut self, now: Instant) -> (Vec<Batch>, Option<Instant>) {
        let mut closed = Vec::new();
        let mut next: Option<Instant> = None;
        for (project, units) in self.open.iter_mut() {
            let due: Vec<String> = units
                .iter()
                .filter(|(_, b)| b.closes_at <= now)
                .map(|(u, _)| u.clone())
                .collect();
            for unit in due {
                let b = units.remove(&unit).expect("present");
                closed.push(Self::close(project, &unit, b));
            }
            for b in units.values() {
                next = Some(next.map_or(b.closes_at, |n| n.min(b.closes_at)));
            }
        }
        (closed, next)
    }

    /// Closes every open batch (flush on close).
    pub fn drain(&mut self) -> Vec<Batch> {
        let mut closed = Vec::new();
        for (project, units) in self.open.drain() {
            for (unit, b) in units {
                closed.push(Self::close(&project, &unit, b));
            }
        }
        closed
    }
}
