// Messages between the manager's main thread (supervision, connection hand-off) and its metrics
// thread (the manager endpoint's HTTP server, worker links, collection, merge, rendering). Every
// message is small: bodies never cross, the thread writes them to its own sockets.
import type { LogLevel } from '../config.js';
import type { MetricsSnapshot } from '../protocol.js';
import type { ManagerServerLimits } from './http-server.js';
import type { WorkerState } from './lifecycle.js';
import type { StatusResponse } from './status-types.js';

/**
 * The manager endpoint (METRICS_HOST:METRICS_PORT), served by the metrics thread: where it
 * listens, its admin token, the collection's deadline, and the limits its HTTP server applies.
 */
export interface EndpointOptions extends ManagerServerLimits {
  host: string;
  port: number;
  /** Bearer token of the admin calls; undefined turns them off. */
  adminToken: string | undefined;
  /** METRICS_COLLECT_TIMEOUT_MS: a collection's deadline before the scraper's own shortens it. */
  collectTimeoutMs: number;
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

/** A worker as the supervisor knows it. */
export interface WorkerRef {
  id: number;
  slot: number;
  state: WorkerState;
}

/**
 * What the endpoint asks of the main thread, by name: the supervisor's state and commands, and
 * the main thread's own metrics for a scrape. The answers' types are MainCallResults'.
 */
export interface MainCalls {
  /** The main thread answers at all (its event loop turns): /livez. */
  live: [];
  status: [];
  /** A rolling reload; answers the number of workers it replaces. */
  reload: [];
  scale: [workers: number];
  setLogLevel: [level: LogLevel];
  /** The supervision metrics and the main thread's own default metrics, for a scrape. */
  managerMetrics: [];
}

export interface MainCallResults {
  live: null;
  status: StatusResponse;
  reload: number;
  scale: null;
  setLogLevel: null;
  managerMetrics: MetricsSnapshot;
}

export type MainCallName = keyof MainCalls;

export interface CallMain<K extends MainCallName = MainCallName> {
  type: 'call';
  callId: number;
  name: K;
  args: MainCalls[K];
  /** Date.now() (one clock for both threads) past which the endpoint has answered 503. */
  expiresAt: number;
  /**
   * Date.now() past which the main thread does not run the call (it says so with a LateCall):
   * its answer could not be back before expiresAt.
   */
  runBy: number;
}

/** An answer the endpoint sends to its client as it is (e.g. 503 shutting_down). */
export interface RefusedCall {
  status: number;
  code: string;
  message: string;
  headers: Record<string, string>;
}

export type MainAnswer =
  | { type: 'answer'; callId: number; ok: true; value: unknown }
  | { type: 'answer'; callId: number; ok: false; refused: RefusedCall | null; message: string };

/** The call reached the main thread after its runBy and was not run (the main thread answers). */
export interface LateCall {
  type: 'late';
  callId: number;
}

/** The supervisor's workers changed (forked, ready, stopping, gone): the list as it is now. */
export interface WorkersChanged {
  type: 'workers';
  workers: WorkerRef[];
}

/** The worker has exited: fold what it counted into the retired totals. */
export interface WorkerGone {
  type: 'worker-gone';
  workerId: number;
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

export type ToMetricsThread =
  MainAnswer | LateCall | WorkersChanged | WorkerGone | SetThreadLogLevel | Ping;

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

export type FromMetricsThread = ThreadListening | EndpointFailed | Pong | CallMain;
