// Where a scrape's time goes, piece by piece, in this process (no IPC, no other processes, so no
// scheduling noise): the same registries the workers hold, pushed through the same steps as a
// real scrape: src/worker/metrics-encoder.ts on the worker's side, Node's JSON IPC encoding,
// src/manager/aggregation/metrics-ledger.ts on the manager's side; and the stock path (getMetricsAsJSON,
// AggregatorRegistry.aggregate, registry.metrics) on the same registries.
//
// Our path is measured in three states:
//   - cold: a fresh encoder and ledger (the first scrape): every family sent, merged, rendered;
//   - idle: the next scrapes when the synthetic series did not change (the default metrics do:
//     CPU, memory, event loop): only the changed families travel and are re-rendered;
//   - churn: the next scrapes when every synthetic label set changed in between.
// And ledger.render called again with the very same inputs: what reusing everything costs.
import { performance } from 'node:perf_hooks';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { MetricsLedger } from '../../src/manager/aggregation/metrics-ledger.js';
import { createHttpMetrics } from '../../src/metrics/http-metrics.js';
import { aggregate, snapshotOf, type MetricsSnapshot } from '../../src/metrics/snapshot.js';
import type { MetricsReplyMessage } from '../../src/protocol.js';
import { MetricsEncoder } from '../../src/worker/metrics-encoder.js';
import { registerSyntheticHistogram, type SyntheticHandle } from '../fixtures/synthetic.js';
import { median } from '../lib/stats.js';

const PROM = Registry.PROMETHEUS_CONTENT_TYPE;

/** One scrape's cost, medians over the iterations. */
export interface PathCost {
  /** Per worker (workers run in parallel on the real cluster). Ours: MetricsEncoder.encode;
   * stock: getMetricsAsJSON. */
  encodeMs: number;
  /** Per worker: JSON.stringify of the IPC message (Node's 'json' channel does it in send). */
  sendStringifyMs: number;
  /** Per worker: the IPC message's size. */
  bytesPerWorker: number;
  /** Per worker: families sent as JSON, of all families (ours; stock sends every family). */
  familiesSent: number;
  families: number;
  /** On the manager, all workers: JSON.parse of the IPC messages. */
  parseMs: number;
  /** On the manager: ledger.recordReply of every reply (ours; 0 for stock). */
  recordMs: number;
  /** On the manager: ledger.render (ours) / aggregate() + registry.metrics() (stock). */
  renderMs: number;
  /** parse + record + render: the manager's CPU per scrape, without waiting for workers. */
  managerMs: number;
}

export interface Breakdown {
  workers: number;
  labelSets: number;
  iterations: number;
  stock: PathCost & { aggregateMs: number; textMs: number };
  cold: PathCost;
  idle: PathCost;
  churn: PathCost;
  /** ledger.render again with the very same inputs (nothing recorded in between). */
  unchangedRenderMs: number;
}

interface SimWorker {
  registry: Registry;
  synthetic: SyntheticHandle;
  encoder: MetricsEncoder;
}

function simWorker(labelSets: number): SimWorker {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const http = createHttpMetrics(registry);
  for (const route of ['/', '/api/hello', '/api/work']) {
    http.requestDuration.observe({ method: 'GET', route, status_code: '200' }, 0.002);
  }
  const synthetic = registerSyntheticHistogram(registry, labelSets);
  return { registry, synthetic, encoder: new MetricsEncoder(registry) };
}

async function timed<T>(fn: () => Promise<T> | T): Promise<[T, number]> {
  const start = performance.now();
  const value = await fn();
  return [value, performance.now() - start];
}

type Sample = Omit<PathCost, 'managerMs'> & { aggregateMs: number; textMs: number };

let nextRequestId = 1;

/** One scrape on our path: every worker encodes against what the ledger holds, then the manager. */
async function oursScrape(workers: SimWorker[], ledger: MetricsLedger): Promise<Sample> {
  const requestId = nextRequestId++;
  const replies: MetricsReplyMessage[] = [];
  let encodeMs = 0;
  for (const [id, w] of workers.entries()) {
    const [reply, ms] = await timed(() => w.encoder.encode(requestId, ledger.baseFor(id)));
    replies.push(reply);
    encodeMs += ms;
  }
  const [texts, strMs] = await timed(() => replies.map((r) => JSON.stringify(r)));
  const [parsed, parseMs] = await timed(() =>
    texts.map((t) => JSON.parse(t) as MetricsReplyMessage),
  );
  const [, recordMs] = await timed(() =>
    parsed.forEach((reply, id) => {
      if (!ledger.recordReply(id, reply)) throw new Error(`ledger refused the reply of ${id}`);
    }),
  );
  const answered = new Set(parsed.map((_, id) => id));
  const [, renderMs] = await timed(() => ledger.renderBytes(answered, [], PROM));
  const first = replies[0];
  return {
    encodeMs: encodeMs / workers.length,
    sendStringifyMs: strMs / workers.length,
    bytesPerWorker: Buffer.byteLength(texts[0] ?? ''),
    familiesSent: first ? first.families.filter((f) => !('same' in f)).length : 0,
    families: first ? first.families.length : 0,
    parseMs,
    recordMs,
    renderMs,
    aggregateMs: 0,
    textMs: 0,
  };
}

