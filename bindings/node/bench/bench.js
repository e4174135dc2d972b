'use strict';
// Logs/s and CPU per log (user + system, every thread of the process) of the `wide` shape
// into `lts-local --sink`: liblts's Producer beside the most direct pure-JS way a Node user
// would build it (protobufjs for OTLP protobuf, lz4js for the lz4 block, fetch with keep-alive;
// batches of 4096 with a 2000 ms linger and up to 8 requests in flight, as the producer's
// defaults). Every log is a fresh object built from the program's data in the timed loop, on
// both sides. Bursts (as fast as the side takes them) and paced (a fixed rate, CPU per log).
//
//   node bench/bench.js [--logs N] [--paced-rate R] [--paced-seconds S]
//
// Each side runs in its own node process: one warm-up run, then the median of 3; the server
// must have counted every log each side sent.
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const path = require('node:path');

const AK = 'lts-local-ak';
const SK = 'lts-local-sk';

function wide(i) {
  const n8 = String(i).padStart(8, '0');
  return {
    timestamp: BigInt(Date.now()) * 1000000n,
    message: `GET /api/v1/orders/${n8} HTTP/1.1 200 1532 0.012 "Mozilla/5.0 (X11; Linux x86_64)"`,
    contents: {
      level: 'info',
      host: `web-${String(i % 16).padStart(2, '0')}.prod.example`,
      method: 'GET',
      path: `/api/v1/orders/${n8}`,
      status: 200,
      latency_ms: 12.5 + (i % 7),
      trace_id: (i * 2654435761).toString(16).padStart(32, '0'),
      user_agent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36',
    },
    labels: { user_tag: 'string' },
  };
}

// ---- liblts ------------------------------------------------------------------------------

