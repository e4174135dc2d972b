//! The packed item layout: a send call's items in one buffer, so a language wrapper crosses
//! the C boundary once per call instead of once per field.
//!
//! All integers little-endian; strings UTF-8 with a u32 byte length, not NUL-terminated.
//! ```text
//! buffer := item{count}
//! item   := i64 timestamp_ns | u32 len, origin message
//!         | u32 n_contents, field{n_contents} | u32 n_labels, field{n_labels}
//! field  := u8 type | u32 len, key | value
//! value  := type 0: u32 len, string | type 1: i64 | type 2: f64 (IEEE 754)
//! ```
//! Every item is checked by the same rules as one built field by field: errors name the item
//! and the key. A send encodes packed items in place ([`PackedLogs`]): no `LogItem` in
//! between.

use crate::encode::records::{Log, Logs, RawValue};
use crate::error::{Error, ErrorKind, Result};
use crate::log_item::{LogItem, ValueRef};

pub const TYPE_STR: u8 = 0;
pub const TYPE_I64: u8 = 1;
pub const TYPE_F64: u8 = 2;

struct Reader<'a> {
    buf: &'a [u8],
    at: usize,
    item: usize,
}

impl<'a> Reader<'a> {
    fn short(&self, what: &str) -> Error {
        Error::invalid_argument(format!(
            "packed items: item {} is cut short reading {what} at byte {}",
            self.item, self.at
        ))
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or_else(|| self.short(what))?;
        let s = &self.buf[self.at..end];
        self.at = end;
        Ok(s)
    }

    fn u32(&mut self, what: &str) -> Result<u32> {
        Ok(u32::from_le_bytes(
            self.take(4, what)?.try_into().expect("4 bytes"),
        ))
    }

    fn u64(&mut self, what: &str) -> Result<u64> {
        Ok(u64::from_le_bytes(
            self.take(8, what)?.try_into().expect("8 bytes"),
        ))
    }

    fn str(&mut self, what: &str) -> Result<&'a [u8]> {
        let n = self.u32(what)? as usize;
        self.take(n, what)
    }

    /// Walks `n` fields, checking only that they are well formed (the encoder checks keys and
    /// values): a tight loop of index arithmetic; only a malformed field takes the slow path,
    /// which walks it again with `field_error` to word the error.
    fn skip_fields(&mut self, n: u32) -> Result<()> {
        let buf = self.buf;
        let len = buf.len();
        let u32_at = |at: usize| -> usize {
            u32::from_le_bytes(buf[at..at + 4].try_into().expect("4 bytes")) as usize
        };
        let mut at = self.at;
        for _ in 0..n {
            // type, key length, key, then a string's length and bytes or an 8-byte number.
            if len - at < 5 {
                return self.field_error(at);
            }
            let ty = buf[at];
            let key_len = u32_at(at + 1);
            let after_key = at + 5 + key_len;
            at = match ty {
                TYPE_STR if after_key.checked_add(4).is_some_and(|e| e <= len) => {
                    let end = after_key + 4 + u32_at(after_key);
                    if end > len {
                        return self.field_error(at);
                    }
                    end
                }
                TYPE_I64 | TYPE_F64 if after_key.checked_add(8).is_some_and(|e| e <= len) => {
                    after_key + 8
                }
                _ => return self.field_error(at),
            };
        }
        self.at = at;
        Ok(())
    }

    /// The error for the malformed field at `at`, worded by reading it step by step.
    #[cold]
    fn field_error(&mut self, at: usize) -> Result<()> {
        self.at = at;
        let ty = self.take(1, "a field type")?[0];
        let key = self.str("a key")?;
        match ty {
            TYPE_STR => {
                self.str("a string value")?;
            }
            TYPE_I64 | TYPE_F64 => {
                self.take(8, "a number value")?;
            }
            other => {
                return Err(Error::new(
                    ErrorKind::InvalidArgument,
                    format!(
                        "packed items: item {}: unknown value type {other} for key {:?}",
                        self.item,
                        String::from_utf8_lossy(key)
                    ),
                ))
            }
        }
        Err(Error::invalid_argument(format!(
            "packed items: item {} is malformed at byte {at}",
            self.item
        )))
    }
}

