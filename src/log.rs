//! The library's own log: lines saying what is going wrong (and, at the higher levels, what
//! it is doing). Warnings and errors go to stderr until the application sets a hook; at
//! `OFF` nothing is written at all. Lines never carry a secret: they are made from URLs
//! (no credentials in them), the service's answers and local reasons.
//!
//! A component says where its lines run with a [`Logger`]: the sync client writes them on
//! the calling thread; a producer queues them with its callbacks, so the hook runs where
//! callbacks run (its callback thread, or the application's poll). Each kind of event is
//! rate-limited: the first line is written at once, then at most one per
//! [`RATE_LIMIT_WINDOW`], saying how many like it were left out.

use std::cell::Cell;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// Nothing is written.
pub const OFF: i32 = -1;

/// How serious a line is (syslog's numbers, as librdkafka uses them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(i32)]
pub enum Level {
    Error = 3,
    Warn = 4,
    Info = 6,
    Debug = 7,
}

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warn => "warn",
            Level::Info => "info",
            Level::Debug => "debug",
        }
    }
}

/// Where lines go once the application takes them: level and line, on whichever thread the
/// line's component runs its lines (see the module doc).
pub type Hook = Arc<dyn Fn(Level, &str) + Send + Sync>;

static LEVEL: AtomicI32 = AtomicI32::new(Level::Warn as i32);
/// `None`: stderr. Read-locked while a hook runs, so replacing the hook waits for calls of
/// the old one to end: after `set_hook` returns, the old hook is never called again.
static HOOK: RwLock<Option<Hook>> = RwLock::new(None);

thread_local! {
    /// Set while this thread runs the hook: lines the hook itself causes are dropped, rather
    /// than recursing (or deadlocking on `HOOK`).
    static IN_HOOK: Cell<bool> = const { Cell::new(false) };
}

/// Replaces the hook (`None`: back to stderr). Waits for calls of the old hook running on
/// other threads to finish. Ignored when called from inside the hook, which could not wait
/// for itself.
pub fn set_hook(hook: Option<Hook>) {
    if IN_HOOK.with(Cell::get) {
        return;
    }
    *HOOK.write().unwrap_or_else(|p| p.into_inner()) = hook;
}

/// Lines above `level` are dropped; [`OFF`] (or anything below `Error`) drops them all.
/// The default is `Warn`.
pub fn set_level(level: i32) {
    LEVEL.store(level, Ordering::Relaxed);
}

/// The current level (as set).
pub fn level() -> i32 {
    LEVEL.load(Ordering::Relaxed)
}

/// Whether a line at `level` would be written now (checked before a line is made, so a
/// dropped level costs one atomic load).
pub fn enabled(level: Level) -> bool {
    (level as i32) <= LEVEL.load(Ordering::Relaxed)
}

/// Writes a line now, on this thread: to the hook if one is set, else to stderr. The level
/// is checked again here, since it may have changed while the line waited in a queue.
pub fn write(level: Level, line: &str) {
    if !enabled(level) || IN_HOOK.with(Cell::get) {
        return;
    }
    let hook = HOOK.read().unwrap_or_else(|p| p.into_inner());
    IN_HOOK.with(|c| c.set(true));
    // A panicking hook loses its line, nothing else.
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match &*hook {
        Some(h) => h(level, line),
        None => {
            use std::io::Write;
            let _ = writeln!(std::io::stderr().lock(), "liblts {}: {line}", level.name());
        }
    }));
    IN_HOOK.with(|c| c.set(false));
}

/// The kinds of event, each rate-limited on its own (per [`Logger`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    /// An attempt failed and another follows.
    Attempt,
    /// A delivery ended in failure.
    Failed,
    /// Getting or renewing the token failed.
    Token,
    /// A send was refused for lack of room under the memory cap.
    BufferFull,
    /// The journal: what a restart found, damage, a disk that failed.
    Journal,
    /// The journal stopped or started journaling new logs (its disk failed, or works
    /// again): never limited, so neither is hidden behind another journal line; at most
    /// two lines per retry of a failed disk.
    JournalState,
    /// Close left logs unsent.
    Close,
    /// What went well (info and debug lines): never limited, as nobody asks for them by
    /// default.
    Progress,
}

const TOPICS: usize = 8;

impl Topic {
    fn index(self) -> usize {
        self as usize
    }

    fn what(self) -> &'static str {
        match self {
            Topic::Attempt => "failed attempts",
            Topic::Failed => "failed deliveries",
            Topic::Token => "token failures",
            Topic::BufferFull => "refusals for a full buffer",
            Topic::Journal => "journal lines",
            Topic::JournalState => "journal state changes",
            Topic::Close => "close lines",
            Topic::Progress => "progress lines",
        }
    }
}

/// At most one line per topic in this window, after the first.
pub const RATE_LIMIT_WINDOW: Duration = Duration::from_secs(10);

#[derive(Default)]
struct Window {
    last: Option<Instant>,
    left_out: u64,
}

