'use strict';
// JS logs into the packed item layout of liblts's C API (src/packed.rs: one buffer per call,
// so a send crosses into native code once, not once per field). This file only lays the
// values out; liblts checks every key and value when it reads them, and its errors name the
// log and the key. One buffer is reused: the native side reads it before the call returns
// (putLogs takes a copy).

let buf = Buffer.allocUnsafe(64 * 1024);
let at = 0;

const TYPE_STR = 0;
const TYPE_I64 = 1;
const TYPE_F64 = 2;
const TWO_32 = 4294967296;

let makeError = null; // (LTS_ERR_* name, message) => LtsError, set by index.js

function refuse(kind, message) {
  return makeError(kind, message);
}

function room(n) {
  if (at + n > buf.length) {
    const bigger = Buffer.allocUnsafe(Math.max(buf.length * 2, at + n));
    buf.copy(bigger, 0, 0, at);
    buf = bigger;
  }
}

// ASCII is copied here, a byte per character: cheaper than a call into V8 for the short
// strings logs are made of. Anything else goes through Buffer's UTF-8 encoder (which also
// turns a lone surrogate into U+FFFD, as liblts needs valid UTF-8).
function str(s) {
  const len = s.length;
  room(4 + len * 3);
  const b = buf;
  const start = at + 4;
  let p = start;
  let i = 0;
  if (len <= 512) {
    for (; i < len; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      b[p++] = c;
    }
  }
  const n = i === len ? p - start : b.utf8Write(s, start);
  b[at] = n & 0xff;
  b[at + 1] = (n >>> 8) & 0xff;
  b[at + 2] = (n >>> 16) & 0xff;
  b[at + 3] = n >>> 24;
  at = start + n;
}

// A whole number of at most 2^53 as an i64, in two halves (no BigInt on the fast path).
function i64(v) {
  const hi = Math.floor(v / TWO_32);
  buf.writeUInt32LE(v - hi * TWO_32, at);
  buf.writeInt32LE(hi, at + 4);
  at += 8;
}

function nsOfMs(ms) {
  const whole = Math.trunc(ms);
  return BigInt(whole) * 1000000n + BigInt(Math.round((ms - whole) * 1e6));
}

const nowMs = () => performance.timeOrigin + performance.now();

function timestamp(t, index) {
  let ns;
  if (t === undefined) ns = nsOfMs(nowMs());
  else if (typeof t === 'bigint') ns = t;
  else if (typeof t === 'number' || t instanceof Date) {
    const ms = typeof t === 'number' ? t : t.getTime();
    if (!Number.isFinite(ms) || ms < 0 || ms >= 9.2e12) {
      throw refuse('LTS_ERR_INVALID_VALUE', `log ${index}: timestamp ${String(t)} is out of range: a bigint of nanoseconds, a number of milliseconds or a Date since the epoch`);
    }
    ns = nsOfMs(ms);
  } else {
    throw refuse('LTS_ERR_INVALID_VALUE', `log ${index}: timestamp is a ${typeof t}: a bigint of nanoseconds, a number of milliseconds or a Date since the epoch`);
  }
  if (ns < 0n || ns > 0x7fffffffffffffffn) {
    throw refuse('LTS_ERR_INVALID_VALUE', `log ${index}: timestamp ${ns} is out of range: nanoseconds since the epoch, 0 <= t < 2^63`);
  }
  room(8);
  buf.writeBigInt64LE(ns, at);
  at += 8;
}

function kindOf(v) {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

function fields(o, what, index) {
  if (o === undefined || o === null) {
    room(4);
    buf.writeUInt32LE(0, at);
    at += 4;
    return;
  }
  if (typeof o !== 'object' || Array.isArray(o)) {
    throw refuse('LTS_ERR_INVALID_ARGUMENT', `log ${index}: ${what} must be an object of key: value, not ${kindOf(o) === 'array' ? 'an array' : kindOf(o)}`);
  }
  room(4);
  const countAt = at;
  at += 4;
  let n = 0;
  for (const key of Object.keys(o)) {
    const v = o[key];
    switch (typeof v) {
      case 'string':
        room(1);
        buf[at++] = TYPE_STR;
        str(key);
        str(v);
        break;
      case 'number':
        room(1);
        if (Number.isInteger(v) && Math.abs(v) <= 9007199254740992) {
          buf[at++] = TYPE_I64;
          str(key);
          room(8);
          i64(v);
        } else {
          buf[at++] = TYPE_F64;
          str(key);
          room(8);
          buf.writeDoubleLE(v, at);
          at += 8;
        }
        break;
      case 'bigint':
        if (BigInt.asIntN(64, v) !== v) {
          throw refuse('LTS_ERR_INVALID_VALUE', `log ${index}: ${what} ${JSON.stringify(key)}: the bigint does not fit a 64-bit integer`);
        }
        room(1);
        buf[at++] = TYPE_I64;
        str(key);
        room(8);
        buf.writeBigInt64LE(v, at);
        at += 8;
        break;
      case 'boolean':
        room(1);
        buf[at++] = TYPE_STR;
        str(key);
        str(v ? 'true' : 'false');
        break;
      case 'undefined':
        continue; // left out, as JSON.stringify leaves it out
      default:
        throw refuse('LTS_ERR_INVALID_VALUE', `log ${index}: ${what} ${JSON.stringify(key)}: a value must be a string, number, bigint or boolean, not ${kindOf(v)}`);
    }
    n++;
  }
  buf.writeUInt32LE(n, countAt);
}

function one(log, index) {
  if (log === null || typeof log !== 'object' || Array.isArray(log)) {
    throw refuse('LTS_ERR_INVALID_ARGUMENT', `log ${index}: a log must be an object {timestamp, message, contents, labels}, not ${kindOf(log)}`);
  }
  timestamp(log.timestamp, index);
  if (typeof log.message !== 'string') {
    throw refuse('LTS_ERR_INVALID_VALUE', `log ${index}: message must be a non-empty string, not ${kindOf(log.message)}`);
  }
  str(log.message);
  fields(log.contents, 'contents', index);
  fields(log.labels, 'labels', index);
}

/** Lays out a log or an array of logs; returns [buffer, byteLength, count]. The buffer is
 *  valid until the next call. */
function pack(logs) {
  at = 0;
  if (Array.isArray(logs)) {
    if (logs.length === 0) throw refuse('LTS_ERR_INVALID_ARGUMENT', 'no logs: the array is empty');
    for (let i = 0; i < logs.length; i++) one(logs[i], i);
    return [buf, at, logs.length];
  }
  one(logs, 0);
  return [buf, at, 1];
}

function setErrorMaker(f) {
  makeError = f;
}

module.exports = { pack, setErrorMaker };
