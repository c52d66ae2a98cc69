// Row 9: what each optimisation layer of the scrape path buys. In this process (no IPC, no other
// processes), the worker app's registry (as run-worker.ts builds it) in 2 simulated workers and
// the manager's own families go through the service's encoder, JSON and ledger,
// with every layer on and with one layer off, interleaved round by round, at the default
// registry and with 1,000 synthetic label sets idle and churning. A scrape's latency = the
// slower worker (encode + JSON.stringify) + the manager (JSON.parse, recordReply, renderBytes);
// the metrics thread's CPU = process.cpuUsage() around the manager's part.
import { performance } from 'node:perf_hooks';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { MetricsLedger, type LedgerLayers } from '../../src/manager/aggregation/metrics-ledger.js';
import { isGaugeNamedLikeCounter } from '../../src/metrics/aggregation-rules.js';
import { registerBuildInfo } from '../../src/metrics/build-info.js';
import { createHttpMetrics } from '../../src/metrics/http-metrics.js';
import { MANAGER_METRICS_PREFIX } from '../../src/metrics/process-wide-metrics.js';
import { createShedMetrics } from '../../src/metrics/shed-metrics.js';
import { snapshotOf } from '../../src/metrics/snapshot.js';
import type { MetricsReplyMessage } from '../../src/protocol.js';
import { MetricsEncoder, type EncoderLayers } from '../../src/worker/metrics-encoder.js';
import { registerSyntheticHistogram, type SyntheticHandle } from '../fixtures/synthetic.js';
import { median } from '../lib/stats.js';
import { fmtRatio, type TableRow } from '../lib/table.js';
import type { BenchContext, RowOutcome } from '../lib/types.js';

const PROM = Registry.PROMETHEUS_CONTENT_TYPE;
const WORKERS = 2;
const LABEL_SETS = 1000;
/** A layer that buys less than this on the case it exists for does not earn its place. */
const EARNS = 1.05;

interface Variant {
  /** The layer switched off; 'all on' for the reference. */
  name: string;
  encoder?: Partial<EncoderLayers>;
  ledger?: Partial<LedgerLayers>;
  /** The cases the layer exists for: it earns its place if it buys enough in one of them. */
  for: CaseName[];
}

type CaseName = 'default' | '1,000 idle' | '1,000 churn';
const CASES: { name: CaseName; labelSets: number; churn: boolean }[] = [
  { name: 'default', labelSets: 0, churn: false },
  { name: '1,000 idle', labelSets: LABEL_SETS, churn: false },
  { name: '1,000 churn', labelSets: LABEL_SETS, churn: true },
];

const VARIANTS: Variant[] = [
  { name: 'all on', for: [] },
  { name: 'delta', encoder: { delta: false }, for: ['1,000 idle'] },
  { name: 'histograms', encoder: { histograms: false }, for: ['1,000 idle', '1,000 churn'] },
  { name: 'revalued', encoder: { revalued: false }, for: ['1,000 churn'] },
  { name: 'byteCache', ledger: { byteCache: false }, for: ['1,000 idle'] },
  { name: 'revalue', ledger: { revalue: false }, for: ['1,000 churn'] },
  { name: 'ownFamilies', ledger: { ownFamilies: false }, for: ['default'] },
  { name: 'ownMerge', ledger: { ownMerge: false }, for: ['1,000 churn'] },
];

interface Sim {
  workers: { encoder: MetricsEncoder; synthetic: SyntheticHandle; registry: Registry }[];
  ledger: MetricsLedger;
}

/** One scrape's figures, milliseconds. */
interface Sample {
  latencyMs: number;
  threadCpuMs: number;
  workerCpuMs: number;
}

/** The worker's registry as run-worker.ts fills it (without the link, app and server). */
function workerRegistry(labelSets: number) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const http = createHttpMetrics(registry);
  registerBuildInfo(registry, { version: 'bench', slot: 0 });
  createShedMetrics(registry);
  for (const route of ['/', '/api/hello', '/api/work']) {
    http.requestDuration.observe({ method: 'GET', route, status_code: '200' }, 0.002);
  }
  return { registry, synthetic: registerSyntheticHistogram(registry, labelSets) };
}

function sim(labelSets: number, variant: Variant): Sim {
  return {
    workers: Array.from({ length: WORKERS }, () => {
      const { registry, synthetic } = workerRegistry(labelSets);
      return { registry, synthetic, encoder: new MetricsEncoder(registry, variant.encoder) };
    }),
    ledger: new MetricsLedger(variant.ledger),
  };
}

const cpuMs = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
};

let nextRequestId = 1;

