// Type declarations of `liblts/winston`.
import TransportStream = require('winston-transport');
import { ClientOptions, ProducerOptions, Producer, FieldValue } from './index';

export interface LtsTransportOptions extends TransportStream.TransportStreamOptions {
  /** The client's options; `log_project` is where records go unless `logProject` says. */
  client: ClientOptions;
  logProject?: string;
  logUnit: string;
  /** Producer options by CONFIGURATION.md's keys (linger_ms, max_block_ms, ...). */
  producer?: ProducerOptions;
  /** The `logger` content of records that carry none. */
  loggerName?: string;
  /** Labels on every log. */
  labels?: Record<string, FieldValue>;
  /** How long closing may take to send what is left; by default until everything is sent
   *  (or has failed after the producer's delivery_timeout_ms). */
  closeTimeoutMs?: number;
}

/** A winston transport on liblts's producer. Emits 'warn' (never 'error') with each dropped
 *  record, refused field or failed delivery; counts them in `dropped`, `refusedFields` and
 *  `failed`. Closed (everything sent) at logger.end(), logger.close() or when the process
 *  runs out of work. */
export class LtsTransport extends TransportStream {
  constructor(opts: LtsTransportOptions);
  /** "lts". */
  name: string;
  /** Where the records go (the options' logProject, else client.log_project). */
  readonly logProject: string;
  readonly logUnit: string;
  readonly loggerName?: string;
  readonly labels?: Record<string, FieldValue>;
  readonly closeTimeoutMs?: number;
  readonly producer: Producer;
  dropped: number;
  refusedFields: number;
  failed: number;
}
