// Where a scrape's time goes, piece by piece, in this process (no IPC, no other processes, so no
// scheduling noise): the same registries the workers hold, pushed through the same steps as a
// real scrape with src/metrics/snapshot.ts and src/manager/metrics-ledger.ts.
import { performance } from 'node:perf_hooks';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { MetricsLedger } from '../../src/manager/metrics-ledger.js';
import { createHttpMetrics } from '../../src/metrics/http-metrics.js';
import { aggregate, snapshotOf } from '../../src/metrics/snapshot.js';
import type { MetricsSnapshot } from '../../src/protocol.js';
import { registerSyntheticHistogram } from '../fixtures/synthetic.js';
import { median } from '../lib/stats.js';

export interface Breakdown {
  workers: number;
  labelSets: number;
  iterations: number;
  /** JSON bytes one worker sends per scrape. */
  bytesPerWorker: number;
  /** Medians, ms, for all workers together (on the manager these run one after another). */
  workerSnapshotMs: number;
  ipcStringifyMs: number;
  ipcParseMs: number;
  ledgerRecordMs: number;
  ledgerMergeMs: number;
  stockAggregateMs: number;
  renderMs: number;
  stockRenderMs: number;
}

function workerRegistry(labelSets: number): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const http = createHttpMetrics(registry);
  for (const route of ['/', '/api/hello', '/api/work']) {
    http.requestDuration.observe({ method: 'GET', route, status_code: '200' }, 0.002);
  }
  registerSyntheticHistogram(registry, labelSets);
  return registry;
}

async function timed<T>(fn: () => Promise<T> | T): Promise<[T, number]> {
  const start = performance.now();
  const value = await fn();
  return [value, performance.now() - start];
}

export async function scrapeBreakdown(
  workers: number,
  labelSets: number,
  iterations: number,
): Promise<Breakdown> {
  const registries = Array.from({ length: workers }, () => workerRegistry(labelSets));
  const samples: Record<string, number[]> = {};
  const add = (key: string, ms: number) => (samples[key] ??= []).push(ms);
  let bytesPerWorker = 0;
  // One extra, discarded iteration warms the JIT.
  for (let i = 0; i <= iterations; i += 1) {
    const keep = i > 0;
    const [snapshots, snapMs] = await timed(async () => {
      const out: MetricsSnapshot[] = [];
      for (const r of registries) out.push(await snapshotOf(r));
      return out;
    });
    // Node's IPC channel ('json' serialization): JSON.stringify in the worker, JSON.parse on
    // the manager's main thread.
    const [texts, strMs] = await timed(() =>
      snapshots.map((metrics, id) => JSON.stringify({ type: 'metrics', requestId: id, metrics })),
    );
    bytesPerWorker = Buffer.byteLength(texts[0] ?? '');
    const [parsed, parseMs] = await timed(() =>
      texts.map((t) => (JSON.parse(t) as { metrics: MetricsSnapshot }).metrics),
    );
    const ledger = new MetricsLedger();
    const [, recordMs] = await timed(() => parsed.forEach((m, id) => ledger.record(id, m)));
    const answered = new Set(parsed.map((_, id) => id));
    // A fresh ledger has nothing cached: this is the cold, full merge-and-render cost.
    const [, mergeMs] = await timed(() =>
      ledger.render(answered, [], Registry.PROMETHEUS_CONTENT_TYPE),
    );
    const renderMs = 0; // included in mergeMs: the ledger merges and renders family by family
    const reparsed = texts.map((t) => (JSON.parse(t) as { metrics: MetricsSnapshot }).metrics);
    const [stock, stockAggMs] = await timed(() => aggregate(reparsed));
    const [, stockRenderMs] = await timed(() => stock.metrics());
    if (!keep) continue;
    add('snap', snapMs);
    add('str', strMs);
    add('parse', parseMs);
    add('record', recordMs);
    add('merge', mergeMs);
    add('render', renderMs);
    add('stockAgg', stockAggMs);
    add('stockRender', stockRenderMs);
  }
  for (const r of registries) r.clear();
  const m = (key: string) => median(samples[key] ?? []);
  return {
    workers,
    labelSets,
    iterations,
    bytesPerWorker,
    workerSnapshotMs: m('snap'),
    ipcStringifyMs: m('str'),
    ipcParseMs: m('parse'),
    ledgerRecordMs: m('record'),
    ledgerMergeMs: m('merge'),
    stockAggregateMs: m('stockAgg'),
    renderMs: m('render'),
    stockRenderMs: m('stockRender'),
  };
}
