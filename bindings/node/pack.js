'use strict';
// JS logs into the packed item layout of liblts's C API (src/packed.rs: one buffer per call,
// so a send crosses into native code once, not once per field), after the send's target: the
// log project and unit, each a u32 byte length and its UTF-8. This file only lays the values
// out; liblts checks every key and value when it reads them, and its errors name the log and
// the key. One buffer is reused: the native side reads it before the call returns (putLogs
// takes a copy).

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

// A short ASCII string is copied here, a byte per character: cheaper than a call into V8.
// Anything else goes through Buffer's UTF-8 encoder (which also turns a lone surrogate into
// U+FFFD, as liblts needs valid UTF-8).
function str(s) {
  const len = s.length;
  room(4 + len * 3);
  const b = buf;
  const start = at + 4;
  let n;
  if (len < 32) {
    let i = 0;
    for (; i < len; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      b[start + i] = c;
    }
    n = i === len ? len : b.utf8Write(s, start);
  } else {
    n = b.utf8Write(s, start);
  }
  b[at] = n & 0xff;
  b[at + 1] = (n >>> 8) & 0xff;
  b[at + 2] = (n >>> 16) & 0xff;
  b[at + 3] = n >>> 24;
  at = start + n;
}

// A u32 (or the low 32 bits of a whole number below 2^53) byte by byte: Buffer's
// writeUInt32LE checks its range and costs more than the whole store.
function u32At(v, pos) {
  buf[pos] = v & 0xff;
  buf[pos + 1] = (v >>> 8) & 0xff;
  buf[pos + 2] = (v >>> 16) & 0xff;
  buf[pos + 3] = v >>> 24;
}

function u32(v) {
  u32At(v, at);
  at += 4;
}

// A whole number of at most 2^53 as an i64, in two halves (no BigInt on the fast path).
function i64(v) {
  const hi = Math.floor(v / TWO_32);
  u32(v - hi * TWO_32);
  u32(hi);
}

const nowMs = () => performance.timeOrigin + performance.now();

// Milliseconds since the epoch (0 <= ms < 9.2e12, checked) as i64 nanoseconds, in two u32
// halves computed exactly in doubles: no BigInt on the way.
function msAsNs(ms) {
  const whole = Math.floor(ms);
  const high = Math.floor(whole / TWO_32);
  const low = (whole - high * TWO_32) * 1e6 + Math.round((ms - whole) * 1e6); // < 2^53: exact
  const carry = Math.floor(low / TWO_32);
  room(8);
  u32(low - carry * TWO_32);
  u32(high * 1e6 + carry);
}

