//! `lts-local`: an LTS-compatible server for local development, tests and benchmarks.
//!
//! It speaks the protocol of liblts (token call, put-logs, EOP signatures, lz4 + OTLP
//! protobuf, the documented error codes and quotas), keeps what it accepts, and offers a
//! control interface under `/_lts/` for reading it back and injecting faults.

pub mod config;
pub mod control;
pub mod faults;
pub mod http;
pub mod ingest;
pub mod service;
pub mod state;

use std::collections::HashMap;
use std::io;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use lts::profile::{Profile, MAX_REQUEST_BYTES};

pub use config::{Quotas, ServerConfig, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY};
use http::{Connection, Incoming};
use service::Reply;
use state::{lock, State};

/// Bodies up to this size are read; lz4 can grow incompressible data slightly.
const MAX_BODY: usize = MAX_REQUEST_BYTES + MAX_REQUEST_BYTES / 64 + 1024;

struct Shared {
    state: State,
    profile: Profile,
    /// Open connections, so stop() can close them (a kept-alive socket would block forever).
    conns: Mutex<HashMap<u64, TcpStream>>,
    next_conn: AtomicU64,
    /// Connection handlers still running, so stop() returns only after the last one ended:
    /// a handler finishing a store after stop() returned could write to a data file a
    /// restarted server has already read.
    handlers: Mutex<usize>,
    handlers_done: std::sync::Condvar,
}

/// A running server. Dropping it stops it.
pub struct Server {
    shared: Arc<Shared>,
    addr: SocketAddr,
    acceptor: Option<JoinHandle<()>>,
}

impl Server {
    /// Binds (loopback only) and starts serving on background threads.
    pub fn start(config: ServerConfig) -> io::Result<Server> {
        if !config.listen.ip().is_loopback() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "lts-local listens on loopback only; {} is not",
                    config.listen
                ),
            ));
        }
        let listener = TcpListener::bind(config.listen).map_err(|e| {
            io::Error::new(e.kind(), format!("cannot listen on {}: {e}", config.listen))
        })?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            state: State::new(config)?,
            profile: Profile::default(),
            conns: Mutex::new(HashMap::new()),
            next_conn: AtomicU64::new(0),
            handlers: Mutex::new(0),
            handlers_done: std::sync::Condvar::new(),
        });
        let s = shared.clone();
        let acceptor = std::thread::Builder::new()
            .name("lts-local-accept".into())
            .spawn(move || accept_loop(s, listener))?;
        Ok(Server {
            shared,
            addr,
            acceptor: Some(acceptor),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` (`https://` with TLS), the endpoint a client is configured with.
    pub fn url(&self) -> String {
        let scheme = if self.shared.state.config.tls.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}", self.addr)
    }

    pub fn state(&self) -> &State {
        &self.shared.state
    }

    /// Stops accepting, closes every connection and joins the acceptor.
    pub fn stop(&mut self) {
        let Some(acceptor) = self.acceptor.take() else {
            return;
        };
        self.shared.state.begin_stop();
        // Wake the blocking accept().
        let _ = TcpStream::connect(self.addr);
        let _ = acceptor.join();
        for (_, c) in lock(&self.shared.conns).drain() {
            let _ = c.shutdown(Shutdown::Both);
        }
        // Their sockets are shut and stalls are woken, so handlers end promptly; the bound
        // only guards against a handler stuck in a bug.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let mut n = lock(&self.shared.handlers);
        while *n > 0 {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                break;
            }
            n = self
                .shared
                .handlers_done
                .wait_timeout(n, left)
                .map(|(g, _)| g)
                .unwrap_or_else(|p| p.into_inner().0);
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

fn accept_loop(shared: Arc<Shared>, listener: TcpListener) {
    for stream in listener.incoming() {
        if shared.state.stopping.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else { continue };
        let _ = stream.set_nodelay(true);
        let id = shared.next_conn.fetch_add(1, Ordering::Relaxed);
        shared.state.connections.fetch_add(1, Ordering::Relaxed);
        if let Ok(clone) = stream.try_clone() {
            lock(&shared.conns).insert(id, clone);
        }
        let s = shared.clone();
        *lock(&shared.handlers) += 1;
        let spawned = std::thread::Builder::new()
            .name("lts-local-conn".into())
            .spawn(move || {
                // A bug in a handler must cost one connection, never the server.
                let s2 = s.clone();
                let _ =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| serve(&s2, stream)));
                lock(&s.conns).remove(&id);
                s.handler_ended();
            });
        if spawned.is_err() {
            lock(&shared.conns).remove(&id);
            shared.handler_ended();
        }
    }
}

impl Shared {
    fn handler_ended(&self) {
        *lock(&self.handlers) -= 1;
        self.handlers_done.notify_all();
    }
}

fn serve(shared: &Shared, stream: TcpStream) {
    let peer_is_loopback = stream
        .peer_addr()
        .map(|a| a.ip().is_loopback())
        .unwrap_or(false);
    let Ok(mut conn) = Connection::new(stream, shared.state.config.tls.clone()) else {
        return;
    };
    loop {
        let req = match conn.read_request(MAX_BODY) {
            Ok(Incoming::Request(r)) => r,
            Ok(Incoming::Closed) | Err(_) => return,
            Ok(Incoming::Bad(why)) => {
                let r = ingest::reject("LTS_8001", why);
                let _ = write_reply(&mut conn, service::failure(&r), true);
                return;
            }
            Ok(Incoming::TooLarge(n)) => {
                let r = ingest::reject(
                    "LTS_8004",
                    format!("body of {n} bytes is over the request limit"),
                );
                let _ = write_reply(&mut conn, service::failure(&r), true);
                return;
            }
        };
        if shared.state.stopping.load(Ordering::SeqCst) {
            return;
        }
        let reply = route(shared, &req, peer_is_loopback);
        if write_reply(&mut conn, reply, req.close).is_err() || req.close {
            return;
        }
    }
}

fn route(shared: &Shared, req: &http::HttpRequest, peer_is_loopback: bool) -> Reply {
    let p = &shared.profile;
    if req.path.starts_with("/_lts/") {
        if !peer_is_loopback {
            return Reply::Json {
                status: 403,
                body: r#"{"error":"the control interface answers loopback peers only"}"#.into(),
            };
        }
        return control::handle(&shared.state, req);
    }
    match (req.method.as_str(), req.path.as_str()) {
        ("POST", path) if path == p.token_path => service::token_call(&shared.state, req),
        ("POST", path) if path == p.put_path => service::put_logs(&shared.state, p, req),
        (_, path) => Reply::Json {
            status: 404,
            body: serde_json::json!({"statusCode": -1, "message": format!("no API at {} {path}", req.method), "error": ""})
                .to_string(),
        },
    }
}

/// Writes a reply; `Err` when the connection must be closed.
fn write_reply(conn: &mut Connection, reply: Reply, close: bool) -> io::Result<()> {
    match reply {
        Reply::Json { status, body } => {
            conn.respond(status, "application/json", body.as_bytes(), close)
        }
        Reply::Raw {
            status,
            content_type,
            body,
        } => conn.respond(status, content_type, &body, close),
        Reply::Partial { status, body } => {
            // Headers promise the whole body; half of it arrives, then the connection ends.
            let _ = conn.respond_truncated(status, "application/json", body.as_bytes());
            let _ = conn.tcp.shutdown(Shutdown::Both);
            Err(io::ErrorKind::ConnectionReset.into())
        }
        Reply::Drop => {
            let _ = conn.tcp.shutdown(Shutdown::Both);
            Err(io::ErrorKind::ConnectionAborted.into())
        }
    }
}
