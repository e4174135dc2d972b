//! Send results and how they reach the application: a callback thread, or a queue the
//! application polls. Each accepted send's callback runs exactly once.
//!
//! A batch's outcome is made once and shared by its sends: reporting a batch of 4096 sends
//! queues one event, not 4096 results with their own copies of the message.

use std::cell::Cell;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::error::ErrorKind;
use crate::log::Level;
use crate::producer::batch::PendingSend;
use crate::producer::config::StatsCallback;
use crate::producer::queue::{Pop, Queue};

/// How a batch ended, shared by the sends it carried.
#[derive(Debug)]
pub struct Outcome {
    /// `None` when the batch was accepted by the service.
    pub error: Option<ErrorKind>,
    /// The service's `statusCode`; -1 when there was no answer.
    pub status_code: i32,
    /// `LTS_xxxx` from the service, or "".
    pub error_code: String,
    /// The service's message or a local reason.
    pub message: String,
    /// Requests made for the batch.
    pub attempts: u32,
}

impl Outcome {
    /// A delivery's result as its sends are told it.
    pub(crate) fn of(
        result: std::result::Result<crate::Response, crate::Error>,
        attempts: u32,
    ) -> Self {
        match result {
            Ok(r) => Outcome {
                error: None,
                status_code: r.status_code,
                error_code: r.error,
                message: r.message,
                attempts,
            },
            Err(e) => {
                let (status_code, error_code) = e
                    .response
                    .map(|r| (r.status_code, r.error))
                    .unwrap_or((-1, String::new()));
                Outcome {
                    error: Some(e.kind),
                    status_code,
                    error_code,
                    message: e.message,
                    attempts,
                }
            }
        }
    }
}

/// The outcome of one send call: its batch's [`Outcome`] (read through `Deref`) and how many
/// logs the call held.
#[derive(Debug, Clone)]
pub struct SendResult {
    pub outcome: Arc<Outcome>,
    /// This send call's logs.
    pub log_count: usize,
}

impl std::ops::Deref for SendResult {
    type Target = Outcome;
    fn deref(&self) -> &Outcome {
        &self.outcome
    }
}

/// What the application gave to be called with a send's result.
pub type Callback = Box<dyn FnOnce(&SendResult) + Send>;

/// A send's callback as the producer keeps it.
pub enum Notify {
    Boxed(Callback),
    /// A plain function and two words of context it interprets: no allocation per send (the
    /// C API passes its function pointer and user data this way).
    Plain {
        f: fn(&SendResult, [usize; 2]),
        ctx: [usize; 2],
    },
}

impl Notify {
    /// Heap memory this callback holds (a boxed closure and its allocation's header).
    pub(crate) fn heap_bytes(&self) -> usize {
        match self {
            Notify::Boxed(b) => std::mem::size_of_val(&**b) + 16,
            Notify::Plain { .. } => 0,
        }
    }

    fn call(self, r: &SendResult) {
        match self {
            Notify::Boxed(cb) => cb(r),
            Notify::Plain { f, ctx } => f(r, ctx),
        }
    }
}

impl From<Callback> for Notify {
    fn from(cb: Callback) -> Self {
        Notify::Boxed(cb)
    }
}

/// One reported batch's sends that are still owed their callback.
pub(crate) struct Reported {
    pub sends: std::vec::IntoIter<PendingSend>,
    pub outcome: Arc<Outcome>,
}

/// What the result stream carries: callbacks to run, and the producer's log lines and
/// periodic stats, which run where callbacks run (in order with them).
pub(crate) enum Event {
    Sends(Reported),
    Line(Level, String),
    Stats(String),
}

thread_local! {
    /// The producer whose callback this thread is running (its address), or 0.
    static IN_CALLBACK: Cell<usize> = const { Cell::new(0) };
}

/// True while this thread runs a callback of producer `id`.
pub(crate) fn in_callback_of(id: usize) -> bool {
    IN_CALLBACK.with(|c| c.get() == id)
}

