//! Logs as the encoder reads them, wherever they live: a `LogItem`, a record pointing at the
//! caller's own memory (the C API's `lts_record`), or a record of the packed layout. One
//! encoder serves them all, so every way in shares the rules and the bytes on the wire.
//!
//! A send is encoded in one pass, outside any lock: [`Encoded::encode`] checks each field
//! (unless the log's fields were checked when it was built) and writes it at once, while it
//! is in registers, into a buffer the sending thread keeps; each log's labels are encoded
//! beside it (the key its batch groups it by). Under the batch's lock the finished record is
//! then one `memcpy` into its group. (Writing straight into the batch instead needs each
//! record's length before its first byte, so a second pass over every field — measured at
//! more than the copy — and a longer hold of the lock.)

use crate::encode::wire::{
    field_len, put_bytes_raw, put_varint_raw, tag, varint_len, I64, LEN, VARINT,
};
use crate::error::{Error, ErrorKind, Result};
use crate::profile::MAX_REQUEST_BYTES;
use crate::rules::{
    check_key_bytes, check_value, is_utf8, key_is_valid, Field, KeyMemo, Seen, ValueKind,
};

/// A value as the encoder reads it.
#[derive(Debug, Clone, Copy)]
pub enum RawValue<'a> {
    Str(&'a [u8]),
    Int(i64),
    Double(f64),
}

impl PartialEq for RawValue<'_> {
    /// Doubles compare by their bits, as the encoder writes them (`0.0` and `-0.0` differ).
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (RawValue::Str(a), RawValue::Str(b)) => a == b,
            (RawValue::Int(a), RawValue::Int(b)) => a == b,
            (RawValue::Double(a), RawValue::Double(b)) => a.to_bits() == b.to_bits(),
            _ => false,
        }
    }
}

impl RawValue<'_> {
    fn kind(&self) -> ValueKind<'_> {
        match *self {
            RawValue::Str(s) => ValueKind::Str(s),
            RawValue::Int(_) => ValueKind::Int,
            RawValue::Double(d) => ValueKind::Double(d),
        }
    }
}

/// One log to encode.
pub trait Log {
    /// What the log is called in errors ("log item 3 has no timestamp").
    const NAME: &'static str;
    /// True when every key and value was checked as the log was built (a `LogItem` checks
    /// each field as it is pushed), so a send checks only that it is complete.
    const CHECKED: bool = false;
    /// The timestamp in nanoseconds since the epoch; `None` when it was never set.
    fn time_ns(&self) -> Option<i64>;
    /// The origin message; `None` when it was never set.
    fn body(&self) -> Option<&[u8]>;
    fn content_fields(&self) -> impl Iterator<Item = (&[u8], RawValue<'_>)> + Clone;
    fn label_fields(&self) -> impl Iterator<Item = (&[u8], RawValue<'_>)> + Clone;
    /// Why this log was refused, when the log's own form can say it better than the rules
    /// (a record in the caller's memory: a NULL pointer with a length, a length past any
    /// request). Asked only once something was found wrong.
    fn explain(&self, _index: usize) -> Option<Error> {
        None
    }
}

impl<T: Log + ?Sized> Log for &T {
    const NAME: &'static str = T::NAME;
    const CHECKED: bool = T::CHECKED;
    fn time_ns(&self) -> Option<i64> {
        (**self).time_ns()
    }
    fn body(&self) -> Option<&[u8]> {
        (**self).body()
    }
    fn content_fields(&self) -> impl Iterator<Item = (&[u8], RawValue<'_>)> + Clone {
        (**self).content_fields()
    }
    fn label_fields(&self) -> impl Iterator<Item = (&[u8], RawValue<'_>)> + Clone {
        (**self).label_fields()
    }
    fn explain(&self, index: usize) -> Option<Error> {
        (**self).explain(index)
    }
}

/// The logs of one send or one request, in order.
pub trait Logs {
    fn count(&self) -> usize;
    fn logs(&self) -> impl Iterator<Item: Log> + '_;
}

impl<L: Log> Logs for [L] {
    fn count(&self) -> usize {
        self.len()
    }
    fn logs(&self) -> impl Iterator<Item: Log> + '_ {
        self.iter()
    }
}

impl<L: Log, const N: usize> Logs for [L; N] {
    fn count(&self) -> usize {
        N
    }
    fn logs(&self) -> impl Iterator<Item: Log> + '_ {
        self.iter()
    }
}

