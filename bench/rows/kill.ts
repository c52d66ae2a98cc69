// Row 5: from a worker's SIGKILL to its replacement serving, ours at defaults vs a plain Koa app
// under node:cluster (bench/servers/koa-cluster.mjs), both up at once, 2 workers each, kills in
// alternation (ABBA). Both are plain node running JavaScript (dist/main.js, the reference .mjs).
// Ours runs at its defaults: a worker that has been ready for WORKER_MIN_UPTIME_MS (5 s) is
// replaced at once, so each victim is the oldest worker, killed once it is older than that.
// Each kill: note every worker pid, SIGKILL the victim, then GET / on a fresh connection every
// PROBE_INTERVAL_MS (the same on both sides) until a pid that was not there answers.
//
// Row 5b, where the replacement's start goes: ours runs with bench/fixtures/boot-probe.mjs, which
// prints each worker's boot timeline (node bootstrap, module loading, app build, listen, metrics
// link, ready); the bench adds the fork delay (kill -> the new process's start) and the serving
// moment.
import { performance } from 'node:perf_hooks';
import { getOnce } from '../lib/load.js';
import { sleep } from '../lib/procs.js';
import {
  getJson,
  startCluster,
  startStockCluster,
  stopAll,
  type Cluster,
  type Service,
} from '../lib/service.js';
import { interleavedOrder, median, summarize } from '../lib/stats.js';
import { fmtInt, fmtMs, fmtRatio, judge, type TableRow } from '../lib/table.js';
import type { BenchContext, RowOutcome } from '../lib/types.js';

export const KILL_GOAL = 1.2;
const WORKERS = 2;
export const PROBE_INTERVAL_MS = 10;
/** src/config.ts's default WORKER_MIN_UPTIME_MS, plus a margin. */
export const MIN_UPTIME_MS = 5_000 + 500;
const BOOT_PREFIX = '@@bench-boot ';
/** The worker module the boot probe imports (and times) before main.js asks for it. */
export const BOOT_ENTRY = 'dist/worker.js';

/** One worker's boot, ms since its process started (bench/fixtures/boot-probe.mjs). */
export interface BootLine {
  pid: number;
  timeOrigin: number;
  preloadMs: number;
  importStartMs: number;
  importedMs: number;
  listenCallMs?: number;
  listeningMs?: number;
  linkStartMs?: number;
  linkConnectedMs?: number;
  readyMs: number;
  cjsModules: number;
}

export interface KillSample {
  side: 'ours' | 'reference';
  oldPid: number;
  newPid: number;
  /** SIGKILL -> a response from a new pid. */
  servingMs: number;
  probes: number;
  /** Ours: the replacement's boot timeline, and SIGKILL -> its process start (epoch clocks). */
  boot?: BootLine;
  forkDelayMs?: number;
}

/** A probe handed to the worker being killed never gets an answer: abandoned after this long. */
const PROBE_TIMEOUT_MS = 2_000;

