//! lts-local from the outside: the API's answers to good and bad input, the control
//! interface, quotas, sink mode, persistence, credentials and stalls.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use lts::encode::{encode, Compression};
use lts::sign;
use lts::{LogItem, Value};
use lts_local::{Quotas, Server, ServerConfig, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY};
use serde_json::{json, Value as Json};

fn start(f: impl FnOnce(&mut ServerConfig)) -> Server {
    let mut c = ServerConfig::default();
    f(&mut c);
    Server::start(c).unwrap()
}

fn item(msg: &str) -> LogItem {
    let mut it = LogItem::new();
    it.set_timestamp_ns(1).unwrap();
    it.set_origin_msg(msg).unwrap();
    it.push_content("k", Value::Str("v".into())).unwrap();
    it
}

/// An answer: HTTP status and the JSON body.
fn post(url: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, Json) {
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(10))
        .build();
    let mut req = agent.post(url);
    for (k, v) in headers {
        req = req.set(k, v);
    }
    let resp = match req.send_bytes(body) {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{e}"),
    };
    let status = resp.status();
    (
        status,
        serde_json::from_str(&resp.into_string().unwrap()).unwrap_or(Json::Null),
    )
}

fn get(url: &str) -> Json {
    serde_json::from_str(&ureq::get(url).call().unwrap().into_string().unwrap()).unwrap()
}

fn token(server: &Server, ak: &str, sk: &str) -> (u16, Json) {
    let eop = sign::sign_now(ak, sk, "", b"{}");
    post(
        &format!("{}/v1/auth/token", server.url()),
        &[
            ("ctyun-eop-request-id", &eop.request_id),
            ("Eop-date", &eop.date),
            ("Eop-Authorization", &eop.authorization),
        ],
        b"{}",
    )
}

fn good_token(server: &Server) -> String {
    let (status, body) = token(server, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY);
    assert_eq!(status, 200, "{body}");
    body["returnObj"]["token"].as_str().unwrap().to_owned()
}

/// Puts a raw body with a token; `extra` adds headers.
fn put_raw(server: &Server, tok: &str, extra: &[(&str, &str)], body: &[u8]) -> (u16, Json) {
    let mut headers = vec![("x-lts-token", tok)];
    if !extra.iter().any(|(k, _)| *k == "x-lts-batch-id") {
        headers.push(("x-lts-batch-id", "b-1"));
    }
    headers.extend_from_slice(extra);
    post(
        &format!("{}/v1/lts/logs?logProject=p&logUnit=u", server.url()),
        &headers,
        body,
    )
}

fn put_items(server: &Server, tok: &str, items: &[&LogItem], batch_id: &str) -> (u16, Json) {
    let e = encode(items, Compression::Lz4).unwrap();
    let raw = e.raw_size.to_string();
    put_raw(
        server,
        tok,
        &[
            ("x-lts-compresstype", "lz4"),
            ("x-lts-bodyrawsize", &raw),
            ("x-lts-batch-id", batch_id),
        ],
        &e.body,
    )
}

fn code(answer: &(u16, Json)) -> (u16, String) {
    (
        answer.0,
        answer.1["error"].as_str().unwrap_or("").to_owned(),
    )
}

#[test]
fn token_call_checks_signature_key_and_clock() {
    let server = start(|_| {});
    assert_eq!(
        token(&server, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY).0,
        200
    );
    let bad = token(&server, DEFAULT_ACCESS_KEY, "wrong");
    assert_eq!(code(&bad), (401, "LTS_8007".into()));
    assert!(bad.1["message"].as_str().unwrap().contains("signature"));
    assert_eq!(bad.1["statusCode"], -1);
    let unknown = token(&server, "nobody", "x");
    assert!(unknown.1["message"]
        .as_str()
        .unwrap()
        .contains("unknown access key"));

    // A date 20 minutes off is outside the ±15 minute window.
    let date = sign::eop_date(lts::util::now_ms() / 1000 - 20 * 60);
    let rid = "00000000-0000-4000-8000-000000000000";
    let sig = sign::signature(
        DEFAULT_ACCESS_KEY,
        DEFAULT_SECRET_KEY,
        rid,
        &date,
        "",
        b"{}",
    );
    let auth = sign::authorization(DEFAULT_ACCESS_KEY, &sig);
    let skewed = post(
        &format!("{}/v1/auth/token", server.url()),
        &[
            ("ctyun-eop-request-id", rid),
            ("Eop-date", &date),
            ("Eop-Authorization", &auth),
        ],
        b"{}",
    );
    assert_eq!(code(&skewed), (401, "LTS_8007".into()));
    assert!(
        skewed.1["message"]
            .as_str()
            .unwrap()
            .contains("away from the server's clock"),
        "{}",
        skewed.1
    );
}

