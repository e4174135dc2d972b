'use strict';
// Starts and stops an lts-local process for the tests (LTS_LOCAL_BIN, or the repository's
// release build): its first stdout line says it is listening and where.
const { spawn } = require('child_process');
const path = require('path');
const readline = require('readline');

const ROOT = path.resolve(__dirname, '..', '..', '..');
const AK = 'lts-local-ak';
const SK = 'lts-local-sk';

async function start(...args) {
  const bin = process.env.LTS_LOCAL_BIN || path.join(ROOT, 'target', 'release', 'lts-local');
  const proc = spawn(bin, ['--listen', '127.0.0.1:0', '--memory', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = readline.createInterface({ input: proc.stdout });
  const url = await new Promise((resolve, reject) => {
    proc.once('error', reject);
    proc.once('exit', (c) => reject(new Error(`lts-local exited (${c}) before listening`)));
    lines.on('line', (l) => {
      const m = /listening on (\S+);/.exec(l);
      if (m) resolve(m[1]);
    });
  });
  proc.removeAllListeners('exit');
  const call = async (method, p, body) => {
    const r = await fetch(url + p, { method, body: body === undefined ? undefined : JSON.stringify(body) });
    if (!r.ok) throw new Error(`${method} ${p}: ${r.status} ${await r.text()}`);
    return r.json();
  };
  return {
    url,
    get: (p) => call('GET', p),
    post: (p, body) => call('POST', p, body),
    async logs(project, unit) {
      const q = new URLSearchParams();
      if (project) q.set('project', project);
      if (unit) q.set('unit', unit);
      return (await call('GET', '/_lts/logs?' + q)).logs;
    },
    // The stored logs' exact nanosecond timestamps (beyond 2^53 JSON.parse would round them).
    async timestamps(project, unit) {
      const r = await fetch(`${url}/_lts/logs?project=${project}&unit=${unit}`);
      return [...(await r.text()).matchAll(/"time_unix_nano":(\d+)/g)].map((m) => BigInt(m[1]));
    },
    stop() {
      return new Promise((resolve) => {
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      });
    },
  };
}

function clientOptions(server, extra = {}) {
  return { endpoint: server.url, access_key: AK, secret_key: SK, log_project: 'proj', ...extra };
}

module.exports = { start, clientOptions, AK, SK, ROOT };
