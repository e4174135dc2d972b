//! Log items → OTLP `LogsData` protobuf → (optionally) one raw LZ4 block (protocol §3).
//!
//! Records are serialized once, straight into the buffer of their label group, so a
//! producer batch grows by appending bytes; the envelope (resources, scopes, length
//! prefixes) is written when the batch is finished. The sync client and the producer both
//! build requests with [`BatchBuilder`]. prost's generated types are used to *decode*
//! (lts-local, tests), which cross-checks this encoder.

use once_cell::sync::Lazy;

use crate::error::{Error, ErrorKind, Result};
use crate::log_item::{Fields, LogItem, OwnedFields, RawValue, ValueRef};
use crate::profile::{MAX_REQUEST_BYTES, MAX_REQUEST_LOGS};

/// The scope every `ScopeLogs` names.
pub const SCOPE_NAME: &str = "liblts";

/// How a request body is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    Lz4,
    None,
}

impl Compression {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "lz4" => Some(Compression::Lz4),
            "none" => Some(Compression::None),
            _ => None,
        }
    }

    /// The value of the compress-type header.
    pub fn header_value(self) -> &'static str {
        match self {
            Compression::Lz4 => "lz4",
            Compression::None => "none",
        }
    }
}

/// A request body ready to send, with what the headers need to say about it.
#[derive(Debug, Clone)]
pub struct EncodedBatch {
    pub body: Vec<u8>,
    /// Length of the protobuf before compression (`x-lts-bodyrawsize`).
    pub raw_size: usize,
    pub compression: Compression,
    pub log_count: usize,
}

// --- protobuf wire primitives -------------------------------------------------------------

const LEN: u8 = 2;
const I64: u8 = 1;
const VARINT: u8 = 0;

fn tag(field: u8, wire: u8) -> u8 {
    (field << 3) | wire
}

#[inline]
pub(crate) fn varint_len(v: u64) -> usize {
    // 7 bits per byte: ceil(significant bits / 7), without a loop (lengths are computed
    // twice per field: once for the enclosing length prefix, once to write).
    let bits = 64 - (v | 1).leading_zeros() as usize;
    (bits * 9 + 64) / 64
}

/// Size of a length-delimited field holding `len` bytes (tag + length + bytes).
fn field_len(len: usize) -> usize {
    1 + varint_len(len as u64) + len
}

/// Writes a message whose length is computed first: one resize of the buffer, then plain
/// stores, instead of a capacity check and length update per byte pushed.
struct Writer<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl Writer<'_> {
    #[inline]
    fn byte(&mut self, b: u8) {
        self.buf[self.pos] = b;
        self.pos += 1;
    }

    #[inline]
    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.byte((v as u8) | 0x80);
            v >>= 7;
        }
        self.byte(v as u8);
    }

    #[inline]
    fn bytes(&mut self, b: &[u8]) {
        self.buf[self.pos..self.pos + b.len()].copy_from_slice(b);
        self.pos += b.len();
    }

    #[inline]
    fn bytes_field(&mut self, field: u8, b: &[u8]) {
        self.byte(tag(field, LEN));
        self.varint(b.len() as u64);
        self.bytes(b);
    }
}

