//! A batch being built: every record written once, in arrival order, into one buffer; each
//! distinct label set (an OTLP `Resource`) kept once and found by its hash; the envelope
//! (resources, scopes, length prefixes) written when the batch is finished, when the records
//! of each label set are gathered behind their resource.
//!
//! Everything the builder holds is in a handful of allocations whose sizes it can tell
//! ([`BatchBuilder::held_bytes`]) and bound before they grow ([`BatchBuilder::growth_bound`]),
//! so the producer counts a batch's real memory against its cap — also when every record
//! carries a label set of its own.

use std::hash::Hasher;

use hashbrown::HashTable;
use once_cell::sync::Lazy;

use crate::encode::records::{Encoded, Logs};
use crate::encode::wire::{field_len, tag, write_exact, LEN};
use crate::encode::SCOPE_NAME;
use crate::error::Result;

/// The `InstrumentationScope` every batch names, encoded once.
static SCOPE: Lazy<Vec<u8>> = Lazy::new(|| {
    let mut s = Vec::new();
    let (name, version) = (SCOPE_NAME.as_bytes(), crate::VERSION.as_bytes());
    write_exact(
        &mut s,
        field_len(name.len()) + field_len(version.len()),
        |w| {
            w.bytes_field(1, name);
            w.bytes_field(2, version);
        },
    );
    s
});

/// The encoded scope's length, known at compile time (its two strings are constants under
/// 128 bytes, so each length takes one byte).
const SCOPE_LEN: usize = 2 + SCOPE_NAME.len() + 2 + crate::VERSION.len();
const _: () = assert!(SCOPE_NAME.len() < 128 && crate::VERSION.len() < 128);

/// Length of a `ResourceLogs` whose `Resource` holds `resource_len` bytes of attributes and
/// whose one `ScopeLogs` holds `records_len` bytes of records.
#[inline]
pub(crate) fn resource_logs_len(resource_len: usize, records_len: usize) -> usize {
    field_len(resource_len) + field_len(field_len(SCOPE_LEN) + records_len)
}

/// Room kept before a batch's first records for its envelope (an envelope with labels longer
/// than this is copied out instead).
const ENVELOPE_ROOM: usize = 128;

/// The smallest record buffer a batch starts with (then doubled as it fills).
const MIN_RECORD_BUFFER: usize = 512;

/// What an allocation costs beyond the bytes asked for (the allocator's header and
/// rounding), counted with each of the builder's allocations.
pub(crate) const ALLOCATION_OVERHEAD: usize = 16;

/// `bytes` of heap as the allocator holds them.
#[inline]
pub(crate) fn heap(bytes: usize) -> usize {
    if bytes == 0 {
        0
    } else {
        bytes + ALLOCATION_OVERHEAD
    }
}

/// The capacity a buffer of `cap` grows to when it must hold `need`: doubled (so a batch is
/// copied O(log n) times, and large buffers are moved by the allocator's remapping), at least
/// `min`, and not doubled past `limit` (a batch's size bound) unless `need` is.
#[inline]
pub(crate) fn grown(cap: usize, need: usize, min: usize, limit: usize) -> usize {
    if need <= cap {
        return cap;
    }
    need.max(cap.saturating_mul(2).max(min).min(limit))
}

/// Reserves room for `extra` more elements in `v` by the growth rule of [`grown`].
fn reserve<T>(v: &mut Vec<T>, extra: usize, min: usize, limit: usize) {
    let need = v.len() + extra;
    let cap = grown(v.capacity(), need, min, limit);
    if cap > v.capacity() {
        v.reserve_exact(cap - v.len());
    }
}

/// Elements a small list (groups, runs) starts with.
const MIN_LIST: usize = 4;

/// Heap bytes of a [`HashTable`] of `u32` sized for `items` entries (hashbrown's rule: 7/8
/// of a power-of-two bucket count; a control byte per bucket and a group of them spare).
fn table_bytes(items: usize) -> usize {
    if items == 0 {
        return 0;
    }
    let buckets = if items < 4 {
        4
    } else if items < 8 {
        8
    } else {
        (items * 8 / 7).next_power_of_two()
    };
    heap((buckets * 4).next_multiple_of(16) + buckets + 16)
}

const NONE: u32 = u32::MAX;

