//! `LogClient`: sends encoded batches with the answer classification and retry policy of
//! protocol §4. The producer's workers call [`Client::deliver`] too, so there is one
//! implementation of auth, transport and retry.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::Rng;

use crate::auth::TokenCache;
use crate::config::{AuthMode, ClientConfig};
use crate::encode::{self, EncodedBatch, Logs};
use crate::error::{Error, ErrorKind, Result};
use crate::log::{Level, Logger, Topic};
use crate::log_item::LogItem;
use crate::profile::{classify_code, CodeClass};
use crate::response::Response;
use crate::sign;
use crate::transport::{Answer, Request, Transport};

/// How one attempt ended.
#[derive(Debug)]
pub(crate) enum Verdict {
    Success(Response),
    /// Final: no retry can change the outcome.
    Final(Error),
    /// The service refused the token (`LTS_8007`).
    TokenRejected(Error),
    /// Transient: worth another attempt. `status` is the HTTP status if there was an answer;
    /// `token` says the token call failed (not the put).
    Retry {
        error: Error,
        status: Option<u16>,
        token: bool,
    },
}

fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(120)]);
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Classifies an HTTP answer to put-logs (protocol §4, in its order).
pub(crate) fn classify(answer: &Answer) -> Verdict {
    let status = answer.status;
    let transient_status = status >= 500 || status == 429;
    match Response::parse(&answer.body) {
        Some(resp) if resp.is_success() => Verdict::Success(resp),
        Some(resp) => {
            let class = classify_code(&resp.error);
            let error = Error::new(
                ErrorKind::Server,
                format!(
                    "the service answered {} (HTTP {status}): {}",
                    if resp.error.is_empty() {
                        "an error"
                    } else {
                        &resp.error
                    },
                    resp.message
                ),
            )
            .with_response(resp);
            match class {
                Some(CodeClass::Retry | CodeClass::Throttled) => Verdict::Retry {
                    error,
                    status: Some(status),
                    token: false,
                },
                Some(CodeClass::TokenInvalid) => Verdict::TokenRejected(error),
                Some(CodeClass::Fail) => Verdict::Final(error),
                // A code the table does not know: fall back on the HTTP status.
                None if transient_status => Verdict::Retry {
                    error,
                    status: Some(status),
                    token: false,
                },
                None => Verdict::Final(error),
            }
        }
        None if transient_status => Verdict::Retry {
            error: Error::new(
                ErrorKind::Network,
                format!(
                    "HTTP {status} without an LTS answer: {:?}",
                    snippet(&answer.body)
                ),
            ),
            status: Some(status),
            token: false,
        },
        None => Verdict::Final(Error::new(
            ErrorKind::Server,
            format!(
                "unparseable answer (HTTP {status}): {:?}",
                snippet(&answer.body)
            ),
        )),
    }
}

/// Limits of one delivery: extra attempts and an optional overall deadline.
#[derive(Debug, Clone, Copy)]
pub struct RetryLimits {
    pub retries: u32,
    pub deadline: Option<Instant>,
}

/// Waits between attempts; returns false when the delivery should stop retrying (the
/// producer is closing). The sync client simply sleeps.
pub type Pause<'a> = &'a dyn Fn(Duration) -> bool;

fn sleep(d: Duration) -> bool {
    std::thread::sleep(d);
    true
}

/// The end of a delivery and how many requests it took.
#[derive(Debug)]
pub struct Delivery {
    pub result: Result<Response>,
    pub attempts: u32,
    /// The pause between attempts was refused (a producer's close ran out of time): the
    /// delivery was cut short, and whoever refused it reports the batch.
    pub stopped: bool,
}

/// A connection to LTS: config, keep-alive pool and token. Share it between threads.
pub struct Client {
    config: Arc<ClientConfig>,
    transport: Transport,
    tokens: TokenCache<Error>,
    token_counts: TokenCounts,
    retries: Arc<RetryCounters>,
    log: Arc<Logger>,
}

/// Token calls that succeeded and failed (a producer's stats sum them over its clients).
#[derive(Debug, Default)]
pub struct TokenCounts {
    pub renewals: AtomicU64,
    pub failures: AtomicU64,
}

