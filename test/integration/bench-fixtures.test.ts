// The bench's probes reach into compiled code by method names (bench/fixtures/*): a refactor that
// renames or removes one breaks `npm run bench` without failing anything else. This starts each
// scrape fixture the way the bench does, scrapes once, and requires every kind of timing line.
import { afterEach, describe, expect, it } from 'vitest';
import { parsePhasesLine, parseWorkerLine } from '../../bench/fixtures/phases.js';
import {
  OURS_FIXTURE_ARGS,
  startCluster,
  startStockCluster,
  type Service,
} from '../../bench/lib/service.js';
import { waitUntil } from '../../scripts/lib/wait.js';

const FIXTURE_ENV = { BENCH_SYNTHETIC_LABEL_SETS: '10' };

const running: Service[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((service) => service.stop()));
});

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
    const ours = await startCluster({
      label: 'ours',
      workers: 2,
      args: OURS_FIXTURE_ARGS,
      env: FIXTURE_ENV,
    });
    running.push(ours);
    const [phases, worker] = await timingLines(ours, [parsePhasesLine, parseWorkerLine]);
    expect(phases).toMatchObject({ side: 'ours', replies: 2 });
    // The probe timed the parse of the replies it received.
    expect((phases as { changedChars: number }).changedChars).toBeGreaterThan(0);
    expect(worker).toMatchObject({ side: 'ours', encodeMs: expect.any(Number) });
  });

  it('stock reports the primary and each worker', async () => {
    const stock = await startStockCluster({ label: 'stock', workers: 2, env: FIXTURE_ENV });
    running.push(stock);
    const [phases, worker] = await timingLines(stock, [parsePhasesLine, parseWorkerLine]);
    expect(phases).toMatchObject({ side: 'stock', totalMs: expect.any(Number) });
    expect(worker).toMatchObject({ side: 'stock', encodeMs: expect.any(Number) });
  });
});
