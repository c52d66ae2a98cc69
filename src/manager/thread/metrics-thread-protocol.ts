// Messages between the manager's main thread (supervision, connection hand-off) and its metrics
// thread (the manager endpoint, worker links, collection, merge, rendering). Every message is
// small: bodies never cross, the thread writes them to its own sockets.
import type { LogLevel } from '../../config.js';
import type { MainCallMessage, MainReply } from './main-thread-calls.js';
import type { WorkerRef } from '../supervision/lifecycle.js';

/**
 * The manager endpoint (METRICS_HOST:METRICS_PORT) and the limits its HTTP server applies. The
 * limits are the API port's defences: the manager also accepts every API connection (cluster
 * round-robin), so a client holding the manager port's descriptors would take the API down with
 * it: connections are capped, slow and idle ones cut, concurrent scrapes bounded.
 */
export interface EndpointOptions {
  host: string;
  port: number;
  /** Bearer token of the admin calls; undefined turns them off. */
  adminToken: string | undefined;
  /** METRICS_COLLECT_TIMEOUT_MS: a collection's deadline before the scraper's own shortens it. */
  collectTimeoutMs: number;
  headersTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections: number;
  maxConcurrentScrapes: number;
}

export interface MetricsThreadOptions {
  socketPath: string;
  logLevel: LogLevel;
  /** The thread's nice value (METRICS_THREAD_NICE): it yields the CPU to the API. */
  nice: number;
  /** METRICS_CHECKPOINT_MS: collect by itself after this long without a scrape (0: never). */
  checkpointIntervalMs: number;
  endpoint: EndpointOptions;
}

/**
 * `workers`: the supervisor's workers as they are now; one missing from the list has exited, and
 * what it counted goes to the retired totals. `ping`: the main thread's watchdog; a thread that
 * stops answering pings is replaced.
 */
export type ToMetricsThread =
  | MainReply
  | { type: 'workers'; workers: WorkerRef[] }
  | { type: 'set-log-level'; level: LogLevel }
  | { type: 'ping' };

/**
 * `listening`: both the links' socket and the endpoint are. `endpoint-failed`: the endpoint could
 * not listen (EADDRINUSE, a bad host), so the manager cannot run.
 */
export type FromMetricsThread =
  | MainCallMessage
  | { type: 'listening' }
  | { type: 'endpoint-failed'; message: string }
  | { type: 'pong' };
