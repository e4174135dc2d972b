//! `lts_client_config`: the seed SDK's `ClientConfig`.

use std::ffi::c_char;

use crate::config::ClientConfig;
use crate::ffi::boundary::{clear_out, free_handle, handle_mut, str_arg, Handle, HandleHead};
use crate::ffi::error::{fail, lts_result, result, set_error, LTS_ERR_INVALID_ARGUMENT, LTS_OK};
use crate::ffi::options::set_named;
use crate::options::CLIENT;

/// Default: AK/SK are traded for a temporary token, renewed automatically.
pub const LTS_AUTH_TOKEN: u32 = 0;
/// Every put-logs request is EOP-signed with AK/SK; no token call.
pub const LTS_AUTH_EOP: u32 = 1;

/// A client configuration. Used by one thread at a time; clients copy it, so it may be
/// freed as soon as the client is made.
pub struct lts_client_config {
    head: HandleHead,
    pub(crate) inner: ClientConfig,
}

impl_handle!(lts_client_config, 0x4c54_5343_4647_0001);

/// Makes a client configuration with the defaults: request timeout 30000 ms, compression
/// "lz4", user agent "lts-sdk-c/<version>", 3 retries, token auth.
///
/// @param endpoint     `scheme://host[:port][/prefix]`; a bare host means `https://host`.
///                     Parsed now (the grammar is CONFIGURATION.md's "Endpoint"): scheme
///                     http or https, a host name (non-ASCII names IDNA-converted), a
///                     dotted-quad IPv4 address or a bracketed IPv6 one, port 1..=65535,
///                     no credentials, query, fragment, spaces or control characters.
/// @param access_key   the AK; non-empty.
/// @param secret_key   the SK; non-empty. Never printed in messages; wiped when freed.
/// @param log_project  the log project code the client is for ("" allowed for a client that
///                     names its project on each call).
/// @param out          receives the new config, or NULL on failure.
/// All strings are NUL-terminated UTF-8, borrowed for the call only (copied).
/// @returns LTS_OK; LTS_ERR_INVALID_ARGUMENT for a NULL or non-UTF-8 argument, an empty key,
///          or a malformed endpoint (the message says what is wrong with it, and never
///          repeats credentials written into it).
/// @remark No network I/O. Free with lts_client_config_free.
#[no_mangle]
pub unsafe extern "C" fn lts_client_config_new(
    endpoint: *const c_char,
    access_key: *const c_char,
    secret_key: *const c_char,
    log_project: *const c_char,
    out: *mut *mut lts_client_config,
) -> lts_result {
    ffi_boundary! {
        tri!(clear_out(out, "out"));
        let endpoint = tri!(str_arg(endpoint, "endpoint"));
        let access_key = tri!(str_arg(access_key, "access_key"));
        let secret_key = tri!(str_arg(secret_key, "secret_key"));
        let log_project = tri!(str_arg(log_project, "log_project"));
        match ClientConfig::new(endpoint, access_key, secret_key, log_project) {
            Ok(cfg) => {
                *out = lts_client_config { head: HandleHead::new(lts_client_config::TAG), inner: cfg }.into_raw();
                LTS_OK
            }
            Err(e) => fail(&e),
        }
    }
}

/// Sets the timeout of one HTTP request, in milliseconds (default 30000; must be > 0).
/// @returns LTS_OK or LTS_ERR_INVALID_ARGUMENT (NULL config, 0 ms); the config is unchanged on error.
#[no_mangle]
pub unsafe extern "C" fn lts_client_config_set_request_timeout_ms(
    c: *mut lts_client_config,
    ms: u32,
) -> lts_result {
    ffi_boundary! {
        by_name(c, "request_timeout_ms", ms)
    }
}

/// Sets the body compression: "lz4" (default) or "none".
/// @returns LTS_OK or LTS_ERR_INVALID_ARGUMENT (NULL, bad UTF-8, unknown type).
#[no_mangle]
pub unsafe extern "C" fn lts_client_config_set_compress_type(
    c: *mut lts_client_config,
    compress_type: *const c_char,
) -> lts_result {
    ffi_boundary! {
        let t = tri!(str_arg(compress_type, "compress_type"));
        by_name(c, "compress_type", t)
    }
}

/// Sets the User-Agent header (default "lts-sdk-c/<version>"). The string is copied.
/// @returns LTS_OK or LTS_ERR_INVALID_ARGUMENT (NULL, bad UTF-8, empty, control characters).
#[no_mangle]
pub unsafe extern "C" fn lts_client_config_set_user_agent(
    c: *mut lts_client_config,
    user_agent: *const c_char,
) -> lts_result {
    ffi_boundary! {
        let ua = tri!(str_arg(user_agent, "user_agent"));
        by_name(c, "user_agent", ua)
    }
}

