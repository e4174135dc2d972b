'use strict';
// The Node package against a real lts-local: the client's answers and errors, bad input,
// the producer's exactly-once results (10,000 concurrent sends), close, poll mode, stats,
// every option by name, and which handles keep the event loop alive.
const test = require('node:test');
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const lts = require('..');
const { start, clientOptions, ROOT } = require('./localserver');

const { LogClient, Producer, LtsError } = lts;

let server;
test.before(async () => {
  server = await start('--project', 'proj=unit-a,unit-b,unit-c,unit-f,unit-g,unit-h,unit-p,unit-q,unit-s,unit-t,unit-w,unit-x');
});
test.after(async () => {
  await server.stop();
});

function balanced(stats) {
  assert.equal(stats.logs_accepted, stats.logs_sent + stats.logs_failed, JSON.stringify(stats));
  assert.equal(stats.buffered_bytes, 0, JSON.stringify(stats));
}

test('putLogs sends now and the service stores every field with its type', async () => {
  const client = new LogClient(clientOptions(server));
  const ts = 1767225600123456789n;
  const r = await client.putLogs('proj', 'unit-a', [
    { timestamp: ts, message: 'first', contents: { s: 'text', i: 42, d: 2.5, big: 9007199254740993n, yes: true, gone: undefined }, labels: { env: 'test' } },
    { timestamp: 1767225600123, message: 'second', contents: { utf8: 'héllo 😀 中文' } },
  ]);
  assert.deepEqual(r, { statusCode: 0, message: 'SUCCESS', error: '' });
  const logs = await server.logs('proj', 'unit-a');
  assert.equal(logs.length, 2);
  assert.equal(logs[0].origin_msg, 'first');
  assert.equal(logs[1].origin_msg, 'second');
  assert.deepEqual(logs[0].contents, { s: 'text', i: 42, d: 2.5, big: 9007199254740993, yes: 'true' });
  assert.deepEqual(logs[0].labels, { env: 'test' });
  assert.deepEqual(logs[1].contents, { utf8: 'héllo 😀 中文' });
  assert.deepEqual(await server.timestamps('proj', 'unit-a'), [ts, 1767225600123000000n]);
});

test('ASCII logs (strings out of line) and the rest (laid out whole) arrive alike', async () => {
  // pack.js lays ASCII logs out without their strings and puts them after the layout; a
  // string that is not ASCII, a bigint or a Date sends the whole batch the full way.
  const { pack } = require('../pack');
  assert.ok(pack('proj', 'u', { message: 'ascii', contents: { k: 'v', n: 1 } })[2] > 0, 'ASCII: strings out of line');
  assert.equal(pack('proj', 'u', { message: 'ünï' })[2], 0, 'not ASCII: laid out whole');
  const client = new LogClient(clientOptions(server));
  const batch = (extra) => [
    { timestamp: 1767225600123.5, message: 'm1', contents: { s: 'x', i: -7, d: 0.25, t: true, f: false, u: undefined, ...extra }, labels: { l: 'v', n: 3 } },
    { timestamp: 1767225600124, message: 'm2' },
    { message: 'm3', contents: null, labels: {} },
  ];
  for (const [unit, extra] of [['unit-f', {}], ['unit-g', { w: 'wide 中' }], ['unit-h', { b: 5n }]]) {
    assert.deepEqual(await client.putLogs('proj', unit, batch(extra)), { statusCode: 0, message: 'SUCCESS', error: '' });
    const logs = await server.logs('proj', unit);
    assert.deepEqual(logs.map((l) => l.origin_msg), ['m1', 'm2', 'm3']);
    const want = { s: 'x', i: -7, d: 0.25, t: 'true', f: 'false' };
    if (extra.w) want.w = extra.w;
    if (extra.b) want.b = 5;
    assert.deepEqual(logs[0].contents, want);
    assert.deepEqual(logs[0].labels, { l: 'v', n: 3 });
    assert.deepEqual(logs[1].contents, {});
    const ts = await server.timestamps('proj', unit);
    assert.deepEqual(ts.slice(0, 2), [1767225600123500000n, 1767225600124000000n]);
  }
  // A producer's send, both ways, one after the other.
  const p = new Producer(clientOptions(server));
  const r1 = await p.send('proj', 'unit-f', { timestamp: 5, message: 'ascii', contents: { k: 'v' } });
  const r2 = await p.send('proj', 'unit-f', { timestamp: 6, message: 'ünï', contents: { k: 'v' } });
  assert.equal(r1.logCount + r2.logCount, 2);
  await p.safeClose();
  const sent = (await server.logs('proj', 'unit-f')).slice(3).map((l) => [l.origin_msg, l.contents.k]);
  assert.deepEqual(sent, [['ascii', 'v'], ['ünï', 'v']]);
});

