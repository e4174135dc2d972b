//! Logs arrive packed by pack.js in the C API's packed layout (src/packed.rs), after their
//! target, one buffer per call: the core reads, checks and encodes them in place. This module
//! splits the buffer and checks single fields for the log handlers.

use lts::error::{Error, ErrorKind};
use lts::log_item::ValueRef;
use lts::rules::Field;
use napi::{Env, JsBuffer, JsBufferValue, JsUnknown, ValueType};

use crate::errors::throw;
use crate::options::type_name;

fn refuse(env: &Env, kind: ErrorKind, message: String) -> napi::Error {
    throw(env, &Error::new(kind, message))
}

/// pack.js's buffer and the length it filled (the buffer is reused, so it is longer): the
/// send's target (the log project and unit, each a u32 byte length and its UTF-8), then
/// `count` items in the packed layout, whole (`text_at` 0), or without their strings, which
/// follow from `text_at` on, in order (see pack.js's packFast).
pub struct Packed {
    value: JsBufferValue,
    len: usize,
    text_at: usize,
    pub count: usize,
}

thread_local! {
    /// Where a send's strings are put back in place, reused from send to send.
    static LAYOUT: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl Packed {
    pub fn new(env: &Env, buf: JsBuffer, len: u32, text_at: u32, count: u32) -> napi::Result<Self> {
        let value = buf.into_value()?;
        let (len, text_at) = (len as usize, text_at as usize);
        if len > value.len() || text_at > len || count == 0 {
            return Err(refuse(
                env,
                ErrorKind::InvalidArgument,
                format!(
                    "packed logs: {len} bytes of a {}-byte buffer, strings at {text_at}, {count} logs",
                    value.len()
                ),
            ));
        }
        Ok(Packed {
            value,
            len,
            text_at,
            count: count as usize,
        })
    }

    /// Runs `f(project, unit, items)` with the items in the packed layout.
    pub fn with_parts<R>(
        &self,
        env: &Env,
        f: impl FnOnce(&str, &str, &[u8]) -> napi::Result<R>,
    ) -> napi::Result<R> {
        let end = if self.text_at == 0 {
            self.len
        } else {
            self.text_at
        };
        let b = &self.value[..end];
        let (project, rest) = name(env, b, "log project")?;
        let (unit, items) = name(env, rest, "log unit")?;
        if self.text_at == 0 {
            return f(project, unit, items);
        }
        let text = &self.value[self.text_at..self.len];
        LAYOUT.with(|cell| {
            // Another send on this thread while one is in the core (from a log handler) gets
            // a buffer of its own.
            let mut mine = cell.try_borrow_mut().ok();
            let mut fresh = Vec::new();
            let out = mine.as_deref_mut().unwrap_or(&mut fresh);
            out.clear();
            if interleave(items, text, self.count, out).is_none() {
                return Err(refuse(
                    env,
                    ErrorKind::InvalidArgument,
                    "packed logs: the strings out of line do not match their lengths".into(),
                ));
            }
            let r = f(project, unit, out);
            if out.capacity() > 1 << 20 {
                *out = Vec::new();
            }
            r
        })
    }
}

/// Writes `count` items into `out` in the packed layout: `layout` is that layout with each
/// string's bytes left out (its length in place), `text` those bytes, in order. `None` when
/// they do not fit each other exactly.
fn interleave(layout: &[u8], text: &[u8], count: usize, out: &mut Vec<u8>) -> Option<()> {
    out.reserve(layout.len() + text.len());
    let (mut at, mut t) = (0usize, 0usize);
    let copy = |n: usize, at: &mut usize, out: &mut Vec<u8>| -> Option<()> {
        out.extend_from_slice(layout.get(*at..at.checked_add(n)?)?);
        *at += n;
        Some(())
    };
    let u32_at = |at: usize| -> Option<usize> {
        Some(u32::from_le_bytes(layout.get(at..at.checked_add(4)?)?.try_into().ok()?) as usize)
    };
    // A string: its length (kept), then its bytes from the text.
    let string = |at: &mut usize, t: &mut usize, out: &mut Vec<u8>| -> Option<()> {
        let n = u32_at(*at)?;
        out.extend_from_slice(&layout[*at..*at + 4]);
        *at += 4;
        out.extend_from_slice(text.get(*t..t.checked_add(n)?)?);
        *t += n;
        Some(())
    };
    for _ in 0..count {
        copy(8, &mut at, out)?; // the timestamp
        string(&mut at, &mut t, out)?; // the message
        for _list in 0..2 {
            let n = u32_at(at)?;
            copy(4, &mut at, out)?;
            for _ in 0..n {
                let ty = *layout.get(at)?;
                copy(1, &mut at, out)?;
                string(&mut at, &mut t, out)?; // the key
                match ty {
                    lts::packed::TYPE_STR => string(&mut at, &mut t, out)?,
                    lts::packed::TYPE_I64 | lts::packed::TYPE_F64 => copy(8, &mut at, out)?,
                    _ => return None,
                }
            }
        }
    }
    (at == layout.len() && t == text.len()).then_some(())
}

fn name<'a>(env: &Env, b: &'a [u8], what: &str) -> napi::Result<(&'a str, &'a [u8])> {
    let cut = || {
        refuse(
            env,
            ErrorKind::InvalidArgument,
            format!("packed logs: the {what} is cut short"),
        )
    };
    let n = b.get(..4).ok_or_else(cut)?;
    let n = u32::from_le_bytes(n.try_into().expect("4 bytes")) as usize;
    let text = b.get(4..).and_then(|r| r.get(..n)).ok_or_else(cut)?;
    let text = std::str::from_utf8(text).map_err(|_| {
        refuse(
            env,
            ErrorKind::InvalidArgument,
            format!("the {what} is not UTF-8"),
        )
    })?;
    Ok((text, &b[4 + n..]))
}

/// Whether the core takes `key: value` as a content (or label): the reason if it does not.
/// Values as pack.js lays them out.
pub fn check_field(label: bool, key: &str, v: JsUnknown) -> napi::Result<Option<String>> {
    let field = if label { Field::Label } else { Field::Content };
    let mut item = lts::LogItem::new();
    let text;
    let value = match v.get_type()? {
        ValueType::String => {
            text = v.coerce_to_string()?.into_utf8()?.into_owned()?;
            ValueRef::Str(&text)
        }
        ValueType::Number => {
            let f = v.coerce_to_number()?.get_double()?;
            if f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0 {
                ValueRef::Int(f as i64)
            } else {
                ValueRef::Double(f)
            }
        }
        ValueType::Boolean => ValueRef::Str("true"),
        // Its range is pack.js's to check; here only the key's rules matter.
        ValueType::BigInt => ValueRef::Int(0),
        t => {
            return Ok(Some(format!(
                "{key:?}: a value must be a string, number, bigint or boolean, not {}",
                type_name(t)
            )))
        }
    };
    Ok(item.push(field, key, value).err().map(|e| e.message))
}
