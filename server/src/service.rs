//! The LTS API: the token call and put-logs, with EOP verification, validation, quotas,
//! dedup and the injected faults.

use std::sync::atomic::Ordering;
use std::time::Duration;

use lts::profile::{http_status_of, Profile};
use lts::sign;
use serde_json::json;

use crate::http::HttpRequest;
use crate::ingest::{self, reject, Rejection};
use crate::state::{lock, RequestRecord, State, TokenInfo};

/// What to do with the connection after handling a request.
pub enum Reply {
    Json {
        status: u16,
        body: String,
    },
    /// Send only the first half of this answer, then close the connection.
    Partial {
        status: u16,
        body: String,
    },
    Raw {
        status: u16,
        content_type: &'static str,
        body: Vec<u8>,
    },
    /// Close the connection without answering.
    Drop,
}

pub fn success() -> Reply {
    Reply::Json {
        status: 200,
        body: json!({"statusCode": 0, "message": "SUCCESS", "error": ""}).to_string(),
    }
}

pub fn failure(r: &Rejection) -> Reply {
    Reply::Json {
        status: http_status_of(r.code),
        body: json!({"statusCode": -1, "message": r.message, "error": r.code}).to_string(),
    }
}

fn now_ms() -> i64 {
    lts::util::now_ms()
}

/// Checks an EOP-signed request; returns the access key.
pub fn verify_eop(state: &State, req: &HttpRequest) -> Result<String, Rejection> {
    let auth_err = |m: String| reject("LTS_8007", m);
    let header = |name: &str| {
        req.header(name)
            .ok_or_else(|| auth_err(format!("missing {name} header")))
    };
    let authorization = header(sign::AUTHORIZATION_HEADER)?;
    let date = header(sign::DATE_HEADER)?;
    let request_id = header(sign::REQUEST_ID_HEADER)?;
    let (ak, sig) = sign::parse_authorization(authorization)
        .ok_or_else(|| auth_err("malformed Eop-Authorization header".into()))?;
    let sk = state
        .config
        .secret_for(ak)
        .ok_or_else(|| auth_err("unknown access key".into()))?;
    let signed_at = sign::parse_eop_date(date)
        .ok_or_else(|| auth_err(format!("malformed Eop-date {date:?}")))?;
    let skew = (now_ms() / 1000 + state.config.clock_offset_secs - signed_at).unsigned_abs();
    if Duration::from_secs(skew) > state.config.max_clock_skew {
        return Err(auth_err(format!(
            "Eop-date {date} is {skew} s away from the server's clock (at most {} s allowed)",
            state.config.max_clock_skew.as_secs()
        )));
    }
    let params = req
        .query_params()
        .ok_or_else(|| reject("LTS_8001", "query is not valid UTF-8 after decoding"))?;
    let borrowed: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let expected = sign::signature(
        ak,
        sk,
        request_id,
        date,
        &sign::canonical_query(&borrowed),
        &req.body,
    );
    if expected != sig {
        return Err(auth_err("signature does not match".into()));
    }
    Ok(ak.to_owned())
}

pub fn token_call(state: &State, req: &HttpRequest) -> Reply {
    let mut rec = RequestRecord {
        kind: "token",
        auth: "eop",
        ..Default::default()
    };
    let reply = match verify_eop(state, req) {
        Err(r) => {
            rec.error = r.code.into();
            rec.message = r.message.clone();
            rec.outcome = "rejected";
            failure(&r)
        }
        Ok(ak) => {
            let token = {
                let mut b = [0u8; 24];
                rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut b);
                b.iter().map(|x| format!("{x:02x}")).collect::<String>()
            };
            let expires_ms = now_ms() + state.config.token_ttl.as_millis() as i64;
            lock(&state.tokens).insert(
                token.clone(),
                TokenInfo {
                    access_key: ak,
                    expires_ms,
                },
            );
            rec.outcome = "issued";
            let advertised = lock(&state.faults).token_expire_time.unwrap_or(expires_ms);
            Reply::Json {
                status: 200,
                body: json!({
                    "statusCode": 0, "message": "SUCCESS", "error": "",
                    "returnObj": {"token": token, "expireTime": advertised},
                })
                .to_string(),
            }
        }
    };
    rec.status = reply_status(&reply);
    state.record(rec);
    reply
}

fn reply_status(r: &Reply) -> u16 {
    match r {
        Reply::Json { status, .. } | Reply::Raw { status, .. } | Reply::Partial { status, .. } => {
            *status
        }
        Reply::Drop => 0,
    }
}

fn check_token(state: &State, token: &str) -> Result<(), Rejection> {
    let tokens = lock(&state.tokens);
    match tokens.get(token) {
        None => Err(reject("LTS_8007", "token invalid")),
        Some(t) if t.expires_ms <= now_ms() => Err(reject("LTS_8007", "token expired")),
        Some(_) => Ok(()),
    }
}

fn check_target(state: &State, project: &str, unit: &str) -> Result<(), Rejection> {
    if project.is_empty() || unit.is_empty() {
        return Err(reject("LTS_8001", "logProject and logUnit are required"));
    }
    if let Some(projects) = &state.config.projects {
        let units = projects.get(project).ok_or_else(|| {
            reject(
                "LTS_8010",
                format!("log project {project:?} does not exist"),
            )
        })?;
        if !units.is_empty() && !units.iter().any(|u| u == unit) {
            return Err(reject(
                "LTS_8011",
                format!("log unit {unit:?} does not exist"),
            ));
        }
    }
    Ok(())
}

