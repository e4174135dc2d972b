//! Sends whose callback runs only when their logs were not delivered: for a log handler that
//! counts and reports failed deliveries and nothing else, in a language where every callback
//! is dear (PHP's FFI enters the interpreter for each one, Go's cgo a goroutine switch): a
//! delivered send then calls nothing at all.

use std::ffi::{c_char, c_void};

use crate::ffi::error::lts_result;
use crate::ffi::producer::{call_c, lts_producer, lts_send_callback, send_packed_notifying};
use crate::producer::{Notify, SendResult};

/// Calls the C callback of `ctx` (see c_callback) if the send's logs were not delivered.
fn call_c_on_failure(r: &SendResult, ctx: [usize; 2]) {
    if r.error.is_some() {
        call_c(r, ctx);
    }
}

/// As lts_producer_send_packed, with `callback` run only if the logs were not delivered:
/// then exactly once, with the outcome, where callbacks run (the callback thread, or
/// lts_producer_poll and close in poll mode). A delivered send runs no callback at all, so
/// `user_data` must not need freeing by it: pass one that lives as long as the producer.
/// @returns as lts_producer_send_packed (the callback never runs for a refused send).
#[no_mangle]
pub unsafe extern "C" fn lts_producer_send_packed_on_failure(
    p: *mut lts_producer,
    log_project: *const c_char,
    log_unit: *const c_char,
    buf: *const u8,
    len: usize,
    count: usize,
    callback: lts_send_callback,
    user_data: *mut c_void,
) -> lts_result {
    ffi_boundary! {
        send_packed_notifying(p, log_project, log_unit, buf, len, count, || {
            callback.map(|f| Notify::Plain {
                f: call_c_on_failure,
                ctx: [f as usize, user_data as usize],
            })
        })
    }
}
