// The worker's HTTP server around the Koa callback: timeouts against slow clients, request
// counting for recycling, and a drain that loses no request, even on keep-alive connections.
import http from 'node:http';
import net from 'node:net';
import type { Socket } from 'node:net';
import type { RequestCounters } from './heartbeat.js';

export interface ApiServerOptions {
  headersTimeoutMs: number;
  keepAliveTimeoutMs: number;
  /** The response class (the app's SecureResponse); Node's own when not given. */
  ServerResponse?: typeof http.ServerResponse | undefined;
}

const DRAIN_POLL_MS = 50;

interface ConnectionState {
  active: number;
  idleSince: number;
}

export interface ApiServer {
  server: http.Server;
  counters: RequestCounters;
  /** Stops accepting, lets in-flight requests finish, closes every connection; false on timeout. */
  drain(timeoutMs: number): Promise<boolean>;
}

export function createApiServer(
  handler: http.RequestListener,
  options: ApiServerOptions,
): ApiServer {
  const counters: RequestCounters = { served: 0, inFlight: 0 };
  const connections = new Map<Socket, ConnectionState>();
  const openResponses = new Set<http.ServerResponse>();
  let draining = false;

  // One listener for every response, not a closure per request: 'close' comes exactly once per
  // response, after 'finish' when it was sent and on its own when the connection died first (Node
  // guards it with res._closed), so 'finish' needs no listener of its own.
  const onResponseClose = function (this: http.ServerResponse): void {
    openResponses.delete(this);
    counters.inFlight -= 1;
    // Gone from the map when the connection closed first: nothing left to drain on it then.
    const state = connections.get(this.req.socket as Socket);
    if (state) {
      state.active -= 1;
      state.idleSince = Date.now();
    }
  };

  const server = http.createServer(
    {
      headersTimeout: options.headersTimeoutMs,
      // Whole-request (not response) deadline: bodies are small, so this only bites slow senders.
      requestTimeout: Math.max(options.headersTimeoutMs, 30_000),
      keepAliveTimeout: options.keepAliveTimeoutMs,
      // Node checks the two timeouts above on this period (default 30 s, far too lax).
      connectionsCheckingInterval: 1_000,
      // The app refuses an HTTP/1.1 request without Host itself, with its headers and JSON body.
      requireHostHeader: false,
      ...(options.ServerResponse && { ServerResponse: options.ServerResponse }),
    },
    (req, res) => {
      const state = connections.get(req.socket);
      if (state) state.active += 1;
      counters.served += 1;
      counters.inFlight += 1;
      // While draining, every response tells its client to take the next request elsewhere.
      if (draining) res.setHeader('Connection', 'close');
      openResponses.add(res);
      res.on('close', onResponseClose);
      handler(req, res);
    },
  );
  // Sockets idle longer than the keep-alive timeout get closed by Node; a stuck socket gets cut.
  server.setTimeout(120_000);
  server.on('connection', (socket: Socket) => {
    connections.set(socket, { active: 0, idleSince: Date.now() });
    socket.once('close', () => connections.delete(socket));
  });

  const drain = async (timeoutMs: number): Promise<boolean> => {
    draining = true;
    for (const res of openResponses) if (!res.headersSent) res.setHeader('Connection', 'close');
    // net.Server's close stops accepting without http.Server's closeIdleConnections(): closing
    // a keep-alive socket at the instant its client reuses it fails that request. Instead each
    // connection is closed after its next response (Connection: close above), or once it has been
    // idle for the keep-alive timeout: every response announced `Keep-Alive: timeout=N`, so a
    // client may reuse the connection until then (a slow or paused one too), and one that honours
    // the hint has let it go by then. An idle pooled connection can make a drain that long.
    net.Server.prototype.close.call(server);
    const idleGraceMs = options.keepAliveTimeoutMs;
    const deadline = Date.now() + timeoutMs;
    while (connections.size > 0 && Date.now() < deadline) {
      const now = Date.now();
      for (const [socket, state] of connections) {
        if (state.active === 0 && now - state.idleSince >= idleGraceMs) socket.end();
      }
      await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
    }
    const clean = connections.size === 0;
    for (const socket of connections.keys()) socket.destroy();
    return clean;
  };

  return { server, counters, drain };
}