/** One scrape on the stock path (prom-client's cluster.js), on the same registries. */
async function stockScrape(workers: SimWorker[]): Promise<Sample> {
  let encodeMs = 0;
  const snapshots: MetricsSnapshot[][] = [];
  for (const w of workers) {
    const [snapshot, ms] = await timed(() => snapshotOf(w.registry));
    snapshots.push([snapshot]);
    encodeMs += ms;
  }
  const [texts, strMs] = await timed(() =>
    snapshots.map((metrics, requestId) =>
      JSON.stringify({ type: 'prom-client:getMetricsRes', requestId, metrics }),
    ),
  );
  const [parsed, parseMs] = await timed(() =>
    texts.map((t) => (JSON.parse(t) as { metrics: MetricsSnapshot[] }).metrics),
  );
  const [merged, aggregateMs] = await timed(() => aggregate(parsed.flat()));
  const [, textMs] = await timed(() => merged.metrics());
  const families = snapshots[0]?.[0]?.length ?? 0;
  return {
    encodeMs: encodeMs / workers.length,
    sendStringifyMs: strMs / workers.length,
    bytesPerWorker: Buffer.byteLength(texts[0] ?? ''),
    familiesSent: families,
    families,
    parseMs,
    recordMs: 0,
    renderMs: aggregateMs + textMs,
    aggregateMs,
    textMs,
  };
}

function medians(samples: Sample[]): PathCost & { aggregateMs: number; textMs: number } {
  const m = (key: keyof Sample) => median(samples.map((s) => s[key]));
  const parseMs = m('parseMs');
  const recordMs = m('recordMs');
  const renderMs = m('renderMs');
  return {
    encodeMs: m('encodeMs'),
    sendStringifyMs: m('sendStringifyMs'),
    bytesPerWorker: m('bytesPerWorker'),
    familiesSent: m('familiesSent'),
    families: m('families'),
    parseMs,
    recordMs,
    renderMs,
    managerMs: median(samples.map((s) => s.parseMs + s.recordMs + s.renderMs)),
    aggregateMs: m('aggregateMs'),
    textMs: m('textMs'),
  };
}

function withoutParts({ aggregateMs, textMs, ...cost }: ReturnType<typeof medians>): PathCost {
  void aggregateMs;
  void textMs;
  return cost;
}

export async function scrapeBreakdown(
  workers: number,
  labelSets: number,
  iterations: number,
): Promise<Breakdown> {
  // Separate registries for the churn state, so its re-observations never reach the idle ones.
  const idleWorkers = Array.from({ length: workers }, () => simWorker(labelSets));
  const churnWorkers = Array.from({ length: workers }, () => simWorker(labelSets));
  const idleLedger = new MetricsLedger();
  const churnLedger = new MetricsLedger();
  // The first (cold) scrape of the long-lived ledgers, so the measured ones are deltas.
  await oursScrape(idleWorkers, idleLedger);
  await oursScrape(churnWorkers, churnLedger);

  const samples = {
    stock: [] as Sample[],
    cold: [] as Sample[],
    idle: [] as Sample[],
    churn: [] as Sample[],
  };
  const unchanged: number[] = [];
  // One extra, discarded iteration warms the JIT.
  for (let i = 0; i <= iterations; i += 1) {
    const keep = i > 0;
    const stock = await stockScrape(idleWorkers);
    // A fresh encoder per worker and a fresh ledger: nothing to build a delta on, nothing cached.
    const fresh = idleWorkers.map((w) => ({ ...w, encoder: new MetricsEncoder(w.registry) }));
    const cold = await oursScrape(fresh, new MetricsLedger());
    const idle = await oursScrape(idleWorkers, idleLedger);
    const answered = new Set(idleWorkers.map((_, id) => id));
    const [, againMs] = await timed(() => idleLedger.renderBytes(answered, [], PROM));
    for (const w of churnWorkers) w.synthetic.churnOnce();
    const churn = await oursScrape(churnWorkers, churnLedger);
    if (!keep) continue;
    samples.stock.push(stock);
    samples.cold.push(cold);
    samples.idle.push(idle);
    samples.churn.push(churn);
    unchanged.push(againMs);
  }
  for (const w of [...idleWorkers, ...churnWorkers]) w.registry.clear();
  return {
    workers,
    labelSets,
    iterations,
    stock: medians(samples.stock),
    cold: withoutParts(medians(samples.cold)),
    idle: withoutParts(medians(samples.idle)),
    churn: withoutParts(medians(samples.churn)),
    unchangedRenderMs: median(unchanged),
  };
}
