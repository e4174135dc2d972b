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
//! and the key.

use crate::error::{Error, ErrorKind, Result};
use crate::log_item::{Field, LogItem, ValueRef};

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

    fn u8(&mut self, what: &str) -> Result<u8> {
        Ok(self.take(1, what)?[0])
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

    fn str(&mut self, what: &str) -> Result<&'a str> {
        let n = self.u32(what)? as usize;
        let bytes = self.take(n, what)?;
        std::str::from_utf8(bytes).map_err(|_| {
            Error::invalid_argument(format!(
                "packed items: item {}: {what} is not valid UTF-8",
                self.item
            ))
        })
    }
}

/// Reads `count` items from `buf`; the buffer must hold exactly those items.
pub fn unpack(buf: &[u8], count: usize) -> Result<Vec<LogItem>> {
    if count == 0 {
        return Err(Error::invalid_argument(
            "count is 0: there are no log items to send",
        ));
    }
    let mut r = Reader {
        buf,
        at: 0,
        item: 0,
    };
    // A cheap bound before allocating: every item takes at least 20 bytes.
    if count > buf.len() / 20 {
        return Err(Error::invalid_argument(format!(
            "packed items: {count} items cannot fit in {} bytes",
            buf.len()
        )));
    }
    let mut items = Vec::with_capacity(count);
    for i in 0..count {
        r.item = i;
        let mut item = LogItem::new();
        let in_item = |e: Error| Error::new(e.kind, format!("item {i}: {}", e.message));
        item.set_timestamp_ns(r.u64("the timestamp")? as i64)
            .map_err(in_item)?;
        item.set_origin_msg(r.str("the origin message")?)
            .map_err(in_item)?;
        for field in [Field::Content, Field::Label] {
            let n = r.u32("a field count")?;
            for _ in 0..n {
                let ty = r.u8("a field type")?;
                let key = r.str("a key")?;
                let value = match ty {
                    TYPE_STR => ValueRef::Str(r.str("a string value")?),
                    TYPE_I64 => ValueRef::Int(r.u64("an integer value")? as i64),
                    TYPE_F64 => ValueRef::Double(f64::from_bits(r.u64("a double value")?)),
                    other => {
                        return Err(Error::new(
                            ErrorKind::InvalidArgument,
                            format!(
                            "packed items: item {i}: unknown value type {other} for key {key:?}"
                        ),
                        ))
                    }
                };
                item.push(field, key, value).map_err(in_item)?;
            }
        }
        items.push(item);
    }
    if r.at != buf.len() {
        return Err(Error::invalid_argument(format!(
            "packed items: {} bytes left after {count} items",
            buf.len() - r.at
        )));
    }
    Ok(items)
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
