// API connections handed to a worker that it never acknowledged: Node keeps them for good when the
// worker dies first, and their clients wait on nobody. Watching the channel (`newconn` with a
// handle, `ack`s back), the manager closes them after the exit. Should Node change these internal
// messages, nothing is seen and nothing is closed.
import type { ChildProcess } from 'node:child_process';

type Closable = { close(): void };
type HandoffMessage = { cmd?: unknown; act?: unknown; seq?: unknown; ack?: unknown };

const isClusterMessage = (message: unknown): message is HandoffMessage =>
  typeof message === 'object' &&
  message !== null &&
  (message as HandoffMessage).cmd === 'NODE_CLUSTER';

const isClosable = (handle: unknown): handle is Closable =>
  typeof handle === 'object' && handle !== null && typeof (handle as Closable).close === 'function';

export function watchConnectionHandoffs(child: ChildProcess) {
  const pending = new Map<number, Closable>();
  // A process whose fork failed has no channel (and no send): nothing can be handed to it.
  if (typeof child.send !== 'function') return { closeUnacknowledged: () => 0 };
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
    /** Call after exit; returns how many it closed. */
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
