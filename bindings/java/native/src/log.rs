//! liblts's log lines into Java: the core's hook calls `cn.ctyun.lts.Log.line(level,
//! message)` (which hands them to the application's handler, java.util.logging by default)
//! on the thread where the line's component runs its lines (a producer's callback thread,
//! attached to the JVM once, or the Java thread calling a client). A line that cannot reach
//! Java (the JVM is going away) is written to stderr as the core would have.

use std::io::Write;
use std::sync::Arc;

use jni::objects::JValue;
use lts::log::{Hook, Level};

use crate::java::{class, classes, vm};

/// On: lines go to `Log.line`; off: to the core's own stderr lines.
pub fn set_hook(on: bool) {
    let hook: Option<Hook> = on.then(|| Arc::new(to_java) as Hook);
    lts::log::set_hook(hook);
}

fn to_java(level: Level, line: &str) {
    if deliver(level, line).is_err() {
        let _ = writeln!(std::io::stderr().lock(), "liblts {}: {line}", level.name());
    }
}

fn deliver(level: Level, line: &str) -> jni::errors::Result<()> {
    let mut env = vm().attach_current_thread_permanently()?;
    env.with_local_frame(4, |env| -> jni::errors::Result<()> {
        let message = env.new_string(line)?;
        let called = env.call_static_method(
            class(&classes().log),
            "line",
            "(ILjava/lang/String;)V",
            &[JValue::Int(level as i32), JValue::Object(&message)],
        );
        // Log.line catches what the handler throws; anything else (an Error while the JVM
        // fails) is cleared here, never left pending on a thread the core owns.
        if env.exception_check()? {
            env.exception_clear()?;
        }
        called.map(|_| ())
    })
}