#[test]
fn bad_put_requests_get_their_documented_codes() {
    let server = start(|_| {});
    let tok = good_token(&server);
    let it = item("m");
    let good = encode(&[&it], Compression::None).unwrap();
    let raw = good.raw_size.to_string();
    let puts = format!("{}/v1/lts/logs?logProject=p&logUnit=u", server.url());
    type Case<'a> = (&'a str, (u16, Json), (u16, &'a str));
    let cases: Vec<Case> = vec![
        (
            "no credentials",
            post(&puts, &[], &good.body),
            (401, "LTS_8007"),
        ),
        (
            "unknown token",
            put_raw(&server, "nope", &[], &good.body),
            (401, "LTS_8007"),
        ),
        (
            "garbage lz4",
            put_raw(
                &server,
                &tok,
                &[("x-lts-compresstype", "lz4"), ("x-lts-bodyrawsize", "100")],
                b"\xff\xff\xff\xff",
            ),
            (400, "LTS_8006"),
        ),
        (
            "lz4 without raw size",
            put_raw(&server, &tok, &[("x-lts-compresstype", "lz4")], b"\x10a"),
            (400, "LTS_8006"),
        ),
        (
            "raw size mismatch",
            put_raw(
                &server,
                &tok,
                &[("x-lts-compresstype", "none"), ("x-lts-bodyrawsize", "3")],
                &good.body,
            ),
            (400, "LTS_8006"),
        ),
        (
            "unknown compression",
            put_raw(
                &server,
                &tok,
                &[("x-lts-compresstype", "zstd"), ("x-lts-bodyrawsize", &raw)],
                &good.body,
            ),
            (400, "LTS_8006"),
        ),
        (
            "garbage protobuf",
            put_raw(&server, &tok, &[], b"\x0a\xff\xff\xff\xff\x0f"),
            (400, "LTS_8001"),
        ),
        (
            "no logs",
            put_raw(&server, &tok, &[], b""),
            (400, "LTS_8001"),
        ),
        (
            "raw size over 5 MiB",
            put_raw(
                &server,
                &tok,
                &[
                    ("x-lts-compresstype", "lz4"),
                    ("x-lts-bodyrawsize", "6000000"),
                ],
                b"\x00",
            ),
            (413, "LTS_8004"),
        ),
        (
            "no unit",
            post(
                &format!("{}/v1/lts/logs?logProject=p", server.url()),
                &[("x-lts-token", &tok)],
                &good.body,
            ),
            (400, "LTS_8001"),
        ),
    ];
    for (name, answer, want) in cases {
        assert_eq!(
            code(&answer),
            (want.0, want.1.to_owned()),
            "{name}: {}",
            answer.1
        );
        assert_eq!(answer.1["statusCode"], -1, "{name}");
    }

    // Content the library would refuse, built by hand: bad key, empty value, bool, empty body.
    use lts::otlp::*;
    use prost::Message;
    let rec = |key: &str, v: any_value::Value, body: &str| LogsData {
        resource_logs: vec![ResourceLogs {
            resource: None,
            scope_logs: vec![ScopeLogs {
                scope: None,
                log_records: vec![LogRecord {
                    time_unix_nano: 1,
                    body: Some(AnyValue {
                        value: Some(any_value::Value::StringValue(body.into())),
                    }),
                    attributes: vec![KeyValue {
                        key: key.into(),
                        value: Some(AnyValue { value: Some(v) }),
                    }],
                    ..Default::default()
                }],
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }],
    };
    for (name, data, needle) in [
        (
            "bad key",
            rec("area:", any_value::Value::IntValue(1), "m"),
            "area:",
        ),
        (
            "empty value",
            rec("k", any_value::Value::StringValue(String::new()), "m"),
            "empty",
        ),
        (
            "bool value",
            rec("k", any_value::Value::BoolValue(true), "m"),
            "only string",
        ),
        (
            "empty body",
            rec("k", any_value::Value::IntValue(1), ""),
            "origin message",
        ),
    ] {
        let answer = put_raw(&server, &tok, &[], &data.encode_to_vec());
        assert_eq!(code(&answer), (400, "LTS_8001".into()), "{name}");
        assert!(
            answer.1["message"].as_str().unwrap().contains(needle),
            "{name}: {}",
            answer.1
        );
    }

    let too_many: Vec<&LogItem> = vec![&it; 40961];
    let data = lts::encode::logs_data(&too_many).unwrap();
    let answer = put_raw(&server, &tok, &[], &data.encode_to_vec());
    assert_eq!(code(&answer), (413, "LTS_8004".into()));

    // Nothing of the above was stored, and the server still serves.
    assert!(server.state().logs(None, None).is_empty());
    assert_eq!(put_items(&server, &tok, &[&it], "fine").0, 200);
}

#[test]
fn malformed_http_is_answered_and_the_server_lives_on() {
    let server = start(|_| {});
    let send = |bytes: &[u8]| -> String {
        let mut s = TcpStream::connect(server.addr()).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(bytes).unwrap();
        let _ = s.shutdown(std::net::Shutdown::Write);
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        out
    };
    assert!(send(b"\x00\x01garbage\r\n\r\n").starts_with("HTTP/1.1 400"));
    assert!(
        send(b"POST /v1/lts/logs HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n")
            .starts_with("HTTP/1.1 400")
    );
    assert!(
        send(b"POST /v1/lts/logs HTTP/1.1\r\nContent-Length: 999999999\r\n\r\n")
            .starts_with("HTTP/1.1 413")
    );
    assert!(
        send(b"POST /v1/lts/logs HTTP/1.1\r\nContent-Length: abc\r\n\r\n")
            .starts_with("HTTP/1.1 400")
    );
    // A body cut short: the connection just ends, without an answer.
    assert_eq!(
        send(b"POST /v1/lts/logs HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc"),
        ""
    );
    assert!(send(b"GET /nowhere HTTP/1.1\r\nConnection: close\r\n\r\n").starts_with("HTTP/1.1 404"));
    assert_eq!(get(&format!("{}/_lts/health", server.url()))["ok"], true);
}

#[test]
fn control_interface_reads_and_injects() {
    let server = start(|_| {});
    let url = server.url();
    let tok = good_token(&server);
    let it = item("m");
    let set = |body: &str| post(&format!("{url}/_lts/faults"), &[], body.as_bytes());
    assert_eq!(set(r#"{"fail_next": 1, "fail_status": 502}"#).0, 200);
    assert_eq!(put_items(&server, &tok, &[&it], "a").0, 502);
    assert_eq!(put_items(&server, &tok, &[&it], "a").0, 200);
    assert_eq!(
        set(r#"{"throttle_next": 1, "throttle_code": "LTS_8013"}"#).0,
        200
    );
    assert_eq!(
        code(&put_items(&server, &tok, &[&it], "b")),
        (429, "LTS_8013".into())
    );
    assert_eq!(set(r#"{"no_such_fault": 1}"#).0, 400);
    assert_eq!(set(r#"{"fail_status": 200}"#).0, 400);
    assert_eq!(set("not json").0, 400);
    assert_eq!(get(&format!("{url}/_lts/faults"))["throttle_next"], 0);

    let logs = get(&format!("{url}/_lts/logs?project=p&unit=u"));
    assert_eq!(logs["count"], 1);
    assert_eq!(logs["logs"][0]["contents"], json!({"k": "v"}));
    assert_eq!(get(&format!("{url}/_lts/logs?project=other"))["count"], 0);
    let reqs = get(&format!("{url}/_lts/requests"));
    let outcomes: Vec<&str> = reqs["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["issued", "fault", "stored", "fault"]);
    let since = get(&format!("{url}/_lts/requests?since=3"));
    assert_eq!(since["requests"].as_array().unwrap().len(), 1);

    let expired = post(&format!("{url}/_lts/expire-tokens"), &[], b"");
    assert_eq!(expired.1["expired"], 1);
    assert_eq!(
        code(&put_items(&server, &tok, &[&it], "c")),
        (401, "LTS_8007".into())
    );

    assert_eq!(post(&format!("{url}/_lts/reset"), &[], b"").0, 200);
    assert_eq!(get(&format!("{url}/_lts/stats"))["stored_logs"], 0);
    assert_eq!(post(&format!("{url}/_lts/nope"), &[], b"").0, 404);
}

#[test]
fn repeated_batch_ids_are_stored_once() {
    let server = start(|_| {});
    let tok = good_token(&server);
    let it = item("m");
    for _ in 0..3 {
        assert_eq!(put_items(&server, &tok, &[&it, &it], "same-id").0, 200);
    }
    assert_eq!(server.state().logs(None, None).len(), 2);
    assert_eq!(
        get(&format!("{}/_lts/stats", server.url()))["duplicate_batches"],
        2
    );
}

#[test]
fn quotas_answer_8013_to_8016() {
    let it = item(&"m".repeat(1000));
    for (quotas, want) in [
        (
            Quotas {
                project_bytes: 100,
                ..Quotas::unlimited()
            },
            "LTS_8013",
        ),
        (
            Quotas {
                unit_bytes: 100,
                ..Quotas::unlimited()
            },
            "LTS_8015",
        ),
    ] {
        let server = start(|c| c.quotas = quotas);
        let tok = good_token(&server);
        assert_eq!(
            code(&put_items(&server, &tok, &[&it], "q")),
            (429, want.into())
        );
    }
    // Request-rate quotas: with 1 request per second, three back-to-back requests cannot all
    // land in different seconds.
    for (quotas, want) in [
        (
            Quotas {
                project_requests: 1,
                ..Quotas::unlimited()
            },
            "LTS_8014",
        ),
        (
            Quotas {
                unit_requests: 1,
                ..Quotas::unlimited()
            },
            "LTS_8016",
        ),
    ] {
        let server = start(|c| c.quotas = quotas);
        let tok = good_token(&server);
        let codes: Vec<String> = (0..3)
            .map(|i| code(&put_items(&server, &tok, &[&it], &format!("r{i}"))).1)
            .collect();
        assert!(codes.contains(&want.to_owned()), "{codes:?}");
    }
}

#[test]
fn sink_mode_verifies_and_counts_without_storing() {
    let server = start(|c| c.sink = true);
    let tok = good_token(&server);
    let it = item("m");
    assert_eq!(put_items(&server, &tok, &[&it, &it, &it], "s1").0, 200);
    assert_eq!(put_raw(&server, &tok, &[], b"\x0a\xff").0, 400);
    let stats = get(&format!("{}/_lts/stats", server.url()));
    assert_eq!(
        (stats["stored_logs"].clone(), stats["sink"].clone()),
        (json!(3), json!(true))
    );
    assert!(server.state().logs(None, None).is_empty());
}

#[test]
fn the_data_file_survives_a_restart_with_its_batch_ids() {
    let path = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("restart.jsonl");
    let _ = std::fs::remove_file(&path);
    let it = item("kept");
    {
        let server = start(|c| c.data_file = Some(path.clone()));
        let tok = good_token(&server);
        assert_eq!(
            put_items(&server, &tok, &[&it, &it], "before-restart").0,
            200
        );
    }
    let server = start(|c| c.data_file = Some(path.clone()));
    assert_eq!(server.state().logs(None, None).len(), 2);
    let tok = good_token(&server);
    assert_eq!(
        put_items(&server, &tok, &[&it, &it], "before-restart").0,
        200
    );
    assert_eq!(
        server.state().logs(None, None).len(),
        2,
        "a repeat after restart is not stored again"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 2);
}

#[test]
fn configured_credentials_replace_the_default_pair() {
    let server = start(|c| {
        c.credentials.insert("my-ak".into(), "my-sk".into());
    });
    assert_eq!(token(&server, "my-ak", "my-sk").0, 200);
    assert_eq!(
        token(&server, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY).0,
        401
    );
}

#[test]
fn a_stall_holds_requests_until_lifted() {
    let server = start(|_| {});
    let tok = good_token(&server);
    let url = server.url();
    post(&format!("{url}/_lts/faults"), &[], br#"{"stall": true}"#);
    let it = item("m");
    let e = encode(&[&it], Compression::None).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let u = url.clone();
    let waiter = std::thread::spawn(move || {
        let r = post(
            &format!("{u}/v1/lts/logs?logProject=p&logUnit=u"),
            &[("x-lts-token", &tok), ("x-lts-batch-id", "st")],
            &e.body,
        );
        tx.send(()).unwrap();
        r
    });
    // No answer while stalled (bounded wait: the answer would come in milliseconds).
    assert!(
        rx.recv_timeout(Duration::from_millis(300)).is_err(),
        "answered during a stall"
    );
    assert!(server.state().logs(None, None).is_empty());
    post(&format!("{url}/_lts/faults"), &[], br#"{"stall": false}"#);
    assert_eq!(waiter.join().unwrap().0, 200);
    assert_eq!(server.state().logs(None, None).len(), 1);
}

#[test]
fn stopping_releases_stalled_requests() {
    let mut server = start(|_| {});
    let tok = good_token(&server);
    let url = server.url();
    post(&format!("{url}/_lts/faults"), &[], br#"{"stall": true}"#);
    let it = item("m");
    let e = encode(&[&it], Compression::None).unwrap();
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(30))
        .build();
    let waiter = std::thread::spawn(move || {
        agent
            .post(&format!("{url}/v1/lts/logs?logProject=p&logUnit=u"))
            .set("x-lts-token", &tok)
            .send_bytes(&e.body)
            .is_err()
    });
    while server
        .state()
        .connections
        .load(std::sync::atomic::Ordering::SeqCst)
        < 2
    {
        std::thread::yield_now();
    }
    server.stop();
    assert!(
        waiter.join().unwrap(),
        "the stalled request ends without an answer"
    );
}

#[test]
fn only_loopback_addresses_can_be_listened_on() {
    let cfg = ServerConfig {
        listen: "0.0.0.0:0".parse().unwrap(),
        ..Default::default()
    };
    let err = Server::start(cfg).err().unwrap();
    assert!(err.to_string().contains("loopback"));
}
