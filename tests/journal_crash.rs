//! The journal across processes, with C programs against the built library (natively: the
//! kill test is about timing, and valgrind leak-checks a forked child's deliberately
//! unreleased parent producer):
//!
//! - `kill -9` at random moments: tests/c/journal_kill.c sends from 4 threads and is killed
//!   with SIGKILL 50 times, restarted on the same journal directory each time, then a last
//!   run drains; every log whose send returned `LTS_OK` is stored exactly once by lts-local
//!   (storing to a data file), and no log is stored twice. `LTS_KILL_SEED=<seed>` reruns the
//!   same kill moments, `LTS_KILLS=<n>` changes their number.
//! - A second process on a directory a producer holds is refused, naming that process, and
//!   touches none of its files.
//! - fork: a child's `lts_producer_after_fork` producer has no journal and the parent's
//!   directory stays byte-for-byte as it was (tests/c/journal_fork.c).

mod c_build;
mod common;

use std::collections::HashMap;
use std::io::BufRead;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use c_build::*;
use lts::producer::{Producer, ProducerConfig};
use rand::{Rng, SeedableRng};
use serde_json::json;

/// A fresh directory for a test's files (removed first if an earlier run left it).
fn work_dir(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("journal-crash-{name}"));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn kill_program() -> &'static Path {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    EXE.get_or_init(|| {
        compile(
            "cc",
            &[C_FLAGS, &["-O2", "-pthread"]].concat(),
            &["tests/c/journal_kill.c"],
            "journal_kill",
            true,
        )
    })
}

fn dead_endpoint() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}", l.local_addr().unwrap())
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().map(|v| {
        v.parse()
            .unwrap_or_else(|_| panic!("{name}={v}: not a number"))
    })
}

/// What a killed run left in its stats file (the last snapshot it wrote), if anything.
#[derive(Debug, Default, Clone, Copy)]
struct RunStats {
    start_us: u64,
    recovered_batches: u64,
    recovered_logs: u64,
    damaged: u64,
    errors: u64,
}

fn read_run_stats(path: &Path) -> Option<RunStats> {
    let b = std::fs::read(path).ok()?;
    let w: Vec<u64> = b
        .chunks_exact(8)
        .take(8)
        .map(|c| u64::from_ne_bytes(c.try_into().unwrap()))
        .collect();
    if w.len() != 8 || w[0] != 0x4c54534b494c4c31 || w[..7].iter().fold(0, |a, x| a ^ x) != w[7] {
        return None;
    }
    Some(RunStats {
        start_us: w[1],
        recovered_batches: w[2],
        recovered_logs: w[3],
        damaged: w[4],
        errors: w[5],
    })
}

/// Every log message stored for unit "crash", by how many times, from the data file.
fn stored_messages(data: &Path) -> HashMap<String, u32> {
    let mut n = HashMap::new();
    let f = std::fs::File::open(data).expect("the data file");
    for line in std::io::BufReader::new(f).lines() {
        let line = line.unwrap();
        let v: serde_json::Value = serde_json::from_str(&line).expect("a stored log");
        if v["unit"] == "crash" {
            *n.entry(v["origin_msg"].as_str().unwrap().to_owned())
                .or_default() += 1;
        }
    }
    n
}

/// Every log whose send returned LTS_OK, from the runs' files of 16-byte records (run,
/// thread, send, logs); a torn last record (the kill hit its write) is no record.
fn accepted_messages(ok_dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(ok_dir).unwrap() {
        let path = e.unwrap().path();
        if path.extension().is_some_and(|x| x == "ok") {
            for rec in std::fs::read(&path).unwrap().chunks_exact(16) {
                let w: Vec<u32> = rec
                    .chunks_exact(4)
                    .map(|c| u32::from_ne_bytes(c.try_into().unwrap()))
                    .collect();
                for l in 0..w[3] {
                    out.push(format!("r{} t{} s{} l{l}", w[0], w[1], w[2]));
                }
            }
        }
    }
    out
}

