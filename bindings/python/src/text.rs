//! A Python str as the UTF-8 `&str` the core reads, without a copy.
//!
//! The wheel is abi3 for CPython 3.8 and later, and PyO3 compiles its borrowing `to_str` only
//! for a 3.10 floor: below that it offers `to_cow`, which encodes every str into a new bytes
//! object and copies it again (two allocations per key and value on the send path). The C
//! function behind `to_str`, `PyUnicode_AsUTF8AndSize`, is in every CPython 3 with this
//! signature (entered the stable ABI, unchanged, in 3.10), so it is declared here and used on
//! every version the wheel installs on.

use pyo3::ffi::{PyObject, Py_ssize_t};
use pyo3::prelude::*;
use pyo3::types::PyString;
use std::os::raw::c_char;

extern "C" {
    fn PyUnicode_AsUTF8AndSize(unicode: *mut PyObject, size: *mut Py_ssize_t) -> *const c_char;
}

/// The str's UTF-8 text, cached inside the str object by CPython (so it lives as long as the
/// str); a UnicodeEncodeError for a lone surrogate.
pub fn utf8<'a>(s: &'a Bound<'_, PyString>) -> PyResult<&'a str> {
    let mut size: Py_ssize_t = 0;
    // SAFETY: `s` is a live str, the call needs the GIL that `Bound` proves is held, and the
    // buffer it returns belongs to the str, which `'a` keeps alive.
    let data = unsafe { PyUnicode_AsUTF8AndSize(s.as_ptr(), &mut size) };
    if data.is_null() {
        return Err(PyErr::fetch(s.py()));
    }
    // SAFETY: CPython returns valid UTF-8 of `size` bytes (it raised for anything else).
    Ok(unsafe {
        std::str::from_utf8_unchecked(std::slice::from_raw_parts(data.cast(), size as usize))
    })
}
