//! The async producer. `send` reads the logs on the JS thread and hands them to the core; the
//! core's callback thread (or `poll`) reports each send's outcome into this producer's queue,
//! and one thread-safe function carries whatever has queued to the JS thread in one call.
//! Close runs on its own thread and reports through the same queue, after every send's
//! result (the core has run every callback by the time close returns), so a close settles
//! after all the sends it covers. The thread-safe function is referenced (it keeps the event
//! loop alive) from construction until a close completes; then it is unreferenced.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use lts::producer::{Notify, Outcome, Producer, SendResult};
use napi::bindgen_prelude::{Float64Array, ToNapiValue, Uint32Array};
use napi::threadsafe_function::{
    ErrorStrategy, ThreadSafeCallContext, ThreadsafeFunction, ThreadsafeFunctionCallMode,
};
use napi::{Env, JsBuffer, JsFunction, JsObject, JsUnknown, NapiRaw, NapiValue};
use napi_derive::napi;

use crate::errors::{code, name, throw, OrThrow};
use crate::items;

enum Delivery {
    Sent {
        id: u32,
        outcome: Arc<Outcome>,
        log_count: usize,
    },
    Closed {
        id: u32,
        result: lts::Result<()>,
    },
    Stats(String),
}

type Tsfn = ThreadsafeFunction<(), ErrorStrategy::Fatal>;

struct Queue {
    pending: Vec<Delivery>,
    tsfn: Option<Tsfn>,
}

/// What the core's threads report into, shared by every send's callback.
struct Deliveries {
    queue: Mutex<Queue>,
}

impl Deliveries {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues `d`; the push that makes the queue non-empty schedules the one call that will
    /// take it. Safe without more: a push that finds the queue non-empty knows a call is
    /// scheduled (or about to be, by the push that made it non-empty, which calls under this
    /// same lock) and that the call has not taken the queue yet, since it would be empty.
    fn push(&self, d: Delivery) {
        let mut q = self.lock();
        q.pending.push(d);
        if q.pending.len() == 1 {
            if let Some(t) = &q.tsfn {
                // Unbounded queue: NonBlocking never waits; it fails only once the env is
                // being torn down, when nothing could run the results any more.
                t.call((), ThreadsafeFunctionCallMode::NonBlocking);
            }
        }
    }
}

/// The JS side of one drain: `onResults(ids, counts, outcomeOf, outcomes, closes, stats)`.
/// Sends of one batch share one outcome object; `ids[i]`'s outcome is
/// `outcomes[outcomeOf[i]]`.
fn drain(ctx: ThreadSafeCallContext<()>, state: &Deliveries) -> napi::Result<Vec<JsUnknown>> {
    let env = ctx.env;
    let (taken, closing) = {
        let mut q = state.lock();
        let taken = std::mem::take(&mut q.pending);
        let closing = taken.iter().any(|d| matches!(d, Delivery::Closed { .. }));
        (taken, closing)
    };
    let mut ids = Vec::with_capacity(taken.len());
    let mut counts = Vec::with_capacity(taken.len());
    let mut outcome_of = Vec::with_capacity(taken.len());
    let mut outcomes = env.create_array_with_length(0)?;
    let mut closes = env.create_array_with_length(0)?;
    let mut stats = env.create_array_with_length(0)?;
    let (mut n_outcomes, mut n_closes, mut n_stats) = (0u32, 0u32, 0u32);
    let mut last: Option<Arc<Outcome>> = None;
    for d in taken {
        match d {
            Delivery::Sent {
                id,
                outcome,
                log_count,
            } => {
                if !last.as_ref().is_some_and(|l| Arc::ptr_eq(l, &outcome)) {
                    outcomes.set_element(n_outcomes, outcome_object(&env, &outcome)?)?;
                    n_outcomes += 1;
                    last = Some(outcome);
                }
                ids.push(id);
                counts.push(log_count as f64);
                outcome_of.push(n_outcomes - 1);
            }
            Delivery::Closed { id, result } => {
                let mut o = env.create_object()?;
                o.set_named_property("id", env.create_uint32(id)?)?;
                if let Err(e) = result {
                    o.set_named_property("error", crate::errors::error_object(&env, &e)?)?;
                }
                closes.set_element(n_closes, o)?;
                n_closes += 1;
            }
            Delivery::Stats(json) => {
                stats.set_element(n_stats, env.create_string(&json)?)?;
                n_stats += 1;
            }
        }
    }
    if closing {
        // Every send's result is in this call or was in an earlier one: the loop may end
        // once these run. Later closes still deliver while the loop runs for other reasons.
        if let Some(t) = state.lock().tsfn.as_mut() {
            t.unref(&env)?;
        }
    }
    let raw = env.raw();
    // SAFETY: each value is made on this env's thread, inside the call.
    unsafe {
        let typed = |v: napi::sys::napi_value| JsUnknown::from_raw_unchecked(raw, v);
        Ok(vec![
            typed(Uint32Array::to_napi_value(raw, Uint32Array::new(ids))?),
            typed(Float64Array::to_napi_value(raw, Float64Array::new(counts))?),
            typed(Uint32Array::to_napi_value(
                raw,
                Uint32Array::new(outcome_of),
            )?),
            typed(outcomes.raw()),
            typed(closes.raw()),
            typed(stats.raw()),
        ])
    }
}