impl<L: Log> Logs for Vec<L> {
    fn count(&self) -> usize {
        self.len()
    }
    fn logs(&self) -> impl Iterator<Item: Log> + '_ {
        self.iter()
    }
}

// --- lengths and writing -------------------------------------------------------------------

#[inline]
fn any_value_len(v: RawValue<'_>) -> usize {
    match v {
        RawValue::Str(s) => field_len(s.len()),
        RawValue::Int(i) => 1 + varint_len(i as u64),
        RawValue::Double(_) => 9,
    }
}

/// The length of a `KeyValue` message.
#[inline]
pub(crate) fn key_value_len(key_len: usize, v: RawValue<'_>) -> usize {
    field_len(key_len) + field_len(any_value_len(v))
}

/// The most bytes a `KeyValue` field of key `k` and value `v` takes: its exact size when
/// every length fits one byte, otherwise an upper bound (lengths take at most 5 bytes here).
#[inline(always)]
fn key_value_room(k: &[u8], v: RawValue<'_>) -> usize {
    let value = match v {
        RawValue::Str(s) => s.len() + 6,
        _ => 10,
    };
    k.len() + value + 12
}

/// Writes one `KeyValue` as field `field` at `at`; returns the byte after it.
///
/// # Safety
/// `at` is valid for [`key_value_room`] bytes of writes.
#[inline(always)]
unsafe fn put_key_value_raw(at: *mut u8, field: u8, k: &[u8], v: RawValue<'_>) -> *mut u8 {
    let kv_len = key_value_len(k.len(), v);
    if let (true, RawValue::Str(s)) = (kv_len < 0x80, v) {
        // The usual field: every length inside fits one byte, so each header is one store.
        let p = put_bytes_raw(
            at,
            &[tag(field, LEN), kv_len as u8, tag(1, LEN), k.len() as u8],
        );
        let p = put_bytes_raw(p, k);
        let p = put_bytes_raw(
            p,
            &[tag(2, LEN), s.len() as u8 + 2, tag(1, LEN), s.len() as u8],
        );
        return put_bytes_raw(p, s);
    }
    let mut p = at;
    p.write(tag(field, LEN));
    p = put_varint_raw(p.add(1), kv_len as u64);
    p.write(tag(1, LEN));
    p = put_varint_raw(p.add(1), k.len() as u64);
    p = put_bytes_raw(p, k);
    p.write(tag(2, LEN));
    p = put_varint_raw(p.add(1), any_value_len(v) as u64);
    match v {
        RawValue::Str(s) => {
            p.write(tag(1, LEN));
            p = put_varint_raw(p.add(1), s.len() as u64);
            put_bytes_raw(p, s)
        }
        RawValue::Int(i) => {
            p.write(tag(3, VARINT));
            put_varint_raw(p.add(1), i as u64)
        }
        RawValue::Double(d) => {
            p.write(tag(4, I64));
            put_bytes_raw(p.add(1), &d.to_le_bytes())
        }
    }
}

/// Appends one `KeyValue` as field `field` to `out`.
#[inline(always)]
fn push_key_value(out: &mut Vec<u8>, field: u8, k: &[u8], v: RawValue<'_>) {
    let room = key_value_room(k, v);
    out.reserve(room);
    // SAFETY: `reserve` made `room` bytes of spare capacity, which bounds what
    // put_key_value_raw writes; `set_len` covers exactly the bytes written.
    unsafe {
        let at = out.as_mut_ptr().add(out.len());
        let end = put_key_value_raw(at, field, k, v);
        let n = end as usize - at as usize;
        assert!(n <= room, "encoded length mismatch");
        out.set_len(out.len() + n);
    }
}

