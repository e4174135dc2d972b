//! `lts_record` and `lts_field`: logs given in one call, pointing at the caller's own memory.
//! The core encodes them in place (see `encode::records`): this module only checks that the
//! memory C hands over is well formed before any slice of it is made.

use std::ffi::c_char;

use crate::encode::records::{Log, Logs, RawValue};
use crate::error::{Error, ErrorKind};
use crate::profile::{MAX_KEY_CHARS, MAX_REQUEST_BYTES};

/// An lts_field's `type`: a UTF-8 string (`str`, `str_len`).
pub const LTS_FIELD_STR: i32 = 0;
/// An lts_field's `type`: a 64-bit integer (`i64`).
pub const LTS_FIELD_I64: i32 = 1;
/// An lts_field's `type`: a double (`f64`), which must be finite.
pub const LTS_FIELD_F64: i32 = 2;

/// One content or label of an lts_record. Borrowed for the call it is passed to: nothing
/// here is kept after the call returns.
///
/// `key`, `key_len`: the key, UTF-8, not NUL-terminated (the key rules apply: 1 to 64 ASCII
/// letters, digits, `_`, `-`, `.`, the first a letter). `type`: LTS_FIELD_STR, LTS_FIELD_I64
/// or LTS_FIELD_F64; only the member it names is read. `str`, `str_len`: a string value,
/// UTF-8, not NUL-terminated, not empty. `i64`: an integer value. `f64`: a double value,
/// finite. A pointer may be NULL only when its length is 0.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct lts_field {
    pub key: *const c_char,
    pub key_len: usize,
    pub r#type: i32,
    pub str: *const c_char,
    pub str_len: usize,
    pub i64: i64,
    pub f64: f64,
}

/// One log, pointing at the caller's memory, for lts_producer_send_records and
/// lts_put_records. Borrowed for the call: the library copies (encodes) what it keeps before
/// the call returns, so the memory may be reused at once.
///
/// `timestamp_ns`: nanoseconds since the epoch, > 0 (0 means "not set" and is refused, so a
/// zero-initialised record cannot go out without a time). `msg`, `msg_len`: the origin
/// message, UTF-8, not NUL-terminated, not empty. `contents`, `contents_len` and `labels`,
/// `labels_len`: arrays of lts_field (NULL when the length is 0); a key may appear once in
/// each.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct lts_record {
    pub timestamp_ns: i64,
    pub msg: *const c_char,
    pub msg_len: usize,
    pub contents: *const lts_field,
    pub contents_len: usize,
    pub labels: *const lts_field,
    pub labels_len: usize,
}

/// `len` elements at `p`; `p` may be NULL (or dangling) only when `len` is 0.
///
/// # Safety
/// `p` points to `len` readable elements when `len > 0`.
#[inline(always)]
unsafe fn slice<'a, T>(p: *const T, len: usize) -> &'a [T] {
    if len == 0 {
        &[]
    } else {
        std::slice::from_raw_parts(p, len)
    }
}

/// Records whose arrays were checked ([`checked_records`]): the message and the field arrays
/// are non-NULL where they have a length, and every length is within what a request can
/// hold. A field's own pointers are checked where its slices are made (`field_view`).
pub struct CheckedRecords<'a>(&'a [lts_record]);

/// One checked record (see [`CheckedRecords`]).
#[derive(Clone, Copy)]
pub struct CheckedRecord<'a>(&'a lts_record);

/// The longest key worth reading to word an error (keys are at most 64 characters).
const KEY_BYTES_READ: usize = 4 * MAX_KEY_CHARS;

/// A field as the encoder reads it. A slice is made only of memory the caller's contract makes
/// readable: a NULL pointer, or a length no valid field can have (a key over
/// `KEY_BYTES_READ`, a string over a request's size), reads as empty, which the rules refuse,
/// and `explain` then says what was really wrong. An unknown type reads as an empty string,
/// refused the same way.
#[inline(always)]
fn field_view(f: &lts_field) -> (&[u8], RawValue<'_>) {
    // SAFETY: each slice is non-empty only for a non-NULL pointer with a sane length, which
    // the caller's contract makes readable for the call.
    unsafe {
        // One branch for both tests (a NULL key makes the length test fail too).
        let key_len = if f.key.is_null() {
            usize::MAX
        } else {
            f.key_len
        };
        let key = if key_len > KEY_BYTES_READ {
            &[][..]
        } else {
            slice(f.key.cast::<u8>(), key_len)
        };
        let value = match f.r#type {
            LTS_FIELD_I64 => RawValue::Int(f.i64),
            LTS_FIELD_F64 => RawValue::Double(f.f64),
            LTS_FIELD_STR if !f.str.is_null() && f.str_len <= MAX_REQUEST_BYTES => {
                RawValue::Str(slice(f.str.cast::<u8>(), f.str_len))
            }
            _ => RawValue::Str(&[]),
        };
        (key, value)
    }
}

impl<'a> CheckedRecord<'a> {
    fn fields(list: *const lts_field, len: usize) -> &'a [lts_field] {
        // SAFETY: as in field_view.
        unsafe { slice(list, len) }
    }
}

