//! The core's errors as instances of the package's `LtsError` class (index.js), with the
//! C API's `code`, the `LTS_ERR_*` `name`, the core's message and the service's answer.

use std::cell::RefCell;

use lts::error::{Error, ErrorKind};
use napi::{Env, JsFunction, JsObject, JsUnknown, NapiRaw, Ref, Status};

thread_local! {
    // Per JS thread: each worker_threads Worker loads the addon with its own env and class.
    static CLASS: RefCell<Option<Ref<()>>> = const { RefCell::new(None) };
}

pub fn remember_class(env: Env, class: JsFunction) -> napi::Result<()> {
    let r = env.create_reference(class)?;
    CLASS.with(|c| {
        if let Some(mut old) = c.borrow_mut().replace(r) {
            let _ = old.unref(env);
        }
    });
    Ok(())
}

/// The C API's number for a kind (`LTS_ERR_*`), the one every binding reports.
pub fn code(kind: ErrorKind) -> i32 {
    lts::ffi::error::code_of(kind)
}

pub fn name(kind: ErrorKind) -> &'static str {
    kind.name()
}

pub fn result_name(code: i32) -> &'static str {
    lts::ffi::error::name_of(code)
        .to_str()
        .unwrap_or("LTS_ERR_UNKNOWN")
}

/// `{statusCode, message, error}`.
pub fn response_object(env: &Env, r: &lts::Response) -> napi::Result<JsObject> {
    let mut o = env.create_object()?;
    o.set_named_property("statusCode", env.create_int32(r.status_code)?)?;
    o.set_named_property("message", env.create_string(&r.message)?)?;
    o.set_named_property("error", env.create_string(&r.error)?)?;
    Ok(o)
}

/// `new LtsError(message, code, name, response)`.
pub fn error_object(env: &Env, e: &Error) -> napi::Result<JsUnknown> {
    let class = CLASS.with(|c| -> napi::Result<JsFunction> {
        match &*c.borrow() {
            Some(r) => env.get_reference_value(r),
            None => Err(napi::Error::new(
                Status::GenericFailure,
                "lts.node was loaded without index.js",
            )),
        }
    })?;
    let response = match &e.response {
        Some(r) => response_object(env, r)?.into_unknown(),
        None => env.get_undefined()?.into_unknown(),
    };
    let args = [
        env.create_string(&e.message)?.into_unknown(),
        env.create_int32(code(e.kind))?.into_unknown(),
        env.create_string(name(e.kind))?.into_unknown(),
        response,
    ];
    Ok(class.new_instance(&args)?.into_unknown())
}

/// Throws the core's error as an `LtsError`; the returned error tells napi it is pending.
pub fn throw(env: &Env, e: &Error) -> napi::Error {
    match error_object(env, e) {
        Ok(obj) => {
            // SAFETY: obj is a live value of this env, thrown on the env's own thread.
            let status = unsafe { napi::sys::napi_throw(env.raw(), obj.raw()) };
            if status == napi::sys::Status::napi_ok {
                napi::Error::from_status(Status::PendingException)
            } else {
                napi::Error::new(Status::GenericFailure, e.message.clone())
            }
        }
        Err(err) => err,
    }
}

/// `Result` into napi's, throwing the core's errors as `LtsError`s.
pub trait OrThrow<T> {
    fn or_throw(self, env: &Env) -> napi::Result<T>;
}

impl<T> OrThrow<T> for lts::Result<T> {
    fn or_throw(self, env: &Env) -> napi::Result<T> {
        self.map_err(|e| throw(env, &e))
    }
}

/// An argument of the wrong kind (`LTS_ERR_INVALID_ARGUMENT`), thrown.
pub fn invalid(env: &Env, message: String) -> napi::Error {
    throw(env, &Error::new(ErrorKind::InvalidArgument, message))
}
