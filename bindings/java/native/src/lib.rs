//! `liblts_jni.so`: the native methods of `cn.ctyun.lts.Native`, over liblts's Rust API. It
//! marshals only: items arrive in the packed layout the C API documents and are checked,
//! encoded and sent by the core. No panic unwinds into the JVM: each entry point catches it
//! and throws `LtsException` (INTERNAL) instead, as it throws the core's errors.
//!
//! Handles are `Box<Arc<_>>` pointers in a Java `long`: the Java classes free each once, under
//! a write lock that no call on it holds (see Producer.java), and a close takes its own
//! reference (`producerRetain`) so that it never needs the lock while it runs callbacks.

mod callback;
mod java;
mod log;
mod send_bytes;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Duration;

use jni::objects::{JByteArray, JClass, JObject, JObjectArray, JString};
use jni::sys::{jboolean, jint, jlong, jobject, jstring};
use jni::JNIEnv;
use lts::error::{Error, ErrorKind};
use lts::options::{self, CLIENT, PRODUCER};
use lts::producer::{Producer, ProducerConfig};
use lts::rules::Field;

/// Runs `f`; a core error or a panic becomes a thrown `LtsException`, and `None`.
fn guard<'local, T>(
    env: &mut JNIEnv<'local>,
    f: impl FnOnce(&mut JNIEnv<'local>) -> lts::Result<T>,
) -> Option<T> {
    let r = catch_unwind(AssertUnwindSafe(|| f(&mut *env)));
    match r {
        Ok(Ok(v)) => Some(v),
        Ok(Err(e)) => {
            java::throw(env, &e);
            None
        }
        Err(_) => {
            java::throw(
                env,
                &Error::new(ErrorKind::Internal, "a panic in liblts's JNI layer (a bug)"),
            );
            None
        }
    }
}

/// A JNI call that failed (out of memory, a pending exception): a bug or a dying JVM.
fn jni_failed(e: jni::errors::Error) -> Error {
    Error::new(ErrorKind::Internal, e.to_string())
}

fn handle<'a, T>(h: jlong, what: &str) -> lts::Result<&'a Arc<T>> {
    if h == 0 {
        return Err(java::invalid(format!("the {what} is closed")));
    }
    // SAFETY: a nonzero handle is a live Box<Arc<T>> of this kind: the Java class passes only
    // its own handle, and frees it under a lock no call holds.
    Ok(unsafe { &*(h as *const Arc<T>) })
}

fn into_handle<T>(v: Arc<T>) -> jlong {
    Box::into_raw(Box::new(v)) as jlong
}

/// # Safety
/// `h` is a handle from `into_handle::<T>` not freed before.
unsafe fn free_handle<T>(h: jlong) {
    if h != 0 {
        drop(Box::from_raw(h as *mut Arc<T>));
    }
}

fn client_config(
    env: &mut JNIEnv<'_>,
    endpoint: &JString<'_>,
    ak: &JString<'_>,
    sk: &JString<'_>,
    project: &JString<'_>,
    keys: &JObjectArray<'_>,
    values: &JObjectArray<'_>,
) -> lts::Result<lts::ClientConfig> {
    let endpoint = java::string(env, endpoint, "endpoint")?;
    let ak = java::string(env, ak, "access key")?;
    let sk = java::string(env, sk, "secret key")?;
    let project = java::string(env, project, "log project")?;
    let mut cfg = lts::ClientConfig::new(&endpoint, &ak, &sk, &project)?;
    for (k, v) in java::pairs(env, keys, values)? {
        options::set(CLIENT, "client", &mut cfg, &k, &v)?;
    }
    Ok(cfg)
}

#[no_mangle]
pub extern "system" fn Java_cn_ctyun_lts_Native_abiVersion(
    mut env: JNIEnv<'_>,
    _: JClass<'_>,
) -> jint {
    guard(&mut env, |env| {
        java::init(env).map_err(|e| Error::new(ErrorKind::Internal, format!("JNI setup: {e}")))?;
        Ok(lts::ffi::version::LTS_ABI_VERSION as jint)
    })
    .unwrap_or(-1)
}

#[no_mangle]
pub extern "system" fn Java_cn_ctyun_lts_Native_version(
    mut env: JNIEnv<'_>,
    _: JClass<'_>,
) -> jstring {
    guard(&mut env, |env| {
        env.new_string(lts::VERSION).map_err(jni_failed)
    })
    .map_or(std::ptr::null_mut(), |s| s.into_raw())
}

