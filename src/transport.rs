//! HTTP over ureq + rustls: one agent per client (keep-alive pool), request timeout,
//! HTTPS roots, no redirects. It moves bytes and says what happened; classifying the
//! answer is the client's job.

use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

/// Longest answer body read; anything longer is not an LTS answer.
const MAX_ANSWER_BYTES: u64 = 1024 * 1024;

/// An HTTP answer: status and body, whatever the status.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

/// No answer: the reason, and whether it was a timeout.
#[derive(Debug, Clone)]
pub struct Failure {
    pub timed_out: bool,
    pub reason: String,
}

/// A request: where, which headers, which body.
pub struct Request<'a> {
    pub url: &'a str,
    pub headers: &'a [(&'a str, &'a str)],
    pub body: &'a [u8],
}

/// The proxy for an endpoint, from the environment as curl reads it: `https_proxy` for
/// https endpoints and `http_proxy` for http ones (either case), else `all_proxy`; none when
/// `no_proxy` lists the host (exactly, or as a domain suffix; `*` for every host). `env`
/// looks a variable up, so the rules can be tested without touching the process environment.
pub fn proxy_for(https: bool, host: &str, env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let var = |name: &str| {
        env(name)
            .or_else(|| env(&name.to_ascii_uppercase()))
            .filter(|v| !v.trim().is_empty())
    };
    if let Some(list) = var("no_proxy") {
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        let skip = list
            .split(',')
            .map(|e| e.trim().trim_start_matches('.').to_ascii_lowercase())
            .any(|e| {
                let e = e.split(':').next().unwrap_or("").to_owned();
                e == "*" || (!e.is_empty() && (host == e || host.ends_with(&format!(".{e}"))))
            });
        if skip {
            return None;
        }
    }
    var(if https { "https_proxy" } else { "http_proxy" }).or_else(|| var("all_proxy"))
}

#[derive(Clone)]
pub struct Transport {
    /// `None`: a sink that answers success without any I/O (benchmarks of everything but
    /// the network; reachable from Rust only, never from the C API).
    agent: Option<ureq::Agent>,
    user_agent: String,
}

/// What the sink answers: valid both as a token answer and as a put-logs answer.
const SINK_ANSWER: &[u8] =
    br#"{"statusCode":0,"message":"SUCCESS","error":"","returnObj":{"token":"sink","expireTime":4102444800000}}"#;

/// The system's trusted roots, loaded once; webpki's bundle where the system has none.
fn default_roots() -> rustls::RootCertStore {
    static ROOTS: once_cell::sync::Lazy<rustls::RootCertStore> = once_cell::sync::Lazy::new(|| {
        let mut roots = rustls::RootCertStore::empty();
        let (added, _) =
            roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
        if added == 0 {
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        }
        roots
    });
    ROOTS.clone()
}

fn tls_config(
    ca: Option<&[rustls_pki_types::CertificateDer<'static>]>,
) -> Arc<rustls::ClientConfig> {
    let roots = match ca {
        None => default_roots(),
        Some(certs) => {
            let mut roots = rustls::RootCertStore::empty();
            roots.add_parsable_certificates(certs.iter().cloned());
            roots
        }
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(config)
}

fn is_timeout(err: &ureq::Transport) -> bool {
    let mut source = std::error::Error::source(err);
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if matches!(
                io.kind(),
                std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
            ) {
                return true;
            }
        }
        source = e.source();
    }
    err.to_string().contains("timed out")
}

fn read_body(resp: ureq::Response) -> std::io::Result<Vec<u8>> {
    let mut body = Vec::new();
    resp.into_reader()
        .take(MAX_ANSWER_BYTES)
        .read_to_end(&mut body)?;
    Ok(body)
}

