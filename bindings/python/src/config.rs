//! Client and producer configs as the core holds them, set and read by the core's option
//! table (the keys of CONFIGURATION.md): the Python classes `ClientConfig` and
//! `ProducerConfig` are views over these.

use lts::options::{self, CLIENT, PRODUCER};
use pyo3::prelude::*;

use crate::errors::OrRaise;

#[pyclass(module = "lts._lts", name = "ClientConfig", skip_from_py_object)]
#[derive(Clone)]
pub struct NativeClientConfig {
    pub(crate) inner: lts::ClientConfig,
}

#[pymethods]
impl NativeClientConfig {
    #[new]
    fn new(
        py: Python<'_>,
        endpoint: &str,
        access_key: &str,
        secret_key: &str,
        log_project: &str,
    ) -> PyResult<Self> {
        let inner =
            lts::ClientConfig::new(endpoint, access_key, secret_key, log_project).or_raise(py)?;
        Ok(Self { inner })
    }

    /// Sets an option by its key, checked by the core (LogException naming key and value).
    fn set(&mut self, py: Python<'_>, key: &str, value: &str) -> PyResult<()> {
        options::set(CLIENT, "client", &mut self.inner, key, value).or_raise(py)
    }

    /// An option's value, as `set` takes it.
    fn get(&self, py: Python<'_>, key: &str) -> PyResult<String> {
        options::get(CLIENT, "client", &self.inner, key).or_raise(py)
    }
}

#[pyclass(module = "lts._lts", name = "ProducerConfig", skip_from_py_object)]
#[derive(Clone)]
pub struct NativeProducerConfig {
    pub(crate) inner: lts::producer::ProducerConfig,
}

#[pymethods]
impl NativeProducerConfig {
    #[new]
    fn new() -> Self {
        Self {
            inner: lts::producer::ProducerConfig::default(),
        }
    }

    fn set(&mut self, py: Python<'_>, key: &str, value: &str) -> PyResult<()> {
        options::set(PRODUCER, "producer", &mut self.inner, key, value).or_raise(py)
    }

    fn get(&self, py: Python<'_>, key: &str) -> PyResult<String> {
        options::get(PRODUCER, "producer", &self.inner, key).or_raise(py)
    }

    /// `callback(json_text)` every stats_interval_ms, where the producer's callbacks run.
    fn set_stats_callback(&mut self, callback: Option<Py<PyAny>>) {
        self.inner.stats_callback = callback.map(|cb| {
            let f: lts::producer::config::StatsCallback = std::sync::Arc::new(move |json: &str| {
                Python::attach(|py| {
                    if let Err(e) = cb.call1(py, (json,)) {
                        e.write_unraisable(py, Some(cb.bind(py)));
                    }
                })
            });
            f
        });
    }
}