/// Appends exactly `len` bytes to `out`, written by `write`.
#[inline]
fn write_exact(out: &mut Vec<u8>, len: usize, write: impl FnOnce(&mut Writer<'_>)) {
    let start = out.len();
    out.resize(start + len, 0);
    let mut w = Writer {
        buf: &mut out[start..],
        pos: 0,
    };
    write(&mut w);
    // A length function that disagrees with its writer would leave zeros or panic above.
    assert_eq!(w.pos, len, "encoded length mismatch");
}

// --- messages ------------------------------------------------------------------------------

/// `AnyValue` content length.
#[inline]
fn any_value_len(v: RawValue<'_>) -> usize {
    match v {
        RawValue::Str(s) => field_len(s.len()),
        RawValue::Int(i) => 1 + varint_len(i as u64),
        RawValue::Double(_) => 9,
    }
}

#[inline]
fn put_any_value(w: &mut Writer<'_>, v: RawValue<'_>) {
    match v {
        RawValue::Str(s) => w.bytes_field(1, s),
        RawValue::Int(i) => {
            w.byte(tag(3, VARINT));
            w.varint(i as u64);
        }
        RawValue::Double(d) => {
            w.byte(tag(4, I64));
            w.bytes(&d.to_le_bytes());
        }
    }
}

/// The length of a `KeyValue` message (what a [`LogItem`] records for each field it holds).
pub(crate) fn key_value_len(key_len: usize, v: ValueRef<'_>) -> usize {
    let value_len = match v {
        ValueRef::Str(s) => field_len(s.len()),
        ValueRef::Int(i) => 1 + varint_len(i as u64),
        ValueRef::Double(_) => 9,
    };
    field_len(key_len) + field_len(value_len)
}

fn key_values_len(list: Fields<'_>) -> usize {
    list.kv_lens().map(field_len).sum()
}

/// Writes `KeyValue`s as repeated field `field` of the enclosing message.
fn put_key_values(w: &mut Writer<'_>, field: u8, list: Fields<'_>) {
    for (k, v, kv_len) in list.raw() {
        if kv_len < 0x80 {
            // The usual field: every length inside fits one byte, so each header goes out
            // as one 4-byte store instead of byte by byte.
            w.bytes(&[tag(field, LEN), kv_len as u8, tag(1, LEN), k.len() as u8]);
            w.bytes(k);
            match v {
                RawValue::Str(s) => {
                    w.bytes(&[tag(2, LEN), s.len() as u8 + 2, tag(1, LEN), s.len() as u8]);
                    w.bytes(s);
                }
                _ => {
                    w.bytes(&[tag(2, LEN), any_value_len(v) as u8]);
                    put_any_value(w, v);
                }
            }
            continue;
        }
        w.byte(tag(field, LEN));
        w.varint(kv_len as u64);
        w.bytes_field(1, k);
        w.byte(tag(2, LEN));
        w.varint(any_value_len(v) as u64);
        put_any_value(w, v);
    }
}

fn log_record_len(item: &LogItem) -> usize {
    let ts = item.timestamp_ns().unwrap_or(0);
    let mut n = if ts != 0 { 9 } else { 0 };
    if let Some(m) = item.origin_msg() {
        n += field_len(field_len(m.len()));
    }
    n + key_values_len(item.contents())
}

/// Appends one `LogRecord` as a `ScopeLogs.log_records` field (tag, length, message).
fn put_record_field(out: &mut Vec<u8>, item: &LogItem) {
    let len = log_record_len(item);
    write_exact(out, field_len(len), |w| {
        w.byte(tag(2, LEN));
        w.varint(len as u64);
        let ts = item.timestamp_ns().unwrap_or(0);
        if ts != 0 {
            w.byte(tag(1, I64));
            w.bytes(&(ts as u64).to_le_bytes());
        }
        if let Some(m) = item.origin_msg() {
            w.byte(tag(5, LEN));
            w.varint(field_len(m.len()) as u64);
            w.bytes_field(1, m.as_bytes());
        }
        put_key_values(w, 6, item.contents());
    });
}

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

// --- batches -------------------------------------------------------------------------------

fn resource_len(labels: Fields<'_>) -> usize {
    key_values_len(labels)
}

/// Length of a `ResourceLogs` holding `records_len` bytes of records.
fn resource_logs_len(resource_len: usize, records_len: usize) -> usize {
    field_len(resource_len) + field_len(field_len(SCOPE.len()) + records_len)
}

/// A label set and how many record bytes carry it.
type LabelBytes<'a> = (Fields<'a>, usize);

/// Records serialized ahead of time (by a producer's sending thread, outside any lock), to
/// be appended to a batch with [`BatchBuilder::append_encoded`]. Reused between sends.
#[derive(Debug, Default)]
pub struct EncodedRecords {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl EncodedRecords {
    /// Serializes `items` (which must be complete), replacing what was here.
    pub fn encode(&mut self, items: &[&LogItem]) {
        self.bytes.clear();
        self.ends.clear();
        for item in items {
            put_record_field(&mut self.bytes, item);
            self.ends.push(self.bytes.len());
        }
    }

