//! Close racing sends: many short producer lives, each with several threads sending one log
//! per call while the main thread closes the producer after a random 0–10 ms. After every
//! close it checks the promise: each accepted send got exactly one callback, all of them
//! before close returned, none for a refused send, and the stats balance
//! (`logs_accepted == logs_sent + logs_failed`, `buffered_bytes == 0`).
//!
//!     cargo run --release --example close_race -- [--iterations N] [--threads T] [--seconds S] [--journal]
//!
//! Defaults: 200 iterations, 8 threads, at most 60 s (iterations stop early at the bound).
//! With `--journal` every producer life has the same journal directory: what a close with a
//! timeout leaves there is sent by the lives after it (its logs count as accepted by the life
//! that recovers them, so the balance adds `journal_recovered_logs`), and a last producer
//! drains it; then every accepted log is stored exactly once (lts-local counts the logs it
//! stores and the repeated batch ids it answers without storing) and the directory is
//! empty.
//! The test script runs it pinned to one CPU and to two (`taskset -c 0`, `taskset -c 0,1`).
//! Iterations cycle through batch counts 1, 7 and 4096 and through safe_close, close(0) and
//! close(50), so batches close on count, on close, and as close's deadline passes. Even
//! threads send through the Rust API with a boxed callback, odd ones through the C ABI
//! (`lts_producer_send` with a C callback and user data), on the same producer. lts-local
//! runs in this process.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use std::ffi::{c_void, CString};

use lts::ffi::error::{LTS_ERR_CLOSED, LTS_OK};
use lts::ffi::log_item::{handle_from as item_handle, lts_log_item, lts_log_item_free};
use lts::ffi::producer::{
    handle_for_tests as handle_from, lts_producer_free, lts_producer_send, producer_of,
};
use lts::ffi::send_result::{lts_send_result, lts_send_result_log_count};
use lts::producer::{Producer, ProducerConfig, SendResult};
use lts::{ClientConfig, ErrorKind, LogItem, Value};
use lts_local::{Quotas, Server, ServerConfig, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY};

