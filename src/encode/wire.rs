//! Protobuf wire primitives: tags, varints, and a writer for messages whose length is
//! computed first.

pub(crate) const LEN: u8 = 2;
pub(crate) const I64: u8 = 1;
pub(crate) const VARINT: u8 = 0;

#[inline]
pub(crate) fn tag(field: u8, wire: u8) -> u8 {
    (field << 3) | wire
}

#[inline(always)]
pub(crate) fn varint_len(v: u64) -> usize {
    // Most lengths in a log are under 128 (one byte); the rest: ceil(significant bits / 7)
    // without a loop.
    if v < 0x80 {
        return 1;
    }
    let bits = 64 - v.leading_zeros() as usize;
    (bits * 9 + 64) / 64
}

/// Size of a length-delimited field holding `len` bytes (tag + length + bytes).
#[inline(always)]
pub(crate) fn field_len(len: usize) -> usize {
    1 + varint_len(len as u64) + len
}

/// Writes a message whose length is computed first: the space is reserved once, then filled
/// with plain stores (no capacity check, length update or bounds check per byte). The
/// length functions and the writers are tested against each other and against prost.
pub(crate) struct Writer<'a> {
    /// The reserved, not yet initialised bytes, `end` past the last.
    at: *mut u8,
    end: *mut u8,
    _buf: std::marker::PhantomData<&'a mut [u8]>,
}

impl Writer<'_> {
    #[inline(always)]
    pub fn room(&self, n: usize) {
        // A length function that disagrees with its writer is a bug: stop before writing past
        // the reserved space (one comparison per write, not per byte).
        assert!(
            n <= self.end as usize - self.at as usize,
            "encoded length mismatch"
        );
    }

    #[inline(always)]
    pub fn byte(&mut self, b: u8) {
        self.room(1);
        // SAFETY: room() checked the byte is within the reserved space.
        unsafe {
            self.at.write(b);
            self.at = self.at.add(1);
        }
    }

    #[inline(always)]
    pub fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.byte((v as u8) | 0x80);
            v >>= 7;
        }
        self.byte(v as u8);
    }

    #[inline(always)]
    pub fn bytes(&mut self, b: &[u8]) {
        self.room(b.len());
        // SAFETY: room() checked the span; the source is another allocation's (or the
        // caller's) memory, never this unwritten space.
        unsafe {
            copy_small(b, self.at);
            self.at = self.at.add(b.len());
        }
    }

    #[inline(always)]
    pub fn bytes_field(&mut self, field: u8, b: &[u8]) {
        self.byte(tag(field, LEN));
        self.varint(b.len() as u64);
        self.bytes(b);
    }
}

/// Copies `src` to `dst`. Log fields are mostly short: up to 32 bytes take two overlapping
/// pairs of loads and stores instead of a call into memcpy.
///
/// # Safety
/// `dst` is valid for `src.len()` bytes of writes and does not overlap `src`.
#[inline(always)]
pub(crate) unsafe fn copy_small(src: &[u8], dst: *mut u8) {
    let (n, s) = (src.len(), src.as_ptr());
    if n >= 16 {
        if n <= 128 {
            // 16-byte chunks, the last one ending at n (overlapping the one before).
            let mut i = 0;
            while i + 16 < n {
                dst.add(i)
                    .cast::<u128>()
                    .write_unaligned(s.add(i).cast::<u128>().read_unaligned());
                i += 16;
            }
            dst.add(n - 16)
                .cast::<u128>()
                .write_unaligned(s.add(n - 16).cast::<u128>().read_unaligned());
        } else {
            std::ptr::copy_nonoverlapping(s, dst, n);
        }
    } else if n >= 8 {
        let (a, b) = (
            s.cast::<u64>().read_unaligned(),
            s.add(n - 8).cast::<u64>().read_unaligned(),
        );
        dst.cast::<u64>().write_unaligned(a);
        dst.add(n - 8).cast::<u64>().write_unaligned(b);
    } else if n >= 4 {
        let (a, b) = (
            s.cast::<u32>().read_unaligned(),
            s.add(n - 4).cast::<u32>().read_unaligned(),
        );
        dst.cast::<u32>().write_unaligned(a);
        dst.add(n - 4).cast::<u32>().write_unaligned(b);
    } else {
        for i in 0..n {
            dst.add(i).write(*s.add(i));
        }
    }
}

/// A varint written with no room check: the caller checked room for its 10 bytes at most.
///
/// # Safety
/// `at` is valid for `varint_len(v)` bytes of writes.
#[inline(always)]
pub(crate) unsafe fn put_varint_raw(at: *mut u8, mut v: u64) -> *mut u8 {
    let mut p = at;
    while v >= 0x80 {
        p.write((v as u8) | 0x80);
        p = p.add(1);
        v >>= 7;
    }
    p.write(v as u8);
    p.add(1)
}

/// `src` copied to `at`, returning the byte after it (see [`copy_small`]).
///
/// # Safety
/// As [`copy_small`].
#[inline(always)]
pub(crate) unsafe fn put_bytes_raw(at: *mut u8, src: &[u8]) -> *mut u8 {
    copy_small(src, at);
    at.add(src.len())
}

/// Appends exactly `len` bytes to `out`, written by `write`.
#[inline(always)]
pub(crate) fn write_exact(out: &mut Vec<u8>, len: usize, write: impl FnOnce(&mut Writer<'_>)) {
    out.reserve(len);
    let start = out.len();
    // SAFETY: `reserve` made `len` bytes of spare capacity; the writer stays within them.
    let at = unsafe { out.as_mut_ptr().add(start) };
    let mut w = Writer {
        at,
        end: unsafe { at.add(len) },
        _buf: std::marker::PhantomData,
    };
    write(&mut w);
    // A writer that wrote less than its length function promised is a bug too.
    assert_eq!(w.at, w.end, "encoded length mismatch");
    // SAFETY: all `len` bytes were written.
    unsafe { out.set_len(start + len) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_copies_of_every_length() {
        let src: Vec<u8> = (0..100u8).collect();
        for n in 0..=100 {
            let mut out = Vec::new();
            write_exact(&mut out, n, |w| w.bytes(&src[..n]));
            assert_eq!(out, &src[..n]);
        }
    }

    #[test]
    #[should_panic(expected = "encoded length mismatch")]
    fn a_writer_past_its_length_stops() {
        write_exact(&mut Vec::new(), 2, |w| w.bytes(b"abc"));
    }

    #[test]
    fn varints() {
        let edges = (0..64).flat_map(|b| {
            let p = 1u64 << b;
            [p - 1, p, p + 1]
        });
        for v in edges.chain([u64::MAX]) {
            assert_eq!(varint_len(v), prost::encoding::encoded_len_varint(v), "{v}");
            let mut out = Vec::new();
            write_exact(&mut out, varint_len(v), |w| w.varint(v));
            let decoded = prost::encoding::decode_varint(&mut out.as_slice()).unwrap();
            assert_eq!((decoded, varint_len(v)), (v, out.len()));
        }
    }
}
