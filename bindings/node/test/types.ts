// Compiled with `tsc --noEmit --strict` against index.d.ts: the declarations must accept the
// package's documented uses and refuse misuse (the @ts-expect-error lines must be errors).
import { LogClient, Producer, LtsError, Log, SendResult, Stats, version, setLogHandler, setLogLevel, resultName } from '..';

async function main(): Promise<void> {
  const options = { endpoint: 'http://127.0.0.1:9480', access_key: 'ak', secret_key: 'sk', log_project: 'p' };
  const client = new LogClient({ ...options, request_timeout_ms: 5000, compress_type: 'lz4' });
  const log: Log = { timestamp: 1n, message: 'm', contents: { a: 1, b: 'x', c: true, d: 2n }, labels: { env: 'dev' } };
  const r = await client.putLogs('p', 'u', [log, { message: 'now', timestamp: new Date() }]);
  const code: number = r.statusCode;
  const producer = new Producer(options, { linger_ms: 100, no_retry_status_code: [400, 403], onStats: (s: Stats) => s.logs_sent });
  const res: SendResult = await producer.send('p', 'u', log);
  producer.send('p', 'u', [log], (err, result) => {
    if (err) console.log(err.code, err.name, err.response?.error, err.logCount);
    else console.log(result?.logCount);
  });
  producer.sendLogs('p', 'u', [log, log]);
  producer.flush();
  const same: Producer = producer.unref().ref();
  setLogLevel(6);
  setLogHandler((level: number, message: string) => console.log(level, message, resultName(0)));
  setLogHandler(null);
  // @ts-expect-error the handler is a function or null
  setLogHandler('stderr');
  const s: Stats = await producer.close(1000);
  const balanced: boolean = s.logs_accepted === s.logs_sent + s.logs_failed;
  try {
    await producer.safeClose();
  } catch (e) {
    if (e instanceof LtsError) console.log(e.code, e.name, e.message);
  }
  console.log(code, res.attempts, balanced, version(), producer.closed, same === producer);
  // @ts-expect-error a log needs its message
  await client.putLogs('p', 'u', { timestamp: 1n });
  // @ts-expect-error a field's value is a primitive
  await client.putLogs('p', 'u', { message: 'm', contents: { k: { nested: 1 } } });
  // @ts-expect-error the four settings are required
  new LogClient({ endpoint: 'x' });
}

void main;

import winston = require('winston');
import { LtsTransport } from '../winston';

const transport = new LtsTransport({
  client: { endpoint: 'http://127.0.0.1:9480', access_key: 'ak', secret_key: 'sk', log_project: 'p' },
  logUnit: 'u',
  level: 'info',
  producer: { linger_ms: 500 },
});
winston.createLogger({ transports: [transport] }).info('typed', { n: transport.dropped + transport.failed });
const unit: string = transport.logUnit + transport.logProject;
console.log(unit, transport.producer.stats().logs_sent);
// @ts-expect-error the unit is required
new LtsTransport({ client: { endpoint: 'x', access_key: 'a', secret_key: 's', log_project: 'p' } });
