//! `LogItem`: one log, its fields and the documented key/value rules.

use crate::error::{Error, ErrorKind, Result};
use crate::profile::MAX_KEY_CHARS;

/// A content or label value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    Int(i64),
    Double(f64),
}

impl Value {
    /// Identity for grouping labels: same type and same bits (so `NaN`s never appear and
    /// `0.0`/`-0.0` stay distinct, as the encoder writes them).
    pub(crate) fn same_as(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Str(a), Value::Str(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Double(a), Value::Double(b)) => a.to_bits() == b.to_bits(),
            _ => false,
        }
    }
}

/// Which list a key belongs to; only used to word error messages.
#[derive(Debug, Clone, Copy)]
pub enum Field {
    Content,
    Label,
}

impl Field {
    fn name(self) -> &'static str {
        match self {
            Field::Content => "content",
            Field::Label => "label",
        }
    }
}

/// One log: a timestamp in nanoseconds, the origin message, contents and labels.
///
/// Contents and labels keep first-push order; pushing a key again replaces its value in
/// place (the seed SDK's contents are a dict).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogItem {
    timestamp_ns: Option<i64>,
    origin_msg: Option<String>,
    contents: Vec<(String, Value)>,
    labels: Vec<(String, Value)>,
}

/// Checks a key against the documented rules: 1 to 64 characters, only ASCII letters,
/// digits, `_`, `-` and `.`, the first a letter. The error names the key.
pub fn check_key(field: Field, key: &str) -> Result<()> {
    let why = if key.is_empty() {
        Some("it is empty".to_owned())
    } else if key.chars().count() > MAX_KEY_CHARS {
        Some(format!("it is longer than {MAX_KEY_CHARS} characters"))
    } else if !key.as_bytes()[0].is_ascii_alphabetic() {
        Some("it must start with a letter".to_owned())
    } else {
        key.chars()
            .find(|&c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
            .map(|c| format!("{c:?} is not allowed (only letters, digits, '_', '-' and '.')"))
    };
    match why {
        None => Ok(()),
        Some(why) => Err(Error::new(
            ErrorKind::InvalidKey,
            format!("invalid {} key {key:?}: {why}", field.name()),
        )),
    }
}

/// Checks a value: strings must not be empty; doubles must be finite (the service stores
/// values as JSON numbers, which have no NaN or infinity).
pub fn check_value(field: Field, key: &str, value: &Value) -> Result<()> {
    let why = match value {
        Value::Str(s) if s.is_empty() => "the value is empty",
        Value::Double(d) if !d.is_finite() => "the value is not a finite number",
        _ => return Ok(()),
    };
    Err(Error::new(
        ErrorKind::InvalidValue,
        format!("invalid {} {key:?}: {why}", field.name()),
    ))
}

fn upsert(list: &mut Vec<(String, Value)>, key: &str, value: Value) {
    match list.iter_mut().find(|(k, _)| k == key) {
        Some((_, v)) => *v = value,
        None => list.push((key.to_owned(), value)),
    }
}

impl LogItem {
    pub fn new() -> Self {
        Self::default()
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
        self.origin_msg = Some(msg.to_owned());
        Ok(())
    }

    pub fn push(&mut self, field: Field, key: &str, value: Value) -> Result<()> {
        check_key(field, key)?;
        check_value(field, key, &value)?;
        let list = match field {
            Field::Content => &mut self.contents,
            Field::Label => &mut self.labels,
        };
        upsert(list, key, value);
        Ok(())
    }

    pub fn push_content(&mut self, key: &str, value: Value) -> Result<()> {
        self.push(Field::Content, key, value)
    }

    pub fn push_label(&mut self, key: &str, value: Value) -> Result<()> {
        self.push(Field::Label, key, value)
    }

    pub fn timestamp_ns(&self) -> Option<i64> {
        self.timestamp_ns
    }

    pub fn origin_msg(&self) -> Option<&str> {
        self.origin_msg.as_deref()
    }

    pub fn contents(&self) -> &[(String, Value)] {
        &self.contents
    }

    pub fn labels(&self) -> &[(String, Value)] {
        &self.labels
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn key_rules() {
        for good in ["a", "level", "A.b-c_d9", &"k".repeat(64)] {
            check_key(Field::Content, good).unwrap();
        }
        for bad in [
            "",
            "9lives",
            "_x",
            "-x",
            ".x",
            "has space",
            "a:b",
            "ключ",
            "é",
            &"k".repeat(65),
        ] {
            let e = check_key(Field::Label, bad).unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidKey, "{bad}");
            assert!(e.message.contains(&format!("{bad:?}")), "{}", e.message);
        }
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
            item.contents(),
            &[
                ("a".into(), Value::Str("x".into())),
                ("b".into(), Value::Int(2))
            ]
        );
    }
}