function timestamp(t, index) {
  if (t === undefined) {
    msAsNs(nowMs());
    return;
  }
  if (typeof t === 'number' || t instanceof Date) {
    const ms = typeof t === 'number' ? t : t.getTime();
    if (!Number.isFinite(ms) || ms < 0 || ms >= 9.2e12) {
      throw refuse('LTS_ERR_INVALID_VALUE', `log ${index}: timestamp ${String(t)} is out of range: a bigint of nanoseconds, a number of milliseconds or a Date since the epoch`);
    }
    msAsNs(ms);
    return;
  }
  if (typeof t !== 'bigint') {
    throw refuse('LTS_ERR_INVALID_VALUE', `log ${index}: timestamp is a ${typeof t}: a bigint of nanoseconds, a number of milliseconds or a Date since the epoch`);
  }
  if (t < 0n || t > 0x7fffffffffffffffn) {
    throw refuse('LTS_ERR_INVALID_VALUE', `log ${index}: timestamp ${t} is out of range: nanoseconds since the epoch, 0 <= t < 2^63`);
  }
  room(8);
  buf.writeBigInt64LE(t, at);
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

// The last target's bytes: a program sends to the same project and unit again and again.
let lastProject = null;
let lastUnit = null;
let target = null;

function name(v, what) {
  if (typeof v !== 'string') {
    const t = v === null ? 'null' : typeof v === 'function' ? 'function' : typeof v;
    throw refuse('LTS_ERR_INVALID_ARGUMENT', `${what} must be a string, not ${t}`);
  }
}

function setTarget(project, unit) {
  name(project, 'log project');
  name(unit, 'log unit');
  const p = Buffer.from(project, 'utf8');
  const u = Buffer.from(unit, 'utf8');
  const t = Buffer.allocUnsafe(8 + p.length + u.length);
  t.writeUInt32LE(p.length, 0);
  p.copy(t, 4);
  t.writeUInt32LE(u.length, 4 + p.length);
  u.copy(t, 8 + p.length);
  target = t;
  lastProject = project;
  lastUnit = unit;
}

// The usual case the short way: every string ASCII, every value a string, number or boolean.
// The layout is written without its strings (each length in its place), then all the
// strings at once, in their order, through one call of V8's UTF-8 encoder; the native side
// puts each string back in its place. Anything else (a string that is not ASCII, a bigint, a
// value or log of the wrong type, an object that is not plain) gives up here, and the full
// way lays the logs out again (and words the error).
let text = '';

// `for…in` walks an object by its shape's cached keys, with loads the JIT keeps monomorphic
// (Object.keys then `o[key]` costs a megamorphic load a field). It also walks enumerable
// inherited keys, which Object.keys leaves out: it is taken only for a plain object, and only
// while nothing has added an enumerable key to Object.prototype.
function walksOwnKeys(o) {
  if (Object.getPrototypeOf(o) !== Object.prototype) return false;
  for (const _ in Object.prototype) return false;
  return true;
}

function fastFields(o) {
  if (o === undefined || o === null) {
    room(4);
    u32(0);
    return true;
  }
  if (typeof o !== 'object' || !walksOwnKeys(o)) return false;
  room(4);
  const countAt = at;
  at += 4;
  let n = 0;
  for (const key in o) {
    const v = o[key];
    switch (typeof v) {
      case 'string':
        room(9);
        buf[at++] = TYPE_STR;
        u32(key.length);
        u32(v.length);
        text += key;
        text += v;
        break;
      case 'number':
        room(13);
        if (Number.isInteger(v) && Math.abs(v) <= 9007199254740992) {
          buf[at++] = TYPE_I64;
          u32(key.length);
          i64(v);
        } else {
          buf[at++] = TYPE_F64;
          u32(key.length);
          buf.writeDoubleLE(v, at);
          at += 8;
        }
        text += key;
        break;
      case 'boolean':
        room(9);
        buf[at++] = TYPE_STR;
        u32(key.length);
        u32(v ? 4 : 5);
        text += key;
        text += v ? 'true' : 'false';
        break;
      case 'undefined':
        continue;
      default:
        return false;
    }
    n++;
  }
  u32At(n, countAt);
  return true;
}

function fastOne(log) {
  if (log === null || typeof log !== 'object' || Array.isArray(log)) return false;
  const t = log.timestamp;
  if (t === undefined) {
    msAsNs(nowMs());
  } else if (typeof t === 'number' && t >= 0 && t < 9.2e12) {
    msAsNs(t);
  } else {
    return false;
  }
  const m = log.message;
  if (typeof m !== 'string') return false;
  room(4);
  u32(m.length);
  text += m;
  return fastFields(log.contents) && fastFields(log.labels);
}

// After the target: [buffer, byteLength, where the strings start, count], or null.
function packFast(logs, start) {
  at = start;
  text = '';
  let count = 1;
  if (Array.isArray(logs)) {
    count = logs.length;
    for (let i = 0; i < count; i++) if (!fastOne(logs[i])) return null;
  } else if (!fastOne(logs)) {
    return null;
  }
  const textAt = at;
  const chars = text.length;
  room(chars * 3);
  const n = buf.utf8Write(text, textAt);
  text = '';
  // As many bytes as characters: every string was ASCII, so each length above is in bytes.
  if (n !== chars) return null;
  return [buf, textAt + n, textAt, count];
}

/** Lays out the target and a log or an array of logs: returns [buffer, byteLength, textAt,
 *  count] (textAt 0: the packed layout as it is; else the strings are out of line from
 *  there, see packFast). The buffer is valid until the next call. */
function pack(project, unit, logs) {
  if (project !== lastProject || unit !== lastUnit) setTarget(project, unit);
  at = 0;
  room(target.length);
  buf.set(target, 0);
  const start = target.length;
  if (!(Array.isArray(logs) && logs.length === 0)) {
    const fast = packFast(logs, start);
    if (fast !== null) return fast;
  }
  at = start;
  if (Array.isArray(logs)) {
    if (logs.length === 0) throw refuse('LTS_ERR_INVALID_ARGUMENT', 'no logs: the array is empty');
    for (let i = 0; i < logs.length; i++) one(logs[i], i);
    return [buf, at, 0, logs.length];
  }
  one(logs, 0);
  return [buf, at, 0, 1];
}

function setErrorMaker(f) {
  makeError = f;
}

module.exports = { pack, setErrorMaker };
