// The manager endpoint's connection cap on a real loopback server: at the cap a new connection
// evicts the longest-idle one, never one with a request in progress, and is refused only when
// every connection has one.
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import {
  capConnections,
  type CapOutcome,
} from '../../../../src/manager/endpoint/connection-cap.js';
import { waitUntil } from '../../../../scripts/lib/wait.js';

interface Client {
  socket: net.Socket;
  closed: boolean;
  received: string;
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A server capped at `max` whose /slow requests wait until released. */
async function cappedServer(max: number) {
  const outcomes: CapOutcome[] = [];
  const waiting: http.ServerResponse[] = [];
  let accepted = 0;
  const server = http.createServer((req, res) => {
    if (req.url === '/slow') return void waiting.push(res);
    res.end('ok');
  });
  server.on('connection', () => (accepted += 1));
  capConnections(server, max, (outcome) => outcomes.push(outcome));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  const clients: Client[] = [];
  cleanups.push(() => {
    for (const c of clients) c.socket.destroy();
    server.close();
  });
  /** Connects; resolves once the server has accepted the connection. */
  const connect = async (request?: string): Promise<Client> => {
    const before = accepted;
    const socket = net.connect(port, '127.0.0.1');
    const client: Client = { socket, closed: false, received: '' };
    clients.push(client);
    socket.on('data', (chunk: Buffer) => (client.received += chunk.toString()));
    socket.on('error', () => undefined);
    socket.once('close', () => (client.closed = true));
    await once(socket, 'connect');
    if (request) socket.write(`GET ${request} HTTP/1.1\r\nHost: x\r\n\r\n`);
    await waitUntil(() => accepted > before, 'the server to accept', 5_000);
    return client;
  };
  return { outcomes, waiting, connect };
}

describe('capConnections', () => {
  it('evicts the longest-idle connection, never one with a request in progress', async () => {
    const server = await cappedServer(3);
    const busy = await server.connect('/slow');
    await waitUntil(() => server.waiting.length === 1, 'the slow request to arrive', 5_000);
    const idleOld = await server.connect();
    const keptAlive = await server.connect('/');
    await waitUntil(() => keptAlive.received.includes('ok'), 'the keep-alive answer', 5_000);

    // At the cap: the busy one is the oldest, so the never-used idle one goes first.
    const newcomer = await server.connect();
    await waitUntil(() => idleOld.closed, 'the oldest idle connection to be evicted', 5_000);
    // Then the keep-alive one (its request is older than the newcomer's accept).
    const another = await server.connect();
    await waitUntil(() => keptAlive.closed, 'the idle keep-alive connection to be evicted', 5_000);
    expect(busy.closed).toBe(false);
    expect(newcomer.closed).toBe(false);
    expect(another.closed).toBe(false);
    expect(server.outcomes).toEqual(['evicted', 'evicted']);

    // The busy connection is still answered.
    server.waiting[0]!.end('late');
    await waitUntil(() => busy.received.includes('late'), 'the slow answer', 5_000);
  });

  it('refuses a new connection when every open one has a request in progress', async () => {
    const server = await cappedServer(2);
    const first = await server.connect('/slow');
    const second = await server.connect('/slow');
    await waitUntil(() => server.waiting.length === 2, 'both slow requests to arrive', 5_000);
    const refused = await server.connect();
    await waitUntil(() => refused.closed, 'the new connection to be closed', 5_000);
    expect(server.outcomes).toEqual(['refused']);
    expect(first.closed || second.closed).toBe(false);

    // Once a response has ended, its connection is idle again and may make room.
    server.waiting[0]!.end('done');
    await waitUntil(() => first.received.includes('done'), 'the first answer', 5_000);
    const admitted = await server.connect('/');
    await waitUntil(() => admitted.received.includes('ok'), 'the newcomer answered', 5_000);
    expect(first.closed).toBe(true);
    expect(second.closed).toBe(false);
    expect(server.outcomes).toEqual(['refused', 'evicted']);
  });
});