pub fn put_logs(state: &State, profile: &Profile, req: &HttpRequest) -> Reply {
    let mut rec = RequestRecord {
        kind: "put",
        body_size: req.body.len(),
        ..Default::default()
    };
    let reply = put_logs_inner(state, profile, req, &mut rec);
    rec.status = reply_status(&reply);
    if rec.outcome.is_empty() {
        rec.outcome = "rejected";
    }
    state.record(rec);
    reply
}

fn put_logs_inner(
    state: &State,
    profile: &Profile,
    req: &HttpRequest,
    rec: &mut RequestRecord,
) -> Reply {
    let fail = |rec: &mut RequestRecord, r: Rejection| {
        rec.error = r.code.into();
        rec.message = r.message.clone();
        failure(&r)
    };
    let Some(params) = req.query_params() else {
        return fail(
            rec,
            reject("LTS_8001", "query is not valid UTF-8 after decoding"),
        );
    };
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    rec.project = param(&profile.project_param);
    rec.unit = param(&profile.unit_param);
    rec.batch_id = req
        .header(&profile.batch_id_header)
        .unwrap_or("")
        .to_owned();
    rec.compress = req
        .header(&profile.compress_type_header)
        .unwrap_or("")
        .to_owned();

    let auth = match req.header(&profile.token_header) {
        Some(token) => {
            rec.auth = "token";
            check_token(state, token)
        }
        None => {
            rec.auth = "eop";
            verify_eop(state, req).map(|_| ())
        }
    };
    if let Err(r) = auth {
        return fail(rec, r);
    }

    // Faults, in the order a real outage would show them.
    if !state.wait_out_stall() {
        rec.outcome = "dropped";
        return Reply::Drop;
    }
    // One fault per request, in this order, so armed faults are used up one at a time.
    let (delay, fail_now, drop_before, drop_after, reset_after, throttle) = {
        use crate::faults::take;
        let mut f = lock(&state.faults);
        let fail_now = take(&mut f.fail_next).then_some((f.fail_status, f.fail_json));
        let drop_before = fail_now.is_none() && take(&mut f.drop_before_store);
        let drop_after = fail_now.is_none() && !drop_before && take(&mut f.drop_after_store);
        let reset_after =
            fail_now.is_none() && !drop_before && !drop_after && take(&mut f.reset_mid_answer);
        let throttle = (fail_now.is_none()
            && !drop_before
            && !drop_after
            && !reset_after
            && take(&mut f.throttle_next))
        .then(|| f.throttle_code.clone());
        (
            f.delay_ms,
            fail_now,
            drop_before,
            drop_after,
            reset_after,
            throttle,
        )
    };
    if delay > 0 {
        std::thread::sleep(Duration::from_millis(delay));
    }
    if let Some((status, as_json)) = fail_now {
        rec.outcome = "fault";
        rec.error = "LTS_8000".into();
        return if as_json {
            Reply::Json {
                status,
                body: json!({"statusCode": -1, "message": "injected failure", "error": "LTS_8000"})
                    .to_string(),
            }
        } else {
            Reply::Raw {
                status,
                content_type: "text/html",
                body: b"<html><body>injected failure</body></html>".to_vec(),
            }
        };
    }
    if drop_before {
        rec.outcome = "dropped";
        return Reply::Drop;
    }
    if let Some(code) = throttle {
        rec.outcome = "fault";
        let code: &'static str = ["LTS_8013", "LTS_8014", "LTS_8015", "LTS_8016"]
            .into_iter()
            .find(|c| *c == code)
            .unwrap_or("LTS_8016");
        return fail(rec, reject(code, "injected throttling"));
    }

    let described = json!({
        "project": rec.project, "unit": rec.unit, "batch_id": rec.batch_id,
        "compress": req.header(&profile.compress_type_header),
        "raw_size": req.header(&profile.raw_size_header),
    });
    if let Err(e) = state.capture(described, &req.body) {
        return fail(
            rec,
            reject("LTS_8000", format!("capturing the body failed: {e}")),
        );
    }
    if let Err(r) = check_target(state, &rec.project, &rec.unit) {
        return fail(rec, r);
    }
    let raw = match ingest::decompress(
        req.header(&profile.compress_type_header),
        req.header(&profile.raw_size_header),
        &req.body,
    ) {
        Ok(raw) => raw,
        Err(r) => return fail(rec, r),
    };
    rec.raw_size = raw.len();
    let (data, count) = match ingest::decode(&raw) {
        Ok(x) => x,
        Err(r) => return fail(rec, r),
    };
    rec.log_count = count;
    if let Some(code) = state.over_quota(&rec.project, &rec.unit, raw.len() as u64) {
        return fail(rec, reject(code, "write quota exceeded"));
    }
    if !state.claim(&rec.batch_id) {
        state.duplicate_batches.fetch_add(1, Ordering::Relaxed);
        rec.outcome = "duplicate";
        return success();
    }
    let records = if state.config.sink {
        Vec::new()
    } else {
        ingest::records(&data, &rec.project, &rec.unit, &rec.batch_id, now_ms())
    };
    let stored = state.store(&rec.batch_id, records, raw.len());
    state.end_claim(&rec.batch_id);
    if let Err(e) = stored {
        return fail(rec, reject("LTS_8000", format!("storing failed: {e}")));
    }
    if state.config.sink {
        // Sink mode counts the logs it verified without keeping them.
        state.stored_logs.fetch_add(count as u64, Ordering::Relaxed);
    }
    rec.outcome = if state.config.sink { "sunk" } else { "stored" };
    if drop_after {
        rec.outcome = "stored-then-dropped";
        return Reply::Drop;
    }
    if reset_after {
        rec.outcome = "stored-then-reset";
        if let Reply::Json { status, body } = success() {
            return Reply::Partial { status, body };
        }
    }
    success()
}