/// Why the attempts a delivery retried failed (for the stats: "retries by reason").
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct RetryReasons {
    /// No answer: connection refused or reset, TLS, DNS.
    pub network: u64,
    /// No answer within the request timeout.
    pub timeout: u64,
    /// HTTP 429 or a throttling code (LTS_8016).
    pub throttled: u64,
    /// Another transient answer: 5xx, a retryable service code.
    pub server: u64,
    /// The service refused the token (LTS_8007) and a new one was fetched.
    pub token_rejected: u64,
}

impl RetryReasons {
    /// All retries.
    pub fn total(&self) -> u64 {
        self.network + self.timeout + self.throttled + self.server + self.token_rejected
    }
}

/// [`RetryReasons`] counted as retries happen (not when their delivery ends), so a batch
/// retrying for minutes shows in the stats. A producer's clients share one.
#[derive(Debug, Default)]
pub struct RetryCounters {
    network: AtomicU64,
    timeout: AtomicU64,
    throttled: AtomicU64,
    server: AtomicU64,
    token_rejected: AtomicU64,
}

impl RetryCounters {
    /// Counts a retry after a transient failure.
    fn count(&self, error: &Error, status: Option<u16>) {
        let throttled = status == Some(429)
            || error
                .response
                .as_ref()
                .is_some_and(|r| classify_code(&r.error) == Some(CodeClass::Throttled));
        let n = match (error.kind, status) {
            _ if throttled => &self.throttled,
            (ErrorKind::Timeout, _) => &self.timeout,
            (ErrorKind::Network, None) => &self.network,
            _ => &self.server,
        };
        n.fetch_add(1, Ordering::Relaxed);
    }

    pub fn read(&self) -> RetryReasons {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        RetryReasons {
            network: get(&self.network),
            timeout: get(&self.timeout),
            throttled: get(&self.throttled),
            server: get(&self.server),
            token_rejected: get(&self.token_rejected),
        }
    }
}

impl Client {
    /// Builds a client; in token mode fetches the token now (with the retry policy for
    /// transient failures; a refusal is `Auth` at once).
    pub fn new(config: ClientConfig) -> Result<Client> {
        config.check_transport_security()?;
        let client = Client::unconnected(config);
        if client.config.auth_mode == AuthMode::Token {
            let limits = RetryLimits {
                retries: client.config.retries,
                deadline: None,
            };
            let url = client
                .config
                .endpoint
                .url(&client.config.profile.token_path);
            client
                .with_retries(
                    limits,
                    &sleep,
                    &|| format!("token call to {url}"),
                    &mut |_| match client.token() {
                        Ok(_) => Verdict::Success(Response {
                            status_code: 0,
                            message: String::new(),
                            error: String::new(),
                        }),
                        Err(v) => v,
                    },
                )
                .result?;
        }
        Ok(client)
    }

    /// Builds a client without any network I/O: the token is fetched on first use.
    pub fn unconnected(config: ClientConfig) -> Client {
        let transport = if config.sink {
            Transport::sink()
        } else {
            let env = |k: &str| std::env::var(k).ok();
            let https = !config.endpoint.is_plain_http();
            // A malformed proxy variable is ignored rather than failing every request.
            let proxy = crate::transport::proxy_for(https, config.endpoint.host(), &env)
                .and_then(|p| ureq::Proxy::new(p).ok());
            Transport::new(
                config.request_timeout,
                &config.user_agent,
                config.ca_roots.as_deref(),
                proxy,
            )
        };
        let tokens = TokenCache::new(config.profile.token_renew_percent);
        Client {
            config: Arc::new(config),
            transport,
            tokens,
            token_counts: TokenCounts::default(),
            retries: Arc::default(),
            log: Logger::sync_client(),
        }
    }

    /// Routes this client's lines through `log` (a producer's, instead of the calling
    /// thread's) and counts its retries in `retries` (the producer's).
    pub fn observed_by(mut self, log: Arc<Logger>, retries: Arc<RetryCounters>) -> Client {
        self.log = log;
        self.retries = retries;
        self
    }

