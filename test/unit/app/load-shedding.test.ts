import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpError } from '../../../src/http-errors.js';
import {
  createLoadShedder,
  threadPoolSize,
  type LoadShedder,
  type SheddingLimits,
} from '../../../src/app/load-shedding.js';
import { createShedMetrics, SHED_REASONS } from '../../../src/metrics/shed-metrics.js';
import { busyLoop } from '../../../src/app/workloads.js';
import { memoryLogger } from './harness.js';
import { waitUntil } from '../../../scripts/lib/wait.js';

const OFF: SheddingLimits = {
  shedEventLoopDelayMs: 0,
  shedMaxInFlight: 0,
  shedMaxPoolQueue: 0,
  shedRetryAfterSeconds: 3,
};

let shedder: LoadShedder | undefined;
afterEach(() => shedder?.stop());

function start(limits: Partial<SheddingLimits>, inFlight = () => 1) {
  const registry = new Registry();
  const log = memoryLogger();
  shedder = createLoadShedder(
    { ...OFF, ...limits },
    { inFlight, metrics: createShedMetrics(registry), logger: log.logger },
  );
  const shedCount = async (reason: string) => {
    const [family] = await registry.getMetricsAsJSON();
    return family?.values.find((v) => v.labels.reason === reason)?.value;
  };
  return { shedder, registry, log, shedCount };
}

function refusal(action: () => unknown): HttpError {
  try {
    action();
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
  throw new Error('not refused');
}

describe('load shedder', () => {
  it('refuses over the in-flight limit with a 503 that says when to retry and closes', async () => {
    let inFlight = 4;
    const { shedder, shedCount } = start({ shedMaxInFlight: 4 }, () => inFlight);
    expect(() => shedder.admit()).not.toThrow();
    inFlight = 5;
    const error = refusal(() => shedder.admit());
    expect(error.status).toBe(503);
    expect(error.toBody().error.code).toBe('overloaded');
    expect(error.headers).toEqual({ 'Retry-After': '3', Connection: 'close' });
    expect(await shedCount('in_flight')).toBe(1);
  });

  it('refuses a pool task once the pool queue is full, and admits again as it drains', async () => {
    const { shedder, shedCount } = start({ shedMaxPoolQueue: 2 });
    const pool = threadPoolSize();
    const releases: Array<() => void> = [];
    const tasks = Array.from({ length: pool + 2 }, () =>
      shedder.onPool(() => new Promise<void>((resolve) => releases.push(resolve))),
    );
    await expect(shedder.onPool(async () => 'cheap')).rejects.toMatchObject({ status: 503 });
    expect(await shedCount('pool_queue')).toBe(1);
    releases[0]?.();
    await tasks[0];
    await expect(shedder.onPool(async () => 'cheap')).resolves.toBe('cheap');
    for (const release of releases) release();
    await Promise.all(tasks);
  });

  it('refuses while the event loop is late, and for a moment after a stall, then admits', async () => {
    const { shedder, shedCount } = start({ shedEventLoopDelayMs: 100 });
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(() => shedder.admit()).not.toThrow();
    // The request right behind a 400 ms block, in the same turn of the loop: no timer has run.
    busyLoop(400);
    expect(refusal(() => shedder.admit()).status).toBe(503);
    expect(await shedCount('event_loop_delay')).toBe(1);
    // After the hold, the idle loop admits again.
    await waitUntil(() => {
      try {
        shedder.admit();
        return true;
      } catch {
        return false;
      }
    }, 'admitted again after the stall');
  });

  it('sheds nothing with every limit off', async () => {
    const { shedder } = start({}, () => 1_000_000);
    busyLoop(50);
    expect(() => shedder.admit()).not.toThrow();
    const tasks = Array.from({ length: 100 }, () => shedder.onPool(async () => 1));
    expect(await Promise.all(tasks)).toHaveLength(100);
  });

  it('says so in one warn line per ten seconds, not one per request', () => {
    const { shedder, log } = start({ shedMaxInFlight: 1 }, () => 2);
    for (let i = 0; i < 50; i += 1) refusal(() => shedder.admit());
    const lines = log.lines().filter((line) => line.level === 40);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ reason: 'in_flight', inFlight: 2 });
  });
});

describe('http_requests_shed_total', () => {
  it('exists at 0 for every reason and counts each shed', async () => {
    const registry = new Registry();
    const metrics = createShedMetrics(registry);
    const read = async () =>
      ((await registry.getMetricsAsJSON())[0]?.values ?? []).map((v) => [v.labels.reason, v.value]);
    expect(await read()).toEqual(SHED_REASONS.map((reason) => [reason, 0]));
    metrics.shed('pool_queue');
    metrics.shed('pool_queue');
    expect(await read()).toEqual(
      SHED_REASONS.map((reason) => [reason, reason === 'pool_queue' ? 2 : 0]),
    );
  });
});

describe('threadPoolSize', () => {
  it.each([
    [undefined, 4],
    ['8', 8],
    ['0', 4],
    ['junk', 4],
    ['5000', 1024],
  ])('UV_THREADPOOL_SIZE=%s -> %i', (value, size) => {
    expect(threadPoolSize(value === undefined ? {} : { UV_THREADPOOL_SIZE: value })).toBe(size);
  });
});