// --- encoding a send ---------------------------------------------------------------------

/// What one send's logs may encode to: far above any request (the records and labels of a
/// send are kept with 32-bit offsets, and a batch holds at most a request's bytes).
const MAX_SEND_BYTES: usize = 1 << 30;

/// Room left before a record for its header (`LogRecord` tag and length: at most 6 bytes),
/// which is written once the record's length is known.
const HEAD_ROOM: usize = 8;

/// Where one encoded log lies in [`Encoded`]'s buffer.
#[derive(Debug, Clone, Copy)]
struct Span {
    /// The record, header included.
    record: (u32, u32),
    /// Its labels, encoded as `Resource` attributes.
    labels: (u32, u32),
}

/// A send's logs checked and encoded (see the module's doc). Kept per thread and reused, so
/// encoding allocates nothing once its buffers have grown.
#[derive(Debug, Default)]
pub struct Encoded {
    bytes: Vec<u8>,
    spans: Vec<Span>,
    keys: KeyMemo,
}

fn in_log<L: Log>(index: usize, e: Error) -> Error {
    Error::new(e.kind, format!("{} {index}: {}", L::NAME, e.message))
}

/// Why a field of `log` was refused, worded (the slow path: only once something is wrong).
#[cold]
fn field_error<L: Log>(
    log: &L,
    index: usize,
    field: Field,
    k: &[u8],
    v: RawValue<'_>,
    dup: bool,
) -> Error {
    if let Some(e) = log.explain(index) {
        return e;
    }
    let e = if dup {
        Error::new(
            ErrorKind::InvalidKey,
            format!(
                "{} key {:?} appears twice",
                field.name(),
                String::from_utf8_lossy(k)
            ),
        )
    } else if !key_is_valid(k) {
        check_key_bytes(field, k).unwrap_err()
    } else {
        check_value(field, k, v.kind()).unwrap_err()
    };
    in_log::<L>(index, e)
}

/// Keys the memo could not remember, for the duplicate check: compared among themselves
/// (the memo finds a repeat of any key it holds), through a hash set once there are many.
#[derive(Default)]
struct Unremembered<'a> {
    few: smallvec::SmallVec<[&'a [u8]; 8]>,
    many: Option<rustc_hash::FxHashSet<&'a [u8]>>,
}

impl<'a> Unremembered<'a> {
    /// False if `key` was already here.
    fn insert(&mut self, key: &'a [u8]) -> bool {
        if let Some(set) = &mut self.many {
            return set.insert(key);
        }
        if self.few.contains(&key) {
            return false;
        }
        self.few.push(key);
        if self.few.len() > 32 {
            self.many = Some(self.few.drain(..).collect());
        }
        true
    }
}

/// Checks one list of `log`'s fields (unless the log was checked when built): keys, values,
/// no key twice. Calls `each` with every field.
#[inline(always)]
fn check_fields<'a, L: Log>(
    log: &L,
    index: usize,
    field: Field,
    keys: &mut KeyMemo,
    fields: impl Iterator<Item = (&'a [u8], RawValue<'a>)>,
    mut each: impl FnMut(&'a [u8], RawValue<'a>),
) -> Result<()> {
    if !L::CHECKED {
        keys.next_list();
    }
    let mut unremembered = Unremembered::default();
    for (k, v) in fields {
        if !L::CHECKED {
            let seen = keys.check(k);
            let value_ok = match v {
                RawValue::Str(s) => !s.is_empty() && is_utf8(s),
                RawValue::Int(_) => true,
                RawValue::Double(d) => d.is_finite(),
            };
            let dup = match seen {
                Seen::Valid => false,
                Seen::Twice => true,
                Seen::Unremembered => !unremembered.insert(k),
                Seen::Invalid => return Err(field_error(log, index, field, k, v, false)),
            };
            if !value_ok || dup {
                return Err(field_error(log, index, field, k, v, dup && value_ok));
            }
        }
        each(k, v);
    }
    Ok(())
}

