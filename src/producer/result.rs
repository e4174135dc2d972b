//! Send results and how they reach the application: a callback thread, or a queue the
//! application polls. Each accepted send's callback runs exactly once.

use std::cell::Cell;
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use crate::error::ErrorKind;

/// The outcome of one send call.
#[derive(Debug, Clone)]
pub struct SendResult {
    /// `None` when the batch was accepted by the service.
    pub error: Option<ErrorKind>,
    /// The service's `statusCode`; -1 when there was no answer.
    pub status_code: i32,
    /// `LTS_xxxx` from the service, or "".
    pub error_code: String,
    /// The service's message or a local reason.
    pub message: String,
    /// This send call's logs.
    pub log_count: usize,
    /// Requests made for the batch.
    pub attempts: u32,
}

/// What the application gave to be called with a send's result.
pub type Callback = Box<dyn FnOnce(&SendResult) + Send>;

pub(crate) enum Event {
    Result(Callback, SendResult),
    /// No result follows: the callback thread stops, a closing poll returns.
    End,
}

thread_local! {
    /// The producer whose callback this thread is running (its address), or 0.
    static IN_CALLBACK: Cell<usize> = const { Cell::new(0) };
}

/// True while this thread runs a callback of producer `id`.
pub(crate) fn in_callback_of(id: usize) -> bool {
    IN_CALLBACK.with(|c| c.get() == id)
}

/// Runs one callback, marking the thread as inside it; a panic in it is contained.
pub(crate) fn run_callback(id: usize, callback: Callback, result: &SendResult) {
    let previous = IN_CALLBACK.with(|c| c.replace(id));
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| callback(result)));
    IN_CALLBACK.with(|c| c.set(previous));
}

/// The queue between whoever finishes a batch and whoever runs callbacks.
pub(crate) struct Results {
    pub tx: Sender<Event>,
    pub rx: Receiver<Event>,
}

impl Results {
    pub fn new() -> Self {
        let (tx, rx) = crossbeam_channel::unbounded();
        Results { tx, rx }
    }
}

/// Runs ready callbacks on this thread: waits up to `timeout` for the first, then takes
/// what is already there, up to `max`. Returns how many ran and whether `End` was seen.
pub(crate) fn serve(
    id: usize,
    rx: &Receiver<Event>,
    max: usize,
    timeout: Duration,
) -> (usize, bool) {
    let mut served = 0;
    while served < max {
        let event = if served == 0 {
            match rx.recv_timeout(timeout) {
                Ok(e) => e,
                Err(RecvTimeoutError::Timeout) => return (served, false),
                Err(RecvTimeoutError::Disconnected) => return (served, true),
            }
        } else {
            match rx.try_recv() {
                Ok(e) => e,
                Err(_) => return (served, false),
            }
        };
        match event {
            Event::Result(cb, r) => {
                run_callback(id, cb, &r);
                served += 1;
            }
            Event::End => return (served, true),
        }
    }
    (served, false)
}
