//! A small HTTP/1.1 server side: requests with a Content-Length body on kept-alive
//! connections. Hand-written so that fault injection can drop, reset or stall a connection
//! at exactly the point a test asks for.

use std::io::{self, Read, Write};
use std::net::TcpStream;

const MAX_HEAD_BYTES: usize = 64 * 1024;
const MAX_HEADERS: usize = 64;

#[derive(Debug)]
pub struct HttpRequest {
    pub method: String,
    pub path: String,
    /// The raw query string (after `?`), undecoded.
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The client asked to close the connection after this request.
    pub close: bool,
}

impl HttpRequest {
    /// The first header with this name, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Decoded query parameters (`+` as space, `%XX` as bytes); `None` if not valid UTF-8.
    pub fn query_params(&self) -> Option<Vec<(String, String)>> {
        if self.query.is_empty() {
            return Some(Vec::new());
        }
        self.query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|pair| {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                Some((percent_decode(k)?, percent_decode(v)?))
            })
            .collect()
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// What reading the next request gave.
pub enum Incoming {
    Request(HttpRequest),
    /// The peer closed the connection between requests.
    Closed,
    /// A malformed or unsupported request: answer 400 and close.
    Bad(String),
    /// A body over the limit: answer 413 and close (the body is not read).
    TooLarge(usize),
}

/// A connection's byte stream: plain TCP or TLS over it.
pub trait Stream: Read + Write + Send {}
impl<T: Read + Write + Send> Stream for T {}

/// One connection's reader; keeps bytes read past the current request.
pub struct Connection {
    io: Box<dyn Stream>,
    /// The TCP socket under `io`, for closing it without an answer (fault injection).
    pub tcp: TcpStream,
    pending: Vec<u8>,
}

impl Connection {
    pub fn new(
        tcp: TcpStream,
        tls: Option<std::sync::Arc<rustls::ServerConfig>>,
    ) -> io::Result<Self> {
        let io: Box<dyn Stream> = match tls {
            None => Box::new(tcp.try_clone()?),
            Some(cfg) => {
                let conn = rustls::ServerConnection::new(cfg).map_err(io::Error::other)?;
                Box::new(rustls::StreamOwned::new(conn, tcp.try_clone()?))
            }
        };
        Ok(Connection {
            io,
            tcp,
            pending: Vec::new(),
        })
    }

    fn fill(&mut self) -> io::Result<usize> {
        let mut chunk = [0u8; 16 * 1024];
        let n = self.io.read(&mut chunk)?;
        self.pending.extend_from_slice(&chunk[..n]);
        Ok(n)
    }

    pub fn read_request(&mut self, max_body: usize) -> io::Result<Incoming> {
        let head_len = loop {
            if let Some(pos) = find(&self.pending, b"\r\n\r\n") {
                break pos + 4;
            }
            if self.pending.len() > MAX_HEAD_BYTES {
                return Ok(Incoming::Bad("request head too large".into()));
            }
            // Refuse bytes that cannot start an HTTP request (a TLS handshake sent to this
            // plain-HTTP port, say) at once, instead of waiting for a head that never ends.
            if !self.pending.is_empty() {
                let mut probe = [httparse::EMPTY_HEADER; MAX_HEADERS];
                if let Err(e) = httparse::Request::new(&mut probe).parse(&self.pending) {
                    return Ok(Incoming::Bad(format!("not an HTTP request: {e}")));
                }
            }
            if self.fill()? == 0 {
                return if self.pending.is_empty() {
                    Ok(Incoming::Closed)
                } else {
                    Err(io::ErrorKind::UnexpectedEof.into())
                };
            }
        };
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut parsed = httparse::Request::new(&mut headers);
        match parsed.parse(&self.pending[..head_len]) {
            Ok(httparse::Status::Complete(_)) => {}
            Ok(httparse::Status::Partial) => {
                return Ok(Incoming::Bad("incomplete request head".into()))
            }
            Err(e) => return Ok(Incoming::Bad(format!("malformed request: {e}"))),
        }
        let method = parsed.method.unwrap_or("").to_owned();
        let target = parsed.path.unwrap_or("/");
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let (path, query) = (path.to_owned(), query.to_owned());
        let mut hs = Vec::with_capacity(parsed.headers.len());
        for h in parsed.headers.iter() {
            match std::str::from_utf8(h.value) {
                Ok(v) => hs.push((h.name.to_owned(), v.trim().to_owned())),
                Err(_) => return Ok(Incoming::Bad(format!("header {} is not UTF-8", h.name))),
            }
        }
        let http10 = parsed.version == Some(0);
        let find_header = |name: &str| {
            hs.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        };
        if find_header("transfer-encoding").is_some() {
            return Ok(Incoming::Bad(
                "chunked bodies are not supported: send a Content-Length".into(),
            ));
        }
        let length = match find_header("content-length") {
            None => 0,
            Some(v) => match v.parse::<usize>() {
                Ok(n) => n,
                Err(_) => return Ok(Incoming::Bad(format!("bad Content-Length {v:?}"))),
            },
        };
        if length > max_body {
            return Ok(Incoming::TooLarge(length));
        }
        let connection = find_header("connection").map(str::to_ascii_lowercase);
        let close = match connection.as_deref() {
            Some("close") => true,
            Some("keep-alive") => false,
            _ => http10,
        };
        self.pending.drain(..head_len);
        while self.pending.len() < length {
            if self.fill()? == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
        }
        let body: Vec<u8> = self.pending.drain(..length).collect();
        Ok(Incoming::Request(HttpRequest {
            method,
            path,
            query,
            headers: hs,
            body,
            close,
        }))
    }

    /// Writes the head of an answer and only the first half of its body.
    pub fn respond_truncated(
        &mut self,
        status: u16,
        content_type: &str,
        body: &[u8],
    ) -> io::Result<()> {
        let head = format!(
            "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
            reason(status),
            body.len()
        );
        self.io.write_all(head.as_bytes())?;
        self.io.write_all(&body[..body.len() / 2])?;
        self.io.flush()
    }

    pub fn respond(
        &mut self,
        status: u16,
        content_type: &str,
        body: &[u8],
        close: bool,
    ) -> io::Result<()> {
        let head = format!(
            "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: {}\r\n\r\n",
            reason(status),
            body.len(),
            if close { "close" } else { "keep-alive" }
        );
        let mut out = Vec::with_capacity(head.len() + body.len());
        out.extend_from_slice(head.as_bytes());
        out.extend_from_slice(body);
        self.io.write_all(&out)?;
        self.io.flush()
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_queries() {
        assert_eq!(percent_decode("a+b%26c").as_deref(), Some("a b&c"));
        assert_eq!(percent_decode("%E4%B8%AD").as_deref(), Some("中"));
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%FF"), None);
    }
}
