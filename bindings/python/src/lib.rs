//! `lts._lts`: the Python extension module over liblts's Rust API. It only marshals: items
//! are checked and encoded, configs checked, logs batched and sent by the core. The Python
//! package around it (`python/lts`, `python/asynchronous`) gives the official SDK's names.

mod client;
mod config;
mod errors;
mod item;
mod logs;
mod producer;
mod text;
mod wait;

use pyo3::prelude::*;

/// The current time in nanoseconds since the epoch.
#[pyfunction]
fn now_ns() -> i64 {
    lts::util::now_ns()
}

/// The core's option table as JSON (what `lts_config_schema()` returns in C).
#[pyfunction]
fn config_schema() -> String {
    lts::options::schema_json()
}

/// The core's version and ABI version.
#[pyfunction]
fn version() -> (&'static str, u32) {
    (lts::VERSION, lts::ffi::version::LTS_ABI_VERSION)
}

#[pymodule]
fn _lts(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(now_ns, m)?)?;
    m.add_function(wrap_pyfunction!(config_schema, m)?)?;
    m.add_function(wrap_pyfunction!(version, m)?)?;
    m.add_function(wrap_pyfunction!(errors::result_name, m)?)?;
    m.add_function(wrap_pyfunction!(logs::set_log_callback, m)?)?;
    m.add_function(wrap_pyfunction!(logs::set_log_level, m)?)?;
    m.add_class::<item::LogItem>()?;
    m.add_class::<config::NativeClientConfig>()?;
    m.add_class::<config::NativeProducerConfig>()?;
    m.add_class::<client::NativeClient>()?;
    m.add_class::<producer::NativeProducer>()?;
    Ok(())
}
