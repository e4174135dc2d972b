//! One segment file, made at its full size and mapped into memory for writing: what a send
//! copies into the mapping is in the kernel's page cache the moment the copy is done, so it
//! outlives a `kill -9` of the process.
//!
//! The file's blocks are allocated when it is made (`fallocate`), so a full disk is an error
//! there, never a SIGBUS when a mapped page is first written. The mapping is not inherited
//! by a forked child (`MADV_DONTFORK`): a child never writes its parent's journal.

use std::fs::File;
use std::io;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

use crate::journal::format::{Header, HEADER_LEN};

/// The file name of segment `seq`: sorted by name is sorted by sequence.
pub fn file_name(seq: u64) -> String {
    format!("seg-{seq:016x}.ltsj")
}

/// The sequence number in a segment's file name.
pub fn seq_of(name: &str) -> Option<u64> {
    let hex = name.strip_prefix("seg-")?.strip_suffix(".ltsj")?;
    (hex.len() == 16)
        .then(|| u64::from_str_radix(hex, 16).ok())
        .flatten()
}

/// A segment being written: its file and its mapping (unmapped when dropped).
pub struct Segment {
    pub seq: u64,
    pub path: PathBuf,
    /// Held open as long as the mapping (what msync writes back goes to it).
    _file: File,
    map: *mut u8,
    len: usize,
}

// SAFETY: the mapping is plain memory owned by this value; writers are serialized by the
// journal's lock, and msync (the only other use) reads no Rust references.
unsafe impl Send for Segment {}
unsafe impl Sync for Segment {}

impl Segment {
    /// Makes segment `header.seq` in `dir`: created (never over an existing file), given its
    /// full size on disk, its header written, then mapped. On error nothing is left behind.
    pub fn create(dir: &Path, header: &Header) -> io::Result<Segment> {
        let path = dir.join(file_name(header.seq));
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_CLOEXEC)
            .open(&path)?;
        let made = (|| {
            let len = header.segment_bytes as usize;
            allocate(&file, len)?;
            file.write_all_at(&header.encode(), 0)?;
            map(&file, len)
        })();
        match made {
            Ok(map) => Ok(Segment {
                seq: header.seq,
                path,
                _file: file,
                map,
                len: header.segment_bytes as usize,
            }),
            Err(e) => {
                let _ = std::fs::remove_file(&path);
                Err(e)
            }
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// Copies `bytes` into the segment at `at` (which the caller owns: writers are
    /// serialized by the journal's lock).
    pub fn write(&self, at: usize, bytes: &[u8]) {
        assert!(
            at >= HEADER_LEN && at + bytes.len() <= self.len,
            "a write past the segment"
        );
        // SAFETY: in bounds (checked above) of a mapping that lives as long as self.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), self.map.add(at), bytes.len()) }
    }

    /// The bytes at `at..at + n` (to compute a record's CRC where it was written).
    pub fn read(&self, at: usize, n: usize) -> &[u8] {
        assert!(at + n <= self.len, "a read past the segment");
        // SAFETY: in bounds of a mapping that lives as long as self.
        unsafe { std::slice::from_raw_parts(self.map.add(at), n) }
    }

    /// Makes the first `upto` bytes durable (written back and the disk told to keep them).
    pub fn sync(&self, upto: usize) -> io::Result<()> {
        let n = upto.min(self.len);
        if n == 0 {
            return Ok(());
        }
        // SAFETY: the range lies in the mapping; msync only writes pages back.
        if unsafe { libc::msync(self.map.cast(), n, libc::MS_SYNC) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}

impl Drop for Segment {
    fn drop(&mut self) {
        // SAFETY: the mapping made in create, unmapped once.
        unsafe { libc::munmap(self.map.cast(), self.len) };
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

fn map(file: &File, len: usize) -> io::Result<*mut u8> {
    // SAFETY: a shared mapping of a file we hold open, checked for failure.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED,
            file.as_raw_fd(),
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the mapping just made; a failure only means a child would inherit it, and a
    // child never uses its parent's producer (its handles refuse it).
    unsafe { libc::madvise(p, len, libc::MADV_DONTFORK) };
    Ok(p.cast())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sort_by_sequence_and_a_segment_is_made_whole() {
        assert_eq!(seq_of(&file_name(0xabc)), Some(0xabc));
        assert_eq!(seq_of("seg-12.ltsj"), None);
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
        let s = Segment::create(&dir, &h).unwrap();
        s.write(HEADER_LEN, b"hello");
        s.sync(HEADER_LEN + 5).unwrap();
        let on_disk = std::fs::read(&s.path).unwrap();
        assert_eq!(on_disk.len(), 1 << 16);
        assert_eq!(Header::decode(&on_disk), Ok(h));
        assert_eq!(&on_disk[HEADER_LEN..HEADER_LEN + 5], b"hello");
        assert!(
            Segment::create(&dir, &h).is_err(),
            "never over an existing segment"
        );
        drop(s);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
