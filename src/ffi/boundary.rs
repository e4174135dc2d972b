//! The pieces every export shares: the panic boundary, handle tags, NULL and UTF-8 checks.

use std::ffi::{c_char, CStr};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Once;

use crate::ffi::error::lts_result;
use crate::ffi::error::{
    set_error, LTS_ERR_INTERNAL, LTS_ERR_INVALID_ARGUMENT, LTS_ERR_INVALID_STATE,
};

/// What an export returns when its body panicked.
pub trait PanicValue {
    fn panic_value() -> Self;
}

impl PanicValue for i32 {
    fn panic_value() -> Self {
        LTS_ERR_INTERNAL
    }
}
impl PanicValue for u32 {
    fn panic_value() -> Self {
        0
    }
}
impl PanicValue for i64 {
    fn panic_value() -> Self {
        0
    }
}
impl PanicValue for usize {
    fn panic_value() -> Self {
        0
    }
}
impl PanicValue for bool {
    fn panic_value() -> Self {
        false
    }
}
impl PanicValue for () {
    fn panic_value() -> Self {}
}
impl<T> PanicValue for *const T {
    fn panic_value() -> Self {
        std::ptr::null()
    }
}
impl<T> PanicValue for *mut T {
    fn panic_value() -> Self {
        std::ptr::null_mut()
    }
}

#[doc(hidden)]
pub fn on_panic<R: PanicValue>(payload: Box<dyn std::any::Any + Send>) -> R {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    set_error(
        LTS_ERR_INTERNAL,
        &format!("internal error (a bug in liblts, please report it): {what}"),
    );
    R::panic_value()
}

/// Runs an export's body; a panic becomes `LTS_ERR_INTERNAL` (or NULL/0/false) instead of
/// unwinding into C.
macro_rules! ffi_boundary {
    ($($body:tt)*) => {
        match ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(|| { $($body)* })) {
            Ok(v) => v,
            Err(payload) => $crate::ffi::boundary::on_panic(payload),
        }
    };
}

static PID: AtomicU32 = AtomicU32::new(0);
static ATFORK: Once = Once::new();

extern "C" fn after_fork_in_child() {
    PID.store(std::process::id(), Ordering::Relaxed);
}

/// This process's id, cached (and refreshed in a forked child), so checking a handle's
/// process costs no system call.
pub fn current_pid() -> u32 {
    ATFORK.call_once(|| {
        PID.store(std::process::id(), Ordering::Relaxed);
        // SAFETY: registering a plain function that only stores to an atomic.
        unsafe {
            libc::pthread_atfork(None, None, Some(after_fork_in_child));
        }
    });
    PID.load(Ordering::Relaxed)
}

/// The first field of every handle: a tag that tells a live handle of its type from
/// anything else (freed memory, another handle type), and the process that made it.
pub struct HandleHead {
    tag: u64,
    pid: u32,
}

impl HandleHead {
    pub fn new(tag: u64) -> Self {
        HandleHead {
            tag,
            pid: current_pid(),
        }
    }
}

/// Implemented by every handle type (see `impl_handle!`).
pub trait Handle: Sized {
    const TAG: u64;
    const NAME: &'static str;
    fn head(&self) -> &HandleHead;
    fn head_mut(&mut self) -> &mut HandleHead;

    /// True if the handle was made by another process (this is a forked child).
    fn made_in_another_process(&self) -> bool {
        self.head().pid != current_pid()
    }

    /// True if this memory carries `T`'s live tag.
    fn head_tag_is<T: Handle>(&self) -> bool {
        self.head().tag == T::TAG
    }

    /// Moves a new handle to the heap for C.
    fn into_raw(self) -> *mut Self {
        Box::into_raw(Box::new(self))
    }
}

/// Written over a freed handle's tag, so a second free or a use after free is usually seen.
pub(crate) const DEAD_TAG: u64 = 0xdead_dead_dead_dead;

/// Implements [`Handle`] for a struct whose first field is `head: HandleHead`.
macro_rules! impl_handle {
    ($name:ident, $tag:expr) => {
        impl $crate::ffi::boundary::Handle for $name {
            const TAG: u64 = $tag;
            const NAME: &'static str = stringify!($name);
            fn head(&self) -> &$crate::ffi::boundary::HandleHead {
                &self.head
            }
            fn head_mut(&mut self) -> &mut $crate::ffi::boundary::HandleHead {
                &mut self.head
            }
        }
    };
}

fn check<T: Handle>(h: &T, arg: &str) -> Result<(), lts_result> {
    if h.head().tag != T::TAG {
        return Err(set_error(
            LTS_ERR_INVALID_ARGUMENT,
            &format!(
                "{arg} is not a live {} (already freed, or another type)",
                T::NAME
            ),
        ));
    }
    if h.head().pid != current_pid() {
        return Err(set_error(
            LTS_ERR_INVALID_STATE,
            &format!("{arg} was created before fork(); handles cannot be used in a child process"),
        ));
    }
    Ok(())
}

fn null_arg(arg: &str) -> lts_result {
    set_error(LTS_ERR_INVALID_ARGUMENT, &format!("{arg} is NULL"))
}

/// Borrows a handle after checking NULL, tag and process.
///
/// # Safety
/// `p` is NULL or points to memory that was a `T` handle made by this library.
pub unsafe fn handle_ref<'a, T: Handle>(p: *const T, arg: &str) -> Result<&'a T, lts_result> {
    let h = p.as_ref().ok_or_else(|| null_arg(arg))?;
    check(h, arg)?;
    Ok(h)
}

