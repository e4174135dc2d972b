//! One producer per journal directory: an exclusive `flock` on `<dir>/lock`, which the
//! kernel drops when the process dies (so a crashed owner never blocks the next one), and
//! the owner's pid written in the file, to name it when another producer is refused.

use std::fs::File;
use std::io::{self, Read, Seek, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::io::AsRawFd;
use std::path::Path;

use crate::error::{Error, ErrorKind, Result};

pub struct DirLock {
    _file: File,
}

impl DirLock {
    /// Takes the lock of `dir` (which exists), or says who holds it.
    pub fn take(dir: &Path) -> Result<DirLock> {
        let path = dir.join("lock");
        let io_err = |e: io::Error| {
            Error::invalid_argument(format!(
                "journal_dir {}: cannot open its lock file: {e}",
                dir.display()
            ))
        };
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(libc::O_CLOEXEC)
            .open(&path)
            .map_err(io_err)?;
        // SAFETY: flock on a descriptor we own.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            let e = io::Error::last_os_error();
            if e.raw_os_error() != Some(libc::EWOULDBLOCK) {
                return Err(io_err(e));
            }
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            let who = if holder.is_empty() {
                "another producer".to_owned()
            } else {
                format!("the producer of process {holder}")
            };
            return Err(Error::new(
                ErrorKind::InvalidState,
                format!(
                    "journal_dir {} is in use by {who}: one producer per journal directory",
                    dir.display()
                ),
            ));
        }
        let pid = std::process::id().to_string();
        let written = file
            .set_len(0)
            .and_then(|_| file.rewind())
            .and_then(|_| file.write_all(pid.as_bytes()));
        written.map_err(io_err)?;
        Ok(DirLock { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_naming_the_holder() {
        let dir = std::env::temp_dir().join(format!("lts-lock-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let held = DirLock::take(&dir).unwrap();
        let e = DirLock::take(&dir).err().expect("refused");
        assert_eq!(e.kind, ErrorKind::InvalidState);
        assert!(
            e.message
                .contains(&format!("process {}", std::process::id())),
            "{}",
            e.message
        );
        drop(held);
        drop(DirLock::take(&dir).unwrap());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
