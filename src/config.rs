//! `ClientConfig` (the seed SDK's); its endpoint is parsed by [`crate::endpoint`].

use std::fmt;
use std::time::Duration;

use crate::encode::Compression;
pub use crate::endpoint::Endpoint;
use crate::error::{Error, Result};
use crate::profile::Profile;

/// How requests are authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    /// AK/SK traded for a temporary token, sent in a header (the default).
    Token,
    /// Every put EOP-signed with AK/SK; no token call.
    Eop,
}

/// A secret that never prints and is overwritten when dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: &str) -> Self {
        Secret(s.to_owned())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        // SAFETY: zero bytes are valid UTF-8; volatile writes keep the wipe from being elided.
        unsafe {
            for b in self.0.as_bytes_mut() {
                std::ptr::write_volatile(b, 0);
            }
        }
    }
}

/// Everything a client needs; cloned by the client so the caller may drop its copy.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub endpoint: Endpoint,
    pub access_key: String,
    pub secret_key: Secret,
    pub log_project: String,
    pub request_timeout: Duration,
    pub compression: Compression,
    pub user_agent: String,
    /// Extra attempts after the first.
    pub retries: u32,
    /// HTTP statuses that are never retried.
    pub no_retry_status_codes: Vec<i32>,
    pub auth_mode: AuthMode,
    pub profile: Profile,
    /// Requests go nowhere and succeed (benchmarks); see [`ClientConfig::sink_for_benchmarks`].
    pub(crate) sink: bool,
    /// Trusted CAs replacing the system roots (`None`: the system's, else webpki's bundle).
    pub ca_roots: Option<Vec<rustls_pki_types::CertificateDer<'static>>>,
    /// Allow `http://` to a host that is not loopback (tokens and logs travel in clear).
    pub allow_plain_http: bool,
    /// Where `ca_roots` came from, as it was given (read back by the options table).
    pub ca_file: Option<String>,
    pub ca_pem: Option<String>,
}

pub const DEFAULT_REQUEST_TIMEOUT_MS: u32 = 30_000;
pub const DEFAULT_RETRIES: u32 = 3;
/// The most extra attempts a config accepts; beyond it a caller's bug, not a policy.
pub const MAX_RETRIES: u32 = 100;
/// The largest CA bundle read (`ca_file`) or taken (`ca_pem`): a system's whole bundle of
/// public roots is about 250 KiB, so this is far past any real one and still bounds memory.
pub const MAX_CA_BYTES: u64 = 16 * 1024 * 1024;

pub fn default_user_agent() -> String {
    format!("lts-sdk-c/{}", crate::VERSION)
}

impl ClientConfig {
    pub fn new(
        endpoint: &str,
        access_key: &str,
        secret_key: &str,
        log_project: &str,
    ) -> Result<Self> {
        let endpoint = Endpoint::parse(endpoint)?;
        if access_key.is_empty() {
            return Err(Error::invalid_argument("access_key is empty"));
        }
        if secret_key.is_empty() {
            return Err(Error::invalid_argument("secret_key is empty"));
        }
        Ok(ClientConfig {
            endpoint,
            access_key: access_key.to_owned(),
            secret_key: Secret::new(secret_key),
            log_project: log_project.to_owned(),
            request_timeout: Duration::from_millis(u64::from(DEFAULT_REQUEST_TIMEOUT_MS)),
            compression: Compression::Lz4,
            user_agent: default_user_agent(),
            retries: DEFAULT_RETRIES,
            no_retry_status_codes: Vec::new(),
            auth_mode: AuthMode::Token,
            profile: Profile::default(),
            sink: false,
            ca_roots: None,
            allow_plain_http: false,
            ca_file: None,
            ca_pem: None,
        })
    }

    /// Makes every request succeed without leaving the process, so a benchmark measures
    /// everything but the network. Not reachable from the C API.
    #[doc(hidden)]
    pub fn sink_for_benchmarks(mut self) -> Self {
        self.sink = true;
        self
    }

    /// Trusts exactly the CA certificates in `pem` (one or more PEM blocks) instead of the
    /// system roots.
    pub fn set_ca_pem(&mut self, pem: &[u8]) -> Result<()> {
        use rustls_pki_types::pem::PemObject;
        if pem.len() as u64 > MAX_CA_BYTES {
            return Err(Error::invalid_argument(format!(
                "the CA data is {} bytes, over the limit of {MAX_CA_BYTES} bytes ({})",
                pem.len(),
                crate::bounded_file::in_units(MAX_CA_BYTES)
            )));
        }
        let certs: std::result::Result<Vec<_>, _> =
            rustls_pki_types::CertificateDer::pem_slice_iter(pem).collect();
        match certs {
            Ok(c) if !c.is_empty() => {
                self.ca_roots = Some(c);
                self.ca_pem = Some(String::from_utf8_lossy(pem).into_owned());
                self.ca_file = None;
                Ok(())
            }
            Ok(_) => Err(Error::invalid_argument(
                "no PEM certificate found in the CA data",
            )),
            Err(e) => Err(Error::invalid_argument(format!(
                "CA data is not valid PEM: {e:?}"
            ))),
        }
    }

