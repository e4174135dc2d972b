'use strict';
// One side of the benchmark suite's Node rows (scripts/bench-node.sh runs it; scripts/bench.py
// reads its key=value lines):
//
//   node bench/bench.js SIDE ENDPOINT LOGS PER_SEND RATE
//
// SIDE: sendLogs (Producer.sendLogs: no result asked), send (Producer.send: a Promise a send,
// all awaited), pure (the most direct pure-JS client a Node user would write: protobufjs for
// OTLP protobuf, lz4js for the lz4 block, fetch with keep-alive; batches of 4096 with a 2000 ms
// linger and up to 8 requests in flight, as the producer's defaults), winston-lts / winston-file
// (logger.info of the log's message with 3 fields, through LtsTransport or winston's File
// transport). Every log is a fresh `wide` object made from the program's data in the loop, on
// every side. RATE 0: a burst; else RATE logs/s, in bursts of 100 on timers. First a warm-up
// of its own, then the measured run: from building the producer (or logger) to its close, the
// process's CPU time (every thread) per log, and the main thread's.
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const AK = 'lts-local-ak';
const SK = 'lts-local-sk';
const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36';

function msg(i) {
  return `GET /api/v1/orders/${String(i).padStart(8, '0')} HTTP/1.1 200 1532 0.012 "Mozilla/5.0 (X11; Linux x86_64)"`;
}

function wide(i) {
  const n8 = String(i).padStart(8, '0');
  return {
    timestamp: Date.now(),
    message: `GET /api/v1/orders/${n8} HTTP/1.1 200 1532 0.012 "Mozilla/5.0 (X11; Linux x86_64)"`,
    contents: {
      level: 'info',
      host: `web-${String(i % 16).padStart(2, '0')}.prod.example`,
      method: 'GET',
      path: `/api/v1/orders/${n8}`,
      status: 200,
      latency_ms: 12.5 + (i % 7),
      // (i * 2654435761) is exact in a double for every i used here (< 2^53).
      trace_id: (i * 2654435761).toString(16).padStart(32, '0'),
      user_agent: UA,
    },
    labels: { user_tag: 'string' },
  };
}

