// The main thread's handle on the metrics thread: starts it, answers its calls, tells it which
// workers exist, and replaces it when it ends or stops answering. A scrape costs the main thread
// one small call: no HTTP, no body.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { LogLevel } from '../../config.js';
import type { Logger } from '../../logger.js';
import {
  createSocketDir,
  removeOrphanedSocketDirs,
  socketBaseDir,
} from '../collection/socket-dir.js';
import { runCall, type MainCallHandlers, type MainCallMessage } from './main-thread-calls.js';
import type { WorkerRef } from '../supervision/lifecycle.js';
import type {
  FromMetricsThread,
  MetricsThreadConfig,
  MetricsThreadOptions,
  ToMetricsThread,
} from './metrics-thread-protocol.js';

// The thread's entry sits next to this file: .js when compiled, .ts under a TypeScript loader
// that reaches worker threads.
const THREAD_ENTRY = new URL(
  import.meta.url.endsWith('.ts') ? '../metrics-thread.ts' : '../metrics-thread.js',
  import.meta.url,
);

/** A thread that keeps failing is restarted at this pace, not in a tight loop. */
const THREAD_RESTART_DELAY_MS = 1_000;
const PING_INTERVAL_MS = 2_000;

/**
 * A thread that has left this many pings in a row unanswered (30 s) is wedged and replaced.
 * Generous, because replacing the thread restarts the cluster's totals: a thread starved of CPU at
 * its nice value, or rendering a huge registry, still answers within seconds. Counted in pings
 * sent, not in time: a whole process paused (SIGSTOP, a VM pause) pauses both threads.
 */
const WEDGED_AFTER_PINGS = 15;

export interface MetricsHubOptions {
  config: MetricsThreadConfig;
  /** The supervisor's workers now: sent when they change, and to every new thread. */
  workers: () => WorkerRef[];
  /** What tests change: a stand-in for the thread, and shorter waits. */
  threadEntry?: URL;
  restartDelayMs?: number;
  pingIntervalMs?: number;
  wedgedAfterPings?: number;
}

/** The manager endpoint could not be opened: the manager cannot run. */
export class EndpointFailedError extends Error {}

export class MetricsHub {
  /** Where workers connect: in a private directory only this user can enter. */
  readonly socketPath: string;
  private readonly dir: string;
  private thread!: Worker;
  private listening!: Promise<void>;
  private closing = false;
  /** Between the current thread's start and its exit. */
  private alive = false;
  private logLevel: LogLevel;
  private readonly watchdog: NodeJS.Timeout;
  /** Pings sent since the thread last answered one. */
  private unansweredPings = 0;
  threadsStarted = 0;

  constructor(
    private readonly logger: Logger,
    private readonly options: MetricsHubOptions,
    private readonly handlers: MainCallHandlers,
  ) {
    this.logLevel = options.config.logLevel;
    const base = socketBaseDir();
    // A manager before this one may have used the other place.
    const orphans = [...new Set([base, os.tmpdir()])].flatMap((dir) =>
      removeOrphanedSocketDirs(dir),
    );
    if (orphans.length > 0)
      logger.info({ removed: orphans }, 'removed socket directories of dead managers');
    this.dir = createSocketDir(base);
    this.socketPath = path.join(this.dir, 'metrics.sock');
    // Whatever way the manager ends, the socket's directory goes with it.
    process.once('exit', () => fs.rmSync(this.dir, { recursive: true, force: true }));
    this.startThread();
    this.watchdog = setInterval(
      () => this.checkAlive(),
      options.pingIntervalMs ?? PING_INTERVAL_MS,
    ).unref();
  }

  /** Resolves once workers can connect and the endpoint serves; rejects if it cannot listen. */
  ready(): Promise<void> {
    return this.listening;
  }

  workersChanged(): void {
    this.post({ type: 'workers', workers: this.options.workers() });
  }

  setLogLevel(level: LogLevel): void {
    this.logLevel = level;
    this.post({ type: 'set-log-level', level });
  }

  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.watchdog);
    await this.thread.terminate();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private post(message: ToMetricsThread): void {
    if (this.alive) this.thread.postMessage(message);
  }

  private checkAlive(): void {
    if (!this.alive) return; // a replacement is on its way
    if (this.unansweredPings >= (this.options.wedgedAfterPings ?? WEDGED_AFTER_PINGS)) {
      this.logger.error(
        { unansweredPings: this.unansweredPings },
        'metrics thread stopped answering; replacing it',
      );
      this.unansweredPings = 0;
      void this.thread.terminate();
      return;
    }
    this.unansweredPings += 1;
    this.post({ type: 'ping' });
  }

  private async answer(call: MainCallMessage, asker: Worker): Promise<void> {
    const reply = await runCall(this.handlers, call, this.logger);
    // Call ids restart with each thread: an answer for a thread that is gone would settle an
    // unrelated call of its replacement.
    if (asker !== this.thread || !this.alive) return;
    try {
      asker.postMessage(reply satisfies ToMetricsThread);
    } catch (error) {
      // A value that cannot be cloned is a bug here; it must not end the manager (an unhandled
      // rejection on this thread would): the endpoint answers 503 at the call's deadline.
      this.logger.error({ err: error, call: call.name }, 'manager endpoint answer not sent');
    }
  }

  private startThread(): void {
    const { socketPath, logLevel, options } = this;
    const thread = new Worker(options.threadEntry ?? THREAD_ENTRY, {
      workerData: { ...options.config, logLevel, socketPath } satisfies MetricsThreadOptions,
    });
    this.thread = thread;
    this.alive = true;
    this.threadsStarted += 1;
    this.unansweredPings = 0;
    // A new thread learns the workers from the start (a restarted one, the current list).
    this.workersChanged();
    this.listening = new Promise<void>((resolve, reject) => {
      thread.on('message', (message: FromMetricsThread) => {
        switch (message.type) {
          case 'listening':
            return resolve();
          case 'endpoint-failed':
            return reject(new EndpointFailedError(message.message));
          case 'pong':
            if (thread === this.thread) this.unansweredPings = 0;
            return;
          case 'call':
            return void this.answer(message, thread);
        }
      });
      thread.once('error', reject);
    });
    // Only the first thread's failure to start is the caller's (ready()); later ones are logged
    // (the thread then ends, and the next one is tried a second later).
    if (this.threadsStarted > 1) {
      this.listening.catch((error: unknown) =>
        this.logger.error({ err: error }, 'the new metrics thread could not start'),
      );
    }
    thread.on('error', (error) => this.logger.error({ err: error }, 'metrics thread failed'));
    thread.once('exit', (code) => {
      this.alive = false;
      if (this.closing) return;
      // A bug in the thread must not leave the cluster without an endpoint for the rest of its
      // life; the new thread starts from empty totals, which Prometheus sees as a counter reset.
      this.logger.error({ code }, 'metrics thread exited; starting a new one (totals restart)');
      setTimeout(
        () => this.closing || this.startThread(),
        options.restartDelayMs ?? THREAD_RESTART_DELAY_MS,
      ).unref();
    });
  }
}
