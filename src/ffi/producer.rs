//! `lts_producer`: the seed SDK's asynchronous `Producer`.

use std::ffi::{c_char, c_void};
use std::time::Duration;

use crate::ffi::boundary::{
    bytes_arg, clear_out, free_handle, handle_ref, str_arg, Handle, HandleHead,
};
use crate::ffi::client::item_refs;
use crate::ffi::config::lts_client_config;
use crate::ffi::error::{
    fail, lts_result, result, set_error, LTS_ERR_INVALID_ARGUMENT, LTS_ERR_INVALID_STATE,
    LTS_ERR_REENTRANT, LTS_OK,
};
use crate::ffi::log_item::lts_log_item;
use crate::ffi::producer_config::lts_producer_config;
use crate::ffi::record::{checked_records, lts_record};
use crate::ffi::send_result::lts_send_result;
use crate::producer::{Notify, Producer, SendResult, Stats};

/// The C name of the producer's counters, for Rust callers of the C API (the header gets
/// the struct itself, renamed from `Stats`).
/// cbindgen:ignore
pub type lts_producer_stats = Stats;

/// Called once per accepted send with its outcome.
///
/// @param user_data  what was given to lts_producer_send, untouched.
/// @param result     valid only during the call; read it with the lts_send_result_* functions.
///
/// Thread: in LTS_CALLBACK_THREAD mode, on the producer's one callback thread (never two at
/// once for one producer); in LTS_CALLBACK_POLL mode, on the thread calling lts_producer_poll
/// or lts_producer_close.
/// A callback MUST return quickly (it holds up every later callback), MUST NOT unwind (no C++
/// exception, no longjmp), MUST NOT call lts_producer_close / lts_producer_safe_close (they
/// return LTS_ERR_REENTRANT) or lts_producer_free on its own producer (refused: the error is
/// recorded and nothing happens). It may call lts_producer_send.
pub type lts_send_callback =
    Option<unsafe extern "C" fn(user_data: *mut c_void, result: *const lts_send_result)>;

/// The asynchronous producer. Thread-safe: any number of threads may send, poll, read stats
/// and close at once; lts_producer_free must come after every other call has returned.
pub struct lts_producer {
    head: HandleHead,
    pub(crate) inner: Producer,
}

impl_handle!(lts_producer, 0x4c54_5350_524f_0001);

type CSendCallback = unsafe extern "C" fn(*mut c_void, *const lts_send_result);

/// Calls the C callback held in `ctx` (its function pointer and user data as words).
pub(crate) fn call_c(r: &SendResult, ctx: [usize; 2]) {
    // SAFETY: `ctx[0]` was made from a function pointer of exactly this type (c_callback);
    // function pointers and usize have the same size on every target liblts builds for.
    let f = unsafe { std::mem::transmute::<usize, CSendCallback>(ctx[0]) };
    let result = lts_send_result::from_result(r);
    // SAFETY: the caller's contract (the header) makes the user data theirs to receive on
    // the callback thread.
    unsafe { f(ctx[1] as *mut c_void, &result) }
}

/// A C callback as the core keeps it: no allocation per send.
pub(crate) fn c_callback(callback: lts_send_callback, user_data: *mut c_void) -> Option<Notify> {
    callback.map(|f| Notify::Plain {
        f: call_c,
        ctx: [f as usize, user_data as usize],
    })
}

/// Makes a producer from a config (copied). No threads start until lts_producer_start, and
/// no I/O happens but the journal's (with journal_dir: the directory made and locked, what
/// an earlier producer's ring held copied into its segments, the ring made).
/// @returns LTS_OK; LTS_ERR_INVALID_ARGUMENT (NULL config or out; a buffer cap below the batch
///          size; journal settings that do not fit together; a journal directory or ring that
///          cannot be made); LTS_ERR_INVALID_STATE (the journal directory is another
///          producer's, named with its pid). Free with lts_producer_free.
#[no_mangle]
pub unsafe extern "C" fn lts_producer_new(
    config: *const lts_producer_config,
    out: *mut *mut lts_producer,
) -> lts_result {
    ffi_boundary! {
        tri!(clear_out(out, "out"));
        let config = tri!(handle_ref(config, "config"));
        match Producer::new(config.inner.clone()) {
            Ok(p) => {
                *out = lts_producer { head: HandleHead::new(lts_producer::TAG), inner: p }.into_raw();
                LTS_OK
            }
            Err(e) => fail(&e),
        }
    }
}

