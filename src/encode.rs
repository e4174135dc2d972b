//! Log items → OTLP `LogsData` protobuf → (optionally) one raw LZ4 block (protocol §3).

use prost::Message;

use crate::error::{Error, ErrorKind, Result};
use crate::log_item::{LogItem, Value};
use crate::otlp::{any_value, AnyValue, InstrumentationScope, KeyValue, LogRecord, LogsData};
use crate::otlp::{Resource, ResourceLogs, ScopeLogs};
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

fn any_value(v: &Value) -> AnyValue {
    AnyValue {
        value: Some(match v {
            Value::Str(s) => any_value::Value::StringValue(s.clone()),
            Value::Int(i) => any_value::Value::IntValue(*i),
            Value::Double(d) => any_value::Value::DoubleValue(*d),
        }),
    }
}

fn key_values(list: &[(String, Value)]) -> Vec<KeyValue> {
    list.iter()
        .map(|(k, v)| KeyValue {
            key: k.clone(),
            value: Some(any_value(v)),
        })
        .collect()
}

type Labels<'a> = &'a [(String, Value)];

fn same_labels(a: &[(String, Value)], b: &[(String, Value)]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|((ka, va), (kb, vb))| ka == kb && va.same_as(vb))
}

fn record(item: &LogItem) -> LogRecord {
    LogRecord {
        time_unix_nano: item.timestamp_ns().unwrap_or(0) as u64,
        body: item.origin_msg().map(|m| AnyValue {
            value: Some(any_value::Value::StringValue(m.to_owned())),
        }),
        attributes: key_values(item.contents()),
        ..Default::default()
    }
}

/// Maps items onto OTLP: logs with identical label lists share one `ResourceLogs`, in
/// first-seen order, each with one `ScopeLogs` naming this library.
pub fn logs_data(items: &[&LogItem]) -> LogsData {
    // Few distinct label sets in practice, so a linear search (newest first) is enough.
    let mut groups: Vec<(Labels<'_>, Vec<LogRecord>)> = Vec::new();
    for item in items {
        let labels = item.labels();
        let rec = record(item);
        match groups
            .iter_mut()
            .rev()
            .find(|(l, _)| same_labels(l, labels))
        {
            Some((_, recs)) => recs.push(rec),
            None => groups.push((labels, vec![rec])),
        }
    }
    LogsData {
        resource_logs: groups
            .into_iter()
            .map(|(labels, log_records)| ResourceLogs {
                resource: Some(Resource {
                    attributes: key_values(labels),
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

/// Encodes one request body. Refuses (before any network I/O) empty or incomplete input and
/// requests over [`MAX_REQUEST_LOGS`] logs or [`MAX_REQUEST_BYTES`] raw bytes.
pub fn encode(items: &[&LogItem], compression: Compression) -> Result<EncodedBatch> {
    check_items(items)?;
    let data = logs_data(items);
    let raw_size = data.encoded_len();
    if raw_size > MAX_REQUEST_BYTES {
        return Err(Error::new(
            ErrorKind::TooLarge,
            format!("request of {raw_size} raw bytes; at most {MAX_REQUEST_BYTES} are allowed"),
        ));
    }
    let raw = data.encode_to_vec();
    let body = match compression {
        Compression::Lz4 => lz4_flex::block::compress(&raw),
        Compression::None => raw,
    };
    Ok(EncodedBatch {
        body,
        raw_size,
        compression,
        log_count: items.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(ts: i64, msg: &str, labels: &[(&str, Value)]) -> LogItem {
        let mut it = LogItem::new();
        it.set_timestamp_ns(ts).unwrap();
        it.set_origin_msg(msg).unwrap();
        it.push_content("level", Value::Str("info".into())).unwrap();
        it.push_content("n", Value::Int(ts)).unwrap();
        it.push_content("pi", Value::Double(3.25)).unwrap();
        for (k, v) in labels {
            it.push_label(k, v.clone()).unwrap();
        }
        it
    }

    #[test]
    fn groups_by_identical_labels_in_first_seen_order() {
        let a = item(1, "a", &[("user_tag", Value::Str("x".into()))]);
        let b = item(2, "b", &[]);
        let c = item(3, "c", &[("user_tag", Value::Str("x".into()))]);
        let d = item(4, "d", &[("user_tag", Value::Int(1))]);
        let data = logs_data(&[&a, &b, &c, &d]);
        let msgs: Vec<Vec<u64>> = data
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
        assert_eq!(msgs, vec![vec![1, 3], vec![2], vec![4]]);
        let rl = &data.resource_logs[0];
        assert_eq!(rl.resource.as_ref().unwrap().attributes[0].key, "user_tag");
        assert!(data.resource_logs[1]
            .resource
            .as_ref()
            .unwrap()
            .attributes
            .is_empty());
        let scope = rl.scope_logs[0].scope.as_ref().unwrap();
        assert_eq!(
            (scope.name.as_str(), scope.version.as_str()),
            ("liblts", crate::VERSION)
        );
        let rec = &rl.scope_logs[0].log_records[0];
        let keys: Vec<&str> = rec.attributes.iter().map(|kv| kv.key.as_str()).collect();
        assert_eq!(keys, ["level", "n", "pi"]);
    }

    #[test]
    fn lz4_round_trips_and_raw_size_matches() {
        let a = item(7, "hello", &[]);
        let e = encode(&[&a], Compression::Lz4).unwrap();
        let raw = lz4_flex::block::decompress(&e.body, e.raw_size).unwrap();
        assert_eq!(raw.len(), e.raw_size);
        let back = LogsData::decode(raw.as_slice()).unwrap();
        assert_eq!(back, logs_data(&[&a]));
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
        assert_eq!(
            encode(&[&big], Compression::None).unwrap_err().kind,
            ErrorKind::TooLarge
        );
    }
}
