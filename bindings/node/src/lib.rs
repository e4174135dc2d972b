//! `lts.node`: the Node.js addon of liblts, over the core's Rust API (napi-rs). It marshals
//! only: JS objects become the core's `LogItem`s (checked by the core's rules), requests run
//! off the event loop, and results come back through one thread-safe function per producer.
//! `index.js` wraps it in the package's API; see `index.d.ts` for the contract.

mod client;
mod errors;
mod items;
mod log;
mod options;
mod producer;

use napi::{Env, JsFunction, Result};
use napi_derive::napi;

/// Called once by index.js with its `LtsError` class, which every error this addon throws
/// is an instance of.
#[napi]
pub fn init(env: Env, error_class: JsFunction) -> Result<()> {
    errors::remember_class(env, error_class)
}

/// The core's version (`lts_version()`).
#[napi]
pub fn version() -> String {
    lts::VERSION.to_owned()
}

/// `LTS_ERR_*`'s name for a number, as `lts_result_name` gives it.
#[napi]
pub fn result_name(code: i32) -> &'static str {
    errors::result_name(code)
}

/// The core's log lines above `level` are dropped: -1 off, 3 error, 4 warn (the default),
/// 6 info, 7 debug (syslog's numbers, as `lts_set_log_level`). They go to stderr, or to the
/// function given to `setLogHandler` (log.rs).
#[napi]
pub fn set_log_level(level: i32) {
    lts::log::set_level(level);
}

/// `handler(level, message)` gets the core's log lines from now on, on this thread's event
/// loop; null: back to stderr (log.rs).
#[napi(catch_unwind)]
pub fn set_log_handler(env: Env, handler: Option<JsFunction>) -> Result<()> {
    log::set_handler(env, handler)
}

/// An `LtsError` of a kind by its `LTS_ERR_*` name, for the package's own argument checks.
#[napi(catch_unwind)]
pub fn error(env: Env, name: String, message: String) -> Result<napi::JsUnknown> {
    let kind = lts::error::ErrorKind::ALL
        .into_iter()
        .find(|k| k.name() == name)
        .unwrap_or(lts::error::ErrorKind::Internal);
    errors::error_object(&env, &lts::Error::new(kind, message))
}

/// Why the core refuses `key: value` as a content (or a label), or null: the log handlers
/// leave such a field out and report it.
#[napi(catch_unwind)]
pub fn check_field(label: bool, key: String, value: napi::JsUnknown) -> Result<Option<String>> {
    items::check_field(label, &key, value)
}
