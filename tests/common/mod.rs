//! Helpers shared by the integration tests: a server per test and quick configs.
#![allow(dead_code)]

use lts::{ClientConfig, LogItem, Value};
use lts_local::{Server, ServerConfig, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY};

pub fn server() -> Server {
    Server::start(ServerConfig::default()).expect("lts-local starts")
}

pub fn server_with(f: impl FnOnce(&mut ServerConfig)) -> Server {
    let mut cfg = ServerConfig::default();
    f(&mut cfg);
    Server::start(cfg).expect("lts-local starts")
}

/// A config for `server` with fast backoff, so retry tests take milliseconds.
pub fn config(server: &Server) -> ClientConfig {
    config_for(&server.url())
}

/// `config` for a URL (a server restarted on its port, or one where nothing listens).
pub fn config_for(url: &str) -> ClientConfig {
    let mut c = ClientConfig::new(url, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, "proj").unwrap();
    c.profile.set("backoff_base_ms", "1").unwrap();
    c.profile.set("backoff_cap_ms", "5").unwrap();
    c
}

pub fn item(i: i64) -> LogItem {
    let mut it = LogItem::new();
    it.set_timestamp_ns(1_700_000_000_000_000_000 + i).unwrap();
    it.set_origin_msg(&format!("message {i}")).unwrap();
    it.push_content("level", Value::Str("info".into())).unwrap();
    it.push_content("seq", Value::Int(i)).unwrap();
    it.push_content("ratio", Value::Double(0.5 + i as f64))
        .unwrap();
    it.push_label("user_tag", Value::Str("string".into()))
        .unwrap();
    it
}

pub fn set_faults(server: &Server, patch: serde_json::Value) {
    server.state().faults.lock().unwrap().apply(&patch).unwrap();
    server.state().faults_changed.notify_all();
}
