// What a worker does when its manager disappears without a word (SIGKILL, the OOM killer): the
// IPC channel drops. Node's cluster child then calls process.exit at once (its own 'disconnect'
// handler, lib/internal/cluster/child.js), resetting every request the worker had accepted. That
// handler skips the exit when the disconnect was expected (worker.exitedAfterDisconnect); this
// worker does expect it, and leaves on its own terms: it finishes what it accepted, then exits.
// It cannot take new connections meanwhile (the manager held the listening socket, so the port is
// free for a new manager at once), and its drain deadline bounds how long it outlives the manager.
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
