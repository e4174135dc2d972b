//! The journal's bytes on disk: a segment's header, and the records after it.
//!
//! A segment file is `journal_segment_bytes` long, allocated in full when made (so a full disk
//! shows at creation, never as SIGBUS under a mapped write). A segment whose batches are all
//! done is kept as a spare and written again as a later segment (its disk blocks and cached
//! pages reused: writing fresh pages costs the kernel several times more), so what lies past
//! its records may be an earlier life's: the header's `end` says where they stop.
//!
//! ```text
//! header (64 bytes):  magic "LTSJRNL\0" | version u32 | header_len u32 | seq u64 | run u64
//!                     | created_ms u64 | segment_bytes u64 | crc32c u32 (of the above)
//!                     | reserved [4] | end u64
//! record (8-aligned): len u32 | crc32c u32 | kind u8 | reserved [3] | payload [len] | pad
//! ```
//!
//! All integers little-endian. A record's CRC (CRC-32C) covers its kind, its length and its
//! payload. A record is written whole, then `end` is moved past it (one aligned 8-byte
//! store), so a record a crash cut short lies past `end` and is not read. After a power loss
//! `end` and the records may disagree: a record before `end` whose CRC fails is damage.
//!
//! The records (`run` is the producer instance that wrote the segment, so batch numbers of
//! different runs never meet):
//! - `OPEN`: a batch opened: batch no. u64 | created_ms u64 | id | project | unit
//! - `LOGS`: one send's logs: batch no. u64 | count u32 | (record_len u32 | labels_len u32 |
//!   record | labels) per log — the encoder's own bytes (`encode::records`)
//! - `DONE`: a batch was reported (delivered, or failed for good): id
//! - `RAW`: a whole `LogsData` given back to a producer: created_ms u64 | id | project | unit
//!   | log_count u32 | bytes
//!
//! Strings are a u16 length and UTF-8 bytes.

pub const MAGIC: &[u8; 8] = b"LTSJRNL\0";
pub const VERSION: u32 = 1;
pub const HEADER_LEN: usize = 64;
/// Where the header's `end` lies (outside the header's CRC: it moves with every record).
pub const END_AT: usize = 56;
/// The bytes of the header its CRC covers, and where the CRC lies.
const CRC_AT: usize = 48;
pub const RECORD_HEAD: usize = 12;

pub const OPEN: u8 = 1;
pub const LOGS: u8 = 2;
pub const DONE: u8 = 3;
pub const RAW: u8 = 4;

/// A segment's identity, from its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub seq: u64,
    pub run: u64,
    pub created_ms: u64,
    pub segment_bytes: u64,
}

impl Header {
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut h = [0u8; HEADER_LEN];
        h[..8].copy_from_slice(MAGIC);
        h[8..12].copy_from_slice(&VERSION.to_le_bytes());
        h[12..16].copy_from_slice(&(HEADER_LEN as u32).to_le_bytes());
        h[16..24].copy_from_slice(&self.seq.to_le_bytes());
        h[24..32].copy_from_slice(&self.run.to_le_bytes());
        h[32..40].copy_from_slice(&self.created_ms.to_le_bytes());
        h[40..48].copy_from_slice(&self.segment_bytes.to_le_bytes());
        let crc = crc32c::crc32c(&h[..CRC_AT]);
        h[CRC_AT..CRC_AT + 4].copy_from_slice(&crc.to_le_bytes());
        h[END_AT..].copy_from_slice(&(HEADER_LEN as u64).to_le_bytes());
        h
    }

    /// The header in `b`, or why it is not one this version reads.
    pub fn decode(b: &[u8]) -> Result<Header, String> {
        if b.len() < HEADER_LEN || &b[..8] != MAGIC {
            return Err("not a journal segment (no header)".into());
        }
        let crc = u32_at(b, CRC_AT);
        if crc != crc32c::crc32c(&b[..CRC_AT]) {
            return Err("its header is damaged (CRC mismatch)".into());
        }
        let version = u32_at(b, 8);
        if version != VERSION {
            return Err(format!(
                "format version {version}; this liblts reads version {VERSION}"
            ));
        }
        Ok(Header {
            seq: u64_at(b, 16),
            run: u64_at(b, 24),
            created_ms: u64_at(b, 32),
            segment_bytes: u64_at(b, 40),
        })
    }
}

/// Where a segment's records end, by its header (`b` holds the whole segment); a value that
/// cannot be right (damage) means the whole segment is read, up to its first zero header.
pub fn records_end(b: &[u8]) -> usize {
    let end = u64_at(b, END_AT);
    if end >= HEADER_LEN as u64 && end <= b.len() as u64 && end % 8 == 0 {
        end as usize
    } else {
        b.len()
    }
}

pub fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

pub fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

/// The space a record of `payload` bytes takes, header and padding included.
pub fn record_span(payload: usize) -> usize {
    (RECORD_HEAD + payload).next_multiple_of(8)
}

