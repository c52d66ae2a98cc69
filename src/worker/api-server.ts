// The worker's HTTP server around the Koa callback: timeouts against slow clients, request
// counting for recycling, and a drain that loses no request, even on keep-alive connections.
import http from 'node:http';
import net, { type Socket } from 'node:net';
import type { RequestCounters } from './heartbeat.js';

export interface ApiServerOptions {
  headersTimeoutMs: number;
  keepAliveTimeoutMs: number;
  ServerResponse?: typeof http.ServerResponse | undefined;
  /** Past this age a connection closes after its next response, so its client lands on another
   * worker, a new one included. 0: never. */
  connectionMaxAgeMs?: number;
  /** One more connection is closed at once (descriptor-budget.ts). */
  maxConnections?: number | undefined;
  onRefused?: () => void;
}

/** Koa's callback, whose promise settles once the app is done. */
type RequestHandler = (
  req: http.IncomingMessage,
  res: http.ServerResponse,
) => Promise<unknown> | void;

const DRAIN_POLL_MS = 50;

interface ConnectionState {
  /** Requests on this connection the app has not finished with (pipelined ones included). */
  open: Set<http.ServerResponse>;
  idleSince: number;
  openedAt: number;
}

export interface ApiServer {
  server: http.Server;
  counters: RequestCounters;
  /** Stops accepting, lets in-flight requests finish, closes every connection; false on timeout. */
  drain(timeoutMs: number): Promise<boolean>;
}

export function createApiServer(handler: RequestHandler, options: ApiServerOptions): ApiServer {
  const counters: RequestCounters = { served: 0, inFlight: 0 };
  const connections = new Map<Socket, ConnectionState>();
  let draining = false;
  const maxAgeMs = options.connectionMaxAgeMs ?? 0;

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
      counters.served += 1;
      const state = connections.get(req.socket);
      // Draining, or an old connection: its client is told to take the next request elsewhere.
      if (draining || (state && maxAgeMs > 0 && Date.now() - state.openedAt >= maxAgeMs)) {
        res.setHeader('Connection', 'close');
      }
      // Its connection already closed (the request was parsed from the last bytes read): the app
      // still answers it into the void, but it counts for nothing.
      if (!state) return void handler(req, res);
      state.open.add(res);
      counters.inFlight += 1;
      // In flight until the app is done with it or its connection closes, not until its
      // response's 'close': Node never emits that for pipelined responses queued when the
      // connection dies, and a finished response stuck behind a client that does not read is the
      // client's buffer. Either way a client could hold the count up (and the worker shedding).
      const done = () => {
        if (!state.open.delete(res)) return;
        counters.inFlight -= 1;
        state.idleSince = Date.now();
      };
      res.once('close', done);
      void handler(req, res)?.then(done, done);
    },
  );
  // Sockets idle longer than the keep-alive timeout get closed by Node; a stuck socket gets cut.
  server.setTimeout(120_000);
  server.on('connection', (socket: Socket) => {
    // Refused here, in both listen modes, not by net.Server's maxConnections: under round-robin
    // that hands the connection back to the manager, which offers it again at once.
    if (options.maxConnections !== undefined && connections.size >= options.maxConnections) {
      socket.destroy();
      options.onRefused?.();
      return;
    }
    const now = Date.now();
    const state: ConnectionState = { open: new Set(), idleSince: now, openedAt: now };
    connections.set(socket, state);
    socket.once('close', () => {
      connections.delete(socket);
      // Node (before nodejs/node#62534) never emits 'close' for a response queued behind another
      // pipelined one: emitted here, it settles the count and fires the app's abort-on-disconnect.
      for (const res of state.open) {
        if (res.closed) continue;
        res.destroy();
        res.emit('close');
      }
    });
  });

  const drain = async (timeoutMs: number): Promise<boolean> => {
    draining = true;
    for (const { open } of connections.values()) {
      for (const res of open) if (!res.headersSent) res.setHeader('Connection', 'close');
    }
    // Stops accepting first: with reuseport this closes the worker's own listener (connections
    // queued are reset, or moved with net.ipv4.tcp_migrate_req=1); shared: the manager stops
    // handing it any. net.Server's close, not http.Server's, whose closeIdleConnections() fails a
    // request reusing a keep-alive socket at that instant: each connection is closed after its next
    // response (Connection: close above), or once idle for the `Keep-Alive: timeout=N` every
    // response announced (a client may reuse it until then), so a drain may last that long.
    net.Server.prototype.close.call(server);
    const idleGraceMs = options.keepAliveTimeoutMs;
    const deadline = Date.now() + timeoutMs;
    while (connections.size > 0 && Date.now() < deadline) {
      const now = Date.now();
      for (const [socket, state] of connections) {
        if (state.open.size === 0 && now - state.idleSince >= idleGraceMs) socket.end();
      }
      await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
    }
    const clean = connections.size === 0;
    for (const socket of connections.keys()) socket.destroy();
    return clean;
  };

  return { server, counters, drain };
}
