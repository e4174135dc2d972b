//! `lts_producer_config`: the seed SDK's `ProducerConfig`.

use std::ffi::{c_char, c_void};

use crate::ffi::boundary::{clear_out, free_handle, handle_mut, Handle, HandleHead};
use crate::ffi::error::{lts_result, set_error, LTS_ERR_INVALID_ARGUMENT, LTS_OK};
use crate::ffi::options::set_named;
use crate::options::PRODUCER;
use crate::producer::ProducerConfig;

/// Default: one library thread per producer runs callbacks, one at a time.
pub const LTS_CALLBACK_THREAD: u32 = 0;
/// Results wait until the application calls lts_producer_poll on its own thread.
pub const LTS_CALLBACK_POLL: u32 = 1;

/// A producer configuration. Used by one thread at a time; lts_producer_new copies it, so
/// it may be freed right after.
pub struct lts_producer_config {
    head: HandleHead,
    pub(crate) inner: ProducerConfig,
}

impl_handle!(lts_producer_config, 0x4c54_5350_4346_0001);

/// Makes a producer configuration with the defaults: batch size 512 KiB, batch count 4096,
/// linger 2000 ms, 8 workers, buffer cap 100 MiB, max block 0 ms (fail fast), thread
/// callbacks, delivery timeout 10 minutes.
/// @param out receives the config, or NULL on failure.
/// @returns LTS_OK or LTS_ERR_INVALID_ARGUMENT (out is NULL). No I/O. Free with
///          lts_producer_config_free.
#[no_mangle]
pub unsafe extern "C" fn lts_producer_config_new(out: *mut *mut lts_producer_config) -> lts_result {
    ffi_boundary! {
        tri!(clear_out(out, "out"));
        *out = lts_producer_config { head: HandleHead::new(lts_producer_config::TAG), inner: ProducerConfig::default() }.into_raw();
        LTS_OK
    }
}

/// Sets the raw (uncompressed protobuf) size at which a batch closes: 1 byte to 5 MiB
/// (default 512 KiB). A single send larger than this is refused with LTS_ERR_TOO_LARGE.
/// Out-of-range values give LTS_ERR_INVALID_ARGUMENT and leave the config unchanged (so do
/// all the setters below).
#[no_mangle]
pub unsafe extern "C" fn lts_producer_config_set_batch_size_bytes(
    c: *mut lts_producer_config,
    bytes: usize,
) -> lts_result {
    ffi_boundary! { by_name(c, "batch_size_bytes", bytes) }
}

/// Sets the log count at which a batch closes: 1 to 40960 (default 4096).
#[no_mangle]
pub unsafe extern "C" fn lts_producer_config_set_batch_count(
    c: *mut lts_producer_config,
    count: u32,
) -> lts_result {
    ffi_boundary! { by_name(c, "batch_count", count) }
}

/// Sets how long a batch may wait for more logs after its first: at least 100 ms (default
/// 2000 ms).
#[no_mangle]
pub unsafe extern "C" fn lts_producer_config_set_linger_ms(
    c: *mut lts_producer_config,
    ms: u32,
) -> lts_result {
    ffi_boundary! { by_name(c, "linger_ms", ms) }
}

/// Sets the number of worker threads that compress and send batches: 1 to 256 (default 8).
#[no_mangle]
pub unsafe extern "C" fn lts_producer_config_set_worker_count(
    c: *mut lts_producer_config,
    n: u32,
) -> lts_result {
    ffi_boundary! { by_name(c, "worker_count", n) }
}

/// Sets the cap on the memory held for logs accepted and not yet reported, as the allocator
/// holds it: batch buffers by capacity, label groups, sends' bookkeeping, request bodies in
/// delivery (default 100 MiB; at least 1, and lts_producer_new refuses a cap below the batch
/// size). Sends may fill all of it but the room kept for the workers' request bodies (one
/// compressed batch per worker, at most a quarter of the cap). A process using the producer stays within about this cap plus a few MiB of fixed
/// buffers (two request-building scratch buffers, a few pooled batch buffers).
#[no_mangle]
pub unsafe extern "C" fn lts_producer_config_set_buffer_bytes(
    c: *mut lts_producer_config,
    bytes: usize,
) -> lts_result {
    ffi_boundary! { by_name(c, "buffer_bytes", bytes) }
}

