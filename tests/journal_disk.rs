//! The journal's disk running out, against lts-local:
//!
//! - a full disk (a small tmpfs this test mounts, filled up): making a segment fails, the
//!   producer goes on in memory (sends succeed and are delivered, no crash, no SIGBUS),
//!   counts and says it; once space is freed the journal writes again, and what it then
//!   holds is delivered by the next producer;
//! - the disk cap (`journal_max_bytes`) reached: a send waits `max_block_ms`, then is refused
//!   with `LTS_ERR_BUFFER_FULL`; sends succeed again once delivered batches free segments.
//!
//! Mounting needs root (CI runs as root). Elsewhere the tmpfs test says it cannot mount and
//! passes without running, unless `LTS_REQUIRE_TMPFS` is set (scripts/test.sh sets it when
//! run as root), which makes that a failure.

mod common;

use std::collections::HashMap;
use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use lts::producer::{Producer, ProducerConfig};
use lts::ErrorKind;
use lts_local::Server;
use serde_json::json;

fn work_dir(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("journal-disk-{name}"));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A tmpfs mounted on a directory for the test's life (lazily unmounted when dropped, also
/// when the test fails).
struct Tmpfs(PathBuf);

impl Tmpfs {
    /// None (having said why) where this process may not mount.
    fn mount(at: &Path, bytes: usize) -> Option<Tmpfs> {
        let target = CString::new(at.to_str().unwrap()).unwrap();
        let opts = CString::new(format!("size={bytes},mode=0700")).unwrap();
        // SAFETY: NUL-terminated strings that outlive the call.
        let r = unsafe {
            libc::mount(
                c"tmpfs".as_ptr(),
                target.as_ptr(),
                c"tmpfs".as_ptr(),
                0,
                opts.as_ptr().cast(),
            )
        };
        if r != 0 {
            let e = std::io::Error::last_os_error();
            if std::env::var_os("LTS_REQUIRE_TMPFS").is_some() {
                panic!("LTS_REQUIRE_TMPFS is set but mounting a tmpfs failed: {e}");
            }
            println!(
                "SKIPPED: the full-disk test needs to mount a tmpfs (run as root): mount failed: {e}"
            );
            return None;
        }
        Some(Tmpfs(at.to_owned()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let target = CString::new(self.0.to_str().unwrap()).unwrap();
        // SAFETY: a NUL-terminated path.
        unsafe { libc::umount2(target.as_ptr(), libc::MNT_DETACH) };
    }
}

/// Fills the file system holding `dir` with one file: returns its path.
fn fill(dir: &Path) -> PathBuf {
    use std::io::Write;
    let path = dir.join("filler");
    let mut f = std::fs::File::create(&path).unwrap();
    let chunk = vec![0x55u8; 64 * 1024];
    loop {
        match f.write(&chunk) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                assert_eq!(e.raw_os_error(), Some(libc::ENOSPC), "{e}");
                break;
            }
        }
    }
    // Whatever is left is smaller than a page: not room for a segment.
    let _ = f.write(&chunk[..4096]);
    path
}

fn producer(url: &str, dir: &Path, f: impl FnOnce(&mut ProducerConfig)) -> Producer {
    let mut c = ProducerConfig::default();
    c.set_linger_ms(100).unwrap();
    c.set_journal_dir(dir.to_str().unwrap()).unwrap();
    c.set_journal_segment_bytes(1 << 20).unwrap();
    c.set_batch_size_bytes(64 * 1024).unwrap();
    f(&mut c);
    let p = Producer::new(c).unwrap();
    p.add_client(common::config_for(url)).unwrap();
    p.start().unwrap();
    p
}

fn log(tag: &str, i: u64, pad: usize) -> lts::LogItem {
    let mut it = item(i as i64);
    it.set_origin_msg(&format!("{tag} {i:08} {}", "p".repeat(pad)))
        .unwrap();
    it
}

/// Every stored message (its tag and number) by how many times it was stored.
fn stored(server: &Server) -> HashMap<String, usize> {
    let mut n = HashMap::new();
    for l in server.state().logs(Some("proj"), None) {
        let msg = l["origin_msg"].as_str().unwrap();
        let key: String = msg.split(' ').take(2).collect::<Vec<_>>().join(" ");
        *n.entry(key).or_default() += 1;
    }
    n
}

fn segments(dir: &Path) -> usize {
    lts::journal::existing_segments(dir).len()
}