    /// The exact raw size of a `LogsData` holding only these records.
    pub fn standalone_size(&self, items: &[&LogItem]) -> usize {
        // (labels, records bytes) per distinct label set.
        let mut groups: smallvec::SmallVec<[LabelBytes<'_>; 4]> = smallvec::SmallVec::new();
        let mut start = 0;
        for (item, &end) in items.iter().zip(&self.ends) {
            let labels = item.labels();
            match groups.iter_mut().rev().find(|(l, _)| l.same(&labels)) {
                Some((_, n)) => *n += end - start,
                None => groups.push((labels, end - start)),
            }
            start = end;
        }
        groups
            .iter()
            .map(|(l, n)| field_len(resource_logs_len(resource_len(*l), *n)))
            .sum()
    }
}

/// The logs of one label set: the encoded `Resource` and the encoded records.
#[derive(Debug, Clone)]
struct Group {
    labels: OwnedFields,
    resource: Vec<u8>,
    records: Vec<u8>,
    count: usize,
}

impl Group {
    fn new(labels: Fields<'_>) -> Group {
        let mut resource = Vec::new();
        write_exact(&mut resource, key_values_len(labels), |w| {
            put_key_values(w, 1, labels)
        });
        Group {
            labels: labels.to_owned_fields(),
            resource,
            records: Vec::new(),
            count: 0,
        }
    }

    /// Length of this group's `ResourceLogs` message.
    fn resource_logs_len(&self) -> usize {
        resource_logs_len(self.resource.len(), self.records.len())
    }

