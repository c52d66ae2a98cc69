// Messages between the manager's main thread (supervision, connection hand-off, the HTTP
// endpoint) and its metrics thread (worker links, collection, merge, rendering). Everything here
// is small except a rendered body, which travels as a transferred buffer (not copied).
import type { ContentType } from '../metrics/snapshot.js';
import type { MetricsSnapshot } from '../protocol.js';
import type { LogLevel } from '../config.js';
import type { WorkerState } from './lifecycle.js';

export interface MetricsThreadOptions {
  socketPath: string;
  logLevel: LogLevel;
  /** The thread's nice value (METRICS_THREAD_NICE): it yields the CPU to the API. */
  nice: number;
}

/** A worker as the supervisor knows it at the moment of a scrape. */
export interface WorkerRef {
  id: number;
  slot: number;
  state: WorkerState;
}

export interface ScrapeRequest {
  type: 'scrape';
  scrapeId: number;
  contentType: ContentType;
  /** How long the collection may wait for workers (already fitted to the scraper's timeout). */
  timeoutMs: number;
  workers: WorkerRef[];
}

/**
 * The main thread's own metrics (supervision, manager process) for a scrape, merged in as they
 * are. Sent after the scrape request: the main thread reads its registry while the workers are
 * being collected, not before asking them.
 */
export interface ManagerMetricsMessage {
  type: 'manager-metrics';
  scrapeId: number;
  manager: MetricsSnapshot;
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

/** A body's buffer, back from the main thread once its response has gone out: reused. */
export interface BodyReturned {
  type: 'body-returned';
  buffer: ArrayBuffer;
}

export type ToMetricsThread =
  ScrapeRequest | ManagerMetricsMessage | WorkerGone | SetThreadLogLevel | BodyReturned;

export interface ThreadListening {
  type: 'listening';
}

export interface ScrapeDone {
  type: 'scrape-done';
  scrapeId: number;
  /**
   * The exposition, UTF-8: a view of a buffer transferred to the main thread (not copied), which
   * gives the buffer back (BodyReturned) when the response is done with it.
   */
  body: Uint8Array;
}

export interface ScrapeFailed {
  type: 'scrape-failed';
  scrapeId: number;
  message: string;
}

export type FromMetricsThread = ThreadListening | ScrapeDone | ScrapeFailed;
