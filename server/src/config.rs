//! What an `lts-local` instance accepts: listen address, credentials, projects, limits.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// The pair accepted when no credentials are configured (local development only).
pub const DEFAULT_ACCESS_KEY: &str = "lts-local-ak";
pub const DEFAULT_SECRET_KEY: &str = "lts-local-sk";

/// Write quotas per second (protocol §4): 0 disables a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quotas {
    pub project_bytes: u64,
    pub project_requests: u64,
    pub unit_bytes: u64,
    pub unit_requests: u64,
}

impl Default for Quotas {
    fn default() -> Self {
        Quotas {
            project_bytes: 200 * 1024 * 1024,
            project_requests: 1000,
            unit_bytes: 100 * 1024 * 1024,
            unit_requests: 500,
        }
    }
}

impl Quotas {
    pub fn unlimited() -> Self {
        Quotas {
            project_bytes: 0,
            project_requests: 0,
            unit_bytes: 0,
            unit_requests: 0,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Must be a loopback address; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Accepted AK → SK. Empty means the default pair.
    pub credentials: BTreeMap<String, String>,
    /// Known projects and, for each, its units (empty = any unit). `None` = any project.
    pub projects: Option<BTreeMap<String, Vec<String>>>,
    pub token_ttl: Duration,
    /// Accepted difference between a request's `Eop-date` and the server's clock.
    pub max_clock_skew: Duration,
    pub quotas: Quotas,
    /// Append-only JSON-lines file of stored logs; read back at start. `None`: memory only.
    pub data_file: Option<PathBuf>,
    /// Verify and count, store nothing (benchmarks).
    pub sink: bool,
    /// How long a stored batch id is remembered to answer its repeats.
    pub dedup_window: Duration,
    /// Request records kept for `/_lts/requests` (oldest dropped first).
    pub request_log_capacity: usize,
    /// Save every authenticated put body exactly as received (`N.bin`) with its headers
    /// (`N.json`), for checking the wire format with an independent decoder.
    pub capture_dir: Option<PathBuf>,
    /// Seconds added to the server's clock when checking signatures (simulates clock skew).
    pub clock_offset_secs: i64,
    /// Serve HTTPS with this certificate and key instead of plain HTTP.
    pub tls: Option<std::sync::Arc<rustls::ServerConfig>>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: "127.0.0.1:0".parse().expect("valid address"),
            credentials: BTreeMap::new(),
            projects: None,
            token_ttl: Duration::from_secs(30 * 60),
            max_clock_skew: Duration::from_secs(15 * 60),
            quotas: Quotas::default(),
            data_file: None,
            sink: false,
            dedup_window: Duration::from_secs(60 * 60),
            request_log_capacity: 100_000,
            capture_dir: None,
            clock_offset_secs: 0,
            tls: None,
        }
    }
}

impl ServerConfig {
    pub fn secret_for(&self, access_key: &str) -> Option<&str> {
        if self.credentials.is_empty() {
            return (access_key == DEFAULT_ACCESS_KEY).then_some(DEFAULT_SECRET_KEY);
        }
        self.credentials.get(access_key).map(String::as_str)
    }
}

/// A TLS server configuration from a PEM certificate chain and a PEM private key.
pub fn tls_from_pem(
    cert_chain: &[u8],
    key: &[u8],
) -> Result<std::sync::Arc<rustls::ServerConfig>, String> {
    use rustls_pki_types::pem::PemObject;
    let certs = rustls_pki_types::CertificateDer::pem_slice_iter(cert_chain)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("certificate PEM: {e:?}"))?;
    if certs.is_empty() {
        return Err("no certificate in the certificate PEM".into());
    }
    let key = rustls_pki_types::PrivateKeyDer::from_pem_slice(key)
        .map_err(|e| format!("key PEM: {e:?}"))?;
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| format!("certificate and key: {e}"))?;
    Ok(std::sync::Arc::new(cfg))
}
