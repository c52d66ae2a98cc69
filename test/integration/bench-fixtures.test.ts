// The bench's probes reach into compiled code by method names (bench/fixtures/*): a refactor that
// renames or removes one breaks `npm run bench` without failing anything else. This starts each
// scrape fixture the way the bench does, scrapes once, and requires every kind of timing line;
// and row 4 compares equal content only while stock serves the families ours serves.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePhasesLine, parseWorkerLine } from '../../bench/fixtures/phases.js';
import {
  OURS_FIXTURE_ARGS,
  startCluster,
  startStockCluster,
  stopAll,
  type Service,
} from '../../bench/lib/service.js';
import { waitUntil } from '../../scripts/lib/wait.js';

const FIXTURE_ENV = { BENCH_SYNTHETIC_LABEL_SETS: '10' };

/** Families only one side can serve (stock-primary-metrics.ts says why). */
const OURS_ONLY = [
  'cluster_manager_scrape_success',
  'cluster_manager_stalls_total',
  'cluster_worker_cpu_seconds_total',
  'cluster_worker_event_loop_delay_seconds',
  'cluster_worker_heap_used_bytes',
  'cluster_worker_heartbeat_age_seconds',
  'cluster_worker_resident_memory_bytes',
];
/** prom-client's gauges named `*_total`, which our aggregation rules leave out. */
const STOCK_ONLY = ['', 'cluster_manager_'].flatMap((prefix) =>
  ['resources', 'handles', 'requests'].map((kind) => `${prefix}nodejs_active_${kind}_total`),
);

let ours: Service;
let stock: Service;
beforeAll(async () => {
  // One after the other: a failed start leaves nothing running that afterAll cannot stop.
  ours = await startCluster({
    label: 'ours',
    workers: 2,
    args: OURS_FIXTURE_ARGS,
    env: FIXTURE_ENV,
  });
  stock = await startStockCluster({ label: 'stock', workers: 2, env: FIXTURE_ENV });
}, 60_000);
afterAll(() => stopAll([ours, stock]));

const scrape = async (service: Service) => (await fetch(`${service.managerUrl}/metrics`)).text();
const families = (body: string) => new Set(body.match(/^# TYPE \S+/gm)?.map((l) => l.slice(7)));
const routeSeries = (body: string) =>
  body.match(/^http_request_duration_seconds_count\{.*\}/gm)?.sort() ?? [];
const without = (a: Set<string>, b: Set<string>) => [...a].filter((name) => !b.has(name)).sort();

/** Scrapes once and waits until the fixture has printed a line each parser accepts. */
async function timingLines(service: Service, parsers: ((line: string) => unknown)[]) {
  const response = await fetch(`${service.managerUrl}/metrics`);
  expect(response.status).toBe(200);
  expect(await response.text()).toContain('bench_synthetic_request_duration_seconds');
  return waitUntil(
    () => {
      const lines = service.child.output().split('\n');
      const found = parsers.map((parse) => lines.map(parse).find((value) => value !== undefined));
      return found.every((value) => value !== undefined) ? found : undefined;
    },
    `${service.label}: a timing line of every kind`,
    20_000,
  );
}

describe('bench scrape fixtures', () => {
  it('ours reports the metrics thread and each worker', async () => {
    const [phases, worker] = await timingLines(ours, [parsePhasesLine, parseWorkerLine]);
    expect(phases).toMatchObject({ side: 'ours', replies: 2 });
    // The probe timed the parse of the replies it received.
    expect((phases as { changedChars: number }).changedChars).toBeGreaterThan(0);
    expect(worker).toMatchObject({ side: 'ours', encodeMs: expect.any(Number) });
  });

  it('stock reports the primary and each worker', async () => {
    const [phases, worker] = await timingLines(stock, [parsePhasesLine, parseWorkerLine]);
    expect(phases).toMatchObject({ side: 'stock', totalMs: expect.any(Number) });
    expect(worker).toMatchObject({ side: 'stock', encodeMs: expect.any(Number) });
  });

  it("stock serves ours' families and route series, but the few only one side can", async () => {
    const [oursBody, stockBody] = await Promise.all([scrape(ours), scrape(stock)]);
    const [o, s] = [families(oursBody), families(stockBody)];
    expect(without(o, s)).toEqual([...OURS_ONLY].sort());
    expect(without(s, o)).toEqual([...STOCK_ONLY].sort());
    expect(routeSeries(stockBody)).toEqual(routeSeries(oursBody));
  });
});
