//! Property tests: the key rules against an independent model, and arbitrary log items
//! through the encoder and lts-local's decoder (and through the packed layout) unchanged.

use lts::log_item::{check_key, Field};
use lts::{Compression, LogItem, Value};
use proptest::prelude::*;
use serde_json::{json, Map, Value as Json};

/// The documented rule, written independently: 1–64 ASCII letters, digits, '_', '-', '.',
/// starting with a letter.
fn model(key: &str) -> bool {
    let b = key.as_bytes();
    !b.is_empty()
        && key.chars().count() <= 64
        && b[0].is_ascii_alphabetic()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.'))
        && key.is_ascii()
}

fn key() -> impl Strategy<Value = String> {
    "[A-Za-z][A-Za-z0-9_.-]{0,63}"
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        "\\PC{1,40}".prop_map(Value::Str),
        any::<i64>().prop_map(Value::Int),
        any::<f64>()
            .prop_filter("finite", |d| d.is_finite())
            .prop_map(Value::Double),
    ]
}

fn item() -> impl Strategy<Value = LogItem> {
    (
        0i64..i64::MAX,
        "\\PC{1,80}",
        prop::collection::vec((key(), value()), 0..8),
        prop::collection::vec((key(), value()), 0..3),
    )
        .prop_map(|(ts, msg, contents, labels)| {
            let mut it = LogItem::new();
            it.set_timestamp_ns(ts).unwrap();
            it.set_origin_msg(&msg).unwrap();
            for (k, v) in contents {
                it.push_content(&k, v).unwrap();
            }
            for (k, v) in labels {
                it.push_label(&k, v).unwrap();
            }
            it
        })
}

fn json_of(list: &[(String, Value)]) -> Json {
    let mut m = Map::new();
    for (k, v) in list {
        m.insert(
            k.clone(),
            match v {
                Value::Str(s) => json!(s),
                Value::Int(i) => json!(i),
                Value::Double(d) => json!(d),
            },
        );
    }
    Json::Object(m)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn the_key_rule_matches_the_model(k in "\\PC{0,70}") {
        prop_assert_eq!(check_key(Field::Content, &k).is_ok(), model(&k), "key {:?}", k);
    }

    #[test]
    fn valid_keys_pass(k in key()) {
        prop_assert!(check_key(Field::Label, &k).is_ok());
    }

    #[test]
    fn items_survive_encoding_and_the_servers_decoder(items in prop::collection::vec(item(), 1..20), lz4 in any::<bool>()) {
        let refs: Vec<&LogItem> = items.iter().collect();
        let compression = if lz4 { Compression::Lz4 } else { Compression::None };
        let e = lts::encode::encode(&refs, compression).unwrap();
        let raw = lts_local::ingest::decompress(Some(compression.header_value()), Some(&e.raw_size.to_string()), &e.body).unwrap();
        let (data, count) = lts_local::ingest::decode(&raw).unwrap();
        prop_assert_eq!(count, items.len());
        let stored = lts_local::ingest::records(&data, "p", "u", "b", 0);
        // Records come grouped by label set in first-seen order; compare as multisets of rows.
        let mut want: Vec<String> = items.iter().map(|it| json!([
            it.timestamp_ns(), it.origin_msg(), json_of(&it.contents().to_vec()), json_of(&it.labels().to_vec())
        ]).to_string()).collect();
        let mut got: Vec<String> = stored.iter().map(|r| json!([
            r["time_unix_nano"], r["origin_msg"], r["contents"], r["labels"]
        ]).to_string()).collect();
        want.sort();
        got.sort();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn packed_items_round_trip(items in prop::collection::vec(item(), 1..10)) {
        let refs: Vec<&LogItem> = items.iter().collect();
        let back = lts::packed::unpack(&lts::packed::pack(&refs), items.len()).unwrap();
        prop_assert_eq!(back, items);
    }
}