/// Registers a client config (copied) for the log project it names (the seed SDK's
/// build_clients). Sends name a project; each needs its client. No network I/O: the workers
/// fetch tokens when they first send. Call before lts_producer_start.
/// @returns LTS_OK; LTS_ERR_INVALID_ARGUMENT (NULL, a config without a project, a second
///          config for the same project); LTS_ERR_INVALID_STATE (already started).
#[no_mangle]
pub unsafe extern "C" fn lts_producer_add_client(
    p: *mut lts_producer,
    c: *const lts_client_config,
) -> lts_result {
    ffi_boundary! {
        let p = tri!(handle_ref(p, "p"));
        let c = tri!(handle_ref(c, "c"));
        result(p.inner.add_client(c.inner.clone()))
    }
}

/// Starts the producer's threads: a linger thread (lts-linger), the workers (lts-worker-N), and in thread mode the
/// callback thread.
/// @returns LTS_OK; LTS_ERR_INVALID_STATE (started or closed already); LTS_ERR_INTERNAL (a
///          thread could not be created).
#[no_mangle]
pub unsafe extern "C" fn lts_producer_start(p: *mut lts_producer) -> lts_result {
    ffi_boundary! { result(tri!(handle_ref(p, "p")).inner.start()) }
}

/// Queues logs for delivery and returns at once; never does network I/O. The items are
/// copied (serialized) before it returns: free or reuse them right after. One call's logs
/// always travel in one batch.
///
/// Blocks only when the buffer cap is reached and max_block_ms > 0, for at most that long.
/// Thread-safe.
///
/// @param callback   may be NULL (no result wanted). If the call returns LTS_OK, it runs
///                   exactly once (see lts_send_callback); otherwise never.
/// @param user_data  passed to the callback as is.
/// @returns LTS_OK (accepted); LTS_ERR_INVALID_ARGUMENT (NULL or bad UTF-8, count 0, a project
///          without a client, an empty unit); LTS_ERR_INVALID_VALUE (an item without
///          timestamp or origin message); LTS_ERR_TOO_LARGE (over the batch size or count);
///          LTS_ERR_BUFFER_FULL; LTS_ERR_CLOSED; LTS_ERR_INVALID_STATE (not started, or after
///          fork()).
#[no_mangle]
pub unsafe extern "C" fn lts_producer_send(
    p: *mut lts_producer,
    log_project: *const c_char,
    log_unit: *const c_char,
    items: *const *const lts_log_item,
    count: usize,
    callback: lts_send_callback,
    user_data: *mut c_void,
) -> lts_result {
    ffi_boundary! {
        let p = tri!(handle_ref(p, "p"));
        let project = tri!(str_arg(log_project, "log_project"));
        let unit = tri!(str_arg(log_unit, "log_unit"));
        let items = tri!(item_refs(items, count));
        result(p.inner.send_with(project, unit, &items, c_callback(callback, user_data)))
    }
}