/// One item of a packed buffer, read in place.
#[derive(Debug, Clone, Copy)]
pub struct PackedLog<'a> {
    timestamp_ns: i64,
    message: &'a [u8],
    /// The item's content fields, then its label count and label fields.
    contents: &'a [u8],
    n_contents: u32,
    labels: &'a [u8],
    n_labels: u32,
}

/// Fields of a packed item, decoded as they are read (their structure was checked).
#[derive(Clone)]
struct PackedFields<'a> {
    buf: &'a [u8],
    left: u32,
}

impl<'a> PackedFields<'a> {
    /// The next `n` bytes (the structure pass checked they are there; a short slice would
    /// panic, never read past it).
    #[inline(always)]
    fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        head
    }

    #[inline(always)]
    fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.take(4).try_into().expect("4 bytes"))
    }

    #[inline(always)]
    fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.take(8).try_into().expect("8 bytes"))
    }
}

impl<'a> Iterator for PackedFields<'a> {
    type Item = (&'a [u8], RawValue<'a>);

    #[inline(always)]
    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        // The structure pass (`PackedLogs::read`) checked every length and type.
        let ty = self.take(1)[0];
        let n = self.u32() as usize;
        let key = self.take(n);
        let value = match ty {
            TYPE_STR => {
                let n = self.u32() as usize;
                RawValue::Str(self.take(n))
            }
            TYPE_I64 => RawValue::Int(self.u64() as i64),
            _ => RawValue::Double(f64::from_bits(self.u64())),
        };
        Some((key, value))
    }
}

impl Log for PackedLog<'_> {
    const NAME: &'static str = "item";

    fn time_ns(&self) -> Option<i64> {
        Some(self.timestamp_ns)
    }

    fn body(&self) -> Option<&[u8]> {
        Some(self.message)
    }

    fn content_fields(&self) -> impl Iterator<Item = (&[u8], RawValue<'_>)> + Clone {
        PackedFields {
            buf: self.contents,
            left: self.n_contents,
        }
    }

    fn label_fields(&self) -> impl Iterator<Item = (&[u8], RawValue<'_>)> + Clone {
        PackedFields {
            buf: self.labels,
            left: self.n_labels,
        }
    }
}

/// A packed buffer's items, each read in place: up to 16 without an allocation.
pub struct PackedLogs<'a>(smallvec::SmallVec<[PackedLog<'a>; 16]>);

impl<'a> PackedLogs<'a> {
    /// Reads the structure of `count` items from `buf`, which must hold exactly those items.
    /// Keys and values are checked when the logs are encoded.
    pub fn read(buf: &'a [u8], count: usize) -> Result<Self> {
        if count == 0 {
            return Err(Error::invalid_argument(
                "count is 0: there are no log items to send",
            ));
        }
        // A cheap bound before allocating: every item takes at least 20 bytes.
        if count > buf.len() / 20 {
            return Err(Error::invalid_argument(format!(
                "packed items: {count} items cannot fit in {} bytes",
                buf.len()
            )));
        }
        let mut r = Reader {
            buf,
            at: 0,
            item: 0,
        };
        let mut logs = smallvec::SmallVec::with_capacity(count);
        for i in 0..count {
            r.item = i;
            let timestamp_ns = r.u64("the timestamp")? as i64;
            let message = r.str("the origin message")?;
            let n_contents = r.u32("a field count")?;
            let contents_at = r.at;
            r.skip_fields(n_contents)?;
            let contents = &buf[contents_at..r.at];
            let n_labels = r.u32("a field count")?;
            let labels_at = r.at;
            r.skip_fields(n_labels)?;
            logs.push(PackedLog {
                timestamp_ns,
                message,
                contents,
                n_contents,
                labels: &buf[labels_at..r.at],
                n_labels,
            });
        }
        if r.at != buf.len() {
            return Err(Error::invalid_argument(format!(
                "packed items: {} bytes left after {count} items",
                buf.len() - r.at
            )));
        }
        Ok(PackedLogs(logs))
    }
}

impl Logs for PackedLogs<'_> {
    fn count(&self) -> usize {
        self.0.len()
    }
    fn logs(&self) -> impl Iterator<Item: Log> + '_ {
        self.0.iter()
    }
}

