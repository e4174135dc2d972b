//! The temporary token: fetched once, renewed ahead of expiry by a single thread, dropped
//! when the service says it is no longer valid (protocol §2).

use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

#[derive(Clone)]
struct Token {
    value: Arc<str>,
    renew_at: Instant,
    expires_at: Instant,
}

struct State<E> {
    current: Option<Token>,
    renewing: bool,
    /// Bumped by every completed fetch, so waiters learn how the fetch they waited for ended.
    generation: u64,
    last_failure: Option<(u64, E)>,
}

/// A token shared by every thread of a client.
pub struct TokenCache<E> {
    state: Mutex<State<E>>,
    renewed: Condvar,
    renew_percent: u32,
}

/// Resets `renewing` even if the fetch unwinds, so waiters are never stranded.
struct RenewGuard<'a, E> {
    cache: &'a TokenCache<E>,
    armed: bool,
}

impl<E> Drop for RenewGuard<'_, E> {
    fn drop(&mut self) {
        if self.armed {
            let mut st = self.cache.state.lock().unwrap_or_else(|p| p.into_inner());
            st.renewing = false;
            st.generation += 1;
            self.cache.renewed.notify_all();
        }
    }
}

impl<E: Clone> TokenCache<E> {
    pub fn new(renew_percent: u32) -> Self {
        TokenCache {
            state: Mutex::new(State {
                current: None,
                renewing: false,
                generation: 0,
                last_failure: None,
            }),
            renewed: Condvar::new(),
            renew_percent,
        }
    }

    /// A usable token. While the current one is fresh it is returned at once; past its renewal
    /// point one caller renews while the others keep using it until it expires; without a valid
    /// token the others wait for that one fetch and share its result.
    ///
    /// `fetch` returns the token and how long it lives.
    pub fn get(
        &self,
        fetch: impl FnOnce() -> Result<(String, Duration), E>,
    ) -> Result<Arc<str>, E> {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            let now = Instant::now();
            if let Some(t) = &st.current {
                if now < t.renew_at || (st.renewing && now < t.expires_at) {
                    return Ok(t.value.clone());
                }
            }
            if !st.renewing {
                break;
            }
            let waited_for = st.generation;
            while st.renewing && st.generation == waited_for {
                st = self.renewed.wait(st).unwrap_or_else(|p| p.into_inner());
            }
            if let Some((generation, err)) = &st.last_failure {
                if *generation == waited_for + 1 {
                    return Err(err.clone());
                }
            }
        }
        st.renewing = true;
        drop(st);

        let mut guard = RenewGuard {
            cache: self,
            armed: true,
        };
        let fetched = fetch();
        guard.armed = false;
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        st.renewing = false;
        st.generation += 1;
        let result = match fetched {
            Ok((value, life)) => {
                let now = Instant::now();
                let value: Arc<str> = value.into();
                st.current = Some(Token {
                    value: value.clone(),
                    renew_at: now + life * self.renew_percent / 100,
                    expires_at: now + life,
                });
                st.last_failure = None;
                Ok(value)
            }
            Err(e) => {
                st.last_failure = Some((st.generation, e.clone()));
                Err(e)
            }
        };
        self.renewed.notify_all();
        result
    }

    /// Forgets `used` if it is still the current token (the service refused it), so the next
    /// `get` renews; a token another thread already replaced is left alone.
    pub fn invalidate(&self, used: &str) {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if st.current.as_ref().is_some_and(|t| &*t.value == used) {
            st.current = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Barrier;

    #[test]
    fn many_threads_without_a_token_share_one_fetch() {
        let cache = Arc::new(TokenCache::<String>::new(80));
        let fetches = Arc::new(AtomicUsize::new(0));
        let barrier = Arc::new(Barrier::new(8));
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let (cache, fetches, barrier) = (cache.clone(), fetches.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    cache
                        .get(|| {
                            fetches.fetch_add(1, Ordering::SeqCst);
                            // Hold the renewal open until every thread has asked.
                            std::thread::yield_now();
                            Ok(("tok".into(), Duration::from_secs(60)))
                        })
                        .unwrap()
                })
            })
            .collect();
        for h in handles {
            assert_eq!(&*h.join().unwrap(), "tok");
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn renews_past_the_renewal_point_and_after_invalidation() {
        let cache = TokenCache::<String>::new(80);
        let t1 = cache.get(|| Ok(("a".into(), Duration::ZERO))).unwrap();
        assert_eq!(&*t1, "a");
        // Zero life: the next call renews.
        let t2 = cache
            .get(|| Ok(("b".into(), Duration::from_secs(60))))
            .unwrap();
        assert_eq!(&*t2, "b");
        let t3 = cache
            .get(|| panic!("fresh token must not be renewed"))
            .unwrap();
        assert_eq!(&*t3, "b");
        cache.invalidate("a"); // stale: ignored
        assert_eq!(&*cache.get(|| panic!("still fresh")).unwrap(), "b");
        cache.invalidate("b");
        assert_eq!(
            &*cache
                .get(|| Ok(("c".into(), Duration::from_secs(60))))
                .unwrap(),
            "c"
        );
    }

    #[test]
    fn a_failed_fetch_is_reported_and_the_next_call_tries_again() {
        let cache = TokenCache::<String>::new(80);
        assert_eq!(
            cache.get(|| Err("refused".to_owned())).unwrap_err(),
            "refused"
        );
        assert_eq!(
            &*cache
                .get(|| Ok(("t".into(), Duration::from_secs(9))))
                .unwrap(),
            "t"
        );
    }

    #[test]
    fn a_panicking_fetch_does_not_strand_later_callers() {
        let cache = Arc::new(TokenCache::<String>::new(80));
        let c = cache.clone();
        let r = std::thread::spawn(move || c.get(|| panic!("boom"))).join();
        assert!(r.is_err());
        assert_eq!(
            &*cache
                .get(|| Ok(("t".into(), Duration::from_secs(9))))
                .unwrap(),
            "t"
        );
    }
}
