//! The ring: where a send's journal records land before `send` returns. A file in the
//! journal directory, mapped into memory and written over and over in place, so a send's
//! copy costs a `memcpy` into pages the kernel already holds (writing fresh file pages, or
//! pages a sync has just cleaned, costs the kernel several microseconds a page). What is in
//! the mapping is in the page cache, which outlives the process: a `kill -9` loses none of
//! it. A copier (see [`Copier`]) moves the records into their segments with `pwrite`, where
//! `fdatasync` makes them durable; the ring itself is never synced.
//!
//! ```text
//! header (64 bytes): magic "LTSRING\0" | version u32 | reserved u32 | run u64 | area u64
//!                    | crc32c u32 (of the above) | reserved [20] | copied u64
//! entry (8-aligned): lsn u64 | seq u64 | off u32 | span u32 | crc32c u32 | kind u32
//!                    | the segment record (`span` bytes, as `format` frames it)
//! ```
//!
//! An entry says which segment (`seq`) and where in it (`off`) its record goes; `lsn` is its
//! position in the run's stream of entries (the ring offset is `lsn % area`); its CRC covers
//! the run, its fields and its record's CRC, so an entry of another run, or a torn one, is
//! known. An entry that would run past the ring's end is preceded by a wrap (`kind` 1), and
//! starts the next lap. `copied` is how far the copier got.
//!
//! After a crash, [`replay`] copies the entries from `copied` on into their segments (again,
//! for those already copied: the same bytes to the same place) before anything else reads
//! the segments.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::journal::format::{record_crc, u32_at, u64_at, RECORD_HEAD};
use crate::journal::segment::{self, Segment};

const MAGIC: &[u8; 8] = b"LTSRING\0";
const VERSION: u32 = 1;
/// The header's size, and where the ring's area starts.
pub const RING_HEAD: usize = 4096;
const CRC_AT: usize = 32;
const COPIED_AT: usize = 56;
pub const ENTRY_HEAD: usize = 32;
const WRAP: u32 = 1;

/// The ring file's name in the journal directory.
pub const FILE_NAME: &str = "ring.ltsr";

fn entry_crc(run: u64, lsn: u64, seq: u64, off: u32, span: u32, kind: u32, rec_crc: u32) -> u32 {
    let mut b = [0u8; 40];
    b[..8].copy_from_slice(&run.to_le_bytes());
    b[8..16].copy_from_slice(&lsn.to_le_bytes());
    b[16..24].copy_from_slice(&seq.to_le_bytes());
    b[24..28].copy_from_slice(&off.to_le_bytes());
    b[28..32].copy_from_slice(&span.to_le_bytes());
    b[32..36].copy_from_slice(&kind.to_le_bytes());
    b[36..40].copy_from_slice(&rec_crc.to_le_bytes());
    crc32c::crc32c(&b)
}

/// The mapped ring. The writer (under the producer's intake lock) writes past `write`; the
/// copier reads `copied..written`; the writer never writes where the copier has yet to read
/// (it checks `copied` first, and makes the copier catch up when the ring is full).
pub struct Ring {
    _file: File,
    map: *mut u8,
    /// The process that mapped it: a forked child does not have the mapping (see `create`).
    pid: u32,
    area: usize,
    run: u64,
    /// The next entry's lsn (the writer's; read by the copier through `written`).
    write: AtomicU64,
    /// Entries below this are whole (published with Release after they are written).
    written: AtomicU64,
    /// Entries below this are in their segments.
    copied: AtomicU64,
}

// SAFETY: the mapping is plain memory; the writer and the copier use disjoint parts of it
// (see the type's doc), ordered by the `written` and `copied` atomics.
unsafe impl Send for Ring {}
unsafe impl Sync for Ring {}

impl Drop for Ring {
    fn drop(&mut self) {
        // In a forked child (freeing a producer it inherited) the range is not mapped, and
        // may hold the child's own memory since.
        if std::process::id() != self.pid {
            return;
        }
        // SAFETY: the mapping made in open, unmapped once.
        unsafe { libc::munmap(self.map.cast(), RING_HEAD + self.area) };
    }
}

/// Where a record goes, from [`Ring::reserve`].
pub struct Slot {
    at: usize,
    lsn: u64,
    span: usize,
}

