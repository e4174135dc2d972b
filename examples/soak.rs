//! Soak: the producer sending for a set time while faults switch on and off, then checks
//! that every send got one result, the server counted exactly the logs reported ok, and RSS
//! and thread count stayed flat after warm-up.
//!
//!     cargo run --release --example soak -- [--secs N]      (default 180; CI runs 25)
//!
//! Memory and threads are compared with their peak during fault cycles 2 and 3 (10 s each);
//! runs under 60 s judge the accounting and threads, not RSS, which is still warming up.
//!
//! lts-local runs in this process in sink mode (it verifies and counts, keeps nothing), so
//! the process's memory is the producer's plus a bounded request log.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lts::producer::{Producer, ProducerConfig, SendResult};
use lts::{ClientConfig, LogItem, Value};
use lts_local::{Quotas, Server, ServerConfig, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY};
use serde_json::json;

fn proc_status(field: &str) -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Threads of the producer (named lts-linger, lts-worker-N, lts-callbacks); the in-process
/// server's connection threads (lts-local-*) come and go with the injected drops.
fn producer_threads() -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .filter(|c| c.starts_with("lts-") && !c.starts_with("lts-local"))
        .count() as u64
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let secs: u64 = args
        .iter()
        .position(|a| a == "--secs")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(180);
    let server = Server::start(ServerConfig {
        sink: true,
        quotas: Quotas::unlimited(),
        request_log_capacity: 1000,
        ..Default::default()
    })
    .expect("lts-local starts");

    let mut pc = ProducerConfig::default();
    pc.set_linger_ms(200).unwrap();
    pc.set_worker_count(4).unwrap();
    pc.set_buffer_bytes(16 << 20).unwrap();
    pc.set_max_block_ms(10_000).unwrap();
    let p = Arc::new(Producer::new(pc).unwrap());
    let mut cc = ClientConfig::new(
        &server.url(),
        DEFAULT_ACCESS_KEY,
        DEFAULT_SECRET_KEY,
        "soak",
    )
    .unwrap();
    cc.profile.set("backoff_base_ms", "20").unwrap();
    cc.profile.set("backoff_cap_ms", "1000").unwrap();
    cc.set_request_timeout_ms(1000).unwrap();
    p.add_client(cc).unwrap();
    p.start().unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    // Per call: how many results it got and whether it was ok (2 bytes: the bookkeeping must
    // not be what grows). A call's log count is 1 + call % 4.
    let results: Arc<Mutex<Vec<(u8, bool)>>> = Arc::default();
    let next = Arc::new(AtomicU64::new(0));
    let senders: Vec<_> = (0..2)
        .map(|_| {
            let (p, stop, results, next) = (p.clone(), stop.clone(), results.clone(), next.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let call = next.fetch_add(1, Ordering::Relaxed);
                    let n = 1 + (call % 4) as usize;
                    let items: Vec<LogItem> = (0..n)
                        .map(|i| {
                            let mut it = LogItem::new();
                            it.set_timestamp_ns(lts::util::now_ns()).unwrap();
                            it.set_origin_msg(&format!(
                                "soak call {call} log {i} {}",
                                "x".repeat(150)
                            ))
                            .unwrap();
                            it.push_content("call", Value::Int(call as i64)).unwrap();
                            it
                        })
                        .collect();
                    let refs: Vec<&LogItem> = items.iter().collect();
                    let r = results.clone();
                    let cb = Box::new(move |res: &SendResult| {
                        let mut v = r.lock().unwrap();
                        let i = call as usize;
                        if v.len() <= i {
                            v.resize(i + 1, (0, false));
                        }
                        v[i].0 = v[i].0.saturating_add(1);
                        v[i].1 = res.error.is_none();
                    });
                    // A refused send (buffer still full after max_block) gets no callback and is
                    // not counted: only accepted sends must each get one result.
                    let _ = p.send("soak", "u", &refs, Some(cb));
                    std::thread::sleep(Duration::from_micros(200));
                }
            })
        })
        .collect();

    // Faults on and off, every 2 seconds.
    let faults = [
        json!({"fail_next": 30, "fail_json": false}),
        json!({"delay_ms": 1500}),
        json!({"delay_ms": 0, "drop_after_store": 10, "reset_mid_answer": 10}),
        json!({"throttle_next": 30}),
        json!({}),
    ];
    let t0 = Instant::now();
    let mut samples: Vec<(f64, u64, u64)> = Vec::new();
    let mut total_threads = 0;
    let mut tick = 0usize;
    while t0.elapsed() < Duration::from_secs(secs) {
        if tick % 2 == 0 {
            let f = &faults[(tick / 2) % faults.len()];
            server.state().faults.lock().unwrap().apply(f).unwrap();
            server.state().faults_changed.notify_all();
            if (tick / 2) % faults.len() == faults.len() - 1 {
                server
                    .state()
                    .tokens
                    .lock()
                    .unwrap()
                    .values_mut()
                    .for_each(|t| t.expires_ms = 0);
            }
        }
        std::thread::sleep(Duration::from_secs(1));
        samples.push((
            t0.elapsed().as_secs_f64(),
            proc_status("VmRSS:"),
            producer_threads(),
        ));
        total_threads = total_threads.max(proc_status("Threads:"));
        tick += 1;
    }
    stop.store(true, Ordering::Relaxed);
    for s in senders {
        s.join().unwrap();
    }
    *server.state().faults.lock().unwrap() = Default::default();
    server.state().faults_changed.notify_all();
    p.close(None).unwrap();

    let results = results.lock().unwrap();
    let logs_of = |call: usize| 1 + (call % 4) as u64;
    let calls = results.iter().filter(|r| r.0 > 0).count() as u64;
    // Calls refused at send time have no result (0); every other call exactly one.
    let once = results.iter().all(|r| r.0 <= 1);
    let ok_logs: u64 = results
        .iter()
        .enumerate()
        .filter(|(_, r)| r.0 == 1 && r.1)
        .map(|(i, _)| logs_of(i))
        .sum();
    let failed_logs: u64 = results
        .iter()
        .enumerate()
        .filter(|(_, r)| r.0 == 1 && !r.1)
        .map(|(i, _)| logs_of(i))
        .sum();
    let counted = server.state().stored_logs.load(Ordering::Relaxed);
    let stats = p.stats();
    // Baseline: cycles 2 and 3 of the faults (by then every fault has run once, the slow
    // answers have filled the buffer cap, and the allocator has warmed up); after them,
    // memory and threads must not grow.
    let cycle = 2 * faults.len();
    let base_start = cycle.min(samples.len().saturating_sub(1));
    let base_end = (3 * cycle).min(samples.len() * 2 / 3).max(base_start + 1);
    let peak = |range: &[(f64, u64, u64)]| {
        range
            .iter()
            .fold((0, 0), |a, s| (a.0.max(s.1), a.1.max(s.2)))
    };
    let (rss_warm, threads_warm) = peak(&samples[base_start..base_end.min(samples.len())]);
    let (rss_end, threads_max) = peak(&samples[base_end.min(samples.len())..]);
    println!("soak: {secs} s, {calls} sends with a result, {} logs accepted, {ok_logs} stored (server counted {counted}), {failed_logs} reported failed, {} retries", stats.logs_accepted, stats.retries);
    println!(
        "RSS: peak {} MiB over seconds {base_start}-{base_end} (the baseline), {} MiB after; producer threads: {threads_warm} then at most {threads_max} (whole process at most {total_threads})",
        rss_warm / 1024,
        rss_end / 1024
    );
    let per_cycle: Vec<String> = samples
        .chunks(cycle)
        .map(|c| format!("{}", c.iter().map(|s| s.1).max().unwrap_or(0) / 1024))
        .collect();
    println!(
        "peak RSS per {cycle} s fault cycle (MiB): {}",
        per_cycle.join(", ")
    );
    let mut bad = Vec::new();
    if !once {
        bad.push("a send without exactly one result".to_owned());
    }
    if counted != ok_logs {
        bad.push(format!(
            "server counted {counted} logs, {ok_logs} were reported ok"
        ));
    }
    if stats.logs_accepted != ok_logs + failed_logs {
        bad.push("accepted logs without a result".to_owned());
    }
    // Under a minute, RSS is still warming up (see RELIABILITY.md): only longer runs judge it.
    if secs >= 60 && samples.len() > base_end && rss_end > rss_warm + (rss_warm / 4).max(8 * 1024) {
        bad.push(format!("RSS grew from {rss_warm} kB to {rss_end} kB"));
    }
    if threads_max > threads_warm {
        bad.push(format!("threads grew from {threads_warm} to {threads_max}"));
    }
    if bad.is_empty() {
        println!("soak: OK");
    } else {
        println!("soak: FAILED: {}", bad.join("; "));
        std::process::exit(1);
    }
}
