// The differential proof behind "metrics that do not lie": real prom-client registries (one per
// simulated worker) go through random metric operations, scrapes, late and missing replies,
// deaths without final words and graceful leaves, checkpoints (collections no scrape asked for),
// and after every scrape the manager's rendered
// exposition (worker encoder -> JSON as on the wire -> collector -> ledger -> renderer) must
// equal the oracle's (prom-client's aggregate() over full snapshots), sample for sample, in both
// text formats, and in OpenMetrics each sample's exemplar (or none) must be the newest of those
// in the full lists the manager received. Every delta, cache and shortcut of the fast path is
// held to that.
import fc from 'fast-check';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LedgerLayers } from '../../../../src/manager/aggregation/metrics-ledger.js';
import { ClusterMetrics } from '../../../../src/manager/collection/cluster-metrics.js';
import type { CollectMetricsMessage, MetricsReplyMessage } from '../../../../src/protocol.js';
import { registryExemplars } from '../../../../src/metrics/lean-histogram.js';
import { MetricsEncoder, type EncoderLayers } from '../../../../src/worker/metrics-encoder.js';
import { linesOf, MetricsOracle } from '../../../helpers/metrics-oracle.js';
import {
  ExemplarClock,
  LABEL_VALUES,
  SimulatedWorker,
  type MetricOp,
} from '../../../helpers/simulated-worker.js';

const TIMEOUT_MS = 100;
const FORMATS = [Registry.PROMETHEUS_CONTENT_TYPE, Registry.OPENMETRICS_CONTENT_TYPE] as const;

/** What a worker does with one collection request. */
type Behaviour = 'answer' | 'late' | 'silent' | 'dies' | 'leaves';

type Step =
  | { t: 'op'; worker: number; op: MetricOp }
  | { t: 'scrape'; behaviours: Behaviour[] }
  | { t: 'checkpoint'; behaviours: Behaviour[] }
  | { t: 'kill'; worker: number }
  | { t: 'leave'; worker: number }
  | { t: 'spawn' };

// Multiples of 1/4: exact in binary, so sums do not depend on the order of addition.
const quarter = (max: number) => fc.integer({ min: 0, max: max * 4 }).map((n) => n / 4);
const label = fc.constantFrom(...LABEL_VALUES);
const maybeLabel = fc.option(label, { nil: null });
/** A sampled request's trace id (32 hex digits), or none: half the observations carry one. */
const traceId = fc.option(
  fc.integer({ min: 1, max: 0xffff_ffff }).map((n) => n.toString(16).padStart(32, '0')),
  { nil: null, freq: 2 },
);

const metricOp: fc.Arbitrary<MetricOp> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('counter.inc' as const),
      label: maybeLabel,
      by: quarter(5),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'counter.reset' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('counter.remove' as const), label }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('gauge.set' as const),
      label: maybeLabel,
      to: quarter(50),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('gauge.inc' as const),
      label: maybeLabel,
      by: quarter(5),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('gauge.dec' as const),
      label: maybeLabel,
      by: quarter(5),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('gauge.remove' as const), label }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('histogram.observe' as const),
      label,
      value: quarter(3),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'histogram.reset' as const }) },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('lean.observe' as const),
      label,
      value: quarter(2),
      traceId,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('summary.observe' as const), value: quarter(100) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('process.advance' as const),
      cpu: quarter(2),
      heap: quarter(1000),
      lag: quarter(1),
    }),
  },
);

const behaviour = fc.constantFrom<Behaviour>(
  'answer',
  'answer',
  'answer',
  'late',
  'silent',
  'dies',
  'leaves',
);
const workerIndex = fc.nat({ max: 5 });

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 10,
    arbitrary: fc.record({ t: fc.constant('op' as const), worker: workerIndex, op: metricOp }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      t: fc.constant('scrape' as const),
      behaviours: fc.array(behaviour, { minLength: 4, maxLength: 4 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant('checkpoint' as const),
      behaviours: fc.array(behaviour, { minLength: 4, maxLength: 4 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('kill' as const), worker: workerIndex }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('leave' as const), worker: workerIndex }) },
  { weight: 2, arbitrary: fc.constant({ t: 'spawn' as const }) },
);

interface Live {
  id: number;
  slot: number;
  sim: SimulatedWorker;
  encoder: MetricsEncoder;
  inbox: CollectMetricsMessage[];
}

/** The link carries JSON: the manager never sees the worker's objects, only copies. */
const overTheWire = <T>(message: T): T => JSON.parse(JSON.stringify(message)) as T;

