// autocannon (v8) keeps each connection's in-flight requests in a queue, and reconnects when the
// server closes the socket. Two things go wrong there, both fixed by this hook (installed with
// autocannon's `setupClient`):
//
// - The server closes a connection with a request in flight, unanswered (e.g. a draining worker
//   racing a keep-alive request): autocannon never counts it, and every later response on that
//   connection is timed from the request before it. A real client sees that request fail, so it
//   is reported as *lost* (an error) and the queue is realigned.
// - The server answered with `Connection: close`, and autocannon, ignoring that, already wrote
//   the next request on the closing socket. A real client sends it on a new connection; it is
//   not the server's failure, so it is reported as *discarded* (neither success nor error) and
//   the queue is realigned.
//
// It relies on autocannon's Client internals (`_connect`, `pipelinedRequests`, `parser`); when
// they are not there (another autocannon version), it calls `onUnsupported` and changes nothing.
import type autocannon from 'autocannon';

interface InternalClient {
  _connect?: () => void;
  conn?: unknown;
  pipelinedRequests?: { size(): number; clear(): void };
  parser?: { type?: unknown; initialize?: (type: unknown) => void };
}

export interface LostRequestHandlers {
  /** Requests in flight on a connection the server closed without answering them. */
  onLost(count: number): void;
  /** Requests autocannon wrote after the server's `Connection: close` answer. */
  onDiscarded(count: number): void;
  onUnsupported?(): void;
}

/** Returns a `setupClient` function for autocannon. */
export function lostRequestTracker(
  handlers: LostRequestHandlers,
): (client: autocannon.Client) => void {
  return (client) => {
    const c = client as unknown as InternalClient;
    const connect = c._connect;
    const queue = c.pipelinedRequests;
    if (typeof connect !== 'function' || queue === undefined || typeof queue.size !== 'function') {
      handlers.onUnsupported?.();
      return;
    }
    const events = client as unknown as NodeJS.EventEmitter;
    // A connection error is already counted by autocannon: realign, but do not count it again.
    let errored = false;
    events.on('connError', () => {
      errored = true;
    });
    // Whether the last response on this connection announced that the server closes it.
    let closing = false;
    events.on('headers', (info: { shouldKeepAlive?: boolean }) => {
      closing = info.shouldKeepAlive === false;
    });
    c._connect = function reconnect(this: InternalClient) {
      const inFlight = queue.size();
      if (this.conn !== undefined && inFlight > 0) {
        if (closing) handlers.onDiscarded(inFlight);
        else if (!errored) handlers.onLost(inFlight);
        queue.clear();
        this.parser?.initialize?.(this.parser.type);
      }
      errored = false;
      closing = false;
      connect.call(this);
    };
  };
}
