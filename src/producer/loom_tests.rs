//! Model checks (loom) of the producer's concurrency protocols, on the real types:
//!
//! - the memory cap never loses the wakeup of a sender waiting for room;
//! - a batch is reported exactly once, by a worker or by close, and close's end-of-results
//!   marker always comes after that report;
//! - a send racing with close is either refused or flushed by it, never dropped.
//!
//! Run: `RUSTFLAGS="--cfg loom" cargo test --release --lib producer::loom_tests`.

use std::time::{Duration, Instant};

use loom::sync::atomic::{AtomicU8, Ordering};
use loom::sync::Arc;
use loom::thread;

use super::accumulator::{Accumulator, Claim, Part};
use super::memory::MemoryCap;
use super::sync::{lock, Mutex};
use crate::encode::EncodedRecords;
use crate::log_item::LogItem;

/// Explores interleavings with up to 3 preemptions per execution: enough for these
/// two- and three-thread protocols, and quick enough for CI.
fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut b = loom::model::Builder::new();
    b.preemption_bound = Some(3);
    b.check(f);
}

#[test]
fn a_sender_waiting_for_room_is_always_woken() {
    model(|| {
        let m = Arc::new(MemoryCap::new(10));
        assert!(m.reserve(10, Duration::ZERO));
        let m2 = m.clone();
        // Under loom the wait has no timeout: a lost wakeup is a deadlock the model reports.
        let waiter = thread::spawn(move || m2.reserve(6, Duration::from_secs(3600)));
        m.release(10);
        assert!(waiter.join().unwrap());
        assert_eq!(m.used(), 6);
    });
}

#[test]
fn two_releases_and_two_waiters_all_get_room() {
    model(|| {
        let m = Arc::new(MemoryCap::new(2));
        assert!(m.reserve(2, Duration::ZERO));
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let m = m.clone();
                thread::spawn(move || m.reserve(1, Duration::from_secs(3600)))
            })
            .collect();
        m.release(1);
        m.release(1);
        for w in waiters {
            assert!(w.join().unwrap());
        }
    });
}

#[test]
fn a_batch_is_reported_once_and_before_the_end_of_results() {
    model(|| {
        let claim = Arc::new(Claim::new(()));
        let log: Arc<Mutex<Vec<&'static str>>> = Arc::new(Mutex::new(Vec::new()));
        let (c, l) = (claim.clone(), log.clone());
        let worker = thread::spawn(move || {
            c.report(|()| lock(&l).push("worker"));
        });
        // close: claim what is left, then end the result stream.
        claim.report(|()| lock(&log).push("close"));
        lock(&log).push("end");
        worker.join().unwrap();
        let log = lock(&log).clone();
        assert_eq!(log.len(), 2, "{log:?}");
        assert!(log[0] == "worker" || log[0] == "close");
        assert_eq!(
            log[1], "end",
            "the end marker came before a report: {log:?}"
        );
    });
}

const RUNNING: u8 = 1;
const CLOSING: u8 = 2;

fn one_log() -> (LogItem, EncodedRecords) {
    let mut item = LogItem::new();
    item.set_timestamp_ns(1).unwrap();
    item.set_origin_msg("m").unwrap();
    let mut encoded = EncodedRecords::default();
    encoded.encode(&[&item]);
    (item, encoded)
}

#[test]
fn a_send_racing_close_is_refused_or_flushed() {
    model(|| {
        let acc = Arc::new(Mutex::new(Accumulator::new(
            1 << 20,
            100,
            Duration::from_secs(60),
        )));
        let state = Arc::new(AtomicU8::new(RUNNING));
        let (a, s) = (acc.clone(), state.clone());
        // The critical section of Producer::send: check the state under the lock close
        // drains with, then append.
        let sender = thread::spawn(move || {
            let mut guard = lock(&a);
            if s.load(Ordering::Acquire) != RUNNING {
                return None;
            }
            let (item, encoded) = one_log();
            let items = [&item];
            let part = Part {
                items: &items,
                encoded: &encoded,
                raw_size: encoded.standalone_size(&items),
                callback: None,
            };
            let (closed, _) = guard.append("p", "u", part, Instant::now);
            Some(closed.iter().map(|b| b.payload.log_count()).sum::<usize>())
        });
        // The critical section of Producer::close.
        let flushed: usize = {
            let mut guard = lock(&acc);
            state.store(CLOSING, Ordering::Release);
            guard.drain().iter().map(|b| b.payload.log_count()).sum()
        };
        match sender.join().unwrap() {
            None => assert_eq!(flushed, 0),
            Some(dispatched) => assert_eq!(dispatched + flushed, 1, "an accepted log was lost"),
        }
    });
}
