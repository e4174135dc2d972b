'use strict';
// liblts's own log lines: to the function given to setLogHandler, on the event loop; to
// stderr by default, after setLogHandler(null), and once the thread that set the function
// has ended. Each line is caused for real against lts-local: a send refused for a full
// buffer (its server stalled), a delivery the server refused (its fault injection).
const test = require('node:test');
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');

const lts = require('..');
const { start, clientOptions } = require('./localserver');

let server;
test.before(async () => {
  server = await start('--project', 'proj=unit-f,unit-g');
});
test.after(async () => {
  lts.setLogHandler(null);
  await server.stop();
});

/** Resolves with the first line the handler gets that `wanted` accepts. */
function catchLine(wanted) {
  return new Promise((resolve) => {
    lts.setLogHandler((level, message) => {
      if (wanted(level, message)) resolve({ level, message });
    });
  });
}

test('a send refused for a full buffer is told to the function set', { timeout: 30000 }, async () => {
  const line = catchLine((level, m) => m.includes('buffer'));
  await server.post('/_lts/faults', { stall: true });
  const p = new lts.Producer(clientOptions(server), { linger_ms: 100, buffer_bytes: 2048, batch_size_bytes: 2048 });
  let refused = null;
  try {
    for (let i = 0; i < 200 && !refused; i++) {
      try {
        p.sendLogs('proj', 'unit-f', { message: 'x'.repeat(100) });
      } catch (e) {
        refused = e;
      }
    }
  } finally {
    await server.post('/_lts/faults', { stall: false });
    await p.safeClose();
  }
  assert.equal(refused && refused.name, 'LTS_ERR_BUFFER_FULL');
  const { level, message } = await line;
  assert.equal(level, 4, 'warn');
  assert.match(message, /a send was refused: the producer's buffer of 2048 bytes is full/);
});

test('a delivery the server refused is told to the function set', { timeout: 30000 }, async () => {
  const line = catchLine((level, m) => level === 3 && m.includes('unit-g'));
  await server.post('/_lts/faults', { fail_next: 1, fail_status: 503 });
  const p = new lts.Producer(clientOptions(server, { no_retry_status_code: [503] }), { linger_ms: 100 });
  await assert.rejects(p.send('proj', 'unit-g', { message: 'refused' }), { name: 'LTS_ERR_SERVER' });
  await p.safeClose();
  const { message } = await line;
  assert.match(message, /failed after 1 attempt/);
});

test('setLogHandler takes a function or null', () => {
  assert.throws(() => lts.setLogHandler('stderr'), { name: 'LTS_ERR_INVALID_ARGUMENT' });
  lts.setLogHandler(undefined); // as null
});

// A process of its own (node -e CHILD URL MODE): fills a producer's buffer against the stalled
// lts-local at URL, so liblts logs a refused send. MODE: "default" (no function set), "reset"
// (one set, then setLogHandler(null)), "worker" (one set by a worker thread that has ended
// since). A call of a function prints "handler: ..." on stdout; liblts's own lines go to stderr.
const CHILD = `
const { Worker } = require('node:worker_threads');
const pkg = ${JSON.stringify(require.resolve('..'))};
const lts = require(pkg);
const [url, mode] = process.argv.slice(1);
const faults = (body) => fetch(url + '/_lts/faults', { method: 'POST', body: JSON.stringify(body) });
(async () => {
  const handler = (level, message) => console.log('handler: ' + level + ' ' + message);
  if (mode === 'reset') {
    lts.setLogHandler(handler);
    lts.setLogHandler(null);
  } else if (mode === 'worker') {
    const w = new Worker('require(' + JSON.stringify(pkg) + ').setLogHandler((level, message) => console.log("handler: " + level + " " + message));', { eval: true });
    await new Promise((resolve, reject) => w.once('exit', resolve).once('error', reject));
  }
  await faults({ stall: true });
  const p = new lts.Producer({ endpoint: url, access_key: 'lts-local-ak', secret_key: 'lts-local-sk', log_project: 'proj' },
    { linger_ms: 100, buffer_bytes: 2048, batch_size_bytes: 2048 });
  let refused = null;
  for (let i = 0; i < 200 && !refused; i++) {
    try {
      p.sendLogs('proj', 'unit-f', { message: 'x'.repeat(100) });
    } catch (e) {
      refused = e;
    }
  }
  await faults({ stall: false });
  await p.safeClose();
  console.log('refused: ' + (refused && refused.name));
})();
`;

function child(mode) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', CHILD, server.url, mode], { timeout: 60000 },
      (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve({ stdout, stderr })));
  });
}

for (const [mode, what] of [
  ['default', 'without a function, the lines go to stderr'],
  ['reset', 'after setLogHandler(null), the lines go to stderr'],
  ['worker', 'once the worker that set the function has ended, the lines go to stderr'],
]) {
  test(what, { timeout: 60000 }, async () => {
    const { stdout, stderr } = await child(mode);
    assert.match(stdout, /refused: LTS_ERR_BUFFER_FULL/);
    assert.doesNotMatch(stdout, /handler:/);
    assert.match(stderr, /liblts warn: a send was refused: the producer's buffer of 2048 bytes is full/);
  });
}