/// Reads `count` items from `buf` into `LogItem`s (for tests and tools; sends encode packed
/// items in place through [`PackedLogs`]).
pub fn unpack(buf: &[u8], count: usize) -> Result<Vec<LogItem>> {
    let logs = PackedLogs::read(buf, count)?;
    // The same checks a send makes, with the same messages.
    crate::encode::Encoded::default().encode(&logs)?;
    logs.0
        .iter()
        .map(|p| {
            let mut item = LogItem::new();
            item.set_timestamp_ns(p.timestamp_ns)?;
            item.set_origin_msg(std::str::from_utf8(p.message).expect("checked"))?;
            for (field, list) in [
                (
                    crate::rules::Field::Content,
                    p.content_fields().collect::<Vec<_>>(),
                ),
                (
                    crate::rules::Field::Label,
                    p.label_fields().collect::<Vec<_>>(),
                ),
            ] {
                for (k, v) in list {
                    let key = std::str::from_utf8(k).expect("checked");
                    let value = match v {
                        RawValue::Str(s) => ValueRef::Str(std::str::from_utf8(s).expect("checked")),
                        RawValue::Int(i) => ValueRef::Int(i),
                        RawValue::Double(d) => ValueRef::Double(d),
                    };
                    item.push(field, key, value)?;
                }
            }
            Ok(item)
        })
        .collect()
}

/// Packs items into the layout (for tests and Rust callers of the C entry points).
pub fn pack(items: &[&LogItem]) -> Vec<u8> {
    let mut out = Vec::new();
    let s = |out: &mut Vec<u8>, s: &str| {
        out.extend_from_slice(&(s.len() as u32).to_le_bytes());
        out.extend_from_slice(s.as_bytes());
    };
    for it in items {
        out.extend_from_slice(&it.timestamp_ns().unwrap_or(0).to_le_bytes());
        s(&mut out, it.origin_msg().unwrap_or(""));
        for list in [it.contents(), it.labels()] {
            out.extend_from_slice(&(list.len() as u32).to_le_bytes());
            for (k, v) in list.iter() {
                match v {
                    ValueRef::Str(x) => {
                        out.push(TYPE_STR);
                        s(&mut out, k);
                        s(&mut out, x);
                    }
                    ValueRef::Int(x) => {
                        out.push(TYPE_I64);
                        s(&mut out, k);
                        out.extend_from_slice(&x.to_le_bytes());
                    }
                    ValueRef::Double(x) => {
                        out.push(TYPE_F64);
                        s(&mut out, k);
                        out.extend_from_slice(&x.to_le_bytes());
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log_item::Value;

    fn item(i: i64) -> LogItem {
        let mut it = LogItem::new();
        it.set_timestamp_ns(1000 + i).unwrap();
        it.set_origin_msg(&format!("msg {i} 中")).unwrap();
        it.push_content("s", Value::Str("v".into())).unwrap();
        it.push_content("n", Value::Int(-i)).unwrap();
        it.push_content("d", Value::Double(0.25)).unwrap();
        it.push_label("tag", Value::Str("x".into())).unwrap();
        it
    }

    #[test]
    fn round_trips() {
        let items: Vec<LogItem> = (0..5).map(item).collect();
        let refs: Vec<&LogItem> = items.iter().collect();
        let back = unpack(&pack(&refs), 5).unwrap();
        assert_eq!(back, items);
    }

    #[test]
    fn refuses_bad_buffers_with_the_item_and_key() {
        let items: Vec<LogItem> = (0..2).map(item).collect();
        let refs: Vec<&LogItem> = items.iter().collect();
        let buf = pack(&refs);
        assert!(unpack(&buf, 3).unwrap_err().message.contains("cut short"));
        assert!(unpack(&buf, 1).unwrap_err().message.contains("left after"));
        assert!(unpack(&buf[..buf.len() - 1], 2).is_err());
        assert!(unpack(&[], 0).is_err());
        // A bad key inside the buffer: named, with its item.
        let mut bad = buf.clone();
        let at = bad
            .windows(5)
            .position(|w| w == b"\x01\x00\x00\x00s")
            .unwrap()
            + 4;
        bad[at] = b':';
        let e = unpack(&bad, 2).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidKey);
        assert!(
            e.message.starts_with("item 0: invalid content key \":\""),
            "{}",
            e.message
        );
        // Garbage never panics.
        for n in 0..buf.len() {
            let _ = unpack(&buf[..n], 2);
            let mut flipped = buf.clone();
            flipped[n] ^= 0xff;
            let _ = unpack(&flipped, 2);
        }
    }
}
