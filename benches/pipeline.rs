//! `cargo bench --bench pipeline`: the producer's pipeline — send, batching, protobuf, lz4 —
//! with only the HTTP request replaced by an in-process sink, on one worker thread, beside
//! lz4 alone on the same serialized bytes, for the project's two bench shapes.
//!
//! Sends go through the C entry point `lts_producer_send`, one log per call, no callback,
//! from one thread. Each figure is the median of 5 runs after a warm-up run; every run checks
//! that every log was delivered. The send cost from C and end to end over loopback are
//! measured by `benches/c/lts_bench.c` (see `scripts/bench.sh`, which runs both).
//!
//! Set LTS_BENCH_LOGS to change the number of logs per run (default 1,000,000). The last
//! lines are `key=value` figures for the suite's table.

#[path = "shapes.rs"]
mod shapes;

use std::ffi::CString;
use std::time::{Duration, Instant};

use lts::encode::BatchBuilder;
use lts::ffi::error::LTS_OK;
use lts::ffi::log_item::{handle_from as item_handle, lts_log_item, lts_log_item_free};
use lts::ffi::producer::{
    handle_for_tests as handle_from, lts_producer_free, lts_producer_get_stats,
    lts_producer_safe_close, lts_producer_send, lts_producer_stats,
};
use lts::producer::{Producer, ProducerConfig};
use lts::ClientConfig;

const POOL: usize = 4096;
const RUNS: usize = 5;

/// The same logs as Rust items (for lz4 alone) and as C handles (for sends).
fn pool(shape: fn(u64, i64) -> lts::LogItem) -> (Vec<lts::LogItem>, Vec<*mut lts_log_item>) {
    let now = lts::util::now_ns();
    let items: Vec<lts::LogItem> = (0..POOL as u64).map(|i| shape(i, now)).collect();
    let handles = items.iter().map(|it| item_handle(it.clone())).collect();
    (items, handles)
}

/// A started producer whose one worker hands each finished request to a sink.
fn producer() -> Producer {
    let mut pc = ProducerConfig::default();
    pc.set_worker_count(1).unwrap();
    pc.set_buffer_bytes(1 << 30).unwrap();
    let p = Producer::new(pc).unwrap();
    let cc = ClientConfig::new("http://127.0.0.1:1", "ak", "sk", "bench")
        .unwrap()
        .sink_for_benchmarks();
    p.add_client(cc).unwrap();
    p.start().unwrap();
    p
}

/// Sends `n` logs one per call through the C entry point; returns the wall time until
/// safe_close has delivered everything, and the raw bytes delivered.
fn run(items: &[*mut lts_log_item], n: usize) -> (Duration, u64) {
    let handle = handle_from(producer());
    let project = CString::new("bench").unwrap();
    let unit = CString::new("unit").unwrap();
    let t0 = Instant::now();
    for i in 0..n {
        let one = [items[i % items.len()] as *const lts_log_item];
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

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

/// lz4 alone, in raw MB/s, on one batch of these logs as the pipeline closes it (512 KiB).
fn lz4_alone(logs: &[lts::LogItem]) -> (f64, usize, usize, f64) {
    let mut batch = BatchBuilder::new();
    for it in logs.iter().cycle() {
        if batch.raw_size() >= lts::producer::config::DEFAULT_BATCH_SIZE {
            break;
        }
        batch.merge(BatchBuilder::from_logs(&[it]).expect("complete logs"));
    }
    let raw = batch.to_logs_data();
    let mut rates = Vec::new();
    for _ in 0..RUNS {
        let reps = 200;
        let t = Instant::now();
        let mut out = 0;
        for _ in 0..reps {
            out +=
                std::hint::black_box(lz4_flex::block::compress(std::hint::black_box(&raw))).len();
        }
        rates.push((raw.len() * reps) as f64 / 1e6 / t.elapsed().as_secs_f64());
        std::hint::black_box(out);
    }
    let ratio = raw.len() as f64 / lz4_flex::block::compress(&raw).len() as f64;
    (median(rates), raw.len(), batch.log_count(), ratio)
}

fn main() {
    let n: usize = std::env::var("LTS_BENCH_LOGS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    println!(
        "liblts {} pipeline benchmark: {n} logs per run, median of {RUNS} runs after a warm-up",
        lts::VERSION
    );
    let mut figures = Vec::new();
    for (name, shape) in [
        ("wide", shapes::wide as fn(u64, i64) -> lts::LogItem),
        ("small", shapes::small),
    ] {
        let (logs, items) = pool(shape);
        let one = BatchBuilder::from_logs(&[&logs[0]]).unwrap().raw_size();
        let _ = run(&items, n / 10);
        let (mut rates, mut mbs, mut per_cpu) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..RUNS {
            let c0 = cpu_seconds();
            let (t, bytes) = run(&items, n);
            per_cpu.push(n as f64 / (cpu_seconds() - c0));
            rates.push(n as f64 / t.as_secs_f64());
            mbs.push(bytes as f64 / 1e6 / t.as_secs_f64());
        }
        let (rate, mb, cpu) = (median(rates), median(mbs), median(per_cpu));
        let (lz_mb, raw_len, raw_logs, cr) = lz4_alone(&logs);
        println!(
            "{name} ({one} raw bytes for one log alone): pipeline {rate:.0} logs/s, {mb:.1} MB/s raw, \
             {cpu:.0} logs per CPU-second; lz4 alone on a {raw_len}-byte batch of {raw_logs} logs: \
             {lz_mb:.1} MB/s (compression ratio {cr:.2}); pipeline time / lz4 time {:.2}",
            lz_mb / mb
        );
        figures.push(format!("{name}_pipeline_logs_per_s={rate:.0}"));
        figures.push(format!("{name}_pipeline_raw_mb_per_s={mb:.1}"));
        figures.push(format!("{name}_pipeline_logs_per_cpu_s={cpu:.0}"));
        figures.push(format!("{name}_lz4_alone_mb_per_s={lz_mb:.1}"));
        figures.push(format!("{name}_pipeline_over_lz4={:.2}", lz_mb / mb));
        for h in items {
            unsafe { lts_log_item_free(h) };
        }
    }
    for f in figures {
        println!("{f}");
    }
}
