'use strict';
// A winston transport on liblts's producer: `new LtsTransport({client, logProject, logUnit})`.
// Each record becomes one log: its message as the origin message, the level, the logger name,
// the time, and every other field of the record as contents. It never blocks past the
// producer's max_block_ms (0 by default: a full buffer drops the record at once) and never
// throws into the application: a dropped record or a refused field is counted and reported
// as the transport's 'warn' event (winston's 'error' event would throw without a listener).
const Transport = require('winston-transport');
const { Producer } = require('./index');

// winston's unformatted level (triple-beam's LEVEL).
const LEVEL = Symbol.for('level');

// Keys of winston's own bookkeeping, not the record's fields.
const SKIP = new Set(['message', 'level', 'timestamp']);

function fieldValue(v) {
  switch (typeof v) {
    case 'string':
      return v === '' ? undefined : v;
    case 'number':
    case 'bigint':
    case 'boolean':
      return v;
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    default:
      if (v === null) return undefined;
      if (v instanceof Date) return v.toISOString();
      if (v instanceof Error) return v.stack || String(v);
      try {
        const text = JSON.stringify(v);
        return text === undefined || text === '' ? undefined : text;
      } catch (e) {
        return String(v);
      }
  }
}

class LtsTransport extends Transport {
  /**
   * @param {object} opts  winston's transport options (level, format, ...) and:
   *   client: the client options ({endpoint, access_key, secret_key, log_project, ...});
   *   logProject, logUnit: where the records go (logProject defaults to client.log_project);
   *   producer: producer options (CONFIGURATION.md keys; linger_ms, max_block_ms, ...);
   *   loggerName: the `logger` field of records that carry none;
   *   labels: labels on every log;
   *   closeTimeoutMs: how long closing may take to send what is left (default: until all
   *     is sent, or fails after the producer's delivery_timeout_ms).
   */
  constructor(opts = {}) {
    const { client, logProject, logUnit, producer, loggerName, labels, closeTimeoutMs, ...transportOpts } = opts;
    super(transportOpts);
    this.name = 'lts';
    this.logProject = logProject || (client && client.log_project);
    this.logUnit = logUnit;
    this.loggerName = loggerName;
    this.labels = labels;
    this.closeTimeoutMs = closeTimeoutMs;
    this.dropped = 0;
    this.refusedFields = 0;
    this.failed = 0;
    this.producer = new Producer(client, producer || {});
    // The producer would keep the process alive; instead it is closed (everything sent) when
    // the loop runs out of work, and by the logger's end() or close().
    this.producer.unref();
    this._onBeforeExit = () => this._shutdown();
    process.once('beforeExit', this._onBeforeExit);
    this._closing = null;
  }

  log(info, callback) {
    if (this._closing) {
      this.dropped++;
      callback();
      return;
    }
    const contents = { level: info[LEVEL] || info.level };
    for (const key of Object.keys(info)) {
      if (SKIP.has(key)) continue;
      contents[key] = fieldValue(info[key]);
    }
    if (contents.logger === undefined && this.loggerName) contents.logger = this.loggerName;
    let timestamp;
    if (info.timestamp !== undefined) {
      const t = info.timestamp instanceof Date ? info.timestamp.getTime() : Date.parse(info.timestamp);
      if (Number.isFinite(t)) timestamp = t;
      else contents.timestamp = fieldValue(info.timestamp);
    }
    let message = typeof info.message === 'string' ? info.message : fieldValue(info.message);
    if (!message) message = '(empty message)';
    const log = { timestamp, message, contents, labels: this.labels };
    try {
      const refused = this.producer._sendLenient(this.logProject, this.logUnit, log, (err) => {
        if (err) {
          this.failed++;
          this.emit('warn', err);
        }
      });
      if (refused) {
        this.refusedFields += refused.length;
        for (const reason of refused) this.emit('warn', new Error(`a field was left out: ${reason}`));
      }
      this.emit('logged', info);
    } catch (err) {
      this.dropped++;
      this.emit('warn', err);
    }
    callback();
  }

  _shutdown() {
    if (!this._closing) {
      process.removeListener('beforeExit', this._onBeforeExit);
      this.producer.ref();
      const closed = this.closeTimeoutMs === undefined ? this.producer.safeClose() : this.producer.close(this.closeTimeoutMs);
      this._closing = closed.catch((err) => {
        this.emit('warn', err);
      });
    }
    return this._closing;
  }

  // logger.end(): the logger's 'finish' waits for this, so it comes once all is sent.
  _final(callback) {
    this._shutdown().then(() => callback());
  }

  // logger.close() or removing the transport.
  close() {
    this._shutdown().then(() => this.emit('closed'));
  }
}

module.exports = { LtsTransport };
