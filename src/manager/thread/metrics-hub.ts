// The main thread's handle on the metrics thread, which serves the manager endpoint and does all
// metrics work. The main thread starts it, answers its calls (the supervisor's state and
// commands, its own metrics), tells it which workers exist, and replaces it when it ends or stops
// answering. A scrape costs the main thread one small call: no HTTP, no body.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { LogLevel } from '../../config.js';
import { HttpError } from '../../http-errors.js';
import type { Logger } from '../../logger.js';
import {
  createSocketDir,
  removeOrphanedSocketDirs,
  socketBaseDir,
} from '../collection/socket-dir.js';
import {
  COMMANDS,
  type LateCall,
  type MainAnswer,
  type MainCallHandlers,
  type MainCallMessage,
  type MainCallName,
} from './main-thread-calls.js';
import type { WorkerRef } from '../supervision/lifecycle.js';
import type {
  EndpointOptions,
  FromMetricsThread,
  MetricsThreadOptions,
  ToMetricsThread,
} from './metrics-thread-protocol.js';

// The thread's entry sits next to this file: .js when compiled, .ts under a TypeScript loader
// that reaches worker threads (Node 20's tsx does not: run the compiled dist/, as npm start,
// the tests and the bench do).
const THREAD_ENTRY = new URL(
  import.meta.url.endsWith('.ts') ? '../metrics-thread.ts' : '../metrics-thread.js',
  import.meta.url,
);

/** A thread that keeps failing is restarted at this pace, not in a tight loop. */
const THREAD_RESTART_DELAY_MS = 1_000;

/** How often the main thread checks that the metrics thread still answers. */
const PING_INTERVAL_MS = 2_000;

/**
 * A thread that has left this many pings in a row unanswered (30 s) is wedged (a loop that never
 * ends) and is replaced: without it there is no endpoint at all. Generous, because replacing the
 * thread restarts the cluster's totals: a thread starved of CPU at its nice value, or rendering a
 * huge registry, still answers within seconds. Counted in pings the main thread sent, not in
 * time: a whole process paused (SIGSTOP, a VM pause) pauses both threads and misses none.
 */
const WEDGED_AFTER_PINGS = 15;

/** What tests change: a stand-in for the thread, and shorter waits. */
export interface MetricsHubTuning {
  threadEntry?: URL;
  restartDelayMs?: number;
  pingIntervalMs?: number;
  wedgedAfterPings?: number;
}

export interface MetricsHubOptions {
  logLevel: LogLevel;
  nice: number;
  checkpointIntervalMs: number;
  endpoint: EndpointOptions;
  /** The supervisor's workers now: sent when they change, and to every new thread. */
  workers: () => WorkerRef[];
}

/** The manager endpoint could not be opened: the manager cannot run. */
export class EndpointFailedError extends Error {}

export class MetricsHub {
  /**
   * Where workers connect; in a private directory only this user can enter, which the metrics
   * thread makes again if it is removed while the manager runs.
   */
  readonly socketPath: string;
  private readonly dir: string;
  private thread!: Worker;
  private listening!: Promise<void>;
  private closing = false;
  /** The current thread runs (between its start and its exit). */
  private alive = false;
  private logLevel: LogLevel;
  private readonly watchdog: NodeJS.Timeout;
  private lastPingId = 0;
  /** The last ping is still unanswered. */
  private awaitingPong = false;
  /** Checks in a row that found the last ping unanswered. */
  private unansweredPings = 0;
  /** Threads started, the first included (for tests and logs). */
  threadsStarted = 0;

