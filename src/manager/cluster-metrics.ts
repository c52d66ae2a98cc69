// The cluster's /metrics: collect from workers, merge with carry-over, add the manager's own
// metrics, render in the format the scraper asked for.
import { Registry } from 'prom-client';
import { isGaugeNamedLikeCounter } from '../metrics/aggregation-rules.js';
import type { ContentType } from '../metrics/snapshot.js';
import { snapshotOf } from '../metrics/snapshot.js';
import type { MetricsCollector } from './collector.js';
import type { ManagerMetrics } from './manager-metrics.js';
import type { MetricsLedger } from './metrics-ledger.js';

export interface RenderedMetrics {
  contentType: string;
  body: string;
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

export class ClusterMetrics {
  constructor(
    private readonly ledger: MetricsLedger,
    private readonly collector: MetricsCollector,
    private readonly managerMetrics: ManagerMetrics,
  ) {}

  async render(accept: string | undefined): Promise<RenderedMetrics> {
    const contentType = negotiateContentType(accept);
    const collection = await this.collector.collect();
    this.managerMetrics.update(collection);
    // The per-type gauges beside the dropped *_total ones carry the same numbers.
    const own = (await snapshotOf(this.managerMetrics.registry)).filter(
      (metric) => !isGaugeNamedLikeCounter(metric),
    );
    return { contentType, body: await this.ledger.render(collection.answered, own, contentType) };
  }
}
