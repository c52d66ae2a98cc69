// The worker's end of the metrics link, over a real Unix socket with a stand-in manager: requests
// that queued up while the worker could not run (SIGSTOP, a long GC, a blocked loop) are answered
// once, for the newest: the manager has given up on the others, and reading the registry once per
// stale request would block the API's event loop again just as it resumes. And a registry that
// cannot be read (a metric's collect() throws: an application's bug) costs that worker its
// answer, logged, not its life: the manager flags it and keeps its last counts.
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { Counter, Gauge, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/logger.js';
import { LineSocket } from '../../../src/line-socket.js';
import {
  isWorkerLinkMessage,
  type ManagerLinkMessage,
  type WorkerLinkMessage,
} from '../../../src/protocol.js';
import { MetricsLink } from '../../../src/worker/metrics-link.js';
import { waitUntil } from '../../../scripts/lib/wait.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A manager's end: accepts the worker's link and records what it says. */
async function standInManager() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'metrics-link-'));
  const socketPath = path.join(dir, 'link.sock');
  const received: WorkerLinkMessage[] = [];
  let peer: LineSocket<WorkerLinkMessage, ManagerLinkMessage> | undefined;
  const server = net.createServer((socket) => {
    peer = new LineSocket(socket, isWorkerLinkMessage, (message) => received.push(message));
  });
  await once(server.listen(socketPath), 'listening');
  cleanups.push(() => {
    server.close();
    peer?.socket.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return { socketPath, received, peer: () => peer };
}

const collect = (requestId: number) =>
  `${JSON.stringify({ type: 'collect-metrics', requestId, have: null } satisfies ManagerLinkMessage)}\n`;

const repliesTo = (received: WorkerLinkMessage[]) =>
  received.flatMap((m) => (m.type === 'metrics' ? [m.requestId] : []));

describe('MetricsLink', () => {
  it('answers only the newest of requests that arrive together', async () => {
    const manager = await standInManager();
    const registry = new Registry();
    new Counter({ name: 'jobs_total', help: 'jobs', registers: [registry] }).inc(3);
    const link = new MetricsLink({
      socketPath: manager.socketPath,
      workerId: 7,
      slot: 0,
      registry,
      logger: createLogger('silent', {}),
    });
    await link.connect();
    cleanups.push(() => void link.sendFinalMetrics(0));
    await waitUntil(() => manager.received.some((m) => m.type === 'hello'), 'hello');

    // Five requests in one write: what a resumed worker finds in its socket.
    manager.peer()!.socket.write([1, 2, 3, 4, 5].map(collect).join(''));
    await waitUntil(() => repliesTo(manager.received).includes(5), 'the reply to request 5');
    // One more on its own: every reply to the five has been sent before this one's.
    manager.peer()!.socket.write(collect(6));
    await waitUntil(() => repliesTo(manager.received).includes(6), 'the reply to request 6');

    expect(repliesTo(manager.received)).toEqual([5, 6]);
    const reply = manager.received.find((m) => m.type === 'metrics' && m.requestId === 5);
    expect(JSON.stringify(reply)).toContain('jobs_total');
  });

  it('survives a registry that cannot be read: logs it, leaves the request unanswered, answers the next', async () => {
    const manager = await standInManager();
    const registry = new Registry();
    let broken = true;
    new Gauge({
      name: 'pool_size',
      help: 'an application gauge read at collection',
      registers: [registry],
      collect() {
        if (broken) throw new Error('pool closed');
        this.set(4);
      },
    });
    const logged: string[] = [];
    const link = new MetricsLink({
      socketPath: manager.socketPath,
      workerId: 7,
      slot: 0,
      registry,
      logger: pino({ level: 'warn' }, { write: (line: string) => void logged.push(line) }),
    });
    await link.connect();
    await waitUntil(() => manager.received.some((m) => m.type === 'hello'), 'hello');

    manager.peer()!.socket.write(collect(1));
    await waitUntil(() => logged.join('').includes('pool closed'), 'the failure logged');
    broken = false;
    manager.peer()!.socket.write(collect(2));
    await waitUntil(() => repliesTo(manager.received).includes(2), 'the reply to request 2');
    expect(repliesTo(manager.received)).toEqual([2]);
    expect(JSON.stringify(manager.received.at(-1))).toContain('pool_size');

    // Leaving with the registry broken again: no final metrics, said so, no exception.
    broken = true;
    logged.length = 0;
    expect(await link.sendFinalMetrics(1_000)).toBe(false);
    expect(logged.join('')).toContain('pool closed');
    expect(manager.received.some((m) => m.type === 'final-metrics')).toBe(false);
  });
});
