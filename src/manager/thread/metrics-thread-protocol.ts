// Messages between the manager's main thread (supervision, connection hand-off) and its metrics
// thread (the manager endpoint's HTTP server, worker links, collection, merge, rendering). Every
// message is small: bodies never cross, the thread writes them to its own sockets.
import type { LogLevel } from '../../config.js';
import type { LateCall, MainAnswer, MainCallMessage } from './main-thread-calls.js';
import type { WorkerRef } from '../supervision/lifecycle.js';

/**
 * The manager endpoint (METRICS_HOST:METRICS_PORT), served by the metrics thread: where it
 * listens, its admin token, the collection's deadline, and the limits its HTTP server applies.
 * The limits are the API port's defences: the manager also accepts every API connection (cluster
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
 * The supervisor's workers changed (forked, ready, stopping, reaped): the list as it is now. A
 * worker missing from it has exited, and what it counted goes to the retired totals.
 */
export interface WorkersChanged {
  type: 'workers';
  workers: WorkerRef[];
}

export interface SetThreadLogLevel {
  type: 'set-log-level';
  level: LogLevel;
}

/** The main thread's watchdog: a thread that stops answering these is replaced. */
export interface Ping {
  type: 'ping';
  pingId: number;
}

export type ToMetricsThread = MainAnswer | LateCall | WorkersChanged | SetThreadLogLevel | Ping;

/** Both the links' socket and the endpoint are listening. */
export interface ThreadListening {
  type: 'listening';
}

/** The endpoint could not listen (EADDRINUSE, a bad host): the manager cannot run. */
export interface EndpointFailed {
  type: 'endpoint-failed';
  message: string;
}

export interface Pong {
  type: 'pong';
  pingId: number;
}

export type FromMetricsThread = ThreadListening | EndpointFailed | Pong | MainCallMessage;
