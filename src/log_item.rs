//! `LogItem`: one log, its fields and the documented key/value rules.

use std::hash::Hasher;

use hashbrown::HashTable;

use crate::encode::records::{Log, RawValue};
use crate::error::{Error, ErrorKind, Result};
pub use crate::rules::{check_key, Field};
use crate::rules::{check_value as check_value_kind, ValueKind};

/// A content or label value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    Int(i64),
    Double(f64),
}

impl Value {
    /// The value borrowed, as a [`LogItem`] hands it out.
    pub fn as_ref(&self) -> ValueRef<'_> {
        match self {
            Value::Str(s) => ValueRef::Str(s),
            Value::Int(i) => ValueRef::Int(*i),
            Value::Double(d) => ValueRef::Double(*d),
        }
    }
}

/// A content or label value as a [`LogItem`] holds it (strings borrowed from the item).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueRef<'a> {
    Str(&'a str),
    Int(i64),
    Double(f64),
}

impl ValueRef<'_> {
    pub fn to_value(self) -> Value {
        match self {
            ValueRef::Str(s) => Value::Str(s.to_owned()),
            ValueRef::Int(i) => Value::Int(i),
            ValueRef::Double(d) => Value::Double(d),
        }
    }
}

/// One log: a timestamp in nanoseconds, the origin message, contents and labels.
///
/// Contents and labels keep first-push order; pushing a key again replaces its value in
/// place (the seed SDK's contents are a dict).
///
/// Every key and string value lives in one buffer of the item (`text`), so building an item
/// costs a few allocations rather than two per field, and encoding it reads a few adjacent
/// cache lines rather than a pointer per string. Each span of it is one whole string that
/// was pushed, so every span is UTF-8. A replaced value's bytes are reused when the new
/// value fits in them, and otherwise counted as waste; the buffer is compacted when waste
/// passes half of it, so an item reused with ever-new values stays the size of its fields.
#[derive(Debug, Clone, Default)]
pub struct LogItem {
    timestamp_ns: Option<i64>,
    origin_msg: Option<String>,
    text: Vec<u8>,
    /// Bytes of `text` no span refers to any more.
    waste: usize,
    contents: List,
    labels: List,
}

/// Lists longer than this find keys through a hash index instead of by scanning.
const INDEXED_FROM: usize = 16;

/// Waste below this is never worth a compaction.
const WASTE_KEPT: usize = 1024;

/// An item's contents or labels: entries in first-push order, and once the list is long, an
/// index from key to entry (so an item with many keys is built in linear time).
#[derive(Debug, Clone, Default)]
struct List {
    entries: Vec<Entry>,
    index: Option<HashTable<u32>>,
}

fn key_hash(key: &[u8]) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    h.write(key);
    h.finish()
}

#[cfg(test)]
thread_local! {
    /// Key comparisons made finding keys (tests check the work is linear).
    static KEY_COMPARISONS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

fn same_key(text: &[u8], e: &Entry, key: &[u8]) -> bool {
    #[cfg(test)]
    KEY_COMPARISONS.with(|c| c.set(c.get() + 1));
    bytes(text, e.key) == key
}

impl List {
    fn find(&self, text: &[u8], key: &[u8]) -> Option<usize> {
        match &self.index {
            Some(index) => index
                .find(key_hash(key), |&i| {
                    same_key(text, &self.entries[i as usize], key)
                })
                .map(|&i| i as usize),
            None => self.entries.iter().position(|e| same_key(text, e, key)),
        }
    }

    fn push(&mut self, text: &[u8], entry: Entry) {
        self.entries.push(entry);
        let entries = &self.entries;
        let rehash = |&i: &u32| key_hash(bytes(text, entries[i as usize].key));
        match &mut self.index {
            Some(index) => {
                let i = entries.len() - 1;
                index.insert_unique(key_hash(bytes(text, entries[i].key)), i as u32, rehash);
            }
            None if entries.len() > INDEXED_FROM => {
                let mut index = HashTable::with_capacity(entries.len() * 2);
                for (i, e) in entries.iter().enumerate() {
                    index.insert_unique(key_hash(bytes(text, e.key)), i as u32, rehash);
                }
                self.index = Some(index);
            }
            None => {}
        }
    }
}

/// A span of an item's `text`.
#[derive(Debug, Clone, Copy)]
struct Span {
    at: u32,
    len: u32,
}

#[derive(Debug, Clone, Copy)]
enum Stored {
    Str(Span),
    Int(i64),
    Double(f64),
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    key: Span,
    value: Stored,
}

/// An item's contents or labels, in order.
#[derive(Debug, Clone, Copy)]
pub struct Fields<'a> {
    text: &'a [u8],
    entries: &'a [Entry],
}

