//! A closed batch, from the moment it leaves the accumulator until its result is reported,
//! and what it owes its sends.

use std::sync::Arc;
use std::time::Instant;

use crate::encode::BatchBuilder;
use crate::producer::result::Notify;
use crate::producer::sync::{lock, AtomicUsize, Condvar, Mutex};

/// A send call waiting for its batch's result. Sends without a callback leave none: the
/// batch counts their logs, and nothing else is owed to them.
pub(crate) struct PendingSend {
    pub notify: Notify,
    pub log_count: usize,
}

/// The memory a batch given back (resent, or found by the journal's recovery) holds under the cap: its bytes, the
/// batch's and its unit's bookkeeping, and its send's entry and callback if it has one.
pub(crate) fn given_back_bytes(
    project: &str,
    unit: &str,
    logs_bytes: usize,
    notify: Option<&Notify>,
) -> usize {
    crate::encode::batch::heap(logs_bytes)
        + crate::producer::accumulator::fixed_bytes(project, unit)
        + notify.map_or(0, |n| {
            crate::encode::batch::heap(std::mem::size_of::<PendingSend>()) + n.heap_bytes()
        })
}

/// A batch's logs: built from sends, or `LogsData` bytes given back (resent).
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

    /// The length of the batch's `LogsData`.
    pub fn raw_size(&self) -> usize {
        match self {
            Payload::Built(b) => b.raw_size(),
            Payload::Raw { logs_data, .. } => logs_data.len(),
        }
    }

    /// The request body, built in a worker's [`Scratch`].
    pub fn finish(
        &self,
        compression: crate::encode::Compression,
        scratch: &mut Scratch,
    ) -> crate::encode::EncodedBatch {
        let raw = match self {
            Payload::Built(b) => match b.logs_data_in_place() {
                Some(bytes) => bytes,
                None => {
                    b.write_logs_data(&mut scratch.logs_data);
                    &scratch.logs_data[..]
                }
            },
            Payload::Raw { logs_data, .. } => &logs_data[..],
        };
        crate::encode::EncodedBatch::new(raw, self.log_count(), compression, &mut scratch.lz4)
    }
}

/// Buffers kept for reuse, at most `keep` of them (beyond the memory cap, which counts only
/// buffered logs): a fresh 512 KiB buffer costs a page fault every 4 KiB it fills, which a
/// sending thread sees as its p99 and a worker as CPU time.
pub(crate) struct Pool<T> {
    free: Mutex<Vec<T>>,
    keep: usize,
}

impl<T> Pool<T> {
    pub fn new(keep: usize) -> Self {
        Pool {
            free: Mutex::new(Vec::new()),
            keep,
        }
    }

    pub fn take_or(&self, make: impl FnOnce() -> T) -> T {
        lock(&self.free).pop().unwrap_or_else(make)
    }

    pub fn give(&self, t: T) {
        let mut free = lock(&self.free);
        if free.len() < self.keep {
            free.push(t);
        }
    }
}

/// The buffers a worker builds a request body in, taken from [`Scratches`] for the time it
/// encodes (not while its request waits on the network, so a few serve every worker).
#[derive(Default)]
pub(crate) struct Scratch {
    logs_data: Vec<u8>,
    lz4: Vec<u8>,
}

/// A fixed number of [`Scratch`]es: a worker that finds none free waits for one. Each is
/// about twice a batch, and not counted under the memory cap, so their number is what
/// bounds them (eight workers each making their own held eight batches' worth more).
pub(crate) struct Scratches {
    free: Mutex<(Vec<Scratch>, usize)>,
    returned: Condvar,
    max: usize,
}

/// A scratch taken from [`Scratches`], given back when dropped (also by a panic).
pub(crate) struct Taken<'a> {
    from: &'a Scratches,
    scratch: Option<Scratch>,
}

impl std::ops::Deref for Taken<'_> {
    type Target = Scratch;
    fn deref(&self) -> &Scratch {
        self.scratch.as_ref().expect("held until dropped")
    }
}

impl std::ops::DerefMut for Taken<'_> {
    fn deref_mut(&mut self) -> &mut Scratch {
        self.scratch.as_mut().expect("held until dropped")
    }
}

impl Drop for Taken<'_> {
    fn drop(&mut self) {
        if let Some(s) = self.scratch.take() {
            lock(&self.from.free).0.push(s);
            self.from.returned.notify_one();
        }
    }
}

impl Scratches {
    pub fn new(max: usize) -> Self {
        Scratches {
            free: Mutex::new((Vec::new(), 0)),
            returned: Condvar::new(),
            max: max.max(1),
        }
    }

    /// A free scratch, made if fewer than the maximum exist, else waited for.
    pub fn take(&self) -> Taken<'_> {
        let mut free = lock(&self.free);
        loop {
            if let Some(s) = free.0.pop() {
                return Taken {
                    from: self,
                    scratch: Some(s),
                };
            }
            if free.1 < self.max {
                free.1 += 1;
                return Taken {
                    from: self,
                    scratch: Some(Scratch::default()),
                };
            }
            free = self.returned.wait(free).unwrap_or_else(|p| p.into_inner());
        }
    }
}

pub(crate) struct Batch {
    pub project: String,
    pub unit: String,
    /// Its unit's entry in the accumulator (kept while the batch is outstanding).
    pub slot: u32,
    pub payload: Payload,
    /// What it holds under the memory cap (see `accumulator.rs`).
    pub reserved: usize,
    /// Its request body's bytes while a worker delivers it, counted under the cap too, and
    /// given back with `reserved` when the batch is reported.
    pub body_bytes: AtomicUsize,
    /// Its place in the journal, if it is journaled.
    pub trace: Option<crate::journal::Trace>,
    /// Reported by whoever gets there first: a worker, or close.
    pub sends: Claim<Vec<PendingSend>>,
    pub batch_id: String,
    pub ready_at: Instant,
    /// Where the record buffer goes when the batch is done with.
    pub pool: Option<Arc<Pool<Vec<u8>>>>,
}

impl Drop for Batch {
    fn drop(&mut self) {
        if let (Some(pool), Payload::Built(b)) = (&self.pool, &mut self.payload) {
            pool.give(std::mem::take(b).into_buffer());
        }
    }
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

    /// Runs `f` unless the value was reported, holding the claim meanwhile (so a report
    /// comes wholly before or wholly after it). Returns whether it ran.
    pub fn if_unreported(&self, f: impl FnOnce()) -> bool {
        let slot = lock(&self.0);
        if slot.is_none() {
            return false;
        }
        f();
        true
    }
}