/// Queues logs given as records pointing at your own memory: the recommended way to send.
/// Each record is checked, then encoded straight from your memory into its batch; nothing is
/// allocated per call once the calling thread has sent before. Same promises as
/// lts_producer_send: never does network I/O, one call's records travel in one batch, and if
/// this returns LTS_OK the callback runs exactly once (otherwise never).
///
/// @param records    `count` records (see lts_record, lts_field), borrowed for the call:
///                   the memory they point at must stay valid and unchanged until it
///                   returns, and may be reused right after.
/// @param callback   may be NULL; see lts_send_callback.
/// @param user_data  passed to the callback as is.
/// @returns LTS_OK (accepted); for refused input, before anything is queued, with the
///          message naming the record, the field and the key: LTS_ERR_INVALID_ARGUMENT (NULL
///          or bad UTF-8 names, NULL records or count 0, a NULL pointer with a non-zero
///          length, an unknown field type, a project without a client, an empty unit),
///          LTS_ERR_INVALID_KEY (a key breaking the rules, or given twice in one list),
///          LTS_ERR_INVALID_VALUE (timestamp 0 or negative; no or empty message; an empty
///          string value; bad UTF-8; a non-finite double), LTS_ERR_TOO_LARGE (over the
///          batch size or count, or a length past what a request can hold);
///          LTS_ERR_BUFFER_FULL; LTS_ERR_CLOSED; LTS_ERR_INVALID_STATE (not started, or after
///          fork()).
#[no_mangle]
pub unsafe extern "C" fn lts_producer_send_records(
    p: *mut lts_producer,
    log_project: *const c_char,
    log_unit: *const c_char,
    records: *const lts_record,
    count: usize,
    callback: lts_send_callback,
    user_data: *mut c_void,
) -> lts_result {
    ffi_boundary! {
        let p = tri!(handle_ref(p, "p"));
        let project = tri!(str_arg(log_project, "log_project"));
        let unit = tri!(str_arg(log_unit, "log_unit"));
        let records = match checked_records(records, count) {
            Ok(r) => r,
            Err(e) => {
                p.inner.count_refused(count);
                return fail(&e);
            }
        };
        result(p.inner.send_logs(project, unit, &records, c_callback(callback, user_data)))
    }
}

/// As lts_producer_send, with the `count` items packed in one buffer, so a language wrapper
/// crosses the boundary once per send instead of once per field. Layout (little-endian;
/// strings UTF-8 with a u32 byte length, no NUL):
/// ```text
/// buffer := item{count}
/// item   := i64 timestamp_ns, u32 len + origin message,
///           u32 n_contents + field{n_contents}, u32 n_labels + field{n_labels}
/// field  := u8 type, u32 len + key, value
/// value  := type 0: u32 len + string | type 1: i64 | type 2: f64 (IEEE 754)
/// ```
/// The items obey the same rules as lts_log_item's (errors name the item and the key), and a
/// key may appear once in each item's contents and once in its labels. The buffer is encoded
/// in place (no item is built from it); it is borrowed for the call only.
/// @returns as lts_producer_send; a malformed buffer is LTS_ERR_INVALID_ARGUMENT; a key given
///          twice LTS_ERR_INVALID_KEY.
#[no_mangle]
pub unsafe extern "C" fn lts_producer_send_packed(
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
            c_callback(callback, user_data)
        })
    }
}

/// lts_producer_send_packed's arguments checked and sent, with the notification `notify`
/// makes (the callback forms differ: every result, or failures only). Call it inside
/// `ffi_boundary!`.
pub(crate) unsafe fn send_packed_notifying(
    p: *mut lts_producer,
    log_project: *const c_char,
    log_unit: *const c_char,
    buf: *const u8,
    len: usize,
    count: usize,
    notify: impl FnOnce() -> Option<Notify>,
) -> lts_result {
    let p = tri!(handle_ref(p, "p"));
    let project = tri!(str_arg(log_project, "log_project"));
    let unit = tri!(str_arg(log_unit, "log_unit"));
    let buf = tri!(bytes_arg(buf, len, "buf"));
    result(p.inner.send_packed(project, unit, buf, count, notify()))
}

