//! Options by name: `lts_client_config_set`/`_get`, `lts_producer_config_set`/`_get` and the
//! schema every binding reads its keys from. The table itself is `crate::options`.

use std::ffi::{c_char, CString};
use std::sync::OnceLock;

use crate::ffi::boundary::{handle_mut, handle_ref, str_arg};
use crate::ffi::config::lts_client_config;
use crate::ffi::error::{fail, lts_result, LTS_OK};
use crate::ffi::producer_config::lts_producer_config;
use crate::ffi::string::owned_string;
use crate::options::{self, Opt, CLIENT, PRODUCER};

/// Sets one option of `cfg` by name; the typed setters come through here too, so every way
/// of setting a value checks it the same way and words its refusal the same way.
pub(crate) fn set_named<C>(
    table: &'static [Opt<C>],
    what: &str,
    cfg: &mut C,
    key: &str,
    value: &str,
) -> lts_result {
    match options::set(table, what, cfg, key, value) {
        Ok(()) => LTS_OK,
        Err(e) => fail(&e),
    }
}

/// Sets a client option by name, e.g. `("request_timeout_ms", "5000")`. The keys, their
/// types, defaults and accepted values are in CONFIGURATION.md and in lts_config_schema();
/// each typed setter (lts_client_config_set_<key>) is the same as setting its key here.
/// Values are taken exactly as given (nothing is trimmed): integers as the digits 0-9
/// alone (no sign, spaces or leading zeros: "5", not " 5", "+5" or "05"), booleans
/// "true"/"false", choices by name ("lz4", "eop", ...).
/// @param key, value  NUL-terminated UTF-8, borrowed for the call.
/// @returns LTS_OK; LTS_ERR_INVALID_ARGUMENT for a NULL argument, an unknown key (the
///          message lists the keys) or a bad value (the message names the key, the value and
///          what is accepted; a secret_key value is never shown). The config is unchanged on
///          error.
#[no_mangle]
pub unsafe extern "C" fn lts_client_config_set(
    c: *mut lts_client_config,
    key: *const c_char,
    value: *const c_char,
) -> lts_result {
    ffi_boundary! {
        let c = tri!(handle_mut(c, "c"));
        let key = tri!(str_arg(key, "key"));
        let value = tri!(str_arg(value, "value"));
        set_named(CLIENT, "client", &mut c.inner, key, value)
    }
}

/// Reads a client option by name, written as lts_client_config_set takes it.
/// @returns a new NUL-terminated string the caller frees with lts_string_free; NULL (and the
///          last error set) for a NULL argument, an unknown key, or "secret_key", which can be
///          set but never read back.
#[no_mangle]
pub unsafe extern "C" fn lts_client_config_get(
    c: *const lts_client_config,
    key: *const c_char,
) -> *mut c_char {
    ffi_boundary! {
        let c = tri_null!(handle_ref(c, "c"));
        let key = tri_null!(str_arg(key, "key"));
        get_named(CLIENT, "client", &c.inner, key)
    }
}

/// Sets a producer option by name, e.g. `("linger_ms", "100")`; as lts_client_config_set,
/// for the keys of CONFIGURATION.md's producer table.
#[no_mangle]
pub unsafe extern "C" fn lts_producer_config_set(
    c: *mut lts_producer_config,
    key: *const c_char,
    value: *const c_char,
) -> lts_result {
    ffi_boundary! {
        let c = tri!(handle_mut(c, "c"));
        let key = tri!(str_arg(key, "key"));
        let value = tri!(str_arg(value, "value"));
        set_named(PRODUCER, "producer", &mut c.inner, key, value)
    }
}

/// Reads a producer option by name; as lts_client_config_get.
#[no_mangle]
pub unsafe extern "C" fn lts_producer_config_get(
    c: *const lts_producer_config,
    key: *const c_char,
) -> *mut c_char {
    ffi_boundary! {
        let c = tri_null!(handle_ref(c, "c"));
        let key = tri_null!(str_arg(key, "key"));
        get_named(PRODUCER, "producer", &c.inner, key)
    }
}

fn get_named<C>(table: &'static [Opt<C>], what: &str, cfg: &C, key: &str) -> *mut c_char {
    match options::get(table, what, cfg, key) {
        Ok(v) => owned_string(v),
        Err(e) => {
            fail(&e);
            std::ptr::null_mut()
        }
    }
}

/// Every option as JSON, for bindings that set options by name and check they know them
/// all: `{"client": [{"name", "type", "choices", "default", "range", "doc", "write_only",
/// "profile"}, ...], "producer": [...]}`; "type" is one of "integer", "bool", "string",
/// "choice", "integer list"; "profile" marks the wire-protocol profile keys.
/// @returns a static NUL-terminated string; never NULL; never free it. Thread-safe.
#[no_mangle]
pub extern "C" fn lts_config_schema() -> *const c_char {
    ffi_boundary! {
        static SCHEMA: OnceLock<CString> = OnceLock::new();
        SCHEMA
            .get_or_init(|| CString::new(options::schema_json()).unwrap_or_default())
            .as_ptr()
    }
}
