//! The linger thread (lts-linger): one per producer that closes batches whose linger time has
//! passed, so a quiet (project, unit) still sends within `linger_ms`.

use std::time::Instant;

use crate::producer::intake::{Intake, CLOSING};
use crate::producer::sync::{lock, wait_until};

impl Intake {
    /// The linger thread's body: runs until the producer stops (it may start before the
    /// producer runs; nothing is open then). Due batches are posted under the intake lock,
    /// like every batch (see `intake.rs`).
    pub fn run_linger(&self) {
        let mut open = lock(&self.open);
        while self.state() < CLOSING {
            let now = Instant::now();
            let (due, next) = open.expire(now);
            for b in due {
                self.outbox.post(b);
            }
            open = match next {
                Some(t) => wait_until(&self.linger_wake, open, t).0,
                None => self
                    .linger_wake
                    .wait(open)
                    .unwrap_or_else(|p| p.into_inner()),
            };
        }
    }
}
