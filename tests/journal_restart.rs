//! Restart on a journal holding 1 GiB of undelivered batches: `Producer::new` + `start`
//! return in under 100 ms (the segments are read by a background thread), the recovery's
//! heap stays within the memory cap plus one segment (plus a small fixed allowance), and
//! every batch is delivered once.
//!
//! The journal is filled by real producers against an address where nothing listens, each
//! closing with timeout 0 (its batches stay in the journal): four rounds of 256 MiB, each
//! on a project of its own, so a round's producer leaves the earlier rounds' batches alone
//! (no client for their project) and holds only its own in memory. The server is lts-local
//! in sink mode (it verifies and counts every log, stores none), in a child process, so the
//! allocator that counts this process's heap counts only the producer.
//!
//! Its own test binary, one test: the counting allocator counts the whole process. Needs
//! about 1.1 GiB free in the target directory's file system; removes it at the end.

mod heap;

#[global_allocator]
static GLOBAL: heap::Counting = heap::Counting;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use lts::producer::{Producer, ProducerConfig};

const ROUNDS: usize = 4;
const ROUND_BYTES: usize = 256 << 20;
/// Each log: a message of this many bytes (and its timestamp and names).
const LOG_BYTES: usize = 8 << 10;
const SEGMENT: usize = 8 << 20;
/// The memory cap of the producer that recovers.
const CAP: usize = 64 << 20;
/// What the recovering process may hold beyond the cap and a segment: the producer's fixed
/// state, its workers' and threads' scratch, the scan's list of batches (a few hundred
/// bytes each), a batch being rebuilt.
const ALLOWANCE: usize = 4 << 20;

/// The child: lts-local in sink mode; prints its URL, then its stats once stdin closes.
#[test]
fn sink_server_child() {
    if std::env::var_os("LTS_RESTART_SINK_CHILD").is_none() {
        return; // only as a child
    }
    let server = lts_local::Server::start(lts_local::ServerConfig {
        sink: true,
        ..Default::default()
    })
    .unwrap();
    println!("url {}", server.url());
    std::io::stdout().flush().unwrap();
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    println!("stats {}", server.state().stats_json());
}

fn client(url: &str, project: &str) -> lts::ClientConfig {
    let mut cc = lts::ClientConfig::new(
        url,
        lts_local::DEFAULT_ACCESS_KEY,
        lts_local::DEFAULT_SECRET_KEY,
        project,
    )
    .unwrap();
    cc.profile.set("backoff_base_ms", "1").unwrap();
    cc.profile.set("backoff_cap_ms", "50").unwrap();
    lts::options::set(
        lts::options::CLIENT,
        "client",
        &mut cc,
        "compress_type",
        "none",
    )
    .unwrap();
    cc
}

fn config(dir: &Path, cap: usize) -> ProducerConfig {
    let mut c = ProducerConfig::default();
    c.set_journal_dir(dir.to_str().unwrap()).unwrap();
    c.set_journal_max_bytes(2 << 30).unwrap();
    c.set_journal_segment_bytes(SEGMENT).unwrap();
    c.set_buffer_bytes(cap).unwrap();
    c.set_linger_ms(100).unwrap();
    c
}

/// One round: a producer that cannot deliver accepts `ROUND_BYTES` of logs for `project`
/// and closes with timeout 0, leaving them in the journal. Returns the logs it accepted.
fn fill_round(dir: &Path, project: &str) -> u64 {
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);
    let p = Producer::new(config(dir, ROUND_BYTES + (32 << 20))).unwrap();
    p.add_client(client(&url, project)).unwrap();
    p.start().unwrap();
    let body = "j".repeat(LOG_BYTES);
    let n = (ROUND_BYTES / LOG_BYTES) as u64;
    for i in 0..n {
        let mut it = lts::LogItem::new();
        it.set_timestamp_ns(1_700_000_000_000_000_000 + i as i64)
            .unwrap();
        it.set_origin_msg(&body).unwrap();
        p.send(project, "restart", &[&it], None).unwrap();
    }
    let _ = p.close(Some(Duration::ZERO));
    let s = p.stats();
    assert_eq!(s.logs_accepted, n);
    assert_eq!(s.logs_sent, 0);
    n
}

