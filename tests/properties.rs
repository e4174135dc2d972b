//! Property tests: the key rules and the integer grammar against independent models,
//! endpoints against the URL parser the HTTP stack uses, and arbitrary log items through the
//! encoder and lts-local's decoder (and through the packed layout) unchanged.

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

/// The documented integer grammar, written independently: "0", or 1-9 then 0-9, no more
/// than the type holds.
fn integer_model(text: &str) -> Option<u32> {
    let b = text.as_bytes();
    let digits = !b.is_empty() && b.iter().all(u8::is_ascii_digit);
    let no_leading_zero = b.len() == 1 || b.first() != Some(&b'0');
    if !(digits && no_leading_zero) {
        return None;
    }
    b.iter().try_fold(0u32, |n, d| {
        n.checked_mul(10)?.checked_add(u32::from(d - b'0'))
    })
}

/// Endpoints, about half of them in the grammar (so that many are accepted), the rest with
/// hostile parts mixed in.
fn endpoint_text() -> impl Strategy<Value = String> {
    let scheme = prop_oneof![
        6 => prop_oneof!["", "http://", "https://", "HTTP://"],
        1 => prop_oneof!["ftp://", "http:/", "://"],
    ];
    let host = prop_oneof![
        4 => "[a-zA-Z0-9][a-zA-Z0-9_-]{0,8}(\\.[a-zA-Z0-9][a-zA-Z0-9-]{0,6}){0,3}",
        2 => any::<[u8; 4]>().prop_map(|a| std::net::Ipv4Addr::from(a).to_string()),
        2 => any::<[u16; 8]>().prop_map(|a| {
            let v6 = std::net::Ipv6Addr::from(a);
            format!("[{}]", if a[0] % 2 == 0 { v6.to_string() } else {
                a.iter().map(|x| format!("{x:X}")).collect::<Vec<_>>().join(":")
            })
        }),
        2 => "[a-zü][a-zé0-9\u{200b}\u{ff0e}]{0,6}\\.[a-zß]{2,4}",
        1 => "xn--[a-z0-9-]{1,8}\\.com",
        1 => "[0-9]{1,3}(\\.[0-9]{1,3}){0,3}",
        1 => "0x[0-9a-f]{1,2}(\\.[0-9]{1,3}){0,3}",
        1 => "\\[[0-9a-fA-F:.%]{2,20}\\]",
        2 => "[a-z0-9.%@:_\\[\\]!*'()~-]{0,12}",
    ];
    let port = prop_oneof![
        3 => Just(String::new()),
        3 => any::<u16>().prop_map(|p| format!(":{p}")),
        1 => ":[0-9+ -]{0,6}",
    ];
    let path = prop_oneof![
        3 => "",
        3 => "(/[a-zA-Z0-9._~!$&'()*+,;=:@-]{1,6}){1,3}/?",
        1 => "(/[a-z.%2eE]{0,4}){1,3}",
        1 => "[/?#@\\\\%][a-z/?#%]{0,6}",
    ];
    (scheme, host, port, path).prop_map(|(s, h, p, q)| format!("{s}{h}{p}{q}"))
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
    fn the_integer_grammar_matches_the_model(
        text in prop_oneof!["[0-9]{0,11}", "[-+ 0x]{0,2}[0-9]{0,11}[ \n]?", "\\PC{0,12}"]
    ) {
        prop_assert_eq!(lts::integer::parse::<u32>(&text).ok(), integer_model(&text), "{:?}", text);
    }

    #[test]
    fn every_u64_reads_back(n in any::<u64>()) {
        prop_assert_eq!(lts::integer::parse::<u64>(&n.to_string()), Ok(n));
    }

    /// Whatever the endpoint parser accepts, the URL parser ureq sends with reads unchanged
    /// (but for a default port, which it leaves out) and with the same host: an accepted
    /// endpoint never fails later as a URL, nor goes somewhere else.
    #[test]
    fn accepted_endpoints_mean_the_same_to_the_http_stack(text in endpoint_text()) {
        if let Ok(e) = lts::config::Endpoint::parse(&text) {
            let ours = e.url("/v1/lts/logs");
            let u = url::Url::parse(&ours);
            prop_assert!(u.is_ok(), "{:?} accepted as {:?}, which the URL parser refuses", text, ours);
            let u = u.unwrap();
            let (scheme, rest) = ours.split_once("://").unwrap();
            let (authority, path) = rest.split_at(rest.find('/').unwrap());
            let default_port = if scheme == "http" { ":80" } else { ":443" };
            let authority = authority.strip_suffix(default_port).unwrap_or(authority);
            prop_assert_eq!(u.as_str(), format!("{scheme}://{authority}{path}"), "from {:?}", text);
            let host = u.host_str().unwrap_or("");
            prop_assert_eq!(host.trim_start_matches('[').trim_end_matches(']'), e.host());
        }
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