/// `{code, name, statusCode, message, error, attempts, answered}`: code 0 for a delivered
/// batch.
fn outcome_object(env: &Env, o: &Outcome) -> napi::Result<JsObject> {
    let mut obj = env.create_object()?;
    let (c, n) = match o.error {
        None => (0, "LTS_OK"),
        Some(k) => (code(k), name(k)),
    };
    obj.set_named_property("code", env.create_int32(c)?)?;
    obj.set_named_property("name", env.create_string(n)?)?;
    obj.set_named_property("statusCode", env.create_int32(o.status_code)?)?;
    obj.set_named_property("message", env.create_string(&o.message)?)?;
    obj.set_named_property("error", env.create_string(&o.error_code)?)?;
    obj.set_named_property("attempts", env.create_uint32(o.attempts)?)?;
    // Whether the service answered (a success or its refusal): then the result carries it.
    let answered = matches!(o.error, None | Some(lts::error::ErrorKind::Server));
    obj.set_named_property("answered", env.get_boolean(answered)?)?;
    Ok(obj)
}

#[napi(js_name = "NativeProducer")]
pub struct NativeProducer {
    inner: Arc<Producer>,
    deliveries: Arc<Deliveries>,
}

#[napi]
impl NativeProducer {
    /// `new NativeProducer(producerOptions, clientOptions[], onResults)`: built and started;
    /// `on_stats` in the options asks for the stats callback (index.js passes a flag).
    #[napi(constructor, catch_unwind)]
    pub fn new(
        env: Env,
        options: JsObject,
        clients: Vec<JsObject>,
        want_stats: bool,
        on_results: JsFunction,
    ) -> napi::Result<Self> {
        let mut config = crate::options::producer_config(&env, &options, &[])?;
        let deliveries = Arc::new(Deliveries {
            queue: Mutex::new(Queue {
                pending: Vec::new(),
                tsfn: None,
            }),
        });
        if want_stats {
            let d = deliveries.clone();
            config.stats_callback = Some(Arc::new(move |json: &str| {
                d.push(Delivery::Stats(json.to_owned()))
            }));
        }
        let producer = Producer::new(config).or_throw(&env)?;
        if clients.is_empty() {
            return Err(crate::errors::invalid(
                &env,
                "a producer needs at least one client's options".into(),
            ));
        }
        for c in &clients {
            let cfg = crate::options::client_config(&env, c)?;
            producer.add_client(cfg).or_throw(&env)?;
        }
        let d = deliveries.clone();
        let tsfn: Tsfn = on_results
            .create_threadsafe_function(0, move |ctx: ThreadSafeCallContext<()>| drain(ctx, &d))?;
        deliveries.lock().tsfn = Some(tsfn);
        producer.start().or_throw(&env)?;
        Ok(NativeProducer {
            inner: Arc::new(producer),
            deliveries,
        })
    }