#[no_mangle]
pub extern "system" fn Java_cn_ctyun_lts_Native_nowNs(_: JNIEnv<'_>, _: JClass<'_>) -> jlong {
    lts::util::now_ns()
}

#[no_mangle]
pub extern "system" fn Java_cn_ctyun_lts_Native_configSchema(
    mut env: JNIEnv<'_>,
    _: JClass<'_>,
) -> jstring {
    guard(&mut env, |env| {
        env.new_string(options::schema_json()).map_err(jni_failed)
    })
    .map_or(std::ptr::null_mut(), |s| s.into_raw())
}

#[no_mangle]
pub extern "system" fn Java_cn_ctyun_lts_Native_checkKey(
    mut env: JNIEnv<'_>,
    _: JClass<'_>,
    key: JString<'_>,
    is_label: jboolean,
) {
    guard(&mut env, |env| {
        let key = java::string(env, &key, "key")?;
        let field = if is_label != 0 {
            Field::Label
        } else {
            Field::Content
        };
        lts::rules::check_key(field, &key)
    });
}

#[no_mangle]
pub extern "system" fn Java_cn_ctyun_lts_Native_checkClientOption(
    mut env: JNIEnv<'_>,
    _: JClass<'_>,
    key: JString<'_>,
    value: JString<'_>,
) {
    guard(&mut env, |env| {
        let (k, v) = (
            java::string(env, &key, "key")?,
            java::string(env, &value, "value")?,
        );
        let mut scratch = lts::ClientConfig::new("http://127.0.0.1", "ak", "sk", "")?;
        options::set(CLIENT, "client", &mut scratch, &k, &v)
    });
}

#[no_mangle]
pub extern "system" fn Java_cn_ctyun_lts_Native_checkProducerOption(
    mut env: JNIEnv<'_>,
    _: JClass<'_>,
    key: JString<'_>,
    value: JString<'_>,
) {
    guard(&mut env, |env| {
        let (k, v) = (
            java::string(env, &key, "key")?,
            java::string(env, &value, "value")?,
        );
        options::set(PRODUCER, "producer", &mut ProducerConfig::default(), &k, &v)
    });
}

#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_cn_ctyun_lts_Native_clientNew(
    mut env: JNIEnv<'_>,
    _: JClass<'_>,
    endpoint: JString<'_>,
    ak: JString<'_>,
    sk: JString<'_>,
    project: JString<'_>,
    keys: JObjectArray<'_>,
    values: JObjectArray<'_>,
) -> jlong {
    guard(&mut env, |env| {
        let cfg = client_config(env, &endpoint, &ak, &sk, &project, &keys, &values)?;
        Ok(into_handle(Arc::new(lts::Client::new(cfg)?)))
    })
    .unwrap_or(0)
}

#[no_mangle]
pub extern "system" fn Java_cn_ctyun_lts_Native_putLogs(
    mut env: JNIEnv<'_>,
    _: JClass<'_>,
    client: jlong,
    packed: JByteArray<'_>,
    len: jint,
    count: jint,
) -> jobject {
    guard(&mut env, |env| {
        let c = handle::<lts::Client>(client, "client")?;
        // An answer with an error code is returned as an answer, not thrown.
        let resp = send_bytes::with_send(env, &packed, len, |project, unit, items| {
            match c.put_logs_packed(project, unit, items, count.max(0) as usize) {
                Err(Error {
                    kind: ErrorKind::Server,
                    response: Some(r),
                    ..
                }) => Ok(r),
                other => other,
            }
        })?;
        java::response(env, &resp).map_err(jni_failed)
    })
    .map_or(std::ptr::null_mut(), |o| o.into_raw())
}

#[no_mangle]
pub extern "system" fn Java_cn_ctyun_lts_Native_clientFree(
    _: JNIEnv<'_>,
    _: JClass<'_>,
    client: jlong,
) {
    // SAFETY: the Java class frees its handle once, under its write lock.
    unsafe { free_handle::<lts::Client>(client) }
}

#[no_mangle]
pub extern "system" fn Java_cn_ctyun_lts_Native_producerNew(
    mut env: JNIEnv<'_>,
    _: JClass<'_>,
    keys: JObjectArray<'_>,
    values: JObjectArray<'_>,
) -> jlong {
    guard(&mut env, |env| {
        let mut cfg = ProducerConfig::default();
        for (k, v) in java::pairs(env, &keys, &values)? {
            options::set(PRODUCER, "producer", &mut cfg, &k, &v)?;
        }
        Ok(into_handle(Arc::new(Producer::new(cfg)?)))
    })
    .unwrap_or(0)
}

