// autocannon (v8) keeps each connection's in-flight requests in a queue. When the server closes
// the socket while a request is in flight (e.g. a draining worker closing a keep-alive connection
// just as a request arrives), autocannon reconnects but keeps the queue: the lost request is
// never counted as an error, and every later response on that connection is timed from the
// previous request's start. A real client sees that request fail, so this hook (installed with
// autocannon's `setupClient`) counts such requests as lost and realigns the queue and parser.
//
// It relies on autocannon's Client internals (`_connect`, `pipelinedRequests`, `parser`); when
// they are not there (another autocannon version), it reports `false` and changes nothing.
import type autocannon from 'autocannon';

interface InternalClient {
  _connect?: () => void;
  conn?: unknown;
  pipelinedRequests?: { size(): number; clear(): void };
  parser?: { type?: unknown; initialize?: (type: unknown) => void };
}

/**
 * Returns a `setupClient` function. `onLost(n)` is called with the number of requests that were
 * in flight on a connection the server closed without answering them.
 */
export function lostRequestTracker(
  onLost: (count: number) => void,
  onUnsupported: () => void = () => undefined,
): (client: autocannon.Client) => void {
  return (client) => {
    const c = client as unknown as InternalClient;
    const connect = c._connect;
    const queue = c.pipelinedRequests;
    if (typeof connect !== 'function' || queue === undefined || typeof queue.size !== 'function') {
      onUnsupported();
      return;
    }
    // A connection error is already counted by autocannon: realign, but do not count it again.
    let errored = false;
    (client as unknown as NodeJS.EventEmitter).on('connError', () => {
      errored = true;
    });
    c._connect = function reconnect(this: InternalClient) {
      if (this.conn !== undefined && queue.size() > 0) {
        if (!errored) onLost(queue.size());
        queue.clear();
        this.parser?.initialize?.(this.parser.type);
      }
      errored = false;
      connect.call(this);
    };
  };
}
