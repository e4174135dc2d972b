//! One producer per journal directory: a POSIX record lock (`fcntl`) on `<dir>/lock`, which
//! the kernel drops when the process dies (so a crashed owner never blocks the next one),
//! and the owner's pid written in the file, to name it when another producer is refused.
//!
//! A record lock, not `flock`: a forked child does not inherit it (an `flock` lives in the
//! open file, which the child shares, and would keep the directory locked for as long as the
//! child lives, after its parent is gone). Record locks are per process, so a second
//! producer of the same process is refused by a table of the directories this process holds.
//! The price of a record lock: the kernel drops it when the process closes *any* descriptor
//! of the file, so nothing in the process may open `<dir>/lock` but this module (the table
//! keeps a second producer from even opening it; the documentation tells users).

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, Read, Seek, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::error::{Error, ErrorKind, Result};

/// The directories this process's producers hold.
static HELD: Mutex<Option<HashSet<PathBuf>>> = Mutex::new(None);

pub struct DirLock {
    _file: File,
    dir: PathBuf,
}

fn in_use(dir: &Path, who: String) -> Error {
    Error::new(
        ErrorKind::InvalidState,
        format!(
            "journal_dir {} is in use by {who}: one producer per journal directory",
            dir.display()
        ),
    )
}

impl DirLock {
    /// Takes the lock of `dir` (which exists), or says who holds it.
    pub fn take(dir: &Path) -> Result<DirLock> {
        let io_err = |e: io::Error| {
            Error::invalid_argument(format!(
                "journal_dir {}: cannot open its lock file: {e}",
                dir.display()
            ))
        };
        let key = dir.canonicalize().map_err(io_err)?;
        let mut held = HELD.lock().unwrap_or_else(|p| p.into_inner());
        let held = held.get_or_insert_with(HashSet::new);
        if held.contains(&key) {
            return Err(in_use(
                dir,
                format!("another producer of this process ({})", std::process::id()),
            ));
        }
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(libc::O_CLOEXEC)
            .open(dir.join("lock"))
            .map_err(io_err)?;
        // SAFETY: a zeroed flock struct is valid; fcntl on a descriptor we own.
        let mut fl: libc::flock = unsafe { std::mem::zeroed() };
        fl.l_type = libc::F_WRLCK as libc::c_short;
        fl.l_whence = libc::SEEK_SET as libc::c_short;
        if unsafe { libc::fcntl(file.as_raw_fd(), libc::F_SETLK, &fl) } != 0 {
            let e = io::Error::last_os_error();
            if !matches!(e.raw_os_error(), Some(libc::EAGAIN) | Some(libc::EACCES)) {
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
            return Err(in_use(dir, who));
        }
        let pid = std::process::id().to_string();
        let written = file
            .set_len(0)
            .and_then(|_| file.rewind())
            .and_then(|_| file.write_all(pid.as_bytes()));
        written.map_err(io_err)?;
        held.insert(key.clone());
        Ok(DirLock {
            _file: file,
            dir: key,
        })
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        if let Some(held) = HELD.lock().unwrap_or_else(|p| p.into_inner()).as_mut() {
            held.remove(&self.dir);
        }
        // Closing the file (next) drops the record lock.
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
                .contains(&format!("process ({})", std::process::id())),
            "{}",
            e.message
        );
        drop(held);
        drop(DirLock::take(&dir).unwrap());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
