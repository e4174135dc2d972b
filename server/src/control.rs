//! The control interface under `/_lts/` (loopback peers only): read what was stored and
//! requested, switch faults on and off, expire tokens.

use serde_json::{json, Value};

use crate::http::HttpRequest;
use crate::service::Reply;
use crate::state::{lock, State};

fn reply(status: u16, v: Value) -> Reply {
    Reply::Json {
        status,
        body: v.to_string(),
    }
}

fn error(status: u16, msg: impl Into<String>) -> Reply {
    reply(status, json!({ "error": msg.into() }))
}

pub fn handle(state: &State, req: &HttpRequest) -> Reply {
    let params = req.query_params().unwrap_or_default();
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    match (req.method.as_str(), req.path.as_str()) {
        ("GET", "/_lts/health") => reply(200, json!({ "ok": true })),
        ("GET", "/_lts/logs") => {
            let logs = state.logs(param("project"), param("unit"));
            reply(200, json!({ "count": logs.len(), "logs": logs }))
        }
        ("GET", "/_lts/requests") => {
            let since = param("since").and_then(|s| s.parse().ok()).unwrap_or(0);
            reply(200, state.requests_json(since))
        }
        ("GET", "/_lts/stats") => reply(200, state.stats_json()),
        ("GET", "/_lts/faults") => reply(200, lock(&state.faults).to_json()),
        ("POST", "/_lts/faults") => {
            let patch: Value = match serde_json::from_slice(&req.body) {
                Ok(v) => v,
                Err(e) => return error(400, format!("faults body is not JSON: {e}")),
            };
            let mut faults = lock(&state.faults);
            match faults.apply(&patch) {
                Ok(()) => {
                    state.faults_changed.notify_all();
                    reply(200, faults.to_json())
                }
                Err(e) => error(400, e),
            }
        }
        ("DELETE", "/_lts/faults") => {
            let mut faults = lock(&state.faults);
            *faults = Default::default();
            state.faults_changed.notify_all();
            reply(200, faults.to_json())
        }
        ("POST", "/_lts/expire-tokens") => {
            let mut tokens = lock(&state.tokens);
            let n = tokens.len();
            for t in tokens.values_mut() {
                t.expires_ms = 0;
            }
            reply(200, json!({ "expired": n }))
        }
        ("POST", "/_lts/reset") => {
            state.reset();
            reply(200, json!({ "ok": true }))
        }
        (_, path) => error(404, format!("no control endpoint {} {path}", req.method)),
    }
}
