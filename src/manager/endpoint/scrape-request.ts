// What a scrape's request asks for: the format (Accept) and how long the workers may take. An
// answer after Prometheus' scrape timeout is thrown away and the target recorded down, so no worker
// may hold the collection past X-Prometheus-Scrape-Timeout-Seconds minus merging and rendering.
import { Registry } from 'prom-client';
import type { ContentType } from '../../metrics/snapshot.js';

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

/** Kept back from the scraper's timeout for merging, rendering and the network. */
export function renderMarginMs(scrapeTimeoutMs: number): number {
  return Math.min(500, Math.max(25, scrapeTimeoutMs * 0.25));
}

/** The smallest collection window worth having: below it no worker can answer anyway. */
export const MIN_COLLECT_MS = 10;

/**
 * `configuredMs`, shortened to the scraper's own timeout minus a margin. A value that is not a
 * positive number is ignored. Node joins repeated headers with ", ": the shortest one counts.
 */
export function collectTimeoutMs(
  configuredMs: number,
  header: string | string[] | undefined,
): number {
  const values = (Array.isArray(header) ? header : [header ?? '']).flatMap((v) => v.split(','));
  const usable = values
    .map((value) => (value.trim() === '' ? Number.NaN : Number(value)))
    .filter((seconds) => Number.isFinite(seconds) && seconds > 0);
  if (usable.length === 0) return configuredMs;
  const seconds = Math.min(...usable);
  const scrapeTimeoutMs = seconds * 1000;
  const fitted = Math.floor(scrapeTimeoutMs - renderMarginMs(scrapeTimeoutMs));
  return Math.max(MIN_COLLECT_MS, Math.min(configuredMs, fitted));
}