/// A record's CRC: its kind and length, then its payload.
pub fn record_crc(kind: u8, payload: &[u8]) -> u32 {
    let mut head = [0u8; 5];
    head[0] = kind;
    head[1..].copy_from_slice(&(payload.len() as u32).to_le_bytes());
    crc32c::crc32c_append(crc32c::crc32c(&head), payload)
}

/// The record header for `payload`.
pub fn record_head(kind: u8, payload: &[u8]) -> [u8; RECORD_HEAD] {
    let mut h = [0u8; RECORD_HEAD];
    h[..4].copy_from_slice(&(payload.len() as u32).to_le_bytes());
    h[4..8].copy_from_slice(&record_crc(kind, payload).to_le_bytes());
    h[8] = kind;
    h
}

/// Appends payload fields to a buffer.
#[derive(Default)]
pub struct Payload(pub Vec<u8>);

impl Payload {
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub fn str(&mut self, s: &str) -> &mut Self {
        let n = s.len().min(u16::MAX as usize);
        self.0.extend_from_slice(&(n as u16).to_le_bytes());
        self.0.extend_from_slice(&s.as_bytes()[..n]);
        self
    }
    pub fn bytes(&mut self, b: &[u8]) -> &mut Self {
        self.0.extend_from_slice(b);
        self
    }
}

/// Reads payload fields; every read is checked (a damaged record that passed its CRC by
/// chance, or a record of a newer writer, is refused, never a panic).
pub struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    pub fn new(b: &'a [u8]) -> Self {
        Reader { b, at: 0 }
    }
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let s = self.b.get(self.at..end)?;
        self.at = end;
        Some(s)
    }
    pub fn u32(&mut self) -> Option<u32> {
        self.take(4).map(|s| u32_at(s, 0))
    }
    pub fn u64(&mut self) -> Option<u64> {
        self.take(8).map(|s| u64_at(s, 0))
    }
    pub fn str(&mut self) -> Option<&'a str> {
        let n = self.take(2).map(|s| u16::from_le_bytes([s[0], s[1]]))? as usize;
        std::str::from_utf8(self.take(n)?).ok()
    }
    pub fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        self.take(n)
    }
    pub fn rest(&mut self) -> &'a [u8] {
        let s = &self.b[self.at..];
        self.at = self.b.len();
        s
    }
}

/// What a scan finds at an offset of a segment.
#[derive(Debug, PartialEq, Eq)]
pub enum Found<'a> {
    /// A whole record whose CRC matches.
    Record { kind: u8, payload: &'a [u8] },
    /// Zeros: the end of what was written.
    End,
    /// A record header whose length runs past the segment, or a CRC mismatch: `skip` is
    /// where the next record would start if the length can be trusted (None: it cannot).
    Damaged { skip: Option<usize> },
}

/// The record at `at` in `seg` (`at` 8-aligned, past the header).
pub fn record_at(seg: &[u8], at: usize) -> Found<'_> {
    if at + RECORD_HEAD > seg.len() {
        return Found::End;
    }
    let len = u32_at(seg, at) as usize;
    let crc = u32_at(seg, at + 4);
    let kind = seg[at + 8];
    if len == 0 && crc == 0 && kind == 0 {
        return Found::End;
    }
    let start = at + RECORD_HEAD;
    let Some(payload) = start.checked_add(len).and_then(|end| seg.get(start..end)) else {
        return Found::Damaged { skip: None };
    };
    if record_crc(kind, payload) != crc {
        return Found::Damaged {
            skip: Some(at + record_span(len)),
        };
    }
    Found::Record { kind, payload }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_and_records_round_trip_and_damage_is_found() {
        let h = Header {
            seq: 7,
            run: 99,
            created_ms: 1234,
            segment_bytes: 1 << 20,
        };
        let bytes = h.encode();
        assert_eq!(Header::decode(&bytes), Ok(h));
        let mut bad = bytes;
        bad[20] ^= 1;
        assert!(Header::decode(&bad).unwrap_err().contains("damaged"));

        let mut seg = vec![0u8; 256];
        let mut p = Payload::default();
        p.u64(5).str("batch").u32(3);
        let head = record_head(LOGS, &p.0);
        seg[64..64 + RECORD_HEAD].copy_from_slice(&head);
        seg[64 + RECORD_HEAD..64 + RECORD_HEAD + p.0.len()].copy_from_slice(&p.0);
        let Found::Record { kind, payload } = record_at(&seg, 64) else {
            panic!("a record")
        };
        assert_eq!(kind, LOGS);
        let mut r = Reader::new(payload);
        assert_eq!(
            (r.u64(), r.str(), r.u32()),
            (Some(5), Some("batch"), Some(3))
        );
        assert_eq!(r.u32(), None, "reads past the payload are refused");
        let next = 64 + record_span(p.0.len());
        assert_eq!(record_at(&seg, next), Found::End);
        seg[64 + RECORD_HEAD + 2] ^= 0x40;
        assert_eq!(record_at(&seg, 64), Found::Damaged { skip: Some(next) });
        seg[64..68].copy_from_slice(&10_000u32.to_le_bytes());
        assert_eq!(record_at(&seg, 64), Found::Damaged { skip: None });
    }
}