impl Encoded {
    /// Checks and encodes `logs`, replacing what was held. Errors name the log and key.
    pub fn encode<S: Logs + ?Sized>(&mut self, logs: &S) -> Result<()> {
        self.bytes.clear();
        self.spans.clear();
        for (index, log) in logs.logs().enumerate() {
            self.add(index, &log)?;
        }
        Ok(())
    }

    fn add<L: Log>(&mut self, index: usize, log: &L) -> Result<()> {
        let (ts, msg) = match (log.time_ns(), log.body()) {
            (Some(ts), Some(m)) if !m.is_empty() => (ts, m),
            (ts, _) => {
                if let Some(e) = log.explain(index) {
                    return Err(e);
                }
                let missing = if ts.is_none() {
                    "timestamp"
                } else {
                    "origin message"
                };
                return Err(Error::new(
                    ErrorKind::InvalidValue,
                    format!(
                        "{} {index} has no {missing} (both timestamp and origin message are required)",
                        L::NAME
                    ),
                ));
            }
        };
        if !L::CHECKED {
            if ts < 0 {
                return Err(Error::new(
                    ErrorKind::InvalidValue,
                    format!("{} {index}: invalid timestamp {ts}: nanoseconds since the epoch cannot be negative", L::NAME),
                ));
            }
            if !is_utf8(msg) {
                if let Some(e) = log.explain(index) {
                    return Err(e);
                }
                return Err(Error::new(
                    ErrorKind::InvalidValue,
                    format!("{} {index}: the origin message is not valid UTF-8", L::NAME),
                ));
            }
        }
        let start = self.bytes.len();
        if start > MAX_SEND_BYTES {
            return Err(Error::new(
                ErrorKind::TooLarge,
                format!(
                    "{} {index}: the logs before it are already over {MAX_SEND_BYTES} raw bytes",
                    L::NAME
                ),
            ));
        }
        let written = self.put_record(index, log, ts, msg);
        let record_end = self.bytes.len();
        let record = match written {
            Ok(head) => (head as u32, record_end as u32),
            Err(e) => {
                self.bytes.truncate(start);
                return Err(e);
            }
        };
        if record_end - record.0 as usize > MAX_REQUEST_BYTES {
            self.bytes.truncate(start);
            return Err(Error::new(
                ErrorKind::TooLarge,
                format!(
                    "{} {index} is {} raw bytes; one request holds at most {MAX_REQUEST_BYTES}",
                    L::NAME,
                    record_end - record.0 as usize
                ),
            ));
        }
        // The labels, encoded as the `Resource` attributes their batch group is keyed by.
        let bytes = &mut self.bytes;
        let labelled = check_fields(
            log,
            index,
            Field::Label,
            &mut self.keys,
            log.label_fields(),
            |k, v| {
                push_key_value(bytes, 1, k, v);
            },
        );
        if let Err(e) = labelled {
            self.bytes.truncate(start);
            return Err(e);
        }
        if self.bytes.len() - record_end > MAX_REQUEST_BYTES {
            self.bytes.truncate(start);
            return Err(Error::new(
                ErrorKind::TooLarge,
                format!(
                    "{} {index}: its labels are over {MAX_REQUEST_BYTES} raw bytes",
                    L::NAME
                ),
            ));
        }
        self.spans.push(Span {
            record,
            labels: (record_end as u32, self.bytes.len() as u32),
        });
        Ok(())
    }

