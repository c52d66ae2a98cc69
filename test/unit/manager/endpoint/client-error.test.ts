// A client that sends a request the parser rejects, reads the JSON answer and then never closes
// its side: the server must still let go of the connection (ending it only half-closes it, and
// the descriptor stayed open for as long as the client liked, on both ports). Real servers,
// real sockets, both parser-error handlers.
import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { handleClientError } from '../../../../src/app/client-error.js';
import { CLIENT_ERROR_LINGER_MS } from '../../../../src/http-errors.js';
import { answerClientError } from '../../../../src/manager/endpoint/http-server.js';
import { waitUntil } from '../../../../scripts/lib/wait.js';

const servers: http.Server[] = [];
const clients: net.Socket[] = [];

afterEach(() => {
  for (const client of clients.splice(0)) client.destroy();
  for (const server of servers.splice(0)) server.close();
});

async function serverWith(onClientError: typeof handleClientError): Promise<http.Server> {
  const server = http.createServer((_req, res) => res.end('ok'));
  server.on('clientError', onClientError);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

function connections(server: http.Server): Promise<number> {
  return new Promise((resolve, reject) =>
    server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
  );
}

/** Sends `request`, collects what comes back, and never ends or destroys its side. */
function stubbornClient(server: http.Server, request: string) {
  const { port } = server.address() as net.AddressInfo;
  // Half-open allowed: a Node socket otherwise ends its side as soon as the server's FIN arrives.
  const client = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  clients.push(client);
  let received = '';
  let ended = false;
  client.setEncoding('utf8');
  client.on('data', (chunk: string) => (received += chunk));
  client.on('end', () => (ended = true));
  client.on('error', () => undefined);
  client.write(request);
  return { received: () => received, ended: () => ended };
}

const handlers = [
  ['the API (handleClientError)', handleClientError],
  ['the manager endpoint (answerClientError)', answerClientError],
] as const;

describe.each(handlers)('a parser error answered by %s', (_name, onClientError) => {
  it('reaches a client that never closes, and the server lets go of its connection', async () => {
    const server = await serverWith(onClientError);
    const client = stubbornClient(server, 'GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n');
    await waitUntil(() => client.ended(), 'the answer and the end of the stream', 5_000, 10);
    expect(client.received()).toMatch(/^HTTP\/1\.1 400 /);
    expect(client.received()).toContain('"code":"bad_request"');
    expect(await connections(server)).toBe(1);
    // Then cut, soon after the linger, although the client still holds its side open.
    const deadline = Date.now() + CLIENT_ERROR_LINGER_MS + 4_000;
    while ((await connections(server)) > 0) {
      expect(Date.now(), 'connection still held by the server').toBeLessThan(deadline);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  });

  it('still answers a client that keeps sending after the error', async () => {
    const server = await serverWith(onClientError);
    const client = stubbornClient(server, 'NOT HTTP AT ALL\r\n\r\n');
    await waitUntil(() => client.received().includes('\r\n\r\n{'), 'the answer', 5_000, 10);
    expect(client.received()).toMatch(/^HTTP\/1\.1 400 /);
  });
});
