'use strict';
// The winston transport against lts-local: records arrive with message, level, logger,
// time and fields; a refused field is left out and reported; a full buffer drops without
// throwing or waiting; end() delivers everything; a script that never closes still ships
// its records when it exits on its own.
const test = require('node:test');
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const path = require('node:path');
const winston = require('winston');

const { LtsTransport } = require('../winston');
const { start, clientOptions } = require('./localserver');

let server;
test.before(async () => {
  server = await start('--project', 'proj=app,full,exit');
});
test.after(async () => {
  await server.stop();
});

function ended(logger) {
  return new Promise((resolve) => {
    logger.on('finish', resolve);
    logger.end();
  });
}

test('records arrive with their message, level, logger, time and fields', async () => {
  const transport = new LtsTransport({ client: clientOptions(server), logUnit: 'app', loggerName: 'billing', labels: { env: 'test' }, producer: { linger_ms: 100 } });
  const warnings = [];
  transport.on('warn', (e) => warnings.push(e.message));
  const logger = winston.createLogger({
    level: 'debug',
    format: winston.format.combine(winston.format.timestamp(), winston.format.errors({ stack: true }), winston.format.json()),
    defaultMeta: { service: 'api' },
    transports: [transport],
  });
  const before = Date.now();
  logger.info('order placed', { orderId: 17, amount: 2.5, vip: true, tags: ['a', 'b'], empty: '', none: null });
  logger.child({ logger: 'billing.child' }).warn('child says %s', 'hi');
  logger.error(new Error('it broke'));
  logger.debug('bad field', { 'bad:key': 1, ok: 'yes' });
  logger.info('');
  await ended(logger);
  const logs = await server.logs('proj', 'app');
  assert.equal(logs.length, 5);
  const byMsg = Object.fromEntries(logs.map((l) => [l.origin_msg, l]));
  const placed = byMsg['order placed'];
  assert.deepEqual(placed.contents, { level: 'info', service: 'api', orderId: 17, amount: 2.5, vip: 'true', tags: '["a","b"]', logger: 'billing' });
  assert.deepEqual(placed.labels, { env: 'test' });
  const ms = placed.time_unix_nano / 1e6;
  assert.ok(ms >= before - 1 && ms <= Date.now() + 1, `time ${ms}`);
  assert.equal(byMsg['child says %s'].contents.logger, 'billing.child');
  assert.equal(byMsg['child says %s'].contents.level, 'warn');
  const broke = byMsg['it broke'];
  assert.equal(broke.contents.level, 'error');
  assert.match(broke.contents.stack, /Error: it broke\n\s+at /);
  assert.deepEqual(byMsg['bad field'].contents, { level: 'debug', service: 'api', ok: 'yes', logger: 'billing' });
  assert.ok(byMsg['(empty message)']);
  assert.equal(transport.refusedFields, 1);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /"bad:key"/);
  const stats = transport.producer.stats();
  assert.equal(stats.logs_accepted, stats.logs_sent + stats.logs_failed);
  assert.equal(stats.logs_sent, 5);
  // After end: dropped and counted, never thrown.
  transport.log({ message: 'late', [Symbol.for('level')]: 'info' }, () => {});
  assert.equal(transport.dropped, 1);
});

test('a full buffer drops records at once, without throwing into the application', async () => {
  await server.post('/_lts/faults', { stall: true });
  const transport = new LtsTransport({ client: clientOptions(server), logUnit: 'full', producer: { batch_size_bytes: 2048, buffer_bytes: 2048, linger_ms: 100, delivery_timeout_ms: 200 } });
  const warnings = [];
  transport.on('warn', (e) => warnings.push(e.name));
  const logger = winston.createLogger({ transports: [transport] });
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < 200; i++) logger.info('x'.repeat(100), { i });
  const tookMs = Number(process.hrtime.bigint() - t0) / 1e6;
  await server.post('/_lts/faults', { stall: false });
  await ended(logger);
  assert.ok(transport.dropped > 0, 'some records were dropped');
  assert.ok(warnings.includes('LTS_ERR_BUFFER_FULL'));
  assert.ok(tookMs < 2000, `200 records took ${tookMs} ms`);
  const stats = transport.producer.stats();
  assert.equal(stats.logs_accepted, stats.logs_sent + stats.logs_failed);
  assert.equal(stats.logs_accepted + transport.dropped, 200);
  assert.equal(stats.buffered_bytes, 0);
});

test('closeTimeoutMs bounds the close: what is left unsent fails, counted, without throwing', async () => {
  await server.post('/_lts/faults', { stall: true });
  try {
    const transport = new LtsTransport({ client: clientOptions(server), logUnit: 'full', closeTimeoutMs: 200, producer: { linger_ms: 100 } });
    const warnings = [];
    transport.on('warn', (e) => warnings.push(e.name));
    const logger = winston.createLogger({ transports: [transport] });
    logger.info('stalled');
    const t0 = Date.now();
    await ended(logger);
    assert.ok(Date.now() - t0 < 5000, `close took ${Date.now() - t0} ms`);
    assert.equal(transport.failed, 1);
    assert.deepEqual(warnings.sort(), ['LTS_ERR_CLOSED', 'LTS_ERR_TIMEOUT']);
    const stats = transport.producer.stats();
    assert.equal(stats.logs_accepted, stats.logs_sent + stats.logs_failed);
    assert.equal(stats.logs_failed, 1);
    assert.equal(stats.buffered_bytes, 0);
  } finally {
    await server.post('/_lts/faults', { stall: false });
  }
});

test('a script that never closes its logger still ships its records at exit', async () => {
  const script = `
const winston = require('winston');
const { LtsTransport } = require(${JSON.stringify(path.join(__dirname, '..', 'winston'))});
const logger = winston.createLogger({ transports: [new LtsTransport({ client: { endpoint: process.argv[1], access_key: 'lts-local-ak', secret_key: 'lts-local-sk', log_project: 'proj' }, logUnit: 'exit' })] });
for (let i = 0; i < 3; i++) logger.info('bye ' + i);
`;
  const r = await new Promise((resolve) => {
    execFile(process.execPath, ['-e', script, server.url], { cwd: path.join(__dirname, '..'), timeout: 60000 }, (err, stdout, stderr) => resolve({ err, stderr }));
  });
  assert.equal(r.err, null, r.stderr);
  const logs = await server.logs('proj', 'exit');
  assert.deepEqual(logs.map((l) => l.origin_msg).sort(), ['bye 0', 'bye 1', 'bye 2']);
});
