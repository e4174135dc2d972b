//! Model checks (loom) of the producer's concurrency protocols, on the real types:
//!
//! - the memory cap never loses the wakeup of a sender waiting for room, and close's shut
//!   wakes a waiting sender;
//! - a batch is reported exactly once, by a worker or by close, and close's end-of-results
//!   marker always comes after that report;
//! - a send racing close (the real `Intake::append` against `Intake::stop`, a worker draining
//!   the real outbox queue) is refused, or its log reaches the worker — also when the send
//!   fills a batch and posts it, the window where a send once got lost;
//! - results: a poll racing close's drain runs every callback once, all before close's drain
//!   returns.
//!
//! Run: `RUSTFLAGS="--cfg loom" cargo test --release --lib producer::loom_tests`.

use std::time::{Duration, Instant};

use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;

use super::accumulator::{Accumulator, Part};
use super::batch::{Claim, PendingSend};
use super::intake::Intake;
use super::memory::MemoryCap;
use super::result::{Notify, Outcome, Results};
use super::sync::{lock, Mutex};
use crate::encode::Encoded;
use crate::log_item::LogItem;

/// Explores interleavings with up to 3 preemptions per execution: enough for these
/// two- and three-thread protocols, and quick enough for CI.
fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut b = loom::model::Builder::new();
    b.preemption_bound = Some(3);
    b.check(f);
}

/// A deadline that never comes (under loom waits are untimed anyway: a lost wakeup is a
/// deadlock the model reports).
fn never() -> Instant {
    Instant::now() + Duration::from_secs(3600)
}

#[test]
fn a_sender_waiting_for_room_is_always_woken() {
    model(|| {
        let m = Arc::new(MemoryCap::new(10));
        assert!(m.try_reserve(10));
        let m2 = m.clone();
        let waiter = thread::spawn(move || m2.wait_for_room(6, never()) && m2.try_reserve(6));
        m.release(10);
        assert!(waiter.join().unwrap());
        assert_eq!(m.used(), 6);
    });
}