test('the short way takes only plain objects and sends every string length, ASCII or not', async () => {
  // Its walk (for...in) would also see enumerable inherited keys: anything but a plain
  // object, or a plain one while Object.prototype has an enumerable key, takes the full way,
  // which sends own keys only.
  const { pack } = require('../pack');
  const short = (logs) => pack('proj', 'u', logs)[2] > 0;
  class Fields {
    constructor() {
      this.k = 'v';
    }
  }
  Fields.prototype.inherited = 'not sent';
  const bare = Object.create(null);
  bare.k = 'v';
  assert.ok(short({ message: 'm', contents: { k: 'v' } }), 'a plain object: the short way');
  assert.ok(!short({ message: 'm', contents: new Fields() }), 'a class instance: the full way');
  assert.ok(!short({ message: 'm', labels: bare }), 'no prototype: the full way');
  const client = new LogClient(clientOptions(server));
  const ok = async (sent) => assert.equal((await sent).statusCode, 0);
  await ok(client.putLogs('proj', 'unit-w', { message: 'class', contents: new Fields(), labels: bare }));
  let sent;
  Object.prototype.polluted = 'not sent'; // eslint-disable-line no-extend-native
  try {
    assert.ok(!short({ message: 'm', contents: { k: 'v' } }), 'Object.prototype has an enumerable key: the full way');
    sent = client.putLogs('proj', 'unit-w', { message: 'polluted', contents: { k: 'v' }, labels: { k: 'v' } });
  } finally {
    delete Object.prototype.polluted;
  }
  await ok(sent); // packed before the key was deleted
  assert.ok(short({ message: 'm', contents: { k: 'v' } }), 'the short way again');
  // Strings on both sides of the 32-character byte loop and past the buffer's first size,
  // ASCII (the short way) and not (the full way); the same keys in every log and in both lists.
  const lengths = [1, 31, 32, 33, 100, 70000];
  const ascii = (n, c) => c.repeat(n);
  const wide = (n, c) => (c + 'é中😀').repeat(Math.ceil(n / 5)).slice(0, n);
  const batch = (make) => lengths.map((n, i) => ({
    message: make(n, 'm'),
    contents: { same: make(n, 'v'), ['k'.repeat(Math.min(n, 60))]: i, d: i + 0.5 },
    labels: { same: make(Math.min(n, 100), 'l') },
  }));
  assert.ok(short(batch(ascii)), 'every string ASCII: the short way');
  assert.ok(!short(batch(wide)), 'a string not ASCII: the full way');
  for (const make of [ascii, wide]) await ok(client.putLogs('proj', 'unit-w', batch(make)));
  const logs = await server.logs('proj', 'unit-w');
  assert.deepEqual(logs.slice(0, 2).map((l) => [l.origin_msg, l.contents, l.labels]), [
    ['class', { k: 'v' }, { k: 'v' }],
    ['polluted', { k: 'v' }, { k: 'v' }],
  ]);
  const want = [...batch(ascii), ...batch(wide)].map((l) => [l.message, { ...l.contents }, { ...l.labels }]);
  assert.deepEqual(logs.slice(2).map((l) => [l.origin_msg, l.contents, l.labels]), want);
});

test('a refused put rejects with the service answer, a bad key pair with LTS_ERR_AUTH', async () => {
  const client = new LogClient(clientOptions(server));
  await assert.rejects(client.putLogs('proj', 'no-such-unit', { message: 'm' }), (e) => {
    assert.ok(e instanceof LtsError && e instanceof Error);
    assert.equal(e.name, 'LTS_ERR_SERVER');
    assert.equal(typeof e.code, 'number');
    assert.equal(lts.resultName(e.code), 'LTS_ERR_SERVER');
    assert.equal(e.response.error, 'LTS_8011');
    return true;
  });
  const wrong = new LogClient(clientOptions(server, { secret_key: 'wrong' }));
  await assert.rejects(wrong.putLogs('proj', 'unit-a', { message: 'm' }), { name: 'LTS_ERR_AUTH' });
});

