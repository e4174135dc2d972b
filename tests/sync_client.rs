//! The sync client against lts-local: success, each failure class, retries and tokens.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;

use common::*;
use lts::{AuthMode, Client, ErrorKind};
use serde_json::json;

fn put(client: &Client, n: i64) -> lts::Result<lts::Response> {
    let items: Vec<lts::LogItem> = (0..n).map(item).collect();
    let refs: Vec<&lts::LogItem> = items.iter().collect();
    client.put_logs("proj", "unit-a", &refs)
}

#[test]
fn put_logs_stores_every_field_in_both_auth_modes() {
    for mode in [AuthMode::Token, AuthMode::Eop] {
        let server = server();
        let mut cfg = config(&server);
        cfg.auth_mode = mode;
        let client = Client::new(cfg).unwrap();
        let resp = put(&client, 3).unwrap();
        assert_eq!(
            (resp.status_code, resp.message.as_str(), resp.error.as_str()),
            (0, "SUCCESS", "")
        );
        let logs = server.state().logs(Some("proj"), Some("unit-a"));
        assert_eq!(logs.len(), 3);
        let first = &logs[0];
        assert_eq!(first["time_unix_nano"], json!(1_700_000_000_000_000_000u64));
        assert_eq!(first["origin_msg"], "message 0");
        assert_eq!(
            first["contents"],
            json!({"level": "info", "seq": 0, "ratio": 0.5})
        );
        assert_eq!(first["labels"], json!({"user_tag": "string"}));
        let reqs = server.state().requests_json(0);
        let kinds: Vec<&str> = reqs["requests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["kind"].as_str().unwrap())
            .collect();
        let expected: &[&str] = if mode == AuthMode::Token {
            &["token", "put"]
        } else {
            &["put"]
        };
        assert_eq!(kinds, expected);
    }
}

#[test]
fn uncompressed_bodies_are_accepted_too() {
    let server = server();
    let mut cfg = config(&server);
    cfg.set_compress_type("none").unwrap();
    let client = Client::new(cfg).unwrap();
    put(&client, 2).unwrap();
    let reqs = server.state().requests_json(0);
    assert_eq!(reqs["requests"][1]["compress"], "none");
    assert_eq!(server.state().logs(None, None).len(), 2);
}

#[test]
fn a_wrong_secret_is_an_auth_error_at_once() {
    let server = server();
    let mut cfg = config(&server);
    cfg.secret_key = lts::config::Secret::new("not-the-secret");
    let err = Client::new(cfg.clone()).err().expect("refused");
    assert_eq!(err.kind, ErrorKind::Auth);
    assert!(
        err.message.contains("signature does not match"),
        "{}",
        err.message
    );
    assert!(!err.message.contains("not-the-secret"));
    // One token call, no retry loop.
    assert_eq!(
        server.state().requests_json(0)["requests"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // In eop mode every put is refused the same way.
    cfg.auth_mode = AuthMode::Eop;
    let client = Client::new(cfg).unwrap();
    assert_eq!(put(&client, 1).unwrap_err().kind, ErrorKind::Auth);
    assert!(server.state().logs(None, None).is_empty());
}

#[test]
fn missing_project_and_unit_are_server_errors_with_the_answer() {
    let server = server_with(|c| {
        c.projects = Some([("proj".to_owned(), vec!["unit-a".to_owned()])].into());
    });
    let client = Client::new(config(&server)).unwrap();
    put(&client, 1).unwrap();
    let items = [item(1)];
    let err = client
        .put_logs("proj", "no-such-unit", &[&items[0]])
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Server);
    assert_eq!(err.response.as_ref().unwrap().error, "LTS_8011");
    assert_eq!(err.response.as_ref().unwrap().status_code, -1);
    let err = client
        .put_logs("other", "unit-a", &[&items[0]])
        .unwrap_err();
    assert_eq!(err.response.unwrap().error, "LTS_8010");
    // Final errors are not retried.
    let puts = server.state().requests_json(0)["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == "put")
        .count();
    assert_eq!(puts, 3);
}

#[test]
fn transient_failures_are_retried_with_one_batch_id() {
    let server = server();
    let client = Client::new(config(&server)).unwrap();
    set_faults(&server, json!({"fail_next": 2, "fail_json": false}));
    put(&client, 2).unwrap();
    set_faults(&server, json!({"throttle_next": 1}));
    put(&client, 1).unwrap();
    let reqs = server.state().requests_json(0);
    let puts: Vec<&serde_json::Value> = reqs["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == "put")
        .collect();
    let outcomes: Vec<&str> = puts
        .iter()
        .map(|r| r["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["fault", "fault", "stored", "fault", "stored"]);
    assert_eq!(puts[0]["batch_id"], puts[2]["batch_id"]);
    assert_eq!(puts[1]["batch_id"], puts[2]["batch_id"]);
    assert_eq!(puts[3]["error"], "LTS_8016");
    assert_ne!(puts[2]["batch_id"], puts[4]["batch_id"]);
    assert_eq!(server.state().logs(None, None).len(), 3);
}

#[test]
fn retries_run_out_and_report_the_last_answer() {
    let server = server();
    let mut cfg = config(&server);
    cfg.set_retries(2).unwrap();
    let client = Client::new(cfg).unwrap();
    set_faults(&server, json!({"fail_next": 10}));
    let err = put(&client, 1).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Server);
    assert_eq!(err.response.unwrap().error, "LTS_8000");
    assert_eq!(
        server.state().faults.lock().unwrap().fail_next,
        7,
        "1 attempt + 2 retries"
    );
}

#[test]
fn no_retry_status_codes_are_honoured() {
    let server = server();
    let mut cfg = config(&server);
    cfg.add_no_retry_status_code(503).unwrap();
    let client = Client::new(cfg).unwrap();
    set_faults(&server, json!({"fail_next": 5, "fail_json": false}));
    let err = put(&client, 1).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Network);
    assert!(err.message.contains("HTTP 503"), "{}", err.message);
    assert_eq!(server.state().faults.lock().unwrap().fail_next, 4);
}

#[test]
fn an_answer_lost_after_storing_is_retried_and_stored_once() {
    let server = server();
    let client = Client::new(config(&server)).unwrap();
    set_faults(
        &server,
        json!({"drop_after_store": 1, "drop_before_store": 0}),
    );
    put(&client, 4).unwrap();
    set_faults(&server, json!({"drop_before_store": 1}));
    put(&client, 4).unwrap();
    assert_eq!(server.state().logs(None, None).len(), 8);
    let reqs = server.state().requests_json(0);
    let outcomes: Vec<&str> = reqs["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == "put")
        .map(|r| r["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes,
        ["stored-then-dropped", "duplicate", "dropped", "stored"]
    );
}

#[test]
fn an_expired_token_is_renewed_once_and_the_put_retried() {
    let server = server();
    let client = Client::new(config(&server)).unwrap();
    put(&client, 1).unwrap();
    server
        .state()
        .tokens
        .lock()
        .unwrap()
        .values_mut()
        .for_each(|t| t.expires_ms = 0);
    put(&client, 1).unwrap();
    let reqs = server.state().requests_json(0);
    let seq: Vec<String> = reqs["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{}:{}",
                r["kind"].as_str().unwrap(),
                r["error"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(seq, ["token:", "put:", "put:LTS_8007", "token:", "put:"]);
}

/// The request kinds in lts-local's log, in order.
fn request_kinds(server: &lts_local::Server) -> Vec<String> {
    server.state().requests_json(0)["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn an_absurd_token_expiry_means_renew_on_next_use_never_forever() {
    for (expire, renews) in [
        (json!(i64::MIN), true),
        (json!(0), true),
        (json!(i64::MAX), false),
    ] {
        let server = server();
        set_faults(&server, json!({ "token_expire_time": expire }));
        let client = Client::new(config(&server)).unwrap();
        for _ in 0..3 {
            put(&client, 1).unwrap();
        }
        let tokens = request_kinds(&server)
            .iter()
            .filter(|k| *k == "token")
            .count();
        // A past (or INT64_MIN) expiry: a fresh token for each use after the client's own;
        // a far-future one: kept (for at most a day), without overflowing the clock.
        assert_eq!(
            tokens,
            if renews { 1 + 3 } else { 1 },
            "expireTime {expire}"
        );
    }
}

#[test]
fn an_unreachable_endpoint_is_a_network_error_with_the_reason() {
    // Bind then drop, so the port is very likely closed.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cfg =
        lts::ClientConfig::new(&format!("http://127.0.0.1:{port}"), "ak", "sk", "proj").unwrap();
    cfg.profile.set("backoff_base_ms", "1").unwrap();
    cfg.set_retries(2).unwrap();
    let err = Client::new(cfg.clone()).err().unwrap();
    assert_eq!(err.kind, ErrorKind::Network);
    assert!(
        err.message.to_lowercase().contains("connect"),
        "{}",
        err.message
    );
    cfg.auth_mode = AuthMode::Eop;
    let err = put(&Client::new(cfg).unwrap(), 1).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Network);
    assert!(err.message.contains("after 3 attempts"), "{}", err.message);
}

#[test]
fn a_slow_answer_is_a_timeout() {
    let server = server();
    let mut cfg = config(&server);
    cfg.set_request_timeout_ms(200).unwrap();
    cfg.set_retries(0).unwrap();
    let client = Client::new(cfg).unwrap();
    set_faults(&server, json!({"delay_ms": 1500}));
    let err = put(&client, 1).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Timeout, "{}", err.message);
}

/// A server that answers every request with the given raw HTTP bytes.
fn garbage_server(answer: &'static [u8]) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(8) {
            let Ok(mut s) = stream else { continue };
            let mut buf = [0u8; 65536];
            let _ = s.read(&mut buf);
            let _ = s.write_all(answer);
        }
    });
    format!("http://{addr}")
}

#[test]
fn a_garbage_answer_is_never_success() {
    let url = garbage_server(
        b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot json!",
    );
    let mut cfg = lts::ClientConfig::new(&url, "ak", "sk", "proj").unwrap();
    cfg.auth_mode = AuthMode::Eop;
    let err = put(&Client::new(cfg.clone()).unwrap(), 1).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Server);
    assert!(
        err.message.contains("unparseable answer"),
        "{}",
        err.message
    );
    assert!(err.response.is_none());
    // The token call gets the same garbage: refused, not a crash.
    cfg.auth_mode = AuthMode::Token;
    assert_eq!(Client::new(cfg).err().unwrap().kind, ErrorKind::Auth);

    let url = garbage_server(b"this is not HTTP at all\r\n\r\n");
    let mut cfg = lts::ClientConfig::new(&url, "ak", "sk", "proj").unwrap();
    cfg.auth_mode = AuthMode::Eop;
    cfg.set_retries(0).unwrap();
    assert_eq!(
        put(&Client::new(cfg).unwrap(), 1).unwrap_err().kind,
        ErrorKind::Network
    );
}

#[test]
fn the_profile_changes_what_goes_on_the_wire() {
    let server = server();
    let mut cfg = config(&server);
    cfg.profile.set("put_path", "/custom/logs").unwrap();
    let client = Client::new(cfg).unwrap();
    // lts-local serves the default path only, so the custom one is not found: a final error.
    let err = put(&client, 1).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Server);
    assert!(server.state().logs(None, None).is_empty());
}

#[test]
fn requests_reuse_one_kept_alive_connection() {
    let server = server();
    let client = Client::new(config(&server)).unwrap();
    for _ in 0..10 {
        put(&client, 1).unwrap();
    }
    let stats = server.state().stats_json();
    assert_eq!(stats["requests"], 11);
    assert_eq!(
        stats["connections"], 1,
        "token call and ten puts on one connection"
    );
}

#[test]
fn threads_hitting_an_expired_token_renew_it_once() {
    let server = server();
    let client = std::sync::Arc::new(Client::new(config(&server)).unwrap());
    put(&client, 1).unwrap();
    server
        .state()
        .tokens
        .lock()
        .unwrap()
        .values_mut()
        .for_each(|t| t.expires_ms = 0);
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let c = client.clone();
            std::thread::spawn(move || {
                (0..5).for_each(|_| {
                    put(&c, 1).unwrap();
                })
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let reqs = server.state().requests_json(0);
    let tokens = reqs["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == "token")
        .count();
    assert_eq!(tokens, 2, "the first token and exactly one renewal");
    assert_eq!(server.state().logs(None, None).len(), 1 + 40);
}

#[test]
fn an_https_endpoint_speaking_plain_http_fails_the_handshake_as_a_network_error() {
    let server = server();
    let https = server.url().replace("http://", "https://");
    let mut cfg = lts::ClientConfig::new(&https, "ak", "sk", "proj").unwrap();
    cfg.set_retries(0).unwrap();
    let err = Client::new(cfg).err().unwrap();
    assert_eq!(err.kind, ErrorKind::Network, "{}", err.message);
    assert!(
        err.message
            .starts_with(&format!("getting a token failed: no answer from {https}")),
        "{}",
        err.message
    );
    assert!(
        err.message
            .contains("this endpoint speaks plain HTTP, not TLS; use an http:// endpoint"),
        "{}",
        err.message
    );
    // A bare host:port means https: the same advice.
    let bare = server.url().replace("http://", "");
    let mut cfg = lts::ClientConfig::new(&bare, "ak", "sk", "proj").unwrap();
    cfg.set_retries(0).unwrap();
    let err = Client::new(cfg).err().unwrap();
    assert!(
        err.message.contains("use an http:// endpoint"),
        "{}",
        err.message
    );
}
