//! The cap on buffered bytes: senders reserve before a log is accepted, and the bytes come
//! back when its batch's result is reported. A sender that may wait sleeps on a condition
//! variable and is woken by the release, never by polling.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

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
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |u| {
                u.checked_add(n).filter(|&t| t <= self.cap)
            })
            .is_ok()
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
        let mut guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            // Checked under the lock that release() takes before notifying: no lost wakeup.
            if self.try_reserve(n) {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            guard = self
                .freed
                .wait_timeout(guard, deadline - now)
                .map(|(g, _)| g)
                .unwrap_or_else(|p| p.into_inner().0);
        }
    }

    pub fn release(&self, n: usize) {
        self.used.fetch_sub(n, Ordering::AcqRel);
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        self.freed.notify_all();
    }

    pub fn used(&self) -> usize {
        self.used.load(Ordering::Acquire)
    }
}

#[cfg(test)]
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
