//! HTTPS with rustls against lts-local behind TLS, with a test CA made at test time: the
//! right CA connects, a wrong one (and the system roots) are refused; plain HTTP to a host
//! that is not loopback is refused unless the user opts in.

mod common;

use std::ffi::CString;

use lts::ffi::client::{lts_client_free, lts_client_new};
use lts::ffi::config::{
    lts_client_config_free, lts_client_config_new, lts_client_config_set_allow_plain_http,
    lts_client_config_set_ca_file, lts_client_config_set_retries,
};
use lts::ffi::error::{lts_last_error_message, LTS_ERR_INVALID_ARGUMENT, LTS_ERR_NETWORK, LTS_OK};
use lts::{Client, ClientConfig, ErrorKind};
use lts_local::{Server, ServerConfig, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};

struct Ca {
    pem: String,
    cert: rcgen::Certificate,
    key: KeyPair,
}

fn ca(name: &str) -> Ca {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    let key = KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    Ca {
        pem: cert.pem(),
        cert,
        key,
    }
}

/// lts-local serving HTTPS with a certificate for 127.0.0.1 issued by `ca`.
fn tls_server(ca: &Ca) -> Server {
    let params =
        CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &ca.cert, &ca.key).unwrap();
    let tls =
        lts_local::config::tls_from_pem(cert.pem().as_bytes(), key.serialize_pem().as_bytes())
            .unwrap();
    Server::start(ServerConfig {
        tls: Some(tls),
        ..Default::default()
    })
    .unwrap()
}

fn config(server: &Server) -> ClientConfig {
    let mut c = ClientConfig::new(
        &server.url(),
        DEFAULT_ACCESS_KEY,
        DEFAULT_SECRET_KEY,
        "proj",
    )
    .unwrap();
    c.set_retries(0).unwrap();
    c
}

#[test]
fn the_right_ca_connects_and_a_wrong_one_is_refused() {
    let good = ca("lts test CA");
    let server = tls_server(&good);
    assert!(server.url().starts_with("https://127.0.0.1:"));

    let mut cfg = config(&server);
    cfg.set_ca_pem(good.pem.as_bytes()).unwrap();
    let client = Client::new(cfg).unwrap();
    let items = [common::item(1), common::item(2)];
    client
        .put_logs("proj", "tls", &[&items[0], &items[1]])
        .unwrap();
    assert_eq!(server.state().logs(Some("proj"), Some("tls")).len(), 2);

    let wrong = ca("another CA");
    let mut cfg = config(&server);
    cfg.set_ca_pem(wrong.pem.as_bytes()).unwrap();
    let err = Client::new(cfg).err().unwrap();
    assert_eq!(err.kind, ErrorKind::Network, "{}", err.message);
    assert!(
        err.message.to_lowercase().contains("certificate"),
        "{}",
        err.message
    );

    // The system roots do not know the test CA either.
    let err = Client::new(config(&server)).err().unwrap();
    assert_eq!(err.kind, ErrorKind::Network, "{}", err.message);
    assert_eq!(
        server.state().logs(None, None).len(),
        2,
        "nothing arrived over a refused connection"
    );
}

#[test]
fn the_c_api_takes_a_ca_file() {
    let good = ca("lts test CA");
    let server = tls_server(&good);
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join("tls-test-ca.pem");
    std::fs::write(&path, &good.pem).unwrap();
    let s = |x: &str| CString::new(x).unwrap();
    let (ep, ak, sk, p) = (
        s(&server.url()),
        s(DEFAULT_ACCESS_KEY),
        s(DEFAULT_SECRET_KEY),
        s("proj"),
    );
    unsafe {
        let mut cfg = std::ptr::null_mut();
        assert_eq!(
            lts_client_config_new(ep.as_ptr(), ak.as_ptr(), sk.as_ptr(), p.as_ptr(), &mut cfg),
            LTS_OK
        );
        assert_eq!(lts_client_config_set_retries(cfg, 0), LTS_OK);
        let mut client = std::ptr::null_mut();
        assert_eq!(lts_client_new(cfg, &mut client), LTS_ERR_NETWORK);
        assert_eq!(
            lts_client_config_set_ca_file(cfg, s("/nonexistent.pem").as_ptr()),
            LTS_ERR_INVALID_ARGUMENT
        );
        assert_eq!(
            lts_client_config_set_ca_file(cfg, s(path.to_str().unwrap()).as_ptr()),
            LTS_OK
        );
        assert_eq!(lts_client_new(cfg, &mut client), LTS_OK);
        lts_client_free(client);
        lts_client_config_free(cfg);
    }
}

#[test]
fn plain_http_to_a_remote_host_needs_an_opt_in() {
    let s = |x: &str| CString::new(x).unwrap();
    // Refused before any connection is tried (nothing listens there, and nothing is sent).
    let (ep, ak, sk, p) = (s("http://192.0.2.10:80"), s("ak"), s("sk"), s("proj"));
    unsafe {
        let mut cfg = std::ptr::null_mut();
        assert_eq!(
            lts_client_config_new(ep.as_ptr(), ak.as_ptr(), sk.as_ptr(), p.as_ptr(), &mut cfg),
            LTS_OK
        );
        let mut client = std::ptr::null_mut();
        assert_eq!(lts_client_new(cfg, &mut client), LTS_ERR_INVALID_ARGUMENT);
        let msg = std::ffi::CStr::from_ptr(lts_last_error_message())
            .to_str()
            .unwrap();
        assert!(msg.contains("in clear") && !msg.contains("sk"), "{msg}");
        assert_eq!(lts_client_config_set_allow_plain_http(cfg, true), LTS_OK);
        lts_client_config_free(cfg);
    }
    // Opted in, the config is accepted (checked without connecting).
    let mut c = ClientConfig::new("http://192.0.2.10:80", "ak", "sk", "proj").unwrap();
    c.allow_plain_http = true;
    c.check_transport_security().unwrap();
}
