// Type declarations of the `liblts` package (index.js over the lts.node addon). Checked in
// CI by compiling test/types.ts against them with `tsc --noEmit --strict`.

/** A field's value: strings as they are; whole numbers (and bigints) as integers, other
 *  numbers as doubles; booleans as "true"/"false". Undefined values are left out. */
export type FieldValue = string | number | bigint | boolean | undefined;

/** One log. `timestamp`: a bigint of nanoseconds, a number of milliseconds (`Date.now()`) or
 *  a Date, since the epoch; now when left out. `message`: the origin message, not empty.
 *  Keys and values follow liblts's rules (see the C header's LogItem section). */
export interface Log {
  timestamp?: bigint | number | Date;
  message: string;
  contents?: Record<string, FieldValue>;
  labels?: Record<string, FieldValue>;
}

/** An option's value: its text, or a number/boolean written as text; arrays are joined by
 *  commas (`no_retry_status_code: [400, 403]`). */
export type OptionValue = string | number | boolean | bigint | Array<string | number>;

/** A client's options: the four required settings and any key of CONFIGURATION.md's
 *  "Client" table. */
export interface ClientOptions {
  endpoint: string;
  access_key: string;
  secret_key: string;
  log_project: string;
  [option: string]: OptionValue | undefined;
}

/** Producer options: any key of CONFIGURATION.md's "Producer" table, and `onStats`, called
 *  on the event loop every `stats_interval_ms` with the statistics. */
export interface ProducerOptions {
  onStats?: (stats: Stats) => void;
  [option: string]: OptionValue | ((stats: Stats) => void) | undefined;
}

/** The service's answer. */
export interface Response {
  statusCode: number;
  message: string;
  /** "" on success, else a code such as "LTS_8011". */
  error: string;
}

/** A delivered send: the service's answer, the requests its batch took and this send's logs. */
export interface SendResult extends Response {
  attempts: number;
  logCount: number;
}

/** The producer's statistics (lts_producer_stats_json): counters by name, among them these.
 *  After any close, logs_accepted === logs_sent + logs_failed and buffered_bytes === 0. */
export interface Stats {
  logs_accepted: number;
  logs_sent: number;
  logs_failed: number;
  buffered_bytes: number;
  [counter: string]: unknown;
}

/** Every error of this package. `code`: the C API's LTS_ERR_* number; `name`: its name
 *  (LTS_ERR_INVALID_KEY, LTS_ERR_SERVER, ...); `message`: liblts's message; `response`: the
 *  service's answer when it refused the logs. A failed send also says its `attempts` and
 *  `logCount`. */
export class LtsError extends Error {
  readonly code: number;
  readonly name: string;
  readonly response?: Response;
  attempts?: number;
  logCount?: number;
  constructor(message: string, code: number, name: string, response?: Response);
}

/** The sync client. Construction does no network I/O (the first putLogs fetches the token). */
export class LogClient {
  constructor(options: ClientOptions);
  /** Sends now, off the event loop. Rejects with an LtsError: LTS_ERR_SERVER (with
   *  `response`) when the service refused the logs, another name when there was no answer
   *  or the logs are invalid. */
  putLogs(logProject: string, logUnit: string, logs: Log | Log[]): Promise<Response>;
  /** An option's value as text (the secret key is never read back). */
  getOption(key: string): string;
}

/** The async producer: batches per (project, unit) on its own threads. Each accepted send
 *  settles exactly once. An open producer keeps the event loop alive (its results must be
 *  able to arrive); once a close has completed it does not. */
export class Producer {
  /** One client's options, or one per log project. Starts the producer. */
  constructor(client: ClientOptions | ClientOptions[], options?: ProducerOptions);
  /** Queues logs; resolves with the result, rejects with an LtsError (also at once for logs
   *  refused on the way in: invalid, LTS_ERR_BUFFER_FULL, LTS_ERR_CLOSED). */
  send(logProject: string, logUnit: string, logs: Log | Log[]): Promise<SendResult>;
  /** The callback form: `callback` runs once on the event loop. Refused logs throw. */
  send(
    logProject: string,
    logUnit: string,
    logs: Log | Log[],
    callback: (err: LtsError | null, result: SendResult | null) => void,
  ): void;
  /** Queues logs without asking for their result (the cheapest send): failures are counted
   *  in the stats (`logs_failed`) and reported by liblts's log lines. Refused logs throw.
   *  Prefer it to an unawaited `send()`, whose rejection nobody would handle. */
  sendLogs(logProject: string, logUnit: string, logs: Log | Log[]): void;
  /** Sends everything, then stops; resolves with the final stats after every send settled. */
  safeClose(): Promise<Stats>;
  /** Stops within `timeoutMs`; what is unsent fails (LTS_ERR_CLOSED on each send) and the
   *  close rejects with LTS_ERR_TIMEOUT. */
  close(timeoutMs: number): Promise<Stats>;
  /** Hands every open batch to the workers now; does not wait for delivery. */
  flush(): void;
  /** Lets the process exit while this producer is open (an open producer keeps the event
   *  loop alive until a close completes). Whoever calls it closes the producer before exit,
   *  at 'beforeExit' for instance, as the winston transport does; else logs are lost. */
  unref(): this;
  /** Undoes unref() (no effect once closed). */
  ref(): this;
  /** callback_mode "poll" only: runs up to `maxResults` ready results, blocking the loop up
   *  to `timeoutMs` for the first; returns how many ran (they settle on a later turn). */
  poll(maxResults?: number, timeoutMs?: number): number;
  stats(): Stats;
  readonly closed: boolean;
  getOption(key: string): string;
}

/** liblts's version. */
export function version(): string;
/** The LTS_ERR_* name of a code. */
export function resultName(code: number): string;
/** liblts's own log lines above this level are dropped: -1 off, 3 error, 4 warn (the
 *  default), 6 info, 7 debug. */
export function setLogLevel(level: number): void;
/** Where liblts's own log lines (failed attempts, token failures, a full buffer, close
 *  leaving logs unsent) go: `handler(level, message)` on this thread's event loop, on a later
 *  turn than the event that caused them; null (the default): stderr. */
export function setLogHandler(handler: ((level: number, message: string) => void) | null): void;
