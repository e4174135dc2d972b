//! The producer against lts-local: exactly one result per accepted send under faults,
//! batches closed by linger/size/count, the memory cap, close and safe_close.

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use lts::producer::{CallbackMode, Producer, ProducerConfig, SendResult};
use lts::{ErrorKind, LogItem, Value};
use lts_local::Server;
use serde_json::json;

/// Polls `cond` (bounded) — for observing state the test does not own.
fn wait_until(what: &str, timeout: Duration, mut cond: impl FnMut() -> bool) {
    let end = Instant::now() + timeout;
    while !cond() {
        assert!(Instant::now() < end, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn producer(server: &Server, f: impl FnOnce(&mut ProducerConfig)) -> Producer {
    let mut c = ProducerConfig::default();
    c.set_linger_ms(100).unwrap();
    c.set_worker_count(4).unwrap();
    f(&mut c);
    let p = Producer::new(c).unwrap();
    p.add_client(config(server)).unwrap();
    p.start().unwrap();
    p
}

/// Every callback, keyed by the send's id: how many times it ran and with what.
#[derive(Default, Clone)]
struct Ledger(Arc<Mutex<HashMap<u64, Vec<SendResult>>>>);

impl Ledger {
    fn callback(&self, id: u64) -> lts::producer::Callback {
        let l = self.0.clone();
        Box::new(move |r: &SendResult| l.lock().unwrap().entry(id).or_default().push(r.clone()))
    }
    fn results(&self) -> HashMap<u64, Vec<SendResult>> {
        self.0.lock().unwrap().clone()
    }
}

fn tagged(call: u64, i: usize) -> LogItem {
    let mut it = LogItem::new();
    it.set_timestamp_ns(1_700_000_000_000_000_000).unwrap();
    it.set_origin_msg(&format!("call {call} log {i}")).unwrap();
    it.push_content("call", Value::Int(call as i64)).unwrap();
    it.push_content("i", Value::Int(i as i64)).unwrap();
    it
}

/// Many threads send to several units; afterwards every accepted call has exactly one
/// result, and the server holds exactly the logs reported ok, each once.
fn exactly_once(server: &Server, during: impl FnOnce(&Server) + Send) {
    let p = producer(server, |c| {
        c.set_batch_count(50).unwrap();
    });
    let ledger = Ledger::default();
    let accepted = Mutex::new(HashMap::new());
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for t in 0..4 {
            let (p, ledger, accepted, next) = (&p, &ledger, &accepted, &next);
            s.spawn(move || {
                for _ in 0..60 {
                    let call = next.fetch_add(1, Ordering::SeqCst) as u64;
                    let n = 1 + (call % 5) as usize;
                    let items: Vec<LogItem> = (0..n).map(|i| tagged(call, i)).collect();
                    let refs: Vec<&LogItem> = items.iter().collect();
                    let unit = format!("unit-{}", t % 3);
                    p.send("proj", &unit, &refs, Some(ledger.callback(call)))
                        .unwrap();
                    accepted.lock().unwrap().insert(call, n);
                }
            });
        }
        during(server);
    });
    p.close(None).unwrap();
    let accepted = accepted.into_inner().unwrap();
    let results = ledger.results();
    assert_eq!(
        results.len(),
        accepted.len(),
        "one callback per accepted call"
    );
    let mut ok_logs = std::collections::HashSet::new();
    for (call, rs) in &results {
        assert_eq!(rs.len(), 1, "call {call} got {} callbacks", rs.len());
        assert_eq!(rs[0].log_count, accepted[call]);
        assert!(rs[0].attempts >= 1);
        if rs[0].error.is_none() {
            assert_eq!(rs[0].status_code, 0);
            for i in 0..accepted[call] {
                ok_logs.insert(format!("call {call} log {i}"));
            }
        }
    }
    let stored: Vec<String> = server
        .state()
        .logs(None, None)
        .iter()
        .map(|l| l["origin_msg"].as_str().unwrap().to_owned())
        .collect();
    let stored_set: std::collections::HashSet<String> = stored.iter().cloned().collect();
    assert_eq!(stored.len(), stored_set.len(), "no log stored twice");
    assert_eq!(stored_set, ok_logs, "stored exactly the logs reported ok");
    let st = p.stats();
    assert_eq!(st.logs_sent as usize, ok_logs.len());
    assert_eq!(st.logs_accepted, st.logs_sent + st.logs_failed);
    assert_eq!(st.buffered_bytes, 0);
    assert_eq!(
        st.bytes_sent,
        server.state().stats_json()["raw_bytes"].as_u64().unwrap(),
        "bytes sent are the raw bytes of the batches the server stored"
    );
}

#[test]
fn exactly_once_without_faults() {
    let server = server();
    exactly_once(&server, |_| {});
    assert_eq!(server.state().logs(None, None).len(), 240 * 3);
}

#[test]
fn exactly_once_with_5xx_and_dropped_connections() {
    let server = server();
    exactly_once(&server, |s| {
        set_faults(
            s,
            json!({"fail_next": 6, "fail_json": false, "drop_before_store": 3, "drop_after_store": 3}),
        );
    });
    let reqs = server.state().requests_json(0);
    let outcomes: Vec<&str> = reqs["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["outcome"].as_str().unwrap())
        .collect();
    assert!(outcomes.contains(&"stored-then-dropped"), "{outcomes:?}");
    assert!(
        outcomes.contains(&"duplicate"),
        "the retry of a stored batch was answered as a duplicate"
    );
    assert_eq!(
        server.state().logs(None, None).len(),
        240 * 3,
        "all delivered despite the faults"
    );
}

#[test]
fn exactly_once_with_throttling_and_token_expiry() {
    let server = server();
    exactly_once(&server, |s| {
        set_faults(s, json!({"throttle_next": 5}));
        wait_until("some logs stored", Duration::from_secs(30), || {
            !s.state().logs(None, None).is_empty()
        });
        s.state()
            .tokens
            .lock()
            .unwrap()
            .values_mut()
            .for_each(|t| t.expires_ms = 0);
    });
    assert_eq!(server.state().logs(None, None).len(), 240 * 3);
}

fn put_sizes(server: &Server) -> Vec<(u64, u64)> {
    server.state().requests_json(0)["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == "put" && r["outcome"] == "stored")
        .map(|r| {
            (
                r["log_count"].as_u64().unwrap(),
                r["raw_size"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn linger_closes_a_batch() {
    let server = server();
    let p = producer(&server, |c| c.set_linger_ms(100).unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    let it = item(1);
    p.send(
        "proj",
        "u",
        &[&it],
        Some(Box::new(move |r: &SendResult| tx.send(r.clone()).unwrap())),
    )
    .unwrap();
    let r = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("delivered without close");
    assert!(r.error.is_none());
    assert_eq!(
        put_sizes(&server).iter().map(|s| s.0).collect::<Vec<_>>(),
        [1]
    );
    p.close(None).unwrap();
}

#[test]
fn size_and_count_close_batches_before_linger() {
    let server = server();
    let long = 60_000;
    // Count: 25 one-log sends with a count of 10 close two batches long before linger.
    let p = producer(&server, |c| {
        c.set_linger_ms(long).unwrap();
        c.set_batch_count(10).unwrap();
    });
    let done = Arc::new(AtomicUsize::new(0));
    for i in 0..25 {
        let it = item(i);
        let d = done.clone();
        p.send(
            "proj",
            "count",
            &[&it],
            Some(Box::new(move |_: &SendResult| {
                d.fetch_add(1, Ordering::SeqCst);
            })),
        )
        .unwrap();
    }
    wait_until("two full batches", Duration::from_secs(30), || {
        done.load(Ordering::SeqCst) == 20
    });
    assert_eq!(
        put_sizes(&server).iter().map(|s| s.0).collect::<Vec<_>>(),
        [10, 10]
    );
    p.close(None).unwrap();
    assert_eq!(
        put_sizes(&server).iter().map(|s| s.0).collect::<Vec<_>>(),
        [10, 10, 5],
        "close flushed the rest"
    );

    // Size: 2000-byte batches fill with ~200-byte logs, each request stays within the size.
    let server = common::server();
    let p = producer(&server, |c| {
        c.set_linger_ms(long).unwrap();
        c.set_batch_size_bytes(2000).unwrap();
    });
    let done = Arc::new(AtomicUsize::new(0));
    for i in 0..30 {
        let mut it = item(i);
        it.set_origin_msg(&"s".repeat(150)).unwrap();
        let d = done.clone();
        p.send(
            "proj",
            "size",
            &[&it],
            Some(Box::new(move |_: &SendResult| {
                d.fetch_add(1, Ordering::SeqCst);
            })),
        )
        .unwrap();
    }
    wait_until("full batches", Duration::from_secs(30), || {
        done.load(Ordering::SeqCst) >= 20
    });
    let sizes = put_sizes(&server);
    assert!(sizes.len() >= 2, "{sizes:?}");
    for (count, raw) in &sizes {
        assert!(*raw <= 2000 && *raw > 1500, "raw {raw} for {count} logs");
    }
    p.close(None).unwrap();
}

#[test]
fn the_memory_cap_holds_while_the_server_stalls() {
    let server = server();
    set_faults(&server, json!({"stall": true}));
    let p = producer(&server, |c| {
        c.set_batch_size_bytes(4096).unwrap();
        c.set_buffer_bytes(64 * 1024).unwrap();
    });
    let mut it = item(0);
    it.set_origin_msg(&"m".repeat(1000)).unwrap();
    let mut accepted = 0;
    let err = loop {
        match p.send("proj", "u", &[&it], None) {
            Ok(()) => accepted += 1,
            Err(e) => break e,
        }
        assert!(p.stats().buffered_bytes <= 64 * 1024);
        assert!(accepted < 1000, "the cap never refused");
    };
    assert_eq!(err.kind, ErrorKind::BufferFull, "{}", err.message);
    assert!(p.stats().buffered_bytes <= 64 * 1024);
    // Each batch of three or four 1,100-byte logs holds its buffer, its bookkeeping and a
    // quarter of the cap is kept for the four workers' request bodies.
    assert!(accepted > 20, "{accepted}");

    // With max_block, a send waits for room and gets it as soon as the server recovers.
    let p2 = producer(&server, |c| {
        c.set_batch_size_bytes(4096).unwrap();
        c.set_buffer_bytes(8 * 1024).unwrap();
        c.set_max_block_ms(200).unwrap();
    });
    while p2.send("proj", "u", &[&it], None).is_ok() {}
    let t0 = Instant::now();
    assert_eq!(
        p2.send("proj", "u", &[&it], None).unwrap_err().kind,
        ErrorKind::BufferFull
    );
    assert!(
        t0.elapsed() >= Duration::from_millis(200),
        "waited max_block before refusing"
    );
    std::thread::scope(|s| {
        let waiter = s.spawn(|| {
            let p3 = &p2;
            // Long max_block: released by the recovery, not by the timeout.
            let mut cfg_it = item(9);
            cfg_it.set_origin_msg("late").unwrap();
            p3.send("proj", "u", &[&cfg_it], None)
        });
        set_faults(&server, json!({"stall": false}));
        let _ = waiter.join().unwrap();
    });
    p.close(None).unwrap();
    p2.close(None).unwrap();
}

#[test]
fn a_blocked_send_wakes_when_room_frees() {
    let server = server();
    set_faults(&server, json!({"stall": true}));
    let p = producer(&server, |c| {
        c.set_batch_size_bytes(4096).unwrap();
        c.set_buffer_bytes(8 * 1024).unwrap();
        c.set_max_block_ms(120_000).unwrap();
        c.set_linger_ms(100).unwrap();
    });
    let mut it = item(0);
    it.set_origin_msg(&"m".repeat(1000)).unwrap();
    let mut n = 0;
    // Sends may fill the cap but the quarter kept for request bodies (6 KiB); a send adds at
    // most ~2.5 KiB here (a new batch, or its buffer doubling).
    while p.stats().buffered_bytes + 2500 <= 6 * 1024 {
        p.send("proj", "u", &[&it], None).unwrap();
        n += 1;
    }
    std::thread::scope(|s| {
        let blocked = s.spawn(|| {
            let t0 = Instant::now();
            (p.send("proj", "u", &[&it], None), t0.elapsed())
        });
        wait_until("a batch in flight", Duration::from_secs(30), || {
            p.stats().inflight_batches > 0
        });
        set_faults(&server, json!({"stall": false}));
        let (r, waited) = blocked.join().unwrap();
        r.unwrap();
        assert!(
            waited < Duration::from_secs(120),
            "woken by the release, not the timeout"
        );
    });
    p.close(None).unwrap();
    assert_eq!(server.state().logs(None, None).len(), n + 1);
}

/// close(timeout) bounds delivery, not the application's callbacks: callbacks queued by the
/// deadline still run, each once, all before close returns (documented in the header).
#[test]
fn slow_callbacks_all_run_before_a_timed_close_returns() {
    let server = server();
    let p = producer(&server, |c| {
        c.set_batch_count(1).unwrap();
    });
    let ran = Arc::new(AtomicUsize::new(0));
    for i in 0..20 {
        let r = ran.clone();
        p.send(
            "proj",
            "slow",
            &[&item(i)],
            Some(Box::new(move |_: &SendResult| {
                std::thread::sleep(Duration::from_millis(20));
                r.fetch_add(1, Ordering::SeqCst);
            })),
        )
        .unwrap();
    }
    p.close(Some(Duration::from_millis(10))).ok();
    assert_eq!(
        ran.load(Ordering::SeqCst),
        20,
        "every callback ran once, before close returned"
    );
    let st = p.stats();
    assert_eq!(st.logs_accepted, st.logs_sent + st.logs_failed);
    assert_eq!(st.buffered_bytes, 0);
}

#[test]
fn close_with_a_timeout_reports_every_unsent_log() {
    let server = server();
    set_faults(&server, json!({"stall": true}));
    let p = producer(&server, |_| {});
    let ledger = Ledger::default();
    for call in 0..20u64 {
        let items = [tagged(call, 0), tagged(call, 1)];
        p.send(
            "proj",
            &format!("u{}", call % 4),
            &[&items[0], &items[1]],
            Some(ledger.callback(call)),
        )
        .unwrap();
    }
    let t0 = Instant::now();
    let err = p.close(Some(Duration::from_millis(500))).unwrap_err();
    let took = t0.elapsed();
    assert_eq!(err.kind, ErrorKind::Timeout);
    assert!(err.message.contains("40 logs"), "{}", err.message);
    assert!(
        took >= Duration::from_millis(500) && took < Duration::from_secs(10),
        "{took:?}"
    );
    let results = ledger.results();
    assert_eq!(results.len(), 20);
    for rs in results.values() {
        assert_eq!(rs.len(), 1);
        assert_eq!(rs[0].error, Some(ErrorKind::Closed));
        assert_eq!(rs[0].log_count, 2);
    }
    assert_eq!(p.stats().logs_failed, 40);
    // A second close is harmless; sends are refused.
    p.close(None).unwrap();
    assert_eq!(
        p.send("proj", "u", &[&item(1)], None).unwrap_err().kind,
        ErrorKind::Closed
    );
    set_faults(&server, json!({"stall": false}));
}

#[test]
fn safe_close_delivers_everything_once_the_server_recovers() {
    let server = server();
    set_faults(&server, json!({"stall": true}));
    let p = producer(&server, |_| {});
    let ledger = Ledger::default();
    for call in 0..10u64 {
        let it = tagged(call, 0);
        p.send("proj", "u", &[&it], Some(ledger.callback(call)))
            .unwrap();
    }
    std::thread::scope(|s| {
        s.spawn(|| {
            wait_until("a stalled batch", Duration::from_secs(30), || {
                p.stats().inflight_batches > 0
            });
            set_faults(&server, json!({"stall": false}));
        });
        p.close(None).unwrap();
    });
    assert!(ledger
        .results()
        .values()
        .all(|rs| rs.len() == 1 && rs[0].error.is_none()));
    assert_eq!(ledger.results().len(), 10);
    assert_eq!(server.state().logs(None, None).len(), 10);
}

#[test]
fn poll_mode_runs_callbacks_only_on_the_polling_thread() {
    let server = server();
    let p = producer(&server, |c| c.callback_mode = CallbackMode::Poll);
    let me = std::thread::current().id();
    let ran = Arc::new(Mutex::new(Vec::new()));
    for i in 0..5 {
        let r = ran.clone();
        let it = item(i);
        p.send(
            "proj",
            "u",
            &[&it],
            Some(Box::new(move |_: &SendResult| {
                r.lock().unwrap().push(std::thread::current().id())
            })),
        )
        .unwrap();
    }
    let mut served = 0;
    let end = Instant::now() + Duration::from_secs(30);
    while served < 3 && Instant::now() < end {
        served += p.poll(3 - served, Duration::from_millis(100)).unwrap();
    }
    assert_eq!(served, 3);
    // The other two run on the closing thread.
    p.close(None).unwrap();
    let ran = ran.lock().unwrap();
    assert_eq!(ran.len(), 5);
    assert!(ran.iter().all(|t| *t == me));
    assert_eq!(p.poll(10, Duration::ZERO).unwrap(), 0);
    let thread_mode = producer(&server, |_| {});
    assert_eq!(
        thread_mode.poll(1, Duration::ZERO).unwrap_err().kind,
        ErrorKind::InvalidState
    );
}

#[test]
fn close_from_inside_a_callback_is_refused() {
    let server = server();
    let p = Arc::new(producer(&server, |_| {}));
    let (tx, rx) = std::sync::mpsc::channel();
    let weak = Arc::downgrade(&p);
    let it = item(1);
    p.send(
        "proj",
        "u",
        &[&it],
        Some(Box::new(move |_: &SendResult| {
            let p = weak.upgrade().unwrap();
            tx.send(p.close(None).unwrap_err().kind).unwrap();
        })),
    )
    .unwrap();
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(30)).unwrap(),
        ErrorKind::Reentrant
    );
    p.close(None).unwrap();
}

#[test]
fn sends_are_refused_for_what_cannot_be_delivered() {
    let server = server();
    let it = item(1);
    let p = Producer::new(ProducerConfig::default()).unwrap();
    p.add_client(config(&server)).unwrap();
    assert_eq!(
        p.add_client(config(&server)).unwrap_err().kind,
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        p.send("proj", "u", &[&it], None).unwrap_err().kind,
        ErrorKind::InvalidState
    );
    p.start().unwrap();
    assert_eq!(p.start().unwrap_err().kind, ErrorKind::InvalidState);
    assert_eq!(
        p.add_client(config(&server)).unwrap_err().kind,
        ErrorKind::InvalidState
    );
    assert_eq!(
        p.send("other", "u", &[&it], None).unwrap_err().kind,
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        p.send("proj", "u", &[], None).unwrap_err().kind,
        ErrorKind::InvalidArgument
    );
    let bare = LogItem::new();
    assert_eq!(
        p.send("proj", "u", &[&bare], None).unwrap_err().kind,
        ErrorKind::InvalidValue
    );
    let mut big = item(2);
    big.set_origin_msg(&"b".repeat(600 * 1024)).unwrap();
    assert_eq!(
        p.send("proj", "u", &[&big], None).unwrap_err().kind,
        ErrorKind::TooLarge
    );
    let many = vec![&it; 4097];
    assert_eq!(
        p.send("proj", "u", &many, None).unwrap_err().kind,
        ErrorKind::TooLarge
    );
    // Not started, no client, the empty send (0 logs), no timestamp, too big, too many.
    assert_eq!(p.stats().logs_refused, 1 + 1 + 1 + 1 + 4097);
    p.close(None).unwrap();

    let mut c = ProducerConfig::default();
    assert!(c.set_batch_size_bytes(5 * 1024 * 1024 + 1).is_err());
    assert!(c.set_batch_count(40961).is_err());
    assert!(c.set_linger_ms(99).is_err());
    assert!(c.set_worker_count(0).is_err());
    c.set_buffer_bytes(1024).unwrap();
    assert_eq!(
        Producer::new(c).err().unwrap().kind,
        ErrorKind::InvalidArgument
    );
}

#[test]
fn a_batch_that_cannot_be_delivered_fails_at_its_deadline() {
    let server = server();
    set_faults(&server, json!({"fail_next": 1_000_000}));
    let p = producer(&server, |c| c.set_delivery_timeout_ms(400).unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    let it = item(1);
    p.send(
        "proj",
        "u",
        &[&it],
        Some(Box::new(move |r: &SendResult| tx.send(r.clone()).unwrap())),
    )
    .unwrap();
    let r = rx.recv_timeout(Duration::from_secs(60)).unwrap();
    assert_eq!(r.error, Some(ErrorKind::Server));
    assert_eq!(r.error_code, "LTS_8000");
    assert!(r.attempts > 1, "retried before giving up");
    assert!(r.message.contains("deadline"), "{}", r.message);
    p.close(None).unwrap();
    assert!(server.state().logs(None, None).is_empty());
}

/// flush hands open batches to the workers at once (here, long before their linger time),
/// without waiting and without stopping the producer.
#[test]
fn flush_sends_open_batches_now_and_keeps_the_producer_running() {
    let server = server();
    let mut c = ProducerConfig::default();
    c.set_linger_ms(600_000).unwrap();
    let p = Producer::new(c).unwrap();
    assert_eq!(p.flush().unwrap_err().kind, ErrorKind::InvalidState);
    p.add_client(config(&server)).unwrap();
    p.start().unwrap();
    for round in 0..2u64 {
        let (tx, rx) = std::sync::mpsc::channel();
        let items: Vec<LogItem> = (0..3).map(|i| tagged(round, i)).collect();
        let refs: Vec<&LogItem> = items.iter().collect();
        p.send(
            "proj",
            "unit-f",
            &refs,
            Some(Box::new(move |r: &SendResult| {
                tx.send(r.outcome.error).unwrap();
            })),
        )
        .unwrap();
        p.flush().unwrap();
        // Delivered with a linger of ten minutes: the flush sent it.
        let outcome = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("delivered after flush");
        assert_eq!(outcome, None);
    }
    assert_eq!(server.state().logs(Some("proj"), Some("unit-f")).len(), 6);
    p.flush().unwrap(); // nothing open: fine
    p.close(None).unwrap();
    assert_eq!(p.flush().unwrap_err().kind, ErrorKind::Closed);
    let s = p.stats();
    assert_eq!(
        (
            s.logs_accepted,
            s.logs_sent,
            s.logs_failed,
            s.buffered_bytes
        ),
        (6, 6, 0, 0)
    );
}

/// Stats read while sends, deliveries and reports run are consistent snapshots: sent and
/// failed never ahead of accepted, and bytes buffered exactly while something accepted is
/// unreported. (They were read one counter at a time; monitoring code saw sent + failed >
/// accepted and underflowed.)
#[test]
fn stats_snapshots_taken_under_load_are_consistent() {
    let server = server();
    // One log a batch: a report for every send, and the producer often empty between them.
    let p = Arc::new(producer(&server, |c| {
        c.set_batch_count(1).unwrap();
    }));
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (p, done) = (p.clone(), done.clone());
            std::thread::spawn(move || {
                let (mut snapshots, mut torn) = (0u64, Vec::new());
                while !done.load(Ordering::SeqCst) {
                    let s = p.stats();
                    let reported = s.logs_sent + s.logs_failed;
                    if reported > s.logs_accepted
                        || (s.buffered_bytes == 0) != (reported == s.logs_accepted)
                    {
                        torn.push(s);
                    }
                    snapshots += 1;
                }
                (snapshots, torn)
            })
        })
        .collect();
    let senders: Vec<_> = (0..4u64)
        .map(|t| {
            let p = p.clone();
            std::thread::spawn(move || {
                for i in 0..1000 {
                    let it = tagged(t, i);
                    let cb: Option<lts::producer::Callback> =
                        (i % 2 == 0).then(|| Box::new(|_: &SendResult| {}) as _);
                    p.send("proj", &format!("u{}", i % 3), &[&it], cb).unwrap();
                }
            })
        })
        .collect();
    for s in senders {
        s.join().unwrap();
    }
    done.store(true, Ordering::SeqCst);
    let (mut snapshots, mut torn) = (0, Vec::new());
    for r in readers {
        let (n, t) = r.join().unwrap();
        snapshots += n;
        torn.extend(t);
    }
    assert!(snapshots > 1000, "{snapshots} snapshots");
    assert!(
        torn.is_empty(),
        "{} of {snapshots} snapshots inconsistent, e.g. {:?}",
        torn.len(),
        torn[0]
    );
    p.close(None).unwrap();
    let s = p.stats();
    assert_eq!((s.logs_accepted, s.logs_sent), (4000, 4000));
    assert_eq!(s.unaccounted(), (0, 0));
}
