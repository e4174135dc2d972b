//! JS logs (`{timestamp, message, contents: {...}, labels: {...}}`) read into the core's
//! `LogItem`s; every key and value is checked by the core's rules as it is pushed, so a bad
//! one is refused naming the log, the field and the key.

use lts::error::{Error, ErrorKind};
use lts::log_item::ValueRef;
use lts::rules::Field;
use napi::{
    Env, JsBigInt, JsBoolean, JsDate, JsNumber, JsObject, JsString, JsUnknown, NapiRaw, ValueType,
};

use crate::errors::{throw, OrThrow};
use crate::options::type_name;

/// Reads JS strings into one reused buffer: one copy, straight from V8.
pub struct Reader {
    env: Env,
    buf: Vec<u8>,
    /// Lenient reading (the log handlers): a field the core refuses is left out and its
    /// reason kept here, instead of refusing the log.
    pub refused: Option<Vec<String>>,
}

impl Reader {
    pub fn new(env: Env) -> Self {
        Reader {
            env,
            buf: Vec::with_capacity(256),
            refused: None,
        }
    }

    /// The string's UTF-8 (V8 replaces lone surrogates with U+FFFD).
    fn read(&mut self, s: &JsString) -> napi::Result<&str> {
        let (env, raw) = (self.env.raw(), unsafe { s.raw() });
        let mut len = 0usize;
        // A first try into the buffer as it is; a longer string is measured and read again.
        let cap = self.buf.capacity().max(64);
        self.buf.clear();
        self.buf.reserve(cap);
        // SAFETY: the buffer holds `cap` writable bytes; napi writes at most cap-1 and a NUL.
        let st = unsafe {
            napi::sys::napi_get_value_string_utf8(
                env,
                raw,
                self.buf.as_mut_ptr().cast(),
                cap,
                &mut len,
            )
        };
        check(st)?;
        if len + 1 >= cap {
            // SAFETY: a NULL buffer asks for the length only.
            check(unsafe {
                napi::sys::napi_get_value_string_utf8(env, raw, std::ptr::null_mut(), 0, &mut len)
            })?;
            self.buf.reserve(len + 1);
            // SAFETY: as above, with room for len bytes and the NUL.
            check(unsafe {
                napi::sys::napi_get_value_string_utf8(
                    env,
                    raw,
                    self.buf.as_mut_ptr().cast(),
                    len + 1,
                    &mut len,
                )
            })?;
        }
        // SAFETY: napi wrote len bytes of UTF-8.
        unsafe { self.buf.set_len(len) };
        std::str::from_utf8(&self.buf)
            .map_err(|_| napi::Error::new(napi::Status::StringExpected, "a string was not UTF-8"))
    }

    pub fn string(&mut self, v: &JsUnknown) -> napi::Result<&str> {
        // SAFETY: the caller checked that v is a string.
        let s: JsString = unsafe { v.cast() };
        self.read(&s)
    }
}

fn check(st: napi::sys::napi_status) -> napi::Result<()> {
    if st == napi::sys::Status::napi_ok {
        Ok(())
    } else {
        Err(napi::Error::from_status(napi::Status::from(st)))
    }
}

fn refuse(env: &Env, kind: ErrorKind, message: String) -> napi::Error {
    throw(env, &Error::new(kind, message))
}

/// JS numbers that are whole and exactly representable travel as integers, others as doubles.
fn number_value(f: f64) -> ValueRef<'static> {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    if f.fract() == 0.0 && f.abs() <= EXACT {
        ValueRef::Int(f as i64)
    } else {
        ValueRef::Double(f)
    }
}

/// Nanoseconds since the epoch from a bigint (ns), a number (ms, as Date.now()), a Date, or
/// now when it is left out.
fn timestamp(env: &Env, v: JsUnknown, index: usize) -> napi::Result<i64> {
    let bad = |what: String| {
        refuse(
            env,
            ErrorKind::InvalidValue,
            format!("log {index}: timestamp {what}: a bigint of nanoseconds, a number of milliseconds or a Date since the epoch"),
        )
    };
    let ms = match v.get_type()? {
        ValueType::Undefined => return Ok(lts::util::now_ns()),
        ValueType::BigInt => {
            // SAFETY: checked to be a bigint.
            let b: JsBigInt = unsafe { v.cast() };
            let (ns, lossless) = b.get_i64()?;
            if !lossless || ns < 0 {
                return Err(bad("out of range".into()));
            }
            return Ok(ns);
        }
        ValueType::Number => {
            // SAFETY: checked to be a number.
            let n: JsNumber = unsafe { v.cast() };
            n.get_double()?
        }
        ValueType::Object if v.is_date()? => {
            // SAFETY: checked to be a Date.
            let d: JsDate = unsafe { v.cast() };
            d.value_of()?
        }
        t => return Err(bad(format!("is a {}", type_name(t)))),
    };
    if !ms.is_finite() || !(0.0..9.2e12).contains(&ms) {
        return Err(bad(format!("{ms} is out of range")));
    }
    // Whole milliseconds exactly (ms * 1e6 in a double would round them); the fraction to
    // the nearest nanosecond.
    Ok(ms.trunc() as i64 * 1_000_000 + (ms.fract() * 1e6).round() as i64)
}

