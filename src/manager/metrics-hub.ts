// The main thread's handle on the metrics thread: starts it, forwards scrapes and worker exits,
// and hands back finished bodies. The main thread never parses, merges or renders worker
// metrics; a scrape costs it one small message each way.
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { LogLevel } from '../config.js';
import type { Logger } from '../logger.js';
import type { MetricsSnapshot } from '../protocol.js';
import { createSocketDir, removeOrphanedSocketDirs } from './socket-dir.js';
import type {
  FromMetricsThread,
  MetricsThreadOptions,
  ScrapeRequest,
  ToMetricsThread,
} from './metrics-thread-protocol.js';

// The thread's entry sits next to this file: .js when compiled, .ts under a TypeScript loader
// that reaches worker threads (Node 20's tsx does not: run the compiled dist/, as npm start,
// the tests and the bench do).
const THREAD_ENTRY = new URL(
  import.meta.url.endsWith('.ts') ? './metrics-thread.ts' : './metrics-thread.js',
  import.meta.url,
);

/** How long past its collection deadline a scrape may take to merge and render. */
const RENDER_GRACE_MS = 10_000;

/** A thread that keeps failing is restarted at this pace, not in a tight loop. */
const THREAD_RESTART_DELAY_MS = 1_000;

/**
 * Scrapes in a row the thread let run past their deadline and grace before it counts as wedged
 * (a loop that never ends, say) and is replaced. A thread merely starved of CPU renders within
 * seconds; one that misses ten seconds of grace three times over serves nobody.
 */
const WEDGED_AFTER_TIMEOUTS = 3;

/**
 * The metrics thread cannot answer this scrape (restarting, ended, or too late): a passing
 * condition, unlike a scrape the thread failed (a bug, a plain Error).
 */
export class MetricsUnavailableError extends Error {}

/** What tests change: a stand-in for the thread, and shorter waits. */
export interface MetricsHubTuning {
  threadEntry?: URL;
  renderGraceMs?: number;
  restartDelayMs?: number;
}

export interface ScrapeParams extends Omit<ScrapeRequest, 'type' | 'scrapeId'> {
  /**
   * Reads the main thread's own metrics. Called once the request is on its way, so they are
   * read while the thread collects the workers' instead of delaying the collection.
   */
  readManager: () => Promise<MetricsSnapshot>;
}

/** A finished body, and the way to give its buffer back to the thread once it has gone out. */
export interface ScrapeBody {
  body: Buffer;
  /**
   * Hands the buffer back for the next scrape. Call it only when nothing reads the body any more
   * (the response has closed: its bytes are with the kernel, or the write was given up): the
   * buffer is transferred, which empties `body`, and the thread writes the next body into it.
   * Once is enough; later calls do nothing.
   */
  release(): void;
}

interface Pending {
  resolve: (body: ScrapeBody) => void;
  reject: (error: Error) => void;
}

export class MetricsHub {
  /** Where workers connect; in a private directory only this user can enter. */
  readonly socketPath: string;
  private readonly dir: string;
  private thread!: Worker;
  private listening!: Promise<void>;
  private readonly pending = new Map<number, Pending>();
  private nextScrapeId = 1;
  private closing = false;
  private alive = false;
  /** Scrapes in a row that the thread did not answer in time. */
  private unanswered = 0;

  constructor(
    private readonly logger: Logger,
    private logLevel: LogLevel,
    private readonly nice: number,
    private readonly tuning: MetricsHubTuning = {},
  ) {
    const orphans = removeOrphanedSocketDirs();
    if (orphans.length > 0)
      logger.info({ removed: orphans }, 'removed socket directories of dead managers');
    this.dir = createSocketDir();
    this.socketPath = path.join(this.dir, 'metrics.sock');
    // Whatever way the manager ends, the socket's directory goes with it.
    process.once('exit', () => fs.rmSync(this.dir, { recursive: true, force: true }));
    this.startThread();
  }

  /** Resolves once workers can connect. */
  ready(): Promise<void> {
    return this.listening;
  }