impl Ring {
    /// Opens (making it, or remaking it at this size) the ring of `dir` for a new run, with
    /// `area` bytes for entries. What an earlier run left in it must have been replayed.
    pub fn create(dir: &Path, area: usize, run: u64) -> io::Result<Ring> {
        let path = dir.join(FILE_NAME);
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(libc::O_CLOEXEC)
            .open(&path)?;
        let len = RING_HEAD + area;
        if file.metadata()?.len() != len as u64 {
            file.set_len(0)?;
            // SAFETY: a plain syscall on an open descriptor.
            let r = unsafe { libc::fallocate(file.as_raw_fd(), 0, 0, len as libc::off_t) };
            if r != 0 {
                let e = io::Error::last_os_error();
                if e.raw_os_error() != Some(libc::EOPNOTSUPP) {
                    return Err(e);
                }
                file.set_len(len as u64)?;
            }
        }
        let mut h = [0u8; 64];
        h[..8].copy_from_slice(MAGIC);
        h[8..12].copy_from_slice(&VERSION.to_le_bytes());
        h[16..24].copy_from_slice(&run.to_le_bytes());
        h[24..32].copy_from_slice(&(area as u64).to_le_bytes());
        let crc = crc32c::crc32c(&h[..CRC_AT]);
        h[CRC_AT..CRC_AT + 4].copy_from_slice(&crc.to_le_bytes());
        file.write_all_at(&h, 0)?;
        // SAFETY: a shared mapping of the file we hold open, checked for failure.
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
        // SAFETY: the mapping just made. A forked child does not inherit it: it never
        // writes its parent's journal.
        unsafe { libc::madvise(p, len, libc::MADV_DONTFORK) };
        Ok(Ring {
            _file: file,
            map: p.cast(),
            pid: std::process::id(),
            area,
            run,
            write: AtomicU64::new(0),
            written: AtomicU64::new(0),
            copied: AtomicU64::new(0),
        })
    }

    fn offset(&self, lsn: u64) -> usize {
        RING_HEAD + (lsn % self.area as u64) as usize
    }

    /// Room for an entry of a `span`-byte record, or None if the copier must catch up
    /// first. A wrap is written here when the entry would run past the ring's end.
    pub fn reserve(&self, span: usize) -> Option<Slot> {
        let need = ENTRY_HEAD + span;
        let mut lsn = self.write.load(Ordering::Relaxed);
        let left = self.area - (lsn % self.area as u64) as usize;
        let waste = if left < need { left } else { 0 };
        let copied = self.copied.load(Ordering::Acquire);
        if lsn + (waste + need) as u64 - copied > self.area as u64 {
            return None;
        }
        if waste > 0 {
            if left >= ENTRY_HEAD {
                self.put_head(lsn, 0, 0, 0, WRAP, 0);
            }
            lsn += left as u64;
            self.write.store(lsn, Ordering::Relaxed);
            self.written.store(lsn, Ordering::Release);
        }
        Some(Slot {
            at: self.offset(lsn),
            lsn,
            span,
        })
    }

    fn put_head(&self, lsn: u64, seq: u64, off: u32, span: u32, kind: u32, rec_crc: u32) {
        let mut h = [0u8; ENTRY_HEAD];
        h[..8].copy_from_slice(&lsn.to_le_bytes());
        h[8..16].copy_from_slice(&seq.to_le_bytes());
        h[16..20].copy_from_slice(&off.to_le_bytes());
        h[20..24].copy_from_slice(&span.to_le_bytes());
        let crc = entry_crc(self.run, lsn, seq, off, span, kind, rec_crc);
        h[24..28].copy_from_slice(&crc.to_le_bytes());
        h[28..32].copy_from_slice(&kind.to_le_bytes());
        self.put(self.offset(lsn), &h);
    }

