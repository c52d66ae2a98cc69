// METRICS_MAX_CONNECTIONS for the manager endpoint, which Kubernetes probes. Unlike Node's
// maxConnections (new connections closed at the cap, so idle holders blind the probes), a new one
// evicts the longest-idle one, as nginx does; one with a request in progress is never cut.
import type http from 'node:http';
import type net from 'node:net';

export type CapOutcome = 'evicted' | 'refused';

/** Responses of one connection not yet ended by the server. */
type Pending = Set<http.ServerResponse>;

/** `onCap` hears each connection cut to make room, and each new one refused as none was idle. */
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