/// Sets how long lts_producer_send may wait for room under the cap before returning
/// LTS_ERR_BUFFER_FULL (default 0: fail at once). The wait ends as soon as room frees.
#[no_mangle]
pub unsafe extern "C" fn lts_producer_config_set_max_block_ms(
    c: *mut lts_producer_config,
    ms: u32,
) -> lts_result {
    ffi_boundary! { by_name(c, "max_block_ms", ms) }
}

/// Sets where callbacks run: LTS_CALLBACK_THREAD (default) or LTS_CALLBACK_POLL.
#[no_mangle]
pub unsafe extern "C" fn lts_producer_config_set_callback_mode(
    c: *mut lts_producer_config,
    mode: u32,
) -> lts_result {
    ffi_boundary! { by_name(c, "callback_mode", mode) }
}

/// Sets how long one batch may take to deliver, retries included, counted from when it
/// closed (default 600000 ms; at least 1). Past it the batch fails and its callbacks report
/// the last error.
#[no_mangle]
pub unsafe extern "C" fn lts_producer_config_set_delivery_timeout_ms(
    c: *mut lts_producer_config,
    ms: u32,
) -> lts_result {
    ffi_boundary! { by_name(c, "delivery_timeout_ms", ms) }
}

/// Gives the producer a journal: a directory it owns (made if missing, mode 0700; one
/// producer per directory) where each accepted send is copied before lts_producer_send
/// returns (into a file mapped into memory, the ring; a background thread copies it on into
/// segment files). Then:
/// - a crash of the process (kill -9, an OOM kill, an abort) loses no log whose send
///   returned LTS_OK: the next producer started on the directory sends every batch not
///   reported, under the batch id it had, and the service stores none twice (it answers a
///   repeated id with success);
/// - a power loss loses at most the last journal_sync_ms (default 1000) of accepted logs;
/// - lts_producer_close leaves what it could not send in the journal (those callbacks report
///   LTS_ERR_CLOSED, saying so), for the next producer;
/// - a full or failing disk never fails a send: the journal says so through the log hook,
///   counts it (journal_errors) and keeps new logs in memory until it can write again;
/// - lts_producer_safe_close also delivers what a restart found in the directory (refusing
///   new sends from when it begins).
///
/// lts_producer_new takes the directory's lock (a second producer on it, in any process,
/// gets LTS_ERR_INVALID_STATE naming the owner's pid; the lock is a POSIX record lock on
/// `dir/lock`, which the process loses if it opens and closes that file itself, so let nothing
/// else open it) and makes the ring (the larger of
/// 16 MiB and journal_segment_bytes: where it cannot, as on a full disk, lts_producer_new
/// fails with LTS_ERR_INVALID_ARGUMENT naming it); lts_producer_start reads what an earlier
/// producer left on a background thread. A forked child's lts_producer_after_fork producer
/// has no journal. Costs a copy and a CRC per send on the sending thread, a second copy on
/// the background thread, and up to journal_max_bytes (default 1 GiB) of disk plus the ring.
/// See also the journal_* options (lts_producer_config_set, CONFIGURATION.md). The path is
/// copied.
/// @returns LTS_OK or LTS_ERR_INVALID_ARGUMENT (NULL, bad UTF-8, empty).
#[no_mangle]
pub unsafe extern "C" fn lts_producer_config_set_journal_dir(
    c: *mut lts_producer_config,
    dir: *const c_char,
) -> lts_result {
    ffi_boundary! {
        set_dir(c, "journal_dir", dir)
    }
}

