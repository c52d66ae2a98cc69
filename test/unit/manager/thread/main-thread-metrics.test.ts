// The main thread's part of a scrape: its families and cluster_manager_scrape_success 1 when it
// answers in time; its last values and 0 when it misses a deadline; 503 manager_unresponsive only
// once it has been silent as long as /livez allows, whatever the scrape's own deadline.
import { describe, expect, it } from 'vitest';
import { HttpError } from '../../../../src/http-errors.js';
import { createLogger } from '../../../../src/logger.js';
import {
  MAIN_THREAD_DEADLINE_MS,
  MainThreadUnresponsiveError,
} from '../../../../src/manager/thread/main-thread-calls.js';
import { MainThreadMetrics } from '../../../../src/manager/thread/main-thread-metrics.js';
import type { MetricsSnapshot } from '../../../../src/metrics/snapshot.js';

const counter = (value: number): MetricsSnapshot[number] => ({
  name: 'cluster_worker_restarts_total',
  help: 'h',
  type: 'counter',
  aggregator: 'sum',
  values: [{ value, labels: { slot: 0 } }],
});

type Answer = MetricsSnapshot | Error;

function mainThread(answers: Answer[], unansweredMs = 0) {
  return new MainThreadMetrics({
    read: (deadlineMs) => {
      const answer = answers.shift() ?? new MainThreadUnresponsiveError(deadlineMs);
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
    },
    unansweredForMs: () => unansweredMs,
    logger: createLogger('silent', {}),
  });
}

const flagOf = (snapshot: MetricsSnapshot) =>
  snapshot.find((f) => f.name === 'cluster_manager_scrape_success')?.values[0]?.value;
const countOf = (snapshot: MetricsSnapshot) =>
  snapshot.find((f) => f.name === 'cluster_worker_restarts_total')?.values[0]?.value;

describe('MainThreadMetrics', () => {
  it('answers its families, flagged 1, when the main thread answers', async () => {
    const read = await mainThread([[counter(3)]]).read(247);
    expect(countOf(read)).toBe(3);
    expect(flagOf(read)).toBe(1);
  });

  it('repeats the last values, flagged 0, when a short deadline passes unanswered', async () => {
    const main = mainThread([[counter(3)], new MainThreadUnresponsiveError(75), [counter(4)]]);
    expect(countOf(await main.read(75))).toBe(3);
    const missed = await main.read(75);
    // Counters never go down between scrapes: the last ones, not none.
    expect(countOf(missed)).toBe(3);
    expect(flagOf(missed)).toBe(0);
    const back = await main.read(75);
    expect([countOf(back), flagOf(back)]).toEqual([4, 1]);
  });

  it('flags a main thread that never answered yet, without families of it', async () => {
    const read = await mainThread([], 100).read(247);
    expect(read.map((f) => f.name)).toEqual(['cluster_manager_scrape_success']);
    expect(flagOf(read)).toBe(0);
  });

  it('fails with 503 once the main thread has been silent for MAIN_THREAD_DEADLINE_MS', async () => {
    const silent = mainThread([[counter(3)]], MAIN_THREAD_DEADLINE_MS);
    await silent.read(247);
    const error = await silent.read(247).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 503, code: 'manager_unresponsive' });
    // A scrape that itself waited that long proves it too.
    const waited = mainThread([]);
    const own = await waited.read(MAIN_THREAD_DEADLINE_MS).catch((e: unknown) => e);
    expect(own).toBeInstanceOf(MainThreadUnresponsiveError);
  });

  it('passes on a refusal; flags a failed read (a bug) and keeps the last values', async () => {
    const refusal = new HttpError(503, 'shutting_down', 'stopping');
    const refused = await mainThread([refusal])
      .read(247)
      .catch((e: unknown) => e);
    expect(refused).toBe(refusal);
    const main = mainThread([[counter(5)], new Error('a bug')]);
    await main.read(247);
    const failed = await main.read(247);
    expect([countOf(failed), flagOf(failed)]).toEqual([5, 0]);
  });
});