/** Lines about the workers' metrics; the manager's own (cluster_*) are checked apart. */
const workerLines = (text: string) =>
  linesOf(text).filter((line) => !/^(# (HELP|TYPE) )?cluster_/.test(line));

/** Optimisation layers switched off, on the workers' encoders and the manager's ledger. */
type LayersOff = Partial<EncoderLayers & LedgerLayers>;

/** The metrics thread's core and the oracle, driven by the same events. */
class Cluster {
  readonly metrics: ClusterMetrics;
  readonly oracle = new MetricsOracle();
  readonly live: Live[] = [];
  /** Exemplar timestamps for all the workers: never two equally new. */
  private readonly clock = new ExemplarClock();
  private nextId = 1;
  /** OpenMetrics sample lines compared that carried an exemplar (the property is not vacuous). */
  exemplarLines = 0;

  constructor(private readonly off: LayersOff = {}) {
    const { byteCache, revalue, ownFamilies, ownMerge } = off;
    this.metrics = new ClusterMetrics({
      send: (workerId, message) => {
        const worker = this.live.find((w) => w.id === workerId);
        worker?.inbox.push(message);
        return worker !== undefined;
      },
      // A reaped worker's link has delivered everything by the time the list changes here.
      drained: () => Promise.resolve(),
      readManager: () => Promise.resolve([]),
      layersOff: { byteCache, revalue, ownFamilies, ownMerge },
    });
  }

  spawn(): void {
    const id = this.nextId++;
    const sim = new SimulatedWorker(this.clock);
    const { delta, histograms, revalued } = this.off;
    const encoder = new MetricsEncoder(sim.registry, { delta, histograms, revalued });
    this.live.push({ id, slot: id % 4, sim, encoder, inbox: [] });
    void this.announce();
  }

  /** The supervisor's list, as the main thread announces it: ready workers, the reaped gone. */
  private announce(): Promise<void> {
    return this.metrics.setWorkers(
      this.live.map(({ id, slot }) => ({ id, slot, state: 'ready' as const })),
    );
  }

  pick(index: number): Live | undefined {
    return this.live.length === 0 ? undefined : this.live[index % this.live.length];
  }

  /** SIGKILL, OOM: whatever the worker counted since its last reply is lost to everyone. */
  async kill(worker: Live): Promise<void> {
    this.live.splice(this.live.indexOf(worker), 1);
    await this.announce();
    this.oracle.retire(worker.id);
  }

  /** A drained worker's final words arrive, then its link closes, before its exit is noticed. */
  async leave(worker: Live): Promise<void> {
    const final = await worker.sim.snapshot();
    // All its exemplars, as metrics-link.ts sends them.
    const exemplars = registryExemplars(worker.sim.registry, 0);
    this.metrics.onFinalMetrics(worker.id, overTheWire(final), overTheWire(exemplars));
    this.metrics.onLinkClosed(worker.id);
    this.oracle.deliver(worker.id, final, worker.sim.exemplars());
    await this.kill(worker);
  }

  /** One collection, shared by a Prometheus-text and an OpenMetrics scrape. */
  async scrape(behaviours: Behaviour[]): Promise<void> {
    const scrapes = FORMATS.map((contentType) =>
      this.metrics.scrape({ timeoutMs: TIMEOUT_MS, contentType }),
    );
    const { late, answered, slotSuccess } = await this.answer(behaviours);
    await vi.advanceTimersByTimeAsync(TIMEOUT_MS + 1);
    const bodies = await Promise.all(scrapes);
    const texts = bodies.map((body) => new TextDecoder().decode(body));
    // Too late: the collection is over, the reply must change nothing.
    for (const [worker, reply] of late) this.metrics.onReply(worker.id, overTheWire(reply));

    for (const [i, type] of FORMATS.entries()) {
      const expected = await this.oracle.expected(answered, type);
      expect(workerLines(texts[i]!)).toEqual(workerLines(expected));
      if (type === Registry.OPENMETRICS_CONTENT_TYPE) {
        this.exemplarLines += MetricsOracle.exemplarLines(expected);
      } else expect(texts[i]).not.toContain(' # {');
      for (const [slot, ok] of slotSuccess) {
        expect(texts[i]).toContain(`cluster_worker_scrape_success{slot="${slot}"} ${ok ? 1 : 0}\n`);
      }
    }
  }

  /** A collection no scrape asked for: what it records must show in every later scrape. */
  async checkpoint(behaviours: Behaviour[]): Promise<void> {
    const collection = this.metrics.checkpoint(TIMEOUT_MS);
    const { late, answered } = await this.answer(behaviours);
    await vi.advanceTimersByTimeAsync(TIMEOUT_MS + 1);
    expect((await collection).answered).toEqual(answered);
    for (const [worker, reply] of late) this.metrics.onReply(worker.id, overTheWire(reply));
  }

  /** Each live worker does with its one pending request what `behaviours` says (in turn). */
  private async answer(behaviours: Behaviour[]) {
    const late: [Live, MetricsReplyMessage][] = [];
    const answered = new Set<number>();
    const slotSuccess = new Map<number, boolean>();
    for (const [i, worker] of [...this.live].entries()) {
      const request = worker.inbox.shift();
      if (!request || worker.inbox.length > 0) throw new Error(`worker ${worker.id}: one request`);
      const what = behaviours[i % behaviours.length]!;
      if (what === 'dies') {
        await this.kill(worker);
        continue;
      }
      if (what === 'leaves') {
        await this.leave(worker);
        continue;
      }
      slotSuccess.set(worker.slot, (slotSuccess.get(worker.slot) ?? true) && what === 'answer');
      if (what === 'silent') continue;
      const reply = await worker.encoder.encode(request.requestId, request.have);
      if (what === 'late') {
        late.push([worker, reply]);
        continue;
      }
      this.metrics.onReply(worker.id, overTheWire(reply));
      this.oracle.deliver(worker.id, await worker.sim.snapshot(), worker.sim.exemplars());
      answered.add(worker.id);
    }
    return { late, answered, slotSuccess };
  }

  async run(step: Step): Promise<void> {
    if (step.t === 'spawn' || this.live.length === 0) return this.spawn();
    const worker = 'worker' in step ? this.pick(step.worker) : undefined;
    switch (step.t) {
      case 'op':
        return worker!.sim.apply(step.op);
      case 'scrape':
        return this.scrape(step.behaviours);
      case 'checkpoint':
        return this.checkpoint(step.behaviours);
      case 'kill':
        return this.kill(worker!);
      case 'leave':
        return this.leave(worker!);
    }
  }
}

describe('the manager’s /metrics against the oracle', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Checks the property; resolves to how many exemplars the scrapes compared, in all runs. */
  const holds = async (off: LayersOff, numRuns: number) => {
    let exemplarLines = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 80, size: 'max' }),
        async (steps) => {
          const cluster = new Cluster(off);
          cluster.spawn();
          cluster.spawn();
          for (const s of [...steps, { t: 'scrape', behaviours: ['answer'] } satisfies Step]) {
            await cluster.run(s);
          }
          exemplarLines += cluster.exemplarLines;
        },
      ),
      { numRuns },
    );
    return exemplarLines;
  };

  it('equals prom-client’s aggregate() over full snapshots after every scrape', async () => {
    // Exemplars were compared, not only their absence.
    expect(await holds({}, 300)).toBeGreaterThan(800);
  });

  // The bench's ablation rows switch these off: proof that a switch changes the cost, not the text.
  const layers: (keyof LayersOff)[] = [
    'delta',
    'histograms',
    'revalued',
    'byteCache',
    'revalue',
    'ownFamilies',
    'ownMerge',
  ];
  it.each(layers)('equals it too with the %s layer off', async (layer) => {
    expect(await holds({ [layer]: false }, 40)).toBeGreaterThan(30);
  });

  it('keeps each bucket’s newest delivered exemplar, from killed and departed workers too', async () => {
    const cluster = new Cluster();
    for (let i = 0; i < 3; i += 1) cluster.spawn();
    const [a, b, c] = cluster.live as [Live, Live, Live];
    const trace = (n: number) => String(n).repeat(32);
    const observe = (worker: Live, value: number, traceId: string) =>
      worker.sim.apply({ kind: 'lean.observe', label: 'a', value, traceId });
    observe(a, 0.25, trace(1));
    observe(b, 1, trace(2));
    await cluster.scrape(['answer']);
    observe(a, 0.25, trace(3)); // never delivered: a is killed before the next collection
    observe(b, 1, trace(4)); // delivered in b's final words
    observe(c, 0.5, trace(5)); // the newest in that bucket, but c stays silent
    await cluster.kill(a);
    await cluster.leave(b);
    await cluster.scrape(['silent']);
    const text = await cluster.metrics.ledger.render(
      new Set(),
      [],
      Registry.OPENMETRICS_CONTENT_TYPE,
    );
    const exemplarOf = (le: string) =>
      new RegExp(`_bucket\\{le="${le}",k="a"\\} \\d+ # \\{trace_id="(\\d+)"\\}`).exec(text)?.[1];
    expect([exemplarOf('0.25'), exemplarOf('1'), exemplarOf('\\+Inf')]).toEqual([
      trace(1),
      trace(4),
      undefined,
    ]);
  });

  it('sees a counter advanced in place after the first scrape (the frozen-counter bug)', async () => {
    const cluster = new Cluster();
    cluster.spawn();
    const worker = cluster.live[0]!;
    for (let round = 1; round <= 3; round += 1) {
      worker.sim.apply({ kind: 'counter.inc', label: null, by: 1 });
      worker.sim.apply({ kind: 'process.advance', cpu: 0.5, heap: 1, lag: 0 });
      await cluster.scrape(['answer']);
      const text = await cluster.metrics.ledger.render(
        new Set([worker.id]),
        [],
        Registry.PROMETHEUS_CONTENT_TYPE,
      );
      expect(text).toContain(`jobs_total ${round}\n`);
      expect(text).toContain(`process_cpu_seconds_total ${round / 2}\n`);
    }
  });
});
