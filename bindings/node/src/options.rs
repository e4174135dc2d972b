//! Options objects (`{linger_ms: 100, compress_type: "none"}`) applied to the core's configs
//! by the core's option table: the keys are CONFIGURATION.md's, checked by the core, which
//! names the key, the value and what it accepts.

use lts::options::{self, Opt, CLIENT, PRODUCER};
use napi::{Env, JsObject, JsString, JsUnknown, ValueType};

use crate::errors::{invalid, OrThrow};

/// The four settings a client config cannot be made without.
const REQUIRED: [&str; 4] = ["endpoint", "access_key", "secret_key", "log_project"];

/// A value as the option table takes it: strings as they are, numbers and booleans as their
/// text, an array as its elements' text joined by commas (no_retry_status_code).
fn text(env: &Env, key: &str, v: JsUnknown) -> napi::Result<String> {
    let bad = |what: &str| invalid(env, format!("option {key}: {what}"));
    match v.get_type()? {
        ValueType::String | ValueType::Number | ValueType::Boolean | ValueType::BigInt => {
            Ok(v.coerce_to_string()?.into_utf8()?.into_owned()?)
        }
        ValueType::Object if v.is_array()? => {
            // SAFETY: checked to be an object just above.
            let arr: JsObject = unsafe { v.cast() };
            let mut parts = Vec::new();
            for i in 0..arr.get_array_length()? {
                let e: JsUnknown = arr.get_element(i)?;
                match e.get_type()? {
                    ValueType::String | ValueType::Number => {
                        parts.push(e.coerce_to_string()?.into_utf8()?.into_owned()?)
                    }
                    _ => return Err(bad("an array's elements must be numbers or strings")),
                }
            }
            Ok(parts.join(","))
        }
        t => Err(bad(&format!(
            "a value must be a string, number or boolean, not {}",
            type_name(t)
        ))),
    }
}

pub fn type_name(t: ValueType) -> &'static str {
    match t {
        ValueType::Undefined => "undefined",
        ValueType::Null => "null",
        ValueType::Boolean => "boolean",
        ValueType::Number => "number",
        ValueType::String => "string",
        ValueType::Symbol => "symbol",
        ValueType::Object => "object",
        ValueType::Function => "function",
        ValueType::External => "external",
        ValueType::BigInt => "bigint",
        _ => "unknown",
    }
}

/// The object's own keys with values that are not undefined (an option left out).
fn entries(env: &Env, o: &JsObject, what: &str) -> napi::Result<Vec<(String, JsUnknown)>> {
    let keys = o.get_property_names()?;
    let mut out = Vec::new();
    for i in 0..keys.get_array_length()? {
        let k: JsString = keys.get_element(i)?;
        let k = k.into_utf8()?.into_owned()?;
        let v: JsUnknown = o.get_named_property(&k)?;
        if v.get_type()? == ValueType::Undefined {
            continue;
        }
        if k.is_empty() {
            return Err(invalid(env, format!("{what} options: an empty key")));
        }
        out.push((k, v));
    }
    Ok(out)
}

fn apply<C>(
    env: &Env,
    table: &'static [Opt<C>],
    what: &str,
    cfg: &mut C,
    pairs: Vec<(String, JsUnknown)>,
) -> napi::Result<()> {
    for (k, v) in pairs {
        let value = text(env, &k, v)?;
        options::set(table, what, cfg, &k, &value).or_throw(env)?;
    }
    Ok(())
}

/// A client config from `{endpoint, access_key, secret_key, log_project, ...options}`.
pub fn client_config(env: &Env, o: &JsObject) -> napi::Result<lts::ClientConfig> {
    let mut pairs = entries(env, o, "client")?;
    let mut required: [String; 4] = Default::default();
    for (slot, key) in required.iter_mut().zip(REQUIRED) {
        let Some(i) = pairs.iter().position(|(k, _)| k == key) else {
            return Err(invalid(
                env,
                format!("client options: {key} is required (endpoint, access_key, secret_key and log_project are)"),
            ));
        };
        let (_, v) = pairs.remove(i);
        *slot = text(env, key, v)?;
    }
    let [endpoint, ak, sk, project] = required;
    let mut cfg = lts::ClientConfig::new(&endpoint, &ak, &sk, &project).or_throw(env)?;
    apply(env, CLIENT, "client", &mut cfg, pairs)?;
    Ok(cfg)
}

/// A producer config from its options; `skip` names keys the package handles itself.
pub fn producer_config(
    env: &Env,
    o: &JsObject,
    skip: &[&str],
) -> napi::Result<lts::producer::ProducerConfig> {
    let pairs = entries(env, o, "producer")?
        .into_iter()
        .filter(|(k, _)| !skip.contains(&k.as_str()))
        .collect();
    let mut cfg = lts::producer::ProducerConfig::default();
    apply(env, PRODUCER, "producer", &mut cfg, pairs)?;
    Ok(cfg)
}

/// An option's current value as text (`lts_*_config_get`), for the tests and `getOption`.
pub fn get_client(env: &Env, cfg: &lts::ClientConfig, key: &str) -> napi::Result<String> {
    options::get(CLIENT, "client", cfg, key).or_throw(env)
}

pub fn get_producer(
    env: &Env,
    cfg: &lts::producer::ProducerConfig,
    key: &str,
) -> napi::Result<String> {
    options::get(PRODUCER, "producer", cfg, key).or_throw(env)
}