/// What [`BatchBuilder::plan`] found out about a send.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// The bytes of its records.
    pub records: usize,
    /// Every record carries the labels of the batch's last record.
    pub same: bool,
    /// An upper bound of what appending it adds to [`BatchBuilder::held_bytes`].
    pub bound: usize,
}

/// The logs of one label set: where its encoded `Resource` attributes lie in the resources
/// buffer, and its records, as runs in the record buffer linked in order.
#[derive(Debug, Clone)]
struct Group {
    resource: (u32, u32),
    hash: u64,
    records_len: usize,
    first_run: u32,
    last_run: u32,
}

/// Consecutive records of one group in the record buffer.
#[derive(Debug, Clone, Copy)]
struct Run {
    start: u32,
    end: u32,
    next: u32,
}

fn labels_hash(labels: &[u8]) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    h.write(labels);
    h.write_usize(labels.len());
    h.finish()
}

/// Logs grouped by identical label lists (first-seen order), already serialized. The sync
/// client and the producer both build requests with it.
#[derive(Debug, Clone, Default)]
pub struct BatchBuilder {
    /// `head` bytes kept for the envelope, then every record in arrival order.
    buf: Vec<u8>,
    head: usize,
    /// Whether `buf` keeps envelope room (set by [`BatchBuilder::with_buffer`]).
    keep_room: bool,
    /// The groups' label bytes, one after another.
    resources: Vec<u8>,
    groups: Vec<Group>,
    /// Finds a group by its label bytes (indices into `groups`).
    index: HashTable<u32>,
    runs: Vec<Run>,
    /// The group the last record went to: consecutive logs usually share their labels.
    last: Option<u32>,
    count: usize,
    /// Kept exact as records arrive, so checking a batch's size costs nothing.
    raw_size: usize,
    /// The record buffer is not doubled past this (0: no limit).
    limit: usize,
    /// Where the `LogsData` starts in `buf` once [`BatchBuilder::seal`] wrote its envelope
    /// there.
    sealed: Option<usize>,
}