fn wait_until(what: &str, timeout: Duration, mut cond: impl FnMut() -> bool) {
    let end = Instant::now() + timeout;
    while !cond() {
        assert!(Instant::now() < end, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn a_full_disk_degrades_to_memory_and_the_journal_resumes_when_space_frees() {
    let work = work_dir("full");
    let mnt = work.join("mnt");
    std::fs::create_dir_all(&mnt).unwrap();
    // The ring (16 MiB and a page) fits; after the filler, no 1 MiB segment does.
    let Some(_tmpfs) = Tmpfs::mount(&mnt, 20 << 20) else {
        return;
    };
    let dir = mnt.join("journal");
    let lines: Arc<Mutex<Vec<String>>> = Arc::default();
    {
        let lines = lines.clone();
        let mine = dir.display().to_string();
        lts::log::set_hook(Some(Arc::new(move |_, l: &str| {
            if l.contains(&mine) {
                lines.lock().unwrap().push(l.to_owned());
            }
        })));
    }
    let said = |needle: &str| lines.lock().unwrap().iter().any(|l| l.contains(needle));
    let server = server();
    let p = producer(&server.url(), &dir, |_| {});
    let filler = fill(&mnt);

    for i in 0..2000 {
        p.send("proj", "u", &[&log("full", i, 100)], None).unwrap();
    }
    let s = p.stats();
    assert!(s.journal_errors >= 1, "{s:?}");
    assert_eq!(segments(&dir), 0, "no segment could be made");
    assert!(
        said("new logs are kept in memory only"),
        "the log hook says so: {:?}",
        lines.lock().unwrap()
    );
    p.flush().unwrap();
    wait_until("delivery in memory", Duration::from_secs(20), || {
        p.stats().logs_sent == 2000
    });

    // Space again: the journal makes a segment at its next try (every 5 s), and says so.
    std::fs::remove_file(&filler).unwrap();
    let mut i = 2000;
    let t = Instant::now();
    wait_until(
        "the journal to write again",
        Duration::from_secs(20),
        || {
            p.send("proj", "u", &[&log("full", i, 100)], None).unwrap();
            i += 1;
            std::thread::sleep(Duration::from_millis(20));
            said("is writable again")
        },
    );
    let resumed_after = t.elapsed();
    assert!(segments(&dir) >= 1);
    // Journaled again: what close cannot send stays for the next producer.
    p.flush().unwrap();
    wait_until("delivery", Duration::from_secs(20), || {
        p.stats().logs_sent == i
    });
    set_faults(&server, json!({"stall": true}));
    for j in 0..300 {
        p.send("proj", "u", &[&log("after", j, 100)], None).unwrap();
    }
    assert_eq!(
        p.close(Some(Duration::ZERO)).unwrap_err().kind,
        ErrorKind::Timeout
    );
    set_faults(&server, json!({"stall": false}));
    lts::log::set_hook(None);
    let p2 = producer(&server.url(), &dir, |_| {});
    p2.close(None).unwrap();
    assert_eq!(p2.stats().journal_recovered_logs, 300);
    let got = stored(&server);
    assert!(got.values().all(|&n| n == 1), "stored once");
    for j in 0..300 {
        assert_eq!(got.get(&format!("after {j:08}")), Some(&1));
    }
    for j in 0..i {
        assert_eq!(got.get(&format!("full {j:08}")), Some(&1));
    }
    // Everything delivered: the directory holds no ring any more. On a full disk a producer
    // cannot make one, and refuses to start on the directory, saying why.
    assert!(!dir.join("ring.ltsr").exists());
    let filler = fill(&mnt);
    let mut c = ProducerConfig::default();
    c.set_journal_dir(dir.to_str().unwrap()).unwrap();
    let e = Producer::new(c).err().expect("no room for the ring");
    assert_eq!(e.kind, ErrorKind::InvalidArgument);
    assert!(
        e.message.contains("cannot make its ring file") && e.message.contains("No space left"),
        "{}",
        e.message
    );
    std::fs::remove_file(&filler).unwrap();
    println!(
        "full disk: {} journal errors, {i} logs sent in memory and delivered; journal resumed {resumed_after:.1?} after space was freed",
        s.journal_errors
    );
    drop(_tmpfs);
    let _ = std::fs::remove_dir_all(&work);
}

#[test]
fn the_disk_cap_makes_sends_wait_then_refuses_them_until_segments_are_freed() {
    let work = work_dir("cap");
    let dir = work.join("journal");
    let server = server();
    set_faults(&server, json!({"stall": true}));
    let p = producer(&server.url(), &dir, |c| {
        c.set_journal_max_bytes(2 << 20).unwrap();
        c.set_max_block_ms(300).unwrap();
    });
    // Nothing is delivered: the journal fills its two segments.
    let mut accepted = 0u64;
    let refused_after = loop {
        let t = Instant::now();
        match p.send("proj", "u", &[&log("cap", accepted, 1000)], None) {
            Ok(()) => accepted += 1,
            Err(e) => {
                assert_eq!(e.kind, ErrorKind::BufferFull, "{e}");
                assert!(e.message.contains("journal"), "{}", e.message);
                break t.elapsed();
            }
        }
        assert!(accepted < 10_000, "never refused");
    };
    assert!(
        refused_after >= Duration::from_millis(300) && refused_after < Duration::from_secs(5),
        "refused after {refused_after:?}, max_block_ms 300"
    );
    let s = p.stats();
    assert_eq!(s.logs_refused, 1);
    assert!(segments(&dir) <= 2, "{} segments", segments(&dir));
    // Delivery frees segments: sends succeed again (within max_block_ms, or soon after).
    set_faults(&server, json!({"stall": false}));
    let more = accepted + 100;
    let mut refused_again = 0;
    while accepted < more {
        match p.send("proj", "u", &[&log("cap", accepted, 1000)], None) {
            Ok(()) => accepted += 1,
            Err(e) => {
                assert_eq!(e.kind, ErrorKind::BufferFull);
                refused_again += 1;
                assert!(refused_again < 20, "still refused");
            }
        }
    }
    p.close(None).unwrap();
    let got = stored(&server);
    assert_eq!(
        got.len() as u64,
        accepted,
        "every accepted log, and only those"
    );
    assert!(got.values().all(|&n| n == 1));
    println!(
        "disk cap (2 segments of 1 MiB): {accepted} logs accepted, a send refused after {refused_after:?} (max_block_ms 300), then accepted again once delivered"
    );
    let _ = std::fs::remove_dir_all(&work);
}