/// Where a [`Logger`]'s lines run.
pub enum Route {
    /// Written at once on the calling thread.
    Now,
    /// Handed to a function that runs them elsewhere (a producer's result stream).
    Via(Box<dyn Fn(Level, String) + Send + Sync>),
}

/// One component's lines: their route, their rate limits, and the levels its failures are
/// worth (a sync client's caller gets the error itself, so its failed attempts are only
/// info; a producer's failures would otherwise be seen only by its callbacks).
pub struct Logger {
    route: Route,
    windows: [Mutex<Window>; TOPICS],
    /// The level of a failed attempt that will be retried.
    pub attempt_level: Level,
    /// The level of a delivery that failed for good.
    pub failed_level: Level,
}

impl Logger {
    pub fn new(route: Route, attempt_level: Level, failed_level: Level) -> Self {
        Logger {
            route,
            windows: Default::default(),
            attempt_level,
            failed_level,
        }
    }

    /// A logger writing on the calling thread, failures at `Info`: the sync client's.
    pub fn sync_client() -> Arc<Logger> {
        Arc::new(Logger::new(Route::Now, Level::Info, Level::Info))
    }

    /// Logs a line about `topic` at `level`, unless the level is off or the topic's window
    /// has had its line (then it is counted, and the next line says so). `line` is only
    /// called when the line is written.
    pub fn log(&self, topic: Topic, level: Level, line: impl FnOnce() -> String) {
        if !enabled(level) {
            return;
        }
        let mut text = match topic {
            Topic::Progress | Topic::JournalState => line(),
            _ => {
                let now = Instant::now();
                let mut w = self.windows[topic.index()]
                    .lock()
                    .unwrap_or_else(|p| p.into_inner());
                if w.last
                    .is_some_and(|t| now.duration_since(t) < RATE_LIMIT_WINDOW)
                {
                    w.left_out += 1;
                    return;
                }
                w.last = Some(now);
                let left_out = std::mem::take(&mut w.left_out);
                drop(w);
                let mut text = line();
                if left_out > 0 {
                    text.push_str(&format!(
                        " ({left_out} more {} since the last such line were not logged)",
                        topic.what()
                    ));
                }
                text
            }
        };
        if text.is_empty() {
            text.push('-');
        }
        self.emit(level, text);
    }

    /// Writes one line for each topic whose window left lines out, so a count is never lost
    /// when no later line would have carried it (a producer's close calls this).
    pub fn flush_left_out(&self) {
        for (i, w) in self.windows.iter().enumerate() {
            let left_out =
                std::mem::take(&mut w.lock().unwrap_or_else(|p| p.into_inner()).left_out);
            if left_out > 0 {
                let topic = [
                    Topic::Attempt,
                    Topic::Failed,
                    Topic::Token,
                    Topic::BufferFull,
                    Topic::Journal,
                    Topic::JournalState,
                    Topic::Close,
                    Topic::Progress,
                ][i];
                if enabled(Level::Warn) {
                    self.emit(
                        Level::Warn,
                        format!(
                            "{left_out} more {} were not logged (at most one line per {} s)",
                            topic.what(),
                            RATE_LIMIT_WINDOW.as_secs()
                        ),
                    );
                }
            }
        }
    }

    fn emit(&self, level: Level, text: String) {
        match &self.route {
            Route::Now => write(level, &text),
            Route::Via(f) => f(level, text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Collected = Arc<Mutex<Vec<(Level, String)>>>;

    fn collecting() -> (Logger, Collected) {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let l = lines.clone();
        let logger = Logger::new(
            Route::Via(Box::new(move |level, text| {
                l.lock().unwrap().push((level, text))
            })),
            Level::Warn,
            Level::Error,
        );
        (logger, lines)
    }

    #[test]
    fn the_first_line_of_a_topic_is_logged_then_one_per_window_with_the_count() {
        let (logger, lines) = collecting();
        for i in 0..5 {
            logger.log(Topic::Attempt, Level::Warn, || format!("attempt {i}"));
        }
        logger.log(Topic::Token, Level::Warn, || "token".into());
        {
            let got = lines.lock().unwrap();
            assert_eq!(got.len(), 2, "{got:?}");
            assert_eq!(got[0].1, "attempt 0");
            assert_eq!(got[1].1, "token", "topics are limited apart");
        }
        logger.flush_left_out();
        let got = lines.lock().unwrap();
        assert_eq!(got.len(), 3);
        assert!(
            got[2].1.starts_with("4 more failed attempts"),
            "{}",
            got[2].1
        );
    }

    #[test]
    fn progress_lines_are_not_limited() {
        let (logger, lines) = collecting();
        let before = level();
        set_level(Level::Debug as i32);
        for _ in 0..3 {
            logger.log(Topic::Progress, Level::Debug, || "sent".into());
        }
        set_level(before);
        assert_eq!(lines.lock().unwrap().len(), 3);
    }
}
