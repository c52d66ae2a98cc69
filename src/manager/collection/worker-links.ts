// The metrics thread's end of the metrics links: one Unix socket server, one connection per worker.
// The supervisor stays the authority on which workers exist. The socket file can vanish under a
// running manager (a temporary-file cleaner): it is checked every second and made again.
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Logger } from '../../logger.js';
import { LineSocket } from '../../line-socket.js';
import type { MetricsSnapshot } from '../../metrics/snapshot.js';
import {
  isWorkerLinkMessage,
  type ManagerLinkMessage,
  type MetricsReplyMessage,
  type WorkerLinkMessage,
} from '../../protocol.js';
import { ensureSocketDir } from './socket-dir.js';
import { withDeadline } from '../../deadline.js';

const SOCKET_CHECK_INTERVAL_MS = 1_000;

export interface LinkEvents {
  onReply(workerId: number, message: MetricsReplyMessage): void;
  onFinalMetrics(workerId: number, metrics: MetricsSnapshot, exemplars?: unknown): void;
  onLinkClosed(workerId: number): void;
}

type Link = LineSocket<WorkerLinkMessage, ManagerLinkMessage>;

export class WorkerLinks {
  private server: net.Server | null = null;
  private socketPath = '';
  /** The socket file this server listens on, as the file system identifies it. */
  private bound: { dev: number; ino: number } | null = null;
  private checker: NodeJS.Timeout | undefined;
  private rebinding = false;
  /** So that a lasting cause is logged once. */
  private rebindFailure = '';
  private shutDown = false;
  private readonly links = new Map<number, Link>();
  /** Settles when the worker's link closes (or at once if it never opened). */
  private readonly closed = new Map<number, Promise<void>>();

  constructor(
    private readonly events: LinkEvents,
    private readonly logger: Logger,
  ) {}

  async listen(socketPath: string, checkMs = SOCKET_CHECK_INTERVAL_MS): Promise<void> {
    this.socketPath = socketPath;
    await this.bind();
    this.checker = setInterval(() => void this.keepListening(), checkMs).unref();
  }

  async keepListening(): Promise<void> {
    if (this.rebinding || this.isBound()) return;
    this.rebinding = true;
    try {
      await this.bind();
      this.rebindFailure = '';
      this.logger.warn(
        { socketPath: this.socketPath },
        'the metrics socket had been removed; listening on it again (workers reconnect)',
      );
    } catch (error) {
      if (String(error) !== this.rebindFailure) {
        this.logger.error(
          { err: error, socketPath: this.socketPath },
          'the metrics socket has been removed and cannot be made again; retrying every second',
        );
      }
      this.rebindFailure = String(error);
    } finally {
      this.rebinding = false;
    }
  }

  private isBound(): boolean {
    try {
      const now = fs.lstatSync(this.socketPath);
      return now.dev === this.bound?.dev && now.ino === this.bound.ino;
    } catch {
      return false;
    }
  }

  private async bind(): Promise<void> {
    // Closing a listener unlinks its path (libuv): close the old one before the new file exists.
    // The links it accepted stay open.
    this.server?.close();
    this.server = null;
    this.bound = null;
    ensureSocketDir(path.dirname(this.socketPath));
    fs.rmSync(this.socketPath, { force: true });
    const server = net.createServer((socket) => this.accept(socket));
    // Rejects if the server emits 'error' before it listens.
    await once(server.listen(this.socketPath), 'listening');
    this.server = server;
    if (this.shutDown) server.close();
    const { dev, ino } = fs.lstatSync(this.socketPath);
    this.bound = { dev, ino };
  }

  send(workerId: number, message: ManagerLinkMessage): boolean {
    return this.links.get(workerId)?.send(message) ?? false;
  }

  /**
   * Resolves once the worker's link has delivered everything (the socket closed: the process is
   * gone and the kernel has handed over every byte it wrote), or after `graceMs`.
   */
  async drained(workerId: number, graceMs: number): Promise<void> {
    const closed = this.closed.get(workerId);
    if (!closed) return;
    await withDeadline(closed, graceMs, undefined);
    this.closed.delete(workerId);
    this.links.get(workerId)?.socket.destroy();
  }

  private accept(socket: net.Socket): void {
    let workerId: number | null = null;
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const link: Link = new LineSocket(socket, isWorkerLinkMessage, (message) => {
      if (message.type === 'hello') {
        if (workerId !== null) return;
        workerId = message.workerId;
        this.links.get(workerId)?.socket.destroy();
        this.links.set(workerId, link);
        this.closed.set(workerId, closed);
        return;
      }
      if (workerId === null) return; // nothing counts before the worker has said who it is
      if (message.type === 'metrics') {
        this.events.onReply(workerId, message);
      } else {
        this.events.onFinalMetrics(workerId, message.metrics, message.exemplars);
        link.send({ type: 'final-ack' });
      }
    });
    socket.on('error', (error) =>
      this.logger.debug({ err: error, workerId }, 'metrics link error'),
    );
    socket.on('close', () => {
      // A link replaced by the same worker's newer one closes without news.
      if (workerId === null || this.links.get(workerId) !== link) return;
      this.links.delete(workerId);
      this.events.onLinkClosed(workerId);
    });
  }

  close(): void {
    this.shutDown = true;
    clearInterval(this.checker);
    for (const link of this.links.values()) link.socket.destroy();
    this.server?.close();
  }
}