function libltsSide(url, perCall, noResult) {
  const { Producer } = require('..');
  return {
    start() {
      this.p = new Producer({ endpoint: url, access_key: AK, secret_key: SK, log_project: 'bench' });
      this.pending = [];
    },
    send(i) {
      if (noResult) {
        this.p.sendLogs('bench', 'unit', wide(i));
      } else if (perCall === 1) {
        this.pending.push(this.p.send('bench', 'unit', wide(i)));
      } else if ((i + 1) % perCall === 0) {
        const logs = [];
        for (let k = i + 1 - perCall; k <= i; k++) logs.push(wide(k));
        this.pending.push(this.p.send('bench', 'unit', logs));
      }
    },
    async finish() {
      // Closing sends the last open batch now rather than after its linger.
      const closed = this.p.safeClose();
      const results = await Promise.all(this.pending);
      const stats = await closed;
      return noResult ? stats.logs_sent : results.reduce((n, r) => n + r.logCount, 0);
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
  const attr = (key, v) => ({
    key,
    value: typeof v === 'string' ? { stringValue: v } : Number.isInteger(v) ? { intValue: v } : { doubleValue: v },
  });
  const attrs = (o) => Object.keys(o).map((k) => attr(k, o[k]));
  return {
    async start() {
      this.token = await eopToken(url);
      this.batch = [];
      this.inflight = new Set();
      this.sent = 0;
      this.timer = null;
    },
    record(log) {
      return {
        timeUnixNano: protobuf.util.Long.fromString(log.timestamp.toString(), true),
        body: { stringValue: log.message },
        attributes: attrs(log.contents),
      };
    },
    send(i) {
      const log = wide(i);
      if (this.batch.length === 0) {
        this.labels = log.labels;
        this.timer = setTimeout(() => this.flush(), 2000);
      }
      this.batch.push(this.record(log));
      if (this.batch.length === 4096) return this.flush();
      return undefined;
    },
    flush() {
      clearTimeout(this.timer);
      if (this.batch.length === 0) return undefined;
      const records = this.batch;
      this.batch = [];
      const raw = LogsData.encode({
        resourceLogs: [{ resource: { attributes: attrs(this.labels) }, scopeLogs: [{ scope: { name: 'pure-js' }, logRecords: records }] }],
      }).finish();
      const out = new Uint8Array(lz4.compressBound(raw.length));
      const size = lz4.compressBlock(raw, out, 0, raw.length, new Uint32Array(1 << 16));
      const q = new URLSearchParams({ logProject: 'bench', logUnit: 'unit' });
      const req = fetch(`${url}/v1/lts/logs?${q}`, {
        method: 'POST',
        body: out.subarray(0, size),
        headers: {
          'Content-Type': 'application/x-protobuf', 'x-lts-token': this.token, 'x-lts-compresstype': 'lz4',
          'x-lts-bodyrawsize': String(raw.length), 'x-lts-batch-id': crypto.randomUUID(),
        },
      }).then((r) => r.json()).then((j) => {
        if (j.statusCode !== 0) throw new Error(JSON.stringify(j));
        this.sent += records.length;
      }).finally(() => this.inflight.delete(req));
      this.inflight.add(req);
      // At most 8 requests in flight: the caller waits for room, as a producer's send would.
      return this.inflight.size >= 8 ? Promise.race(this.inflight) : undefined;
    },
    async finish() {
      await this.flush();
      await Promise.all(this.inflight);
      return this.sent;
    },
  };
}

const SIDES = {
  'liblts-nowait': ['liblts Producer.sendLogs, 1 log per call, no result asked', (url) => libltsSide(url, 1, true)],
  'liblts-1': ['liblts Producer.send, 1 log per send (a Promise each)', (url) => libltsSide(url, 1)],
  'liblts-10': ['liblts Producer.send, 10 logs per send', (url) => libltsSide(url, 10)],
  pure: ['pure JS (protobufjs + lz4js + fetch)', (url) => pureSide(url)],
};

// One run: n logs as fast as the side takes them, or paced at `rate` logs/s.
async function run(side, n, rate) {
  await side.start();
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  if (!rate) {
    for (let i = 0; i < n; i++) {
      const wait = side.send(i);
      if (wait) await wait;
    }
  } else {
    // Every 10 ms, the logs due by then.
    let i = 0;
    const start = Date.now();
    while (i < n) {
      const due = Math.min(n, Math.floor(((Date.now() - start) / 1000) * rate) + 1);
      for (; i < due; i++) {
        const wait = side.send(i);
        if (wait) await wait;
      }
      if (i < n) await new Promise((r) => setTimeout(r, 10));
    }
  }
  const arrived = await side.finish();
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(c0);
  if (arrived !== n) throw new Error(`${arrived} of ${n} logs reported sent`);
  return [wall, (cpu.user + cpu.system) / 1e6];
}

const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function oneSide(name, url, n, rate) {
  const make = SIDES[name][1];
  await run(make(url), Math.max(1, Math.floor(n / 10)), rate ? rate : 0); // warm-up
  const runs = [];
  for (let r = 0; r < 3; r++) runs.push(await run(make(url), n, rate));
  const wall = median(runs.map((x) => x[0]));
  const cpu = median(runs.map((x) => x[1]));
  console.log(`${n / wall} ${(cpu / n) * 1e9}`);
}

async function main() {
  const args = process.argv.slice(2);
  const opt = (k, d) => (args.includes(k) ? args[args.indexOf(k) + 1] : d);
  const n = Number(opt('--logs', 100000));
  const pacedRate = Number(opt('--paced-rate', 20000));
  const pacedSeconds = Number(opt('--paced-seconds', 5));
  if (opt('--side')) return oneSide(opt('--side'), opt('--url'), n, Number(opt('--rate', 0)));
  const { start } = require('../test/localserver');
  const server = await start('--sink', '--no-quotas');
  try {
    const stored = async () => (await server.get('/_lts/stats')).stored_logs;
    const results = {};
    const modes = [['burst', n, 0], ['paced', pacedRate * pacedSeconds, pacedRate]];
    for (const [mode, count, rate] of modes) {
      for (const name of Object.keys(SIDES)) {
        if (mode === 'paced' && name === 'liblts-10') continue;
        const before = await stored();
        const out = execFileSync(process.execPath, [__filename, '--side', name, '--url', server.url, '--logs', String(count), '--rate', String(rate)], { encoding: 'utf8' });
        const [r, c] = out.trim().split('\n').pop().split(' ').map(Number);
        const counted = (await stored()) - before;
        const want = count * 3 + Math.max(1, Math.floor(count / 10));
        if (counted !== want) throw new Error(`${name} ${mode}: the server counted ${counted} logs, expected ${want}`);
        results[`${name}/${mode}`] = [r, c];
        const what = mode === 'burst' ? `${count.toLocaleString('en')} logs in a burst` : `${count.toLocaleString('en')} logs paced at ${rate.toLocaleString('en')}/s`;
        console.log(`${SIDES[name][0]}, ${what}: ${Math.round(r).toLocaleString('en')} logs/s, ${Math.round(c).toLocaleString('en')} ns CPU per log (median of 3 runs)`);
      }
    }
    for (const [mode] of modes) {
      for (const name of ['liblts-nowait', 'liblts-1', 'liblts-10']) {
        const a = results[`${name}/${mode}`];
        const b = results[`pure/${mode}`];
        if (!a) continue;
        console.log(`ratio ${SIDES[name][0]} / pure JS, ${mode}: ${(a[0] / b[0]).toFixed(1)}x logs/s, ${(b[1] / a[1]).toFixed(1)}x less CPU per log`);
      }
    }
  } finally {
    await server.stop();
  }
  return undefined;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
