//! `lts_send_result`: what a producer callback is told about its send.

use std::ffi::{c_char, CString};
use std::sync::OnceLock;

use crate::ffi::boundary::{handle_peek, Handle, HandleHead};
use crate::ffi::error::{code_of, lts_result, LTS_ERR_INVALID_ARGUMENT, LTS_OK};
use crate::producer::SendResult;

/// The outcome of one lts_producer_send call, given to its callback. Valid only during the
/// callback: copy what you need to keep.
pub struct lts_send_result {
    head: HandleHead,
    code: lts_result,
    result: *const SendResult,
    /// The strings as C reads them, made on first request (most callbacks read only codes).
    error: OnceLock<CString>,
    message: OnceLock<CString>,
}

impl_handle!(lts_send_result, 0x4c54_5353_5253_0001);

impl lts_send_result {
    /// A view of `r` for the duration of one callback.
    pub(crate) fn from_result(r: &SendResult) -> lts_send_result {
        lts_send_result {
            head: HandleHead::new(lts_send_result::TAG),
            code: r.error.map_or(LTS_OK, code_of),
            result: r,
            error: OnceLock::new(),
            message: OnceLock::new(),
        }
    }

    fn get(&self) -> &SendResult {
        // SAFETY: the view lives on the stack of the call that borrows `result` for the
        // callback's duration (call_c), and the header says it is valid only then.
        unsafe { &*self.result }
    }
}

fn c_string(cell: &OnceLock<CString>, s: &str) -> *const c_char {
    cell.get_or_init(|| CString::new(s.replace('\0', " ")).unwrap_or_default())
        .as_ptr()
}

/// LTS_OK if the service accepted the batch holding this send's logs; otherwise why not:
/// LTS_ERR_SERVER (the service refused it; see lts_send_result_error), LTS_ERR_AUTH,
/// LTS_ERR_NETWORK / LTS_ERR_TIMEOUT (no answer before the delivery timeout), LTS_ERR_CLOSED
/// (the producer closed before it was sent). LTS_ERR_INVALID_ARGUMENT if `r` is NULL. The
/// lts_send_result_* getters never change lts_last_error_message().
#[no_mangle]
pub unsafe extern "C" fn lts_send_result_code(r: *const lts_send_result) -> lts_result {
    ffi_boundary! {
        handle_peek(r).map_or(LTS_ERR_INVALID_ARGUMENT, |r| r.code)
    }
}

/// True when lts_send_result_code(r) == LTS_OK; false for NULL.
#[no_mangle]
pub unsafe extern "C" fn lts_send_result_ok(r: *const lts_send_result) -> bool {
    ffi_boundary! { handle_peek(r).is_some_and(|r| r.code == LTS_OK) }
}

/// The service's statusCode (0 on success); -1 when there was no answer, or `r` is NULL.
#[no_mangle]
pub unsafe extern "C" fn lts_send_result_status_code(r: *const lts_send_result) -> i32 {
    ffi_boundary! { handle_peek(r).map_or(-1, |r| r.get().status_code) }
}

/// The service's error code ("LTS_xxxx"), or "". Owned by `r`: valid during the callback.
#[no_mangle]
pub unsafe extern "C" fn lts_send_result_error(r: *const lts_send_result) -> *const c_char {
    ffi_boundary! { handle_peek(r).map_or(c"".as_ptr(), |r| c_string(&r.error, &r.get().error_code)) }
}

/// The service's message ("SUCCESS") or a local reason. Owned by `r`: valid during the callback.
#[no_mangle]
pub unsafe extern "C" fn lts_send_result_message(r: *const lts_send_result) -> *const c_char {
    ffi_boundary! { handle_peek(r).map_or(c"".as_ptr(), |r| c_string(&r.message, &r.get().message)) }
}

/// How many logs this send call held (the seed SDK's "send count"); 0 for NULL.
#[no_mangle]
pub unsafe extern "C" fn lts_send_result_log_count(r: *const lts_send_result) -> usize {
    ffi_boundary! { handle_peek(r).map_or(0, |r| r.get().log_count) }
}

/// How many requests were made for the batch (0 if it was never sent); 0 for NULL.
#[no_mangle]
pub unsafe extern "C" fn lts_send_result_attempts(r: *const lts_send_result) -> u32 {
    ffi_boundary! { handle_peek(r).map_or(0, |r| r.get().attempts) }
}
