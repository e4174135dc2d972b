//! `cargo bench --bench pipeline`: the producer's figures for the `wide` log shape.
//!
//! 1. the caller's cost of one `lts_producer_send` (1 log, no callback): median, p99, p999;
//! 2. the pipeline — send, batching, protobuf encoding, lz4 — with only the HTTP request
//!    replaced by a sink, on one worker thread: logs/s and raw MB/s; beside it lz4 alone on
//!    the same serialized bytes;
//! 3. end to end into `lts-local --sink` over loopback (8 workers): logs/s and raw MB/s.
//!
//! Each throughput figure is the median of 3 runs after a warm-up run. Set LTS_BENCH_LOGS
//! to change the number of logs per run (default 1,000,000).

#[path = "shapes.rs"]
mod shapes;

use std::ffi::CString;
use std::time::{Duration, Instant};

use lts::encode::BatchBuilder;
use lts::ffi::error::LTS_OK;
use lts::ffi::log_item::{handle_from as item_handle, lts_log_item, lts_log_item_free};
use lts::ffi::producer::{
    handle_from, lts_producer_free, lts_producer_get_stats, lts_producer_safe_close,
    lts_producer_send, lts_producer_stats,
};
use lts::producer::{Producer, ProducerConfig};
use lts::ClientConfig;
use lts_local::{Quotas, Server, ServerConfig, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY};

const POOL: usize = 4096;

/// The same logs as Rust items (for sizes and lz4 alone) and as C handles (for sends).
fn pool(shape: fn(u64, i64) -> lts::LogItem) -> (Vec<lts::LogItem>, Vec<*mut lts_log_item>) {
    let now = lts::util::now_ns();
    let items: Vec<lts::LogItem> = (0..POOL as u64).map(|i| shape(i, now)).collect();
    let handles = items.iter().map(|it| item_handle(it.clone())).collect();
    (items, handles)
}

fn producer(endpoint: &str, sink: bool, workers: u32) -> Producer {
    let mut pc = ProducerConfig::default();
    pc.set_worker_count(workers).unwrap();
    pc.set_buffer_bytes(1 << 30).unwrap();
    let p = Producer::new(pc).unwrap();
    let mut cc =
        ClientConfig::new(endpoint, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, "bench").unwrap();
    if sink {
        cc = cc.sink_for_benchmarks();
    }
    p.add_client(cc).unwrap();
    p.start().unwrap();
    p
}

/// Sends `n` logs one per call through the C entry point; returns the wall time until
/// safe_close has delivered everything, and the raw bytes accepted.
fn run(
    p: Producer,
    items: &[*mut lts_log_item],
    n: usize,
    latencies: Option<&mut Vec<u32>>,
) -> (Duration, u64) {
    let handle = handle_from(p);
    let project = CString::new("bench").unwrap();
    let unit = CString::new("unit").unwrap();
    let t0 = Instant::now();
    let mut lat = latencies;
    for i in 0..n {
        let one = [items[i % items.len()] as *const lts_log_item];
        let s = Instant::now();
        let r = unsafe {
            lts_producer_send(
                handle,
                project.as_ptr(),
                unit.as_ptr(),
                one.as_ptr(),
                1,
                None,
                std::ptr::null_mut(),
            )
        };
        if let Some(l) = lat.as_mut() {
            l.push(s.elapsed().as_nanos().min(u128::from(u32::MAX)) as u32);
        }
        assert_eq!(r, LTS_OK, "send {i} refused");
    }
    assert_eq!(unsafe { lts_producer_safe_close(handle) }, LTS_OK);
    let took = t0.elapsed();
    let mut stats: lts_producer_stats = unsafe { std::mem::zeroed() };
    stats.struct_size = std::mem::size_of::<lts_producer_stats>() as u32;
    assert_eq!(
        unsafe { lts_producer_get_stats(handle, &mut stats) },
        LTS_OK
    );
    assert_eq!(stats.logs_sent as usize, n, "every log delivered");
    unsafe { lts_producer_free(handle) };
    (took, stats.bytes_sent)
}

