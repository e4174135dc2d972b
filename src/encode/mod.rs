//! Logs → OTLP `LogsData` protobuf → (optionally) one raw LZ4 block (protocol §3).
//!
//! - [`records`]: logs as the encoder reads them (a `LogItem`, a record in the caller's
//!   memory, the packed layout), their checks, and the plan a send is written by;
//! - [`batch`]: a batch grouped by labels, written record by record;
//! - [`compress`]: the body's compression (lts-local decompresses with the same code);
//! - `wire`: protobuf primitives.
//!
//! prost's generated types are used to *decode* (lts-local, tests), which cross-checks this
//! encoder.

pub mod batch;
pub mod compress;
pub mod records;
mod wire;

pub use batch::BatchBuilder;
pub use compress::{compress, decompress, Compression};
pub use records::{Encoded, Log, Logs, RawValue};

use crate::error::{Error, ErrorKind, Result};
use crate::profile::{MAX_REQUEST_BYTES, MAX_REQUEST_LOGS};

/// The scope every `ScopeLogs` names.
pub const SCOPE_NAME: &str = "liblts";

/// A request body ready to send, with what the headers need to say about it.
#[derive(Debug, Clone)]
pub struct EncodedBatch {
    pub body: Vec<u8>,
    /// Length of the protobuf before compression (`x-lts-bodyrawsize`).
    pub raw_size: usize,
    pub compression: Compression,
    pub log_count: usize,
}

impl EncodedBatch {
    /// The body of `raw` `LogsData` bytes, compressed through `scratch` (a buffer the caller
    /// keeps between batches; the body is a copy of the compressed bytes).
    pub fn new(
        raw: &[u8],
        log_count: usize,
        compression: Compression,
        scratch: &mut Vec<u8>,
    ) -> Self {
        let body = compress(raw, compression, scratch).to_vec();
        EncodedBatch {
            body,
            raw_size: raw.len(),
            compression,
            log_count,
        }
    }
}

/// Refuses a request of no logs or of more than [`MAX_REQUEST_LOGS`].
pub fn check_count(n: usize) -> Result<()> {
    if n == 0 {
        return Err(Error::invalid_argument("no logs to send (count is 0)"));
    }
    if n > MAX_REQUEST_LOGS {
        return Err(Error::new(
            ErrorKind::TooLarge,
            format!("{n} logs in one request; at most {MAX_REQUEST_LOGS} are allowed"),
        ));
    }
    Ok(())
}

/// Refuses a batch over `limit` raw bytes.
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
pub fn encode<S: Logs + ?Sized>(logs: &S, compression: Compression) -> Result<EncodedBatch> {
    check_count(logs.count())?;
    let builder = BatchBuilder::from_logs(logs)?;
    check_raw_size(builder.raw_size(), MAX_REQUEST_BYTES)
        .map_err(|e| Error::new(e.kind, format!("request of {}", e.message)))?;
    let raw = builder.to_logs_data();
    Ok(EncodedBatch::new(
        &raw,
        builder.log_count(),
        compression,
        &mut Vec::new(),
    ))
}

/// The same logs as prost's generated types (for tests and tools that want structs).
pub fn logs_data<S: Logs + ?Sized>(logs: &S) -> Result<crate::otlp::LogsData> {
    use prost::Message;
    let raw = BatchBuilder::from_logs(logs)?.to_logs_data();
    Ok(crate::otlp::LogsData::decode(raw.as_slice()).expect("the encoder writes valid LogsData"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log_item::{LogItem, Value};
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
        let builder = BatchBuilder::from_logs(&items[..]).unwrap();
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
            merged.merge(BatchBuilder::from_logs(chunk).unwrap());
        }
        let whole = BatchBuilder::from_logs(&refs[..]).unwrap();
        assert_eq!(merged.to_logs_data(), whole.to_logs_data());
        assert_eq!(merged.log_count(), 29);
        assert_eq!(merged.raw_size(), whole.raw_size());
    }

    #[test]
    fn encoded_sends_append_like_a_whole_batch_and_size_exactly() {
        let items: Vec<LogItem> = (1..20)
            .map(|i| item(i, "m", &[("g", Value::Int(i % 4))]))
            .collect();
        let refs: Vec<&LogItem> = items.iter().collect();
        let mut enc = Encoded::default();
        let mut b = BatchBuilder::with_buffer(Vec::with_capacity(1 << 16));
        for chunk in refs.chunks(5) {
            enc.encode(chunk).unwrap();
            assert_eq!(
                enc.standalone_size(),
                BatchBuilder::from_logs(chunk).unwrap().raw_size()
            );
            b.append(&enc);
        }
        assert_eq!(
            b.to_logs_data(),
            BatchBuilder::from_logs(&refs[..]).unwrap().to_logs_data()
        );
    }

    #[test]
    fn a_sealed_batch_gives_the_same_bytes_where_they_lie() {
        for labels in [&[][..], &[("user_tag", Value::Str("x".into()))][..]] {
            let items: Vec<LogItem> = (1..40).map(|i| item(i, "m", labels)).collect();
            let refs: Vec<&LogItem> = items.iter().collect();
            let mut enc = Encoded::default();
            let mut b = BatchBuilder::with_buffer(Vec::new());
            for chunk in refs.chunks(7) {
                enc.encode(chunk).unwrap();
                b.append(&enc);
            }
            let copied = b.to_logs_data();
            b.seal();
            assert_eq!(b.logs_data_in_place(), Some(&copied[..]));
            assert_eq!(b.to_logs_data(), copied);
            assert_eq!(b.raw_size(), copied.len());
        }
        // Two label sets cannot lie in one buffer: copied, still right.
        let items = [
            item(1, "a", &[("g", Value::Int(1))]),
            item(2, "b", &[("g", Value::Int(2))]),
        ];
        let refs: Vec<&LogItem> = items.iter().collect();
        let mut b = BatchBuilder::with_buffer(Vec::new());
        let mut enc = Encoded::default();
        enc.encode(&refs[..]).unwrap();
        b.append(&enc);
        b.seal();
        assert_eq!(b.logs_data_in_place(), None);
        assert_eq!(
            b.to_logs_data(),
            BatchBuilder::from_logs(&refs[..]).unwrap().to_logs_data()
        );
    }

    #[test]
    fn lz4_round_trips_and_raw_size_matches() {
        let a = item(7, "hello", &[]);
        let e = encode(&[&a], Compression::Lz4).unwrap();
        let raw = decompress(&e.body, Compression::Lz4, e.raw_size).unwrap();
        assert_eq!(raw.len(), e.raw_size);
        assert_eq!(LogsData::decode(raw.as_slice()).unwrap(), reference(&[&a]));
        let n = encode(&[&a], Compression::None).unwrap();
        assert_eq!(n.body, raw);
    }

    #[test]
    fn refuses_bad_requests_before_sending() {
        assert_eq!(
            encode::<[&LogItem]>(&[], Compression::Lz4)
                .unwrap_err()
                .kind,
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
}