/// Sends OTLP `LogsData` bytes (uncompressed) again under their original batch id, so a
/// service that already stored them does not store them twice (for batches an application
/// kept itself). With a journal they are journaled like a send. The callback runs exactly
/// once if this returns LTS_OK. Never does network I/O.
/// @returns LTS_OK; LTS_ERR_INVALID_ARGUMENT (NULL, a project without a client, an empty unit
///          or batch id, data that is not LogsData); LTS_ERR_TOO_LARGE; LTS_ERR_BUFFER_FULL;
///          LTS_ERR_CLOSED.
#[no_mangle]
pub unsafe extern "C" fn lts_producer_resend_raw(
    p: *mut lts_producer,
    log_project: *const c_char,
    log_unit: *const c_char,
    batch_id: *const c_char,
    data: *const u8,
    len: usize,
    callback: lts_send_callback,
    user_data: *mut c_void,
) -> lts_result {
    ffi_boundary! {
        let p = tri!(handle_ref(p, "p"));
        let project = tri!(str_arg(log_project, "log_project"));
        let unit = tri!(str_arg(log_unit, "log_unit"));
        let batch_id = tri!(str_arg(batch_id, "batch_id"));
        let data = tri!(bytes_arg(data, len, "data"));
        result(p.inner.resend_raw(project, unit, batch_id, data, c_callback(callback, user_data)))
    }
}

/// Poll mode: runs up to `max` ready callbacks on this thread, waiting up to `timeout_ms` for
/// the first.
/// @param out_served  receives how many ran (may be NULL).
/// @returns LTS_OK (with *out_served = 0 when none came); LTS_ERR_INVALID_STATE in thread
///          mode; LTS_ERR_INVALID_ARGUMENT for a NULL producer.
#[no_mangle]
pub unsafe extern "C" fn lts_producer_poll(
    p: *mut lts_producer,
    max: usize,
    timeout_ms: u32,
    out_served: *mut usize,
) -> lts_result {
    ffi_boundary! {
        if !out_served.is_null() {
            *out_served = 0;
        }
        let p = tri!(handle_ref(p, "p"));
        match p.inner.poll(max, Duration::from_millis(u64::from(timeout_ms))) {
            Ok(n) => {
                if !out_served.is_null() {
                    *out_served = n;
                }
                LTS_OK
            }
            Err(e) => fail(&e),
        }
    }
}

/// Fills `out` with the producer's counters (only the fields that fit in out->struct_size,
/// which the caller sets to sizeof(lts_producer_stats)). They are one consistent snapshot:
/// logs_sent + logs_failed <= logs_accepted, and buffered_bytes is 0 exactly when every
/// accepted log was reported, at every moment a reader can see.
/// @returns LTS_OK; LTS_ERR_INVALID_ARGUMENT (NULL, or struct_size too small for the first
///          field). Thread-safe; takes the lock a send takes, for a few reads.
#[no_mangle]
pub unsafe extern "C" fn lts_producer_get_stats(
    p: *const lts_producer,
    out: *mut Stats,
) -> lts_result {
    ffi_boundary! {
        let p = tri!(handle_ref(p, "p"));
        if out.is_null() {
            return set_error(LTS_ERR_INVALID_ARGUMENT, "out is NULL");
        }
        // Read as bytes: the caller's struct may be an older, shorter version.
        let size = (out as *const u32).read_unaligned() as usize;
        let start = std::mem::offset_of!(Stats, logs_accepted);
        if size < start + 8 {
            return set_error(LTS_ERR_INVALID_ARGUMENT, "out->struct_size is too small: set it to sizeof(lts_producer_stats)");
        }
        let s = p.inner.stats();
        let n = size.min(std::mem::size_of::<Stats>()) - start;
        // SAFETY: both ranges lie within their structs (`n` is bounded by our size and the
        // caller's); the caller's struct_size promises its memory.
        std::ptr::copy_nonoverlapping(
            (&s as *const Stats).cast::<u8>().add(start),
            out.cast::<u8>().add(start),
            n,
        );
        LTS_OK
    }
}