/// CPU seconds (user + system) this process has used so far, all threads.
fn cpu_seconds() -> f64 {
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(u.ru_utime) + tv(u.ru_stime)
}

/// Two threads each send n/2 logs through one producer (sink transport, 1 worker); the
/// caller's cost of each send, both threads' samples merged.
fn two_thread_send_cost(items: &[*mut lts_log_item], n: usize) -> (u32, u32, u32) {
    let handle = handle_from(producer("http://127.0.0.1:1", true, 1)) as usize;
    let ptrs: Vec<usize> = items.iter().map(|&p| p as usize).collect();
    let threads: Vec<_> = (0..2)
        .map(|t| {
            let ptrs = ptrs.clone();
            std::thread::spawn(move || {
                let (project, unit) = (
                    CString::new("bench").unwrap(),
                    CString::new("unit").unwrap(),
                );
                let mut lat = Vec::with_capacity(n / 2);
                for i in 0..n / 2 {
                    let one = [ptrs[(i * 2 + t) % ptrs.len()] as *const lts_log_item];
                    let s = Instant::now();
                    let r = unsafe {
                        lts_producer_send(
                            handle as *mut _,
                            project.as_ptr(),
                            unit.as_ptr(),
                            one.as_ptr(),
                            1,
                            None,
                            std::ptr::null_mut(),
                        )
                    };
                    lat.push(s.elapsed().as_nanos().min(u128::from(u32::MAX)) as u32);
                    assert_eq!(r, LTS_OK);
                }
                lat
            })
        })
        .collect();
    let mut lat: Vec<u32> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    unsafe {
        assert_eq!(lts_producer_safe_close(handle as *mut _), LTS_OK);
        lts_producer_free(handle as *mut _);
    }
    lat.sort_unstable();
    (pct(&lat, 0.5), pct(&lat, 0.99), pct(&lat, 0.999))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn pct(sorted: &[u32], p: f64) -> u32 {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

fn main() {
    let n: usize = std::env::var("LTS_BENCH_LOGS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let (logs, items) = pool(shapes::wide);
    let raw_per_log = BatchBuilder::from_items(&[&logs[0]]).raw_size();
    println!(
        "liblts {} — wide shape, {raw_per_log} raw bytes for one log alone; {n} logs per run",
        lts::VERSION
    );

    // 1. Caller's cost of send (sink transport, 1 worker).
    let _ = run(
        producer("http://127.0.0.1:1", true, 1),
        &items,
        n / 10,
        None,
    );
    let mut lat = Vec::with_capacity(n);
    run(
        producer("http://127.0.0.1:1", true, 1),
        &items,
        n,
        Some(&mut lat),
    );
    lat.sort_unstable();
    println!(
        "send (caller's cost, 1 log per call): median {} ns, p99 {} ns, p999 {} ns",
        pct(&lat, 0.5),
        pct(&lat, 0.99),
        pct(&lat, 0.999)
    );

    // 2. Pipeline with a sink in place of HTTP, one worker.
    let mut rates = Vec::new();
    let mut mbs = Vec::new();
    let mut per_cpu = Vec::new();
    let _ = run(
        producer("http://127.0.0.1:1", true, 1),
        &items,
        n / 10,
        None,
    );
    for _ in 0..3 {
        let c0 = cpu_seconds();
        let (t, bytes) = run(producer("http://127.0.0.1:1", true, 1), &items, n, None);
        per_cpu.push(n as f64 / (cpu_seconds() - c0));
        rates.push(n as f64 / t.as_secs_f64());
        mbs.push(bytes as f64 / 1e6 / t.as_secs_f64());
    }
    let (pipe_rate, pipe_mb) = (median(rates), median(mbs));
    println!(
        "pipeline (sink; 1 sending thread + 1 worker): {pipe_rate:.0} logs/s, {pipe_mb:.1} MB/s raw; {:.0} logs per CPU-second",
        median(per_cpu)
    );

    // lz4 alone on the same serialized bytes: one batch as the pipeline closes it (512 KiB).
    let mut batch = BatchBuilder::new();
    for it in logs.iter().cycle() {
        if batch.raw_size() >= lts::producer::config::DEFAULT_BATCH_SIZE {
            break;
        }
        batch.push(it);
    }
    let raw = batch.to_logs_data();
    let mut lz = Vec::new();
    for _ in 0..3 {
        let reps = 200;
        let t = Instant::now();
        let mut out = 0;
        for _ in 0..reps {
            out +=
                std::hint::black_box(lz4_flex::block::compress(std::hint::black_box(&raw))).len();
        }
        let secs = t.elapsed().as_secs_f64();
        lz.push((raw.len() * reps) as f64 / 1e6 / secs);
        std::hint::black_box(out);
    }
    let lz_mb = median(lz);
    let ratio = raw.len() as f64 / lz4_flex::block::compress(&raw).len() as f64;
    println!(
        "lz4 alone on a {}-byte batch of {} logs: {lz_mb:.1} MB/s raw (compression ratio {ratio:.2}); pipeline / lz4-alone time ratio {:.2}",
        raw.len(),
        batch.log_count(),
        lz_mb / pipe_mb
    );

    // 1b/2b. The same for the small shape, and the send cost with two sending threads.
    let (small_logs, small_items) = pool(shapes::small);
    let small_raw = BatchBuilder::from_items(&[&small_logs[0]]).raw_size();
    let _ = run(
        producer("http://127.0.0.1:1", true, 1),
        &small_items,
        n / 10,
        None,
    );
    let mut lat = Vec::with_capacity(n);
    run(
        producer("http://127.0.0.1:1", true, 1),
        &small_items,
        n,
        Some(&mut lat),
    );
    lat.sort_unstable();
    println!(
        "small shape ({small_raw} raw bytes alone): send median {} ns, p99 {} ns, p999 {} ns",
        pct(&lat, 0.5),
        pct(&lat, 0.99),
        pct(&lat, 0.999)
    );
    let mut rates = Vec::new();
    for _ in 0..3 {
        let (t, _) = run(
            producer("http://127.0.0.1:1", true, 1),
            &small_items,
            n,
            None,
        );
        rates.push(n as f64 / t.as_secs_f64());
    }
    println!(
        "small shape pipeline (sink; 1 sending thread + 1 worker): {:.0} logs/s",
        median(rates)
    );
    for (label, its) in [("wide", &items), ("small", &small_items)] {
        let (med, p99, p999) = two_thread_send_cost(its, n);
        println!(
            "{label} shape, 2 sending threads: send median {med} ns, p99 {p99} ns, p999 {p999} ns"
        );
    }

    // 3. End to end into lts-local --sink over loopback.
    let server = Server::start(ServerConfig {
        sink: true,
        quotas: Quotas::unlimited(),
        ..Default::default()
    })
    .unwrap();
    let e2e_n = n / 2;
    let _ = run(producer(&server.url(), false, 8), &items, e2e_n / 10, None);
    let mut rates = Vec::new();
    let mut mbs = Vec::new();
    let mut cpu_per_gb = Vec::new();
    for _ in 0..3 {
        let c0 = cpu_seconds();
        let (t, bytes) = run(producer(&server.url(), false, 8), &items, e2e_n, None);
        cpu_per_gb.push((cpu_seconds() - c0) / (bytes as f64 / 1e9));
        rates.push(e2e_n as f64 / t.as_secs_f64());
        mbs.push(bytes as f64 / 1e6 / t.as_secs_f64());
    }
    let stored = server.state().stats_json()["stored_logs"].as_u64().unwrap();
    assert_eq!(
        stored as usize,
        e2e_n / 10 + 3 * e2e_n,
        "the server counted every log"
    );
    println!(
        "end to end into lts-local --sink (loopback, 8 workers): {:.0} logs/s, {:.1} MB/s raw; {:.1} CPU-s per raw GB (client and server share this process)",
        median(rates),
        median(mbs),
        median(cpu_per_gb)
    );
    for h in items.into_iter().chain(small_items) {
        unsafe { lts_log_item_free(h) };
    }
}