/// Sets how many extra attempts follow a failed first one (default 3, at most 100).
/// Transient failures are retried with full-jitter exponential backoff (base 100 ms, cap
/// 10 s); every retry of a batch carries the same batch id.
/// @returns LTS_OK or LTS_ERR_INVALID_ARGUMENT.
#[no_mangle]
pub unsafe extern "C" fn lts_client_config_set_retries(
    c: *mut lts_client_config,
    retries: u32,
) -> lts_result {
    ffi_boundary! {
        by_name(c, "retries", retries)
    }
}

/// Adds an HTTP status (100..=599) whose answers are never retried (the seed SDK's
/// `no_retry_status_code`). Adding one twice is harmless.
/// @returns LTS_OK or LTS_ERR_INVALID_ARGUMENT.
#[no_mangle]
pub unsafe extern "C" fn lts_client_config_add_no_retry_status_code(
    c: *mut lts_client_config,
    http_status: i32,
) -> lts_result {
    ffi_boundary! {
        let c = tri!(handle_mut(c, "c"));
        result(c.inner.add_no_retry_status_code(http_status))
    }
}

/// Sets the auth mode: LTS_AUTH_TOKEN (default) or LTS_AUTH_EOP.
/// @returns LTS_OK or LTS_ERR_INVALID_ARGUMENT for any other value.
#[no_mangle]
pub unsafe extern "C" fn lts_client_config_set_auth_mode(
    c: *mut lts_client_config,
    mode: u32,
) -> lts_result {
    ffi_boundary! {
        by_name(c, "auth_mode", mode)
    }
}

/// Sets one wire-protocol profile value by name, to match an endpoint without a rebuild.
/// Keys: "token_path", "put_path" (paths starting with '/'), "project_param", "unit_param",
/// "token_header", "compress_type_header", "raw_size_header", "batch_id_header" (names of
/// letters, digits, '-', '_', '.'), "token_renew_percent" (1..99), "backoff_base_ms",
/// "backoff_cap_ms" (integers: the digits 0-9 alone, without sign, spaces or leading zeros,
/// as every integer option; see CONFIGURATION.md).
/// @returns LTS_OK; LTS_ERR_INVALID_ARGUMENT for an unknown key or a malformed value (the
///          config is unchanged).
#[no_mangle]
pub unsafe extern "C" fn lts_client_config_set_profile(
    c: *mut lts_client_config,
    key: *const c_char,
    value: *const c_char,
) -> lts_result {
    ffi_boundary! {
        let key = tri!(str_arg(key, "key"));
        let value = tri!(str_arg(value, "value"));
        if !crate::profile::KEYS.contains(&key) {
            return set_error(LTS_ERR_INVALID_ARGUMENT, &format!("unknown profile key {key:?}; the keys are: {}", crate::profile::KEYS.join(", ")));
        }
        by_name(c, key, value)
    }
}

/// Trusts exactly the CA certificates in the PEM file at `path` (read now) instead of the
/// system's roots, for endpoints with a private CA. The file must be a regular file (not a
/// device or a pipe, which are refused unread) of at most 16 MiB.
/// @returns LTS_OK; LTS_ERR_INVALID_ARGUMENT (NULL, unreadable file, not a regular file,
///          larger than 16 MiB (the message gives its size), no PEM certificate in it).
#[no_mangle]
pub unsafe extern "C" fn lts_client_config_set_ca_file(
    c: *mut lts_client_config,
    path: *const c_char,
) -> lts_result {
    ffi_boundary! {
        let path = tri!(str_arg(path, "path"));
        by_name(c, "ca_file", path)
    }
}

/// As lts_client_config_set_ca_file, with the PEM text itself (NUL-terminated, copied).
#[no_mangle]
pub unsafe extern "C" fn lts_client_config_set_ca_pem(
    c: *mut lts_client_config,
    pem: *const c_char,
) -> lts_result {
    ffi_boundary! {
        let pem = tri!(str_arg(pem, "pem"));
        by_name(c, "ca_pem", pem)
    }
}

/// Allows `http://` endpoints whose host is not loopback (default false: lts_client_new and
/// lts_producer_add_client refuse them with LTS_ERR_INVALID_ARGUMENT, since tokens and logs
/// would cross the network in clear). Loopback hosts are always allowed.
/// @returns LTS_OK or LTS_ERR_INVALID_ARGUMENT (NULL).
#[no_mangle]
pub unsafe extern "C" fn lts_client_config_set_allow_plain_http(
    c: *mut lts_client_config,
    allow: bool,
) -> lts_result {
    ffi_boundary! {
        by_name(c, "allow_plain_http", allow)
    }
}

/// A typed setter: the value written out and set by its key, so it is checked (and refused)
/// exactly as lts_client_config_set would.
unsafe fn by_name(
    c: *mut lts_client_config,
    key: &str,
    value: impl std::fmt::Display,
) -> lts_result {
    let c = tri!(handle_mut(c, "c"));
    set_named(CLIENT, "client", &mut c.inner, key, &value.to_string())
}

/// Frees a config (and wipes its secret key). NULL does nothing. Free each config once.
#[no_mangle]
pub unsafe extern "C" fn lts_client_config_free(c: *mut lts_client_config) {
    ffi_boundary! { free_handle(c) }
}