#[test]
fn two_releases_and_two_waiters_all_get_room() {
    model(|| {
        let m = Arc::new(MemoryCap::new(2));
        assert!(m.try_reserve(2));
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let m = m.clone();
                // As a sender does: wait for room, try, and wait again if another took it.
                thread::spawn(move || loop {
                    if !m.wait_for_room(1, never()) {
                        return false;
                    }
                    if m.try_reserve(1) {
                        return true;
                    }
                })
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
fn shutting_the_cap_wakes_a_waiting_sender() {
    model(|| {
        let m = Arc::new(MemoryCap::new(4));
        assert!(m.try_reserve(4));
        let m2 = m.clone();
        let waiter = thread::spawn(move || m2.wait_for_room(1, never()));
        m.shut();
        assert!(!waiter.join().unwrap(), "a shut cap gives no room");
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

fn one_log() -> Encoded {
    let mut item = LogItem::new();
    item.set_timestamp_ns(1).unwrap();
    item.set_origin_msg("m").unwrap();
    let mut enc = Encoded::default();
    enc.encode(&[&item][..]).unwrap();
    enc
}

/// A sender (the real `Intake::append`), close (`Intake::stop`) and a worker draining the
/// outbox's queue until it is finished: an accepted log always reaches the worker.
fn send_racing_close(batch_count: usize) {
    model(move || {
        let intake = Arc::new(Intake::new(
            Accumulator::new(1 << 20, batch_count, Duration::from_secs(60), 8, None),
            MemoryCap::new(1 << 20),
        ));
        intake.start();
        let seen = Arc::new(AtomicUsize::new(0));
        let held = Arc::new(AtomicUsize::new(0));
        let (i, s, h) = (intake.clone(), seen.clone(), held.clone());
        let worker = thread::spawn(move || {
            while let Some(taken) = i.outbox.queue.pop() {
                let (_, batch) = &*taken;
                s.fetch_add(batch.payload.log_count(), Ordering::SeqCst);
                h.fetch_add(batch.reserved, Ordering::SeqCst);
            }
        });
        let i = intake.clone();
        let sender = thread::spawn(move || {
            let enc = one_log();
            let raw_size = enc.standalone_size();
            let part = Part {
                logs: &enc,
                raw_size,
                pending: None,
            };
            i.append("p", "u", part).is_ok()
        });
        assert!(intake.stop(), "the producer was running");
        let accepted = sender.join().unwrap();
        worker.join().unwrap();
        let seen = seen.load(Ordering::SeqCst);
        assert_eq!(
            seen,
            usize::from(accepted),
            "accepted: {accepted}, logs the worker saw: {seen}"
        );
        let (totals, used) = intake.totals();
        assert_eq!(totals.logs_accepted, seen as u64);
        // A refused send holds no room: what is in use is exactly what the batches hold.
        assert_eq!(used, held.load(Ordering::SeqCst));
        assert_eq!(used > 0, accepted);
    });
}

/// A send, a worker reporting what it sent, and a reader of the stats: every snapshot the
/// reader takes is consistent (sent never ahead of accepted, memory in use exactly while
/// something is unreported).
#[test]
fn a_stats_snapshot_racing_a_send_and_its_report_is_consistent() {
    model(|| {
        let intake = Arc::new(Intake::new(
            Accumulator::new(1 << 20, 1, Duration::from_secs(60), 8, None),
            MemoryCap::new(1 << 20),
        ));
        intake.start();
        let i = intake.clone();
        let worker = thread::spawn(move || {
            if let Some(taken) = i.outbox.queue.pop() {
                let (_, batch) = &*taken;
                let n = batch.payload.log_count() as u64;
                i.reported(batch.slot, n, 1, true, batch.reserved, None);
            }
        });
        let i = intake.clone();
        let sender = thread::spawn(move || {
            let enc = one_log();
            let part = Part {
                logs: &enc,
                raw_size: enc.standalone_size(),
                pending: None,
            };
            assert!(i.append("p", "u", part).is_ok());
        });
        for _ in 0..2 {
            let (t, used) = intake.totals();
            assert!(t.logs_sent + t.logs_failed <= t.logs_accepted, "{t:?}");
            assert_eq!(
                used == 0,
                t.logs_sent + t.logs_failed == t.logs_accepted,
                "{t:?}, {used} bytes in use"
            );
        }
        sender.join().unwrap();
        assert!(intake.stop());
        worker.join().unwrap();
        let (t, used) = intake.totals();
        assert_eq!((t.logs_accepted, t.logs_sent, used), (1, 1, 0));
    });
}

#[test]
fn a_send_that_fills_its_batch_while_close_runs_is_refused_or_delivered() {
    send_racing_close(1);
}

#[test]
fn a_send_racing_close_is_refused_or_flushed() {
    send_racing_close(100);
}

#[test]
fn a_poll_racing_close_runs_each_callback_once_before_close_returns() {
    model(|| {
        let results = Arc::new(Results::new(None));
        let ran = Arc::new(Mutex::new(Vec::<u32>::new()));
        let closing_returned = Arc::new(loom::sync::atomic::AtomicBool::new(false));
        let sends = (0..2u32)
            .map(|n| {
                let (ran, done) = (ran.clone(), closing_returned.clone());
                PendingSend {
                    notify: Notify::Boxed(Box::new(move |_| {
                        assert!(!done.load(Ordering::SeqCst), "a callback after close");
                        lock(&ran).push(n);
                    })),
                    log_count: 1,
                }
            })
            .collect();
        let outcome = std::sync::Arc::new(Outcome {
            error: None,
            status_code: 0,
            error_code: String::new(),
            message: "SUCCESS".into(),
            attempts: 1,
        });
        assert!(results.push(sends, outcome));
        let r = results.clone();
        let poller = thread::spawn(move || r.serve(1, 1, Duration::ZERO));
        results.end_and_drain(1);
        closing_returned.store(true, Ordering::SeqCst);
        poller.join().unwrap();
        let mut ran = lock(&ran).clone();
        ran.sort();
        assert_eq!(ran, [0, 1], "each callback exactly once");
    });
}