fn journal_bytes(dir: &Path) -> u64 {
    lts::journal::existing_segments(dir)
        .iter()
        .map(|(_, p)| std::fs::metadata(p).unwrap().len())
        .sum()
}

#[test]
fn a_restart_on_1_gib_of_batches_starts_at_once_within_the_cap_and_delivers_each_once() {
    if std::env::var_os("LTS_RESTART_SINK_CHILD").is_some() {
        return;
    }
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("journal-restart-1gib");
    let _ = std::fs::remove_dir_all(&dir);
    let t = Instant::now();
    let mut accepted = 0;
    let projects: Vec<String> = (0..ROUNDS).map(|r| format!("restart{r}")).collect();
    for project in &projects {
        accepted += fill_round(&dir, project);
    }
    let on_disk = journal_bytes(&dir);
    let segments = lts::journal::existing_segments(&dir).len();
    println!(
        "journal filled: {accepted} logs, {segments} segments, {} MiB, in {:.1?}",
        on_disk >> 20,
        t.elapsed()
    );
    assert!(on_disk >= 1 << 30, "{on_disk} bytes");

    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "sink_server_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("LTS_RESTART_SINK_CHILD", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // The child's lines, read on a thread so a child that says nothing fails the test
    // instead of hanging it.
    let (tx, lines) = std::sync::mpsc::channel::<String>();
    let out = BufReader::new(child.stdout.take().unwrap());
    std::thread::spawn(move || {
        for line in out.lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let next_line = |what: &str| {
        lines
            .recv_timeout(Duration::from_secs(600))
            .unwrap_or_else(|_| panic!("the server child gave no {what}"))
    };
    let url = loop {
        // (After the harness's "test sink_server_child ... " on the same line.)
        if let Some((_, u)) = next_line("url").split_once("url ") {
            break u.trim().to_owned();
        }
    };

    let base = heap::reset_peak();
    let t = Instant::now();
    let p = Producer::new(config(&dir, CAP)).unwrap();
    for project in &projects {
        p.add_client(client(&url, project)).unwrap();
    }
    p.start().unwrap();
    let start = t.elapsed();
    p.close(None).unwrap();
    let drained = t.elapsed();
    let peak = heap::peak() - base;
    let s = p.stats();
    drop(p);

    drop(child.stdin.take());
    let server: serde_json::Value = loop {
        if let Some((_, stats)) = next_line("stats").split_once("stats ") {
            break serde_json::from_str(stats).unwrap();
        }
    };
    child.wait().unwrap();
    println!(
        "restart on {} MiB ({segments} segments of {} MiB): new + start {start:.1?}; \
         recovered {} batches ({} logs), delivered in {drained:.1?} ({:.0} MiB/s); \
         peak heap {:.1} MiB (cap {} MiB + segment {} MiB + allowance {} MiB); \
         server: {} logs in {} batches stored, {} repeated batches",
        on_disk >> 20,
        SEGMENT >> 20,
        s.journal_recovered_batches,
        s.journal_recovered_logs,
        on_disk as f64 / (1 << 20) as f64 / drained.as_secs_f64(),
        peak as f64 / (1 << 20) as f64,
        CAP >> 20,
        SEGMENT >> 20,
        ALLOWANCE >> 20,
        server["stored_logs"],
        server["stored_batches"],
        server["duplicate_batches"],
    );
    assert!(
        start < Duration::from_millis(100),
        "Producer::new + start took {start:?}"
    );
    assert!(
        peak <= CAP + SEGMENT + ALLOWANCE,
        "the recovery held {peak} bytes of heap: more than the cap {CAP} + a segment {SEGMENT} + {ALLOWANCE}"
    );
    assert_eq!(s.journal_recovered_logs, accepted);
    assert_eq!((s.logs_sent, s.logs_failed), (accepted, 0));
    assert_eq!(server["stored_logs"], accepted);
    assert_eq!(server["stored_batches"], s.journal_recovered_batches);
    assert_eq!(server["duplicate_batches"], 0);
    assert!(
        lts::journal::existing_segments(&dir).is_empty(),
        "every segment deleted once delivered"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
