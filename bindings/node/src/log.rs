//! liblts's log lines into JavaScript: the application's function gets `(level, message)` on
//! the event loop of the thread that set it, through a thread-safe function that does not
//! keep the loop alive. Lines come from the core's threads (a producer's callback thread,
//! libuv's pool for a client), so they arrive on a later turn of the loop. Without a
//! function, or once its thread has ended (a Worker terminated, the process exiting), the
//! core writes them to stderr as it does by default.

use std::io::Write;
use std::sync::Arc;

use lts::log::{Hook, Level};
use napi::threadsafe_function::{
    ErrorStrategy, ThreadSafeCallContext, ThreadsafeFunction, ThreadsafeFunctionCallMode,
};
use napi::{Env, JsFunction, JsUnknown, Status};

type Lines = ThreadsafeFunction<(Level, String), ErrorStrategy::Fatal>;

/// `handler(level, message)` gets the core's lines from now on; None: back to stderr. When
/// this returns the previous function will not be called again.
pub fn set_handler(env: Env, handler: Option<JsFunction>) -> napi::Result<()> {
    let Some(f) = handler else {
        lts::log::set_hook(None);
        return Ok(());
    };
    let mut lines: Lines = f.create_threadsafe_function(
        0,
        |ctx: ThreadSafeCallContext<(Level, String)>| -> napi::Result<Vec<JsUnknown>> {
            let (level, line) = ctx.value;
            Ok(vec![
                ctx.env.create_int32(level as i32)?.into_unknown(),
                ctx.env.create_string(&line)?.into_unknown(),
            ])
        },
    )?;
    // Lines are no reason to keep a process alive.
    lines.unref(&env)?;
    let hook: Hook = Arc::new(move |level: Level, line: &str| {
        // NonBlocking on an unbounded queue fails only once the function's thread has ended.
        if lines.call(
            (level, line.to_owned()),
            ThreadsafeFunctionCallMode::NonBlocking,
        ) != Status::Ok
        {
            let _ = writeln!(std::io::stderr().lock(), "liblts {}: {line}", level.name());
        }
    });
    lts::log::set_hook(Some(hook));
    Ok(())
}
