//! A batch being built: records grouped by their labels, each group's records already
//! serialized, so the batch grows by writing records at its end; the envelope (resources,
//! scopes, length prefixes) is written when the batch is finished.

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

/// The logs of one label set: the encoded `Resource` attributes (also the group's identity:
/// equal label lists encode to equal bytes) and the encoded records, after `head` bytes of
/// room at the front of the buffer (the first group's, for the envelope: see
/// [`BatchBuilder::seal`]).
#[derive(Debug, Clone)]
struct Group {
    resource: Vec<u8>,
    records: Vec<u8>,
    head: usize,
    count: usize,
}

impl Group {
    fn records(&self) -> &[u8] {
        &self.records[self.head..]
    }

    fn resource_logs_len(&self) -> usize {
        resource_logs_len(self.resource.len(), self.records.len() - self.head)
    }

    /// Everything of the `ResourceLogs` field before the records, written at `at` (which
    /// has `self.envelope_len()` bytes).
    fn envelope_len(&self) -> usize {
        field_len(self.resource_logs_len()) - (self.records.len() - self.head)
    }

    fn put_envelope(&self, out: &mut Vec<u8>) {
        let len = self.resource_logs_len();
        let scope_logs_len = field_len(SCOPE_LEN) + self.records.len() - self.head;
        debug_assert_eq!(SCOPE.len(), SCOPE_LEN);
        write_exact(out, self.envelope_len(), |w| {
            w.byte(tag(1, LEN));
            w.varint(len as u64);
            w.bytes_field(1, &self.resource);
            w.byte(tag(2, LEN));
            w.varint(scope_logs_len as u64);
            w.bytes_field(1, &SCOPE);
        });
    }

    fn put(&self, out: &mut Vec<u8>) {
        // Everything up to the records; the records are copied once, not zeroed first.
        self.put_envelope(out);
        out.extend_from_slice(self.records());
    }
}

/// Room kept before a batch's first records for its envelope (an envelope with labels longer
/// than this is copied out instead).
const ENVELOPE_ROOM: usize = 128;

/// Logs grouped by identical label lists (first-seen order), already serialized. The sync
/// client and the producer both build requests with it.
#[derive(Debug, Clone, Default)]
pub struct BatchBuilder {
    groups: Vec<Group>,
    count: usize,
    /// The group the last log went to: consecutive logs usually share their labels.
    last: usize,
    /// The first label group's record buffer, reserved (or recycled) up front, so a growing
    /// batch is not copied over and over by reallocation while senders wait on its lock.
    first: Vec<u8>,
    /// Where the `LogsData` starts in the first group's buffer once [`BatchBuilder::seal`]
    /// wrote its envelope there.
    sealed: Option<usize>,
}

impl BatchBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// A builder whose first label group writes into `buf` (cleared): a buffer kept from an
    /// earlier batch, whose pages are already mapped.
    pub fn with_buffer(mut buf: Vec<u8>) -> Self {
        buf.clear();
        // Room for the envelope, so a batch of one label set is sent without a copy.
        buf.resize(ENVELOPE_ROOM, 0);
        BatchBuilder {
            first: buf,
            ..Self::default()
        }
    }

    /// The biggest record buffer, for [`BatchBuilder::with_buffer`].
    pub fn into_buffer(self) -> Vec<u8> {
        let mut best = self.first;
        for g in self.groups {
            if g.records.capacity() > best.capacity() {
                best = g.records;
            }
        }
        best
    }

    /// Checks and encodes `logs` into a builder of their own.
    pub fn from_logs<S: Logs + ?Sized>(logs: &S) -> Result<Self> {
        let mut enc = Encoded::default();
        enc.encode(logs)?;
        let mut b = BatchBuilder::new();
        b.append(&enc);
        Ok(b)
    }

    fn group_for(&mut self, resource: &[u8]) -> &mut Group {
        if self
            .groups
            .get(self.last)
            .is_some_and(|g| g.resource == resource)
        {
            return &mut self.groups[self.last];
        }
        // Few distinct label sets in practice: search newest first.
        self.last = match self.groups.iter().rposition(|g| g.resource == resource) {
            Some(i) => i,
            None => {
                let records = if self.groups.is_empty() {
                    std::mem::take(&mut self.first)
                } else {
                    Vec::new()
                };
                // A buffer from with_buffer starts with its envelope room.
                let head = if self.groups.is_empty() && records.len() == ENVELOPE_ROOM {
                    ENVELOPE_ROOM
                } else {
                    0
                };
                self.groups.push(Group {
                    resource: resource.to_vec(),
                    records,
                    head,
                    count: 0,
                });
                self.groups.len() - 1
            }
        };
        &mut self.groups[self.last]
    }

    /// Copies encoded logs into their groups.
    pub fn append(&mut self, enc: &Encoded) {
        debug_assert!(self.sealed.is_none(), "appending to a sealed batch");
        for (record, labels) in enc.entries() {
            let g = self.group_for(labels);
            g.records.extend_from_slice(record);
            g.count += 1;
        }
        self.count += enc.len();
    }

    /// Moves `other`'s logs in after this builder's, merging groups with equal labels.
    pub fn merge(&mut self, other: BatchBuilder) {
        for g in other.groups {
            let mine = self.group_for(&g.resource);
            mine.records.extend_from_slice(g.records());
            mine.count += g.count;
        }
        self.count += other.count;
    }

    pub fn log_count(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The exact length of the `LogsData` this builder would produce.
    pub fn raw_size(&self) -> usize {
        self.groups
            .iter()
            .map(|g| field_len(g.resource_logs_len()))
            .sum()
    }

    /// Writes the envelope in front of the records, when the batch is one label set whose
    /// envelope fits the room kept for it: then [`BatchBuilder::logs_data_in_place`] gives the
    /// whole `LogsData` without copying. Call once the batch is complete (appending after it
    /// is a bug).
    pub fn seal(&mut self) {
        self.sealed = None;
        let [g] = &mut self.groups[..] else {
            return;
        };
        let n = g.envelope_len();
        if n > g.head {
            return;
        }
        let mut envelope = Vec::with_capacity(n);
        g.put_envelope(&mut envelope);
        let at = g.head - n;
        g.records[at..g.head].copy_from_slice(&envelope);
        self.sealed = Some(at);
    }

    /// The `LogsData` bytes where they lie, if [`BatchBuilder::seal`] could put them there.
    pub fn logs_data_in_place(&self) -> Option<&[u8]> {
        let at = self.sealed?;
        Some(&self.groups[0].records[at..])
    }

    /// The `LogsData` bytes.
    pub fn to_logs_data(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_logs_data(&mut out);
        out
    }

    /// The `LogsData` bytes, into `out` (cleared first; its allocation is reused).
    pub fn write_logs_data(&self, out: &mut Vec<u8>) {
        debug_assert!(self.sealed.is_none() || self.groups.len() == 1);
        out.clear();
        out.reserve(self.raw_size());
        for g in &self.groups {
            g.put(out);
        }
    }
}
