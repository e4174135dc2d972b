//! Per-unit state is bounded: a producer that sends to 200,000 distinct (project, unit)
//! pairs keeps entries only for units with something buffered plus `idle_units_max` idle
//! ones, gives the rest of its memory back, and folds the retired units' counts into
//! `units_retired`; a stats report over 200,000 live units never keeps a send waiting for
//! long (the units are read in chunks, the JSON built outside the lock a send needs).
//!
//! Its own process (one test), with an allocator that counts live bytes.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use lts::producer::{Producer, ProducerConfig};
use lts::{LogItem, Value};

mod heap;

#[global_allocator]
static GLOBAL: heap::Counting = heap::Counting;

const UNITS: usize = 200_000;
const CAP: usize = 64 << 20;
const IDLE_KEPT: usize = 1000;

fn log(i: usize) -> LogItem {
    let mut it = LogItem::new();
    it.set_timestamp_ns(1_700_000_000_000_000_000 + i as i64)
        .unwrap();
    it.set_origin_msg("a log").unwrap();
    it.push_content("seq", Value::Int(i as i64)).unwrap();
    it
}

fn producer(f: impl FnOnce(&mut ProducerConfig)) -> Producer {
    let mut pc = ProducerConfig::default();
    pc.set_worker_count(2).unwrap();
    f(&mut pc);
    let p = Producer::new(pc).unwrap();
    // The client delivers nowhere and reports success: only the producer's memory is seen.
    let cc = lts::ClientConfig::new("http://127.0.0.1:1", "ak", "sk", "proj")
        .unwrap()
        .sink_for_benchmarks();
    p.add_client(cc).unwrap();
    p.start().unwrap();
    p
}

fn wait_all_reported(p: &Producer) {
    let end = Instant::now() + Duration::from_secs(120);
    loop {
        let s = p.stats();
        if s.logs_sent + s.logs_failed == s.logs_accepted && s.buffered_bytes == 0 {
            return;
        }
        assert!(Instant::now() < end, "not all reported: {s:?}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn many_units_keep_bounded_state_and_stats_never_stall_sends() {
    let base = heap::reset_peak();

    // 1. Every unit once, from two threads: batches open, close on linger, are delivered.
    let p = Arc::new(producer(|pc| {
        pc.set_linger_ms(100).unwrap();
        pc.set_buffer_bytes(CAP).unwrap();
        pc.set_max_block_ms(60_000).unwrap();
        pc.idle_units_max = IDLE_KEPT;
    }));
    let senders: Vec<_> = (0..2)
        .map(|t| {
            let p = p.clone();
            std::thread::spawn(move || {
                for i in (t..UNITS).step_by(2) {
                    p.send("proj", &format!("unit-{i}"), &[&log(i)], None)
                        .unwrap();
                }
            })
        })
        .collect();
    for s in senders {
        s.join().unwrap();
    }
    p.flush().unwrap();
    wait_all_reported(&p);
    let peak = heap::peak() - base;
    let kept = heap::live().saturating_sub(base);
    let report: serde_json::Value = serde_json::from_str(&p.stats_json()).unwrap();
    let units = report["units"].as_array().unwrap();
    let retired = &report["units_retired"];
    eprintln!(
        "{UNITS} units: heap peak +{:.1} MiB (cap {} MiB), +{:.1} MiB kept once delivered; \
         {} entries kept, {} retired; stats JSON {} bytes",
        peak as f64 / 1048576.0,
        CAP >> 20,
        kept as f64 / 1048576.0,
        units.len(),
        retired["units"],
        p.stats_json().len()
    );
    assert!(peak <= CAP + (16 << 20), "peak heap +{peak} bytes");
    assert!(
        kept <= 8 << 20,
        "{kept} bytes kept after every unit went idle"
    );
    assert_eq!(
        units.len(),
        IDLE_KEPT,
        "idle entries beyond the bound retired"
    );
    assert_eq!(
        retired["units"].as_u64().unwrap() as usize + units.len(),
        UNITS
    );
    // Kept and retired entries add up to the totals.
    for key in ["logs_accepted", "logs_sent", "bytes_accepted", "bytes_sent"] {
        let kept: u64 = units.iter().map(|u| u[key].as_u64().unwrap()).sum();
        assert_eq!(
            kept + retired[key].as_u64().unwrap(),
            report[key].as_u64().unwrap(),
            "{key}"
        );
    }
    assert_eq!(report["logs_sent"].as_u64().unwrap(), UNITS as u64);
    p.close(None).unwrap();
    let s = p.stats();
    assert_eq!(s.unaccounted(), (0, 0), "{s:?}");
    drop(p);

    // 2. 200,000 units live at once (long linger): a send waits little during a stats call.
    let p = Arc::new(producer(|pc| {
        pc.set_linger_ms(600_000).unwrap();
        pc.set_buffer_bytes(2 << 30).unwrap();
    }));
    for i in 0..UNITS {
        p.send("proj", &format!("unit-{i}"), &[&log(i)], None)
            .unwrap();
    }
    let reporting = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicBool::new(false));
    let sender = {
        let (p, reporting, done) = (p.clone(), reporting.clone(), done.clone());
        std::thread::spawn(move || {
            let (mut worst, mut during) = (Duration::ZERO, 0u64);
            let mut i = 0;
            while !done.load(Ordering::SeqCst) {
                let it = log(i);
                let was = reporting.load(Ordering::SeqCst);
                let t = Instant::now();
                p.send("proj", &format!("unit-{}", i % 1000), &[&it], None)
                    .unwrap();
                let took = t.elapsed();
                if was && reporting.load(Ordering::SeqCst) {
                    worst = worst.max(took);
                    during += 1;
                }
                i += 1;
            }
            (worst, during)
        })
    };
    let mut took = Duration::ZERO;
    let mut json_len = 0;
    for _ in 0..2 {
        reporting.store(true, Ordering::SeqCst);
        let t = Instant::now();
        json_len = p.stats_json().len();
        took = took.max(t.elapsed());
        reporting.store(false, Ordering::SeqCst);
    }
    done.store(true, Ordering::SeqCst);
    let (worst, during) = sender.join().unwrap();
    eprintln!(
        "stats of {UNITS} live units: {json_len} bytes of JSON in at most {took:?}; \
         {during} sends meanwhile, the slowest {worst:?}"
    );
    assert!(during > 0, "sends ran during the stats calls");
    // Before, the unit list was built under the lock a send takes: a send waited for all
    // of it (235 ms of a 711 ms call in a release build, several times that in a debug
    // one). Now it waits for a chunk of a few hundred units at most (well under a
    // millisecond; the bound leaves room for a busy machine's scheduling).
    assert!(
        worst < Duration::from_millis(500),
        "a send waited {worst:?} during a stats call that took {took:?}"
    );
    p.close(None).unwrap();
    assert_eq!(p.stats().unaccounted(), (0, 0));
}
