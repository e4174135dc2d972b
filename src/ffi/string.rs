//! Strings the library hands over to the caller (`char *` results) and their free.

use std::ffi::{c_char, CString};

/// Moves `s` to C. A NUL inside (never produced by the library's own text) becomes a space
/// rather than cutting the string short.
pub(crate) fn owned_string(s: String) -> *mut c_char {
    let bytes: Vec<u8> = s
        .into_bytes()
        .into_iter()
        .map(|b| if b == 0 { b' ' } else { b })
        .collect();
    CString::new(bytes).map_or(std::ptr::null_mut(), CString::into_raw)
}

/// Frees a string returned by the library (lts_client_config_get, lts_producer_config_get,
/// lts_producer_stats_json). NULL does nothing. Only for strings the library returned as
/// `char *` with this instruction, each once; never for `const char *` results.
#[no_mangle]
pub unsafe extern "C" fn lts_string_free(s: *mut c_char) {
    ffi_boundary! {
        if !s.is_null() {
            // SAFETY: the contract above: `s` came from `owned_string` and is freed once.
            drop(CString::from_raw(s));
        }
    }
}
