// /metrics on the metrics thread: the main thread's own metrics and the process-wide ones are
// merged in; a main thread that misses the collection's deadline is flagged with its last values,
// one silent as long as /livez allows fails the scrape with 503 (Prometheus must see it); the
// body's buffer is reused only once given back.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../../src/logger.js';
import type { MetricsSnapshot } from '../../../../src/metrics/snapshot.js';
import { BodyBuffers } from '../../../../src/manager/endpoint/body-buffers.js';
import {
  ClusterMetrics,
  type ClusterMetricsDeps,
} from '../../../../src/manager/endpoint/cluster-metrics.js';
import { MainThreadUnresponsiveError } from '../../../../src/manager/thread/main-thread-calls.js';
import { MetricsAggregator } from '../../../../src/manager/collection/metrics-aggregator.js';

const gauge = (name: string, value: number): MetricsSnapshot[number] => ({
  name,
  help: `${name} help`,
  type: 'gauge',
  aggregator: 'first',
  values: [{ value, labels: {} }],
});

function clusterMetrics(overrides: Partial<ClusterMetricsDeps> = {}) {
  const bodies = new BodyBuffers();
  const metrics = new ClusterMetrics({
    aggregator: new MetricsAggregator(() => false),
    bodies,
    workers: () => [],
    readMain: async () => [gauge('main_thread_gauge', 1)],
    mainUnansweredForMs: () => 0,
    readProcessWide: async () => [gauge('process_wide_gauge', 2)],
    configuredTimeoutMs: 50,
    logger: createLogger('silent', {}),
    ...overrides,
  });
  return { metrics, bodies };
}

describe('ClusterMetrics', () => {
  it("renders the main thread's and the process-wide families, in the negotiated format", async () => {
    const { metrics } = clusterMetrics();
    const rendered = await metrics.render({ accept: 'application/openmetrics-text' });
    expect(rendered.contentType).toBe(Registry.OPENMETRICS_CONTENT_TYPE);
    const text = rendered.body.toString();
    expect(text).toMatch(/^main_thread_gauge 1$/m);
    expect(text).toMatch(/^process_wide_gauge 2$/m);
    expect(text).toMatch(/# EOF\n$/);
  });

  it('flags a main thread that misses a short deadline, with its last values, and answers', async () => {
    let answers = true;
    const deadlines: number[] = [];
    const { metrics } = clusterMetrics({
      readMain: (deadlineMs) => {
        deadlines.push(deadlineMs);
        if (answers) return Promise.resolve([gauge('main_thread_gauge', 7)]);
        return new Promise((_resolve, reject) =>
          setTimeout(() => reject(new MainThreadUnresponsiveError(deadlineMs)), 20),
        );
      },
    });
    const header = { 'x-prometheus-scrape-timeout-seconds': '0.33' };
    const first = (await metrics.render(header)).body.toString();
    expect(first).toMatch(/^main_thread_gauge 7$/m);
    expect(first).toMatch(/^cluster_manager_scrape_success 1$/m);
    answers = false;
    const text = (await metrics.render(header)).body.toString();
    expect(text).toMatch(/^main_thread_gauge 7$/m);
    expect(text).toMatch(/^cluster_manager_scrape_success 0$/m);
    expect(text).toMatch(/^process_wide_gauge 2$/m);
    // The collection's deadline, fitted to 330 ms (the configured 50 ms is shorter).
    expect(deadlines).toEqual([50, 50]);
  });

  it('fails with 503 manager_unresponsive when the main thread has been silent for 2 s', async () => {
    const { metrics } = clusterMetrics({
      readMain: (deadlineMs) =>
        new Promise((_resolve, reject) =>
          setTimeout(() => reject(new MainThreadUnresponsiveError(deadlineMs)), 20),
        ),
      mainUnansweredForMs: () => 2_000,
    });
    const failed = await metrics
      .render({ 'x-prometheus-scrape-timeout-seconds': '10' })
      .catch((e: unknown) => e);
    expect(failed).toMatchObject({ status: 503, code: 'manager_unresponsive' });
  });

  it("serves the workers' metrics when reading the main thread's failed (a bug there)", async () => {
    const { metrics } = clusterMetrics({ readMain: () => Promise.reject(new Error('a bug')) });
    const text = (await metrics.render({})).body.toString();
    expect(text).not.toContain('main_thread_gauge');
    expect(text).toMatch(/^cluster_manager_scrape_success 0$/m);
    expect(text).toMatch(/^process_wide_gauge 2$/m);
  });

  it('reuses a body buffer only after it is released, once', async () => {
    const { metrics, bodies } = clusterMetrics();
    const first = await metrics.render({});
    const copy = Buffer.from(first.body);
    const second = await metrics.render({});
    // Not released: the second body has a buffer of its own, the first is intact.
    expect(second.body.buffer).not.toBe(first.body.buffer);
    expect(first.body.equals(copy)).toBe(true);
    first.release();
    first.release();
    expect(bodies.held).toBe(1);
    const third = await metrics.render({});
    expect(third.body.buffer).toBe(first.body.buffer);
  });
});