    /// Accepts the logs (packed by pack.js after their target) for delivery; `id`'s result
    /// arrives through `onResults` (id 0: none is wanted). Throws (and no result will come)
    /// when the core refuses them.
    #[napi(catch_unwind)]
    pub fn send(
        &self,
        env: Env,
        buf: JsBuffer,
        len: u32,
        text_at: u32,
        count: u32,
        id: u32,
    ) -> napi::Result<()> {
        let packed = items::Packed::new(&env, buf, len, text_at, count)?;
        // Id 0: no result wanted (sendLogs); the outcome is only counted in the stats.
        let notify = (id != 0).then(|| {
            let d = self.deliveries.clone();
            Notify::Boxed(Box::new(move |r: &SendResult| {
                d.push(Delivery::Sent {
                    id,
                    outcome: r.outcome.clone(),
                    log_count: r.log_count,
                })
            }))
        });
        packed.with_parts(&env, |project, unit, logs| {
            self.inner
                .send_packed(project, unit, logs, packed.count, notify)
                .or_throw(&env)
        })
    }

    /// Whether this producer keeps the event loop alive (it does from its start until a
    /// close completes). `keep(false)` lets the process exit while it is open; whoever does
    /// that closes it at `beforeExit` (the log handlers do), or logs are lost at exit.
    #[napi(catch_unwind)]
    pub fn keep_alive(&self, env: Env, keep: bool) -> napi::Result<()> {
        if keep && self.inner.is_closed() {
            return Ok(());
        }
        match self.deliveries.lock().tsfn.as_mut() {
            Some(t) if keep => t.refer(&env),
            Some(t) => t.unref(&env),
            None => Ok(()),
        }
    }

    /// Starts a close on its own thread (`timeout_ms` < 0: send everything); it reports as
    /// `closes` entry `id` after every send's result.
    #[napi(catch_unwind)]
    pub fn close(&self, env: Env, timeout_ms: f64, id: u32) -> napi::Result<()> {
        let timeout = (timeout_ms >= 0.0).then(|| Duration::from_secs_f64(timeout_ms / 1000.0));
        let (p, d) = (self.inner.clone(), self.deliveries.clone());
        std::thread::Builder::new()
            .name("lts-node-close".into())
            .spawn(move || {
                let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| p.close(timeout)))
                    .unwrap_or_else(|_| {
                        Err(lts::Error::new(
                            lts::error::ErrorKind::Internal,
                            "a panic in liblts while closing (a bug)",
                        ))
                    });
                d.push(Delivery::Closed { id, result: r });
            })
            .map(|_| ())
            .map_err(|e| {
                throw(
                    &env,
                    &lts::Error::new(
                        lts::error::ErrorKind::Internal,
                        format!("cannot start the close thread: {e}"),
                    ),
                )
            })
    }

    /// Hands every open batch to the workers now; does not wait for delivery.
    #[napi(catch_unwind)]
    pub fn flush(&self, env: Env) -> napi::Result<()> {
        self.inner.flush().or_throw(&env)
    }

    /// Poll mode (`callback_mode: "poll"`): runs up to `max` ready results, waiting up to
    /// `timeout_ms` for the first (this blocks the event loop while it waits). Their
    /// callbacks and promises run on a later turn of the loop.
    #[napi(catch_unwind)]
    pub fn poll(&self, env: Env, max: u32, timeout_ms: u32) -> napi::Result<u32> {
        self.inner
            .poll(max as usize, Duration::from_millis(timeout_ms.into()))
            .map(|n| n as u32)
            .or_throw(&env)
    }

    #[napi(catch_unwind)]
    pub fn stats_json(&self) -> String {
        self.inner.stats_json()
    }

    #[napi(catch_unwind)]
    pub fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }

    #[napi(catch_unwind)]
    pub fn get_option(&self, env: Env, key: String) -> napi::Result<String> {
        crate::options::get_producer(&env, self.inner.config(), &key)
    }
}