#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_cn_ctyun_lts_Native_producerAddClient(
    mut env: JNIEnv<'_>,
    _: JClass<'_>,
    producer: jlong,
    endpoint: JString<'_>,
    ak: JString<'_>,
    sk: JString<'_>,
    project: JString<'_>,
    keys: JObjectArray<'_>,
    values: JObjectArray<'_>,
) {
    guard(&mut env, |env| {
        let p = handle::<Producer>(producer, "producer")?;
        let cfg = client_config(env, &endpoint, &ak, &sk, &project, &keys, &values)?;
        p.add_client(cfg)
    });
}

#[no_mangle]
pub extern "system" fn Java_cn_ctyun_lts_Native_producerStart(
    mut env: JNIEnv<'_>,
    _: JClass<'_>,
    producer: jlong,
) {
    guard(&mut env, |_| {
        handle::<Producer>(producer, "producer")?.start()
    });
}

#[no_mangle]
pub extern "system" fn Java_cn_ctyun_lts_Native_producerSend(
    mut env: JNIEnv<'_>,
    _: JClass<'_>,
    producer: jlong,
    packed: JByteArray<'_>,
    len: jint,
    count: jint,
    callback: JObject<'_>,
) {
    guard(&mut env, |env| {
        let p = handle::<Producer>(producer, "producer")?;
        let notify = callback::notify(env, &callback)?;
        send_bytes::with_send(env, &packed, len, |project, unit, items| {
            p.send_packed(project, unit, items, count.max(0) as usize, notify)
        })
    });
}

#[no_mangle]
pub extern "system" fn Java_cn_ctyun_lts_Native_producerFlush(
    mut env: JNIEnv<'_>,
    _: JClass<'_>,
    producer: jlong,
) {
    guard(&mut env, |_| {
        handle::<Producer>(producer, "producer")?.flush()
    });
}

#[no_mangle]
pub extern "system" fn Java_cn_ctyun_lts_Native_producerRetain(
    mut env: JNIEnv<'_>,
    _: JClass<'_>,
    producer: jlong,
) -> jlong {
    guard(&mut env, |_| {
        Ok(into_handle(
            handle::<Producer>(producer, "producer")?.clone(),
        ))
    })
    .unwrap_or(0)
}

#[no_mangle]
pub extern "system" fn Java_cn_ctyun_lts_Native_producerRelease(
    _: JNIEnv<'_>,
    _: JClass<'_>,
    r: jlong,
) {
    // SAFETY: a reference from producerRetain, released once by the Java code that took it.
    unsafe { free_handle::<Producer>(r) }
}

#[no_mangle]
pub extern "system" fn Java_cn_ctyun_lts_Native_producerClose(
    mut env: JNIEnv<'_>,
    _: JClass<'_>,
    r: jlong,
    timeout_ms: jlong,
) {
    guard(&mut env, |_| {
        let p = handle::<Producer>(r, "producer")?;
        let timeout = u64::try_from(timeout_ms).ok().map(Duration::from_millis);
        p.close(timeout)
    });
}

#[no_mangle]
pub extern "system" fn Java_cn_ctyun_lts_Native_producerStatsJson(
    mut env: JNIEnv<'_>,
    _: JClass<'_>,
    producer: jlong,
) -> jstring {
    guard(&mut env, |env| {
        let json = handle::<Producer>(producer, "producer")?.stats_json();
        env.new_string(json).map_err(jni_failed)
    })
    .map_or(std::ptr::null_mut(), |s| s.into_raw())
}

#[no_mangle]
pub extern "system" fn Java_cn_ctyun_lts_Native_producerFree(
    _: JNIEnv<'_>,
    _: JClass<'_>,
    producer: jlong,
) {
    // SAFETY: the Java class frees its handle once, under its write lock.
    unsafe { free_handle::<Producer>(producer) }
}

#[no_mangle]
pub extern "system" fn Java_cn_ctyun_lts_Native_setLogLevel(
    _: JNIEnv<'_>,
    _: JClass<'_>,
    level: jint,
) {
    lts::log::set_level(level);
}

#[no_mangle]
pub extern "system" fn Java_cn_ctyun_lts_Native_setLogHook(
    _: JNIEnv<'_>,
    _: JClass<'_>,
    on: jboolean,
) {
    log::set_hook(on != 0);
}