impl BatchBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// A builder whose records go into `buf` (cleared): a buffer kept from an earlier batch,
    /// whose pages are already mapped. Room for the envelope is kept in front, so a batch of
    /// one label set is sent without a copy.
    pub fn with_buffer(mut buf: Vec<u8>) -> Self {
        buf.clear();
        BatchBuilder {
            buf,
            keep_room: true,
            ..Self::default()
        }
    }

    /// Doubling the record buffer stops at `limit` bytes (a batch's size bound plus its
    /// envelope room): a full batch does not hold twice its size.
    pub fn set_growth_limit(&mut self, limit: usize) {
        self.limit = limit;
    }

    fn limit(&self) -> usize {
        if self.limit == 0 {
            usize::MAX
        } else {
            self.limit
        }
    }

    /// The record buffer, for [`BatchBuilder::with_buffer`].
    pub fn into_buffer(self) -> Vec<u8> {
        self.buf
    }

    /// Checks and encodes `logs` into a builder of their own.
    pub fn from_logs<S: Logs + ?Sized>(logs: &S) -> Result<Self> {
        let mut enc = Encoded::default();
        enc.encode(logs)?;
        let mut b = BatchBuilder::new();
        b.append(&enc);
        Ok(b)
    }

    /// The heap memory the builder holds, as the allocator holds it.
    pub fn held_bytes(&self) -> usize {
        heap(self.buf.capacity())
            + heap(self.resources.capacity())
            + heap(self.groups.capacity() * std::mem::size_of::<Group>())
            + heap(self.runs.capacity() * std::mem::size_of::<Run>())
            + heap(self.index.allocation_size())
    }

    /// An upper bound of what [`BatchBuilder::held_bytes`] grows by when `enc` is appended
    /// (without looking anything up: every change of label set counts as a new group).
    pub fn growth_bound(&self, enc: &Encoded) -> usize {
        self.plan(enc).bound
    }

    /// Looks at `enc` once for [`BatchBuilder::append_planned`]: its records' bytes, whether
    /// they all carry the last record's labels, and the growth bound.
    #[inline]
    pub fn plan(&self, enc: &Encoded) -> Plan {
        let mut records = 0;
        let (mut changes, mut label_bytes) = (0usize, 0usize);
        let mut prev = self.last.map(|g| self.resource(g as usize));
        for (record, labels) in enc.entries() {
            records += record.len();
            if prev != Some(labels) {
                changes += 1;
                label_bytes += labels.len();
                prev = Some(labels);
            }
        }
        let room = if self.buf.is_empty() && self.keep_room {
            ENVELOPE_ROOM
        } else {
            0
        };
        let same = changes == 0 && self.last.is_some();
        if changes == 0 && self.buf.len() + room + records <= self.buf.capacity() {
            // The usual send: its records fit, under the labels of the last one.
            return Plan {
                records,
                same,
                bound: 0,
            };
        }
        let buf_cap = grown(
            self.buf.capacity(),
            self.buf.len() + room + records,
            MIN_RECORD_BUFFER,
            self.limit(),
        );
        let res_cap = grown(
            self.resources.capacity(),
            self.resources.len() + label_bytes,
            MIN_LIST * 16,
            usize::MAX,
        );
        let groups_cap = grown(
            self.groups.capacity(),
            self.groups.len() + changes,
            MIN_LIST,
            usize::MAX,
        );
        let runs_cap = grown(
            self.runs.capacity(),
            self.runs.len() + changes,
            MIN_LIST,
            usize::MAX,
        );
        let table = if self.groups.len() + changes > self.index.capacity() {
            table_bytes(self.groups.len() + changes)
        } else {
            heap(self.index.allocation_size())
        };
        let after = heap(buf_cap)
            + heap(res_cap)
            + heap(groups_cap * std::mem::size_of::<Group>())
            + heap(runs_cap * std::mem::size_of::<Run>())
            + table;
        Plan {
            records,
            same,
            bound: after.saturating_sub(self.held_bytes()),
        }
    }

    fn resource(&self, g: usize) -> &[u8] {
        let (a, b) = self.groups[g].resource;
        &self.resources[a as usize..b as usize]
    }

    /// The length of group `g`'s `ResourceLogs` message.
    fn resource_logs_len(&self, g: usize) -> usize {
        let grp = &self.groups[g];
        resource_logs_len((grp.resource.1 - grp.resource.0) as usize, grp.records_len)
    }

    /// What group `g` adds to the `LogsData` (its field, header included).
    fn group_size(&self, g: usize) -> usize {
        field_len(self.resource_logs_len(g))
    }

    /// The group of `labels`, made if new.
    fn group_for(&mut self, labels: &[u8]) -> u32 {
        if let Some(g) = self.last {
            if self.resource(g as usize) == labels {
                return g;
            }
        }
        let hash = labels_hash(labels);
        let (groups, resources) = (&self.groups, &self.resources);
        let found = self.index.find(hash, |&g| {
            let (a, b) = groups[g as usize].resource;
            &resources[a as usize..b as usize] == labels
        });
        if let Some(&g) = found {
            return g;
        }
        reserve(&mut self.resources, labels.len(), MIN_LIST * 16, usize::MAX);
        let start = self.resources.len() as u32;
        self.resources.extend_from_slice(labels);
        reserve(&mut self.groups, 1, MIN_LIST, usize::MAX);
        let g = self.groups.len() as u32;
        self.groups.push(Group {
            resource: (start, self.resources.len() as u32),
            hash,
            records_len: 0,
            first_run: NONE,
            last_run: NONE,
        });
        let groups = &self.groups;
        self.index
            .insert_unique(hash, g, |&i| groups[i as usize].hash);
        self.raw_size += self.group_size(g as usize);
        g
    }

    /// Notes that `buf[start..end]` holds records of group `g`.
    fn add_record(&mut self, g: u32, start: usize, end: usize) {
        let gi = g as usize;
        if self.last == Some(g) {
            // The previous record is this group's and ends where this one starts.
            let r = self.groups[gi].last_run as usize;
            self.runs[r].end = end as u32;
        } else {
            reserve(&mut self.runs, 1, MIN_LIST, usize::MAX);
            let r = self.runs.len() as u32;
            self.runs.push(Run {
                start: start as u32,
                end: end as u32,
                next: NONE,
            });
            let grp = &mut self.groups[gi];
            if grp.first_run == NONE {
                grp.first_run = r;
            } else {
                let prev = grp.last_run as usize;
                self.runs[prev].next = r;
            }
            self.groups[gi].last_run = r;
        }
        let before = self.group_size(gi);
        let grp = &mut self.groups[gi];
        grp.records_len += end - start;
        self.raw_size = self.raw_size - before + self.group_size(gi);
        self.last = Some(g);
    }

    /// Makes room for `records` more bytes of records (and the envelope room of a first one).
    fn reserve_records(&mut self, records: usize) {
        let room = if self.buf.is_empty() && self.keep_room {
            ENVELOPE_ROOM
        } else {
            0
        };
        let need = self.buf.len() + room + records;
        let cap = grown(self.buf.capacity(), need, MIN_RECORD_BUFFER, self.limit());
        if cap > self.buf.capacity() {
            self.buf.reserve_exact(cap - self.buf.len());
        }
        if room > 0 {
            self.buf.resize(room, 0);
            self.head = room;
        }
    }

    /// Copies encoded logs into the batch.
    pub fn append(&mut self, enc: &Encoded) {
        let plan = self.plan(enc);
        self.append_planned(enc, &plan);
    }

    /// [`BatchBuilder::append`] with `enc`'s [`Plan`] made already.
    pub fn append_planned(&mut self, enc: &Encoded, plan: &Plan) {
        debug_assert!(self.sealed.is_none(), "appending to a sealed batch");
        if self.buf.is_empty() || self.buf.len() + plan.records > self.buf.capacity() {
            self.reserve_records(plan.records);
        }
        if let (true, Some(g)) = (plan.same, self.last) {
            // Every record joins the last one's group, right after it: one run grows.
            let start = self.buf.len();
            for (record, _) in enc.entries() {
                self.buf.extend_from_slice(record);
            }
            let gi = g as usize;
            let r = self.groups[gi].last_run as usize;
            self.runs[r].end = self.buf.len() as u32;
            let before = self.group_size(gi);
            self.groups[gi].records_len += self.buf.len() - start;
            self.raw_size = self.raw_size - before + self.group_size(gi);
            self.count += enc.len();
            return;
        }
        for (record, labels) in enc.entries() {
            let g = self.group_for(labels);
            let start = self.buf.len();
            self.buf.extend_from_slice(record);
            self.add_record(g, start, self.buf.len());
        }
        self.count += enc.len();
    }

    /// Appends one log given as its encoded record and labels (the encoder's own bytes, kept
    /// elsewhere: the producer's journal).
    pub fn append_one(&mut self, record: &[u8], labels: &[u8]) {
        debug_assert!(self.sealed.is_none(), "appending to a sealed batch");
        self.reserve_records(record.len());
        let g = self.group_for(labels);
        let start = self.buf.len();
        self.buf.extend_from_slice(record);
        self.add_record(g, start, self.buf.len());
        self.count += 1;
    }

    /// Moves `other`'s logs in after this builder's, merging groups with equal labels.
    pub fn merge(&mut self, other: BatchBuilder) {
        debug_assert!(self.sealed.is_none(), "appending to a sealed batch");
        let records: usize = other.groups.iter().map(|g| g.records_len).sum();
        self.reserve_records(records);
        for og in 0..other.groups.len() {
            let g = self.group_for(other.resource(og));
            let mut r = other.groups[og].first_run;
            while r != NONE {
                let run = other.runs[r as usize];
                let start = self.buf.len();
                self.buf
                    .extend_from_slice(&other.buf[run.start as usize..run.end as usize]);
                let end = self.buf.len();
                self.add_record(g, start, end);
                r = run.next;
            }
        }
        self.count += other.count;
    }

    pub fn log_count(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The number of distinct label sets.
    pub fn label_sets(&self) -> usize {
        self.groups.len()
    }

    /// The exact length of the `LogsData` this builder would produce.
    pub fn raw_size(&self) -> usize {
        self.raw_size
    }

    fn envelope_len(&self, g: usize) -> usize {
        self.group_size(g) - self.groups[g].records_len
    }

    /// Writes everything of group `g`'s `ResourceLogs` field before its records.
    fn put_envelope(&self, g: usize, out: &mut Vec<u8>) {
        let len = self.resource_logs_len(g);
        let grp = &self.groups[g];
        let resource = self.resource(g);
        let scope_logs_len = field_len(SCOPE_LEN) + grp.records_len;
        debug_assert_eq!(SCOPE.len(), SCOPE_LEN);
        write_exact(out, self.envelope_len(g), |w| {
            w.byte(tag(1, LEN));
            w.varint(len as u64);
            w.bytes_field(1, resource);
            w.byte(tag(2, LEN));
            w.varint(scope_logs_len as u64);
            w.bytes_field(1, &SCOPE);
        });
    }

    /// Writes the envelope in front of the records, when the batch is one label set whose
    /// envelope fits the room kept for it: then [`BatchBuilder::logs_data_in_place`] gives the
    /// whole `LogsData` without copying. Call once the batch is complete (appending after it
    /// is a bug).
    pub fn seal(&mut self) {
        self.sealed = None;
        if self.groups.len() != 1 {
            return;
        }
        let n = self.envelope_len(0);
        if n > self.head {
            return;
        }
        let mut envelope = Vec::with_capacity(n);
        self.put_envelope(0, &mut envelope);
        let at = self.head - n;
        self.buf[at..self.head].copy_from_slice(&envelope);
        self.sealed = Some(at);
    }

    /// The `LogsData` bytes where they lie, if [`BatchBuilder::seal`] could put them there.
    pub fn logs_data_in_place(&self) -> Option<&[u8]> {
        let at = self.sealed?;
        Some(&self.buf[at..])
    }

    /// The `LogsData` bytes.
    pub fn to_logs_data(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_logs_data(&mut out);
        out
    }

    /// The `LogsData` bytes, into `out` (cleared first; its allocation is reused): each label
    /// set's envelope, then its records gathered from their runs.
    pub fn write_logs_data(&self, out: &mut Vec<u8>) {
        out.clear();
        out.reserve(self.raw_size());
        for g in 0..self.groups.len() {
            self.put_envelope(g, out);
            let mut r = self.groups[g].first_run;
            while r != NONE {
                let run = self.runs[r as usize];
                out.extend_from_slice(&self.buf[run.start as usize..run.end as usize]);
                r = run.next;
            }
        }
        debug_assert_eq!(out.len(), self.raw_size());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log_item::{LogItem, Value};

    fn labelled(i: usize) -> LogItem {
        let mut it = LogItem::new();
        it.set_timestamp_ns(1 + i as i64).unwrap();
        it.set_origin_msg("m").unwrap();
        it.push_label("set", Value::Int(i as i64)).unwrap();
        it
    }

    #[test]
    fn growth_bound_covers_what_appending_holds() {
        let mut b = BatchBuilder::with_buffer(Vec::new());
        b.set_growth_limit(1 << 16);
        let mut enc = Encoded::default();
        for i in 0..3000 {
            // Every record a label set of its own, then runs of shared ones.
            let it = labelled(if i < 2000 { i } else { i % 7 });
            enc.encode(&[&it][..]).unwrap();
            let before = b.held_bytes();
            let bound = b.growth_bound(&enc);
            b.append(&enc);
            let grew = b.held_bytes() - before;
            assert!(grew <= bound, "record {i}: grew {grew}, bound {bound}");
        }
        assert_eq!(b.label_sets(), 2000);
        assert_eq!(b.raw_size(), b.to_logs_data().len());
    }

    #[test]
    fn many_label_sets_are_found_by_hash() {
        // 20,000 distinct label sets, each seen twice far apart: a linear search would take
        // 2 * 10^8 comparisons; by hash each record finds its group at once.
        let items: Vec<LogItem> = (0..20_000).map(labelled).collect();
        let mut b = BatchBuilder::new();
        let mut enc = Encoded::default();
        for round in 0..2 {
            for it in &items {
                enc.encode(&[it][..]).unwrap();
                b.append(&enc);
            }
            assert_eq!(b.label_sets(), 20_000, "round {round}");
        }
        assert_eq!(b.log_count(), 40_000);
        let bytes = b.to_logs_data();
        assert_eq!(bytes.len(), b.raw_size());
        use prost::Message;
        let data = crate::otlp::LogsData::decode(bytes.as_slice()).unwrap();
        assert_eq!(data.resource_logs.len(), 20_000);
        assert!(data
            .resource_logs
            .iter()
            .all(|r| r.scope_logs[0].log_records.len() == 2));
    }
}