/// Sets directory option `name` (the journal's, by either of its names); "" (which the
/// option table takes as "no journal") is refused here, where a directory is asked for.
/// Call it inside `ffi_boundary!`.
unsafe fn set_dir(c: *mut lts_producer_config, name: &str, dir: *const c_char) -> lts_result {
    let dir = tri!(crate::ffi::boundary::str_arg(dir, "dir"));
    if dir.is_empty() {
        return set_error(
            LTS_ERR_INVALID_ARGUMENT,
            &format!("{name}: the directory is empty"),
        );
    }
    by_name(c, name, dir)
}

/// The former name of lts_producer_config_set_journal_dir (the same setting): what close
/// cannot send stays in the directory, and the next producer started on it sends it.
/// @returns LTS_OK or LTS_ERR_INVALID_ARGUMENT (NULL, bad UTF-8, empty).
#[no_mangle]
pub unsafe extern "C" fn lts_producer_config_set_spill_dir(
    c: *mut lts_producer_config,
    dir: *const c_char,
) -> lts_result {
    ffi_boundary! {
        set_dir(c, "spill_dir", dir)
    }
}

/// Receives a producer's stats as JSON (the text of lts_producer_stats_json), every
/// `stats_interval_ms`.
///
/// @param user_data  what was given to lts_producer_config_set_stats_callback, untouched.
/// @param json       NUL-terminated UTF-8, valid only during the call.
///
/// Thread: where the producer's callbacks run, in order with them (its callback thread, or
/// inside lts_producer_poll and lts_producer_close in poll mode). As for lts_send_callback:
/// return quickly, do not unwind, do not close or free the producer from inside.
pub type lts_stats_callback =
    Option<unsafe extern "C" fn(user_data: *mut c_void, json: *const c_char)>;

/// The user data given with the stats callback: only passed back.
struct StatsUserData(*mut c_void);
// SAFETY: never dereferenced here; the callback runs on the threads the header names.
unsafe impl Send for StatsUserData {}
unsafe impl Sync for StatsUserData {}

impl StatsUserData {
    /// Through a method, so closures capture the wrapper (which is Send), not the pointer.
    fn get(&self) -> *mut c_void {
        self.0
    }
}

/// Calls `cb` with the producer's stats every `stats_interval_ms` (set that key too: the
/// default 0 means never), from its start until its close. NULL removes the callback.
/// `user_data` must stay valid until the producer is closed.
/// @returns LTS_OK or LTS_ERR_INVALID_ARGUMENT (NULL config).
#[no_mangle]
pub unsafe extern "C" fn lts_producer_config_set_stats_callback(
    c: *mut lts_producer_config,
    cb: lts_stats_callback,
    user_data: *mut c_void,
) -> lts_result {
    ffi_boundary! {
        let c = tri!(handle_mut(c, "c"));
        c.inner.stats_callback = cb.map(|f| {
            let data = StatsUserData(user_data);
            let cb: crate::producer::config::StatsCallback = std::sync::Arc::new(move |json: &str| {
                let text = std::ffi::CString::new(json.replace('\0', " ")).unwrap_or_default();
                // SAFETY: the header's contract for the callback and its user_data.
                unsafe { f(data.get(), text.as_ptr()) }
            });
            cb
        });
        LTS_OK
    }
}

/// A typed setter: the value written out and set by its key, so it is checked (and refused)
/// exactly as lts_producer_config_set would.
unsafe fn by_name(
    c: *mut lts_producer_config,
    key: &str,
    value: impl std::fmt::Display,
) -> lts_result {
    let c = tri!(handle_mut(c, "c"));
    set_named(PRODUCER, "producer", &mut c.inner, key, &value.to_string())
}

/// Frees a producer config. NULL does nothing. Free each config once.
#[no_mangle]
pub unsafe extern "C" fn lts_producer_config_free(c: *mut lts_producer_config) {
    ffi_boundary! { free_handle(c) }
}