test('bad input is refused with an LtsError naming what is wrong', async () => {
  const client = new LogClient(clientOptions(server));
  const cases = [
    [{ message: '' }, 'LTS_ERR_INVALID_VALUE', /message/],
    [{ message: 7 }, 'LTS_ERR_INVALID_VALUE', /message must be a non-empty string, not number/],
    [{ message: 'm', contents: { 'area:': 1 } }, 'LTS_ERR_INVALID_KEY', /"area:"/],
    [{ message: 'm', contents: { k: '' } }, 'LTS_ERR_INVALID_VALUE', /"k"/],
    [{ message: 'm', contents: { k: { nested: 1 } } }, 'LTS_ERR_INVALID_VALUE', /not object/],
    [{ message: 'm', contents: { k: null } }, 'LTS_ERR_INVALID_VALUE', /not null/],
    [{ message: 'm', contents: [1, 2] }, 'LTS_ERR_INVALID_ARGUMENT', /an array/],
    [{ message: 'm', timestamp: -1 }, 'LTS_ERR_INVALID_VALUE', /timestamp/],
    [{ message: 'm', timestamp: 'now' }, 'LTS_ERR_INVALID_VALUE', /timestamp is a string/],
    [[{ message: 'ok' }, 'not an object'], 'LTS_ERR_INVALID_ARGUMENT', /log 1: a log must be an object/],
    [[], 'LTS_ERR_INVALID_ARGUMENT', /empty/],
    [{ message: 'bad \ud800 surrogate', contents: { k: 'v' } }, null, null],
  ];
  for (const [logs, name, re] of cases) {
    const p = client.putLogs('proj', 'unit-b', logs);
    if (name === null) {
      // V8 hands a lone surrogate over as U+FFFD: sent, not a crash.
      assert.equal((await p).statusCode, 0);
      continue;
    }
    await assert.rejects(p, (e) => {
      assert.ok(e instanceof LtsError, String(e));
      assert.equal(e.name, name, `${JSON.stringify(logs)}: ${e.message}`);
      assert.match(e.message, re);
      return true;
    });
  }
  await assert.rejects(client.putLogs(42, 'unit-b', { message: 'm' }), /log project must be a string, not number/);
  assert.throws(() => new LogClient({ endpoint: server.url }), (e) => e instanceof LtsError && /access_key is required/.test(e.message));
  assert.throws(() => new LogClient(clientOptions(server, { no_such_option: 1 })), (e) => e.name === 'LTS_ERR_INVALID_ARGUMENT' && /no_such_option/.test(e.message));
  assert.throws(() => new LogClient(clientOptions(server, { request_timeout_ms: 'soon' })), /request_timeout_ms/);
  assert.throws(() => new LogClient(clientOptions(server, { request_timeout_ms: {} })), /a value must be a string, number or boolean, not object/);
  assert.throws(() => new LogClient({ ...clientOptions(server), endpoint: 'http://example.com' }), /allow_plain_http/);
  assert.throws(() => new Producer(clientOptions(server), { linger_ms: 5 }), /linger_ms/);
  assert.throws(() => new Producer(clientOptions(server), 'fast'), { name: 'LTS_ERR_INVALID_ARGUMENT' });
  assert.throws(() => new Producer([], {}), /at least one client/);
  assert.equal((await server.logs('proj', 'unit-b')).length, 1);
});

test('10,000 concurrent sends each settle exactly once, and every log arrives', async () => {
  const producer = new Producer(clientOptions(server), { linger_ms: 100, batch_count: 512 });
  const N = 10000;
  const settled = new Uint8Array(N);
  const promises = [];
  for (let i = 0; i < N; i++) {
    const log = { timestamp: BigInt(Date.now()) * 1000000n, message: `send ${i}`, contents: { seq: i, half: i % 2 === 0 ? 'even' : 'odd' } };
    if (i % 4 === 0) {
      promises.push(new Promise((resolve) => {
        producer.send('proj', 'unit-p', log, (err, res) => {
          settled[i]++;
          assert.equal(err, null);
          assert.equal(res.logCount, 1);
          resolve();
        });
      }));
    } else {
      promises.push(producer.send('proj', 'unit-p', [log, log]).then((res) => {
        settled[i]++;
        assert.equal(res.statusCode, 0);
        assert.equal(res.logCount, 2);
      }));
    }
  }
  // And 100 sends asking for no result.
  for (let i = 0; i < 100; i++) producer.sendLogs('proj', 'unit-p', { message: `no result ${i}` });
  assert.throws(() => producer.sendLogs('proj', 'unit-p', { message: '' }), { name: 'LTS_ERR_INVALID_VALUE' });
  await Promise.all(promises);
  const stats = await producer.safeClose();
  assert.ok(settled.every((n) => n === 1));
  assert.equal(stats.logs_accepted, N / 4 + (N * 3) / 4 * 2 + 100);
  assert.equal(stats.logs_sent, stats.logs_accepted);
  balanced(stats);
  assert.equal((await server.logs('proj', 'unit-p')).length, stats.logs_sent);
  // Closed: a refusal, not a crash; closing again is harmless.
  await assert.rejects(producer.send('proj', 'unit-p', { message: 'late' }), { name: 'LTS_ERR_CLOSED' });
  assert.throws(() => producer.send('proj', 'unit-p', { message: 'late' }, () => {}), { name: 'LTS_ERR_CLOSED' });
  await producer.safeClose();
  assert.equal(producer.closed, true);
  balanced(producer.stats());
});