// This thread's CPU time in ns (the kernel's scheduler statistics).
function threadCpuNs() {
  return Number(fs.readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ')[0]);
}

// ---- liblts ------------------------------------------------------------------------------

function libltsSide(url, perSend, promises) {
  const { Producer } = require('..');
  let p;
  let settled;
  let failed;
  let batch;
  // Each send's Promise is handled as it settles (an application awaits each, or attaches a
  // handler), not kept until the end.
  const ok = (r) => {
    settled += r.logCount;
  };
  const bad = () => {
    failed++;
  };
  return {
    start() {
      p = new Producer({ endpoint: url, access_key: AK, secret_key: SK, log_project: 'bench' });
      settled = 0;
      failed = 0;
      batch = [];
    },
    log(i) {
      let logs = wide(i);
      if (perSend > 1) {
        batch.push(logs);
        if (batch.length < perSend) return;
        logs = batch;
        batch = [];
      }
      if (promises) p.send('bench', 'unit', logs).then(ok, bad);
      else p.sendLogs('bench', 'unit', logs);
    },
    async finish() {
      if (batch.length) p.send('bench', 'unit', batch).then(ok, bad);
      // Closing sends the last open batch now rather than after its linger; it settles after
      // every send's result.
      const stats = await p.safeClose();
      if (promises && (failed || settled !== stats.logs_sent)) {
        throw new Error(`the results (${settled} logs, ${failed} failures) do not add up to the logs sent`);
      }
      return stats.logs_sent;
    },
  };
}

// ---- pure JS: protobufjs + lz4js + fetch ---------------------------------------------------

function eopToken(url) {
  const body = '{}';
  const rid = crypto.randomUUID();
  const date = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const hash = crypto.createHash('sha256').update(body).digest('hex');
  const sts = `ctyun-eop-request-id:${rid}\neop-date:${date}\n\n\n${hash}`;
  const hm = (k, d) => crypto.createHmac('sha256', k).update(d).digest();
  const k = hm(hm(hm(SK, date), AK), date.slice(0, 8));
  const sig = hm(k, sts).toString('base64');
  return fetch(`${url}/v1/auth/token`, {
    method: 'POST',
    body,
    headers: {
      'Content-Type': 'application/json', 'ctyun-eop-request-id': rid, 'Eop-date': date,
      'Eop-Authorization': `${AK} Headers=ctyun-eop-request-id;eop-date Signature=${sig}`,
    },
  }).then((r) => r.json()).then((j) => j.returnObj.token);
}

function pureSide(url) {
  const protobuf = require('protobufjs');
  const lz4 = require('lz4js');
  const root = protobuf.loadSync(path.join(__dirname, '..', '..', '..', 'proto', 'logs.proto'));
  const LogsData = root.lookupType('opentelemetry.proto.logs.v1.LogsData');
  const { Long } = protobuf.util;
  const attr = (key, v) => ({
    key,
    value: typeof v === 'string' ? { stringValue: v } : Number.isInteger(v) ? { intValue: v } : { doubleValue: v },
  });
  const attrs = (o) => Object.keys(o).map((k) => attr(k, o[k]));
  let token;
  let batch;
  let labels;
  let inflight;
  let sent;
  let timer;
  function flush() {
    clearTimeout(timer);
    if (batch.length === 0) return undefined;
    const records = batch;
    batch = [];
    const raw = LogsData.encode({
      resourceLogs: [{ resource: { attributes: attrs(labels) }, scopeLogs: [{ scope: { name: 'pure-js' }, logRecords: records }] }],
    }).finish();
    const out = new Uint8Array(lz4.compressBound(raw.length));
    const size = lz4.compressBlock(raw, out, 0, raw.length, new Uint32Array(1 << 16));
    const q = new URLSearchParams({ logProject: 'bench', logUnit: 'unit' });
    const req = fetch(`${url}/v1/lts/logs?${q}`, {
      method: 'POST',
      body: out.subarray(0, size),
      headers: {
        'Content-Type': 'application/x-protobuf', 'x-lts-token': token, 'x-lts-compresstype': 'lz4',
        'x-lts-bodyrawsize': String(raw.length), 'x-lts-batch-id': crypto.randomUUID(),
      },
    }).then((r) => r.json()).then((j) => {
      if (j.statusCode !== 0) throw new Error(JSON.stringify(j));
      sent += records.length;
    }).finally(() => inflight.delete(req));
    inflight.add(req);
    // At most 8 requests in flight: the caller waits for room, as a producer's send would.
    return inflight.size >= 8 ? Promise.race(inflight) : undefined;
  }
  return {
    async start() {
      token = await eopToken(url);
      batch = [];
      inflight = new Set();
      sent = 0;
      timer = null;
    },
    log(i) {
      const log = wide(i);
      if (batch.length === 0) {
        labels = log.labels;
        timer = setTimeout(flush, 2000);
      }
      batch.push({
        timeUnixNano: Long.fromNumber(log.timestamp, true).multiply(1000000),
        body: { stringValue: log.message },
        attributes: attrs(log.contents),
      });
      if (batch.length === 4096) return flush();
      return undefined;
    },
    async finish() {
      await flush();
      await Promise.all(inflight);
      return sent;
    },
  };
}

// ---- winston: LtsTransport or the File transport -------------------------------------------

function winstonSide(url, lts) {
  const winston = require('winston');
  let logger;
  let dir;
  let transport;
  return {
    start() {
      if (lts) {
        const { LtsTransport } = require('../winston');
        transport = new LtsTransport({
          client: { endpoint: url, access_key: AK, secret_key: SK, log_project: 'bench' }, logUnit: 'unit',
        });
      } else {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));
        transport = new winston.transports.File({ filename: path.join(dir, 'app.log'), format: winston.format.json() });
      }
      logger = winston.createLogger({ level: 'info', format: winston.format.timestamp(), transports: [transport] });
    },
    log(i) {
      logger.info(msg(i), { order: i, host: `web-${String(i % 16).padStart(2, '0')}.prod.example`, latency_ms: 12.5 + (i % 7) });
    },
    async finish() {
      // The loop wrote every record into winston's streams without yielding: let them drain,
      // then end (the File transport refuses writes once ended).
      while (logger.writableLength > 0 || transport.writableLength > 0) await new Promise((r) => setImmediate(r));
      const done = new Promise((resolve) => transport.once('finish', resolve));
      logger.end();
      await done;
      if (!lts) {
        fs.rmSync(dir, { recursive: true, force: true });
        return -1;
      }
      if (transport.dropped || transport.failed) throw new Error(`${transport.dropped} dropped, ${transport.failed} failed`);
      return -1; // counted by the server
    },
  };
}

