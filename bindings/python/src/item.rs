//! `LogItem`: the official SDK's item, held in the core's own `LogItem`. Each field is
//! checked by the core's rules as it is pushed (so a bad key raises where it is written) and
//! stored once, in the form the encoder reads; a send hands the core these items as they are.

use lts::error::ErrorKind;
use lts::log_item::ValueRef;
use lts::rules::Field;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

use crate::errors::{exception, OrRaise};
use crate::text::utf8;

/// One log: a timestamp (ns since the epoch) and an origin message are required; contents
/// and labels map keys (str) to str, int or float values (any other value travels as its
/// `str()`). Keys and values are checked by liblts's rules when pushed.
#[pyclass(module = "lts", name = "LogItem")]
#[derive(Default)]
pub struct LogItem {
    pub(crate) inner: lts::LogItem,
}

/// The value as the core stores it: str, int, float; bool and other types as their str().
fn push(
    item: &mut lts::LogItem,
    field: Field,
    key: &Bound<'_, PyAny>,
    value: &Bound<'_, PyAny>,
) -> PyResult<()> {
    let py = key.py();
    let Ok(key_str) = key.cast::<PyString>() else {
        let shown = key.repr().map(|r| r.to_string()).unwrap_or_default();
        let what = field_name(field);
        return Err(exception(
            py,
            ErrorKind::InvalidKey,
            &format!("{what} key {shown} must be a str, not {}", type_name(key)),
        ));
    };
    let key = utf8(key_str)?;
    let r = if let Ok(s) = value.cast_exact::<PyString>() {
        item.push(field, key, ValueRef::Str(utf8(s)?))
    } else if let Ok(f) = value.cast_exact::<PyFloat>() {
        item.push(field, key, ValueRef::Double(f.value()))
    } else if value.is_instance_of::<PyBool>() {
        let text = if value.is_truthy()? { "True" } else { "False" };
        item.push(field, key, ValueRef::Str(text))
    } else if value.is_instance_of::<PyInt>() {
        let Ok(i) = value.extract::<i64>() else {
            return Err(exception(
                py,
                ErrorKind::InvalidValue,
                &format!(
                    "{} {key:?}: {value} does not fit a 64-bit integer",
                    field_name(field)
                ),
            ));
        };
        item.push(field, key, ValueRef::Int(i))
    } else if let Ok(f) = value.cast::<PyFloat>() {
        item.push(field, key, ValueRef::Double(f.value()))
    } else {
        let text = value.str()?;
        item.push(field, key, ValueRef::Str(utf8(&text)?))
    };
    r.or_raise(py)
}

fn field_name(field: Field) -> &'static str {
    match field {
        Field::Content => "content",
        Field::Label => "label",
    }
}

fn type_name(v: &Bound<'_, PyAny>) -> String {
    v.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into())
}

fn to_dict<'py>(
    py: Python<'py>,
    fields: lts::log_item::Fields<'_>,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (k, v) in fields.iter() {
        match v {
            ValueRef::Str(s) => d.set_item(k, s)?,
            ValueRef::Int(i) => d.set_item(k, i)?,
            ValueRef::Double(f) => d.set_item(k, f)?,
        }
    }
    Ok(d)
}

#[pymethods]
impl LogItem {
    #[new]
    fn new() -> Self {
        // Room for a typical log's fields from the start (see lts::LogItem::with_capacity).
        Self {
            inner: lts::LogItem::with_capacity(256, 8, 2),
        }
    }

    /// Nanoseconds since the epoch (an int, 0 <= t < 2**63).
    fn set_log_timestamp(&mut self, py: Python<'_>, timestamp: &Bound<'_, PyAny>) -> PyResult<()> {
        let ns = if timestamp.is_instance_of::<PyBool>() {
            None
        } else {
            timestamp.extract::<i64>().ok()
        };
        let Some(ns) = ns else {
            return Err(exception(
                py,
                ErrorKind::InvalidValue,
                &format!(
                    "invalid timestamp {}: an int of nanoseconds since the epoch (0 <= t < 2**63)",
                    timestamp.repr()?
                ),
            ));
        };
        self.inner.set_timestamp_ns(ns).or_raise(py)
    }

    /// The origin message (a str; other values are sent as their str()). It must not be empty.
    fn set_origin_msg(&mut self, py: Python<'_>, msg: &Bound<'_, PyAny>) -> PyResult<()> {
        let text = match msg.cast::<PyString>() {
            Ok(s) => s.clone(),
            Err(_) => msg.str()?,
        };
        self.inner.set_origin_msg(utf8(&text)?).or_raise(py)
    }