fn median(v: &mut [u64]) -> u64 {
    v.sort_unstable();
    v.get(v.len() / 2).copied().unwrap_or(0)
}

/// Longest a killed run may live: the kill moments are spread uniformly over 0..this.
const MAX_KILL_DELAY_MS: u64 = 400;

#[test]
fn kill_9_at_random_moments_loses_no_accepted_log_and_stores_none_twice() {
    let seed = env_u64("LTS_KILL_SEED").unwrap_or_else(rand::random);
    let kills = env_u64("LTS_KILLS").unwrap_or(50);
    println!(
        "kill -9 test: seed {seed}, {kills} kills (rerun: LTS_KILL_SEED={seed} cargo test --test journal_crash kill_9 -- --nocapture)"
    );
    let work = work_dir("kill");
    let (journal, ok_dir, logs_dir) = (work.join("journal"), work.join("ok"), work.join("logs"));
    std::fs::create_dir_all(&ok_dir).unwrap();
    std::fs::create_dir_all(&logs_dir).unwrap();
    let data = work.join("stored.jsonl");
    let server = common::server_with(|c| c.data_file = Some(data.clone()));
    let exe = kill_program();
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let env = |cmd: &mut Command| {
        cmd.env_remove("LD_LIBRARY_PATH")
            .env("LTS_ENDPOINT", server.url())
            .env("LTS_JOURNAL_DIR", &journal)
            .env("LTS_OK_DIR", &ok_dir)
            // Small segments: runs fill, roll and free several of them.
            .env("LTS_SEGMENT_BYTES", (2 << 20).to_string());
    };
    let started = Instant::now();
    let mut before_start = 0;
    let mut runs: Vec<RunStats> = Vec::new();
    let mut conditions: HashMap<&str, u32> = HashMap::new();
    for run in 0..kills {
        let delay = Duration::from_millis(rng.gen_range(0..=MAX_KILL_DELAY_MS));
        // What the server does meanwhile. Requests of a killed run still under way at the
        // server are stored or not, while the next run sends the same batches again.
        let (condition, faults) = match rng.gen_range(0..10) {
            0..=5 => ("answering", json!({})),
            6 | 7 => ("answering after 150 ms", json!({"delay_ms": 150})),
            8 => (
                "storing the next 3 batches without answering",
                json!({"drop_after_store": 3}),
            ),
            _ => ("holding every request unanswered", json!({"stall": true})),
        };
        *conditions.entry(condition).or_default() += 1;
        common::set_faults(
            &server,
            json!({"delay_ms": 0, "drop_after_store": 0, "stall": false}),
        );
        common::set_faults(&server, faults);
        let stderr = logs_dir.join(format!("r{run}.stderr"));
        let mut cmd = Command::new(exe);
        env(&mut cmd);
        let mut child = cmd
            .arg("send")
            .env("LTS_RUN", run.to_string())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap();
        // The random moment is what this test is about: the process lives this long.
        std::thread::sleep(delay);
        if let Some(status) = child.try_wait().unwrap() {
            panic!(
                "run {run} ended by itself ({status}) before its kill:\n{}",
                std::fs::read_to_string(&stderr).unwrap_or_default()
            );
        }
        child.kill().unwrap(); // SIGKILL
        let status = child.wait().unwrap();
        assert_eq!(status.signal(), Some(libc::SIGKILL), "run {run}: {status}");
        match read_run_stats(&ok_dir.join(format!("r{run}.stats"))) {
            Some(s) => runs.push(s),
            None => before_start += 1,
        }
    }
    let killing = started.elapsed();
    common::set_faults(
        &server,
        json!({"delay_ms": 0, "drop_after_store": 0, "stall": false}),
    );

    // The last run only delivers what the killed ones left.
    let mut cmd = Command::new(exe);
    env(&mut cmd);
    cmd.arg("drain");
    let out = output_within(&mut cmd, 120);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the draining run failed: {:?}\n{stdout}\n{stderr}",
        out.status
    );
    let line = |key: &str| -> &str {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .unwrap_or_else(|| panic!("no {key} in: {stdout}"))
            .trim()
    };
    let drain_start_us: u64 = line("start_us ").parse().unwrap();
    let drain_close_us: u64 = line("close_us ").parse().unwrap();
    let drain: serde_json::Value = serde_json::from_str(line("stats ")).unwrap();
    let stat = |k: &str| drain[k].as_u64().unwrap_or_else(|| panic!("no {k}"));

    let stored = stored_messages(&data);
    let accepted = accepted_messages(&ok_dir);
    let mut lost = Vec::new();
    let mut once = 0u64;
    for m in &accepted {
        match stored.get(m) {
            Some(1) => once += 1,
            Some(_) => {} // counted below, as stored twice
            None => lost.push(m.clone()),
        }
    }
    let twice: Vec<(&String, &u32)> = stored.iter().filter(|(_, &n)| n > 1).collect();
    // Sends under way at a kill may be stored without their record (they never returned).
    let unconfirmed = stored.len() - (accepted.len() - lost.len());
    let recovered_batches: u64 =
        runs.iter().map(|r| r.recovered_batches).sum::<u64>() + stat("journal_recovered_batches");
    let recovered_logs: u64 =
        runs.iter().map(|r| r.recovered_logs).sum::<u64>() + stat("journal_recovered_logs");
    let damaged: u64 =
        runs.iter().map(|r| r.damaged).sum::<u64>() + stat("journal_damaged_records");
    let errors: u64 = runs.iter().map(|r| r.errors).sum::<u64>() + stat("journal_errors");
    let mut starts: Vec<u64> = runs.iter().map(|r| r.start_us).collect();
    starts.push(drain_start_us);
    let max_start = *starts.iter().max().unwrap();
    let med_start = median(&mut starts);
    println!(
        "kill -9 x {kills} (seed {seed}; {killing:.1?} of runs, {before_start} killed before their producer started):\n\
         \x20 accepted {}, stored once {once}, stored twice {}, lost {}, stored unconfirmed (send under way at the kill) {unconfirmed}\n\
         \x20 recovered batches {recovered_batches} ({recovered_logs} logs; the killed runs' last snapshots and the drain's), \
         batches the server recognised as already stored {}, damaged records {damaged}, journal errors {errors}\n\
         \x20 lts_producer_new + start: median {med_start} us, max {max_start} us; the draining run delivered the rest in {} ms\n\
         \x20 runs by what the server did meanwhile: {conditions:?}",
        accepted.len(),
        twice.len(),
        lost.len(),
        server
            .state()
            .duplicate_batches
            .load(std::sync::atomic::Ordering::Relaxed),
        drain_close_us / 1000,
    );
    assert!(
        lost.is_empty(),
        "{} accepted logs were not stored, e.g. {:?}",
        lost.len(),
        &lost[..lost.len().min(10)]
    );
    assert!(
        twice.is_empty(),
        "stored twice: {:?}",
        &twice[..twice.len().min(10)]
    );
    assert!(
        accepted.len() as u64 > 20 * kills,
        "too few sends to test anything: {}",
        accepted.len()
    );
    assert_eq!(errors, 0, "the journal's disk never failed here");
    assert_eq!(stat("logs_failed"), 0, "{drain}");
    // Everything delivered: no segment is left, only the lock.
    let left: Vec<String> = std::fs::read_dir(&journal)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n != "lock")
        .collect();
    assert!(left.is_empty(), "left after the drain: {left:?}");
    let _ = std::fs::remove_dir_all(&work);
}

