//! The bytes on the wire, read by an independent decoder (tests/independent_decoder.py: its
//! own LZ4 and protobuf code): every field, type and grouping of protocol §3.

mod common;

use std::path::PathBuf;
use std::process::Command;

use lts::{Client, LogItem, Value};
use serde_json::{json, Value as Json};

fn decode(dir: &PathBuf) -> Vec<Json> {
    let out = Command::new("python3")
        .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/independent_decoder.py"))
        .arg(dir)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<Json>(&out.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn typed(v: &Value) -> Json {
    match v {
        Value::Str(s) => json!(["string", s]),
        Value::Int(i) => json!(["int", i]),
        Value::Double(d) => json!(["double", d]),
    }
}

fn expected(item: &LogItem) -> Json {
    let kv = |list: &[(String, Value)]| -> Json {
        list.iter()
            .map(|(k, v)| {
                let mut t = typed(v);
                t.as_array_mut().unwrap().insert(0, json!(k));
                t
            })
            .collect()
    };
    json!({
        "time_unix_nano": item.timestamp_ns().unwrap(),
        "body": ["string", item.origin_msg().unwrap()],
        "contents": kv(&item.contents().to_vec()),
        "labels": kv(&item.labels().to_vec()),
    })
}

#[test]
fn every_field_type_and_label_group_survives_both_compressions() {
    for compress in ["lz4", "none"] {
        let dir =
            PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("capture-wire-{compress}"));
        let _ = std::fs::remove_dir_all(&dir);
        let server = common::server_with(|c| c.capture_dir = Some(dir.clone()));
        let mut cfg = common::config(&server);
        cfg.set_compress_type(compress).unwrap();
        let client = Client::new(cfg).unwrap();

        let mut items = Vec::new();
        for i in 0..40i64 {
            let mut it = LogItem::new();
            it.set_timestamp_ns(1_795_000_000_000_000_000 + i * 7)
                .unwrap();
            // Long repetitive and long unique text exercise LZ4's extended lengths.
            let msg = format!(
                "{}{}",
                "x".repeat(300 + i as usize),
                (0..i).map(|k| format!("{k:x}")).collect::<String>()
            );
            it.set_origin_msg(&msg).unwrap();
            it.push_content("neg", Value::Int(-i - 1)).unwrap();
            it.push_content("max", Value::Int(i64::MAX - i)).unwrap();
            it.push_content("min", Value::Int(i64::MIN + i)).unwrap();
            it.push_content("d", Value::Double(-0.5 * i as f64))
                .unwrap();
            it.push_content("s", Value::Str(format!("中文-{i}")))
                .unwrap();
            match i % 3 {
                0 => it.push_label("group", Value::Str("a".into())).unwrap(),
                1 => {}
                _ => it.push_label("group", Value::Int(2)).unwrap(),
            }
            items.push(it);
        }
        let refs: Vec<&LogItem> = items.iter().collect();
        client.put_logs("proj", "unit", &refs).unwrap();

        let decoded = decode(&dir);
        assert_eq!(decoded.len(), items.len());
        // Records come grouped by label set in first-seen order: i%3 == 0, then 1, then 2.
        let mut order: Vec<&LogItem> = Vec::new();
        for g in 0..3 {
            order.extend(
                items
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| i % 3 == g)
                    .map(|(_, it)| it),
            );
        }
        for (d, it) in decoded.iter().zip(order) {
            let want = expected(it);
            for field in ["time_unix_nano", "body", "contents", "labels"] {
                assert_eq!(d[field], want[field], "{compress}: {field}");
            }
            assert_eq!(d["scope"]["name"], "liblts");
        }
    }
}