async function scrape(s: Sim, churn: boolean, manager: Registry): Promise<Sample> {
  if (churn) for (const w of s.workers) w.synthetic.churnOnce();
  const requestId = nextRequestId++;
  const texts: string[] = [];
  let slowestMs = 0;
  let workerCpuMs = 0;
  for (const [id, w] of s.workers.entries()) {
    const start = performance.now();
    const cpu = process.cpuUsage();
    texts.push(JSON.stringify(await w.encoder.encode(requestId, s.ledger.baseFor(id))));
    slowestMs = Math.max(slowestMs, performance.now() - start);
    workerCpuMs += cpuMs(cpu) / s.workers.length;
  }
  // The main thread reads its registry while the workers encode: outside the thread's part.
  const own = (await snapshotOf(manager)).filter((family) => !isGaugeNamedLikeCounter(family));
  const start = performance.now();
  const cpu = process.cpuUsage();
  texts.forEach((text, id) => {
    if (!s.ledger.recordReply(id, JSON.parse(text) as MetricsReplyMessage)) {
      throw new Error(`the ledger refused the reply of worker ${id}`);
    }
  });
  const answered = new Set(texts.map((_, id) => id));
  await s.ledger.renderBytes(answered, own, PROM);
  const threadCpuMs = cpuMs(cpu);
  const latencyMs = slowestMs + performance.now() - start;
  return { latencyMs, threadCpuMs, workerCpuMs };
}

export interface AblationFigures {
  case: CaseName;
  variant: string;
  latencyMs: number;
  threadCpuMs: number;
  workerCpuMs: number;
}

/** A permutation of 0..n-1 (Fisher-Yates on a fixed-seed LCG: runs are repeatable). */
function shuffled(n: number, seed: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  let state = seed;
  for (let i = n - 1; i > 0; i -= 1) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const j = state % (i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/**
 * Every case x variant, interleaved: each round scrapes each of them once, in an order of its
 * own (in a fixed order, each would always follow the same neighbour and inherit its garbage).
 */
export async function ablation(rounds: number): Promise<AblationFigures[]> {
  const manager = new Registry();
  collectDefaultMetrics({ register: manager, prefix: MANAGER_METRICS_PREFIX });
  const runs = CASES.flatMap((c) =>
    VARIANTS.map((v) => ({ c, v, sim: sim(c.labelSets, v), samples: [] as Sample[] })),
  );
  const warmUp = 5;
  for (let round = 0; round < warmUp + rounds; round += 1) {
    for (const i of shuffled(runs.length, round + 1)) {
      const run = runs[i]!;
      const sample = await scrape(run.sim, run.c.churn, manager);
      if (round >= warmUp) run.samples.push(sample);
    }
  }
  for (const run of runs) for (const w of run.sim.workers) w.registry.clear();
  return runs.map(({ c, v, samples }) => ({
    case: c.name,
    variant: v.name,
    latencyMs: median(samples.map((s) => s.latencyMs)),
    threadCpuMs: median(samples.map((s) => s.threadCpuMs)),
    workerCpuMs: median(samples.map((s) => s.workerCpuMs)),
  }));
}

const ms = (x: number) => `${x.toFixed(2)} ms`;

export async function ablationRows(ctx: BenchContext): Promise<RowOutcome> {
  const rounds = ctx.options.quick ? 8 : 60;
  ctx.log(`ablation: ${CASES.length} cases x ${VARIANTS.length} variants, ${rounds} rounds`);
  const figures = await ablation(rounds);
  const find = (c: CaseName, v: string) => figures.find((f) => f.case === c && f.variant === v)!;
  const rows: TableRow[] = [];
  const notes: string[] = [];
  for (const v of VARIANTS.slice(1))
    for (const c of v.for) {
      const off = find(c, v.name);
      const on = find(c, 'all on');
      // The layer's gain: the larger of what it saves in latency and in the thread's CPU (worker
      // layers: the worker's CPU instead).
      const latency = off.latencyMs / on.latencyMs;
      const cpu = v.encoder ? off.workerCpuMs / on.workerCpuMs : off.threadCpuMs / on.threadCpuMs;
      const gain = Math.max(latency, cpu);
      rows.push({
        id: `9 ablation ${v.name}`,
        what: `${v.name} off, ${c} (off / on)`,
        measured:
          `latency ${ms(off.latencyMs)} vs ${ms(on.latencyMs)}, ` +
          `${v.encoder ? 'worker' : 'thread'} CPU ${ms(v.encoder ? off.workerCpuMs : off.threadCpuMs)} ` +
          `vs ${ms(v.encoder ? on.workerCpuMs : on.threadCpuMs)}`,
        ratio: `${fmtRatio(latency)} / ${fmtRatio(cpu)}`,
        goal: `>= ${fmtRatio(EARNS)}`,
        status: gain >= EARNS ? 'pass' : 'FAIL',
      });
    }
  for (const c of CASES) {
    const on = find(c.name, 'all on');
    const cells = figures
      .filter((f) => f.case === c.name && f.variant !== 'all on')
      .map(
        (f) =>
          `${f.variant} ${fmtRatio(f.latencyMs / on.latencyMs)}/` +
          `${fmtRatio(f.threadCpuMs / on.threadCpuMs)}/${fmtRatio(f.workerCpuMs / on.workerCpuMs)}`,
      );
    notes.push(
      `Row 9, ${c.name}: all on: latency ${ms(on.latencyMs)}, thread CPU ${ms(on.threadCpuMs)}, ` +
        `worker CPU ${ms(on.workerCpuMs)}; one layer off, latency/thread CPU/worker CPU vs all ` +
        `on: ${cells.join(', ')} (medians of ${rounds} interleaved rounds).`,
    );
  }
  return { rows, notes, data: { rounds, figures } };
}
