//! Small helpers shared by the request path: ids and clocks.

use std::time::{SystemTime, UNIX_EPOCH};

use rand::RngCore;

/// A random UUID v4 in its canonical lower-case text form.
///
/// From the operating system's generator on every call, not a per-thread generator: a
/// forked child inherits a thread's generator state and would repeat the parent's next ids,
/// and lts-local (like any server that deduplicates by batch id) answers a repeated id with
/// success without storing it — a silent loss. One `getrandom` per batch or request is
/// nothing beside the request itself.
pub fn uuid_v4() -> String {
    let mut b = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Nanoseconds since the Unix epoch (the seed SDK's `get_current_timestamp`).
pub fn now_ns() -> i64 {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    now_ns() / 1_000_000
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_forked_child_never_repeats_the_parents_next_id() {
        let mut fds = [0i32; 2];
        // SAFETY: a pipe, a fork whose child only computes an id, writes it and exits.
        unsafe {
            assert_eq!(libc::pipe(fds.as_mut_ptr()), 0);
            let _warm = super::uuid_v4();
            let pid = libc::fork();
            assert!(pid >= 0);
            if pid == 0 {
                let id = super::uuid_v4();
                libc::write(fds[1], id.as_ptr().cast(), id.len());
                libc::_exit(0);
            }
            let mine = super::uuid_v4();
            let mut buf = [0u8; 36];
            let mut got = 0;
            while got < 36 {
                let n = libc::read(fds[0], buf[got..].as_mut_ptr().cast(), 36 - got);
                assert!(n > 0, "the child wrote its id");
                got += n as usize;
            }
            libc::waitpid(pid, std::ptr::null_mut(), 0);
            libc::close(fds[0]);
            libc::close(fds[1]);
            assert_ne!(std::str::from_utf8(&buf).unwrap(), mine);
        }
    }

    #[test]
    fn uuid_has_version_and_variant() {
        let u = super::uuid_v4();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"));
        assert_ne!(u, super::uuid_v4());
    }
}