async function pidOf(url: string): Promise<number | undefined> {
  try {
    const response = await getOnce(url, PROBE_TIMEOUT_MS);
    const pid = (JSON.parse(response.body) as { pid?: unknown }).pid;
    return response.status === 200 && typeof pid === 'number' ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Polls GET / on fresh connections until `count` distinct pids answered (bounded). */
export async function livePids(url: string, count: number): Promise<Set<number>> {
  const pids = new Set<number>();
  for (let i = 0; i < 200 && pids.size < count; i += 1) {
    const pid = await pidOf(url);
    if (pid !== undefined) pids.add(pid);
  }
  if (pids.size < count) throw new Error(`${url}: only ${pids.size} of ${count} workers answer`);
  return pids;
}

/**
 * SIGKILL `victim`, then send a probe every PROBE_INTERVAL_MS without waiting for the earlier
 * ones (steady traffic, as a load balancer's would be: a probe handed to the dying worker hangs
 * without holding up the next) until a pid outside `before` answers.
 */
export async function killAndWait(
  apiUrl: string,
  before: Set<number>,
  victim: number,
): Promise<{ newPid: number; servingMs: number; probes: number; killedAt: number }> {
  const killedAt = Date.now();
  const start = performance.now();
  process.kill(victim, 'SIGKILL');
  let found: { newPid: number; servingMs: number } | undefined;
  let probes = 0;
  while (!found && performance.now() - start < 15_000) {
    probes += 1;
    void pidOf(`${apiUrl}/`).then((pid) => {
      if (pid !== undefined && !before.has(pid) && !found) {
        found = { newPid: pid, servingMs: performance.now() - start };
      }
    });
    await sleep(PROBE_INTERVAL_MS);
  }
  if (!found) throw new Error(`no new worker answered within 15 s of killing ${victim}`);
  return { ...found, probes, killedAt };
}

function bootCollector(service: Service): Map<number, BootLine> {
  const lines = new Map<number, BootLine>();
  service.child.onLine((line) => {
    if (!line.startsWith(BOOT_PREFIX)) return;
    try {
      const boot = JSON.parse(line.slice(BOOT_PREFIX.length)) as BootLine;
      lines.set(boot.pid, boot);
    } catch {
      // not ours
    }
  });
  return lines;
}

export interface BootPhases {
  forkDelayMs: number;
  bootstrapMs: number;
  importMs: number;
  buildMs: number;
  listenMs: number;
  /** From the listen call to ready: listening, the metrics link, the ready message. */
  toReadyMs: number;
  linkMs: number;
  readyMs: number;
  servingMs: number;
  cjsModules: number;
}

/** Medians of the replacements' boot phases. */
export function bootPhases(samples: readonly KillSample[]): BootPhases | null {
  const booted = samples.filter((s) => s.boot !== undefined);
  if (booted.length === 0) return null;
  const m = (f: (b: BootLine, s: KillSample) => number | undefined) =>
    median(booted.map((s) => f(s.boot as BootLine, s) ?? NaN));
  return {
    forkDelayMs: m((_, s) => s.forkDelayMs),
    bootstrapMs: m((b) => b.importStartMs),
    importMs: m((b) => b.importedMs - b.importStartMs),
    buildMs: m((b) => (b.listenCallMs ?? NaN) - b.importedMs),
    listenMs: m((b) => (b.listeningMs ?? NaN) - (b.listenCallMs ?? NaN)),
    toReadyMs: m((b) => b.readyMs - (b.listenCallMs ?? NaN)),
    linkMs: m((b) => (b.linkConnectedMs ?? NaN) - (b.linkStartMs ?? NaN)),
    readyMs: m((b) => b.readyMs),
    servingMs: m((_, s) => s.servingMs),
    cjsModules: m((b) => b.cjsModules),
  };
}

export async function killRow(ctx: BenchContext): Promise<RowOutcome> {
  let ours: Cluster | undefined;
  let reference: Service | undefined;
  try {
    ours = await startCluster({
      label: 'ours (kill)',
      workers: WORKERS,
      args: ['--import', './bench/fixtures/boot-probe.mjs', 'dist/main.js'],
      atDefaults: true,
      env: { BENCH_BOOT_ENTRY: BOOT_ENTRY },
    });
    reference = await startStockCluster({
      label: 'plain Koa cluster (kill)',
      workers: WORKERS,
      args: ['bench/servers/koa-cluster.mjs'],
    });
    const boots = bootCollector(ours);
    const c = ours;
    const samples: KillSample[] = [];
    const oursKill = async () => {
      const status = await c.waitForReady(WORKERS, 30_000);
      const oldest = [...status.workers].sort(
        (a, b) => Date.parse(a.readyAt ?? '') - Date.parse(b.readyAt ?? ''),
      )[0];
      if (!oldest?.readyAt) throw new Error('no ready worker to kill');
      const age = Date.now() - Date.parse(oldest.readyAt);
      if (age < MIN_UPTIME_MS) await sleep(MIN_UPTIME_MS - age);
      const before = new Set(status.workers.map((w) => w.pid));
      const result = await killAndWait(c.apiUrl, before, oldest.pid);
      // The boot line is printed at 'ready', which may come just after the first response.
      const boot = await waitForBoot(boots, result.newPid);
      const sample: KillSample = {
        side: 'ours',
        oldPid: oldest.pid,
        newPid: result.newPid,
        servingMs: result.servingMs,
        probes: result.probes,
      };
      if (boot) {
        sample.boot = boot;
        sample.forkDelayMs = boot.timeOrigin - result.killedAt;
      }
      return sample;
    };
    const ref = reference;
    const referenceKill = async () => {
      const before = await livePids(`${ref.apiUrl}/`, WORKERS);
      const victim = [...before][0] as number;
      const result = await killAndWait(ref.apiUrl, before, victim);
      await waitForListening(ref.managerUrl, WORKERS);
      const sample: KillSample = {
        side: 'reference',
        oldPid: victim,
        newPid: result.newPid,
        servingMs: result.servingMs,
        probes: result.probes,
      };
      return sample;
    };
    for (let k = 0; k < ctx.options.kills; k += 1) {
      for (const side of interleavedOrder(k, 'ours' as const, 'reference' as const)) {
        const sample = side === 'ours' ? await oursKill() : await referenceKill();
        samples.push(sample);
        const boot = sample.boot
          ? ` (forked after ${fmtMs(sample.forkDelayMs ?? NaN)}, ready at ${fmtMs((sample.forkDelayMs ?? NaN) + sample.boot.readyMs)})`
          : '';
        ctx.log(`kill ${k + 1} ${side}: serving again after ${fmtMs(sample.servingMs)}${boot}`);
        await sleep(300);
      }
    }
    const of = (side: KillSample['side']) =>
      summarize(samples.filter((s) => s.side === side).map((s) => s.servingMs));
    const oursServing = of('ours');
    const refServing = of('reference');
    const ratio = oursServing.median / refServing.median;
    const phases = bootPhases(samples);
    const rows: TableRow[] = [
      {
        id: '5 SIGKILL',
        what:
          `worker SIGKILL -> replacement serving, at defaults (${ctx.options.kills} kills per side, ` +
          `${WORKERS} workers) vs a plain Koa app under node:cluster`,
        measured:
          `ours median ${fmtMs(oursServing.median)} (${fmtMs(oursServing.min)}..${fmtMs(oursServing.max)}); ` +
          `plain Koa ${fmtMs(refServing.median)} (${fmtMs(refServing.min)}..${fmtMs(refServing.max)})`,
        ratio: fmtRatio(ratio, 2),
        goal: `ours/plain <= ${KILL_GOAL}x`,
        status: judge(ratio, { atMost: KILL_GOAL }),
      },
    ];
    if (phases) {
      rows.push({
        id: '5b boot',
        what: "where our replacement's start goes (medians, ms since the SIGKILL)",
        measured:
          `fork ${fmtMs(phases.forkDelayMs)} + node bootstrap ${fmtMs(phases.bootstrapMs)} + ` +
          `module loading ${fmtMs(phases.importMs)} (${fmtInt(phases.cjsModules)} CommonJS modules) + ` +
          `app build ${fmtMs(phases.buildMs)} + listen ${fmtMs(phases.listenMs)} ` +
          `(listen -> ready ${fmtMs(phases.toReadyMs)}, metrics link ${fmtMs(phases.linkMs)}); ` +
          `serving at ${fmtMs(phases.servingMs)}`,
        ratio: 'n/a',
        goal: 'none (reported)',
        status: 'info',
      });
    }
    return {
      rows,
      notes: [
        `Row 5: both clusters up at once, kills alternating (ABBA); ours at its defaults ` +
          `(each victim the oldest worker, ready for more than WORKER_MIN_UPTIME_MS, so it is ` +
          `replaced at once); "serving" = the first response from a new pid to GET / on a fresh ` +
          `connection, a probe sent every ${PROBE_INTERVAL_MS} ms on both sides without waiting for the ` +
          'previous one (a probe handed to the dying worker hangs; the others go on). Ours runs with ' +
          'bench/fixtures/boot-probe.mjs (row 5b), which imports the worker module itself first to ' +
          'time it; the reference runs bare.',
        'Row 5b: fork = SIGKILL to the new process start (the manager notices the exit and forks); ' +
          "node bootstrap = process start to the first preload; module loading = importing the worker's " +
          `code (${BOOT_ENTRY}); app build = config, registry, app and server objects, up to the ` +
          'listen call; then the listen handshake with the primary, the metrics link, and the ready ' +
          'message.',
      ],
      data: { samples, ours: oursServing, reference: refServing, ratio, phases },
    };
  } finally {
    await stopAll([ours, reference]);
  }
}

async function waitForBoot(
  boots: Map<number, BootLine>,
  pid: number,
): Promise<BootLine | undefined> {
  for (let i = 0; i < 200 && !boots.has(pid); i += 1) await sleep(10);
  return boots.get(pid);
}

async function waitForListening(managerUrl: string, count: number): Promise<void> {
  for (let i = 0; i < 500; i += 1) {
    if ((await getJson<{ ready: number }>(`${managerUrl}/status`)).ready === count) return;
    await sleep(10);
  }
  throw new Error(`the reference cluster did not get back to ${count} listening workers`);
}