/// Every file of `dir` with its bytes; for the lock file, its size and modification time
/// (this process holds its record lock, which closing any descriptor of it would drop).
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let name = e.file_name().into_string().unwrap();
            let bytes = if name == "lock" {
                let m = std::fs::symlink_metadata(e.path()).unwrap();
                format!("{} {:?}", m.len(), m.modified().unwrap()).into_bytes()
            } else {
                std::fs::read(e.path()).unwrap()
            };
            (name, bytes)
        })
        .collect();
    v.sort();
    v
}

#[test]
fn a_second_process_on_the_directory_is_refused_naming_the_owner_and_touches_nothing() {
    let server = common::server();
    // The owner's batch stays in flight (the server holds it): its journal is still.
    common::set_faults(&server, json!({"stall": true}));
    let work = work_dir("second");
    let dir = work.join("journal");
    let mut c = ProducerConfig::default();
    c.set_journal_dir(dir.to_str().unwrap()).unwrap();
    // A batch's records are in its segment before it is sent.
    c.set_journal_sync_ms(0).unwrap();
    let p = Producer::new(c).unwrap();
    p.add_client(common::config(&server)).unwrap();
    p.start().unwrap();
    for i in 0..100 {
        p.send("proj", "owner", &[&common::item(i)], None).unwrap();
    }
    p.flush().unwrap();
    let t = Instant::now();
    while p.stats().inflight_batches == 0 {
        assert!(t.elapsed() < Duration::from_secs(10), "the batch goes out");
        std::thread::sleep(Duration::from_millis(2));
    }
    let before = files(&dir);
    assert!(before.iter().any(|(n, _)| n == "lock"));
    let mut cmd = Command::new(kill_program());
    cmd.env_remove("LD_LIBRARY_PATH")
        .env("LTS_JOURNAL_DIR", &dir)
        .arg("probe");
    let out = output_within(&mut cmd, 60);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "not refused: {stdout}");
    assert!(
        stdout.contains("refused LTS_ERR_INVALID_STATE")
            && stdout.contains(&format!("process {}", std::process::id()))
            && stdout.contains(dir.to_str().unwrap()),
        "{stdout}"
    );
    println!("second process: {}", stdout.trim());
    // Nothing in it changed.
    assert!(
        files(&dir) == before,
        "the second process changed the directory"
    );
    common::set_faults(&server, json!({"stall": false}));
    p.close(None).unwrap();
    assert_eq!(server.state().logs(Some("proj"), Some("owner")).len(), 100);
    let _ = std::fs::remove_dir_all(&work);
}

