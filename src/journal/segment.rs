//! One segment file: made at its full size (so a full disk shows when it is made, never
//! later), written with `pwrite` by the journal's copier (see `ring.rs`), made durable with
//! `fdatasync`.

use std::fs::File;
use std::io;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

use crate::journal::format::{Header, END_AT};

/// The file name of segment `seq`: sorted by name is sorted by sequence.
pub fn file_name(seq: u64) -> String {
    format!("seg-{seq:016x}.ltsj")
}

/// The name of a spare segment (one whose batches are all done, kept to be written again):
/// never read by a recovery.
pub fn spare_name(n: u64) -> String {
    format!("spare-{n:016x}.ltsj")
}

/// The sequence number in a segment's file name.
pub fn seq_of(name: &str) -> Option<u64> {
    let hex = name.strip_prefix("seg-")?.strip_suffix(".ltsj")?;
    (hex.len() == 16)
        .then(|| u64::from_str_radix(hex, 16).ok())
        .flatten()
}

/// A segment file, open for writing.
pub struct Segment {
    pub seq: u64,
    pub path: PathBuf,
    file: File,
    len: usize,
}

fn open_rw(path: &Path, create: bool) -> io::Result<File> {
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(create)
        .mode(0o600)
        .custom_flags(libc::O_CLOEXEC)
        .open(path)
}

/// Makes the spare segment file `path` (never over an existing file), `len` bytes given to it
/// on disk now; a new segment is made this way and then [`Segment::reuse`]d, so a crash
/// while it is made leaves a spare (used, or removed if not whole, by the next producer),
/// never a segment without its header. On error nothing is left behind.
pub fn make_spare(path: &Path, len: usize) -> io::Result<()> {
    let file = open_rw(path, true)?;
    let made = allocate(&file, len);
    if made.is_err() {
        let _ = std::fs::remove_file(path);
    }
    made
}

impl Segment {
    /// Makes segment `header.seq` in `dir` out of the spare file `spare` (its blocks are
    /// allocated, its pages perhaps still cached): its header is written, with `end` right
    /// after it (what lies past is an earlier life's), then it is renamed.
    pub fn reuse(spare: &Path, dir: &Path, header: &Header) -> io::Result<Segment> {
        let file = open_rw(spare, false)?;
        let len = header.segment_bytes as usize;
        if file.metadata()?.len() != len as u64 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "a spare segment of another size",
            ));
        }
        file.write_all_at(&header.encode(), 0)?;
        let path = dir.join(file_name(header.seq));
        std::fs::rename(spare, &path)?;
        Ok(Segment {
            seq: header.seq,
            path,
            file,
            len,
        })
    }

    /// Opens an existing segment `path` whose header is `header` (a recovery's replay).
    pub fn open(path: &Path, header: &Header) -> io::Result<Segment> {
        Ok(Segment {
            seq: header.seq,
            path: path.to_owned(),
            file: open_rw(path, false)?,
            len: header.segment_bytes as usize,
        })
    }

    /// The segment's size (its file's, made whole).
    pub fn size(&self) -> usize {
        self.len
    }

    /// Writes `parts` one after another from `at`, as few calls as can be (`pwritev`).
    pub fn write_at(&self, at: usize, parts: &[&[u8]]) -> io::Result<()> {
        // Up to IOV_MAX (1024 on Linux) pieces a call; a short write goes on from where it
        // stopped.
        let mut off = at as u64;
        let mut rest: Vec<&[u8]> = parts.iter().copied().filter(|p| !p.is_empty()).collect();
        let mut first = 0;
        while first < rest.len() {
            let n = (rest.len() - first).min(1024);
            let iov: Vec<libc::iovec> = rest[first..first + n]
                .iter()
                .map(|p| libc::iovec {
                    iov_base: p.as_ptr() as *mut libc::c_void,
                    iov_len: p.len(),
                })
                .collect();
            // SAFETY: the iovecs point at live slices for the call; the descriptor is ours.
            let w = unsafe {
                libc::pwritev(
                    self.file.as_raw_fd(),
                    iov.as_ptr(),
                    n as libc::c_int,
                    off as libc::off_t,
                )
            };
            if w < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            let mut w = w as usize;
            off += w as u64;
            while w > 0 && first < rest.len() {
                let p = rest[first];
                if w >= p.len() {
                    w -= p.len();
                    first += 1;
                } else {
                    rest[first] = &p[w..];
                    w = 0;
                }
            }
        }
        Ok(())
    }

    /// Moves the header's `end` to `end` (after the records before it were written).
    pub fn set_end(&self, end: usize) -> io::Result<()> {
        self.file
            .write_all_at(&(end as u64).to_le_bytes(), END_AT as u64)
    }

    /// Makes what was written durable.
    pub fn sync(&self) -> io::Result<()> {
        self.file.sync_data()
    }
}

/// Gives `file` `len` bytes of disk now.
fn allocate(file: &File, len: usize) -> io::Result<()> {
    let fd = file.as_raw_fd();
    // SAFETY: plain syscalls on an open descriptor.
    let r = unsafe { libc::fallocate(fd, 0, 0, len as libc::off_t) };
    if r == 0 {
        return Ok(());
    }
    let e = io::Error::last_os_error();
    if e.raw_os_error() != Some(libc::EOPNOTSUPP) {
        return Err(e);
    }
    // A file system without fallocate: posix_fallocate writes the blocks instead.
    match unsafe { libc::posix_fallocate(fd, 0, len as libc::off_t) } {
        0 => Ok(()),
        code => Err(io::Error::from_raw_os_error(code)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::format::HEADER_LEN;

    #[test]
    fn names_sort_by_sequence_and_a_segment_is_made_whole() {
        assert_eq!(seq_of(&file_name(0xabc)), Some(0xabc));
        assert_eq!(seq_of("seg-12.ltsj"), None);
        assert_eq!(seq_of(&spare_name(1)), None);
        assert!(file_name(9) < file_name(10));
        let dir = std::env::temp_dir().join(format!("lts-seg-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let h = Header {
            seq: 3,
            run: 1,
            created_ms: 2,
            segment_bytes: 1 << 16,
        };
        let made = dir.join(spare_name(0));
        make_spare(&made, 1 << 16).unwrap();
        let s = Segment::reuse(&made, &dir, &h).unwrap();
        s.write_at(HEADER_LEN, &[b"hel", b"lo"]).unwrap();
        s.set_end(HEADER_LEN + 8).unwrap();
        s.sync().unwrap();
        let on_disk = std::fs::read(&s.path).unwrap();
        assert_eq!(on_disk.len(), 1 << 16);
        assert_eq!(Header::decode(&on_disk), Ok(h));
        assert_eq!(&on_disk[HEADER_LEN..HEADER_LEN + 5], b"hello");
        assert_eq!(
            crate::journal::format::records_end(&on_disk),
            HEADER_LEN + 8
        );
        assert!(
            make_spare(&s.path, 1 << 16).is_err(),
            "never over an existing file"
        );
        // Spare, then reused as segment 4: its header is new, its end back at the start.
        let spare = dir.join(spare_name(1));
        std::fs::rename(&s.path, &spare).unwrap();
        let h4 = Header { seq: 4, ..h };
        let r = Segment::reuse(&spare, &dir, &h4).unwrap();
        let on_disk = std::fs::read(&r.path).unwrap();
        assert_eq!(Header::decode(&on_disk), Ok(h4));
        assert_eq!(crate::journal::format::records_end(&on_disk), HEADER_LEN);
        assert!(!spare.exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