    /// Writes one `LogRecord` field at the end of the buffer: the record's contents first,
    /// after room for its header, then the header, placed to end where the contents begin.
    /// Returns where the record (header included) begins.
    fn put_record<L: Log>(&mut self, index: usize, log: &L, ts: i64, msg: &[u8]) -> Result<usize> {
        let out = &mut self.bytes;
        let base = out.len();
        out.reserve(HEAD_ROOM + 32 + msg.len());
        // SAFETY: the reservation above covers the gap and the fixed fields written here
        // (a timestamp of 9 bytes, the body's two headers of at most 12, the message).
        unsafe {
            let at = out.as_mut_ptr().add(base + HEAD_ROOM);
            let mut p = at;
            if ts != 0 {
                p.write(tag(1, I64));
                p = put_bytes_raw(p.add(1), &(ts as u64).to_le_bytes());
            }
            p.write(tag(5, LEN));
            p = put_varint_raw(p.add(1), field_len(msg.len()) as u64);
            p.write(tag(1, LEN));
            p = put_varint_raw(p.add(1), msg.len() as u64);
            p = put_bytes_raw(p, msg);
            out.set_len(p as usize - out.as_ptr() as usize);
        }
        check_fields(
            log,
            index,
            Field::Content,
            &mut self.keys,
            log.content_fields(),
            |k, v| {
                push_key_value(out, 6, k, v);
            },
        )?;
        let record_len = out.len() - base - HEAD_ROOM;
        if record_len > MAX_REQUEST_BYTES {
            return Ok(base + HEAD_ROOM); // refused by the caller, by its length
        }
        let head = 1 + varint_len(record_len as u64);
        let begin = base + HEAD_ROOM - head;
        // SAFETY: `begin..base + HEAD_ROOM` lies in the gap reserved above (head <= 6).
        unsafe {
            let p = out.as_mut_ptr().add(begin);
            p.write(tag(2, LEN));
            put_varint_raw(p.add(1), record_len as u64);
        }
        Ok(begin)
    }

    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Each log's encoded record (a `ScopeLogs.log_records` field) and encoded labels, in
    /// order.
    pub(crate) fn entries(&self) -> impl Iterator<Item = (&[u8], &[u8])> + '_ {
        let b = &self.bytes;
        self.spans.iter().map(move |s| {
            (
                &b[s.record.0 as usize..s.record.1 as usize],
                &b[s.labels.0 as usize..s.labels.1 as usize],
            )
        })
    }

    /// Each log's record length, labels length, and its record and labels together (they
    /// lie one after the other), in order.
    pub(crate) fn entries_joined(&self) -> impl Iterator<Item = (u32, u32, &[u8])> + '_ {
        let b = &self.bytes;
        self.spans.iter().map(move |s| {
            debug_assert_eq!(s.record.1, s.labels.0);
            (
                s.record.1 - s.record.0,
                s.labels.1 - s.labels.0,
                &b[s.record.0 as usize..s.labels.1 as usize],
            )
        })
    }

    /// The bytes of every record together (headers included, labels not).
    pub fn records_len(&self) -> usize {
        self.spans
            .iter()
            .map(|s| (s.record.1 - s.record.0) as usize)
            .sum()
    }

    /// The exact raw size of a `LogsData` holding only these logs.
    pub fn standalone_size(&self) -> usize {
        use crate::encode::batch::resource_logs_len;
        if let [one] = &self.spans[..] {
            let records = (one.record.1 - one.record.0) as usize;
            let labels = (one.labels.1 - one.labels.0) as usize;
            return field_len(resource_logs_len(labels, records));
        }
        // (labels, record bytes) per distinct label set: a short list while there are few,
        // a hash map once there are many (a send may give every log a label set of its own).
        let mut few: smallvec::SmallVec<[(&[u8], usize); 8]> = smallvec::SmallVec::new();
        let mut many: Option<rustc_hash::FxHashMap<&[u8], usize>> = None;
        for (record, labels) in self.entries() {
            let n = record.len();
            if let Some(map) = &mut many {
                *map.entry(labels).or_default() += n;
                continue;
            }
            if let Some((_, bytes)) = few.iter_mut().rev().find(|(l, _)| *l == labels) {
                *bytes += n;
                continue;
            }
            match few.len() < 8 {
                true => few.push((labels, n)),
                false => {
                    let mut map: rustc_hash::FxHashMap<&[u8], usize> = few.drain(..).collect();
                    map.insert(labels, n);
                    many = Some(map);
                }
            }
        }
        let size = |(l, n): (&[u8], usize)| field_len(resource_logs_len(l.len(), n));
        match many {
            Some(map) => map.into_iter().map(size).sum(),
            None => few.into_iter().map(size).sum(),
        }
    }
}