impl Log for CheckedRecord<'_> {
    const NAME: &'static str = "record";

    fn time_ns(&self) -> Option<i64> {
        (self.0.timestamp_ns != 0).then_some(self.0.timestamp_ns)
    }

    fn body(&self) -> Option<&[u8]> {
        // SAFETY: as in field_view.
        (self.0.msg_len > 0).then(|| unsafe { slice(self.0.msg.cast::<u8>(), self.0.msg_len) })
    }

    #[inline(always)]
    fn content_fields(&self) -> impl Iterator<Item = (&[u8], RawValue<'_>)> + Clone {
        Self::fields(self.0.contents, self.0.contents_len)
            .iter()
            .map(field_view)
    }

    #[inline(always)]
    fn label_fields(&self) -> impl Iterator<Item = (&[u8], RawValue<'_>)> + Clone {
        Self::fields(self.0.labels, self.0.labels_len)
            .iter()
            .map(field_view)
    }

    #[cold]
    fn explain(&self, index: usize) -> Option<Error> {
        // SAFETY: the arrays were checked by checked_records; each field's pointers are
        // checked here before any of their memory is read.
        unsafe {
            check_fields(index, "contents", self.0.contents, self.0.contents_len)
                .and_then(|()| check_fields(index, "labels", self.0.labels, self.0.labels_len))
                .err()
        }
    }
}

impl Logs for CheckedRecords<'_> {
    fn count(&self) -> usize {
        self.0.len()
    }
    fn logs(&self) -> impl Iterator<Item: Log> + '_ {
        self.0.iter().map(CheckedRecord)
    }
}

fn invalid(msg: String) -> Error {
    Error::invalid_argument(msg)
}

/// A key's bytes for a message, if they can be read (a NULL or absurdly long key is not).
///
/// # Safety
/// As [`checked_records`].
unsafe fn key_text(f: &lts_field) -> String {
    if f.key.is_null() || f.key_len > KEY_BYTES_READ {
        return String::from("?");
    }
    String::from_utf8_lossy(slice(f.key.cast::<u8>(), f.key_len)).into_owned()
}

/// An array of `len` fields at `p`: NULL only if empty, and no more than one request holds.
fn check_array(i: usize, list: &str, p: *const lts_field, len: usize) -> crate::Result<()> {
    if len == 0 {
        return Ok(());
    }
    if p.is_null() {
        return Err(invalid(format!(
            "record {i}: {list} is NULL but {list}_len is {len}"
        )));
    }
    // Each field takes at least 4 bytes on the wire: more cannot fit one request.
    if len > MAX_REQUEST_BYTES / 4 {
        return Err(Error::new(
            ErrorKind::TooLarge,
            format!("record {i}: {len} {list} cannot fit in one request"),
        ));
    }
    Ok(())
}

/// What is wrong with a list of fields' memory, if anything (the explanation of a refusal).
///
/// # Safety
/// The array was checked by [`check_array`] and is readable.
unsafe fn check_fields(i: usize, list: &str, p: *const lts_field, len: usize) -> crate::Result<()> {
    for (j, f) in slice(p, len).iter().enumerate() {
        let at = || format!("record {i}: {list}[{j}]");
        if f.key.is_null() && f.key_len > 0 {
            return Err(invalid(format!(
                "{}: key is NULL but key_len is {}",
                at(),
                f.key_len
            )));
        }
        if f.key_len > KEY_BYTES_READ {
            return Err(Error::new(
                ErrorKind::InvalidKey,
                format!(
                    "{}: a key of {} bytes (keys are at most {MAX_KEY_CHARS} characters)",
                    at(),
                    f.key_len
                ),
            ));
        }
        match f.r#type {
            LTS_FIELD_STR => {
                if f.str.is_null() && f.str_len > 0 {
                    return Err(invalid(format!(
                        "{} ({:?}): str is NULL but str_len is {}",
                        at(),
                        key_text(f),
                        f.str_len
                    )));
                }
                if f.str_len > MAX_REQUEST_BYTES {
                    return Err(Error::new(
                        ErrorKind::TooLarge,
                        format!(
                            "{} ({:?}): a value of {} bytes; one request holds at most {MAX_REQUEST_BYTES}",
                            at(),
                            key_text(f),
                            f.str_len
                        ),
                    ));
                }
            }
            LTS_FIELD_I64 | LTS_FIELD_F64 => {}
            other => {
                return Err(invalid(format!(
                    "{} ({:?}): unknown type {other} (use LTS_FIELD_STR, LTS_FIELD_I64 or LTS_FIELD_F64)",
                    at(),
                    key_text(f)
                )))
            }
        }
    }
    Ok(())
}

/// Checks the records' arrays at `records` (not the key and value rules, which the encoder
/// applies, nor each field's pointers, which `field_view` sanitizes): what makes the slices
/// the encoder reads sound.
///
/// # Safety
/// `records` is NULL or points to `count` records whose pointers, where their lengths say
/// so, point to that much readable memory, all for the duration of the call.
pub unsafe fn checked_records<'a>(
    records: *const lts_record,
    count: usize,
) -> crate::Result<CheckedRecords<'a>> {
    if count == 0 {
        return Err(invalid("count is 0: there are no records to send".into()));
    }
    if records.is_null() {
        return Err(invalid("records is NULL".into()));
    }
    if count > crate::profile::MAX_REQUEST_LOGS {
        return Err(Error::new(
            ErrorKind::TooLarge,
            format!(
                "{count} records in one call; at most {} are allowed",
                crate::profile::MAX_REQUEST_LOGS
            ),
        ));
    }
    let all = slice(records, count);
    for (i, r) in all.iter().enumerate() {
        if r.msg.is_null() && r.msg_len > 0 {
            return Err(invalid(format!(
                "record {i}: msg is NULL but msg_len is {}",
                r.msg_len
            )));
        }
        if r.msg_len > MAX_REQUEST_BYTES {
            return Err(Error::new(
                ErrorKind::TooLarge,
                format!(
                    "record {i}: a message of {} bytes; one request holds at most {MAX_REQUEST_BYTES}",
                    r.msg_len
                ),
            ));
        }
        check_array(i, "contents", r.contents, r.contents_len)?;
        check_array(i, "labels", r.labels, r.labels_len)?;
    }
    Ok(CheckedRecords(all))
}
