//! The Java side as the native code sees it: the classes it makes objects of (looked up once,
//! on the thread that loaded the library, so a library thread finds them whatever the
//! application's class loaders), exceptions, and arguments.

use jni::objects::{GlobalRef, JClass, JObject, JObjectArray, JString, JValue};
use jni::JNIEnv;
use lts::error::{Error, ErrorKind};
use once_cell::sync::OnceCell;

pub struct Classes {
    pub exception: GlobalRef,
    pub response: GlobalRef,
    pub result: GlobalRef,
    pub log: GlobalRef,
}

static CLASSES: OnceCell<Classes> = OnceCell::new();
static VM: OnceCell<jni::JavaVM> = OnceCell::new();

/// Called from `Native`'s static initializer (through `abiVersion`).
pub fn init(env: &mut JNIEnv<'_>) -> jni::errors::Result<()> {
    if CLASSES.get().is_none() {
        let find = |env: &mut JNIEnv<'_>, name: &str| -> jni::errors::Result<GlobalRef> {
            let c = env.find_class(name)?;
            env.new_global_ref(c)
        };
        let classes = Classes {
            exception: find(env, "cn/ctyun/lts/LtsException")?,
            response: find(env, "cn/ctyun/lts/Response")?,
            result: find(env, "cn/ctyun/lts/Result")?,
            log: find(env, "cn/ctyun/lts/Log")?,
        };
        let _ = CLASSES.set(classes);
    }
    if VM.get().is_none() {
        let _ = VM.set(env.get_java_vm()?);
    }
    Ok(())
}

pub fn classes() -> &'static Classes {
    CLASSES.get().expect("Native's static initializer ran")
}

pub fn vm() -> &'static jni::JavaVM {
    VM.get().expect("Native's static initializer ran")
}

pub fn class(g: &GlobalRef) -> &JClass<'static> {
    <&JClass>::from(g.as_obj())
}

/// `new Response(statusCode, message, error)`.
pub fn response<'a>(env: &mut JNIEnv<'a>, r: &lts::Response) -> jni::errors::Result<JObject<'a>> {
    let message = env.new_string(&r.message)?;
    let error = env.new_string(&r.error)?;
    env.new_object(
        class(&classes().response),
        "(ILjava/lang/String;Ljava/lang/String;)V",
        &[
            JValue::Int(r.status_code),
            JValue::Object(&message),
            JValue::Object(&error),
        ],
    )
}

/// Throws `LtsException(code, name, message, response)` for a core error.
pub fn throw(env: &mut JNIEnv<'_>, e: &Error) {
    let _ = throw_inner(env, e);
}

fn throw_inner(env: &mut JNIEnv<'_>, e: &Error) -> jni::errors::Result<()> {
    if env.exception_check()? {
        return Ok(()); // a Java exception is already on its way
    }
    let name = env.new_string(e.kind.name())?;
    let message = env.new_string(&e.message)?;
    let response = match &e.response {
        Some(r) => response(env, r)?,
        None => JObject::null(),
    };
    let obj = env.new_object(
        class(&classes().exception),
        "(ILjava/lang/String;Ljava/lang/String;Lcn/ctyun/lts/Response;)V",
        &[
            JValue::Int(lts::ffi::error::code_of(e.kind)),
            JValue::Object(&name),
            JValue::Object(&message),
            JValue::Object(&response),
        ],
    )?;
    env.throw(jni::objects::JThrowable::from(obj))
}

pub fn invalid(what: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidArgument, what)
}

/// A String argument; null is refused naming it.
pub fn string(env: &mut JNIEnv<'_>, s: &JString<'_>, what: &str) -> lts::Result<String> {
    if s.is_null() {
        return Err(invalid(format!("{what} is null")));
    }
    env.get_string(s)
        .map(String::from)
        .map_err(|e| invalid(format!("{what}: {e}")))
}

/// The (key, value) pairs of two String arrays of equal length.
pub fn pairs(
    env: &mut JNIEnv<'_>,
    keys: &JObjectArray<'_>,
    values: &JObjectArray<'_>,
) -> lts::Result<Vec<(String, String)>> {
    if keys.is_null() || values.is_null() {
        return Err(invalid("option arrays are null"));
    }
    let n = env
        .get_array_length(keys)
        .map_err(|e| invalid(e.to_string()))?;
    let mut out = Vec::with_capacity(n as usize);
    for i in 0..n {
        let k = env
            .get_object_array_element(keys, i)
            .map_err(|e| invalid(e.to_string()))?;
        let v = env
            .get_object_array_element(values, i)
            .map_err(|e| invalid(e.to_string()))?;
        let pair = (
            string(env, &JString::from(k), "option key")?,
            string(env, &JString::from(v), "option value")?,
        );
        out.push(pair);
    }
    Ok(out)
}