  scrape({ readManager, ...request }: ScrapeParams): Promise<ScrapeBody> {
    if (!this.alive) {
      return Promise.reject(new MetricsUnavailableError('the metrics thread is restarting'));
    }
    const scrapeId = this.nextScrapeId++;
    return new Promise<ScrapeBody>((resolve, reject) => {
      // A wedged thread must not hold scrapes (and their connections) open forever.
      const timer = setTimeout(
        () => {
          this.pending.delete(scrapeId);
          reject(new MetricsUnavailableError('the metrics thread did not answer in time'));
          this.onUnanswered();
        },
        request.timeoutMs + (this.tuning.renderGraceMs ?? RENDER_GRACE_MS),
      );
      this.pending.set(scrapeId, {
        resolve: (body) => {
          clearTimeout(timer);
          resolve(body);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.post({ type: 'scrape', scrapeId, ...request });
      // Through a promise, so that even a synchronous throw reaches the handler below.
      Promise.resolve()
        .then(readManager)
        .then(
          (snapshot) => this.post({ type: 'manager-metrics', scrapeId, manager: snapshot }),
          (error: unknown) => {
            // The workers' metrics are still worth serving without the manager's own.
            this.logger.error({ err: error }, 'reading the manager metrics failed');
            this.post({ type: 'manager-metrics', scrapeId, manager: [] });
          },
        );
    });
  }

  workerGone(workerId: number): void {
    this.post({ type: 'worker-gone', workerId });
  }

  setLogLevel(level: LogLevel): void {
    this.logLevel = level;
    this.post({ type: 'set-log-level', level });
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.thread.terminate();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** A wedged thread is replaced: without it no scrape would ever be answered again. */
  private onUnanswered(): void {
    this.unanswered += 1;
    if (this.unanswered < WEDGED_AFTER_TIMEOUTS || !this.alive) return;
    this.unanswered = 0;
    this.logger.error(
      { unansweredScrapes: WEDGED_AFTER_TIMEOUTS },
      'metrics thread stopped answering; replacing it',
    );
    void this.thread.terminate();
  }

  private post(message: ToMetricsThread, transfer: ArrayBuffer[] = []): void {
    if (this.alive) this.thread.postMessage(message, transfer);
  }

  private scrapeBody(view: Uint8Array): ScrapeBody {
    const buffer = view.buffer as ArrayBuffer;
    let released = false;
    return {
      body: Buffer.from(buffer, view.byteOffset, view.byteLength),
      release: () => {
        if (released) return;
        released = true;
        // A thread started since takes it as well as the one that sent it.
        this.post({ type: 'body-returned', buffer }, [buffer]);
      },
    };
  }

  private startThread(): void {
    const options: MetricsThreadOptions = {
      socketPath: this.socketPath,
      logLevel: this.logLevel,
      nice: this.nice,
    };
    const thread = new Worker(this.tuning.threadEntry ?? THREAD_ENTRY, { workerData: options });
    this.thread = thread;
    this.alive = true;
    this.listening = new Promise<void>((resolve, reject) => {
      thread.on('message', (message: FromMetricsThread) => {
        if (message.type === 'listening') return resolve();
        // Any answer, even a late one, shows the thread alive.
        this.unanswered = 0;
        const pending = this.pending.get(message.scrapeId);
        if (!pending) return;
        this.pending.delete(message.scrapeId);
        if (message.type === 'scrape-done') {
          pending.resolve(this.scrapeBody(message.body));
        } else {
          pending.reject(new Error(message.message));
        }
      });
      thread.once('error', reject);
    });
    thread.on('error', (error) => this.logger.error({ err: error }, 'metrics thread failed'));
    thread.once('exit', (code) => {
      this.alive = false;
      for (const pending of this.pending.values()) {
        pending.reject(new MetricsUnavailableError('the metrics thread stopped'));
      }
      this.pending.clear();
      if (this.closing) return;
      // A bug in the thread must not leave the cluster without metrics for the rest of its
      // life; the new thread starts from empty totals, which Prometheus sees as a counter reset.
      this.logger.error({ code }, 'metrics thread exited; starting a new one (totals restart)');
      setTimeout(
        () => this.closing || this.startThread(),
        this.tuning.restartDelayMs ?? THREAD_RESTART_DELAY_MS,
      ).unref();
    });
  }
}
