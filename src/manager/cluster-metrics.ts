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

/** OpenMetrics when the Accept header asks for it (Prometheus 2.x does), else Prometheus text. */
export function negotiateContentType(accept: string | undefined): ContentType {
  const wantsOpenMetrics = (accept ?? '').split(',').some((part) => {
    const [type, ...params] = part.trim().split(';');
    if (type?.trim().toLowerCase() !== 'application/openmetrics-text') return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
  return wantsOpenMetrics ? Registry.OPENMETRICS_CONTENT_TYPE : Registry.PROMETHEUS_CONTENT_TYPE;
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