    /// This client's retries so far, by reason.
    pub fn retries(&self) -> RetryReasons {
        self.retries.read()
    }

    /// Token calls so far.
    pub fn token_counts(&self) -> (u64, u64) {
        (
            self.token_counts.renewals.load(Ordering::Relaxed),
            self.token_counts.failures.load(Ordering::Relaxed),
        )
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// One token call. Refusals are final (`Auth`); transient failures can be retried.
    fn fetch_token(&self) -> std::result::Result<(String, Duration), Verdict> {
        let cfg = &*self.config;
        let body = b"{}";
        let eop = sign::sign_now(&cfg.access_key, cfg.secret_key.expose(), "", body);
        let url = cfg.endpoint.url(&cfg.profile.token_path);
        let headers = [
            ("Content-Type", "application/json"),
            (sign::REQUEST_ID_HEADER, eop.request_id.as_str()),
            (sign::DATE_HEADER, eop.date.as_str()),
            (sign::AUTHORIZATION_HEADER, eop.authorization.as_str()),
        ];
        let answer = self
            .transport
            .post(&Request {
                url: &url,
                headers: &headers,
                body,
            })
            .map_err(|f| transport_failure(&url, f))?;
        let refused =
            |why: String| Error::new(ErrorKind::Auth, format!("token call refused: {why}"));
        let parsed: Option<serde_json::Value> = serde_json::from_slice(&answer.body).ok();
        let resp = Response::parse(&answer.body);
        match (resp, parsed) {
            (Some(r), Some(v)) if r.is_success() => {
                let obj = v.get("returnObj");
                let token = obj.and_then(|o| o.get("token")).and_then(|t| t.as_str());
                let expire_ms = obj
                    .and_then(|o| o.get("expireTime"))
                    .and_then(|t| t.as_i64());
                match (token, expire_ms) {
                    (Some(t), Some(exp)) if !t.is_empty() => {
                        Ok((t.to_owned(), token_life(exp, crate::util::now_ms())))
                    }
                    _ => Err(Verdict::Final(refused(format!(
                        "the answer has no returnObj.token/expireTime (HTTP {})",
                        answer.status
                    )))),
                }
            }
            (Some(r), _) => match classify_code(&r.error) {
                Some(CodeClass::Retry | CodeClass::Throttled) => Err(Verdict::Retry {
                    error: Error::new(
                        ErrorKind::Network,
                        format!(
                            "token call: the service answered {}: {}",
                            r.error, r.message
                        ),
                    )
                    .with_response(r),
                    status: Some(answer.status),
                    token: true,
                }),
                // The service's answer goes with the error, so results carry its code
                // (LTS_8007 for a bad signature) in `error`, as for a refused put.
                _ => Err(Verdict::Final(
                    refused(format!(
                        "{} (HTTP {}): {}",
                        if r.error.is_empty() {
                            "error"
                        } else {
                            &r.error
                        },
                        answer.status,
                        r.message
                    ))
                    .with_response(r),
                )),
            },
            _ => match classify(&answer) {
                v @ Verdict::Retry { .. } => Err(v),
                _ => Err(Verdict::Final(refused(format!(
                    "unexpected answer (HTTP {}): {:?}",
                    answer.status,
                    snippet(&answer.body)
                )))),
            },
        }
    }

    fn token(&self) -> std::result::Result<Arc<str>, Verdict> {
        // The cache shares a failure with the threads that waited for it, so it needs a
        // clonable error; a retryable failure travels as a Network error and is rebuilt here.
        self.tokens
            .get(|| {
                let fetched = self.fetch_token().map_err(|v| match v {
                    Verdict::Retry { error, .. } => error,
                    Verdict::Final(e) | Verdict::TokenRejected(e) => e,
                    Verdict::Success(_) => Error::new(ErrorKind::Internal, "token fetch"),
                });
                match &fetched {
                    Ok((_, life)) => {
                        self.token_counts.renewals.fetch_add(1, Ordering::Relaxed);
                        self.log.log(Topic::Progress, Level::Debug, || {
                            format!(
                                "token for {} obtained, valid for {} s",
                                self.config.endpoint.as_str(),
                                life.as_secs()
                            )
                        });
                    }
                    Err(_) => {
                        self.token_counts.failures.fetch_add(1, Ordering::Relaxed);
                    }
                }
                fetched
            })
            .map_err(|e| match e.kind {
                ErrorKind::Auth => Verdict::Final(e),
                _ => Verdict::Retry {
                    error: Error {
                        message: format!("getting a token failed: {}", e.message),
                        ..e
                    },
                    status: None,
                    token: true,
                },
            })
    }

    fn attempt_put(
        &self,
        url: &str,
        batch: &EncodedBatch,
        batch_id: &str,
        query: &str,
    ) -> (Verdict, Option<Arc<str>>) {
        let cfg = &*self.config;
        let p = &cfg.profile;
        let raw_size = batch.raw_size.to_string();
        let mut headers: Vec<(&str, &str)> = vec![
            ("Content-Type", "application/x-protobuf"),
            (&p.compress_type_header, batch.compression.header_value()),
            (&p.raw_size_header, &raw_size),
            (&p.batch_id_header, batch_id),
        ];
        let token;
        let eop;
        match cfg.auth_mode {
            AuthMode::Token => {
                token = match self.token() {
                    Ok(t) => t,
                    Err(v) => return (v, None),
                };
                headers.push((&p.token_header, &token));
            }
            AuthMode::Eop => {
                token = Arc::from("");
                eop = sign::sign_now(&cfg.access_key, cfg.secret_key.expose(), query, &batch.body);
                headers.push((sign::REQUEST_ID_HEADER, &eop.request_id));
                headers.push((sign::DATE_HEADER, &eop.date));
                headers.push((sign::AUTHORIZATION_HEADER, &eop.authorization));
            }
        }
        let verdict = match self.transport.post(&Request {
            url,
            headers: &headers,
            body: &batch.body,
        }) {
            Ok(answer) => classify(&answer),
            Err(f) => transport_failure(url, f),
        };
        (verdict, Some(token))
    }

    /// Runs attempts until one is final, applying backoff, the no-retry list, the one
    /// token renewal on `LTS_8007`, the retry count and the deadline. Each failed attempt
    /// and a failed end are logged (rate-limited) as `what` (the request, for the line).
    fn with_retries(
        &self,
        limits: RetryLimits,
        pause: Pause<'_>,
        what: &dyn Fn() -> String,
        attempt: &mut dyn FnMut(u32) -> Verdict,
    ) -> Delivery {
        let cfg = &*self.config;
        let log = &*self.log;
        let mut attempts = 0u32;
        let mut retries = 0u32;
        let mut renewed = false;
        let failed = |e: Error, attempts: u32, token: bool| {
            let topic = if token || e.kind == ErrorKind::Auth {
                Topic::Token
            } else {
                Topic::Failed
            };
            log.log(topic, log.failed_level, || {
                format!(
                    "{} failed after {attempts} attempt{}: {}",
                    what(),
                    if attempts == 1 { "" } else { "s" },
                    e.message
                )
            });
            Delivery {
                result: Err(e),
                attempts,
                stopped: false,
            }
        };
        loop {
            attempts += 1;
            let (error, status, token) = match attempt(attempts) {
                Verdict::Success(r) => {
                    if attempts > 1 {
                        log.log(Topic::Progress, Level::Info, || {
                            format!("{} succeeded on attempt {attempts}", what())
                        });
                    }
                    return Delivery {
                        result: Ok(r),
                        attempts,
                        stopped: false,
                    };
                }
                Verdict::Final(e) => return failed(e, attempts, false),
                Verdict::TokenRejected(e) => {
                    if cfg.auth_mode == AuthMode::Token && !renewed {
                        renewed = true;
                        self.retries.token_rejected.fetch_add(1, Ordering::Relaxed);
                        log.log(Topic::Progress, Level::Info, || {
                            format!(
                                "{}: the service refused the token ({}); fetching a new one",
                                what(),
                                e.message
                            )
                        });
                        continue;
                    }
                    let e = Error {
                        kind: ErrorKind::Auth,
                        message: format!("{} (authentication refused)", e.message),
                        response: e.response,
                    };
                    return failed(e, attempts, true);
                }
                Verdict::Retry {
                    error,
                    status,
                    token,
                } => (error, status, token),
            };
            let no_retry =
                status.is_some_and(|s| cfg.no_retry_status_codes.contains(&i32::from(s)));
            if no_retry || retries >= limits.retries {
                return failed(error, attempts, token);
            }
            let wait = backoff(&cfg.profile, retries);
            if let Some(deadline) = limits.deadline {
                if Instant::now() + wait >= deadline {
                    let mut e = error;
                    e.message = format!("{} (delivery deadline reached)", e.message);
                    return failed(e, attempts, token);
                }
            }
            log.log(
                if token { Topic::Token } else { Topic::Attempt },
                log.attempt_level,
                || {
                    format!(
                        "{}: attempt {attempts} failed: {}; next attempt in {} ms",
                        what(),
                        error.message,
                        wait.as_millis()
                    )
                },
            );
            if !pause(wait) {
                // Close ran out of time: it reports this batch itself, and says so.
                return Delivery {
                    result: Err(error),
                    attempts,
                    stopped: true,
                };
            }
            self.retries.count(&error, status);
            retries += 1;
        }
    }

    /// Sends one encoded batch with its batch id (the same on every retry).
    pub fn deliver(
        &self,
        project: &str,
        unit: &str,
        batch: &EncodedBatch,
        batch_id: &str,
        limits: RetryLimits,
        pause: Pause<'_>,
    ) -> Delivery {
        let p = &self.config.profile;
        let query = sign::canonical_query(&[(&p.project_param, project), (&p.unit_param, unit)]);
        let url = format!("{}?{query}", self.config.endpoint.url(&p.put_path));
        let what = || {
            format!(
                "batch {batch_id} ({} logs for project {project}, unit {unit}) to {}",
                batch.log_count,
                self.config.endpoint.url(&p.put_path)
            )
        };
        self.with_retries(limits, pause, &what, &mut |_| {
            let (verdict, token) = self.attempt_put(&url, batch, batch_id, &query);
            if let (Verdict::TokenRejected(_), Some(t)) = (&verdict, &token) {
                self.tokens.invalidate(t);
            }
            verdict
        })
    }

    /// `put_logs` for items in the packed layout (see [`crate::packed`]).
    pub fn put_logs_packed(
        &self,
        project: &str,
        unit: &str,
        buf: &[u8],
        count: usize,
    ) -> Result<Response> {
        let logs = crate::packed::PackedLogs::read(buf, count)?;
        self.put(project, unit, &logs)
    }

    /// The seed SDK's `put_logs`: validate, encode, send with retries. `Ok` only when the
    /// service answered statusCode 0.
    pub fn put_logs(&self, project: &str, unit: &str, items: &[&LogItem]) -> Result<Response> {
        self.put(project, unit, items)
    }

    /// `put_logs` for any [`Logs`] (items, records in the caller's memory, packed items).
    pub fn put<S: Logs + ?Sized>(&self, project: &str, unit: &str, logs: &S) -> Result<Response> {
        if project.is_empty() {
            return Err(Error::invalid_argument("log_project is empty"));
        }
        if unit.is_empty() {
            return Err(Error::invalid_argument("log_unit is empty"));
        }
        let batch = encode::encode(logs, self.config.compression)?;
        let batch_id = crate::util::uuid_v4();
        let limits = RetryLimits {
            retries: self.config.retries,
            deadline: None,
        };
        let delivery = self.deliver(project, unit, &batch, &batch_id, limits, &sleep);
        delivery.result.map_err(|mut e| {
            if matches!(e.kind, ErrorKind::Network | ErrorKind::Timeout) && delivery.attempts > 1 {
                e.message = format!("{} (after {} attempts)", e.message, delivery.attempts);
            }
            e
        })
    }
}

/// The longest a token is trusted without renewal, whatever its `expireTime` says.
const MAX_TOKEN_LIFE_MS: i64 = 24 * 60 * 60 * 1000;

/// A token's life from its `expireTime` (unix ms). A time already past — absurd values such
/// as `i64::MIN` included — means "renew on next use"; a life over a day counts as a day, so
/// a far-future value cannot keep one token for good (nor overflow the clock).
fn token_life(expire_ms: i64, now_ms: i64) -> Duration {
    let life = expire_ms.saturating_sub(now_ms).clamp(0, MAX_TOKEN_LIFE_MS);
    Duration::from_millis(life as u64)
}

fn transport_failure(url: &str, f: crate::transport::Failure) -> Verdict {
    let kind = if f.timed_out {
        ErrorKind::Timeout
    } else {
        ErrorKind::Network
    };
    // The URL carries no secret (tokens and signatures travel in headers).
    Verdict::Retry {
        error: Error::new(kind, format!("no answer from {url}: {}", f.reason)),
        status: None,
        token: false,
    }
}

/// Full-jitter exponential backoff: uniform in [0, min(cap, base * 2^n)].
pub(crate) fn backoff(p: &crate::profile::Profile, retry: u32) -> Duration {
    let ceiling = p
        .backoff_base_ms
        .saturating_mul(1u64 << retry.min(30))
        .min(p.backoff_cap_ms);
    Duration::from_millis(rand::thread_rng().gen_range(0..=ceiling))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str) -> Answer {
        Answer {
            status,
            body: body.as_bytes().to_vec(),
        }
    }

