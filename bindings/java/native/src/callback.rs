//! A send's Java callback, run by the producer's callback thread. That thread is attached to
//! the JVM once, permanently (never attached and detached per call), and each call runs in a
//! local frame of its own, so the references it makes are freed when it returns. A callback
//! that throws has its exception printed and cleared: it never reaches the core.

use jni::objects::{GlobalRef, JObject, JValue};
use jni::JNIEnv;
use lts::producer::{Notify, SendResult};

use crate::java::{class, classes, invalid, vm};

pub fn notify(env: &mut JNIEnv<'_>, callback: &JObject<'_>) -> lts::Result<Option<Notify>> {
    if callback.is_null() {
        return Ok(None);
    }
    let cb = env
        .new_global_ref(callback)
        .map_err(|e| invalid(format!("callback: {e}")))?;
    Ok(Some(Notify::Boxed(Box::new(move |r: &SendResult| {
        deliver(cb, r)
    }))))
}

fn deliver(cb: GlobalRef, r: &SendResult) {
    let Ok(mut env) = vm().attach_current_thread_permanently() else {
        return; // the JVM is shutting down: nobody is left to call
    };
    let _ = env.with_local_frame(8, |env| -> jni::errors::Result<()> {
        let o = &r.outcome;
        let code = o.error.map_or(0, lts::ffi::error::code_of);
        let error = env.new_string(&o.error_code)?;
        let message = env.new_string(&o.message)?;
        let result = env.new_object(
            class(&classes().result),
            "(IILjava/lang/String;Ljava/lang/String;IJ)V",
            &[
                JValue::Int(code),
                JValue::Int(o.status_code),
                JValue::Object(&error),
                JValue::Object(&message),
                JValue::Int(i32::try_from(o.attempts).unwrap_or(i32::MAX)),
                JValue::Long(i64::try_from(r.log_count).unwrap_or(i64::MAX)),
            ],
        )?;
        let called = env.call_method(
            cb.as_obj(),
            "onResult",
            "(Lcn/ctyun/lts/Result;)V",
            &[JValue::Object(&result)],
        );
        if called.is_err() || env.exception_check()? {
            env.exception_describe()?;
            env.exception_clear()?;
        }
        Ok(())
    });
    // The global reference is dropped here, on an attached thread.
    drop(cb);
}
