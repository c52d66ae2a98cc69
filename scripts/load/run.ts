// runLoad: runs a scenario's phases one after another with autocannon, collects every response's
// latency and status into one histogram, triggers the reload when the scenario has one, and
// evaluates the thresholds. Always bounded: each phase has a watchdog, manager calls time out.
import autocannon from 'autocannon';
import { pathWithQuery, requestBody } from '../../k6/lib/endpoints.js';
import type { StatusSnapshot } from '../../k6/lib/status.js';
import {
  fetchStatus,
  maxWorkerRss,
  triggerReload,
  tryFetchStatus,
  waitForReload,
} from './admin.js';
import { LatencyHistogram, type LatencySummary } from './histogram.js';
import { lostRequestTracker } from './lost-requests.js';
import { resolveOptions, type LoadOptions, type ResolvedLoadOptions } from './options.js';
import type { PhasePlan } from './phases.js';
import type { ScenarioName } from './scenarios.js';
import { errorRate, evaluateThresholds, type ThresholdOutcome } from './thresholds.js';

export interface PhaseResult {
  label: string;
  /** Seconds the phase actually ran. */
  durationSec: number;
  connections: number;
  /** Target rate, 0 when unthrottled. */
  rate: number;
  /** Responses plus connection errors. */
  requests: number;
  non2xx: number;
  /** Connection errors, timeouts and lost requests. */
  errors: number;
  timeouts: number;
  /** Requests in flight on a connection the server closed without answering (part of errors). */
  lostRequests: number;
  /**
   * Requests autocannon wrote on a connection after the server's `Connection: close` answer (a
   * real client would have used a new connection): neither answered nor failed, not counted.
   */
  discarded: number;
  rps: number;
  latencyMs: LatencySummary;
}

export interface ReloadResult {
  /** Seconds into the run when POST /reload was sent (null: never sent). */
  triggeredAtSec: number | null;
  /** HTTP status of POST /reload (0 when the call failed). */
  status: number;
  accepted: boolean;
  /** Every worker from before was replaced by a ready one while traffic was still running. */
  completed: boolean;
  /** Seconds from POST /reload to the last replacement being ready. */
  completedAfterSec: number | null;
  pidsBefore: number[];
  message: string;
}

export interface MemoryResult {
  /** Largest worker resident memory at the start and at the end (bytes; null if unknown). */
  startMaxRssBytes: number | null;
  endMaxRssBytes: number | null;
  /** Worker restarts (all slots) during the run. */
  restarts: number;
}

export interface LoadResult {
  scenario: ScenarioName;
  url: string;
  startedAt: string;
  durationSec: number;
  connections: number;
  rate: number;
  /** Responses plus connection errors. */
  requests: number;
  responses: number;
  non2xx: number;
  /** Connection errors, including timeouts and lost requests. */
  errors: number;
  timeouts: number;
  /** Requests in flight on a connection the server closed without answering (part of errors). */
  lostRequests: number;
  /** Requests written after a `Connection: close` answer; not counted (see PhaseResult). */
  discarded: number;
  /** Responses by status code. */
  statusCodes: Record<string, number>;
  /** (non2xx + errors) / requests. */
  errorRate: number;
  rps: number;
  latencyMs: LatencySummary;
  phases: PhaseResult[];
  reload?: ReloadResult;
  memory?: MemoryResult;
  /** Up to five distinct connection-error messages, to say what went wrong. */
  errorSamples: string[];
  thresholds: ThresholdOutcome[];
  /** All thresholds met (and the run was not aborted). */
  ok: boolean;
  aborted: boolean;
}

interface Collector {
  histogram: LatencyHistogram;
  statusCodes: Record<string, number>;
  errorSamples: Set<string>;
  onUnsupported: () => void;
}

const LOST = 'request lost: the server closed the connection without answering';

function toRequests(r: ResolvedLoadOptions): autocannon.Request[] {
  return r.scenario.mix.map(({ endpoint, query }) => {
    const body = requestBody(endpoint);
    return {
      method: endpoint.method,
      path: pathWithQuery(endpoint, query),
      ...(body === null ? {} : { body, headers: { 'content-type': 'application/json' } }),
    };
  });
}

