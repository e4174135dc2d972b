//! The fault matrix: the producer under each fault lts-local can inject. For every fault,
//! every log is either stored exactly once or reported failed exactly once, retries are
//! spread by jitter, and buffered bytes stay under the cap. Prints one table row per fault:
//! `cargo test --release --test fault_matrix -- --nocapture --test-threads 1`.

mod common;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lts::producer::{Producer, ProducerConfig, SendResult};
use lts::{ErrorKind, LogItem, Value};
use lts_local::{Server, ServerConfig};
use serde_json::{json, Value as Json};

const THREADS: u64 = 4;
const SENDS: u64 = 100;
const CAP: usize = 256 * 1024;

fn wait_until(timeout: Duration, mut cond: impl FnMut() -> bool) {
    let end = Instant::now() + timeout;
    while !cond() {
        assert!(Instant::now() < end, "timed out waiting");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn set(server: &Server, patch: Json) {
    server.state().faults.lock().unwrap().apply(&patch).unwrap();
    server.state().faults_changed.notify_all();
}

fn puts(server: &Server) -> Vec<Json> {
    server.state().requests_json(0)["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == "put")
        .cloned()
        .collect()
}

struct Outcome {
    logs: u64,
    stored: u64,
    failed: u64,
    duplicates: u64,
    retries: u64,
    max_buffered: u64,
    gaps_ms: Vec<i64>,
    secs: f64,
}

/// Sends THREADS x SENDS calls (1-3 logs each) while `during` injects a fault; checks the
/// accounting and returns the figures. `server` may be replaced by `during` (restart).
fn run(server: &mut Server, fault: impl FnOnce(&mut Server), request_timeout_ms: u32) -> Outcome {
    let mut cfg = ProducerConfig::default();
    cfg.set_linger_ms(100).unwrap();
    cfg.set_batch_count(40).unwrap();
    cfg.set_batch_size_bytes(64 * 1024).unwrap();
    cfg.set_worker_count(4).unwrap();
    cfg.set_buffer_bytes(CAP).unwrap();
    cfg.set_max_block_ms(60_000).unwrap();
    cfg.set_delivery_timeout_ms(30_000).unwrap();
    let p = Arc::new(Producer::new(cfg).unwrap());
    let mut cc = common::config(server);
    cc.set_request_timeout_ms(request_timeout_ms).unwrap();
    cc.profile.set("backoff_base_ms", "20").unwrap();
    cc.profile.set("backoff_cap_ms", "500").unwrap();
    p.add_client(cc).unwrap();
    p.start().unwrap();

    let results: Arc<Mutex<HashMap<u64, Vec<SendResult>>>> = Arc::default();
    let sizes: Arc<Mutex<HashMap<u64, usize>>> = Arc::default();
    let max_buffered = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let t0 = Instant::now();
    let monitor = {
        let (p, m, d) = (p.clone(), max_buffered.clone(), done.clone());
        std::thread::spawn(move || {
            while !d.load(Ordering::SeqCst) {
                m.fetch_max(p.stats().buffered_bytes, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(1));
            }
        })
    };
    let senders: Vec<_> = (0..THREADS)
        .map(|t| {
            let (p, results, sizes) = (p.clone(), results.clone(), sizes.clone());
            std::thread::spawn(move || {
                for s in 0..SENDS {
                    let call = t * SENDS + s;
                    let n = 1 + (call % 3) as usize;
                    let items: Vec<LogItem> = (0..n)
                        .map(|i| {
                            let mut it = LogItem::new();
                            it.set_timestamp_ns(1).unwrap();
                            it.set_origin_msg(&format!("call {call} log {i} {}", "x".repeat(200)))
                                .unwrap();
                            it.push_content("call", Value::Int(call as i64)).unwrap();
                            it
                        })
                        .collect();
                    let refs: Vec<&LogItem> = items.iter().collect();
                    let r = results.clone();
                    p.send(
                        "proj",
                        "faults",
                        &refs,
                        Some(Box::new(move |res: &SendResult| {
                            r.lock().unwrap().entry(call).or_default().push(res.clone())
                        })),
                    )
                    .unwrap();
                    sizes.lock().unwrap().insert(call, n);
                }
            })
        })
        .collect();
    fault(server);
    for s in senders {
        s.join().unwrap();
    }
    p.close(None).unwrap();
    done.store(true, Ordering::SeqCst);
    monitor.join().unwrap();
    let secs = t0.elapsed().as_secs_f64();

    // Exactly one result per call; the server holds exactly the logs reported ok, once each.
    let results = results.lock().unwrap();
    let sizes = sizes.lock().unwrap();
    assert_eq!(results.len(), sizes.len(), "a call without a result");
    let mut ok_logs = HashSet::new();
    let mut failed = 0;
    for (call, rs) in results.iter() {
        assert_eq!(rs.len(), 1, "call {call}: {} results", rs.len());
        if rs[0].error.is_none() {
            (0..sizes[call]).for_each(|i| {
                ok_logs.insert(format!("call {call} log {i}"));
            });
        } else {
            failed += sizes[call] as u64;
        }
    }
    let stored: Vec<String> = server
        .state()
        .logs(Some("proj"), Some("faults"))
        .iter()
        .map(|l| {
            l["origin_msg"]
                .as_str()
                .unwrap()
                .split(' ')
                .take(4)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    let stored_set: HashSet<String> = stored.iter().cloned().collect();
    assert_eq!(stored.len(), stored_set.len(), "a log stored twice");
    assert_eq!(stored_set, ok_logs, "stored != reported ok");
    let logs: u64 = sizes.values().map(|&n| n as u64).sum();
    assert_eq!(
        stored.len() as u64 + failed,
        logs,
        "a log neither stored nor reported failed"
    );
    assert!(
        max_buffered.load(Ordering::SeqCst) <= CAP as u64,
        "over the memory cap"
    );

    // Gaps between consecutive attempts of one batch (retries only).
    let mut by_batch: HashMap<String, Vec<i64>> = HashMap::new();
    for r in puts(server) {
        by_batch
            .entry(r["batch_id"].as_str().unwrap().to_owned())
            .or_default()
            .push(r["time_ms"].as_i64().unwrap());
    }
    let gaps_ms: Vec<i64> = by_batch
        .values()
        .flat_map(|ts| ts.windows(2).map(|w| w[1] - w[0]).collect::<Vec<_>>())
        .collect();
    Outcome {
        logs,
        stored: stored.len() as u64,
        failed,
        duplicates: server.state().duplicate_batches.load(Ordering::Relaxed),
        retries: p.stats().retries,
        max_buffered: max_buffered.load(Ordering::SeqCst),
        gaps_ms,
        secs,
    }
}

fn row(fault: &str, o: &Outcome) {
    let (lo, hi) = (
        o.gaps_ms.iter().min().copied().unwrap_or(0),
        o.gaps_ms.iter().max().copied().unwrap_or(0),
    );
    println!(
        "| {fault} | {} | {} | {} | {} | {} | {}–{} ms | {} KiB / {} KiB | {:.1} s |",
        o.logs,
        o.stored,
        o.failed,
        o.duplicates,
        o.retries,
        lo,
        hi,
        o.max_buffered / 1024,
        CAP / 1024,
        o.secs
    );
}

fn jittered(o: &Outcome) {
    let distinct: HashSet<i64> = o.gaps_ms.iter().copied().collect();
    assert!(
        o.gaps_ms.len() < 2 || distinct.len() > 1,
        "retries in lockstep: {:?}",
        o.gaps_ms
    );
}

#[test]
fn fault_matrix() {
    println!("| fault | logs | stored once | reported failed | duplicate batches absorbed | retries | retry gaps | max buffered / cap | time |");
    println!("|---|---|---|---|---|---|---|---|---|");

    let mut s = common::server();
    let o = run(&mut s, |_| {}, 5000);
    assert_eq!((o.stored, o.failed), (o.logs, 0));
    row("none", &o);

    let mut s = common::server();
    let o = run(
        &mut s,
        |s| set(s, json!({"fail_next": 12, "fail_json": false})),
        5000,
    );
    assert_eq!(o.stored, o.logs);
    assert!(o.retries >= 12);
    jittered(&o);
    row("5xx burst (12 non-JSON 503s)", &o);

    let mut s = common::server();
    let o = run(
        &mut s,
        |s| {
            set(s, json!({"delay_ms": 700}));
            wait_until(Duration::from_secs(60), || puts(s).len() >= 4);
            set(s, json!({"delay_ms": 0}));
        },
        300,
    );
    assert_eq!(o.stored, o.logs);
    jittered(&o);
    row("answers slower than the request timeout", &o);

    let mut s = common::server();
    let o = run(&mut s, |s| set(s, json!({"reset_mid_answer": 6})), 5000);
    assert_eq!(o.stored, o.logs);
    let resets = puts(&s)
        .iter()
        .filter(|r| r["outcome"] == "stored-then-reset")
        .count() as u64;
    assert!(
        resets > 0 && o.duplicates >= resets,
        "each reset batch's retry was absorbed as a duplicate"
    );
    row("connection reset mid-answer, after storing (6)", &o);

    let mut s = common::server();
    let o = run(
        &mut s,
        |s| set(s, json!({"drop_before_store": 4, "drop_after_store": 4})),
        5000,
    );
    assert_eq!(o.stored, o.logs);
    row("connection dropped before (4) / after (4) storing", &o);

    let data =
        std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("fault-matrix-restart.jsonl");
    let _ = std::fs::remove_file(&data);
    let mut s = Server::start(ServerConfig {
        data_file: Some(data.clone()),
        ..Default::default()
    })
    .unwrap();
    let o = run(
        &mut s,
        |s| {
            wait_until(Duration::from_secs(60), || {
                !s.state().logs(None, None).is_empty()
            });
            set(s, json!({"stall": true}));
            let addr = s.addr();
            s.stop();
            *s = Server::start(ServerConfig {
                listen: addr,
                data_file: Some(data.clone()),
                ..Default::default()
            })
            .unwrap();
        },
        5000,
    );
    assert_eq!(o.stored, o.logs);
    row("server killed mid-batch and restarted (same data file)", &o);

    let mut s = common::server();
    let o = run(
        &mut s,
        |s| {
            wait_until(Duration::from_secs(60), || {
                !s.state().logs(None, None).is_empty()
            });
            s.state()
                .tokens
                .lock()
                .unwrap()
                .values_mut()
                .for_each(|t| t.expires_ms = 0);
        },
        5000,
    );
    assert_eq!(o.stored, o.logs);
    row("token expiry mid-stream (LTS_8007, renewed)", &o);

    let mut s = common::server();
    let o = run(
        &mut s,
        |s| set(s, json!({"throttle_next": 15, "throttle_code": "LTS_8014"})),
        5000,
    );
    assert_eq!(o.stored, o.logs);
    jittered(&o);
    row("throttling (15 × LTS_8014)", &o);

    let mut s = common::server_with(|c| c.clock_offset_secs = 20 * 60);
    let o = run(&mut s, |_| {}, 5000);
    assert_eq!(
        (o.stored, o.failed),
        (0, o.logs),
        "every log reported failed, none stored"
    );
    row("client clock 20 min off (past the 15 min window)", &o);
    let _ = ErrorKind::Auth;
}

/// An endpoint name that cannot resolve: a 64-character label, which the system resolver
/// refuses while building its query, so nothing is sent to any DNS server. The endpoint
/// parser refuses such a name too, so it is set past the parser here: the test is of how a
/// resolver's failure is reported. The sync client reports LTS_ERR_NETWORK with the
/// resolver's reason after its retries; the producer reports every log failed once, at its
/// delivery deadline.
#[test]
fn dns_failure_of_the_endpoint_name() {
    let endpoint = format!("http://{}.lts-test.invalid:80", "a".repeat(64));
    let refused = lts::ClientConfig::new(&endpoint, "ak", "sk", "proj").unwrap_err();
    assert!(
        refused.message.contains("the most is 63"),
        "{}",
        refused.message
    );
    let mut cfg = lts::ClientConfig::new("http://127.0.0.1:1", "ak", "sk", "proj").unwrap();
    cfg.endpoint = lts::config::Endpoint::unchecked_for_tests(&endpoint);
    cfg.allow_plain_http = true;
    cfg.profile.set("backoff_base_ms", "5").unwrap();
    cfg.set_retries(2).unwrap();
    let err = lts::Client::new(cfg.clone()).err().unwrap();
    assert_eq!(err.kind, ErrorKind::Network, "{}", err.message);
    assert!(
        err.message.to_lowercase().contains("dns")
            || err.message.contains("resolve")
            || err.message.contains("lookup"),
        "{}",
        err.message
    );

    let mut pc = ProducerConfig::default();
    pc.set_linger_ms(100).unwrap();
    pc.set_delivery_timeout_ms(500).unwrap();
    let p = Producer::new(pc).unwrap();
    p.add_client(cfg).unwrap();
    p.start().unwrap();
    let results: Arc<Mutex<Vec<SendResult>>> = Arc::default();
    let n = 20;
    for i in 0..n {
        let mut it = LogItem::new();
        it.set_timestamp_ns(1).unwrap();
        it.set_origin_msg(&format!("dns {i}")).unwrap();
        let r = results.clone();
        p.send(
            "proj",
            "u",
            &[&it],
            Some(Box::new(move |res: &SendResult| {
                r.lock().unwrap().push(res.clone())
            })),
        )
        .unwrap();
    }
    let t0 = Instant::now();
    p.close(None).unwrap();
    let results = results.lock().unwrap();
    assert_eq!(results.len(), n, "one result per send");
    assert!(
        results
            .iter()
            .all(|r| r.error == Some(ErrorKind::Network) && r.attempts > 1),
        "{:?}",
        results[0]
    );
    println!(
        "| endpoint name does not resolve | {n} | 0 | {n} | 0 | {} | — | — | {:.1} s |",
        p.stats().retries,
        t0.elapsed().as_secs_f64()
    );
}
