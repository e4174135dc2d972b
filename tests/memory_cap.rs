//! The memory cap counts everything a batch holds: many threads sending records whose label
//! sets all differ, to a server that never answers, hold no more heap than the cap plus a
//! small fixed allowance (the threads' own encode buffers, the workers' scratch). Before the
//! label groups were counted, the same run held about 1.6 times the cap.
//!
//! Its own process (one test), with an allocator that counts live bytes, so nothing else
//! allocates meanwhile.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use lts::producer::{Producer, ProducerConfig};
use lts::{ErrorKind, LogItem, Value};

mod heap;

#[global_allocator]
static GLOBAL: heap::Counting = heap::Counting;

const CAP: usize = 16 << 20;
const THREADS: usize = 16;
/// What the process may hold beyond the cap: each sending thread's encode buffers, the
/// workers' request scratch and the producer's fixed state.
const ALLOWANCE: usize = 2 << 20;

#[test]
fn distinct_label_sets_from_many_threads_stay_within_the_cap() {
    // A server that takes connections and never answers: nothing is ever delivered.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for c in listener.incoming().flatten() {
            held.push(c);
        }
    });

    let mut pc = ProducerConfig::default();
    pc.set_buffer_bytes(CAP).unwrap();
    pc.set_worker_count(2).unwrap();
    pc.set_linger_ms(100).unwrap();
    let mut cc = lts::ClientConfig::new(&format!("http://{addr}"), "ak", "sk", "proj").unwrap();
    lts::options::set(lts::options::CLIENT, "client", &mut cc, "auth_mode", "eop").unwrap();
    lts::options::set(
        lts::options::CLIENT,
        "client",
        &mut cc,
        "request_timeout_ms",
        "600000",
    )
    .unwrap();
    let p = Arc::new(Producer::new(pc).unwrap());
    p.add_client(cc).unwrap();
    let base = heap::reset_peak();
    p.start().unwrap();

    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let p = p.clone();
            std::thread::spawn(move || {
                let (mut accepted, mut full) = (0u64, 0u64);
                let mut i = 0u64;
                while full < 2000 {
                    i += 1;
                    let mut it = LogItem::new();
                    it.set_timestamp_ns(1_700_000_000_000_000_000 + i as i64)
                        .unwrap();
                    it.set_origin_msg(&format!("thread {t} record {i}"))
                        .unwrap();
                    it.push_content("seq", Value::Int(i as i64)).unwrap();
                    it.push_content("path", Value::Str(format!("/api/v1/orders/{i:08}")))
                        .unwrap();
                    it.push_label("source", Value::Str(format!("host-{t}-{i}")))
                        .unwrap();
                    match p.send("proj", "unit", &[&it], None) {
                        Ok(()) => accepted += 1,
                        Err(e) if e.kind == ErrorKind::BufferFull => full += 1,
                        Err(e) => panic!("unexpected refusal: {e}"),
                    }
                }
                accepted
            })
        })
        .collect();
    let accepted: u64 = threads.into_iter().map(|t| t.join().unwrap()).sum();
    let stats = p.stats();
    let peak = heap::peak() - base;
    eprintln!(
        "{accepted} records accepted, each its own label set; buffered_bytes {} of a {CAP}-byte cap; \
         heap grew by at most {peak} bytes ({:.2}x the cap)",
        stats.buffered_bytes,
        peak as f64 / CAP as f64
    );
    assert!(stats.buffered_bytes <= CAP as u64, "{stats:?}");
    assert!(
        accepted > 10_000,
        "the cap held a fair number of records: {accepted}"
    );
    assert!(
        peak <= CAP + ALLOWANCE,
        "the heap grew by {peak} bytes: more than the cap ({CAP}) + {ALLOWANCE}"
    );

    p.close(Some(Duration::ZERO)).unwrap_err();
    let s = p.stats();
    assert_eq!(s.logs_accepted, accepted);
    assert_eq!(s.unaccounted(), (0, 0), "{s:?}");
}
