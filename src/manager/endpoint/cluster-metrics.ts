// The cluster's /metrics, on the metrics thread: pick the format, fit the collection to the
// scraper's timeout, ask the main thread for its own metrics while the workers are collected
// (main-thread-metrics.ts), and render into a reusable buffer.
import { Registry } from 'prom-client';
import type { Logger } from '../../logger.js';
import type { ContentType, MetricsSnapshot } from '../../metrics/snapshot.js';
import type { BodyBuffers } from './body-buffers.js';
import { MainThreadMetrics } from '../thread/main-thread-metrics.js';
import type { MetricsAggregator, WorkerRef } from '../collection/metrics-aggregator.js';
import { collectTimeoutMs } from './scrape-timeout.js';

export interface RenderedMetrics {
  contentType: string;
  body: Buffer;
  /**
   * Gives the body's buffer back for the next scrape. Call it only when nothing reads the body
   * any more (the response has closed: its bytes are with the kernel, or the write was given
   * up): the next body is written into it. Once is enough; later calls do nothing.
   */
  release(): void;
}

/** Media ranges the Prometheus text format satisfies. */
const TEXT_RANGES = new Set(['text/plain', 'text/*', '*/*']);

/**
 * OpenMetrics when the Accept header prefers it (Prometheus 2.x and 3.x do): named with a
 * quality above 0 and not below the text format's best. Otherwise Prometheus text.
 */
export function negotiateContentType(accept: string | undefined): ContentType {
  let openMetrics = 0;
  let text = 0;
  for (const part of (accept ?? '').split(',')) {
    const [range = '', ...params] = part.split(';').map((p) => p.trim().toLowerCase());
    const qParam = params.find((p) => p.startsWith('q='));
    const parsedQ = qParam === undefined ? 1 : Number(qParam.slice(2));
    const q = Number.isFinite(parsedQ) ? Math.min(Math.max(parsedQ, 0), 1) : 0;
    if (range === 'application/openmetrics-text') openMetrics = Math.max(openMetrics, q);
    else if (TEXT_RANGES.has(range)) text = Math.max(text, q);
  }
  return openMetrics > 0 && openMetrics >= text
    ? Registry.OPENMETRICS_CONTENT_TYPE
    : Registry.PROMETHEUS_CONTENT_TYPE;
}

export interface ScrapeHeaders {
  accept?: string | undefined;
  'x-prometheus-scrape-timeout-seconds'?: string | string[] | undefined;
}

export interface ClusterMetricsDeps {
  aggregator: MetricsAggregator;
  bodies: BodyBuffers;
  /** The supervisor's workers, as the main thread last announced them. */
  workers: () => readonly WorkerRef[];
  /**
   * The main thread's own metrics (supervision, its heap and event loop), asked for as the scrape
   * begins; `deadlineMs` is the collection's.
   */
  readMain: (deadlineMs: number) => Promise<MetricsSnapshot>;
  /** How long the main thread has left a call unanswered (MainThreadCalls.unansweredForMs). */
  mainUnansweredForMs: () => number;
  /** The manager's process-wide metrics (CPU, memory, descriptors), the same from any thread. */
  readProcessWide: () => Promise<MetricsSnapshot>;
  configuredTimeoutMs: number;
  logger: Logger;
}

export class ClusterMetrics {
  private readonly main: MainThreadMetrics;

  constructor(private readonly deps: ClusterMetricsDeps) {
    this.main = new MainThreadMetrics({
      read: deps.readMain,
      unansweredForMs: deps.mainUnansweredForMs,
      logger: deps.logger,
    });
  }

  async render(headers: ScrapeHeaders): Promise<RenderedMetrics> {
    const { aggregator, bodies } = this.deps;
    const contentType = negotiateContentType(headers.accept);
    const timeoutMs = collectTimeoutMs(
      this.deps.configuredTimeoutMs,
      headers['x-prometheus-scrape-timeout-seconds'],
    );
    // Asked first: the main thread wakes and reads its own metrics while the collection requests
    // go out and the workers encode (not answered in time: its last values, flagged). The
    // process-wide ones are read in a microtask, so after scrape() below has sent its requests
    // (it does before its first await).
    const main = this.main.read(timeoutMs);
    const processWide = Promise.resolve().then(() => this.deps.readProcessWide());
    const manager = Promise.all([main, processWide]).then(([own, wide]) => [...own, ...wide]);
    // Awaited once the workers are collected; marked handled now, as it may reject before that.
    manager.catch(() => undefined);
    const view = await aggregator.scrape(
      { workers: this.deps.workers(), timeoutMs, contentType, manager },
      (byteLength) => bodies.take(byteLength),
    );
    const buffer = view.buffer as ArrayBuffer;
    let released = false;
    return {
      contentType,
      body: Buffer.from(buffer, view.byteOffset, view.byteLength),
      release: () => {
        if (released) return;
        released = true;
        bodies.giveBack(buffer);
      },
    };
  }
}