    /// Copies `bytes` to ring offset `at` (inside the slot the writer reserved).
    #[inline]
    pub fn put(&self, at: usize, bytes: &[u8]) {
        debug_assert!(at + bytes.len() <= RING_HEAD + self.area);
        // SAFETY: within the mapping, in a part the copier is not reading (see `reserve`).
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), self.map.add(at), bytes.len()) }
    }

    /// The bytes the writer just put at `at` (to compute its record's CRC where it lies).
    pub fn read_back(&self, at: usize, n: usize) -> &[u8] {
        self.read(at, n)
    }

    fn read(&self, at: usize, n: usize) -> &[u8] {
        // SAFETY: within the mapping, in a part the writer published and does not touch
        // until the copier has passed it.
        unsafe { std::slice::from_raw_parts(self.map.add(at), n) }
    }

    /// Where `slot`'s record starts in the ring (the writer fills it, head included).
    pub fn record_at(&self, slot: &Slot) -> usize {
        slot.at + ENTRY_HEAD
    }

    /// Publishes `slot`'s entry once its record is written (`rec_crc` its record's CRC).
    pub fn commit(&self, slot: Slot, seq: u64, off: usize, rec_crc: u32) {
        self.put_head(slot.lsn, seq, off as u32, slot.span as u32, 0, rec_crc);
        let next = slot.lsn + (ENTRY_HEAD + slot.span) as u64;
        self.write.store(next, Ordering::Relaxed);
        self.written.store(next, Ordering::Release);
    }

    /// Bytes written and not yet copied.
    pub fn pending(&self) -> usize {
        (self.written.load(Ordering::Acquire) - self.copied.load(Ordering::Acquire)) as usize
    }

    pub fn area(&self) -> usize {
        self.area
    }

    fn set_copied(&self, lsn: u64) {
        self.copied.store(lsn, Ordering::Release);
        // SAFETY: an aligned word of the header, which only the copier writes after create.
        unsafe {
            std::ptr::write_volatile(self.map.add(COPIED_AT).cast::<u64>(), lsn.to_le());
        }
    }
}

/// Moves records from the ring into their segments, and makes the segments durable. Shared
/// by the journal's thread and the writer (which makes it catch up when the ring is full,
/// and before a segment is let go of), under a mutex.
pub struct Copier {
    ring: Arc<Ring>,
    /// The segments entries may name (added when made, removed once nothing is pending).
    segs: HashMap<u64, Arc<Segment>>,
    /// Segments written since the last sync.
    unsynced: BTreeMap<u64, Arc<Segment>>,
}

impl Copier {
    pub fn new(ring: Arc<Ring>) -> Self {
        Copier {
            ring,
            segs: HashMap::new(),
            unsynced: BTreeMap::new(),
        }
    }

    pub fn add(&mut self, seg: Arc<Segment>) {
        self.segs.insert(seg.seq, seg);
    }

    /// Forgets a segment (after [`Copier::copy`], so nothing pending names it).
    pub fn remove(&mut self, seq: u64) -> Option<Arc<Segment>> {
        self.unsynced.remove(&seq);
        self.segs.remove(&seq)
    }

