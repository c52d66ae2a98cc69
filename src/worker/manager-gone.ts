// What a worker does when its manager disappears without a word (SIGKILL, the OOM killer): Node's
// cluster child would exit at once on the IPC disconnect, resetting every accepted request, unless
// the disconnect was expected (worker.exitedAfterDisconnect). This worker expects it: it finishes
// what it accepted, bounded by its drain deadline, then exits.
import cluster from 'node:cluster';

export function onManagerGone(leave: () => void): void {
  const self = cluster.worker;
  // Emitted by cluster's handler just before it decides whether to exit: the flag must be set
  // by then, so this runs synchronously inside that decision.
  self?.once('disconnect', () => {
    self.exitedAfterDisconnect = true;
  });
  process.once('disconnect', leave);
}