function runPhase(
  plan: PhasePlan,
  r: ResolvedLoadOptions,
  collector: Collector,
): Promise<PhaseResult> {
  const histogram = new LatencyHistogram();
  let non2xx = 0;
  let responses = 0;
  let lost = 0;
  let discarded = 0;
  const setupClient = lostRequestTracker({
    onLost: (count) => {
      lost += count;
      if (collector.errorSamples.size < 5) collector.errorSamples.add(LOST);
    },
    onDiscarded: (count) => {
      discarded += count;
    },
    onUnsupported: collector.onUnsupported,
  });
  return new Promise((resolve, reject) => {
    const onAbort = () => instance.stop();
    const instance = autocannon(
      {
        url: r.url,
        connections: plan.connections,
        duration: plan.durationSec,
        ...(plan.rate > 0 ? { overallRate: plan.rate } : {}),
        requests: toRequests(r),
        timeout: r.timeoutSec,
        sampleInt: 100,
        setupClient,
      },
      (error: unknown, result: autocannon.Result) => {
        clearTimeout(watchdog);
        r.signal?.removeEventListener('abort', onAbort);
        if (error !== null && error !== undefined) {
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        const errors = result.errors + lost;
        const requests = responses + errors;
        collector.histogram.merge(histogram);
        resolve({
          label: plan.label,
          durationSec: result.duration,
          connections: plan.connections,
          rate: plan.rate,
          requests,
          non2xx,
          errors,
          timeouts: result.timeouts,
          lostRequests: lost,
          discarded,
          rps: result.duration > 0 ? requests / result.duration : 0,
          latencyMs: histogram.summary(),
        });
      },
    );
    instance.on('response', (_client, statusCode: number, _bytes, responseTime: number) => {
      responses += 1;
      if (statusCode < 200 || statusCode > 299) non2xx += 1;
      histogram.record(responseTime);
      const key = String(statusCode);
      collector.statusCodes[key] = (collector.statusCodes[key] ?? 0) + 1;
    });
    instance.on('reqError', (error: unknown) => {
      if (collector.errorSamples.size >= 5) return;
      const e = error as { code?: string; message?: string };
      collector.errorSamples.add(e.code ?? e.message ?? String(error));
    });
    // Bounded whatever happens: the phase, one request timeout, and some slack.
    const watchdog = setTimeout(
      () => instance.stop(),
      (plan.durationSec + r.timeoutSec + 5) * 1000,
    );
    if (r.signal?.aborted === true) instance.stop();
    else r.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function restartsOf(status: StatusSnapshot | undefined): number | undefined {
  return status?.workers.reduce((sum, w) => sum + w.restarts, 0);
}

async function reloadDuringTraffic(
  r: ResolvedLoadOptions,
  before: StatusSnapshot,
  runStart: number,
  trafficDone: AbortSignal,
): Promise<ReloadResult> {
  const triggeredAt = Date.now();
  const base = {
    triggeredAtSec: (triggeredAt - runStart) / 1000,
    pidsBefore: before.workers.map((w) => w.pid),
  };
  let trigger;
  try {
    trigger = await triggerReload(r.managerUrl, r.adminToken ?? '');
  } catch (error) {
    const message = `POST /reload failed: ${error instanceof Error ? error.message : String(error)}`;
    return {
      ...base,
      status: 0,
      accepted: false,
      completed: false,
      completedAfterSec: null,
      message,
    };
  }
  r.onProgress(`reload: POST /reload answered ${trigger.status}`);
  if (trigger.status !== 202) {
    const message = `POST /reload answered ${trigger.status}: ${trigger.body}`;
    return {
      ...base,
      status: trigger.status,
      accepted: false,
      completed: false,
      completedAfterSec: null,
      message,
    };
  }
  // Bounded by the end of traffic (trafficDone) and, in any case, by the planned run plus slack.
  const deadline = runStart + (r.durationSec + r.timeoutSec + 10) * 1000;
  const doneAt = await waitForReload(r.managerUrl, before, deadline, trafficDone);
  const completedAfterSec = doneAt === undefined ? null : (doneAt - triggeredAt) / 1000;
  const message =
    completedAfterSec === null
      ? 'traffic ended before every worker was replaced'
      : `all ${before.workers.length} workers replaced after ${completedAfterSec.toFixed(1)} s`;
  r.onProgress(`reload: ${message}`);
  return {
    ...base,
    status: trigger.status,
    accepted: true,
    completed: completedAfterSec !== null,
    completedAfterSec,
    message,
  };
}

/** Runs a load scenario against a loopback target and evaluates its thresholds. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const r = resolveOptions(options);
  const plan = r.scenario.plan({
    durationSec: r.durationSec,
    connections: r.connections,
    rate: r.rate,
  });
  let warned = false;
  const collector: Collector = {
    histogram: new LatencyHistogram(),
    statusCodes: {},
    errorSamples: new Set(),
    onUnsupported: () => {
      if (!warned) r.onProgress('warning: this autocannon version hides lost requests');
      warned = true;
    },
  };

  // Before any traffic: what the reload and memory watch compare against.
  const before =
    r.scenario.reloadAt !== undefined
      ? await fetchStatus(r.managerUrl).catch((error: unknown) => {
          throw new Error(
            `reload scenario: cannot read the manager's /status at ${r.managerUrl} ` +
              `(${error instanceof Error ? error.message : String(error)})`,
          );
        })
      : r.scenario.watchMemory === true
        ? await tryFetchStatus(r.managerUrl)
        : undefined;

  const startedAt = new Date();
  const runStart = Date.now();
  const trafficDone = new AbortController();
  let reloadPromise: Promise<ReloadResult> | undefined;
  let reloadTimer: NodeJS.Timeout | undefined;
  if (r.scenario.reloadAt !== undefined && before !== undefined) {
    const at = r.scenario.reloadAt * r.durationSec * 1000;
    reloadTimer = setTimeout(() => {
      reloadPromise = reloadDuringTraffic(r, before, runStart, trafficDone.signal);
    }, at);
  }

  const phases: PhaseResult[] = [];
  try {
    for (const p of plan) {
      if (r.signal?.aborted === true) break;
      r.onProgress(
        `phase ${p.label}: ${p.durationSec} s, ${p.connections} connections, ` +
          `${p.rate > 0 ? `${p.rate} rps` : 'unthrottled'}`,
      );
      phases.push(await runPhase(p, r, collector));
    }
  } finally {
    clearTimeout(reloadTimer);
    trafficDone.abort();
  }

  let reload: ReloadResult | undefined;
  if (r.scenario.reloadAt !== undefined && before !== undefined) {
    reload = (await reloadPromise) ?? {
      triggeredAtSec: null,
      status: 0,
      accepted: false,
      completed: false,
      completedAfterSec: null,
      pidsBefore: before.workers.map((w) => w.pid),
      message: 'the run ended before the reload was due',
    };
  }

  let memory: MemoryResult | undefined;
  if (r.scenario.watchMemory === true) {
    const after = await tryFetchStatus(r.managerUrl);
    if (before !== undefined && after !== undefined) {
      memory = {
        startMaxRssBytes: maxWorkerRss(before),
        endMaxRssBytes: maxWorkerRss(after),
        restarts: (restartsOf(after) ?? 0) - (restartsOf(before) ?? 0),
      };
    } else {
      r.onProgress(`memory: manager /status at ${r.managerUrl} not readable; memory not watched`);
    }
  }

  const sum = (pick: (p: PhaseResult) => number) => phases.reduce((n, p) => n + pick(p), 0);
  const requests = sum((p) => p.requests);
  const errors = sum((p) => p.errors);
  const non2xx = sum((p) => p.non2xx);
  const durationSec = sum((p) => p.durationSec);
  const latencyMs = collector.histogram.summary();
  const failures = non2xx + errors;
  const thresholds = evaluateThresholds(
    {
      requests,
      responses: requests - errors,
      failures,
      p99Ms: latencyMs.p99,
      ...(reload === undefined
        ? {}
        : { reload: { accepted: reload.accepted, completed: reload.completed } }),
    },
    { maxErrorRate: r.maxErrorRate, maxP99Ms: r.maxP99Ms },
  );
  const aborted = r.signal?.aborted === true;
  return {
    scenario: r.scenario.name,
    url: r.url,
    startedAt: startedAt.toISOString(),
    durationSec,
    connections: r.connections,
    rate: r.rate,
    requests,
    responses: requests - errors,
    non2xx,
    errors,
    timeouts: sum((p) => p.timeouts),
    lostRequests: sum((p) => p.lostRequests),
    discarded: sum((p) => p.discarded),
    statusCodes: collector.statusCodes,
    errorRate: errorRate({ requests, failures }),
    rps: durationSec > 0 ? requests / durationSec : 0,
    latencyMs,
    phases,
    ...(reload === undefined ? {} : { reload }),
    ...(memory === undefined ? {} : { memory }),
    errorSamples: [...collector.errorSamples],
    thresholds,
    ok: !aborted && thresholds.every((t) => t.ok),
    aborted,
  };
}
