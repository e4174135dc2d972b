//! `lts_response`: the service's answer to a put-logs call.

use std::ffi::{c_char, CString};

use crate::ffi::boundary::{free_handle, handle_peek, Handle, HandleHead};
use crate::response::Response;

/// The service's answer. Immutable: any number of threads may read it at once.
pub struct lts_response {
    head: HandleHead,
    pub(crate) inner: Response,
    message: CString,
    error: CString,
}

impl_handle!(lts_response, 0x4c54_5352_4553_0001);

fn c_string(s: &str) -> CString {
    CString::new(s.replace('\0', " ")).unwrap_or_default()
}

impl lts_response {
    pub(crate) fn from_response(r: Response) -> *mut lts_response {
        let (message, error) = (c_string(&r.message), c_string(&r.error));
        lts_response {
            head: HandleHead::new(lts_response::TAG),
            inner: r,
            message,
            error,
        }
        .into_raw()
    }
}

/// The answer's `statusCode`: 0 for success, -1 (or another value the service chose) for an
/// error. -1 if `r` is NULL or not a live response. Like every value getter, it never
/// changes lts_last_error_message().
#[no_mangle]
pub unsafe extern "C" fn lts_response_status_code(r: *const lts_response) -> i32 {
    ffi_boundary! {
        handle_peek(r).map_or(-1, |r| r.inner.status_code)
    }
}

/// The answer's `message`, e.g. "SUCCESS".
/// @returns a NUL-terminated string owned by `r`, valid until lts_response_free(r);
///          "" if `r` is NULL or not a live response.
#[no_mangle]
pub unsafe extern "C" fn lts_response_message(r: *const lts_response) -> *const c_char {
    ffi_boundary! {
        handle_peek(r).map_or(c"".as_ptr(), |r| r.message.as_ptr())
    }
}

/// The answer's `error`: "" on success, otherwise a code such as "LTS_8011".
/// @returns a NUL-terminated string owned by `r`, valid until lts_response_free(r);
///          "" if `r` is NULL or not a live response.
#[no_mangle]
pub unsafe extern "C" fn lts_response_error(r: *const lts_response) -> *const c_char {
    ffi_boundary! {
        handle_peek(r).map_or(c"".as_ptr(), |r| r.error.as_ptr())
    }
}

/// Frees a response and the strings it returned. NULL does nothing. Free each once.
#[no_mangle]
pub unsafe extern "C" fn lts_response_free(r: *mut lts_response) {
    ffi_boundary! { free_handle(r) }
}