fn arg<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> T {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[derive(Default)]
struct Totals {
    iterations: u64,
    accepted: u64,
    refused: u64,
    callbacks: u64,
    lost: u64,
    duplicated: u64,
    late: u64,
    unbalanced: u64,
    undelivered_after_safe_close: u64,
    /// With a journal: logs a producer life recovered from the lives before it.
    recovered: u64,
}

/// What one producer life saw.
#[derive(Default)]
struct Ledger {
    /// Callbacks per accepted send id.
    hits: HashMap<u64, u32>,
    /// Callbacks for ids never accepted (a refused send must get none).
    stray: u64,
}

/// What a C-ABI send's callback needs: its id and where to record it.
struct CSend {
    id: u64,
    ledger: Arc<Mutex<Ledger>>,
    close_returned: Arc<AtomicBool>,
    late: Arc<AtomicU64>,
}

/// Records a result; runs once per accepted C-ABI send and frees its context.
unsafe extern "C" fn on_c_result(user_data: *mut c_void, r: *const lts_send_result) {
    let ctx = Box::from_raw(user_data.cast::<CSend>());
    assert_eq!(lts_send_result_log_count(r), 1);
    ctx.record();
}

impl CSend {
    fn record(&self) {
        if self.close_returned.load(Ordering::SeqCst) {
            self.late.fetch_add(1, Ordering::SeqCst);
        }
        *self.ledger.lock().unwrap().hits.entry(self.id).or_insert(0) += 1;
    }
}

fn one_log(seq: u64) -> LogItem {
    let mut it = LogItem::new();
    it.set_timestamp_ns(lts::util::now_ns()).unwrap();
    it.set_origin_msg(&format!("close race log {seq}")).unwrap();
    it.push_content("seq", Value::Int(seq as i64)).unwrap();
    it
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let iterations: u64 = arg(&args, "--iterations", 200);
    let threads: u64 = arg(&args, "--threads", 8);
    let seconds: u64 = arg(&args, "--seconds", 60);
    let journal = args
        .iter()
        .any(|a| a == "--journal")
        .then(|| std::env::temp_dir().join(format!("lts-close-race-{}", std::process::id())));
    if let Some(dir) = &journal {
        let _ = std::fs::remove_dir_all(dir);
    }
    // Closes that run out of time are the point here; their log lines would be thousands.
    lts::log::set_level(lts::log::OFF);
    let server = Server::start(ServerConfig {
        sink: true,
        quotas: Quotas::unlimited(),
        request_log_capacity: 100,
        ..Default::default()
    })
    .expect("lts-local starts");
    let mut client = ClientConfig::new(
        &server.url(),
        DEFAULT_ACCESS_KEY,
        DEFAULT_SECRET_KEY,
        "proj",
    )
    .unwrap();
    client.profile.set("backoff_base_ms", "1").unwrap();

    let started = Instant::now();
    let mut t = Totals::default();
    let mut rng_state = 0x9e37_79b9_7f4a_7c15u64 ^ u64::from(std::process::id());
    let mut next_random = move || {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        rng_state
    };
    for i in 0..iterations {
        if started.elapsed() > Duration::from_secs(seconds) {
            break;
        }
        let batch_count = [1u32, 7, 4096][(i % 3) as usize];
        let close_with = [None, Some(0u64), Some(50)][((i / 3) % 3) as usize];
        let mut pc = ProducerConfig::default();
        pc.set_batch_count(batch_count).unwrap();
        pc.set_linger_ms(100).unwrap();
        pc.set_worker_count(2).unwrap();
        if let Some(dir) = &journal {
            pc.set_journal_dir(dir.to_str().unwrap()).unwrap();
        }
        let handle = handle_from(Producer::new(pc).unwrap());
        // SAFETY: the handle is freed only after the last use of `p`, below.
        let p: &Producer = unsafe { producer_of(handle) };
        p.add_client(client.clone()).unwrap();
        p.start().unwrap();

        let ledger = Arc::new(Mutex::new(Ledger::default()));
        let close_returned = Arc::new(AtomicBool::new(false));
        let late = Arc::new(AtomicU64::new(0));
        let accepted_ids: Mutex<Vec<u64>> = Mutex::new(Vec::new());
        let refused = AtomicU64::new(0);
        let delay = Duration::from_micros(next_random() % 10_000);
        let handle_addr = handle as usize;
        let close_result = std::thread::scope(|s| {
            for thread in 0..threads {
                let (ledger, accepted_ids, refused) = (&ledger, &accepted_ids, &refused);
                let (close_returned, late) = (close_returned.clone(), late.clone());
                s.spawn(move || {
                    let (project, unit) =
                        (CString::new("proj").unwrap(), CString::new("unit").unwrap());
                    let mut mine = Vec::new();
                    for seq in 0u64.. {
                        let id = (thread << 40) | seq;
                        let ctx = CSend {
                            id,
                            ledger: ledger.clone(),
                            close_returned: close_returned.clone(),
                            late: late.clone(),
                        };
                        let closed = if thread % 2 == 0 {
                            let item = one_log(id);
                            let cb = Box::new(move |_: &SendResult| ctx.record());
                            match p.send("proj", "unit", &[&item], Some(cb)) {
                                Ok(()) => {
                                    mine.push(id);
                                    false
                                }
                                Err(e) => {
                                    refused.fetch_add(1, Ordering::SeqCst);
                                    e.kind == ErrorKind::Closed
                                }
                            }
                        } else {
                            let item = item_handle(one_log(id));
                            let items = [item as *const lts_log_item];
                            let ctx = Box::into_raw(Box::new(ctx));
                            // SAFETY: a live producer handle (freed after this scope), a live
                            // item, and a context the callback frees.
                            let r = unsafe {
                                lts_producer_send(
                                    handle_addr as *mut _,
                                    project.as_ptr(),
                                    unit.as_ptr(),
                                    items.as_ptr(),
                                    1,
                                    Some(on_c_result),
                                    ctx.cast(),
                                )
                            };
                            unsafe { lts_log_item_free(item) };
                            if r == LTS_OK {
                                mine.push(id);
                                false
                            } else {
                                // Refused: the callback never runs, so the context is ours.
                                drop(unsafe { Box::from_raw(ctx) });
                                refused.fetch_add(1, Ordering::SeqCst);
                                r == LTS_ERR_CLOSED
                            }
                        };
                        if closed {
                            break;
                        }
                        // A full buffer or another refusal: keep racing.
                    }
                    accepted_ids.lock().unwrap().extend(mine);
                });
            }
            std::thread::sleep(delay);
            let r = p.close(close_with.map(Duration::from_millis));
            close_returned.store(true, Ordering::SeqCst);
            r
        });

        let stats = p.stats();
        let accepted_ids = accepted_ids.into_inner().unwrap();
        let mut ledger = ledger.lock().unwrap();
        t.iterations += 1;
        t.accepted += accepted_ids.len() as u64;
        t.refused += refused.load(Ordering::SeqCst);
        t.late += late.load(Ordering::SeqCst);
        for id in &accepted_ids {
            match ledger.hits.remove(id) {
                None | Some(0) => t.lost += 1,
                Some(1) => t.callbacks += 1,
                Some(n) => {
                    t.callbacks += u64::from(n);
                    t.duplicated += 1;
                }
            }
        }
        ledger.stray += ledger.hits.len() as u64;
        t.duplicated += ledger.stray;
        t.recovered += stats.journal_recovered_logs;
        let balanced = stats.logs_accepted
            == accepted_ids.len() as u64 + stats.journal_recovered_logs
            && stats.logs_accepted == stats.logs_sent + stats.logs_failed
            && stats.buffered_bytes == 0;
        if !balanced || close_result.is_err() && close_with.is_none() {
            t.unbalanced += 1;
            eprintln!(
                "iteration {i}: close {:?} with batch count {batch_count}: {close_result:?}; {} accepted, {stats:?}",
                close_with,
                accepted_ids.len()
            );
        }
        if close_with.is_none() {
            t.undelivered_after_safe_close += stats.logs_failed;
        }
        drop(ledger);
        // SAFETY: every sender has returned (the scope joined them) and `p` is not used again.
        unsafe { lts_producer_free(handle) };
    }

    println!(
        "close race: {} iterations, {threads} threads, {} sends accepted, {} refused, {} callbacks; \
         lost {}, duplicated {}, after close returned {}, unbalanced stats {}, failed after safe_close {} ({:.1} s)",
        t.iterations,
        t.accepted,
        t.refused,
        t.callbacks,
        t.lost,
        t.duplicated,
        t.late,
        t.unbalanced,
        t.undelivered_after_safe_close,
        started.elapsed().as_secs_f64()
    );
    let mut failed = t.lost + t.duplicated + t.late + t.unbalanced + t.undelivered_after_safe_close;
    if let Some(dir) = &journal {
        failed += drain_journal(dir, &client, &server, t.accepted, t.recovered);
    }
    if failed > 0 || t.iterations == 0 {
        eprintln!("close race: FAILED");
        std::process::exit(1);
    }
}

/// With a journal: a last producer sends what the lives before it left, then every accepted
/// log must be stored exactly once and the directory hold nothing but its lock. Returns the
/// number of failed checks.
fn drain_journal(
    dir: &std::path::Path,
    client: &ClientConfig,
    server: &Server,
    accepted: u64,
    recovered: u64,
) -> u64 {
    let mut pc = ProducerConfig::default();
    pc.set_journal_dir(dir.to_str().unwrap()).unwrap();
    let p = Producer::new(pc).unwrap();
    p.add_client(client.clone()).unwrap();
    p.start().unwrap();
    let closed = p.close(None);
    let s = p.stats();
    let stored = server.state().stored_logs.load(Ordering::SeqCst);
    let repeated = server.state().duplicate_batches.load(Ordering::SeqCst);
    let left: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n != "lock")
                .collect()
        })
        .unwrap_or_default();
    println!(
        "close race, journal: {accepted} logs accepted, {} recovered by later lives and {} by the drain; \
         stored {stored} (repeated batch ids answered without storing: {repeated}); left in the directory: {left:?}",
        recovered,
        s.journal_recovered_logs
    );
    let mut failed = 0;
    if closed.is_err() || s.logs_failed > 0 || s.logs_accepted != s.logs_sent {
        eprintln!("the drain: {closed:?}, {s:?}");
        failed += 1;
    }
    if stored != accepted {
        eprintln!("stored {stored} logs, accepted {accepted}: each must be stored exactly once");
        failed += 1;
    }
    if !left.is_empty() {
        failed += 1;
    }
    let _ = std::fs::remove_dir_all(dir);
    failed
}