#[test]
fn a_forked_childs_producer_has_no_journal_and_the_parents_is_untouched() {
    let server = common::server();
    let work = work_dir("fork");
    let dir = work.join("journal");
    let exe = compile(
        "cc",
        C_FLAGS,
        &["tests/c/journal_fork.c"],
        "journal_fork",
        true,
    );
    let mut cmd = Command::new(&exe);
    cmd.env_remove("LD_LIBRARY_PATH")
        .env("LTS_ENDPOINT", server.url())
        .env("LTS_DEAD_ENDPOINT", dead_endpoint())
        .env("LTS_JOURNAL_DIR", &dir);
    let out = output_within(&mut cmd, 120);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains(" passed, 0 failed"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(server.state().logs(Some("proj"), Some("child")).len(), 10);
    // What the parent could not deliver is in its journal, whole: a producer that reaches
    // the server delivers it once.
    let mut c = ProducerConfig::default();
    c.set_journal_dir(dir.to_str().unwrap()).unwrap();
    let p = Producer::new(c).unwrap();
    let cc = lts::ClientConfig::new(
        &server.url(),
        lts_local::DEFAULT_ACCESS_KEY,
        lts_local::DEFAULT_SECRET_KEY,
        "stuck",
    )
    .unwrap();
    p.add_client(cc).unwrap();
    p.start().unwrap();
    p.close(None).unwrap();
    assert_eq!(p.stats().journal_recovered_logs, 300);
    assert_eq!(
        server.state().logs(Some("stuck"), Some("parent")).len(),
        300
    );
    let _ = std::fs::remove_dir_all(&work);
}