test('close(ms) returns by its deadline, failing what it could not send, once each', async () => {
  await server.post('/_lts/faults', { stall: true });
  try {
    const producer = new Producer(clientOptions(server), { linger_ms: 100 });
    const results = [];
    const sends = [];
    for (let i = 0; i < 3; i++) {
      sends.push(producer.send('proj', 'unit-s', { message: `stalled ${i}` }).then(
        () => results.push('sent'),
        (e) => results.push(e.name)));
    }
    const t0 = Date.now();
    await assert.rejects(producer.close(300), { name: 'LTS_ERR_TIMEOUT' });
    const took = Date.now() - t0;
    assert.ok(took < 5000, `close(300) took ${took} ms`);
    // Every send had settled before close did: the results arrive first on the same queue.
    assert.deepEqual(results, ['LTS_ERR_CLOSED', 'LTS_ERR_CLOSED', 'LTS_ERR_CLOSED']);
    await Promise.all(sends);
    const stats = producer.stats();
    assert.equal(stats.logs_failed, 3);
    balanced(stats);
  } finally {
    await server.post('/_lts/faults', { stall: false });
  }
  const p = new Producer(clientOptions(server));
  await assert.rejects(p.close(-5), { name: 'LTS_ERR_INVALID_ARGUMENT' });
  await assert.rejects(p.close('soon'), { name: 'LTS_ERR_INVALID_ARGUMENT' });
  balanced(await p.close(1000));
});

test('a refused batch rejects each of its sends with the service answer', async () => {
  const producer = new Producer(clientOptions(server), { linger_ms: 100 });
  const errors = await Promise.all([0, 1].map((i) =>
    producer.send('proj', 'no-such-unit', { message: `m${i}` }).then(() => null, (e) => e)));
  producer.sendLogs('proj', 'no-such-unit', [{ message: 'm2' }, { message: 'm3' }]);
  for (const e of errors) {
    assert.ok(e instanceof LtsError);
    assert.equal(e.name, 'LTS_ERR_SERVER');
    assert.equal(e.response.error, 'LTS_8011');
    assert.equal(e.logCount, 1);
    assert.ok(e.attempts >= 1);
  }
  const stats = await producer.safeClose();
  balanced(stats);
  assert.equal(stats.logs_failed, 4); // the two sends' logs, and sendLogs' two, counted
  assert.equal(stats.logs_sent, 0);
});

test('poll mode delivers in poll; the stats callback reports on the loop', async () => {
  const seen = [];
  const producer = new Producer(clientOptions(server), { callback_mode: 'poll', linger_ms: 100, stats_interval_ms: 100, onStats: (s) => seen.push(s) });
  assert.equal(producer.getOption('callback_mode'), 'poll');
  const done = producer.send('proj', 'unit-q', { message: 'polled' });
  let ran = 0;
  while (ran === 0) ran += producer.poll(10, 200);
  const r = await done;
  assert.equal(r.statusCode, 0);
  const stats = await producer.safeClose();
  balanced(stats);
  assert.ok(seen.length >= 1, 'the stats callback ran');
  assert.equal(typeof seen[0].logs_accepted, 'number');
});

