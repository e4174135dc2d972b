//! Version, ABI version and the clock.

use std::ffi::c_char;

/// The ABI version. Wrappers that load the library at run time compare it with the one
/// they were written for. It changes whenever an existing signature or struct changes.
pub const LTS_ABI_VERSION: u32 = 0;

/// The library's version, e.g. "0.1.0".
///
/// @returns a static NUL-terminated string; never free it. Thread-safe.
#[no_mangle]
pub extern "C" fn lts_version() -> *const c_char {
    ffi_boundary! {
        concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
    }
}

/// The library's ABI version (`LTS_ABI_VERSION` of the header it was built with).
/// Thread-safe.
#[no_mangle]
pub extern "C" fn lts_abi_version() -> u32 {
    ffi_boundary! { LTS_ABI_VERSION }
}

/// The current time in nanoseconds since the Unix epoch, for log timestamps (the seed SDK's
/// `get_current_timestamp`). Thread-safe.
#[no_mangle]
pub extern "C" fn lts_now_ns() -> i64 {
    ffi_boundary! { crate::util::now_ns() }
}
