//! The benchmark log shapes of the project (`wide`: ~550 bytes, 8 contents, 1 label;
//! `small`: ~100 bytes, 2 contents), built exactly as specified.

use lts::{LogItem, Value};

pub fn wide(i: u64, now_ns: i64) -> LogItem {
    let mut it = LogItem::new();
    it.set_timestamp_ns(now_ns).unwrap();
    it.set_origin_msg(&format!(
        "GET /api/v1/orders/{i:08} HTTP/1.1 200 1532 0.012 \"Mozilla/5.0 (X11; Linux x86_64)\""
    ))
    .unwrap();
    let trace = (u128::from(i) * 2_654_435_761u128) % u128::MAX;
    let c = |it: &mut LogItem, k: &str, v: Value| it.push_content(k, v).unwrap();
    c(&mut it, "level", Value::Str("info".into()));
    c(
        &mut it,
        "host",
        Value::Str(format!("web-{:02}.prod.example", i % 16)),
    );
    c(&mut it, "method", Value::Str("GET".into()));
    c(
        &mut it,
        "path",
        Value::Str(format!("/api/v1/orders/{i:08}")),
    );
    c(&mut it, "status", Value::Int(200));
    c(&mut it, "latency_ms", Value::Double(12.5 + (i % 7) as f64));
    c(&mut it, "trace_id", Value::Str(format!("{trace:032x}")));
    c(
        &mut it,
        "user_agent",
        Value::Str("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36".into()),
    );
    it.push_label("user_tag", Value::Str("string".into()))
        .unwrap();
    it
}

#[allow(dead_code)]
pub fn small(i: u64, now_ns: i64) -> LogItem {
    let mut it = LogItem::new();
    it.set_timestamp_ns(now_ns).unwrap();
    it.set_origin_msg(&format!("user {i} logged in")).unwrap();
    it.push_content("level", Value::Str("info".into())).unwrap();
    it.push_content("uid", Value::Int(i as i64)).unwrap();
    it
}
