'use strict';
// The package's API over lts.node (the napi-rs addon, bindings/node/src). Logic lives in the
// core; this file only turns results into Promises, callbacks and LtsError instances.

const path = require('path');

const native = require(process.env.LTS_NODE_ADDON || path.join(__dirname, 'lts.node'));

/** An error of liblts or of the service: `code` is the C API's LTS_ERR_* number, `name` its
 *  name, `response` the service's answer ({statusCode, message, error}) when there was one. */
class LtsError extends Error {
  constructor(message, code, name, response) {
    super(message);
    Object.defineProperty(this, 'name', { value: name, enumerable: false, writable: true, configurable: true });
    this.code = code;
    if (response !== undefined) this.response = response;
  }
}
native.init(LtsError);
const { pack, setErrorMaker } = require('./pack');
setErrorMaker(native.error);

// Runs a user's callback; what it throws is rethrown on its own turn of the loop (an
// uncaught exception, as in any Node callback) so that the other results are still settled.
function callSafely(fn, ...args) {
  try {
    fn(...args);
  } catch (e) {
    process.nextTick(() => { throw e; });
  }
}

class LogClient {
  /** No network I/O: the first putLogs fetches the token (token auth). */
  constructor(options) {
    this._native = new native.NativeClient(options);
  }

  /** Sends now, off the event loop. Resolves with the service's answer; rejects with an
   *  LtsError (LTS_ERR_SERVER with `response` when the service refused the logs). */
  async putLogs(logProject, logUnit, logs) {
    const [buf, len, textAt, count] = pack(logProject, logUnit, logs);
    const r = await this._native.putLogs(buf, len, textAt, count);
    if (r.ok) return r.response;
    throw r.error;
  }

  getOption(key) {
    return this._native.getOption(key);
  }
}

const MAX_ID = 0xffffffff;

class Producer {
  /** `client`: one client's options or an array of them (one per log project).
   *  `options`: producer options by CONFIGURATION.md's keys, and `onStats(stats)`. */
  constructor(client, options = {}) {
    if (options === null || typeof options !== 'object') {
      throw native.error('LTS_ERR_INVALID_ARGUMENT', 'producer options must be an object');
    }
    const { onStats, ...rest } = options;
    const clients = Array.isArray(client) ? client : [client];
    this._sends = new Map();
    this._closes = new Map();
    this._nextId = 1;
    this._onStats = typeof onStats === 'function' ? onStats : null;
    this._native = new native.NativeProducer(rest, clients, this._onStats !== null,
      (ids, counts, outcomeOf, outcomes, closes, stats) =>
        this._deliver(ids, counts, outcomeOf, outcomes, closes, stats));
  }

  // Ids 1..2^32-1 (0 means "no result"), reused after wrapping, when the old ones are long
  // settled.
  _id() {
    const id = this._nextId;
    this._nextId = id === MAX_ID ? 1 : id + 1;
    return id;
  }

  /** Queues logs. Returns a Promise of the result, or with `callback(err, result)` undefined.
   *  Refused logs (bad input, a full buffer, a closed producer) reject the Promise, or throw
   *  in the callback form; an accepted send settles exactly once. */
  send(logProject, logUnit, logs, callback) {
    if (typeof callback === 'function') {
      this._send(logProject, logUnit, logs, callback);
      return undefined;
    }
    return new Promise((resolve, reject) => {
      this._send(logProject, logUnit, logs, { resolve, reject });
    });
  }

  /** Queues logs without asking for their result: the cheapest send, for callers that
   *  leave failures to the stats (`logs_failed`) and to liblts's log lines. Refused logs
   *  throw. (A `send()` Promise nobody handles would crash the process when it rejects.) */
  sendLogs(logProject, logUnit, logs) {
    const [buf, len, textAt, count] = pack(logProject, logUnit, logs);
    this._native.send(buf, len, textAt, count, 0);
  }

  _send(logProject, logUnit, logs, waiter) {
    const [buf, len, textAt, count] = pack(logProject, logUnit, logs);
    const id = this._id();
    this._native.send(buf, len, textAt, count, id);
    // Safe after the call: results reach JS only on a later turn of the event loop.
    this._sends.set(id, waiter);
  }

