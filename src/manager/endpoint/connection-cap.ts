// METRICS_MAX_CONNECTIONS for the manager endpoint, which Kubernetes probes. Node's own
// `maxConnections` closes every new connection at the cap, so a client holding that many idle
// ones (reopening each one cut) blinds the probes and gets healthy pods restarted. Here, as
// nginx reuses idle keep-alive connections when it runs out, a new connection takes the place
// of the idle one (no request in progress: between keep-alive requests, or never having sent a
// complete one) whose last request, or else whose accept, is the oldest. A connection with a request in progress (a scrape, a probe) is
// never cut; only when every one has is the new connection closed. Open descriptors stay at the
// cap (one more for an instant), and an idle flood can only evict itself: a probe's connection is
// newer than the flood's, and busy once its request is in.
import type http from 'node:http';
import type net from 'node:net';

export type CapOutcome = 'evicted' | 'refused';

/** Responses of one connection not yet ended by the server. */
type Pending = Set<http.ServerResponse>;

/**
 * Caps `server` at `max` open connections. `onCap` hears each connection cut to make room
 * (`evicted`) and each new one closed because none was idle (`refused`).
 */
export function capConnections(
  server: http.Server,
  max: number,
  onCap: (outcome: CapOutcome) => void,
): void {
  // Map order is the eviction order: a connection moves to the end when a request starts.
  const connections = new Map<net.Socket, Pending>();

  const evictIdlest = (): boolean => {
    for (const [socket, pending] of connections) {
      // A response ended but not yet flushed (a client not reading) is no work of the server's.
      if ([...pending].some((res) => !res.writableEnded)) continue;
      connections.delete(socket);
      socket.destroy();
      return true;
    }
    return false;
  };

  server.on('connection', (socket: net.Socket) => {
    if (connections.size >= max) {
      const outcome = evictIdlest() ? 'evicted' : 'refused';
      onCap(outcome);
      if (outcome === 'refused') return void socket.destroy();
    }
    connections.set(socket, new Set());
    socket.once('close', () => connections.delete(socket));
  });

  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const pending = connections.get(req.socket);
    if (pending === undefined) return;
    connections.delete(req.socket);
    connections.set(req.socket, pending);
    pending.add(res);
    res.once('close', () => pending.delete(res));
  });
}