    fn contents_push_back(
        &mut self,
        key: &Bound<'_, PyAny>,
        value: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        push(&mut self.inner, Field::Content, key, value)
    }

    fn labels_push_back(
        &mut self,
        key: &Bound<'_, PyAny>,
        value: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        push(&mut self.inner, Field::Label, key, value)
    }

    /// Replaces the contents with a mapping's items (in its order).
    fn set_contents(&mut self, contents: &Bound<'_, PyAny>) -> PyResult<()> {
        self.replace(Field::Content, contents)
    }

    /// Replaces the labels with a mapping's items (in its order).
    fn set_labels(&mut self, labels: &Bound<'_, PyAny>) -> PyResult<()> {
        self.replace(Field::Label, labels)
    }

    fn get_log_timestamp(&self) -> Option<i64> {
        self.inner.timestamp_ns()
    }

    fn get_origin_msg(&self) -> Option<&str> {
        self.inner.origin_msg()
    }

    fn get_contents<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        to_dict(py, self.inner.contents())
    }

    fn get_labels<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        to_dict(py, self.inner.labels())
    }

    fn __repr__(&self) -> String {
        format!(
            "LogItem(timestamp={:?}, origin_msg={:?}, {} contents, {} labels)",
            self.inner.timestamp_ns(),
            self.inner.origin_msg(),
            self.inner.contents().len(),
            self.inner.labels().len()
        )
    }
}

impl LogItem {
    /// A new item with the other field's entries kept and this one's from `mapping`: the
    /// whole item is checked again, so a bad entry leaves the old item as it was.
    fn replace(&mut self, field: Field, mapping: &Bound<'_, PyAny>) -> PyResult<()> {
        let py = mapping.py();
        let mut fresh = lts::LogItem::new();
        if let Some(ts) = self.inner.timestamp_ns() {
            fresh.set_timestamp_ns(ts).or_raise(py)?;
        }
        if let Some(m) = self.inner.origin_msg() {
            fresh.set_origin_msg(m).or_raise(py)?;
        }
        let other = match field {
            Field::Content => (Field::Label, self.inner.labels()),
            Field::Label => (Field::Content, self.inner.contents()),
        };
        for (k, v) in other.1.iter() {
            fresh.push(other.0, k, v).or_raise(py)?;
        }
        // dict(mapping): a mapping, or pairs, in their order.
        let items = py
            .get_type::<PyDict>()
            .call1((mapping,))?
            .cast_into::<PyDict>()?;
        for (k, v) in items.iter() {
            push(&mut fresh, field, &k, &v)?;
        }
        self.inner = fresh;
        Ok(())
    }
}

/// Runs `f` on the core's items of `log_items` (one LogItem, or a list or tuple or iterable
/// of them), borrowed for the call: up to 16 without an allocation.
pub fn with_items<R>(
    log_items: &Bound<'_, PyAny>,
    f: impl FnOnce(&[&lts::LogItem]) -> R,
) -> PyResult<R> {
    let py = log_items.py();
    if let Ok(one) = log_items.cast_exact::<LogItem>() {
        let one = one.borrow();
        return Ok(f(&[&one.inner]));
    }
    let not_item = |v: &Bound<'_, PyAny>| {
        exception(
            py,
            ErrorKind::InvalidArgument,
            &format!(
                "log_items must be a LogItem or hold LogItem objects, not {}",
                type_name(v)
            ),
        )
    };
    type Few<T> = smallvec::SmallVec<[T; 16]>;
    let seq: Few<Bound<'_, PyAny>> = if let Ok(l) = log_items.cast::<PyList>() {
        l.iter().collect()
    } else if let Ok(t) = log_items.cast::<PyTuple>() {
        t.iter().collect()
    } else {
        let iter = log_items.try_iter().map_err(|_| not_item(log_items))?;
        iter.collect::<PyResult<_>>()?
    };
    let mut held: Few<PyRef<'_, LogItem>> = Few::with_capacity(seq.len());
    for v in &seq {
        match v.cast::<LogItem>() {
            Ok(it) => held.push(it.borrow()),
            Err(_) => return Err(not_item(v)),
        }
    }
    let refs: Few<&lts::LogItem> = held.iter().map(|h| &h.inner).collect();
    Ok(f(&refs))
}
