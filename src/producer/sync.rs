//! The synchronisation primitives of the producer's shared-state protocols, swapped for
//! loom's under `--cfg loom` so the model checker explores every interleaving of the real
//! code (see `loom_tests.rs`).

#[cfg(loom)]
pub(crate) use loom::sync::{
    atomic::{AtomicBool, AtomicU8, AtomicUsize},
    Condvar, Mutex, MutexGuard,
};
#[cfg(not(loom))]
pub(crate) use std::sync::{
    atomic::{AtomicBool, AtomicU8, AtomicUsize},
    Condvar, Mutex, MutexGuard,
};

use std::time::Instant;

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Waits on `cv` until notified or `deadline`. Returns the guard and whether the deadline
/// passed. Under loom there is no clock: the wait is untimed, so a lost wakeup shows up as a
/// deadlock the checker reports instead of being hidden by the timeout.
pub(crate) fn wait_until<'a, T>(
    cv: &Condvar,
    guard: MutexGuard<'a, T>,
    deadline: Instant,
) -> (MutexGuard<'a, T>, bool) {
    #[cfg(loom)]
    {
        let _ = deadline;
        (cv.wait(guard).unwrap_or_else(|p| p.into_inner()), false)
    }
    #[cfg(not(loom))]
    {
        let now = Instant::now();
        if now >= deadline {
            return (guard, true);
        }
        let (g, _) = cv
            .wait_timeout(guard, deadline - now)
            .unwrap_or_else(|p| p.into_inner());
        (g, Instant::now() >= deadline)
    }
}
