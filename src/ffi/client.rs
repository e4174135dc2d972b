//! `lts_client` and `lts_put_logs`: the seed SDK's `LogClient` and `put_logs`.

use std::ffi::c_char;

use crate::client::Client;
use crate::error::ErrorKind;
use crate::ffi::boundary::{
    bytes_arg, clear_out, free_handle, handle_ref, handle_ref_named, str_arg, Handle, HandleHead,
};
use crate::ffi::config::lts_client_config;
use crate::ffi::error::{fail, lts_result, set_error, LTS_ERR_INVALID_ARGUMENT, LTS_OK};
use crate::ffi::log_item::lts_log_item;
use crate::ffi::record::{checked_records, lts_record};
use crate::ffi::response::lts_response;
use crate::log_item::LogItem;

/// A client: connection pool, token and retry policy. Thread-safe: any number of threads
/// may call lts_put_logs on one client at once.
pub struct lts_client {
    head: HandleHead,
    pub(crate) inner: Client,
}

impl_handle!(lts_client, 0x4c54_5343_4c49_0001);

/// Makes a client from a config (copied: the config may be freed right after).
///
/// In token mode (the default) this fetches the token now, so it blocks for up to
/// (retries + 1) request timeouts plus backoff.
/// @param out receives the client, or NULL on failure.
/// @returns LTS_OK; LTS_ERR_AUTH (the token call was refused: wrong AK/SK, clock skew; the
///          message holds the service's reason); LTS_ERR_NETWORK / LTS_ERR_TIMEOUT (no answer
///          after the retries); LTS_ERR_INVALID_ARGUMENT (NULL or stale config, out NULL);
///          LTS_ERR_INVALID_STATE (config made before fork()).
/// @remark Free with lts_client_free.
#[no_mangle]
pub unsafe extern "C" fn lts_client_new(
    config: *const lts_client_config,
    out: *mut *mut lts_client,
) -> lts_result {
    ffi_boundary! {
        tri!(clear_out(out, "out"));
        let config = tri!(handle_ref(config, "config"));
        match Client::new(config.inner.clone()) {
            Ok(client) => {
                *out = lts_client { head: HandleHead::new(lts_client::TAG), inner: client }.into_raw();
                LTS_OK
            }
            Err(e) => fail(&e),
        }
    }
}

/// Frees a client and closes its connections. NULL does nothing. Free each client once,
/// after every call on it has returned. In a forked child it only releases memory.
#[no_mangle]
pub unsafe extern "C" fn lts_client_free(client: *mut lts_client) {
    ffi_boundary! { free_handle(client) }
}

/// Sends logs now, in one request, and waits for the answer (the seed SDK's `put_logs`).
///
/// Blocks: network I/O with up to (retries + 1) attempts, each bounded by the request timeout,
/// with backoff between them; an expired token is renewed once and the request retried.
/// Thread-safe on one client.
///
/// @param log_project, log_unit  NUL-terminated UTF-8, non-empty, borrowed for the call.
/// @param items  `count` log item pointers, each borrowed for the call (copied as encoded).
/// @param out    set to NULL first; receives the service's answer when there is one.
/// @returns
///   LTS_OK              the service answered statusCode 0 (*out holds the answer);
///   LTS_ERR_SERVER      the service answered an error, after any retries (*out holds it:
///                       see lts_response_error), or gave an unparseable answer (*out NULL);
///   LTS_ERR_AUTH        the token or signature was refused and renewal did not help;
///   LTS_ERR_NETWORK / LTS_ERR_TIMEOUT   no answer after the retries (*out NULL);
///   LTS_ERR_INVALID_ARGUMENT  NULL/stale arguments, count 0, items NULL or holding NULL;
///   LTS_ERR_INVALID_VALUE     an item lacks its timestamp or origin message;
///   LTS_ERR_TOO_LARGE   over 40960 logs or 5 MiB raw: refused before sending;
///   LTS_ERR_INVALID_STATE     the client was made before fork().
/// On failure the detail is in lts_last_error_message().
#[no_mangle]
pub unsafe extern "C" fn lts_put_logs(
    client: *mut lts_client,
    log_project: *const c_char,
    log_unit: *const c_char,
    items: *const *const lts_log_item,
    count: usize,
    out: *mut *mut lts_response,
) -> lts_result {
    ffi_boundary! {
        tri!(clear_out(out, "out"));
        let client = tri!(handle_ref(client, "client"));
        let project = tri!(str_arg(log_project, "log_project"));
        let unit = tri!(str_arg(log_unit, "log_unit"));
        let items = tri!(item_refs(items, count));
        answer(client.inner.put_logs(project, unit, &items), out)
    }
}

