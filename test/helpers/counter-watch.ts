// Scrapes the manager on a short period during a fault and records the cluster-wide request
// count, so a test can assert it never went down (and that no scrape failed).
import { scrape, sumOf } from './metrics-text.js';

export interface CounterWatch {
  stop(): Promise<{ totals: number[]; failedScrapes: number }>;
}

export function watchCounter(
  managerUrl: string,
  name = 'http_request_duration_seconds_count',
  everyMs = 250,
): CounterWatch {
  const totals: number[] = [];
  let failedScrapes = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        totals.push(sumOf(await scrape(managerUrl), name));
      } catch {
        failedScrapes += 1;
      }
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { totals, failedScrapes };
    },
  };
}

/** Indexes where the series went down; empty when it never did. */
export function decreases(totals: number[]): number[] {
  const found: number[] = [];
  for (let i = 1; i < totals.length; i += 1) if (totals[i]! < totals[i - 1]!) found.push(i);
  return found;
}
