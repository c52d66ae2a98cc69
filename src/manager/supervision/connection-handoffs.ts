// API connections the manager handed to a worker that the worker never acknowledged. Under
// node:cluster's round-robin the manager accepts each connection and sends it to a worker over
// IPC, keeping its own descriptor until the worker answers `accepted`. A worker that dies (hung
// and killed, SIGKILL, out of memory) before answering never does: Node keeps that descriptor for
// good (a CLOSE-WAIT socket per death) and the client waits on a connection nobody will serve.
// Watching the worker's own channel (the `newconn` messages sent with a handle, the `ack`s that
// come back), the manager closes what is left once the worker has exited, so the client sees the
// connection close and can retry. Should Node change these internal messages, nothing is seen
// and nothing is closed: the behaviour before this file.
import type { ChildProcess } from 'node:child_process';

interface Closable {
  close(): void;
}

interface HandoffMessage {
  cmd?: unknown;
  act?: unknown;
  seq?: unknown;
  ack?: unknown;
}

const isClusterMessage = (message: unknown): message is HandoffMessage =>
  typeof message === 'object' &&
  message !== null &&
  (message as HandoffMessage).cmd === 'NODE_CLUSTER';

const isClosable = (handle: unknown): handle is Closable =>
  typeof handle === 'object' && handle !== null && typeof (handle as Closable).close === 'function';

export interface ConnectionHandoffs {
  /** Connections sent to the worker and not yet acknowledged by it. */
  pending(): number;
  /** Closes every connection the worker never acknowledged; returns how many. Call after exit. */
  closeUnacknowledged(): number;
}

export function watchConnectionHandoffs(child: ChildProcess): ConnectionHandoffs {
  const pending = new Map<number, Closable>();
  // A process whose fork failed has no channel (and no send): nothing can be handed to it.
  if (typeof child.send !== 'function') return { pending: () => 0, closeUnacknowledged: () => 0 };
  const send = child.send.bind(child) as (...args: unknown[]) => boolean;
  child.send = ((message: unknown, handle?: unknown, ...rest: unknown[]) => {
    if (
      isClusterMessage(message) &&
      message.act === 'newconn' &&
      typeof message.seq === 'number' &&
      isClosable(handle)
    ) {
      pending.set(message.seq, handle);
    }
    return send(message, handle, ...rest);
  }) as ChildProcess['send'];
  child.on('internalMessage', (message: unknown) => {
    // Accepted or not, the manager's cluster code owns the handle again (closed or re-offered).
    if (isClusterMessage(message) && typeof message.ack === 'number') pending.delete(message.ack);
  });
  return {
    pending: () => pending.size,
    closeUnacknowledged() {
      const count = pending.size;
      for (const handle of pending.values()) {
        try {
          handle.close();
        } catch {
          // Closed already.
        }
      }
      pending.clear();
      return count;
    },
  };
}
