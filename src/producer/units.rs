//! Per-(project, unit) state: each unit's open batch and counts, in a table whose size is
//! bounded.
//!
//! A unit's entry is in one of three states:
//! - **open**: it has an open batch. Open entries are listed in the order their batches
//!   opened, which is the order they are due to close on linger (the linger is the same for
//!   every batch), so the linger thread finds due batches at the front of the list.
//! - **busy**: no open batch, but batches closed and not yet reported.
//! - **idle**: nothing open, nothing outstanding. Idle entries are listed least recently used
//!   first; beyond `idle_kept` of them the oldest is **retired**: its counts are folded into
//!   [`Retired`] and its memory freed. A unit that sends again gets a new entry, counting
//!   from zero.
//!
//! So the table holds the units with something buffered (their memory is counted under the
//! producer's cap with their batches) plus at most `idle_kept` idle ones, however many units
//! a process ever sends to.

use std::hash::Hasher;

use hashbrown::HashTable;
use serde::Serialize;

use crate::producer::stats::{UnitCounts, UnitReport};

const NONE: u32 = u32::MAX;

pub(crate) struct Slot<T> {
    pub project: String,
    pub unit: String,
    hash: u64,
    pub batch: Option<T>,
    pub counts: UnitCounts,
    /// Batches closed and not yet reported.
    outstanding: u32,
    /// Links in the open or the idle list (a busy entry is in neither).
    prev: u32,
    next: u32,
    list: Which,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Which {
    Open,
    Idle,
    Busy,
}

#[derive(Default, Clone, Copy)]
struct Ends {
    head: u32,
    tail: u32,
    len: usize,
}

impl Ends {
    const EMPTY: Ends = Ends {
        head: NONE,
        tail: NONE,
        len: 0,
    };
}

/// What retired units had counted, summed (`units`: entries retired that had accepted logs;
/// a unit retired, then sent to again and retired again counts twice).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Retired {
    pub units: u64,
    #[serde(flatten)]
    pub counts: UnitCounts,
}

pub(crate) struct Units<T> {
    /// Entries by index; retired ones are `None` and their index on `free`. Boxed, so a
    /// retired entry's memory goes back at once and the table itself is 8 bytes an index.
    slots: Vec<Option<Box<Slot<T>>>>,
    free: Vec<u32>,
    index: HashTable<u32>,
    open: Ends,
    idle: Ends,
    idle_kept: usize,
    retired: Retired,
    retired_since_shrink: usize,
    /// The entry found last (NONE: none).
    last: u32,
}

fn unit_hash(project: &str, unit: &str) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    h.write(project.as_bytes());
    h.write_u8(0xff); // never in UTF-8: the two names cannot run into each other
    h.write(unit.as_bytes());
    h.finish()
}

/// The memory one unit's entry holds (its box, its names, its index and table entries), as
/// counted under the producer's cap with each of its batches.
pub(crate) fn entry_bytes(project: &str, unit: &str) -> usize {
    use crate::encode::batch::heap;
    heap(std::mem::size_of::<Slot<()>>() + 64)
        + heap(project.len())
        + heap(unit.len())
        + std::mem::size_of::<Option<Box<Slot<()>>>>()
        + 2 * std::mem::size_of::<u32>()
        + 2
}

impl<T> Units<T> {
    pub fn new(idle_kept: usize) -> Self {
        Units {
            slots: Vec::new(),
            free: Vec::new(),
            index: HashTable::new(),
            open: Ends::EMPTY,
            idle: Ends::EMPTY,
            idle_kept,
            retired: Retired::default(),
            retired_since_shrink: 0,
            last: NONE,
        }
    }

    pub fn get(&self, i: u32) -> &Slot<T> {
        self.slots[i as usize].as_deref().expect("a live entry")
    }

    pub fn get_mut(&mut self, i: u32) -> &mut Slot<T> {
        self.slots[i as usize].as_deref_mut().expect("a live entry")
    }

    /// The entry of (project, unit), made (idle) on first use.
    #[inline]
    pub fn find_or_add(&mut self, project: &str, unit: &str) -> u32 {
        // Most programs log to one unit or a few: the last one found is checked first.
        if let Some(Some(s)) = self.slots.get(self.last as usize) {
            if s.unit == unit && s.project == project {
                return self.last;
            }
        }
        let i = self.find_or_add_slow(project, unit);
        self.last = i;
        i
    }