    fn kind(v: Verdict) -> &'static str {
        match v {
            Verdict::Success(_) => "success",
            Verdict::Final(_) => "final",
            Verdict::TokenRejected(_) => "token",
            Verdict::Retry { .. } => "retry",
        }
    }

    #[test]
    fn classification_follows_protocol_order() {
        let err = |code: &str| format!(r#"{{"statusCode":-1,"message":"m","error":"{code}"}}"#);
        assert_eq!(
            kind(classify(&answer(
                200,
                r#"{"statusCode":0,"message":"SUCCESS","error":""}"#
            ))),
            "success"
        );
        // The code decides whatever the HTTP status.
        assert_eq!(kind(classify(&answer(200, &err("LTS_8000")))), "retry");
        assert_eq!(kind(classify(&answer(503, &err("LTS_8011")))), "final");
        assert_eq!(kind(classify(&answer(429, &err("LTS_8016")))), "retry");
        assert_eq!(kind(classify(&answer(401, &err("LTS_8007")))), "token");
        assert_eq!(kind(classify(&answer(502, &err("LTS_18000")))), "retry");
        // No JSON: 5xx and 429 are transient, the rest final.
        assert_eq!(kind(classify(&answer(502, "<html>"))), "retry");
        assert_eq!(kind(classify(&answer(429, ""))), "retry");
        assert_eq!(kind(classify(&answer(404, "nope"))), "final");
        assert_eq!(kind(classify(&answer(200, "garbage"))), "final");
    }

    #[test]
    fn token_lives_are_clamped_to_renew_now_and_at_most_a_day() {
        let now = 1_800_000_000_000;
        assert_eq!(token_life(i64::MIN, now), Duration::ZERO);
        assert_eq!(token_life(now - 1, now), Duration::ZERO);
        assert_eq!(token_life(0, now), Duration::ZERO);
        assert_eq!(token_life(now + 1500, now), Duration::from_millis(1500));
        assert_eq!(
            token_life(i64::MAX, now),
            Duration::from_millis(MAX_TOKEN_LIFE_MS as u64)
        );
        assert_eq!(
            token_life(i64::MAX, i64::MIN),
            Duration::from_millis(MAX_TOKEN_LIFE_MS as u64)
        );
    }

    #[test]
    fn backoff_stays_under_its_ceiling() {
        let p = crate::profile::Profile::default();
        for n in 0..40 {
            let ceiling = (100u64 << n.min(30)).min(10_000);
            assert!(backoff(&p, n) <= Duration::from_millis(ceiling));
        }
    }
}
