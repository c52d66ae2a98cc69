// The cluster's /metrics as the main thread sees it: pick the format, fit the collection to the
// scraper's timeout, refresh the supervision metrics, and let the metrics thread do the rest.
import { Registry } from 'prom-client';
import type { ContentType } from '../metrics/snapshot.js';
import { snapshotOf } from '../metrics/snapshot.js';
import type { ManagerMetrics } from './manager-metrics.js';
import type { MetricsHub, ScrapeBody } from './metrics-hub.js';
import type { WorkerRef } from './metrics-thread-protocol.js';
import { collectTimeoutMs } from './scrape-timeout.js';

export interface RenderedMetrics extends ScrapeBody {
  contentType: string;
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

export class ClusterMetrics {
  constructor(
    private readonly hub: MetricsHub,
    private readonly managerMetrics: ManagerMetrics,
    private readonly workers: () => WorkerRef[],
    private readonly configuredTimeoutMs: number,
  ) {}

  async render(headers: ScrapeHeaders): Promise<RenderedMetrics> {
    const contentType = negotiateContentType(headers.accept);
    const rendered = await this.hub.scrape({
      contentType,
      timeoutMs: collectTimeoutMs(
        this.configuredTimeoutMs,
        headers['x-prometheus-scrape-timeout-seconds'],
      ),
      workers: this.workers(),
      readManager: () => {
        this.managerMetrics.update();
        return snapshotOf(this.managerMetrics.registry);
      },
    });
    return { contentType, ...rendered };
  }
}
