//! A put-logs body: decompress, decode, validate against the documented limits, and turn
//! into stored records. Never panics on input; every refusal carries its `LTS_xxxx` code.

use lts::encode::Compression;
use lts::log_item::{check_key, Field};
use lts::otlp::{any_value, AnyValue, KeyValue, LogsData};
use lts::profile::{MAX_REQUEST_BYTES, MAX_REQUEST_LOGS};
use prost::Message;
use serde_json::{json, Map, Value};

/// Why a request was refused, as the service would say it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub code: &'static str,
    pub message: String,
}

pub fn reject(code: &'static str, message: impl Into<String>) -> Rejection {
    Rejection {
        code,
        message: message.into(),
    }
}

/// Decompresses a body per its compress-type and raw-size headers (absent type = none).
pub fn decompress(
    compress: Option<&str>,
    raw_size: Option<&str>,
    body: &[u8],
) -> Result<Vec<u8>, Rejection> {
    let raw_size = match raw_size {
        None => None,
        Some(s) => Some(
            s.trim()
                .parse::<usize>()
                .map_err(|_| reject("LTS_8006", format!("bad raw size header {s:?}")))?,
        ),
    };
    if let Some(n) = raw_size {
        if n > MAX_REQUEST_BYTES {
            return Err(reject(
                "LTS_8004",
                format!("{n} raw bytes in one request; the limit is {MAX_REQUEST_BYTES} bytes and {MAX_REQUEST_LOGS} logs"),
            ));
        }
    }
    // The library's own decompression (encode::compress), bounds-checked on any input.
    let raw = match compress.map(str::to_ascii_lowercase).as_deref() {
        None | Some("") | Some("none") => body.to_vec(),
        Some("lz4") => {
            let n = raw_size
                .ok_or_else(|| reject("LTS_8006", "an lz4 body needs its raw size header"))?;
            lts::encode::decompress(body, Compression::Lz4, n).map_err(|e| reject("LTS_8006", e))?
        }
        Some(other) => {
            return Err(reject(
                "LTS_8006",
                format!("unknown compress type {other:?}"),
            ))
        }
    };
    if raw.len() > MAX_REQUEST_BYTES {
        return Err(reject(
            "LTS_8004",
            format!(
                "{} raw bytes in one request; the limit is {MAX_REQUEST_BYTES}",
                raw.len()
            ),
        ));
    }
    if let Some(n) = raw_size {
        if raw.len() != n {
            return Err(reject(
                "LTS_8006",
                format!(
                    "the body's raw size is {} but the header says {n}",
                    raw.len()
                ),
            ));
        }
    }
    Ok(raw)
}

fn check_value(field: Field, kv: &KeyValue) -> Result<(), Rejection> {
    if let Err(e) = check_key(field, &kv.key) {
        return Err(reject("LTS_8001", e.message));
    }
    let bad = |why: &str| Err(reject("LTS_8001", format!("value of {:?}: {why}", kv.key)));
    match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
        None => bad("missing"),
        Some(any_value::Value::StringValue(s)) if s.is_empty() => bad("empty"),
        Some(any_value::Value::DoubleValue(d)) if !d.is_finite() => bad("not a finite number"),
        Some(
            any_value::Value::StringValue(_)
            | any_value::Value::IntValue(_)
            | any_value::Value::DoubleValue(_),
        ) => Ok(()),
        Some(_) => bad("only string, integer and double values are accepted"),
    }
}

/// Decodes and validates a raw `LogsData`; returns it with its log count.
pub fn decode(raw: &[u8]) -> Result<(LogsData, usize), Rejection> {
    let data = LogsData::decode(raw)
        .map_err(|e| reject("LTS_8001", format!("body is not an OTLP LogsData: {e}")))?;
    let mut count = 0usize;
    for rl in &data.resource_logs {
        for kv in rl.resource.iter().flat_map(|r| &r.attributes) {
            check_value(Field::Label, kv)?;
        }
        for sl in &rl.scope_logs {
            for rec in &sl.log_records {
                count += 1;
                match rec.body.as_ref().and_then(|b| b.value.as_ref()) {
                    Some(any_value::Value::StringValue(s)) if !s.is_empty() => {}
                    _ => {
                        return Err(reject(
                            "LTS_8001",
                            format!("log {count} has no origin message (a non-empty string body)"),
                        ))
                    }
                }
                for kv in &rec.attributes {
                    check_value(Field::Content, kv)?;
                }
            }
        }
    }
    if count == 0 {
        return Err(reject("LTS_8001", "the request holds no logs"));
    }
    if count > MAX_REQUEST_LOGS {
        return Err(reject(
            "LTS_8004",
            format!("{count} logs in one request; the limit is {MAX_REQUEST_LOGS} logs and {MAX_REQUEST_BYTES} bytes"),
        ));
    }
    Ok((data, count))
}

fn json_value(v: &Option<AnyValue>) -> Value {
    match v.as_ref().and_then(|v| v.value.as_ref()) {
        Some(any_value::Value::StringValue(s)) => json!(s),
        Some(any_value::Value::IntValue(i)) => json!(i),
        Some(any_value::Value::DoubleValue(d)) => json!(d),
        _ => Value::Null,
    }
}

fn json_map(kvs: &[KeyValue]) -> Value {
    let mut m = Map::new();
    for kv in kvs {
        m.insert(kv.key.clone(), json_value(&kv.value));
    }
    Value::Object(m)
}

/// The records as stored: one JSON object per log.
pub fn records(
    data: &LogsData,
    project: &str,
    unit: &str,
    batch_id: &str,
    received_ms: i64,
) -> Vec<Value> {
    let mut out = Vec::new();
    for rl in &data.resource_logs {
        let labels = json_map(
            rl.resource
                .as_ref()
                .map(|r| r.attributes.as_slice())
                .unwrap_or(&[]),
        );
        for sl in &rl.scope_logs {
            for rec in &sl.log_records {
                out.push(json!({
                    "project": project,
                    "unit": unit,
                    "batch_id": batch_id,
                    "received_ms": received_ms,
                    "time_unix_nano": rec.time_unix_nano,
                    "origin_msg": json_value(&rec.body),
                    "contents": json_map(&rec.attributes),
                    "labels": labels,
                }));
            }
        }
    }
    out
}

/// Fuzz target body: a put body with arbitrary headers. The first byte picks the compress
/// type, the next four the raw-size header; the rest is the body. Must never panic.
#[doc(hidden)]
pub fn fuzz_put_body(data: &[u8]) {
    if data.len() < 5 {
        return;
    }
    let compress = ["lz4", "none", "zstd", ""][usize::from(data[0] % 4)];
    let raw_size = u32::from_le_bytes([data[1], data[2], data[3], data[4]]) % (8 << 20);
    let body = &data[5..];
    let raw_size = raw_size.to_string();
    if let Ok(raw) = decompress(Some(compress), Some(&raw_size), body) {
        if let Ok((logs, count)) = decode(&raw) {
            assert_eq!(records(&logs, "p", "u", "b", 0).len(), count);
        }
    }
}