/// Everything lts_producer_get_stats gives, and more, as one JSON object: the counters of
/// lts_producer_stats by their names at the top level; "retries_by_reason" ({"network",
/// "timeout", "throttled", "server", "token_rejected"}); "token_renewals" and
/// "token_failures" (token calls over all clients); "units" (one object per project and unit
/// with an entry: "project", "unit", "logs_accepted", "bytes_accepted", "logs_sent",
/// "logs_failed", "bytes_sent", "batches_sent", "batches_failed"); "units_retired" ("units":
/// how many units' entries were retired, and the same counts summed over them: a unit's entry
/// is kept while it has logs buffered or in flight, and for the `idle_units_max` most
/// recently used idle units); "last_error" (null, or the latest failed batch's "result",
/// "error", "status_code", "message" and "ms_ago"). New keys may be added.
/// The top-level counters are one consistent snapshot (as lts_producer_get_stats); the units
/// are read a few hundred at a time after it, so each unit's counts are consistent but the
/// list may be a few moments later than the totals.
/// @returns a new NUL-terminated UTF-8 string to free with lts_string_free; NULL on error
///          (NULL or stale producer), with the last error set. Thread-safe; holds the lock
///          sends take only for a few hundred units at a time.
#[no_mangle]
pub unsafe extern "C" fn lts_producer_stats_json(p: *const lts_producer) -> *mut c_char {
    ffi_boundary! {
        let p = tri_null!(handle_ref(p, "p"));
        crate::ffi::string::owned_string(p.inner.stats_json())
    }
}

/// Hands every open batch to the workers now, instead of when its linger time runs out, and
/// returns at once: it does not wait for delivery (close does) and the producer keeps
/// accepting sends. For a logging framework's flush.
/// @returns LTS_OK; LTS_ERR_INVALID_STATE before lts_producer_start; LTS_ERR_CLOSED once a
///          close began. Thread-safe; takes the intake lock briefly.
#[no_mangle]
pub unsafe extern "C" fn lts_producer_flush(p: *const lts_producer) -> lts_result {
    ffi_boundary! {
        let p = tri!(handle_ref(p, "p"));
        match p.inner.flush() {
            Ok(()) => LTS_OK,
            Err(e) => fail(&e),
        }
    }
}

/// Stops accepting sends, sends everything buffered (with a journal, also every batch a
/// restart found there), runs every callback, joins every thread. Blocks until done: each
/// batch is bounded by the delivery timeout. Sends racing
/// it from other threads are either accepted (and delivered by it) or refused with
/// LTS_ERR_CLOSED; senders waiting for buffer room are woken and refused. Afterwards the
/// stats balance, as for lts_producer_close.
/// @returns LTS_OK (also for a producer already closed or never started);
///          LTS_ERR_REENTRANT from inside one of its callbacks; LTS_ERR_INTERNAL (a bug:
///          accepted logs unaccounted for).
#[no_mangle]
pub unsafe extern "C" fn lts_producer_safe_close(p: *mut lts_producer) -> lts_result {
    ffi_boundary! { result(tri!(handle_ref(p, "p")).inner.close(None)) }
}

/// As lts_producer_safe_close, within `timeout_ms`. What is not delivered by then gets its
/// callback with LTS_ERR_CLOSED (before this returns), and the call returns LTS_ERR_TIMEOUT
/// (the message says how many logs). Workers still inside a request finish it in the
/// background (bounded by the request timeout) and report nothing more. In poll mode the
/// remaining callbacks run on this thread.
///
/// The timeout bounds the wait for delivery, not your callbacks: every accepted send's
/// callback runs exactly once and none runs after close returns, so callbacks still queued
/// at the deadline run before it returns, and close takes as long as they do on top of the
/// timeout. Keep callbacks short (a callback taking 20 ms, 200 times, adds 4 s).
///
/// When close returns, every accepted log is accounted for: in lts_producer_stats,
/// logs_accepted == logs_sent + logs_failed and buffered_bytes == 0. If that ever fails to
/// hold, close returns LTS_ERR_INTERNAL saying how many logs it could not account for.
/// @returns LTS_OK; LTS_ERR_TIMEOUT; LTS_ERR_REENTRANT from inside one of its callbacks;
///          LTS_ERR_INTERNAL (a bug: accepted logs unaccounted for).
#[no_mangle]
pub unsafe extern "C" fn lts_producer_close(p: *mut lts_producer, timeout_ms: u32) -> lts_result {
    ffi_boundary! {
        let p = tri!(handle_ref(p, "p"));
        result(p.inner.close(Some(Duration::from_millis(u64::from(timeout_ms)))))
    }
}

