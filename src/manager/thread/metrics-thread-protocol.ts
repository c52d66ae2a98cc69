// Messages between the manager's main thread (supervision, connection hand-off) and its metrics
// thread (the manager endpoint, worker links, collection, merge, rendering). Every message is
// small: bodies never cross, the thread writes them to its own sockets.
import type { Config, LogLevel } from '../../config.js';
import type { MainCallMessage, MainReply } from './main-thread-calls.js';
import type { WorkerRef } from '../supervision/lifecycle.js';

/**
 * The manager endpoint's limits. They are the API port's defences: the manager also accepts every
 * API connection (cluster round-robin), so a client holding the manager port's descriptors would
 * take the API down with it.
 */
export type EndpointConfig = Pick<
  Config,
  | 'adminToken'
  | 'metricsCollectTimeoutMs'
  | 'httpHeadersTimeoutMs'
  | 'httpKeepAliveTimeoutMs'
  | 'metricsMaxConnections'
  | 'metricsMaxScrapes'
>;

export type MetricsThreadConfig = EndpointConfig &
  Pick<
    Config,
    'logLevel' | 'metricsThreadNice' | 'metricsCheckpointMs' | 'metricsHost' | 'metricsPort'
  >;

export type MetricsThreadOptions = MetricsThreadConfig & { socketPath: string };

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