/// As [`handle_ref`], naming the argument only if it is refused (the name costs a format on
/// the hot path of a send otherwise).
///
/// # Safety
/// As [`handle_ref`].
pub unsafe fn handle_ref_named<'a, T: Handle>(
    p: *const T,
    arg: impl FnOnce() -> String,
) -> Result<&'a T, lts_result> {
    match p.as_ref() {
        Some(h) if h.head().tag == T::TAG && h.head().pid == current_pid() => Ok(h),
        _ => handle_ref(p, &arg()),
    }
}

/// Borrows a handle for a value getter: `None` for NULL, a stale handle or another
/// process's, and **the last error is left alone**, so a getter given NULL cannot replace a
/// message the caller still holds.
///
/// # Safety
/// As [`handle_ref`].
pub unsafe fn handle_peek<'a, T: Handle>(p: *const T) -> Option<&'a T> {
    p.as_ref()
        .filter(|h| h.head().tag == T::TAG && h.head().pid == current_pid())
}

/// # Safety
/// As [`handle_ref`], and no other reference to the handle is in use.
pub unsafe fn handle_mut<'a, T: Handle>(p: *mut T, arg: &str) -> Result<&'a mut T, lts_result> {
    let h = p.as_mut().ok_or_else(|| null_arg(arg))?;
    check(h, arg)?;
    Ok(h)
}

/// Frees a handle: NULL does nothing; a pointer that is not a live handle of this type is
/// reported in the last error and left alone. In a forked child the memory is released but
/// nothing waits for the parent's threads (the handle's `Drop` must not block).
///
/// # Safety
/// `p` is NULL or was returned by this library as a `T` and not freed since.
pub unsafe fn free_handle<T: Handle>(p: *mut T) {
    let Some(h) = p.as_mut() else { return };
    if h.head().tag != T::TAG {
        set_error(
            LTS_ERR_INVALID_ARGUMENT,
            &format!("{} free: not a live handle (double free?)", T::NAME),
        );
        return;
    }
    h.head_mut().tag = DEAD_TAG;
    drop(Box::from_raw(p));
}

/// Borrows a NUL-terminated UTF-8 string argument.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string valid for the call.
pub unsafe fn str_arg<'a>(p: *const c_char, arg: &str) -> Result<&'a str, lts_result> {
    if p.is_null() {
        return Err(null_arg(arg));
    }
    // Names such as a project or unit are short and ASCII: one pass finds the NUL and sees
    // that every byte is ASCII (so valid UTF-8), cheaper than strlen plus a UTF-8 check.
    let bytes = p.cast::<u8>();
    let mut n = 0;
    loop {
        let b = *bytes.add(n);
        if b == 0 {
            let ascii = std::slice::from_raw_parts(bytes, n);
            return Ok(std::str::from_utf8_unchecked(ascii));
        }
        if b >= 0x80 {
            break;
        }
        n += 1;
    }
    CStr::from_ptr(p).to_str().map_err(|e| {
        set_error(
            LTS_ERR_INVALID_ARGUMENT,
            &format!("{arg} is not valid UTF-8 ({e})"),
        )
    })
}

/// Borrows a (pointer, length) byte argument; NULL is allowed only with length 0.
///
/// # Safety
/// `p` is NULL or points to `len` readable bytes for the call.
pub unsafe fn bytes_arg<'a>(p: *const u8, len: usize, arg: &str) -> Result<&'a [u8], lts_result> {
    if p.is_null() {
        if len == 0 {
            return Ok(&[]);
        }
        return Err(null_arg(arg));
    }
    Ok(std::slice::from_raw_parts(p, len))
}

/// Writes an out-parameter's NULL first, so a failed call never leaves garbage there.
///
/// # Safety
/// `out` is NULL or valid for writes.
pub unsafe fn clear_out<T>(out: *mut *mut T, arg: &str) -> Result<(), lts_result> {
    if out.is_null() {
        return Err(null_arg(arg));
    }
    *out = std::ptr::null_mut();
    Ok(())
}

/// Unwraps a `Result<T, lts_result>` inside an export, returning the code on error.
macro_rules! tri {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(code) => return code,
        }
    };
}

/// As `tri!`, in an export that returns a pointer: NULL on error (the last error is set).
macro_rules! tri_null {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(_) => return std::ptr::null_mut(),
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_arguments_ascii_fast_path_and_full_utf8_check() {
        let ok = |bytes: &[u8]| {
            let c = std::ffi::CString::new(bytes).unwrap();
            unsafe { str_arg(c.as_ptr(), "s") }.map(str::to_owned)
        };
        assert_eq!(ok(b"").unwrap(), "");
        assert_eq!(ok(b"demo-unit").unwrap(), "demo-unit");
        assert_eq!(ok("日志项目".as_bytes()).unwrap(), "日志项目");
        assert_eq!(
            ok("unit-é".as_bytes()).unwrap(),
            "unit-é",
            "non-ASCII after ASCII"
        );
        assert_eq!(ok(b"ab\xc3\x28"), Err(LTS_ERR_INVALID_ARGUMENT));
        assert_eq!(ok(b"\xff"), Err(LTS_ERR_INVALID_ARGUMENT));
        assert_eq!(
            unsafe { str_arg(std::ptr::null(), "s") },
            Err(LTS_ERR_INVALID_ARGUMENT)
        );
    }
}