    fn put(&self, out: &mut Vec<u8>) {
        let len = self.resource_logs_len();
        let scope_logs_len = field_len(SCOPE.len()) + self.records.len();
        // Everything up to the records; the records are copied once, not zeroed first.
        let head = field_len(len) - self.records.len();
        write_exact(out, head, |w| {
            w.byte(tag(1, LEN));
            w.varint(len as u64);
            w.bytes_field(1, &self.resource);
            w.byte(tag(2, LEN));
            w.varint(scope_logs_len as u64);
            w.bytes_field(1, &SCOPE);
        });
        out.extend_from_slice(&self.records);
    }
}

/// Logs grouped by identical label lists (first-seen order), already serialized.
#[derive(Debug, Clone, Default)]
pub struct BatchBuilder {
    groups: Vec<Group>,
    count: usize,
    /// The first label group's record buffer, reserved (or recycled) up front, so a growing
    /// batch is not copied over and over by reallocation while senders wait on its lock.
    first: Vec<u8>,
}

impl BatchBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// A builder whose first label group writes into `buf` (cleared): a buffer kept from an
    /// earlier batch, whose pages are already mapped.
    pub fn with_buffer(mut buf: Vec<u8>) -> Self {
        buf.clear();
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

    /// Serializes `items` into their groups. Items must be complete (see [`check_items`]).
    pub fn from_items(items: &[&LogItem]) -> Self {
        let mut b = BatchBuilder::new();
        for item in items {
            b.push(item);
        }
        b
    }

    fn group_for(&mut self, labels: Fields<'_>) -> &mut Group {
        // Few distinct label sets in practice: search newest first.
        match self
            .groups
            .iter()
            .rposition(|g| g.labels.get().same(&labels))
        {
            Some(i) => &mut self.groups[i],
            None => {
                let mut g = Group::new(labels);
                if self.groups.is_empty() {
                    g.records = std::mem::take(&mut self.first);
                }
                self.groups.push(g);
                self.groups.last_mut().expect("just pushed")
            }
        }
    }

    pub fn push(&mut self, item: &LogItem) {
        let g = self.group_for(item.labels());
        put_record_field(&mut g.records, item);
        g.count += 1;
        self.count += 1;
    }

    /// Appends records serialized by [`EncodedRecords::encode`] from these same `items`.
    pub fn append_encoded(&mut self, items: &[&LogItem], encoded: &EncodedRecords) {
        let mut start = 0;
        for (item, &end) in items.iter().zip(&encoded.ends) {
            let g = self.group_for(item.labels());
            g.records.extend_from_slice(&encoded.bytes[start..end]);
            g.count += 1;
            start = end;
        }
        self.count += items.len();
    }

    /// Moves `other`'s logs in after this builder's, merging groups with equal labels.
    pub fn append(&mut self, other: BatchBuilder) {
        for g in other.groups {
            let mine = self.group_for(g.labels.get());
            mine.records.extend_from_slice(&g.records);
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

    /// The `LogsData` bytes.
    pub fn to_logs_data(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_logs_data(&mut out);
        out
    }

    /// The `LogsData` bytes, into `out` (cleared first; its allocation is reused).
    pub fn write_logs_data(&self, out: &mut Vec<u8>) {
        out.clear();
        out.reserve(self.raw_size());
        for g in &self.groups {
            g.put(out);
        }
    }

    /// The request body.
    pub fn finish(&self, compression: Compression) -> EncodedBatch {
        finish_raw(self.to_logs_data(), self.count, compression)
    }
}

/// A request body from `LogsData` bytes the caller keeps, compressing through `lz4_out`, a
/// buffer the caller keeps too: a producer worker reuses both from batch to batch instead of
/// mapping fresh pages for each (the body itself is a copy of the compressed bytes).
pub fn finish_borrowed(
    raw: &[u8],
    log_count: usize,
    compression: Compression,
    lz4_out: &mut Vec<u8>,
) -> EncodedBatch {
    let body = match compression {
        Compression::Lz4 => {
            let max = lz4_flex::block::get_maximum_output_size(raw.len());
            if lz4_out.len() < max {
                lz4_out.resize(max, 0);
            }
            let n = lz4_flex::block::compress_into(raw, lz4_out)
                .expect("the output holds lz4's maximum output size");
            lz4_out[..n].to_vec()
        }
        Compression::None => raw.to_vec(),
    };
    EncodedBatch {
        body,
        raw_size: raw.len(),
        compression,
        log_count,
    }
}

/// A request body from `LogsData` bytes already serialized.
pub fn finish_raw(raw: Vec<u8>, log_count: usize, compression: Compression) -> EncodedBatch {
    let raw_size = raw.len();
    let body = match compression {
        Compression::Lz4 => lz4_flex::block::compress(&raw),
        Compression::None => raw,
    };
    EncodedBatch {
        body,
        raw_size,
        compression,
        log_count,
    }
}

/// Checks the items of one request: at least one, each complete, at most
/// [`MAX_REQUEST_LOGS`].
pub fn check_items(items: &[&LogItem]) -> Result<()> {
    if items.is_empty() {
        return Err(Error::invalid_argument("no log items to send (count is 0)"));
    }
    if items.len() > MAX_REQUEST_LOGS {
        return Err(Error::new(
            ErrorKind::TooLarge,
            format!(
                "{} logs in one request; at most {MAX_REQUEST_LOGS} are allowed",
                items.len()
            ),
        ));
    }
    items
        .iter()
        .enumerate()
        .try_for_each(|(i, item)| item.check_complete(i))
}

/// Refuses a batch over [`MAX_REQUEST_BYTES`] raw bytes.
pub fn check_raw_size(raw_size: usize, limit: usize) -> Result<()> {
    if raw_size > limit {
        return Err(Error::new(
            ErrorKind::TooLarge,
            format!("{raw_size} raw bytes; at most {limit} are allowed"),
        ));
    }
    Ok(())
}

/// Encodes one request body. Refuses (before any network I/O) empty or incomplete input and
/// requests over [`MAX_REQUEST_LOGS`] logs or [`MAX_REQUEST_BYTES`] raw bytes.
pub fn encode(items: &[&LogItem], compression: Compression) -> Result<EncodedBatch> {
    check_items(items)?;
    let builder = BatchBuilder::from_items(items);
    check_raw_size(builder.raw_size(), MAX_REQUEST_BYTES)
        .map_err(|e| Error::new(e.kind, format!("request of {}", e.message)))?;
    Ok(builder.finish(compression))
}

/// The same logs as prost's generated types (for tests and tools that want structs).
pub fn logs_data(items: &[&LogItem]) -> crate::otlp::LogsData {
    use prost::Message;
    crate::otlp::LogsData::decode(BatchBuilder::from_items(items).to_logs_data().as_slice())
        .expect("the encoder writes valid LogsData")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log_item::Value;
    use crate::otlp::{any_value, AnyValue, InstrumentationScope, KeyValue, LogRecord, LogsData};
    use crate::otlp::{Resource, ResourceLogs, ScopeLogs};
    use prost::Message;

    fn item(ts: i64, msg: &str, labels: &[(&str, Value)]) -> LogItem {
        let mut it = LogItem::new();
        it.set_timestamp_ns(ts).unwrap();
        it.set_origin_msg(msg).unwrap();
        it.push_content("level", Value::Str("info".into())).unwrap();
        it.push_content("n", Value::Int(ts - 3)).unwrap();
        it.push_content("pi", Value::Double(3.25)).unwrap();
        for (k, v) in labels {
            it.push_label(k, v.clone()).unwrap();
        }
        it
    }

    /// Label identity as the encoder groups by: doubles by their bits.
    fn same_value(a: &Value, b: &Value) -> bool {
        match (a, b) {
            (Value::Double(x), Value::Double(y)) => x.to_bits() == y.to_bits(),
            _ => a == b,
        }
    }

    /// The mapping of protocol §3 written with prost's types, independently of the encoder.
    fn reference(items: &[&LogItem]) -> LogsData {
        let av = |v: &Value| AnyValue {
            value: Some(match v {
                Value::Str(s) => any_value::Value::StringValue(s.clone()),
                Value::Int(i) => any_value::Value::IntValue(*i),
                Value::Double(d) => any_value::Value::DoubleValue(*d),
            }),
        };
        let kvs = |l: &[(String, Value)]| -> Vec<KeyValue> {
            l.iter()
                .map(|(k, v)| KeyValue {
                    key: k.clone(),
                    value: Some(av(v)),
                })
                .collect()
        };
        type Groups = Vec<(Vec<(String, Value)>, Vec<LogRecord>)>;
        let mut groups: Groups = Vec::new();
        for it in items {
            let rec = LogRecord {
                time_unix_nano: it.timestamp_ns().unwrap() as u64,
                body: Some(av(&Value::Str(it.origin_msg().unwrap().into()))),
                attributes: kvs(&it.contents().to_vec()),
                ..Default::default()
            };
            let labels = it.labels().to_vec();
            let same = |l: &[(String, Value)]| {
                l.len() == labels.len()
                    && l.iter()
                        .zip(&labels)
                        .all(|((ka, va), (kb, vb))| ka == kb && same_value(va, vb))
            };
            match groups.iter_mut().find(|(l, _)| same(l)) {
                Some((_, r)) => r.push(rec),
                None => groups.push((labels, vec![rec])),
            }
        }
        LogsData {
            resource_logs: groups
                .into_iter()
                .map(|(l, log_records)| ResourceLogs {
                    resource: Some(Resource {
                        attributes: kvs(&l),
                        dropped_attributes_count: 0,
                    }),
                    scope_logs: vec![ScopeLogs {
                        scope: Some(InstrumentationScope {
                            name: SCOPE_NAME.into(),
                            version: crate::VERSION.into(),
                            ..Default::default()
                        }),
                        log_records,
                        schema_url: String::new(),
                    }],
                    schema_url: String::new(),
                })
                .collect(),
        }
    }

    #[test]
    fn matches_prost_byte_for_byte_and_groups_labels_in_first_seen_order() {
        let a = item(1, "a", &[("user_tag", Value::Str("x".into()))]);
        let b = item(2, "b", &[]);
        let c = item(3, "c", &[("user_tag", Value::Str("x".into()))]);
        let d = item(4, "d", &[("user_tag", Value::Int(-1))]);
        let e = item(5, &"long ".repeat(100), &[("w", Value::Double(-0.0))]);
        // Fields on both sides of the one-byte lengths (127/128 bytes), long ones, and big
        // and negative integers.
        let mut f = item(6, "f", &[]);
        for (i, n) in [
            0usize, 1, 121, 122, 123, 124, 125, 126, 127, 128, 300, 20_000,
        ]
        .iter()
        .enumerate()
        {
            f.push_content(&format!("s{i}"), Value::Str("v".repeat((*n).max(1))))
                .unwrap();
        }
        f.push_content(&"k".repeat(64), Value::Str("v".repeat(60)))
            .unwrap();
        f.push_content("big", Value::Int(i64::MIN)).unwrap();
        f.push_label(&"L".repeat(64), Value::Str("x".repeat(200)))
            .unwrap();
        let items = [&a, &b, &c, &d, &e, &f];
        let builder = BatchBuilder::from_items(&items);
        let bytes = builder.to_logs_data();
        let want = reference(&items);
        assert_eq!(bytes, want.encode_to_vec(), "same bytes as prost");
        assert_eq!(builder.raw_size(), bytes.len());
        assert_eq!(LogsData::decode(bytes.as_slice()).unwrap(), want);
        let times: Vec<Vec<u64>> = want
            .resource_logs
            .iter()
            .map(|rl| {
                rl.scope_logs[0]
                    .log_records
                    .iter()
                    .map(|r| r.time_unix_nano)
                    .collect()
            })
            .collect();
        assert_eq!(times, vec![vec![1, 3], vec![2], vec![4], vec![5], vec![6]]);
    }

    #[test]
    fn appending_builders_equals_building_at_once() {
        let items: Vec<LogItem> = (1..30)
            .map(|i| item(i, "m", &[("g", Value::Int(i % 3))]))
            .collect();
        let refs: Vec<&LogItem> = items.iter().collect();
        let mut merged = BatchBuilder::new();
        for chunk in refs.chunks(7) {
            merged.append(BatchBuilder::from_items(chunk));
        }
        let whole = BatchBuilder::from_items(&refs);
        assert_eq!(merged.to_logs_data(), whole.to_logs_data());
        assert_eq!(merged.log_count(), 29);
        assert_eq!(merged.raw_size(), whole.raw_size());
    }

    #[test]
    fn pre_encoded_records_append_like_items_and_size_exactly() {
        let items: Vec<LogItem> = (1..20)
            .map(|i| item(i, "m", &[("g", Value::Int(i % 4))]))
            .collect();
        let refs: Vec<&LogItem> = items.iter().collect();
        let mut enc = EncodedRecords::default();
        let mut b = BatchBuilder::with_buffer(Vec::with_capacity(1 << 16));
        for chunk in refs.chunks(5) {
            enc.encode(chunk);
            assert_eq!(
                enc.standalone_size(chunk),
                BatchBuilder::from_items(chunk).raw_size()
            );
            b.append_encoded(chunk, &enc);
        }
        assert_eq!(
            b.to_logs_data(),
            BatchBuilder::from_items(&refs).to_logs_data()
        );
    }

    #[test]
    fn lz4_round_trips_and_raw_size_matches() {
        let a = item(7, "hello", &[]);
        let e = encode(&[&a], Compression::Lz4).unwrap();
        let raw = lz4_flex::block::decompress(&e.body, e.raw_size).unwrap();
        assert_eq!(raw.len(), e.raw_size);
        assert_eq!(LogsData::decode(raw.as_slice()).unwrap(), reference(&[&a]));
        let n = encode(&[&a], Compression::None).unwrap();
        assert_eq!(n.body, raw);
    }

    #[test]
    fn refuses_bad_requests_before_sending() {
        assert_eq!(
            encode(&[], Compression::Lz4).unwrap_err().kind,
            ErrorKind::InvalidArgument
        );
        let incomplete = LogItem::new();
        assert_eq!(
            encode(&[&incomplete], Compression::Lz4).unwrap_err().kind,
            ErrorKind::InvalidValue
        );
        let a = item(1, "x", &[]);
        let many = vec![&a; MAX_REQUEST_LOGS + 1];
        assert_eq!(
            encode(&many, Compression::Lz4).unwrap_err().kind,
            ErrorKind::TooLarge
        );
        let mut big = LogItem::new();
        big.set_timestamp_ns(1).unwrap();
        big.set_origin_msg(&"x".repeat(MAX_REQUEST_BYTES)).unwrap();
        let err = encode(&[&big], Compression::None).unwrap_err();
        assert_eq!(err.kind, ErrorKind::TooLarge);
        assert!(err.message.contains("raw bytes"), "{}", err.message);
    }

    #[test]
    fn varints() {
        let edges = (0..64).flat_map(|b| {
            let p = 1u64 << b;
            [p - 1, p, p + 1]
        });
        for v in edges.chain([u64::MAX]) {
            assert_eq!(varint_len(v), prost::encoding::encoded_len_varint(v), "{v}");
            let mut out = Vec::new();
            write_exact(&mut out, varint_len(v), |w| w.varint(v));
            let (decoded, used) = prost::encoding::decode_varint(&mut out.as_slice())
                .map(|d| (d, varint_len(v)))
                .unwrap();
            assert_eq!((decoded, used), (v, out.len()));
        }
    }
}