/// In a forked child: makes a fresh, empty producer with the same configuration and clients as
/// `p` (the parent's, which the child cannot use), started if `p` was. Logs buffered in the
/// parent's producer stay the parent's: the child never sends or reports them. Free the old
/// handle with lts_producer_free (in the child it only releases what it safely can).
/// @param out receives the new producer, or NULL on failure.
/// @returns LTS_OK; LTS_ERR_INVALID_STATE if called in the process that made `p` (there,
///          keep using `p`); LTS_ERR_INVALID_ARGUMENT for NULL or a stale handle.
#[no_mangle]
pub unsafe extern "C" fn lts_producer_after_fork(
    p: *const lts_producer,
    out: *mut *mut lts_producer,
) -> lts_result {
    ffi_boundary! {
        tri!(clear_out(out, "out"));
        let Some(h) = p.as_ref() else {
            return set_error(LTS_ERR_INVALID_ARGUMENT, "p is NULL");
        };
        if !h.head_tag_is::<lts_producer>() {
            return set_error(LTS_ERR_INVALID_ARGUMENT, "p is not a live lts_producer (already freed, or another type)");
        }
        if !h.made_in_another_process() {
            return set_error(LTS_ERR_INVALID_STATE, "lts_producer_after_fork is for a forked child; this process made p");
        }
        match h.inner.fresh_copy() {
            Ok(fresh) => {
                *out = handle_from(fresh);
                LTS_OK
            }
            Err(e) => fail(&e),
        }
    }
}

/// Frees a producer. If it is still open it is closed with timeout 0 first (its callbacks run
/// with LTS_ERR_CLOSED for what was not sent), so it never hangs. NULL does nothing. From
/// inside one of its callbacks it is refused: LTS_ERR_REENTRANT is recorded as the last error
/// and nothing happens. In a forked child it only releases what it can without touching the
/// parent's threads.
///
/// Free a producer only once every other thread's calls on it have returned and none will
/// call it again (close it first and join your senders). A call on `p` that runs during or
/// after its free is undefined behaviour: the library cannot tell freed memory from a live
/// producer. Most calls made after the free are caught (the handle's tag is overwritten,
/// giving LTS_ERR_INVALID_ARGUMENT), and senders blocked waiting for buffer room are woken by
/// the close and refused, but a send already under way when the memory is released can
/// crash.
#[no_mangle]
pub unsafe extern "C" fn lts_producer_free(p: *mut lts_producer) {
    ffi_boundary! {
        if let Some(h) = p.as_ref() {
            if h.head_tag_is::<lts_producer>() && h.inner.in_callback() {
                set_error(LTS_ERR_REENTRANT, "lts_producer_free called from inside one of its callbacks: refused");
                return;
            }
        }
        free_handle(p)
    }
}

/// Wraps a producer as a C handle (lts_producer_after_fork's new producer).
pub(crate) fn handle_from(p: Producer) -> *mut lts_producer {
    lts_producer {
        head: HandleHead::new(lts_producer::TAG),
        inner: p,
    }
    .into_raw()
}

/// Wraps a producer built in Rust as a C handle (benchmarks drive the C entry points with a
/// producer whose clients use the sink transport, which C cannot configure).
#[cfg(feature = "test-support")]
#[doc(hidden)]
pub fn handle_for_tests(p: Producer) -> *mut lts_producer {
    handle_from(p)
}

/// The producer behind a C handle, so a test can drive one producer through both APIs.
///
/// # Safety
/// `h` came from [`handle_for_tests`] and is not freed while the reference is used.
#[cfg(feature = "test-support")]
#[doc(hidden)]
pub unsafe fn producer_of<'a>(h: *const lts_producer) -> &'a Producer {
    &(*h).inner
}
