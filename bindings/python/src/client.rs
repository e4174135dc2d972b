//! The sync client: `put_logs` sends at once, with the interpreter released while it waits.

use std::sync::Arc;

use lts::error::ErrorKind;
use pyo3::prelude::*;

use crate::config::NativeClientConfig;
use crate::errors::{str_arg, to_py, OrRaise};
use crate::item::with_items;

#[pyclass(module = "lts._lts", name = "Client", frozen)]
pub struct NativeClient {
    inner: Arc<lts::Client>,
}

#[pymethods]
impl NativeClient {
    /// Fetches the token (token auth) before returning; the interpreter is released meanwhile.
    #[new]
    fn new(py: Python<'_>, config: &NativeClientConfig) -> PyResult<Self> {
        let cfg = config.inner.clone();
        let inner = py.detach(move || lts::Client::new(cfg)).or_raise(py)?;
        Ok(Self {
            inner: Arc::new(inner),
        })
    }

    /// Sends now. Returns `(status_code, message, error)`: the service's answer, also when it
    /// refused the logs with an error code; raises LogException when there is no answer.
    fn put_logs(
        &self,
        py: Python<'_>,
        log_project: &Bound<'_, PyAny>,
        log_unit: &Bound<'_, PyAny>,
        log_items: &Bound<'_, PyAny>,
    ) -> PyResult<(i32, String, String)> {
        let (log_project, log_unit) = (
            str_arg(log_project, "log_project")?,
            str_arg(log_unit, "log_unit")?,
        );
        // The request runs on a helper thread so that Ctrl-C interrupts the wait; it takes
        // copies of the items (this path sends over the network at once: a copy is small
        // beside the request).
        let items: Vec<lts::LogItem> = with_items(log_items, |items| {
            items.iter().map(|i| (*i).clone()).collect()
        })?;
        let (client, project, unit) = (
            self.inner.clone(),
            log_project.to_owned(),
            log_unit.to_owned(),
        );
        let r = crate::wait::interruptible(py, "put_logs", move || {
            let refs: Vec<&lts::LogItem> = items.iter().collect();
            client.put_logs(&project, &unit, &refs)
        })?;
        match r {
            Ok(resp) => Ok((resp.status_code, resp.message, resp.error)),
            Err(e) => match (e.kind, e.response) {
                (ErrorKind::Server, Some(resp)) => Ok((resp.status_code, resp.message, resp.error)),
                (kind, response) => Err(to_py(
                    py,
                    lts::Error {
                        kind,
                        message: e.message,
                        response,
                    },
                )),
            },
        }
    }
}
