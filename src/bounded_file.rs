//! Reading a whole file the library was pointed at (a CA bundle, a spilled batch) with a
//! bound on its size, so that `/dev/zero`, a pipe or a file that is not what it should be
//! cannot make the process read until memory runs out or wait forever.

use std::fmt;
use std::io::Read;
use std::path::Path;

/// Why a file was not read.
#[derive(Debug)]
pub enum Refused {
    /// Opening, inspecting or reading it failed.
    Io(std::io::Error),
    /// It is a directory, a device, a pipe or a socket (named here).
    NotAFile(&'static str),
    /// It holds more than the bound: `size` bytes, or at least that many for a file that
    /// grew while it was read.
    TooLarge { size: u64, limit: u64 },
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refused::Io(e) => write!(f, "{e}"),
            Refused::NotAFile(what) => write!(f, "it is {what}, not a regular file"),
            Refused::TooLarge { size, limit } => write!(
                f,
                "it is {size} bytes, over the limit of {limit} bytes ({})",
                in_units(*limit)
            ),
        }
    }
}

/// A size as people write it: "16 MiB", "5184 KiB", "100 bytes".
pub fn in_units(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * KIB;
    if bytes >= MIB && bytes % MIB == 0 {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= KIB && bytes % KIB == 0 {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

/// What kind of non-regular file `t` is, in words.
#[cfg(unix)]
fn kind_of(t: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_dir() {
        "a directory"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_fifo() {
        "a pipe (FIFO)"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

#[cfg(not(unix))]
fn kind_of(t: std::fs::FileType) -> &'static str {
    if t.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

/// The whole of the regular file at `path`, if it holds at most `limit` bytes. Anything but
/// a regular file is refused before a byte is read: a device or pipe has no size to check
/// and may never end. The read itself stops one byte past `limit`, for a file that grows
/// between the check and the read.
pub fn read(path: &Path, limit: u64) -> Result<Vec<u8>, Refused> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        // Opening a FIFO for reading would wait for a writer; with O_NONBLOCK it returns at
        // once and the type check below refuses it. Regular files ignore the flag.
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(Refused::Io)?;
    let meta = file.metadata().map_err(Refused::Io)?;
    if !meta.is_file() {
        return Err(Refused::NotAFile(kind_of(meta.file_type())));
    }
    if meta.len() > limit {
        return Err(Refused::TooLarge {
            size: meta.len(),
            limit,
        });
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(Refused::Io)?;
    if bytes.len() as u64 > limit {
        return Err(Refused::TooLarge {
            size: bytes.len() as u64,
            limit,
        });
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("lts-bounded-file-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_file_within_the_limit_is_read_whole() {
        let dir = temp_dir("ok");
        let f = dir.join("f");
        std::fs::write(&f, b"0123456789").unwrap();
        assert_eq!(read(&f, 10).unwrap(), b"0123456789");
        let e = read(&f, 9).unwrap_err();
        assert!(
            matches!(e, Refused::TooLarge { size: 10, limit: 9 }),
            "{e:?}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn devices_directories_and_pipes_are_refused_unread() {
        let e = read(Path::new("/dev/zero"), 1 << 20).unwrap_err();
        assert_eq!(
            e.to_string(),
            "it is a character device, not a regular file"
        );
        let dir = temp_dir("kinds");
        let e = read(&dir, 1 << 20).unwrap_err();
        assert_eq!(e.to_string(), "it is a directory, not a regular file");
        // A FIFO with no writer: a blocking open would never return.
        let fifo = dir.join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let e = read(&fifo, 1 << 20).unwrap_err();
        assert_eq!(e.to_string(), "it is a pipe (FIFO), not a regular file");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_sparse_file_past_the_limit_is_refused_by_its_size() {
        let dir = temp_dir("sparse");
        let f = dir.join("big");
        // 1 TiB that occupies no disk: only the size check can refuse it this fast.
        std::fs::File::create(&f).unwrap().set_len(1 << 40).unwrap();
        let e = read(&f, 16 << 20).unwrap_err();
        assert_eq!(
            e.to_string(),
            "it is 1099511627776 bytes, over the limit of 16777216 bytes (16 MiB)"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn sizes_read_in_units() {
        assert_eq!(in_units(16 << 20), "16 MiB");
        assert_eq!(in_units(5 * 1024 * 1024 + 64 * 1024), "5184 KiB");
        assert_eq!(in_units(100), "100 bytes");
    }
}