// Every key of CONFIGURATION.md, set by name to its default and read back.
function configTable(section) {
  const text = fs.readFileSync(path.join(ROOT, 'CONFIGURATION.md'), 'utf8');
  const part = text.split(`## ${section}`)[1].split('\n## ')[0];
  return [...part.matchAll(/^\| `([a-z_]+)` \| [^|]+ \| `([^`]*)` \|/gm)].map((m) => [m[1], m[2]]);
}

test('every option of CONFIGURATION.md is settable by name', async () => {
  const client = configTable('Client');
  const producer = configTable('Producer');
  assert.ok(client.length >= 20 && producer.length >= 8, 'the tables were read');
  const given = {};
  for (const [k, d] of client) if (d !== '—' && !d.includes('<')) given[k] = d;
  const c = new LogClient(clientOptions(server, given));
  for (const k of Object.keys(given)) assert.equal(c.getOption(k), given[k], k);
  const popts = {};
  for (const [k, d] of producer) if (d !== '—') popts[k] = d;
  const p = new Producer(clientOptions(server), popts);
  for (const k of Object.keys(popts)) assert.equal(p.getOption(k), popts[k], k);
  balanced(await p.safeClose());
});

function runChild(script) {
  return new Promise((resolve) => {
    execFile(process.execPath, ['-e', script, server.url], { env: process.env, timeout: 60000 }, (err, stdout, stderr) => {
      resolve({ code: err ? err.code : 0, stdout, stderr });
    });
  });
}

// The child's last timer is unref'd: it fires only if something else keeps the loop alive.
const CHILD = (closeIt) => `
const lts = require(${JSON.stringify(path.join(__dirname, '..'))});
const p = new lts.Producer({ endpoint: process.argv[1], access_key: 'lts-local-ak', secret_key: 'lts-local-sk', log_project: 'proj' }, { linger_ms: 100 });
p.send('proj', 'unit-x', { message: 'from a child' }).then(async (r) => {
  console.log('sent ' + r.statusCode);
  ${closeIt ? "const s = await p.safeClose(); console.log('closed ' + (s.logs_accepted === s.logs_sent + s.logs_failed));" : ''}
  setTimeout(() => { console.log('loop still alive'); process.exit(3); }, 1500).unref();
});
`;

test('an open producer keeps the process alive; a closed one lets it exit', async () => {
  const open = await runChild(CHILD(false));
  assert.equal(open.stdout, 'sent 0\nloop still alive\n', open.stderr);
  assert.equal(open.code, 3);
  const closed = await runChild(CHILD(true));
  assert.equal(closed.stdout, 'sent 0\nclosed true\n', closed.stderr);
  assert.equal(closed.code, 0);
});

test('a callback that throws is an uncaught exception; the other results still settle', async () => {
  const script = `
const lts = require(${JSON.stringify(path.join(__dirname, '..'))});
const p = new lts.Producer({ endpoint: process.argv[1], access_key: 'lts-local-ak', secret_key: 'lts-local-sk', log_project: 'proj' }, { linger_ms: 100 });
process.on('uncaughtException', (e) => console.log('uncaught ' + e.message));
p.send('proj', 'unit-x', { message: 'a' }, () => { throw new Error('boom'); });
p.send('proj', 'unit-x', { message: 'b' }).then((r) => console.log('second ' + r.statusCode));
p.safeClose().then((s) => console.log('closed ' + s.logs_sent));
`;
  const r = await runChild(script);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.split('\n').filter(Boolean).sort(), ['closed 2', 'second 0', 'uncaught boom']);
});

test('worker threads: each has its own addon state; one ended with its producer open does not harm the process', async () => {
  const { Worker } = require('node:worker_threads');
  const code = `
const { parentPort, workerData } = require('worker_threads');
const lts = require(workerData.pkg);
const p = new lts.Producer({ endpoint: workerData.url, access_key: 'lts-local-ak', secret_key: 'lts-local-sk', log_project: 'proj' }, { linger_ms: 100 });
const sends = [0, 1, 2].map((i) => p.send('proj', 'unit-x', { message: 'worker ' + workerData.n + ' log ' + i }));
if (workerData.leaveOpen) {
  parentPort.postMessage({ open: true });
} else {
  Promise.all(sends).then(async (rs) => {
    const s = await p.safeClose();
    const late = await p.send('proj', 'unit-x', { message: 'late' }).catch((e) => (e instanceof lts.LtsError) + ' ' + e.name);
    parentPort.postMessage({ ok: rs.every((r) => r.statusCode === 0), balanced: s.logs_accepted === s.logs_sent + s.logs_failed, late });
  });
}`;
  const run = (n, leaveOpen) => new Promise((resolve, reject) => {
    const w = new Worker(code, { eval: true, workerData: { pkg: path.join(__dirname, '..'), url: server.url, n, leaveOpen } });
    w.once('message', (m) => (leaveOpen ? w.terminate().then(() => resolve(m)) : resolve(m)));
    w.once('error', reject);
  });
  const results = await Promise.all([run(1, false), run(2, false)]);
  assert.deepEqual(results, [1, 2].map(() => ({ ok: true, balanced: true, late: 'true LTS_ERR_CLOSED' })));
  assert.deepEqual(await run(3, true), { open: true });
  // This process and its own producers go on working.
  const p = new Producer(clientOptions(server), { linger_ms: 100 });
  assert.equal((await p.send('proj', 'unit-x', { message: 'main thread' })).statusCode, 0);
  balanced(await p.safeClose());
});
