//! Exit without loss: with a journal directory, what close cannot send stays there and is
//! sent by the next producer; across a server outage every log arrives exactly once.

mod common;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lts::producer::{Notify, Producer, ProducerConfig, SendResult};
use lts::{ErrorKind, LogItem, Value};
use lts_local::{Server, ServerConfig};

fn tmp(name: &str) -> PathBuf {
    let p = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&p);
    let _ = std::fs::remove_file(&p);
    p
}

fn producer(server_url: &str, journal: &std::path::Path) -> Producer {
    let mut c = ProducerConfig::default();
    c.set_linger_ms(100).unwrap();
    c.set_journal_dir(journal.to_str().unwrap()).unwrap();
    let p = Producer::new(c).unwrap();
    let mut cc = lts::ClientConfig::new(
        server_url,
        lts_local::DEFAULT_ACCESS_KEY,
        lts_local::DEFAULT_SECRET_KEY,
        "proj",
    )
    .unwrap();
    cc.profile.set("backoff_base_ms", "10").unwrap();
    cc.set_request_timeout_ms(2000).unwrap();
    p.add_client(cc).unwrap();
    p.start().unwrap();
    p
}

fn item(i: usize) -> LogItem {
    let mut it = LogItem::new();
    it.set_timestamp_ns(1).unwrap();
    it.set_origin_msg(&format!("log {i}")).unwrap();
    it.push_content("i", Value::Int(i as i64)).unwrap();
    it
}

#[test]
fn a_server_outage_then_close_then_restart_delivers_every_log_once() {
    let data = tmp("exit-without-loss.jsonl");
    let spill = tmp("exit-without-loss-spill");
    let mut server = Server::start(ServerConfig {
        data_file: Some(data.clone()),
        ..Default::default()
    })
    .unwrap();
    let addr = server.addr();
    let url = server.url();

    let results: Arc<Mutex<HashMap<usize, Vec<SendResult>>>> = Arc::default();
    let p = producer(&url, &spill);
    let send = |p: &Producer, range: std::ops::Range<usize>| {
        for i in range {
            let it = item(i);
            let r = results.clone();
            p.send(
                "proj",
                "u",
                &[&it],
                Some(Box::new(move |res: &SendResult| {
                    r.lock().unwrap().entry(i).or_default().push(res.clone())
                })),
            )
            .unwrap();
        }
    };
    send(&p, 0..100);
    // Some logs reach the server, then it dies; more logs come while it is down.
    let end = std::time::Instant::now() + Duration::from_secs(30);
    while server.state().logs(None, None).is_empty() {
        assert!(std::time::Instant::now() < end);
        std::thread::sleep(Duration::from_millis(5));
    }
    server.stop();
    drop(server);
    send(&p, 100..300);
    let err = p.close(Some(Duration::from_millis(500))).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Timeout, "{}", err.message);

    // Every send got one result; the unsent ones say where they went.
    let results = results.lock().unwrap().clone();
    assert_eq!(results.len(), 300);
    assert!(results.values().all(|r| r.len() == 1));
    let closed: Vec<&SendResult> = results
        .values()
        .map(|r| &r[0])
        .filter(|r| r.error == Some(ErrorKind::Closed))
        .collect();
    assert!(!closed.is_empty());
    assert!(
        closed
            .iter()
            .all(|r| r.message.contains("stays in the journal")),
        "{}",
        closed[0].message
    );
    assert!(!lts::journal::existing_segments(&spill).is_empty());

    // The server comes back; a new producer on the same journal sends the rest.
    let server = Server::start(ServerConfig {
        listen: addr,
        data_file: Some(data.clone()),
        ..Default::default()
    })
    .unwrap();
    let p2 = producer(&server.url(), &spill);
    p2.close(None).unwrap();
    assert_eq!(
        p2.stats().logs_sent as usize,
        closed.len(),
        "the journaled logs were sent"
    );
    assert!(
        lts::journal::existing_segments(&spill).is_empty(),
        "segments are removed once their batches are delivered"
    );

    let mut stored: Vec<String> = server
        .state()
        .logs(None, None)
        .iter()
        .map(|l| l["origin_msg"].as_str().unwrap().to_owned())
        .collect();
    stored.sort();
    let mut want: Vec<String> = (0..300).map(|i| format!("log {i}")).collect();
    want.sort();
    assert_eq!(stored, want, "every log exactly once across the outage");
}

