//! The async producer: `send_logs` hands the core the items and returns; the core's threads
//! batch and send, and each send's Python callback runs once, with the interpreter attached,
//! on the producer's callback thread (or in `poll`). Waits (`poll`, `close`, a send blocked by
//! the memory cap) release the interpreter.

use std::sync::Arc;
use std::time::Duration;

use lts::error::ErrorKind;
use lts::producer::{Notify, SendResult};
use pyo3::prelude::*;

use crate::config::{NativeClientConfig, NativeProducerConfig};
use crate::errors::{code, exception, str_arg, OrRaise};
use crate::item::with_items;

#[pyclass(module = "lts._lts", name = "Producer", subclass, frozen)]
pub struct NativeProducer {
    inner: Arc<lts::producer::Producer>,
    /// The process that made it: in a forked child its threads do not exist.
    pid: u32,
    /// A send may wait for room (max_block_ms > 0): it then releases the interpreter.
    may_block: bool,
    /// `on_result(callback, status_code, message, error, code, attempts, log_count)`: the
    /// package's function that builds the response and calls the user's callback.
    on_result: Py<PyAny>,
}

impl NativeProducer {
    fn check_process(&self, py: Python<'_>) -> PyResult<()> {
        if lts::ffi::boundary::current_pid() != self.pid {
            return Err(exception(
                py,
                ErrorKind::InvalidState,
                "this producer was created before fork(): create a new one in the child",
            ));
        }
        Ok(())
    }

    fn notify(&self, py: Python<'_>, callback: Py<PyAny>) -> Notify {
        let on_result = self.on_result.clone_ref(py);
        Notify::Boxed(Box::new(move |r: &SendResult| {
            let o = &r.outcome;
            let code = o.error.map_or(0, code);
            Python::attach(|py| {
                let args = (
                    callback,
                    o.status_code,
                    o.message.as_str(),
                    o.error_code.as_str(),
                    code,
                    o.attempts,
                    r.log_count,
                );
                if let Err(e) = on_result.call1(py, args) {
                    e.write_unraisable(py, None);
                }
            })
        }))
    }

    fn send_inner(
        &self,
        py: Python<'_>,
        project: &Bound<'_, PyAny>,
        unit: &Bound<'_, PyAny>,
        log_items: &Bound<'_, PyAny>,
        notify: Option<Notify>,
    ) -> PyResult<()> {
        self.check_process(py)?;
        let (project, unit) = (str_arg(project, "log_project")?, str_arg(unit, "log_unit")?);
        let p = &self.inner;
        let r = with_items(log_items, |items| {
            if self.may_block {
                py.detach(|| p.send_with(project, unit, items, notify))
            } else {
                p.send_with(project, unit, items, notify)
            }
        })?;
        r.or_raise(py)
    }
}

#[pymethods]
impl NativeProducer {
    #[new]
    fn new(py: Python<'_>, config: &NativeProducerConfig, on_result: Py<PyAny>) -> PyResult<Self> {
        let cfg = config.inner.clone();
        let may_block = cfg.max_block > Duration::ZERO;
        let inner = Arc::new(lts::producer::Producer::new(cfg).or_raise(py)?);
        Ok(Self {
            inner,
            pid: lts::ffi::boundary::current_pid(),
            may_block,
            on_result,
        })
    }

    /// Registers the client for the config's log project (one per project).
    fn add_client(&self, py: Python<'_>, config: &NativeClientConfig) -> PyResult<()> {
        self.check_process(py)?;
        self.inner.add_client(config.inner.clone()).or_raise(py)
    }

    fn start(&self, py: Python<'_>) -> PyResult<()> {
        self.check_process(py)?;
        self.inner.start().or_raise(py)
    }

    /// Queues logs without a result callback.
    fn send_logs(
        &self,
        py: Python<'_>,
        log_project: &Bound<'_, PyAny>,
        log_unit: &Bound<'_, PyAny>,
        log_items: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        self.send_inner(py, log_project, log_unit, log_items, None)
    }

    /// Queues logs; `callback` is handed to `on_result` once, with the outcome.
    fn send(
        &self,
        py: Python<'_>,
        log_project: &Bound<'_, PyAny>,
        log_unit: &Bound<'_, PyAny>,
        log_items: &Bound<'_, PyAny>,
        callback: Py<PyAny>,
    ) -> PyResult<()> {
        let notify = self.notify(py, callback);
        self.send_inner(py, log_project, log_unit, log_items, Some(notify))
    }

    /// Poll mode: runs up to `max_results` ready callbacks here, waiting up to `timeout_ms`
    /// for the first. Returns how many ran.
    fn poll(&self, py: Python<'_>, max_results: usize, timeout_ms: u64) -> PyResult<usize> {
        self.check_process(py)?;
        let p = &self.inner;
        py.detach(|| p.poll(max_results, Duration::from_millis(timeout_ms)))
            .or_raise(py)
    }

    /// Closes: with `timeout_ms` None, sends everything; else within that time. Ctrl-C
    /// interrupts the wait (KeyboardInterrupt); the close goes on, and closing again waits
    /// for it.
    fn close(&self, py: Python<'_>, timeout_ms: Option<u64>) -> PyResult<()> {
        self.check_process(py)?;
        if self.inner.in_callback() {
            // Refused by the core at once; no thread is needed to learn that.
            return self.inner.close(None).or_raise(py);
        }
        let p = self.inner.clone();
        crate::wait::interruptible(py, "close", move || {
            p.close(timeout_ms.map(Duration::from_millis))
        })?
        .or_raise(py)
    }

    /// Hands every open batch to the workers now; does not wait for delivery.
    fn flush(&self, py: Python<'_>) -> PyResult<()> {
        self.check_process(py)?;
        self.inner.flush().or_raise(py)
    }

    fn stats_json(&self, py: Python<'_>) -> PyResult<String> {
        self.check_process(py)?;
        Ok(self.inner.stats_json())
    }

    fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }

    fn in_callback(&self) -> bool {
        self.inner.in_callback()
    }

    /// Whether this producer was made by another process (this is a forked child).
    fn is_inherited(&self) -> bool {
        lts::ffi::boundary::current_pid() != self.pid
    }
}
