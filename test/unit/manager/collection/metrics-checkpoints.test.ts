// When the metrics thread collects by itself: only after METRICS_CHECKPOINT_MS without any
// collection (a scrape's counts), never with the interval at 0, and a failed checkpoint does not
// stop the next. What a checkpoint records is proven in metrics-oracle.test.ts.
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Collection } from '../../../../src/manager/collection/collector.js';
import { startCheckpoints } from '../../../../src/manager/collection/metrics-checkpoints.js';
import { createLogger } from '../../../../src/logger.js';

const INTERVAL_MS = 5_000;

/** Stands in for ClusterMetrics: collections start when told, checkpoints are counted. */
class Target {
  lastCollectionAt: number | null = null;
  checkpoints: { at: number; timeoutMs: number }[] = [];
  failNext = false;

  scrape(): void {
    this.lastCollectionAt = Date.now();
  }

  msSinceLastCollection(): number | null {
    return this.lastCollectionAt === null ? null : Date.now() - this.lastCollectionAt;
  }

  checkpoint(timeoutMs: number): Promise<Collection> {
    this.lastCollectionAt = Date.now();
    this.checkpoints.push({ at: Date.now(), timeoutMs });
    if (this.failNext) {
      this.failNext = false;
      return Promise.reject(new Error('boom'));
    }
    return Promise.resolve({
      id: 1,
      asked: 1,
      answered: new Set(),
      slotSuccess: new Map(),
      durationSeconds: 0,
    });
  }
}

/** A logger at debug whose lines land in `lines`. */
function capture(lines: string[]) {
  return pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
}

const done = (lines: string[]) => lines.filter((line) => line.includes('"metrics checkpoint"'));

function start(target: Target, intervalMs = INTERVAL_MS, logger = createLogger('silent', {})) {
  return startCheckpoints(target, { intervalMs, timeoutMs: 2_000, logger });
}

describe('startCheckpoints', () => {
  let stop: (() => void) | undefined;
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => {
    stop?.();
    vi.useRealTimers();
  });

  it('collects every interval when nothing scrapes, with the deadline', async () => {
    const target = new Target();
    const t0 = Date.now();
    const lines: string[] = [];
    stop = start(target, INTERVAL_MS, capture(lines));
    await vi.advanceTimersByTimeAsync(INTERVAL_MS - 1);
    expect(target.checkpoints).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    await vi.advanceTimersByTimeAsync(2 * INTERVAL_MS);
    expect(target.checkpoints.map((c) => c.at - t0)).toEqual([
      INTERVAL_MS,
      2 * INTERVAL_MS,
      3 * INTERVAL_MS,
    ]);
    expect(target.checkpoints[0]).toMatchObject({ timeoutMs: 2_000 });
    expect(done(lines)).toHaveLength(3);
  });

  it('never collects while scrapes come more often than the interval', async () => {
    const target = new Target();
    stop = start(target);
    for (let i = 0; i < 20; i += 1) {
      target.scrape();
      await vi.advanceTimersByTimeAsync(INTERVAL_MS / 2);
    }
    expect(target.checkpoints).toHaveLength(0);
  });

  it('collects one interval after the last scrape, not one interval after its own last tick', async () => {
    const target = new Target();
    const t0 = Date.now();
    stop = start(target);
    await vi.advanceTimersByTimeAsync(INTERVAL_MS - 1_000);
    target.scrape(); // at 4 s: the tick at 5 s finds it 1 s old
    await vi.advanceTimersByTimeAsync(INTERVAL_MS + 1_000);
    expect(target.checkpoints.map((c) => c.at - t0)).toEqual([2 * INTERVAL_MS - 1_000]);
  });

  it('goes on after a checkpoint that failed, and says so', async () => {
    const target = new Target();
    target.failNext = true;
    const lines: string[] = [];
    stop = start(target, INTERVAL_MS, capture(lines));
    await vi.advanceTimersByTimeAsync(2 * INTERVAL_MS);
    expect(target.checkpoints).toHaveLength(2);
    expect(done(lines)).toHaveLength(1);
    expect(lines.join('')).toContain('metrics checkpoint failed');
  });

  it('never collects with the interval at 0', async () => {
    const target = new Target();
    stop = start(target, 0);
    await vi.advanceTimersByTimeAsync(10 * INTERVAL_MS);
    expect(target.checkpoints).toHaveLength(0);
  });
});
