//! The journal (journal_dir) against lts-local: a process killed while sending loses no
//! accepted log and the next producer stores nothing twice; torn tails and garbage are
//! skipped and counted; one producer per directory; a full disk degrades to memory; batches
//! past journal_max_age are reported, not sent; close leaves what it could not send.

mod common;

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::*;
use lts::producer::{Producer, ProducerConfig};
use lts::ErrorKind;
use lts_local::Server;
use serde_json::json;

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("lts-journal-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn wait_until(what: &str, timeout: Duration, mut cond: impl FnMut() -> bool) {
    let end = Instant::now() + timeout;
    while !cond() {
        assert!(Instant::now() < end, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn producer(url: &str, dir: &Path, f: impl FnOnce(&mut ProducerConfig)) -> lts::Result<Producer> {
    let mut c = ProducerConfig::default();
    c.set_linger_ms(100).unwrap();
    c.set_worker_count(2).unwrap();
    c.set_journal_dir(dir.to_str().unwrap()).unwrap();
    c.set_journal_segment_bytes(1 << 20).unwrap();
    c.set_batch_size_bytes(64 * 1024).unwrap();
    c.set_batch_count(200).unwrap();
    f(&mut c);
    let p = Producer::new(c)?;
    p.add_client(common::config_for(url)).unwrap();
    p.start().unwrap();
    Ok(p)
}

/// An address where nothing listens.
fn dead_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}", l.local_addr().unwrap())
}

fn log(tag: &str, i: u64) -> lts::LogItem {
    let mut it = item(i as i64);
    it.set_origin_msg(&format!("{tag} {i:08}")).unwrap();
    it
}

/// Every stored message by how many times it was stored.
fn stored(server: &Server) -> HashMap<String, usize> {
    let mut n = HashMap::new();
    for l in server.state().logs(Some("proj"), None) {
        *n.entry(l["origin_msg"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    n
}

/// The child of [`a_killed_process_loses_nothing_and_stores_nothing_twice`]: sends until it
/// kills itself, writing the number of each send that returned OK to a file first thing
/// after (an 8-byte record each, so a kill mid-write leaves a partial one, ignored).
#[test]
fn journal_child() {
    let Ok(spec) = std::env::var("LTS_JOURNAL_CHILD") else {
        return; // only as a child
    };
    let v: serde_json::Value = serde_json::from_str(&spec).unwrap();
    let (url, dir, okfile, tag) = (
        v["url"].as_str().unwrap(),
        PathBuf::from(v["dir"].as_str().unwrap()),
        PathBuf::from(v["ok"].as_str().unwrap()),
        v["tag"].as_str().unwrap().to_owned(),
    );
    let kill_after = v["kill_after"].as_u64().unwrap();
    let p = producer(url, &dir, |_| {}).unwrap();
    let mut ok = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&okfile)
        .unwrap();
    for i in 0.. {
        if i == kill_after {
            // SAFETY: ends this process at once, like kill -9 from outside.
            unsafe { libc::kill(libc::getpid(), libc::SIGKILL) };
        }
        if p.send("proj", "u", &[&log(&tag, i)], None).is_ok() {
            ok.write_all(&i.to_le_bytes()).unwrap();
        }
    }
}

#[test]
fn a_killed_process_loses_nothing_and_stores_nothing_twice() {
    let server = server();
    let dir = tmp("kill");
    let okdir = tmp("kill-ok");
    std::fs::create_dir_all(&okdir).unwrap();
    let mut runs = Vec::new();
    for run in 0..5u64 {
        let tag = format!("run{run}");
        let okfile = okdir.join(&tag);
        let spec = json!({
            "url": server.url(), "dir": dir, "ok": okfile, "tag": tag,
            "kill_after": 500 + run * 777,
        });
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "journal_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("LTS_JOURNAL_CHILD", spec.to_string())
            .status()
            .unwrap();
        assert!(!status.success(), "the child was killed");
        runs.push((tag, okfile));
    }
    // A last producer on the directory sends what the killed ones left.
    let p = producer(&server.url(), &dir, |_| {}).unwrap();
    p.close(None).unwrap();
    let s = p.stats();
    assert_eq!(s.unaccounted(), (0, 0));
    assert!(s.journal_recovered_batches > 0, "{s:?}");
    let got = stored(&server);
    let twice: Vec<_> = got.iter().filter(|(_, &n)| n > 1).collect();
    assert!(twice.is_empty(), "stored twice: {twice:?}");
    let mut accepted = 0;
    for (tag, okfile) in &runs {
        let bytes = std::fs::read(okfile).unwrap_or_default();
        for rec in bytes.chunks_exact(8) {
            let i = u64::from_le_bytes(rec.try_into().unwrap());
            let msg = format!("{tag} {i:08}");
            assert_eq!(got.get(&msg), Some(&1), "{msg} was accepted but not stored");
            accepted += 1;
        }
    }
    assert!(accepted > 2000, "{accepted} accepted");
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().into_string().unwrap())
        .filter(|n| n != "lock")
        .collect();
    assert!(left.is_empty(), "segments left after delivery: {left:?}");
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&okdir);
}

#[test]
fn a_second_producer_on_the_directory_is_refused_naming_the_owner() {
    let server = server();
    let dir = tmp("owner");
    let p = producer(&server.url(), &dir, |_| {}).unwrap();
    let e = producer(&server.url(), &dir, |_| {})
        .err()
        .expect("refused");
    assert_eq!(e.kind, ErrorKind::InvalidState);
    assert!(
        e.message.contains(&dir.display().to_string())
            && e.message.contains(&std::process::id().to_string()),
        "{}",
        e.message
    );
    p.close(None).unwrap();
    // Closed: the directory is free again.
    let p2 = producer(&server.url(), &dir, |_| {}).unwrap();
    p2.close(None).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn close_leaves_what_it_could_not_send_for_the_next_producer() {
    let server = server();
    set_faults(&server, json!({"stall": true}));
    let dir = tmp("close");
    let p = producer(&server.url(), &dir, |_| {}).unwrap();
    for i in 0..300 {
        p.send("proj", "u", &[&log("close", i)], None).unwrap();
    }
    p.flush().unwrap();
    wait_until("a batch in flight", Duration::from_secs(10), || {
        p.stats().inflight_batches > 0
    });
    let e = p.close(Some(Duration::from_millis(50))).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Timeout);
    // The request close gave up on may still be stored once the server answers: the next
    // producer sends it again under its batch id, and it is stored once.
    set_faults(&server, json!({"stall": false}));
    let p2 = producer(&server.url(), &dir, |_| {}).unwrap();
    p2.close(None).unwrap();
    let got = stored(&server);
    assert_eq!(got.len(), 300, "every log sent by the next producer");
    assert!(got.values().all(|&n| n == 1), "stored once");
    assert_eq!(p2.stats().journal_recovered_logs, 300);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Damage a crash or a disk can leave: a torn record at the end of a segment, garbage in the
/// middle of one, a segment with a broken header, a file that is no segment. The producer
/// starts, sends what is whole, and counts and names the rest.
#[test]
fn torn_tails_and_garbage_are_skipped_and_counted() {
    let server = server();
    let dir = tmp("damage");
    // The first producer reaches no server: everything it accepted stays in the journal.
    let p = producer(&dead_url(), &dir, |_| {}).unwrap();
    for i in 0..400 {
        p.send("proj", "u", &[&log("damage", i)], None).unwrap();
    }
    let _ = p.close(Some(Duration::ZERO));
    let segs: Vec<PathBuf> = lts::journal::existing_segments(&dir)
        .into_iter()
        .map(|(_, p)| p)
        .collect();
    assert!(!segs.is_empty());
    // A torn tail: the last record's bytes overwritten past its start (its header stays,
    // its payload no longer matches).
    let mut bytes = std::fs::read(&segs[0]).unwrap();
    let end = bytes.iter().rposition(|&b| b != 0).unwrap();
    for b in &mut bytes[end - 20..=end] {
        *b ^= 0x5a;
    }
    // Garbage in the middle of a record further up.
    for b in &mut bytes[5000..5016] {
        *b = 0xff;
    }
    std::fs::write(&segs[0], &bytes).unwrap();
    // A segment whose header is broken, and a file that is no segment.
    let broken = dir.join(lts::journal::segment::file_name(9_999));
    std::fs::write(&broken, vec![7u8; 4096]).unwrap();
    std::fs::write(dir.join("notes.txt"), b"not a segment").unwrap();

    let p2 = producer(&server.url(), &dir, |_| {}).unwrap();
    p2.close(None).unwrap();
    let s = p2.stats();
    assert!(s.journal_damaged_records >= 3, "{s:?}");
    let got = stored(&server);
    assert!(got.values().all(|&n| n == 1));
    assert!(
        got.len() > 300 && got.len() < 400,
        "the whole records sent, the damaged ones not: {}",
        got.len()
    );
    assert!(dir
        .join(format!(
            "{}.damaged",
            lts::journal::segment::file_name(9_999)
        ))
        .exists());
    assert!(dir.join("notes.txt").exists(), "other files are left alone");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn batches_past_the_max_age_are_reported_not_sent() {
    let server = server();
    let dir = tmp("age");
    let p = producer(&dead_url(), &dir, |_| {}).unwrap();
    for i in 0..50 {
        p.send("proj", "u", &[&log("age", i)], None).unwrap();
    }
    let _ = p.close(Some(Duration::ZERO));
    // Time passing is what this test is about: the batches become older than 1 ms.
    std::thread::sleep(Duration::from_millis(20));
    let before = server.state().logs(None, None).len();
    let p2 = producer(&server.url(), &dir, |c| {
        c.set_journal_max_age_ms(1).unwrap()
    })
    .unwrap();
    p2.close(None).unwrap();
    let s = p2.stats();
    assert_eq!(s.journal_expired_batches, 1, "{s:?}");
    assert_eq!((s.journal_recovered_batches, s.logs_accepted), (0, 0));
    assert_eq!(server.state().logs(None, None).len(), before);
    assert!(
        lts::journal::existing_segments(&dir).is_empty(),
        "the expired batch's segment is gone"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// safe_close on a producer whose recovery is still queueing what a restart found, while
/// other threads keep sending: close refuses their sends at once, so the recovery gets the
/// room they kept taking, and close returns with everything delivered. (Before, close waited
/// for the recovery with sends still accepted, and senders keeping the buffer full kept the
/// recovery from ever queueing: close never returned.)
#[test]
fn safe_close_while_recovering_and_sending_refuses_new_sends_and_delivers_the_rest() {
    let server = server();
    let dir = tmp("drain");
    let p = producer(&dead_url(), &dir, |_| {}).unwrap();
    for i in 0..4000 {
        p.send("proj", "u", &[&log("left", i)], None).unwrap();
    }
    let _ = p.close(Some(Duration::ZERO));
    // Slow deliveries, a small buffer and batches of one log: the senders below keep the
    // buffer full, each delivery freeing room for one of their logs but not for a
    // recovered batch of 200.
    set_faults(&server, json!({"delay_ms": 5}));
    let p2 = std::sync::Arc::new(
        producer(&server.url(), &dir, |c| {
            c.set_buffer_bytes(1 << 20).unwrap();
            c.set_batch_count(1).unwrap();
            c.set_max_block_ms(10).unwrap();
        })
        .unwrap(),
    );
    let senders: Vec<_> = (0..8)
        .map(|t| {
            let p2 = p2.clone();
            std::thread::spawn(move || {
                let mut accepted = Vec::new();
                for i in 0.. {
                    match p2.send("proj", "u", &[&log(&format!("t{t}"), i)], None) {
                        Ok(()) => accepted.push(format!("t{t} {i:08}")),
                        Err(e) if e.kind == ErrorKind::Closed => break,
                        Err(_) => {} // a full buffer: keep trying
                    }
                }
                accepted
            })
        })
        .collect();
    wait_until(
        "the senders to fill the buffer",
        Duration::from_secs(10),
        || p2.stats().logs_refused > 0,
    );
    let closing = Instant::now();
    let (done, closed) = std::sync::mpsc::channel();
    let closer = p2.clone();
    std::thread::spawn(move || done.send(closer.close(None)));
    closed
        .recv_timeout(Duration::from_secs(60))
        .expect("safe_close returns")
        .unwrap();
    let took = closing.elapsed();
    let accepted: Vec<String> = senders
        .into_iter()
        .flat_map(|s| s.join().unwrap())
        .collect();
    let s = p2.stats();
    assert_eq!(s.journal_recovered_logs, 4000, "{s:?}");
    assert_eq!(s.unaccounted(), (0, 0));
    assert_eq!(s.logs_failed, 0);
    let got = stored(&server);
    assert!(got.values().all(|&n| n == 1), "stored once");
    for i in 0..4000 {
        assert_eq!(got.get(&format!("left {i:08}")), Some(&1));
    }
    for a in &accepted {
        assert_eq!(got.get(a), Some(&1), "{a}");
    }
    println!(
        "safe_close while recovering and sending: returned in {took:?}, {} sends accepted before it",
        accepted.len()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// What a crash while a segment is being made leaves: a new segment is made as a spare file
/// (allocated, then given its header and its name), so a kill in between leaves a spare, whole
/// or not, never a segment without a header (which the next producer would have had to set
/// aside as damaged, keeping its disk forever). The next producer uses a whole spare and
/// removes one that is not.
#[test]
fn a_segment_cut_short_while_being_made_is_a_spare_not_damage() {
    let server = server();
    let dir = tmp("making");
    let p = producer(&dead_url(), &dir, |_| {}).unwrap();
    for i in 0..100 {
        p.send("proj", "u", &[&log("making", i)], None).unwrap();
    }
    let _ = p.close(Some(Duration::ZERO));
    let names = |dir: &Path| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        v.sort();
        v
    };
    assert!(
        names(&dir).iter().all(|n| !n.starts_with("spare-")),
        "close removes spares: {:?}",
        names(&dir)
    );
    // A kill before the allocation, and one after it.
    let cut = dir.join(lts::journal::segment::spare_name(7));
    std::fs::write(&cut, b"").unwrap();
    let whole = dir.join(lts::journal::segment::spare_name(8));
    std::fs::write(&whole, vec![0u8; 1 << 20]).unwrap();
    let p2 = producer(&server.url(), &dir, |_| {}).unwrap();
    assert!(!cut.exists(), "a spare cut short is removed");
    p2.close(None).unwrap();
    let s = p2.stats();
    assert_eq!(
        (s.journal_damaged_records, s.journal_recovered_logs),
        (0, 100)
    );
    assert_eq!(names(&dir), ["lock"], "delivered: nothing left");
    let _ = std::fs::remove_dir_all(&dir);
}