impl<'a> Fields<'a> {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&'a str, ValueRef<'a>)> + Clone + 'a {
        let text = self.text;
        self.entries.iter().map(move |e| {
            let value = match e.value {
                Stored::Str(s) => ValueRef::Str(span(text, s)),
                Stored::Int(i) => ValueRef::Int(i),
                Stored::Double(d) => ValueRef::Double(d),
            };
            (span(text, e.key), value)
        })
    }

    /// Keys and values as bytes, for the encoder.
    pub(crate) fn raw(&self) -> impl Iterator<Item = (&'a [u8], RawValue<'a>)> + Clone + 'a {
        let text = self.text;
        self.entries.iter().map(move |e| {
            let value = match e.value {
                Stored::Str(s) => RawValue::Str(bytes(text, s)),
                Stored::Int(i) => RawValue::Int(i),
                Stored::Double(d) => RawValue::Double(d),
            };
            (bytes(text, e.key), value)
        })
    }

    pub fn to_vec(&self) -> Vec<(String, Value)> {
        self.iter()
            .map(|(k, v)| (k.to_owned(), v.to_value()))
            .collect()
    }
}

#[inline]
fn bytes(text: &[u8], s: Span) -> &[u8] {
    &text[s.at as usize..(s.at + s.len) as usize]
}

fn span(text: &[u8], s: Span) -> &str {
    // SAFETY: every span covers exactly one string pushed as `&str` (LogItem::store and
    // LogItem::push), and compaction moves whole spans.
    unsafe { std::str::from_utf8_unchecked(bytes(text, s)) }
}

impl PartialEq for LogItem {
    fn eq(&self, other: &Self) -> bool {
        self.timestamp_ns == other.timestamp_ns
            && self.origin_msg == other.origin_msg
            && self.contents().iter().eq(other.contents().iter())
            && self.labels().iter().eq(other.labels().iter())
    }
}

/// Checks a value by the documented rules (see [`crate::rules`]).
pub fn check_value(field: Field, key: &str, value: ValueRef<'_>) -> Result<()> {
    let kind = match value {
        // A `&str` is UTF-8 by construction: of the string rules only emptiness is left.
        ValueRef::Str(s) if !s.is_empty() => return Ok(()),
        ValueRef::Str(s) => ValueKind::Str(s.as_bytes()),
        ValueRef::Int(_) => ValueKind::Int,
        ValueRef::Double(d) => ValueKind::Double(d),
    };
    check_value_kind(field, key.as_bytes(), kind)
}

impl LogItem {
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty item with room for `text_bytes` of keys and string values and for the given
    /// numbers of contents and labels: a binding that builds a fresh item per log field by
    /// field saves the buffers' growth steps (several reallocations per log).
    pub fn with_capacity(text_bytes: usize, contents: usize, labels: usize) -> Self {
        let list = |n| List {
            entries: Vec::with_capacity(n),
            index: None,
        };
        LogItem {
            text: Vec::with_capacity(text_bytes),
            contents: list(contents),
            labels: list(labels),
            ..Self::default()
        }
    }

    /// Sets the timestamp in nanoseconds since the Unix epoch; negative values are refused.
    pub fn set_timestamp_ns(&mut self, ns: i64) -> Result<()> {
        if ns < 0 {
            return Err(Error::new(
                ErrorKind::InvalidValue,
                format!("invalid timestamp {ns}: nanoseconds since the epoch cannot be negative"),
            ));
        }
        self.timestamp_ns = Some(ns);
        Ok(())
    }

    /// Sets the origin message; an empty one is refused.
    pub fn set_origin_msg(&mut self, msg: &str) -> Result<()> {
        if msg.is_empty() {
            return Err(Error::new(
                ErrorKind::InvalidValue,
                "invalid origin message: it is empty",
            ));
        }
        // Reuses the allocation of an item filled again and again.
        match &mut self.origin_msg {
            Some(m) => {
                m.clear();
                m.push_str(msg);
            }
            None => self.origin_msg = Some(msg.to_owned()),
        }
        Ok(())
    }

    pub fn push(&mut self, field: Field, key: &str, value: ValueRef<'_>) -> Result<()> {
        check_key(field, key)?;
        check_value(field, key, value)?;
        let list = match field {
            Field::Content => &self.contents,
            Field::Label => &self.labels,
        };
        match list.find(&self.text, key.as_bytes()) {
            // A key pushed again keeps its place; its value is replaced.
            Some(i) => {
                let old = list.entries[i].value;
                let value = self.restore(old, value)?;
                self.list_mut(field).entries[i].value = value;
                self.compact_if_wasteful();
            }
            None => {
                let value = self.store_value(value)?;
                let key = self.store(key)?;
                let (text, list) = match field {
                    Field::Content => (&self.text, &mut self.contents),
                    Field::Label => (&self.text, &mut self.labels),
                };
                list.push(text, Entry { key, value });
            }
        }
        Ok(())
    }

