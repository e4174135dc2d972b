//! `lts_log_item`: the seed SDK's `LogItem`.

use std::ffi::c_char;

use crate::ffi::boundary::{clear_out, free_handle, handle_mut, str_arg, Handle, HandleHead};
use crate::ffi::error::{lts_result, result, LTS_OK};
use crate::log_item::{Field, LogItem, ValueRef};

/// One log. Used by one thread at a time; may be read by several calls at once (for
/// example passed to two sends), since sending copies it.
pub struct lts_log_item {
    head: HandleHead,
    pub(crate) inner: LogItem,
}

impl_handle!(lts_log_item, 0x4c54_5349_5445_0001);

/// Makes an empty log item. It needs a timestamp and an origin message before it can be sent.
/// @param out receives the item, or NULL on failure.
/// @returns LTS_OK or LTS_ERR_INVALID_ARGUMENT (out is NULL). Free with lts_log_item_free.
#[no_mangle]
pub unsafe extern "C" fn lts_log_item_new(out: *mut *mut lts_log_item) -> lts_result {
    ffi_boundary! {
        tri!(clear_out(out, "out"));
        *out = lts_log_item { head: HandleHead::new(lts_log_item::TAG), inner: LogItem::new() }.into_raw();
        LTS_OK
    }
}

/// Sets the timestamp in nanoseconds since the Unix epoch (see lts_now_ns). Required.
/// @returns LTS_OK; LTS_ERR_INVALID_VALUE for a negative value; LTS_ERR_INVALID_ARGUMENT.
#[no_mangle]
pub unsafe extern "C" fn lts_log_item_set_timestamp_ns(
    item: *mut lts_log_item,
    ns: i64,
) -> lts_result {
    ffi_boundary! {
        let item = tri!(handle_mut(item, "item"));
        result(item.inner.set_timestamp_ns(ns))
    }
}

/// Sets the origin message (copied). Required; must not be empty.
/// @returns LTS_OK; LTS_ERR_INVALID_VALUE (empty); LTS_ERR_INVALID_ARGUMENT (NULL, bad UTF-8).
#[no_mangle]
pub unsafe extern "C" fn lts_log_item_set_origin_msg(
    item: *mut lts_log_item,
    msg: *const c_char,
) -> lts_result {
    ffi_boundary! {
        let item = tri!(handle_mut(item, "item"));
        let msg = tri!(str_arg(msg, "msg"));
        result(item.inner.set_origin_msg(msg))
    }
}

unsafe fn push<'v>(
    item: *mut lts_log_item,
    field: Field,
    key: *const c_char,
    value: impl FnOnce() -> Result<ValueRef<'v>, lts_result>,
) -> lts_result {
    let item = tri!(handle_mut(item, "item"));
    let key = tri!(str_arg(key, "key"));
    let value = tri!(value());
    result(item.inner.push(field, key, value))
}

/// Adds a string content (copied); pushing an existing key replaces its value in place.
/// Keys: 1 to 64 characters, only letters, digits, '_', '-', '.', the first a letter.
/// @returns LTS_OK; LTS_ERR_INVALID_KEY (the message names the key and the rule);
///          LTS_ERR_INVALID_VALUE (empty value); LTS_ERR_INVALID_ARGUMENT (NULL, bad UTF-8).
#[no_mangle]
pub unsafe extern "C" fn lts_log_item_push_content_str(
    item: *mut lts_log_item,
    key: *const c_char,
    value: *const c_char,
) -> lts_result {
    ffi_boundary! {
        push(item, Field::Content, key, || Ok(ValueRef::Str(str_arg(value, "value")?)))
    }
}

/// Adds an integer content; rules and results as lts_log_item_push_content_str.
#[no_mangle]
pub unsafe extern "C" fn lts_log_item_push_content_i64(
    item: *mut lts_log_item,
    key: *const c_char,
    value: i64,
) -> lts_result {
    ffi_boundary! { push(item, Field::Content, key, || Ok(ValueRef::Int(value))) }
}

/// Adds a double content; NaN and infinities are LTS_ERR_INVALID_VALUE. Otherwise as
/// lts_log_item_push_content_str.
#[no_mangle]
pub unsafe extern "C" fn lts_log_item_push_content_f64(
    item: *mut lts_log_item,
    key: *const c_char,
    value: f64,
) -> lts_result {
    ffi_boundary! { push(item, Field::Content, key, || Ok(ValueRef::Double(value))) }
}

/// Adds a string label; rules and results as lts_log_item_push_content_str. Logs with
/// identical labels are sent under one OTLP resource.
#[no_mangle]
pub unsafe extern "C" fn lts_log_item_push_label_str(
    item: *mut lts_log_item,
    key: *const c_char,
    value: *const c_char,
) -> lts_result {
    ffi_boundary! {
        push(item, Field::Label, key, || Ok(ValueRef::Str(str_arg(value, "value")?)))
    }
}

/// Adds an integer label; as lts_log_item_push_label_str.
#[no_mangle]
pub unsafe extern "C" fn lts_log_item_push_label_i64(
    item: *mut lts_log_item,
    key: *const c_char,
    value: i64,
) -> lts_result {
    ffi_boundary! { push(item, Field::Label, key, || Ok(ValueRef::Int(value))) }
}

/// Adds a double label; as lts_log_item_push_content_f64.
#[no_mangle]
pub unsafe extern "C" fn lts_log_item_push_label_f64(
    item: *mut lts_log_item,
    key: *const c_char,
    value: f64,
) -> lts_result {
    ffi_boundary! { push(item, Field::Label, key, || Ok(ValueRef::Double(value))) }
}

/// Checks a key against the key rules without an item (for wrappers that build items in
/// their own language and send them packed). `is_label` only words the message.
/// @returns LTS_OK or LTS_ERR_INVALID_KEY (the message names the key and the rule);
///          LTS_ERR_INVALID_ARGUMENT for NULL or bad UTF-8. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn lts_check_key(key: *const c_char, is_label: bool) -> lts_result {
    ffi_boundary! {
        let key = tri!(str_arg(key, "key"));
        let field = if is_label { Field::Label } else { Field::Content };
        result(crate::log_item::check_key(field, key))
    }
}

/// Frees a log item. NULL does nothing. Free each item once.
#[no_mangle]
pub unsafe extern "C" fn lts_log_item_free(item: *mut lts_log_item) {
    ffi_boundary! { free_handle(item) }
}

/// Wraps a log item built in Rust as a C handle (benchmarks and tests).
#[cfg(feature = "test-support")]
#[doc(hidden)]
pub fn handle_from(item: LogItem) -> *mut lts_log_item {
    lts_log_item {
        head: HandleHead::new(lts_log_item::TAG),
        inner: item,
    }
    .into_raw()
}
