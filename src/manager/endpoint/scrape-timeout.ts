// How long one scrape may wait for the workers. Prometheus tells every target its scrape timeout
// (X-Prometheus-Scrape-Timeout-Seconds); an answer that arrives after it is thrown away and the
// target is recorded down. So a slow or stopped worker must never hold the collection past that
// header minus the time merging and rendering take, whatever METRICS_COLLECT_TIMEOUT_MS says.

/** Kept back from the scraper's timeout for merging, rendering and the network. */
export function renderMarginMs(scrapeTimeoutMs: number): number {
  return Math.min(500, Math.max(25, scrapeTimeoutMs * 0.25));
}

/** The smallest collection window worth having: below it no worker can answer anyway. */
export const MIN_COLLECT_MS = 10;

/**
 * The collection deadline for a scrape: `configuredMs`, shortened to the scraper's own timeout
 * minus a margin when the request says it has one. A value that is not a positive number is
 * ignored (the configured deadline applies). Node joins repeated headers with ", ": of several
 * values, the shortest usable one counts (the strictest timeout anyone stated).
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
