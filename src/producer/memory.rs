//! The cap on buffered bytes. A send reserves its bytes under the intake lock, in the same
//! critical section that appends it (so a reservation exists only for an accepted send,
//! and close, which stops intake under that lock, never sees one that is about to be
//! refused); the bytes come back when its batch's result is reported. A sender allowed to
//! wait for room does so outside the intake lock, on a condition variable woken by the
//! release, never by polling, and then tries again.

use std::sync::atomic::Ordering;
use std::time::Instant;

use crate::producer::sync::{lock, wait_until, AtomicBool, AtomicUsize, Condvar, Mutex};

pub struct MemoryCap {
    /// Kept for request bodies (see `for_producer`).
    kept: usize,
    /// What sends may take; the rest of the cap is kept for the request bodies workers
    /// count while they deliver (see `for_producer`).
    cap: usize,
    used: AtomicUsize,
    /// Set by close: waiting senders give up at once (the producer refuses them anyway).
    shut: AtomicBool,
    lock: Mutex<()>,
    freed: Condvar,
    /// Counts releases (memory, or a journal segment freed): a sender refused for want of
    /// journal disk waits for it to change.
    releases: AtomicUsize,
}

impl MemoryCap {
    pub fn new(cap: usize) -> Self {
        MemoryCap {
            kept: 0,
            cap,
            used: AtomicUsize::new(0),
            shut: AtomicBool::new(false),
            lock: Mutex::new(()),
            freed: Condvar::new(),
            releases: AtomicUsize::new(0),
        }
    }

    /// The cap of a producer with `workers` workers and batches of `batch_size`: sends may
    /// take all of it but room for each worker's request body (a compressed batch), so
    /// counting the bodies keeps the total within `cap` (a quarter of it at most is kept).
    pub fn for_producer(cap: usize, workers: usize, batch_size: usize) -> Self {
        let body = batch_size + batch_size / 255 + 64;
        let kept = workers.saturating_mul(body).min(cap / 4);
        MemoryCap {
            kept,
            ..MemoryCap::new(cap - kept)
        }
    }

    /// Whether `n` more bytes fit with `used` in use. An empty buffer takes any one send (one
    /// that alone exceeds the cap, by its bookkeeping, would otherwise never be accepted).
    fn fits(&self, used: usize, n: usize) -> Option<usize> {
        used.checked_add(n).filter(|&t| t <= self.cap || used == 0)
    }

    /// Reserves `n` bytes if they fit now.
    pub fn try_reserve(&self, n: usize) -> bool {
        if n == 0 {
            return true;
        }
        let mut current = self.used.load(Ordering::Acquire);
        loop {
            let Some(next) = self.fits(current, n) else {
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

    /// Waits until `n` bytes would fit (reserving nothing: the caller tries again), until
    /// `deadline`, or until the cap is shut. True if there is room.
    pub fn wait_for_room(&self, n: usize, deadline: Instant) -> bool {
        let mut guard = lock(&self.lock);
        loop {
            // Checked under the lock that release() and shut() take before notifying: no
            // lost wakeup.
            if self.shut.load(Ordering::Acquire) {
                return false;
            }
            if self.fits(self.used.load(Ordering::Acquire), n).is_some() {
                return true;
            }
            let (g, timed_out) = wait_until(&self.freed, guard, deadline);
            guard = g;
            if timed_out {
                return !self.shut.load(Ordering::Acquire)
                    && self.fits(self.used.load(Ordering::Acquire), n).is_some();
            }
        }
    }

    /// Counts bytes that are already in memory (batches read back from a spill directory),
    /// even past the cap: they must be sent, and they were not the caller's to refuse.
    pub fn add(&self, n: usize) {
        self.used.fetch_add(n, Ordering::AcqRel);
    }

    /// Gives back bytes reserved a moment ago and not used, without waking waiters: only
    /// for a caller that leaves at least as much in use as before its reservation (then
    /// no room appeared that a waiter has not seen).
    pub fn give_back(&self, n: usize) {
        if n > 0 {
            self.used.fetch_sub(n, Ordering::AcqRel);
        }
    }

    pub fn release(&self, n: usize) {
        self.used.fetch_sub(n, Ordering::AcqRel);
        let _guard = lock(&self.lock);
        self.releases.fetch_add(1, Ordering::AcqRel);
        self.freed.notify_all();
    }

    /// How many releases there have been (see [`MemoryCap::wait_for_release`]).
    pub fn releases(&self) -> usize {
        self.releases.load(Ordering::Acquire)
    }

    /// Waits until a release after the `since`-th (read before the refused attempt, so none
    /// is missed), until `deadline`, or until the cap is shut. True if one came.
    pub fn wait_for_release(&self, since: usize, deadline: Instant) -> bool {
        let mut guard = lock(&self.lock);
        loop {
            if self.shut.load(Ordering::Acquire) {
                return false;
            }
            if self.releases.load(Ordering::Acquire) != since {
                return true;
            }
            let (g, timed_out) = wait_until(&self.freed, guard, deadline);
            guard = g;
            if timed_out {
                return self.releases.load(Ordering::Acquire) != since;
            }
        }
    }

    /// Wakes every waiter, as a release would (a waiter with its own reason to stop, such
    /// as the journal's recovery when close begins, looks at it).
    pub fn wake(&self) {
        let _guard = lock(&self.lock);
        self.releases.fetch_add(1, Ordering::AcqRel);
        self.freed.notify_all();
    }

    /// Wakes every waiting sender, and makes later waits give up at once.
    pub fn shut(&self) {
        self.shut.store(true, Ordering::Release);
        let _guard = lock(&self.lock);
        self.freed.notify_all();
    }

    /// The bytes kept for request bodies, beyond what sends may take.
    pub fn kept(&self) -> usize {
        self.kept
    }

    pub fn used(&self) -> usize {
        self.used.load(Ordering::Acquire)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn reserves_up_to_the_cap_and_wakes_a_waiter_on_release() {
        let m = Arc::new(MemoryCap::new(100));
        assert!(m.try_reserve(60));
        assert!(!m.try_reserve(41));
        assert!(m.try_reserve(40));
        let m2 = m.clone();
        let waiter = std::thread::spawn(move || {
            m2.wait_for_room(30, Instant::now() + Duration::from_secs(30)) && m2.try_reserve(30)
        });
        m.release(60);
        assert!(waiter.join().unwrap());
        assert_eq!(m.used(), 70);
        assert!(
            !m.wait_for_room(31, Instant::now() + Duration::from_millis(20)),
            "times out without room"
        );
        m.shut();
        assert!(!m.wait_for_room(1, Instant::now() + Duration::from_secs(30)));
    }

    #[test]
    fn an_empty_buffer_takes_one_send_larger_than_the_cap() {
        let m = MemoryCap::new(10);
        assert!(m.try_reserve(11));
        assert!(!m.try_reserve(1));
        m.release(11);
        assert_eq!(m.used(), 0);
    }
}
