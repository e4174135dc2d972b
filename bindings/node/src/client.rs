//! The sync client, made asynchronous for the event loop: `putLogs` takes the packed logs on
//! the JS thread, then checks, encodes and sends them on libuv's thread pool.

use std::sync::Arc;

use lts::error::ErrorKind;
use napi::bindgen_prelude::AsyncTask;
use napi::{Env, JsBuffer, JsObject, Task};
use napi_derive::napi;

use crate::errors::{error_object, response_object};
use crate::items;

/// `new LogClient(options)`: no network I/O; the first `putLogs` fetches the token.
#[napi(js_name = "NativeClient")]
pub struct NativeClient {
    inner: Arc<lts::Client>,
    config: lts::ClientConfig,
}

#[napi]
impl NativeClient {
    #[napi(constructor, catch_unwind)]
    pub fn new(env: Env, options: JsObject) -> napi::Result<Self> {
        let config = crate::options::client_config(&env, &options)?;
        config
            .check_transport_security()
            .map_err(|e| crate::errors::throw(&env, &e))?;
        Ok(NativeClient {
            inner: Arc::new(lts::Client::unconnected(config.clone())),
            config,
        })
    }

    /// Resolves with `{ok: true, response}` or `{ok: false, error}` (an LtsError, with the
    /// service's answer when there was one); index.js turns the second into a rejection.
    #[napi(catch_unwind, ts_return_type = "Promise<unknown>")]
    pub fn put_logs(
        &self,
        env: Env,
        buf: JsBuffer,
        len: u32,
        text_at: u32,
        count: u32,
    ) -> napi::Result<AsyncTask<PutLogs>> {
        let packed = items::Packed::new(&env, buf, len, text_at, count)?;
        let task = packed.with_parts(&env, |project, unit, logs| {
            Ok(PutLogs {
                client: self.inner.clone(),
                project: project.to_owned(),
                unit: unit.to_owned(),
                // The request runs later, on the thread pool: pack.js reuses its buffer.
                logs: logs.to_vec(),
                count: packed.count,
            })
        })?;
        Ok(AsyncTask::new(task))
    }

    /// An option's value, as it was set (the secret key is never read back).
    #[napi(catch_unwind)]
    pub fn get_option(&self, env: Env, key: String) -> napi::Result<String> {
        crate::options::get_client(&env, &self.config, &key)
    }
}

pub struct PutLogs {
    client: Arc<lts::Client>,
    project: String,
    unit: String,
    logs: Vec<u8>,
    count: usize,
}

impl Task for PutLogs {
    type Output = lts::Result<lts::Response>;
    type JsValue = JsObject;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.client
                .put_logs_packed(&self.project, &self.unit, &self.logs, self.count)
        }));
        Ok(r.unwrap_or_else(|_| {
            Err(lts::Error::new(
                ErrorKind::Internal,
                "a panic in liblts while sending (a bug)",
            ))
        }))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<JsObject> {
        let mut o = env.create_object()?;
        match output {
            Ok(r) => {
                o.set_named_property("ok", env.get_boolean(true)?)?;
                o.set_named_property("response", response_object(&env, &r)?)?;
            }
            Err(e) => {
                o.set_named_property("ok", env.get_boolean(false)?)?;
                o.set_named_property("error", error_object(&env, &e)?)?;
            }
        }
        Ok(o)
    }
}