    fn find_or_add_slow(&mut self, project: &str, unit: &str) -> u32 {
        let hash = unit_hash(project, unit);
        let slots = &self.slots;
        let found = self.index.find(hash, |&i| {
            let s = slots[i as usize]
                .as_deref()
                .expect("indexed entries are live");
            s.project == project && s.unit == unit
        });
        if let Some(&i) = found {
            return i;
        }
        let slot = Box::new(Slot {
            project: project.to_owned(),
            unit: unit.to_owned(),
            hash,
            batch: None,
            counts: UnitCounts::default(),
            outstanding: 0,
            prev: NONE,
            next: NONE,
            list: Which::Busy,
        });
        let i = match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = Some(slot);
                i
            }
            None => {
                self.slots.push(Some(slot));
                (self.slots.len() - 1) as u32
            }
        };
        let slots = &self.slots;
        self.index.insert_unique(hash, i, |&j| {
            slots[j as usize]
                .as_deref()
                .expect("indexed entries are live")
                .hash
        });
        self.link(i, Which::Idle);
        i
    }

    fn ends(&mut self, which: Which) -> &mut Ends {
        match which {
            Which::Open => &mut self.open,
            Which::Idle => &mut self.idle,
            Which::Busy => unreachable!("busy entries are in no list"),
        }
    }

    fn link(&mut self, i: u32, which: Which) {
        debug_assert_eq!(self.get(i).list, Which::Busy);
        let tail = self.ends(which).tail;
        {
            let s = self.get_mut(i);
            s.prev = tail;
            s.next = NONE;
            s.list = which;
        }
        if tail == NONE {
            self.ends(which).head = i;
        } else {
            self.get_mut(tail).next = i;
        }
        let e = self.ends(which);
        e.tail = i;
        e.len += 1;
    }

    fn unlink(&mut self, i: u32) {
        let (prev, next, which) = {
            let s = self.get(i);
            (s.prev, s.next, s.list)
        };
        if which == Which::Busy {
            return;
        }
        if prev == NONE {
            self.ends(which).head = next;
        } else {
            self.get_mut(prev).next = next;
        }
        if next == NONE {
            self.ends(which).tail = prev;
        } else {
            self.get_mut(next).prev = prev;
        }
        self.ends(which).len -= 1;
        let s = self.get_mut(i);
        s.prev = NONE;
        s.next = NONE;
        s.list = Which::Busy;
    }

    /// Entry `i` now has an open batch. Returns whether it is the only one (the linger
    /// thread, which had nothing to wait for, must look again).
    pub fn opened(&mut self, i: u32) -> bool {
        self.unlink(i);
        self.link(i, Which::Open);
        self.open.len == 1
    }

    /// Entry `i`'s open batch closed: it is outstanding until reported.
    pub fn closed(&mut self, i: u32) {
        self.unlink(i);
        self.get_mut(i).outstanding += 1;
    }

    /// A batch given back (not built here) is outstanding on entry `i`.
    pub fn given_back(&mut self, i: u32) {
        if self.get(i).list == Which::Idle {
            self.unlink(i);
        }
        self.get_mut(i).outstanding += 1;
    }

    /// One of entry `i`'s batches was reported: counted, and the entry idle if nothing is
    /// left (then retired if too many are idle).
    pub fn reported(&mut self, i: u32, logs: u64, bytes: u64, ok: bool) {
        let s = self.get_mut(i);
        debug_assert!(s.outstanding > 0);
        s.outstanding -= 1;
        if ok {
            s.counts.logs_sent += logs;
            s.counts.bytes_sent += bytes;
            s.counts.batches_sent += 1;
        } else {
            s.counts.logs_failed += logs;
            s.counts.batches_failed += 1;
        }
        if s.outstanding == 0 && s.batch.is_none() {
            self.link(i, Which::Idle);
            self.retire_excess();
        }
    }

    /// Retires the least recently used idle entries beyond `idle_kept`.
    #[inline]
    pub fn retire_excess(&mut self) {
        if self.idle.len > self.idle_kept {
            self.retire();
        }
    }

    #[cold]
    fn retire(&mut self) {
        while self.idle.len > self.idle_kept {
            let i = self.idle.head;
            self.unlink(i);
            let s = self.slots[i as usize].take().expect("a live entry");
            let found = self.index.find_entry(s.hash, |&j| j == i);
            if let Ok(e) = found {
                e.remove();
            }
            self.free.push(i);
            let (r, c) = (&mut self.retired.counts, s.counts);
            r.logs_accepted += c.logs_accepted;
            r.bytes_accepted += c.bytes_accepted;
            r.logs_sent += c.logs_sent;
            r.logs_failed += c.logs_failed;
            r.bytes_sent += c.bytes_sent;
            r.batches_sent += c.batches_sent;
            r.batches_failed += c.batches_failed;
            // An entry made for a send that was then refused counted nothing.
            self.retired.units += u64::from(c.logs_accepted > 0);
        }
        self.shrink();
    }

    /// Gives memory back once the table is mostly empty (after a burst of many units).
    /// Looked at once every so many retirements, so its cost is constant per retirement.
    fn shrink(&mut self) {
        self.retired_since_shrink += 1;
        if self.retired_since_shrink < (self.slots.len() / 4).max(1024) {
            return;
        }
        self.retired_since_shrink = 0;
        let live = self.index.len();
        while matches!(self.slots.last(), Some(None)) {
            self.slots.pop();
        }
        let len = self.slots.len() as u32;
        self.free.retain(|&i| i < len);
        if self.slots.capacity() > 2 * self.slots.len() {
            self.slots.shrink_to(self.slots.len());
            self.free.shrink_to(self.free.len());
        }
        if self.index.capacity() > 4 * live.max(64) {
            let slots = &self.slots;
            self.index.shrink_to(live, |&j| {
                slots[j as usize]
                    .as_deref()
                    .expect("indexed entries are live")
                    .hash
            });
        }
    }

    /// The entry whose open batch opened first (and closes first on linger).
    pub fn first_open(&self) -> Option<u32> {
        (self.open.head != NONE).then_some(self.open.head)
    }

    /// Every entry with an open batch, oldest first.
    pub fn open_entries(&self) -> Vec<u32> {
        let mut out = Vec::with_capacity(self.open.len);
        let mut i = self.open.head;
        while i != NONE {
            out.push(i);
            i = self.get(i).next;
        }
        out
    }

    pub fn retired(&self) -> Retired {
        self.retired
    }

    /// Live entries (open, busy or idle).
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// The report of up to `max` entries from index `from` on, and where the next chunk
    /// starts (None when done). Read in chunks, each under the lock a send needs, so a
    /// report of many units never holds it for long.
    pub fn report_chunk(&self, from: usize, max: usize) -> (Vec<UnitReport>, Option<usize>) {
        let end = (from + max).min(self.slots.len());
        let out = self.slots[from.min(end)..end]
            .iter()
            .flatten()
            .map(|s| UnitReport {
                project: s.project.clone(),
                unit: s.unit.clone(),
                counts: s.counts,
            })
            .collect();
        (out, (end < self.slots.len()).then_some(end))
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn idle_entries_beyond_the_bound_are_retired_oldest_first() {
        let mut u: Units<()> = Units::new(2);
        let a = u.find_or_add("p", "a");
        assert_eq!(u.find_or_add("p", "a"), a);
        let b = u.find_or_add("p", "b");
        u.get_mut(b).counts.logs_accepted = 1;
        u.get_mut(a).counts.logs_accepted = 5;
        u.closed(a); // a batch given to the workers
        u.reported(a, 5, 50, true);
        // a is idle again, after b: the oldest idle entry is b.
        let c = u.find_or_add("p", "c");
        u.retire_excess();
        assert_eq!(u.len(), 2);
        assert_eq!(u.retired().units, 1);
        assert_eq!(u.find_or_add("p", "a"), a, "a was kept");
        assert_ne!(u.find_or_add("p", "c"), b);
        let _ = c;
        // Open and busy entries are never retired.
        let d = u.find_or_add("p", "d");
        u.get_mut(d).batch = Some(());
        u.opened(d);
        for n in 0..10 {
            u.find_or_add("q", &n.to_string());
        }
        u.retire_excess();
        assert_eq!(u.first_open(), Some(d));
        assert_eq!(u.get(d).unit, "d");
        u.get_mut(d).batch = None;
        u.closed(d);
        assert_eq!(u.open_entries(), Vec::<u32>::new());
        u.reported(d, 1, 1, false);
        assert_eq!(u.len(), 2, "d idle, then the oldest beyond 2 retired");
        let r = u.retired();
        assert_eq!(r.counts.logs_accepted, 6);
        assert_eq!(r.counts.logs_sent + r.counts.logs_failed, 5);
    }
}