/// Runs `f` marked as inside producer `id`'s callbacks (close and free from inside are
/// refused); a panic in it is contained.
fn as_callback(id: usize, f: impl FnOnce()) {
    let previous = IN_CALLBACK.with(|c| c.replace(id));
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    IN_CALLBACK.with(|c| c.set(previous));
}

/// Runs one callback.
fn run_callback(id: usize, send: PendingSend, outcome: &Arc<Outcome>) {
    let result = SendResult {
        outcome: outcome.clone(),
        log_count: send.log_count,
    };
    as_callback(id, || send.notify.call(&result));
}

/// The queue between whoever reports a batch and whoever runs callbacks.
pub(crate) struct Results {
    queue: Queue<Event>,
    stats_callback: Option<StatsCallback>,
}

impl Results {
    pub fn new(stats_callback: Option<StatsCallback>) -> Self {
        Results {
            queue: Queue::new(),
            stats_callback,
        }
    }

    /// Queues a batch's callbacks. Returns false if the stream has ended (a bug: close ends
    /// it only after every batch is reported).
    pub fn push(&self, sends: Vec<PendingSend>, outcome: Arc<Outcome>) -> bool {
        if sends.is_empty() {
            return true;
        }
        self.queue
            .push(Event::Sends(Reported {
                sends: sends.into_iter(),
                outcome,
            }))
            .is_ok()
    }

    /// Queues a log line. After the stream has ended the line is dropped: it could only be
    /// about a request close gave up on (close's own line reported those batches), and
    /// writing it here would run the hook on a worker thread where a poll-mode application
    /// (PHP, say) never expects it.
    pub fn line(&self, level: Level, text: String) {
        let _ = self.queue.push(Event::Line(level, text));
    }

    /// Queues the stats for the stats callback; dropped once the stream has ended.
    pub fn stats(&self, json: String) {
        let _ = self.queue.push(Event::Stats(json));
    }

    /// No result follows: the callback thread stops once it has run the rest, pollers
    /// return.
    pub fn end(&self) {
        self.queue.close();
    }

    /// Runs a line or the stats (what is not a callback).
    fn run_other(&self, id: usize, event: &Event) {
        match event {
            Event::Line(level, text) => as_callback(id, || crate::log::write(*level, text)),
            Event::Stats(json) => {
                if let Some(cb) = &self.stats_callback {
                    as_callback(id, || cb(json));
                }
            }
            Event::Sends(_) => {}
        }
    }

    /// The callback thread's body: runs callbacks until the stream has ended and been run.
    pub fn run_until_end(&self, id: usize) {
        while let Some(mut taken) = self.queue.pop() {
            match taken.get_mut() {
                Event::Sends(r) => {
                    let outcome = r.outcome.clone();
                    for send in r.sends.by_ref() {
                        run_callback(id, send, &outcome);
                    }
                }
                other => self.run_other(id, other),
            }
        }
    }

    /// Runs ready callbacks on this thread: waits up to `timeout` for the first, then takes
    /// what is already there, up to `max`. Returns how many callbacks ran (lines and stats
    /// met on the way run too, and are not counted).
    pub fn serve(&self, id: usize, max: usize, timeout: Duration) -> usize {
        let deadline = Instant::now() + timeout;
        let mut served = 0;
        while served < max {
            // Until a callback has run, wait (up to the deadline) past lines and stats too.
            let popped = if served == 0 {
                self.queue.pop_until(deadline)
            } else {
                self.queue.try_pop()
            };
            let Pop::Item(mut taken) = popped else {
                break;
            };
            let r = match taken.get_mut() {
                Event::Sends(r) => r,
                other => {
                    self.run_other(id, other);
                    continue;
                }
            };
            let outcome = r.outcome.clone();
            while served < max {
                let Some(send) = r.sends.next() else { break };
                run_callback(id, send, &outcome);
                served += 1;
            }
            if r.sends.len() > 0 {
                // This call's share is done; the batch's other sends are the next poll's.
                taken.put_back();
            }
        }
        served
    }

    /// Ends the stream and runs what is left on this thread, also waiting for callbacks
    /// other threads are running in their polls (poll mode's close).
    pub fn end_and_drain(&self, id: usize) {
        self.end();
        self.run_until_end(id);
    }
}