/// As lts_put_logs, with the items packed in one buffer (layout in lts_producer_send_packed).
/// @param buf, len  the packed items, borrowed for the call; `count` items exactly.
/// @returns as lts_put_logs; a malformed buffer is LTS_ERR_INVALID_ARGUMENT (the message says
///          which item and where), a bad key or value LTS_ERR_INVALID_KEY / _VALUE.
#[no_mangle]
pub unsafe extern "C" fn lts_put_logs_packed(
    client: *mut lts_client,
    log_project: *const c_char,
    log_unit: *const c_char,
    buf: *const u8,
    len: usize,
    count: usize,
    out: *mut *mut lts_response,
) -> lts_result {
    ffi_boundary! {
        tri!(clear_out(out, "out"));
        let client = tri!(handle_ref(client, "client"));
        let project = tri!(str_arg(log_project, "log_project"));
        let unit = tri!(str_arg(log_unit, "log_unit"));
        let buf = tri!(bytes_arg(buf, len, "buf"));
        answer(client.inner.put_logs_packed(project, unit, buf, count), out)
    }
}

/// As lts_put_logs, with the logs given as records pointing at your own memory: the
/// recommended form (nothing is built field by field, and the bytes are encoded straight from
/// your memory into the request).
///
/// @param records  `count` records (see lts_record, lts_field), borrowed for the call: the
///                 memory they point at must stay valid and unchanged until it returns.
/// @param out      set to NULL first; receives the service's answer when there is one.
/// @returns as lts_put_logs. Bad input is refused before any I/O, the message naming the
///          record, the field and the key: LTS_ERR_INVALID_ARGUMENT (NULL records or count 0,
///          a NULL pointer with a non-zero length, an unknown field type),
///          LTS_ERR_INVALID_KEY (a key breaking the rules, or given twice in one list),
///          LTS_ERR_INVALID_VALUE (no timestamp — 0 — or a negative one; no or empty message;
///          an empty string value; bad UTF-8; a non-finite double), LTS_ERR_TOO_LARGE (over
///          40960 records or 5 MiB raw, or a length past what a request can hold).
#[no_mangle]
pub unsafe extern "C" fn lts_put_records(
    client: *mut lts_client,
    log_project: *const c_char,
    log_unit: *const c_char,
    records: *const lts_record,
    count: usize,
    out: *mut *mut lts_response,
) -> lts_result {
    ffi_boundary! {
        tri!(clear_out(out, "out"));
        let client = tri!(handle_ref(client, "client"));
        let project = tri!(str_arg(log_project, "log_project"));
        let unit = tri!(str_arg(log_unit, "log_unit"));
        let records = match checked_records(records, count) {
            Ok(r) => r,
            Err(e) => return fail(&e),
        };
        answer(client.inner.put(project, unit, &records), out)
    }
}

/// Hands a put's outcome to C: the answer in `*out` when the service gave one (success, or
/// LTS_ERR_SERVER with its answer), and the result code.
///
/// # Safety
/// `out` is valid for writes (checked by the caller).
unsafe fn answer(
    r: crate::error::Result<crate::response::Response>,
    out: *mut *mut lts_response,
) -> lts_result {
    match r {
        Ok(resp) => {
            *out = lts_response::from_response(resp);
            LTS_OK
        }
        Err(e) => {
            if let (ErrorKind::Server, Some(resp)) = (e.kind, e.response.clone()) {
                *out = lts_response::from_response(resp);
            }
            fail(&e)
        }
    }
}

/// A send's items: up to 8 without an allocation.
pub(crate) type ItemRefs<'a> = smallvec::SmallVec<[&'a LogItem; 8]>;

/// Borrows a C array of item handles, checking each.
///
/// # Safety
/// `items` is NULL or points to `count` pointers.
pub(crate) unsafe fn item_refs<'a>(
    items: *const *const lts_log_item,
    count: usize,
) -> Result<ItemRefs<'a>, lts_result> {
    if count == 0 {
        return Err(set_error(
            LTS_ERR_INVALID_ARGUMENT,
            "count is 0: there are no log items to send",
        ));
    }
    if items.is_null() {
        return Err(set_error(LTS_ERR_INVALID_ARGUMENT, "items is NULL"));
    }
    let ptrs = std::slice::from_raw_parts(items, count);
    let mut out = ItemRefs::with_capacity(count);
    for (i, &p) in ptrs.iter().enumerate() {
        out.push(&handle_ref_named(p, || format!("items[{i}]"))?.inner);
    }
    Ok(out)
}
