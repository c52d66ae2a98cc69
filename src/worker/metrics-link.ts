// The worker's end of its metrics link: answers collections with the encoder's replies and, when
// the worker leaves, hands over its final metrics and waits for the ack. Reconnects while the
// worker lives: the registry is cumulative, so nothing counted meanwhile is lost.
import net from 'node:net';
import path from 'node:path';
import type { Registry } from 'prom-client';
import type { Logger } from '../logger.js';
import { registryExemplars } from '../metrics/lean-histogram.js';
import { LineSocket } from '../line-socket.js';
import { isPrivateDir } from '../private-dir.js';
import { snapshotOf, type MetricsSnapshot } from '../metrics/snapshot.js';
import {
  isManagerLinkMessage,
  type CollectMetricsMessage,
  type ManagerLinkMessage,
  type WorkerLinkMessage,
} from '../protocol.js';
import { MetricsEncoder } from './metrics-encoder.js';
import { withDeadline } from '../deadline.js';

const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5_000;

export interface MetricsLinkOptions {
  socketPath: string;
  workerId: number;
  slot: number;
  registry: Registry;
  logger: Logger;
}

type Link = LineSocket<ManagerLinkMessage, WorkerLinkMessage>;

export class MetricsLink {
  private readonly encoder: MetricsEncoder;
  private link: Link | null = null;
  private closed = false;
  private reconnectMs = RECONNECT_MIN_MS;
  private newestRequest: CollectMetricsMessage | null = null;
  private settleFinal: (confirmed: boolean) => void = () => undefined;

  constructor(private readonly options: MetricsLinkOptions) {
    this.encoder = new MetricsEncoder(options.registry);
  }

  /** Resolves once connected, or once the first attempt failed (retries go on meanwhile). */
  connect(): Promise<void> {
    return new Promise((resolve) => {
      const dir = path.dirname(this.options.socketPath);
      if (!isPrivateDir(dir)) {
        this.options.logger.warn(
          { dir },
          'metrics socket directory missing or not private to this user; not connecting yet',
        );
        this.retryLater();
        return resolve();
      }
      const socket = net.createConnection(this.options.socketPath);
      const link: Link = new LineSocket(socket, isManagerLinkMessage, (message) =>
        this.onMessage(message),
      );
      socket.once('connect', () => {
        this.link = link;
        this.reconnectMs = RECONNECT_MIN_MS;
        link.send({ type: 'hello', workerId: this.options.workerId, slot: this.options.slot });
        resolve();
      });
      socket.on('error', (error) => {
        this.options.logger.warn({ err: error }, 'metrics link error');
        resolve();
      });
      socket.once('close', () => {
        if (this.link === link) this.link = null;
        this.settleFinal(false);
        this.retryLater();
      });
    });
  }

  private retryLater(): void {
    if (this.closed) return;
    const delay = this.reconnectMs;
    this.reconnectMs = Math.min(RECONNECT_MAX_MS, this.reconnectMs * 2);
    setTimeout(() => this.closed || void this.connect(), delay).unref();
  }

  /** Sends everything counted, then closes the link for good; false if the manager never acked. */
  async sendFinalMetrics(timeoutMs: number): Promise<boolean> {
    this.closed = true;
    // Between retries (the socket was removed, and may be back by now): one last attempt.
    if (!this.link) await this.connect();
    const link = this.link;
    if (!link) return false;
    let metrics: MetricsSnapshot;
    try {
      metrics = await snapshotOf(this.options.registry);
    } catch (error) {
      // The manager keeps this worker's last collected counts; nothing newer can be read.
      this.options.logger.error(
        { err: error },
        'reading the metrics registry failed; no final metrics',
      );
      link.socket.end();
      return false;
    }
    const acknowledged = new Promise<boolean>((resolve) => {
      this.settleFinal = resolve;
      const exemplars = registryExemplars(this.options.registry, 0);
      if (!link.send({ type: 'final-metrics', metrics, exemplars })) resolve(false);
    });
    const confirmed = await withDeadline(acknowledged, timeoutMs, false);
    link.socket.end();
    return confirmed;
  }

  private onMessage(message: ManagerLinkMessage): void {
    if (message.type === 'final-ack') return this.settleFinal(true);
    // Requests queued while this worker could not run (stopped, a long GC, a blocked loop) arrive
    // together, and the manager has given up on all but the newest (it starts a collection once
    // the one before ended): only that one is answered, after the whole chunk (a microtask).
    const scheduled = this.newestRequest !== null;
    this.newestRequest = message;
    if (!scheduled) queueMicrotask(() => this.answerNewest());
  }

  private answerNewest(): void {
    const request = this.newestRequest;
    this.newestRequest = null;
    if (request === null) return;
    this.encoder.encode(request.requestId, request.have).then(
      (reply) => void this.link?.send(reply),
      // A metric whose collect() throws (an application's bug) must not end the worker, which
      // an unhandled rejection would: this collection goes unanswered, so the manager flags the
      // slot (cluster_worker_scrape_success 0) and keeps its last counts; the API keeps serving.
      (error: unknown) =>
        this.options.logger.error(
          { err: error, requestId: request.requestId },
          'reading the metrics registry failed; this collection goes unanswered',
        ),
    );
  }
}