    /// As [`set_ca_pem`](Self::set_ca_pem), from a file: a regular file of at most
    /// [`MAX_CA_BYTES`].
    pub fn set_ca_file(&mut self, path: &str) -> Result<()> {
        let pem = crate::bounded_file::read(std::path::Path::new(path), MAX_CA_BYTES)
            .map_err(|e| Error::invalid_argument(format!("cannot read CA file {path:?}: {e}")))?;
        self.set_ca_pem(&pem)?;
        self.ca_pem = None;
        self.ca_file = Some(path.to_owned());
        Ok(())
    }

    /// Refuses `http://` to a host that is not loopback unless the user opted in: tokens,
    /// signatures and logs would cross the network in clear.
    pub fn check_transport_security(&self) -> Result<()> {
        if self.allow_plain_http || !self.endpoint.is_plain_http() || self.endpoint.is_loopback() {
            return Ok(());
        }
        Err(Error::invalid_argument(format!(
            "plain HTTP to {} would send tokens and logs in clear: use https, or opt in \
             (lts_client_config_set_allow_plain_http)",
            self.endpoint.as_str()
        )))
    }

    pub fn set_request_timeout_ms(&mut self, ms: u32) -> Result<()> {
        if ms == 0 {
            return Err(Error::invalid_argument(
                "request timeout must be at least 1 ms",
            ));
        }
        self.request_timeout = Duration::from_millis(u64::from(ms));
        Ok(())
    }

    pub fn set_compress_type(&mut self, name: &str) -> Result<()> {
        self.compression = Compression::parse(name).ok_or_else(|| {
            Error::invalid_argument(format!(
                "unknown compress type {name:?}: use \"lz4\" or \"none\""
            ))
        })?;
        Ok(())
    }

    pub fn set_user_agent(&mut self, ua: &str) -> Result<()> {
        if ua.is_empty() || ua.chars().any(|c| c.is_control()) {
            return Err(Error::invalid_argument(
                "user agent must be non-empty and free of control characters",
            ));
        }
        self.user_agent = ua.to_owned();
        Ok(())
    }

    pub fn set_retries(&mut self, retries: u32) -> Result<()> {
        if retries > MAX_RETRIES {
            return Err(Error::invalid_argument(format!(
                "retries {retries} is over the maximum of {MAX_RETRIES}"
            )));
        }
        self.retries = retries;
        Ok(())
    }

    pub fn add_no_retry_status_code(&mut self, status: i32) -> Result<()> {
        if !(100..=599).contains(&status) {
            return Err(Error::invalid_argument(format!(
                "{status} is not an HTTP status (100..=599)"
            )));
        }
        if !self.no_retry_status_codes.contains(&status) {
            self.no_retry_status_codes.push(status);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_loopback_unless_opted_in() {
        for ok in [
            "http://127.0.0.1:9",
            "http://localhost",
            "http://[::1]:8080/x",
            "https://lts.example.com",
            "lts.example.com",
        ] {
            ClientConfig::new(ok, "a", "s", "p")
                .unwrap()
                .check_transport_security()
                .unwrap();
        }
        let mut c = ClientConfig::new("http://lts.example.com", "a", "s", "p").unwrap();
        assert!(c
            .check_transport_security()
            .unwrap_err()
            .message
            .contains("in clear"));
        c.allow_plain_http = true;
        c.check_transport_security().unwrap();
        let c = ClientConfig::new("http://10.0.0.1:80", "a", "s", "p").unwrap();
        assert!(c.check_transport_security().is_err());
    }

    #[test]
    fn ca_pem_must_hold_a_certificate() {
        let mut c = ClientConfig::new("h", "a", "s", "p").unwrap();
        assert!(c.set_ca_pem(b"not pem").is_err());
        assert!(c
            .set_ca_file("/nonexistent/ca.pem")
            .unwrap_err()
            .message
            .contains("cannot read"));
        assert!(c.ca_roots.is_none());
    }

    #[test]
    fn a_ca_file_is_a_regular_file_of_bounded_size() {
        let mut c = ClientConfig::new("h", "a", "s", "p").unwrap();
        // Before the bound, /dev/zero was read until memory ran out.
        let e = c.set_ca_file("/dev/zero").unwrap_err();
        assert_eq!(e.kind, crate::ErrorKind::InvalidArgument);
        assert_eq!(
            e.message,
            "cannot read CA file \"/dev/zero\": it is a character device, not a regular file"
        );
        let dir = std::env::temp_dir().join(format!("lts-ca-bound-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let big = dir.join("big.pem");
        let f = std::fs::File::create(&big).unwrap();
        f.set_len(MAX_CA_BYTES + 1).unwrap();
        let e = c.set_ca_file(big.to_str().unwrap()).unwrap_err();
        assert!(
            e.message.contains("big.pem")
                && e.message
                    .contains("it is 16777217 bytes, over the limit of 16777216 bytes (16 MiB)"),
            "{}",
            e.message
        );
        let e = c
            .set_ca_pem(&vec![b'A'; MAX_CA_BYTES as usize + 1])
            .unwrap_err();
        assert!(e.message.contains("over the limit"), "{}", e.message);
        assert!(c.ca_roots.is_none() && c.ca_file.is_none());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn secrets_do_not_print() {
        let c = ClientConfig::new("h", "ak", "super-secret-sk", "p").unwrap();
        assert!(!format!("{c:?}").contains("super-secret-sk"));
    }
}