/// Pushes an object's fields (`contents` or `labels`); undefined values are left out (as
/// JSON.stringify leaves them out).
fn fields(
    r: &mut Reader,
    item: &mut lts::LogItem,
    field: Field,
    o: JsUnknown,
    index: usize,
) -> napi::Result<()> {
    let env = r.env;
    let what = match field {
        Field::Content => "contents",
        Field::Label => "labels",
    };
    match o.get_type()? {
        ValueType::Undefined | ValueType::Null => return Ok(()),
        ValueType::Object if !o.is_array()? => {}
        t => {
            return Err(refuse(
                &env,
                ErrorKind::InvalidArgument,
                format!(
                    "log {index}: {what} must be an object of key: value, not {}",
                    if t == ValueType::Object {
                        "an array"
                    } else {
                        type_name(t)
                    }
                ),
            ))
        }
    }
    // SAFETY: checked to be an object.
    let o: JsObject = unsafe { o.cast() };
    let keys = o.get_property_names()?;
    let mut key = String::new();
    for i in 0..keys.get_array_length()? {
        let k: JsString = keys.get_element(i)?;
        key.clear();
        key.push_str(r.read(&k)?);
        let v: JsUnknown = o.get_property(k)?;
        let pushed = match v.get_type()? {
            ValueType::Undefined => continue,
            ValueType::String => {
                let s = r.string(&v)?;
                item.push(field, &key, ValueRef::Str(s))
            }
            ValueType::Number => {
                // SAFETY: checked to be a number.
                let n: JsNumber = unsafe { v.cast() };
                item.push(field, &key, number_value(n.get_double()?))
            }
            ValueType::BigInt => {
                // SAFETY: checked to be a bigint.
                let b: JsBigInt = unsafe { v.cast() };
                match b.get_i64()? {
                    (i, true) => item.push(field, &key, ValueRef::Int(i)),
                    _ => Err(Error::new(
                        ErrorKind::InvalidValue,
                        format!("{what} {key:?}: the bigint does not fit a 64-bit integer"),
                    )),
                }
            }
            ValueType::Boolean => {
                // SAFETY: checked to be a boolean.
                let b: JsBoolean = unsafe { v.cast() };
                let text = if b.get_value()? { "true" } else { "false" };
                item.push(field, &key, ValueRef::Str(text))
            }
            t => Err(Error::new(
                ErrorKind::InvalidValue,
                format!(
                    "{what} {key:?}: a value must be a string, number, bigint or boolean, not {}",
                    type_name(t)
                ),
            )),
        };
        let pushed = pushed.map_err(|e| Error::new(e.kind, format!("log {index}: {}", e.message)));
        match (pushed, &mut r.refused) {
            (Err(e), Some(refused)) => refused.push(e.message),
            (r, _) => r.or_throw(&env)?,
        }
    }
    Ok(())
}

/// One log object.
fn item(r: &mut Reader, v: JsUnknown, index: usize) -> napi::Result<lts::LogItem> {
    let env = r.env;
    if v.get_type()? != ValueType::Object || v.is_array()? {
        return Err(refuse(
            &env,
            ErrorKind::InvalidArgument,
            format!(
                "log {index}: a log must be an object {{timestamp, message, contents, labels}}"
            ),
        ));
    }
    // SAFETY: checked to be an object.
    let o: JsObject = unsafe { v.cast() };
    let mut item = lts::LogItem::with_capacity(256, 8, 2);
    let ns = timestamp(&env, o.get_named_property("timestamp")?, index)?;
    item.set_timestamp_ns(ns).or_throw(&env)?;
    let msg: JsUnknown = o.get_named_property("message")?;
    if msg.get_type()? != ValueType::String {
        return Err(refuse(
            &env,
            ErrorKind::InvalidValue,
            format!(
                "log {index}: message must be a non-empty string, not {}",
                type_name(msg.get_type()?)
            ),
        ));
    }
    let text = r.string(&msg)?;
    item.set_origin_msg(text)
        .map_err(|e| Error::new(e.kind, format!("log {index}: {}", e.message)))
        .or_throw(&env)?;
    fields(
        r,
        &mut item,
        Field::Content,
        o.get_named_property("contents")?,
        index,
    )?;
    fields(
        r,
        &mut item,
        Field::Label,
        o.get_named_property("labels")?,
        index,
    )?;
    Ok(item)
}

/// A log or an array of logs.
pub fn items(env: Env, v: JsUnknown) -> napi::Result<Vec<lts::LogItem>> {
    items_with(&mut Reader::new(env), v)
}

pub fn items_with(r: &mut Reader, v: JsUnknown) -> napi::Result<Vec<lts::LogItem>> {
    let env = r.env;
    if v.get_type()? == ValueType::Object && v.is_array()? {
        // SAFETY: checked to be an array.
        let arr: JsObject = unsafe { v.cast() };
        let n = arr.get_array_length()?;
        if n == 0 {
            return Err(refuse(
                &env,
                ErrorKind::InvalidArgument,
                "no logs: the array is empty".into(),
            ));
        }
        let mut out = Vec::with_capacity(n as usize);
        for i in 0..n {
            out.push(item(r, arr.get_element(i)?, i as usize)?);
        }
        Ok(out)
    } else {
        Ok(vec![item(r, v, 0)?])
    }
}

/// A project or unit name argument.
pub fn name(env: &Env, v: JsUnknown, what: &str) -> napi::Result<String> {
    if v.get_type()? != ValueType::String {
        return Err(refuse(
            env,
            ErrorKind::InvalidArgument,
            format!("{what} must be a string, not {}", type_name(v.get_type()?)),
        ));
    }
    let mut r = Reader::new(*env);
    Ok(r.string(&v)?.to_owned())
}
