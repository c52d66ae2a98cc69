// One chaos run: starts the real compiled cluster, warms it up, measures its quiet descriptor
// counts, then lets fast-check drive phases of random commands (one fast-check run per phase)
// while the checker watches; each phase ends with the quiescent invariants. The run stops after
// `phases` phases or once `seconds` have passed (checked between phases).
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { ADMIN_TOKEN, startCluster } from '../../test/helpers/cluster.js';
import { findTool } from '../../test/helpers/tools.js';
import type { ListenMode } from '../../src/listen-mode.js';
import { startChecker } from './checker.js';
import * as clients from './clients.js';
import { chaosCommands } from './commands.js';
import { Ledger, type Violation } from './ledger.js';
import { measureBaseline, restorePool, type Scene } from './quiescent.js';
import { sleep } from './sockets.js';
import { World, type ChaosModel } from './world.js';

export interface ChaosOptions {
  seed: number;
  seconds: number;
  /** Stop after this many phases (fast-check runs) even if time remains. */
  phases?: number;
  /** fast-check's path of a failed run: replays that phase alone. */
  path?: string;
  workers: number;
  workerTimeoutMs: number;
  /** Run the cluster under `ulimit -n`. */
  maxOpenFiles?: number;
  maxCommands: number;
  /** The cluster's LOG_LEVEL (its output is saved with a failed run's report). */
  logLevel: string;
  /** The cluster's LISTEN_MODE. */
  listenMode: ListenMode;
}

export interface ChaosReport {
  options: ChaosOptions;
  phases: number;
  violations: Violation[];
  steps: string[];
  /** fast-check's view of the failed phase: seed, path, the commands it ran. */
  failure?: { seed: number; path: string | null; commands: string };
  restarts: Record<string, number>;
  /** Violations seen again after they were recorded, and how often. */
  repeated: Array<[string, number]>;
  promtool: boolean;
  /** Where the cluster's output was saved (a failed run). */
  logFile?: string;
}

/** The commands of one phase: what fast-check generates, run after run, from the seed. */
export function phaseArbitrary(options: ChaosOptions) {
  return fc.commands(chaosCommands(options.workerTimeoutMs), {
    maxCommands: options.maxCommands,
    size: 'max',
  });
}

/** The step lists of the first `count` phases of a seed, without running anything. */
export function listPhases(options: ChaosOptions, count: number): string[][] {
  return fc
    .sample(phaseArbitrary(options), { seed: options.seed, numRuns: count })
    .map((commands) => [...commands].map(String));
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const cluster = await startCluster({
    env: {
      WORKERS: String(options.workers),
      WORKER_TIMEOUT_MS: String(options.workerTimeoutMs),
      LOG_LEVEL: options.logLevel,
      LISTEN_MODE: options.listenMode,
    },
    maxOpenFiles: options.maxOpenFiles,
    timeoutMs: 60_000,
  });
  const managerPid = cluster.proc.pid!;
  const ledger = new Ledger();
  let stopping = false;
  void cluster.exited.then((code) => {
    if (stopping) return;
    ledger.violate(
      'manager-alive',
      `the manager exited (${code}) during the run; its last output:\n${cluster.logs().slice(-1500)}`,
    );
    ledger.end('the manager exited');
  });
  const scene: Scene = {
    apiUrl: cluster.apiUrl,
    managerUrl: cluster.managerUrl,
    managerPid,
    adminToken: ADMIN_TOKEN,
    workers: options.workers,
    ledger,
    portNames: { [cluster.apiPort]: 'api port', [cluster.metricsPort]: 'manager port' },
    hushed: (work) => work(),
  };
  const target: clients.Target = {
    apiPort: cluster.apiPort,
    managerPort: cluster.metricsPort,
    ledger,
    clientDeadlineMs: 3 * options.workerTimeoutMs + 8_000,
  };
  const promtool = findTool('promtool');

  // Warm-up: every route, a scrape of each format, so what a worker opens lazily is open.
  await clients.normalLoad(target, ['hello', 'delay', 'work', 'hash', 'root', 'hello'], true, 3);
  await clients.scrape(target, 5, false);
  await clients.scrape(target, 5, true);
  await restorePool(scene);
  await sleep(1_000);
  const baseline = await measureBaseline(scene);
  ledger.step(
    `cluster up: manager ${managerPid}, ${options.workers} workers; quiet descriptors: worker ≤ ${baseline.workerFds}, manager ${baseline.managerFds}`,
  );

  const checker = startChecker({
    managerUrl: cluster.managerUrl,
    ledger,
    promtool,
    readinessGraceMs: 2 * options.workerTimeoutMs + 5_000,
    logs: cluster.logs,
  });
  scene.hushed = (work) => checker.hushed(work);
  const world = new World(
    ledger,
    target,
    { managerPid, managerUrl: cluster.managerUrl, ledger, stopped: new Set() },
    scene,
    baseline,
  );

  let phases = 0;
  const property = fc.asyncProperty(phaseArbitrary(options), async (commands) => {
    phases += 1;
    const before = ledger.violations.length;
    ledger.step(`phase ${phases} begins`);
    const model: ChaosModel = { workers: options.workers, maxWorkers: options.workers + 2 };
    if (ledger.over) throw new Error(`run over: ${ledger.over}`);
    await fc.asyncModelRun(() => ({ model, real: world }), commands);
    await world.endPhase();
    const found = ledger.violations.slice(before);
    if (found.length > 0)
      throw new Error(found.map((v) => `${v.invariant}: ${v.message}`).join('\n'));
  });
  const result = await fc.check(property, {
    seed: options.seed,
    path: options.path,
    numRuns: options.path ? 1 : (options.phases ?? 1_000_000),
    endOnFailure: true,
    interruptAfterTimeLimit: options.seconds * 1000,
    markInterruptAsFailure: false,
  });

  await checker.stop();
  stopping = true;
  const code = await cluster.stop(20_000);
  if (code !== 0 && ledger.violations.length === 0)
    ledger.violate('clean-shutdown', `SIGTERM: the manager exited ${code}, not 0`);
  let logFile: string | undefined;
  if (ledger.violations.length > 0) {
    logFile = path.resolve(`reports/chaos-seed-${options.seed}.log`);
    fs.mkdirSync(path.dirname(logFile), { recursive: true });
    fs.writeFileSync(logFile, cluster.logs());
  }
  return {
    logFile,
    options,
    phases,
    violations: ledger.violations,
    steps: ledger.steps,
    failure: result.failed
      ? {
          seed: result.seed,
          path: result.counterexamplePath,
          commands: String(result.counterexample?.[0] ?? ''),
        }
      : undefined,
    restarts: checker.restarts(),
    repeated: ledger.repeated(),
    promtool: promtool !== undefined,
  };
}
