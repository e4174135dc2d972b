//! `lts_result`, its names, and the thread-local detail of the last failed call.

use std::cell::RefCell;
use std::ffi::{c_char, CString};

use crate::error::{Error, ErrorKind};

/// A call's outcome: `LTS_OK` (0) or one of the `LTS_ERR_*` codes. Values are stable and
/// never reused.
pub type lts_result = i32;

/// Success.
pub const LTS_OK: lts_result = 0;
/// A NULL or non-UTF-8 argument, an out-of-range setting, a stale handle, an unknown project.
pub const LTS_ERR_INVALID_ARGUMENT: lts_result = 1;
/// A contents or label key breaks the key rules (the message names the key).
pub const LTS_ERR_INVALID_KEY: lts_result = 2;
/// An empty value; an item without timestamp or origin message.
pub const LTS_ERR_INVALID_VALUE: lts_result = 3;
/// Over the per-request limits (5 MiB raw, 40960 logs) or the producer's batch limits.
pub const LTS_ERR_TOO_LARGE: lts_result = 4;
/// The call is not valid now: a handle used after fork(), poll in thread mode, ...
pub const LTS_ERR_INVALID_STATE: lts_result = 5;
/// The token call was refused, or renewal failed, or a signed request was refused.
pub const LTS_ERR_AUTH: lts_result = 100;
/// No answer after the retries: connect, TLS, reset, or 5xx without an LTS answer.
pub const LTS_ERR_NETWORK: lts_result = 101;
/// The last attempt timed out; or close(timeout) ran out of time.
pub const LTS_ERR_TIMEOUT: lts_result = 102;
/// The service answered an error (see the response), or an answer that cannot be parsed.
pub const LTS_ERR_SERVER: lts_result = 103;
/// The producer's memory cap is reached.
pub const LTS_ERR_BUFFER_FULL: lts_result = 104;
/// The producer is closed, or was closed before this was sent.
pub const LTS_ERR_CLOSED: lts_result = 105;
/// close called from inside a callback.
pub const LTS_ERR_REENTRANT: lts_result = 106;
/// A bug in liblts: a caught panic.
pub const LTS_ERR_INTERNAL: lts_result = 900;

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

/// Records `message` as this thread's last error and returns `code`.
pub fn set_error(code: lts_result, message: &str) -> lts_result {
    let clean: Vec<u8> = message
        .bytes()
        .map(|b| if b == 0 { b' ' } else { b })
        .collect();
    let c = CString::new(clean).unwrap_or_default();
    LAST_ERROR.with(|e| *e.borrow_mut() = c);
    code
}

pub fn code_of(kind: ErrorKind) -> lts_result {
    match kind {
        ErrorKind::InvalidArgument => LTS_ERR_INVALID_ARGUMENT,
        ErrorKind::InvalidKey => LTS_ERR_INVALID_KEY,
        ErrorKind::InvalidValue => LTS_ERR_INVALID_VALUE,
        ErrorKind::TooLarge => LTS_ERR_TOO_LARGE,
        ErrorKind::InvalidState => LTS_ERR_INVALID_STATE,
        ErrorKind::Auth => LTS_ERR_AUTH,
        ErrorKind::Network => LTS_ERR_NETWORK,
        ErrorKind::Timeout => LTS_ERR_TIMEOUT,
        ErrorKind::Server => LTS_ERR_SERVER,
        ErrorKind::BufferFull => LTS_ERR_BUFFER_FULL,
        ErrorKind::Closed => LTS_ERR_CLOSED,
        ErrorKind::Reentrant => LTS_ERR_REENTRANT,
        ErrorKind::Internal => LTS_ERR_INTERNAL,
    }
}

/// Records a core error; returns its code.
pub fn fail(e: &Error) -> lts_result {
    set_error(code_of(e.kind), &e.message)
}

/// Maps a core result onto `lts_result`.
pub fn result(r: crate::error::Result<()>) -> lts_result {
    match r {
        Ok(()) => LTS_OK,
        Err(e) => fail(&e),
    }
}

/// The static name of a result code, e.g. `"LTS_ERR_AUTH"`; `"LTS_ERR_UNKNOWN"` for a value
/// that is not a result code.
///
/// @returns a static NUL-terminated string; never NULL; never free it.
/// @remark Thread-safe; does not change the last error.
#[no_mangle]
pub extern "C" fn lts_result_name(r: lts_result) -> *const c_char {
    ffi_boundary! { name_of(r).as_ptr() }
}

/// The kind a result code stands for; `None` for `LTS_OK` and for values that are no code.
pub fn kind_of(r: lts_result) -> Option<ErrorKind> {
    ErrorKind::ALL.into_iter().find(|k| code_of(*k) == r)
}

/// `lts_result_name`'s answer, for the bindings that link the core directly.
pub fn name_of(r: lts_result) -> &'static std::ffi::CStr {
    match kind_of(r) {
        None if r != LTS_OK => c"LTS_ERR_UNKNOWN",
        k => ErrorKind::c_name(k),
    }
}

/// This thread's detail of its most recent failed call: which argument was wrong, which key
/// broke which rule, what the service or the network said. Secrets never appear in it.
///
/// @returns a NUL-terminated UTF-8 string owned by the library, valid on this thread until
///          its next failing call; "" if no call has failed on this thread. Never NULL; never
///          free it. A successful call leaves it unchanged.
/// @remark A failing call is one that returns an lts_result other than LTS_OK (or NULL from
///         a function documented to set the last error), or an lts_*_free that is refused
///         (a stale handle; a producer freed from its own callback). The value getters
///         (lts_response_*, lts_send_result_*, lts_version, lts_result_name, ...) never
///         change it, even when given NULL or a stale handle, so a message taken before
///         them stays readable after them.
#[no_mangle]
pub extern "C" fn lts_last_error_message() -> *const c_char {
    ffi_boundary! {
        // The CString lives in the thread-local until replaced, so the pointer stays valid
        // until this thread's next failure.
        LAST_ERROR.with(|e| e.borrow().as_ptr())
    }
}