    fn list_mut(&mut self, field: Field) -> &mut List {
        match field {
            Field::Content => &mut self.contents,
            Field::Label => &mut self.labels,
        }
    }

    fn store_value(&mut self, value: ValueRef<'_>) -> Result<Stored> {
        Ok(match value {
            ValueRef::Str(v) => Stored::Str(self.store(v)?),
            ValueRef::Int(i) => Stored::Int(i),
            ValueRef::Double(d) => Stored::Double(d),
        })
    }

    /// Stores a value replacing `old`: a string into `old`'s bytes when it fits there.
    fn restore(&mut self, old: Stored, value: ValueRef<'_>) -> Result<Stored> {
        let old_span = match old {
            Stored::Str(s) => Some(s),
            _ => None,
        };
        if let (Some(old), ValueRef::Str(v)) = (old_span, value) {
            if v.len() <= old.len as usize {
                let at = old.at as usize;
                self.text[at..at + v.len()].copy_from_slice(v.as_bytes());
                self.waste += old.len as usize - v.len();
                return Ok(Stored::Str(Span {
                    at: old.at,
                    len: v.len() as u32,
                }));
            }
        }
        let stored = self.store_value(value)?;
        self.waste += old_span.map_or(0, |s| s.len as usize);
        Ok(stored)
    }

    /// Rewrites `text` with only the bytes spans refer to, once waste is over half of it.
    fn compact_if_wasteful(&mut self) {
        if self.waste < WASTE_KEPT || self.waste * 2 < self.text.len() {
            return;
        }
        let mut text = Vec::with_capacity(self.text.len() - self.waste);
        let mut keep = |s: &mut Span| {
            let at = text.len() as u32;
            text.extend_from_slice(bytes(&self.text, *s));
            s.at = at;
        };
        for e in self
            .contents
            .entries
            .iter_mut()
            .chain(self.labels.entries.iter_mut())
        {
            keep(&mut e.key);
            if let Stored::Str(v) = &mut e.value {
                keep(v);
            }
        }
        self.text = text;
        self.waste = 0;
    }

    /// Appends `s` to the item's text.
    fn store(&mut self, s: &str) -> Result<Span> {
        let at = self.text.len();
        if at
            .checked_add(s.len())
            .is_none_or(|end| end > u32::MAX as usize)
        {
            return Err(Error::new(
                ErrorKind::TooLarge,
                "the log item is over 4 GiB",
            ));
        }
        self.text.extend_from_slice(s.as_bytes());
        Ok(Span {
            at: at as u32,
            len: s.len() as u32,
        })
    }

    pub fn push_content(&mut self, key: &str, value: Value) -> Result<()> {
        self.push(Field::Content, key, value.as_ref())
    }

    pub fn push_label(&mut self, key: &str, value: Value) -> Result<()> {
        self.push(Field::Label, key, value.as_ref())
    }

    pub fn timestamp_ns(&self) -> Option<i64> {
        self.timestamp_ns
    }

    pub fn origin_msg(&self) -> Option<&str> {
        self.origin_msg.as_deref()
    }

    pub fn contents(&self) -> Fields<'_> {
        Fields {
            text: &self.text,
            entries: &self.contents.entries,
        }
    }

    pub fn labels(&self) -> Fields<'_> {
        Fields {
            text: &self.text,
            entries: &self.labels.entries,
        }
    }

    /// The bytes the item's text buffer holds (its fields' keys and strings, and any waste
    /// not yet compacted).
    pub fn text_bytes(&self) -> usize {
        self.text.len()
    }

    /// Refuses an item that lacks a required field, naming it.
    pub fn check_complete(&self, index: usize) -> Result<()> {
        let missing = if self.timestamp_ns.is_none() {
            "timestamp"
        } else if self.origin_msg.is_none() {
            "origin message"
        } else {
            return Ok(());
        };
        Err(Error::new(
            ErrorKind::InvalidValue,
            format!("log item {index} has no {missing} (both timestamp and origin message are required)"),
        ))
    }
}

impl Log for LogItem {
    const NAME: &'static str = "log item";
    const CHECKED: bool = true;

    fn time_ns(&self) -> Option<i64> {
        self.timestamp_ns
    }