const SIDES = {
  sendLogs: (url, perSend) => libltsSide(url, perSend, false),
  send: (url, perSend) => libltsSide(url, perSend, true),
  pure: (url) => pureSide(url),
  'winston-lts': (url) => winstonSide(url, true),
  'winston-file': (url) => winstonSide(url, false),
};

// One run of n logs: [wall s, process CPU s, main-thread CPU ns, logs reported sent].
async function run(side, n, rate) {
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  const m0 = threadCpuNs();
  await side.start();
  if (!rate) {
    for (let i = 0; i < n; i++) {
      const wait = side.log(i);
      if (wait) await wait;
    }
  } else {
    // Bursts of 100 at their scheduled times (the C benchmark's pacing), on timers.
    const start = performance.now();
    for (let i = 0; i < n;) {
      const due = start + (i / rate) * 1000;
      const ahead = due - performance.now();
      if (ahead > 0) await new Promise((r) => setTimeout(r, ahead));
      for (const end = Math.min(n, i + 100); i < end; i++) {
        const wait = side.log(i);
        if (wait) await wait;
      }
    }
  }
  const sent = await side.finish();
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(c0);
  return [wall, (cpu.user + cpu.system) / 1e6, threadCpuNs() - m0, sent];
}

// The program's own making of its logs, alone (the C benchmark's format_ns_per_log).
function formatNsPerLog() {
  const n = 200000;
  let keep = 0;
  const m0 = threadCpuNs();
  for (let i = 0; i < n; i++) keep += wide(i).contents.trace_id.length;
  return [(threadCpuNs() - m0) / n, keep];
}

async function main() {
  const [name, url, logsArg, perSendArg, rateArg] = process.argv.slice(2);
  const make = SIDES[name];
  if (!make || !rateArg) {
    throw new Error(`usage: bench.js ${Object.keys(SIDES).join('|')} ENDPOINT LOGS PER_SEND RATE`);
  }
  const logs = Number(logsArg);
  const perSend = Number(perSendArg);
  const rate = Number(rateArg);
  const [formatNs] = formatNsPerLog();
  const warm = Math.min(logs, 200000);
  const w = await run(make(url, perSend), warm, 0);
  const r = await run(make(url, perSend), logs, rate);
  if (r[3] !== -1 && (w[3] !== warm || r[3] !== logs)) {
    throw new Error(`${name}: ${w[3]} + ${r[3]} logs reported sent, not ${warm} + ${logs}`);
  }
  const toLts = name !== 'winston-file';
  console.log(`${name}, ${perSend} per send${rate ? ', paced' : ''}: ${Math.round(logs / r[0]).toLocaleString('en')} logs/s, `
    + `${Math.round((r[1] / logs) * 1e9).toLocaleString('en')} ns CPU per log (main thread ${Math.round(r[2] / logs).toLocaleString('en')})`);
  console.log([
    `logs=${logs}`, `sent_logs=${toLts ? warm + logs : 0}`, `logs_per_s=${(logs / r[0]).toFixed(0)}`,
    `cpu_ns_per_log=${((r[1] / logs) * 1e9).toFixed(1)}`, `main_ns_per_log=${(r[2] / logs).toFixed(1)}`,
    `format_ns_per_log=${formatNs.toFixed(1)}`,
  ].join('\n'));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
