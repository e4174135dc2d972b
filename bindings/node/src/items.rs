//! Logs arrive packed by pack.js in the C API's packed layout (src/packed.rs), one buffer per
//! call: the core reads, checks and encodes them in place. This module reads the other
//! arguments and checks single fields for the log handlers.

use lts::error::{Error, ErrorKind};
use lts::log_item::ValueRef;
use lts::rules::Field;
use napi::{Env, JsBuffer, JsBufferValue, JsUnknown, NapiRaw, ValueType};

use crate::errors::throw;
use crate::options::type_name;

fn refuse(env: &Env, kind: ErrorKind, message: String) -> napi::Error {
    throw(env, &Error::new(kind, message))
}

/// A project or unit name argument, read into `scratch` (no allocation: a send reads two).
pub fn name<'a>(
    env: &Env,
    v: JsUnknown,
    what: &str,
    scratch: &'a mut [u8; 256],
) -> napi::Result<std::borrow::Cow<'a, str>> {
    let mut len = 0usize;
    // SAFETY: scratch holds 256 writable bytes; napi writes at most 255 and a NUL.
    let st = unsafe {
        napi::sys::napi_get_value_string_utf8(
            env.raw(),
            v.raw(),
            scratch.as_mut_ptr().cast(),
            scratch.len(),
            &mut len,
        )
    };
    if st == napi::sys::Status::napi_string_expected {
        return Err(refuse(
            env,
            ErrorKind::InvalidArgument,
            format!("{what} must be a string, not {}", type_name(v.get_type()?)),
        ));
    }
    if st != napi::sys::Status::napi_ok {
        return Err(napi::Error::from_status(napi::Status::from(st)));
    }
    if len + 1 < scratch.len() {
        // napi writes whole UTF-8 sequences, so a string that fit is valid as it is.
        return Ok(String::from_utf8_lossy(&scratch[..len]));
    }
    // As long as the buffer or longer: read it whole (the core refuses names this long,
    // and says so).
    Ok(std::borrow::Cow::Owned(
        v.coerce_to_string()?.into_utf8()?.into_owned()?,
    ))
}

/// pack.js's buffer and the length it filled (the buffer is reused, so it is longer).
pub struct Packed {
    value: JsBufferValue,
    len: usize,
    pub count: usize,
}

impl Packed {
    pub fn new(env: &Env, buf: JsBuffer, len: u32, count: u32) -> napi::Result<Self> {
        let value = buf.into_value()?;
        let len = len as usize;
        if len > value.len() || count == 0 {
            return Err(refuse(
                env,
                ErrorKind::InvalidArgument,
                format!(
                    "packed logs: {len} bytes of a {}-byte buffer, {count} logs",
                    value.len()
                ),
            ));
        }
        Ok(Packed {
            value,
            len,
            count: count as usize,
        })
    }

    pub fn bytes(&self) -> &[u8] {
        &self.value[..self.len]
    }
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