impl Transport {
    pub fn new(
        timeout: Duration,
        user_agent: &str,
        ca: Option<&[rustls_pki_types::CertificateDer<'static>]>,
        proxy: Option<ureq::Proxy>,
    ) -> Self {
        let mut builder = ureq::AgentBuilder::new()
            .timeout(timeout)
            .redirects(0)
            .tls_config(tls_config(ca))
            .max_idle_connections_per_host(64);
        if let Some(p) = proxy {
            builder = builder.proxy(p);
        }
        let agent = builder.build();
        Transport {
            agent: Some(agent),
            user_agent: user_agent.to_owned(),
        }
    }

    /// A transport that sends nothing and answers success.
    pub fn sink() -> Self {
        Transport {
            agent: None,
            user_agent: String::new(),
        }
    }

    /// POSTs a body with a Content-Length (never chunked) on a kept-alive connection.
    pub fn post(&self, req: &Request<'_>) -> Result<Answer, Failure> {
        let Some(agent) = &self.agent else {
            return Ok(Answer {
                status: 200,
                body: SINK_ANSWER.to_vec(),
            });
        };
        let mut r = agent
            .post(req.url)
            .set("User-Agent", &self.user_agent)
            .set("Connection", "keep-alive");
        for (k, v) in req.headers {
            r = r.set(k, v);
        }
        let resp = match r.send_bytes(req.body) {
            Ok(resp) => resp,
            Err(ureq::Error::Status(_, resp)) => resp,
            Err(ureq::Error::Transport(t)) => {
                return Err(Failure {
                    timed_out: is_timeout(&t),
                    reason: describe(&t),
                })
            }
        };
        let status = resp.status();
        match read_body(resp) {
            Ok(body) => Ok(Answer { status, body }),
            Err(e) => Err(Failure {
                timed_out: matches!(
                    e.kind(),
                    std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
                ),
                reason: format!("reading the answer (HTTP {status}) failed: {e}"),
            }),
        }
    }
}

/// What went wrong, once: ureq's own text repeats the URL (the caller names it) and often
/// says the same thing at several levels ("Network Error: Network Error: ...").
fn describe(t: &ureq::Transport) -> String {
    fn add(parts: &mut Vec<String>, s: String) {
        let s = s.trim().to_owned();
        if !s.is_empty() && !parts.iter().any(|p| p.contains(&s)) {
            parts.retain(|p| !s.contains(p.as_str()));
            parts.push(s);
        }
    }
    let mut parts: Vec<String> = Vec::new();
    if let Some(m) = t.message() {
        add(&mut parts, m.to_owned());
    }
    let mut source = std::error::Error::source(t);
    while let Some(e) = source {
        add(&mut parts, e.to_string());
        source = e.source();
    }
    if parts.is_empty() {
        add(&mut parts, t.kind().to_string());
    }
    let text = parts.join(": ");
    if speaks_plain_http(&text) {
        // rustls read an HTTP answer where a TLS record should be: the commonest cause is an
        // https:// (or bare host) endpoint for a server that speaks plain HTTP.
        return format!(
            "this endpoint speaks plain HTTP, not TLS; use an http:// endpoint ({text})"
        );
    }
    text
}

/// Whether a TLS failure says the peer answered in plain text: rustls sees "HTTP/1.x" as a
/// record of an unknown content type.
fn speaks_plain_http(text: &str) -> bool {
    text.contains("InvalidContentType") || text.contains("received corrupt message of type")
}

#[cfg(test)]
mod tests {
    use super::proxy_for;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn proxies_follow_the_scheme_and_no_proxy() {
        let e = [
            ("https_proxy", "http://s:1"),
            ("HTTP_PROXY", "http://p:2"),
            ("no_proxy", "internal.example, .corp,10.1.2.3"),
        ];
        assert_eq!(
            proxy_for(true, "lts.example.com", &env(&e)).as_deref(),
            Some("http://s:1")
        );
        assert_eq!(
            proxy_for(false, "lts.example.com", &env(&e)).as_deref(),
            Some("http://p:2")
        );
        assert_eq!(proxy_for(true, "internal.example", &env(&e)), None);
        assert_eq!(proxy_for(true, "a.b.corp", &env(&e)), None);
        assert_eq!(proxy_for(true, "10.1.2.3", &env(&e)), None);
        assert_eq!(
            proxy_for(true, "notcorp", &env(&e)).as_deref(),
            Some("http://s:1")
        );
        assert_eq!(
            proxy_for(true, "x", &env(&[("ALL_PROXY", "http://a:3")])).as_deref(),
            Some("http://a:3")
        );
        assert_eq!(
            proxy_for(
                true,
                "x",
                &env(&[("all_proxy", "http://a:3"), ("NO_PROXY", "*")])
            ),
            None
        );
        assert_eq!(proxy_for(true, "x", &env(&[])), None);
    }
}
