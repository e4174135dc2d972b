//! The log hook: `lts_set_log_callback`, `lts_set_log_level` (the mechanism is `crate::log`).

use std::ffi::{c_char, c_void, CString};
use std::sync::Arc;

/// lts_set_log_level: nothing is written. (The header's macro is written by the header
/// generator, parenthesized.)
/// cbindgen:ignore
pub const LTS_LOG_OFF: i32 = crate::log::OFF;
/// Something failed: a batch that will not be delivered, close leaving logs unsent.
pub const LTS_LOG_ERROR: i32 = 3;
/// Something is going wrong and may recover: a failed attempt that will be retried, a token
/// call failing, a send refused for a full buffer. The default level.
pub const LTS_LOG_WARN: i32 = 4;
/// Recoveries and notable events: a delivery that succeeded after retries, a token renewed
/// after the service refused it.
pub const LTS_LOG_INFO: i32 = 6;
/// Routine events, e.g. each token obtained.
pub const LTS_LOG_DEBUG: i32 = 7;

/// Receives the library's log lines.
///
/// @param user_data  what was given to lts_set_log_callback, untouched.
/// @param level      LTS_LOG_ERROR, LTS_LOG_WARN, LTS_LOG_INFO or LTS_LOG_DEBUG.
/// @param message    one line, NUL-terminated UTF-8 without a trailing newline, valid only
///                   during the call. Lines never contain a secret key, a token or a
///                   signature.
///
/// Thread: a producer's lines run where its callbacks run (its callback thread, or inside
/// lts_producer_poll and lts_producer_close in poll mode), in order with them, and never
/// after its close returned; a client's on the thread calling it. So the hook may run on several threads at once (one per producer
/// and calling thread) and must be thread-safe. It MUST return quickly and MUST NOT unwind;
/// lines it causes itself (through library calls) are dropped. Calling lts_set_log_callback
/// from inside it is ignored.
pub type lts_log_callback =
    Option<unsafe extern "C" fn(user_data: *mut c_void, level: i32, message: *const c_char)>;

/// The user data given with a hook: the library only passes it back.
struct UserData(*mut c_void);
// SAFETY: the pointer is never dereferenced here; the header makes the hook thread-safe.
unsafe impl Send for UserData {}
unsafe impl Sync for UserData {}

impl UserData {
    /// Through a method, so closures capture the wrapper (which is Send), not the pointer.
    fn get(&self) -> *mut c_void {
        self.0
    }
}

/// Sends the library's log lines to `cb` (NULL: back to the default, stderr). Lines above
/// the level (lts_set_log_level, default LTS_LOG_WARN) are dropped before they reach it.
///
/// When this returns, the previous hook is not running on any thread and will not be
/// called again, so its user_data may be released. Process-wide; thread-safe; may be called
/// before or after producers and clients exist.
#[no_mangle]
pub unsafe extern "C" fn lts_set_log_callback(cb: lts_log_callback, user_data: *mut c_void) {
    ffi_boundary! {
        let hook: Option<crate::log::Hook> = cb.map(|f| {
            let data = UserData(user_data);
            let hook: crate::log::Hook = Arc::new(move |level: crate::log::Level, line: &str| {
                let text = CString::new(line.replace('\0', " ")).unwrap_or_default();
                // SAFETY: the header's contract for the hook and its user_data.
                unsafe { f(data.get(), level as i32, text.as_ptr()) }
            });
            hook
        });
        crate::log::set_hook(hook)
    }
}

/// Drops lines above `level`: LTS_LOG_ERROR writes only errors, LTS_LOG_DEBUG everything,
/// LTS_LOG_OFF (or any value below LTS_LOG_ERROR) nothing at all, to the hook or stderr.
/// The default is LTS_LOG_WARN. Process-wide; thread-safe; takes effect for lines not yet
/// written, queued ones included.
#[no_mangle]
pub extern "C" fn lts_set_log_level(level: i32) {
    ffi_boundary! { crate::log::set_level(level) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::Level;

    #[test]
    fn the_c_levels_are_the_cores() {
        assert_eq!(LTS_LOG_ERROR, Level::Error as i32);
        assert_eq!(LTS_LOG_WARN, Level::Warn as i32);
        assert_eq!(LTS_LOG_INFO, Level::Info as i32);
        assert_eq!(LTS_LOG_DEBUG, Level::Debug as i32);
        let header = include_str!("../../include/lts.h");
        assert!(header.contains(&format!("#define LTS_LOG_OFF ({LTS_LOG_OFF})")));
    }
}