#[test]
fn resend_raw_keeps_the_batch_id() {
    let server = common::server();
    let spill = tmp("resend-raw-spill");
    let p = producer(&server.url(), &spill);
    let items = [item(1), item(2)];
    let raw = lts::encode::BatchBuilder::from_logs(&[&items[0], &items[1]])
        .unwrap()
        .to_logs_data();
    let (tx, rx) = std::sync::mpsc::channel();
    let tx2 = tx.clone();
    p.resend_raw(
        "proj",
        "u",
        "fixed-batch-id-1",
        &raw,
        Some(Notify::Boxed(Box::new(move |r: &SendResult| {
            tx.send(r.clone()).unwrap()
        }))),
    )
    .unwrap();
    let r = rx.recv_timeout(Duration::from_secs(30)).unwrap();
    assert!(r.error.is_none() && r.log_count == 2);
    // The same batch again: the server answers it as a duplicate and stores nothing.
    p.resend_raw(
        "proj",
        "u",
        "fixed-batch-id-1",
        &raw,
        Some(Notify::Boxed(Box::new(move |r: &SendResult| {
            tx2.send(r.clone()).unwrap()
        }))),
    )
    .unwrap();
    assert!(rx
        .recv_timeout(Duration::from_secs(30))
        .unwrap()
        .error
        .is_none());
    assert_eq!(server.state().logs(None, None).len(), 2);
    assert_eq!(
        p.resend_raw("proj", "u", "id", b"\xff\xff", None)
            .unwrap_err()
            .kind,
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        p.resend_raw("nope", "u", "id", &raw, None)
            .unwrap_err()
            .kind,
        ErrorKind::InvalidArgument
    );
    p.close(None).unwrap();
}

/// Files named like segments that no producer wrote: a FIFO (whose blocking open would
/// never return, so recovery would hang) and a 1 TiB sparse file (far past any segment).
/// The producer starts and closes at once without reading them, sets them aside
/// (`*.damaged`) and names each in a line of the library's log.
#[test]
fn foreign_files_in_the_journal_directory_are_skipped_and_named() {
    let spill = tmp("spill-foreign");
    std::fs::create_dir_all(&spill).unwrap();
    let fifo = spill.join(lts::journal::segment::file_name(0x1111));
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let huge = spill.join(lts::journal::segment::file_name(0x2222));
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(1 << 40)
        .unwrap();

    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let (sink, name) = (lines.clone(), spill.display().to_string());
    lts::log::set_hook(Some(Arc::new(move |_, l: &str| {
        if l.contains(&name) {
            sink.lock().unwrap().push(l.to_owned());
        }
    })));
    let mut server = Server::start(ServerConfig::default()).unwrap();
    let started = std::time::Instant::now();
    let p = producer(&server.url(), &spill);
    p.close(None).unwrap();
    let took = started.elapsed();
    lts::log::set_hook(None);
    server.stop();

    assert!(
        took < Duration::from_secs(5),
        "start and close took {took:?}"
    );
    let lines = lines.lock().unwrap();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].contains("0000000000001111.ltsj.damaged cannot be used (it is a pipe (FIFO), not a regular file)")
            && lines[0].contains("0000000000002222.ltsj.damaged cannot be used (it is 1099511627776 bytes, over the limit"),
        "{}",
        lines[0]
    );
    let aside = |p: &PathBuf| p.with_extension("ltsj.damaged");
    assert!(
        aside(&fifo).exists() && aside(&huge).exists(),
        "set aside, not removed"
    );
    let _ = std::fs::remove_dir_all(&spill);
}
