// The supervisor without processes or waiting: a manual clock whose timers fire when the test
// moves time, and stand-in workers the test makes ready, beat, crash or exit at will.
import { loadConfig, type Config } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import type { Clock, Timer } from '../../src/manager/supervision/clock.js';
import type { WorkerExit, WorkerHandle } from '../../src/manager/supervision/fork-worker.js';
import type { RestartReason } from '../../src/manager/supervision/lifecycle.js';
import { Supervisor } from '../../src/manager/supervision/supervisor.js';
import {
  WORKER_SLOT_ENV,
  type HeartbeatMessage,
  type ManagerMessage,
  type StallReport,
} from '../../src/protocol.js';

interface Scheduled {
  at: number;
  run: () => void;
  every: number | null;
  cancelled: boolean;
}

export class ManualClock implements Clock {
  private time = 0;
  private readonly timers: Scheduled[] = [];

  now(): number {
    return this.time;
  }

  wallNow(): number {
    return 1_800_000_000_000 + this.time;
  }

  after(ms: number, run: () => void): Timer {
    return this.schedule(ms, run, null);
  }

  every(ms: number, run: () => void): Timer {
    return this.schedule(ms, run, ms);
  }

  /** Moves time forward, firing every timer that falls due, in order. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const next = this.timers
        .filter((t) => !t.cancelled && t.at <= end)
        .sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.time = next.at;
      if (next.every === null) next.cancelled = true;
      else next.at += next.every;
      next.run();
    }
    this.time = end;
  }

  /**
   * Moves time forward without firing anything on the way (the process was stopped), then
   * fires what is due once, as an event loop waking up does.
   */
  jump(ms: number): void {
    this.time += ms;
    for (const timer of this.timers) {
      if (timer.cancelled || timer.at > this.time) continue;
      if (timer.every === null) timer.cancelled = true;
      else timer.at = this.time + timer.every;
      timer.run();
    }
  }

  private schedule(ms: number, run: () => void, every: number | null): Timer {
    const timer: Scheduled = { at: this.time + Math.max(0, ms), run, every, cancelled: false };
    this.timers.push(timer);
    return { cancel: () => void (timer.cancelled = true) };
  }
}

/** What a stand-in does when the manager asks it to drain or signals it. */
export interface FakeBehaviour {
  /** Exit as soon as a drain (or SIGTERM) arrives; otherwise the test calls exit(). */
  exitOnDrain: boolean;
}

export class FakeWorker implements WorkerHandle {
  readonly sent: ManagerMessage[] = [];
  readonly signals: NodeJS.Signals[] = [];
  readonly exited: Promise<WorkerExit>;
  private messageListeners: ((message: unknown) => void)[] = [];
  private resolveExit: (exit: WorkerExit) => void = () => undefined;
  private gone = false;

  constructor(
    readonly id: number,
    readonly pid: number,
    readonly slot: number,
    private readonly behaviour: FakeBehaviour,
  ) {
    this.exited = new Promise((resolve) => (this.resolveExit = resolve));
  }

  get alive(): boolean {
    return !this.gone;
  }

  get draining(): boolean {
    return this.sent.some((m) => m.type === 'drain') || this.signals.includes('SIGTERM');
  }

  send(message: ManagerMessage): boolean {
    if (this.gone) return false;
    this.sent.push(message);
    if (message.type === 'drain' && this.behaviour.exitOnDrain) this.exit(0);
    return true;
  }

  kill(signal: NodeJS.Signals): void {
    if (this.gone) return;
    this.signals.push(signal);
    if (signal === 'SIGKILL') this.exit(null, 'SIGKILL');
    else if (signal === 'SIGTERM' && this.behaviour.exitOnDrain) this.exit(0);
  }

  onMessage(listener: (message: unknown) => void): void {
    this.messageListeners.push(listener);
  }

  onError(): void {}

  onStallReport(_listener: (report: StallReport) => void): void {}

  // ---- what the test makes the worker do -------------------------------------------------

  ready(): void {
    this.emit({ type: 'ready' });
  }

  beat(overrides: Partial<HeartbeatMessage> = {}): void {
    this.emit({
      type: 'heartbeat',
      eventLoopDelayP99Seconds: 0.001,
      eventLoopDelayMaxSeconds: 0.002,
      residentMemoryBytes: 50e6,
      heapUsedBytes: 10e6,
      cpuSecondsTotal: 1,
      requestsServed: 0,
      requestsInFlight: 0,
      ...overrides,
    });
  }

  /** The fork started no process (EMFILE): its handle ends without an exit code. */
  failToSpawn(code = 'EMFILE'): void {
    this.gone = true;
    this.resolveExit({ code: null, signal: null, spawnError: code });
  }

  exit(code: number | null, signal: string | null = null): void {
    if (this.gone) return;
    this.gone = true;
    this.resolveExit({ code, signal });
  }

  private emit(message: unknown): void {
    if (this.gone) return;
    for (const listener of this.messageListeners) listener(message);
  }
}

export interface Harness {
  supervisor: Supervisor;
  clock: ManualClock;
  config: Config;
  /** Every worker ever forked, in fork order. */
  forked: FakeWorker[];
  restarts: { slot: number; reason: RestartReason }[];
  /** Forked workers that have not exited. */
  live(): FakeWorker[];
  inSlot(slot: number): FakeWorker[];
  /** Lets promise callbacks (reaping, replacements) run. */
  settle(): Promise<void>;
  /** Time passes for a healthy cluster: every live worker beats every 250 ms meanwhile. */
  healthyFor(ms: number): Promise<void>;
}

export function startSupervisor(
  env: Record<string, string> = {},
  behaviour: FakeBehaviour = { exitOnDrain: true },
): Harness {
  const config = loadConfig({
    WORKERS: '2',
    WORKER_TIMEOUT_MS: '3000',
    HEARTBEAT_INTERVAL_MS: '500',
    SHUTDOWN_TIMEOUT_MS: '1000',
    RESTART_BACKOFF_BASE_MS: '100',
    RESTART_BACKOFF_MAX_MS: '1000',
    WORKER_MIN_UPTIME_MS: '5000',
    CRASH_LOOP_LIMIT: '3',
    ...env,
  });
  const clock = new ManualClock();
  const forked: FakeWorker[] = [];
  const restarts: Harness['restarts'] = [];
  let nextId = 1;
  const fork = (forkEnv: Record<string, string>) => {
    const id = nextId++;
    const worker = new FakeWorker(id, 10_000 + id, Number(forkEnv[WORKER_SLOT_ENV]), behaviour);
    forked.push(worker);
    return worker;
  };
  const supervisor = new Supervisor(config, createLogger('silent', {}), 'test', fork, clock);
  supervisor.on('restart', (slot, reason) => restarts.push({ slot, reason }));
  const settle = async () => {
    for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setImmediate(resolve));
  };
  const live = () => forked.filter((w) => w.alive);
  const healthyFor = async (ms: number) => {
    for (let left = ms; left > 0; left -= 250) {
      for (const worker of live()) worker.beat();
      clock.advance(Math.min(250, left));
      await settle();
    }
  };
  supervisor.start();
  return {
    supervisor,
    clock,
    config,
    forked,
    restarts,
    live,
    inSlot: (slot) => forked.filter((w) => w.alive && w.slot === slot),
    settle,
    healthyFor,
  };
}
