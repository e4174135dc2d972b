//! The cap on buffered bytes: senders reserve before a log is accepted, and the bytes come
//! back when its batch's result is reported. A sender that may wait sleeps on a condition
//! variable and is woken by the release, never by polling.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::producer::sync::{lock, wait_until, AtomicUsize, Condvar, Mutex};

pub struct MemoryCap {
    cap: usize,
    used: AtomicUsize,
    lock: Mutex<()>,
    freed: Condvar,
}

impl MemoryCap {
    pub fn new(cap: usize) -> Self {
        MemoryCap {
            cap,
            used: AtomicUsize::new(0),
            lock: Mutex::new(()),
            freed: Condvar::new(),
        }
    }

    fn try_reserve(&self, n: usize) -> bool {
        let mut current = self.used.load(Ordering::Acquire);
        loop {
            let Some(next) = current.checked_add(n).filter(|&t| t <= self.cap) else {
                return false;
            };
            match self.used.compare_exchange_weak(
                current,
                next,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return true,
                Err(actual) => current = actual,
            }
        }
    }

    /// Reserves `n` bytes, waiting up to `max_wait` for room. False if there was none.
    pub fn reserve(&self, n: usize, max_wait: Duration) -> bool {
        if self.try_reserve(n) {
            return true;
        }
        if max_wait.is_zero() {
            return false;
        }
        let deadline = Instant::now() + max_wait;
        let mut guard = lock(&self.lock);
        loop {
            // Checked under the lock that release() takes before notifying: no lost wakeup.
            if self.try_reserve(n) {
                return true;
            }
            let (g, timed_out) = wait_until(&self.freed, guard, deadline);
            guard = g;
            if timed_out && !self.try_reserve(n) {
                return false;
            } else if timed_out {
                return true;
            }
        }
    }

    /// Counts bytes that are already in memory (batches read back from a spill directory),
    /// even past the cap: they must be sent, and they were not the caller's to refuse.
    pub fn add(&self, n: usize) {
        self.used.fetch_add(n, Ordering::AcqRel);
    }

    pub fn release(&self, n: usize) {
        self.used.fetch_sub(n, Ordering::AcqRel);
        let _guard = lock(&self.lock);
        self.freed.notify_all();
    }

    pub fn used(&self) -> usize {
        self.used.load(Ordering::Acquire)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn reserves_up_to_the_cap_and_wakes_a_waiter_on_release() {
        let m = Arc::new(MemoryCap::new(100));
        assert!(m.reserve(60, Duration::ZERO));
        assert!(!m.reserve(41, Duration::ZERO));
        assert!(m.reserve(40, Duration::ZERO));
        let m2 = m.clone();
        let waiter = std::thread::spawn(move || m2.reserve(30, Duration::from_secs(30)));
        m.release(60);
        assert!(waiter.join().unwrap());
        assert_eq!(m.used(), 70);
        assert!(
            !m.reserve(31, Duration::from_millis(20)),
            "times out without room"
        );
    }
}
