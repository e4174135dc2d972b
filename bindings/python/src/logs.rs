//! The library's log lines into Python: a callable gets `(level, line)` with syslog's level
//! numbers, where the line's component runs its lines (a producer's callback thread, or the
//! thread calling the client).

use pyo3::prelude::*;

/// `callback(level, line)`, or None: back to liblts's own stderr lines.
#[pyfunction]
pub fn set_log_callback(callback: Option<Py<PyAny>>) {
    let hook = callback.map(|cb| {
        let hook: lts::log::Hook =
            std::sync::Arc::new(move |level: lts::log::Level, line: &str| {
                Python::attach(|py| {
                    if let Err(e) = cb.call1(py, (level as i32, line)) {
                        e.write_unraisable(py, Some(cb.bind(py)));
                    }
                })
            });
        hook
    });
    lts::log::set_hook(hook);
}

/// Lines above `level` (syslog numbers: 3 error, 4 warn, 6 info, 7 debug) are dropped; -1
/// drops them all.
#[pyfunction]
pub fn set_log_level(level: i32) {
    lts::log::set_level(level);
}
