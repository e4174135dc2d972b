//! Blocking calls that Ctrl-C can interrupt. The core's waits (close, a request) do not
//! return to Python until they end, and Python runs its signal handlers only between
//! bytecodes of the main thread; so the call runs on a helper thread while the caller waits
//! for it with the interpreter released, waking every `TICK` to let Python run pending signal
//! handlers. A KeyboardInterrupt then raises at once; the call itself goes on to its end on the
//! helper thread (a close still delivers or reports every log), and calling it again waits for
//! that same end.

use std::sync::mpsc;
use std::time::Duration;

use lts::error::ErrorKind;
use pyo3::prelude::*;

use crate::errors::exception;

const TICK: Duration = Duration::from_millis(50);

pub fn interruptible<T: Send + 'static>(
    py: Python<'_>,
    what: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> PyResult<T> {
    let (tx, rx) = mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name(format!("lts-{what}"))
        .spawn(move || {
            // The receiver may be gone (interrupted): the result is then dropped.
            let _ = tx.send(f());
        })
        .map_err(|e| {
            exception(
                py,
                ErrorKind::Internal,
                &format!("cannot start a thread for {what}: {e}"),
            )
        })?;
    let mut rx = rx;
    loop {
        // The receiver travels into the released section and back (it is Send, not Sync).
        let (got, back) = py.detach(move || (rx.recv_timeout(TICK), rx));
        rx = back;
        match got {
            Ok(v) => return Ok(v),
            Err(mpsc::RecvTimeoutError::Timeout) => py.check_signals()?,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err(exception(
                    py,
                    ErrorKind::Internal,
                    &format!("{what} ended without a result (a panic in the core)"),
                ))
            }
        }
    }
}