    fn body(&self) -> Option<&[u8]> {
        self.origin_msg.as_deref().map(str::as_bytes)
    }

    fn content_fields(&self) -> impl Iterator<Item = (&[u8], RawValue<'_>)> + Clone {
        self.contents().raw()
    }

    fn label_fields(&self) -> impl Iterator<Item = (&[u8], RawValue<'_>)> + Clone {
        self.labels().raw()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    #[allow(clippy::approx_constant)] // the seed page's own literal
    fn the_seed_pages_own_bad_key_is_refused_by_name() {
        let mut item = LogItem::new();
        let err = item
            .push_content("area:", Value::Double(3.1415926))
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidKey);
        assert!(err.message.contains("\"area:\""), "{}", err.message);
        assert!(err.message.contains("':'"), "{}", err.message);
        assert!(item.contents().is_empty());
    }

    #[test]
    fn values_and_required_fields() {
        let mut item = LogItem::new();
        assert_eq!(
            item.push_content("k", Value::Str(String::new()))
                .unwrap_err()
                .kind,
            ErrorKind::InvalidValue
        );
        assert!(item.push_label("k", Value::Double(f64::NAN)).is_err());
        assert!(item.set_timestamp_ns(-1).is_err());
        assert!(item.set_origin_msg("").is_err());
        assert!(item
            .check_complete(0)
            .unwrap_err()
            .message
            .contains("timestamp"));
        item.set_timestamp_ns(1).unwrap();
        assert!(item
            .check_complete(3)
            .unwrap_err()
            .message
            .contains("origin message"));
        item.set_origin_msg("m").unwrap();
        item.check_complete(0).unwrap();
    }

    #[test]
    fn pushing_a_key_again_replaces_in_place() {
        let mut item = LogItem::new();
        item.push_content("a", Value::Int(1)).unwrap();
        item.push_content("b", Value::Int(2)).unwrap();
        item.push_content("a", Value::Str("x".into())).unwrap();
        assert_eq!(
            item.contents().to_vec(),
            vec![
                ("a".into(), Value::Str("x".into())),
                ("b".into(), Value::Int(2))
            ]
        );
        // Equality looks at the fields, not at the replaced bytes left in the item's text.
        let mut same = LogItem::new();
        same.push_content("a", Value::Str("x".into())).unwrap();
        same.push_content("b", Value::Int(2)).unwrap();
        assert_eq!(item, same);
        same.push_label("a", Value::Str("x".into())).unwrap();
        assert_ne!(item, same, "a label is not a content");
    }

    #[test]
    fn replacing_a_value_over_and_over_keeps_the_item_the_size_of_its_fields() {
        let mut item = LogItem::new();
        item.push_content("other", Value::Str("o".repeat(10)))
            .unwrap();
        let long = "v".repeat(1025);
        for i in 0..200_000 {
            // Alternately a value that fits in the last one's bytes and one that does not.
            let v = &long[..1024 + (i % 2)];
            item.push(Field::Content, "k", ValueRef::Str(v)).unwrap();
            item.push(Field::Label, "n", ValueRef::Int(i as i64))
                .unwrap();
            assert!(
                item.text_bytes() < 8 * 1024,
                "{} bytes after {i}",
                item.text_bytes()
            );
        }
        let fields = item.contents().to_vec();
        assert_eq!(fields[0], ("other".into(), Value::Str("o".repeat(10))));
        assert_eq!(fields[1], ("k".into(), Value::Str(long[..1025].to_owned())));
        assert_eq!(
            item.labels().to_vec(),
            vec![("n".into(), Value::Int(199_999))]
        );
    }

    #[test]
    fn an_item_with_many_distinct_keys_is_built_with_linear_work() {
        let keys: Vec<String> = (0..20_000).map(|i| format!("k{i}")).collect();
        let mut item = LogItem::new();
        KEY_COMPARISONS.with(|c| c.set(0));
        for (i, k) in keys.iter().enumerate() {
            item.push_content(k, Value::Int(i as i64)).unwrap();
        }
        for k in &keys {
            item.push_content(k, Value::Str("again".into())).unwrap();
        }
        let compared = KEY_COMPARISONS.with(|c| c.get());
        // A scan per push would compare about n²/2 = 200,000,000 times.
        assert!(
            compared < 4 * 2 * keys.len() as u64,
            "{compared} key comparisons"
        );
        let fields = item.contents();
        assert_eq!(fields.len(), keys.len());
        assert!(fields
            .iter()
            .zip(&keys)
            .all(|((k, v), want)| k == want && v == ValueRef::Str("again")));
    }
}
