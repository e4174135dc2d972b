//! The core's errors as `lts.LogException` (a Python class: it carries `code`, `name`,
//! `message` and, for a service's refusal, `response`).

use lts::error::{Error, ErrorKind};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

static LOG_EXCEPTION: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// The C API's number for a kind (`LTS_ERR_*`), the one every binding reports.
pub fn code(kind: ErrorKind) -> i32 {
    lts::ffi::error::code_of(kind)
}

pub fn name(kind: Option<ErrorKind>) -> &'static str {
    kind.map_or("LTS_OK", ErrorKind::name)
}

/// `LTS_ERR_*`'s name for a number (`lts_result_name`).
#[pyfunction]
pub fn result_name(code: i32) -> &'static str {
    lts::ffi::error::name_of(code)
        .to_str()
        .unwrap_or("LTS_ERR_UNKNOWN")
}

/// A `LogException(code, message, name)`.
pub fn exception(py: Python<'_>, kind: ErrorKind, message: &str) -> PyErr {
    match LOG_EXCEPTION.import(py, "lts._errors", "LogException") {
        Ok(cls) => match cls.call1((code(kind), message, name(Some(kind)))) {
            Ok(e) => PyErr::from_value(e),
            Err(e) => e,
        },
        Err(e) => e,
    }
}

/// The core's error as a `LogException`.
pub fn to_py(py: Python<'_>, e: Error) -> PyErr {
    exception(py, e.kind, &e.message)
}

/// `Result` into `PyResult`, for calls made with the interpreter attached.
pub trait OrRaise<T> {
    fn or_raise(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> OrRaise<T> for lts::error::Result<T> {
    fn or_raise(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| to_py(py, e))
    }
}

/// A str argument, or LogException (LTS_ERR_INVALID_ARGUMENT) naming it: the official SDK
/// raises its own exception for bad input, not TypeError.
pub fn str_arg<'a>(v: &'a Bound<'_, PyAny>, what: &str) -> PyResult<&'a str> {
    match v.cast::<pyo3::types::PyString>() {
        Ok(s) => crate::text::utf8(s),
        Err(_) => Err(exception(
            v.py(),
            ErrorKind::InvalidArgument,
            &format!(
                "{what} must be a str, not {}",
                v.get_type()
                    .name()
                    .map(|n| n.to_string())
                    .unwrap_or_default()
            ),
        )),
    }
}
