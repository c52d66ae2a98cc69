// The metrics thread's end of the metrics links: one Unix socket server, one connection per
// worker. A connection says which worker it is (hello), then carries collection requests one way
// and replies and final words the other. The supervisor (main thread) stays the authority on
// which workers exist; a link only carries their data.
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import type { Logger } from '../logger.js';
import { LineSocket } from '../line-socket.js';
import {
  isWorkerLinkMessage,
  type ManagerLinkMessage,
  type MetricsReplyMessage,
  type MetricsSnapshot,
  type WorkerLinkMessage,
} from '../protocol.js';

export interface LinkEvents {
  onReply(workerId: number, message: MetricsReplyMessage): void;
  onFinalMetrics(workerId: number, metrics: MetricsSnapshot): void;
  onLinkClosed(workerId: number): void;
}

type Link = LineSocket<WorkerLinkMessage, ManagerLinkMessage>;

export class WorkerLinks {
  private readonly server: net.Server;
  private readonly links = new Map<number, Link>();
  /** Settles when the worker's link closes (or at once if it never opened). */
  private readonly closed = new Map<number, Promise<void>>();

  constructor(
    private readonly events: LinkEvents,
    private readonly logger: Logger,
  ) {
    this.server = net.createServer((socket) => this.accept(socket));
  }

  async listen(socketPath: string): Promise<void> {
    fs.rmSync(socketPath, { force: true });
    // Rejects if the server emits 'error' before it listens.
    await once(this.server.listen(socketPath), 'listening');
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
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([closed, new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
    this.closed.delete(workerId);
    this.links.get(workerId)?.socket.destroy();
  }

  private accept(socket: net.Socket): void {
    let workerId: number | null = null;
    let markClosed: () => void = () => undefined;
    const closed = new Promise<void>((resolve) => (markClosed = resolve));
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
        this.events.onFinalMetrics(workerId, message.metrics);
        link.send({ type: 'final-ack' });
      }
    });
    socket.on('error', (error) =>
      this.logger.debug({ err: error, workerId }, 'metrics link error'),
    );
    socket.on('close', () => {
      markClosed();
      // A link replaced by the same worker's newer one closes without news.
      if (workerId === null || this.links.get(workerId) !== link) return;
      this.links.delete(workerId);
      this.events.onLinkClosed(workerId);
    });
  }

  close(): void {
    for (const link of this.links.values()) link.socket.destroy();
    this.server.close();
  }
}