  constructor(
    private readonly logger: Logger,
    private readonly options: MetricsHubOptions,
    private readonly handlers: MainCallHandlers,
    private readonly tuning: MetricsHubTuning = {},
  ) {
    this.logLevel = options.logLevel;
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
      tuning.pingIntervalMs ?? PING_INTERVAL_MS,
    ).unref();
  }

  /** Resolves once workers can connect and the endpoint serves; rejects if it cannot listen. */
  ready(): Promise<void> {
    return this.listening;
  }

  /** The supervisor's workers changed; the thread collects from the ready and stopping ones. */
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

  /** Pings the thread; replaces it when it has left too many pings in a row unanswered. */
  private checkAlive(): void {
    if (!this.alive) return; // a replacement is on its way
    this.unansweredPings = this.awaitingPong ? this.unansweredPings + 1 : 0;
    if (this.unansweredPings >= (this.tuning.wedgedAfterPings ?? WEDGED_AFTER_PINGS)) {
      this.logger.error(
        { unansweredPings: this.unansweredPings },
        'metrics thread stopped answering; replacing it',
      );
      this.unansweredPings = 0;
      this.awaitingPong = false;
      void this.thread.terminate();
      return;
    }
    this.awaitingPong = true;
    this.post({ type: 'ping', pingId: ++this.lastPingId });
  }

  /** Runs the call and answers the thread that asked (a thread replaced since gets nothing). */
  private async answer<K extends MainCallName>(
    call: MainCallMessage<K>,
    asker: Worker,
  ): Promise<void> {
    // A call that reaches the main thread after its runBy (margin: main-thread-calls.ts) is not
    // run: the endpoint will have answered 503 by the time the answer is back, and a command its
    // client was told failed must not happen anyway (a client obeying Retry-After would reload
    // twice). The thread is told, which also shows it that the main thread turns again.
    if (Date.now() > call.runBy) {
      // A command not run is worth a line; a probe or a read is not (after a long stall there may
      // be many, one per request that waited).
      const level = COMMANDS.has(call.name) ? 'warn' : 'debug';
      this.logger[level](
        { call: call.name, lateMs: Date.now() - call.expiresAt },
        'manager endpoint call reached the main thread too late; not run (answered 503)',
      );
      this.reply({ type: 'late', callId: call.callId }, call, asker);
      return;
    }
    let answer: MainAnswer;
    try {
      const value = await this.handlers[call.name](...call.args);
      answer = { type: 'answer', callId: call.callId, ok: true, value };
    } catch (error) {
      if (!(error instanceof HttpError)) {
        this.logger.error({ err: error, call: call.name }, 'manager endpoint call failed');
      }
      answer = {
        type: 'answer',
        callId: call.callId,
        ok: false,
        error: error instanceof HttpError ? error.toJSON() : String(error),
      };
    }
    this.reply(answer, call, asker);
  }

  private reply(answer: MainAnswer | LateCall, call: MainCallMessage, asker: Worker): void {
    // Call ids restart with each thread: an answer for a thread that is gone would settle an
    // unrelated call of its replacement.
    if (asker !== this.thread || !this.alive) return;
    try {
      asker.postMessage(answer satisfies ToMetricsThread);
    } catch (error) {
      // A value that cannot be cloned is a bug here; it must not end the manager (an unhandled
      // rejection on this thread would): the endpoint answers 503 at the call's deadline.
      this.logger.error({ err: error, call: call.name }, 'manager endpoint answer not sent');
    }
  }

  private startThread(): void {
    const options: MetricsThreadOptions = {
      socketPath: this.socketPath,
      logLevel: this.logLevel,
      nice: this.options.nice,
      checkpointIntervalMs: this.options.checkpointIntervalMs,
      endpoint: this.options.endpoint,
    };
    const thread = new Worker(this.tuning.threadEntry ?? THREAD_ENTRY, { workerData: options });
    this.thread = thread;
    this.alive = true;
    this.threadsStarted += 1;
    this.awaitingPong = false;
    this.unansweredPings = 0;
    // A new thread learns the workers from the start (a restarted one, the current list).
    this.workersChanged();
    const first = this.threadsStarted === 1;
    this.listening = new Promise<void>((resolve, reject) => {
      thread.on('message', (message: FromMetricsThread) => {
        switch (message.type) {
          case 'listening':
            return resolve();
          case 'endpoint-failed':
            return reject(new EndpointFailedError(message.message));
          case 'pong':
            if (thread !== this.thread) return;
            this.awaitingPong = false;
            this.unansweredPings = 0;
            return;
          case 'call':
            void this.answer(message, thread);
            return;
        }
      });
      thread.once('error', reject);
    });
    // Only the first thread's failure to start is the caller's (ready()); later ones are logged
    // (the thread then ends, and the next one is tried a second later).
    if (!first) {
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
        this.tuning.restartDelayMs ?? THREAD_RESTART_DELAY_MS,
      ).unref();
    });
  }
}
