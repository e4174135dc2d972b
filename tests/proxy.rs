//! `http_proxy` / `https_proxy` / `no_proxy` from the environment, through a CONNECT proxy
//! this test runs on loopback. One test in its own binary: it sets process environment
//! variables, which no other test here may see.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use lts::Client;

/// A minimal CONNECT proxy; records every target it tunnels to.
fn connect_proxy() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let s = seen.clone();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(mut client) = client else { continue };
            let seen = s.clone();
            std::thread::spawn(move || {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && client.read(&mut byte).is_ok_and(|n| n == 1) {
                    head.push(byte[0]);
                }
                let line = String::from_utf8_lossy(&head)
                    .lines()
                    .next()
                    .unwrap_or("")
                    .to_owned();
                let mut parts = line.split_whitespace();
                let (method, target) = (
                    parts.next().unwrap_or(""),
                    parts.next().unwrap_or("").to_owned(),
                );
                if method != "CONNECT" {
                    // Absolute-form requests (`POST http://host:port/path`): forward each to its
                    // origin in origin form, one request and answer at a time.
                    forward(client, head, &seen);
                    return;
                }
                seen.lock().unwrap().push(target.clone());
                let Ok(upstream) = TcpStream::connect(&target) else {
                    let _ =
                        client.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
                    return;
                };
                let _ = client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
                let (mut c2, mut u2) = (client.try_clone().unwrap(), upstream.try_clone().unwrap());
                let (mut c1, mut u1) = (client, upstream);
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut u2, &mut c2);
                    let _ = c2.shutdown(std::net::Shutdown::Both);
                });
                let _ = std::io::copy(&mut c1, &mut u1);
                let _ = u1.shutdown(std::net::Shutdown::Both);
            });
        }
    });
    (url, seen)
}

fn read_head(s: &mut TcpStream) -> Vec<u8> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && s.read(&mut byte).is_ok_and(|n| n == 1) {
        head.push(byte[0]);
    }
    head
}

fn content_length(head: &[u8]) -> usize {
    String::from_utf8_lossy(head)
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap_or(0))
        })
        .unwrap_or(0)
}

fn forward(mut client: TcpStream, mut head: Vec<u8>, seen: &Mutex<Vec<String>>) {
    while !head.is_empty() {
        let text = String::from_utf8_lossy(&head).into_owned();
        let first = text.lines().next().unwrap_or("").to_owned();
        let mut parts = first.split_whitespace();
        let (method, uri) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let Some(rest) = uri.strip_prefix("http://") else {
            return;
        };
        let (authority, path) = rest
            .split_once('/')
            .map_or((rest, "".to_owned()), |(a, p)| (a, format!("/{p}")));
        seen.lock().unwrap().push(authority.to_owned());
        let mut body = vec![0u8; content_length(&head)];
        if client.read_exact(&mut body).is_err() {
            return;
        }
        let Ok(mut upstream) = TcpStream::connect(authority) else {
            return;
        };
        let rewritten = text.replacen(&first, &format!("{method} {path} HTTP/1.1"), 1);
        let _ = upstream.write_all(rewritten.as_bytes());
        let _ = upstream.write_all(&body);
        let answer_head = read_head(&mut upstream);
        let mut answer = vec![0u8; content_length(&answer_head)];
        let _ = upstream.read_exact(&mut answer);
        if client.write_all(&answer_head).is_err() || client.write_all(&answer).is_err() {
            return;
        }
        head = read_head(&mut client);
    }
}

#[test]
fn http_proxy_is_used_and_no_proxy_bypasses_it() {
    let server = common::server();
    let (proxy, seen) = connect_proxy();
    let target = server.addr().to_string();
    for v in [
        "no_proxy",
        "NO_PROXY",
        "all_proxy",
        "ALL_PROXY",
        "https_proxy",
        "HTTPS_PROXY",
    ] {
        std::env::remove_var(v);
    }
    let items = [common::item(1)];

    // http endpoint + http_proxy: the requests go through the proxy.
    std::env::set_var("http_proxy", &proxy);
    let client = Client::new(common::config(&server)).unwrap();
    client.put_logs("proj", "via-proxy", &[&items[0]]).unwrap();
    assert!(
        seen.lock().unwrap().contains(&target),
        "the proxy tunnelled to {target}: {:?}",
        seen.lock().unwrap()
    );
    assert_eq!(
        server.state().logs(Some("proj"), Some("via-proxy")).len(),
        1
    );

    // no_proxy naming the host: straight to the server.
    let before = seen.lock().unwrap().len();
    std::env::set_var("no_proxy", "localhost,127.0.0.1");
    let client = Client::new(common::config(&server)).unwrap();
    client.put_logs("proj", "direct", &[&items[0]]).unwrap();
    assert_eq!(
        seen.lock().unwrap().len(),
        before,
        "no_proxy bypassed the proxy"
    );
    assert_eq!(server.state().logs(Some("proj"), Some("direct")).len(), 1);

    // https_proxy does not apply to an http endpoint.
    std::env::remove_var("no_proxy");
    std::env::remove_var("http_proxy");
    std::env::set_var("https_proxy", &proxy);
    let client = Client::new(common::config(&server)).unwrap();
    client.put_logs("proj", "direct2", &[&items[0]]).unwrap();
    assert_eq!(seen.lock().unwrap().len(), before);
    std::env::remove_var("https_proxy");
}