    /// Copies every published entry into its segment; returns the first error.
    pub fn copy(&mut self) -> io::Result<()> {
        let ring = self.ring.clone();
        let end = ring.written.load(Ordering::Acquire);
        let mut lsn = ring.copied.load(Ordering::Acquire);
        let mut first_err = None;
        // Consecutive records of one segment are written with one call.
        let mut run: Option<(u64, usize, Vec<&[u8]>, usize)> = None;
        let flush = |run: &mut Option<(u64, usize, Vec<&[u8]>, usize)>,
                     segs: &HashMap<u64, Arc<Segment>>,
                     unsynced: &mut BTreeMap<u64, Arc<Segment>>|
         -> io::Result<()> {
            if let Some((seq, off, parts, len)) = run.take() {
                if let Some(seg) = segs.get(&seq) {
                    seg.write_at(off, &parts)?;
                    seg.set_end(off + len)?;
                    unsynced.insert(seq, seg.clone());
                }
            }
            Ok(())
        };
        while lsn < end {
            let at = ring.offset(lsn);
            let left = ring.area - (lsn % ring.area as u64) as usize;
            let h = ring.read(at, ENTRY_HEAD.min(left));
            if left < ENTRY_HEAD || u32_at(h, 28) == WRAP {
                lsn += left as u64;
                continue;
            }
            let (seq, off, span) = (u64_at(h, 8), u32_at(h, 16) as usize, u32_at(h, 20) as usize);
            let rec = ring.read(at + ENTRY_HEAD, span);
            match &mut run {
                Some((s, o, parts, len)) if *s == seq && *o + *len == off => {
                    parts.push(rec);
                    *len += span;
                }
                _ => {
                    if let Err(e) = flush(&mut run, &self.segs, &mut self.unsynced) {
                        first_err.get_or_insert(e);
                    }
                    run = Some((seq, off, vec![rec], span));
                }
            }
            lsn += (ENTRY_HEAD + span) as u64;
        }
        if let Err(e) = flush(&mut run, &self.segs, &mut self.unsynced) {
            first_err.get_or_insert(e);
        }
        ring.set_copied(lsn);
        match first_err {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Copies, then makes every segment written since the last sync durable.
    pub fn sync(&mut self, dir: &Path) -> io::Result<()> {
        let copied = self.copy();
        let mut result = copied;
        for seg in std::mem::take(&mut self.unsynced).into_values() {
            if let Err(e) = seg.sync() {
                if result.is_ok() {
                    result = Err(e);
                }
            }
        }
        // New segments' directory entries, so they survive a power loss too.
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        result
    }
}

/// After a crash: copies into their segments the entries the earlier run's copier had not
/// (and may have), from the ring in `dir`. Returns how many entries it copied, and how many
/// it found damaged (a torn last one is not damage: its send never returned).
pub fn replay(dir: &Path) -> (u64, u64) {
    let path = dir.join(FILE_NAME);
    let Ok(bytes) = crate::bounded_file::read(&path, (RING_HEAD + (1 << 30)) as u64) else {
        return (0, 0);
    };
    if bytes.len() < RING_HEAD || &bytes[..8] != MAGIC {
        return (0, 0);
    }
    if u32_at(&bytes, CRC_AT) != crc32c::crc32c(&bytes[..CRC_AT]) || u32_at(&bytes, 8) != VERSION {
        return (0, 1);
    }
    let run = u64_at(&bytes, 16);
    let area = u64_at(&bytes, 24) as usize;
    if area == 0 || RING_HEAD + area != bytes.len() {
        return (0, 1);
    }
    let mut lsn = u64_at(&bytes, COPIED_AT);
    // Each segment an entry names, if it exists (one let go of since had nothing pending),
    // with its `end`, which only moves forward (entries before `copied` may be copied again).
    let mut files: HashMap<u64, Option<(Segment, usize)>> = HashMap::new();
    let (mut copied, mut damaged) = (0u64, 0u64);
    // One lap at most: an entry is never overwritten before it was copied.
    let stop = lsn + area as u64;
    while lsn < stop {
        let at = RING_HEAD + (lsn % area as u64) as usize;
        let left = area - (lsn % area as u64) as usize;
        if left < ENTRY_HEAD {
            lsn += left as u64;
            continue;
        }
        let h = &bytes[at..at + ENTRY_HEAD];
        let (e_lsn, seq, off, span, crc, kind) = (
            u64_at(h, 0),
            u64_at(h, 8),
            u32_at(h, 16),
            u32_at(h, 20),
            u32_at(h, 24),
            u32_at(h, 28),
        );
        if e_lsn != lsn {
            break; // an earlier lap's, or nothing: the end of what was written
        }
        if kind == WRAP {
            if crc != entry_crc(run, lsn, 0, 0, 0, WRAP, 0) {
                break;
            }
            lsn += left as u64;
            continue;
        }
        let span = span as usize;
        if span < RECORD_HEAD || ENTRY_HEAD + span > left {
            damaged += 1;
            break;
        }
        let rec = &bytes[at + ENTRY_HEAD..at + ENTRY_HEAD + span];
        let rec_crc = u32_at(rec, 4);
        let len = u32_at(rec, 0) as usize;
        let whole = crc == entry_crc(run, lsn, seq, off, span as u32, 0, rec_crc)
            && RECORD_HEAD + len <= span
            && record_crc(rec[8], &rec[RECORD_HEAD..RECORD_HEAD + len]) == rec_crc;
        if !whole {
            // A torn entry ends the stream (its send never returned).
            break;
        }
        let seg = files.entry(seq).or_insert_with(|| {
            let p: PathBuf = dir.join(segment::file_name(seq));
            open_existing(&p, seq)
        });
        if let Some((seg, end)) = seg {
            let off = off as usize;
            let wrote = off + span <= seg.size()
                && seg.write_at(off, &[rec]).is_ok()
                && (off + span <= *end || seg.set_end(off + span).is_ok());
            if wrote {
                *end = (*end).max(off + span);
                copied += 1;
            } else {
                damaged += 1;
            }
        }
        lsn += (ENTRY_HEAD + span) as u64;
    }
    for (seg, _) in files.values().flatten() {
        let _ = seg.sync();
    }
    (copied, damaged)
}

/// A segment file an entry names, if it exists, and where its records end.
fn open_existing(path: &Path, seq: u64) -> Option<(Segment, usize)> {
    use crate::journal::format::{Header, END_AT, HEADER_LEN};
    let file = std::fs::File::open(path).ok()?;
    let mut head = [0u8; HEADER_LEN];
    file.read_exact_at(&mut head, 0).ok()?;
    let header = Header::decode(&head).ok()?;
    (header.seq == seq).then_some(())?;
    let end = u64_at(&head, END_AT) as usize;
    Some((Segment::open(path, &header).ok()?, end))
}