  // The log handlers' send of one log: a field liblts refuses is left out (the returned
  // reasons say which) and the log is still sent. `callback(err, result)` as in send.
  _sendLenient(logProject, logUnit, log, callback) {
    try {
      this._send(logProject, logUnit, log, callback);
      return null;
    } catch (e) {
      if (!(e instanceof LtsError) || (e.name !== 'LTS_ERR_INVALID_KEY' && e.name !== 'LTS_ERR_INVALID_VALUE')) throw e;
    }
    const refused = [];
    const keep = (fields, label) => {
      if (!fields) return fields;
      const out = {};
      for (const k of Object.keys(fields)) {
        const why = fields[k] === undefined ? null : native.checkField(label, k, fields[k]);
        if (why === null) out[k] = fields[k];
        else refused.push(`${label ? 'label' : 'content'} ${why}`);
      }
      return out;
    };
    const cleaned = { ...log, contents: keep(log.contents, false), labels: keep(log.labels, true) };
    this._send(logProject, logUnit, cleaned, callback);
    return refused;
  }

  /** Lets the process exit while this producer is open (it keeps the event loop alive from
   *  its start until a close completes). Whoever calls it closes the producer before exit,
   *  at 'beforeExit' for instance, as the winston transport does; else logs are lost. */
  unref() {
    this._native.keepAlive(false);
    return this;
  }

  /** Undoes unref() (no effect once closed). */
  ref() {
    this._native.keepAlive(true);
    return this;
  }

  _deliver(ids, counts, outcomeOf, outcomes, closes, stats) {
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      const waiter = this._sends.get(id);
      if (waiter === undefined) {
        // Cannot happen (each id is registered before its result can arrive); a bug is
        // reported rather than taking the process down from inside the event loop.
        process.emitWarning(`liblts: a result for unknown send ${id}`, 'LtsWarning');
        continue;
      }
      this._sends.delete(id);
      const o = outcomes[outcomeOf[i]];
      let err = null;
      let result = null;
      if (o.code === 0) {
        result = { statusCode: o.statusCode, message: o.message, error: o.error, attempts: o.attempts, logCount: counts[i] };
      } else {
        const response = o.answered ? { statusCode: o.statusCode, message: o.message, error: o.error } : undefined;
        err = new LtsError(o.message, o.code, o.name, response);
        err.attempts = o.attempts;
        err.logCount = counts[i];
      }
      if (typeof waiter === 'function') callSafely(waiter, err, result);
      else if (err) waiter.reject(err);
      else waiter.resolve(result);
    }
    for (const s of stats) {
      if (this._onStats) callSafely(this._onStats, JSON.parse(s));
    }
    for (const c of closes) {
      const waiter = this._closes.get(c.id);
      this._closes.delete(c.id);
      if (c.error) waiter.reject(c.error);
      else waiter.resolve(this.stats());
    }
  }

  _close(timeoutMs) {
    return new Promise((resolve, reject) => {
      const id = this._id();
      this._native.close(timeoutMs, id);
      this._closes.set(id, { resolve, reject });
    });
  }

  /** Sends everything, then stops. Resolves with the final stats after every send settled. */
  safeClose() {
    return this._close(-1);
  }

  /** Stops within `timeoutMs`: what is not sent by then fails (each send's result says so).
   *  Rejects with LTS_ERR_TIMEOUT when logs were left unsent. */
  close(timeoutMs) {
    if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0) || !Number.isFinite(timeoutMs)) {
      return Promise.reject(native.error('LTS_ERR_INVALID_ARGUMENT', `close: timeoutMs must be a number of milliseconds >= 0, not ${String(timeoutMs)}`));
    }
    return this._close(timeoutMs);
  }

  /** Hands every open batch to the workers now; does not wait for delivery. */
  flush() {
    this._native.flush();
  }

  /** Poll mode only: runs up to `maxResults` ready results (blocking up to `timeoutMs`). */
  poll(maxResults = 1000, timeoutMs = 0) {
    return this._native.poll(maxResults, timeoutMs);
  }

  /** The producer's statistics (the C API's lts_producer_stats_json, parsed). */
  stats() {
    return JSON.parse(this._native.statsJson());
  }

  get closed() {
    return this._native.isClosed();
  }

  getOption(key) {
    return this._native.getOption(key);
  }
}

/** Where liblts's own log lines (failed attempts, token failures, a full buffer, close
 *  leaving logs unsent) go: `handler(level, message)` on this thread's event loop (level 3
 *  error, 4 warn, 6 info, 7 debug), or stderr (the default) for null. What the handler throws
 *  is rethrown on its own turn of the loop, as a callback's is. */
function setLogHandler(handler) {
  if (handler === null || handler === undefined) {
    native.setLogHandler(null);
    return;
  }
  if (typeof handler !== 'function') {
    throw native.error('LTS_ERR_INVALID_ARGUMENT', 'setLogHandler takes a function (level, message) or null');
  }
  native.setLogHandler((level, message) => callSafely(handler, level, message));
}

module.exports = {
  LogClient,
  Producer,
  LtsError,
  version: native.version,
  resultName: native.resultName,
  setLogLevel: native.setLogLevel,
  setLogHandler,
};
