//! Reading what an earlier producer left in a journal directory, in two passes over the
//! segments, one segment in memory at a time:
//!
//! 1. [`scan`] reads every record's framing and the small records (`OPEN`, `DONE`, `RAW`'s
//!    head): which batches are not done, which segments hold them, what damage there is.
//! 2. [`rebuild`] reads the segments again in order and rebuilds each batch not done from
//!    its `LOGS` records, handing it over as soon as its last segment is read, so only the
//!    batches spanning the segment being read are in memory.
//!
//! What cannot be read is skipped and counted, never a reason to fail: a torn tail (a
//! record cut by a crash) ends its segment; a record whose CRC does not match is skipped
//! when its length can be trusted, else the rest of its segment is; a segment whose header
//! is damaged, or of another format version, is renamed `*.damaged` and left alone.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::encode::BatchBuilder;
use crate::journal::format::{self, Found, Header, Reader, HEADER_LEN};

/// A batch found not done.
#[derive(Debug, Clone)]
pub struct Pending {
    pub id: String,
    pub project: String,
    pub unit: String,
    pub created_ms: u64,
    /// Segments holding its records, in order.
    pub segs: Vec<u64>,
    /// Where its last record lies in the last of them.
    last_at: usize,
    pub log_count: usize,
    key: Key,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Key {
    /// A batch built from sends: (run, batch number).
    Built(u64, u64),
    /// A `RAW` record: (segment, offset).
    Raw(u64, usize),
}

/// What [`scan`] found.
#[derive(Debug, Default)]
pub struct Scan {
    /// Batches not done, in the order of their first record.
    pub pending: Vec<Pending>,
    /// Every readable segment: (sequence, path, batches not done with records in it).
    pub segments: Vec<(u64, PathBuf, u32)>,
    /// (older, newer): `newer` holds the `DONE` of a batch with records in `older`.
    pub pins: Vec<(u64, u64)>,
    /// Records found damaged and skipped (torn tails included).
    pub damaged: u64,
    /// Segments set aside as unreadable, and why.
    pub unreadable: Vec<(PathBuf, String)>,
    /// Batches whose `LOGS` came without their `OPEN` (lost to damage): not sendable.
    pub orphans: u64,
}

struct Seen {
    pending: Pending,
    done_in: Option<u64>,
}

impl Seen {
    fn new(pending: Pending) -> Seen {
        Seen {
            pending,
            done_in: None,
        }
    }
}

impl Pending {
    /// A batch as its first record (`OPEN`, or a whole `RAW`) says it, at `at` in segment `seq`.
    #[allow(clippy::too_many_arguments)]
    fn first(
        key: Key,
        id: &str,
        project: &str,
        unit: &str,
        created_ms: u64,
        seq: u64,
        at: usize,
        log_count: u32,
    ) -> Pending {
        Pending {
            id: id.to_owned(),
            project: project.to_owned(),
            unit: unit.to_owned(),
            created_ms,
            segs: vec![seq],
            last_at: at,
            log_count: log_count as usize,
            key,
        }
    }
}

/// Reads segment `path` (a regular file of at most the largest segment size), checks its
/// header; `Err` says why it cannot be used.
fn read_segment(path: &Path) -> Result<(Header, Vec<u8>), String> {
    let limit = crate::producer::config::MAX_JOURNAL_SEGMENT_BYTES as u64;
    let bytes = crate::bounded_file::read(path, limit).map_err(|e| e.to_string())?;
    let header = Header::decode(&bytes)?;
    Ok((header, bytes))
}

/// Calls `each(offset, kind, payload)` for every good record of a segment; returns the
/// number of damaged records skipped.
fn records(seg: &[u8], mut each: impl FnMut(usize, u8, &[u8])) -> u64 {
    let mut at = HEADER_LEN;
    let mut damaged = 0;
    let seg = &seg[..format::records_end(seg)];
    while at < seg.len() {
        match format::record_at(seg, at) {
            Found::End => break,
            Found::Record { kind, payload } => {
                each(at, kind, payload);
                at += format::record_span(payload.len());
            }
            Found::Damaged { skip } => {
                damaged += 1;
                match skip {
                    Some(next) if next > at => at = next,
                    _ => break,
                }
            }
        }
    }
    damaged
}

/// Pass 1: what the segments `segs` (by sequence) hold.
pub fn scan(segs: &[(u64, PathBuf)]) -> Scan {
    let mut out = Scan::default();
    let mut seen: HashMap<Key, Seen> = HashMap::new();
    let mut order: Vec<Key> = Vec::new();
    let mut done: HashMap<String, u64> = HashMap::new();
    let mut readable = Vec::new();
    for (seq, path) in segs {
        let (header, bytes) = match read_segment(path) {
            Ok(h) => h,
            Err(why) => {
                let aside = path.with_extension("ltsj.damaged");
                let _ = std::fs::rename(path, &aside);
                out.unreadable.push((aside, why));
                continue;
            }
        };
        let run = header.run;
        readable.push((*seq, path.clone()));
        out.damaged += records(&bytes, |at, kind, payload| {
            let mut r = Reader::new(payload);
            match kind {
                format::OPEN => {
                    let (Some(no), Some(created), Some(id), Some(project), Some(unit)) =
                        (r.u64(), r.u64(), r.str(), r.str(), r.str())
                    else {
                        return;
                    };
                    let key = Key::Built(run, no);
                    order.push(key);
                    let first = Pending::first(key, id, project, unit, created, *seq, at, 0);
                    seen.insert(key, Seen::new(first));
                }
                format::LOGS => {
                    let (Some(no), Some(count)) = (r.u64(), r.u32()) else {
                        return;
                    };
                    match seen.get_mut(&Key::Built(run, no)) {
                        Some(s) => {
                            if s.pending.segs.last() != Some(seq) {
                                s.pending.segs.push(*seq);
                            }
                            s.pending.last_at = at;
                            s.pending.log_count += count as usize;
                        }
                        None => out.orphans += 1,
                    }
                }
                format::RAW => {
                    let (Some(created), Some(id), Some(project), Some(unit), Some(count)) =
                        (r.u64(), r.str(), r.str(), r.str(), r.u32())
                    else {
                        return;
                    };
                    let key = Key::Raw(*seq, at);
                    order.push(key);
                    let first = Pending::first(key, id, project, unit, created, *seq, at, count);
                    seen.insert(key, Seen::new(first));
                }
                format::DONE => {
                    if let Some(id) = r.str() {
                        done.insert(id.to_owned(), *seq);
                    }
                }
                _ => {} // a kind a later version writes: skipped whole
            }
        });
    }
    let mut refs: HashMap<u64, u32> = HashMap::new();
    for key in order {
        let Some(mut s) = seen.remove(&key) else {
            continue;
        };
        s.done_in = done.get(&s.pending.id).copied();
        match s.done_in {
            Some(d) => out
                .pins
                .extend(s.pending.segs.iter().filter(|&&o| o != d).map(|&o| (o, d))),
            // A batch opened with no log in it (its first send never returned): nothing
            // to send.
            None if s.pending.log_count == 0 => {}
            None => {
                for seg in &s.pending.segs {
                    *refs.entry(*seg).or_default() += 1;
                }
                out.pending.push(s.pending);
            }
        }
    }
    out.segments = readable
        .into_iter()
        .map(|(seq, path)| {
            let r = refs.get(&seq).copied().unwrap_or(0);
            (seq, path, r)
        })
        .collect();
    out
}

/// A batch rebuilt by [`rebuild`].
pub enum Rebuilt {
    /// From its sends' records, grouped and ready to seal.
    Built(BatchBuilder),
    /// A `LogsData` given back whole.
    Raw(Vec<u8>),
}

/// Pass 2: rebuilds each of `want` from the segments, calling `each` with it as soon as
/// its last record is read (in the order of their last records), so only the batches whose
/// records span the one being read are held besides the segment (`each` may wait for room
/// under the memory cap). `each` returning false stops the rebuild (the producer is
/// closing). Returns the damaged records it met (also counted by the scan: for a segment
/// changed since, which it should not be).
pub fn rebuild(
    scan: &Scan,
    want: &[Pending],
    limit: usize,
    mut each: impl FnMut(&Pending, Rebuilt) -> bool,
) -> u64 {
    let wanted: HashMap<Key, usize> = want.iter().enumerate().map(|(i, p)| (p.key, i)).collect();
    let mut building: HashMap<usize, BatchBuilder> = HashMap::new();
    let mut ending: HashMap<u64, Vec<usize>> = HashMap::new();
    for (i, p) in want.iter().enumerate() {
        ending
            .entry(*p.segs.last().expect("a batch has a segment"))
            .or_default()
            .push(i);
    }
    let needed: HashSet<u64> = want.iter().flat_map(|p| p.segs.iter().copied()).collect();
    let mut damaged = 0;
    for (seq, path, _) in &scan.segments {
        if !needed.contains(seq) {
            continue;
        }
        let (header, bytes) = match read_segment(path) {
            Ok(h) => h,
            Err(_) => {
                damaged += 1;
                continue;
            }
        };
        let mut stopped = false;
        damaged += records(&bytes, |at, kind, payload| {
            if stopped {
                return;
            }
            let mut r = Reader::new(payload);
            let ends = |i: usize| want[i].segs.last() == Some(seq) && want[i].last_at == at;
            match kind {
                format::LOGS => {
                    let (Some(no), Some(count)) = (r.u64(), r.u32()) else {
                        return;
                    };
                    let Some(&i) = wanted.get(&Key::Built(header.run, no)) else {
                        return;
                    };
                    let b = building.entry(i).or_insert_with(|| {
                        let mut b = BatchBuilder::with_buffer(Vec::new());
                        b.set_growth_limit(limit);
                        b
                    });
                    for _ in 0..count {
                        let (Some(rl), Some(ll)) = (r.u32(), r.u32()) else {
                            return;
                        };
                        let (Some(rec), Some(lab)) = (r.bytes(rl as usize), r.bytes(ll as usize))
                        else {
                            return;
                        };
                        b.append_one(rec, lab);
                    }
                    if ends(i) {
                        let b = building.remove(&i).expect("being built");
                        stopped = !each(&want[i], Rebuilt::Built(b));
                    }
                }
                format::RAW => {
                    if let Some(&i) = wanted.get(&Key::Raw(*seq, at)) {
                        let _ = (r.u64(), r.str(), r.str(), r.str(), r.u32());
                        stopped = !each(&want[i], Rebuilt::Raw(r.rest().to_vec()));
                    }
                }
                _ => {}
            }
        });
        drop(bytes);
        if stopped {
            return damaged;
        }
        // A batch whose last record was not met (damaged since the scan) goes as it is.
        for i in ending.remove(seq).unwrap_or_default() {
            if let Some(b) = building.remove(&i) {
                if !each(&want[i], Rebuilt::Built(b)) {
                    return damaged;
                }
            }
        }
    }
    damaged
}
